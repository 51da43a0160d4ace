"""The spectrum-network family: small 1D ReLU networks on [0, 1], at initialisation and trained on a sum
of sines, and what is measured on them (torch-free: the networks are made in `fpcheck.empirics.relu_fit`).

Setting (Rahaman et al. 2019, "On the spectral bias of neural networks", arXiv:1806.08734). A network
has `depth` hidden ReLU layers of `width` neurons, one input, one output, torch.nn.Linear's default
initialisation (W and b entries ~ U(-1/√fan_in, 1/√fan_in), non-zero biases), drawn per network from
its own (seed, stream name); "trained" is the same network after `train_steps` full-batch Adam steps
(float32, mean squared error) on Σ_i A_i sin(2πk_i x) at `train_points` equispaced points of [0, 1]
(endpoints included). The experiments return every network as float64 layers in the nn.Linear layout
(W_l (out, in), b_l (out,)), the form `fpcheck.theory.relu_spectrum` reads, and their values sampled
by the float64 torch forward pass: no closed form is used for the samples.

Convention (docs/formulas.md §2): c_k = ∫_0^1 f(x) e^{-2πikx} dx, ordinary integer k (cycles on
[0, 1]), no normalisation factor. Sampled estimates follow `fpcheck.empirics.ramp_spectrum`: the
N-point FFT of f(j/N), j < N, 1/N normalisation, with the ramp f(0) + (f(1) - f(0))x removed first.

Measured against predicted: the measurements read only the sampled values (and the training loss);
the bounds they are compared with come from the weights (`fpcheck.theory.relu_spectrum`). A bound is
checked at every k = 1 … bound_k_max ≤ N/16 (aliasing at most Σ_{m≠0} (k/(k+mN))² ≈ 1.3 % of a k^-2 bound
there) through its window envelope (`ramp_spectrum.window_envelope`, exact for a bound ∝ k^-p). `activation_step` s > 0
makes the hidden activation max(z, 0) + s H(z): a discontinuous network, outside Theorem 1 (the
controls).

Experiments (each a setup type and a result type):
- `SPECTRUM_NETWORKS` (`SpectrumNetworks`): per seed one network at initialisation ("random") and the
  same network trained ("trained"), each sampled at `fft_points` points of [0, 1) and at 1;
- `DECAY_SPECTRUM` (`DecaySpectrum`): the same, also sampled at each size of `aliasing_points`;
- `REGION_NETWORKS` (`RegionCount`): per seed and depth D, `networks_per_depth` networks of D layers of
  `neurons`/D neurons, initialised ("init") and trained ("trained"); all seeds of a depth train as one
  ensemble. `construction = "sawtooth"` initialises every network as Telgarsky's composition of a
  (neurons/D)-tooth zigzag, (neurons/D)^D pieces (`fpcheck.theory.relu_spectrum.sawtooth_network`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from fpcheck.empirics import ramp_spectrum
from fpcheck.empirics.experiment import Experiment, Result
from fpcheck.empirics.setup import Setup, param
from fpcheck.empirics.targets import SumOfSines
from fpcheck.tables import Measurement, concat, produces, tidy
from fpcheck.theory import relu_spectrum

KINDS = ("random", "trained")
REGION_KINDS = ("init", "trained")
MAX_WIDTH = 8192
MAX_DEPTH = 64
MAX_SAMPLES = 1 << 22
"""Sample points per network beyond which a spectrum-network setup is refused (float64 memory)."""
ALIASING_MARGIN = 16
"""A bound is checked at k ≤ fft_points / ALIASING_MARGIN (module doc)."""
CHECK_WINDOWS = 256
"""Geometric windows of 1 … bound_k_max (one integer each at small k) on which a bound's envelope is checked."""
Layers = tuple[list[np.ndarray], list[np.ndarray]]


@dataclass(frozen=True, kw_only=True)
class ReluTraining(Setup):
    """How the networks are trained: `train_steps` of Adam at `lr` on Σ A_i sin(2πk_i x) at `train_points`."""

    train_steps: int = param(400, positive=True, at_most=10_000_000)
    lr: float = param(3e-3, positive=True, at_most=100.0)
    train_points: int = param(256, at_least=2, at_most=1 << 16)
    target_frequencies: tuple[int, ...] = param((1, 3, 5), positive=True, max_length=64)
    target_amplitudes: tuple[float, ...] = param((1.0, 0.5, 0.25), positive=True, max_length=64)

    family = "relu networks"

    def planned_network_steps(self) -> int:
        """One network per seed trained for `train_steps` updates."""
        return self.seeds * self.train_steps

    def check(self) -> None:
        if len(self.target_amplitudes) != len(self.target_frequencies):
            self.refuse("target_amplitudes", f"give one amplitude per frequency ({len(self.target_frequencies)})")

    @property
    def target(self) -> SumOfSines:
        count = len(self.target_frequencies)
        return SumOfSines(self.target_frequencies, self.target_amplitudes, (0.0,) * count, 1.0)

    @property
    def target_power(self) -> float:
        """The target's mean square on the training points (the loss of the zero function)."""
        return float(np.mean(self.target(np.linspace(0.0, 1.0, self.train_points)) ** 2))


@dataclass(frozen=True, kw_only=True)
class SpectrumNetworks(ReluTraining):
    """One random and one trained network per seed, sampled at `fft_points`; the bounds are checked at
    k = 1 … bound_k_max; the figures draw the exact spectrum on the `frequency_grid` (every k = 1 … k_dense,
    then 64 geometric steps up to k_max). `fit_level`: the trained network counts when its training loss
    is at most this fraction of the target's mean square."""

    depth: int = param(3, positive=True, at_most=MAX_DEPTH)
    width: int = param(32, positive=True, at_most=MAX_WIDTH)
    activation_step: float = param(0.0, at_least=0.0, at_most=1000.0)
    k_dense: int = param(1024, positive=True, at_most=1 << 22, analysis=True)
    k_max: int = param(1_000_000, positive=True, at_most=2**52, analysis=True)
    fft_points: int = param(1 << 19, at_least=16, at_most=MAX_SAMPLES)
    bound_k_max: int = param(1 << 15, at_least=2, analysis=True)
    fit_level: float = param(0.5, positive=True, at_most=10.0, analysis=True)

    family = "spectrum networks"

    def check(self) -> None:
        super().check()
        if self.k_max < self.k_dense:
            self.refuse("k_max", f"{self.k_max} is below k_dense = {self.k_dense}")
        if self.bound_k_max > self.fft_points // ALIASING_MARGIN:
            self.refuse("bound_k_max", f"{self.bound_k_max} needs fft_points ≥ {ALIASING_MARGIN * self.bound_k_max} "
                        "to keep aliasing small")

    @property
    def check_windows(self) -> np.ndarray:
        """The upper ends of the windows of 1 … bound_k_max on which the bounds are checked."""
        return np.unique(np.round(np.geomspace(1, self.bound_k_max, CHECK_WINDOWS))).astype(np.int64)

    @property
    def frequency_grid(self) -> np.ndarray:
        """Every integer 1 … k_dense, then 64 geometric steps up to k_max (rounded, distinct)."""
        dense = np.arange(1, self.k_dense + 1)
        sparse = np.round(np.geomspace(self.k_dense, self.k_max, 64))
        return np.unique(np.concatenate([dense, sparse])).astype(np.int64)


@dataclass(frozen=True, kw_only=True)
class DecaySpectrum(SpectrumNetworks):
    """Spectrum networks whose FFT decay slope is fitted over fit_k_min … fit_k_max, with the aliasing of
    the plain and the ramp-removed FFT at each size of `aliasing_points` (frequencies `aliasing_k`)."""

    fft_points: int = param(1 << 19, at_least=16, at_most=MAX_SAMPLES)
    fit_k_min: int = param(128, positive=True, analysis=True)
    fit_k_max: int = param(16384, positive=True, analysis=True)
    aliasing_points: tuple[int, ...] = param((64, 256, 1024, 4096, 16384), at_least=4, at_most=MAX_SAMPLES,
                                             max_length=16)
    aliasing_k: tuple[int, ...] = param((1, 4, 16, 64), positive=True, max_length=16, analysis=True)

    def check(self) -> None:
        super().check()
        if self.fit_k_max <= self.fit_k_min:
            self.refuse("fit_k_max", f"{self.fit_k_max} must exceed fit_k_min = {self.fit_k_min}")
        if self.fit_k_max >= (self.fft_points // 2 + 1) // 4:
            self.refuse("fit_k_max", f"{self.fit_k_max} needs fft_points ≥ {8 * self.fit_k_max} to keep aliasing "
                        "small")


@dataclass(frozen=True, kw_only=True)
class RegionCount(ReluTraining):
    """Networks of `neurons` neurons in D equal layers for every D of `depths`, `networks_per_depth` each,
    initialised at random (torch's default) or as the sawtooth construction. The slope of log(pieces) on
    depth is reported with its two-sided `interval_level` t-interval and compared with
    `worst_case_fraction` of the worst case's slope."""

    neurons: int = param(48, positive=True, at_most=MAX_WIDTH)
    depths: tuple[int, ...] = param((1, 2, 3, 4, 6), positive=True, at_most=MAX_DEPTH, min_length=2, max_length=64)
    networks_per_depth: int = param(4, positive=True, at_most=1000)
    construction: Literal["random", "sawtooth"] = "random"
    interval_level: float = param(0.9, positive=True, at_most=0.999, analysis=True)
    worst_case_fraction: float = param(0.5, positive=True, at_most=1.0, analysis=True)

    family = "region count"

    def planned_network_steps(self) -> int:
        """`networks_per_depth` networks per seed and depth, each trained for `train_steps` updates."""
        return self.seeds * self.networks_per_depth * len(self.depths) * self.train_steps

    def check(self) -> None:
        super().check()
        for depth in self.depths:
            if self.neurons % depth:
                self.refuse("depths", f"depth {depth} does not divide the {self.neurons} neurons into equal layers")
        if len(set(self.depths)) != len(self.depths):
            self.refuse("depths", f"must be distinct, not {list(self.depths)}")

    @property
    def widths(self) -> list[tuple[int, int]]:
        """(depth, neurons / depth) for every depth."""
        return [(depth, self.neurons // depth) for depth in self.depths]


@dataclass(frozen=True, kw_only=True)
class ReluNetworks(Result):
    """Float64 ReLU networks, R per seed, in the nn.Linear layout: weights[l] (S, R, out, in), biases[l]
    (S, R, out)."""

    weights: tuple[np.ndarray, ...]
    biases: tuple[np.ndarray, ...]

    def layers(self, member: int, index: int = 0) -> Layers:
        """Network `index` of seed number `member` as (weights, biases)."""
        return [w[member, index] for w in self.weights], [b[member, index] for b in self.biases]

    @property
    def per_seed(self) -> int:
        return self.weights[0].shape[1]


@dataclass(frozen=True, kw_only=True)
class SpectrumNetworksResult(Result):
    """The random and the trained network of every seed (R = 1), their samples f(j/N), j < N = fft_points,
    (S, 2, N) and f(1) (S, 2), kinds in the order of KINDS, the final training loss (S,) and the seeds
    whose training diverged."""

    random: ReluNetworks
    trained: ReluNetworks
    values: np.ndarray
    value_at_1: np.ndarray
    final_loss: np.ndarray
    diverged: tuple[int, ...]

    def layers(self, member: int, kind: str) -> Layers:
        return getattr(self, kind).layers(member)


@dataclass(frozen=True, kw_only=True)
class DecaySpectrumResult(SpectrumNetworksResult):
    """Also the samples at each size n of `aliasing_points`: aliasing_values[i] (S, 2, n)."""

    aliasing_values: tuple[np.ndarray, ...]


@dataclass(frozen=True, kw_only=True)
class RegionNetworksResult(Result):
    """Per depth (in the setup's order) the initialised and the trained networks (R = networks_per_depth),
    and the seeds with a diverged network."""

    depths: np.ndarray
    init: tuple[ReluNetworks, ...]
    trained: tuple[ReluNetworks, ...]
    diverged: tuple[int, ...]


RUNS = "fpcheck.empirics.relu_fit"
SPECTRUM_NETWORKS = Experiment("spectrum-networks", SpectrumNetworks, SpectrumNetworksResult,
                               f"{RUNS}:spectrum_networks", "1D ReLU networks at initialisation and trained, sampled")
DECAY_SPECTRUM = Experiment("decay-spectrum", DecaySpectrum, DecaySpectrumResult, f"{RUNS}:decay_spectrum",
                            "spectrum networks also sampled at the aliasing sizes")
REGION_NETWORKS = Experiment("region-networks", RegionCount, RegionNetworksResult, f"{RUNS}:region_networks",
                             "1D ReLU networks of one neuron count at several depths, initialised and trained")


# ---------------------------------------------------------------------------------------------- spectra


@dataclass(frozen=True)
class SampledSpectrum:
    """One network's coefficients estimated from its samples alone, k = 0 … N/2: `free` the ramp-free
    ĝ_k of f minus its ramp, `full` = ĝ_k + i (f(1) - f(0)) / (2πk) (`fpcheck.empirics.ramp_spectrum`)."""

    free: np.ndarray
    full: np.ndarray


def sampled_spectrum(result: SpectrumNetworksResult, member: int, index: int) -> SampledSpectrum:
    """The sampled spectrum of network `index` (of KINDS) of seed number `member`."""
    values, at_1 = result.values[member, index], float(result.value_at_1[member, index])
    free = ramp_spectrum.ramp_free_coefficients(values, at_1)
    return SampledSpectrum(free, ramp_spectrum.add_ramp(free, float(values[0]), at_1))


# ---------------------------------------------------------------------------------------------- rows


def envelope_rows(seed: int, quantity: str, amplitudes: np.ndarray, setup: SpectrumNetworks,
                  power: float) -> pd.DataFrame:
    """The window envelope of |amplitudes| (indexed by k) at power p, x = the windows' upper ends."""
    edges = setup.check_windows
    return tidy(seed, quantity, ramp_spectrum.window_envelope(np.abs(amplitudes), edges, power), x=edges)


def looseness_rows(seed: int, kind: str, bound: np.ndarray, amplitude: np.ndarray) -> list[pd.DataFrame]:
    """bound / |c_k| over k: its median and its smallest value (the worst case, where the bound is tightest)."""
    with np.errstate(divide="ignore"):
        ratio = bound / np.abs(amplitude)
    return [tidy(seed, f"looseness_median_{kind}", float(np.median(ratio))),
            tidy(seed, f"looseness_worst_{kind}", float(np.min(ratio)))]


def fit_rows(setup: SpectrumNetworks, result: SpectrumNetworksResult, member: int) -> pd.DataFrame:
    """The trained network's final training loss over the target's mean square (1 for the zero function)."""
    return tidy(result.seeds[member], "relative_train_loss", float(result.final_loss[member]) / setup.target_power)


def aliasing_table(setup: DecaySpectrum, result: DecaySpectrumResult) -> str:
    """Markdown: median over the networks of |ĉ_k - c_k| / |c_k|, ĉ_k the N-point FFT, c_k exact."""
    if setup.activation_step:
        return ("**Aliasing of the sampled FFT.** Not shown: with an activation step the network is discontinuous "
                "and the kink form is not its spectrum.")
    sizes, rows = setup.aliasing_points, []
    networks = [(member, index) for member in range(len(result.seeds)) for index in range(len(KINDS))]
    for k in setup.aliasing_k:
        plain, corrected = [], []
        for size, samples in zip(sizes, result.aliasing_values, strict=True):
            if k >= size // 2:
                plain.append("-")
                corrected.append("-")
                continue
            errors_plain, errors_corrected = [], []
            for member, index in networks:
                exact = complex(relu_spectrum.exact_coefficients(*result.layers(member, KINDS[index]), k))
                values, at_1 = samples[member, index], float(result.value_at_1[member, index])
                errors_plain.append(abs(ramp_spectrum.sampled_coefficients(values)[k] - exact) / abs(exact))
                estimate = ramp_spectrum.ramp_corrected_coefficients(values, at_1)[k]
                errors_corrected.append(abs(estimate - exact) / abs(exact))
            plain.append(f"{np.median(errors_plain):.1e}")
            corrected.append(f"{np.median(errors_corrected):.1e}")
        rows.append(f"| {k} | " + " | ".join(plain) + " | " + " | ".join(corrected) + " |")
    header = ("| k | " + " | ".join(f"plain N={n}" for n in sizes) + " | "
              + " | ".join(f"ramp-removed N={n}" for n in sizes) + " |")
    lead = (
        "**Aliasing of the sampled FFT.** Median over the networks of this run of |ĉ_k - c_k| / |c_k|, "
        "ĉ_k the N-point FFT of the network sampled at x_j = j/N (1/N normalisation), c_k exact (the closed "
        "form over the linear pieces, an independent check of both). The plain FFT errs at first order, about "
        "πk/N: the periodic extension of f jumps by f(1) - f(0). Removing the ramp f(0) + (f(1) - f(0))x before "
        "the FFT and adding its exact coefficient back leaves a second-order error, O((k/N)²)."
    )
    return "\n".join([lead, "", header, "|---" * (1 + 2 * len(sizes)) + "|", *rows])


def spectra_artifact(setup: SpectrumNetworks, result: SpectrumNetworksResult, member: int = 0) -> dict[str, Any]:
    """What the spectrum figures draw for one seed: the sampled |ĉ_k| and |ĝ_k|, the bounds at the same k,
    and the exact closed form on the frequency grid (None for a network with an activation step)."""
    shown = np.unique(np.round(np.geomspace(1, result.values.shape[-1] // 4, 1500))).astype(np.int64)
    step, artifact = setup.activation_step, {}
    for index, kind in enumerate(KINDS):
        net, spectrum = result.layers(member, kind), sampled_spectrum(result, member, index)
        exact_k = setup.frequency_grid
        artifact[kind] = {
            "sampled_k": shown,
            "sampled": np.abs(spectrum.full[shown]),
            "sampled_free": np.abs(spectrum.free[shown]),
            "kink_bound": relu_spectrum.kink_bound(*net, shown, step),
            "weight_bound": relu_spectrum.weight_bound(*net, shown),
            "exact_k": exact_k,
            "abs": None if step else np.abs(relu_spectrum.exact_coefficients(*net, exact_k)),
            "boundary_free": None if step else np.abs(relu_spectrum.boundary_free_coefficients(*net, exact_k)),
            "decay_bound": None if step else relu_spectrum.decay_bound(*net, exact_k),
        }
    return artifact


def slope_with_interval(depths: np.ndarray, log_pieces: np.ndarray, level: float = 0.9) -> tuple[float, float, float]:
    """OLS slope of log(pieces) on depth and its two-sided `level` t-interval (lower, slope, upper)."""
    fit = stats.linregress(depths, log_pieces)
    half = stats.t.ppf(0.5 + level / 2, depths.size - 2) * fit.stderr
    return float(fit.slope - half), float(fit.slope), float(fit.slope + half)


def region_rows(seed: int, kind: str, networks: Sequence[tuple[int, Sequence[Layers]]],
                level: float = 0.9) -> pd.DataFrame:
    """log(pieces) of every network (x = depth) and the fitted slope per added layer with its `level`
    t-interval; `networks` is (depth, that depth's networks) in order."""
    depths, logs = [], []
    for depth, nets in networks:
        for layers in nets:
            depths.append(depth)
            logs.append(np.log(relu_spectrum.count_pieces(*layers)))
    depths_, logs_ = np.asarray(depths, dtype=float), np.asarray(logs)
    lower, slope, upper = slope_with_interval(depths_, logs_, level)
    return concat([
        tidy(seed, f"log_pieces_{kind}", logs_, x=depths_),
        tidy(seed, f"slope_{kind}", slope),
        tidy(seed, f"slope_lower_{kind}", lower),
        tidy(seed, f"slope_upper_{kind}", upper),
    ])


# -------------------------------------------------------------------------------------- measurements


def _per_kind(*names: str) -> tuple[str, ...]:
    return tuple(f"{name}_{kind}" for name in names for kind in KINDS)


@produces(*_per_kind("abs_boundary_free", "slope", "looseness_median", "looseness_worst"), "relative_train_loss")
def measure_decay(setup: DecaySpectrum, result: DecaySpectrumResult) -> Measurement:
    """Rahaman et al. Theorem 1 in 1D, from the samples alone: the ramp-free FFT |ĝ_k| (its k^-2 window
    envelope at every k = 1 … bound_k_max), its decay slope over fit_k_min … fit_k_max, and how loose the
    kink bound is on it (median and smallest of bound / |ĝ_k|); the trained network's relative loss."""
    k = np.arange(1, setup.bound_k_max + 1)
    frames, lines = [], []
    for member, seed in enumerate(result.seeds):
        frames.append(fit_rows(setup, result, member))
        for index, kind in enumerate(KINDS):
            free = sampled_spectrum(result, member, index).free
            slope = ramp_spectrum.fitted_slope(free, setup.fit_k_min, setup.fit_k_max)
            bound = relu_spectrum.kink_bound(*result.layers(member, kind), k, setup.activation_step)
            frames += [envelope_rows(seed, f"abs_boundary_free_{kind}", free, setup, 2.0),
                       tidy(seed, f"slope_{kind}", slope), *looseness_rows(seed, kind, bound, free[k])]
            ratio = np.abs(free[k]) / bound
            lines.append(f"seed {seed} {kind}: FFT slope {slope:.3f}, max |ĝ_k| / kink bound {np.max(ratio):.3g} "
                         f"at k = {k[np.argmax(ratio)]} (median {np.median(ratio):.3g})")
        lines[-1] += f", relative training loss {float(result.final_loss[member]) / setup.target_power:.3g}"
    return Measurement(concat(frames), summary="; ".join(lines), diverged_seeds=result.diverged,
                       notes=(aliasing_table(setup, result),),
                       artifacts={"spectra": spectra_artifact(setup, result), "seed": result.seeds[0]})


@produces(*_per_kind("abs_coefficient", "looseness_median", "looseness_worst"), "relative_train_loss")
def measure_weight_bound(setup: SpectrumNetworks, result: SpectrumNetworksResult) -> Measurement:
    """Rahaman et al. Eq. 7, from the samples alone: the ramp-corrected FFT |ĉ_k| (its k^-1 window
    envelope at every k = 1 … bound_k_max) and how loose the weight bound is on it (median and smallest of
    bound / |ĉ_k|); the trained network's relative loss."""
    k = np.arange(1, setup.bound_k_max + 1)
    frames, lines = [], []
    for member, seed in enumerate(result.seeds):
        frames.append(fit_rows(setup, result, member))
        for index, kind in enumerate(KINDS):
            full = sampled_spectrum(result, member, index).full
            bound = relu_spectrum.weight_bound(*result.layers(member, kind), k)
            frames += [envelope_rows(seed, f"abs_coefficient_{kind}", full, setup, 1.0),
                       *looseness_rows(seed, kind, bound, full[k])]
            looseness = bound / np.abs(full[k])
            lines.append(f"seed {seed} {kind}: weight bound / |ĉ_k| median {np.median(looseness):.3g}, smallest "
                         f"{np.min(looseness):.3g} at k = {k[np.argmin(looseness)]}")
        lines[-1] += f", relative training loss {float(result.final_loss[member]) / setup.target_power:.3g}"
    return Measurement(concat(frames), summary="; ".join(lines), diverged_seeds=result.diverged,
                       artifacts={"spectra": spectra_artifact(setup, result), "seed": result.seeds[0]})


@produces(*(f"{name}_{kind}" for name in ("log_pieces", "slope", "slope_lower", "slope_upper")
            for kind in REGION_KINDS))
def measure_regions(setup: RegionCount, result: RegionNetworksResult) -> Measurement:
    """Hanin & Rolnick 2019 against Rahaman et al. §3: the exact linear pieces on [0, 1] of every network,
    and the OLS slope of log(pieces) per added layer with its `interval_level` t-interval, per seed."""
    frames, lines = [], []
    pieces: dict[str, dict[int, list[int]]] = {kind: {} for kind in REGION_KINDS}
    for member, seed in enumerate(result.seeds):
        for kind in REGION_KINDS:
            by_depth = [(int(depth), [nets.layers(member, r) for r in range(nets.per_seed)])
                        for depth, nets in zip(result.depths, getattr(result, kind), strict=True)]
            rows = region_rows(seed, kind, by_depth, setup.interval_level)
            frames.append(rows)
            for depth, nets in by_depth:
                pieces[kind].setdefault(depth, []).extend(relu_spectrum.count_pieces(*n) for n in nets)
            slope = rows[rows["quantity"] == f"slope_{kind}"]["value"].iloc[0]
            upper = rows[rows["quantity"] == f"slope_upper_{kind}"]["value"].iloc[0]
            lines.append(f"seed {seed} {kind}: slope {slope:.3f} per layer ({setup.interval_level:.0%} upper end "
                         f"{upper:.3f})")
    per_depth = "; ".join(
        f"{kind}: " + ", ".join(f"D={d} {np.median(v):.0f} pieces" for d, v in sorted(by.items()))
        for kind, by in pieces.items()
    )
    return Measurement(concat(frames), summary=f"{'; '.join(lines)}. Median pieces at {setup.neurons} neurons: "
                       f"{per_depth}", diverged_seeds=result.diverged, artifacts={"pieces": pieces})
