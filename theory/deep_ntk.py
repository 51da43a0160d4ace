"""The neural tangent kernel of a deep ReLU network on the unit circle by the arc-cosine recursion, its
eigenvalues per harmonic and its κ⁻² law: the depth-L extension of `fpcheck.theory.circle_ntk` (Jacot, Gabriel,
Hongler 2018, "Neural tangent kernel: convergence and generalization in neural networks", NeurIPS,
arXiv:1806.07572, for the limit kernel; Arora, Du, Hu, Li, Salakhutdinov, Wang 2019, "On exact computation with
an infinitely wide neural net", NeurIPS, arXiv:1904.11955, for the ReLU recursion Σ^(h), Σ̇^(h),
Θ^(h) = Θ^(h-1) Σ̇^(h) + Σ^(h)).

Model and conventions (those of `circle_ntk`, layer by layer). `depth` L counts the linear layers, as
`fpcheck.empirics.mlp.MLPSpec` does ((2, m, …, m, 1): L - 1 hidden layers of width m; L = 2 is `circle_ntk`):
h¹ = W¹ x + b¹, h^l = m^{-1/2} W^l relu(h^{l-1}) + b^l (l = 2 … L-1), f = m^{-1/2} a·relu(h^{L-1}), on
x = (cos θ, sin θ), every weight and bias N(0, 1) (`bias=False`: every b = 0), no output bias. Unlike Arora et al.
(factor √(2/m), He scaling) the hidden layers carry m^{-1/2}, the factor of `circle_ntk`'s output layer, so that
depth 2 is that module's model exactly. The NTK is the m → ∞ limit of Σ_p ∂_p f(x) ∂_p f(x') over the trained
parameters: `layers="both"` (the name of `circle_ntk`) trains every layer, `layers="hidden"` every layer but the
output weights a (a = ±1 fixed). It depends on the angle θ between the two points only.

Recursion (`derive()`). With β² = 1 (bias) or 0, a pre-activation pair of layer l is Gaussian with variance
q_l at both points and correlation ρ_l = cos φ_l: q_1 = 1 + β², q_l = q_{l-1}/2 + β² (so q_l = 2 for every layer
with bias: the lifted norm |x̃|² = 2 is a fixed point; q_l = 2^{1-l} without), ρ_1 = (cos θ + β²)/q_1. The
arc-cosine kernels (Cho and Saul 2009; the steps of `circle_ntk.derive`) give, with κ_0(ρ) = (π - arccos ρ)/π and
κ_1(ρ) = (√(1 - ρ²) + (π - arccos ρ) ρ)/π,

    Σ̇^(l) = κ_0(ρ_{l-1})/2,   Σ^(l) = q_{l-1} κ_1(ρ_{l-1})/2 + β² (l < L; the output layer has no bias),
    ρ_l = Σ^(l)/q_l,   Θ^(1) = cos θ + β²,   Θ^(l) = Θ^(l-1) Σ̇^(l) + Σ^(l),

K_both = Θ^(L) and K_hidden = Θ^(L-1) Σ̇^(L) (without the output layer's Σ^(L)).

Eigenvalues: λ_κ = (1/2π) ∫_{-π}^{π} K(θ) e^{-iκθ} dθ (continuum, integer κ, the 1/2π normalisation of
`circle_ntk_eigenvalues`) or, on n equispaced points, λ_κ^(n) = (1/n) Σ_j K(2πj/n) e^{-2πiκj/n} = Σ_l λ_{κ+ln}.

Kinks and the κ⁻² law. κ_1' = κ_0 is bounded, so every ρ_l and Σ^(l) is C¹ and, being even about 0 and π, flat
there; K has a kink only where some ρ_{l-1} reaches ±1, through κ_0: near ρ = 1, arccos ρ ≈ √(2(1 - ρ)), so if
1 - ρ ≈ -ρ''θ²/2 then Σ̇ has the one-sided slope -√|ρ''|/(2π) (likewise at ρ = -1). With bias this happens at
θ = 0 only, in every layer (ρ_l'' = ρ_{l-1}'' q_{l-1}/(2 q_l), since κ_0(1) = 1); without bias also at θ = π,
in the first layer only (ρ_1 = cos θ; ρ_2(π) = 0). Propagating (value, slope) through Θ^(l) gives K'(0+) and
K'(π-) exactly (`kink_slopes`), and two integrations by parts give, as in `circle_ntk`,
λ_κ = -(J_0 + (-1)^κ J_π)/(2πκ²) + O(κ⁻⁴) with J_0 = 2K'(0+), J_π = -2K'(π-). Deep ReLU NTKs keep the κ⁻² decay of
the two-layer kernel on the circle (S^{d-1} with d = 2: Bietti and Bach 2021, "Deep equals shallow for ReLU
networks in kernel regimes", ICLR, arXiv:2009.14397; Chen and Xu 2021, "Deep neural tangent kernel and Laplace
kernel have the same RKHS", ICLR, arXiv:2009.10683); the constant is ours.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np
import sympy as sp
from numpy.typing import ArrayLike
from scipy import integrate

from fpcheck.theory import circle_ntk
from fpcheck.theory.circle_ntk import Layers, theta
from fpcheck.theory.derivation import Step

rho = sp.symbols("rho", real=True)
MAX_DEPTH = 16


def _kappa0(r: Any, acos: Callable[[Any], Any] = sp.acos, pi: Any = sp.pi) -> Any:
    """κ_0(ρ) = 2 E[1{u>0} 1{v>0}] for unit-variance u, v of correlation ρ."""
    return (pi - acos(r)) / pi


def _kappa1(r: Any, acos: Callable[[Any], Any] = sp.acos, sqrt: Callable[[Any], Any] = sp.sqrt,
            pi: Any = sp.pi) -> Any:
    """κ_1(ρ) = 2 E[relu(u) relu(v)] for unit-variance u, v of correlation ρ."""
    return (sqrt(1 - r * r) + (pi - acos(r)) * r) / pi


def _check(depth: int, layers: Layers) -> None:
    if isinstance(depth, bool) or int(depth) != depth or not 2 <= depth <= MAX_DEPTH:
        raise ValueError(f"depth (linear layers) must be an integer in [2, {MAX_DEPTH}], not {depth!r}")
    if layers not in ("hidden", "both"):
        raise ValueError(f"layers must be 'hidden' or 'both', not {layers!r}")


def _recursion(depth: int, bias: bool, layers: Layers, cosine: Any, lib: dict[str, Any]) -> Any:
    """Θ (module doc) with the arithmetic of `lib`: sympy, or numpy with the correlations clipped to [-1, 1]
    (rounding pushes them past 1 at θ = 0)."""
    beta2 = 1 if bias else 0
    variance = 1 + beta2
    correlation = lib["clip"]((cosine + beta2) / variance)
    kernel = cosine + beta2
    for _ in range(2, depth):  # the hidden layers after the first
        covariance = variance * _kappa1(correlation, lib["acos"], lib["sqrt"], lib["pi"]) / 2 + beta2
        kernel = kernel * _kappa0(correlation, lib["acos"], lib["pi"]) / 2 + covariance
        variance = variance / 2 + beta2
        correlation = lib["clip"](covariance / variance)
    output = kernel * _kappa0(correlation, lib["acos"], lib["pi"]) / 2
    if layers == "both":
        output = output + variance * _kappa1(correlation, lib["acos"], lib["sqrt"], lib["pi"]) / 2
    return output


_SYMPY = {"acos": sp.acos, "sqrt": sp.sqrt, "pi": sp.pi, "clip": lambda r: r}
_NUMPY = {"acos": np.arccos, "sqrt": np.sqrt, "pi": np.pi, "clip": lambda r: np.clip(r, -1.0, 1.0)}


def derive(depth: int, bias: bool = True, layers: Layers = "hidden") -> tuple[list[Step], sp.Expr]:
    """The steps from the two-layer kernels to the recursion, and K(θ) itself (θ in [0, π]; K is even)."""
    _check(depth, layers)
    phi = circle_ntk.phi
    curvature = sp.Symbol("c", positive=True)
    two_layer_steps = circle_ntk.derive(bias, layers)[0]
    steps = [
        two_layer_steps[1],
        two_layer_steps[2],
        Step("the same kernels for unit variances in the correlation ρ = cos φ: κ_0(ρ)/2 and κ_1(ρ)/2 (module doc)",
             sp.Subs((sp.sin(phi) + (sp.pi - phi) * sp.cos(phi)) / sp.pi, phi, sp.acos(rho)), _kappa1(rho),
             ("-1 ≤ ρ ≤ 1",)),
        Step("κ_1' = κ_0: Σ^(l) is C¹ in θ, so only Σ̇^(l) (through κ_0) can put a kink in Θ",
             sp.Derivative(_kappa1(rho), rho), _kappa0(rho), ("-1 < ρ < 1",)),
        Step("the kink: where ρ = 1 - cθ²/2 + O(θ³) (c = -ρ'' > 0), κ_0(ρ) = 1 - arccos(ρ)/π has the slope -√c/π at "
             "θ = 0+, so Σ̇ = κ_0/2 has -√c/(2π) (likewise at ρ = -1, θ = π-)",
             sp.Limit((_kappa0(1 - curvature * theta**2 / 2) - 1) / theta, theta, 0, "+"), -sp.sqrt(curvature) / sp.pi),
    ]
    if bias:
        q = sp.Symbol("q", positive=True)
        steps.append(Step("the variance of a pre-activation, q_l = q_{l-1}/2 + 1 with bias, stays at q_1 = |x̃|² = 2",
                          sp.Subs(q / 2 + 1, q, 2), sp.Integer(2)))
    kernel = _recursion(depth, bias, layers, sp.cos(theta), _SYMPY)
    if not bias:  # φ_1 = arccos(cos θ) = θ and sin φ_1 = sin θ on [0, π], the form of `circle_ntk`
        kernel = kernel.subs({sp.acos(sp.cos(theta)): theta, sp.sqrt(1 - sp.cos(theta) ** 2): sp.sin(theta)})
    if depth == 2:
        steps.append(Step("depth 2 is the two-layer kernel of `circle_ntk`", kernel, circle_ntk.derive(bias, layers)[1],
                          ("0 ≤ θ ≤ π",)))
    return steps, kernel


@functools.cache
def _numeric(depth: int, bias: bool, layers: Layers) -> Callable[[np.ndarray], np.ndarray]:
    _check(depth, layers)
    return lambda angle: _recursion(depth, bias, layers, np.cos(angle), _NUMPY)


def deep_circle_ntk(angle: ArrayLike, depth: int, bias: bool = True, layers: Layers = "hidden") -> np.ndarray:
    """K(θ) of the depth-`depth` network (module doc; 2 ≤ depth ≤ MAX_DEPTH) for the angle θ between two points
    (any real θ: K is 2π-periodic and even)."""
    return np.asarray(_numeric(depth, bias, layers)(np.asarray(angle, dtype=float)), dtype=float)


@functools.cache
def kink_slopes(depth: int, bias: bool = True, layers: Layers = "hidden") -> tuple[sp.Expr, sp.Expr]:
    """K'(0+) and K'(π-) in closed form: (value, slope) of Θ^(l) and (value, curvature ρ'') of ρ_l propagated
    through the layers at θ = 0 and θ = π (module doc; the slope of Σ̇^(l) is -√|ρ''_{l-1}|/(2π) where
    ρ_{l-1} = ±1, else 0)."""
    _check(depth, layers)
    beta2 = 1 if bias else 0
    slopes = []
    for cosine in (sp.Integer(1), sp.Integer(-1)):
        variance = sp.Integer(1 + beta2)
        correlation, curvature = (cosine + beta2) / variance, -cosine / variance
        value, slope = cosine + beta2, sp.Integer(0)
        for layer in range(2, depth + 1):
            derivative = _kappa0(correlation) / 2
            at_end = sp.simplify(correlation**2 - 1) == 0
            slope = slope * derivative + value * (-sp.sqrt(abs(curvature)) / (2 * sp.pi) if at_end else 0)
            if layer < depth:  # a hidden layer: the next (value, correlation, curvature)
                covariance = variance * _kappa1(correlation) / 2 + beta2
                value = value * derivative + covariance
                previous, variance = variance, variance / 2 + beta2
                curvature = previous / (2 * variance) * _kappa0(correlation) * curvature
                correlation = sp.simplify(covariance / variance)
        slopes.append(sp.nsimplify(sp.simplify(slope)))
    return slopes[0], slopes[1]


def _fourier_coefficients(kernel: Callable[[np.ndarray], np.ndarray], kappa: ArrayLike,
                          points: int | None) -> np.ndarray:
    """(1/2π) ∫ K(θ) cos κθ dθ by adaptive quadrature (points=None), or (1/n) Σ_j K(2πj/n) cos(2πκj/n)."""
    orders = np.abs(np.asarray(kappa))
    if not np.all(orders == np.round(orders)):
        raise ValueError("κ must be integers (harmonics of the circle)")
    if points is not None:
        if isinstance(points, bool) or int(points) != points or points < 2:
            raise ValueError(f"points must be an integer ≥ 2, not {points!r}")
        grid = 2 * np.pi * np.arange(int(points)) / int(points)
        values = kernel(grid)
        return np.array([np.mean(values * np.cos(order * grid)) for order in orders.ravel()]).reshape(orders.shape)
    out = []
    for order in orders.ravel():
        def integrand(t: float) -> float:
            return float(kernel(np.asarray(t)))
        if order == 0:
            value, _ = integrate.quad(integrand, 0.0, np.pi, limit=200)
        else:
            value, _ = integrate.quad(integrand, 0.0, np.pi, weight="cos", wvar=float(order), limit=400)
        out.append(value / np.pi)
    return np.array(out).reshape(orders.shape)


def deep_circle_ntk_eigenvalues(kappa: ArrayLike, depth: int, points: int | None = None, bias: bool = True,
                                layers: Layers = "hidden") -> np.ndarray:
    """λ_κ (module doc): the continuum coefficients (points=None) or, on `points` equispaced points, the discrete
    ones with their aliases; integer κ of any sign (λ_{-κ} = λ_κ)."""
    return _fourier_coefficients(_numeric(depth, bias, layers), kappa, points)


def deep_eigenvalue_asymptote(kappa: ArrayLike, depth: int, bias: bool = True, layers: Layers = "hidden") -> np.ndarray:
    """The κ⁻² law -(J_0 + (-1)^κ J_π)/(2πκ²) for integer κ ≠ 0, J_0 = 2K'(0+), J_π = -2K'(π-) (`kink_slopes`)."""
    orders = np.asarray(kappa)
    if np.any(orders == 0):
        raise ValueError("the asymptote is for κ ≠ 0")
    at_zero, at_pi = (float(slope) for slope in kink_slopes(depth, bias, layers))
    jumps = 2.0 * at_zero - 2.0 * at_pi * np.where(orders % 2 == 0, 1.0, -1.0)
    return -jumps / (2 * np.pi * orders.astype(float) ** 2)


def deep_harmonic_learning_time(kappa: ArrayLike, depth: int, lr: float, delta: float, points: int,
                                bias: bool = True, layers: Layers = "hidden") -> np.ndarray:
    """t_κ = ln(1/δ) / -ln|1 - c η λ_κ^(n)| steps of gradient descent on the mean squared error without ½ (c = 2,
    `circle_ntk.gradient_descent_time`) with the depth-L eigenvalues on `points` equispaced points; inf where
    the factor is ≥ 1 in magnitude."""
    return circle_ntk.gradient_descent_time(deep_circle_ntk_eigenvalues(kappa, depth, points, bias, layers), lr, delta)
