"""Radial bands of the 2D DFT, the band errors, the pixel coordinates, the image Sobolev loss and the initial
NTK's mode rates of the image-fitting claim, against independent oracles."""

from __future__ import annotations

import numpy as np
import pytest

from fpcheck.empirics.image_family import band_errors, radial_bands, sobolev_weights
from fpcheck.empirics.image_fit import ImageSobolevLoss, initial_mode_rates, pixel_coordinates


def test_radial_bands_by_hand():
    bands = radial_bands((4, 4), 2)
    # fftfreq(4) = 0, 1/4, -1/2, -1/4: ρ < 1/4 → band 0, else band 1 (the corners ρ ≥ 1/2 join it); the
    # constant coefficient is in no band (-1), so band 0 is empty here
    expected = np.array([[-1, 1, 1, 1], [1, 1, 1, 1], [1, 1, 1, 1], [1, 1, 1, 1]])
    np.testing.assert_array_equal(bands, expected)
    many = radial_bands((6, 10), 4)
    rho = np.hypot(np.fft.fftfreq(6)[:, None], np.fft.fftfreq(10)[None, :])
    assert many[0, 0] == -1 and np.all(many.ravel()[1:] >= 0)
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
    # the mean grey level is in no band: a constant residual (a wrong mean) leaves every band error at 0
    np.testing.assert_allclose(band_errors(np.full((8, 12), 0.3), image, bands), 0.0, atol=1e-12)
    mean_free = image - image.mean()
    by_hand = np.linalg.norm(np.fft.fft2(mean_free)[bands == 0]) / np.linalg.norm(np.fft.fft2(image)[bands == 0])
    assert band_errors(mean_free, image, bands)[0] == pytest.approx(by_hand) and by_hand == pytest.approx(1.0)


def test_the_image_sobolev_loss_is_the_weighted_sum_over_dft_coefficients():
    import torch

    rng = np.random.default_rng(1)
    shape = (5, 6)
    outputs, targets = rng.normal(size=(2, 30, 1)), rng.normal(size=(2, 30, 1))
    residual = (outputs - targets)[..., 0].reshape(2, *shape)
    for s in (0.0, 1.0, 2.0):
        loss = ImageSobolevLoss(shape, s)(torch.tensor(outputs, dtype=torch.float32),
                                          torch.tensor(targets, dtype=torch.float32)).numpy()
        by_hand = np.zeros(2)
        for k_r in range(5):
            for k_c in range(6):
                signed_r, signed_c = (k_r if k_r <= 2 else k_r - 5), (k_c if k_c < 3 else k_c - 6)  # -2 … 2, -3 … 2
                phase = np.exp(-2j * np.pi * (k_r * np.arange(5)[:, None] / 5 + k_c * np.arange(6)[None, :] / 6))
                coefficient = np.sum(residual * phase, axis=(1, 2)) / 30
                by_hand += (1 + signed_r**2 + signed_c**2) ** s * np.abs(coefficient) ** 2
        np.testing.assert_allclose(loss, by_hand, rtol=1e-5)
        if s == 0:
            np.testing.assert_allclose(loss, np.mean(residual**2, axis=(1, 2)), rtol=1e-5)  # Parseval: the MSE
    assert sobolev_weights(shape, 1.0)[2, 3] == 1 + 2**2 + 3**2  # fftfreq(6) * 6 at index 3 is -3


def test_initial_mode_rates_are_the_kernel_of_per_pixel_gradients_along_cosines_and_sines():
    """μ_k = (c_k K c_k + s_k K s_k) / n with K the Gram matrix of per-pixel autograd gradients (float64) and
    e_k = c_k + i s_k the 2D Fourier mode."""
    import torch

    from fpcheck.empirics.image_family import ImageFit
    from fpcheck.empirics.mlp import MLPSpec, init_ensemble, to_modules

    setup = ImageFit(shape=(6, 8), hidden=(12, 12), bands=2, seeds=1)
    rates = initial_mode_rates(setup, (4,))
    assert rates.shape == (1, 6, 8)
    (module,) = to_modules(MLPSpec((2, 12, 12, 1), "relu"), init_ensemble(MLPSpec((2, 12, 12, 1), "relu"), (4,)))
    module = module.double()
    gradients = []
    for point in pixel_coordinates((6, 8)):
        module.zero_grad()
        module(torch.tensor(point[None], dtype=torch.float64)).sum().backward()
        gradients.append(torch.cat([p.grad.flatten() for p in module.parameters()]).numpy().copy())
    kernel = np.array(gradients) @ np.array(gradients).T
    r, c = np.meshgrid(np.arange(6), np.arange(8), indexing="ij")
    for k_r, k_c in ((0, 0), (1, 2), (3, 4), (5, 7)):
        angle = 2 * np.pi * (k_r * r / 6 + k_c * c / 8).ravel()
        direct = (np.cos(angle) @ kernel @ np.cos(angle) + np.sin(angle) @ kernel @ np.sin(angle)) / 48
        assert rates[0, k_r, k_c] == pytest.approx(direct, rel=1e-9)


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
    with pytest.raises(ValueError, match="band 0"):  # band 0 of a 4 × 4 image holds the constant coefficient only
        band_errors(np.zeros((4, 4)), np.random.default_rng(0).random((4, 4)), radial_bands((4, 4), 2))


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
