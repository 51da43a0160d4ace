"""The xu2018 claims at tiny sizes: each rule holds on a sound measurement and fails on one that should
fail (an under-resolved quadrature, networks whose weights differ from the predicted ones), plus the
derivation registry the claims point to."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from matplotlib.figure import Figure

from reports import catalogue
from reports.derivations import DERIVATIONS, render
from reports.reconcile import reconcile

CLOSED_FORM = "xu2018.tanh-gradient-closed-form"
DECAY = "xu2018.gradient-exponential-decay"
SEEDS = [0]


def _claim(claim_id: str):
    return catalogue.claims()[claim_id]


def _tiny(claim_id: str, **changes) -> dict:
    params = dict(_claim(claim_id).setup["quick"])
    size = {"frequencies_per_neuron": 4} if claim_id == CLOSED_FORM else {"frequencies": 120}
    return {**params, "neurons": 2, **size, **changes}


def test_claims_are_registered_with_plain_setups() -> None:
    for claim_id in (CLOSED_FORM, DECAY):
        claim = _claim(claim_id)
        assert claim.version == 1 and claim.expected == "agree" and claim.derivation == "sigmoid-gradient"
        assert "arXiv:1808.04295" in claim.source and len(claim.rules) == 6
        json.dumps(dict(claim.setup))
        assert claim.setup["paper"]["seeds"] > claim.setup["quick"]["seeds"]


def test_closed_form_holds_on_a_sound_measurement() -> None:
    claim, params = _claim(CLOSED_FORM), _tiny(CLOSED_FORM)
    prediction, measurement = claim.predict(params, SEEDS), claim.measure(params, SEEDS)
    verdict = reconcile(claim, prediction, measurement, SEEDS)
    assert verdict.verdict == "agree", verdict.explanation
    assert verdict.margin > 0.5  # the errors use under half of the tolerance
    figures = claim.figures(prediction, measurement, params)
    assert len(figures) == 1 and isinstance(figures[0], Figure) and len(figures[0].axes) == 6


def test_closed_form_fails_when_the_quadrature_is_under_resolved() -> None:
    claim = _claim(CLOSED_FORM)
    sound, coarse = _tiny(CLOSED_FORM), _tiny(CLOSED_FORM, quadrature_digits=3.0)
    verdict = reconcile(claim, claim.predict(sound, SEEDS), claim.measure(coarse, SEEDS), SEEDS)
    assert verdict.verdict == "diverge", verdict.explanation


def test_closed_form_fails_on_a_gradient_off_by_two_parts_per_million() -> None:
    claim, params = _claim(CLOSED_FORM), _tiny(CLOSED_FORM)
    prediction, measurement = claim.predict(params, SEEDS), claim.measure(params, SEEDS)
    table = measurement.table.copy()
    rows = table["quantity"] == "autograd_logistic_w"
    table.loc[rows, "value"] *= 1 + 2e-6
    perturbed = type(measurement)(table, measurement.summary)
    assert reconcile(claim, prediction, perturbed, SEEDS).verdict == "diverge"


def test_decay_holds_and_fails_when_the_weights_are_not_the_predicted_ones() -> None:
    claim, params = _claim(DECAY), _tiny(DECAY)
    prediction, measurement = claim.predict(params, SEEDS), claim.measure(params, SEEDS)
    verdict = reconcile(claim, prediction, measurement, SEEDS)
    assert verdict.verdict == "agree", verdict.explanation
    fitted = measurement.table[measurement.table["quantity"].str.startswith("fit_points")]
    assert fitted["value"].min() >= 20
    doubled = _tiny(DECAY, w_min=2 * params["w_min"], w_max=2 * params["w_max"])
    wrong = reconcile(claim, prediction, claim.measure(doubled, SEEDS), SEEDS)
    assert wrong.verdict == "diverge", wrong.explanation
    figures = claim.figures(prediction, measurement, params)
    assert len(figures) == 1 and len(figures[0].axes) == 6


def test_decay_is_inconclusive_without_points_to_fit() -> None:
    claim, params = _claim(DECAY), _tiny(DECAY, fit_start=1e6)
    verdict = reconcile(claim, claim.predict(params, SEEDS), claim.measure(params, SEEDS), SEEDS)
    assert verdict.verdict == "inconclusive" and "NaN" in verdict.explanation


def test_same_seed_same_numbers() -> None:
    claim, params = _claim(DECAY), _tiny(DECAY, frequencies=60)
    first, second = claim.measure(params, [1]), claim.measure(params, [1])
    pd.testing.assert_frame_equal(first.table, second.table)
    other = claim.measure(params, [2]).table
    assert not first.table["value"].equals(other["value"])


def test_derivation_registry() -> None:
    assert "sigmoid-gradient" in DERIVATIONS
    text = render("sigmoid-gradient")
    assert "(1) poles of sech²" in text and "Results:" in text and "G_w_limit = " in text
    assert "sinh(pi*k/w)" in render("sigmoid-gradient", activation="logistic")
    assert "\\[" in render("sigmoid-gradient", latex=True)
    with pytest.raises(ValueError, match="unknown derivation 'nope'"):
        render("nope")
    with pytest.raises(ValueError, match="covers activations tanh, logistic, not .relu."):
        render("sigmoid-gradient", activation="relu")
