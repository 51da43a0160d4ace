"""The filtering method: tiled float32 kernel sums against an explicit pairwise oracle (scipy cdist)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.distance import cdist, pdist

from empirics.filtering import (
    filtered_errors,
    gaussian_lowpass,
    gaussian_lowpass_dense,
    median_squared_distance,
)


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
