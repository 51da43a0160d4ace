"""Claims of the F-Principle papers of Xu et al. on 1D training dynamics (docs/catalogue.md).

- `xu2019.fprinciple-1d`: a tanh network fitting sin x + 2 sin 3x + 3 sin 5x on an on-bin grid of
  [-π, π) learns the peaks from low to high frequency (Xu, Zhang, Luo, Xiao, Ma 2019, Fig. 1; Xu,
  Zhang, Xiao 2018);
- `xu2019.large-init`: with a large initialisation the low-to-high ordering breaks and the network
  generalises worse (Xu 2018, §4);
- `xu2019.early-stopping`: with high-frequency label noise, the held-out error is lowest before the
  network fits the noise, which it does last (Xu 2018, §3).

The experiments, spectra and measurements are those of `fpcheck.empirics.sine_fit` (ordinary integer
frequency k in cycles per period; on [-π, π) the component sin(kx) sits on bin k).
"""

from __future__ import annotations

import numpy as np

from fpcheck.empirics import sine_fit as fit
from fpcheck.empirics.sine_fit import InitScaleFit, NoisySineFit, SineFit
from fpcheck.reports.catalogue import register
from fpcheck.reports.claim import Claim
from fpcheck.reports.figures import sine_fit as figures
from fpcheck.reports.rules import Bound, Order
from fpcheck.tables import ALL_SEEDS, Prediction, concat, produces, tidy

XU2019 = ("Xu, Zhang, Luo, Xiao, Ma 2019, \"Frequency principle: Fourier analysis sheds light on deep neural "
          "networks\", arXiv:1901.06523")
XU_ZHANG_XIAO2018 = ("Xu, Zhang, Xiao 2018, \"Training behavior of deep neural network in frequency domain\", "
                     "arXiv:1807.01251")
XU2018 = ("Xu 2018, \"Understanding training and generalization in deep learning by Fourier analysis\", "
          "arXiv:1808.04295")
XU_SETTING = {"interval": (-np.pi, np.pi), "activation": "tanh", "init": "normal", "random_phase": False}
QUICK_NET = {"hidden": (128, 128), "lr": 1e-3}
PAPER_NET = {"hidden": (200, 200, 200, 100)}


@produces()
def predict_fprinciple(setup: SineFit, result: fit.SineFitResult) -> Prediction:
    return Prediction(concat([]), f"F-Principle: the peaks k = {setup.peaks} converge (Δ_F < {setup.threshold:g} to "
                      "the end) from low to high frequency: Spearman ρ(k, convergence step) ≥ 0.9 and "
                      f"k = {setup.peaks[-1]} last")


register(Claim(
    id="xu2019.fprinciple-1d", version=1, source=f"{XU2019}, Fig. 1; {XU_ZHANG_XIAO2018}",
    statement="A tanh network trained with Adam on sin x + 2 sin 3x + 3 sin 5x (on-bin grid of [-π, π)) captures "
              "the spectral peaks from low to high frequency.",
    expected="agree",
    expected_reason="The F-Principle figure of the source (peaks converge at about 0 / 550 / 800 epochs) and its "
                    "explanation: the gradient at frequency k of a tanh network decays like e^{-π|k|/(2|w|)} "
                    "(docs/formulas.md §1), so lower frequencies are fitted first.",
    experiment=fit.SINE_FIT,
    setups={"quick": SineFit(**XU_SETTING, **QUICK_NET, frequencies=(1, 3, 5), amplitudes=(1.0, 2.0, 3.0),
                             points=64, steps=1000, snapshot_every=1, seeds=6),
            "paper": SineFit(**XU_SETTING, **PAPER_NET, frequencies=(1, 3, 5), amplitudes=(1.0, 2.0, 3.0),
                             points=200, lr=5e-5, steps=3000, snapshot_every=1, seeds=10)},
    predict=predict_fprinciple, measure=fit.measure_convergence_order,
    rules=(Order("convergence_step", 0.9), Bound("highest_peak_lead", 0.0, above=True)),
    figures=figures.convergence_order,
    notes=("Initialisation: LeCun normal (weights and biases ~ N(0, 1/fan_in)), float32, full-batch Adam (default "
           "betas). The lowest peak has the smallest amplitude, so its relative error is the most sensitive to the "
           "transient changes made while the larger, higher peaks are fitted: a peak counts as converged only once "
           "Δ_F stays below the threshold for the rest of the run.",),
))


@produces("gradient_factor_standard", "gradient_factor_large")
def predict_large_init(setup: InitScaleFit, result: fit.InitScaleResult) -> Prediction:
    """Where the tanh gradient factor e^{-π|k|/(2|w|)} (docs/formulas.md §1) is flat the ordering should break;
    |w| is one standard deviation of the LeCun-normal first layer (fan_in = 1): the init scale."""
    k = np.asarray(setup.peaks, dtype=float)
    scales = {"standard": setup.init_scale, "large": setup.init_scale * setup.large_factor}
    frames = [tidy(ALL_SEEDS, f"gradient_factor_{name}", np.exp(-np.pi * k / (2 * w)), x=k)
              for name, w in scales.items()]
    spread = {name: np.exp(-np.pi * (k[-1] - k[0]) / (2 * w)) for name, w in scales.items()}
    return Prediction(concat(frames), f"with the initial weights × {setup.large_factor:g}, the low-to-high ordering "
                      "breaks (ρ(k, convergence step) ≤ 0.5) and the held-out error at the end exceeds that of the "
                      f"standard scale; the gradient factor e^(-πk/2|w|) at k = {setup.peaks[-1]} is "
                      f"{spread['standard']:.1e} × its value at k = {setup.peaks[0]} for |w| = {scales['standard']:g}, "
                      f"but {spread['large']:.2f} × for |w| = {scales['large']:g}")


SIX_PEAKS = {"frequencies": (1, 2, 3, 4, 5, 6), "amplitudes": (1.0,) * 6, "large_factor": 10.0, "snapshot_every": 1}
register(Claim(
    id="xu2019.large-init", version=1, source=f"{XU2018}, §4; {XU_ZHANG_XIAO2018}",
    statement="With a large initial weight scale the F-Principle fails: the peaks no longer converge from low to high "
              "frequency, and the network fitted on the even grid points generalises worse to the odd ones.",
    expected="agree",
    expected_reason="Xu 2018 §4: the gradient's frequency decay e^{-π|k|/(2|w|)} fades when |w| is large "
                    "(docs/formulas.md §1), so no frequency has priority, and the fit of the training points "
                    "oscillates between them.",
    experiment=fit.INIT_SCALES,
    setups={"quick": InitScaleFit(**XU_SETTING, **QUICK_NET, **SIX_PEAKS, points=128, steps=600, seeds=8),
            "paper": InitScaleFit(**XU_SETTING, **PAPER_NET, **SIX_PEAKS, points=400, lr=1e-4, steps=5000, seeds=10)},
    predict=predict_large_init, measure=fit.measure_init_scales,
    rules=(Order("convergence_step_large", 0.5, at_least=False), Bound("test_error_ratio", 1.0, above=True)),
    share=0.6, figures=figures.init_scales,
    notes=("Training points: the even-indexed points of the on-bin grid; held-out points: the odd-indexed ones (both "
           "are on-bin grids of half the size, so every peak stays one bin). The large initialisation multiplies the "
           "standard draw of every weight and bias (LeCun normal) by the factor, so both runs of a seed start from "
           "the same directions.",
           "The peaks are kept below the large first-layer weight scale on purpose: the theory (docs/formulas.md §1) "
           "says the priority of low frequencies fades when |w| ≫ k, so the claim tests the regime where it predicts "
           "the ordering to vanish. With peaks well above the large scale (e.g. up to k = 15 at |w| ≈ 10) the "
           "ordering partly survives the large initialisation.",
           "The claim reads 'most seeds' as 60 %: a random order of 6 peaks passes ρ ≤ 0.5 with the probability "
           "given as the null pass probability beside the verdict."),
))


@produces()
def predict_early_stopping(setup: NoisySineFit, result: fit.NoisySineFitResult) -> Prediction:
    low, high = setup.noise_band
    return Prediction(concat([]), "the best held-out error along training is ≤ 0.9 × the final one, and the fit's "
                      f"band [{low}, {high}] (where the label noise lives) reaches at most half of its final amplitude "
                      "by then")


NOISY = {"frequencies": (1, 2, 3), "amplitudes": (1.0, 0.6, 0.3), "noise_rms": 0.3}
register(Claim(
    id="xu2019.early-stopping", version=1, source=f"{XU2018}, §3",
    statement="When a low-frequency target is learned from labels with added high-frequency noise, the held-out "
              "error is lowest before the network fits the noise, which it fits last: early stopping helps.",
    expected="agree",
    expected_reason="By the F-Principle the low-frequency target is fitted first and the high-frequency noise last, "
                    "so stopping in between gives a smoother fit with a lower held-out error (Xu 2018 §3).",
    experiment=fit.NOISY_SINE_FIT,
    setups={"quick": NoisySineFit(**XU_SETTING, **QUICK_NET, **NOISY, noise_band=(8, 16), points=128, steps=2000,
                                  snapshot_every=5, seeds=6),
            "paper": NoisySineFit(**XU_SETTING, **PAPER_NET, **NOISY, noise_band=(25, 50), points=400, lr=1e-4,
                                  steps=20000, snapshot_every=10, seeds=10)},
    predict=predict_early_stopping, measure=fit.measure_early_stopping,
    rules=(Bound("best_over_final_test_error", 0.9), Bound("high_band_at_best", 0.5)),
    figures=figures.early_stopping,
    notes=("Training labels: the target on the even-indexed grid points plus noise whose spectrum fills the band only "
           "(independent Gaussian sine and cosine coefficients, scaled to the stated RMS, drawn per seed); held-out "
           "points: the clean target on the odd-indexed points. Held-out error: RMS of fit minus clean target over "
           "the RMS of the target. Band amplitude: √(Σ_band |c_k|²) of the fit on the training points; the rule "
           "compares it at the best step with its value at the end.",),
))
