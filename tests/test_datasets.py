"""The bundled and generated data sets: shapes, ranges, determinism, no side effects."""

from __future__ import annotations

import numpy as np
import pytest

from fpcheck.empirics import datasets


def test_digits():
    data = datasets.digits()
    assert data.inputs.shape == (1797, 64) and data.inputs.min() == 0.0 and data.inputs.max() == 1.0
    assert data.one_hot.shape == (1797, 10) and np.all(data.one_hot.argmax(axis=1) == data.labels)
    with pytest.raises(ValueError):
        data.inputs[0, 0] = 1.0  # the cached arrays are read-only


def test_mnist1d_is_generated_without_touching_the_global_generator():
    np.random.seed(123)
    expected_next = np.random.random()
    np.random.seed(123)
    data = datasets.mnist1d.__wrapped__()  # uncached: really generate
    assert np.random.random() == expected_next
    assert data.inputs.shape == (4000, 40) and data.labels.shape == (4000,)
    assert set(np.unique(data.labels)) == set(range(10))
    assert abs(data.inputs.std() - 1.0) < 0.05  # the generator standardises its examples


def test_photograph():
    image = datasets.photograph("china.jpg", (24, 36))
    assert image.shape == (24, 36) and 0.0 <= image.min() < image.max() <= 1.0
    with pytest.raises(ValueError, match="photograph"):
        datasets.photograph("camera.png")


def test_clustered_gaussians_are_seeded():
    a = datasets.clustered_gaussians(50, 7, seed=1)
    assert a.dtype == np.float32 and a.shape == (50, 7)
    np.testing.assert_array_equal(a, datasets.clustered_gaussians(50, 7, seed=1))
    assert not np.array_equal(a, datasets.clustered_gaussians(50, 7, seed=2))


def test_labelled_data_by_name():
    assert datasets.labelled_data("digits") is datasets.digits()
    assert datasets.labelled_data("mnist1d") is datasets.mnist1d()
    with pytest.raises(ValueError, match="digits, mnist1d"):
        datasets.labelled_data("cifar10")
