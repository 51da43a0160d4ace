"""Hypothesis strategies for small 1D networks, for property tests of spectral claims (yours and ours).

Each strategy yields `(weights, biases)`: two lists of float64 numpy arrays in the torch `nn.Linear`
layout, weights[l] of shape (out, in) and biases[l] of shape (out,), with a 1-D input (weights[0] has
one column) and one output (weights[-1] has one row). `relu_networks` are read with a ReLU after every
hidden layer, `tanh_networks` with a tanh; the last layer is affine. The entries are hypothesis
floats in [-scale, scale] (no NaN, inf or subnormals), so hypothesis shrinks a failing example towards
a small, readable network: zero weights, repeated values, a single neuron.

Example, a property test of your own (any pytest file)::

    import numpy as np
    from hypothesis import given, strategies as st

    from fpcheck.theory.relu_spectrum import decay_bound, exact_coefficients
    from fpcheck.theory.strategies import relu_networks

    @given(relu_networks(depth=st.integers(1, 3), width=st.integers(1, 6), weight_scale=3.0))
    def test_my_network_family_obeys_the_k2_bound(network):
        weights, biases = network
        k = np.arange(1, 200)
        amplitude = np.abs(exact_coefficients(weights, biases, k))
        assert np.all(amplitude <= decay_bound(weights, biases, k) * (1 + 1e-9) + 1e-300)

A tanh network for a frequency-domain formula::

    @given(tanh_networks(depth=1, width=st.integers(1, 4), weight_scale=st.sampled_from([0.5, 5.0])))
    def test_something(network):
        (w, a), (b, c) = network   # hidden weights (width, 1), output (1, width); biases
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

Network = tuple[list[np.ndarray], list[np.ndarray]]
DEFAULT_DEPTHS = st.integers(1, 3)
DEFAULT_WIDTHS = st.integers(1, 8)
IntArgument = int | st.SearchStrategy[int]
FloatArgument = float | st.SearchStrategy[float]


def _integers(value: IntArgument, name: str, minimum: int) -> st.SearchStrategy[int]:
    if isinstance(value, st.SearchStrategy):
        return value
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise ValueError(f"{name} must be an integer ≥ {minimum} or a hypothesis strategy, not {value!r}")
    return st.just(int(value))


def _scales(value: FloatArgument | None, name: str) -> st.SearchStrategy[float] | None:
    if value is None or isinstance(value, st.SearchStrategy):
        return value
    if isinstance(value, bool) or not isinstance(value, int | float | np.number):
        raise ValueError(f"{name} must be a positive finite number or a hypothesis strategy, not {value!r}")
    if not (np.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a positive finite number, not {value!r}")
    return st.just(float(value))


def _entries(scale: float) -> st.SearchStrategy[float]:
    if not (np.isfinite(scale) and scale > 0):
        raise ValueError(f"a weight scale must be a positive finite number, not {scale!r}")
    return st.floats(-scale, scale, allow_nan=False, allow_infinity=False, allow_subnormal=False, width=64)


def _networks(
    depth: IntArgument, width: IntArgument, weight_scale: FloatArgument, bias_scale: FloatArgument | None
) -> st.SearchStrategy[Network]:
    depths = _integers(depth, "depth", 1)
    widths = _integers(width, "width", 0)
    weight_scales = _scales(weight_scale, "weight_scale")
    bias_scales = _scales(bias_scale, "bias_scale")

    @st.composite
    def draw_network(draw: st.DrawFn) -> Network:
        hidden = [draw(widths) for _ in range(draw(depths))]
        w_scale = draw(weight_scales)
        b_scale = w_scale if bias_scales is None else draw(bias_scales)
        dims = [1, *hidden, 1]
        weights = [
            draw(hnp.arrays(np.float64, (fan_out, fan_in), elements=_entries(w_scale)))
            for fan_in, fan_out in zip(dims[:-1], dims[1:], strict=True)
        ]
        biases = [draw(hnp.arrays(np.float64, (fan_out,), elements=_entries(b_scale))) for fan_out in dims[1:]]
        return weights, biases

    return draw_network()


def relu_networks(
    depth: IntArgument = DEFAULT_DEPTHS,
    width: IntArgument = DEFAULT_WIDTHS,
    weight_scale: FloatArgument = 2.0,
    bias_scale: FloatArgument | None = None,
) -> st.SearchStrategy[Network]:
    """1D ReLU networks: `depth` hidden layers (an int or a strategy), each of `width` neurons (drawn per
    layer when a strategy; 0 allows an empty layer), entries uniform-ish in [-weight_scale, weight_scale]
    and biases in [-bias_scale, bias_scale] (default: the weight scale). Yields (weights, biases)."""
    return _networks(depth, width, weight_scale, bias_scale)


def tanh_networks(
    depth: IntArgument = DEFAULT_DEPTHS,
    width: IntArgument = DEFAULT_WIDTHS,
    weight_scale: FloatArgument = 2.0,
    bias_scale: FloatArgument | None = None,
) -> st.SearchStrategy[Network]:
    """1D tanh networks, the same shapes and arguments as `relu_networks` (read with tanh hidden layers);
    `weight_scale` sets the largest |w_j|, the quantity that fixes the exponential decay rate
    π/(2|w_j|) of a tanh neuron's spectrum (docs/formulas.md §1)."""
    return _networks(depth, width, weight_scale, bias_scale)
