"""The same data get the same decisions in every analysis (one model frame under all of them).

The same collinear / inf / NaN / single-level frames go through lm, group_compare, correlate,
permutation_test, mediate, bayes_mediate and evaluate_classifier: the same accept/reject decision,
the same n, the same excluded IDs, one warning naming them; group_compare equals lm().anova(2)
wherever both run.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest

import neuroimmune_stats as nis
from neuroimmune_stats.exceptions import DataWarning, RankDeficiencyError, SpecificationError

BAD_ID = "P-012"

# every analysis asked the same question: suvr_s1 with fss, adjusted for protocol and bmi
RUNS: dict[str, Callable[[pd.DataFrame], Any]] = {
    "lm": lambda d: nis.lm("suvr_s1 ~ subtype + fss + protocol + bmi", d),
    "group_compare": lambda d: nis.group_compare(d, "suvr_s1", covariates=["fss", "protocol", "bmi"]),
    "correlate": lambda d: nis.correlate(d, "suvr_s1", "fss", covariates=["subtype", "protocol", "bmi"]),
    "permutation_test": lambda d: nis.permutation_test(d, "suvr_s1", covariates=["fss", "protocol", "bmi"],
                                                       n_permutations=49, seed=1),
    "mediate": lambda d: nis.mediate(d, "subtype_num", "fss", "suvr_s1", covariates=["protocol", "bmi"],
                                     n_boot=50, seed=1),
    "bayes_mediate": lambda d: nis.bayes_mediate(d, "subtype_num", "fss", "suvr_s1", covariates=["protocol", "bmi"],
                                                 method="exact", draws=200, seed=1),
    "evaluate_classifier": lambda d: nis.evaluate_classifier(d, ["suvr_s1", "fss"], covariates=["protocol", "bmi"],
                                                             n_splits=3, n_repeats=1, n_permutations=0, seed=1),
}


@pytest.fixture(scope="module")
def base() -> pd.DataFrame:
    df = nis.simulate_cohort(seed=11)
    df = df.assign(subject_id=[f"P-{i:03d}" for i in range(1, len(df) + 1)],
                   subtype_num=(df["subtype"].astype(str) == "radicular").astype(float))
    return df.dropna(subset=["fss", "suvr_s1", "bmi"]).reset_index(drop=True)


def _run(name: str, data: pd.DataFrame) -> tuple[Any, list[str]]:
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        res = RUNS[name](data)
    return res, [str(w.message) for w in rec if issubclass(w.category, DataWarning)]


@pytest.mark.parametrize("name", sorted(RUNS))
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_missing_and_nonfinite_are_excluded_alike(base, name, bad):
    data = base.copy()
    data.loc[data["subject_id"] == BAD_ID, "suvr_s1"] = bad
    res, msgs = _run(name, data)
    assert res.n == len(base) - 1, name
    assert tuple(res.excluded_ids) == (BAD_ID,), name
    assert sum(BAD_ID in m for m in msgs) == 1, (name, msgs)


@pytest.mark.parametrize("name", sorted(RUNS))
def test_collinear_covariate_rejected_everywhere(base, name):
    rng = np.random.default_rng(0)
    data = base.assign(bmi=lambda d: 2.0 * d["fss"] + 1.0 + rng.normal(scale=1e-9, size=len(d)))
    if name in ("mediate", "bayes_mediate", "evaluate_classifier"):
        data = base.assign(bmi=lambda d: 3.0 * (d["protocol"].astype(str) == str(d["protocol"].iloc[0])) + 1e-10)
    with pytest.raises(RankDeficiencyError):
        _run(name, data)


@pytest.mark.parametrize("name", sorted(RUNS))
def test_single_level_factor_rejected_everywhere(base, name):
    data = base[base["protocol"] == base["protocol"].iloc[0]]
    with pytest.raises(SpecificationError, match="protocol"):
        _run(name, data)


def test_group_compare_equals_lm_anova2(base):
    data = base.copy()
    data.loc[3, "suvr_s1"] = np.inf
    gc, _ = _run("group_compare", data)
    fit, _ = _run("lm", data)
    row = fit.anova(2).set_index("term").loc["subtype"]
    got = gc.tidy().iloc[0]
    assert got["F"] == pytest.approx(row["F"], rel=1e-10)
    assert got["p_value"] == pytest.approx(row["p_value"], rel=1e-10)
    assert got["n"] == fit.n
    assert got["contrast"] == "radicular - axial"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        ref = nis.group_compare(data, "suvr_s1", covariates=["fss", "protocol", "bmi"], reference="radicular")
    assert ref.tidy()["contrast"].iloc[0] == "axial - radicular"
    assert ref.tidy()["estimate"].iloc[0] == pytest.approx(-got["estimate"], rel=1e-12)


def test_factor_codes_as_written_and_parameter_messages(base):
    data = base.assign(protocol=base["protocol"].astype(int))
    fit = nis.lm("suvr_s1 ~ subtype + protocol", data)
    assert fit.frame["protocol"].cat.categories.tolist() == [1, 2]
    assert (fit.frame["protocol"] == 2).sum() == (data["protocol"] == 2).sum()
    with pytest.raises(SpecificationError, match="conf_level"):
        nis.correlate(data, "suvr_s1", "fss", conf_level=1.5)
    with pytest.raises(SpecificationError, match="conf_level"):
        nis.group_compare(data, "suvr_s1", conf_level=0)
    with pytest.raises(SpecificationError, match="correction must be one of"):
        nis.group_compare(data, "suvr_s1", correction="bogus")
    with pytest.raises(SpecificationError, match="correction must be one of"):
        nis.correlate(data, "suvr_s1", "fss", correction="bogus")


def test_seed_streams_differ_between_analyses(base):
    a = nis.mediate(base, "subtype_num", "fss", "suvr_s1", n_boot=200, seed=5)
    b = nis.mediate(base, "subtype_num", "fss", "suvr_s1", n_boot=200, seed=5)
    pd.testing.assert_frame_equal(a.tidy(), b.tidy())
    from neuroimmune_stats._rng import analysis_seed

    draws = {name: np.random.default_rng(analysis_seed(5, name)).random(4)
             for name in ("mediate", "bayes_mediate", "permutation_test", "evaluate_classifier", "impute")}
    assert len({tuple(v) for v in draws.values()}) == len(draws)


@pytest.mark.parametrize("series", [
    pd.Series([1.0, 2.0]), pd.Series([1, 2]), pd.Series([True, False]), pd.Series(["a", "b"], dtype=object),
    pd.Series(["a", "b"]), pd.Series(["a", "b"], dtype="string"), pd.Series(pd.Categorical(["a"])),
    pd.Series([1, None], dtype="Int64"), pd.Series(pd.to_datetime(["2020-01-01"])), pd.Series([1 + 2j]),
    pd.Series(np.array(["a", "b"], dtype="U1")), pd.Series([1, "a"], dtype=object),
    pd.Series([1.0, None], dtype=object), pd.Series([], dtype=object), pd.Series(np.array([b"a"], dtype="S1")),
    pd.Series([True, None], dtype="boolean"), pd.Series([1.5], dtype="Float64"),
], ids=str)
def test_is_factor_fast_path_is_pandas_rule(series: pd.Series) -> None:
    from neuroimmune_stats.design import is_factor

    rule = bool(isinstance(series.dtype, pd.CategoricalDtype) or pd.api.types.is_object_dtype(series)
                or pd.api.types.is_string_dtype(series) or pd.api.types.is_bool_dtype(series))
    assert is_factor(series) is rule
    assert is_factor(series.rename("protocol"))  # always a factor by name


def test_model_frame_columns_and_lazy_data_are_one_copy(base) -> None:
    """Frame.column() serves the analyses without a DataFrame; .data, built on demand, holds the same columns."""
    from neuroimmune_stats.design import model_frame

    src = base.assign(fss=base["fss"].where(base.index != 3))
    before = src.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        fr = model_frame(src, what="t", roles={"x": "suvr_s1", "y": "fss", "covariates": ["protocol", "subtype"]},
                         numeric=("x", "y"))
    assert fr.n == len(src) - 1 and fr.excluded_ids == (src["subject_id"][3],)
    assert fr.names == ["subject_id", "suvr_s1", "fss", "protocol", "subtype"]
    assert fr._data is None  # nothing built yet
    data = fr.data
    assert list(data.columns) == fr.names and data.index.tolist() == [i for i in src.index if i != 3]
    for c in fr.names:
        pd.testing.assert_series_equal(data[c], fr.column(c))
    assert data["protocol"].cat.categories.tolist() == sorted(src["protocol"].unique().tolist())
    np.testing.assert_array_equal(fr.numeric("fss"), src["fss"].drop(index=3).to_numpy())
    X, names = fr.covariates(["protocol", "subtype"])
    assert X.shape == (fr.n, len(names)) and fr.covariates([])[0].shape == (fr.n, 0)
    with pytest.raises(SpecificationError, match="not in the model frame"):
        fr.column("bmi")
    pd.testing.assert_frame_equal(src, before)  # the input is not modified
    src.loc[src.index[0], "suvr_s1"] = -1.0  # the caller's frame changes after the call: the frame does not
    assert fr.numeric("suvr_s1")[0] == before["suvr_s1"].iloc[0] != -1.0


def test_ols_checked_is_check_rank_then_ols() -> None:
    """One QR for the rank rule and the fit: the same numbers and the same errors as the two calls."""
    from neuroimmune_stats.design import check_rank, ols, ols_checked

    rng = np.random.default_rng(3)
    for _ in range(50):
        n, p = int(rng.integers(3, 40)), int(rng.integers(1, 8))
        X = rng.normal(size=(n, p))
        X[:, 0] = 1.0
        if rng.random() < 0.3 and p > 2:
            X[:, -1] = X[:, 1] * 2 + 1e-9 * rng.normal(size=n)  # aliased
        y = rng.normal(size=n)
        names = [f"c{j}" for j in range(p)]
        try:
            check_rank(X, names, what="t")
        except RankDeficiencyError as exc:
            with pytest.raises(RankDeficiencyError) as got:
                ols_checked(X, y, names, what="t")
            assert str(got.value) == str(exc)
            continue
        a, b = ols(X, y), ols_checked(X, y, names, what="t")
        np.testing.assert_array_equal(a.coef, b.coef)
        np.testing.assert_array_equal(a.xtx_inv, b.xtx_inv)
        assert a.rss == b.rss and a.df_residual == b.df_residual


def test_classical_f_is_the_wald_f() -> None:
    """The equations' overall F without hc= is R's (MSS / df) / sigma^2, the Wald F with sigma^2 (X'X)^-1."""
    from neuroimmune_stats.mediation._spec import ols

    rng = np.random.default_rng(5)
    X = np.column_stack([np.ones(40), rng.normal(size=(40, 3))])
    y = X @ [1.0, 0.3, 0.0, -0.2] + rng.normal(size=40)
    fit = ols(y, X, ["constant", "a", "b", "c"], "y")
    b = fit.coef[1:]
    assert fit.vcov is not None
    np.testing.assert_allclose(fit.f, b @ np.linalg.solve(fit.vcov[1:, 1:], b) / 3, rtol=1e-12)
    r2 = fit.r2
    np.testing.assert_allclose(fit.f, (r2 / 3) / ((1 - r2) / 36), rtol=1e-12)
