"""The density family: wide two-layer networks trained by gradient descent on one harmonic cos κθ of points of
the circle sampled from a two-piece constant density, and the local learning time in each piece (Basri, Galun,
Geifman, Jacobs, Kasten, Kritchman 2020, arXiv:2003.04560); torch-free (the runs are
`fpcheck.empirics.density_training`).

Points. `dense_points` equispaced points on [0, π) and `sparse_points` on [π, 2π)
(`fpcheck.theory.density_ntk.piecewise_angles`), the sample of the density p = n_r / (n π) on each half (n the
total): the dense half has the density ratio dense_points / sparse_points. Model, paired zero-output
initialisation and lazy scale α: those of `fpcheck.empirics.circle_fit` (its module doc), on these points.

Training. One harmonic y = cos κθ per run (every seed at once, `fpcheck.empirics.ensemble.train_ensemble`),
full-batch gradient descent on the mean squared error (1/n) Σ (f - y)² (no ½: c = 2), float32, the engine's step
η_κ / α². The step rule (`step_sizes`): η_κ = min(step_rate / (c 2π p_dense λ_κ), lr_cap / (c μ_max)) with λ_κ the
continuum eigenvalue and μ_max the largest eigenvalue of K/n on the points, so that the dense half's asymptotic
rate c η 2π p_dense λ_κ is step_rate (≈ 30 steps to δ = 0.1 at 0.075) unless the kernel's top mode would have
the factor |1 - c η μ_max| beyond |1 - lr_cap|. Each run lasts `run_factor` × the slower half's time to δ = 0.1
of the exact kernel dynamics (`predicted_region_times`).

Measurement. The local κ-component of the residual in each half, c_r(t) = Σ_{j∈r} r_t,j y_j / Σ_{j∈r} r_0,j y_j
(`fpcheck.theory.density_ntk.region_components`, the function that gives the prediction from the kernel
dynamics), after every update; the local learning time is the first t at which |c_r(t)| ≤ δ, ln-interpolated
between steps (`fpcheck.empirics.circle_fit.learning_times`). The kernel drift ‖K_t - K_0‖_F / ‖K_0‖_F is
recorded at `kernel_snapshots` steps spread over the run.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fpcheck.empirics.circle_fit import MAX_NEURONS, MAX_WIDTH, REFERENCE_DELTA, at_times, learning_times
from fpcheck.empirics.experiment import Experiment, Result
from fpcheck.empirics.setup import Setup, param
from fpcheck.tables import Measurement, concat, produces, tidy
from fpcheck.theory.circle_ntk import LOSS_FACTOR, circle_ntk_eigenvalues
from fpcheck.theory.density_ntk import (
    kernel_residuals,
    largest_rate,
    piecewise_angles,
    region_components,
    region_densities,
    region_labels,
)

MAX_HALF_POINTS = 2048
RUN_MARGIN = 1.25
"""A run must last RUN_MARGIN × the kernel dynamics' time to the setup's δ in both halves (the local component
is no single exponential: it has a slow tail, so the time to δ is not a fixed multiple of the time to 0.1)."""
HORIZON_DOUBLINGS = 8
"""The exact kernel dynamics is run to 2 × the asymptotic time of the slower half, doubled up to this many times
until both halves have reached δ."""


@dataclass(frozen=True, kw_only=True)
class DensityFit(Setup):
    """Gradient descent on one harmonic cos κθ per run on the two-piece density's points (module doc)."""

    kappas: tuple[int, ...] = param((1, 2), at_least=1, max_length=16)
    dense_points: int = param(48, at_least=2, at_most=MAX_HALF_POINTS)
    sparse_points: int = param(16, at_least=2, at_most=MAX_HALF_POINTS)
    width: int = param(8192, at_least=2, at_most=MAX_WIDTH)
    lazy_scale: float = param(1.0, positive=True, at_least=1e-3, at_most=1e3)
    step_rate: float = param(0.075, positive=True, at_most=0.5)
    lr_cap: float = param(1.5, positive=True, at_most=1.9)
    run_factor: float = param(2.0, at_least=1.2, at_most=50.0)
    kernel_snapshots: int = param(6, at_least=2, at_most=64)
    delta: float = param(0.1, positive=True, at_most=0.5, analysis=True)

    family = "density"

    def planned_network_steps(self) -> int:
        """One run per κ of its `run_lengths` updates, one network per seed."""
        return self.seeds * int(np.sum(run_lengths(self)))

    def check(self) -> None:
        if len(set(self.kappas)) != len(self.kappas):
            self.refuse("kappas", f"must be distinct, not {list(self.kappas)}")
        if self.sparse_points > self.dense_points:
            self.refuse("sparse_points", f"{self.sparse_points} exceeds dense_points = {self.dense_points}")
        if 4 * max(self.kappas) >= 2 * self.sparse_points:
            self.refuse("kappas", f"κ = {max(self.kappas)} is not below the local Nyquist frequency of "
                        f"{self.sparse_points} points on a half circle")
        if self.width % 2:
            self.refuse("width", f"{self.width} must be even (the neurons come in pairs)")
        if self.width * self.seeds > MAX_NEURONS:
            self.refuse("width", f"{self.width} neurons × {self.seeds} seeds exceeds the limit {MAX_NEURONS}")
        try:
            needed = RUN_MARGIN * predicted_region_times(self, self.delta).max(axis=1)
        except ValueError as error:
            self.refuse("delta", str(error))
        if np.any(needed > run_lengths(self)):
            self.refuse("delta", f"{self.delta:g} is not reached within {self.run_factor:g} × the kernel time to "
                        f"{REFERENCE_DELTA:g} by a half {RUN_MARGIN:g} × slower than the kernel dynamics")

    @property
    def counts(self) -> tuple[int, int]:
        return (self.dense_points, self.sparse_points)

    @property
    def angles(self) -> np.ndarray:
        return piecewise_angles(self.counts)

    @property
    def labels(self) -> np.ndarray:
        return region_labels(self.counts)

    @property
    def densities(self) -> np.ndarray:
        """p on the dense and the sparse half."""
        return region_densities(self.counts)


@dataclass(frozen=True, kw_only=True)
class DensityRun(Result):
    """One harmonic: the kernel-regime step η_κ (the engine's step × α²), the local components c_r(t) after every
    update (T + 1, S, 2) (dense, sparse), the kernel snapshots' steps (J,) and drift ‖K_t - K_0‖_F / ‖K_0‖_F (J, S),
    the seeds whose training diverged."""

    kappa: int
    lr: float
    component: np.ndarray
    kernel_steps: np.ndarray
    drift: np.ndarray
    diverged: tuple[int, ...]


@dataclass(frozen=True, kw_only=True)
class DensityFitResult(Result):
    """Every κ's run of a density fit."""

    runs: tuple[DensityRun, ...]

    def run(self, kappa: int) -> DensityRun:
        for run in self.runs:
            if run.kappa == kappa:
                return run
        raise KeyError(f"no run at κ = {kappa}")

    @property
    def diverged(self) -> tuple[int, ...]:
        return tuple(sorted({seed for run in self.runs for seed in run.diverged}))


DENSITY_FIT = Experiment("density-fit", DensityFit, DensityFitResult,
                         "fpcheck.empirics.density_training:density_fits",
                         "two-layer networks trained by gradient descent on one harmonic of points of two densities")


# ------------------------------------------------------------------------------------ the step rule


def step_sizes(setup: DensityFit) -> np.ndarray:
    """The kernel-regime step η_κ per κ (module doc: the step rule); the engine's step is η_κ / α²."""
    lam = circle_ntk_eigenvalues(np.asarray(setup.kappas), None, True, "both")
    top = largest_rate(setup.angles)
    return np.minimum(setup.step_rate / (LOSS_FACTOR * 2 * np.pi * setup.densities[0] * lam),
                      setup.lr_cap / (LOSS_FACTOR * top))


def predicted_components(setup: DensityFit, kappa: int, lr: float, steps: int) -> np.ndarray:
    """c_r(t) of the exact kernel dynamics on the points (`fpcheck.theory.density_ntk`), t = 0 … steps: (T + 1, 2)."""
    target = np.cos(kappa * setup.angles)
    return region_components(kernel_residuals(setup.angles, target, lr, steps), target, setup.labels)


def predicted_region_times(setup: DensityFit, delta: float | None = None) -> np.ndarray:
    """The local learning times (K, 2) (dense, sparse) of the exact kernel dynamics at the step rule's η_κ, with
    the interpolation of the measurement; the horizon doubles until both halves reach δ."""
    level = setup.delta if delta is None else delta
    out = []
    for kappa, lr in zip(setup.kappas, step_sizes(setup), strict=True):
        rate = LOSS_FACTOR * lr * 2 * np.pi * setup.densities[1] * float(
            circle_ntk_eigenvalues(np.array([kappa]), None, True, "both")[0])
        horizon = int(np.ceil(2 * np.log(1 / level) / rate)) + 10
        for _ in range(HORIZON_DOUBLINGS):
            times = learning_times(np.abs(predicted_components(setup, kappa, float(lr), horizon)), level)
            if np.all(np.isfinite(times)):
                break
            horizon *= 2
        else:
            raise ValueError(f"the kernel dynamics does not reach δ = {level:g} at κ = {kappa} within {horizon} steps")
        out.append(times)
    return np.array(out)


def run_lengths(setup: DensityFit) -> np.ndarray:
    """The number of updates of each κ's run: run_factor × the slower half's kernel time to REFERENCE_DELTA."""
    return np.ceil(setup.run_factor * predicted_region_times(setup, REFERENCE_DELTA).max(axis=1)).astype(int)


# ------------------------------------------------------------------------------------- measurements


def region_times(setup: DensityFit, result: DensityFitResult) -> np.ndarray:
    """The measured local learning times (S, K, 2) (dense, sparse) at the setup's δ; NaN where never reached."""
    return np.stack([np.stack([learning_times(np.abs(result.run(k).component[:, :, region]), setup.delta)
                               for region in (0, 1)], axis=1) for k in setup.kappas], axis=1)


@produces("dense_time", "sparse_time", "time_ratio", "final_component_over_delta", "kernel_drift")
def measure_region_times(setup: DensityFit, result: DensityFitResult) -> Measurement:
    """Per κ and seed: the local learning time in each half, the sparse over the dense one, the larger final
    |c_r| over δ (the fit criterion: ≤ 1 means both halves learned the harmonic), and the kernel drift at the
    sparse half's time (what explains a deviation from the kernel dynamics)."""
    times = region_times(setup, result)
    frames = []
    drift_text = []
    for index, kappa in enumerate(setup.kappas):
        run = result.run(kappa)
        drift = at_times(run.kernel_steps, run.drift, times[:, index, 1])
        final = np.max(np.abs(run.component[-1]), axis=1) / setup.delta
        for member, seed in enumerate(result.seeds):
            frames += [tidy(seed, "dense_time", times[member, index, 0], x=kappa),
                       tidy(seed, "sparse_time", times[member, index, 1], x=kappa),
                       tidy(seed, "time_ratio", times[member, index, 1] / times[member, index, 0], x=kappa),
                       tidy(seed, "final_component_over_delta", final[member], x=kappa),
                       tidy(seed, "kernel_drift", drift[member], x=kappa)]
        median = np.nanmedian(times[:, index], axis=0)
        drift_text.append(f"κ={kappa}: dense {median[0]:.1f}, sparse {median[1]:.1f} steps (ratio "
                          f"{median[1] / median[0]:.3g}), drift {np.nanmedian(drift):.3g}")
    summary = f"width {setup.width}, medians over seeds: " + "; ".join(drift_text)
    return Measurement(concat(frames), summary=summary, diverged_seeds=result.diverged, artifacts={"times": times})
