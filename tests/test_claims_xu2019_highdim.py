"""The high-dimensional claims of Xu et al. 2019: each rule holds on a measurement that should hold and
fails on one that should fail (tiny real runs, or trajectories built with the empirics layer)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch

from empirics import datasets
from empirics.filtered_training import FilteringRun
from empirics.filtering import filtered_errors, gaussian_lowpass, median_squared_distance
from empirics.image_fit import ImageFitRun, band_errors, radial_bands
from empirics.parity import ParityRun
from empirics.poisson import History, PoissonProblem, Race, run_jacobi
from empirics.snapshots import first_below
from reports.catalogue import claims
from reports.claims import xu2019_highdim as highdim
from reports.reconcile import reconcile

IDS = (
    "xu2019.filtering-digits",
    "xu2019.filtering-mnist1d",
    "xu2019.parity",
    "xu2019.image-coarse-to-fine",
    "xu2019.poisson-jacobi-dnn",
)


@pytest.fixture(autouse=True)
def one_torch_thread():
    """The tiny networks here run several times faster on one thread (and on a shared machine much more)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def verdict(claim_id: str, params: dict, measurement, seeds) -> str:
    claim = claims()[claim_id]
    result = reconcile(claim, claim.predict(params, seeds), measurement, seeds)
    return result.verdict


def run_claim(claim_id: str, params: dict) -> str:
    claim = claims()[claim_id]
    seeds = list(range(params["seeds"]))
    measurement = claim.measure(params, seeds)
    figures = claim.figures(claim.predict(params, seeds), measurement, params)
    assert figures, "every claim draws a figure"
    return verdict(claim_id, params, measurement, seeds)


def test_registered_with_both_profiles():
    catalogue = claims()
    for claim_id in IDS:
        claim = catalogue[claim_id]
        assert claim.expected == "agree" and claim.version == 1
        assert set(claim.setup) == {"quick", "paper"}
        assert "arXiv:1901.06523" in claim.source


# ------------------------------------------------------------------------------------------------
# filtering


def synthetic_filtering_run(data: datasets.LabelledData, ratios: list[float], low_first: bool) -> FilteringRun:
    """A 'network' whose output moves from 0 to y, one part at a time: the low part first or the high part first."""
    deltas = np.asarray(ratios) * median_squared_distance(data.inputs)
    target = data.one_hot
    low = gaussian_lowpass(data.inputs, target, deltas[:1])[0]
    high = target - low
    steps = np.arange(0, 101, 10)
    fast, slow = np.minimum(1.0, steps / 20), steps / 100
    a, b = (fast, slow) if low_first else (slow, fast)
    outputs = (a[:, None, None] * low + b[:, None, None] * high)[:, None]  # (T, 1 seed, n, c)
    errors = filtered_errors(data.inputs, target, outputs, deltas)
    return FilteringRun(
        seeds=(0,), steps=steps, delta_ratios=np.asarray(ratios), deltas=deltas, e_low=errors.e_low,
        e_high=errors.e_high, first_low=first_below(np.moveaxis(errors.e_low, 1, 0), 0.5),
        first_high=first_below(np.moveaxis(errors.e_high, 1, 0), 0.5), train_accuracy=np.ones(1),
        target_low_fraction=errors.target_low_norm / np.linalg.norm(target), diverged=(),
    )


TINY_FILTERING = {"seeds": 2, "hidden": [32, 32], "activation": "tanh", "steps": 120, "lr": 0.006,
                  "snapshots": 12, "delta_ratios": [0.1, 1.0], "threshold": 0.5}


def test_filtering_digits_holds_on_a_tiny_real_run():
    assert run_claim("xu2019.filtering-digits", TINY_FILTERING) == "agree"


def test_filtering_mnist1d_holds_on_a_tiny_real_run():
    params = {**TINY_FILTERING, "steps": 150, "lr": 0.01, "delta_ratios": [0.3]}
    assert run_claim("xu2019.filtering-mnist1d", params) == "agree"


@pytest.mark.parametrize("claim_id", ["xu2019.filtering-digits", "xu2019.filtering-mnist1d"])
def test_filtering_rule_fails_when_high_frequencies_come_first(claim_id):
    data = datasets.digits()
    params = {**TINY_FILTERING, "delta_ratios": [0.3]}
    held = highdim.filtering_measurement(synthetic_filtering_run(data, [0.3], low_first=True), "digits", params)
    assert verdict(claim_id, params, held, [0]) == "agree"
    failed = highdim.filtering_measurement(synthetic_filtering_run(data, [0.3], low_first=False), "digits", params)
    assert verdict(claim_id, params, failed, [0]) == "diverge"


# ------------------------------------------------------------------------------------------------
# parity


TINY_PARITY = {"seeds": 3, "bits": 8, "hidden": [64, 64], "activation": "tanh", "steps": 300, "lr": 0.005,
               "frequency_points": 41, "low_band_fraction": 0.25}


def test_parity_holds_on_a_tiny_real_run():
    assert run_claim("xu2019.parity", TINY_PARITY) == "agree"


def test_parity_fails_for_a_network_that_learnt_the_parity():
    """A network equal to the parity on the whole cube generalises and has no spurious low frequencies."""
    k, edge = highdim._parity_frequencies(TINY_PARITY)
    points, labels = datasets.parity_cube(8)
    from empirics.projection import nonuniform_dft, projections

    t = projections(points, np.ones(8))
    full = nonuniform_dft(t, labels, k)
    seeds = (0, 1, 2)
    halves = [datasets.training_half(labels.size, seed) for seed in seeds]
    train = np.array([nonuniform_dft(t[half], labels[half], k) for half in halves])
    perfect = ParityRun(8, seeds, k, k <= edge, full, train, np.tile(full, (3, 1)), np.ones(3), np.ones(3), ())
    assert verdict("xu2019.parity", TINY_PARITY, highdim.parity_measurement(perfect, edge), seeds) == "diverge"
    # the same spectra with the accuracies of a memorising network still fail: the network has no aliasing
    memorising = replace(perfect, test_accuracy=np.full(3, 0.5))
    assert verdict("xu2019.parity", TINY_PARITY, highdim.parity_measurement(memorising, edge), seeds) == "diverge"


# ------------------------------------------------------------------------------------------------
# image


TINY_IMAGE = {"seeds": 2, "image": "china.jpg", "shape": [12, 18], "hidden": [32, 32, 32], "activation": "relu",
              "steps": 600, "lr": 0.005, "snapshots": 20, "bands": 6, "threshold": 0.5}


def test_image_holds_on_a_tiny_real_run():
    assert run_claim("xu2019.image-coarse-to-fine", TINY_IMAGE) == "agree"


def test_image_fails_when_fine_details_come_first():
    image = datasets.photograph("china.jpg", (12, 18))
    bands = radial_bands(image.shape, 6)
    spectrum = np.fft.fft2(image)
    coarse = np.real(np.fft.ifft2(np.where(bands <= 2, spectrum, 0)))
    steps = np.arange(0, 101, 10)
    fitted = image - (1 - steps / 100)[:, None, None] * coarse  # the fine bands are right from the start
    errors = band_errors(fitted, image, bands)[:, None]  # (T, 1 seed, bands)
    run = ImageFitRun((0,), steps, image, fitted[:, None], errors, first_below(errors, 0.5), ())
    assert verdict("xu2019.image-coarse-to-fine", TINY_IMAGE, highdim.image_measurement(run, TINY_IMAGE), [0]) == (
        "diverge"
    )


# ------------------------------------------------------------------------------------------------
# Poisson


POISSON = {"seeds": 1, "interior_points": 63, "modes": [1, 5, 20], "amplitudes": [1.0, 0.2, 0.05],
           "tolerance": 0.01, "peak_threshold": 0.1, "hidden": [16], "activation": "tanh", "lr": 0.001,
           "dnn_steps": 100, "eval_every": 10, "switch_step": 20, "check_every": 10, "max_sweeps": 100000}


def synthetic_history(order: list[int], seconds: float, reach: bool) -> History:
    """Peak errors that settle in the given order of peaks (one per 10 iterations), over `seconds`."""
    iterations = np.arange(0, 50, 10)
    errors = np.ones((5, 3))
    for rank, peak in enumerate(order):
        errors[rank + 1 :, peak] = 0.01
    max_error = np.linspace(1.0, 0.001 if reach else 0.5, 5)
    return History(iterations, np.linspace(0, seconds, 5), max_error, errors)


def poisson_verdict(race: Race) -> str:
    problem = PoissonProblem(63, (1, 5, 20), (1.0, 0.2, 0.05))
    return verdict("xu2019.poisson-jacobi-dnn", POISSON, highdim.poisson_measurement(race, problem, POISSON), [0])


def test_poisson_holds_and_fails():
    problem = PoissonProblem(63, (1, 5, 20), (1.0, 0.2, 0.05))
    jacobi = run_jacobi(problem, np.zeros(63), 0.01, 10, 100000)  # a real Jacobi run: highest peak first
    jacobi = replace(jacobi, seconds=jacobi.seconds * 0 + np.linspace(0, 2.0, jacobi.seconds.size))
    dnn = synthetic_history([0, 1, 2], seconds=3.0, reach=False)  # lowest first, never within tolerance
    fast_hybrid = synthetic_history([2, 1, 0], seconds=0.2, reach=True)
    holds = Race(jacobi, {0: dnn}, {0: fast_hybrid}, {0: 0.3}, ())
    assert poisson_verdict(holds) == "agree"
    # a DNN that converged its highest peak first (like Jacobi) breaks the prediction
    jacobi_like_dnn = synthetic_history([2, 1, 0], seconds=3.0, reach=False)
    assert poisson_verdict(replace(holds, dnn={0: jacobi_like_dnn})) == "diverge"
    # so does a hybrid slower than Jacobi alone (switched too late: 2.5 s of DNN before Jacobi)
    assert poisson_verdict(replace(holds, switch_seconds={0: 2.5})) == "diverge"
