"""Figures of the Poisson claim (`fpcheck.empirics.poisson_race`): max error against time (the CPU time of the
one thread the solvers run on) for the three solvers, and the relative error at each peak over Jacobi's sweeps
and over the DNN's steps (first seed whose network trained)."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from fpcheck.reports.claim import ClaimRun


def solver_race(run: ClaimRun) -> list[Figure]:
    """Max |v - u| against time (the hybrid shifted by its DNN phase); peak errors of Jacobi and the DNN."""
    result, setup = run.result, run.setup
    if not result.dnn:
        return []
    jacobi, dnn, hybrid = result.jacobi, result.dnn[0], result.hybrid[0]
    switch = float(result.switch_seconds[0])
    figure = Figure(figsize=(11, 3.6))
    axes = figure.add_subplot(1, 3, 1)
    axes.loglog(np.maximum(jacobi.seconds, 1e-4), jacobi.max_error, color="tab:red", label="Jacobi")
    axes.loglog(np.maximum(dnn.seconds, 1e-4), dnn.max_error, color="tab:blue", label="DNN (Ritz)")
    axes.loglog(switch + hybrid.seconds, hybrid.max_error, color="tab:green", linestyle="--", label="DNN then Jacobi")
    axes.plot([switch], [hybrid.max_error[0]], "k*", markersize=10, label=f"switch (step {setup.switch_step})")
    axes.axhline(setup.tolerance, color="grey", linestyle=":", linewidth=0.8)
    axes.set_xlabel("time (s, CPU of one thread)")
    axes.set_ylabel("max |v - u|")
    axes.set_title(f"seed {dnn.seeds[0]}", fontsize=8)
    axes.legend(fontsize=7)
    for panel, (name, history, unit) in enumerate((("Jacobi", jacobi, "sweeps"), ("DNN", dnn, "steps"))):
        axes = figure.add_subplot(1, 3, panel + 2)
        for index, k in enumerate(setup.modes):
            axes.loglog(np.maximum(history.iterations, 1), np.maximum(history.peak_errors[:, index], 1e-6),
                        label=f"peak k = {k}")
        axes.axhline(setup.peak_threshold, color="grey", linestyle=":", linewidth=0.8)
        axes.set_xlabel(unit)
        axes.set_ylabel("relative error at the peak")
        axes.set_title(name, fontsize=8)
        axes.legend(fontsize=7)
    figure.tight_layout()
    return [figure]
