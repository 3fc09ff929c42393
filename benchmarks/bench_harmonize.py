"""Benchmark of ComBat harmonisation (issue 16): ours vs neuroCombat, and the cost of ComBat inside CV.

Jobs, one run, same data for every implementation:

1. 1000 features x 54 subjects x 2 batches (27/27), one factor covariate preserved: ``harmonize``
   (DataFrame in, DataFrame out, with its validation) and our kernel on arrays (``fit_combat`` +
   ``adjust_fitted``, what neuroCombat does) against ``neuroCombat.neuroCombat`` (NumPy in; no
   conversion timed for it), parametric empirical Bayes; target at least 5x faster. The note of the
   ``harmonize`` row gives its time over the kernel (reading and validating the frame, building the
   output).
2. The same with the non-parametric prior (reported separately: neuroCombat loops over features).
3. ``evaluate_classifier`` on 54 subjects x 20 features with ``covariates=["protocol",
   "tspo_genotype", "bmi"]``, 10 x 5 CV and ``N_PERMS`` label permutations, with ``harmonize=True``
   (ComBat per fold and permutation) against the same call without it; target: under 2x.

Agreement is checked before timing (harmonised values to 1e-8; a fast wrong answer fails).
Run ``python benchmarks/bench_harmonize.py`` for a markdown table; ``main()`` returns its rows.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _timing import Timing, print_rows, ratio_rows, time_call

from neuroimmune_stats.classify import evaluate_classifier
from neuroimmune_stats.harmonization import harmonize
from neuroimmune_stats.harmonization.api import prepare
from neuroimmune_stats.harmonization.combat import adjust_fitted, fit_combat

QUICK = bool(os.environ.get("NIS_BENCH_QUICK"))
N_FEATURES, N_SUBJECTS = 1000, 54
N_PERMS = 50 if QUICK else 200
SEED = 16
COVS = ["protocol", "tspo_genotype", "bmi"]


def _wide(seed: int = SEED) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    batch = np.repeat(["1", "2"], N_SUBJECTS // 2)
    sex = rng.choice(["F", "M"], N_SUBJECTS)
    Y = rng.normal(size=(N_SUBJECTS, N_FEATURES)) * np.where(batch == "2", 1.4, 1.0)[:, None]
    Y += (batch == "2")[:, None] * rng.normal(0.5, 0.3, N_FEATURES) + 0.3 * (sex == "M")[:, None]
    df = pd.DataFrame(Y, columns=[f"v{j:04d}" for j in range(N_FEATURES)])
    return df.assign(protocol=batch, sex=sex)


def _neurocombat(df: pd.DataFrame, feats: list[str], parametric: bool) -> Any:
    from neuroCombat import neuroCombat

    dat = df[feats].to_numpy().T.copy()
    covars = df[["protocol", "sex"]]

    def run() -> np.ndarray:
        with contextlib.redirect_stdout(io.StringIO()):
            return neuroCombat(dat, covars, "protocol", categorical_cols=["sex"], parametric=parametric)["data"]

    return run


def _combat_rows() -> list[dict[str, Any]]:
    df = _wide()
    feats = [c for c in df if c.startswith("v")]
    rows: list[dict[str, Any]] = []
    prep = prepare(df, feats, "protocol", ["sex"])
    for parametric, label in ((True, "parametric EB"), (False, "non-parametric EB")):
        job = f"ComBat {N_FEATURES} features x {N_SUBJECTS} subjects x 2 batches, {label}"

        def ours(parametric: bool = parametric) -> pd.DataFrame:
            return harmonize(df, feats, batch="protocol", covariates=["sex"], parametric=parametric)

        def kernel(parametric: bool = parametric, prep: Any = prep) -> np.ndarray:
            fit = fit_combat(prep.Y, prep.codes, 2, prep.mod, parametric=parametric)
            return adjust_fitted(fit, prep.Y, prep.codes, prep.mod)[0]

        peer = _neurocombat(df, feats, parametric)
        ref = peer().T
        np.testing.assert_allclose(ours()[feats].to_numpy(), ref, atol=1e-8)
        np.testing.assert_allclose(kernel(), ref, atol=1e-8)
        t_peer = Timing(job, "neuroCombat 0.2 (neuroCombat)", time_call(peer, repeats=3 if parametric else 1,
                                                                         min_total_s=0.0), 3 if parametric else 1,
                        "NumPy array in")
        t_ours = Timing(job, "neuroimmune_stats.harmonize", time_call(ours, repeats=5), 5,
                        "DataFrame in and out, with validation")
        t_kernel = Timing(job, "neuroimmune_stats kernel (fit_combat + adjust_fitted)", time_call(kernel, repeats=5),
                          5, "NumPy in and out, as neuroCombat")
        t_ours.note += f"; {1e3 * (t_ours.median_s - t_kernel.median_s):.2f} ms over the kernel"
        rows.extend(ratio_rows(job, t_ours, [t_peer]))
        rows.extend(ratio_rows(job + ", arrays", t_kernel, [t_peer]))
    return rows


def _cv_data(p: int = 20) -> pd.DataFrame:
    import neuroimmune_stats as nis

    df = nis.simulate_cohort(seed=SEED)[["subject_id", "subtype", *COVS]].reset_index(drop=True)
    rng = np.random.default_rng(SEED)
    y = (df["subtype"] == "radicular").to_numpy(float)
    prot = (df["protocol"].astype(str) == "2").to_numpy(float)
    X = rng.normal(size=(len(df), p)) * (1 + 0.4 * prot[:, None]) + 0.5 * prot[:, None]
    X += 0.4 * y[:, None] * (np.arange(p) < 4)
    return pd.concat([df, pd.DataFrame(X, columns=[f"x{j:02d}" for j in range(p)])], axis=1)


def _cv_rows() -> list[dict[str, Any]]:
    df = _cv_data()
    job = f"evaluate_classifier 54x20, 10x5 CV + {N_PERMS} perms, 3 confounds"

    def run(h: bool) -> Any:
        return lambda: evaluate_classifier(df, "x*", covariates=COVS, n_permutations=N_PERMS, seed=SEED,
                                           harmonize=h)

    ours = Timing(job, "harmonize=True (ComBat per fold and permutation)", time_call(run(True), repeats=3,
                                                                                     warmup=0), 3)
    base = Timing(job, "harmonize=False (same call)", time_call(run(False), repeats=3, warmup=0), 3,
                  "ratio = cost of ComBat inside CV (target < 2)")
    return ratio_rows(job, ours, [base])


def main() -> list[dict[str, Any]]:
    rows = _combat_rows()
    rows.extend(_cv_rows())
    return rows


if __name__ == "__main__":
    print_rows(main())
