"""The circle experiments (`fpcheck.empirics.circle_fit`, where the setups, results, conventions and
measurements live, and its Sobolev variant `fpcheck.empirics.sobolev_fit`): two-layer networks on n equispaced
points of the unit circle, their empirical NTK at initialisation, and gradient descent on one harmonic per run
through the one engine (`fpcheck.empirics.ensemble.train_ensemble`: plain gradient descent, the m^{-1/2} output
factor as its readout, the paired zero-output initialisation as its `initial`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from fpcheck.empirics import sobolev_fit
from fpcheck.empirics.circle_fit import (
    CircleFit,
    CircleFitResult,
    CircleKernel,
    CircleKernelResult,
    HarmonicRun,
    kernel_steps,
    run_lengths,
    step_sizes,
)
from fpcheck.empirics.deep_circle_fit import DeepCircleFit
from fpcheck.empirics.ensemble import TrainingConfig, train_ensemble
from fpcheck.empirics.grids import PeriodicGrid
from fpcheck.empirics.losses import SobolevLoss
from fpcheck.empirics.mlp import EnsembleParameters, MLPSpec, ensemble_forward, init_ensemble
from fpcheck.empirics.ntk import mode_rayleigh_quotients
from fpcheck.empirics.sobolev_fit import ORDERS, SobolevFit, SobolevFitResult


def circle_inputs(points: int) -> np.ndarray:
    """x_j = (cos θ_j, sin θ_j), θ_j = 2πj/n: (n, 2) float64."""
    angles = 2 * np.pi * np.arange(points) / points
    return np.stack([np.cos(angles), np.sin(angles)], axis=1)


def network_spec(width: int, activation: str) -> MLPSpec:
    """(2, width, 1), every weight and bias N(0, 1) (init "gaussian", scale 1)."""
    return MLPSpec((2, width, 1), activation, "gaussian", 1.0)


def paired_initialisation(spec: MLPSpec, seeds: Sequence[int], bias: bool = True) -> EnsembleParameters:
    """The seeds' draws (`init_ensemble`) with the second half of the neurons replaced by copies of the first
    half with opposite output weight, and the output bias (and with bias=False the hidden biases) set to 0:
    every network's output is 0 (up to the float32 rounding of the output sum, ~1e-7)."""
    params = init_ensemble(spec, seeds)
    half = spec.widths[1] // 2
    if 2 * half != spec.widths[1] or len(spec.widths) != 3:
        raise ValueError(f"a paired initialisation needs a two-layer network of even width, not {spec.widths}")
    weight, hidden_bias, output = params.weights[0], params.biases[0], params.weights[1]
    hidden_bias = hidden_bias if bias else torch.zeros_like(hidden_bias)
    return EnsembleParameters(
        [torch.cat([weight[:, :, :half], weight[:, :, :half]], dim=2).contiguous(),
         torch.cat([output[:, :half], -output[:, :half]], dim=1).contiguous()],
        [torch.cat([hidden_bias[:, :, :half], hidden_bias[:, :, :half]], dim=2).contiguous(),
         torch.zeros_like(params.biases[1])])


def _features(params: EnsembleParameters, inputs: np.ndarray, activation: str) -> tuple[torch.Tensor, ...]:
    """Pre-activations' activation σ(Z) and derivative σ'(Z) (S, n, m), output weights a (S, m), float64."""
    x = torch.as_tensor(inputs, dtype=torch.float64)
    weight, bias = params.weights[0].double(), params.biases[0].double()
    pre = torch.matmul(x, weight) + bias
    if activation == "relu":
        value, slope = torch.relu(pre), (pre > 0).double()
    elif activation == "tanh":
        value = torch.tanh(pre)
        slope = 1.0 - value**2
    else:
        raise ValueError(f"no kernel for the activation {activation!r}")
    return value, slope, params.weights[1][..., 0].double()


def two_layer_kernel(params: EnsembleParameters, inputs: np.ndarray, scale: float, activation: str,
                     layers: str = "both", bias: bool = True) -> np.ndarray:
    """The empirical NTK (S, n, n) of f = scale × (Σ_r a_r σ(w_r·x + b_r) + b), float64: the Gram matrix of the
    gradients in (w_r, b_r) (without bias: w_r only), plus those in a_r and b for layers="both" (one network at
    a time, to bound the memory)."""
    if layers not in ("hidden", "both"):
        raise ValueError(f"layers must be 'hidden' or 'both', not {layers!r}")
    x = torch.as_tensor(inputs, dtype=torch.float64)
    lifted = x @ x.T + (1.0 if bias else 0.0)
    kernels = []
    for member in range(params.members):
        one = EnsembleParameters([w[member : member + 1] for w in params.weights],
                                 [b[member : member + 1] for b in params.biases])
        value, slope, output = (t[0] for t in _features(one, inputs, activation))
        kernel = (slope * output**2) @ slope.T * lifted
        if layers == "both":
            kernel = kernel + value @ value.T + 1.0
        kernels.append((scale**2 * kernel).numpy())
    return np.stack(kernels)


def pair_quotients(params: EnsembleParameters, inputs: np.ndarray, kappas: Sequence[int], activation: str,
                   bias: bool = True) -> dict[str, np.ndarray]:
    """Per neuron of the first half (one per pair), the quotient along e_κ of its own kernel, normalised as
    λ_κ^(n) (`fpcheck.theory.ntk_fluctuation`): hidden (S, m/2, K) and both."""
    value, slope, output = _features(params, inputs, activation)
    half = value.shape[2] // 2
    value, slope, output = value[:, :, :half], slope[:, :, :half], output[:, :half]
    points = inputs.shape[0]
    angles = 2 * np.pi * np.arange(points) / points
    modes = np.exp(1j * np.outer(angles, np.asarray(kappas, dtype=float)))  # (n, K)
    cosines, sines = torch.as_tensor(modes.real), torch.as_tensor(modes.imag)
    lifted = np.concatenate([inputs, np.ones((points, 1))], axis=1) if bias else inputs

    def power(weights: torch.Tensor) -> torch.Tensor:
        """|Σ_j weights_j e_j|² (S, m/2, K) for weights (S, n, m/2)."""
        transposed = weights.transpose(1, 2)
        return torch.matmul(transposed, cosines) ** 2 + torch.matmul(transposed, sines) ** 2

    gate = sum(power(slope * torch.as_tensor(lifted[:, d])[None, :, None]) for d in range(lifted.shape[1]))
    hidden = output[:, :, None] ** 2 * gate / points**2
    relu = power(value) / points**2
    return {"hidden": hidden.numpy(), "both": (hidden + relu).numpy()}


def initial_kernels(setup: CircleKernel, seeds: Sequence[int]) -> CircleKernelResult:
    """The empirical NTK of each seed's paired network at initialisation and its quotients along e_κ."""
    width = setup.widths[0]
    inputs = circle_inputs(setup.points)
    params = paired_initialisation(network_spec(width, setup.activation), seeds, setup.bias)
    scale = width**-0.5
    quotients, rows = {}, None
    for layers in ("both", "hidden"):
        kernel = two_layer_kernel(params, inputs, scale, setup.activation, layers, setup.bias)
        quotients[layers] = mode_rayleigh_quotients(kernel, setup.grid, setup.kappas) / setup.points
        if layers == "both":
            rows = kernel[:, 0, :]
    spread: dict[str, list[np.ndarray]] = {"both": [], "hidden": []}
    for member in range(params.members):  # one network at a time, to bound the memory
        one = EnsembleParameters([w[member : member + 1] for w in params.weights],
                                 [b[member : member + 1] for b in params.biases])
        for layers, values in pair_quotients(one, inputs, setup.kappas, setup.activation, setup.bias).items():
            spread[layers].append(values[0].std(axis=0, ddof=1))
    return CircleKernelResult(seeds=tuple(seeds), quotients_both=quotients["both"],
                              quotients_hidden=quotients["hidden"], pair_sd_both=np.stack(spread["both"]),
                              pair_sd_hidden=np.stack(spread["hidden"]), kernel_row=rows)


def deep_network_spec(width: int, depth: int) -> MLPSpec:
    """(2, width, …, width, 1) with `depth` linear layers, relu, every weight and bias N(0, 1), the "ntk"
    parametrisation (`fpcheck.empirics.deep_circle_fit`)."""
    return MLPSpec((2, *[width] * (depth - 1), 1), "relu", "gaussian", 1.0, parametrization="ntk")


def layerwise_kernel(spec: MLPSpec, params: EnsembleParameters, inputs: np.ndarray) -> np.ndarray:
    """The empirical NTK (S, n, n) of every parameter of relu networks of any depth, float64, layer by layer:
    Σ_l s_l² (A_l A_lᵀ) ∘ (Δ_l Δ_lᵀ) + Δ_l Δ_lᵀ (`fpcheck.empirics.deep_circle_fit`), one network at a time."""
    if spec.activation != "relu" or spec.activation_step:
        raise ValueError(f"the layerwise kernel is written for relu networks without a jump, not {spec.activation!r} "
                         f"with activation_step {spec.activation_step:g}")
    kernels = []
    for member in range(params.members):
        with torch.enable_grad():  # the engine's snapshot hooks run without gradients
            kernels.append(_one_layerwise_kernel(spec, params, member, inputs))
    return np.stack(kernels)


def _one_layerwise_kernel(spec: MLPSpec, params: EnsembleParameters, member: int, inputs: np.ndarray) -> np.ndarray:
    weights = [w[member].double().requires_grad_(True) for w in params.weights]
    hidden = torch.as_tensor(inputs, dtype=torch.float64)
    layer_inputs, pre_activations = [], []
    for index, (weight, bias, factor) in enumerate(zip(weights, params.biases, spec.layer_scales, strict=True)):
        layer_inputs.append(hidden.detach())
        pre_activations.append(factor * hidden @ weight + bias[member, 0].double())
        hidden = torch.relu(pre_activations[-1]) if index < len(weights) - 1 else pre_activations[-1]
    deltas = torch.autograd.grad(hidden.sum(), pre_activations)
    kernel = torch.zeros(len(inputs), len(inputs), dtype=torch.float64)
    for layer_input, delta, factor in zip(layer_inputs, deltas, spec.layer_scales, strict=True):
        backward = delta @ delta.T
        kernel += factor**2 * (layer_input @ layer_input.T) * backward + backward
    return kernel.detach().numpy()


def harmonic_fit(setup: CircleFit, seeds: Sequence[int], width: int, kappa: int, lr: float,
                 steps: int, loss: SobolevLoss | None = None) -> HarmonicRun:
    """Every seed's network of `width` trained on cos κθ for `steps` updates of step lr / α², on `loss` (default
    the engine's mean squared error): the paired two-layer network, or with a `DeepCircleFit` the deep network
    minus its initial function (`fpcheck.empirics.deep_circle_fit`)."""
    inputs = circle_inputs(setup.points)
    grid: PeriodicGrid = setup.grid
    angles = grid.points
    target = np.cos(kappa * angles)
    x = torch.as_tensor(inputs, dtype=torch.float32)
    if isinstance(setup, DeepCircleFit):
        spec = deep_network_spec(width, setup.depth)
        initial = init_ensemble(spec, seeds)
        with torch.no_grad():
            start = ensemble_forward(spec, initial, x.to(initial.weights[0].device))
        scale = setup.lazy_scale

        def readout(_inputs: torch.Tensor, outputs: torch.Tensor) -> torch.Tensor:
            return (outputs - start) * scale

        def kernel_of(params: EnsembleParameters) -> np.ndarray:
            return scale**2 * layerwise_kernel(spec, params, inputs)
    else:
        spec = network_spec(width, setup.activation)
        initial = paired_initialisation(spec, seeds)
        scale = setup.lazy_scale * width**-0.5

        def readout(_inputs: torch.Tensor, outputs: torch.Tensor) -> torch.Tensor:
            return outputs * scale

        def kernel_of(params: EnsembleParameters) -> np.ndarray:
            return two_layer_kernel(params, inputs, scale, setup.activation)
    snapshots = kernel_steps(steps, setup.kernel_snapshots)
    quotients, drift, initial_kernel = [], [], []

    def record(step: int, params: EnsembleParameters) -> None:
        if step not in snapshots:
            return
        kernel = kernel_of(params)
        if not initial_kernel:
            initial_kernel.append(kernel)
        reference = initial_kernel[0]
        quotients.append(target @ kernel @ target / (target @ target) / setup.points / setup.lazy_scale**2)
        drift.append(np.linalg.norm(kernel - reference, axis=(1, 2)) / np.linalg.norm(reference, axis=(1, 2)))

    config = TrainingConfig(steps=int(steps), lr=float(lr) / setup.lazy_scale**2, optimizer="gd",
                            snapshot_steps=tuple(range(int(steps) + 1)),
                            description=f"circle fit (width {width}, κ = {kappa})")
    run = train_ensemble(spec, seeds, x, torch.as_tensor(target, dtype=torch.float32)[:, None], config,
                         initial=initial, on_snapshot=record, loss=loss, readout=readout)
    residual = run.outputs["train"][..., 0] - target  # (T + 1, S, n)
    coefficient = np.mean(residual * np.exp(-1j * kappa * angles), axis=-1)
    component = np.abs(coefficient) / np.abs(coefficient[:1])
    outside = residual[-1] - 2 * np.real(coefficient[-1][:, None] * np.exp(1j * kappa * angles))
    leakage = np.sqrt(np.mean(outside**2, axis=-1)) / np.sqrt(np.mean(target**2))
    recorded = len(quotients)
    return HarmonicRun(seeds=tuple(seeds), width=int(width), kappa=int(kappa), lr=float(lr), component=component,
                       leakage=leakage, kernel_steps=snapshots[:recorded].astype(float),
                       quotients=np.array(quotients), drift=np.array(drift), diverged=run.diverged_seeds)


def harmonic_fits(setup: CircleFit, seeds: Sequence[int]) -> CircleFitResult:
    """One run per width and κ (widths outer), at the step rule's η_κ for its run length."""
    rates, lengths = step_sizes(setup), run_lengths(setup)
    runs = tuple(harmonic_fit(setup, seeds, width, kappa, lr, steps) for width in setup.widths
                 for kappa, lr, steps in zip(setup.kappas, rates, lengths, strict=True))
    return CircleFitResult(seeds=tuple(seeds), runs=runs)


def sobolev_fits(setup: SobolevFit, seeds: Sequence[int]) -> SobolevFitResult:
    """Per order s of `ORDERS`, one run per κ on the H^s loss at the step rule's η_s
    (`fpcheck.empirics.sobolev_fit`)."""
    width, fits = setup.widths[0], []
    for s in ORDERS:
        loss = SobolevLoss(setup.points, s, cap=setup.weight_cap)
        lr = sobolev_fit.step_size(setup, s)
        runs = tuple(harmonic_fit(setup, seeds, width, kappa, lr, int(steps), loss)
                     for kappa, steps in zip(setup.kappas, sobolev_fit.run_lengths(setup, s), strict=True))
        fits.append(CircleFitResult(seeds=tuple(seeds), runs=runs))
    return SobolevFitResult(seeds=tuple(seeds), fits=tuple(fits))
