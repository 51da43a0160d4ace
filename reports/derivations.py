"""The symbolic derivations of `theory/` that `fpcheck derive NAME` prints and the claim reports show.

DERIVATIONS maps a name to a `Derivation`: a function `(activation, latex) -> str` giving the printable
text (the numbered steps, each re-checked by sympy in the tests, then the results) and the activations
it covers, the first being the default. To add one, write such a function next to the others and add
it to the dict. Theory modules are imported inside the
functions, so importing this registry (the CLI does, to list the names) stays cheap.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import NamedTuple

import sympy as sp

from fpcheck.errors import BadArgument


class Derivation(NamedTuple):
    text: Callable[[str, bool], str]
    activations: tuple[str, ...]


def _results_text(results: Mapping[str, sp.Expr], latex: bool) -> str:
    """One line per named result (plain sympy text, or a LaTeX display)."""
    if latex:
        return "\n".join(f"% {name}\n\\[ {sp.latex(expr)} \\]" for name, expr in results.items())
    return "\n".join(f"{name} = {sp.sstr(expr)}" for name, expr in results.items())


def sigmoid_gradient(activation: str = "tanh", latex: bool = False) -> str:
    """Xu 2018: the transform of a tanh / logistic neuron and ∂L(k)/∂θ_j, factored as A E G (docs/formulas.md §1)."""
    from fpcheck.theory.derivation import format_steps
    from fpcheck.theory.sigmoid_gradient import derive

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


def relu_spectrum(activation: str = "relu", latex: bool = False) -> str:
    """Rahaman 2019, Thm 1 in 1D: the kink form of c_k of a 1D ReLU network and its bounds (docs/formulas.md §2)."""
    from fpcheck.theory.derivation import format_steps
    from fpcheck.theory.relu_spectrum import derive, results

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


def three_stages(activation: str = "tanh", latex: bool = False) -> str:
    """Luo, Ma, Xu, Zhang 2019 (form only): our reconstruction of the three stage bounds and the tail rate."""
    from fpcheck.theory.derivation import format_steps
    from fpcheck.theory.stages import derivation_steps

    heading = (
        f"Three training stages, one-hidden-layer {activation} network. Our reconstruction of the form stated by "
        "Luo, Ma, Xu, Zhang 2019 (arXiv:1906.09235; the theorem texts were not available). Ordinary frequency ξ, "
        "ĝ(ξ) = ∫ g e^{-2πiξx} dx, ‖g‖²_(H^s) = ∫ (1 + ξ²)^s |ĝ(ξ)|² dξ, P⁺_η keeps |ξ| > η."
    )
    comment = "% " if latex else ""
    return "\n\n".join([f"{comment}{heading}", format_steps(derivation_steps(activation), latex=latex)])


def deep_ntk(activation: str = "relu", latex: bool = False) -> str:
    """The deep ReLU NTK on the circle (arc-cosine recursion), its kinks and κ⁻² constants (docs/formulas.md §6)."""
    from fpcheck.theory.deep_ntk import derive, kink_slopes
    from fpcheck.theory.derivation import format_steps

    heading = (
        "ReLU network of L linear layers on x = (cos θ, sin θ): h¹ = W¹x + b¹, h^l = m^{-1/2} W^l relu(h^{l-1}) + b^l, "
        "f = m^{-1/2} a·relu(h^{L-1}), every entry N(0, 1); K(θ) = Θ^(L) with every layer trained; "
        "λ_κ = -(2K'(0+) - 2(-1)^κ K'(π-))/(2πκ²) + O(κ⁻⁴). Steps for L = 3 with bias."
    )
    comment = "% " if latex else ""
    results = {f"K'({point}) L={depth}{'' if bias else ' no bias'}": slope
               for depth in (3, 4) for bias in (True, False)
               for point, slope in zip(("0+", "π-"), kink_slopes(depth, bias, "both"), strict=True)}
    return "\n\n".join([f"{comment}{heading}", format_steps(derive(3, True, "both")[0], latex=latex),
                         f"{comment}Results:", _results_text(results, latex)])


DERIVATIONS: dict[str, Derivation] = {
    "sigmoid-gradient": Derivation(sigmoid_gradient, ("tanh", "logistic")),
    "relu-spectrum": Derivation(relu_spectrum, ("relu",)),
    "three-stages": Derivation(three_stages, ("tanh", "logistic", "relu")),
    "deep-ntk": Derivation(deep_ntk, ("relu",)),
}


def render(name: str, activation: str | None = None, latex: bool = False) -> str:
    """The text of derivation `name` for `activation` (default: its first); ValueError for an unknown
    name or an activation the derivation does not cover."""
    if name not in DERIVATIONS:
        raise BadArgument(f"unknown derivation {name!r}; valid names: {', '.join(DERIVATIONS)}")
    text, activations = DERIVATIONS[name]
    chosen = activations[0] if activation is None else activation
    if chosen not in activations:
        raise BadArgument(f"derivation {name} covers activations {', '.join(activations)}, not {chosen!r}")
    return text(chosen, latex)
