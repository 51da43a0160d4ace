"""Figures of the gradient-spectrum claims (`fpcheck.empirics.gradient_spectrum`): the measured |∂L(k)/∂θ_j| of
the first seed's networks (dots) over the derived closed form of `fpcheck.theory.sigmoid_gradient` (lines), one
panel per activation and θ, log scale; for the decay claim also the derived envelope A(k)|∂T̂/∂θ_j| (dashed).
A control's networks (gd or erf, `network`) are named in the title.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure

from fpcheck.empirics.gradient_spectrum import ACTIVATIONS, PARAMETERS, first_seed
from fpcheck.reports.claim import ClaimRun
from fpcheck.theory import sigmoid_gradient

Curves = Sequence[tuple[np.ndarray, np.ndarray]]


def gradient_axes(figure: Figure, position: int, title: str, curves: Curves, points: Curves,
                  envelopes: Curves = ()) -> None:
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


def _measured_on(run: ClaimRun) -> str:
    """The suffix naming a control's measured networks (`fpcheck.empirics.gradient_spectrum`, `network`)."""
    network = run.setup.network
    return "" if network == "derived" else f"; measured on {network} networks"


def _derived(data: dict, k: np.ndarray, width: float, activation: str) -> tuple[dict, np.ndarray]:
    residual = sigmoid_gradient.gaussian_residual(data["a"], data["w"], data["b"], k, width, activation)
    return sigmoid_gradient.frequency_gradient(data["a"], data["w"], data["b"], k, residual, activation), residual


def closed_form(run: ClaimRun) -> list[Figure]:
    """First seed: measured autograd gradients (dots) over the derived |∂L/∂θ_j| (lines), both signs of k;
    every neuron at its own frequencies."""
    figure = Figure(figsize=(12, 7))
    per_neuron = run.setup.frequencies_per_neuron
    for row, activation in enumerate(ACTIVATIONS):
        data = first_seed(run.result, activation)
        m = data["w"].size
        limit = float(np.abs(data["k"]).max())
        dense = np.concatenate([np.linspace(-limit, -1e-2, 600), np.linspace(1e-2, limit, 600)])
        derived, _ = _derived(data, dense, run.setup.target_width, activation)
        own_k = data["k"].reshape(m, per_neuron)
        for column, name in enumerate(PARAMETERS):
            measured = data["gradient"][column].reshape(m, per_neuron, m)  # (neuron owning k, its K_j, j)
            orders = [np.argsort(own_k[j]) for j in range(m)]
            points = [(own_k[j][order], measured[j, :, j][order]) for j, order in enumerate(orders)]
            curves = [(dense, derived[name][:, j]) for j in range(m)]
            gradient_axes(figure, 3 * row + column + 1, f"{activation}: ∂L/∂{name}_j", curves, points)
    figure.suptitle("xu2018.tanh-gradient-closed-form: autograd (dots) vs derived closed form (lines)"
                    + _measured_on(run))
    figure.tight_layout()
    return [figure]


def decay(run: ClaimRun) -> list[Figure]:
    """First seed, k > 0: measured |∂L/∂θ_j| (dots) over the derived one (lines) and the derived envelope
    A(k)|∂T̂/∂θ_j| (dashed), log scale."""
    figure = Figure(figsize=(12, 7))
    for row, activation in enumerate(ACTIVATIONS):
        data = first_seed(run.result, activation)
        positive = data["k"] > 0
        kp, m = data["k"][positive], data["w"].size
        derived, residual = _derived(data, kp, run.setup.target_width, activation)
        envelope = sigmoid_gradient.gradient_envelope(data["a"], data["w"], data["b"], kp, activation)
        for column, name in enumerate(PARAMETERS):
            curves = [(kp, derived[name][:, j]) for j in range(m)]
            points = [(kp, data["gradient"][column][positive, j]) for j in range(m)]
            envelopes = [(kp, np.abs(residual) * envelope[name][:, j]) for j in range(m)]
            gradient_axes(figure, 3 * row + column + 1, f"{activation}: ∂L/∂{name}_j", curves, points, envelopes)
    figure.suptitle("xu2018.gradient-exponential-decay: measured (dots), derived (lines), derived envelope (dashed)"
                    + _measured_on(run))
    figure.tight_layout()
    return [figure]
