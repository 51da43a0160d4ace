"""A task: one claim in one variant (its published setting or one control) with its seeds.

A task fixes its thread count and receives its setup and seeds explicitly, so its numbers do not depend
on where it runs. `run_task` runs the claim's experiment (in `fpcheck.empirics`), its predict and measure
functions and the reconciler, draws the figures, and returns a plain, JSON-able record: the verdict, the
tidy rows with their origin (`theory` or `measured`), figures as base64 PNG, summaries, notes and wall
time. That record is what the run store writes and the report reads. A claim whose own code raises is
inconclusive with the reason (and the record keeps the traceback); the run goes on.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import time
import traceback
from dataclasses import asdict, dataclass
from typing import Any

import pandas as pd

from fpcheck.empirics import runtime
from fpcheck.empirics.setup import Setup
from fpcheck.reports.catalogue import claims
from fpcheck.reports.claim import PUBLISHED, Claim, ClaimRun, Verdict
from fpcheck.reports.reconcile import inconclusive, missing_quantities, reconcile
from fpcheck.reports.sensitivity import analyse
from fpcheck.tables import TIDY_COLUMNS, Measurement, Prediction, concat

FIGURE_DPI = 110
ROW_COLUMNS = (*TIDY_COLUMNS, "origin")


@dataclass(frozen=True)
class Task:
    claim_id: str
    version: int
    variant: str
    profile: str
    setup: Setup
    seeds: tuple[int, ...]
    threads: int

    @property
    def key(self) -> str:
        """The task's name in a run directory: the claim id, then @control for a control."""
        return self.claim_id if self.variant == PUBLISHED else f"{self.claim_id}@{self.variant}"

    @property
    def config_hash(self) -> str:
        """A digest of everything that fixes the task's numbers; a finished task is reused only on a match."""
        payload = json.dumps(
            {
                "claim": self.claim_id,
                "version": self.version,
                "variant": self.variant,
                "profile": self.profile,
                "setup": self.setup.data(),
                "seeds": list(self.seeds),
                "threads": self.threads,
            },
            sort_keys=True,
        )
        return hashlib.sha256(payload.encode()).hexdigest()[:16]


def plan(claim: Claim, profile: str, threads: int, seeds: int | None = None, setup: Setup | None = None,
         controls: bool = True) -> list[Task]:
    """The tasks of one claim: its published setting, then each control (unless `controls` is False).

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
        tasks.append(Task(claim.id, claim.version, variant, profile, chosen, tuple(range(chosen.seeds)), threads))
    return tasks


def run_task(task: Task) -> dict[str, Any]:
    """Run one task (experiment, prediction, measurement, reconciliation, figures) and return its record."""
    claim = claims()[task.claim_id]
    started = time.perf_counter()
    prediction: Prediction | None = None
    measurement: Measurement | None = None
    notes: list[str] = []
    figures: list[str] = []
    sensitivity: list[dict[str, Any]] = []
    failure = None
    with runtime.fixed_threads(task.threads):
        try:
            result = claim.experiment.run(task.setup, task.seeds)
            prediction = claim.predict(task.setup, result) if claim.predict else Prediction(concat([]), "")
            measurement = claim.measure(task.setup, result)
            missing = missing_quantities(claim, prediction, measurement)
            if missing and not measurement.diverged_seeds:  # with diverged seeds the reconciler says so
                verdict = inconclusive(claim, task.variant, task.seeds,
                                       f"the claim's functions did not write the declared quantities {missing}")
            else:
                verdict = reconcile(claim, prediction, measurement, task.seeds, task.variant)
        except Exception as error:  # a claim that raises is inconclusive; the run goes on
            failure = traceback.format_exc()
            verdict = inconclusive(claim, task.variant, task.seeds,
                                   f"the claim raised {type(error).__name__}: {error}")
        if measurement is not None:
            notes = list(measurement.notes)
        if failure is None and task.variant == PUBLISHED and claim.sensitivity:
            try:
                sensitivity = analyse(claim, task.setup, result, task.seeds, verdict.verdict)
            except Exception as error:  # the verdict stands; the report says the analysis is missing
                notes.append(f"The sensitivity analysis failed: {type(error).__name__}: {error}")
        if prediction is not None and measurement is not None and claim.figures is not None:
            try:
                run = ClaimRun(task.setup, task.seeds, result, prediction, measurement)
                figures = [_png_base64(figure) for figure in claim.figures(run)]
            except Exception as error:  # the verdict stands; the report says the figure is missing
                notes.append(f"The figure could not be drawn: {type(error).__name__}: {error}")
    wall = time.perf_counter() - started
    return {
        "claim": task.claim_id,
        "variant": task.variant,
        "version": task.version,
        "hash": task.config_hash,
        "profile": task.profile,
        "setup": task.setup.data(),
        "seeds": list(task.seeds),
        "threads": task.threads,
        "verdict": verdict_to_dict(verdict, wall),
        "prediction_summary": prediction.summary if prediction else "",
        "measurement_summary": measurement.summary if measurement else "",
        "notes": notes,
        "rows": _rows(prediction, measurement),
        "figures": figures,
        "sensitivity": sensitivity,
        "wall_s": wall,
        "traceback": failure,
    }


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
