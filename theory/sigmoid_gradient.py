"""The frequency-domain gradient of a one-hidden-layer tanh / logistic network (Xu 2018, arXiv:1808.04295).

Network T(x) = Σ_j a_j σ(w_j x + b_j) with σ = tanh or the logistic sigmoid s(x) = 1 / (1 + e^{-x}).

Conventions (docs/formulas.md §1):
- angular frequency k, no prefactor: ĝ(k) = ∫ g(x) e^{-ikx} dx;
- ordinary frequency ξ: ĝ(ξ) = ∫ g(x) e^{-2πiξx} dx, i.e. the angular transform at k = 2πξ.
σ does not decay at ±∞, so σ̂ is a tempered distribution: for k ≠ 0 it is the principal value
σ̂(k) = FT[σ'](k) / (ik); the logistic sigmoid's mean ½ adds πδ(k), which is left out (k ≠ 0).

`derive(activation)` derives with sympy, step by step (each step a `fpcheck.theory.derivation.Step` that a
test re-checks): FT[sech²] from its double poles (residues, the geometric series and its sum), FT[tanh]
from tanh' = sech², the logistic sigmoid from tanh, the shift/scale rule for one neuron, the
per-frequency loss L(k) = ½|D(k)|² with D = T̂ - f̂ = A e^{iφ}, the chain rule for ∂L(k)/∂θ_j,
θ ∈ {a, w, b}, and its factoring (Xu 2018, Eq. (9) and the text after it)

    ∂L(k)/∂θ_j = A(k) E_j G_θ(θ_j, k),   E_j = e^{-c|k/w_j|},   ψ_j = k b_j / w_j - φ(k),

with c = π/2 for tanh and c = π for the logistic sigmoid (decay rate c / |w_j| in k, 2πc / |w_j| in ξ),
and the large-|k/w| limit of G (E → 0), a polynomial of degree ≤ 1 in |k| times sin ψ_j, cos ψ_j.

The numeric functions (`neuron_ft`, `frequency_gradient`, `gradient_envelope`, `decay_rate`) are
lambdified from the derived expressions in a stable form: E = e^{-z} and Q = 1 - E² = -expm1(-2z)
with z = c|k/w| ≥ 0, so nothing overflows for any z (E underflows to 0 beyond z ≈ 745, and the
log-envelope stays exact), and nothing cancels for small z.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
import sympy as sp
from numpy.typing import ArrayLike

from fpcheck.theory.derivation import Step

ACTIVATIONS = ("tanh", "logistic")
PARAMETERS = ("a", "w", "b")

# Symbols shared by every derivation (the sympy assumptions are what the step checks rely on).
x = sp.Symbol("x", real=True)
u = sp.Symbol("u", real=True)
n = sp.Symbol("n", integer=True, nonnegative=True)
k = sp.Symbol("k", real=True, nonzero=True)
xi = sp.Symbol("xi", real=True, nonzero=True)
a = sp.Symbol("a", real=True)
w = sp.Symbol("w", real=True, nonzero=True)
b = sp.Symbol("b", real=True)
A = sp.Symbol("A", nonnegative=True)
phi = sp.Symbol("phi", real=True)
psi = sp.Symbol("psi", real=True)
E = sp.Symbol("E", positive=True)
Q = sp.Symbol("Q", positive=True)
SYMBOLS: Mapping[str, sp.Symbol] = MappingProxyType(
    {s.name: s for s in (x, u, n, k, xi, a, w, b, A, phi, psi, E, Q)}
)

# Sample points for the steps that apply a theorem (checked numerically, see Step.checked_at).
_POSITIVE_K = ({"k": 0.37}, {"k": 1.7}, {"k": 5.3})
_NEURON_POINTS = (
    {"k": 1.3, "w": 0.8, "b": 0.4},
    {"k": -2.1, "w": 1.7, "b": -0.9},
    {"k": 0.9, "w": -0.6, "b": 0.3},
    {"k": -3.4, "w": -2.3, "b": 1.1},
)


@dataclass(frozen=True)
class Derivation:
    """The steps of a derivation and the expressions it produced.

    `results` (all in the angular convention unless the key ends in `_xi`):
    - `sech2_transform`, `activation_transform`: FT[sech²](k), σ̂(k) (k ≠ 0);
    - `transform`: FT[a σ(wx + b)](k); `transform_stable`: the same in E and Q = 1 - E²;
    - `gradient_a`, `gradient_w`, `gradient_b`: ∂L(k)/∂θ_j in A, φ (exact, with |w| and sinh);
    - `E`, `psi`: E = e^{-c|k/w|}, ψ = k b / w - φ; `decay_rate`: c / |w|;
    - `G_a`, `G_w`, `G_b`: ∂L/∂θ_j = A E G_θ, in E, ψ, sgn(k), |k|; `G_a_limit`, ...: E → 0;
    - the same with suffix `_xi` in the ordinary convention (k = 2πξ).
    `stable` holds G_θ and the transform in terms of E and the symbol Q (= 1 - E²) for stable numerics.
    """

    activation: str
    steps: tuple[Step, ...]
    results: Mapping[str, sp.Expr]
    stable: Mapping[str, sp.Expr]


def _check_activation(activation: str) -> str:
    if activation not in ACTIVATIONS:
        raise ValueError(f"unknown activation {activation!r}; expected one of {', '.join(ACTIVATIONS)}")
    return activation


def rate_constant(activation: str) -> sp.Expr:
    """c in E = e^{-c|k/w|}: π/2 for tanh (σ̂ ∝ 1/sinh(πk/2)), π for the logistic sigmoid (1/sinh(πk))."""
    return sp.pi / 2 if _check_activation(activation) == "tanh" else sp.pi


def _unevaluated_ratio(numerator: sp.Expr, denominator: sp.Expr) -> sp.Expr:
    """numerator / denominator as written (so a step shows the rule it applies before simplifying)."""
    return sp.Mul(numerator, sp.Pow(denominator, -1, evaluate=False), evaluate=False)


def _sech2_steps() -> tuple[list[Step], sp.Expr]:
    """FT[sech²](k) = πk / sinh(πk/2) from the double poles of sech² (residue theorem, geometric series)."""
    kp = sp.Symbol("k", positive=True)
    pole = -sp.I * sp.pi * (n + sp.Rational(1, 2))
    local = -1 / sp.sinh(u) ** 2
    integrand_near_pole = local * sp.exp(-sp.I * kp * (pole + u))
    residue = sp.residue(integrand_near_pole, u, 0)
    series = -2 * sp.pi * sp.I * sp.Sum(residue, (n, 0, sp.oo))
    ratio = sp.simplify(residue.subs(n, n + 1) / residue)
    first = residue.subs(n, 0)
    summed = -2 * sp.pi * sp.I * first / (1 - ratio)
    closed = sp.simplify(summed)
    steps = [
        Step(
            "poles of sech²(x) = 1/cosh²(x) in the lower half-plane: cosh vanishes at x_n = -iπ(n + ½)",
            sp.cosh(pole, evaluate=False),
            sp.Integer(0),
            ("n = 0, 1, 2, ...",),
        ),
        Step(
            "near x_n, cosh(x_n + u) = sinh(x_n) sinh(u) and sinh²(x_n) = -1: each pole is double",
            sp.sech(pole + u) ** 2,
            local,
            ("n = 0, 1, 2, ...",),
        ),
        Step(
            "residue of sech²(x) e^{-ikx} at the double pole x_n: d/du [u² f(x_n + u)] as u -> 0",
            sp.Limit(sp.Derivative(u**2 * integrand_near_pole, u), u, 0),
            residue,
            ("k > 0",),
        ),
        Step(
            "residue theorem, k > 0: close the contour in the lower half-plane (e^{-ikx} decays there, "
            "Jordan's lemma); clockwise, hence -2πi × the sum of the residues",
            sp.Integral(sp.sech(x) ** 2 * sp.exp(-sp.I * kp * x), (x, -sp.oo, sp.oo)),
            series,
            ("k > 0",),
            checked_at=_POSITIVE_K,
        ),
        Step(
            "the residues form a geometric series: the ratio of consecutive terms is e^{-πk}, below 1 for k > 0",
            _unevaluated_ratio(residue.subs(n, n + 1), residue),
            ratio,
            ("k > 0",),
        ),
        Step(
            "sum of the geometric series: first term / (1 - ratio)",
            series,
            summed,
            ("k > 0",),
            checked_at=_POSITIVE_K,
        ),
        Step("in hyperbolic form", summed, closed, ("k > 0",)),
    ]
    general = closed.subs(kp, k)
    steps.append(
        Step(
            "sech² is even, so its transform is even in k: the same formula holds for k < 0 "
            "(its k -> 0 limit is ∫ sech² = 2)",
            sp.Integral(sp.sech(x) ** 2 * sp.exp(-sp.I * k * x), (x, -sp.oo, sp.oo)),
            general,
            ("k ≠ 0",),
            checked_at=({"k": -0.8}, {"k": -3.1}, {"k": 2.4}),
        )
    )
    return steps, general


def _activation_steps(activation: str, sech2_hat: sp.Expr) -> tuple[list[Step], sp.Expr, sp.Expr]:
    """σ(x), FT[σ'](k) and σ̂(k) = FT[σ'](k)/(ik) for k ≠ 0 (the derivative rule, principal value)."""
    if activation == "tanh":
        sigma = sp.tanh(x)
        derivative_hat = sech2_hat
        steps = [Step("tanh' = sech²", sp.diff(sigma, x), sp.sech(x) ** 2)]
        rule = (
            "derivative rule FT[g'](k) = ik FT[g](k): FT[tanh](k) = FT[sech²](k)/(ik) for k ≠ 0 "
            "(tanh is odd, so no δ(k) term; principal value)"
        )
    else:
        sigma = 1 / (1 + sp.exp(-x))
        derivative_hat = sp.simplify(2 * sech2_hat.subs(k, 2 * k) / 4)
        steps = [
            Step("the logistic sigmoid from tanh", sigma, (1 + sp.tanh(x / 2)) / 2),
            Step("its derivative", sp.diff(sigma, x), sp.sech(x / 2) ** 2 / 4),
            Step(
                "scaling rule FT[g(x/2)](k) = 2 FT[g](2k) (substitute x = 2y), applied to sech²",
                sp.Integral(sp.sech(x / 2) ** 2 * sp.exp(-sp.I * k * x), (x, -sp.oo, sp.oo)),
                2 * sech2_hat.subs(k, 2 * k),
                ("k ≠ 0",),
                checked_at=({"k": 0.45}, {"k": -1.3}, {"k": 2.8}),
            ),
        ]
        rule = (
            "derivative rule FT[g'](k) = ik FT[g](k): FT[s](k) = FT[s'](k)/(ik) for k ≠ 0 "
            "(the mean ½ of s contributes πδ(k), left out)"
        )
    sigma_hat = sp.simplify(derivative_hat / (sp.I * k))
    steps.append(Step(rule, _unevaluated_ratio(derivative_hat, sp.I * k), sigma_hat, ("k ≠ 0",)))
    return steps, sigma, sigma_hat


def _sign_cases() -> list[tuple[str, dict[sp.Symbol, sp.Expr]]]:
    """The four sign cases of (w, k), written with positive symbols W, K."""
    W = sp.Symbol("W", positive=True)
    K = sp.Symbol("K", positive=True)
    return [
        (f"w {'>' if sw > 0 else '<'} 0, k {'>' if sk > 0 else '<'} 0", {w: sw * W, k: sk * K})
        for sw in (1, -1)
        for sk in (1, -1)
    ]


def _hyperbolic_to_E(expr: sp.Expr, c: sp.Expr) -> sp.Expr:
    """Rewrite sinh(ck/w), cosh(ck/w) and |w| with E = e^{-c|k/w|} and Q = 1 - E² (kept as a symbol, so
    the numerics can evaluate it as -expm1(-2z) without cancellation).

    Identities used (z = c|k/w|): sinh(ck/w) = sgn(k) sgn(w) sinh z, cosh(ck/w) = cosh z,
    sinh z = (1 - E²)/(2E), cosh z = (1 + E²)/(2E), |w| = sgn(w) w. The four sign-case steps of
    `derive` check the result; a hyperbolic function of another argument is an error.
    """
    rewritten = expr.subs(
        {
            sp.sinh(c * k / w): sp.sign(k) * sp.sign(w) * Q / (2 * E),
            sp.cosh(c * k / w): (2 - Q) / (2 * E),
            sp.Abs(w): sp.sign(w) * w,
        }
    )
    if rewritten.has(sp.sinh, sp.cosh, sp.tanh, sp.coth):
        raise RuntimeError(f"hyperbolic functions left after rewriting with E: {rewritten}")
    return rewritten


def _factor_gradient(gradient: sp.Expr, c: sp.Expr) -> sp.Expr:
    """G_θ = ∂L/∂θ_j / (A E) in E, Q, ψ = kb/w - φ, from the unsimplified gradient (sinh, cosh of ck/w)."""
    return sp.factor_terms(sp.simplify(_hyperbolic_to_E(gradient.subs(phi, k * b / w - psi), c) / (A * E)))


@functools.cache
def derive(activation: str = "tanh") -> Derivation:
    """Derive the transform of a σ-network neuron and ∂L(k)/∂θ_j (Xu 2018, §3, Eqs. (5)-(9)).

    Returns a `Derivation` whose `steps` re-derive each result (a test re-checks every step with
    `Step.holds`) and whose `results` hold the sympy expressions documented on `Derivation`.
    Raises ValueError for an unknown activation. Cached: the same object is returned on every call.
    """
    c = rate_constant(activation)
    steps, sech2_hat = _sech2_steps()
    activation_steps, sigma, sigma_hat = _activation_steps(activation, sech2_hat)
    steps += activation_steps
    derivative_hat = sp.simplify(sp.I * k * sigma_hat)
    sigma_prime = sp.diff(sigma, x)

    # One neuron: shift/scale rule on the absolutely integrable σ', then the derivative rule.
    shifted = sp.exp(sp.I * k * b / w) * derivative_hat.subs(k, k / w) / sp.Abs(w)
    steps.append(
        Step(
            "shift/scale rule (u = wx + b, dx = du/|w|; the limits swap when w < 0): "
            "FT[σ'(wx + b)](k) = e^{ikb/w} FT[σ'](k/w) / |w|",
            sp.Integral(sigma_prime.subs(x, w * x + b) * sp.exp(-sp.I * k * x), (x, -sp.oo, sp.oo)),
            shifted,
            ("w ≠ 0", "k ≠ 0"),
            checked_at=_NEURON_POINTS,
        )
    )
    transform = sp.simplify(a * w * shifted / (sp.I * k))
    steps.append(
        Step(
            "one neuron: d/dx[a σ(wx + b)] = a w σ'(wx + b), so FT[a σ(wx + b)](k) = a w FT[σ'(wx + b)](k)/(ik)",
            _unevaluated_ratio(a * w * shifted, sp.I * k),
            transform,
            ("w ≠ 0", "k ≠ 0"),
        )
    )
    E_of_k = sp.exp(-c * sp.Abs(k / w))
    transform_stable = sp.simplify(_hyperbolic_to_E(transform, c))
    transform_in_E = transform_stable.subs(Q, 1 - E**2)
    for case, values in _sign_cases():
        steps.append(
            Step(
                f"decay factor E = e^{{-c|k/w|}}, c = {c}, case {case}: "
                "1/(|w| sinh(ck/w)) = 2 sgn(k) E / (w (1 - E²))",
                transform.subs(values),
                transform_in_E.subs(E, E_of_k).subs(values),
                (case,),
            )
        )
    decay_rate = sp.simplify(-sp.log(E_of_k) / sp.Abs(k))

    # The per-frequency loss and the chain rule.
    X, Y, Xp, Yp = sp.symbols("X Y X' Y'", real=True)
    theta = sp.Symbol("theta", real=True)
    X_t, Y_t = sp.Function("X", real=True)(theta), sp.Function("Y", real=True)(theta)
    chain = sp.diff((X_t**2 + Y_t**2) / 2, theta).subs(
        {sp.Derivative(X_t, theta): Xp, sp.Derivative(Y_t, theta): Yp, X_t: X, Y_t: Y}
    )
    steps.append(
        Step(
            "per-frequency loss L(k) = ½|D(k)|², D = T̂ - f̂ = X + iY; chain rule: ∂L/∂θ = Re(conj(D) ∂D/∂θ), "
            "and ∂D/∂θ_j = ∂T̂_j/∂θ_j (f̂ and the other neurons do not depend on θ_j)",
            chain,
            sp.re(sp.conjugate(X + sp.I * Y) * (Xp + sp.I * Yp)),
        )
    )
    results: dict[str, sp.Expr] = {
        "sech2_transform": sech2_hat,
        "activation_transform": sigma_hat,
        "transform": transform,
        "transform_stable": transform_in_E,
        "E": E_of_k,
        "psi": k * b / w - phi,
        "decay_rate": decay_rate,
    }
    stable: dict[str, sp.Expr] = {"transform": transform_stable}
    for name, symbol in {"a": a, "w": w, "b": b}.items():
        derivative = sp.diff(transform, symbol).subs(sp.sign(w), w / sp.Abs(w))
        steps.append(
            Step(f"∂T̂_j/∂{name}_j (d|w|/dw = w/|w|)", sp.Derivative(transform, symbol), derivative, ("w ≠ 0",))
        )
        # ∂T̂_j/∂θ = e^{ikb/w} (P + iQ) with P, Q real, so Re(A e^{-iφ} ∂T̂_j/∂θ) = A (P cos ψ - Q sin ψ).
        slow_part = sp.expand_complex(sp.powsimp(sp.expand(derivative * sp.exp(-sp.I * k * b / w))))
        raw = A * (sp.re(slow_part) * sp.cos(k * b / w - phi) - sp.im(slow_part) * sp.sin(k * b / w - phi))
        gradient = sp.simplify(raw)
        steps.append(
            Step(
                f"with D = A e^{{iφ}}: ∂L(k)/∂{name}_j = A Re(e^{{-iφ}} ∂T̂_j/∂{name}_j)",
                sp.re(A * sp.exp(-sp.I * phi) * derivative),
                gradient,
            )
        )
        factored_q = _factor_gradient(raw, c)
        factored = sp.factor_terms(sp.simplify(factored_q.subs(Q, 1 - E**2)))
        for case, values in _sign_cases():
            steps.append(
                Step(
                    f"factoring ∂L/∂{name}_j = A(k) E_j G_{name}(θ_j, k), ψ = kb/w - φ, case {case}",
                    gradient.subs(values),
                    (A * E * factored).subs(psi, k * b / w - phi).subs(E, E_of_k).subs(values),
                    (case,),
                )
            )
        limit = sp.factor_terms(sp.simplify(factored.subs(E, 0)))
        steps.append(
            Step(
                f"large |k/w| (E -> 0): G_{name} becomes a polynomial of degree ≤ 1 in |k| times sin ψ, cos ψ",
                sp.Limit(factored, E, 0),
                limit,
            )
        )
        results[f"gradient_{name}"] = gradient
        results[f"G_{name}"] = factored
        results[f"G_{name}_limit"] = limit
        stable[f"G_{name}"] = factored_q

    # The ordinary-frequency convention: every angular result at k = 2πξ (E and ψ keep their names:
    # E = e^{-2πc|ξ/w|}, ψ = 2πξ b/w - φ).
    transform_xi = sp.simplify(transform.subs(k, 2 * sp.pi * xi))
    steps.append(
        Step(
            "ordinary frequency ξ: ∫ g e^{-2πiξx} dx is the angular transform at k = 2πξ",
            sp.Integral(
                sp.diff(a * sigma.subs(x, w * x + b), x) * sp.exp(-2 * sp.pi * sp.I * xi * x), (x, -sp.oo, sp.oo)
            )
            / (2 * sp.pi * sp.I * xi),
            transform_xi,
            ("ξ ≠ 0",),
            checked_at=tuple({"xi": p["k"] / 5, "w": p["w"], "b": p["b"], "a": 0.7} for p in _NEURON_POINTS),
        )
    )
    xi_results = {f"{key}_xi": expr.subs(k, 2 * sp.pi * xi) for key, expr in results.items()}
    xi_results["transform_xi"] = transform_xi
    xi_results["decay_rate_xi"] = sp.simplify(-sp.log(xi_results["E_xi"]) / sp.Abs(xi))
    results.update(xi_results)
    return Derivation(
        activation=activation,
        steps=tuple(steps),
        results=MappingProxyType(results),
        stable=MappingProxyType(stable),
    )


# ---------------------------------------------------------------------------------------------------
# Numeric forms, lambdified from the derived expressions (float64, vectorised, stable for any z).


@dataclass(frozen=True)
class _NumericForms:
    transform: Callable[..., np.ndarray]
    gradients: Mapping[str, Callable[..., np.ndarray]]
    envelope_terms: Mapping[str, tuple[Callable[..., np.ndarray], Callable[..., np.ndarray]]]
    decay_rate: Mapping[str, Callable[..., np.ndarray]]
    c: float


@functools.cache
def _numeric_forms(activation: str) -> _NumericForms:
    """Lambdify the stable forms of `derive(activation)` (arguments: a, w, b, k, E, Q, ψ)."""
    derivation = derive(activation)
    arguments = (a, w, b, k, E, Q, psi)

    def lambdified(expr: sp.Expr) -> Callable[..., np.ndarray]:
        return sp.lambdify(arguments, expr, modules="numpy")

    gradients = {name: lambdified(derivation.stable[f"G_{name}"]) for name in PARAMETERS}
    # G_θ = α sin ψ + β cos ψ, so max over the phase of D of |G_θ| is sqrt(α² + β²).
    envelope_terms = {
        name: (
            lambdified(derivation.stable[f"G_{name}"].subs(psi, sp.pi / 2)),
            lambdified(derivation.stable[f"G_{name}"].subs(psi, 0)),
        )
        for name in PARAMETERS
    }
    rates = {
        "angular": sp.lambdify((w,), derivation.results["decay_rate"], modules="numpy"),
        "ordinary": sp.lambdify((w,), derivation.results["decay_rate_xi"], modules="numpy"),
    }
    return _NumericForms(
        transform=lambdified(derivation.stable["transform"]),
        gradients=gradients,
        envelope_terms=envelope_terms,
        decay_rate=rates,
        c=float(rate_constant(activation)),
    )


def _vector(name: str, value: ArrayLike) -> np.ndarray:
    """A finite, non-empty, one-dimensional float64 array, or ValueError naming the problem."""
    array = np.asarray(value)
    if np.iscomplexobj(array):
        raise ValueError(f"{name} must be real, got complex values")
    array = array.astype(np.float64)
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {array.shape}")
    if array.size == 0:
        raise ValueError(f"{name} is empty")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} holds NaN or inf")
    return array


def _network_arguments(
    a: ArrayLike, w: ArrayLike, b: ArrayLike, k: ArrayLike, activation: str
) -> tuple[_NumericForms, tuple[np.ndarray, ...], np.ndarray]:
    """Validated (K, m) grids of a, w, b, k, E = e^{-z}, Q = 1 - E², and z = c|k/w|."""
    forms = _numeric_forms(_check_activation(activation))
    a_, w_, b_, k_ = (_vector(name, value) for name, value in (("a", a), ("w", w), ("b", b), ("k", k)))
    if not a_.shape == w_.shape == b_.shape:
        raise ValueError(f"a, w, b must have the same shape (m,), got {a_.shape}, {w_.shape}, {b_.shape}")
    if np.any(w_ == 0):
        raise ValueError(f"w = 0 at neuron(s) {np.flatnonzero(w_ == 0).tolist()}: the transform is undefined")
    if np.any(k_ == 0):
        raise ValueError("k = 0 is not allowed: the transform of σ is singular there (principal value, δ(k))")
    A_, W_, B_ = (np.broadcast_to(value[None, :], (k_.size, a_.size)) for value in (a_, w_, b_))
    K_ = np.broadcast_to(k_[:, None], W_.shape)
    z = forms.c * np.abs(K_) / np.abs(W_)
    if np.any(z < 1e-150):
        raise ValueError("|k/w| below 1e-150: the transform overflows float64")
    return forms, (A_, W_, B_, K_, np.exp(-z), -np.expm1(-2 * z)), z


def neuron_ft(a: ArrayLike, w: ArrayLike, b: ArrayLike, k: ArrayLike, activation: str = "tanh") -> np.ndarray:
    """The transform of each neuron a_j σ(w_j x + b_j) at each k: complex array (K, m).

    Angular convention ĝ(k) = ∫ g(x) e^{-ikx} dx, k ≠ 0 of either sign (principal value; the δ(k)
    term of the logistic sigmoid is left out). Derived result (docs/formulas.md §1):
    -iπ a e^{ikb/w} / (|w| sinh(ck/w)) = -2πi sgn(k) a e^{ikb/w} E / (w (1 - E²)), E = e^{-c|k/w|},
    c = π/2 (tanh) or π (logistic); evaluated in the second form, so |πk/2w| up to 1e4 and beyond
    give 0 (underflow), never inf or NaN. a, w, b: shape (m,); k: shape (K,).
    Raises ValueError for k = 0, w = 0, NaN/inf, mismatched shapes or an unknown activation.
    """
    forms, (A_, W_, B_, K_, E_, Q_), _ = _network_arguments(a, w, b, k, activation)
    return np.asarray(forms.transform(A_, W_, B_, K_, E_, Q_, 0.0), dtype=np.complex128)


def frequency_gradient(
    a: ArrayLike, w: ArrayLike, b: ArrayLike, k: ArrayLike, D: ArrayLike, activation: str = "tanh"
) -> dict[str, np.ndarray]:
    """∂L(k)/∂θ_j for θ ∈ {a, w, b}: a dict of real arrays (K, m) (Xu 2018, Eq. (9); docs/formulas.md §1).

    L(k) = ½|D(k)|² with D = T̂(k) - f̂(k) given (complex, shape (K,)), A = |D|, φ = arg D; the
    derived factored form A E_j G_θ(θ_j, k) is evaluated with E = e^{-c|k/w_j|} and 1 - E² =
    -expm1(-2c|k/w_j|), so it is finite for every k ≠ 0 (0 once E underflows). Angular k.
    Raises ValueError as `neuron_ft`, and for a D of the wrong shape or holding NaN/inf.
    """
    forms, (A_, W_, B_, K_, E_, Q_), _ = _network_arguments(a, w, b, k, activation)
    D_ = np.asarray(D)
    if D_.shape != (K_.shape[0],):
        raise ValueError(f"D must have shape (K,) = ({K_.shape[0]},) like k, got {D_.shape}")
    if not np.all(np.isfinite(D_)):
        raise ValueError("D holds NaN or inf")
    amplitude = np.abs(D_)[:, None]
    psi_ = K_ * B_ / W_ - np.angle(D_)[:, None]
    return {
        name: amplitude * E_ * np.asarray(form(A_, W_, B_, K_, E_, Q_, psi_), dtype=np.float64)
        for name, form in forms.gradients.items()
    }


def gradient_envelope(
    a: ArrayLike, w: ArrayLike, b: ArrayLike, k: ArrayLike, activation: str = "tanh", log: bool = False
) -> dict[str, np.ndarray]:
    """The non-oscillating envelope of |∂L(k)/∂θ_j| / A(k): |∂T̂_j/∂θ_j| = E_j sqrt(α² + β²).

    With G_θ = α sin ψ + β cos ψ (the derived factored form), the maximum over the phase of D of
    |∂L/∂θ_j| / A is E_j sqrt(α² + β²), which equals |∂T̂_j/∂θ_j|. With log=True the natural log
    -c|k/w_j| + ½ log(α² + β²) is returned (exact where E underflows; -inf for w, b when a_j = 0).
    Dict of real arrays (K, m).
    """
    forms, (A_, W_, B_, K_, E_, Q_), z = _network_arguments(a, w, b, k, activation)
    envelopes = {}
    for name, (sine, cosine) in forms.envelope_terms.items():
        alpha = np.asarray(sine(A_, W_, B_, K_, E_, Q_, 0.0), dtype=np.float64)
        beta = np.asarray(cosine(A_, W_, B_, K_, E_, Q_, 0.0), dtype=np.float64)
        magnitude = np.hypot(alpha, beta)
        with np.errstate(divide="ignore"):
            envelopes[name] = -z + np.log(magnitude) if log else E_ * magnitude
    return envelopes


def decay_rate(w: ArrayLike, activation: str = "tanh", convention: str = "angular") -> np.ndarray:
    """The predicted decay rate of |∂L/∂θ_j| in frequency: c/|w_j| in k (π/(2|w|) tanh, π/|w| logistic),
    2πc/|w_j| in ξ (convention="ordinary"). Raises ValueError for w = 0, NaN/inf or a bad name."""
    forms = _numeric_forms(_check_activation(activation))
    if convention not in forms.decay_rate:
        raise ValueError(f"unknown convention {convention!r}; expected 'angular' or 'ordinary'")
    w_ = _vector("w", w)
    if np.any(w_ == 0):
        raise ValueError(f"w = 0 at neuron(s) {np.flatnonzero(w_ == 0).tolist()}: no decay rate")
    return np.asarray(forms.decay_rate[convention](w_), dtype=np.float64) * np.ones_like(w_)


def gaussian_transform(k: ArrayLike, width: float) -> np.ndarray:
    """f̂(k) of the target f(x) = exp(-x²/(2s²)), s = width, in the angular convention: s√(2π) e^{-s²k²/2}."""
    k_ = np.asarray(k, dtype=np.float64)
    return width * np.sqrt(2 * np.pi) * np.exp(-((width * k_) ** 2) / 2)


def gaussian_residual(a: ArrayLike, w: ArrayLike, b: ArrayLike, k: ArrayLike, width: float,
                      activation: str = "tanh") -> np.ndarray:
    """D(k) = T̂(k) - f̂(k) from the closed forms: Σ_j `neuron_ft` minus `gaussian_transform`, complex (K,)."""
    return neuron_ft(a, w, b, k, activation).sum(axis=1) - gaussian_transform(k, width)
