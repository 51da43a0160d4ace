"""An auditable derivation: a list of steps, each a one-line description and a sympy equality.

Every symbolic result of `theory/` (the tanh/sigmoid frequency-domain gradient of Xu 2018, the exact
spectrum of 1D ReLU networks of Rahaman et al. 2019) is returned together with the steps that produce
it, so that a reader can follow the derivation and a test can re-check each equality independently.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import sympy as sp


@dataclass(frozen=True)
class Step:
    """One step of a derivation: `lhs = rhs`, justified by `description`.

    `assumptions` lists the conditions under which the equality holds (e.g. "k > 0"), for the reader;
    the symbols themselves carry the sympy assumptions that `holds` relies on.
    """

    description: str
    lhs: sp.Expr
    rhs: sp.Expr
    assumptions: tuple[str, ...] = ()

    def holds(self) -> bool:
        """True when sympy proves lhs - rhs == 0 (simplify, then `equals` as a fallback)."""
        difference = sp.simplify(sp.expand_complex(self.lhs - self.rhs))
        if difference == 0:
            return True
        return bool(sp.simplify(self.lhs).equals(sp.simplify(self.rhs)))

    def as_text(self, latex: bool = False) -> str:
        """One line for a terminal (sympy's plain text) or for a LaTeX document."""
        where = f"  [{', '.join(self.assumptions)}]" if self.assumptions else ""
        if latex:
            return f"% {self.description}{where}\n\\[ {sp.latex(self.lhs)} = {sp.latex(self.rhs)} \\]"
        return f"{self.description}{where}\n    {sp.sstr(self.lhs)} = {sp.sstr(self.rhs)}"


def format_steps(steps: Sequence[Step], latex: bool = False) -> str:
    """The numbered steps of a derivation as text (or LaTeX), one block per step."""
    blocks = []
    for number, step in enumerate(steps, start=1):
        text = step.as_text(latex=latex)
        blocks.append(f"% ({number}) {text[2:]}" if latex else f"({number}) {text}")
    return "\n\n".join(blocks)


def failing_steps(steps: Iterable[Step]) -> list[Step]:
    """The steps whose equality sympy cannot confirm (empty for a sound derivation)."""
    return [step for step in steps if not step.holds()]
