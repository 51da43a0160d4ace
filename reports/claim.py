"""A claim: one checkable statement from one source, declared as data plus pure functions.

A claim names an `experiment` (`fpcheck.empirics.experiment.Experiment`: it runs once per task, in
`fpcheck.empirics`), one typed setup per profile, a `measure(setup, result)` that reads the experiment's
result and a `predict(setup, result)` that computes the theory's side with `fpcheck.theory` (omitted
when the rules' own description says everything). Both return tidy tables (`fpcheck.tables`) and
declare the quantities they write (`@produces`). The rules (`fpcheck.reports.rules`) state the
prediction over those quantities; `fit` rules state what a seed's network must achieve for its outcome
to count (e.g. a training loss below a level). The reconciler (`fpcheck.reports.reconcile`) turns them
into a verdict.

`controls` are named changes of the setup, each with the verdict it is expected to get: settings in
which the prediction should fail (for an `expected: diverge` claim, hold), run by the same experiment
and measurement code. A claim whose control misses its expected verdict is undiscriminating. A claim
with no credible control says why in `uncontrolled`. A claim whose honest control was run and missed its
verdict on the catalogue's seeds is a finding, recorded with its numbers in `undiscriminating`: its expected
status is then "undiscriminating", shown as such in every report, and a control that starts to hit its
verdict changes the status (the finding no longer holds: the note must go).

Everything is checked when the claim is constructed (`ClaimDeclarationError`): a rule that reads a
quantity neither function declares, an unknown derivation, a control that changes a field the setup
does not have, setups of the wrong experiment.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from fpcheck.empirics.experiment import Experiment, Result
from fpcheck.empirics.setup import Setup
from fpcheck.errors import ClaimDeclarationError, SetupError
from fpcheck.tables import Measurement, Prediction

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from fpcheck.reports.rules import Rule
    from fpcheck.reports.sensitivity import Sensitivity

Expected = Literal["agree", "diverge"]
Outcome = Literal["agree", "diverge", "inconclusive"]
PROFILES = ("quick", "paper")
PUBLISHED = "published"
"""The variant name of a claim's own setting (controls have their own names)."""


@dataclass(frozen=True)
class Control:
    """A setting in which the claim's prediction is expected to get `expected` (module doc).

    `changes` are setup fields and their values (applied to the setup of every profile); `mechanism`
    says why the prediction should fail there, with a citation; `pilot_seeds` are the seeds of the pilot
    that chose it, if any (disjoint from the seeds the catalogue runs).
    """

    name: str
    changes: Mapping[str, Any]
    expected: Expected
    mechanism: str
    pilot_seeds: tuple[int, ...] = ()


@dataclass(frozen=True)
class ClaimRun:
    """What a claim's figures draw from: the setup, the seeds, the result and both tables."""

    setup: Setup
    seeds: tuple[int, ...]
    result: Result
    prediction: Prediction
    measurement: Measurement


Figures = Callable[[ClaimRun], "Sequence[Figure]"]


@dataclass(frozen=True)
class Claim:
    """One checkable statement from one source (module doc)."""

    id: str
    version: int
    source: str
    statement: str
    expected: Expected
    expected_reason: str
    experiment: Experiment
    setups: Mapping[str, Setup]
    measure: Callable[[Setup, Result], Measurement]
    rules: tuple[Rule, ...]
    predict: Callable[[Setup, Result], Prediction] | None = None
    fit: tuple[Rule, ...] = ()
    controls: tuple[Control, ...] = ()
    uncontrolled: str | None = None
    undiscriminating: str | None = None
    figures: Figures | None = None
    share: float = 0.8
    notes: tuple[str, ...] = ()
    derivation: str | None = None
    sensitivity: tuple[Sensitivity, ...] = ()
    origin: str = "built-in"

    def __post_init__(self) -> None:
        refuse = _refuser(self.id)
        if not self.id or any(not (c.isalnum() or c in "._-") for c in self.id):
            refuse(f"the id {self.id!r} must be letters, digits, '.', '_' and '-' only")
        if self.expected not in ("agree", "diverge"):
            refuse(f"expected must be 'agree' or 'diverge', not {self.expected!r}")
        if isinstance(self.version, bool) or not isinstance(self.version, int) or self.version < 1:
            refuse(f"version must be a positive integer, not {self.version!r}")
        if not self.rules:
            refuse("a claim needs at least one rule")
        if not 0.5 < self.share <= 1.0:
            refuse(f"share must be in (0.5, 1], not {self.share}")
        if set(self.setups) != set(PROFILES):
            refuse(f"setups must be given for exactly the profiles {', '.join(PROFILES)}, not {sorted(self.setups)}")
        for profile, setup in self.setups.items():
            if not isinstance(setup, self.experiment.setup):
                refuse(f"the {profile} setup is a {type(setup).__name__}; experiment {self.experiment.name} "
                       f"takes a {self.experiment.setup.__name__}")
        self._check_quantities(refuse)
        self._check_controls(refuse)
        self._check_sensitivity(refuse)
        if self.derivation is not None:
            from fpcheck.reports.derivations import DERIVATIONS

            if self.derivation not in DERIVATIONS:
                refuse(f"derivation {self.derivation!r} does not exist; known: {', '.join(DERIVATIONS)}")

    @property
    def measured_quantities(self) -> tuple[str, ...]:
        return getattr(self.measure, "quantities", ())

    @property
    def predicted_quantities(self) -> tuple[str, ...]:
        return getattr(self.predict, "quantities", ()) if self.predict is not None else ()

    def _check_quantities(self, refuse: Callable[[str], None]) -> None:
        if not hasattr(self.measure, "quantities"):
            refuse("its measure function must declare the quantities it writes (@produces)")
        if self.predict is not None and not hasattr(self.predict, "quantities"):
            refuse("its predict function must declare the quantities it writes (@produces)")
        both = set(self.measured_quantities) & set(self.predicted_quantities)
        if both:
            refuse(f"quantities {sorted(both)} are declared as both measured and predicted")
        for rule in (*self.rules, *self.fit):
            measured, predicted = rule.reads()
            for name in measured:
                if name not in self.measured_quantities:
                    refuse(f"rule '{rule.describe()}' reads {name!r}, which its measure function does not "
                           f"declare (declared: {', '.join(self.measured_quantities) or 'none'})")
            for name in predicted:  # a rule compares a measured quantity with a predicted one or a constant
                if name not in self.predicted_quantities:
                    hint = (" (it is measured: compare a measured ratio with a constant instead)"
                            if name in self.measured_quantities else "")
                    refuse(f"rule '{rule.describe()}' compares with {name!r}, which neither is declared by its predict "
                           f"function nor is a number{hint} (declared: "
                           f"{', '.join(self.predicted_quantities) or 'none'})")

    def _check_controls(self, refuse: Callable[[str], None]) -> None:
        names = [control.name for control in self.controls]
        if len(set(names)) != len(names) or PUBLISHED in names:
            refuse(f"control names must be distinct and not {PUBLISHED!r}: {names}")
        if self.controls and self.uncontrolled:
            refuse("a claim with controls is not uncontrolled")
        if self.undiscriminating is not None and not (self.controls and self.undiscriminating.strip()):
            refuse("undiscriminating records a control that missed its verdict: it needs controls and the numbers")
        for control in self.controls:
            if control.expected not in ("agree", "diverge"):
                refuse(f"control {control.name}: expected must be 'agree' or 'diverge', not {control.expected!r}")
            if not control.mechanism:
                refuse(f"control {control.name}: state the mechanism that makes the prediction fail")
            for profile in PROFILES:
                try:
                    self.setups[profile].override(control.changes)
                except SetupError as error:
                    refuse(f"control {control.name} ({profile}): {error}")

    def _check_sensitivity(self, refuse: Callable[[str], None]) -> None:
        """Every choice is the share of seeds or an analysis field of the setup, with values it accepts."""
        analysis = {spec.name for spec in dataclasses.fields(self.experiment.setup) if spec.metadata.get("analysis")}
        for choice in self.sensitivity:
            if choice.field == "share":
                if not all(0.5 < value <= 1.0 for value in choice.values):
                    refuse(f"sensitivity of share: values must be in (0.5, 1], not {list(choice.values)}")
                continue
            if choice.field not in analysis:
                refuse(f"sensitivity of {choice.field!r}: not an analysis field of {self.experiment.setup.__name__} "
                       f"(analysis fields: {', '.join(sorted(analysis)) or 'none'})")
            for value in choice.values:
                try:
                    self.setups["quick"].override({choice.field: value})
                except SetupError as error:
                    refuse(f"sensitivity of {choice.field!r}: {error}")

    def setup_for(self, profile: str, variant: str = PUBLISHED) -> Setup:
        """The setup of `profile` for the published setting or the named control."""
        setup = self.setups[profile]
        if variant == PUBLISHED:
            return setup
        return setup.override(self.control(variant).changes)

    def control(self, name: str) -> Control:
        for control in self.controls:
            if control.name == name:
                return control
        raise KeyError(f"claim {self.id} has no control {name!r}")

    @property
    def variants(self) -> tuple[str, ...]:
        return (PUBLISHED, *(control.name for control in self.controls))

    def expected_for(self, variant: str) -> Expected:
        return self.expected if variant == PUBLISHED else self.control(variant).expected


def _refuser(claim_id: str) -> Callable[[str], None]:
    def refuse(problem: str) -> None:
        raise ClaimDeclarationError(f"claim {claim_id}: {problem}")

    return refuse


@dataclass(frozen=True)
class SeedVerdict:
    """How the rules fared on one seed: holds is None when a value was NaN/inf or missing, all values
    tied, or the network did not meet the claim's fit rules."""

    seed: int
    holds: bool | None
    margin: float
    details: tuple[str, ...]


@dataclass(frozen=True)
class Verdict:
    """The reconciled outcome of one claim in one variant: verdict, margin, spread and explanation.

    `margin` is the median over seeds of each seed's smallest rule margin (positive: the prediction holds
    with room to spare); `spread` is the 90 % bootstrap interval of that median over seeds.
    `null_pass_probability` is the chance that a uniformly random order passes the claim's order rules in
    one seed (the smallest of their exact nulls, which bounds the joint one), None without order rules.
    """

    claim: str
    version: int
    variant: str
    expected: Expected
    verdict: Outcome
    margin: float
    spread: tuple[float, float]
    explanation: str
    seeds: tuple[int, ...]
    null_pass_probability: float | None = None
    per_seed: tuple[SeedVerdict, ...] = ()

    @property
    def as_expected(self) -> bool:
        return self.verdict == self.expected
