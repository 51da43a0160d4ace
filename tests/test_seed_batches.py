"""Seed-batch tasks and --device: a claim-variant's seeds run in batches of its setup's `seed_batch`.

The oracle of a batched run is the same claim run in one batch (the toy claims integrate each seed on its
own, so batching cannot move a number) and the in-process run of the same batches (a LocalCluster must
give the same bits). A run killed between batches resumes from the finished ones; a tampered batch record,
a --device that is not a device and an unavailable one are bad input, one line, exit 2.
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

import pytest
from toy_claims import SHIFTED, make_claim, measure_within

import fpcheck.reports.executor
import fpcheck.reports.task
from fpcheck import Sensitivity, verify
from fpcheck.errors import DeviceError, RunDirError
from fpcheck.reports.cli import main
from fpcheck.reports.compare import compare_runs
from fpcheck.reports.rules import Bound
from fpcheck.reports.task import plan
from fpcheck.tables import ALL_SEEDS, Prediction, produces, tidy

TESTS = Path(__file__).resolve().parent
REAL = "xu2018.gradient-exponential-decay"  # no training: its quick profile runs in about 3 s


def batched(claim, size: int):
    """The claim with `seed_batch = size` in both profiles (the controls inherit it)."""
    return dataclasses.replace(claim, setups={name: setup.override({"seed_batch": size})
                                              for name, setup in claim.setups.items()})


def tolerant(claim_id: str) -> object:
    """Seed s errs by 1e-4·s over a tolerance of 1e-3, with a sensitivity analysis of the tolerance."""
    claim = make_claim(claim_id, perturbation=1e-4, seeds=5, controls=(SHIFTED,))
    return dataclasses.replace(claim, measure=measure_within, predict=None, rules=(Bound("error_over_tolerance", 1.0),),
                               sensitivity=(Sensitivity("tolerance", (2.5e-4, 1e-2)), Sensitivity("share", (0.6,))))


def test_the_default_is_one_batch_and_leaves_data_and_hashes_alone():
    claim = make_claim("toy.plain", seeds=5, controls=(SHIFTED,))
    tasks = plan(claim, "quick", threads=1)
    assert [(task.variant, task.batch_seeds) for task in tasks] == [("published", (0, 1, 2, 3, 4)),
                                                                    ("shifted", (0, 1, 2, 3, 4))]
    setup = claim.setups["quick"]
    assert "seed_batch" not in setup.data() and "seed_batch" not in setup.experiment_data()
    split = plan(batched(claim, 2), "quick", threads=1)
    assert [task.batch_seeds for task in split] == [(0, 1), (2, 3), (4,)] * 2
    assert {task.config_hash for task in split[:3]} != {tasks[0].config_hash}  # the batching is in the setup
    assert len({task.batch_hash for task in split}) == 6 and split[2].name == "toy.plain.batch-2"
    assert batched(claim, 2).setups["quick"].data()["seed_batch"] == 2


def test_batches_reconcile_to_the_numbers_of_one_batch(tmp_path, registered):
    registered(tolerant("toy.whole"))
    registered(dataclasses.replace(batched(tolerant("toy.whole"), 2), id="toy.split"))
    whole = verify(["toy.whole"], out=tmp_path / "whole", progress=False)
    split = verify(["toy.split"], out=tmp_path / "split", progress=False)
    columns = ["verdict", "margin", "spread_low", "spread_high", "seeds", "controls", "sensitivity"]
    assert whole[columns].to_dict("records") == split[columns].to_dict("records")
    assert split.loc[0, "sensitivity"][0] == "tolerance: flips at 0.00025 (to inconclusive; published 0.001)"
    record = json.loads((tmp_path / "split" / "claims" / "toy.split.json").read_text())
    assert [batch["seeds"] for batch in record["batches"]] == [[0, 1], [2, 3], [4]]
    assert sorted(set(record["rows"]["seed"])) == [0, 1, 2, 3, 4] and record["device"] == "cpu"
    assert "batches of up to 2" in record["notes"][-1]
    assert sorted(path.name for path in (tmp_path / "split" / "batches").iterdir())[:3] == [
        f"toy.split.batch-{batch}.json" for batch in range(3)]
    rows = [json.loads((tmp_path / run / "claims" / f"{name}.json").read_text())["rows"]  # number for number
            for run, name in (("whole", "toy.whole"), ("split", "toy.split"))]
    assert rows[0] == rows[1]


def test_rows_for_every_seed_are_taken_once_and_must_agree_between_batches(tmp_path, registered):
    @produces("integral")
    def seed_count(setup, result):  # a 'theory' that depends on which seeds share the batch
        return Prediction(tidy(ALL_SEEDS, "integral", [len(result.seeds)] * 5, x=range(1, 6)), "")

    constant = batched(make_claim("toy.constant", seeds=3), 2)
    registered(constant)
    registered(dataclasses.replace(constant, id="toy.counted", predict=seed_count))
    table = verify(["toy.constant", "toy.counted"], out=tmp_path, progress=False)
    assert list(table["verdict"]) == ["agree", "inconclusive"]
    assert "seed batch 1 differ from those of batch 0: this claim's seeds cannot be batched" in table.loc[
        1, "explanation"]
    rows = json.loads((tmp_path / "claims" / "toy.constant.json").read_text())["rows"]
    assert rows["seed"].count(ALL_SEEDS) == 5  # the closed form once, not once per batch


def test_a_killed_run_resumes_from_its_finished_batches(tmp_path, registered, monkeypatch):
    registered(batched(make_claim("toy.resumed", seeds=4, perturbation=1e-3), 1))
    calls: list[tuple[int, ...]] = []
    original = fpcheck.reports.task.run_task

    def killed(task, shared=None):
        calls.append(task.batch_seeds)
        if task.batch == 2:
            raise KeyboardInterrupt
        return original(task, shared)

    monkeypatch.setattr(fpcheck.reports.executor, "run_task", killed)
    with pytest.raises(KeyboardInterrupt):
        verify(["toy.resumed"], out=tmp_path, progress=False)
    assert sorted(path.name for path in (tmp_path / "batches").iterdir()) == [
        "toy.resumed.batch-0.json", "toy.resumed.batch-1.json"]
    assert not (tmp_path / "claims" / "toy.resumed.json").exists()
    calls.clear()
    monkeypatch.setattr(fpcheck.reports.executor, "run_task",
                        lambda task, shared=None: calls.append(task.batch_seeds) or original(task, shared))
    resumed = verify(["toy.resumed"], out=tmp_path, progress=False)
    assert calls == [(2,), (3,)]
    provenance = json.loads((tmp_path / "provenance.json").read_text())
    assert provenance["reused_batches"] == ["toy.resumed.batch-0", "toy.resumed.batch-1"]
    fresh = verify(["toy.resumed"], out=tmp_path / "fresh", progress=False)
    assert resumed.drop(columns="wall_s").equals(fresh.drop(columns="wall_s"))
    assert compare_runs(tmp_path, tmp_path / "fresh", rtol=0, atol=0).identical == ["toy.resumed"]


@pytest.mark.parametrize("tamper, message", [
    (lambda record: record.update(seeds=[7]), "holds seeds [7], not [1]"),
    (lambda record: record["measurement"]["value"].__setitem__(0, "one"),
     "measurement rows hold a value of the wrong type"),
    (lambda record: record.pop("alternatives"), "lacks 'alternatives'"),
])
def test_a_tampered_batch_record_is_bad_input(tmp_path, registered, capsys, tamper, message):
    registered(batched(make_claim("toy.tampered", seeds=2), 1))
    verify(["toy.tampered"], out=tmp_path, progress=False)
    (tmp_path / "claims" / "toy.tampered.json").unlink()  # the run must read its batches back
    path = tmp_path / "batches" / "toy.tampered.batch-1.json"
    record = json.loads(path.read_text())
    tamper(record)
    path.write_text(json.dumps(record))
    with pytest.raises(RunDirError, match="is corrupt"):
        verify(["toy.tampered"], out=tmp_path, progress=False)
    assert main(["verify", "toy.tampered", "--out", str(tmp_path), "--quiet"]) == 2
    error = capsys.readouterr().err
    assert message in error and error.count("\n") == 1
    assert json.loads(path.read_text()) == record  # nothing rewritten


@pytest.mark.parametrize("device, message", [
    ("gpu", "--device must be one of cpu, cuda, not 'gpu'"),
    ("cuda", "--device cuda: CUDA is not available here"),
])
def test_a_device_that_is_not_one_or_is_missing_is_bad_input_before_anything_runs(tmp_path, registered, capsys,
                                                                                  device, message):
    registered(make_claim("toy.device"))
    assert main(["verify", "toy.device", "--device", device, "--out", str(tmp_path / "run"), "--quiet"]) == 2
    error = capsys.readouterr().err
    assert message in error and error.count("\n") == 1
    assert not (tmp_path / "run").exists()
    with pytest.raises(DeviceError):
        verify(["toy.device"], out=tmp_path / "run", progress=False, device=device)


def test_the_device_is_in_provenance_and_in_each_record(tmp_path, registered):
    registered(make_claim("toy.cpu"))
    verify(["toy.cpu"], out=tmp_path, progress=False, device="cpu")
    assert json.loads((tmp_path / "provenance.json").read_text())["device"] == "cpu"
    assert json.loads((tmp_path / "claims" / "toy.cpu.json").read_text())["device"] == "cpu"


PRELOAD = """import dataclasses
from toy_claims import make_claim
from fpcheck.reports import catalogue
claim = make_claim("toy.spread", seeds=4, repeats=200, perturbation=1e-3)
if claim.id not in catalogue.claims():  # the nanny may import it in the test's own process
    catalogue.register(dataclasses.replace(claim, setups={name: setup.override({"seed_batch": 1})
                                                          for name, setup in claim.setups.items()}))
"""


@pytest.fixture
def spread(tmp_path, registered, monkeypatch):
    """The batched toy claim, registered here and (by a preload module) in every LocalCluster worker."""
    registered(batched(make_claim("toy.spread", seeds=4, repeats=200, perturbation=1e-3), 1))
    (tmp_path / "spread_registration.py").write_text(PRELOAD)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(tmp_path), str(TESTS), os.environ.get("PYTHONPATH", "")]))
    monkeypatch.syspath_prepend(str(tmp_path))
    import dask
    import distributed  # noqa: F401 - its configuration defaults must be loaded before the override

    with dask.config.set({"distributed.worker.preload": ["spread_registration"]}):
        yield


def cluster_and_local(tmp_path, ids: list[str], config: Path | None = None) -> dict:
    """Runs `ids` in process and on a LocalCluster of 2 workers; asserts bit-identical numbers and returns
    the cluster run's provenance."""
    local = verify(ids, out=tmp_path / "local", progress=False, config=config, controls=False)
    remote = verify(ids, out=tmp_path / "cluster", progress=False, config=config, controls=False, workers=2)
    assert local.drop(columns="wall_s").equals(remote.drop(columns="wall_s"))
    comparison = compare_runs(tmp_path / "local", tmp_path / "cluster", rtol=0, atol=0)
    assert comparison.agree and comparison.identical == sorted(ids)
    provenance = json.loads((tmp_path / "cluster" / "provenance.json").read_text())
    assert all(worker.startswith("tcp://127.0.0.1:") for workers in provenance["workers"].values()
               for worker in workers)
    return provenance


def test_a_local_cluster_spreads_one_claims_batches_with_the_in_process_numbers(tmp_path, spread):
    provenance = cluster_and_local(tmp_path, ["toy.spread"])
    assert len(provenance["workers"]["toy.spread"]) == 4
    assert len(set(provenance["workers"]["toy.spread"])) == 2  # one claim's batches on both workers


@pytest.mark.slow
def test_a_real_claim_opted_into_one_seed_per_batch_gives_the_same_numbers_on_a_local_cluster(tmp_path, spread):
    """seed_batch = 1 through --config (the first batch on a fresh worker pays its imports: about a minute)."""
    config = tmp_path / "batched.toml"
    config.write_text(f'[claim."{REAL}"]\nseed_batch = 1\n')
    provenance = cluster_and_local(tmp_path, ["toy.spread", REAL], config)
    assert len(provenance["workers"][REAL]) == 3
    assert len({worker for workers in provenance["workers"].values() for worker in workers}) == 2
