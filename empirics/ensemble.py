"""The training engine: all seeds of an experiment trained at once as one batched model.

The S networks of an experiment share one set of stacked parameters (`fpcheck.empirics.mlp`), one
batched forward pass (`torch.baddbmm` per layer) and one optimiser. The loss (`fpcheck.empirics.losses`:
mean squared error by default, softmax cross entropy, the Ritz energy, the Sobolev loss) gives one value
per seed and the engine minimises Σ_s L_s, so the gradient with respect to seed s's parameters is
exactly ∇L_s; Adam and gradient descent act elementwise, so each seed follows the same trajectory as
if it were trained alone (`train_one_by_one`, the plain per-network loop, is the reference a test
compares against to float tolerance). An optional `readout(inputs, outputs)` transforms the network's
outputs before the loss and the snapshots (e.g. v = x(1 - x) N(x), the Ritz network's boundary
factor). Training is float32 and full batch.

The one divergence rule: a seed diverges when its loss becomes NaN/inf or its magnitude exceeds
`diverge_factor` × the magnitude of its initial loss; it is reported in `TrainingRun.diverged` (seed ->
first step) and never affects the other seeds. Snapshots record the outputs (`loss.recorded`) on named
evaluation inputs after the listed numbers of updates and call an optional hook with the step and the
current parameters; step 0 is the initialisation. The engine sets no torch thread count: the caller
(`fpcheck.empirics.runtime.fixed_threads`) does.

Device: the engine trains on the task's device (`fpcheck.empirics.runtime.device`, CPU by default). It moves
the data, the initial parameters and the loss's tensors there itself, so an experiment builds its tensors
on the CPU; the snapshot hook sees the parameters on the CPU, and the run's losses, outputs and final
parameters come back on the CPU. On the CPU every move is a no-op.
"""

from __future__ import annotations

import copy
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
from tqdm import tqdm

from fpcheck.empirics.losses import Loss, MeanSquaredError
from fpcheck.empirics.mlp import EnsembleParameters, MLPSpec, ensemble_forward, from_modules, init_ensemble, to_modules
from fpcheck.empirics.runtime import count_network_steps, device, progress_enabled

OPTIMIZERS = ("adam", "gd")
SnapshotHook = Callable[[int, EnsembleParameters], None]
Readout = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


@dataclass(frozen=True)
class TrainingConfig:
    """Full-batch training: `steps` updates of Adam (default betas, eps) or plain gradient descent.

    `snapshot_steps` lists the numbers of updates after which outputs are recorded (default: 0 and
    `steps`). `progress` shows a progress bar on stderr unless the environment sets FPCHECK_PROGRESS=0
    (`fpcheck verify --quiet` does). `fused_adam` selects torch's fused CPU Adam kernel (the default,
    several times faster) or its single-tensor implementation: the same update, rounded differently in
    float32.
    """

    steps: int
    lr: float
    optimizer: str = "adam"
    snapshot_steps: tuple[int, ...] = ()
    diverge_factor: float = 1e6
    progress: bool = True
    description: str = "training"
    fused_adam: bool = True

    def __post_init__(self) -> None:
        if isinstance(self.steps, bool) or not isinstance(self.steps, int) or self.steps < 0:
            raise ValueError(f"steps must be a non-negative integer, not {self.steps!r}")
        if not (np.isfinite(self.lr) and self.lr > 0):
            raise ValueError(f"the learning rate must be a finite positive number, not {self.lr!r}")
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {', '.join(OPTIMIZERS)}, not {self.optimizer!r}")
        if any(int(s) != s or not 0 <= s <= self.steps for s in self.snapshot_steps):
            raise ValueError(f"snapshot steps must be integers in [0, {self.steps}]")
        if not self.diverge_factor > 1:
            raise ValueError(f"diverge_factor must exceed 1, not {self.diverge_factor!r}")

    @property
    def snapshots(self) -> np.ndarray:
        """The sorted, distinct snapshot steps."""
        chosen = self.snapshot_steps or (0, self.steps)
        return np.unique(np.asarray(chosen, dtype=int))


@dataclass
class TrainingRun:
    """What a training run recorded, for S seeds and T snapshots.

    `outputs[name]` has shape (T, S, N, d_out) (float64 copies of the recorded float32 outputs), `loss`
    shape (steps + 1, S) (`loss[t]` is the training loss after t updates), `params` the final
    parameters, `diverged` maps a diverged seed to the first step at which it did.
    """

    seeds: tuple[int, ...]
    steps: np.ndarray
    outputs: dict[str, np.ndarray]
    loss: np.ndarray
    params: EnsembleParameters
    diverged: dict[int, int] = field(default_factory=dict)

    @property
    def diverged_seeds(self) -> tuple[int, ...]:
        return tuple(sorted(self.diverged))


def train_ensemble(
    spec: MLPSpec,
    seeds: Sequence[int],
    inputs: torch.Tensor,
    targets: torch.Tensor,
    config: TrainingConfig,
    eval_inputs: Mapping[str, torch.Tensor] | None = None,
    initial: EnsembleParameters | None = None,
    on_snapshot: SnapshotHook | None = None,
    loss: Loss | None = None,
    readout: Readout | None = None,
) -> TrainingRun:
    """Train one network per seed on (inputs, targets), all seeds at once, on `loss` (default MSE).

    inputs (N, d_in) or (S, N, d_in), targets (N, d_out) or (S, N, d_out) (per-seed data, e.g. per-seed
    phases); eval_inputs likewise, by name (default: {"train": inputs}). `initial` overrides the
    per-seed initialisation (e.g. a scaled copy of another run's). `on_snapshot(step, params)` is
    called at every snapshot with the current parameters (read-only: do not modify them). `readout`
    (module doc) applies to the outputs on every input.
    """
    on = device()
    loss = _on_device(MeanSquaredError() if loss is None else loss, on)
    seeds = tuple(int(seed) for seed in seeds)
    params = init_ensemble(spec, seeds) if initial is None else initial.detached().to(on)
    if params.members != len(seeds):
        raise ValueError(f"the initial parameters hold {params.members} networks for {len(seeds)} seeds")
    x, y = _batched(inputs, len(seeds), "inputs"), _batched(targets, len(seeds), "targets")
    named = dict(eval_inputs or {"train": inputs})
    evaluations = {name: _batched(t, len(seeds), name) for name, t in named.items()}
    # evaluation inputs that are the training inputs reuse the training forward pass
    shared = [name for name, t in named.items() if t is inputs]
    tensors = [tensor.requires_grad_() for tensor in params.tensors]
    optimizer = _optimizer(config, tensors)
    recorder = _Recorder(config, seeds, evaluations, spec.widths[-1], on_snapshot)

    def forward(inputs_: torch.Tensor) -> torch.Tensor:
        outputs_ = ensemble_forward(spec, params, inputs_)
        return outputs_ if readout is None else readout(inputs_, outputs_)

    def snapshot_forward(inputs_: torch.Tensor) -> torch.Tensor:
        return loss.recorded(forward(inputs_))

    def current() -> EnsembleParameters:
        return params.to("cpu")

    for step in _progress(config, len(seeds)):
        optimizer.zero_grad(set_to_none=True)
        outputs = forward(x)
        if step in recorder.index:
            recorded = loss.recorded(outputs.detach())
            recorder.maybe_record(step, snapshot_forward, current, {name: recorded for name in shared})
        per_seed = loss(outputs, y)
        recorder.losses[step] = per_seed.detach()
        if recorder.check_divergence(step) and recorder.all_diverged:
            break
        per_seed.sum().backward()
        optimizer.step()
        count_network_steps(len(seeds))
    else:
        with torch.no_grad():
            recorder.losses[config.steps] = loss(forward(x), y)
        recorder.check_divergence(config.steps)
        recorder.maybe_record(config.steps, snapshot_forward, current)
    return recorder.result(params.detached())


def train_one_by_one(
    spec: MLPSpec,
    seeds: Sequence[int],
    inputs: torch.Tensor,
    targets: torch.Tensor,
    config: TrainingConfig,
    eval_inputs: Mapping[str, torch.Tensor] | None = None,
) -> TrainingRun:
    """The reference: each seed's network as a torch.nn.Sequential trained alone in a plain loop.

    Same initialisation, data and optimiser settings as `train_ensemble` (torch.optim.Adam / SGD with
    their default implementation), one seed after the other: the way the published notebooks train.
    """
    seeds = tuple(int(seed) for seed in seeds)
    x, y = _batched(inputs, len(seeds), "inputs"), _batched(targets, len(seeds), "targets")
    evaluations = {name: _batched(t, len(seeds), name) for name, t in (eval_inputs or {"train": inputs}).items()}
    modules = [module.to(device()) for module in to_modules(spec, init_ensemble(spec, seeds))]
    runs = []
    for member, (seed, module) in enumerate(zip(seeds, modules, strict=True)):
        own = {name: t[member : member + 1] for name, t in evaluations.items()}
        recorder = _Recorder(config, (seed,), own, spec.widths[-1])
        optimizer = (
            torch.optim.Adam(module.parameters(), lr=config.lr)
            if config.optimizer == "adam"
            else torch.optim.SGD(module.parameters(), lr=config.lr)
        )

        def snapshot_forward(inputs_: torch.Tensor, module: torch.nn.Module = module) -> torch.Tensor:
            return module(inputs_[0])[None]

        def current(module: torch.nn.Sequential = module) -> EnsembleParameters:
            return from_modules([module])

        for step in range(config.steps):
            recorder.maybe_record(step, snapshot_forward, current)
            optimizer.zero_grad()
            loss = torch.nn.functional.mse_loss(module(x[member]), y[member])
            recorder.losses[step] = loss.detach()
            if recorder.check_divergence(step):
                break
            loss.backward()
            optimizer.step()
        else:
            with torch.no_grad():
                recorder.losses[config.steps] = torch.nn.functional.mse_loss(module(x[member]), y[member])
            recorder.check_divergence(config.steps)
            recorder.maybe_record(config.steps, snapshot_forward, current)
        runs.append(recorder.result(from_modules([module])))
    return _stack_runs(runs)


def _on_device(loss: Loss, target: torch.device) -> Loss:
    """The loss with its tensor attributes (Sobolev weights, a filter, a forcing) on `target` (a shallow
    copy; the loss itself on the CPU)."""
    if target.type == "cpu":
        return loss
    moved = copy.copy(loss)
    for name, value in vars(loss).items():
        if isinstance(value, torch.Tensor):
            object.__setattr__(moved, name, value.to(target))  # frozen dataclasses too
    return moved


def _batched(tensor: torch.Tensor, members: int, name: str) -> torch.Tensor:
    """(N, d) -> (S, N, d) float32 on the task's device (a view), or a given (S, N, d); ValueError for
    non-finite data."""
    if not isinstance(tensor, torch.Tensor):
        tensor = torch.as_tensor(np.asarray(tensor))
    tensor = tensor.to(device=device(), dtype=torch.float32)
    if not torch.isfinite(tensor).all():
        raise ValueError(f"{name} holds NaN or inf")
    if tensor.dim() == 2:
        return tensor.expand(members, *tensor.shape)
    if tensor.dim() == 3 and tensor.shape[0] == members:
        return tensor
    raise ValueError(f"{name} must have shape (N, d) or ({members}, N, d), not {tuple(tensor.shape)}")


def _optimizer(config: TrainingConfig, tensors: list[torch.Tensor]) -> torch.optim.Optimizer:
    if config.optimizer == "adam":
        # the fused CPU kernel: the same update as torch.optim.Adam's default, several times faster
        return torch.optim.Adam(tensors, lr=config.lr, fused=True) if config.fused_adam else torch.optim.Adam(
            tensors, lr=config.lr)
    return torch.optim.SGD(tensors, lr=config.lr, foreach=True)


def _progress(config: TrainingConfig, members: int) -> tqdm:
    return tqdm(
        range(config.steps),
        desc=f"{config.description} ({members} seeds)",
        file=sys.stderr,
        disable=not config.progress or not progress_enabled(),
        leave=False,
        mininterval=1.0,
    )


class _Recorder:
    """Snapshots, losses and divergence bookkeeping shared by both training loops."""

    def __init__(
        self,
        config: TrainingConfig,
        seeds: tuple[int, ...],
        evaluations: Mapping[str, torch.Tensor],
        d_out: int,
        on_snapshot: SnapshotHook | None = None,
    ):
        self.config = config
        self.on_snapshot = on_snapshot
        self.seeds = seeds
        self.evaluations = evaluations
        self.steps = config.snapshots
        self.index = {int(step): i for i, step in enumerate(self.steps)}
        self.losses = torch.full((config.steps + 1, len(seeds)), float("nan"), dtype=torch.float32, device=device())
        self.outputs = {
            name: np.full((len(self.steps), len(seeds), inputs.shape[1], d_out), np.nan)
            for name, inputs in evaluations.items()
        }
        self.diverged: dict[int, int] = {}
        self.limit = torch.full((len(seeds),), float("inf"), device=device())

    def maybe_record(
        self,
        step: int,
        forward: Callable[[torch.Tensor], torch.Tensor],
        current: Callable[[], EnsembleParameters],
        known: Mapping[str, torch.Tensor] | None = None,
    ) -> None:
        """Record the snapshot of `step` (if it is one); `known` holds outputs already computed by name."""
        if step not in self.index:
            return
        i = self.index[step]
        with torch.no_grad():
            for name, inputs in self.evaluations.items():
                out = known[name] if known and name in known else forward(inputs)
                self.outputs[name][i] = out.double().cpu().numpy()
        if self.on_snapshot is not None:
            with torch.no_grad():
                self.on_snapshot(step, current())

    def check_divergence(self, step: int) -> bool:
        """Mark the seeds whose loss at `step` is NaN/inf or above diverge_factor × their initial loss."""
        if step == 0:
            self.limit = self.config.diverge_factor * torch.clamp(self.losses[0].abs(), min=1e-30)
        bad = ~(self.losses[step].abs() <= self.limit)  # NaN compares False, so NaN counts as bad
        if not bad.any():
            return False
        for member in torch.nonzero(bad).flatten().tolist():
            self.diverged.setdefault(self.seeds[member], step)
        return True

    @property
    def all_diverged(self) -> bool:
        return len(self.diverged) == len(self.seeds)

    def result(self, params: EnsembleParameters) -> TrainingRun:
        return TrainingRun(
            seeds=self.seeds,
            steps=self.steps,
            outputs=self.outputs,
            loss=self.losses.double().cpu().numpy(),
            params=params.to("cpu"),
            diverged=dict(self.diverged),
        )


def _stack_runs(runs: Sequence[TrainingRun]) -> TrainingRun:
    """Join single-seed runs along the seed axis."""
    names = runs[0].outputs
    return TrainingRun(
        seeds=tuple(seed for run in runs for seed in run.seeds),
        steps=runs[0].steps,
        outputs={name: np.concatenate([run.outputs[name] for run in runs], axis=1) for name in names},
        loss=np.concatenate([run.loss for run in runs], axis=1),
        params=EnsembleParameters(
            [torch.cat([run.params.weights[i] for run in runs]) for i in range(len(runs[0].params.weights))],
            [torch.cat([run.params.biases[i] for run in runs]) for i in range(len(runs[0].params.biases))],
        ),
        diverged={seed: step for run in runs for seed, step in run.diverged.items()},
    )

