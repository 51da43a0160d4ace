"""The filtering method over training: e_low and e_high of a classifier on real data (Xu et al. 2019, arXiv:1901.06523).

An MLP classifier is trained as in the published experiments: softmax output, cross entropy, full
batch Adam, float32, every seed at once as one batched model (`empirics.mlp`; the loss is the sum of
the per-seed losses, so each seed follows its own trajectory). Its output h (the softmax
probabilities) on the training set is recorded at log-spaced snapshots, and the filtering method
(`empirics.filtering`) splits target and
output into the parts below and above the Gaussian scale δ, for several δ given as fractions of the
data's median squared pairwise distance. The F-Principle predicts that the low part converges
first: e_low falls below a threshold at an earlier snapshot than e_high, for every δ. The target y
is the one-hot label.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from empirics.datasets import LabelledData
from empirics.filtering import filtered_errors, median_squared_distance
from empirics.mlp import MLPSpec, ensemble_forward, init_ensemble
from empirics.snapshots import first_below, log_spaced_steps


@dataclass(frozen=True)
class FilteringRun:
    """e_low / e_high over training, shape (len(delta_ratios), T, S), and where they first fall below.

    `first_low` / `first_high` (len(delta_ratios), S) are snapshot indices (T when never: ties last);
    seeds that diverged hold NaN errors and index -1. `target_low_fraction` (len(delta_ratios),) is
    ‖y^low‖ / ‖y‖, how much of the labels each δ counts as low frequency.
    """

    seeds: tuple[int, ...]
    steps: np.ndarray
    delta_ratios: np.ndarray
    deltas: np.ndarray
    e_low: np.ndarray
    e_high: np.ndarray
    first_low: np.ndarray
    first_high: np.ndarray
    train_accuracy: np.ndarray
    target_low_fraction: np.ndarray
    diverged: tuple[int, ...]


def filtering_run(
    data: LabelledData,
    seeds: Sequence[int],
    hidden: Sequence[int],
    activation: str,
    steps: int,
    lr: float,
    snapshots: int,
    delta_ratios: Sequence[float],
    threshold: float,
) -> FilteringRun:
    """Train one MLP per seed on `data` and measure e_low/e_high at log-spaced snapshots (module doc)."""
    seeds = tuple(int(seed) for seed in seeds)
    ratios = np.asarray(delta_ratios, dtype=np.float64)
    if ratios.size == 0 or np.any(~np.isfinite(ratios)) or np.any(ratios <= 0):
        raise ValueError(f"δ ratios must be finite and positive, not {ratios.tolist()}")
    spec = MLPSpec((data.inputs.shape[1], *(int(w) for w in hidden), data.classes), activation)
    schedule = log_spaced_steps(int(steps), int(snapshots))
    outputs = train_softmax_classifier(spec, seeds, data, int(steps), float(lr), schedule)  # (T, S, n, classes)
    target = data.one_hot
    deltas = ratios * median_squared_distance(data.inputs)
    finite = np.isfinite(outputs).all(axis=(0, 2, 3))
    e_low = np.full((ratios.size, schedule.size, len(seeds)), np.nan)
    e_high = np.full_like(e_low, np.nan)
    first_low = np.full((ratios.size, len(seeds)), -1, dtype=np.int64)
    first_high = np.full_like(first_low, -1)
    fraction = np.full(ratios.size, np.nan)
    if finite.any():
        errors = filtered_errors(data.inputs, target, outputs[:, finite], deltas)
        e_low[:, :, finite], e_high[:, :, finite] = errors.e_low, errors.e_high
        first_low[:, finite] = first_below(np.moveaxis(errors.e_low, 1, 0), threshold)
        first_high[:, finite] = first_below(np.moveaxis(errors.e_high, 1, 0), threshold)
        fraction = errors.target_low_norm / np.linalg.norm(target)
    accuracy = np.where(finite, (np.argmax(np.nan_to_num(outputs[-1]), axis=-1) == data.labels).mean(axis=-1), np.nan)
    diverged = tuple(seed for seed, ok in zip(seeds, finite, strict=True) if not ok)
    return FilteringRun(seeds, schedule, ratios, deltas, e_low, e_high, first_low, first_high, accuracy,
                        fraction, diverged)


def train_softmax_classifier(
    spec: MLPSpec, seeds: Sequence[int], data: LabelledData, steps: int, lr: float, schedule: np.ndarray
) -> np.ndarray:
    """Softmax probabilities (T, S, n, classes) at the snapshot steps of full-batch Adam on cross entropy.

    A seed whose loss turns NaN/inf keeps NaN outputs from then on (it diverged).
    """
    if not (np.isfinite(lr) and lr > 0):
        raise ValueError(f"the learning rate must be a finite positive number, not {lr!r}")
    params = init_ensemble(spec, seeds)
    tensors = [tensor.requires_grad_() for tensor in params.tensors]
    optimizer = torch.optim.Adam(tensors, lr=lr, fused=True)
    inputs = torch.tensor(data.inputs, dtype=torch.float32)
    labels = torch.tensor(data.labels).expand(len(seeds), -1)
    outputs = np.full((schedule.size, len(seeds), *data.one_hot.shape), np.nan)
    wanted = {int(step): index for index, step in enumerate(schedule)}
    healthy = torch.ones(len(seeds), dtype=torch.bool)
    for step in range(steps + 1):
        logits = ensemble_forward(spec, params, inputs)
        per_seed = torch.nn.functional.cross_entropy(logits.transpose(1, 2), labels, reduction="none").mean(dim=1)
        healthy &= torch.isfinite(per_seed.detach())
        if step in wanted:
            probabilities = torch.softmax(logits.detach(), dim=-1).double().numpy()
            outputs[wanted[step], healthy.numpy()] = probabilities[healthy.numpy()]
        if step == steps or not healthy.any():
            break
        optimizer.zero_grad(set_to_none=True)
        per_seed[healthy].sum().backward()
        optimizer.step()
    return outputs
