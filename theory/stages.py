"""The three training stages of Luo, Ma, Xu, Zhang 2019 (arXiv:1906.09235; CSIAM Trans. Appl. Math. 2021).

What is the source's and what is ours (docs/formulas.md §3). The source states, for general multilayer
networks, activations, densities and L^p losses, one theorem per stage (initial, intermediate, final):
"the change of high-frequency loss over the total loss decays with the separated frequency with a
certain power, which is determined by the regularity assumption". Only that form is the source's: the
theorem texts were not available. The three inequalities below, their constants, the Sobolev
convention and the per-activation rates are OUR reconstruction of that form, derived here.

Conventions (every function of this module):
- ordinary frequency ξ (cycles per unit of x) and the unitary transform ĝ(ξ) = ∫ g(x) e^{-2πiξx} dx,
  so Plancherel reads ∫ |g|² dx = ∫ |ĝ|² dξ with no 2π factor;
- on a uniform grid x_n = x_0 + nΔ (n = 0..N-1) the transform is ĝ(ξ_m) = Δ e^{-2πiξ_m x_0} FFT(g)_m
  at ξ_m = `numpy.fft.fftfreq(N, Δ)` (two-sided), and ∫ |ĝ|² dξ is Σ_m |ĝ(ξ_m)|² / (NΔ);
- ‖g‖²_{H^s} = ∫ (1 + ξ²)^s |ĝ(ξ)|² dξ (no 2π inside the weight: a convention of ours);
- band split at η ≥ 0: P⁺_η keeps |ξ| > η, P⁻_η keeps |ξ| ≤ η, so P⁺_η + P⁻_η = identity.

Setting: residual u = f_θ - f*, data density ρ, h = u √ρ, L = ½ ‖h‖², L^±_η = ½ ‖P^±_η h‖².
Gradient flow θ' = -∇L gives dL/dt = -‖∇L‖², dL⁺_η/dt = -∇L⁺_η · ∇L and ∂_t h = √ρ ∇_θ f · θ'.
G_s = (Σ_k ‖√ρ ∂_{θ_k} f‖²_{H^s})^{1/2}, so ‖∂_t h‖_{H^s} ≤ G_s ‖∇L‖ (Cauchy–Schwarz over θ).

- Sobolev tail: ‖P⁺_η g‖ ≤ (1 + η²)^{-s/2} ‖g‖_{H^s} ≤ η^{-s} ‖g‖_{H^s}.
- (I) initial:      |dL⁺_η/dt| / |dL/dt| ≤ (1 + η²)^{-s/2} G_s √(2L) / ‖∇L‖.
- (II) MSE halving: at the first T with L(T) ≤ L(0)/2,
                    ‖P⁺_η (h_T - h_0)‖ / ‖h_T - h_0‖ ≤ (1 + η²)^{-s/2} sup_t G_s √T / (√2 - 1).
- (III) final:      ‖P⁺_η h_T‖ ≥ ‖P⁺_η h_0‖ - (1 + η²)^{-s/2} ∫_0^T ‖∂_t h‖_{H^s} dt.
docs/formulas.md §3 writes η^{-s} for the factor; (1 + η²)^{-s/2} ≤ η^{-s}, so these bounds imply those.

Regularity and rates (one hidden layer, f = Σ_j a_j σ(w_j x + b_j)): √ρ ∂_θ f lies in H^s for every s
with tanh and the logistic sigmoid, for s < ½ only with ReLU (∂_w f, ∂_b f jump at the kink), and for
s < p - ½ with σ = max(z, 0)^p (σ' = p max(z, 0)^{p-1} has a jump in its (p - 1)-th derivative).
- The power law (the form of the source's summary: the decay in η is a power set by the regularity):
  |∂_t ĥ(ξ)| ~ ξ^{-p}, so ‖P⁺_η ∂_t h‖ / ‖∂_t h‖ ~ η^{-(p - ½)}: -½ (ReLU), -3/2 (p = 2), -5/2 (p = 3).
- The analytic limit (not the source's: the exponential rates come from the Fourier transform of
  tanh and the logistic sigmoid in Xu 2018, arXiv:1808.04295, docs/formulas.md §1, with k = 2πξ): the
  tail decays faster than every power, like e^{-π² η / max|w_j|} (tanh: the poles of sech²(w x + b)
  nearest the real axis at Im x = π / (2|w|)) and e^{-2π² η / max|w_j|} (logistic: poles at
  Im x = π / |w|), up to powers of η.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import sympy as sp

from fpcheck.theory.derivation import Step

TIE_FRACTION = 1e-9
"""Frequencies closer to η than this fraction of a bin width count as |ξ| = η (see `band_masks`)."""

EXPONENTIAL_ACTIVATIONS = ("tanh", "logistic")
RELU_POWERS = {"relu": 1, "relu2": 2, "relu3": 3}
"""σ = max(z, 0)^p by name: the activations of the power-law form (module doc)."""
RELU_TAIL_EXPONENT = -0.5
"""The power of η in ‖P⁺_η ∂_t h‖ / ‖∂_t h‖ for a ReLU network (see `tail_decay_steps("relu")`)."""

_POLE_RATE_NUMERATOR = {"tanh": np.pi**2, "logistic": 2.0 * np.pi**2}
"""rate × max|w|: 2π × (distance of the nearest pole of σ'(w x + b) from the real axis) × |w|."""


# ---------------------------------------------------------------- transform, band split, norms on a grid

def _check_grid(values: np.ndarray, spacing: float) -> None:
    if values.ndim < 1 or values.shape[-1] < 2:
        raise ValueError(f"grid values need at least two points on their last axis, not shape {values.shape}")
    if not np.all(np.isfinite(values)):
        raise ValueError("grid values hold NaN or inf")
    if not (np.isfinite(spacing) and spacing > 0):
        raise ValueError(f"the grid spacing must be a finite positive number, not {spacing!r}")


def _check_eta(eta: np.ndarray) -> np.ndarray:
    eta = np.asarray(eta, dtype=float)
    if eta.size == 0 or not np.all(np.isfinite(eta)) or np.any(eta < 0):
        raise ValueError(f"the separating frequency η must be finite and ≥ 0, not {eta}")
    return eta


def _check_s(s: float) -> None:
    if not (np.isfinite(s) and s >= 0):
        raise ValueError(f"the Sobolev exponent s must be finite and ≥ 0, not {s!r}")


def ordinary_frequencies(n: int, spacing: float) -> np.ndarray:
    """ξ_m = `numpy.fft.fftfreq(n, spacing)`: the two-sided ordinary frequencies of an n-point grid."""
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 2:
        raise ValueError(f"a grid needs an integer n ≥ 2 points, not {n!r}")
    if not (np.isfinite(spacing) and spacing > 0):
        raise ValueError(f"the grid spacing must be a finite positive number, not {spacing!r}")
    return np.fft.fftfreq(int(n), d=float(spacing))


def unitary_transform(values: np.ndarray, spacing: float, start: float = 0.0) -> np.ndarray:
    """ĝ(ξ_m) = Δ e^{-2πiξ_m x_0} Σ_n g(x_n) e^{-2πimn/N} ≈ ∫ g e^{-2πiξx} dx, along the last axis.

    Ordinary frequency, unitary (no prefactor in front of the integral); the Riemann sum is spectrally
    accurate for a smooth g that is negligible at both ends of the grid. `start` is x_0.
    """
    values = np.asarray(values)
    _check_grid(values, spacing)
    xi = ordinary_frequencies(values.shape[-1], spacing)
    return spacing * np.exp(-2j * np.pi * xi * start) * np.fft.fft(values, axis=-1)


def _tie_tolerance(frequencies: np.ndarray) -> float:
    """TIE_FRACTION of a bin width: a frequency this close to η counts as |ξ| = η (low band)."""
    positive = np.abs(frequencies)[np.abs(frequencies) > 0]
    return TIE_FRACTION * float(positive.min()) if positive.size else 0.0


def band_masks(frequencies: np.ndarray, eta: float) -> tuple[np.ndarray, np.ndarray]:
    """(P⁺_η, P⁻_η) as boolean masks over the frequencies: |ξ| > η and |ξ| ≤ η (they partition ξ).

    A frequency within TIE_FRACTION of a bin width of η counts as equal to η, so that η = m / (NΔ)
    selects the same bins whichever way its round-off falls.
    """
    if np.ndim(eta) != 0:
        raise ValueError(f"band_masks takes one separating frequency η, not {eta!r}")
    eta_value = float(_check_eta(np.array([eta]))[0])
    magnitude = np.abs(np.asarray(frequencies, dtype=float))
    high = magnitude > eta_value + _tie_tolerance(magnitude)
    return high, ~high


def band_split(values: np.ndarray, spacing: float, eta: float) -> tuple[np.ndarray, np.ndarray]:
    """(P⁺_η g, P⁻_η g) on the grid (real parts of the inverse transforms of the masked spectrum).

    The masks are symmetric in ξ, so for a real g both parts are real (the imaginary parts are
    round-off and dropped) and they add up to g.
    """
    values = np.asarray(values, dtype=float)
    _check_grid(values, spacing)
    spectrum = np.fft.fft(values, axis=-1)
    high, low = band_masks(ordinary_frequencies(values.shape[-1], spacing), eta)
    return np.fft.ifft(spectrum * high, axis=-1).real, np.fft.ifft(spectrum * low, axis=-1).real


def _power_spectrum(values: np.ndarray, spacing: float) -> tuple[np.ndarray, np.ndarray]:
    """(|ξ_m|, |ĝ(ξ_m)|² / (NΔ) × multiplicity) over the non-negative frequencies of a real grid function, or
    over all the two-sided frequencies of a complex one (along the last axis).

    For real g, |ĝ(-ξ)| = |ĝ(ξ)|, so each bin 0 < ξ_m < Nyquist stands for two (the real FFT, twenty times
    faster than the complex one here); summed, the values are ∫ |ĝ|² dξ = ∫ |g|² dx (Plancherel).
    """
    n = values.shape[-1]
    if np.iscomplexobj(values):
        return np.abs(ordinary_frequencies(n, spacing)), np.abs(np.fft.fft(values, axis=-1)) ** 2 * spacing / n
    multiplicity = np.full(n // 2 + 1, 2.0)
    multiplicity[0] = 1.0
    if n % 2 == 0:
        multiplicity[-1] = 1.0
    density = np.abs(np.fft.rfft(values, axis=-1)) ** 2 * (multiplicity * spacing / n)
    return np.fft.rfftfreq(n, d=float(spacing)), density


def band_energies(
    values: np.ndarray, spacing: float, etas: Sequence[float] | np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(‖P⁺_η g‖², ‖P⁻_η g‖²) for every η, where ‖g‖² = ∫ |g|² dx = ∫ |ĝ|² dξ (Plancherel on the grid).

    Ties are resolved as in `band_masks`. The high-band energies are cumulative sums of |ĝ|² taken from
    the highest |ξ| down, so they are
    exactly non-increasing in η even in floating point; the low band is the total minus the high band
    computed the same way (ascending |ξ|). Works along the last axis of `values` (leading axes kept).
    """
    values = np.asarray(values)
    _check_grid(values, spacing)
    etas = _check_eta(np.atleast_1d(etas))
    magnitude, density = _power_spectrum(values, spacing)
    order = np.argsort(magnitude, kind="stable")
    sorted_xi = magnitude[order]
    sorted_density = density[..., order]
    upward = np.concatenate([np.zeros((*density.shape[:-1], 1)), np.cumsum(sorted_density, axis=-1)], axis=-1)
    downward = np.concatenate(
        [np.cumsum(sorted_density[..., ::-1], axis=-1)[..., ::-1], np.zeros((*density.shape[:-1], 1))], axis=-1
    )
    split = np.searchsorted(sorted_xi, etas + _tie_tolerance(magnitude), side="right")  # first |ξ| > η
    return downward[..., split], upward[..., split]


def relative_tail_norms(values: np.ndarray, spacing: float, etas: Sequence[float] | np.ndarray) -> np.ndarray:
    """‖P⁺_η g‖ / ‖g‖ for every η (the quantity of `luo2019.regularity-exponent`)."""
    high, low = band_energies(values, spacing, etas)
    total = high[..., :1] + low[..., :1]
    if np.any(total <= 0):
        raise ValueError("relative_tail_norms: g is identically zero on the grid")
    return np.sqrt(high / total)


def sobolev_norm(values: np.ndarray, spacing: float, s: float) -> np.ndarray:
    """‖g‖_{H^s} = (∫ (1 + ξ²)^s |ĝ(ξ)|² dξ)^{1/2} on the grid, along the last axis."""
    values = np.asarray(values)
    _check_grid(values, spacing)
    _check_s(s)
    magnitude, density = _power_spectrum(values, spacing)
    return np.sqrt(np.sum((1.0 + magnitude**2) ** s * density, axis=-1))


def sobolev_gradient_constant(jacobian: np.ndarray, spacing: float, s: float) -> float:
    """G_s = (Σ_k ‖√ρ ∂_{θ_k} f‖²_{H^s})^{1/2} from the weighted Jacobian, shape (parameters, grid points)."""
    jacobian = np.asarray(jacobian, dtype=float)
    if jacobian.ndim != 2:
        raise ValueError(f"the Jacobian must have shape (parameters, grid points), not {jacobian.shape}")
    return float(np.sqrt(np.sum(sobolev_norm(jacobian, spacing, s) ** 2)))


# ------------------------------------------------------------------------------------- the three bounds

def tail_factor(eta: float | np.ndarray, s: float) -> np.ndarray:
    """(1 + η²)^{-s/2}: the Sobolev tail factor, ‖P⁺_η g‖ ≤ tail_factor · ‖g‖_{H^s} (≤ η^{-s})."""
    _check_s(s)
    return (1.0 + _check_eta(np.atleast_1d(eta)) ** 2) ** (-s / 2.0)


def _positive(name: str, value: float) -> float:
    value = float(value)
    if not (np.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a finite positive number, not {value!r}")
    return value


def initial_bound(eta: float | np.ndarray, s: float, g_s: float, loss: float, grad_norm: float) -> np.ndarray:
    """Bound (I): |dL⁺_η/dt| / |dL/dt| ≤ (1 + η²)^{-s/2} G_s √(2L) / ‖∇L‖ (reconstruction, see module doc).

    From |dL⁺/dt| = |⟨h, P⁺ ∂_t h⟩| ≤ ‖h‖ ‖P⁺ ∂_t h‖, the Sobolev tail, ‖∂_t h‖_{H^s} ≤ G_s ‖∇L‖,
    |dL/dt| = ‖∇L‖² and ‖h‖ = √(2L).
    """
    g_s, loss, grad_norm = _positive("G_s", g_s), _positive("L", loss), _positive("‖∇L‖", grad_norm)
    return tail_factor(eta, s) * g_s * np.sqrt(2.0 * loss) / grad_norm


HALVING_DENOMINATOR = np.sqrt(2.0) - 1.0
"""‖h_T - h_0‖ ≥ √(2L(0)) - √(2L(T)) ≥ (√2 - 1) √L(0) once L(T) ≤ L(0)/2 (`stage_bound_steps`)."""


def halving_bound(eta: float | np.ndarray, s: float, sup_g_s: float, time: float) -> np.ndarray:
    """Bound (II): ‖P⁺_η Δh‖ / ‖Δh‖ ≤ (1 + η²)^{-s/2} sup_t G_s √T / (√2 - 1) at the first MSE halving.

    ‖P⁺ Δh‖ ≤ ∫ ‖P⁺ ∂_t h‖ ≤ (1 + η²)^{-s/2} sup G_s ∫ ‖∇L‖ ≤ (1 + η²)^{-s/2} sup G_s √T (∫ ‖∇L‖²)^{1/2}
    and ∫_0^T ‖∇L‖² dt = L(0) - L(T) ≤ L(0) under gradient flow; ‖Δh‖ ≥ (√2 - 1) √L(0).
    """
    sup_g_s, time = _positive("sup G_s", sup_g_s), _positive("T", time)
    return tail_factor(eta, s) * sup_g_s * np.sqrt(time) / HALVING_DENOMINATOR


def final_lower_bound(
    eta: float | np.ndarray, s: float, initial_tail_norm: np.ndarray, path_sobolev_length: float
) -> np.ndarray:
    """Bound (III): ‖P⁺_η h_T‖ ≥ ‖P⁺_η h_0‖ - (1 + η²)^{-s/2} ∫_0^T ‖∂_t h‖_{H^s} dt.

    `initial_tail_norm` is ‖P⁺_η h_0‖ at each η; `path_sobolev_length` is ∫ ‖∂_t h‖_{H^s} dt (for
    gradient descent, Σ_n ‖h_{n+1} - h_n‖_{H^s}, for which the same inequality holds exactly).
    """
    length = float(path_sobolev_length)
    if not (np.isfinite(length) and length >= 0):
        raise ValueError(f"the path length ∫‖∂_t h‖_(H^s) dt must be finite and ≥ 0, not {length!r}")
    tails = np.asarray(initial_tail_norm, dtype=float)
    if not np.all(np.isfinite(tails)) or np.any(tails < 0):
        raise ValueError("the initial tail norms ‖P⁺_η h_0‖ must be finite and ≥ 0")
    return tails - tail_factor(eta, s) * length


# ------------------------------------------------------------------------------------ predicted decay

def predicted_exponential_rate(activation: str, max_abs_weight: float) -> float:
    """The rate c of ‖P⁺_η ∂_t h‖ / ‖∂_t h‖ ~ e^{-c η}: π²/max|w| (tanh), 2π²/max|w| (logistic)."""
    if activation not in _POLE_RATE_NUMERATOR:
        raise ValueError(f"an exponential tail rate exists for {', '.join(_POLE_RATE_NUMERATOR)}, not {activation!r}")
    max_abs_weight = float(max_abs_weight)
    if not np.isfinite(max_abs_weight):
        raise ValueError("max|w| must be finite (NaN or inf weights)")
    if max_abs_weight <= 0:
        raise ValueError("max|w| = 0: every neuron is constant in x, the tail rate is undefined")
    return float(_POLE_RATE_NUMERATOR[activation] / max_abs_weight)


def predicted_power_exponent(activation: str) -> float:
    """The power of η in ‖P⁺_η ∂_t h‖ / ‖∂_t h‖ for σ = max(z, 0)^p: -(p - ½) (module doc)."""
    if activation not in RELU_POWERS:
        raise ValueError(f"a power-law tail is predicted for {', '.join(RELU_POWERS)}, not {activation!r}")
    return -(RELU_POWERS[activation] - 0.5)


def sobolev_exponent(activation: str, epsilon: float = 0.01) -> float:
    """The s used in the bounds (docs/formulas.md §3): 1 for tanh/logistic, p - ½ - ε for σ = max(z, 0)^p
    (ReLU: ½ - ε, √ρ ∂_w f has a step)."""
    if activation in EXPONENTIAL_ACTIVATIONS:
        return 1.0
    if activation in RELU_POWERS:
        if not 0 < epsilon < 0.5:
            raise ValueError(f"ε must lie in (0, ½) so that s = ½ - ε is a ReLU regularity, not {epsilon!r}")
        return RELU_POWERS[activation] - 0.5 - epsilon
    raise ValueError(f"activation must be one of tanh, logistic, {', '.join(RELU_POWERS)}, not {activation!r}")


# --------------------------------------------------------------------------------- symbolic derivations

def stage_bound_steps() -> list[Step]:
    """The symbolic steps behind the Sobolev tail inequality and bounds (I)-(III) (our reconstruction)."""
    xi, eta, s = sp.symbols("xi eta s", positive=True)
    loss0, loss, grad, g_s, time = sp.symbols("L_0 L G_norm G_s T", positive=True)
    t = sp.Symbol("t", positive=True)
    loss_of_t = sp.Function("L")
    factor = (1 + eta**2) ** (-s / 2)
    return [
        Step(
            "Sobolev weight split: on |ξ| > η the second factor is ≥ 1 (s ≥ 0), so "
            "∫_{|ξ|>η} |ĝ|² ≤ (1 + η²)^(-s) ∫ (1 + ξ²)^s |ĝ|², i.e. ‖P⁺_η g‖ ≤ (1 + η²)^(-s/2) ‖g‖_(H^s)",
            (1 + xi**2) ** s,
            (1 + eta**2) ** s * (1 + (xi**2 - eta**2) / (1 + eta**2)) ** s,
            ("|ξ| > η ≥ 0", "s ≥ 0"),
        ),
        Step(
            "the factor of docs/formulas.md §3: (1 + η²)^(-s/2) = η^(-s) (1 + η^(-2))^(-s/2) ≤ η^(-s)",
            factor,
            eta ** (-s) * (1 + eta ** (-2)) ** (-s / 2),
            ("η > 0", "s ≥ 0"),
        ),
        Step(
            "bound (I): |dL⁺/dt| ≤ ‖h‖ ‖P⁺∂_t h‖ ≤ √(2L) (1 + η²)^(-s/2) G_s ‖∇L‖, divided by |dL/dt| = ‖∇L‖²",
            sp.sqrt(2 * loss) * factor * g_s * grad / grad**2,
            factor * g_s * sp.sqrt(2 * loss) / grad,
            ("gradient flow θ' = -∇L", "‖∂_t h‖_(H^s) ≤ G_s ‖∇L‖ by Cauchy–Schwarz over θ"),
        ),
        Step(
            "energy identity of gradient flow: ∫_0^T ‖∇L‖² dt = ∫_0^T -dL/dt dt = L(0) - L(T) ≤ L(0)",
            sp.Integral(-sp.Derivative(loss_of_t(t), t), (t, 0, time)),
            loss_of_t(0) - loss_of_t(time),
            ("dL/dt = -‖∇L‖²",),
        ),
        Step(
            "halving lower bound: ‖h_T - h_0‖ ≥ ‖h_0‖ - ‖h_T‖ = √(2L(0)) - √(2L(T)) ≥ (√2 - 1) √L(0) at L(T) = L(0)/2",
            sp.sqrt(2 * loss0) - sp.sqrt(2 * (loss0 / 2)),
            (sp.sqrt(2) - 1) * sp.sqrt(loss0),
            ("L(T) ≤ L(0)/2",),
        ),
        Step(
            "bound (II): (1 + η²)^(-s/2) sup G_s √T √L(0) (Cauchy–Schwarz in t, energy identity) over (√2 - 1) √L(0)",
            factor * g_s * sp.sqrt(time) * sp.sqrt(loss0) / ((sp.sqrt(2) - 1) * sp.sqrt(loss0)),
            factor * g_s * sp.sqrt(time) * (sp.sqrt(2) + 1),
            ("1 / (√2 - 1) = √2 + 1",),
        ),
    ]


def tail_decay_steps(activation: str) -> list[Step]:
    """The symbolic steps behind the predicted decay of ‖P⁺_η ∂_t h‖ / ‖∂_t h‖ for one activation.

    tanh / logistic start from the closed-form transform of σ'(w x) in ordinary frequency (docs/formulas.md §1,
    k = 2πξ; checked against quadrature in the tests) and take the limit of its logarithmic derivative;
    ReLU starts from the transform of a unit step, 1 / (2πiξ).
    """
    xi, eta, w, c = sp.symbols("xi eta w c", positive=True)
    if activation in EXPONENTIAL_ACTIVATIONS:
        half = 1 if activation == "tanh" else 2  # logistic: σ'(z) = ¼ sech²(z/2), poles twice as far out
        scale = w / half
        amplitude = (2 * sp.pi**2 * xi / scale**2) / sp.sinh(sp.pi**2 * xi / scale)
        rate = half * sp.pi**2 / w
        tail = sp.sqrt(sp.Integral(xi**2 * sp.exp(-2 * c * xi), (xi, eta, sp.oo)))
        name = "sech²(w x)" if activation == "tanh" else "sech²(w x / 2) = 4 σ'(w x)"
        return [
            Step(
                f"FT of {name} in ordinary frequency: (1/|a|) · πk/sinh(πk/2) at k = 2πξ/a, a = {scale}",
                amplitude,
                (1 / scale) * (sp.pi * (2 * sp.pi * xi / scale)) / sp.sinh(sp.pi * (2 * sp.pi * xi / scale) / 2),
                ("w > 0", "ξ > 0"),
            ),
            Step(
                "its exponential rate: -d/dξ log|ĝ(ξ)| → π²/w (tanh), 2π²/w (logistic) as ξ → ∞",
                sp.Limit(-sp.diff(sp.log(amplitude), xi), xi, sp.oo),
                rate,
                ("the neuron with the largest |w| dominates the tail",),
            ),
            Step(
                "the tail norm of |ĝ| ~ ξ e^{-cξ} keeps the rate: -d/dη log (∫_η^∞ ξ² e^{-2cξ} dξ)^{1/2} → c",
                sp.Limit(-sp.diff(sp.log(tail), eta), eta, sp.oo),
                c,
                ("c = the rate of the step above",),
            ),
        ]
    if activation == "relu":
        epsilon = sp.Symbol("epsilon", positive=True)
        r = sp.Symbol("r", positive=True)  # r = p - ½ > 0
        return [
            Step(
                "a jump J of √ρ ∂_w f at the kink gives |ĝ(ξ)| ~ |J| / (2π|ξ|); the tail norm of 1/(2πξ) "
                "is η^(-1/2)/(2π)",
                sp.sqrt(sp.Integral(1 / (4 * sp.pi**2 * xi**2), (xi, eta, sp.oo))),
                1 / (2 * sp.pi * sp.sqrt(eta)),
                ("ξ > η > 0",),
            ),
            Step(
                "σ = max(z, 0)^p: σ' jumps in its (p - 1)-th derivative, so |ĝ(ξ)| ~ ξ^(-p) and, with r = p - ½, "
                "the tail norm (∫_η^∞ ξ^(-2p) dξ)^(1/2) is η^(-r) / √(2r): the power is set by the regularity",
                sp.sqrt(sp.Integral(xi ** (-(2 * r + 1)), (xi, eta, sp.oo))),
                eta ** (-r) / sp.sqrt(2 * r),
                ("r = p - ½ > 0", "ξ > η > 0"),
            ),
            Step(
                "regularity: ∫_1^∞ (ξ²)^(½ - ε) ξ^(-2) dξ = 1/(2ε) is finite for every ε > 0 (s = ½ - ε) and "
                "diverges at ε = 0",
                sp.Integral((xi**2) ** (sp.Rational(1, 2) - epsilon) * xi ** (-2), (xi, 1, sp.oo)),
                1 / (2 * epsilon),
                ("ε > 0",),
            ),
        ]
    raise ValueError(f"activation must be one of tanh, logistic, relu, not {activation!r}")


def derivation_steps(activation: str = "tanh") -> list[Step]:
    """The whole reconstruction for one activation: the Sobolev tail and bounds I-III, then the tail rate."""
    return [*stage_bound_steps(), *tail_decay_steps(activation)]
