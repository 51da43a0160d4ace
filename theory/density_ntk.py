"""Gradient descent in the kernel regime on points of non-uniform density on the circle: the local learning time
of a harmonic where the density is p (Basri, Galun, Geifman, Jacobs, Kasten, Kritchman 2020, "Frequency bias in
neural networks for input of non-uniform density", ICML, arXiv:2003.04560: convergence at x ∈ S^{d-1} in time
O(κ^d / p(x)), so O(κ²/p(x)) on the circle S¹, where d = 2).

Model and conventions: those of `fpcheck.theory.circle_ntk` (f(x) = m^{-1/2} Σ_r a_r relu(w_r·x + b_r) on
x = (cos θ, sin θ), every weight N(0, 1), the kernel K(θ - θ') of `circle_ntk`, λ_κ its continuum Fourier
coefficients in the 1/2π normalisation, integer κ in cycles per period 2π).

Points and density. The circle is cut into R equal arcs [2πr/R, 2π(r+1)/R); arc r holds n_r equispaced points
starting at its left end (`piecewise_angles`), the sample of the piecewise-constant density
p_r = n_r / (n · 2π/R) (n = Σ n_r; ∫ p dθ = 1; uniform p = 1/2π).

Exact kernel dynamics on the points. Gradient descent with step η on the engine's mean squared error
(1/n) Σ_j (f(θ_j) - y_j)² (no ½: c = 2) moves the residual r = f - y on the points, in the kernel regime, by
r_{t+1} = (I - c η K/n) r_t with K_ij = K(θ_i - θ_j); from f = 0, r_0 = -y. With the eigen-decomposition
K/n = V diag(μ) V^T, r_t = V diag((1 - c η μ)^t) V^T r_0 (`kernel_residuals`). (1/n) Σ_j K(θ_i - θ_j) g(θ_j) is
the quadrature of the operator g ↦ ∫ K(θ - θ') g(θ') p(θ') dθ' whose eigenfunctions the source derives on S¹.

Local component. The residual's κ-component in region r is the projection on the target there,
c_r(t) = Σ_{j∈r} r_t(θ_j) y_j / Σ_{j∈r} r_0(θ_j) y_j (1 at t = 0; `region_components`, the same function for the
predicted and the measured residual), and the local learning time is the first t at which |c_r(t)| ≤ δ.

The 1/p law (the asymptote). For a high harmonic the operator acts on p·cos κθ, whose spectrum sits near ±κ
(the region edges spread a part of it), where 2πλ_k varies slowly (λ_k ∝ k^{-2}, `eigenvalue_asymptote`): away
from the edges ∫ K(θ - θ') cos(κθ') p(θ') dθ' ≈ 2π p(θ) λ_κ cos κθ. The local factor per step is then
1 - c η 2π p_r λ_κ and the local time t_r = ln(1/δ) / -ln|1 - c η 2π p_r λ_κ| (`asymptotic_region_time`),
≈ ln(1/δ) / (c η 2π p_r λ_κ) ∝ κ²/p_r: times in two regions stand in the inverse ratio of their densities. At
low κ the kernel's width couples the regions (the dense region is slowed and the sparse one sped up), which
the exact dynamics on the points contains and the asymptote does not.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike

from fpcheck.theory.circle_ntk import LOSS_FACTOR, Layers, circle_ntk, circle_ntk_eigenvalues


def _counts(counts: Sequence[int]) -> np.ndarray:
    values = np.asarray(counts)
    if values.ndim != 1 or values.size < 1 or np.any(values < 1) or np.any(values != np.round(values)):
        raise ValueError(f"counts must be positive integers, one per region, not {counts!r}")
    return values.astype(int)


def piecewise_angles(counts: Sequence[int]) -> np.ndarray:
    """θ_j of n_r equispaced points in each arc [2πr/R, 2π(r+1)/R), region after region (module doc): (n,)."""
    values = _counts(counts)
    arc = 2 * np.pi / values.size
    return np.concatenate([arc * (region + np.arange(count) / count) for region, count in enumerate(values)])


def region_labels(counts: Sequence[int]) -> np.ndarray:
    """The region r of every point of `piecewise_angles(counts)`: (n,) integers."""
    values = _counts(counts)
    return np.repeat(np.arange(values.size), values)


def region_densities(counts: Sequence[int]) -> np.ndarray:
    """p_r = n_r / (n · 2π/R), the piecewise-constant density the points sample (∫ p dθ = 1): (R,)."""
    values = _counts(counts)
    return values / (values.sum() * 2 * np.pi / values.size)


def kernel_operator(angles: ArrayLike, bias: bool = True, layers: Layers = "both") -> np.ndarray:
    """K/n on the points: K(θ_i - θ_j)/n (n, n), the quadrature of the density-weighted operator."""
    theta = np.asarray(angles, dtype=float)
    return circle_ntk(theta[:, None] - theta[None, :], bias, layers) / theta.size


def largest_rate(angles: ArrayLike, bias: bool = True, layers: Layers = "both") -> float:
    """μ_max, the largest eigenvalue of K/n: gradient descent is stable for c η μ_max < 2."""
    return float(np.linalg.eigvalsh(kernel_operator(angles, bias, layers))[-1])


def kernel_residuals(angles: ArrayLike, target: ArrayLike, lr: float, steps: int, bias: bool = True,
                     layers: Layers = "both") -> np.ndarray:
    """r_t = (I - c η K/n)^t r_0 with r_0 = -y for t = 0 … steps (module doc): (steps + 1, n)."""
    if not (np.isfinite(lr) and lr > 0):
        raise ValueError(f"the step size must be a finite positive number, not {lr!r}")
    if isinstance(steps, bool) or int(steps) != steps or steps < 0:
        raise ValueError(f"steps must be a non-negative integer, not {steps!r}")
    rates, vectors = np.linalg.eigh(kernel_operator(angles, bias, layers))
    start = -np.asarray(target, dtype=float)
    factors = (1.0 - LOSS_FACTOR * lr * rates)[None, :] ** np.arange(int(steps) + 1)[:, None]  # (T + 1, n)
    return (factors * (vectors.T @ start)[None, :]) @ vectors.T


def region_components(residual: np.ndarray, target: ArrayLike, labels: ArrayLike) -> np.ndarray:
    """c_r(t) = Σ_{j∈r} r_t,j y_j / Σ_{j∈r} r_0,j y_j for residuals (T + 1, ..., n): (T + 1, ..., R)."""
    y, regions = np.asarray(target, dtype=float), np.asarray(labels)
    masks = np.stack([regions == region for region in range(int(regions.max()) + 1)], axis=1)  # (n, R)
    projections = residual @ (y[:, None] * masks)
    return projections / projections[:1]


def local_rate(kappa: ArrayLike, density: ArrayLike, lr: float, bias: bool = True,
               layers: Layers = "both") -> np.ndarray:
    """c η 2π p λ_κ, the asymptotic per-step rate of cos κθ where the density is p (module doc)."""
    orders = np.asarray(kappa)
    return LOSS_FACTOR * lr * 2 * np.pi * np.asarray(density, dtype=float) * circle_ntk_eigenvalues(
        orders, None, bias, layers)


def asymptotic_region_time(kappa: ArrayLike, density: ArrayLike, lr: float, delta: float, bias: bool = True,
                           layers: Layers = "both") -> np.ndarray:
    """The 1/p law: t = ln(1/δ) / -ln|1 - c η 2π p λ_κ| (module doc); inf where the factor is ≥ 1 in magnitude."""
    if not 0 < delta < 1:
        raise ValueError(f"δ must lie in (0, 1), not {delta!r}")
    factor = np.abs(1.0 - local_rate(kappa, density, lr, bias, layers))
    with np.errstate(divide="ignore"):
        return np.where(factor < 1.0, np.log(1.0 / delta) / -np.log(factor), np.inf)
