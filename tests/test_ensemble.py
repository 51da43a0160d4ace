"""The ensemble engine against the plain per-network loop, and its bookkeeping (snapshots, divergence)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from fpcheck.empirics.ensemble import TrainingConfig, train_ensemble, train_one_by_one
from fpcheck.empirics.grids import periodic_grid
from fpcheck.empirics.mlp import MLPSpec, ensemble_forward, from_modules, init_ensemble, to_modules
from fpcheck.empirics.runtime import network_steps
from fpcheck.empirics.seeding import numpy_rng, torch_generator

SEEDS = (0, 3, 7)


def _data(points: int = 24) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Inputs shared by all seeds, per-seed targets (random phases) and held-out inputs."""
    grid = periodic_grid(points)
    x = torch.tensor(grid.points, dtype=torch.float32)[:, None]
    phases = [numpy_rng(seed, "phases").uniform(0, 2 * np.pi) for seed in SEEDS]
    y = torch.tensor(np.stack([np.sin(grid.points + p) + 0.5 * np.sin(3 * grid.points) for p in phases]))
    held_out = torch.tensor(grid.points + np.pi / points, dtype=torch.float32)[:, None]
    return x, y[:, :, None].float(), held_out


@pytest.mark.parametrize(
    ("activation", "optimizer", "lr", "init"),
    [("tanh", "adam", 3e-3, "normal"), ("relu", "gd", 5e-2, "uniform"), ("logistic", "adam", 1e-2, "gaussian")],
)
def test_ensemble_equals_training_one_by_one(activation: str, optimizer: str, lr: float, init: str) -> None:
    spec = MLPSpec((1, 16, 12, 1), activation, init=init, init_scale=0.5 if init == "gaussian" else 1.0)
    x, y, held_out = _data()
    config = TrainingConfig(steps=60, lr=lr, optimizer=optimizer, snapshot_steps=(0, 1, 30, 60), progress=False)
    evaluations = {"train": x, "held_out": held_out}
    together = train_ensemble(spec, SEEDS, x, y, config, eval_inputs=evaluations)
    alone = train_one_by_one(spec, SEEDS, x, y, config, eval_inputs=evaluations)
    np.testing.assert_array_equal(together.steps, alone.steps)
    for name in evaluations:
        np.testing.assert_allclose(together.outputs[name], alone.outputs[name], rtol=2e-4, atol=2e-5)
    np.testing.assert_allclose(together.loss, alone.loss, rtol=5e-4, atol=1e-7)
    for mine, theirs in zip(together.params.tensors, alone.params.tensors, strict=True):
        np.testing.assert_allclose(mine.numpy(), theirs.numpy(), rtol=2e-4, atol=2e-5)
    assert np.all(together.loss[-1] < 0.8 * together.loss[0])  # every seed trained


def test_step_zero_snapshot_is_the_initial_network() -> None:
    spec = MLPSpec((1, 8, 8, 1), "tanh")
    x, y, _ = _data()
    run = train_ensemble(spec, SEEDS, x, y, TrainingConfig(steps=3, lr=1e-3, progress=False))
    modules = to_modules(spec, init_ensemble(spec, SEEDS))
    with torch.no_grad():
        expected = np.stack([module(x).double().numpy() for module in modules])
    np.testing.assert_allclose(run.outputs["train"][0], expected, rtol=1e-6, atol=1e-7)
    assert run.steps.tolist() == [0, 3]
    # the recorded loss after t updates is the MSE of the snapshot at t
    np.testing.assert_allclose(run.loss[0], np.mean((expected - y.numpy()) ** 2, axis=(1, 2)), rtol=1e-5)


def test_same_seed_same_numbers_whatever_shares_the_ensemble() -> None:
    spec = MLPSpec((1, 8, 8, 1), "relu", init="uniform")
    x, y, _ = _data()
    config = TrainingConfig(steps=20, lr=1e-2, progress=False)
    first = train_ensemble(spec, SEEDS, x, y, config)
    again = train_ensemble(spec, SEEDS, x, y, config)
    np.testing.assert_array_equal(first.outputs["train"], again.outputs["train"])
    alone = train_ensemble(spec, SEEDS[1:2], x, y[1:2], config)
    np.testing.assert_allclose(first.outputs["train"][:, 1:2], alone.outputs["train"], rtol=1e-5, atol=1e-6)


def test_init_scale_and_laws() -> None:
    """Initial weights follow the documented laws: LeCun normal std, uniform bound, gaussian std."""
    seeds = tuple(range(40))
    normal = init_ensemble(MLPSpec((1, 64, 64, 1), "tanh", "normal", 2.0), seeds)
    assert np.std(normal.weights[1].numpy()) == pytest.approx(2.0 / 8.0, rel=0.05)
    uniform = init_ensemble(MLPSpec((1, 64, 64, 1), "relu", "uniform"), seeds)
    assert np.abs(uniform.weights[1].numpy()).max() <= 1 / 8 and np.abs(uniform.weights[1].numpy()).max() > 0.12
    gaussian = init_ensemble(MLPSpec((1, 64, 64, 1), "tanh", "gaussian", 0.1), seeds)
    assert np.std(gaussian.weights[1].numpy()) == pytest.approx(0.1, rel=0.05)
    scaled = init_ensemble(MLPSpec((1, 64, 64, 1), "tanh", "normal", 20.0), seeds)
    np.testing.assert_allclose(scaled.weights[0].numpy(), 10 * normal.weights[0].numpy(), rtol=1e-6)


def test_from_modules_inverts_to_modules() -> None:
    spec = MLPSpec((1, 5, 4, 1), "tanh")
    params = init_ensemble(spec, SEEDS)
    back = from_modules(to_modules(spec, params))
    for a, b in zip(params.tensors, back.tensors, strict=True):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    x = torch.linspace(-1, 1, 7)[:, None]
    assert ensemble_forward(spec, params, x).shape == (3, 7, 1)


def test_huge_learning_rate_is_reported_as_diverged_not_raised() -> None:
    spec = MLPSpec((1, 8, 8, 1), "relu", init="uniform")
    x, y, _ = _data()
    run = train_ensemble(spec, SEEDS, x, y, TrainingConfig(steps=50, lr=1e8, optimizer="gd", progress=False))
    assert run.diverged_seeds == SEEDS
    assert all(step <= 5 for step in run.diverged.values())
    assert np.isnan(run.outputs["train"][-1]).all()  # never reached: left as NaN, not invented


def test_the_network_steps_taken_are_counted() -> None:
    """steps × seeds for a full run; a run stopped early (every seed diverged) counts the updates it made."""
    spec = MLPSpec((1, 8, 8, 1), "relu", init="uniform")
    x, y, _ = _data()
    before = network_steps()
    train_ensemble(spec, SEEDS, x, y, TrainingConfig(steps=7, lr=1e-3, progress=False))
    assert network_steps() - before == 7 * len(SEEDS)
    before = network_steps()
    run = train_ensemble(spec, SEEDS, x, y, TrainingConfig(steps=50, lr=1e8, optimizer="gd", progress=False))
    assert network_steps() - before == len(SEEDS) * max(run.diverged.values()) < 50 * len(SEEDS)


def test_divergence_of_one_seed_leaves_the_others_alone() -> None:
    """Seed 3's labels are huge and its loss blows up under the same learning rate; the others train."""
    spec = MLPSpec((1, 8, 8, 1), "relu", init="uniform")
    x, y, _ = _data()
    config = TrainingConfig(steps=40, lr=3e-2, optimizer="gd", progress=False)
    reference = train_ensemble(spec, SEEDS, x, y, config)
    y_bad = y.clone()
    y_bad[1] *= 1e6
    run = train_ensemble(spec, SEEDS, x, y_bad, config)
    assert 3 in run.diverged_seeds and 0 not in run.diverged_seeds
    np.testing.assert_allclose(run.outputs["train"][:, [0, 2]], reference.outputs["train"][:, [0, 2]], rtol=1e-5)


def test_snapshot_hook_sees_the_parameters() -> None:
    spec = MLPSpec((1, 4, 1), "tanh")
    x, y, _ = _data()
    seen: list[tuple[int, float]] = []
    train_ensemble(
        spec, SEEDS, x, y, TrainingConfig(steps=6, lr=1e-2, snapshot_steps=(0, 2, 6), progress=False),
        on_snapshot=lambda step, params: seen.append((step, float(params.weights[0].abs().sum()))),
    )
    assert [step for step, _ in seen] == [0, 2, 6]
    assert seen[0][1] != seen[-1][1]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"steps": -1, "lr": 1e-3}, "steps"),
        ({"steps": 5, "lr": float("nan")}, "learning rate"),
        ({"steps": 5, "lr": 1e-3, "optimizer": "sgd"}, "optimizer"),
        ({"steps": 5, "lr": 1e-3, "snapshot_steps": (0, 9)}, "snapshot"),
    ],
)
def test_bad_training_configuration(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        TrainingConfig(**kwargs)


def test_bad_data_and_specs() -> None:
    spec = MLPSpec((1, 4, 1), "tanh")
    x, y, _ = _data()
    bad = y.clone()
    bad[0, 0, 0] = float("nan")
    with pytest.raises(ValueError, match="NaN"):
        train_ensemble(spec, SEEDS, x, bad, TrainingConfig(steps=1, lr=1e-3, progress=False))
    with pytest.raises(ValueError, match="activation"):
        MLPSpec((1, 4, 1), "gelu")
    with pytest.raises(ValueError, match="init_scale"):
        MLPSpec((1, 4, 1), "tanh", init_scale=0.0)
    with pytest.raises(ValueError, match="seed"):
        torch_generator(-1, "init")
