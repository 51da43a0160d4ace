"""fpcheck.theory.density_ntk against independent oracles: the exact kernel dynamics against a hand-written
gradient-descent loop on the kernel, the uniform case against the harmonic's closed-form factor, the density's
normalisation, and the 1/p law against a high harmonic of the exact dynamics."""

from __future__ import annotations

import numpy as np
import pytest

from fpcheck.empirics.circle_fit import learning_times
from fpcheck.theory.circle_ntk import circle_ntk, circle_ntk_eigenvalues, harmonic_learning_time
from fpcheck.theory.density_ntk import (
    asymptotic_region_time,
    kernel_residuals,
    largest_rate,
    piecewise_angles,
    region_components,
    region_densities,
    region_labels,
)


def test_the_kernel_dynamics_is_gradient_descent_on_the_kernel():
    angles = piecewise_angles((12, 4))
    target = np.cos(2 * angles)
    gram = np.array([[float(circle_ntk(a - b, True, "both")) for b in angles] for a in angles])
    residual, loop = -target.copy(), [-target.copy()]
    for _ in range(30):
        residual = residual - 2 * 0.7 * gram @ residual / angles.size  # the gradient of (1/n) Σ r² is (2/n) r
        loop.append(residual.copy())
    np.testing.assert_allclose(kernel_residuals(angles, target, 0.7, 30), np.array(loop), atol=1e-12)


def test_equal_counts_give_the_equispaced_factor_in_every_region():
    counts, kappa, lr = (16, 16), 3, 0.6  # stable: 2η μ_max < 2
    angles = piecewise_angles(counts)
    np.testing.assert_allclose(angles, 2 * np.pi * np.arange(32) / 32, atol=1e-14)
    target = np.cos(kappa * angles)
    component = region_components(kernel_residuals(angles, target, lr, 1500), target, region_labels(counts))
    factor = 1 - 2 * lr * circle_ntk_eigenvalues(kappa, 32, True, "both")
    np.testing.assert_allclose(component, np.tile(factor ** np.arange(1501.0), (2, 1)).T, rtol=1e-7, atol=1e-10)
    times = [learning_times(np.abs(component[:, [r]]), 0.1)[0] for r in (0, 1)]
    np.testing.assert_allclose(times, harmonic_learning_time(kappa, lr, 0.1, 32, 0.0, True, "both"), rtol=1e-3)


def test_the_density_integrates_to_one():
    counts = np.array([30, 10, 5])
    assert np.sum(region_densities(counts) * 2 * np.pi / 3) == pytest.approx(1.0)
    assert region_densities((8, 8))[0] == pytest.approx(1 / (2 * np.pi))


def test_a_high_harmonic_approaches_the_one_over_p_law():
    """κ = 6 on 96:32 points: the kernel times approach the asymptote (within 15 %) and their ratio is nearer the
    density ratio 3 than at κ = 1 (the coupling of the halves fades as κ grows)."""
    counts = (96, 32)
    angles, labels, densities = piecewise_angles(counts), region_labels(counts), region_densities(counts)
    ratios = []
    for kappa in (1, 6):
        lr = min(0.075 / (2 * 2 * np.pi * densities[0] * circle_ntk_eigenvalues(kappa, None, True, "both")),
                 1.5 / (2 * largest_rate(angles)))
        target = np.cos(kappa * angles)
        component = np.abs(region_components(kernel_residuals(angles, target, lr, 2500), target, labels))
        times = np.array([learning_times(component[:, [r]], 0.1)[0] for r in (0, 1)])
        ratios.append(times[1] / times[0])
        if kappa == 6:
            np.testing.assert_allclose(times, asymptotic_region_time(kappa, densities, lr, 0.1), rtol=0.15)
    assert abs(ratios[1] - 3) < abs(ratios[0] - 3)
