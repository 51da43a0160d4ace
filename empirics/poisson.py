"""Solving -u'' = g by weighted Jacobi, a DNN on the Ritz energy, and DNN-then-Jacobi.

Xu et al. 2019, arXiv:1901.06523; seed 002.

The problem. On N interior points x_i = i h of (0, 1), h = 1/(N + 1), u(0) = u(1) = 0, the solution is
u(x) = Σ_m a_m sin(π k_m x) (three spectral peaks) and the right-hand side is g = A u at the grid
points, A = tridiag(-1, 2, -1)/h² the central-difference Laplacian, so that the grid values of u solve
the discrete problem A u = g exactly: every solver converges to u itself, and the error is measured
against u on the grid (max |v_i - u(x_i)|). The error at a peak is |c_k(v - u)| / |a_k| with the
discrete sine coefficient c_k(v) = 2h Σ_i v_i sin(πk x_i) (= a_k for v = a_k sin(πk x)).

The solvers.
- Weighted Jacobi (ω = 2/3): v_i ← (1 - ω) v_i + (ω/2)(v_{i-1} + v_{i+1} + h² g_i), numpy float64;
  mode k of the error shrinks by λ_k = 1 - ω(1 - cos(πkh)) per sweep (`theory.jacobi`): high
  frequencies first.
- A DNN v(x) = x(1 - x) N_θ(x) (the boundary conditions built in) trained by full-batch Adam (float32)
  on the Ritz energy ∫ (½|v'|² - g v) dx, discretised as (1/2h) Σ_{i=0}^{N} (v_{i+1} - v_i)² - h Σ_i g_i v_i
  (forward differences, rectangle rule), whose minimiser over grid functions is exactly A⁻¹g = u.
  The F-Principle predicts low frequencies first.
- DNN then Jacobi: the DNN trained for a chosen number of steps, its grid values the starting point
  of Jacobi.

Wall time. Each solver's time to reach the max-error tolerance is measured in the same run, on one
thread each (numpy's Jacobi is single-threaded; torch is set to one thread for the DNN and restored
afterwards), checking the error every `check_every` sweeps or `eval_every` steps. A solver that
never reaches the tolerance within its run is charged its whole run time, a lower bound (it ties
last).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.fft
import torch

from empirics.mlp import MLPSpec, ensemble_forward, init_ensemble

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

    @property
    def solution(self) -> np.ndarray:
        x = self.points
        return sum(a * np.sin(np.pi * k * x) for k, a in zip(self.modes, self.amplitudes, strict=True))

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


@dataclass(frozen=True)
class History:
    """A solver's record at its checks: iterations (sweeps or steps), seconds since its start, max
    error, and peak errors (checks × peaks)."""

    iterations: np.ndarray
    seconds: np.ndarray
    max_error: np.ndarray
    peak_errors: np.ndarray

    def reaches(self, tolerance: float) -> bool:
        return bool(np.any(self.max_error <= tolerance))

    def seconds_to(self, tolerance: float) -> float:
        """The time of the first check within tolerance, or the whole run's time when there is none."""
        within = np.flatnonzero(self.max_error <= tolerance)
        return float(self.seconds[within[0]] if within.size else self.seconds[-1])


def run_jacobi(
    problem: PoissonProblem, start: np.ndarray, tolerance: float, check_every: int, max_sweeps: int
) -> History:
    """Weighted Jacobi from `start` until max error ≤ tolerance (checked every `check_every` sweeps)."""
    if check_every < 1 or max_sweeps < check_every:
        raise ValueError(f"need 1 ≤ check_every ≤ max_sweeps, not {check_every}, {max_sweeps}")
    solver = Jacobi(problem, start)
    rows = [(0, 0.0, problem.max_error(solver.values), problem.peak_errors(solver.values))]
    began = time.perf_counter()
    sweeps = 0
    while rows[-1][2] > tolerance and sweeps < max_sweeps:
        solver.sweep(check_every)
        sweeps += check_every
        elapsed = time.perf_counter() - began
        rows.append((sweeps, elapsed, problem.max_error(solver.values), problem.peak_errors(solver.values)))
    return _history(rows)


def _history(rows: Sequence[tuple[int, float, float, np.ndarray]]) -> History:
    return History(
        np.array([row[0] for row in rows]),
        np.array([row[1] for row in rows]),
        np.array([row[2] for row in rows]),
        np.stack([row[3] for row in rows]),
    )


@dataclass(frozen=True)
class RitzRun:
    """One seed's DNN: its history (all its steps) and its grid values and elapsed time at the switch."""

    history: History
    switch_values: np.ndarray
    switch_seconds: float
    diverged: bool


def ritz_energy(values: torch.Tensor, forcing: torch.Tensor, spacing: float) -> torch.Tensor:
    """(1/2h) Σ_{i=0}^{N} (v_{i+1} - v_i)² - h Σ_i g_i v_i with v_0 = v_{N+1} = 0 (module doc).

    Its gradient with respect to the grid values is h (A v - g), so its minimiser is A⁻¹g.
    """
    padded = torch.nn.functional.pad(values, (1, 1))
    return 0.5 / spacing * torch.sum((padded[1:] - padded[:-1]) ** 2) - spacing * torch.sum(forcing * values)


def train_ritz(
    problem: PoissonProblem, spec: MLPSpec, seed: int, steps: int, lr: float, eval_every: int, switch_step: int
) -> RitzRun:
    """Adam on the discrete Ritz energy (module doc) for one seed, timed; float32.

    The error is checked every `eval_every` steps on the grid values of the forward pass that the
    step computes anyway (before its update).
    """
    if spec.widths[0] != 1 or spec.widths[-1] != 1:
        raise ValueError(f"the Ritz network maps x to u(x): widths must start and end with 1, not {spec.widths}")
    if eval_every < 1 or switch_step % eval_every or not 0 <= switch_step <= steps:
        raise ValueError(f"the switch step {switch_step} must be a multiple of eval_every within 0 … {steps}")
    if not (np.isfinite(lr) and lr > 0):
        raise ValueError(f"the learning rate must be a finite positive number, not {lr!r}")
    params = init_ensemble(spec, [seed])
    tensors = [tensor.requires_grad_() for tensor in params.tensors]
    optimizer = torch.optim.Adam(tensors, lr=lr)
    x = torch.tensor(problem.points, dtype=torch.float32)[:, None]
    envelope = (x * (1 - x))[:, 0]
    forcing = torch.tensor(problem.rhs, dtype=torch.float32)
    h = problem.spacing
    rows: list[tuple[int, float, float, np.ndarray]] = []
    switch_values, switch_seconds = np.full(problem.interior_points, np.nan), float("nan")
    began = time.perf_counter()
    for step in range(steps + 1):
        values = envelope * ensemble_forward(spec, params, x)[0, :, 0]
        if step % eval_every == 0:
            elapsed = time.perf_counter() - began
            grid = values.detach().double().numpy()
            if not np.all(np.isfinite(grid)):
                return RitzRun(_history(rows) if rows else _empty(problem), switch_values, switch_seconds, True)
            rows.append((step, elapsed, problem.max_error(grid), problem.peak_errors(grid)))
            if step == switch_step:
                switch_values, switch_seconds = grid, elapsed
        if step == steps:
            break
        energy = ritz_energy(values, forcing, h)
        optimizer.zero_grad(set_to_none=True)
        energy.backward()
        optimizer.step()
    return RitzRun(_history(rows), switch_values, switch_seconds, False)


def _empty(problem: PoissonProblem) -> History:
    return History(np.zeros(0, dtype=np.int64), np.zeros(0), np.zeros(0), np.zeros((0, len(problem.modes))))


@dataclass(frozen=True)
class Race:
    """The three solvers of one run: Jacobi alone (seed-independent), and per seed the DNN alone and
    the hybrid's Jacobi phase (its seconds count from the switch; add `switch_seconds[seed]`)."""

    jacobi: History
    dnn: dict[int, History]
    hybrid: dict[int, History]
    switch_seconds: dict[int, float]
    diverged: tuple[int, ...]

    def hybrid_seconds_to(self, seed: int, tolerance: float) -> float:
        return self.switch_seconds[seed] + self.hybrid[seed].seconds_to(tolerance)


def solver_race(
    problem: PoissonProblem,
    spec: MLPSpec,
    seeds: Sequence[int],
    dnn_steps: int,
    lr: float,
    eval_every: int,
    switch_step: int,
    tolerance: float,
    check_every: int,
    max_sweeps: int,
) -> Race:
    """Jacobi from zero, then per seed the DNN (all `dnn_steps`) and Jacobi from its switch-step values.

    Everything runs on one thread (torch's thread count is restored afterwards), so that the wall
    times compare like with like.
    """
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        jacobi = run_jacobi(problem, np.zeros(problem.interior_points), tolerance, check_every, max_sweeps)
        dnn, hybrid, switch, diverged = {}, {}, {}, []
        for seed in seeds:
            run = train_ritz(problem, spec, int(seed), dnn_steps, lr, eval_every, switch_step)
            if run.diverged:
                diverged.append(int(seed))
                continue
            dnn[int(seed)] = run.history
            switch[int(seed)] = run.switch_seconds
            hybrid[int(seed)] = run_jacobi(problem, run.switch_values, tolerance, check_every, max_sweeps)
    finally:
        torch.set_num_threads(threads)
    return Race(jacobi, dnn, hybrid, switch, tuple(diverged))
