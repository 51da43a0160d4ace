"""fpcheck.empirics.relu_fit and fpcheck.empirics.ramp_spectrum: initialisation, export, training, the
spectrum-network experiments, sampled spectra.

Oracles: a numpy forward pass; the closed-form coefficients of |x - t| (by hand, per piece); the order
of the sampling error (first order plain, second order with the ramp removed); known power laws for the
FFT decay slope.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from fpcheck.empirics import ramp_spectrum, relu_fit
from fpcheck.empirics import spectrum_networks as nets
from fpcheck.empirics.mlp import MLPSpec, ensemble_forward, to_modules
from fpcheck.empirics.targets import SumOfSines
from fpcheck.errors import SetupError
from fpcheck.theory import relu_spectrum


def forward(weights, biases, x, step=0.0):
    h = np.asarray(x, float)[:, None]
    for index, (w, b) in enumerate(zip(weights, biases, strict=True)):
        h = h @ w.T + b
        if index < len(weights) - 1:
            h = np.maximum(h, 0.0) + step * (h > 0)
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


def test_an_activation_step_is_trained_and_evaluated_as_declared():
    """max(z, 0) + s H(z): the float64 torch evaluation matches numpy, the float32 ensemble the same network,
    and training still lowers the loss (the step has no gradient, the ReLU part does)."""
    spec = relu_fit.relu_spec(2, 8, step=0.5)
    assert spec.activation_step == 0.5 and relu_fit.relu_spec(2, 8).activation_step == 0.0
    params = relu_fit.init_networks(spec, [(0, "step")])
    layers = relu_fit.layers_of(params, 0)
    x = np.linspace(0, 1, 257)
    np.testing.assert_allclose(relu_fit.evaluate(*layers, x, step=0.5), forward(*layers, x, step=0.5), rtol=1e-12)
    with torch.no_grad():  # the chunked evaluation is the torch.nn network's forward pass
        module = relu_fit.torch_network(*layers, step=0.5)(torch.as_tensor(x[:, None]))[:, 0].numpy()
    np.testing.assert_allclose(relu_fit.evaluate(*layers, x, step=0.5), module, rtol=1e-14, atol=1e-15)
    assert np.max(np.abs(relu_fit.evaluate(*layers, x, step=0.5) - relu_fit.evaluate(*layers, x))) > 0.05
    with torch.no_grad():
        batched = ensemble_forward(spec, params, torch.tensor(x[:, None], dtype=torch.float32))[0, :, 0].numpy()
    np.testing.assert_allclose(batched, forward(*layers, x, step=0.5), rtol=1e-5, atol=1e-5)
    (module,) = to_modules(spec, params)
    with torch.no_grad():
        np.testing.assert_allclose(module(torch.tensor(x[:, None], dtype=torch.float32))[:, 0].numpy(), batched,
                                   rtol=1e-5, atol=1e-6)
    target = SumOfSines((1,), (1.0,), (0.0,), 1.0)
    fit = relu_fit.fit_sines(spec, params, target, 64, 100, 1e-2)
    assert fit.final_loss[0] < 0.5 * mse(layers, target, 64, step=0.5)
    with pytest.raises(ValueError, match="activation_step"):
        MLPSpec((1, 4, 1), "tanh", activation_step=1.0)


def test_target_must_live_on_the_unit_interval():
    spec = relu_fit.relu_spec(1, 2)
    with pytest.raises(ValueError, match="period 1"):
        relu_fit.fit_sines(spec, relu_fit.init_networks(spec, [(0, "s")]), SumOfSines((1,), (1.0,), (0.0,), 2.0),
                           8, 1, 1e-3)


# ---------------------------------------------------------------------------------------------- experiments

TINY = {"seeds": 2, "depth": 2, "width": 8, "train_steps": 60, "lr": 1e-2, "train_points": 64,
        "target_frequencies": (1, 3), "target_amplitudes": (1.0, 0.5), "k_dense": 16, "k_max": 100,
        "bound_k_max": 16}


def mse(layers, target, points, step=0.0):
    x = np.linspace(0, 1, points)
    return np.mean((forward(*layers, x, step) - target(x)) ** 2)


def test_spectrum_networks_are_sampled_by_their_own_layers_and_trained():
    setup = nets.SpectrumNetworks(**TINY, fft_points=256)
    result = nets.SPECTRUM_NETWORKS.run(setup, (0, 1))
    target = SumOfSines((1, 3), (1.0, 0.5), (0.0, 0.0), 1.0)
    assert result.values.shape == (2, 2, 256) and result.value_at_1.shape == (2, 2) and result.diverged == ()
    x = np.arange(256) / 256
    for member in range(2):
        for index, kind in enumerate(nets.KINDS):
            layers = result.layers(member, kind)
            assert [w.shape for w in layers[0]] == [(8, 1), (8, 8), (1, 8)]
            np.testing.assert_allclose(result.values[member, index], forward(*layers, x), rtol=1e-12, atol=1e-14)
            np.testing.assert_allclose(result.value_at_1[member, index], forward(*layers, [1.0])[0], rtol=1e-12)
        before, after = (mse(result.layers(member, kind), target, 64) for kind in nets.KINDS)
        assert after < 0.5 * before
        assert result.final_loss[member] == pytest.approx(after, rel=1e-4)  # float32 training, float64 here
    assert setup.target_power == pytest.approx(np.mean(target(np.linspace(0, 1, 64)) ** 2))
    # each network comes from its own stream: seed 1 alone starts from the same network
    alone = nets.SPECTRUM_NETWORKS.run(setup, (1,))
    for a, b in zip(alone.layers(0, "random")[0], result.layers(1, "random")[0], strict=True):
        np.testing.assert_array_equal(a, b)


def test_spectrum_networks_with_an_activation_step_are_sampled_with_it():
    setup = nets.SpectrumNetworks(**{**TINY, "seeds": 1}, fft_points=256, activation_step=0.3)
    result = nets.SPECTRUM_NETWORKS.run(setup, (0,))
    x = np.arange(256) / 256
    for index, kind in enumerate(nets.KINDS):
        np.testing.assert_allclose(result.values[0, index], forward(*result.layers(0, kind), x, step=0.3),
                                   rtol=1e-12, atol=1e-14)


def test_decay_spectrum_samples_every_aliasing_size():
    setup = nets.DecaySpectrum(**TINY, fft_points=1024, fit_k_min=4, fit_k_max=64, aliasing_points=(16, 64),
                               aliasing_k=(1,))
    result = nets.DECAY_SPECTRUM.run(setup, (0,))
    for size, values in zip(setup.aliasing_points, result.aliasing_values, strict=True):
        assert values.shape == (1, 2, size)
        np.testing.assert_allclose(values[0, 1], forward(*result.layers(0, "trained"), np.arange(size) / size),
                                   rtol=1e-12, atol=1e-14)


def test_region_networks_have_the_widths_of_their_depth():
    setup = nets.RegionCount(seeds=2, neurons=6, depths=(1, 2, 3), networks_per_depth=2, train_steps=10, lr=1e-2,
                             train_points=32, target_frequencies=(1,), target_amplitudes=(1.0,))
    result = nets.REGION_NETWORKS.run(setup, (0, 1))
    assert list(result.depths) == [1, 2, 3] and len(result.init) == len(result.trained) == 3
    for depth, init, trained in zip(setup.depths, result.init, result.trained, strict=True):
        assert init.per_seed == 2 and len(init.weights) == depth + 1
        assert init.weights[0].shape == (2, 2, 6 // depth, 1) and trained.biases[-1].shape == (2, 2, 1)
        assert not np.array_equal(init.weights[0][0, 0], init.weights[0][0, 1])  # two different networks
        assert not np.array_equal(init.weights[0][0, 0], trained.weights[0][0, 0])


def test_sawtooth_regions_start_from_the_construction():
    setup = nets.RegionCount(seeds=1, neurons=12, depths=(1, 2, 3), networks_per_depth=2, train_steps=5, lr=1e-3,
                             train_points=32, target_frequencies=(1,), target_amplitudes=(1.0,),
                             construction="sawtooth")
    result = nets.REGION_NETWORKS.run(setup, (0,))
    for depth, init in zip(setup.depths, result.init, strict=True):
        weights, biases = relu_spectrum.sawtooth_network(depth, 12 // depth)
        for r in range(2):
            layers = init.layers(0, r)
            for got, expected in zip([*layers[0], *layers[1]], [*weights, *biases], strict=True):
                np.testing.assert_array_equal(got, expected.astype(np.float32).astype(np.float64))
            assert relu_spectrum.count_pieces(*layers) >= (12 // depth) ** depth


def test_setups_refuse_inconsistent_fields():
    with pytest.raises(SetupError, match="does not divide"):
        nets.RegionCount(neurons=12, depths=(1, 5))
    with pytest.raises(SetupError, match="one amplitude per frequency"):
        nets.SpectrumNetworks(target_frequencies=(1, 2), target_amplitudes=(1.0,))
    with pytest.raises(SetupError, match="fft_points"):
        nets.DecaySpectrum(fft_points=1 << 12, fit_k_max=1024)
    with pytest.raises(SetupError, match="k_max"):
        nets.SpectrumNetworks(k_dense=64, k_max=10)
    with pytest.raises(SetupError, match="bound_k_max"):
        nets.SpectrumNetworks(fft_points=1 << 16)  # the default bound_k_max = 2^15 needs 2^19 points
    with pytest.raises(SetupError, match="construction"):
        nets.RegionCount(construction="zigzag")
    windows = nets.SpectrumNetworks().check_windows
    assert windows[0] == 1 and windows[-1] == 1 << 15 and np.all(np.diff(windows) > 0)
    assert list(windows[:10]) == list(range(1, 11))  # one k per window at small k
    grid = nets.SpectrumNetworks(k_dense=8, k_max=1000).frequency_grid
    assert list(grid[:8]) == list(range(1, 9)) and grid[-1] == 1000 and np.all(np.diff(grid) > 0)


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


@pytest.mark.parametrize("power", [1.0, 2.0])
def test_window_envelope_checks_a_power_law_bound_at_every_k(power):
    """envelope(e_i) ≤ C e_i^-p on every window exactly when |a_k| ≤ C k^-p at every k (brute force)."""
    rng = np.random.default_rng(3)
    k = np.arange(0, 5001)
    amplitudes = rng.uniform(0.2, 1.0, k.size) / np.maximum(k, 1) ** power
    edges = np.unique(np.round(np.geomspace(1, 5000, 80))).astype(int)
    envelope = ramp_spectrum.window_envelope(amplitudes, edges, power)
    starts = np.concatenate([[0], edges[:-1]]) + 1
    brute = [np.max(amplitudes[a : b + 1] * (np.arange(a, b + 1) / b) ** power)
             for a, b in zip(starts, edges, strict=True)]
    np.testing.assert_allclose(envelope, brute, rtol=1e-13)
    scaled = amplitudes[1:] * k[1:] ** power
    for constant in (np.max(scaled), 0.999 * np.max(scaled)):
        holds_everywhere = bool(np.all(scaled <= constant))
        assert holds_everywhere == bool(np.all(envelope <= constant / edges.astype(float) ** power))
    with pytest.raises(ValueError, match="beyond"):
        ramp_spectrum.window_envelope(amplitudes[:100], edges, power)
    with pytest.raises(ValueError, match="increasing"):
        ramp_spectrum.window_envelope(amplitudes, edges[::-1], power)


def test_add_ramp_and_fitted_slope_repeat_the_one_step_functions():
    n = 1 << 12
    x = np.arange(n) / n
    values = np.abs(x - 0.37) + 0.2 * x
    at_1 = 0.63 + 0.2
    free = ramp_spectrum.ramp_free_coefficients(values, at_1)
    np.testing.assert_array_equal(ramp_spectrum.add_ramp(free, values[0], at_1),
                                  ramp_spectrum.ramp_corrected_coefficients(values, at_1))
    assert ramp_spectrum.fitted_slope(free, 16, 256) == ramp_spectrum.decay_slope(values, at_1, 16, 256)


@pytest.mark.parametrize("power", [1.0, 2.0])
def test_decay_slope_of_known_powers(power):
    """|x - 0.3| has a kink (k^-2 after the ramp is removed); a jump at 0.3 survives it (k^-1)."""
    n = 1 << 15
    x = np.arange(n) / n
    values = np.abs(x - 0.3) if power == 2.0 else x + 0.5 * (x > 0.3)
    at_1 = 0.7 if power == 2.0 else 1.5
    assert abs(ramp_spectrum.decay_slope(values, at_1, 64, 2048) + power) < 0.1
    with pytest.raises(ValueError, match="fft_points"):
        ramp_spectrum.decay_slope(values, at_1, 64, n // 8)
