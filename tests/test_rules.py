"""The four rules on hand-made tables, with their margins and edge cases (reports/rules.py)."""

from __future__ import annotations

import numpy as np
import pytest

from reports.claim import ALL_SEEDS, concat, tidy
from reports.rules import Bound, Equality, MissingQuantity, NonFinite, Order, Rate, SeedValues, spearman


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


def test_order_uses_spearman_and_ties_give_zero():
    increasing = values(tidy(0, "step", [10, 20, 40, 30], x=[1, 2, 3, 4]))
    check = Order("step", 0.9).check(increasing)
    assert check.margin == pytest.approx(0.8 - 0.9)
    assert not check.holds
    tied = values(tidy(0, "step", [5, 5, 5], x=[1, 2, 3]))
    assert spearman(np.array([1.0, 2.0, 3.0]), np.array([5.0, 5.0, 5.0])) == 0.0
    assert Order("step", 0.5, at_least=False).check(tied).holds


def test_equality_uses_atol_plus_rtol():
    table = values(tidy(0, "m", [1.0 + 1e-7, 2.0], x=[0, 1]), tidy(0, "p", [1.0, 2.0], x=[0, 1]))
    assert not Equality("m", "p", rtol=1e-8).check(table).holds
    check = Equality("m", "p", rtol=1e-6).check(table)
    assert check.holds and check.margin == pytest.approx(0.9, rel=1e-6)


def test_missing_and_nonfinite_quantities_are_reported():
    table = values(tidy(0, "m", [1.0, np.nan], x=[0, 1]), tidy(0, "b", [2.0, 2.0], x=[0, 1]))
    with pytest.raises(NonFinite):
        Bound("m", "b").check(table)
    with pytest.raises(MissingQuantity):
        Bound("absent", "b").check(table)


def test_quantities_on_different_grids_are_rejected():
    table = values(tidy(0, "m", [1.0, 2.0], x=[0, 1]), tidy(0, "b", [2.0, 2.0], x=[0, 2]))
    with pytest.raises(ValueError, match="same x"):
        Bound("m", "b").check(table)
