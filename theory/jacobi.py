"""Weighted Jacobi on the 1D Poisson problem, mode by mode (docs/formulas.md §4; Xu et al. 2019,
arXiv:1901.06523; seed 002).

-u'' = g on (0, 1), u(0) = u(1) = 0, central differences on N interior points x_i = i h, h = 1/(N + 1):
A u = g with A = tridiag(-1, 2, -1)/h². Weighted Jacobi updates

    u_i ← (1 - ω) u_i + (ω/2) (u_{i-1} + u_{i+1} + h² g_i),

so the error e = u - A⁻¹g evolves as e ← (I - (ω h²/2) A) e. The discrete sine modes
s_k(x_i) = sin(πk x_i), k = 1 … N, are eigenvectors of A with eigenvalues (4/h²) sin²(πkh/2), so one
sweep multiplies the error's mode k by

    λ_k = 1 - ω (1 - cos(πkh)) ≈ 1 - ω (πkh)²/2 for small kh:

low frequencies converge slowest. With ω = 2/3 (weighted Jacobi, the variant used here) every mode
with kh ≥ 1/2 is damped by at least a factor 3 per sweep (|λ_k| ≤ 1/3), and |λ_k| decreases with k up
to k = N/2: of several peaks below N/2, the highest converges first. Plain Jacobi (ω = 1) also stalls
on the very highest modes (λ_N = cos(πh) → -1).
"""

from __future__ import annotations

import numpy as np


def _check(k: np.ndarray, interior_points: int, omega: float) -> None:
    if isinstance(interior_points, bool) or not isinstance(interior_points, int | np.integer) or interior_points < 1:
        raise ValueError(f"the number of interior points must be a positive integer, not {interior_points!r}")
    if not 0 < omega <= 1:
        raise ValueError(f"the Jacobi weight ω must lie in (0, 1], not {omega!r}")
    if np.any(k != np.round(k)) or np.any(k < 1) or np.any(k > interior_points):
        raise ValueError(f"modes must be integers in 1 … {interior_points}, not {np.asarray(k).tolist()}")


def jacobi_mode_factor(k: np.ndarray | int, interior_points: int, omega: float = 2 / 3) -> np.ndarray:
    """λ_k = 1 - ω (1 - cos(πkh)), h = 1/(N + 1): what one sweep multiplies the error's mode k by."""
    k = np.asarray(k, dtype=np.float64)
    _check(k, interior_points, omega)
    h = 1.0 / (interior_points + 1)
    return 1.0 - omega * (1.0 - np.cos(np.pi * k * h))


def jacobi_sweeps_to_reduce(
    k: np.ndarray | int, interior_points: int, reduction: float, omega: float = 2 / 3
) -> np.ndarray:
    """The fewest sweeps s with |λ_k|^s < reduction: when mode k's relative error first drops below it."""
    if not 0 < reduction < 1:
        raise ValueError(f"the reduction must lie in (0, 1), not {reduction!r}")
    factor = np.abs(jacobi_mode_factor(k, interior_points, omega))
    return np.floor(np.log(reduction) / np.log(factor)).astype(np.int64) + 1
