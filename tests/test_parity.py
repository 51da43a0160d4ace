"""Parity data and its spectrum along the diagonal, checked by hand on n = 4 bits; the parity setup's
frequencies and low band, and the experiment's spectra against the direct sum."""

from __future__ import annotations

import numpy as np
import pytest

from fpcheck.empirics.datasets import parity_cube, training_half
from fpcheck.empirics.parity_fit import ParityFit, low_band_rms
from fpcheck.empirics.projection import projected_spectrum, projected_spectrum_direct
from fpcheck.theory.parity_spectrum import parity_diagonal_spectrum


def test_parity_cube_on_four_bits():
    points, labels = parity_cube(4)
    assert points.shape == (16, 4)
    assert len({tuple(row) for row in points}) == 16 and set(np.unique(points)) == {-1.0, 1.0}
    # by hand: +1 when the number of -1 entries is even
    for row, label in zip(points, labels, strict=True):
        assert label == (1.0 if np.sum(row == -1) % 2 == 0 else -1.0)
    assert labels[0] == 1.0 and points[0].tolist() == [1, 1, 1, 1]
    assert labels[1] == -1.0 and points[1].tolist() == [1, 1, 1, -1]


def test_diagonal_spectrum_on_four_bits_by_hand():
    # along (1,1,1,1)/2 the points project to t = (4 - 2m)/2 ∈ {2, 1, 0, -1, -2} with multiplicities
    # 1, 4, 6, 4, 1 and labels +1, -1, +1, -1, +1, so
    # ŷ(k) = (1/16)(e^{-4πik} - 4e^{-2πik} + 6 - 4e^{2πik} + e^{4πik}) = (6 - 8 cos 2πk + 2 cos 4πk)/16
    k = np.linspace(-1.3, 1.3, 27)
    by_hand = (6 - 8 * np.cos(2 * np.pi * k) + 2 * np.cos(4 * np.pi * k)) / 16
    points, labels = parity_cube(4)
    np.testing.assert_allclose(projected_spectrum(points, labels, np.ones(4), k), by_hand, rtol=0, atol=1e-12)
    np.testing.assert_allclose(parity_diagonal_spectrum(4, k), by_hand, rtol=0, atol=1e-14)
    assert parity_diagonal_spectrum(4, [0.5])[0] == pytest.approx(1.0)  # every term +1 at k = 1/2


@pytest.mark.parametrize("bits", [1, 3, 7, 10])
def test_closed_form_matches_the_cube(bits):
    points, labels = parity_cube(bits)
    k = np.linspace(0, np.sqrt(bits), 41)
    np.testing.assert_allclose(
        projected_spectrum(points, labels, np.ones(bits), k), parity_diagonal_spectrum(bits, k), rtol=0, atol=1e-11
    )


def test_training_half_is_a_seeded_random_half():
    half = training_half(1024, seed=3)
    assert half.size == 512 and np.unique(half).size == 512 and np.all(np.diff(half) > 0)
    np.testing.assert_array_equal(half, training_half(1024, seed=3))
    assert not np.array_equal(half, training_half(1024, seed=4))


def test_bad_input_is_rejected():
    with pytest.raises(ValueError, match="bits"):
        parity_cube(0)
    with pytest.raises(ValueError, match="bits"):
        parity_diagonal_spectrum(2.5, [0.1])
    with pytest.raises(ValueError, match="NaN"):
        parity_diagonal_spectrum(4, [np.nan])


def test_parity_setup_frequencies_and_low_band():
    setup = ParityFit(bits=4, frequency_points=5, low_band_fraction=0.5)
    # √4/4 = 0.5: five frequencies 0, 0.125, …, 0.5; the low band k ≤ 0.25
    np.testing.assert_allclose(setup.frequencies, [0.0, 0.125, 0.25, 0.375, 0.5])
    assert setup.low_band_edge == 0.25 and setup.low_band.tolist() == [True, True, True, False, False]
    spectrum = np.array([[3j, 4.0, 0.0, 100.0, 100.0], [1.0, 1.0, 1.0, 0.0, 0.0]])
    np.testing.assert_allclose(low_band_rms(setup, spectrum), [np.sqrt(25 / 3), 1.0])
    assert "low_band_fraction" not in setup.experiment_data()  # an analysis choice


def test_parity_experiment_spectra_against_the_direct_sum():
    pytest.importorskip("torch")
    from fpcheck.empirics.parity import parity_fit

    setup = ParityFit(bits=6, hidden=(8,), steps=2, lr=1e-3, frequency_points=9, seeds=2)
    result = parity_fit(setup, (0, 3))
    points, labels = parity_cube(6)
    k = setup.frequencies
    np.testing.assert_allclose(result.full_spectrum, projected_spectrum_direct(points, labels, np.ones(6), k),
                               rtol=0, atol=1e-11)
    for member, seed in enumerate((0, 3)):
        half = training_half(64, seed)
        np.testing.assert_allclose(result.train_spectrum[member],
                                   projected_spectrum_direct(points[half], labels[half], np.ones(6), k),
                                   rtol=0, atol=1e-11)
    assert result.network_spectrum.shape == (2, 9) and np.all(np.isfinite(result.network_spectrum))
    assert np.all((result.test_accuracy >= 0) & (result.test_accuracy <= 1)) and result.diverged == ()


@pytest.mark.parametrize(("bits", "degree"), [(4, 1), (5, 2), (6, 6), (7, 3)])
def test_partial_parity_closed_form_matches_the_direct_sum(bits, degree):
    """Oracle: the direct sum (1/N) Σ_x Π_{i≤d} x_i e^{-2πik Σx/√n} over the cube, built here from itertools."""
    import itertools

    from fpcheck.theory.parity_spectrum import partial_parity_diagonal_spectrum

    k = np.linspace(0.0, 1.7, 23)
    cube = np.array(list(itertools.product((1.0, -1.0), repeat=bits)))
    labels = np.prod(cube[:, :degree], axis=1)
    direct = np.exp(-2j * np.pi * np.outer(k, cube.sum(axis=1)) / np.sqrt(bits)) @ labels / cube.shape[0]
    np.testing.assert_allclose(partial_parity_diagonal_spectrum(bits, degree, k), direct, rtol=0, atol=1e-13)
    if degree == bits:  # the full parity is the published closed form exactly
        assert np.array_equal(partial_parity_diagonal_spectrum(bits, degree, k), parity_diagonal_spectrum(bits, k))
    with pytest.raises(ValueError, match="degree"):
        partial_parity_diagonal_spectrum(bits, bits + 1, k)


def test_one_bit_target_and_its_setup():
    points, labels = parity_cube(5, degree=1)
    assert np.array_equal(labels, points[:, 0])
    assert np.array_equal(parity_cube(5, degree=5)[1], parity_cube(5)[1])
    assert ParityFit(bits=6, degree=2).target_degree == 2 and ParityFit(bits=6).target_degree == 6
    from fpcheck.errors import SetupError

    with pytest.raises(SetupError, match="degree"):
        ParityFit(bits=4, degree=5)
    with pytest.raises(ValueError, match="degree"):
        parity_cube(4, degree=0)
