"""compare_mediation(...).plot() on moderated results: both methods' conditional indirect effects across W."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from _moderation_data import moderation_input, quiet

import neuroimmune_stats as nis

X, M, Y, COV = "suvr_s1", "fss", "conn_s1__thalamus", ["age", "protocol"]


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    return moderation_input()


def _pair(data: pd.DataFrame, m, moderator: str, covariates=COV):
    kw = dict(covariates=covariates, moderator=moderator, moderate=("a",))
    freq = quiet(nis.mediate, data, X, m, Y, n_boot=300, seed=2, **kw)
    bay = quiet(nis.bayes_mediate, data, X, m, Y, method="exact", draws=500, chains=2, seed=2, **kw)
    return nis.compare_mediation(freq, bay)


def test_moderated_compare_plot_draws_both_methods_at_each_level(data) -> None:
    cmp = _pair(data, M, "subtype")
    fig, ax = plt.subplots()
    out = cmp.plot(ax=ax)
    assert out is ax
    assert len(ax.containers) == 2  # one errorbar series per method
    assert [t.get_text() for t in ax.get_xticklabels()] == ["axial", "radicular"]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert len(legend) == 2 and legend[0].startswith("bootstrap") and legend[1].startswith("posterior")
    # the points are the table's conditional indirect effects, bootstrap then posterior, in the order of W
    ind = cmp.tidy().query("term == 'indirect'").set_index("w_value")
    for cont, kind in zip(ax.containers, ("freq", "bayes"), strict=True):
        np.testing.assert_allclose(cont.lines[0].get_ydata(), ind.loc[["axial", "radicular"], f"estimate_{kind}"])
    plt.close(fig)


def test_moderated_compare_plot_numeric_w_two_mediators(data) -> None:
    cmp = _pair(data, [M, "paindetect"], "bmi", covariates=["age"])
    _, ax = plt.subplots()
    assert cmp.plot(ax=ax) is ax
    assert len(ax.containers) == 4  # 2 mediators x 2 methods
    assert len(ax.get_xticklabels()) == 3  # mean - SD, mean, mean + SD
    assert len(ax.get_legend().get_texts()) == 4
    one = cmp.plot(ax=plt.subplots()[1], mediator="paindetect")
    assert len(one.containers) == 2
    plt.close("all")


def test_unmoderated_compare_plot_still_works(data) -> None:
    freq = quiet(nis.mediate, data, X, M, Y, covariates=COV, n_boot=300, seed=2)
    bay = quiet(nis.bayes_mediate, data, X, M, Y, covariates=COV, method="exact", draws=500, chains=2, seed=2)
    fig, ax = plt.subplots()
    assert nis.compare_mediation(freq, bay).plot(ax=ax) is ax
    assert len(ax.patches) > 0  # bootstrap histogram
    assert {"bootstrap (300 resamples)", "posterior (exact)"} <= {t.get_text() for t in ax.get_legend().get_texts()}
    plt.close(fig)
