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
from torch.func import functional_call, grad, vmap

from fpcheck.empirics.datasets import photograph
from fpcheck.empirics.ensemble import TrainingConfig, train_ensemble
from fpcheck.empirics.image_family import ImageFit, ImageFitResult, band_errors, radial_bands, sobolev_weights
from fpcheck.empirics.losses import MeanSquaredError
from fpcheck.empirics.mlp import EnsembleParameters, MLPSpec, init_ensemble, to_modules


def pixel_coordinates(shape: tuple[int, int]) -> np.ndarray:
    """(x, y) of every pixel centre, row-major, both in [-1, 1]: shape (R C, 2)."""
    rows, columns = shape
    y, x = np.meshgrid(np.linspace(-1, 1, rows), np.linspace(-1, 1, columns), indexing="ij")
    return np.stack([x.ravel(), y.ravel()], axis=1)


class ImageSobolevLoss:
    """Σ_k (1 + |k|²)^s |R̂_k|² of the residual image, R̂ = DFT(R)/(R C) (`image_family.sobolev_weights`:
    k = (k_r, k_c) the signed DFT integers, cycles per image side); at s = 0 the mean squared error."""

    name = "image Sobolev loss"

    def __init__(self, shape: tuple[int, int], s: float) -> None:
        self.shape, self.s = (int(shape[0]), int(shape[1])), float(s)
        self.weights = torch.tensor(sobolev_weights(self.shape, self.s), dtype=torch.float32)

    def __call__(self, outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        residual = (outputs - targets)[..., 0].reshape(outputs.shape[0], *self.shape)
        spectrum = torch.fft.fft2(residual) / (self.shape[0] * self.shape[1])
        return torch.sum(self.weights * (spectrum.real**2 + spectrum.imag**2), dim=(1, 2))

    def recorded(self, outputs: torch.Tensor) -> torch.Tensor:
        return outputs


def image_fit(setup: ImageFit, seeds: Sequence[int]) -> ImageFitResult:
    """Fit the photograph with one network per seed and measure its radial bands at every snapshot."""
    seeds = tuple(int(seed) for seed in seeds)
    image = photograph(setup.image, (setup.shape[0], setup.shape[1]))
    band_index = radial_bands(image.shape, setup.bands)
    schedule = setup.snapshot_steps
    spec = MLPSpec((2, *setup.hidden, 1), setup.activation)
    config = TrainingConfig(steps=setup.steps, lr=setup.lr, optimizer=setup.optimizer,
                            snapshot_steps=tuple(int(s) for s in schedule), progress=False, description="image")
    loss = MeanSquaredError() if setup.loss == "mse" else ImageSobolevLoss(image.shape, setup.sobolev_s)
    run = train_ensemble(spec, seeds, torch.tensor(pixel_coordinates(image.shape), dtype=torch.float32),
                         torch.tensor(image.reshape(-1, 1), dtype=torch.float32), config, loss=loss)
    fitted = run.outputs["train"][..., 0].reshape(schedule.size, len(seeds), *image.shape)
    finite = np.isfinite(fitted).all(axis=(0, 2, 3))
    errors = np.full((schedule.size, len(seeds), setup.bands), np.nan)
    if finite.any():
        errors[:, finite] = band_errors(fitted[:, finite] - image, image, band_index)
    diverged = tuple(sorted(set(run.diverged_seeds) | {s for s, ok in zip(seeds, finite, strict=True) if not ok}))
    return ImageFitResult(seeds=seeds, steps=schedule, image=image, fitted=fitted, band_errors=errors,
                          diverged=diverged)


def initial_mode_rates(setup: ImageFit, seeds: Sequence[int]) -> np.ndarray:
    """The Rayleigh quotients μ_k = Re(e_k^H K e_k) / (R C) (S, R, C) of each seed's empirical NTK K at
    initialisation (float64, `fpcheck.empirics.ntk`) along every 2D Fourier mode of the pixel grid,
    e_k[r, c] = exp(2πi (k_r r / R + k_c c / C)): in the kernel regime, gradient descent on the loss
    Σ_k w_k |R̂_k|² shrinks the residual's mode k by 1 - 2 η μ_k w_k / (R C) per step."""
    rows, columns = (int(side) for side in setup.shape)
    spec = MLPSpec((2, *setup.hidden, 1), setup.activation)
    kernels = image_ntk(spec, init_ensemble(spec, seeds), pixel_coordinates((rows, columns)))
    r, c = np.meshgrid(np.arange(rows), np.arange(columns), indexing="ij")
    k_r, k_c = np.fft.fftfreq(rows) * rows, np.fft.fftfreq(columns) * columns
    phases = np.exp(2j * np.pi * (k_r[:, None, None, None] * r / rows + k_c[None, :, None, None] * c / columns))
    modes = phases.reshape(rows * columns, rows * columns)  # (mode, pixel), both row-major
    quadratic = np.einsum("kn,snm,km->sk", modes.conj(), kernels, modes, optimize=True)
    return quadratic.real.reshape(len(seeds), rows, columns) / (rows * columns)


def image_ntk(spec: MLPSpec, params: EnsembleParameters, points: np.ndarray) -> np.ndarray:
    """K (S, N, N) = J J^T of each network on the 2D inputs `points` (N, 2), float64 (`fpcheck.empirics.ntk`
    for 1D inputs)."""
    x = torch.as_tensor(np.asarray(points, dtype=np.float64))
    kernels = []
    for module in to_modules(spec, params):
        module = module.double()
        named = {name: tensor.detach() for name, tensor in module.named_parameters()}

        def output(parameters: dict[str, torch.Tensor], point: torch.Tensor,
                   module: torch.nn.Module = module) -> torch.Tensor:
            return functional_call(module, parameters, (point[None],))[0, 0]

        # per-point gradients (vmap over the points of one point's gradient): O(N P), not O(N² P)
        jacobian = vmap(grad(output), in_dims=(None, 0))(named, x)
        flat = torch.cat([block.reshape(x.shape[0], -1) for block in jacobian.values()], dim=1)
        kernels.append((flat @ flat.T).numpy())
    return np.stack(kernels)
