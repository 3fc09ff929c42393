"""ComBat harmonisation (issue 16): R sva parity, neuroCombat parity, the transformer contract, bad input."""

from __future__ import annotations

import contextlib
import io
import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import neuroimmune_stats as nis
from neuroimmune_stats.design import as_factor, covariate_matrix, is_factor, resolve_columns
from neuroimmune_stats.exceptions import (
    DataWarning,
    InsufficientDataError,
    RankDeficiencyError,
    SpecificationError,
)
from neuroimmune_stats.harmonization import HarmonizeResult, frames, harmonize
from neuroimmune_stats.harmonization.api import check_balance, default_features, prepare
from neuroimmune_stats.harmonization.combat import adjust_fitted, apply_fit, fit_combat

REF = Path(__file__).parent / "reference"
FIX = json.loads((REF / "combat.json").read_text())
COVS = ["subtype", "tspo_genotype", "bmi"]


@pytest.fixture(scope="module")
def bladder() -> pd.DataFrame:
    return pd.read_csv(REF / "combat_bladder_input.csv")


@pytest.fixture(scope="module")
def cohort() -> pd.DataFrame:
    return pd.read_csv(REF / "combat_cohort_input.csv", dtype={"subject_id": str})


# --------------------------------------------------------------------------- R sva::ComBat parity
@pytest.mark.parametrize("key, parametric", [("parametric", True), ("nonparametric", False)])
def test_bladderbatch_matches_sva(bladder: pd.DataFrame, key: str, parametric: bool) -> None:
    genes = FIX["bladder"]["genes"]
    out = harmonize(bladder, genes, batch="batch", covariates=["cancer"], parametric=parametric)
    np.testing.assert_allclose(out[genes].to_numpy(), np.array(FIX["bladder"][key]), rtol=0, atol=1e-6)


@pytest.mark.parametrize("key, parametric, covs", [
    ("parametric", True, COVS), ("nonparametric", False, COVS), ("parametric_nomod", True, []),
])
def test_example_cohort_matches_sva(cohort: pd.DataFrame, key: str, parametric: bool, covs: list[str]) -> None:
    feats = FIX["cohort"]["features"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        out = harmonize(cohort, "suvr_*", batch="protocol", covariates=covs, parametric=parametric)
    assert list(out["subject_id"]) == FIX["cohort"]["subject_id"]
    np.testing.assert_allclose(out[feats].to_numpy(), np.array(FIX["cohort"][key]), rtol=0, atol=1e-6)


def test_fixture_is_the_example_cohort(cohort: pd.DataFrame) -> None:
    df = nis.load_example().reset_index(drop=True)
    # the same subjects in the same order (the example's ID spelling may gain a "sub-" prefix)
    assert [s.removeprefix("sub-") for s in df["subject_id"]] == list(cohort["subject_id"])
    feats = FIX["cohort"]["features"]
    np.testing.assert_allclose(df[feats].to_numpy(dtype=float), cohort[feats].to_numpy(), atol=1e-12)
    assert list(df["subtype"].astype(str)) == list(cohort["subtype"])


# --------------------------------------------------------------------------- neuroCombat parity
def _neurocombat(Y: np.ndarray, covars: pd.DataFrame, cats: list[str], nums: list[str], **kw: bool) -> np.ndarray:
    from neuroCombat import neuroCombat

    with contextlib.redirect_stdout(io.StringIO()):
        return neuroCombat(Y.T.copy(), covars, "batch", categorical_cols=cats, continuous_cols=nums, **kw)


@pytest.mark.parametrize("parametric, eb", [(True, True), (False, True), (True, False)])
def test_matches_neurocombat(parametric: bool, eb: bool) -> None:
    pytest.importorskip("neuroCombat")
    rng = np.random.default_rng(3)
    n, p = 45, 40
    batch = np.repeat(["a", "b", "c"], [12, 18, 15])
    sex = rng.choice(["F", "M"], n)
    codes = np.unique(batch, return_inverse=True)[1]
    Y = rng.normal(size=(n, p)) * (1 + 0.5 * codes[:, None]) + rng.normal(size=p) * codes[:, None]
    Y += 0.7 * (sex == "M")[:, None]
    df = pd.DataFrame(Y, columns=[f"f{j}" for j in range(p)]).assign(batch=batch, sex=sex)
    ref = _neurocombat(Y, df[["batch", "sex"]], ["sex"], [], parametric=parametric, eb=eb)
    out = harmonize(df, "f*", batch="batch", covariates=["sex"], parametric=parametric, eb=eb)
    np.testing.assert_allclose(out[[f"f{j}" for j in range(p)]].to_numpy(), ref["data"].T, atol=1e-10)
    # the training-estimate map equals neuroCombatFromTraining's formula on neuroCombat's estimates
    e = ref["estimates"]
    stand = e["stand.mean"][:, 0] + e["mod.mean"].mean(axis=1)
    z = (Y.T - stand[:, None]) / np.sqrt(e["var.pooled"])
    z = (z - e["gamma.star"][codes].T) / np.sqrt(e["delta.star"][codes].T)
    from neuroimmune_stats.harmonization import ComBat

    cb = ComBat(batch="batch", covariates=["sex"], parametric=parametric, eb=eb).fit(df)
    np.testing.assert_allclose(cb.transform(df)[[f"f{j}" for j in range(p)]].to_numpy(),
                               (z * np.sqrt(e["var.pooled"]) + stand[:, None]).T, atol=1e-10)


# --------------------------------------------------------------------------- kernel
def test_batched_fits_equal_separate_fits() -> None:
    rng = np.random.default_rng(0)
    n, p = 40, 12
    codes = np.repeat([0, 1], 20)
    mod = rng.integers(0, 2, (n, 1)).astype(float)
    Y = rng.normal(size=(n, p)) + codes[:, None] * rng.normal(size=p)
    M = (rng.random((5, n)) < 0.8).astype(float)
    for parametric in (True, False):
        fb = fit_combat(Y, codes, 2, mod, mask=M, parametric=parametric)
        for i in range(5):
            rows = M[i] > 0
            fi = fit_combat(Y[rows], codes[rows], 2, mod[rows], parametric=parametric)
            np.testing.assert_allclose(apply_fit(fb, Y, codes)[i], apply_fit(fi, Y, codes)[0], atol=1e-10)
            np.testing.assert_array_equal(fb.n_iter[i], fi.n_iter[0])


def test_without_covariates_both_maps_agree_and_eb_false_is_plain_location_scale() -> None:
    rng = np.random.default_rng(1)
    codes = np.repeat([0, 1, 2], 10)
    Y = rng.normal(size=(30, 6)) * (1 + codes[:, None]) + 3 * codes[:, None]
    fit = fit_combat(Y, codes, 3, eb=False)
    own, mean = adjust_fitted(fit, Y, codes)[0], apply_fit(fit, Y, codes)[0]
    np.testing.assert_allclose(own, mean, atol=1e-12)
    # without EB every batch ends with the grand mean and the pooled within-batch scale
    for b in range(3):
        np.testing.assert_allclose(own[codes == b].mean(axis=0), fit.grand_mean[0], atol=1e-10)
    sds = np.array([own[codes == b].std(axis=0, ddof=1) for b in range(3)])
    np.testing.assert_allclose(sds / sds[0], 1.0, atol=1e-10)


# --------------------------------------------------------------------------- harmonize behaviour
def test_returns_new_frame_and_does_not_mutate(cohort: pd.DataFrame) -> None:
    before = cohort.copy(deep=True)
    out = harmonize(cohort, "suvr_*", covariates=COVS)
    pd.testing.assert_frame_equal(cohort, before)
    assert out is not cohort and list(out.columns) == list(cohort.columns) and out.index.equals(cohort.index)
    pd.testing.assert_frame_equal(out.drop(columns=FIX["cohort"]["features"]),
                                  cohort.drop(columns=FIX["cohort"]["features"]))


def test_batch_is_a_factor_whatever_its_dtype(cohort: pd.DataFrame) -> None:
    a = harmonize(cohort, "suvr_*", covariates=COVS)
    b = harmonize(cohort.assign(protocol=cohort["protocol"].map({1: "P1", 2: "P2"})), "suvr_*", covariates=COVS)
    pd.testing.assert_frame_equal(a.drop(columns="protocol"), b.drop(columns="protocol"))


def test_subtype_imbalance_warning(cohort: pd.DataFrame) -> None:
    with pytest.warns(DataWarning, match="'subtype' is unbalanced across 'protocol'.*15 percentage points"):
        harmonize(cohort, "suvr_*", covariates=["tspo_genotype"])
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataWarning)
        harmonize(cohort, "suvr_*", covariates=["subtype"])
        # balanced within 5 points: no warning
        bal = cohort.copy()
        bal["protocol"] = np.repeat([1, 2], 27)
        bal["subtype"] = np.r_[np.tile(["axial", "radicular"], 13), ["axial"], np.tile(["axial", "radicular"], 13),
                               ["radicular"]]
        harmonize(bal, "suvr_*")


def test_result_object(cohort: pd.DataFrame, tmp_path: Path) -> None:
    res = harmonize(cohort, "suvr_*", covariates=COVS, result=True)
    assert isinstance(res, HarmonizeResult)
    pd.testing.assert_frame_equal(res.data, harmonize(cohort, "suvr_*", covariates=COVS))
    tid = res.tidy()
    assert tid.shape[0] == 7 * 2 and set(tid["batch"]) == {"1", "2"}
    assert (tid["n"].groupby(tid["batch"]).first().to_dict()) == {"1": 25, "2": 29}
    diffs = res.batch_differences()
    assert (diffs["eta2_batch_after"] < diffs["eta2_batch_before"]).sum() >= 4
    assert "sva::ComBat" in repr(res) and res.n == 54 and res.excluded_ids == ()
    ax = res.plot()
    assert len(ax.get_xticklabels()) == 7
    ax.figure.savefig(tmp_path / "combat.png")
    with pytest.raises(SpecificationError, match="not harmonised"):
        res.plot(features=["age"])


def test_removes_a_strong_batch_effect_and_keeps_the_group_effect() -> None:
    rng = np.random.default_rng(7)
    n = 80
    batch = np.repeat(["s1", "s2"], 40)
    group = np.where(rng.random(n) < np.where(batch == "s1", 0.3, 0.7), "b", "a")
    Y = rng.normal(size=(n, 20)) + 1.0 * (group == "b")[:, None] + 2.5 * (batch == "s2")[:, None]
    df = pd.DataFrame(Y, columns=[f"f{j:02d}" for j in range(20)]).assign(site=batch, group=group)
    out = harmonize(df, "f*", batch="site", covariates=["group"])
    diff = out.groupby("group")[[f"f{j:02d}" for j in range(20)]].mean().diff().iloc[1]
    assert abs(diff.mean() - 1.0) < 0.25
    b_in_group = out[out.group == "a"].groupby("site")["f00"].mean().diff().iloc[1]
    assert abs(b_in_group) < 0.6


# --------------------------------------------------------------------------- bad input
@pytest.mark.filterwarnings("ignore::neuroimmune_stats.exceptions.DataWarning")
def test_bad_input(cohort: pd.DataFrame) -> None:
    one = cohort.copy()
    one.loc[one.index[0], "protocol"] = 3
    with pytest.raises(InsufficientDataError, match=r"\{'3': 1\}.*single subject"):
        harmonize(one, "suvr_*")
    const = cohort.copy()
    const.loc[const["protocol"] == 1, "suvr_pcc"] = 1.1
    with pytest.raises(SpecificationError, match="'suvr_pcc' is constant within batch '1'"):
        harmonize(const, "suvr_*")
    na = cohort.copy()
    na.loc[na.index[[3, 5]], "suvr_s1"] = np.nan
    with pytest.raises(SpecificationError, match=r"missing values in \['suvr_s1'\] for 2 subject"):
        harmonize(na, "suvr_*")
    with pytest.raises(SpecificationError, match="missing values"):
        harmonize(cohort.assign(bmi=np.r_[np.nan, cohort["bmi"].to_numpy()[1:]]), "suvr_*", covariates=["bmi"])
    with pytest.raises(RankDeficiencyError, match="confounded with batch"):
        harmonize(cohort.assign(site=cohort["protocol"].astype(str) + "x"), "suvr_*", covariates=["site"])
    with pytest.raises(SpecificationError, match="single level"):
        harmonize(cohort.assign(protocol=1), "suvr_*")
    with pytest.raises(SpecificationError, match="needs at least 2 features"):
        harmonize(cohort, "suvr_s1")
    harmonize(cohort, "suvr_s1", eb=False)
    with pytest.raises(SpecificationError, match="not in the data"):
        harmonize(cohort, "suvr_*", batch="scanner")
    with pytest.raises(SpecificationError, match="must be numeric"):
        harmonize(cohort, ["suvr_s1", "subtype"], covariates=[])
    with pytest.raises(SpecificationError, match="parametric must be True or False"):
        harmonize(cohort, "suvr_*", parametric="yes")  # type: ignore[call-overload]
    with pytest.raises(SpecificationError, match="data must be a pandas DataFrame"):
        harmonize(cohort.to_numpy(), "suvr_*")  # type: ignore[call-overload]


# --------------------------------------------------------------------------- report section
def test_report_section() -> None:
    from neuroimmune_stats.report.config import StudyConfig
    from neuroimmune_stats.report.sections_harmonize import harmonized_roi_models

    df = nis.load_example()
    results: dict = {}
    methods: list[str] = []
    sec = harmonized_roi_models(df, StudyConfig(), results=results, methods=methods)
    assert [b.kind for b in sec.blocks] == ["p", "html", "html", "html", "figure"]
    assert set(results) == {"roi_harmonized", "combat_roi"} and "ComBat" in methods[0]
    tid = results["roi_harmonized"].tidy()
    assert list(tid["outcome"]) == ["suvr_s1", "suvr_thalamus"]
    # the harmonised models are group models on the ComBat frame, adjusted for genotype only
    feats = [c for c in df.columns if c.startswith("suvr_")]
    h = harmonize(df, feats, covariates=["subtype", "tspo_genotype"])
    ref = nis.group_compare(h, ["suvr_s1", "suvr_thalamus"], group="subtype", covariates=["tspo_genotype"],
                            correction="bonferroni").tidy()
    np.testing.assert_allclose(tid["estimate"], ref["estimate"], atol=1e-12)
    skipped = harmonized_roi_models(df.drop(columns="protocol"), StudyConfig())
    assert skipped.blocks[0].kind == "note" and "protocol" in skipped.blocks[0].content
    one = df.copy()
    one["protocol"] = one["protocol"].astype(str)
    one.loc[one.index[0], "protocol"] = "3"
    assert "could not be estimated" in harmonized_roi_models(one, StudyConfig()).blocks[0].content


# --------------------------------------------------------------------------- array fast paths = the design layer
# harmonize reads frames by position (harmonization/frames.py); each step must give exactly what the
# model-frame layer gives, so these compare with it (and with a plain column-by-column copy).
STRINGS = ["object", "str", "string[python]", "string[pyarrow]"]


def _series(kind: str, rng: np.random.Generator, n: int = 30, missing: bool = False) -> pd.Series:
    if kind in STRINGS:
        s = pd.Series(rng.choice(["b", "a", "Ä", "c10", "c9"], n), dtype=object)
    elif kind == "int":
        s = pd.Series(rng.choice([2, 1, 3], n))
    elif kind == "float_whole":
        s = pd.Series(rng.choice([2.0, 1.0], n))
    elif kind == "float":
        s = pd.Series(rng.choice([0.5, 2.25, -1.0], n))
    elif kind == "bool":
        s = pd.Series(rng.random(n) < 0.5)
    elif kind == "mixed":  # 1 and 1.0 are one level
        s = pd.Series(rng.choice(np.array([1, 1.0, 2], dtype=object), n), dtype=object)
    else:  # categorical with an unused level, not in sorted order
        s = pd.Series(pd.Categorical(rng.choice(["MAB", "HAB"], n), categories=["MAB", "LAB", "HAB"]))
    if missing:
        s = s.astype(object) if kind in ("int", "bool") else s
        s.iloc[[1, 4]] = None
    return s.astype(kind) if kind in STRINGS[1:] else s


KINDS = [*STRINGS, "int", "float_whole", "float", "bool", "mixed", "categorical"]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("missing", [False, True])
def test_factor_codes_are_as_factor(kind: str, missing: bool) -> None:
    s = _series(kind, np.random.default_rng(len(kind)), missing=missing).rename("site")
    codes, levels = frames.factor_codes(s)
    cat = as_factor(s)
    np.testing.assert_array_equal(codes, np.asarray(cat.cat.codes))
    assert levels == list(cat.cat.categories)
    assert [type(v) for v in levels] == [type(v) for v in cat.cat.categories]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("missing", [False, True])
def test_covariate_columns_are_covariate_matrix(kind: str, missing: bool) -> None:
    rng = np.random.default_rng(7)
    df = pd.DataFrame({"x": _series(kind, rng, missing=missing), "bmi": rng.normal(25, 3, 30),
                       "sex": _series("str", rng)})
    for covs in (["x"], ["bmi", "x", "sex"], []):
        X, names = frames.covariate_columns(df, covs, what="w")
        X0, names0 = covariate_matrix(df, covs, what="w")
        np.testing.assert_array_equal(X, X0)
        assert names == names0
    for const, covs in ((df.assign(x=df["x"].iloc[0]), ["bmi", "x"]), (df.assign(bmi=1.0), ["x", "bmi"])):
        with pytest.raises(SpecificationError) as ours:
            frames.covariate_columns(const, covs, what="w")
        with pytest.raises(SpecificationError) as ref:
            covariate_matrix(const, covs, what="w")
        assert str(ours.value) == str(ref.value)


@pytest.mark.parametrize("spec", ["f*", ["f2", "f0", "f2"], ["f1"], "F1", ["f0", "nope"], ["f0", 3], "g?", [], None])
def test_resolve_is_resolve_columns(spec: object) -> None:
    df = pd.DataFrame(np.zeros((2, 4)), columns=["f0", "f1", "f2", "g1"]).astype({"g1": int})
    for frame in (df, df.set_axis(df.columns.astype("string[pyarrow]"), axis=1), df.set_axis(list(df.columns), axis=1)):
        try:
            ref: object = resolve_columns(frame, spec, what="w")  # type: ignore[arg-type]
        except SpecificationError as exc:
            ref = str(exc)
        try:
            ours: object = frames.resolve(frame, spec, what="w", positions=frames.column_positions(frame))  # type: ignore[arg-type]
        except SpecificationError as exc:
            ours = str(exc)
        assert ours == ref


def _copy_with(df: pd.DataFrame, feats: list[str], H: np.ndarray) -> pd.DataFrame:
    out = df.copy()
    for j, c in enumerate(feats):
        out[c] = H[:, j]
    return out


def _reference_harmonize(df: pd.DataFrame, feats: list[str], batch: str, covs: list[str],
                         parametric: bool) -> pd.DataFrame:
    """The design layer's path: Series factor coding, covariate_matrix, data[feats], column-by-column output."""
    cat = as_factor(df[batch])
    codes = np.asarray(cat.cat.codes, dtype=np.int64)
    mod = covariate_matrix(df, covs)[0]
    Y = df[feats].to_numpy(dtype=float)
    fit = fit_combat(Y, codes, len(cat.cat.categories), mod, parametric=parametric)
    return _copy_with(df, feats, adjust_fitted(fit, Y, codes, mod)[0])


def _mixed_frame(seed: int, strings: str) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = 40
    df = pd.DataFrame({
        "subject_id": pd.Series([f"sub-{i:02d}" for i in range(n)], dtype=strings),
        "f_b": rng.normal(size=n), "site": pd.Series(np.tile(["s2", "s2", "s1", "s1", "s1"], n // 5), dtype=strings),
        "f_a": rng.normal(size=n) + np.repeat([0.0, 1.0], n // 2), "age": rng.uniform(20, 70, n),
        "sex": pd.Series(rng.choice(["F", "M"], n), dtype=strings),
        "geno": pd.Categorical(rng.choice(["MAB", "HAB"], n), categories=["MAB", "LAB", "HAB"]),
        "protocol": np.repeat([2, 1], n // 2),
    })
    for j in range(12):
        df[f"f{j:02d}"] = rng.normal(size=n) * (1 + df["protocol"] * 0.3) + 0.2 * np.asarray(df["sex"] == "M")
    idx = pd.Index([f"r{i}" for i in rng.permutation(n)], name="rid", dtype=strings)
    return df.set_index(idx).astype({"f03": np.float32})


@pytest.mark.parametrize("strings", ["object", "str", "string[pyarrow]"])
@pytest.mark.parametrize("batch, covs, feats", [
    ("site", ["sex", "age", "geno"], "f*"),                      # around the other columns, float32 among them
    ("protocol", ["sex"], ["f05", "f01", "f_a", "f00", "f07"]),  # out of frame order, not consecutive
    ("site", [], ["f11", "f10"]),                                # one run, reversed
    ("protocol", ["age", "site"], "f0*"),                        # numeric first, then a factor covariate
    ("site", ["sex"], ["f_a", "site", "f_b", "sex", "f00"]),     # batch and covariate among the features: dropped
])
def test_harmonize_equals_the_design_layer_path(strings: str, batch: str, covs: list[str], feats: object) -> None:
    df = _mixed_frame(1, strings)
    df.attrs = {"validation_log": ["read"]}
    before = df.copy(deep=True)
    names = [c for c in resolve_columns(df, feats, what="w") if c != batch and c not in covs]  # type: ignore[arg-type]
    for parametric in (True, False):
        out = harmonize(df, feats, batch=batch, covariates=covs, parametric=parametric)  # type: ignore[arg-type]
        ref = _reference_harmonize(df, names, batch, covs, parametric)
        ref.attrs = {}
        pd.testing.assert_frame_equal(out, ref, check_exact=True)
        assert out.attrs == {} and out.columns.equals(df.columns) and out.columns.dtype == df.columns.dtype
    pd.testing.assert_frame_equal(df, before)
    assert df.attrs == {"validation_log": ["read"]}
    res = harmonize(df, feats, batch=batch, covariates=covs, result=True)  # type: ignore[arg-type]
    pd.testing.assert_frame_equal(res.original, df[[*names, batch]].copy())


def test_with_columns_is_a_column_by_column_copy() -> None:
    df = _mixed_frame(2, "str")
    rng = np.random.default_rng(0)
    for names in (["f_b"], ["f_a", "f_b", "f00"], [c for c in df.columns if c.startswith("f")], list(df.columns[::-1])):
        pos = frames.feature_positions(names, frames.column_positions(df))
        assert pos is not None
        H = rng.normal(size=(len(df), len(names)))
        pd.testing.assert_frame_equal(frames.with_columns(df, pos, H), _copy_with(df, names, H), check_exact=True)


def test_feature_block_and_default_features_as_before() -> None:
    df = _mixed_frame(3, "str").assign(flag=lambda d: d["age"] > 40, n_int=np.arange(40))
    where = frames.column_positions(df)
    for names in (["f_b", "n_int", "f03"], ["flag", "f_a"]):  # booleans read as 0/1, column by column
        np.testing.assert_array_equal(frames.float_block(df, names, frames.feature_positions(names, where), what="w"),
                                      np.column_stack([df[c].to_numpy(dtype=float) for c in names]))
    for bad in (["f_a", "sex"], ["geno"], ["protocol", "f_a"]):
        with pytest.raises(SpecificationError, match="must be numeric") if bad != ["protocol", "f_a"] \
                else contextlib.nullcontext():
            frames.float_block(df, bad, frames.feature_positions(bad, where), what="w")
    exclude = ["site", "age"]
    assert default_features(df, exclude, where) == [
        c for c in df.columns if c not in exclude and pd.api.types.is_numeric_dtype(df[c]) and not is_factor(df[c])]
    assert prepare(df, None, "site", ["age"]).features == default_features(df, exclude, where)


def _crosstab_balance(data: pd.DataFrame, batch: str) -> str | None:
    """The message of the crosstab implementation of the imbalance check (None: no warning)."""
    tab = pd.crosstab(data[batch].astype(str), data["subtype"].astype(str), normalize="index")
    if tab.shape[0] < 2 or tab.shape[1] < 2:
        return None
    spread = tab.max(axis=0) - tab.min(axis=0)
    worst = str(spread.idxmax())
    if float(spread.max()) <= 0.05:
        return None
    shares = ", ".join(f"{b}: {100 * tab.loc[b, worst]:.0f}%" for b in tab.index)
    return (f"'subtype' is unbalanced across {batch!r} (share of {worst!r} by batch: {shares}; "
            f"differs by {100 * float(spread.max()):.0f} percentage points)")


@pytest.mark.parametrize("seed", range(12))
def test_balance_check_is_the_crosstab(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(8, 60))
    levels = ["radicular", "axial", "mixed"][: int(rng.integers(1, 4))]
    df = pd.DataFrame({"site": rng.choice([1, 2, 3][: int(rng.integers(1, 4))], n),
                       "subtype": rng.choice(levels, n)})
    if seed % 3 == 0:
        df["subtype"] = df["subtype"].astype(object)
        df.loc[df.index[:3], "subtype"] = None
    if seed % 4 == 1:
        df["subtype"] = pd.Categorical(df["subtype"], categories=["radicular", "axial", "mixed", "other"])
    if seed % 5 == 2:  # balanced by construction
        df["site"] = np.tile([1, 2], n)[:n]
        df["subtype"] = np.repeat(["axial", "radicular"], 2 * n)[: 2 * n : 2][:n]
    ref = _crosstab_balance(df, "site")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        check_balance(df, "site", [])
    got = [str(w.message) for w in caught if issubclass(w.category, DataWarning)]
    assert (got == []) if ref is None else (len(got) == 1 and ref in got[0])


@pytest.mark.parametrize("strings", ["object", "str", "string[pyarrow]"])
def test_has_missing_is_isna(strings: str) -> None:
    df = _mixed_frame(4, strings)
    names = list(df.columns)
    assert not frames.has_missing(df, names) and not frames.has_missing(df, names[:2])
    for col in ("sex", "f07", "geno", "subject_id", "protocol"):
        bad = df.copy()
        bad[col] = bad[col].astype(object) if col == "protocol" else bad[col]
        bad.loc[bad.index[5], col] = None
        for cols in (names, [col], ["f_a", col], [c for c in names if c != col]):
            assert frames.has_missing(bad, cols) == bool(bad[cols].isna().to_numpy().any())


@pytest.mark.parametrize("strings", ["object", "string[pyarrow]"])
def test_transformer_transform_equals_column_by_column(strings: str) -> None:
    pytest.importorskip("sklearn")
    from neuroimmune_stats.harmonization import ComBat

    df = _mixed_frame(5, strings)
    names = ["f_b", "f04", "f_a", *(f"f{j:02d}" for j in range(6, 12))]
    cb = ComBat(batch="site", covariates=["sex", "age"], features=names).fit(df)
    new = df.iloc[::3]
    new.attrs = {"labels": {"f_a": "A"}}
    levels = [str(v) for v in cb.batch_levels_]
    codes = np.array([levels.index(str(v)) for v in new["site"]])
    ref = _copy_with(new, names, apply_fit(cb.fit_, new[names].to_numpy(dtype=float), codes)[0])
    ref.attrs = {}
    pd.testing.assert_frame_equal(cb.transform(new), ref, check_exact=True)
    with pytest.raises(SpecificationError, match=r"missing from X: \['f04'\]"):
        cb.transform(new.drop(columns="f04"))
    bad = new.copy()
    bad.loc[bad.index[1], "f07"] = np.nan
    with pytest.raises(SpecificationError, match=r"missing values in \['f07'\] for 1 subject"):
        cb.transform(bad)
