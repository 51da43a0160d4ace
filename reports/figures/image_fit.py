"""Figures of the image claim (`fpcheck.empirics.image_family`): the network's image at a few snapshots
beside the photograph, and the relative error of every radial band over training (first seed)."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from fpcheck.reports.claim import ClaimRun


def coarse_to_fine(run: ClaimRun) -> list[Figure]:
    """Four snapshots of the first seed's image and the photograph; the band errors as a heatmap."""
    result = run.result
    steps = result.steps
    picks = np.unique(np.round(np.linspace(steps.size // 3, steps.size - 1, 4)).astype(int))
    figure = Figure(figsize=(2.4 * (picks.size + 1), 4.6))
    for panel, index in enumerate(picks):
        axes = figure.add_subplot(2, picks.size + 1, panel + 1)
        axes.imshow(np.clip(result.fitted[index, 0], 0, 1), cmap="gray", vmin=0, vmax=1)
        axes.set_title(f"step {steps[index]}", fontsize=8)
        axes.axis("off")
    axes = figure.add_subplot(2, picks.size + 1, picks.size + 1)
    axes.imshow(result.image, cmap="gray", vmin=0, vmax=1)
    axes.set_title("photograph", fontsize=8)
    axes.axis("off")
    axes = figure.add_subplot(2, 1, 2)
    errors = result.band_errors[:, 0]
    mesh = axes.pcolormesh(np.arange(steps.size + 1), np.arange(errors.shape[1] + 1), errors.T, cmap="RdBu_r",
                           vmin=0, vmax=1)
    ticks = np.unique(np.linspace(0, steps.size - 1, 6).astype(int))
    axes.set_xticks(ticks + 0.5, [str(steps[t]) for t in ticks])
    axes.set_xlabel("training step (snapshots, log-spaced)")
    axes.set_ylabel("radial band (low → high)")
    figure.colorbar(mesh, ax=axes, label=f"relative error (seed {run.seeds[0]})")
    figure.tight_layout()
    return [figure]
