"""The one formatter of manuscript output: APA p-values, integral df, words for booleans, labels.

R-like summaries keep R's conventions (:func:`neuroimmune_stats.results.format_p`); everything a
paper shows (exports, the report, figure annotations) goes through this module, so a p-value, a
df or a label reads the same in a LaTeX table, a Word table and a figure.

APA (7th ed., §6.36) rules followed here: exact p to three decimals (``.031``), ``< .001`` below
that, no leading zero for quantities that cannot exceed 1 (p, r, proportions); integral degrees
of freedom as integers, fractional ones (Welch, Satterthwaite, Barnard–Rubin) to one decimal.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

#: display labels of the tidy (broom) columns and of the other machine columns results use
COLUMN_LABELS: dict[str, str] = {
    "term": "Term",
    "contrast": "Contrast",
    "outcome": "Outcome",
    "variable": "Variable",
    "characteristic": "characteristic",
    "estimate": "Estimate",
    "std_error": "SE",
    "boot_std_error": "Bootstrap SE",
    "delta_std_error": "Delta-method SE",
    "statistic": "Statistic",
    "df": "df",
    "df_resid": "Residual df",
    "p_value": "p",
    "p_adj": "Adjusted p",
    "p_lower": "p (lower)",
    "p_upper": "p (upper)",
    "p_equivalence": "p (equivalence)",
    "sobel_p": "Sobel p",
    "sobel_p_value": "Sobel p",
    "sobel_std_error": "Sobel SE",
    "conf_low": "CI low",
    "conf_high": "CI high",
    "n": "n",
    "m": "M",
    "x": "X",
    "y": "Y",
    "mediator": "Mediator",
    "model": "Model",
    "significant": "Significant",
    "r": "r",
    "method": "Method",
    "fmi": "FMI",
    "power": "Power",
    "mc_se": "MC SE",
    "w_value": "W",
    "group": "Group",
    "level": "Level",
    "stratum": "Stratum",
    "test": "Test",
    "partial_eta_sq": "Partial η²",
    "eta_sq": "η²",
    "df1": "df₁",
    "df2": "df₂",
    "a": "a",
    "b": "b",
    "c": "c (total)",
    "c_prime": "c′ (direct)",
    "indirect": "a×b (indirect)",
    "indirect_std": "a×b, standardised",
    "indirect_partial_std": "a×b, partially standardised",
    "total_indirect": "Total indirect",
    "proportion_mediated": "Proportion mediated",
    "index_moderated_mediation": "Index of moderated mediation",
    "indirect_difference": "Difference in a×b",
    "conditional_effect": "Conditional effect",
}

#: prefixes of derived columns (``boot_std_error`` → "Bootstrap SE", ``a_se`` → "a SE")
_PREFIX_LABELS = {"boot": "Bootstrap", "sobel": "Sobel", "delta": "Delta-method", "c_prime": "c′", "c": "c", "hc": "HC"}
_SUFFIX_LABELS = (("_std_error", "SE"), ("_se", "SE"), ("_p_value", "p"), ("_conf_low", "CI low"),
                  ("_conf_high", "CI high"), ("_estimate", "estimate"), ("_low", "low"), ("_high", "high"))

#: display labels of the study's known data columns (the reference paper's wording)
VARIABLE_LABELS: dict[str, str] = {
    "age": "Age, years",
    "sex": "Sex",
    "tspo_genotype": "TSPO genotype",
    "bmi": "Body mass index, kg/m²",
    "injected_dose_mbq": "Injected dose, MBq",
    "specific_activity_gbq_umol": "Specific activity, GBq/µmol",
    "injected_mass_ug": "Injected mass, µg",
    "paindetect": "PainDETECT (−1..38)",
    "bpi_severity": "Brief Pain Inventory (0–10)",
    "bpi_interference": "BPI interference (0–10)",
    "fss": "Fibromyalgia Survey Score (0–31)",
    "wpi": "Widespread Pain Index (0–19)",
    "sss": "Symptom Severity Scale (0–12)",
    "scanner": "Scanner",
    "subtype": "Subtype",
    "protocol": "Protocol",
}

#: columns holding quantities in [-1, 1] or [0, 1]: printed without a leading zero (APA)
_NO_LEADING_ZERO = {"r", "rho", "power", "fmi", "mc_se", "proportion", "auc", "r2", "r_squared"}
#: columns whose values are column names (their cells are labelled too)
NAME_COLUMNS = ("term", "outcome", "variable", "x", "m", "y", "mediator", "predictor", "covariate")

_CONTRAST_TERM = re.compile(r"^(.+?)\[(?:T\.)?(.+)\]$")
_SUVR = re.compile(r"^suvr_(.+)$")
_CONN = re.compile(r"^conn_(.+?)__(.+)$")


def label_for(column: Any, labels: Mapping[str, str] | None = None) -> str:
    """Display label of ``column``: ``labels`` first, then the known labels, then a readable name.

    ``suvr_<region>`` reads ``"<REGION> SUVR"`` and ``conn_<seed>__<target>`` reads
    ``"<SEED>–<target> connectivity"``; any other snake_case name has its underscores replaced by
    spaces. Machine columns stay snake_case in ``.tidy()``; only displays use this.

    Examples
    --------
    >>> label_for("p_value"), label_for("fss"), label_for("suvr_s1"), label_for("conn_s1__thalamus")
    ('p', 'Fibromyalgia Survey Score (0–31)', 'S1 SUVR', 'S1–thalamus connectivity')
    >>> label_for("fss", {"fss": "FSS"}), label_for("head_motion")
    ('FSS', 'head motion')
    >>> label_for("subtype[T.radicular]"), label_for("age:sex[T.M]"), label_for("(Intercept)")
    ('Subtype: radicular', 'Age, years × Sex: M', 'Intercept')
    """
    key = str(column)
    if labels and key in labels:
        return str(labels[key])
    if key == "(Intercept)":
        return "Intercept"
    if ":" in key and not key.startswith(":"):
        return " × ".join(label_for(part, labels) for part in key.split(":"))
    if m := _CONTRAST_TERM.match(key):
        return f"{label_for(m.group(1), labels)}: {m.group(2)}"
    if key in VARIABLE_LABELS:
        return VARIABLE_LABELS[key]
    if key in COLUMN_LABELS:
        return COLUMN_LABELS[key]
    for suffix, word in _SUFFIX_LABELS:
        if key.endswith(suffix) and len(key) > len(suffix):
            stem = key[: -len(suffix)]
            name = _PREFIX_LABELS.get(stem) or label_for(stem, labels)
            return f"{name} {word}"
    if m := _SUVR.match(key):
        return f"{_region(m.group(1))} SUVR"
    if m := _CONN.match(key):
        return f"{_region(m.group(1))}–{m.group(2).replace('_', ' ')} connectivity"
    return key.replace("_", " ")


def _region(name: str) -> str:
    """Short region codes (s1, m1, acc) upper-cased; longer names as words."""
    return name.upper() if len(name) <= 3 else name.replace("_", " ")


def result_labels(result: Any, labels: Mapping[str, str] | None = None) -> dict[str, str]:
    """Labels a result displays: those stored on it (e.g. sidecar ``LongName``), then ``labels``."""
    stored = getattr(result, "labels", None)
    merged: dict[str, str] = dict(stored) if isinstance(stored, Mapping) else {}
    if labels is not None:
        if not isinstance(labels, Mapping):
            from .exceptions import SpecificationError

            raise SpecificationError(f"labels must be a mapping {{column: label}}; got {type(labels).__name__}.")
        merged.update({str(k): str(v) for k, v in labels.items()})
    return merged


def _missing(v: Any) -> bool:
    if v is None or v is pd.NA or v is pd.NaT:
        return True
    try:
        return bool(isinstance(v, float | np.floating) and np.isnan(v))
    except TypeError:
        return False


def _no_zero(text: str) -> str:
    """Drop the leading zero of ``0.xx`` / ``-0.xx``."""
    if text.startswith("0."):
        return text[1:]
    if text.startswith("-0."):
        return "-" + text[2:]
    return text


def format_p(p: Any, digits: int = 3, prefix: bool = False) -> str:
    """APA p-value: ``.031``, ``< .001``, ``> .999``; ``prefix=True`` gives ``p = .031`` / ``p < .001``.

    Examples
    --------
    >>> format_p(8.396e-06), format_p(0.03125), format_p(0.5), format_p(0.0495, prefix=True)
    ('< .001', '.031', '.500', 'p = .050')
    >>> format_p(0.9999), format_p(float("nan")), format_p(0.012, digits=2)
    ('> .999', '', '.01')
    """
    if _missing(p):
        return ""
    p = float(p)
    floor = 10.0 ** -digits
    if p < floor:
        text, op = _no_zero(f"{floor:.{digits}f}"), "<"
    elif p > 1 - floor:
        text, op = _no_zero(f"{1 - floor:.{digits}f}"), ">"
    else:
        text, op = _no_zero(f"{p:.{digits}f}"), "="
    if prefix:
        return f"p {op} {text}"
    return text if op == "=" else f"{op} {text}"


def format_df(df: Any) -> str:
    """Degrees of freedom: integers when integral (``50``), else one decimal (``48.3``).

    Examples
    --------
    >>> format_df(50.0), format_df(48.2731), format_df(np.nan)
    ('50', '48.3', '')
    """
    if _missing(df):
        return ""
    v = float(df)
    if math.isinf(v):
        return "∞"
    if abs(v - round(v)) < 1e-8:
        return str(round(v))
    return f"{v:.1f}"


def format_bool(v: Any) -> str:
    """``yes`` / ``no`` (empty when missing)."""
    if _missing(v):
        return ""
    return "yes" if bool(v) else "no"


def format_number(x: Any, digits: int = 2, leading_zero: bool = True) -> str:
    """An estimate to ``digits`` decimals, or 3 significant digits when that would print ``0.00``.

    Examples
    --------
    >>> format_number(1.23456), format_number(-0.00412), format_number(1234.5), format_number(0.45, leading_zero=False)
    ('1.23', '-0.00412', '1234.50', '.45')
    >>> format_number(3)
    '3'
    """
    if _missing(x):
        return ""
    if isinstance(x, bool | np.bool_):
        return format_bool(x)
    if isinstance(x, int | np.integer):
        return str(int(x))
    v = float(x)
    if math.isinf(v):
        return "∞" if v > 0 else "-∞"
    text = f"{v:.{digits}f}"
    if v != 0 and abs(v) < 0.5 * 10.0 ** -digits:
        text = f"{v:.3g}"
        if "e" in text:
            mant, exp = text.split("e")
            text = f"{mant}×10^{int(exp)}"
    if text in ("-0." + "0" * digits,):
        text = text[1:]
    return text if leading_zero else _no_zero(text)


def digits_for(*values: Any, significant: int = 2, minimum: int = 2, maximum: int = 6) -> int:
    """Decimals that show the largest of ``values`` to ``significant`` digits (at least ``minimum``).

    Use one number of decimals for an estimate and its interval so they line up.

    Examples
    --------
    >>> digits_for(0.0125, 0.0047, 0.03), digits_for(18.26, 9.48, 31.17), digits_for(float("nan"))
    (3, 2, 2)
    """
    finite = [abs(float(v)) for v in values if not _missing(v) and float(v) != 0 and math.isfinite(float(v))]
    if not finite:
        return minimum
    top = max(finite)
    need = significant - 1 - math.floor(math.log10(top))
    return int(min(maximum, max(minimum, need)))


def format_ci(low: Any, high: Any, digits: int = 2, leading_zero: bool = True) -> str:
    """``[low, high]`` with :func:`format_number` (empty when both are missing).

    Examples
    --------
    >>> format_ci(0.1234, 1.5)
    '[0.12, 1.50]'
    """
    if _missing(low) and _missing(high):
        return ""
    return f"[{format_number(low, digits, leading_zero)}, {format_number(high, digits, leading_zero)}]"


def _is_p(col: str) -> bool:
    return (col in ("p", "p_value", "p_adj", "sobel_p") or col.startswith("p_") or col.endswith("_p")
            or col.endswith("_p_value"))


def _is_df(col: str) -> bool:
    return bool(re.fullmatch(r"df\d*", col)) or col.startswith("df_") or col.endswith("_df")


def format_value(column: str, value: Any, digits: int = 2) -> str:
    """Format one cell by what its column holds (p, df, n, boolean, estimate).

    Examples
    --------
    >>> format_value("p_adj", 0.0004), format_value("df", 50.0), format_value("significant", True)
    ('< .001', '50', 'yes')
    >>> format_value("n", 54.0), format_value("r", -0.412), format_value("estimate", 0.1234)
    ('54', '-.41', '0.12')
    """
    if _missing(value):
        return ""
    if isinstance(value, bool | np.bool_):
        return format_bool(value)
    if isinstance(value, str):
        return value
    if _is_p(column):
        return format_p(value)
    if _is_df(column):
        return format_df(value)
    if column in ("n", "count", "m", "n_boot", "model") or column.startswith("n_"):
        try:
            fv = float(value)
            if abs(fv - round(fv)) < 1e-8:
                return str(round(fv))
        except (TypeError, ValueError):
            return str(value)
    if isinstance(value, int | np.integer | float | np.floating):
        return format_number(value, digits, leading_zero=column not in _NO_LEADING_ZERO)
    return str(value)


def format_frame(frame: pd.DataFrame, labels: Mapping[str, str] | None = None, digits: int = 2,
                 conf_level: float | None = None) -> pd.DataFrame:
    """A tidy frame as display strings with labelled headers (what every export prints).

    ``conf_low``/``conf_high`` become one ``95% CI`` column ``[low, high]`` (the level from
    ``conf_level``); cells of the name columns (``term``, ``outcome``, ``x``, ...) are labelled
    too; p-values are APA, integral df integers and booleans words.

    Examples
    --------
    >>> t = pd.DataFrame({"term": ["fss"], "estimate": [0.1234], "df": [50.0], "p_value": [8e-6],
    ...                   "conf_low": [0.05], "conf_high": [0.2], "significant": [True]})
    >>> format_frame(t).iloc[0].tolist()
    ['Fibromyalgia Survey Score (0–31)', '0.12', '50', '< .001', '[0.05, 0.20]', 'yes']
    >>> t2 = pd.DataFrame({"term": ["subtype[T.radicular]"], "estimate": [0.0563], "std_error": [0.0243]})
    >>> format_frame(t2).iloc[0].tolist()
    ['Subtype: radicular', '0.056', '0.024']
    >>> list(format_frame(t, conf_level=0.9).columns)
    ['Term', 'Estimate', 'df', 'p', '90% CI', 'Significant']
    """
    out: dict[str, list[str]] = {}
    cols = [str(c) for c in frame.columns]
    level = 0.95 if conf_level is None else float(conf_level)
    row_digits = _row_digits(frame, digits, "std_error" if "std_error" in cols else "estimate")
    lead = not ("r" in cols and "estimate" not in cols)  # a CI of r has no leading zero (APA)
    for col, key in zip(cols, frame.columns, strict=True):
        values = frame[key].tolist()
        if col.endswith("conf_high") and col.replace("conf_high", "conf_low") in cols:
            continue
        if col.endswith("conf_low") and col.replace("conf_low", "conf_high") in cols:
            stem = col[: -len("conf_low")].rstrip("_")
            head = f"{100 * level:g}% CI"
            if stem:
                head = f"{_PREFIX_LABELS.get(stem) or label_for(stem, labels)} {head}"
            highs = frame[frame.columns[cols.index(col.replace("conf_low", "conf_high"))]].tolist()
            out[head] = [format_ci(lo, hi, d, lead) for lo, hi, d in zip(values, highs, row_digits, strict=True)]
            continue
        header = label_for(col, labels)
        if col in NAME_COLUMNS:
            out[header] = ["" if _missing(v) else label_for(v, labels) for v in values]
        elif f"{col}_se" in cols or f"{col}_std_error" in cols or col.endswith("_se"):
            se_col = col if col.endswith("_se") else (f"{col}_se" if f"{col}_se" in cols else f"{col}_std_error")
            own = _row_digits(frame, digits, se_col)
            out[header] = [format_value(col, v, d) for v, d in zip(values, own, strict=True)]
        elif col in _ESTIMATE_SCALE or col.endswith(("_estimate", "_std_error")):
            out[header] = [format_value(col, v, d) for v, d in zip(values, row_digits, strict=True)]
        else:
            out[header] = [format_value(col, v, digits) for v in values]
    return pd.DataFrame(out, index=range(len(frame)))


#: columns on the scale of the estimate: printed with the row's digits (2 significant digits of its SE)
_ESTIMATE_SCALE = ("estimate", "std_error", "conf_low", "conf_high", "boot_std_error", "delta_std_error")


def _row_digits(frame: pd.DataFrame, digits: int, ref: str | None) -> list[int]:
    """Decimals per row: enough for 2 significant digits of the SE column ``ref``, at least ``digits``."""
    if ref is None or ref not in frame:
        return [digits] * len(frame)
    out = []
    for se, est in zip(frame[ref].tolist(), frame.get("estimate", frame[ref]).tolist(), strict=True):
        base = se if not _missing(se) and isinstance(se, int | float | np.number) else est
        try:
            out.append(digits_for(base, minimum=digits, maximum=4))
        except (TypeError, ValueError):
            out.append(digits)
    return out


__all__ = [
    "COLUMN_LABELS",
    "NAME_COLUMNS",
    "VARIABLE_LABELS",
    "digits_for",
    "format_bool",
    "format_ci",
    "format_df",
    "format_frame",
    "format_number",
    "format_p",
    "format_value",
    "label_for",
    "result_labels",
]
