"""The xu2019 training claims: each rule holds where it should and fails where it should.

Hand-made measurements fix the rule's wiring (which quantity, which side); small real runs check the
physics the claims rest on (the lowest peak converges first; no noise, no early-stopping benefit) and
that a diverging run ends as an inconclusive verdict with its reason instead of a crash.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from matplotlib.figure import Figure

from reports.catalogue import claims
from reports.claim import Measurement, Prediction, concat, tidy
from reports.reconcile import reconcile

SEEDS = (0, 1, 2, 3, 4)
IDS = ("xu2019.fprinciple-1d", "xu2019.large-init", "xu2019.early-stopping")


def _claim(claim_id: str):
    return claims()[claim_id]


def _verdict(claim_id: str, rows_per_seed) -> str:
    claim = _claim(claim_id)
    table = concat([frame for seed in SEEDS for frame in rows_per_seed(seed)])
    params = claim.setup["quick"]
    return reconcile(claim, claim.predict(params, SEEDS), Measurement(table), SEEDS).verdict


@pytest.mark.parametrize("claim_id", IDS)
def test_registered_with_json_setups(claim_id: str) -> None:
    claim = _claim(claim_id)
    assert claim.version == 1 and "arXiv" in claim.source
    for profile in ("quick", "paper"):
        json.dumps(claim.setup[profile])
        assert claim.setup[profile]["seeds"] >= 1


def test_fprinciple_rule_holds_and_fails() -> None:
    def ordered(seed: int):
        return [tidy(seed, "convergence_step", [5, 400, 620], x=[1, 3, 5]), tidy(seed, "highest_peak_lead", 220)]

    def reversed_(seed: int):
        return [tidy(seed, "convergence_step", [620, 400, 5], x=[1, 3, 5]), tidy(seed, "highest_peak_lead", -615)]

    def highest_not_last(seed: int):  # ρ = 0.5 and the highest peak before the middle one
        return [tidy(seed, "convergence_step", [5, 620, 400], x=[1, 3, 5]), tidy(seed, "highest_peak_lead", -220)]

    assert _verdict("xu2019.fprinciple-1d", ordered) == "agree"
    assert _verdict("xu2019.fprinciple-1d", reversed_) == "diverge"
    assert _verdict("xu2019.fprinciple-1d", highest_not_last) == "diverge"


def test_large_init_rule_holds_and_fails() -> None:
    peaks = [1, 2, 3, 4, 5, 6]

    def rows(seed: int, steps: list[int], ratio: float):
        return [tidy(seed, "convergence_step_large", steps, x=peaks), tidy(seed, "test_error_ratio", ratio)]

    def broken_order(seed: int):
        return rows(seed, [40, 31, 52, 28, 45, 37], 3.0)

    def kept_order(seed: int):
        return rows(seed, [10, 20, 30, 40, 50, 60], 3.0)

    def generalises_better(seed: int):
        return rows(seed, [40, 31, 52, 28, 45, 37], 0.5)

    assert _verdict("xu2019.large-init", broken_order) == "agree"
    assert _verdict("xu2019.large-init", kept_order) == "diverge"
    assert _verdict("xu2019.large-init", generalises_better) == "diverge"


def test_early_stopping_rule_holds_and_fails() -> None:
    def helps(seed: int):
        return [tidy(seed, "best_over_final_test_error", 0.25), tidy(seed, "high_band_at_best", 0.1)]

    def no_gain(seed: int):
        return [tidy(seed, "best_over_final_test_error", 0.97), tidy(seed, "high_band_at_best", 0.1)]

    def noise_fitted_early(seed: int):
        return [tidy(seed, "best_over_final_test_error", 0.25), tidy(seed, "high_band_at_best", 0.8)]

    assert _verdict("xu2019.early-stopping", helps) == "agree"
    assert _verdict("xu2019.early-stopping", no_gain) == "diverge"
    assert _verdict("xu2019.early-stopping", noise_fitted_early) == "diverge"


TINY_FPRINCIPLE = {
    "frequencies": [1, 4],
    "amplitudes": [1.0, 1.0],
    "points": 32,
    "hidden": [32, 32],
    "lr": 3e-3,
    "steps": 600,
    "seeds": 4,
}


def test_tiny_tanh_network_fits_the_lowest_peak_first() -> None:
    """A real run of a few hundred steps: sin x converges before sin 4x in every seed, and the claim agrees."""
    claim = _claim("xu2019.fprinciple-1d")
    params = {**claim.setup["quick"], **TINY_FPRINCIPLE}
    seeds = tuple(range(4))
    measurement = claim.measure(params, seeds)
    converged = measurement.artifacts["converged"]
    assert np.all(converged[:, 0] < converged[:, 1])
    assert np.all(converged[:, 1] <= params["steps"])  # both peaks really converged
    assert reconcile(claim, claim.predict(params, seeds), measurement, seeds).verdict == "agree"
    figures = claim.figures(claim.predict(params, seeds), measurement, params)
    assert len(figures) == 3 and all(isinstance(figure, Figure) for figure in figures)


def test_diverging_training_is_inconclusive_with_its_reason() -> None:
    claim = _claim("xu2019.fprinciple-1d")
    params = {**claim.setup["quick"], **TINY_FPRINCIPLE, "steps": 30, "lr": 1e6}
    seeds = (0, 1)
    prediction = claim.predict(params, seeds)
    measurement = claim.measure(params, seeds)
    assert measurement.diverged_seeds == seeds
    verdict = reconcile(claim, prediction, measurement, seeds)
    assert verdict.verdict == "inconclusive"
    assert "diverged" in verdict.explanation and "0, 1" in verdict.explanation
    claim.figures(prediction, measurement, params)  # drawing NaN curves must not raise


def test_without_label_noise_early_stopping_gains_nothing() -> None:
    """The failing measurement that should fail: noise of RMS 1e-6, so the held-out error keeps falling."""
    claim = _claim("xu2019.early-stopping")
    params = {
        **claim.setup["quick"], "points": 64, "hidden": [32, 32], "noise_band": [6, 12], "noise_rms": 1e-6,
        "steps": 300, "lr": 3e-3, "seeds": 3,
    }
    seeds = (0, 1, 2)
    measurement = claim.measure(params, seeds)
    verdict = reconcile(claim, claim.predict(params, seeds), measurement, seeds)
    assert verdict.verdict == "diverge"
    ratios = measurement.table.query("quantity == 'best_over_final_test_error'")["value"]
    assert ratios.min() > 0.9


def test_large_init_prediction_table_is_the_gradient_factor() -> None:
    claim = _claim("xu2019.large-init")
    params = claim.setup["quick"]
    prediction = claim.predict(params, SEEDS)
    assert isinstance(prediction, Prediction)
    rows = prediction.table.query("quantity == 'gradient_factor_large'")
    np.testing.assert_allclose(rows["value"], np.exp(-np.pi * rows["x"] / (2 * 10.0)))
