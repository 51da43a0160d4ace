"""Per-band L² losses over training: the run functions of the stage-grid experiments of Luo, Ma, Xu, Zhang 2019.

The setups, results and measurements are `fpcheck.empirics.stage_grid` (torch-free); this module builds
the networks, takes the gradients and integrates the dynamics, in float64 on one torch thread. The
quantities of docs/formulas.md §3 (our reconstruction of the source's form, see `fpcheck.theory.stages`)
on a one-hidden-layer network f_θ(x) = Σ_j a_j σ(w_j x + b_j):

- the residual h = (f_θ - f*) √ρ on a uniform grid wide enough that √ρ is negligible at both ends
  (`fpcheck.empirics.stage_grid.DensityGrid` raises ValueError otherwise), L = ½ ‖h‖² = ½ ∫ (f_θ - f*)² ρ dx;
- its spectrum ĥ(ξ_m) = Δ Σ_n h(x_n) e^{-2πimn/N}: ordinary frequency ξ_m = `fftfreq(N, Δ)`, unitary
  transform (ĝ(ξ) = ∫ g e^{-2πiξx} dx), with the phase e^{-2πiξx_0} of the grid's start dropped because
  only |ĥ|² and conj(ĥ)·ĝ products of two grid functions are used, where it cancels;
- L^±_η = ½ ‖P^±_η h‖² with P⁺_η keeping |ξ| > η (`fpcheck.theory.stages.band_masks`), over training;
- the exact instantaneous ratio |dL⁺_η/dt| / |dL/dt| = |∇L⁺_η · ∇L| / ‖∇L‖² under gradient flow,
  both gradients by autograd (no finite differences);
- ∂_t h = √ρ ∇_θ f · θ' with θ' = -∇L, by a Jacobian-vector product (`torch.func.jvp`);
- gradient flow integrated by plain float64 gradient descent (`gradient_descent_float64`), and the three
  stages located automatically: initial = step 0, intermediate = the first step with L ≤ L(0)/2,
  final = the last step. Gradient-flow time is T = steps × learning rate.

The training loss is L, or for the controls the Sobolev loss L_W = ½ Δ/N Σ_m w_m |FFT(h)_m|² with the
weights of `fpcheck.empirics.stage_grid.sobolev_loss_weights` (a Fourier multiplier W, so ∇L_W = Jᵀ W h
and L_W = ½ ⟨h, W h⟩); the flow is then θ' = -∇L_W, and every band quantity stays that of L.
Activations: tanh, ReLU and the logistic sigmoid of `fpcheck.empirics.mlp`, and σ = max(z, 0)^p for
p = 2, 3 (`relu2`, `relu3`: the regularity claim's lower and higher regularities).

Run functions (one per experiment of `stage_grid`): `initial_stage`, `halving_stage`, `final_stage`,
`tail_decay`. θ_0 is drawn per seed from `torch.Generator().manual_seed(seed)`
(`FlatShallowNetwork.initial_parameters`), the learning rate is step_fraction / λ_max(Gauss–Newton at θ_0).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import torch
from torch.func import jvp

from fpcheck.empirics.mlp import ACTIVATIONS as NETWORK_ACTIVATIONS
from fpcheck.empirics.stage_grid import (
    ACTIVATIONS,
    TAIL_ACTIVATIONS,
    DensityGrid,
    FinalStage,
    FinalStageResult,
    HalvingStage,
    HalvingStageResult,
    InitialStage,
    InitialStageResult,
    StageBounds,
    StageGrid,
    TailDecay,
    TailDecayResult,
    finite_positive,
)
from fpcheck.theory.stages import (
    band_energies,
    band_masks,
    relative_tail_norms,
    sobolev_gradient_constant,
    sobolev_norm,
)

DTYPE = torch.float64
DIVERGENCE_FACTOR = 1e6
"""Gradient descent has diverged when the loss exceeds this multiple of L(0)."""
ACTIVATION_FUNCTIONS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    **NETWORK_ACTIVATIONS,
    "relu2": lambda z: torch.relu(z) ** 2,
    "relu3": lambda z: torch.relu(z) ** 3,
}
"""σ by name: the ensemble's activations and max(z, 0)^p for p = 2, 3."""
SLOPES: dict[str, Callable[[torch.Tensor, torch.Tensor], torch.Tensor]] = {
    "tanh": lambda z, value: 1.0 - value**2,
    "relu": lambda z, value: (z > 0).to(z.dtype),
    "logistic": lambda z, value: value * (1.0 - value),
    "relu2": lambda z, value: 2.0 * torch.relu(z),
    "relu3": lambda z, value: 3.0 * torch.relu(z) ** 2,
}
"""σ'(z) in closed form from z and σ(z) (the gradient-descent loop; checked against autograd in the tests)."""


@contextmanager
def single_threaded() -> Iterator[None]:
    """Run torch on one intra-op thread inside the block, then restore the previous count.

    The tensors here are small (grid points × neurons); torch's intra-op threads only add
    synchronisation, and on a loaded machine float64 `torch.tanh` with 2 threads was measured 20× slower
    than with 1. One thread also makes the numbers independent of the caller's thread count.
    """
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


@dataclass(frozen=True)
class FlatShallowNetwork:
    """f_θ(x) = Σ_j a_j σ(w_j x + b_j) with θ = (a_1…a_m, w_1…w_m, b_1…b_m) one flat float64 vector.

    A function of θ rather than a torch module holding a, w, b, so that the gradient-flow Jacobians of
    the stage dynamics take one tensor."""

    width: int
    activation: str

    def __post_init__(self) -> None:
        if isinstance(self.width, bool) or not isinstance(self.width, int | np.integer) or self.width < 1:
            raise ValueError(f"the width must be a positive integer, not {self.width!r}")
        if self.activation not in ACTIVATION_FUNCTIONS:
            raise ValueError(f"activation must be one of {', '.join(ACTIVATION_FUNCTIONS)}, not {self.activation!r}")

    @property
    def parameter_count(self) -> int:
        return 3 * self.width

    def unpack(self, theta: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(a, w, b) views of θ."""
        if theta.shape != (self.parameter_count,):
            raise ValueError(f"θ must have shape ({self.parameter_count},), not {tuple(theta.shape)}")
        return theta[: self.width], theta[self.width : 2 * self.width], theta[2 * self.width :]

    def __call__(self, theta: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        a, w, b = self.unpack(theta)
        return ACTIVATION_FUNCTIONS[self.activation](x[:, None] * w[None, :] + b[None, :]) @ a

    def initial_parameters(
        self, seed: int, weight_std: float = 1.0, bias_std: float = 1.0, output_std: float | None = None
    ) -> torch.Tensor:
        """θ_0 from `torch.Generator().manual_seed(seed)`, drawn in the order a, w, b:
        a ~ N(0, output_std²) (default output_std = 1/√m), w ~ N(0, weight_std²), b ~ N(0, bias_std²)."""
        if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
            raise ValueError(f"a seed must be a non-negative integer, not {seed!r}")
        weight_std, bias_std = finite_positive("weight_std", weight_std), finite_positive("bias_std", bias_std)
        output_std = self.width**-0.5 if output_std is None else finite_positive("output_std", output_std)
        generator = torch.Generator().manual_seed(int(seed))
        a = torch.randn(self.width, generator=generator, dtype=DTYPE) * output_std
        w = torch.randn(self.width, generator=generator, dtype=DTYPE) * weight_std
        b = torch.randn(self.width, generator=generator, dtype=DTYPE) * bias_std
        return torch.cat([a, w, b])

    def max_abs_weight(self, theta: torch.Tensor) -> float:
        """max_j |w_j| (the predicted tail rates are π²/max|w| and 2π²/max|w|)."""
        return float(self.unpack(theta)[1].abs().max())


def _check_theta(theta: torch.Tensor) -> None:
    if not bool(torch.isfinite(theta).all()):
        raise ValueError("the network parameters θ hold NaN or inf")


class StageProblem:
    """The weighted residual of one network against one target on one density grid (float64), trained
    on L (`loss_weights` None) or on the Sobolev loss with the given weights at the grid's frequencies."""

    def __init__(self, grid: DensityGrid, network: FlatShallowNetwork, target: np.ndarray,
                 loss_weights: np.ndarray | None = None) -> None:
        target = np.asarray(target, dtype=float)
        if target.shape != (grid.points,) or not np.all(np.isfinite(target)):
            raise ValueError(f"the target must be {grid.points} finite values on the grid, not shape {target.shape}")
        if loss_weights is not None:
            loss_weights = np.asarray(loss_weights, dtype=float)
            finite = np.all(np.isfinite(loss_weights)) and not np.any(loss_weights <= 0)
            if loss_weights.shape != (grid.points,) or not finite:
                raise ValueError(f"the loss weights must be {grid.points} finite positive values, one per frequency")
            if not np.array_equal(loss_weights, loss_weights[(-np.arange(grid.points)) % grid.points]):
                raise ValueError("the loss weights must be even in ξ (w(-ξ) = w(ξ)), so that W h stays real")
        self.grid, self.network = grid, network
        self._x = torch.tensor(grid.x, dtype=DTYPE)
        self._sqrt_density = torch.tensor(grid.sqrt_density, dtype=DTYPE)
        self._target = torch.tensor(target, dtype=DTYPE)
        self._xi = np.abs(grid.frequencies)
        self.loss_weights = loss_weights
        self._weights = None if loss_weights is None else torch.tensor(loss_weights, dtype=DTYPE)

    @property
    def largest_weight(self) -> float:
        """max w (1 for the MSE)."""
        return 1.0 if self.loss_weights is None else float(self.loss_weights.max())

    def weighted(self, h: torch.Tensor) -> torch.Tensor:
        """W h: the residual with its spectrum multiplied by the loss weights (h itself for the MSE)."""
        if self._weights is None:
            return h
        return torch.fft.ifft(torch.fft.fft(h) * self._weights).real

    def training_loss_of_residual(self, h: torch.Tensor) -> torch.Tensor:
        """L_train = ½ Δ ⟨h, W h⟩ = ½ Δ/N Σ_m w_m |FFT(h)_m|² (L for the MSE)."""
        if self._weights is None:
            return self.loss_of_residual(h)
        return 0.5 * self.spacing * torch.sum(h * self.weighted(h))

    def training_loss(self, theta: torch.Tensor) -> torch.Tensor:
        return self.training_loss_of_residual(self.residual(theta))

    @property
    def spacing(self) -> float:
        return self.grid.spacing

    def residual(self, theta: torch.Tensor) -> torch.Tensor:
        """h = (f_θ - f*) √ρ on the grid."""
        return (self.network(theta, self._x) - self._target) * self._sqrt_density

    def loss_of_residual(self, h: torch.Tensor) -> torch.Tensor:
        """L = ½ ‖h‖² = ½ Δ Σ_n h_n²."""
        return 0.5 * self.spacing * torch.sum(h**2)

    def loss(self, theta: torch.Tensor) -> torch.Tensor:
        return self.loss_of_residual(self.residual(theta))

    def loss_and_gradient(self, theta: torch.Tensor) -> tuple[torch.Tensor, float, torch.Tensor]:
        """(h, L_train, ∇L_train) with the gradient in closed form, for the gradient-descent loop (no
        autograd graph).

        With r_n = Δ (W h)_n √ρ(x_n) and z_nj = w_j x_n + b_j: ∂L/∂a_j = Σ_n r_n σ(z_nj),
        ∂L/∂w_j = a_j Σ_n r_n x_n σ'(z_nj), ∂L/∂b_j = a_j Σ_n r_n σ'(z_nj) (W = identity for the MSE).
        """
        a, w, b = self.network.unpack(theta)
        z = self._x[:, None] * w[None, :] + b[None, :]
        values = ACTIVATION_FUNCTIONS[self.network.activation](z)
        h = (values @ a - self._target) * self._sqrt_density
        weights = self.spacing * self.weighted(h) * self._sqrt_density
        slopes = SLOPES[self.network.activation](z, values) * weights[:, None]
        gradient = torch.cat([weights @ values, a * (self._x @ slopes), a * slopes.sum(dim=0)])
        return h, float(self.training_loss_of_residual(h)), gradient

    def high_band_loss(self, theta: torch.Tensor, eta: float) -> torch.Tensor:
        """L⁺_η = ½ ‖P⁺_η h‖² = ½ Σ_{|ξ_m|>η} |ĥ(ξ_m)|² / (NΔ) (Plancherel on the grid), differentiable."""
        high, _ = band_masks(self.grid.frequencies, eta)
        spectrum = torch.fft.fft(self.residual(theta)) * self.spacing
        mask = torch.tensor(high, dtype=torch.bool)
        return 0.5 * torch.sum(spectrum.abs() ** 2 * mask) / (self.grid.points * self.spacing)

    def gradient(self, theta: torch.Tensor) -> torch.Tensor:
        """∇L by autograd."""
        _check_theta(theta)
        point = theta.detach().clone().requires_grad_(True)
        (grad,) = torch.autograd.grad(self.loss(point), point)
        return grad

    def training_gradient(self, theta: torch.Tensor) -> torch.Tensor:
        """∇L_train by autograd (∇L for the MSE)."""
        if self._weights is None:
            return self.gradient(theta)
        _check_theta(theta)
        point = theta.detach().clone().requires_grad_(True)
        (grad,) = torch.autograd.grad(self.training_loss(point), point)
        return grad

    def band_rates(self, theta: torch.Tensor, etas: Sequence[float]) -> tuple[np.ndarray, float]:
        """(-dL⁺_η/dt for every η, -dL/dt) under the flow θ' = -∇L_train: ∇L⁺_η · ∇L_train and
        ∇L · ∇L_train, every gradient by autograd (exact; positive when the loss falls)."""
        flow = self.training_gradient(theta)
        total = float(self.gradient(theta) @ flow)
        high = []
        for eta in etas:
            point = theta.detach().clone().requires_grad_(True)
            (grad_high,) = torch.autograd.grad(self.high_band_loss(point, float(eta)), point)
            high.append(float(grad_high @ flow))
        return np.array(high), total

    def instantaneous_ratios(self, theta: torch.Tensor, etas: Sequence[float]) -> np.ndarray:
        """|dL⁺_η/dt| / |dL/dt| for every η under θ' = -∇L_train (for the MSE |∇L⁺_η · ∇L| / ‖∇L‖²)."""
        high, total = self.band_rates(theta, etas)
        if total == 0:
            raise ValueError("dL/dt = 0 at θ (a critical point of the flow): the ratio is undefined")
        return np.abs(high) / abs(total)

    def velocity(self, theta: torch.Tensor, direction: torch.Tensor | None = None) -> torch.Tensor:
        """∂_t h = √ρ ∇_θ f · θ' by a Jacobian-vector product, θ' = -∇L_train unless `direction` is given."""
        _check_theta(theta)
        tangent = -self.training_gradient(theta) if direction is None else direction.to(DTYPE)
        _, derivative = jvp(self.residual, (theta.detach(),), (tangent,))
        return derivative

    def weighted_jacobian(self, theta: torch.Tensor) -> np.ndarray:
        """√ρ ∂_{θ_k} f(x_n) as an array (parameters, grid points).

        Each parameter moves one neuron: ∂f/∂a_j = σ(z_j), ∂f/∂w_j = a_j x σ'(z_j), ∂f/∂b_j = a_j σ'(z_j)
        with z_j = w_j x + b_j, and σ'(z) in closed form (`SLOPES`; the tests check the whole Jacobian
        against `torch.func.jacfwd`). Exact and much faster than jacfwd here.
        """
        _check_theta(theta)
        a, w, b = self.network.unpack(theta.detach())
        z = self._x[:, None] * w[None, :] + b[None, :]
        values = ACTIVATION_FUNCTIONS[self.network.activation](z)
        slopes = SLOPES[self.network.activation](z, values)
        weight = self._sqrt_density[:, None]
        blocks = [values * weight, a * self._x[:, None] * slopes * weight, a * slopes * weight]
        return torch.cat(blocks, dim=1).T.numpy()

    def sobolev_constant(self, theta: torch.Tensor, s: float) -> float:
        """G_s = (Σ_k ‖√ρ ∂_{θ_k} f‖²_{H^s})^{1/2} (`fpcheck.theory.stages.sobolev_gradient_constant`)."""
        return sobolev_gradient_constant(self.weighted_jacobian(theta), self.spacing, s)

    def band_losses(self, h: np.ndarray, etas: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
        """(L⁺_η, L⁻_η) of a residual on the grid for every η."""
        high, low = band_energies(h, self.spacing, etas)
        return 0.5 * high, 0.5 * low

    def gauss_newton_top_eigenvalue(self, theta: torch.Tensor) -> float:
        """The largest eigenvalue of the Gauss–Newton matrix Δ Jᵀ W J of L_train at θ (J = √ρ ∂_θ f on the
        grid; for the Sobolev loss Δ/N Re(Ĵ diag(w) Ĵᴴ) with Ĵ the FFT of J's rows, by Parseval).

        Gradient descent on the linearised model is stable for lr < 2 / this value.
        """
        if self.loss_weights is None:
            jacobian = self.weighted_jacobian(theta) * np.sqrt(self.spacing)
            return float(np.linalg.eigvalsh(jacobian @ jacobian.T)[-1])
        spectra = np.fft.fft(self.weighted_jacobian(theta), axis=1) * np.sqrt(self.loss_weights * self.spacing
                                                                              / self.grid.points)
        return float(np.linalg.eigvalsh((spectra @ spectra.conj().T).real)[-1])

    def velocity_tail_norms(self, theta: torch.Tensor, etas: Sequence[float]) -> np.ndarray:
        """‖P⁺_η ∂_t h‖ / ‖∂_t h‖ at θ for every η (the tail of the spectrum of ∂_t h, by JVP)."""
        return relative_tail_norms(self.velocity(theta).numpy(), self.spacing, etas)


def change_tail_ratios(initial: np.ndarray, later: np.ndarray, spacing: float, etas: Sequence[float]) -> np.ndarray:
    """‖P⁺_η (h_T - h_0)‖ / ‖h_T - h_0‖ for every η (the quantity of bound II at the first MSE halving)."""
    change = np.asarray(later, dtype=float) - np.asarray(initial, dtype=float)
    return relative_tail_norms(change, spacing, etas)


@dataclass(frozen=True)
class Stages:
    """Steps of the three stages: initial (0), intermediate (first L ≤ L(0)/2; None if never), final."""

    initial: int
    intermediate: int | None
    final: int


def locate_stages(loss: np.ndarray) -> Stages:
    """The three stages of a loss curve L_0 … L_n (one value per gradient-descent step)."""
    loss = np.asarray(loss, dtype=float)
    if loss.ndim != 1 or loss.size < 1 or not np.all(np.isfinite(loss)):
        raise ValueError("the loss curve must be a non-empty 1-D array of finite values")
    halved = np.flatnonzero(loss <= loss[0] / 2.0)
    return Stages(initial=0, intermediate=int(halved[0]) if halved.size else None, final=int(loss.size - 1))


@dataclass(frozen=True)
class Trajectory:
    """A gradient-descent run with its band losses at every step.

    `loss`: the training loss at every step (L for the MSE; the stages are located on it). `high`, `low`:
    L⁺_η, L⁻_η (of L, whatever the training loss) of shape (steps + 1, len(etas)). Up to the intermediate stage (or the
    whole run when L never halves): `sup_sobolev_constant` = max over the iterates of G_s and
    `dissipation` = Σ_n lr ‖∇L_train,n‖² (gradient flow: ∫‖∇L‖² dt = L(0) - L(T)). Over the whole run:
    `path_sobolev_length` = Σ_n ‖h_{n+1} - h_n‖_{H^s} (the discrete ∫‖∂_t h‖_{H^s} dt of bound III).
    """

    learning_rate: float
    etas: np.ndarray
    loss: np.ndarray
    high: np.ndarray
    low: np.ndarray
    stages: Stages
    initial_residual: np.ndarray
    intermediate_residual: np.ndarray | None
    final_residual: np.ndarray
    sup_sobolev_constant: float
    dissipation: float
    path_sobolev_length: float
    final_parameters: torch.Tensor
    diverged: bool

    def relative_band_progress(self) -> tuple[np.ndarray, np.ndarray]:
        """(L⁺_η(T) / L⁺_η(0), L⁻_η(T) / L⁻_η(0)) at the final stage, for every η."""
        return self.high[-1] / self.high[0], self.low[-1] / self.low[0]

    @property
    def final_time(self) -> float:
        """T = (final step) × learning rate."""
        return self.stages.final * self.learning_rate

    @property
    def halving_time(self) -> float:
        """T = (intermediate step) × learning rate; ValueError when L never fell to L(0)/2."""
        if self.stages.intermediate is None:
            raise ValueError(f"L never fell to L(0)/2 within {self.stages.final} steps: train longer")
        return self.stages.intermediate * self.learning_rate


def gradient_descent_float64(
    problem: StageProblem,
    theta: torch.Tensor,
    learning_rate: float,
    steps: int,
    etas: Sequence[float],
    s: float,
    stop_at_halving: bool = False,
    track_sobolev: bool = True,
) -> Trajectory:
    """Gradient flow θ' = -∇L integrated by plain gradient descent θ_{n+1} = θ_n - lr ∇L(θ_n) in float64,
    with the band losses at every step (the stage claims' integrator; not the training engine
    `fpcheck.empirics.ensemble.train_ensemble`, which trains float32 ensembles).

    The residuals h_n of every step are kept and their spectra taken at the end, all at once. With
    `track_sobolev`, G_s is evaluated at every iterate up to the first MSE halving (its sup enters bound
    II; otherwise `sup_sobolev_constant` is NaN). A loss that turns NaN/inf, or grows beyond
    DIVERGENCE_FACTOR × L(0), ends the run with `diverged=True`. Runs on one torch thread.
    """
    learning_rate = finite_positive("the learning rate", learning_rate)
    if isinstance(steps, bool) or not isinstance(steps, int | np.integer) or steps < 1:
        raise ValueError(f"steps must be a positive integer, not {steps!r}")
    _check_theta(theta)
    etas = np.asarray(etas, dtype=float)
    theta = theta.detach().clone()
    residuals = np.empty((steps + 1, problem.grid.points))
    losses: list[float] = []
    sup_g = float("nan") if not track_sobolev else 0.0
    dissipation = 0.0
    halved_at: int | None = None
    diverged = False
    with single_threaded():
        for step in range(steps + 1):
            residual, value, grad = problem.loss_and_gradient(theta)
            if not np.isfinite(value) or (losses and value > DIVERGENCE_FACTOR * losses[0]):
                diverged = True
                break
            residuals[step] = residual.numpy()
            losses.append(value)
            if halved_at is None:
                if track_sobolev:
                    sup_g = max(sup_g, problem.sobolev_constant(theta, s))
                if value <= losses[0] / 2.0:
                    halved_at = step
                    if stop_at_halving:
                        break
            if step == steps:
                break
            if halved_at is None:
                dissipation += learning_rate * float(grad @ grad)
            theta = theta - learning_rate * grad
    if not losses:
        raise ValueError("the loss at initialisation is NaN or inf (check the parameters and the target)")
    residuals = residuals[: len(losses)]
    high, low = problem.band_losses(residuals, etas)
    steps_taken = np.diff(residuals, axis=0)
    path_length = float(np.sum(sobolev_norm(steps_taken, problem.spacing, s))) if len(steps_taken) else 0.0
    return Trajectory(
        learning_rate=learning_rate,
        etas=etas,
        loss=np.array(losses),
        high=high,
        low=low,
        stages=locate_stages(np.array(losses)),
        initial_residual=residuals[0],
        intermediate_residual=None if halved_at is None else residuals[halved_at],
        final_residual=residuals[-1],
        sup_sobolev_constant=sup_g,
        dissipation=dissipation,
        path_sobolev_length=path_length,
        final_parameters=theta,
        diverged=diverged,
    )


# ------------------------------------------------------------------------------ the stage experiments

def stage_problem(setup: StageGrid, activation: str, grid: DensityGrid | None = None) -> StageProblem:
    """The setup's width-`width` network with `activation` against its target on its density grid, with the
    setup's training loss (a tail-decay setup has none: the MSE)."""
    grid = setup.grid if grid is None else grid
    weights = setup.training_weights(grid) if isinstance(setup, StageBounds) else None
    return StageProblem(grid, FlatShallowNetwork(setup.width, activation), setup.target(grid), weights)


def initial_parameters(setup: StageGrid, network: FlatShallowNetwork, seed: int) -> torch.Tensor:
    """θ_0 of `seed`: a ~ N(0, output_std²), w ~ N(0, weight_std²), b ~ N(0, bias_std²)."""
    return network.initial_parameters(seed, weight_std=setup.weight_std, bias_std=setup.bias_std,
                                      output_std=setup.output_std)


def descend(setup: HalvingStage | FinalStage, problem: StageProblem, seed: int, steps: int,
            stop_at_halving: bool) -> Trajectory:
    """Gradient descent from θ_0 of `seed` with lr = step_fraction / λ_max(Gauss–Newton of L_train at θ_0);
    G_s is tracked up to the halving only when the run stops there (bound II needs it, the final stage
    does not)."""
    theta = initial_parameters(setup, problem.network, seed)
    learning_rate = setup.step_fraction / problem.gauss_newton_top_eigenvalue(theta)
    return gradient_descent_float64(problem, theta, learning_rate, steps, setup.etas,
                                    setup.sobolev_exponent(problem.network.activation),
                                    stop_at_halving=stop_at_halving, track_sobolev=stop_at_halving)


def initial_stage(setup: InitialStage, seeds: Sequence[int]) -> InitialStageResult:
    """At θ_0 of every (activation, seed), under θ' = -∇L_train: the exact -dL⁺_η/dt and -dL/dt, L⁺_η/L,
    G_s, L and ‖∇L_train‖."""
    shape = (len(ACTIVATIONS), len(seeds))
    high_rates, high_share = np.empty((*shape, len(setup.etas))), np.empty((*shape, len(setup.etas)))
    loss_rate, g_s, loss, flow_norm = np.empty(shape), np.empty(shape), np.empty(shape), np.empty(shape)
    with single_threaded():
        for a, activation in enumerate(ACTIVATIONS):
            problem = stage_problem(setup, activation)
            s = setup.sobolev_exponent(activation)
            for m, seed in enumerate(seeds):
                theta = initial_parameters(setup, problem.network, seed)
                high_rates[a, m], loss_rate[a, m] = problem.band_rates(theta, setup.etas)
                residual = problem.residual(theta).detach().numpy()
                high, low = problem.band_losses(residual, setup.etas)
                high_share[a, m] = high / (high + low)
                g_s[a, m] = problem.sobolev_constant(theta, s)
                loss[a, m] = float(problem.loss(theta))
                flow_norm[a, m] = float(problem.training_gradient(theta).norm())
    return InitialStageResult(seeds=tuple(seeds), activations=ACTIVATIONS, high_rates=high_rates,
                              high_share=high_share, loss_rate=loss_rate, g_s=g_s, loss=loss, flow_norm=flow_norm)


def halving_stage(setup: HalvingStage, seeds: Sequence[int]) -> HalvingStageResult:
    """Gradient descent of every (activation, seed) up to the first step with L_train ≤ L_train(0)/2.

    A diverged run, or one that did not halve within `max_steps`, keeps NaN and step -1 (the claim reads
    the step as its fit criterion)."""
    shape = (len(ACTIVATIONS), len(seeds))
    change_share = np.full((*shape, len(setup.etas)), np.nan)
    initial_share = np.full_like(change_share, np.nan)
    sup_g_s, time, dissipation = np.full(shape, np.nan), np.full(shape, np.nan), np.full(shape, np.nan)
    initial_loss, initial_training_loss = np.full(shape, np.nan), np.full(shape, np.nan)
    step, diverged = np.full(shape, -1, dtype=int), np.zeros(shape, dtype=bool)
    largest_weight = 1.0
    with single_threaded():
        for a, activation in enumerate(ACTIVATIONS):
            problem = stage_problem(setup, activation)
            largest_weight = problem.largest_weight
            for m, seed in enumerate(seeds):
                trajectory = descend(setup, problem, seed, setup.max_steps, stop_at_halving=True)
                if trajectory.diverged:
                    diverged[a, m] = True
                    continue
                initial_loss[a, m] = 0.5 * problem.spacing * float(np.sum(trajectory.initial_residual**2))
                initial_training_loss[a, m] = trajectory.loss[0]
                initial_share[a, m] = relative_tail_norms(trajectory.initial_residual, problem.spacing, setup.etas)
                if trajectory.stages.intermediate is None:
                    continue
                time[a, m] = trajectory.halving_time
                change_share[a, m] = change_tail_ratios(trajectory.initial_residual, trajectory.intermediate_residual,
                                                        problem.spacing, setup.etas)
                sup_g_s[a, m] = trajectory.sup_sobolev_constant
                step[a, m] = trajectory.stages.intermediate
                dissipation[a, m] = trajectory.dissipation
    return HalvingStageResult(seeds=tuple(seeds), activations=ACTIVATIONS, change_share=change_share,
                              initial_share=initial_share, sup_g_s=sup_g_s, time=time, step=step,
                              dissipation=dissipation, initial_loss=initial_loss,
                              initial_training_loss=initial_training_loss, largest_weight=largest_weight,
                              diverged=diverged)


def final_stage(setup: FinalStage, seeds: Sequence[int]) -> FinalStageResult:
    """Gradient descent of every (activation, seed) for `steps` steps, with L^±_η and L_train at every step."""
    shape = (len(ACTIVATIONS), len(seeds))
    high = np.full((*shape, setup.steps + 1, len(setup.etas)), np.nan)
    low = np.full_like(high, np.nan)
    training_loss = np.full((*shape, setup.steps + 1), np.nan)
    final_step, halving_step = np.zeros(shape, dtype=int), np.full(shape, -1, dtype=int)
    learning_rate, path_length = np.empty(shape), np.empty(shape)
    diverged = np.zeros(shape, dtype=bool)
    with single_threaded():
        for a, activation in enumerate(ACTIVATIONS):
            problem = stage_problem(setup, activation)
            for m, seed in enumerate(seeds):
                trajectory = descend(setup, problem, seed, setup.steps, stop_at_halving=False)
                taken = trajectory.loss.size
                high[a, m, :taken], low[a, m, :taken] = trajectory.high, trajectory.low
                training_loss[a, m, :taken] = trajectory.loss
                final_step[a, m] = trajectory.stages.final
                if trajectory.stages.intermediate is not None:
                    halving_step[a, m] = trajectory.stages.intermediate
                learning_rate[a, m] = trajectory.learning_rate
                path_length[a, m] = trajectory.path_sobolev_length
                diverged[a, m] = trajectory.diverged
    return FinalStageResult(seeds=tuple(seeds), activations=ACTIVATIONS, high=high, low=low,
                            training_loss=training_loss, final_step=final_step, halving_step=halving_step,
                            learning_rate=learning_rate, path_sobolev_length=path_length, diverged=diverged)


def tail_decay(setup: TailDecay, seeds: Sequence[int]) -> TailDecayResult:
    """At θ_0 of every (activation, seed): ‖P⁺_η ∂_t h‖ / ‖∂_t h‖ at every η the grid resolves, and max|w|."""
    grid = setup.grid
    etas = grid.resolved_etas()
    shape = (len(TAIL_ACTIVATIONS), len(seeds))
    tails, max_abs_weight = np.empty((*shape, etas.size)), np.empty(shape)
    with single_threaded():
        for a, activation in enumerate(TAIL_ACTIVATIONS):
            problem = stage_problem(setup, activation, grid)
            for m, seed in enumerate(seeds):
                theta = initial_parameters(setup, problem.network, seed)
                tails[a, m] = problem.velocity_tail_norms(theta, etas)
                max_abs_weight[a, m] = problem.network.max_abs_weight(theta)
    return TailDecayResult(seeds=tuple(seeds), activations=TAIL_ACTIVATIONS, etas=etas, tails=tails,
                           max_abs_weight=max_abs_weight)
