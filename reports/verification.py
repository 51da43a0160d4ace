"""`reports.verify`: the Python API behind `fpcheck verify` (DESIGN.md, "A verification run").

Plans one task per claim, reuses the claims already finished in the output directory (same config
hash), runs the rest with a progress bar, and writes report.md, report.html, results.csv,
verdicts.json, provenance.json and figures/. Returns the verdict table as a pandas DataFrame.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd
from tqdm import tqdm

from empirics.ensemble import PROGRESS_VARIABLE
from reports.catalogue import claims, select
from reports.config import load_config
from reports.executor import executor
from reports.profiles import profile as get_profile
from reports.provenance import git_state, machine, package_versions
from reports.render import render_html, render_markdown
from reports.run_store import RunStore
from reports.task import plan

DEFAULT_OUT = Path("fpcheck-report")
VERDICT_KEYS = ("claim", "expected", "verdict", "margin", "spread", "explanation", "seeds", "wall_s")


def verify(
    ids: Sequence[str] | None = None,
    profile: str = "quick",
    seeds: int | None = None,
    config: str | Path | None = None,
    out: str | Path | None = None,
    progress: bool = True,
    workers: int | None = None,
    scheduler: str | None = None,
) -> pd.DataFrame:
    """Run the claims `ids` (all when None) and write the run directory `out` (./fpcheck-report).

    `seeds` runs seeds 0 … seeds-1 instead of each claim's default; `config` is a TOML file of
    per-claim overrides; `workers` starts a Dask LocalCluster of that many workers and `scheduler`
    (tcp://HOST:PORT) uses a running cluster (see `reports.executor`). Bad input raises ValueError
    (an unknown claim or profile, seeds < 1, a bad config, an unusable output directory, an
    unreachable scheduler) before any claim runs.
    """
    chosen = select(list(ids) if ids else None)
    settings = get_profile(profile)
    if seeds is not None and seeds < 1:
        raise ValueError(f"--seeds must be a positive integer, not {seeds}")
    overrides = load_config(config, claims(), profile) if config is not None else {}
    store = RunStore(out if out is not None else DEFAULT_OUT)
    tasks = [plan(claim, profile, settings.torch_threads, seeds, overrides.get(claim.id)) for claim in chosen]

    started = time.time()
    finished = {task.claim_id: store.finished(task.claim_id, task.config_hash) for task in tasks}
    reused = [claim_id for claim_id, record in finished.items() if record is not None]
    pending = [task for task in tasks if finished[task.claim_id] is None]
    with _training_bars(progress), executor(workers, scheduler) as runner, tqdm(
        total=len(tasks), initial=len(reused), desc="fpcheck verify", unit="claim", disable=not progress
    ) as bar:
        address = runner.address
        for record in runner.run(pending):
            store.save(record)
            finished[record["claim"]] = record
            bar.set_postfix_str(record["claim"])
            bar.update()
    records = [finished[task.claim_id] for task in tasks]

    catalogue = claims()
    provenance = {
        "profile": profile,
        "claims": [task.claim_id for task in tasks],
        "seeds": {task.claim_id: list(task.seeds) for task in tasks},
        "config_file": str(config) if config is not None else None,
        "config_hash": {task.claim_id: task.config_hash for task in tasks},
        "torch_threads": settings.torch_threads,
        "scheduler": address,
        "workers": {record["claim"]: record.get("worker") for record in records},
        "wall_s": {record["claim"]: record["wall_s"] for record in records},
        "reused": reused,
        "run_wall_s": time.time() - started,
        "git": git_state(),
        "packages": package_versions(),
        "machine": machine(),
    }
    store.write_results(records)
    store.write_json("verdicts.json", [verdict_row(record) for record in records])
    store.write_json("provenance.json", provenance)
    store.write_text("report.md", render_markdown(records, catalogue, provenance))
    store.write_text("report.html", render_html(records, catalogue, provenance))
    return verdict_table(records)


@contextmanager
def _training_bars(show: bool) -> Iterator[None]:
    """Without progress, hide the training bars too (FPCHECK_PROGRESS=0, inherited by LocalCluster
    workers) while the run lasts; the variable is restored afterwards."""
    before = os.environ.get(PROGRESS_VARIABLE)
    if not show:
        os.environ[PROGRESS_VARIABLE] = "0"
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(PROGRESS_VARIABLE, None)
        else:
            os.environ[PROGRESS_VARIABLE] = before


def verdict_row(record: dict[str, Any]) -> dict[str, Any]:
    """A verdicts.json entry: claim, expected, verdict, margin, spread, explanation, seeds, wall_s."""
    return {key: record["verdict"][key] for key in VERDICT_KEYS}


def verdict_table(records: Sequence[dict[str, Any]]) -> pd.DataFrame:
    """The verdict table: one row per claim, with `as_expected` and the claim's version and source."""
    catalogue = claims()
    rows = []
    for record in records:
        row = verdict_row(record)
        row["spread_low"], row["spread_high"] = row.pop("spread")
        row["version"] = record["version"]
        row["source"] = catalogue[record["claim"]].source
        row["as_expected"] = row["verdict"] == row["expected"]
        rows.append(row)
    return pd.DataFrame(rows)
