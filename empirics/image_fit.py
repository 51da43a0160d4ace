"""The image-fit experiment: a network memorising a photograph (Xu et al. 2019, arXiv:1901.06523; seeds 000
and 002).

The run function of `fpcheck.empirics.image_family.IMAGE_FIT` (where the setup, the result, the radial
bands and the measurement live): it trains one MLP per seed on every pixel with the engine
(`fpcheck.empirics.ensemble.train_ensemble`, mean squared error), all seeds at once, and returns the
recorded images and their band errors as plain arrays.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from fpcheck.empirics.datasets import photograph
from fpcheck.empirics.ensemble import TrainingConfig, train_ensemble
from fpcheck.empirics.image_family import ImageFit, ImageFitResult, band_errors, radial_bands
from fpcheck.empirics.mlp import MLPSpec


def pixel_coordinates(shape: tuple[int, int]) -> np.ndarray:
    """(x, y) of every pixel centre, row-major, both in [-1, 1]: shape (R C, 2)."""
    rows, columns = shape
    y, x = np.meshgrid(np.linspace(-1, 1, rows), np.linspace(-1, 1, columns), indexing="ij")
    return np.stack([x.ravel(), y.ravel()], axis=1)


def image_fit(setup: ImageFit, seeds: Sequence[int]) -> ImageFitResult:
    """Fit the photograph with one network per seed and measure its radial bands at every snapshot."""
    seeds = tuple(int(seed) for seed in seeds)
    image = photograph(setup.image, (setup.shape[0], setup.shape[1]))
    band_index = radial_bands(image.shape, setup.bands)
    schedule = setup.snapshot_steps
    spec = MLPSpec((2, *setup.hidden, 1), setup.activation)
    config = TrainingConfig(steps=setup.steps, lr=setup.lr, snapshot_steps=tuple(int(s) for s in schedule),
                            progress=False, description="image")
    run = train_ensemble(spec, seeds, torch.tensor(pixel_coordinates(image.shape), dtype=torch.float32),
                         torch.tensor(image.reshape(-1, 1), dtype=torch.float32), config)
    fitted = run.outputs["train"][..., 0].reshape(schedule.size, len(seeds), *image.shape)
    finite = np.isfinite(fitted).all(axis=(0, 2, 3))
    errors = np.full((schedule.size, len(seeds), setup.bands), np.nan)
    if finite.any():
        errors[:, finite] = band_errors(fitted[:, finite] - image, image, band_index)
    diverged = tuple(sorted(set(run.diverged_seeds) | {s for s, ok in zip(seeds, finite, strict=True) if not ok}))
    return ImageFitResult(seeds=seeds, steps=schedule, image=image, fitted=fitted, band_errors=errors,
                          diverged=diverged)
