"""Benchmarks of the high-dimensional F-Principle tools: the projection and filtering methods.

Each function returns a flat dict of numbers (ratios measured in one run, on the same data, so that
the machine's speed cancels):

- `nufft_benchmark`: ŷ_p(k) = (1/n) Σ_j y_j e^{-2πik t_j} at n = 60 000 projected points and 400
  frequencies, finufft type 3 (eps 1e-12, one thread) against the direct sum; `nufft_speedup` =
  direct time / finufft time (target ≥ 20), and the largest error relative to max |ŷ|.
- `filtering_benchmark`: Gaussian low-pass filtering of 10 label columns on n = 5000 CIFAR-sized
  points (d = 3072, synthetic clusters, float32) for 20 values of δ, the tiled float32 kernel sums
  (`empirics.filtering.gaussian_lowpass`) against the dense reference with one float64 n × n kernel
  per δ (`gaussian_lowpass_dense`; the published code even keeps all of them at once, so its peak
  is higher still). `filtering_speedup` = dense time / tiled time (target ≥ 3);
  `filtering_memory_ratio` = tiled peak / dense peak of the memory allocated during the call (target
  ≤ 0.1), measured with tracemalloc, which sees numpy's allocations (BLAS's own work buffers, used by
  both, are not counted). The inputs exist before the call and are not counted.
"""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import numpy as np

from fpcheck.empirics.datasets import clustered_gaussians
from fpcheck.empirics.filtering import gaussian_lowpass, gaussian_lowpass_dense, median_squared_distance
from fpcheck.empirics.projection import nonuniform_dft, nonuniform_dft_direct, projections
from fpcheck.empirics.seeding import numpy_rng

NUFFT_POINTS = 60_000
NUFFT_FREQUENCIES = 400
FILTERING_POINTS = 5000
FILTERING_DIMENSION = 3072
FILTERING_DELTAS = 20
MEDIAN_SAMPLE = 1000


def _timed(function: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    """The smallest wall time over `repeats` calls, and the last result."""
    best, result = float("inf"), None
    for _ in range(repeats):
        began = time.perf_counter()
        result = function()
        best = min(best, time.perf_counter() - began)
    return best, result


def _traced(function: Callable[[], Any]) -> tuple[float, int, Any]:
    """Wall time and peak bytes allocated (tracemalloc) during one call, and its result."""
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        began = time.perf_counter()
        result = function()
        seconds = time.perf_counter() - began
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return seconds, peak, result


def nufft_benchmark(quick: bool = False) -> dict[str, float]:
    """finufft against the direct DFT at 60 000 points and 400 frequencies (module doc)."""
    points = clustered_gaussians(NUFFT_POINTS, 64, seed=0)
    rng = numpy_rng(0, "benchmark_values")
    t = projections(points, rng.standard_normal(64))
    values = rng.standard_normal(NUFFT_POINTS)
    frequencies = np.linspace(0.0, 4.0 / np.std(t), NUFFT_FREQUENCIES)
    nonuniform_dft(t, values, frequencies)  # warm-up: finufft's first call loads its plan machinery
    fast_seconds, fast = _timed(lambda: nonuniform_dft(t, values, frequencies), 3 if quick else 10)
    direct_seconds, direct = _timed(lambda: nonuniform_dft_direct(t, values, frequencies), 1 if quick else 2)
    return {
        "nufft_speedup": direct_seconds / fast_seconds,
        "nufft_seconds": fast_seconds,
        "direct_dft_seconds": direct_seconds,
        "nufft_max_relative_error": float(np.max(np.abs(fast - direct)) / np.max(np.abs(direct))),
        "nufft_points": float(NUFFT_POINTS),
        "nufft_frequencies": float(NUFFT_FREQUENCIES),
    }


def filtering_benchmark(quick: bool = False) -> dict[str, float]:
    """Tiled float32 filtering against the dense float64 reference, same data, same run (module doc).

    δ = 0.1 … 1 × the median squared pairwise distance, estimated on 1000 of the points. Times are
    the best of one (quick) or two interleaved runs of each; peaks are from the first run.
    """
    points = clustered_gaussians(FILTERING_POINTS, FILTERING_DIMENSION, seed=0)
    rng = numpy_rng(0, "benchmark_labels")
    labels = np.eye(10)[rng.integers(0, 10, FILTERING_POINTS)]
    sample = rng.choice(FILTERING_POINTS, MEDIAN_SAMPLE, replace=False)
    deltas = np.geomspace(0.1, 1.0, FILTERING_DELTAS) * median_squared_distance(points[sample])
    tiled_seconds, tiled_peak, tiled = _traced(lambda: gaussian_lowpass(points, labels, deltas))
    dense_seconds, dense_peak, dense = _traced(lambda: gaussian_lowpass_dense(points, labels, deltas))
    for _ in range(0 if quick else 1):  # interleaved repeats: a burst of load hits both alike
        tiled_seconds = min(tiled_seconds, _timed(lambda: gaussian_lowpass(points, labels, deltas), 1)[0])
        dense_seconds = min(dense_seconds, _timed(lambda: gaussian_lowpass_dense(points, labels, deltas), 1)[0])
    return {
        "filtering_speedup": dense_seconds / tiled_seconds,
        "filtering_memory_ratio": tiled_peak / dense_peak,
        "filtering_seconds": tiled_seconds,
        "filtering_dense_seconds": dense_seconds,
        "filtering_peak_mb": tiled_peak / 2**20,
        "filtering_dense_peak_mb": dense_peak / 2**20,
        "filtering_max_abs_difference": float(np.max(np.abs(tiled - dense))),
        "filtering_points": float(FILTERING_POINTS),
        "filtering_dimension": float(FILTERING_DIMENSION),
        "filtering_deltas": float(FILTERING_DELTAS),
    }
