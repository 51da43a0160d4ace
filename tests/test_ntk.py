"""The empirical NTK against per-point autograd gradients, and its Fourier-mode rates against a direct
projection on cosines and sines."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from fpcheck.empirics.grids import periodic_grid
from fpcheck.empirics.mlp import MLPSpec, init_ensemble, to_modules
from fpcheck.empirics.ntk import empirical_ntk, initial_ntk, mode_rayleigh_quotients, sobolev_weights

SPEC = MLPSpec((1, 9, 7, 1), "tanh", "normal", 1.0)


def _autograd_kernel(module: torch.nn.Module, points: np.ndarray) -> np.ndarray:
    module = module.double()
    gradients = []
    for x in points:
        module.zero_grad()
        module(torch.tensor([[x]], dtype=torch.float64)).sum().backward()
        gradients.append(torch.cat([p.grad.flatten() for p in module.parameters()]).numpy().copy())
    gradients = np.array(gradients)
    return gradients @ gradients.T


def test_the_kernel_equals_the_gram_matrix_of_autograd_gradients():
    points = np.linspace(-1.0, 1.0, 11)
    params = init_ensemble(SPEC, (3, 4))
    kernel = empirical_ntk(SPEC, params, points)
    assert kernel.shape == (2, 11, 11)
    for member, module in enumerate(to_modules(SPEC, params)):
        np.testing.assert_allclose(kernel[member], _autograd_kernel(module, points), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(kernel, np.swapaxes(kernel, 1, 2))  # symmetric
    assert np.all(np.linalg.eigvalsh(kernel) > -1e-9)  # positive semi-definite
    np.testing.assert_array_equal(initial_ntk(SPEC, (3, 4), points), kernel)  # the seeds' own networks


def test_mode_rates_equal_the_projection_on_cosine_and_sine():
    grid = periodic_grid(32, -math.pi, math.pi)
    kernel = initial_ntk(SPEC, (0,), grid.points)[0]
    rates = mode_rayleigh_quotients(kernel, grid, [1, 2, 5])
    for k, rate in zip([1, 2, 5], rates, strict=True):
        c, s = np.cos(k * grid.points), np.sin(k * grid.points)  # e_k = c + i s on [-π, π)
        direct = (c @ kernel @ c + s @ kernel @ s) / grid.n
        assert rate == pytest.approx(direct, rel=1e-12)
    identity = mode_rayleigh_quotients(np.eye(grid.n), grid, [1, 2, 5])
    np.testing.assert_allclose(identity, 1.0)  # |e_k|² = n


def test_a_tanh_kernel_favours_low_frequencies_and_the_sobolev_weight_can_reverse_it():
    grid = periodic_grid(64, -math.pi, math.pi)
    rates = mode_rayleigh_quotients(initial_ntk(MLPSpec((1, 64, 64, 1), "tanh", "normal", 1.0), (0, 1), grid.points),
                                    grid, [1, 3, 5])
    assert np.all(np.diff(rates, axis=1) < 0)  # spectral bias of the kernel itself
    np.testing.assert_allclose(sobolev_weights([0, 1, 3], 2.0), [1.0, 4.0, 100.0])
    weighted = rates * sobolev_weights([1, 3, 5], 3.0)
    assert np.all(np.diff(weighted, axis=1) > 0)  # (1 + k²)³ outgrows the decay of λ_k
