"""The reference paper run in `reference/paper/`: every claim at its published size, run on our 2-core machine
and kept in the repository, so that `fpcheck compare MY_RUN reference/paper` is a reproducibility check.

Layout. `claims/<key>.json` are the records a run writes (`fpcheck.reports.run_store`), with their figures
removed (`"figures": []`) to keep them small; `verdicts.json`, `results.csv`, `report.md` and
`provenance.json` are those of `fpcheck verify --profile paper --out reference/paper` over the claims whose
records are all present (it trains nothing: every task is reused); `README.md` is the table this module
renders; `STALE` lists, one per line as `key: reason`, the records known to be out of date.

Staleness is per claim-variant: a record is stale when its config hash differs from the hash of the paper
task the catalogue plans today (`fpcheck.reports.task.plan`: claim version, setup, seeds, threads). A test in CI
fails on a stale record that STALE does not list; the README shows stale and missing ones as pending.
`fpcheck verify --profile paper --out reference/paper` recomputes exactly the stale and missing ones (a
finished task is reused only on a matching hash), then `python -m fpcheck.reports.reference add
reference/paper` strips their figures.

    python -m fpcheck.reports.reference add RUN_DIR [--reference reference/paper]  # copy, then results and readme
    python -m fpcheck.reports.reference results [--reference reference/paper]      # verdicts.json, results.csv, ...
    python -m fpcheck.reports.reference readme [--reference reference/paper]       # rewrite README.md

`results.csv`, `report.html` and `figures/` are not committed (`.gitignore`): `results` writes them from the
committed records, training nothing, before a `fpcheck compare`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from fpcheck.errors import FpcheckError, RunDirError
from fpcheck.reports.catalogue import BUILT_IN, claims
from fpcheck.reports.profiles import PROFILES
from fpcheck.reports.run_store import atomic_write, json_text, read_json_file, record_problem
from fpcheck.reports.stage import plan_stages
from fpcheck.reports.task import Task, name_key, plan

DEFAULT = Path("reference/paper")
PROFILE = "paper"


@dataclass(frozen=True)
class Entry:
    """One claim-variant of the catalogue against the reference: `state` is "current", "stale" (hash
    differs, not listed), "listed" (stale and listed in STALE, with its reason) or "missing"."""

    key: str
    claim: str
    variant: str
    state: str
    reason: str = ""
    record: dict | None = None


def paper_tasks() -> list[Task]:
    """Every built-in claim-variant's paper tasks (one per seed batch), in catalogue order."""
    threads = PROFILES[PROFILE].torch_threads
    return [task for claim in claims().values() if claim.origin == BUILT_IN for task in plan(claim, PROFILE, threads)]


def planned_hashes() -> dict[str, tuple[str, str, str]]:
    """key → (claim id, variant, config hash) of every built-in claim-variant's paper task."""
    return {task.key: (task.claim_id, task.variant, task.config_hash) for task in paper_tasks()}


@dataclass(frozen=True)
class PlannedSteps:
    """The paper profile's planned network-steps (`Setup.planned_network_steps`): per claim-variant as if it
    trained alone, and the profile's total without and with its shared experiments (`fpcheck.reports.stage`:
    each trained once)."""

    per_key: dict[str, int]
    family: dict[str, str]
    """Each claim-variant's setup family (`Setup.family`)."""
    stages: tuple[tuple[frozenset[str], int], ...]
    """Each shared experiment: the keys of its consumers and its steps."""

    def own(self, keys: Iterable[str]) -> dict[str, int]:
        """The planned steps of each of the claim-variants `keys`, a shared experiment among them counted for the
        first of its consumers (in catalogue order) only."""
        wanted = set(keys)
        chosen = [key for key in self.per_key if key in wanted]
        out = {key: self.per_key[key] for key in chosen}
        for consumers, steps in self.stages:
            for key in [key for key in chosen if key in consumers][1:]:
                out[key] -= steps
        return out

    def total(self, keys: Iterable[str]) -> int:
        """The planned steps of the claim-variants `keys`, each shared experiment among them counted once."""
        return sum(self.own(keys).values())


def planned_steps() -> PlannedSteps:
    tasks = paper_tasks()
    per_key: dict[str, int] = {}
    for task in tasks:
        per_key[task.key] = per_key.get(task.key, 0) + task.setup.override(
            {"seeds": len(task.batch_seeds)}).planned_network_steps()
    stages = {stage.hash: stage for stage in plan_stages(tasks).values()}
    shared = tuple((frozenset(name_key(name) for name in stage.consumers),
                    stage.setup.override({"seeds": len(stage.seeds)}).planned_network_steps())
                   for stage in stages.values())
    return PlannedSteps(per_key, {task.key: task.setup.family for task in tasks}, shared)


def listed_stale(root: Path) -> dict[str, str]:
    """STALE's `key: reason` lines (blank lines and lines starting with # skipped); RunDirError if malformed."""
    path = root / "STALE"
    if not path.exists():
        return {}
    listed = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        key, separator, reason = line.partition(":")
        if not separator or not key.strip() or not reason.strip():
            raise RunDirError(f"{path}:{number}: expected 'key: reason', not {line!r}")
        listed[key.strip()] = reason.strip()
    return listed


def read_record(path: Path) -> dict:
    """A reference record, schema-checked like a run's (RunDirError naming the file if it is not one)."""
    record = read_json_file(path, "reference record")
    problem = record_problem(record)
    if problem is not None:
        raise RunDirError(f"{path} is corrupt ({problem})")
    return record


def entries(root: Path = DEFAULT) -> list[Entry]:
    """Every built-in claim-variant's state in the reference at `root` (module doc), in catalogue order; a
    record of a claim-variant the catalogue no longer plans is RunDirError."""
    planned, listed = planned_hashes(), listed_stale(root)
    found = {path.stem: path for path in sorted((root / "claims").glob("*.json"))}
    unknown = sorted(set(found) - set(planned))
    if unknown:
        raise RunDirError(f"{root}/claims holds records of no planned claim-variant: {', '.join(unknown)}")
    out = []
    for key, (claim_id, variant, config_hash) in planned.items():
        if key not in found:
            out.append(Entry(key, claim_id, variant, "missing"))
            continue
        record = read_record(found[key])
        if record["hash"] == config_hash:
            out.append(Entry(key, claim_id, variant, "current", record=record))
        elif key in listed:
            out.append(Entry(key, claim_id, variant, "listed", listed[key], record))
        else:
            out.append(Entry(key, claim_id, variant, "stale", f"record hash {record['hash']}, planned {config_hash}",
                             record))
    return out


def add(run_dir: Path, root: Path = DEFAULT) -> list[str]:
    """Copy every paper record of `run_dir`/claims into `root`/claims without its figures; returns the keys."""
    planned = planned_hashes()
    copied = []
    for path in sorted((run_dir / "claims").glob("*.json")):
        record = read_record(path)
        if record["profile"] != PROFILE or path.stem not in planned:
            continue
        target = root / "claims" / path.name
        target.parent.mkdir(parents=True, exist_ok=True)
        if path.resolve() != target.resolve() or record["figures"]:
            atomic_write(target, json_text({**record, "figures": []}))
        copied.append(path.stem)
    return copied


def complete_claims(root: Path = DEFAULT) -> list[str]:
    """The claims whose every variant has a current record: those `verdicts.json` can cover without training (a
    listed stale record is pending: a run would recompute it)."""
    by_claim: dict[str, list[Entry]] = {}
    for entry in entries(root):
        by_claim.setdefault(entry.claim, []).append(entry)
    return [claim for claim, rows in by_claim.items() if all(row.state == "current" for row in rows)]


def write_results(root: Path = DEFAULT) -> list[str]:
    """verdicts.json, results.csv, the report and provenance.json over the complete claims, from their records
    (`fpcheck.verify` reuses every task: nothing trains); returns those claims."""
    from fpcheck.reports.verification import verify

    complete = complete_claims(root)
    if complete:
        verify(complete, profile=PROFILE, out=root, progress=False)
    return complete


def render_readme(root: Path = DEFAULT) -> str:
    """The reference's README: how it was made, and per claim-variant its verdict, the expected one and the
    wall time, or why it is pending."""
    rows = entries(root)
    done = [row for row in rows if row.state == "current"]
    shared = {entry["hash"]: entry for row in done for entry in row.record.get("experiments", [])}
    wall = sum(float(row.record["wall_s"]) for row in done) + sum(float(entry["wall_s"]) for entry in shared.values())
    planned = planned_steps()
    pending = planned.own(row.key for row in rows if row.state != "current")
    hours, sources = estimate(done, planned, pending)
    lines = [
        "# The reference paper run",
        "",
        "Every claim of the catalogue at its published size (`fpcheck verify --profile paper`), run on a shared "
        "2-core machine without GPU and kept here, so that",
        "",
        "```bash",
        ".venv/bin/fpcheck verify --profile paper --out my-paper-run",
        ".venv/bin/fpcheck compare my-paper-run reference/paper --rtol 1e-6 --atol 1e-12",
        "```",
        "",
        "is a reproducibility check (bit-identical on the same machine with the same seeds; elsewhere within the "
        "tolerances). This file is generated by `python -m fpcheck.reports.reference readme`; the records are "
        "`claims/<key>.json` without their figures. A record whose config hash differs from the catalogue's "
        "paper task is stale: `tests/test_reference.py` fails on it unless `STALE` lists it with a reason, and "
        "`fpcheck verify --profile paper --out reference/paper` recomputes only the stale and missing ones.",
        "",
        f"{len(done)} of {len(rows)} claim-variants current; their tasks took {wall / 3600:.2f} h of wall time in "
        "all (one task at a time, two torch threads, on a machine shared with other work).",
        "",
        "Network-steps count the updates of single networks the training engine made (n/a: a record written "
        "before the count existed); the planned ones are each setup's `planned_network_steps()` (a test checks "
        "them against every count below). A claim-variant that used a shared experiment (trained once for two "
        "claims, `fpcheck.reports.stage`) trained nothing itself: its count is 0, and the shared run's steps and "
        "time are counted once in the totals.",
        "",
        f"Planned for the whole paper profile: {sum(planned.per_key.values()):,} network-steps if every "
        f"claim-variant trained alone, {planned.total(planned.per_key):,} with the shared experiments; "
        f"{sum(pending.values()):,} of them pending. Estimate of the pending part, each claim-variant's planned steps "
        "at the measured wall time per network-step of a current record of the same claim (a shared run's time "
        f"included), else the median of its setup family's, else the median of all ({sources['claim']:,}, "
        f"{sources['family']:,} and {sources['median']:,} of the pending steps): {hours:.1f} h (the claim-variants "
        "that train nothing through the engine are left out).",
        "",
        "| claim-variant | expected | verdict | seeds | wall (min) | network-steps | planned | state |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        if row.record is None:
            lines.append(f"| `{row.key}` | | | | | | {planned.per_key[row.key]:,} | pending (not run yet) |")
            continue
        verdict = row.record["verdict"]
        state = {"current": "current", "listed": f"pending (stale: {row.reason})",
                 "stale": f"pending (stale, not listed: {row.reason})"}[row.state]
        steps = row.record.get("network_steps")
        counted = "n/a" if steps is None else f"{steps:,}"
        for entry in row.record.get("experiments", []):
            counted += f" (shared run {entry['hash']}: {entry['network_steps']:,} in {entry['wall_s'] / 60:.1f} min)"
        lines.append(f"| `{row.key}` | {verdict['expected']} | {verdict['verdict']} | {len(row.record['seeds'])} | "
                     f"{float(row.record['wall_s']) / 60:.1f} | {counted} | {planned.per_key[row.key]:,} | {state} |")
    return "\n".join(lines) + "\n"


def _median(values: list[float]) -> float:
    return sorted(values)[len(values) // 2]


def estimate(done: list[Entry], planned: PlannedSteps, pending: dict[str, int]) -> tuple[float, dict[str, int]]:
    """Hours for the `pending` steps (module doc of `render_readme`) and how many steps each source of rate priced."""
    rates = {}
    for row in done:  # a record that used a shared run: its own time and the shared run's, over the latter's steps
        shared = row.record.get("experiments", [])
        steps = (row.record.get("network_steps") or 0) + sum(entry["network_steps"] for entry in shared)
        if steps:
            rates[row.key] = (float(row.record["wall_s"]) + sum(float(entry["wall_s"]) for entry in shared)) / steps
    by_claim = {row.claim: rates[row.key] for row in done if row.key in rates}
    families: dict[str, list[float]] = {}
    for key, rate in rates.items():
        families.setdefault(planned.family[key], []).append(rate)
    by_family = {family: _median(values) for family, values in families.items()}
    median = _median(list(rates.values())) if rates else 0.0
    seconds, sources = 0.0, {"claim": 0, "family": 0, "median": 0}
    for key, steps in pending.items():
        claim = key.split("@")[0]
        source = "claim" if claim in by_claim else "family" if planned.family[key] in by_family else "median"
        rate = {"claim": by_claim.get(claim), "family": by_family.get(planned.family[key]), "median": median}[source]
        seconds += steps * rate
        sources[source] += steps
    return seconds / 3600, sources


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fpcheck.reports.reference", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    adding = commands.add_parser("add", help="copy a run directory's paper records without their figures")
    adding.add_argument("run_dir", type=Path)
    results = commands.add_parser("results", help="write verdicts.json, results.csv and the report (trains nothing)")
    readme = commands.add_parser("readme", help="rewrite the reference's README.md")
    for command in (adding, results, readme):
        command.add_argument("--reference", type=Path, default=DEFAULT)
    args = parser.parse_args(argv)
    try:
        if args.command == "add":
            print(f"copied {len(add(args.run_dir, args.reference))} records into {args.reference}/claims")
        if args.command in ("add", "results"):
            print(f"results of {len(write_results(args.reference))} complete claims in {args.reference}")
        atomic_write(args.reference / "README.md", render_readme(args.reference))
    except FpcheckError as error:
        print(f"fpcheck reference: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
