"""Train once, use twice: one run of an experiment shared by the tasks of several claims.

Two tasks of a run share an experiment when their experiments have the same root
(`fpcheck.empirics.experiment.Experiment.root`: the experiment itself, or the one it continues, as the
perturbation of trained sine fits continues the sine fit) and their setups reduce to the same setup of it
(`Experiment.shared_setup`: the same fields, analysis choices and seed count aside), on the same batch of
seeds, thread count and device. `plan_stages` gives every such group of two or more planned tasks one
`Stage`: the root experiment on that setup and those seeds, a task of its own, whose hash also holds the
versions of the claims it serves (a claim whose numbers moved raises its version, which retrains the
stage) and the result's fields. `share` keeps the stages that this run needs: those with two or more
tasks still to run, or one and a kept result; its consumers are those tasks. `run_stage` runs it
(timed, its network-steps counted) under the thread count and device its tasks fix, so its result is
bit-identical to the one each task would have trained; each task then receives the result
(`fpcheck.reports.task.run_task`) and trains nothing of it.

The client keeps a finished stage in the run directory as `experiments/<experiment>-<hash>.npz`
(`fpcheck.reports.experiment_file`, read back and checked on restart), since remote workers cannot read
it; on a Dask cluster the tasks depend on the stage's future (`fpcheck.reports.executor`). Every task
that received a stage's result records it (`experiment` in its batch record, `experiments` in its claim
record), and the report says which claim reused what.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from fpcheck.empirics import runtime
from fpcheck.empirics.experiment import Experiment, Result
from fpcheck.empirics.setup import Setup
from fpcheck.reports.catalogue import claims
from fpcheck.reports.task import Task


@dataclass(frozen=True)
class Stage:
    """One run of `experiment` (a root) on `setup` and `seeds` for the claims `versions` (id, version) of the
    run's plan, shared by the tasks named `consumers`."""

    experiment: Experiment
    setup: Setup
    seeds: tuple[int, ...]
    threads: int
    device: str
    versions: tuple[tuple[str, int], ...]
    consumers: tuple[str, ...]

    @property
    def hash(self) -> str:
        """A digest of everything that fixes the stage's numbers or the form of its result (not the consumers)."""
        fields = {"experiment": self.experiment.name, "setup_type": type(self.setup).__name__,
                  "setup": self.setup.experiment_data(), "seeds": list(self.seeds), "threads": self.threads,
                  "device": self.device, "claims": [list(pair) for pair in self.versions],
                  "result": [spec.name for spec in dataclasses.fields(self.experiment.result)]}
        return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()[:16]

    @property
    def name(self) -> str:
        return f"{self.experiment.name}-{self.hash}"


@dataclass(frozen=True)
class StageOutput:
    """A stage's result and its record: experiment, hash, seeds, consumers, wall time, network-steps, worker,
    and the error and traceback (None, or why the experiment raised: then there is no result, nothing is
    kept on disk, and every consumer is inconclusive with that reason, as a claim whose experiment raised)."""

    result: Result | None
    record: dict[str, Any]

    def summary(self) -> dict[str, Any]:
        """What a task that used the result records of it."""
        keys = ("experiment", "hash", "consumers", "wall_s", "network_steps", "read_back")
        return {key: self.record[key] for key in keys}

    def read_back(self, stage: Stage) -> StageOutput:
        """The output read back from the run directory, for `stage` of this run (its consumers)."""
        return StageOutput(self.result, {**self.record, "consumers": list(stage.consumers), "read_back": True})

    def shared_result(self) -> Result:
        """The result, or StageFailed with the experiment's error."""
        if self.result is None:
            raise StageFailed(f"the shared experiment {self.record['experiment']} {self.record['hash']} raised: "
                              f"{self.record['error']}")
        return self.result


class StageFailed(RuntimeError):
    """The shared experiment of a task raised (its consumers are inconclusive with the reason)."""


def plan_stages(tasks: Sequence[Task]) -> dict[str, Stage]:
    """The stage of every task that shares its experiment with another task of `tasks` (module doc), by task
    name, its consumers all of them; a task that shares with none is absent (it runs its experiment itself)."""
    groups: dict[str, list[Task]] = {}
    reduced: dict[str, tuple[Experiment, Setup]] = {}
    for task in tasks:
        experiment = claims()[task.claim_id].experiment
        name, kind, data = experiment.shared_setup(task.setup)
        key = json.dumps([name, kind, data, list(task.batch_seeds), task.threads, task.device], sort_keys=True)
        groups.setdefault(key, []).append(task)
        reduced.setdefault(key, (experiment.root, experiment.base_setup(task.setup)))
    stages = {}
    for key, group in groups.items():
        if len(group) > 1:
            root, setup = reduced[key]
            versions = tuple(sorted({(task.claim_id, task.version) for task in group}))
            stage = Stage(root, setup, group[0].batch_seeds, group[0].threads, group[0].device, versions,
                          tuple(task.name for task in group))
            stages.update({task.name: stage for task in group})
    return stages


def share(stages: Mapping[str, Stage], pending: Sequence[Task], kept: Callable[[Stage], bool]) -> dict[str, Stage]:
    """The planned stages this run uses, by task name, their consumers the pending tasks that use them: a stage
    with two or more of them, or with one when `kept(stage)` (the run directory holds its result); a pending
    task alone with a stage nobody kept runs its experiment itself."""
    users: dict[str, list[Task]] = {}
    for task in pending:
        if task.name in stages:
            users.setdefault(stages[task.name].hash, []).append(task)
    chosen = {}
    for group in users.values():
        stage = stages[group[0].name]
        if len(group) > 1 or kept(stage):
            narrowed = dataclasses.replace(stage, consumers=tuple(task.name for task in group))
            chosen.update({task.name: narrowed for task in group})
    return chosen


def run_stage(stage: Stage, worker: str = "in-process") -> StageOutput:
    """Run the stage's experiment under its thread count and device, timed and its network-steps counted."""
    started, steps_before = time.perf_counter(), runtime.network_steps()
    result, error, failure = None, None, None
    with runtime.fixed_threads(stage.threads), runtime.on_device(stage.device):
        try:
            result = stage.experiment.run(stage.setup, stage.seeds)
        except Exception as raised:  # as for a claim's own experiment: its consumers are inconclusive, the run goes on
            error, failure = f"{type(raised).__name__}: {raised}", traceback.format_exc()
    record = {"experiment": stage.experiment.name, "hash": stage.hash, "seeds": list(stage.seeds),
              "consumers": list(stage.consumers), "wall_s": time.perf_counter() - started,
              "network_steps": runtime.network_steps() - steps_before, "worker": worker, "read_back": False,
              "error": error, "traceback": failure}
    return StageOutput(result, record)
