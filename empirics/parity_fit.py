"""The parity family: parity on half the cube is fitted, not generalised, and aliased, and what is measured
on it (Xu et al. 2019, arXiv:1901.06523, § parity function; seed 001; torch-free: the training itself is
`fpcheck.empirics.parity`).

The parity y(x) = Π_i x_i on {-1, 1}^n has no low-frequency content along p = (1, …, 1)/√n (its
spectrum there is (-i)^n sin^n(2πk/√n): `fpcheck.theory.parity_spectrum`). A random half S of the cube
keeps the high-frequency content but loses the cancellation at low k: the training half's spectrum
ŷ_S(k) = (1/|S|) Σ_{j∈S} y_j e^{-2πik p·x_j} has spurious low frequencies (aliasing), and a network
trained on S, which by the F-Principle fits it with low frequencies first, carries them to the whole
cube: it fits S and fails on the other half.

With `degree` d < n the target is the parity of the first d bits, Π_{i≤d} x_i, whose spectrum along p
is (-i sin θ)^d cos^{n-d} θ (θ = 2πk/√n): for d = 1 (y = x_1) it is a low-frequency target, which the
F-Principle predicts a network fits and generalises (the control of the parity claim).

Per seed (its own half S, drawn from the seed's "split" stream, and its own initialisation) a tanh MLP
is trained full batch with Adam on the mean squared error to the ±1 labels of S through the engine
(`fpcheck.empirics.ensemble.train_ensemble`, whose one divergence rule marks the diverged seeds).
Measured: training and test accuracy (sign of the output against the label), and over the low band
0 ≤ k ≤ k_low (`low_band_fraction` × the full cube's first peak √n/4) the RMS amplitudes of the full
cube's spectrum ŷ, of ŷ_S and of the network's output on the whole cube ĥ, all at the `frequency_points`
frequencies 0 … √n/4 (ordinary frequency, 1/N over the points used: `fpcheck.empirics.projection`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from fpcheck.empirics.experiment import Experiment, Result
from fpcheck.empirics.setup import Setup, param
from fpcheck.tables import ALL_SEEDS, Measurement, concat, produces, tidy

MAX_WIDTH = 8192


@dataclass(frozen=True, kw_only=True)
class ParityFit(Setup):
    """Networks trained on random halves of the `bits`-bit parity cube (module doc)."""

    bits: int = param(10, at_least=1, at_most=20)
    degree: int | None = param(None, at_least=1, at_most=20)
    hidden: tuple[int, ...] = param((100, 100), positive=True, at_most=MAX_WIDTH, max_length=64)
    activation: Literal["tanh", "relu", "logistic"] = "tanh"
    steps: int = param(500, positive=True, at_most=10_000_000)
    lr: float = param(0.003, positive=True, at_most=100.0)
    frequency_points: int = param(81, at_least=2, at_most=100_000)
    low_band_fraction: float = param(0.25, positive=True, at_most=1.0, analysis=True)

    family = "parity"

    def planned_network_steps(self) -> int:
        """One network per seed for `steps` updates."""
        return self.seeds * self.steps

    def check(self) -> None:
        if self.degree is not None and self.degree > self.bits:
            self.refuse("degree", f"the parity of {self.degree} bits needs bits ≥ {self.degree}, not {self.bits}")

    @property
    def target_degree(self) -> int:
        """The number of bits whose parity is the target (all of them unless `degree` says fewer)."""
        return self.bits if self.degree is None else self.degree

    @property
    def frequencies(self) -> np.ndarray:
        """`frequency_points` frequencies from 0 to the full cube's first peak √n/4."""
        return np.linspace(0.0, np.sqrt(self.bits) / 4, self.frequency_points)

    @property
    def low_band_edge(self) -> float:
        """k_low = low_band_fraction × √n/4."""
        return self.low_band_fraction * (np.sqrt(self.bits) / 4)

    @property
    def low_band(self) -> np.ndarray:
        """The mask of the frequencies k ≤ k_low (never empty: k = 0 is one)."""
        return self.frequencies <= self.low_band_edge


@dataclass(frozen=True, kw_only=True)
class ParityFitResult(Result):
    """At the setup's frequencies (F,): the full cube's spectrum (F,) and, per seed, the training half's and
    the trained network's on the whole cube (S, F) (complex; NaN where the output is not finite); training
    and test accuracy (S,); the diverged seeds."""

    full_spectrum: np.ndarray
    train_spectrum: np.ndarray
    network_spectrum: np.ndarray
    train_accuracy: np.ndarray
    test_accuracy: np.ndarray
    diverged: tuple[int, ...]


PARITY_FIT = Experiment("parity-fit", ParityFit, ParityFitResult, "fpcheck.empirics.parity:parity_fit",
                        "networks trained on random halves of the parity cube, and their spectra along the diagonal")


def low_band_rms(setup: ParityFit, spectrum: np.ndarray) -> np.ndarray:
    """sqrt(mean over the low band of |ŷ(k)|²), over the last axis."""
    return np.sqrt(np.mean(np.abs(spectrum[..., setup.low_band]) ** 2, axis=-1))


def _range(values: np.ndarray, fmt: str) -> str:
    values = np.asarray(values)
    return f"{format(values.min(), fmt)} … {format(values.max(), fmt)}"


@produces("cube_spectrum_nufft_re", "cube_spectrum_nufft_im", "cube_low_band_rms", "train_accuracy", "test_accuracy",
          "train_half_low_band_rms", "network_low_band_rms", "aliasing_log10_ratio", "network_low_band_ratio")
def measure_parity(setup: ParityFit, result: ParityFitResult) -> Measurement:
    """Accuracies, and the low-band content of the training half and of the network against the full cube's."""
    k, edge = setup.frequencies, setup.low_band_edge
    cube_rms = float(low_band_rms(setup, result.full_spectrum))
    train_rms = low_band_rms(setup, result.train_spectrum)
    network_rms = low_band_rms(setup, result.network_spectrum)
    frames = [
        tidy(ALL_SEEDS, "cube_spectrum_nufft_re", result.full_spectrum.real, x=k),
        tidy(ALL_SEEDS, "cube_spectrum_nufft_im", result.full_spectrum.imag, x=k),
        tidy(ALL_SEEDS, "cube_low_band_rms", cube_rms),
    ]
    healthy = [member for member, seed in enumerate(result.seeds) if seed not in result.diverged]
    for member in healthy:
        seed = result.seeds[member]
        frames += [
            tidy(seed, "train_accuracy", result.train_accuracy[member]),
            tidy(seed, "test_accuracy", result.test_accuracy[member]),
            tidy(seed, "train_half_low_band_rms", train_rms[member]),
            tidy(seed, "network_low_band_rms", network_rms[member]),
            tidy(seed, "aliasing_log10_ratio", np.log10(train_rms[member] / cube_rms)),
            tidy(seed, "network_low_band_ratio", network_rms[member] / train_rms[member]),
        ]
    summary = (
        f"train accuracy {_range(result.train_accuracy[healthy], '.3f')}, test accuracy "
        f"{_range(result.test_accuracy[healthy], '.3f')}; low band (k ≤ {edge:.3g}) RMS |ŷ|: full cube "
        f"{cube_rms:.2e}, training halves {_range(train_rms[healthy], '.2e')}, networks on the cube "
        f"{_range(network_rms[healthy], '.2e')}"
        if healthy else "every seed diverged"
    )
    half = 2 ** (setup.bits - 1)
    notes = (
        "Projection method along p = (1, …, 1)/√n: ŷ_p(k) = (1/N) Σ_j y_j e^{-2πik p·x_j} (ordinary frequency, "
        "1/N over the points used: the whole cube, the training half, or the network's output on the whole "
        "cube), computed with finufft's type-3 transform at eps = 1e-12 and checked against the closed form "
        "(-i)^n sin^n(2πk/√n) for the full cube.",
        "`aliasing_log10_ratio` = log10 of the training half's low-band RMS amplitude over the full cube's: "
        "≥ 1 means at least ten times the (vanishing) true content. `network_low_band_ratio` = the network's "
        "low-band RMS amplitude on the whole cube over the training half's: a network that output 0 on the "
        "unseen half would give exactly 0.5 (its transform is half the training half's), one that had learnt "
        "the parity would give the full cube's ≈ 0; ≥ 0.5 means the network carries the spurious low "
        "frequencies to the unseen half.",
        f"Training: each seed draws its own random half of the cube ({half} of {2 * half} points for n = "
        f"{setup.bits}) and its own initialisation; {setup.activation} MLP, full-batch Adam on the mean squared "
        "error to the ±1 labels; accuracy = sign of the output against the label.",
    )
    if setup.target_degree < setup.bits:
        notes += (f"Target: the parity of the first {setup.target_degree} of the {setup.bits} bits, "
                  f"Π_(i≤{setup.target_degree}) x_i (spectrum along the diagonal (-i sin θ)^{setup.target_degree} "
                  f"cos^{setup.bits - setup.target_degree} θ, θ = 2πk/√n).",)
    return Measurement(concat(frames), summary, diverged_seeds=result.diverged, notes=notes)
