"""Small 1D ReLU networks on [0, 1] for the exact-spectrum claims (Rahaman et al. 2019): initialised,
trained on a sum of sines with the ensemble engine, and exported as plain float64 layers; and the run
functions of the experiments of `fpcheck.empirics.spectrum_networks` (where the setups, results and
measurements live).

Initialisation is torch.nn.Linear's default, W and b entries ~ U(-1/√fan_in, 1/√fan_in) (non-zero
biases, so the kinks of the first layer, x = -b/w, spread over the line), drawn per network from its
own (seed, stream name) (`fpcheck.empirics.seeding`), so its numbers do not depend on which other networks
share the batch. Training is full-batch Adam on
`points` equispaced inputs of [0, 1] (endpoints included) with the mean squared error, float32
(`fpcheck.empirics.ensemble.train_ensemble`). Exported layers use the torch `nn.Linear` layout: W_l of
shape (out, in), b_l of shape (out,), float64 numpy arrays, the format `fpcheck.theory.relu_spectrum`
reads. `step` s > 0 makes every hidden activation max(z, 0) + s H(z) (`fpcheck.empirics.mlp`), in training
and in the float64 evaluation alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from fpcheck.empirics.ensemble import TrainingConfig, train_ensemble
from fpcheck.empirics.mlp import EnsembleParameters, MLPSpec, StepReLU
from fpcheck.empirics.seeding import torch_generator
from fpcheck.empirics.spectrum_networks import (
    KINDS,
    DecaySpectrum,
    DecaySpectrumResult,
    Layers,
    RegionCount,
    RegionNetworksResult,
    ReluNetworks,
    SpectrumNetworks,
    SpectrumNetworksResult,
)
from fpcheck.empirics.targets import SumOfSines
from fpcheck.theory.relu_spectrum import sawtooth_network


def relu_spec(depth: int, width: int, step: float = 0.0) -> MLPSpec:
    """`depth` hidden ReLU layers of `width` neurons (activation step `step`), one input, one output."""
    if depth < 1 or width < 1:
        raise ValueError(f"depth and width must be positive, not {depth} and {width}")
    return MLPSpec((1, *([width] * depth), 1), "relu", init="uniform", activation_step=step)


def init_networks(spec: MLPSpec, streams: Sequence[tuple[int, str]]) -> EnsembleParameters:
    """One network per (seed, stream name), torch.nn.Linear's default initialisation, stacked."""
    if not streams:
        raise ValueError("init_networks needs at least one (seed, stream)")
    weights: list[list[torch.Tensor]] = [[] for _ in spec.layers]
    biases: list[list[torch.Tensor]] = [[] for _ in spec.layers]
    for seed, stream in streams:
        generator = torch_generator(seed, stream)
        for index, (fan_in, fan_out) in enumerate(spec.layers):
            bound = 1.0 / fan_in**0.5
            weight = (torch.rand((fan_out, fan_in), generator=generator, dtype=torch.float32) * 2 - 1) * bound
            bias = (torch.rand((1, fan_out), generator=generator, dtype=torch.float32) * 2 - 1) * bound
            weights[index].append(weight.T)
            biases[index].append(bias)
    return EnsembleParameters(
        [torch.stack(layer).contiguous() for layer in weights], [torch.stack(layer) for layer in biases]
    )


@dataclass(frozen=True)
class FitResult:
    """Initial and trained layers of each network (index r), and the networks whose training diverged."""

    initial: list[Layers]
    trained: list[Layers]
    diverged: tuple[int, ...]
    final_loss: np.ndarray


def fit_sines(
    spec: MLPSpec, initial: EnsembleParameters, target: SumOfSines, points: int, steps: int, lr: float
) -> FitResult:
    """Train every network of `initial` on `target` sampled at `points` equispaced points of [0, 1]."""
    if target.period != 1.0:
        raise ValueError("the target must have period 1 (the networks live on [0, 1])")
    x = np.linspace(0.0, 1.0, points)
    inputs = torch.tensor(x[:, None], dtype=torch.float32)
    targets = torch.tensor(target(x)[:, None], dtype=torch.float32)
    members = tuple(range(initial.members))
    config = TrainingConfig(steps=steps, lr=lr, optimizer="adam", progress=False, description="relu fit")
    run = train_ensemble(spec, members, inputs, targets, config, initial=initial)
    return FitResult(
        initial=[layers_of(initial, member) for member in members],
        trained=[layers_of(run.params, member) for member in members],
        diverged=run.diverged_seeds,
        final_loss=run.loss[-1].copy(),
    )


def layers_of(params: EnsembleParameters, member: int) -> Layers:
    """Network `member` of an ensemble as float64 (weights, biases) in the nn.Linear layout."""
    weights = [w[member].detach().T.double().numpy().copy() for w in params.weights]
    biases = [b[member, 0].detach().double().numpy().copy() for b in params.biases]
    return weights, biases


def stacked_parameters(networks: Sequence[Layers]) -> EnsembleParameters:
    """float32 ensemble parameters of networks given as (weights, biases) in the nn.Linear layout."""
    count = len(networks[0][0])
    return EnsembleParameters(
        [torch.stack([torch.as_tensor(net[0][index].T, dtype=torch.float32) for net in networks]).contiguous()
         for index in range(count)],
        [torch.stack([torch.as_tensor(net[1][index][None, :], dtype=torch.float32) for net in networks])
         for index in range(count)],
    )


def torch_network(weights: list[np.ndarray], biases: list[np.ndarray], step: float = 0.0) -> torch.nn.Sequential:
    """The same network as a float64 torch.nn.Sequential (Linear, ReLU, ..., Linear; max(z, 0) + step H(z)
    when `step` > 0)."""
    modules: list[torch.nn.Module] = []
    for index, (weight, bias) in enumerate(zip(weights, biases, strict=True)):
        linear = torch.nn.Linear(weight.shape[1], weight.shape[0], dtype=torch.float64)
        with torch.no_grad():
            linear.weight.copy_(torch.as_tensor(weight, dtype=torch.float64))
            linear.bias.copy_(torch.as_tensor(bias, dtype=torch.float64))
        modules.append(linear)
        if index < len(weights) - 1:
            modules.append(StepReLU(step) if step else torch.nn.ReLU())
    return torch.nn.Sequential(*modules)


EVALUATION_CHUNK = 1 << 13
"""Points per float64 forward pass in `evaluate` (activations of a few MB stay in cache)."""


def evaluate(weights: list[np.ndarray], biases: list[np.ndarray], x: np.ndarray, step: float = 0.0) -> np.ndarray:
    """The network at points x (float64, through torch: the Linear layers' addmm and the activation of
    `torch_network`, in chunks of EVALUATION_CHUNK points), shape of x."""
    ws = [torch.as_tensor(np.ascontiguousarray(np.asarray(w, dtype=np.float64).T)) for w in weights]
    bs = [torch.as_tensor(np.asarray(b, dtype=np.float64)) for b in biases]
    points = torch.as_tensor(np.asarray(x, dtype=np.float64).reshape(-1, 1))
    values = torch.empty(points.shape[0], dtype=torch.float64)
    with torch.no_grad():
        for start in range(0, points.shape[0], EVALUATION_CHUNK):
            hidden = points[start : start + EVALUATION_CHUNK]
            for index, (weight, bias) in enumerate(zip(ws, bs, strict=True)):
                hidden = torch.addmm(bias, hidden, weight)
                if index < len(ws) - 1:
                    hidden = torch.relu(hidden) + step * (hidden > 0).to(hidden.dtype) if step else hidden.relu_()
            values[start : start + EVALUATION_CHUNK] = hidden[:, 0]
    return values.numpy().reshape(np.shape(x))


# ------------------------------------------------------------------------------------------------
# the run functions of fpcheck.empirics.spectrum_networks

SPECTRUM_STREAM = "rahaman2019/spectrum"
"""The stream of the spectrum networks' initialisation (its name fixes the numbers of the catalogue)."""


def region_stream(depth: int, index: int) -> str:
    return f"rahaman2019/regions/depth{depth}/{index}"


def stacked(layers: Sequence[Layers], seeds: Sequence[int]) -> ReluNetworks:
    """Networks (seed-major, the same count per seed) stacked as `ReluNetworks` (S, R, ...)."""
    per_seed = len(layers) // len(seeds)

    def stack(arrays: list[np.ndarray]) -> np.ndarray:
        return np.stack(arrays).reshape(len(seeds), per_seed, *arrays[0].shape)

    count = len(layers[0][0])
    return ReluNetworks(seeds=tuple(seeds),
                        weights=tuple(stack([net[0][index] for net in layers]) for index in range(count)),
                        biases=tuple(stack([net[1][index] for net in layers]) for index in range(count)))


def sampled(layers: Layers, points: int, step: float = 0.0) -> np.ndarray:
    """The float64 torch network at j/points, j < points."""
    return evaluate(*layers, np.arange(points) / points, step)


def _spectrum_fields(setup: SpectrumNetworks, seeds: Sequence[int]) -> tuple[dict, list[dict[str, Layers]]]:
    step = setup.activation_step
    spec = relu_spec(setup.depth, setup.width, step)
    initial = init_networks(spec, [(seed, SPECTRUM_STREAM) for seed in seeds])
    fit = fit_sines(spec, initial, setup.target, setup.train_points, setup.train_steps, setup.lr)
    networks = [{"random": fit.initial[member], "trained": fit.trained[member]} for member in range(len(seeds))]
    fields = {
        "seeds": tuple(seeds),
        "random": stacked(fit.initial, seeds),
        "trained": stacked(fit.trained, seeds),
        "values": np.stack([[sampled(nets[kind], setup.fft_points, step) for kind in KINDS] for nets in networks]),
        "value_at_1": np.array([[evaluate(*nets[kind], np.array([1.0]), step)[0] for kind in KINDS]
                                for nets in networks]),
        "final_loss": np.asarray(fit.final_loss, dtype=np.float64),
        "diverged": tuple(seeds[member] for member in fit.diverged),
    }
    return fields, networks


def spectrum_networks(setup: SpectrumNetworks, seeds: Sequence[int]) -> SpectrumNetworksResult:
    """Per seed the network at initialisation and trained, sampled at `fft_points` points and at 1."""
    fields, _ = _spectrum_fields(setup, seeds)
    return SpectrumNetworksResult(**fields)


def decay_spectrum(setup: DecaySpectrum, seeds: Sequence[int]) -> DecaySpectrumResult:
    """The spectrum networks, also sampled at every size of `aliasing_points`."""
    fields, networks = _spectrum_fields(setup, seeds)
    aliasing = tuple(np.stack([[sampled(nets[kind], size, setup.activation_step) for kind in KINDS]
                               for nets in networks]) for size in setup.aliasing_points)
    return DecaySpectrumResult(**fields, aliasing_values=aliasing)


def region_networks(setup: RegionCount, seeds: Sequence[int]) -> RegionNetworksResult:
    """Per depth, `networks_per_depth` networks per seed, initialised (at random, or every one as the
    sawtooth construction) and trained (one ensemble per depth)."""
    count, target = setup.networks_per_depth, setup.target
    initial, trained, diverged = [], [], set()
    for depth, width in setup.widths:
        spec = relu_spec(depth, width)
        owners = [seed for seed in seeds for _ in range(count)]
        if setup.construction == "sawtooth":
            start = stacked_parameters([sawtooth_network(depth, width)] * len(owners))
        else:
            start = init_networks(spec, [(seed, region_stream(depth, r)) for seed in seeds for r in range(count)])
        fit = fit_sines(spec, start, target, setup.train_points, setup.train_steps, setup.lr)
        diverged.update(owners[member] for member in fit.diverged)
        initial.append(stacked(fit.initial, seeds))
        trained.append(stacked(fit.trained, seeds))
    return RegionNetworksResult(seeds=tuple(seeds), depths=np.array(setup.depths), init=tuple(initial),
                                trained=tuple(trained), diverged=tuple(sorted(diverged)))
