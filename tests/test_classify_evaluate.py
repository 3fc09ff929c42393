"""Tests of ``evaluate_classifier`` (issue 7): CV result, permutation test vs sklearn, leakage, bad input."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("sklearn")

from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import cross_val_score, permutation_test_score
from test_classify import COVS, make_data

from neuroimmune_stats.classify import SubtypeClassifier, evaluate_classifier
from neuroimmune_stats.classify.cv import CVDesign
from neuroimmune_stats.classify.metrics import TERMS
from neuroimmune_stats.exceptions import (
    DataWarning,
    InsufficientDataError,
    ResamplingWarning,
    SpecificationError,
)
from neuroimmune_stats.resampling import resample

TIGHT = {"tol": 1e-12, "max_iter": 100_000}


def auc_scorer(est, X, y):
    """The AUC of one test fold, 0.5 when it holds one class (our convention)."""
    if np.unique(y).size < 2:
        return 0.5
    return roc_auc_score(y, est.predict_proba(X)[:, 1])


class OurFolds:
    """Our fold function as a scikit-learn splitter (re-stratifies on whatever y it is given)."""

    def __init__(self, u, n_splits):
        self.cv = CVDesign(None, u, n_splits)

    def get_n_splits(self, X=None, y=None, groups=None):
        return self.cv.n_repeats * self.cv.n_splits

    def split(self, X, y, groups=None):
        fo = self.cv.folds(np.asarray(y)[None, :])[0]
        for r in range(self.cv.n_repeats):
            for f in range(self.cv.n_splits):
                yield np.flatnonzero(fo[r] != f), np.flatnonzero(fo[r] == f)


def _seeds(seed):
    from neuroimmune_stats._rng import analysis_seed

    fold_seed, perm_seed = analysis_seed(seed, "evaluate_classifier").spawn(2)
    return fold_seed, perm_seed


@pytest.fixture(scope="module")
def cohort():
    import neuroimmune_stats as nis

    return nis.simulate_cohort(seed=3)


def test_result_structure_and_globs(cohort):
    before = cohort.copy()
    res = evaluate_classifier(cohort, ["suvr_*", "conn_*"], covariates=COVS, n_repeats=2,
                              n_permutations=19, seed=5)
    pd.testing.assert_frame_equal(cohort, before)
    t = res.tidy()
    assert list(t.columns) == ["model", "term", "estimate", "std_error", "conf_low", "conf_high",
                               "p_value", "sd_repeats", "n"]
    assert len(t) == 10
    assert set(t["model"]) == {"features", "confounds_only"} and set(t["term"]) == set(TERMS)
    auc = t.query("model == 'features' and term == 'auc'").iloc[0]
    assert auc["p_value"] == res.p_value and 1 / 20 <= res.p_value <= 1
    assert auc["conf_low"] <= auc["estimate"] <= auc["conf_high"]
    assert t.drop(index=auc.name)["p_value"].isna().all()
    assert res.features[0].startswith("suvr_") and any(f.startswith("conn_") for f in res.features)
    assert res.null_distribution.shape == (19,)
    g = res.auc_gain
    rep = res.per_repeat("features")["auc"] - res.per_repeat("confounds_only")["auc"]
    assert g["estimate"] == pytest.approx(rep.mean())
    text = res.summary()
    assert "Permutation test" in text and "AUC gain" in text and repr(res) == text
    sig = res.signature()
    assert list(sig.columns) == ["feature", "mean", "sd", "sign_consistency", "n_folds"]
    assert sig["sign_consistency"].between(0, 1).all() and (sig["n_folds"] == 10).all()


def test_no_permutations_and_no_covariates():
    df = make_data(5)
    res = evaluate_classifier(df, "f*", n_repeats=1, n_permutations=0, seed=1)
    assert res.p_value is None and res.null_distribution is None
    t = res.tidy()
    assert set(t["model"]) == {"features"} and t["p_value"].isna().all()
    assert "skipped" in res.summary()


def test_same_seed_same_numbers_across_n_jobs():
    df = make_data(6, signal=0.5)
    kw = {"covariates": COVS, "n_repeats": 2, "n_permutations": 130, "stratify_by": "protocol"}
    a = evaluate_classifier(df, "f*", seed=11, n_jobs=1, **kw)
    b = evaluate_classifier(df, "f*", seed=11, n_jobs=2, **kw)
    pd.testing.assert_frame_equal(a.tidy(), b.tidy())
    np.testing.assert_array_equal(a.null_distribution, b.null_distribution)
    np.testing.assert_array_equal(a.fold_ids, b.fold_ids)
    c = evaluate_classifier(df, "f*", seed=12, **kw)
    assert not np.array_equal(a.null_distribution, c.null_distribution)


def test_permutations_within_protocol_preserve_counts():
    df = make_data(7)
    res = evaluate_classifier(df, "f*", covariates=COVS, n_repeats=1, n_permutations=30,
                              stratify_by="protocol", seed=2, permute_within=None)
    assert res.stratify_by == "protocol" and "within protocol" in res.summary()
    # the engine's permutations with these strata keep every protocol's class counts
    _, perm_seed = _seeds(2)
    strata = np.unique(df["protocol"].to_numpy(), return_inverse=True)[1]
    idx = resample(lambda i: i, len(df), 30, kind="permutation", strata=strata, seed=perm_seed)
    y = res.y01
    for row in idx:
        for s in (0, 1):
            assert y[row][strata == s].sum() == y[strata == s].sum()
    # test folds are balanced on protocol x subtype
    full = np.bincount(y.astype(int) * 2 + strata, minlength=4)
    for k in range(5):
        m = res.fold_ids[0] == k
        cell = np.bincount(y[m].astype(int) * 2 + strata[m], minlength=4)
        assert np.all(np.abs(cell - full / 5) < 1)


def test_default_permutations_within_confound_blocks():
    """By default labels move only among subjects sharing protocol, genotype and BMI tercile."""
    df = make_data(17)
    res = evaluate_classifier(df, "f*", covariates=COVS, n_repeats=1, n_permutations=40, seed=3)
    assert res.permuted_within == "protocol x tspo_genotype x bmi (3 quantile bins)"
    assert "permuted within protocol x tspo_genotype x bmi" in res.summary()
    tercile = np.searchsorted(np.quantile(df["bmi"], [1 / 3, 2 / 3]), df["bmi"], side="right")
    key = df["protocol"] + df["tspo_genotype"] + tercile.astype(str)
    blocks = np.unique(key, return_inverse=True)[1]
    _, perm_seed = _seeds(3)
    idx = resample(lambda i: i, len(df), 40, kind="permutation", strata=blocks, seed=perm_seed)
    y = res.y01
    for row in idx:
        assert np.array_equal(np.bincount(blocks, weights=y[row]), np.bincount(blocks, weights=y))
    # the same numbers as naming the blocks explicitly; stratify_by joins them
    same = evaluate_classifier(df, "f*", covariates=COVS, n_repeats=1, n_permutations=40, seed=3,
                               permute_within=COVS)
    np.testing.assert_array_equal(res.null_distribution, same.null_distribution)
    both = evaluate_classifier(df, "f*", covariates=COVS, n_repeats=1, n_permutations=40, seed=3,
                               stratify_by="protocol", permute_within=["tspo_genotype", "bmi"])
    assert both.permuted_within == res.permuted_within
    # too many blocks for the sample: a warning that says what to do
    df["age"] = np.random.default_rng(0).normal(40, 10, len(df))
    df["sex"] = np.where(np.arange(len(df)) % 2, "F", "M")
    with pytest.warns(ResamplingWarning, match="distinct label arrangements"):
        evaluate_classifier(df.iloc[:30], "f*", covariates=[*COVS, "age", "sex"], n_splits=2, n_repeats=1,
                            n_permutations=5, seed=1)
    with pytest.raises(SpecificationError, match="target"):
        evaluate_classifier(df, "f*", covariates=COVS, permute_within="subtype", n_permutations=5)
    with pytest.raises(SpecificationError, match="not in the data"):
        evaluate_classifier(df, "f*", covariates=COVS, permute_within="scanner", n_permutations=5)


def test_p_value_exactly_matches_sklearn_with_same_labels_and_folds():
    df = make_data(8, signal=0.4)
    feats = [f"f{j}" for j in range(8)]
    seed, P, R = 21, 9, 1
    est = LogisticRegression(**TIGHT)
    res = evaluate_classifier(df, feats, covariates=COVS, estimator=est, n_repeats=R,
                              n_permutations=P, seed=seed, permute_within=None)
    assert res.fast_path
    fold_seed, perm_seed = _seeds(seed)
    splitter = OurFolds(np.random.default_rng(fold_seed).random((R, len(df))), 5)
    idx = resample(lambda i: i, len(df), P, kind="permutation", seed=perm_seed)
    X = df[feats + COVS]
    y = res.y01.astype(int)
    clf = SubtypeClassifier(estimator=est, confounds=COVS)
    obs = cross_val_score(clf, X, y, cv=list(splitter.split(X, y)), scoring=auc_scorer).mean()
    null = np.array([
        cross_val_score(clf, X, y[row], cv=list(splitter.split(X, y[row])), scoring=auc_scorer).mean()
        for row in idx
    ])
    assert obs == pytest.approx(res.observed_auc, abs=1e-12)
    np.testing.assert_allclose(res.null_distribution, null, atol=1e-12)
    assert res.p_value == (np.sum(null >= obs) + 1) / (P + 1)


def _mc_compare(covariates, P, data_seed):
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    df = make_data(data_seed, signal=0.35)
    feats = [f"f{j}" for j in range(8)]
    res = evaluate_classifier(df, feats, covariates=covariates, estimator=LogisticRegression(**TIGHT),
                              n_repeats=1, n_permutations=P, seed=4, permute_within=None)
    fold_seed, _ = _seeds(4)
    splitter = OurFolds(np.random.default_rng(fold_seed).random((1, len(df))), 5)
    if covariates:
        est = SubtypeClassifier(estimator=LogisticRegression(**TIGHT), confounds=covariates)
        X = df[feats + covariates]
    else:  # without confounds the pipeline is plain scaling + logistic regression
        est, X = make_pipeline(StandardScaler(), LogisticRegression(**TIGHT)), df[feats].to_numpy()
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1, user_api="blas"):  # tiny problems: BLAS threads only contend
        score, _, p_sk = permutation_test_score(
            est, X, res.y01.astype(int), cv=splitter, n_permutations=P, scoring=auc_scorer,
            random_state=0,
        )
    assert score == pytest.approx(res.observed_auc, abs=1e-9)  # same folds, same labels
    p = (res.p_value + p_sk) / 2
    assert abs(res.p_value - p_sk) < 4 * np.sqrt(2 * p * (1 - p) / P) + 0.02


def test_p_value_matches_permutation_test_score_within_mc_error():
    _mc_compare([], 59, 9)


@pytest.mark.slow
def test_p_value_matches_permutation_test_score_with_confounds_large():
    for data_seed in (9, 19, 29):
        _mc_compare(COVS, 400, data_seed)


def test_general_path_agrees_with_fast_path():
    class SlowLR(LogisticRegression):
        """Same model, but not recognised by the fast path."""

    df = make_data(10, signal=0.6)
    kw = {"covariates": COVS, "n_repeats": 1, "n_permutations": 9, "seed": 3}
    fast = evaluate_classifier(df, "f*", estimator=LogisticRegression(**TIGHT), **kw)
    slow = evaluate_classifier(df, "f*", estimator=SlowLR(**TIGHT), **kw)
    assert fast.fast_path and not slow.fast_path
    pd.testing.assert_frame_equal(fast.tidy(), slow.tidy(), atol=1e-8)
    np.testing.assert_allclose(fast.null_distribution, slow.null_distribution, atol=1e-12)
    np.testing.assert_allclose(fast.coefs, slow.coefs, atol=1e-6)


def test_other_estimators():
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.svm import LinearSVC

    df = make_data(11, signal=1.0)
    knn = evaluate_classifier(df, "f*", covariates=COVS, estimator=KNeighborsClassifier(5),
                              n_repeats=1, n_permutations=4, seed=1)
    assert not knn.fast_path and knn.tidy()["estimate"].notna().all()
    with pytest.raises(SpecificationError, match="coef_"):
        knn.signature()
    svm = evaluate_classifier(df, "f*", estimator=LinearSVC(), n_repeats=1, n_permutations=0, seed=1)
    t = svm.tidy().set_index("term")
    assert np.isnan(t.loc["brier", "estimate"]) and t.loc["auc", "estimate"] > 0.6
    assert svm.signature().shape[0] == 8


def test_true_signal_found_and_signature():
    df = make_data(12, signal=1.5)
    res = evaluate_classifier(df, "f*", covariates=COVS, n_repeats=2, n_permutations=99, seed=0)
    assert res.observed_auc > 0.75 and res.p_value == pytest.approx(0.01)
    sig = res.signature()
    assert set(sig["feature"][:3]) == {"f0", "f1", "f2"}
    assert (sig["sign_consistency"][:3] == 1).all() and (sig["mean"][:3] > 0).all()


def _leakage_run(n_datasets, n_permutations, first_seed, raw_permutations=0):
    """Features carry confound signal only; confounds differ between subtypes."""
    adj, raw, ps, raw_ps = [], [], [], []
    for i in range(n_datasets):
        df = make_data(first_seed + i)
        with warnings.catch_warnings():  # strong confounding leaves some cohorts few arrangements
            warnings.simplefilter("ignore", ResamplingWarning)
            r = evaluate_classifier(df, "f*", covariates=COVS, n_repeats=1,
                                    n_permutations=n_permutations, seed=i)
        adj.append(r.observed_auc)
        ps.append(r.p_value)
        u = evaluate_classifier(df, "f*", n_repeats=1, n_permutations=raw_permutations, seed=i)
        raw.append(u.observed_auc)
        raw_ps.append(np.nan if u.p_value is None else u.p_value)
    return np.array(adj), np.array(raw), np.array(ps, dtype=float), np.array(raw_ps, dtype=float)


def _assert_uniform(ps, n_permutations, ks_alpha):
    """Rejection rates within 3 binomial SE of nominal at several levels, and a KS test."""
    from scipy import stats

    for a in (0.05, 0.1, 0.2, 0.5):
        # p = (C+1)/(P+1) is discrete: the attainable level nearest below a
        level = np.floor(a * (n_permutations + 1)) / (n_permutations + 1)
        assert abs(np.mean(ps <= level) - level) <= 3 * np.sqrt(level * (1 - level) / ps.size), a
    # continuity: spread each discrete p uniformly over its step before the KS test
    jitter = np.random.default_rng(0).random(ps.size) / (n_permutations + 1)
    assert stats.kstest(ps - jitter, "uniform").pvalue > ks_alpha


def test_no_confound_leakage_small():
    adj, raw, ps, raw_ps = _leakage_run(100, 39, 1000, raw_permutations=19)
    se = adj.std(ddof=1) / np.sqrt(adj.size)
    assert abs(adj.mean() - 0.5) < 3 * se
    assert raw.mean() > 0.65  # the unadjusted classifier reads subtype off the confounds
    assert np.mean(raw_ps <= 0.05) > 0.5  # ... and its permutation test calls that a signal
    _assert_uniform(ps, 39, 0.001)


@pytest.mark.slow
def test_no_confound_leakage_large():
    from scipy import stats

    adj, raw, ps, raw_ps = _leakage_run(800, 199, 5000, raw_permutations=99)
    se = adj.std(ddof=1) / np.sqrt(adj.size)
    assert abs(adj.mean() - 0.5) < 3 * se
    assert raw.mean() > 0.65
    assert stats.ttest_1samp(raw, 0.5).pvalue < 1e-10
    assert np.mean(raw_ps <= 0.05) > 0.5
    _assert_uniform(ps, 199, 0.01)


@pytest.mark.slow
def test_power_with_true_signal_large():
    ps = [evaluate_classifier(make_data(7000 + i, signal=1.5), "f*", covariates=COVS, n_repeats=2,
                              n_permutations=99, seed=i).p_value for i in range(40)]
    assert np.mean(np.array(ps) <= 0.05) > 0.8


# --------------------------------------------------------------------------- bad input
def test_bad_input_errors():
    df = make_data(13)
    with pytest.raises(InsufficientDataError, match="single class"):
        evaluate_classifier(df[df["subtype"] == "axial"], "f*", n_permutations=0)
    few = pd.concat([df[df["subtype"] == "axial"], df[df["subtype"] == "radicular"].head(3)])
    with pytest.raises(InsufficientDataError, match="n_splits=5"):
        evaluate_classifier(few, "f*", n_permutations=0)
    const = df.assign(f1=1.0)
    with pytest.raises(SpecificationError, match="constant"):
        evaluate_classifier(const, "f*", n_permutations=0)
    with pytest.raises(SpecificationError, match="suvr_nope"):
        evaluate_classifier(df, ["f0", "suvr_nope"], n_permutations=0)
    with pytest.raises(SpecificationError, match="matches no column"):
        evaluate_classifier(df, "conn_*", n_permutations=0)
    with pytest.raises(SpecificationError, match="scanner"):
        evaluate_classifier(df, "f*", covariates=["scanner"], n_permutations=0)
    three = df.assign(subtype=np.resize(["a", "b", "c"], len(df)))
    with pytest.raises(SpecificationError, match="two classes"):
        evaluate_classifier(three, "f*", n_permutations=0)
    with pytest.raises(SpecificationError, match="numeric"):
        evaluate_classifier(df, ["f0", "tspo_genotype"], n_permutations=0)
    with pytest.raises(SpecificationError, match="n_splits"):
        evaluate_classifier(df, "f*", n_splits=1)
    with pytest.raises(SpecificationError, match="n_permutations"):
        evaluate_classifier(df, "f*", n_permutations=-1)
    with pytest.raises(SpecificationError, match="DataFrame"):
        evaluate_classifier(df.to_numpy(), "f*")


def test_missing_values_complete_cases():
    df = make_data(14)
    df.loc[[3, 7], "f2"] = np.nan
    df.loc[10, "bmi"] = np.nan
    with pytest.warns(DataWarning, match="S003, S007, S010"):
        res = evaluate_classifier(df, "f*", covariates=COVS, n_repeats=1, n_permutations=0, seed=1)
    assert res.n == 51
    assert res.excluded_ids == ("S003", "S007", "S010")
    assert "S003" in res.summary()


# --------------------------------------------------------------------------- plots
def test_plots():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    res = evaluate_classifier(make_data(15, signal=1.0), "f*", covariates=COVS, n_repeats=2,
                              n_permutations=0, seed=1)
    _fig, (a1, a2) = plt.subplots(1, 2)
    assert res.plot(ax=a1) is a1
    assert len(a1.lines) == 10 + 3  # one step per fold, the mean, the baseline mean, the diagonal
    assert res.plot_signature(ax=a2) is a2
    assert len(a2.patches) == 8
    assert res.plot(model="confounds_only").get_xlabel() == "False positive rate"
    plt.close("all")


def test_user_estimator_is_seeded_from_seed(cohort):
    """A user-supplied estimator with an unset random_state gets it from seed: same seed, same AUC."""
    from sklearn.ensemble import RandomForestClassifier

    est = RandomForestClassifier(n_estimators=15, max_features="sqrt")
    kw = dict(covariates=["protocol"], estimator=est, n_splits=3, n_repeats=1, n_permutations=0)
    a = evaluate_classifier(cohort, ["suvr_s1", "suvr_thalamus", "fss"], seed=4, **kw)
    b = evaluate_classifier(cohort, ["suvr_s1", "suvr_thalamus", "fss"], seed=4, **kw)
    pd.testing.assert_frame_equal(a.tidy(), b.tidy())
    assert est.random_state is None  # the caller's estimator is not modified
