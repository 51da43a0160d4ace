"""The bad-input contract, tried as a hostile user would: every malformed config, argument, weights file
and run directory gives exit 2, exactly one line on stderr and no traceback, and leaves the run directory
byte-identical; a report renders every string of a record or a claim as text (Markdown and HTML)."""

from __future__ import annotations

import builtins
import io
import json
import string
import subprocess
import sys
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import markdown
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from toy_claims import make_claim

from fpcheck import verify
from fpcheck.reports.cli import main

HOSTILE = "<script>alert(1)</script> `<img src=x onerror=alert(2)>` [link](javascript:alert(3))"


def snapshot(directory: Path) -> dict[str, bytes]:
    return {str(path.relative_to(directory)): path.read_bytes() for path in sorted(directory.rglob("*"))
            if path.is_file()}


def assert_one_line_exit_2(code: int, err: str) -> None:
    assert code == 2, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err


@pytest.fixture
def toy(registered, tmp_path):
    registered(make_claim("toy.hostile"))
    out = tmp_path / "run"
    verify(["toy.hostile"], out=out, progress=False)
    return out


TOML_VALUES = st.one_of(
    st.text(string.printable, max_size=8).map(json.dumps),
    st.integers(-10**30, 10**30).map(str),
    st.sampled_from(["nan", "inf", "-inf", "-1.0", "0", "true", "[]", "[[1]]", "{a = 1}", "1979-05-27T07:32:00Z",
                     "[1979-05-27]", "\"\"", "[true, 1]", "1e400"]),
)
FIELDS = st.sampled_from(["perturbation", "offset", "repeats", "seeds", "tolerance", "width", "claim", ""])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(field=FIELDS, value=TOML_VALUES)
def test_a_malformed_config_is_one_line_and_keeps_the_run_directory(toy, tmp_path, capsys, field, value):
    config = tmp_path / "fuzz.toml"
    config.write_text(f'[claim."toy.hostile"]\n{json.dumps(field) if field else "x"} = {value}\n')
    before = snapshot(toy)
    code = main(["verify", "toy.hostile", "--config", str(config), "--out", str(toy), "--quiet"])
    err = capsys.readouterr().err
    if code in (0, 1):  # a valid override (e.g. perturbation = 0): the run went ahead, and said so
        assert "claims as expected" in err
        return
    assert_one_line_exit_2(code, err)
    assert snapshot(toy) == before


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(content=st.binary(max_size=200))
def test_a_corrupt_record_in_the_run_directory_is_refused_untouched(toy, capsys, content):
    (toy / "claims" / "toy.hostile.json").write_bytes(content)
    before = snapshot(toy)
    code = main(["verify", "toy.hostile", "--out", str(toy), "--quiet"])
    assert_one_line_exit_2(code, capsys.readouterr().err)
    assert snapshot(toy) == before


@pytest.mark.parametrize("args", [
    ["verify", "toy.hostile", "--seeds", "99999999999999999999"],
    ["verify", "toy.hostile", "--seeds", "-3"],
    ["verify", "toy.hostile", "--workers", "0"],
    ["verify", "toy.hostile\nsecond line"],
    ["verify", "toy.hostile", "--config", "/dev/zero"],
    ["compare", "a", "b", "--rtol", "nan"],
    ["compare", "a", "b", "--atol", "1e400"],
    ["spectrum", "missing.npz"],
    ["derive", "no-such-derivation"],
])
def test_bad_arguments_are_one_line(args, toy, capsys):
    assert_one_line_exit_2(main(args), capsys.readouterr().err)


def _npz(path: Path, **arrays: np.ndarray) -> Path:
    np.savez(path, **arrays)
    return path


@pytest.mark.parametrize("make", [
    lambda p: p.write_bytes(b""),
    lambda p: np.save(p.with_suffix(".npy"), np.ones(3)) or p.with_suffix(".npy").rename(p),
    lambda p: p.write_bytes(b"PK\x03\x04" + bytes(40)),
    lambda p: _npz(p, W0=np.ones((4, 1), complex), b0=np.zeros(4), W1=np.ones((1, 4)), b1=np.zeros(1)),
    lambda p: _npz(p, W0=np.ones((4, 1), bool), b0=np.zeros(4), W1=np.ones((1, 4)), b1=np.zeros(1)),
    lambda p: _npz(p, W0=np.full((4, 1), np.nan), b0=np.zeros(4), W1=np.ones((1, 4)), b1=np.zeros(1)),
    lambda p: _npz(p, W0=np.ones((4, 2)), b0=np.zeros(4), W1=np.ones((1, 4)), b1=np.zeros(1)),
    lambda p: _npz(p, W0=np.full((4, 1), 1e200), b0=np.zeros(4), W1=np.full((4, 4), 1e200), b1=np.zeros(4),
                   W2=np.full((1, 4), 1e200), b2=np.zeros(1)),
], ids=["empty", "npy", "zip-garbage", "complex", "bool", "nan", "shape", "overflow"])
def test_a_bad_weights_file_is_one_line(make, tmp_path, capsys):
    path = tmp_path / "net.npz"
    make(path)
    assert_one_line_exit_2(main(["spectrum", str(path)]), capsys.readouterr().err)


def test_a_weights_header_declaring_a_huge_array_is_refused_before_allocation(tmp_path, capsys):
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False, "shape": (10**6, 10**6)})
    with zipfile.ZipFile(tmp_path / "huge.npz", "w") as archive:
        archive.writestr("W0.npy", header.getvalue())
    code = main(["spectrum", str(tmp_path / "huge.npz")])
    err = capsys.readouterr().err
    assert_one_line_exit_2(code, err)
    assert "more than the limit" in err
    assert_one_line_exit_2(main(["spectrum", str(tmp_path / "huge.npz"), "--kmax", str(10**12)]),
                           capsys.readouterr().err)


def test_a_full_disk_behind_stdout_is_one_line(tmp_path):
    command = f"'{sys.executable}' -m fpcheck.reports.cli list > /dev/full"
    done = subprocess.run(["sh", "-c", command], capture_output=True, text=True, check=False)
    assert done.returncode == 2 and "No space left on device" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_without_dask_the_cluster_options_say_how_to_install_it(toy, capsys, monkeypatch):
    real_import = builtins.__import__

    def no_dask(name, *args, **kwargs):
        if name == "distributed" or name.startswith("distributed."):
            raise ImportError("no module named distributed")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_dask)
    code = main(["verify", "toy.hostile", "--workers", "1", "--out", str(toy), "--quiet"])
    err = capsys.readouterr().err
    assert_one_line_exit_2(code, err)
    assert "pip install 'fpcheck[dask]'" in err


class Tags(HTMLParser):
    """The elements and attributes a browser would create."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def live(html_text: str) -> list[tuple[str, dict]]:
    parser = Tags()
    parser.feed(html_text)
    return [(tag, attrs) for tag, attrs in parser.tags
            if tag == "script" or any(name.startswith("on") for name in attrs)
            or (tag == "img" and not attrs.get("src", "").startswith(("data:image/png;base64,", "figures/")))
            or (tag == "a" and "javascript" in attrs.get("href", ""))]


def test_every_string_of_a_claim_and_a_record_is_text_in_both_reports(registered, tmp_path):
    claim = make_claim("toy.escaped")
    registered(type(claim)(**{**claim.__dict__, "statement": HOSTILE, "source": HOSTILE, "expected_reason": HOSTILE,
                              "notes": (HOSTILE,)}))
    out = tmp_path / "run"
    verify(["toy.escaped"], out=out, progress=False)
    record_path = out / "claims" / "toy.escaped.json"
    record = json.loads(record_path.read_text())  # a tampered record whose hash still matches is reused
    record["verdict"]["explanation"] = HOSTILE
    record["verdict"]["per_seed"][0]["details"] = [HOSTILE]
    record["notes"] = [HOSTILE]
    record["prediction_summary"] = record["measurement_summary"] = HOSTILE
    record_path.write_text(json.dumps(record))
    verify(["toy.escaped"], out=out, progress=False)
    html_report = (out / "report.html").read_text()
    assert live(html_report) == [] and "<script>alert" not in html_report
    assert live(markdown.markdown((out / "report.md").read_text(), extensions=["tables"])) == []
    assert "alert(1)" in html_report  # shown, as text


class _Evil:
    def __reduce__(self):
        return (Path.touch, (Path("/tmp/fpcheck-pwned-by-a-pickle"),))


def _state_dict(first):
    import torch

    return {"0.weight": first, "0.bias": torch.zeros(4), "2.weight": torch.ones(1, 4), "2.bias": torch.zeros(1)}


@pytest.mark.parametrize("first", [
    lambda torch: torch.ones(4, 1).to_sparse(),
    lambda torch: torch.empty(4, 1, device="meta"),
    lambda torch: torch.quantize_per_tensor(torch.ones(4, 1), 0.1, 0, torch.qint8),
    lambda torch: torch.ones(4, 1, dtype=torch.complex64),
    lambda torch: torch.ones(4, 1, dtype=torch.int64),
    lambda torch: _Evil(),
], ids=["sparse", "meta", "quantized", "complex", "integer", "pickle"])
def test_a_state_dict_of_unusual_tensors_is_one_line(first, tmp_path, capsys):
    import warnings

    import torch

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch deprecates creating quantized tensors
        torch.save(_state_dict(first(torch)), tmp_path / "net.pt")
    assert_one_line_exit_2(main(["spectrum", str(tmp_path / "net.pt")]), capsys.readouterr().err)
    assert not Path("/tmp/fpcheck-pwned-by-a-pickle").exists()


def test_a_second_writer_of_a_run_directory_is_refused_and_changes_nothing(toy, capsys):
    from fpcheck.reports.run_store import RunStore

    before = snapshot(toy)
    with RunStore(toy):  # another fpcheck process holds the directory's lock
        code = main(["verify", "toy.hostile", "--out", str(toy), "--quiet", "--seeds", "2"])
    err = capsys.readouterr().err
    assert_one_line_exit_2(code, err)
    assert "being written by another fpcheck process" in err and snapshot(toy) == before
    assert main(["verify", "toy.hostile", "--out", str(toy), "--quiet"]) == 0  # the lock died with its holder


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)])
def test_outputs_are_written_with_the_users_umask(registered, tmp_path, umask, mode):
    import os

    registered(make_claim("toy.shared"))
    previous = os.umask(umask)
    try:
        verify(["toy.shared"], out=tmp_path / "run", progress=False)
    finally:
        os.umask(previous)
    for name in ("report.md", "report.html", "verdicts.json", "results.csv", "claims/toy.shared.json"):
        assert (tmp_path / "run" / name).stat().st_mode & 0o777 == mode, name


def test_a_lost_scheduler_is_one_line_naming_the_resume_command(monkeypatch, tmp_path):
    import distributed
    from distributed.comm.core import CommClosedError

    from fpcheck.errors import SchedulerError
    from fpcheck.reports.executor import DaskExecutor
    from fpcheck.reports.task import plan

    class Client:
        class scheduler:  # noqa: N801 - the attribute the executor reads
            address = "tcp://127.0.0.1:8786"

        def submit(self, *args, **kwargs):
            return object()

    def lost(futures):
        raise CommClosedError("the scheduler went away")
        yield  # a generator, like distributed.as_completed

    monkeypatch.setattr(distributed, "as_completed", lost)
    tasks = plan(make_claim("toy.remote"), "quick", threads=1)
    with pytest.raises(SchedulerError) as caught:
        list(DaskExecutor(Client(), tmp_path / "run").run(tasks))
    message = str(caught.value)
    assert "lost the Dask scheduler at tcp://127.0.0.1:8786 (CommClosedError)" in message
    assert f"--out {tmp_path / 'run'}" in message and "\n" not in message
