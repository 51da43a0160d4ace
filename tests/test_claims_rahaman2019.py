"""The rahaman2019 claims at a tiny size: each rule holds where it should and fails where it should.

Failing measurements are real ones with one physical change: a function with a jump (its ramp-free
FFT decays as k^-1, not k^-2), a network plus a sine of amplitude 1e-3 (not piecewise linear: its
coefficient at that frequency escapes the k^-2 bound), a stale weight bound (the output scaled by 1e4
after the bound was computed). The depth claim holds for sawtooth networks (w^D pieces) and fails on
the real initialised and trained networks.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from reports.catalogue import claims
from reports.claim import Measurement, Prediction, concat
from reports.claims import SOURCES
from reports.claims import rahaman2019 as rh
from reports.reconcile import reconcile
from theory import relu_spectrum

SEEDS = [0, 1]
TINY_NETWORKS = {
    "seeds": 2,
    "depth": 2,
    "width": 8,
    "train_steps": 40,
    "lr": 1e-2,
    "train_points": 64,
    "target_frequencies": [1, 3],
    "target_amplitudes": [1.0, 0.5],
    "k_dense": 64,
    "k_max": 10000,
}
TINY_DECAY = {
    **TINY_NETWORKS,
    "fft_points": 1 << 15,
    "fit_k_min": 64,
    "fit_k_max": 2048,
    "aliasing_points": [64, 256, 1024],
    "aliasing_k": [1, 4],
}
TINY_REGIONS = {
    "seeds": 2,
    "neurons": 12,
    "depths": [1, 2, 3],
    "networks_per_depth": 3,
    "train_steps": 40,
    "lr": 1e-2,
    "train_points": 64,
    "target_frequencies": [1, 3],
    "target_amplitudes": [1.0, 0.5],
}
IDS = ("rahaman2019.relu-decay-k2", "rahaman2019.weight-bound", "rahaman2019.regions-depth-width")


@pytest.fixture(scope="module")
def catalogue():
    return claims()


@pytest.fixture(scope="module")
def decay_run(catalogue):
    claim = catalogue["rahaman2019.relu-decay-k2"]
    return claim, claim.predict(TINY_DECAY, SEEDS), claim.measure(TINY_DECAY, SEEDS)


def replace_rows(table: pd.DataFrame, quantity: str, seed: int, values) -> pd.DataFrame:
    table = table.copy()
    rows = (table["quantity"] == quantity) & (table["seed"] == seed)
    table.loc[rows, "value"] = values
    return table


# ---------------------------------------------------------------------------------------------- catalogue


def test_the_claims_are_registered_with_json_setups(catalogue):
    assert "rahaman2019" in SOURCES
    for claim_id in IDS:
        claim = catalogue[claim_id]
        assert claim.version == 1 and "arXiv:1806.08734" in claim.source
        assert set(claim.setup) == {"quick", "paper"}
        json.dumps(dict(claim.setup))
    assert catalogue["rahaman2019.regions-depth-width"].expected == "diverge"


# ---------------------------------------------------------------------------------------------- relu-decay-k2


def test_decay_claim_holds_on_real_networks(decay_run):
    claim, prediction, measurement = decay_run
    verdict = reconcile(claim, prediction, measurement, SEEDS)
    assert verdict.verdict == "agree", verdict.explanation
    slopes = measurement.table[measurement.table["quantity"].str.startswith("slope_")]
    assert np.all(np.abs(slopes["value"] + 2) < 0.1)
    figures = claim.figures(prediction, measurement, TINY_DECAY)
    assert len(figures) == 2 and all(isinstance(figure, Figure) for figure in figures)


def test_decay_slope_rule_fails_for_a_function_with_a_jump(decay_run):
    """A jump inside (0, 1) survives the ramp removal: the FFT slope is -1 and the Rate rule fails."""
    claim, prediction, measurement = decay_run
    n = TINY_DECAY["fft_points"]
    x = np.arange(n) / n
    jump = x + 0.5 * (x > 0.3)
    slope = rh.measured_decay_slope(jump, 1.5, TINY_DECAY["fit_k_min"], TINY_DECAY["fit_k_max"])
    assert abs(slope + 1) < 0.1
    table = measurement.table
    for seed in SEEDS:
        table = replace_rows(table, "slope_trained", seed, slope)
    verdict = reconcile(claim, prediction, Measurement(table), SEEDS)
    assert verdict.verdict == "diverge" and verdict.margin < 0
    assert re.search(r"slope_trained = -(1|0\.9)", verdict.explanation)


def test_decay_bound_rule_fails_when_a_sine_is_added(decay_run):
    """f + 1e-3 sin(2π k0 x) is not piecewise linear: |c_k0| jumps by ~5e-4, far above the k^-2 bound."""
    claim, prediction, measurement = decay_run
    grid = rh.frequency_grid(TINY_DECAY)
    k0 = int(grid[np.argmin(np.abs(grid - 500))])
    networks = rh.spectrum_networks(TINY_DECAY, SEEDS)
    table = measurement.table
    for seed in SEEDS:
        layers = networks.layers[seed]["random"]
        coefficients = relu_spectrum.exact_coefficients(*layers, grid)
        coefficients[grid == k0] += 1e-3 / 2j  # the coefficient of 1e-3 sin(2π k0 x) at +k0
        table = replace_rows(table, "abs_coefficient_random", seed, np.abs(coefficients))
        bound = relu_spectrum.decay_bound(*layers, k0)
        assert 2 * bound < 1e-3 / 2
    verdict = reconcile(claim, prediction, Measurement(table), SEEDS)
    assert verdict.verdict == "diverge"
    assert f"at x = {k0}" in verdict.explanation


def test_aliasing_table(decay_run):
    """The note's table: plain errors fall like 1/N, ramp-removed ones are far smaller."""
    _, _, measurement = decay_run
    lines = [line for line in measurement.notes[0].splitlines() if line.startswith("| 1 |") or line.startswith("| 4 |")]
    assert len(lines) == 2
    cells = [float(cell) for cell in lines[0].strip("|").split("|")[1:]]
    plain, removed = cells[:3], cells[3:]
    assert 3 < plain[0] / plain[1] < 5 and 3 < plain[1] / plain[2] < 5
    assert all(r < 0.1 * p for r, p in zip(removed, plain, strict=True))


# ---------------------------------------------------------------------------------------------- weight-bound


def test_weight_bound_holds_and_reports_its_looseness(catalogue):
    claim = catalogue["rahaman2019.weight-bound"]
    prediction, measurement = claim.predict(TINY_NETWORKS, SEEDS), claim.measure(TINY_NETWORKS, SEEDS)
    verdict = reconcile(claim, prediction, measurement, SEEDS)
    assert verdict.verdict == "agree", verdict.explanation
    looseness = measurement.table[measurement.table["quantity"].str.startswith("looseness_")]["value"]
    assert np.all(looseness >= 1.0)


def test_a_stale_weight_bound_fails(catalogue):
    claim = catalogue["rahaman2019.weight-bound"]
    prediction, measurement = claim.predict(TINY_NETWORKS, SEEDS), claim.measure(TINY_NETWORKS, SEEDS)
    table = measurement.table.copy()
    scaled = table["quantity"] == "abs_coefficient_trained"
    table.loc[scaled, "value"] *= 1e4  # the output layer scaled by 1e4 after the bound was computed
    verdict = reconcile(claim, prediction, Measurement(table), SEEDS)
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


def test_regions_rule_holds_for_sawtooth_networks(catalogue):
    claim = catalogue["rahaman2019.regions-depth-width"]
    params = {**TINY_REGIONS, "neurons": 24, "depths": [1, 2, 3, 4]}
    prediction = claim.predict(params, SEEDS)
    frames = []
    for seed in SEEDS:
        nets = {depth: [sawtooth(depth, 24 // depth)] * 2 for depth in params["depths"]}
        frames += [rh.region_rows(seed, "init", nets), rh.region_rows(seed, "trained", nets)]
    verdict = reconcile(claim, prediction, Measurement(concat(frames)), SEEDS)
    assert verdict.verdict == "agree", verdict.explanation


def test_regions_rule_fails_on_real_networks(catalogue):
    claim = catalogue["rahaman2019.regions-depth-width"]
    prediction, measurement = claim.predict(TINY_REGIONS, SEEDS), claim.measure(TINY_REGIONS, SEEDS)
    verdict = reconcile(claim, prediction, measurement, SEEDS)
    assert verdict.verdict == "diverge", verdict.explanation
    worst = prediction.table[prediction.table["quantity"] == "worst_case_slope"]["value"].iloc[0]
    assert worst == pytest.approx(np.polyfit([1, 2, 3], [np.log(13), 2 * np.log(7), 3 * np.log(5)], 1)[0])
    figures = claim.figures(prediction, measurement, TINY_REGIONS)
    assert len(figures) == 1 and isinstance(figures[0], Figure)


def test_slope_interval_contains_the_slope_and_matches_a_direct_fit():
    rng = np.random.default_rng(0)
    depths = np.repeat([1.0, 2.0, 3.0, 4.0], 5)
    logs = 2.0 + 0.3 * depths + rng.normal(scale=0.2, size=depths.size)
    lower, slope, upper = rh.slope_with_interval(depths, logs)
    assert slope == pytest.approx(np.polyfit(depths, logs, 1)[0])
    assert lower < 0.3 < upper and lower < slope < upper


def test_depths_must_divide_the_neurons(catalogue):
    claim = catalogue["rahaman2019.regions-depth-width"]
    with pytest.raises(ValueError, match="does not divide"):
        claim.predict({**TINY_REGIONS, "depths": [1, 5]}, SEEDS)


def test_prediction_tables_are_finite(decay_run):
    _, prediction, _ = decay_run
    assert isinstance(prediction, Prediction)
    assert np.all(np.isfinite(prediction.table["value"]))


def test_the_derivation_is_registered_and_renders(catalogue):
    from reports.derivations import DERIVATIONS, render

    assert catalogue["rahaman2019.relu-decay-k2"].derivation in DERIVATIONS
    text = render("relu-spectrum")
    assert "kink form" in text and "Results:" in text and "decay_bound =" in text
    assert render("relu-spectrum", latex=True).count("\\[") >= 12
