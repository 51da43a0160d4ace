"""The ensemble training engine at Rahaman et al.'s Fig. 1 setting (issue 5).

Setting: ReLU MLP with 6 linear layers of width 256 (1 → 256 → … → 256 → 1, torch.nn.Linear's
default initialisation), 200 points of [0, 1), 20 seeds (per-seed phases), full-batch Adam, lr 3e-4,
float32, the torch threads of the calling process (not changed here).

- `ensemble_speedup`: per-network training throughput (network-steps per second) of the ensemble
  (`empirics.ensemble.train_ensemble`, all 20 networks as one batched model) over the same 20
  networks trained one after the other in a plain PyTorch loop (`train_one_by_one`: nn.Sequential,
  torch.optim.Adam, zero_grad / forward / backward / step, as the published notebooks do). Target ≥ 2.
- `training_gemm_fraction`: the ensemble's training FLOP rate (forward = 2 Σ_l d_in d_out per point
  per network, training = 3 × forward) over the float32 rate of a 2048 × 2048 torch matmul timed in
  the same run with the same threads. Target ≥ 0.75; `plain_loop_gemm_fraction` is the same for the
  plain loop. `ensemble_product_share`, `ensemble_adam_share` and `ensemble_other_share` say where an
  ensemble step's time goes (torch.profiler): what caps the fraction.

Each timing is the best of several repeats, interleaved, so that a burst of load from other processes
hits all of them alike; `--quick` trains fewer steps (same sizes). Snapshots are taken only at the
first and last step, and the divergence check runs every step in both loops.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable

import numpy as np
import torch

from fpcheck.empirics.ensemble import TrainingConfig, train_ensemble, train_one_by_one
from fpcheck.empirics.grid_training import sine_targets
from fpcheck.empirics.grids import PeriodicGrid
from fpcheck.empirics.mlp import MLPSpec

WIDTHS = (1, 256, 256, 256, 256, 256, 1)
POINTS = 200
SEEDS = tuple(range(20))
FREQUENCIES = (5, 10, 15, 20, 25, 30, 35, 40, 45, 50)
GEMM_SIZE = 2048


def _best_seconds(function: Callable[[], object], repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        began = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - began)
    return best


def gemm_gflops(repeats: int = 10) -> float:
    """The float32 rate of a 2048 × 2048 torch matmul (2 n³ FLOPs per product), best of `repeats`."""
    generator = torch.Generator().manual_seed(0)
    a = torch.randn(GEMM_SIZE, GEMM_SIZE, generator=generator)
    b = torch.randn(GEMM_SIZE, GEMM_SIZE, generator=generator)
    torch.matmul(a, b)  # warm-up
    seconds = _best_seconds(lambda: torch.matmul(a, b), repeats)
    return 2.0 * GEMM_SIZE**3 / seconds / 1e9


PRODUCTS = ("aten::bmm", "aten::baddbmm", "aten::mm", "aten::addmm")
ADAM = ("aten::_fused_adam_",)


def step_shares(run: Callable[[], object]) -> dict[str, float]:
    """Where the ensemble's time goes (torch.profiler, self CPU time of `run`, one training run of the benchmark's
    steps, its initialisation and two snapshots included): the share in the batched matrix products
    (`ensemble_product_share`), in the fused Adam update (`ensemble_adam_share`) and the rest."""
    from torch.profiler import ProfilerActivity, profile

    with profile(activities=[ProfilerActivity.CPU]) as profiler:
        run()
    times = {event.key: event.self_cpu_time_total for event in profiler.key_averages()}
    total = sum(times.values())
    product = sum(times.get(name, 0.0) for name in PRODUCTS) / total
    adam = sum(times.get(name, 0.0) for name in ADAM) / total
    return {"ensemble_product_share": product, "ensemble_adam_share": adam,
            "ensemble_other_share": 1.0 - product - adam}


def ensemble_benchmark(quick: bool = False) -> dict[str, float]:
    """Ensemble vs plain loop and the ensemble's FLOP rate vs a big GEMM (module doc).

    `load_average_1min` (the system's, at the start) says how busy the machine was: with other processes
    on the same cores, the two-thread timings (and so the ratios) are unreliable.
    """
    load = os.getloadavg()[0]
    spec = MLPSpec(WIDTHS, "relu", init="uniform")
    grid = PeriodicGrid(POINTS, 0.0, 1.0)
    targets = sine_targets(SEEDS, FREQUENCIES, [1.0] * len(FREQUENCIES), 1.0, random_phase=True)
    inputs = torch.tensor(grid.points, dtype=torch.float32)[:, None]
    labels = torch.tensor(np.stack([target(grid.points) for target in targets]), dtype=torch.float32)[:, :, None]
    steps, repeats = (10, 2) if quick else (40, 3)
    config = TrainingConfig(steps=steps, lr=3e-4, progress=False)
    warm = TrainingConfig(steps=2, lr=3e-4, progress=False)
    train_ensemble(spec, SEEDS, inputs, labels, warm)
    train_one_by_one(spec, SEEDS[:2], inputs, labels[:2], warm)
    ensemble_s, loop_s, gemm = float("inf"), float("inf"), 0.0
    for _ in range(repeats):
        gemm = max(gemm, gemm_gflops(3 if quick else 5))
        ensemble_s = min(ensemble_s, _best_seconds(lambda: train_ensemble(spec, SEEDS, inputs, labels, config), 1))
        loop_s = min(loop_s, _best_seconds(lambda: train_one_by_one(spec, SEEDS, inputs, labels, config), 1))
    network_steps = len(SEEDS) * steps
    flops = 3.0 * spec.forward_flops_per_point * POINTS * network_steps
    shares = step_shares(lambda: train_ensemble(spec, SEEDS, inputs, labels, config))
    return {
        **shares,
        "ensemble_speedup": loop_s / ensemble_s,
        "training_gemm_fraction": flops / ensemble_s / 1e9 / gemm,
        "plain_loop_gemm_fraction": flops / loop_s / 1e9 / gemm,
        "ensemble_network_steps_per_s": network_steps / ensemble_s,
        "plain_loop_network_steps_per_s": network_steps / loop_s,
        "ensemble_training_gflops": flops / ensemble_s / 1e9,
        "gemm_2048_gflops": gemm,
        "ensemble_benchmark_steps": float(steps),
        "torch_threads": float(torch.get_num_threads()),
        "load_average_1min": load,
    }
