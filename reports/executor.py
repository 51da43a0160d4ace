"""Where tasks run (DESIGN.md, "Scale"): in-process (default), a Dask LocalCluster or a running cluster.

The executor only decides where; the tasks are the same and fix their own thread counts and seeds,
so every executor gives the same numbers, bit for bit. Dask retries a task whose worker died
(`TASK_RETRIES`), on another worker. Records come back as they finish, so the caller can store each
finished claim at once (a run interrupted later reuses it).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from reports.task import Task, run_task

TASK_RETRIES = 3
CONNECT_TIMEOUT = "10s"


class SchedulerError(ValueError):
    """A Dask scheduler that cannot be reached (bad input: exit 2)."""


def run_on_worker(task: Task) -> dict[str, Any]:
    """`run_task` on a Dask worker, recording which worker ran it."""
    from distributed import get_worker

    record = run_task(task)
    record["worker"] = get_worker().address
    return record


class InProcess:
    """Runs tasks one after the other in this process."""

    address: str | None = None

    def run(self, tasks: Sequence[Task]) -> Iterator[dict[str, Any]]:
        for task in tasks:
            record = run_task(task)
            record["worker"] = "in-process"
            yield record


class DaskExecutor:
    """Runs tasks on a Dask cluster through a connected `distributed.Client`."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.address: str | None = client.scheduler.address

    def run(self, tasks: Sequence[Task]) -> Iterator[dict[str, Any]]:
        from distributed import as_completed

        futures = [
            self.client.submit(run_on_worker, task, key=f"fpcheck-{task.claim_id}-{task.config_hash}",
                               retries=TASK_RETRIES, pure=False)
            for task in tasks
        ]
        for future in as_completed(futures):
            yield future.result()


@contextmanager
def executor(workers: int | None = None, scheduler: str | None = None) -> Iterator[InProcess | DaskExecutor]:
    """The executor for `--workers N` (a LocalCluster), `--scheduler ADDRESS` or in-process.

    Without either, the DASK_SCHEDULER_ADDRESS environment variable names a cluster to use.
    """
    if workers is not None and scheduler is not None:
        raise ValueError("give either --workers (a local cluster) or --scheduler (a running one), not both")
    if workers is not None and workers < 1:
        raise ValueError(f"--workers must be a positive integer, not {workers}")
    scheduler = scheduler or (os.environ.get("DASK_SCHEDULER_ADDRESS") if workers is None else None)
    if workers is None and not scheduler:
        yield InProcess()
        return
    from distributed import Client, LocalCluster

    if workers is not None:
        with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                          dashboard_address=":0") as cluster, Client(cluster) as client:
            yield DaskExecutor(client)
        return
    try:
        client = Client(scheduler, timeout=CONNECT_TIMEOUT)
    except (OSError, TimeoutError, ValueError) as error:
        raise SchedulerError(f"cannot reach the Dask scheduler at {scheduler}: {error}") from None
    with client:
        yield DaskExecutor(client)
