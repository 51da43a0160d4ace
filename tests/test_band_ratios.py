"""fpcheck.empirics.band_ratios (and the grid of fpcheck.empirics.stage_grid) against independent oracles:
finite differences, forward vs reverse mode, numpy.

- the density check fires exactly when √ρ at the ends exceeds the tolerance;
- L⁺_η + L⁻_η = L (Parseval on the grid), the torch band loss equals the numpy band energies;
- dL⁺/dt = -∇L⁺·∇L (autograd) against a tiny explicit Euler step, and against the spectral formula
  ⟨P⁺h, P⁺∂_t h⟩ with ∂_t h from a forward-mode JVP (two independent paths);
- the JVP against central finite differences; the closed-form gradient and Jacobian against autograd;
- gradient descent: stages located, determinism, divergence reported, bound III exact for GD;
- the Sobolev training loss against quadrature of ‖g‖² + ‖g'‖² (s = 1, no cap), its closed-form gradient
  against autograd, its Gauss–Newton eigenvalue against the explicit matrix, its flow's band rates against
  an explicit Euler step; max(z, 0)^p against autograd; the uniform density;
- the run functions of the stage experiments against the integrator run by hand, and against each other
  (the halving step and band losses of two experiments that share θ_0 and lr agree);
- the tail fits (measurement code of `stage_grid`) against functions whose decay is known in closed form.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy import integrate
from torch.func import jacfwd

from fpcheck.empirics import band_ratios as br
from fpcheck.empirics import stage_grid as sg
from fpcheck.theory import stages

ACTIVATIONS = ("tanh", "relu", "logistic")
GRID = sg.DensityGrid(512, 32.0, 3.0)


def make_problem(activation: str, width: int = 8, weights: np.ndarray | None = None) -> br.StageProblem:
    target = sg.sine_target(GRID.x, [0.1, 0.5], [1.0, 0.5])
    return br.StageProblem(GRID, br.FlatShallowNetwork(width, activation), target, weights)


SOBOLEV = sg.sobolev_loss_weights(GRID.frequencies, 2.0, 1.0)


def parameters(problem: br.StageProblem, seed: int = 0) -> torch.Tensor:
    return problem.network.initial_parameters(seed, bias_std=3.0, output_std=0.3)


# ------------------------------------------------------------------------------------------ the grid

def test_density_truncation_check_fires_when_the_grid_is_too_narrow():
    sigma, tolerance = 2.0, 1e-12
    needed = 2 * sigma * np.sqrt(np.log(1 / tolerance))  # √ρ(X)/√ρ(0) = e^{-X²/(4σ²)}
    sg.DensityGrid(1024, needed * 1.01, sigma, tolerance)
    with pytest.raises(ValueError, match="too narrow"):
        sg.DensityGrid(1024, needed * 0.99, sigma, tolerance)
    with pytest.raises(ValueError, match="too narrow"):
        sg.DensityGrid(1024, 10.0, 3.0)
    edge = sg.check_density_truncation(GRID.x, GRID.sqrt_density)
    assert edge == pytest.approx(np.exp(-GRID.half_width**2 / (4 * GRID.sigma**2)), rel=1e-9)


def test_density_grid_is_a_normalised_density():
    assert GRID.spacing * np.sum(GRID.sqrt_density**2) == pytest.approx(1.0, rel=1e-12)
    np.testing.assert_allclose(GRID.resolved_etas()[:3], np.arange(3) / (GRID.points * GRID.spacing))


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_band_losses_add_up_and_match_the_numpy_band_energies(activation):
    problem = make_problem(activation)
    theta = parameters(problem)
    h = problem.residual(theta).detach().numpy()
    loss = float(problem.loss(theta))
    assert loss == pytest.approx(0.5 * GRID.spacing * np.sum(h**2), rel=1e-14)
    for eta in (0.0, 0.2, 0.45, 1.5):
        high, low = problem.band_losses(h, [eta])
        assert high[0] + low[0] == pytest.approx(loss, rel=1e-12)  # Parseval on the grid
        assert float(problem.high_band_loss(theta, eta)) == pytest.approx(high[0], rel=1e-10, abs=1e-15 * loss)


# ------------------------------------------------------------------------------ derivatives and identities

@pytest.mark.parametrize("activation", (*ACTIVATIONS, "relu2", "relu3"))
@pytest.mark.parametrize("weighted", [False, True])
def test_closed_form_gradient_and_jacobian_match_autograd(activation, weighted):
    problem = make_problem(activation, width=4, weights=SOBOLEV if weighted else None)
    theta = parameters(problem, seed=1)
    h, loss, gradient = problem.loss_and_gradient(theta)
    scale = float(gradient.abs().max())
    np.testing.assert_allclose(gradient.numpy(), problem.training_gradient(theta).numpy(), rtol=1e-10,
                               atol=1e-13 * scale)
    assert loss == pytest.approx(float(problem.training_loss(theta)), rel=1e-12)
    jacobian = jacfwd(problem.residual)(theta).T.numpy()
    np.testing.assert_allclose(problem.weighted_jacobian(theta), jacobian, rtol=1e-12, atol=1e-15)
    # ∇L_train = Δ Jᵀ W h: the Jacobian and the gradient agree with each other too
    weighted = problem.weighted(h).numpy()
    np.testing.assert_allclose(GRID.spacing * problem.weighted_jacobian(theta) @ weighted, gradient.numpy(),
                               rtol=1e-9, atol=1e-12 * scale)


def test_sobolev_loss_is_the_h1_norm_by_quadrature():
    # s = 1 and a cap above Nyquist: ½ ∫ (1 + (2πξ)²) |ĝ|² dξ = ½ (‖g‖² + ‖g'‖²), g' in closed form
    weights = sg.sobolev_loss_weights(GRID.frequencies, 1.0, 10 * GRID.nyquist)
    problem = br.StageProblem(GRID, br.FlatShallowNetwork(2, "tanh"), np.zeros(GRID.points), weights)

    def g(x):
        return np.exp(-x**2 / 8) * np.sin(2 * np.pi * 0.4 * x)

    def derivative(x):
        return np.exp(-x**2 / 8) * (2 * np.pi * 0.4 * np.cos(2 * np.pi * 0.4 * x) - x / 4 * np.sin(2 * np.pi * 0.4 * x))

    exact = 0.5 * integrate.quad(lambda x: g(x) ** 2 + derivative(x) ** 2, -32, 32, limit=400)[0]
    value = float(problem.training_loss_of_residual(torch.tensor(g(GRID.x))))
    assert value == pytest.approx(exact, rel=1e-10)
    # the cap: above it the weight is constant; s = 0 is the MSE; even in ξ
    capped = sg.sobolev_loss_weights(np.array([0.5, 1.0, 2.0, -3.0]), 2.0, 1.0)
    np.testing.assert_allclose(capped, [(1 + np.pi**2) ** 2] + [(1 + 4 * np.pi**2) ** 2] * 3)
    np.testing.assert_array_equal(sg.sobolev_loss_weights(GRID.frequencies, 0.0, 1.0), 1.0)
    with pytest.raises(ValueError, match="even in ξ"):
        br.StageProblem(GRID, problem.network, np.zeros(GRID.points), np.arange(1.0, GRID.points + 1.0))


def test_sobolev_gauss_newton_eigenvalue_and_flow_rates_against_explicit_forms():
    problem = make_problem("tanh", weights=SOBOLEV)
    theta = parameters(problem, seed=6)
    jacobian = jacfwd(problem.residual)(theta).numpy()  # (N, P)
    weighted_columns = np.fft.ifft(SOBOLEV[:, None] * np.fft.fft(jacobian, axis=0), axis=0).real  # W J
    explicit = GRID.spacing * jacobian.T @ weighted_columns
    assert problem.gauss_newton_top_eigenvalue(theta) == pytest.approx(np.linalg.eigvalsh(explicit)[-1], rel=1e-10)
    # -dL⁺_η/dt and -dL/dt under θ' = -∇L_W: an explicit Euler step of the weighted flow
    flow = problem.training_gradient(theta)
    epsilon = 1e-8 / float(flow.norm())
    stepped = theta - epsilon * flow
    high, total = problem.band_rates(theta, [0.2, 0.6])
    assert (float(problem.loss(theta)) - float(problem.loss(stepped))) / epsilon == pytest.approx(total, rel=1e-4)
    for eta, rate in zip([0.2, 0.6], high, strict=True):
        finite = (float(problem.high_band_loss(theta, eta)) - float(problem.high_band_loss(stepped, eta))) / epsilon
        assert finite == pytest.approx(rate, rel=1e-3, abs=1e-6 * abs(total))


def test_the_uniform_density_is_normalised_with_the_same_variance():
    grid = sg.DensityGrid(4096, 32.0, 3.0, density="uniform")
    density = grid.sqrt_density**2
    assert grid.spacing * np.sum(density) == pytest.approx(1.0, abs=2 * grid.spacing / (2 * np.sqrt(3) * 3.0))
    assert grid.spacing * np.sum(density * grid.x**2) == pytest.approx(9.0, rel=0.01)
    assert set(np.unique(grid.sqrt_density)) <= {0.0, (2 * np.sqrt(3) * 3.0) ** -0.5}
    with pytest.raises(ValueError, match="density must be one of"):
        sg.DensityGrid(512, 32.0, 3.0, density="laplace")


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_jvp_velocity_matches_central_finite_differences(activation):
    problem = make_problem(activation)
    theta = parameters(problem, seed=2)
    direction = torch.randn(theta.shape, generator=torch.Generator().manual_seed(7), dtype=torch.float64)
    step = 1e-6
    finite = (problem.residual(theta + step * direction) - problem.residual(theta - step * direction)) / (2 * step)
    velocity = problem.velocity(theta, direction)
    scale = float(velocity.abs().max())
    np.testing.assert_allclose(velocity.numpy(), finite.numpy(), atol=1e-6 * scale)
    # the default direction is gradient flow, θ' = -∇L
    np.testing.assert_allclose(problem.velocity(theta).numpy(), problem.velocity(theta, -problem.gradient(theta)),
                               rtol=1e-15, atol=0)


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_gradient_flow_identity_against_an_explicit_euler_step(activation):
    problem = make_problem(activation)
    theta = parameters(problem, seed=3)
    gradient = problem.gradient(theta)
    epsilon = 1e-7
    stepped = theta - epsilon * gradient  # one explicit Euler step of θ' = -∇L
    loss_rate = (float(problem.loss(stepped)) - float(problem.loss(theta))) / epsilon
    assert loss_rate == pytest.approx(-float(gradient @ gradient), rel=1e-5)  # dL/dt = -‖∇L‖²
    etas = [0.05, 0.2, 0.45]
    ratios = problem.instantaneous_ratios(theta, etas)
    for eta, ratio in zip(etas, ratios, strict=True):
        high_rate = (float(problem.high_band_loss(stepped, eta)) - float(problem.high_band_loss(theta, eta))) / epsilon
        assert abs(high_rate) / float(gradient @ gradient) == pytest.approx(ratio, rel=1e-4, abs=1e-9)


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_instantaneous_ratio_by_autograd_equals_the_spectral_jvp_formula(activation):
    # dL⁺/dt = Re Σ_{|ξ|>η} conj(ĥ) ∂_t ĥ / (NΔ): reverse mode (∇L⁺·∇L) against forward mode (JVP)
    problem = make_problem(activation)
    theta = parameters(problem, seed=4)
    h = problem.residual(theta).detach().numpy()
    velocity = problem.velocity(theta).numpy()
    grad_norm_sq = float(problem.gradient(theta) @ problem.gradient(theta))
    xi = GRID.frequencies
    h_hat, v_hat = np.fft.fft(h) * GRID.spacing, np.fft.fft(velocity) * GRID.spacing
    etas = [0.1, 0.3, 0.6, 1.0]
    ratios = problem.instantaneous_ratios(theta, etas)
    for eta, ratio in zip(etas, ratios, strict=True):
        high, _ = stages.band_masks(xi, eta)
        rate = np.real(np.sum(np.conj(h_hat[high]) * v_hat[high])) / (GRID.points * GRID.spacing)
        assert abs(rate) / grad_norm_sq == pytest.approx(ratio, rel=1e-8, abs=1e-14)
    # η = 0 keeps every frequency but ξ = 0: with η < the first bin the ratio is |dL/dt| / |dL/dt| = 1
    assert problem.instantaneous_ratios(theta, [0.0])[0] < 1.0 + 1e-12


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_bound_one_holds_at_initialisation(activation):
    problem = make_problem(activation)
    theta = parameters(problem, seed=5)
    s = stages.sobolev_exponent(activation)
    etas = np.array([0.1, 0.3, 1.0, 2.0])
    bound = stages.initial_bound(etas, s, problem.sobolev_constant(theta, s), float(problem.loss(theta)),
                                 float(problem.gradient(theta).norm()))
    assert np.all(problem.instantaneous_ratios(theta, etas) <= bound)


# ----------------------------------------------------------------------------------- gradient descent

def test_locate_stages():
    loss = np.array([1.0, 0.9, 0.6, 0.5, 0.4, 0.45, 0.2])
    assert br.locate_stages(loss) == br.Stages(initial=0, intermediate=3, final=6)
    assert br.locate_stages(np.array([1.0, 0.9, 0.8])).intermediate is None
    with pytest.raises(ValueError, match="finite"):
        br.locate_stages(np.array([1.0, np.nan]))


def gd_run(activation: str, seed: int = 0, steps: int = 300, **options) -> br.Trajectory:
    problem = make_problem(activation)
    theta = parameters(problem, seed)
    learning_rate = 0.5 / problem.gauss_newton_top_eigenvalue(theta)
    return br.gradient_descent_float64(problem, theta, learning_rate, steps, [0.2, 0.3, 0.6],
                                       stages.sobolev_exponent(activation), **options)


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_gradient_descent_records_bands_and_locates_the_stages(activation):
    trajectory = gd_run(activation)
    assert not trajectory.diverged
    assert trajectory.loss[-1] < trajectory.loss[0]
    np.testing.assert_allclose(trajectory.high[:, 0] + trajectory.low[:, 0], trajectory.loss, rtol=1e-12)
    halving = trajectory.stages.intermediate
    assert halving is not None and trajectory.loss[halving] <= trajectory.loss[0] / 2 < trajectory.loss[halving - 1]
    assert trajectory.halving_time == pytest.approx(halving * trajectory.learning_rate)
    # bound III holds exactly for gradient descent with the discrete path length
    s = stages.sobolev_exponent(activation)
    etas = trajectory.etas
    lower = stages.final_lower_bound(etas, s, np.sqrt(2 * trajectory.high[0]), trajectory.path_sobolev_length)
    assert np.all(np.sqrt(2 * trajectory.high[-1]) >= lower)
    # the gradient-descent dissipation up to the halving stays below L(0): bound II carries over
    assert trajectory.dissipation < trajectory.loss[0]


def test_stopping_at_the_halving_and_determinism():
    full = gd_run("tanh", seed=1)
    stopped = gd_run("tanh", seed=1, stop_at_halving=True)
    assert stopped.stages.final == stopped.stages.intermediate == full.stages.intermediate
    np.testing.assert_array_equal(stopped.loss, full.loss[: stopped.loss.size])
    np.testing.assert_array_equal(stopped.intermediate_residual, full.intermediate_residual)
    assert stopped.sup_sobolev_constant == full.sup_sobolev_constant > 0
    ratios = br.change_tail_ratios(stopped.initial_residual, stopped.intermediate_residual, GRID.spacing, [0.2, 0.6])
    assert 0 < ratios[1] <= ratios[0] < 1


def test_divergence_is_reported_not_hidden():
    problem = make_problem("relu")
    theta = parameters(problem)
    learning_rate = 5.0 / problem.gauss_newton_top_eigenvalue(theta)  # beyond the stability limit 2/λ
    trajectory = br.gradient_descent_float64(problem, theta, learning_rate, 200, [0.3], 0.49, track_sobolev=False)
    assert trajectory.diverged and np.all(np.isfinite(trajectory.loss))
    assert np.isnan(trajectory.sup_sobolev_constant)


def test_single_threaded_restores_the_thread_count():
    before = torch.get_num_threads()
    with br.single_threaded():
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before


# ------------------------------------------------------------------------------------------- bad input

def test_bad_input_raises_value_error():
    problem = make_problem("tanh")
    theta = parameters(problem)
    with pytest.raises(ValueError, match="NaN"):
        problem.gradient(theta * np.nan)
    with pytest.raises(ValueError, match="activation"):
        br.FlatShallowNetwork(4, "gelu")
    with pytest.raises(ValueError, match="width"):
        br.FlatShallowNetwork(0, "tanh")
    with pytest.raises(ValueError, match="seed"):
        problem.network.initial_parameters(-1)
    with pytest.raises(ValueError, match="θ must have shape"):
        problem.residual(theta[:-1])
    with pytest.raises(ValueError, match="target"):
        br.StageProblem(GRID, problem.network, np.zeros(7))
    with pytest.raises(ValueError, match="learning rate"):
        br.gradient_descent_float64(problem, theta, 0.0, 10, [0.3], 1.0)
    with pytest.raises(ValueError, match="critical point"):
        flat = torch.zeros_like(theta)  # a = 0, target 0: ∇L = 0
        br.StageProblem(GRID, problem.network, np.zeros(GRID.points)).instantaneous_ratios(flat, [0.3])
    with pytest.raises(ValueError, match="amplitudes"):
        sg.sine_target(GRID.x, [0.1, 0.2], [1.0])


# ------------------------------------------------------------------------------- the stage experiments

SMALL = {"seeds": 2, "width": 8, "grid_points": 512, "output_std": 0.3, "etas": (0.2, 0.3, 0.6)}


def test_initial_stage_and_tail_decay_are_the_problem_evaluated_at_each_seeds_initialisation():
    setup = sg.InitialStage(**SMALL)
    result = br.initial_stage(setup, (0, 3))
    assert result.high_rates.shape == (3, 2, 3) and result.activations == sg.ACTIVATIONS
    problem = make_problem("logistic")
    theta = problem.network.initial_parameters(3, weight_std=1.0, bias_std=3.0, output_std=0.3)
    with br.single_threaded():  # the experiment's thread count: bit-identical whatever the caller's threads
        ratios = problem.instantaneous_ratios(theta, setup.etas)
    np.testing.assert_array_equal(np.abs(result.high_rates[2, 1]) / abs(result.loss_rate[2, 1]), ratios)
    assert result.loss_rate[2, 1] == pytest.approx(float(problem.gradient(theta).norm()) ** 2, rel=1e-12)
    high, low = problem.band_losses(problem.residual(theta).detach().numpy(), setup.etas)
    np.testing.assert_allclose(result.high_share[2, 1], high / (high + low), rtol=1e-14)
    assert result.loss[2, 1] == float(problem.loss(theta))
    assert result.g_s[2, 1] == problem.sobolev_constant(theta, 1.0)
    tails = br.tail_decay(sg.TailDecay(seeds=1, width=8, grid_points=1024, power_low=0.25, power_high=1.0), (0,))
    assert tails.tails.shape == (5, 1, 512) and tails.etas.size == 512 and tails.activations == sg.TAIL_ACTIVATIONS
    assert np.all(np.diff(tails.tails, axis=-1) <= 0) and np.all(tails.tails[..., 0] <= 1)  # nested tails


def test_halving_and_final_stage_agree_on_the_shared_run():
    # same θ_0 and lr: the final-stage run passes the halving step found by the halving-stage run
    halving = br.halving_stage(sg.HalvingStage(**SMALL, step_fraction=0.5, max_steps=300), (0, 1))
    final = br.final_stage(sg.FinalStage(**SMALL, step_fraction=0.5, steps=300), (0, 1))
    assert not halving.diverged.any() and not final.diverged.any()
    np.testing.assert_array_equal(halving.step, final.halving_step)
    assert np.all(final.final_step == 300)
    np.testing.assert_allclose(final.training_loss, final.high[..., 0] + final.low[..., 0], rtol=1e-12)  # MSE
    np.testing.assert_allclose(halving.initial_loss, halving.initial_training_loss, rtol=1e-13)
    # ‖P⁺_η h_0‖ / ‖h_0‖ and the halving's change share, by hand from the same run
    problem = make_problem("tanh")
    theta = problem.network.initial_parameters(0, weight_std=1.0, bias_std=3.0, output_std=0.3)
    h0 = problem.residual(theta).detach().numpy()
    np.testing.assert_allclose(halving.initial_share[0, 0], stages.relative_tail_norms(h0, GRID.spacing, SMALL["etas"]),
                               rtol=1e-14)
    # a run that never halves is kept (step -1, NaN), not raised
    short = br.halving_stage(sg.HalvingStage(**SMALL, step_fraction=0.5, max_steps=1), (0,))
    never = short.step == -1
    assert never.any() and np.isnan(short.change_share[never]).all() and np.isnan(short.time[never]).all()
    assert np.isfinite(short.initial_share).all() and np.isfinite(short.change_share[~never]).all()
    np.testing.assert_allclose(halving.time, halving.step * final.learning_rate, rtol=1e-15)
    # the band losses of the final-stage run, by hand
    problem = make_problem("relu")
    theta = problem.network.initial_parameters(1, weight_std=1.0, bias_std=3.0, output_std=0.3)
    trajectory = br.gradient_descent_float64(problem, theta, final.learning_rate[1, 1], 300, SMALL["etas"],
                                             0.49, track_sobolev=False)
    np.testing.assert_array_equal(final.high[1, 1], trajectory.high)
    assert final.path_sobolev_length[1, 1] == trajectory.path_sobolev_length


def test_a_diverged_final_run_is_kept_with_nan_after_its_last_step():
    final = br.final_stage(sg.FinalStage(**{**SMALL, "seeds": 1}, step_fraction=6.0, steps=200), (0,))
    assert final.diverged.any()  # lr = 6 / λ_max is beyond the linear stability limit 2 / λ_max
    for a in range(3):
        last = final.final_step[a, 0]
        assert (last < 200) == final.diverged[a, 0]
        assert np.all(np.isfinite(final.high[a, 0, : last + 1])) and np.all(np.isnan(final.high[a, 0, last + 1:]))


# ------------------------------------------------------------------------------------- the tail fits

@pytest.mark.parametrize("w", [0.8, 1.7, 3.0])
def test_exponential_rate_fit_recovers_the_pole_rate_of_a_sech(w):
    # sech(w x) has simple poles at Im x = π/(2w): |ĝ(ξ)| = (π/w) sech(π² ξ / w), rate π²/w, no power of ξ
    grid_x = -40.0 + 80.0 / 8192 * np.arange(8192)
    values = 1.0 / np.cosh(w * grid_x)
    spacing = 80.0 / 8192
    etas = np.arange(4096) / 80.0
    tails = stages.relative_tail_norms(values, spacing, etas)
    rate = sg.fit_exponential_rate(etas, tails)
    assert rate == pytest.approx(np.pi**2 / w, rel=0.01)
    assert stages.predicted_exponential_rate("tanh", w) == pytest.approx(np.pi**2 / w)


def test_exponential_rate_fit_on_an_exact_synthetic_tail_with_a_floor():
    etas = np.linspace(0.01, 10, 500)
    signal = etas * np.exp(-3.7 * etas)
    noise = np.random.default_rng(0).uniform(1e-16, 1e-14, etas.size)  # round-off, below the 1e-12 floor
    values = np.where(signal > 1e-13, signal, noise)
    assert sg.fit_exponential_rate(etas, values, power=1.0) == pytest.approx(3.7, rel=1e-9)
    assert abs(sg.fit_exponential_rate(etas, values, power=0.0) / 3.7 - 1) > 1e-3  # the power matters
    with pytest.raises(ValueError, match="fit window"):
        sg.fit_exponential_rate(etas, values, floor=1.0, ceiling=0.5)


def test_power_fit_recovers_the_half_exponent_of_a_jump():
    # g = H(x) e^{-x} sampled one-sided (g(0) = 1): its grid transform is a geometric series in closed form,
    # and in the continuum ĝ = 1/(1 + 2πiξ), tail² = (π/2 - arctan 2πη)/π (two-sided), slope → -½
    n, half = 16384, 40.0
    spacing = 2 * half / n
    grid_x = -half + spacing * np.arange(n)
    values = np.where(grid_x >= 0, np.exp(-grid_x), 0.0)
    xi = stages.ordinary_frequencies(n, spacing)
    geometric = spacing / (1 - np.exp(-spacing) * np.exp(-2j * np.pi * xi * spacing))
    np.testing.assert_allclose(stages.unitary_transform(values, spacing, start=grid_x[0]), geometric, atol=1e-12)
    etas = np.arange(n // 2) / (2 * half)
    tails = stages.relative_tail_norms(values, spacing, etas)
    total = spacing * np.sum(values**2)
    continuum = np.sqrt((np.pi / 2 - np.arctan(2 * np.pi * etas)) / np.pi / total)
    window = (etas >= 1) & (etas <= 1 / (16 * spacing))  # up to Nyquist / 8
    np.testing.assert_allclose(tails[window], continuum[window], rtol=0.01)
    assert sg.fit_power_exponent(etas, tails, 1.0, 1 / (16 * spacing)) == pytest.approx(-0.5, abs=0.01)


@pytest.mark.parametrize("p", [2, 3])
def test_power_fit_on_the_sampled_kinks_of_higher_powers(p):
    # g = x₊^(p-1) e^{-x}: a jump in the (p - 1)-th derivative, |ĝ| ~ ξ^(-p), tail ~ η^(-(p - ½)) on the grid
    n, half = 16384, 40.0
    spacing = 2 * half / n
    grid_x = -half + spacing * np.arange(n)
    values = np.where(grid_x >= 0, grid_x ** (p - 1) * np.exp(-grid_x), 0.0)
    etas = np.arange(n // 2) / (2 * half)
    tails = stages.relative_tail_norms(values, spacing, etas)
    fitted = sg.fit_power_exponent(etas, tails, 1.0, 1 / (16 * spacing))
    assert fitted == pytest.approx(stages.predicted_power_exponent(f"relu{p}"), abs=0.03)


def test_fitted_tail_falls_back_to_the_power_window_when_the_tail_is_not_exponential():
    # a power-law tail never enters the value window below 1e-4: the rate is minus the log-linear slope over
    # the power window, small (here ½ ln(8) / 7 for η^(-1/2) on [1, 8]) where the prediction is several
    setup = sg.TailDecay(seeds=1)
    etas = sg.DensityGrid(8192, 32.0, 3.0).resolved_etas()
    tails = 0.1 * np.maximum(etas, 1 / 64) ** -0.5
    expected = -np.polyfit(etas[(etas >= 1) & (etas <= 8)], np.log(tails[(etas >= 1) & (etas <= 8)]), 1)[0]
    assert sg.fitted_tail(setup, "tanh", etas, tails) == pytest.approx(expected, rel=1e-12)
    assert 0.1 < expected < 0.2
    assert sg.fitted_tail(setup, "relu2", etas, tails) == pytest.approx(-0.5, rel=1e-9)
    exponential = np.exp(-3.0 * etas)
    assert sg.fitted_tail(setup, "logistic", etas, exponential) == pytest.approx(3.0, rel=1e-9)
