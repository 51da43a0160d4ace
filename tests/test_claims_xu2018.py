"""The xu2018 claims: each rule holds on a sound measurement and fails on one that should fail (an
under-resolved quadrature, networks whose weights differ from the predicted ones, a weight-norm bound
above the target), tiny real runs through the claims' experiments, the measurements on hand-made results,
the setups' validation, and the derivation registry the gradient claims point to."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from claim_checks import hand_made_verdict, run_claim, small
from matplotlib.figure import Figure

from fpcheck.empirics import gradient_spectrum as spectrum
from fpcheck.empirics.runtime import fixed_threads
from fpcheck.errors import SetupError
from fpcheck.reports.catalogue import claims
from fpcheck.reports.derivations import DERIVATIONS, render
from fpcheck.reports.reconcile import reconcile
from fpcheck.tables import Measurement, tidy

CLOSED_FORM = "xu2018.tanh-gradient-closed-form"
DECAY = "xu2018.gradient-exponential-decay"
NORM = "xu2018.spectral-norm-vs-dynamics"
IDS = (CLOSED_FORM, DECAY, NORM)
SEEDS = (0,)
TINY = {CLOSED_FORM: {"neurons": 2, "frequencies_per_neuron": 4, "seeds": 1},
        DECAY: {"neurons": 2, "frequencies": 120, "seeds": 1},
        NORM: {"frequencies": [1, 2, 4], "amplitudes": [1.0, 1.0, 1.0], "points": 32, "hidden": [24, 24],
               "steps": 200, "lr": 3e-3, "snapshot_every": 10, "bound_every": 50, "seeds": 2}}


@pytest.fixture(autouse=True)
def one_thread():
    with fixed_threads(1):
        yield


def _claim(claim_id: str):
    return claims()[claim_id]


def _setup(claim_id: str, **changes):
    return small(claim_id, **{**TINY[claim_id], **changes})[1]


def _run(claim_id: str, setup):
    """The claim's experiment on `setup`: the run (result, prediction, measurement) and its verdict."""
    return run_claim(_claim(claim_id), setup)


@pytest.mark.parametrize("claim_id", IDS)
def test_claims_are_registered_with_typed_setups(claim_id: str) -> None:
    claim = _claim(claim_id)
    assert claim.version == 1 and "arXiv:1808.04295" in claim.source and not claim.controls
    assert claim.setups["paper"].seeds > claim.setups["quick"].seeds
    for setup in claim.setups.values():
        assert isinstance(setup, claim.experiment.setup)
        assert setup.override(json.loads(json.dumps(setup.data()))) == setup  # the stored data rebuilds the setup
    if claim_id == NORM:
        assert claim.expected == "diverge" and claim.derivation is None
    else:
        assert claim.expected == "agree" and claim.derivation == "sigmoid-gradient" and len(claim.rules) == 6


def test_setups_refuse_bad_values() -> None:
    setup = _claim(DECAY).setups["quick"]
    with pytest.raises(SetupError, match="w_min must be positive"):
        setup.override({"w_min": 0.0})
    with pytest.raises(SetupError, match="exceeds w_max"):
        setup.override({"w_min": 2.0, "w_max": 1.0})
    with pytest.raises(SetupError, match="smallest k_max"):
        setup.override({"k_min": 50.0})
    with pytest.raises(SetupError, match="b_max = -1.0 is below its minimum"):
        setup.override({"b_max": -1.0})
    with pytest.raises(SetupError, match="exceeds the limit"):
        _claim(CLOSED_FORM).setups["quick"].override({"neurons": 1000, "frequencies_per_neuron": 1000, "seeds": 10})
    # fit_start and floor_factor choose the analysis, not the experiment
    assert "fit_start" not in setup.experiment_data() and "floor_factor" not in setup.experiment_data()


def test_closed_form_holds_on_a_sound_measurement() -> None:
    run, verdict = _run(CLOSED_FORM, _setup(CLOSED_FORM))
    assert verdict.verdict == "agree", verdict.explanation
    assert verdict.margin > 0.5  # the errors use under half of the tolerance
    figures = _claim(CLOSED_FORM).figures(run)
    assert len(figures) == 1 and isinstance(figures[0], Figure) and len(figures[0].axes) == 6


def test_closed_form_fails_when_the_quadrature_is_under_resolved() -> None:
    sound, _ = _run(CLOSED_FORM, _setup(CLOSED_FORM))
    coarse, _ = _run(CLOSED_FORM, _setup(CLOSED_FORM, quadrature_digits=3.0))
    verdict = reconcile(_claim(CLOSED_FORM), sound.prediction, coarse.measurement, SEEDS)
    assert verdict.verdict == "diverge", verdict.explanation


def test_closed_form_fails_on_a_gradient_off_by_two_parts_per_million() -> None:
    run, _ = _run(CLOSED_FORM, _setup(CLOSED_FORM))
    table = run.measurement.table.copy()
    table.loc[table["quantity"] == "autograd_logistic_w", "value"] *= 1 + 2e-6
    verdict = reconcile(_claim(CLOSED_FORM), run.prediction, Measurement(table, run.measurement.summary), SEEDS)
    assert verdict.verdict == "diverge"


def test_the_networks_are_the_draws_of_the_named_streams() -> None:
    """Independent of the experiment: the seed's stream "xu2018/closed-form/<activation>" draws a, w, b,
    then each neuron's frequencies, with the distributions the module documents."""
    from fpcheck.empirics.seeding import numpy_rng

    setup = _setup(CLOSED_FORM)
    result = _claim(CLOSED_FORM).experiment.run(setup, (3,))
    for index, activation in enumerate(result.activations):
        rng = numpy_rng(3, f"xu2018/closed-form/{activation}")
        a = rng.normal(size=2)
        w = rng.uniform(setup.w_min, setup.w_max, size=2) * rng.choice([-1.0, 1.0], size=2)
        b = rng.uniform(-setup.b_max, setup.b_max, size=2)
        k_max = setup.z_max * np.abs(w).max() / (np.pi / 2 if activation == "tanh" else np.pi)
        magnitude = np.exp(rng.uniform(np.log(setup.k_min), np.log(k_max), size=(2, 4)))
        k = (magnitude * rng.choice([-1.0, 1.0], size=(2, 4))).reshape(-1)
        for name, expected in (("a", a), ("w", w), ("b", b)):
            np.testing.assert_array_equal(getattr(result, name)[index, 0], expected)
        np.testing.assert_allclose(result.k[index, 0], k, rtol=1e-15)
    assert result.gradient.shape == (2, 1, 3, 8, 2) and result.envelope.shape == result.floor.shape


def test_decay_holds_and_fails_when_the_weights_are_not_the_predicted_ones() -> None:
    setup = _setup(DECAY)
    run, verdict = _run(DECAY, setup)
    assert verdict.verdict == "agree", verdict.explanation
    table = run.measurement.table
    assert table[table["quantity"].str.startswith("fit_points")]["value"].min() >= 20
    doubled, _ = _run(DECAY, setup.override({"w_min": 2 * setup.w_min, "w_max": 2 * setup.w_max}))
    verdict = reconcile(_claim(DECAY), run.prediction, doubled.measurement, SEEDS)
    assert verdict.verdict == "diverge", verdict.explanation
    figures = _claim(DECAY).figures(run)
    assert len(figures) == 1 and len(figures[0].axes) == 6


def test_decay_is_inconclusive_without_points_to_fit() -> None:
    _, verdict = _run(DECAY, _setup(DECAY, fit_start=1e6))
    assert verdict.verdict == "inconclusive" and "NaN" in verdict.explanation


def test_decay_measurement_recovers_the_rates_of_exact_envelopes() -> None:
    """A hand-made result whose envelopes are |k|^p e^{-r_j|k|}, floor 0: the measurement returns r_j, p."""
    setup = _setup(DECAY, fit_start=0.0)
    k = np.concatenate([-np.geomspace(0.1, 20, 50)[::-1], np.geomspace(0.1, 20, 50)])
    w = np.array([[[0.5, -0.8]], [[1.0, 0.25]]])  # (A, S, m)
    rates = np.pi / (2 * np.abs(w))
    envelope = np.abs(k)[None, None, None, :, None] ** np.array([0.0, 1.0, 1.5])[None, None, :, None, None] * np.exp(
        -rates[:, :, None, None, :] * np.abs(k)[None, None, None, :, None])
    zeros = np.zeros_like(envelope)
    result = spectrum.GradientSpectrumResult(
        seeds=(7,), activations=spectrum.ACTIVATIONS, a=np.ones_like(w), w=w, b=np.zeros_like(w),
        k=np.broadcast_to(k, (2, 1, k.size)).copy(), gradient=zeros, envelope=envelope, floor=zeros)
    table = spectrum.measure_decay(setup, result).table
    for index, activation in enumerate(spectrum.ACTIVATIONS):
        for name, power in zip(spectrum.PARAMETERS, (0.0, 1.0, 1.5), strict=True):
            rows = table[table["quantity"] == f"fitted_rate_{activation}_{name}"]
            assert list(rows["seed"]) == [7, 7] and list(rows["x"]) == [0.0, 1.0]
            np.testing.assert_allclose(rows["value"], rates[index, 0], rtol=1e-9)
            powers = table[table["quantity"] == f"fitted_power_{activation}_{name}"]["value"]
            np.testing.assert_allclose(powers, power, atol=1e-8)
            assert (table[table["quantity"] == f"fit_points_{activation}_{name}"]["value"] == k.size).all()
    starved = spectrum.measure_decay(replace(setup, fit_start=1e9), result).table
    assert starved[starved["quantity"].str.startswith("fitted_rate")]["value"].isna().all()


def test_same_seed_same_numbers() -> None:
    claim, setup = _claim(DECAY), _setup(DECAY, frequencies=60)
    first = claim.measure(setup, claim.experiment.run(setup, (1,))).table
    second = claim.measure(setup, claim.experiment.run(setup, (1,))).table
    pd.testing.assert_frame_equal(first, second)
    other = claim.measure(setup, claim.experiment.run(setup, (2,))).table
    assert not first["value"].equals(other["value"])


def test_norm_bound_rule_holds_and_fails() -> None:
    prediction = _claim(NORM).predict(_claim(NORM).setups["quick"], None)
    assert prediction.table["seed"].tolist() == [-1] and prediction.table["value"].tolist() == [1.0]
    steps = [0, 200, 400]

    def rows(ratios: list[float]):
        return lambda seed: [tidy(seed, "bound_over_target_before_lower_converged", ratios, x=steps)]

    assert hand_made_verdict(NORM, rows([0.3, 0.5, 0.9])) == "agree"
    assert hand_made_verdict(NORM, rows([4e6, 1e7, 1e9])) == "diverge"


def test_tiny_norm_bound_run_diverges_for_the_stated_reason() -> None:
    """Even a 2-layer net of width 24 has a weight bound above |ŷ(k)| = 1/2 at every evaluation."""
    run, verdict = _run(NORM, _setup(NORM))
    assert list(run.result.bound_steps) == [0, 50, 100, 150, 200]
    assert verdict.verdict == "diverge", verdict.explanation
    table, notes = run.measurement.table, run.measurement.notes
    assert table.query("quantity == 'bound_over_target'")["value"].min() > 1
    assert np.all(table.query("quantity == 'norm_product_ratio_final_initial'")["value"] > 0)
    assert "changed by a factor" in notes[0]
    assert len(_claim(NORM).figures(run)) == 2


def test_diverging_training_is_inconclusive() -> None:
    _, verdict = _run(NORM, _setup(NORM, steps=20, lr=100.0, optimizer="gd", snapshot_every=10, bound_every=10))
    assert verdict.verdict == "inconclusive" and "diverged" in verdict.explanation


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
