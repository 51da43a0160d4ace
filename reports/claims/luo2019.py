"""Claims of Luo, Ma, Xu, Zhang 2019, "Theory of the frequency principle for general deep neural networks".

arXiv:1906.09235; CSIAM Trans. Appl. Math. 2(3):484-507, 2021. The source proves one theorem per
training stage (initial, intermediate, final); only the form of those results is the source's (the
theorem texts were not available to us). The inequalities checked here are OUR reconstruction of that
form (FORMULAS.md §3, `theory.stages`), and every claim says so in its notes:

- `luo2019.initial-stage`: at initialisation |dL⁺_η/dt| / |dL/dt| (exact, autograd) stays below
  (1 + η²)^{-s/2} G_s √(2L) / ‖∇L‖ and decreases with η;
- `luo2019.intermediate-stage`: at the first MSE halving ‖P⁺_η Δh‖ / ‖Δh‖ stays below
  (1 + η²)^{-s/2} sup G_s √T / (√2 - 1) and does not increase with η;
- `luo2019.final-stage`: at the end of training L⁺_η(T)/L⁺_η(0) ≥ 10 × L⁻_η(T)/L⁻_η(0);
- `luo2019.regularity-exponent`: the tail of ∂_t h decays at the rate set by the activation's
  regularity (e^{-π²η/max|w|} tanh, e^{-2π²η/max|w|} logistic, η^{-1/2} ReLU).

Setting (all four claims): one-hidden-layer networks f = Σ_j a_j σ(w_j x + b_j) with tanh, ReLU and
logistic σ, data density ρ = N(0, σ²) on a uniform grid wide enough that √ρ is below 1e-12 of its
peak at both ends, target f* = Σ A_i sin(2π ξ_i x) (ordinary frequency), plain float64 gradient
descent with lr = step_fraction / λ_max(Gauss–Newton at initialisation), T = steps × lr.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from matplotlib.figure import Figure

from empirics.band_ratios import (
    DensityGrid,
    FlatShallowNetwork,
    StageProblem,
    Trajectory,
    change_tail_ratios,
    sine_target,
    single_threaded,
    train,
)
from reports.catalogue import register
from reports.claim import ALL_SEEDS, Claim, Measurement, Params, Prediction, concat, tidy
from reports.rules import Bound, Rate
from theory import stages

CITATION = (
    'Luo, Ma, Xu, Zhang 2019, "Theory of the frequency principle for general deep neural networks", '
    "arXiv:1906.09235 (CSIAM Trans. Appl. Math. 2(3):484-507, 2021)"
)
ACTIVATIONS = ("tanh", "relu", "logistic")
FINAL_FACTOR = 10.0
"""The final-stage prediction: the high band's remaining share is at least this multiple of the low band's."""

RECONSTRUCTION_NOTE = (
    "**What is the source's and what is ours.** Luo, Ma, Xu and Zhang (2019) state one theorem per training "
    "stage (initial, intermediate, final) for general multilayer networks, activations, data densities and "
    "L^p losses, in the form: the change of the high-frequency loss over the total loss decays with the "
    "separating frequency η, with a power set by the regularity assumption. Only that form is the source's; "
    "the theorem texts were not available to us. The inequalities, their constants (G_s, √T, 1/(√2 - 1)), "
    "the Sobolev convention ‖g‖²_(H^s) = ∫ (1 + ξ²)^s |ĝ(ξ)|² dξ (ordinary frequency ξ, unitary transform "
    "ĝ(ξ) = ∫ g e^{-2πiξx} dx) and the per-activation rates checked here are **our reconstruction** "
    "(FORMULAS.md §3, `theory.stages`, derived and checked symbolically in the tests). A verdict is about "
    "the reconstruction, not a quotation of the paper."
)
SETTING_NOTE = (
    "**Setting.** One-hidden-layer networks f = Σ_j a_j σ(w_j x + b_j) (tanh, ReLU, logistic), residual "
    "h = (f - f*) √ρ with ρ = N(0, σ²), L = ½ ‖h‖², P⁺_η keeps |ξ| > η. Everything is computed on a uniform "
    "grid that is checked to be wide enough: √ρ at both ends is below 1e-12 of its peak (a narrower grid is "
    "refused with ValueError), so h is negligible there and its FFT is its Fourier transform. s = 1 for "
    "tanh/logistic, s = ½ - ε for ReLU (√ρ ∂_w f has a jump at the kink, so it is in H^s only for s < ½)."
)
GRADIENT_DESCENT_NOTE = (
    "**Gradient descent, not gradient flow.** The reconstruction is for gradient flow; the networks are "
    "trained by plain float64 gradient descent with lr = step_fraction / λ_max of the Gauss–Newton matrix at "
    "initialisation, and T = steps × lr. Bound II uses ∫_0^T ‖∇L‖² dt = L(0) - L(T) ≤ L(0); for gradient "
    "descent the sum D = Σ lr ‖∇L_n‖² replaces the integral, so the bound is multiplied by max(1, √(D/L(0))) "
    "(1 whenever D ≤ L(0), which the measurement reports), and the sup of G_s is taken over the iterates."
)


def _source(stage: str) -> str:
    return f"{CITATION}, {stage} (form only: the theorem text was not available; inequality reconstructed)"


# ------------------------------------------------------------------------------------------------ setting

def _grid(params: Params) -> DensityGrid:
    return DensityGrid(int(params["grid_points"]), float(params["half_width"]), float(params["sigma"]))


def _problem(params: Params, activation: str) -> StageProblem:
    grid = _grid(params)
    target = sine_target(grid.x, params["target_frequencies"], params["target_amplitudes"])
    return StageProblem(grid, FlatShallowNetwork(int(params["width"]), activation), target)


def _initial_parameters(params: Params, network: FlatShallowNetwork, seed: int) -> torch.Tensor:
    return network.initial_parameters(
        int(seed),
        weight_std=float(params["weight_std"]),
        bias_std=float(params["bias_std"]),
        output_std=float(params["output_std"]),
    )


def _exponent(params: Params, activation: str) -> float:
    return stages.sobolev_exponent(activation, float(params.get("relu_epsilon", 0.01)))


def _etas(params: Params) -> np.ndarray:
    return np.asarray(params["etas"], dtype=float)


def _key(params: Params) -> str:
    """The parameters that fix a run, as a hashable string (the seed count is not one of them)."""
    return json.dumps({name: value for name, value in params.items() if name != "seeds"}, sort_keys=True)


def _train(params: Params, activation: str, seed: int, steps: int, stop_at_halving: bool) -> Trajectory:
    problem = _problem(params, activation)
    theta = _initial_parameters(params, problem.network, seed)
    learning_rate = float(params["step_fraction"]) / problem.gauss_newton_top_eigenvalue(theta)
    return train(
        problem,
        theta,
        learning_rate,
        steps,
        _etas(params),
        _exponent(params, activation),
        stop_at_halving=stop_at_halving,
        track_sobolev=stop_at_halving,
    )


def _cached_run(function: Callable[[str, tuple[int, ...]], dict]) -> Callable[[str, tuple[int, ...]], dict]:
    """Cache a run over (parameters, seeds), so that predict and measure share it, and run it on one
    torch thread (`empirics.band_ratios.single_threaded`)."""

    @functools.lru_cache(maxsize=4)
    @functools.wraps(function)
    def run(key: str, seeds: tuple[int, ...]) -> dict:
        with single_threaded():
            return function(key, seeds)

    return run


def _median_table(title: str, etas: np.ndarray, rows: dict[str, np.ndarray]) -> str:
    """A markdown table: one row per activation, one column per η (values are medians over seeds)."""
    header = "| " + title + " | " + " | ".join(f"η = {eta:g}" for eta in etas) + " |"
    rule = "|---" * (len(etas) + 1) + "|"
    body = [f"| {name} | " + " | ".join(f"{value:.2e}" for value in values) + " |" for name, values in rows.items()]
    return "\n".join([header, rule, *body])


def _seed_curves(table: Any, quantity: str) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    rows = table[table["quantity"] == quantity]
    return {
        int(seed): (group["x"].to_numpy(dtype=float), group["value"].to_numpy(dtype=float))
        for seed, group in rows.groupby("seed")
    }


def _ratio_figure(prediction: Prediction, measurement: Measurement, ylabel: str) -> Figure:
    """The measured ratio against η (log y) per activation, every seed, with the predicted bound."""
    figure = Figure(figsize=(12, 3.6))
    for panel, activation in enumerate(ACTIVATIONS):
        axes = figure.add_subplot(1, len(ACTIVATIONS), panel + 1)
        for index, (x, values) in enumerate(_seed_curves(measurement.table, f"{activation}.ratio").values()):
            axes.semilogy(x, np.maximum(values, 1e-300), "o-", markersize=3, color="tab:blue", alpha=0.6,
                          label="measured (one line per seed)" if index == 0 else None)
        for index, (x, values) in enumerate(_seed_curves(prediction.table, f"{activation}.bound").values()):
            axes.semilogy(x, values, "--", color="tab:red", alpha=0.6,
                          label="predicted bound (reconstruction)" if index == 0 else None)
        axes.axhline(stages.ROUND_OFF_FLOOR, color="0.6", linewidth=0.8, label="round-off floor")
        axes.set_xlabel("η (ordinary frequency)")
        axes.set_ylabel(ylabel)
        axes.set_title(activation)
        axes.legend(fontsize=7)
    figure.tight_layout()
    return figure


# ------------------------------------------------------------------------------------------ initial stage

@dataclass(frozen=True)
class InitialRun:
    ratios: np.ndarray
    g_s: float
    loss: float
    grad_norm: float
    s: float


@_cached_run
def _initial_runs(key: str, seeds: tuple[int, ...]) -> dict[tuple[str, int], InitialRun]:
    params = json.loads(key)
    runs = {}
    for activation in ACTIVATIONS:
        problem = _problem(params, activation)
        s = _exponent(params, activation)
        for seed in seeds:
            theta = _initial_parameters(params, problem.network, seed)
            runs[activation, seed] = InitialRun(
                ratios=problem.instantaneous_ratios(theta, _etas(params)),
                g_s=problem.sobolev_constant(theta, s),
                loss=float(problem.loss(theta)),
                grad_norm=float(problem.gradient(theta).norm()),
                s=s,
            )
    return runs


def predict_initial(params: Params, seeds: Sequence[int]) -> Prediction:
    runs = _initial_runs(_key(params), tuple(int(seed) for seed in seeds))
    etas = _etas(params)
    frames = []
    for activation in ACTIVATIONS:
        s = _exponent(params, activation)
        frames.append(tidy(ALL_SEEDS, f"{activation}.tail_factor", stages.tail_factor(etas, s), x=etas))
        for seed in seeds:
            run = runs[activation, int(seed)]
            bound = stages.initial_bound(etas, run.s, run.g_s, run.loss, run.grad_norm)
            frames.append(tidy(seed, f"{activation}.bound", bound, x=etas))
    return Prediction(
        concat(frames),
        "bound I (reconstruction): |dL⁺_η/dt| / |dL/dt| ≤ (1 + η²)^(-s/2) G_s √(2L) / ‖∇L‖, evaluated with each "
        "seed's G_s, L and ‖∇L‖ at initialisation (s = 1 tanh/logistic, ½ - ε ReLU); the ratio decreases with η",
    )


def measure_initial(params: Params, seeds: Sequence[int]) -> Measurement:
    runs = _initial_runs(_key(params), tuple(int(seed) for seed in seeds))
    etas = _etas(params)
    frames, medians, looseness = [], {}, {}
    for activation in ACTIVATIONS:
        for seed in seeds:
            run = runs[activation, int(seed)]
            bound = stages.initial_bound(etas, run.s, run.g_s, run.loss, run.grad_norm)
            frames += [
                tidy(seed, f"{activation}.ratio", run.ratios, x=etas),
                tidy(seed, f"{activation}.ratio_log_slope", stages.log_linear_slope(etas, run.ratios)),
                tidy(seed, f"{activation}.G_s", run.g_s),
                tidy(seed, f"{activation}.loss", run.loss),
                tidy(seed, f"{activation}.grad_norm", run.grad_norm),
                tidy(seed, f"{activation}.bound_over_ratio", bound / np.maximum(run.ratios, 1e-300), x=etas),
            ]
        medians[activation] = np.median([runs[activation, int(seed)].ratios for seed in seeds], axis=0)
        looseness[activation] = float(np.median([
            np.min(stages.initial_bound(etas, r.s, r.g_s, r.loss, r.grad_norm) / np.maximum(r.ratios, 1e-300))
            for r in (runs[activation, int(seed)] for seed in seeds)
        ]))
    summary = "; ".join(
        f"{activation}: median ratio {medians[activation][0]:.1e} at η = {etas[0]:g} to "
        f"{medians[activation][-1]:.1e} at η = {etas[-1]:g}, bound ≥ {looseness[activation]:.0f}× the ratio"
        for activation in ACTIVATIONS
    )
    notes = (
        _median_table("median |dL⁺_η/dt| / |dL/dt|", etas, medians),
        "The ratio is exact: ∇L⁺_η and ∇L by autograd, |dL⁺_η/dt| / |dL/dt| = |∇L⁺_η · ∇L| / ‖∇L‖² under "
        "gradient flow. Its trend is the log-linear slope in η over the values above the 1e-12 round-off "
        "floor. The bound is loose by the factor shown (smallest bound/ratio over η, median over seeds): it "
        "caps the ratio but does not predict its size.",
    )
    return Measurement(concat(frames), summary, notes=notes)


def initial_figures(prediction: Prediction, measurement: Measurement, params: Params) -> list[Figure]:
    return [_ratio_figure(prediction, measurement, "|dL⁺_η/dt| / |dL/dt| at initialisation")]


# ------------------------------------------------------------------------------------- intermediate stage

@dataclass(frozen=True)
class HalvingRun:
    ratios: np.ndarray
    sup_g_s: float
    time: float
    step: int
    dissipation_ratio: float
    s: float
    diverged: bool


@_cached_run
def _halving_runs(key: str, seeds: tuple[int, ...]) -> dict[tuple[str, int], HalvingRun]:
    params = json.loads(key)
    etas = _etas(params)
    runs = {}
    for activation in ACTIVATIONS:
        for seed in seeds:
            trajectory = _train(params, activation, seed, int(params["max_steps"]), stop_at_halving=True)
            if trajectory.diverged:
                runs[activation, seed] = HalvingRun(etas * np.nan, np.nan, np.nan, -1, np.nan, np.nan, True)
                continue
            time = trajectory.halving_time  # ValueError when L never halved: the claim is inconclusive
            runs[activation, seed] = HalvingRun(
                ratios=change_tail_ratios(
                    trajectory.initial_residual, trajectory.intermediate_residual, _grid(params).spacing, etas
                ),
                sup_g_s=trajectory.sup_sobolev_constant,
                time=time,
                step=int(trajectory.stages.intermediate),
                dissipation_ratio=trajectory.dissipation / float(trajectory.loss[0]),
                s=_exponent(params, activation),
                diverged=False,
            )
    return runs


def _halving_bound(run: HalvingRun, etas: np.ndarray) -> np.ndarray:
    correction = max(1.0, float(np.sqrt(run.dissipation_ratio)))
    return stages.halving_bound(etas, run.s, run.sup_g_s, run.time) * correction


def _largest_relative_rise(values: np.ndarray) -> float:
    """max_i (v_{i+1} - v_i) / v_i over consecutive η (≤ 0 for a non-increasing curve; a rise from 0 is inf)."""
    before, after = values[:-1], values[1:]
    with np.errstate(divide="ignore", invalid="ignore"):
        rises = np.where(before > 0, after / before - 1.0, np.where(after > 0, np.inf, 0.0))
    return float(np.max(rises))


def predict_intermediate(params: Params, seeds: Sequence[int]) -> Prediction:
    runs = _halving_runs(_key(params), tuple(int(seed) for seed in seeds))
    etas = _etas(params)
    frames = []
    for activation in ACTIVATIONS:
        for seed in seeds:
            run = runs[activation, int(seed)]
            if not run.diverged:
                frames.append(tidy(seed, f"{activation}.bound", _halving_bound(run, etas), x=etas))
    return Prediction(
        concat(frames),
        "bound II (reconstruction): at the first step with L ≤ L(0)/2, ‖P⁺_η Δh‖ / ‖Δh‖ ≤ (1 + η²)^(-s/2) "
        "sup G_s √T / (√2 - 1), with each seed's sup of G_s over the iterates and its T = steps × lr; the ratio "
        "does not increase with η",
    )


def measure_intermediate(params: Params, seeds: Sequence[int]) -> Measurement:
    runs = _halving_runs(_key(params), tuple(int(seed) for seed in seeds))
    etas = _etas(params)
    frames, diverged, medians = [], set(), {}
    for activation in ACTIVATIONS:
        for seed in seeds:
            run = runs[activation, int(seed)]
            if run.diverged:
                diverged.add(int(seed))
                continue
            frames += [
                tidy(seed, f"{activation}.ratio", run.ratios, x=etas),
                tidy(seed, f"{activation}.ratio_largest_rise", _largest_relative_rise(run.ratios)),
                tidy(seed, f"{activation}.halving_step", run.step),
                tidy(seed, f"{activation}.halving_time", run.time),
                tidy(seed, f"{activation}.sup_G_s", run.sup_g_s),
                tidy(seed, f"{activation}.dissipation_over_initial_loss", run.dissipation_ratio),
            ]
        finished = [runs[activation, int(seed)] for seed in seeds if not runs[activation, int(seed)].diverged]
        if finished:
            medians[activation] = np.median([run.ratios for run in finished], axis=0)
    summary = "; ".join(
        f"{activation}: halving at step {int(np.median([runs[activation, int(s)].step for s in seeds]))} "
        f"(median), median ratio {values[0]:.1e} at η = {etas[0]:g} to {values[-1]:.1e} at η = {etas[-1]:g}"
        for activation, values in medians.items()
    )
    largest_d = max((run.dissipation_ratio for run in runs.values() if not run.diverged), default=float("nan"))
    notes = (
        _median_table("median ‖P⁺_η Δh‖ / ‖Δh‖ at the first halving", etas, medians),
        f"Largest D / L(0) = Σ lr ‖∇L_n‖² / L(0) up to the halving over all runs: {largest_d:.3f} (the "
        "gradient-flow bound carries over to gradient descent unchanged when it is ≤ 1). Δh = h_T - h_0 at "
        "the first step with L ≤ L(0)/2. The ratio is non-increasing in η by construction (nested bands); "
        "the informative part is how far below the bound it stays.",
    )
    return Measurement(concat(frames), summary, diverged_seeds=tuple(sorted(diverged)), notes=notes)


def intermediate_figures(prediction: Prediction, measurement: Measurement, params: Params) -> list[Figure]:
    return [_ratio_figure(prediction, measurement, "‖P⁺_η Δh‖ / ‖Δh‖ at the first MSE halving")]


# ------------------------------------------------------------------------------------------- final stage

@dataclass(frozen=True)
class FinalRun:
    high_progress: np.ndarray
    low_progress: np.ndarray
    tail_norm: np.ndarray
    tail_lower_bound: np.ndarray
    halving_step: int | None
    final_step: int
    time: float
    diverged: bool
    trajectory_high: np.ndarray
    trajectory_low: np.ndarray


@_cached_run
def _final_runs(key: str, seeds: tuple[int, ...]) -> dict[tuple[str, int], FinalRun]:
    params = json.loads(key)
    etas = _etas(params)
    runs = {}
    for activation in ACTIVATIONS:
        s = _exponent(params, activation)
        for seed in seeds:
            trajectory = _train(params, activation, seed, int(params["steps"]), stop_at_halving=False)
            high, low = trajectory.relative_band_progress()
            runs[activation, seed] = FinalRun(
                high_progress=high,
                low_progress=low,
                tail_norm=np.sqrt(2.0 * trajectory.high[-1]),
                tail_lower_bound=stages.final_lower_bound(
                    etas, s, np.sqrt(2.0 * trajectory.high[0]), trajectory.path_sobolev_length
                ),
                halving_step=trajectory.stages.intermediate,
                final_step=trajectory.stages.final,
                time=trajectory.final_time,
                diverged=trajectory.diverged,
                trajectory_high=trajectory.high,
                trajectory_low=trajectory.low,
            )
    return runs


def predict_final(params: Params, seeds: Sequence[int]) -> Prediction:
    runs = _final_runs(_key(params), tuple(int(seed) for seed in seeds))
    etas = _etas(params)
    frames = [tidy(ALL_SEEDS, "high_over_low_threshold", np.full(etas.shape, FINAL_FACTOR), x=etas)]
    for activation in ACTIVATIONS:
        for seed in seeds:
            run = runs[activation, int(seed)]
            if not run.diverged:
                frames.append(tidy(seed, f"{activation}.tail_norm_lower_bound", run.tail_lower_bound, x=etas))
    return Prediction(
        concat(frames),
        f"the high band is fitted last: L⁺_η(T)/L⁺_η(0) ≥ {FINAL_FACTOR:g} × L⁻_η(T)/L⁻_η(0) at every η; "
        "bound III (reconstruction, reported): ‖P⁺_η h_T‖ ≥ ‖P⁺_η h_0‖ - (1 + η²)^(-s/2) Σ ‖h_{n+1} - h_n‖_(H^s)",
    )


def measure_final(params: Params, seeds: Sequence[int]) -> Measurement:
    runs = _final_runs(_key(params), tuple(int(seed) for seed in seeds))
    etas = _etas(params)
    frames, diverged, medians, stage_lines, bound_lines = [], set(), {}, [], []
    for activation in ACTIVATIONS:
        finished = []
        for seed in seeds:
            run = runs[activation, int(seed)]
            if run.diverged:
                diverged.add(int(seed))
                continue
            finished.append(run)
            frames += [
                tidy(seed, f"{activation}.high_over_low", run.high_progress / run.low_progress, x=etas),
                tidy(seed, f"{activation}.high_progress", run.high_progress, x=etas),
                tidy(seed, f"{activation}.low_progress", run.low_progress, x=etas),
                tidy(seed, f"{activation}.final_tail_norm", run.tail_norm, x=etas),
                tidy(seed, f"{activation}.final_step", run.final_step),
                tidy(seed, f"{activation}.final_time", run.time),
            ]
            if run.halving_step is not None:
                frames.append(tidy(seed, f"{activation}.halving_step", run.halving_step))
        if not finished:
            continue
        medians[activation] = np.median([run.high_progress / run.low_progress for run in finished], axis=0)
        halvings = [run.halving_step for run in finished if run.halving_step is not None]
        stage_lines.append(
            f"{activation}: initial 0, intermediate (first L ≤ L(0)/2) "
            f"{int(np.median(halvings)) if halvings else 'never'}, final {finished[0].final_step}"
        )
        holds = all(np.all(run.tail_norm >= run.tail_lower_bound) for run in finished)
        vacuous = np.mean([np.mean(run.tail_lower_bound <= 0) for run in finished])
        bound_lines.append(f"{activation}: {'holds' if holds else 'FAILS'} ({vacuous:.0%} of (seed, η) vacuous, ≤ 0)")
    summary = "; ".join(
        f"{activation}: median [L⁺(T)/L⁺(0)] / [L⁻(T)/L⁻(0)] from {values.min():.1f} to {values.max():.1f}"
        for activation, values in medians.items()
    )
    notes = (
        _median_table("median [L⁺_η(T)/L⁺_η(0)] / [L⁻_η(T)/L⁻_η(0)]", etas, medians),
        "Stages located automatically (median step over seeds): " + "; ".join(stage_lines) + ".",
        "Bound III (reconstruction) on the same runs, ‖P⁺_η h_T‖ ≥ ‖P⁺_η h_0‖ - (1 + η²)^(-s/2) "
        "Σ_n ‖h_{n+1} - h_n‖_(H^s) (exact for gradient descent): " + "; ".join(bound_lines) + ".",
    )
    artifacts = _trajectory_artifact(runs, int(seeds[0]), etas) if seeds else {}
    return Measurement(concat(frames), summary, diverged_seeds=tuple(sorted(diverged)), notes=notes,
                       artifacts=artifacts)


def _trajectory_artifact(runs: dict[tuple[str, int], FinalRun], seed: int, etas: np.ndarray) -> dict[str, Any]:
    middle = len(etas) // 2
    return {
        "seed": seed,
        "eta": float(etas[middle]),
        "curves": {
            activation: {
                "high": runs[activation, seed].trajectory_high[:, middle],
                "low": runs[activation, seed].trajectory_low[:, middle],
                "stages": (0, runs[activation, seed].halving_step, runs[activation, seed].final_step),
            }
            for activation in ACTIVATIONS
            if (activation, seed) in runs and not runs[activation, seed].diverged
        },
    }


def final_figures(prediction: Prediction, measurement: Measurement, params: Params) -> list[Figure]:
    figures = []
    artifact = measurement.artifacts
    if artifact.get("curves"):
        figure = Figure(figsize=(12, 3.6))
        for index, (activation, curve) in enumerate(artifact["curves"].items()):
            axes = figure.add_subplot(1, len(artifact["curves"]), index + 1)
            steps = np.arange(curve["high"].size)
            axes.semilogy(steps, curve["high"], color="tab:red", label=f"L⁺_η (|ξ| > {artifact['eta']:g})")
            axes.semilogy(steps, curve["low"], color="tab:blue", label=f"L⁻_η (|ξ| ≤ {artifact['eta']:g})")
            for name, step, style in zip(("initial", "intermediate", "final"), curve["stages"], (":", "--", "-."),
                                         strict=True):
                if step is not None:
                    axes.axvline(step, color="0.3", linestyle=style, linewidth=1, label=f"{name} (step {step})")
            axes.set_xlabel("gradient-descent step")
            axes.set_ylabel("band loss")
            axes.set_title(f"{activation} (seed {artifact['seed']})")
            axes.legend(fontsize=7)
        figure.tight_layout()
        figures.append(figure)
    figure = Figure(figsize=(12, 3.6))
    for index, activation in enumerate(ACTIVATIONS):
        axes = figure.add_subplot(1, len(ACTIVATIONS), index + 1)
        for x, values in _seed_curves(measurement.table, f"{activation}.high_over_low").values():
            axes.semilogy(x, values, "o-", markersize=3, color="tab:blue", alpha=0.6)
        axes.axhline(FINAL_FACTOR, color="tab:red", linestyle="--", label=f"prediction: ≥ {FINAL_FACTOR:g}")
        axes.set_xlabel("η (ordinary frequency)")
        axes.set_ylabel("[L⁺(T)/L⁺(0)] / [L⁻(T)/L⁻(0)]")
        axes.set_title(activation)
        axes.legend(fontsize=7)
    figure.tight_layout()
    figures.append(figure)
    return figures


# ------------------------------------------------------------------------------------ regularity exponent

@dataclass(frozen=True)
class TailRun:
    tails: np.ndarray
    fitted: float
    max_abs_weight: float


@_cached_run
def _tail_runs(key: str, seeds: tuple[int, ...]) -> dict[tuple[str, int], TailRun]:
    params = json.loads(key)
    grid = _grid(params)
    etas = grid.resolved_etas()
    low, high = (float(value) for value in params["relu_window"])
    if high > grid.nyquist / 8:
        raise ValueError(f"relu_window ends at {high:g} > Nyquist/8 = {grid.nyquist / 8:g}: refine the grid")
    runs = {}
    for activation in ACTIVATIONS:
        problem = _problem(params, activation)
        for seed in seeds:
            theta = _initial_parameters(params, problem.network, seed)
            tails = problem.velocity_tail_norms(theta, etas)
            if activation == "relu":
                fitted = stages.fit_power_exponent(etas, tails, low, high)
            else:
                fitted = stages.fit_exponential_rate(
                    etas, tails, float(params["rate_floor"]), float(params["rate_ceiling"])
                )
            runs[activation, seed] = TailRun(tails, fitted, problem.network.max_abs_weight(theta))
    return runs


def predict_regularity(params: Params, seeds: Sequence[int]) -> Prediction:
    frames = [tidy(ALL_SEEDS, "relu.predicted_exponent", stages.RELU_TAIL_EXPONENT)]
    for activation in stages.EXPONENTIAL_ACTIVATIONS:
        network = FlatShallowNetwork(int(params["width"]), activation)
        for seed in seeds:
            max_w = network.max_abs_weight(_initial_parameters(params, network, seed))
            frames.append(tidy(seed, f"{activation}.predicted_rate",
                               stages.predicted_exponential_rate(activation, max_w)))
    return Prediction(
        concat(frames),
        "‖P⁺_η ∂_t h‖ / ‖∂_t h‖ ~ e^(-cη) with c = π²/max|w| (tanh), 2π²/max|w| (logistic), max|w| of each "
        "seed's initial weights (the pole of σ'(wx + b) nearest the real axis); ~ η^(-1/2) for ReLU (a jump at "
        "each kink)",
    )


def measure_regularity(params: Params, seeds: Sequence[int]) -> Measurement:
    runs = _tail_runs(_key(params), tuple(int(seed) for seed in seeds))
    frames, lines = [], []
    for activation in ACTIVATIONS:
        name = "tail_exponent" if activation == "relu" else "tail_rate"
        for seed in seeds:
            run = runs[activation, int(seed)]
            frames += [tidy(seed, f"{activation}.{name}", run.fitted),
                       tidy(seed, f"{activation}.max_abs_weight", run.max_abs_weight)]
        fitted = [runs[activation, int(seed)].fitted for seed in seeds]
        if activation == "relu":
            lines.append(f"relu: fitted exponent {np.median(fitted):.3f} (median; predicted -0.5)")
        else:
            predicted = [stages.predicted_exponential_rate(activation, runs[activation, int(seed)].max_abs_weight)
                         for seed in seeds]
            errors = [fit / pred - 1.0 for fit, pred in zip(fitted, predicted, strict=True)]
            lines.append(f"{activation}: fitted/predicted rate - 1 from {min(errors):+.1%} to {max(errors):+.1%}")
    grid = _grid(params)
    first = int(seeds[0]) if seeds else 0
    artifacts = {
        "seed": first,
        "etas": grid.resolved_etas(),
        "tails": {activation: runs[activation, first].tails for activation in ACTIVATIONS} if seeds else {},
        "fitted": {activation: runs[activation, first].fitted for activation in ACTIVATIONS} if seeds else {},
    }
    notes = (
        "Per seed and activation, one network at initialisation; ∂_t h = -√ρ ∇_θ f · ∇L by a Jacobian-vector "
        f"product; the relative tail norm at every resolved η = m/(NΔ) of a {grid.points}-point grid (Nyquist "
        f"{grid.nyquist:g}). Rates: log-linear fit of the tail over {params['rate_floor']:g} < value < "
        f"{params['rate_ceiling']:g} (bulk and round-off excluded). ReLU: log-log slope over η ∈ "
        f"[{params['relu_window'][0]:g}, {params['relu_window'][1]:g}] (below Nyquist/8, where the sampled jump's "
        "spectrum follows 1/ξ to within 3 %). Fitted against the tail of ∂_t h, not the ratio I, which also "
        "carries the target's own spectrum.",
        "; ".join(lines) + ".",
    )
    return Measurement(concat(frames), "; ".join(lines), notes=notes, artifacts=artifacts)


def regularity_figures(prediction: Prediction, measurement: Measurement, params: Params) -> list[Figure]:
    artifact = measurement.artifacts
    if not artifact.get("tails"):
        return []
    etas = artifact["etas"]
    seed = artifact["seed"]
    figure = Figure(figsize=(12, 3.6))
    for index, activation in enumerate(ACTIVATIONS):
        axes = figure.add_subplot(1, len(ACTIVATIONS), index + 1)
        tails = artifact["tails"][activation]
        if activation == "relu":
            low, high = (float(value) for value in params["relu_window"])
            shown = (etas > 0) & (etas <= 4 * high)
            axes.loglog(etas[shown], tails[shown], color="tab:blue", label="measured")
            anchor = int(np.searchsorted(etas, low))
            guide = etas[shown & (etas >= low / 4)]
            axes.loglog(guide, tails[anchor] * (guide / etas[anchor]) ** stages.RELU_TAIL_EXPONENT, "r--",
                        label="predicted η^(-1/2)")
            axes.axvspan(low, high, color="0.9", zorder=0, label="fit window")
        else:
            rows = prediction.table[(prediction.table["quantity"] == f"{activation}.predicted_rate")
                                    & (prediction.table["seed"] == seed)]
            rate = float(rows["value"].iloc[0])
            window = (etas > 0) & (tails < float(params["rate_ceiling"])) & (tails > float(params["rate_floor"]))
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
        axes.set_title(f"{activation} (seed {seed}), fitted {artifact['fitted'][activation]:.3g}")
        axes.legend(fontsize=7)
    figure.tight_layout()
    return [figure]


# ------------------------------------------------------------------------------------------------ claims

TARGET = {"target_frequencies": [0.1, 0.5], "target_amplitudes": [1.0, 0.5]}
DENSITY = {"half_width": 32.0, "sigma": 3.0}
SMALL_OUTPUT = {"weight_std": 1.0, "bias_std": 3.0, "output_std": 0.01, "relu_epsilon": 0.01}

register(Claim(
    id="luo2019.initial-stage",
    version=1,
    source=_source("initial-stage theorem (stage 1 of 3)"),
    statement=(
        "At initialisation the share of the loss decrease carried by frequencies above η, |dL⁺_η/dt| / |dL/dt|, "
        "stays below the reconstructed bound (1 + η²)^(-s/2) G_s √(2L) / ‖∇L‖ at every η and decreases with η "
        "(one-hidden-layer tanh, ReLU and logistic networks)."
    ),
    expected="agree",
    expected_reason=(
        "The source proves the initial-stage F-Principle for general activations; the reconstructed bound "
        "follows from Cauchy–Schwarz and the Sobolev tail inequality, so it must hold on the grid."
    ),
    rules=tuple(
        rule
        for activation in ACTIVATIONS
        for rule in (Bound(f"{activation}.ratio", f"{activation}.bound"),
                     Bound(f"{activation}.ratio_log_slope", 0.0))
    ),
    setup={
        "quick": {"seeds": 3, "width": 16, "grid_points": 1024, **DENSITY, **TARGET, **SMALL_OUTPUT,
                  "etas": [0.25, 0.5, 1.0, 1.5, 2.0]},
        "paper": {"seeds": 10, "width": 64, "grid_points": 2048, **DENSITY, **TARGET, **SMALL_OUTPUT,
                  "etas": [0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0]},
    },
    predict=predict_initial,
    measure=measure_initial,
    figures=initial_figures,
    derivation="three-stages",
    notes=(RECONSTRUCTION_NOTE, SETTING_NOTE),
))

register(Claim(
    id="luo2019.intermediate-stage",
    version=1,
    source=_source("intermediate-stage theorem (stage 2 of 3: first MSE halving)"),
    statement=(
        "At the first gradient-descent step where the loss has halved, the high-frequency share of the change "
        "of the weighted residual, ‖P⁺_η Δh‖ / ‖Δh‖, stays below the reconstructed bound (1 + η²)^(-s/2) "
        "sup G_s √T / (√2 - 1) and does not increase with η."
    ),
    expected="agree",
    expected_reason=(
        "The source proves the intermediate-stage F-Principle (the MSE halving); the reconstructed bound "
        "follows from the energy identity of gradient flow and ‖Δh‖ ≥ (√2 - 1) √L(0)."
    ),
    rules=tuple(
        rule
        for activation in ACTIVATIONS
        for rule in (Bound(f"{activation}.ratio", f"{activation}.bound"),
                     Bound(f"{activation}.ratio_largest_rise", 0.0))
    ),
    setup={
        "quick": {"seeds": 3, "width": 16, "grid_points": 512, **DENSITY, **TARGET, **SMALL_OUTPUT,
                  "step_fraction": 0.5, "max_steps": 3000, "etas": [0.2, 0.3, 0.45, 0.6, 0.9, 1.2]},
        "paper": {"seeds": 10, "width": 64, "grid_points": 1024, **DENSITY, **TARGET, **SMALL_OUTPUT,
                  "step_fraction": 0.5, "max_steps": 20000, "etas": [0.2, 0.3, 0.45, 0.6, 0.9, 1.2]},
    },
    predict=predict_intermediate,
    measure=measure_intermediate,
    figures=intermediate_figures,
    derivation="three-stages",
    notes=(RECONSTRUCTION_NOTE, SETTING_NOTE, GRADIENT_DESCENT_NOTE),
))

register(Claim(
    id="luo2019.final-stage",
    version=1,
    source=_source("final-stage theorem (stage 3 of 3)"),
    statement=(
        "At the end of training the high band has been fitted last: L⁺_η(T)/L⁺_η(0) ≥ 10 × L⁻_η(T)/L⁻_η(0) "
        "at every η of the grid (η between the target's low and high frequencies)."
    ),
    expected="agree",
    expected_reason=(
        "The source's final-stage theorem: the high-frequency part of the residual changes least, so by the end "
        "of training the low band has been fitted far better than the high band."
    ),
    rules=tuple(Bound(f"{activation}.high_over_low", FINAL_FACTOR, above=True) for activation in ACTIVATIONS),
    setup={
        "quick": {"seeds": 3, "width": 16, "grid_points": 512, **DENSITY, **TARGET, **SMALL_OUTPUT,
                  "step_fraction": 1.0, "steps": 2000, "etas": [0.2, 0.25, 0.3, 0.35]},
        "paper": {"seeds": 10, "width": 64, "grid_points": 1024, **DENSITY, **TARGET, **SMALL_OUTPUT,
                  "step_fraction": 1.0, "steps": 5000, "etas": [0.2, 0.25, 0.3, 0.35]},
    },
    predict=predict_final,
    measure=measure_final,
    figures=final_figures,
    derivation="three-stages",
    notes=(RECONSTRUCTION_NOTE, SETTING_NOTE, GRADIENT_DESCENT_NOTE),
))

register(Claim(
    id="luo2019.regularity-exponent",
    version=1,
    source=_source("the regularity assumption behind all three stage theorems"),
    statement=(
        "At initialisation the relative tail norm ‖P⁺_η ∂_t h‖ / ‖∂_t h‖ of a one-hidden-layer network decays "
        "exponentially at rate π²/max|w| (tanh) and 2π²/max|w| (logistic), and as the power η^(-1/2) (ReLU): "
        "the decay is set by the regularity of the activation."
    ),
    expected="agree",
    expected_reason=(
        "The source ties the decay in η to the regularity assumption; for one hidden layer the analytic "
        "activations give exponential decay set by their poles and ReLU's kinks a power law."
    ),
    rules=(
        Rate("tanh.tail_rate", "tanh.predicted_rate", rtol=0.1),
        Rate("logistic.tail_rate", "logistic.predicted_rate", rtol=0.1),
        Rate("relu.tail_exponent", "relu.predicted_exponent", atol=0.1),
    ),
    setup={
        "quick": {"seeds": 5, "width": 64, "grid_points": 8192, **DENSITY, **TARGET, "weight_std": 1.0,
                  "bias_std": 3.0, "output_std": 1.0, "rate_floor": 1e-12, "rate_ceiling": 1e-4,
                  "relu_window": [1.0, 8.0]},
        "paper": {"seeds": 20, "width": 64, "grid_points": 16384, **DENSITY, **TARGET, "weight_std": 1.0,
                  "bias_std": 3.0, "output_std": 1.0, "rate_floor": 1e-12, "rate_ceiling": 1e-4,
                  "relu_window": [1.0, 8.0]},
    },
    predict=predict_regularity,
    measure=measure_regularity,
    figures=regularity_figures,
    derivation="three-stages",
    notes=(
        RECONSTRUCTION_NOTE,
        SETTING_NOTE,
        "**Why a larger output layer here.** The regularity claim draws a_j ~ N(0, 1) (output_std = 1) where the "
        "training claims use a small output layer. For ReLU, ∂_t h has a jump at each kink (∝ a_j², from the moving "
        "kink: ∂_w f, ∂_b f) and a kink (∝ |w_j| |a_j'|, from ∂_a f); the jump's ξ^(-1) dominates the kink's ξ^(-2) "
        "only beyond ξ ~ σ w²/(2π a²). With a_j ~ 1/√m (m = 64) that is ξ ~ 30, out of reach of a fit window kept "
        "below Nyquist/8; with a_j ~ 1 it is ξ ~ 0.5.",
    ),
))
