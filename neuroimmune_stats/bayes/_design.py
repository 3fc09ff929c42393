"""Model frame of a Bayesian mediation: validation, complete cases and centred design matrices.

Internal. The same rules as :func:`~neuroimmune_stats.mediate`: the roles must be distinct
numeric columns, factor covariates are treatment-coded, incomplete rows are dropped with their
subject IDs recorded (and a :class:`~neuroimmune_stats.exceptions.DataWarning`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..design import check_rank, complete_cases, covariate_matrix, numeric_column, resolve_columns
from ..exceptions import InsufficientDataError, SpecificationError
from ..mediation._spec import check_roles, resolve_roles

WHAT = "bayes_mediate"


@dataclass
class Equation:
    """One regression ``response ~ 1 + regressors`` with the regressors centred."""

    name: str                 # "m:<mediator>" or "y"
    response: np.ndarray      # (n,)
    X: np.ndarray             # (n, p) centred regressors (no constant)
    names: list[str]          # names of the X columns
    x_mean: np.ndarray        # (p,) column means removed from X

    @property
    def resp_sd(self) -> float:
        return float(np.std(self.response, ddof=1))


@dataclass
class BayesDesign:
    x: str
    mediators: list[str]
    y: str
    covariates: list[str]
    cov_names: list[str]
    n: int
    excluded_ids: tuple[str, ...]
    mediator_eqs: list[Equation]
    outcome_eq: Equation
    observed: dict[str, np.ndarray]


def _check_rank(X: np.ndarray, names: list[str], response: str) -> None:
    """R ``lm.fit``'s rank rule (the package's one, :func:`~neuroimmune_stats.design.check_rank`)."""
    Z = np.column_stack([np.ones(len(X)), X])
    check_rank(Z, ["(Intercept)", *names], what=f"{WHAT} (model for {response!r})")


def build_design(
    data: pd.DataFrame, x: str, m: str | Sequence[str], y: str, covariates: str | Sequence[str] = ()
) -> BayesDesign:
    """Validate the roles and build the centred design of every equation."""
    if m is None or not isinstance(m, str | Sequence):
        raise SpecificationError(f"{WHAT}: m must be a column name or a list of names; got {m!r}.")
    mediators, roles = resolve_roles(data, x, m, y, what=WHAT)
    if covariates is not None and not isinstance(covariates, str | Sequence):
        raise SpecificationError(
            f"{WHAT}: covariates must be a column name or a list of names; got {type(covariates).__name__}."
        )
    covs = resolve_columns(data, covariates, what=f"{WHAT} covariates")
    clash = [c for c in covs if c in roles]
    if clash:
        raise SpecificationError(f"{WHAT}: {clash} cannot be both a covariate and x/m/y.")
    for col in roles:  # non-numeric roles fail before the complete-case step
        if not pd.api.types.is_numeric_dtype(data[col]) or pd.api.types.is_bool_dtype(data[col]):
            numeric_column(data, col, what=WHAT)
    frame, cc = complete_cases(data, [*roles, *covs], min_n=1, what=WHAT, warn=True)
    raw = frame[roles].to_numpy(dtype=float)
    cmat, cnames = covariate_matrix(frame, covs, what=WHAT)
    n_coef = 2 + len(mediators) + len(cnames)
    if cc.n < n_coef + 2:
        raise InsufficientDataError(
            f"{WHAT}: {cc.n} complete case(s), but the outcome model has {n_coef} coefficients; "
            f"at least {n_coef + 2} complete cases are needed."
        )
    check_roles(x, mediators, y, raw, what=WHAT)
    xv = raw[:, 0]
    k = len(mediators)
    M = raw[:, 1 : 1 + k]
    yv = raw[:, -1]

    def eq(name: str, resp: np.ndarray, cols: np.ndarray, names: list[str]) -> Equation:
        _check_rank(cols, names, name.split(":", 1)[-1])
        mean = cols.mean(axis=0)
        return Equation(name, resp, cols - mean, names, mean)

    med_X = np.column_stack([xv, cmat]) if cnames else xv[:, None]
    med_eqs = [eq(f"m:{med}", M[:, j], med_X, [x, *cnames]) for j, med in enumerate(mediators)]
    out_X = np.column_stack([xv, M, cmat]) if cnames else np.column_stack([xv, M])
    out_eq = eq("y", yv, out_X, [x, *mediators, *cnames])
    return BayesDesign(
        x=x, mediators=mediators, y=y, covariates=covs, cov_names=cnames, n=cc.n,
        excluded_ids=tuple(cc.excluded_ids), mediator_eqs=med_eqs, outcome_eq=out_eq,
        observed={"m": M.copy(), "y": yv.copy(), "x": xv.copy()},
    )


__all__ = ["WHAT", "BayesDesign", "Equation", "build_design"]
