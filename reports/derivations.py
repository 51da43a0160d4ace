"""The symbolic derivations of `theory/` that `fpcheck derive NAME` prints and the claim reports show.

DERIVATIONS maps a name to a function `(activation="tanh", latex=False) -> str` giving the printable
text: the numbered steps (each re-checked by sympy in the tests), then the results. To add one, write
such a function next to the others and add it to the dict. Theory modules are imported inside the
functions, so importing this registry (the CLI does, to list the names) stays cheap.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import sympy as sp


def _results_text(results: Mapping[str, sp.Expr], latex: bool) -> str:
    """One line per named result (plain sympy text, or a LaTeX display)."""
    if latex:
        return "\n".join(f"% {name}\n\\[ {sp.latex(expr)} \\]" for name, expr in results.items())
    return "\n".join(f"{name} = {sp.sstr(expr)}" for name, expr in results.items())


def sigmoid_gradient(activation: str = "tanh", latex: bool = False) -> str:
    """Xu 2018: the transform of a tanh / logistic neuron and ∂L(k)/∂θ_j, factored as A E G (FORMULAS §1)."""
    from theory.derivation import format_steps
    from theory.sigmoid_gradient import derive

    derivation = derive(activation)
    heading = (
        f"One-hidden-layer {activation} network T(x) = Σ_j a_j σ(w_j x + b_j), angular convention "
        "ĝ(k) = ∫ g(x) e^{-ikx} dx (results ending in _xi: ordinary ξ, k = 2πξ; there E = e^{-2πc|ξ/w|}, "
        "ψ = 2πξ b/w - φ)."
    )
    comment = "% " if latex else ""
    return "\n\n".join(
        [
            f"{comment}{heading}",
            format_steps(derivation.steps, latex=latex),
            f"{comment}Results:",
            _results_text(derivation.results, latex),
        ]
    )


def relu_spectrum(activation: str = "tanh", latex: bool = False) -> str:
    """Rahaman 2019, Thm 1 in 1D: the kink form of c_k of a ReLU network on [0, 1] and its bounds (FORMULAS §2).

    `activation` is ignored: the derivation is for ReLU networks only.
    """
    from theory.derivation import format_steps
    from theory.relu_spectrum import derive, results

    heading = (
        "1D ReLU network f on [0, 1], continuous and piecewise linear with kinks x_m and slope jumps J_m; "
        "c_k = ∫_0^1 f(x) e^{-2πikx} dx (ordinary integer k ≠ 0); B = f(1) - f(0), D = f'(0+) - f'(1-), "
        "L = Π‖W_l‖₂, N = Π(1 + d_l)."
    )
    comment = "% " if latex else ""
    return "\n\n".join(
        [
            f"{comment}{heading}",
            format_steps(derive(), latex=latex),
            f"{comment}Results:",
            _results_text(results(), latex),
        ]
    )


DERIVATIONS: dict[str, Callable[..., str]] = {
    "sigmoid-gradient": sigmoid_gradient,
    "relu-spectrum": relu_spectrum,
}


def render(name: str, activation: str = "tanh", latex: bool = False) -> str:
    """The text of derivation `name`; ValueError for an unknown name (or an unknown activation)."""
    if name not in DERIVATIONS:
        raise ValueError(f"unknown derivation {name!r}; valid names: {', '.join(DERIVATIONS)}")
    return DERIVATIONS[name](activation=activation, latex=latex)
