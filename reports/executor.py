"""Where tasks run: in-process (default), a Dask LocalCluster or a running cluster.

The executor only decides where; the tasks are the same and fix their own thread counts, devices and
seeds (a task is one batch of a claim-variant's seeds, batched by the claim's setup), so every executor
gives the same numbers, bit for bit, and a cluster spreads the batches of one claim over its workers.
A shared experiment (`fpcheck.reports.stage`) is a task of its own: in-process it runs before its
first consumer; on a cluster its consumers depend on its future, and a finished one the run directory
holds is scattered to the workers. Dask retries a task whose worker died (`TASK_RETRIES`), on another
worker. Batch records and stage outputs come back as they finish, each with the worker that ran it, so
the caller can store each at once (a run interrupted later reuses it). Only the client process writes
the run directory: workers return records.

Dask is an optional extra (`pip install fpcheck[dask]`); without it, --workers and --scheduler say
how to install it. A scheduler that cannot be reached, or is lost during the run, is `SchedulerError`
(one line, with the command that resumes the run).
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from fpcheck.errors import BadArgument, MissingExtra, SchedulerError
from fpcheck.reports.stage import Stage, StageOutput, run_stage
from fpcheck.reports.task import Task, run_task

TASK_RETRIES = 3
CONNECT_TIMEOUT = "10s"


Event = tuple[Task, dict[str, Any]] | tuple[Stage, StageOutput]
"""What `run` yields: a task and its batch record, or a shared experiment's stage and its output (yielded
before the first record of a task that used it, so the caller keeps it first)."""


def run_on_worker(task: Task, shared: StageOutput | None = None) -> dict[str, Any]:
    """`run_task` on a Dask worker, recording which worker ran the batch."""
    from distributed import get_worker

    record = run_task(task, shared)
    record["worker"] = get_worker().address
    return record


def stage_on_worker(stage: Stage) -> StageOutput:
    """`run_stage` on a Dask worker, recording which worker ran it."""
    from distributed import get_worker

    return run_stage(stage, get_worker().address)


class InProcess:
    """Runs tasks one after the other in this process; a shared experiment runs before its first task and
    is kept in memory until its last one has run."""

    address: str | None = None

    def run(self, tasks: Sequence[Task], stages: Mapping[str, Stage] | None = None,
            stored: Mapping[str, StageOutput] | None = None) -> Iterator[Event]:
        stages = stages or {}
        kept = dict(stored or {})
        del stored  # `kept` alone holds them, each until its last task has run
        left = Counter(stages[task.name].hash for task in tasks if task.name in stages)
        for task in tasks:
            stage = stages.get(task.name)
            if stage is not None and stage.hash not in kept:
                kept[stage.hash] = run_stage(stage)
                yield stage, kept[stage.hash]
            record = run_task(task, kept[stage.hash] if stage is not None else None)
            record["worker"] = "in-process"
            if stage is not None:
                left[stage.hash] -= 1
                if not left[stage.hash]:
                    del kept[stage.hash]
            yield task, record


class DaskExecutor:
    """Runs tasks on a Dask cluster through a connected `distributed.Client`."""

    def __init__(self, client: Any, out: str | Path | None) -> None:
        self.client = client
        self.address: str | None = client.scheduler.address
        self.out = out

    def run(self, tasks: Sequence[Task], stages: Mapping[str, Stage] | None = None,
            stored: Mapping[str, StageOutput] | None = None) -> Iterator[Event]:
        """Submit every task; a task that uses a shared experiment depends on the stage's future (run on a
        worker, or, when the run directory holds it, scattered from here)."""
        from distributed import as_completed

        stages, stored = stages or {}, stored or {}
        shared: dict[str, Any] = {}
        futures: dict[Any, Task | Stage] = {}
        for stage in {stage.hash: stage for task in tasks if (stage := stages.get(task.name))}.values():
            if stage.hash in stored:  # on every worker: a worker that dies does not take it along
                shared[stage.hash] = self.client.scatter(stored[stage.hash], broadcast=True)
            else:
                shared[stage.hash] = self.client.submit(stage_on_worker, stage, key=f"fpcheck-stage-{stage.name}",
                                                        retries=TASK_RETRIES, pure=False)
                futures[shared[stage.hash]] = stage
        del stored
        left = Counter(stages[task.name].hash for task in tasks if task.name in stages)
        for task in tasks:
            stage = stages.get(task.name)
            future = self.client.submit(run_on_worker, task, shared[stage.hash] if stage is not None else None,
                                        key=f"fpcheck-{task.name}-{task.batch_hash}", retries=TASK_RETRIES,
                                        pure=False)
            futures[future] = task
        try:
            for future in as_completed(futures):
                item = futures.pop(future)
                yield item, future.result()
                if isinstance(item, Task) and item.name in stages:
                    key = stages[item.name].hash
                    left[key] -= 1
                    if not left[key]:  # its last task is in: the cluster may forget the shared result
                        del shared[key]
        except OSError as error:  # CommClosedError and the like: the scheduler went away
            resume = f"fpcheck verify ... --out {self.out}" if self.out is not None else "the same command"
            raise SchedulerError(f"lost the Dask scheduler at {self.address} ({type(error).__name__}); finished "
                                 f"claims and batches are kept: run {resume} again to resume") from None


def _distributed() -> Any:
    try:
        import distributed
    except ImportError:
        raise MissingExtra("--workers and --scheduler need Dask: pip install 'fpcheck[dask]'") from None
    return distributed


@contextmanager
def executor(workers: int | None = None, scheduler: str | None = None,
             out: str | Path | None = None) -> Iterator[InProcess | DaskExecutor]:
    """The executor for `--workers N` (a LocalCluster), `--scheduler ADDRESS` or in-process.

    Without either, the DASK_SCHEDULER_ADDRESS environment variable names a cluster to use.
    """
    if workers is not None and scheduler is not None:
        raise BadArgument("give either --workers (a local cluster) or --scheduler (a running one), not both")
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or not 1 <= workers <= 256):
        raise BadArgument(f"--workers must be an integer from 1 to 256, not {workers!r}")
    scheduler = scheduler or (os.environ.get("DASK_SCHEDULER_ADDRESS") if workers is None else None)
    if workers is None and not scheduler:
        yield InProcess()
        return
    distributed = _distributed()
    if workers is not None:
        with distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                      dashboard_address=":0") as cluster, distributed.Client(cluster) as client:
            yield DaskExecutor(client, out)
        return
    try:
        client = distributed.Client(scheduler, timeout=CONNECT_TIMEOUT)
    except (OSError, TimeoutError, ValueError, TypeError) as error:
        raise SchedulerError(f"cannot reach the Dask scheduler at {scheduler!r}: {error}") from None
    with client:
        yield DaskExecutor(client, out)
