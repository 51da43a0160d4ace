"""Claims of Luo, Ma, Xu, Zhang 2019, "Theory of the frequency principle for general deep neural networks".

arXiv:1906.09235; CSIAM Trans. Appl. Math. 2(3):484-507, 2021. The source proves one theorem per
training stage (initial, intermediate, final); only the form of those results is the source's (the
theorem texts were not available to us). The inequalities checked here are OUR reconstruction of that
form (docs/formulas.md §3, `fpcheck.theory.stages`), and every claim says so in its notes:

- `luo2019.initial-stage`: at initialisation |dL⁺_η/dt| / |dL/dt| (exact, autograd) stays below
  (1 + η²)^{-s/2} G_s √(2L) / ‖∇L‖ and decreases with η;
- `luo2019.intermediate-stage`: at the first MSE halving ‖P⁺_η Δh‖ / ‖Δh‖ stays below
  (1 + η²)^{-s/2} sup G_s √T / (√2 - 1) and does not increase with η;
- `luo2019.final-stage`: at the end of training L⁺_η(T)/L⁺_η(0) ≥ 10 × L⁻_η(T)/L⁻_η(0);
- `luo2019.regularity-exponent`: the tail of ∂_t h decays at the rate set by the activation's
  regularity (e^{-π²η/max|w|} tanh, e^{-2π²η/max|w|} logistic, η^{-1/2} ReLU).

Setting (all four claims): one-hidden-layer networks f = Σ_j a_j σ(w_j x + b_j) with tanh, ReLU and
logistic σ, data density ρ = N(0, σ²) on a uniform grid wide enough that √ρ is below 1e-12 of its
peak at both ends, target f* = Σ A_i sin(2π ξ_i x) (ordinary frequency), plain float64 gradient
descent with lr = step_fraction / λ_max(Gauss–Newton at initialisation), T = steps × lr. The
experiments, predictions (from `fpcheck.theory.stages`) and measurements are those of
`fpcheck.empirics.stage_grid`.
"""

from __future__ import annotations

from fpcheck.empirics import stage_grid as grid
from fpcheck.empirics.stage_grid import ACTIVATIONS, FinalStage, HalvingStage, InitialStage, TailDecay
from fpcheck.reports.catalogue import register
from fpcheck.reports.claim import Claim
from fpcheck.reports.figures import stage_grid as figures
from fpcheck.reports.rules import Bound, Rate
from fpcheck.theory import stages

CITATION = (
    'Luo, Ma, Xu, Zhang 2019, "Theory of the frequency principle for general deep neural networks", '
    "arXiv:1906.09235 (CSIAM Trans. Appl. Math. 2(3):484-507, 2021)"
)
RECONSTRUCTION_NOTE = (
    "**What is the source's and what is ours.** Luo, Ma, Xu and Zhang (2019) state one theorem per training "
    "stage (initial, intermediate, final) for general multilayer networks, activations, data densities and "
    "L^p losses, in the form: the change of the high-frequency loss over the total loss decays with the "
    "separating frequency η, with a power set by the regularity assumption. Only that form is the source's; "
    "the theorem texts were not available to us. The inequalities, their constants (G_s, √T, 1/(√2 - 1)), "
    "the Sobolev convention ‖g‖²_(H^s) = ∫ (1 + ξ²)^s |ĝ(ξ)|² dξ (ordinary frequency ξ, unitary transform "
    "ĝ(ξ) = ∫ g e^{-2πiξx} dx) and the per-activation rates checked here are **our reconstruction** "
    "(docs/formulas.md §3, `fpcheck.theory.stages`, derived and checked symbolically in the tests). A verdict "
    "is about the reconstruction, not a quotation of the paper."
)
SETTING_NOTE = (
    "**Setting.** One-hidden-layer networks f = Σ_j a_j σ(w_j x + b_j) (tanh, ReLU, logistic), residual "
    "h = (f - f*) √ρ with ρ = N(0, σ²), L = ½ ‖h‖², P⁺_η keeps |ξ| > η. Everything is computed on a uniform "
    "grid that is checked to be wide enough: √ρ at both ends is below 1e-12 of its peak (a narrower grid is "
    "refused), so h is negligible there and its FFT is its Fourier transform. s = 1 for "
    "tanh/logistic, s = ½ - ε for ReLU (√ρ ∂_w f has a jump at the kink, so it is in H^s only for s < ½)."
)
GRADIENT_DESCENT_NOTE = (
    "**Gradient descent, not gradient flow.** The reconstruction is for gradient flow; the networks are "
    "trained by plain float64 gradient descent with lr = step_fraction / λ_max of the Gauss–Newton matrix at "
    "initialisation, and T = steps × lr. Bound II uses ∫_0^T ‖∇L‖² dt = L(0) - L(T) ≤ L(0); for gradient "
    "descent the sum D = Σ lr ‖∇L_n‖² replaces the integral, so the bound is multiplied by max(1, √(D/L(0))) "
    "(1 whenever D ≤ L(0), which the measurement reports), and the sup of G_s is taken over the iterates."
)
TARGET = {"target_frequencies": (0.1, 0.5), "target_amplitudes": (1.0, 0.5), "half_width": 32.0, "sigma": 3.0}
SMALL_OUTPUT = {"weight_std": 1.0, "bias_std": 3.0, "output_std": 0.01, "relu_epsilon": 0.01}


def _source(stage: str) -> str:
    return f"{CITATION}, {stage} (form only: the theorem text was not available; inequality reconstructed)"


register(Claim(
    id="luo2019.initial-stage", version=1, source=_source("initial-stage theorem (stage 1 of 3)"),
    statement=(
        "At initialisation the share of the loss decrease carried by frequencies above η, |dL⁺_η/dt| / |dL/dt|, "
        "stays below the reconstructed bound (1 + η²)^(-s/2) G_s √(2L) / ‖∇L‖ at every η and decreases with η "
        "(one-hidden-layer tanh, ReLU and logistic networks)."
    ),
    expected="agree",
    expected_reason=(
        "The source proves the initial-stage F-Principle for general activations; the reconstructed bound "
        "follows from Cauchy–Schwarz and the Sobolev tail inequality, so it must hold on the grid."
    ),
    experiment=grid.INITIAL_STAGE,
    setups={"quick": InitialStage(seeds=3, width=16, grid_points=1024, **TARGET, **SMALL_OUTPUT,
                                  etas=(0.25, 0.5, 1.0, 1.5, 2.0)),
            "paper": InitialStage(seeds=10, width=64, grid_points=2048, **TARGET, **SMALL_OUTPUT,
                                  etas=(0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0))},
    predict=grid.predict_initial, measure=grid.measure_initial,
    rules=tuple(rule for activation in ACTIVATIONS for rule in (
        Bound(f"{activation}.ratio", f"{activation}.bound"), Bound(f"{activation}.ratio_log_slope", 0.0))),
    figures=figures.initial_stage, derivation="three-stages", notes=(RECONSTRUCTION_NOTE, SETTING_NOTE),
))

register(Claim(
    id="luo2019.intermediate-stage", version=1,
    source=_source("intermediate-stage theorem (stage 2 of 3: first MSE halving)"),
    statement=(
        "At the first gradient-descent step where the loss has halved, the high-frequency share of the change "
        "of the weighted residual, ‖P⁺_η Δh‖ / ‖Δh‖, stays below the reconstructed bound (1 + η²)^(-s/2) "
        "sup G_s √T / (√2 - 1) and does not increase with η."
    ),
    expected="agree",
    expected_reason=(
        "The source proves the intermediate-stage F-Principle (the MSE halving); the reconstructed bound "
        "follows from the energy identity of gradient flow and ‖Δh‖ ≥ (√2 - 1) √L(0)."
    ),
    experiment=grid.HALVING_STAGE,
    setups={"quick": HalvingStage(seeds=3, width=16, grid_points=512, **TARGET, **SMALL_OUTPUT, step_fraction=0.5,
                                  max_steps=3000, etas=(0.2, 0.3, 0.45, 0.6, 0.9, 1.2)),
            "paper": HalvingStage(seeds=10, width=64, grid_points=1024, **TARGET, **SMALL_OUTPUT, step_fraction=0.5,
                                  max_steps=20000, etas=(0.2, 0.3, 0.45, 0.6, 0.9, 1.2))},
    predict=grid.predict_intermediate, measure=grid.measure_intermediate,
    rules=tuple(rule for activation in ACTIVATIONS for rule in (
        Bound(f"{activation}.ratio", f"{activation}.bound"), Bound(f"{activation}.ratio_largest_rise", 0.0))),
    figures=figures.halving_stage, derivation="three-stages",
    notes=(RECONSTRUCTION_NOTE, SETTING_NOTE, GRADIENT_DESCENT_NOTE),
))

register(Claim(
    id="luo2019.final-stage", version=1, source=_source("final-stage theorem (stage 3 of 3)"),
    statement=(
        f"At the end of training the high band has been fitted last: L⁺_η(T)/L⁺_η(0) ≥ "
        f"{stages.FINAL_STAGE_FACTOR:g} × L⁻_η(T)/L⁻_η(0) at every η of the grid (η between the target's low "
        "and high frequencies)."
    ),
    expected="agree",
    expected_reason=(
        "The source's final-stage theorem: the high-frequency part of the residual changes least, so by the end "
        "of training the low band has been fitted far better than the high band."
    ),
    experiment=grid.FINAL_STAGE,
    setups={"quick": FinalStage(seeds=3, width=16, grid_points=512, **TARGET, **SMALL_OUTPUT, step_fraction=1.0,
                                steps=2000, etas=(0.2, 0.25, 0.3, 0.35)),
            "paper": FinalStage(seeds=10, width=64, grid_points=1024, **TARGET, **SMALL_OUTPUT, step_fraction=1.0,
                                steps=5000, etas=(0.2, 0.25, 0.3, 0.35))},
    predict=grid.predict_final, measure=grid.measure_final,
    rules=tuple(Bound(f"{name}.high_over_low", stages.FINAL_STAGE_FACTOR, above=True) for name in ACTIVATIONS),
    figures=figures.final_stage, derivation="three-stages",
    notes=(RECONSTRUCTION_NOTE, SETTING_NOTE, GRADIENT_DESCENT_NOTE),
))

WIDE_OUTPUT = {"width": 64, "weight_std": 1.0, "bias_std": 3.0, "output_std": 1.0, "rate_floor": 1e-12,
               "rate_ceiling": 1e-4, "relu_window": (1.0, 8.0)}
register(Claim(
    id="luo2019.regularity-exponent", version=1,
    source=_source("the regularity assumption behind all three stage theorems"),
    statement=(
        "At initialisation the relative tail norm ‖P⁺_η ∂_t h‖ / ‖∂_t h‖ of a one-hidden-layer network decays "
        "exponentially at rate π²/max|w| (tanh) and 2π²/max|w| (logistic), and as the power η^(-1/2) (ReLU): "
        "the decay is set by the regularity of the activation."
    ),
    expected="agree",
    expected_reason=(
        "The source ties the decay in η to the regularity assumption; for one hidden layer the analytic "
        "activations give exponential decay set by their poles and ReLU's kinks a power law."
    ),
    experiment=grid.TAIL_DECAY,
    setups={"quick": TailDecay(seeds=5, grid_points=8192, **TARGET, **WIDE_OUTPUT),
            "paper": TailDecay(seeds=20, grid_points=16384, **TARGET, **WIDE_OUTPUT)},
    predict=grid.predict_tail_decay, measure=grid.measure_tail_decay,
    rules=(Rate("tanh.tail_rate", "tanh.predicted_rate", rtol=0.1),
           Rate("logistic.tail_rate", "logistic.predicted_rate", rtol=0.1),
           Rate("relu.tail_exponent", "relu.predicted_exponent", atol=0.1)),
    figures=figures.tail_decay, derivation="three-stages",
    notes=(RECONSTRUCTION_NOTE, SETTING_NOTE,
           "**Why a larger output layer here.** The regularity claim draws a_j ~ N(0, 1) (output_std = 1) where the "
           "training claims use a small output layer. For ReLU, ∂_t h has a jump at each kink (∝ a_j², from the "
           "moving kink: ∂_w f, ∂_b f) and a kink (∝ |w_j| |a_j'|, from ∂_a f); the jump's ξ^(-1) dominates the "
           "kink's ξ^(-2) only beyond ξ ~ σ w²/(2π a²). With a_j ~ 1/√m (m = 64) that is ξ ~ 30, out of reach of "
           "a fit window kept below Nyquist/8; with a_j ~ 1 it is ξ ~ 0.5."),
))
