"""The sine-fit family: 1D networks fitting a sum of sines on an on-bin periodic grid, and what is
measured on them (torch-free: the training itself is `fpcheck.empirics.grid_training`).

Setting. The target Σ_i A_i sin(2π k_i x / P + φ_i) is sampled on the on-bin grid of `points` points of
`interval` = [start, start + P) (`fpcheck.empirics.grids`), phases φ_i = 0 or drawn per seed (Rahaman et
al. 2019, Eq. 8); one MLP per seed (`hidden` widths, `activation`, `init` × `init_scale`) is trained full
batch on the mean squared error (or the Sobolev loss, `fpcheck.empirics.losses.SobolevLoss`, of order
`sobolev_s`, its weights capped above the highest peak with `sobolev_cap`) with Adam or plain gradient descent,
float32. Input encoding: with encoding = "fourier-peaks" the network reads, instead of x, the Fourier
features [a_i sin(2π k_i x / P), a_i cos(2π k_i x / P)] at the target's own peaks k_i, a_i = encoding_scale
× k_i / max k (Tancik et al. 2020, "Fourier features let networks learn high frequency functions in low
dimensional domains", NeurIPS, arXiv:2006.10739: the NTK of the encoded network is a function of
Σ_i a_i² cos(2π k_i (x - x') / P), whose first-order term gives peak k_i the rate ∝ a_i²).
Spectra follow `fpcheck.empirics.spectra`: ordinary frequency in cycles per period, c_k = (1/n) Σ_j v_j
e^{-2πikx_j/P}, network and labels transformed alike. Δ_F(k) = |ĥ(k) - ŷ(k)| / |ŷ(k)| (complex difference);
2|ĥ(k)|/A = |ĥ(k)|/|ŷ(k)| is Rahaman's normalised amplitude. A peak converges at the first snapshot after
which Δ_F stays below `threshold` to the end; a peak that never does converges "after the last step" (ties
last).

Experiments (each a setup type and a result type):
- `SINE_FIT` (`SineFit`): the fit itself, optionally on the even grid points with the odd ones held out;
- `NOISY_SINE_FIT` (`NoisySineFit`): labels plus noise confined to a frequency band (Xu 2018 §3);
- `INIT_SCALES` (`InitScaleFit`): the same fit from the standard and from a scaled initialisation;
- `PERTURBED_SINE_FIT` (`PerturbedSineFit`): trained networks under random parameter perturbations (it
  continues `SINE_FIT`: a claim that fits the same sines shares the trained networks);
- `NORM_TRACKED_SINE_FIT` (`NormTrackedSineFit`): the fit with the weights kept every `bound_every` steps.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from fpcheck.empirics.experiment import Experiment, Result
from fpcheck.empirics.grids import PeriodicGrid, periodic_grid
from fpcheck.empirics.setup import Setup, param
from fpcheck.empirics.spectra import (
    band_power,
    convergence_steps,
    first_reach_steps,
    fourier_coefficients,
    peak_coefficients,
    peak_errors,
    rank_correlation,
)
from fpcheck.tables import Measurement, concat, produces, tidy

MAX_POINTS = 1 << 16
MAX_WIDTH = 8192
MAX_PARAMETERS = 200_000_000
"""Parameters × seeds beyond which a sine fit is refused (Adam keeps four float32 copies: ~3 GiB)."""
CURVE_POINTS = 60  # snapshots per curve written to the results table (the figures use every snapshot)


@dataclass(frozen=True, kw_only=True)
class SineFit(Setup):
    """A sum of sines fitted on a periodic grid (module doc)."""

    frequencies: tuple[int, ...] = param((1, 2, 3, 4, 5, 6), positive=True, max_length=64)
    amplitudes: tuple[float, ...] = param((1.0,) * 6, positive=True, max_length=64)
    interval: tuple[float, ...] = param((0.0, 1.0), min_length=2, max_length=2)
    points: int = param(64, at_least=4, at_most=MAX_POINTS)
    hidden: tuple[int, ...] = param((128, 128, 128, 128), positive=True, at_most=MAX_WIDTH, max_length=64)
    activation: Literal["tanh", "relu", "logistic"] = "relu"
    init: Literal["normal", "gaussian", "uniform"] = "uniform"
    init_scale: float = param(1.0, positive=True)
    optimizer: Literal["adam", "gd"] = "adam"
    lr: float = param(1e-3, positive=True, at_most=100.0)
    steps: int = param(2000, positive=True, at_most=10_000_000)
    snapshot_every: int = param(5, positive=True)
    random_phase: bool = True
    holdout: bool = False
    loss: Literal["mse", "sobolev"] = "mse"
    sobolev_s: float = param(0.0, at_least=-8.0, at_most=8.0)
    sobolev_cap: Literal["none", "highest-peak"] = "none"
    encoding: Literal["none", "fourier-peaks"] = "none"
    encoding_scale: float = param(1.0, positive=True)
    threshold: float = param(0.1, positive=True, analysis=True)
    level: float = param(0.9, positive=True, analysis=True)

    family = "sine fit"

    def check(self) -> None:
        if len(self.amplitudes) != len(self.frequencies):
            self.refuse("amplitudes", f"give one amplitude per frequency ({len(self.frequencies)})")
        if len(set(self.frequencies)) != len(self.frequencies):
            self.refuse("frequencies", f"must be distinct, not {list(self.frequencies)}")
        if not self.interval[1] > self.interval[0]:
            self.refuse("interval", f"must be [start, stop] with start < stop, not {list(self.interval)}")
        train_points = self.points // 2 if self.holdout else self.points
        if self.holdout and self.points % 2:
            self.refuse("points", "must be even to hold out the odd grid points")
        if 2 * max(self.frequencies) >= train_points:
            self.refuse("frequencies", f"k = {max(self.frequencies)} is not below the Nyquist frequency of "
                        f"{train_points} training points")
        if self.snapshot_every > self.steps:
            self.refuse("snapshot_every", f"{self.snapshot_every} exceeds steps = {self.steps}")
        if self.encoding == "none" and self.encoding_scale != 1.0:
            self.refuse("encoding_scale", "applies only with an encoding (encoding = 'fourier-peaks')")
        widths = (self.input_width, *self.hidden, 1)
        parameters = sum((a + 1) * b for a, b in zip(widths[:-1], widths[1:], strict=True))
        if parameters * self.seeds > MAX_PARAMETERS:
            self.refuse("hidden", f"{parameters} parameters × {self.seeds} seeds exceeds the limit {MAX_PARAMETERS}")

    def data(self) -> dict[str, Any]:
        """Every field as data, the input encoding's fields left out while there is no encoding (so a setup
        without one keeps the data, and the configuration hash, it had before they existed)."""
        data = super().data()
        if self.encoding == "none":
            del data["encoding"], data["encoding_scale"]
        return data

    def planned_network_steps(self) -> int:
        """One network per seed for `steps` updates (a continuation such as the perturbation trains its fit)."""
        return self.seeds * self.steps

    @property
    def input_width(self) -> int:
        """The network's input width: 1 for x itself, 2 per peak with the Fourier-feature encoding."""
        return 1 if self.encoding == "none" else 2 * len(self.frequencies)

    def network_inputs(self, points: np.ndarray) -> np.ndarray:
        """The network's inputs (N, input_width) at the grid points (N,) (module doc, "Input encoding")."""
        x = np.asarray(points, dtype=np.float64)
        if self.encoding == "none":
            return x.reshape(-1, 1)  # strides (8, 8), not x[:, None]'s (8, 0): the matmul kernels, so the bits, differ
        peaks = np.asarray(self.peaks, dtype=np.float64)
        scales = self.encoding_scale * peaks / peaks[-1]
        angles = 2 * np.pi * np.outer(x, peaks) / self.grid.period
        return np.concatenate([scales * np.sin(angles), scales * np.cos(angles)], axis=1)

    @property
    def peaks(self) -> list[int]:
        """The target's frequencies in increasing order."""
        return sorted(self.frequencies)

    @property
    def peak_amplitudes(self) -> list[float]:
        order = np.argsort(self.frequencies)
        return [self.amplitudes[i] for i in order]

    @property
    def grid(self) -> PeriodicGrid:
        """The full on-bin grid of `points` points on `interval`."""
        return periodic_grid(self.points, self.interval[0], self.interval[1])

    @property
    def train_grid(self) -> PeriodicGrid:
        """The training grid: the even grid points with `holdout`, else the full grid."""
        return self.grid.subgrid(0, 2) if self.holdout else self.grid

    @property
    def test_grid(self) -> PeriodicGrid:
        """The held-out grid: the odd grid points (only with `holdout`)."""
        return self.grid.subgrid(1, 2)

    @property
    def snapshot_steps(self) -> tuple[int, ...]:
        """0, snapshot_every, 2 snapshot_every, ..., and the last step."""
        return tuple(sorted({*range(0, self.steps + 1, self.snapshot_every), self.steps}))


@dataclass(frozen=True, kw_only=True)
class NoisySineFit(SineFit):
    """A sine fit on the even points whose labels carry noise confined to [noise_band] (Xu 2018 §3)."""

    noise_band: tuple[int, ...] = param((8, 16), positive=True, min_length=2, max_length=2)
    noise_rms: float = param(0.3, positive=True)
    holdout: bool = True

    def check(self) -> None:
        super().check()
        if not self.holdout:
            self.refuse("holdout", "the noisy fit is judged on the held-out odd points: it must be true")
        low, high = self.noise_band
        if not low <= high or 2 * high >= self.points // 2:
            self.refuse("noise_band", f"[{low}, {high}] must satisfy low ≤ high < Nyquist of the training grid")


@dataclass(frozen=True, kw_only=True)
class InitScaleFit(SineFit):
    """The same fit from the standard initialisation and from one with every weight × `large_factor`."""

    large_factor: float = param(10.0, positive=True)
    holdout: bool = True

    def planned_network_steps(self) -> int:
        """Two fits per seed: the standard and the scaled initialisation."""
        return 2 * super().planned_network_steps()


@dataclass(frozen=True, kw_only=True)
class PerturbedSineFit(SineFit):
    """A sine fit whose trained networks are perturbed at random (Rahaman et al. 2019, §5)."""

    perturbation_norms: tuple[float, ...] = param((1.0, 2.0, 4.0, 8.0), positive=True, max_length=64)
    samples: int = param(1024, positive=True, at_most=1_000_000)


@dataclass(frozen=True, kw_only=True)
class NormTrackedSineFit(SineFit):
    """A sine fit whose weights are kept every `bound_every` steps (and at the end)."""

    bound_every: int = param(200, positive=True)

    def check(self) -> None:
        super().check()
        if self.encoding != "none":
            self.refuse("encoding", "the bounds read 1D ReLU networks of x itself: it must be 'none'")
        if self.bound_every % self.snapshot_every:
            self.refuse("bound_every",
                        f"{self.bound_every} must be a multiple of snapshot_every = {self.snapshot_every}")

    @property
    def bound_steps(self) -> tuple[int, ...]:
        return tuple(sorted({*range(0, self.steps + 1, self.bound_every), self.steps}))


@dataclass(frozen=True, kw_only=True)
class SineFitResult(Result):
    """One sine fit: snapshot steps (T,), outputs on the training grid (T, S, N), labels (S, N), the training
    loss after every update (steps + 1, S), the diverged seeds; with holdout, outputs on the held-out grid
    (T, S, M) and its clean target (M,); the trained networks' float32 weights W_l (S, d_in, d_out) and biases
    b_l (S, d_out) per layer (what a continuation such as the perturbation reads)."""

    steps: np.ndarray
    outputs: np.ndarray
    labels: np.ndarray
    loss: np.ndarray
    diverged: tuple[int, ...]
    test_outputs: np.ndarray
    test_target: np.ndarray
    final_weights: tuple[np.ndarray, ...]
    final_biases: tuple[np.ndarray, ...]


@dataclass(frozen=True, kw_only=True)
class NoisySineFitResult(SineFitResult):
    """A noisy fit: the label noise on the training grid (S, N) on top."""

    noise: np.ndarray


@dataclass(frozen=True, kw_only=True)
class InitScaleResult(Result):
    """The standard and the scaled fit (same seeds, same directions of initialisation)."""

    standard: SineFitResult
    large: SineFitResult


@dataclass(frozen=True, kw_only=True)
class PerturbedSineFitResult(SineFitResult):
    """Perturbation losses (S, R, P): mean relative amplitude loss per seed, norm and peak; ‖θ‖ (S,)."""

    losses: np.ndarray
    parameter_norm: np.ndarray


@dataclass(frozen=True, kw_only=True)
class NormTrackedSineFitResult(SineFitResult):
    """Weights W_l (B, S, d_in, d_out) and biases b_l (B, S, d_out) at the bound steps (B,), float32, and
    Π_l ‖W_l‖₂ (B, S) (exact spectral norms, float64 SVD; NaN where a weight is not finite)."""

    bound_steps: np.ndarray
    weights: tuple[np.ndarray, ...]
    biases: tuple[np.ndarray, ...]
    norm_product: np.ndarray


TRAINING = "fpcheck.empirics.grid_training"
SINE_FIT = Experiment("sine-fit", SineFit, SineFitResult, f"{TRAINING}:sine_fit",
                      "a sum of sines fitted on a periodic grid")
NOISY_SINE_FIT = Experiment("noisy-sine-fit", NoisySineFit, NoisySineFitResult, f"{TRAINING}:noisy_sine_fit",
                            "a sine fit with band-limited label noise, judged on held-out points")
INIT_SCALES = Experiment("init-scales", InitScaleFit, InitScaleResult, f"{TRAINING}:init_scales",
                         "a sine fit from the standard and from a scaled initialisation")
PERTURBED_SINE_FIT = Experiment("perturbed-sine-fit", PerturbedSineFit, PerturbedSineFitResult,
                                f"{TRAINING}:perturbed_sine_fit", "trained sine fits under random perturbations",
                                builds_on=SINE_FIT)
NORM_TRACKED_SINE_FIT = Experiment("norm-tracked-sine-fit", NormTrackedSineFit, NormTrackedSineFitResult,
                                   f"{TRAINING}:norm_tracked_sine_fit", "a sine fit with its weights kept")


# ---------------------------------------------------------------------------------------------- rows


def curve_rows(seed: int, quantity: str, steps: np.ndarray, values: np.ndarray) -> pd.DataFrame:
    """Rows of a training curve, thinned to about CURVE_POINTS snapshots (always keeping the last)."""
    keep = np.unique(np.append(np.linspace(0, steps.size - 1, min(CURVE_POINTS, steps.size)).astype(int), -1))
    return tidy(seed, quantity, np.asarray(values)[keep], x=np.asarray(steps)[keep])


def peak_curve_rows(
    seeds: Sequence[int], quantity: str, steps: np.ndarray, peaks: Sequence[int], values: np.ndarray
) -> pd.DataFrame:
    """Rows "<quantity>_k<k>" against the step for every seed and peak; values (T, S, P)."""
    return concat([
        curve_rows(seed, f"{quantity}_k{k}", steps, values[:, member, index])
        for member, seed in enumerate(seeds)
        for index, k in enumerate(peaks)
    ])


def rho_text(x: Sequence[float], rows: np.ndarray) -> str:
    """Spearman ρ between `x` and each row of `rows` (one row per seed), as "0.98, 1.00, ..."."""
    return ", ".join(f"{rank_correlation(np.asarray(x, float), row):.2f}" for row in rows)


def peak_errors_of(setup: SineFit, result: SineFitResult) -> np.ndarray:
    """Δ_F(k) at the setup's peaks on the training grid: (T, S, P)."""
    grid, peaks = setup.train_grid, setup.peaks
    return peak_errors(peak_coefficients(result.outputs, grid, peaks),
                       peak_coefficients(result.labels, grid, peaks)[None])


def normalised_amplitudes(setup: SineFit, result: SineFitResult) -> np.ndarray:
    """|ĥ(k)| / |ŷ(k)| = 2|f̂(k)|/A at the peaks: (T, S, P)."""
    grid, peaks = setup.train_grid, setup.peaks
    return np.abs(peak_coefficients(result.outputs, grid, peaks)) / np.abs(
        peak_coefficients(result.labels, grid, peaks))[None]


def relative_rms(outputs: np.ndarray, target: np.ndarray) -> np.ndarray:
    """RMS of outputs - target over the last axis, over the RMS of the target."""
    return np.sqrt(np.mean((outputs - target) ** 2, axis=-1)) / np.sqrt(np.mean(target**2))


def relative_rms_per_seed(outputs: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """RMS of outputs - labels over the RMS of each seed's own labels: outputs and labels (S, N) -> (S,)."""
    return np.sqrt(np.mean((outputs - labels) ** 2, axis=-1) / np.mean(labels**2, axis=-1))


def fit_artifacts(setup: SineFit, result: SineFitResult) -> dict:
    """What the fit figure draws: the training points, the first seed's labels and outputs."""
    return {"x": setup.train_grid.points, "labels": result.labels[0], "outputs": result.outputs[:, 0]}


# -------------------------------------------------------------------------------------- measurements


@produces("first_reach_step", "final_train_loss", "unreached_peaks", "final_relative_error")
def measure_learning_order(setup: SineFit, result: SineFitResult) -> Measurement:
    """Rahaman et al. Figs. 1-2: the step at which 2|f̂(k)|/A first reaches `level`, per peak and seed; how
    many peaks never reach it; the RMS of fit minus labels over the RMS of the labels at the end (the fit
    itself, whatever loss was minimised)."""
    peaks, seeds = setup.peaks, result.seeds
    amplitude = normalised_amplitudes(setup, result)
    reached = first_reach_steps(result.steps, amplitude, setup.level)
    unreached = np.where(np.isfinite(reached).all(axis=1), np.sum(reached > result.steps[-1], axis=1), np.nan)
    final_error = relative_rms_per_seed(result.outputs[-1], result.labels)
    frames = [peak_curve_rows(seeds, "normalised_amplitude", result.steps, peaks, amplitude)]
    for member, seed in enumerate(seeds):
        frames += [tidy(seed, "first_reach_step", reached[member], x=peaks),
                   tidy(seed, "final_train_loss", result.loss[-1, member]),
                   tidy(seed, "unreached_peaks", unreached[member]),
                   tidy(seed, "final_relative_error", final_error[member])]
    median = np.median(reached, axis=0)
    summary = (
        f"median step at which 2|f̂(k)|/A first reaches {setup.level:g}: "
        + ", ".join(f"k={k}: {s:.0f}" for k, s in zip(peaks, median, strict=True))
        + f" (of {int(result.steps[-1])}; never reached = last + 1); ρ per seed: {rho_text(peaks, reached)}"
    )
    return Measurement(concat(frames), summary=summary, diverged_seeds=result.diverged,
                       artifacts={"amplitude": amplitude[:, 0], "reached": reached, **fit_artifacts(setup, result)})


@produces("convergence_step", "highest_peak_lead", "final_train_loss", "final_over_initial_train_loss")
def measure_convergence_order(setup: SineFit, result: SineFitResult) -> Measurement:
    """Xu et al. 2019 Fig. 1: the step after which Δ_F stays below `threshold`, per peak and seed; and the
    training loss (the loss the run minimised) at the end over its initial value."""
    peaks, seeds = setup.peaks, result.seeds
    errors = peak_errors_of(setup, result)
    converged = convergence_steps(result.steps, errors, setup.threshold)
    frames = [peak_curve_rows(seeds, "delta_F", result.steps, peaks, errors)]
    for member, seed in enumerate(seeds):
        frames += [
            tidy(seed, "convergence_step", converged[member], x=peaks),
            tidy(seed, "highest_peak_lead", converged[member, -1] - np.max(converged[member, :-1])),
            tidy(seed, "final_train_loss", result.loss[-1, member]),
            tidy(seed, "final_over_initial_train_loss", result.loss[-1, member] / result.loss[0, member]),
        ]
    median = np.median(converged, axis=0)
    summary = (
        "median convergence step per peak: "
        + ", ".join(f"k={k}: {step:.0f}" for k, step in zip(peaks, median, strict=True))
        + f" (of {int(result.steps[-1])} steps); ρ per seed: {rho_text(peaks, converged)}"
    )
    return Measurement(concat(frames), summary=summary, diverged_seeds=result.diverged,
                       artifacts={"errors": errors[:, 0], "converged": converged, **fit_artifacts(setup, result)})


@produces("convergence_step_large", "rho_large", "test_error_ratio", "final_train_loss_large",
          "final_train_loss_standard", "convergence_step_standard")
def measure_init_scales(setup: InitScaleFit, result: InitScaleResult) -> Measurement:
    """Xu 2018 §4: convergence order and held-out error from the standard and the large initialisation."""
    peaks, seeds = setup.peaks, result.seeds
    runs = {"standard": result.standard, "large": result.large}
    converged = {name: convergence_steps(run.steps, peak_errors_of(setup, run), setup.threshold)
                 for name, run in runs.items()}
    test_error = {name: relative_rms(run.test_outputs[-1], run.test_target) for name, run in runs.items()}
    ratio = test_error["large"] / test_error["standard"]
    frames = []
    for member, seed in enumerate(seeds):
        for name, run in runs.items():
            frames += [
                tidy(seed, f"convergence_step_{name}", converged[name][member], x=peaks),
                tidy(seed, f"rho_{name}", rank_correlation(np.asarray(peaks, float), converged[name][member])),
                tidy(seed, f"test_error_{name}", test_error[name][member]),
                tidy(seed, f"final_train_loss_{name}", run.loss[-1, member]),
            ]
        frames.append(tidy(seed, "test_error_ratio", ratio[member]))
    diverged = tuple(sorted(set(result.standard.diverged) | set(result.large.diverged)))
    summary = (
        f"ρ per seed, large init: {rho_text(peaks, converged['large'])}; standard: "
        f"{rho_text(peaks, converged['standard'])}; held-out relative error, median: large "
        f"{np.median(test_error['large']):.3f}, standard {np.median(test_error['standard']):.3f}"
    )
    artifacts = {
        "errors": {name: peak_errors_of(setup, run)[:, 0] for name, run in runs.items()},
        "converged": converged,
        "final": {name: (run.outputs[-1, 0], run.test_outputs[-1, 0]) for name, run in runs.items()},
    }
    return Measurement(concat(frames), summary=summary, diverged_seeds=diverged, artifacts=artifacts)


@produces("best_over_final_test_error", "high_band_at_best", "final_train_loss", "final_train_loss_over_noise_power")
def measure_early_stopping(setup: NoisySineFit, result: NoisySineFitResult) -> Measurement:
    """Xu 2018 §3: the best held-out error along training, and how much of the noise band the fit holds then;
    the final training loss over the label-noise power mean(noise²) (the loss of the clean target itself:
    below 1 the network has fitted the signal and begun to fit the noise)."""
    train = setup.train_grid
    low, high = setup.noise_band
    test_error = relative_rms(result.test_outputs, result.test_target)  # (T, S)
    band = np.sqrt(band_power(fourier_coefficients(result.outputs, train), low, high))  # (T, S)
    noise_band = np.sqrt(band_power(fourier_coefficients(result.noise, train), low, high))
    frames, lines = [], []
    best_steps = np.full(len(result.seeds), np.nan)
    for member, seed in enumerate(result.seeds):
        curve = test_error[:, member]
        frames += [
            curve_rows(seed, "test_error", result.steps, curve),
            curve_rows(seed, "high_band_amplitude", result.steps, band[:, member]),
            tidy(seed, "noise_band_amplitude", noise_band[member]),
            tidy(seed, "final_train_loss", result.loss[-1, member]),
            tidy(seed, "final_train_loss_over_noise_power",
                 result.loss[-1, member] / np.mean(result.noise[member] ** 2)),
        ]
        if not np.all(np.isfinite(curve)) or not np.all(np.isfinite(band[:, member])):
            frames += [tidy(seed, "best_over_final_test_error", np.nan), tidy(seed, "high_band_at_best", np.nan)]
            continue
        best = int(np.argmin(curve))
        best_steps[member] = result.steps[best]
        frames += [
            tidy(seed, "best_step", result.steps[best]),
            tidy(seed, "best_over_final_test_error", curve[best] / curve[-1]),
            tidy(seed, "high_band_at_best", band[best, member] / band[-1, member]),
        ]
        lines.append(
            f"seed {seed}: best held-out error {curve[best]:.3f} at step {int(result.steps[best])}, final "
            f"{curve[-1]:.3f}; band amplitude {band[best, member]:.3f} then, {band[-1, member]:.3f} at the end "
            f"(label noise {noise_band[member]:.3f})"
        )
    artifacts = {"test_error": test_error, "band": band, "best_steps": best_steps}
    return Measurement(concat(frames), summary="; ".join(lines), diverged_seeds=result.diverged,
                       artifacts=artifacts)


def amplitude_loss_quantity(norm: float) -> str:
    """The quantity of the mean relative amplitude loss per peak at one perturbation norm."""
    return f"amplitude_loss@norm={norm:g}"


@produces("rho_amplitude_loss", "final_train_loss", "final_relative_error",
          *(amplitude_loss_quantity(norm) for norm in PerturbedSineFit().perturbation_norms))
def measure_robustness(setup: PerturbedSineFit, result: PerturbedSineFitResult) -> Measurement:
    """Rahaman et al. §5: ρ(k, mean relative amplitude loss) at every perturbation norm, per seed; the losses
    per peak at each norm ("amplitude_loss@norm=r", declared for the default norms); the final relative RMS
    error of the trained networks on their training points."""
    peaks, norms = setup.peaks, list(setup.perturbation_norms)
    amplitude = normalised_amplitudes(setup, result)[-1]
    final_error = relative_rms_per_seed(result.outputs[-1], result.labels)
    frames, rhos = [], np.full((len(result.seeds), len(norms)), np.nan)
    for member, seed in enumerate(result.seeds):
        for index, norm in enumerate(norms):
            frames.append(tidy(seed, amplitude_loss_quantity(norm), result.losses[member, index], x=peaks))
            rhos[member, index] = rank_correlation(np.asarray(peaks, float), result.losses[member, index])
        frames += [
            tidy(seed, "rho_amplitude_loss", rhos[member], x=norms),
            tidy(seed, "final_normalised_amplitude", amplitude[member], x=peaks),
            tidy(seed, "parameter_norm", result.parameter_norm[member]),
            tidy(seed, "final_train_loss", result.loss[-1, member]),
            tidy(seed, "final_relative_error", final_error[member]),
        ]
    per_seed = "; ".join(f"seed {seed}: " + ", ".join(f"{r:.2f}" for r in rhos[m])
                         for m, seed in enumerate(result.seeds))
    summary = (
        f"ρ(k, mean relative amplitude loss) per seed at norms {norms}: {per_seed}; parameter norms ‖θ‖ "
        f"{np.min(result.parameter_norm):.1f}-{np.max(result.parameter_norm):.1f}"
    )
    return Measurement(concat(frames), summary=summary, diverged_seeds=result.diverged, artifacts={"rhos": rhos})


def _bound_curves(setup: NormTrackedSineFit, result: NormTrackedSineFitResult) -> dict[str, np.ndarray]:
    """Per bound step and seed (B, S), at the highest peak k: the exact-kink bound (`relu_spectrum.decay_bound`,
    from one `linear_pieces` of the network), the weight-norm bound L/(2πk) + 2LN/(2πk)² with L = Π‖W_l‖₂ (the
    result's exact spectral norms) and N the network's own piece count N_f or the worst case Π(1 + d_l) (the form
    of `relu_spectrum.weight_bound`), and N_f; NaN where a weight is not finite."""
    from fpcheck.theory import relu_spectrum

    k = setup.peaks[-1]
    angular = 2 * np.pi * k
    names = ("kink_bound", "weight_bound", "worst_case_bound", "pieces")
    curves = {name: np.full(result.norm_product.shape, np.nan) for name in names}
    worst_pieces = float(np.prod([1 + width for width in setup.hidden]))
    for index in range(result.bound_steps.size):
        for member in range(len(result.seeds)):
            weights = [w[index, member].T.astype(np.float64) for w in result.weights]
            biases = [b[index, member].astype(np.float64) for b in result.biases]
            lipschitz = result.norm_product[index, member]
            if not (np.isfinite(lipschitz) and all(np.isfinite(a).all() for a in (*weights, *biases))):
                continue
            pieces = relu_spectrum.linear_pieces(weights, biases)
            jumps = float(np.sum(np.abs(pieces.jumps))) + abs(pieces.slope_at_0 - pieces.slope_at_1)
            values = {"kink_bound": abs(pieces.rise) / angular + jumps / angular**2,  # = decay_bound (a test checks)
                      "weight_bound": lipschitz / angular + 2 * lipschitz * pieces.n_pieces / angular**2,
                      "worst_case_bound": lipschitz / angular + 2 * lipschitz * worst_pieces / angular**2,
                      "pieces": pieces.n_pieces}
            for name, value in values.items():
                curves[name][index, member] = value
    curves["lipschitz"] = result.norm_product
    return curves


def lower_peaks_fitted_steps(setup: SineFit, steps: np.ndarray, errors: np.ndarray) -> np.ndarray:
    """The first snapshot at which every peak below the highest has Δ_F < threshold at once (S,); the last
    step + 1 when that never happens. errors (T, S, P)."""
    fitted = np.all(errors[:, :, :-1] < setup.threshold, axis=2)  # (T, S)
    first = np.argmax(fitted, axis=0)
    return np.where(fitted.any(axis=0), steps[first], steps[-1] + 1).astype(float)


@produces("kink_bound_over_target_before_lower_fitted", "lower_peaks_fitted_step", "kink_bound_crossing_step",
          "final_train_loss", "kink_bound_looseness_median", "kink_bound_looseness_worst",
          "weight_bound_looseness_median", "weight_bound_looseness_worst", "weight_bound_over_target_at_start")
def measure_kink_bound(setup: NormTrackedSineFit, result: NormTrackedSineFitResult) -> Measurement:
    """Xu 2018 Fig. 3 against Rahaman et al.'s Theorem 1 at the highest peak k, with the network's own
    constants (`fpcheck.reports.claims.xu2018`): per bound step, the exact-kink bound |f(1) - f(0)|/(2πk) +
    (Σ_m |J_m| + |f'(0+) - f'(1-)|)/(2πk)² over the target amplitude |ŷ(k)|, up to the first snapshot at
    which every lower peak has Δ_F < threshold; beside it the weight-norm forms L/(2πk) + 2LN/(2πk)² (L =
    Π‖W_l‖₂) with N the network's own piece count N_f and with the worst case Π(1 + d_l), and each bound's
    looseness: the bound over the network's measured |ĥ(k)| (its outputs on the grid)."""
    peaks, seeds, k_max = setup.peaks, result.seeds, setup.peaks[-1]
    errors = peak_errors_of(setup, result)
    converged = convergence_steps(result.steps, errors, setup.threshold)
    lower_fitted = lower_peaks_fitted_steps(setup, result.steps, errors)  # (S,)
    target = np.abs(peak_coefficients(result.labels, setup.train_grid, peaks))[:, -1]  # |ŷ(k_max)| per seed
    bound_steps = result.bound_steps
    at_bound = np.searchsorted(result.steps, bound_steps)
    amplitude = np.abs(peak_coefficients(result.outputs[at_bound], setup.train_grid, [k_max]))[..., 0]  # (B, S)
    curves = _bound_curves(setup, result)
    over = {name: curves[name] / target[None] for name in ("kink_bound", "weight_bound", "worst_case_bound")}
    frames = [peak_curve_rows(seeds, "delta_F", result.steps, peaks, errors)]
    lines = []
    moved = result.norm_product[-1] / result.norm_product[0]
    for member, seed in enumerate(seeds):
        window = bound_steps <= lower_fitted[member]
        kink = over["kink_bound"][:, member]
        above = np.flatnonzero(kink >= 1.0)
        crossing = bound_steps[above[0]] if above.size else result.steps[-1] + 1
        frames += [
            tidy(seed, "kink_bound_over_target_before_lower_fitted", kink[window], x=bound_steps[window]),
            tidy(seed, "kink_bound_crossing_step", crossing),
            tidy(seed, "lower_peaks_fitted_step", lower_fitted[member]),
            tidy(seed, "convergence_step", converged[member], x=peaks),
            tidy(seed, "final_train_loss", result.loss[-1, member]),
            tidy(seed, "weight_bound_over_target_at_start", over["weight_bound"][0, member]),
            tidy(seed, "norm_product_ratio_final_initial", moved[member]),
            curve_rows(seed, "amplitude_over_target", bound_steps, amplitude[:, member] / target[member]),
            curve_rows(seed, "pieces", bound_steps, curves["pieces"][:, member]),
            curve_rows(seed, "norm_product", bound_steps, result.norm_product[:, member]),
        ]
        for name, ratio in over.items():
            frames.append(curve_rows(seed, f"{name}_over_target", bound_steps, ratio[:, member]))
            if name != "worst_case_bound":
                looseness = curves[name][:, member] / amplitude[:, member]
                frames += [tidy(seed, f"{name}_looseness_median", np.median(looseness)),
                           tidy(seed, f"{name}_looseness_worst", np.max(looseness))]
        lines.append(
            f"seed {seed}: exact-kink bound / |ŷ({k_max})| {kink[0]:.2g} at step 0, ≥ 1 from step {crossing:.0f}; "
            f"lower peaks fitted at step {lower_fitted[member]:.0f}; weight-norm bound (own N_f = "
            f"{curves['pieces'][0, member]:.0f} → {curves['pieces'][-1, member]:.0f} pieces) / |ŷ| "
            f"{over['weight_bound'][0, member]:.3g} → {over['weight_bound'][-1, member]:.3g}; "
            f"Π‖W‖₂ × {moved[member]:.3g}"
        )
    loose = {name: f"{np.nanmedian(curves[name] / amplitude):.3g}, {np.nanmax(curves[name] / amplitude):.3g}"
             for name in over}
    ratio = curves["weight_bound"] / curves["kink_bound"]
    note = (
        f"**Looseness at k = {k_max}** (a bound over the network's measured |ĥ(k)|, over every bound step and seed: "
        f"median, worst): exact-kink bound {loose['kink_bound']}; weight-norm bound with the network's own piece "
        f"count {loose['weight_bound']}; with the worst-case count Π(1 + d_l) {loose['worst_case_bound']}. The "
        f"weight-norm bound is {np.nanmin(ratio):.3g} to {np.nanmax(ratio):.3g} × the exact-kink bound; Π‖W_l‖₂ "
        f"moved by × {np.min(moved):.3g} to {np.max(moved):.3g} over the {int(result.steps[-1])} steps."
    )
    artifacts = {"errors": errors, "converged": converged, "target": target, "lower_fitted": lower_fitted,
                 "amplitude": amplitude, **curves}
    return Measurement(concat(frames), summary="; ".join(lines), diverged_seeds=result.diverged, notes=(note,),
                       artifacts=artifacts)
