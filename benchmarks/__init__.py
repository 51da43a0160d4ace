"""Speed benchmarks of fpcheck: `python -m benchmarks [--quick] [--json FILE]`.

A benchmark is a function `f(quick: bool) -> dict[str, float]` returning named figures (ratios
measured within one run, so that the machine's speed cancels); the runner merges every benchmark's
figures into one flat JSON object. `--quick` runs fewer steps or repeats, never smaller sizes. Add a
benchmark by listing "module:function" in BENCHMARKS. Benchmarks are measurements, not tests: nothing
here asserts a time.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence

Benchmark = Callable[..., dict[str, float]]

BENCHMARKS: tuple[str, ...] = (
    "benchmarks.ensemble_training:ensemble_benchmark",
    "benchmarks.highdim:nufft_benchmark",
    "benchmarks.highdim:filtering_benchmark",
    "benchmarks.monitor:monitor_benchmark",
    "benchmarks.scale_out:scale_out_benchmark",
)


def load(entry: str) -> Benchmark:
    """The benchmark function named by "module:function"."""
    module, _, name = entry.partition(":")
    if not name:
        raise ValueError(f"a benchmark entry must read 'module:function', not {entry!r}")
    return getattr(importlib.import_module(module), name)


def run(quick: bool = False, only: Sequence[str] = ()) -> dict[str, float]:
    """Run the benchmarks (those whose function name is in `only`, if given) and merge their figures."""
    figures: dict[str, float] = {}
    selected = [entry for entry in BENCHMARKS if not only or entry.partition(":")[2] in only]
    if only and len(selected) != len(set(only)):
        known = ", ".join(entry.partition(":")[2] for entry in BENCHMARKS)
        raise ValueError(f"unknown benchmark in {list(only)}; known: {known}")
    for entry in selected:
        for key, value in load(entry)(quick=quick).items():
            if key in figures:
                raise ValueError(f"benchmark figure {key!r} is reported twice")
            figures[key] = float(value)
    return figures
