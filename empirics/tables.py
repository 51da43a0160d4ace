"""Tidy tables of the empirics layer: one row per number, columns seed, step, quantity, frequency, value.

`step` is the number of training updates (NaN for numbers not tied to a step), `frequency` the
frequency in cycles per period of the grid (NaN for numbers not tied to one). The claims in `reports`
turn these into their own tidy rows (seed, quantity, x, value).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

COLUMNS = ("seed", "step", "quantity", "frequency", "value")


def frame(
    seeds: Sequence[int],
    steps: Sequence[float] | np.ndarray | None,
    quantity: str,
    values: np.ndarray,
    frequencies: Sequence[float] | np.ndarray | None = None,
) -> pd.DataFrame:
    """Rows for values of shape (T, S) (steps × seeds), (S, F) (seeds × frequencies) or (T, S, F).

    Pass `steps=None` for (S, F) or (S,) values and `frequencies=None` for (T, S) or (S,) values.
    """
    values = np.asarray(values, dtype=float)
    seeds_ = np.asarray(seeds, dtype=int)
    steps_ = np.full(1, np.nan) if steps is None else np.asarray(steps, dtype=float)
    freqs_ = np.full(1, np.nan) if frequencies is None else np.asarray(frequencies, dtype=float)
    shape = (steps_.size, seeds_.size, freqs_.size)
    try:
        full = values.reshape(shape)
    except ValueError:
        raise ValueError(
            f"{quantity}: values of shape {values.shape} do not match {steps_.size} steps × "
            f"{seeds_.size} seeds × {freqs_.size} frequencies"
        ) from None
    step_grid, seed_grid, freq_grid = np.meshgrid(steps_, seeds_, freqs_, indexing="ij")
    return pd.DataFrame(
        {
            "seed": seed_grid.ravel(),
            "step": step_grid.ravel(),
            "quantity": quantity,
            "frequency": freq_grid.ravel(),
            "value": full.ravel(),
        }
    )
