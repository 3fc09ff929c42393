"""Figures 4–5 (plots/correlation.py) drawn from a small fake result: adjusted values, protocol markers,
the table's corrected p, either orientation of a pair, hostile strings drawn as plain text."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from neuroimmune_stats.exceptions import SpecificationError
from neuroimmune_stats.plots.correlation import plot_correlation

plt = pytest.importorskip("matplotlib.pyplot")


class FakeCorrelation:
    """The interface plot_correlation reads: tidy(), pair_data(x, y), covariates, correction."""

    def __init__(self, correction: str | None = "bonferroni", protocol: tuple[str, str] = ("1", "2")) -> None:
        rng = np.random.default_rng(0)
        n = 12
        x = rng.normal(size=n)
        y = x + rng.normal(size=n)
        self.covariates = ["protocol"]
        self.correction = correction
        self._data = pd.DataFrame({
            "subject_id": [f"sub-{i:03d}" for i in range(n)], "x": x, "y": y,
            "x_adjusted": x - 10.0, "y_adjusted": y + 10.0,  # distinguishable from the raw values
            "protocol": pd.Categorical([protocol[0]] * 5 + [protocol[1]] * 7, categories=list(protocol)),
        })
        self._table = pd.DataFrame([{"x": "suvr_s1", "y": "fss", "n": n, "r": 0.43, "p_value": 0.0125,
                                     "p_adj": 0.025 if correction else 0.0125}])

    def tidy(self) -> pd.DataFrame:
        return self._table.copy()

    def pair_data(self, x: str, y: str) -> pd.DataFrame:
        assert (x, y) == ("suvr_s1", "fss")
        return self._data.copy()


def _points(ax: object) -> list[np.ndarray]:
    return [c.get_offsets() for c in ax.collections]  # type: ignore[attr-defined]


def test_adjusted_values_markers_and_table_p() -> None:
    res = FakeCorrelation()
    ax = plot_correlation(res, marker_by="protocol")
    pts = _points(ax)
    assert [len(p) for p in pts] == [5, 7]  # one collection per protocol
    assert np.allclose(np.vstack(pts)[:, 0], res._data["x_adjusted"])  # adjusted, x on the horizontal axis
    markers = [c.get_paths()[0].vertices.shape[0] for c in ax.collections]
    assert markers[0] != markers[1]  # triangle vs circle
    title = ax.get_title(loc="left")
    assert "partial r = 0.43" in title and "p = 0.025 (bonferroni-corrected)" in title and "n = 12" in title
    assert ax.get_xlabel() == "S1 SUVR (adjusted)" and ax.get_ylabel() == "Fibromyalgia Survey Score (0–31) (adjusted)"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["Protocol 1", "Protocol 2"]
    plt.close(ax.figure)


def test_uncorrected_p_is_not_called_corrected_and_raw_values() -> None:
    res = FakeCorrelation(correction=None)
    res.labels = {"fss": "stored label", "suvr_s1": "S1 (stored)"}  # type: ignore[attr-defined]
    ax = plot_correlation(res, adjusted=False, labels={"fss": "FSS (0–31)"})
    assert "p = 0.013" in ax.get_title(loc="left") and "corrected" not in ax.get_title(loc="left")
    assert np.allclose(_points(ax)[0][:, 0], res._data["x"])
    assert ax.get_ylabel() == "FSS (0–31)" and ax.get_xlabel() == "S1 (stored)"  # labels= over stored
    plt.close(ax.figure)


def test_either_orientation_and_unknown_pair() -> None:
    res = FakeCorrelation()
    ax = plot_correlation(res, x="fss", y="suvr_s1")  # stored as (suvr_s1, fss): axes swap
    assert np.allclose(_points(ax)[0][:, 0], res._data["y_adjusted"])
    assert ax.get_xlabel() == "Fibromyalgia Survey Score (0–31) (adjusted)"
    plt.close(ax.figure)
    with pytest.raises(SpecificationError, match=r"no pair \(bpi, fss\)"):
        plot_correlation(res, x="bpi", y="fss")
    with pytest.raises(SpecificationError, match="marker_by 'scanner'"):
        plot_correlation(res, marker_by="scanner")


def test_hostile_levels_and_labels_render_as_text() -> None:
    res = FakeCorrelation(protocol=(r"$\foo$", "<script>alert(1)</script>"))
    ax = plot_correlation(res, marker_by="protocol", labels={"suvr_s1": r"$\bar{x}$ 50% & \n"})
    buf = io.BytesIO()
    ax.figure.savefig(buf, format="png")  # mathtext would raise ValueError on \foo
    assert buf.getvalue()[:4] == b"\x89PNG"
    assert ax.get_legend().get_texts()[0].get_text() == r"Protocol $\foo$"
    assert ax.get_xlabel().startswith(r"$\bar{x}$")
    plt.close(ax.figure)


def test_real_correlation_result() -> None:
    import neuroimmune_stats as nis

    df = nis.simulate_cohort(seed=3)
    res = nis.correlate(df, "suvr_s1", "fss", covariates=["protocol"], correction="bonferroni")
    if not hasattr(res, "pair_data"):
        pytest.fail("correlate must return a CorrelationResult with pair_data")
    ax = plot_correlation(res, x="fss", y="suvr_s1", marker_by="protocol")
    row = res.tidy().iloc[0]
    assert f"n = {int(row['n'])}" in ax.get_title(loc="left")
    assert sum(len(p) for p in _points(ax)) == int(row["n"])
    plt.close(ax.figure)


def test_report_png_lays_out_once_with_the_same_pixels() -> None:
    """figure_data_uri lays a constrained figure out and draws it once; matplotlib's savefig draws it
    twice (the first draw, unrendered, for the layout). Both give the same pixels."""
    import base64
    import pickle

    from PIL import Image

    from neuroimmune_stats.report.html import figure_data_uri

    fig, axes = plt.subplots(1, 2, figsize=(6.4, 3.0), layout="constrained")
    rng = np.random.default_rng(0)
    for i, ax in enumerate(axes):
        ax.scatter(rng.normal(size=40), rng.normal(size=40) * 10 ** (3 * i), label="points")
        ax.set_title(f"panel {i}\nsecond line", loc="left")
        ax.set_ylabel("a long label for the vertical axis")
    axes[1].legend(loc="upper left", bbox_to_anchor=(1.02, 1.0))
    fig.suptitle("a figure title")
    copy = pickle.loads(pickle.dumps(fig))
    buf = io.BytesIO()
    copy.savefig(buf, format="png", dpi=100)
    plt.close(copy)
    ours = base64.b64decode(figure_data_uri(fig).split(",", 1)[1])
    want = np.asarray(Image.open(io.BytesIO(buf.getvalue())))
    got = np.asarray(Image.open(io.BytesIO(ours)))
    assert got.shape == want.shape == (300, 640, 4)
    assert np.array_equal(got, want)
