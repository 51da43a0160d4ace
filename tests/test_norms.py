"""Exact spectral norms against numpy's SVD."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from empirics.norms import norm_product, spectral_norms


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
