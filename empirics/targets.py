"""Target functions of the 1D training claims: sums of sinusoids, a staircase, noisy labels.

Frequencies are ordinary, in cycles per period of the grid (`empirics.grids`): a component is
A sin(2π k x / period + φ). On [-π, π) that is A sin(kx + φ) (Xu et al. 2019, Fig. 1: sin x + 2 sin 3x
+ 3 sin 5x); on [0, 1) it is A sin(2πkz + φ) (Rahaman et al. 2019, Eq. 8).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from fpcheck.empirics.grids import PeriodicGrid


@dataclass(frozen=True)
class SumOfSines:
    """Σ_i A_i sin(2π k_i x / period + φ_i) with integer frequencies k_i (cycles per period)."""

    frequencies: tuple[int, ...]
    amplitudes: tuple[float, ...]
    phases: tuple[float, ...]
    period: float

    def __post_init__(self) -> None:
        sizes = {len(self.frequencies), len(self.amplitudes), len(self.phases)}
        if len(sizes) != 1 or not self.frequencies:
            raise ValueError("frequencies, amplitudes and phases must be non-empty and of the same length")
        if len(set(self.frequencies)) != len(self.frequencies):
            raise ValueError(f"frequencies must be distinct, not {list(self.frequencies)}")
        if any(k < 1 or int(k) != k for k in self.frequencies):
            raise ValueError(f"frequencies must be positive integers, not {list(self.frequencies)}")
        if any(a == 0 or not np.isfinite(a) for a in self.amplitudes):
            raise ValueError(f"amplitudes must be finite and non-zero, not {list(self.amplitudes)}")
        if not all(np.isfinite(self.phases)) or not self.period > 0:
            raise ValueError("phases must be finite and the period positive")

    def __call__(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        total = np.zeros_like(x)
        for k, a, phi in zip(self.frequencies, self.amplitudes, self.phases, strict=True):
            total += a * np.sin(2 * np.pi * k * x / self.period + phi)
        return total

    def coefficients(self) -> np.ndarray:
        """The exact Fourier-series coefficients c_k = A e^{iφ} / (2i) at the frequencies, in order.

        Convention of `empirics.spectra.fourier_coefficients`: c_k = (1/P) ∫_period f(x) e^{-2πikx/P} dx,
        so |c_k| = A/2 for a component A sin(2πkx/P + φ).
        """
        return np.array([a * np.exp(1j * phi) / 2j for a, phi in zip(self.amplitudes, self.phases, strict=True)])


def random_phases(count: int, rng: np.random.Generator) -> tuple[float, ...]:
    """`count` phases drawn uniformly from [0, 2π) (Rahaman et al. 2019, Eq. 8: one draw per run)."""
    return tuple(float(phi) for phi in rng.uniform(0.0, 2 * np.pi, size=count))


def staircase(x: np.ndarray, levels: int, start: float, period: float) -> np.ndarray:
    """A staircase with `levels` equal steps over one period: floor(levels (x - start) / period) / levels.

    Periodic with the given period; its Fourier coefficients decay like 1/k (a jump per period).
    """
    if isinstance(levels, bool) or not isinstance(levels, int | np.integer) or levels < 1:
        raise ValueError(f"a staircase needs a positive integer number of levels, not {levels!r}")
    phase = np.mod((np.asarray(x, dtype=float) - start) / period, 1.0)
    return np.floor(levels * phase) / levels


def band_noise(grid: PeriodicGrid, band: Sequence[int], rms: float, rng: np.random.Generator) -> np.ndarray:
    """Noise on the grid whose spectrum lies only in the band [k_low, k_high] (cycles per period).

    A sum of the band's sinusoids with independent Gaussian coefficients, scaled so that its
    root-mean-square over the grid is exactly `rms`. Used for labels with added high-frequency noise
    (Xu 2018 §3, early stopping).
    """
    low, high = (int(b) for b in band)
    frequencies = grid.check_frequencies(np.arange(low, high + 1)) if high >= low else np.array([], dtype=int)
    if frequencies.size == 0:
        raise ValueError(f"the noise band [{low}, {high}] is empty")
    if not rms > 0 or not np.isfinite(rms):
        raise ValueError(f"the noise level must be a finite positive number, not {rms!r}")
    x = grid.points
    angles = 2 * np.pi * np.outer(frequencies, x) / grid.period
    cos_part, sin_part = rng.normal(size=(2, frequencies.size))
    noise = cos_part @ np.cos(angles) + sin_part @ np.sin(angles)
    return noise * (rms / np.sqrt(np.mean(noise**2)))
