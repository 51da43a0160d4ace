"""`fpcheck compare RUN_A RUN_B`: two run directories, claim by claim and number by number.

Verdicts (the published setting's and every control's), seeds, the set of (variant, seed, quantity, x)
rows and every integer value must match exactly; other values within |a - b| ≤ atol + rtol |b|
(defaults rtol 1e-6, atol 1e-12; NaN matches NaN). Same seed, same machine: the numbers are expected to
be bit-identical, and the summary says whether they are. Wall-clock quantities (named *_seconds,
`fpcheck.tables.WALL_CLOCK_SUFFIX`) must have the same rows but their values are not compared; the
summary counts them. Tolerances must be finite, 0 ≤ rtol ≤ 1 and 0 ≤ atol ≤ 1 (a tolerance that lets
every number pass is not a check). Runs written before controls existed (no `variant` column) read as
published-only.
"""

from __future__ import annotations

import math
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from fpcheck.errors import BadArgument, RunDirError
from fpcheck.reports.run_store import MAX_JSON_BYTES, read_json_file
from fpcheck.tables import WALL_CLOCK_SUFFIX

KEY = ["claim", "variant", "seed", "quantity", "x"]


@dataclass
class ClaimDifference:
    claim: str
    reasons: list[str] = field(default_factory=list)
    largest: float = 0.0


@dataclass
class Comparison:
    claims: list[str]
    identical: list[str]
    within_tolerance: list[str]
    differences: list[ClaimDifference]
    wall_clock_numbers: int = 0

    @property
    def agree(self) -> bool:
        return not self.differences

    def summary(self) -> str:
        verdict = "runs agree" if self.agree else "runs differ"
        timings = f" ({self.wall_clock_numbers} wall-clock numbers not compared)" if self.wall_clock_numbers else ""
        return (
            f"compare: {verdict}: {len(self.claims)} claims, {len(self.identical)} bit-identical, "
            f"{len(self.within_tolerance)} within tolerance, {len(self.differences)} differing{timings}"
        )


def _verdicts(path: Path) -> dict[str, dict]:
    entries = read_json_file(path, "verdicts.json")
    if not isinstance(entries, list):
        raise RunDirError(f"{path} is corrupt (not a list of verdicts)")
    by_claim = {}
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("claim"), str) or \
                not isinstance(entry.get("verdict"), str) or not isinstance(entry.get("seeds"), list):
            raise RunDirError(f"{path} is corrupt (an entry without a claim, a verdict or seeds)")
        controls = entry.get("controls", [])
        if not isinstance(controls, list) or not all(isinstance(c, dict) and isinstance(c.get("name"), str)
                                                     and isinstance(c.get("verdict"), str) for c in controls):
            raise RunDirError(f"{path} is corrupt (malformed controls of {entry['claim']})")
        by_claim[entry["claim"]] = entry
    return by_claim


def load_run(directory: str | Path) -> tuple[dict[str, dict], pd.DataFrame]:
    """verdicts.json (by claim) and results.csv of a run directory, or RunDirError."""
    root = Path(directory)
    if not root.is_dir():
        raise RunDirError(f"{root} is not a run directory")
    for name in ("verdicts.json", "results.csv"):
        try:
            info = os.stat(root / name)
        except FileNotFoundError:
            raise RunDirError(f"{root} is not a finished run: {name} is missing") from None
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_JSON_BYTES:
            raise RunDirError(f"{root / name} is not a regular file of at most {MAX_JSON_BYTES >> 20} MiB")
    by_claim = _verdicts(root / "verdicts.json")
    try:
        results = pd.read_csv(root / "results.csv", dtype={"claim": str, "quantity": str, "variant": str})
    except (UnicodeDecodeError, ValueError, pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        raise RunDirError(f"{root} holds corrupt results ({type(error).__name__})") from None
    if "variant" not in results.columns:
        results = results.assign(variant="published")
    missing = [column for column in [*KEY, "value"] if column not in results.columns]
    if missing:
        raise RunDirError(f"{root}/results.csv lacks the column(s) {missing}")
    try:
        results = results.astype({"seed": int, "value": float, "x": float})
    except (ValueError, TypeError):
        raise RunDirError(f"{root}/results.csv holds a non-numeric seed, x or value") from None
    return by_claim, results[[*KEY, "value"]]


def check_tolerances(rtol: float, atol: float) -> None:
    for name, value in (("--rtol", rtol), ("--atol", atol)):
        if not isinstance(value, int | float) or not math.isfinite(value) or not 0 <= value <= 1:
            raise BadArgument(f"{name} must be a finite number in [0, 1], not {value!r}")


def compare_runs(run_a: str | Path, run_b: str | Path, rtol: float = 1e-6, atol: float = 1e-12) -> Comparison:
    check_tolerances(rtol, atol)
    verdicts_a, results_a = load_run(run_a)
    verdicts_b, results_b = load_run(run_b)
    claims = sorted(set(verdicts_a) | set(verdicts_b))
    comparison = Comparison(claims, [], [], [])
    for claim in claims:
        difference = ClaimDifference(claim)
        if claim not in verdicts_a or claim not in verdicts_b:
            difference.reasons.append(f"only in {'B' if claim not in verdicts_a else 'A'}")
            comparison.differences.append(difference)
            continue
        a, b = verdicts_a[claim], verdicts_b[claim]
        if a["verdict"] != b["verdict"]:
            difference.reasons.append(f"verdict {a['verdict']} vs {b['verdict']}")
        if a["seeds"] != b["seeds"]:
            difference.reasons.append(f"seeds {a['seeds']} vs {b['seeds']}")
        controls_a = {c["name"]: c["verdict"] for c in a.get("controls", [])}
        controls_b = {c["name"]: c["verdict"] for c in b.get("controls", [])}
        if controls_a != controls_b:
            difference.reasons.append(f"controls {controls_a} vs {controls_b}")
        rows_a, rows_b = results_a[results_a["claim"] == claim], results_b[results_b["claim"] == claim]
        if not np.array_equal(_row_keys(rows_a), _row_keys(rows_b)):
            difference.reasons.append(f"different rows ({len(rows_a)} vs {len(rows_b)} numbers)")
            comparison.differences.append(difference)
            continue
        timed_a, timed_b = (rows["quantity"].str.endswith(WALL_CLOCK_SUFFIX) for rows in (rows_a, rows_b))
        comparison.wall_clock_numbers += int(timed_a.sum())
        identical = _compare_values(rows_a[~timed_a], rows_b[~timed_b], rtol, atol, difference)
        if difference.reasons:
            comparison.differences.append(difference)
        elif identical:
            comparison.identical.append(claim)
        else:
            comparison.within_tolerance.append(claim)
    return comparison


def _row_keys(rows: pd.DataFrame) -> np.ndarray:
    """One string per row from its KEY columns, sorted; a missing x (a scalar quantity) reads 'nan'."""
    return np.sort(np.array(["|".join(map(repr, key)) for key in rows[KEY].itertuples(index=False, name=None)]))


def _compare_values(a: pd.DataFrame, b: pd.DataFrame, rtol: float, atol: float, difference: ClaimDifference) -> bool:
    """Adds the reason values differ (rows with the same keys); True when every number is bit-identical."""
    a, b = a.sort_values(KEY, kind="stable"), b.sort_values(KEY, kind="stable")
    value_a, value_b = a["value"].to_numpy(float), b["value"].to_numpy(float)
    both_nan = np.isnan(value_a) & np.isnan(value_b)
    same = (value_a == value_b) | both_nan
    if same.all():
        return True
    deviation = np.where(same, 0.0, np.abs(value_a - value_b))
    deviation = np.nan_to_num(deviation, nan=np.inf)
    integral = np.isfinite(value_a) & np.isfinite(value_b) & (value_a % 1 == 0) & (value_b % 1 == 0)
    allowed = np.where(integral, 0.0, atol + rtol * np.abs(value_b))
    worst = int(np.argmax(deviation))
    difference.largest = float(deviation[worst])
    if np.any(deviation > allowed):
        row = a.iloc[worst]
        difference.reasons.append(
            f"largest deviation {deviation[worst]:.3g} at seed {row['seed']}, {row['quantity']}, x = {row['x']} "
            f"({value_a[worst]!r} vs {value_b[worst]!r})"
        )
    return False


def format_comparison(comparison: Comparison) -> str:
    lines = [f"{item.claim}: {'; '.join(item.reasons)}" for item in comparison.differences]
    return "\n".join([*lines, comparison.summary()])
