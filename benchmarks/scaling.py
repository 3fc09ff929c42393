"""Scaling of the permutation engine: time and peak memory against outcomes and permutations.

`python benchmarks/scaling.py [--max-outcomes N] [--max-perms P]` runs each configuration in a fresh
process (so peak RSS is that configuration's own) and writes docs/scaling.md.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

CHILD = r"""
import json, resource, sys, time, warnings
import numpy as np, pandas as pd
import neuroimmune_stats as nis
n_out, n_perm = int(sys.argv[1]), int(sys.argv[2])
rng = np.random.default_rng(0)
df = nis.simulate_cohort(seed=1)[["subject_id", "subtype", "protocol", "tspo_genotype"]]
Y = pd.DataFrame(rng.standard_normal((len(df), n_out)), columns=[f"v{i}" for i in range(n_out)])
data = pd.concat([df.reset_index(drop=True), Y], axis=1)
nis.permutation_test(data, ["v0"], covariates=["protocol", "tspo_genotype"], n_permutations=10, seed=1)  # warm-up
t0 = time.perf_counter()
res = nis.permutation_test(data, "v*", covariates=["protocol", "tspo_genotype"], n_permutations=n_perm, seed=1)
dt = time.perf_counter() - t0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"outcomes": n_out, "permutations": n_perm, "seconds": dt, "peak_rss_mib": peak / 1024,
                  "data_mib": Y.memory_usage().sum() / 2**20}))
"""


def run(n_out: int, n_perm: int) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, str(n_out), str(n_perm)], capture_output=True, text=True,
                         check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--max-outcomes", type=int, default=100_000)
    ap.add_argument("--max-perms", type=int, default=10_000)
    args = ap.parse_args()
    configs = [(n, 1000) for n in (100, 1_000, 10_000, 100_000) if n <= args.max_outcomes]
    configs += [(1000, p) for p in (2_000, 5_000, 10_000) if p <= args.max_perms]
    rows = []
    for n_out, n_perm in configs:
        r = run(n_out, n_perm)
        rows.append(r)
        print(r, flush=True)
    lines = ["| outcomes | permutations | time (s) | time per outcome × 1000 permutations (ms) | peak RSS (MiB) "
             "| outcome data (MiB) |", "|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        per = r["seconds"] / (r["outcomes"] * r["permutations"] / 1000) * 1e3
        lines.append(f"| {r['outcomes']:,} | {r['permutations']:,} | {r['seconds']:.2f} | {per:.3f} | "
                     f"{r['peak_rss_mib']:.0f} | {r['data_mib']:.1f} |")
    text = ("# Scaling of `permutation_test` (Freedman–Lane, max-T)\n\n54 subjects, outcome ~ subtype + protocol + "
            "genotype, n_jobs=1, measured by `python benchmarks/scaling.py` (each row a fresh process).\n\n"
            + "\n".join(lines) + "\n")
    Path(__file__).resolve().parents[1].joinpath("docs", "scaling.md").write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
