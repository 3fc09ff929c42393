"""Model frames through formulaic: factor coding, reference levels, complete cases, rank checks."""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from formulaic import Formula, model_matrix

from ..design import CompleteCases, aliased_columns, as_factor, check_frame, complete_cases, is_factor
from ..exceptions import InsufficientDataError, RankDeficiencyError, SpecificationError


@dataclass
class ModelFrame:
    """A materialised design: response, matrix, column names and term → column map."""

    y: np.ndarray
    X: np.ndarray
    columns: list[str]
    terms: list[str]
    term_columns: dict[str, list[int]]
    term_factors: dict[str, frozenset[str]]
    frame: pd.DataFrame
    spec: Any
    response: str
    cases: CompleteCases


_C_CALL = re.compile(r"^C\(\s*([A-Za-z_][A-Za-z0-9_.]*)\s*(?:,.*)?\)$", re.DOTALL)


def c_variable(expr: str) -> str | None:
    """The column inside ``C(x)`` / ``C(x, contr.treatment('b'))``, else None.

    Examples
    --------
    >>> c_variable("C(protocol, contr.treatment(2))"), c_variable("bmi")
    ('protocol', None)
    """
    m = _C_CALL.match(expr.replace(" ", "") if expr.startswith("C(") else expr)
    return m.group(1) if m else None


def factor_variables(formula: str) -> set[str]:
    """Columns a formula codes explicitly as factors with ``C(...)``."""
    out: set[str] = set()
    for term in Formula(formula).rhs:
        for fac in term.factors:
            v = c_variable(str(fac.expr))
            if v:
                out.add(v)
    return out


def _prepare(data: pd.DataFrame, variables: set[str], reference: Mapping[str, Any] | None,
             explicit: set[str] | None = None) -> pd.DataFrame:
    """A copy of the model's columns whose factors are pandas categoricals (reference level first).

    Factors are coded by the design layer (:func:`~neuroimmune_stats.design.as_factor`: levels as the
    file wrote them, unused levels dropped); columns wrapped in ``C()`` are factors whatever their dtype.
    """
    check_frame(data, what="lm")
    keep = [c for c in data.columns if c in variables or c == "subject_id"]
    d = data[keep].copy()
    reference = dict(reference or {})
    explicit = explicit or set()
    for col in reference:
        if col not in data.columns:
            raise SpecificationError(f"reference: column {col!r} is not in the data.")
    for col in variables:
        if col not in d.columns:
            continue
        s = d[col]
        if is_factor(s) or col in reference or col in explicit:
            cat = as_factor(s)
            if col in reference:
                ref = reference[col]
                levels = list(cat.cat.categories)
                match = [lv for lv in levels if str(lv) == str(ref)]
                if not match:
                    raise SpecificationError(
                        f"reference: level {ref!r} is not a level of {col!r} (levels: {levels})."
                    )
                cat = cat.cat.reorder_categories([match[0]] + [lv for lv in levels if lv != match[0]])
            d[col] = cat
    return d


def _sum_coded(formula: str, frame: pd.DataFrame) -> str:
    """The same formula with every plain factor variable wrapped in ``C(x, contr.sum)``."""
    f = Formula(formula)
    parts = []
    for term in f.rhs:
        facs = []
        for fac in term.factors:
            e = str(fac.expr)
            inner = c_variable(e)
            if e in frame.columns and isinstance(frame[e].dtype, pd.CategoricalDtype):
                e = f"C({e}, contr.sum)"
            elif inner is not None:
                # C(x) / C(x, contr.treatment(...)): type III tests do not depend on the reference
                # level, so the factor is recoded with sum-to-zero contrasts like a plain factor
                e = f"C({inner}, contr.sum)"
            facs.append(e)
        parts.append(":".join(facs))
    rhs = " + ".join(parts)
    if "1" not in parts:
        rhs = "0 + " + rhs
    return f"{f.lhs} ~ {rhs}"


def build(
    formula: str,
    data: pd.DataFrame,
    *,
    reference: Mapping[str, Any] | None = None,
    contrasts: str = "treatment",
    drop_aliased: bool = False,
) -> ModelFrame:
    """Complete cases on the formula's variables, factor coding, design matrix and rank checks."""
    if not isinstance(formula, str) or "~" not in formula:
        raise SpecificationError(f"formula must be a string like 'y ~ x'; got {formula!r}.")
    try:
        variables = set(Formula(formula).required_variables)
    except Exception as exc:  # formulaic parse errors
        raise SpecificationError(f"formula {formula!r} could not be parsed: {exc}") from exc
    check_frame(data, what=f"lm({formula!r})")
    missing = sorted(v for v in variables if v not in data.columns)
    if missing:
        raise SpecificationError(f"formula {formula!r}: columns not in the data: {missing}.")
    d = _prepare(data, variables, reference, factor_variables(formula))
    frame, cases = complete_cases(d, sorted(variables), min_n=2, what=f"lm({formula!r})")
    for v in sorted(variables):
        s = frame[v]
        if isinstance(s.dtype, pd.CategoricalDtype):
            frame[v] = s.cat.remove_unused_categories()
            n_lev = len(frame[v].cat.categories)
            if n_lev < 2:
                raise SpecificationError(
                    f"factor {v!r} has a single level ({list(frame[v].cat.categories)}) among the "
                    f"{cases.n} complete cases, so its effect cannot be estimated; remove it."
                )
    used = _sum_coded(formula, frame) if contrasts == "sum" else formula
    try:
        mm = model_matrix(used, frame, na_action="raise")
    except Exception as exc:
        raise SpecificationError(f"formula {formula!r} could not be evaluated: {exc}") from exc
    lhs, rhs = mm.lhs, mm.rhs
    if lhs.shape[1] != 1:
        raise SpecificationError(f"formula {formula!r}: the response must be one numeric column.")
    y = np.asarray(lhs, dtype=float)[:, 0]
    X = np.asarray(rhs, dtype=float)
    cols = [str(c) for c in rhs.columns]
    spec = rhs.model_spec
    term_columns: dict[str, list[int]] = {}
    term_factors: dict[str, frozenset[str]] = {}
    for term, idx in spec.term_indices.items():
        name = "(Intercept)" if str(term) == "1" else str(term)
        term_columns[name] = list(idx)
        term_factors[name] = frozenset(str(f.expr) for f in term.factors if str(f.expr) != "1")
    n, p = X.shape
    if p >= n:
        raise RankDeficiencyError(
            f"formula {formula!r}: {p} parameters but only {n} complete cases; at least {p + 1} "
            "subjects are needed (fewer terms or more data)."
        )
    bad = aliased_columns(X)  # the design layer's rank rule (R lm.fit, tol 1e-7)
    if bad:
        names = [cols[j] for j in bad]
        if not drop_aliased:
            raise RankDeficiencyError(
                f"formula {formula!r}: the design is rank deficient; column(s) {names} are constant "
                "or collinear with earlier terms among the complete cases. Remove the term(s) "
                "or pass drop_aliased=True."
            )
        from ..exceptions import RankDeficiencyWarning

        warnings.warn(
            f"formula {formula!r}: dropped aliased column(s) {names} (constant or collinear).",
            RankDeficiencyWarning,
            stacklevel=3,
        )
        keep = [j for j in range(p) if j not in bad]
        remap = {old: new for new, old in enumerate(keep)}
        X = X[:, keep]
        cols = [cols[j] for j in keep]
        term_columns = {t: [remap[j] for j in ix if j in remap] for t, ix in term_columns.items()}
        term_columns = {t: ix for t, ix in term_columns.items() if ix}
    if n - X.shape[1] < 1:
        raise InsufficientDataError(f"formula {formula!r}: no residual degrees of freedom.")
    return ModelFrame(
        y=y,
        X=X,
        columns=cols,
        terms=list(term_columns),
        term_columns=term_columns,
        term_factors={t: term_factors[t] for t in term_columns},
        frame=frame,
        spec=spec,
        response=str(Formula(formula).lhs),
        cases=cases,
    )


__all__ = ["ModelFrame", "aliased_columns", "build", "c_variable", "factor_variables"]
