"""ComBat inside cross-validation (issue 16): fold-safe harmonisation, no leakage, fast = general path."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("sklearn")

from sklearn.base import clone
from sklearn.linear_model import LogisticRegression

from neuroimmune_stats.classify import SubtypeClassifier, evaluate_classifier
from neuroimmune_stats.classify.cv import CVDesign, adjusted_features
from neuroimmune_stats.classify.harmonize import FoldCombat
from neuroimmune_stats.design import covariate_matrix
from neuroimmune_stats.exceptions import SpecificationError
from neuroimmune_stats.harmonization import ComBat

TIGHT = {"tol": 1e-12, "max_iter": 100_000}
FEATS = [f"r{j}" for j in range(10)]


def null_cohort(seed: int, n: int = 54, p: int = 10, shift: float = 1.0) -> pd.DataFrame:
    """Subtype independent of the features given protocol, and unbalanced across protocols (28% vs 72%).

    Features carry protocol location (mean ``shift``) and scale (x1.6) effects and a genotype effect.
    """
    rng = np.random.default_rng(seed)
    protocol = np.repeat(["1", "2"], [n // 2, n - n // 2])
    y = rng.random(n) < np.where(protocol == "2", 0.72, 0.28)
    geno = rng.choice(["HAB", "MAB"], n, p=[0.65, 0.35])
    X = rng.normal(size=(n, p)) * np.where(protocol == "2", 1.6, 1.0)[:, None]
    X += (protocol == "2")[:, None] * rng.normal(shift, 0.5, p) + 0.8 * (geno == "MAB")[:, None]
    df = pd.DataFrame(X, columns=[f"r{j}" for j in range(p)])
    df.insert(0, "subject_id", [f"S{i:03d}" for i in range(n)])
    df["subtype"] = pd.Categorical(np.where(y, "radicular", "axial"), ["axial", "radicular"])
    df["protocol"], df["tspo_genotype"] = protocol, geno
    return df


def mean_null_auc(n_cohorts: int, n_repeats: int, **kw: object) -> tuple[float, float]:
    aucs = [evaluate_classifier(null_cohort(s), "r*", n_permutations=0, n_repeats=n_repeats, seed=s,
                                **kw).observed_auc for s in range(n_cohorts)]  # type: ignore[arg-type]
    return float(np.mean(aucs)), float(np.std(aucs, ddof=1) / np.sqrt(n_cohorts))


# --------------------------------------------------------------------------- leakage
def test_null_cohort_auc_at_chance_small() -> None:
    mean, _ = mean_null_auc(16, 2, covariates=["protocol", "tspo_genotype"], harmonize=True)
    assert 0.45 <= mean <= 0.55
    mean_h, _ = mean_null_auc(16, 2, harmonize=True)  # ComBat alone, no confound regression
    assert 0.45 <= mean_h <= 0.55
    # positive control: without harmonisation or adjustment the protocol route is found
    leaky, _ = mean_null_auc(16, 2)
    assert leaky > 0.6


@pytest.mark.slow
def test_null_cohort_auc_at_chance_large() -> None:
    for kw in ({"covariates": ["protocol", "tspo_genotype"], "harmonize": True}, {"harmonize": True}):
        mean, se = mean_null_auc(200, 5, **kw)
        assert 0.45 <= mean <= 0.55, (kw, mean, se)


def _split(df: pd.DataFrame, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    te = np.sort(np.random.default_rng(seed).choice(len(df), 11, replace=False))
    return np.setdiff1d(np.arange(len(df)), te), te


def test_test_fold_transform_ignores_labels() -> None:
    df = null_cohort(1)
    tr, te = _split(df)
    X = df[[*FEATS, "protocol", "tspo_genotype"]]
    y = df["subtype"].to_numpy()
    rng = np.random.default_rng(5)
    y_test_shuffled = y.copy()
    y_test_shuffled[te] = rng.permutation(y[te])
    y_all_shuffled = rng.permutation(y)
    ref = None
    for labels in (y, y_test_shuffled, y_all_shuffled):
        clf = SubtypeClassifier(confounds=["protocol", "tspo_genotype"], harmonize=True).fit(X.iloc[tr], labels[tr])
        Z = clf.adjust(X.iloc[te])
        if ref is None:
            ref = Z
        np.testing.assert_array_equal(Z, ref)
    # the batched fold kernel: test rows are mapped from training rows only, one row at a time
    mod, _ = covariate_matrix(df, ["tspo_genotype"])
    codes = (df["protocol"] == "2").to_numpy().astype(np.int64)
    fc = FoldCombat(codes, ["1", "2"], mod, FEATS)
    F = df[FEATS].to_numpy()
    M = np.ones((1, len(df)))
    M[0, te] = 0
    H = fc(F, M)[0]
    F2 = F.copy()
    F2[te[1:]] += rng.normal(0, 5, (len(te) - 1, F.shape[1]))  # other test rows change: row te[0] must not
    H2 = fc(F2, M)[0]
    np.testing.assert_allclose(H2[te[0]], H[te[0]], atol=1e-12)
    np.testing.assert_allclose(H2[tr], H[tr], atol=1e-12)
    # and it is ComBat fitted on the training rows, applied with the training estimates
    cb = ComBat(batch="protocol", covariates=["tspo_genotype"], features=FEATS).fit(df.iloc[tr])
    np.testing.assert_allclose(H[te], cb.transform(df.iloc[te])[FEATS].to_numpy(), atol=1e-10)


def test_fast_path_harmonises_as_the_estimator() -> None:
    df = null_cohort(2)
    tr, te = _split(df, 3)
    covs = ["protocol", "tspo_genotype"]
    clf = SubtypeClassifier(confounds=covs, harmonize=True).fit(df[[*FEATS, *covs]].iloc[tr],
                                                                df["subtype"].to_numpy()[tr])
    mod, _ = covariate_matrix(df, ["tspo_genotype"])
    codes = (df["protocol"] == "2").to_numpy().astype(np.int64)
    M = np.ones((1, len(df)))
    M[0, te] = 0
    H = FoldCombat(codes, ["1", "2"], mod, FEATS)(df[FEATS].to_numpy(), M)
    Cm, _ = covariate_matrix(df, covs)
    Z = adjusted_features(H, np.column_stack([np.ones(len(df)), Cm]), M)[0]
    np.testing.assert_allclose(Z[te], clf.adjust(df[[*FEATS, *covs]].iloc[te]), atol=1e-10)


def test_general_path_agrees_with_fast_path() -> None:
    class SlowLR(LogisticRegression):
        """Same model, not recognised by the fast path."""

    df = null_cohort(3, shift=2.0)
    df.loc[df["subtype"] == "radicular", ["r0", "r1"]] += 0.8
    kw = {"covariates": ["protocol", "tspo_genotype"], "n_repeats": 1, "n_permutations": 2, "seed": 3,
          "harmonize": True}
    fast = evaluate_classifier(df, "r*", estimator=LogisticRegression(**TIGHT), **kw)
    slow = evaluate_classifier(df, "r*", estimator=SlowLR(**TIGHT), **kw)
    assert fast.fast_path and not slow.fast_path and fast.harmonized
    pd.testing.assert_frame_equal(fast.tidy(), slow.tidy(), atol=1e-8)
    np.testing.assert_allclose(fast.null_distribution, slow.null_distribution, atol=1e-12)
    np.testing.assert_allclose(fast.coefs, slow.coefs, atol=1e-6)
    assert "ComBat on protocol" in fast.summary()


def test_harmonize_changes_the_features_seen_and_keeps_a_true_signal() -> None:
    df = null_cohort(4, n=80, shift=2.0)
    df.loc[df["subtype"] == "radicular", ["r0", "r1", "r2"]] += 1.2
    kw = {"covariates": ["protocol", "tspo_genotype"], "n_repeats": 2, "n_permutations": 0, "seed": 4}
    plain = evaluate_classifier(df, "r*", **kw)
    harm = evaluate_classifier(df, "r*", harmonize=True, **kw)
    assert harm.observed_auc > 0.65
    assert not np.allclose(plain.coefs, harm.coefs)
    # the permutation null is centred at chance with ComBat inside the folds
    res = evaluate_classifier(null_cohort(5), "r*", covariates=["protocol"], harmonize=True, n_repeats=1,
                              n_permutations=49, seed=5)
    assert abs(float(np.mean(res.null_distribution)) - 0.5) < 0.05


def test_fold_kernel_pickles_for_workers() -> None:
    import pickle

    df = null_cohort(6)
    mod, _ = covariate_matrix(df, ["tspo_genotype"])
    fc = FoldCombat((df["protocol"] == "2").to_numpy().astype(np.int64), ["1", "2"], mod, FEATS)
    M = (np.random.default_rng(0).random((3, len(df))) < 0.8).astype(float)
    F = df[FEATS].to_numpy()
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(fc))(F, M), fc(F, M))


# --------------------------------------------------------------------------- estimator contract and errors
def test_estimator_params_and_errors() -> None:
    df = null_cohort(7)
    X = df[[*FEATS, "protocol", "tspo_genotype"]]
    y = df["subtype"].to_numpy()
    clf = SubtypeClassifier(confounds=["tspo_genotype"], harmonize=True)
    assert clone(clf).get_params()["harmonize"] is True
    clf.fit(X, y)
    assert clf.feature_names_ == FEATS and clf.batch_levels_ == ["1", "2"] and clf.combat_ is not None
    assert clf.predict_proba(X).shape == (len(X), 2)
    with pytest.raises(SpecificationError, match=r"\['3'\] were not seen in fit"):
        clf.predict(X.assign(protocol="3"))
    with pytest.raises(SpecificationError, match="needs a 'protocol' column"):
        SubtypeClassifier(harmonize=True).fit(X.drop(columns="protocol"), y)
    with pytest.raises(SpecificationError, match="DataFrame"):
        SubtypeClassifier(harmonize=True).fit(df[FEATS].to_numpy(), y)
    with pytest.raises(SpecificationError, match="confounds given by name"):
        SubtypeClassifier(confounds=[0], harmonize=True).fit(X, y)
    with pytest.raises(SpecificationError, match="harmonize must be True or False"):
        SubtypeClassifier(harmonize="yes").fit(X, y)
    # without confounds: the protocol column is the batch only, never a feature
    c2 = SubtypeClassifier(harmonize=True).fit(X.drop(columns="tspo_genotype"), y)
    assert c2.feature_names_ == FEATS


def test_evaluate_errors() -> None:
    df = null_cohort(8)
    with pytest.raises(SpecificationError, match="needs a 'protocol' column"):
        evaluate_classifier(df.drop(columns="protocol"), "r*", harmonize=True, n_permutations=0)
    with pytest.raises(SpecificationError, match="harmonize must be True or False"):
        evaluate_classifier(df, "r*", harmonize=1, n_permutations=0)  # type: ignore[arg-type]
    bad = df.copy()
    bad.loc[bad["protocol"] == "1", "r3"] = 1.0
    with pytest.raises(SpecificationError, match="'r3' is constant within batch '1'"):
        evaluate_classifier(bad, "r*", harmonize=True, n_permutations=0, n_repeats=1)
    one = df.copy()
    one.loc[0, "protocol"] = "3"
    with pytest.raises(Exception, match="batch '3' has"):
        evaluate_classifier(one, "r*", harmonize=True, n_permutations=0, n_repeats=1)


def test_cv_design_unchanged_by_harmonize() -> None:
    df = null_cohort(9)
    a = evaluate_classifier(df, "r*", n_permutations=0, n_repeats=2, seed=1)
    b = evaluate_classifier(df, "r*", harmonize=True, n_permutations=0, n_repeats=2, seed=1)
    np.testing.assert_array_equal(a.fold_ids, b.fold_ids)
    assert isinstance(CVDesign(None, np.zeros((1, 3)), 3).n_repeats, int)
