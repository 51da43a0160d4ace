"""The five rules on hand-made tables, with their margins, edge cases and exact null probabilities."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy import stats

from fpcheck.errors import LimitExceeded
from fpcheck.reports.rules import (
    Bound,
    Equality,
    MissingQuantity,
    Order,
    PairOrder,
    Rate,
    SeedValues,
    Undetermined,
    linear_extension_fraction,
    order_null_probability,
    spearman,
)
from fpcheck.tables import ALL_SEEDS, concat, tidy


def values(*frames):
    return SeedValues(concat(list(frames)), seed=0)


def test_bound_holds_with_worst_slack_as_margin():
    table = values(tidy(0, "m", [1.0, 2.0, 3.0], x=[1, 2, 3]), tidy(ALL_SEEDS, "b", [2.0, 4.0, 4.0], x=[1, 2, 3]))
    check = Bound("m", "b").check(table)
    assert check.holds
    assert check.margin == pytest.approx(0.25)  # 1 - 3/4 at x = 3, the tightest point
    assert "x = 3" in check.detail


def test_bound_fails_at_a_single_point():
    table = values(tidy(0, "m", [1.0, 5.0], x=[1, 2]), tidy(0, "b", [2.0, 4.0], x=[1, 2]))
    check = Bound("m", "b").check(table)
    assert not check.holds
    assert check.margin == pytest.approx(-0.25)


def test_bound_above_and_numeric_threshold():
    table = values(tidy(0, "accuracy", 0.995))
    assert Bound("accuracy", 0.99, above=True).check(table).holds
    assert not Bound("accuracy", 0.999, above=True).check(table).holds


def test_rate_relative_and_absolute_tolerance():
    table = values(tidy(0, "fitted", -2.05), tidy(ALL_SEEDS, "predicted", -2.0))
    absolute = Rate("fitted", "predicted", atol=0.1).check(table)
    assert absolute.holds and absolute.margin == pytest.approx(0.5)
    assert not Rate("fitted", "predicted", rtol=0.01).check(table).holds
    with pytest.raises(ValueError):
        Rate("fitted", "predicted")


def test_order_uses_spearman_and_all_ties_are_undetermined():
    increasing = values(tidy(0, "step", [10, 20, 40, 30], x=[1, 2, 3, 4]))
    check = Order("step", 0.9).check(increasing)
    assert check.margin == pytest.approx(0.8 - 0.9)
    assert not check.holds
    tied = values(tidy(0, "step", [5, 5, 5], x=[1, 2, 3]))
    with pytest.raises(Undetermined, match="ties"):
        spearman(np.array([1.0, 2.0, 3.0]), np.array([5.0, 5.0, 5.0]))
    with pytest.raises(Undetermined):  # a network that leaves every peak unconverged proves nothing
        Order("step", 0.5, at_least=False).check(tied)


def brute_force_null(n: int, threshold: float, at_least: bool) -> float:
    """The share of all n! orders whose Spearman ρ (scipy) passes the rule: the oracle."""
    positions = np.arange(n)
    rhos = np.array([stats.spearmanr(positions, order).statistic for order in itertools.permutations(positions)])
    passes = rhos >= threshold - 1e-12 if at_least else rhos <= threshold + 1e-12
    return float(np.mean(passes))


@pytest.mark.parametrize("n", [2, 3, 4, 5, 6, 7])
@pytest.mark.parametrize(("threshold", "at_least"),
                         [(0.9, True), (0.8, True), (0.5, False), (-0.5, False), (0.0, True)])
def test_order_null_probability_equals_enumeration_over_permutations(n, threshold, at_least):
    rule = Order("step", threshold, at_least=at_least)
    assert rule.null_pass_probability(n) == pytest.approx(brute_force_null(n, threshold, at_least), abs=1e-12)


def test_order_null_is_reported_per_check_and_refused_beyond_its_limit():
    check = Order("step", 0.9).check(values(tidy(0, "step", [1, 2, 3, 4, 5, 6], x=[1, 2, 3, 4, 5, 6])))
    assert check.null == pytest.approx(brute_force_null(6, 0.9, True))
    assert check.null < 0.05  # the F-Principle rule on 6 peaks: a random order rarely passes
    assert order_null_probability(6, 0.5, at_least=False) > 0.8  # the old large-init rule: most orders pass
    with pytest.raises(LimitExceeded):
        order_null_probability(40, 0.9)


def test_equality_uses_atol_plus_rtol():
    table = values(tidy(0, "m", [1.0 + 1e-7, 2.0], x=[0, 1]), tidy(0, "p", [1.0, 2.0], x=[0, 1]))
    assert not Equality("m", "p", rtol=1e-8).check(table).holds
    check = Equality("m", "p", rtol=1e-6).check(table)
    assert check.holds and check.margin == pytest.approx(0.9, rel=1e-6)


def test_missing_and_nonfinite_quantities_are_reported():
    table = values(tidy(0, "m", [1.0, np.nan], x=[0, 1]), tidy(0, "b", [2.0, 2.0], x=[0, 1]))
    with pytest.raises(Undetermined):
        Bound("m", "b").check(table)
    with pytest.raises(MissingQuantity):
        Bound("absent", "b").check(table)


def test_quantities_on_different_grids_are_rejected():
    table = values(tidy(0, "m", [1.0, 2.0], x=[0, 1]), tidy(0, "b", [2.0, 2.0], x=[0, 2]))
    with pytest.raises(ValueError, match="same x"):
        Bound("m", "b").check(table)


def _enumerated_fraction(precedes: np.ndarray) -> float:
    """The oracle: the share of all permutations that put a before b for every True precedes[a, b]."""
    n = precedes.shape[0]
    passing = 0
    for order in itertools.permutations(range(n)):
        position = np.argsort(order)
        passing += all(position[a] < position[b] for a, b in zip(*np.nonzero(precedes), strict=True))
    return passing / np.prod(np.arange(1, n + 1))


@pytest.mark.parametrize("seed", range(6))
def test_linear_extension_fraction_equals_enumeration(seed):
    generator = np.random.default_rng(seed)
    n = int(generator.integers(2, 7))
    predicted = np.exp(generator.normal(0.0, 1.0, n))
    precedes = predicted[None, :] > 1.5 * predicted[:, None]
    assert linear_extension_fraction(precedes) == pytest.approx(_enumerated_fraction(precedes), rel=1e-12)


def test_pair_order_compares_only_separated_pairs_within_a_group():
    times = [tidy(ALL_SEEDS, "p1", [10.0, 11.0, 40.0], x=[1, 2, 3]), tidy(ALL_SEEDS, "p2", [50.0, 20.0], x=[1, 2])]
    rule = PairOrder(("m1", "m2"), ("p1", "p2"), separation=1.35)
    # group 1: 10 and 11 are not compared (× 1.1); 40 follows both; group 2: 20 before 50
    kept = rule.check(values(*times, tidy(0, "m1", [12.0, 10.0, 40.0], x=[1, 2, 3]),
                             tidy(0, "m2", [50.0, 20.0], x=[1, 2])))
    assert kept.holds and kept.detail.startswith("3 pairs compared")
    assert kept.null == pytest.approx(1 / 3 * 1 / 2)  # the last of three, then one pair of two
    assert kept.margin == pytest.approx(np.log(40 / 12) / np.log(40 / 10))  # m1 at x = 1 vs 3, the tightest
    swapped = rule.check(values(*times, tidy(0, "m1", [12.0, 10.0, 40.0], x=[1, 2, 3]),
                                tidy(0, "m2", [15.0, 20.0], x=[1, 2])))
    assert not swapped.holds and swapped.margin == pytest.approx(np.log(15 / 20) / np.log(50 / 20))


def test_pair_order_without_a_separated_pair_is_undetermined():
    rule = PairOrder(("m",), ("p",), separation=2.0)
    with pytest.raises(Undetermined):
        rule.check(values(tidy(ALL_SEEDS, "p", [10.0, 15.0], x=[1, 2]), tidy(0, "m", [1.0, 2.0], x=[1, 2])))
    with pytest.raises(ValueError, match="one predicted quantity per measured"):
        PairOrder(("m", "n"), ("p",), separation=2.0)
