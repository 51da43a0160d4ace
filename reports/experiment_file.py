"""An experiment's result as a file of plain arrays: npz, no pickle, schema-checked when read back.

A shared experiment (`fpcheck.reports.stage`) is kept in the run directory as
`experiments/<experiment>-<hash>.npz`. The file holds the result's arrays as `a0`, `a1`, … and one
`meta` entry, a JSON string with: the format version, the experiment's name and the stage's hash, the
result's type and its fields' layout (an array by index, a tuple of layouts, a nested result, or a plain
value: number, string, bool or None), the stage's record (wall time, network-steps, consumers, worker)
and the SHA-256 of the layout, the record and every array's dtype, shape and bytes.

`read_result` loads with `allow_pickle=False` and rebuilds the result only if the file is one (the run store
first checks that it is a regular file of at most `MAX_BYTES`): a readable npz, the expected format, experiment,
hash and result type, every field of the dataclass present with the layout its type allows, the arrays' checksum
matching and the result's seeds those of the stage. Anything else is `RunDirError` naming the problem (bad
input: nothing is rewritten).
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import types
import typing
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from fpcheck.empirics.experiment import Result
from fpcheck.errors import RunDirError

FORMAT = 1
MAX_BYTES = 8 * 1024 * 1024 * 1024
ARRAY_KINDS = "biufcU"


def _encode(value: Any, arrays: list[np.ndarray]) -> Any:
    """The layout of one field's value; its arrays appended to `arrays`."""
    if isinstance(value, np.ndarray):
        arrays.append(value)
        return {"array": len(arrays) - 1}
    if isinstance(value, Result):
        return {"result": type(value).__name__,
                "fields": {spec.name: _encode(getattr(value, spec.name), arrays) for spec in dataclasses.fields(value)}}
    if isinstance(value, tuple):
        return {"tuple": [_encode(item, arrays) for item in value]}
    if isinstance(value, np.integer | np.floating):
        value = value.item()
    return {"value": value}


def _checksum(arrays: Mapping[str, np.ndarray], layout: Any, record: Any) -> str:
    """SHA-256 of the layout, the record and every array's name, dtype, shape and bytes."""
    digest = hashlib.sha256(json.dumps([layout, record], sort_keys=True).encode())
    for name in sorted(arrays, key=lambda key: int(key[1:])):
        array = np.ascontiguousarray(arrays[name])
        digest.update(f"{name}:{array.dtype.str}:{array.shape};".encode())
        digest.update(array.tobytes())
    return digest.hexdigest()


def result_bytes(result: Result, experiment: str, stage_hash: str, record: Mapping[str, Any]) -> bytes:
    """The npz file of `result` (module doc)."""
    listed: list[np.ndarray] = []
    layout = _encode(result, listed)
    arrays = {f"a{index}": array for index, array in enumerate(listed)}
    meta = {"format": FORMAT, "experiment": experiment, "hash": stage_hash, "layout": layout,
            "record": dict(record), "checksum": _checksum(arrays, layout, dict(record))}
    buffer = io.BytesIO()
    np.savez(buffer, meta=np.array(json.dumps(meta)), **arrays)
    return buffer.getvalue()


class _Problem(Exception):
    """What is wrong with the file (turned into RunDirError with its path)."""


def _decode(layout: Any, hint: Any, arrays: Mapping[str, np.ndarray], where: str) -> Any:
    """The value of `layout`, checked against the field's type hint."""
    if not isinstance(layout, dict) or len(layout) not in (1, 2):
        raise _Problem(f"{where} has no layout")
    origin = typing.get_origin(hint)
    if isinstance(hint, type) and issubclass(hint, Result):
        if set(layout) != {"result", "fields"} or layout["result"] != hint.__name__:
            raise _Problem(f"{where} is not a {hint.__name__}")
        return _rebuild(hint, layout["fields"], arrays, where)
    if hint is np.ndarray:
        index = layout.get("array")
        if set(layout) != {"array"} or isinstance(index, bool) or not isinstance(index, int) \
                or f"a{index}" not in arrays:
            raise _Problem(f"{where} is not an array of the file")
        array = arrays[f"a{index}"]
        if array.dtype.kind not in ARRAY_KINDS:
            raise _Problem(f"{where} is an array of dtype {array.dtype}")
        return array
    if origin is tuple:
        items = layout.get("tuple")
        if set(layout) != {"tuple"} or not isinstance(items, list):
            raise _Problem(f"{where} is not a tuple")
        arguments = typing.get_args(hint)
        item_hint = arguments[0] if arguments else Any
        return tuple(_decode(item, item_hint, arrays, f"{where}[{index}]") for index, item in enumerate(items))
    if set(layout) != {"value"}:
        raise _Problem(f"{where} is not a plain value")
    value = layout["value"]
    allowed = typing.get_args(hint) if origin in (typing.Union, types.UnionType) else (hint,)
    if hint is not Any and not any(kind is Any or (isinstance(kind, type) and isinstance(value, kind))
                                   or (kind is float and isinstance(value, int) and not isinstance(value, bool))
                                   or (kind is type(None) and value is None) for kind in allowed):
        raise _Problem(f"{where} = {value!r} is not of its type")
    return value


def _rebuild(kind: type[Result], fields: Any, arrays: Mapping[str, np.ndarray], where: str) -> Result:
    hints = typing.get_type_hints(kind)
    names = [spec.name for spec in dataclasses.fields(kind)]
    if not isinstance(fields, dict) or set(fields) != set(names):
        raise _Problem(f"{where} does not hold the fields of {kind.__name__}")
    values = {name: _decode(fields[name], hints[name], arrays, f"{where}.{name}") for name in names}
    try:
        return kind(**values)
    except (TypeError, ValueError) as error:
        raise _Problem(f"{where}: {error}") from None


def read_result(path: Path, kind: type[Result], experiment: str, stage_hash: str,
                seeds: tuple[int, ...]) -> tuple[Result, dict[str, Any]]:
    """The result and the stage record kept in `path`, a regular file of at most MAX_BYTES (the run store checks
    that first, `fpcheck.reports.run_store.regular_file`), or RunDirError (module doc)."""
    try:
        try:
            stored = np.load(path, allow_pickle=False)
            if not isinstance(stored, np.lib.npyio.NpzFile):  # a single .npy array under the .npz name
                raise _Problem("not an npz file")
            with stored:
                arrays = {name: stored[name] for name in stored.files}
        except (OSError, ValueError, zipfile.BadZipFile, EOFError) as error:
            raise _Problem(f"not a readable npz file: {type(error).__name__}") from None
        if not all(isinstance(array, np.ndarray) for array in arrays.values()):  # a member that is not .npy
            raise _Problem("it holds entries that are not arrays")
        meta_array = arrays.pop("meta", None)
        if meta_array is None or meta_array.shape != () or meta_array.dtype.kind != "U":
            raise _Problem("no meta entry")
        try:
            meta = json.loads(str(meta_array))
        except json.JSONDecodeError:
            raise _Problem("its meta entry is not JSON") from None
        if not isinstance(meta, dict) or meta.get("format") != FORMAT:
            raise _Problem(f"not an experiment file of format {FORMAT}")
        if meta.get("experiment") != experiment or meta.get("hash") != stage_hash:
            raise _Problem(f"it holds experiment {meta.get('experiment')!r} of hash {meta.get('hash')!r}, not "
                           f"{experiment!r} of hash {stage_hash!r}")
        if any(not (name.startswith("a") and name[1:].isdigit()) for name in arrays):
            raise _Problem("it holds entries that are not arrays of the result")
        if not isinstance(meta.get("record"), dict):
            raise _Problem("no stage record")
        if meta.get("checksum") != _checksum(arrays, meta.get("layout"), meta["record"]):
            raise _Problem("its contents do not match their checksum")
        result = _decode(meta.get("layout"), kind, arrays, "the result")
        if tuple(result.seeds) != tuple(seeds):
            raise _Problem(f"it holds seeds {list(result.seeds)}, not {list(seeds)}")
    except _Problem as problem:
        raise RunDirError(f"{path} is corrupt ({problem}); move it away or choose another --out") from None
    return result, meta["record"]
