"""Figure of the parity claim (`fpcheck.empirics.parity_fit`): |ŷ(k)| along (1,…,1)/√n of the full cube
(closed form and finufft), of the first seed's training half and of its network on the whole cube."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from fpcheck.reports.claim import ClaimRun
from fpcheck.theory.parity_spectrum import partial_parity_diagonal_spectrum

FLOOR = 1e-8  # |ŷ| is drawn on a log axis, floored here (the full cube's low band is ~0)


def parity(run: ClaimRun) -> list[Figure]:
    """The spectra on a log axis with the low band shaded: the aliasing of the training half."""
    setup, result = run.setup, run.result
    k = setup.frequencies
    exact = np.abs(partial_parity_diagonal_spectrum(setup.bits, setup.target_degree, k))
    figure = Figure(figsize=(6.5, 4))
    axes = figure.add_subplot()
    axes.semilogy(k, np.maximum(exact, FLOOR), color="black", linewidth=0.8, label="full cube, closed form")
    axes.semilogy(k, np.maximum(np.abs(result.full_spectrum), FLOOR), "g.", markersize=4, label="full cube (finufft)")
    axes.semilogy(k, np.maximum(np.abs(result.train_spectrum[0]), FLOOR), color="tab:red",
                  label=f"training half (seed {run.seeds[0]})")
    axes.semilogy(k, np.maximum(np.abs(result.network_spectrum[0]), FLOOR), color="tab:blue",
                  label=f"network on the whole cube (seed {run.seeds[0]})")
    axes.axvspan(0, setup.low_band_edge, color="grey", alpha=0.15, label="low band")
    axes.set_xlabel("frequency k along (1,…,1)/√n")
    axes.set_ylabel(f"|ŷ(k)| (floored at {FLOOR:g})")
    target = "" if setup.target_degree == setup.bits else f" (target: parity of the first {setup.target_degree} bits)"
    axes.set_title(f"Parity on {setup.bits} bits{target}: aliasing of the training half", fontsize=9)
    axes.legend(fontsize=7)
    figure.tight_layout()
    return [figure]
