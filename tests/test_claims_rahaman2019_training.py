"""The Rahaman et al. training claims (Figs. 1-2 and §5, the sine-fit family): the rules hold and fail where
they should on hand-made rows; tiny real runs produce the quantities the rules read; diverging training is
inconclusive; Fig. 1's control (Fourier features) is chosen on other seeds, reverses the empirical-NTK rates and
encodes what it states; the other claims state why they have no control."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from claim_checks import hand_made_verdict, run_claim, small

from fpcheck.empirics.grid_training import network_spec
from fpcheck.empirics.image_fit import image_ntk
from fpcheck.empirics.mlp import init_ensemble
from fpcheck.empirics.ntk import mode_rayleigh_quotients
from fpcheck.empirics.sine_fit import NormTrackedSineFit, PerturbedSineFit, SineFit
from fpcheck.empirics.spectra import rank_correlation
from fpcheck.errors import SetupError
from fpcheck.reports.catalogue import claims
from fpcheck.reports.task import plan
from fpcheck.tables import tidy

TRAINING_IDS = ("rahaman2019.fig1-equal-amplitudes", "rahaman2019.fig2-increasing-amplitudes", "rahaman2019.robustness")
TINY_RELU = {"frequencies": (1, 2, 4), "amplitudes": (1.0, 1.0, 1.0), "points": 32, "hidden": (24, 24), "steps": 200,
             "lr": 3e-3, "snapshot_every": 10, "seeds": 2}


@pytest.mark.parametrize("claim_id", ["rahaman2019.fig1-equal-amplitudes", "rahaman2019.fig2-increasing-amplitudes"])
def test_learning_order_rule_holds_and_fails(claim_id):
    peaks = [1, 2, 3, 4, 5, 6]

    def rows(steps, error=0.05):
        return lambda seed: [tidy(seed, "first_reach_step", steps, x=peaks), tidy(seed, "final_relative_error", error)]

    assert hand_made_verdict(claim_id, rows([20, 90, 200, 300, 610, 2001])) == "agree"
    assert hand_made_verdict(claim_id, rows([2001, 610, 300, 200, 90, 20])) == "diverge"
    assert hand_made_verdict(claim_id, rows([2001] * 6)) == "inconclusive"  # nothing reached: all tie, no order
    if claims()[claim_id].fit:  # Fig. 1: a network that did not fit is undetermined, whatever its order
        assert hand_made_verdict(claim_id, rows([2001, 610, 300, 200, 90, 20], error=0.6)) == "inconclusive"


def test_robustness_rule_holds_and_fails():
    norms = [1.0, 2.0, 4.0, 8.0]

    def rows(rhos, error=0.2):
        return lambda seed: [tidy(seed, "rho_amplitude_loss", rhos, x=norms), tidy(seed, "final_relative_error", error)]

    assert hand_made_verdict("rahaman2019.robustness", rows([0.94, 0.83, 1.0, 0.94])) == "agree"
    assert hand_made_verdict("rahaman2019.robustness", rows([0.94, 0.2, 1.0, 0.94])) == "diverge"
    assert hand_made_verdict("rahaman2019.robustness", rows([-0.5, -0.8, -0.9, -0.6], error=0.7)) == "inconclusive"


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


def test_the_uncontrolled_fig2_claim_says_which_controls_were_tried_and_why_none_is_kept():
    claim = claims()["rahaman2019.fig2-increasing-amplitudes"]
    assert not claim.controls and claim.uncontrolled and "pilot seeds" in claim.uncontrolled


@pytest.mark.parametrize("claim_id", ["rahaman2019.fig1-equal-amplitudes", "rahaman2019.robustness"])
def test_the_fourier_feature_controls_are_chosen_on_other_seeds_with_a_fit_criterion(claim_id):
    claim = claims()[claim_id]
    (control,) = claim.controls
    assert not claim.uncontrolled and control.name == "fourier-features" and control.expected == "diverge"
    assert control.pilot_seeds == tuple(range(1000, 1006))
    for profile in ("quick", "paper"):
        assert not set(control.pilot_seeds) & set(range(claim.setups[profile].seeds))
    assert [(rule.measured, rule.bound) for rule in claim.fit] == [("final_relative_error", 0.5)]


def test_the_fourier_features_reverse_the_empirical_ntk_rates_of_the_claims_networks():
    """The control's prediction, recomputed: on the pilot seeds, the Rayleigh quotients λ_k of the empirical NTK
    at initialisation fall with k for the claim's network of x and rise with k (ρ(k, 1/λ_k) ≤ -0.9) for the same
    network of the Fourier features, as the mechanism states."""
    claim = claims()["rahaman2019.fig1-equal-amplitudes"]
    (control,) = claim.controls
    rates = {}
    for variant in ("published", control.name):
        setup = claim.setup_for("quick", variant)
        spec, grid = network_spec(setup), setup.train_grid
        kernels = image_ntk(spec, init_ensemble(spec, control.pilot_seeds), setup.network_inputs(grid.points))
        rates[variant] = mode_rayleigh_quotients(kernels, grid, setup.peaks)
    peaks = np.array(claim.setups["quick"].peaks, dtype=float)
    assert np.all(np.diff(rates["published"], axis=1) < 0)
    assert max(rank_correlation(peaks, 1 / row) for row in rates[control.name]) <= -0.9


def test_the_fourier_features_are_the_stated_encoding():
    """γ(x)·γ(x') = Σ_i a_i² cos(2π k_i (x - x')/P) with a_i = scale k_i / max k (the stationary inner product
    of Tancik et al.'s Eq. for the encoded NTK), on [0, 1) and on [-π, π); x itself without an encoding."""
    for interval in ((0.0, 1.0), (-np.pi, np.pi)):
        setup = SineFit(frequencies=(2, 5, 3), amplitudes=(1.0,) * 3, interval=interval, encoding="fourier-peaks",
                        encoding_scale=1.5)
        x = setup.grid.points
        features = setup.network_inputs(x)
        assert features.shape == (64, 6) == (x.size, setup.input_width) and network_spec(setup).widths[0] == 6
        period = interval[1] - interval[0]
        a, k = 1.5 * np.array([2, 3, 5]) / 5, np.array([2, 3, 5])
        oracle = np.sum(a**2 * np.cos(2 * np.pi * k * (x[:, None, None] - x[None, :, None]) / period), axis=-1)
        np.testing.assert_allclose(features @ features.T, oracle, atol=1e-12)
    plain = SineFit()
    np.testing.assert_array_equal(plain.network_inputs(plain.grid.points), plain.grid.points[:, None])
    assert torch.as_tensor(plain.network_inputs(plain.grid.points)).stride() == (1, 1)  # as x[:, None] of a tensor


def test_without_an_encoding_the_setup_keeps_its_data_and_hash():
    """The encoding's fields stay out of the data (and the configuration hash) of setups without one: the hash
    of the Fig. 1 quick task is the one recorded before the fields existed."""
    claim = claims()["rahaman2019.fig1-equal-amplitudes"]
    published, control = plan(claim, "quick", threads=1)
    assert published.config_hash == "8076d9149bca77cb"
    assert "encoding" not in published.setup.data() and control.setup.data()["encoding"] == "fourier-peaks"
    assert control.setup.override(control.setup.data()) == control.setup
    with pytest.raises(SetupError, match="encoding_scale"):
        SineFit(encoding_scale=2.0)
    with pytest.raises(SetupError, match="encoding"):
        NormTrackedSineFit(encoding="fourier-peaks")  # the bounds read networks of x itself
    assert PerturbedSineFit(encoding="fourier-peaks").input_width == 2 * len(PerturbedSineFit().frequencies)
