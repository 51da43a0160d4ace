"""The projection method: finufft against the direct DFT, and the direct DFT against numpy's FFT."""

from __future__ import annotations

import numpy as np
import pytest

from fpcheck.empirics.projection import (
    nonuniform_dft,
    nonuniform_dft_direct,
    projected_spectrum,
    projected_spectrum_direct,
    projections,
)


def test_finufft_equals_the_direct_dft():
    rng = np.random.default_rng(11)
    x = rng.normal(size=(3000, 12))
    values = rng.normal(size=(3000, 3)) + 1j * rng.normal(size=(3000, 3))
    direction = rng.normal(size=12)
    k = np.concatenate([np.linspace(-6, 6, 97), [0.123, 40.0]])
    fast = projected_spectrum(x, values, direction, k)
    direct = projected_spectrum_direct(x, values, direction, k)
    assert fast.shape == direct.shape == (k.size, 3)
    # finufft's eps bounds the relative ℓ2 error of each output vector
    assert np.linalg.norm(fast - direct) / np.linalg.norm(direct) < 1e-10
    single = projected_spectrum(x, values[:, 1], direction, k)
    np.testing.assert_allclose(single, fast[:, 1], rtol=0, atol=1e-13)


def test_direct_dft_on_a_uniform_grid_is_numpys_fft():
    # t_j = j/n and integer k: (1/n) Σ_j y_j e^{-2πikj/n} is numpy's FFT divided by n (negative sign, 1/n)
    rng = np.random.default_rng(2)
    n = 64
    values = rng.normal(size=n)
    t = np.arange(n) / n
    k = np.arange(-10, 11)
    expected = np.fft.fft(values)[k % n] / n
    np.testing.assert_allclose(nonuniform_dft_direct(t, values, k), expected, rtol=0, atol=1e-13)
    np.testing.assert_allclose(nonuniform_dft(t, values, k), expected, rtol=0, atol=1e-12)


def test_direction_is_normalised_and_convention_is_ordinary_frequency():
    x = np.array([[0.0, 0.0], [3.0, 4.0]])
    np.testing.assert_allclose(projections(x, [6.0, 8.0]), [0.0, 5.0])
    # y = (1, 1) at t = 0, 5: ŷ(k) = (1 + e^{-2πi 5k}) / 2, so ŷ(0.1) = (1 + e^{-iπ}) / 2 = 0
    assert abs(projected_spectrum(x, np.ones(2), [3.0, 4.0], [0.1])[0]) < 1e-12
    assert projected_spectrum_direct(x, np.ones(2), [3.0, 4.0], [0.0])[0] == pytest.approx(1.0)


def test_bad_input_is_rejected():
    x = np.zeros((5, 2))
    with pytest.raises(ValueError, match="non-zero"):
        projected_spectrum(x, np.ones(5), [0.0, 0.0], [1.0])
    with pytest.raises(ValueError, match="components"):
        projected_spectrum(x, np.ones(5), [1.0, 0.0, 0.0], [1.0])
    with pytest.raises(ValueError, match="NaN"):
        nonuniform_dft(np.zeros(5), np.array([1.0, np.nan, 0, 0, 0]), [1.0])
    with pytest.raises(ValueError, match="values"):
        nonuniform_dft(np.zeros(5), np.ones(4), [1.0])
    with pytest.raises(ValueError, match="eps"):
        nonuniform_dft(np.zeros(5), np.ones(5), [1.0], eps=0.0)
