"""Benchmark of the subtype classifier's permutation test (issue 7): ours vs sklearn permutation_test_score.

Job: 54 subjects x 20 features, 10 x 5 repeated stratified CV, 1000 label permutations, L2 logistic
regression (C = 1), n_jobs = 1 for both. Target: at least 10x faster than
``sklearn.model_selection.permutation_test_score`` with the same estimator and the same folds.

Both sides use the same fold function (ours, wrapped as a scikit-learn splitter that re-stratifies
on each permuted ``y``) and compute the mean test-fold AUC. scikit-learn's time per permutation is
constant, so by default it is timed on ``SK_PERMS`` permutations and scaled to 1000 (the note says
so); ``python benchmarks/bench_classify.py --full`` times the full 1000. scikit-learn is timed twice:
as it runs out of the box and with BLAS limited to one thread (faster on these tiny problems on a
shared machine); the ratio against the faster of the two is the one that counts.

Early stopping (issue 19): the example cohort (regional SUVR + connectivity, the report's feature set
and confounds, 1000 permutations) with the fixed test against ``early_stop=51`` (Besag-Clifford; the
same decision as the fixed test at alpha <= 0.05), on the real labels (p = 0.001: it runs to the cap)
and with the subtype shuffled (a null case: it stops after ~100 permutations).

The report's call (issue 19, "the report in seconds"): the example cohort, the report's nine imaging
features and three confounds, 10 x 5 CV, 1000 permutations within confound blocks, ``early_stop=51``,
as ``report/sections_classifier.py`` calls it, against the same call with the permutations fitted fold
by fold (``FastModel.run_by_fold``, the solver before issue 19), medians of 3 interleaved runs; the note
says whether the p-values and null distributions are identical.

Wide data (issue 14): 54 subjects x 10,000 features, 1 x 3 CV, 20 permutations, ours (row-space
Newton) against ``permutation_test_score`` on the same folds; the note gives our tracemalloc peak.

Run ``python benchmarks/bench_classify.py`` for a markdown table; ``main()`` returns its rows.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _timing import Timing, ratio_rows

from neuroimmune_stats.classify import SubtypeClassifier, evaluate_classifier
from neuroimmune_stats.classify.cv import CVDesign

N_PERMS = 1000
N_SPLITS, N_REPEATS = 5, 10
SK_PERMS = 40
SEED = 1
COVS = ["protocol", "tspo_genotype", "bmi"]


def _data(p: int = 20) -> pd.DataFrame:
    import neuroimmune_stats as nis

    df = nis.simulate_cohort(seed=SEED)[["subject_id", "subtype", *COVS]].reset_index(drop=True)
    rng = np.random.default_rng(SEED)
    y = (df["subtype"] == "radicular").to_numpy(float)
    X = rng.normal(size=(len(df), p)) + 0.4 * y[:, None] * (np.arange(p) < 4)
    return pd.concat([df, pd.DataFrame(X, columns=[f"x{j:02d}" for j in range(p)])], axis=1)


class _Splitter:
    """Our fold function as a scikit-learn CV splitter (re-stratifies on the y it is given)."""

    def __init__(self, n: int, n_repeats: int = N_REPEATS, n_splits: int = N_SPLITS):
        fold_seed, _ = np.random.SeedSequence(SEED).spawn(2)
        self.cv = CVDesign(None, np.random.default_rng(fold_seed).random((n_repeats, n)), n_splits)

    def get_n_splits(self, X: Any = None, y: Any = None, groups: Any = None) -> int:
        return self.cv.n_repeats * self.cv.n_splits

    def split(self, X: Any, y: Any, groups: Any = None) -> Any:
        fo = self.cv.folds(np.asarray(y)[None, :])[0]
        for r in range(self.cv.n_repeats):
            for f in range(self.cv.n_splits):
                yield np.flatnonzero(fo[r] != f), np.flatnonzero(fo[r] == f)


def _auc(est: Any, X: Any, y: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    return 0.5 if np.unique(y).size < 2 else float(roc_auc_score(y, est.predict_proba(X)[:, 1]))


def _sklearn(df: pd.DataFrame, confounds: bool, n_perms: int, one_thread: bool) -> float:
    from contextlib import nullcontext

    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import permutation_test_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from threadpoolctl import threadpool_limits

    feats = [c for c in df if c.startswith("x")]
    y = (df["subtype"] == "radicular").to_numpy(int)
    if confounds:
        est, X = SubtypeClassifier(confounds=COVS), df[feats + COVS]
    else:
        est, X = make_pipeline(StandardScaler(), LogisticRegression()), df[feats].to_numpy()
    ctx = threadpool_limits(1, user_api="blas") if one_thread else nullcontext()
    t0 = time.perf_counter()
    with ctx:
        permutation_test_score(est, X, y, cv=_Splitter(len(df)), n_permutations=n_perms,
                               scoring=_auc, random_state=0, n_jobs=1)
    return time.perf_counter() - t0


def _ours(df: pd.DataFrame, confounds: bool) -> float:
    t0 = time.perf_counter()
    evaluate_classifier(df, "x*", covariates=COVS if confounds else (), n_splits=N_SPLITS,
                        n_repeats=N_REPEATS, n_permutations=N_PERMS, seed=SEED, n_jobs=1,
                        permute_within=None)  # free permutations, as permutation_test_score
    return time.perf_counter() - t0


EXAMPLE_FEATURES = ("suvr_s1", "suvr_thalamus", "suvr_ips", "suvr_pcc", "suvr_wm_left", "suvr_wm_right",
                    "conn_s1__thalamus", "conn_s1__pcc", "conn_thalamus__pcc")


def _early_stop_rows() -> list[dict[str, Any]]:
    import neuroimmune_stats as nis
    from neuroimmune_stats.data.example import example_dir

    d = example_dir()
    df = nis.read_cohort(d / "participants.csv", d / "suvr.csv", d / "connectivity.csv", d / "questionnaires.csv")
    shuffled = df.copy()
    shuffled["subtype"] = shuffled["subtype"].sample(frac=1, random_state=1).to_numpy()
    kw = {"covariates": COVS, "n_permutations": N_PERMS, "stratify_by": "protocol", "seed": 20220173}
    rows: list[dict[str, Any]] = []
    for data, label in ((df, "real labels"), (shuffled, "subtype shuffled (null)")):
        job = f"example cohort, SUVR + connectivity, {N_PERMS} perms, {label}"
        t0 = time.perf_counter()
        seq = evaluate_classifier(data, list(EXAMPLE_FEATURES), early_stop=51, **kw)
        t_seq = time.perf_counter() - t0
        t0 = time.perf_counter()
        fixed = evaluate_classifier(data, list(EXAMPLE_FEATURES), **kw)
        t_fixed = time.perf_counter() - t0
        ours = Timing(job, "early_stop=51 (Besag-Clifford)", t_seq, 1,
                      f"p = {seq.p_value:.3g}, {seq.n_permutations_drawn} permutations drawn")
        rows.extend(ratio_rows(job, ours, [Timing(job, "fixed test (early_stop=None)", t_fixed, 1,
                                                  f"p = {fixed.p_value:.3g}")]))
    return rows


def _report_rows(repeats: int = 3) -> list[dict[str, Any]]:
    import statistics
    import warnings

    import neuroimmune_stats as nis
    from neuroimmune_stats.classify.cv import FastModel

    df = nis.load_example()
    feats = [c for c in df if c.startswith(("suvr_", "conn_")) and c != "suvr_whole_brain"]
    kw = {"features": feats, "target": "subtype", "covariates": COVS, "n_splits": N_SPLITS, "n_repeats": N_REPEATS,
          "n_permutations": N_PERMS, "stratify_by": "protocol", "seed": 2022, "early_stop": 51}
    shared = FastModel.run

    def by_fold(self: Any, Y: Any, detail: bool = False) -> Any:
        return self.run_by_fold(Y, detail)

    times: dict[str, list[float]] = {"shared": [], "by_fold": []}
    out: dict[str, Any] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        evaluate_classifier(df, **{**kw, "n_permutations": 20})  # warm-up (imports)
        try:
            for _ in range(repeats):
                for name, run in (("shared", shared), ("by_fold", by_fold)):
                    FastModel.run = run  # type: ignore[method-assign]
                    t0 = time.perf_counter()
                    out[name] = evaluate_classifier(df, **kw)
                    times[name].append(time.perf_counter() - t0)
        finally:
            FastModel.run = shared  # type: ignore[method-assign]
    a, b = out["shared"], out["by_fold"]
    same = a.p_value == b.p_value and np.array_equal(a.null_distribution, b.null_distribution)
    job = f"report call: example cohort, {len(feats)} imaging features, 3 confounds, {N_PERMS} perms, early_stop=51"
    ours = Timing(job, "all folds at once (shared design)", statistics.median(times["shared"]), repeats,
                  f"p = {a.p_value:.3g}, {a.n_permutations_drawn} permutations drawn")
    peer = Timing(job, "fold by fold (before issue 19)", statistics.median(times["by_fold"]), repeats,
                  f"p = {b.p_value:.3g}; p-value and null {'identical' if same else 'DIFFERENT'}")
    return ratio_rows(job, ours, [peer])


def _wide_rows(p: int = 10_000, n_perms: int = 20) -> list[dict[str, Any]]:
    import tracemalloc

    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import permutation_test_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    df = _data(p)
    job = f"54x{p:,}, 1x3 CV + {n_perms} perms, no confounds"
    tracemalloc.start()
    t0 = time.perf_counter()
    evaluate_classifier(df, "x*", n_splits=3, n_repeats=1, n_permutations=n_perms, seed=SEED, permute_within=None)
    t_ours = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    splitter = _Splitter(len(df), 1, 3)
    X, y = df[[c for c in df if c.startswith("x")]].to_numpy(), (df["subtype"] == "radicular").to_numpy(int)
    t0 = time.perf_counter()
    permutation_test_score(make_pipeline(StandardScaler(), LogisticRegression()), X, y, cv=splitter,
                           n_permutations=n_perms, scoring=_auc, random_state=0, n_jobs=1)
    t_sk = time.perf_counter() - t0
    ours = Timing(job, "neuroimmune_stats (row-space Newton)", t_ours, 1,
                  f"tracemalloc peak {peak / 2**20:.0f} MB (includes the data frame)")
    return ratio_rows(job, ours, [Timing(job, "sklearn permutation_test_score", t_sk, 1, "")])


def main(full: bool = False) -> list[dict[str, Any]]:
    df = _data()
    sk_perms = N_PERMS if full else SK_PERMS
    scale = (N_PERMS + 1) / (sk_perms + 1)
    note = "" if full else f"timed on {sk_perms} permutations, scaled x{scale:.1f} to {N_PERMS}"
    rows: list[dict[str, Any]] = []
    for confounds, label in ((False, "no confounds"), (True, "3 confounds regressed per fold")):
        job = f"54x20, {N_REPEATS}x{N_SPLITS} CV + {N_PERMS} perms, {label}"
        ours = Timing(job, "neuroimmune_stats (batched Newton)", _ours(df, confounds), 1,
                      "includes the confounds-only baseline" if confounds else "")
        peers = [
            Timing(job, "sklearn permutation_test_score", _sklearn(df, confounds, sk_perms, False) * scale,
                   1, note),
            Timing(job, "sklearn permutation_test_score (1 BLAS thread)",
                   _sklearn(df, confounds, sk_perms, True) * scale, 1, note),
        ]
        rows.extend(ratio_rows(job, ours, peers))
    rows.extend(_early_stop_rows())
    rows.extend(_report_rows())
    rows.extend(_wide_rows())
    return rows


def _markdown(rows: list[dict[str, Any]]) -> str:
    lines = ["| job | impl | median_s | ours/peer | speed-up | note |", "|---|---|---|---|---|---|"]
    for r in rows:
        speed = 1 / r["ratio"] if r["ratio"] else float("nan")
        lines.append(f"| {r['job']} | {r['impl']} | {r['median_s']:.2f} | {r['ratio']:.3f} | "
                     f"{speed:.1f}x | {r['note']} |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(_markdown(main(full="--full" in sys.argv)))
