"""The exact Fourier spectrum of a 1D ReLU network on [0, 1] and its O(k^-2) bounds.

Rahaman et al. 2019 ("On the spectral bias of neural networks", arXiv:1806.08734), Theorem 1: the
Fourier transform of a ReLU network decays like k^{-d-1} in d dimensions, with constants of order
L_f N_f (Lipschitz constant times number of linear regions); their Eq. 7 bounds L_f by Π_l ‖W_l‖₂.
In 1D the network is continuous and piecewise linear, so its Fourier coefficients on [0, 1] have a
closed form (docs/formulas.md §2, derived in `derive`):

    c_k = ∫_0^1 f(x) e^{-2πikx} dx
        = i (f(1) - f(0)) / (2πk) - [ f'(0+) - f'(1-) + Σ_m J_m e^{-2πikx_m} ] / (2πk)²,   k ∈ ℤ \\ {0},

with kinks x_m ∈ (0, 1) and slope jumps J_m = f'(x_m+) - f'(x_m-). Convention: ordinary integer
frequency k (cycles per unit length), kernel e^{-2πikx} (minus sign), no normalisation factor (the
interval has length 1); c_{-k} = conj(c_k) for a real network, and c_0 is the mean of f on [0, 1].

Networks use the torch `nn.Linear` layout: weights[l] has shape (out, in) and biases[l] shape (out,);
the input is 1-D (weights[0] has one column), every hidden layer is followed by a ReLU, the last layer
is affine with one output. Everything runs in float64; the kinks are exact (up to rounding): the
interval [0, 1] is propagated layer by layer and split wherever a pre-activation, affine between the
current breakpoints, crosses zero.

Outside the hypotheses: `activation_regions`, `linear_pieces` and `kink_bound` also take `step` s ≥ 0,
the jump of the activation σ(z) = max(z, 0) + s H(z) (the control of the spectrum claims). Such a network
is still affine on each piece but jumps in value at the kinks where a neuron turns on, so integration by
parts leaves a term Σ_m V_m e^{-2πikx_m} / (2πik) of order k^-1 (V_m the value jumps) that the kink
form and its bounds do not contain: the bounds computed for it are what Theorem 1 would claim, and fail.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import sympy as sp
from numpy.typing import ArrayLike

from fpcheck.theory.derivation import Step

_EPS = float(np.finfo(np.float64).eps)
# A split point closer than this to an existing breakpoint is merged with it (a sliver of width ≲ 1 ulp).
_EDGE_TOLERANCE = 4.0 * _EPS
# k·x_m is formed for this many (k, kink) pairs at a time, to bound the memory of the phase matrix.
_PHASE_CHUNK = 1 << 20
_MAX_EXACT_INTEGER = 2.0**53


@dataclass(frozen=True)
class PiecewiseLinear:
    """A piecewise-linear function on [0, 1]: f(x) = slopes[i] x + intercepts[i] on piece i (continuous
    for a ReLU network; with an activation step it jumps at some edges).

    `edges` (n + 1 increasing points, edges[0] = 0, edges[-1] = 1) delimit the n pieces;
    `slope_scale[i]` is the slope of the same network with every weight replaced by its absolute value
    on piece i, the scale of the rounding error of slopes[i] (used to tell a kink from round-off).
    """

    edges: np.ndarray
    slopes: np.ndarray
    intercepts: np.ndarray
    slope_scale: np.ndarray

    @property
    def n_pieces(self) -> int:
        return int(self.slopes.size)

    @property
    def kinks(self) -> np.ndarray:
        """The interior breakpoints x_m ∈ (0, 1)."""
        return self.edges[1:-1]

    @property
    def jumps(self) -> np.ndarray:
        """The slope jumps J_m = f'(x_m+) - f'(x_m-) at the interior breakpoints."""
        return np.diff(self.slopes)

    @property
    def value_at_0(self) -> float:
        return float(self.intercepts[0])

    @property
    def value_at_1(self) -> float:
        return float(self.slopes[-1] + self.intercepts[-1])

    @property
    def rise(self) -> float:
        """f(1) - f(0), as Σ slope × width (no cancellation against a large intercept)."""
        return float(np.sum(self.slopes * np.diff(self.edges)))

    @property
    def slope_at_0(self) -> float:
        """f'(0+)."""
        return float(self.slopes[0])

    @property
    def slope_at_1(self) -> float:
        """f'(1-)."""
        return float(self.slopes[-1])

    def __call__(self, x: ArrayLike) -> np.ndarray:
        """f at points of [0, 1] (float64)."""
        points = np.asarray(x, dtype=np.float64)
        if np.any(~np.isfinite(points)) or np.any((points < 0.0) | (points > 1.0)):
            raise ValueError("x must lie in [0, 1]")
        piece = np.clip(np.searchsorted(self.edges, points, side="right") - 1, 0, self.n_pieces - 1)
        return self.slopes[piece] * points + self.intercepts[piece]


# --------------------------------------------------------------------------------------------------
# validation


def _step(step: float) -> float:
    """The activation step s as a float; ValueError unless finite and ≥ 0."""
    value = float(step)
    if not (np.isfinite(value) and value >= 0.0):
        raise ValueError(f"the activation step must be finite and ≥ 0, not {step!r}")
    return value


def _as_network(weights: Sequence[ArrayLike], biases: Sequence[ArrayLike]) -> tuple[list, list]:
    """float64 copies of the layers, checked: one input, one output, matching shapes, finite values."""
    if isinstance(weights, np.ndarray) or isinstance(biases, np.ndarray):
        raise ValueError("weights and biases must be sequences of arrays (one per layer), not single arrays")
    weights, biases = list(weights), list(biases)
    if not weights:
        raise ValueError("the network has no layers: weights is empty")
    if len(weights) != len(biases):
        raise ValueError(f"{len(weights)} weight matrices but {len(biases)} bias vectors")
    ws, bs = [], []
    fan_in = 1
    for index, (weight, bias) in enumerate(zip(weights, biases, strict=True)):
        w = _float_array(weight, f"weights[{index}]")
        b = _float_array(bias, f"biases[{index}]")
        if w.ndim == 1 and w.size == 0:  # a zero-width layer given as an empty nested list
            w = w.reshape(0, fan_in)
        if w.ndim != 2:
            raise ValueError(f"weights[{index}] must be 2-D (out, in), got shape {w.shape}")
        if w.shape[1] != fan_in:
            what = "the input is 1-D, so weights[0] needs 1 column" if index == 0 else (
                f"the previous layer has {fan_in} outputs"
            )
            raise ValueError(f"weights[{index}] has shape {w.shape}: {what}")
        if b.shape != (w.shape[0],):
            raise ValueError(f"biases[{index}] has shape {b.shape}, expected ({w.shape[0]},)")
        ws.append(w)
        bs.append(b)
        fan_in = w.shape[0]
    if fan_in != 1:
        raise ValueError(f"the last layer must have 1 output, got {fan_in}")
    return ws, bs


def _float_array(value: ArrayLike, name: str) -> np.ndarray:
    try:
        array = np.asarray(value)
    except ValueError as error:  # ragged nested lists
        raise ValueError(f"{name} is not a rectangular array: {error}") from None
    if array.dtype == bool or not (np.issubdtype(array.dtype, np.integer) or np.issubdtype(array.dtype, np.floating)):
        raise ValueError(f"{name} must hold real numbers, got dtype {array.dtype}")
    array = array.astype(np.float64)
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} holds NaN or inf")
    return array


def _frequencies(k: ArrayLike, allow_zero: bool) -> np.ndarray:
    """Integer frequencies as float64 (exact up to 2^53); non-integers (and k = 0 for the bounds) raise."""
    array = np.asarray(k)
    if array.dtype == bool or not (np.issubdtype(array.dtype, np.integer) or np.issubdtype(array.dtype, np.floating)):
        raise ValueError(f"k must be an integer array, got dtype {array.dtype}")
    values = array.astype(np.float64)
    if not np.all(np.isfinite(values)):
        raise ValueError("k holds NaN or inf; k must be integers")
    if np.any(values != np.round(values)):
        bad = values[values != np.round(values)].flat[0]
        raise ValueError(f"k must be integers, got {bad!r}")
    if np.any(np.abs(values) > _MAX_EXACT_INTEGER):
        raise ValueError("|k| must be at most 2^53 (float64 integers)")
    if not allow_zero and np.any(values == 0):
        raise ValueError("k = 0 is not allowed: the bounds hold for k ≠ 0 (use exact_coefficients for the mean)")
    return values


# --------------------------------------------------------------------------------------------------
# exact breakpoints


def _exponent(array: np.ndarray) -> int:
    """The binary exponent e with max|array| in [2^(e-1), 2^e) (0 for an empty or zero array)."""
    largest = float(np.max(np.abs(array))) if array.size else 0.0
    return int(np.frexp(largest)[1]) if largest > 0 else 0


def _affine(
    slope: np.ndarray, offset: np.ndarray, scale: np.ndarray, exponent: int, weight: np.ndarray, bias: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """The next pre-activation per piece: z = W h + b with h = 2^exponent (slope x + offset).

    Values are kept normalised by powers of two (exact rescaling), so huge or tiny weights neither
    overflow nor underflow in the intermediate layers: the result is (slope', offset', scale', e') with
    z = 2^e' (slope' x + offset'), max(|slope'|, |offset'|) ≤ about 1.
    """
    weight_exponent = _exponent(weight)
    unit_weight = np.ldexp(weight, -weight_exponent)
    new_slope = slope @ unit_weight.T
    new_offset = offset @ unit_weight.T
    new_scale = scale @ np.abs(unit_weight).T
    product_exponent = exponent + weight_exponent
    signal_exponent = product_exponent + max(_exponent(new_slope), _exponent(new_offset), _exponent(new_scale))
    new_exponent = max(signal_exponent, _exponent(bias)) if np.any(bias) else signal_exponent
    shift = product_exponent - new_exponent
    return (
        np.ldexp(new_slope, shift),
        np.ldexp(new_offset, shift) + np.ldexp(bias, -new_exponent),
        np.ldexp(new_scale, shift),
        new_exponent,
    )


def _split(edges: np.ndarray, slope: np.ndarray, offset: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Split each piece where a pre-activation slope x + offset crosses zero inside it.

    Returns the new edges and, for each new piece, the index of the piece it came from.
    """
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # far crossings: ±inf, dropped
        crossings = -offset / slope
    low, high = edges[:-1, None], edges[1:, None]
    inside = (slope != 0) & (crossings > low + _EDGE_TOLERANCE) & (crossings < high - _EDGE_TOLERANCE)
    points = np.unique(np.concatenate([edges, crossings[inside]]))
    # crossings keep their distance from the old edges; of two crossings closer than the tolerance
    # (different neurons), the second is dropped
    points = points[np.concatenate([[True], np.diff(points) > _EDGE_TOLERANCE])]
    midpoints = 0.5 * (points[:-1] + points[1:])
    parent = np.searchsorted(edges, midpoints, side="right") - 1
    return points, parent


def activation_regions(weights: Sequence[ArrayLike], biases: Sequence[ArrayLike], step: float = 0.0
                       ) -> PiecewiseLinear:
    """The network on [0, 1] split into its activation regions (constant ReLU pattern on each).

    Every boundary is a point where some hidden pre-activation crosses zero; the network is affine on
    each region. A boundary is not always a kink (the slope may not change there, e.g. when the
    neuron's outgoing weights are zero): `linear_pieces` merges those. `step` is the jump s of the
    activation max(z, 0) + s H(z) (module doc; 0 for a ReLU network).
    """
    step = _step(step)
    ws, bs = _as_network(weights, biases)
    edges = np.array([0.0, 1.0])
    # h(x) = 2^e (slope x + offset) on each piece, starting from the input h = x.
    slope, offset, scale, exponent = np.ones((1, 1)), np.zeros((1, 1)), np.ones((1, 1)), 0
    for index, (weight, bias) in enumerate(zip(ws, bs, strict=True)):
        slope, offset, scale, exponent = _affine(slope, offset, scale, exponent, weight, bias)
        if index == len(ws) - 1:
            break
        edges, parent = _split(edges, slope, offset)
        slope, offset, scale = slope[parent], offset[parent], scale[parent]
        midpoints = 0.5 * (edges[:-1] + edges[1:])
        active = slope * midpoints[:, None] + offset > 0
        if step:  # h = 2^e (slope x + offset) + s on the active pieces
            offset = offset + np.ldexp(step, -exponent)
        slope, offset, scale = np.where(active, slope, 0.0), np.where(active, offset, 0.0), np.where(active, scale, 0.0)
    with np.errstate(over="ignore"):
        slopes, intercepts = np.ldexp(slope[:, 0], exponent), np.ldexp(offset[:, 0], exponent)
        slope_scale = np.ldexp(scale[:, 0], exponent)
    if not (np.all(np.isfinite(slopes)) and np.all(np.isfinite(intercepts))):
        raise ValueError(f"the network's output overflows float64 (its scale is about 2^{exponent})")
    return PiecewiseLinear(edges, slopes, intercepts, slope_scale)


def linear_pieces(weights: Sequence[ArrayLike], biases: Sequence[ArrayLike], step: float = 0.0) -> PiecewiseLinear:
    """The maximal intervals on which the network is affine (activation regions merged across non-kinks).

    A region boundary is kept as a kink when the slope jump exceeds the rounding error of the slopes,
    16 (L + 1) ε times the absolute-weight slope on either side (L + 1 = number of layers). With an
    activation `step`, a boundary where the value jumps by more than 16 (L + 1) ε times the largest
    |slope scale| + |intercept| is kept too.
    """
    regions = activation_regions(weights, biases, step)
    depth = len(list(weights))
    tolerance = 16.0 * (depth + 1) * _EPS * np.maximum(regions.slope_scale[:-1], regions.slope_scale[1:])
    is_kink = np.abs(regions.jumps) > tolerance
    if _step(step):
        at = regions.kinks
        value_jumps = (regions.slopes[1:] - regions.slopes[:-1]) * at + regions.intercepts[1:] - regions.intercepts[:-1]
        scale = float(np.max(regions.slope_scale) + np.max(np.abs(regions.intercepts)))
        is_kink |= np.abs(value_jumps) > 16.0 * (depth + 1) * _EPS * scale
    starts = np.concatenate([[0], np.flatnonzero(is_kink) + 1])
    edges = np.concatenate([[0.0], regions.kinks[is_kink], [1.0]])
    return PiecewiseLinear(edges, regions.slopes[starts], regions.intercepts[starts], regions.slope_scale[starts])


def breakpoints(weights: Sequence[ArrayLike], biases: Sequence[ArrayLike]) -> np.ndarray:
    """Sorted kink locations x_m ∈ (0, 1) of the network (where its slope changes), float64."""
    return linear_pieces(weights, biases).kinks.copy()


def count_pieces(weights: Sequence[ArrayLike], biases: Sequence[ArrayLike]) -> int:
    """The number of linear pieces of the network on [0, 1] (kinks + 1)."""
    return linear_pieces(weights, biases).n_pieces


# --------------------------------------------------------------------------------------------------
# exact coefficients


def _kink_sum(kinks: np.ndarray, jumps: np.ndarray, k: np.ndarray) -> np.ndarray:
    """Σ_m J_m e^{-2πik x_m} for every k (phases reduced mod 1 before the exponential)."""
    flat = k.ravel()
    total = np.zeros(flat.shape, dtype=np.complex128)
    if kinks.size == 0:
        return total.reshape(k.shape)
    rows = max(1, _PHASE_CHUNK // kinks.size)
    for start in range(0, flat.size, rows):
        cycles = np.mod(np.multiply.outer(flat[start : start + rows], kinks), 1.0)
        total[start : start + rows] = np.exp(-2j * np.pi * cycles) @ jumps
    return total.reshape(k.shape)


def _mean(pieces: PiecewiseLinear) -> float:
    low, high = pieces.edges[:-1], pieces.edges[1:]
    return float(np.sum(pieces.slopes * (high - low) * (high + low) / 2.0 + pieces.intercepts * (high - low)))


def _coefficients(pieces: PiecewiseLinear, k: np.ndarray) -> np.ndarray:
    """c_k by the kink form (k ≠ 0) and the mean (k = 0)."""
    nonzero = np.where(k == 0, 1.0, k)
    angular = 2.0 * np.pi * nonzero
    end_jump = pieces.slope_at_0 - pieces.slope_at_1
    values = 1j * pieces.rise / angular - (end_jump + _kink_sum(pieces.kinks, pieces.jumps, k)) / angular**2
    return np.where(k == 0, _mean(pieces), values)


def exact_coefficients(weights: Sequence[ArrayLike], biases: Sequence[ArrayLike], k: ArrayLike) -> np.ndarray:
    """c_k = ∫_0^1 f(x) e^{-2πikx} dx for integer k (complex128, the shape of k; k = 0 gives the mean).

    Exact up to float64 rounding, at any k (no sampling, no aliasing): the kink form of the module
    docstring, with the kinks and slopes of `linear_pieces`.
    """
    frequencies = _frequencies(k, allow_zero=True)
    return _coefficients(linear_pieces(weights, biases), frequencies)


def boundary_free_coefficients(
    weights: Sequence[ArrayLike], biases: Sequence[ArrayLike], k: ArrayLike
) -> np.ndarray:
    """c_k minus its boundary term i (f(1) - f(0)) / (2πk), k ≠ 0: the coefficients of f minus its ramp.

    Equals -[f'(0+) - f'(1-) + Σ_m J_m e^{-2πikx_m}] / (2πk)², the k^-2 part of Theorem 1 in 1D; it is
    also exactly the coefficient of g(x) = f(x) - f(0) - (f(1) - f(0)) x, whose periodic extension is
    continuous.
    """
    frequencies = _frequencies(k, allow_zero=False)
    pieces = linear_pieces(weights, biases)
    end_jump = pieces.slope_at_0 - pieces.slope_at_1
    return -(end_jump + _kink_sum(pieces.kinks, pieces.jumps, frequencies)) / (2.0 * np.pi * frequencies) ** 2


# --------------------------------------------------------------------------------------------------
# bounds


def decay_bound(weights: Sequence[ArrayLike], biases: Sequence[ArrayLike], k: ArrayLike) -> np.ndarray:
    """The exact-kink bound |c_k| ≤ |f(1)-f(0)| / (2π|k|) + (Σ_m |J_m| + |f'(0+) - f'(1-)|) / (2πk)².

    The triangle inequality applied term by term to the kink form (docs/formulas.md §2); k ≠ 0, real, the
    shape of k.
    """
    frequencies = _frequencies(k, allow_zero=False)
    pieces = linear_pieces(weights, biases)
    rise = abs(pieces.rise)
    total_jump = float(np.sum(np.abs(pieces.jumps))) + abs(pieces.slope_at_0 - pieces.slope_at_1)
    angular = 2.0 * np.pi * np.abs(frequencies)
    return rise / angular + total_jump / angular**2


def kink_bound(weights: Sequence[ArrayLike], biases: Sequence[ArrayLike], k: ArrayLike, step: float = 0.0
               ) -> np.ndarray:
    """Theorem 1's k^-2 part with the network's own constant: (Σ_m |J_m| + |f'(0+) - f'(1-)|) / (2πk)².

    It bounds the boundary-free coefficients |c_k - i(f(1) - f(0))/(2πk)| of a ReLU network at every
    k ≠ 0 (the triangle inequality on the kink form, docs/formulas.md §2). With an activation `step` the
    same constant is computed from the slope jumps, but the network is outside the hypotheses (module
    doc) and its coefficients exceed it like k^-1. Real, the shape of k.
    """
    frequencies = _frequencies(k, allow_zero=False)
    pieces = linear_pieces(weights, biases, step)
    total_jump = float(np.sum(np.abs(pieces.jumps))) + abs(pieces.slope_at_0 - pieces.slope_at_1)
    return total_jump / (2.0 * np.pi * np.abs(frequencies)) ** 2


def lipschitz_bound(weights: Sequence[ArrayLike], biases: Sequence[ArrayLike]) -> float:
    """Π_l ‖W_l‖₂ (exact spectral norms), a bound on every local slope |f'| (Rahaman 2019, Eq. 7).

    A ReLU's local Jacobian is a 0/1 diagonal matrix of norm ≤ 1. The product is formed from the
    mantissas and binary exponents of the norms separately (no intermediate overflow or underflow);
    ValueError when it overflows float64. 0 when a layer is zero.
    """
    ws, _ = _as_network(weights, biases)
    norms = np.array([np.linalg.norm(w, 2) if w.size else 0.0 for w in ws])
    if np.min(norms) == 0.0:
        return 0.0
    mantissas, exponents = np.frexp(norms)
    with np.errstate(over="ignore"):
        product = float(np.ldexp(np.prod(mantissas), int(np.sum(exponents))))
    if not np.isfinite(product):
        raise ValueError(f"the Lipschitz bound Π‖W_l‖₂ ≈ 2^{int(np.sum(exponents))} overflows float64")
    return product


def pieces_bound(weights: Sequence[ArrayLike], biases: Sequence[ArrayLike]) -> int:
    """Π_l (1 + d_l) over the hidden widths d_l: the most linear pieces a 1D ReLU network can have.

    Each hidden neuron's pre-activation is affine on each current piece, so it crosses zero at most once
    there: a layer of width d splits every piece into at most d + 1.
    """
    ws, _ = _as_network(weights, biases)
    return int(np.prod([1 + w.shape[0] for w in ws[:-1]], dtype=object)) if len(ws) > 1 else 1


def worst_case_log_pieces(neurons: int, depths: ArrayLike) -> np.ndarray:
    """log Π_l (1 + d_l) = D log(1 + M/D): the log of `pieces_bound` for D hidden layers of M/D neurons.

    The worst case at a fixed number M of neurons, exponential in the depth D (Rahaman et al. 2019 §3
    read with Hanin & Rolnick 2019, who show that typical networks are far from it); shape of `depths`.
    """
    depths = np.asarray(depths, dtype=float)
    return depths * np.log1p(neurons / depths)


def sawtooth_network(depth: int, width: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Telgarsky's construction: `depth` compositions of a `width`-piece zigzag of [0, 1] onto itself.

    Hidden neuron j of every layer computes ReLU(u - j/width) of the previous zigzag u ∈ [0, 1]; the
    outgoing weights (width, -2 width, 2 width, …) rebuild a zigzag of `width` pieces from them, so the
    output has width^depth linear pieces on [0, 1], the most a network of that shape reaches up to the
    factor ((1 + width) / width)^depth (Telgarsky 2016, "Benefits of depth in neural networks", COLT;
    Montúfar, Pascanu, Cho, Bengio 2014). Float64 layers in the nn.Linear layout.
    """
    if depth < 1 or width < 1:
        raise ValueError(f"depth and width must be positive, not {depth} and {width}")
    thresholds = np.arange(width) / width
    outgoing = np.array([float(width)] + [2.0 * width * (-1) ** j for j in range(1, width)])
    weights = [np.ones((width, 1))] + [np.outer(np.ones(width), outgoing) for _ in range(depth - 1)]
    weights.append(outgoing[None, :].copy())
    biases = [-thresholds.copy() for _ in range(depth)] + [np.zeros(1)]
    return weights, biases


def weight_bound(weights: Sequence[ArrayLike], biases: Sequence[ArrayLike], k: ArrayLike) -> np.ndarray:
    """The decay bound with constants from the weights alone: L / (2π|k|) + 2 L N / (2πk)².

    L = Π‖W_l‖₂ bounds every slope, so |f(1) - f(0)| ≤ L, each |J_m| ≤ 2L, |f'(0+) - f'(1-)| ≤ 2L; with
    at most N - 1 kinks (N = Π(1 + d_l)), Σ|J_m| + |f'(0+) - f'(1-)| ≤ 2L(N - 1) + 2L = 2LN.
    Always ≥ `decay_bound`; k ≠ 0; ValueError when the bound overflows float64.
    """
    frequencies = _frequencies(k, allow_zero=False)
    lipschitz = lipschitz_bound(weights, biases)
    pieces = float(pieces_bound(weights, biases))
    angular = 2.0 * np.pi * np.abs(frequencies)
    with np.errstate(over="ignore"):
        bound = lipschitz / angular + 2.0 * lipschitz * pieces / angular**2
    if not np.all(np.isfinite(bound)):
        raise ValueError("the weight bound overflows float64")
    return bound


# --------------------------------------------------------------------------------------------------
# decay rate


def fitted_decay_slope(k: ArrayLike, amplitudes: ArrayLike, windows: int = 12) -> float:
    """The log-log slope of |amplitudes| against k, robust to the zeros of an oscillating spectrum.

    The boundary-free coefficients are k^-2 times an almost-periodic factor D + Σ J_m e^{-2πikx_m} that
    oscillates and can come close to zero at some k, so a least-squares fit through every point is
    dominated by those dips. Instead k (positive, from the given samples) is cut into `windows`
    geometric windows between its smallest and largest value; in each the root mean square of the
    amplitudes is taken (for an almost-periodic factor its mean square is stationary in k) and the
    slope is the least-squares fit of log(rms) on log(geometric centre). Needs at least two windows
    holding samples.
    """
    ks = np.asarray(k, dtype=np.float64).ravel()
    values = np.abs(np.asarray(amplitudes)).astype(np.float64).ravel()
    if ks.shape != values.shape:
        raise ValueError(f"k has {ks.size} values but amplitudes has {values.size}")
    if not (np.all(np.isfinite(ks)) and np.all(np.isfinite(values))):
        raise ValueError("k and amplitudes must be finite")
    if np.any(ks <= 0):
        raise ValueError("k must be positive for a log-log fit")
    if windows < 2:
        raise ValueError("windows must be at least 2")
    bounds = np.geomspace(ks.min(), ks.max() * (1 + 1e-12), windows + 1)
    which = np.searchsorted(bounds, ks, side="right") - 1
    centres, levels = [], []
    for window in range(windows):
        inside = which == window
        if np.any(inside):
            level = np.sqrt(np.mean(values[inside] ** 2))
            if level > 0:
                centres.append(np.sqrt(bounds[window] * bounds[window + 1]))
                levels.append(level)
    if len(centres) < 2:
        raise ValueError("too few windows with non-zero amplitudes to fit a slope")
    slope, _ = np.polyfit(np.log(centres), np.log(levels), 1)
    return float(slope)


# --------------------------------------------------------------------------------------------------
# derivation


def _one_sided_jump(function: sp.Expr, x: sp.Symbol, at: sp.Expr) -> sp.Expr:
    """f'(at+) - f'(at-), as one-sided limits of the derivative (unevaluated, for the reader)."""
    slope = sp.Derivative(function, x)
    return sp.Limit(slope, x, at, "+") - sp.Limit(slope, x, at, "-")


def derive() -> list[Step]:
    """The kink form of c_k and its bound, step by step (sympy); each step re-checked by `Step.holds`.

    (1) one piece, integrated by parts; (2) its antiderivative; (3) the two pieces meeting at a kink
    telescope into -J e^{-2πikx}/(2πk)² by continuity; (4) the outer ends give the boundary term and the
    end-slope term (e^{-2πik} = 1 for integer k); (5) the sum over three pieces equals the kink form;
    (6)-(8) the modulus of each term, which the triangle inequality adds up into the bound; (9) a
    single neuron's jump a|w|; (10) the constants from the weights.
    """
    x, a, b, t = sp.symbols("x a b t", real=True)
    k = sp.Symbol("k", integer=True, nonzero=True)
    alpha, beta, alpha0, beta0, alpha1, beta1, alpha2, beta2 = sp.symbols(
        "alpha beta alpha_0 beta_0 alpha_1 beta_1 alpha_2 beta_2", real=True
    )
    x1, x2, jump, rise, end = sp.symbols("x_1 x_2 J B D", real=True)
    amplitude = sp.Symbol("a_j", real=True)
    w_pos = sp.Symbol("w", positive=True)
    w_neg = sp.Symbol("w", negative=True)
    k_pos = sp.Symbol("k", integer=True, positive=True)  # |c_{-k}| = |c_k|: the moduli for k > 0
    lipschitz, pieces = sp.symbols("L N", positive=True)
    omega = 2 * sp.pi * k
    kernel = sp.exp(-sp.I * omega * x)

    def antiderivative(slope: sp.Expr, offset: sp.Expr, at: sp.Expr) -> sp.Expr:
        return sp.exp(-sp.I * omega * at) * (sp.I * (slope * at + offset) / omega + slope / omega**2)

    def piece(slope: sp.Expr, offset: sp.Expr, low: sp.Expr, high: sp.Expr) -> sp.Expr:
        return antiderivative(slope, offset, high) - antiderivative(slope, offset, low)

    # three pieces on [0, x1], [x1, x2], [x2, 1], continuous at x1 and x2 (β1, β2 eliminated)
    continuity = {
        beta1: beta0 + (alpha0 - alpha1) * x1,
        beta2: beta0 + (alpha0 - alpha1) * x1 + (alpha1 - alpha2) * x2,
    }
    f0, f1 = beta0, (alpha2 + beta2).subs(continuity)
    three_pieces = sum(
        (
            sp.Integral((slope * x + offset.subs(continuity)) * kernel, (x, low, high))
            for slope, offset, low, high in ((alpha0, beta0, 0, x1), (alpha1, beta1, x1, x2), (alpha2, beta2, x2, 1))
        ),
        sp.Integer(0),
    )
    kink_form = sp.I * (f1 - f0) / omega - (
        (alpha0 - alpha2)
        + (alpha1 - alpha0) * sp.exp(-sp.I * omega * x1)
        + (alpha2 - alpha1) * sp.exp(-sp.I * omega * x2)
    ) / omega**2
    return [
        Step(
            "The coefficient of one linear piece f = αx + β on [a, b] (integration by parts)",
            sp.Integral((alpha * x + beta) * kernel, (x, a, b)),
            piece(alpha, beta, a, b),
            ("k ≠ 0 integer",),
        ),
        Step(
            "F(x) = e^{-2πikx} (i(αx + β)/(2πk) + α/(2πk)²) is an antiderivative of (αx + β) e^{-2πikx}",
            sp.Derivative(antiderivative(alpha, beta, x), x),
            (alpha * x + beta) * kernel,
            ("k ≠ 0",),
        ),
        Step(
            "Telescoping at a kink t: the left piece's F(t) minus the right piece's F(t), with continuity "
            "α₀t + β₀ = α₁t + β₁, leaves -J e^{-2πikt}/(2πk)², J = α₁ - α₀ the slope jump",
            antiderivative(alpha0, beta0, t) - antiderivative(alpha1, beta0 + (alpha0 - alpha1) * t, t),
            -(alpha1 - alpha0) * sp.exp(-sp.I * omega * t) / omega**2,
            ("f continuous at t",),
        ),
        Step(
            "The outer ends: F_last(1) - F_first(0) = i(f(1) - f(0))/(2πk) - (f'(0+) - f'(1-))/(2πk)² "
            "since e^{-2πik} = 1",
            antiderivative(alpha2, beta2, 1) - antiderivative(alpha0, beta0, 0),
            sp.I * ((alpha2 + beta2) - beta0) / omega - (alpha0 - alpha2) / omega**2,
            ("k integer",),
        ),
        Step(
            "Summing the pieces (here three, kinks x₁ < x₂, continuous) gives the kink form "
            "c_k = i(f(1)-f(0))/(2πk) - [f'(0+) - f'(1-) + Σ J_m e^{-2πikx_m}]/(2πk)²",
            three_pieces,
            kink_form,
            ("k ≠ 0 integer", "f continuous"),
        ),
        Step(
            "Modulus of the boundary term, B = f(1) - f(0) (k > 0; |c_{-k}| = |c_k| for real f)",
            sp.Abs(sp.I * rise / (2 * sp.pi * k_pos), evaluate=False),
            sp.Abs(rise) / (2 * sp.pi * k_pos),
            ("B real",),
        ),
        Step(
            "Modulus of one kink term (|e^{-2πikx}| = 1 for real x)",
            sp.Abs(jump * sp.exp(-2 * sp.pi * sp.I * k_pos * x) / (2 * sp.pi * k_pos) ** 2, evaluate=False),
            sp.Abs(jump) / (4 * sp.pi**2 * k_pos**2),
            ("J, x real",),
        ),
        Step(
            "Modulus of the end-slope term, D = f'(0+) - f'(1-); the triangle inequality over the terms "
            "gives |c_k| ≤ |B|/(2π|k|) + (Σ|J_m| + |D|)/(2πk)²",
            sp.Abs(end / (2 * sp.pi * k_pos) ** 2, evaluate=False),
            sp.Abs(end) / (4 * sp.pi**2 * k_pos**2),
            ("D real",),
        ),
        Step(
            "One neuron a·ReLU(wx + b), w > 0: f'(x) = a w H(wx + b) jumps by a|w| at x = -b/w",
            _one_sided_jump(amplitude * sp.Max(0, w_pos * x + b), x, -b / w_pos),
            amplitude * sp.Abs(w_pos),
            ("w > 0",),
        ),
        Step(
            "One neuron a·ReLU(wx + b), w < 0: the same jump a|w| (the slope goes from a w to 0)",
            _one_sided_jump(amplitude * sp.Max(0, w_neg * x + b), x, -b / w_neg),
            amplitude * sp.Abs(w_neg),
            ("w < 0",),
        ),
        Step(
            "Constants from the weights: |B| ≤ L, |J_m| ≤ 2L, |D| ≤ 2L with L = Π‖W_l‖₂ and at most N - 1 "
            "kinks, N = Π(1 + d_l), so the bound is at most L/(2π|k|) + 2LN/(2πk)²",
            lipschitz / (2 * sp.pi * sp.Abs(k)) + (2 * lipschitz * (pieces - 1) + 2 * lipschitz) / omega**2,
            lipschitz / (2 * sp.pi * sp.Abs(k)) + 2 * lipschitz * pieces / omega**2,
            ("L ≥ every local slope", "N ≥ number of pieces"),
        ),
    ]


def results() -> dict[str, sp.Expr]:
    """The derived formulas, for display: the kink form of c_k, the exact-kink bound, the weight bound.

    B = f(1) - f(0), D = f'(0+) - f'(1-), J[m] and x[m] the slope jumps and kinks (m = 1 … M),
    L = Π‖W_l‖₂, N = Π(1 + d_l).
    """
    k = sp.Symbol("k", integer=True, nonzero=True)
    m, count = sp.symbols("m M", integer=True, positive=True)
    rise, end = sp.symbols("B D", real=True)
    lipschitz, pieces = sp.symbols("L N", positive=True)
    jump, kink = sp.IndexedBase("J", real=True), sp.IndexedBase("x", real=True)
    omega = 2 * sp.pi * k
    kink_sum = sp.Sum(jump[m] * sp.exp(-sp.I * omega * kink[m]), (m, 1, count))
    jump_sum = sp.Sum(sp.Abs(jump[m]), (m, 1, count))
    return {
        "c_k": sp.I * rise / omega - (end + kink_sum) / omega**2,
        "decay_bound": sp.Abs(rise) / (2 * sp.pi * sp.Abs(k)) + (jump_sum + sp.Abs(end)) / omega**2,
        "weight_bound": lipschitz / (2 * sp.pi * sp.Abs(k)) + 2 * lipschitz * pieces / omega**2,
    }
