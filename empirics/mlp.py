"""Fully connected networks (MLPs) as stacked per-seed parameters, and their torch.nn twins.

An ensemble of S networks of the same architecture is held as one weight tensor per layer of shape
(S, d_in, d_out) and one bias tensor of shape (S, 1, d_out), so the forward pass of every seed is one
batched matmul per layer: h_{l+1} = σ(h_l W_l + b_l) (`torch.baddbmm`). Seed s is initialised from
its own generator (`empirics.seeding`, stream "init"), so it gets the same numbers whatever other
seeds share the ensemble. The parameters are drawn on the CPU (the generators are CPU ones) and moved to
the task's device (`fpcheck.empirics.runtime.device`), so every device starts from the same numbers.

Initialisation (documented; `init_scale` sets the size):
- "normal": W and b entries ~ N(0, init_scale² / fan_in) (LeCun normal);
- "gaussian": W and b entries ~ N(0, init_scale²), one standard deviation for every layer whatever
  its fan-in (the published F-Principle code of Xu et al. draws weights and biases this way, with a
  small standard deviation such as 0.05, and enlarges it for the large-initialisation experiment);
- "uniform": W and b entries ~ U(-a, a), a = init_scale / √fan_in, the default of torch.nn.Linear
  (the published notebooks of Rahaman et al. 2019 use it).

Parametrisation. "standard" (the default): h_{l+1} = σ(h_l W_l + b_l) as above. "ntk": every layer after
the first is scaled by fan_in^{-1/2} in the forward pass, h_{l+1} = σ(fan_in^{-1/2} h_l W_l + b_l) (Jacot,
Gabriel, Hongler 2018, arXiv:1806.07572), so that with init "gaussian" (scale 1) every pre-activation is O(1)
at any width and the gradient of each weight is O(m^{-1/2}): the model of `fpcheck.theory.deep_ntk`. The
torch.nn twins (`to_modules`) carry the same factor (`ScaledLinear`), so autograd on them sees the same model.

`activation_step` s > 0 (ReLU only) adds a jump to the activation, σ(z) = max(z, 0) + s H(z) with
H(z) = 1 for z > 0 and 0 otherwise: a discontinuous network (the control of the ReLU spectrum claims,
whose Fourier coefficients then decay as k^-1); the jump has no gradient.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch

from fpcheck.empirics.runtime import device
from fpcheck.empirics.seeding import torch_generator

ACTIVATIONS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "tanh": torch.tanh,
    "relu": torch.relu,
    "logistic": torch.sigmoid,
}
# in place on a fresh baddbmm output (autograd keeps the activation's result, which its backward uses):
# saves one allocation and one memory pass per layer in the ensemble's training step
_IN_PLACE: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "tanh": torch.tanh_,
    "relu": torch.relu_,
    "logistic": torch.sigmoid_,
}
_MODULES: dict[str, type[torch.nn.Module]] = {
    "tanh": torch.nn.Tanh,
    "relu": torch.nn.ReLU,
    "logistic": torch.nn.Sigmoid,
}
INITS = ("normal", "gaussian", "uniform")
PARAMETRIZATIONS = ("standard", "ntk")


@dataclass(frozen=True)
class MLPSpec:
    """An MLP: `widths` = (d_in, hidden..., d_out), the activation between layers, the initialisation.

    The last layer is linear (no activation). `MLPSpec((1, 256, 256, 1), "relu")` has 3 linear layers.
    """

    widths: tuple[int, ...]
    activation: str
    init: str = "normal"
    init_scale: float = 1.0
    activation_step: float = 0.0
    parametrization: str = "standard"

    def __post_init__(self) -> None:
        if len(self.widths) < 2 or any(int(w) != w or w < 1 for w in self.widths):
            raise ValueError(f"widths must be ≥ 2 positive integers (d_in, ..., d_out), not {self.widths}")
        if self.activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {', '.join(ACTIVATIONS)}, not {self.activation!r}")
        if self.init not in INITS:
            raise ValueError(f"init must be one of {', '.join(INITS)}, not {self.init!r}")
        if not (self.init_scale > 0 and torch.isfinite(torch.tensor(self.init_scale))):
            raise ValueError(f"init_scale must be a finite positive number, not {self.init_scale!r}")
        if self.parametrization not in PARAMETRIZATIONS:
            raise ValueError(f"parametrization must be one of {', '.join(PARAMETRIZATIONS)}, not "
                             f"{self.parametrization!r}")
        if self.activation_step and (self.activation != "relu" or not 0 < self.activation_step < float("inf")):
            raise ValueError(f"activation_step must be a finite positive jump of a relu, not {self.activation_step!r} "
                             f"with {self.activation!r}")

    @property
    def layers(self) -> list[tuple[int, int]]:
        """(fan_in, fan_out) of each linear layer."""
        return list(zip(self.widths[:-1], self.widths[1:], strict=True))

    @property
    def layer_scales(self) -> list[float]:
        """The forward factor of each linear layer (module doc: 1, or fan_in^{-1/2} after the first with "ntk")."""
        if self.parametrization == "standard":
            return [1.0] * len(self.layers)
        return [1.0] + [fan_in**-0.5 for fan_in, _ in self.layers[1:]]

    @property
    def forward_flops_per_point(self) -> int:
        """Multiply-add FLOPs of one forward pass at one input point: 2 Σ_l d_in d_out."""
        return 2 * sum(d_in * d_out for d_in, d_out in self.layers)


@dataclass
class EnsembleParameters:
    """The parameters of S networks: weights[l] of shape (S, d_in, d_out), biases[l] of shape (S, 1, d_out)."""

    weights: list[torch.Tensor]
    biases: list[torch.Tensor]

    @property
    def tensors(self) -> list[torch.Tensor]:
        return [*self.weights, *self.biases]

    @property
    def members(self) -> int:
        return int(self.weights[0].shape[0])

    def detached(self) -> EnsembleParameters:
        """A copy that shares no storage and tracks no gradient."""
        return EnsembleParameters(
            [w.detach().clone() for w in self.weights], [b.detach().clone() for b in self.biases]
        )

    def to(self, target: torch.device | str) -> EnsembleParameters:
        """The parameters on `target` (the same tensors when they are there already)."""
        return EnsembleParameters([w.to(target) for w in self.weights], [b.to(target) for b in self.biases])


def init_ensemble(spec: MLPSpec, seeds: Sequence[int]) -> EnsembleParameters:
    """Initial float32 parameters of one network per seed, each drawn from the seed's "init" stream, on
    the task's device (module doc).

    Per seed and layer, in order: the weight (d_out, d_in) as torch.nn.Linear stores it, then the bias.
    """
    if not seeds:
        raise ValueError("an ensemble needs at least one seed")
    weights: list[list[torch.Tensor]] = [[] for _ in spec.layers]
    biases: list[list[torch.Tensor]] = [[] for _ in spec.layers]
    for seed in seeds:
        generator = torch_generator(seed, "init")
        for index, (fan_in, fan_out) in enumerate(spec.layers):
            scale = spec.init_scale if spec.init == "gaussian" else spec.init_scale / fan_in**0.5
            weights[index].append(_draw(spec.init, (fan_out, fan_in), scale, generator).T)
            biases[index].append(_draw(spec.init, (1, fan_out), scale, generator))
    return EnsembleParameters(
        [torch.stack(layer).contiguous() for layer in weights], [torch.stack(layer) for layer in biases]
    ).to(device())


def _draw(init: str, shape: tuple[int, int], scale: float, generator: torch.Generator) -> torch.Tensor:
    if init in ("normal", "gaussian"):
        return torch.randn(shape, generator=generator, dtype=torch.float32) * scale
    return (torch.rand(shape, generator=generator, dtype=torch.float32) * 2.0 - 1.0) * scale


def ensemble_forward(spec: MLPSpec, params: EnsembleParameters, inputs: torch.Tensor) -> torch.Tensor:
    """Outputs (S, N, d_out) of every network on inputs (S, N, d_in) (or (N, d_in), shared by all seeds)."""
    activation = _IN_PLACE[spec.activation]
    hidden = inputs if inputs.dim() == 3 else inputs.expand(params.members, *inputs.shape)
    last = len(params.weights) - 1
    for index, (weight, bias, scale) in enumerate(zip(params.weights, params.biases, spec.layer_scales, strict=True)):
        hidden = torch.baddbmm(bias, hidden, weight, alpha=scale)
        if index < last:
            hidden = activation(hidden)
            if spec.activation_step:  # relu(z) > 0 exactly where z > 0
                hidden = hidden + spec.activation_step * (hidden > 0).to(hidden.dtype)
    return hidden


class StepReLU(torch.nn.Module):
    """max(z, 0) + step H(z) (module doc)."""

    def __init__(self, step: float) -> None:
        super().__init__()
        self.step = float(step)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return torch.relu(z) + self.step * (z > 0).to(z.dtype)


class ScaledLinear(torch.nn.Linear):
    """scale · x Wᵀ + b: a layer of the "ntk" parametrisation (module doc)."""

    def __init__(self, fan_in: int, fan_out: int, scale: float) -> None:
        super().__init__(fan_in, fan_out)
        self.scale = scale

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.nn.functional.linear(x, self.weight) * self.scale + self.bias


def to_modules(spec: MLPSpec, params: EnsembleParameters) -> list[torch.nn.Sequential]:
    """The same networks as independent torch.nn.Sequential models (Linear, activation, ..., Linear; the layers
    with a factor other than 1 as `ScaledLinear`)."""
    modules = []
    for member in range(params.members):
        layers: list[torch.nn.Module] = []
        for index, ((fan_in, fan_out), scale) in enumerate(zip(spec.layers, spec.layer_scales, strict=True)):
            linear = torch.nn.Linear(fan_in, fan_out) if scale == 1.0 else ScaledLinear(fan_in, fan_out, scale)
            with torch.no_grad():
                linear.weight.copy_(params.weights[index][member].T)
                linear.bias.copy_(params.biases[index][member, 0])
            layers.append(linear)
            if index < len(spec.layers) - 1:
                layers.append(StepReLU(spec.activation_step) if spec.activation_step else _MODULES[spec.activation]())
        modules.append(torch.nn.Sequential(*layers))
    return modules


def from_modules(modules: Sequence[torch.nn.Sequential]) -> EnsembleParameters:
    """Stack the Linear layers of equally shaped torch.nn.Sequential models into ensemble parameters."""
    linears = [[layer for layer in module if isinstance(layer, torch.nn.Linear)] for module in modules]
    count = len(linears[0])
    if any(len(layers) != count for layers in linears):
        raise ValueError("all modules must have the same number of Linear layers")
    weights = [torch.stack([layers[i].weight.detach().T for layers in linears]).contiguous() for i in range(count)]
    biases = [torch.stack([layers[i].bias.detach()[None, :] for layers in linears]) for i in range(count)]
    return EnsembleParameters(weights, biases)
