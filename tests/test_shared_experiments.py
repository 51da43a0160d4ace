"""Train once, use twice: claims whose tasks reduce to the same experiment share one run of it.

The oracles: the engine's own count of network updates (`fpcheck.empirics.runtime.network_steps`, one per
network and optimiser step), which must show the shared training once and the reusing claims training
nothing; and the same claims run apart (each training its own networks), whose numbers the shared run must
match bit for bit, in process and on a LocalCluster. The paper profile's Fig. 1 and robustness claims are
the catalogue's pair; the tests run them at a small size through --config.
"""

from __future__ import annotations

import dataclasses
import io
import json
import os
from pathlib import Path

import numpy as np
import pytest

from fpcheck import verify
from fpcheck.empirics import runtime
from fpcheck.empirics.experiment import Experiment
from fpcheck.empirics.sine_fit import PERTURBED_SINE_FIT, SINE_FIT, InitScaleResult, SineFit, SineFitResult
from fpcheck.errors import RunDirError
from fpcheck.reports.catalogue import claims
from fpcheck.reports.cli import main
from fpcheck.reports.experiment_file import read_result, result_bytes
from fpcheck.reports.stage import plan_stages
from fpcheck.reports.task import plan

FIG1, ROBUSTNESS = "rahaman2019.fig1-equal-amplitudes", "rahaman2019.robustness"
SEEDS, STEPS = 2, 100
SMALL = {"steps": STEPS, "hidden": [16, 16], "seeds": SEEDS}
CONFIG = (f'[claim."{FIG1}"]\n' + "".join(f"{key} = {json.dumps(value)}\n" for key, value in SMALL.items())
          + f'[claim."{ROBUSTNESS}"]\nfrequencies = [1, 2, 3, 4, 5, 6]\nlr = 1e-3\nsnapshot_every = 5\nsamples = 32\n'
          + "".join(f"{key} = {json.dumps(value)}\n" for key, value in SMALL.items()))


@pytest.fixture
def config(tmp_path) -> Path:
    path = tmp_path / "shared.toml"
    path.write_text(CONFIG)
    return path


def records(run: Path) -> dict[str, dict]:
    return {path.stem: json.loads(path.read_text()) for path in (run / "claims").glob("*.json")}


def numbers(record: dict) -> str:
    """A record's rows and verdict (its wall time aside) as text: equal text, equal bits (NaN included)."""
    return json.dumps([record["rows"], {key: value for key, value in record["verdict"].items() if key != "wall_s"}])


def test_the_paper_profile_trains_fig1s_networks_once_for_fig1_and_the_robustness_claim():
    paper = [task for claim in claims().values() for task in plan(claim, "paper", threads=2)]
    stages = plan_stages(paper)
    assert set(stages) == {FIG1, ROBUSTNESS}  # the controls change the networks: they share nothing
    stage = stages[FIG1]
    assert stage is stages[ROBUSTNESS] and stage.experiment is SINE_FIT and stage.consumers == (FIG1, ROBUSTNESS)
    assert PERTURBED_SINE_FIT.base_setup(claims()[ROBUSTNESS].setups["paper"]) == claims()[FIG1].setups["paper"]
    assert stage.versions == ((FIG1, claims()[FIG1].version), (ROBUSTNESS, claims()[ROBUSTNESS].version))
    quick = [task for claim in claims().values() for task in plan(claim, "quick", threads=2)]
    assert plan_stages(quick) == {}  # the quick sizes differ


def test_a_claim_that_reuses_an_experiment_trains_nothing_and_gets_the_numbers_of_its_own_training(tmp_path, config):
    before = runtime.network_steps()
    verify([FIG1, ROBUSTNESS], out=tmp_path / "shared", config=config, controls=False, progress=False)
    assert runtime.network_steps() - before == SEEDS * STEPS  # trained once, not twice
    shared = records(tmp_path / "shared")
    assert [shared[key]["network_steps"] for key in (FIG1, ROBUSTNESS)] == [0, 0]
    (used,) = {json.dumps(record["experiments"]) for record in shared.values()}
    assert json.loads(used)[0]["network_steps"] == SEEDS * STEPS
    assert json.loads(used)[0]["consumers"] == [FIG1, ROBUSTNESS]
    assert len(list((tmp_path / "shared" / "experiments").glob("sine-fit-*.npz"))) == 1
    report = (tmp_path / "shared" / "report.md").read_text()
    assert report.count("trained nothing of its experiment") == 2 and f"trained once), as did {ROBUSTNESS}." in report

    for claim_id in (FIG1, ROBUSTNESS):  # apart, each trains its own networks
        before = runtime.network_steps()
        verify([claim_id], out=tmp_path / claim_id, config=config, controls=False, progress=False)
        assert runtime.network_steps() - before == SEEDS * STEPS
        (alone,) = records(tmp_path / claim_id).values()
        assert alone["network_steps"] == SEEDS * STEPS and alone["experiments"] == []
        assert numbers(alone) == numbers(shared[claim_id])


def test_a_rerun_reuses_the_stored_experiment_and_trains_nothing(tmp_path, config):
    verify([FIG1, ROBUSTNESS], out=tmp_path, config=config, controls=False, progress=False)
    first = records(tmp_path)
    for path in (tmp_path / "claims").iterdir():
        path.unlink()  # the claims must be recomputed, from the stored networks
    before = runtime.network_steps()
    verify([FIG1, ROBUSTNESS], out=tmp_path, config=config, controls=False, progress=False)
    assert runtime.network_steps() == before
    (entry,) = json.loads((tmp_path / "provenance.json").read_text())["experiments"].values()
    assert entry["read_back"] is True and entry["network_steps"] == SEEDS * STEPS
    assert {key: numbers(record) for key, record in records(tmp_path).items()} == {
        key: numbers(record) for key, record in first.items()}


def test_a_claim_left_alone_reads_the_kept_experiment_back_or_without_it_trains_alone(tmp_path, config):
    verify([FIG1, ROBUSTNESS], out=tmp_path, config=config, controls=False, progress=False)
    first = records(tmp_path)
    (tmp_path / "claims" / f"{ROBUSTNESS}.json").unlink()  # Fig. 1 is reused: robustness alone is to run
    before = runtime.network_steps()
    verify([FIG1, ROBUSTNESS], out=tmp_path, config=config, controls=False, progress=False)
    assert runtime.network_steps() == before  # read back
    again = records(tmp_path)[ROBUSTNESS]
    assert again["experiments"][0]["consumers"] == [ROBUSTNESS] and again["experiments"][0]["read_back"] is True
    assert numbers(again) == numbers(first[ROBUSTNESS])
    assert "read back from an earlier run in this directory)." in (tmp_path / "report.md").read_text()
    (tmp_path / "claims" / f"{ROBUSTNESS}.json").unlink()
    for path in (tmp_path / "experiments").iterdir():
        path.unlink()
    verify([FIG1, ROBUSTNESS], out=tmp_path, config=config, controls=False, progress=False)
    assert runtime.network_steps() - before == SEEDS * STEPS  # nothing kept, nobody to share with: trains alone
    alone = records(tmp_path)[ROBUSTNESS]
    assert alone["experiments"] == [] and alone["network_steps"] == SEEDS * STEPS
    assert numbers(alone) == numbers(first[ROBUSTNESS])
    assert not list((tmp_path / "experiments").iterdir())


def test_on_a_local_cluster_the_reusing_claim_trains_nothing_and_the_numbers_are_those_in_process(tmp_path, config):
    verify([FIG1, ROBUSTNESS], out=tmp_path / "local", config=config, controls=False, progress=False)
    verify([FIG1, ROBUSTNESS], out=tmp_path / "cluster", config=config, controls=False, progress=False, workers=2)
    local, cluster = records(tmp_path / "local"), records(tmp_path / "cluster")
    assert [cluster[key]["network_steps"] for key in (FIG1, ROBUSTNESS)] == [0, 0]  # counted on the workers
    assert {key: numbers(record) for key, record in cluster.items()} == {
        key: numbers(record) for key, record in local.items()}
    provenance = json.loads((tmp_path / "cluster" / "provenance.json").read_text())
    (entry,) = provenance["experiments"].values()
    assert entry["network_steps"] == SEEDS * STEPS and entry["worker"].startswith("tcp://127.0.0.1:")

    for path in (tmp_path / "cluster" / "claims").iterdir():
        path.unlink()  # recomputed on the cluster from the kept networks, scattered to its workers
    verify([FIG1, ROBUSTNESS], out=tmp_path / "cluster", config=config, controls=False, progress=False, workers=2)
    again = records(tmp_path / "cluster")
    assert [again[key]["network_steps"] for key in (FIG1, ROBUSTNESS)] == [0, 0]
    assert all(record["experiments"][0]["read_back"] for record in again.values())
    assert {key: numbers(record) for key, record in again.items()} == {
        key: numbers(record) for key, record in local.items()}


def _rewrite(path: Path, change) -> None:
    with np.load(path, allow_pickle=False) as stored:
        arrays = {name: stored[name] for name in stored.files}
    change(arrays)
    with open(path, "wb") as stream:
        np.savez(stream, **arrays)


def _shift_an_array(arrays: dict) -> None:
    arrays["a3"] = arrays["a3"] + 1e-3


def _npy_bytes() -> bytes:
    """One .npy array (what np.save writes), not an npz archive."""
    buffer = io.BytesIO()
    np.save(buffer, np.zeros(3))
    return buffer.getvalue()


def _swap_two_arrays(arrays: dict) -> None:
    meta = json.loads(str(arrays["meta"]))
    fields = meta["layout"]["fields"]
    fields["outputs"], fields["test_outputs"] = fields["test_outputs"], fields["outputs"]
    arrays["meta"] = np.array(json.dumps(meta))


def _drop_a_field_and_fix_the_checksum(arrays: dict) -> None:
    from fpcheck.reports.experiment_file import _checksum

    meta = json.loads(str(arrays["meta"]))
    del meta["layout"]["fields"]["loss"]
    meta["checksum"] = _checksum({name: array for name, array in arrays.items() if name != "meta"}, meta["layout"],
                                 meta["record"])
    arrays["meta"] = np.array(json.dumps(meta))


def _add_an_object_array(arrays: dict) -> None:
    arrays["a99"] = np.array([{"pickled": True}], dtype=object)


@pytest.mark.parametrize("tamper, message", [
    (lambda path: _rewrite(path, _shift_an_array), "do not match their checksum"),
    (lambda path: _rewrite(path, _swap_two_arrays), "do not match their checksum"),
    (lambda path: path.write_bytes(_npy_bytes()), "not an npz file"),
    (lambda path: _rewrite(path, _drop_a_field_and_fix_the_checksum), "does not hold the fields of SineFitResult"),
    (lambda path: _rewrite(path, _add_an_object_array), "not a readable npz file"),
    (lambda path: path.write_bytes(path.read_bytes()[:1000]), "not a readable npz file"),
    (lambda path: path.unlink() or os.mkfifo(path), "is not a regular file"),
])
def test_a_tampered_experiment_file_is_bad_input(tmp_path, config, capsys, tamper, message):
    verify([FIG1, ROBUSTNESS], out=tmp_path, config=config, controls=False, progress=False)
    (tmp_path / "claims" / f"{ROBUSTNESS}.json").unlink()  # the run must read the experiment back
    (path,) = (tmp_path / "experiments").glob("*.npz")
    tamper(path)
    content = path.read_bytes() if path.is_file() else None
    with pytest.raises(RunDirError, match=message):
        verify([FIG1, ROBUSTNESS], out=tmp_path, config=config, controls=False, progress=False)
    argv = ["verify", FIG1, ROBUSTNESS, "--config", str(config), "--no-controls", "--out", str(tmp_path), "--quiet"]
    assert main(argv) == 2
    error = capsys.readouterr().err
    assert message in error and error.count("\n") == 1
    assert (path.read_bytes() if path.is_file() else None) == content  # nothing rewritten
    assert (tmp_path / "claims" / f"{FIG1}.json").exists()  # nothing lost


def _sine_fit_result(seeds: tuple[int, ...], generator: np.random.Generator) -> SineFitResult:
    count = len(seeds)
    return SineFitResult(seeds=seeds, steps=np.arange(3), outputs=generator.normal(size=(3, count, 8)),
                         labels=generator.normal(size=(count, 8)), loss=np.full((4, count), np.nan),
                         diverged=seeds[1:], test_outputs=np.zeros((3, count, 0)), test_target=np.zeros(0),
                         final_weights=(generator.normal(size=(count, 1, 4)).astype(np.float32),),
                         final_biases=(generator.normal(size=(count, 4)).astype(np.float32),))


def _same(first, second) -> bool:
    if isinstance(first, np.ndarray):
        return first.dtype == second.dtype and first.shape == second.shape and first.tobytes() == second.tobytes()
    if dataclasses.is_dataclass(first):
        return type(first) is type(second) and all(_same(getattr(first, spec.name), getattr(second, spec.name))
                                                   for spec in dataclasses.fields(first))
    if isinstance(first, tuple):
        return isinstance(second, tuple) and len(first) == len(second) and all(map(_same, first, second))
    return type(first) is type(second) and first == second


def test_an_experiment_file_gives_back_the_result_bit_for_bit_nested_results_too(tmp_path):
    generator = np.random.default_rng(0)
    seeds = (3, 4)
    nested = InitScaleResult(seeds=seeds, standard=_sine_fit_result(seeds, generator),
                             large=_sine_fit_result(seeds, generator))
    path = tmp_path / "nested.npz"
    path.write_bytes(result_bytes(nested, "init-scales", "abc", {"wall_s": 1.5}))
    result, record = read_result(path, InitScaleResult, "init-scales", "abc", seeds)
    assert _same(result, nested) and record == {"wall_s": 1.5}
    with pytest.raises(RunDirError, match="not 'init-scales' of hash 'abd'"):
        read_result(path, InitScaleResult, "init-scales", "abd", seeds)
    with pytest.raises(RunDirError, match=r"holds seeds \[3, 4\], not \[3\]"):
        read_result(path, InitScaleResult, "init-scales", "abc", (3,))
    with pytest.raises(RunDirError, match="is not a SineFitResult"):
        read_result(path, SineFitResult, "init-scales", "abc", seeds)


def test_a_continuation_is_declared_on_a_root_whose_setup_it_holds():
    with pytest.raises(ValueError, match="continues another experiment"):
        Experiment("twice", PERTURBED_SINE_FIT.setup, PERTURBED_SINE_FIT.result, "a.b:c", "",
                   builds_on=PERTURBED_SINE_FIT)
    with pytest.raises(ValueError, match="its setup lacks"):
        Experiment("narrow", type(claims()["xu2019.parity"].setups["quick"]), SineFitResult, "a.b:c", "",
                   builds_on=SINE_FIT)
    wrong = _sine_fit_result((0, 1), np.random.default_rng(1))
    with pytest.raises(TypeError, match="not a SineFitResult of seeds \\(0,\\)"):
        SINE_FIT.run(SineFit(seeds=1), (0,), shared=wrong)


def test_a_shared_experiment_that_raises_makes_its_consumers_inconclusive_and_is_not_kept(tmp_path, config,
                                                                                          monkeypatch):
    import fpcheck.empirics.grid_training

    def broken(setup, seeds):
        raise FloatingPointError("the loss went to NaN at step 3")

    monkeypatch.setattr(fpcheck.empirics.grid_training, "sine_fit", broken)
    table = verify([FIG1, ROBUSTNESS], out=tmp_path, config=config, controls=False, progress=False)
    assert list(table["verdict"]) == ["inconclusive", "inconclusive"]
    assert all("the shared experiment sine-fit" in text and "FloatingPointError: the loss went to NaN at step 3"
               in text for text in table["explanation"])
    assert not list((tmp_path / "experiments").glob("*.npz"))  # not kept; the consumers' records say why
    (entry,) = json.loads((tmp_path / "provenance.json").read_text())["experiments"].values()
    assert entry["error"].startswith("FloatingPointError") and "broken" in entry["traceback"]
