"""The circle family: wide two-layer networks on n equispaced points of the unit circle, their empirical neural
tangent kernel at initialisation and their gradient-descent learning time per harmonic (Basri, Jacobs, Kasten,
Kritchman 2019, arXiv:1906.00425); torch-free (the runs are `fpcheck.empirics.circle_training`).

Model. f(x) = α m^{-1/2} (Σ_r a_r σ(w_r·x + b_r) + b) on x_j = (cos θ_j, sin θ_j), θ_j = 2πj/n, σ = ReLU (or
tanh for a control), every weight and bias drawn N(0, 1) (`MLPSpec` init "gaussian", scale 1), the factor
α m^{-1/2} a readout of the engine; α is the lazy scale of Chizat, Oyallon, Bach 2019 (arXiv:1812.07956), 1 in
the source's model. The neurons come in pairs (w, b, a) and (w, b, -a) and b = 0, so f = 0 at initialisation
(up to the float32 rounding of the output sum, ~1e-7) and the residual of a target y is -y (the m/2 pairs are
the independent features; `bias=False` drops b_r).

Kernel. K(x, x') = Σ_p ∂_p f(x) ∂_p f(x') over the trained parameters p (all of them: `layers="both"`; the
gradients in w_r, b_r only: `layers="hidden"`, the source's model). Its Rayleigh quotient along the harmonic
e_κ[j] = e^{iκθ_j} is reported in the normalisation of `fpcheck.theory.circle_ntk.circle_ntk_eigenvalues`
(the operator (1/n)K): `fpcheck.empirics.ntk.mode_rayleigh_quotients` returns e^H K e / e^H e = e^H K e / n,
which is n λ_κ^(n) for a circulant K, so the quotient here is that value over n, and over α² (the kernel of
α f is α² K), so that it is comparable with λ_κ^(n) at every lazy scale. The output bias b adds α²/m to K
(κ = 0 only: negligible at the widths used).

Training. One harmonic y = cos κθ per run (every seed of a width and κ trained at once by
`fpcheck.empirics.ensemble.train_ensemble`), full-batch gradient descent on the mean squared error
(1/n) Σ (f - y)² (no ½: c = 2), float32. The step rule: the kernel-regime step η_κ = min(step_rate, lr_cap
λ_κ/λ_0) / (c λ_κ^(n)) (`step_sizes`), so c η_κ λ_κ = step_rate (the predicted time to δ = 0.1 is
ln 10 / -ln(1 - step_rate) ≈ 30 steps at 0.075) unless the constant mode's factor |1 - c η λ_0| would exceed
|1 - lr_cap| (the slow harmonics then take lr_cap λ_0/λ_κ times longer); the engine's step is η_κ / α². Each run
lasts `run_factor` × the predicted time to δ = 0.1. The κ-component of the residual is
|r̂_κ(t)| = |(1/n) Σ_j r_t(θ_j) e^{-iκθ_j}|; the measured learning time is the first t at which
|r̂_κ(t)|/|r̂_κ(0)| ≤ δ, with ln |r̂_κ| interpolated linearly between the two steps around the crossing.
The kernel drift ‖K_t - K_0‖_F / ‖K_0‖_F and the quotient along the target, c^T K c / (c^T c) / n with
c = cos κθ_j (λ_κ^(n) for a circulant K; during training the kernel is not circulant, and its quotient
along cos κθ, the direction of the residual's κ-component, falls while that along sin κθ rises, so the
complex e_κ would average the two), are recorded at `kernel_snapshots` steps spread evenly over the run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

import numpy as np
import pandas as pd
from scipy import stats

from fpcheck.empirics.experiment import Experiment, Result
from fpcheck.empirics.grids import PeriodicGrid
from fpcheck.empirics.setup import Setup, param
from fpcheck.tables import ALL_SEEDS, Measurement, concat, produces, tidy
from fpcheck.theory.circle_ntk import LOSS_FACTOR, circle_ntk_eigenvalues, gradient_descent_time

MAX_POINTS = 4096
MAX_WIDTH = 1 << 21
MAX_NEURONS = 1 << 23
"""width × seeds beyond which a run is refused (the hidden layer holds points × this many floats)."""
REFERENCE_DELTA = 0.1
"""The level δ at which the step rule and the run length are set (the analysis field `delta` may differ)."""
LEVEL = 0.9
"""The two-sided level of the interval of the deviation exponent over seeds."""


@dataclass(frozen=True, kw_only=True)
class CircleNetwork(Setup):
    """What every circle setup shares: the harmonics, the grid and the network (module doc)."""

    kappas: tuple[int, ...] = param((0, 1, 2, 3, 4, 5, 6, 7, 8), at_least=0, max_length=64)
    points: int = param(64, at_least=4, at_most=MAX_POINTS)
    widths: tuple[int, ...] = param((32768,), at_least=2, at_most=MAX_WIDTH, max_length=8)
    activation: Literal["relu", "tanh"] = "relu"

    family = "circle"
    paired: ClassVar[bool] = True
    """The neurons come in pairs of opposite output weight (the zero-output initialisation): even widths."""

    def check(self) -> None:
        if len(set(self.kappas)) != len(self.kappas):
            self.refuse("kappas", f"must be distinct, not {list(self.kappas)}")
        if 2 * max(self.kappas) >= self.points:
            self.refuse("kappas", f"κ = {max(self.kappas)} is not below the Nyquist frequency of {self.points} points")
        for width in self.widths:
            if width % 2 and self.paired:
                self.refuse("widths", f"{width} must be even (the neurons come in pairs)")
            if width * self.seeds > MAX_NEURONS:
                self.refuse("widths", f"{width} neurons × {self.seeds} seeds exceeds the limit {MAX_NEURONS}")

    @property
    def grid(self) -> PeriodicGrid:
        """The angles θ_j = 2πj/n as a periodic grid of period 2π."""
        return PeriodicGrid(self.points, 0.0, 2 * np.pi)


@dataclass(frozen=True, kw_only=True)
class CircleKernel(CircleNetwork):
    """The empirical NTK at initialisation of one width (`widths` holds one), against λ_κ^(n); `z` standard
    errors of the finite-width fluctuation (estimated from `fluctuation_samples` random features) is the
    tolerance. `bias=False`: b_r = 0 and its gradient left out of the kernel (the bias-free model)."""

    widths: tuple[int, ...] = param((32768,), at_least=2, at_most=MAX_WIDTH, max_length=1)
    bias: bool = True
    z: float = param(3.0, positive=True, analysis=True)
    fluctuation_samples: int = param(1 << 17, at_least=1024, at_most=1 << 22, analysis=True)


@dataclass(frozen=True, kw_only=True)
class CircleFit(CircleNetwork):
    """Gradient descent on one harmonic cos κθ per run, at every width and κ (module doc); the model has its
    biases b_r (the engine trains every parameter of its networks)."""

    kappas: tuple[int, ...] = param((1, 2, 3), at_least=1, max_length=64)
    widths: tuple[int, ...] = param((2048, 8192, 32768), at_least=2, at_most=MAX_WIDTH, max_length=8)
    lazy_scale: float = param(1.0, positive=True, at_least=1e-3, at_most=1e3)
    step_rate: float = param(0.075, positive=True, at_most=0.5)
    lr_cap: float = param(1.5, positive=True, at_most=1.9)
    run_factor: float = param(2.0, at_least=1.2, at_most=50.0)
    kernel_snapshots: int = param(6, at_least=2, at_most=64)
    delta: float = param(0.1, positive=True, at_most=0.5, analysis=True)

    def kernel_eigenvalues(self, kappas: np.ndarray) -> np.ndarray:
        """λ_κ^(n) of the trained model (both layers, with bias) on the setup's grid."""
        return circle_ntk_eigenvalues(kappas, self.points, True, "both")

    def planned_network_steps(self) -> int:
        """One run per width and κ of its `run_lengths` updates, one network per seed."""
        return self.seeds * len(self.widths) * int(np.sum(run_lengths(self)))

    def check(self) -> None:
        super().check()
        if list(self.widths) != sorted(set(self.widths)):
            self.refuse("widths", f"must increase, not {list(self.widths)}")
        if self.delta < REFERENCE_DELTA ** (self.run_factor / 1.1):
            self.refuse("delta", f"{self.delta:g} is not reached within {self.run_factor:g} × the time to "
                        f"{REFERENCE_DELTA:g} even at a learning time 1.1 × the predicted one")


@dataclass(frozen=True, kw_only=True)
class CircleKernelResult(Result):
    """Quotients along e_κ (S, K) of the kernel of all parameters and of the hidden layer's, in the
    normalisation of λ_κ^(n) (module doc); the standard deviation over each network's m/2 neuron pairs of the
    per-pair quotient (S, K); the kernel's first row K(θ_0, θ_j) (S, n)."""

    quotients_both: np.ndarray
    quotients_hidden: np.ndarray
    pair_sd_both: np.ndarray
    pair_sd_hidden: np.ndarray
    kernel_row: np.ndarray


@dataclass(frozen=True, kw_only=True)
class HarmonicRun(Result):
    """One width and one harmonic: the kernel-regime step η_κ (the engine's step × α²), |r̂_κ(t)|/|r̂_κ(0)|
    after every update (T + 1, S), the relative RMS of the residual outside the κ-component at the end (S,),
    the kernel snapshots' steps (J,), quotients along cos κθ (J, S) (normalisation of the module doc) and drift
    ‖K_t - K_0‖_F / ‖K_0‖_F (J, S), the seeds whose training diverged."""

    width: int
    kappa: int
    lr: float
    component: np.ndarray
    leakage: np.ndarray
    kernel_steps: np.ndarray
    quotients: np.ndarray
    drift: np.ndarray
    diverged: tuple[int, ...]


@dataclass(frozen=True, kw_only=True)
class CircleFitResult(Result):
    """Every (width, κ) run of a circle fit, widths outer, κ inner."""

    runs: tuple[HarmonicRun, ...]

    def run(self, width: int, kappa: int) -> HarmonicRun:
        for run in self.runs:
            if run.width == width and run.kappa == kappa:
                return run
        raise KeyError(f"no run at width {width} and κ = {kappa}")

    @property
    def diverged(self) -> tuple[int, ...]:
        return tuple(sorted({seed for run in self.runs for seed in run.diverged}))


TRAINING = "fpcheck.empirics.circle_training"
CIRCLE_KERNEL = Experiment("circle-kernel", CircleKernel, CircleKernelResult, f"{TRAINING}:initial_kernels",
                           "the empirical NTK of two-layer networks on the circle at initialisation")
CIRCLE_FIT = Experiment("circle-fit", CircleFit, CircleFitResult, f"{TRAINING}:harmonic_fits",
                        "two-layer networks trained by gradient descent on one harmonic of the circle")


# ------------------------------------------------------------------------------------ the step rule


def eigenvalues(setup: CircleFit, kappas: tuple[int, ...] | None = None) -> np.ndarray:
    """λ_κ^(n) of the trained model on the setup's grid (`CircleFit.kernel_eigenvalues`), for its κ by default."""
    return setup.kernel_eigenvalues(np.asarray(setup.kappas if kappas is None else kappas))


def step_sizes(setup: CircleFit) -> np.ndarray:
    """The kernel-regime step η_κ per κ (module doc: the step rule); the engine's step is η_κ / α²."""
    lam, lam0 = eigenvalues(setup), float(eigenvalues(setup, (0,))[0])
    return np.minimum(setup.step_rate / (LOSS_FACTOR * lam), setup.lr_cap / (LOSS_FACTOR * lam0))


def predicted_times(setup: CircleFit, delta: float | None = None) -> np.ndarray:
    """The kernel-regime time t_κ to `delta` (the setup's by default) at the step rule's η_κ."""
    level = setup.delta if delta is None else delta
    return np.array([float(gradient_descent_time(lam, float(lr), level))
                     for lam, lr in zip(eigenvalues(setup), step_sizes(setup), strict=True)])


def run_lengths(setup: CircleFit) -> np.ndarray:
    """The number of updates of each κ's runs: run_factor × the predicted time to REFERENCE_DELTA."""
    return np.ceil(setup.run_factor * predicted_times(setup, REFERENCE_DELTA)).astype(int)


def kernel_steps(steps: int, snapshots: int) -> np.ndarray:
    """`snapshots` steps spread evenly over 0 … steps (both ends included)."""
    return np.unique(np.round(np.linspace(0, steps, snapshots)).astype(int))


# ------------------------------------------------------------------------------------- measurements


def learning_times(component: np.ndarray, delta: float) -> np.ndarray:
    """The first t at which component (T + 1, S) falls to δ, ln-interpolated between steps; NaN if never."""
    logs = np.log(np.maximum(component, 1e-300))
    target = np.log(delta)
    times = np.full(component.shape[1], np.nan)
    for member in range(component.shape[1]):
        below = np.flatnonzero(logs[:, member] <= target)
        if below.size == 0:
            continue
        step = int(below[0])
        if step == 0:
            times[member] = 0.0
            continue
        before, after = logs[step - 1, member], logs[step, member]
        times[member] = step - 1 + (before - target) / (before - after)
    return times


def drift_corrected_times(steps: np.ndarray, quotients: np.ndarray, lr: float, delta: float) -> np.ndarray:
    """The time at which Σ_t -ln|1 - c η q_t| reaches ln(1/δ), with the measured quotient q_t along cos κθ
    interpolated linearly between kernel snapshots (J,) (quotients (J, S)): the learning time the drifting
    kernel itself predicts; NaN beyond the last snapshot."""
    grid = np.arange(int(steps[-1]) + 1)
    out = np.full(quotients.shape[1], np.nan)
    for member in range(quotients.shape[1]):
        rates = np.interp(grid, steps, quotients[:, member])
        decay = np.cumsum(-np.log(np.abs(1.0 - LOSS_FACTOR * lr * rates)))
        reached = np.flatnonzero(decay >= np.log(1.0 / delta))
        if reached.size:
            step = int(reached[0])
            previous = decay[step - 1] if step > 0 else 0.0
            out[member] = step + (np.log(1.0 / delta) - previous) / (decay[step] - previous)
    return out


def at_times(steps: np.ndarray, values: np.ndarray, times: np.ndarray) -> np.ndarray:
    """values (J, S) at snapshot steps (J,), interpolated at each seed's time (S,) (NaN for a NaN time)."""
    return np.array([np.interp(t, steps, values[:, member]) if np.isfinite(t) else np.nan
                     for member, t in enumerate(times)])


def kernel_rows(setup: CircleKernel, result: CircleKernelResult) -> pd.DataFrame:
    frames = []
    for member, seed in enumerate(result.seeds):
        frames += [tidy(seed, "rayleigh_quotient", result.quotients_both[member], x=setup.kappas),
                   tidy(seed, "rayleigh_quotient_hidden", result.quotients_hidden[member], x=setup.kappas),
                   tidy(seed, "pair_sd", result.pair_sd_both[member], x=setup.kappas),
                   tidy(seed, "pair_sd_hidden", result.pair_sd_hidden[member], x=setup.kappas)]
    return concat(frames)


@produces("rayleigh_quotient", "rayleigh_quotient_hidden", "pair_sd", "pair_sd_hidden")
def measure_kernel(setup: CircleKernel, result: CircleKernelResult) -> Measurement:
    """The empirical NTK's quotients along each harmonic at initialisation (module doc), for both layers and
    for the hidden layer alone, and the spread of the per-pair quotients the fluctuation tolerance rests on."""
    median = np.median(result.quotients_both, axis=0)
    summary = (f"width {setup.widths[0]}: median quotient along e_κ (normalisation of λ_κ^(n)) "
               + ", ".join(f"κ={k}: {q:.4g}" for k, q in zip(setup.kappas, median, strict=True)))
    return Measurement(kernel_rows(setup, result), summary=summary,
                       artifacts={"kernel_row": result.kernel_row})


def time_table(setup: CircleFit, result: CircleFitResult) -> dict[int, np.ndarray]:
    """Measured learning times (S, K) per width at the setup's δ."""
    return {width: np.stack([learning_times(result.run(width, k).component, setup.delta) for k in setup.kappas],
                            axis=1) for width in setup.widths}


@produces("learning_time", "final_component_over_delta", "learning_time_ratio", "kernel_drift", "rayleigh_ratio",
          "drift_corrected_time")
def measure_learning_times(setup: CircleFit, result: CircleFitResult) -> Measurement:
    """Per κ at the widest width: the measured learning time; the κ-component at the end of the run over δ
    (the fit criterion: ≤ 1 means the harmonic was learned); and, to explain a deviation, the measured
    over the predicted time (`predicted_times`, theory: a comparison, not a measurement), the kernel drift and
    the quotient along cos κθ (over its initial value) at the measured time, and the time the measured
    quotient itself predicts (`drift_corrected_times`)."""
    times, predicted = time_table(setup, result), predicted_times(setup)
    widest = setup.widths[-1]
    frames = []
    drift_text = []
    for member, seed in enumerate(result.seeds):
        final = np.array([result.run(widest, k).component[-1, member] for k in setup.kappas])
        frames += [tidy(seed, "learning_time", times[widest][member], x=setup.kappas),
                   tidy(seed, "final_component_over_delta", final / setup.delta, x=setup.kappas),
                   tidy(seed, "learning_time_ratio", times[widest][member] / predicted, x=setup.kappas)]
        for width in setup.widths:
            frames.append(tidy(seed, f"learning_time_ratio_width_{width}", times[width][member] / predicted,
                               x=setup.kappas))
    for index, kappa in enumerate(setup.kappas):
        run = result.run(widest, kappa)
        measured = times[widest][:, index]
        drift = at_times(run.kernel_steps, run.drift, measured)
        ratio = at_times(run.kernel_steps, run.quotients / run.quotients[:1], measured)
        corrected = drift_corrected_times(run.kernel_steps, run.quotients, run.lr, setup.delta)
        for member, seed in enumerate(result.seeds):
            frames += [tidy(seed, "kernel_drift", drift[member], x=kappa),
                       tidy(seed, "rayleigh_ratio", ratio[member], x=kappa),
                       tidy(seed, "drift_corrected_time", corrected[member], x=kappa)]
        drift_text.append(f"κ={kappa}: t/t_pred {np.nanmedian(measured) / predicted[index]:.3g}, drift "
                          f"{np.nanmedian(drift):.3g}, quotient ×{np.nanmedian(ratio):.3g}, kernel-drift time / t "
                          f"{np.nanmedian(corrected / measured):.3g}")
    summary = f"width {widest}, medians over seeds: " + "; ".join(drift_text)
    return Measurement(concat(frames), summary=summary, diverged_seeds=result.diverged,
                       artifacts={"times": times, "predicted": predicted})


def deviation_exponents(setup: CircleFit, times: dict[int, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Per seed, the worst deviation max_κ |t/t_pred - 1| at each width (S, W), and the least-squares slope of
    its logarithm against ln(width) (S,). A run that never reached δ counts at its run length: a lower bound of
    its deviation, which can only make the slope less negative (those are the narrow widths)."""
    predicted, lengths = predicted_times(setup), run_lengths(setup)
    deviation = np.stack([np.max(np.abs(np.where(np.isnan(times[w]), lengths, times[w]) / predicted - 1.0), axis=1)
                          for w in setup.widths], axis=1)
    logs = np.log(np.asarray(setup.widths, dtype=float))
    with np.errstate(divide="ignore", invalid="ignore"):
        slopes = np.array([np.polyfit(logs, np.log(row), 1)[0] if np.all(np.isfinite(np.log(row))) else np.nan
                           for row in deviation])
    return deviation, slopes


def upper_interval_end(values: np.ndarray, level: float = LEVEL) -> float:
    """The upper end of the two-sided `level` t-interval of the mean of `values` (NaN if any is NaN or < 2)."""
    if values.size < 2 or not np.all(np.isfinite(values)):
        return float("nan")
    spread = np.std(values, ddof=1) / np.sqrt(values.size)
    return float(np.mean(values) + stats.t.ppf(0.5 + level / 2, values.size - 1) * spread)


@produces(*measure_learning_times.quantities, "deviation", "deviation_exponent", "deviation_exponent_upper")
def measure_width_scaling(setup: CircleFit, result: CircleFitResult) -> Measurement:
    """`measure_learning_times`, and the shrinking of the deviation with width: per seed the worst deviation
    max_κ |t/t_pred - 1| per width, the slope of its logarithm against ln(width), and (one value for all
    seeds) the upper end of the 90 % t-interval of the mean slope over seeds."""
    base = measure_learning_times(setup, result)
    deviation, slopes = deviation_exponents(setup, time_table(setup, result))
    upper = upper_interval_end(slopes)
    frames = [base.table, tidy(ALL_SEEDS, "deviation_exponent_upper", upper)]
    for member, seed in enumerate(result.seeds):
        frames += [tidy(seed, "deviation", deviation[member], x=setup.widths),
                   tidy(seed, "deviation_exponent", slopes[member])]
    summary = (f"{base.summary}. Worst deviation per width (median): "
               + ", ".join(f"{w}: {d:.3g}" for w, d in zip(setup.widths, np.median(deviation, axis=0), strict=True))
               + f"; exponent per seed {', '.join(f'{s:.2f}' for s in slopes)}, 90 % upper end {upper:.3g}")
    return Measurement(concat(frames), summary=summary, diverged_seeds=base.diverged_seeds,
                       artifacts={**base.artifacts, "deviation": deviation})
