"""A run directory: finished tasks, results and the report files, locked while a run writes it.

Each finished claim-variant is kept as `claims/<key>.json` (its record; the key is the claim id, with
`@<control>` for a control). A claim-variant whose seeds run in several batches (`seed_batch`) also keeps
each finished batch as `batches/<key>.batch-<index>.json`, so that a run stopped between two batches
resumes from the finished ones, and each finished shared experiment as `experiments/<experiment>-<hash>.npz`
(`fpcheck.reports.stage`; plain arrays, checked when read back by `fpcheck.reports.experiment_file`). Opening
the store checks everything before anything is written:

- the path is usable (not empty, no component over 255 bytes, a directory or creatable, writable);
- a lock is taken on the directory itself (`flock`): a second fpcheck process writing the same
  directory is refused; the lock dies with its process, so a run killed with -9 can be resumed at once;
- every output path that exists is a regular file (not a directory, FIFO or device link), and
  `figures` is a directory;
- `verdicts.json` and every record a run will reuse (claim and batch records) are read from regular files
  of bounded size and bounded JSON nesting, and checked against their schema (`record_problem`,
  `batch_problem`). A corrupt one is bad input (`RunDirError`):
  nothing in the directory is rewritten or deleted.

Only then are stale temporary files of an interrupted run removed. Every file is written to a temporary
name and renamed, with the permissions the user's umask gives, so an interrupted run never leaves a
partial file that could be read as finished. A full disk is `DiskFull`.
"""

from __future__ import annotations

import base64
import errno
import fcntl
import json
import os
import stat
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from fpcheck.errors import DiskFull, RunDirError
from fpcheck.reports.experiment_file import MAX_BYTES as MAX_EXPERIMENT_BYTES
from fpcheck.reports.experiment_file import read_result, result_bytes

if TYPE_CHECKING:
    from fpcheck.reports.stage import Stage, StageOutput

OUTPUTS = ("verdicts.json", "provenance.json", "results.csv", "report.md", "report.html")
MAX_JSON_BYTES = 512 * 1024 * 1024
MAX_JSON_DEPTH = 32
RESULT_COLUMNS = ("claim", "variant", "seed", "quantity", "x", "value", "origin")
RECORD_TYPES: dict[str, type | tuple[type, ...]] = {
    "claim": str, "variant": str, "version": int, "hash": str, "profile": str, "setup": dict, "seeds": list,
    "threads": int, "verdict": dict, "prediction_summary": str, "measurement_summary": str, "notes": list,
    "rows": dict, "figures": list, "wall_s": (int, float), "traceback": (str, type(None)), "sensitivity": list,
}
VERDICT_TYPES: dict[str, type | tuple[type, ...]] = {
    "claim": str, "version": int, "variant": str, "expected": str, "verdict": str,
    "margin": (int, float, type(None)), "spread": list, "explanation": str, "seeds": list,
    "null_pass_probability": (int, float, type(None)), "per_seed": list, "wall_s": (int, float),
}
ROW_TYPES = {"seed": (int,), "quantity": (str,), "x": (int, float, type(None)), "value": (int, float, type(None)),
             "origin": (str,)}
TIDY_TYPES = {name: types for name, types in ROW_TYPES.items() if name != "origin"}
OPTIONAL_RECORD_TYPES: dict[str, type | tuple[type, ...]] = {"device": str, "batches": list, "network_steps": int,
                                                              "experiments": list}
"""Fields of a claim record written since seed batches, --device, the network-step count and shared experiments
(older records, reused, lack them)."""
SHARED_TYPES: dict[str, type | tuple[type, ...]] = {
    "experiment": str, "hash": str, "consumers": list, "wall_s": (int, float), "network_steps": int, "read_back": bool,
}
"""What a task records of the shared experiment it used (`fpcheck.reports.stage.StageOutput.summary`)."""
BATCH_ENTRY_TYPES: dict[str, type | tuple[type, ...]] = {
    "batch": int, "seeds": list, "hash": str, "worker": (str, type(None)), "wall_s": (int, float),
}
BATCH_TYPES: dict[str, type | tuple[type, ...]] = {
    "claim": str, "variant": str, "version": int, "hash": str, "batch": int, "seeds": list, "threads": int,
    "device": str, "prediction": (dict, type(None)), "measurement": (dict, type(None)), "prediction_summary": str,
    "measurement_summary": str, "diverged_seeds": list, "notes": list, "alternatives": (list, type(None)),
    "figures": list, "error": (str, type(None)), "traceback": (str, type(None)),
    "sensitivity_error": (str, type(None)), "figure_error": (str, type(None)), "wall_s": (int, float),
}
ALTERNATIVE_TYPES: dict[str, type | tuple[type, ...]] = {
    "field": str, "value": (int, float), "prediction": (dict, type(None)), "measurement": (dict, type(None)),
    "diverged_seeds": list,
}


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def atomic_write(path: Path, data: bytes | str) -> None:
    """Write `data` to `path` through a temporary file in the same directory and a rename."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as error:
        _raise_os(path, error)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(payload)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, 0o666 & ~_umask())
        os.replace(temporary, path)
    except OSError as error:
        Path(temporary).unlink(missing_ok=True)
        _raise_os(path, error)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _raise_os(path: Path, error: OSError) -> None:
    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        raise DiskFull(f"cannot write {path}: the disk is full; finished claims are kept") from None
    raise RunDirError(f"cannot write {path}: {error.strerror or error}") from None


def json_text(data: Any) -> str:
    """Standard JSON (NaN and inf written as null), indented for a reader."""
    return json.dumps(_finite(data), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def _finite(data: Any) -> Any:
    if isinstance(data, float):
        return data if data == data and abs(data) != float("inf") else None
    if isinstance(data, Mapping):
        return {key: _finite(value) for key, value in data.items()}
    if isinstance(data, list | tuple):
        return [_finite(value) for value in data]
    return data


def _depth(data: Any, limit: int) -> int:
    """The nesting depth of JSON data, stopping at `limit`."""
    deepest, stack = 0, [(data, 1)]
    while stack:
        item, depth = stack.pop()
        deepest = max(deepest, depth)
        if deepest > limit:
            return deepest
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
        stack.extend((child, depth + 1) for child in children)
    return deepest


def regular_file(path: Path, limit: int, what: str) -> None:
    """RunDirError unless `path` is a readable regular file of at most `limit` bytes."""
    try:
        info = os.stat(path)
    except OSError as error:
        raise RunDirError(f"{path} cannot be read: {error.strerror or error}") from None
    if not stat.S_ISREG(info.st_mode):
        raise RunDirError(f"{path} is not a regular file; move it away or choose another --out")
    if info.st_size > limit:
        raise RunDirError(f"{path} is larger than {limit >> 20} MiB; it is not a {what}")


def read_json_file(path: Path, what: str) -> Any:
    """JSON from a regular file of bounded size and nesting, or RunDirError naming the problem."""
    regular_file(path, MAX_JSON_BYTES, what)
    try:
        with open(path, "rb") as stream:
            data = json.loads(stream.read(MAX_JSON_BYTES + 1).decode("utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError, OSError) as error:
        raise RunDirError(f"{path} is corrupt ({type(error).__name__}); move it away or choose another --out") from None
    if _depth(data, MAX_JSON_DEPTH) > MAX_JSON_DEPTH:
        raise RunDirError(f"{path} is nested deeper than {MAX_JSON_DEPTH} levels; it is not a {what}")
    return data


def check_fields(data: Any, types: Mapping[str, type | tuple[type, ...]], where: str) -> str | None:
    """None when `data` is a dict with every field of `types` of its type, else the problem."""
    if not isinstance(data, dict):
        return f"{where} is not an object"
    for name, expected in types.items():
        if name not in data:
            return f"{where} lacks {name!r}"
        value = data[name]
        if isinstance(value, bool) and bool not in (expected if isinstance(expected, tuple) else (expected,)):
            return f"{where}.{name} is a bool"
        if not isinstance(value, expected):
            return f"{where}.{name} is a {type(value).__name__}"
    return None


def _columns_problem(rows: Any, types: Mapping[str, tuple[type, ...]], where: str) -> str | None:
    """None when `rows` are columns named as `types`, of equal length and of their types."""
    if not isinstance(rows, dict) or set(rows) != set(types) or not all(isinstance(column, list) for column in
                                                                        rows.values()) \
            or len({len(column) for column in rows.values()}) != 1:
        return f"{where} are not columns of equal length"
    for name, kinds in types.items():
        if not all(isinstance(value, kinds) and not isinstance(value, bool) for value in rows[name]):
            return f"{where} hold a {name} of the wrong type"
    return None


def _optional_problem(data: Mapping[str, Any], types: Mapping[str, type | tuple[type, ...]], where: str) -> str | None:
    present = {name: kinds for name, kinds in types.items() if name in data}
    return check_fields(data, present, where)


def _ints(values: Any) -> bool:
    return isinstance(values, list) and all(isinstance(value, int) and not isinstance(value, bool) for value in values)


def _strings(values: Any) -> bool:
    return isinstance(values, list) and all(isinstance(value, str) for value in values)


def record_problem(record: Any) -> str | None:
    """None when `record` has the shape `fpcheck.reports.task.assemble` writes, else what is wrong with it."""
    problem = check_fields(record, RECORD_TYPES, "the record")
    if problem is None:
        problem = check_fields(record["verdict"], VERDICT_TYPES, "the record's verdict")
    if problem is None:
        problem = _columns_problem(record["rows"], ROW_TYPES, "the record's rows")
    if problem is None and not _strings(record["figures"]):
        problem = "the record's figures are not base64 strings"
    if problem is None:
        problem = _optional_problem(record, OPTIONAL_RECORD_TYPES, "the record")
    if problem is None:
        for entry in record.get("batches", []):
            problem = problem or check_fields(entry, BATCH_ENTRY_TYPES, "a batch of the record")
            if problem is None and not _ints(entry["seeds"]):
                problem = "a batch of the record has seeds that are not integers"
    for entry in record.get("experiments", []) if problem is None else ():
        problem = problem or _shared_problem(entry, {**SHARED_TYPES, "batch": int}, "a shared experiment of the record")
    return problem


def _shared_problem(entry: Any, types: Mapping[str, type | tuple[type, ...]], where: str) -> str | None:
    problem = check_fields(entry, types, where)
    if problem is None and not _strings(entry["consumers"]):
        problem = f"{where} names consumers that are not strings"
    return problem


def batch_problem(record: Any, seeds: Sequence[int]) -> str | None:
    """None when `record` has the shape `fpcheck.reports.task.run_task` writes for the batch of `seeds`,
    else what is wrong with it."""
    problem = check_fields(record, BATCH_TYPES, "the batch record")
    if problem is not None:
        return problem
    # the worker is set by the executor; batch records written before the network-step count lack it
    problem = _optional_problem(record, {"worker": (str, type(None)), "network_steps": int}, "the batch record")
    if problem is not None:
        return problem
    if record["seeds"] != list(seeds):
        return f"the batch record holds seeds {record['seeds']!r}, not {list(seeds)!r}"
    if record.get("experiment") is not None:
        problem = _shared_problem(record["experiment"], SHARED_TYPES, "the batch record's shared experiment")
        if problem is not None:
            return problem
    if not (_strings(record["notes"]) and _strings(record["figures"])):
        return "the batch record's notes or figures are not strings"
    if (record["prediction"] is None or record["measurement"] is None) and record["error"] is None:
        return "the batch record lacks its tables but records no error"
    parts = [(record, "the batch record's")]
    for entry in record["alternatives"] or []:
        problem = check_fields(entry, ALTERNATIVE_TYPES, "an alternative of the batch record")
        if problem is not None:
            return problem
        parts.append((entry, "an alternative's"))
    for part, where in parts:
        if not _ints(part["diverged_seeds"]):
            return f"{where} diverged seeds are not integers"
        for side in ("prediction", "measurement"):
            problem = None if part[side] is None else _columns_problem(part[side], TIDY_TYPES, f"{where} {side} rows")
            if problem is not None:
                return problem
    return None


class RunStore:
    """The output directory of `fpcheck verify`, validated and locked on opening (module doc)."""

    def __init__(self, root: str | Path) -> None:
        self._lock: int | None = None
        text = os.fspath(root)
        if not text:
            raise RunDirError("--out is empty: name a directory")
        self.root = Path(text)
        for part in self.root.parts:
            if len(os.fsencode(part)) > 255:
                raise RunDirError(f"--out has a path component of {len(os.fsencode(part))} bytes (the limit is 255)")
        if self.root.exists() and not self.root.is_dir():
            raise RunDirError(f"--out {self.root} is a file, not a directory")
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            self._lock = os.open(self.root, os.O_RDONLY | os.O_DIRECTORY)
        except OSError as error:
            raise RunDirError(f"--out {self.root} is not writable: {error.strerror or error}") from None
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(self._lock)
            raise RunDirError(f"--out {self.root} is being written by another fpcheck process; wait for it or "
                              "choose another --out") from None
        try:
            self._check_layout()
        except BaseException:
            self.close()
            raise

    def _check_layout(self) -> None:
        if not os.access(self.root, os.W_OK | os.X_OK):
            raise RunDirError(f"--out {self.root} is not writable")
        for name in OUTPUTS:
            self._regular_or_absent(self.root / name)
        for name in ("figures", "claims", "batches", "tracebacks", "experiments"):
            path = self.root / name
            if path.is_symlink() or (path.exists() and not path.is_dir()):
                raise RunDirError(f"{path} exists and is not a directory; move it away or choose another --out")
        verdicts = self.root / "verdicts.json"
        if verdicts.exists():
            content = read_json_file(verdicts, "verdicts.json")
            if not isinstance(content, list) or not all(isinstance(entry, dict) and isinstance(entry.get("claim"), str)
                                                        for entry in content):
                raise RunDirError(f"{verdicts} is corrupt (not a list of verdicts); move it away or choose "
                                  "another --out")

    @staticmethod
    def _regular_or_absent(path: Path) -> None:
        try:
            info = os.lstat(path)
        except FileNotFoundError:
            return
        if not stat.S_ISREG(info.st_mode):
            raise RunDirError(f"{path} exists and is not a regular file; move it away or choose another --out")

    def close(self) -> None:
        if self._lock is not None:
            os.close(self._lock)  # releases the flock
            self._lock = None

    def __enter__(self) -> RunStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def remove_stale_temporaries(self) -> None:
        """Delete the temporary files an interrupted run left (call after every input was checked)."""
        for folder in (self.root, self.root / "claims", self.root / "batches", self.root / "figures",
                       self.root / "tracebacks", self.root / "experiments"):
            if folder.is_dir():
                for path in folder.glob(".*.tmp"):
                    if path.is_file() and not path.is_symlink():
                        path.unlink(missing_ok=True)

    def record_path(self, key: str) -> Path:
        return self.root / "claims" / f"{key}.json"

    def finished(self, key: str, config_hash: str) -> dict[str, Any] | None:
        """The record of a task finished earlier with the same config hash, else None; a record that is
        not one is bad input."""
        path = self.record_path(key)
        if not os.path.lexists(path):
            return None
        record = read_json_file(path, "task record")
        problem = record_problem(record)
        if problem is not None:
            raise RunDirError(f"{path} is corrupt ({problem}); move it away or choose another --out")
        return record if record["hash"] == config_hash else None

    def batch_path(self, name: str) -> Path:
        return self.root / "batches" / f"{name}.json"

    def finished_batch(self, name: str, batch_hash: str, seeds: Sequence[int]) -> dict[str, Any] | None:
        """The record of the batch `name` (of `seeds`) finished earlier with the same hash, else None; a
        record that is not one is bad input."""
        path = self.batch_path(name)
        if not os.path.lexists(path):
            return None
        record = read_json_file(path, "batch record")
        problem = batch_problem(record, seeds) if isinstance(record, dict) and record.get("hash") == batch_hash \
            else check_fields(record, BATCH_TYPES, "the batch record")
        if problem is not None:
            raise RunDirError(f"{path} is corrupt ({problem}); move it away or choose another --out")
        return record if record["hash"] == batch_hash else None

    def save_batch(self, record: Mapping[str, Any], name: str) -> None:
        """Keep a finished batch of a claim-variant of several batches (NaN kept as NaN, as in `save`)."""
        atomic_write(self.batch_path(name), json.dumps(record) + "\n")

    def experiment_path(self, stage: Stage) -> Path:
        return self.root / "experiments" / f"{stage.name}.npz"

    def has_experiment(self, stage: Stage) -> bool:
        return os.path.lexists(self.experiment_path(stage))

    def finished_experiment(self, stage: Stage) -> StageOutput | None:
        """The output of the shared experiment `stage` finished earlier (as read back for this run's consumers),
        else None; a file that is not one is bad input (`fpcheck.reports.experiment_file.read_result`)."""
        from fpcheck.reports.stage import StageOutput

        path = self.experiment_path(stage)
        if not os.path.lexists(path):
            return None
        regular_file(path, MAX_EXPERIMENT_BYTES, "shared experiment")
        result, record = read_result(path, stage.experiment.result, stage.experiment.name, stage.hash, stage.seeds)
        problem = _shared_problem(record, {**SHARED_TYPES, "worker": str, "seeds": list, "error": type(None)},
                                  "its stage record")
        if problem is not None:
            raise RunDirError(f"{path} is corrupt ({problem}); move it away or choose another --out")
        return StageOutput(result, record).read_back(stage)

    def save_experiment(self, stage: Stage, output: StageOutput) -> None:
        """Keep a finished shared experiment (`fpcheck.reports.experiment_file`)."""
        atomic_write(self.experiment_path(stage),
                     result_bytes(output.result, stage.experiment.name, stage.hash, output.record))

    def save(self, record: Mapping[str, Any], key: str) -> None:
        """Keep a finished task (NaN kept as NaN: records are read back by Python only), its figures and,
        when its claim raised, the traceback."""
        atomic_write(self.record_path(key), json.dumps(record) + "\n")
        for number, png in enumerate(record["figures"], start=1):
            atomic_write(self.figure_path(key, number), base64.b64decode(png))
        if record.get("traceback"):
            atomic_write(self.root / "tracebacks" / f"{key}.txt", record["traceback"])

    def figure_path(self, key: str, number: int) -> Path:
        return self.root / "figures" / f"{key}-{number}.png"

    def write_results(self, records: Iterable[Mapping[str, Any]]) -> None:
        """results.csv: tidy rows (claim, variant, seed, quantity, x, value, origin) of every task of the run."""
        frames = [
            pd.DataFrame(record["rows"]).assign(claim=record["claim"], variant=record["variant"])
            for record in records
        ]
        table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=list(RESULT_COLUMNS))
        atomic_write(self.root / "results.csv", table[list(RESULT_COLUMNS)].to_csv(index=False, float_format="%.17g"))

    def write_json(self, name: str, data: Any) -> None:
        atomic_write(self.root / name, json_text(data))

    def write_text(self, name: str, text: str) -> None:
        atomic_write(self.root / name, text)
