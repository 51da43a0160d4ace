"""Helpers of the claim tests: a claim's verdict on hand-made rows, and a claim run on a small setup."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd

from fpcheck.empirics.setup import Setup
from fpcheck.reports.catalogue import claims
from fpcheck.reports.claim import Claim, ClaimRun, Verdict
from fpcheck.reports.reconcile import reconcile
from fpcheck.tables import Measurement, Prediction, concat

SEEDS = (0, 1, 2, 3, 4)


def hand_made_verdict(claim_id: str, rows_per_seed: Callable[[int], Sequence[pd.DataFrame]],
                      prediction: Prediction | None = None, seeds: Sequence[int] = SEEDS) -> str:
    """The verdict of the claim's rules on hand-made measured rows (and its quick prediction, computed
    from the setup alone, unless one is given)."""
    claim = claims()[claim_id]
    table = concat([frame for seed in seeds for frame in rows_per_seed(seed)])
    if prediction is None:
        prediction = claim.predict(claim.setups["quick"], None) if claim.predict else Prediction(concat([]), "")
    return reconcile(claim, prediction, Measurement(table), tuple(seeds)).verdict


def run_claim(claim: Claim, setup: Setup, seeds: Sequence[int] | None = None) -> tuple[ClaimRun, Verdict]:
    """Run the claim's experiment on `setup` (seeds 0 … setup.seeds - 1 by default), then predict, measure
    and reconcile, as a task does."""
    seeds = tuple(range(setup.seeds)) if seeds is None else tuple(seeds)
    result = claim.experiment.run(setup, seeds)
    prediction = claim.predict(setup, result) if claim.predict else Prediction(concat([]), "")
    measurement = claim.measure(setup, result)
    return ClaimRun(setup, seeds, result, prediction, measurement), reconcile(claim, prediction, measurement, seeds)


def small(claim_id: str, **changes: Any) -> tuple[Claim, Setup]:
    """The claim and its quick setup with `changes`."""
    claim = claims()[claim_id]
    return claim, claim.setups["quick"].override(changes)


def check_controls_on_pilot_seeds(claim_id: str, source: str) -> Claim:
    """Assert that the claim cites `source`, has controls (and no uncontrolled reason), that each profile's
    setup survives a JSON round trip, and that each control expects the other verdict, states its mechanism,
    was piloted on seeds disjoint from the profile's and applies to both profiles; returns the claim."""
    claim = claims()[claim_id]
    assert source in claim.source and claim.controls and claim.uncontrolled is None
    for profile in ("quick", "paper"):
        setup = claim.setups[profile]
        assert setup.override(json.loads(json.dumps(setup.data()))) == setup
        for control in claim.controls:
            assert control.expected != claim.expected and control.mechanism
            assert not set(control.pilot_seeds) & set(range(setup.seeds))
            claim.setup_for(profile, control.name)
    return claim
