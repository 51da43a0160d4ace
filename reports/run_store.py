"""A run directory (DESIGN.md, "A verification run"): finished claims, results and the report files.

Each finished claim is kept as `claims/<id>.json` (its task record); every file is written to a
temporary name and renamed, so an interrupted run never leaves a partial file that could be read as
finished. A run started again on the same directory reuses a claim whose record has the same config
hash. A corrupt record or `verdicts.json` is bad input (`RunDirError`); nothing already written is
overwritten or deleted then.
"""

from __future__ import annotations

import base64
import json
import os
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from reports.claim import TIDY_COLUMNS


class RunDirError(ValueError):
    """An output directory that cannot be used (a file, unwritable, or holding corrupt results)."""


def atomic_write(path: Path, data: bytes | str) -> None:
    """Write `data` to `path` through a temporary file in the same directory and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(payload)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


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


class RunStore:
    """The output directory of `fpcheck verify`, validated on opening."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        if self.root.exists() and not self.root.is_dir():
            raise RunDirError(f"--out {self.root} is a file, not a directory")
        try:
            (self.root / "claims").mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=self.root, prefix=".write-test-"):
                pass
        except OSError as error:
            raise RunDirError(f"--out {self.root} is not writable: {error.strerror or error}") from None
        verdicts = self.root / "verdicts.json"
        if verdicts.exists():
            try:
                content = json.loads(verdicts.read_text(encoding="utf-8"))
            except (json.JSONDecodeError, UnicodeDecodeError) as error:
                raise RunDirError(f"{verdicts} is corrupt ({error}); move it away or choose another --out") from None
            if not isinstance(content, list):
                raise RunDirError(
                    f"{verdicts} is corrupt (not a list of verdicts); move it away or choose another --out"
                )

    def record_path(self, claim_id: str) -> Path:
        return self.root / "claims" / f"{claim_id}.json"

    def finished(self, claim_id: str, config_hash: str) -> dict[str, Any] | None:
        """The record of a claim finished earlier with the same config hash, else None."""
        path = self.record_path(claim_id)
        if not path.exists():
            return None
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
            stored_hash = record["hash"]
        except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError) as error:
            raise RunDirError(f"{path} is corrupt ({error}); move it away or choose another --out") from None
        return record if stored_hash == config_hash else None

    def save(self, record: Mapping[str, Any]) -> None:
        """Keep a finished claim (NaN kept as NaN: records are read back by Python only)."""
        atomic_write(self.record_path(record["claim"]), json.dumps(record) + "\n")
        for number, png in enumerate(record["figures"], start=1):
            atomic_write(self.figure_path(record["claim"], number), base64.b64decode(png))

    def figure_path(self, claim_id: str, number: int) -> Path:
        return self.root / "figures" / f"{claim_id}-{number}.png"

    def write_results(self, records: Iterable[Mapping[str, Any]]) -> None:
        """results.csv: tidy rows (claim, seed, quantity, x, value) of every claim of the run."""
        frames = [
            pd.DataFrame(record["rows"], columns=list(TIDY_COLUMNS)).assign(claim=record["claim"])
            for record in records
        ]
        table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["claim", *TIDY_COLUMNS])
        table = table[["claim", *TIDY_COLUMNS]]
        atomic_write(self.root / "results.csv", table.to_csv(index=False, float_format="%.17g"))

    def write_json(self, name: str, data: Any) -> None:
        atomic_write(self.root / name, json_text(data))

    def write_text(self, name: str, text: str) -> None:
        atomic_write(self.root / name, text)
