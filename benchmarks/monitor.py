"""The frequency monitor's cost next to the training it watches (`fpcheck.monitor.FrequencyMonitor`).

On a model of the monitor's own use (a 1-128-128-1 tanh network, full-batch Adam on 1024 grid points, one
thread), in the same run:
- `monitor_observe_over_step`: the time of one `observe_model` (a forward pass in eval mode without gradients and
  a float64 copy of the outputs) over one training step (forward, backward, Adam update); target ≤ 0.5;
- `monitor_analysis_over_steps`: the time of `result()` on 100 observations (the DFT method with its report
  record, figure included) over the 5000 training steps that those observations would cover at one every
  50 steps; target ≤ 0.2.
"""

from __future__ import annotations

import time

import numpy as np
import torch

from fpcheck.monitor import FrequencyMonitor

POINTS = 1024
PEAKS = (1, 3, 5, 7, 9)


def monitor_benchmark(quick: bool = False) -> dict[str, float]:
    torch.manual_seed(0)
    torch.set_num_threads(1)
    x = -np.pi + 2 * np.pi * np.arange(POINTS) / POINTS
    y = sum(np.sin(k * x) for k in PEAKS)
    network = torch.nn.Sequential(torch.nn.Linear(1, 128), torch.nn.Tanh(), torch.nn.Linear(128, 128),
                                  torch.nn.Tanh(), torch.nn.Linear(128, 1))
    optimiser = torch.optim.Adam(network.parameters(), lr=1e-3)
    inputs, targets = torch.tensor(x, dtype=torch.float32)[:, None], torch.tensor(y, dtype=torch.float32)[:, None]
    steps = 200 if quick else 1000
    started = time.perf_counter()
    for _ in range(steps):
        loss = torch.mean((network(inputs) - targets) ** 2)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    step_time = (time.perf_counter() - started) / steps
    monitor = FrequencyMonitor(x, y)
    started = time.perf_counter()
    for step in range(100):
        monitor.observe_model(step * 50, network)
    observe_time = (time.perf_counter() - started) / 100
    started = time.perf_counter()
    monitor.result()
    analysis_time = time.perf_counter() - started
    return {"monitor_observe_over_step": observe_time / step_time,
            "monitor_analysis_over_steps": analysis_time / (5000 * step_time)}
