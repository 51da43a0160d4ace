"""Sobolev tuning on the circle: the networks of `fpcheck.empirics.circle_fit` trained by gradient descent on
the H^s norm of the residual instead of the mean squared error (Yu, Yang, Townsend 2023, "Tuning frequency bias
in neural network training with nonuniform data", ICLR, arXiv:2205.14300); torch-free (the runs are
`fpcheck.empirics.circle_training.sobolev_fits`).

Loss. `fpcheck.empirics.losses.SobolevLoss`: Σ_k w_k |r̂_k|² with r̂_k = (1/n) Σ_j r(θ_j) e^{-ikθ_j} and
w_k = (1 + min(|k|, cap)²)^s, k in cycles per period 2π, i.e. the harmonic index κ itself (θ in radians, one
period per turn: no (2π)^{2s} factor). At s = 0 it is the mean squared error without ½ (Parseval).

Kernel-regime rate. Gradient descent with step η moves the residual on the points by -η K ∇_f L, and
∇_f L = (2/n) W r with W the circulant multiplier w_k, so the κ-component shrinks by 1 - 2η λ_κ^(n) w_κ per step:
the rate of the mean squared error times (1 + κ²)^s for κ ≤ cap (`harmonic_learning_time` with s). The target
band lies below the cap, so its weights are uncapped; the cap keeps the weights of the harmonics above it, which
the residual does not hold at initialisation, from forcing a tiny step.

Step rule (one step per s, shared by every κ, so that the times of one s are comparable). With the grid's
rates r_k = λ_k^(n) w_k (k = 0 … n/2), η_s = min(step_rate / (c max_{κ∈targets} r_κ), lr_cap / (c max_k r_k)):
the fastest target harmonic is predicted at ln 10 / -ln(1 - step_rate) ≈ 30 steps to δ = 0.1, unless the grid's
fastest mode would leave the factor |1 - c η r_k| ≤ |1 - lr_cap| (at s = 0 this is the constant mode, as in the
circle fit). Each run lasts `run_factor` × its own predicted time to δ = 0.1. The model, the paired zero-output
initialisation, the measured time and the kernel snapshots are those of `circle_fit`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fpcheck.empirics.circle_fit import (
    MAX_WIDTH,
    REFERENCE_DELTA,
    CircleFit,
    CircleFitResult,
    at_times,
    learning_times,
)
from fpcheck.empirics.experiment import Experiment, Result
from fpcheck.empirics.setup import param
from fpcheck.tables import Measurement, concat, produces, tidy
from fpcheck.theory.circle_ntk import LOSS_FACTOR, harmonic_learning_time

ORDERS = (0.0, 1.0, 2.0, 3.0)
"""The orders s of the H^s loss every Sobolev fit runs (the claim's rules name a quantity per order)."""


@dataclass(frozen=True, kw_only=True)
class SobolevFit(CircleFit):
    """One width; per order s of `ORDERS` every κ trained on the H^s loss at the common step η_s (module doc),
    the weights capped above |k| = `weight_cap`."""

    widths: tuple[int, ...] = param((32768,), at_least=2, at_most=MAX_WIDTH, max_length=1)
    weight_cap: int = param(4, at_least=1)

    def planned_network_steps(self) -> int:
        """Per order s of `ORDERS`, one run per κ of its `run_lengths` updates, one network per seed."""
        return self.seeds * sum(int(np.sum(run_lengths(self, s))) for s in ORDERS)

    def check(self) -> None:
        super().check()
        if self.weight_cap < max(self.kappas):
            self.refuse("weight_cap", f"{self.weight_cap} is below the target harmonic κ = {max(self.kappas)}: "
                        "its weight would be capped")
        if 2 * self.weight_cap > self.points:
            self.refuse("weight_cap", f"{self.weight_cap} is above the Nyquist frequency of {self.points} points")


@dataclass(frozen=True, kw_only=True)
class SobolevFitResult(Result):
    """One circle fit (one width, every κ) per order s of `ORDERS`."""

    fits: tuple[CircleFitResult, ...]

    @property
    def diverged(self) -> tuple[int, ...]:
        return tuple(sorted({seed for fit in self.fits for seed in fit.diverged}))


SOBOLEV_FIT = Experiment("sobolev-fit", SobolevFit, SobolevFitResult,
                         "fpcheck.empirics.circle_training:sobolev_fits",
                         "two-layer networks trained by gradient descent on the H^s loss of one harmonic of the circle")


def order_name(s: float) -> str:
    """The suffix of an order's quantities: 's0', 's1.5', 's-1'."""
    return f"s{s:g}"


def weights(setup: SobolevFit, s: float) -> np.ndarray:
    """w_k = (1 + min(k, cap)²)^s for k = 0 … n/2: the weights of `fpcheck.empirics.losses.SobolevLoss` on the
    non-negative harmonics (in numpy, for the step rule; a test checks they are the loss's)."""
    k = np.minimum(np.arange(setup.points // 2 + 1), setup.weight_cap).astype(float)
    return (1.0 + k**2) ** float(s)


def step_size(setup: SobolevFit, s: float) -> float:
    """η_s of the step rule (module doc); the engine's step is η_s / α²."""
    harmonics = np.arange(setup.points // 2 + 1)
    grid_rates = setup.kernel_eigenvalues(harmonics) * weights(setup, s)
    target_rates = grid_rates[np.asarray(setup.kappas)]
    return float(min(setup.step_rate / (LOSS_FACTOR * target_rates.max()),
                     setup.lr_cap / (LOSS_FACTOR * grid_rates.max())))


def predicted_times(setup: SobolevFit, s: float, delta: float | None = None) -> np.ndarray:
    """The kernel-regime time t_κ(s) to `delta` (the setup's by default) at η_s, per κ."""
    level = setup.delta if delta is None else delta
    return np.asarray(harmonic_learning_time(np.asarray(setup.kappas), step_size(setup, s), level, setup.points, s,
                                             True, "both"), dtype=float)


def run_lengths(setup: SobolevFit, s: float) -> np.ndarray:
    """The number of updates of each κ's run at order s: run_factor × its predicted time to δ = 0.1."""
    return np.ceil(setup.run_factor * predicted_times(setup, s, REFERENCE_DELTA)).astype(int)


def per_order(*quantities: str) -> tuple[str, ...]:
    """Each quantity name once per order of `ORDERS`, suffixed by `order_name`."""
    return tuple(f"{quantity}_{order_name(s)}" for quantity in quantities for s in ORDERS)


@produces(*per_order("learning_time", "final_component_over_delta", "learning_time_ratio", "kernel_drift"))
def measure_sobolev_times(setup: SobolevFit, result: SobolevFitResult) -> Measurement:
    """Per order s (quantity names suffixed by `order_name`) and κ: the measured learning time, the κ-component
    at the end over δ (the fit criterion), the measured over the predicted time (a comparison, beside the rule)
    and the kernel drift at the measured time."""
    width, frames, text, times = setup.widths[0], [], [], {}
    for s, fit in zip(ORDERS, result.fits, strict=True):
        suffix, predicted = order_name(s), predicted_times(setup, s)
        measured = np.stack([learning_times(fit.run(width, k).component, setup.delta) for k in setup.kappas], axis=1)
        times[s] = measured
        for member, seed in enumerate(result.seeds):
            final = np.array([fit.run(width, k).component[-1, member] for k in setup.kappas])
            frames += [tidy(seed, f"learning_time_{suffix}", measured[member], x=setup.kappas),
                       tidy(seed, f"final_component_over_delta_{suffix}", final / setup.delta, x=setup.kappas),
                       tidy(seed, f"learning_time_ratio_{suffix}", measured[member] / predicted, x=setup.kappas)]
        drifts = []
        for index, kappa in enumerate(setup.kappas):
            run = fit.run(width, kappa)
            drift = at_times(run.kernel_steps, run.drift, measured[:, index])
            drifts.append(np.nanmedian(drift))
            frames += [tidy(seed, f"kernel_drift_{suffix}", drift[member], x=kappa)
                       for member, seed in enumerate(result.seeds)]
        text.append(f"s = {s:g}: t/t_pred " + ", ".join(
            f"κ={k}: {r:.3g}" for k, r in zip(setup.kappas, np.nanmedian(measured, axis=0) / predicted, strict=True))
            + f" (drift ≤ {max(drifts):.2g})")
    return Measurement(concat(frames), summary=f"width {width}, medians over seeds: " + "; ".join(text),
                       diverged_seeds=result.diverged, artifacts={"times": times})
