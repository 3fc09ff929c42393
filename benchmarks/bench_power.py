"""Benchmark of Monte Carlo mediation power (issue 17): power_mediation vs loops of mediate and pingouin.

Job: 1000 simulated data sets x 1000 bootstrap resamples, n = 100, two covariates, a = b = 0.39
(Fritz & MacKinnon design), percentile interval, n_jobs = 1. Targets: within 1.5x of 1000 ``mediate``
calls with the same resamples on the same data sets, and >= 50x faster than the same simulation
written as a loop of pingouin ``mediation_analysis`` calls.

The peers analyse exactly the data sets ``power_mediation`` simulates (rebuilt from the same seeds).
A loop's time per data set is constant, so the ``mediate`` loop is timed on ``MEDIATE_SLICE`` data
sets and pingouin on ``PINGOUIN_SLICE``, then scaled to 1000 (the note says so); ``--full`` times
every loop in full. Before timing, the indirect-effect estimates of mediate and pingouin are checked to agree
on the slice, and the share of data sets where power_mediation's test and the peers' tests agree is printed.

Run ``python benchmarks/bench_power.py`` for a markdown table; ``main()`` returns its rows.
"""

from __future__ import annotations

import os
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _timing import Timing, ratio_rows, to_markdown

import neuroimmune_stats as nis
from neuroimmune_stats._rng import analysis_seed
from neuroimmune_stats.planning import power_mediation
from neuroimmune_stats.planning.mediation_sim import _Simulation
from neuroimmune_stats.planning.simulation import sim_seed

N, N_SIMS, N_BOOT, K = 100, 1000, 1000, 2
A = B = 0.39
SEED = 1
MEDIATE_SLICE, PINGOUIN_SLICE = 200, 10
QUICK = os.environ.get("NIS_BENCH_QUICK") == "1"


def _sim() -> _Simulation:
    return _Simulation(N, A, B, 0.0, K, "percentile", 0.95, N_BOOT)


def dataset(i: int) -> pd.DataFrame:
    """Simulated data set ``i`` of the power run (power_mediation's own generator and seeds)."""
    d = _sim().data(sim_seed(analysis_seed(SEED, "power_mediation"), i))
    return pd.DataFrame(d, columns=["x", "m", "y", "c1", "c2"])


def our_decision(i: int) -> bool:
    """power_mediation's test on data set ``i`` (its own resamples)."""
    return _sim()(sim_seed(analysis_seed(SEED, "power_mediation"), i))


def _ours(n_sims: int) -> float:
    t0 = time.perf_counter()
    power_mediation(A, B, n=N, n_sims=n_sims, n_boot=N_BOOT, covariates=K, seed=SEED, progress=False)
    return time.perf_counter() - t0


def _mediate_decision(df: pd.DataFrame, i: int) -> tuple[float, bool]:
    res = nis.mediate(df, x="x", m="m", y="y", covariates=["c1", "c2"], n_boot=N_BOOT, ci="percentile", seed=i)
    row = res.tidy().query("term == 'indirect'").iloc[0]
    return float(row["estimate"]), bool(row["conf_low"] > 0 or row["conf_high"] < 0)


def _pingouin_decision(df: pd.DataFrame, i: int) -> tuple[float, bool]:
    import pingouin as pg

    out = pg.mediation_analysis(data=df, x="x", m="m", y="y", covar=["c1", "c2"], n_boot=N_BOOT, seed=i)
    row = out[out["path"] == "Indirect"].iloc[0]
    return float(row["coef"]), bool(row["sig"] == "Yes")


def _loop(fn: Any, frames: list[pd.DataFrame]) -> tuple[float, list[tuple[float, bool]]]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t0 = time.perf_counter()
        out = [fn(df, i) for i, df in enumerate(frames)]
        return time.perf_counter() - t0, out


def main(full: bool = False) -> list[dict[str, Any]]:
    n_sims = 200 if QUICK else N_SIMS
    med_n = n_sims if full else min(MEDIATE_SLICE, n_sims)
    pg_n = n_sims if full else PINGOUIN_SLICE
    frames = [dataset(i) for i in range(max(med_n, pg_n))]
    # before timing: the same data sets give the same indirect estimate in mediate and pingouin, and
    # power_mediation's test agrees with mediate's (different resamples, so borderline cases may differ)
    t_med, med = _loop(_mediate_decision, frames[:med_n])
    t_pg, pg = _loop(_pingouin_decision, frames[:pg_n])
    for (e1, _), (e2, _) in zip(med[:pg_n], pg, strict=True):
        assert abs(e1 - e2) < 1e-8 * max(1.0, abs(e1)), (e1, e2)
    agree_pg = np.mean([d1 == d2 for (_, d1), (_, d2) in zip(med[:pg_n], pg, strict=True)])
    ours_d = [our_decision(i) for i in range(min(med_n, 100))]
    agree_ours = np.mean([d == m for d, (_, m) in zip(ours_d, med, strict=False)])
    t_ours = _ours(n_sims)
    job = f"power: {n_sims} data sets x {N_BOOT} resamples, n = {N}, 2 covariates"
    med_scale, pg_scale = n_sims / med_n, n_sims / pg_n
    ours = Timing(job, "neuroimmune_stats power_mediation", t_ours, 1,
                  f"its test agrees with mediate's on {100 * agree_ours:.0f}% of {len(ours_d)} data sets")
    peers = [
        Timing(job, "loop of nis.mediate", t_med * med_scale, 1,
               f"power {np.mean([d for _, d in med]):.3f} on {med_n} data sets"
               + ("" if med_n == n_sims else f"; timed on {med_n}, scaled x{med_scale:.0f}")),
        Timing(job, "loop of pingouin.mediation_analysis", t_pg * pg_scale, 1,
               f"timed on {pg_n}, scaled x{pg_scale:.0f}; tests agree with mediate on {100 * agree_pg:.0f}%"),
    ]
    return ratio_rows(job, ours, peers)


if __name__ == "__main__":
    rows = main(full="--full" in sys.argv)
    print(to_markdown(rows))
    ours = rows[0]["median_s"]
    for r in rows[1:]:
        print(f"{r['impl']}: ours / peer = {ours / r['median_s']:.3f}  (peer is {r['median_s'] / ours:.1f}x ours)")
