"""Claims of Rahaman et al. 2019, "On the spectral bias of neural networks" (ICML, arXiv:1806.08734).

The exact-spectrum claims (FORMULAS.md §2) work on 1D ReLU networks on [0, 1], random (torch's
default initialisation) and trained (a few hundred full-batch Adam steps on a sum of sines), whose
Fourier coefficients c_k = ∫_0^1 f(x) e^{-2πikx} dx (ordinary integer k) are known exactly from their
linear pieces (`theory.relu_spectrum`):

- `rahaman2019.relu-decay-k2` (Theorem 1 in 1D): |c_k| ≤ the exact-kink bound at every k, and the
  boundary-free part c_k - i(f(1) - f(0))/(2πk) decays as k^-2; the slope is measured without the
  closed form (FFT of the float64 torch network minus its ramp, `empirics.ramp_spectrum`);
- `rahaman2019.weight-bound` (Eq. 7): the same bound with constants from the weights alone holds,
  and how loose it is;
- `rahaman2019.regions-depth-width` (§3 against Hanin & Rolnick 2019): at a fixed number of neurons,
  do the linear pieces grow with depth at a rate approaching the worst case Π(1 + d_l)?
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from scipy import stats

from empirics import ramp_spectrum, relu_fit
from empirics.targets import SumOfSines
from reports import spectral_bias_training as training
from reports.catalogue import register
from reports.claim import ALL_SEEDS, Claim, Measurement, Params, Prediction, concat, tidy
from reports.rules import Bound, Order, Rate
from theory import relu_spectrum

SOURCE = (
    "Rahaman, Baratin, Arpit, Draxler, Lin, Hamprecht, Bengio, Courville 2019, \"On the spectral bias of "
    "neural networks\", ICML, arXiv:1806.08734"
)
KINDS = ("random", "trained")
FIGURE_FFT_POINTS = 1 << 16  # the FFT drawn next to the exact spectrum where a claim takes no fft_points
Layers = relu_fit.Layers


# ------------------------------------------------------------------------------------------------
# the networks of the exact-spectrum claims: one random and one trained network per seed


@dataclass(frozen=True)
class SpectrumNetworks:
    """Per seed, the network at initialisation ("random") and after training ("trained")."""

    layers: Mapping[int, Mapping[str, Layers]]
    diverged: tuple[int, ...]


def _network_key(params: Params, seeds: Sequence[int]) -> tuple:
    return (
        int(params["depth"]),
        int(params["width"]),
        int(params["train_steps"]),
        float(params["lr"]),
        int(params["train_points"]),
        tuple(int(k) for k in params["target_frequencies"]),
        tuple(float(a) for a in params["target_amplitudes"]),
        tuple(int(seed) for seed in seeds),
    )


def spectrum_networks(params: Params, seeds: Sequence[int]) -> SpectrumNetworks:
    """The random and trained networks of every seed (cached: predict and measure share them)."""
    return _spectrum_networks(*_network_key(params, seeds))


@functools.lru_cache(maxsize=4)
def _spectrum_networks(
    depth: int,
    width: int,
    steps: int,
    lr: float,
    points: int,
    frequencies: tuple[int, ...],
    amplitudes: tuple[float, ...],
    seeds: tuple[int, ...],
) -> SpectrumNetworks:
    spec = relu_fit.relu_spec(depth, width)
    initial = relu_fit.init_networks(spec, [(seed, "rahaman2019/spectrum") for seed in seeds])
    target = SumOfSines(frequencies, amplitudes, (0.0,) * len(frequencies), 1.0)
    fit = relu_fit.fit_sines(spec, initial, target, points, steps, lr)
    layers = {
        seed: {"random": fit.initial[member], "trained": fit.trained[member]} for member, seed in enumerate(seeds)
    }
    return SpectrumNetworks(layers, tuple(seeds[member] for member in fit.diverged))


def frequency_grid(params: Params) -> np.ndarray:
    """Every integer 1 … k_dense, then 64 geometric steps up to k_max (rounded, distinct)."""
    dense = np.arange(1, int(params["k_dense"]) + 1)
    sparse = np.round(np.geomspace(int(params["k_dense"]), int(params["k_max"]), 64))
    return np.unique(np.concatenate([dense, sparse])).astype(np.int64)


def _sampled(layers: Layers, points: int) -> tuple[np.ndarray, float]:
    """The float64 torch network at j/points (j < points) and at 1: only values, no closed form."""
    values = relu_fit.evaluate(*layers, np.arange(points) / points)
    return values, float(relu_fit.evaluate(*layers, np.array([1.0]))[0])


def measured_decay_slope(values: np.ndarray, value_at_1: float, k_min: int, k_max: int) -> float:
    """The log-log slope of the ramp-free FFT coefficients over k_min … k_max (windowed RMS fit)."""
    coefficients = ramp_spectrum.ramp_free_coefficients(values, value_at_1)
    if k_max >= coefficients.size // 4:
        raise ValueError(f"fit_k_max = {k_max} needs fft_points ≥ {8 * k_max} to keep aliasing small")
    k = np.arange(k_min, k_max + 1)
    return relu_spectrum.fitted_decay_slope(k, coefficients[k])


def spectrum_rows(seed: int, kind: str, layers: Layers, k: np.ndarray) -> pd.DataFrame:
    """Exact |c_k| of one network and what it is made of (pieces, boundary term, kink sum)."""
    pieces = relu_spectrum.linear_pieces(*layers)
    amplitude = np.abs(relu_spectrum.exact_coefficients(*layers, k))
    return concat(
        [
            tidy(seed, f"abs_coefficient_{kind}", amplitude, x=k),
            tidy(seed, f"pieces_{kind}", pieces.n_pieces),
        ]
    )


def aliasing_table(networks: Sequence[Layers], sizes: Sequence[int], ks: Sequence[int]) -> str:
    """Markdown: median relative error of the N-point FFT estimate of c_k against the exact c_k."""
    rows = []
    for k in ks:
        plain, corrected = [], []
        for n in sizes:
            if k >= n // 2:
                plain.append("-")
                corrected.append("-")
                continue
            errors_plain, errors_corrected = [], []
            for layers in networks:
                exact = complex(relu_spectrum.exact_coefficients(*layers, k))
                values, at_1 = _sampled(layers, n)
                errors_plain.append(abs(ramp_spectrum.sampled_coefficients(values)[k] - exact) / abs(exact))
                estimate = ramp_spectrum.ramp_corrected_coefficients(values, at_1)[k]
                errors_corrected.append(abs(estimate - exact) / abs(exact))
            plain.append(f"{np.median(errors_plain):.1e}")
            corrected.append(f"{np.median(errors_corrected):.1e}")
        rows.append(f"| {k} | " + " | ".join(plain) + " | " + " | ".join(corrected) + " |")
    header = "| k | " + " | ".join(f"plain N={n}" for n in sizes) + " | " + " | ".join(
        f"ramp-removed N={n}" for n in sizes
    ) + " |"
    rule = "|---" * (1 + 2 * len(sizes)) + "|"
    lead = (
        "**Aliasing of the sampled FFT.** Median over the networks of this run of |ĉ_k - c_k| / |c_k|, "
        "ĉ_k the N-point FFT of the network sampled at x_j = j/N (1/N normalisation), c_k exact. The plain "
        "FFT errs at first order, about πk/N: the periodic extension of f jumps by f(1) - f(0). Removing "
        "the ramp f(0) + (f(1) - f(0))x before the FFT and adding its exact coefficient back leaves a "
        "second-order error, O((k/N)²)."
    )
    return "\n".join([lead, "", header, rule, *rows])


def _spectra_artifact(
    layers: Mapping[str, Layers], k: np.ndarray, samples: Mapping[str, tuple[np.ndarray, float]]
) -> dict[str, Any]:
    """The arrays of one seed's figure: exact |c_k|, both bounds, and the ramp-corrected FFT of `samples`."""
    artifact = {}
    for kind, net in layers.items():
        values, at_1 = samples[kind]
        points = values.size
        sampled = np.abs(ramp_spectrum.ramp_corrected_coefficients(values, at_1))
        sampled_free = np.abs(ramp_spectrum.ramp_free_coefficients(values, at_1))
        shown = k[k < points // 4]
        artifact[kind] = {
            "k": k,
            "abs": np.abs(relu_spectrum.exact_coefficients(*net, k)),
            "decay_bound": relu_spectrum.decay_bound(*net, k),
            "weight_bound": relu_spectrum.weight_bound(*net, k),
            "boundary_free": np.abs(relu_spectrum.boundary_free_coefficients(*net, k)),
            "sampled_k": shown,
            "sampled": sampled[shown],
            "sampled_free": sampled_free[shown],
        }
    return artifact


def spectrum_figures(prediction: Prediction, measurement: Measurement, params: Params) -> list[Figure]:
    """|c_k| against the exact-kink bound and the weight bound, log-log, first seed, random and trained."""
    spectra = measurement.artifacts.get("spectra")
    if not spectra:
        return []
    figure = Figure(figsize=(10, 4))
    for index, kind in enumerate(KINDS):
        data = spectra[kind]
        axes = figure.add_subplot(1, 2, index + 1)
        axes.loglog(data["k"], data["weight_bound"], color="tab:red", label="weight bound (Π‖W‖₂, Π(1+d))")
        axes.loglog(data["k"], data["decay_bound"], color="tab:orange", label="exact-kink bound")
        axes.loglog(data["k"], data["abs"], ".", color="tab:blue", markersize=2, label="|c_k| exact")
        axes.loglog(data["sampled_k"], data["sampled"], color="tab:green", linewidth=0.6, alpha=0.7,
                    label="|c_k| FFT, ramp removed")
        axes.set_xlabel("k (cycles on [0, 1])")
        axes.set_ylabel("|c_k|")
        axes.set_title(f"{kind} network (seed {measurement.artifacts['seed']})")
        axes.legend(fontsize=7)
    figure.tight_layout()
    return [figure]


def boundary_free_figure(measurement: Measurement, params: Params) -> Figure:
    """|c_k - i(f(1)-f(0))/(2πk)| (exact and FFT of f minus its ramp) with a k^-2 guide and the fit range."""
    spectra = measurement.artifacts["spectra"]
    figure = Figure(figsize=(10, 4))
    for index, kind in enumerate(KINDS):
        data = spectra[kind]
        axes = figure.add_subplot(1, 2, index + 1)
        axes.loglog(data["k"], data["boundary_free"], ".", color="tab:blue", markersize=2, label="exact")
        axes.loglog(data["sampled_k"], data["sampled_free"], color="tab:green", linewidth=0.6, alpha=0.7,
                    label="FFT of f minus its ramp")
        anchor = int(params["fit_k_min"])
        level = np.sqrt(np.mean(data["boundary_free"][(data["k"] >= anchor) & (data["k"] < 2 * anchor)] ** 2))
        guide = data["k"][data["k"] >= 8]
        axes.loglog(guide, level * (guide / anchor) ** -2.0, "k--", linewidth=1, label="k^-2")
        axes.axvspan(anchor, int(params["fit_k_max"]), color="0.9", zorder=0, label="fit range")
        axes.set_xlabel("k (cycles on [0, 1])")
        axes.set_ylabel("|c_k - i(f(1)-f(0))/(2πk)|")
        axes.set_title(f"{kind} network: boundary-free part")
        axes.legend(fontsize=7)
    figure.tight_layout()
    return figure


def decay_figures(prediction: Prediction, measurement: Measurement, params: Params) -> list[Figure]:
    if not measurement.artifacts.get("spectra"):
        return []
    return [*spectrum_figures(prediction, measurement, params), boundary_free_figure(measurement, params)]


# ------------------------------------------------------------------------------------------------
# rahaman2019.relu-decay-k2


def predict_decay(params: Params, seeds: Sequence[int]) -> Prediction:
    networks = spectrum_networks(params, seeds)
    k = frequency_grid(params)
    frames = [tidy(ALL_SEEDS, "predicted_slope", -2.0)]
    for seed in seeds:
        for kind in KINDS:
            bound = relu_spectrum.decay_bound(*networks.layers[seed][kind], k)
            frames.append(tidy(seed, f"decay_bound_{kind}", bound, x=k))
    return Prediction(
        concat(frames),
        "|c_k| ≤ |f(1)-f(0)|/(2π|k|) + (Σ|J_m| + |f'(0+)-f'(1-)|)/(2πk)² at every k; the boundary-free part "
        "decays as k^-2 (slope -2)",
    )


def measure_decay(params: Params, seeds: Sequence[int]) -> Measurement:
    networks = spectrum_networks(params, seeds)
    k = frequency_grid(params)
    k_min, k_max, points = int(params["fit_k_min"]), int(params["fit_k_max"]), int(params["fft_points"])
    fit_k = np.arange(k_min, k_max + 1)
    frames, lines, first_samples = [], [], {}
    for seed in seeds:
        for kind in KINDS:
            layers = networks.layers[seed][kind]
            values, at_1 = _sampled(layers, points)
            if seed == seeds[0]:
                first_samples[kind] = (values, at_1)
            slope = measured_decay_slope(values, at_1, k_min, k_max)
            exact_slope = relu_spectrum.fitted_decay_slope(
                fit_k, relu_spectrum.boundary_free_coefficients(*layers, fit_k)
            )
            ratio = np.abs(relu_spectrum.exact_coefficients(*layers, k)) / relu_spectrum.decay_bound(*layers, k)
            frames += [
                spectrum_rows(seed, kind, layers, k),
                tidy(seed, f"slope_{kind}", slope),
                tidy(seed, f"slope_closed_form_{kind}", exact_slope),
                tidy(seed, f"bound_ratio_max_{kind}", float(np.max(ratio))),
                tidy(seed, f"bound_ratio_median_{kind}", float(np.median(ratio))),
            ]
            lines.append(
                f"seed {seed} {kind}: {relu_spectrum.count_pieces(*layers)} pieces, max |c_k|/bound "
                f"{np.max(ratio):.6f} (median {np.median(ratio):.3f}), FFT slope {slope:.3f} "
                f"(closed form {exact_slope:.3f})"
            )
    all_networks = [networks.layers[seed][kind] for seed in seeds for kind in KINDS]
    table = aliasing_table(all_networks, params["aliasing_points"], params["aliasing_k"])
    first = seeds[0]
    return Measurement(
        concat(frames),
        summary="; ".join(lines),
        diverged_seeds=networks.diverged,
        notes=(table,),
        artifacts={"spectra": _spectra_artifact(networks.layers[first], k, first_samples), "seed": first},
    )


NETWORKS_QUICK = {
    "depth": 3,
    "width": 32,
    "train_steps": 400,
    "lr": 3e-3,
    "train_points": 256,
    "target_frequencies": [1, 3, 5],
    "target_amplitudes": [1.0, 0.5, 0.25],
    "k_dense": 1024,
    "k_max": 1000000,
}
NETWORKS_PAPER = {
    "depth": 6,
    "width": 256,
    "train_steps": 20000,
    "lr": 3e-4,
    "train_points": 200,
    "target_frequencies": [5, 10, 15, 20, 25, 30, 35, 40, 45, 50],
    "target_amplitudes": [1.0] * 10,
    "k_dense": 4096,
    "k_max": 10000000,
}

register(
    Claim(
        id="rahaman2019.relu-decay-k2",
        version=1,
        source=f"{SOURCE}, Theorem 1 (d = 1); FORMULAS.md §2",
        statement=(
            "The Fourier coefficients of 1D ReLU networks on [0,1] (random and trained) obey the exact-kink "
            "bound at every k; once the boundary term i(f(1)-f(0))/(2πk) is removed, they decay as k^-2."
        ),
        expected="agree",
        expected_reason=(
            "In 1D a ReLU network is continuous and piecewise linear: integrating each piece by parts gives "
            "the kink form, whose kink terms are O(k^-2) (Theorem 1 with d = 1)."
        ),
        rules=(
            Bound("abs_coefficient_random", "decay_bound_random"),
            Bound("abs_coefficient_trained", "decay_bound_trained"),
            Rate("slope_random", "predicted_slope", atol=0.1),
            Rate("slope_trained", "predicted_slope", atol=0.1),
        ),
        setup={
            "quick": {
                "seeds": 3,
                **NETWORKS_QUICK,
                "fft_points": 1 << 19,
                "fit_k_min": 128,
                "fit_k_max": 16384,
                "aliasing_points": [64, 256, 1024, 4096, 16384],
                "aliasing_k": [1, 4, 16, 64],
            },
            "paper": {
                "seeds": 10,
                **NETWORKS_PAPER,
                "fft_points": 1 << 19,
                "fit_k_min": 256,
                "fit_k_max": 32768,
                "aliasing_points": [64, 256, 1024, 4096, 16384, 65536],
                "aliasing_k": [1, 5, 50, 500],
            },
        },
        predict=predict_decay,
        measure=measure_decay,
        figures=decay_figures,
        notes=(
            "Convention: c_k = ∫_0^1 f(x) e^{-2πikx} dx, ordinary integer k, no normalisation factor. "
            "The bound is checked on the exact coefficients (the closed form over the network's linear "
            "pieces, which the tests check against quadrature) at every k = 1 … k_dense and on a geometric "
            "grid up to k_max. The slope is measured without the closed form: the float64 torch network is "
            "sampled at N = fft_points points of [0, 1), its ramp f(0) + (f(1)-f(0))x is subtracted, the FFT "
            "taken, and log|ĉ_k| fitted against log k over fit_k_min … fit_k_max through the root mean "
            "square in 12 geometric windows (the kink sum oscillates and has near-zeros at single k). "
            "Below about k = 100 a trained network's spectrum still carries its target's low frequencies, "
            "so the fit starts above that.",
            "The exact-kink bound is asymptotically tight: at large k the boundary term dominates both |c_k| "
            "and the bound, so |c_k|/bound → 1 like 1 - O(1/k) and the bound rules' margin is small by "
            "construction (about 1e-6 at k = 10⁶). `bound_ratio_median_*` reports the typical tightness.",
        ),
        derivation="relu-spectrum",
    )
)


# ------------------------------------------------------------------------------------------------
# rahaman2019.weight-bound


def predict_weight_bound(params: Params, seeds: Sequence[int]) -> Prediction:
    networks = spectrum_networks(params, seeds)
    k = frequency_grid(params)
    frames = [
        tidy(seed, f"weight_bound_{kind}", relu_spectrum.weight_bound(*networks.layers[seed][kind], k), x=k)
        for seed in seeds
        for kind in KINDS
    ]
    return Prediction(concat(frames), "|c_k| ≤ L/(2π|k|) + 2LN/(2πk)², L = Π‖W_l‖₂, N = Π(1 + d_l), at every k")


def measure_weight_bound(params: Params, seeds: Sequence[int]) -> Measurement:
    networks = spectrum_networks(params, seeds)
    k = frequency_grid(params)
    frames, lines = [], []
    for seed in seeds:
        for kind in KINDS:
            layers = networks.layers[seed][kind]
            amplitude = np.abs(relu_spectrum.exact_coefficients(*layers, k))
            loose = relu_spectrum.weight_bound(*layers, k)
            exact_bound = relu_spectrum.decay_bound(*layers, k)
            factor = float(np.median(loose / amplitude))
            over_exact = float(np.median(loose / exact_bound))
            frames += [
                spectrum_rows(seed, kind, layers, k),
                tidy(seed, f"looseness_{kind}", factor),
                tidy(seed, f"looseness_over_exact_bound_{kind}", over_exact),
                tidy(seed, f"lipschitz_bound_{kind}", relu_spectrum.lipschitz_bound(*layers)),
                tidy(seed, f"pieces_bound_{kind}", float(relu_spectrum.pieces_bound(*layers))),
            ]
            lines.append(
                f"seed {seed} {kind}: weight bound / |c_k| median {factor:.3g}, / exact-kink bound {over_exact:.3g}"
                f" (pieces {relu_spectrum.count_pieces(*layers)} of at most {relu_spectrum.pieces_bound(*layers)})"
            )
    first = seeds[0]
    samples = {kind: _sampled(networks.layers[first][kind], FIGURE_FFT_POINTS) for kind in KINDS}
    return Measurement(
        concat(frames),
        summary="; ".join(lines),
        diverged_seeds=networks.diverged,
        artifacts={"spectra": _spectra_artifact(networks.layers[first], k, samples), "seed": first},
    )


register(
    Claim(
        id="rahaman2019.weight-bound",
        version=1,
        source=f"{SOURCE}, Theorem 1 and Eq. 7 (L_f ≤ Π_l ‖W^(l)‖₂); FORMULAS.md §2",
        statement=(
            "The bound with constants from the weights alone (Π‖W‖₂, pieces ≤ Π(1 + d_l)) holds."
        ),
        expected="agree",
        expected_reason=(
            "Every local slope is at most Π‖W_l‖₂ and a 1D network has at most Π(1 + d_l) pieces, so each "
            "constant of the exact-kink bound is dominated term by term."
        ),
        rules=(
            Bound("abs_coefficient_random", "weight_bound_random"),
            Bound("abs_coefficient_trained", "weight_bound_trained"),
        ),
        setup={
            "quick": {"seeds": 3, **NETWORKS_QUICK},
            "paper": {"seeds": 10, **NETWORKS_PAPER},
        },
        predict=predict_weight_bound,
        measure=measure_weight_bound,
        figures=spectrum_figures,
        notes=(
            "The looseness factor is the median over k of (weight bound) / |c_k|; `looseness_over_exact_bound` "
            "compares the weight bound with the exact-kink bound. Both grow with depth: the product of "
            "spectral norms ignores the ReLU masks and the sign cancellations between layers, and Π(1 + d_l) "
            "counts pieces a network almost never has (see rahaman2019.regions-depth-width).",
        ),
        derivation="relu-spectrum",
    )
)


# ------------------------------------------------------------------------------------------------
# rahaman2019.regions-depth-width


def worst_case_log_pieces(neurons: int, depths: Sequence[int]) -> np.ndarray:
    """log Π(1 + d_l) = D log(1 + M/D) for D layers of M/D neurons each."""
    depths = np.asarray(depths, dtype=float)
    return depths * np.log1p(neurons / depths)


def _widths(params: Params) -> list[tuple[int, int]]:
    neurons = int(params["neurons"])
    pairs = []
    for depth in params["depths"]:
        if int(depth) < 1 or neurons % int(depth):
            raise ValueError(f"depth {depth} does not divide the {neurons} neurons into equal layers")
        pairs.append((int(depth), neurons // int(depth)))
    return pairs


def slope_with_interval(depths: np.ndarray, log_pieces: np.ndarray, level: float = 0.9) -> tuple[float, float, float]:
    """OLS slope of log(pieces) on depth and its two-sided `level` t-interval (lower, slope, upper)."""
    fit = stats.linregress(depths, log_pieces)
    half = stats.t.ppf(0.5 + level / 2, depths.size - 2) * fit.stderr
    return float(fit.slope - half), float(fit.slope), float(fit.slope + half)


def region_rows(seed: int, kind: str, networks: Mapping[int, Sequence[Layers]]) -> pd.DataFrame:
    """log(pieces) of every network (x = depth) and the fitted slope per added layer with its 90 % interval."""
    depths, logs = [], []
    for depth, nets in networks.items():
        for layers in nets:
            depths.append(depth)
            logs.append(np.log(relu_spectrum.count_pieces(*layers)))
    depths_, logs_ = np.asarray(depths, dtype=float), np.asarray(logs)
    lower, slope, upper = slope_with_interval(depths_, logs_)
    return concat(
        [
            tidy(seed, f"log_pieces_{kind}", logs_, x=depths_),
            tidy(seed, f"slope_{kind}", slope),
            tidy(seed, f"slope_lower90_{kind}", lower),
            tidy(seed, f"slope_upper90_{kind}", upper),
        ]
    )


def predict_regions(params: Params, seeds: Sequence[int]) -> Prediction:
    pairs = _widths(params)
    depths = np.array([depth for depth, _ in pairs], dtype=float)
    worst = worst_case_log_pieces(int(params["neurons"]), depths)
    slope = float(np.polyfit(depths, worst, 1)[0])
    table = concat(
        [
            tidy(ALL_SEEDS, "worst_case_log_pieces", worst, x=depths),
            tidy(ALL_SEEDS, "worst_case_slope", slope),
            tidy(ALL_SEEDS, "half_worst_case_slope", slope / 2),
        ]
    )
    return Prediction(
        table,
        f"log(pieces) grows with depth at ≥ half the worst-case rate: worst case log Π(1 + d_l) has slope "
        f"{slope:.3f} per layer at {params['neurons']} neurons, so ≥ {slope / 2:.3f}",
    )


RegionNetworks = dict[int, dict[str, dict[int, list[Layers]]]]  # seed -> "init"/"trained" -> depth -> nets


def regions_networks(params: Params, seeds: Sequence[int]) -> tuple[RegionNetworks, tuple[int, ...]]:
    """Per seed and depth, `networks_per_depth` initialised networks and the same networks trained.

    All seeds of one depth train together as one ensemble; the seeds with a diverged network are returned.
    """
    target = SumOfSines(
        tuple(int(k) for k in params["target_frequencies"]),
        tuple(float(a) for a in params["target_amplitudes"]),
        (0.0,) * len(params["target_frequencies"]),
        1.0,
    )
    count = int(params["networks_per_depth"])
    found: RegionNetworks = {seed: {"init": {}, "trained": {}} for seed in seeds}
    diverged: set[int] = set()
    for depth, width in _widths(params):
        spec = relu_fit.relu_spec(depth, width)
        owners = [seed for seed in seeds for _ in range(count)]
        streams = [(seed, f"rahaman2019/regions/depth{depth}/{r}") for seed in seeds for r in range(count)]
        fit = relu_fit.fit_sines(
            spec, relu_fit.init_networks(spec, streams), target, int(params["train_points"]),
            int(params["train_steps"]), float(params["lr"]),
        )
        diverged.update(owners[member] for member in fit.diverged)
        for seed in seeds:
            mine = [member for member, owner in enumerate(owners) if owner == seed]
            found[seed]["init"][depth] = [fit.initial[member] for member in mine]
            found[seed]["trained"][depth] = [fit.trained[member] for member in mine]
    return found, tuple(sorted(diverged))


def measure_regions(params: Params, seeds: Sequence[int]) -> Measurement:
    frames, lines = [], []
    networks, diverged = regions_networks(params, seeds)
    medians: dict[str, dict[int, list[float]]] = {"init": {}, "trained": {}}
    for seed in seeds:
        for kind, by_depth in networks[seed].items():
            rows = region_rows(seed, kind, by_depth)
            frames.append(rows)
            for depth, nets in by_depth.items():
                medians[kind].setdefault(depth, []).extend(relu_spectrum.count_pieces(*n) for n in nets)
            slope = rows[rows["quantity"] == f"slope_{kind}"]["value"].iloc[0]
            upper = rows[rows["quantity"] == f"slope_upper90_{kind}"]["value"].iloc[0]
            lines.append(f"seed {seed} {kind}: slope {slope:.3f} per layer (90 % upper end {upper:.3f})")
    neurons = int(params["neurons"])
    per_depth = "; ".join(
        f"{kind}: " + ", ".join(f"D={d} {np.median(v):.0f} pieces" for d, v in sorted(by.items()))
        for kind, by in medians.items()
    )
    return Measurement(
        concat(frames),
        summary=f"{'; '.join(lines)}. Median pieces at {neurons} neurons: {per_depth}",
        diverged_seeds=diverged,
        artifacts={"pieces": {kind: {d: list(v) for d, v in by.items()} for kind, by in medians.items()}},
    )


def regions_figures(prediction: Prediction, measurement: Measurement, params: Params) -> list[Figure]:
    """Pieces against depth at a fixed neuron count, with the worst case and the linear (∝ neurons) model."""
    pieces = measurement.artifacts.get("pieces")
    if not pieces:
        return []
    neurons = int(params["neurons"])
    depths = np.array(sorted(pieces["init"]), dtype=float)
    figure = Figure(figsize=(6, 4))
    axes = figure.add_subplot()
    axes.semilogy(depths, np.exp(worst_case_log_pieces(neurons, depths)), "k--", label="worst case Π(1 + d_l)")
    everything = [p for by in pieces.values() for v in by.values() for p in v]
    density = (np.median(everything) - 1) / neurons
    axes.semilogy(depths, np.full(depths.shape, 1 + density * neurons), "k:",
                  label=f"∝ neurons: 1 + {density:.2f} × {neurons}")
    for kind, marker in (("init", "o"), ("trained", "s")):
        for depth, values in pieces[kind].items():
            axes.semilogy(np.full(len(values), depth), values, marker, color="tab:blue" if kind == "init" else
                          "tab:orange", alpha=0.35, markersize=4)
        axes.semilogy(depths, [np.median(pieces[kind][int(d)]) for d in depths], marker + "-",
                      color="tab:blue" if kind == "init" else "tab:orange", label=f"{kind} (median)")
    axes.set_xlabel(f"depth (layers of {neurons}/depth neurons)")
    axes.set_ylabel("linear pieces on [0, 1]")
    axes.legend(fontsize=7)
    figure.tight_layout()
    return [figure]


register(
    Claim(
        id="rahaman2019.regions-depth-width",
        version=1,
        source=(
            f"{SOURCE}, §3 (constants exponential in depth) against Hanin, Rolnick 2019, \"Complexity of "
            "linear regions in deep networks\", ICML, arXiv:1901.09021 (pieces along a line ∝ neurons)"
        ),
        statement=(
            "The expressive capacity grows exponentially with depth: at a fixed total number of neurons, "
            "the number of linear pieces on [0,1] of initialised and trained networks grows with depth at a "
            "rate approaching the worst case."
        ),
        expected="diverge",
        expected_reason=(
            "Hanin & Rolnick 2019: the expected number of pieces along a line grows with the number of "
            "neurons, not exponentially with depth; Π(1 + d_l) is a worst case that typical networks do not "
            "approach."
        ),
        rules=(
            Bound("slope_upper90_init", "half_worst_case_slope", above=True),
            Bound("slope_upper90_trained", "half_worst_case_slope", above=True),
        ),
        setup={
            "quick": {
                "seeds": 3,
                "neurons": 48,
                "depths": [1, 2, 3, 4, 6],
                "networks_per_depth": 4,
                "train_steps": 400,
                "lr": 3e-3,
                "train_points": 256,
                "target_frequencies": [1, 3, 5],
                "target_amplitudes": [1.0, 0.5, 0.25],
            },
            "paper": {
                "seeds": 10,
                "neurons": 120,
                "depths": [1, 2, 3, 4, 5, 6, 8, 10, 12],
                "networks_per_depth": 10,
                "train_steps": 5000,
                "lr": 1e-3,
                "train_points": 1024,
                "target_frequencies": [1, 3, 5, 7, 9],
                "target_amplitudes": [1.0, 0.8, 0.6, 0.4, 0.2],
            },
        },
        predict=predict_regions,
        measure=measure_regions,
        figures=regions_figures,
        notes=(
            "The prediction (rule) is the reading of Rahaman et al. §3 that the constants grow "
            "exponentially with depth through the number of linear regions. Pieces are the exact linear "
            "pieces on [0, 1] (`theory.relu_spectrum.count_pieces`), counted for initialised networks "
            "(torch's default initialisation, non-zero biases) and for the same networks after training on a "
            "sum of sines. The rule compares the upper end of the 90 % t-interval of the OLS slope of "
            "log(pieces) per added layer with half of the worst-case slope, the OLS slope of "
            "D log(1 + M/D) over the same depths (M neurons in D equal layers); the prediction fails only "
            "if even that upper end falls short.",
        ),
    )
)


# ------------------------------------------------------------------------------------------------
# The training claims (Figs. 1 and 2, §5): ReLU networks fitted to Σ A_i sin(2πk_i z + φ_i) with the
# ensemble engine; predictions, measurements and figures in reports/spectral_bias_training.py.

TRAINING_QUICK = {
    "frequencies": [1, 2, 3, 4, 5, 6],
    "interval": [0.0, 1.0],
    "points": 64,
    "hidden": [128, 128, 128, 128],
    "activation": "relu",
    "init": "uniform",
    "init_scale": 1.0,
    "optimizer": "adam",
    "lr": 1e-3,
    "steps": 2000,
    "snapshot_every": 5,
    "level": 0.9,
    "seeds": 6,
}
TRAINING_PAPER = {
    "frequencies": [5, 10, 15, 20, 25, 30, 35, 40, 45, 50],
    "interval": [0.0, 1.0],
    "points": 200,
    "hidden": [256, 256, 256, 256, 256],
    "activation": "relu",
    "init": "uniform",
    "init_scale": 1.0,
    "optimizer": "adam",
    "lr": 3e-4,
    "steps": 80000,
    "snapshot_every": 100,
    "level": 0.9,
    "seeds": 10,
}
TRAINING_NOTE = (
    "Setting of Rahaman et al. 2019, Eq. 8: λ(z) = Σ_i A_i sin(2πk_i z + φ_i) on the on-bin grid z_j = j/n "
    "of [0, 1), phases φ_i uniform on [0, 2π) drawn per seed; ReLU MLP (torch.nn.Linear's default "
    "initialisation), full-batch Adam, float32, every seed its own network and phases in one ensemble. The "
    "normalised amplitude is |ĥ(k)| / |ŷ(k)| = 2|f̂(k)|/A on the grid; a peak that never reaches the level "
    "counts as reaching it after the last step (ties last). The quick profile uses lower frequencies "
    "(k = 1…6 on 64 points), a smaller network and a larger learning rate so that every peak is learned "
    "within 2000 steps; the paper profile is the published one."
)

register(
    Claim(
        id="rahaman2019.fig1-equal-amplitudes",
        version=1,
        source=f"{SOURCE}, Fig. 1",
        statement=(
            "A ReLU network fitting a sum of equal-amplitude sines learns the lower frequencies first: the step "
            "at which 2|f̂(k_i)|/A_i first reaches 0.9 increases with k_i."
        ),
        expected="agree",
        expected_reason=(
            "Rahaman et al. Fig. 1 (spectral bias); their Theorem 1 and Proposition 1 make the gradient at "
            "frequency k of a ReLU network O(k^-1) relative to the amplitude, so higher frequencies are slower."
        ),
        rules=(Order("first_reach_step", 0.9),),
        setup={
            "quick": {**TRAINING_QUICK, "amplitudes": [1.0] * 6},
            "paper": {**TRAINING_PAPER, "amplitudes": [1.0] * 10},
        },
        predict=training.predict_learning_order,
        measure=training.measure_learning_order,
        figures=training.learning_order_figures,
        notes=(TRAINING_NOTE,),
    )
)

register(
    Claim(
        id="rahaman2019.fig2-increasing-amplitudes",
        version=1,
        source=f"{SOURCE}, Fig. 2",
        statement=(
            "The lower frequencies are still learned first when the higher ones have the larger amplitudes "
            "(A_i increasing with k_i)."
        ),
        expected="agree",
        expected_reason=(
            "Rahaman et al. Fig. 2: the ordering is a bias in frequency, not in amplitude, so it survives "
            "amplitudes that grow with the frequency."
        ),
        rules=(Order("first_reach_step", 0.9),),
        setup={
            "quick": {**TRAINING_QUICK, "amplitudes": [0.1, 0.28, 0.46, 0.64, 0.82, 1.0]},
            "paper": {**TRAINING_PAPER, "amplitudes": [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0]},
        },
        predict=training.predict_learning_order,
        measure=training.measure_learning_order,
        figures=training.learning_order_figures,
        notes=(TRAINING_NOTE,),
    )
)

register(
    Claim(
        id="rahaman2019.robustness",
        version=1,
        source=f"{SOURCE}, §5",
        statement=(
            "In trained Fig. 1 networks the higher frequencies are less robust to random parameter "
            "perturbations: the mean relative amplitude loss grows with the frequency at every perturbation norm."
        ),
        expected="agree",
        expected_reason=(
            "Rahaman et al. §5: functions with high-frequency components occupy a smaller volume of parameter "
            "space, so random perturbations of fixed norm destroy the high frequencies first."
        ),
        rules=(Bound("rho_amplitude_loss", 0.8, above=True),),
        setup={
            "quick": {
                **TRAINING_QUICK,
                "frequencies": [1, 3, 5, 7, 9, 11],
                "amplitudes": [1.0] * 6,
                "lr": 2e-3,
                "steps": 3000,
                "snapshot_every": 100,
                "perturbation_norms": [1.0, 2.0, 4.0, 8.0],
                "samples": 1024,
            },
            "paper": {
                **TRAINING_PAPER,
                "amplitudes": [1.0] * 10,
                "snapshot_every": 1000,
                "perturbation_norms": [1.0, 2.0, 4.0, 8.0],
                "samples": 1024,
            },
        },
        predict=training.predict_robustness,
        measure=training.measure_robustness,
        figures=training.robustness_figures,
        notes=(
            TRAINING_NOTE,
            "Perturbations: for each trained network, directions u uniform on the unit sphere of the full "
            "parameter vector (all weights and biases), δθ = r u for each norm r, the same directions for every "
            "norm; the loss at k is the mean over samples of (|ĥ_θ(k)| - |ĥ_{θ+δθ}(k)|) / |ĥ_θ(k)| (it is "
            "negative where the perturbation adds more of that frequency than it removes, typically at the "
            "lowest k). The rule asks for ρ(k, loss) ≥ 0.8 at every norm, per seed. The mean is over 1024 samples: "
            "with 128, the Monte Carlo noise of the mean at the smallest norm alone reorders neighbouring peaks.",
        ),
    )
)
