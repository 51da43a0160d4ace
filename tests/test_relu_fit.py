"""empirics.relu_fit and empirics.ramp_spectrum: initialisation, export, training, sampled spectra.

Oracles: a numpy forward pass; the closed-form coefficients of |x - t| (by hand, per piece); the order
of the sampling error (first order plain, second order with the ramp removed).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from empirics import ramp_spectrum, relu_fit
from empirics.targets import SumOfSines


def forward(weights, biases, x):
    h = np.asarray(x, float)[:, None]
    for index, (w, b) in enumerate(zip(weights, biases, strict=True)):
        h = h @ w.T + b
        if index < len(weights) - 1:
            h = np.maximum(h, 0.0)
    return h[:, 0]


def test_initialisation_is_torch_default_and_seeded():
    spec = relu_fit.relu_spec(2, 16)
    first = relu_fit.init_networks(spec, [(3, "a"), (3, "b")])
    again = relu_fit.init_networks(spec, [(3, "b")])
    for layer in range(len(spec.layers)):  # weights[layer][network]: "b" does not depend on "a" being drawn
        torch.testing.assert_close(first.weights[layer][1], again.weights[layer][0], rtol=0, atol=0)
        torch.testing.assert_close(first.biases[layer][1], again.biases[layer][0], rtol=0, atol=0)
    assert not torch.equal(first.weights[1][0], first.weights[1][1])
    for (fan_in, _), w, b in zip(spec.layers, first.weights, first.biases, strict=True):
        bound = 1.0 / fan_in**0.5
        assert w.abs().max() <= bound and b.abs().max() <= bound
        assert b.abs().min() > 0  # non-zero biases
        assert w.abs().max() > 0.8 * bound  # uniform over the whole range, not a smaller one


def test_export_layout_and_evaluation_match_a_numpy_forward_pass():
    spec = relu_fit.relu_spec(3, 5)
    params = relu_fit.init_networks(spec, [(0, "x"), (1, "x")])
    weights, biases = relu_fit.layers_of(params, 1)
    assert [w.shape for w in weights] == [(5, 1), (5, 5), (5, 5), (1, 5)]
    assert all(b.shape == (w.shape[0],) and b.dtype == np.float64 for w, b in zip(weights, biases, strict=True))
    x = np.linspace(0, 1, 101)
    np.testing.assert_allclose(relu_fit.evaluate(weights, biases, x), forward(weights, biases, x), rtol=1e-12)
    with torch.no_grad():
        member = params.weights[0][1].T  # (5, 1) in the nn.Linear layout
    np.testing.assert_array_equal(weights[0], member.double().numpy())


def test_training_lowers_the_loss():
    spec = relu_fit.relu_spec(2, 16)
    target = SumOfSines((1, 2), (1.0, 0.5), (0.0, 0.0), 1.0)
    fit = relu_fit.fit_sines(spec, relu_fit.init_networks(spec, [(0, "fit"), (1, "fit")]), target, 64, 150, 1e-2)
    x = np.linspace(0, 1, 64)
    for member in range(2):
        before = np.mean((forward(*fit.initial[member], x) - target(x)) ** 2)
        after = np.mean((forward(*fit.trained[member], x) - target(x)) ** 2)
        assert after < 0.5 * before
        assert abs(after - fit.final_loss[member]) < 1e-4 * max(1.0, after)
    assert fit.diverged == ()


def test_target_must_live_on_the_unit_interval():
    spec = relu_fit.relu_spec(1, 2)
    with pytest.raises(ValueError, match="period 1"):
        relu_fit.fit_sines(spec, relu_fit.init_networks(spec, [(0, "s")]), SumOfSines((1,), (1.0,), (0.0,), 2.0),
                           8, 1, 1e-3)


# ---------------------------------------------------------------------------------------------- sampled spectra


def abs_coefficients(t: float, k: int) -> complex:
    """∫_0^1 |x - t| e^{-2πikx} dx by hand: the antiderivative of (αx + β) e^{-2πikx} on each side of t."""
    w = 2 * np.pi * k

    def antiderivative(x, alpha, beta):
        return np.exp(-1j * w * x) * (1j * (alpha * x + beta) / w + alpha / w**2)

    return (antiderivative(t, -1, t) - antiderivative(0, -1, t)) + (antiderivative(1, 1, -t) - antiderivative(t, 1, -t))


def test_on_bin_sine_is_exact():
    n = 64
    x = np.arange(n) / n
    c = ramp_spectrum.sampled_coefficients(np.sin(2 * np.pi * 3 * x))
    assert abs(c[3] - 1 / 2j) < 1e-14
    assert np.max(np.abs(np.delete(c, 3))) < 1e-14


def test_ramp_free_coefficients_of_a_line_vanish():
    n = 128
    x = np.arange(n) / n
    assert np.max(np.abs(ramp_spectrum.ramp_free_coefficients(0.3 + 2 * x, 2.3))) < 1e-14


def test_sampling_error_orders():
    """Plain FFT: first-order error in 1/N; ramp removed and added back exactly: second order."""
    t, k = 0.3137, 3
    exact = abs_coefficients(t, k)

    def errors(n):
        x = np.arange(n) / n
        values = np.abs(x - t)
        plain = abs(ramp_spectrum.sampled_coefficients(values)[k] - exact)
        corrected = abs(ramp_spectrum.ramp_corrected_coefficients(values, abs(1 - t))[k] - exact)
        return plain, corrected

    (plain_1, corrected_1), (plain_2, corrected_2) = errors(1024), errors(4096)
    assert 3.0 < plain_1 / plain_2 < 5.0  # ~ 4 = (4096 / 1024)^1
    assert corrected_1 / corrected_2 > 10.0  # ~ 16 = (4096 / 1024)^2 (the kink adds an O(h²) wobble)
    assert corrected_2 < 1e-3 * plain_2


def test_bad_samples_are_rejected():
    with pytest.raises(ValueError, match="NaN"):
        ramp_spectrum.ramp_free_coefficients(np.array([0.0, np.nan, 1.0]), 1.0)
    with pytest.raises(ValueError, match="f\\(1\\)"):
        ramp_spectrum.ramp_free_coefficients(np.array([0.0, 0.5]), np.inf)
    with pytest.raises(ValueError, match="1-D"):
        ramp_spectrum.sampled_coefficients(np.zeros((2, 8)))
