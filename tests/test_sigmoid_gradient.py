"""fpcheck.theory.sigmoid_gradient: the derivation re-checked step by step, the derived forms against
docs/formulas.md §1 in all four sign cases, the numeric forms against quadrature and finite differences,
the Gaussian target's transform, properties and bad input. Convention throughout: ĝ(k) = ∫ g(x) e^{-ikx} dx."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate

from fpcheck.theory import sigmoid_gradient as sg
from fpcheck.theory.derivation import Step, failing_steps, format_steps

ACTIVATIONS = ("tanh", "logistic")
RATE = {"tanh": np.pi / 2, "logistic": np.pi}
W_POS, K_POS = sp.Symbol("W", positive=True), sp.Symbol("K", positive=True)
SIGN_CASES = [(sw, sk) for sw in (1, -1) for sk in (1, -1)]


def _equal(lhs: sp.Expr, rhs: sp.Expr) -> bool:
    """sympy proves lhs = rhs: in exponentials, over a common denominator, the numerator expands to 0."""
    difference = sp.expand(sp.expand_complex(lhs - rhs).rewrite(sp.exp))
    return sp.expand(sp.powsimp(sp.numer(sp.together(difference)))) == 0 or sp.simplify(lhs - rhs) == 0


def _formulas(activation: str) -> dict[str, sp.Expr]:
    """docs/formulas.md §1 typed as written there (tanh; logistic with π/2 -> π), in E, ψ, sgn(k), |k|."""
    k, w, b, a, E, psi = (sg.SYMBOLS[name] for name in ("k", "w", "b", "a", "E", "psi"))
    c = sp.pi / 2 if activation == "tanh" else sp.pi
    one_minus = 1 - E**2
    return {
        "transform": -sp.I * sp.pi * a * sp.exp(sp.I * k * b / w) / (sp.Abs(w) * sp.sinh(c * k / w)),
        "G_a": 2 * sp.pi * sp.sign(k) * sp.sin(psi) / (w * one_minus),
        "G_b": 2 * sp.pi * a * sp.Abs(k) * sp.cos(psi) / (w**2 * one_minus),
        "G_w": 2 * sp.pi * a * sp.sign(k) / (w**2 * one_minus)
        * ((c * sp.Abs(k) / sp.Abs(w) * (1 + E**2) / one_minus - 1) * sp.sin(psi) - (k * b / w) * sp.cos(psi)),
        "E": sp.exp(-c * sp.Abs(k / w)),
    }


def _case(sw: int, sk: int) -> dict[sp.Symbol, sp.Expr]:
    return {sg.SYMBOLS["w"]: sw * W_POS, sg.SYMBOLS["k"]: sk * K_POS}


# ---------------------------------------------------------------------------------------------------
# the derivation


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_every_derivation_step_holds(activation: str) -> None:
    derivation = sg.derive(activation)
    assert len(derivation.steps) >= 30
    assert failing_steps(derivation.steps) == []


def test_a_wrong_step_fails_both_symbolically_and_numerically() -> None:
    derivation = sg.derive("tanh")
    symbolic = next(step for step in derivation.steps if step.description.startswith("factoring ∂L/∂w_j"))
    assert not Step(symbolic.description, symbolic.lhs, symbolic.rhs * (1 + sg.SYMBOLS["E"] ** 2)).holds()
    numeric = next(step for step in derivation.steps if step.checked_at)
    assert not Step(numeric.description, numeric.lhs, numeric.rhs * 1.000001, checked_at=numeric.checked_at).holds()


def test_the_derivation_is_cached_and_printable() -> None:
    assert sg.derive("logistic") is sg.derive("logistic")
    text = format_steps(sg.derive("tanh").steps)
    assert "residue theorem" in text and "checked numerically at 3 points" in text


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize(("sw", "sk"), SIGN_CASES)
def test_derived_forms_equal_formulas_in_every_sign_case(activation: str, sw: int, sk: int) -> None:
    results, expected = sg.derive(activation).results, _formulas(activation)
    case = _case(sw, sk)
    assert _equal(results["transform"].subs(case), expected["transform"].subs(case))
    A, phi, psi, E = (sg.SYMBOLS[name] for name in ("A", "phi", "psi", "E"))
    psi_of_phi = sg.SYMBOLS["k"] * sg.SYMBOLS["b"] / sg.SYMBOLS["w"] - phi
    for name in sg.PARAMETERS:
        assert _equal(results[f"G_{name}"].subs(case), expected[f"G_{name}"].subs(case)), name
        factored = (A * expected["E"] * expected[f"G_{name}"].subs(E, expected["E"])).subs(psi, psi_of_phi)
        assert _equal(results[f"gradient_{name}"].subs(case), factored.subs(case)), name


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_stable_forms_and_the_xi_convention(activation: str) -> None:
    derivation = sg.derive(activation)
    E, Q, k, xi = (sg.SYMBOLS[name] for name in ("E", "Q", "k", "xi"))
    for case in (_case(sw, sk) for sw, sk in SIGN_CASES):
        for name in sg.PARAMETERS:
            stable = derivation.stable[f"G_{name}"].subs(Q, 1 - E**2)
            assert _equal(stable.subs(case), derivation.results[f"G_{name}"].subs(case))
        stable = derivation.stable["transform"].subs(Q, 1 - E**2)
        assert _equal(stable.subs(case), derivation.results["transform_stable"].subs(case))
    assert _equal(derivation.results["transform_xi"], derivation.results["transform"].subs(k, 2 * sp.pi * xi))
    c = RATE[activation]
    assert float(derivation.results["decay_rate"].subs(sg.SYMBOLS["w"], 0.5)) == pytest.approx(c / 0.5, rel=1e-15)
    assert float(derivation.results["decay_rate_xi"].subs(sg.SYMBOLS["w"], -0.5)) == pytest.approx(
        2 * np.pi * c / 0.5, rel=1e-15
    )


def test_unknown_activation_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown activation 'relu'"):
        sg.derive("relu")
    with pytest.raises(ValueError, match="unknown activation"):
        sg.neuron_ft([1.0], [1.0], [0.0], [1.0], activation="softplus")


# ---------------------------------------------------------------------------------------------------
# numeric forms against independent oracles


def _quadrature_transform(a: float, w: float, b: float, k: float, activation: str) -> complex:
    """FT[a σ(wx + b)](k) by scipy quad: σ minus its step (which decays), plus the step's exact transform.

    Step: tanh -> sgn(wx + b), jump 2; logistic -> H(wx + b), jump 1. FT of a jump J at x0 = -b/w in the
    direction sgn(w) is J sgn(w) e^{-ikx0} / (ik) for k ≠ 0.
    """
    x0 = -b / w
    if activation == "tanh":
        remainder, jump = (lambda x: np.tanh(w * x + b) - np.sign(w * x + b)), 2.0
    else:
        remainder, jump = (lambda x: 1 / (1 + np.exp(-(w * x + b))) - np.heaviside(w * x + b, 0.5)), 1.0
    reach = 50.0 / abs(w)
    total = 0.0 + 0.0j
    for lower, upper in ((x0 - reach, x0), (x0, x0 + reach)):
        real = integrate.quad(lambda x: remainder(x) * np.cos(k * x), lower, upper, limit=400, epsabs=1e-14)[0]
        imag = integrate.quad(lambda x: -remainder(x) * np.sin(k * x), lower, upper, limit=400, epsabs=1e-14)[0]
        total += real + 1j * imag
    return a * (total + jump * np.sign(w) * np.exp(-1j * k * x0) / (1j * k))


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_neuron_ft_matches_quadrature(activation: str) -> None:
    a = np.array([0.7, -1.3, 0.4])
    w = np.array([0.6, -1.4, 2.5])
    b = np.array([0.3, 0.8, -1.1])
    k = np.array([0.4, -1.7, 3.2, -5.0])
    computed = sg.neuron_ft(a, w, b, k, activation)
    assert computed.shape == (4, 3) and computed.dtype == np.complex128
    oracle = np.array([[_quadrature_transform(a[j], w[j], b[j], kk, activation) for j in range(3)] for kk in k])
    scale = np.abs(oracle).max(axis=1, keepdims=True)
    assert np.max(np.abs(computed - oracle) / scale) < 1e-8


def _loss(a, w, b, k, f_hat, activation):
    return 0.5 * np.abs(sg.neuron_ft(a, w, b, k, activation).sum(axis=1) - f_hat) ** 2


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_frequency_gradient_matches_finite_differences(activation: str) -> None:
    rng = np.random.default_rng(3)
    a, b = rng.normal(size=3), rng.uniform(-1.5, 1.5, size=3)
    w = rng.uniform(0.4, 2.0, size=3) * np.array([1.0, -1.0, 1.0])
    k = np.array([-3.1, -0.6, 0.25, 1.2, 4.4])
    f_hat = np.sqrt(2 * np.pi) * np.exp(-(k**2) / 2)
    D = sg.neuron_ft(a, w, b, k, activation).sum(axis=1) - f_hat
    gradient = sg.frequency_gradient(a, w, b, k, D, activation)
    values = {"a": a, "w": w, "b": b}
    for name in sg.PARAMETERS:
        for j in range(3):
            step = 1e-5 * max(1.0, abs(values[name][j]))
            shifted = {key: value.copy() for key, value in values.items()}
            shifted[name][j] += step
            up = _loss(shifted["a"], shifted["w"], shifted["b"], k, f_hat, activation)
            shifted[name][j] -= 2 * step
            down = _loss(shifted["a"], shifted["w"], shifted["b"], k, f_hat, activation)
            difference = (up - down) / (2 * step)
            assert np.allclose(gradient[name][:, j], difference, rtol=1e-6, atol=1e-9 * np.abs(difference).max())


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_numeric_forms_equal_the_exact_derived_expressions(activation: str) -> None:
    """The stable numerics against the derived exact forms (|w|, sinh) lambdified directly, at moderate z."""
    results = sg.derive(activation).results
    symbols = [sg.SYMBOLS[name] for name in ("a", "w", "b", "k", "A", "phi")]
    rng = np.random.default_rng(5)
    a, w, b = rng.normal(size=4), rng.uniform(0.3, 2.0, size=4) * np.array([1, -1, -1, 1]), rng.normal(size=4)
    k = rng.uniform(-6, 6, size=7)
    D = rng.normal(size=7) + 1j * rng.normal(size=7)
    grid = k[:, None]
    transform = sp.lambdify(symbols[:4], results["transform"], "numpy")(a, w, b, grid)
    assert np.allclose(sg.neuron_ft(a, w, b, k, activation), transform, rtol=1e-12, atol=0)
    gradient = sg.frequency_gradient(a, w, b, k, D, activation)
    for name in sg.PARAMETERS:
        exact = sp.lambdify(symbols, results[f"gradient_{name}"], "numpy")(
            a, w, b, grid, np.abs(D)[:, None], np.angle(D)[:, None]
        )
        assert np.allclose(gradient[name], exact, rtol=1e-10, atol=1e-14 * np.abs(exact).max())


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_large_k_limit_of_G(activation: str) -> None:
    """G_a and G_b tend to their E -> 0 limits with relative error E² (G_lim / G = 1 - E²)."""
    results = sg.derive(activation).results
    names = ("k", "w", "b", "a", "psi", "E")
    for z in (1.0, 4.0, 10.0):
        E = np.exp(-z)
        values = (1.3, 1.3 * RATE[activation] / z, 0.2, 0.9, 0.7, E)
        point = {sg.SYMBOLS[n]: v for n, v in zip(names, values, strict=True)}
        for name in ("a", "b"):
            exact = float(results[f"G_{name}"].subs(point))
            limit = float(results[f"G_{name}_limit"].subs(point))
            assert abs(limit / exact - 1) == pytest.approx(E**2, rel=1e-9)


def test_decay_rate() -> None:
    assert np.allclose(sg.decay_rate([0.5, -2.0]), [np.pi, np.pi / 4], rtol=1e-15)
    assert np.allclose(sg.decay_rate([0.5], "logistic"), [2 * np.pi], rtol=1e-15)
    assert np.allclose(sg.decay_rate([1.0], "tanh", "ordinary"), [np.pi**2], rtol=1e-15)
    with pytest.raises(ValueError, match="w = 0"):
        sg.decay_rate([0.0, 1.0])
    with pytest.raises(ValueError, match="unknown convention"):
        sg.decay_rate([1.0], convention="hertz")


def test_the_closed_form_is_specific_to_sech2() -> None:
    """What the controls of the xu2018 gradient claims rest on. The Gudermannian gd (gd' = sech, poles at the
    same ±iπ/2 but simple) has the neuron transform a e^{ikb/w} π sech(πk/2w)/(ik), w > 0 (by hand, checked by
    quadrature in test_frequency_loss): the derived tanh transform is (2/π) z coth z times it, z = πk/2w, a
    factor that runs from 2/π to ∞ (no choice of a or w absorbs it)."""
    a, w, b = 1.3, 0.7, -0.4
    k = np.array([0.05, 0.5, 1.0, 3.0, 8.0])
    z = np.pi * k / (2 * w)
    derived = sg.neuron_ft([a], [w], [b], k, "tanh")[:, 0]
    gudermannian = a * np.exp(1j * k * b / w) * np.pi / np.cosh(z) / (1j * k)
    np.testing.assert_allclose(derived / gudermannian, 2 / np.pi * z / np.tanh(z), rtol=1e-10)
    assert np.ptp(np.abs(derived / gudermannian)) > 5


# ---------------------------------------------------------------------------------------------------
# properties over wide ranges

magnitudes = st.floats(min_value=1e-3, max_value=1e3)
signs = st.sampled_from([-1.0, 1.0])
biases = st.floats(min_value=-1e3, max_value=1e3)
amplitudes = st.floats(min_value=-1e3, max_value=1e3)


@settings(max_examples=60, deadline=None)
@given(
    activation=st.sampled_from(ACTIVATIONS),
    a=amplitudes,
    w=magnitudes,
    w_sign=signs,
    b=biases,
    k=st.floats(min_value=1e-3, max_value=1e4),
    k_sign=signs,
    D=st.complex_numbers(max_magnitude=1e3, allow_nan=False, allow_infinity=False),
)
def test_finite_outputs_and_symmetry(activation, a, w, w_sign, b, k, k_sign, D) -> None:
    """Finite everywhere (|πk/2w| up to 1e7); (w, b, k) -> (-w, -b, -k) maps T̂ to -conj(T̂) (σ(-u) = -σ(u)
    up to a constant) and, with D -> -conj(D), leaves ∂L/∂a and flips ∂L/∂w, ∂L/∂b (L is unchanged)."""
    arrays = ([a], [w * w_sign], [b], [k * k_sign])
    mirrored = ([a], [-w * w_sign], [-b], [-k * k_sign])
    transform = sg.neuron_ft(*arrays, activation)
    assert np.all(np.isfinite(transform))
    assert np.allclose(sg.neuron_ft(*mirrored, activation), -np.conj(transform), rtol=1e-9, atol=0)
    gradient = sg.frequency_gradient(*arrays, [D], activation)
    mirror_gradient = sg.frequency_gradient(*mirrored, [-np.conj(D)], activation)
    envelope = sg.gradient_envelope(*arrays, activation)
    for name, sign in (("a", 1), ("w", -1), ("b", -1)):
        assert np.all(np.isfinite(gradient[name]))
        scale = 1e-12 * abs(D) * envelope[name]  # cancellation in sin ψ, cos ψ near their zeros
        assert np.allclose(mirror_gradient[name], sign * gradient[name], rtol=1e-9, atol=scale)
    log_envelope = sg.gradient_envelope(*arrays, activation, log=True)
    assert np.all(np.isfinite(log_envelope["a"]))
    for name in ("w", "b"):  # proportional to a: log 0 = -inf when a = 0, never NaN
        assert np.all(np.isfinite(log_envelope[name])) or (a == 0 and np.all(log_envelope[name] == -np.inf))


@settings(max_examples=60, deadline=None)
@given(
    activation=st.sampled_from(ACTIVATIONS),
    a=st.floats(min_value=-10, max_value=10),
    w=st.floats(min_value=0.05, max_value=20),
    w_sign=signs,
    b=st.floats(min_value=-10, max_value=10),
    k=st.floats(min_value=1e-2, max_value=1e3),
    k_sign=signs,
    D=st.complex_numbers(min_magnitude=1e-3, max_magnitude=1e3, allow_nan=False, allow_infinity=False),
)
def test_exponential_decay_bound(activation, a, w, w_sign, b, k, k_sign, D) -> None:
    """|∂L/∂θ_j| ≤ A E (a polynomial in |k|) with E = e^{-c|k/w|} (|sin ψ|, |cos ψ| ≤ 1 in docs/formulas.md §1),
    and |∂L/∂θ_j| / A never exceeds the envelope."""
    ws, ks = w * w_sign, k * k_sign
    gradient = sg.frequency_gradient([a], [ws], [b], [ks], [D], activation)
    z = RATE[activation] * k / w
    E, Q = np.exp(-z), -np.expm1(-2 * z)
    A = abs(D)
    bounds = {
        "a": A * E * 2 * np.pi / (w * Q),
        "b": A * E * 2 * np.pi * abs(a) * k / (w**2 * Q),
        "w": A * E * 2 * np.pi * abs(a) / (w**2 * Q) * (z * (2 - Q) / Q + 1 + abs(ks * b / ws)),
    }
    envelope = sg.gradient_envelope([a], [ws], [b], [ks], activation)
    for name, bound in bounds.items():
        value = abs(gradient[name][0, 0])
        assert value <= bound * (1 + 1e-12) + 1e-300
        assert value <= A * envelope[name][0, 0] * (1 + 1e-12) + 1e-300


# ---------------------------------------------------------------------------------------------------
# bad input

GOOD = {"a": [1.0, 2.0], "w": [0.5, -1.0], "b": [0.0, 0.3], "k": [1.0, -2.0, 3.0]}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"k": [1.0, 0.0, 3.0]}, "k = 0"),
        ({"w": [0.5, 0.0]}, "w = 0"),
        ({"a": [np.nan, 2.0]}, "a holds NaN or inf"),
        ({"b": [0.0, np.inf]}, "b holds NaN or inf"),
        ({"k": [1.0, np.inf, 3.0]}, "k holds NaN or inf"),
        ({"a": [1.0, 2.0, 3.0]}, "same shape"),
        ({"k": [[1.0, 2.0]]}, "k must be one-dimensional"),
        ({"a": [1.0 + 1j, 2.0]}, "a must be real"),
        ({"w": []}, "w is empty"),
        ({"k": [1e-200, 1.0, 2.0]}, "below 1e-150"),
    ],
)
def test_bad_inputs_raise_value_error(change: dict, message: str) -> None:
    arguments = {**GOOD, **change}
    with pytest.raises(ValueError, match=message):
        sg.neuron_ft(arguments["a"], arguments["w"], arguments["b"], arguments["k"])
    D = np.ones(np.asarray(arguments["k"]).shape[-1], dtype=complex)
    with pytest.raises(ValueError, match=message):
        sg.frequency_gradient(arguments["a"], arguments["w"], arguments["b"], arguments["k"], D)


@pytest.mark.parametrize(("D", "message"), [([1.0, 2.0], "D must have shape"), ([1.0, np.nan, 1.0], "D holds NaN")])
def test_bad_residual_raises_value_error(D: list, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        sg.frequency_gradient(GOOD["a"], GOOD["w"], GOOD["b"], GOOD["k"], D)


def test_gaussian_transform_and_residual() -> None:
    """f̂ of exp(-x²/(2s²)) against scipy quad; D = Σ_j neuron_ft - f̂."""
    width = 0.7
    def gaussian(x):
        return np.exp(-(x**2) / (2 * width**2))

    for k in (-2.5, 0.3, 4.0):
        real = integrate.quad(gaussian, -40, 40, weight="cos", wvar=k, limit=200)[0]
        imag = -integrate.quad(gaussian, -40, 40, weight="sin", wvar=k, limit=200)[0]
        assert sg.gaussian_transform([k], width)[0] == pytest.approx(real + 1j * imag, rel=1e-10, abs=1e-14)
    a, w, b, k = np.array([0.8, -1.2]), np.array([0.6, -1.5]), np.array([0.3, 1.1]), np.array([-1.0, 0.5, 3.0])
    for activation in ("tanh", "logistic"):
        expected = sg.neuron_ft(a, w, b, k, activation).sum(axis=1) - sg.gaussian_transform(k, width)
        np.testing.assert_array_equal(sg.gaussian_residual(a, w, b, k, width, activation), expected)
