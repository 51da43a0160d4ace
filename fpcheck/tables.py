"""The record format every layer shares: tidy tables, a prediction and a measurement.

A tidy table has the columns `seed, quantity, x, value`, one row per number: `x` is the abscissa
(a frequency, a step, a depth, an η …; NaN for a scalar) and `seed` is `ALL_SEEDS` (-1) for a number
that holds for every seed. `fpcheck.theory` predictions and `fpcheck.empirics` measurements are both
written in it, so the rules of `fpcheck.reports.rules` read either side alike; the report's
`results.csv` marks each row's origin (`theory` or `measured`).

This module depends on numpy and pandas only, so that every layer may import it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

TIDY_COLUMNS = ("seed", "quantity", "x", "value")
ALL_SEEDS = -1
WALL_CLOCK_SUFFIX = "_seconds"
"""A quantity named *_seconds is a wall-clock time: it differs from run to run, so `fpcheck compare`
leaves it out of the number-by-number comparison (and says how many it left out)."""


def tidy(seed: int, quantity: str, value: Any, x: Any = None) -> pd.DataFrame:
    """Rows of a tidy table for one quantity: `value` (scalar or 1-D) against `x` (same length or None)."""
    values = np.atleast_1d(np.asarray(value, dtype=float))
    xs = np.full(values.shape, np.nan) if x is None else np.atleast_1d(np.asarray(x, dtype=float))
    if xs.shape != values.shape:
        raise ValueError(f"quantity {quantity!r}: x has shape {xs.shape} but value has shape {values.shape}")
    return pd.DataFrame({"seed": int(seed), "quantity": quantity, "x": xs, "value": values})


def concat(frames: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """Concatenate tidy tables (an empty sequence gives an empty table with the tidy columns)."""
    if not frames:
        kinds = {"seed": int, "quantity": object, "x": float, "value": float}
        return pd.DataFrame({name: pd.Series(dtype=kinds[name]) for name in TIDY_COLUMNS})
    return pd.concat(frames, ignore_index=True)


@dataclass(frozen=True)
class Prediction:
    """The theory side: a tidy table and a one-line summary a reviewer can read."""

    table: pd.DataFrame
    summary: str


@dataclass(frozen=True)
class Measurement:
    """The empirical side: a tidy table over all seeds.

    `diverged_seeds` are seeds whose training diverged (loss NaN/inf): the verdict is then inconclusive
    with that reason. `notes` are markdown paragraphs for the claim's report section (what moved during
    training, an aliasing table, …). `artifacts` carries derived arrays that only the figures need; they
    are not written to results.csv.
    """

    table: pd.DataFrame
    summary: str = ""
    diverged_seeds: tuple[int, ...] = ()
    notes: tuple[str, ...] = ()
    artifacts: Mapping[str, Any] = field(default_factory=dict)


def produces(*quantities: str):
    """Declare the quantities a predict or measure function writes (the ones rules may read).

    A claim's rules are checked against these names when the claim is registered, so a typo in a rule
    fails at import; the reconciler checks that the table really holds them when the claim runs.
    """
    def mark(function):
        function.quantities = tuple(dict.fromkeys(quantities))
        return function

    return mark
