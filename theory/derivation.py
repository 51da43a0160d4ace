"""An auditable derivation: a list of steps, each a one-line description and a sympy equality.

Every symbolic result of `theory/` (the tanh/sigmoid frequency-domain gradient of Xu 2018, the exact
spectrum of 1D ReLU networks of Rahaman et al. 2019) is returned together with the steps that produce
it, so that a reader can follow the derivation and a test can re-check each equality independently.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import mpmath
import numpy as np
import sympy as sp

NUMERIC_RTOL = 1e-12


@dataclass(frozen=True)
class Step:
    """One step of a derivation: `lhs = rhs`, justified by `description`.

    `assumptions` lists the conditions under which the equality holds (e.g. "k > 0"), for the reader;
    the symbols themselves carry the sympy assumptions that `holds` relies on.

    `checked_at` is for a step that applies a theorem rather than an algebraic identity (a contour
    integral by residues, a change of variables under an integral over the real line): sympy cannot
    prove it, so `holds` evaluates both sides with mpmath at each of these points (symbol name ->
    value) and requires agreement to NUMERIC_RTOL. The description must say which theorem it applies.
    """

    description: str
    lhs: sp.Expr
    rhs: sp.Expr
    assumptions: tuple[str, ...] = ()
    checked_at: tuple[Mapping[str, float], ...] = ()

    def holds(self) -> bool:
        """True when sympy proves lhs - rhs == 0, or, for a step with `checked_at`, when both sides
        agree numerically at every listed point.

        A step whose sides differ at an admissible sample point is rejected at once (that disproves it;
        agreement there proves nothing). The symbolic attempts, cheapest first: split into real and
        imaginary parts, rewrite in exponentials and expand the numerator over a common denominator
        (settles hyperbolic and trigonometric identities quickly); simplify after expand_complex; `equals`.
        """
        if self.checked_at:
            return all(self._agrees_at(point) for point in self.checked_at)
        lhs, rhs = self.lhs.doit(), self.rhs.doit()
        if _differ_at_a_sample_point(lhs, rhs):
            return False
        in_exponentials = sp.expand(sp.expand_complex(lhs - rhs).rewrite(sp.exp))
        if sp.expand(sp.numer(sp.together(in_exponentials))) == 0:
            return True
        if sp.simplify(sp.expand_complex(lhs - rhs)) == 0:
            return True
        return bool(sp.simplify(lhs).equals(sp.simplify(rhs)))

    def _agrees_at(self, point: Mapping[str, float]) -> bool:
        with mpmath.workdps(30):
            lhs, rhs = _evaluate(self.lhs, point), _evaluate(self.rhs, point)
        return abs(lhs - rhs) <= NUMERIC_RTOL * max(abs(lhs), abs(rhs), 1e-300)

    def as_text(self, latex: bool = False) -> str:
        """One line for a terminal (sympy's plain text) or for a LaTeX document."""
        conditions = list(self.assumptions)
        if self.checked_at:
            conditions.append(f"checked numerically at {len(self.checked_at)} points")
        where = f"  [{', '.join(conditions)}]" if conditions else ""
        if latex:
            return f"% {self.description}{where}\n\\[ {sp.latex(self.lhs)} = {sp.latex(self.rhs)} \\]"
        return f"{self.description}{where}\n    {sp.sstr(self.lhs)} = {sp.sstr(self.rhs)}"


def _sample_value(symbol: sp.Symbol, index: int) -> sp.Expr | None:
    """A value with every assumption of the symbol (integer, positive, ...), or None if none is at hand."""
    magnitude = sp.Integer(3 + index) if symbol.is_integer else sp.Rational(7 + 2 * index, 10) + sp.sqrt(2) / 100
    value = -magnitude if symbol.is_negative else magnitude
    admissible = all(getattr(value, f"is_{key}") == holds for key, holds in symbol.assumptions0.items())
    return value if admissible else None


def _differ_at_a_sample_point(lhs: sp.Expr, rhs: sp.Expr) -> bool:
    """True when lhs and rhs evaluate to clearly different numbers at one admissible sample point."""
    symbols = sorted((lhs - rhs).free_symbols, key=lambda symbol: symbol.name)
    point = {symbol: _sample_value(symbol, index) for index, symbol in enumerate(symbols)}
    if any(value is None for value in point.values()):
        return False
    try:
        left, right = complex(sp.N(lhs.subs(point), 20)), complex(sp.N(rhs.subs(point), 20))
    except (TypeError, ValueError, ZeroDivisionError):
        return False
    if not (np.isfinite(left) and np.isfinite(right)):
        return False
    return abs(left - right) > 1e-9 * max(abs(left), abs(right), 1e-30)


def _evaluate(expr: sp.Expr, point: Mapping[str, float]) -> complex:
    """expr at `point` (symbol name -> value): integrals by mpmath.quad, the rest (sums too) by evalf."""
    symbols = {symbol.name: symbol for symbol in expr.free_symbols}
    missing = sorted(set(symbols) - set(point))
    if missing:
        raise ValueError(f"checked_at point {dict(point)} gives no value for {', '.join(missing)}")
    expr = expr.subs({symbols[name]: sp.Float(value, 30) for name, value in point.items() if name in symbols})
    for integral in expr.atoms(sp.Integral):
        (variable, lower, upper), *rest = integral.limits
        if rest:
            raise ValueError(f"only single integrals can be checked numerically, not {integral}")
        integrand = sp.lambdify(variable, integral.function, modules="mpmath")
        value = mpmath.quad(integrand, [mpmath.mpf(float(lower)), 0, mpmath.mpf(float(upper))])
        expr = expr.subs(integral, sp.Float(mpmath.re(value), 30) + sp.I * sp.Float(mpmath.im(value), 30))
    return complex(sp.N(expr, 25))


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
