"""The `fpcheck` command line: a thin layer over the Python API (DESIGN.md).

    fpcheck list [--json]
    fpcheck verify [CLAIM ...] [--profile quick|paper] [--seeds N] [--config FILE.toml] [--out DIR] [--json]
    fpcheck derive NAME [--activation tanh|logistic|relu] [--latex]
    fpcheck spectrum FILE [--kmax K] [--json]
    fpcheck compare RUN_A RUN_B [--rtol R] [--atol A]

Exit status: 0 success (for verify: every verdict equals its expected verdict), 1 when a verdict
differs, 2 for bad input, with a one-line message on stderr and no traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

EXIT_OK, EXIT_DIFFERS, EXIT_BAD_INPUT = 0, 1, 2


class BadInput(Exception):
    """Raised by the parser instead of printing usage: the CLI reports it in one line."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2 (argparse would print the usage too)
        raise BadInput(f"{self.prog}: {message}")


def build_parser() -> argparse.ArgumentParser:
    from reports.derivations import DERIVATIONS

    parser = _Parser(prog="fpcheck", description="Verify F-Principle / spectral-bias claims against theory.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    listing = commands.add_parser("list", help="list the implemented claims")
    listing.add_argument("--json", action="store_true", help="print a JSON list of {id, source, statement, expected}")

    verify = commands.add_parser("verify", help="run claims and write a verification report")
    verify.add_argument("claims", nargs="*", metavar="CLAIM", help="claim ids (default: all)")
    verify.add_argument("--profile", default="quick", help="quick (default) or paper")
    verify.add_argument("--seeds", type=int, default=None, help="run seeds 0 … N-1 (default: each claim's own)")
    verify.add_argument("--config", default=None, help="TOML file of per-claim parameter overrides")
    verify.add_argument("--out", default=None, help="output directory (default: ./fpcheck-report)")
    verify.add_argument("--json", action="store_true", help="print the verdict table as JSON on stdout")
    verify.add_argument("--quiet", action="store_true", help="no progress bars, the run's or the trainings'")
    verify.add_argument("--workers", type=int, default=None, help="run on a Dask LocalCluster of N workers")
    verify.add_argument("--scheduler", default=None,
                        help="run on a running Dask cluster (tcp://HOST:PORT; default: $DASK_SCHEDULER_ADDRESS)")

    derive = commands.add_parser("derive", help="print a symbolic derivation of theory/",
                                 description=f"names: {', '.join(DERIVATIONS)}")
    derive.add_argument("name", choices=sorted(DERIVATIONS), metavar="NAME",
                        help=f"one of: {', '.join(DERIVATIONS)}")
    derive.add_argument("--activation", default=None,
                        help="sigmoid-gradient: tanh (default) or logistic; three-stages: tanh, logistic or relu")
    derive.add_argument("--latex", action="store_true", help="print LaTeX instead of plain text")

    spectrum = commands.add_parser("spectrum", help="exact Fourier spectrum of your own 1D ReLU network")
    spectrum.add_argument("file", help=".npz with W0, b0, W1, b1, … or a torch state_dict of Linear layers")
    spectrum.add_argument("--kmax", type=int, default=64, help="largest frequency k (default 64)")
    spectrum.add_argument("--json", action="store_true", help="print the numbers as JSON")

    compare = commands.add_parser("compare", help="compare two run directories number by number")
    compare.add_argument("run_a", metavar="RUN_A")
    compare.add_argument("run_b", metavar="RUN_B")
    compare.add_argument("--rtol", type=float, default=1e-6, help="relative tolerance (default 1e-6)")
    compare.add_argument("--atol", type=float, default=1e-12, help="absolute tolerance (default 1e-12)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        return _run(build_parser().parse_args(argv))
    except BadInput as error:
        print(error, file=sys.stderr)
        return EXIT_BAD_INPUT
    except ValueError as error:  # bad input found by the API (unknown claim, bad config, NaN weights...)
        print(f"fpcheck: error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except BrokenPipeError:  # the reader went away (`fpcheck derive … | head`): not an error of ours
        sys.stderr.close()
        return EXIT_OK
    except KeyboardInterrupt:
        print("fpcheck: interrupted; finished claims are kept and reused by the next run", file=sys.stderr)
        return 130


def _run(args: argparse.Namespace) -> int:
    if args.command == "list":
        return _list(args.json)
    if args.command == "verify":
        return _verify(args)
    if args.command == "derive":
        from reports.derivations import render

        print(render(args.name, activation=args.activation, latex=args.latex))
        return EXIT_OK
    if args.command == "spectrum":
        from reports.spectrum_file import format_summary, summarise

        summary = summarise(args.file, kmax=args.kmax)
        print(json.dumps(summary, indent=2) if args.json else format_summary(summary))
        return EXIT_OK
    if args.command == "compare":
        from reports.compare import compare_runs, format_comparison

        comparison = compare_runs(args.run_a, args.run_b, rtol=args.rtol, atol=args.atol)
        print(format_comparison(comparison))
        return EXIT_OK if comparison.agree else EXIT_DIFFERS
    raise BadInput(f"fpcheck: unknown command {args.command}")


def _list(as_json: bool) -> int:
    from reports.catalogue import claims

    entries = [
        {"id": claim.id, "source": claim.source, "statement": claim.statement, "expected": claim.expected}
        for claim in claims().values()
    ]
    if as_json:
        print(json.dumps(entries, indent=2, ensure_ascii=False))
        return EXIT_OK
    for entry in entries:
        print(f"{entry['id']}  [expected: {entry['expected']}]\n    {entry['source']}\n    {entry['statement']}")
    return EXIT_OK


def _verify(args: argparse.Namespace) -> int:
    from reports.run_store import json_text
    from reports.verification import DEFAULT_OUT, VERDICT_KEYS, verify

    out = args.out if args.out is not None else DEFAULT_OUT
    table = verify(args.claims or None, profile=args.profile, seeds=args.seeds, config=args.config,
                   out=out, progress=not args.quiet, workers=args.workers, scheduler=args.scheduler)
    if args.json:
        rows = table.assign(spread=list(zip(table["spread_low"], table["spread_high"], strict=True)))
        print(json_text([{key: row[key] for key in VERDICT_KEYS} for row in rows.to_dict("records")]), end="")
    differing = table[~table["as_expected"]]
    for row in differing.itertuples():
        print(f"fpcheck: {row.claim}: verdict {row.verdict}, expected {row.expected}", file=sys.stderr)
    print(f"fpcheck: {len(table) - len(differing)}/{len(table)} verdicts as expected; report: {out}/report.html",
          file=sys.stderr)
    return EXIT_OK if differing.empty else EXIT_DIFFERS


if __name__ == "__main__":
    sys.exit(main())
