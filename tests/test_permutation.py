"""Freedman–Lane permutation tests: exact algebra, nilearn agreement, reproducibility, FWE control."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import neuroimmune_stats as nis
from neuroimmune_stats import group_compare, permutation_test
from neuroimmune_stats._rng import analysis_seed
from neuroimmune_stats.exceptions import DataWarning, InsufficientDataError, SpecificationError
from neuroimmune_stats.resampling import resample

COVS = ["protocol", "tspo_genotype"]


def _data(n_out=6, seed=0, effect=0.0, nan=False):
    df = nis.simulate_cohort(seed=seed)[["subject_id", "subtype", "protocol", "tspo_genotype", "bmi"]]
    rng = np.random.default_rng(seed)
    g = (df["subtype"] == "radicular").to_numpy(float)
    Y = rng.normal(size=(len(df), n_out)) + effect * g[:, None]
    if nan:
        Y[3, 0] = np.nan
    return pd.concat([df, pd.DataFrame(Y, columns=[f"y{i}" for i in range(n_out)], index=df.index)], axis=1)


def test_statistic_equals_model_t():
    data = _data(effect=0.5)
    res = permutation_test(data, "y*", covariates=COVS, n_permutations=99, seed=1).tidy()
    gc = group_compare(data, "y*", covariates=COVS).tidy()
    np.testing.assert_allclose(res["statistic"] ** 2, gc["F"], rtol=1e-10)
    np.testing.assert_array_equal(np.sign(res["statistic"]), np.sign(gc["estimate"]))
    assert set(res.columns) == {"outcome", "term", "statistic", "df", "p_value", "p_fwe", "n"}
    assert (res["p_fwe"] >= res["p_value"]).all()


def test_vectorised_algebra_equals_explicit_refits_with_blocks():
    data = _data(n_out=3, seed=2, effect=0.3)
    P = 130
    res = permutation_test(data, ["y0", "y1", "y2"], covariates=["bmi"], blocks="protocol",
                           n_permutations=P, seed=11)
    perms = resample(lambda idx: idx, len(data), P, kind="permutation",
                     strata=data["protocol"].astype(str).to_numpy(), seed=analysis_seed(11, "permutation_test"))
    prot = data["protocol"].astype(str).to_numpy()
    for row in perms[:20]:
        assert all(set(prot[row[prot == b]]) == {b} for b in set(prot))
    Y = data[["y0", "y1", "y2"]].to_numpy()
    Z = np.column_stack([np.ones(len(data)), data["bmi"]])
    X = np.column_stack([Z, (data["subtype"] == "radicular").to_numpy(float)])
    fitted = Z @ np.linalg.lstsq(Z, Y, rcond=None)[0]
    resid = Y - fitted

    def tstat(Ystar):
        b, rss, *_ = np.linalg.lstsq(X, Ystar, rcond=None)
        cov = np.linalg.inv(X.T @ X)[-1, -1]
        return b[-1] / np.sqrt(rss / (len(X) - X.shape[1]) * cov)

    obs = tstat(Y)
    null = np.array([tstat(fitted + resid[row]) for row in perms])
    p = (np.sum(np.abs(null) >= np.abs(obs) * (1 - 1e-10), axis=0) + 1) / (P + 1)
    pf = (np.sum(np.abs(null).max(axis=1)[:, None] >= np.abs(obs) * (1 - 1e-10), axis=0) + 1) / (P + 1)
    got = res.tidy()
    np.testing.assert_allclose(got["statistic"], obs, rtol=1e-10)
    np.testing.assert_allclose(got["p_value"], p)
    np.testing.assert_allclose(got["p_fwe"], pf)


def test_agrees_with_nilearn_permuted_ols():
    pytest.importorskip("nilearn")
    from nilearn.mass_univariate import permuted_ols

    data = _data(n_out=8, seed=5, effect=0.6)
    P = 2000
    ours = permutation_test(data, "y*", covariates=COVS, n_permutations=P, seed=3).tidy()
    g = (data["subtype"] == "radicular").to_numpy(float)[:, None]
    Z = np.column_stack([(data["protocol"].astype(str) == "2").to_numpy(float),
                         (data["tspo_genotype"].astype(str) == "MAB").to_numpy(float)])
    Y = data[[f"y{i}" for i in range(8)]].to_numpy()
    out = permuted_ols(g, Y, confounding_vars=Z, n_perm=P, random_state=0, n_jobs=1, verbose=0,
                       output_type="dict")
    np.testing.assert_allclose(ours["statistic"], out["t"][0], rtol=1e-8)
    p_fwe_nl = 10 ** -out["logp_max_t"][0]
    # two independent Monte Carlo estimates: allow 4.5 standard errors of their difference
    se = np.sqrt(2 * np.maximum(p_fwe_nl * (1 - p_fwe_nl), 1 / P) / P)
    assert np.all(np.abs(ours["p_fwe"] - p_fwe_nl) <= 4.5 * se + 2 / P)


def test_same_seed_same_numbers_any_n_jobs_and_chunking():
    data = _data(n_out=5, seed=7, effect=0.2)
    kw = dict(covariates=COVS, n_permutations=300, seed=42)
    a = permutation_test(data, "y*", n_jobs=1, **kw).tidy()
    b = permutation_test(data, "y*", n_jobs=2, **kw).tidy()
    c = permutation_test(data, "y*", chunk_size=64, max_bytes=4096, **kw).tidy()
    pd.testing.assert_frame_equal(a, b)
    pd.testing.assert_frame_equal(a, c)
    d = permutation_test(data, "y*", covariates=COVS, n_permutations=300, seed=43).tidy()
    assert not np.array_equal(a["p_value"], d["p_value"])


def test_missing_values_and_errors():
    data = _data(nan=True)
    data.loc[data.index[5], "y1"] = np.inf   # ±inf is missing, as everywhere
    data.loc[data.index[8], "protocol"] = None
    sid = data["subject_id"].astype(str)
    with pytest.warns(DataWarning) as rec:
        res = permutation_test(data, "y*", covariates=COVS, n_permutations=50, seed=1)
    assert len([w for w in rec if issubclass(w.category, DataWarning)]) == 1   # once per call
    assert res.n == len(data) - 3
    assert res.excluded_ids == (sid.iloc[3], sid.iloc[5], sid.iloc[8])
    assert all(i in str(rec[0].message) for i in res.excluded_ids)
    assert "Freedman" in res.summary() and repr(res) == res.summary()
    assert res.seed == 1
    with pytest.raises(SpecificationError, match="n_permutations"):
        permutation_test(data, "y*", n_permutations=0)
    with pytest.raises(SpecificationError, match="n_permutations"):
        permutation_test(data, "y*", n_permutations="many")
    with pytest.raises(SpecificationError, match="n_jobs"):
        permutation_test(data, "y*", n_jobs=0)
    with pytest.raises(SpecificationError, match="nope"):
        permutation_test(data, "y*", covariates=["nope"])
    with pytest.raises(InsufficientDataError):
        permutation_test(data.iloc[:2], "y*", n_permutations=10)


def test_own_random_stream():
    """The analysis' stream is analysis_seed(seed, "permutation_test"), not the raw seed."""
    data = _data(n_out=2, seed=3)
    res = permutation_test(data, "y*", n_permutations=64, seed=5)
    assert not np.array_equal(res.null_max, permutation_test(data, "y*", n_permutations=64, seed=6).null_max)
    np.testing.assert_array_equal(res.null_max, permutation_test(data, "y*", n_permutations=64, seed=5).null_max)


def test_plot_draws_the_stored_null_of_the_maximum(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    data = _data(n_out=20, seed=4, effect=0.8)
    res = permutation_test(data, "y*", covariates=COVS, n_permutations=999, seed=2)
    crit = res.critical_value(0.05)
    t = res.table
    # outcomes beyond the critical value are exactly those with p_fwe <= 0.05
    np.testing.assert_array_equal(np.abs(t["statistic"]) > crit, t["p_fwe"] <= 0.05)
    fig, ax = plt.subplots()
    assert res.plot(ax=ax) is ax
    heights = sum(p.get_height() for p in ax.patches)
    assert heights > 0 and "maximum |t|" in ax.get_xlabel()
    assert any(abs(line.get_xdata()[0] - crit) < 1e-12 for line in ax.get_lines() if len(line.get_xdata()) == 2)
    fig.savefig(tmp_path / "null_max.png")
    plt.close("all")


def _fwe_rate(n_sim, n_out=10, P=99, seed=0):
    rng = np.random.default_rng(seed)
    base = nis.simulate_cohort(seed=1)[["subject_id", "subtype", "protocol", "tspo_genotype"]]
    hits = 0
    for s in range(n_sim):
        Y = rng.standard_normal((len(base), n_out))
        data = pd.concat([base, pd.DataFrame(Y, columns=[f"y{i}" for i in range(n_out)], index=base.index)],
                         axis=1)
        res = permutation_test(data, "y*", covariates=COVS, n_permutations=P, seed=s)
        hits += bool((res.table["p_fwe"] <= 0.05).any())
    return hits / n_sim


def test_null_fwe_near_five_percent_small():
    n_sim = 200
    rate = _fwe_rate(n_sim)
    se = np.sqrt(0.05 * 0.95 / n_sim)
    assert abs(rate - 0.05) <= 3 * se


@pytest.mark.slow
def test_null_fwe_near_five_percent_large():
    n_sim = 2000
    rate = _fwe_rate(n_sim, n_out=50, P=199, seed=1)
    se = np.sqrt(0.05 * 0.95 / n_sim)
    assert abs(rate - 0.05) <= 3 * se


@pytest.mark.parametrize("storage", ["pyarrow", "python", "object"])
def test_string_storage_does_not_change_the_answer(storage):
    """Group, covariate and block columns stored as pyarrow, python or object strings: the same test."""
    data = _data(n_out=3, seed=6, effect=0.4)
    for col in ("subtype", "protocol", "tspo_genotype"):
        data[col] = data[col].astype(str).astype(object)
    kw = dict(covariates=["tspo_genotype"], blocks="protocol", n_permutations=200, seed=4)
    ref = permutation_test(data, "y*", **kw).tidy()
    d = data.copy()
    for col in ("subtype", "protocol", "tspo_genotype"):
        d[col] = d[col].astype(pd.StringDtype(storage) if storage != "object" else object)
    pd.testing.assert_frame_equal(permutation_test(d, "y*", **kw).tidy(), ref)
