"""The exact spectrum of the parity function along the diagonal of the cube.

Xu et al. 2019, arXiv:1901.06523; seed 001.

On the full cube {-1, 1}^n (N = 2^n points) the parity is y(x) = Π_i x_i. Along the unit direction
p = (1, …, 1)/√n a point with m entries -1 projects to t = p·x = (n - 2m)/√n and has y = (-1)^m, so
the projection method's transform (ordinary frequency k, negative sign, 1/N normalisation,
`empirics.projection`) is a binomial sum:

    ŷ_p(k) = 2^{-n} Σ_m C(n, m) (-1)^m e^{-2πik(n - 2m)/√n}
           = 2^{-n} e^{-2πik√n} (1 - e^{4πik/√n})^n
           = (-i)^n sin^n(2πk/√n),

using 1 - e^{iθ} = -2i sin(θ/2) e^{iθ/2}. So |ŷ_p(k)| = |sin(2πk/√n)|^n: it vanishes to order n at
k = 0 (the parity has no low-frequency content along p), peaks at k = √n/4 and is periodic with
period √n/2. Any proper subset of the cube (a training half) breaks the cancellation at low k: that
spurious low-frequency content is the aliasing of seed 001.

The parity of the first d bits, y(x) = Π_{i≤d} x_i, factorises the same way: each of its d bits
contributes Σ_{x=±1} x e^{-iθx}/2 = -i sin θ and each other bit Σ_x e^{-iθx}/2 = cos θ (θ = 2πk/√n), so
ŷ_p(k) = (-i sin θ)^d cos^{n-d} θ (`partial_parity_diagonal_spectrum`): for d = 1 (y = x_1) the
spectrum is largest near k = 0, the low-frequency target of the parity claim's control.
"""

from __future__ import annotations

import numpy as np


def parity_diagonal_spectrum(bits: int, frequencies: np.ndarray) -> np.ndarray:
    """ŷ_p(k) = (-i)^n sin^n(2πk/√n) of the parity on the full cube {-1, 1}^n along (1, …, 1)/√n."""
    if isinstance(bits, bool) or not isinstance(bits, int | np.integer) or bits < 1:
        raise ValueError(f"the number of bits must be a positive integer, not {bits!r}")
    k = np.asarray(frequencies, dtype=np.float64)
    if not np.all(np.isfinite(k)):
        raise ValueError("frequencies hold NaN or inf")
    return (-1j) ** int(bits) * np.sin(2 * np.pi * k / np.sqrt(bits)) ** int(bits)


def partial_parity_diagonal_spectrum(bits: int, degree: int, frequencies: np.ndarray) -> np.ndarray:
    """ŷ_p(k) = (-i sin θ)^d cos^{n-d} θ, θ = 2πk/√n, of Π_{i≤d} x_i on {-1, 1}^n along (1, …, 1)/√n (module doc)."""
    if isinstance(degree, bool) or not isinstance(degree, int | np.integer) or not 1 <= degree <= bits:
        raise ValueError(f"the degree must be an integer in 1 … {bits}, not {degree!r}")
    full = parity_diagonal_spectrum(bits, frequencies)  # checks bits and the frequencies
    if degree == bits:
        return full
    theta = 2 * np.pi * np.asarray(frequencies, dtype=np.float64) / np.sqrt(bits)
    return (-1j * np.sin(theta)) ** int(degree) * np.cos(theta) ** int(bits - degree)
