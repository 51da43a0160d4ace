"""The neural tangent kernel of a two-layer ReLU network on the unit circle, its eigenvalues per harmonic and
the gradient-descent learning time of each harmonic (Basri, Jacobs, Kasten, Kritchman 2019, "The convergence
rate of neural networks for learned functions of different frequencies", NeurIPS, arXiv:1906.00425).

Model and conventions. f(x) = m^{-1/2} Σ_r a_r relu(w_r·x + b_r) on x = (cos θ, sin θ), with w_r ~ N(0, I₂),
b_r ~ N(0, 1) (`bias=False`: b_r = 0) and a_r = ±1; the NTK is the m → ∞ limit of Σ_p ∂_p f(x) ∂_p f(x') over
the trained parameters: `layers="hidden"` trains w and b (a fixed, the source's model as we read it),
`layers="both"` trains a ~ N(0, 1) too. It depends on the angle θ between the two points only.

Derivation (`derive()`, steps re-checked by the tests): with the lifted input x̃ = (x, 1) and u = (w, b) ~
N(0, I₃), w·x + b = u·x̃; x̃·x̃' = 1 + cos θ and |x̃|² = 2, so the angle φ between x̃ and x̃' has cos φ =
(1 + cos θ)/2 (without bias: φ = |θ|). Gaussian integrals reduce to the angle α of u in the plane of x̃, x̃'
(the arc-cosine kernels of Cho and Saul 2009): E[1{u·x̃>0} 1{u·x̃'>0}] = (π - φ)/(2π) and
E[relu(u·x̃) relu(u·x̃')] = |x̃||x̃'| (sin φ + (π - φ) cos φ)/(2π). Hence

    K_hidden(θ) = (x̃·x̃') (π - φ)/(2π),    K_both(θ) = K_hidden(θ) + |x̃|² (sin φ + (π - φ) cos φ)/(2π).

Eigenvalues: the kernel is a function of θ - θ', so the harmonics e^{iκθ} are its eigenfunctions, with
λ_κ = (1/2π) ∫_{-π}^{π} K(θ) e^{-iκθ} dθ (continuum; integer κ, the 1/2π normalisation) or, on n equispaced
points, λ_κ^(n) = (1/n) Σ_j K(2πj/n) e^{-2πiκj/n} = Σ_l λ_{κ+ln} (aliases included). K has a kink at θ = 0
(φ ≈ |θ|/√2) and, without bias, another at θ = π: jumps J_0 = 2K'(0+) and J_π = -2K'(π-) of its derivative
give λ_κ = -(J_0 + (-1)^κ J_π)/(2πκ²) + O(κ⁻⁴), the κ⁻² decay (without bias the two cancel for odd κ > 1).

Learning time. Gradient descent with step η on the engine's mean squared error (1/n) Σ (f - y)² (no ½, so
c = 2) moves the residual's κ-component by the factor 1 - c η λ_κ^(n) w_κ per step in the kernel regime, with
w_κ = 1, or (1 + κ²)^s for the Sobolev loss (Yu, Yang, Townsend 2023, arXiv:2205.14300; κ in cycles per
period, the convention of `fpcheck.empirics.losses.SobolevLoss`). It falls below δ of its start after
t_κ = ln(1/δ) / -ln|1 - c η λ_κ^(n) w_κ| steps.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Literal

import numpy as np
import sympy as sp
from numpy.typing import ArrayLike
from scipy import integrate

from fpcheck.theory.derivation import Step

Layers = Literal["hidden", "both"]
LOSS_FACTOR = 2.0
"""c in 1 - c η λ: the gradient of the mean squared error (1/n) Σ (f - y)² is (2/n)(f - y)."""

theta, phi, alpha = sp.symbols("theta phi alpha", real=True)


def _angle(bias: bool) -> sp.Expr:
    """φ(θ) for θ in [0, π]: the angle between the lifted inputs."""
    return sp.acos((1 + sp.cos(theta)) / 2) if bias else theta


def _kernel_expression(bias: bool, layers: Layers) -> sp.Expr:
    inner = 1 + sp.cos(theta) if bias else sp.cos(theta)
    norm_squared = 2 if bias else 1
    angle = _angle(bias)
    hidden = inner * (sp.pi - angle) / (2 * sp.pi)
    if layers == "hidden":
        return hidden
    return hidden + norm_squared * (sp.sin(angle) + (sp.pi - angle) * sp.cos(angle)) / (2 * sp.pi)


def derive(bias: bool = True, layers: Layers = "hidden") -> tuple[list[Step], sp.Expr]:
    """The steps from the model to K(θ) (θ in [0, π]; K is even) and the kernel itself (module doc)."""
    if layers not in ("hidden", "both"):
        raise ValueError(f"layers must be 'hidden' or 'both', not {layers!r}")
    steps = [
        Step("the lifted inputs (1, 0, 1) and (cos θ, sin θ, 1): inner product" if bias else
             "the inputs (1, 0) and (cos θ, sin θ): inner product",
             sp.cos(theta) + (1 if bias else 0), 1 + sp.cos(theta) if bias else sp.cos(theta)),
        Step("the indicator kernel: by the rotation invariance of u ~ N(0, I), only the direction α of u in the "
             "plane of the two inputs matters, and both pre-activations are positive on an arc of length π - φ",
             sp.Integral(1, (alpha, phi - sp.pi / 2, sp.pi / 2)) / (2 * sp.pi), (sp.pi - phi) / (2 * sp.pi),
             ("0 ≤ φ ≤ π",)),
        Step("the ReLU kernel: the same reduction with |u|² averaging to 2 in that plane (Cho and Saul 2009, "
             "degree 1), per unit input norms",
             2 * sp.Integral(sp.cos(alpha) * sp.cos(alpha - phi), (alpha, phi - sp.pi / 2, sp.pi / 2)) / (2 * sp.pi),
             (sp.sin(phi) + (sp.pi - phi) * sp.cos(phi)) / (2 * sp.pi), ("0 ≤ φ ≤ π",)),
    ]
    if bias:
        steps.append(Step("the angle between the lifted inputs: cos φ = x̃·x̃' / (|x̃||x̃'|) with |x̃|² = 2",
                          sp.cos(_angle(True)), (1 + sp.cos(theta)) / 2, ("0 ≤ θ ≤ π",)))
    kernel = _kernel_expression(bias, layers)
    slope = -1 / (sp.sqrt(2) * sp.pi) if bias else -1 / (2 * sp.pi)
    steps.append(Step(f"the kink of the NTK (layers = {layers}: (input inner product) × indicator kernel"
                      + (" + |x̃|² × ReLU kernel, whose slope at θ = 0 vanishes" if layers == "both" else "")
                      + "): K'(0+)", sp.Limit(sp.diff(kernel, theta), theta, 0, "+"), slope))
    steps.append(Step("the slope at θ = π: K'(π-) (zero with bias: φ is smooth there; without bias |θ| has a kink at π "
                      "too, where the two inputs are opposite)", sp.Limit(sp.diff(kernel, theta), theta, sp.pi, "-"),
                      sp.Integer(0) if bias else 1 / (2 * sp.pi)))
    return steps, kernel


@functools.cache
def _kernel_function(bias: bool, layers: Layers) -> Callable[[np.ndarray], np.ndarray]:
    return sp.lambdify(theta, derive(bias, layers)[1], modules="numpy")


def circle_ntk(angle: ArrayLike, bias: bool = True, layers: Layers = "hidden") -> np.ndarray:
    """K(θ) for the angle θ between two points of the circle (any real θ: K is 2π-periodic and even)."""
    wrapped = np.abs(np.angle(np.exp(1j * np.asarray(angle, dtype=float))))  # into [0, π]
    with np.errstate(invalid="ignore"):
        values = _kernel_function(bias, layers)(wrapped)
    if bias:  # acos of a rounding excess above 1 at θ = 0: the limit is the value at φ = 0
        values = np.where(wrapped == 0.0, _kernel_at_zero(layers), values)
    return np.asarray(values, dtype=float)


def _kernel_at_zero(layers: Layers) -> float:
    return 1.0 if layers == "hidden" else 2.0  # (x̃·x̃)/2, plus |x̃|² π/(2π)


@functools.cache
def kink_slopes(bias: bool = True, layers: Layers = "hidden") -> tuple[float, float]:
    """K'(0+) and K'(π-), the limits computed by sympy (the derivation's last steps check their closed forms)."""
    at_zero, at_pi = derive(bias, layers)[0][-2:]
    return float(at_zero.lhs.doit()), float(at_pi.lhs.doit())


def circle_ntk_eigenvalues(kappa: ArrayLike, points: int | None = None, bias: bool = True,
                           layers: Layers = "hidden") -> np.ndarray:
    """λ_κ (module doc): the continuum coefficients by quadrature (points=None), or on `points` equispaced
    points the discrete ones (aliases included). κ are integers (any sign: λ_{-κ} = λ_κ)."""
    orders = np.abs(np.asarray(kappa))
    if not np.all(orders == np.round(orders)):
        raise ValueError("κ must be integers (harmonics of the circle)")
    if points is not None:
        if isinstance(points, bool) or int(points) != points or points < 2:
            raise ValueError(f"points must be an integer ≥ 2, not {points!r}")
        grid = 2 * np.pi * np.arange(int(points)) / int(points)
        values = circle_ntk(grid, bias, layers)
        return np.array([np.mean(values * np.cos(order * grid)) for order in orders.ravel()]).reshape(orders.shape)
    out = []
    for order in orders.ravel():
        if order == 0:
            value, _ = integrate.quad(lambda t: float(circle_ntk(t, bias, layers)), 0.0, np.pi, limit=200)
        else:
            value, _ = integrate.quad(lambda t: float(circle_ntk(t, bias, layers)), 0.0, np.pi, weight="cos",
                                      wvar=float(order), limit=400)
        out.append(value / np.pi)
    return np.array(out).reshape(orders.shape)


def eigenvalue_asymptote(kappa: ArrayLike, bias: bool = True, layers: Layers = "hidden") -> np.ndarray:
    """The κ⁻² law -(J_0 + (-1)^κ J_π)/(2πκ²) (module doc), for integer κ ≠ 0: J_0 = 2K'(0+) and J_π = -2K'(π-)
    are the jumps of K' at the kinks θ = 0 and θ = π (two integrations by parts)."""
    orders = np.asarray(kappa)
    if np.any(orders == 0):
        raise ValueError("the asymptote is for κ ≠ 0")
    at_zero, at_pi = kink_slopes(bias, layers)
    jumps = 2.0 * at_zero - 2.0 * at_pi * np.where(orders % 2 == 0, 1.0, -1.0)
    return -jumps / (2 * np.pi * orders.astype(float) ** 2)


def harmonic_learning_time(kappa: ArrayLike, lr: float, delta: float, points: int, s: float = 0.0,
                           bias: bool = True, layers: Layers = "hidden") -> np.ndarray:
    """t_κ = ln(1/δ) / -ln|1 - c η λ_κ^(n) (1 + κ²)^s| steps (module doc); inf where the factor is ≥ 1 in
    magnitude (gradient descent does not shrink that harmonic at this step size)."""
    orders = np.asarray(kappa, dtype=float)
    return gradient_descent_time(circle_ntk_eigenvalues(orders, points, bias, layers) * (1.0 + orders**2) ** float(s),
                                 lr, delta)


def gradient_descent_time(rates: ArrayLike, lr: float, delta: float) -> np.ndarray:
    """ln(1/δ) / -ln|1 - c η μ| steps for kernel eigenvalues μ (already weighted by the loss), c = LOSS_FACTOR;
    inf where the factor is ≥ 1 in magnitude."""
    if not (np.isfinite(lr) and lr > 0):
        raise ValueError(f"the step size must be a finite positive number, not {lr!r}")
    if not 0 < delta < 1:
        raise ValueError(f"δ must lie in (0, 1), not {delta!r}")
    factor = np.abs(1.0 - LOSS_FACTOR * lr * np.asarray(rates, dtype=float))
    with np.errstate(divide="ignore"):
        return np.where(factor < 1.0, np.log(1.0 / delta) / -np.log(factor), np.inf)
