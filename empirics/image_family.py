"""The image family: a network memorising a photograph, coarse to fine, and what is measured on it
(Xu et al. 2019, arXiv:1901.06523; seeds 000 and 002; torch-free: the training itself is
`fpcheck.empirics.image_fit`).

Setting. The network maps a pixel's position (x, y) ∈ [-1, 1]² (pixel centres, columns → x, rows → y)
to its grey level in a scikit-learn sample photograph (`image`, downsampled by area averaging to
`shape`, `fpcheck.empirics.datasets.photograph`); one MLP per seed (`hidden` widths, `activation`) is
trained on every pixel through the engine (`fpcheck.empirics.ensemble.train_ensemble`: full batch,
float32, all seeds at once), and its image is recorded at about `snapshots` log-spaced steps
(`fpcheck.empirics.snapshots.log_spaced_steps`).

Training. `optimizer` is Adam (the published setting) or plain gradient descent; `loss` is the mean
squared error or the Sobolev loss Σ_k (1 + |k|²)^s |R̂_k|² of the residual image R = h - y, R̂ = DFT(R)/(R C),
k = (k_r, k_c) the signed DFT integers, i.e. cycles per image side = per length 2 of the network's input
[-1, 1] (with the angular frequency πk of that input the weight would change by about π^{2s}); at s = 0
it equals the mean squared error (Parseval). In the kernel regime gradient descent on it multiplies the
rate of frequency k by (1 + |k|²)^s (Yu, Yang, Townsend 2023, arXiv:2205.14300);
`fpcheck.empirics.image_fit.initial_mode_rates` gives the initial NTK's rates along every 2D mode.

Spectral bands. With numpy's unnormalised 2D DFT V(k_r, k_c) = Σ_{r,c} v_{rc} e^{-2πi(k_r r/R + k_c c/C)}
of an R × C image, a coefficient's radial frequency is ρ = sqrt((k_r/R)² + (k_c/C)²) in cycles per
pixel (k_r, k_c the signed `numpy.fft.fftfreq` integers). Band b of B covers b/(2B) ≤ ρ < (b+1)/(2B);
the corners ρ ≥ 1/2 join the last band. The constant coefficient (ρ = 0, the mean grey level) belongs
to no band: the output bias fits it within a few steps, and in band 0 it would outweigh the other
coefficients (|Ŷ_0| = 490 against 212 for the rest of band 0 in the quick photograph), so that band 0
would count as converged once the mean is right, whatever the coarse outline does. The relative error
of band b at a snapshot is ‖R̂_b‖ / ‖Ŷ_b‖, R = h - y the residual image, Ŷ the photograph's DFT (the
normalisation cancels). A band converges when its relative error first falls below `threshold` (a band
that never does ties last); the F-Principle predicts that bands converge in order of frequency. The
fit criterion reads the final relative error of the whole image, RMS(h - y) / RMS(y - ȳ).

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
    """The band index (0 … count-1) of every DFT coefficient of an image of `shape`, -1 for the constant
    coefficient, which belongs to no band (module doc)."""
    rows, columns = shape
    if count < 1 or rows < 2 or columns < 2:
        raise ValueError(f"need ≥ 1 band and an image of at least 2 × 2 pixels, not {count} bands, {shape}")
    rho = np.hypot(np.fft.fftfreq(rows)[:, None], np.fft.fftfreq(columns)[None, :])
    bands = np.minimum((rho * 2 * count).astype(np.int64), count - 1)
    bands[0, 0] = -1
    return bands


def sobolev_weights(shape: tuple[int, int], s: float) -> np.ndarray:
    """(1 + |k|²)^s for every DFT coefficient of an image of `shape`, k = (k_r, k_c) the signed DFT
    integers: cycles per image side, i.e. per unit length 2 of the network's input [-1, 1] (module doc)."""
    rows, columns = shape
    k_squared = (np.fft.fftfreq(rows) * rows)[:, None] ** 2 + (np.fft.fftfreq(columns) * columns)[None, :] ** 2
    return (1.0 + k_squared) ** float(s)


def band_errors(residuals: np.ndarray, image: np.ndarray, bands: np.ndarray) -> np.ndarray:
    """‖R̂_b‖ / ‖Ŷ_b‖ for residual images (..., R, C): shape (..., number of bands); coefficients of band
    -1 (the constant one) are left out."""
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
    optimizer: Literal["adam", "gd"] = "adam"
    loss: Literal["mse", "sobolev"] = "mse"
    sobolev_s: float = param(0.0, at_least=-8.0, at_most=8.0)
    bands: int = param(8, positive=True, at_most=256)
    threshold: float = param(0.5, positive=True, analysis=True)

    family = "image fit"

    def planned_network_steps(self) -> int:
        """One network per seed for `steps` updates (the kernel rates are computed at initialisation, untrained)."""
        return self.seeds * self.steps

    def check(self) -> None:
        if self.loss == "mse" and self.sobolev_s != 0:
            self.refuse("sobolev_s", f"{self.sobolev_s:g} is the order of the Sobolev loss: set loss = 'sobolev'")
        if self.shape[0] > MAX_SIDE:
            self.refuse("shape", f"{self.shape[0]} rows exceed the photograph's {MAX_SIDE}")
        if 2 * self.bands >= max(self.shape):
            self.refuse("bands", f"{self.bands} bands need an image more than {2 * self.bands} pixels long on one "
                        f"side (else a band holds no frequency but the constant one), not {list(self.shape)}")

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


_OPTIMIZERS = {"adam": "Adam", "gd": "gradient descent"}


def _loss_text(setup: ImageFit) -> str:
    if setup.loss == "mse":
        return "the mean squared error"
    return (f"the Sobolev loss Σ_k (1 + |k|²)^{setup.sobolev_s:g} |R̂_k|² (k in cycles per image side) of the "
            "residual image")


IMAGE_FIT = Experiment("image-fit", ImageFit, ImageFitResult, "fpcheck.empirics.image_fit:image_fit",
                       "a network memorising a photograph, its radial bands over training")


def final_relative_error(result: ImageFitResult) -> np.ndarray:
    """RMS(h - y) / RMS(y - ȳ) of each seed's final image (S,): 1 for an image that is the mean grey level."""
    residual = result.fitted[-1] - result.image
    return np.sqrt(np.mean(residual**2, axis=(-2, -1))) / np.std(result.image)


@produces("band_convergence_step", "final_band_error", "final_relative_error")
def measure_coarse_to_fine(setup: ImageFit, result: ImageFitResult) -> Measurement:
    """Per seed and band: the step at which the band's relative error first falls below the threshold;
    per seed: the final relative error of the whole image (the fit criterion)."""
    bands = np.arange(result.band_errors.shape[-1])
    healthy = [member for member, seed in enumerate(result.seeds) if seed not in result.diverged]
    first = {member: first_below(result.band_errors[:, member], setup.threshold) for member in healthy}
    overall = final_relative_error(result)
    frames = []
    for member in healthy:
        seed = result.seeds[member]
        frames.append(tidy(seed, "band_convergence_step", step_at(result.steps, first[member]), x=bands))
        frames.append(tidy(seed, "final_band_error", result.band_errors[-1, member], x=bands))
        frames.append(tidy(seed, "final_relative_error", overall[member]))
    summary = "; ".join(
        f"seed {result.seeds[member]}: bands converge at steps {step_at(result.steps, first[member]).tolist()}, "
        f"final relative error {overall[member]:.3f}"
        for member in healthy
    ) + f" (step {result.steps[-1] + 1} = not within the run)"
    notes = (
        f"Photograph: scikit-learn's `{setup.image}` in grey levels, downsampled by area averaging to "
        f"{setup.shape[0]} × {setup.shape[1]} pixels. Network: (x, y) ∈ [-1, 1]² → grey level, "
        f"{setup.activation} MLP {list(setup.hidden)}, full-batch {_OPTIMIZERS[setup.optimizer]} (lr {setup.lr:g}, "
        f"{setup.steps} steps) on {_loss_text(setup)} over every pixel.",
        "Bands: radial frequency ρ = sqrt((k_r/R)² + (k_c/C)²) in cycles per pixel of numpy's 2D DFT; band b of B "
        "covers b/(2B) ≤ ρ < (b+1)/(2B), the corners beyond ρ = 1/2 join the last band, the constant coefficient "
        "(the mean grey level) is in no band; a band's relative error is the norm of the residual's DFT over the "
        "band divided by the photograph's. A band converges at the first snapshot where that error is below the "
        "threshold; a band that never does ties last. Fit: the final RMS(h - y) / RMS(y - ȳ) of the whole image.",
    )
    return Measurement(concat(frames), summary, diverged_seeds=result.diverged, notes=notes)
