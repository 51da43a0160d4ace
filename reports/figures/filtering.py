"""Figures of the filtering claims (`fpcheck.empirics.filtering_fit`): e_low and e_high of the first seed
over training as fractions of their values at step 0, at up to five of the claim's Gaussian scales δ,
against the threshold."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from fpcheck.empirics.filtering_fit import DATA_DESCRIPTIONS
from fpcheck.reports.claim import ClaimRun


def step_axis(axes, steps: np.ndarray) -> None:
    """A symlog axis of training steps (the snapshots are log-spaced, step 0 included)."""
    axes.set_xscale("symlog", linthresh=1.0)
    axes.set_xlim(0, steps[-1] * 1.05)
    axes.set_xlabel("training step")


def filtering(run: ClaimRun) -> list[Figure]:
    """One panel per shown δ: e_low/e_low(0) (blue) and e_high/e_high(0) (red) of the first seed, the threshold
    dotted (a part converges when its curve first falls below it)."""
    setup, result = run.setup, run.result
    steps, ratios = result.steps, np.asarray(setup.delta_ratios)
    shown = np.unique(np.round(np.linspace(0, ratios.size - 1, min(5, ratios.size))).astype(int))
    figure = Figure(figsize=(3.2 * shown.size, 3.2))
    for panel, index in enumerate(shown):
        axes = figure.add_subplot(1, shown.size, panel + 1)
        low, high = result.e_low[index, :, 0], result.e_high[index, :, 0]
        axes.plot(steps, low / low[0], color="tab:blue", label="e_low / e_low(0)")
        axes.plot(steps, high / high[0], color="tab:red", label="e_high / e_high(0)")
        axes.axhline(setup.threshold, color="grey", linestyle=":", linewidth=0.8)
        step_axis(axes, steps)
        axes.set_title(f"δ = {ratios[index]:.3g} × median |x_i - x_j|²", fontsize=8)
        if panel == 0:
            axes.set_ylabel(f"error / its value at step 0 (seed {run.seeds[0]})")
            axes.legend(fontsize=7)
    weight = f", α = {setup.high_weight:g} on r_high at δ = {setup.high_weight_delta:g} × median"
    training = f"{setup.loss.replace('_', ' ')}, {setup.optimizer}" + (weight if setup.high_weight else "")
    figure.suptitle(f"Filtering method on {DATA_DESCRIPTIONS[setup.dataset]} ({training})", fontsize=9)
    figure.tight_layout()
    return [figure]
