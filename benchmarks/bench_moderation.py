"""Benchmark of moderated mediation (issue 15): ours vs PyProcessMacro and vs our own simple mediation.

Job: PROCESS model 7 (W = subtype moderates the a path), one mediator, two covariates, n = 54,
5000 bootstrap resamples, bias-corrected intervals of the conditional indirect effects and the index.
Targets: >= 10x faster than PyProcessMacro on the same data; within 2x of our simple ``mediate``
with the same resamples. Also: moderation() (PROCESS model 1) against statsmodels OLS with HC3.

Run ``python benchmarks/bench_moderation.py`` for a markdown table; ``main()`` returns its rows.
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
from _timing import Timing, ratio_rows, time_call, time_interleaved, to_markdown

import neuroimmune_stats as nis

N_BOOT = 5000
X, M, Y, W, COVS = "suvr_s1", "conn_s1__pcc", "conn_s1__thalamus", "subtype", ["age", "bmi"]


def main(repeats: int = 7) -> list[dict[str, Any]]:
    warnings.simplefilter("ignore")
    df = nis.simulate_cohort(seed=1)
    rows: list[dict[str, Any]] = []

    def ours() -> Any:
        return nis.mediate(df, X, M, Y, covariates=COVS, moderator=W, moderate=("a",), n_boot=N_BOOT, ci="bc", seed=1)

    def simple() -> Any:
        return nis.mediate(df, X, M, Y, covariates=COVS, n_boot=N_BOOT, ci="bc", seed=1)

    job = "moderated mediation (model 7)"
    fns: dict[str, Any] = {"ours": ours, "simple": simple}
    per_round = {"ours": 8, "simple": 8}
    try:
        from pyprocessmacro import Process

        d2 = df[[X, M, Y, *COVS]].copy()
        d2["w"] = (df[W] == "radicular").astype(float)

        def ppm() -> Any:
            return Process(data=d2, model=7, x=X, y=Y, m=[M], w="w", controls=COVS, controls_in="all",
                           boot=N_BOOT, seed=1, suppr_init=True)

        # a fast wrong answer fails: the conditional indirect effects at W = axial (0) and radicular (1) agree
        theirs = ppm().indirect_model.coeff_summary().sort_values("w")["Effect"].to_numpy(dtype=float)
        mine = ours().tidy().query("term == 'indirect'")["estimate"].to_numpy(dtype=float)
        if not np.allclose(mine, theirs, rtol=1e-6, atol=1e-9):
            raise AssertionError(f"model 7 conditional indirect effects differ: ours {mine}, PyProcessMacro {theirs}")
        fns["ppm"] = ppm
        per_round["ppm"] = 1
    except ImportError:
        pass
    # ours, our simple mediation and PyProcessMacro in alternation (the same machine conditions for all)
    rounds = max(3, repeats)
    t = time_interleaved(fns, per_round, rounds=rounds)
    t_ours = Timing(job, "neuroimmune_stats.mediate(moderator=)", t["ours"], rounds * per_round["ours"],
                    "n=54, W = subtype, 2 covariates, 5000 resamples, BC CIs; timed in alternation with the rows below")
    peers = [Timing(job, "neuroimmune_stats.mediate (simple, model 4)", t["simple"], rounds * per_round["simple"],
                    "same data and resamples; target ratio <= 2")]
    if "ppm" in t:
        peers.append(Timing(job, "PyProcessMacro", t["ppm"], rounds, "W coded 0/1; warmed up; target ratio <= 0.1"))
    else:
        peers.append(Timing(job, "PyProcessMacro", float("nan"), 0, "not installed"))
    rows += ratio_rows("moderated mediation (model 7)", t_ours, peers)

    def mod1() -> Any:
        return nis.moderation(df, X, W, Y, covariates=COVS, hc="hc3")

    t_mod = Timing("moderation (model 1, HC3)", "neuroimmune_stats.moderation", time_call(mod1, repeats), repeats,
                   "fit, HC3 covariance, conditional effects")
    mpeers = []
    try:
        import statsmodels.formula.api as smf

        d3 = df[[X, W, Y, *COVS]]

        def sm() -> Any:
            fit = smf.ols(f"{Y} ~ {X} * C({W}) + {' + '.join(COVS)}", data=d3).fit(cov_type="HC3")
            return fit.t_test(f"{X} + {X}:C({W})[T.radicular] = 0")

        mpeers.append(Timing("moderation (model 1, HC3)", "statsmodels ols(cov_type='HC3') + t_test",
                             time_call(sm, repeats), repeats, "one conditional effect only"))
    except ImportError:
        mpeers.append(Timing("moderation (model 1, HC3)", "statsmodels", float("nan"), 0, "not installed"))
    rows += ratio_rows("moderation (model 1, HC3)", t_mod, mpeers)
    return rows


if __name__ == "__main__":
    print(to_markdown(main()))
