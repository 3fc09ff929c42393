"""Benchmark of missing-data handling (issue 20): imputation, pooled bootstrap mediation, FIML.

Jobs (the bundled example, n = 54; FSS missing for 19 subjects, painDETECT for 10, BPI for 9):

* ``impute(m=20)`` (mice-style PMM, 10 iterations) on the example: target < 2 s; peers statsmodels
  ``MICEData`` (PMM, 20 data sets after 10 burn-in cycles, one cycle between data sets) and
  scikit-learn ``IterativeImputer(sample_posterior=True)`` (20 fits).
* ``mediate`` on 20 imputations x 5000 resamples: target within 25x of one ``mediate`` call on a
  data set of the same size (one completed data set, n = 54, 5000 resamples), i.e. no overhead
  beyond the 20x more work (the complete-case call, n = 35, is shown too);
* the whole pipeline (impute + pooled bootstrap) against the same pooled bootstrap written with
  statsmodels' MICE + a loop of our ``mediate`` (target >= 10x faster), and + a loop of statsmodels
  ``Mediation`` calls (its bootstrap runs 20 resamples per imputation and is scaled to 5000, linear
  in the resamples, as the note says). Same m (20), same resamples (5000 per imputation), same five
  columns in the imputation model. The peer imputes with less work than ours: one statsmodels chain,
  10 burn-in cycles then one cycle per data set (30 cycles), where ours (as mice) runs one chain of
  10 iterations per data set (200); its mediate calls get the five columns only (ours all 25).
* ``mediate(missing="fiml")`` with 5000 FIML resamples.

Run ``python benchmarks/bench_missing.py`` for a markdown table; ``main()`` returns its rows.
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _timing import Timing, ratio_rows, time_call, to_markdown

import neuroimmune_stats as nis
from neuroimmune_stats.missing import impute
from neuroimmune_stats.missing.fiml import mediate_fiml
from neuroimmune_stats.missing.pool_mediation import mediate_imputed

M_IMP, N_BOOT = 20, 5000
X, MED, Y = "suvr_s1", "fss", "conn_s1__thalamus"
COLS = [X, Y, MED, "paindetect", "bpi_severity"]
SM_REPS = 20


def _sm_mice(df: Any, m: int = M_IMP) -> list[Any]:
    from statsmodels.imputation.mice import MICEData

    md = MICEData(df[COLS].copy(), k_pmm=5)
    md.update_all(10)
    frames = []
    for _ in range(m):
        md.update_all(1)
        frames.append(md.data.copy())
    return frames


def _sk_iterative(df: Any, m: int = M_IMP) -> list[Any]:
    from sklearn.experimental import enable_iterative_imputer  # noqa: F401
    from sklearn.impute import IterativeImputer

    X_ = df[COLS].to_numpy(float)
    return [IterativeImputer(sample_posterior=True, max_iter=10, random_state=i).fit_transform(X_) for i in range(m)]


def _sm_mediation(frame: Any, n_rep: int) -> float:
    import statsmodels.api as sm
    from statsmodels.stats.mediation import Mediation

    outcome = sm.OLS.from_formula(f"{Y} ~ {MED} + {X}", frame)
    mediator = sm.OLS.from_formula(f"{MED} ~ {X}", frame)
    res = Mediation(outcome, mediator, X, MED).fit(method="bootstrap", n_rep=n_rep)
    return float(res.ACME_avg.mean())


def main(repeats: int = 3) -> list[dict[str, Any]]:
    warnings.simplefilter("ignore")
    df = nis.load_example()
    rows: list[dict[str, Any]] = []

    # ---- imputation (the statsmodels imputation is timed once, with repeats, for both jobs)
    t_sm = time_call(lambda: _sm_mice(df), repeats, 0)
    t_all = Timing("impute(m=20), example", "neuroimmune_stats.impute (all 25 columns)",
                   time_call(lambda: impute(df, m=M_IMP, seed=1), repeats), repeats, "target < 2 s")
    t_few = Timing("impute(m=20), example", "neuroimmune_stats.impute (5 analysis columns)",
                   time_call(lambda: impute(df, columns=COLS, m=M_IMP, seed=1), repeats), repeats)
    peers = [
        t_few,
        Timing("impute(m=20), example", "statsmodels MICEData (5 columns)", t_sm, repeats,
               "PMM, 10 burn-in + 1 cycle per data set"),
        Timing("impute(m=20), example", "sklearn IterativeImputer x 20 (5 columns)",
               time_call(lambda: _sk_iterative(df), 1, 0), 1, "sample_posterior=True (normal draws, no PMM)"),
    ]
    rows += ratio_rows("impute(m=20), example", t_all, peers)

    # ---- pooled bootstrap mediation vs one call on a data set of the same size (n = 54)
    imp = impute(df, columns=COLS, m=M_IMP, seed=1)
    one_frame = imp[0]
    cc = df.dropna(subset=[MED])
    t_one = time_call(lambda: nis.mediate(one_frame, X, MED, Y, n_boot=N_BOOT, seed=1), repeats)
    t_cc = time_call(lambda: nis.mediate(cc, X, MED, Y, n_boot=N_BOOT, seed=1), repeats)
    t_mi = time_call(lambda: mediate_imputed(imp, X, MED, Y, n_boot=N_BOOT, seed=1), repeats)
    rows.append({"job": "mediate, 20 imputations x 5000", "impl": "neuroimmune_stats (MI Boot pooled)",
                 "median_s": t_mi, "ratio": t_mi / t_one,
                 "note": "ratio = time / one mediate call on one completed data set, n = 54 (target <= 25)"})
    rows.append({"job": "mediate, 20 imputations x 5000", "impl": "one mediate call (one imputed data set, n = 54)",
                 "median_s": t_one, "ratio": 1.0, "note": ""})
    rows.append({"job": "mediate, 20 imputations x 5000", "impl": "one mediate call (complete cases, n = 35)",
                 "median_s": t_cc, "ratio": t_mi / t_cc, "note": "ratio = MI time / this (more subjects: more work)"})

    # ---- the whole pipeline vs statsmodels
    def ours() -> Any:
        return mediate_imputed(impute(df, columns=COLS, m=M_IMP, seed=1), X, MED, Y, n_boot=N_BOOT, seed=1)

    t_ours = Timing("impute + pooled bootstrap (20 x 5000)", "neuroimmune_stats", time_call(ours, repeats), repeats)
    frames = _sm_mice(df)
    t_sm_med = time_call(lambda: [_sm_mediation(f, SM_REPS) for f in frames], 1, 0) * (N_BOOT / SM_REPS)
    t_loop = time_call(lambda: [nis.mediate(f, X, MED, Y, n_boot=N_BOOT, seed=i) for i, f in enumerate(frames)],
                       repeats, 0)
    peers = [
        Timing("impute + pooled bootstrap (20 x 5000)", "statsmodels MICEData + Mediation loop", t_sm + t_sm_med, 1,
               f"Mediation bootstrap timed at {SM_REPS} resamples per imputation, scaled to {N_BOOT}"),
        Timing("impute + pooled bootstrap (20 x 5000)", "statsmodels MICEData + loop of nis.mediate",
               t_sm + t_loop, repeats, "statsmodels imputation, our bootstrap (target: ours >= 10x faster)"),
    ]
    rows += ratio_rows("impute + pooled bootstrap (20 x 5000)", t_ours, peers)

    # ---- FIML
    t_f = time_call(lambda: mediate_fiml(df, X, MED, Y, n_boot=N_BOOT, seed=1), 1, 0)
    rows.append({"job": "mediate(missing='fiml'), 5000 FIML resamples", "impl": "neuroimmune_stats",
                 "median_s": t_f, "ratio": t_f / t_one, "note": "ratio = time / one OLS mediate call, n = 54"})
    return rows


if __name__ == "__main__":
    print(to_markdown(main()))
