"""Small, fast, real claims for the foundation's tests: a closed form against scipy quadrature.

The prediction is the closed form ∫_0^1 x^n dx = 1/(n + 1); the measurement integrates x^n + ε·seed
numerically, so a chosen `perturbation` makes some seeds fail and exercises every branch of the
reconciler without training a network.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure
from scipy import integrate

from reports.claim import ALL_SEEDS, Claim, Measurement, Params, Prediction, concat, tidy
from reports.rules import Equality

POWERS = np.arange(1, 6)


def predict(params: Params, seeds: Sequence[int]) -> Prediction:
    return Prediction(tidy(ALL_SEEDS, "integral", 1.0 / (POWERS + 1), x=POWERS), "∫_0^1 x^n dx = 1/(n+1)")


def measure(params: Params, seeds: Sequence[int]) -> Measurement:
    frames = []
    for seed in seeds:
        shift = params["perturbation"] * seed
        for _ in range(params.get("repeats", 1)):  # `repeats` > 1 makes a slow task for the executor tests
            values = [integrate.quad(lambda x, n=n, c=shift: x**n + c, 0.0, 1.0)[0] for n in POWERS]
        frames.append(tidy(seed, "quadrature", values, x=POWERS))
    return Measurement(concat(frames), "scipy.integrate.quad", notes=("A toy claim.",))


def figures(prediction: Prediction, measurement: Measurement, params: Params) -> list[Figure]:
    figure = Figure(figsize=(4, 3))
    axes = figure.add_subplot()
    table = measurement.table
    axes.plot(table["x"], table["value"], "o")
    return [figure]


def make_claim(claim_id: str = "toy.integral", expected: str = "agree", perturbation: float = 0.0,
               seeds: int = 3, repeats: int = 1) -> Claim:
    return Claim(
        id=claim_id,
        version=1,
        source="a closed form (test fixture)",
        statement="The integral of x^n over [0, 1] is 1/(n+1).",
        expected=expected,
        rules=(Equality("quadrature", "integral", rtol=1e-9),),
        setup={"quick": {"seeds": seeds, "perturbation": perturbation, "repeats": repeats},
               "paper": {"seeds": seeds, "perturbation": perturbation, "repeats": repeats}},
        predict=predict,
        measure=measure,
        figures=figures,
    )


TOY_CLAIMS = (
    make_claim("toy.exact"),
    make_claim("toy.perturbed", perturbation=1e-3, seeds=2),
    make_claim("toy.slow", seeds=2, repeats=12000),
)
