"""`--config FILE.toml`: per-claim parameter overrides, validated against the claims' setups.

The file holds one table per claim, keyed by id (DESIGN.md):

    [claim."xu2019.large-init"]
    init_scale = 20

An unknown claim, an unknown key (one the claim's setup for the profile does not have), a value of
the wrong type or a file that is not TOML is bad input (`ConfigError`, one line).
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from reports.claim import Claim


class ConfigError(ValueError):
    """A malformed or invalid --config file."""


Overrides = dict[str, dict[str, Any]]


def load_config(path: str | Path, catalogue: Mapping[str, Claim], profile: str) -> Overrides:
    """The overrides of a TOML file, checked key by key against each claim's setup for `profile`."""
    path = Path(path)
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"config file {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"config file {path} cannot be read: {error}") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"config file {path} is not valid TOML: {error}") from None
    extra = set(document) - {"claim"}
    if extra:
        raise ConfigError(f"config file {path}: unknown top-level key(s) {', '.join(sorted(extra))}; "
                          "only [claim.\"ID\"] tables are allowed")
    tables = document.get("claim", {})
    overrides: Overrides = {}
    for claim_id, table in tables.items():
        if claim_id not in catalogue:
            raise ConfigError(f"config file {path}: unknown claim {claim_id!r}")
        if not isinstance(table, dict):
            raise ConfigError(f"config file {path}: claim.{claim_id!r} must be a table of parameters")
        setup = catalogue[claim_id].setup.get(profile)
        if setup is None:
            raise ConfigError(f"config file {path}: claim {claim_id} has no {profile!r} profile")
        for key, value in table.items():
            if key not in setup:
                raise ConfigError(
                    f"config file {path}: claim {claim_id} has no parameter {key!r}; "
                    f"known: {', '.join(sorted(setup))}"
                )
            _check_type(path, claim_id, key, setup[key], value)
        overrides[claim_id] = dict(table)
    return overrides


def _check_type(path: Path, claim_id: str, key: str, default: Any, value: Any) -> None:
    """The override must have the default's type (an int is accepted where a float is expected)."""
    def kind(item: Any) -> str:
        if isinstance(item, bool):
            return "bool"
        if isinstance(item, int | float):
            return "number" if isinstance(item, float) else "int"
        return type(item).__name__

    expected, given = kind(default), kind(value)
    if expected == given or (expected == "number" and given == "int"):
        if key == "seeds" and (not isinstance(value, int) or value < 1):
            raise ConfigError(f"config file {path}: claim {claim_id}: seeds must be a positive integer")
        return
    raise ConfigError(
        f"config file {path}: claim {claim_id}: {key} = {value!r} is a {given}, expected a {expected}"
    )
