"""Command line: ``neuroimmune-stats report [DIR] [--participants F ...] [-o report.html]``.

Exit codes: 0 ok, 2 bad input (the validator's message, no traceback).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence

from ._version import __version__
from .exceptions import NeuroimmuneStatsError


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="neuroimmune-stats", description=__doc__.splitlines()[0])
    p.add_argument("--version", action="version", version=f"neuroimmune_stats {__version__}")
    sub = p.add_subparsers(dest="command", required=True)
    r = sub.add_parser("report", help="write the HTML report of a site's exports (or the bundled example)")
    r.add_argument("directory", nargs="?", help="folder with participants/suvr/connectivity/questionnaires CSV/TSV")
    for table in ("participants", "suvr", "connectivity", "questionnaires"):
        r.add_argument(f"--{table}", metavar="FILE", help=f"the {table} export")
    r.add_argument("-o", "--output", default="report.html", help="output HTML file (default: report.html)")
    r.add_argument("--config", metavar="study.toml", help="study file naming ROIs, variables and covariates")
    r.add_argument("--seed", type=int, help="root seed for every resampling step")
    r.add_argument("--quiet", action="store_true", help="no progress bar")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``neuroimmune-stats`` console command."""
    args = _parser().parse_args(argv)
    if args.command == "report":
        from .report import build_report

        t0 = time.perf_counter()
        try:
            out = build_report(
                directory=args.directory, participants=args.participants, suvr=args.suvr,
                connectivity=args.connectivity, questionnaires=args.questionnaires,
                output=args.output, config=args.config, seed=args.seed,
                progress=False if args.quiet else None,
            )
        except (NeuroimmuneStatsError, OSError) as exc:
            print(f"neuroimmune-stats: error: {exc}", file=sys.stderr)
            return 2
        print(f"Report written to {out.resolve()} ({time.perf_counter() - t0:.1f} s)")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
