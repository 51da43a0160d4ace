"""Small, fast, real claims for the foundation's tests: a closed form against scipy quadrature.

The prediction is the closed form ∫_0^1 x^n dx = 1/(n + 1); the experiment integrates x^n + offset + ε·seed
numerically (scipy.integrate.quad), so a chosen `perturbation` makes some seeds fail and exercises every
branch of the reconciler without training a network. Controls change the perturbation (a control that
should flip the verdict, and one that should not but does); an order rule reads the decreasing
integrals against n.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from matplotlib.figure import Figure
from scipy import integrate

from fpcheck import Control
from fpcheck.empirics.experiment import Experiment, Result
from fpcheck.empirics.setup import Setup, param
from fpcheck.reports.claim import Claim, ClaimRun
from fpcheck.reports.rules import Equality, Order
from fpcheck.tables import ALL_SEEDS, Measurement, Prediction, concat, produces, tidy

POWERS = np.arange(1, 6)


@dataclass(frozen=True, kw_only=True)
class ToySetup(Setup):
    perturbation: float = param(0.0, at_least=0.0)
    offset: float = param(0.0, at_least=0.0)
    repeats: int = param(1, positive=True, at_most=1_000_000)  # > 1 makes a slow task for the executor tests
    tolerance: float = param(1e-3, positive=True, analysis=True)  # read by `measure_within` only


@dataclass(frozen=True, kw_only=True)
class ToyResult(Result):
    integrals: np.ndarray  # (S, P)


def integrate_powers(setup: ToySetup, seeds: Sequence[int]) -> ToyResult:
    rows = []
    for seed in seeds:
        shift = setup.offset + setup.perturbation * seed
        for _ in range(setup.repeats):
            values = [integrate.quad(lambda x, n=n, c=shift: x**n + c, 0.0, 1.0)[0] for n in POWERS]
        rows.append(values)
    return ToyResult(seeds=tuple(seeds), integrals=np.array(rows))


TOY = Experiment("toy-integral", ToySetup, ToyResult, "toy_claims:integrate_powers", "x^n + ε·seed by quadrature")


@produces("integral")
def predict(setup: ToySetup, result: ToyResult) -> Prediction:
    return Prediction(tidy(ALL_SEEDS, "integral", 1.0 / (POWERS + 1), x=POWERS), "∫_0^1 x^n dx = 1/(n+1)")


@produces("quadrature")
def measure(setup: ToySetup, result: ToyResult) -> Measurement:
    frames = [tidy(seed, "quadrature", result.integrals[m], x=POWERS) for m, seed in enumerate(result.seeds)]
    return Measurement(concat(frames), "scipy.integrate.quad", notes=("A toy claim.",))


@produces("error_over_tolerance")
def measure_within(setup: ToySetup, result: ToyResult) -> Measurement:
    """The largest error of the quadrature against the closed form, over the setup's tolerance."""
    errors = np.abs(result.integrals - 1.0 / (POWERS + 1)).max(axis=1) / setup.tolerance
    return Measurement(concat([tidy(seed, "error_over_tolerance", e) for seed, e in zip(result.seeds, errors,
                                                                                         strict=True)]), "")


def figures(run: ClaimRun) -> list[Figure]:
    figure = Figure(figsize=(4, 3))
    axes = figure.add_subplot()
    axes.plot(POWERS, run.result.integrals.T, "o")
    return [figure]


def make_claim(claim_id: str = "toy.integral", expected: str = "agree", perturbation: float = 0.0,
               seeds: int = 3, repeats: int = 1, controls: tuple[Control, ...] = (), order: bool = False) -> Claim:
    setup = ToySetup(seeds=seeds, perturbation=perturbation, repeats=repeats)
    rules = (Order("quadrature", -0.9, at_least=False),) if order else (Equality("quadrature", "integral", rtol=1e-9),)
    return Claim(
        id=claim_id, version=1, source="a closed form (test fixture)",
        statement="The integral of x^n over [0, 1] is 1/(n+1).",
        expected=expected, expected_reason="calculus", experiment=TOY,
        setups={"quick": setup, "paper": setup},
        rules=rules, predict=predict, measure=measure, figures=figures, controls=controls,
        uncontrolled=None if controls else "a test fixture",
    )


SHIFTED = Control("shifted", {"offset": 0.1}, "diverge", "adding 0.1 to the integrand moves every integral")
MISSED = Control("missed", {"offset": 0.0}, "diverge", "a control whose expected verdict is wrong on purpose")

TOY_CLAIMS = (
    make_claim("toy.exact", controls=(SHIFTED,)),
    make_claim("toy.perturbed", perturbation=1e-3, seeds=2),
    make_claim("toy.slow", seeds=2, repeats=12000),
)
