"""The run-time settings a task fixes so that its numbers do not depend on where it runs.

`fixed_threads(n)` sets torch's intra-op threads and the BLAS threads of numpy/scipy to n while a task
runs (restored afterwards), so in-process, LocalCluster and remote runs give bit-identical numbers.
`PROGRESS_VARIABLE` hides every training progress bar when set to 0 (`fpcheck verify --quiet`).
`network_steps()` counts the updates of single networks the training engine has made in this process
(`count_network_steps`, called by `fpcheck.empirics.ensemble.train_ensemble`): a task records how many its
experiment took, so the cost of a profile is counted, not timed.

`on_device(name)` selects the torch device of the experiments while a task runs (`fpcheck verify --device`,
"cpu" by default): the training engine (`fpcheck.empirics.ensemble`), the networks of `fpcheck.empirics.mlp`
and the NTK of `fpcheck.empirics.ntk` create their tensors on `device()`; the initial parameters are drawn
on the CPU from each seed's CPU generator and then moved, and results come back as numpy. The device is
set here rather than in every setup, so setups and their hashes stay as they are; bit-identity holds per
device only. `check_device(name)` refuses a name that is not a device, or one this machine lacks.

torch is imported inside the functions only (and for "cpu", `check_device` needs none): importing this
module (the verdict layer does) loads no torch.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from threadpoolctl import threadpool_limits

from fpcheck.errors import DeviceError

if TYPE_CHECKING:
    import torch

DEVICES = ("cpu", "cuda")
_DEVICE = ["cpu"]  # the device of the running task (`on_device`)

_NETWORK_STEPS = [0]  # updates of single networks by the engine in this process

PROGRESS_VARIABLE = "FPCHECK_PROGRESS"
"""Set to 0 in the environment to hide every training progress bar (read at each training run)."""


def progress_enabled() -> bool:
    return os.environ.get(PROGRESS_VARIABLE) != "0"


def count_network_steps(networks: int) -> None:
    """Add one update of `networks` networks (one optimiser step of an ensemble of that many seeds)."""
    _NETWORK_STEPS[0] += networks


def network_steps() -> int:
    """The updates of single networks made by the training engine in this process so far."""
    return _NETWORK_STEPS[0]


@contextmanager
def fixed_threads(threads: int) -> Iterator[None]:
    """torch and BLAS on `threads` threads while the block runs."""
    import torch  # the first experiment of a process loads torch here, never at import

    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        with blas_threads(threads):
            yield
    finally:
        torch.set_num_threads(before)


@contextmanager
def blas_threads(threads: int) -> Iterator[None]:
    """The BLAS of numpy/scipy on `threads` threads while the block runs (no torch: the reconciler's)."""
    with threadpool_limits(limits=threads):
        yield


def check_device(name: object) -> str:
    """`name` if it is a device of DEVICES that this machine has, else DeviceError (one line)."""
    if not isinstance(name, str) or name not in DEVICES:
        raise DeviceError(f"--device must be one of {', '.join(DEVICES)}, not {name!r}")
    if name == "cuda":
        import torch

        if not torch.cuda.is_available():
            raise DeviceError(f"--device cuda: CUDA is not available here (torch {torch.__version__}, "
                              f"{'built without CUDA' if torch.version.cuda is None else 'no GPU found'}); "
                              "use --device cpu")
    return name


@contextmanager
def on_device(name: str) -> Iterator[None]:
    """Experiments create their tensors on `name` while the block runs (checked first: DeviceError)."""
    _DEVICE.append(check_device(name))
    try:
        yield
    finally:
        _DEVICE.pop()


def device() -> torch.device:
    """The torch device of the running task ("cpu" outside `on_device`)."""
    import torch

    return torch.device(_DEVICE[-1])
