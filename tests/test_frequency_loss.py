"""fpcheck.empirics.frequency_loss: the quadrature transform of a torch network against scipy quad, the
autograd gradient against reverse-mode autograd and finite differences, the envelope against its definition,
the gradient-spectrum run function against the analytic transform of its Gaussian target, the decay fit
(`fpcheck.empirics.gradient_spectrum`) on exact data, and bad input. Convention: ĝ(k) = ∫ g(x) e^{-ikx} dx."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate

from fpcheck.empirics import frequency_loss as fl
from fpcheck.empirics.gradient_spectrum import GeometricFrequencyGradients, fit_exponential_decay

A = np.array([0.8, -1.1, 0.5])
W = np.array([0.7, -1.6, 2.2])
B = np.array([0.4, -0.9, 1.3])
K = np.array([-4.0, -1.3, 0.2, 0.9, 2.5])


def _quad_transform(a, w, b, k, activation):
    """Σ_j a_j FT[σ(w_j x + b_j)](k) = FT[T'](k) / (ik), FT[T'] by scipy's QAWO (quad with a cos / sin
    weight) of σ' written out by hand, on centre ± 90/|w_j| (σ'(u) < e^{-|u|}: the tails are < e^{-90})."""
    total = 0j
    for a_j, w_j, b_j in zip(a, w, b, strict=True):
        if activation == "tanh":
            derivative = lambda x, w_j=w_j, b_j=b_j: w_j / np.cosh(w_j * x + b_j) ** 2  # noqa: E731
        elif activation == "logistic":
            derivative = lambda x, w_j=w_j, b_j=b_j: w_j / (4 * np.cosh((w_j * x + b_j) / 2) ** 2)  # noqa: E731
        elif activation == "gudermannian":  # gd' = sech
            derivative = lambda x, w_j=w_j, b_j=b_j: w_j / np.cosh(w_j * x + b_j)  # noqa: E731
        else:  # erf(√π u/2)' = e^{-πu²/4}
            derivative = lambda x, w_j=w_j, b_j=b_j: w_j * np.exp(-np.pi * (w_j * x + b_j) ** 2 / 4)  # noqa: E731
        centre, reach = -b_j / w_j, 90 / abs(w_j)
        bounds = (centre - reach, centre + reach)
        options = {"wvar": k, "limit": 500, "epsabs": 1e-13, "epsrel": 1e-12}
        real = integrate.quad(derivative, *bounds, weight="cos", **options)[0]
        imag = -integrate.quad(derivative, *bounds, weight="sin", **options)[0]
        total += a_j * (real + 1j * imag)
    return total / (1j * k)


@pytest.mark.parametrize("activation", ["tanh", "logistic", "gudermannian", "erf"])
def test_network_transform_matches_quadrature(activation: str) -> None:
    network = fl.ShallowNetwork(A, W, B, activation)
    measured = fl.network_transform(network, K).detach().numpy()
    oracle = np.array([_quad_transform(A, W, B, k, activation) for k in K])
    assert np.allclose(measured, oracle, rtol=1e-11, atol=0)


def test_control_activations_are_the_documented_functions() -> None:
    """gd(u) = 2 arctan(tanh(u/2)) equals arcsin(tanh u) (another form of the Gudermannian); erf(√π u/2) has
    slope 1 at 0, like tanh; the transform of a gd neuron is a e^{ikb/w} π sech(πk/2w) / (ik) for w > 0."""
    u = torch.linspace(-6, 6, 101, dtype=torch.float64)
    gd, erf = fl.CONTROL_ACTIVATIONS["gudermannian"], fl.CONTROL_ACTIVATIONS["erf"]
    assert torch.allclose(gd(u), torch.asin(torch.tanh(u)), rtol=0, atol=1e-14)
    slope = (erf(torch.tensor([1e-6], dtype=torch.float64)) - erf(torch.tensor([-1e-6], dtype=torch.float64))) / 2e-6
    assert abs(float(slope) - 1.0) < 1e-9
    k, w, b = np.array([-2.0, 0.6, 3.1]), 0.8, 0.3
    measured = fl.network_transform(fl.ShallowNetwork([1.5], [w], [b], "gudermannian"), k).detach().numpy()
    exact = 1.5 * np.exp(1j * k * b / w) * np.pi / np.cosh(np.pi * k / (2 * w)) / (1j * k)
    assert np.allclose(measured, exact, rtol=1e-11, atol=0)


def test_function_transform_of_a_gaussian() -> None:
    k = np.array([-3.0, -0.5, 0.7, 2.0])
    grid = fl.quadrature_grid(W, B, 3.0)
    measured = fl.function_transform(lambda x: torch.exp(-(x**2) / 2), k, grid).numpy()
    assert np.allclose(measured, np.sqrt(2 * np.pi) * np.exp(-(k**2) / 2), rtol=1e-12, atol=1e-15)


def test_fewer_digits_give_a_worse_transform() -> None:
    network = fl.ShallowNetwork(A, W, B)
    oracle = np.array([_quad_transform(A, W, B, k, "tanh") for k in K])
    errors = []
    for digits in (3.0, 10.0, 40.0):
        grid = fl.quadrature_grid(W, B, float(np.abs(K).max()), "tanh", digits)
        errors.append(np.max(np.abs(fl.network_transform(network, K, grid).detach().numpy() - oracle)))
    assert errors[0] > 1e-4 and errors[0] > errors[1] > errors[2] and errors[2] < 1e-12


@pytest.mark.parametrize("activation", ["tanh", "logistic"])
def test_loss_gradient_matches_reverse_mode_and_finite_differences(activation: str) -> None:
    network = fl.ShallowNetwork(A, W, B, activation)
    f_hat = np.sqrt(2 * np.pi) * np.exp(-(K**2) / 2) * (1 + 0.3j)
    grid = fl.quadrature_grid(W, B, float(np.abs(K).max()), activation)
    measured = fl.loss_gradient(network, K, f_hat, grid)
    for i in range(K.size):  # reverse mode, one frequency at a time
        network.zero_grad()
        fl.frequency_loss(network, K, f_hat, grid)[i].backward()
        for name in fl.PARAMETERS:
            reverse = getattr(network, name).grad.numpy()
            assert np.allclose(measured.gradient[name][i], reverse, rtol=1e-12, atol=1e-15)
    values = {name: getattr(network, name).detach().numpy().copy() for name in fl.PARAMETERS}

    def loss(changed: dict) -> np.ndarray:
        probe = fl.ShallowNetwork(changed["a"], changed["w"], changed["b"], activation)
        return fl.frequency_loss(probe, K, f_hat, grid).detach().numpy()

    for name in fl.PARAMETERS:
        for j in range(A.size):
            step = 1e-5
            up = {key: value.copy() for key, value in values.items()}
            down = {key: value.copy() for key, value in values.items()}
            up[name][j] += step
            down[name][j] -= step
            difference = (loss(up) - loss(down)) / (2 * step)
            assert np.allclose(measured.gradient[name][:, j], difference, rtol=1e-6, atol=1e-9)


def test_envelope_is_the_gradient_maximised_over_the_phase_of_D() -> None:
    """∂L/∂θ with D and with iD (target shifted by D - iD) are the two quadratures of |D| |∂T̂/∂θ|."""
    network = fl.ShallowNetwork(A, W, B)
    f_hat = np.sqrt(2 * np.pi) * np.exp(-(K**2) / 2)
    first = fl.loss_gradient(network, K, f_hat)
    D = first.residual
    rotated = fl.loss_gradient(network, K, f_hat + D - 1j * D)
    assert np.allclose(rotated.residual, 1j * D, rtol=1e-12)
    for name in fl.PARAMETERS:
        combined = np.hypot(first.gradient[name], rotated.gradient[name]) / np.abs(D)[:, None]
        assert np.allclose(first.envelope[name], combined, rtol=1e-10)
        assert np.all(first.floor[name] > 0) and np.all(first.floor[name] < 1e-10 * first.envelope[name].max())


def test_fit_recovers_rate_and_power_of_exact_data() -> None:
    k = np.concatenate([-np.linspace(1, 9, 40), np.linspace(1, 9, 40)])
    rate, power = fit_exponential_decay(k, 3.0 * np.abs(k) ** 0.7 * np.exp(-2.5 * np.abs(k)))
    assert rate == pytest.approx(2.5, rel=1e-10) and power == pytest.approx(0.7, rel=1e-9)
    with pytest.raises(ValueError, match="at least 4 points"):
        fit_exponential_decay(k[:3], np.ones(3))
    with pytest.raises(ValueError, match="positive and finite"):
        fit_exponential_decay(k, np.zeros_like(k))


@pytest.mark.parametrize("network", ["derived", "erf"])
def test_gradient_spectrum_measures_every_drawn_network_on_the_gaussian_target(network: str) -> None:
    """Per activation and seed: the ± geometric grid to z_max max|w|/c, and loss_gradient of the drawn network
    (of the row's activation, or of the control activation in every row) for f(x) = exp(-x²/(2s²)), compared
    with the analytic f̂ = s√(2π) e^{-s²k²/2} (not the quadrature's)."""
    setup = GeometricFrequencyGradients(seeds=1, neurons=2, w_min=0.5, w_max=1.0, frequencies=8, target_width=0.8,
                                        network=network)
    result = fl.gradient_spectrum(setup, (0, 4))
    if network != "derived":  # a control measures other networks of the same draws
        derived = fl.gradient_spectrum(setup.override({"network": "derived"}), (0, 4))
        for name in ("a", "w", "b", "k"):
            np.testing.assert_array_equal(getattr(result, name), getattr(derived, name))
        assert not np.allclose(result.envelope, derived.envelope, rtol=0.1)
    assert result.seeds == (0, 4) and result.activations == ("tanh", "logistic")
    assert result.gradient.shape == result.envelope.shape == result.floor.shape == (2, 2, 3, 16, 2)
    assert not np.array_equal(result.w[:, 0], result.w[:, 1])  # the seeds draw different networks
    for index, activation in enumerate(result.activations):
        c = np.pi / 2 if activation == "tanh" else np.pi
        for member in range(2):
            a, w, b, k = (getattr(result, name)[index, member] for name in ("a", "w", "b", "k"))
            assert np.all((np.abs(w) >= 0.5) & (np.abs(w) <= 1.0)) and np.all(np.abs(b) <= setup.b_max)
            np.testing.assert_allclose(k[8:], np.geomspace(setup.k_min, setup.z_max * np.abs(w).max() / c, 8))
            np.testing.assert_array_equal(k[:8], -k[8:][::-1])
            f_hat = 0.8 * np.sqrt(2 * np.pi) * np.exp(-((0.8 * k) ** 2) / 2)
            measured = activation if network == "derived" else network
            grid = fl.quadrature_grid(w, b, float(np.abs(k).max()), measured)
            expected = fl.loss_gradient(fl.ShallowNetwork(a, w, b, measured), k, f_hat, grid)
            for t, name in enumerate(fl.PARAMETERS):
                scale = np.abs(expected.gradient[name]).max()
                np.testing.assert_allclose(result.gradient[index, member, t], expected.gradient[name], rtol=1e-9,
                                           atol=1e-12 * scale)
                np.testing.assert_array_equal(result.envelope[index, member, t], expected.envelope[name])
                np.testing.assert_array_equal(result.floor[index, member, t], expected.floor[name])


@settings(max_examples=15, deadline=None)
@given(
    w=st.floats(min_value=0.2, max_value=3.0),
    w_sign=st.sampled_from([-1.0, 1.0]),
    b=st.floats(min_value=-3.0, max_value=3.0),
    k=st.floats(min_value=0.05, max_value=8.0),
    activation=st.sampled_from(["tanh", "logistic"]),
)
def test_mirror_symmetry_of_the_measured_transform(w, w_sign, b, k, activation) -> None:
    """(w, b, k) -> (-w, -b, -k) maps T̂ to -conj(T̂) (σ(-u) = -σ(u) + const), measured independently."""
    transform = fl.network_transform(fl.ShallowNetwork([1.0], [w * w_sign], [b], activation), [k]).detach().numpy()
    mirrored = fl.network_transform(fl.ShallowNetwork([1.0], [-w * w_sign], [-b], activation), [-k]).detach().numpy()
    assert np.all(np.isfinite(transform))
    assert np.allclose(mirrored, -np.conj(transform), rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"a": [1.0, np.nan, 0.0]}, "a holds NaN or inf"),
        ({"w": [0.7, 0.0, 2.2]}, "w = 0"),
        ({"b": [0.4, 0.1]}, "same shape"),
        ({"a": [[1.0, 2.0, 3.0]]}, "one-dimensional"),
    ],
)
def test_bad_networks_raise(arguments: dict, message: str) -> None:
    values = {"a": A, "w": W, "b": B, **arguments}
    with pytest.raises(ValueError, match=message):
        fl.ShallowNetwork(values["a"], values["w"], values["b"])


def test_bad_frequencies_grids_and_targets_raise() -> None:
    network = fl.ShallowNetwork(A, W, B)
    with pytest.raises(ValueError, match="k = 0"):
        fl.network_transform(network, [1.0, 0.0])
    with pytest.raises(ValueError, match="k holds NaN"):
        fl.frequency_loss(network, [1.0, np.nan], [0.0, 0.0])
    with pytest.raises(ValueError, match="f_hat must have the shape of k"):
        fl.frequency_loss(network, [1.0, 2.0], [0.0])
    with pytest.raises(ValueError, match="f_hat holds NaN"):
        fl.loss_gradient(network, [1.0, 2.0], [0.0, np.inf])
    with pytest.raises(ValueError, match="unknown activation"):
        fl.ShallowNetwork(A, W, B, "relu")
    with pytest.raises(ValueError, match="k_max must be positive"):
        fl.quadrature_grid(W, B, 0.0)
    with pytest.raises(ValueError, match="w = 0"):
        fl.quadrature_grid([0.0], [0.0], 1.0)
    with pytest.raises(ValueError, match="exceeds"):
        fl.quadrature_grid([1e-4, 1e3], [0.0, 0.0], 10.0)
