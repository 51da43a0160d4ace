"""A task: one claim with one batch of seeds, run where the executor puts it (DESIGN.md, "Scale").

A task fixes its torch thread count and receives its seeds explicitly, so its numbers do not depend on
where it runs. `run_task` returns a plain, JSON-able record (verdict, tidy rows, figures as PNG
bytes in base64, summaries, notes, wall time): that is what the run store writes and the report reads.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import pandas as pd

from reports.catalogue import claims
from reports.claim import TIDY_COLUMNS, Claim, Measurement, Prediction, SeedVerdict, Verdict
from reports.reconcile import inconclusive, reconcile

FIGURE_DPI = 110


@dataclass(frozen=True)
class Task:
    claim_id: str
    version: int
    profile: str
    params: Mapping[str, Any]
    seeds: tuple[int, ...]
    torch_threads: int

    @property
    def config_hash(self) -> str:
        """A digest of everything that fixes the task's numbers; a finished claim is reused only on a match."""
        payload = json.dumps(
            {
                "claim": self.claim_id,
                "version": self.version,
                "profile": self.profile,
                "params": dict(self.params),
                "seeds": list(self.seeds),
                "torch_threads": self.torch_threads,
            },
            sort_keys=True,
        )
        return hashlib.sha256(payload.encode()).hexdigest()[:16]


def plan(
    claim: Claim,
    profile: str,
    torch_threads: int,
    seeds: int | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Task:
    """The task of one claim: its setup for the profile, overridden by --config, then by --seeds."""
    if profile not in claim.setup:
        raise ValueError(f"claim {claim.id} has no {profile!r} profile")
    params = {**claim.setup[profile], **(overrides or {})}
    count = int(params["seeds"]) if seeds is None else int(seeds)
    params["seeds"] = count
    return Task(claim.id, claim.version, profile, params, tuple(range(count)), torch_threads)


def run_task(task: Task) -> dict[str, Any]:
    """Run one task (prediction, measurement, reconciliation, figures) and return its record.

    The torch intra-op threads and the BLAS threads of numpy/scipy are both fixed to the task's
    thread count, so its numbers do not depend on the machine or executor it runs on.
    """
    import torch
    from threadpoolctl import threadpool_limits

    torch.set_num_threads(task.torch_threads)
    with threadpool_limits(limits=task.torch_threads):
        return _run(task)


def _run(task: Task) -> dict[str, Any]:
    claim = claims()[task.claim_id]
    started = time.perf_counter()
    prediction: Prediction | None = None
    measurement: Measurement | None = None
    try:
        prediction = claim.predict(task.params, task.seeds)
        measurement = claim.measure(task.params, task.seeds)
        verdict = reconcile(claim, prediction, measurement, task.seeds)
    except Exception as error:  # a claim that raises is inconclusive; the run goes on (DESIGN.md)
        verdict = inconclusive(claim, task.seeds, f"the claim raised {type(error).__name__}: {error}")
    notes = list(measurement.notes) if measurement else []
    figures: list[str] = []
    if prediction is not None and measurement is not None and claim.figures is not None:
        try:
            figures = [_png_base64(figure) for figure in claim.figures(prediction, measurement, task.params)]
        except Exception as error:  # the verdict stands; the report says the figure is missing
            notes.append(f"The figure could not be drawn: {type(error).__name__}: {error}")
    wall = time.perf_counter() - started
    tables = [frame for frame in (prediction, measurement) if frame is not None]
    rows = pd.concat([frame.table for frame in tables], ignore_index=True) if tables else None
    return {
        "claim": task.claim_id,
        "version": task.version,
        "hash": task.config_hash,
        "profile": task.profile,
        "params": dict(task.params),
        "seeds": list(task.seeds),
        "torch_threads": task.torch_threads,
        "verdict": verdict_to_dict(verdict, wall),
        "prediction_summary": prediction.summary if prediction else "",
        "measurement_summary": measurement.summary if measurement else "",
        "notes": notes,
        "rows": {column: [] for column in TIDY_COLUMNS}
        if rows is None
        else {column: rows[column].tolist() for column in TIDY_COLUMNS},
        "figures": figures,
        "wall_s": wall,
    }


def verdict_to_dict(verdict: Verdict, wall_s: float) -> dict[str, Any]:
    """A verdict as plain data (the per-seed checks included)."""
    data = asdict(verdict)
    data["wall_s"] = wall_s
    data["spread"] = list(verdict.spread)
    data["seeds"] = list(verdict.seeds)
    data["per_seed"] = [asdict(seed_verdict) for seed_verdict in verdict.per_seed]
    return data


def verdict_from_dict(data: Mapping[str, Any]) -> Verdict:
    """The inverse of `verdict_to_dict`."""
    per_seed = tuple(
        SeedVerdict(item["seed"], item["holds"], item["margin"], tuple(item["details"]))
        for item in data["per_seed"]
    )
    return Verdict(
        claim=data["claim"],
        version=data["version"],
        expected=data["expected"],
        verdict=data["verdict"],
        margin=data["margin"],
        spread=(data["spread"][0], data["spread"][1]),
        explanation=data["explanation"],
        seeds=tuple(data["seeds"]),
        wall_s=data["wall_s"],
        per_seed=per_seed,
    )


def _png_base64(figure: Any) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=FIGURE_DPI, bbox_inches="tight")
    return base64.b64encode(buffer.getvalue()).decode("ascii")
