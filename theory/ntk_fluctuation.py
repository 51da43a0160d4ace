"""The finite-width fluctuation of the circle NTK's Rayleigh quotient along a harmonic (Basri, Jacobs, Kasten,
Kritchman 2019, arXiv:1906.00425; the model and conventions of `fpcheck.theory.circle_ntk`).

At initialisation the empirical NTK of f(x) = m^{-1/2} Σ_r a_r relu(u_r·x̃) (x̃ = (cos θ, sin θ, 1), or
(cos θ, sin θ) without bias; u_r ~ N(0, I), a_r ~ N(0, 1)) is the average K = (1/m) Σ_r k_r of independent
per-neuron kernels k_r(x, x') = a_r² 1{u_r·x̃ > 0} 1{u_r·x̃' > 0} x̃·x̃' (the gradients in u_r: `layers="hidden"`)
+ relu(u_r·x̃) relu(u_r·x̃') (the gradient in a_r, added for `layers="both"`). On n equispaced points θ_j its
Rayleigh quotient along e_κ[j] = e^{iκθ_j}, in the normalisation of the operator (1/n)K,

    q = e^H K e / n² = (1/m) Σ_r q_r,  q_r = a_r² |Σ_j 1{u_r·x̃_j > 0} e_j x̃_j|² / n² + |Σ_j relu(u_r·x̃_j) e_j|² / n²,

is a mean of independent terms with E q_r = λ_κ^(n) exactly (`circle_ntk_eigenvalues(κ, points=n)`: the
expectation of the empirical kernel is the kernel at every pair of grid points). By the central limit theorem
q ≈ N(λ_κ^(n), σ_κ² / M) over M independent features (M = m/2 for a network whose neurons come in pairs of
opposite output weight, whose two members have the same k_r). σ_κ², a four-point Gaussian integral without a
short closed form, is estimated here by Monte Carlo over `samples` features drawn from a numpy generator (its
own seed, independent of any network); the relative error of σ_κ from 2^17 draws is about a percent.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

Layers = Literal["hidden", "both"]
CHUNK = 1 << 13


def per_feature_quotients(kappa: ArrayLike, points: int, u: np.ndarray, a: np.ndarray, bias: bool = True,
                          layers: Layers = "both") -> np.ndarray:
    """q_r (module doc) for features u (F, 3) (or (F, 2) without bias) and output weights a (F,): (F, K)."""
    if layers not in ("hidden", "both"):
        raise ValueError(f"layers must be 'hidden' or 'both', not {layers!r}")
    orders = np.atleast_1d(np.asarray(kappa, dtype=float))
    grid = 2 * np.pi * np.arange(points) / points
    lifted = np.stack([np.cos(grid), np.sin(grid), *([np.ones(points)] if bias else [])], axis=1)  # (n, d)
    if u.shape[1] != lifted.shape[1]:
        raise ValueError(f"features must have {lifted.shape[1]} components ({'with' if bias else 'without'} bias)")
    modes = np.exp(1j * np.outer(grid, orders))  # (n, K)
    pre = u @ lifted.T  # (F, n)
    active = (pre > 0).astype(float)
    power = np.zeros((u.shape[0], orders.size))
    for component in lifted.T:  # |Σ_j 1_j e_j x̃_j|² summed over the components of x̃
        power += np.abs((active * component) @ modes) ** 2
    quotients = (a**2)[:, None] * power / points**2
    if layers == "both":
        quotients = quotients + np.abs(np.maximum(pre, 0.0) @ modes) ** 2 / points**2
    return quotients


def rayleigh_quotient_spread(kappa: ArrayLike, points: int, bias: bool = True, layers: Layers = "both",
                             samples: int = 1 << 17, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The Monte Carlo mean (→ λ_κ^(n)) and standard deviation σ_κ of the per-feature quotient q_r (module
    doc), each of shape (K,), from `samples` features u ~ N(0, I), a ~ N(0, 1) of numpy's generator `seed`."""
    if isinstance(points, bool) or int(points) != points or points < 2:
        raise ValueError(f"points must be an integer ≥ 2, not {points!r}")
    if samples < 2:
        raise ValueError(f"at least two samples are needed for a spread, not {samples}")
    rng = np.random.default_rng(seed)
    dimension = 3 if bias else 2
    total = np.zeros(np.atleast_1d(np.asarray(kappa)).size)
    squares = np.zeros_like(total)
    for start in range(0, samples, CHUNK):
        count = min(CHUNK, samples - start)
        u, a = rng.standard_normal((count, dimension)), rng.standard_normal(count)
        chunk = per_feature_quotients(kappa, int(points), u, a, bias, layers)
        total += chunk.sum(axis=0)
        squares += (chunk**2).sum(axis=0)
    mean = total / samples
    variance = (squares - samples * mean**2) / (samples - 1)
    return mean, np.sqrt(np.maximum(variance, 0.0))
