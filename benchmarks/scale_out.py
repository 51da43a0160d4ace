"""Scale-out of the paper profile, from the measured task times of the reference run (`reference/paper`).

Each committed record gives a claim-variant's wall time T and its seed count S, and each shared experiment
(`fpcheck.reports.stage`, listed in its consumers' records) is a task of its own with its wall time and the
seeds of its batch. Two task models:

- `before` (a task is one claim-variant with all its seeds): tasks of time T;
- `after` (seed batches of one seed, `Setup.seed_batch = 1`): S tasks of time T / S each (the ensemble
  engine's cost is about linear in the seed count at a fixed size; per-batch overheads are neglected, so this
  is an upper bound of the gain).

The critical path on W workers is the makespan of the longest-processing-time-first schedule (each task, longest
first, to the least loaded worker; within 4/3 of the optimum, Graham 1969). Reported as ratios to the
single-worker time (the sum of all task times): `scale_out_<model>_<W>_workers` for W = 1, 2, 8, 32; the target
of the paper profile is ≤ 1/6 at 32 workers after seed batching. `scale_out_coverage` is the share of the
catalogue's paper claim-variants that have a current record (the figures cover those only: stale and missing
ones are left out); `quick` changes nothing
(the records are read, not timed).
"""

from __future__ import annotations

import heapq
from pathlib import Path

from fpcheck.reports import reference
from fpcheck.reports.task import batches_of

WORKERS = (1, 2, 8, 32)
ROOT = Path(__file__).resolve().parents[1] / "reference" / "paper"


def makespan(times: list[float], workers: int) -> float:
    """The longest-processing-time-first makespan of `times` on `workers` identical workers."""
    loads = [0.0] * workers
    for duration in sorted(times, reverse=True):
        heapq.heappush(loads, heapq.heappop(loads) + duration)
    return max(loads)


def scale_out_benchmark(quick: bool = False) -> dict[str, float]:
    entries = reference.entries(ROOT)
    rows = [row for row in entries if row.state == "current" and row.record is not None]
    if not rows:
        return {"scale_out_coverage": 0.0}
    tasks = [(float(row.record["wall_s"]), len(row.record["seeds"])) for row in rows]
    shared = {entry["hash"]: (float(entry["wall_s"]), len(batches_of(row.record)[entry["batch"]]["seeds"]))
              for row in rows for entry in row.record.get("experiments", [])}
    tasks += list(shared.values())  # a shared experiment is a task of its own, counted once
    before = [wall for wall, _ in tasks]
    after = [wall / seeds for wall, seeds in tasks for _ in range(seeds)]
    total = sum(before)
    figures = {"scale_out_coverage": len(rows) / len(entries)}
    for name, times in (("before", before), ("after", after)):
        for workers in WORKERS:
            figures[f"scale_out_{name}_{workers}_workers"] = makespan(times, workers) / total
    return figures
