"""fpcheck.theory.relu_spectrum against independent oracles (docs/formulas.md §2, Rahaman et al. 2019 Thm 1).

Oracles: a plain numpy forward pass; kinks found by bisection (brentq) of each neuron's pre-activation
after a dense sign scan; the coefficient integrated piece by piece with the one-piece antiderivative
(not the telescoped kink form) between those oracle kinks; mpmath quadrature split at the oracle kinks.
"""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import optimize

from fpcheck.theory import relu_spectrum as rs
from fpcheck.theory.derivation import Step, failing_steps, format_steps
from fpcheck.theory.strategies import relu_networks

# ---------------------------------------------------------------------------------------------- oracles


def random_network(depth: int, width: int, seed: int, bias_std: float = 0.7):
    rng = np.random.default_rng(seed)
    dims = [1] + [width] * depth + [1]
    weights = [rng.normal(size=(o, i)) * np.sqrt(2.0 / i) for i, o in zip(dims[:-1], dims[1:], strict=True)]
    biases = [rng.normal(size=o) * bias_std for o in dims[1:]]
    return weights, biases


def forward(weights, biases, x):
    """Output and every hidden pre-activation of a plain ReLU forward pass."""
    h = np.atleast_1d(np.asarray(x, dtype=float))[:, None]
    pre = []
    for index, (w, b) in enumerate(zip(weights, biases, strict=True)):
        z = h @ np.asarray(w, float).T + np.asarray(b, float)
        if index == len(weights) - 1:
            return z[:, 0], pre
        pre.append(z)
        h = np.maximum(z, 0.0)
    raise AssertionError("unreachable")


def oracle_kinks(weights, biases, grid: int = 20001) -> np.ndarray:
    """Zero crossings of every hidden pre-activation: dense sign scan, then brentq on each bracket."""
    xs = np.linspace(0.0, 1.0, grid)
    _, pre = forward(weights, biases, xs)
    roots = []
    for layer, z in enumerate(pre):
        for neuron in range(z.shape[1]):
            sign = z[:, neuron] > 0
            for i in np.flatnonzero(sign[:-1] != sign[1:]):

                def g(t, layer=layer, neuron=neuron):
                    return forward(weights, biases, [t])[1][layer][0, neuron]

                roots.append(optimize.brentq(g, xs[i], xs[i + 1], xtol=1e-15, rtol=1e-15))
    return np.unique(np.round(roots, 13))


def piecewise_coefficients(weights, biases, k, kinks) -> np.ndarray:
    """Σ over pieces of ∫_a^b (αx + β) e^{-2πikx} dx, α and β read off the forward pass inside each piece."""
    edges = np.concatenate([[0.0], kinks, [1.0]])
    total = np.zeros(len(k), dtype=complex)
    for a, b in zip(edges[:-1], edges[1:], strict=True):
        p, q = a + (b - a) / 3, a + 2 * (b - a) / 3
        fp, fq = forward(weights, biases, [p, q])[0]
        alpha = (fq - fp) / (q - p)
        beta = fp - alpha * p
        for i, kk in enumerate(k):
            if kk == 0:
                total[i] += alpha * (b * b - a * a) / 2 + beta * (b - a)
                continue
            w = 2 * np.pi * kk

            def antiderivative(x, w=w, alpha=alpha, beta=beta):
                return np.exp(-1j * w * x) * (1j * (alpha * x + beta) / w + alpha / w**2)

            total[i] += antiderivative(b) - antiderivative(a)
    return total


# ---------------------------------------------------------------------------------------------- breakpoints


def test_shallow_kinks_are_minus_b_over_w():
    weights, biases = random_network(1, 40, seed=1)
    w, b = weights[0][:, 0], biases[0]
    expected = np.sort([-bj / wj for wj, bj in zip(w, b, strict=True) if 0 < -bj / wj < 1])
    assert expected.size >= 5
    np.testing.assert_allclose(rs.breakpoints(weights, biases), expected, rtol=0, atol=1e-14)


@pytest.mark.parametrize(("depth", "width", "seed"), [(2, 12, 0), (3, 16, 1), (5, 8, 2)])
def test_deep_kinks_match_bisection_oracle(depth, width, seed):
    weights, biases = random_network(depth, width, seed)
    found = rs.breakpoints(weights, biases)
    expected = oracle_kinks(weights, biases)
    assert expected.size >= 3
    assert found.shape == expected.shape
    np.testing.assert_allclose(found, expected, rtol=0, atol=1e-11)
    assert rs.count_pieces(weights, biases) == expected.size + 1


def test_pieces_evaluate_like_the_forward_pass():
    weights, biases = random_network(4, 10, seed=3)
    xs = np.linspace(0, 1, 5001)
    np.testing.assert_allclose(rs.linear_pieces(weights, biases)(xs), forward(weights, biases, xs)[0], atol=1e-13)


def test_no_kink_in_the_interval():
    # ReLU(2x + 1) = 2x + 1 on [0, 1]: a straight line, c_k = i (f(1) - f(0)) / (2πk), the bound is tight
    weights, biases = [[[2.0]], [[1.5]]], [[1.0], [0.25]]
    k = np.array([1, -2, 7, 1000])
    assert rs.breakpoints(weights, biases).size == 0
    assert rs.count_pieces(weights, biases) == 1
    expected = 1j * 3.0 / (2 * np.pi * k)  # f(1) - f(0) = 1.5 * 2
    np.testing.assert_allclose(rs.exact_coefficients(weights, biases, k), expected, rtol=1e-14)
    np.testing.assert_allclose(rs.decay_bound(weights, biases, k), np.abs(expected), rtol=1e-14)


def test_tiny_slope_under_a_large_intercept():
    """f = 2.35e-40 x + 1.3e-27 (found by hypothesis): f(1) - f(0) must not be formed by cancellation."""
    weights, biases = [[[0.02]], [[1.17549435e-38]]], [[0.0], [1.31755551e-27]]
    slope = 0.02 * 1.17549435e-38
    k = np.array([1, 5, 2**40 + 3])
    np.testing.assert_allclose(rs.exact_coefficients(weights, biases, k), 1j * slope / (2 * np.pi * k), rtol=1e-14)
    assert np.all(rs.decay_bound(weights, biases, k) <= rs.weight_bound(weights, biases, k) * (1 + 1e-14))


def test_neuron_with_zero_outgoing_weight_is_not_a_kink():
    weights = [[[1.0], [1.0]], [[1.0, 0.0]]]
    biases = [[-0.25, -0.5], [0.0]]
    regions = rs.activation_regions(weights, biases)
    np.testing.assert_allclose(regions.kinks, [0.25, 0.5])
    np.testing.assert_allclose(rs.breakpoints(weights, biases), [0.25])


def test_zero_width_layer():
    # the hidden layer is empty: f is the constant output bias
    weights = [np.zeros((0, 1)), np.zeros((1, 0))]
    biases = [np.zeros(0), np.array([2.0])]
    assert rs.breakpoints(weights, biases).size == 0
    np.testing.assert_allclose(rs.exact_coefficients(weights, biases, [0, 1, -3]), [2.0, 0.0, 0.0])
    np.testing.assert_allclose(rs.weight_bound(weights, biases, [1, 2]), [0.0, 0.0])
    # an empty layer in the middle of a deeper network: again a constant, the ReLU of the last bias path
    deep_w = [np.ones((3, 1)), np.zeros((0, 3)), np.ones((2, 0)), np.ones((1, 2))]
    deep_b = [np.array([-0.5, 0.1, 0.2]), np.zeros(0), np.array([0.5, -1.0]), np.array([0.25])]
    assert rs.count_pieces(deep_w, deep_b) == 1
    np.testing.assert_allclose(rs.exact_coefficients(deep_w, deep_b, [0, 5]), [0.75, 0.0], atol=1e-16)


def test_huge_weights_rescale_exactly():
    """Scaling W_l by c_l and b_l by c_0...c_l multiplies f by Πc_l and keeps the kinks.

    Here the hidden activations reach ~1e400 (a plain float64 forward pass overflows) while f stays
    representable; the powers-of-two normalisation must give the same kinks and scaled coefficients.
    """
    weights, biases = random_network(2, 6, seed=4)
    biases[1] = np.zeros_like(biases[1])  # so that layer 1 may be scaled without scaling its bias
    scales = [1e200, 1e200, 1e-300]
    big_w = [w * c for w, c in zip(weights, scales, strict=True)]
    big_b = [biases[0] * 1e200, biases[1], biases[2] * 1e100]
    with np.errstate(over="ignore", invalid="ignore"):
        assert not np.all(np.isfinite(forward(big_w, big_b, [0.5])[1][1]))
    np.testing.assert_allclose(rs.breakpoints(big_w, big_b), rs.breakpoints(weights, biases), rtol=0, atol=1e-15)
    k = np.array([0, 1, 5, 40])
    np.testing.assert_allclose(
        rs.exact_coefficients(big_w, big_b, k), 1e100 * rs.exact_coefficients(weights, biases, k), rtol=1e-12
    )


def test_output_overflow_is_an_error():
    with pytest.raises(ValueError, match="overflows"):
        rs.exact_coefficients([[[1e200]], [[1e200]]], [[-5e199], [0.0]], [1])


# ---------------------------------------------------------------------------------------------- coefficients


@pytest.mark.parametrize(("depth", "width", "seed"), [(1, 20, 5), (3, 12, 6)])
def test_coefficients_match_direct_piecewise_integration(depth, width, seed):
    weights, biases = random_network(depth, width, seed)
    kinks = oracle_kinks(weights, biases)
    k = np.array([0, 1, -1, 2, 3, -7, 10, 33, 100, 999, 10**6 + 3])
    expected = piecewise_coefficients(weights, biases, k, kinks)
    got = rs.exact_coefficients(weights, biases, k)
    np.testing.assert_allclose(got, expected, rtol=1e-8, atol=1e-12 * np.max(np.abs(expected)))


def test_coefficients_match_mpmath_quadrature():
    weights, biases = random_network(2, 8, seed=7)
    kinks = oracle_kinks(weights, biases)
    points = [0, *kinks.tolist(), 1]

    def f(x):
        return float(forward(weights, biases, [float(x)])[0][0])

    for k in (0, 1, 4, -9, 25):
        with mpmath.workdps(20):
            re = mpmath.quad(lambda x, k=k: f(x) * mpmath.cos(2 * mpmath.pi * k * x), points)
            im = mpmath.quad(lambda x, k=k: -f(x) * mpmath.sin(2 * mpmath.pi * k * x), points)
        got = complex(rs.exact_coefficients(weights, biases, k))
        assert abs(got - complex(re, im)) <= 1e-12


def test_boundary_free_part_is_the_coefficient_of_f_minus_its_ramp():
    weights, biases = random_network(3, 10, seed=8)
    pieces = rs.linear_pieces(weights, biases)
    rise = pieces.value_at_1 - pieces.value_at_0
    # the ramp f(0) + (f(1) - f(0)) x is itself a one-piece ReLU network: subtract its coefficients
    ramp_w, ramp_b = [[[1.0]], [[rise]]], [[0.0], [pieces.value_at_0]]
    k = np.array([1, 2, -3, 50, 777])
    expected = rs.exact_coefficients(weights, biases, k) - rs.exact_coefficients(ramp_w, ramp_b, k)
    kinks = oracle_kinks(weights, biases)
    oracle = piecewise_coefficients(weights, biases, k, kinks) - 1j * rise / (2 * np.pi * k)
    np.testing.assert_allclose(rs.boundary_free_coefficients(weights, biases, k), expected, rtol=1e-12, atol=1e-16)
    np.testing.assert_allclose(rs.boundary_free_coefficients(weights, biases, k), oracle, rtol=1e-8, atol=1e-13)


def test_real_network_has_conjugate_symmetric_coefficients():
    weights, biases = random_network(2, 9, seed=9)
    k = np.arange(1, 40)
    np.testing.assert_allclose(
        rs.exact_coefficients(weights, biases, -k), np.conj(rs.exact_coefficients(weights, biases, k)), rtol=1e-13
    )


# ---------------------------------------------------------------------------------------------- bounds


def test_shallow_weight_constants():
    """One hidden layer: Σ|J| over kinks in (0, 1) equals Σ |a_j w_j| over those neurons (docs/formulas.md §2)."""
    weights, biases = random_network(1, 30, seed=10)
    w, b, a = weights[0][:, 0], biases[0], weights[1][0]
    inside = (-b / w > 0) & (-b / w < 1)
    assert np.isclose(np.sum(np.abs(rs.linear_pieces(weights, biases).jumps)), np.sum(np.abs(a * w)[inside]))
    assert rs.pieces_bound(weights, biases) == 31
    assert np.isclose(rs.lipschitz_bound(weights, biases), np.linalg.norm(w) * np.linalg.norm(a))


@pytest.mark.parametrize(("neurons", "depths"), [(12, [1, 2, 3, 4, 6, 12]), (48, [1, 2, 3, 4, 6])])
def test_worst_case_log_pieces_is_the_log_of_the_pieces_bound(neurons, depths):
    """D layers of M/D neurons: log Π(1 + d_l) from the integer bound of an actual network of that shape."""
    networks = [random_network(depth, neurons // depth, seed=depth) for depth in depths]
    expected = [np.log(float(rs.pieces_bound(*network))) for network in networks]
    np.testing.assert_allclose(rs.worst_case_log_pieces(neurons, depths), expected, rtol=1e-12)
    assert rs.worst_case_log_pieces(neurons, np.array([[1.0, 2.0]])).shape == (1, 2)


def test_bounds_are_tight_for_a_straight_line_and_strict_otherwise():
    weights, biases = random_network(3, 16, seed=11)
    k = np.arange(1, 3000)
    ratio = np.abs(rs.exact_coefficients(weights, biases, k)) / rs.decay_bound(weights, biases, k)
    assert np.all(ratio <= 1.0)
    assert np.median(ratio) > 0.5  # the exact-kink bound is close (docs/formulas.md §2: median 0.89-0.998)
    assert np.all(rs.weight_bound(weights, biases, k) >= rs.decay_bound(weights, biases, k))


@settings(max_examples=80, deadline=None)
@given(relu_networks(depth=st.integers(1, 4), width=st.integers(0, 6), weight_scale=3.0))
def test_bounds_hold_for_every_generated_network(network):
    weights, biases = network
    k = np.concatenate([np.arange(1, 60), -np.arange(1, 6), [997, 10**5 + 1, 2**40 + 3]])
    amplitude = np.abs(rs.exact_coefficients(weights, biases, k))
    bound = rs.decay_bound(weights, biases, k)
    loose = rs.weight_bound(weights, biases, k)
    assert np.all(amplitude <= bound * (1 + 1e-12) + 1e-300)
    assert np.all(bound <= loose * (1 + 1e-12) + 1e-300)
    assert rs.count_pieces(weights, biases) <= rs.pieces_bound(weights, biases)
    assert np.max(np.abs(rs.linear_pieces(weights, biases).slopes)) <= rs.lipschitz_bound(weights, biases) * (
        1 + 1e-12
    )


def forward_step(weights, biases, x, step):
    """The network with the activation max(z, 0) + step·[z > 0], plain numpy."""
    h = np.atleast_1d(np.asarray(x, dtype=float))[:, None]
    for index, (w, b) in enumerate(zip(weights, biases, strict=True)):
        z = h @ np.asarray(w, float).T + np.asarray(b, float)
        if index == len(weights) - 1:
            return z[:, 0]
        h = np.maximum(z, 0.0) + step * (z > 0)
    raise AssertionError("unreachable")


def test_kink_bound_is_the_k2_part_of_the_decay_bound_and_holds():
    weights, biases = random_network(3, 16, seed=12)
    k = np.arange(1, 3000)
    pieces = rs.linear_pieces(weights, biases)
    kink = rs.kink_bound(weights, biases, k)
    decay = rs.decay_bound(weights, biases, k)
    np.testing.assert_allclose(kink + abs(pieces.rise) / (2 * np.pi * k), decay, rtol=1e-13)
    assert np.all(np.abs(rs.boundary_free_coefficients(weights, biases, k)) <= kink * (1 + 1e-12))
    np.testing.assert_array_equal(rs.linear_pieces(weights, biases, 0.0).edges, pieces.edges)


@pytest.mark.parametrize(("depth", "width", "seed", "step"), [(1, 6, 20, 0.5), (2, 8, 21, 0.1), (3, 6, 22, 2.0)])
def test_pieces_with_an_activation_step_follow_the_forward_pass(depth, width, seed, step):
    """Inside each piece the pieces evaluate like the numpy forward pass of the stepped network; across the
    kinks the value jumps, and the boundary-free coefficients of the samples escape the kink bound like k^-1."""
    weights, biases = random_network(depth, width, seed)
    pieces = rs.linear_pieces(weights, biases, step)
    middles = 0.5 * (pieces.edges[:-1] + pieces.edges[1:])
    np.testing.assert_allclose(pieces(middles), forward_step(weights, biases, middles, step), rtol=1e-10, atol=1e-12)
    inside = pieces.edges[:-1] + 0.999 * np.diff(pieces.edges)
    np.testing.assert_allclose(pieces(inside), forward_step(weights, biases, inside, step), rtol=1e-9, atol=1e-11)
    left = forward_step(weights, biases, pieces.kinks - 1e-9, step)
    right = forward_step(weights, biases, pieces.kinks + 1e-9, step)
    assert np.max(np.abs(right - left)) > 0.01 * step  # some neuron turns on: the network jumps
    points = np.random.default_rng(seed).uniform(0, 1, 2000)
    np.testing.assert_allclose(pieces(points), forward_step(weights, biases, points, step), rtol=1e-9, atol=1e-11)
    n = 1 << 16
    x = np.arange(n) / n
    values, at_1 = forward_step(weights, biases, x, step), forward_step(weights, biases, [1.0], step)[0]
    free = np.fft.rfft(values - values[0] - (at_1 - values[0]) * x) / n
    k = np.arange(1000, 2000)
    assert np.max(np.abs(free[k]) / rs.kink_bound(weights, biases, k, step)) > 10


def test_a_negative_or_nan_step_is_refused():
    weights, biases = random_network(1, 3, seed=0)
    for step in (-0.1, np.nan, np.inf):
        with pytest.raises(ValueError, match="step"):
            rs.linear_pieces(weights, biases, step)


@pytest.mark.parametrize(("depth", "width"), [(1, 5), (2, 4), (3, 3), (4, 6), (6, 8)])
def test_sawtooth_network_has_width_to_the_depth_pieces_and_maps_onto_the_unit_interval(depth, width):
    weights, biases = rs.sawtooth_network(depth, width)
    assert rs.count_pieces(weights, biases) == width**depth
    assert rs.count_pieces(weights, biases) <= rs.pieces_bound(weights, biases)
    values, _ = forward(weights, biases, np.random.default_rng(depth).uniform(0, 1, 100_000))
    assert values.min() > -1e-9 and values.max() < 1 + 1e-9 and values.max() > 0.9


def _pattern(weights, biases, x):
    """Per point: +1 active, 0 inactive, -1 undecided (|z| within rounding of zero) for every hidden neuron."""
    h = np.atleast_1d(np.asarray(x, float))[:, None]
    h_abs = np.ones_like(h)
    states = []
    for w, b in zip(weights[:-1], biases[:-1], strict=True):
        z = h @ w.T + b
        size = h_abs @ np.abs(w).T + np.abs(b)
        state = np.where(z > 0, 1, 0)
        state[np.abs(z) <= 1e-9 * size] = -1
        states.append(state)
        h, h_abs = np.maximum(z, 0.0), np.maximum(size, 0.0)
    return np.concatenate(states, axis=1) if states else np.zeros((h.shape[0], 0), int)


def _agree(p, q):
    decided = (p >= 0) & (q >= 0)
    return np.all(p[decided] == q[decided])


@settings(max_examples=80, deadline=None)
@given(relu_networks(depth=st.integers(1, 3), width=st.integers(1, 5), weight_scale=2.0))
def test_regions_match_a_dense_sign_change_scan(network):
    """The activation regions are exactly where the ReLU pattern is constant: no pattern change of a
    dense scan falls inside a region, and adjacent regions differ (each boundary is a real crossing)."""
    weights, biases = network
    regions = rs.activation_regions(weights, biases)
    edges = regions.edges
    grid = np.linspace(0.0, 1.0, 4001)
    pattern = _pattern(weights, biases, grid)
    which = np.clip(np.searchsorted(edges, grid, side="right") - 1, 0, regions.n_pieces - 1)
    mids = 0.5 * (edges[:-1] + edges[1:])
    mid_pattern = _pattern(weights, biases, mids)
    near_edge = np.min(np.abs(grid[:, None] - edges[None, :]), axis=1) < 1e-9
    for i in np.flatnonzero(~near_edge):
        assert _agree(pattern[i], mid_pattern[which[i]]), f"pattern changes inside region {which[i]} at {grid[i]}"
    widths = np.diff(edges)
    for i in range(regions.n_pieces - 1):
        if min(widths[i], widths[i + 1]) > 1e-6:
            p, q = mid_pattern[i], mid_pattern[i + 1]
            decided = (p >= 0) & (q >= 0)
            assert np.any(p[decided] != q[decided]), f"boundary {edges[i + 1]} separates equal patterns"
    # the merged pieces evaluate like the forward pass
    scale = 1.0 + np.max(np.abs(forward(weights, biases, grid)[0]))
    np.testing.assert_allclose(rs.linear_pieces(weights, biases)(grid), forward(weights, biases, grid)[0],
                               atol=1e-9 * scale)


# ---------------------------------------------------------------------------------------------- decay slope


@pytest.mark.parametrize("power", [1.0, 2.0, 3.0])
def test_fitted_slope_recovers_a_known_power(power):
    rng = np.random.default_rng(0)
    x, jumps = rng.uniform(size=12), rng.normal(size=12)
    k = np.arange(16, 4096)
    oscillating = 0.3 + np.exp(-2j * np.pi * np.outer(k, x)) @ jumps
    assert abs(rs.fitted_decay_slope(k, oscillating * k**-power) + power) < 0.05


def test_boundary_free_part_decays_as_k_minus_2():
    weights, biases = random_network(3, 16, seed=12)
    k = np.arange(32, 8192)
    slope = rs.fitted_decay_slope(k, rs.boundary_free_coefficients(weights, biases, k))
    assert abs(slope + 2) < 0.1


def test_fitted_slope_rejects_bad_input():
    with pytest.raises(ValueError, match="positive"):
        rs.fitted_decay_slope([0, 1, 2], [1, 1, 1])
    with pytest.raises(ValueError, match="finite"):
        rs.fitted_decay_slope([1, 2, 3], [1, np.nan, 1])
    with pytest.raises(ValueError, match="values"):
        rs.fitted_decay_slope([1, 2, 3], [1, 1])


# ---------------------------------------------------------------------------------------------- bad input


GOOD_W, GOOD_B = [[[1.0], [-1.0]], [[1.0, 2.0]]], [[-0.3, 0.6], [0.0]]


@pytest.mark.parametrize(
    ("weights", "biases", "message"),
    [
        ([[[np.nan], [1.0]], [[1.0, 2.0]]], GOOD_B, r"weights\[0\] holds NaN or inf"),
        (GOOD_W, [[-0.3, np.inf], [0.0]], r"biases\[0\] holds NaN or inf"),
        ([[[1.0, 2.0]], [[1.0]]], [[0.0], [0.0]], "input is 1-D"),
        ([[[1.0], [-1.0]], [[1.0, 2.0, 3.0]]], GOOD_B, "previous layer has 2 outputs"),
        ([[[1.0], [-1.0]], [[1.0, 2.0], [3.0, 4.0]]], [[-0.3, 0.6], [0.0, 0.0]], "1 output"),
        (GOOD_W, [[-0.3], [0.0]], r"biases\[0\] has shape"),
        (GOOD_W, [[-0.3, 0.6]], "2 weight matrices but 1 bias"),
        ([], [], "no layers"),
        ([[[1.0], [1.0, 2.0]], [[1.0, 2.0]]], GOOD_B, "rectangular"),
        ([[["a"], ["b"]], [[1.0, 2.0]]], GOOD_B, "real numbers"),
        ([[1.0, 2.0], [[1.0, 2.0]]], GOOD_B, "2-D"),
    ],
)
def test_bad_networks_are_rejected(weights, biases, message):
    for function in (rs.breakpoints, lambda w, b: rs.exact_coefficients(w, b, [1])):
        with pytest.raises(ValueError, match=message):
            function(weights, biases)


@pytest.mark.parametrize(("k", "message"), [([1.5], "integers"), ([np.nan], "NaN"), ([True], "integer array"),
                                            ([2.0**60], "2\\^53"), ("abc", "integer array")])
def test_bad_frequencies_are_rejected(k, message):
    for function in (rs.exact_coefficients, rs.decay_bound, rs.weight_bound, rs.boundary_free_coefficients):
        with pytest.raises(ValueError, match=message):
            function(GOOD_W, GOOD_B, k)


def test_k_zero_is_an_error_for_the_bounds_but_the_mean_for_the_coefficients():
    for function in (rs.decay_bound, rs.weight_bound, rs.boundary_free_coefficients):
        with pytest.raises(ValueError, match="k = 0"):
            function(GOOD_W, GOOD_B, [0, 1])
    xs = np.linspace(0, 1, 200001)
    mean = np.trapezoid(forward(GOOD_W, GOOD_B, xs)[0], xs)
    assert abs(complex(rs.exact_coefficients(GOOD_W, GOOD_B, 0)) - mean) < 1e-9


def test_float_integers_are_accepted():
    as_float = rs.exact_coefficients(GOOD_W, GOOD_B, [3.0])
    np.testing.assert_array_equal(as_float, rs.exact_coefficients(GOOD_W, GOOD_B, [3]))


# ---------------------------------------------------------------------------------------------- derivation


def test_every_derivation_step_holds():
    steps = rs.derive()
    assert len(steps) >= 8
    assert failing_steps(steps) == []
    assert "kink form" in format_steps(steps)


def test_a_wrong_step_is_caught():
    """Flip the sign of the kink term of the telescoping step: sympy must refuse it."""
    telescoping = rs.derive()[2]
    wrong = Step(telescoping.description, telescoping.lhs, -telescoping.rhs, telescoping.assumptions)
    assert not wrong.holds()


def test_the_kink_form_step_agrees_with_numbers():
    """The symbolic kink form of step 5, evaluated at numbers, equals the oracle for a 3-piece function."""
    step = rs.derive()[4]
    names = {s.name: s for s in step.rhs.free_symbols}
    values = {"alpha_0": 1.3, "alpha_1": -0.4, "alpha_2": 2.2, "beta_0": 0.1, "x_1": 0.27, "x_2": 0.71, "k": 3}
    rhs = complex(step.rhs.subs({names[n]: v for n, v in values.items() if n in names}).evalf())
    # the same function as a ReLU network: 0.1 + 1.3x - 1.7 ReLU(x - 0.27) + 2.6 ReLU(x - 0.71)
    weights = [[[1.0], [1.0], [1.0]], [[1.3, -1.7, 2.6]]]
    biases = [[0.0, -0.27, -0.71], [0.1]]
    assert abs(rhs - complex(rs.exact_coefficients(weights, biases, 3))) < 1e-13
    assert sp.Symbol("k", integer=True, nonzero=True) in step.rhs.free_symbols
