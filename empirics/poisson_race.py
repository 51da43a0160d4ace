"""The Poisson race: -u'' = g solved by weighted Jacobi, by a DNN on the Ritz energy, and by DNN-then-Jacobi,
and what is measured on it (Xu et al. 2019, arXiv:1901.06523, § Poisson equation; seed 002; torch-free:
the solvers themselves are `fpcheck.empirics.poisson`).

The problem. On N = `interior_points` interior points x_i = i h of (0, 1), h = 1/(N + 1), u(0) = u(1) = 0,
the solution is u(x) = Σ_m a_m sin(π k_m x) (`modes` k_m, `amplitudes` a_m) and the right-hand side is
g = A u at the grid points, A = tridiag(-1, 2, -1)/h² the central-difference Laplacian, so that the grid
values of u solve the discrete problem exactly. The error at a peak is |c_k(v - u)| / |a_k| with the
discrete sine coefficient c_k(v) = 2h Σ_i v_i sin(πk x_i).

The solvers (each timed on one thread, `fpcheck.empirics.poisson`).
- Weighted Jacobi (ω = 2/3) from zero, numpy float64, checked every `check_every` sweeps until the max
  error is ≤ `tolerance` or `max_sweeps`: mode k shrinks by λ_k = 1 - ω(1 - cos(πkh)) per sweep
  (`fpcheck.theory.jacobi`, docs/formulas.md §4), high frequencies first.
- A DNN v(x) = x(1 - x) N_θ(x) (`hidden` widths, `activation`) trained by full-batch Adam (float32, `lr`,
  `dnn_steps` steps) on the discrete Ritz energy through the engine (`fpcheck.empirics.ensemble`,
  `fpcheck.empirics.losses.RitzEnergy`), checked every `eval_every` steps; the F-Principle predicts low
  frequencies first.
- DNN then Jacobi: Jacobi from the DNN's grid values at step `switch_step`.

A peak converges at the first check after which its relative error stays below `peak_threshold` to the
end (`fpcheck.empirics.snapshots.settled_below`; the convention of docs/formulas.md §4); the order of the
peaks is Spearman's ρ of mode against convergence check. Time is the CPU time of the one thread every
solver runs on (`fpcheck.empirics.poisson`); the hybrid is compared with each solver alone by the ratio
of their times (≤ 1: the hybrid is faster). A solver that never reaches the tolerance is charged its whole
run time, a lower bound (it ties last). The DNN's fit is its final error in the energy norm, ‖v - u‖_A /
‖u‖_A. A seed whose network diverges (the engine's one rule: its energy NaN/inf or beyond
`diverge_factor` × its initial magnitude) has no DNN or hybrid history; the measurement names it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from fpcheck.empirics.experiment import Experiment, Result
from fpcheck.empirics.setup import Setup, param
from fpcheck.empirics.snapshots import settled_below, step_at
from fpcheck.tables import ALL_SEEDS, Measurement, concat, produces, tidy
from fpcheck.theory.jacobi import jacobi_sweeps_to_reduce

MAX_POINTS = 1 << 20
MAX_WIDTH = 8192


@dataclass(frozen=True, kw_only=True)
class PoissonRace(Setup):
    """The three solvers of -u'' = g on a grid of `interior_points` points (module doc)."""

    interior_points: int = param(511, at_least=3, at_most=MAX_POINTS)
    modes: tuple[int, ...] = param((1, 5, 20), positive=True, max_length=64)
    amplitudes: tuple[float, ...] = param((1.0, 0.2, 0.05), max_length=64)
    tolerance: float = param(0.01, positive=True)
    hidden: tuple[int, ...] = param((64, 64, 64), positive=True, at_most=MAX_WIDTH, max_length=64)
    activation: Literal["tanh", "relu", "logistic"] = "tanh"
    lr: float = param(0.001, positive=True, at_most=100.0)
    dnn_steps: int = param(1500, positive=True, at_most=10_000_000)
    eval_every: int = param(25, positive=True)
    switch_step: int = param(100, at_least=0)
    check_every: int = param(200, positive=True)
    max_sweeps: int = param(3_000_000, positive=True, at_most=1_000_000_000)
    peak_threshold: float = param(0.1, positive=True, analysis=True)

    family = "Poisson race"

    def planned_network_steps(self) -> int:
        """One Ritz network per seed for `dnn_steps` updates (Jacobi's sweeps are not network-steps)."""
        return self.seeds * self.dnn_steps

    def check(self) -> None:
        if len(self.amplitudes) != len(self.modes):
            self.refuse("amplitudes", f"give one amplitude per mode ({len(self.modes)})")
        if any(a == 0 for a in self.amplitudes):
            self.refuse("amplitudes", f"must be non-zero, not {list(self.amplitudes)}")
        if len(set(self.modes)) != len(self.modes) or max(self.modes) > self.interior_points:
            self.refuse("modes", f"must be distinct integers in 1 … {self.interior_points}, not {list(self.modes)}")
        if self.switch_step % self.eval_every or self.switch_step > self.dnn_steps:
            self.refuse("switch_step", f"{self.switch_step} must be a multiple of eval_every = {self.eval_every} "
                        f"within 0 … dnn_steps = {self.dnn_steps}")
        if self.check_every > self.max_sweeps:
            self.refuse("check_every", f"{self.check_every} exceeds max_sweeps = {self.max_sweeps}")
        if not self.peak_threshold < 1:
            self.refuse("peak_threshold", f"must lie in (0, 1), not {self.peak_threshold!r}")

    @property
    def check_steps(self) -> tuple[int, ...]:
        """The DNN's checks: 0, eval_every, 2 eval_every, … ≤ dnn_steps."""
        return tuple(range(0, self.dnn_steps + 1, self.eval_every))


@dataclass(frozen=True, kw_only=True)
class History(Result):
    """A solver's record at its checks: iterations (sweeps or steps), CPU seconds since its start, max
    error, peak errors (checks × peaks) and error in the energy norm. `seeds` holds the seed whose network
    it follows (none for Jacobi from zero)."""

    iterations: np.ndarray
    seconds: np.ndarray
    max_error: np.ndarray
    peak_errors: np.ndarray
    energy_error: np.ndarray

    def reaches(self, tolerance: float) -> bool:
        return bool(np.any(self.max_error <= tolerance))

    def seconds_to(self, tolerance: float) -> float:
        """The time of the first check within tolerance, or the whole run's time when there is none."""
        within = np.flatnonzero(self.max_error <= tolerance)
        return float(self.seconds[within[0]] if within.size else self.seconds[-1])


@dataclass(frozen=True, kw_only=True)
class PoissonRaceResult(Result):
    """Jacobi alone (seed-independent); per seed that did not diverge, in seed order, the DNN alone, the
    hybrid's Jacobi phase (its seconds count from the switch) and the DNN's seconds at the switch."""

    jacobi: History
    dnn: tuple[History, ...]
    hybrid: tuple[History, ...]
    switch_seconds: np.ndarray
    diverged: tuple[int, ...]

    def hybrid_seconds_to(self, member: int, tolerance: float) -> float:
        """The hybrid's time to the tolerance for the `member`-th trained seed, the DNN phase included."""
        return float(self.switch_seconds[member]) + self.hybrid[member].seconds_to(tolerance)


POISSON_RACE = Experiment("poisson-race", PoissonRace, PoissonRaceResult, "fpcheck.empirics.poisson:solver_race",
                          "weighted Jacobi, a DNN on the Ritz energy and DNN-then-Jacobi on -u'' = g")


@produces("jacobi_convergence_sweep", "jacobi_seconds", "jacobi_reached", "dnn_convergence_step", "dnn_seconds",
          "dnn_reached", "dnn_energy_error", "hybrid_seconds", "hybrid_reached", "hybrid_over_jacobi_time",
          "hybrid_over_dnn_time")
def measure_race(setup: PoissonRace, result: PoissonRaceResult) -> Measurement:
    """When each solver settles each peak, each solver's time to the max-error tolerance, and the hybrid's
    time over each solver's alone."""
    tolerance, threshold, jacobi = setup.tolerance, setup.peak_threshold, result.jacobi
    modes = np.array(setup.modes)
    jacobi_sweeps = step_at(jacobi.iterations, settled_below(jacobi.peak_errors, threshold))
    check = setup.check_every
    predicted = np.ceil(jacobi_sweeps_to_reduce(modes, setup.interior_points, threshold) / check) * check
    jacobi_seconds = jacobi.seconds_to(tolerance)
    frames = [
        tidy(ALL_SEEDS, "jacobi_convergence_sweep", jacobi_sweeps, x=modes),
        tidy(ALL_SEEDS, "jacobi_seconds", jacobi_seconds),
        tidy(ALL_SEEDS, "jacobi_reached", float(jacobi.reaches(tolerance))),
    ]
    lines = []
    for member, (dnn, hybrid) in enumerate(zip(result.dnn, result.hybrid, strict=True)):
        seed = dnn.seeds[0]
        hybrid_seconds, dnn_seconds = result.hybrid_seconds_to(member, tolerance), dnn.seconds_to(tolerance)
        frames += [
            tidy(seed, "dnn_convergence_step", step_at(dnn.iterations, settled_below(dnn.peak_errors, threshold)),
                 x=modes),
            tidy(seed, "dnn_seconds", dnn_seconds),
            tidy(seed, "dnn_reached", float(dnn.reaches(tolerance))),
            tidy(seed, "dnn_energy_error", float(dnn.energy_error[-1])),
            tidy(seed, "hybrid_seconds", hybrid_seconds),
            tidy(seed, "hybrid_reached", float(hybrid.reaches(tolerance))),
            tidy(seed, "hybrid_over_jacobi_time", hybrid_seconds / jacobi_seconds),
            tidy(seed, "hybrid_over_dnn_time", hybrid_seconds / dnn_seconds),
        ]
        lines.append(
            f"seed {seed}: DNN {dnn_seconds:.3g} s{'' if dnn.reaches(tolerance) else ' (never)'} (final energy-norm "
            f"error {dnn.energy_error[-1]:.3g}), hybrid {hybrid_seconds:.3g} s ({result.switch_seconds[member]:.3g} s "
            f"DNN + {hybrid.iterations[-1]} sweeps)"
        )
    summary = (
        f"time to max error ≤ {tolerance:g}: Jacobi {jacobi_seconds:.2f} s ({jacobi.iterations[-1]} sweeps"
        f"{'' if jacobi.reaches(tolerance) else ', never'}); " + "; ".join(lines)
    )
    notes = (
        f"Problem: -u'' = g on (0, 1) with N = {setup.interior_points} interior points, u = "
        + " + ".join(f"{a:g} sin({k}πx)" for k, a in zip(setup.modes, setup.amplitudes, strict=True))
        + ", g = the central-difference Laplacian of u at the grid points, so the grid values of u solve the "
        "discrete problem exactly and every solver converges to them; amplitudes ∝ 1/k give every peak the same "
        "share of the Dirichlet energy ½∫|u'|², so that no peak dominates the Ritz energy's gradient.",
        "Solvers: weighted Jacobi (ω = 2/3, numpy float64, error checked every "
        f"{setup.check_every} sweeps); a {setup.activation} MLP {list(setup.hidden)} with v = x(1-x)N(x), "
        f"full-batch Adam (lr {setup.lr:g}, float32) on the discrete Ritz energy (1/2h)Σ(v_{{i+1}}-v_i)² - "
        f"hΣ g_i v_i, checked every {setup.eval_every} steps; DNN then Jacobi from the DNN's values at step "
        f"{setup.switch_step}. All on one thread, timed by its CPU time (time.thread_time: the wall time on an idle "
        "machine, without the time other processes hold the core on a shared one); a solver that never reaches the "
        "tolerance is charged its whole run (a lower bound). `hybrid_over_*_time` is the hybrid's time over that "
        "solver's alone.",
        f"Peak convergence (the convention of docs/formulas.md §4): the first check after which the peak's relative "
        f"error |c_k(v - u)|/|a_k| stays below {threshold:g}. Jacobi's peaks settled after "
        f"{jacobi_sweeps.tolist()} sweeps; the per-mode factor predicts {predicted.astype(int).tolist()} (rounded "
        f"up to the check interval): {'the same' if np.array_equal(jacobi_sweeps, predicted) else 'they differ'}. "
        "The DNN's fit: its final error in the energy norm ‖v - u‖_A/‖u‖_A, ‖e‖²_A = Σ (e_{i+1} - e_i)².",
    )
    return Measurement(concat(frames), summary, diverged_seeds=result.diverged, notes=notes)
