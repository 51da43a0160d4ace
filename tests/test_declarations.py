"""The declaration layer: typed setups (types, checks, overrides from plain data), experiments and their
results, and the checks a claim passes when it is constructed (a typo fails at import, not in a run)."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pytest
from toy_claims import SHIFTED, TOY, ToyResult, ToySetup, make_claim, measure, predict

from fpcheck import Control
from fpcheck.empirics.experiment import Experiment
from fpcheck.empirics.setup import Setup, param
from fpcheck.errors import ClaimDeclarationError, SetupError
from fpcheck.reports.rules import Bound, Equality, Order
from fpcheck.tables import produces


@dataclass(frozen=True, kw_only=True)
class Grid(Setup):
    points: int = param(16, at_least=4, at_most=1024)
    widths: tuple[int, ...] = param((8, 8), positive=True, max_length=3)
    lr: float = param(1e-3, positive=True)
    activation: Literal["tanh", "relu"] = "tanh"
    shuffle: bool = False
    level: float = param(0.5, positive=True, analysis=True)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"points": 2}, "Grid.points = 2 is below its minimum 4"),
        ({"points": 4096}, "Grid.points = 4096 exceeds the limit 1024"),
        ({"points": 16.0}, "Grid.points = 16.0 is a float, expected an int"),
        ({"points": True}, "Grid.points = True is a bool, expected an int"),
        ({"lr": float("nan")}, "Grid.lr = nan is not finite"),
        ({"lr": 0}, "Grid.lr must be positive, not 0.0"),
        ({"lr": "fast"}, "Grid.lr = 'fast' is a string, expected a number"),
        ({"widths": (8, 0)}, "Grid.widths\\[1\\] must be positive, not 0"),
        ({"widths": ()}, "Grid.widths needs at least 1 element"),
        ({"widths": (8, 8, 8, 8)}, "Grid.widths has 4 elements; the limit is 3"),
        ({"widths": 8}, "Grid.widths = 8 is an int, expected a list"),
        ({"activation": "gelu"}, "Grid.activation = 'gelu' is not one of 'tanh', 'relu'"),
        ({"shuffle": 1}, "Grid.shuffle = 1 is an int, expected a bool"),
        ({"seeds": 0}, "Grid.seeds = 0 is below its minimum 1"),
        ({"width": 3}, "Grid has no field 'width'; known: "),
    ],
)
def test_a_bad_field_is_one_line_naming_it(changes, message):
    with pytest.raises(SetupError, match=message) as caught:
        Grid().override(changes)
    assert "\n" not in str(caught.value)


def test_overrides_take_plain_data_and_round_trip():
    grid = Grid().override({"widths": [4, 5], "lr": 1, "points": 32})  # TOML/JSON: lists, an int for a float
    assert grid.widths == (4, 5) and grid.lr == 1.0 and isinstance(grid.lr, float)
    assert grid.override(json.loads(json.dumps(grid.data()))) == grid
    assert "level" not in grid.experiment_data() and "seeds" not in grid.experiment_data()  # analysis choices
    assert set(grid.data()) - set(grid.experiment_data()) == {"level", "seeds"}
    with pytest.raises(dataclasses.FrozenInstanceError):
        grid.points = 8  # type: ignore[misc]


def test_a_field_that_hides_a_method_is_refused():
    with pytest.raises(TypeError, match="hide methods of Setup"):
        @dataclass(frozen=True, kw_only=True)
        class Clash(Setup):
            data: str = "digits"


def test_results_hold_plain_data_only():
    ToyResult(seeds=(0,), integrals=np.zeros((1, 5)))
    with pytest.raises(TypeError, match="holds a list"):
        ToyResult(seeds=(0,), integrals=[0.0])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="holds a ndarray"):
        ToyResult(seeds=(0,), integrals=np.array([object()]))


def test_an_experiment_checks_its_target_and_types():
    with pytest.raises(ValueError, match="module:function"):
        Experiment("bad", ToySetup, ToyResult, "toy_claims.integrate_powers", "no colon")
    assert TOY.run(ToySetup(seeds=2), (0, 1)).integrals.shape == (2, 5)
    with pytest.raises(TypeError, match="takes a ToySetup, not a Grid"):
        TOY.run(Grid(), (0,))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"rules": (Equality("quadratur", "integral", rtol=1e-9),)}, "reads 'quadratur', which its measure"),
        ({"rules": (Equality("quadrature", "integal", rtol=1e-9),)}, "compares with .integal., which neither"),
        ({"rules": ()}, "at least one rule"),
        ({"expected": "agrees"}, "expected must be 'agree' or 'diverge'"),
        ({"id": "toy claim"}, "must be letters, digits"),
        ({"version": 0}, "version must be a positive integer"),
        ({"share": 0.5}, "share must be in \\(0.5, 1\\]"),
        ({"derivation": "no-such-derivation"}, "derivation 'no-such-derivation' does not exist"),
        ({"setups": {"quick": ToySetup()}}, "setups must be given for exactly the profiles"),
        ({"setups": {"quick": Grid(), "paper": Grid()}}, "the quick setup is a Grid"),
        ({"controls": (Control("c", {"offst": 0.1}, "diverge", "typo"),), "uncontrolled": None},
         "has no field 'offst'"),
        ({"controls": (Control("c", {"offset": -1.0}, "diverge", "negative"),), "uncontrolled": None},
         "below its minimum 0"),
        ({"controls": (SHIFTED, SHIFTED), "uncontrolled": None}, "control names must be distinct"),
        ({"controls": (Control("c", {"offset": 0.1}, "diverge", ""),), "uncontrolled": None}, "state the mechanism"),
        ({"controls": (SHIFTED,), "uncontrolled": "no reason"}, "with controls is not uncontrolled"),
    ],
)
def test_a_declaration_error_fails_at_construction(changes, message):
    claim = make_claim("toy.declared")
    with pytest.raises(ClaimDeclarationError, match=message):
        dataclasses.replace(claim, **changes)


def test_functions_must_declare_what_they_write():
    claim = make_claim("toy.declared")

    def undeclared(setup, result):
        return measure(setup, result)

    with pytest.raises(ClaimDeclarationError, match="must declare the quantities it writes"):
        dataclasses.replace(claim, measure=undeclared)
    both = produces("quadrature")(lambda setup, result: predict(setup, result))
    with pytest.raises(ClaimDeclarationError, match="declared as both measured and predicted"):
        dataclasses.replace(claim, predict=both)


def test_a_control_applies_its_changes_to_every_profile():
    claim = make_claim("toy.declared", controls=(SHIFTED,))
    assert claim.variants == ("published", "shifted")
    assert claim.setup_for("quick", "shifted").offset == 0.1 and claim.setup_for("paper", "shifted").offset == 0.1
    assert claim.setup_for("quick") is claim.setups["quick"]
    assert claim.expected_for("shifted") == "diverge" and claim.expected_for("published") == "agree"


def test_order_and_bound_rules_name_what_they_read():
    assert Order("convergence_step", 0.9).reads() == (("convergence_step",), ())
    assert Bound("ratio", 1.0).reads()[0] == ("ratio",)


def test_every_built_in_claim_is_declared_consistently():
    """The whole catalogue: typed setups of the claim's experiment that round-trip through their stored data,
    a paper profile with at least the seeds of the quick one, a cited source with its year, and measure
    functions that live in the empirics layer or the claim module."""
    import inspect

    from fpcheck.reports.catalogue import claims

    catalogue = claims()
    assert len(catalogue) >= 21
    for claim in catalogue.values():
        for setup in claim.setups.values():
            assert isinstance(setup, claim.experiment.setup), claim.id
            assert setup.override(json.loads(json.dumps(setup.data()))) == setup, claim.id
        assert claim.setups["paper"].seeds >= claim.setups["quick"].seeds, claim.id
        assert any(str(year) in claim.source for year in range(2017, 2025)), claim.id
        assert claim.figures is None or callable(claim.figures)
    modules = {inspect.getmodule(claim.measure).__name__ for claim in catalogue.values()}
    assert all(name.startswith("fpcheck.empirics.") or name.startswith("fpcheck.reports.claims.") for name in modules)


def test_every_built_in_claim_has_an_honest_control_or_says_why():
    """Issue #12: a control for every claim, or the reason there is none; the pilots that
    chose a control ran on seeds the catalogue never runs; every rule compares a measured quantity with a
    predicted one or a constant."""
    from fpcheck.reports.catalogue import claims

    catalogue = claims()
    uncontrolled = [claim.id for claim in catalogue.values() if not claim.controls]
    # issue #12 asks for at most two; today four claims have none (their reasons list the controls tried)
    for claim_id in uncontrolled:
        assert catalogue[claim_id].uncontrolled, f"{claim_id} has no control and no reason"
    for claim in catalogue.values():
        catalogue_seeds = set(range(max(setup.seeds for setup in claim.setups.values())))
        for control in claim.controls:
            assert not set(control.pilot_seeds) & catalogue_seeds, (claim.id, control.name)
            assert control.mechanism and control.changes, (claim.id, control.name)
        for rule in (*claim.rules, *claim.fit):
            measured, predicted = rule.reads()
            assert measured and set(measured) <= set(claim.measured_quantities), (claim.id, rule.describe())
            assert set(predicted) <= set(claim.predicted_quantities), (claim.id, rule.describe())
