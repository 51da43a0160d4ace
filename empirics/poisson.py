"""The solvers of the Poisson race (`fpcheck.empirics.poisson_race`, where the setup, the result and the
measurement live): weighted Jacobi, a DNN on the Ritz energy, and DNN-then-Jacobi on -u'' = g.

Xu et al. 2019, arXiv:1901.06523; seed 002.

The problem. On N interior points x_i = i h of (0, 1), h = 1/(N + 1), u(0) = u(1) = 0, the solution is
u(x) = Σ_m a_m sin(π k_m x) (three spectral peaks) and the right-hand side is g = A u at the grid
points, A = tridiag(-1, 2, -1)/h² the central-difference Laplacian, so that the grid values of u solve
the discrete problem A u = g exactly: every solver converges to u itself, and the error is measured
against u on the grid (max |v_i - u(x_i)|). The error at a peak is |c_k(v - u)| / |a_k| with the
discrete sine coefficient c_k(v) = 2h Σ_i v_i sin(πk x_i) (= a_k for v = a_k sin(πk x)).

The solvers.
- Weighted Jacobi (ω = 2/3): v_i ← (1 - ω) v_i + (ω/2)(v_{i-1} + v_{i+1} + h² g_i), numpy float64;
  mode k of the error shrinks by λ_k = 1 - ω(1 - cos(πkh)) per sweep (`fpcheck.theory.jacobi`): high
  frequencies first.
- A DNN v(x) = x(1 - x) N_θ(x) (the boundary conditions built in: the engine's readout) trained by
  full-batch Adam (float32) on the Ritz energy ∫ (½|v'|² - g v) dx, discretised as
  (1/2h) Σ_{i=0}^{N} (v_{i+1} - v_i)² - h Σ_i g_i v_i (forward differences, rectangle rule;
  `fpcheck.empirics.losses.RitzEnergy`), whose minimiser over grid functions is exactly A⁻¹g = u. It
  trains through the one engine (`fpcheck.empirics.ensemble.train_ensemble`), one seed at a time so
  that its wall time is that of one network, and diverges by the engine's rule. The F-Principle
  predicts low frequencies first.
- DNN then Jacobi: the DNN trained for a chosen number of steps, its grid values the starting point
  of Jacobi.

Time. Each solver's time to reach the max-error tolerance is measured in the same run, on one thread
(`fpcheck.empirics.runtime.fixed_threads(1)`: torch and BLAS, restored afterwards), checking the error
every `check_every` sweeps or every `eval_every` steps; the DNN's clock is read by the engine's snapshot
hook at each of its checks (the grid values recorded there are those of the forward pass the step
computes anyway, before its update) and starts at the check of step 0, the initial network, as Jacobi's
starts at its initial values. The clock is the CPU time of the calling thread (`time.thread_time`), which
every solver's work runs on: on an idle machine it equals the wall time, and on a shared one it does not
count the time other processes hold the core (the wall time does, by as much as the load). A solver that
never reaches the tolerance within its run is charged its whole run time, a lower bound (it ties last).
"""

from __future__ import annotations

import functools
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.fft
import torch

from fpcheck.empirics.ensemble import TrainingConfig, train_ensemble
from fpcheck.empirics.losses import RitzEnergy
from fpcheck.empirics.mlp import EnsembleParameters, MLPSpec
from fpcheck.empirics.poisson_race import History, PoissonRace, PoissonRaceResult
from fpcheck.empirics.runtime import fixed_threads

JACOBI_WEIGHT = 2.0 / 3.0


@dataclass(frozen=True)
class PoissonProblem:
    """-u'' = g on (0, 1) with u = Σ_m a_m sin(π k_m x) on N interior points (module doc)."""

    interior_points: int
    modes: tuple[int, ...]
    amplitudes: tuple[float, ...]

    def __post_init__(self) -> None:
        n = self.interior_points
        if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 3:
            raise ValueError(f"the number of interior points must be an integer ≥ 3, not {n!r}")
        if len(self.modes) != len(self.amplitudes) or not self.modes:
            raise ValueError("give one amplitude per mode, and at least one mode")
        if any(int(k) != k or not 1 <= k <= n for k in self.modes):
            raise ValueError(f"modes must be integers in 1 … {n}, not {list(self.modes)}")
        if any(not np.isfinite(a) or a == 0 for a in self.amplitudes):
            raise ValueError(f"amplitudes must be finite and non-zero, not {list(self.amplitudes)}")

    @property
    def spacing(self) -> float:
        return 1.0 / (self.interior_points + 1)

    @property
    def points(self) -> np.ndarray:
        return np.arange(1, self.interior_points + 1) * self.spacing

    @functools.cached_property
    def solution(self) -> np.ndarray:
        """u at the grid points (computed once: every check of every solver compares with it)."""
        x = self.points
        return sum(a * np.sin(np.pi * k * x) for k, a in zip(self.modes, self.amplitudes, strict=True))

    @functools.cached_property
    def _solution_energy(self) -> float:
        return _energy(self.solution)

    @property
    def rhs(self) -> np.ndarray:
        """g = A u: the central-difference Laplacian of u at the grid points (u(0) = u(1) = 0)."""
        padded = np.pad(self.solution, 1)
        return (2 * padded[1:-1] - padded[:-2] - padded[2:]) / self.spacing**2

    def sine_coefficients(self, values: np.ndarray) -> np.ndarray:
        """c_k(v) = 2h Σ_i v_i sin(πk x_i) at the problem's modes, for values (..., N)."""
        coefficients = self.spacing * scipy.fft.dst(np.asarray(values, dtype=np.float64), type=1, axis=-1)
        return coefficients[..., np.asarray(self.modes) - 1]

    def peak_errors(self, values: np.ndarray) -> np.ndarray:
        """|c_k(v - u)| / |a_k| at every peak."""
        return np.abs(self.sine_coefficients(np.asarray(values) - self.solution)) / np.abs(self.amplitudes)

    def max_error(self, values: np.ndarray) -> float:
        return float(np.max(np.abs(np.asarray(values) - self.solution)))

    def energy_error(self, values: np.ndarray) -> float:
        """‖v - u‖_A / ‖u‖_A (module doc)."""
        return float(np.sqrt(_energy(np.asarray(values, dtype=np.float64) - self.solution) / self._solution_energy))


def _energy(e: np.ndarray) -> float:
    """‖e‖²_A = Σ_{i=0}^{N} (e_{i+1} - e_i)² with e_0 = e_{N+1} = 0."""
    return float(np.sum(np.diff(np.pad(e, 1)) ** 2))


class Jacobi:
    """Weighted Jacobi sweeps on A v = g, in place on a zero-padded float64 vector (module doc)."""

    def __init__(self, problem: PoissonProblem, start: np.ndarray, omega: float = JACOBI_WEIGHT):
        if not 0 < omega <= 1:
            raise ValueError(f"the Jacobi weight ω must lie in (0, 1], not {omega!r}")
        start = np.asarray(start, dtype=np.float64)
        if start.shape != (problem.interior_points,) or not np.all(np.isfinite(start)):
            raise ValueError(f"the starting values must be {problem.interior_points} finite numbers")
        self.omega = omega
        self._padded = np.pad(start, 1)
        self._forcing = problem.spacing**2 * problem.rhs
        self._sum = np.empty(problem.interior_points)

    @property
    def values(self) -> np.ndarray:
        return self._padded[1:-1]

    def sweep(self, count: int = 1) -> None:
        inner, total = self._padded[1:-1], self._sum
        for _ in range(count):
            np.add(self._padded[:-2], self._padded[2:], out=total)
            total += self._forcing
            total *= 0.5 * self.omega
            inner *= 1.0 - self.omega
            inner += total


def run_jacobi(
    problem: PoissonProblem,
    start: np.ndarray,
    tolerance: float,
    check_every: int,
    max_sweeps: int,
    seeds: tuple[int, ...] = (),
) -> History:
    """Weighted Jacobi from `start` until max error ≤ tolerance (checked every `check_every` sweeps);
    `seeds` names the seed whose network gave the start (none for a start independent of any seed)."""
    if check_every < 1 or max_sweeps < check_every:
        raise ValueError(f"need 1 ≤ check_every ≤ max_sweeps, not {check_every}, {max_sweeps}")
    solver = Jacobi(problem, start)
    rows = [_row(problem, 0, 0.0, solver.values)]
    began = time.thread_time()
    sweeps = 0
    while rows[-1][2] > tolerance and sweeps < max_sweeps:
        solver.sweep(check_every)
        sweeps += check_every
        elapsed = time.thread_time() - began
        rows.append(_row(problem, sweeps, elapsed, solver.values))
    return _history(rows, seeds)


Row = tuple[int, float, float, np.ndarray, float]


def _row(problem: PoissonProblem, iterations: int, seconds: float, values: np.ndarray) -> Row:
    return (iterations, seconds, problem.max_error(values), problem.peak_errors(values), problem.energy_error(values))


def _history(rows: Sequence[Row], seeds: tuple[int, ...] = ()) -> History:
    return History(
        seeds=seeds,
        iterations=np.array([row[0] for row in rows]),
        seconds=np.array([row[1] for row in rows]),
        max_error=np.array([row[2] for row in rows]),
        peak_errors=np.stack([row[3] for row in rows]),
        energy_error=np.array([row[4] for row in rows]),
    )


def boundary_readout(inputs: torch.Tensor, outputs: torch.Tensor) -> torch.Tensor:
    """v = x(1 - x) N(x): the network's output times the factor that vanishes at both ends."""
    return inputs * (1 - inputs) * outputs


@dataclass(frozen=True)
class RitzRun:
    """One seed's DNN: its history (its checks up to the end, or up to the step it diverged at) and its
    grid values and elapsed time at the switch (NaN if it diverged before)."""

    history: History
    switch_values: np.ndarray
    switch_seconds: float
    diverged: bool


def train_ritz(
    problem: PoissonProblem, spec: MLPSpec, seed: int, steps: int, lr: float, eval_every: int, switch_step: int
) -> RitzRun:
    """Adam on the discrete Ritz energy (module doc) for one seed through the engine, timed; float32.

    The error is checked every `eval_every` steps on the grid values of the forward pass that the step
    computes anyway (before its update); the engine's snapshot hook reads the clock there, in seconds
    since the check of step 0.
    """
    if spec.widths[0] != 1 or spec.widths[-1] != 1:
        raise ValueError(f"the Ritz network maps x to u(x): widths must start and end with 1, not {spec.widths}")
    if eval_every < 1 or switch_step % eval_every or not 0 <= switch_step <= steps:
        raise ValueError(f"the switch step {switch_step} must be a multiple of eval_every within 0 … {steps}")
    checks = tuple(range(0, steps + 1, eval_every))
    # the single-tensor Adam (not the fused kernel): the update this claim's numbers were first made with
    config = TrainingConfig(steps=steps, lr=lr, snapshot_steps=checks, progress=False, fused_adam=False,
                            description="Ritz energy")
    x = torch.tensor(problem.points, dtype=torch.float32)[:, None]
    loss = RitzEnergy(torch.tensor(problem.rhs, dtype=torch.float32), problem.spacing)
    clock: dict[int, float] = {}
    began = [0.0]

    def read_clock(step: int, params: EnsembleParameters) -> None:
        # the clock starts at the check of step 0 (the initial network): set-up costs before it (the first
        # optimiser of a process imports torch._dynamo, ~2 s) are not the solver's
        now = time.thread_time()
        if step == 0:
            began[0] = now
        clock[step] = now - began[0]

    run = train_ensemble(spec, [seed], x, torch.zeros_like(x), config, on_snapshot=read_clock, loss=loss,
                         readout=boundary_readout)
    grid = run.outputs["train"][:, 0, :, 0]  # (checks, N), float64 copies of the float32 values
    reached = [index for index, step in enumerate(checks) if step in clock]
    rows = [_row(problem, checks[i], clock[checks[i]], grid[i]) for i in reached]
    diverged = seed in run.diverged
    switch = checks.index(switch_step)
    if diverged or switch not in reached:
        return RitzRun(_history(rows, (seed,)) if rows else _empty(problem, seed),
                       np.full(problem.interior_points, np.nan), float("nan"), True)
    return RitzRun(_history(rows, (seed,)), grid[switch], clock[switch_step], False)


def _empty(problem: PoissonProblem, seed: int) -> History:
    return History(seeds=(seed,), iterations=np.zeros(0, dtype=np.int64), seconds=np.zeros(0),
                   max_error=np.zeros(0), peak_errors=np.zeros((0, len(problem.modes))), energy_error=np.zeros(0))


def problem_of(setup: PoissonRace) -> PoissonProblem:
    return PoissonProblem(setup.interior_points, setup.modes, setup.amplitudes)


def solver_race(setup: PoissonRace, seeds: Sequence[int]) -> PoissonRaceResult:
    """Jacobi from zero, then per seed the DNN (all `dnn_steps`) and Jacobi from its switch-step values.

    Everything runs on one thread (restored afterwards), so that the wall times compare like with like.
    """
    problem = problem_of(setup)
    spec = MLPSpec((1, *setup.hidden, 1), setup.activation)
    with fixed_threads(1):
        jacobi = run_jacobi(problem, np.zeros(problem.interior_points), setup.tolerance, setup.check_every,
                            setup.max_sweeps)
        dnn, hybrid, switch, diverged = [], [], [], []
        for seed in seeds:
            run = train_ritz(problem, spec, int(seed), setup.dnn_steps, setup.lr, setup.eval_every, setup.switch_step)
            if run.diverged:
                diverged.append(int(seed))
                continue
            dnn.append(run.history)
            switch.append(run.switch_seconds)
            hybrid.append(run_jacobi(problem, run.switch_values, setup.tolerance, setup.check_every, setup.max_sweeps,
                                     seeds=(int(seed),)))
    return PoissonRaceResult(seeds=tuple(int(seed) for seed in seeds), jacobi=jacobi, dnn=tuple(dnn),
                             hybrid=tuple(hybrid), switch_seconds=np.array(switch, dtype=np.float64),
                             diverged=tuple(diverged))
