"""The reconciler: (prediction, measurement over seeds) -> verdict (docs/design.md, "Verdicts").

Per seed, the claim's fit rules are checked first: a seed whose network did not meet them (it did not
fit its training points, say) is undetermined. Then every rule is checked on that seed's rows; the seed
holds when all rules hold and its margin is the smallest rule margin. Over seeds: `agree` when the
prediction holds in at least the claim's share of seeds, `diverge` when it fails in at least that share,
`inconclusive` otherwise, and inconclusive with the reason whenever a needed value is NaN/inf or
missing, an order's values all tie, a seed did not fit, training diverged, the measurement is empty or
the claim raised. The margin is the median of the seed margins and its spread the 90 % bootstrap
interval of that median. The same reconciler judges the published setting and every control.

A claim whose setup splits its seeds into batches (`seed_batch`) is reconciled once, when every batch is
in, on the batches' tidy rows joined by `join_batches`: each batch's rows of its own seeds, and the rows
that hold for every seed (`ALL_SEEDS`) once.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from fpcheck.reports.claim import PUBLISHED, Claim, Outcome, SeedVerdict, Verdict
from fpcheck.reports.rules import MissingQuantity, Rule, SeedValues, Undetermined
from fpcheck.tables import ALL_SEEDS, Measurement, Prediction

BOOTSTRAP_SAMPLES = 2000
BOOTSTRAP_SEED = 0


def _checks(rules: Sequence[Rule], values: SeedValues) -> tuple[list, str | None]:
    """The checks of `rules`, or the reason one could not be checked."""
    checks = []
    for rule in rules:
        try:
            checks.append(rule.check(values))
        except MissingQuantity as missing:
            return checks, f"measurement lacks quantity {missing.args[0]!r}"
        except Undetermined as bad:
            return checks, str(bad)
    return checks, None


def check_seed(claim: Claim, table: pd.DataFrame, seed: int) -> tuple[SeedVerdict, list[float]]:
    """The claim's fit rules, then its rules, on one seed; and the null pass probabilities of its order
    rules there. holds is None when the seed is undetermined."""
    values = SeedValues(table, seed)
    fit, reason = _checks(claim.fit, values)
    if reason is None and not all(check.holds for check in fit):
        failed = "; ".join(check.detail for check in fit if not check.holds)
        reason = f"the network did not meet the fit criterion ({failed})"
    if reason is not None:
        return SeedVerdict(seed, None, float("nan"), (reason,)), []
    checks, reason = _checks(claim.rules, values)
    if reason is not None:
        return SeedVerdict(seed, None, float("nan"), (reason,)), []
    nulls = [check.null for check in checks if check.null is not None]
    holds = all(check.holds for check in checks)
    return SeedVerdict(seed, holds, float(min(check.margin for check in checks)),
                       tuple(check.detail for check in checks)), nulls


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


def join_batches(tables: Sequence[pd.DataFrame]) -> tuple[pd.DataFrame, str | None]:
    """One tidy table from the tables of a claim's seed batches (in batch order): the first table whole,
    then every later one's rows of its own seeds; and the problem, or None. The rows of every seed
    (`ALL_SEEDS`) are taken once, from the first batch; a later batch whose own such rows differ (a side
    that depends on which seeds share the batch, so the claim cannot batch its seeds) is the problem."""
    first = tables[0]
    if len(tables) == 1:
        return first, None
    shared = first[first["seed"] == ALL_SEEDS].reset_index(drop=True)
    problem = None
    for number, table in enumerate(tables[1:], start=1):
        if problem is None and not table[table["seed"] == ALL_SEEDS].reset_index(drop=True).equals(shared):
            problem = (f"the rows for every seed (seed {ALL_SEEDS}) of seed batch {number} differ from those of "
                       "batch 0: this claim's seeds cannot be batched")
    rest = [table[table["seed"] != ALL_SEEDS] for table in tables[1:]]
    return pd.concat([first, *rest], ignore_index=True), problem


def missing_quantities(claim: Claim, prediction: Prediction, measurement: Measurement) -> list[str]:
    """Declared quantities that the tables do not hold (a bug of the claim's functions)."""
    held = set(prediction.table["quantity"]) | set(measurement.table["quantity"])
    declared = (*claim.measured_quantities, *claim.predicted_quantities)
    return [name for name in declared if name not in held]


def reconcile(
    claim: Claim, prediction: Prediction, measurement: Measurement, seeds: Sequence[int], variant: str = PUBLISHED
) -> Verdict:
    """The verdict of one claim (in one variant) from its prediction and its measurement over `seeds`."""
    seeds = tuple(int(seed) for seed in seeds)
    if measurement.table.empty:
        return inconclusive(claim, variant, seeds, "the measurement is empty")
    table = pd.concat([prediction.table, measurement.table], ignore_index=True)
    outcomes = [check_seed(claim, table, seed) for seed in seeds]
    per_seed = tuple(verdict for verdict, _ in outcomes)
    nulls = [null for _, seed_nulls in outcomes for null in seed_nulls]
    null = float(min(nulls)) if nulls else None
    margins = np.array([verdict.margin for verdict in per_seed], dtype=float)
    finite = margins[np.isfinite(margins)]
    margin = float(np.median(finite)) if finite.size else float("nan")
    spread = bootstrap_interval(finite)

    if measurement.diverged_seeds:
        diverged = ", ".join(str(seed) for seed in measurement.diverged_seeds)
        return inconclusive(claim, variant, seeds, "training diverged (loss NaN, inf or beyond 10⁶ × its initial "
                            f"size) in seed(s) {diverged}", per_seed)
    undetermined = [verdict for verdict in per_seed if verdict.holds is None]
    if undetermined:
        first = undetermined[0]
        which = ", ".join(str(verdict.seed) for verdict in undetermined)
        return inconclusive(claim, variant, seeds, f"seed(s) {which}: {first.details[0]}", per_seed)

    held = sum(bool(verdict.holds) for verdict in per_seed)
    failed = len(per_seed) - held
    needed = claim.share * len(per_seed)
    outcome: Outcome
    if held >= needed:
        outcome = "agree"
    elif failed >= needed:
        outcome = "diverge"
    else:
        outcome = "inconclusive"
    return Verdict(
        claim=claim.id,
        version=claim.version,
        variant=variant,
        expected=claim.expected_for(variant),
        verdict=outcome,
        margin=margin,
        spread=spread,
        explanation=_explain(claim, per_seed, held, outcome),
        seeds=seeds,
        null_pass_probability=null,
        per_seed=per_seed,
    )


def inconclusive(
    claim: Claim, variant: str, seeds: Sequence[int], reason: str, per_seed: tuple[SeedVerdict, ...] = ()
) -> Verdict:
    """An inconclusive verdict with its reason (NaN, diverged training, a claim that raised...)."""
    margins = np.array([v.margin for v in per_seed if np.isfinite(v.margin)], dtype=float)
    return Verdict(
        claim=claim.id,
        version=claim.version,
        variant=variant,
        expected=claim.expected_for(variant),
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
