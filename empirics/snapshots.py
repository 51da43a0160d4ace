"""Snapshot schedules, and when an error curve recorded at snapshots crosses a threshold (docs/catalogue.md).

`log_spaced_steps` gives step 0 and about `count` geometrically spaced steps up to the last one, so
that early (fast, low-frequency) and late events are both resolved.

Errors have the snapshots along axis 0 (any further axes: δ, seeds, bands, peaks …). Both functions
return snapshot indices; a curve that never qualifies gets T, the number of snapshots ("after the
last step": all such curves tie last).

- `first_below`: the first snapshot with error < threshold (a radial band or a filtered part
  "converges when its relative error first falls below" the threshold);
- `settled_below`: the first snapshot after which the error stays < threshold until the end of the
  run (the convergence step of a spectral peak).

`step_at` turns such indices into training steps, index T reading as one step after the last.
"""

from __future__ import annotations

import numpy as np


def log_spaced_steps(steps: int, count: int) -> np.ndarray:
    """0, then about `count` distinct integers spaced geometrically from 1 to `steps` (both included)."""
    if isinstance(steps, bool) or not isinstance(steps, int | np.integer) or steps < 1:
        raise ValueError(f"steps must be a positive integer, not {steps!r}")
    if isinstance(count, bool) or not isinstance(count, int | np.integer) or count < 2:
        raise ValueError(f"the number of snapshots must be an integer ≥ 2, not {count!r}")
    spaced = np.round(np.geomspace(1, steps, count)).astype(np.int64)
    return np.unique(np.concatenate([[0], spaced]))


def step_at(steps: np.ndarray, indices: np.ndarray) -> np.ndarray:
    """The step of each snapshot index; index T (never) is steps[-1] + 1, after the last step."""
    steps = np.asarray(steps)
    return np.append(steps, steps[-1] + 1)[indices]


def _checked(errors: np.ndarray, threshold: float) -> np.ndarray:
    errors = np.asarray(errors, dtype=np.float64)
    if errors.ndim < 1 or errors.shape[0] < 1:
        raise ValueError(f"errors need at least one snapshot along axis 0, not shape {errors.shape}")
    if np.isnan(errors).any():
        raise ValueError("errors hold NaN: the crossing is undefined")
    if not np.isfinite(threshold):
        raise ValueError(f"the threshold must be finite, not {threshold!r}")
    return errors


def first_below(errors: np.ndarray, threshold: float) -> np.ndarray:
    """Index of the first snapshot with error < threshold, T when there is none (shape errors.shape[1:])."""
    below = _checked(errors, threshold) < threshold
    return np.where(below.any(axis=0), np.argmax(below, axis=0), below.shape[0])


def settled_below(errors: np.ndarray, threshold: float) -> np.ndarray:
    """Index of the first snapshot from which every error is < threshold, T when the last one is not."""
    below = _checked(errors, threshold) < threshold
    count = below.shape[0]
    # length of the final run of snapshots below the threshold
    tail = np.argmax(~below[::-1], axis=0)
    tail = np.where(below.all(axis=0), count, tail)
    return count - tail
