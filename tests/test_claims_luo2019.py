"""The luo2019 claims: each rule holds on the real quick-size run and fails where it should.

Failing measurements are real ones: the claims' own controls (a target whose energy sits below every η,
the Sobolev training loss, the uniform density) run on one seed, and a tanh network's tail read as a
ReLU one. The v1 defects are pinned: no rule reads a reconstructed bound (they hold by construction),
every η of a stage claim is a different split of the target, the relative quantities are 1 for a flow
without frequency bias, the regularity claim cites Xu 2018 for its rates and tests three powers. The
predictions are checked against `fpcheck.theory.stages` evaluated on the measured side's own numbers.
"""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
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

STAGES = ("luo2019.initial-stage", "luo2019.intermediate-stage", "luo2019.final-stage")
IDS = (*STAGES, "luo2019.regularity-exponent")
SETUP_TYPES = dict(zip(IDS, (sg.InitialStage, sg.HalvingStage, sg.FinalStage, sg.TailDecay), strict=True))


def replaced(measurement: Measurement, quantity: str, seed: int, values) -> Measurement:
    table = measurement.table.copy()
    rows = (table["quantity"] == quantity) & (table["seed"] == seed)
    table.loc[rows, "value"] = values
    return Measurement(table, measurement.summary, measurement.diverged_seeds, measurement.notes)


def values(table: pd.DataFrame, quantity: str, seed: int) -> np.ndarray:
    return table[(table["quantity"] == quantity) & (table["seed"] == seed)]["value"].to_numpy()


def control_run(claim_id: str, control: str, **changes):
    claim = claims()[claim_id]
    return claim, *run_claim(claim, claim.setup_for("quick", control).override(changes))


# --------------------------------------------------------------------------------------------- catalogue

@pytest.mark.parametrize("claim_id", IDS)
def test_registered_with_typed_setups_controls_and_the_reconstruction_caveat(claim_id):
    assert "luo2019" in SOURCES
    claim = claims()[claim_id]
    assert claim.version == 2 and claim.expected == "agree" and claim.controls and claim.uncontrolled is None
    assert "arXiv:1906.09235" in claim.source and "reconstructed" in claim.source
    assert any("our reconstruction" in note and "not available" in note for note in claim.notes)
    for control in claim.controls:
        assert control.expected == "diverge" and control.pilot_seeds and min(control.pilot_seeds) >= 1000
    for profile in ("quick", "paper"):
        setup = claim.setups[profile]
        assert type(setup) is SETUP_TYPES[claim_id] and setup.seeds >= 1
        assert setup.override(json.loads(json.dumps(setup.data()))) == setup  # the stored data rebuilds the setup
        for control in claim.controls:
            claim.setup_for(profile, control.name)  # every control is a valid setup in both profiles
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
        ("luo2019.initial-stage", {"sobolev_s": 2.0}, "only with loss"),
        ("luo2019.initial-stage", {"loss": "sobolev"}, "needs s > 0"),
        ("luo2019.initial-stage", {"loss": "sobolev", "sobolev_s": 40.0}, "exceeds"),
        ("luo2019.initial-stage", {"density": "laplace"}, "not one of"),
        ("luo2019.intermediate-stage", {"max_steps": 200_000}, "every residual is kept"),
        ("luo2019.final-stage", {"step_fraction": 0.0}, "must be positive"),
        ("luo2019.final-stage", {"evaluated_fraction": 1.5}, "exceeds the limit"),
        ("luo2019.regularity-exponent", {"power_high": 64.0}, "Nyquist/8"),
        ("luo2019.regularity-exponent", {"power_low": 9.0}, "below power_high"),
        ("luo2019.regularity-exponent", {"rate_floor": 1e-3}, "below rate_ceiling"),
    ],
)
def test_bad_setups_are_refused_before_anything_runs(claim_id, changes, message):
    with pytest.raises(SetupError, match=message):
        small(claim_id, **changes)


# ------------------------------------------------------------------------------------------ v1 defects

@pytest.mark.parametrize("claim_id", STAGES)
def test_no_rule_reads_a_reconstructed_bound_or_a_ratio_that_is_one_by_definition(claim_id):
    # v1 compared |dL⁺/dt| / |dL/dt| and ‖P⁺Δh‖ / ‖Δh‖ (≤ 1 for every Δh) with bounds I-III, which are
    # Cauchy–Schwarz and the triangle inequality on the same FFT: they are reported, never a rule
    claim = claims()[claim_id]
    read = {name for rule in (*claim.rules, *claim.fit) for side in rule.reads() for name in side}
    assert read and not any(name.endswith((".bound", ".ratio", "tail_norm_lower_bound")) for name in read)
    assert any(name.endswith("bound") for name in claim.predicted_quantities)  # still reported


@pytest.mark.parametrize("claim_id", STAGES)
@pytest.mark.parametrize("profile", ["quick", "paper"])
def test_every_eta_is_a_different_split_of_the_target(claim_id, profile):
    # v1: every η of the final stage lay between the same two target frequencies (one split tested 4×)
    setup = claims()[claim_id].setups[profile]
    edges = np.concatenate([[0.0], setup.etas, [np.inf]])
    frequencies = np.asarray(setup.target_frequencies)
    per_band = [int(np.sum((frequencies > low) & (frequencies <= high)))
                for low, high in zip(edges[:-1], edges[1:], strict=True)]
    assert per_band == [1] * (len(setup.etas) + 1)


def test_relative_quantities_are_one_without_frequency_bias_and_the_rules_fail_above():
    # ∂_t h = -c h (every frequency at the same rate): -dL⁺/dt = 2c L⁺, so the relative rate is exactly 1;
    # Δh = -c h_0: the relative change is exactly 1. One percent more in the high band fails the rule.
    claim, setup = small("luo2019.initial-stage", seeds=1)
    shares = np.array([0.5, 0.3, 0.2, 0.1, 0.05])
    result = sg.InitialStageResult(seeds=(0,), activations=sg.ACTIVATIONS, high_rates=np.tile(2.0 * shares, (3, 1, 1)),
                                   high_share=np.tile(shares, (3, 1, 1)), loss_rate=np.full((3, 1), 2.0),
                                   g_s=np.ones((3, 1)), loss=np.ones((3, 1)), flow_norm=np.ones((3, 1)))
    measurement = sg.measure_initial(setup, result)
    np.testing.assert_allclose(values(measurement.table, "tanh.relative_rate", 0), 1.0, rtol=1e-15)
    prediction = sg.predict_initial(setup, result)
    assert reconcile(claim, prediction, measurement, (0,)).verdict == "agree"
    faster = replaced(measurement, "relu.relative_rate", 0, 1.01)
    assert reconcile(claim, prediction, faster, (0,)).verdict == "diverge"
    h0 = sg.sine_target(setup.grid.x, setup.target_frequencies, setup.target_amplitudes) * setup.grid.sqrt_density
    change = br.change_tail_ratios(h0, 0.7 * h0, setup.grid.spacing, setup.etas)
    np.testing.assert_allclose(change / stages.relative_tail_norms(h0, setup.grid.spacing, setup.etas), 1.0,
                               rtol=1e-12)


def test_the_regularity_claim_cites_xu_2018_and_tests_the_power_law_form_at_three_regularities():
    claim = claims()["luo2019.regularity-exponent"]
    assert "arXiv:1808.04295" in claim.source  # the exponential rates are Xu 2018's (v1 cited Luo et al.)
    read = {rule.reads()[0][0] for rule in claim.rules}
    assert {"relu.tail_exponent", "relu2.tail_exponent", "relu3.tail_exponent"} <= read
    assert [stages.predicted_power_exponent(name) for name in ("relu", "relu2", "relu3")] == [-0.5, -1.5, -2.5]


# ------------------------------------------------------------------------------------------ initial stage

@pytest.fixture(scope="module")
def initial_run():
    claim, setup = small("luo2019.initial-stage", seeds=1)
    return claim, *run_claim(claim, setup)


def test_initial_stage_holds_and_bound_one_is_reported_with_the_measured_constants(initial_run):
    claim, run, verdict = initial_run
    assert verdict.verdict == "agree", verdict.explanation
    assert not missing_quantities(claim, run.prediction, run.measurement)
    assert all(isinstance(figure, Figure) for figure in claim.figures(run))
    etas, measured, predicted = np.asarray(run.setup.etas), run.measurement.table, run.prediction.table
    for activation in sg.ACTIVATIONS:
        s = 1.0 if activation != "relu" else 0.5 - run.setup.relu_epsilon
        g_s, loss, flow = (values(measured, f"{activation}.{name}", 0)[0] for name in ("G_s", "loss", "flow_norm"))
        expected = (1 + etas**2) ** (-s / 2) * g_s * np.sqrt(2 * loss) / flow  # MSE: ‖∇L_train‖ = ‖∇L‖
        bound = values(predicted, f"{activation}.bound", 0)
        np.testing.assert_allclose(bound, expected, rtol=1e-12)
        assert np.all(values(measured, f"{activation}.ratio", 0) <= bound)  # holds by construction
        assert values(measured, f"{activation}.loss_decrease", 0)[0] == pytest.approx(flow**2, rel=1e-12)


def test_initial_stage_fails_on_a_target_below_every_eta():
    claim, run, verdict = control_run("luo2019.initial-stage", "smooth-target", seeds=1)
    assert verdict.verdict == "diverge", verdict.explanation
    assert max(values(run.measurement.table, "logistic.relative_rate", 0)) > 1


# ------------------------------------------------------------------------------------- intermediate stage

@pytest.fixture(scope="module")
def intermediate_run():
    claim, setup = small("luo2019.intermediate-stage", seeds=1)
    return claim, *run_claim(claim, setup)


def test_intermediate_stage_holds_and_bound_two_is_reported(intermediate_run):
    claim, run, verdict = intermediate_run
    assert verdict.verdict == "agree", verdict.explanation
    assert not missing_quantities(claim, run.prediction, run.measurement)
    assert claim.figures(run)
    etas, measured = np.asarray(run.setup.etas), run.measurement.table
    for activation in sg.ACTIVATIONS:
        assert values(measured, f"{activation}.dissipation_over_initial_loss", 0)[0] < 1  # no GD correction
        s = 1.0 if activation != "relu" else 0.5 - run.setup.relu_epsilon
        sup_g, time = (values(measured, f"{activation}.{name}", 0)[0] for name in ("sup_G_s", "halving_time"))
        expected = (1 + etas**2) ** (-s / 2) * sup_g * np.sqrt(time) * (np.sqrt(2) + 1)
        np.testing.assert_allclose(values(run.prediction.table, f"{activation}.bound", 0), expected, rtol=1e-12)
        relative = values(measured, f"{activation}.ratio", 0) / values(measured, f"{activation}.initial_share", 0)
        np.testing.assert_allclose(values(measured, f"{activation}.relative_change", 0), relative, rtol=1e-15)


def test_intermediate_stage_fails_on_a_target_below_every_eta():
    _, _, verdict = control_run("luo2019.intermediate-stage", "smooth-target", seeds=1)
    assert verdict.verdict == "diverge", verdict.explanation


def test_a_loss_that_never_halves_is_a_missed_fit_criterion_not_an_error():
    claim, setup = small("luo2019.intermediate-stage", seeds=1, max_steps=1)
    run, verdict = run_claim(claim, setup)
    assert verdict.verdict == "inconclusive" and "fit criterion" in verdict.explanation
    assert 0.0 in {values(run.measurement.table, f"{name}.halved", 0)[0] for name in sg.ACTIVATIONS}


# ------------------------------------------------------------------------------------------- final stage

def test_final_stage_holds_after_training():
    claim, setup = small("luo2019.final-stage", seeds=1)
    run, verdict = run_claim(claim, setup)
    assert verdict.verdict == "agree", verdict.explanation
    assert verdict.null_pass_probability == pytest.approx(6 / 720)  # ρ ≥ 0.9 over six bands: D ≤ 2
    assert not missing_quantities(claim, run.prediction, run.measurement)
    assert len(claim.figures(run)) == 2
    high, low = run.result.high[0, 0], run.result.low[0, 0]  # the band losses add up to the two bands' losses
    bands = sg.band_losses(high[-1], low[-1])
    assert bands.sum() == pytest.approx(high[-1, 0] + low[-1, 0], rel=1e-12)


def test_final_stage_fails_under_the_sobolev_loss_and_is_not_reached_after_a_few_steps():
    _, run, verdict = control_run("luo2019.final-stage", "sobolev-loss", seeds=1, steps=300)
    assert verdict.verdict == "diverge", verdict.explanation
    assert max(values(run.measurement.table, "relu.high_over_low", 0)) < 1
    claim, setup = small("luo2019.final-stage", seeds=1, steps=20)
    _, early = run_claim(claim, setup)
    assert early.verdict == "inconclusive" and "fit criterion" in early.explanation


def test_final_stage_reports_diverged_training_as_inconclusive():
    claim, setup = small("luo2019.final-stage", seeds=1, step_fraction=6.0, steps=100)  # lr beyond 2/λ_max
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
        if activation in stages.EXPONENTIAL_ACTIVATIONS:
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
    for m, seed in enumerate(run.seeds):
        swapped = replaced(swapped, "tanh.tail_rate", seed, values(table, "logistic.tail_rate", seed)[0])
        # the tanh network's tail fitted as a power law over the power window: exponential, far steeper
        tails = result.tails[tanh, m]
        steep = sg.fit_power_exponent(result.etas, np.maximum(tails, 1e-300), run.setup.power_low, 2.0)
        swapped = replaced(swapped, "relu.tail_exponent", seed, steep)
    verdict = reconcile(claim, run.prediction, swapped, run.seeds)
    assert verdict.verdict == "diverge", verdict.explanation
    assert all(len(seed_verdict.details) == 5 for seed_verdict in verdict.per_seed)


def test_regularity_exponent_fails_on_the_uniform_density():
    _, run, verdict = control_run("luo2019.regularity-exponent", "uniform-density", seeds=1)
    assert verdict.verdict == "diverge", verdict.explanation
    for name in stages.RELU_POWERS:  # every power is the jump's -½, whatever the activation
        assert values(run.measurement.table, f"{name}.tail_exponent", 0)[0] == pytest.approx(-0.5, abs=0.05)


def test_tables_are_tidy(initial_run, regularity_run):
    for _, run, _ in (initial_run, regularity_run):
        for table in (run.prediction.table, run.measurement.table):
            assert list(table.columns) == ["seed", "quantity", "x", "value"]
            assert isinstance(table, pd.DataFrame) and not table.empty
