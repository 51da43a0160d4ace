"""Experiments: what a claim runs once per task, declared without importing torch.

An `Experiment` names a setup type (`fpcheck.empirics.setup.Setup`), a result type (`Result`) and the
function that runs it, as "module:function". The function takes `(setup, seeds)` and returns the
result: plain numpy arrays and numbers, never torch tensors, so that a claim's `measure` and `predict`
are pure functions of it and the verdict layer needs no torch. The module holding the function is
imported only when the experiment runs (`Experiment.run`).

Train once, use twice: an experiment may continue another (`builds_on`, itself not a continuation), e.g.
the perturbation of trained sine fits continues the sine fit. Its setup type then holds every field of
the other's setup (`base_setup` reads them), and its function takes the other's result as a third
argument. Claims whose tasks reduce to the same setup of one experiment (`shared_setup`) can thus share
one run of it (`fpcheck.reports.stage`); run alone, a continuation runs the experiment it continues first.
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
    builds_on: Experiment | None = None
    """The experiment this one continues (module doc), or None."""

    def __post_init__(self) -> None:
        module, _, function = self.target.partition(":")
        if not module or not function or not all(part.isidentifier() for part in (*module.split("."), function)):
            raise ValueError(f"experiment {self.name}: target must be 'package.module:function', not {self.target!r}")
        if self.builds_on is not None:
            if self.builds_on.builds_on is not None:
                raise ValueError(f"experiment {self.name}: {self.builds_on.name} continues another experiment; "
                                 "continue that one instead")
            missing = set(self.builds_on.setup.field_names()) - set(self.setup.field_names())
            if missing:
                raise ValueError(f"experiment {self.name}: its setup lacks {sorted(missing)} of "
                                 f"{self.builds_on.setup.__name__}, the setup of {self.builds_on.name}")

    def function(self) -> Callable[..., Result]:
        module, _, name = self.target.partition(":")
        return getattr(importlib.import_module(module), name)

    @property
    def root(self) -> Experiment:
        """The experiment whose run claims share: the one this continues, else this one."""
        return self if self.builds_on is None else self.builds_on

    def base_setup(self, setup: Setup) -> Setup:
        """The setup of `root` that `setup` reduces to: its fields of the root's setup type (`setup` itself for
        an experiment that continues none)."""
        if self.builds_on is None:
            return setup
        base = self.builds_on.setup
        return base(**{name: getattr(setup, name) for name in base.field_names()})

    def shared_setup(self, setup: Setup) -> tuple[str, str, dict[str, Any]]:
        """What fixes the root's numbers for `setup`: the root's name, its setup type and the experiment data
        of the reduced setup (`Setup.experiment_data`: no seed count, no analysis choices)."""
        base = self.base_setup(setup)
        return self.root.name, type(base).__name__, base.experiment_data()

    def run(self, setup: Setup, seeds: Sequence[int], shared: Result | None = None) -> Result:
        """Run the experiment on `seeds`; the setup must be of the experiment's type. `shared` is the root's
        result for `base_setup(setup)` on the same seeds, run elsewhere (then this trains nothing of it): the
        result itself for a root, the input of the continuation otherwise."""
        if not isinstance(setup, self.setup):
            raise TypeError(f"experiment {self.name} takes a {self.setup.__name__}, not a {type(setup).__name__}")
        seeds = tuple(int(seed) for seed in seeds)
        if shared is not None and (not isinstance(shared, self.root.result) or tuple(shared.seeds) != seeds):
            raise TypeError(f"experiment {self.name}: the shared result is a {type(shared).__name__} of seeds "
                            f"{tuple(shared.seeds)}, not a {self.root.result.__name__} of seeds {seeds}")
        if self.builds_on is None:
            result = shared if shared is not None else self.function()(setup, seeds)
        else:
            base = shared if shared is not None else self.builds_on.run(self.base_setup(setup), seeds)
            result = self.function()(setup, seeds, base)
        if not isinstance(result, self.result):
            raise TypeError(f"experiment {self.name} returned a {type(result).__name__}, not a {self.result.__name__}")
        return result
