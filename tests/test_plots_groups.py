"""Group figures: draw results (they fit nothing), return the Axes they were given, no global state."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

import neuroimmune_stats as nis
from neuroimmune_stats.exceptions import SpecificationError
from neuroimmune_stats.plots.groups import plot_adjusted_groups, plot_forest


def _fig1(data, covariates, **kw):
    return plot_adjusted_groups(nis.lm(" + ".join(["suvr_s1 ~ subtype", *covariates]), data), term="subtype", **kw)


def _scatter(data, x, y, covariates=(), **kw):
    return nis.correlate(data, x, y, covariates=list(covariates)).plot(**kw)


@pytest.fixture(scope="module")
def cohort():
    return nis.simulate_cohort(seed=1)


def test_figure1_points_are_adjusted_values(cohort):
    _fig, (ax, other) = plt.subplots(1, 2)
    out = _fig1(cohort, ["protocol", "tspo_genotype"], ax=ax)
    assert out is ax and not other.has_data()
    fit = nis.lm("suvr_s1 ~ subtype + protocol + tspo_genotype", cohort)
    plotted = np.sort(np.concatenate([c.get_offsets()[:, 1] for c in ax.collections if len(c.get_offsets())
                                      and c.get_offsets().shape[0] > 1]))
    np.testing.assert_allclose(plotted, np.sort(fit.adjusted_values().to_numpy()))
    assert {t.get_text() for t in ax.get_legend().get_texts()} == {"Protocol 1", "Protocol 2"}
    assert fit.plot().get_ylabel() == "S1 SUVR (adjusted)"
    plt.close("all")


def test_figure1_significance_mark_is_the_model_test(cohort):
    fit = nis.lm("suvr_s1 ~ subtype + protocol + tspo_genotype", cohort)
    p = fit.anova(2).set_index("term").loc["subtype", "p_value"]
    ax = _fig1(cohort, ["protocol", "tspo_genotype"])
    marks = [t.get_text() for t in ax.texts]
    stars = "***" if p < 0.001 else "**" if p < 0.01 else "*" if p < 0.05 else ""
    assert marks == [f"p = {p:.3f}".replace("0.", ".") + stars]
    # a corrected p from group_compare replaces it; annotate=False draws none
    ax2 = _fig1(cohort, ["protocol"], p_value=0.0004)
    assert [t.get_text() for t in ax2.texts] == ["p < .001***"]
    assert not _fig1(cohort, [], annotate=False).texts
    plt.close("all")


def test_labels_reach_every_group_figure(cohort):
    labels = {"suvr_s1": "S1 [11C]PBR28 SUVR", "subtype": "Pain subtype", "protocol": "Scan protocol",
              "paindetect": "painDETECT"}
    ax = _fig1(cohort, ["protocol"], labels=labels)
    assert ax.get_ylabel() == "S1 [11C]PBR28 SUVR (adjusted)" and ax.get_xlabel() == "Pain subtype"
    assert {t.get_text() for t in ax.get_legend().get_texts()} == {"Scan protocol 1", "Scan protocol 2"}
    ax = _scatter(cohort, "suvr_s1", "paindetect", covariates=["protocol"], labels=labels)
    assert ax.get_ylabel() == "painDETECT (adjusted)"
    df = cohort.copy()
    df.attrs["labels"] = {"paindetect": "PD-Q score"}
    assert _scatter(df, "suvr_s1", "paindetect").get_ylabel() == "PD-Q score"
    res = nis.group_compare(cohort, ["suvr_s1", "suvr_thalamus"], covariates=["protocol"])
    ticks = [t.get_text() for t in plot_forest(res, labels=labels).get_yticklabels()]
    assert ticks == ["S1 [11C]PBR28 SUVR", "THALAMUS SUVR"] or ticks[0] == "S1 [11C]PBR28 SUVR"
    plt.close("all")


def test_scatter_reports_partial_r(cohort):
    res = nis.correlate(cohort, "suvr_s1", "paindetect", covariates=["protocol", "tspo_genotype"])
    ax = res.plot()
    r = res.tidy()["r"].iloc[0]
    assert f"{r:.2f}" in ax.get_title(loc="left")  # the table's r
    line = ax.get_lines()[0].get_xydata()
    slope = (line[-1, 1] - line[0, 1]) / (line[-1, 0] - line[0, 0])
    assert np.sign(slope) == np.sign(r)
    plt.close("all")


def test_forest(cohort):
    res = nis.group_compare(cohort, "suvr_*", covariates=["protocol", "tspo_genotype"])
    ax = plot_forest(res)
    from neuroimmune_stats.format import label_for

    assert [t.get_text() for t in ax.get_yticklabels()] == [label_for(o) for o in res.tidy()["outcome"]]
    assert ax.get_xlabel().startswith(res.tidy()["contrast"].iloc[0])
    assert res.plot().get_yticklabels()[0].get_text() == label_for(res.tidy()["outcome"].iloc[0])
    with pytest.raises(SpecificationError, match="group_compare"):
        plot_forest(res.tidy().drop(columns="estimate"))
    plt.close("all")


def test_rc_context_respected(cohort):
    with plt.rc_context({"lines.linewidth": 3.3}):
        ax = _scatter(cohort, "suvr_s1", "suvr_thalamus")
    assert ax.get_lines()[0].get_linewidth() == pytest.approx(1.2)
    assert plt.rcParams["lines.linewidth"] != 3.3
    plt.close("all")
