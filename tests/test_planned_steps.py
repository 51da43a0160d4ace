"""`Setup.planned_network_steps()`, the unit of the paper profile's cost estimate, against the engine's own count.

The oracle is `fpcheck.empirics.runtime.network_steps`, which the training engine advances by one per network
and optimiser step: each family's experiment, run on a small setup of a claim that uses it, must make exactly
the planned number of updates (no seed diverges at these sizes), and a family that trains nothing through the
engine must make none. The committed reference records (`reference/paper`) are the same check at paper size.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from fpcheck.empirics import runtime
from fpcheck.empirics.experiment import Result
from fpcheck.reports import reference
from fpcheck.reports.catalogue import claims

SMALL_NETWORK = {"hidden": [16, 16], "steps": 40, "seeds": 2}
CASES = {
    "rahaman2019.fig1-equal-amplitudes": SMALL_NETWORK,
    "rahaman2019.robustness": {**SMALL_NETWORK, "frequencies": [1, 2, 3, 4, 5, 6], "samples": 4,
                               "snapshot_every": 10},
    "xu2019.large-init": SMALL_NETWORK,
    "xu2019.early-stopping": SMALL_NETWORK,
    "xu2018.spectral-norm-vs-dynamics": {**SMALL_NETWORK, "snapshot_every": 10, "bound_every": 20},
    "xu2019.parity": {"steps": 30, "seeds": 2},
    "xu2019.filtering-digits": {"steps": 30, "seeds": 2},
    "xu2019.image-coarse-to-fine": {"steps": 30, "seeds": 2},
    "xu2019.poisson-jacobi-dnn": {"dnn_steps": 60, "switch_step": 30, "eval_every": 10, "seeds": 2},
    "rahaman2019.weight-bound": {"train_steps": 30, "seeds": 2},
    "rahaman2019.relu-decay-k2": {"train_steps": 30, "seeds": 2},
    "rahaman2019.regions-depth-width": {"train_steps": 10, "seeds": 2},
    "basri2019.harmonic-learning-time": {"widths": [64], "seeds": 2},
    "basri2020.nonuniform-density": {"width": 64, "seeds": 2},
    "yu2023.sobolev-tuning": {"widths": [64], "seeds": 1},
    "jacot2018.deep-harmonic-learning-time": {"seeds": 1},
    "luo2019.initial-stage": {"seeds": 2},
    "xu2018.tanh-gradient-closed-form": {"seeds": 2},
}


def diverged(result: Result) -> list[int]:
    """The diverged seeds of a result and of the results it is made of."""
    found = list(getattr(result, "diverged", ()))
    for spec in dataclasses.fields(result):
        value = getattr(result, spec.name)
        for part in value if isinstance(value, tuple) else (value,):
            if isinstance(part, Result):
                found += diverged(part)
    return found


def test_every_family_that_trains_through_the_engine_is_checked():
    from fpcheck.empirics.setup import Setup

    checked = {type(claims()[claim_id].setups["quick"]) for claim_id in CASES}
    planning = {type(claim.setups["quick"]) for claim in claims().values()
                if type(claim.setups["quick"]).planned_network_steps is not Setup.planned_network_steps}
    assert planning <= checked, sorted(kind.__name__ for kind in planning - checked)


@pytest.mark.parametrize("claim_id", sorted(CASES))
def test_the_planned_network_steps_are_the_ones_the_engine_counts(claim_id):
    claim = claims()[claim_id]
    setup = claim.setups["quick"].override(CASES[claim_id])
    before = runtime.network_steps()
    result = claim.experiment.run(setup, tuple(range(setup.seeds)))
    assert not diverged(result), "a diverged seed would stop early: choose another small setup"
    assert runtime.network_steps() - before == setup.planned_network_steps()


def test_every_counted_reference_record_made_its_planned_network_steps():
    planned = reference.planned_steps()
    counted = [row for row in reference.entries(Path(reference.__file__).resolve().parents[1] / "reference" / "paper")
               if row.state == "current" and row.record.get("network_steps") is not None]
    assert counted
    for row in counted:
        shared = row.record.get("experiments", [])  # then the shared run made the steps, and the record none
        made = sum(entry["network_steps"] for entry in shared) if shared else row.record["network_steps"]
        assert made == planned.per_key[row.key], row.key
        assert not shared or row.record["network_steps"] == 0, row.key
