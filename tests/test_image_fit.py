"""Radial bands of the 2D DFT, the band errors and the pixel coordinates of the image-fitting claim."""

from __future__ import annotations

import numpy as np
import pytest

from fpcheck.empirics.image_family import band_errors, radial_bands
from fpcheck.empirics.image_fit import pixel_coordinates


def test_radial_bands_by_hand():
    bands = radial_bands((4, 4), 2)
    # fftfreq(4) = 0, 1/4, -1/2, -1/4: ρ < 1/4 → band 0, else band 1 (the corners ρ ≥ 1/2 join it)
    expected = np.array([[0, 1, 1, 1], [1, 1, 1, 1], [1, 1, 1, 1], [1, 1, 1, 1]])
    np.testing.assert_array_equal(bands, expected)
    many = radial_bands((6, 10), 4)
    rho = np.hypot(np.fft.fftfreq(6)[:, None], np.fft.fftfreq(10)[None, :])
    for band in range(4):
        inside = rho[many == band]
        assert np.all(inside >= band / 8)
        if band < 3:
            assert np.all(inside < (band + 1) / 8)


def test_band_errors_of_simple_residuals():
    rng = np.random.default_rng(0)
    image = rng.random((8, 12))
    bands = radial_bands(image.shape, 3)
    np.testing.assert_allclose(band_errors(np.zeros((2, 8, 12)), image, bands), 0.0)
    np.testing.assert_allclose(band_errors(-image, image, bands), 1.0)  # h = 0: every band entirely wrong
    # a residual that is the image's own band-1 part has error 1 in band 1 and 0 elsewhere
    spectrum = np.fft.fft2(image)
    band_one = np.real(np.fft.ifft2(np.where(bands == 1, spectrum, 0)))
    np.testing.assert_allclose(band_errors(band_one, image, bands), [0.0, 1.0, 0.0], atol=1e-12)


def test_pixel_coordinates():
    xy = pixel_coordinates((3, 5))
    assert xy.shape == (15, 2)
    assert xy[0].tolist() == [-1.0, -1.0] and xy[-1].tolist() == [1.0, 1.0]
    assert xy[1].tolist() == [-0.5, -1.0]  # row-major: x (the column) varies fastest


def test_bad_input_is_rejected():
    with pytest.raises(ValueError, match="bands"):
        radial_bands((1, 4), 2)
    with pytest.raises(ValueError, match="band"):
        band_errors(np.zeros((4, 4)), np.zeros((4, 4)), radial_bands((4, 4), 2))


def test_the_image_fit_records_the_networks_image_pixel_by_pixel():
    """Step 0 is the initial network: at pixel (r, c) its image is the torch.nn network at (x_c, y_r)."""
    import torch

    from fpcheck.empirics.datasets import photograph
    from fpcheck.empirics.image_family import ImageFit
    from fpcheck.empirics.image_fit import image_fit
    from fpcheck.empirics.mlp import MLPSpec, init_ensemble, to_modules

    setup = ImageFit(shape=(8, 12), hidden=(16,), steps=30, snapshots=5, bands=3, seeds=2)
    result = image_fit(setup, (0, 1))
    image = photograph("china.jpg", (8, 12))
    np.testing.assert_array_equal(result.image, image)
    assert result.steps[0] == 0 and result.steps[-1] == 30 and result.diverged == ()
    spec = MLPSpec((2, 16, 1), "relu")
    x, y = np.linspace(-1, 1, 12), np.linspace(-1, 1, 8)
    for member, module in enumerate(to_modules(spec, init_ensemble(spec, (0, 1)))):
        for r, c in ((0, 0), (3, 7), (7, 11)):
            with torch.no_grad():
                expected = module(torch.tensor([[x[c], y[r]]], dtype=torch.float32)).item()
            assert result.fitted[0, member, r, c] == pytest.approx(expected, rel=1e-5, abs=1e-6)
    np.testing.assert_allclose(result.band_errors, band_errors(result.fitted - image, image, radial_bands((8, 12), 3)))
    assert np.all(result.band_errors[-1] < result.band_errors[0])  # training fits every band somewhat
