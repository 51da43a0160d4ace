"""The circle NTK of Basri et al. 2019 against independent oracles: Monte Carlo over random features for the
kernel, a direct sum of the aliases for the discrete eigenvalues, a brute-force integral for the continuum,
the κ⁻² law at large κ, and gradient descent on the kernel itself for the learning time."""

from __future__ import annotations

import numpy as np
import pytest

from fpcheck.theory.circle_ntk import (
    LOSS_FACTOR,
    circle_ntk,
    circle_ntk_eigenvalues,
    derive,
    eigenvalue_asymptote,
    harmonic_learning_time,
    kink_slopes,
)
from fpcheck.theory.derivation import failing_steps

SETTINGS = [(True, "hidden"), (True, "both"), (False, "hidden"), (False, "both")]


@pytest.mark.parametrize(("bias", "layers"), SETTINGS)
def test_every_step_of_the_derivation_holds(bias, layers):
    assert failing_steps(derive(bias, layers)[0]) == []


@pytest.mark.parametrize(("bias", "layers"), SETTINGS)
def test_the_kernel_is_the_random_feature_average(bias, layers):
    """Monte Carlo with 4·10⁵ neurons, within 5 standard errors of the sample mean."""
    rng = np.random.default_rng(7)
    w, b = rng.normal(size=(400_000, 2)), rng.normal(size=400_000) if bias else np.zeros(400_000)
    for angle in (0.0, 0.4, 1.7, 3.0):
        x0, x1 = np.array([1.0, 0.0]), np.array([np.cos(angle), np.sin(angle)])
        p0, p1 = w @ x0 + b, w @ x1 + b
        lifted = x0 @ x1 + (1.0 if bias else 0.0)
        samples = ((p0 > 0) & (p1 > 0)) * lifted
        if layers == "both":
            samples = samples + np.maximum(p0, 0) * np.maximum(p1, 0)
        error = np.std(samples) / np.sqrt(samples.size)
        assert circle_ntk(angle, bias, layers) == pytest.approx(np.mean(samples), abs=5 * error + 1e-12)
    np.testing.assert_allclose(circle_ntk([-0.4, 0.4 + 2 * np.pi], bias, layers), circle_ntk(0.4, bias, layers))


def test_continuum_eigenvalues_against_a_dense_trapezoid_and_discrete_ones_against_their_aliases():
    dense = 2 * np.pi * np.arange(200_000) / 200_000
    values = circle_ntk(dense)
    for kappa in (0, 1, 3, 6):
        assert circle_ntk_eigenvalues(kappa) == pytest.approx(np.mean(values * np.cos(kappa * dense)), rel=1e-6)
    n, kappa = 16, np.arange(0, 8)
    aliases = sum(circle_ntk_eigenvalues(kappa + shift * n) for shift in range(-40, 41))
    # λ^(n)_κ = Σ_l λ_{κ+ln}; the tail beyond |l| = 40 is below Σ 2·asymptote ≈ 1e-5
    np.testing.assert_allclose(circle_ntk_eigenvalues(kappa, points=n), aliases, atol=2e-5)
    assert np.all(circle_ntk_eigenvalues(np.arange(0, 12)) > 0)  # a positive-definite kernel


@pytest.mark.parametrize(("bias", "layers"), SETTINGS)
def test_the_eigenvalues_decay_as_kappa_to_the_minus_two_with_the_derived_constant(bias, layers):
    kappa = np.array([40, 80, 160])
    ratio = circle_ntk_eigenvalues(kappa, bias=bias, layers=layers) / eigenvalue_asymptote(kappa, bias, layers)
    np.testing.assert_allclose(ratio, 1.0, atol=2e-2)
    assert abs(ratio[-1] - 1) < abs(ratio[0] - 1) + 1e-4  # the relative error shrinks (O(κ⁻²))
    odd = circle_ntk_eigenvalues(np.array([41, 81]), bias=bias, layers=layers)
    if bias:
        np.testing.assert_allclose(odd / eigenvalue_asymptote(np.array([41, 81]), bias, layers), 1.0, atol=2e-2)
    else:  # the kinks at 0 and π cancel for odd κ: those eigenvalues vanish faster than κ⁻²
        assert np.all(np.abs(odd) < 1e-3 * eigenvalue_asymptote(np.array([40, 80]), bias, layers))
    assert kink_slopes(bias, layers)[0] == pytest.approx(-1 / (np.sqrt(2) * np.pi) if bias else -1 / (2 * np.pi))


def test_the_learning_time_is_that_of_gradient_descent_on_the_kernel():
    """Iterate r ← r - η (c/n) K r on the grid from r = cos κθ and count the steps to |r̂_κ| ≤ δ."""
    n, lr, delta = 32, 0.5, 0.1
    grid = 2 * np.pi * np.arange(n) / n
    kernel = circle_ntk(grid[:, None] - grid[None, :])
    for kappa, s in ((1, 0.0), (3, 0.0), (3, 1.0)):
        weights = (1 + np.fft.fftfreq(n, 1 / n) ** 2) ** s
        residual, steps = np.cos(kappa * grid), 0
        while abs(np.mean(residual * np.cos(kappa * grid)) * 2) > delta:
            gradient = np.real(np.fft.ifft(weights * np.fft.fft(residual)))  # the Sobolev weighting
            residual = residual - lr * LOSS_FACTOR / n * kernel @ gradient
            steps += 1
        predicted = harmonic_learning_time(kappa, lr, delta, n, s=s)
        assert predicted <= steps < predicted + 1  # the first whole step past the predicted time
    assert np.isinf(harmonic_learning_time(1, 100.0, 0.1, n))  # too large a step: the harmonic never shrinks


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="integers"):
        circle_ntk_eigenvalues(1.5)
    with pytest.raises(ValueError, match="points"):
        circle_ntk_eigenvalues(1, points=1)
    with pytest.raises(ValueError, match="layers"):
        derive(True, "all")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="δ"):
        harmonic_learning_time(1, 0.1, 1.5, 16)
    with pytest.raises(ValueError, match="κ ≠ 0"):
        eigenvalue_asymptote(0)
