"""Train once, use twice: one run of an experiment shared by the tasks of several claims.

Two tasks of a run share an experiment when their experiments have the same root
(`fpcheck.empirics.experiment.Experiment.root`: the experiment itself, or the one it continues, as the
perturbation of trained sine fits continues the sine fit) and their setups reduce to the same setup of it
(`Experiment.shared_setup`: the same fields, analysis choices and seed count aside), on the same batch of
seeds, thread count and device. `plan_stages` gives every such group of two or more tasks one `Stage`:
the root experiment on that setup and those seeds, a task of its own. `run_stage` runs it (timed, its
network-steps counted) under the thread count and device its tasks fix, so its result is bit-identical to
the one each task would have trained; each task then receives the result (`fpcheck.reports.task.run_task`)
and trains nothing of it.

The client keeps a finished stage in the run directory as `experiments/<experiment>-<hash>.npz`
(`fpcheck.reports.experiment_file`, read back and checked on restart), since remote workers cannot read
it; on a Dask cluster the tasks depend on the stage's future (`fpcheck.reports.executor`). Every task
that received a stage's result records it (`experiment` in its batch record, `experiments` in its claim
record), and the report says which claim reused what.
"""

from __future__ import annotations

import hashlib
import json
import time
import traceback
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from fpcheck.empirics import runtime
from fpcheck.empirics.experiment import Experiment, Result
from fpcheck.empirics.setup import Setup
from fpcheck.reports.catalogue import claims
from fpcheck.reports.task import Task


@dataclass(frozen=True)
class Stage:
    """One run of `experiment` (a root) on `setup` and `seeds`, shared by the tasks named `consumers`."""

    experiment: Experiment
    setup: Setup
    seeds: tuple[int, ...]
    threads: int
    device: str
    consumers: tuple[str, ...]

    @property
    def hash(self) -> str:
        """A digest of everything that fixes the stage's numbers (not its consumers)."""
        fields = {"experiment": self.experiment.name, "setup_type": type(self.setup).__name__,
                  "setup": self.setup.experiment_data(), "seeds": list(self.seeds), "threads": self.threads,
                  "device": self.device}
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
        keys = ("experiment", "hash", "consumers", "wall_s", "network_steps")
        return {key: self.record[key] for key in keys}

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
    name; a task that shares with none is absent (it runs its experiment itself)."""
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
            stage = Stage(root, setup, group[0].batch_seeds, group[0].threads, group[0].device,
                          tuple(task.name for task in group))
            stages.update({task.name: stage for task in group})
    return stages


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
              "network_steps": runtime.network_steps() - steps_before, "worker": worker, "error": error,
              "traceback": failure}
    return StageOutput(result, record)


def stages_needed(stages: Mapping[str, Stage], pending: Sequence[Task]) -> dict[str, Stage]:
    """The stages that pending tasks use, by hash."""
    return {stage.hash: stage for task in pending if (stage := stages.get(task.name)) is not None}
