"""A task: one claim in one variant (its published setting or one control), one batch of its seeds.

A claim-variant's seeds run in batches of its setup's `seed_batch` seeds (all of them in one batch by
default): the batching is part of the setup, never of the executor. A task fixes its thread count and its
device and receives its setup and seeds explicitly, so its numbers do not depend on where it runs.

`run_task` runs the claim's experiment (in `fpcheck.empirics`) on the batch's seeds, its predict and
measure functions (and, for the sensitivity analysis, their tables at every other value of the declared
analysis choices), draws the figures (first batch only) and returns a plain, JSON-able batch record: the
tidy tables of both sides, summaries, notes, diverged seeds, wall time. `assemble` reconciles a
claim-variant once every batch is in, on the batches' joined rows (`reconcile.join_batches`), into the
claim record: the verdict, the tidy rows with their origin (`theory` or `measured`), figures as base64 PNG,
summaries, notes, sensitivity, wall time, each batch's seeds, worker and time, and the shared experiments its
batches used (`experiments`, `fpcheck.reports.stage`). That record is what the
run store writes and the report reads. With several batches, the notes and figures are those of the first
batch (the record says so). A claim whose own code raises is inconclusive with the reason (and the record
keeps the traceback); the run goes on. `Assembly` keeps a run's records: finished ones read back from the
run directory, batches saved as they come, claim records assembled and saved when their last batch is in.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import io
import json
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from fpcheck.empirics import runtime
from fpcheck.empirics.experiment import Result
from fpcheck.empirics.setup import Setup
from fpcheck.reports.catalogue import claims
from fpcheck.reports.claim import PUBLISHED, Claim, ClaimRun, Verdict
from fpcheck.reports.reconcile import inconclusive, join_batches, missing_quantities, reconcile
from fpcheck.reports.run_store import RunStore
from fpcheck.reports.sensitivity import SHARE, choice_values, summarise
from fpcheck.tables import TIDY_COLUMNS, Measurement, Prediction, concat

if TYPE_CHECKING:
    from fpcheck.reports.stage import StageOutput

FIGURE_DPI = 110
ROW_COLUMNS = (*TIDY_COLUMNS, "origin")
BATCH_SUFFIX = ".batch-"


def variant_key(claim_id: str, variant: str) -> str:
    """A claim-variant's name in a run directory: the claim id, then @control for a control."""
    return claim_id if variant == PUBLISHED else f"{claim_id}@{variant}"


def name_key(name: str) -> str:
    """The claim-variant key of a task name (`Task.name`: the key, maybe with .batch-<index>)."""
    return name.split(BATCH_SUFFIX)[0]


@dataclass(frozen=True)
class Task:
    """One batch of a claim-variant: `seeds` are all the claim-variant's seeds, `batch` the index of this
    task's batch among `batches` (`setup.seed_batch` consecutive seeds each)."""

    claim_id: str
    version: int
    variant: str
    profile: str
    setup: Setup
    seeds: tuple[int, ...]
    threads: int
    batch: int = 0
    device: str = "cpu"

    @property
    def key(self) -> str:
        """The claim-variant's name in a run directory (`variant_key`)."""
        return variant_key(self.claim_id, self.variant)

    @property
    def batches(self) -> tuple[tuple[int, ...], ...]:
        """The claim-variant's seeds in batches of `setup.seed_batch` (one batch of all when it is None)."""
        size = self.setup.seed_batch or max(len(self.seeds), 1)
        return tuple(self.seeds[start:start + size] for start in range(0, len(self.seeds), size))

    @property
    def batch_seeds(self) -> tuple[int, ...]:
        return self.batches[self.batch]

    @property
    def name(self) -> str:
        """The task's name: the key, with .batch-<index> when the claim-variant has several batches."""
        return self.key if len(self.batches) == 1 else f"{self.key}{BATCH_SUFFIX}{self.batch}"

    @property
    def config_hash(self) -> str:
        """A digest of everything that fixes the claim-variant's numbers; a finished claim is reused only on
        a match. The device enters only when it is not the CPU, so CPU hashes are those of before --device."""
        fields: dict[str, Any] = {
            "claim": self.claim_id,
            "version": self.version,
            "variant": self.variant,
            "profile": self.profile,
            "setup": self.setup.data(),
            "seeds": list(self.seeds),
            "threads": self.threads,
        }
        if self.device != "cpu":
            fields["device"] = self.device
        return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()[:16]

    @property
    def batch_hash(self) -> str:
        """The digest of this batch: the claim-variant's, with the batch's index and seeds."""
        payload = json.dumps([self.config_hash, self.batch, list(self.batch_seeds)])
        return hashlib.sha256(payload.encode()).hexdigest()[:16]


def plan(claim: Claim, profile: str, threads: int, seeds: int | None = None, setup: Setup | None = None,
         controls: bool = True, device: str = "cpu") -> list[Task]:
    """The tasks of one claim: its published setting, then each control (unless `controls` is False), each
    in its seed batches.

    `setup` replaces the claim's own setup for the profile (e.g. after --config overrides); `seeds`
    replaces its seed count. Controls apply their changes on top.
    """
    base = setup if setup is not None else claim.setups[profile]
    if seeds is not None:
        base = base.override({"seeds": seeds})
    variants = claim.variants if controls else (PUBLISHED,)
    tasks = []
    for variant in variants:
        chosen = base if variant == PUBLISHED else base.override(claim.control(variant).changes)
        first = Task(claim.id, claim.version, variant, profile, chosen, tuple(range(chosen.seeds)), threads,
                     device=device)
        tasks += [dataclasses.replace(first, batch=batch) for batch in range(len(first.batches))]
    return tasks


def run_task(task: Task, shared: StageOutput | None = None) -> dict[str, Any]:
    """Run one task (the experiment on its batch's seeds, prediction, measurement) and return its batch
    record; `assemble` reconciles a claim-variant's batch records. `shared` is the output of the stage whose
    result the task uses (`fpcheck.reports.stage`): the task then trains nothing of it, and says so."""
    claim = claims()[task.claim_id]
    record = measure_batch(claim, task, task.batch_seeds, lambda: claim.experiment.run(
        task.setup, task.batch_seeds, shared.shared_result() if shared is not None else None))
    record["experiment"] = shared.summary() if shared is not None else None
    return record


def evaluate(claim: Claim, task: Task, produce: Callable[[], Result]) -> dict[str, Any]:
    """The record of `task` for `claim`, whose result `produce()` returns for all the task's seeds (the
    experiment's run, or a result recorded elsewhere, as `fpcheck.monitor` does): prediction, measurement,
    reconciliation, sensitivity and figures, as one batch, timed from the call."""
    return assemble(claim, task, [measure_batch(claim, task, task.seeds, produce)])


def measure_batch(claim: Claim, task: Task, seeds: tuple[int, ...], produce: Callable[[], Result]) -> dict[str, Any]:
    """The batch record of `seeds` of `task`, whose result `produce()` returns (module doc); the task's
    threads and device are fixed meanwhile (an unavailable device is DeviceError, raised, not recorded)."""
    started, steps_before = time.perf_counter(), runtime.network_steps()
    prediction: Prediction | None = None
    measurement: Measurement | None = None
    alternatives: list[dict[str, Any]] | None = None
    figures: list[str] = []
    error = failure = sensitivity_error = figure_error = None
    with runtime.fixed_threads(task.threads), runtime.on_device(task.device):
        try:
            result = produce()
            prediction = claim.predict(task.setup, result) if claim.predict else Prediction(concat([]), "")
            measurement = claim.measure(task.setup, result)
        except Exception as raised:  # a claim that raises is inconclusive; the run goes on
            failure = traceback.format_exc()
            error = f"the claim raised {type(raised).__name__}: {raised}"
        if failure is None and task.variant == PUBLISHED and claim.sensitivity:
            try:
                alternatives = [_alternative(claim, task.setup, result, field, value)
                                for field, value in choice_values(claim, task.setup)]
            except Exception as raised:  # the verdict stands; the report says the analysis is missing
                sensitivity_error = f"The sensitivity analysis failed: {type(raised).__name__}: {raised}"
        if task.batch == 0 and prediction is not None and measurement is not None and claim.figures is not None:
            try:
                run = ClaimRun(task.setup, seeds, result, prediction, measurement)
                figures = [_png_base64(figure) for figure in claim.figures(run)]
            except Exception as raised:  # the verdict stands; the report says the figure is missing
                figure_error = f"The figure could not be drawn: {type(raised).__name__}: {raised}"
    return {
        "claim": task.claim_id,
        "variant": task.variant,
        "version": task.version,
        "hash": task.batch_hash,
        "batch": task.batch,
        "seeds": list(seeds),
        "threads": task.threads,
        "device": task.device,
        "prediction": _table_rows(prediction.table if prediction else None),
        "measurement": _table_rows(measurement.table if measurement else None),
        "prediction_summary": prediction.summary if prediction else "",
        "measurement_summary": measurement.summary if measurement else "",
        "diverged_seeds": list(measurement.diverged_seeds) if measurement else [],
        "notes": list(measurement.notes) if measurement else [],
        "alternatives": alternatives,
        "figures": figures,
        "error": error,
        "traceback": failure,
        "sensitivity_error": sensitivity_error,
        "figure_error": figure_error,
        "wall_s": time.perf_counter() - started,
        "network_steps": runtime.network_steps() - steps_before,
    }


def _alternative(claim: Claim, setup: Setup, result: Result, field: str, value: Any) -> dict[str, Any]:
    """Both tables at one other value of an analysis choice (the share of seeds needs none: same tables)."""
    entry: dict[str, Any] = {"field": field, "value": value, "prediction": None, "measurement": None,
                             "diverged_seeds": []}
    if field != SHARE:
        chosen = setup.override({field: value})
        prediction = claim.predict(chosen, result) if claim.predict else Prediction(concat([]), "")
        measurement = claim.measure(chosen, result)
        entry.update(prediction=_table_rows(prediction.table), measurement=_table_rows(measurement.table),
                     diverged_seeds=list(measurement.diverged_seeds))
    return entry


def assemble(claim: Claim, task: Task, batches: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The claim record of `task`'s claim-variant from its batch records in batch order (module doc): the
    reconciler runs once, on the joined rows, under the task's BLAS thread count."""
    started = time.perf_counter()
    notes = list(batches[0]["notes"])
    sensitivity: list[dict[str, Any]] = []
    failed = [batch for batch in batches if batch["error"] is not None]
    prediction = measurement = None
    with runtime.blas_threads(task.threads):
        if failed:
            verdict = inconclusive(claim, task.variant, task.seeds, failed[0]["error"])
            failure = failed[0]["traceback"]
        else:
            prediction, measurement, problem = _joined(batches, "prediction", "measurement", "diverged_seeds")
            prediction = Prediction(prediction.table, _summary(batches, "prediction_summary"))
            measurement = dataclasses.replace(measurement, summary=_summary(batches, "measurement_summary"))
            verdict, failure = _verdict(claim, task, prediction, measurement, problem)
        errors = [batch["sensitivity_error"] for batch in batches if batch["sensitivity_error"]]
        if failure is None and task.variant == PUBLISHED and claim.sensitivity:
            if errors:
                notes.append(errors[0])
            else:
                try:
                    sensitivity = summarise(claim, task.setup, verdict.verdict,
                                            lambda field, value: _verdict_at(claim, task, batches, field, value))
                except Exception as error:  # the verdict stands; the report says the analysis is missing
                    notes.append(f"The sensitivity analysis failed: {type(error).__name__}: {error}")
    if batches[0]["figure_error"]:
        notes.append(batches[0]["figure_error"])
    if len(batches) > 1:
        notes.append(f"The seeds ran in {len(batches)} batches of up to {task.setup.seed_batch} (`seed_batch`); the "
                     f"notes and figures above are those of the first batch (seeds {_span(batches[0]['seeds'])}).")
    wall = sum(batch["wall_s"] for batch in batches) + time.perf_counter() - started
    return {
        "claim": task.claim_id,
        "variant": task.variant,
        "version": task.version,
        "hash": task.config_hash,
        "profile": task.profile,
        "setup": task.setup.data(),
        "seeds": list(task.seeds),
        "threads": task.threads,
        "device": task.device,
        "verdict": verdict_to_dict(verdict, wall),
        "prediction_summary": prediction.summary if prediction else "",
        "measurement_summary": measurement.summary if measurement else "",
        "notes": notes,
        "rows": _rows(prediction, measurement),
        "figures": list(batches[0]["figures"]),
        "sensitivity": sensitivity,
        "wall_s": wall,
        "network_steps": sum(int(batch.get("network_steps", 0)) for batch in batches),
        "traceback": failure,
        "batches": [{"batch": batch["batch"], "seeds": batch["seeds"], "hash": batch["hash"],
                     "worker": batch.get("worker"), "wall_s": batch["wall_s"]} for batch in batches],
        "experiments": [{"batch": batch["batch"], **batch["experiment"]} for batch in batches
                        if batch.get("experiment")],
    }


def _verdict(claim: Claim, task: Task, prediction: Prediction, measurement: Measurement,
             problem: str | None) -> tuple[Verdict, str | None]:
    """The reconciled verdict and the traceback (None unless the reconciliation raised)."""
    try:
        missing = missing_quantities(claim, prediction, measurement)
        if problem is not None:
            return inconclusive(claim, task.variant, task.seeds, problem), None
        if missing and not measurement.diverged_seeds:  # with diverged seeds the reconciler says so
            return inconclusive(claim, task.variant, task.seeds,
                                f"the claim's functions did not write the declared quantities {missing}"), None
        return reconcile(claim, prediction, measurement, task.seeds, task.variant), None
    except Exception as error:  # a claim whose rules raise is inconclusive; the run goes on
        return inconclusive(claim, task.variant, task.seeds,
                            f"the claim raised {type(error).__name__}: {error}"), traceback.format_exc()


def _verdict_at(claim: Claim, task: Task, batches: Sequence[Mapping[str, Any]], field: str, value: Any) -> str:
    """The verdict at one other value of an analysis choice, from the batches' tables at that value."""
    if field == SHARE:
        prediction, measurement, problem = _joined(batches, "prediction", "measurement", "diverged_seeds")
        claim = dataclasses.replace(claim, share=value)
    else:
        entries = [next(entry for entry in batch["alternatives"] if entry["field"] == field and entry["value"] == value)
                   for batch in batches]
        prediction, measurement, problem = _joined(entries, "prediction", "measurement", "diverged_seeds")
    if problem is not None:
        return "inconclusive"
    return reconcile(claim, prediction, measurement, task.seeds).verdict


def _joined(parts: Sequence[Mapping[str, Any]], predicted: str, measured: str,
            diverged: str) -> tuple[Prediction, Measurement, str | None]:
    """Both sides joined over the batches (`join_batches`), the union of diverged seeds, and the problem."""
    prediction, first = join_batches([_table(part[predicted]) for part in parts])
    table, second = join_batches([_table(part[measured]) for part in parts])
    seeds = tuple(sorted({int(seed) for part in parts for seed in part[diverged]}))
    return Prediction(prediction, ""), Measurement(table, diverged_seeds=seeds), first or second


def _summary(batches: Sequence[Mapping[str, Any]], name: str) -> str:
    """The batches' summary when they agree, else each batch's with its seeds."""
    texts = [batch[name] for batch in batches]
    if len(set(texts)) == 1:
        return texts[0]
    return "; ".join(f"seeds {_span(batch['seeds'])}: {batch[name]}" for batch in batches)


def _span(seeds: Sequence[int]) -> str:
    return f"{seeds[0]}–{seeds[-1]}" if len(seeds) > 1 else str(seeds[0])


def batches_of(record: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Each batch's seeds, hash, worker and wall time of a claim record (a record written before seed
    batches was one batch)."""
    if "batches" in record:
        return list(record["batches"])
    return [{"batch": 0, "seeds": record["seeds"], "hash": record["hash"], "worker": record.get("worker"),
             "wall_s": record["wall_s"]}]


class Assembly:
    """The records of a run's tasks (module doc). Opening reads and checks every finished claim record
    and, for a claim-variant without one, every finished batch record (a corrupt one is RunDirError)."""

    def __init__(self, tasks: Sequence[Task], store: RunStore) -> None:
        self.store = store
        self.groups: dict[str, list[Task]] = {}
        for task in tasks:
            self.groups.setdefault(task.key, []).append(task)
        self.records = {key: store.finished(key, group[0].config_hash) for key, group in self.groups.items()}
        self.batches: dict[str, dict[int, dict[str, Any]]] = {key: {} for key in self.groups}
        for key, group in self.groups.items():
            if self.records[key] is None and len(group) > 1:
                for task in group:
                    record = store.finished_batch(task.name, task.batch_hash, task.batch_seeds)
                    if record is not None:
                        self.batches[key][task.batch] = record
        self.reused = [key for key, record in self.records.items() if record is not None]
        self.reused_batches = [task.name for key, group in self.groups.items() for task in group
                               if task.batch in self.batches[key]]
        self.pending = [task for key, group in self.groups.items() if self.records[key] is None
                        for task in group if task.batch not in self.batches[key]]

    def add(self, task: Task, record: dict[str, Any]) -> None:
        """Keep a finished batch; once the claim-variant's last batch is in, assemble and save its record."""
        group = self.groups[task.key]
        if len(group) > 1:
            self.store.save_batch(record, task.name)
        self.batches[task.key][task.batch] = record
        if len(self.batches[task.key]) == len(group):
            self._assemble(task.key)

    def _assemble(self, key: str) -> None:
        group = self.groups[key]
        record = assemble(claims()[group[0].claim_id], group[0],
                          [self.batches[key][task.batch] for task in group])
        self.store.save(record, key)
        self.records[key] = record

    def finished(self) -> dict[str, dict[str, Any]]:
        """Every claim-variant's record, in task order (those whose batches were all stored by an earlier
        run that stopped before assembling them are assembled now)."""
        for key, group in self.groups.items():
            if self.records[key] is None and len(self.batches[key]) == len(group):
                self._assemble(key)
        return {key: record for key, record in self.records.items() if record is not None}


def _table_rows(table: pd.DataFrame | None) -> dict[str, list] | None:
    """A tidy table as columns of plain values (None stays None)."""
    if table is None:
        return None
    table = table.astype({"seed": int})  # an empty table must not make seeds floats
    return {column: table[column].tolist() for column in TIDY_COLUMNS}


def _table(rows: Mapping[str, list]) -> pd.DataFrame:
    """A tidy table from `_table_rows` columns, with the tidy dtypes (also when empty)."""
    return pd.DataFrame({column: rows[column] for column in TIDY_COLUMNS}).astype(
        {"seed": int, "x": float, "value": float})


def _rows(prediction: Prediction | None, measurement: Measurement | None) -> dict[str, list]:
    """The tidy rows of both sides, each marked with its origin."""
    frames = [frame.table.assign(origin=origin) for frame, origin in ((prediction, "theory"),
                                                                      (measurement, "measured")) if frame is not None]
    if not frames:
        return {column: [] for column in ROW_COLUMNS}
    rows = pd.concat(frames, ignore_index=True).astype({"seed": int})  # an empty side must not make seeds floats
    return {column: rows[column].tolist() for column in ROW_COLUMNS}


def verdict_to_dict(verdict: Verdict, wall_s: float) -> dict[str, Any]:
    """A verdict as plain data (the per-seed checks included)."""
    data = asdict(verdict)
    data["wall_s"] = wall_s
    data["spread"] = list(verdict.spread)
    data["seeds"] = list(verdict.seeds)
    data["per_seed"] = [asdict(seed_verdict) for seed_verdict in verdict.per_seed]
    return data


def _png_base64(figure: Any) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=FIGURE_DPI, bbox_inches="tight")
    return base64.b64encode(buffer.getvalue()).decode("ascii")
