"""Command line: ``neuroimmune-stats report [DIR] [--participants F ...] [-o report.html] [--strict]``.

Exit codes: 0 the report was written; 2 bad input, a bad study file or output path, or — with
``--strict`` — any unused file, skipped analysis or unmatched subject (the report is still written);
130 interrupted. Errors are printed as one message, never as a traceback; every skipped analysis is
named on stderr with its reason.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
import warnings
from collections.abc import Sequence

from ._version import __version__
from .exceptions import NeuroimmuneStatsError

PROG = "neuroimmune-stats"


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=PROG, description=(__doc__ or "").splitlines()[0])
    p.add_argument("--version", action="version", version=f"neuroimmune_stats {__version__}")
    sub = p.add_subparsers(dest="command", required=True)
    r = sub.add_parser("report", help="write the HTML report of a site's exports (or the bundled example)")
    r.add_argument("directory", nargs="?", help="folder with the exports; tables are found by name and by content")
    for table in ("participants", "suvr", "connectivity", "questionnaires"):
        r.add_argument(f"--{table}", metavar="FILE", help=f"the {table} export")
    r.add_argument("-o", "--output", default="report.html", help="output HTML file (default: report.html)")
    r.add_argument("--config", metavar="study.toml", help="study file naming ROIs, variables and covariates")
    r.add_argument("--seed", type=int, help="root seed for every resampling step")
    r.add_argument("-j", "--jobs", type=int, metavar="N", help="workers for the resampling steps (same numbers)")
    r.add_argument("--strict", action="store_true",
                   help="exit 2 when a file is unused, an analysis is skipped or a subject is unmatched")
    r.add_argument("--quiet", action="store_true", help="no progress bar (skips are still named on stderr)")
    r.add_argument("-v", "--verbose", action="store_true", help="print the time of every section")
    return p


def _say(text: str) -> None:
    print(f"{PROG}: {text}", file=sys.stderr)


def _warnings_before(caught: list[warnings.WarningMessage]) -> list[str]:
    return list(dict.fromkeys(str(w.message) for w in caught))


def _report(args: argparse.Namespace) -> int:
    from .report import run_report

    t0 = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            run = run_report(
                directory=args.directory, participants=args.participants, suvr=args.suvr,
                connectivity=args.connectivity, questionnaires=args.questionnaires,
                output=args.output, config=args.config, seed=args.seed, n_jobs=args.jobs,
                progress=False if (args.quiet or args.verbose) else None,
            )
        except (NeuroimmuneStatsError, OSError) as exc:
            for text in _warnings_before(caught):
                _say(f"warning: {text}")
            msg = str(exc) if not isinstance(exc, OSError) or not exc.strerror else (
                f"{exc.strerror}: {exc.filename}" if exc.filename else exc.strerror)
            _say(f"error: {msg}")
            return 2
    elapsed = time.perf_counter() - t0
    # skips, unused files and unmatched subjects are always said, --quiet or not
    for s in run.skipped:
        _say(f"skipped: {s}")
    for f in run.unused_files:
        _say(f"unused file: {f}")
    for table, ids in run.unmatched.items():
        shown = ", ".join(ids[:10]) + (f" and {len(ids) - 10} more" if len(ids) > 10 else "")
        _say(f"unmatched subjects ({table}): {shown}")
    if args.verbose:
        for text in run.warnings:
            _say(f"warning: {text}")
        _say("time per step (s, wall/CPU): " + ", ".join(
            f"{k} {v:.2f}/{run.cpu_timings.get(k, float('nan')):.2f}" for k, v in run.timings.items()))
    print(f"Report written to {run.path.resolve()} ({elapsed:.1f} s)")
    if args.strict and run.problems:
        _say(f"--strict: {len(run.problems)} problem(s): " + "; ".join(run.problems))
        return 2
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``neuroimmune-stats`` console command."""
    args = _parser().parse_args(argv)
    if getattr(args, "verbose", False):  # the package's own log only, not every library's
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter(f"{PROG}: %(message)s"))
        pkg = logging.getLogger("neuroimmune_stats")
        pkg.addHandler(handler)
        pkg.setLevel(logging.INFO)
    try:
        if args.command == "report":
            return _report(args)
    except KeyboardInterrupt:
        _say("interrupted")
        return 130
    except Exception as exc:  # never a traceback on the command line
        _say(f"error: {type(exc).__name__}: {exc} (an error inside neuroimmune_stats; please report it)")
        return 2
    return 0


def run() -> None:
    """The console command: :func:`main`, then exit without tearing the interpreter down.

    By then the report is written and closed, the second process of the report is joined and the
    log is flushed; what is left is freeing the heap of the libraries the analyses loaded (SciPy,
    matplotlib, scikit-learn: about 0.8 s of a report's run), which the operating system does at
    once. ``main`` itself returns normally (tests and scripts call it).
    """
    code = main()
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":  # pragma: no cover
    run()
