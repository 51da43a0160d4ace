"""`fpcheck compare` on equal, slightly different, differently shaped and broken run directories."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pandas as pd
import pytest
from toy_claims import make_claim

from fpcheck import verify
from fpcheck.reports.compare import compare_runs
from fpcheck.reports.run_store import RunDirError


@pytest.fixture
def runs(tmp_path, registered):
    registered(make_claim("toy.exact"))
    registered(make_claim("toy.perturbed", perturbation=1e-3, seeds=2))
    first, second = tmp_path / "a", tmp_path / "b"
    verify(["toy.exact", "toy.perturbed"], out=first, progress=False)
    verify(["toy.exact", "toy.perturbed"], out=second, progress=False)
    return first, second


def fpcheck(*args):
    return subprocess.run([sys.executable, "-m", "fpcheck.reports.cli", *args], capture_output=True, text=True,
                          check=False)


def shift_value(run, claim, relative):
    results = pd.read_csv(run / "results.csv")
    row = results.index[(results["claim"] == claim) & (results["quantity"] == "quadrature")][0]
    results.loc[row, "value"] *= 1 + relative
    results.to_csv(run / "results.csv", index=False, float_format="%.17g")


def test_two_runs_with_the_same_seeds_are_bit_identical(runs):
    comparison = compare_runs(*runs)
    assert comparison.agree
    assert comparison.identical == ["toy.exact", "toy.perturbed"]
    done = fpcheck("compare", *map(str, runs))
    assert done.returncode == 0
    assert done.stdout.strip().splitlines()[-1].startswith("compare: runs agree: 2 claims, 2 bit-identical")


def test_a_deviation_within_tolerance_agrees_and_beyond_it_differs(runs):
    first, second = runs
    shift_value(second, "toy.exact", 1e-9)
    comparison = compare_runs(first, second)
    assert comparison.agree and comparison.within_tolerance == ["toy.exact"]
    shift_value(second, "toy.exact", 1e-4)
    comparison = compare_runs(first, second, rtol=1e-6)
    assert [item.claim for item in comparison.differences] == ["toy.exact"]
    assert comparison.differences[0].largest == pytest.approx(0.5 * 1e-4, rel=1e-3)
    done = fpcheck("compare", str(first), str(second))
    assert done.returncode == 1
    assert "toy.exact: largest deviation" in done.stdout
    assert fpcheck("compare", str(first), str(second), "--rtol", "1e-3").returncode == 0


def add_rows(run, rows):
    results = pd.read_csv(run / "results.csv")
    extra = pd.DataFrame(rows, columns=["claim", "seed", "quantity", "x", "value"])
    pd.concat([results, extra], ignore_index=True).to_csv(run / "results.csv", index=False, float_format="%.17g")


def test_scalars_compare_and_wall_clock_times_are_counted_not_compared(runs):
    """Scalar rows (no x, read back as NaN) and *_seconds rows, as real claims write them."""
    first, second = runs
    add_rows(first, [("toy.exact", 0, "steps_taken", None, 12.0), ("toy.exact", 0, "fit_seconds", None, 0.50)])
    add_rows(second, [("toy.exact", 0, "steps_taken", None, 12.0), ("toy.exact", 0, "fit_seconds", None, 0.73)])
    comparison = compare_runs(first, second, rtol=0, atol=0)
    assert comparison.agree and "toy.exact" in comparison.identical
    assert comparison.wall_clock_numbers == 1
    reversed_rows = pd.read_csv(second / "results.csv").iloc[::-1]  # row order is not part of a run
    reversed_rows.to_csv(second / "results.csv", index=False, float_format="%.17g")
    assert compare_runs(first, second, rtol=0, atol=0).agree
    assert comparison.summary().endswith("(1 wall-clock numbers not compared)")
    add_rows(second, [("toy.exact", 0, "extra_seconds", None, 0.1)])  # a timing row only B has: rows differ
    assert "different rows" in compare_runs(first, second).differences[0].reasons[0]
    add_rows(first, [("toy.exact", 0, "extra_seconds", None, 0.1)])
    add_rows(first, [("toy.exact", 1, "steps_taken", None, 12.0)])  # a scalar that differs in B: 13 ≠ 12
    add_rows(second, [("toy.exact", 1, "steps_taken", None, 13.0)])
    assert "largest deviation 1" in compare_runs(first, second).differences[0].reasons[0]


def test_runs_with_other_claims_seeds_or_verdicts_differ(runs, tmp_path):
    first, second = runs
    verify(["toy.exact"], seeds=2, out=tmp_path / "fewer", progress=False)
    comparison = compare_runs(first, tmp_path / "fewer")
    reasons = {item.claim: " ".join(item.reasons) for item in comparison.differences}
    assert "seeds" in reasons["toy.exact"] and "only in A" in reasons["toy.perturbed"]
    verdicts = json.loads((second / "verdicts.json").read_text())
    verdicts[0]["verdict"] = "diverge"
    (second / "verdicts.json").write_text(json.dumps(verdicts))
    assert "verdict agree vs diverge" in compare_runs(first, second).differences[0].reasons[0]


def test_missing_or_corrupt_runs_are_bad_input(runs, tmp_path):
    first, second = runs
    with pytest.raises(RunDirError, match="not a run directory"):
        compare_runs(first, tmp_path / "absent")
    broken = tmp_path / "broken"
    shutil.copytree(second, broken)
    (broken / "verdicts.json").write_text("[{")
    with pytest.raises(RunDirError, match="corrupt"):
        compare_runs(first, broken)
    (broken / "results.csv").unlink()
    done = fpcheck("compare", str(first), str(broken))
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
