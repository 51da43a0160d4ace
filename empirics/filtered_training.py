"""The filtering experiment: a softmax classifier trained on real data, filtered at every snapshot
(Xu et al. 2019, arXiv:1901.06523, § filtering method).

The run function of `fpcheck.empirics.filtering_fit.FILTERING_FIT` (where the setup, the result and the
measurement live). The classifier trains through the one engine, `fpcheck.empirics.ensemble.train_ensemble`,
on `fpcheck.empirics.losses.SoftmaxCrossEntropy`: full-batch Adam, float32, every seed at once as one
batched model (the loss is the sum of the per-seed losses, so each seed follows its own trajectory); the
engine records the softmax probabilities h on the training set at the snapshot steps and applies its one
divergence rule. The filtering method (`fpcheck.empirics.filtering`) then gives e_low and e_high of every
healthy seed at every snapshot and δ in one pass.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from fpcheck.empirics.datasets import LabelledData, labelled_data
from fpcheck.empirics.ensemble import TrainingConfig, TrainingRun, train_ensemble
from fpcheck.empirics.filtering import filtered_errors, median_squared_distance
from fpcheck.empirics.filtering_fit import FilteringFit, FilteringFitResult
from fpcheck.empirics.losses import SoftmaxCrossEntropy
from fpcheck.empirics.mlp import MLPSpec


def train_classifier(spec: MLPSpec, seeds: Sequence[int], data: LabelledData, config: TrainingConfig) -> TrainingRun:
    """One softmax classifier per seed on `data` through the engine: `outputs["train"]` (T, S, n, classes)
    holds the softmax probabilities on the data at the snapshot steps."""
    inputs = torch.tensor(data.inputs, dtype=torch.float32)
    classes = torch.tensor(data.labels, dtype=torch.float32)[:, None]  # SoftmaxCrossEntropy reads the index
    return train_ensemble(spec, seeds, inputs, classes, config, loss=SoftmaxCrossEntropy())


def filtering_fit(setup: FilteringFit, seeds: Sequence[int]) -> FilteringFitResult:
    """Train the setup's classifier per seed and filter its outputs at every snapshot and δ."""
    seeds = tuple(seeds)
    data = labelled_data(setup.dataset)
    spec = MLPSpec((data.inputs.shape[1], *setup.hidden, data.classes), setup.activation)
    schedule = setup.snapshot_steps
    config = TrainingConfig(steps=setup.steps, lr=setup.lr, snapshot_steps=tuple(int(s) for s in schedule),
                            description=f"filtering ({setup.dataset})")
    run = train_classifier(spec, seeds, data, config)
    outputs = run.outputs["train"]  # (T, S, n, classes)
    target = data.one_hot
    ratios = np.asarray(setup.delta_ratios, dtype=np.float64)
    deltas = ratios * median_squared_distance(data.inputs)
    healthy = np.array([seed not in run.diverged for seed in seeds])
    e_low = np.full((ratios.size, schedule.size, len(seeds)), np.nan)
    e_high = np.full_like(e_low, np.nan)
    fraction = np.full(ratios.size, np.nan)
    if healthy.any():
        errors = filtered_errors(data.inputs, target, outputs[:, healthy], deltas)
        e_low[:, :, healthy], e_high[:, :, healthy] = errors.e_low, errors.e_high
        fraction = errors.target_low_norm / np.linalg.norm(target)
    correct = np.argmax(np.nan_to_num(outputs[-1]), axis=-1) == data.labels
    accuracy = np.where(healthy, correct.mean(axis=-1), np.nan)
    return FilteringFitResult(seeds=seeds, steps=schedule, deltas=deltas, e_low=e_low, e_high=e_high,
                              train_accuracy=accuracy, target_low_fraction=fraction, diverged=run.diverged_seeds)
