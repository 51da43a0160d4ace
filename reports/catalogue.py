"""The one catalogue every claim registers into (`fpcheck list` prints it).

Claims live in `reports/claims/<source>.py`, grouped by source, and call `register` at import time;
`claims()` imports the source modules listed in `reports.claims` and returns the catalogue in
registration order. Only implemented claims are registered.
"""

from __future__ import annotations

import importlib

from reports.claim import Claim

_CATALOGUE: dict[str, Claim] = {}


def register(claim: Claim) -> Claim:
    """Add a claim to the catalogue; an id registered twice is a programming error."""
    if claim.id in _CATALOGUE:
        raise ValueError(f"claim {claim.id} is registered twice")
    _CATALOGUE[claim.id] = claim
    return claim


def claims() -> dict[str, Claim]:
    """Every implemented claim, by id, in catalogue order."""
    package = importlib.import_module("reports.claims")
    for module in package.SOURCES:
        importlib.import_module(f"reports.claims.{module}")
    return dict(_CATALOGUE)


class UnknownClaim(ValueError):
    """A claim id that the catalogue does not hold (bad input)."""


def select(ids: list[str] | None) -> list[Claim]:
    """The claims named by `ids` (all when None or empty), or UnknownClaim listing the valid ids."""
    catalogue = claims()
    if not ids:
        return list(catalogue.values())
    unknown = [claim_id for claim_id in ids if claim_id not in catalogue]
    if unknown:
        raise UnknownClaim(f"unknown claim id {', '.join(unknown)}; valid ids: {', '.join(catalogue)}")
    return [catalogue[claim_id] for claim_id in dict.fromkeys(ids)]
