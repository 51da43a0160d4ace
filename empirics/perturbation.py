"""Amplitude loss of a trained network's spectral peaks under random parameter perturbations.

Rahaman et al. 2019, §5 ("not all functions are equally likely"): perturb the parameters θ of trained
networks by random δθ of a fixed norm and measure how much of each frequency's amplitude survives;
higher frequencies are predicted to be less robust. Here, for seed s, norm r and peak k:

    loss_s(r, k) = mean over samples of (|c_k(θ_s)| - |c_k(θ_s + r u)|) / |c_k(θ_s)|,

u a direction drawn uniformly on the unit sphere of the full parameter vector (every weight and bias:
a standard Gaussian vector divided by its Euclidean norm), c_k the Fourier coefficient of the output
on the grid (`empirics.spectra` convention). The same directions serve every norm (common random
numbers), drawn from the seed's "perturbation" stream.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from fpcheck.empirics.grids import PeriodicGrid
from fpcheck.empirics.mlp import EnsembleParameters, MLPSpec, ensemble_forward
from fpcheck.empirics.seeding import torch_generator
from fpcheck.empirics.spectra import peak_coefficients


def amplitude_loss(
    spec: MLPSpec,
    params: EnsembleParameters,
    seeds: Sequence[int],
    grid: PeriodicGrid,
    peaks: Sequence[int],
    norms: Sequence[float],
    samples: int,
    chunk: int = 32,
    inputs: np.ndarray | None = None,
) -> np.ndarray:
    """Mean relative amplitude loss, shape (S, R, P) for S seeds, R norms and P peaks (see module doc).

    The network input is the grid's points (d_in = 1), or `inputs` (N, d_in) at those points (an input
    encoding); params holds one network per seed.
    """
    norms_ = np.asarray(norms, dtype=float)
    if norms_.ndim != 1 or norms_.size == 0 or not np.all(np.isfinite(norms_)) or np.any(norms_ <= 0):
        raise ValueError(f"perturbation norms must be finite positive numbers, not {list(norms)}")
    if isinstance(samples, bool) or not isinstance(samples, int) or samples < 1 or chunk < 1:
        raise ValueError(f"samples and chunk must be positive integers, not {samples!r}, {chunk!r}")
    if params.members != len(seeds):
        raise ValueError(f"params hold {params.members} networks for {len(seeds)} seeds")
    if inputs is None:
        x = torch.as_tensor(grid.points, dtype=torch.float32)[:, None]
    else:
        x = torch.as_tensor(inputs, dtype=torch.float32)
        if x.dim() != 2 or not torch.isfinite(x).all():
            raise ValueError(f"inputs must be a finite (N, d_in) array, not one of shape {tuple(x.shape)}")
    if spec.widths[0] != x.shape[1] or spec.widths[-1] != 1 or x.shape[0] != grid.points.size:
        raise ValueError(f"amplitude_loss needs networks of input width {x.shape[1]} and one output, and one input "
                         "per grid point")
    if not all(torch.isfinite(t).all() for t in params.tensors):
        raise ValueError("amplitude_loss: the trained parameters hold NaN or inf")
    with torch.no_grad():
        base = np.abs(peak_coefficients(ensemble_forward(spec, params, x)[..., 0].double().numpy(), grid, peaks))
    if np.any(base == 0):
        raise ValueError("a trained network has zero amplitude at a peak: the relative loss is undefined")
    result = np.zeros((len(seeds), norms_.size, len(peaks)))
    for member, seed in enumerate(seeds):
        generator = torch_generator(seed, "perturbation")
        own = [t[member] for t in params.tensors]
        for start in range(0, samples, chunk):
            count = min(chunk, samples - start)
            directions = [torch.randn((count, *t.shape), generator=generator) for t in own]
            length = torch.sqrt(sum(d.flatten(1).double().pow(2).sum(dim=1) for d in directions)).float()
            scales = torch.as_tensor(norms_, dtype=torch.float32).view(-1, 1, 1, 1)
            perturbed = [
                (t + scales * (d / length.view(-1, 1, 1))).flatten(0, 1) for t, d in zip(own, directions, strict=True)
            ]
            layers = len(params.weights)
            members = EnsembleParameters(perturbed[:layers], perturbed[layers:])
            with torch.no_grad():
                out = ensemble_forward(spec, members, x)[..., 0].double().numpy()
            amplitudes = np.abs(peak_coefficients(out, grid, peaks)).reshape(norms_.size, count, len(peaks))
            result[member] += np.sum((base[member] - amplitudes) / base[member], axis=1)
    return result / samples

