"""The rahaman2019 claims at a tiny size: each rule holds where it should and fails where it should.

Failing measurements are real ones with one physical change: a function with a jump (its ramp-free
FFT decays as k^-1, not k^-2), a network plus a sine of amplitude 1e-3 (not piecewise linear: its
coefficient at that frequency escapes the k^-2 bound), a stale weight bound (the output scaled by 1e4
after the bound was computed). The depth claim holds for sawtooth networks (w^D pieces) and fails on
the real initialised and trained networks. The training claims (Figs. 1, 2, §5) are checked on
hand-made rows for their wiring and on small real runs for the physics.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from claim_checks import hand_made_verdict, run_claim, small
from matplotlib.figure import Figure

from fpcheck.empirics import ramp_spectrum
from fpcheck.empirics import spectrum_networks as nets
from fpcheck.empirics.sine_fit import PerturbedSineFit, SineFit
from fpcheck.errors import SetupError
from fpcheck.reports.catalogue import claims
from fpcheck.reports.claims import SOURCES
from fpcheck.reports.reconcile import reconcile
from fpcheck.tables import Measurement, concat, tidy
from fpcheck.theory import relu_spectrum

SEEDS = (0, 1)
TINY_NETWORKS = {"seeds": 2, "depth": 2, "width": 8, "train_steps": 40, "lr": 1e-2, "train_points": 64,
                 "target_frequencies": (1, 3), "target_amplitudes": (1.0, 0.5), "k_dense": 64, "k_max": 10000}
TINY_DECAY = {**TINY_NETWORKS, "fft_points": 1 << 15, "fit_k_min": 64, "fit_k_max": 2048,
              "aliasing_points": (64, 256, 1024), "aliasing_k": (1, 4)}
TINY_REGIONS = {"seeds": 2, "neurons": 12, "depths": (1, 2, 3), "networks_per_depth": 3, "train_steps": 40,
                "lr": 1e-2, "train_points": 64, "target_frequencies": (1, 3), "target_amplitudes": (1.0, 0.5)}
SETUP_TYPES = {"rahaman2019.relu-decay-k2": nets.DecaySpectrum, "rahaman2019.weight-bound": nets.SpectrumNetworks,
               "rahaman2019.regions-depth-width": nets.RegionCount, "rahaman2019.fig1-equal-amplitudes": SineFit,
               "rahaman2019.fig2-increasing-amplitudes": SineFit, "rahaman2019.robustness": PerturbedSineFit}


@pytest.fixture(scope="module")
def decay_run():
    claim, setup = small("rahaman2019.relu-decay-k2", **TINY_DECAY)
    run, verdict = run_claim(claim, setup, SEEDS)
    return claim, run, verdict


@pytest.fixture(scope="module")
def weight_run():
    claim, setup = small("rahaman2019.weight-bound", **TINY_NETWORKS, fft_points=1 << 12)
    run, verdict = run_claim(claim, setup, SEEDS)
    return claim, run, verdict


def replace_rows(table: pd.DataFrame, quantity: str, seed: int, values) -> pd.DataFrame:
    table = table.copy()
    rows = (table["quantity"] == quantity) & (table["seed"] == seed)
    table.loc[rows, "value"] = values
    return table


# ---------------------------------------------------------------------------------------------- catalogue


@pytest.mark.parametrize("claim_id", sorted(SETUP_TYPES))
def test_the_claims_are_registered_with_typed_setups(claim_id):
    assert "rahaman2019" in SOURCES
    claim = claims()[claim_id]
    assert claim.version == 1 and "arXiv:1806.08734" in claim.source and not claim.controls
    for profile in ("quick", "paper"):
        setup = claim.setups[profile]
        assert type(setup) is SETUP_TYPES[claim_id]
        assert setup.override(json.loads(json.dumps(setup.data()))) == setup
    assert claim.expected == ("diverge" if claim_id == "rahaman2019.regions-depth-width" else "agree")


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
    slopes = run.measurement.table[run.measurement.table["quantity"].str.match(r"slope_(random|trained)$")]
    assert len(slopes) == 4 and np.all(np.abs(slopes["value"] + 2) < 0.1)
    figures = claim.figures(run)
    assert len(figures) == 2 and all(isinstance(figure, Figure) for figure in figures)
    assert np.all(np.isfinite(run.prediction.table["value"]))


def test_decay_slope_rule_fails_for_a_function_with_a_jump(decay_run):
    """A jump inside (0, 1) survives the ramp removal: the FFT slope is -1 and the Rate rule fails."""
    claim, run, _ = decay_run
    n = TINY_DECAY["fft_points"]
    x = np.arange(n) / n
    slope = ramp_spectrum.decay_slope(x + 0.5 * (x > 0.3), 1.5, TINY_DECAY["fit_k_min"], TINY_DECAY["fit_k_max"])
    assert abs(slope + 1) < 0.1
    table = run.measurement.table
    for seed in SEEDS:
        table = replace_rows(table, "slope_trained", seed, slope)
    verdict = reconcile(claim, run.prediction, Measurement(table), SEEDS)
    assert verdict.verdict == "diverge" and verdict.margin < 0
    assert "slope_trained = -1" in verdict.explanation or "slope_trained = -0.9" in verdict.explanation


def test_decay_bound_rule_fails_when_a_sine_is_added(decay_run):
    """f + 1e-3 sin(2π k0 x) is not piecewise linear: |c_k0| jumps by ~5e-4, far above the k^-2 bound."""
    claim, run, _ = decay_run
    grid = run.setup.frequency_grid
    k0 = int(grid[np.argmin(np.abs(grid - 500))])
    table = run.measurement.table
    for member, seed in enumerate(SEEDS):
        layers = run.result.layers(member, "random")
        coefficients = relu_spectrum.exact_coefficients(*layers, grid)
        coefficients[grid == k0] += 1e-3 / 2j  # the coefficient of 1e-3 sin(2π k0 x) at +k0
        table = replace_rows(table, "abs_coefficient_random", seed, np.abs(coefficients))
        assert 2 * relu_spectrum.decay_bound(*layers, k0) < 1e-3 / 2
    verdict = reconcile(claim, run.prediction, Measurement(table), SEEDS)
    assert verdict.verdict == "diverge"
    assert f"at x = {k0}" in verdict.explanation


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
    looseness = run.measurement.table[run.measurement.table["quantity"].str.startswith("looseness_")]["value"]
    assert len(looseness) == 8 and np.all(looseness >= 1.0)
    assert len(claim.figures(run)) == 1


def test_a_stale_weight_bound_fails(weight_run):
    claim, run, _ = weight_run
    table = run.measurement.table.copy()
    scaled = table["quantity"] == "abs_coefficient_trained"
    table.loc[scaled, "value"] *= 1e4  # the output layer scaled by 1e4 after the bound was computed
    verdict = reconcile(claim, run.prediction, Measurement(table), SEEDS)
    assert verdict.verdict == "diverge" and verdict.margin < 0


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


def test_regions_rule_holds_for_sawtooth_networks():
    claim, setup = small("rahaman2019.regions-depth-width", **{**TINY_REGIONS, "neurons": 24, "depths": (1, 2, 3, 4)})
    prediction = claim.predict(setup, None)
    frames = []
    for seed in SEEDS:
        by_depth = [(depth, [sawtooth(depth, 24 // depth)] * 2) for depth in setup.depths]
        frames += [nets.region_rows(seed, "init", by_depth), nets.region_rows(seed, "trained", by_depth)]
    verdict = reconcile(claim, prediction, Measurement(concat(frames)), SEEDS)
    assert verdict.verdict == "agree", verdict.explanation


def test_regions_rule_fails_on_real_networks():
    claim, setup = small("rahaman2019.regions-depth-width", **TINY_REGIONS)
    run, verdict = run_claim(claim, setup, SEEDS)
    assert verdict.verdict == "diverge", verdict.explanation
    table = run.prediction.table
    worst = table[table["quantity"] == "worst_case_slope"]["value"].iloc[0]
    assert worst == pytest.approx(np.polyfit([1, 2, 3], [np.log(13), 2 * np.log(7), 3 * np.log(5)], 1)[0])
    pieces = run.measurement.table.query("quantity == 'log_pieces_init'")
    assert len(pieces) == len(SEEDS) * 3 * 3 and np.all(pieces["value"] >= 0)
    figures = claim.figures(run)
    assert len(figures) == 1 and isinstance(figures[0], Figure)


def test_slope_interval_contains_the_slope_and_matches_a_direct_fit():
    rng = np.random.default_rng(0)
    depths = np.repeat([1.0, 2.0, 3.0, 4.0], 5)
    logs = 2.0 + 0.3 * depths + rng.normal(scale=0.2, size=depths.size)
    lower, slope, upper = nets.slope_with_interval(depths, logs)
    assert slope == pytest.approx(np.polyfit(depths, logs, 1)[0])
    assert lower < 0.3 < upper and lower < slope < upper


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


# ---------------------------------------------------------------------------------------------- training claims

TINY_RELU = {"frequencies": (1, 2, 4), "amplitudes": (1.0, 1.0, 1.0), "points": 32, "hidden": (24, 24), "steps": 200,
             "lr": 3e-3, "snapshot_every": 10, "seeds": 2}


@pytest.mark.parametrize("claim_id", ["rahaman2019.fig1-equal-amplitudes", "rahaman2019.fig2-increasing-amplitudes"])
def test_learning_order_rule_holds_and_fails(claim_id):
    peaks = [1, 2, 3, 4, 5, 6]

    def rows(steps):
        return lambda seed: [tidy(seed, "first_reach_step", steps, x=peaks)]

    assert hand_made_verdict(claim_id, rows([20, 90, 200, 300, 610, 2001])) == "agree"
    assert hand_made_verdict(claim_id, rows([2001, 610, 300, 200, 90, 20])) == "diverge"
    assert hand_made_verdict(claim_id, rows([2001] * 6)) == "inconclusive"  # nothing reached: all tie, no order


def test_robustness_rule_holds_and_fails():
    norms = [1.0, 2.0, 4.0, 8.0]

    def rows(rhos):
        return lambda seed: [tidy(seed, "rho_amplitude_loss", rhos, x=norms)]

    assert hand_made_verdict("rahaman2019.robustness", rows([0.94, 0.83, 1.0, 0.94])) == "agree"
    assert hand_made_verdict("rahaman2019.robustness", rows([0.94, 0.2, 1.0, 0.94])) == "diverge"


def test_tiny_learning_order_run():
    claim, setup = small("rahaman2019.fig1-equal-amplitudes", **TINY_RELU)
    run, _ = run_claim(claim, setup)
    reached = run.measurement.artifacts["reached"]
    assert reached.shape == (2, 3) and np.all(reached[:, 0] <= reached[:, -1])
    assert run.measurement.artifacts["amplitude"][-1, 0] > 0.9  # the lowest peak is learned within the run
    assert len(claim.figures(run)) == 3


def test_tiny_robustness_run_produces_one_rho_per_norm():
    claim, setup = small("rahaman2019.robustness", **TINY_RELU, perturbation_norms=(0.5, 2.0), samples=16)
    run, _ = run_claim(claim, setup)
    rhos = run.measurement.table.query("quantity == 'rho_amplitude_loss'")
    assert sorted(rhos["x"].unique()) == [0.5, 2.0] and len(rhos) == 4 and np.isfinite(rhos["value"]).all()
    losses = run.result.losses
    assert losses.shape == (2, 2, 3) and np.mean(np.abs(losses[:, 1])) > np.mean(np.abs(losses[:, 0]))
    assert len(claim.figures(run)) == 1


def test_diverging_training_is_inconclusive():
    claim, setup = small("rahaman2019.robustness", **{**TINY_RELU, "steps": 20, "lr": 100.0, "optimizer": "gd",
                                                      "snapshot_every": 5, "samples": 4})
    run, verdict = run_claim(claim, setup)
    assert run.measurement.diverged_seeds == (0, 1)
    assert verdict.verdict == "inconclusive" and "diverged" in verdict.explanation
