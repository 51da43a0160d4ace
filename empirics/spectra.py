"""Spectra of outputs on on-bin periodic grids and the F-Principle's per-peak measurements.

Convention (ordinary frequency, one-sided, 1/n normalisation): for values v_j = f(x_j) on a grid of n
points x_j = start + j P / n (`empirics.grids`),

    c_k = (1/n) Σ_j v_j e^{-2πi k x_j / P},   k = 0, 1, ..., floor(n/2),

the trapezoidal (exact for band-limited f) value of the Fourier-series coefficient (1/P) ∫ f e^{-2πikx/P}.
For a real f, c_{-k} = conj(c_k), and A sin(2πkx/P + φ) has c_k = A e^{iφ} / (2i): |c_k| = A/2, so
2|c_k|/A is Rahaman et al.'s normalised amplitude (2019, Fig. 1). The phase factor e^{-2πik·start/P}
makes c_k independent of where the grid starts (an odd-indexed subgrid gives the same c_k).

Δ_F(k) = |ĥ(k) - ŷ(k)| / |ŷ(k)| uses the complex difference (docs/formulas.md §4: comparing magnitudes only
would hide phase errors). The convergence step of a peak (docs/catalogue.md) is the first snapshot after
which Δ_F stays below the threshold until the end of the run; a peak that never gets there converges
"after the last step": at last snapshot + 1, so all such peaks tie last.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import stats

from fpcheck.empirics.grids import PeriodicGrid
from fpcheck.empirics.snapshots import settled_below, step_at


def fourier_coefficients(values: np.ndarray, grid: PeriodicGrid, axis: int = -1) -> np.ndarray:
    """c_k for k = 0 ... floor(n/2) along `axis` (which must have the grid's n points); see module doc."""
    values = np.asarray(values, dtype=float)
    if values.shape[axis] != grid.n:
        raise ValueError(f"values have {values.shape[axis]} points along axis {axis}, the grid {grid.n}")
    coefficients = np.fft.rfft(values, axis=axis) / grid.n
    shift = np.exp(-2j * np.pi * np.arange(coefficients.shape[axis]) * grid.start / grid.period)
    return np.moveaxis(np.moveaxis(coefficients, axis, -1) * shift, -1, axis)


def peak_coefficients(values: np.ndarray, grid: PeriodicGrid, peaks: Sequence[int], axis: int = -1) -> np.ndarray:
    """c_k at the integer frequencies `peaks` (cycles per period): shape (..., len(peaks)), axis moved last."""
    ks = grid.check_frequencies(peaks)
    return np.moveaxis(fourier_coefficients(values, grid, axis=axis), axis, -1)[..., ks]


def peak_errors(fit: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Δ_F = |fit - target| / |target| of complex coefficients (broadcast); the target must be non-zero."""
    fit, target = np.asarray(fit, dtype=complex), np.asarray(target, dtype=complex)
    if np.any(np.abs(target) == 0):
        raise ValueError("Δ_F is undefined where the target coefficient is zero: choose peaks of the target")
    return np.abs(fit - target) / np.abs(target)


def convergence_steps(steps: np.ndarray, errors: np.ndarray, threshold: float) -> np.ndarray:
    """Per curve (axis 0 = snapshots), the first step after which errors stay < threshold to the end.

    A curve that ends at or above the threshold converges at steps[-1] + 1 (after the last step, ties
    last); a curve holding NaN gives NaN.
    """
    steps, errors = np.asarray(steps, dtype=float), np.asarray(errors, dtype=float)
    if steps.ndim != 1 or errors.shape[0] != steps.size:
        raise ValueError(f"errors must have {steps.size} snapshots along axis 0, not shape {errors.shape}")
    if steps.size > 1 and np.any(np.diff(steps) <= 0):
        raise ValueError("snapshot steps must increase")
    nan = np.isnan(errors).any(axis=0)
    settled = settled_below(np.where(np.isnan(errors), np.inf, errors), threshold)
    return np.where(nan, np.nan, step_at(steps, settled))


def first_reach_steps(steps: np.ndarray, values: np.ndarray, level: float) -> np.ndarray:
    """Per curve (axis 0 = snapshots), the first step at which value ≥ level (steps[-1] + 1 if never).

    Rahaman et al. 2019, Fig. 1: the step at which the normalised amplitude 2|c_k|/A first reaches 0.9.
    A curve holding NaN gives NaN.
    """
    steps, values = np.asarray(steps, dtype=float), np.asarray(values, dtype=float)
    if steps.ndim != 1 or values.shape[0] != steps.size:
        raise ValueError(f"values must have {steps.size} snapshots along axis 0, not shape {values.shape}")
    reached = values >= level
    first = np.where(reached.any(axis=0), np.argmax(reached, axis=0), steps.size)
    return np.where(np.isnan(values).any(axis=0), np.nan, step_at(steps, first))


def rank_correlation(x: np.ndarray, y: np.ndarray) -> float:
    """Spearman's ρ of y against x; 0 when all x or all y tie (docs/catalogue.md); NaN if any value is NaN."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if x.shape != y.shape or x.ndim != 1 or x.size < 2:
        raise ValueError(f"rank_correlation needs two 1-D arrays of the same length ≥ 2, not {x.shape}, {y.shape}")
    if np.isnan(x).any() or np.isnan(y).any():
        return float("nan")
    if np.ptp(x) == 0 or np.ptp(y) == 0:
        return 0.0
    return float(stats.spearmanr(x, y).statistic)


def band_power(coefficients: np.ndarray, low: int, high: int) -> np.ndarray:
    """Σ_{low ≤ k ≤ high} |c_k|² over the last axis (one-sided coefficients from `fourier_coefficients`).

    For a real signal and 0 < low ≤ high < n/2 this is half the mean square of its band-[low, high] part.
    """
    if not 0 <= low <= high < coefficients.shape[-1]:
        raise ValueError(f"band [{low}, {high}] must lie within the {coefficients.shape[-1]} coefficients")
    return np.sum(np.abs(coefficients[..., low : high + 1]) ** 2, axis=-1)
