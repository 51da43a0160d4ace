"""The Rahaman et al. training claims (Figs. 1-2 and §5, the sine-fit family): the rules hold and fail where
they should on hand-made rows; tiny real runs produce the quantities the rules read; diverging training is
inconclusive; the claims state why they have no control."""

from __future__ import annotations

import numpy as np
import pytest
from claim_checks import hand_made_verdict, run_claim, small

from fpcheck.reports.catalogue import claims
from fpcheck.tables import tidy

TRAINING_IDS = ("rahaman2019.fig1-equal-amplitudes", "rahaman2019.fig2-increasing-amplitudes", "rahaman2019.robustness")
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


@pytest.mark.parametrize("claim_id", TRAINING_IDS)
def test_each_training_claim_says_which_controls_were_tried_and_why_none_is_kept(claim_id):
    claim = claims()[claim_id]
    assert not claim.controls and claim.uncontrolled and "pilot seeds" in claim.uncontrolled
