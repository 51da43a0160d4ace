"""The sine-fit experiments: networks trained on a sum of sines over an on-bin periodic grid.

Each function here is the run function of one experiment of `fpcheck.empirics.sine_fit` (where the
setups, results and measurements live): it builds the targets and the networks from the setup, trains
all seeds at once with the engine (`fpcheck.empirics.ensemble.train_ensemble`) and returns plain arrays.
Network and labels are later transformed the same way (`fpcheck.empirics.spectra`), so Δ_F compares
like with like.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

import numpy as np
import torch

from fpcheck.empirics.ensemble import SnapshotHook, TrainingConfig, TrainingRun, train_ensemble
from fpcheck.empirics.grids import PeriodicGrid
from fpcheck.empirics.losses import Loss, MeanSquaredError, SobolevLoss
from fpcheck.empirics.mlp import EnsembleParameters, MLPSpec
from fpcheck.empirics.norms import norm_product, spectral_norms
from fpcheck.empirics.perturbation import amplitude_loss
from fpcheck.empirics.seeding import numpy_rng
from fpcheck.empirics.sine_fit import (
    InitScaleFit,
    InitScaleResult,
    NoisySineFit,
    NoisySineFitResult,
    NormTrackedSineFit,
    NormTrackedSineFitResult,
    PerturbedSineFit,
    PerturbedSineFitResult,
    SineFit,
    SineFitResult,
)
from fpcheck.empirics.targets import SumOfSines, band_noise, random_phases


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


def network_spec(setup: SineFit, init_scale: float | None = None) -> MLPSpec:
    """The setup's MLP: `input_width` inputs (1, or the Fourier features), `hidden` widths, one output
    (`init_scale` replaces the setup's)."""
    scale = setup.init_scale if init_scale is None else init_scale
    return MLPSpec((setup.input_width, *setup.hidden, 1), setup.activation, setup.init, scale)


def training_config(setup: SineFit, description: str) -> TrainingConfig:
    return TrainingConfig(steps=setup.steps, lr=setup.lr, optimizer=setup.optimizer,
                          snapshot_steps=setup.snapshot_steps, description=description)


def training_loss(setup: SineFit) -> Loss:
    """Mean squared error, or the Sobolev loss of order `sobolev_s` on the training grid (its weights capped
    above the highest peak with sobolev_cap = "highest-peak")."""
    if setup.loss == "sobolev":
        cap = max(setup.frequencies) if setup.sobolev_cap == "highest-peak" else None
        return SobolevLoss(setup.train_grid.n, setup.sobolev_s, cap)
    return MeanSquaredError()


def _labels(setup: SineFit, seeds: Sequence[int], grid: PeriodicGrid) -> np.ndarray:
    """The clean target on `grid` per seed (S, N)."""
    targets = sine_targets(seeds, setup.peaks, setup.peak_amplitudes, setup.grid.period, setup.random_phase)
    return np.stack([target(grid.points) for target in targets])


def _train(
    setup: SineFit,
    seeds: Sequence[int],
    labels: np.ndarray,
    description: str,
    init_scale: float | None = None,
    on_snapshot: SnapshotHook | None = None,
) -> TrainingRun:
    grids: Mapping[str, PeriodicGrid] = {"train": setup.train_grid}
    if setup.holdout:
        grids = {**grids, "test": setup.test_grid}
    inputs = {name: torch.as_tensor(setup.network_inputs(grid.points), dtype=torch.float32)
              for name, grid in grids.items()}
    targets = torch.as_tensor(labels, dtype=torch.float32)[:, :, None]
    return train_ensemble(network_spec(setup, init_scale), seeds, inputs["train"], targets,
                          training_config(setup, description), eval_inputs=inputs, on_snapshot=on_snapshot,
                          loss=training_loss(setup))


def _result_fields(setup: SineFit, seeds: Sequence[int], labels: np.ndarray, run: TrainingRun) -> dict:
    test = setup.test_grid
    return {
        "seeds": tuple(seeds),
        "steps": run.steps,
        "outputs": run.outputs["train"][..., 0],
        "labels": labels,
        "loss": run.loss,
        "diverged": run.diverged_seeds,
        "test_outputs": run.outputs["test"][..., 0] if setup.holdout else np.zeros((run.steps.size, len(seeds), 0)),
        "test_target": _labels(setup, seeds[:1], test)[0] if setup.holdout else np.zeros(0),
        "final_weights": tuple(w.detach().cpu().numpy() for w in run.params.weights),
        "final_biases": tuple(b[:, 0].detach().cpu().numpy() for b in run.params.biases),
    }


def sine_fit(setup: SineFit, seeds: Sequence[int]) -> SineFitResult:
    """Train the setup's network per seed on its (clean) target."""
    labels = _labels(setup, seeds, setup.train_grid)
    run = _train(setup, seeds, labels, "sine fit")
    return SineFitResult(**_result_fields(setup, seeds, labels, run))


def noisy_sine_fit(setup: NoisySineFit, seeds: Sequence[int]) -> NoisySineFitResult:
    """Train on the even points with labels + noise in the band (the seed's "noise" stream)."""
    train = setup.train_grid
    noise = np.stack([band_noise(train, setup.noise_band, setup.noise_rms, numpy_rng(seed, "noise"))
                      for seed in seeds])
    labels = _labels(setup, seeds, train) + noise
    run = _train(setup, seeds, labels, "noisy sine fit")
    return NoisySineFitResult(**_result_fields(setup, seeds, labels, run), noise=noise)


def init_scales(setup: InitScaleFit, seeds: Sequence[int]) -> InitScaleResult:
    """The same fit from init_scale and from init_scale × large_factor (same initial directions)."""
    labels = _labels(setup, seeds, setup.train_grid)
    fits = {}
    for name, scale in (("standard", setup.init_scale), ("large", setup.init_scale * setup.large_factor)):
        run = _train(setup, seeds, labels, f"init scales ({name})", init_scale=scale)
        fits[name] = SineFitResult(**_result_fields(setup, seeds, labels, run))
    return InitScaleResult(seeds=tuple(seeds), **fits)


def perturbed_sine_fit(setup: PerturbedSineFit, seeds: Sequence[int], trained: SineFitResult) -> PerturbedSineFitResult:
    """Perturb each healthy network of the trained sine fit (`fpcheck.empirics.perturbation`); the fit is the
    setup's own, run by `sine_fit` (possibly for another claim: `PERTURBED_SINE_FIT` continues `SINE_FIT`)."""
    healthy = [member for member, seed in enumerate(seeds) if seed not in trained.diverged]
    losses = np.full((len(seeds), len(setup.perturbation_norms), len(setup.peaks)), np.nan)
    if healthy:
        networks = EnsembleParameters([torch.from_numpy(w[healthy]) for w in trained.final_weights],
                                      [torch.from_numpy(b[healthy][:, None, :]) for b in trained.final_biases])
        encoded = None if setup.encoding == "none" else setup.network_inputs(setup.train_grid.points)
        losses[healthy] = amplitude_loss(network_spec(setup), networks, [seeds[m] for m in healthy],
                                         setup.train_grid, setup.peaks, setup.perturbation_norms, setup.samples,
                                         inputs=encoded)
    parameter_norm = torch.sqrt(sum(torch.from_numpy(t).flatten(1).double().pow(2).sum(dim=1)
                                    for t in (*trained.final_weights, *trained.final_biases))).numpy()
    fields = {spec.name: getattr(trained, spec.name) for spec in dataclasses.fields(SineFitResult)}
    return PerturbedSineFitResult(**fields, losses=losses, parameter_norm=parameter_norm)


def norm_tracked_sine_fit(setup: NormTrackedSineFit, seeds: Sequence[int]) -> NormTrackedSineFitResult:
    """Train, keeping the weights (float32) and Π‖W_l‖₂ at every bound step."""
    keep = set(setup.bound_steps)
    weights: list[list[np.ndarray]] = []
    biases: list[list[np.ndarray]] = []
    products: list[np.ndarray] = []

    def record(step: int, current: EnsembleParameters) -> None:
        if step not in keep:
            return
        weights.append([w.numpy().copy() for w in current.weights])
        biases.append([b[:, 0].numpy().copy() for b in current.biases])
        product = np.full(current.members, np.nan)
        finite = [m for m in range(current.members) if all(torch.isfinite(t[m]).all() for t in current.tensors)]
        if finite:
            product[finite] = norm_product(spectral_norms([w[finite] for w in current.weights]))
        products.append(product)

    labels = _labels(setup, seeds, setup.train_grid)
    run = _train(setup, seeds, labels, "norm-tracked sine fit", on_snapshot=record)
    layers = len(setup.hidden) + 1
    return NormTrackedSineFitResult(
        **_result_fields(setup, seeds, labels, run),
        bound_steps=np.array(sorted(keep)[: len(products)]),
        weights=tuple(np.stack([kept[layer] for kept in weights]) for layer in range(layers)),
        biases=tuple(np.stack([kept[layer] for kept in biases]) for layer in range(layers)),
        norm_product=np.stack(products),
    )
