"""Deep networks on the circle: the learning time of each harmonic for ReLU networks of depth L ≥ 3 in the
parametrisation of `fpcheck.theory.deep_ntk`, against the eigenvalues of the arc-cosine recursion; torch-free
(the runs are `fpcheck.empirics.circle_training.harmonic_fits`, which the setup type routes here).

Model. `MLPSpec((2, m, …, m, 1), "relu", "gaussian", 1.0, parametrization="ntk")`: every weight and bias N(0, 1),
the layers after the first scaled by m^{-1/2} in the forward pass (the output layer included), every parameter
trained. Zero initial output: the readout is α (f(x; θ_t) - f(x; θ_0)), the network minus its own initial
function (a constant of training, so the gradients and the kernel are the network's), instead of the paired
neurons of the two-layer model (pairing a deep network's neurons would change its kernel). The output bias,
unscaled and trained, adds 1 to every entry of the kernel: λ_0^(n) + 1, the constant mode only
(`DeepCircleFit.kernel_eigenvalues`), which enters the step rule's cap.

Kernel snapshots. K = α² Σ_l [s_l² (A_l A_lᵀ) ∘ (Δ_l Δ_lᵀ) + Δ_l Δ_lᵀ] with A_l the input of layer l at the
points, s_l its forward factor and Δ_l = ∂f/∂z_l the gradient of the output in its pre-activation (each point's
row depends on that point only), the Gram matrix of the per-parameter gradients layer by layer
(`fpcheck.empirics.circle_training.layerwise_kernel`). Everything else (the step rule, the run length, the
measured time and the quotients' normalisation) is that of `fpcheck.empirics.circle_fit`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from fpcheck.empirics.circle_fit import CircleFit, CircleFitResult
from fpcheck.empirics.experiment import Experiment
from fpcheck.empirics.setup import param
from fpcheck.theory.deep_ntk import MAX_DEPTH, deep_circle_ntk_eigenvalues

MAX_DEEP_WEIGHTS = 1 << 30
"""(depth - 2) width² × seeds beyond which a run is refused: the hidden-to-hidden weights and their gradients
(float32) would need more than 8 GiB."""
OUTPUT_BIAS_KERNEL = 1.0
"""What the trained, unscaled output bias adds to every entry of the kernel (κ = 0 only)."""


@dataclass(frozen=True, kw_only=True)
class DeepCircleFit(CircleFit):
    """A circle fit (`CircleFit`) of ReLU networks with `depth` linear layers (L - 1 hidden layers of each width)."""

    depth: int = param(3, at_least=3, at_most=MAX_DEPTH)
    paired: ClassVar[bool] = False  # the zero output comes from subtracting the initial function

    def kernel_eigenvalues(self, kappas: np.ndarray) -> np.ndarray:
        """λ_κ^(n) of the depth-L recursion (both layers, with bias), plus the output bias's 1 at κ = 0."""
        orders = np.asarray(kappas)
        return (deep_circle_ntk_eigenvalues(orders, self.depth, self.points, True, "both")
                + np.where(orders == 0, OUTPUT_BIAS_KERNEL, 0.0))

    def check(self) -> None:
        super().check()
        if self.activation != "relu":
            self.refuse("activation", f"the depth-{self.depth} kernel is derived for relu, not {self.activation!r}")
        for width in self.widths:
            if (self.depth - 2) * width**2 * self.seeds > MAX_DEEP_WEIGHTS:
                self.refuse("widths", f"{width} at depth {self.depth} × {self.seeds} seeds holds "
                            f"{(self.depth - 2) * width**2 * self.seeds:.3g} hidden weights, above the limit "
                            f"{MAX_DEEP_WEIGHTS:.3g} of this machine's kind")


DEEP_CIRCLE_FIT = Experiment("deep-circle-fit", DeepCircleFit, CircleFitResult,
                             "fpcheck.empirics.circle_training:harmonic_fits",
                             "deep ReLU networks trained by gradient descent on one harmonic of the circle")
