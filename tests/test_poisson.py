"""Weighted Jacobi mode by mode, the discrete Poisson problem and the Ritz energy, against independent oracles."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse
import torch

from fpcheck.empirics.losses import RitzEnergy
from fpcheck.empirics.mlp import MLPSpec, init_ensemble, to_modules
from fpcheck.empirics.poisson import Jacobi, PoissonProblem, run_jacobi, train_ritz
from fpcheck.theory.jacobi import jacobi_mode_factor, jacobi_sweeps_to_reduce

PROBLEM = PoissonProblem(63, (1, 5, 20), (1.0, 0.2, 0.05))


def laplacian(n: int) -> scipy.sparse.csr_matrix:
    h = 1.0 / (n + 1)
    return scipy.sparse.diags([-np.ones(n - 1), 2 * np.ones(n), -np.ones(n - 1)], [-1, 0, 1]).tocsr() / h**2


def test_rhs_is_the_discrete_laplacian_of_the_solution():
    np.testing.assert_allclose(PROBLEM.rhs, laplacian(63) @ PROBLEM.solution, rtol=1e-12, atol=1e-9)
    # so the grid values of u solve A v = g exactly
    solved = scipy.sparse.linalg.spsolve(laplacian(63).tocsc(), PROBLEM.rhs)
    assert PROBLEM.max_error(solved) < 1e-10


@pytest.mark.parametrize("omega", [2 / 3, 1.0, 0.3])
@pytest.mark.parametrize("k", [1, 5, 20, 32, 50, 63])
def test_one_sweep_multiplies_a_pure_mode_by_the_predicted_factor(k, omega):
    # start from the solution plus a pure error mode sin(πkx): one sweep must leave λ_k sin(πkx)
    mode = np.sin(np.pi * k * PROBLEM.points)
    solver = Jacobi(PROBLEM, PROBLEM.solution + mode, omega=omega)
    solver.sweep()
    error = solver.values - PROBLEM.solution
    measured = error @ mode / (mode @ mode)
    assert measured == pytest.approx(1 - omega * (1 - np.cos(np.pi * k * PROBLEM.spacing)), abs=1e-9)
    np.testing.assert_allclose(error, measured * mode, atol=1e-9)  # still a pure mode
    assert measured == pytest.approx(float(jacobi_mode_factor(k, 63, omega)), abs=1e-9)


def test_sine_coefficients_and_peak_errors():
    np.testing.assert_allclose(PROBLEM.sine_coefficients(PROBLEM.solution), PROBLEM.amplitudes, atol=1e-12)
    np.testing.assert_allclose(PROBLEM.peak_errors(np.zeros(63)), 1.0, atol=1e-12)
    shifted = PROBLEM.solution + 0.01 * np.sin(5 * np.pi * PROBLEM.points)
    np.testing.assert_allclose(PROBLEM.peak_errors(shifted), [0.0, 0.05, 0.0], atol=1e-12)


def test_jacobi_peaks_settle_when_the_theory_says():
    history = run_jacobi(PROBLEM, np.zeros(63), tolerance=1e-3, check_every=1, max_sweeps=100_000)
    assert history.reaches(1e-3)
    predicted = jacobi_sweeps_to_reduce(np.array(PROBLEM.modes), 63, 0.1)
    for index in range(3):
        first = history.iterations[np.argmax(history.peak_errors[:, index] < 0.1)]
        assert first == predicted[index]
    assert predicted[2] < predicted[1] < predicted[0]  # highest peak first


def test_ritz_energy_gradient_is_h_times_the_residual():
    rng = np.random.default_rng(0)
    values = torch.tensor(rng.normal(size=(2, 63, 1)), dtype=torch.float64, requires_grad=True)  # two seeds
    energy = RitzEnergy(torch.tensor(PROBLEM.rhs, dtype=torch.float64), PROBLEM.spacing)
    per_seed = energy(values, torch.zeros_like(values))
    assert per_seed.shape == (2,)
    per_seed.sum().backward()
    for member in range(2):
        v = values.detach().numpy()[member, :, 0]
        expected = PROBLEM.spacing * (laplacian(63) @ v - PROBLEM.rhs)
        np.testing.assert_allclose(values.grad.numpy()[member, :, 0], expected, rtol=1e-10, atol=1e-8)
        by_hand = 0.5 / PROBLEM.spacing * np.sum(np.diff(np.pad(v, 1)) ** 2) - PROBLEM.spacing * PROBLEM.rhs @ v
        assert float(per_seed[member].detach()) == pytest.approx(by_hand, rel=1e-12)
    at_solution = torch.tensor(PROBLEM.solution[None, :, None], dtype=torch.float64, requires_grad=True)
    energy(at_solution, torch.zeros_like(at_solution)).sum().backward()
    assert at_solution.grad.abs().max() < 1e-8  # the minimiser is the solution


def test_train_ritz_records_its_checks_and_switch():
    run = train_ritz(PROBLEM, MLPSpec((1, 16, 16, 1), "tanh"), seed=0, steps=40, lr=1e-3, eval_every=10,
                     switch_step=20)
    assert not run.diverged
    assert run.history.iterations.tolist() == [0, 10, 20, 30, 40]
    assert run.history.seeds == (0,) and run.history.seconds[0] == 0.0  # the clock starts at step 0's check
    assert np.all(np.diff(run.history.seconds) >= 0)
    assert run.switch_seconds == run.history.seconds[2]
    assert run.history.max_error[2] == pytest.approx(PROBLEM.max_error(run.switch_values))
    assert run.history.max_error[-1] < run.history.max_error[0]  # training reduces the error


def test_train_ritz_follows_a_plain_torch_loop():
    """The engine (readout v = x(1-x)N(x), Ritz energy, single-tensor Adam) against torch.nn + torch.optim.Adam
    on the hand-written energy, from the same initialisation; checks before each check step's update."""
    spec, steps, lr = MLPSpec((1, 16, 16, 1), "tanh"), 60, 3e-3
    run = train_ritz(PROBLEM, spec, seed=3, steps=steps, lr=lr, eval_every=20, switch_step=20)
    (module,) = to_modules(spec, init_ensemble(spec, [3]))
    optimizer = torch.optim.Adam(module.parameters(), lr=lr)
    x = torch.tensor(PROBLEM.points, dtype=torch.float32)[:, None]
    g = torch.tensor(PROBLEM.rhs, dtype=torch.float32)
    h = PROBLEM.spacing
    errors = []
    for step in range(steps + 1):
        v = (x * (1 - x) * module(x))[:, 0]
        if step % 20 == 0:
            errors.append(PROBLEM.max_error(v.detach().double().numpy()))
        if step == steps:
            break
        padded = torch.nn.functional.pad(v, (1, 1))
        energy = 0.5 / h * torch.sum((padded[1:] - padded[:-1]) ** 2) - h * torch.sum(g * v)
        optimizer.zero_grad()
        energy.backward()
        optimizer.step()
    np.testing.assert_allclose(run.history.max_error, errors, rtol=1e-4)
    assert errors[-1] < errors[0]


def test_a_diverging_ritz_network_is_reported_by_the_engine_rule():
    run = train_ritz(PROBLEM, MLPSpec((1, 16, 1), "tanh"), seed=0, steps=100, lr=1e3, eval_every=10,
                     switch_step=100)
    assert run.diverged
    assert np.isnan(run.switch_seconds) and np.all(np.isnan(run.switch_values))
    assert run.history.iterations.size < 11  # stopped at the step it diverged


def test_bad_input_is_rejected():
    with pytest.raises(ValueError, match="modes"):
        PoissonProblem(63, (0, 5), (1.0, 1.0))
    with pytest.raises(ValueError, match="ω"):
        jacobi_mode_factor(1, 63, omega=1.5)
    with pytest.raises(ValueError, match="modes"):
        jacobi_mode_factor(0.5, 63)
    with pytest.raises(ValueError, match="finite"):
        Jacobi(PROBLEM, np.full(63, np.nan))
    with pytest.raises(ValueError, match="switch"):
        train_ritz(PROBLEM, MLPSpec((1, 4, 1), "tanh"), 0, steps=10, lr=1e-3, eval_every=3, switch_step=5)
