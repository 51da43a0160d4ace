"""The parity experiment: one network per seed trained on its random half of the parity cube (Xu et al.
2019, arXiv:1901.06523; seed 001).

The run function of `fpcheck.empirics.parity_fit.PARITY_FIT` (where the setup, the result and the
measurement live): it draws each seed's training half (`fpcheck.empirics.datasets.training_half`),
trains all seeds at once with the engine (`fpcheck.empirics.ensemble.train_ensemble`, mean squared
error to the ±1 labels) and evaluates the spectra along the diagonal of the full cube, of each training
half and of each trained network on the whole cube (`fpcheck.empirics.projection`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from fpcheck.empirics.datasets import parity_cube, training_half
from fpcheck.empirics.ensemble import TrainingConfig, train_ensemble
from fpcheck.empirics.mlp import MLPSpec
from fpcheck.empirics.parity_fit import ParityFit, ParityFitResult
from fpcheck.empirics.projection import nonuniform_dft, projections


def parity_fit(setup: ParityFit, seeds: Sequence[int]) -> ParityFitResult:
    """Train one network per seed on its random half of the cube and transform along the diagonal (module doc)."""
    seeds = tuple(seeds)
    points, labels = parity_cube(setup.bits, setup.target_degree)
    frequencies = setup.frequencies
    halves = np.stack([training_half(labels.size, seed) for seed in seeds])
    spec = MLPSpec((setup.bits, *setup.hidden, 1), setup.activation)
    config = TrainingConfig(steps=setup.steps, lr=setup.lr, progress=False, description="parity")
    run = train_ensemble(
        spec,
        seeds,
        torch.tensor(points[halves], dtype=torch.float32),
        torch.tensor(labels[halves][..., None], dtype=torch.float32),
        config,
        eval_inputs={"cube": torch.tensor(points, dtype=torch.float32)},
    )
    outputs = run.outputs["cube"][-1, :, :, 0]  # (S, 2^bits) after training
    t = projections(points, np.ones(setup.bits))
    full = nonuniform_dft(t, labels, frequencies)
    train_spectra, network_spectra, train_accuracy, test_accuracy = [], [], [], []
    for member, half in enumerate(halves):
        inside = np.zeros(labels.size, dtype=bool)
        inside[half] = True
        output = outputs[member]
        finite = bool(np.all(np.isfinite(output)))
        train_spectra.append(nonuniform_dft(t[inside], labels[inside], frequencies))
        network_spectra.append(nonuniform_dft(t, output, frequencies) if finite
                               else np.full(frequencies.size, np.nan + 0j))
        correct = np.sign(output) == labels
        train_accuracy.append(correct[inside].mean() if finite else np.nan)
        test_accuracy.append(correct[~inside].mean() if finite else np.nan)
    return ParityFitResult(seeds=seeds, full_spectrum=full, train_spectrum=np.array(train_spectra),
                           network_spectrum=np.array(network_spectra), train_accuracy=np.array(train_accuracy),
                           test_accuracy=np.array(test_accuracy), diverged=run.diverged_seeds)
