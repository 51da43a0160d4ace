"""The `fpcheck` command line: a thin layer over the Python API (docs/design.md).

    fpcheck list [--json] [--claims PATH_OR_MODULE ...]
    fpcheck verify [CLAIM ...] [--profile quick|paper] [--seeds N] [--config FILE.toml] [--out DIR] [--json]
                   [--no-controls] [--quiet] [--workers N | --scheduler ADDRESS] [--device cpu|cuda]
                   [--claims PATH_OR_MODULE ...]
    fpcheck derive NAME [--activation tanh|logistic|relu] [--latex]
    fpcheck spectrum FILE [--kmax K] [--json]
    fpcheck monitor PREDICTIONS.npz [--method auto|dft|projection|filtering] [--out DIR] [--json] [options]
    fpcheck compare RUN_A RUN_B [--rtol R] [--atol A]

Exit status: 0 success (for verify: every verdict, and every control's, equals its expected verdict;
for compare: the runs agree), 1 when a verdict differs, 2 for bad input or a refusing environment (an
`fpcheck.FpcheckError`: one line on stderr, no traceback), 3 for a bug of ours: one line saying so and
naming the file that holds the traceback (`traceback.txt` in the run directory for verify, a temporary
file otherwise). A claim whose own code raises is not a bug of fpcheck: it is `inconclusive` with the
reason and the run goes on.
"""

from __future__ import annotations

import argparse
import errno
import json
import os
import sys
import tempfile
import traceback
from collections.abc import Sequence
from pathlib import Path

from fpcheck.errors import FpcheckError, one_line

EXIT_OK, EXIT_DIFFERS, EXIT_BAD_INPUT, EXIT_BUG = 0, 1, 2, 3


class BadInput(FpcheckError):
    """Raised by the parser instead of printing usage: the CLI reports it in one line."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2 (argparse would print the usage too)
        raise BadInput(f"{self.prog}: {message}")


def build_parser() -> argparse.ArgumentParser:
    from fpcheck.reports.derivations import DERIVATIONS

    parser = _Parser(prog="fpcheck", description="Verify F-Principle / spectral-bias claims against theory.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    listing = commands.add_parser("list", help="list the implemented claims")
    listing.add_argument("--json", action="store_true", help="print a JSON list of {id, source, statement, expected}")
    listing.add_argument("--claims", action="append", default=[], metavar="PATH_OR_MODULE",
                         help="also list the claims of this .py file or module (repeatable)")

    verify = commands.add_parser("verify", help="run claims and write a verification report")
    verify.add_argument("claims", nargs="*", metavar="CLAIM", help="claim ids (default: all)")
    verify.add_argument("--profile", default="quick", help="quick (default) or paper")
    verify.add_argument("--seeds", type=int, default=None, help="run seeds 0 … N-1 (default: each claim's own)")
    verify.add_argument("--config", default=None, help="TOML file of per-claim parameter overrides")
    verify.add_argument("--out", default=None, help="output directory (default: ./fpcheck-report)")
    verify.add_argument("--json", action="store_true", help="print the verdict table as JSON on stdout")
    verify.add_argument("--quiet", action="store_true", help="no progress bars, the run's or the trainings'")
    verify.add_argument("--no-controls", action="store_true", help="run the published settings only, not the controls")
    verify.add_argument("--workers", type=int, default=None, help="run on a Dask LocalCluster of N workers")
    verify.add_argument("--scheduler", default=None,
                        help="run on a running Dask cluster (tcp://HOST:PORT; default: $DASK_SCHEDULER_ADDRESS)")
    verify.add_argument("--device", default="cpu",
                        help="torch device of the experiments: cpu (default, the tested one) or cuda")
    verify.add_argument("--claims", action="append", default=[], dest="claims_from", metavar="PATH_OR_MODULE",
                        help="load claims written outside fpcheck from this .py file or module (repeatable)")

    monitor = commands.add_parser("monitor", help="judge the frequency order of saved predictions of your own run")
    monitor.add_argument("file", metavar="PREDICTIONS.npz",
                         help=".npz with inputs (n[, d]), targets (n[, c]), steps (T,), predictions (T, n[, c])")
    monitor.add_argument("--method", default="auto", help="auto (default), dft, projection or filtering")
    monitor.add_argument("--threshold", type=float, default=None, help="Δ_F level of a converged peak (0.1)")
    monitor.add_argument("--band-threshold", type=float, default=None,
                         help="a band converges below this fraction of its first error (0.5)")
    monitor.add_argument("--delta-ratios", type=float, nargs="+", default=None,
                         help="the filters' δ as fractions of the median squared distance (1 0.316 0.1 0.0316)")
    monitor.add_argument("--direction", type=float, nargs="+", default=None,
                         help="the projection's direction (default: the first principal direction)")
    monitor.add_argument("--fit-level", type=float, default=None,
                         help="largest final ‖h - y‖/‖y‖ of a fitted run (0.5)")
    monitor.add_argument("--name", default=None, help="the report's claim id is monitor.NAME (default: run)")
    monitor.add_argument("--out", default=None, help="output directory (default: ./fpcheck-monitor)")
    monitor.add_argument("--json", action="store_true", help="print the verdict row as JSON on stdout")

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
    args = None
    try:
        args = build_parser().parse_args(argv)
        code = _run(args)
        sys.stdout.flush()  # a full disk behind stdout shows here, not at the interpreter's exit
        return code
    except FpcheckError as error:  # bad input or a refusing environment
        message = str(error)
        print(message if message.startswith("fpcheck") else f"fpcheck: error: {message}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except BrokenPipeError:  # the reader went away (`fpcheck derive … | head`): not an error of ours
        _silence_stdout()
        return EXIT_OK
    except KeyboardInterrupt:
        print("fpcheck: interrupted; finished claims are kept and reused by the next run", file=sys.stderr)
        return 130
    except Exception as error:
        if isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
            _silence_stdout()  # a full disk behind stdout is the environment refusing, not a bug
            print(f"fpcheck: error: cannot write the output: {error.strerror}", file=sys.stderr)
            return EXIT_BAD_INPUT
        # a bug of ours: say so in one line and keep the traceback
        where = _write_traceback(args)
        print(f"fpcheck: internal error (a bug of fpcheck, not of your input): {type(error).__name__}: "
              f"{one_line(str(error))[:300]}; traceback written to {where}", file=sys.stderr)
        return EXIT_BUG


def _silence_stdout() -> None:
    """After a broken pipe, point stdout at /dev/null so that the interpreter's final flush is silent."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def _write_traceback(args: argparse.Namespace | None) -> str:
    """Write the current traceback to the run directory (verify) or a temporary file; return its path."""
    text = traceback.format_exc()
    if args is not None and getattr(args, "command", None) == "verify":
        from fpcheck.reports.verification import DEFAULT_OUT

        directory = Path(args.out if args.out is not None else DEFAULT_OUT)
        try:
            path = directory / "traceback.txt"
            if directory.is_dir():
                path.write_text(text, encoding="utf-8")
                return str(path)
        except OSError:
            pass
    descriptor, name = tempfile.mkstemp(prefix="fpcheck-traceback-", suffix=".txt")
    with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
        stream.write(text)
    return name


def _run(args: argparse.Namespace) -> int:
    if args.command == "list":
        return _list(args.json, args.claims)
    if args.command == "monitor":
        return _monitor(args)
    if args.command == "verify":
        return _verify(args)
    if args.command == "derive":
        from fpcheck.reports.derivations import render

        print(render(args.name, activation=args.activation, latex=args.latex))
        return EXIT_OK
    if args.command == "spectrum":
        from fpcheck.reports.spectrum_file import format_summary, summarise

        summary = summarise(args.file, kmax=args.kmax)
        print(json.dumps(summary, indent=2) if args.json else format_summary(summary))
        return EXIT_OK
    if args.command == "compare":
        from fpcheck.reports.compare import compare_runs, format_comparison

        comparison = compare_runs(args.run_a, args.run_b, rtol=args.rtol, atol=args.atol)
        print(format_comparison(comparison))
        return EXIT_OK if comparison.agree else EXIT_DIFFERS
    raise BadInput(f"fpcheck: unknown command {args.command}")


def _monitor(args: argparse.Namespace) -> int:
    from fpcheck.monitor import monitor_file
    from fpcheck.reports.run_store import json_text

    result = monitor_file(args.file, args.method, threshold=args.threshold, band_threshold=args.band_threshold,
                          delta_ratios=args.delta_ratios, direction=args.direction, fit_level=args.fit_level,
                          name=args.name)
    out = result.write_report(args.out if args.out is not None else "fpcheck-monitor")
    if args.json:
        print(json_text({key: result.record["verdict"][key] for key in
                         ("claim", "verdict", "margin", "explanation", "null_pass_probability")}), end="")
    print(f"fpcheck: {result.claim.id}: {result.verdict} (margin {result.margin:+.3g}, null "
          f"{result.null_pass_probability if result.null_pass_probability is not None else 'n/a'}): "
          f"{result.explanation}; report: {out}/report.html", file=sys.stderr)
    return EXIT_OK if result.verdict == "agree" else EXIT_DIFFERS


def _list(as_json: bool, external: Sequence[str] = ()) -> int:
    from fpcheck.reports.catalogue import claims, load_external

    for spec in external:
        load_external(spec)

    entries = [
        {"id": claim.id, "version": claim.version, "source": claim.source, "statement": claim.statement,
         "expected": claim.expected, "controls": [control.name for control in claim.controls],
         "origin": claim.origin}
        for claim in claims().values()
    ]
    if as_json:
        print(json.dumps(entries, indent=2))
        return EXIT_OK
    for entry in entries:
        origin = "" if entry["origin"] == "built-in" else f"  (from {entry['origin']})"
        controls = ", ".join(entry["controls"]) or "none"
        print(f"{entry['id']}  [expected: {entry['expected']}; controls: {controls}]{origin}\n    {entry['source']}\n"
              f"    {entry['statement']}")
    return EXIT_OK


def _verify(args: argparse.Namespace) -> int:
    from fpcheck.reports.run_store import json_text
    from fpcheck.reports.verification import DEFAULT_OUT, verify

    out = args.out if args.out is not None else DEFAULT_OUT
    table = verify(args.claims or None, profile=args.profile, seeds=args.seeds, config=args.config,
                   claims_from=args.claims_from,
                   out=out, progress=not args.quiet, workers=args.workers, scheduler=args.scheduler,
                   controls=not args.no_controls, device=args.device)
    if args.json:
        rows = table.assign(spread=[[low, high] for low, high in zip(table["spread_low"], table["spread_high"],
                                                                      strict=True)])
        extra = ["spread_low", "spread_high", "source", "as_expected"]
        print(json_text(rows.drop(columns=extra).to_dict("records")), end="")  # the rows of verdicts.json
    differing = table[~table["as_expected"]]
    for row in differing.to_dict("records"):
        missed = "".join(f"; control {control['name']}: verdict {control['verdict']}, expected {control['expected']}"
                         for control in row["controls"] if control["verdict"] != control["expected"])
        print(f"fpcheck: {row['claim']}: verdict {row['verdict']}, expected {row['expected']}{missed}", file=sys.stderr)
    print(f"fpcheck: {len(table) - len(differing)}/{len(table)} claims as expected (verdicts and controls); "
          f"report: {out}/report.html",
          file=sys.stderr)
    return EXIT_OK if differing.empty else EXIT_DIFFERS


if __name__ == "__main__":
    sys.exit(main())
