"""theory.strategies: the networks have the promised layout and ranges, and work in a user's property test."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import find, given, settings
from hypothesis import strategies as st

from fpcheck.theory.relu_spectrum import count_pieces, decay_bound, exact_coefficients
from fpcheck.theory.strategies import relu_networks, tanh_networks


def check_layout(weights, biases, scale, bias_scale=None):
    bias_scale = scale if bias_scale is None else bias_scale
    assert len(weights) == len(biases) >= 2
    assert weights[0].shape[1] == 1 and weights[-1].shape[0] == 1
    for before, after in zip(weights[:-1], weights[1:], strict=True):
        assert after.shape[1] == before.shape[0]
    for w, b in zip(weights, biases, strict=True):
        assert w.dtype == np.float64 and b.dtype == np.float64
        assert b.shape == (w.shape[0],)
        assert np.all(np.isfinite(w)) and np.all(np.abs(w) <= scale)
        assert np.all(np.isfinite(b)) and np.all(np.abs(b) <= bias_scale)


@settings(max_examples=40, deadline=None)
@given(relu_networks(depth=2, width=3, weight_scale=0.5, bias_scale=4.0))
def test_fixed_depth_and_width(network):
    weights, biases = network
    check_layout(weights, biases, 0.5, 4.0)
    assert [w.shape for w in weights] == [(3, 1), (3, 3), (1, 3)]


@settings(max_examples=40, deadline=None)
@given(tanh_networks(depth=st.integers(1, 4), width=st.integers(0, 5), weight_scale=st.sampled_from([0.1, 7.0])))
def test_drawn_depth_width_and_scale(network):
    weights, biases = network
    check_layout(weights, biases, 7.0)
    assert 2 <= len(weights) <= 5
    assert all(w.shape[0] <= 5 for w in weights[:-1])


@settings(max_examples=30, deadline=None)
@given(relu_networks(depth=st.integers(1, 3), width=st.integers(1, 6), weight_scale=3.0))
def test_the_docstring_example_property(network):
    """The example of the module docstring, as a user would write it."""
    weights, biases = network
    k = np.arange(1, 200)
    amplitude = np.abs(exact_coefficients(weights, biases, k))
    assert np.all(amplitude <= decay_bound(weights, biases, k) * (1 + 1e-9) + 1e-300)


def test_hypothesis_explores_both_kinked_and_straight_networks():
    """The strategy is not degenerate: it yields networks with and without kinks in (0, 1)."""
    straight = find(relu_networks(), lambda n: count_pieces(*n) == 1)
    kinked = find(relu_networks(), lambda n: count_pieces(*n) >= 3)
    assert count_pieces(*straight) == 1
    assert count_pieces(*kinked) >= 3


def test_shrinking_gives_a_small_counterexample():
    """A false property ('no network has a kink') is refuted by a small network.

    Hypothesis's shrinker is not guaranteed to reach the one-neuron optimum, and on a loaded machine it can
    stop earlier (at two neurons, one of them dead, or with a second hidden layer of one neuron), so the test
    asks for at most two hidden layers of at most two neurons each (the search starts from up to 3 × 8),
    derandomized so that a rerun draws the same examples."""
    network = find(relu_networks(depth=st.integers(1, 3), width=st.integers(1, 8)),
                   lambda n: count_pieces(*n) > 1, settings=settings(derandomize=True, database=None))
    weights, _ = network
    assert count_pieces(*network) > 1
    assert len(weights) <= 3 and all(w.shape[0] <= 2 for w in weights[:-1])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"depth": 0}, "depth"),
        ({"depth": True}, "depth"),
        ({"width": -1}, "width"),
        ({"width": 2.5}, "width"),
        ({"weight_scale": -1.0}, "weight_scale"),
        ({"weight_scale": float("nan")}, "weight_scale"),
        ({"bias_scale": float("inf")}, "bias_scale"),
        ({"weight_scale": "big"}, "weight_scale"),
    ],
)
def test_bad_arguments_are_rejected(kwargs, message):
    for strategy in (relu_networks, tanh_networks):
        with pytest.raises(ValueError, match=message):
            strategy(**kwargs)
