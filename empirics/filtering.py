"""The filtering method: low- and high-frequency parts of a function on a data set (Xu et al. 2019, arXiv:1901.06523).

On data points x_1 … x_n in R^d, the Gaussian G_δ(x) = exp(-|x|²/(2δ)) smooths any values v (n × m)
by the row-normalised kernel sum

    v^low_i = Σ_j G_δ(x_i - x_j) v_j / Σ_j G_δ(x_i - x_j),        v^high = v - v^low,

(the point itself included, j = i). Convolving with a Gaussian of variance δ multiplies the Fourier
transform by exp(-2π² δ |ξ|²) (ordinary frequency ξ), so v^low keeps the frequencies |ξ| ≲ 1/(2π√δ)
and v^high the rest. For a network output h and a target y, the errors of the two parts are

    e_low = ‖h^low - y^low‖ / ‖y^low‖,        e_high = ‖h^high - y^high‖ / ‖y^high‖

(Frobenius norms over points and output components). By linearity h^low - y^low is the low part of
the residual r = h - y, so only y and r are filtered. δ is given in units of the data's median
squared pairwise distance (`median_squared_distance`) so that one value carries over between data
sets.

`gaussian_lowpass` computes the kernel sums in tiles of points, in float32, with squared distances
from ‖x_i‖² + ‖x_j‖² - 2 x_i·x_j (GEMM), for every δ in one pass over the tiles, using the symmetry
of the kernel (each pair of tiles once). Its extra memory is O(tile · n + n m len(δ)) instead of the
n × n float64 kernel per δ of `gaussian_lowpass_dense`, the reference built the way the published
code builds it (used by the tests and the benchmark).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from threadpoolctl import threadpool_limits

DEFAULT_TILE = 512
RESOLUTION = 1e-4  # ‖y^low‖, ‖y^high‖ below this fraction of ‖y‖ are float32 rounding, not signal


def _checked_inputs(
    x: np.ndarray, values: np.ndarray, deltas: Sequence[float]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    x = np.asarray(x)
    if x.ndim != 2 or x.shape[0] < 1:
        raise ValueError(f"data points must be an (n, d) array, not shape {x.shape}")
    if not np.all(np.isfinite(x)):
        raise ValueError("data points hold NaN or inf")
    values = np.asarray(values)
    if values.ndim == 1:
        values = values[:, None]
    if values.ndim != 2 or values.shape[0] != x.shape[0]:
        raise ValueError(f"values must have shape ({x.shape[0]},) or ({x.shape[0]}, m), not {values.shape}")
    if not np.all(np.isfinite(values)):
        raise ValueError("values hold NaN or inf")
    deltas = np.asarray(deltas, dtype=np.float64).ravel()
    if deltas.size == 0 or not np.all(np.isfinite(deltas)) or np.any(deltas <= 0):
        raise ValueError(f"every δ must be a finite positive number, not {deltas.tolist()}")
    return x, values, deltas


def squared_distances(a: np.ndarray, b: np.ndarray, a_norms: np.ndarray, b_norms: np.ndarray) -> np.ndarray:
    """|a_i - b_j|² = ‖a_i‖² + ‖b_j‖² - 2 a_i·b_j (one GEMM), clipped at 0 against rounding."""
    distances = a @ b.T
    distances *= -2
    distances += a_norms[:, None]
    distances += b_norms[None, :]
    np.maximum(distances, 0, out=distances)
    return distances


def median_squared_distance(x: np.ndarray, tile: int = 1024) -> float:
    """The median of |x_i - x_j|² over all pairs i < j (exact, computed tile by tile in float64)."""
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2 or x.shape[0] < 2:
        raise ValueError(f"the median pairwise distance needs an (n, d) array with n ≥ 2, not shape {x.shape}")
    if not np.all(np.isfinite(x)):
        raise ValueError("data points hold NaN or inf")
    x = x - x.mean(axis=0)
    norms = np.einsum("ij,ij->i", x, x)
    n = x.shape[0]
    pairs = np.empty(n * (n - 1) // 2)
    filled = 0
    for start in range(0, n, tile):
        stop = min(start + tile, n)
        block = squared_distances(x[start:stop], x[start:], norms[start:stop], norms[start:])
        for row in range(stop - start):
            upper = block[row, row + 1 :]
            pairs[filled : filled + upper.size] = upper
            filled += upper.size
    return float(np.median(pairs))


def _float32_points(x: np.ndarray) -> np.ndarray:
    """float32 data points: float32 input as it is (no O(n d) copy), anything else as a centred copy."""
    if x.dtype == np.float32:
        return x
    return np.subtract(x, x.mean(axis=0, dtype=np.float64), dtype=np.float32)


def gaussian_lowpass(
    x: np.ndarray, values: np.ndarray, deltas: Sequence[float], tile: int = DEFAULT_TILE
) -> np.ndarray:
    """v^low for every δ: shape (len(deltas), n, m) float64 (see the module doc for the definition).

    Float32 kernel values, float64 accumulation of the kernel sums. For each tile I of `tile` points,
    one GEMM gives the squared distances to every point from I on (a panel of |I| × (n - start of I)
    values; tiles J < I were done from J's side, the kernel being symmetric); then for each tile J ≥ I
    and each δ the kernel block G_IJ (|I| × |J|) gives Σ_{j∈J} G_ij [1, v_j] to the rows I and
    Σ_{i∈I} G_ij [1, v_i] to the rows J (two skinny GEMMs). The first column of the sums is the
    normaliser. Everything runs on one BLAS thread: the numbers then do not depend on the machine's
    thread count, and on a shared machine the memory-bound skinny products run several times faster
    than with threads that wait on each other.

    Float64 input is centred (which leaves the distances unchanged and reduces the cancellation in
    ‖x_i‖² + ‖x_j‖² - 2 x_i·x_j) and cast to float32; float32 input is used as it is, adding no O(n d)
    memory. `values` (n,) or (n, m). ValueError for NaN/inf data or values, or a δ that is not finite
    and positive.
    """
    x, values, deltas = _checked_inputs(x, values, deltas)
    if tile < 1:
        raise ValueError(f"the tile size must be a positive integer, not {tile}")
    with threadpool_limits(limits=1, user_api="blas"):
        return _tiled_lowpass(x, values, deltas, tile)


def _tiled_lowpass(x: np.ndarray, values: np.ndarray, deltas: np.ndarray, tile: int) -> np.ndarray:
    points = _float32_points(x)
    n, count = points.shape[0], deltas.size
    norms = np.einsum("ij,ij->i", points, points)
    weighted = np.empty((n, values.shape[1] + 1), dtype=np.float32)
    weighted[:, 0] = 1.0
    weighted[:, 1:] = values
    sums = np.zeros((count, n, weighted.shape[1]), dtype=np.float64)
    scales = (-0.5 / deltas).astype(np.float32)
    kernel = np.empty(tile * tile, dtype=np.float32)
    for row in range(0, n, tile):
        rows = slice(row, min(row + tile, n))
        panel = squared_distances(points[rows], points[row:], norms[rows], norms[row:])
        np.fill_diagonal(panel, 0.0)  # the first |I| columns are the points of I themselves
        for column in range(row, n, tile):
            columns = slice(column, min(column + tile, n))
            distances = panel[:, column - row : column - row + tile]
            block = kernel[: distances.size].reshape(distances.shape)
            for index, scale in enumerate(scales):
                np.multiply(distances, scale, out=block)
                np.exp(block, out=block)
                sums[index, rows] += block @ weighted[columns]
                if column != row:
                    sums[index, columns] += block.T @ weighted[rows]
    return sums[:, :, 1:] / sums[:, :, :1]


def gaussian_lowpass_dense(x: np.ndarray, values: np.ndarray, deltas: Sequence[float]) -> np.ndarray:
    """The reference: one dense float64 n × n kernel per δ, as the published code builds it.

    Squared distances from one float64 GEMM (‖x_i‖² + ‖x_j‖² - 2 x_i·x_j), then for each δ the
    kernel exp(-D/(2δ)), its rows normalised, times the values. Same output as `gaussian_lowpass`.
    """
    x, values, deltas = _checked_inputs(x, values, deltas)
    x = np.asarray(x, dtype=np.float64)
    norms = np.einsum("ij,ij->i", x, x)
    distances = squared_distances(x, x, norms, norms)
    np.fill_diagonal(distances, 0.0)
    values = np.asarray(values, dtype=np.float64)
    result = np.empty((deltas.size, x.shape[0], values.shape[1]))
    for index, delta in enumerate(deltas):
        kernel = np.exp(-distances / (2.0 * delta))
        kernel /= kernel.sum(axis=1, keepdims=True)
        result[index] = kernel @ values
        del kernel
    return result


def lowpass_matrix(x: np.ndarray, delta: float) -> np.ndarray:
    """G (n, n) float64 with v^low = G v: the row-normalised Gaussian kernel of one δ (module doc).

    The dense matrix a training loss applies to a residual (`fpcheck.empirics.losses.HighPassPenalty`);
    built like `gaussian_lowpass_dense` (float64, centred points)."""
    x, _, deltas = _checked_inputs(x, np.zeros(np.asarray(x).shape[0]), [delta])
    x = np.asarray(x, dtype=np.float64)
    x = x - x.mean(axis=0)
    norms = np.einsum("ij,ij->i", x, x)
    kernel = squared_distances(x, x, norms, norms)
    np.fill_diagonal(kernel, 0.0)
    kernel *= -0.5 / deltas[0]
    np.exp(kernel, out=kernel)
    kernel /= kernel.sum(axis=1, keepdims=True)
    return kernel


@dataclass(frozen=True)
class FilteredErrors:
    """e_low and e_high of a set of outputs, shape (len(deltas), *leading) (module doc).

    `target_low_norm` and `target_high_norm` (len(deltas),) are ‖y^low‖ and ‖y^high‖.
    """

    deltas: np.ndarray
    e_low: np.ndarray
    e_high: np.ndarray
    target_low_norm: np.ndarray
    target_high_norm: np.ndarray


def filtered_errors(
    x: np.ndarray, target: np.ndarray, outputs: np.ndarray, deltas: Sequence[float], tile: int = DEFAULT_TILE
) -> FilteredErrors:
    """e_low, e_high of every output in `outputs` (..., n, c) against `target` (n, c), for every δ.

    All outputs (e.g. snapshots × seeds) are filtered in one pass: the residuals are stacked as
    columns next to the target. ValueError when ‖y^low‖ or ‖y^high‖ is below `RESOLUTION` ‖y‖ for
    some δ (y^high vanishes when δ is so small that no other point gets any weight).
    """
    target = np.asarray(target, dtype=np.float64)
    if target.ndim == 1:
        target = target[:, None]
    outputs = np.asarray(outputs, dtype=np.float64)
    if outputs.shape[-2:] != target.shape:
        raise ValueError(f"outputs must end in the target's shape {target.shape}, not {outputs.shape}")
    leading = outputs.shape[:-2]
    n, components = target.shape
    residuals = np.moveaxis((outputs - target).reshape(-1, n, components), 0, 1).reshape(n, -1)
    low = gaussian_lowpass(x, np.concatenate([target, residuals], axis=1), deltas, tile)
    deltas = np.asarray(deltas, dtype=np.float64).ravel()
    target_low = low[:, :, :components]
    target_low_norm = np.linalg.norm(target_low, axis=(1, 2))
    target_high_norm = np.linalg.norm(target[None] - target_low, axis=(1, 2))
    resolution = RESOLUTION * np.linalg.norm(target)
    if np.any(target_low_norm <= resolution) or np.any(target_high_norm <= resolution):
        raise ValueError("e_low/e_high are undefined: the target's low or high part vanishes (below float32 "
                         "resolution) for some δ")
    residual_low = low[:, :, components:].reshape(deltas.size, n, -1, components)
    residual_high = residuals.reshape(n, -1, components)[None] - residual_low
    e_low = np.linalg.norm(residual_low, axis=(1, 3)) / target_low_norm[:, None]
    e_high = np.linalg.norm(residual_high, axis=(1, 3)) / target_high_norm[:, None]
    shape = (deltas.size, *leading)
    return FilteredErrors(deltas, e_low.reshape(shape), e_high.reshape(shape), target_low_norm, target_high_norm)
