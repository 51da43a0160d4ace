"""The reference paper run (`reference/paper`, `fpcheck.reports.reference`): every committed record is current or
listed in STALE (the CI staleness check), and the states, the README and the refusals on a small reference built
here from a real paper run of one cheap claim."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import fpcheck
from fpcheck.errors import RunDirError
from fpcheck.reports import reference
from fpcheck.reports.cli import main

ROOT = Path(__file__).resolve().parents[1] / "reference" / "paper"
CHEAP = "luo2019.initial-stage"


def test_every_committed_reference_record_is_current_or_listed_in_stale():
    rows = reference.entries(ROOT)
    stale = [f"{row.key} ({row.reason})" for row in rows if row.state == "stale"]
    assert not stale, f"stale reference records: {stale}; rerun them or list them in reference/paper/STALE"
    assert any(row.state == "current" for row in rows)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert readme == reference.render_readme(ROOT), "reference/paper/README.md is out of date: python -m " \
                                                     "fpcheck.reports.reference readme"


@pytest.fixture(scope="module")
def paper_run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("paper") / "run"
    fpcheck.verify([CHEAP], profile="paper", out=out, progress=False)
    return out


def test_a_reference_built_from_a_run_is_current_and_goes_stale_when_its_hash_changes(paper_run, tmp_path):
    root = tmp_path / "reference"
    assert sorted(reference.add(paper_run, root)) == [CHEAP, f"{CHEAP}@smooth-target"]
    record = json.loads((root / "claims" / f"{CHEAP}.json").read_text())
    assert record["figures"] == [] and json.loads((paper_run / "claims" / f"{CHEAP}.json").read_text())["figures"]
    states = {row.key: row.state for row in reference.entries(root)}
    assert states[CHEAP] == states[f"{CHEAP}@smooth-target"] == "current"
    assert sum(state == "missing" for state in states.values()) == len(states) - 2
    assert reference.complete_claims(root) == [CHEAP]

    (root / "claims" / f"{CHEAP}.json").write_text(json.dumps({**record, "hash": "0" * 16}))
    (stale,) = [row for row in reference.entries(root) if row.key == CHEAP]
    assert stale.state == "stale" and "0000000000000000" in stale.reason
    assert reference.complete_claims(root) == []
    (root / "STALE").write_text(f"# known\n{CHEAP}: the bound was reconstructed again\n")
    (listed,) = [row for row in reference.entries(root) if row.key == CHEAP]
    assert listed.state == "listed" and listed.reason == "the bound was reconstructed again"
    assert reference.complete_claims(root) == []  # listed is pending: `results` would have to retrain it
    assert "pending (stale: the bound was reconstructed again)" in reference.render_readme(root)


def test_a_broken_reference_is_one_line_and_exit_2(paper_run, tmp_path, capsys):
    root = tmp_path / "reference"
    reference.add(paper_run, root)
    (root / "STALE").write_text("no colon here\n")
    with pytest.raises(RunDirError, match="expected 'key: reason'"):
        reference.entries(root)
    assert reference.main(["readme", "--reference", str(root)]) == 2
    assert capsys.readouterr().err.count("\n") == 1
    (root / "STALE").unlink()
    (root / "claims" / "nobody.claim.json").write_text((root / "claims" / f"{CHEAP}.json").read_text())
    with pytest.raises(RunDirError, match="no planned claim-variant: nobody.claim"):
        reference.entries(root)
    (root / "claims" / "nobody.claim.json").unlink()
    (root / "claims" / f"{CHEAP}.json").write_text('{"claim": 3}')
    with pytest.raises(RunDirError, match="corrupt"):
        reference.entries(root)


def test_compare_against_a_reference_made_from_the_same_run_is_bit_identical(paper_run, tmp_path, capsys):
    """`python -m fpcheck.reports.reference add RUN --reference R` copies, writes the results from the records
    (a recomputed task would have rewritten its record with figures and a new wall time) and the README; the
    reference then compares bit-identical."""
    root = tmp_path / "reference"
    assert reference.main(["add", str(paper_run), "--reference", str(root)]) == 0
    original = json.loads((paper_run / "claims" / f"{CHEAP}.json").read_text())
    kept = json.loads((root / "claims" / f"{CHEAP}.json").read_text())
    assert kept["figures"] == [] and kept["wall_s"] == original["wall_s"]
    assert f"`{CHEAP}`" in (root / "README.md").read_text() and (root / "results.csv").is_file()
    assert main(["compare", str(paper_run), str(root), "--rtol", "0", "--atol", "0"]) == 0
    assert "1 bit-identical" in capsys.readouterr().out
