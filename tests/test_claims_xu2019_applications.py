"""The application claims of Xu et al. 2019 (a photograph, the Poisson equation): each rule holds on a
measurement that should hold and fails on one that should fail (tiny real runs through the claims'
experiments, or results built with the empirics layer)."""

from __future__ import annotations

import dataclasses
from dataclasses import replace

import numpy as np
import pytest
from matplotlib.figure import Figure

from fpcheck.empirics import datasets
from fpcheck.empirics.image_family import ImageFitResult, band_errors, radial_bands
from fpcheck.empirics.poisson import PoissonProblem, run_jacobi
from fpcheck.empirics.poisson_race import History, PoissonRaceResult
from fpcheck.empirics.runtime import fixed_threads
from fpcheck.errors import ClaimDeclarationError, SetupError
from fpcheck.reports.catalogue import claims
from fpcheck.reports.claim import ClaimRun
from fpcheck.reports.reconcile import reconcile
from fpcheck.reports.rules import Bound

IMAGE_ID, POISSON_ID = "xu2019.image-coarse-to-fine", "xu2019.poisson-jacobi-dnn"
IDS = (IMAGE_ID, POISSON_ID)


@pytest.fixture(autouse=True)
def one_thread():
    """The tiny networks here run several times faster on one thread (and on a shared machine much more)."""
    with fixed_threads(1):
        yield


def verdict(claim_id: str, setup, result) -> str:
    claim = claims()[claim_id]
    return reconcile(claim, claim.predict(setup, result), claim.measure(setup, result), result.seeds).verdict


def run_claim(claim_id: str, changes: dict) -> tuple[str, object]:
    """The claim's experiment on its quick setup with `changes`, measured, reconciled and drawn."""
    claim = claims()[claim_id]
    setup = claim.setups["quick"].override(changes)
    seeds = tuple(range(setup.seeds))
    result = claim.experiment.run(setup, seeds)
    prediction, measurement = claim.predict(setup, result), claim.measure(setup, result)
    figures = claim.figures(ClaimRun(setup, seeds, result, prediction, measurement))
    assert figures and all(isinstance(figure, Figure) for figure in figures)
    return reconcile(claim, prediction, measurement, seeds).verdict, result


# ------------------------------------------------------------------------------------------------
# image


TINY_IMAGE = {"seeds": 2, "shape": [12, 18], "hidden": [32, 32, 32], "steps": 600, "snapshots": 20, "bands": 6}


def test_image_holds_on_a_tiny_real_run() -> None:
    outcome, result = run_claim(IMAGE_ID, TINY_IMAGE)
    assert outcome == "agree"
    assert result.fitted.shape == (result.steps.size, 2, 12, 18) and result.band_errors.shape[-1] == 6
    assert not result.diverged


def band_result(image: np.ndarray, bands: np.ndarray, scales: np.ndarray, steps: np.ndarray,
                offset: float = 0.0) -> ImageFitResult:
    """A network whose residual in band b is scales[t, b] × the photograph's band-b part (plus a constant
    `offset`, a wrong mean grey level)."""
    spectrum = np.fft.fft2(image)
    parts = np.stack([np.real(np.fft.ifft2(np.where(bands == b, spectrum, 0))) for b in range(bands.max() + 1)])
    residuals = -np.einsum("tb,brc->trc", scales, parts) + offset
    errors = band_errors(residuals, image, bands)
    np.testing.assert_allclose(errors, scales, atol=1e-12)  # the band errors are the scales (the mean aside)
    return ImageFitResult(seeds=(0,), steps=steps, image=image, fitted=(image + residuals)[:, None],
                          band_errors=errors[:, None], diverged=())


def test_image_rule_holds_in_order_fails_reversed_and_needs_a_fit() -> None:
    setup = claims()[IMAGE_ID].setups["quick"].override(TINY_IMAGE)
    image = datasets.photograph("china.jpg", (12, 18))
    bands = radial_bands(image.shape, 6)
    steps = np.arange(0, 101, 10)
    in_order = np.clip(1 - steps[:, None] / (15 * np.arange(1, 7))[None], 0, 1)  # band b done after 15 (b + 1) steps
    assert verdict(IMAGE_ID, setup, band_result(image, bands, in_order, steps)) == "agree"
    reversed_order = in_order[:, ::-1]  # the finest band first: ρ = -1, the opposite effect
    assert verdict(IMAGE_ID, setup, band_result(image, bands, reversed_order, steps)) == "diverge"
    # the same order with a wrong mean grey level at the end: the bands do not see it, the fit criterion does
    off = band_result(image, bands, in_order, steps, offset=0.5 * image.std() * 1.2)
    claim = claims()[IMAGE_ID]
    outcome = reconcile(claim, claim.predict(setup, off), claim.measure(setup, off), off.seeds)
    assert outcome.verdict == "inconclusive" and "fit criterion" in outcome.explanation


def test_image_control_is_a_sobolev_loss_whose_kernel_rates_reverse_beyond_the_first_band() -> None:
    """The control's choice (s = 2), from the initial NTK of the quick network on a pilot seed: the rates
    μ_k of the mean squared error fall band by band (spectral bias), and μ_k (1 + |k|²)² rise from band 1 on."""
    from fpcheck.empirics.image_family import sobolev_weights
    from fpcheck.empirics.image_fit import initial_mode_rates

    claim = claims()[IMAGE_ID]
    control = claim.control("sobolev-weighted")
    setup = claim.setup_for("quick", "sobolev-weighted")
    assert setup.loss == "sobolev" and setup.sobolev_s == 2.0 and setup.optimizer == "adam"
    assert not set(control.pilot_seeds) & set(range(setup.seeds))  # pilots disjoint from the catalogue's seeds
    rates = initial_mode_rates(setup, control.pilot_seeds[:1])[0]
    bands = radial_bands(tuple(setup.shape), setup.bands)
    plain = np.array([np.median(rates[bands == b]) for b in range(setup.bands)])
    weighted = np.array([np.median((rates * sobolev_weights(tuple(setup.shape), 2.0))[bands == b])
                         for b in range(setup.bands)])
    assert np.all(np.diff(plain) < 0)
    assert np.all(np.diff(weighted[1:]) > 0)


def test_image_setup_refuses_bands_without_frequencies() -> None:
    quick = claims()[IMAGE_ID].setups["quick"]
    with pytest.raises(SetupError, match="bands"):
        quick.override({"shape": [6, 8], "bands": 5})
    with pytest.raises(SetupError, match="shape"):
        quick.override({"shape": [500, 600]})
    assert "threshold" not in quick.experiment_data()  # an analysis choice


# ------------------------------------------------------------------------------------------------
# Poisson


TINY_POISSON = {"seeds": 1, "interior_points": 63, "hidden": [16], "dnn_steps": 100, "eval_every": 10,
                "switch_step": 20, "check_every": 10, "max_sweeps": 100000}
MODES, AMPLITUDES = (1, 2, 5, 10, 20), (1.0, 0.5, 0.2, 0.1, 0.05)
PROBLEM = PoissonProblem(63, MODES, AMPLITUDES)


def synthetic_history(order: list[int], seconds: float, reach: bool, seed: int = 0,
                      energy_error: float = 0.01) -> History:
    """Peak errors that settle in the given order of peaks (one per 10 iterations), over `seconds`."""
    checks = len(order) + 2
    iterations = np.arange(0, 10 * checks, 10)
    errors = np.ones((checks, len(order)))
    for rank, peak in enumerate(order):
        errors[rank + 1 :, peak] = 0.01
    max_error = np.linspace(1.0, 0.001 if reach else 0.5, checks)
    return History(seeds=(seed,), iterations=iterations, seconds=np.linspace(0, seconds, checks), max_error=max_error,
                   peak_errors=errors, energy_error=np.linspace(1.0, energy_error, checks))


def test_poisson_holds_and_fails() -> None:
    setup = claims()[POISSON_ID].setups["quick"].override(TINY_POISSON)
    assert setup.modes == MODES
    jacobi = run_jacobi(PROBLEM, np.zeros(63), 0.01, 10, 100000)  # a real Jacobi run: high to low
    jacobi = replace(jacobi, seconds=np.linspace(0, 2.0, jacobi.seconds.size))
    dnn = synthetic_history([0, 1, 2, 3, 4], seconds=3.0, reach=False)  # low to high, never within tolerance
    fast_hybrid = synthetic_history([4, 3, 2, 1, 0], seconds=0.2, reach=True)
    holds = PoissonRaceResult(seeds=(0,), jacobi=jacobi, dnn=(dnn,), hybrid=(fast_hybrid,),
                              switch_seconds=np.array([0.3]), diverged=())
    assert verdict(POISSON_ID, setup, holds) == "agree"
    claim = claims()[POISSON_ID]
    table = claim.measure(setup, holds).table.set_index("quantity")["value"]
    assert table["hybrid_over_jacobi_time"] == pytest.approx(0.5 / 2.0)  # (0.3 s DNN + 0.2 s Jacobi) / 2 s
    assert table["hybrid_over_dnn_time"] == pytest.approx(0.5 / 3.0)
    # a DNN that converged its peaks from high to low (like Jacobi) breaks the prediction
    jacobi_like_dnn = synthetic_history([4, 3, 2, 1, 0], seconds=3.0, reach=False)
    assert verdict(POISSON_ID, setup, replace(holds, dnn=(jacobi_like_dnn,))) == "diverge"
    # so does a hybrid slower than Jacobi alone (switched too late: 2.5 s of DNN before Jacobi): ratio 1.35
    assert verdict(POISSON_ID, setup, replace(holds, switch_seconds=np.array([2.5]))) == "diverge"
    # a DNN that did not fit (energy-norm error 0.5 > 0.1) cannot count, whatever its order
    unfitted = synthetic_history([0, 1, 2, 3, 4], seconds=3.0, reach=False, energy_error=0.5)
    outcome = reconcile(claim, claim.predict(setup, holds), claim.measure(setup, replace(holds, dnn=(unfitted,))),
                        (0,))
    assert outcome.verdict == "inconclusive" and "fit criterion" in outcome.explanation


def test_every_poisson_rule_compares_a_measured_ratio_with_a_constant() -> None:
    claim = claims()[POISSON_ID]
    for rule in (*claim.rules, *claim.fit):
        measured, predicted = rule.reads()
        assert set(measured) <= set(claim.measured_quantities) and not predicted
    nulls = [rule.null_pass_probability(len(claim.setups["quick"].modes)) for rule in claim.rules
             if hasattr(rule, "null_pass_probability")]
    assert len(nulls) == 2 and max(nulls) == pytest.approx(5 / 120)  # ρ ≥ 0.9 of 5 items: the order or 1 swap


def test_the_coarse_grid_control_is_where_jacobi_is_cheap_and_its_peaks_stay_distinct() -> None:
    """The control's rationale from the per-mode factor (fpcheck.theory.jacobi): on N = 63 Jacobi's slowest peak
    needs ~6000 sweeps to 1 % (~N² / 0.7), 64 times fewer than on the published N = 511, and checks every 10
    sweeps keep the settling sweeps of the five peaks distinct (every 200 would tie three of them)."""
    from fpcheck.theory.jacobi import jacobi_sweeps_to_reduce

    claim = claims()[POISSON_ID]
    control = claim.control("coarse-grid")
    coarse, published = claim.setup_for("quick", "coarse-grid"), claim.setups["quick"]
    assert not set(control.pilot_seeds) & set(range(published.seeds))  # pilots disjoint from the catalogue's
    slow = {n: int(jacobi_sweeps_to_reduce(1, n, 0.01)[()]) for n in (coarse.interior_points, 511)}
    assert 5000 < slow[63] < 7000 and slow[511] / slow[63] == pytest.approx(((511 + 1) / 64) ** 2, rel=0.01)
    sweeps = jacobi_sweeps_to_reduce(np.array(coarse.modes), 63, coarse.peak_threshold)
    assert np.unique(np.ceil(sweeps / coarse.check_every)).size == 5
    assert np.unique(np.ceil(sweeps / published.check_every)).size == 3


def test_a_bound_by_another_measured_quantity_is_refused() -> None:
    """The version-1 rules (hybrid_seconds ≤ jacobi_seconds) compared two measured times: refused now."""
    claim = claims()[POISSON_ID]
    with pytest.raises(ClaimDeclarationError, match="it is measured: compare a measured ratio with a constant"):
        dataclasses.replace(claim, rules=(Bound("hybrid_seconds", "jacobi_seconds"),))


def test_energy_error_against_the_eigenvalues_of_the_laplacian() -> None:
    """‖v - u‖_A / ‖u‖_A for u = sin(πkx), v = u + ε sin(πmx): ε sin(πmh/2) / sin(πkh/2) (A's eigenvalues)."""
    problem = PoissonProblem(63, (3,), (1.0,))
    h = problem.spacing
    assert problem.energy_error(np.zeros(63)) == pytest.approx(1.0)
    assert problem.energy_error(problem.solution) == 0.0
    v = problem.solution + 0.1 * np.sin(np.pi * 17 * problem.points)
    assert problem.energy_error(v) == pytest.approx(0.1 * np.sin(np.pi * 17 * h / 2) / np.sin(np.pi * 3 * h / 2))


def test_poisson_runs_its_three_solvers_on_a_tiny_grid() -> None:
    """A real race: the DNN trains through the engine, its checks and clock come from the snapshot hook."""
    setup = claims()[POISSON_ID].setups["quick"].override(TINY_POISSON)
    result = claims()[POISSON_ID].experiment.run(setup, (0,))
    assert result.diverged == () and len(result.dnn) == len(result.hybrid) == 1
    dnn, hybrid = result.dnn[0], result.hybrid[0]
    assert dnn.seeds == hybrid.seeds == (0,) and result.jacobi.seeds == ()
    assert dnn.iterations.tolist() == list(range(0, 101, 10))
    assert np.all(np.diff(dnn.seconds) >= 0) and 0 < result.switch_seconds[0] <= dnn.seconds[-1]
    assert result.switch_seconds[0] == dnn.seconds[2]  # the clock at the switch step (20)
    assert hybrid.max_error[0] == pytest.approx(dnn.max_error[2])  # the hybrid starts from the DNN's values
    assert result.jacobi.reaches(setup.tolerance) and hybrid.reaches(setup.tolerance)
    assert dnn.energy_error[-1] < dnn.energy_error[0] and hybrid.energy_error[0] == pytest.approx(dnn.energy_error[2])
    claim = claims()[POISSON_ID]
    measurement = claim.measure(setup, result)
    sweeps = measurement.table.query("quantity == 'jacobi_convergence_sweep'")["value"].to_numpy()
    predicted = claim.predict(setup, result).table["value"].to_numpy()
    # Jacobi's peaks settle at the first check after the theory's sweep count
    np.testing.assert_array_equal(sweeps, np.ceil(predicted / setup.check_every) * setup.check_every)
    figures = claim.figures(ClaimRun(setup, (0,), result, claim.predict(setup, result), measurement))
    assert len(figures) == 1


def test_a_diverging_network_leaves_the_race_and_is_named() -> None:
    setup = claims()[POISSON_ID].setups["quick"].override({**TINY_POISSON, "hidden": [64, 64], "lr": 100.0})
    result = claims()[POISSON_ID].experiment.run(setup, (0,))
    assert result.diverged == (0,) and result.dnn == ()
    claim = claims()[POISSON_ID]
    outcome = reconcile(claim, claim.predict(setup, result), claim.measure(setup, result), (0,))
    assert outcome.verdict == "inconclusive" and "diverged" in outcome.explanation


def test_poisson_setup_validation() -> None:
    quick = claims()[POISSON_ID].setups["quick"]
    with pytest.raises(SetupError, match="switch_step"):
        quick.override({"switch_step": 30})  # not a multiple of eval_every = 25
    with pytest.raises(SetupError, match="amplitudes"):
        quick.override({"amplitudes": [1.0, 0.2]})
    with pytest.raises(SetupError, match="modes"):
        quick.override({"modes": [1, 2, 5, 10, 600]})  # beyond the 511 interior points
    with pytest.raises(SetupError, match="peak_threshold"):
        quick.override({"peak_threshold": 1.0})
    assert "peak_threshold" not in quick.experiment_data()  # an analysis choice
