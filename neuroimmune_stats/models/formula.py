"""Model frames through formulaic: factor coding, reference levels, complete cases, rank checks."""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from formulaic import Formula, model_matrix

from ..design import CompleteCases, complete_cases, is_factor
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


def _prepare(data: pd.DataFrame, variables: set[str], reference: Mapping[str, Any] | None) -> pd.DataFrame:
    """A copy of ``data`` whose factor columns are pandas categoricals (reference level first)."""
    if not isinstance(data, pd.DataFrame):
        raise SpecificationError(f"data must be a pandas DataFrame; got {type(data).__name__}.")
    d = data.copy()
    reference = dict(reference or {})
    for col in reference:
        if col not in d.columns:
            raise SpecificationError(f"reference: column {col!r} is not in the data.")
    for col in variables:
        if col not in d.columns:
            continue
        s = d[col]
        if is_factor(s) or col in reference:
            cat = s if isinstance(s.dtype, pd.CategoricalDtype) else s.astype("category")
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
            if e in frame.columns and isinstance(frame[e].dtype, pd.CategoricalDtype):
                e = f"C({e}, contr.sum)"
            elif e.replace(" ", "").startswith("C(") and "contr.sum" not in e:
                raise SpecificationError(
                    f"anova(type=3) needs sum-to-zero contrasts, but {e!r} fixes its own coding; write "
                    "the plain column name (set reference levels with lm(..., reference={...}); type III "
                    "tests do not depend on them)."
                )
            facs.append(e)
        parts.append(":".join(facs))
    rhs = " + ".join(parts)
    if "1" not in parts:
        rhs = "0 + " + rhs
    return f"{f.lhs} ~ {rhs}"


def aliased_columns(X: np.ndarray, tol: float = 1e-7) -> list[int]:
    """Columns that are linear combinations of earlier ones (R's NA coefficients)."""
    out: list[int] = []
    keep: list[int] = []
    scale = np.linalg.norm(X, axis=0)
    for j in range(X.shape[1]):
        if scale[j] == 0:
            out.append(j)
            continue
        cand = [*keep, j]
        Z = X[:, cand] / scale[cand]
        s = np.linalg.svd(Z, compute_uv=False)
        if s[-1] < tol * s[0] * len(cand):
            out.append(j)
        else:
            keep.append(j)
    return out


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
    missing = sorted(v for v in variables if v not in data.columns)
    if missing:
        raise SpecificationError(f"formula {formula!r}: columns not in the data: {missing}.")
    d = _prepare(data, variables, reference)
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
    bad = aliased_columns(X)
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


__all__ = ["ModelFrame", "aliased_columns", "build"]
