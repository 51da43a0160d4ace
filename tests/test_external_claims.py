"""Claims written outside fpcheck: `--claims FILE_OR_MODULE` and the `fpcheck.claims` entry points (installed
package metadata on sys.path, as pip writes it), end to end with the manifold example, and every way a plugin
can fail: one line and exit 2 for --claims, a warning and the built-in catalogue for an entry point, an
inconclusive verdict for a claim whose own code raises."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from fpcheck.reports import catalogue
from fpcheck.reports.cli import main

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "manifold_claim.py"
GOOD_CLAIM = '''
import numpy as np
from dataclasses import dataclass
import fpcheck
from fpcheck import Bound, Claim, Experiment, Measurement, Result, Setup, concat, param, produces, tidy


@dataclass(frozen=True, kw_only=True)
class Halves(Setup):
    fail: bool = False


@dataclass(frozen=True, kw_only=True)
class HalvesResult(Result):
    values: np.ndarray


def run(setup, seeds):
    return HalvesResult(seeds=tuple(seeds), values=np.full(len(seeds), 0.5))


@produces("half")
def measure(setup, result):
    if setup.fail:
        raise RuntimeError("the plugin's own measurement broke")
    return Measurement(concat([tidy(seed, "half", value) for seed, value in zip(result.seeds, result.values)]))


fpcheck.register(Claim(
    id=CLAIM_ID, version=1, source="a test plugin", statement="one half is at most one", expected="agree",
    expected_reason="arithmetic", experiment=Experiment("halves", Halves, HalvesResult, MODULE + ":run", "halves"),
    setups={"quick": Halves(seeds=2, fail=FAIL), "paper": Halves(seeds=2, fail=FAIL)}, measure=measure,
    rules=(Bound("half", 1.0),)))
'''


def plugin(directory: Path, name: str, claim_id: str, fail: bool = False, body: str | None = None) -> Path:
    path = directory / f"{name}.py"
    path.write_text(f"CLAIM_ID = {claim_id!r}\nMODULE = {name!r}\nFAIL = {fail}\n" + (body or GOOD_CLAIM))
    return path


@pytest.fixture(autouse=True)
def clean_catalogue():
    """Each test sees the built-in catalogue only, and leaves it so."""
    before = dict(catalogue.claims())
    loaded = dict(catalogue._LOADED)
    yield
    catalogue._CATALOGUE.clear()
    catalogue._CATALOGUE.update(before)
    catalogue._LOADED.clear()
    catalogue._LOADED.update(loaded)


def test_the_manifold_example_reaches_its_expected_verdict(tmp_path, capsys) -> None:
    out = tmp_path / "run"
    assert main(["verify", "--claims", str(EXAMPLE), "rahaman2019x.resonant-petals", "--out", str(out),
                 "--quiet"]) == 0
    (row,) = json.loads((out / "verdicts.json").read_text())
    assert row["verdict"] == "agree" and row["origin"] == f"file {EXAMPLE}"
    assert [(control["name"], control["verdict"]) for control in row["controls"]] == [("unit-circle", "diverge")]
    assert "(from file" in _listing(["list", "--claims", str(EXAMPLE)], capsys)


def _listing(argv: list[str], capsys) -> str:
    capsys.readouterr()
    assert main(argv) == 0
    return capsys.readouterr().out


PROBLEMS = {
    "syntax": ("def broken(:\n", "SyntaxError"),
    "raises": ("raise RuntimeError('no GPU here')\n", "RuntimeError: no GPU here"),
    "nothing": ("x = 1\n", "registered no claim"),
    "duplicate": (GOOD_CLAIM.replace("id=CLAIM_ID", "id='xu2019.large-init'"), "registered twice"),
    "malformed": (GOOD_CLAIM.replace('rules=(Bound("half", 1.0),)', 'rules=(Bound("whole", 1.0),)'), "'whole'"),
}


@pytest.mark.parametrize("problem", sorted(PROBLEMS))
def test_a_claims_file_that_fails_is_one_line_and_exit_2(problem, tmp_path, capsys) -> None:
    body, message = PROBLEMS[problem]
    path = plugin(tmp_path, f"plugin_{problem}", f"test.{problem}", body=GOOD_CLAIM + body
                  if problem in ("raises", "syntax") else body)
    before = set(catalogue.claims())
    assert main(["verify", "--claims", str(path), "--out", str(tmp_path / "out")]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "Traceback" not in error and message in error and str(path) in error
    assert set(catalogue.claims()) == before  # nothing half-registered
    assert not (tmp_path / "out").exists()


def test_an_unknown_module_or_path_is_one_line(tmp_path, capsys) -> None:
    for spec in (str(tmp_path / "absent.py"), "no_such_module_of_claims", "not a module"):
        assert main(["list", "--claims", spec]) == 2
        assert capsys.readouterr().err.count("\n") == 1


def test_an_external_claim_that_raises_is_inconclusive_and_the_rest_still_runs(tmp_path) -> None:
    good = plugin(tmp_path, "plugin_good", "test.good")
    broken = plugin(tmp_path, "plugin_broken", "test.broken", fail=True)
    out = tmp_path / "out"
    code = main(["verify", "--claims", str(good), "--claims", str(broken), "test.broken", "test.good",
                 "rahaman2019.relu-decay-k2", "--no-controls", "--quiet", "--out", str(out)])
    rows = {row["claim"]: row for row in json.loads((out / "verdicts.json").read_text())}
    assert code == 1  # the broken claim is not as expected
    assert rows["test.broken"]["verdict"] == "inconclusive"
    assert "the plugin's own measurement broke" in rows["test.broken"]["explanation"]
    assert rows["test.good"]["verdict"] == "agree" and rows["rahaman2019.relu-decay-k2"]["verdict"] == "agree"
    assert "uncontrolled" in (out / "report.md").read_text()  # an external claim without control says so


def _installed(site: Path, name: str, module: str) -> None:
    """A distribution as pip installs it: metadata with an `fpcheck.claims` entry point."""
    info = site / f"{name}-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(f"[fpcheck.claims]\n{name} = {module}\n")


def _fpcheck(site: Path, *argv: str) -> subprocess.CompletedProcess:
    environment = {**os.environ, "PYTHONPATH": str(site)}
    return subprocess.run([sys.executable, "-m", "fpcheck.reports.cli", *argv], capture_output=True, text=True,
                          env=environment, timeout=600, check=False)


def test_an_installed_entry_point_adds_its_claims(tmp_path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    shutil.copy(EXAMPLE, site / "manifold_claim.py")
    _installed(site, "petals", "manifold_claim")
    listing = _fpcheck(site, "list", "--json")
    assert listing.returncode == 0, listing.stderr
    origins = {entry["id"]: entry["origin"] for entry in json.loads(listing.stdout)}
    assert origins["rahaman2019x.resonant-petals"] == "entry point petals (manifold_claim)"
    assert origins["xu2019.large-init"] == "built-in"
    run = _fpcheck(site, "verify", "rahaman2019x.resonant-petals", "--seeds", "1", "--no-controls", "--quiet",
                   "--out", str(tmp_path / "out"))
    assert run.returncode == 0, run.stderr
    (row,) = json.loads((tmp_path / "out" / "verdicts.json").read_text())
    assert row["verdict"] == "agree"


def test_a_broken_entry_point_is_skipped_with_a_warning(tmp_path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "broken_claims.py").write_text("raise ImportError('missing dependency')\n")
    _installed(site, "broken", "broken_claims")
    listing = _fpcheck(site, "list", "--json")
    assert listing.returncode == 0
    assert "warning: skipped the claims of entry point broken" in listing.stderr
    assert listing.stderr.count("\n") == 1
    assert {"xu2019.large-init", "rahaman2019.relu-decay-k2"} <= {entry["id"] for entry in json.loads(listing.stdout)}
