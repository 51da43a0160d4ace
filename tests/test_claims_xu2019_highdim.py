"""The high-dimensional claims of Xu et al. 2019: each rule holds on a measurement that should hold and
fails on one that should fail (tiny real runs through the claims' experiments, or results built with the
empirics layer), and the softmax classifier trains through the one engine as a plain torch loop would."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch
from matplotlib.figure import Figure

from fpcheck.empirics import datasets
from fpcheck.empirics.ensemble import TrainingConfig
from fpcheck.empirics.filtered_training import train_classifier
from fpcheck.empirics.filtering import filtered_errors, gaussian_lowpass, median_squared_distance
from fpcheck.empirics.filtering_fit import FilteringFit, FilteringFitResult
from fpcheck.empirics.mlp import MLPSpec, init_ensemble, to_modules
from fpcheck.empirics.parity_fit import ParityFit, ParityFitResult
from fpcheck.empirics.projection import nonuniform_dft, projections
from fpcheck.empirics.runtime import fixed_threads
from fpcheck.reports.catalogue import claims
from fpcheck.reports.claim import ClaimRun
from fpcheck.reports.reconcile import reconcile

FILTERING_IDS = ("xu2019.filtering-digits", "xu2019.filtering-mnist1d")
IDS = (*FILTERING_IDS, "xu2019.parity")


@pytest.fixture(autouse=True)
def one_thread():
    """The tiny networks here run several times faster on one thread (and on a shared machine much more)."""
    with fixed_threads(1):
        yield


def verdict(claim_id: str, setup, result):
    claim = claims()[claim_id]
    return reconcile(claim, claim.predict(setup, result), claim.measure(setup, result), result.seeds)


def run_claim(claim_id: str, changes: dict) -> str:
    """The claim's experiment on its quick setup with `changes`, measured, reconciled and drawn."""
    claim = claims()[claim_id]
    setup = claim.setups["quick"].override(changes)
    seeds = tuple(range(setup.seeds))
    result = claim.experiment.run(setup, seeds)
    prediction, measurement = claim.predict(setup, result), claim.measure(setup, result)
    figures = claim.figures(ClaimRun(setup, seeds, result, prediction, measurement))
    assert figures and all(isinstance(figure, Figure) for figure in figures)
    return reconcile(claim, prediction, measurement, seeds).verdict


def test_filtering_setups_name_their_data_and_deltas() -> None:
    digits, mnist1d = (claims()[claim_id] for claim_id in FILTERING_IDS)
    assert digits.setups["quick"].dataset == digits.setups["paper"].dataset == "digits"
    assert mnist1d.setups["quick"].dataset == mnist1d.setups["paper"].dataset == "mnist1d"
    paper = digits.setups["paper"].delta_ratios
    assert len(paper) == 20 and paper[0] == 0.1 and paper[-1] == 1.0 and np.all(np.diff(paper) > 0)
    assert "threshold" not in digits.setups["quick"].experiment_data()  # an analysis choice


# ------------------------------------------------------------------------------------------------
# filtering


def test_classifier_trains_through_the_engine_like_a_plain_loop() -> None:
    """Oracle: each seed's network as a torch.nn.Sequential, torch.optim.Adam (unfused) on cross entropy."""
    rng = np.random.default_rng(0)
    data = datasets.LabelledData(rng.normal(size=(60, 5)), rng.integers(0, 3, 60), 3)
    spec, seeds, snapshots = MLPSpec((5, 12, 3), "tanh"), (0, 4), (0, 1, 10, 40)
    run = train_classifier(spec, seeds, data, TrainingConfig(steps=40, lr=0.01, snapshot_steps=snapshots,
                                                             progress=False))
    x, labels = torch.tensor(data.inputs, dtype=torch.float32), torch.tensor(data.labels)
    for member, module in enumerate(to_modules(spec, init_ensemble(spec, seeds))):
        optimizer = torch.optim.Adam(module.parameters(), lr=0.01)
        for step in range(41):
            logits = module(x)
            if step in snapshots:
                expected = torch.softmax(logits.detach(), dim=-1).double().numpy()
                got = run.outputs["train"][snapshots.index(step), member]
                np.testing.assert_allclose(got, expected, rtol=0, atol=2e-5)
            loss = torch.nn.functional.cross_entropy(logits, labels)
            assert run.loss[step, member] == pytest.approx(float(loss.detach()), rel=1e-4)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    assert np.all(run.loss[-1] < 0.8 * run.loss[0]) and not run.diverged


def test_filtering_digits_holds_on_a_tiny_real_run() -> None:
    changes = {"seeds": 2, "hidden": [32, 32], "steps": 120, "lr": 0.006, "snapshots": 12, "delta_ratios": [0.1, 1.0]}
    assert run_claim("xu2019.filtering-digits", changes) == "agree"


def test_filtering_mnist1d_holds_on_a_tiny_real_run() -> None:
    changes = {"seeds": 2, "hidden": [32, 32], "steps": 200, "lr": 0.015, "snapshots": 12, "delta_ratios": [0.3]}
    assert run_claim("xu2019.filtering-mnist1d", changes) == "agree"


def synthetic_filtering_result(data: datasets.LabelledData, ratio: float, low_first: bool) -> FilteringFitResult:
    """A 'network' whose output moves from 0 to y one part at a time: the low part first or the high part first."""
    deltas = np.array([ratio]) * median_squared_distance(data.inputs)
    target = data.one_hot
    low = gaussian_lowpass(data.inputs, target, deltas)[0]
    steps = np.arange(0, 101, 10)
    fast, slow = np.minimum(1.0, steps / 20), steps / 100
    a, b = (fast, slow) if low_first else (slow, fast)
    outputs = (a[:, None, None] * low + b[:, None, None] * (target - low))[:, None]  # (T, 1 seed, n, c)
    return filtering_result(data, outputs, deltas, steps)


def filtering_result(data: datasets.LabelledData, outputs: np.ndarray, deltas: np.ndarray, steps: np.ndarray,
                     final_residual: float = 0.1) -> FilteringFitResult:
    """A result of hand-made outputs (T, S, n, c), filtered at `deltas` by the empirics layer."""
    target = data.one_hot
    errors = filtered_errors(data.inputs, target, outputs, deltas)
    members = outputs.shape[1]
    return FilteringFitResult(seeds=tuple(range(members)), steps=steps, deltas=deltas, e_low=errors.e_low,
                              e_high=errors.e_high, train_accuracy=np.ones(members), diverged=(),
                              final_residual=np.full(members, final_residual),
                              target_low_fraction=errors.target_low_norm / np.linalg.norm(target),
                              inputs=data.inputs, target=target, outputs=outputs.astype(np.float32),
                              median_distance=median_squared_distance(data.inputs))


@pytest.mark.parametrize("claim_id", FILTERING_IDS)
def test_filtering_rule_fails_when_high_frequencies_come_first(claim_id: str) -> None:
    data = datasets.digits()
    setup = replace(claims()[claim_id].setups["quick"], seeds=1, delta_ratios=(0.3,))
    held = verdict(claim_id, setup, synthetic_filtering_result(data, 0.3, low_first=True))
    assert held.verdict == "agree"
    failed = verdict(claim_id, setup, synthetic_filtering_result(data, 0.3, low_first=False))
    assert failed.verdict == "diverge"


def test_a_part_already_near_its_target_at_step_0_does_not_count_as_converged() -> None:
    """Version 1 counted e_low < 0.5 at step 0 (the nearly uniform softmax is close to y^low at large δ) as low
    first; an e_low that starts at 0.4 and never halves, against an e_high that halves at once, is high first."""
    claim_id = "xu2019.filtering-digits"
    setup = replace(claims()[claim_id].setups["quick"], seeds=1, delta_ratios=(1.0,))
    e_low = np.array([0.4, 0.38, 0.35, 0.33, 0.3])[None, :, None]  # (1 δ, 5 snapshots, 1 seed)
    e_high = np.array([1.0, 0.45, 0.3, 0.2, 0.1])[None, :, None]
    result = FilteringFitResult(seeds=(0,), steps=np.arange(5) * 10, deltas=np.ones(1), e_low=e_low, e_high=e_high,
                                train_accuracy=np.ones(1), final_residual=np.full(1, 0.1),
                                target_low_fraction=np.ones(1), diverged=(), inputs=np.zeros((2, 1)),
                                target=np.eye(2), outputs=np.zeros((5, 1, 2, 2), dtype=np.float32),
                                median_distance=1.0)
    assert verdict(claim_id, setup, result).verdict == "diverge"
    low_first = replace(result, e_low=np.array([0.4, 0.15, 0.1, 0.05, 0.03])[None, :, None],
                        e_high=np.array([1.0, 0.8, 0.45, 0.2, 0.1])[None, :, None])
    assert verdict(claim_id, setup, low_first).verdict == "agree"  # e_low halves at snapshot 1, e_high at 2


def test_a_classifier_that_did_not_fit_is_undetermined() -> None:
    data = datasets.digits()
    setup = replace(claims()["xu2019.filtering-digits"].setups["quick"], seeds=1, delta_ratios=(0.3,))
    fitted = synthetic_filtering_result(data, 0.3, low_first=True)
    unfitted = replace(fitted, final_residual=np.array([0.8]))
    assert verdict("xu2019.filtering-digits", setup, fitted).verdict == "agree"
    outcome = verdict("xu2019.filtering-digits", setup, unfitted)
    assert outcome.verdict == "inconclusive" and "fit criterion" in outcome.explanation


def test_delta_scale_refilters_the_stored_outputs() -> None:
    """The sensitivity to δ: measuring at delta_scale 2 equals measuring outputs filtered at 2 δ from the start."""
    data = datasets.digits()
    claim = claims()["xu2019.filtering-digits"]
    deltas = np.array([0.2, 0.5]) * median_squared_distance(data.inputs)
    rng = np.random.default_rng(0)
    steps = np.arange(0, 60, 10)
    mix = np.linspace(0, 1, steps.size)[:, None, None, None] ** rng.uniform(0.5, 2, size=(1, 2, 1, 1))
    outputs = (1 - mix) * 0.1 + mix * data.one_hot  # (T, 2 seeds, n, c)
    scaled = claim.setups["quick"].override({"delta_ratios": [0.2, 0.5], "delta_scale": 2.0, "seeds": 2})
    direct = claim.setups["quick"].override({"delta_ratios": [0.4, 1.0], "seeds": 2})
    got = claim.measure(scaled, filtering_result(data, outputs, deltas, steps)).table
    expected = claim.measure(direct, filtering_result(data, outputs, 2 * deltas, steps)).table
    np.testing.assert_allclose(got["value"].to_numpy(dtype=float), expected["value"].to_numpy(dtype=float),
                               rtol=1e-5)
    np.testing.assert_allclose(got["x"].to_numpy(dtype=float), expected["x"].to_numpy(dtype=float), rtol=1e-12)


def test_controls_train_on_the_high_weighted_loss_of_the_claims_filter() -> None:
    from fpcheck.empirics.filtered_training import training_loss
    from fpcheck.empirics.filtering import lowpass_matrix
    from fpcheck.empirics.losses import HighPassPenalty, MeanSquaredError, SoftmaxCrossEntropy

    claim, data = claims()["xu2019.filtering-digits"], datasets.digits()
    assert isinstance(training_loss(claim.setup_for("quick"), data), SoftmaxCrossEntropy)
    assert isinstance(training_loss(claim.setup_for("quick", "gd-mse"), data), MeanSquaredError)
    control = claim.setup_for("quick", "high-weighted-gd")
    loss = training_loss(control, data)
    assert isinstance(loss, HighPassPenalty) and loss.alpha == control.high_weight > 0
    assert control.high_weight_delta in control.delta_ratios and control.optimizer == "gd"
    expected = np.eye(data.inputs.shape[0]) - lowpass_matrix(
        data.inputs, control.high_weight_delta * median_squared_distance(data.inputs))
    np.testing.assert_allclose(loss.highpass.numpy(), expected, atol=1e-6)
    mnist1d = claims()["xu2019.filtering-mnist1d"]
    assert not mnist1d.controls and "403 s" in mnist1d.uncontrolled


def test_diverging_classifier_is_inconclusive_with_its_reason() -> None:
    claim = claims()["xu2019.filtering-digits"]
    # relu layers multiply Adam's large steps: the loss exceeds 10^6 × its initial value (the engine's rule)
    setup = claim.setups["quick"].override({"seeds": 2, "hidden": [16, 16], "activation": "relu", "steps": 30,
                                            "lr": 100.0, "snapshots": 4})
    result = claim.experiment.run(setup, (0, 1))
    assert result.diverged == (0, 1) and np.isnan(result.e_low).all() and np.isnan(result.train_accuracy).all()
    measurement = claim.measure(setup, result)
    outcome = reconcile(claim, claim.predict(setup, result), measurement, (0, 1))
    assert outcome.verdict == "inconclusive" and "diverged" in outcome.explanation
    claim.figures(ClaimRun(setup, (0, 1), result, claim.predict(setup, result), measurement))  # NaN curves draw


# ------------------------------------------------------------------------------------------------
# parity


TINY_PARITY = {"seeds": 3, "bits": 8, "hidden": [64, 64], "steps": 300, "lr": 0.005, "frequency_points": 41}


def test_parity_holds_on_a_tiny_real_run() -> None:
    assert run_claim("xu2019.parity", TINY_PARITY) == "agree"


def test_parity_fails_for_a_network_that_learnt_the_parity() -> None:
    """A network equal to the parity on the whole cube generalises and has no spurious low frequencies."""
    setup = claims()["xu2019.parity"].setups["quick"].override(TINY_PARITY)
    k = setup.frequencies
    points, labels = datasets.parity_cube(8)
    t = projections(points, np.ones(8))
    full = nonuniform_dft(t, labels, k)
    seeds = (0, 1, 2)
    halves = [datasets.training_half(labels.size, seed) for seed in seeds]
    train = np.array([nonuniform_dft(t[half], labels[half], k) for half in halves])
    perfect = ParityFitResult(seeds=seeds, full_spectrum=full, train_spectrum=train,
                              network_spectrum=np.tile(full, (3, 1)), train_accuracy=np.ones(3),
                              test_accuracy=np.ones(3), diverged=())
    assert verdict("xu2019.parity", setup, perfect).verdict == "diverge"
    # the same spectra with the accuracies of a memorising network still fail: the network has no aliasing
    memorising = replace(perfect, test_accuracy=np.full(3, 0.5))
    assert verdict("xu2019.parity", setup, memorising).verdict == "diverge"
    # and a network that carries the training half's spectrum to the cube, with those accuracies, agrees
    aliased = replace(memorising, network_spectrum=train, test_accuracy=np.full(3, 0.4))
    assert verdict("xu2019.parity", setup, aliased).verdict == "agree"


def test_parity_control_generalises_on_a_tiny_real_run() -> None:
    """The one-bit target (y = x_1) is low frequency: the same tiny networks generalise and nothing aliases."""
    assert run_claim("xu2019.parity", {**TINY_PARITY, "degree": 1}) == "diverge"


def test_parity_network_that_did_not_fit_is_undetermined() -> None:
    setup = claims()["xu2019.parity"].setups["quick"].override(TINY_PARITY)
    points, labels = datasets.parity_cube(8)
    t = projections(points, np.ones(8))
    k = setup.frequencies
    halves = [datasets.training_half(labels.size, seed) for seed in (0, 1, 2)]
    train = np.array([nonuniform_dft(t[half], labels[half], k) for half in halves])
    aliased = ParityFitResult(seeds=(0, 1, 2), full_spectrum=nonuniform_dft(t, labels, k), train_spectrum=train,
                              network_spectrum=train, train_accuracy=np.ones(3), test_accuracy=np.full(3, 0.4),
                              diverged=())
    assert verdict("xu2019.parity", setup, aliased).verdict == "agree"
    outcome = verdict("xu2019.parity", setup, replace(aliased, train_accuracy=np.full(3, 0.9)))
    assert outcome.verdict == "inconclusive" and "fit criterion" in outcome.explanation


def test_parity_prediction_is_the_direct_sum_over_the_cube() -> None:
    claim = claims()["xu2019.parity"]
    setup = claim.setups["quick"]
    points, labels = datasets.parity_cube(setup.bits)
    t = points.sum(axis=1) / np.sqrt(setup.bits)
    direct = np.exp(-2j * np.pi * setup.frequencies[:, None] * t[None]) @ labels / labels.size
    table = claim.predict(setup, None).table
    for part, values in (("re", direct.real), ("im", direct.imag)):
        rows = table.query(f"quantity == 'cube_spectrum_theory_{part}'")
        np.testing.assert_allclose(rows["x"], setup.frequencies)
        np.testing.assert_allclose(rows["value"], values, rtol=0, atol=1e-12)


def test_bad_setups_are_refused() -> None:
    from fpcheck.errors import SetupError

    with pytest.raises(SetupError, match="delta_ratios"):
        FilteringFit(delta_ratios=(0.3, 0.0))
    with pytest.raises(SetupError, match="dataset"):
        FilteringFit(dataset="cifar10")
    with pytest.raises(SetupError, match="snapshots"):
        FilteringFit(snapshots=1)
    with pytest.raises(SetupError, match="bits"):
        ParityFit(bits=0)
    with pytest.raises(SetupError, match="low_band_fraction"):
        ParityFit(low_band_fraction=1.5)
