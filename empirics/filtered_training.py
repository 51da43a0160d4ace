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
from fpcheck.empirics.filtering import filtered_errors, lowpass_matrix, median_squared_distance
from fpcheck.empirics.filtering_fit import FilteringFit, FilteringFitResult
from fpcheck.empirics.losses import HighPassPenalty, Loss, MeanSquaredError, SoftmaxCrossEntropy
from fpcheck.empirics.mlp import MLPSpec, init_ensemble, to_modules


def training_loss(setup: FilteringFit, data: LabelledData) -> Loss:
    """Cross entropy on the softmax (recording the probabilities) or the mean squared error to the one-hot
    labels (recording the outputs); with `high_weight` α > 0, plus α ‖r_high‖²/(n c), r_high the high part of
    the residual under the Gaussian of `high_weight_delta` × the median squared distance."""
    base = SoftmaxCrossEntropy() if setup.loss == "cross_entropy" else MeanSquaredError()
    if setup.high_weight == 0:
        return base
    lowpass = lowpass_matrix(data.inputs, setup.high_weight_delta * median_squared_distance(data.inputs))
    return HighPassPenalty(base, torch.tensor(lowpass, dtype=torch.float32),
                           torch.tensor(data.one_hot, dtype=torch.float32), setup.high_weight)


def train_classifier(spec: MLPSpec, seeds: Sequence[int], data: LabelledData, config: TrainingConfig,
                     loss: Loss | None = None) -> TrainingRun:
    """One classifier per seed on `data` through the engine: `outputs["train"]` (T, S, n, classes) holds what
    the loss records (softmax probabilities for the default cross entropy) at the snapshot steps."""
    loss = SoftmaxCrossEntropy() if loss is None else loss
    inputs = torch.tensor(data.inputs, dtype=torch.float32)
    if isinstance(loss, SoftmaxCrossEntropy) or isinstance(getattr(loss, "base", None), SoftmaxCrossEntropy):
        targets = torch.tensor(data.labels, dtype=torch.float32)[:, None]  # SoftmaxCrossEntropy reads the index
    else:
        targets = torch.tensor(data.one_hot, dtype=torch.float32)
    return train_ensemble(spec, seeds, inputs, targets, config, loss=loss)


def filtering_fit(setup: FilteringFit, seeds: Sequence[int]) -> FilteringFitResult:
    """Train the setup's classifier per seed and filter its outputs at every snapshot and δ."""
    seeds = tuple(seeds)
    data = labelled_data(setup.dataset)
    spec = MLPSpec((data.inputs.shape[1], *setup.hidden, data.classes), setup.activation)
    schedule = setup.snapshot_steps
    config = TrainingConfig(steps=setup.steps, lr=setup.lr, optimizer=setup.optimizer,
                            snapshot_steps=tuple(int(s) for s in schedule), description=f"filtering ({setup.dataset})")
    run = train_classifier(spec, seeds, data, config, training_loss(setup, data))
    outputs = run.outputs["train"]  # (T, S, n, classes)
    target = data.one_hot
    ratios = np.asarray(setup.delta_ratios, dtype=np.float64)
    median = median_squared_distance(data.inputs)
    deltas = ratios * median
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
    residual = np.linalg.norm(outputs[-1] - target, axis=(1, 2)) / np.linalg.norm(target)
    return FilteringFitResult(seeds=seeds, steps=schedule, deltas=deltas, e_low=e_low, e_high=e_high,
                              train_accuracy=accuracy, final_residual=np.where(healthy, residual, np.nan),
                              target_low_fraction=fraction, diverged=run.diverged_seeds, inputs=data.inputs,
                              target=target, outputs=outputs.astype(np.float32), median_distance=median)


# ------------------------------------------------------------------------------------------------
# the kernel-regime rates of the two parts (the choice of the control's weight α, docs/catalogue.md)


def _network(spec: MLPSpec, seed: int) -> tuple[torch.nn.Module, dict[str, torch.Tensor]]:
    (module,) = to_modules(spec, init_ensemble(spec, (seed,)))
    module = module.double()
    return module, {name: tensor.detach() for name, tensor in module.named_parameters()}


def part_rates(spec: MLPSpec, seeds: Sequence[int], inputs: np.ndarray, target: np.ndarray, lowpass: np.ndarray,
               alpha: float, iterations: int = 30) -> dict[str, np.ndarray]:
    """Per seed, at initialisation, the gradient-descent decay rates of the residual's low and high parts
    under the loss (‖r‖² + α ‖H r‖²)/(n c) in the kernel regime, and the largest rate.

    With K the empirical NTK of the outputs (n c × n c; Jacot et al. 2018) and W = I + α HᵀH (H = I - G,
    acting on the point index of every output), gradient descent with step η moves the residual by
    dr = -η (2/(n c)) K W r. The part P r (P = G or H) then shrinks at the relative rate
    ρ_P = ⟨P r, P K W r⟩ / ‖P r‖² (in units of η · 2/(n c)), r = f_0 - y the initial residual; ⟨a, K b⟩ =
    ⟨Jᵀa, Jᵀb⟩ with Jᵀa = ∇_θ ⟨a, f(X)⟩, so K is never formed. `largest` is the top eigenvalue of K W (power
    iteration on K W with Jacobian-vector products): gradient descent is stable for η < n c / largest.
    Float64 throughout."""
    from torch.func import functional_call, jvp, vjp

    x = torch.tensor(inputs, dtype=torch.float64)
    y = torch.tensor(target, dtype=torch.float64)
    lowpass_t = torch.tensor(lowpass, dtype=torch.float64)
    rates: dict[str, list[float]] = {"low": [], "high": [], "largest": []}
    for seed in seeds:
        module, params = _network(spec, seed)

        def outputs(parameters: dict[str, torch.Tensor], module: torch.nn.Module = module) -> torch.Tensor:
            return functional_call(module, parameters, (x,))

        f0, pullback = vjp(outputs, params)

        def weighted(r: torch.Tensor) -> torch.Tensor:
            high = r - lowpass_t @ r
            return r + alpha * (high - lowpass_t.T @ high)

        def flat(gradient: dict[str, torch.Tensor]) -> torch.Tensor:
            return torch.cat([tensor.reshape(-1) for tensor in gradient.values()])

        residual = f0 - y
        pushed = flat(pullback(weighted(residual))[0])
        for name, part in (("low", lowpass_t @ residual), ("high", residual - lowpass_t @ residual)):
            back = lowpass_t.T @ part if name == "low" else part - lowpass_t.T @ part  # Pᵀ P r
            rates[name].append(float(flat(pullback(back)[0]) @ pushed / torch.sum(part**2)))
        vector = torch.randn(f0.shape, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
        value = 0.0
        for _ in range(iterations):
            vector = vector / torch.linalg.norm(vector)
            tangent = pullback(weighted(vector))[0]
            _, image = jvp(outputs, (params,), (tangent,))  # K W v
            value = float(torch.linalg.norm(image))
            vector = image
        rates["largest"].append(value)
    return {name: np.array(values) for name, values in rates.items()}
