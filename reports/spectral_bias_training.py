"""Predictions, measurements and figures of the spectral-bias training claims of Rahaman et al. 2019
(Figs. 1 and 2, §5) and of the spectral-norm argument of Xu 2018 (Fig. 3) set against them.

The claims themselves (ids, sources, setups) are registered in `reports/claims/rahaman2019.py` and
`reports/claims/xu2018.py`. Setting (Rahaman et al. 2019, Eq. 8): 1D ReLU networks fitted to
λ(z) = Σ_i A_i sin(2πk_i z + φ_i) on an on-bin grid of [0, 1), phases drawn per seed. Spectra follow
`empirics.spectra`: c_k = (1/n) Σ_j v_j e^{-2πikz_j}, so the normalised amplitude |ĥ(k)| / |ŷ(k)| equals
Rahaman's 2|f̂(k_i)| / A_i.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from matplotlib.figure import Figure

from empirics.ensemble import SnapshotHook
from empirics.grid_training import GridRun, sine_targets, train_on_grid
from empirics.mlp import EnsembleParameters
from empirics.norms import norm_product, spectral_norms
from empirics.perturbation import amplitude_loss
from empirics.spectra import convergence_steps, first_reach_steps, rank_correlation
from reports.claim import ALL_SEEDS, Measurement, Params, Prediction, concat, tidy
from reports.peak_dynamics import (
    convergence_figure,
    curve_rows,
    fit_figure,
    grid_of,
    heatmap_figure,
    network_spec,
    peak_curve_rows,
    rho_text,
    target_peaks,
    training_config,
)
from theory import relu_spectrum


def _fit(
    params: Params, seeds: Sequence[int], description: str, on_snapshot: SnapshotHook | None = None
) -> GridRun:
    """Train the claim's ReLU networks on Rahaman's target with per-seed phases."""
    peaks, amplitudes = target_peaks(params)
    grid = grid_of(params)
    targets = sine_targets(seeds, peaks, amplitudes, grid.period, random_phase=True)
    labels = np.stack([target(grid.points) for target in targets])
    config = training_config(params, description)
    return train_on_grid(network_spec(params), seeds, grid, labels, config, on_snapshot=on_snapshot)


def _normalised_amplitudes(fit: GridRun, peaks: Sequence[int]) -> np.ndarray:
    """|ĥ(k)| / |ŷ(k)| = 2|f̂(k)|/A (T, S, P)."""
    return np.abs(fit.coefficients(peaks)) / np.abs(fit.label_coefficients(peaks))[None]


# ------------------------------------------------------------------------------------------------
# rahaman2019.fig1-equal-amplitudes and rahaman2019.fig2-increasing-amplitudes


def predict_learning_order(params: Params, seeds: Sequence[int]) -> Prediction:
    peaks, amplitudes = target_peaks(params)
    return Prediction(
        concat([]),
        f"spectral bias: the step at which 2|f̂(k)|/A first reaches {params['level']:g} increases with k "
        f"(ρ ≥ 0.9) for k = {peaks}, amplitudes {amplitudes}",
    )


def measure_learning_order(params: Params, seeds: Sequence[int]) -> Measurement:
    peaks, _ = target_peaks(params)
    fit = _fit(params, seeds, "rahaman2019 learning order")
    amplitude = _normalised_amplitudes(fit, peaks)
    reached = first_reach_steps(fit.steps, amplitude, float(params["level"]))
    frames = [peak_curve_rows(seeds, "normalised_amplitude", fit.steps, peaks, amplitude)]
    for member, seed in enumerate(seeds):
        frames += [
            tidy(seed, "first_reach_step", reached[member], x=peaks),
            tidy(seed, "final_train_loss", fit.run.loss[-1, member]),
        ]
    median = np.median(reached, axis=0)
    summary = (
        "median step at which 2|f̂(k)|/A first reaches "
        f"{params['level']:g}: " + ", ".join(f"k={k}: {s:.0f}" for k, s in zip(peaks, median, strict=True))
        + f" (of {int(fit.steps[-1])}; never reached = last + 1); ρ per seed: {rho_text(peaks, reached)}"
    )
    return Measurement(
        concat(frames),
        summary=summary,
        diverged_seeds=fit.run.diverged_seeds,
        artifacts=_order_artifacts(fit, peaks, amplitude, reached),
    )


def _order_artifacts(fit: GridRun, peaks: Sequence[int], amplitude: np.ndarray, reached: np.ndarray) -> dict:
    return {
        "steps": fit.steps,
        "peaks": list(peaks),
        "amplitude": amplitude[:, 0],
        "reached": reached,
        "seeds": fit.seeds,
        "x": fit.grids["train"].points,
        "labels": fit.labels[0],
        "outputs": fit.outputs()[:, 0],
    }


def learning_order_figures(prediction: Prediction, measurement: Measurement, params: Params) -> list[Figure]:
    """Rahaman Fig. 1 style heatmap of 2|f̂(k)|/A (first seed), first-reach steps per seed, fit."""
    art = measurement.artifacts
    if not art:
        return []
    seed = art["seeds"][0]
    return [
        heatmap_figure(
            art["steps"],
            art["peaks"],
            art["amplitude"],
            f"normalised amplitude 2|f̂(k)|/A over training, seed {seed} (black tick: first reaches "
            f"{params['level']:g})",
            "2|f̂(k)|/A",
            log=False,
            marks=art["reached"][0],
        ),
        convergence_figure(art["peaks"], art["reached"], art["seeds"], f"step reaching {params['level']:g}"),
        fit_figure(art["x"], art["labels"], art["outputs"], art["steps"], f"target and fit, seed {seed}"),
    ]


# ------------------------------------------------------------------------------------------------
# rahaman2019.robustness


def predict_robustness(params: Params, seeds: Sequence[int]) -> Prediction:
    return Prediction(
        concat([]),
        "higher frequencies are less robust: at each perturbation norm "
        f"{list(params['perturbation_norms'])}, ρ(k, mean relative amplitude loss) ≥ 0.8",
    )


def measure_robustness(params: Params, seeds: Sequence[int]) -> Measurement:
    peaks, _ = target_peaks(params)
    norms = [float(r) for r in params["perturbation_norms"]]
    fit = _fit(params, seeds, "rahaman2019.robustness (training)")
    healthy = [member for member, seed in enumerate(seeds) if seed not in fit.run.diverged]
    losses = np.full((len(seeds), len(norms), len(peaks)), np.nan)
    if healthy:
        params_ok = EnsembleParameters(
            [w[healthy] for w in fit.run.params.weights], [b[healthy] for b in fit.run.params.biases]
        )
        losses[healthy] = amplitude_loss(
            network_spec(params), params_ok, [seeds[m] for m in healthy], fit.grids["train"], peaks, norms,
            int(params["samples"]),
        )
    amplitude = _normalised_amplitudes(fit, peaks)[-1]
    parameter_norm = torch.sqrt(sum(t.flatten(1).double().pow(2).sum(dim=1) for t in fit.run.params.tensors)).numpy()
    frames, rhos = [], np.full((len(seeds), len(norms)), np.nan)
    for member, seed in enumerate(seeds):
        for index, norm in enumerate(norms):
            frames.append(tidy(seed, f"amplitude_loss@norm={norm:g}", losses[member, index], x=peaks))
            rhos[member, index] = rank_correlation(np.asarray(peaks, float), losses[member, index])
        frames += [
            tidy(seed, "rho_amplitude_loss", rhos[member], x=norms),
            tidy(seed, "final_normalised_amplitude", amplitude[member], x=peaks),
            tidy(seed, "parameter_norm", parameter_norm[member]),
            tidy(seed, "final_train_loss", fit.run.loss[-1, member]),
        ]
    per_seed = "; ".join(f"seed {seed}: " + ", ".join(f"{r:.2f}" for r in rhos[m]) for m, seed in enumerate(seeds))
    summary = (
        f"ρ(k, mean relative amplitude loss) per seed at norms {norms}: {per_seed}; parameter norms ‖θ‖ "
        f"{np.min(parameter_norm):.1f}-{np.max(parameter_norm):.1f}"
    )
    return Measurement(
        concat(frames),
        summary=summary,
        diverged_seeds=fit.run.diverged_seeds,
        artifacts={"losses": losses, "norms": norms, "peaks": peaks, "seeds": fit.seeds, "rhos": rhos},
    )


def robustness_figures(prediction: Prediction, measurement: Measurement, params: Params) -> list[Figure]:
    """Mean relative amplitude loss against k at every norm (median over seeds, seeds faint)."""
    art = measurement.artifacts
    if not art:
        return []
    figure = Figure(figsize=(6, 3.6))
    axes = figure.add_subplot(1, 1, 1)
    for index, norm in enumerate(art["norms"]):
        curves = art["losses"][:, index, :]
        (line,) = axes.plot(art["peaks"], np.nanmedian(curves, axis=0), "o-", label=f"‖δθ‖ = {norm:g}")
        for row in curves:
            axes.plot(art["peaks"], row, color=line.get_color(), alpha=0.25, linewidth=0.7)
    axes.axhline(0.0, color="0.6", linewidth=0.7)
    axes.set_xlabel("frequency k")
    axes.set_ylabel("mean relative amplitude loss")
    axes.set_title("amplitude lost under random parameter perturbations (line: median over seeds)", fontsize=8)
    axes.legend(fontsize=7)
    figure.tight_layout()
    return [figure]


# ------------------------------------------------------------------------------------------------
# xu2018.spectral-norm-vs-dynamics


def predict_norm_bound(params: Params, seeds: Sequence[int]) -> Prediction:
    peaks, amplitudes = target_peaks(params)
    return Prediction(
        concat([tidy(ALL_SEEDS, "bound_limit", 1.0)]),
        f"the weight-norm bound L/(2πk) + 2LN/(2πk)² (L = Π‖W_l‖₂, N = Π(1 + d_l); FORMULAS §2) at the "
        f"highest frequency k = {peaks[-1]} stays below that peak's target amplitude |ŷ(k)| = {amplitudes[-1] / 2:g} "
        "until the lower peaks have converged (Δ_F < threshold to the end)",
    )


def measure_norm_bound(params: Params, seeds: Sequence[int]) -> Measurement:
    peaks, _ = target_peaks(params)
    k_max = peaks[-1]
    bound_every = int(params["bound_every"])
    if bound_every < 1 or bound_every % int(params.get("snapshot_every", 1)):
        raise ValueError(f"bound_every = {bound_every} must be a positive multiple of snapshot_every")
    bounds: dict[int, np.ndarray] = {}
    products: dict[int, np.ndarray] = {}

    def record_bound(step: int, current: EnsembleParameters) -> None:
        """Every `bound_every` steps (and at the end): Π‖W_l‖₂ and the weight bound at k_max, per seed."""
        if step % bound_every and step != int(params["steps"]):
            return
        bound, product = np.full(current.members, np.nan), np.full(current.members, np.nan)
        finite = [m for m in range(current.members) if all(torch.isfinite(t[m]).all() for t in current.tensors)]
        if finite:
            product[finite] = norm_product(spectral_norms([w[finite] for w in current.weights]))
        for member in finite:
            weights = [w[member].T.double().numpy() for w in current.weights]
            biases = [b[member, 0].double().numpy() for b in current.biases]
            bound[member] = relu_spectrum.weight_bound(weights, biases, [k_max])[0]
        bounds[step], products[step] = bound, product

    fit = _fit(params, seeds, "xu2018.spectral-norm-vs-dynamics", on_snapshot=record_bound)
    errors = fit.peak_errors(peaks)
    converged = convergence_steps(fit.steps, errors, float(params["threshold"]))
    lower_done = np.max(converged[:, :-1], axis=1)  # (S,)
    target = np.abs(fit.label_coefficients(peaks))[:, -1]  # |ŷ(k_max)| per seed
    bound_steps = np.array(sorted(bounds))
    bound = np.stack([bounds[step] for step in bound_steps])  # (B, S)
    product = np.stack([products[step] for step in bound_steps])  # (B, S)
    frames, lines = [peak_curve_rows(seeds, "delta_F", fit.steps, peaks, errors)], []
    for member, seed in enumerate(seeds):
        window = bound_steps <= lower_done[member]
        ratio = bound[window, member] / target[member]
        ratio_all = bound[:, member] / target[member]
        moved = product[-1, member] / product[0, member]
        frames += [
            tidy(seed, "bound_over_target_before_lower_converged", ratio, x=bound_steps[window]),
            curve_rows(seed, "bound_over_target", bound_steps, ratio_all),
            curve_rows(seed, "norm_product", bound_steps, product[:, member]),
            tidy(seed, "norm_product_ratio_final_initial", moved),
            tidy(seed, "convergence_step", converged[member], x=peaks),
            tidy(seed, "lower_peaks_converged_step", lower_done[member]),
        ]
        lines.append(
            f"seed {seed}: Π‖W‖₂ {product[0, member]:.3g} → {product[-1, member]:.3g} (× {moved:.3g}); bound at "
            f"k = {k_max} / target amplitude {target[member]:.3g}: min {np.nanmin(ratio_all):.3g}, max "
            f"{np.nanmax(ratio_all):.3g}; lower peaks converged at step {lower_done[member]:.0f}"
        )
    moved_all = product[-1] / product[0]
    ratio_min = np.nanmin(bound / target[None])
    note = (
        f"**How far Π‖W‖₂ moved.** Over the {int(fit.steps[-1])} steps of {params.get('optimizer', 'adam')} the "
        f"product of the exact spectral norms changed by a factor final/initial of {np.min(moved_all):.3g} to "
        f"{np.max(moved_all):.3g} across seeds (median {np.median(moved_all):.3g}). The weight-norm bound at k = "
        f"{k_max} was never less than {ratio_min:.3g} × the target amplitude |ŷ({k_max})| "
        f"(median at the start {np.median(bound[0] / target):.3g} ×, at the end "
        f"{np.median(bound[-1] / target):.3g} ×): "
        "most of it is the count of linear pieces Π(1 + d_l), a worst case that the trained networks are far "
        "from reaching."
    )
    return Measurement(
        concat(frames),
        summary="; ".join(lines),
        diverged_seeds=fit.run.diverged_seeds,
        notes=(note,),
        artifacts={
            "steps": fit.steps,
            "product": product,
            "bound_steps": bound_steps,
            "bound": bound,
            "target": target,
            "errors": errors,
            "converged": converged,
            "peaks": peaks,
            "seeds": fit.seeds,
            "lower_done": lower_done,
        },
    )


def norm_bound_figures(prediction: Prediction, measurement: Measurement, params: Params) -> list[Figure]:
    """Π‖W‖₂ over training beside the highest peak's Δ_F; the bound against the target amplitude."""
    art = measurement.artifacts
    if not art:
        return []
    seeds, k_max = art["seeds"], art["peaks"][-1]
    figure = Figure(figsize=(11, 3.4))
    norms, error, bound = (figure.add_subplot(1, 3, i) for i in (1, 2, 3))
    for member, seed in enumerate(seeds):
        (line,) = norms.plot(art["bound_steps"], art["product"][:, member], linewidth=0.9, label=f"seed {seed}")
        error.plot(art["steps"], art["errors"][:, member, -1], color=line.get_color(), linewidth=0.9)
        bound.plot(art["bound_steps"], art["bound"][:, member], color=line.get_color(), linewidth=0.9)
        bound.axhline(art["target"][member], color=line.get_color(), linestyle=":", linewidth=0.8)
        for axes in (error, bound):
            if art["lower_done"][member] <= art["steps"][-1]:
                axes.axvline(art["lower_done"][member], color=line.get_color(), linestyle="--", linewidth=0.6)
    norms.set_title("Π‖W_l‖₂ (exact spectral norms)", fontsize=9)
    norms.set_xlabel("training step")
    error.set_title(f"Δ_F at the highest peak k = {k_max} (dashed: lower peaks converged)", fontsize=8)
    error.set_xlabel("training step")
    error.set_yscale("log")
    bound.set_title(f"weight-norm bound at k = {k_max} vs |ŷ(k)| (dotted)", fontsize=9)
    bound.set_xlabel("training step")
    bound.set_yscale("log")
    if len(seeds) <= 10:
        norms.legend(fontsize=6)
    figure.tight_layout()
    seed = seeds[0]
    heat = heatmap_figure(
        art["steps"],
        art["peaks"],
        art["errors"][:, 0],
        f"Δ_F(k) over training, seed {seed}",
        "Δ_F",
        log=True,
        marks=art["converged"][0],
    )
    return [figure, heat]
