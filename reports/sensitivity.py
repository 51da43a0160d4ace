"""How a verdict depends on the analysis choices, from the stored experiment result without retraining.

A claim declares `sensitivity`: analysis fields of its setup (declared with `param(..., analysis=True)`:
a convergence threshold, a level, a filter width δ, …) with the values to try, and optionally "share"
(the share of seeds the reconciler requires). Because `measure` and `predict` are pure functions of the
setup and the result, each value is one more measurement and reconciliation of the same networks. The
outcome per choice is "stable over [low, high]" when every value gives the claim's verdict, or "flips at
X" naming the nearest value to the published one whose verdict differs.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from fpcheck.empirics.experiment import Result
from fpcheck.empirics.setup import Setup
from fpcheck.reports.claim import Claim
from fpcheck.reports.reconcile import reconcile
from fpcheck.tables import Prediction, concat

SHARE = "share"


@dataclass(frozen=True)
class Sensitivity:
    """An analysis choice of a claim and the values to try (the published value is added if missing)."""

    field: str
    values: tuple[float, ...]


def verdict_at(claim: Claim, setup: Setup, result: Result, seeds: Sequence[int], field: str, value: Any) -> str:
    """The claim's verdict with one analysis choice changed, on the same experiment result."""
    if field == SHARE:
        claim, chosen = dataclasses.replace(claim, share=value), setup
    else:
        chosen = setup.override({field: value})
    prediction = claim.predict(chosen, result) if claim.predict else Prediction(concat([]), "")
    return reconcile(claim, prediction, claim.measure(chosen, result), seeds).verdict


def published_value(claim: Claim, setup: Setup, field: str) -> Any:
    return claim.share if field == SHARE else getattr(setup, field)


def analyse(claim: Claim, setup: Setup, result: Result, seeds: Sequence[int], verdict: str) -> list[dict[str, Any]]:
    """For each declared choice: the values, their verdicts and "stable over [a, b]" or "flips at X"."""
    return summarise(claim, setup, verdict,
                     lambda field, value: verdict_at(claim, setup, result, seeds, field, value))


def choice_values(claim: Claim, setup: Setup) -> list[tuple[str, Any]]:
    """(field, value) of every declared choice's value other than the published one, in the order tried."""
    return [(choice.field, value) for choice in claim.sensitivity
            for value in sorted({*choice.values, published_value(claim, setup, choice.field)})
            if value != published_value(claim, setup, choice.field)]


def summarise(claim: Claim, setup: Setup, verdict: str, verdict_of: Callable[[str, Any], str]) -> list[dict[str, Any]]:
    """`analyse` with the verdict of each (field, value) from `verdict_of` (e.g. reconciled from the joined
    rows of a claim's seed batches)."""
    rows = []
    for choice in claim.sensitivity:
        published = published_value(claim, setup, choice.field)
        values = sorted({*choice.values, published})
        verdicts = [verdict if value == published else verdict_of(choice.field, value) for value in values]
        flips = [value for value, outcome in zip(values, verdicts, strict=True) if outcome != verdict]
        if flips:
            nearest = min(flips, key=lambda value: abs(value - published))
            flipped = verdicts[values.index(nearest)]
            text = f"{choice.field}: flips at {nearest:g} (to {flipped}; published {published:g})"
        else:
            text = f"{choice.field}: stable over [{values[0]:g}, {values[-1]:g}] (published {published:g})"
        rows.append({"field": choice.field, "published": published, "values": values, "verdicts": verdicts,
                     "stable": not flips, "text": text})
    return rows
