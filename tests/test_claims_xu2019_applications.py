"""The application claims of Xu et al. 2019 (a photograph, the Poisson equation): each rule holds on a
measurement that should hold and fails on one that should fail (tiny real runs through the claims'
experiments, or results built with the empirics layer)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from matplotlib.figure import Figure

from fpcheck.empirics import datasets
from fpcheck.empirics.image_family import ImageFitResult, band_errors, radial_bands
from fpcheck.empirics.poisson import PoissonProblem, run_jacobi
from fpcheck.empirics.poisson_race import History, PoissonRaceResult
from fpcheck.empirics.runtime import fixed_threads
from fpcheck.errors import SetupError
from fpcheck.reports.catalogue import claims
from fpcheck.reports.claim import ClaimRun
from fpcheck.reports.reconcile import reconcile

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


def test_image_fails_when_fine_details_come_first() -> None:
    setup = claims()[IMAGE_ID].setups["quick"].override(TINY_IMAGE)
    image = datasets.photograph("china.jpg", (12, 18))
    bands = radial_bands(image.shape, 6)
    spectrum = np.fft.fft2(image)
    coarse = np.real(np.fft.ifft2(np.where(bands <= 2, spectrum, 0)))
    steps = np.arange(0, 101, 10)
    fitted = image - (1 - steps / 100)[:, None, None] * coarse  # the fine bands are right from the start
    errors = band_errors(fitted, image, bands)[:, None]  # (T, 1 seed, bands)
    result = ImageFitResult(seeds=(0,), steps=steps, image=image, fitted=fitted[:, None], band_errors=errors,
                            diverged=())
    assert verdict(IMAGE_ID, setup, result) == "diverge"
    # band b's part of the residual decaying over 15 (b + 1) steps: the bands converge in order
    parts = np.stack([np.real(np.fft.ifft2(np.where(bands == b, spectrum, 0))) for b in range(6)])
    scales = np.clip(1 - steps[:, None] / (15 * np.arange(1, 7))[None], 0, 1)  # (T, bands)
    in_order = image - np.einsum("tb,brc->trc", scales, parts)
    errors = band_errors(in_order - image, image, bands)
    np.testing.assert_allclose(errors, scales, atol=1e-12)
    assert verdict(IMAGE_ID, setup, replace(result, fitted=in_order[:, None], band_errors=errors[:, None])) == "agree"


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
PROBLEM = PoissonProblem(63, (1, 5, 20), (1.0, 0.2, 0.05))


def synthetic_history(order: list[int], seconds: float, reach: bool, seed: int = 0) -> History:
    """Peak errors that settle in the given order of peaks (one per 10 iterations), over `seconds`."""
    iterations = np.arange(0, 50, 10)
    errors = np.ones((5, 3))
    for rank, peak in enumerate(order):
        errors[rank + 1 :, peak] = 0.01
    max_error = np.linspace(1.0, 0.001 if reach else 0.5, 5)
    return History(seeds=(seed,), iterations=iterations, seconds=np.linspace(0, seconds, 5), max_error=max_error,
                   peak_errors=errors)


def test_poisson_holds_and_fails() -> None:
    setup = claims()[POISSON_ID].setups["quick"].override(TINY_POISSON)
    jacobi = run_jacobi(PROBLEM, np.zeros(63), 0.01, 10, 100000)  # a real Jacobi run: highest peak first
    jacobi = replace(jacobi, seconds=np.linspace(0, 2.0, jacobi.seconds.size))
    dnn = synthetic_history([0, 1, 2], seconds=3.0, reach=False)  # lowest first, never within tolerance
    fast_hybrid = synthetic_history([2, 1, 0], seconds=0.2, reach=True)
    holds = PoissonRaceResult(seeds=(0,), jacobi=jacobi, dnn=(dnn,), hybrid=(fast_hybrid,),
                              switch_seconds=np.array([0.3]), diverged=())
    assert verdict(POISSON_ID, setup, holds) == "agree"
    # a DNN that converged its highest peak first (like Jacobi) breaks the prediction
    jacobi_like_dnn = synthetic_history([2, 1, 0], seconds=3.0, reach=False)
    assert verdict(POISSON_ID, setup, replace(holds, dnn=(jacobi_like_dnn,))) == "diverge"
    # so does a hybrid slower than Jacobi alone (switched too late: 2.5 s of DNN before Jacobi)
    assert verdict(POISSON_ID, setup, replace(holds, switch_seconds=np.array([2.5]))) == "diverge"


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
        quick.override({"modes": [1, 5, 600]})  # beyond the 511 interior points
    with pytest.raises(SetupError, match="peak_threshold"):
        quick.override({"peak_threshold": 1.0})
    assert "peak_threshold" not in quick.experiment_data()  # an analysis choice
