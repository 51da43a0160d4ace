"""The luo2019 claims: each rule holds on the real quick-size measurement and fails where it should.

Failing measurements are real ones with one physical change: the low band in place of the high band
(its share of the loss decrease rises with η), a run stopped after five steps (the final stage is not
reached, both bands have barely moved), a tanh prediction against a logistic network (the rate is
twice as large) and a ReLU prediction against a tanh network's tail (exponential, not η^(-1/2)).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from matplotlib.figure import Figure

from reports.catalogue import claims
from reports.claim import Measurement
from reports.claims import SOURCES
from reports.claims import luo2019 as luo
from reports.reconcile import reconcile
from theory import stages

IDS = ("luo2019.initial-stage", "luo2019.intermediate-stage", "luo2019.final-stage", "luo2019.regularity-exponent")


@pytest.fixture(scope="module")
def catalogue():
    return claims()


def run(claim, seeds, **overrides):
    params = {**claim.setup["quick"], **overrides}
    prediction, measurement = claim.predict(params, seeds), claim.measure(params, seeds)
    return params, prediction, measurement


def replaced(measurement: Measurement, quantity: str, seed: int, values) -> Measurement:
    table = measurement.table.copy()
    rows = (table["quantity"] == quantity) & (table["seed"] == seed)
    table.loc[rows, "value"] = values
    return Measurement(table, measurement.summary, measurement.diverged_seeds, measurement.notes)


# --------------------------------------------------------------------------------------------- catalogue

def test_claims_are_registered_with_the_reconstruction_caveat(catalogue):
    assert "luo2019" in SOURCES
    for claim_id in IDS:
        claim = catalogue[claim_id]
        assert claim.version == 1 and claim.expected == "agree"
        assert "arXiv:1906.09235" in claim.source and "reconstructed" in claim.source
        assert any("our reconstruction" in note and "not available" in note for note in claim.notes)
        assert set(claim.setup) == {"quick", "paper"}
        for params in claim.setup.values():
            assert int(params["seeds"]) >= 1
            assert all(isinstance(value, int | float | str | bool | list) for value in params.values())


# ------------------------------------------------------------------------------------------ initial stage

@pytest.fixture(scope="module")
def initial_run(catalogue):
    return catalogue["luo2019.initial-stage"], *run(catalogue["luo2019.initial-stage"], [0, 1])


def test_initial_stage_holds(initial_run):
    claim, params, prediction, measurement = initial_run
    verdict = reconcile(claim, prediction, measurement, [0, 1])
    assert verdict.verdict == "agree", verdict.explanation
    assert all(isinstance(figure, Figure) for figure in claim.figures(prediction, measurement, params))


def test_initial_stage_fails_on_the_low_band(initial_run):
    # |dL⁻_η/dt| / |dL/dt| with L⁻ = L - L⁺: the low band carries almost all the decrease, rising with η
    claim, params, prediction, measurement = initial_run
    etas = np.asarray(params["etas"], dtype=float)
    for activation in luo.ACTIVATIONS:
        problem = luo._problem(params, activation)
        for seed in (0, 1):
            theta = luo._initial_parameters(params, problem.network, seed)
            gradient = problem.gradient(theta)
            low = []
            for eta in etas:
                point = theta.clone().requires_grad_(True)
                (low_gradient,) = torch.autograd.grad(problem.loss(point) - problem.high_band_loss(point, eta), point)
                low.append(abs(float(low_gradient @ gradient)) / float(gradient @ gradient))
            measurement = replaced(measurement, f"{activation}.ratio", seed, low)
            measurement = replaced(measurement, f"{activation}.ratio_log_slope", seed,
                                   stages.log_linear_slope(etas, np.array(low)))
    verdict = reconcile(claim, prediction, measurement, [0, 1])
    assert verdict.verdict == "diverge", verdict.explanation
    assert verdict.margin < 0


# ------------------------------------------------------------------------------------- intermediate stage

@pytest.fixture(scope="module")
def intermediate_run(catalogue):
    return catalogue["luo2019.intermediate-stage"], *run(catalogue["luo2019.intermediate-stage"], [0])


def test_intermediate_stage_holds(intermediate_run):
    claim, params, prediction, measurement = intermediate_run
    verdict = reconcile(claim, prediction, measurement, [0])
    assert verdict.verdict == "agree", verdict.explanation
    dissipation = measurement.table[measurement.table["quantity"].str.endswith("dissipation_over_initial_loss")]
    assert (dissipation["value"] < 1).all()  # the gradient-flow bound carries over without correction
    assert claim.figures(prediction, measurement, params)


def test_intermediate_stage_fails_on_the_low_band(intermediate_run):
    # ‖P⁻_η Δh‖ / ‖Δh‖ = √(1 - ratio²) grows with η: the non-increase rule must fail
    claim, params, prediction, measurement = intermediate_run
    table = measurement.table
    for activation in luo.ACTIVATIONS:
        rows = table[(table["quantity"] == f"{activation}.ratio") & (table["seed"] == 0)]
        low = np.sqrt(1.0 - rows["value"].to_numpy() ** 2)
        measurement = replaced(measurement, f"{activation}.ratio", 0, low)
        measurement = replaced(measurement, f"{activation}.ratio_largest_rise", 0, luo._largest_relative_rise(low))
    verdict = reconcile(claim, prediction, measurement, [0])
    assert verdict.verdict == "diverge", verdict.explanation


def test_intermediate_stage_raises_when_the_loss_never_halves(catalogue):
    claim = catalogue["luo2019.intermediate-stage"]
    with pytest.raises(ValueError, match="never fell to L\\(0\\)/2"):
        claim.predict({**claim.setup["quick"], "max_steps": 2}, [0])


# ------------------------------------------------------------------------------------------- final stage

def test_final_stage_holds_after_training_and_fails_before_the_final_stage(catalogue):
    claim = catalogue["luo2019.final-stage"]
    params, prediction, measurement = run(claim, [0])
    verdict = reconcile(claim, prediction, measurement, [0])
    assert verdict.verdict == "agree", verdict.explanation
    figures = claim.figures(prediction, measurement, params)
    assert len(figures) == 2
    # five steps: both bands have barely moved, the high band is not "fitted last" by a factor 10
    _, early_prediction, early = run(claim, [0], steps=5)
    verdict = reconcile(claim, early_prediction, early, [0])
    assert verdict.verdict == "diverge", verdict.explanation


def test_final_stage_reports_diverged_training_as_inconclusive(catalogue):
    claim = catalogue["luo2019.final-stage"]
    _, prediction, measurement = run(claim, [0], step_fraction=6.0, steps=200)  # lr beyond 2/λ_max
    assert measurement.diverged_seeds == (0,)
    assert reconcile(claim, prediction, measurement, [0]).verdict == "inconclusive"


# ---------------------------------------------------------------------------------------- regularity

@pytest.fixture(scope="module")
def regularity_run(catalogue):
    return catalogue["luo2019.regularity-exponent"], *run(catalogue["luo2019.regularity-exponent"], [0, 1])


def test_regularity_exponent_holds(regularity_run):
    claim, params, prediction, measurement = regularity_run
    verdict = reconcile(claim, prediction, measurement, [0, 1])
    assert verdict.verdict == "agree", verdict.explanation
    assert claim.figures(prediction, measurement, params)


def test_regularity_exponent_fails_on_the_wrong_activation(regularity_run):
    claim, params, prediction, measurement = regularity_run
    table = measurement.table
    swapped = measurement
    for seed in (0, 1):
        logistic_rate = table[(table["quantity"] == "logistic.tail_rate") & (table["seed"] == seed)]["value"]
        swapped = replaced(swapped, "tanh.tail_rate", seed, float(logistic_rate.iloc[0]))
        # the tanh network's tail fitted as a power law over the ReLU window: exponential, far steeper
        grid = luo._grid(params)
        problem = luo._problem(params, "tanh")
        tails = problem.velocity_tail_norms(luo._initial_parameters(params, problem.network, seed),
                                            grid.resolved_etas())
        low, high = params["relu_window"]
        steep = stages.fit_power_exponent(grid.resolved_etas(), np.maximum(tails, 1e-300), low, min(high, 2.0))
        swapped = replaced(swapped, "relu.tail_exponent", seed, steep)
    verdict = reconcile(claim, prediction, swapped, [0, 1])
    assert verdict.verdict == "diverge", verdict.explanation
    assert all(len(seed_verdict.details) == 3 for seed_verdict in verdict.per_seed)


def test_tables_are_tidy(initial_run, regularity_run):
    for _, _, prediction, measurement in (initial_run, regularity_run):
        for table in (prediction.table, measurement.table):
            assert list(table.columns) == ["seed", "quantity", "x", "value"]
            assert isinstance(table, pd.DataFrame) and not table.empty
