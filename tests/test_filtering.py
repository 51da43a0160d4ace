"""The filtering method: tiled float32 kernel sums against an explicit pairwise oracle (scipy cdist), and the
filtering experiment's errors at initialisation against the oracle applied to the initial networks."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.distance import cdist, pdist

from fpcheck.empirics import datasets
from fpcheck.empirics.filtering import (
    filtered_errors,
    gaussian_lowpass,
    gaussian_lowpass_dense,
    median_squared_distance,
)
from fpcheck.empirics.filtering_fit import FilteringFit, first_crossings


def oracle_lowpass(x: np.ndarray, values: np.ndarray, deltas) -> np.ndarray:
    """v^low_i = Σ_j G(x_i - x_j) v_j / Σ_j G(x_i - x_j), distances from scipy in float64, one δ at a time."""
    distances = cdist(x, x, "sqeuclidean")
    result = []
    for delta in deltas:
        kernel = np.exp(-distances / (2 * delta))
        result.append(kernel @ values / kernel.sum(axis=1, keepdims=True))
    return np.stack(result)


@pytest.fixture
def data():
    rng = np.random.default_rng(7)
    x = rng.normal(size=(203, 9)) + 3.0  # an offset mean: centring must not change the distances
    values = rng.normal(size=(203, 4))
    deltas = np.array([0.3, 2.0, 15.0]) * np.median(pdist(x, "sqeuclidean"))
    return x, values, deltas


@pytest.mark.parametrize("tile", [1, 16, 64, 203, 512])
def test_tiled_kernel_sums_equal_the_oracle(data, tile):
    x, values, deltas = data
    expected = oracle_lowpass(x, values, deltas)
    got = gaussian_lowpass(x, values, deltas, tile=tile)
    assert got.shape == (3, 203, 4)
    # float32 kernel values: relative error ~1e-6 of the values' scale
    np.testing.assert_allclose(got, expected, rtol=0, atol=2e-5 * np.abs(values).max())


def test_float32_input_and_dense_reference(data):
    x, values, deltas = data
    expected = oracle_lowpass(x, values, deltas)
    np.testing.assert_allclose(gaussian_lowpass_dense(x, values, deltas), expected, rtol=1e-10, atol=1e-12)
    got = gaussian_lowpass(x.astype(np.float32), values[:, 0], deltas, tile=50)
    np.testing.assert_allclose(got[..., 0], expected[..., 0], rtol=0, atol=1e-4)


def test_limits_of_delta(data):
    x, values, _ = data
    # δ → 0: only the point itself has weight, y^low = y; δ → ∞: y^low = the mean of y
    tiny = gaussian_lowpass(x, values, [1e-6])[0]
    np.testing.assert_allclose(tiny, values, atol=1e-12)
    huge = gaussian_lowpass(x, values, [1e9])[0]
    np.testing.assert_allclose(huge, np.broadcast_to(values.mean(axis=0), values.shape), atol=1e-5)


def test_filtered_errors_against_the_definition(data):
    x, _, deltas = data
    rng = np.random.default_rng(3)
    target = np.eye(5)[rng.integers(0, 5, x.shape[0])]
    outputs = target + 0.3 * rng.normal(size=(2, 3, *target.shape))  # (snapshots, seeds, n, c)
    errors = filtered_errors(x, target, outputs, deltas, tile=37)
    low_target = oracle_lowpass(x, target, deltas)
    for d in range(len(deltas)):
        for t in range(2):
            for s in range(3):
                low_output = oracle_lowpass(x, outputs[t, s], deltas[d : d + 1])[0]
                e_low = np.linalg.norm(low_output - low_target[d]) / np.linalg.norm(low_target[d])
                high = (outputs[t, s] - low_output) - (target - low_target[d])
                e_high = np.linalg.norm(high) / np.linalg.norm(target - low_target[d])
                assert errors.e_low[d, t, s] == pytest.approx(e_low, rel=1e-4)
                assert errors.e_high[d, t, s] == pytest.approx(e_high, rel=1e-4)
    assert errors.e_low.shape == (3, 2, 3)
    exact = filtered_errors(x, target, target[None], deltas)
    np.testing.assert_allclose(exact.e_low, 0.0, atol=1e-12)
    np.testing.assert_allclose(exact.e_high, 0.0, atol=1e-12)


def test_median_squared_distance_is_exact(data):
    x, _, _ = data
    assert median_squared_distance(x, tile=17) == pytest.approx(np.median(pdist(x, "sqeuclidean")), rel=1e-12)


def test_bad_input_is_rejected(data):
    x, values, deltas = data
    with pytest.raises(ValueError, match="δ"):
        gaussian_lowpass(x, values, [1.0, 0.0])
    with pytest.raises(ValueError, match="δ"):
        gaussian_lowpass(x, values, [np.nan])
    bad = x.copy()
    bad[3, 2] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        gaussian_lowpass(bad, values, deltas)
    with pytest.raises(ValueError, match="values"):
        gaussian_lowpass(x, values[:-1], deltas)
    with pytest.raises(ValueError, match="undefined"):
        filtered_errors(x, values, values[None], [1e-9])  # y^high vanishes


def test_filtering_experiment_at_initialisation_against_the_oracle():
    """Step 0 of the experiment is the initial network: its e_low/e_high equal the oracle's on the softmax
    output of the same networks built as torch.nn.Sequential (`to_modules`), on the digits."""
    torch = pytest.importorskip("torch")
    from fpcheck.empirics.filtered_training import filtering_fit
    from fpcheck.empirics.mlp import MLPSpec, init_ensemble, to_modules

    setup = FilteringFit(dataset="digits", hidden=(8,), steps=3, lr=1e-3, snapshots=2, delta_ratios=(0.3, 1.0),
                         seeds=2)
    result = filtering_fit(setup, (0, 5))
    data = datasets.digits()
    assert result.steps.tolist() == [0, 1, 3] and result.diverged == ()
    median = np.median(pdist(data.inputs, "sqeuclidean"))
    np.testing.assert_allclose(result.deltas, np.array([0.3, 1.0]) * median, rtol=1e-12)
    target = data.one_hot
    low_target = oracle_lowpass(data.inputs, target, result.deltas)
    np.testing.assert_allclose(result.target_low_fraction,
                               np.linalg.norm(low_target, axis=(1, 2)) / np.linalg.norm(target), rtol=1e-5)
    modules = to_modules(MLPSpec((64, 8, 10), "tanh"), init_ensemble(MLPSpec((64, 8, 10), "tanh"), (0, 5)))
    x = torch.tensor(data.inputs, dtype=torch.float32)
    for member, module in enumerate(modules):
        with torch.no_grad():
            h = torch.softmax(module(x), dim=-1).double().numpy()
        low_h = oracle_lowpass(data.inputs, h, result.deltas)
        for d in range(2):
            e_low = np.linalg.norm(low_h[d] - low_target[d]) / np.linalg.norm(low_target[d])
            e_high = np.linalg.norm((h - low_h[d]) - (target - low_target[d])) / np.linalg.norm(target - low_target[d])
            assert result.e_low[d, 0, member] == pytest.approx(e_low, rel=1e-4)
            assert result.e_high[d, 0, member] == pytest.approx(e_high, rel=1e-4)
    assert np.all((result.train_accuracy >= 0) & (result.train_accuracy <= 1))


def small_result(e_low: np.ndarray, e_high: np.ndarray, diverged: tuple[int, ...] = ()):
    from fpcheck.empirics.filtering_fit import FilteringFitResult

    deltas, snapshots, members = e_low.shape
    return FilteringFitResult(seeds=tuple(range(members)), steps=np.arange(snapshots) * 5, deltas=np.ones(deltas),
                              e_low=e_low, e_high=e_high, train_accuracy=np.ones(members),
                              final_residual=np.full(members, 0.1), target_low_fraction=np.ones(deltas),
                              diverged=diverged, inputs=np.zeros((2, 1)), target=np.eye(2),
                              outputs=np.zeros((snapshots, members, 2, 2), dtype=np.float32), median_distance=1.0)


def test_first_crossings_are_relative_to_the_initial_error_and_skip_diverged_seeds():
    from fpcheck.empirics.filtering_fit import measure_filtering

    e_low = np.array([[[0.9, np.nan, 0.4], [0.4, np.nan, 0.35], [0.1, np.nan, 0.3]]])  # (1 δ, 3 snapshots, 3 seeds)
    e_high = np.array([[[0.9, np.nan, 0.9], [0.8, np.nan, 0.4], [0.3, np.nan, 0.3]]])
    low, high = first_crossings(e_low[:, :, [0, 2]], e_high[:, :, [0, 2]], 0.5)
    # seed 2's e_low starts below 0.5 but never halves (T = 3); its e_high halves at snapshot 1
    assert low.tolist() == [[1, 3]] and high.tolist() == [[2, 1]]
    table = measure_filtering(FilteringFit(delta_ratios=(1.0,), threshold=0.5),
                              small_result(e_low, e_high, diverged=(1,))).table
    ahead = table.query("quantity == 'snapshots_ahead'")
    assert ahead["seed"].tolist() == [0, 2] and ahead["value"].tolist() == [1, -2]


def test_lowpass_matrix_is_the_filter(data):
    from fpcheck.empirics.filtering import lowpass_matrix

    x, values, deltas = data
    matrix = lowpass_matrix(x, deltas[0])
    np.testing.assert_allclose(matrix @ values, oracle_lowpass(x, values, deltas[:1])[0], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(matrix.sum(axis=1), 1.0, rtol=1e-12)


def test_high_pass_penalty_against_its_definition():
    torch = pytest.importorskip("torch")
    from fpcheck.empirics.losses import HighPassPenalty, MeanSquaredError, SoftmaxCrossEntropy

    rng = np.random.default_rng(3)
    lowpass = rng.random((7, 7))
    lowpass /= lowpass.sum(axis=1, keepdims=True)
    target = np.eye(3)[rng.integers(0, 3, 7)]
    outputs = rng.normal(size=(2, 7, 3))
    g, y, f = (torch.tensor(a, dtype=torch.float32) for a in (lowpass, target, outputs))
    for base, recorded in ((MeanSquaredError(), outputs),
                           (SoftmaxCrossEntropy(), np.exp(outputs) / np.exp(outputs).sum(-1, keepdims=True))):
        targets = y[None].expand(2, 7, 3) if isinstance(base, MeanSquaredError) else \
            torch.tensor(target.argmax(1), dtype=torch.float32)[None, :, None].expand(2, 7, 1)
        got = HighPassPenalty(base, g, y, alpha=2.5)(f, targets).numpy()
        high = (recorded - target) - np.einsum("ij,sjc->sic", lowpass, recorded - target)
        expected = base(f, targets).numpy() + 2.5 * np.mean(high**2, axis=(1, 2))
        np.testing.assert_allclose(got, expected, rtol=1e-5)
        assert np.array_equal(HighPassPenalty(base, g, y, alpha=0.0)(f, targets).numpy(), base(f, targets).numpy())
    with pytest.raises(ValueError):
        HighPassPenalty(MeanSquaredError(), g, y, alpha=-1.0)


def test_part_rates_against_the_explicit_kernel():
    """Oracle: the NTK formed from the full Jacobian (torch.func.jacrev), the rates and W's top eigenvalue of K W
    from numpy."""
    torch = pytest.importorskip("torch")
    from torch.func import functional_call, jacrev

    from fpcheck.empirics.filtered_training import part_rates
    from fpcheck.empirics.filtering import lowpass_matrix
    from fpcheck.empirics.mlp import MLPSpec, init_ensemble, to_modules
    from fpcheck.empirics.runtime import fixed_threads

    rng = np.random.default_rng(5)
    x, target = rng.normal(size=(30, 4)), np.eye(3)[rng.integers(0, 3, 30)]
    lowpass, spec, alpha = lowpass_matrix(x, 2.0), MLPSpec((4, 6, 3), "tanh"), 4.0
    with fixed_threads(1):  # the tiny products run far faster on one thread
        rates = part_rates(spec, (3,), x, target, lowpass, alpha, iterations=80)
    high_pass = np.eye(30) - lowpass
    weight = np.kron(np.eye(30) + alpha * high_pass.T @ high_pass, np.eye(3))  # on the (point, class) flattening
    for member, module in enumerate(to_modules(spec, init_ensemble(spec, (3,)))):
        module = module.double()
        params = {name: p.detach() for name, p in module.named_parameters()}
        jacobian = jacrev(lambda p, module=module: functional_call(module, p, (torch.tensor(x),)))(params)
        flat = torch.cat([j.reshape(90, -1) for j in jacobian.values()], dim=1).numpy()
        kernel = flat @ flat.T
        residual = (functional_call(module, params, (torch.tensor(x),)).detach().numpy() - target).ravel()
        for name, part in (("low", np.kron(lowpass, np.eye(3))), ("high", np.kron(high_pass, np.eye(3)))):
            r = part @ residual
            assert rates[name][member] == pytest.approx(r @ part @ kernel @ weight @ residual / (r @ r), rel=1e-8)
        assert rates["largest"][member] == pytest.approx(np.max(np.abs(np.linalg.eigvals(kernel @ weight))), rel=1e-4)
