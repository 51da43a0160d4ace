"""Claims of the F-Principle papers of Xu et al. on 1D training dynamics (CLAIMS.md, "1D training dynamics").

- `xu2019.fprinciple-1d`: a tanh network fitting sin x + 2 sin 3x + 3 sin 5x on an on-bin grid of
  [-π, π) learns the peaks from low to high frequency (Xu, Zhang, Luo, Xiao, Ma 2019, Fig. 1; Xu,
  Zhang, Xiao 2018);
- `xu2019.large-init`: with a large initialisation the low-to-high ordering breaks and the network
  generalises worse (Xu 2018, §4);
- `xu2019.early-stopping`: with high-frequency label noise, the held-out error is lowest before the
  network fits the noise, which it does last (Xu 2018, §3).

Spectra follow `empirics.spectra` (ordinary integer frequency k in cycles per period, e^{-2πikx/P},
1/n; on [-π, π) the component sin(kx) sits on bin k). Δ_F(k) = |ĥ(k) - ŷ(k)| / |ŷ(k)| with the complex
difference, network and labels transformed alike. The convergence step of a peak is the first
snapshot after which Δ_F stays below the threshold to the end; a peak that never gets there converges
"after the last step" (last step + 1, ties last).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure
from scipy import stats

from empirics.grid_training import sine_targets, train_on_grid
from empirics.seeding import numpy_rng
from empirics.spectra import band_power, convergence_steps, fourier_coefficients, rank_correlation
from empirics.targets import band_noise
from reports.catalogue import register
from reports.claim import ALL_SEEDS, Claim, Measurement, Params, Prediction, concat, tidy
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
from reports.rules import Bound, Order

XU2019 = (
    "Xu, Zhang, Luo, Xiao, Ma 2019, \"Frequency principle: Fourier analysis sheds light on deep neural "
    "networks\", arXiv:1901.06523"
)
XU_ZHANG_XIAO2018 = (
    "Xu, Zhang, Xiao 2018, \"Training behavior of deep neural network in frequency domain\", arXiv:1807.01251"
)
XU2018 = (
    "Xu 2018, \"Understanding training and generalization in deep learning by Fourier analysis\", "
    "arXiv:1808.04295"
)


# ------------------------------------------------------------------------------------------------
# xu2019.fprinciple-1d


def predict_fprinciple(params: Params, seeds: Sequence[int]) -> Prediction:
    peaks, _ = target_peaks(params)
    return Prediction(
        concat([]),
        f"F-Principle: the peaks k = {peaks} converge (Δ_F < {params['threshold']:g} to the end) from low to "
        f"high frequency: Spearman ρ(k, convergence step) ≥ 0.9 and k = {peaks[-1]} last",
    )


def measure_fprinciple(params: Params, seeds: Sequence[int]) -> Measurement:
    peaks, amplitudes = target_peaks(params)
    grid = grid_of(params)
    target = sine_targets(seeds[:1], peaks, amplitudes, grid.period, random_phase=False)[0]
    fit = train_on_grid(
        network_spec(params), seeds, grid, target(grid.points), training_config(params, "xu2019.fprinciple-1d")
    )
    errors = fit.peak_errors(peaks)
    converged = convergence_steps(fit.steps, errors, float(params["threshold"]))
    frames = [peak_curve_rows(seeds, "delta_F", fit.steps, peaks, errors)]
    for member, seed in enumerate(seeds):
        frames += [
            tidy(seed, "convergence_step", converged[member], x=peaks),
            tidy(seed, "highest_peak_lead", converged[member, -1] - np.max(converged[member, :-1])),
            tidy(seed, "final_train_loss", fit.run.loss[-1, member]),
        ]
    median = np.median(converged, axis=0)
    summary = (
        "median convergence step per peak: "
        + ", ".join(f"k={k}: {step:.0f}" for k, step in zip(peaks, median, strict=True))
        + f" (of {int(fit.steps[-1])} steps); ρ per seed: {rho_text(peaks, converged)}"
    )
    return Measurement(
        concat(frames),
        summary=summary,
        diverged_seeds=fit.run.diverged_seeds,
        artifacts={
            "steps": fit.steps,
            "peaks": peaks,
            "errors": errors,
            "converged": converged,
            "x": grid.points,
            "labels": fit.labels[0],
            "outputs": fit.outputs()[:, 0],
            "seeds": tuple(seeds),
        },
    )


def dynamics_figures(prediction: Prediction, measurement: Measurement, params: Params) -> list[Figure]:
    """Δ_F heatmap (first seed), convergence steps per seed, target vs fit at a few steps (first seed)."""
    art = measurement.artifacts
    if not art:
        return []
    seed = art["seeds"][0]
    return [
        heatmap_figure(
            art["steps"],
            art["peaks"],
            art["errors"][:, 0],
            f"Δ_F(k) = |ĥ(k) - ŷ(k)| / |ŷ(k)| over training, seed {seed} (black tick: convergence step, "
            f"threshold {params['threshold']:g})",
            "Δ_F",
            log=True,
            marks=art["converged"][0],
        ),
        convergence_figure(art["peaks"], art["converged"], art["seeds"], "convergence step"),
        fit_figure(art["x"], art["labels"], art["outputs"], art["steps"], f"target and fit, seed {seed}"),
    ]


register(
    Claim(
        id="xu2019.fprinciple-1d",
        version=1,
        source=f"{XU2019}, Fig. 1; {XU_ZHANG_XIAO2018}",
        statement=(
            "A tanh network trained with Adam on sin x + 2 sin 3x + 3 sin 5x (on-bin grid of [-π, π)) "
            "captures the spectral peaks from low to high frequency."
        ),
        expected="agree",
        expected_reason=(
            "The F-Principle figure of the source (peaks converge at about 0 / 550 / 800 epochs) and its "
            "explanation: the gradient at frequency k of a tanh network decays like e^{-π|k|/(2|w|)} "
            "(FORMULAS §1), so lower frequencies are fitted first."
        ),
        rules=(Order("convergence_step", 0.9), Bound("highest_peak_lead", 0.0, above=True)),
        setup={
            "quick": {
                "frequencies": [1, 3, 5],
                "amplitudes": [1.0, 2.0, 3.0],
                "interval": [-np.pi, np.pi],
                "points": 64,
                "hidden": [128, 128],
                "activation": "tanh",
                "init": "normal",
                "init_scale": 1.0,
                "optimizer": "adam",
                "lr": 1e-3,
                "steps": 1000,
                "snapshot_every": 1,
                "threshold": 0.1,
                "seeds": 6,
            },
            "paper": {
                "frequencies": [1, 3, 5],
                "amplitudes": [1.0, 2.0, 3.0],
                "interval": [-np.pi, np.pi],
                "points": 200,
                "hidden": [200, 200, 200, 100],
                "activation": "tanh",
                "init": "normal",
                "init_scale": 1.0,
                "optimizer": "adam",
                "lr": 5e-5,
                "steps": 3000,
                "snapshot_every": 1,
                "threshold": 0.1,
                "seeds": 10,
            },
        },
        predict=predict_fprinciple,
        measure=measure_fprinciple,
        figures=dynamics_figures,
        notes=(
            "Initialisation: LeCun normal (weights and biases ~ N(0, 1/fan_in)), float32, full-batch Adam "
            "(default betas). The lowest peak has the smallest amplitude, so its relative error is the most "
            "sensitive to the transient changes made while the larger, higher peaks are fitted: a peak "
            "counts as converged only once Δ_F stays below the threshold for the rest of the run.",
        ),
    )
)


# ------------------------------------------------------------------------------------------------
# xu2019.large-init


def predict_large_init(params: Params, seeds: Sequence[int]) -> Prediction:
    """The ordering should break where the tanh gradient factor e^{-π|k|/(2|w|)} (FORMULAS §1) is flat.

    The table holds that factor at every peak for a first-layer weight of one standard deviation, at the
    standard and at the large scale (for the LeCun-normal first layer, fan_in = 1, that is init_scale).
    """
    peaks, _ = target_peaks(params)
    k = np.asarray(peaks, dtype=float)
    standard = float(params["init_scale"])
    scales = {"standard": standard, "large": standard * float(params["large_factor"])}
    frames = [
        tidy(ALL_SEEDS, f"gradient_factor_{name}", np.exp(-np.pi * k / (2 * w)), x=k) for name, w in scales.items()
    ]
    spread = {name: np.exp(-np.pi * (k[-1] - k[0]) / (2 * w)) for name, w in scales.items()}
    return Prediction(
        concat(frames),
        f"with the initial weights × {params['large_factor']:g}, the low-to-high ordering breaks (ρ(k, "
        "convergence step) ≤ 0.5) and the held-out error at the end exceeds that of the standard scale; the "
        f"gradient factor e^(-πk/2|w|) at k = {peaks[-1]} is {spread['standard']:.1e} × its value at k = "
        f"{peaks[0]} for |w| = {scales['standard']:g}, but {spread['large']:.2f} × for |w| = {scales['large']:g}",
    )


def _relative_rms(outputs: np.ndarray, target: np.ndarray) -> np.ndarray:
    return np.sqrt(np.mean((outputs - target) ** 2, axis=-1)) / np.sqrt(np.mean(target**2))


def measure_large_init(params: Params, seeds: Sequence[int]) -> Measurement:
    peaks, amplitudes = target_peaks(params)
    grid = grid_of(params)
    train, test = grid.subgrid(0, 2), grid.subgrid(1, 2)
    target = sine_targets(seeds[:1], peaks, amplitudes, grid.period, random_phase=False)[0]
    labels, clean_test = target(train.points), target(test.points)
    threshold = float(params["threshold"])
    runs, converged, test_error = {}, {}, {}
    for name, scale in (("standard", 1.0), ("large", float(params["large_factor"]))):
        spec = network_spec(params, init_scale=float(params["init_scale"]) * scale)
        config = training_config(params, f"xu2019.large-init ({name})")
        runs[name] = train_on_grid(spec, seeds, train, labels, config, eval_grids={"test": test})
        converged[name] = convergence_steps(runs[name].steps, runs[name].peak_errors(peaks), threshold)
        test_error[name] = _relative_rms(runs[name].outputs("test")[-1], clean_test)
    ratio = test_error["large"] / test_error["standard"]
    frames = []
    for member, seed in enumerate(seeds):
        for name in ("standard", "large"):
            frames += [
                tidy(seed, f"convergence_step_{name}", converged[name][member], x=peaks),
                tidy(seed, f"rho_{name}", rank_correlation(np.asarray(peaks, float), converged[name][member])),
                tidy(seed, f"test_error_{name}", test_error[name][member]),
                tidy(seed, f"final_train_loss_{name}", runs[name].run.loss[-1, member]),
            ]
        frames.append(tidy(seed, "test_error_ratio", ratio[member]))
    diverged = tuple(sorted(set(runs["standard"].run.diverged_seeds) | set(runs["large"].run.diverged_seeds)))
    summary = (
        f"ρ per seed, large init: {rho_text(peaks, converged['large'])}; standard: "
        f"{rho_text(peaks, converged['standard'])}; held-out relative error, median: large "
        f"{np.median(test_error['large']):.3f}, standard {np.median(test_error['standard']):.3f}"
    )
    large = runs["large"]
    return Measurement(
        concat(frames),
        summary=summary,
        diverged_seeds=diverged,
        notes=(_chance_note(len(peaks), len(seeds)),),
        artifacts={
            "steps": large.steps,
            "peaks": peaks,
            "errors": {name: runs[name].peak_errors(peaks)[:, 0] for name in runs},
            "converged": converged,
            "seeds": tuple(seeds),
            "x_train": train.points,
            "x_test": test.points,
            "labels": labels,
            "clean_test": clean_test,
            "final": {name: (runs[name].outputs()[-1, 0], runs[name].outputs("test")[-1, 0]) for name in runs},
        },
    )


def _chance_note(count: int, seeds: int) -> str:
    """How often ρ ≤ 0.5 holds for a random order of `count` peaks (exact over all permutations)."""
    from itertools import permutations

    ranks = np.arange(count, dtype=float)
    rhos = np.array([rank_correlation(ranks, np.asarray(p, dtype=float)) for p in permutations(range(count))])
    chance = float(np.mean(rhos <= 0.5))

    def at_least(share: float) -> float:
        needed = int(np.ceil(share * seeds - 1e-9))
        return float(stats.binom.sf(needed - 1, seeds, chance))

    return (
        f"**Share.** If the large initialisation erased every frequency ordering, the convergence order of the "
        f"{count} peaks would be a random permutation and ρ ≤ 0.5 would hold in {chance:.0%} of seeds (exact, "
        f"over all {len(rhos)} permutations). With {seeds} seeds the prediction would then reach a share of "
        f"80 % with probability {at_least(0.8):.2f} only, and a share of 60 % with probability "
        f"{at_least(0.6):.2f}: the claim reads 'most seeds' as 60 %."
    )


def large_init_figures(prediction: Prediction, measurement: Measurement, params: Params) -> list[Figure]:
    art = measurement.artifacts
    if not art:
        return []
    seed = art["seeds"][0]
    figures = [
        heatmap_figure(
            art["steps"],
            art["peaks"],
            art["errors"][name],
            f"Δ_F(k) over training, {name} initialisation, seed {seed}",
            "Δ_F",
            log=True,
            marks=art["converged"][name][0],
        )
        for name in ("standard", "large")
    ]
    figure = Figure(figsize=(8, 3.2))
    axes = figure.add_subplot(1, 1, 1)
    axes.plot(art["x_train"], art["labels"], "k.", markersize=4, label="training points")
    axes.plot(art["x_test"], art["clean_test"], "kx", markersize=3, label="held-out points")
    for name, colour in (("standard", "tab:blue"), ("large", "tab:red")):
        train_out, test_out = art["final"][name]
        order = np.argsort(np.concatenate([art["x_train"], art["x_test"]]))
        values = np.concatenate([train_out, test_out])[order]
        axes.plot(np.sort(np.concatenate([art["x_train"], art["x_test"]])), values, color=colour, linewidth=1,
                  label=f"{name} init, end of training")
    axes.set_xlabel("x")
    axes.set_title(f"fits at the end of training, seed {seed}", fontsize=9)
    axes.legend(fontsize=7)
    figure.tight_layout()
    return [*figures, figure]


register(
    Claim(
        id="xu2019.large-init",
        version=1,
        source=f"{XU2018}, §4; {XU_ZHANG_XIAO2018}",
        statement=(
            "With a large initial weight scale the F-Principle fails: the peaks no longer converge from low to "
            "high frequency, and the network fitted on the even grid points generalises worse to the odd ones."
        ),
        expected="agree",
        expected_reason=(
            "Xu 2018 §4: the gradient's frequency decay e^{-π|k|/(2|w|)} fades when |w| is large (FORMULAS "
            "§1), so no frequency has priority, and the fit of the training points oscillates between them."
        ),
        rules=(Order("convergence_step_large", 0.5, at_least=False), Bound("test_error_ratio", 1.0, above=True)),
        share=0.6,
        setup={
            "quick": {
                "frequencies": [1, 2, 3, 4, 5, 6],
                "amplitudes": [1.0] * 6,
                "interval": [-np.pi, np.pi],
                "points": 128,
                "hidden": [128, 128],
                "activation": "tanh",
                "init": "normal",
                "init_scale": 1.0,
                "large_factor": 10.0,
                "optimizer": "adam",
                "lr": 1e-3,
                "steps": 600,
                "snapshot_every": 1,
                "threshold": 0.1,
                "seeds": 8,
            },
            "paper": {
                "frequencies": [1, 2, 3, 4, 5, 6],
                "amplitudes": [1.0] * 6,
                "interval": [-np.pi, np.pi],
                "points": 400,
                "hidden": [200, 200, 200, 100],
                "activation": "tanh",
                "init": "normal",
                "init_scale": 1.0,
                "large_factor": 10.0,
                "optimizer": "adam",
                "lr": 1e-4,
                "steps": 5000,
                "snapshot_every": 1,
                "threshold": 0.1,
                "seeds": 10,
            },
        },
        predict=predict_large_init,
        measure=measure_large_init,
        figures=large_init_figures,
        notes=(
            "Training points: the even-indexed points of the on-bin grid; held-out points: the odd-indexed "
            "ones (both are on-bin grids of half the size, so every peak stays one bin). The large "
            "initialisation multiplies the standard draw of every weight and bias (LeCun normal) by the "
            "factor, so both runs of a seed start from the same directions.",
            "The peaks are kept below the large first-layer weight scale on purpose: the theory (FORMULAS §1) "
            "says the priority of low frequencies fades when |w| ≫ k, so the claim tests the regime where it "
            "predicts the ordering to vanish. With peaks well above the large scale (e.g. up to k = 15 at "
            "|w| ≈ 10) the ordering partly survives the large initialisation.",
        ),
    )
)


# ------------------------------------------------------------------------------------------------
# xu2019.early-stopping


def predict_early_stopping(params: Params, seeds: Sequence[int]) -> Prediction:
    low, high = (int(v) for v in params["noise_band"])
    return Prediction(
        concat([]),
        "the best held-out error along training is ≤ 0.9 × the final one, and the fit's band "
        f"[{low}, {high}] (where the label noise lives) reaches at most half of its final amplitude by then",
    )


def measure_early_stopping(params: Params, seeds: Sequence[int]) -> Measurement:
    peaks, amplitudes = target_peaks(params)
    grid = grid_of(params)
    train, test = grid.subgrid(0, 2), grid.subgrid(1, 2)
    low, high = (int(v) for v in params["noise_band"])
    target = sine_targets(seeds[:1], peaks, amplitudes, grid.period, random_phase=False)[0]
    noise = np.stack(
        [band_noise(train, (low, high), float(params["noise_rms"]), numpy_rng(seed, "noise")) for seed in seeds]
    )
    labels = target(train.points)[None] + noise
    clean_test = target(test.points)
    fit = train_on_grid(
        network_spec(params), seeds, train, labels, training_config(params, "xu2019.early-stopping"),
        eval_grids={"test": test},
    )
    test_error = _relative_rms(fit.outputs("test"), clean_test)  # (T, S)
    band = np.sqrt(band_power(fourier_coefficients(fit.outputs(), train), low, high))  # (T, S)
    noise_band = np.sqrt(band_power(fourier_coefficients(noise, train), low, high))
    frames, lines = [], []
    best_steps = np.full(len(seeds), np.nan)
    for member, seed in enumerate(seeds):
        curve = test_error[:, member]
        frames += [
            curve_rows(seed, "test_error", fit.steps, curve),
            curve_rows(seed, "high_band_amplitude", fit.steps, band[:, member]),
            tidy(seed, "noise_band_amplitude", noise_band[member]),
        ]
        if not np.all(np.isfinite(curve)) or not np.all(np.isfinite(band[:, member])):
            frames += [tidy(seed, "best_over_final_test_error", np.nan), tidy(seed, "high_band_at_best", np.nan)]
            continue
        best = int(np.argmin(curve))
        best_steps[member] = fit.steps[best]
        frames += [
            tidy(seed, "best_step", fit.steps[best]),
            tidy(seed, "best_over_final_test_error", curve[best] / curve[-1]),
            tidy(seed, "high_band_at_best", band[best, member] / band[-1, member]),
        ]
        lines.append(
            f"seed {seed}: best held-out error {curve[best]:.3f} at step {int(fit.steps[best])}, final "
            f"{curve[-1]:.3f}; band amplitude {band[best, member]:.3f} then, {band[-1, member]:.3f} at the end "
            f"(label noise {noise_band[member]:.3f})"
        )
    return Measurement(
        concat(frames),
        summary="; ".join(lines),
        diverged_seeds=fit.run.diverged_seeds,
        artifacts={
            "steps": fit.steps,
            "test_error": test_error,
            "band": band,
            "noise_band": noise_band,
            "best_steps": best_steps,
            "seeds": tuple(seeds),
            "x_train": train.points,
            "labels": labels[0],
            "x_test": test.points,
            "clean_test": clean_test,
            "outputs_test": fit.outputs("test")[:, 0],
        },
    )


def early_stopping_figures(prediction: Prediction, measurement: Measurement, params: Params) -> list[Figure]:
    art = measurement.artifacts
    if not art:
        return []
    figure = Figure(figsize=(10, 3.4))
    left, right = figure.add_subplot(1, 2, 1), figure.add_subplot(1, 2, 2)
    for member, seed in enumerate(art["seeds"]):
        (line,) = left.plot(art["steps"], art["test_error"][:, member], linewidth=0.9, label=f"seed {seed}")
        right.plot(art["steps"], art["band"][:, member], color=line.get_color(), linewidth=0.9)
        if np.isfinite(art["best_steps"][member]):
            left.axvline(art["best_steps"][member], color=line.get_color(), linestyle=":", linewidth=0.7)
            right.axvline(art["best_steps"][member], color=line.get_color(), linestyle=":", linewidth=0.7)
    left.set_xlabel("training step")
    left.set_ylabel("held-out relative error")
    left.set_yscale("log")
    left.set_title("held-out error (dotted: best step)", fontsize=9)
    low, high = params["noise_band"]
    right.set_xlabel("training step")
    right.set_ylabel(f"fit amplitude in band [{low}, {high}]")
    right.set_title("the fit's high-frequency band (the label noise's)", fontsize=9)
    if len(art["seeds"]) <= 10:
        left.legend(fontsize=6)
    figure.tight_layout()
    seed = art["seeds"][0]
    fit = Figure(figsize=(8, 3.2))
    axes = fit.add_subplot(1, 1, 1)
    axes.plot(art["x_train"], art["labels"], "k.", markersize=3, label="noisy training labels")
    axes.plot(art["x_test"], art["clean_test"], "k-", linewidth=0.8, label="clean target")
    best = int(np.argmin(art["test_error"][:, 0]))
    best_label = f"fit at the best step {int(art['steps'][best])}"
    axes.plot(art["x_test"], art["outputs_test"][best], color="tab:green", label=best_label)
    axes.plot(art["x_test"], art["outputs_test"][-1], color="tab:red", label=f"fit at step {int(art['steps'][-1])}")
    axes.set_xlabel("x")
    axes.set_title(f"held-out points, seed {seed}", fontsize=9)
    axes.legend(fontsize=7)
    fit.tight_layout()
    return [figure, fit]


register(
    Claim(
        id="xu2019.early-stopping",
        version=1,
        source=f"{XU2018}, §3",
        statement=(
            "When a low-frequency target is learned from labels with added high-frequency noise, the held-out "
            "error is lowest before the network fits the noise, which it fits last: early stopping helps."
        ),
        expected="agree",
        expected_reason=(
            "By the F-Principle the low-frequency target is fitted first and the high-frequency noise last, "
            "so stopping in between gives a smoother fit with a lower held-out error (Xu 2018 §3)."
        ),
        rules=(Bound("best_over_final_test_error", 0.9), Bound("high_band_at_best", 0.5)),
        setup={
            "quick": {
                "frequencies": [1, 2, 3],
                "amplitudes": [1.0, 0.6, 0.3],
                "noise_band": [8, 16],
                "noise_rms": 0.3,
                "interval": [-np.pi, np.pi],
                "points": 128,
                "hidden": [128, 128],
                "activation": "tanh",
                "init": "normal",
                "init_scale": 1.0,
                "optimizer": "adam",
                "lr": 1e-3,
                "steps": 2000,
                "snapshot_every": 5,
                "seeds": 6,
            },
            "paper": {
                "frequencies": [1, 2, 3],
                "amplitudes": [1.0, 0.6, 0.3],
                "noise_band": [25, 50],
                "noise_rms": 0.3,
                "interval": [-np.pi, np.pi],
                "points": 400,
                "hidden": [200, 200, 200, 100],
                "activation": "tanh",
                "init": "normal",
                "init_scale": 1.0,
                "optimizer": "adam",
                "lr": 1e-4,
                "steps": 20000,
                "snapshot_every": 10,
                "seeds": 10,
            },
        },
        predict=predict_early_stopping,
        measure=measure_early_stopping,
        figures=early_stopping_figures,
        notes=(
            "Training labels: the target on the even-indexed grid points plus noise whose spectrum fills the "
            "band only (independent Gaussian sine and cosine coefficients, scaled to the stated RMS, drawn per "
            "seed); held-out points: the clean target on the odd-indexed points. Held-out error: RMS of fit "
            "minus clean target over the RMS of the target. Band amplitude: √(Σ_band |c_k|²) of the fit on the "
            "training points; the rule compares it at the best step with its value at the end.",
        ),
    )
)
