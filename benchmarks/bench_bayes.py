"""Benchmark of Bayesian mediation (issue 6): the exact conjugate path and NUTS against plain PyMC and bambi.

Job: one mediator, two covariates (age, sex), n = 54.
Targets: ``method="exact"`` with 4000 draws under 10 ms in-process; ``method="nuts"`` (4 chains ×
1000 draws + 1000 tuning) no slower than a plain ``pm.sample`` of the same two regressions and no
slower than bambi (two ``bmb.Model`` fits, bambi has no mediation model). NUTS times are split into
the sampling part (PyMC's own ``sampling_time``) and the rest (model build, compilation, set-up).

Run ``python benchmarks/bench_bayes.py`` for a markdown table; ``main()`` returns its rows.
"""

from __future__ import annotations

import logging
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

from _timing import Timing, ratio_rows, time_call

from neuroimmune_stats.bayes import bayes_mediate

N = 54
DRAWS, TUNE, CHAINS = 1000, 1000, 4
COVS = ["age", "sex"]


def _data(seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"x": rng.normal(1.0, 0.1, N), "age": rng.normal(45, 10, N),
                       "sex": pd.Categorical(rng.choice(["F", "M"], N))})
    df["m"] = 4.0 * df["x"] + 0.02 * df["age"] + rng.normal(size=N)
    df["y"] = 0.5 * df["m"] + 1.0 * df["x"] + 0.3 * (df["sex"] == "M") + rng.normal(size=N)
    return df


def plain_pymc(df: pd.DataFrame, seed: int = 1) -> Any:
    """The two regressions written as a PyMC user would (raw predictors, Normal/HalfNormal priors)."""
    import pymc as pm

    x, m, y = (df[c].to_numpy(float) for c in ("x", "m", "y"))
    cov = np.column_stack([df["age"].to_numpy(float), (df["sex"] == "M").to_numpy(float)])
    with pm.Model():
        im = pm.Normal("im", 0, 10)
        a = pm.Normal("a", 0, 10)
        bm = pm.Normal("bm", 0, 10, shape=2)
        sm = pm.HalfNormal("sm", 5)
        pm.Normal("m", im + a * x + pm.math.dot(cov, bm), sm, observed=m)
        iy = pm.Normal("iy", 0, 10)
        cp = pm.Normal("cp", 0, 10)
        b = pm.Normal("b", 0, 10)
        by = pm.Normal("by", 0, 10, shape=2)
        sy = pm.HalfNormal("sy", 5)
        pm.Normal("y", iy + cp * x + b * m + pm.math.dot(cov, by), sy, observed=y)
        pm.Deterministic("indirect", a * b)
        return pm.sample(draws=DRAWS, tune=TUNE, chains=CHAINS, random_seed=seed, progressbar=False,
                         compute_convergence_checks=False)


def bambi_two_models(df: pd.DataFrame, seed: int = 1) -> tuple[Any, Any]:
    """bambi has no mediation model: fit the mediator and the outcome regressions separately."""
    import bambi as bmb

    kw = dict(draws=DRAWS, tune=TUNE, chains=CHAINS, random_seed=seed, progressbar=False)
    im = bmb.Model("m ~ x + age + sex", df).fit(**kw)
    iy = bmb.Model("y ~ x + m + age + sex", df).fit(**kw)
    return im, iy


def _sampling_time(*idatas: Any) -> float:
    return float(sum(float(i.posterior.attrs.get("sampling_time", np.nan)) for i in idatas))


def _timed(fn: Any) -> tuple[float, Any]:
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def _nuts_rows(df: pd.DataFrame, warmup: bool) -> list[dict[str, Any]]:
    runs: dict[str, tuple[float, float, str]] = {}

    def ours() -> Any:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return bayes_mediate(df, "x", "m", "y", covariates=COVS, draws=DRAWS, tune=TUNE, chains=CHAINS,
                                 method="nuts", seed=1)

    jobs = {"neuroimmune_stats bayes_mediate(method='nuts')": (ours, lambda r: [r.idata]),
            "plain pm.sample (same regressions)": (lambda: plain_pymc(df), lambda r: [r])}
    try:
        import bambi

        jobs["bambi 0.x (2 models: m ~ ..., y ~ ...)"] = (lambda: bambi_two_models(df), lambda r: list(r))
    except ImportError:
        pass
    for name, (fn, idatas) in jobs.items():
        if warmup:  # fills PyTensor's compile cache, as any second session would find it
            fn()
        total, res = _timed(fn)
        sampling = _sampling_time(*idatas(res))
        runs[name] = (total, sampling, name)
    if any("bambi" in k for k in runs):
        import bambi

        key = next(k for k in runs if "bambi" in k)
        runs[f"bambi {bambi.__version__} (2 models: m ~ ..., y ~ ...)"] = runs.pop(key)
    names = list(runs)
    ours_name = names[0]
    job = f"NUTS {CHAINS}x{DRAWS} + {TUNE} tune, n={N}, 2 covariates"
    rows = []
    for part, idx in (("total", 0), ("sampling", 1)):
        ours_t = Timing(job, ours_name, runs[ours_name][idx], 1, note=f"{part}, single run")
        peers = [Timing(job, nm, runs[nm][idx], 1, note=f"{part}, single run") for nm in names[1:]]
        for r in ratio_rows(f"{job} [{part}]", ours_t, peers):
            rows.append(r)
    for nm in names:  # compile + set-up = total - sampling
        rows.append({"job": f"{job} [compile + set-up]", "impl": nm, "median_s": runs[nm][0] - runs[nm][1],
                     "ratio": (runs[ours_name][0] - runs[ours_name][1]) / (runs[nm][0] - runs[nm][1]),
                     "note": "total minus PyMC's sampling_time"})
    return rows


def main(repeats: int = 21) -> list[dict[str, Any]]:
    quick = bool(os.environ.get("NIS_BENCH_QUICK"))
    logging.getLogger("pymc").setLevel(logging.ERROR)
    logging.getLogger("bambi").setLevel(logging.ERROR)
    df = _data()
    rows: list[dict[str, Any]] = []

    # --- exact conjugate path: 4000 draws (4 chains x 1000), in-process
    import statsmodels.formula.api as smf

    def exact() -> Any:
        return bayes_mediate(df, "x", "m", "y", covariates=COVS, draws=DRAWS, chains=CHAINS, method="exact", seed=1)

    def ols_pair() -> Any:
        return (smf.ols("m ~ x + age + sex", df).fit().params["x"],
                smf.ols("y ~ x + m + age + sex", df).fit().params["m"])

    a, b = ols_pair()
    est = exact().posterior["indirect"].mean()
    if abs(est - a * b) > 0.1 * abs(a * b) + 0.05:  # a fast wrong answer fails
        raise RuntimeError(f"exact posterior mean {est:.4f} disagrees with OLS a*b {a * b:.4f}")
    reps = 5 if quick else repeats
    t_exact = time_call(exact, repeats=reps, warmup=3)
    t_ols = time_call(ols_pair, repeats=reps, warmup=1)
    job = f"exact posterior, {DRAWS * CHAINS} draws, n={N}, 2 covariates"
    rows += ratio_rows(job, Timing(job, "neuroimmune_stats bayes_mediate(method='exact')", t_exact, reps,
                                   note="target < 10 ms"),
                       [Timing(job, "statsmodels OLS of the 2 equations (point estimates only)", t_ols, reps)])
    rows += _nuts_rows(df, warmup=not quick)
    return rows


def _markdown(rows: list[dict[str, Any]]) -> str:
    out = ["| job | impl | median | ours / impl | note |", "|---|---|---:|---:|---|"]
    for r in rows:
        t = r["median_s"]
        shown = f"{t * 1e3:.2f} ms" if t < 1 else f"{t:.2f} s"
        out.append(f"| {r['job']} | {r['impl']} | {shown} | {r['ratio']:.3g} | {r.get('note', '')} |")
    return "\n".join(out)


if __name__ == "__main__":
    print(_markdown(main()))
