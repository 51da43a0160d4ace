"""Parity on half the cube: fitted, not generalised, and aliased (Xu et al. 2019, arXiv:1901.06523; seed 001).

The parity y(x) = Π_i x_i on {-1, 1}^n has no low-frequency content along p = (1, …, 1)/√n (its
spectrum there is (-i)^n sin^n(2πk/√n): `theory.parity_spectrum`). A random half S of the cube keeps
the high-frequency content but loses the cancellation at low k: the training half's spectrum
ŷ_S(k) = (1/|S|) Σ_{j∈S} y_j e^{-2πik p·x_j} has spurious low frequencies (aliasing), and a network
trained on S, which by the F-Principle fits it with low frequencies first, carries them to the
whole cube: it fits S and fails on the other half.

Measured per seed (its own half S, drawn from the seed's "split" stream, and its own initialisation):
training and test accuracy (sign of the output against the label), and over a low band of
frequencies 0 ≤ k ≤ k_low the RMS amplitudes of the full cube's spectrum ŷ, of ŷ_S and of the
network's output on the whole cube ĥ (all through `empirics.projection`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from empirics.datasets import parity_cube, training_half
from empirics.ensemble import TrainingConfig, train_ensemble
from empirics.mlp import MLPSpec
from empirics.projection import nonuniform_dft, projections


@dataclass(frozen=True)
class ParityRun:
    """Per seed (axis 0 of every per-seed array): accuracies, spectra and low-band RMS amplitudes.

    `frequencies` (F,) along the diagonal; `full_spectrum` (F,) of the full cube's labels;
    `train_spectrum` and `network_spectrum` (S, F); `low_band` the mask of k ≤ k_low.
    """

    bits: int
    seeds: tuple[int, ...]
    frequencies: np.ndarray
    low_band: np.ndarray
    full_spectrum: np.ndarray
    train_spectrum: np.ndarray
    network_spectrum: np.ndarray
    train_accuracy: np.ndarray
    test_accuracy: np.ndarray
    diverged: tuple[int, ...]

    def low_band_rms(self, spectrum: np.ndarray) -> np.ndarray:
        """sqrt(mean over the low band of |ŷ(k)|²), over the last axis."""
        return np.sqrt(np.mean(np.abs(spectrum[..., self.low_band]) ** 2, axis=-1))


def parity_run(
    bits: int,
    seeds: Sequence[int],
    hidden: Sequence[int],
    activation: str,
    steps: int,
    lr: float,
    frequencies: np.ndarray,
    low_band_edge: float,
) -> ParityRun:
    """Train one network per seed on its random half of the cube (MSE on ±1 labels) and measure (module doc)."""
    seeds = tuple(int(seed) for seed in seeds)
    points, labels = parity_cube(bits)
    frequencies = np.asarray(frequencies, dtype=np.float64)
    low_band = frequencies <= low_band_edge
    if not low_band.any():
        raise ValueError(f"no frequency lies in the low band k ≤ {low_band_edge}")
    halves = np.stack([training_half(labels.size, seed) for seed in seeds])
    spec = MLPSpec((bits, *(int(w) for w in hidden), 1), activation)
    config = TrainingConfig(steps=int(steps), lr=float(lr), progress=False, description="parity")
    run = train_ensemble(
        spec,
        seeds,
        torch.tensor(points[halves], dtype=torch.float32),
        torch.tensor(labels[halves][..., None], dtype=torch.float32),
        config,
        eval_inputs={"cube": torch.tensor(points, dtype=torch.float32)},
    )
    outputs = run.outputs["cube"][-1, :, :, 0]  # (S, 2^bits) after training
    t = projections(points, np.ones(bits))
    full = nonuniform_dft(t, labels, frequencies)
    train_spectra, network_spectra, train_accuracy, test_accuracy = [], [], [], []
    for member, half in enumerate(halves):
        inside = np.zeros(labels.size, dtype=bool)
        inside[half] = True
        output = outputs[member]
        finite = bool(np.all(np.isfinite(output)))
        train_spectra.append(nonuniform_dft(t[inside], labels[inside], frequencies))
        network_spectra.append(nonuniform_dft(t, output, frequencies) if finite else np.full(frequencies.size, np.nan))
        correct = np.sign(output) == labels
        train_accuracy.append(correct[inside].mean() if finite else np.nan)
        test_accuracy.append(correct[~inside].mean() if finite else np.nan)
    diverged = tuple(sorted(set(run.diverged_seeds) | {s for s, o in zip(seeds, outputs, strict=True)
                                                       if not np.all(np.isfinite(o))}))
    return ParityRun(int(bits), seeds, frequencies, low_band, full, np.array(train_spectra),
                     np.array(network_spectra), np.array(train_accuracy), np.array(test_accuracy), diverged)
