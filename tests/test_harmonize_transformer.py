"""The ComBat transformer (issue 16): sklearn contract on DataFrames, training estimates, unseen batches.

``check_estimator``/``parametrize_with_checks`` feed NumPy arrays, while ``ComBat`` needs a DataFrame
holding the batch column (and named covariates), so the suite cannot apply; the parts of the
contract that do apply are tested here one by one.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("sklearn")

from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from neuroimmune_stats.exceptions import SpecificationError
from neuroimmune_stats.harmonization import ComBat, harmonize

FEATS = [f"f{j}" for j in range(10)]


def make(seed: int = 0, n: int = 60) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    site = rng.choice(["A", "B", "C"], n)
    sex = rng.choice(["F", "M"], n)
    age = rng.uniform(20, 70, n)
    codes = np.unique(site, return_inverse=True)[1]
    Y = rng.normal(size=(n, 10)) * (1 + 0.4 * codes[:, None]) + codes[:, None] * rng.normal(size=10)
    Y += 0.5 * (sex == "M")[:, None] + 0.02 * age[:, None]
    df = pd.DataFrame(Y, columns=FEATS, index=pd.Index([f"s{i}" for i in range(n)], name="sid"))
    return df.assign(site=site, sex=sex, age=age)


def test_params_clone_and_fit_returns_self() -> None:
    cb = ComBat(batch="site", covariates=("sex", "age"), parametric=False, eb=True, features=None)
    assert cb.get_params() == {"batch": "site", "covariates": ("sex", "age"), "parametric": False, "eb": True,
                               "features": None}
    c2 = clone(cb)
    assert c2 is not cb and c2.get_params() == cb.get_params()
    assert cb.set_params(parametric=True) is cb and cb.parametric is True
    df = make()
    assert cb.fit(df) is cb
    assert cb.features_ == FEATS and cb.batch_levels_ == ["A", "B", "C"]
    assert list(cb.get_feature_names_out()) == list(df.columns) and cb.n_features_in_ == df.shape[1]
    assert not hasattr(clone(cb), "fit_")


def test_not_fitted_error() -> None:
    with pytest.raises(NotFittedError):
        ComBat(batch="site").transform(make())


def test_fit_transform_equals_harmonize_and_input_untouched() -> None:
    df = make()
    before = df.copy(deep=True)
    for par, eb in ((True, True), (False, True), (True, False)):
        out = ComBat(batch="site", covariates=["sex", "age"], parametric=par, eb=eb).fit_transform(df)
        pd.testing.assert_frame_equal(out, harmonize(df, FEATS, batch="site", covariates=["sex", "age"],
                                                     parametric=par, eb=eb))
        assert out.index.equals(df.index) and list(out.columns) == list(df.columns)
    pd.testing.assert_frame_equal(df, before)


def test_transform_uses_training_estimates_and_ignores_covariates() -> None:
    df = make()
    train, test = df.iloc[:45], df.iloc[45:]
    cb = ComBat(batch="site", covariates=["sex", "age"]).fit(train)
    state = {k: v for k, v in vars(cb).items()}
    a = cb.transform(test)
    # covariates of new rows are never read: scrambling or dropping them changes nothing
    b = cb.transform(test.assign(sex=test["sex"].to_numpy()[::-1], age=-1.0))
    c = cb.transform(test.drop(columns=["sex", "age"]))
    pd.testing.assert_frame_equal(a[FEATS], b[FEATS])
    pd.testing.assert_frame_equal(a[FEATS], c[FEATS])
    assert vars(cb).keys() == state.keys() and all(vars(cb)[k] is state[k] for k in state)
    # row-wise: transforming rows one at a time equals transforming them together
    single = pd.concat([cb.transform(test.iloc[[i]]) for i in range(len(test))])
    pd.testing.assert_frame_equal(single[FEATS], a[FEATS])
    # refitting is idempotent
    cb2 = clone(cb).fit(train).fit(train)
    pd.testing.assert_frame_equal(cb2.transform(test), a)


def test_transform_of_training_rows_without_covariates_equals_fit_transform() -> None:
    df = make()
    cb = ComBat(batch="site", features=FEATS)
    np.testing.assert_allclose(cb.fit_transform(df)[FEATS].to_numpy(), cb.transform(df)[FEATS].to_numpy(),
                               atol=1e-12)


def test_default_features_are_the_numeric_non_factor_columns() -> None:
    df = make().assign(protocol=1, label=lambda d: np.where(d["f0"] > 0, "x", "y"))
    cb = ComBat(batch="site", covariates=["sex"]).fit(df.drop(columns="protocol"))
    assert cb.features_ == [*FEATS, "age"]


def test_unseen_batch_and_bad_input() -> None:
    df = make()
    cb = ComBat(batch="site").fit(df[df.site != "C"])
    with pytest.raises(SpecificationError, match=r"\['C'\].*not seen in fit"):
        cb.transform(df)
    with pytest.raises(SpecificationError, match="missing from X"):
        cb.transform(df.drop(columns="f3"))
    bad = df.copy()
    bad.iloc[0, 0] = np.nan
    with pytest.raises(SpecificationError, match="missing values"):
        cb.transform(bad)
    with pytest.raises(SpecificationError, match="DataFrame"):
        cb.transform(df[FEATS].to_numpy())
    with pytest.raises(SpecificationError, match="DataFrame"):
        ComBat(batch="site").fit(df[FEATS].to_numpy())
    with pytest.raises(SpecificationError, match="eb must be True or False"):
        ComBat(batch="site", eb=1).fit(df)
