"""Amplitude loss under random parameter perturbations, against a direct per-sample computation."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from fpcheck.empirics.grids import PeriodicGrid
from fpcheck.empirics.mlp import EnsembleParameters, MLPSpec, init_ensemble, to_modules
from fpcheck.empirics.perturbation import amplitude_loss
from fpcheck.empirics.seeding import torch_generator

SPEC = MLPSpec((1, 12, 12, 1), "relu", init="uniform")
GRID = PeriodicGrid(32, 0.0, 1.0)
SEEDS = (2, 5)
PEAKS = (1, 2, 4)


def _direct(params: EnsembleParameters, norms: list[float], samples: int, spec: MLPSpec = SPEC,
            inputs: np.ndarray | None = None) -> np.ndarray:
    """The same directions (drawn in the documented order), one nn.Sequential per sample, numpy's FFT, on the
    grid's points or on `inputs` at them."""
    x = torch.tensor(GRID.points if inputs is None else inputs, dtype=torch.float32).reshape(GRID.n, -1)
    result = np.zeros((len(SEEDS), len(norms), len(PEAKS)))
    for member, seed in enumerate(SEEDS):
        generator = torch_generator(seed, "perturbation")
        own = [t[member] for t in params.tensors]
        directions = [torch.randn((samples, *t.shape), generator=generator) for t in own]
        length = torch.sqrt(sum((d.double() ** 2).flatten(1).sum(dim=1) for d in directions))

        def amplitudes(tensors: list[torch.Tensor]) -> np.ndarray:
            layers = len(tensors) // 2
            single = EnsembleParameters([t[None] for t in tensors[:layers]], [t[None] for t in tensors[layers:]])
            with torch.no_grad():
                values = to_modules(spec, single)[0](x)[:, 0].double().numpy()
            return np.abs(np.fft.fft(values)[list(PEAKS)]) / GRID.n

        base = amplitudes(own)
        for index, norm in enumerate(norms):
            for sample in range(samples):
                moved = [t + norm * (d[sample] / length[sample]).float() for t, d in zip(own, directions, strict=True)]
                result[member, index] += (base - amplitudes(moved)) / base / samples
    return result


def test_amplitude_loss_matches_the_direct_computation() -> None:
    params = init_ensemble(SPEC, SEEDS)
    norms = [0.3, 1.5]
    losses = amplitude_loss(SPEC, params, SEEDS, GRID, PEAKS, norms, samples=6, chunk=6)
    np.testing.assert_allclose(losses, _direct(params, norms, 6), rtol=1e-4, atol=1e-5)
    assert np.abs(losses[:, 1]).max() > 1e-2  # a real perturbation changes the amplitudes


def test_amplitude_loss_of_an_input_encoding_matches_the_direct_computation() -> None:
    angles = 2 * np.pi * np.outer(GRID.points, [1.0, 2.0])
    features = np.concatenate([np.sin(angles), 2 * np.cos(angles)], axis=1)  # (32, 4) at the grid's points
    spec = MLPSpec((4, 12, 12, 1), "relu", init="uniform")
    params = init_ensemble(spec, SEEDS)
    losses = amplitude_loss(spec, params, SEEDS, GRID, PEAKS, [0.3, 1.5], samples=6, chunk=6, inputs=features)
    np.testing.assert_allclose(losses, _direct(params, [0.3, 1.5], 6, spec, features), rtol=1e-4, atol=1e-5)
    with pytest.raises(ValueError, match="finite"):
        amplitude_loss(spec, params, SEEDS, GRID, PEAKS, [1.0], samples=2, inputs=features[:, 0])
    with pytest.raises(ValueError, match="input width 4"):
        amplitude_loss(SPEC, init_ensemble(SPEC, SEEDS), SEEDS, GRID, PEAKS, [1.0], samples=2, inputs=features)


def test_same_seed_same_losses() -> None:
    params = init_ensemble(SPEC, SEEDS)
    one = amplitude_loss(SPEC, params, SEEDS, GRID, PEAKS, [1.0], samples=8, chunk=8)
    again = amplitude_loss(SPEC, params, SEEDS, GRID, PEAKS, [1.0], samples=8, chunk=8)
    np.testing.assert_array_equal(one, again)


def test_vanishing_perturbation_loses_nothing() -> None:
    params = init_ensemble(SPEC, SEEDS)
    losses = amplitude_loss(SPEC, params, SEEDS, GRID, PEAKS, [1e-5], samples=4)
    assert np.abs(losses).max() < 1e-3


def test_bad_input() -> None:
    params = init_ensemble(SPEC, SEEDS)
    with pytest.raises(ValueError, match="norms"):
        amplitude_loss(SPEC, params, SEEDS, GRID, PEAKS, [0.0], samples=2)
    broken = EnsembleParameters([w.clone() for w in params.weights], [b.clone() for b in params.biases])
    broken.weights[0][0, 0, 0] = float("nan")
    with pytest.raises(ValueError, match="NaN"):
        amplitude_loss(SPEC, broken, SEEDS, GRID, PEAKS, [1.0], samples=2)
