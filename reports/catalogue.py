"""The one catalogue every claim registers into (`fpcheck list` prints it).

Built-in claims live in `reports/claims/<source>.py`, grouped by source, and call `register` at import
time; `claims()` imports the source modules listed in `fpcheck.reports.claims.SOURCES` and returns the
catalogue in registration order. A claim is checked when it is constructed (`Claim.__post_init__`), and
an id registered twice is refused.

Claims written outside fpcheck (docs/writing-a-claim.md) come in two ways, after the built-in ones:
- an installed package declares a module in the entry-point group `fpcheck.claims`; importing the module
  registers its claims. A plugin that fails (does not import, raises, registers a malformed claim or an id
  that is taken) is skipped with a one-line warning on stderr, and the built-in catalogue still runs;
- `fpcheck verify --claims PATH_OR_MODULE` (`load_external`): a `.py` file (its folder joins sys.path, so its
  experiment's "module:function" resolves) or an importable module. A failure there is an
  `ExternalClaimError`, one line (the CLI exits 2). The specs are kept in $FPCHECK_CLAIMS while a run lasts,
  so that Dask LocalCluster workers load them too (a remote worker needs the module installed).
Every claim registered while a plugin loads gets that plugin as its `origin` (`fpcheck list` shows it).
"""

from __future__ import annotations

import dataclasses
import importlib
import importlib.metadata
import os
import sys
from collections.abc import Callable
from pathlib import Path

from fpcheck.errors import ClaimDeclarationError, ExternalClaimError, UnknownClaim, one_line
from fpcheck.reports.claim import Claim

ENTRY_POINT_GROUP = "fpcheck.claims"
EXTERNAL_VARIABLE = "FPCHECK_CLAIMS"
"""The --claims specs of the running verification, separated by os.pathsep (read by workers too)."""
BUILT_IN = "built-in"

_CATALOGUE: dict[str, Claim] = {}
_ORIGIN = [BUILT_IN]  # the origin given to the claims registered now
_LOADED: dict[str, str] = {}  # spec -> origin, for every plugin loaded (or skipped) in this process


def register(claim: Claim) -> Claim:
    """Add a claim to the catalogue; an id registered twice is refused. A claim registered while a plugin
    loads gets the plugin as its origin."""
    if not isinstance(claim, Claim):
        raise ClaimDeclarationError(f"register() takes a fpcheck Claim, not a {type(claim).__name__}")
    if claim.id in _CATALOGUE:
        raise ClaimDeclarationError(f"claim {claim.id} is registered twice (first from {_CATALOGUE[claim.id].origin})")
    if _ORIGIN[0] != BUILT_IN:
        claim = dataclasses.replace(claim, origin=_ORIGIN[0])
    _CATALOGUE[claim.id] = claim
    return claim


def claims() -> dict[str, Claim]:
    """Every registered claim, by id, in catalogue order: the built-in ones, the installed plugins', then
    those of the specs in $FPCHECK_CLAIMS."""
    package = importlib.import_module("fpcheck.reports.claims")
    for module in package.SOURCES:
        importlib.import_module(f"fpcheck.reports.claims.{module}")
    _load_entry_points()
    for spec in filter(None, os.environ.get(EXTERNAL_VARIABLE, "").split(os.pathsep)):
        load_external(spec)
    return dict(_CATALOGUE)


def _load_entry_points() -> None:
    for point in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        key = f"entry point {point.name}"
        if key in _LOADED:
            continue
        try:
            _load(key, f"{key} ({point.value})", point.load)
        except ExternalClaimError as error:
            _LOADED[key] = "skipped"  # warned once per process
            print(f"fpcheck: warning: skipped the claims of {error}", file=sys.stderr)


def load_external(spec: str) -> list[str]:
    """Load the claims of a `.py` file or an importable module (module doc); the ids it registered."""
    if spec in _LOADED:
        return [claim.id for claim in _CATALOGUE.values() if claim.origin == _LOADED[spec]]
    path = Path(spec)
    if spec.endswith(".py") or path.exists():
        if not path.is_file() or path.suffix != ".py":
            raise ExternalClaimError(f"--claims {spec}: not a Python file (.py) or an importable module")
        path = path.resolve()
        name = path.stem
        if not name.isidentifier():
            raise ExternalClaimError(f"--claims {spec}: {name!r} is not a valid module name")
        loaded = sys.modules.get(name)
        if loaded is not None and Path(getattr(loaded, "__file__", "") or "").resolve() != path:
            raise ExternalClaimError(f"--claims {spec}: a different module named {name!r} is already imported")

        def import_file() -> object:
            if str(path.parent) not in sys.path:
                sys.path.insert(0, str(path.parent))
            return importlib.import_module(name)

        return _load(spec, f"file {path}", import_file)
    if not all(part.isidentifier() for part in spec.split(".")):
        raise ExternalClaimError(f"--claims {spec}: not a Python file (.py) or an importable module")
    return _load(spec, f"module {spec}", lambda: importlib.import_module(spec))


def _load(key: str, origin: str, load: Callable[[], object]) -> list[str]:
    """Run `load` with `origin` as the origin of what it registers; on failure unregister it and raise
    ExternalClaimError naming the plugin."""
    before = set(_CATALOGUE)
    _ORIGIN[0] = origin
    try:
        load()
    except Exception as error:  # a plugin fails in any way: SyntaxError, ImportError, its own errors
        for claim_id in set(_CATALOGUE) - before:
            del _CATALOGUE[claim_id]
        reason = error.msg if isinstance(error, SyntaxError) and error.msg else str(error)
        where = f" (line {error.lineno})" if isinstance(error, SyntaxError) and error.lineno else ""
        raise ExternalClaimError(f"{origin}: {type(error).__name__}{where}: {one_line(reason)[:300]}") from None
    finally:
        _ORIGIN[0] = BUILT_IN
    added = [claim_id for claim_id in _CATALOGUE if claim_id not in before]
    if not added:
        raise ExternalClaimError(f"{origin} registered no claim (call fpcheck.register(Claim(...)) at import)")
    _LOADED[key] = origin
    return added


def select(ids: list[str] | None) -> list[Claim]:
    """The claims named by `ids` (all when None or empty), or UnknownClaim listing the valid ids."""
    catalogue = claims()
    if not ids:
        return list(catalogue.values())
    unknown = [claim_id for claim_id in ids if claim_id not in catalogue]
    if unknown:
        raise UnknownClaim(f"unknown claim id {', '.join(map(repr, unknown))}; valid ids: {', '.join(catalogue)}")
    return [catalogue[claim_id] for claim_id in dict.fromkeys(ids)]
