"""theory.stages against independent oracles: closed-form transforms, quadrature, exact gradient flow.

The band split is checked against Plancherel computed in x-space; the Sobolev norm against scipy
quadrature of a closed-form transform; the three reconstructed bounds against exact gradient flow of
linear models (matrix exponentials, quadrature in time), where every quantity is known without a
network; the predicted power of the tail against the closed-form transform of a function with a jump in
its (p - 1)-th derivative; the symbolic steps by re-running Step.holds. (The rate fits are measurement
code: `fpcheck.empirics.stage_grid`, tested in test_band_ratios.)
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from scipy import integrate, optimize

from fpcheck.theory import stages

N, HALF_WIDTH = 1024, 16.0
SPACING = 2 * HALF_WIDTH / N
X = -HALF_WIDTH + SPACING * np.arange(N)


def smooth_random_function(seed: int) -> np.ndarray:
    """A random smooth function negligible at the grid's ends (Gaussian window times random sines)."""
    rng = np.random.default_rng(seed)
    frequencies = rng.uniform(0.0, 2.0, 6)
    phases = rng.uniform(0, 2 * np.pi, 6)
    return np.exp(-X**2 / 8) * np.sum(np.sin(2 * np.pi * frequencies[:, None] * X + phases[:, None]), axis=0)


# ----------------------------------------------------------------------------------- transform and bands

def test_unitary_transform_of_a_gaussian_matches_its_closed_form():
    # ∫ e^{-πx²} e^{-2πiξx} dx = e^{-πξ²} (ordinary frequency, unitary); the phase of x_0 included
    values = np.exp(-np.pi * X**2)
    transform = stages.unitary_transform(values, SPACING, start=X[0])
    xi = stages.ordinary_frequencies(N, SPACING)
    np.testing.assert_allclose(transform, np.exp(-np.pi * xi**2), atol=1e-13)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_parseval_on_the_grid(seed):
    values = smooth_random_function(seed)
    in_x = SPACING * np.sum(values**2)
    transform = stages.unitary_transform(values, SPACING, start=X[0])
    in_xi = np.sum(np.abs(transform) ** 2) / (N * SPACING)
    assert in_xi == pytest.approx(in_x, rel=1e-12)
    high, low = stages.band_energies(values, SPACING, [0.0, 0.3, 1.0, 100.0])
    np.testing.assert_allclose(high + low, in_x, rtol=1e-12)
    assert high[-1] == 0.0 and low[0] == pytest.approx(SPACING * (np.sum(values) ** 2) / N, rel=1e-9)


@pytest.mark.parametrize("eta", [0.0, 0.25, 0.7, 3.0])
def test_band_split_is_a_partition_of_identity(eta):
    values = smooth_random_function(3)
    high, low = stages.band_split(values, SPACING, eta)
    np.testing.assert_allclose(high + low, values, atol=1e-13)
    assert abs(SPACING * np.sum(high * low)) < 1e-13 * SPACING * np.sum(values**2)  # orthogonal parts
    # the energies of the parts computed in x-space agree with the cumulative spectral sums
    energy_high, energy_low = stages.band_energies(values, SPACING, [eta])
    round_off = 1e-14 * SPACING * np.sum(values**2)
    assert energy_high[0] == pytest.approx(SPACING * np.sum(high**2), rel=1e-10, abs=round_off)
    assert energy_low[0] == pytest.approx(SPACING * np.sum(low**2), rel=1e-10, abs=round_off)


def test_band_masks_partition_the_frequencies_and_the_high_band_shrinks():
    xi = stages.ordinary_frequencies(N, SPACING)
    for eta in (0.0, 0.5, 1.3):
        high, low = stages.band_masks(xi, eta)
        assert not np.any(high & low) and np.all(high | low)
        assert np.all(np.abs(xi[high]) > eta) and np.all(np.abs(xi[low]) <= eta)
    energies = stages.band_energies(smooth_random_function(4), SPACING, np.linspace(0, 3, 40))[0]
    assert np.all(np.diff(energies) <= 0)  # exactly non-increasing in η (nested bands)


def test_sobolev_norm_matches_quadrature_of_the_closed_form():
    # g = e^{-πx²}: ĝ = e^{-πξ²}, so ‖g‖²_(H^s) = ∫ (1 + ξ²)^s e^{-2πξ²} dξ
    values = np.exp(-np.pi * X**2)
    for s in (0.0, 0.49, 1.0, 2.5):
        exact, _ = integrate.quad(lambda xi, s=s: (1 + xi**2) ** s * np.exp(-2 * np.pi * xi**2), -np.inf, np.inf)
        assert stages.sobolev_norm(values, SPACING, s) == pytest.approx(np.sqrt(exact), rel=1e-12)


@pytest.mark.parametrize("seed", range(4))
def test_sobolev_tail_inequality_holds_on_random_functions(seed):
    values = smooth_random_function(seed) + np.exp(-X**2) * np.sign(X)  # a jump: only H^s, s < ½
    etas = np.array([0.1, 0.5, 1.0, 4.0])
    for s in (0.25, 0.49, 1.0):
        tail = np.sqrt(stages.band_energies(values, SPACING, etas)[0])
        norm = stages.sobolev_norm(values, SPACING, s)
        assert np.all(tail <= stages.tail_factor(etas, s) * norm)
        assert np.all(stages.tail_factor(etas, s) <= etas ** (-s))


# ------------------------------------------------------------------ bounds on exact gradient flow (linear)

class LinearModel:
    """h(θ) = h_0 + Φᵀθ on the grid, L = ½ Δ ‖h‖²: gradient flow h' = -K h, K = Δ ΦᵀΦ, solved exactly.

    With √Δ Φᵀ = U S Vᵀ (thin SVD): h(t) = h_0 - U Uᵀ h_0 + U e^{-S² t} Uᵀ h_0. h_0 lies mostly in the
    span of the features (so L halves) plus a small part outside it.
    """

    def __init__(self, seed: int, parameters: int = 5) -> None:
        rng = np.random.default_rng(seed)
        widths = rng.uniform(0.5, 2.0, parameters)
        centres = rng.uniform(-3, 3, parameters)
        self.features = np.exp(-((X[None, :] - centres[:, None]) / widths[:, None]) ** 2)  # (P, N)
        self.initial = self.features.T @ rng.normal(size=parameters) + 0.1 * smooth_random_function(seed + 10)
        self.basis, singular, _ = np.linalg.svd(np.sqrt(SPACING) * self.features.T, full_matrices=False)
        self.rates = singular**2

    def residual(self, t: float) -> np.ndarray:
        coefficients = self.basis.T @ self.initial
        return self.initial - self.basis @ coefficients + self.basis @ (np.exp(-self.rates * t) * coefficients)

    def velocity(self, t: float) -> np.ndarray:
        return -self.basis @ (self.rates * np.exp(-self.rates * t) * (self.basis.T @ self.initial))

    def loss(self, t: float) -> float:
        return 0.5 * SPACING * float(np.sum(self.residual(t) ** 2))

    def gradient(self, h: np.ndarray) -> np.ndarray:
        return SPACING * self.features @ h

    def g_s(self, s: float) -> float:
        return stages.sobolev_gradient_constant(self.features, SPACING, s)


def test_the_linear_model_solves_gradient_flow():
    model = LinearModel(0)
    step = 1e-6  # h(t + ε) - h(t) ≈ ε h'(t) = -ε Δ Φᵀ ∇_θ... i.e. -ε K h
    for t in (0.0, 0.3):
        difference = (model.residual(t + step) - model.residual(t - step)) / (2 * step)
        kernel_times_h = SPACING * model.features.T @ (model.features @ model.residual(t))
        np.testing.assert_allclose(difference, -kernel_times_h, rtol=1e-6, atol=1e-9)
        np.testing.assert_allclose(model.velocity(t), -kernel_times_h, rtol=1e-10, atol=1e-13)


def halving_time(model: LinearModel) -> float:
    """The first T with L(T) = L(0)/2 (L decreases monotonically under gradient flow)."""
    target = model.loss(0.0) / 2
    return optimize.brentq(lambda t: model.loss(t) - target, 0.0, 1e6, xtol=1e-14)


@pytest.fixture(scope="module")
def linear_models():
    return [LinearModel(seed) for seed in range(3)]


def test_bound_one_holds_for_exact_gradient_flow(linear_models):
    etas = np.array([0.05, 0.2, 0.5, 1.0, 2.0])
    for model in linear_models:
        h = model.initial
        grad = model.gradient(h)
        ratios = []
        for eta in etas:
            high, _ = stages.band_split(h, SPACING, eta)
            ratios.append(abs(model.gradient(high) @ grad) / (grad @ grad))  # ∇L⁺ = Δ Φ P⁺h (P⁺ self-adjoint)
        bound = stages.initial_bound(etas, 1.0, model.g_s(1.0), model.loss(0.0), float(np.linalg.norm(grad)))
        assert np.all(np.array(ratios) <= bound)


def test_bounds_two_and_three_hold_for_exact_gradient_flow(linear_models):
    etas = np.array([0.05, 0.2, 0.5, 1.0])
    for model in linear_models:
        halving = halving_time(model)
        change = model.residual(halving) - model.initial
        ratios = np.sqrt(stages.band_energies(change, SPACING, etas)[0] / (SPACING * np.sum(change**2)))
        # the linear model's G_s does not depend on θ: sup_t G_s = G_s
        assert np.all(ratios <= stages.halving_bound(etas, 1.0, model.g_s(1.0), halving))
        # bound III with ∫_0^T ‖∂_t h‖_(H^1) dt by quadrature, ∂_t h = -K h
        length, _ = integrate.quad(
            lambda t, m=model: float(stages.sobolev_norm(m.velocity(t), SPACING, 1.0)), 0.0, halving
        )
        tail_now = np.sqrt(stages.band_energies(model.residual(halving), SPACING, etas)[0])
        tail_then = np.sqrt(stages.band_energies(model.initial, SPACING, etas)[0])
        assert np.all(tail_now >= stages.final_lower_bound(etas, 1.0, tail_then, length) - 1e-12)


def test_halving_lower_bound_on_the_change_of_the_residual(linear_models):
    for model in linear_models:
        halving = halving_time(model)
        change = np.sqrt(SPACING * np.sum((model.residual(halving) - model.initial) ** 2))
        assert change >= stages.HALVING_DENOMINATOR * np.sqrt(model.loss(0.0)) * (1 - 1e-9)


# ----------------------------------------------------------------------------------------- rates, fits

@pytest.mark.parametrize("activation, factor", [("tanh", 1.0), ("logistic", 2.0)])
def test_closed_form_transform_behind_the_rates_matches_quadrature(activation, factor):
    # tail_decay_steps starts from FT[sech²(w x / factor)](ξ) = (2π²ξ/a²) / sinh(π²ξ/a), a = w / factor
    first = stages.tail_decay_steps(activation)[0]
    w_symbol, xi_symbol = sp.Symbol("w", positive=True), sp.Symbol("xi", positive=True)
    closed = sp.lambdify((w_symbol, xi_symbol), first.lhs, "numpy")
    for w, xi in [(0.7, 0.3), (1.5, 0.8), (2.3, 1.7)]:
        def integrand(x, w=w, xi=xi):
            return np.cosh(w * x / factor) ** -2 * np.cos(2 * np.pi * xi * x)

        numeric, _ = integrate.quad(integrand, -60 * factor / w, 60 * factor / w, limit=400)
        assert closed(w, xi) == pytest.approx(numeric, rel=1e-9, abs=1e-14)
    if activation == "logistic":  # 4 σ'(z) = sech²(z/2) for the logistic sigmoid
        z = np.linspace(-5, 5, 11)
        sigma = 1 / (1 + np.exp(-z))
        np.testing.assert_allclose(4 * sigma * (1 - sigma), np.cosh(z / 2) ** -2, rtol=1e-13)


@pytest.mark.parametrize("p", [1, 2, 3])
def test_the_predicted_power_is_that_of_a_jump_in_the_p_minus_1th_derivative(p):
    # g = x₊^(p-1) e^{-x} jumps in its (p - 1)-th derivative; in closed form ĝ(ξ) = Γ(p) / (1 + 2πiξ)^p, so
    # tail²(η) = 2 ∫_η^∞ Γ(p)² (1 + 4π²ξ²)^(-p) dξ / ‖g‖², whose log-log slope tends to -(p - ½)
    from math import gamma

    def tail(eta: float) -> float:
        integral, _ = integrate.quad(lambda xi: (1 + 4 * np.pi**2 * xi**2) ** -p, eta, np.inf)
        return np.sqrt(2 * gamma(p) ** 2 * integral / (gamma(2 * p - 1) / 2 ** (2 * p - 1)))

    assert tail(0.0) == pytest.approx(1.0, rel=1e-9)  # ‖g‖² = Γ(2p - 1) / 2^(2p - 1) (Plancherel)
    etas = np.geomspace(4.0, 64.0, 9)
    slope = np.polyfit(np.log(etas), np.log([tail(eta) for eta in etas]), 1)[0]
    assert slope == pytest.approx(stages.predicted_power_exponent(f"relu{p}" if p > 1 else "relu"), abs=5e-3)
    assert stages.predicted_power_exponent("relu") == stages.RELU_TAIL_EXPONENT == -0.5
    assert stages.sobolev_exponent("relu3", 0.01) == pytest.approx(2.49)


@pytest.mark.parametrize("n", [1024, 1023])
def test_the_real_fft_path_equals_the_two_sided_spectrum(n):
    # band energies and Sobolev norms of a real g from the half spectrum (bins counted twice but ξ = 0 and
    # Nyquist) against the same g as a complex array (the full two-sided FFT)
    spacing = 2 * HALF_WIDTH / n
    x = -HALF_WIDTH + spacing * np.arange(n)
    values = np.exp(-x**2 / 8) * np.sin(2 * np.pi * 0.7 * x) + 0.1 * np.exp(-x**2)
    etas = [0.0, 0.3, 0.7, 1.0 / (n * spacing) * 40, 5.0]
    for real, complex_ in zip(stages.band_energies(values, spacing, etas),
                              stages.band_energies(values + 0j, spacing, etas), strict=True):
        np.testing.assert_allclose(real, complex_, rtol=1e-12, atol=1e-15)
    assert stages.sobolev_norm(values, spacing, 1.5) == pytest.approx(stages.sobolev_norm(values + 0j, spacing, 1.5),
                                                                       rel=1e-12)


def test_band_edges_on_bin_frequencies_are_robust_to_round_off():
    xi = stages.ordinary_frequencies(N, SPACING)
    on_bins = np.arange(1, 50) / (N * SPACING)
    nudged = on_bins * (1 + 1e-15)  # the same η up to round-off
    values = smooth_random_function(5)
    np.testing.assert_array_equal(stages.band_energies(values, SPACING, on_bins)[0],
                                  stages.band_energies(values, SPACING, nudged)[0])
    for eta in on_bins[:5]:
        high, _ = stages.band_masks(xi, eta)
        assert np.sum(high) == N - 1 - 2 * round(eta * N * SPACING)  # |ξ| = η is in the low band


# ------------------------------------------------------------------------------------ symbolic derivation

@pytest.mark.parametrize("name", ["bounds", "tanh", "logistic", "relu"])
def test_every_symbolic_step_holds(name):
    steps = stages.stage_bound_steps() if name == "bounds" else stages.tail_decay_steps(name)
    assert steps and all(step.holds() for step in steps)


def test_derivation_steps_chain_the_bounds_and_the_rate():
    steps = stages.derivation_steps("relu")
    assert len(steps) == len(stages.stage_bound_steps()) + len(stages.tail_decay_steps("relu"))
    with pytest.raises(ValueError, match="activation"):
        stages.derivation_steps("gelu")


def test_a_wrong_step_is_caught():
    xi, eta, s = sp.symbols("xi eta s", positive=True)
    good = stages.stage_bound_steps()[0]
    wrong = type(good)("wrong weight split", (1 + xi**2) ** s, (1 + eta**2) ** s * (1 + xi**2 - eta**2) ** s)
    assert not wrong.holds()


# ------------------------------------------------------------------------------------------- bad input

def test_bad_input_raises_value_error():
    with pytest.raises(ValueError, match="η"):
        stages.band_masks(np.zeros(4), -0.1)
    with pytest.raises(ValueError, match="η"):
        stages.tail_factor(np.nan, 1.0)
    with pytest.raises(ValueError, match="Sobolev exponent"):
        stages.sobolev_norm(np.ones(8), 0.1, -1.0)
    with pytest.raises(ValueError, match="NaN"):
        stages.band_energies(np.array([1.0, np.nan, 0.0]), 0.1, [0.5])
    with pytest.raises(ValueError, match="max\\|w\\| = 0"):
        stages.predicted_exponential_rate("tanh", 0.0)
    with pytest.raises(ValueError, match="NaN or inf"):
        stages.predicted_exponential_rate("logistic", np.nan)
    with pytest.raises(ValueError, match="exponential tail rate"):
        stages.predicted_exponential_rate("relu", 1.0)
    with pytest.raises(ValueError, match="power-law tail"):
        stages.predicted_power_exponent("tanh")
    with pytest.raises(ValueError, match="activation"):
        stages.sobolev_exponent("gelu")
    with pytest.raises(ValueError, match="G_s"):
        stages.initial_bound(0.5, 1.0, 0.0, 1.0, 1.0)
    with pytest.raises(ValueError, match="T must"):
        stages.halving_bound(0.5, 1.0, 1.0, -2.0)
    with pytest.raises(ValueError, match="identically zero"):
        stages.relative_tail_norms(np.zeros(16), 0.1, [0.5])
