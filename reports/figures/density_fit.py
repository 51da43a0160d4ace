"""Figures of the density claim (`fpcheck.empirics.density_fit`): the measured local learning time in each half
against the exact kernel dynamics and the 1/p asymptote per κ, and the local components over training against
the kernel dynamics.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from fpcheck.empirics.density_fit import predicted_components
from fpcheck.reports.claim import ClaimRun
from fpcheck.tables import ALL_SEEDS

HALVES = (("dense", "tab:blue"), ("sparse", "tab:red"))


def _predicted(run: ClaimRun, quantity: str) -> np.ndarray:
    table = run.prediction.table
    rows = table[(table["quantity"] == quantity) & (table["seed"] == ALL_SEEDS)].sort_values("x")
    return rows["value"].to_numpy(dtype=float)


def region_times(run: ClaimRun) -> list[Figure]:
    """Left: per half, the kernel-dynamics time (line, ± 20 % band), the 1/p asymptote (dashed) and the measured
    times per seed (dots) against κ. Right: |c_r(t)| of the first seed (solid) and of the kernel dynamics (dotted)
    per κ and half."""
    setup, times = run.setup, run.measurement.artifacts["times"]
    kappas = np.asarray(setup.kappas, dtype=float)
    figure = Figure(figsize=(10, 3.6))
    left, right = figure.add_subplot(1, 2, 1), figure.add_subplot(1, 2, 2)
    for region, (name, colour) in enumerate(HALVES):
        predicted = _predicted(run, f"predicted_{name}_time")
        left.plot(kappas, predicted, "-", color=colour, linewidth=1.2, label=f"{name}: kernel dynamics")
        left.fill_between(kappas, 0.8 * predicted, 1.2 * predicted, color=colour, alpha=0.2)
        left.plot(kappas, _predicted(run, f"asymptotic_{name}_time"), "--", color=colour, linewidth=0.8,
                  label=f"{name}: 1/p asymptote")
        for member in range(times.shape[0]):
            left.plot(kappas + 0.04 * (member - times.shape[0] / 2), times[member, :, region], "o", markersize=3,
                      color=colour, label=f"{name}: measured" if member == 0 else None)
    left.set_yscale("log")
    left.set_xlabel("harmonic κ")
    left.set_ylabel(f"steps to δ = {setup.delta:g}")
    left.set_title(f"local learning time, density ratio {setup.dense_points}:{setup.sparse_points}, width "
                   f"{setup.width}", fontsize=9)
    left.legend(fontsize=6)
    for index, kappa in enumerate(setup.kappas):
        harmonic = run.result.run(kappa)
        component = harmonic.component
        kernel = np.abs(predicted_components(setup, kappa, harmonic.lr, component.shape[0] - 1))
        steps = np.arange(component.shape[0])
        for region, (name, _) in enumerate(HALVES):
            style = "-" if region == 0 else "-."
            right.plot(steps, np.abs(component[:, 0, region]), style, color=f"C{index}", linewidth=1,
                       label=f"κ = {kappa}, {name}")
            right.plot(steps, kernel[:, region], ":", color="black", linewidth=0.8)
    right.plot([], [], ":", color="black", label="kernel dynamics")
    right.axhline(setup.delta, color="grey", linewidth=0.8)
    right.set_yscale("log")
    right.set_ylim(bottom=setup.delta / 10)
    right.set_xlabel("step")
    right.set_ylabel("|c_r(t)|")
    right.set_title(f"local κ-component of the residual, seed {run.seeds[0]}", fontsize=9)
    right.legend(fontsize=6)
    figure.tight_layout()
    return [figure]
