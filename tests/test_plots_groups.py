"""Group figures: return the Axes they were given, plot the model's numbers, no global state."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

import neuroimmune_stats as nis
from neuroimmune_stats.exceptions import SpecificationError
from neuroimmune_stats.plots.groups import (
    plot_adjusted_scatter,
    plot_forest,
    plot_group_values,
)


@pytest.fixture(scope="module")
def cohort():
    return nis.simulate_cohort(seed=1)


def test_figure1_points_are_adjusted_values(cohort):
    _fig, (ax, other) = plt.subplots(1, 2)
    out = plot_group_values(cohort, "suvr_s1", covariates=["protocol", "tspo_genotype"], ax=ax)
    assert out is ax and not other.has_data()
    fit = nis.lm("suvr_s1 ~ subtype + protocol + tspo_genotype", cohort)
    plotted = np.sort(np.concatenate([c.get_offsets()[:, 1] for c in ax.collections if len(c.get_offsets())
                                      and c.get_offsets().shape[0] > 1]))
    np.testing.assert_allclose(plotted, np.sort(fit.adjusted_values().to_numpy()))
    assert {t.get_text() for t in ax.get_legend().get_texts()} == {"protocol 1", "protocol 2"}
    assert fit.plot().get_ylabel() == "suvr_s1 (adjusted)"
    plt.close("all")


def test_scatter_reports_partial_r(cohort):
    ax = plot_adjusted_scatter(cohort, "suvr_s1", "paindetect", covariates=["protocol", "tspo_genotype"])
    r = nis.correlate(cohort, "suvr_s1", "paindetect", covariates=["protocol", "tspo_genotype"]).tidy()["r"].iloc[0]
    assert f"r = {r:.2f}" in ax.texts[0].get_text()
    line = ax.get_lines()[0].get_xydata()
    slope = (line[-1, 1] - line[0, 1]) / (line[-1, 0] - line[0, 0])
    assert np.sign(slope) == np.sign(r)
    plt.close("all")


def test_forest(cohort):
    res = nis.group_compare(cohort, "suvr_*", covariates=["protocol", "tspo_genotype"])
    ax = plot_forest(res)
    assert [t.get_text() for t in ax.get_yticklabels()] == res.tidy()["outcome"].tolist()
    with pytest.raises(SpecificationError, match="group_compare"):
        plot_forest(res.drop(columns="estimate"))
    plt.close("all")


def test_rc_context_respected(cohort):
    with plt.rc_context({"lines.linewidth": 3.3}):
        ax = plot_adjusted_scatter(cohort, "suvr_s1", "suvr_thalamus")
    assert ax.get_lines()[0].get_linewidth() == pytest.approx(1.2)
    assert plt.rcParams["lines.linewidth"] != 3.3
    plt.close("all")
