"""Figures of the circle claims (`fpcheck.empirics.circle_fit`): the empirical NTK's quotients along each
harmonic against λ_κ^(n) with the fluctuation band, and the predicted against the measured learning time per κ
with the deviation per width and the quotient along the harmonic over training, and the same times per order s
of the Sobolev loss (`fpcheck.empirics.sobolev_fit`).
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from fpcheck.empirics.sobolev_fit import ORDERS, order_name
from fpcheck.reports.claim import ClaimRun
from fpcheck.tables import ALL_SEEDS


def _predicted(run: ClaimRun, quantity: str) -> np.ndarray:
    table = run.prediction.table
    rows = table[(table["quantity"] == quantity) & (table["seed"] == ALL_SEEDS)].sort_values("x")
    return rows["value"].to_numpy(dtype=float)


def kernel_eigenvalues(run: ClaimRun) -> list[Figure]:
    """Quotients per seed over λ_κ^(n) (dots) with 1 ± the tolerance over λ_κ^(n) (band), for both kernels."""
    result, kappas = run.result, np.asarray(run.setup.kappas, dtype=float)
    figure = Figure(figsize=(10, 3.4))
    for index, (suffix, measured, title) in enumerate((("", result.quotients_both, "all parameters"),
                                                       ("_hidden", result.quotients_hidden, "hidden layer (w, b)"))):
        axes = figure.add_subplot(1, 2, index + 1)
        lam, tolerance = _predicted(run, f"ntk_eigenvalue{suffix}"), _predicted(run, f"fluctuation_tolerance{suffix}")
        axes.fill_between(kappas, 1 - tolerance / lam, 1 + tolerance / lam, color="tab:blue", alpha=0.25,
                          label="1 ± tolerance / λ_κ^(n)")
        axes.axhline(1.0, color="tab:blue", linewidth=1)
        for member, seed in enumerate(run.seeds):
            axes.plot(kappas + 0.06 * (member - len(run.seeds) / 2), measured[member] / lam, ".", markersize=5,
                      label=f"seed {seed}" if member < 5 else None)
        axes.set_xlabel("harmonic κ")
        axes.set_ylabel("Rayleigh quotient along e_κ / λ_κ^(n)")
        axes.set_title(f"empirical NTK at initialisation, {title}, width {run.setup.widths[0]}", fontsize=8)
        axes.legend(fontsize=6)
    figure.tight_layout()
    return [figure]


def learning_times(run: ClaimRun) -> list[Figure]:
    """Measured t_κ per seed and width against the predicted t_κ (log scale); the worst deviation per width
    (log-log, when there are several widths); |r̂_κ(t)|/|r̂_κ(0)| and the quotient along cos κθ over training at
    the widest width (first seed)."""
    setup, art = run.setup, run.measurement.artifacts
    kappas = np.asarray(setup.kappas, dtype=float)
    predicted = _predicted(run, "predicted_learning_time")
    figures = []
    figure = Figure(figsize=(10, 3.4))
    axes = figure.add_subplot(1, 2, 1)
    axes.plot(kappas, predicted, "k-", linewidth=1.2, label="predicted t_κ")
    axes.fill_between(kappas, 0.85 * predicted, 1.15 * predicted, color="grey", alpha=0.25, label="± 15 %")
    for index, width in enumerate(setup.widths):
        times = art["times"][width]
        for member in range(times.shape[0]):
            axes.plot(kappas + 0.05 * index, times[member], "o", markersize=3, color=f"C{index}",
                      label=f"measured, width {width}" if member == 0 else None)
    axes.set_yscale("log")
    axes.set_xlabel("harmonic κ")
    axes.set_ylabel(f"steps to δ = {setup.delta:g}")
    axes.set_title("predicted and measured learning time per harmonic", fontsize=9)
    axes.legend(fontsize=6)
    right = figure.add_subplot(1, 2, 2)
    for index, width in enumerate(setup.widths):
        ratio = art["times"][width] / predicted
        right.plot(kappas + 0.05 * index, ratio.T, "o", markersize=3, color=f"C{index}")
        right.plot([], [], "o", color=f"C{index}", label=f"width {width}")
    right.axhspan(0.85, 1.15, color="grey", alpha=0.25)
    right.axhline(1.0, color="black", linewidth=0.8)
    right.set_yscale("log")
    right.set_xlabel("harmonic κ")
    right.set_ylabel("measured / predicted t_κ")
    right.legend(fontsize=6)
    figure.tight_layout()
    figures.append(figure)
    if "deviation" in art and len(setup.widths) > 1:
        figure = Figure(figsize=(5, 3.4))
        axes = figure.add_subplot(1, 1, 1)
        for member, seed in enumerate(run.seeds):
            axes.plot(setup.widths, art["deviation"][member], "o-", linewidth=0.8, markersize=3, label=f"seed {seed}")
        widths = np.asarray(setup.widths, dtype=float)
        middle = np.exp(np.mean(np.log(np.median(art["deviation"], axis=0))))
        axes.plot(widths, middle * (widths / np.exp(np.mean(np.log(widths)))) ** -0.5, "k--", linewidth=0.8,
                  label="∝ width^-1/2")
        axes.set_xscale("log")
        axes.set_yscale("log")
        axes.set_xlabel("width m")
        axes.set_ylabel("max_κ |t/t_κ - 1|")
        axes.set_title("worst deviation from the kernel-regime time", fontsize=9)
        axes.legend(fontsize=6)
        figure.tight_layout()
        figures.append(figure)
    widest = setup.widths[-1]
    figure = Figure(figsize=(10, 3.4))
    left, right = figure.add_subplot(1, 2, 1), figure.add_subplot(1, 2, 2)
    for index, kappa in enumerate(setup.kappas):
        harmonic = run.result.run(widest, kappa)
        left.plot(np.arange(harmonic.component.shape[0]) / predicted[index], harmonic.component[:, 0], linewidth=1,
                  color=f"C{index}", label=f"κ = {kappa}")
        right.plot(harmonic.kernel_steps / predicted[index], harmonic.quotients[:, 0] / harmonic.quotients[0, 0], "o-",
                   markersize=3, linewidth=1, color=f"C{index}", label=f"κ = {kappa}")
    left.axhline(setup.delta, color="black", linestyle=":", linewidth=0.8)
    left.set_yscale("log")
    left.set_xlabel("step / predicted t_κ")
    left.set_ylabel("|r̂_κ(t)| / |r̂_κ(0)|")
    left.set_title(f"κ-component of the residual, width {widest}, seed {run.seeds[0]}", fontsize=9)
    left.legend(fontsize=6)
    right.set_xlabel("step / predicted t_κ")
    right.set_ylabel("quotient along cos κθ / initial")
    right.set_title("the kernel along the target cos κθ during training", fontsize=9)
    right.legend(fontsize=6)
    figure.tight_layout()
    figures.append(figure)
    return figures


def sobolev_times(run: ClaimRun) -> list[Figure]:
    """Per order s of the H^s loss: measured t_κ per seed (dots) against the predicted t_κ(s) (line, ± 15 %
    band), log scale, one colour per s; and measured / predicted per s and κ."""
    setup, times = run.setup, run.measurement.artifacts["times"]
    kappas = np.asarray(setup.kappas, dtype=float)
    figure = Figure(figsize=(10, 3.6))
    left, right = figure.add_subplot(1, 2, 1), figure.add_subplot(1, 2, 2)
    for index, s in enumerate(ORDERS):
        predicted, colour = _predicted(run, f"predicted_learning_time_{order_name(s)}"), f"C{index}"
        left.plot(kappas, predicted, "-", color=colour, linewidth=1.2, label=f"s = {s:g}: predicted")
        left.fill_between(kappas, 0.85 * predicted, 1.15 * predicted, color=colour, alpha=0.15)
        offset = 0.04 * (index - len(ORDERS) / 2)
        left.plot(kappas + offset, times[s].T, "o", color=colour, markersize=3)
        right.plot(kappas + offset, (times[s] / predicted).T, "o", color=colour, markersize=3)
        right.plot([], [], "o", color=colour, label=f"s = {s:g}")
    left.set_yscale("log")
    left.set_xlabel("harmonic κ")
    left.set_ylabel(f"steps to δ = {setup.delta:g}")
    left.set_title(f"H^s loss, width {setup.widths[0]}: learning time per harmonic (dots: seeds)", fontsize=9)
    left.legend(fontsize=6)
    right.axhspan(0.85, 1.15, color="grey", alpha=0.25)
    right.axhline(1.0, color="black", linewidth=0.8)
    right.set_xlabel("harmonic κ")
    right.set_ylabel("measured / predicted t_κ(s)")
    right.set_title("the rate 2ηλ_κ(1 + κ²)^s against the networks", fontsize=9)
    right.legend(fontsize=6)
    figure.tight_layout()
    return [figure]
