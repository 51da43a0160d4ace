"""The gradient-spectrum family: random one-hidden-layer tanh and logistic networks and the gradient of
their per-frequency loss, and what is measured on it (torch-free: the quadrature and the autograd are
`fpcheck.empirics.frequency_loss`, whose `gradient_spectrum` runs the experiments declared here).

Setting (Xu 2018, arXiv:1808.04295, §3; docs/formulas.md §1). T(x) = Σ_j a_j σ(w_j x + b_j), σ = tanh or
the logistic sigmoid, j = 1 … `neurons`; target f(x) = exp(-x²/(2s²)), s = `target_width`; per-frequency
loss L(k) = ½|T̂(k) - f̂(k)|² (Xu 2018, Eq. (7)), angular convention ĝ(k) = ∫ g(x) e^{-ikx} dx, k ≠ 0.
For every seed and activation the seed's numpy stream "xu2018/<stream>/<activation>" draws a ~ N(0, 1),
|w| ~ U(w_min, w_max) with a random sign, b ~ U(-b_max, b_max), and then (random frequencies only) the
frequencies. c = π/2 (tanh) or π (logistic) is the rate constant of E_j = e^{-c|k/w_j|}; the largest
frequency is k_max = z_max max|w| / c, where the largest gradient is still ~e^{-z_max} of its scale.
The measurement side never uses the closed forms of `fpcheck.theory.sigmoid_gradient` (only c, to
choose the frequencies): T̂ is the trapezoidal quadrature of FT[T'](k)/(ik) on a grid accurate to
~e^{-quadrature_digits}, f̂ the same rule, ∂L/∂θ_j forward-mode autograd through it.

Experiments (one result type; arrays indexed [activation, seed, …] in the order of `ACTIVATIONS`, θ in
the order of `PARAMETERS`):
- `RANDOM_FREQUENCY_GRADIENTS` (`RandomFrequencyGradients`): every neuron at its own random frequencies
  of both signs, |k| log-uniform on [k_min, k_max];
- `GEOMETRIC_FREQUENCY_GRADIENTS` (`GeometricFrequencyGradients`): all neurons on ± a geometric grid
  from k_min to k_max.

Controls (`network`): the torch networks measured are those of each row's own activation ("derived": the
tanh rows measure a tanh network, the logistic rows a logistic one), or, with the same draws a, w, b and
frequencies, a network of an activation outside the closed form's hypothesis in every row:
"gudermannian" gd(u) = 2 arctan(tanh(u/2)), gd' = sech (the same poles ±iπ/2 as sech², hence the same
rate π/2, but simple ones: its transform π sech(πk/2) is not the derived one), or "erf" erf(√π u/2)
(slope 1 at 0 like tanh), whose derivative e^{-πu²/4} is entire: its transform 2e^{-k²/π} decays faster
than any exponential (docs/formulas.md §1).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

import numpy as np
import pandas as pd

from fpcheck.empirics.experiment import Experiment, Result
from fpcheck.empirics.setup import Setup, param
from fpcheck.tables import Measurement, concat, produces, tidy
from fpcheck.theory import sigmoid_gradient

ACTIVATIONS = sigmoid_gradient.ACTIVATIONS
"""Every experiment runs both: the claims' rules read one quantity per activation and θ."""
PARAMETERS = sigmoid_gradient.PARAMETERS
MAX_NEURONS = 1024
MAX_RESULT_VALUES = 1 << 23
"""seeds × frequencies × neurons beyond which a setup is refused (the result keeps 18 float64 arrays of it)."""
MIN_FIT_POINTS = 4
"""Fewer points in a neuron's fit window leave its rate undetermined (NaN, hence inconclusive)."""
NETWORKS = ("derived", "gudermannian", "erf")
"""What the torch networks are (module doc): each row's own activation, or a control activation in every row."""


@dataclass(frozen=True, kw_only=True)
class GradientSpectrum(Setup):
    """Random shallow networks and the frequencies where their loss gradient is measured (module doc)."""

    neurons: int = param(4, positive=True, at_most=MAX_NEURONS)
    w_min: float = param(0.5, positive=True)
    w_max: float = param(2.0, positive=True)
    b_max: float = param(2.0, at_least=0.0)
    k_min: float = param(0.05, positive=True)
    z_max: float = param(10.0, positive=True)
    target_width: float = param(1.0, positive=True)
    quadrature_digits: float = param(40.0, positive=True)
    network: Literal["derived", "gudermannian", "erf"] = "derived"

    family = "gradient spectrum"
    stream: ClassVar[str] = ""
    """The middle part of the seed's numpy stream, "xu2018/<stream>/<activation>"."""

    def check(self) -> None:
        if self.w_min > self.w_max:
            self.refuse("w_min", f"{self.w_min:g} exceeds w_max = {self.w_max:g}")
        lowest = self.z_max * self.w_min / np.pi  # the smallest k_max any draw can give (logistic, |w| = w_min)
        if not self.k_min < lowest:
            self.refuse("k_min", f"{self.k_min:g} must be below z_max w_min / π = {lowest:g}, the smallest k_max")
        if self.seeds * self.frequency_count * self.neurons > MAX_RESULT_VALUES:
            self.refuse("neurons", f"{self.seeds} seeds × {self.frequency_count} frequencies × {self.neurons} "
                        f"neurons exceeds the limit {MAX_RESULT_VALUES}")

    @property
    def frequency_count(self) -> int:
        """K, the number of frequencies per network (each kind of setup says)."""
        return 0

    def network_activation(self, activation: str) -> str:
        """The activation of the torch network measured in the rows of `activation` (module doc)."""
        return activation if self.network == "derived" else self.network

    def k_max(self, w: np.ndarray, activation: str) -> float:
        """z_max max|w| / c: the largest |k|."""
        return self.z_max * float(np.abs(w).max()) / float(sigmoid_gradient.rate_constant(activation))

    def draw_frequencies(self, w: np.ndarray, activation: str, rng: np.random.Generator) -> np.ndarray:
        """The frequencies (K,) of one network, drawn from its stream after the network."""
        raise NotImplementedError


@dataclass(frozen=True, kw_only=True)
class RandomFrequencyGradients(GradientSpectrum):
    """Every neuron at `frequencies_per_neuron` random frequencies of its own."""

    frequencies_per_neuron: int = param(16, positive=True)

    stream = "closed-form"

    @property
    def frequency_count(self) -> int:
        return self.neurons * self.frequencies_per_neuron

    def draw_frequencies(self, w: np.ndarray, activation: str, rng: np.random.Generator) -> np.ndarray:
        """Neuron j's frequencies k[j K_j:(j + 1) K_j]: |k| log-uniform on [k_min, k_max], either sign."""
        shape = (w.size, self.frequencies_per_neuron)
        magnitude = np.exp(rng.uniform(np.log(self.k_min), np.log(self.k_max(w, activation)), size=shape))
        return (magnitude * rng.choice([-1.0, 1.0], size=shape)).reshape(-1)

    def owners(self) -> np.ndarray:
        """The neuron whose own frequency each k is: (K,)."""
        return np.repeat(np.arange(self.neurons), self.frequencies_per_neuron)


@dataclass(frozen=True, kw_only=True)
class GeometricFrequencyGradients(GradientSpectrum):
    """All neurons on k = ± a geometric grid of `frequencies` points from k_min to k_max; the decay rate of
    each neuron's gradient envelope is fitted where |πk/(2w_j)| ≥ fit_start and the envelope exceeds
    floor_factor × its numeric floor (docs/catalogue.md)."""

    z_max: float = param(40.0, positive=True)
    frequencies: int = param(240, at_least=2)
    fit_start: float = param(4.0, at_least=0.0, analysis=True)
    floor_factor: float = param(100.0, positive=True, analysis=True)

    stream = "decay"

    @property
    def frequency_count(self) -> int:
        return 2 * self.frequencies

    def draw_frequencies(self, w: np.ndarray, activation: str, rng: np.random.Generator) -> np.ndarray:
        """k = ± the geometric grid, sorted (the stream is not used)."""
        positive = np.geomspace(self.k_min, self.k_max(w, activation), self.frequencies)
        return np.concatenate([-positive[::-1], positive])


@dataclass(frozen=True, kw_only=True)
class GradientSpectrumResult(Result):
    """Per activation and seed: the network a, w, b (A, S, m) and the frequencies k (A, S, K); measured by
    quadrature and autograd, each (A, S, 3, K, m) over θ = a, w, b: `gradient` ∂L(k)/∂θ_j, `envelope`
    |∂T̂(k)/∂θ_j| (the envelope of |∂L/∂θ_j| / |D(k)| over the phase of D), `floor` its rounding floor
    64 ε (1 + |k| max|x_n|) Σ_n h_n |∂T'(x_n)/∂θ_j| / |k| (`fpcheck.empirics.frequency_loss.LossGradient`)."""

    activations: tuple[str, ...]
    a: np.ndarray
    w: np.ndarray
    b: np.ndarray
    k: np.ndarray
    gradient: np.ndarray
    envelope: np.ndarray
    floor: np.ndarray


RUN = "fpcheck.empirics.frequency_loss:gradient_spectrum"
RANDOM_FREQUENCY_GRADIENTS = Experiment(
    "random-frequency-gradients", RandomFrequencyGradients, GradientSpectrumResult, RUN,
    "∂L(k)/∂θ_j of random shallow tanh/logistic networks at each neuron's own random frequencies")
GEOMETRIC_FREQUENCY_GRADIENTS = Experiment(
    "geometric-frequency-gradients", GeometricFrequencyGradients, GradientSpectrumResult, RUN,
    "∂L(k)/∂θ_j and its envelope of random shallow tanh/logistic networks on a geometric frequency grid")


def draw_network(setup: GradientSpectrum, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """a ~ N(0, 1), |w| ~ U(w_min, w_max) with a random sign, b ~ U(-b_max, b_max), each (m,), from `rng`."""
    m = setup.neurons
    a = rng.normal(size=m)
    w = rng.uniform(setup.w_min, setup.w_max, size=m) * rng.choice([-1.0, 1.0], size=m)
    b = rng.uniform(-setup.b_max, setup.b_max, size=m)
    return a, w, b


# ---------------------------------------------------------------------------------------------- rows


def scaled_rows(seed: int, side: str, activation: str, gradient: np.ndarray, k: np.ndarray,
                owners: np.ndarray) -> list[pd.DataFrame]:
    """Rows `<side>_<activation>_<θ>` at x = k: ∂L/∂θ_j at neuron j's own frequencies (`owners`, (K,)),
    divided by the largest |∂L/∂θ| (any neuron, any θ) at that k; gradient (3, K, m)."""
    scale = np.abs(gradient).max(axis=(0, 2))
    rows = []
    for index, name in enumerate(PARAMETERS):
        own = gradient[index][np.arange(k.size), owners]
        rows.append(tidy(seed, f"{side}_{activation}_{name}", own / scale, x=k))
    return rows


def fit_exponential_decay(k: np.ndarray, envelope: np.ndarray) -> tuple[float, float]:
    """Fit log envelope = c₀ + p log|k| - r|k| by least squares: returns (r, p), the rate and the power.

    The free power p absorbs the polynomial factor of the envelope (degree ≤ 1 in |k|), so r is
    the exponential rate alone. Needs at least 4 points with positive, finite envelope.
    """
    k_ = np.abs(np.asarray(k, dtype=np.float64))
    values = np.asarray(envelope, dtype=np.float64)
    if k_.shape != values.shape or k_.ndim != 1:
        raise ValueError(f"k and envelope must be one-dimensional of the same shape, got {k_.shape}, {values.shape}")
    if k_.size < MIN_FIT_POINTS:
        raise ValueError(f"need at least {MIN_FIT_POINTS} points to fit a rate, got {k_.size}")
    if not (np.all(np.isfinite(values)) and np.all(values > 0) and np.all(k_ > 0)):
        raise ValueError("the envelope must be positive and finite at nonzero k to fit a rate")
    design = np.column_stack([np.ones_like(k_), np.log(k_), -k_])
    coefficients, *_ = np.linalg.lstsq(design, np.log(values), rcond=None)
    return float(coefficients[2]), float(coefficients[1])


def fit_window(setup: GeometricFrequencyGradients, k: np.ndarray, w: float, envelope: np.ndarray,
               floor: np.ndarray) -> np.ndarray:
    """|πk/(2w_j)| ≥ fit_start (both activations) and the envelope above floor_factor × its numeric floor."""
    return (np.abs(np.pi * k / (2 * w)) >= setup.fit_start) & (envelope > setup.floor_factor * floor)


def decay_fit(setup: GeometricFrequencyGradients, k: np.ndarray, w: float, envelope: np.ndarray,
              floor: np.ndarray) -> tuple[float, float, int]:
    """(rate, power, points) of one neuron's envelope in its window; NaN rate and power below 4 points."""
    window = fit_window(setup, k, w, envelope, floor)
    points = int(window.sum())
    if points < MIN_FIT_POINTS:
        return np.nan, np.nan, points
    rate, power = fit_exponential_decay(k[window], envelope[window])
    return rate, power, points


# -------------------------------------------------------------------------------------- measurements


def _names(*prefixes: str) -> tuple[str, ...]:
    return tuple(f"{prefix}_{activation}_{name}" for prefix in prefixes for activation in ACTIVATIONS
                 for name in PARAMETERS)


@produces(*_names("autograd"))
def measure_closed_form(setup: RandomFrequencyGradients, result: GradientSpectrumResult) -> Measurement:
    """Xu 2018 Eqs. (5)-(9), measured: `autograd_<activation>_<θ>` (x = k), each neuron's ∂L/∂θ_j at its own
    frequencies over the largest |∂L/∂θ| at that k."""
    frames = []
    for member, seed in enumerate(result.seeds):
        for index, activation in enumerate(ACTIVATIONS):
            frames += scaled_rows(seed, "autograd", activation, result.gradient[index, member],
                                  result.k[index, member], setup.owners())
    return Measurement(
        concat(frames),
        summary="autograd (forward mode) of L(k) = ½|T̂ - f̂|², T̂ by trapezoidal quadrature of T' / (ik)",
    )


@produces(*_names("fitted_rate", "fitted_power", "fit_points"))
def measure_decay(setup: GeometricFrequencyGradients, result: GradientSpectrumResult) -> Measurement:
    """Xu 2018 Eq. (9), measured: the rate r of each neuron's envelope log |∂T̂/∂θ_j| ≈ c₀ + p log|k| - r|k|
    (`fitted_rate_<activation>_<θ>`, x = the neuron's index j), its power p and the points fitted."""
    frames = []
    for member, seed in enumerate(result.seeds):
        for index, activation in enumerate(ACTIVATIONS):
            k, w = result.k[index, member], result.w[index, member]
            x = np.arange(w.size)
            for t, name in enumerate(PARAMETERS):
                envelope, floor = result.envelope[index, member, t], result.floor[index, member, t]
                rates, powers, counts = zip(*(decay_fit(setup, k, float(w[j]), envelope[:, j], floor[:, j])
                                              for j in range(w.size)), strict=True)
                frames += [
                    tidy(seed, f"fitted_rate_{activation}_{name}", rates, x=x),
                    tidy(seed, f"fitted_power_{activation}_{name}", powers, x=x),
                    tidy(seed, f"fit_points_{activation}_{name}", counts, x=x),
                ]
    return Measurement(
        concat(frames),
        summary=(
            "rate of log |∂T̂/∂θ_j| (the envelope of |∂L/∂θ_j|/A over the phase of D, autograd through the "
            "quadrature) fitted as c₀ + p log|k| - r|k| where |πk/2w_j| ≥ 4 and above the numeric floor"
        ),
    )


def first_seed(result: GradientSpectrumResult, activation: str) -> dict[str, np.ndarray]:
    """The first seed's network and measured arrays for one activation (what the figures draw)."""
    index = ACTIVATIONS.index(activation)
    return {name: getattr(result, name)[index, 0] for name in ("a", "w", "b", "k", "gradient", "envelope", "floor")}

