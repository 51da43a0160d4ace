"""The basri2020 claim: its rules hold at the kernel-dynamics times and fail 30 % off them (hand-made rows), the
measurement of a tiny wide run against the exact kernel dynamics, and a small claim run that measures and draws."""

from __future__ import annotations

import numpy as np
from claim_checks import check_controls_on_pilot_seeds, hand_made_verdict, run_claim, small
from matplotlib.figure import Figure

from fpcheck.empirics.density_fit import DensityFit, predicted_region_times, region_times
from fpcheck.empirics.density_training import density_fits
from fpcheck.reports.catalogue import claims
from fpcheck.tables import tidy

CLAIM = "basri2020.nonuniform-density"


def test_registered_with_a_control_on_pilot_seeds():
    check_controls_on_pilot_seeds(CLAIM, "arXiv:2003.04560")


def _rows(dense: float, sparse: float, final: float = 0.5):
    setup = claims()[CLAIM].setups["quick"]
    predicted = predicted_region_times(setup)

    def rows(seed: int):
        return [tidy(seed, "dense_time", predicted[:, 0] * dense, x=setup.kappas),
                tidy(seed, "sparse_time", predicted[:, 1] * sparse, x=setup.kappas),
                tidy(seed, "final_component_over_delta", np.full(len(setup.kappas), final), x=setup.kappas)]

    return rows


def test_the_rule_holds_within_twenty_percent_and_fails_beyond():
    assert hand_made_verdict(CLAIM, _rows(1.1, 0.9)) == "agree"
    assert hand_made_verdict(CLAIM, _rows(1.0, 0.7)) == "diverge"  # the sparse half 30 % fast
    assert hand_made_verdict(CLAIM, _rows(1.3, 1.0)) == "diverge"  # the dense half 30 % slow
    assert hand_made_verdict(CLAIM, _rows(1.0, 1.0, final=2.0)) == "inconclusive"  # not learned


def test_a_tiny_wide_run_follows_the_kernel_dynamics():
    setup = DensityFit(kappas=(1,), dense_points=12, sparse_points=4, width=2048, kernel_snapshots=2, seeds=2)
    result = density_fits(setup, (7, 8))
    np.testing.assert_allclose(region_times(setup, result)[:, 0], np.tile(predicted_region_times(setup)[0], (2, 1)),
                               rtol=0.08)


def test_a_small_claim_run_measures_and_draws():
    claim, setup = small(CLAIM, kappas=(1,), dense_points=12, sparse_points=4, width=512, seeds=2)
    run, verdict = run_claim(claim, setup)
    assert verdict.verdict in ("agree", "diverge", "inconclusive")
    assert set(run.measurement.table["quantity"]) >= {"dense_time", "sparse_time", "kernel_drift"}
    figures = claim.figures(run)
    assert figures and all(isinstance(figure, Figure) for figure in figures)
