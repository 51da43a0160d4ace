"""The reconciler: (prediction, measurement over seeds) -> verdict (DESIGN.md, "The claim").

Per seed, every rule of the claim is checked on that seed's rows; the seed holds when all rules hold
and its margin is the smallest rule margin. Over seeds: `agree` when the prediction holds in at least
the claim's share of seeds, `diverge` when it fails in at least that share, `inconclusive` otherwise,
and inconclusive with the reason whenever a needed value is NaN/inf or missing, training diverged, the
measurement is empty or the claim raised. The margin is the median of the seed margins and its spread
the 90 % bootstrap interval of that median.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from reports.claim import Claim, Measurement, Outcome, Prediction, SeedVerdict, Verdict
from reports.rules import MissingQuantity, NonFinite, SeedValues

BOOTSTRAP_SAMPLES = 2000
BOOTSTRAP_SEED = 0


def check_seed(claim: Claim, table: pd.DataFrame, seed: int) -> SeedVerdict:
    """All of the claim's rules on one seed; holds is None when a value is NaN/inf or missing."""
    values = SeedValues(table, seed)
    margins, details, holds = [], [], True
    for rule in claim.rules:
        try:
            check = rule.check(values)
        except MissingQuantity as missing:
            return SeedVerdict(seed, None, float("nan"), (f"measurement lacks quantity {missing.args[0]!r}",))
        except NonFinite as bad:
            return SeedVerdict(seed, None, float("nan"), (str(bad),))
        margins.append(check.margin)
        details.append(check.detail)
        holds = holds and check.holds
    return SeedVerdict(seed, holds, float(min(margins)), tuple(details))


def bootstrap_interval(values: np.ndarray, level: float = 0.9) -> tuple[float, float]:
    """The `level` bootstrap interval of the median of `values` (fixed seed, so reruns agree)."""
    if values.size == 0:
        return (float("nan"), float("nan"))
    if values.size == 1:
        return (float(values[0]), float(values[0]))
    rng = np.random.default_rng(BOOTSTRAP_SEED)
    samples = rng.choice(values, size=(BOOTSTRAP_SAMPLES, values.size), replace=True)
    medians = np.median(samples, axis=1)
    tail = (1.0 - level) / 2.0
    low, high = np.quantile(medians, [tail, 1.0 - tail])
    return (float(low), float(high))


def reconcile(
    claim: Claim, prediction: Prediction, measurement: Measurement, seeds: Sequence[int]
) -> Verdict:
    """The verdict of one claim from its prediction and its measurement over `seeds`."""
    seeds = tuple(int(seed) for seed in seeds)
    if measurement.table.empty:
        return inconclusive(claim, seeds, "the measurement is empty")
    table = pd.concat([prediction.table, measurement.table], ignore_index=True)
    per_seed = tuple(check_seed(claim, table, seed) for seed in seeds)
    margins = np.array([verdict.margin for verdict in per_seed], dtype=float)
    finite = margins[np.isfinite(margins)]
    margin = float(np.median(finite)) if finite.size else float("nan")
    spread = bootstrap_interval(finite)

    if measurement.diverged_seeds:
        diverged = ", ".join(str(seed) for seed in measurement.diverged_seeds)
        return inconclusive(claim, seeds, f"training diverged (loss NaN/inf) in seed(s) {diverged}", per_seed)
    undetermined = [verdict for verdict in per_seed if verdict.holds is None]
    if undetermined:
        first = undetermined[0]
        which = ", ".join(str(verdict.seed) for verdict in undetermined)
        return inconclusive(claim, seeds, f"seed(s) {which}: {first.details[0]}", per_seed)

    held = sum(verdict.holds for verdict in per_seed)
    failed = len(per_seed) - held
    needed = claim.share * len(per_seed)
    outcome: Outcome
    if held >= needed:
        outcome = "agree"
    elif failed >= needed:
        outcome = "diverge"
    else:
        outcome = "inconclusive"
    explanation = _explain(claim, per_seed, held, outcome)
    return Verdict(
        claim=claim.id,
        version=claim.version,
        expected=claim.expected,
        verdict=outcome,
        margin=margin,
        spread=spread,
        explanation=explanation,
        seeds=seeds,
        per_seed=per_seed,
    )


def inconclusive(
    claim: Claim, seeds: Sequence[int], reason: str, per_seed: tuple[SeedVerdict, ...] = ()
) -> Verdict:
    """An inconclusive verdict with its reason (NaN, diverged training, a claim that raised...)."""
    margins = np.array([v.margin for v in per_seed if np.isfinite(v.margin)], dtype=float)
    return Verdict(
        claim=claim.id,
        version=claim.version,
        expected=claim.expected,
        verdict="inconclusive",
        margin=float(np.median(margins)) if margins.size else float("nan"),
        spread=bootstrap_interval(margins),
        explanation=f"inconclusive: {reason}",
        seeds=tuple(int(seed) for seed in seeds),
        per_seed=per_seed,
    )


def _explain(claim: Claim, per_seed: tuple[SeedVerdict, ...], held: int, outcome: Outcome) -> str:
    """One line: how many seeds held, against the share, and the numbers of the median seed."""
    total = len(per_seed)
    ordered = sorted(per_seed, key=lambda verdict: verdict.margin)
    typical = ordered[(total - 1) // 2]
    numbers = "; ".join(typical.details)
    prediction = " and ".join(rule.describe() for rule in claim.rules)
    head = {
        "agree": "the prediction holds",
        "diverge": "the prediction fails",
        "inconclusive": "seeds split",
    }[outcome]
    return (
        f"{head}: {prediction} in {held}/{total} seeds (share needed {claim.share:.0%}); "
        f"median seed {typical.seed}: {numbers}"
    )
