"""The stage-grid family: one-hidden-layer networks on a density grid, the three training stages of
Luo, Ma, Xu, Zhang 2019 and what is measured on them. Torch-free: the networks, the gradients and the
float64 gradient descent are `fpcheck.empirics.band_ratios`, which runs the experiments declared here.

Setting (docs/formulas.md §3, our reconstruction of the source's form, `fpcheck.theory.stages`):
f_θ(x) = Σ_j a_j σ(w_j x + b_j), j = 1 … `width`, for σ = tanh, ReLU, logistic, with θ_0 drawn per seed
(a ~ N(0, output_std²), w ~ N(0, weight_std²), b ~ N(0, bias_std²)); data density ρ = N(0, sigma²) on
the uniform grid of `grid_points` points of [-half_width, half_width) (`DensityGrid`, refused when √ρ
at its ends exceeds 1e-12 of its peak); target f* = Σ_i A_i sin(2π ξ_i x) (ordinary frequency);
residual h = (f_θ - f*) √ρ, L = ½ ‖h‖², L^±_η = ½ ‖P^±_η h‖² with P⁺_η keeping |ξ| > η. Gradient
descent is plain float64, lr = step_fraction / λ_max(Gauss–Newton at θ_0), T = steps × lr.

Experiments (each a setup type and a result type; arrays are indexed [activation, seed, …] in the
order of `ACTIVATIONS` (the result's `activations`) and of the seeds):
- `INITIAL_STAGE` (`InitialStage`): at θ_0, |dL⁺_η/dt| / |dL/dt| (exact, autograd), G_s, L and ‖∇L‖;
- `HALVING_STAGE` (`HalvingStage`): gradient descent up to the first step with L ≤ L(0)/2, where
  ‖P⁺_η Δh‖ / ‖Δh‖, the sup of G_s over the iterates, T and Σ lr ‖∇L_n‖² / L(0) are kept;
- `FINAL_STAGE` (`FinalStage`): gradient descent for `steps` steps with L^±_η at every step and
  Σ_n ‖h_{n+1} - h_n‖_{H^s} (every band loss is kept: the figures draw them);
- `TAIL_DECAY` (`TailDecay`): at θ_0, ‖P⁺_η ∂_t h‖ / ‖∂_t h‖ at every η the grid resolves, and max|w|.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from fpcheck.empirics.experiment import Experiment, Result
from fpcheck.empirics.setup import Setup, param
from fpcheck.tables import ALL_SEEDS, Measurement, Prediction, concat, produces, tidy
from fpcheck.theory import stages

ACTIVATIONS = ("tanh", "relu", "logistic")
"""Every experiment runs all three: the claims' rules read one quantity per activation."""
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
    """N points x_n = -X + nΔ (Δ = 2X/N) carrying the data density ρ = N(0, σ²) (σ = `sigma`).

    Raises ValueError when √ρ(±X) exceeds `edge_tolerance` × max √ρ, i.e. when X < 2σ √(ln 1/tol).
    """

    points: int
    half_width: float
    sigma: float
    edge_tolerance: float = EDGE_TOLERANCE

    def __post_init__(self) -> None:
        if isinstance(self.points, bool) or not isinstance(self.points, int | np.integer) or self.points < 8:
            raise ValueError(f"a density grid needs an integer number of points ≥ 8, not {self.points!r}")
        finite_positive("the grid half-width X", self.half_width)
        finite_positive("the density's σ", self.sigma)
        finite_positive("the edge tolerance", self.edge_tolerance)
        check_density_truncation(self.x, self.sqrt_density, self.edge_tolerance)

    @property
    def spacing(self) -> float:
        return 2.0 * self.half_width / self.points

    @property
    def x(self) -> np.ndarray:
        return -self.half_width + self.spacing * np.arange(self.points)

    @property
    def sqrt_density(self) -> np.ndarray:
        """√ρ(x) = (2πσ²)^{-1/4} e^{-x²/(4σ²)}."""
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


# -------------------------------------------------------------------------------------------- setups

@dataclass(frozen=True, kw_only=True)
class StageGrid(Setup):
    """Networks, density grid, target and initialisation shared by the stage experiments (module doc)."""

    width: int = param(16, positive=True, at_most=MAX_WIDTH)
    grid_points: int = param(512, at_least=8, at_most=MAX_GRID_POINTS)
    half_width: float = param(32.0, positive=True)
    sigma: float = param(3.0, positive=True)
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
        return DensityGrid(self.grid_points, self.half_width, self.sigma)

    def target(self, grid: DensityGrid) -> np.ndarray:
        """f* on the grid."""
        return sine_target(grid.x, self.target_frequencies, self.target_amplitudes)


@dataclass(frozen=True, kw_only=True)
class StageBounds(StageGrid):
    """A stage grid with the band edges η at which the bounds are checked and the ReLU regularity ε."""

    etas: tuple[float, ...] = param((0.25, 0.5, 1.0, 1.5, 2.0), at_least=0.0, min_length=2, max_length=64)
    relu_epsilon: float = param(0.01, positive=True)

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

    def sobolev_exponent(self, activation: str) -> float:
        """s of the bounds: 1 for tanh/logistic, ½ - ε for ReLU (`fpcheck.theory.stages.sobolev_exponent`)."""
        return stages.sobolev_exponent(activation, self.relu_epsilon)


@dataclass(frozen=True, kw_only=True)
class InitialStage(StageBounds):
    """The networks at initialisation (`INITIAL_STAGE`)."""


@dataclass(frozen=True, kw_only=True)
class _Descent(StageBounds):
    """A stage grid trained by gradient descent (every residual of the run is kept, hence the limit)."""

    def _check_trajectory(self, field: str, steps: int) -> None:
        if (steps + 1) * self.grid_points > MAX_TRAJECTORY_VALUES:
            self.refuse(field, f"({steps} + 1) × grid_points = {(steps + 1) * self.grid_points} exceeds the limit "
                        f"{MAX_TRAJECTORY_VALUES} (every residual is kept)")


@dataclass(frozen=True, kw_only=True)
class HalvingStage(_Descent):
    """Gradient descent up to the first MSE halving, at most `max_steps` steps (`HALVING_STAGE`)."""

    step_fraction: float = param(0.5, positive=True, at_most=100.0)
    max_steps: int = param(3000, positive=True, at_most=MAX_STEPS)

    def check(self) -> None:
        super().check()
        self._check_trajectory("max_steps", self.max_steps)


@dataclass(frozen=True, kw_only=True)
class FinalStage(_Descent):
    """Gradient descent for `steps` steps (`FINAL_STAGE`)."""

    step_fraction: float = param(1.0, positive=True, at_most=100.0)
    steps: int = param(2000, positive=True, at_most=MAX_STEPS)

    def check(self) -> None:
        super().check()
        self._check_trajectory("steps", self.steps)
        if self.seeds * (self.steps + 1) * len(self.etas) > MAX_RESULT_VALUES:
            self.refuse("steps", f"seeds × (steps + 1) × len(etas) exceeds the limit {MAX_RESULT_VALUES}")


@dataclass(frozen=True, kw_only=True)
class TailDecay(StageGrid):
    """The tail of ∂_t h at initialisation (`TAIL_DECAY`); the fit windows are analysis choices:
    exponential rates over rate_floor < value < rate_ceiling, the ReLU power over η ∈ relu_window."""

    width: int = param(64, positive=True, at_most=MAX_WIDTH)
    grid_points: int = param(8192, at_least=8, at_most=MAX_GRID_POINTS)
    output_std: float = param(1.0, positive=True)
    rate_floor: float = param(1e-12, positive=True, analysis=True)
    rate_ceiling: float = param(1e-4, positive=True, at_most=1.0, analysis=True)
    relu_window: tuple[float, ...] = param((1.0, 8.0), positive=True, min_length=2, max_length=2, analysis=True)

    def check(self) -> None:
        super().check()
        if not self.rate_floor < self.rate_ceiling:
            self.refuse("rate_floor", f"{self.rate_floor:g} must be below rate_ceiling = {self.rate_ceiling:g}")
        low, high = self.relu_window
        if not low < high:
            self.refuse("relu_window", f"must be [low, high] with low < high, not {list(self.relu_window)}")
        if high > self.grid.nyquist / 8:
            self.refuse("relu_window", f"ends at {high:g} > Nyquist/8 = {self.grid.nyquist / 8:g}: refine the grid")
        if self.seeds * self.grid_points > MAX_RESULT_VALUES:
            self.refuse("grid_points", f"seeds × grid_points exceeds the limit {MAX_RESULT_VALUES}")


# ------------------------------------------------------------------------------------------- results

@dataclass(frozen=True, kw_only=True)
class InitialStageResult(Result):
    """At θ_0, per (activation, seed): |dL⁺_η/dt| / |dL/dt| (A, S, E), G_s, L and ‖∇L‖ (A, S)."""

    activations: tuple[str, ...]
    ratios: np.ndarray
    g_s: np.ndarray
    loss: np.ndarray
    grad_norm: np.ndarray


@dataclass(frozen=True, kw_only=True)
class HalvingStageResult(Result):
    """At the first MSE halving, per (activation, seed): ‖P⁺_η Δh‖ / ‖Δh‖ (A, S, E), sup G_s, T, the step
    and Σ lr ‖∇L_n‖² / L(0) (A, S); NaN (step -1) where training diverged (`diverged`, A × S)."""

    activations: tuple[str, ...]
    ratios: np.ndarray
    sup_g_s: np.ndarray
    time: np.ndarray
    step: np.ndarray
    dissipation_ratio: np.ndarray
    diverged: np.ndarray


@dataclass(frozen=True, kw_only=True)
class FinalStageResult(Result):
    """Per (activation, seed): L⁺_η and L⁻_η at every step (A, S, steps + 1, E; NaN after the last step of
    a diverged run), the last step, the first halving step (-1: never), lr, Σ_n ‖h_{n+1} - h_n‖_{H^s}
    and whether training diverged (A, S)."""

    activations: tuple[str, ...]
    high: np.ndarray
    low: np.ndarray
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
                           "float64 gradient descent up to the first MSE halving")
FINAL_STAGE = Experiment("stage-final", FinalStage, FinalStageResult, f"{TRAINING}:final_stage",
                         "float64 gradient descent with the band losses at every step")
TAIL_DECAY = Experiment("stage-tail-decay", TailDecay, TailDecayResult, f"{TRAINING}:tail_decay",
                        "the spectrum of ∂_t h at initialisation")


# ------------------------------------------------------------------------------------------- helpers

def per_activation(*names: str) -> tuple[str, ...]:
    """'<activation>.<name>' for every activation and name (the quantities a function may write)."""
    return tuple(f"{activation}.{name}" for activation in ACTIVATIONS for name in names)


def median_table(title: str, etas: Sequence[float], rows: dict[str, np.ndarray]) -> str:
    """A markdown table: one row per activation, one column per η (values are medians over seeds)."""
    header = "| " + title + " | " + " | ".join(f"η = {eta:g}" for eta in etas) + " |"
    rule = "|---" * (len(etas) + 1) + "|"
    body = [f"| {name} | " + " | ".join(f"{value:.2e}" for value in values) + " |" for name, values in rows.items()]
    return "\n".join([header, rule, *body])


def largest_relative_rise(values: np.ndarray) -> float:
    """max_i (v_{i+1} - v_i) / v_i over consecutive η (≤ 0 for a non-increasing curve; a rise from 0 is inf)."""
    before, after = values[:-1], values[1:]
    with np.errstate(divide="ignore", invalid="ignore"):
        rises = np.where(before > 0, after / before - 1.0, np.where(after > 0, np.inf, 0.0))
    return float(np.max(rises))


def halving_bound(setup: HalvingStage, result: HalvingStageResult, a: int, m: int) -> np.ndarray:
    """Bound II for activation index a and seed index m, × max(1, √(D/L(0))) for gradient descent."""
    correction = max(1.0, float(np.sqrt(result.dissipation_ratio[a, m])))
    s = setup.sobolev_exponent(result.activations[a])
    return stages.halving_bound(np.asarray(setup.etas), s, result.sup_g_s[a, m], result.time[a, m]) * correction


def final_lower_bound(setup: FinalStage, result: FinalStageResult, a: int, m: int) -> np.ndarray:
    """Bound III for activation index a and seed index m: ‖P⁺_η h_0‖ - (1 + η²)^(-s/2) Σ ‖h_{n+1} - h_n‖_(H^s)."""
    s = setup.sobolev_exponent(result.activations[a])
    return stages.final_lower_bound(np.asarray(setup.etas), s, np.sqrt(2.0 * result.high[a, m, 0]),
                                    result.path_sobolev_length[a, m])


def band_progress(result: FinalStageResult, a: int, m: int) -> tuple[np.ndarray, np.ndarray]:
    """(L⁺_η(T) / L⁺_η(0), L⁻_η(T) / L⁻_η(0)) at the last step, for every η."""
    last = result.final_step[a, m]
    high, low = result.high[a, m], result.low[a, m]
    return high[last] / high[0], low[last] / low[0]


# -------------------------------------------------------------------------------------- initial stage

@produces(*per_activation("tail_factor", "bound"))
def predict_initial(setup: InitialStage, result: InitialStageResult) -> Prediction:
    """Bound I with each seed's G_s, L and ‖∇L‖ at initialisation."""
    etas = np.asarray(setup.etas)
    frames = []
    for a, activation in enumerate(result.activations):
        s = setup.sobolev_exponent(activation)
        frames.append(tidy(ALL_SEEDS, f"{activation}.tail_factor", stages.tail_factor(etas, s), x=etas))
        for m, seed in enumerate(result.seeds):
            bound = stages.initial_bound(etas, s, result.g_s[a, m], result.loss[a, m], result.grad_norm[a, m])
            frames.append(tidy(seed, f"{activation}.bound", bound, x=etas))
    return Prediction(
        concat(frames),
        "bound I (reconstruction): |dL⁺_η/dt| / |dL/dt| ≤ (1 + η²)^(-s/2) G_s √(2L) / ‖∇L‖, evaluated with each "
        "seed's G_s, L and ‖∇L‖ at initialisation (s = 1 tanh/logistic, ½ - ε ReLU); the ratio decreases with η",
    )


@produces(*per_activation("ratio", "ratio_log_slope", "G_s", "loss", "grad_norm", "bound_over_ratio"))
def measure_initial(setup: InitialStage, result: InitialStageResult) -> Measurement:
    """The exact ratio, its log-linear trend in η and how loose bound I is."""
    etas = np.asarray(setup.etas)
    frames, medians, looseness = [], {}, {}
    for a, activation in enumerate(result.activations):
        s = setup.sobolev_exponent(activation)
        slack = []
        for m, seed in enumerate(result.seeds):
            ratios = result.ratios[a, m]
            bound = stages.initial_bound(etas, s, result.g_s[a, m], result.loss[a, m], result.grad_norm[a, m])
            bound_over_ratio = bound / np.maximum(ratios, 1e-300)
            slack.append(np.min(bound_over_ratio))
            frames += [
                tidy(seed, f"{activation}.ratio", ratios, x=etas),
                tidy(seed, f"{activation}.ratio_log_slope", stages.log_linear_slope(etas, ratios)),
                tidy(seed, f"{activation}.G_s", result.g_s[a, m]),
                tidy(seed, f"{activation}.loss", result.loss[a, m]),
                tidy(seed, f"{activation}.grad_norm", result.grad_norm[a, m]),
                tidy(seed, f"{activation}.bound_over_ratio", bound_over_ratio, x=etas),
            ]
        medians[activation] = np.median(result.ratios[a], axis=0)
        looseness[activation] = float(np.median(slack))
    summary = "; ".join(
        f"{activation}: median ratio {medians[activation][0]:.1e} at η = {etas[0]:g} to "
        f"{medians[activation][-1]:.1e} at η = {etas[-1]:g}, bound ≥ {looseness[activation]:.0f}× the ratio"
        for activation in result.activations
    )
    notes = (
        median_table("median |dL⁺_η/dt| / |dL/dt|", etas, medians),
        "The ratio is exact: ∇L⁺_η and ∇L by autograd, |dL⁺_η/dt| / |dL/dt| = |∇L⁺_η · ∇L| / ‖∇L‖² under "
        "gradient flow. Its trend is the log-linear slope in η over the values above the 1e-12 round-off "
        "floor. The bound is loose by the factor shown (smallest bound/ratio over η, median over seeds): it "
        "caps the ratio but does not predict its size.",
    )
    return Measurement(concat(frames), summary, notes=notes)


# --------------------------------------------------------------------------------- intermediate stage

@produces(*per_activation("bound"))
def predict_intermediate(setup: HalvingStage, result: HalvingStageResult) -> Prediction:
    """Bound II with each seed's sup G_s and T (seeds whose training diverged have none)."""
    etas = np.asarray(setup.etas)
    frames = [
        tidy(seed, f"{activation}.bound", halving_bound(setup, result, a, m), x=etas)
        for a, activation in enumerate(result.activations)
        for m, seed in enumerate(result.seeds)
        if not result.diverged[a, m]
    ]
    return Prediction(
        concat(frames),
        "bound II (reconstruction): at the first step with L ≤ L(0)/2, ‖P⁺_η Δh‖ / ‖Δh‖ ≤ (1 + η²)^(-s/2) "
        "sup G_s √T / (√2 - 1), with each seed's sup of G_s over the iterates and its T = steps × lr; the ratio "
        "does not increase with η",
    )


@produces(*per_activation("ratio", "ratio_largest_rise", "halving_step", "halving_time", "sup_G_s",
                          "dissipation_over_initial_loss"))
def measure_intermediate(setup: HalvingStage, result: HalvingStageResult) -> Measurement:
    """‖P⁺_η Δh‖ / ‖Δh‖ at the first halving, its largest rise in η and the quantities of bound II."""
    etas = np.asarray(setup.etas)
    finished = ~result.diverged
    frames, medians, halvings = [], {}, {}
    for a, activation in enumerate(result.activations):
        for m, seed in enumerate(result.seeds):
            if not finished[a, m]:
                continue
            frames += [
                tidy(seed, f"{activation}.ratio", result.ratios[a, m], x=etas),
                tidy(seed, f"{activation}.ratio_largest_rise", largest_relative_rise(result.ratios[a, m])),
                tidy(seed, f"{activation}.halving_step", result.step[a, m]),
                tidy(seed, f"{activation}.halving_time", result.time[a, m]),
                tidy(seed, f"{activation}.sup_G_s", result.sup_g_s[a, m]),
                tidy(seed, f"{activation}.dissipation_over_initial_loss", result.dissipation_ratio[a, m]),
            ]
        if finished[a].any():
            medians[activation] = np.median(result.ratios[a][finished[a]], axis=0)
            halvings[activation] = int(np.median(result.step[a][finished[a]]))
    summary = "; ".join(
        f"{activation}: halving at step {halvings[activation]} (median), median ratio {values[0]:.1e} at "
        f"η = {etas[0]:g} to {values[-1]:.1e} at η = {etas[-1]:g}"
        for activation, values in medians.items()
    )
    largest_d = float(np.max(result.dissipation_ratio[finished])) if finished.any() else float("nan")
    notes = (
        median_table("median ‖P⁺_η Δh‖ / ‖Δh‖ at the first halving", etas, medians),
        f"Largest D / L(0) = Σ lr ‖∇L_n‖² / L(0) up to the halving over all runs: {largest_d:.3f} (the "
        "gradient-flow bound carries over to gradient descent unchanged when it is ≤ 1). Δh = h_T - h_0 at "
        "the first step with L ≤ L(0)/2. The ratio is non-increasing in η by construction (nested bands); "
        "the informative part is how far below the bound it stays.",
    )
    return Measurement(concat(frames), summary, diverged_seeds=_diverged_seeds(result), notes=notes)


def _diverged_seeds(result: HalvingStageResult | FinalStageResult) -> tuple[int, ...]:
    return tuple(seed for m, seed in enumerate(result.seeds) if result.diverged[:, m].any())


# ---------------------------------------------------------------------------------------- final stage

@produces("high_over_low_threshold", *per_activation("tail_norm_lower_bound"))
def predict_final(setup: FinalStage, result: FinalStageResult) -> Prediction:
    """The high band is fitted last by `fpcheck.theory.stages.FINAL_STAGE_FACTOR`; bound III, reported."""
    etas = np.asarray(setup.etas)
    frames = [tidy(ALL_SEEDS, "high_over_low_threshold", np.full(etas.shape, stages.FINAL_STAGE_FACTOR), x=etas)]
    frames += [
        tidy(seed, f"{activation}.tail_norm_lower_bound", final_lower_bound(setup, result, a, m), x=etas)
        for a, activation in enumerate(result.activations)
        for m, seed in enumerate(result.seeds)
        if not result.diverged[a, m]
    ]
    return Prediction(
        concat(frames),
        f"the high band is fitted last: L⁺_η(T)/L⁺_η(0) ≥ {stages.FINAL_STAGE_FACTOR:g} × L⁻_η(T)/L⁻_η(0) at every "
        "η; bound III (reconstruction, reported): ‖P⁺_η h_T‖ ≥ ‖P⁺_η h_0‖ - (1 + η²)^(-s/2) Σ ‖h_{n+1} - h_n‖_(H^s)",
    )


@produces(*per_activation("high_over_low", "high_progress", "low_progress", "final_tail_norm", "final_step",
                          "final_time"))
def measure_final(setup: FinalStage, result: FinalStageResult) -> Measurement:
    """[L⁺_η(T)/L⁺_η(0)] / [L⁻_η(T)/L⁻_η(0)] per seed, the stages located, bound III checked.

    `<activation>.halving_step` is written too, for the seeds whose loss halved (not declared: a run that
    never halves is a valid final-stage run, and no rule reads it)."""
    etas = np.asarray(setup.etas)
    frames, medians, stage_lines, bound_lines = [], {}, [], []
    for a, activation in enumerate(result.activations):
        ratios, halvings, holds, vacuous = [], [], True, []
        for m, seed in enumerate(result.seeds):
            if result.diverged[a, m]:
                continue
            high, low = band_progress(result, a, m)
            tail_norm = np.sqrt(2.0 * result.high[a, m, result.final_step[a, m]])
            lower = final_lower_bound(setup, result, a, m)
            frames += [
                tidy(seed, f"{activation}.high_over_low", high / low, x=etas),
                tidy(seed, f"{activation}.high_progress", high, x=etas),
                tidy(seed, f"{activation}.low_progress", low, x=etas),
                tidy(seed, f"{activation}.final_tail_norm", tail_norm, x=etas),
                tidy(seed, f"{activation}.final_step", result.final_step[a, m]),
                tidy(seed, f"{activation}.final_time", result.final_step[a, m] * result.learning_rate[a, m]),
            ]
            if result.halving_step[a, m] >= 0:
                frames.append(tidy(seed, f"{activation}.halving_step", result.halving_step[a, m]))
                halvings.append(result.halving_step[a, m])
            ratios.append(high / low)
            holds = holds and bool(np.all(tail_norm >= lower))
            vacuous.append(np.mean(lower <= 0))
        if not ratios:
            continue
        medians[activation] = np.median(ratios, axis=0)
        first = int(result.final_step[a][~result.diverged[a]][0])
        stage_lines.append(f"{activation}: initial 0, intermediate (first L ≤ L(0)/2) "
                           f"{int(np.median(halvings)) if halvings else 'never'}, final {first}")
        bound_lines.append(f"{activation}: {'holds' if holds else 'FAILS'} ({np.mean(vacuous):.0%} of (seed, η) "
                           "vacuous, ≤ 0)")
    summary = "; ".join(
        f"{activation}: median [L⁺(T)/L⁺(0)] / [L⁻(T)/L⁻(0)] from {values.min():.1f} to {values.max():.1f}"
        for activation, values in medians.items()
    )
    notes = (
        median_table("median [L⁺_η(T)/L⁺_η(0)] / [L⁻_η(T)/L⁻_η(0)]", etas, medians),
        "Stages located automatically (median step over seeds): " + "; ".join(stage_lines) + ".",
        "Bound III (reconstruction) on the same runs, ‖P⁺_η h_T‖ ≥ ‖P⁺_η h_0‖ - (1 + η²)^(-s/2) "
        "Σ_n ‖h_{n+1} - h_n‖_(H^s) (exact for gradient descent): " + "; ".join(bound_lines) + ".",
    )
    return Measurement(concat(frames), summary, diverged_seeds=_diverged_seeds(result), notes=notes)


# -------------------------------------------------------------------------------- regularity exponent

@produces("relu.predicted_exponent", *(f"{name}.predicted_rate" for name in stages.EXPONENTIAL_ACTIVATIONS))
def predict_tail_decay(setup: TailDecay, result: TailDecayResult) -> Prediction:
    """e^(-cη) with c from each seed's max|w| (tanh, logistic); η^(-1/2) for ReLU."""
    frames = [tidy(ALL_SEEDS, "relu.predicted_exponent", stages.RELU_TAIL_EXPONENT)]
    frames += [
        tidy(seed, f"{activation}.predicted_rate",
             stages.predicted_exponential_rate(activation, result.max_abs_weight[a, m]))
        for a, activation in enumerate(result.activations)
        if activation in stages.EXPONENTIAL_ACTIVATIONS
        for m, seed in enumerate(result.seeds)
    ]
    return Prediction(
        concat(frames),
        "‖P⁺_η ∂_t h‖ / ‖∂_t h‖ ~ e^(-cη) with c = π²/max|w| (tanh), 2π²/max|w| (logistic), max|w| of each "
        "seed's initial weights (the pole of σ'(wx + b) nearest the real axis); ~ η^(-1/2) for ReLU (a jump at "
        "each kink)",
    )


def fitted_tail(setup: TailDecay, activation: str, etas: np.ndarray, tails: np.ndarray) -> float:
    """The ReLU power over relu_window, or the exponential rate over rate_floor < value < rate_ceiling."""
    if activation == "relu":
        return stages.fit_power_exponent(etas, tails, *setup.relu_window)
    return stages.fit_exponential_rate(etas, tails, setup.rate_floor, setup.rate_ceiling)


@produces("relu.tail_exponent", *per_activation("max_abs_weight"),
          *(f"{name}.tail_rate" for name in stages.EXPONENTIAL_ACTIVATIONS))
def measure_tail_decay(setup: TailDecay, result: TailDecayResult) -> Measurement:
    """The fitted decay of the tail of ∂_t h per seed and activation."""
    grid = setup.grid
    frames, lines = [], []
    for a, activation in enumerate(result.activations):
        name = "tail_exponent" if activation == "relu" else "tail_rate"
        fitted = [fitted_tail(setup, activation, result.etas, tails) for tails in result.tails[a]]
        for m, seed in enumerate(result.seeds):
            frames += [tidy(seed, f"{activation}.{name}", fitted[m]),
                       tidy(seed, f"{activation}.max_abs_weight", result.max_abs_weight[a, m])]
        if activation == "relu":
            lines.append(f"relu: fitted exponent {np.median(fitted):.3f} (median; predicted -0.5)")
        else:
            errors = [fit / stages.predicted_exponential_rate(activation, weight) - 1.0
                      for fit, weight in zip(fitted, result.max_abs_weight[a], strict=True)]
            lines.append(f"{activation}: fitted/predicted rate - 1 from {min(errors):+.1%} to {max(errors):+.1%}")
    low, high = setup.relu_window
    notes = (
        "Per seed and activation, one network at initialisation; ∂_t h = -√ρ ∇_θ f · ∇L by a Jacobian-vector "
        f"product; the relative tail norm at every resolved η = m/(NΔ) of a {grid.points}-point grid (Nyquist "
        f"{grid.nyquist:g}). Rates: log-linear fit of the tail over {setup.rate_floor:g} < value < "
        f"{setup.rate_ceiling:g} (bulk and round-off excluded). ReLU: log-log slope over η ∈ [{low:g}, {high:g}] "
        "(below Nyquist/8, where the sampled jump's spectrum follows 1/ξ to within 3 %). Fitted against the tail "
        "of ∂_t h, not the ratio I, which also carries the target's own spectrum.",
        "; ".join(lines) + ".",
    )
    return Measurement(concat(frames), "; ".join(lines), notes=notes)
