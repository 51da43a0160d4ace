"""The projection method: the Fourier transform of data along one direction (Xu et al. 2019, arXiv:1901.06523).

For data points x_j ∈ R^d (j < n), values y_j and a direction p (normalised here to unit length),

    ŷ_p(k) = (1/n) Σ_j y_j e^{-2πi k p·x_j},

k the ordinary frequency (cycles per unit length along p), negative sign in the exponent, 1/n
normalisation, two-sided (for real y, ŷ_p(-k) = conj(ŷ_p(k))). This is the non-uniform DFT of the
projected points t_j = p·x_j.

`projected_spectrum` evaluates it through finufft's type-3 transform (non-uniform points to
non-uniform frequencies, f_k = Σ_j c_j e^{-i s_k t_j} with s_k = 2πk), whose requested precision
`eps` bounds the relative ℓ2 error of the output vector; `projected_spectrum_direct` evaluates the sum
directly (O(n · len(k)) complex exponentials, in chunks of frequencies), the oracle of the tests.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

DEFAULT_EPS = 1e-12
DIRECT_CHUNK_ENTRIES = 1 << 22  # complex exponentials held at once by the direct DFT


def unit_direction(direction: Sequence[float] | np.ndarray, dimension: int) -> np.ndarray:
    """The direction as a unit vector of R^dimension; ValueError for a zero, non-finite or misshapen one."""
    p = np.asarray(direction, dtype=np.float64).ravel()
    if p.size != dimension:
        raise ValueError(f"the direction has {p.size} components, the data {dimension}")
    norm = np.linalg.norm(p)
    if not np.isfinite(norm) or norm == 0:
        raise ValueError("the direction must be a finite non-zero vector")
    return p / norm


def _checked_transform(
    t: np.ndarray, values: np.ndarray, frequencies: Sequence[float]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    t = np.asarray(t, dtype=np.float64)
    if t.ndim != 1 or t.size < 1:
        raise ValueError(f"the points must be a non-empty 1-D array, not shape {t.shape}")
    values = np.asarray(values)
    if values.ndim not in (1, 2) or values.shape[0] != t.size:
        raise ValueError(f"values must have shape ({t.size},) or ({t.size}, m), not {values.shape}")
    k = np.asarray(frequencies, dtype=np.float64).ravel()
    if k.size == 0:
        raise ValueError("at least one frequency is needed")
    for name, array in (("points", t), ("values", values), ("frequencies", k)):
        if not np.all(np.isfinite(array)):
            raise ValueError(f"{name} hold NaN or inf")
    return t, values, k


def nonuniform_dft(
    t: np.ndarray, values: np.ndarray, frequencies: Sequence[float], eps: float = DEFAULT_EPS
) -> np.ndarray:
    """(1/n) Σ_j v_j e^{-2πi k t_j} at every k via finufft type 3: shape (len(k),) or (len(k), m).

    `values` (n,) or (n, m), real or complex; each column is one of finufft's n_trans transforms.
    finufft runs on one thread, so that repeated runs give identical numbers.
    """
    import finufft

    if not 1e-15 < eps < 1:
        raise ValueError(f"eps must lie in (1e-15, 1), not {eps}")
    t, values, k = _checked_transform(t, values, frequencies)
    columns = np.ascontiguousarray(np.asarray(values, dtype=np.complex128).reshape(t.size, -1).T)
    transformed = finufft.nufft1d3(t, columns, 2 * np.pi * k, eps=eps, isign=-1, nthreads=1)
    transformed = np.atleast_2d(transformed).T / t.size
    return transformed[:, 0] if values.ndim == 1 else transformed


def nonuniform_dft_direct(t: np.ndarray, values: np.ndarray, frequencies: Sequence[float]) -> np.ndarray:
    """The same sum evaluated directly (the oracle), in chunks of frequencies: same shape and convention."""
    t, values, k = _checked_transform(t, values, frequencies)
    columns = np.asarray(values, dtype=np.complex128).reshape(t.size, -1)
    result = np.empty((k.size, columns.shape[1]), dtype=np.complex128)
    chunk = max(1, DIRECT_CHUNK_ENTRIES // t.size)
    for start in range(0, k.size, chunk):
        phases = np.exp(-2j * np.pi * np.outer(k[start : start + chunk], t))
        result[start : start + chunk] = phases @ columns / t.size
    return result[:, 0] if values.ndim == 1 else result


def projections(x: np.ndarray, direction: Sequence[float] | np.ndarray) -> np.ndarray:
    """t_j = p·x_j for the unit vector p along `direction`; x (n, d), or (n,) for d = 1."""
    x = np.asarray(x, dtype=np.float64)
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2 or x.shape[0] < 1:
        raise ValueError(f"data points must be an (n, d) array, not shape {x.shape}")
    if not np.all(np.isfinite(x)):
        raise ValueError("data points hold NaN or inf")
    return x @ unit_direction(direction, x.shape[1])


def projected_spectrum(
    x: np.ndarray,
    values: np.ndarray,
    direction: Sequence[float] | np.ndarray,
    frequencies: Sequence[float],
    eps: float = DEFAULT_EPS,
) -> np.ndarray:
    """ŷ_p(k) at every frequency through finufft (module doc): shape (len(k),) or (len(k), m)."""
    return nonuniform_dft(projections(x, direction), values, frequencies, eps)


def projected_spectrum_direct(
    x: np.ndarray, values: np.ndarray, direction: Sequence[float] | np.ndarray, frequencies: Sequence[float]
) -> np.ndarray:
    """ŷ_p(k) by the direct sum (the oracle): same convention and shape as `projected_spectrum`."""
    return nonuniform_dft_direct(projections(x, direction), values, frequencies)
