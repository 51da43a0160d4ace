"""Exact spectral norms against numpy's SVD."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from fpcheck.empirics.norms import norm_product, spectral_norms


def test_spectral_norms_equal_the_largest_singular_value() -> None:
    generator = torch.Generator().manual_seed(0)
    weights = [torch.randn(4, 1, 9, generator=generator), torch.randn(4, 9, 7, generator=generator),
               torch.randn(4, 7, 1, generator=generator)]
    norms = spectral_norms(weights)
    assert norms.shape == (4, 3)
    for layer, weight in enumerate(weights):
        expected = [np.linalg.svd(w.double().numpy(), compute_uv=False)[0] for w in weight]
        np.testing.assert_allclose(norms[:, layer], expected, rtol=1e-12)
    np.testing.assert_allclose(norm_product(norms), np.prod(norms, axis=1))
    # the layout (d_in, d_out) or (d_out, d_in) does not matter
    np.testing.assert_allclose(spectral_norms([w.transpose(1, 2) for w in weights]), norms, rtol=1e-12)


def test_single_matrices_and_bad_input() -> None:
    matrix = torch.tensor([[3.0, 0.0], [0.0, -5.0]])
    assert spectral_norms([matrix]).tolist() == [5.0]
    with pytest.raises(ValueError, match="NaN"):
        spectral_norms([torch.tensor([[float("nan")]])])
    with pytest.raises(ValueError, match="at least one"):
        spectral_norms([])
    with pytest.raises(ValueError, match="shape"):
        spectral_norms([torch.zeros(3)])


def test_the_norm_tracked_fit_records_the_norm_product_of_the_weights_it_keeps() -> None:
    """Π‖W_l‖₂ of the norm-tracked sine fit against numpy's SVD of the weights it kept."""
    from fpcheck.empirics.sine_fit import NORM_TRACKED_SINE_FIT, NormTrackedSineFit

    setup = NormTrackedSineFit(frequencies=(1, 2, 4), amplitudes=(1.0, 1.0, 1.0), points=32, hidden=(24, 24),
                               steps=200, lr=3e-3, snapshot_every=10, bound_every=50, seeds=2)
    result = NORM_TRACKED_SINE_FIT.run(setup, (0, 1))
    assert list(result.bound_steps) == [0, 50, 100, 150, 200]
    for index in (0, -1):
        for member in (0, 1):
            norms = [np.linalg.svd(w[index, member].astype(float), compute_uv=False).max() for w in result.weights]
            assert result.norm_product[index, member] == pytest.approx(np.prod(norms), rel=1e-6)
    assert not np.allclose(result.norm_product[0], result.norm_product[-1])  # training moved the weights
