"""The jacot2018 claim: its rule holds within 15 % of the deep-kernel times and fails 30 % off them (hand-made
rows), its predicted times against the kernel dynamics on the points (the recursion's kernel matrix iterated by
hand), and a small claim run that measures and draws."""

from __future__ import annotations

import numpy as np
import pytest
from claim_checks import check_controls_on_pilot_seeds, hand_made_verdict, run_claim, small
from matplotlib.figure import Figure

from fpcheck.empirics.circle_fit import learning_times, predicted_times, step_sizes
from fpcheck.reports.catalogue import claims
from fpcheck.tables import tidy
from fpcheck.theory.deep_ntk import deep_circle_ntk

CLAIM = "jacot2018.deep-harmonic-learning-time"


def test_registered_with_a_control_on_pilot_seeds():
    check_controls_on_pilot_seeds(CLAIM, "arXiv:1806.07572")


def _rows(factor: float, final: float = 0.5):
    setup = claims()[CLAIM].setups["quick"]

    def rows(seed: int):
        return [tidy(seed, "learning_time", predicted_times(setup) * factor, x=setup.kappas),
                tidy(seed, "final_component_over_delta", np.full(len(setup.kappas), final), x=setup.kappas)]

    return rows


def test_the_rule_holds_within_fifteen_percent_and_fails_beyond():
    assert hand_made_verdict(CLAIM, _rows(1.1)) == "agree"
    assert hand_made_verdict(CLAIM, _rows(0.7)) == "diverge"  # the mean-field control's direction: faster
    assert hand_made_verdict(CLAIM, _rows(1.0, final=2.0)) == "inconclusive"  # not learned


def test_predicted_times_are_those_of_the_kernel_dynamics_on_the_points():
    """r_{t+1} = (I - 2η_κ (K + 1)/n) r_t with K_ij = K_3(θ_i - θ_j) (+ 1: the output bias) from r_0 = -cos κθ."""
    setup = claims()[CLAIM].setups["quick"]
    n = setup.points
    angles = 2 * np.pi * np.arange(n) / n
    kernel = deep_circle_ntk(angles[:, None] - angles[None, :], setup.depth, True, "both") + 1.0
    for kappa, lr, expected in zip(setup.kappas, step_sizes(setup), predicted_times(setup), strict=True):
        update = np.eye(n) - 2.0 * lr * kernel / n
        residual, component = -np.cos(kappa * angles), [1.0]
        for _ in range(int(3 * expected) + 2):
            residual = update @ residual
            component.append(abs(np.mean(residual * np.exp(-1j * kappa * angles))) / 0.5)
        assert learning_times(np.array(component)[:, None], setup.delta)[0] == pytest.approx(expected, rel=1e-3)


def test_a_small_claim_run_measures_and_draws():
    claim, setup = small(CLAIM, kappas=(1,), points=16, widths=(256,), seeds=2)
    run, verdict = run_claim(claim, setup)
    assert verdict.verdict in ("agree", "diverge", "inconclusive")
    assert {"learning_time", "kernel_drift"} <= set(run.measurement.table["quantity"])
    figures = claim.figures(run)
    assert figures and all(isinstance(figure, Figure) for figure in figures)
