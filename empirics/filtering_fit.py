"""The filtering family: a classifier on real data, its output split by the filtering method over training,
and what is measured on it (Xu et al. 2019, arXiv:1901.06523, § filtering method; torch-free: the
training itself is `fpcheck.empirics.filtered_training`).

Setting. An MLP classifier (`hidden` widths, `activation`, softmax output) is trained on a labelled
data set (`dataset`: scikit-learn's bundled digits or mnist1d's generated training split,
`fpcheck.empirics.datasets`) as in the published experiments: cross entropy, full-batch Adam, float32,
one network per seed, all seeds at once through the engine (`fpcheck.empirics.ensemble.train_ensemble`
with `fpcheck.empirics.losses.SoftmaxCrossEntropy`). Its output h (the softmax probabilities) on the
training set is recorded at about `snapshots` log-spaced steps (`fpcheck.empirics.snapshots`), and the
filtering method (`fpcheck.empirics.filtering`) splits the one-hot target y and h into the parts below
and above the Gaussian scale δ, for every δ in `delta_ratios` × the data's median squared pairwise
distance: e_low = ‖h^low - y^low‖/‖y^low‖ and e_high likewise. The F-Principle predicts that the low
part converges first: e_low falls below `threshold` at an earlier snapshot than e_high, for every δ.

A seed diverges by the engine's one rule (its loss NaN/inf or beyond `diverge_factor` × its initial
loss); its errors are NaN and the measurement leaves it out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from fpcheck.empirics.experiment import Experiment, Result
from fpcheck.empirics.filtering import filtered_errors
from fpcheck.empirics.setup import Setup, param
from fpcheck.empirics.snapshots import first_below, log_spaced_steps, step_at
from fpcheck.tables import ALL_SEEDS, Measurement, concat, produces, tidy

DATA_DESCRIPTIONS = {"digits": "scikit-learn digits (1797 × 64)", "mnist1d": "mnist1d (4000 × 40)"}
MAX_WIDTH = 8192


@dataclass(frozen=True, kw_only=True)
class FilteringFit(Setup):
    """A softmax classifier on `dataset`, filtered at every δ in `delta_ratios` (module doc)."""

    dataset: Literal["digits", "mnist1d"] = "digits"
    hidden: tuple[int, ...] = param((64, 64), positive=True, at_most=MAX_WIDTH, max_length=64)
    activation: Literal["tanh", "relu", "logistic"] = "tanh"
    loss: Literal["cross_entropy", "mse"] = "cross_entropy"
    optimizer: Literal["adam", "gd"] = "adam"
    steps: int = param(250, positive=True, at_most=10_000_000)
    lr: float = param(0.003, positive=True, at_most=100.0)
    high_weight: float = param(0.0, at_least=0.0, at_most=1e6)
    high_weight_delta: float = param(0.316, positive=True, at_most=100.0)
    snapshots: int = param(20, at_least=2, at_most=10_000)
    delta_ratios: tuple[float, ...] = param((0.1, 0.178, 0.316, 0.562, 1.0), positive=True, max_length=256)
    threshold: float = param(0.5, positive=True, at_most=1.0, analysis=True)
    delta_scale: float = param(1.0, positive=True, at_most=100.0, analysis=True)

    family = "filtering"

    def planned_network_steps(self) -> int:
        """One classifier per seed for `steps` updates."""
        return self.seeds * self.steps

    @property
    def snapshot_steps(self) -> np.ndarray:
        """Step 0 and about `snapshots` log-spaced steps up to `steps`."""
        return log_spaced_steps(self.steps, self.snapshots)


@dataclass(frozen=True, kw_only=True)
class FilteringFitResult(Result):
    """Snapshot steps (T,); δ = delta_ratios × the median squared distance (R,); e_low and e_high (R, T, S),
    NaN for the diverged seeds; the final training accuracy and relative training error ‖h - y‖/‖y‖ (S,),
    NaN for the diverged seeds; ‖y^low‖/‖y‖ (R,), how much of the one-hot labels each δ counts as low
    frequency (NaN when every seed diverged); the diverged seeds. For the measurement at other δ (the
    analysis field `delta_scale`): the data's points (n, d), the one-hot target (n, c), the recorded
    outputs (T, S, n, c) float32 (NaN for the diverged seeds) and the median squared distance."""

    steps: np.ndarray
    deltas: np.ndarray
    e_low: np.ndarray
    e_high: np.ndarray
    train_accuracy: np.ndarray
    final_residual: np.ndarray
    target_low_fraction: np.ndarray
    diverged: tuple[int, ...]
    inputs: np.ndarray
    target: np.ndarray
    outputs: np.ndarray
    median_distance: float


FILTERING_FIT = Experiment("filtering-fit", FilteringFit, FilteringFitResult,
                           "fpcheck.empirics.filtered_training:filtering_fit",
                           "a softmax classifier on real data, split by the filtering method over training")


def _range(values: np.ndarray, fmt: str = "g") -> str:
    values = np.asarray(values)
    return f"{format(values.min(), fmt)} … {format(values.max(), fmt)}"


def healthy_members(result: FilteringFitResult) -> list[int]:
    return [member for member, seed in enumerate(result.seeds) if seed not in result.diverged]


def measured_errors(setup: FilteringFit, result: FilteringFitResult) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(e_low, e_high) of the healthy members (R, T, healthy) and ‖y^low‖/‖y‖ (R,): the stored ones at the
    setup's δ, or, with `delta_scale` ≠ 1, the stored outputs filtered again at delta_scale × each δ."""
    healthy = healthy_members(result)
    if setup.delta_scale == 1.0 or not healthy:
        return result.e_low[:, :, healthy], result.e_high[:, :, healthy], result.target_low_fraction
    deltas = np.asarray(setup.delta_ratios, dtype=np.float64) * setup.delta_scale * result.median_distance
    errors = filtered_errors(result.inputs, result.target, result.outputs[:, healthy], deltas)
    return errors.e_low, errors.e_high, errors.target_low_norm / np.linalg.norm(result.target)


def first_crossings(e_low: np.ndarray, e_high: np.ndarray, threshold: float) -> tuple[np.ndarray, np.ndarray]:
    """The snapshot index at which e_low and e_high (R, T, S) first fall below the threshold × their value at
    step 0, (R, S) each (T when never: ties last)."""
    low = first_below(np.moveaxis(e_low / e_low[:, :1], 1, 0), threshold)
    high = first_below(np.moveaxis(e_high / e_high[:, :1], 1, 0), threshold)
    return low, high


@produces("snapshots_ahead", "step_low_below", "step_high_below", "train_accuracy", "final_residual",
          "target_low_fraction", "delta")
def measure_filtering(setup: FilteringFit, result: FilteringFitResult) -> Measurement:
    """Per seed and δ: the snapshots by which e_low first falls below the threshold × its initial value ahead
    of e_high."""
    steps, threshold = result.steps, setup.threshold
    ratios = np.asarray(setup.delta_ratios, dtype=np.float64) * setup.delta_scale
    healthy = healthy_members(result)
    e_low, e_high, low_fraction = measured_errors(setup, result)
    first_low, first_high = first_crossings(e_low, e_high, threshold)
    frames = []
    for column, member in enumerate(healthy):
        low, high, seed = first_low[:, column], first_high[:, column], result.seeds[member]
        frames += [
            tidy(seed, "snapshots_ahead", high - low, x=ratios),
            tidy(seed, "step_low_below", step_at(steps, low), x=ratios),
            tidy(seed, "step_high_below", step_at(steps, high), x=ratios),
            tidy(seed, "train_accuracy", result.train_accuracy[member]),
            tidy(seed, "final_residual", result.final_residual[member]),
        ]
    frames.append(tidy(ALL_SEEDS, "target_low_fraction", low_fraction, x=ratios))
    frames.append(tidy(ALL_SEEDS, "delta", ratios * result.median_distance, x=ratios))
    summary = "no seed finished training"
    notes: tuple[str, ...] = ()
    if healthy:
        lead = np.min(first_high - first_low, axis=0)
        never = int(np.sum(first_high == steps.size))
        summary = (
            f"{DATA_DESCRIPTIONS[setup.dataset]}: over {ratios.size} δ and {len(healthy)} seeds, e_low first fell "
            f"below {threshold:g} × its initial value at steps {_range(step_at(steps, first_low))}, e_high at "
            f"{_range(step_at(steps, first_high))} (step {steps[-1] + 1} = never: {never} cases); smallest lead "
            f"per seed {lead.tolist()} snapshots; final training accuracy "
            f"{_range(result.train_accuracy[healthy], '.3f')}, relative training error ‖h - y‖/‖y‖ "
            f"{_range(result.final_residual[healthy], '.3f')}"
        )
        notes = (
            "δ is given as a fraction of the data's median squared pairwise distance "
            f"({result.median_distance:.4g}); ‖y^low‖/‖y‖ (how much of the one-hot labels each δ "
            f"counts as low frequency) is {', '.join(f'{v:.2f}' for v in low_fraction)} for "
            f"δ/median = {', '.join(f'{r:.3g}' for r in ratios)}.",
            "A part converges when its error first falls below the threshold × its value at step 0 (the part of "
            "the initial residual it keeps): the network's output at initialisation (a nearly uniform softmax) "
            "is already close to y^low at large δ, so an absolute threshold would be met at step 0 there and "
            "decide the order before any training. `snapshots_ahead` counts snapshots between the first where "
            "e_low is below it and the first where e_high is (a part that never gets there counts as one "
            "snapshot after the last); the prediction is that it is ≥ 1 for every δ.",
        )
    return Measurement(concat(frames), summary, diverged_seeds=result.diverged, notes=notes)
