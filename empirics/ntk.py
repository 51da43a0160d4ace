"""The empirical neural tangent kernel of ensemble MLPs, and its rates along Fourier modes of a grid.

For a network f(x; θ), the empirical NTK at θ is K(x, x') = Σ_p ∂_p f(x) ∂_p f(x') over every parameter p
(Jacot, Gabriel, Hongler 2018, arXiv:1806.07572). Under gradient descent on the loss Σ_k w_k |r̂_k|² of
the residual r on a periodic grid (`fpcheck.empirics.losses`: w_k = 1 for the mean squared error up to a
constant, w_k = (1 + k²)^s for the Sobolev loss), and while the kernel stays near its initial value, the
residual evolves as dr/dt = -η K W r with W the Fourier weighting; along a Fourier mode e_k that K nearly
diagonalises, the rate of frequency k is proportional to λ_k w_k, where λ_k is the Rayleigh quotient

    λ_k = Re(e_k^H K e_k) / (e_k^H e_k),  e_k[j] = exp(2πi k x_j / P)

(ordinary frequency k in cycles per period P; Basri et al. 2020, arXiv:2003.04560, for the kernel regime,
Yu, Yang, Townsend 2023, arXiv:2205.14300, for the weighting). A larger λ_k w_k means a faster decay of
frequency k. The kernel is computed in float64 from the float32 initialisation of `init_ensemble`, so
the networks are those a claim's seeds train. The Jacobians are computed on the task's device
(`fpcheck.empirics.runtime.device`); the kernels come back as numpy.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch.func import functional_call, jacrev

from fpcheck.empirics.grids import PeriodicGrid
from fpcheck.empirics.mlp import EnsembleParameters, MLPSpec, init_ensemble, to_modules
from fpcheck.empirics.runtime import device

MAX_KERNEL_ENTRIES = 1 << 26
"""points² × parameters beyond which the Jacobian contraction is refused (~0.5 GiB of float64)."""


def empirical_ntk(spec: MLPSpec, params: EnsembleParameters, points: np.ndarray) -> np.ndarray:
    """K (S, N, N) of each network of the ensemble on the 1D inputs `points` (N,), float64."""
    on = device()
    x = torch.as_tensor(np.asarray(points, dtype=np.float64)[:, None], device=on)
    kernels = []
    for module in to_modules(spec, params):
        module = module.double().to(on)
        named = {name: tensor.detach() for name, tensor in module.named_parameters()}
        count = sum(tensor.numel() for tensor in named.values())
        if x.shape[0] * count > MAX_KERNEL_ENTRIES:
            raise ValueError(f"{x.shape[0]} points × {count} parameters exceeds the NTK limit {MAX_KERNEL_ENTRIES}")

        def output(parameters: dict[str, torch.Tensor], module: torch.nn.Module = module) -> torch.Tensor:
            return functional_call(module, parameters, (x,))[:, 0]

        jacobian = jacrev(output)(named)
        flat = torch.cat([block.reshape(x.shape[0], -1) for block in jacobian.values()], dim=1)
        kernels.append((flat @ flat.T).cpu().numpy())
    return np.stack(kernels)


def initial_ntk(spec: MLPSpec, seeds: Sequence[int], points: np.ndarray) -> np.ndarray:
    """The empirical NTK (S, N, N) at the initialisation of the seeds' networks (`init_ensemble`)."""
    return empirical_ntk(spec, init_ensemble(spec, seeds), points)


def mode_rayleigh_quotients(kernel: np.ndarray, grid: PeriodicGrid, frequencies: Sequence[int]) -> np.ndarray:
    """λ_k of each kernel (…, N, N) along e_k (module doc), for each frequency: (…, K)."""
    modes = np.exp(2j * np.pi * np.outer(np.asarray(frequencies, dtype=float), grid.points) / grid.period)  # (K, N)
    quadratic = np.einsum("kn,...nm,km->...k", modes.conj(), kernel, modes)
    return quadratic.real / grid.n


def sobolev_weights(frequencies: Sequence[int], s: float) -> np.ndarray:
    """w_k = (1 + k²)^s of the Sobolev loss (k in cycles per period, the convention of `SobolevLoss`)."""
    k = np.asarray(frequencies, dtype=float)
    return (1.0 + k**2) ** float(s)
