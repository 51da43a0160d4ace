"""The run-time settings a task fixes so that its numbers do not depend on where it runs.

`fixed_threads(n)` sets torch's intra-op threads and the BLAS threads of numpy/scipy to n while a task
runs (restored afterwards), so in-process, LocalCluster and remote runs give bit-identical numbers.
`PROGRESS_VARIABLE` hides every training progress bar when set to 0 (`fpcheck verify --quiet`).

torch is imported inside `fixed_threads` only: importing this module (the verdict layer does) loads no
torch.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from threadpoolctl import threadpool_limits

PROGRESS_VARIABLE = "FPCHECK_PROGRESS"
"""Set to 0 in the environment to hide every training progress bar (read at each training run)."""


def progress_enabled() -> bool:
    return os.environ.get(PROGRESS_VARIABLE) != "0"


@contextmanager
def fixed_threads(threads: int) -> Iterator[None]:
    """torch and BLAS on `threads` threads while the block runs."""
    import torch  # the first experiment of a process loads torch here, never at import

    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        with threadpool_limits(limits=threads):
            yield
    finally:
        torch.set_num_threads(before)
