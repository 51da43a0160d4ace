"""The density runs (`fpcheck.empirics.density_fit`, where the setup, results, conventions and measurements
live): two-layer networks with the paired zero-output initialisation of the circle family
(`fpcheck.empirics.circle_training`) trained by gradient descent on one harmonic of the two-piece density's
points through the one engine (`fpcheck.empirics.ensemble.train_ensemble`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from fpcheck.empirics.circle_fit import kernel_steps
from fpcheck.empirics.circle_training import network_spec, paired_initialisation, two_layer_kernel
from fpcheck.empirics.density_fit import DensityFit, DensityFitResult, DensityRun, run_lengths, step_sizes
from fpcheck.empirics.ensemble import TrainingConfig, train_ensemble
from fpcheck.empirics.mlp import EnsembleParameters
from fpcheck.theory.density_ntk import region_components


def density_fit(setup: DensityFit, seeds: Sequence[int], kappa: int, lr: float, steps: int) -> DensityRun:
    """Every seed's paired ReLU network trained on cos κθ at the setup's points for `steps` updates of lr / α²."""
    angles = setup.angles
    inputs = np.stack([np.cos(angles), np.sin(angles)], axis=1)
    target = np.cos(kappa * angles)
    scale = setup.lazy_scale * setup.width**-0.5
    spec = network_spec(setup.width, "relu")
    snapshots = kernel_steps(steps, setup.kernel_snapshots)
    drift: list[np.ndarray] = []
    initial_kernel: list[np.ndarray] = []

    def record(step: int, params: EnsembleParameters) -> None:
        if step not in snapshots:
            return
        kernel = two_layer_kernel(params, inputs, scale, "relu")
        if not initial_kernel:
            initial_kernel.append(kernel)
        reference = initial_kernel[0]
        drift.append(np.linalg.norm(kernel - reference, axis=(1, 2)) / np.linalg.norm(reference, axis=(1, 2)))

    config = TrainingConfig(steps=int(steps), lr=float(lr) / setup.lazy_scale**2, optimizer="gd",
                            snapshot_steps=tuple(range(int(steps) + 1)),
                            description=f"density fit (width {setup.width}, κ = {kappa})")
    run = train_ensemble(spec, seeds, torch.as_tensor(inputs, dtype=torch.float32),
                         torch.as_tensor(target, dtype=torch.float32)[:, None], config,
                         initial=paired_initialisation(spec, seeds), on_snapshot=record,
                         readout=lambda _inputs, outputs: outputs * scale)
    residual = run.outputs["train"][..., 0].astype(float) - target  # (T + 1, S, n)
    return DensityRun(seeds=tuple(seeds), kappa=int(kappa), lr=float(lr),
                      component=region_components(residual, target, setup.labels),
                      kernel_steps=snapshots[:len(drift)].astype(float), drift=np.array(drift),
                      diverged=run.diverged_seeds)


def density_fits(setup: DensityFit, seeds: Sequence[int]) -> DensityFitResult:
    """One run per κ, at the step rule's η_κ for its run length."""
    runs = tuple(density_fit(setup, seeds, kappa, float(lr), int(steps)) for kappa, lr, steps
                 in zip(setup.kappas, step_sizes(setup), run_lengths(setup), strict=True))
    return DensityFitResult(seeds=tuple(seeds), runs=tuple(runs))
