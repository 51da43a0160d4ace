"""Typed setups: the parameters of one experiment family, validated where they are declared.

A family's setup is a frozen, keyword-only dataclass deriving from `Setup`. Each field carries its type
(`int`, `float`, `bool`, `str`, a `Literal[...]` of choices, or a `tuple[...]` of those) and, through
`param(...)`, the checks that guard it: positive, bounds, a size limit, a minimum length. Validation runs
in `__post_init__`, so an invalid setup never exists: a claim's own setup fails at import, a control's or
a `--config` override fails before anything runs, with one line naming the field (`SetupError`).

- `seeds` (every setup has it) is the default number of seeds, run as seeds 0 … seeds - 1;
- `seed_batch` (every setup has it) is how many of them one task runs: None (the default) runs them all
  in one task, n splits them into tasks of n consecutive seeds (the last one shorter), which an executor
  may spread over workers. It is part of the setup, never of the executor, since a network's numbers
  may depend on the batch it trains in; while it is None, `data()` and `experiment_data()` leave it out,
  so a setup that does not batch keeps the data (and the configuration hash) it had before the field;
- fields declared with `param(..., analysis=True)` are analysis choices (a threshold, a level): they do
  not change the experiment, so the experiment's key (`experiment_data`) leaves them out;
- `override(changes)` returns the setup with fields replaced from plain data (TOML or JSON values:
  lists become tuples, integers are accepted where a float is expected), validated like the original;
- `data()` is the setup as JSON-able data, the form stored in every record;
- `planned_network_steps()` is how many updates of single networks its experiment trains (the cost unit).

A family adds cross-field checks by overriding `check(self)` (raise `SetupError`).
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, Self, get_args, get_origin

from fpcheck.errors import SetupError

MAX_SEEDS = 10_000
"""More seeds than this is refused: every seed allocates its own network."""


def param(
    default: Any = dataclasses.MISSING,
    *,
    positive: bool = False,
    at_least: float | None = None,
    at_most: float | None = None,
    min_length: int = 1,
    max_length: int | None = None,
    analysis: bool = False,
) -> Any:
    """A setup field with its checks (for tuples, `positive`, `at_least` and `at_most` apply to every
    element; `min_length`/`max_length` to the tuple). `at_most` on a size is a limit of this machine's
    kind (memory), named in the refusal."""
    metadata = {"positive": positive, "at_least": at_least, "at_most": at_most, "min_length": min_length,
                "max_length": max_length, "analysis": analysis}
    if isinstance(default, list):
        raise TypeError("use a tuple, not a list, as a setup default")
    return dataclasses.field(default=default, metadata=metadata)


@dataclass(frozen=True, kw_only=True)
class Setup:
    """Base of every family's setup (module doc)."""

    seeds: int = param(3, at_least=1, at_most=MAX_SEEDS)
    seed_batch: int | None = param(None, positive=True, at_most=MAX_SEEDS)

    family: ClassVar[str] = "setup"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """A field named like a method of Setup (`data`, `override`, …) would hide it: refused at definition."""
        super().__init_subclass__(**kwargs)
        clashes = sorted(name for name in cls.__dict__.get("__annotations__", {})
                         if name != "family" and callable(getattr(Setup, name, None)))
        if clashes:
            raise TypeError(f"{cls.__name__}: setup fields {clashes} would hide methods of Setup; rename them")

    def __post_init__(self) -> None:
        hints = typing.get_type_hints(type(self))
        for spec in dataclasses.fields(self):
            value = _coerce(self._name(spec.name), getattr(self, spec.name), hints[spec.name], spec.metadata)
            object.__setattr__(self, spec.name, value)
        self.check()

    def check(self) -> None:
        """Cross-field checks of a family (override; raise SetupError via `self.refuse`)."""

    def refuse(self, field: str, problem: str) -> None:
        raise SetupError(f"{self._name(field)}: {problem}")

    def _name(self, field: str) -> str:
        return f"{type(self).__name__}.{field}"

    # -------------------------------------------------------------------------------------------------

    def override(self, changes: Mapping[str, Any], where: str = "") -> Self:
        """The setup with `changes` applied (plain data), validated; `where` prefixes error messages."""
        known = {spec.name for spec in dataclasses.fields(self)}
        unknown = sorted(set(changes) - known)
        prefix = f"{where}: " if where else ""
        if unknown:
            raise SetupError(f"{prefix}{type(self).__name__} has no field {', '.join(map(repr, unknown))}; "
                             f"known: {', '.join(sorted(known))}")
        try:
            return dataclasses.replace(self, **{name: _from_data(value) for name, value in changes.items()})
        except SetupError as error:
            raise SetupError(f"{prefix}{error}") from None

    def data(self) -> dict[str, Any]:
        """Every field as JSON-able data (tuples as lists); `seed_batch` only when set (module doc)."""
        return {spec.name: _to_data(getattr(self, spec.name)) for spec in dataclasses.fields(self)
                if not self._unbatched(spec.name)}

    def experiment_data(self) -> dict[str, Any]:
        """The fields that fix the experiment's numbers: every field but `seeds` and the analysis ones."""
        return {spec.name: _to_data(getattr(self, spec.name)) for spec in dataclasses.fields(self)
                if spec.name != "seeds" and not spec.metadata.get("analysis") and not self._unbatched(spec.name)}

    def planned_network_steps(self) -> int:
        """At most the updates of single networks the family's experiment makes through the training engine for
        `seeds` seeds (`fpcheck.empirics.runtime.network_steps` counts them; fewer when every seed diverges
        early): the unit of the paper profile's cost estimate. 0 for a family that trains nothing there."""
        return 0

    def _unbatched(self, field: str) -> bool:
        return field == "seed_batch" and self.seed_batch is None

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        return tuple(spec.name for spec in dataclasses.fields(cls))


def _from_data(value: Any) -> Any:
    """TOML/JSON data to setup values: lists (nested too) become tuples."""
    if isinstance(value, list):
        return tuple(_from_data(item) for item in value)
    return value


def _to_data(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_to_data(item) for item in value]
    return value


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "a bool"
    if isinstance(value, int):
        return "an int"
    if isinstance(value, float):
        return "a float"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, tuple | list):
        return "a list"
    return f"a {type(value).__name__}"


def _coerce(name: str, value: Any, hint: Any, metadata: Mapping[str, Any]) -> Any:
    """The value checked against its type hint and checks (an int becomes a float where one is expected)."""
    origin = get_origin(hint)
    if origin in (types.UnionType, typing.Union):
        options = get_args(hint)
        if value is None and type(None) in options:
            return None
        (hint,) = [option for option in options if option is not type(None)]
        origin = get_origin(hint)
    if origin is tuple:
        item_hint = get_args(hint)[0]
        if not isinstance(value, tuple):
            raise SetupError(f"{name} = {value!r} is {_kind(value)}, expected a list")
        if len(value) < metadata.get("min_length", 1):
            raise SetupError(f"{name} needs at least {metadata.get('min_length', 1)} element(s), not {list(value)!r}")
        longest = metadata.get("max_length")
        if longest is not None and len(value) > longest:
            raise SetupError(f"{name} has {len(value)} elements; the limit is {longest}")
        return tuple(_coerce(f"{name}[{index}]", item, item_hint, metadata) for index, item in enumerate(value))
    if origin is Literal:
        choices = get_args(hint)
        if not isinstance(value, str) or value not in choices:
            raise SetupError(f"{name} = {value!r} is not one of {', '.join(map(repr, choices))}")
        return value
    if hint is bool:
        if not isinstance(value, bool):
            raise SetupError(f"{name} = {value!r} is {_kind(value)}, expected a bool")
        return value
    if hint is str:
        if not isinstance(value, str):
            raise SetupError(f"{name} = {value!r} is {_kind(value)}, expected a string")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise SetupError(f"{name} = {value!r} is {_kind(value)}, expected an int")
        _check_number(name, value, metadata)
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise SetupError(f"{name} = {value!r} is {_kind(value)}, expected a number")
        value = float(value)
        if not math.isfinite(value):
            raise SetupError(f"{name} = {value!r} is not finite")
        _check_number(name, value, metadata)
        return value
    raise TypeError(f"{name}: setup fields of type {hint!r} are not supported")


def _check_number(name: str, value: float, metadata: Mapping[str, Any]) -> None:
    if metadata.get("positive") and not value > 0:
        raise SetupError(f"{name} must be positive, not {value!r}")
    low, high = metadata.get("at_least"), metadata.get("at_most")
    if low is not None and value < low:
        raise SetupError(f"{name} = {value!r} is below its minimum {low:g}")
    if high is not None and value > high:
        raise SetupError(f"{name} = {value!r} exceeds the limit {high:g}")
