"""Sensitivity of a verdict to its analysis choices: recomputed on the same experiment result, reported as
"stable over [a, b]" or "flips at X", and refused at declaration for a field that is not an analysis choice."""

from __future__ import annotations

import dataclasses
import json

import pytest
from toy_claims import make_claim, measure_within

from fpcheck import Sensitivity, verify
from fpcheck.errors import ClaimDeclarationError
from fpcheck.reports.rules import Bound
from fpcheck.reports.sensitivity import analyse


def tolerant(claim_id: str, perturbation: float, *choices: Sensitivity):
    """Seed s integrates x^n + perturbation·s: its error over the tolerance is perturbation·s / tolerance."""
    claim = make_claim(claim_id, perturbation=perturbation, seeds=4)
    return dataclasses.replace(claim, measure=measure_within, predict=None,
                               rules=(Bound("error_over_tolerance", 1.0),), sensitivity=choices)


def test_a_stable_choice_and_a_flipping_one_on_the_same_result():
    # errors 0, 1e-4, 2e-4, 3e-4: every seed is within a tolerance ≥ 3e-4, seeds 2 and 3 not within 1.5e-4
    claim = tolerant("toy.tolerant", 1e-4, Sensitivity("tolerance", (5e-4, 1e-2)), Sensitivity("share", (0.6, 1.0)))
    setup = claim.setups["quick"]
    result = claim.experiment.run(setup, range(4))
    stable, share = analyse(claim, setup, result, (0, 1, 2, 3), "agree")
    assert stable["stable"] and stable["text"] == "tolerance: stable over [0.0005, 0.01] (published 0.001)"
    assert share["stable"] and share["values"] == [0.6, 0.8, 1.0]
    (flipping,) = analyse(dataclasses.replace(claim, sensitivity=(Sensitivity("tolerance", (1.5e-4, 5e-5)),)),
                          setup, result, (0, 1, 2, 3), "agree")
    assert not flipping["stable"]
    assert flipping["verdicts"] == ["inconclusive", "inconclusive", "agree"]  # 3/4 and 2/4 seeds fail
    assert flipping["text"] == "tolerance: flips at 0.00015 (to inconclusive; published 0.001)"  # the nearest


def test_the_sensitivity_reaches_verdicts_json_and_the_report(tmp_path, registered):
    registered(tolerant("toy.sensitive", 1e-4, Sensitivity("tolerance", (1.5e-4, 1e-2))))
    verify(["toy.sensitive"], out=tmp_path, progress=False)
    (row,) = json.loads((tmp_path / "verdicts.json").read_text())
    assert row["sensitivity"] == ["tolerance: flips at 0.00015 (to inconclusive; published 0.001)"]
    assert "Sensitivity to the analysis choices" in (tmp_path / "report.md").read_text()


@pytest.mark.parametrize(("choice", "message"), [
    (Sensitivity("perturbation", (0.1,)), "not an analysis field of ToySetup"),
    (Sensitivity("tolerance", (-1.0,)), "tolerance must be positive"),
    (Sensitivity("share", (0.4,)), "values must be in \\(0.5, 1\\]"),
])
def test_a_choice_that_is_not_an_analysis_field_is_refused(choice, message):
    with pytest.raises(ClaimDeclarationError, match=message):
        tolerant("toy.refused", 0.0, choice)
