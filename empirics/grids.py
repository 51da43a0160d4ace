"""On-bin periodic grids for the 1D training claims (docs/catalogue.md, the conventions of the 1D training claims).

A grid of n points covers one period [start, start + period) without its endpoint: x_j = start + j
period / n. A sinusoid sin(2π k x / period + φ) with integer k (k cycles per period) then falls on
exactly one DFT bin, so a spectral peak is one bin and nothing leaks. On [-π, π) (period 2π) this is
sin(kx + φ); on [0, 1) (period 1) it is sin(2πkx + φ).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class PeriodicGrid:
    """n equispaced points on [start, start + period), endpoint excluded."""

    n: int
    start: float
    period: float

    def __post_init__(self) -> None:
        if isinstance(self.n, bool) or not isinstance(self.n, int | np.integer) or self.n < 2:
            raise ValueError(f"a periodic grid needs an integer n ≥ 2 points, not {self.n!r}")
        if not np.isfinite(self.start) or not np.isfinite(self.period) or self.period <= 0:
            raise ValueError(f"a periodic grid needs a finite start and a positive period, not {self.period!r}")

    @property
    def points(self) -> np.ndarray:
        """The n points x_j = start + j period / n (float64)."""
        return self.start + self.period * np.arange(self.n) / self.n

    @property
    def nyquist(self) -> int:
        """The largest frequency (cycles per period) the grid resolves without aliasing: floor(n/2)."""
        return self.n // 2

    def subgrid(self, offset: int, stride: int) -> PeriodicGrid:
        """Every `stride`-th point from index `offset`: again an on-bin periodic grid (n / stride points).

        `subgrid(0, 2)` is the even-indexed points, `subgrid(1, 2)` the odd-indexed ones.
        """
        if stride < 1 or self.n % stride != 0:
            raise ValueError(f"stride {stride} must be a positive divisor of the grid size {self.n}")
        if not 0 <= offset < stride:
            raise ValueError(f"offset {offset} must lie in [0, stride = {stride})")
        return PeriodicGrid(self.n // stride, self.start + offset * self.period / self.n, self.period)

    def check_frequencies(self, frequencies: np.ndarray | list[float] | tuple[float, ...]) -> np.ndarray:
        """The frequencies as an integer array, or ValueError if one is not an integer in [1, n/2)."""
        values = np.asarray(frequencies, dtype=float)
        if values.size == 0 or not np.all(np.isfinite(values)) or np.any(values != np.round(values)):
            raise ValueError(f"frequencies must be integers (cycles per period) to be on-bin, not {frequencies}")
        ints = values.astype(int)
        if np.any(ints < 1) or np.any(2 * ints >= self.n):
            raise ValueError(f"frequencies {ints.tolist()} must lie in [1, {self.n}/2) on a grid of {self.n} points")
        return ints


def periodic_grid(n: int, start: float = -np.pi, stop: float = np.pi) -> PeriodicGrid:
    """The on-bin grid of n points on [start, stop), endpoint excluded (default [-π, π))."""
    return PeriodicGrid(n, float(start), float(stop) - float(start))
