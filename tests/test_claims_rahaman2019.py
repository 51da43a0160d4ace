"""The rahaman2019 claims at a tiny size: each rule holds where it should and fails where it should.

The spectrum claims measure from the networks' samples alone (a test swaps the layers under the samples
and gets the same measurement) and are compared with the closed form as an independent oracle. Failing
measurements are real ones with one physical change: the claims' own controls (an activation with a
jump: k^-1, above the kink bound; a large jump: above the weight bound), a sine of amplitude 1e-3 added
to the samples (not piecewise linear: its coefficient escapes the k^-2 bound), the samples scaled by 1e4
after the bound was computed, a network that did not train (undetermined). The depth claim holds for
sawtooth networks (w^D pieces, its control) and fails on the real initialised networks. The training
claims (Figs. 1, 2, §5) are tested in test_claims_rahaman2019_training.py.
"""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest
from claim_checks import run_claim, small
from matplotlib.figure import Figure

from fpcheck.empirics import ramp_spectrum
from fpcheck.empirics import spectrum_networks as nets
from fpcheck.empirics.sine_fit import PerturbedSineFit, SineFit
from fpcheck.errors import SetupError
from fpcheck.reports.catalogue import claims
from fpcheck.reports.claims import SOURCES
from fpcheck.reports.reconcile import reconcile
from fpcheck.reports.sensitivity import verdict_at
from fpcheck.tables import Measurement, concat
from fpcheck.theory import relu_spectrum

SEEDS = (0, 1)
TINY_NETWORKS = {"seeds": 2, "depth": 2, "width": 16, "train_steps": 300, "lr": 1e-2, "train_points": 64,
                 "target_frequencies": (1, 2), "target_amplitudes": (1.0, 0.5), "k_dense": 64, "k_max": 10000,
                 "fft_points": 1 << 15, "bound_k_max": 2048}
TINY_DECAY = {**TINY_NETWORKS, "fit_k_min": 128, "fit_k_max": 2048, "aliasing_points": (64, 256, 1024),
              "aliasing_k": (1, 4)}
TINY_REGIONS = {"seeds": 2, "neurons": 12, "depths": (1, 2, 3), "networks_per_depth": 3, "train_steps": 40,
                "lr": 1e-2, "train_points": 64, "target_frequencies": (1, 3), "target_amplitudes": (1.0, 0.5)}
SETUP_TYPES = {"rahaman2019.relu-decay-k2": nets.DecaySpectrum, "rahaman2019.weight-bound": nets.SpectrumNetworks,
               "rahaman2019.regions-depth-width": nets.RegionCount, "rahaman2019.fig1-equal-amplitudes": SineFit,
               "rahaman2019.fig2-increasing-amplitudes": SineFit, "rahaman2019.robustness": PerturbedSineFit}
SPECTRUM_CLAIMS = {"rahaman2019.relu-decay-k2": "activation-step", "rahaman2019.weight-bound": "activation-step",
                   "rahaman2019.regions-depth-width": "sawtooth"}


def tiny_run(claim_id: str, variant: str | None = None, **changes):
    claim, setup = small(claim_id, **changes)
    if variant is not None:
        setup = setup.override(claim.control(variant).changes)
    run, verdict = run_claim(claim, setup, SEEDS)
    return claim, run, verdict


@pytest.fixture(scope="module")
def decay_run():
    return tiny_run("rahaman2019.relu-decay-k2", **TINY_DECAY)


@pytest.fixture(scope="module")
def weight_run():
    return tiny_run("rahaman2019.weight-bound", **TINY_NETWORKS)


def remeasure(claim, run, result):
    """The claim's verdict and measurement on a changed experiment result (prediction from the same result)."""
    measurement = claim.measure(run.setup, result)
    return reconcile(claim, claim.predict(run.setup, result), measurement, SEEDS), measurement


def rows(table: pd.DataFrame, quantity: str) -> pd.DataFrame:
    return table[table["quantity"] == quantity].reset_index(drop=True)


# ---------------------------------------------------------------------------------------------- catalogue


@pytest.mark.parametrize("claim_id", sorted(SETUP_TYPES))
def test_the_claims_are_registered_with_typed_setups(claim_id):
    assert "rahaman2019" in SOURCES
    claim = claims()[claim_id]
    assert "arXiv:1806.08734" in claim.source
    for profile in ("quick", "paper"):
        setup = claim.setups[profile]
        assert type(setup) is SETUP_TYPES[claim_id]
        assert setup.override(json.loads(json.dumps(setup.data()))) == setup
    assert claim.expected == ("diverge" if claim_id == "rahaman2019.regions-depth-width" else "agree")


@pytest.mark.parametrize("claim_id", sorted(SPECTRUM_CLAIMS))
def test_the_spectrum_claims_have_controls_chosen_on_other_seeds(claim_id):
    claim = claims()[claim_id]
    assert claim.version == 2 and claim.sensitivity and not claim.uncontrolled
    (control,) = claim.controls
    assert control.name == SPECTRUM_CLAIMS[claim_id] and control.expected != claim.expected
    for profile in ("quick", "paper"):
        assert not set(control.pilot_seeds) & set(range(claim.setups[profile].seeds))
    if claim_id != "rahaman2019.regions-depth-width":
        assert control.pilot_seeds and [rule.measured for rule in claim.fit] == ["relative_train_loss"]
    for rule in claim.rules:  # every rule compares a measured quantity with a predicted one
        measured, predicted = rule.reads()
        assert set(measured) <= set(claim.measured_quantities) and set(predicted) <= set(claim.predicted_quantities)


def test_paper_setups_are_the_published_sizes():
    catalogue = claims()
    assert catalogue["rahaman2019.fig1-equal-amplitudes"].setups["paper"].hidden == (256,) * 5  # 6 linear layers
    assert catalogue["rahaman2019.fig1-equal-amplitudes"].setups["paper"].frequencies == tuple(range(5, 55, 5))
    assert catalogue["rahaman2019.fig2-increasing-amplitudes"].setups["paper"].amplitudes[-1] == 1.0
    paper = catalogue["rahaman2019.weight-bound"].setups["paper"]
    assert (paper.depth, paper.width, paper.seeds) == (6, 256, 10)
    quick = catalogue["rahaman2019.fig1-equal-amplitudes"].setups["quick"]
    assert (quick.activation, quick.init, quick.random_phase, quick.interval) == ("relu", "uniform", True, (0.0, 1.0))


# ---------------------------------------------------------------------------------------------- relu-decay-k2


def test_decay_claim_holds_on_real_networks(decay_run):
    claim, run, verdict = decay_run
    assert verdict.verdict == "agree", verdict.explanation
    table = run.measurement.table
    slopes = table[table["quantity"].str.match(r"slope_(random|trained)$")]
    assert len(slopes) == 4 and np.all(np.abs(slopes["value"] + 2) < 0.1)
    assert np.all(rows(table, "looseness_worst_trained")["value"] >= 1.0)
    figures = claim.figures(run)
    assert len(figures) == 2 and all(isinstance(figure, Figure) for figure in figures)
    assert np.all(np.isfinite(run.prediction.table["value"]))


def test_the_measurement_reads_the_samples_alone(decay_run):
    """Swapping the layers under the samples (random ↔ trained) changes the bounds but not one measured value."""
    claim, run, _ = decay_run
    swapped = dataclasses.replace(run.result, random=run.result.trained, trained=run.result.random)
    measured = claim.measure(run.setup, swapped).table
    for quantity in ("abs_boundary_free_random", "abs_boundary_free_trained", "slope_random", "slope_trained",
                     "relative_train_loss"):
        pd.testing.assert_frame_equal(rows(measured, quantity), rows(run.measurement.table, quantity))
    bounds = claim.predict(run.setup, swapped).table
    before = rows(run.prediction.table, "kink_bound_random")["value"]
    assert not rows(bounds, "kink_bound_random")["value"].equals(before)


def aliasing_factor(k: np.ndarray, n: int) -> np.ndarray:
    """Σ_{m≠0} (k / (k + mn))²: the FFT's worst aliasing error at k as a fraction of a bound C/k² that holds at
    every frequency (the images k + mn of k carry at most C/(k + mn)²)."""
    m = np.concatenate([np.arange(-2000, 0), np.arange(1, 2001)])
    return np.sum((k[:, None] / (k[:, None] + m * n)) ** 2, axis=1)


def test_the_measurement_agrees_with_the_closed_form(decay_run):
    """Independent oracle: the closed form over the linear pieces, at every window end, within the worst
    aliasing error (1.3 % of the kink bound at k = N/16)."""
    _, run, _ = decay_run
    edges = run.setup.check_windows
    allowed = aliasing_factor(edges.astype(float), run.setup.fft_points) + 1e-9
    assert allowed[-1] < 0.014  # 1.3 % at N/16
    k = np.arange(1, run.setup.bound_k_max + 1)
    for member, seed in enumerate(SEEDS):
        for kind in nets.KINDS:
            layers = run.result.layers(member, kind)
            exact = np.zeros(k.size + 1)
            exact[1:] = np.abs(relu_spectrum.boundary_free_coefficients(*layers, k))
            envelope = ramp_spectrum.window_envelope(exact, edges, 2.0)
            measured = rows(run.measurement.table.query(f"seed == {seed}"), f"abs_boundary_free_{kind}")
            np.testing.assert_array_equal(measured["x"], edges)
            bound = relu_spectrum.kink_bound(*layers, edges)
            assert np.all(np.abs(measured["value"] - envelope) / bound <= allowed)


def test_decay_rules_fail_for_a_network_with_an_activation_step():
    """The control at a tiny size: a jump of 0.1 in the activation, networks that still fit, slope -1."""
    claim, run, verdict = tiny_run("rahaman2019.relu-decay-k2", "activation-step", **TINY_DECAY)
    assert verdict.verdict == "diverge" and verdict.margin < -10, verdict.explanation
    table = run.measurement.table
    assert np.all(np.abs(table[table["quantity"].str.match(r"slope_(random|trained)$")]["value"] + 1) < 0.1)
    assert np.all(rows(table, "relative_train_loss")["value"] <= run.setup.fit_level)
    assert "Not shown" in run.measurement.notes[0]  # the closed form is not this network's spectrum
    assert len(claim.figures(run)) == 2


def test_decay_bound_rule_fails_when_a_sine_is_added(decay_run):
    """f + 1e-3 sin(2π k0 x) is not piecewise linear: |ĝ_k0| ≈ 5e-4, far above the k^-2 bound there."""
    claim, run, _ = decay_run
    n, k0 = run.setup.fft_points, 500
    sine = 1e-3 * np.sin(2 * np.pi * k0 * np.arange(n) / n)
    verdict, _ = remeasure(claim, run, dataclasses.replace(run.result, values=run.result.values + sine))
    assert verdict.verdict == "diverge"
    window = run.setup.check_windows[np.searchsorted(run.setup.check_windows, k0)]
    assert f"at x = {window}" in verdict.explanation


def test_a_network_that_did_not_train_is_undetermined(decay_run):
    claim, run, _ = decay_run
    untrained = dataclasses.replace(run.result, final_loss=np.full(2, run.setup.target_power))
    verdict, _ = remeasure(claim, run, untrained)
    assert verdict.verdict == "inconclusive" and "fit criterion" in verdict.explanation
    assert verdict_at(claim, run.setup, run.result, SEEDS, "fit_level", 1e-6) == "inconclusive"


def test_aliasing_table(decay_run):
    """The note's table: plain errors fall like 1/N, ramp-removed ones are far smaller."""
    _, run, _ = decay_run
    lines = [line for line in run.measurement.notes[0].splitlines() if line.startswith(("| 1 |", "| 4 |"))]
    assert len(lines) == 2
    cells = [float(cell) for cell in lines[0].strip("|").split("|")[1:]]
    plain, removed = cells[:3], cells[3:]
    assert 3 < plain[0] / plain[1] < 5 and 3 < plain[1] / plain[2] < 5
    assert all(r < 0.1 * p for r, p in zip(removed, plain, strict=True))


def test_the_decay_setup_refuses_a_fit_range_the_fft_cannot_resolve():
    claim = claims()["rahaman2019.relu-decay-k2"]
    with pytest.raises(SetupError, match="fft_points"):
        claim.setups["quick"].override({"fft_points": 1 << 15})  # fit_k_max = 16384 needs 8 × 16384 points


# ---------------------------------------------------------------------------------------------- weight-bound


def test_weight_bound_holds_and_reports_its_looseness(weight_run):
    claim, run, verdict = weight_run
    assert verdict.verdict == "agree", verdict.explanation
    table = run.measurement.table
    for kind in nets.KINDS:
        worst = rows(table, f"looseness_worst_{kind}")["value"]
        median = rows(table, f"looseness_median_{kind}")["value"]
        assert len(worst) == 2 and np.all(worst >= 1.0) and np.all(median >= worst)
    assert len(claim.figures(run)) == 1


def test_a_stale_weight_bound_fails(weight_run):
    """The samples scaled by 1e4 after the bound was computed from the weights."""
    claim, run, _ = weight_run
    scaled = dataclasses.replace(run.result, values=run.result.values * 1e4, value_at_1=run.result.value_at_1 * 1e4)
    verdict, _ = remeasure(claim, run, scaled)
    assert verdict.verdict == "diverge" and verdict.margin < 0


def test_a_large_activation_step_escapes_the_weight_bound():
    """The control at a tiny size: the jumps' k^-1 tail is not bounded by Π‖W_l‖₂."""
    claim, run, verdict = tiny_run("rahaman2019.weight-bound", "activation-step", **TINY_NETWORKS)
    assert verdict.verdict == "diverge", verdict.explanation
    assert np.all(rows(run.measurement.table, "looseness_worst_random")["value"] < 1.0)


# ---------------------------------------------------------------------------------------------- regions


def sawtooth(depth: int, width: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """D compositions of a w-tooth zigzag of [0, 1] onto itself: w^D linear pieces."""
    thresholds = np.arange(width) / width
    outgoing = np.array([float(width)] + [2.0 * width * (-1) ** j for j in range(1, width)])
    weights = [np.ones((width, 1))] + [np.outer(np.ones(width), outgoing)] * (depth - 1) + [outgoing[None, :]]
    biases = [-thresholds] * depth + [np.zeros(1)]
    return weights, biases


@pytest.mark.parametrize(("depth", "width"), [(1, 5), (2, 4), (3, 3), (4, 6)])
def test_sawtooth_has_w_to_the_d_pieces(depth, width):
    assert relu_spectrum.count_pieces(*sawtooth(depth, width)) == width**depth
    for mine, theirs in zip(sum(sawtooth(depth, width), []), sum(relu_spectrum.sawtooth_network(depth, width), []),
                            strict=True):
        np.testing.assert_array_equal(mine, theirs)


def test_regions_rule_holds_for_sawtooth_networks():
    claim, setup = small("rahaman2019.regions-depth-width", **{**TINY_REGIONS, "neurons": 24, "depths": (1, 2, 3, 4)})
    prediction = claim.predict(setup, None)
    frames = []
    for seed in SEEDS:
        by_depth = [(depth, [sawtooth(depth, 24 // depth)] * 2) for depth in setup.depths]
        frames += [nets.region_rows(seed, "init", by_depth), nets.region_rows(seed, "trained", by_depth)]
    verdict = reconcile(claim, prediction, Measurement(concat(frames)), SEEDS)
    assert verdict.verdict == "agree", verdict.explanation


def test_the_sawtooth_control_agrees_at_a_tiny_size():
    claim, run, verdict = tiny_run("rahaman2019.regions-depth-width", "sawtooth", **TINY_REGIONS)
    assert verdict.verdict == "agree", verdict.explanation
    assert run.measurement.artifacts["pieces"]["init"][3] == [64] * 6  # (12/3)^3 for 3 networks × 2 seeds


def test_regions_rule_fails_on_real_networks():
    claim, run, verdict = tiny_run("rahaman2019.regions-depth-width", **TINY_REGIONS)
    assert verdict.verdict == "diverge", verdict.explanation
    table = run.prediction.table
    worst = table[table["quantity"] == "worst_case_slope"]["value"].iloc[0]
    assert worst == pytest.approx(np.polyfit([1, 2, 3], [np.log(13), 2 * np.log(7), 3 * np.log(5)], 1)[0])
    assert table[table["quantity"] == "required_slope"]["value"].iloc[0] == pytest.approx(worst / 2)
    pieces = run.measurement.table.query("quantity == 'log_pieces_init'")
    assert len(pieces) == len(SEEDS) * 3 * 3 and np.all(pieces["value"] >= 0)
    figures = claim.figures(run)
    assert len(figures) == 1 and isinstance(figures[0], Figure)
    assert verdict_at(claim, run.setup, run.result, SEEDS, "worst_case_fraction", 0.01) == "agree"


def test_slope_interval_contains_the_slope_and_matches_a_direct_fit():
    rng = np.random.default_rng(0)
    depths = np.repeat([1.0, 2.0, 3.0, 4.0], 5)
    logs = 2.0 + 0.3 * depths + rng.normal(scale=0.2, size=depths.size)
    lower, slope, upper = nets.slope_with_interval(depths, logs)
    assert slope == pytest.approx(np.polyfit(depths, logs, 1)[0])
    assert lower < 0.3 < upper and lower < slope < upper
    narrow = nets.slope_with_interval(depths, logs, level=0.5)
    assert lower < narrow[0] < slope < narrow[2] < upper


def test_depths_must_divide_the_neurons():
    claim = claims()["rahaman2019.regions-depth-width"]
    with pytest.raises(SetupError, match="does not divide"):
        claim.setups["quick"].override({"depths": [1, 5]})


def test_the_derivation_is_registered_and_renders():
    from fpcheck.reports.derivations import DERIVATIONS, render

    assert claims()["rahaman2019.relu-decay-k2"].derivation in DERIVATIONS
    text = render("relu-spectrum")
    assert "kink form" in text and "Results:" in text and "decay_bound =" in text
    assert render("relu-spectrum", latex=True).count("\\[") >= 12
