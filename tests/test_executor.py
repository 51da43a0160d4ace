"""Scale-out on a real Dask cluster: scheduler and workers as separate processes on 127.0.0.1.

The same toy claims run in-process and on the cluster must give bit-identical numbers; a worker
killed mid-task has its task retried on another worker; an unreachable scheduler is bad input.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from toy_claims import TOY_CLAIMS

import fpcheck.reports.executor
from fpcheck import verify
from fpcheck.reports.compare import compare_runs
from fpcheck.reports.executor import SchedulerError

TESTS = Path(__file__).resolve().parent
DASK = str(Path(sys.executable).with_name("dask"))
IDS = [claim.id for claim in TOY_CLAIMS if claim.id != "toy.slow"]


def wait_for(condition, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        time.sleep(0.1)


@pytest.fixture
def toys(registered):
    for claim in TOY_CLAIMS:
        registered(claim)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """A scheduler and three single-threaded workers (no nanny, so a killed worker stays dead)."""
    scheduler_file = tmp_path_factory.mktemp("cluster") / "scheduler.json"
    env = {**os.environ, "PYTHONPATH": f"{TESTS}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    env.pop("DASK_SCHEDULER_ADDRESS", None)
    processes = [subprocess.Popen(
        [DASK, "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
         "--scheduler-file", str(scheduler_file)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    try:
        wait_for(scheduler_file.exists, 60, "the scheduler")
        wait_for(lambda: "address" in scheduler_file.read_text(), 10, "the scheduler file")
        address = json.loads(scheduler_file.read_text())["address"]
        workers = [
            subprocess.Popen(
                [DASK, "worker", address, "--nthreads", "1", "--no-nanny", "--no-dashboard",
                 "--host", "127.0.0.1", "--preload", "toy_registration", "--name", f"worker-{number}"],
                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for number in range(3)
        ]
        processes += workers
        from distributed import Client

        with Client(address, timeout="30s") as client:
            client.wait_for_workers(3, timeout=60)
        yield address, workers
    finally:
        for process in reversed(processes):
            process.kill()
            process.wait()


def test_cluster_numbers_equal_in_process_numbers(tmp_path, toys, cluster):
    address, _ = cluster
    local = verify(IDS, out=tmp_path / "local", progress=False)
    remote = verify(IDS, out=tmp_path / "remote", progress=False, scheduler=address)
    pd.testing.assert_frame_equal(local.drop(columns="wall_s"), remote.drop(columns="wall_s"))
    comparison = compare_runs(tmp_path / "local", tmp_path / "remote", rtol=0, atol=0)
    assert comparison.agree and comparison.identical == sorted(IDS)
    provenance = json.loads((tmp_path / "remote" / "provenance.json").read_text())
    assert provenance["scheduler"] == address
    assert all(worker.startswith("tcp://127.0.0.1:") for workers in provenance["workers"].values()
               for worker in workers)


def test_a_worker_killed_mid_task_is_retried_elsewhere(tmp_path, toys, cluster):
    address, workers = cluster
    from distributed import Client

    killed: list[str] = []

    def kill_the_busy_worker() -> None:
        with Client(address, timeout="30s") as client:
            def busy():
                return {worker: tasks for worker, tasks in client.processing().items() if tasks}
            wait_for(lambda: any("toy.slow" in key for tasks in busy().values() for key in map(str, tasks)), 60,
                     "the slow task to start")
            worker_address = next(w for w, tasks in busy().items() if any("toy.slow" in str(t) for t in tasks))
            pid = client.run(os.getpid, workers=[worker_address])[worker_address]
        os.kill(pid, signal.SIGKILL)
        killed.append(worker_address)

    import threading

    killer = threading.Thread(target=kill_the_busy_worker)
    killer.start()
    remote = verify(["toy.slow"], out=tmp_path / "remote", progress=False, scheduler=address)
    killer.join()
    assert killed, "no worker was killed"
    local = verify(["toy.slow"], out=tmp_path / "local", progress=False)
    assert compare_runs(tmp_path / "local", tmp_path / "remote", rtol=0, atol=0).identical == ["toy.slow"]
    assert list(remote["verdict"]) == list(local["verdict"]) == ["agree"]
    provenance = json.loads((tmp_path / "remote" / "provenance.json").read_text())
    assert provenance["workers"]["toy.slow"] != [killed[0]]


def test_local_cluster_gives_the_same_numbers(tmp_path, toys, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", f"{TESTS}{os.pathsep}{os.environ.get('PYTHONPATH', '')}")
    import dask

    with dask.config.set({"distributed.worker.preload": ["toy_registration"]}):
        remote = verify(IDS, out=tmp_path / "cluster", progress=False, workers=2)
    local = verify(IDS, out=tmp_path / "local", progress=False)
    pd.testing.assert_frame_equal(local.drop(columns="wall_s"), remote.drop(columns="wall_s"))


def test_an_unreachable_scheduler_is_bad_input(tmp_path, toys, monkeypatch):
    monkeypatch.setattr(fpcheck.reports.executor, "CONNECT_TIMEOUT", "1s")
    with pytest.raises(SchedulerError, match="cannot reach the Dask scheduler at 'tcp://127.0.0.1:9'"):
        verify(["toy.exact"], out=tmp_path, progress=False, scheduler="tcp://127.0.0.1:9")
