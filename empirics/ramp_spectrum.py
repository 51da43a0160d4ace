"""Sampled Fourier coefficients of a function on [0, 1], plain and with its linear ramp removed.

Convention (the one of `fpcheck.empirics.spectra`): ordinary integer frequency k, kernel e^{-2πikx}, samples
at x_j = j/n, j = 0 … n-1 (endpoint excluded), 1/n normalisation, one-sided k = 0 … floor(n/2):

    ĉ_k = (1/n) Σ_j f(j/n) e^{-2πikj/n}   ≈   c_k = ∫_0^1 f(x) e^{-2πikx} dx.

For a function whose periodic extension jumps (f(1) ≠ f(0), as for almost every network on [0, 1])
the plain ĉ_k is the rectangle rule of a discontinuous integrand and aliases: the error is of order
k/n relative. Subtracting the ramp r(x) = f(0) + (f(1) - f(0)) x leaves g = f - r with g(0) = g(1) = 0,
whose periodic extension is continuous: for piecewise-linear g the error falls to O((k/n)²) relative,
and the coefficients of f follow as c_k(f) = ĉ_k(g) + i (f(1) - f(0)) / (2πk) for k ≠ 0 (the exact
coefficient of the ramp). No closed form of the network is used: only its values.

A bound B(k) = C k^-p is checked at every k = 1 … K from `window_envelope`: on each window (e_{i-1}, e_i]
the largest |c_k| (k / e_i)^p, so that envelope(e_i) ≤ C e_i^-p holds exactly when |c_k| ≤ C k^-p at every k
of the window; for a sum of powers (the weight bound, C_1/k + C_2/k²) the envelope at p = 1 checks the
bound conservatively (C_2 / (k e_i) ≤ C_2 / k²).
"""

from __future__ import annotations

import numpy as np

from fpcheck.empirics.grids import PeriodicGrid
from fpcheck.empirics.spectra import fourier_coefficients
from fpcheck.theory.relu_spectrum import fitted_decay_slope


def unit_grid(n: int) -> PeriodicGrid:
    """n points j/n of [0, 1), endpoint excluded."""
    return PeriodicGrid(n, 0.0, 1.0)


def sampled_coefficients(values: np.ndarray) -> np.ndarray:
    """The plain n-point estimate ĉ_k, k = 0 … floor(n/2), from values f(j/n), j = 0 … n-1."""
    values = _samples(values)
    return fourier_coefficients(values, unit_grid(values.size))


def _samples(values: np.ndarray) -> np.ndarray:
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 1 or values.size < 2:
        raise ValueError(f"expected a 1-D array of at least 2 samples, got shape {values.shape}")
    if not np.all(np.isfinite(values)):
        raise ValueError("the samples hold NaN or inf")
    return values


def ramp_free_coefficients(values: np.ndarray, value_at_1: float) -> np.ndarray:
    """ĉ_k of g = f - f(0) - (f(1) - f(0)) x, k = 0 … floor(n/2), from f(j/n) (1-D) and f(1)."""
    values = _samples(values)
    if not np.isfinite(value_at_1):
        raise ValueError("f(1) is NaN or inf")
    x = np.arange(values.size) / values.size
    ramp = values[0] + (value_at_1 - values[0]) * x
    return fourier_coefficients(values - ramp, unit_grid(values.size))


def ramp_corrected_coefficients(values: np.ndarray, value_at_1: float) -> np.ndarray:
    """ĉ_k of f rebuilt from the ramp-free estimate plus the ramp's exact i (f(1) - f(0)) / (2πk)."""
    values = _samples(values)
    return add_ramp(ramp_free_coefficients(values, value_at_1), float(values[0]), value_at_1)


def add_ramp(coefficients: np.ndarray, value_at_0: float, value_at_1: float) -> np.ndarray:
    """Ramp-free estimates ĝ_k, k = 0, 1, …, plus the exact coefficients of the ramp f(0) + (f(1) - f(0)) x:
    f(0) + (f(1) - f(0))/2 at k = 0, i (f(1) - f(0)) / (2πk) otherwise."""
    k = np.arange(coefficients.size)
    rise = value_at_1 - value_at_0
    ramp = np.where(k == 0, value_at_0 + rise / 2, 1j * rise / (2 * np.pi * np.where(k == 0, 1, k)))
    return coefficients + ramp


def window_envelope(amplitudes: np.ndarray, edges: np.ndarray, power: float) -> np.ndarray:
    """max over k in (edges[i-1], edges[i]] of |amplitudes[k]| (k / edges[i])^power (edges[-1] = 0 before the
    first), for increasing positive integer edges; amplitudes indexed by k from 0 (module doc)."""
    edges = np.asarray(edges, dtype=np.int64)
    if edges.ndim != 1 or edges.size == 0 or edges[0] < 1 or np.any(np.diff(edges) <= 0):
        raise ValueError("edges must be increasing positive integers")
    values = np.abs(np.asarray(amplitudes))
    if edges[-1] >= values.size:
        raise ValueError(f"the last edge {edges[-1]} is beyond the {values.size} amplitudes")
    k = np.arange(1, edges[-1] + 1, dtype=np.float64)
    scaled = values[1 : edges[-1] + 1] * k**power
    starts = np.concatenate([[0], edges[:-1]])
    return np.maximum.reduceat(scaled, starts) / edges.astype(np.float64) ** power


def decay_slope(values: np.ndarray, value_at_1: float, k_min: int, k_max: int) -> float:
    """The log-log slope of the ramp-free estimate |ĉ_k(g)| over k = k_min … k_max.

    Fitted through the root mean square in geometric windows (`fpcheck.theory.relu_spectrum.
    fitted_decay_slope`: the kink sum oscillates and has near-zeros at single k). ValueError when k_max
    reaches a quarter of the one-sided spectrum (n ≥ 8 k_max keeps the O((k/n)²) aliasing small).
    """
    return fitted_slope(ramp_free_coefficients(values, value_at_1), k_min, k_max)


def fitted_slope(coefficients: np.ndarray, k_min: int, k_max: int) -> float:
    """`decay_slope` of ramp-free estimates already taken (k = 0 … floor(n/2))."""
    if k_max >= coefficients.size // 4:
        raise ValueError(f"fit_k_max = {k_max} needs fft_points ≥ {8 * k_max} to keep aliasing small")
    k = np.arange(k_min, k_max + 1)
    return fitted_decay_slope(k, coefficients[k])
