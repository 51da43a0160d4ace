"""`fpcheck spectrum FILE`: the exact Fourier spectrum of a user's own 1D ReLU network.

The network is read by `fpcheck.empirics.weights_file.load_network` (an `.npz` archive with arrays
W0, b0, W1, b1, … in the torch nn.Linear layout, or a torch `state_dict` of a Sequential of Linear
layers; hidden layers are read with a ReLU after each, the last layer as affine). The summary gives
the linear pieces on [0, 1], the exact |c_k| (c_k = ∫_0^1 f(x) e^{-2πikx} dx, ordinary integer k)
against the exact-kink bound and the weight-only bound (Rahaman et al. 2019, Theorem 1 and Eq. 7;
docs/formulas.md §2) at k = 1 … kmax, and the fitted decay slope of the boundary-free part
c_k - i(f(1)-f(0))/(2πk) over k = 128 … 16384 (k^-2 predicted).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from fpcheck.empirics.weights_file import load_network
from fpcheck.errors import BadArgument, LimitExceeded
from fpcheck.theory import relu_spectrum

FIT_RANGE = (128, 16384)
MAX_KMAX = 1 << 20
"""--kmax beyond this is refused (the exact coefficients cost kinks × kmax complex numbers)."""
CONVENTION = "c_k = ∫_0^1 f(x) e^{-2πikx} dx (ordinary integer k, no normalisation); |c_-k| = |c_k|"


def summarise(path: str | Path, kmax: int = 32) -> dict[str, Any]:
    """The exact spectrum of the network in `path` against both bounds at k = 1 … kmax, JSON-able."""
    if isinstance(kmax, bool) or not isinstance(kmax, int | np.integer) or kmax < 1:
        raise BadArgument(f"kmax must be a positive integer, not {kmax!r}")
    if kmax > MAX_KMAX:
        raise LimitExceeded(f"--kmax {kmax} exceeds the limit {MAX_KMAX}")
    weights, biases, kind = load_network(path)  # checked there, by the theory's own checks of the layers
    pieces = relu_spectrum.linear_pieces(weights, biases)
    k = np.arange(1, int(kmax) + 1)
    amplitude = np.abs(relu_spectrum.exact_coefficients(weights, biases, k))
    exact_bound = relu_spectrum.decay_bound(weights, biases, k)
    loose_bound = relu_spectrum.weight_bound(weights, biases, k)
    fit_k = np.arange(FIT_RANGE[0], FIT_RANGE[1] + 1)
    boundary_free = relu_spectrum.boundary_free_coefficients(weights, biases, fit_k)
    slope = relu_spectrum.fitted_decay_slope(fit_k, boundary_free) if np.any(boundary_free) else None
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(exact_bound > 0, amplitude / exact_bound, 0.0)
        looseness = loose_bound / amplitude
    finite = looseness[np.isfinite(looseness)]
    return {
        "file": str(path),
        "format": kind,
        "layers": [list(w.shape) for w in weights],
        "pieces": pieces.n_pieces,
        "pieces_bound": relu_spectrum.pieces_bound(weights, biases),
        "kinks": pieces.kinks.tolist(),
        "mean": float(relu_spectrum.exact_coefficients(weights, biases, 0).real),
        "f_at_0": pieces.value_at_0,
        "f_at_1": pieces.value_at_1,
        "slope_at_0": pieces.slope_at_0,
        "slope_at_1": pieces.slope_at_1,
        "lipschitz_bound": relu_spectrum.lipschitz_bound(weights, biases),
        "k": k.tolist(),
        "abs_coefficient": amplitude.tolist(),
        "decay_bound": exact_bound.tolist(),
        "weight_bound": loose_bound.tolist(),
        "ratio_to_decay_bound": ratio.tolist(),
        "looseness_median": float(np.median(finite)) if finite.size else None,
        "fitted_slope": slope,
        "fit_range": list(FIT_RANGE),
        "convention": CONVENTION,
    }


def format_summary(summary: dict[str, Any]) -> str:
    """The summary as text for a terminal."""
    shapes = " → ".join(f"{shape[0]}×{shape[1]}" for shape in summary["layers"])
    slope = "n/a (no kink, no end-slope difference)" if summary["fitted_slope"] is None else (
        f"{summary['fitted_slope']:.3f}"
    )
    looseness = "n/a" if summary["looseness_median"] is None else f"{summary['looseness_median']:.3g}"
    lines = [
        f"{summary['file']} ({summary['format']}): layers {shapes}, ReLU between them",
        f"linear pieces on [0, 1]: {summary['pieces']} (at most {summary['pieces_bound']} from the widths)",
        f"f(0) = {summary['f_at_0']:.6g}, f(1) = {summary['f_at_1']:.6g}, mean = {summary['mean']:.6g}, "
        f"f'(0+) = {summary['slope_at_0']:.6g}, f'(1-) = {summary['slope_at_1']:.6g}",
        f"Lipschitz bound Π‖W_l‖₂ = {summary['lipschitz_bound']:.6g}",
        f"fitted decay slope of the boundary-free part, k = {summary['fit_range'][0]}…{summary['fit_range'][1]}: "
        f"{slope} (Rahaman et al. 2019, Thm 1 in 1D: -2)",
        f"weight bound / |c_k|, median over the k below: {looseness}",
        summary["convention"],
        "",
        f"{'k':>6} {'|c_k|':>12} {'exact-kink bound':>17} {'ratio':>7} {'weight bound':>13}",
    ]
    for row in zip(
        summary["k"], summary["abs_coefficient"], summary["decay_bound"], summary["ratio_to_decay_bound"],
        summary["weight_bound"], strict=True,
    ):
        k, amplitude, exact_bound, ratio, loose = row
        lines.append(f"{k:>6} {amplitude:>12.4e} {exact_bound:>17.4e} {ratio:>7.4f} {loose:>13.4e}")
    return "\n".join(lines)
