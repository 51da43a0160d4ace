"""Figures of the stage-grid claims of Luo, Ma, Xu, Zhang 2019 (`fpcheck.empirics.stage_grid`): the relative
rate or change against η with the rule's threshold, and the ratio of the reconstructed bound beside the bound
(initial stage, first halving), the band losses over training, the final high/low ratio and the per-band
fractions left (final stage), and the tail of ∂_t h against the predicted decay (regularity exponent).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from fpcheck.empirics.stage_grid import ACTIVATIONS, ROUND_OFF_FLOOR, fitted_tail
from fpcheck.reports.claim import ClaimRun
from fpcheck.theory import stages


def seed_curves(table: pd.DataFrame, quantity: str) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """{seed: (x, value)} of one quantity of a tidy table."""
    rows = table[table["quantity"] == quantity]
    return {int(seed): (group["x"].to_numpy(dtype=float), group["value"].to_numpy(dtype=float))
            for seed, group in rows.groupby("seed")}


def threshold_value(run: ClaimRun, quantity: str) -> float:
    rows = run.prediction.table[run.prediction.table["quantity"] == quantity]
    return float(rows["value"].iloc[0])


def relative_figure(run: ClaimRun, quantity: str, threshold: str, ylabel: str) -> Figure:
    """The rule's quantity against η (log y) per activation, every seed, with its threshold."""
    figure = Figure(figsize=(12, 3.6))
    limit = threshold_value(run, threshold)
    for panel, activation in enumerate(ACTIVATIONS):
        axes = figure.add_subplot(1, len(ACTIVATIONS), panel + 1)
        for index, (x, values) in enumerate(seed_curves(run.measurement.table, f"{activation}.{quantity}").values()):
            axes.semilogy(x, np.maximum(values, 1e-300), "o-", markersize=3, color="tab:blue", alpha=0.6,
                          label="measured (one line per seed)" if index == 0 else None)
        axes.axhline(limit, color="tab:red", linestyle="--", label=f"rule: ≤ {limit:g} (1: no frequency bias)")
        axes.set_xlabel("η (ordinary frequency)")
        axes.set_ylabel(ylabel)
        axes.set_title(activation)
        axes.legend(fontsize=7)
    figure.tight_layout()
    return figure


def ratio_figure(run: ClaimRun, ylabel: str) -> Figure:
    """The ratio of the reconstructed bound against η (log y) per activation, every seed, with the bound."""
    figure = Figure(figsize=(12, 3.6))
    for panel, activation in enumerate(ACTIVATIONS):
        axes = figure.add_subplot(1, len(ACTIVATIONS), panel + 1)
        for index, (x, values) in enumerate(seed_curves(run.measurement.table, f"{activation}.ratio").values()):
            axes.semilogy(x, np.maximum(values, 1e-300), "o-", markersize=3, color="tab:blue", alpha=0.6,
                          label="measured (one line per seed)" if index == 0 else None)
        for index, (x, values) in enumerate(seed_curves(run.prediction.table, f"{activation}.bound").values()):
            axes.semilogy(x, values, "--", color="tab:red", alpha=0.6,
                          label="bound (reconstruction, reported)" if index == 0 else None)
        axes.axhline(ROUND_OFF_FLOOR, color="0.6", linewidth=0.8, label="round-off floor")
        axes.set_xlabel("η (ordinary frequency)")
        axes.set_ylabel(ylabel)
        axes.set_title(activation)
        axes.legend(fontsize=7)
    figure.tight_layout()
    return figure


def initial_stage(run: ClaimRun) -> list[Figure]:
    return [relative_figure(run, "relative_rate", "relative_rate_threshold",
                            "(|dL⁺_η/dt| / L⁺_η) / (|dL/dt| / L) at initialisation"),
            ratio_figure(run, "|dL⁺_η/dt| / |dL/dt| at initialisation")]


def halving_stage(run: ClaimRun) -> list[Figure]:
    return [relative_figure(run, "relative_change", "relative_change_threshold",
                            "(‖P⁺_η Δh‖ / ‖Δh‖) / (‖P⁺_η h_0‖ / ‖h_0‖)"),
            ratio_figure(run, "‖P⁺_η Δh‖ / ‖Δh‖ at the first halving")]


def final_stage(run: ClaimRun) -> list[Figure]:
    """L⁺_η and L⁻_η over training at the middle η (first seed, stages marked), the high/low ratio and the
    fraction of each band's loss left at T."""
    result, figures = run.result, []
    middle = len(run.setup.etas) // 2
    eta = run.setup.etas[middle]
    shown = [a for a in range(len(result.activations)) if result.seeds and not result.diverged[a, 0]]
    if shown:
        figure = Figure(figsize=(12, 3.6))
        for panel, a in enumerate(shown):
            axes = figure.add_subplot(1, len(shown), panel + 1)
            last = int(result.final_step[a, 0])
            steps = np.arange(last + 1)
            axes.semilogy(steps, result.high[a, 0, : last + 1, middle], color="tab:red", label=f"L⁺_η (|ξ| > {eta:g})")
            axes.semilogy(steps, result.low[a, 0, : last + 1, middle], color="tab:blue", label=f"L⁻_η (|ξ| ≤ {eta:g})")
            halving = int(result.halving_step[a, 0])
            marks = (0, halving if halving >= 0 else None, last)
            for name, step, style in zip(("initial", "intermediate", "final"), marks, (":", "--", "-."), strict=True):
                if step is not None:
                    axes.axvline(step, color="0.3", linestyle=style, linewidth=1, label=f"{name} (step {step})")
            evaluated = seed_curves(run.measurement.table, f"{result.activations[a]}.evaluated_step")[result.seeds[0]]
            axes.axvline(float(evaluated[1][0]), color="tab:green", linewidth=1, label="T (evaluated)")
            axes.set_xlabel("gradient-descent step")
            axes.set_ylabel("band loss")
            axes.set_title(f"{result.activations[a]} (seed {result.seeds[0]})")
            axes.legend(fontsize=7)
        figure.tight_layout()
        figures.append(figure)
    factor = threshold_value(run, "high_over_low_threshold")
    figure = Figure(figsize=(12, 6.4))
    for panel, activation in enumerate(ACTIVATIONS):
        axes = figure.add_subplot(2, len(ACTIVATIONS), panel + 1)
        for x, values in seed_curves(run.measurement.table, f"{activation}.high_over_low").values():
            axes.semilogy(x, values, "o-", markersize=3, color="tab:blue", alpha=0.6)
        axes.axhline(factor, color="tab:red", linestyle="--", label=f"prediction: ≥ {factor:g}")
        axes.set_xlabel("η (ordinary frequency)")
        axes.set_ylabel("[L⁺(T)/L⁺(0)] / [L⁻(T)/L⁻(0)]")
        axes.set_title(activation)
        axes.legend(fontsize=7)
        axes = figure.add_subplot(2, len(ACTIVATIONS), len(ACTIVATIONS) + panel + 1)
        for x, values in seed_curves(run.measurement.table, f"{activation}.band_remaining").values():
            axes.semilogy(x, values, "o-", markersize=3, color="tab:blue", alpha=0.6)
        axes.set_xlabel("band from η (ordinary frequency)")
        axes.set_ylabel("band loss at T / at 0")
        axes.set_title(f"{activation}: prediction rises with the band (ρ ≥ 0.9)", fontsize=9)
    figure.tight_layout()
    figures.append(figure)
    return figures


def tail_decay(run: ClaimRun) -> list[Figure]:
    """The tail of ∂_t h of the first seed per activation, its fit window and the predicted decay."""
    result, setup = run.result, run.setup
    if not result.seeds:
        return []
    etas, seed = result.etas, result.seeds[0]
    predicted = run.prediction.table
    figure = Figure(figsize=(4 * len(result.activations), 3.6))
    for panel, activation in enumerate(result.activations):
        axes = figure.add_subplot(1, len(result.activations), panel + 1)
        tails = result.tails[panel, 0]
        if activation in stages.RELU_POWERS:
            low, high = setup.power_low, setup.power_high
            exponent = stages.predicted_power_exponent(activation)
            shown = (etas > 0) & (etas <= 4 * high)
            axes.loglog(etas[shown], tails[shown], color="tab:blue", label="measured")
            anchor = int(np.searchsorted(etas, low))
            guide = etas[shown & (etas >= low / 4)]
            axes.loglog(guide, tails[anchor] * (guide / etas[anchor]) ** exponent, "r--",
                        label=f"predicted η^({exponent:g})")
            axes.axvspan(low, high, color="0.9", zorder=0, label="fit window")
        else:
            rows = predicted[(predicted["quantity"] == f"{activation}.predicted_rate") & (predicted["seed"] == seed)]
            rate = float(rows["value"].iloc[0])
            window = (etas > 0) & (tails < setup.rate_ceiling) & (tails > setup.rate_floor)
            if window.sum() < 3:  # the tail never enters the window: the fit used the power window
                window = (etas >= setup.power_low) & (etas <= setup.power_high)
            start, end = etas[window][0], etas[window][-1]
            shown = etas <= 1.5 * end
            axes.semilogy(etas[shown], np.maximum(tails[shown], 1e-18), color="tab:blue", label="measured")
            guide = etas[(etas >= start / 2) & (etas <= 1.2 * end)]
            anchor = int(np.flatnonzero(window)[0])
            axes.semilogy(guide, tails[anchor] * np.exp(-rate * (guide - etas[anchor])), "r--",
                          label=f"predicted e^(-{rate:.2f} η)")
            axes.axvspan(start, end, color="0.9", zorder=0, label="fit window")
            axes.set_ylim(1e-17, 2.0)
        axes.set_xlabel("η (ordinary frequency)")
        axes.set_ylabel("‖P⁺_η ∂_t h‖ / ‖∂_t h‖")
        axes.set_title(f"{activation} (seed {seed}), fitted {fitted_tail(setup, activation, etas, tails):.3g}")
        axes.legend(fontsize=7)
    figure.tight_layout()
    return [figure]
