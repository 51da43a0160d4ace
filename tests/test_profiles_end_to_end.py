"""Every claim, end to end through `reports.verify`, reaches the verdict the literature expects.

On demand only (each run trains real networks): `pytest -m slow` runs the quick profile of every claim
(10 s to 2 min a claim on 2 cores, the claims of `make report`); `pytest -m paper` runs the published
sizes (minutes to hours a claim; pick some with `-k`, e.g. `pytest -m paper -k parity`).
"""

from __future__ import annotations

import pytest

from fpcheck import verify
from fpcheck.reports.catalogue import claims

IDS = sorted(claims())


def _verdict(claim_id: str, profile: str, out) -> tuple[str, str, str]:
    table = verify([claim_id], profile=profile, out=out, progress=False)
    row = table.set_index("claim").loc[claim_id]
    return row["verdict"], row["expected"], row["explanation"]


@pytest.mark.slow
@pytest.mark.parametrize("claim_id", IDS)
def test_quick_profile_reaches_the_expected_verdict(claim_id, tmp_path):
    verdict, expected, explanation = _verdict(claim_id, "quick", tmp_path)
    assert verdict == expected, explanation


@pytest.mark.paper
@pytest.mark.parametrize("claim_id", IDS)
def test_paper_profile_reaches_the_expected_verdict(claim_id, tmp_path):
    verdict, expected, explanation = _verdict(claim_id, "paper", tmp_path)
    assert verdict == expected, explanation
