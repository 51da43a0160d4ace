"""The image family: a network memorising a photograph, coarse to fine, and what is measured on it
(Xu et al. 2019, arXiv:1901.06523; seeds 000 and 002; torch-free: the training itself is
`fpcheck.empirics.image_fit`).

Setting. The network maps a pixel's position (x, y) ∈ [-1, 1]² (pixel centres, columns → x, rows → y)
to its grey level in a scikit-learn sample photograph (`image`, downsampled by area averaging to
`shape`, `fpcheck.empirics.datasets.photograph`); one MLP per seed (`hidden` widths, `activation`) is
trained on every pixel through the engine (`fpcheck.empirics.ensemble.train_ensemble`: full-batch Adam,
mean squared error, float32, all seeds at once), and its image is recorded at about `snapshots`
log-spaced steps (`fpcheck.empirics.snapshots.log_spaced_steps`).

Spectral bands. With numpy's unnormalised 2D DFT V(k_r, k_c) = Σ_{r,c} v_{rc} e^{-2πi(k_r r/R + k_c c/C)}
of an R × C image, a coefficient's radial frequency is ρ = sqrt((k_r/R)² + (k_c/C)²) in cycles per
pixel (k_r, k_c the signed `numpy.fft.fftfreq` integers). Band b of B covers b/(2B) ≤ ρ < (b+1)/(2B);
the corners ρ ≥ 1/2 join the last band. The relative error of band b at a snapshot is
‖R̂_b‖ / ‖Ŷ_b‖, R = h - y the residual image, Ŷ the photograph's DFT (the normalisation cancels). A
band converges when its relative error first falls below `threshold` (a band that never does ties
last); the F-Principle predicts that bands converge in order of frequency.

A seed diverges by the engine's one rule (its loss NaN/inf or beyond its limit) or when its image is not
finite; its band errors are NaN and the measurement leaves it out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from fpcheck.empirics.experiment import Experiment, Result
from fpcheck.empirics.setup import Setup, param
from fpcheck.empirics.snapshots import first_below, log_spaced_steps, step_at
from fpcheck.tables import Measurement, concat, produces, tidy

MAX_WIDTH = 8192
MAX_SIDE = 427
"""The sample photographs are 427 × 640 pixels: a side beyond this many rows cannot be downsampled."""


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


@dataclass(frozen=True, kw_only=True)
class ImageFit(Setup):
    """A photograph fitted pixel by pixel, its radial bands measured over training (module doc)."""

    image: Literal["china.jpg", "flower.jpg"] = "china.jpg"
    shape: tuple[int, ...] = param((24, 36), at_least=2, at_most=640, min_length=2, max_length=2)
    hidden: tuple[int, ...] = param((64, 64, 64), positive=True, at_most=MAX_WIDTH, max_length=64)
    activation: Literal["tanh", "relu", "logistic"] = "relu"
    steps: int = param(1500, positive=True, at_most=10_000_000)
    lr: float = param(0.005, positive=True, at_most=100.0)
    snapshots: int = param(30, at_least=2, at_most=10_000)
    bands: int = param(8, positive=True, at_most=256)
    threshold: float = param(0.5, positive=True, analysis=True)

    family = "image fit"

    def check(self) -> None:
        if self.shape[0] > MAX_SIDE:
            self.refuse("shape", f"{self.shape[0]} rows exceed the photograph's {MAX_SIDE}")
        if 2 * self.bands > max(self.shape):
            self.refuse("bands", f"{self.bands} bands need an image at least {2 * self.bands} pixels long on one "
                        f"side (else a band holds no frequency), not {list(self.shape)}")

    @property
    def snapshot_steps(self) -> np.ndarray:
        """Step 0 and about `snapshots` log-spaced steps up to `steps`."""
        return log_spaced_steps(self.steps, self.snapshots)


@dataclass(frozen=True, kw_only=True)
class ImageFitResult(Result):
    """Snapshot steps (T,), the photograph (R, C), the networks' images (T, S, R, C), the band errors
    (T, S, B) (NaN for a seed whose image is not finite), the diverged seeds."""

    steps: np.ndarray
    image: np.ndarray
    fitted: np.ndarray
    band_errors: np.ndarray
    diverged: tuple[int, ...]


IMAGE_FIT = Experiment("image-fit", ImageFit, ImageFitResult, "fpcheck.empirics.image_fit:image_fit",
                       "a network memorising a photograph, its radial bands over training")


@produces("band_convergence_step", "final_band_error")
def measure_coarse_to_fine(setup: ImageFit, result: ImageFitResult) -> Measurement:
    """Per seed and band: the step at which the band's relative error first falls below the threshold."""
    bands = np.arange(result.band_errors.shape[-1])
    healthy = [member for member, seed in enumerate(result.seeds) if seed not in result.diverged]
    first = {member: first_below(result.band_errors[:, member], setup.threshold) for member in healthy}
    frames = []
    for member in healthy:
        seed = result.seeds[member]
        frames.append(tidy(seed, "band_convergence_step", step_at(result.steps, first[member]), x=bands))
        frames.append(tidy(seed, "final_band_error", result.band_errors[-1, member], x=bands))
    summary = "; ".join(
        f"seed {result.seeds[member]}: bands converge at steps {step_at(result.steps, first[member]).tolist()}"
        for member in healthy
    ) + f" (step {result.steps[-1] + 1} = not within the run)"
    notes = (
        f"Photograph: scikit-learn's `{setup.image}` in grey levels, downsampled by area averaging to "
        f"{setup.shape[0]} × {setup.shape[1]} pixels. Network: (x, y) ∈ [-1, 1]² → grey level, "
        f"{setup.activation} MLP {list(setup.hidden)}, full-batch Adam on the mean squared error over every pixel.",
        "Bands: radial frequency ρ = sqrt((k_r/R)² + (k_c/C)²) in cycles per pixel of numpy's 2D DFT; band b of B "
        "covers b/(2B) ≤ ρ < (b+1)/(2B), the corners beyond ρ = 1/2 join the last band; a band's relative error "
        "is the norm of the residual's DFT over the band divided by the photograph's. A band converges at the "
        "first snapshot where that error is below the threshold; a band that never does ties last.",
    )
    return Measurement(concat(frames), summary, diverged_seeds=result.diverged, notes=notes)
