"""Shared fixtures: toy claims registered into the catalogue for the duration of one test."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")
sys.path.insert(0, str(Path(__file__).parent))

from fpcheck.reports import catalogue  # noqa: E402
from fpcheck.reports.claim import Claim  # noqa: E402


@pytest.fixture
def registered() -> Iterator[Callable[[Claim], Claim]]:
    """Register claims for one test; they are removed from the catalogue afterwards."""
    added: list[str] = []

    def register(claim: Claim) -> Claim:
        catalogue.claims()  # import the real sources first, so a toy never shadows their order
        catalogue.register(claim)
        added.append(claim.id)
        return claim

    yield register
    for claim_id in added:
        catalogue._CATALOGUE.pop(claim_id, None)
