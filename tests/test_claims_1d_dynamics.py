"""The Rahaman et al. training claims and the spectral-norm claim of Xu 2018: rules hold and fail where they
should; tiny real runs produce the quantities the rules read, and diverging training is inconclusive."""

from __future__ import annotations

import json

import numpy as np
import pytest

from reports.catalogue import claims
from reports.claim import Measurement, concat, tidy
from reports.reconcile import reconcile

SEEDS = (0, 1, 2, 3, 4)
IDS = (
    "rahaman2019.fig1-equal-amplitudes",
    "rahaman2019.fig2-increasing-amplitudes",
    "rahaman2019.robustness",
    "xu2018.spectral-norm-vs-dynamics",
)
TINY_RELU = {
    "frequencies": [1, 2, 4],
    "amplitudes": [1.0, 1.0, 1.0],
    "points": 32,
    "hidden": [24, 24],
    "steps": 200,
    "lr": 3e-3,
    "snapshot_every": 10,
    "seeds": 2,
}


def _verdict(claim_id: str, rows_per_seed) -> str:
    claim = claims()[claim_id]
    table = concat([frame for seed in SEEDS for frame in rows_per_seed(seed)])
    params = claim.setup["quick"]
    return reconcile(claim, claim.predict(params, SEEDS), Measurement(table), SEEDS).verdict


@pytest.mark.parametrize("claim_id", IDS)
def test_registered_with_json_setups(claim_id: str) -> None:
    claim = claims()[claim_id]
    assert claim.version == 1 and "arXiv" in claim.source
    for profile in ("quick", "paper"):
        json.dumps(claim.setup[profile])
    assert claim.setup["paper"]["hidden"] == [256] * 5  # Rahaman's 6 linear layers of width 256


@pytest.mark.parametrize("claim_id", IDS[:2])
def test_learning_order_rule_holds_and_fails(claim_id: str) -> None:
    peaks = [1, 2, 3, 4, 5, 6]

    def low_first(seed: int):
        return [tidy(seed, "first_reach_step", [20, 90, 200, 300, 610, 2001], x=peaks)]

    def high_first(seed: int):
        return [tidy(seed, "first_reach_step", [2001, 610, 300, 200, 90, 20], x=peaks)]

    def never(seed: int):  # nothing reached the level: all tie after the last step, ρ = 0
        return [tidy(seed, "first_reach_step", [2001] * 6, x=peaks)]

    assert _verdict(claim_id, low_first) == "agree"
    assert _verdict(claim_id, high_first) == "diverge"
    assert _verdict(claim_id, never) == "diverge"


def test_robustness_rule_holds_and_fails() -> None:
    norms = [1.0, 2.0, 4.0, 8.0]

    def fragile_high(seed: int):
        return [tidy(seed, "rho_amplitude_loss", [0.94, 0.83, 1.0, 0.94], x=norms)]

    def one_norm_out(seed: int):
        return [tidy(seed, "rho_amplitude_loss", [0.94, 0.2, 1.0, 0.94], x=norms)]

    assert _verdict("rahaman2019.robustness", fragile_high) == "agree"
    assert _verdict("rahaman2019.robustness", one_norm_out) == "diverge"


def test_norm_bound_rule_holds_and_fails() -> None:
    steps = [0, 200, 400]

    def bound_below(seed: int):
        return [tidy(seed, "bound_over_target_before_lower_converged", [0.3, 0.5, 0.9], x=steps)]

    def bound_above(seed: int):
        return [tidy(seed, "bound_over_target_before_lower_converged", [4e6, 1e7, 1e9], x=steps)]

    assert _verdict("xu2018.spectral-norm-vs-dynamics", bound_below) == "agree"
    assert _verdict("xu2018.spectral-norm-vs-dynamics", bound_above) == "diverge"


def test_tiny_learning_order_run() -> None:
    claim = claims()["rahaman2019.fig1-equal-amplitudes"]
    params = {**claim.setup["quick"], **TINY_RELU}
    measurement = claim.measure(params, (0, 1))
    reached = measurement.artifacts["reached"]
    assert reached.shape == (2, 3) and np.all(reached[:, 0] <= reached[:, -1])
    amplitude = measurement.artifacts["amplitude"]
    assert amplitude[-1, 0] > 0.9  # the lowest peak is learned within the run
    assert len(claim.figures(claim.predict(params, (0, 1)), measurement, params)) == 3


def test_tiny_robustness_run_produces_one_rho_per_norm() -> None:
    claim = claims()["rahaman2019.robustness"]
    params = {**claim.setup["quick"], **TINY_RELU, "perturbation_norms": [0.5, 2.0], "samples": 16}
    measurement = claim.measure(params, (0, 1))
    rhos = measurement.table.query("quantity == 'rho_amplitude_loss'")
    assert sorted(rhos["x"].unique()) == [0.5, 2.0] and len(rhos) == 4
    assert np.isfinite(rhos["value"]).all()
    losses = measurement.artifacts["losses"]
    assert losses.shape == (2, 2, 3) and np.mean(np.abs(losses[:, 1])) > np.mean(np.abs(losses[:, 0]))


def test_tiny_norm_bound_run_diverges_for_the_stated_reason() -> None:
    """Even a 2-layer net of width 24 has a weight bound above |ŷ(k)| = 1/2 at every evaluation."""
    claim = claims()["xu2018.spectral-norm-vs-dynamics"]
    params = {**claim.setup["quick"], **TINY_RELU, "bound_every": 50}
    seeds = (0, 1)
    measurement = claim.measure(params, seeds)
    verdict = reconcile(claim, claim.predict(params, seeds), measurement, seeds)
    assert verdict.verdict == "diverge"
    ratios = measurement.table.query("quantity == 'bound_over_target'")["value"]
    assert ratios.min() > 1
    moved = measurement.table.query("quantity == 'norm_product_ratio_final_initial'")["value"]
    assert np.all(moved > 0) and "changed by a factor" in measurement.notes[0]
    assert len(claim.figures(claim.predict(params, seeds), measurement, params)) == 2


@pytest.mark.parametrize("claim_id", ["rahaman2019.robustness", "xu2018.spectral-norm-vs-dynamics"])
def test_diverging_training_is_inconclusive(claim_id: str) -> None:
    claim = claims()[claim_id]
    params = {**claim.setup["quick"], **TINY_RELU, "steps": 20, "lr": 1e7, "bound_every": 10, "samples": 4}
    seeds = (0, 1)
    measurement = claim.measure(params, seeds)
    verdict = reconcile(claim, claim.predict(params, seeds), measurement, seeds)
    assert verdict.verdict == "inconclusive" and "diverged" in verdict.explanation
