"""The unit of work of fpcheck: a claim, its prediction, its measurement and its verdict (DESIGN.md).

A claim is one checkable statement from one source. `predict` computes the theory side with
`theory/`, `measure` the empirical side with `empirics/`; both return tidy tables with the columns
`seed, quantity, x, value` (one row per number; `x` is the abscissa such as a frequency, a step or a
depth, NaN for scalars; `seed` is `ALL_SEEDS` for a number that does not depend on the seed). The
claim's rules (`reports.rules`) state the theory's prediction over those quantities, and the
reconciler (`reports.reconcile`) turns them into a verdict.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from reports.rules import Rule

Expected = Literal["agree", "diverge"]
Outcome = Literal["agree", "diverge", "inconclusive"]
Params = Mapping[str, Any]

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
        return pd.DataFrame({name: pd.Series(dtype=float) for name in TIDY_COLUMNS})
    return pd.concat(frames, ignore_index=True)


@dataclass(frozen=True)
class Prediction:
    """The theory side: a tidy table and a one-line summary a reviewer can read."""

    table: pd.DataFrame
    summary: str


@dataclass(frozen=True)
class Measurement:
    """The empirical side: a tidy table over all seeds.

    `diverged_seeds` are seeds whose training diverged (loss NaN/inf): the verdict is then
    inconclusive with that reason. `notes` are markdown paragraphs for the claim's report section
    (e.g. what moved during training, an aliasing table). `artifacts` carries arrays that only the
    figures need; they are not written to results.csv.
    """

    table: pd.DataFrame
    summary: str = ""
    diverged_seeds: tuple[int, ...] = ()
    notes: tuple[str, ...] = ()
    artifacts: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Claim:
    """One checkable statement from one source (DESIGN.md, "The claim").

    `setup` maps a profile name ("quick", "paper") to the claim's parameters, always including
    `seeds` (how many seeds by default); `--config` may override any key that `setup` has.
    `figures(prediction, measurement, params)` returns matplotlib figures for the report.
    `share` is the fraction of seeds in which the prediction must hold (or fail) for a verdict.
    `expected_reason` says why the literature expects `expected`; `notes` are markdown paragraphs
    shown in the report (e.g. that an inequality is our reconstruction); `derivation` names an entry
    of `reports.derivations` whose steps the report shows.
    """

    id: str
    version: int
    source: str
    statement: str
    expected: Expected
    rules: tuple[Rule, ...]
    setup: Mapping[str, Params]
    predict: Callable[[Params, Sequence[int]], Prediction]
    measure: Callable[[Params, Sequence[int]], Measurement]
    figures: Callable[[Prediction, Measurement, Params], list[Figure]] | None = None
    share: float = 0.8
    expected_reason: str = ""
    notes: tuple[str, ...] = ()
    derivation: str | None = None

    def __post_init__(self) -> None:
        if self.expected not in ("agree", "diverge"):
            raise ValueError(f"claim {self.id}: expected must be 'agree' or 'diverge', not {self.expected!r}")
        if not self.rules:
            raise ValueError(f"claim {self.id}: a claim needs at least one rule")
        if not 0.5 < self.share <= 1.0:
            raise ValueError(f"claim {self.id}: share must be in (0.5, 1], not {self.share}")
        for profile, params in self.setup.items():
            if int(params.get("seeds", 0)) < 1:
                raise ValueError(f"claim {self.id}: profile {profile!r} needs a positive 'seeds'")


@dataclass(frozen=True)
class SeedVerdict:
    """How the rules fared on one seed: holds is None when a value was NaN/inf or missing."""

    seed: int
    holds: bool | None
    margin: float
    details: tuple[str, ...]


@dataclass(frozen=True)
class Verdict:
    """The reconciled outcome of one claim (DESIGN.md): verdict, margin, spread and explanation.

    `margin` is the median over seeds of each seed's smallest rule margin (positive: the prediction
    holds with room to spare); `spread` is the 90 % bootstrap interval of that median over seeds.
    """

    claim: str
    version: int
    expected: Expected
    verdict: Outcome
    margin: float
    spread: tuple[float, float]
    explanation: str
    seeds: tuple[int, ...]
    wall_s: float = 0.0
    per_seed: tuple[SeedVerdict, ...] = ()

    @property
    def as_expected(self) -> bool:
        return self.verdict == self.expected
