"""`fpcheck.verify` end to end: files written, report agrees with verdicts, resume, bad input (toy and real claims)."""

from __future__ import annotations

import base64
import dataclasses
import json
import os
from html.parser import HTMLParser

import pandas as pd
import pytest
from toy_claims import MISSED, SHIFTED, make_claim

import fpcheck.reports.executor
import fpcheck.reports.task
from fpcheck import verify
from fpcheck.empirics.runtime import PROGRESS_VARIABLE
from fpcheck.errors import ConfigError, RunDirError


class ReportParser(HTMLParser):
    """Collects the verdict table rows and the images of report.html."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[str, str] = {}
        self.images: list[str] = []
        self._claim: str | None = None
        self._in_verdict = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "tr" and "data-claim" in attributes:
            self._claim = attributes["data-claim"]
        if tag == "td" and attributes.get("class") == "verdict":
            self._in_verdict = True
        if tag == "img":
            self.images.append(attributes["src"])

    def handle_data(self, data):
        if self._in_verdict and data.strip():
            self.rows[self._claim] = data.strip()
            self._in_verdict = False


@pytest.fixture
def toys(registered):
    return [
        registered(make_claim("toy.exact", controls=(SHIFTED,))),
        registered(make_claim("toy.perturbed", expected="agree", perturbation=1e-3, seeds=2)),
    ]


def test_verify_writes_a_consistent_run_directory(tmp_path, toys):
    table = verify(["toy.exact", "toy.perturbed"], out=tmp_path, progress=False)
    assert list(table["claim"]) == ["toy.exact", "toy.perturbed"]
    assert list(table["verdict"]) == ["agree", "inconclusive"]  # seed 0 exact, seed 1 perturbed: 1/2 held
    assert list(table["as_expected"]) == [True, False]

    verdicts = json.loads((tmp_path / "verdicts.json").read_text())
    assert [set(entry) for entry in verdicts] == [
        {"claim", "version", "expected", "verdict", "margin", "spread", "explanation", "seeds", "wall_s",
         "null_pass_probability", "controls", "sensitivity", "uncontrolled", "undiscriminating", "origin",
         "status"}
    ] * 2
    shifted = verdicts[0]["controls"]
    assert [(c["name"], c["expected"], c["verdict"]) for c in shifted] == [("shifted", "diverge", "diverge")]
    assert shifted[0]["margin"] < 0  # every integral is 0.1 too large: the equality fails by a lot
    assert verdicts[1]["controls"] == [] and verdicts[1]["uncontrolled"] == "a test fixture"
    parser = ReportParser()
    parser.feed((tmp_path / "report.html").read_text())
    assert parser.rows == {entry["claim"]: entry["verdict"] for entry in verdicts}
    assert len(parser.images) == 3  # the control's figure is shown beside the published one
    for source in parser.images:
        assert source.startswith("data:image/png;base64,")
        assert base64.b64decode(source.split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"
    assert sorted(path.name for path in (tmp_path / "figures").iterdir()) == [
        "toy.exact-1.png", "toy.exact@shifted-1.png", "toy.perturbed-1.png"]

    results = pd.read_csv(tmp_path / "results.csv")
    assert list(results.columns) == ["claim", "variant", "seed", "quantity", "x", "value", "origin"]
    assert set(results[results["claim"] == "toy.exact"]["variant"]) == {"published", "shifted"}
    perturbed = results[(results["claim"] == "toy.perturbed") & (results["quantity"] == "quadrature")]
    assert perturbed[perturbed["seed"] == 1]["value"].iloc[0] == pytest.approx(0.5 + 1e-3)

    provenance = json.loads((tmp_path / "provenance.json").read_text())
    assert provenance["profile"] == "quick"
    assert provenance["seeds"] == {"toy.exact": [0, 1, 2], "toy.exact@shifted": [0, 1, 2], "toy.perturbed": [0, 1]}
    assert set(provenance["wall_s"]) == {"toy.exact", "toy.exact@shifted", "toy.perturbed"}
    assert "torch" in provenance["packages"] and "commit" in provenance["git"]
    markdown = (tmp_path / "report.md").read_text()
    assert markdown.index("| claim |") < markdown.index("## `toy.exact`")
    assert "shifted" in markdown and "adding 0.1 to the integrand" in markdown  # the control and its mechanism


def test_a_control_that_misses_its_verdict_makes_the_claim_undiscriminating(tmp_path, registered):
    registered(make_claim("toy.blind", controls=(SHIFTED, MISSED)))
    table = verify(["toy.blind"], out=tmp_path, progress=False)
    assert table.loc[0, "verdict"] == "agree" and table.loc[0, "expected"] == "agree"
    assert table.loc[0, "status"] == "undiscriminating" and not table.loc[0, "as_expected"]
    controls = {c["name"]: c for c in json.loads((tmp_path / "verdicts.json").read_text())[0]["controls"]}
    assert controls["missed"]["verdict"] == "agree" and controls["missed"]["expected"] == "diverge"
    assert controls["shifted"]["verdict"] == "diverge"
    skipped = verify(["toy.blind"], out=tmp_path / "skipped", progress=False, controls=False)
    assert skipped.loc[0, "as_expected"]
    assert json.loads((tmp_path / "skipped" / "verdicts.json").read_text())[0]["controls"] == []


def test_a_recorded_miss_is_a_known_finding_until_the_control_hits(tmp_path, registered):
    finding = "the control missed on the catalogue seeds: verdict agree, margin +1 (a recorded finding)"
    registered(dataclasses.replace(make_claim("toy.known", controls=(SHIFTED, MISSED)), undiscriminating=finding))
    registered(dataclasses.replace(make_claim("toy.outdated", controls=(SHIFTED,)), undiscriminating=finding))
    table = verify(["toy.known", "toy.outdated"], out=tmp_path, progress=False).set_index("claim")
    assert table.loc["toy.known", "status"] == "undiscriminating (known)" and table.loc["toy.known", "as_expected"]
    assert table.loc["toy.outdated", "status"] == "differs" and not table.loc["toy.outdated", "as_expected"]
    assert finding in (tmp_path / "report.md").read_text()
    with pytest.raises(ValueError, match="undiscriminating records a control"):
        dataclasses.replace(make_claim("toy.none"), undiscriminating=finding)


def test_the_null_pass_probability_of_an_order_rule_reaches_the_verdict(tmp_path, registered):
    registered(make_claim("toy.ordered", order=True))
    table = verify(["toy.ordered"], out=tmp_path, progress=False)
    assert table.loc[0, "verdict"] == "agree"  # the integrals 1/(n+1) decrease strictly with n: ρ = -1
    # ρ ≤ -0.9 over 5 items: only the reversed order and the 4 orders one adjacent swap away pass (ρ = -0.9)
    assert table.loc[0, "null_pass_probability"] == pytest.approx(5 / 120)


def test_seeds_and_config_override_the_setup(tmp_path, toys):
    config = tmp_path / "override.toml"
    config.write_text('[claim."toy.exact"]\nperturbation = 0.01\n')
    table = verify(["toy.exact"], seeds=2, config=config, out=tmp_path / "run", progress=False)
    assert table.loc[0, "seeds"] == [0, 1]
    assert table.loc[0, "verdict"] == "inconclusive"  # seed 0 unperturbed holds, seed 1 fails: 1/2


def test_resume_recomputes_only_unfinished_claims(tmp_path, toys, monkeypatch):
    calls: list[str] = []
    original = fpcheck.reports.task.run_task

    def interrupted(task, shared=None):
        calls.append(task.claim_id)
        if task.claim_id == "toy.perturbed":
            raise KeyboardInterrupt
        return original(task, shared)

    monkeypatch.setattr(fpcheck.reports.executor, "run_task", interrupted)
    with pytest.raises(KeyboardInterrupt):
        verify(["toy.exact", "toy.perturbed"], out=tmp_path, progress=False)
    assert (tmp_path / "claims" / "toy.exact.json").exists()
    assert not (tmp_path / "claims" / "toy.perturbed.json").exists()

    calls.clear()
    monkeypatch.setattr(fpcheck.reports.executor, "run_task",
                        lambda task, shared=None: calls.append(task.claim_id) or original(task, shared))
    resumed = verify(["toy.exact", "toy.perturbed"], out=tmp_path, progress=False)
    assert calls == ["toy.perturbed"]
    fresh = verify(["toy.exact", "toy.perturbed"], out=tmp_path / "fresh", progress=False)
    pd.testing.assert_frame_equal(resumed.drop(columns="wall_s"), fresh.drop(columns="wall_s"))

    calls.clear()
    verify(["toy.exact"], seeds=1, out=tmp_path, progress=False)  # another config hash: recomputed
    assert calls == ["toy.exact", "toy.exact"]  # the published setting and its control


def test_a_claim_that_raises_is_inconclusive_and_the_run_goes_on(tmp_path, registered):
    from fpcheck.tables import produces

    @produces("quadrature")
    def broken_measure(setup, result):
        raise RuntimeError("the solver exploded")

    claim = make_claim("toy.broken")
    registered(dataclasses.replace(claim, measure=broken_measure))
    registered(make_claim("toy.fine"))
    table = verify(["toy.broken", "toy.fine"], out=tmp_path, progress=False)
    assert list(table["verdict"]) == ["inconclusive", "agree"]
    assert "RuntimeError: the solver exploded" in table.loc[0, "explanation"]


def test_bad_input_is_rejected_before_any_claim_runs(tmp_path, toys):
    with pytest.raises(ValueError, match="unknown claim id 'nope'"):
        verify(["nope"], out=tmp_path / "a", progress=False)
    with pytest.raises(ValueError, match="--seeds"):
        verify(["toy.exact"], seeds=0, out=tmp_path / "b", progress=False)
    with pytest.raises(ValueError, match="unknown profile"):
        verify(["toy.exact"], profile="huge", out=tmp_path / "c", progress=False)
    file_out = tmp_path / "a-file"
    file_out.write_text("not a directory")
    with pytest.raises(RunDirError, match="is a file"):
        verify(["toy.exact"], out=file_out, progress=False)
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[claim.\"toy.exact\"\nperturbation = 1", "not valid TOML"),
        ("[claim.\"toy.unknown\"]\nperturbation = 1.0", "unknown claim"),
        ("[claim.\"toy.exact\"]\nwidth = 3", "ToySetup has no field 'width'"),
        ("[claim.\"toy.exact\"]\nperturbation = \"big\"", "expected a number"),
        ("[claim.\"toy.exact\"]\nseeds = 0", "seeds = 0 is below its minimum 1"),
        ("[claim.\"toy.exact\"]\nperturbation = nan", "perturbation = nan is not finite"),
        ("[claim.\"toy.exact\"]\nperturbation = -inf", "is not finite"),
        ("[claim.\"toy.exact\"]\nrepeats = 2.5", "repeats = 2.5 is a float, expected an int"),
        ("profile = \"quick\"", "unknown top-level key"),
    ],
)
def test_malformed_config_is_bad_input(tmp_path, toys, content, message):
    config = tmp_path / "bad.toml"
    config.write_text(content)
    with pytest.raises(ConfigError, match=message):
        verify(["toy.exact"], config=config, out=tmp_path / "run", progress=False)


@pytest.mark.parametrize(
    ("claim_id", "line", "message"),
    [
        ("xu2019.fprinciple-1d", "frequencies = [0, 3, 5]", "frequencies\\[0\\] must be positive, not 0"),
        ("xu2019.large-init", "lr = nan", "lr = nan is not finite"),
        ("xu2019.early-stopping", "hidden = [64, 0, 64]", "hidden\\[1\\] must be positive"),
        ("xu2019.fprinciple-1d", "points = 1e9", "points = 1000000000.0 is a float, expected an int"),
    ],
)
def test_a_zero_frequency_weight_or_size_in_a_real_claim_is_bad_input(tmp_path, claim_id, line, message):
    config = tmp_path / "bad.toml"
    config.write_text(f'[claim."{claim_id}"]\n{line}\n')
    with pytest.raises(ConfigError, match=message):
        verify([claim_id], config=config, out=tmp_path / "run", progress=False)
    assert not (tmp_path / "run").exists()


def test_corrupt_verdicts_json_is_an_error_and_nothing_is_overwritten(tmp_path, toys):
    verify(["toy.exact"], out=tmp_path, progress=False)
    (tmp_path / "verdicts.json").write_text("{ not json")
    before = {path: path.read_bytes() for path in tmp_path.rglob("*") if path.is_file()}
    with pytest.raises(RunDirError, match="corrupt"):
        verify(["toy.exact", "toy.perturbed"], out=tmp_path, progress=False)
    after = {path: path.read_bytes() for path in tmp_path.rglob("*") if path.is_file()}
    assert after == before


def test_without_progress_the_training_bars_are_hidden_too(tmp_path, capsys):
    config = tmp_path / "tiny.toml"
    config.write_text('[claim."xu2019.fprinciple-1d"]\nsteps = 30\nhidden = [8]\npoints = 32\nseeds = 1\n')
    bar = "sine fit (1 seeds)"
    verify(["xu2019.fprinciple-1d"], config=config, out=tmp_path / "quiet", progress=False)
    assert bar not in capsys.readouterr().err
    assert PROGRESS_VARIABLE not in os.environ  # restored after the run
    verify(["xu2019.fprinciple-1d"], config=config, out=tmp_path / "shown", progress=True)
    assert bar in capsys.readouterr().err


def test_a_claim_without_prediction_rows_resumes_from_its_record(tmp_path, registered, monkeypatch):
    """An empty prediction table must not turn the record's seeds into floats (the record would then read
    back as corrupt and the run could not resume)."""
    from toy_claims import measure_within

    from fpcheck.reports.rules import Bound

    claim = make_claim("toy.unpredicted")
    registered(dataclasses.replace(claim, predict=None, measure=measure_within,
                                   rules=(Bound("error_over_tolerance", 1.0),)))
    verify(["toy.unpredicted"], out=tmp_path, progress=False)
    record = json.loads((tmp_path / "claims" / "toy.unpredicted.json").read_text())
    assert all(isinstance(seed, int) for seed in record["rows"]["seed"])
    calls: list[str] = []
    monkeypatch.setattr(fpcheck.reports.executor, "run_task", lambda task, shared=None: calls.append(task.claim_id))
    assert verify(["toy.unpredicted"], out=tmp_path, progress=False).loc[0, "verdict"] == "agree"
    assert calls == []  # reused, not recomputed
