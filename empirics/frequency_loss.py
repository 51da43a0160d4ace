"""The per-frequency loss of a torch one-hidden-layer network and its gradient, measured (Xu 2018, §3).

The measurement side of the `xu2018.*` gradient claims, and the run function of the gradient-spectrum
experiments (`gradient_spectrum`; setups, results and measurements in `fpcheck.empirics.gradient_spectrum`):
nothing here uses the closed forms of `fpcheck.theory.sigmoid_gradient`; the transform is computed by
quadrature of the torch network itself and the gradient by automatic differentiation through that quadrature.

Convention: angular frequency, ĝ(k) = ∫ g(x) e^{-ikx} dx (docs/formulas.md §1), k ≠ 0.

The network T(x) = Σ_j a_j σ(w_j x + b_j) (σ = tanh or the logistic sigmoid; for controls, the
Gudermannian gd or erf(√π u/2)) tends to constants at ±∞, so T̂ is a principal value and the integral
cannot be truncated honestly. The derivative trick handles the tail: T'(x) = Σ_j a_j w_j σ'(w_j x + b_j)
decays like e^{-2|w_j x + b_j|} (tanh), e^{-|w_j x + b_j|} (logistic, gd) or faster (erf), and for
k ≠ 0, T̂(k) = FT[T'](k) / (ik) (the jump T(∞) - T(-∞) and the logistic mean only add terms at k = 0).
T' is obtained by forward-mode autodiff of the network in x (torch.func.jvp), and FT[T'] by the
trapezoidal rule on a uniform grid (`QuadratureGrid`), which for an integrand analytic in the strip
|Im x| < d converges like e^{-(2π/h - |k|) d}.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from numpy.typing import ArrayLike
from torch.func import functional_call, jacfwd, jvp

from fpcheck.empirics import gradient_spectrum as family
from fpcheck.empirics import mlp
from fpcheck.empirics.seeding import numpy_rng

ACTIVATIONS: Mapping[str, Callable[[torch.Tensor], torch.Tensor]] = {
    name: mlp.ACTIVATIONS[name] for name in ("tanh", "logistic")
}  # the smooth activations whose transforms Xu 2018 derives
CONTROL_ACTIVATIONS: Mapping[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "gudermannian": lambda u: 2 * torch.atan(torch.tanh(u / 2)),  # gd' = sech
    "erf": lambda u: torch.erf(math.sqrt(math.pi) / 2 * u),  # σ' = e^{-πu²/4}, slope 1 at 0 like tanh
}  # networks outside the closed form's hypothesis (`fpcheck.empirics.gradient_spectrum`, module doc)
NETWORK_ACTIVATIONS = {**ACTIVATIONS, **CONTROL_ACTIVATIONS}
# σ'(u) ≤ C e^{-ρ|u|}: ρ = 2 for tanh (sech²), 1 for the logistic sigmoid (s(1 - s)) and gd (sech); the
# Gaussian e^{-πu²/4} of erf is below e^{-2|u|} beyond |u| = 8/π, far inside the grid's reach.
_TAIL_RATE = {"tanh": 2.0, "logistic": 1.0, "gudermannian": 1.0, "erf": 2.0}
# σ' is analytic for |Im u| < π/2 (tanh: poles of sech² at ±iπ/2; gd: poles of sech there) or π (logistic:
# poles at ±iπ); erf's σ' is entire, and the strip of tanh is used for its step (more than accurate enough).
_STRIP = {"tanh": math.pi / 2, "logistic": math.pi, "gudermannian": math.pi / 2, "erf": math.pi / 2}
MAX_GRID_POINTS = 2_000_000
PARAMETERS = ("a", "w", "b")


class ShallowNetwork(torch.nn.Module):
    """T(x) = Σ_j a_j σ(w_j x + b_j), float64, parameters `a`, `w`, `b` of shape (m,); σ one of
    `NETWORK_ACTIVATIONS` (tanh, logistic, or a control activation)."""

    def __init__(self, a: ArrayLike, w: ArrayLike, b: ArrayLike, activation: str = "tanh") -> None:
        super().__init__()
        if activation not in NETWORK_ACTIVATIONS:
            raise ValueError(f"unknown activation {activation!r}; expected one of {', '.join(NETWORK_ACTIVATIONS)}")
        values = {name: np.asarray(value, dtype=np.float64) for name, value in (("a", a), ("w", w), ("b", b))}
        for name, value in values.items():
            if value.ndim != 1 or value.size == 0:
                raise ValueError(f"{name} must be a non-empty one-dimensional array, got shape {value.shape}")
            if not np.all(np.isfinite(value)):
                raise ValueError(f"{name} holds NaN or inf")
        if not values["a"].shape == values["w"].shape == values["b"].shape:
            shapes = ", ".join(str(value.shape) for value in values.values())
            raise ValueError(f"a, w, b must have the same shape (m,), got {shapes}")
        if np.any(values["w"] == 0):
            raise ValueError(f"w = 0 at neuron(s) {np.flatnonzero(values['w'] == 0).tolist()}")
        self.activation = activation
        self.a = torch.nn.Parameter(torch.from_numpy(values["a"].copy()))
        self.w = torch.nn.Parameter(torch.from_numpy(values["w"].copy()))
        self.b = torch.nn.Parameter(torch.from_numpy(values["b"].copy()))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """T(x) for x of shape (N,) -> (N,)."""
        return (self.a * NETWORK_ACTIVATIONS[self.activation](x[:, None] * self.w + self.b)).sum(dim=-1)

    def parameter_dict(self) -> dict[str, torch.Tensor]:
        return {name: getattr(self, name) for name in PARAMETERS}


@dataclass(frozen=True)
class QuadratureGrid:
    """The uniform grid x_n = start + n h, n = 0..points-1, of the trapezoidal rule."""

    start: float
    step: float
    points: int

    def nodes(self) -> torch.Tensor:
        return self.start + self.step * torch.arange(self.points, dtype=torch.float64)

    @property
    def extent(self) -> float:
        """max |x_n|: sets the floor of the phase e^{-ikx} (rounding of k x_n)."""
        return max(abs(self.start), abs(self.start + self.step * (self.points - 1)))


def quadrature_grid(
    w: ArrayLike, b: ArrayLike, k_max: float, activation: str = "tanh", digits: float = 40.0
) -> QuadratureGrid:
    """A grid on which the trapezoidal rule for FT[T'](k), |k| ≤ k_max, is accurate to ~e^{-digits}.

    Width: each neuron's σ'(w_j x + b_j) is below e^{-digits} of its peak beyond |w_j x + b_j| >
    digits/ρ (ρ = 2 tanh, 1 logistic), so the grid covers -b_j/w_j ± (digits/ρ + 2)/|w_j| for every j.
    Step: T' is analytic in |Im x| < d = min_j π/(2|w_j|) (tanh) or π/|w_j| (logistic), so with
    2π/h = k_max + digits/(0.8 d) the discretisation error e^{-(2π/h - k_max)·0.8d} is ~e^{-digits}.
    """
    if activation not in _TAIL_RATE:
        raise ValueError(f"unknown activation {activation!r}; expected one of {', '.join(_TAIL_RATE)}")
    signed_w, b_ = np.asarray(w, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if signed_w.ndim != 1 or signed_w.shape != b_.shape or signed_w.size == 0:
        raise ValueError(f"w and b must be non-empty (m,) arrays of one shape, got {signed_w.shape}, {b_.shape}")
    if not (np.all(np.isfinite(signed_w)) and np.all(np.isfinite(b_))):
        raise ValueError("w or b holds NaN or inf")
    if np.any(signed_w == 0):
        raise ValueError(f"w = 0 at neuron(s) {np.flatnonzero(signed_w == 0).tolist()}")
    w_ = np.abs(signed_w)
    if not (np.isfinite(k_max) and k_max > 0):
        raise ValueError(f"k_max must be positive and finite, got {k_max}")
    if not (np.isfinite(digits) and digits > 0):
        raise ValueError(f"digits must be positive and finite, got {digits}")
    centres = -b_ / signed_w
    half_widths = (digits / _TAIL_RATE[activation] + 2.0) / w_
    lower, upper = float(np.min(centres - half_widths)), float(np.max(centres + half_widths))
    strip = float(np.min(_STRIP[activation] / w_))
    step = 2 * math.pi / (k_max + digits / (0.8 * strip))
    points = int(math.ceil((upper - lower) / step)) + 1
    if points > MAX_GRID_POINTS:
        raise ValueError(f"quadrature grid of {points} points exceeds {MAX_GRID_POINTS}: |k| or |w_j| spread too wide")
    return QuadratureGrid(start=lower, step=step, points=points)


def _frequencies(k: ArrayLike) -> torch.Tensor:
    k_ = np.asarray(k)
    if np.iscomplexobj(k_) or k_.ndim != 1 or k_.size == 0:
        raise ValueError(f"k must be a non-empty real one-dimensional array, got shape {k_.shape}")
    k_ = k_.astype(np.float64)
    if not np.all(np.isfinite(k_)):
        raise ValueError("k holds NaN or inf")
    if np.any(k_ == 0):
        raise ValueError("k = 0 is not allowed: T̂ is singular there (principal value, δ(k))")
    return torch.from_numpy(k_.copy())


def _trapezoid_weights(grid: QuadratureGrid) -> torch.Tensor:
    weights = torch.full((grid.points,), grid.step, dtype=torch.float64)
    weights[0] = weights[-1] = grid.step / 2
    return weights


def _fourier_matrix(k: torch.Tensor, grid: QuadratureGrid) -> torch.Tensor:
    """h_n e^{-i k x_n}: (K, N) complex, the trapezoidal rule for ∫ g(x) e^{-ikx} dx."""
    phase = -k[:, None] * grid.nodes()[None, :]
    return torch.polar(_trapezoid_weights(grid)[None, :].expand_as(phase), phase)


def _derivative_in_x(network: ShallowNetwork, params: Mapping[str, torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    """T'(x_n) by forward-mode autodiff in x (the network acts on each x_n separately)."""
    _, tangent = jvp(lambda nodes: functional_call(network, dict(params), (nodes,)), (x,), (torch.ones_like(x),))
    return tangent


def _transform(
    network: ShallowNetwork, params: Mapping[str, torch.Tensor], k: torch.Tensor, grid: QuadratureGrid
) -> torch.Tensor:
    derivative = _derivative_in_x(network, params, grid.nodes()).to(torch.complex128)
    return (_fourier_matrix(k, grid) @ derivative) / (1j * k)


def network_transform(network: ShallowNetwork, k: ArrayLike, grid: QuadratureGrid | None = None) -> torch.Tensor:
    """T̂(k) = FT[T'](k) / (ik), complex (K,), T' by autodiff in x, FT by the trapezoidal rule.

    `grid` defaults to `quadrature_grid(w, b, max|k|)` for the network's current weights.
    """
    k_ = _frequencies(k)
    grid = grid or _default_grid(network, k_)
    return _transform(network, network.parameter_dict(), k_, grid)


def function_transform(
    function: Callable[[torch.Tensor], torch.Tensor], k: ArrayLike, grid: QuadratureGrid
) -> torch.Tensor:
    """f̂(k) = Σ_n h_n f(x_n) e^{-ikx_n} for a smooth f that is negligible outside the grid (a target)."""
    k_ = _frequencies(k)
    return _fourier_matrix(k_, grid) @ function(grid.nodes()).to(torch.complex128)


def _default_grid(network: ShallowNetwork, k: torch.Tensor) -> QuadratureGrid:
    return quadrature_grid(
        network.w.detach().numpy(), network.b.detach().numpy(), float(k.abs().max()), network.activation
    )


def frequency_loss(
    network: ShallowNetwork, k: ArrayLike, f_hat: ArrayLike, grid: QuadratureGrid | None = None
) -> torch.Tensor:
    """L(k) = ½ |T̂(k) - f̂(k)|² (Xu 2018, Eq. (7)), real (K,), differentiable in the parameters."""
    k_ = _frequencies(k)
    target = _target(f_hat, k_)
    grid = grid or _default_grid(network, k_)
    return _loss(network, network.parameter_dict(), k_, target, grid)


def _target(f_hat: ArrayLike, k: torch.Tensor) -> torch.Tensor:
    target = torch.as_tensor(np.asarray(f_hat, dtype=np.complex128))
    if target.shape != k.shape:
        raise ValueError(f"f_hat must have the shape of k, {tuple(k.shape)}, got {tuple(target.shape)}")
    if not bool(torch.isfinite(target).all()):
        raise ValueError("f_hat holds NaN or inf")
    return target


def _loss(
    network: ShallowNetwork,
    params: Mapping[str, torch.Tensor],
    k: torch.Tensor,
    target: torch.Tensor,
    grid: QuadratureGrid,
) -> torch.Tensor:
    residual = _transform(network, params, k, grid) - target
    return 0.5 * (residual.real**2 + residual.imag**2)


@dataclass(frozen=True)
class LossGradient:
    """The measured per-frequency quantities, numpy arrays over k (K,) and neurons (m,).

    `gradient[θ]`: ∂L(k)/∂θ_j, real (K, m). `residual`: D(k) = T̂(k) - f̂(k), complex (K,).
    `envelope[θ]`: |∂T̂/∂θ_j|, real (K, m): the envelope of |∂L/∂θ_j| / A(k) over the phase of D.
    `floor[θ]`: the quadrature's rounding floor for `envelope[θ]`, real (K, m): 64 ε (1 + |k| max|x|)
    Σ_n h |∂T'(x_n)/∂θ_j| / |k| (ε = float64 epsilon; the phase k x_n is rounded to ε |k x_n|).
    """

    k: np.ndarray
    residual: np.ndarray
    gradient: Mapping[str, np.ndarray]
    envelope: Mapping[str, np.ndarray]
    floor: Mapping[str, np.ndarray]


def loss_gradient(
    network: ShallowNetwork, k: ArrayLike, f_hat: ArrayLike, grid: QuadratureGrid | None = None
) -> LossGradient:
    """∂L(k)/∂θ_j by autodiff (forward mode, torch.func.jacfwd) through the quadrature of `frequency_loss`.

    Also the envelope |∂T̂/∂θ_j| (forward-mode Jacobians of Re T̂ and Im T̂) and its rounding floor.
    Each neuron's parameters enter only its own term, so the Jacobian columns are the per-neuron
    gradients.
    """
    k_ = _frequencies(k)
    target = _target(f_hat, k_)
    grid = grid or _default_grid(network, k_)
    params = {name: value.detach() for name, value in network.parameter_dict().items()}
    with torch.no_grad():
        residual = _transform(network, params, k_, grid) - target
    gradient = jacfwd(lambda p: _loss(network, p, k_, target, grid))(params)
    transform_jacobian = jacfwd(lambda p: torch.view_as_real(_transform(network, p, k_, grid)))(params)
    derivative_jacobian = jacfwd(lambda p: _derivative_in_x(network, p, grid.nodes()))(params)
    weights = _trapezoid_weights(grid)
    epsilon = float(np.finfo(np.float64).eps)
    scale = 64 * epsilon * (1 + k_.abs() * grid.extent) / k_.abs()
    return LossGradient(
        k=k_.numpy(),
        residual=residual.numpy(),
        gradient={name: gradient[name].detach().numpy() for name in PARAMETERS},
        envelope={
            name: torch.hypot(transform_jacobian[name][:, 0], transform_jacobian[name][:, 1]).detach().numpy()
            for name in PARAMETERS
        },
        floor={
            name: (scale[:, None] * (weights[:, None] * derivative_jacobian[name].abs()).sum(dim=0)[None, :])
            .detach()
            .numpy()
            for name in PARAMETERS
        },
    )


def gaussian_target_gradient(
    a: ArrayLike, w: ArrayLike, b: ArrayLike, activation: str, k: ArrayLike, width: float, digits: float
) -> LossGradient:
    """`loss_gradient` of the network for the target f(x) = exp(-x²/(2 width²)), whose f̂ is computed by the
    same quadrature, on the grid `quadrature_grid(w, b, max|k|, activation, digits)`."""
    network = ShallowNetwork(a, w, b, activation)
    grid = quadrature_grid(w, b, float(np.abs(np.asarray(k)).max()), activation, digits)
    f_hat = function_transform(lambda x: torch.exp(-(x**2) / (2 * width**2)), k, grid)
    return loss_gradient(network, k, f_hat.numpy(), grid)


def gradient_spectrum(setup: family.GradientSpectrum, seeds: Sequence[int]) -> family.GradientSpectrumResult:
    """Run a gradient-spectrum experiment: per activation and seed, draw the network and its frequencies
    from the seed's stream "xu2018/<stream>/<activation>" and measure `gaussian_target_gradient` there, on
    a network of that activation (or of the setup's control activation, `network`)."""
    kept: dict[str, list[list[np.ndarray]]] = {name: [] for name in ("a", "w", "b", "k", "gradient", "envelope",
                                                                    "floor")}
    for activation in family.ACTIVATIONS:
        rows: dict[str, list[np.ndarray]] = {name: [] for name in kept}
        for seed in seeds:
            rng = numpy_rng(seed, f"xu2018/{setup.stream}/{activation}")
            a, w, b = family.draw_network(setup, rng)
            k = setup.draw_frequencies(w, activation, rng)
            measured = gaussian_target_gradient(a, w, b, setup.network_activation(activation), k, setup.target_width,
                                                setup.quadrature_digits)
            for name, value in (("a", a), ("w", w), ("b", b), ("k", k)):
                rows[name].append(value)
            for name in ("gradient", "envelope", "floor"):
                rows[name].append(np.stack([getattr(measured, name)[theta] for theta in PARAMETERS]))
        for name, values in rows.items():
            kept[name].append(np.stack(values))
    return family.GradientSpectrumResult(seeds=tuple(seeds), activations=tuple(family.ACTIVATIONS),
                                         **{name: np.stack(values) for name, values in kept.items()})
