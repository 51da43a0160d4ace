"""`--config FILE.toml`: per-claim parameter overrides, validated against the claims' setups.

The file holds one table per claim, keyed by id (DESIGN.md):

    [claim."xu2019.large-init"]
    init_scale = 20

An unknown claim, an unknown key (one the claim's setup for the profile does not have), a value of
the wrong type, a NaN or infinite number (TOML allows `nan` and `inf`), a zero or negative value of
a parameter that must be positive (`POSITIVE`: a frequency, a weight scale, a learning rate, a size…)
or a file that is not TOML is bad input (`ConfigError`, one line), raised before any claim runs.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from reports.claim import Claim


class ConfigError(ValueError):
    """A malformed or invalid --config file."""


Overrides = dict[str, dict[str, Any]]

POSITIVE = frozenset({
    # frequencies and amplitudes of targets (a peak at k = 0 or of amplitude 0 has no relative error)
    "frequencies", "target_frequencies", "modes", "amplitudes", "target_amplitudes", "etas", "delta_ratios",
    "k_min", "k_max", "k_dense", "fit_k_min", "fit_k_max", "frequencies_per_neuron", "frequency_points",
    # weight scales (w = 0 has no transform e^{-π|k|/(2|w|)})
    "w_min", "w_max", "init_scale", "weight_std", "large_factor", "perturbation_norms",
    # training and sizes
    "lr", "steps", "train_steps", "dnn_steps", "max_steps", "max_sweeps", "points", "train_points",
    "grid_points", "interior_points", "fft_points", "hidden", "width", "neurons", "depth", "depths",
    "networks_per_depth", "bits", "samples", "bands", "snapshot_every", "snapshots", "eval_every",
    "check_every", "bound_every", "seeds",
    # thresholds and tolerances
    "level", "threshold", "peak_threshold", "tolerance", "quadrature_digits", "z_max", "target_width",
    "sigma", "half_width",
})
"""Parameters whose every number must be > 0, in any claim that has them."""


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
            _check_value(path, claim_id, key, value)
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
        return
    raise ConfigError(
        f"config file {path}: claim {claim_id}: {key} = {value!r} is a {given}, expected a {expected}"
    )


def _numbers(value: Any) -> list[float]:
    """Every number in a value (nested lists included)."""
    if isinstance(value, bool):
        return []
    if isinstance(value, int | float):
        return [value]
    if isinstance(value, list):
        return [number for item in value for number in _numbers(item)]
    return []


def _check_value(path: Path, claim_id: str, key: str, value: Any) -> None:
    """No NaN or inf anywhere; no zero or negative number in a POSITIVE parameter."""
    numbers = _numbers(value)
    if any(not math.isfinite(number) for number in numbers):
        raise ConfigError(f"config file {path}: claim {claim_id}: {key} = {value!r} holds NaN or inf")
    if key in POSITIVE and any(number <= 0 for number in numbers):
        raise ConfigError(f"config file {path}: claim {claim_id}: {key} must be positive, not {value!r}")
