"""The xu2019 training claims: each rule holds where it should and fails where it should.

Hand-made measurements fix the rule's wiring (which quantity, which side); small real runs check the
physics the claims rest on (the lowest peak converges first; no noise, no early-stopping benefit) and
that a diverging run ends as an inconclusive verdict with its reason instead of a crash.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from claim_checks import hand_made_verdict as _verdict
from claim_checks import run_claim, small
from matplotlib.figure import Figure

from fpcheck.empirics.sine_fit import InitScaleFit, NoisySineFit, SineFit
from fpcheck.reports.catalogue import claims
from fpcheck.tables import tidy

IDS = ("xu2019.fprinciple-1d", "xu2019.large-init", "xu2019.early-stopping")
SETUP_TYPES = {"xu2019.fprinciple-1d": SineFit, "xu2019.large-init": InitScaleFit,
               "xu2019.early-stopping": NoisySineFit}


@pytest.mark.parametrize("claim_id", IDS)
def test_registered_with_typed_setups(claim_id: str) -> None:
    claim = claims()[claim_id]
    assert claim.version == 1 and "arXiv" in claim.source
    for profile in ("quick", "paper"):
        setup = claim.setups[profile]
        assert type(setup) is SETUP_TYPES[claim_id] and setup.seeds >= 1
        assert setup.override(json.loads(json.dumps(setup.data()))) == setup  # the stored data rebuilds the setup
    assert claim.setups["paper"].hidden == (200, 200, 200, 100)  # Xu et al.'s network


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


TINY_FPRINCIPLE = {"frequencies": (1, 4), "amplitudes": (1.0, 1.0), "points": 32, "hidden": (32, 32), "lr": 3e-3,
                   "steps": 600, "seeds": 4}


def test_tiny_tanh_network_fits_the_lowest_peak_first() -> None:
    """A real run of a few hundred steps: sin x converges before sin 4x in every seed, and the claim agrees."""
    claim, setup = small("xu2019.fprinciple-1d", **TINY_FPRINCIPLE)
    run, verdict = run_claim(claim, setup)
    converged = run.measurement.artifacts["converged"]
    assert np.all(converged[:, 0] < converged[:, 1])
    assert np.all(converged[:, 1] <= setup.steps)  # both peaks really converged
    assert verdict.verdict == "agree"
    figures = claim.figures(run)
    assert len(figures) == 3 and all(isinstance(figure, Figure) for figure in figures)


def test_diverging_training_is_inconclusive_with_its_reason() -> None:
    diverging = {"steps": 30, "lr": 100.0, "optimizer": "gd", "seeds": 2}
    claim, setup = small("xu2019.fprinciple-1d", **{**TINY_FPRINCIPLE, **diverging})
    run, verdict = run_claim(claim, setup)
    assert run.measurement.diverged_seeds == (0, 1)
    assert verdict.verdict == "inconclusive"
    assert "diverged" in verdict.explanation and "0, 1" in verdict.explanation
    claim.figures(run)  # drawing NaN curves must not raise


def test_without_label_noise_early_stopping_gains_nothing() -> None:
    """The failing measurement that should fail: noise of RMS 1e-6, so the held-out error keeps falling."""
    claim, setup = small("xu2019.early-stopping", points=64, hidden=(32, 32), noise_band=(6, 12), noise_rms=1e-6,
                         steps=300, lr=3e-3, seeds=3)
    run, verdict = run_claim(claim, setup)
    assert verdict.verdict == "diverge"
    ratios = run.measurement.table.query("quantity == 'best_over_final_test_error'")["value"]
    assert ratios.min() > 0.9


def test_large_init_prediction_table_is_the_gradient_factor() -> None:
    claim = claims()["xu2019.large-init"]
    setup = claim.setups["quick"]
    prediction = claim.predict(setup, None)
    rows = prediction.table.query("quantity == 'gradient_factor_large'")
    np.testing.assert_allclose(rows["value"], np.exp(-np.pi * rows["x"] / (2 * setup.init_scale * setup.large_factor)))
    assert setup.init_scale * setup.large_factor == 10.0
