"""Spectra on on-bin grids, Δ_F, convergence steps and rank correlations against independent oracles."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import integrate, stats

from fpcheck.empirics.grids import PeriodicGrid, periodic_grid
from fpcheck.empirics.spectra import (
    band_power,
    convergence_steps,
    first_reach_steps,
    fourier_coefficients,
    peak_coefficients,
    peak_errors,
    rank_correlation,
)
from fpcheck.empirics.targets import SumOfSines


def test_coefficients_equal_the_direct_sum_on_a_shifted_grid() -> None:
    grid = PeriodicGrid(15, -1.3, 2.7)
    values = np.random.default_rng(0).normal(size=(2, 15))
    x = grid.points
    direct = np.array(
        [[np.sum(row * np.exp(-2j * np.pi * k * x / grid.period)) / grid.n for k in range(8)] for row in values]
    )
    np.testing.assert_allclose(fourier_coefficients(values, grid), direct, atol=1e-13)
    np.testing.assert_allclose(fourier_coefficients(values.T, grid, axis=0), direct.T, atol=1e-13)


def test_sinusoid_coefficients_match_the_fourier_series_integral() -> None:
    """c_k of the grid equals (1/P) ∫ f e^{-2πikx/P} dx (quadrature) for a band-limited target."""
    target = SumOfSines((1, 3, 5), (1.0, 2.0, 3.0), (0.3, -1.0, 2.0), 2 * np.pi)
    grid = periodic_grid(64)
    measured = peak_coefficients(target(grid.points), grid, [1, 3, 5])
    for k, value in zip((1, 3, 5), measured, strict=True):
        real = integrate.quad(lambda x, k=k: target(x) * np.cos(k * x), -np.pi, np.pi, limit=200)[0]
        imag = integrate.quad(lambda x, k=k: -target(x) * np.sin(k * x), -np.pi, np.pi, limit=200)[0]
        assert value == pytest.approx((real + 1j * imag) / (2 * np.pi), abs=1e-10)
    np.testing.assert_allclose(measured, target.coefficients(), atol=1e-12)


def test_odd_subgrid_sees_the_same_coefficients() -> None:
    target = SumOfSines((2, 7), (1.0, 0.5), (0.4, 1.1), 1.0)
    grid = PeriodicGrid(64, 0.0, 1.0)
    even, odd = grid.subgrid(0, 2), grid.subgrid(1, 2)
    np.testing.assert_allclose(
        peak_coefficients(target(odd.points), odd, [2, 7]), peak_coefficients(target(even.points), even, [2, 7]),
        atol=1e-12,
    )


def test_delta_f_catches_phase_errors() -> None:
    """Same magnitude, phase off by δ: Δ_F = |e^{iδ} - 1| = 2|sin(δ/2)|, not 0 as magnitudes alone say."""
    target = np.array([0.5j, -1.0, 1.5 * np.exp(0.3j)])
    delta = np.array([0.1, np.pi / 2, np.pi])
    fit = target * np.exp(1j * delta)
    np.testing.assert_allclose(peak_errors(fit, target), 2 * np.abs(np.sin(delta / 2)), rtol=1e-12)
    np.testing.assert_allclose(np.abs(np.abs(fit) - np.abs(target)) / np.abs(target), 0, atol=1e-15)
    with pytest.raises(ValueError, match="zero"):
        peak_errors(fit, np.array([1.0, 0.0, 1.0]))


def test_convergence_step_on_synthetic_curves() -> None:
    steps = np.array([0, 10, 20, 30, 40, 50])
    curves = np.array(
        [
            [1.0, 0.05, 0.04, 0.03, 0.02, 0.01],  # converges at 10
            [1.0, 0.05, 0.2, 0.05, 0.04, 0.03],  # dips, rises again, converges at 30
            [1.0, 0.5, 0.3, 0.2, 0.15, 0.12],  # never below 0.1: after the last step
            [0.01, 0.02, 0.03, 0.04, 0.05, 0.06],  # below from the start
            [1.0, 0.5, 0.1, 0.09, 0.08, 0.07],  # 0.1 is not below 0.1
        ]
    ).T
    np.testing.assert_array_equal(convergence_steps(steps, curves, 0.1), [10, 30, 51, 0, 30])
    with_nan = curves.copy()
    with_nan[2, 0] = np.nan
    assert np.isnan(convergence_steps(steps, with_nan, 0.1)[0])
    with pytest.raises(ValueError, match="increase"):
        convergence_steps(steps[::-1], curves, 0.1)


def test_first_reach_step_on_synthetic_curves() -> None:
    steps = np.array([0, 5, 10, 15])
    curves = np.array([[0.0, 0.95, 0.7, 1.0], [0.1, 0.2, 0.5, 0.89], [0.9, 0.9, 0.9, 0.9]]).T
    np.testing.assert_array_equal(first_reach_steps(steps, curves, 0.9), [5, 16, 0])


def test_rank_correlation_against_the_textbook_formula() -> None:
    rng = np.random.default_rng(3)
    for _ in range(5):
        x, y = rng.permutation(9).astype(float), rng.permutation(9).astype(float)
        d = stats.rankdata(x) - stats.rankdata(y)
        assert rank_correlation(x, y) == pytest.approx(1 - 6 * np.sum(d**2) / (9 * (81 - 1)), abs=1e-12)
    assert rank_correlation(np.array([1.0, 2, 3]), np.array([7.0, 7, 7])) == 0.0
    assert rank_correlation(np.array([1.0, 3, 5]), np.array([10.0, 500, 800])) == 1.0
    assert np.isnan(rank_correlation(np.array([1.0, 2]), np.array([np.nan, 1.0])))


def test_band_power_is_half_the_band_mean_square() -> None:
    grid = PeriodicGrid(128, 0.0, 1.0)
    target = SumOfSines((3, 20, 25), (1.0, 0.3, 0.4), (0.0, 1.0, 2.0), 1.0)
    band = SumOfSines((20, 25), (0.3, 0.4), (1.0, 2.0), 1.0)
    power = band_power(fourier_coefficients(target(grid.points), grid), 10, 40)
    assert power == pytest.approx(np.mean(band(grid.points) ** 2) / 2, rel=1e-12)


def test_off_bin_or_aliased_peaks_are_rejected() -> None:
    grid = periodic_grid(16)
    with pytest.raises(ValueError, match="integers"):
        peak_coefficients(np.zeros(16), grid, [1.5])
    with pytest.raises(ValueError, match="lie in"):
        peak_coefficients(np.zeros(16), grid, [8])
    with pytest.raises(ValueError, match="points"):
        fourier_coefficients(np.zeros(15), grid)
