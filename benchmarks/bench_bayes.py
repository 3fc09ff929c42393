"""Benchmark of Bayesian mediation (issues 6, 19): the exact conjugate path and NUTS against PyMC and nutpie.

Job: one mediator, two covariates (age, sex), n = 54.
Targets: ``method="exact"`` with 4000 draws under 10 ms in-process; ``method="nuts"`` (4 chains ×
(1000 tuning + 1000 draws)), cold in-process (a fresh process, libraries imported, the first call
timed with its compilation): at least 25× faster than a plain ``pm.sample`` of the same two
regressions and no slower than nutpie on the same model (the package's PyMC model,
:mod:`neuroimmune_stats.bayes.pymc_model`). Every NUTS run must agree with the exact posterior mean
of a·b. The first run after installation, which compiles the sampler into numba's cache, is shown
too.

Run ``python benchmarks/bench_bayes.py`` for a markdown table; ``main()`` returns its rows.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import subprocess
import sys
import tempfile
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


_COLD = """
import json, logging, sys, time, warnings
sys.path.insert(0, {here!r}); sys.path.insert(0, {root!r})
warnings.simplefilter("ignore")
logging.getLogger("pymc").setLevel(logging.ERROR)
import numpy as np
from bench_bayes import CHAINS, COVS, DRAWS, TUNE, _data, plain_pymc
from neuroimmune_stats.bayes import bayes_mediate
df = _data()
which = {which!r}
if which != "ours":
    import pymc  # the peers' import is not timed (ours imports numba inside the timed call)
if which == "nutpie":
    import nutpie
    from neuroimmune_stats.bayes._design import build_design
    from neuroimmune_stats.bayes.priors import resolve_priors
    from neuroimmune_stats.bayes.pymc_model import build_model
t0 = time.perf_counter()
if which == "ours":
    res = bayes_mediate(df, "x", "m", "y", covariates=COVS, draws=DRAWS, tune=TUNE, chains=CHAINS, seed=1)
    est = float(res.posterior["indirect"].mean())
elif which == "plain":
    est = float(plain_pymc(df).posterior["indirect"].mean())
else:
    design = build_design(df, "x", "m", "y", COVS)
    model = build_model(design, resolve_priors(design, None)[0])
    trace = nutpie.sample(nutpie.compile_pymc_model(model), draws=DRAWS, tune=TUNE, chains=CHAINS, seed=1,
                          progress_bar=False)
    est = float((trace.posterior["a"] * trace.posterior["b"]).mean())
print(json.dumps({{"wall_s": time.perf_counter() - t0, "indirect": est}}))
"""


def cold_run(which: str, numba_cache: str | None = None) -> dict[str, float]:
    """One fresh process: imports done, then the first (cold) call is timed in-process."""
    here = str(Path(__file__).resolve().parent)
    code = _COLD.format(here=here, root=str(Path(here).parent), which=which)
    env = dict(os.environ)
    if numba_cache:
        env["NUMBA_CACHE_DIR"] = numba_cache
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True, env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _nuts_rows(exact_indirect: float) -> list[dict[str, Any]]:
    """NUTS 4 × (1000 + 1000), n = 54, 2 covariates, each cold in a fresh process, single runs."""
    job = f"NUTS {CHAINS}x({TUNE}+{DRAWS}), n={N}, 2 covariates, cold in-process"
    cold_run("ours")  # makes sure the compiled sampler is in numba's cache, as after any first use
    ours = cold_run("ours")
    with tempfile.TemporaryDirectory() as tmp:
        first = cold_run("ours", numba_cache=tmp)
    peers = {"plain pm.sample (same regressions, PyMC defaults)": cold_run("plain")}
    if importlib.util.find_spec("nutpie") is not None:
        peers["nutpie (same model as ours, compile + sample)"] = cold_run("nutpie")
    for name, r in {"ours": ours, "ours, empty numba cache": first, **peers}.items():
        if abs(r["indirect"] - exact_indirect) > 0.05 * abs(exact_indirect) + 0.02:  # a fast wrong answer fails
            raise RuntimeError(f"{name}: posterior mean of a*b {r['indirect']:.4f} vs exact {exact_indirect:.4f}")
    rows = ratio_rows(job, Timing(job, "neuroimmune_stats bayes_mediate(method='nuts')", ours["wall_s"], 1,
                                  note="numba-cached sampler (any run after the first on a machine)"),
                      [Timing(job, nm, r["wall_s"], 1) for nm, r in peers.items()])
    rows.append({"job": job, "impl": "neuroimmune_stats bayes_mediate(method='nuts'), empty numba cache",
                 "median_s": first["wall_s"], "ratio": ours["wall_s"] / first["wall_s"],
                 "note": "first run after installation: compiles the sampler once"})
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
    exact_ind = float(bayes_mediate(df, "x", "m", "y", covariates=COVS, draws=10_000, chains=4, method="exact",
                                    seed=2).posterior["indirect"].mean())
    rows += _nuts_rows(exact_ind)
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
