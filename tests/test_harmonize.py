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
from neuroimmune_stats.exceptions import (
    DataWarning,
    InsufficientDataError,
    RankDeficiencyError,
    SpecificationError,
)
from neuroimmune_stats.harmonization import HarmonizeResult, harmonize
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
