"""Snapshot schedules and threshold crossings (docs/catalogue.md: never crossing ties last)."""

from __future__ import annotations

import numpy as np
import pytest

from fpcheck.empirics.snapshots import first_below, log_spaced_steps, settled_below, step_at


def test_crossings_by_hand():
    errors = np.array([[1.0, 0.9, 0.4], [0.4, 0.9, 0.3], [0.3, 0.2, 0.6], [0.2, 0.1, 0.7]])
    np.testing.assert_array_equal(first_below(errors, 0.5), [1, 2, 0])
    np.testing.assert_array_equal(settled_below(errors, 0.5), [1, 2, 4])  # the third never settles: T
    np.testing.assert_array_equal(first_below(errors, 0.05), [4, 4, 4])  # never: all tie at T
    np.testing.assert_array_equal(settled_below(errors, 2.0), [0, 0, 0])
    # as steps of a run snapshotted at 0, 10, 20, 30: never settling reads as one step after the last
    np.testing.assert_array_equal(step_at(np.array([0, 10, 20, 30]), settled_below(errors, 0.5)), [10, 20, 31])


def test_log_spaced_steps():
    steps = log_spaced_steps(1000, 10)
    assert steps[0] == 0 and steps[1] == 1 and steps[-1] == 1000
    assert np.all(np.diff(steps) > 0)
    ratios = steps[3:] / steps[2:-1]
    assert np.allclose(ratios, 1000 ** (1 / 9), rtol=0.25)


def test_bad_input_is_rejected():
    with pytest.raises(ValueError, match="NaN"):
        first_below(np.array([0.1, np.nan]), 0.5)
    with pytest.raises(ValueError, match="snapshots"):
        log_spaced_steps(10, 1)
