"""The reconciler's aggregation over seeds, with every edge case of docs/design.md."""

from __future__ import annotations

import numpy as np
import pytest
from toy_claims import make_claim

from fpcheck.reports.reconcile import bootstrap_interval, reconcile
from fpcheck.tables import ALL_SEEDS, Measurement, Prediction, concat, tidy

CLAIM = make_claim()
PREDICTION = Prediction(tidy(ALL_SEEDS, "integral", [0.5, 1 / 3], x=[1, 2]), "closed form")


def measurement(per_seed: dict[int, list[float]], **extra) -> Measurement:
    frames = [tidy(seed, "quadrature", value, x=[1, 2]) for seed, value in per_seed.items()]
    return Measurement(concat(frames), "hand-made", **extra)


EXACT, WRONG = [0.5, 1 / 3], [0.5, 0.34]


def test_all_seeds_hold_is_agree_with_margin_and_spread():
    verdict = reconcile(CLAIM, PREDICTION, measurement({0: EXACT, 1: EXACT, 2: EXACT}), [0, 1, 2])
    assert verdict.verdict == "agree"
    assert verdict.margin > 0.99
    assert verdict.spread[0] <= verdict.margin <= verdict.spread[1]
    assert "3/3 seeds" in verdict.explanation


def test_all_seeds_fail_is_diverge():
    verdict = reconcile(CLAIM, PREDICTION, measurement({0: WRONG, 1: WRONG}), [0, 1])
    assert verdict.verdict == "diverge"
    assert verdict.margin < 0
    assert "0/2 seeds" in verdict.explanation


@pytest.mark.parametrize(
    ("held", "total", "outcome"),
    [(4, 5, "agree"), (3, 5, "inconclusive"), (2, 5, "inconclusive"), (1, 5, "diverge"), (0, 5, "diverge")],
)
def test_seeds_straddling_the_share(held, total, outcome):
    per_seed = {seed: EXACT if seed < held else WRONG for seed in range(total)}
    verdict = reconcile(CLAIM, PREDICTION, measurement(per_seed), range(total))
    assert verdict.verdict == outcome
    assert sum(seed.holds for seed in verdict.per_seed) == held


def test_nan_in_one_seed_makes_the_verdict_inconclusive_with_the_reason():
    verdict = reconcile(CLAIM, PREDICTION, measurement({0: EXACT, 1: [np.nan, 0.3], 2: EXACT}), [0, 1, 2])
    assert verdict.verdict == "inconclusive"
    assert "seed(s) 1" in verdict.explanation and "NaN" in verdict.explanation


def test_diverged_training_is_inconclusive_with_the_reason():
    verdict = reconcile(CLAIM, PREDICTION, measurement({0: EXACT, 1: EXACT}, diverged_seeds=(1,)), [0, 1])
    assert verdict.verdict == "inconclusive"
    assert "diverged" in verdict.explanation and "1" in verdict.explanation


def test_empty_measurement_is_inconclusive():
    verdict = reconcile(CLAIM, PREDICTION, Measurement(concat([]), "nothing"), [0, 1])
    assert verdict.verdict == "inconclusive"
    assert "empty" in verdict.explanation


def test_a_seed_without_rows_is_inconclusive():
    verdict = reconcile(CLAIM, PREDICTION, measurement({0: EXACT}), [0, 1])
    assert verdict.verdict == "inconclusive"
    assert "lacks quantity" in verdict.explanation


def test_bootstrap_interval_brackets_the_median_and_is_reproducible():
    values = np.array([0.1, 0.2, 0.3, 0.4, 5.0])
    low, high = bootstrap_interval(values)
    assert low <= np.median(values) <= high
    assert low >= values.min() and high <= values.max()
    assert bootstrap_interval(values) == (low, high)
    assert bootstrap_interval(np.array([0.7])) == (0.7, 0.7)
