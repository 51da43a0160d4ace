"""On-bin grids, targets and per-seed random streams."""

from __future__ import annotations

import numpy as np
import pytest

from fpcheck.empirics.grids import PeriodicGrid, periodic_grid
from fpcheck.empirics.seeding import numpy_rng, torch_generator
from fpcheck.empirics.spectra import fourier_coefficients
from fpcheck.empirics.targets import SumOfSines, band_noise, staircase


def test_grid_points_and_subgrids() -> None:
    grid = periodic_grid(8)
    np.testing.assert_allclose(grid.points, -np.pi + np.pi * np.arange(8) / 4)
    assert grid.nyquist == 4
    np.testing.assert_allclose(grid.subgrid(1, 2).points, grid.points[1::2])
    np.testing.assert_allclose(grid.subgrid(0, 4).points, grid.points[::4])
    with pytest.raises(ValueError, match="divisor"):
        grid.subgrid(0, 3)
    with pytest.raises(ValueError, match="n ≥ 2"):
        PeriodicGrid(1, 0.0, 1.0)
    with pytest.raises(ValueError, match="period"):
        PeriodicGrid(4, 0.0, 0.0)


def test_sum_of_sines_values_and_validation() -> None:
    target = SumOfSines((1, 3), (1.0, 2.0), (0.0, np.pi / 2), 2 * np.pi)
    x = np.array([0.1, 1.0, -2.0])
    np.testing.assert_allclose(target(x), np.sin(x) + 2 * np.cos(3 * x), atol=1e-14)
    with pytest.raises(ValueError, match="same length"):
        SumOfSines((1, 3), (1.0,), (0.0, 0.0), 1.0)
    with pytest.raises(ValueError, match="non-zero"):
        SumOfSines((1,), (0.0,), (0.0,), 1.0)
    with pytest.raises(ValueError, match="positive integers"):
        SumOfSines((0,), (1.0,), (0.0,), 1.0)


def test_band_noise_lives_in_its_band_with_the_stated_rms() -> None:
    grid = PeriodicGrid(64, -np.pi, 2 * np.pi)
    noise = band_noise(grid, (8, 16), 0.3, numpy_rng(4, "noise"))
    assert np.sqrt(np.mean(noise**2)) == pytest.approx(0.3, rel=1e-12)
    spectrum = np.abs(fourier_coefficients(noise, grid))
    outside = np.r_[spectrum[:8], spectrum[17:]]
    assert outside.max() < 1e-14 and spectrum[8:17].min() > 1e-4
    np.testing.assert_array_equal(noise, band_noise(grid, (8, 16), 0.3, numpy_rng(4, "noise")))
    with pytest.raises(ValueError, match="lie in"):
        band_noise(grid, (8, 40), 0.3, numpy_rng(0, "noise"))


def test_staircase() -> None:
    x = np.array([0.0, 0.24, 0.25, 0.99, 1.1])
    np.testing.assert_allclose(staircase(x, 4, 0.0, 1.0), [0.0, 0.0, 0.25, 0.75, 0.0])
    with pytest.raises(ValueError, match="levels"):
        staircase(x, 0, 0.0, 1.0)


def test_streams_are_independent_and_reproducible() -> None:
    assert numpy_rng(3, "phases").random() == numpy_rng(3, "phases").random()
    assert numpy_rng(3, "phases").random() != numpy_rng(3, "noise").random()
    assert numpy_rng(3, "phases").random() != numpy_rng(4, "phases").random()
    import torch

    a = torch.randn(3, generator=torch_generator(1, "init"))
    b = torch.randn(3, generator=torch_generator(1, "init"))
    assert torch.equal(a, b)


def test_sine_targets_draw_their_phases_per_seed() -> None:
    """Random phases differ between seeds but keep each peak's amplitude: |c_k| = A/2 on an on-bin grid."""
    from fpcheck.empirics.grid_training import sine_targets

    grid = periodic_grid(16)
    targets = sine_targets((0, 1), (1, 3), (1.0, 0.5), grid.period, random_phase=True)
    labels = np.stack([target(grid.points) for target in targets])
    assert not np.allclose(labels[0], labels[1])  # each seed its own phases
    coefficients = fourier_coefficients(labels, grid)
    np.testing.assert_allclose(np.abs(coefficients[:, [1, 3]]), [[0.5, 0.25], [0.5, 0.25]], rtol=1e-12)
    again = sine_targets((0, 1), (1, 3), (1.0, 0.5), grid.period, random_phase=True)
    np.testing.assert_array_equal(np.stack([target(grid.points) for target in again]), labels)  # same seed, same phases
