"""adjust_pvalues against R p.adjust (tests/reference/padjust.R → padjust.json)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from neuroimmune_stats import adjust_pvalues
from neuroimmune_stats.exceptions import SpecificationError

REF = json.loads((Path(__file__).parent / "reference" / "padjust.json").read_text())
METHODS = {"bonferroni": "bonferroni", "holm": "holm", "hochberg": "hochberg", "hommel": "hommel",
           "BH": "fdr_bh", "BY": "fdr_by"}


def _arr(v):
    return np.array([np.nan if x is None else x for x in np.atleast_1d(v)], dtype=float)


@pytest.mark.parametrize("case", sorted(REF))
@pytest.mark.parametrize("r_name", sorted(METHODS))
def test_matches_r_p_adjust(case, r_name):
    p = _arr(REF[case]["p"])
    expected = _arr(REF[case][r_name])
    for name in (r_name, METHODS[r_name]):
        got = adjust_pvalues(p, name)
        np.testing.assert_array_equal(np.isnan(got), np.isnan(expected))
        ok = ~np.isnan(expected)
        assert np.max(np.abs(got[ok] - expected[ok])) <= 1e-12


def test_nan_positions_and_count():
    p = np.array([0.01, np.nan, 0.02])
    np.testing.assert_allclose(adjust_pvalues(p, "bonferroni"), [0.02, np.nan, 0.04])


def test_does_not_mutate_and_keeps_shape():
    p = np.array([[0.01, 0.2], [0.03, 0.04]])
    before = p.copy()
    out = adjust_pvalues(p, "fdr_bh")
    assert out.shape == (2, 2)
    np.testing.assert_array_equal(p, before)


def test_bad_method_and_range():
    with pytest.raises(SpecificationError, match="method"):
        adjust_pvalues([0.1], "sidak-ish")
    with pytest.raises(SpecificationError, match=r"\[0, 1\]"):
        adjust_pvalues([1.5], "holm")
