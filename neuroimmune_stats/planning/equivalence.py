"""Equivalence tests (TOST) of a covariate-adjusted group difference, and the Table 1 column.

"The subtypes did not differ in age" needs more than a non-significant test: two one-sided t
tests (Schuirmann 1987) reject both "the difference is at most the lower bound" and "at least the
upper bound". :func:`equivalence_test` tests the group difference of :func:`~neuroimmune_stats.lm`
(``outcome ~ group + covariates``; the emmeans contrast and its residual-df t distribution);
:func:`tost` is the arithmetic shared with ``table_one(..., equivalence=...)``.

Examples
--------
>>> import neuroimmune_stats as nis
>>> df = nis.simulate_cohort(seed=1)
>>> res = equivalence_test(df, "age", bounds=(-5, 5))
>>> res.contrast
'radicular - axial'
>>> list(res.tidy().columns[:7])
['outcome', 'contrast', 'estimate', 'std_error', 'df', 'conf_low', 'conf_high']
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .._dist import t_cdf, t_sf
from .._params import check_choice, check_conf_level
from ..design import ID_COLUMN, as_list, resolve_columns, warn_excluded
from ..exceptions import SpecificationError
from .result import EquivalenceResult

WHERE = "equivalence_test"

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*$")


def tost(estimate: Any, std_error: Any, df: Any, low: Any, high: Any) -> dict[str, np.ndarray]:
    """Two one-sided t tests of ``estimate`` against (``low``, ``high``) (vectorised).

    ``statistic_lower = (estimate − low)/SE`` with ``p_lower = P(T_df ≥ statistic_lower)``,
    ``statistic_upper = (estimate − high)/SE`` with ``p_upper = P(T_df ≤ statistic_upper)`` and
    ``p_value = max(p_lower, p_upper)``.

    Examples
    --------
    >>> out = tost(0.5, 1.0, 30, -2.0, 2.0)
    >>> round(float(out["p_value"]), 4)
    0.072
    """
    est, se, d = (np.asarray(v, dtype=float) for v in (estimate, std_error, df))
    with np.errstate(divide="ignore", invalid="ignore"):
        t_lo = (est - np.asarray(low, dtype=float)) / se
        t_hi = (est - np.asarray(high, dtype=float)) / se
    p_lo = t_sf(t_lo, d)
    p_hi = t_cdf(t_hi, d)
    return {"statistic_lower": t_lo, "statistic_upper": t_hi, "p_lower": p_lo, "p_upper": p_hi,
            "p_value": np.maximum(p_lo, p_hi)}


def check_bounds(bounds: Any, where: str, name: str = "bounds") -> tuple[float, float]:
    """``(low, high)`` with low < high; a single positive number δ means (−δ, δ)."""
    try:
        if np.ndim(bounds) == 0:
            delta = float(bounds)
            lo, hi = -abs(delta), abs(delta)
        else:
            vals = [float(v) for v in bounds]
            if len(vals) != 2:
                raise ValueError
            lo, hi = vals
    except (TypeError, ValueError) as exc:
        raise SpecificationError(f"{where}: {name} must be (low, high) or a positive number delta for "
                                 f"(-delta, delta); got {bounds!r}.") from exc
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
        raise SpecificationError(f"{where}: {name} must be finite with low < high; got {bounds!r}.")
    return lo, hi


def _q(name: str) -> str:
    return name if _NAME.match(name) else "`" + name.replace("`", "") + "`"


def equivalence_test(
    data: pd.DataFrame,
    outcome: str,
    group: str = "subtype",
    bounds: float | Sequence[float] = (),
    covariates: str | Sequence[str] = (),
    bounds_type: str = "raw",
    conf_level: float = 0.90,
    reference: Any = None,
) -> EquivalenceResult:
    """Two one-sided tests (TOST) of the (covariate-adjusted) difference between two groups.

    Parameters
    ----------
    data : DataFrame
        One row per subject; not modified.
    outcome : str
        Numeric outcome column.
    group : str, default="subtype"
        Two-level factor.
    bounds : (low, high) or float
        Equivalence bounds on the difference in the ``contrast`` direction; a single number δ
        means (−δ, δ).
    covariates : str or list of str, default=()
        Adjusted for (factors dummy-coded), e.g. ``["protocol", "tspo_genotype"]``.
    bounds_type : {"raw", "d"}, default="raw"
        ``"d"``: bounds in standard deviations; raw bounds = d × the residual SD of the model
        (the pooled within-group SD when there are no covariates).
    conf_level : float, default=0.90
        Level of the CI reported (0.90 ↔ TOST at α = 0.05); ``equivalent`` is
        ``p_value < (1 − conf_level)/2``.
    reference : optional
        The level subtracted (default: the first level), so the contrast reads
        ``"<other> - <reference>"``.

    Returns
    -------
    EquivalenceResult
        ``.tidy()`` with ``outcome``, ``contrast``, ``estimate``, ``std_error``, ``df``,
        ``conf_low``, ``conf_high``, ``bound_low``, ``bound_high``, ``statistic_lower``,
        ``statistic_upper``, ``p_lower``, ``p_upper``, ``p_value`` (TOST), ``equivalent``, ``n``;
        ``.summary()``, ``.plot()``.

    Raises
    ------
    SpecificationError
        Unknown columns, a group without exactly two levels among the complete cases, bad bounds.

    Notes
    -----
    The difference, its SE and residual df are those of ``lm(outcome ~ group + covariates)
    .contrast(group)`` (R ``emmeans`` pairs); p-values use the t distribution on the residual df.
    Validated against R ``emmeans::test(..., null =, side =)`` on the lm contrast and, without
    covariates, statsmodels ``ttost_ind(usevar="pooled")`` (``tests/reference/equivalence.R``).

    Examples
    --------
    >>> import neuroimmune_stats as nis
    >>> df = nis.simulate_cohort(seed=1)
    >>> res = equivalence_test(df, "age", bounds=0.5, bounds_type="d", covariates=["protocol"])
    >>> res.n, round(res.bounds[1] / res.model.sigma, 6)
    (54, 0.5)
    """
    from ..models import lm

    if not isinstance(data, pd.DataFrame):
        raise SpecificationError(f"{WHERE}: data must be a pandas DataFrame; got {type(data).__name__}.")
    for name, val in (("outcome", outcome), ("group", group)):
        if not isinstance(val, str):
            raise SpecificationError(f"{WHERE}: {name} must be one column name; got {val!r}.")
    bounds_type = check_choice(bounds_type, ("raw", "d"), where=WHERE, name="bounds_type")
    level = check_conf_level(conf_level, where=WHERE)
    lo, hi = check_bounds(bounds, WHERE)
    (outcome,) = resolve_columns(data, outcome, what=f"{WHERE} outcome")
    (group,) = resolve_columns(data, group, what=f"{WHERE} group")
    covs = resolve_columns(data, as_list(covariates), what=f"{WHERE} covariates")
    clash = [c for c in covs if c in (outcome, group)] + ([group] if group == outcome else [])
    if clash:
        raise SpecificationError(f"{WHERE}: {clash} cannot be both a covariate and the outcome/group.")
    ids = [ID_COLUMN] if ID_COLUMN in data.columns else []
    frame = data.loc[:, list(dict.fromkeys([*ids, outcome, group, *covs]))]
    frame.attrs = {}
    levels = _levels(frame, group, outcome, covs)
    if len(levels) != 2:
        raise SpecificationError(f"{WHERE}: group {group!r} must have exactly two levels among the complete "
                                 f"cases; it has {len(levels)} ({', '.join(map(str, levels))}).")
    ref = levels[0] if reference is None else reference
    match = [lv for lv in levels if str(lv) == str(ref)]
    if not match:
        raise SpecificationError(f"{WHERE}: reference {reference!r} is not a level of {group!r} ({levels}).")
    other = next(lv for lv in levels if lv is not match[0] and str(lv) != str(match[0]))
    rhs = " + ".join(_q(c) for c in [group, *covs])
    fit = lm(f"{_q(outcome)} ~ {rhs}", frame, reference={group: other})
    ct = fit.contrast(group, adjust="none", conf_level=level).tidy().iloc[0]
    scale = fit.sigma if bounds_type == "d" else 1.0
    b_lo, b_hi = lo * scale, hi * scale
    out = tost(ct["estimate"], ct["std_error"], ct["df"], b_lo, b_hi)
    row = {
        "outcome": outcome, "contrast": f"{other} - {match[0]}", "estimate": float(ct["estimate"]),
        "std_error": float(ct["std_error"]), "df": float(ct["df"]), "conf_low": float(ct["conf_low"]),
        "conf_high": float(ct["conf_high"]), "bound_low": b_lo, "bound_high": b_hi,
        **{k: float(v) for k, v in out.items()},
        "equivalent": bool(out["p_value"] < (1 - level) / 2), "n": int(fit.n),
    }
    warn_excluded(WHERE, list(fit.excluded_ids), int(fit.n), [outcome, group, *covs])
    return EquivalenceResult(row, outcome=outcome, group=group, covariates=covs, bounds_given=(lo, hi),
                             bounds_type=bounds_type, conf_level=level, model=fit)


def _levels(frame: pd.DataFrame, group: str, outcome: str, covs: list[str]) -> list[Any]:
    """Levels of ``group`` present among the complete cases (categorical order, else sorted)."""
    from ..design import complete_cases

    cc, _ = complete_cases(frame, [outcome, group, *covs], what=WHERE)
    s = cc[group]
    if isinstance(s.dtype, pd.CategoricalDtype):
        return [lv for lv in s.cat.categories if (s == lv).any()]
    vals = list(pd.unique(s))
    try:
        return sorted(vals)
    except TypeError:
        return sorted(vals, key=str)


def equivalence_column(table: pd.DataFrame, equivalence: Mapping[str, Any], kinds: Mapping[str, str],
                       groups: Sequence[str], welch: bool) -> pd.Series:
    """``p_equivalence`` of ``table_one``'s tidy rows: TOST of (second group − first) per variable × stratum.

    From the table's own per-group n, mean and SD: Student's pooled-variance t (or Welch's t and df
    with ``welch=True``), the same difference and df as the table's t test. NaN for variables not
    in ``equivalence``.
    """
    where = "table_one"
    if not isinstance(equivalence, Mapping):
        raise SpecificationError(f"{where}: equivalence must be a mapping {{variable: (low, high)}}; "
                                 f"got {type(equivalence).__name__}.")
    out = pd.Series(np.nan, index=table.index, name="p_equivalence")
    for var, bnds in equivalence.items():
        if var not in kinds:
            raise SpecificationError(f"{where}: equivalence names {var!r}, which is not a summarised variable "
                                     f"({', '.join(kinds)}).")
        if kinds[var] != "continuous":
            raise SpecificationError(f"{where}: equivalence bounds apply to continuous variables; {var!r} is "
                                     "categorical.")
        lo, hi = check_bounds(bnds, where, name=f"equivalence[{var!r}]")
        for _, rows in table[table["variable"] == var].groupby("stratum", sort=False):
            g = rows.set_index("group")
            if not set(groups) <= set(g.index):
                continue
            vals = g.loc[list(groups), ["n", "mean", "sd"]].to_numpy(dtype=float)
            (n1, m1, s1), (n2, m2, s2) = vals
            if n1 < 2 or n2 < 2:
                continue
            if welch:
                v1, v2 = s1**2 / n1, s2**2 / n2
                se = math.sqrt(v1 + v2)
                df = (v1 + v2) ** 2 / (v1**2 / (n1 - 1) + v2**2 / (n2 - 1)) if se > 0 else float("nan")
            else:
                df = n1 + n2 - 2
                se = math.sqrt(((n1 - 1) * s1**2 + (n2 - 1) * s2**2) / df * (1 / n1 + 1 / n2))
            p = tost(m2 - m1, se, df, lo, hi)["p_value"] if se > 0 else np.nan
            out.loc[rows.index] = float(p)
    return out


__all__ = ["check_bounds", "equivalence_column", "equivalence_test", "tost"]
