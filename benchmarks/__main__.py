"""Run the benchmarks: ``python -m benchmarks [--episodes N] [--rows N] [--budget-mb N]``."""

from __future__ import annotations

import argparse
import sys

from benchmarks import default_suite, expectation_batching


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--episodes", type=int, default=1000, help="number of episode files to generate")
    parser.add_argument("--rows", type=int, default=300, help="rows per episode (10 s at 30 fps by default)")
    parser.add_argument("--budget-mb", type=int, default=256, help="memory budget of one batch, in MB of Arrow buffers")
    parser.add_argument("--small-budget-mb", type=int, default=8, help="budget of the extra batched run, in MB")
    parser.add_argument("--only", choices=["batching", "suite"], help="run one benchmark instead of both")
    args = parser.parse_args()
    code = 0
    if args.only in (None, "suite"):
        code |= default_suite.main(args.episodes, args.rows)
    if args.only in (None, "batching"):
        code |= expectation_batching.main(args.episodes, args.rows, args.budget_mb, args.small_budget_mb)
    return code


if __name__ == "__main__":
    sys.exit(main())
