"""The luo2019 claims: each rule holds on the real quick-size run and fails where it should.

Failing measurements are real ones with one physical change: the low band in place of the high band
(its share of the loss decrease rises with η), a run stopped after five steps (the final stage is not
reached, both bands have barely moved), a tanh prediction against a logistic network (the rate is
twice as large) and a ReLU prediction against a tanh network's tail (exponential, not η^(-1/2)). The
predictions are checked against `fpcheck.theory.stages` evaluated on the measured side's own numbers.
"""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import torch
from claim_checks import run_claim, small
from matplotlib.figure import Figure

from fpcheck.empirics import band_ratios as br
from fpcheck.empirics import stage_grid as sg
from fpcheck.errors import SetupError
from fpcheck.reports.catalogue import claims
from fpcheck.reports.claims import SOURCES
from fpcheck.reports.reconcile import missing_quantities, reconcile
from fpcheck.tables import Measurement
from fpcheck.theory import stages

IDS = ("luo2019.initial-stage", "luo2019.intermediate-stage", "luo2019.final-stage", "luo2019.regularity-exponent")
SETUP_TYPES = dict(zip(IDS, (sg.InitialStage, sg.HalvingStage, sg.FinalStage, sg.TailDecay), strict=True))


def replaced(measurement: Measurement, quantity: str, seed: int, values) -> Measurement:
    table = measurement.table.copy()
    rows = (table["quantity"] == quantity) & (table["seed"] == seed)
    table.loc[rows, "value"] = values
    return Measurement(table, measurement.summary, measurement.diverged_seeds, measurement.notes)


def values(table: pd.DataFrame, quantity: str, seed: int) -> np.ndarray:
    return table[(table["quantity"] == quantity) & (table["seed"] == seed)]["value"].to_numpy()


# --------------------------------------------------------------------------------------------- catalogue

@pytest.mark.parametrize("claim_id", IDS)
def test_registered_with_typed_setups_and_the_reconstruction_caveat(claim_id):
    assert "luo2019" in SOURCES
    claim = claims()[claim_id]
    assert claim.version == 1 and claim.expected == "agree" and claim.controls == ()
    assert "arXiv:1906.09235" in claim.source and "reconstructed" in claim.source
    assert any("our reconstruction" in note and "not available" in note for note in claim.notes)
    for profile in ("quick", "paper"):
        setup = claim.setups[profile]
        assert type(setup) is SETUP_TYPES[claim_id] and setup.seeds >= 1
        assert setup.override(json.loads(json.dumps(setup.data()))) == setup  # the stored data rebuilds the setup
    assert claim.setups["paper"].seeds > claim.setups["quick"].seeds


def test_claim_modules_import_without_torch():
    code = ("import sys, fpcheck.reports.claims.luo2019, fpcheck.reports.figures.stage_grid\n"
            "print('torch' in sys.modules)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd="/")
    assert done.stdout.strip() == "False", done.stderr


@pytest.mark.parametrize(
    ("claim_id", "changes", "message"),
    [
        ("luo2019.initial-stage", {"half_width": 10.0}, "too narrow"),
        ("luo2019.initial-stage", {"etas": [0.5, 0.25]}, "increase strictly"),
        ("luo2019.initial-stage", {"etas": [0.25, 9.0]}, "Nyquist"),
        ("luo2019.initial-stage", {"relu_epsilon": 0.5}, "ReLU regularity"),
        ("luo2019.initial-stage", {"target_amplitudes": [1.0]}, "one amplitude per frequency"),
        ("luo2019.intermediate-stage", {"max_steps": 200_000}, "every residual is kept"),
        ("luo2019.final-stage", {"step_fraction": 0.0}, "must be positive"),
        ("luo2019.regularity-exponent", {"relu_window": [1.0, 64.0]}, "Nyquist/8"),
        ("luo2019.regularity-exponent", {"rate_floor": 1e-3}, "below rate_ceiling"),
    ],
)
def test_bad_setups_are_refused_before_anything_runs(claim_id, changes, message):
    with pytest.raises(SetupError, match=message):
        small(claim_id, **changes)


# ------------------------------------------------------------------------------------------ initial stage

@pytest.fixture(scope="module")
def initial_run():
    claim, setup = small("luo2019.initial-stage", seeds=2)
    return claim, *run_claim(claim, setup)


def test_initial_stage_holds(initial_run):
    claim, run, verdict = initial_run
    assert verdict.verdict == "agree", verdict.explanation
    assert not missing_quantities(claim, run.prediction, run.measurement)
    assert all(isinstance(figure, Figure) for figure in claim.figures(run))


def test_initial_bound_is_bound_one_of_the_measured_constants(initial_run):
    # the prediction is (1 + η²)^(-s/2) G_s √(2L) / ‖∇L‖, with the constants the measurement reports
    _, run, _ = initial_run
    etas, measured, predicted = np.asarray(run.setup.etas), run.measurement.table, run.prediction.table
    for activation in sg.ACTIVATIONS:
        s = 1.0 if activation != "relu" else 0.5 - run.setup.relu_epsilon
        for seed in run.seeds:
            g_s, loss, grad_norm = (values(measured, f"{activation}.{name}", seed)[0]
                                    for name in ("G_s", "loss", "grad_norm"))
            expected = (1 + etas**2) ** (-s / 2) * g_s * np.sqrt(2 * loss) / grad_norm
            np.testing.assert_allclose(values(predicted, f"{activation}.bound", seed), expected, rtol=1e-12)


def test_initial_stage_fails_on_the_low_band(initial_run):
    # |dL⁻_η/dt| / |dL/dt| with L⁻ = L - L⁺: the low band carries almost all the decrease, rising with η
    claim, run, _ = initial_run
    etas, measurement = np.asarray(run.setup.etas), run.measurement
    for activation in sg.ACTIVATIONS:
        problem = br.stage_problem(run.setup, activation)
        for seed in run.seeds:
            theta = br.initial_parameters(run.setup, problem.network, seed)
            gradient = problem.gradient(theta)
            low = []
            for eta in etas:
                point = theta.clone().requires_grad_(True)
                (low_gradient,) = torch.autograd.grad(problem.loss(point) - problem.high_band_loss(point, eta), point)
                low.append(abs(float(low_gradient @ gradient)) / float(gradient @ gradient))
            measurement = replaced(measurement, f"{activation}.ratio", seed, low)
            measurement = replaced(measurement, f"{activation}.ratio_log_slope", seed,
                                   stages.log_linear_slope(etas, np.array(low)))
    verdict = reconcile(claim, run.prediction, measurement, run.seeds)
    assert verdict.verdict == "diverge", verdict.explanation
    assert verdict.margin < 0


# ------------------------------------------------------------------------------------- intermediate stage

@pytest.fixture(scope="module")
def intermediate_run():
    claim, setup = small("luo2019.intermediate-stage", seeds=1)
    return claim, *run_claim(claim, setup)


def test_intermediate_stage_holds(intermediate_run):
    claim, run, verdict = intermediate_run
    assert verdict.verdict == "agree", verdict.explanation
    assert not missing_quantities(claim, run.prediction, run.measurement)
    table = run.measurement.table
    dissipation = table[table["quantity"].str.endswith("dissipation_over_initial_loss")]
    assert (dissipation["value"] < 1).all()  # the gradient-flow bound carries over without correction
    assert claim.figures(run)


def test_intermediate_bound_is_bound_two_of_the_measured_constants(intermediate_run):
    _, run, _ = intermediate_run
    etas, measured = np.asarray(run.setup.etas), run.measurement.table
    for activation in sg.ACTIVATIONS:
        s = 1.0 if activation != "relu" else 0.5 - run.setup.relu_epsilon
        sup_g, time = (values(measured, f"{activation}.{name}", 0)[0] for name in ("sup_G_s", "halving_time"))
        expected = (1 + etas**2) ** (-s / 2) * sup_g * np.sqrt(time) * (np.sqrt(2) + 1)  # dissipation < L(0)
        np.testing.assert_allclose(values(run.prediction.table, f"{activation}.bound", 0), expected, rtol=1e-12)


def test_intermediate_stage_fails_on_the_low_band(intermediate_run):
    # ‖P⁻_η Δh‖ / ‖Δh‖ = √(1 - ratio²) grows with η: the non-increase rule must fail
    claim, run, _ = intermediate_run
    measurement = run.measurement
    for activation in sg.ACTIVATIONS:
        low = np.sqrt(1.0 - values(measurement.table, f"{activation}.ratio", 0) ** 2)
        measurement = replaced(measurement, f"{activation}.ratio", 0, low)
        measurement = replaced(measurement, f"{activation}.ratio_largest_rise", 0, sg.largest_relative_rise(low))
    verdict = reconcile(claim, run.prediction, measurement, run.seeds)
    assert verdict.verdict == "diverge", verdict.explanation


def test_intermediate_stage_raises_when_the_loss_never_halves():
    claim, setup = small("luo2019.intermediate-stage", seeds=1, max_steps=2)
    with pytest.raises(ValueError, match="never fell to L\\(0\\)/2"):
        claim.experiment.run(setup, (0,))


# ------------------------------------------------------------------------------------------- final stage

def test_final_stage_holds_after_training_and_fails_before_the_final_stage():
    claim, setup = small("luo2019.final-stage", seeds=1)
    run, verdict = run_claim(claim, setup)
    assert verdict.verdict == "agree", verdict.explanation
    assert not missing_quantities(claim, run.prediction, run.measurement)
    assert len(claim.figures(run)) == 2
    # five steps: both bands have barely moved, the high band is not "fitted last" by a factor 10
    _, early = run_claim(claim, setup.override({"steps": 5}))
    assert early.verdict == "diverge", early.explanation


def test_final_stage_reports_diverged_training_as_inconclusive():
    claim, setup = small("luo2019.final-stage", seeds=1, step_fraction=6.0, steps=200)  # lr beyond 2/λ_max
    run, verdict = run_claim(claim, setup)
    assert run.measurement.diverged_seeds == (0,)
    assert verdict.verdict == "inconclusive"
    assert np.isnan(run.result.high[run.result.diverged]).any()  # the steps after the divergence are NaN


# ---------------------------------------------------------------------------------------- regularity

@pytest.fixture(scope="module")
def regularity_run():
    claim, setup = small("luo2019.regularity-exponent", seeds=2)
    return claim, *run_claim(claim, setup)


def test_regularity_exponent_holds(regularity_run):
    claim, run, verdict = regularity_run
    assert verdict.verdict == "agree", verdict.explanation
    assert not missing_quantities(claim, run.prediction, run.measurement)
    assert claim.figures(run)
    for a, activation in enumerate(run.result.activations):  # the predicted rate is the pole's, from max|w|
        if activation != "relu":
            rate = values(run.prediction.table, f"{activation}.predicted_rate", 0)[0]
            network = br.FlatShallowNetwork(run.setup.width, activation)
            _, w, _ = network.unpack(br.initial_parameters(run.setup, network, 0))
            weight = float(w.abs().max())
            assert rate == pytest.approx((np.pi**2 if activation == "tanh" else 2 * np.pi**2) / weight, rel=1e-12)
            assert run.result.max_abs_weight[a, 0] == weight


def test_regularity_exponent_fails_on_the_wrong_activation(regularity_run):
    claim, run, _ = regularity_run
    table, swapped, result = run.measurement.table, run.measurement, run.result
    tanh = result.activations.index("tanh")
    low, high = run.setup.relu_window
    for m, seed in enumerate(run.seeds):
        swapped = replaced(swapped, "tanh.tail_rate", seed, values(table, "logistic.tail_rate", seed)[0])
        # the tanh network's tail fitted as a power law over the ReLU window: exponential, far steeper
        tails = result.tails[tanh, m]
        steep = stages.fit_power_exponent(result.etas, np.maximum(tails, 1e-300), low, min(high, 2.0))
        swapped = replaced(swapped, "relu.tail_exponent", seed, steep)
    verdict = reconcile(claim, run.prediction, swapped, run.seeds)
    assert verdict.verdict == "diverge", verdict.explanation
    assert all(len(seed_verdict.details) == 3 for seed_verdict in verdict.per_seed)


def test_tables_are_tidy(initial_run, regularity_run):
    for _, run, _ in (initial_run, regularity_run):
        for table in (run.prediction.table, run.measurement.table):
            assert list(table.columns) == ["seed", "quantity", "x", "value"]
            assert isinstance(table, pd.DataFrame) and not table.empty
