"""Claims of Rahaman et al. 2019, "On the spectral bias of neural networks" (ICML, arXiv:1806.08734).

The exact-spectrum claims (docs/formulas.md §2) work on 1D ReLU networks on [0, 1], random (torch's
default initialisation) and trained (a few hundred full-batch Adam steps on a sum of sines), whose
Fourier coefficients c_k = ∫_0^1 f(x) e^{-2πikx} dx (ordinary integer k) are known exactly from their
linear pieces (`fpcheck.theory.relu_spectrum`; experiments in `fpcheck.empirics.spectrum_networks`):

- `rahaman2019.relu-decay-k2` (Theorem 1 in 1D): |c_k| ≤ the exact-kink bound at every k, and the
  boundary-free part c_k - i(f(1) - f(0))/(2πk) decays as k^-2; the slope is measured without the
  closed form (FFT of the float64 torch network minus its ramp, `fpcheck.empirics.ramp_spectrum`);
- `rahaman2019.weight-bound` (Eq. 7): the same bound with constants from the weights alone holds,
  and how loose it is;
- `rahaman2019.regions-depth-width` (§3 against Hanin & Rolnick 2019): at a fixed number of neurons,
  do the linear pieces grow with depth at a rate approaching the worst case Π(1 + d_l)?

The training claims (Figs. 1 and 2, §5) are sine fits (`fpcheck.empirics.sine_fit`, whose defaults are
Rahaman's setting): `rahaman2019.fig1-equal-amplitudes`, `rahaman2019.fig2-increasing-amplitudes` and
`rahaman2019.robustness`.
"""

from __future__ import annotations

import numpy as np

from fpcheck.empirics import sine_fit as fit
from fpcheck.empirics import spectrum_networks as nets
from fpcheck.empirics.sine_fit import PerturbedSineFit, SineFit
from fpcheck.empirics.spectrum_networks import KINDS, DecaySpectrum, RegionCount, SpectrumNetworks
from fpcheck.reports.catalogue import register
from fpcheck.reports.claim import Claim
from fpcheck.reports.figures import sine_fit as fit_figures
from fpcheck.reports.figures import spectrum_networks as figures
from fpcheck.reports.rules import Bound, Order, Rate
from fpcheck.tables import ALL_SEEDS, Prediction, concat, produces, tidy
from fpcheck.theory import relu_spectrum

SOURCE = (
    "Rahaman, Baratin, Arpit, Draxler, Lin, Hamprecht, Bengio, Courville 2019, \"On the spectral bias of "
    "neural networks\", ICML, arXiv:1806.08734"
)
PAPER_NETWORKS = {"seeds": 10, "depth": 6, "width": 256, "train_steps": 20000, "lr": 3e-4, "train_points": 200,
                  "target_frequencies": (5, 10, 15, 20, 25, 30, 35, 40, 45, 50), "target_amplitudes": (1.0,) * 10,
                  "k_dense": 4096, "k_max": 10_000_000}


def _bounds(name: str, bound, setup: SpectrumNetworks, result: nets.SpectrumNetworksResult) -> list:
    """Rows "<name>_<kind>" of `bound(weights, biases, k)` for every seed's random and trained network."""
    k = setup.frequency_grid
    return [tidy(seed, f"{name}_{kind}", bound(*result.layers(member, kind), k), x=k)
            for member, seed in enumerate(result.seeds) for kind in KINDS]


@produces("predicted_slope", "decay_bound_random", "decay_bound_trained")
def predict_decay(setup: DecaySpectrum, result: nets.DecaySpectrumResult) -> Prediction:
    """Theorem 1 in 1D (docs/formulas.md §2): the exact-kink bound of each network, and the slope -2."""
    bounds = _bounds("decay_bound", relu_spectrum.decay_bound, setup, result)
    return Prediction(concat([tidy(ALL_SEEDS, "predicted_slope", -2.0), *bounds]),
                      "|c_k| ≤ |f(1)-f(0)|/(2π|k|) + (Σ|J_m| + |f'(0+)-f'(1-)|)/(2πk)² at every k; the boundary-free "
                      "part decays as k^-2 (slope -2)")


register(Claim(
    id="rahaman2019.relu-decay-k2", version=1, source=f"{SOURCE}, Theorem 1 (d = 1); docs/formulas.md §2",
    statement="The Fourier coefficients of 1D ReLU networks on [0,1] (random and trained) obey the exact-kink "
              "bound at every k; once the boundary term i(f(1)-f(0))/(2πk) is removed, they decay as k^-2.",
    expected="agree",
    expected_reason="In 1D a ReLU network is continuous and piecewise linear: integrating each piece by parts gives "
                    "the kink form, whose kink terms are O(k^-2) (Theorem 1 with d = 1).",
    experiment=nets.DECAY_SPECTRUM,
    setups={"quick": DecaySpectrum(),
            "paper": DecaySpectrum(**PAPER_NETWORKS, fit_k_min=256, fit_k_max=32768,
                                   aliasing_points=(64, 256, 1024, 4096, 16384, 65536), aliasing_k=(1, 5, 50, 500))},
    predict=predict_decay, measure=nets.measure_decay,
    rules=(Bound("abs_coefficient_random", "decay_bound_random"),
           Bound("abs_coefficient_trained", "decay_bound_trained"),
           Rate("slope_random", "predicted_slope", atol=0.1), Rate("slope_trained", "predicted_slope", atol=0.1)),
    figures=figures.decay,
    notes=("Convention: c_k = ∫_0^1 f(x) e^{-2πikx} dx, ordinary integer k, no normalisation factor. The bound is "
           "checked on the exact coefficients (the closed form over the network's linear pieces, which the tests "
           "check against quadrature) at every k = 1 … k_dense and on a geometric grid up to k_max. The slope is "
           "measured without the closed form: the float64 torch network is sampled at N = fft_points points of "
           "[0, 1), its ramp f(0) + (f(1)-f(0))x is subtracted, the FFT taken, and log|ĉ_k| fitted against log k "
           "over fit_k_min … fit_k_max through the root mean square in 12 geometric windows (the kink sum "
           "oscillates and has near-zeros at single k). Below about k = 100 a trained network's spectrum still "
           "carries its target's low frequencies, so the fit starts above that.",
           "The exact-kink bound is asymptotically tight: at large k the boundary term dominates both |c_k| and the "
           "bound, so |c_k|/bound → 1 like 1 - O(1/k) and the bound rules' margin is small by construction (about "
           "1e-6 at k = 10⁶). `bound_ratio_median_*` reports the typical tightness."),
    derivation="relu-spectrum",
))


@produces("weight_bound_random", "weight_bound_trained")
def predict_weight_bound(setup: SpectrumNetworks, result: nets.SpectrumNetworksResult) -> Prediction:
    """Eq. 7: the bound of each network with L = Π‖W_l‖₂ and N = Π(1 + d_l) (docs/formulas.md §2)."""
    return Prediction(concat(_bounds("weight_bound", relu_spectrum.weight_bound, setup, result)),
                      "|c_k| ≤ L/(2π|k|) + 2LN/(2πk)², L = Π‖W_l‖₂, N = Π(1 + d_l), at every k")


register(Claim(
    id="rahaman2019.weight-bound", version=1,
    source=f"{SOURCE}, Theorem 1 and Eq. 7 (L_f ≤ Π_l ‖W^(l)‖₂); docs/formulas.md §2",
    statement="The bound with constants from the weights alone (Π‖W‖₂, pieces ≤ Π(1 + d_l)) holds.",
    expected="agree",
    expected_reason="Every local slope is at most Π‖W_l‖₂ and a 1D network has at most Π(1 + d_l) pieces, so each "
                    "constant of the exact-kink bound is dominated term by term.",
    experiment=nets.SPECTRUM_NETWORKS,
    setups={"quick": SpectrumNetworks(), "paper": SpectrumNetworks(**PAPER_NETWORKS)},
    predict=predict_weight_bound, measure=nets.measure_weight_bound,
    rules=(Bound("abs_coefficient_random", "weight_bound_random"),
           Bound("abs_coefficient_trained", "weight_bound_trained")),
    figures=figures.spectra,
    notes=("The looseness factor is the median over k of (weight bound) / |c_k|; `looseness_over_exact_bound` "
           "compares the weight bound with the exact-kink bound. Both grow with depth: the product of spectral "
           "norms ignores the ReLU masks and the sign cancellations between layers, and Π(1 + d_l) counts pieces a "
           "network almost never has (see rahaman2019.regions-depth-width).",),
    derivation="relu-spectrum",
))


@produces("worst_case_log_pieces", "worst_case_slope", "half_worst_case_slope")
def predict_regions(setup: RegionCount, result: nets.RegionNetworksResult) -> Prediction:
    """The worst case log Π(1 + d_l) = D log(1 + M/D) and its OLS slope over the setup's depths."""
    depths = np.array(setup.depths, dtype=float)
    worst = relu_spectrum.worst_case_log_pieces(setup.neurons, depths)
    slope = float(np.polyfit(depths, worst, 1)[0])
    table = concat([tidy(ALL_SEEDS, "worst_case_log_pieces", worst, x=depths),
                    tidy(ALL_SEEDS, "worst_case_slope", slope), tidy(ALL_SEEDS, "half_worst_case_slope", slope / 2)])
    return Prediction(table, f"log(pieces) grows with depth at ≥ half the worst-case rate: worst case log Π(1 + d_l) "
                      f"has slope {slope:.3f} per layer at {setup.neurons} neurons, so ≥ {slope / 2:.3f}")


TARGET_PAPER = {"target_frequencies": (1, 3, 5, 7, 9), "target_amplitudes": (1.0, 0.8, 0.6, 0.4, 0.2)}
register(Claim(
    id="rahaman2019.regions-depth-width", version=1,
    source=f"{SOURCE}, §3 (constants exponential in depth) against Hanin, Rolnick 2019, \"Complexity of linear "
           "regions in deep networks\", ICML, arXiv:1901.09021 (pieces along a line ∝ neurons)",
    statement="The expressive capacity grows exponentially with depth: at a fixed total number of neurons, the number "
              "of linear pieces on [0,1] of initialised and trained networks grows with depth at a rate approaching "
              "the worst case.",
    expected="diverge",
    expected_reason="Hanin & Rolnick 2019: the expected number of pieces along a line grows with the number of "
                    "neurons, not exponentially with depth; Π(1 + d_l) is a worst case that typical networks do not "
                    "approach.",
    experiment=nets.REGION_NETWORKS,
    setups={"quick": RegionCount(),
            "paper": RegionCount(seeds=10, neurons=120, depths=(1, 2, 3, 4, 5, 6, 8, 10, 12), networks_per_depth=10,
                                 train_steps=5000, lr=1e-3, train_points=1024, **TARGET_PAPER)},
    predict=predict_regions, measure=nets.measure_regions,
    rules=(Bound("slope_upper90_init", "half_worst_case_slope", above=True),
           Bound("slope_upper90_trained", "half_worst_case_slope", above=True)),
    figures=figures.regions,
    notes=("The prediction (rule) is the reading of Rahaman et al. §3 that the constants grow exponentially with depth "
           "through the number of linear regions. Pieces are the exact linear pieces on [0, 1] "
           "(`fpcheck.theory.relu_spectrum.count_pieces`), counted for initialised networks (torch's default "
           "initialisation, non-zero biases) and for the same networks after training on a sum of sines. The rule "
           "compares the upper end of the 90 % t-interval of the OLS slope of log(pieces) per added layer with half "
           "of the worst-case slope, the OLS slope of D log(1 + M/D) over the same depths (M neurons in D equal "
           "layers); the prediction fails only if even that upper end falls short.",),
))


# ------------------------------------------------------------------------------------------------
# The training claims (Figs. 1 and 2, §5): SineFit's defaults are Rahaman's setting and the quick sizes.

PAPER_FIT = {"frequencies": (5, 10, 15, 20, 25, 30, 35, 40, 45, 50), "points": 200, "hidden": (256,) * 5,
             "lr": 3e-4, "steps": 80000, "snapshot_every": 100, "seeds": 10}
TRAINING_NOTE = (
    "Setting of Rahaman et al. 2019, Eq. 8: λ(z) = Σ_i A_i sin(2πk_i z + φ_i) on the on-bin grid z_j = j/n of "
    "[0, 1), phases φ_i uniform on [0, 2π) drawn per seed; ReLU MLP (torch.nn.Linear's default initialisation), "
    "full-batch Adam, float32, every seed its own network and phases in one ensemble. The normalised amplitude is "
    "|ĥ(k)| / |ŷ(k)| = 2|f̂(k)|/A on the grid; a peak that never reaches the level counts as reaching it after the "
    "last step (ties last). The quick profile uses lower frequencies (k = 1…6 on 64 points), a smaller network and "
    "a larger learning rate so that every peak is learned within 2000 steps; the paper profile is the published one."
)


@produces()
def predict_learning_order(setup: SineFit, result: fit.SineFitResult) -> Prediction:
    return Prediction(concat([]), f"spectral bias: the step at which 2|f̂(k)|/A first reaches {setup.level:g} "
                      f"increases with k (ρ ≥ 0.9) for k = {setup.peaks}, amplitudes {setup.peak_amplitudes}")


def learning_order_claim(*, id: str, figure: str, statement: str, expected_reason: str, quick_amplitudes: tuple,
                         paper_amplitudes: tuple) -> Claim:
    """Figs. 1 and 2: the same claim with the amplitudes of the figure."""
    return Claim(
        id=id, version=1, source=f"{SOURCE}, {figure}", statement=statement, expected="agree",
        expected_reason=expected_reason, experiment=fit.SINE_FIT,
        setups={"quick": SineFit(amplitudes=quick_amplitudes, seeds=6),
                "paper": SineFit(**PAPER_FIT, amplitudes=paper_amplitudes)},
        predict=predict_learning_order, measure=fit.measure_learning_order, rules=(Order("first_reach_step", 0.9),),
        figures=fit_figures.learning_order, notes=(TRAINING_NOTE,))


register(learning_order_claim(
    id="rahaman2019.fig1-equal-amplitudes", figure="Fig. 1",
    statement="A ReLU network fitting a sum of equal-amplitude sines learns the lower frequencies first: the step at "
              "which 2|f̂(k_i)|/A_i first reaches 0.9 increases with k_i.",
    expected_reason="Rahaman et al. Fig. 1 (spectral bias); their Theorem 1 and Proposition 1 make the gradient at "
                    "frequency k of a ReLU network O(k^-1) relative to the amplitude, so higher frequencies are "
                    "slower.",
    quick_amplitudes=(1.0,) * 6, paper_amplitudes=(1.0,) * 10))
register(learning_order_claim(
    id="rahaman2019.fig2-increasing-amplitudes", figure="Fig. 2",
    statement="The lower frequencies are still learned first when the higher ones have the larger amplitudes (A_i "
              "increasing with k_i).",
    expected_reason="Rahaman et al. Fig. 2: the ordering is a bias in frequency, not in amplitude, so it survives "
                    "amplitudes that grow with the frequency.",
    quick_amplitudes=(0.1, 0.28, 0.46, 0.64, 0.82, 1.0),
    paper_amplitudes=(0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)))


@produces()
def predict_robustness(setup: PerturbedSineFit, result: fit.PerturbedSineFitResult) -> Prediction:
    return Prediction(concat([]), "higher frequencies are less robust: at each perturbation norm "
                      f"{list(setup.perturbation_norms)}, ρ(k, mean relative amplitude loss) ≥ 0.8")


register(Claim(
    id="rahaman2019.robustness", version=1, source=f"{SOURCE}, §5",
    statement="In trained Fig. 1 networks the higher frequencies are less robust to random parameter perturbations: "
              "the mean relative amplitude loss grows with the frequency at every perturbation norm.",
    expected="agree",
    expected_reason="Rahaman et al. §5: functions with high-frequency components occupy a smaller volume of parameter "
                    "space, so random perturbations of fixed norm destroy the high frequencies first.",
    experiment=fit.PERTURBED_SINE_FIT,
    setups={"quick": PerturbedSineFit(frequencies=(1, 3, 5, 7, 9, 11), lr=2e-3, steps=3000, snapshot_every=100,
                                      seeds=6),
            "paper": PerturbedSineFit(**{**PAPER_FIT, "snapshot_every": 1000}, amplitudes=(1.0,) * 10)},
    predict=predict_robustness, measure=fit.measure_robustness, rules=(Bound("rho_amplitude_loss", 0.8, above=True),),
    figures=fit_figures.robustness,
    notes=(TRAINING_NOTE,
           "Perturbations: for each trained network, directions u uniform on the unit sphere of the full parameter "
           "vector (all weights and biases), δθ = r u for each norm r, the same directions for every norm; the loss at "
           "k is the mean over samples of (|ĥ_θ(k)| - |ĥ_{θ+δθ}(k)|) / |ĥ_θ(k)| (it is negative where the "
           "perturbation adds more of that frequency than it removes, typically at the lowest k). The rule asks for "
           "ρ(k, loss) ≥ 0.8 at every norm, per seed. The mean is over 1024 samples: with 128, the Monte Carlo noise "
           "of the mean at the smallest norm alone reorders neighbouring peaks."),
))
