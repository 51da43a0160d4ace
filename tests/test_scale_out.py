"""The scale-out benchmark's schedule (`benchmarks.scale_out.makespan`) against the optimum found by enumerating
every assignment of a few tasks to workers: never below it, within Graham's 4/3 of it."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from benchmarks.scale_out import makespan


@pytest.mark.parametrize("seed", range(8))
def test_longest_first_is_within_four_thirds_of_the_optimum(seed):
    generator = np.random.default_rng(seed)
    times = list(generator.uniform(0.1, 10.0, int(generator.integers(2, 8))))
    workers = int(generator.integers(1, 4))
    loads = ([sum(t for t, w in zip(times, assignment, strict=True) if w == worker) for worker in range(workers)]
             for assignment in itertools.product(range(workers), repeat=len(times)))
    optimum = min(max(load) for load in loads)
    assert optimum - 1e-12 <= makespan(times, workers) <= 4 / 3 * optimum + 1e-12
    assert makespan(times, 1) == pytest.approx(sum(times))
