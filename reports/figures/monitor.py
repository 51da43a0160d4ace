"""The monitor's figure (`fpcheck.reports.monitor_claim`): each item's error over the observed steps, as curves
and as a heat map (items from low to high frequency), with the convergence steps marked."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from fpcheck.reports.claim import ClaimRun


def monitor(run: ClaimRun) -> list[Figure]:
    artifacts = run.measurement.artifacts
    items, errors, label = artifacts["items"], artifacts["errors"], artifacts["label"]
    steps = run.result.steps
    table = run.measurement.table
    converged = table[table["quantity"] == "convergence_step"].sort_values("x")["value"].to_numpy()
    figure = Figure(figsize=(10, 3.4))
    curves = figure.add_subplot(1, 2, 1)
    for index, item in enumerate(items):
        label = f"{artifacts['item_name']} {item:.3g}"
        line, = curves.semilogy(steps, np.maximum(errors[:, index], 1e-12), label=label)
        if converged[index] <= steps[-1]:
            curves.axvline(converged[index], color=line.get_color(), linestyle=":", linewidth=1)
    curves.set_xlabel("step")
    curves.set_ylabel(label)
    curves.legend(fontsize=6)
    heat = figure.add_subplot(1, 2, 2)
    image = heat.imshow(np.log10(np.maximum(errors.T, 1e-12)), aspect="auto", origin="lower", cmap="viridis",
                        extent=(float(steps[0]), float(steps[-1]), -0.5, items.size - 0.5))
    heat.set_yticks(range(items.size), [f"{item:.3g}" for item in items])
    heat.set_xlabel("step")
    heat.set_ylabel(artifacts["item_name"])
    heat.set_title(f"log10 {label}", fontsize=8)
    figure.colorbar(image, ax=heat)
    figure.tight_layout()
    return [figure]
