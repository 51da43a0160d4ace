"""Exact spectral norms of weight matrices and their product (Rahaman et al. 2019, Thm 1: L_f ≤ Π_l ‖W_l‖₂).

‖W‖₂ is the largest singular value, computed exactly by an SVD (`torch.linalg.matrix_norm(ord=2)`,
in float64), never by power iteration. It does not depend on whether a layer is stored as (d_in, d_out)
or (d_out, d_in).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch


def spectral_norms(weights: Sequence[torch.Tensor]) -> np.ndarray:
    """‖W_l‖₂ of every layer: an array (S, L) for weights of shape (S, d_in, d_out), (L,) for 2-D ones."""
    if not weights:
        raise ValueError("spectral_norms needs at least one weight matrix")
    norms = []
    for weight in weights:
        if weight.dim() not in (2, 3):
            raise ValueError(f"a weight must be a matrix or a stack of matrices, not shape {tuple(weight.shape)}")
        matrix = weight.detach().to(torch.float64)
        if not torch.isfinite(matrix).all():
            raise ValueError("spectral_norms: a weight matrix holds NaN or inf")
        norms.append(torch.linalg.matrix_norm(matrix, ord=2).numpy())
    return np.stack(norms, axis=-1)


def norm_product(norms: np.ndarray) -> np.ndarray:
    """Π_l ‖W_l‖₂ over the last axis (the Lipschitz bound L_f of Rahaman et al. 2019, §3)."""
    return np.prod(np.asarray(norms, dtype=float), axis=-1)
