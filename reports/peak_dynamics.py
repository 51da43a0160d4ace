"""Shared pieces of the 1D training-dynamics claims (CLAIMS.md, "1D training dynamics").

A claim's parameters (plain JSON-able values) become a network, a grid and a training configuration
here; per-seed numbers become tidy rows; and the figures readers know from the sources are drawn:
the heatmap of Δ_F (Xu et al.) or of the normalised amplitude 2|c_k|/A (Rahaman et al.) per peak over
training steps, the target against the fit at a few steps, and the convergence steps per seed.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure

from empirics.ensemble import TrainingConfig
from empirics.grids import PeriodicGrid, periodic_grid
from empirics.mlp import MLPSpec
from empirics.spectra import rank_correlation
from reports.claim import Params, concat, tidy

CURVE_POINTS = 60  # snapshots per curve written to the results table (the figures use every snapshot)


def target_peaks(params: Params) -> tuple[list[int], list[float]]:
    """The target's peaks (`frequencies`) in increasing frequency, with their `amplitudes`."""
    order = np.argsort(params["frequencies"])
    return [int(params["frequencies"][i]) for i in order], [float(params["amplitudes"][i]) for i in order]


def rho_text(x: Sequence[float], rows: np.ndarray) -> str:
    """Spearman ρ between `x` and each row of `rows` (one row per seed), as "0.98, 1.00, ..."."""
    return ", ".join(f"{rank_correlation(np.asarray(x, float), row):.2f}" for row in rows)


def network_spec(params: Params, init_scale: float | None = None) -> MLPSpec:
    """The MLP of a claim: one input, `hidden` widths, one output, `activation`, `init`, `init_scale`."""
    scale = float(params["init_scale"]) if init_scale is None else float(init_scale)
    return MLPSpec((1, *(int(w) for w in params["hidden"]), 1), str(params["activation"]), str(params["init"]), scale)


def grid_of(params: Params) -> PeriodicGrid:
    """The on-bin grid of `points` points on `interval` = [start, stop) (endpoint excluded)."""
    start, stop = (float(v) for v in params["interval"])
    return periodic_grid(int(params["points"]), start, stop)


def snapshot_steps(steps: int, every: int) -> tuple[int, ...]:
    """0, every, 2 every, ..., and the last step."""
    if every < 1:
        raise ValueError(f"snapshot_every must be a positive integer, not {every}")
    return tuple(sorted({*range(0, steps + 1, every), steps}))


def training_config(params: Params, description: str, record_norms: bool = False) -> TrainingConfig:
    """Full-batch training as the claim's parameters say (`steps`, `lr`, `optimizer`, `snapshot_every`)."""
    steps = int(params["steps"])
    return TrainingConfig(
        steps=steps,
        lr=float(params["lr"]),
        optimizer=str(params.get("optimizer", "adam")),
        snapshot_steps=snapshot_steps(steps, int(params.get("snapshot_every", 1))),
        record_norms=record_norms,
        description=description,
    )


def curve_rows(seed: int, quantity: str, steps: np.ndarray, values: np.ndarray) -> pd.DataFrame:
    """Rows of a training curve, thinned to about CURVE_POINTS snapshots (always keeping the last)."""
    keep = np.unique(np.append(np.linspace(0, steps.size - 1, min(CURVE_POINTS, steps.size)).astype(int), -1))
    return tidy(seed, quantity, np.asarray(values)[keep], x=np.asarray(steps)[keep])


def peak_curve_rows(
    seeds: Sequence[int], quantity: str, steps: np.ndarray, peaks: Sequence[int], values: np.ndarray
) -> pd.DataFrame:
    """Rows "<quantity>_k<k>" against the step for every seed and peak; values (T, S, P)."""
    return concat(
        [
            curve_rows(seed, f"{quantity}_k{k}", steps, values[:, member, index])
            for member, seed in enumerate(seeds)
            for index, k in enumerate(peaks)
        ]
    )


# ------------------------------------------------------------------------------------------------
# figures


def heatmap_figure(
    steps: np.ndarray,
    peaks: Sequence[int],
    values: np.ndarray,
    title: str,
    label: str,
    log: bool,
    marks: np.ndarray | None = None,
) -> Figure:
    """A heatmap of values (T, P) per peak (rows, low to high) over training steps (columns).

    `marks` (P,) draws each peak's convergence step as a black tick (beyond the last step: not drawn).
    """
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


def fit_figure(
    x: np.ndarray, target: np.ndarray, outputs: np.ndarray, steps: np.ndarray, title: str, shown: int = 4
) -> Figure:
    """The target (black) and the fit (coloured) at `shown` snapshots spread over training; outputs (T, N)."""
    figure = Figure(figsize=(8, 3.2))
    axes = figure.add_subplot(1, 1, 1)
    axes.plot(x, target, "k.", markersize=3, label="target")
    picks = np.unique(np.round(np.geomspace(1, steps.size, shown)).astype(int) - 1)
    for pick in picks:
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
