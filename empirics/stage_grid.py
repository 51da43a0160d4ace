"""The stage-grid family: one-hidden-layer networks on a density grid, the three training stages of
Luo, Ma, Xu, Zhang 2019 and the regularity of their gradients, and what is measured on them. Torch-free:
the networks, the gradients and the float64 gradient descent are `fpcheck.empirics.band_ratios`, which
runs the experiments declared here.

Setting (docs/formulas.md §3, our reconstruction of the source's form, `fpcheck.theory.stages`):
f_θ(x) = Σ_j a_j σ(w_j x + b_j), j = 1 … `width`, with θ_0 drawn per seed (a ~ N(0, output_std²),
w ~ N(0, weight_std²), b ~ N(0, bias_std²)); data density ρ = N(0, sigma²) (or, with `density =
"uniform"`, the uniform density of the same variance on |x| < √3 σ) on the uniform grid of `grid_points`
points of [-half_width, half_width) (`DensityGrid`, refused when √ρ at its ends exceeds 1e-12 of its
peak); target f* = Σ_i A_i sin(2π ξ_i x) (ordinary frequency); residual h = (f_θ - f*) √ρ, L = ½ ‖h‖²,
L^±_η = ½ ‖P^±_η h‖² with P⁺_η keeping |ξ| > η. Training is plain float64 gradient descent on the
training loss, lr = step_fraction / λ_max(Gauss–Newton of the training loss at θ_0), T = steps × lr.
The training loss is L itself (`loss = "mse"`) or, for the controls, the Sobolev loss
L_W = ½ ∫ w(ξ) |ĥ(ξ)|² dξ with w(ξ) = (1 + (2π min(|ξ|, sobolev_cap))²)^sobolev_s (`sobolev_loss_weights`;
the weight is in the angular frequency k = 2πξ, the convention of the sine-fit family's Sobolev loss on
[-π, π); Yu, Yang, Townsend 2023, arXiv:2205.14300). Whatever the training loss, every measured band
quantity is of the MSE split L = L⁺_η + L⁻_η.

Experiments (each a setup type and a result type; arrays are indexed [activation, seed, …] in the
order of the result's `activations` and of the seeds):
- `INITIAL_STAGE` (`InitialStage`): at θ_0 under the flow θ' = -∇L_train, -dL⁺_η/dt (exact, autograd),
  -dL/dt, L⁺_η/L, G_s, L and ‖∇L_train‖;
- `HALVING_STAGE` (`HalvingStage`): gradient descent up to the first step with L_train ≤ L_train(0)/2,
  where ‖P⁺_η Δh‖ / ‖Δh‖, ‖P⁺_η h_0‖ / ‖h_0‖, the sup of G_s over the iterates, T and Σ lr ‖∇L_train‖²
  are kept (a run that never halves within max_steps is kept with step -1);
- `FINAL_STAGE` (`FinalStage`): gradient descent for `steps` steps with L^±_η and L_train at every step and
  Σ_n ‖h_{n+1} - h_n‖_{H^s} (every band loss is kept: the figures draw them and the analysis may read
  an earlier step);
- `TAIL_DECAY` (`TailDecay`): at θ_0, ‖P⁺_η ∂_t h‖ / ‖∂_t h‖ at every η the grid resolves, and max|w|, for
  tanh, logistic and σ = max(z, 0)^p (p = 1, 2, 3: `relu`, `relu2`, `relu3`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from fpcheck.empirics.experiment import Experiment, Result
from fpcheck.empirics.setup import Setup, param
from fpcheck.tables import ALL_SEEDS, Measurement, Prediction, concat, produces, tidy
from fpcheck.theory import stages

ACTIVATIONS = ("tanh", "relu", "logistic")
"""The stage experiments run all three: the claims' rules read one quantity per activation."""
TAIL_ACTIVATIONS = ("tanh", "logistic", *stages.RELU_POWERS)
"""The tail experiment: the two analytic activations and σ = max(z, 0)^p for p = 1, 2, 3."""
DENSITIES = ("gaussian", "uniform")
EDGE_TOLERANCE = 1e-12
"""√ρ at both ends of the grid must be at most this fraction of its peak."""
MAX_WIDTH = 4096
MAX_GRID_POINTS = 1 << 17
MAX_JACOBIAN_ENTRIES = 1 << 23
"""width × grid points beyond which a setup is refused (the weighted Jacobian is 3 × this, float64)."""
MAX_STEPS = 1_000_000
MAX_TRAJECTORY_VALUES = 1 << 26
"""(steps + 1) × grid points beyond which a run is refused (every residual is kept: 512 MiB)."""
MAX_RESULT_VALUES = 1 << 26
"""seeds × the per-seed curves of a result beyond which a setup is refused."""
MAX_SOBOLEV_WEIGHT = 1e30
"""The largest Sobolev weight (1 + (2π cap)²)^s a setup may ask for (float64 keeps 1e-16 of it)."""
HALVING = 0.5
"""The intermediate stage: the first step with L_train ≤ HALVING × L_train(0). The final stage's fit
criterion asks for the same level at the evaluated step (the run has passed the intermediate stage)."""


# ---------------------------------------------------------------------------------------------- grid

def finite_positive(name: str, value: float) -> float:
    """`value` as a float; ValueError naming `name` unless it is finite and > 0."""
    value = float(value)
    if not (np.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a finite positive number, not {value!r}")
    return value


def check_density_truncation(points: np.ndarray, sqrt_density: np.ndarray, tolerance: float = EDGE_TOLERANCE) -> float:
    """The larger of √ρ(x_0), √ρ(x_{N-1}) relative to max √ρ; ValueError when it exceeds `tolerance`.

    The Fourier analysis treats h = u √ρ as a function on ℝ sampled on the grid; that is only valid
    when h is negligible at both ends, which the density guarantees when this ratio is tiny.
    """
    sqrt_density = np.asarray(sqrt_density, dtype=float)
    peak = float(np.max(np.abs(sqrt_density)))
    if not (np.all(np.isfinite(sqrt_density)) and peak > 0):
        raise ValueError("√ρ must be finite and not identically zero on the grid")
    edge = max(abs(float(sqrt_density[0])), abs(float(sqrt_density[-1]))) / peak
    if edge > tolerance:
        raise ValueError(
            f"the grid [{points[0]:.4g}, {points[-1]:.4g}] is too narrow for the density: √ρ at its ends is "
            f"{edge:.2e} of its peak (tolerance {tolerance:.0e}); widen the grid"
        )
    return edge


@dataclass(frozen=True)
class DensityGrid:
    """N points x_n = -X + nΔ (Δ = 2X/N) carrying the data density ρ: N(0, σ²) (σ = `sigma`), or with
    `density = "uniform"` the uniform density of the same variance, 1/(2a) on |x| < a = √3 σ.

    Raises ValueError when √ρ(±X) exceeds `edge_tolerance` × max √ρ, i.e. when X < 2σ √(ln 1/tol) for the
    Gaussian, X ≤ a for the uniform density.
    """

    points: int
    half_width: float
    sigma: float
    edge_tolerance: float = EDGE_TOLERANCE
    density: str = "gaussian"

    def __post_init__(self) -> None:
        if isinstance(self.points, bool) or not isinstance(self.points, int | np.integer) or self.points < 8:
            raise ValueError(f"a density grid needs an integer number of points ≥ 8, not {self.points!r}")
        finite_positive("the grid half-width X", self.half_width)
        finite_positive("the density's σ", self.sigma)
        finite_positive("the edge tolerance", self.edge_tolerance)
        if self.density not in DENSITIES:
            raise ValueError(f"density must be one of {', '.join(DENSITIES)}, not {self.density!r}")
        check_density_truncation(self.x, self.sqrt_density, self.edge_tolerance)

    @property
    def spacing(self) -> float:
        return 2.0 * self.half_width / self.points

    @property
    def x(self) -> np.ndarray:
        return -self.half_width + self.spacing * np.arange(self.points)

    @property
    def sqrt_density(self) -> np.ndarray:
        """√ρ(x): (2πσ²)^{-1/4} e^{-x²/(4σ²)}, or (2a)^{-1/2} on |x| < a = √3 σ (uniform)."""
        if self.density == "uniform":
            support = np.sqrt(3.0) * self.sigma
            return np.where(np.abs(self.x) < support, (2.0 * support) ** -0.5, 0.0)
        return (2.0 * np.pi * self.sigma**2) ** -0.25 * np.exp(-self.x**2 / (4.0 * self.sigma**2))

    @property
    def frequencies(self) -> np.ndarray:
        """The two-sided ordinary frequencies ξ_m of the grid (`fpcheck.theory.stages.ordinary_frequencies`)."""
        return stages.ordinary_frequencies(self.points, self.spacing)

    @property
    def nyquist(self) -> float:
        return 1.0 / (2.0 * self.spacing)

    def resolved_etas(self) -> np.ndarray:
        """Every band edge the grid resolves: η_m = m / (NΔ), m = 0 … N/2 - 1."""
        return np.arange(self.points // 2) / (self.points * self.spacing)


def sine_target(x: np.ndarray, frequencies: Sequence[float], amplitudes: Sequence[float]) -> np.ndarray:
    """f*(x) = Σ_i A_i sin(2π ξ_i x), ξ_i in ordinary frequency (cycles per unit of x)."""
    frequencies, amplitudes = np.asarray(frequencies, dtype=float), np.asarray(amplitudes, dtype=float)
    if frequencies.shape != amplitudes.shape or frequencies.size == 0:
        raise ValueError("the target needs as many amplitudes as frequencies (at least one)")
    if not (np.all(np.isfinite(frequencies)) and np.all(np.isfinite(amplitudes))):
        raise ValueError("the target's frequencies and amplitudes must be finite")
    return np.sum(amplitudes[:, None] * np.sin(2.0 * np.pi * frequencies[:, None] * np.asarray(x)[None, :]), axis=0)


def sobolev_loss_weights(frequencies: np.ndarray, s: float, cap: float) -> np.ndarray:
    """w(ξ) = (1 + (2π min(|ξ|, cap))²)^s at the grid's ordinary frequencies ξ (module doc).

    k = 2πξ is the angular frequency, so the weight is the one the sine-fit family's Sobolev loss puts on
    a function of x on [-π, π) (whose integer k is angular); the theory module's ordinary-frequency
    convention (1 + ξ²)^s would be a different weight (the ratio of the two tends to (2π)^{2s} at large
    ξ). Capped above |ξ| = cap so that the grid's highest frequencies, where the residual holds only
    round-off, are not weighted up without limit.
    """
    if not (np.isfinite(s) and s >= 0):
        raise ValueError(f"the Sobolev exponent must be finite and ≥ 0, not {s!r}")
    cap = finite_positive("the Sobolev weight's cap", cap)
    magnitude = np.minimum(np.abs(np.asarray(frequencies, dtype=float)), cap)
    return (1.0 + (2.0 * np.pi * magnitude) ** 2) ** s


# -------------------------------------------------------------------------------------------- setups

@dataclass(frozen=True, kw_only=True)
class StageGrid(Setup):
    """Networks, density grid, target and initialisation shared by the stage experiments (module doc)."""

    width: int = param(16, positive=True, at_most=MAX_WIDTH)
    grid_points: int = param(512, at_least=8, at_most=MAX_GRID_POINTS)
    half_width: float = param(32.0, positive=True)
    sigma: float = param(3.0, positive=True)
    density: Literal["gaussian", "uniform"] = "gaussian"
    target_frequencies: tuple[float, ...] = param((0.1, 0.5), positive=True, max_length=64)
    target_amplitudes: tuple[float, ...] = param((1.0, 0.5), max_length=64)
    weight_std: float = param(1.0, positive=True)
    bias_std: float = param(3.0, positive=True)
    output_std: float = param(0.01, positive=True)

    family = "stage grid"

    def check(self) -> None:
        if len(self.target_amplitudes) != len(self.target_frequencies):
            self.refuse("target_amplitudes", f"give one amplitude per frequency ({len(self.target_frequencies)})")
        if self.width * self.grid_points > MAX_JACOBIAN_ENTRIES:
            self.refuse("width", f"width × grid_points = {self.width * self.grid_points} exceeds the limit "
                        f"{MAX_JACOBIAN_ENTRIES}")
        try:
            grid = self.grid
        except ValueError as error:
            self.refuse("half_width", str(error))
        if max(self.target_frequencies) >= grid.nyquist:
            self.refuse("target_frequencies", f"{max(self.target_frequencies):g} is not below the grid's Nyquist "
                        f"frequency {grid.nyquist:g}")

    @property
    def grid(self) -> DensityGrid:
        return DensityGrid(self.grid_points, self.half_width, self.sigma, density=self.density)

    def target(self, grid: DensityGrid) -> np.ndarray:
        """f* on the grid."""
        return sine_target(grid.x, self.target_frequencies, self.target_amplitudes)


@dataclass(frozen=True, kw_only=True)
class StageBounds(StageGrid):
    """A stage grid with the band edges η, the ReLU regularity ε and the training loss (module doc)."""

    etas: tuple[float, ...] = param((0.25, 0.5, 1.0, 1.5, 2.0), at_least=0.0, min_length=2, max_length=64)
    relu_epsilon: float = param(0.01, positive=True)
    loss: Literal["mse", "sobolev"] = "mse"
    sobolev_s: float = param(0.0, at_least=0.0, at_most=64.0)
    sobolev_cap: float = param(1.5, positive=True)

    def check(self) -> None:
        super().check()
        if not self.relu_epsilon < 0.5:
            self.refuse("relu_epsilon", f"must lie in (0, ½) so that s = ½ - ε is a ReLU regularity, not "
                        f"{self.relu_epsilon!r}")
        if any(later <= earlier for earlier, later in zip(self.etas[:-1], self.etas[1:], strict=True)):
            self.refuse("etas", f"must increase strictly, not {list(self.etas)}")
        if self.etas[-1] >= self.grid.nyquist:
            self.refuse("etas", f"η = {self.etas[-1]:g} is not below the grid's Nyquist frequency "
                        f"{self.grid.nyquist:g}")
        if self.loss == "sobolev":
            if not self.sobolev_s > 0:
                self.refuse("sobolev_s", "a Sobolev training loss needs s > 0 (s = 0 is the MSE: loss = \"mse\")")
            if (1.0 + (2.0 * np.pi * self.sobolev_cap) ** 2) ** self.sobolev_s > MAX_SOBOLEV_WEIGHT:
                self.refuse("sobolev_s", f"the largest weight (1 + (2π · {self.sobolev_cap:g})²)^{self.sobolev_s:g} "
                            f"exceeds {MAX_SOBOLEV_WEIGHT:.0e}")
        elif self.sobolev_s != 0:
            self.refuse("sobolev_s", "is read only with loss = \"sobolev\"; leave it 0 for the MSE")

    def sobolev_exponent(self, activation: str) -> float:
        """s of the bounds: 1 for tanh/logistic, ½ - ε for ReLU (`fpcheck.theory.stages.sobolev_exponent`)."""
        return stages.sobolev_exponent(activation, self.relu_epsilon)

    def training_weights(self, grid: DensityGrid) -> np.ndarray | None:
        """The Sobolev weight at the grid's frequencies, or None for the MSE."""
        if self.loss == "mse":
            return None
        return sobolev_loss_weights(grid.frequencies, self.sobolev_s, self.sobolev_cap)


@dataclass(frozen=True, kw_only=True)
class InitialStage(StageBounds):
    """The networks at initialisation (`INITIAL_STAGE`); `rate_threshold` is the bound of the rule on the
    relative rate of the high band (an analysis choice: 1 is the rate of a flow without frequency bias)."""

    rate_threshold: float = param(1.0, positive=True, analysis=True)


@dataclass(frozen=True, kw_only=True)
class _Descent(StageBounds):
    """A stage grid trained by gradient descent (every residual of the run is kept, hence the limit)."""

    def _check_trajectory(self, field: str, steps: int) -> None:
        if (steps + 1) * self.grid_points > MAX_TRAJECTORY_VALUES:
            self.refuse(field, f"({steps} + 1) × grid_points = {(steps + 1) * self.grid_points} exceeds the limit "
                        f"{MAX_TRAJECTORY_VALUES} (every residual is kept)")


@dataclass(frozen=True, kw_only=True)
class HalvingStage(_Descent):
    """Gradient descent up to the first halving of the training loss, at most `max_steps` steps
    (`HALVING_STAGE`); `change_threshold` bounds the relative high-band share of the change (analysis)."""

    step_fraction: float = param(0.5, positive=True, at_most=100.0)
    max_steps: int = param(3000, positive=True, at_most=MAX_STEPS)
    change_threshold: float = param(1.0, positive=True, analysis=True)

    def check(self) -> None:
        super().check()
        self._check_trajectory("max_steps", self.max_steps)


@dataclass(frozen=True, kw_only=True)
class FinalStage(_Descent):
    """Gradient descent for `steps` steps (`FINAL_STAGE`). Analysis choices: the factor of the rule
    L⁺(T)/L⁺(0) ≥ factor × L⁻(T)/L⁻(0), and the step read as T (`evaluated_fraction` of the last step)."""

    step_fraction: float = param(1.0, positive=True, at_most=100.0)
    steps: int = param(2000, positive=True, at_most=MAX_STEPS)
    factor: float = param(1.0, positive=True, analysis=True)
    evaluated_fraction: float = param(1.0, positive=True, at_most=1.0, analysis=True)

    def check(self) -> None:
        super().check()
        self._check_trajectory("steps", self.steps)
        if self.seeds * (self.steps + 1) * len(self.etas) > MAX_RESULT_VALUES:
            self.refuse("steps", f"seeds × (steps + 1) × len(etas) exceeds the limit {MAX_RESULT_VALUES}")


@dataclass(frozen=True, kw_only=True)
class TailDecay(StageGrid):
    """The tail of ∂_t h at initialisation (`TAIL_DECAY`); the fit windows are analysis choices:
    exponential rates over rate_floor < value < rate_ceiling, the powers over power_low ≤ η ≤ power_high."""

    width: int = param(64, positive=True, at_most=MAX_WIDTH)
    grid_points: int = param(8192, at_least=8, at_most=MAX_GRID_POINTS)
    output_std: float = param(1.0, positive=True)
    rate_floor: float = param(1e-12, positive=True, analysis=True)
    rate_ceiling: float = param(1e-4, positive=True, at_most=1.0, analysis=True)
    power_low: float = param(1.0, positive=True, analysis=True)
    power_high: float = param(8.0, positive=True, analysis=True)

    def check(self) -> None:
        super().check()
        if not self.rate_floor < self.rate_ceiling:
            self.refuse("rate_floor", f"{self.rate_floor:g} must be below rate_ceiling = {self.rate_ceiling:g}")
        if not self.power_low < self.power_high:
            self.refuse("power_low", f"{self.power_low:g} must be below power_high = {self.power_high:g}")
        if self.power_high > self.grid.nyquist / 8:
            self.refuse("power_high", f"{self.power_high:g} > Nyquist/8 = {self.grid.nyquist / 8:g}: refine the grid")
        if self.seeds * self.grid_points * len(TAIL_ACTIVATIONS) > MAX_RESULT_VALUES:
            self.refuse("grid_points", f"seeds × grid_points × activations exceeds the limit {MAX_RESULT_VALUES}")


# ------------------------------------------------------------------------------------------- results

@dataclass(frozen=True, kw_only=True)
class InitialStageResult(Result):
    """At θ_0 under θ' = -∇L_train, per (activation, seed): -dL⁺_η/dt (A, S, E), L⁺_η/L (A, S, E), and
    -dL/dt, G_s, L and ‖∇L_train‖ (A, S)."""

    activations: tuple[str, ...]
    high_rates: np.ndarray
    high_share: np.ndarray
    loss_rate: np.ndarray
    g_s: np.ndarray
    loss: np.ndarray
    flow_norm: np.ndarray


@dataclass(frozen=True, kw_only=True)
class HalvingStageResult(Result):
    """At the first halving of the training loss, per (activation, seed): ‖P⁺_η Δh‖ / ‖Δh‖ and
    ‖P⁺_η h_0‖ / ‖h_0‖ (A, S, E), sup G_s, T, the step, D = Σ lr ‖∇L_train,n‖², L(0) and L_train(0) (A, S);
    NaN (step -1) where training diverged (`diverged`, A × S) or never halved; `largest_weight` is the
    largest training-loss weight (1 for the MSE)."""

    activations: tuple[str, ...]
    change_share: np.ndarray
    initial_share: np.ndarray
    sup_g_s: np.ndarray
    time: np.ndarray
    step: np.ndarray
    dissipation: np.ndarray
    initial_loss: np.ndarray
    initial_training_loss: np.ndarray
    largest_weight: float
    diverged: np.ndarray


@dataclass(frozen=True, kw_only=True)
class FinalStageResult(Result):
    """Per (activation, seed): L⁺_η and L⁻_η at every step (A, S, steps + 1, E; NaN after the last step of
    a diverged run), L_train at every step (A, S, steps + 1), the last step, the first halving step of
    L_train (-1: never), lr, Σ_n ‖h_{n+1} - h_n‖_{H^s} and whether training diverged (A, S)."""

    activations: tuple[str, ...]
    high: np.ndarray
    low: np.ndarray
    training_loss: np.ndarray
    final_step: np.ndarray
    halving_step: np.ndarray
    learning_rate: np.ndarray
    path_sobolev_length: np.ndarray
    diverged: np.ndarray


@dataclass(frozen=True, kw_only=True)
class TailDecayResult(Result):
    """At θ_0, per (activation, seed): ‖P⁺_η ∂_t h‖ / ‖∂_t h‖ at the resolved η (A, S, N/2) and max|w| (A, S)."""

    activations: tuple[str, ...]
    etas: np.ndarray
    tails: np.ndarray
    max_abs_weight: np.ndarray


TRAINING = "fpcheck.empirics.band_ratios"
INITIAL_STAGE = Experiment("stage-initial", InitialStage, InitialStageResult, f"{TRAINING}:initial_stage",
                           "one-hidden-layer networks at initialisation on a density grid")
HALVING_STAGE = Experiment("stage-halving", HalvingStage, HalvingStageResult, f"{TRAINING}:halving_stage",
                           "float64 gradient descent up to the first halving of the training loss")
FINAL_STAGE = Experiment("stage-final", FinalStage, FinalStageResult, f"{TRAINING}:final_stage",
                         "float64 gradient descent with the band losses at every step")
TAIL_DECAY = Experiment("stage-tail-decay", TailDecay, TailDecayResult, f"{TRAINING}:tail_decay",
                        "the spectrum of ∂_t h at initialisation")


# ------------------------------------------------------------------------------------------- helpers

ROUND_OFF_FLOOR = 1e-12
"""Relative values below this floor are round-off, not signal: the tail fits ignore them (docs/catalogue.md)."""


def per_activation(*names: str, activations: Sequence[str] = ACTIVATIONS) -> tuple[str, ...]:
    """'<activation>.<name>' for every activation and name (the quantities a function may write)."""
    return tuple(f"{activation}.{name}" for activation in activations for name in names)


def median_table(title: str, etas: Sequence[float], rows: dict[str, np.ndarray], label: str = "η") -> str:
    """A markdown table: one row per activation, one column per η (values are medians over seeds)."""
    header = "| " + title + " | " + " | ".join(f"{label} = {eta:g}" for eta in etas) + " |"
    rule = "|---" * (len(etas) + 1) + "|"
    body = [f"| {name} | " + " | ".join(f"{value:.2e}" for value in values) + " |" for name, values in rows.items()]
    return "\n".join([header, rule, *body])


def looseness_line(name: str, ratios: dict[str, list[np.ndarray]]) -> str:
    """'name: median bound/measured M (worst W)' per activation, over every (seed, η) where both are finite."""
    parts = []
    for activation, values in ratios.items():
        flat = np.concatenate([np.ravel(value) for value in values]) if values else np.array([])
        flat = flat[np.isfinite(flat) & (flat > 0)]
        if flat.size:
            parts.append(f"{activation} median {np.median(flat):.2g}× (tightest {flat.min():.2g}×)")
    return f"{name}: " + ("; ".join(parts) if parts else "not evaluated")


def _diverged_seeds(result: HalvingStageResult | FinalStageResult) -> tuple[int, ...]:
    return tuple(seed for m, seed in enumerate(result.seeds) if result.diverged[:, m].any())


def _loss_name(setup: StageBounds) -> str:
    if setup.loss == "mse":
        return "the MSE L"
    return (f"the Sobolev loss (weight (1 + (2π min(|ξ|, {setup.sobolev_cap:g}))²)^{setup.sobolev_s:g}, "
            "angular frequency)")


# -------------------------------------------------------------------------------------- initial stage

def initial_bound(setup: InitialStage, result: InitialStageResult, a: int, m: int) -> np.ndarray:
    """Bound I for the flow θ' = -∇L_train: (1 + η²)^(-s/2) G_s √(2L) ‖∇L_train‖ / |dL/dt| (= the MSE form
    (1 + η²)^(-s/2) G_s √(2L) / ‖∇L‖ when L_train = L)."""
    s = setup.sobolev_exponent(result.activations[a])
    return stages.initial_bound(np.asarray(setup.etas), s, result.g_s[a, m], result.loss[a, m],
                                abs(result.loss_rate[a, m]) / result.flow_norm[a, m])


@produces("relative_rate_threshold", *per_activation("bound"))
def predict_initial(setup: InitialStage, result: InitialStageResult) -> Prediction:
    """The F-Principle at θ_0: the high band's loss falls more slowly, relative to its size, than the whole
    (relative rate below the threshold, 1 = no frequency bias), the more so the higher η; bound I, reported."""
    etas = np.asarray(setup.etas)
    frames = [tidy(ALL_SEEDS, "relative_rate_threshold", setup.rate_threshold)]
    frames += [tidy(seed, f"{activation}.bound", initial_bound(setup, result, a, m), x=etas)
               for a, activation in enumerate(result.activations) for m, seed in enumerate(result.seeds)]
    return Prediction(
        concat(frames),
        f"at initialisation the relative rate of the high band (dL⁺_η/dt / L⁺_η) / (dL/dt / L) is ≤ "
        f"{setup.rate_threshold:g} at every η and decreases with η (Spearman ρ ≤ -0.9); bound I (reconstruction, "
        "reported, not a rule): |dL⁺_η/dt| / |dL/dt| ≤ (1 + η²)^(-s/2) G_s √(2L) / ‖∇L‖",
    )


@produces(*per_activation("relative_rate", "ratio", "high_share", "loss_decrease", "G_s", "loss", "flow_norm"))
def measure_initial(setup: InitialStage, result: InitialStageResult) -> Measurement:
    """The relative rate of the high band at θ_0, the ratio of bound I, the loss share, and bound I's looseness."""
    etas = np.asarray(setup.etas)
    frames, relative, ratios, shares, loose = [], {}, {}, {}, {}
    for a, activation in enumerate(result.activations):
        loose[activation] = []
        for m, seed in enumerate(result.seeds):
            total = result.loss_rate[a, m]
            with np.errstate(divide="ignore", invalid="ignore"):
                ratio = np.abs(result.high_rates[a, m]) / abs(total)
                rate = ratio / result.high_share[a, m]
            frames += [
                tidy(seed, f"{activation}.relative_rate", rate, x=etas),
                tidy(seed, f"{activation}.ratio", ratio, x=etas),
                tidy(seed, f"{activation}.high_share", result.high_share[a, m], x=etas),
                tidy(seed, f"{activation}.loss_decrease", total),
                tidy(seed, f"{activation}.G_s", result.g_s[a, m]),
                tidy(seed, f"{activation}.loss", result.loss[a, m]),
                tidy(seed, f"{activation}.flow_norm", result.flow_norm[a, m]),
            ]
            if total != 0:
                with np.errstate(divide="ignore", invalid="ignore"):
                    loose[activation].append(initial_bound(setup, result, a, m) / ratio)
        with np.errstate(divide="ignore", invalid="ignore"):
            every = np.abs(result.high_rates[a]) / np.abs(result.loss_rate[a])[:, None]
            ratios[activation], relative[activation] = np.median(every, axis=0), np.median(every / result.high_share[a],
                                                                                           axis=0)
        shares[activation] = np.median(result.high_share[a], axis=0)
    summary = "; ".join(
        f"{activation}: median relative rate {values[0]:.1e} at η = {etas[0]:g} to {values[-1]:.1e} at "
        f"η = {etas[-1]:g} (loss share above η {shares[activation][0]:.2f} to {shares[activation][-1]:.2f})"
        for activation, values in relative.items()
    )
    notes = (
        median_table("median relative rate (dL⁺_η/dt / L⁺_η) / (dL/dt / L)", etas, relative),
        median_table("median |dL⁺_η/dt| / |dL/dt| (the ratio of bound I)", etas, ratios),
        median_table("median loss share L⁺_η / L", etas, shares),
        f"Flow θ' = -∇L_train with L_train = {_loss_name(setup)}. dL⁺_η/dt = -∇L⁺_η · ∇L_train and dL/dt = "
        "-∇L · ∇L_train, every gradient by autograd (exact). The relative rate is 1 for a flow that shrinks every "
        "frequency at the same rate (∂_t h ∝ -h), so the rule tests a frequency bias, not the nesting of the "
        "bands: a ratio |dL⁺_η/dt| / |dL/dt| that merely follows the loss share L⁺_η / L (which falls with η "
        "for every network) gives 1.",
        "Bound I (reconstruction) is Cauchy–Schwarz and the Sobolev tail on the same grid FFT: it holds on every "
        "network by construction, so it is reported, not a rule. Its looseness, bound / measured ratio over "
        "(seed, η): " + looseness_line("bound I", loose) + ".",
    )
    return Measurement(concat(frames), summary, notes=notes)


# --------------------------------------------------------------------------------- intermediate stage

def halving_bound(setup: HalvingStage, result: HalvingStageResult, a: int, m: int) -> np.ndarray:
    """Bound II for activation index a and seed index m (NaN where the run did not halve).

    For the MSE: (1 + η²)^(-s/2) sup G_s √T / (√2 - 1) × max(1, √(D/L(0))) (the gradient-descent sum D
    replaces ∫‖∇L‖² ≤ L(0)). For a weighted loss the same steps in the norm ‖h‖_W = √(2 L_W) give
    ‖Δh‖ ≥ ‖Δh‖_W / √(max w) ≥ (√2 - 1) √(L_W(0) / max w), so L(0) becomes L_W(0) / max w.
    """
    if result.step[a, m] < 0:
        return np.full(len(setup.etas), np.nan)
    s = setup.sobolev_exponent(result.activations[a])
    scale = result.initial_training_loss[a, m] / result.largest_weight
    correction = max(1.0, float(np.sqrt(result.dissipation[a, m] / result.initial_training_loss[a, m])))
    correction *= np.sqrt(result.initial_training_loss[a, m] / scale)
    return stages.halving_bound(np.asarray(setup.etas), s, result.sup_g_s[a, m], result.time[a, m]) * correction


@produces("relative_change_threshold", *per_activation("bound"))
def predict_intermediate(setup: HalvingStage, result: HalvingStageResult) -> Prediction:
    """The F-Principle at the first halving: the change Δh is concentrated below η more than h_0 is (its
    high share relative to h_0's below the threshold, 1 = no bias), the more so the higher η; bound II."""
    etas = np.asarray(setup.etas)
    frames = [tidy(ALL_SEEDS, "relative_change_threshold", setup.change_threshold)]
    frames += [
        tidy(seed, f"{activation}.bound", halving_bound(setup, result, a, m), x=etas)
        for a, activation in enumerate(result.activations)
        for m, seed in enumerate(result.seeds)
        if not result.diverged[a, m]
    ]
    return Prediction(
        concat(frames),
        f"at the first halving of the training loss, (‖P⁺_η Δh‖ / ‖Δh‖) / (‖P⁺_η h_0‖ / ‖h_0‖) ≤ "
        f"{setup.change_threshold:g} at every η and decreases with η (Spearman ρ ≤ -0.9); bound II "
        "(reconstruction, reported, not a rule): ‖P⁺_η Δh‖ / ‖Δh‖ ≤ (1 + η²)^(-s/2) sup G_s √T / (√2 - 1)",
    )


@produces(*per_activation("relative_change", "ratio", "initial_share", "halved", "halving_step", "halving_time",
                          "sup_G_s", "dissipation_over_initial_loss"))
def measure_intermediate(setup: HalvingStage, result: HalvingStageResult) -> Measurement:
    """The high-band share of Δh relative to that of h_0 at the first halving, and the quantities of bound II."""
    etas = np.asarray(setup.etas)
    frames, medians, halvings, loose, relative = [], {}, {}, {}, {}
    for a, activation in enumerate(result.activations):
        loose[activation] = []
        for m, seed in enumerate(result.seeds):
            if result.diverged[a, m]:
                continue
            halved = result.step[a, m] >= 0
            change = result.change_share[a, m] / result.initial_share[a, m]
            frames += [
                tidy(seed, f"{activation}.relative_change", change, x=etas),
                tidy(seed, f"{activation}.ratio", result.change_share[a, m], x=etas),
                tidy(seed, f"{activation}.initial_share", result.initial_share[a, m], x=etas),
                tidy(seed, f"{activation}.halved", float(halved)),
                tidy(seed, f"{activation}.halving_step", result.step[a, m]),
                tidy(seed, f"{activation}.halving_time", result.time[a, m]),
                tidy(seed, f"{activation}.sup_G_s", result.sup_g_s[a, m]),
                tidy(seed, f"{activation}.dissipation_over_initial_loss",
                     result.dissipation[a, m] / result.initial_training_loss[a, m]),
            ]
            if halved:
                loose[activation].append(halving_bound(setup, result, a, m) / result.change_share[a, m])
        done = (result.step[a] >= 0) & ~result.diverged[a]
        if done.any():
            medians[activation] = np.median(result.change_share[a][done], axis=0)
            relative[activation] = np.median(result.change_share[a][done] / result.initial_share[a][done], axis=0)
            halvings[activation] = int(np.median(result.step[a][done]))
    summary = "; ".join(
        f"{activation}: halving at step {halvings[activation]} (median), median relative change {values[0]:.1e} "
        f"at η = {etas[0]:g} to {values[-1]:.1e} at η = {etas[-1]:g}"
        for activation, values in relative.items()
    ) or f"the training loss did not halve within {setup.max_steps} steps in any run"
    done = (result.step >= 0) & ~result.diverged
    largest_d = float(np.max(result.dissipation[done] / result.initial_training_loss[done])) if done.any() else np.nan
    never = [f"{activation} seed {seed}" for a, activation in enumerate(result.activations)
             for m, seed in enumerate(result.seeds) if result.step[a, m] < 0 and not result.diverged[a, m]]
    notes = (
        median_table("median relative change (‖P⁺_η Δh‖ / ‖Δh‖) / (‖P⁺_η h_0‖ / ‖h_0‖)", etas, relative),
        median_table("median ‖P⁺_η Δh‖ / ‖Δh‖ (the ratio of bound II)", etas, medians),
        f"Training loss: {_loss_name(setup)}. Δh = h_T - h_0 at the first step with L_train ≤ L_train(0)/2 "
        f"(fit criterion: the loss halved within {setup.max_steps} steps"
        + (f"; it did not in {', '.join(never)}" if never else "") + "). A flow without frequency bias "
        "(Δh ∝ h_0) has relative change 1 at every η; ‖P⁺_η Δh‖ / ‖Δh‖ alone is ≤ 1 and non-increasing in η "
        "for every Δh, so it is reported, not a rule.",
        f"Bound II (reconstruction; the steps of bound I integrated along the run, so it holds by construction up "
        f"to the gradient-descent correction, largest D / L_train(0) = {largest_d:.3f}) is reported, not a rule. "
        "Its looseness, bound / measured ratio over (seed, η): " + looseness_line("bound II", loose) + ".",
    )
    return Measurement(concat(frames), summary, diverged_seeds=_diverged_seeds(result), notes=notes)


# ---------------------------------------------------------------------------------------- final stage

def evaluated_step(setup: FinalStage, result: FinalStageResult, a: int, m: int) -> int:
    """The step read as T: `evaluated_fraction` of the last step, rounded (at least 1)."""
    return max(1, int(round(setup.evaluated_fraction * int(result.final_step[a, m]))))


def final_lower_bound(setup: FinalStage, result: FinalStageResult, a: int, m: int) -> np.ndarray:
    """Bound III for activation index a and seed index m: ‖P⁺_η h_0‖ - (1 + η²)^(-s/2) Σ ‖h_{n+1} - h_n‖_(H^s)
    over the whole run (the last step)."""
    s = setup.sobolev_exponent(result.activations[a])
    return stages.final_lower_bound(np.asarray(setup.etas), s, np.sqrt(2.0 * result.high[a, m, 0]),
                                    result.path_sobolev_length[a, m])


def band_edges(setup: FinalStage) -> np.ndarray:
    """The lower edges of the bands the η grid cuts: 0, η_1, …, η_E (band i is (η_i, η_{i+1}])."""
    return np.concatenate([[0.0], np.asarray(setup.etas)])


def band_losses(high: np.ndarray, low: np.ndarray) -> np.ndarray:
    """The loss in each band between consecutive η, from L⁻ (the first band) and L⁺ (the last), (…, E + 1)."""
    between = np.diff(low, axis=-1)
    return np.concatenate([low[..., :1], between, high[..., -1:]], axis=-1)


@produces("high_over_low_threshold", *per_activation("tail_norm_lower_bound"))
def predict_final(setup: FinalStage, result: FinalStageResult) -> Prediction:
    """The high band is fitted last (by the factor); bound III, reported."""
    etas = np.asarray(setup.etas)
    frames = [tidy(ALL_SEEDS, "high_over_low_threshold", setup.factor)]
    frames += [
        tidy(seed, f"{activation}.tail_norm_lower_bound", final_lower_bound(setup, result, a, m), x=etas)
        for a, activation in enumerate(result.activations)
        for m, seed in enumerate(result.seeds)
        if not result.diverged[a, m]
    ]
    return Prediction(
        concat(frames),
        f"the high band is fitted last: L⁺_η(T)/L⁺_η(0) ≥ {setup.factor:g} × L⁻_η(T)/L⁻_η(0) at every η, and the "
        "fraction of each band's loss left at T rises with the band's frequency (Spearman ρ ≥ 0.9); bound III "
        "(reconstruction, reported, not a rule): ‖P⁺_η h_T‖ ≥ ‖P⁺_η h_0‖ - (1 + η²)^(-s/2) Σ ‖h_{n+1} - h_n‖_(H^s)",
    )


@produces(*per_activation("high_over_low", "band_remaining", "training_loss_ratio", "high_progress",
                          "low_progress", "final_tail_norm", "evaluated_step", "final_time"))
def measure_final(setup: FinalStage, result: FinalStageResult) -> Measurement:
    """[L⁺_η(T)/L⁺_η(0)] / [L⁻_η(T)/L⁻_η(0)] and the per-band remaining fractions at T, per seed; the stages
    located; bound III's looseness.

    `<activation>.halving_step` is written too, for the seeds whose training loss halved (not declared: no
    rule reads it)."""
    etas, edges = np.asarray(setup.etas), band_edges(setup)
    frames, medians, remaining, stage_lines, bound_lines = [], {}, {}, [], []
    for a, activation in enumerate(result.activations):
        ratios, bands, halvings, holds, vacuous, slack = [], [], [], True, [], []
        for m, seed in enumerate(result.seeds):
            if result.diverged[a, m]:
                continue
            step = evaluated_step(setup, result, a, m)
            high, low = result.high[a, m, step] / result.high[a, m, 0], result.low[a, m, step] / result.low[a, m, 0]
            band = (band_losses(result.high[a, m, step], result.low[a, m, step])
                    / band_losses(result.high[a, m, 0], result.low[a, m, 0]))
            last = int(result.final_step[a, m])
            tail_norm = np.sqrt(2.0 * result.high[a, m, last])
            lower = final_lower_bound(setup, result, a, m)
            frames += [
                tidy(seed, f"{activation}.high_over_low", high / low, x=etas),
                tidy(seed, f"{activation}.band_remaining", band, x=edges),
                tidy(seed, f"{activation}.training_loss_ratio",
                     result.training_loss[a, m, step] / result.training_loss[a, m, 0]),
                tidy(seed, f"{activation}.high_progress", high, x=etas),
                tidy(seed, f"{activation}.low_progress", low, x=etas),
                tidy(seed, f"{activation}.final_tail_norm", tail_norm, x=etas),
                tidy(seed, f"{activation}.evaluated_step", step),
                tidy(seed, f"{activation}.final_time", step * result.learning_rate[a, m]),
            ]
            if result.halving_step[a, m] >= 0:
                frames.append(tidy(seed, f"{activation}.halving_step", result.halving_step[a, m]))
                halvings.append(result.halving_step[a, m])
            ratios.append(high / low)
            bands.append(band)
            holds = holds and bool(np.all(tail_norm >= lower))
            vacuous.append(np.mean(lower <= 0))
            slack += list(tail_norm[lower > 0] / lower[lower > 0])
        if not ratios:
            continue
        medians[activation], remaining[activation] = np.median(ratios, axis=0), np.median(bands, axis=0)
        first = int(result.final_step[a][~result.diverged[a]][0])
        stage_lines.append(f"{activation}: initial 0, intermediate (first L_train ≤ L_train(0)/2) "
                           f"{int(np.median(halvings)) if halvings else 'never'}, final {first}")
        tightness = f", measured / bound median {np.median(slack):.2g} where not" if slack else ""
        bound_lines.append(f"{activation}: {'holds' if holds else 'FAILS'} ({np.mean(vacuous):.0%} of (seed, η) "
                           f"vacuous, ≤ 0{tightness})")
    summary = "; ".join(
        f"{activation}: median [L⁺(T)/L⁺(0)] / [L⁻(T)/L⁻(0)] from {values.min():.2g} to {values.max():.2g}"
        for activation, values in medians.items()
    )
    notes = (
        median_table("median [L⁺_η(T)/L⁺_η(0)] / [L⁻_η(T)/L⁻_η(0)]", etas, medians),
        median_table("median fraction of the band's loss left at T", edges, remaining, label="band from"),
        f"Training loss: {_loss_name(setup)}; T = step {setup.evaluated_fraction:g} × the last step. Fit criterion: "
        "L_train(T) ≤ L_train(0)/2 (the run has passed the intermediate stage). Without frequency bias every band "
        "keeps the same fraction of its loss (high/low = 1, no order). Stages located automatically (median step "
        "over seeds): " + "; ".join(stage_lines) + ".",
        "Bound III (reconstruction, triangle inequality and the Sobolev tail along the run: it holds by "
        "construction, so it is reported, not a rule), ‖P⁺_η h_T‖ ≥ ‖P⁺_η h_0‖ - (1 + η²)^(-s/2) "
        "Σ_n ‖h_{n+1} - h_n‖_(H^s) at the last step: " + "; ".join(bound_lines) + ".",
    )
    return Measurement(concat(frames), summary, diverged_seeds=_diverged_seeds(result), notes=notes)


# -------------------------------------------------------------------------------- regularity exponent

def fit_exponential_rate(
    eta: np.ndarray, values: np.ndarray, floor: float = ROUND_OFF_FLOOR, ceiling: float = 1e-4, power: float = 0.0
) -> float:
    """The rate c of the least-squares fit log v = α + p log η - c η over floor < v < ceiling, η > 0,
    with the polynomial prefactor's power p fixed (default 0).

    p = 0 fits a pure exponential (log-linear in η): the tail of ∂_t h of a one-hidden-layer tanh or
    logistic network is dominated by the σ(w x + b) terms, whose transform has simple poles (no power
    of ξ in front of e^{-cξ}). `ceiling` excludes the low-frequency bulk, `floor` the round-off.
    """
    eta, values = _finite_pairs(eta, values)
    if not 0 < floor < ceiling:
        raise ValueError(f"the fit window needs 0 < floor < ceiling, not ({floor}, {ceiling})")
    keep = (values > floor) & (values < ceiling) & (eta > 0)
    _require(int(keep.sum()), 3, "exponential-rate fit")
    slope = np.polyfit(eta[keep], np.log(values[keep]) - power * np.log(eta[keep]), 1)[0]
    return float(-slope)


def fit_power_exponent(eta: np.ndarray, values: np.ndarray, eta_min: float, eta_max: float) -> float:
    """The slope of log v against log η over eta_min ≤ η ≤ eta_max (v ~ η^slope)."""
    eta, values = _finite_pairs(eta, values)
    if not 0 < eta_min < eta_max:
        raise ValueError(f"the power-fit window needs 0 < eta_min < eta_max, not [{eta_min}, {eta_max}]")
    keep = (eta >= eta_min) & (eta <= eta_max) & (values > 0)
    _require(int(keep.sum()), 2, "power-law fit")
    return float(np.polyfit(np.log(eta[keep]), np.log(values[keep]), 1)[0])


def _finite_pairs(eta: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    eta, values = np.asarray(eta, dtype=float), np.asarray(values, dtype=float)
    if eta.shape != values.shape or eta.ndim != 1:
        raise ValueError(f"η and values must be 1-D arrays of the same length, not {eta.shape} and {values.shape}")
    if not (np.all(np.isfinite(eta)) and np.all(np.isfinite(values))):
        raise ValueError("η or values hold NaN or inf")
    return eta, values


def _require(count: int, needed: int, what: str) -> None:
    if count < needed:
        raise ValueError(f"{what}: only {count} points lie in the fit window (need ≥ {needed})")


def fitted_tail(setup: TailDecay, activation: str, etas: np.ndarray, tails: np.ndarray) -> float:
    """The power of η over [power_low, power_high] for σ = max(z, 0)^p; for tanh/logistic the exponential rate
    over rate_floor < value < rate_ceiling, or, when fewer than three resolved η have the tail in that window
    (a tail that is not exponential on the grid), minus the log-linear slope over [power_low, power_high]."""
    if activation in stages.RELU_POWERS:
        return fit_power_exponent(etas, tails, setup.power_low, setup.power_high)
    window = (tails > setup.rate_floor) & (tails < setup.rate_ceiling) & (etas > 0)
    if int(window.sum()) >= 3:
        return fit_exponential_rate(etas, tails, setup.rate_floor, setup.rate_ceiling)
    keep = (etas >= setup.power_low) & (etas <= setup.power_high) & (tails > 0)
    _require(int(keep.sum()), 2, "log-linear slope")
    return float(-np.polyfit(etas[keep], np.log(tails[keep]), 1)[0])


@produces(*(f"{name}.predicted_exponent" for name in stages.RELU_POWERS),
          *(f"{name}.predicted_rate" for name in stages.EXPONENTIAL_ACTIVATIONS))
def predict_tail_decay(setup: TailDecay, result: TailDecayResult) -> Prediction:
    """η^(-(p - ½)) for σ = max(z, 0)^p; e^(-cη) with c from each seed's max|w| (tanh, logistic)."""
    frames = [tidy(ALL_SEEDS, f"{name}.predicted_exponent", stages.predicted_power_exponent(name))
              for name in stages.RELU_POWERS]
    frames += [
        tidy(seed, f"{activation}.predicted_rate",
             stages.predicted_exponential_rate(activation, result.max_abs_weight[a, m]))
        for a, activation in enumerate(result.activations)
        if activation in stages.EXPONENTIAL_ACTIVATIONS
        for m, seed in enumerate(result.seeds)
    ]
    return Prediction(
        concat(frames),
        "‖P⁺_η ∂_t h‖ / ‖∂_t h‖ ~ η^(-(p - ½)) for σ = max(z, 0)^p (the power set by the regularity: -0.5, -1.5, "
        "-2.5 for p = 1, 2, 3); ~ e^(-cη) with c = π²/max|w| (tanh), 2π²/max|w| (logistic) from the Fourier "
        "transform of σ' (Xu 2018), max|w| of each seed's initial weights",
    )


@produces(*per_activation("max_abs_weight", activations=TAIL_ACTIVATIONS),
          *(f"{name}.tail_exponent" for name in stages.RELU_POWERS),
          *(f"{name}.tail_rate" for name in stages.EXPONENTIAL_ACTIVATIONS))
def measure_tail_decay(setup: TailDecay, result: TailDecayResult) -> Measurement:
    """The fitted decay of the tail of ∂_t h per seed and activation."""
    grid = setup.grid
    frames, lines = [], []
    for a, activation in enumerate(result.activations):
        name = "tail_exponent" if activation in stages.RELU_POWERS else "tail_rate"
        fitted = [fitted_tail(setup, activation, result.etas, tails) for tails in result.tails[a]]
        for m, seed in enumerate(result.seeds):
            frames += [tidy(seed, f"{activation}.{name}", fitted[m]),
                       tidy(seed, f"{activation}.max_abs_weight", result.max_abs_weight[a, m])]
        if activation in stages.RELU_POWERS:
            lines.append(f"{activation}: fitted exponent {np.median(fitted):.3f} (median; predicted "
                         f"{stages.predicted_power_exponent(activation):g})")
        else:
            errors = [fit / stages.predicted_exponential_rate(activation, weight) - 1.0
                      for fit, weight in zip(fitted, result.max_abs_weight[a], strict=True)]
            lines.append(f"{activation}: fitted/predicted rate - 1 from {min(errors):+.1%} to {max(errors):+.1%}")
    notes = (
        f"Density: {setup.density}. Per seed and activation, one network at initialisation; ∂_t h = -√ρ ∇_θ f · ∇L "
        f"by a Jacobian-vector product; the relative tail norm at every resolved η = m/(NΔ) of a {grid.points}-point "
        f"grid (Nyquist {grid.nyquist:g}). Rates: log-linear fit of the tail over {setup.rate_floor:g} < value < "
        f"{setup.rate_ceiling:g} (bulk and round-off excluded; where fewer than three η have the tail in that "
        f"window, minus the log-linear slope over η ∈ [{setup.power_low:g}, {setup.power_high:g}]). Powers: log-log "
        f"slope over η ∈ [{setup.power_low:g}, {setup.power_high:g}] (below Nyquist/8, where the sampled jump's "
        "spectrum follows 1/ξ to within 3 %). Fitted against the tail of ∂_t h, not the ratio of bound I, which also "
        "carries the target's own spectrum.",
        "; ".join(lines) + ".",
    )
    return Measurement(concat(frames), "; ".join(lines), notes=notes)
