"""Per-seed random streams (docs/design.md, "Profiles, seeds and reproducibility"): generators via SeedSequence.

Every random draw of an experiment belongs to one seed and one named stream ("init", "phases",
"noise", "perturbation", ...), so that a seed's initialisation does not change when another stream
(or another seed) draws more numbers. The stream name is hashed with CRC-32, a fixed function, so
the same (seed, stream) gives the same numbers on every machine and in every process.
"""

from __future__ import annotations

import zlib

import numpy as np
import torch


def seed_sequence(seed: int, stream: str) -> np.random.SeedSequence:
    """The SeedSequence of one seed's named stream; seeds must be non-negative integers."""
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"a seed must be a non-negative integer, not {seed!r}")
    return np.random.SeedSequence([int(seed), zlib.crc32(stream.encode("utf-8"))])


def numpy_rng(seed: int, stream: str) -> np.random.Generator:
    """A numpy Generator for one seed's named stream."""
    return np.random.default_rng(seed_sequence(seed, stream))


def torch_generator(seed: int, stream: str) -> torch.Generator:
    """A CPU torch.Generator for one seed's named stream (seeded from the same SeedSequence)."""
    state = int(seed_sequence(seed, stream).generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))
    return torch.Generator().manual_seed(state)
