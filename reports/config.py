"""`--config FILE.toml`: per-claim setup overrides, validated through the claims' typed setups.

The file holds one table per claim, keyed by id:

    [claim."xu2019.large-init"]
    init_scale = 2.0

Each key must be a field of the claim's setup; its value is checked by the setup itself (type, range,
limits: `fpcheck.empirics.setup`). The file must be a regular file of at most `MAX_BYTES`; an unknown
claim, an unknown key, a value of the wrong type, NaN or inf, a zero or negative size or rate, nesting
beyond TOML's reach, or a file that is not TOML is bad input (`ConfigError`, one line), raised before any
claim runs. Overrides apply to every variant of the claim (its controls change fields on top).
"""

from __future__ import annotations

import os
import stat
import tomllib
from collections.abc import Sequence
from pathlib import Path

from fpcheck.empirics.setup import Setup
from fpcheck.errors import ConfigError, SetupError
from fpcheck.reports.catalogue import claims
from fpcheck.reports.claim import Claim

MAX_BYTES = 1 << 20


def read_config(path: Path) -> dict:
    """The TOML document of a regular file of bounded size, or ConfigError."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise ConfigError(f"config file {path} does not exist") from None
    except OSError as error:
        raise ConfigError(f"config file {path} cannot be read: {error.strerror or error}") from None
    if not stat.S_ISREG(info.st_mode):
        raise ConfigError(f"config file {path} is not a regular file")
    if info.st_size > MAX_BYTES:
        raise ConfigError(f"config file {path} is larger than {MAX_BYTES >> 10} KiB")
    try:
        with open(path, "rb") as stream:
            return tomllib.loads(stream.read(MAX_BYTES + 1).decode("utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"config file {path} cannot be read: {error}") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"config file {path} is not valid TOML: {error}") from None
    except RecursionError:
        raise ConfigError(f"config file {path} is nested too deeply") from None


def load_config(path: str | Path, chosen: Sequence[Claim], profile: str) -> dict[str, Setup]:
    """The overridden setups of the claims a TOML file names (the whole catalogue is checked)."""
    path = Path(path)
    document = read_config(path)
    extra = set(document) - {"claim"}
    if extra:
        raise ConfigError(f"config file {path}: unknown top-level key(s) {', '.join(sorted(map(repr, extra)))}; "
                          "only [claim.\"ID\"] tables are allowed")
    tables = document.get("claim", {})
    if not isinstance(tables, dict):
        raise ConfigError(f"config file {path}: 'claim' must be tables [claim.\"ID\"], not {type(tables).__name__}")
    catalogue = claims()
    setups: dict[str, Setup] = {}
    for claim_id, table in tables.items():
        if claim_id not in catalogue:
            raise ConfigError(f"config file {path}: unknown claim {claim_id!r}")
        if not isinstance(table, dict):
            raise ConfigError(f"config file {path}: claim.{claim_id!r} must be a table of setup fields")
        try:
            setups[claim_id] = catalogue[claim_id].setups[profile].override(table, where=f"claim {claim_id}")
        except SetupError as error:
            raise ConfigError(f"config file {path}: {error}") from None
    return {claim.id: setups[claim.id] for claim in chosen if claim.id in setups}
