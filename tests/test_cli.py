"""The `fpcheck` CLI through subprocesses: exit codes, one-line errors, JSON output, resume after kill -9.

`toy_cli` runs `reports.cli.main` with the toy claims registered, so these tests do not depend on the
run time of the real catalogue.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from toy_claims import MISSED, SHIFTED, TOY_CLAIMS, make_claim

from fpcheck.reports.cli import main
from fpcheck.reports.compare import compare_runs

TESTS = Path(__file__).resolve().parent
RUNNER = "import sys, toy_registration; from fpcheck.reports.cli import main; sys.exit(main(sys.argv[1:]))"


def toy_cli(*args: str, wait: bool = True):
    command = [sys.executable, "-c", RUNNER, *args]
    env = {**os.environ, "PYTHONPATH": f"{TESTS}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    env.pop("DASK_SCHEDULER_ADDRESS", None)
    if not wait:
        return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return subprocess.run(command, env=env, capture_output=True, text=True, check=False)


@pytest.fixture
def toys(registered):
    for claim in TOY_CLAIMS:
        registered(claim)


def assert_bad_input(done, *fragments: str) -> None:
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    for fragment in fragments:
        assert fragment in done.stderr


def test_list_json_has_the_documented_keys():
    done = toy_cli("list", "--json")
    assert done.returncode == 0
    assert done.stdout.isascii()  # non-ASCII text is escaped: safe for any terminal encoding
    entries = {entry["id"]: entry for entry in json.loads(done.stdout)}
    assert set(entries["toy.exact"]) == {"id", "version", "source", "statement", "expected", "controls", "origin"}
    assert entries["toy.exact"]["expected"] == "agree"
    assert entries["toy.exact"]["controls"] == ["shifted"] and entries["toy.exact"]["origin"] == "built-in"


def test_verify_exit_status_follows_the_verdicts(tmp_path):
    done = toy_cli("verify", "toy.exact", "--out", str(tmp_path / "ok"), "--json", "--quiet")
    assert done.returncode == 0, done.stderr
    table = json.loads(done.stdout)
    assert [(row["claim"], row["verdict"]) for row in table] == [("toy.exact", "agree")]
    assert table == json.loads((tmp_path / "ok" / "verdicts.json").read_text())
    done = toy_cli("verify", "toy.perturbed", "--out", str(tmp_path / "differs"), "--quiet")
    assert done.returncode == 1
    assert "toy.perturbed: verdict inconclusive, expected agree" in done.stderr


def test_a_missed_control_makes_verify_exit_1_and_no_controls_skips_it(tmp_path, capsys, registered):
    registered(make_claim("toy.blind", controls=(SHIFTED, MISSED)))
    assert main(["verify", "toy.blind", "--out", str(tmp_path / "all"), "--quiet"]) == 1
    assert "toy.blind: verdict agree, expected agree; control missed: verdict agree, expected diverge" in (
        capsys.readouterr().err)
    assert main(["verify", "toy.blind", "--out", str(tmp_path / "published"), "--quiet", "--no-controls",
                 "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["controls"] == []


def test_a_bug_of_ours_is_exit_3_with_the_traceback_kept(tmp_path, capsys, monkeypatch, toys):
    import fpcheck.reports.verification as verification

    def broken(*args, **kwargs):
        raise ZeroDivisionError("a bug in the renderer")

    monkeypatch.setattr(verification, "render_markdown", broken)
    out = tmp_path / "run"
    assert main(["verify", "toy.exact", "--out", str(out), "--quiet"]) == 3
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert "internal error (a bug of fpcheck" in err and "ZeroDivisionError: a bug in the renderer" in err
    assert f"traceback written to {out / 'traceback.txt'}" in err
    assert "in broken" in (out / "traceback.txt").read_text()
    assert (out / "claims" / "toy.exact.json").exists()  # the finished claims are kept

    import fpcheck.reports.catalogue as catalogue

    monkeypatch.setattr(catalogue, "claims", broken)
    assert main(["list"]) == 3
    path = capsys.readouterr().err.rsplit("traceback written to ", 1)[1].strip()
    assert "ZeroDivisionError" in Path(path).read_text()
    Path(path).unlink()


def test_bad_input_through_a_subprocess_is_one_line_and_exit_2():
    assert_bad_input(toy_cli("verify", "no.such-claim"), "unknown claim id 'no.such-claim'", "toy.exact")


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (["verify", "no.such-claim"], ["unknown claim id 'no.such-claim'", "toy.exact"]),
        (["verify", "toy.exact", "--seeds", "0"], ["--seeds must be a positive integer"]),
        (["verify", "toy.exact", "--seeds", "two"], ["invalid int value"]),
        (["verify", "toy.exact", "--profile", "huge"], ["unknown profile 'huge'"]),
        (["verify", "toy.exact", "--config", "/nonexistent.toml"], ["does not exist"]),
        (["verify", "toy.exact", "--out", "/proc/version"], ["is a file"]),
        (["verify", "toy.exact", "--out", "/proc/fpcheck-out"], ["not writable"]),
        (["verify", "toy.exact", "--workers", "1", "--scheduler", "tcp://127.0.0.1:9"], ["not both"]),
        (["frobnicate"], ["invalid choice"]),
        (["derive", "sigmoid-gradient", "--activation", "softplus"], ["covers activations"]),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args, fragments, capsys, toys):
    """The same code path as the console script, run in-process to keep the suite fast."""
    code = main(args)
    captured = capsys.readouterr()
    assert_bad_input(subprocess.CompletedProcess(args, code, captured.out, captured.err), *fragments)


def test_malformed_config_is_bad_input(tmp_path, capsys, toys):
    config = tmp_path / "bad.toml"
    config.write_text('[claim."toy.exact"]\nwidth = 3\n')
    code = main(["verify", "toy.exact", "--config", str(config), "--out", str(tmp_path / "o")])
    captured = capsys.readouterr()
    assert_bad_input(subprocess.CompletedProcess([], code, captured.out, captured.err), "ToySetup has no field 'width'")


def test_corrupt_verdicts_is_bad_input_and_keeps_the_directory(tmp_path):
    out = tmp_path / "run"
    assert toy_cli("verify", "toy.exact", "--out", str(out), "--quiet").returncode == 0
    (out / "verdicts.json").write_text("not json")
    before = sorted((path, path.stat().st_mtime_ns) for path in out.rglob("*"))
    assert_bad_input(toy_cli("verify", "toy.exact", "--out", str(out)), "verdicts.json is corrupt")
    assert sorted((path, path.stat().st_mtime_ns) for path in out.rglob("*")) == before


def test_kill_9_then_rerun_reuses_finished_claims_and_matches_an_uninterrupted_run(tmp_path):
    out = tmp_path / "killed"
    ids = ["toy.exact", "toy.slow", "toy.perturbed"]
    process = toy_cli("verify", *ids, "--out", str(out), "--quiet", wait=False)
    finished = out / "claims" / "toy.exact.json"
    deadline = time.monotonic() + 120
    while not finished.exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert finished.exists() and process.poll() is None, "the run ended before it could be killed"
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert not (out / "claims" / "toy.slow.json").exists()
    assert not (out / "verdicts.json").exists()
    first_record = finished.stat().st_mtime_ns

    assert toy_cli("verify", *ids, "--out", str(out), "--quiet").returncode == 1  # toy.perturbed differs
    provenance = json.loads((out / "provenance.json").read_text())
    assert "toy.exact" in provenance["reused"] and "toy.slow" not in provenance["reused"]
    assert finished.stat().st_mtime_ns == first_record
    assert toy_cli("verify", *ids, "--out", str(tmp_path / "clean"), "--quiet").returncode == 1
    comparison = compare_runs(out, tmp_path / "clean", rtol=0, atol=0)
    assert comparison.agree and comparison.identical == sorted(ids)
