"""Figures of the sine-fit claims (`fpcheck.empirics.sine_fit`): the heatmap of Δ_F (Xu et al.) or of
the normalised amplitude 2|f̂(k)|/A (Rahaman et al.) per peak over training, the target against the fit
at a few steps, the convergence steps per seed, the held-out error of early stopping, the amplitude lost
under perturbations and the exact-kink bound over training.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure

from fpcheck.reports.claim import ClaimRun


def heatmap_figure(steps: np.ndarray, peaks: Sequence[int], values: np.ndarray, title: str, label: str, log: bool,
                   marks: np.ndarray | None = None) -> Figure:
    """A heatmap of values (T, P) per peak (rows, low to high) over training steps (columns); `marks` (P,)
    draws each peak's convergence step as a black tick (beyond the last step: not drawn)."""
    figure = Figure(figsize=(8, 0.45 * len(peaks) + 1.8))
    axes = figure.add_subplot(1, 1, 1)
    data = np.asarray(values, dtype=float).T
    norm = None
    if log:
        positive = data[np.isfinite(data) & (data > 0)]
        low = max(float(positive.min()), 1e-4) if positive.size else 1e-3
        norm = LogNorm(vmin=low, vmax=max(float(positive.max()) if positive.size else 1.0, 1.0))
    edges = np.append(steps, steps[-1] + (steps[-1] - steps[-2] if steps.size > 1 else 1))
    mesh = axes.pcolormesh(edges, np.arange(len(peaks) + 1), data, cmap="RdBu", norm=norm, shading="flat")
    axes.set_yticks(np.arange(len(peaks)) + 0.5, [str(k) for k in peaks])
    axes.set_xlabel("training step")
    axes.set_ylabel("frequency k")
    axes.set_title(title, fontsize=9)
    figure.colorbar(mesh, ax=axes, label=label)
    if marks is not None:
        for index, step in enumerate(marks):
            if np.isfinite(step) and step <= steps[-1]:
                axes.plot([step, step], [index + 0.1, index + 0.9], color="black", linewidth=2)
    figure.tight_layout()
    return figure


def fit_figure(x: np.ndarray, target: np.ndarray, outputs: np.ndarray, steps: np.ndarray, title: str,
               shown: int = 4) -> Figure:
    """The target (black) and the fit (coloured) at `shown` snapshots spread over training; outputs (T, N)."""
    figure = Figure(figsize=(8, 3.2))
    axes = figure.add_subplot(1, 1, 1)
    axes.plot(x, target, "k.", markersize=3, label="target")
    for pick in np.unique(np.round(np.geomspace(1, steps.size, shown)).astype(int) - 1):
        axes.plot(x, outputs[pick], linewidth=1.2, label=f"step {int(steps[pick])}")
    axes.set_xlabel("x")
    axes.set_ylabel("f(x)")
    axes.set_title(title, fontsize=9)
    axes.legend(fontsize=7, ncol=3)
    figure.tight_layout()
    return figure


def convergence_figure(peaks: Sequence[int], steps_per_seed: np.ndarray, seeds: Sequence[int], label: str) -> Figure:
    """The convergence step of each peak (x) for every seed (one line each); steps_per_seed (S, P)."""
    figure = Figure(figsize=(5, 3.2))
    axes = figure.add_subplot(1, 1, 1)
    for member, seed in enumerate(seeds):
        axes.plot(peaks, steps_per_seed[member], "o-", linewidth=0.8, markersize=3, label=f"seed {seed}")
    axes.set_xlabel("frequency k")
    axes.set_ylabel(label)
    if len(seeds) <= 10:
        axes.legend(fontsize=6, ncol=2)
    figure.tight_layout()
    return figure


def convergence_order(run: ClaimRun) -> list[Figure]:
    """Δ_F heatmap (first seed), convergence steps per seed, target vs fit (first seed)."""
    art, steps, peaks, seed = run.measurement.artifacts, run.result.steps, run.setup.peaks, run.seeds[0]
    return [
        heatmap_figure(steps, peaks, art["errors"], f"Δ_F(k) = |ĥ(k) - ŷ(k)| / |ŷ(k)| over training, seed {seed} "
                       f"(black tick: convergence step, threshold {run.setup.threshold:g})", "Δ_F", log=True,
                       marks=art["converged"][0]),
        convergence_figure(peaks, art["converged"], run.seeds, "convergence step"),
        fit_figure(art["x"], art["labels"], art["outputs"], steps, f"target and fit, seed {seed}"),
    ]


def learning_order(run: ClaimRun) -> list[Figure]:
    """Rahaman Fig. 1 style heatmap of 2|f̂(k)|/A (first seed), first-reach steps per seed, the fit."""
    art, steps, peaks, seed, level = run.measurement.artifacts, run.result.steps, run.setup.peaks, run.seeds[0], \
        run.setup.level
    return [
        heatmap_figure(steps, peaks, art["amplitude"], f"normalised amplitude 2|f̂(k)|/A over training, seed {seed} "
                       f"(black tick: first reaches {level:g})", "2|f̂(k)|/A", log=False, marks=art["reached"][0]),
        convergence_figure(peaks, art["reached"], run.seeds, f"step reaching {level:g}"),
        fit_figure(art["x"], art["labels"], art["outputs"], steps, f"target and fit, seed {seed}"),
    ]


def init_scales(run: ClaimRun) -> list[Figure]:
    """Δ_F heatmaps from both initialisations, and both fits at the end on training and held-out points."""
    art, setup, seed = run.measurement.artifacts, run.setup, run.seeds[0]
    figures = [heatmap_figure(run.result.standard.steps, setup.peaks, art["errors"][name],
                              f"Δ_F(k) over training, {name} initialisation, seed {seed}", "Δ_F", log=True,
                              marks=art["converged"][name][0]) for name in ("standard", "large")]
    x_train, x_test = setup.train_grid.points, setup.test_grid.points
    figure = Figure(figsize=(8, 3.2))
    axes = figure.add_subplot(1, 1, 1)
    axes.plot(x_train, run.result.standard.labels[0], "k.", markersize=4, label="training points")
    axes.plot(x_test, run.result.standard.test_target, "kx", markersize=3, label="held-out points")
    order = np.argsort(np.concatenate([x_train, x_test]))
    for name, colour in (("standard", "tab:blue"), ("large", "tab:red")):
        values = np.concatenate(art["final"][name])[order]
        axes.plot(np.concatenate([x_train, x_test])[order], values, color=colour, linewidth=1,
                  label=f"{name} init, end of training")
    axes.set_xlabel("x")
    axes.set_title(f"fits at the end of training, seed {seed}", fontsize=9)
    axes.legend(fontsize=7)
    figure.tight_layout()
    return [*figures, figure]


def early_stopping(run: ClaimRun) -> list[Figure]:
    """Held-out error and the fit's noise band over training (dotted: best step); the fits of seed 0."""
    art, result, steps = run.measurement.artifacts, run.result, run.result.steps
    figure = Figure(figsize=(10, 3.4))
    left, right = figure.add_subplot(1, 2, 1), figure.add_subplot(1, 2, 2)
    for member, seed in enumerate(run.seeds):
        (line,) = left.plot(steps, art["test_error"][:, member], linewidth=0.9, label=f"seed {seed}")
        right.plot(steps, art["band"][:, member], color=line.get_color(), linewidth=0.9)
        if np.isfinite(art["best_steps"][member]):
            for axes in (left, right):
                axes.axvline(art["best_steps"][member], color=line.get_color(), linestyle=":", linewidth=0.7)
    left.set_xlabel("training step")
    left.set_ylabel("held-out relative error")
    left.set_yscale("log")
    left.set_title("held-out error (dotted: best step)", fontsize=9)
    low, high = run.setup.noise_band
    right.set_xlabel("training step")
    right.set_ylabel(f"fit amplitude in band [{low}, {high}]")
    right.set_title("the fit's high-frequency band (the label noise's)", fontsize=9)
    if len(run.seeds) <= 10:
        left.legend(fontsize=6)
    figure.tight_layout()
    x_train, x_test = run.setup.train_grid.points, run.setup.test_grid.points
    fit = Figure(figsize=(8, 3.2))
    axes = fit.add_subplot(1, 1, 1)
    axes.plot(x_train, result.labels[0], "k.", markersize=3, label="noisy training labels")
    axes.plot(x_test, result.test_target, "k-", linewidth=0.8, label="clean target")
    best = int(np.argmin(art["test_error"][:, 0]))
    axes.plot(x_test, result.test_outputs[best, 0], color="tab:green", label=f"fit at the best step {int(steps[best])}")
    axes.plot(x_test, result.test_outputs[-1, 0], color="tab:red", label=f"fit at step {int(steps[-1])}")
    axes.set_xlabel("x")
    axes.set_title(f"held-out points, seed {run.seeds[0]}", fontsize=9)
    axes.legend(fontsize=7)
    fit.tight_layout()
    return [figure, fit]


def robustness(run: ClaimRun) -> list[Figure]:
    """Mean relative amplitude loss against k at every norm (median over seeds, seeds faint)."""
    peaks, losses = run.setup.peaks, run.result.losses
    figure = Figure(figsize=(6, 3.6))
    axes = figure.add_subplot(1, 1, 1)
    for index, norm in enumerate(run.setup.perturbation_norms):
        curves = losses[:, index, :]
        (line,) = axes.plot(peaks, np.nanmedian(curves, axis=0), "o-", label=f"‖δθ‖ = {norm:g}")
        for row in curves:
            axes.plot(peaks, row, color=line.get_color(), alpha=0.25, linewidth=0.7)
    axes.axhline(0.0, color="0.6", linewidth=0.7)
    axes.set_xlabel("frequency k")
    axes.set_ylabel("mean relative amplitude loss")
    axes.set_title("amplitude lost under random parameter perturbations (line: median over seeds)", fontsize=8)
    axes.legend(fontsize=7)
    figure.tight_layout()
    return [figure]


def kink_bound(run: ClaimRun) -> list[Figure]:
    """Theorem 1 at the highest peak k over training, per seed: Π‖W_l‖₂ and the piece count N_f; the exact-kink
    bound (solid), the weight-norm bound with N_f (dashed) and the measured |ĥ(k)| (dotted), all over |ŷ(k)|,
    with the step at which the lower peaks were fitted (vertical); the Δ_F heatmap of the first seed."""
    art, result, seeds, k_max = run.measurement.artifacts, run.result, run.seeds, run.setup.peaks[-1]
    steps = result.bound_steps
    figure = Figure(figsize=(11, 3.4))
    norms, pieces, bounds = (figure.add_subplot(1, 3, i) for i in (1, 2, 3))
    for member, seed in enumerate(seeds):
        (line,) = norms.semilogy(steps, art["lipschitz"][:, member], linewidth=0.9, label=f"seed {seed}")
        colour = line.get_color()
        pieces.plot(steps, art["pieces"][:, member], color=colour, linewidth=0.9)
        target = art["target"][member]
        bounds.semilogy(steps, art["kink_bound"][:, member] / target, color=colour, linewidth=1.0)
        bounds.semilogy(steps, art["weight_bound"][:, member] / target, "--", color=colour, linewidth=0.8)
        bounds.semilogy(steps, art["amplitude"][:, member] / target, ":", color=colour, linewidth=0.8)
        if art["lower_fitted"][member] <= result.steps[-1]:
            bounds.axvline(art["lower_fitted"][member], color=colour, linestyle="-.", linewidth=0.6)
    bounds.axhline(1.0, color="black", linewidth=0.8)
    norms.set_title("Π‖W_l‖₂ (exact spectral norms)", fontsize=9)
    pieces.set_title("linear pieces N_f of the network on [0, 1]", fontsize=9)
    bounds.set_title(f"k = {k_max}: exact-kink (—), Π‖W‖₂ N_f (--), |ĥ| (··) over |ŷ(k)|", fontsize=8)
    for axes in (norms, pieces, bounds):
        axes.set_xlabel("training step")
    if len(seeds) <= 10:
        norms.legend(fontsize=6)
    figure.tight_layout()
    heat = heatmap_figure(result.steps, run.setup.peaks, art["errors"][:, 0], f"Δ_F(k) over training, seed {seeds[0]}",
                          "Δ_F", log=True, marks=art["converged"][0])
    return [figure, heat]
