"""The one catalogue every claim registers into (`fpcheck list` prints it).

Built-in claims live in `reports/claims/<source>.py`, grouped by source, and call `register` at import
time; `claims()` imports the source modules listed in `fpcheck.reports.claims.SOURCES` and returns the
catalogue in registration order. A claim is checked when it is constructed (`Claim.__post_init__`), and
an id registered twice is refused.
"""

from __future__ import annotations

import importlib

from fpcheck.errors import ClaimDeclarationError, UnknownClaim
from fpcheck.reports.claim import Claim

_CATALOGUE: dict[str, Claim] = {}


def register(claim: Claim) -> Claim:
    """Add a claim to the catalogue; an id registered twice is refused."""
    if not isinstance(claim, Claim):
        raise ClaimDeclarationError(f"register() takes a fpcheck Claim, not a {type(claim).__name__}")
    if claim.id in _CATALOGUE:
        raise ClaimDeclarationError(f"claim {claim.id} is registered twice")
    _CATALOGUE[claim.id] = claim
    return claim


def claims() -> dict[str, Claim]:
    """Every registered claim, by id, in catalogue order."""
    package = importlib.import_module("fpcheck.reports.claims")
    for module in package.SOURCES:
        importlib.import_module(f"fpcheck.reports.claims.{module}")
    return dict(_CATALOGUE)


def select(ids: list[str] | None) -> list[Claim]:
    """The claims named by `ids` (all when None or empty), or UnknownClaim listing the valid ids."""
    catalogue = claims()
    if not ids:
        return list(catalogue.values())
    unknown = [claim_id for claim_id in ids if claim_id not in catalogue]
    if unknown:
        raise UnknownClaim(f"unknown claim id {', '.join(map(repr, unknown))}; valid ids: {', '.join(catalogue)}")
    return [catalogue[claim_id] for claim_id in dict.fromkeys(ids)]
