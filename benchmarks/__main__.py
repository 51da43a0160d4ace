"""`python -m benchmarks [--quick] [--json FILE] [--only NAME ...]`: print one JSON object of figures."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from benchmarks import run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer steps and repeats (same sizes)")
    parser.add_argument("--json", type=Path, help="also write the JSON object to this file")
    parser.add_argument("--only", nargs="+", default=(), help="benchmark function names to run")
    args = parser.parse_args(argv)
    text = json.dumps(run(quick=args.quick, only=args.only), indent=2)
    print(text)
    if args.json is not None:
        args.json.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
