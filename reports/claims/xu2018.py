"""Claims of Xu 2018, "Understanding training and generalization in deep learning by Fourier analysis"
(arXiv:1808.04295), on one-hidden-layer tanh and logistic networks in the frequency domain (FORMULAS §1).

- `xu2018.tanh-gradient-closed-form`: the sympy-derived ∂L(k)/∂θ_j (`theory.sigmoid_gradient`) equals
  the autograd gradient of the per-frequency loss of the same torch network, whose transform is
  computed by quadrature (`empirics.frequency_loss`);
- `xu2018.gradient-exponential-decay`: |∂L(k)/∂θ_j| decays like e^{-c|k|/|w_j|}, c = π/2 (tanh) or π
  (logistic): the rate fitted to the measured envelope against the predicted c/|w_j|.

Both draw random networks from the seed (numpy streams "xu2018/<claim>/<activation>") and use the
target f(x) = exp(-x²/(2s²)), s = `target_width`: the prediction uses its closed-form transform
s√(2π) e^{-s²k²/2}, the measurement its quadrature. Angular convention ĝ(k) = ∫ g(x) e^{-ikx} dx.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from matplotlib.figure import Figure

from empirics import frequency_loss
from empirics.seeding import numpy_rng
from reports import spectral_bias_training as training
from reports.catalogue import register
from reports.claim import Claim, Measurement, Params, Prediction, concat, tidy
from reports.rules import Bound, Equality
from theory import sigmoid_gradient

SOURCE = (
    'Xu 2018, "Understanding training and generalization in deep learning by Fourier analysis", '
    "arXiv:1808.04295"
)
ACTIVATIONS = sigmoid_gradient.ACTIVATIONS
PARAMETERS = sigmoid_gradient.PARAMETERS


@dataclass(frozen=True)
class Network:
    """One random one-hidden-layer network: a, w, b of shape (m,)."""

    a: np.ndarray
    w: np.ndarray
    b: np.ndarray
    activation: str


def draw_network(params: Params, seed: int, stream: str, activation: str) -> tuple[Network, np.random.Generator]:
    """a ~ N(0, 1), |w| ~ U(w_min, w_max) with a random sign, b ~ U(-b_max, b_max); the generator
    is returned so the caller draws its frequencies from the same stream."""
    rng = numpy_rng(seed, f"xu2018/{stream}/{activation}")
    m = int(params["neurons"])
    a = rng.normal(size=m)
    w = rng.uniform(float(params["w_min"]), float(params["w_max"]), size=m) * rng.choice([-1.0, 1.0], size=m)
    b = rng.uniform(-float(params["b_max"]), float(params["b_max"]), size=m)
    return Network(a, w, b, activation), rng


def target_transform(k: np.ndarray, width: float) -> np.ndarray:
    """FT of exp(-x²/(2s²)) in the angular convention: s√(2π) e^{-s²k²/2} (the theory side's f̂)."""
    return width * np.sqrt(2 * np.pi) * np.exp(-((width * k) ** 2) / 2)


def _measured(network: Network, k: np.ndarray, params: Params) -> frequency_loss.LossGradient:
    """Quadrature transform and autograd gradient of the torch network (f̂ by quadrature too)."""
    module = frequency_loss.ShallowNetwork(network.a, network.w, network.b, network.activation)
    grid = frequency_loss.quadrature_grid(
        network.w, network.b, float(np.abs(k).max()), network.activation, float(params["quadrature_digits"])
    )
    width = float(params["target_width"])
    f_hat = frequency_loss.function_transform(lambda x: torch.exp(-(x**2) / (2 * width**2)), k, grid)
    return frequency_loss.loss_gradient(module, k, f_hat.numpy(), grid)


def _derived_residual(network: Network, k: np.ndarray, params: Params) -> np.ndarray:
    """D(k) = T̂(k) - f̂(k) from the closed forms."""
    transform = sigmoid_gradient.neuron_ft(network.a, network.w, network.b, k, network.activation).sum(axis=1)
    return transform - target_transform(k, float(params["target_width"]))


def _gradient_axes(
    figure: Figure,
    position: int,
    title: str,
    curves: Sequence[tuple[np.ndarray, np.ndarray]],
    points: Sequence[tuple[np.ndarray, np.ndarray]],
    envelopes: Sequence[tuple[np.ndarray, np.ndarray]] = (),
) -> None:
    """|∂L/∂θ_j| against k on a log scale: derived curves (lines), measured points (dots), one colour per j."""
    axes = figure.add_subplot(2, 3, position)
    for j, ((k_curve, curve), (k_points, values)) in enumerate(zip(curves, points, strict=True)):
        colour = f"C{j % 10}"
        axes.semilogy(k_curve, np.abs(curve), color=colour, linewidth=0.8)
        axes.semilogy(k_points, np.abs(values), ".", color=colour, markersize=3)
    for j, (k_env, envelope) in enumerate(envelopes):
        axes.semilogy(k_env, envelope, "--", color=f"C{j % 10}", linewidth=0.8)
    axes.set_title(title, fontsize=9)
    axes.set_xlabel("k (angular)")
    axes.set_ylabel("|∂L(k)/∂θ_j|")


# ------------------------------------------------------------------------------------------------
# xu2018.tanh-gradient-closed-form


def closed_form_frequencies(params: Params, network: Network, rng: np.random.Generator) -> np.ndarray:
    """Each neuron's own random frequencies, shape (m, K): |k| log-uniform on [k_min, k_max], either
    sign, k_max = z_max max|w|/c, so the largest gradient at every k is at least ~e^{-z_max} of its scale."""
    c = float(sigmoid_gradient.rate_constant(network.activation))
    k_max = float(params["z_max"]) * float(np.abs(network.w).max()) / c
    shape = (network.w.size, int(params["frequencies_per_neuron"]))
    magnitude = np.exp(rng.uniform(np.log(float(params["k_min"])), np.log(k_max), size=shape))
    return magnitude * rng.choice([-1.0, 1.0], size=shape)


def _closed_form_case(params: Params, seed: int, activation: str) -> tuple[Network, np.ndarray]:
    network, rng = draw_network(params, seed, "closed-form", activation)
    return network, closed_form_frequencies(params, network, rng)


def _scaled_rows(seed: int, side: str, activation: str, gradient: Mapping[str, np.ndarray], k: np.ndarray) -> list:
    """Rows `<side>_<activation>_<θ>` at x = k: ∂L/∂θ_j at neuron j's own frequencies, divided by the
    largest |∂L/∂θ| (any neuron, any θ) at that k, so Equality(rtol, atol) is the claim's rule."""
    flat = k.reshape(-1)
    stacked = np.stack([gradient[name] for name in PARAMETERS])  # (3, K, m) over all k of all neurons
    scale = np.abs(stacked).max(axis=(0, 2))
    owner = np.repeat(np.arange(k.shape[0]), k.shape[1])
    rows = []
    for name in PARAMETERS:
        own = gradient[name][np.arange(flat.size), owner]
        rows.append(tidy(seed, f"{side}_{activation}_{name}", own / scale, x=flat))
    return rows


def predict_closed_form(params: Params, seeds: Sequence[int]) -> Prediction:
    frames = []
    for seed in seeds:
        for activation in ACTIVATIONS:
            network, k = _closed_form_case(params, seed, activation)
            flat = k.reshape(-1)
            gradient = sigmoid_gradient.frequency_gradient(
                network.a, network.w, network.b, flat, _derived_residual(network, flat, params), activation
            )
            frames += _scaled_rows(seed, "derived", activation, gradient, k)
    return Prediction(
        concat(frames),
        "∂L(k)/∂θ_j from the derived closed form A E_j G_θ (theory.sigmoid_gradient), scaled per k",
    )


def measure_closed_form(params: Params, seeds: Sequence[int]) -> Measurement:
    frames, artifacts = [], {}
    for seed in seeds:
        for activation in ACTIVATIONS:
            network, k = _closed_form_case(params, seed, activation)
            measured = _measured(network, k.reshape(-1), params)
            frames += _scaled_rows(seed, "autograd", activation, measured.gradient, k)
            if seed == seeds[0]:
                artifacts[activation] = {"network": network, "k": k, "gradient": measured.gradient}
    return Measurement(
        concat(frames),
        summary="autograd (forward mode) of L(k) = ½|T̂ - f̂|², T̂ by trapezoidal quadrature of T' / (ik)",
        artifacts=artifacts,
    )


def _own_points(k: np.ndarray, gradient: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per neuron j: (its own k, its measured ∂L/∂θ_j there), sorted by k."""
    flat = gradient.reshape(k.shape[0], k.shape[1], -1)  # (m, K_j, m) in the measured k order
    points = []
    for j in range(k.shape[0]):
        order = np.argsort(k[j])
        points.append((k[j][order], flat[j, :, j][order]))
    return points


def closed_form_figures(prediction: Prediction, measurement: Measurement, params: Params) -> list[Figure]:
    """First seed: measured autograd gradients (dots) over the derived |∂L/∂θ_j| (lines), both signs of k."""
    if not measurement.artifacts:
        return []
    figure = Figure(figsize=(12, 7))
    for row, activation in enumerate(ACTIVATIONS):
        data = measurement.artifacts[activation]
        network, k = data["network"], data["k"]
        limit = float(np.abs(k).max())
        dense = np.concatenate([np.linspace(-limit, -1e-2, 600), np.linspace(1e-2, limit, 600)])
        derived = sigmoid_gradient.frequency_gradient(
            network.a, network.w, network.b, dense, _derived_residual(network, dense, params), activation
        )
        for column, name in enumerate(PARAMETERS):
            curves = [(dense, derived[name][:, j]) for j in range(network.w.size)]
            points = _own_points(k, data["gradient"][name])
            _gradient_axes(figure, 3 * row + column + 1, f"{activation}: ∂L/∂{name}_j", curves, points)
    figure.suptitle("xu2018.tanh-gradient-closed-form: autograd (dots) vs derived closed form (lines)")
    figure.tight_layout()
    return [figure]


register(
    Claim(
        id="xu2018.tanh-gradient-closed-form",
        version=1,
        source=f"{SOURCE}, §3, Eqs. (5)-(9) (the frequency-domain gradient); FORMULAS.md §1",
        statement=(
            "The sympy-derived ∂L(k)/∂θ for a one-hidden-layer tanh (and logistic) network equals the autograd "
            "gradient of the per-frequency loss of the same torch network, its transform computed numerically."
        ),
        expected="agree",
        expected_reason=(
            "The closed form follows from FT[sech²](k) = πk/sinh(πk/2) by exact steps (residues, the "
            "shift/scale rule, the chain rule), each re-checked by sympy; a float64 quadrature accurate to "
            "~e^{-40} should reproduce it to rounding."
        ),
        rules=tuple(
            Equality(f"autograd_{activation}_{name}", f"derived_{activation}_{name}", rtol=1e-6, atol=1e-9)
            for activation in ACTIVATIONS
            for name in PARAMETERS
        ),
        setup={
            "quick": {
                "seeds": 3,
                "neurons": 4,
                "w_min": 0.5,
                "w_max": 2.0,
                "b_max": 2.0,
                "frequencies_per_neuron": 16,
                "k_min": 0.05,
                "z_max": 10.0,
                "target_width": 1.0,
                "quadrature_digits": 40.0,
            },
            "paper": {
                "seeds": 10,
                "neurons": 16,
                "w_min": 0.25,
                "w_max": 4.0,
                "b_max": 4.0,
                "frequencies_per_neuron": 32,
                "k_min": 0.01,
                "z_max": 10.0,
                "target_width": 1.0,
                "quadrature_digits": 40.0,
            },
        },
        predict=predict_closed_form,
        measure=measure_closed_form,
        figures=closed_form_figures,
        notes=(
            "Rule: |autograd - derived| ≤ 1e-6 |derived| + 1e-9 × (the largest |∂L/∂θ| at that k, over all "
            "neurons and θ). Each side divides its gradients by its own largest |∂L/∂θ| at that k (the two "
            "agree far below 1e-6), so the Equality(rtol 1e-6, atol 1e-9) on the scaled quantities "
            "`<side>_<activation>_<θ>` (x = k) is exactly that rule. Every neuron j is checked at its own "
            "random frequencies of both signs, |k| log-uniform on [k_min, z_max max|w|/c].",
            "Measurement: T̂(k) = FT[T'](k)/(ik) with T' from forward-mode autodiff of the torch network in x "
            "and FT by the trapezoidal rule on a grid chosen for ~e^{-40} accuracy (T' decays exponentially "
            "and is analytic in a strip, so the non-decaying tail of σ never enters); f̂ by the same rule; "
            "the gradient by forward-mode autodiff (torch.func.jacfwd) of L(k) = ½|T̂ - f̂|². The closed "
            "form is never used on this side. Target f(x) = exp(-x²/2).",
        ),
        derivation="sigmoid-gradient",
    )
)


# ------------------------------------------------------------------------------------------------
# xu2018.gradient-exponential-decay


def decay_frequencies(params: Params, network: Network) -> np.ndarray:
    """k = ± a geometric grid from k_min to z_max max|w|/c (K points per sign), sorted."""
    c = float(sigmoid_gradient.rate_constant(network.activation))
    k_max = float(params["z_max"]) * float(np.abs(network.w).max()) / c
    positive = np.geomspace(float(params["k_min"]), k_max, int(params["frequencies"]))
    return np.concatenate([-positive[::-1], positive])


def fit_window(k: np.ndarray, w: float, envelope: np.ndarray, floor: np.ndarray, params: Params) -> np.ndarray:
    """CLAIMS.md: |πk/(2w_j)| ≥ fit_start and the envelope above floor_factor × its numeric floor."""
    return (np.abs(np.pi * k / (2 * w)) >= float(params["fit_start"])) & (
        envelope > float(params["floor_factor"]) * floor
    )


def predict_decay(params: Params, seeds: Sequence[int]) -> Prediction:
    frames = []
    for seed in seeds:
        for activation in ACTIVATIONS:
            network, _ = draw_network(params, seed, "decay", activation)
            rate = sigmoid_gradient.decay_rate(network.w, activation)
            neuron = np.arange(network.w.size)
            frames += [
                tidy(seed, f"predicted_rate_{activation}", rate, x=neuron),
                tidy(seed, f"abs_w_{activation}", np.abs(network.w), x=neuron),
            ]
    return Prediction(concat(frames), "decay rate c/|w_j| of |∂L(k)/∂θ_j| in k: π/(2|w_j|) tanh, π/|w_j| logistic")


def measure_decay(params: Params, seeds: Sequence[int]) -> Measurement:
    frames, artifacts = [], {}
    for seed in seeds:
        for activation in ACTIVATIONS:
            network, _ = draw_network(params, seed, "decay", activation)
            k = decay_frequencies(params, network)
            measured = _measured(network, k, params)
            x = np.arange(network.w.size)
            for name in PARAMETERS:
                rates, powers, counts = [], [], []
                for j in range(network.w.size):
                    envelope, floor = measured.envelope[name][:, j], measured.floor[name][:, j]
                    window = fit_window(k, float(network.w[j]), envelope, floor, params)
                    counts.append(int(window.sum()))
                    if window.sum() < 4:  # too few points: the rate is undetermined (NaN -> inconclusive)
                        rates.append(np.nan)
                        powers.append(np.nan)
                        continue
                    rate, power = frequency_loss.fit_exponential_decay(k[window], envelope[window])
                    rates.append(rate)
                    powers.append(power)
                frames += [
                    tidy(seed, f"fitted_rate_{activation}_{name}", rates, x=x),
                    tidy(seed, f"fitted_power_{activation}_{name}", powers, x=x),
                    tidy(seed, f"fit_points_{activation}_{name}", counts, x=x),
                ]
            if seed == seeds[0]:
                artifacts[activation] = {"network": network, "k": k, "measured": measured}
    return Measurement(
        concat(frames),
        summary=(
            "rate of log |∂T̂/∂θ_j| (the envelope of |∂L/∂θ_j|/A over the phase of D, autograd through the "
            "quadrature) fitted as c₀ + p log|k| - r|k| where |πk/2w_j| ≥ 4 and above the numeric floor"
        ),
        artifacts=artifacts,
    )


def decay_figures(prediction: Prediction, measurement: Measurement, params: Params) -> list[Figure]:
    """First seed, k > 0: measured |∂L/∂θ_j| (dots) over the derived one (lines) and the derived
    envelope A(k)|∂T̂/∂θ_j| (dashed), log scale."""
    if not measurement.artifacts:
        return []
    figure = Figure(figsize=(12, 7))
    for row, activation in enumerate(ACTIVATIONS):
        data = measurement.artifacts[activation]
        network, k, measured = data["network"], data["k"], data["measured"]
        positive = k > 0
        kp = k[positive]
        residual = _derived_residual(network, kp, params)
        derived = sigmoid_gradient.frequency_gradient(network.a, network.w, network.b, kp, residual, activation)
        envelope = sigmoid_gradient.gradient_envelope(network.a, network.w, network.b, kp, activation)
        for column, name in enumerate(PARAMETERS):
            m = network.w.size
            curves = [(kp, derived[name][:, j]) for j in range(m)]
            points = [(kp, measured.gradient[name][positive, j]) for j in range(m)]
            envelopes = [(kp, np.abs(residual) * envelope[name][:, j]) for j in range(m)]
            _gradient_axes(figure, 3 * row + column + 1, f"{activation}: ∂L/∂{name}_j", curves, points, envelopes)
    figure.suptitle("xu2018.gradient-exponential-decay: measured (dots), derived (lines), derived envelope (dashed)")
    figure.tight_layout()
    return [figure]


register(
    Claim(
        id="xu2018.gradient-exponential-decay",
        version=1,
        source=f"{SOURCE}, §3, Eq. (9) and the discussion after it; FORMULAS.md §1",
        statement=(
            "At small weights |∂L(k)/∂θ_j| decays in k like e^{-π|k|/(2|w_j|)} (tanh; e^{-π|k|/|w_j|} logistic)."
        ),
        expected="agree",
        expected_reason=(
            "∂T̂_j/∂θ_j carries the factor 1/sinh(c k/w_j) = 2 sgn(k/w_j) e^{-c|k/w_j|}/(1 - e^{-2c|k/w_j|}) "
            "times a polynomial of degree ≤ 1 in |k| (Xu 2018 Eq. (9)), so the envelope decays at rate c/|w_j|."
        ),
        rules=tuple(
            Equality(f"fitted_rate_{activation}_{name}", f"predicted_rate_{activation}", rtol=0.05)
            for activation in ACTIVATIONS
            for name in PARAMETERS
        ),
        setup={
            "quick": {
                "seeds": 3,
                "neurons": 4,
                "w_min": 0.25,
                "w_max": 1.0,
                "b_max": 1.0,
                "frequencies": 240,
                "k_min": 0.05,
                "z_max": 40.0,
                "fit_start": 4.0,
                "floor_factor": 100.0,
                "target_width": 1.0,
                "quadrature_digits": 40.0,
            },
            "paper": {
                "seeds": 10,
                "neurons": 16,
                "w_min": 0.1,
                "w_max": 1.0,
                "b_max": 2.0,
                "frequencies": 600,
                "k_min": 0.02,
                "z_max": 40.0,
                "fit_start": 4.0,
                "floor_factor": 100.0,
                "target_width": 1.0,
                "quadrature_digits": 40.0,
            },
        },
        predict=predict_decay,
        measure=measure_decay,
        figures=decay_figures,
        notes=(
            "∂L(k)/∂θ_j = Re(conj(D) ∂T̂_j/∂θ_j) oscillates in k through the phases of D and of T̂_j; its "
            "non-oscillating envelope over the phase of D is A(k) |∂T̂_j/∂θ_j|, so the measurement fits "
            "log |∂T̂_j/∂θ_j| (forward-mode autograd of the quadrature transform's real and imaginary parts) "
            "as c₀ + p log|k| - r|k| with a free power p. Window (CLAIMS.md): |πk/(2w_j)| ≥ 4 for both "
            "activations, and the envelope above 100 × its numeric floor 64 ε (1 + |k| max|x|) Σ_n h |∂T'(x_n)/∂θ_j| "
            "/ |k| (the rounding of the phase k x_n dominates it). Rule: the fitted r within 5 % of the "
            "predicted c/|w_j| for every neuron and θ (x = the neuron's index j; `abs_w_*` lists |w_j|).",
            "The power p is reported (`fitted_power_*`): about 0 for a, 1 for b and slightly above 1 for w, "
            "whose polynomial factor is not a pure power; that leaves a bias of about 1 % in r.",
        ),
        derivation="sigmoid-gradient",
    )
)


# ------------------------------------------------------------------------------------------------
# xu2018.spectral-norm-vs-dynamics (Fig. 3): the weight-norm bound of Rahaman et al. against the
# training dynamics of a ReLU network in their setting; measured in reports/spectral_bias_training.py.

register(
    Claim(
        id="xu2018.spectral-norm-vs-dynamics",
        version=1,
        source=(
            f"{SOURCE}, Fig. 3 (the spectral-norm argument), against Rahaman, Baratin, Arpit, Draxler, Lin, "
            "Hamprecht, Bengio, Courville 2019, \"On the spectral bias of neural networks\", ICML, "
            "arXiv:1806.08734, Theorem 1 and Eq. 7"
        ),
        statement=(
            "The weight-norm bound of Rahaman et al. explains the delay of the highest frequency: at that "
            "frequency the bound stays below the target amplitude until the lower peaks have converged."
        ),
        expected="diverge",
        expected_reason=(
            "Xu 2018 (Fig. 3): for networks of realistic size the spectral norms barely move while the peaks "
            "converge from low to high, and the bound built from them sits far above the target amplitude "
            "throughout, so it cannot be what delays the highest peak."
        ),
        rules=(Bound("bound_over_target_before_lower_converged", "bound_limit"),),
        setup={
            "quick": {
                "frequencies": [1, 2, 3, 4, 5, 6],
                "amplitudes": [1.0] * 6,
                "interval": [0.0, 1.0],
                "points": 64,
                "hidden": [128, 128, 128, 128],
                "activation": "relu",
                "init": "uniform",
                "init_scale": 1.0,
                "optimizer": "adam",
                "lr": 1e-3,
                "steps": 2000,
                "snapshot_every": 10,
                "bound_every": 200,
                "threshold": 0.1,
                "seeds": 6,
            },
            "paper": {
                "frequencies": [5, 10, 15, 20, 25, 30, 35, 40, 45, 50],
                "amplitudes": [1.0] * 10,
                "interval": [0.0, 1.0],
                "points": 200,
                "hidden": [256, 256, 256, 256, 256],
                "activation": "relu",
                "init": "uniform",
                "init_scale": 1.0,
                "optimizer": "adam",
                "lr": 3e-4,
                "steps": 80000,
                "snapshot_every": 100,
                "bound_every": 1000,
                "threshold": 0.1,
                "seeds": 10,
            },
        },
        predict=training.predict_norm_bound,
        measure=training.measure_norm_bound,
        figures=training.norm_bound_figures,
        notes=(
            "Bound: `theory.relu_spectrum.weight_bound` at the highest target frequency k, |c_k| ≤ L/(2πk) + "
            "2LN/(2πk)² with L = Π_l ‖W_l‖₂ (exact spectral norms, SVD) and N = Π_l (1 + d_l) over the hidden "
            "widths (FORMULAS §2), evaluated from the weights every `bound_every` steps; target amplitude "
            "|ŷ(k)| = A/2 in the same normalisation (c_k = (1/n) Σ_j v_j e^{-2πikz_j}). 'The lower peaks have "
            "converged' is the last convergence step (Δ_F < threshold to the end) of the peaks below k; the "
            "rule checks the bound at every evaluation up to that step. Π‖W_l‖₂ is recorded at the same steps "
            "(`empirics.norms`, batched torch SVD).",
        ),
    )
)
