"""`fpcheck.verify`: the Python API behind `fpcheck verify`.

Plans one task per claim and variant (the published setting and each control) and seed batch, and one
stage per experiment that several tasks share (`fpcheck.reports.stage`: trained once), checks every input
(claim ids, profile, seeds, --config, the run directory and the records it will reuse) before anything
runs, reuses the tasks and shared experiments already finished in the output directory (same hash), runs
the rest with a progress bar, and writes report.md, report.html, results.csv, verdicts.json, provenance.json and
figures/. Returns the verdict table as a pandas DataFrame.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd
from tqdm import tqdm

from fpcheck.empirics.runtime import PROGRESS_VARIABLE, check_device
from fpcheck.errors import BadArgument
from fpcheck.reports.catalogue import EXTERNAL_VARIABLE, load_external, select
from fpcheck.reports.claim import Claim
from fpcheck.reports.config import load_config
from fpcheck.reports.executor import executor
from fpcheck.reports.profiles import profile as get_profile
from fpcheck.reports.provenance import git_state, machine, package_versions
from fpcheck.reports.render import render_html, render_markdown, status
from fpcheck.reports.run_store import RunStore
from fpcheck.reports.stage import Stage, plan_stages, share
from fpcheck.reports.task import Assembly, batches_of, plan

DEFAULT_OUT = Path("fpcheck-report")


def verify(
    ids: Sequence[str] | None = None,
    profile: str = "quick",
    seeds: int | None = None,
    config: str | Path | None = None,
    out: str | Path | None = None,
    progress: bool = True,
    workers: int | None = None,
    scheduler: str | None = None,
    controls: bool = True,
    device: str = "cpu",
    claims_from: Sequence[str] = (),
) -> pd.DataFrame:
    """Run the claims `ids` (all when None) and write the run directory `out` (./fpcheck-report).

    `seeds` runs seeds 0 … seeds-1 instead of each claim's default; `config` is a TOML file of
    per-claim setup overrides; `controls=False` skips the controls; `workers` starts a Dask
    LocalCluster of that many workers and `scheduler` (tcp://HOST:PORT) uses a running cluster (they
    spread the claims' seed batches over the workers); `device` ("cpu" or "cuda") is where the
    experiments' tensors live; `claims_from` are files or modules of claims written outside fpcheck
    (`fpcheck.reports.catalogue.load_external`). Bad input raises an `fpcheck.FpcheckError` (a ValueError)
    before any claim runs.
    """
    specs = [str(Path(spec).resolve()) if spec.endswith(".py") else spec for spec in claims_from]
    for spec in specs:
        load_external(spec)
    chosen = select(list(ids) if ids else None)
    settings = get_profile(profile)
    if seeds is not None and (isinstance(seeds, bool) or not isinstance(seeds, int) or seeds < 1):
        raise BadArgument(f"--seeds must be a positive integer, not {seeds!r}")
    check_device(device)
    setups = load_config(config, chosen, profile) if config is not None else {}
    tasks = [task for claim in chosen
             for task in plan(claim, profile, settings.torch_threads, seeds, setups.get(claim.id), controls, device)]
    with RunStore(out if out is not None else DEFAULT_OUT) as store:
        assembly = Assembly(tasks, store)  # finished claims and batches, read back and checked
        stages = share(plan_stages(tasks), assembly.pending, store.has_experiment)  # trained once for several tasks
        stored = {stage.hash: output for stage in {stage.hash: stage for stage in stages.values()}.values()
                  if (output := store.finished_experiment(stage)) is not None}  # read back and checked
        store.remove_stale_temporaries()
        reused = assembly.reused
        experiments = {key: output.record for key, output in stored.items()}
        started = time.time()
        with _training_bars(progress), _external_claims(specs), executor(workers, scheduler, out) as runner, tqdm(
            total=len(tasks), initial=len(tasks) - len(assembly.pending), desc="fpcheck verify", unit="task",
            disable=not progress
        ) as bar:
            address = runner.address
            events = runner.run(assembly.pending, stages, stored)
            del stored  # the runner holds the results read back, until their last task has run
            for item, output in events:
                if isinstance(item, Stage):  # a shared experiment, kept before any task that used it
                    if output.result is not None:  # one that raised is not kept (its tasks' records say why)
                        store.save_experiment(item, output)
                    experiments[item.hash] = output.record
                    bar.set_postfix_str(item.name)
                    continue
                assembly.add(item, output)  # the batch kept; its claim-variant's record once all are in
                bar.set_postfix_str(item.name)
                bar.update()
        records = assembly.finished()
        entries = [claim_entry(claim, records) for claim in chosen]
        provenance = {
            "profile": profile,
            "claims": [claim.id for claim in chosen],
            "controls": controls,
            "seeds": {task.key: list(task.seeds) for task in tasks},
            "config_file": str(config) if config is not None else None,
            "config_hash": {task.key: task.config_hash for task in tasks},
            "torch_threads": settings.torch_threads,
            "scheduler": address,
            "device": device,
            "workers": {key: [batch["worker"] for batch in batches_of(record)] for key, record in records.items()},
            "batches": {key: batches_of(record) for key, record in records.items()},
            "wall_s": {key: record["wall_s"] for key, record in records.items()},
            "reused": reused,
            "reused_batches": assembly.reused_batches,
            "experiments": experiments,
            "run_wall_s": time.time() - started,
            "git": git_state(),
            "packages": package_versions(),
            "machine": machine(),
        }
        store.write_results(records.values())
        store.write_json("verdicts.json", [entry["row"] for entry in entries])
        store.write_json("provenance.json", provenance)
        store.write_text("report.md", render_markdown(entries, provenance))
        store.write_text("report.html", render_html(entries, provenance))
    return verdict_table(entries)


@contextmanager
def _external_claims(specs: Sequence[str]) -> Iterator[None]:
    """$FPCHECK_CLAIMS holds the run's --claims specs while it lasts (LocalCluster workers inherit it)."""
    before = os.environ.get(EXTERNAL_VARIABLE)
    if specs:
        os.environ[EXTERNAL_VARIABLE] = os.pathsep.join(specs)
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(EXTERNAL_VARIABLE, None)
        else:
            os.environ[EXTERNAL_VARIABLE] = before


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


def claim_entry(claim: Claim, records: Mapping[str, dict[str, Any]]) -> dict[str, Any]:
    """Everything the report and verdicts.json say of one claim: its published record, its controls'
    records, and the verdicts.json row."""
    main = records[claim.id]
    controls = [records[f"{claim.id}@{control.name}"] for control in claim.controls
                if f"{claim.id}@{control.name}" in records]
    verdict = main["verdict"]
    control_rows = [
        {"name": record["variant"], "expected": record["verdict"]["expected"], "verdict": record["verdict"]["verdict"],
         "margin": record["verdict"]["margin"], "explanation": record["verdict"]["explanation"]}
        for record in controls
    ]
    row = {
        "claim": claim.id,
        "version": claim.version,
        "expected": verdict["expected"],
        "verdict": verdict["verdict"],
        "margin": verdict["margin"],
        "spread": verdict["spread"],
        "explanation": verdict["explanation"],
        "seeds": verdict["seeds"],
        "wall_s": verdict["wall_s"] + sum(record["verdict"]["wall_s"] for record in controls),
        "null_pass_probability": verdict["null_pass_probability"],
        "controls": control_rows,
        "sensitivity": [row["text"] for row in main.get("sensitivity", [])],
        "uncontrolled": claim.uncontrolled,
        "undiscriminating": claim.undiscriminating,
        "origin": claim.origin,
    }
    row["status"] = status(row)
    return {"claim": claim, "record": main, "controls": controls, "row": row}


def verdict_table(entries: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """The verdict table: one row per claim, with its status, version and source; `as_expected` is
    True when the claim's verdict and every control's verdict are the expected ones."""
    rows = []
    for entry in entries:
        row = dict(entry["row"])
        row["spread_low"], row["spread_high"] = row.pop("spread")
        row["source"] = entry["claim"].source
        row["as_expected"] = row["status"] in ("as expected", "undiscriminating (known)")
        rows.append(row)
    return pd.DataFrame(rows)
