"""A network memorising a photograph, coarse to fine (Xu et al. 2019, arXiv:1901.06523; seeds 000 and 002).

The network maps a pixel's position (x, y) ∈ [-1, 1]² (pixel centres, columns → x, rows → y) to its
grey level; it is trained on every pixel (full batch Adam, MSE, float32, all seeds at once:
`empirics.ensemble`) and its image is recorded at log-spaced snapshots.

Spectral bands. With numpy's unnormalised 2D DFT V(k_r, k_c) = Σ_{r,c} v_{rc} e^{-2πi(k_r r/R + k_c c/C)}
of an R × C image, a coefficient's radial frequency is ρ = sqrt((k_r/R)² + (k_c/C)²) in cycles per
pixel (k_r, k_c the signed `numpy.fft.fftfreq` integers). Band b of B covers b/(2B) ≤ ρ < (b+1)/(2B);
the corners ρ ≥ 1/2 join the last band. The relative error of band b at a snapshot is
‖R̂_b‖ / ‖Ŷ_b‖, R = h - y the residual image, Ŷ the photograph's DFT (the normalisation cancels). A
band converges when its relative error first falls below the threshold; the F-Principle predicts
that bands converge in order of frequency.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from empirics.datasets import photograph
from empirics.ensemble import TrainingConfig, train_ensemble
from empirics.mlp import MLPSpec
from empirics.snapshots import first_below, log_spaced_steps


def radial_bands(shape: tuple[int, int], count: int) -> np.ndarray:
    """The band index (0 … count-1) of every DFT coefficient of an image of `shape` (module doc)."""
    rows, columns = shape
    if count < 1 or rows < 2 or columns < 2:
        raise ValueError(f"need ≥ 1 band and an image of at least 2 × 2 pixels, not {count} bands, {shape}")
    rho = np.hypot(np.fft.fftfreq(rows)[:, None], np.fft.fftfreq(columns)[None, :])
    return np.minimum((rho * 2 * count).astype(np.int64), count - 1)


def band_errors(residuals: np.ndarray, image: np.ndarray, bands: np.ndarray) -> np.ndarray:
    """‖R̂_b‖ / ‖Ŷ_b‖ for residual images (..., R, C): shape (..., number of bands)."""
    target = np.fft.fft2(image)
    residual = np.fft.fft2(residuals, axes=(-2, -1))
    count = int(bands.max()) + 1
    errors = []
    for band in range(count):
        inside = bands == band
        norm = np.linalg.norm(target[inside])
        if norm == 0:
            raise ValueError(f"band {band} of the image is empty or holds no energy: use fewer bands")
        errors.append(np.linalg.norm(residual[..., inside], axis=-1) / norm)
    return np.stack(errors, axis=-1)


def pixel_coordinates(shape: tuple[int, int]) -> np.ndarray:
    """(x, y) of every pixel centre, row-major, both in [-1, 1]: shape (R C, 2)."""
    rows, columns = shape
    y, x = np.meshgrid(np.linspace(-1, 1, rows), np.linspace(-1, 1, columns), indexing="ij")
    return np.stack([x.ravel(), y.ravel()], axis=1)


@dataclass(frozen=True)
class ImageFitRun:
    """Snapshots (T,), the photograph (R, C), the network's images (T, S, R, C), band errors (T, S, B).

    `first_below` (S, B): the snapshot index at which each band's error first falls below the
    threshold (T when never: ties last); -1 for a seed that diverged.
    """

    seeds: tuple[int, ...]
    steps: np.ndarray
    image: np.ndarray
    fitted: np.ndarray
    band_errors: np.ndarray
    first_below: np.ndarray
    diverged: tuple[int, ...]


def image_fit_run(
    name: str,
    shape: tuple[int, int],
    seeds: Sequence[int],
    hidden: Sequence[int],
    activation: str,
    steps: int,
    lr: float,
    snapshots: int,
    bands: int,
    threshold: float,
) -> ImageFitRun:
    """Fit the photograph with one network per seed and measure its radial bands over training."""
    seeds = tuple(int(seed) for seed in seeds)
    image = photograph(name, shape)
    band_index = radial_bands(image.shape, int(bands))
    schedule = log_spaced_steps(int(steps), int(snapshots))
    spec = MLPSpec((2, *(int(w) for w in hidden), 1), activation)
    config = TrainingConfig(steps=int(steps), lr=float(lr), snapshot_steps=tuple(int(s) for s in schedule),
                            progress=False, description="image")
    run = train_ensemble(spec, seeds, torch.tensor(pixel_coordinates(image.shape), dtype=torch.float32),
                         torch.tensor(image.reshape(-1, 1), dtype=torch.float32), config)
    fitted = run.outputs["train"][..., 0].reshape(schedule.size, len(seeds), *image.shape)
    finite = np.isfinite(fitted).all(axis=(0, 2, 3))
    errors = np.full((schedule.size, len(seeds), int(bands)), np.nan)
    first = np.full((len(seeds), int(bands)), -1, dtype=np.int64)
    if finite.any():
        errors[:, finite] = band_errors(fitted[:, finite] - image, image, band_index)
        first[finite] = first_below(errors[:, finite], threshold)
    diverged = tuple(sorted(set(run.diverged_seeds) | {s for s, ok in zip(seeds, finite, strict=True) if not ok}))
    return ImageFitRun(seeds, schedule, image, fitted, errors, first, diverged)
