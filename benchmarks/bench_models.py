"""Benchmarks of the group models and permutation inference against their peers.

1. 1000 outcomes ~ subtype + protocol + genotype on 54 subjects: ``group_compare`` (one QR, matrix
   operations over all outcomes) vs a statsmodels OLS loop with a prebuilt design.
2. Max-T Freedman–Lane with 1000 permutations on the same 1000 outcomes: ``permutation_test`` vs
   nilearn ``permuted_ols`` (``n_jobs=1``).
3. 100,000 outcomes × 1000 permutations (20,000 with ``--quick``): wall time and peak memory
   (``ru_maxrss`` of a fresh subprocess), :func:`memory_100k`.
4. The permutation engine's throughput: the GEMM arithmetic of a run (``PermutationResult.flops``,
   ``2·P·c·n·m``) over its wall time in GFLOP/s, beside a BLAS GEMM of the engine's block shape on
   the same machine (:func:`gemm_rate`); the ratio is the wall time over the GEMM-bound time
   (target: within 3× for 100,000 outcomes × 1000 permutations).

Agreement is checked before timing (a fast wrong answer fails). Run ``python benchmarks/bench_models.py``
for a markdown table; ``main()`` returns its rows.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _timing import Timing, ratio_rows, time_call, to_markdown

import neuroimmune_stats as nis

COVS = ["protocol", "tspo_genotype"]


def _data(n_out: int, seed: int = 0) -> tuple[pd.DataFrame, list[str]]:
    base = nis.simulate_cohort(seed=1)[["subject_id", "subtype", "protocol", "tspo_genotype"]]
    rng = np.random.default_rng(seed)
    g = (base["subtype"] == "radicular").to_numpy(float)
    Y = rng.standard_normal((len(base), n_out)) + 0.3 * g[:, None]
    names = [f"y{i}" for i in range(n_out)]
    return pd.concat([base, pd.DataFrame(Y, columns=names, index=base.index)], axis=1), names


def _design(df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    g = (df["subtype"] == "radicular").to_numpy(float)
    Z = np.column_stack([(df["protocol"].astype(str) == "2").to_numpy(float),
                         (df["tspo_genotype"].astype(str) == "MAB").to_numpy(float)])
    return g, Z


def memory_100k(n_out: int = 100_000, n_perm: int = 1000) -> dict[str, float]:
    """Run the 100,000-outcome max-T test in a fresh process; wall time, peak RSS (GiB) and its GEMM flops."""
    code = f"""
import json, resource, time, sys
sys.path.insert(0, {str(Path(__file__).resolve().parent)!r})
from bench_models import _data
import neuroimmune_stats as nis
df, names = _data({n_out})
nis.permutation_test(df, names[:10], covariates={COVS!r}, n_permutations=10, seed=1)  # imports, not timed
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
t0 = time.perf_counter()
res = nis.permutation_test(df, names, covariates={COVS!r}, n_permutations={n_perm}, seed=1)
wall = time.perf_counter() - t0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
print(json.dumps({{"wall_s": wall, "peak_gib": peak, "data_gib": before, "n": len(res.table), "flops": res.flops}}))
"""
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def gemm_rate(n: int = 54, c: int = 4, k: int = 256, b: int = 8 * 2**20 // (8 * 256 * 7), min_s: float = 1.0) -> float:
    """FLOP/s of one BLAS GEMM ``(k·c × n) @ (n × b)``: the shape of the permutation engine's per-block product.

    ``k`` permutations per chunk and ``c`` design columns (intercept, protocol, genotype, group) as in
    ``permutation_test``; ``b`` outcomes per block as its default memory budget (8 MiB) gives.
    """
    rng = np.random.default_rng(0)
    A, B = rng.standard_normal((k * c, n)), rng.standard_normal((n, b))
    A @ B
    reps, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < min_s:
        A @ B
        reps += 1
    return 2.0 * k * c * n * b * reps / (time.perf_counter() - t0)


def throughput_rows(wall_s: float, flops: float, job: str, rate: float) -> list[dict[str, Any]]:
    """The engine's GFLOP/s beside the GEMM of the same shape, and its distance to the GEMM-bound time."""
    bound = flops / rate
    return [
        {"job": job, "impl": "neuroimmune_stats.permutation_test (GEMM arithmetic / wall time)", "median_s": wall_s,
         "ratio": wall_s / bound, "note": f"{flops / wall_s / 1e9:.2f} GFLOP/s; ratio = wall / GEMM-bound time "
                                          "(target <= 3)"},
        {"job": job, "impl": "BLAS GEMM of the same shape (same machine, same threads)", "median_s": bound,
         "ratio": 1.0, "note": f"{rate / 1e9:.2f} GFLOP/s; time = the run's {flops / 1e9:.1f} GFLOP at this rate"},
    ]


def main(repeats: int = 5, large: bool = False) -> list[dict[str, Any]]:
    quick = bool(os.environ.get("NIS_BENCH_QUICK"))
    import statsmodels.api as sm
    from nilearn.mass_univariate import permuted_ols

    warnings.simplefilter("ignore")
    rows: list[dict[str, Any]] = []
    df, names = _data(1000)
    g, Z = _design(df)
    X = np.column_stack([np.ones(len(df)), Z, g])
    Y = df[names].to_numpy()

    def ours() -> Any:
        return nis.group_compare(df, names, covariates=COVS)

    def statsmodels_loop() -> np.ndarray:
        return np.array([sm.OLS(Y[:, j], X).fit().tvalues[-1] for j in range(Y.shape[1])])

    gc = ours()
    t_sm = statsmodels_loop()
    if np.max(np.abs(gc.tidy()["F"].to_numpy() - t_sm**2)) > 1e-8:
        raise RuntimeError("group_compare and statsmodels disagree")
    t_ours = time_call(ours, repeats=repeats)
    t_peer = time_call(statsmodels_loop, repeats=max(1, repeats // 2))
    rows += ratio_rows("t-tests, 1000 outcomes ~ group + protocol + genotype (n=54)",
                       Timing("t", "neuroimmune_stats.group_compare", t_ours, repeats),
                       [Timing("t", "statsmodels OLS loop (prebuilt design)", t_peer, repeats)])

    def ours_perm() -> Any:
        return nis.permutation_test(df, names, covariates=COVS, n_permutations=1000, seed=1)

    def nilearn_perm() -> Any:
        return permuted_ols(g[:, None], Y, confounding_vars=Z, n_perm=1000, random_state=0, n_jobs=1,
                            verbose=0, output_type="dict")

    a, b = ours_perm().table, nilearn_perm()
    if np.max(np.abs(a["statistic"].to_numpy() - b["t"][0])) > 1e-8:
        raise RuntimeError("permutation_test and nilearn disagree on the statistic")
    gap = float(np.max(np.abs(a["p_fwe"].to_numpy() - 10 ** -b["logp_max_t"][0])))
    t_ours = time_call(ours_perm, repeats=max(1, repeats // 2))
    t_peer = time_call(nilearn_perm, repeats=max(1, repeats // 2))
    rows += ratio_rows("max-T Freedman–Lane, 1000 outcomes × 1000 permutations",
                       Timing("perm", "neuroimmune_stats.permutation_test", t_ours, repeats,
                              f"max |p_fwe - nilearn| = {gap:.3f}"),
                       [Timing("perm", "nilearn permuted_ols (n_jobs=1)", t_peer, repeats)])
    rate = gemm_rate()
    res = ours_perm()
    rows += throughput_rows(t_ours, res.flops, "permutation engine throughput, 1000 outcomes × 1000 permutations",
                            rate)
    m = memory_100k(n_out=100_000 if large or not quick else 20_000)
    job = f"max-T, {m['n']:,} outcomes × 1000 permutations"
    rows += throughput_rows(m["wall_s"], m["flops"], job + " (fresh process)", rate)
    rows.append({"job": job, "impl": "neuroimmune_stats (memory)", "median_s": m["wall_s"], "ratio": float("nan"),
                 "note": f"peak RSS {m['peak_gib']:.2f} GiB (data alone {m['data_gib']:.2f} GiB)"})
    return rows


if __name__ == "__main__":
    print(to_markdown(main(large="--large" in sys.argv)))
