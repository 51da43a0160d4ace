"""Claims of Xu 2018, "Understanding training and generalization in deep learning by Fourier analysis"
(arXiv:1808.04295), on one-hidden-layer tanh and logistic networks in the frequency domain (docs/formulas.md §1),
and its spectral-norm argument against the weight-norm bound of Rahaman et al. 2019 (docs/formulas.md §2).

- `xu2018.tanh-gradient-closed-form`: the sympy-derived ∂L(k)/∂θ_j (`fpcheck.theory.sigmoid_gradient`) equals
  the autograd gradient of the per-frequency loss of the same torch network, whose transform is computed by
  quadrature (`fpcheck.empirics.frequency_loss`);
- `xu2018.gradient-exponential-decay`: |∂L(k)/∂θ_j| decays like e^{-c|k|/|w_j|}, c = π/2 (tanh) or π
  (logistic): the rate fitted to the measured envelope against the predicted c/|w_j|;
- `xu2018.spectral-norm-vs-dynamics` (Fig. 3): the weight-norm bound at the highest frequency of a ReLU
  network trained in Rahaman's setting, against that peak's target amplitude (`fpcheck.empirics.sine_fit`).

The gradient claims draw random networks from the seed and use the target f(x) = exp(-x²/(2s²)),
s = `target_width` (`fpcheck.empirics.gradient_spectrum`): the prediction uses its closed-form transform
s√(2π) e^{-s²k²/2}, the measurement its quadrature. Angular convention ĝ(k) = ∫ g(x) e^{-ikx} dx.
"""

from __future__ import annotations

import numpy as np

from fpcheck.empirics import gradient_spectrum as spectrum
from fpcheck.empirics import sine_fit as fit
from fpcheck.empirics.gradient_spectrum import (
    ACTIVATIONS,
    PARAMETERS,
    GeometricFrequencyGradients,
    GradientSpectrumResult,
    RandomFrequencyGradients,
)
from fpcheck.empirics.sine_fit import NormTrackedSineFit
from fpcheck.reports.catalogue import register
from fpcheck.reports.claim import Claim
from fpcheck.reports.figures import gradient_spectrum as gradient_figures
from fpcheck.reports.figures import sine_fit as fit_figures
from fpcheck.reports.rules import Bound, Equality
from fpcheck.tables import ALL_SEEDS, Prediction, concat, produces, tidy
from fpcheck.theory import sigmoid_gradient

SOURCE = ('Xu 2018, "Understanding training and generalization in deep learning by Fourier analysis", '
          "arXiv:1808.04295")
PAIRS = [(activation, name) for activation in ACTIVATIONS for name in PARAMETERS]


@produces(*(f"derived_{activation}_{name}" for activation, name in PAIRS))
def predict_closed_form(setup: RandomFrequencyGradients, result: GradientSpectrumResult) -> Prediction:
    frames = []
    for member, seed in enumerate(result.seeds):
        for index, activation in enumerate(ACTIVATIONS):
            a, w, b, k = (getattr(result, name)[index, member] for name in ("a", "w", "b", "k"))
            residual = sigmoid_gradient.gaussian_residual(a, w, b, k, setup.target_width, activation)
            gradient = sigmoid_gradient.frequency_gradient(a, w, b, k, residual, activation)
            stacked = np.stack([gradient[name] for name in PARAMETERS])
            frames += spectrum.scaled_rows(seed, "derived", activation, stacked, k, setup.owners())
    return Prediction(concat(frames),
                      "∂L(k)/∂θ_j from the derived closed form A E_j G_θ (theory.sigmoid_gradient), scaled per k")


register(Claim(
    id="xu2018.tanh-gradient-closed-form", version=1,
    source=f"{SOURCE}, §3, Eqs. (5)-(9) (the frequency-domain gradient); docs/formulas.md §1",
    statement="The sympy-derived ∂L(k)/∂θ for a one-hidden-layer tanh (and logistic) network equals the autograd "
              "gradient of the per-frequency loss of the same torch network, its transform computed numerically.",
    expected="agree",
    expected_reason="The closed form follows from FT[sech²](k) = πk/sinh(πk/2) by exact steps (residues, the "
                    "shift/scale rule, the chain rule), each re-checked by sympy; a float64 quadrature accurate to "
                    "~e^{-40} should reproduce it to rounding.",
    experiment=spectrum.RANDOM_FREQUENCY_GRADIENTS,
    setups={"quick": RandomFrequencyGradients(seeds=3, neurons=4, w_min=0.5, w_max=2.0, b_max=2.0, k_min=0.05,
                                              frequencies_per_neuron=16),
            "paper": RandomFrequencyGradients(seeds=10, neurons=16, w_min=0.25, w_max=4.0, b_max=4.0, k_min=0.01,
                                              frequencies_per_neuron=32)},
    predict=predict_closed_form, measure=spectrum.measure_closed_form,
    rules=tuple(Equality(f"autograd_{activation}_{name}", f"derived_{activation}_{name}", rtol=1e-6, atol=1e-9)
                for activation, name in PAIRS),
    figures=gradient_figures.closed_form,
    notes=("Rule: |autograd - derived| ≤ 1e-6 |derived| + 1e-9 × (the largest |∂L/∂θ| at that k, over all neurons "
           "and θ). Each side divides its gradients by its own largest |∂L/∂θ| at that k (the two agree far below "
           "1e-6), so the Equality(rtol 1e-6, atol 1e-9) on the scaled quantities `<side>_<activation>_<θ>` (x = k) "
           "is exactly that rule. Every neuron j is checked at its own random frequencies of both signs, |k| "
           "log-uniform on [k_min, z_max max|w|/c].",
           "Measurement: T̂(k) = FT[T'](k)/(ik) with T' from forward-mode autodiff of the torch network in x and FT "
           "by the trapezoidal rule on a grid chosen for ~e^{-40} accuracy (T' decays exponentially and is analytic "
           "in a strip, so the non-decaying tail of σ never enters); f̂ by the same rule; the gradient by "
           "forward-mode autodiff (torch.func.jacfwd) of L(k) = ½|T̂ - f̂|². The closed form is never used on this "
           "side. Target f(x) = exp(-x²/2)."),
    derivation="sigmoid-gradient",
))


@produces(*(f"{quantity}_{activation}" for quantity in ("predicted_rate", "abs_w") for activation in ACTIVATIONS))
def predict_decay(setup: GeometricFrequencyGradients, result: GradientSpectrumResult) -> Prediction:
    frames = []
    for member, seed in enumerate(result.seeds):
        for index, activation in enumerate(ACTIVATIONS):
            w = result.w[index, member]
            neuron = np.arange(w.size)
            frames += [tidy(seed, f"predicted_rate_{activation}", sigmoid_gradient.decay_rate(w, activation),
                            x=neuron),
                       tidy(seed, f"abs_w_{activation}", np.abs(w), x=neuron)]
    return Prediction(concat(frames), "decay rate c/|w_j| of |∂L(k)/∂θ_j| in k: π/(2|w_j|) tanh, π/|w_j| logistic")


register(Claim(
    id="xu2018.gradient-exponential-decay", version=1,
    source=f"{SOURCE}, §3, Eq. (9) and the discussion after it; docs/formulas.md §1",
    statement="At small weights |∂L(k)/∂θ_j| decays in k like e^{-π|k|/(2|w_j|)} (tanh; e^{-π|k|/|w_j|} logistic).",
    expected="agree",
    expected_reason="∂T̂_j/∂θ_j carries the factor 1/sinh(c k/w_j) = 2 sgn(k/w_j) e^{-c|k/w_j|}/(1 - "
                    "e^{-2c|k/w_j|}) times a polynomial of degree ≤ 1 in |k| (Xu 2018 Eq. (9)), so the envelope "
                    "decays at rate c/|w_j|.",
    experiment=spectrum.GEOMETRIC_FREQUENCY_GRADIENTS,
    setups={"quick": GeometricFrequencyGradients(seeds=3, neurons=4, w_min=0.25, w_max=1.0, b_max=1.0,
                                                 frequencies=240, k_min=0.05),
            "paper": GeometricFrequencyGradients(seeds=10, neurons=16, w_min=0.1, w_max=1.0, b_max=2.0,
                                                 frequencies=600, k_min=0.02)},
    predict=predict_decay, measure=spectrum.measure_decay,
    rules=tuple(Equality(f"fitted_rate_{activation}_{name}", f"predicted_rate_{activation}", rtol=0.05)
                for activation, name in PAIRS),
    figures=gradient_figures.decay,
    notes=("∂L(k)/∂θ_j = Re(conj(D) ∂T̂_j/∂θ_j) oscillates in k through the phases of D and of T̂_j; its "
           "non-oscillating envelope over the phase of D is A(k) |∂T̂_j/∂θ_j|, so the measurement fits log "
           "|∂T̂_j/∂θ_j| (forward-mode autograd of the quadrature transform's real and imaginary parts) as c₀ + p "
           "log|k| - r|k| with a free power p. Window (docs/catalogue.md): |πk/(2w_j)| ≥ 4 for both activations, and "
           "the envelope above 100 × its numeric floor 64 ε (1 + |k| max|x|) Σ_n h |∂T'(x_n)/∂θ_j| / |k| (the "
           "rounding of the phase k x_n dominates it). Rule: the fitted r within 5 % of the predicted c/|w_j| for "
           "every neuron and θ (x = the neuron's index j; `abs_w_*` lists |w_j|).",
           "The power p is reported (`fitted_power_*`): about 0 for a, 1 for b and slightly above 1 for w, whose "
           "polynomial factor is not a pure power; that leaves a bias of about 1 % in r."),
    derivation="sigmoid-gradient",
))


@produces("bound_limit")
def predict_norm_bound(setup: NormTrackedSineFit, result: fit.NormTrackedSineFitResult) -> Prediction:
    return Prediction(concat([tidy(ALL_SEEDS, "bound_limit", 1.0)]),
                      f"the weight-norm bound L/(2πk) + 2LN/(2πk)² (L = Π‖W_l‖₂, N = Π(1 + d_l); docs/formulas.md §2) "
                      f"at the highest frequency k = {setup.peaks[-1]} stays below that peak's target amplitude "
                      f"|ŷ(k)| = {setup.peak_amplitudes[-1] / 2:g} until the lower peaks have converged (Δ_F < "
                      "threshold to the end)")


RAHAMAN_SETTING = {"interval": (0.0, 1.0), "activation": "relu", "init": "uniform", "init_scale": 1.0,
                   "optimizer": "adam", "threshold": 0.1}
register(Claim(
    id="xu2018.spectral-norm-vs-dynamics", version=1,
    source=f"{SOURCE}, Fig. 3 (the spectral-norm argument), against Rahaman, Baratin, Arpit, Draxler, Lin, "
           "Hamprecht, Bengio, Courville 2019, \"On the spectral bias of neural networks\", ICML, arXiv:1806.08734, "
           "Theorem 1 and Eq. 7",
    statement="The weight-norm bound of Rahaman et al. explains the delay of the highest frequency: at that frequency "
              "the bound stays below the target amplitude until the lower peaks have converged.",
    expected="diverge",
    expected_reason="Xu 2018 (Fig. 3): for networks of realistic size the spectral norms barely move while the peaks "
                    "converge from low to high, and the bound built from them sits far above the target amplitude "
                    "throughout, so it cannot be what delays the highest peak.",
    experiment=fit.NORM_TRACKED_SINE_FIT,
    setups={"quick": NormTrackedSineFit(**RAHAMAN_SETTING, frequencies=(1, 2, 3, 4, 5, 6), amplitudes=(1.0,) * 6,
                                        points=64, hidden=(128,) * 4, lr=1e-3, steps=2000, snapshot_every=10,
                                        bound_every=200, seeds=6),
            "paper": NormTrackedSineFit(**RAHAMAN_SETTING, frequencies=tuple(range(5, 55, 5)), amplitudes=(1.0,) * 10,
                                        points=200, hidden=(256,) * 5, lr=3e-4, steps=80000, snapshot_every=100,
                                        bound_every=1000, seeds=10)},
    predict=predict_norm_bound, measure=fit.measure_norm_bound,
    rules=(Bound("bound_over_target_before_lower_converged", "bound_limit"),),
    figures=fit_figures.norm_bound,
    notes=("Bound: `fpcheck.theory.relu_spectrum.weight_bound` at the highest target frequency k, |c_k| ≤ L/(2πk) + "
           "2LN/(2πk)² with L = Π_l ‖W_l‖₂ (exact spectral norms, SVD) and N = Π_l (1 + d_l) over the hidden widths "
           "(docs/formulas.md §2), evaluated from the weights every `bound_every` steps; target amplitude |ŷ(k)| = "
           "A/2 in the same normalisation (c_k = (1/n) Σ_j v_j e^{-2πikz_j}). 'The lower peaks have converged' is "
           "the last convergence step (Δ_F < threshold to the end) of the peaks below k; the rule checks the bound "
           "at every evaluation up to that step. Π‖W_l‖₂ is recorded at the same steps (`fpcheck.empirics.norms`, "
           "batched torch SVD).",),
))
