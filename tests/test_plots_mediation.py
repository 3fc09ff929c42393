"""Mediation figures: the six-model forest plot and the path diagram (paper Fig 6) draw the result's numbers."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

import neuroimmune_stats as nis
from neuroimmune_stats.exceptions import SpecificationError

VARS = ["suvr_s1", "fss", "conn_s1__thalamus"]


@pytest.fixture(scope="module")
def grid():
    df = nis.simulate_cohort(seed=3).dropna(subset=["fss"])
    return nis.mediation_grid(df, VARS, n_boot=200, seed=1)


def test_grid_plot_is_a_forest_of_six_models(grid):
    _fig, (ax, other) = plt.subplots(1, 2)
    out = grid.plot(ax=ax)
    assert out is ax and not other.has_data()
    td = grid.tidy()
    ticks = [t.get_text().replace("\n", " ") for t in ax.get_yticklabels()]
    assert len(ticks) == 6
    assert ticks[0].startswith("Model 1: S1 SUVR → Fibromyalgia Survey Score")
    # points: estimate / bootstrap SE, filled where the interval excludes zero
    pts = np.concatenate([c.get_offsets() for c in ax.collections if c.get_offsets().shape[1] == 2
                          and len(c.get_offsets()) and not hasattr(c, "get_segments")])
    got = dict(zip(np.round(pts[:, 1]).astype(int), pts[:, 0], strict=True))
    for i, r in enumerate(td.itertuples()):
        assert got[5 - i] == pytest.approx(r.estimate / r.std_error)
    texts = [t.get_text() for t in ax.texts]
    assert any(t.startswith(f"{td.estimate.iloc[0]:.2f}") for t in texts)
    plt.close("all")


def test_grid_plot_labels_and_model_path(grid):
    ax = grid.plot(labels={"fss": "FSS", "suvr_s1": "S1 [11C]PBR28 SUVR"})
    assert "FSS" in ax.get_yticklabels()[0].get_text()
    ax2 = grid.plot(model=2)
    boxes = {t.get_text().replace("\n", " ") for t in ax2.texts}
    assert "S1 SUVR" in boxes and "bootstrap SE" in " ".join(boxes)
    # bootstrap SE of path a in the parentheses (paper Fig 6)
    from neuroimmune_stats.format import digits_for

    a = grid.results[2].tidy().query("term == 'a'").iloc[0]
    se_text = f"({a.boot_std_error:.{digits_for(a.boot_std_error)}f})"
    assert any(t.startswith("a = ") and se_text in t for t in boxes), (se_text, boxes)
    with pytest.raises(SpecificationError, match="model must be one of"):
        grid.plot(model=7)
    with pytest.raises(TypeError, match="unexpected"):
        grid.plot(colour="red")
    plt.close("all")


def test_saved_at_300_dpi(grid, tmp_path):
    from matplotlib.image import imread

    from neuroimmune_stats.plots._style import save_figure

    ax = grid.plot()
    w_in = ax.get_figure().get_size_inches()[0]
    out = save_figure(ax, tmp_path / "grid.png")
    assert imread(out).shape[1] >= 0.8 * 300 * w_in   # tight bbox may trim a little
    plt.close("all")
