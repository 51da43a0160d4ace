"""Figures of the spectrum-network claims (`fpcheck.empirics.spectrum_networks`): the measured |ĉ_k| (FFT of
the sampled network, ramp handled) of the first seed's random and trained network against the weight bound
and the exact-kink bound, with the closed form beside it (ReLU networks only); the boundary-free part
against the kink bound with a k^-2 guide; the linear pieces against depth.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from fpcheck.empirics.spectrum_networks import KINDS
from fpcheck.reports.claim import ClaimRun
from fpcheck.theory.relu_spectrum import worst_case_log_pieces


def _exact(axes, k: np.ndarray, values: np.ndarray | None, label: str) -> None:
    """The closed form over the linear pieces (absent for a network with an activation step)."""
    if values is not None:
        axes.loglog(k, values, ".", color="tab:blue", markersize=2, label=label)


def spectra(run: ClaimRun) -> list[Figure]:
    """The sampled |ĉ_k| against the weight bound and the exact-kink bound, log-log, first seed, random and trained."""
    data_by_kind, seed = run.measurement.artifacts["spectra"], run.measurement.artifacts["seed"]
    figure = Figure(figsize=(10, 4))
    for index, kind in enumerate(KINDS):
        data = data_by_kind[kind]
        axes = figure.add_subplot(1, 2, index + 1)
        axes.loglog(data["sampled_k"], data["weight_bound"], color="tab:red", label="weight bound (Π‖W‖₂, Π(1+d))")
        if data["decay_bound"] is not None:
            axes.loglog(data["exact_k"], data["decay_bound"], color="tab:orange", label="exact-kink bound")
        _exact(axes, data["exact_k"], data["abs"], "|c_k| closed form")
        axes.loglog(data["sampled_k"], data["sampled"], color="tab:green", linewidth=0.6, alpha=0.7,
                    label="|ĉ_k| measured (FFT, ramp removed and added back)")
        axes.set_xlabel("k (cycles on [0, 1])")
        axes.set_ylabel("|c_k|")
        axes.set_title(f"{kind} network (seed {seed})")
        axes.legend(fontsize=7)
    figure.tight_layout()
    return [figure]


def boundary_free(run: ClaimRun) -> Figure:
    """The measured |ĝ_k| (FFT of f minus its ramp) against the kink bound, with a k^-2 guide and the fit range."""
    data_by_kind, anchor = run.measurement.artifacts["spectra"], run.setup.fit_k_min
    figure = Figure(figsize=(10, 4))
    for index, kind in enumerate(KINDS):
        data = data_by_kind[kind]
        axes = figure.add_subplot(1, 2, index + 1)
        _exact(axes, data["exact_k"], data["boundary_free"], "closed form")
        k, measured = data["sampled_k"], data["sampled_free"]
        axes.loglog(k, measured, color="tab:green", linewidth=0.6, alpha=0.7, label="measured: FFT of f minus its ramp")
        axes.loglog(k, data["kink_bound"], color="tab:orange", label="kink bound (Σ|J_m| + |D|)/(2πk)²")
        window = (k >= anchor) & (k < 2 * anchor)
        level = np.sqrt(np.mean(measured[window] ** 2)) if np.any(window) else measured[-1]
        guide = k[k >= 8]
        axes.loglog(guide, level * (guide / anchor) ** -2.0, "k--", linewidth=1, label="k^-2")
        axes.axvspan(anchor, run.setup.fit_k_max, color="0.9", zorder=0, label="fit range")
        axes.set_xlabel("k (cycles on [0, 1])")
        axes.set_ylabel("|c_k - i(f(1)-f(0))/(2πk)|")
        axes.set_title(f"{kind} network: boundary-free part")
        axes.legend(fontsize=7)
    figure.tight_layout()
    return figure


def decay(run: ClaimRun) -> list[Figure]:
    """The spectra and the boundary-free part."""
    return [*spectra(run), boundary_free(run)]


def regions(run: ClaimRun) -> list[Figure]:
    """Pieces against depth at a fixed neuron count, with the worst case and the linear (∝ neurons) model."""
    pieces, neurons = run.measurement.artifacts["pieces"], run.setup.neurons
    depths = np.array(sorted(pieces["init"]), dtype=float)
    figure = Figure(figsize=(6, 4))
    axes = figure.add_subplot()
    axes.semilogy(depths, np.exp(worst_case_log_pieces(neurons, depths)), "k--", label="worst case Π(1 + d_l)")
    everything = [p for by in pieces.values() for v in by.values() for p in v]
    density = (np.median(everything) - 1) / neurons
    axes.semilogy(depths, np.full(depths.shape, 1 + density * neurons), "k:",
                  label=f"∝ neurons: 1 + {density:.2f} × {neurons}")
    for kind, marker, colour in (("init", "o", "tab:blue"), ("trained", "s", "tab:orange")):
        for depth, values in pieces[kind].items():
            axes.semilogy(np.full(len(values), depth), values, marker, color=colour, alpha=0.35, markersize=4)
        axes.semilogy(depths, [np.median(pieces[kind][int(d)]) for d in depths], marker + "-", color=colour,
                      label=f"{kind} (median)")
    axes.set_xlabel(f"depth (layers of {neurons}/depth neurons)")
    axes.set_ylabel("linear pieces on [0, 1]")
    axes.legend(fontsize=7)
    figure.tight_layout()
    return [figure]
