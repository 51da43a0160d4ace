"""Networks trained on labels over an on-bin periodic grid, and their spectra at every snapshot.

The 1D training claims (CLAIMS.md, "1D training dynamics") all fit a 1D function sampled on a periodic
grid (`empirics.grids`) and follow chosen Fourier peaks of the output during training. Network and
labels are transformed the same way (`empirics.spectra.fourier_coefficients`: ordinary frequency in
cycles per period, e^{-2πikx/P}, 1/n), so Δ_F compares like with like.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from empirics.ensemble import SnapshotHook, TrainingConfig, TrainingRun, train_ensemble
from empirics.grids import PeriodicGrid
from empirics.mlp import EnsembleParameters, MLPSpec
from empirics.seeding import numpy_rng
from empirics.spectra import peak_coefficients, peak_errors
from empirics.tables import frame
from empirics.targets import SumOfSines, random_phases


def sine_targets(
    seeds: Sequence[int],
    frequencies: Sequence[int],
    amplitudes: Sequence[float],
    period: float,
    random_phase: bool,
) -> list[SumOfSines]:
    """One target per seed: Σ A_i sin(2π k_i x / period + φ_i), φ_i = 0 or drawn per seed.

    Random phases come from the seed's "phases" stream, uniform on [0, 2π) (Rahaman et al. 2019, Eq. 8).
    """
    count = len(frequencies)
    return [
        SumOfSines(
            tuple(int(k) for k in frequencies),
            tuple(float(a) for a in amplitudes),
            random_phases(count, numpy_rng(seed, "phases")) if random_phase else (0.0,) * count,
            float(period),
        )
        for seed in seeds
    ]


@dataclass
class GridRun:
    """A training run on a grid: the grids by name ("train" first), the labels (S, N) and the run."""

    seeds: tuple[int, ...]
    grids: dict[str, PeriodicGrid]
    labels: np.ndarray
    run: TrainingRun

    @property
    def steps(self) -> np.ndarray:
        return self.run.steps

    def outputs(self, name: str = "train") -> np.ndarray:
        """Network outputs (T, S, N) on the named grid at every snapshot."""
        return self.run.outputs[name][..., 0]

    def coefficients(self, peaks: Sequence[int], name: str = "train") -> np.ndarray:
        """c_k of the outputs at the peaks: (T, S, P) complex."""
        return peak_coefficients(self.outputs(name), self.grids[name], peaks)

    def label_coefficients(self, peaks: Sequence[int]) -> np.ndarray:
        """c_k of the training labels at the peaks: (S, P) complex."""
        return peak_coefficients(self.labels, self.grids["train"], peaks)

    def peak_errors(self, peaks: Sequence[int]) -> np.ndarray:
        """Δ_F(k) = |ĥ(k) - ŷ(k)| / |ŷ(k)| on the training grid: (T, S, P)."""
        return peak_errors(self.coefficients(peaks), self.label_coefficients(peaks)[None])

    def peak_table(self, peaks: Sequence[int]) -> pd.DataFrame:
        """Tidy rows (seed, step, quantity, frequency, value) of "delta_F" and "abs_coefficient" at the peaks."""
        return pd.concat(
            [
                frame(self.seeds, self.steps, "delta_F", self.peak_errors(peaks), frequencies=peaks),
                frame(self.seeds, self.steps, "abs_coefficient", np.abs(self.coefficients(peaks)), frequencies=peaks),
            ],
            ignore_index=True,
        )


def train_on_grid(
    spec: MLPSpec,
    seeds: Sequence[int],
    grid: PeriodicGrid,
    labels: np.ndarray,
    config: TrainingConfig,
    eval_grids: Mapping[str, PeriodicGrid] | None = None,
    initial: EnsembleParameters | None = None,
    on_snapshot: SnapshotHook | None = None,
) -> GridRun:
    """Train one network per seed on (grid points, labels); labels (N,) shared or (S, N) per seed.

    Outputs are recorded on the training grid ("train") and on every grid of `eval_grids`.
    """
    seeds = tuple(int(seed) for seed in seeds)
    values = np.asarray(labels, dtype=float)
    values = np.array(np.broadcast_to(values, (len(seeds), grid.n))) if values.ndim == 1 else values
    if values.shape != (len(seeds), grid.n):
        raise ValueError(f"labels must have shape ({grid.n},) or ({len(seeds)}, {grid.n}), not {values.shape}")
    grids = {"train": grid, **(eval_grids or {})}
    inputs = {name: torch.as_tensor(g.points, dtype=torch.float32)[:, None] for name, g in grids.items()}
    targets = torch.as_tensor(values, dtype=torch.float32)[:, :, None]
    run = train_ensemble(
        spec, seeds, inputs["train"], targets, config, eval_inputs=inputs, initial=initial, on_snapshot=on_snapshot
    )
    return GridRun(seeds, grids, values, run)
