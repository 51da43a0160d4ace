"""`fpcheck compare RUN_A RUN_B`: two run directories, claim by claim and number by number.

Verdicts, seeds, the set of (seed, quantity, x) rows and every integer value must match exactly; other
values within |a - b| ≤ atol + rtol |b| (defaults rtol 1e-6, atol 1e-12; NaN matches NaN). Same
seed, same machine: the numbers are expected to be bit-identical, and the summary says whether they are.
Wall-clock quantities (named *_seconds, `reports.claim.WALL_CLOCK_SUFFIX`) must have the same rows but
their values are not compared; the summary counts them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from reports.claim import WALL_CLOCK_SUFFIX
from reports.run_store import RunDirError

KEY = ["claim", "seed", "quantity", "x"]


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


def load_run(directory: str | Path) -> tuple[dict[str, dict], pd.DataFrame]:
    """verdicts.json (by claim) and results.csv of a run directory, or RunDirError."""
    root = Path(directory)
    if not root.is_dir():
        raise RunDirError(f"{root} is not a run directory")
    try:
        verdicts = json.loads((root / "verdicts.json").read_text(encoding="utf-8"))
        by_claim = {entry["claim"]: entry for entry in verdicts}
        results = pd.read_csv(root / "results.csv", dtype={"claim": str, "quantity": str})
    except FileNotFoundError as error:
        raise RunDirError(f"{root} is not a finished run: {Path(error.filename).name} is missing") from None
    except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError, pd.errors.ParserError) as error:
        raise RunDirError(f"{root} holds corrupt results ({type(error).__name__}: {error})") from None
    if list(results.columns) != KEY + ["value"]:
        raise RunDirError(f"{root}/results.csv has columns {list(results.columns)}, expected {KEY + ['value']}")
    return by_claim, results


def compare_runs(run_a: str | Path, run_b: str | Path, rtol: float = 1e-6, atol: float = 1e-12) -> Comparison:
    if rtol < 0 or atol < 0:
        raise ValueError("--rtol and --atol must be non-negative")
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
