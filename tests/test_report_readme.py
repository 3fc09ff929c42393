"""The README's reproduction table prints what the documented calls print (mediation Model 1 with
``seed=2022``, the correlation families), so that a reader who runs them gets the README's numbers."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def _row(label: str) -> str:
    for line in README.read_text(encoding="utf-8").splitlines():
        if line.startswith(f"| {label} |"):
            return line.split("|")[3].strip()  # the "example cohort" column
    raise AssertionError(f"README has no row {label!r}")


def _numbers(text: str) -> list[float]:
    return [float(x) for x in re.findall(r"-?\d+\.\d+|-?\d+", text)]


@pytest.fixture(scope="module")
def df():  # type: ignore[no-untyped-def]
    import neuroimmune_stats as nis

    return nis.load_example()


def test_model1_matches_the_documented_call(df) -> None:  # type: ignore[no-untyped-def]
    import neuroimmune_stats as nis

    assert 'nis.mediate(df, x="suvr_s1", m="fss", y="conn_s1__thalamus", seed=2022)' in README.read_text(
        encoding="utf-8").replace("\n", " ")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = nis.mediate(df, x="suvr_s1", m="fss", y="conn_s1__thalamus", seed=2022).tidy().set_index("term")
    c, c_se = _numbers(_row("mediation Model 1 (n = 35): c"))
    assert (round(t.loc["c", "estimate"], 2), round(t.loc["c", "std_error"], 2)) == (c, c_se)
    assert round(t.loc["c_prime", "estimate"], 2) == _numbers(_row("Model 1: c′"))[0]
    est, se, lo, hi = _numbers(_row("Model 1: a×b ± bootstrap SE, bias-corrected 95% CI"))
    got = t.loc["indirect"]
    assert [round(got[k], 2) for k in ("estimate", "std_error", "conf_low", "conf_high")] == [est, se, lo, hi]


@pytest.mark.parametrize(("label", "x", "ys", "i"), [
    ("r(S1 SUVR, FSS), Bonferroni ×2", "suvr_s1", ["fss", "paindetect"], 0),
    ("r(S1 SUVR, painDETECT), Bonferroni ×2", "suvr_s1", ["fss", "paindetect"], 1),
    ("r(S1–thalamus connectivity, S1 SUVR), Bonferroni ×2", "conn_s1__thalamus", ["suvr_s1", "fss"], 0),
])
def test_correlation_rows(df, label: str, x: str, ys: list[str], i: int) -> None:  # type: ignore[no-untyped-def]
    import neuroimmune_stats as nis

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = nis.correlate(df, x, ys, correction="bonferroni")
    row = (res if hasattr(res, "columns") else res.tidy()).iloc[i]
    r, p, n = _numbers(_row(label).replace("r = ", "").replace("P = ", "").replace("n = ", ""))
    assert round(row["r"], 2) == r and int(row["n"]) == n
    assert float(f"{row['p_adj']:.2g}") == p or round(row["p_adj"], 4) == p
