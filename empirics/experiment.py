"""Experiments: what a claim runs once per task, declared without importing torch.

An `Experiment` names a setup type (`fpcheck.empirics.setup.Setup`), a result type (`Result`) and the
function that runs it, as "module:function". The function takes `(setup, seeds)` and returns the
result: plain numpy arrays and numbers, never torch tensors, so that a claim's `measure` and `predict`
are pure functions of it and the verdict layer needs no torch. The module holding the function is
imported only when the experiment runs (`Experiment.run`).
"""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from fpcheck.empirics.setup import Setup


@dataclass(frozen=True, kw_only=True)
class Result:
    """Base of every experiment's result: the seeds it ran, then the family's arrays and numbers (or the
    results of the runs it is made of)."""

    seeds: tuple[int, ...]

    def __post_init__(self) -> None:
        for spec in dataclasses.fields(self):
            value = getattr(self, spec.name)
            if not _plain(value):
                raise TypeError(f"{type(self).__name__}.{spec.name} holds a {type(value).__name__}: an experiment "
                                "result holds numpy arrays, numbers, strings and tuples of them only")


def _plain(value: Any) -> bool:
    if isinstance(value, Result):
        return True
    if isinstance(value, np.ndarray):
        return value.dtype.kind in "biufcU"
    if isinstance(value, tuple):
        return all(_plain(item) for item in value)
    return value is None or isinstance(value, bool | int | float | str | np.integer | np.floating)


@dataclass(frozen=True)
class Experiment:
    """An experiment family: its setup and result types and its run function ("module:function")."""

    name: str
    setup: type[Setup]
    result: type[Result]
    target: str
    description: str

    def __post_init__(self) -> None:
        module, _, function = self.target.partition(":")
        if not module or not function or not all(part.isidentifier() for part in (*module.split("."), function)):
            raise ValueError(f"experiment {self.name}: target must be 'package.module:function', not {self.target!r}")

    def function(self) -> Callable[[Setup, Sequence[int]], Result]:
        module, _, name = self.target.partition(":")
        return getattr(importlib.import_module(module), name)

    def run(self, setup: Setup, seeds: Sequence[int]) -> Result:
        """Run the experiment on `seeds`; the setup must be of the experiment's type."""
        if not isinstance(setup, self.setup):
            raise TypeError(f"experiment {self.name} takes a {self.setup.__name__}, not a {type(setup).__name__}")
        result = self.function()(setup, tuple(int(seed) for seed in seeds))
        if not isinstance(result, self.result):
            raise TypeError(f"experiment {self.name} returned a {type(result).__name__}, not a {self.result.__name__}")
        return result
