"""One runner for every benchmark: `make bench` (or `python benchmarks/run.py [--quick] [--only NAME]`).

Builds the data once per job family, checks that ours and each peer agree on the point estimates
before timing them (a fast wrong answer fails), times medians over repeats in-process, times the
import and the whole report as separate processes, and writes a markdown table with the ratios
(ours / peer) and the versions to benchmarks/results.md.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.metadata as md
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _timing import to_markdown  # noqa: E402

FAMILIES = ("bench_models", "bench_mediation", "bench_moderation", "bench_bayes", "bench_classify", "bench_power",
            "bench_harmonize", "bench_missing", "bench_read_cohort")
PACKAGES = ("neuroimmune-stats", "numpy", "scipy", "pandas", "statsmodels", "scikit-learn", "pymc", "arviz",
            "pingouin", "nilearn", "PyProcessMacro", "bambi", "neuroCombat", "nutpie", "joblib", "dask")


def _version(pkg: str) -> str:
    try:
        return md.version(pkg)
    except md.PackageNotFoundError:
        return "not installed"


def _process_time(code: str, repeats: int = 7) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def import_rows() -> list[dict]:
    """Whole-process import time of the package against its peers (interpreter start subtracted)."""
    base = _process_time("pass")
    rows = []
    ours = _process_time("import neuroimmune_stats") - base
    rows.append({"job": "import (whole process, minus bare interpreter)", "impl": "neuroimmune_stats",
                 "median_s": ours, "ratio": 1.0, "note": ""})
    for peer, code in (("pingouin", "import pingouin"), ("statsmodels.api", "import statsmodels.api"),
                       ("pymc", "import pymc")):
        try:
            t = _process_time(code, repeats=3) - base
        except subprocess.CalledProcessError:
            continue
        rows.append({"job": "import (whole process, minus bare interpreter)", "impl": peer, "median_s": t,
                     "ratio": ours / t, "note": ""})
    return rows


def report_rows() -> list[dict]:
    """`neuroimmune-stats report` on the bundled example, as a whole process (what `make demo` runs)."""
    exe = Path(sys.executable).with_name("neuroimmune-stats")
    t0 = time.perf_counter()
    proc = subprocess.run([str(exe), "report", "-o", os.devnull, "--verbose"], check=True, capture_output=True,
                          text=True)
    wall = time.perf_counter() - t0
    split = [ln.split(": ", 2)[-1] for ln in proc.stderr.splitlines() if "time per step" in ln]
    note = "single run; per step, wall/CPU s: " + (split[0] if split else "")
    return [{"job": "report on the example (whole process)", "impl": "neuroimmune_stats",
             "median_s": wall, "ratio": 1.0, "note": note}]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", action="append", help="run only these families (e.g. bench_models)")
    ap.add_argument("--quick", action="store_true", help="fewer repeats (smoke run)")
    ap.add_argument("--out", default=str(HERE / "results.md"))
    args = ap.parse_args(argv)
    if args.quick:
        os.environ["NIS_BENCH_QUICK"] = "1"
    rows: list[dict] = []
    failures: list[str] = []
    for fam in args.only or FAMILIES:
        try:
            mod = importlib.import_module(fam)
        except ModuleNotFoundError as exc:
            failures.append(f"{fam}: not available ({exc})")
            continue
        print(f"running {fam} ...", flush=True)
        t0 = time.perf_counter()
        rows.extend(mod.main())
        print(f"  done in {time.perf_counter() - t0:.1f} s", flush=True)
    if not args.only:
        rows.extend(import_rows())
        rows.extend(report_rows())
    versions = ", ".join(f"{p} {_version(p)}" for p in PACKAGES)
    text = (f"# Benchmark results\n\nMachine: {platform.machine()}, {os.cpu_count()} cores, Python "
            f"{platform.python_version()}.\n\nVersions: {versions}.\n\n{to_markdown(rows)}\n")
    if failures:
        text += "\n" + "\n".join(f"- {f}" for f in failures) + "\n"
    Path(args.out).write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
