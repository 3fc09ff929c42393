"""Model frame of a mediation analysis: roles, complete cases, covariates per equation, OLS fits.

Internal. :func:`prepare` validates the arguments of :func:`~neuroimmune_stats.mediate`, keeps the
complete cases (warning with the excluded IDs), dummy-codes factor covariates and fits every
equation by OLS on the full sample (the point estimates, SEs, t and p of the paths).
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .. import design as _design
from .._dist import f_sf, t_sf
from ..design import ID_COLUMN, Frame, as_list, model_frame, resolve_columns, warn_excluded
from ..exceptions import InsufficientDataError, SpecificationError

WHAT = "mediate"


@dataclass(frozen=True)
class Equation:
    """One regression of the model: ``response ~ 1 + regressors`` (indices into the Z columns)."""

    name: str  # "m:<mediator>", "y" or "total"
    response: int
    regressors: tuple[int, ...]


@dataclass
class OLSFit:
    """Full-sample OLS fit of one equation (coefficients include the constant first)."""

    response: str
    names: list[str]
    coef: np.ndarray
    se: np.ndarray
    df_resid: int
    sigma2: float
    r2: float
    f: float
    df_model: int
    vcov: np.ndarray | None = None
    hc: str | None = None

    @property
    def t(self) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return self.coef / self.se

    @property
    def p(self) -> np.ndarray:
        return 2 * t_sf(np.abs(self.t), self.df_resid)

    @property
    def f_p(self) -> float:
        return float(f_sf(self.f, self.df_model, self.df_resid)) if self.df_model else np.nan

    def index(self, name: str) -> int:
        return self.names.index(name)


@dataclass
class Prepared:
    """Everything the bootstrap needs, built once per call."""

    x: str
    mediators: list[str]
    y: str
    serial: bool
    n: int
    excluded_ids: tuple[str, ...]
    columns: list[str]          # names of the Z columns
    raw: np.ndarray             # (n, q) raw values, Z = (raw - center) / scale
    center: np.ndarray
    scale: np.ndarray
    equations: list[Equation]
    fits: dict[str, OLSFit] = field(default_factory=dict)
    covariates_by_eq: dict[str, list[str]] = field(default_factory=dict)
    expand: dict[str, list[str]] = field(default_factory=dict)  # covariate -> its columns
    n_roles: int = 3
    hc: str | None = None

    @property
    def z(self) -> np.ndarray:
        return (self.raw - self.center) / self.scale


def _covariates_per_equation(
    data: pd.DataFrame, covariates: Any, mediators: list[str]
) -> dict[str, list[str]]:
    """Map ``covariates`` to ``{"m:<mediator>": [...], "y": [...]}`` (PROCESS ``cmatrix``)."""
    if isinstance(covariates, Mapping):
        allowed = {"m", "y", *mediators}
        unknown = [k for k in covariates if k not in allowed]
        if unknown:
            raise SpecificationError(
                f"{WHAT}: covariates keys must be 'm', 'y' or a mediator name; got {unknown}."
            )
        common_m = resolve_columns(data, covariates.get("m"), what=f"{WHAT} covariates['m']")
        out = {
            f"m:{m}": resolve_columns(data, covariates[m], what=f"{WHAT} covariates[{m!r}]")
            if m in covariates else list(common_m)
            for m in mediators
        }
        out["y"] = resolve_columns(data, covariates.get("y"), what=f"{WHAT} covariates['y']")
        return out
    if covariates is not None and not isinstance(covariates, str | Sequence):
        raise SpecificationError(
            f"{WHAT}: covariates must be a column name, a list of names or a dict "
            f"{{'m': [...], 'y': [...]}}; got {type(covariates).__name__}."
        )
    cov = resolve_columns(data, covariates, what=f"{WHAT} covariates")
    out = {f"m:{m}": list(cov) for m in mediators}
    out["y"] = list(cov)
    return out


def ols(y: np.ndarray, X: np.ndarray, names: list[str], response: str, hc: str | None = None,
        what: str = WHAT) -> OLSFit:
    """OLS with a constant already in ``X`` (first column), through the model-frame layer.

    The rank rule is :func:`neuroimmune_stats.design.check_rank` (R ``lm.fit``, 1e-7), the solver
    :func:`neuroimmune_stats.design.ols`; ``hc`` gives the sandwich covariance of
    :func:`neuroimmune_stats.design.hc_vcov` (R ``sandwich::vcovHC``), else the classical one.
    The overall ``f`` is the Wald F of the slopes with that covariance: under ``hc=`` PROCESS's F;
    without it the classical F, computed as R ``summary.lm`` does, ``(MSS / df_model) / σ²``
    (the same number as the Wald form with ``σ² (X'X)⁻¹``).
    """
    fit = _design.ols_checked(X, y, names, what=f"{what} (model for {response!r})")
    vcov = fit.vcov(X, hc)
    se = np.sqrt(np.diag(vcov))
    tss = float(np.sum((y - y.mean()) ** 2))
    r2 = 1 - fit.rss / tss if tss > 0 else np.nan
    dfm = X.shape[1] - 1
    f = np.nan
    if dfm > 0 and fit.rss > 0:
        if hc is None:
            f = (tss - fit.rss) / dfm / fit.sigma**2
        else:
            b = fit.coef[1:]
            f = float(b @ np.linalg.solve(vcov[1:, 1:], b)) / dfm
    return OLSFit(response, names, fit.coef, se, fit.df_residual, fit.sigma**2, r2, f, dfm, vcov, hc)


def resolve_roles(data: pd.DataFrame, x: str, m: Any, y: str, what: str = WHAT) -> tuple[list[str], list[str]]:
    """Check ``data`` and the x/m/y arguments; return the mediators and ``[x, *mediators, y]``."""
    if not isinstance(data, pd.DataFrame):
        raise SpecificationError(f"{what}: data must be a pandas DataFrame; got {type(data).__name__}.")
    for name, val in (("x", x), ("y", y)):
        if not isinstance(val, str):
            raise SpecificationError(f"{what}: {name} must be one column name; got {val!r}.")
    mediators = as_list(m)
    if not mediators:
        raise SpecificationError(f"{what}: give at least one mediator in m.")
    resolve_columns(data, [x, y], what=what)
    mediators = resolve_columns(data, mediators, what=f"{what} m")
    roles = [x, *mediators, y]
    if len(set(roles)) != len(roles):
        raise SpecificationError(
            f"{what}: x, m and y must be different columns; got x={x!r}, m={mediators}, y={y!r}."
        )
    return mediators, roles


def _package_depth() -> int:
    """Frames of this package on the stack above (and including) the caller of this function."""
    f = inspect.currentframe()
    f = f.f_back if f is not None else None
    depth = 0
    while f is not None and str(f.f_globals.get("__name__", "")).startswith("neuroimmune_stats"):
        depth += 1
        f = f.f_back
    return depth


@dataclass
class Base:
    """The model frame of a mediation call: roles, complete cases, covariate columns."""

    mediators: list[str]
    roles: list[str]
    frame: Frame
    raw_roles: np.ndarray
    cmat: np.ndarray
    cnames: list[str]
    expand: dict[str, list[str]]
    cov_eq: dict[str, list[str]]


def model_base(
    data: pd.DataFrame, x: str, m: Any, y: str, covariates: Any = (), *,
    extra_roles: Mapping[str, str] | None = None, extra_coef: int = 0, what: str = WHAT,
) -> Base:
    """Resolve roles and covariates, take complete cases (one warning) and code the covariates.

    ``extra_roles`` adds roles to the frame (the moderator of a conditional process model);
    ``extra_coef`` counts their coefficients in the sample-size check of the outcome model.
    """
    mediators, roles = resolve_roles(data, x, m, y, what=what)
    cov_eq = _covariates_per_equation(data, covariates, mediators)
    all_cov = list(dict.fromkeys(c for cs in cov_eq.values() for c in cs))
    clash = [c for c in all_cov if c in roles]
    if clash:
        raise SpecificationError(f"{what}: {clash} cannot be both a covariate and x/m/y.")
    # model_frame works on an attr-free view and copies only the role columns; a narrow copy is made
    # only when unrelated columns share a name (which model_frame refuses)
    extra = dict(extra_roles or {})
    if not data.columns.is_unique:
        keep = [c for c in dict.fromkeys([ID_COLUMN, *roles, *all_cov, *extra.values()]) if c in data.columns]
        data = data.loc[:, keep]
        data.attrs = {}
    frame = model_frame(
        data, what=what, roles={"x": x, "m": mediators, "y": y, **extra, "covariates": all_cov},
        numeric=("x", "m", "y"), min_n=1, warn=False,
    )
    # the call's one exclusion warning, attributed to the user's line (not to this module)
    if frame.excluded_ids:
        warn_excluded(what, frame.excluded_ids, frame.n, [c for c in frame.names if c != ID_COLUMN],
                      stacklevel=1 + _package_depth())
    raw_roles = np.column_stack([frame.numeric(c) for c in roles])
    cmat, cnames = frame.covariates(all_cov)
    # columns each covariate expanded into
    expand: dict[str, list[str]] = {c: [] for c in all_cov}
    for nm in cnames:
        base = nm.split("[T.")[0] if "[T." in nm else nm
        expand[base if base in expand else nm].append(nm)
    n_coef = 2 + len(mediators) + len(cnames) + extra_coef
    if frame.n < n_coef + 2:
        raise InsufficientDataError(
            f"{what}: {frame.n} complete case(s), but the outcome model has {n_coef} coefficients; "
            f"at least {n_coef + 2} complete cases are needed."
        )
    return Base(mediators, roles, frame, raw_roles, cmat, cnames, expand, cov_eq)


def prepare(
    data: pd.DataFrame,
    x: str,
    m: str | Sequence[str],
    y: str,
    covariates: Any = (),
    serial: bool = False,
    hc: str | None = None,
) -> Prepared:
    """Validate the roles, keep complete cases and fit the equations on the full sample."""
    if serial and len(as_list(m)) != 2:
        raise SpecificationError(
            f"{WHAT}: serial=True (PROCESS model 6) needs exactly two mediators; got {as_list(m)}."
        )
    b = model_base(data, x, m, y, covariates)
    return _assemble(x, b.mediators, y, bool(serial), b.raw_roles, b.cmat, b.cnames, b.expand, b.cov_eq,
                     tuple(b.frame.excluded_ids), hc)


def correlation(u: np.ndarray, v: np.ndarray) -> float:
    """Pearson's r of two columns (NaN when one is constant): the linear-copy checks of the roles."""
    du, dv = u - u.mean(), v - v.mean()
    den = float(np.sqrt((du @ du) * (dv @ dv)))
    return float(du @ dv) / den if den > 0 else float("nan")


def check_roles(x: str, mediators: list[str], y: str, raw_roles: np.ndarray, what: str = WHAT) -> None:
    """Raise when x, a mediator or y is constant, or a mediator is a linear copy of x."""
    roles = [x, *mediators, y]
    n = raw_roles.shape[0]
    for j, col in enumerate(roles):
        if np.ptp(raw_roles[:, j]) == 0:
            role = "x" if col == x else ("y" if col == y else "mediator")
            raise SpecificationError(
                f"{what}: {role} column {col!r} is constant ({raw_roles[0, j]:g}) among the "
                f"{n} complete cases; its effects cannot be estimated."
            )
    for j, med in enumerate(mediators, start=1):
        r = correlation(raw_roles[:, 0], raw_roles[:, j])
        if abs(r) > 1 - 1e-10:
            raise SpecificationError(
                f"{what}: mediator {med!r} is a linear copy of x {x!r} (r = {r:.6f}); "
                "x and the mediator must carry different information."
            )


def _assemble(
    x: str, mediators: list[str], y: str, serial: bool, raw_roles: np.ndarray, cmat: np.ndarray,
    cnames: list[str], expand: dict[str, list[str]], cov_eq: dict[str, list[str]],
    excluded_ids: tuple[str, ...], hc: str | None = None,
) -> Prepared:
    """Role checks, the standardised columns, the equations and their full-sample OLS fits."""
    roles = [x, *mediators, y]
    n = raw_roles.shape[0]
    check_roles(x, mediators, y, raw_roles)
    raw = np.column_stack([raw_roles, cmat]) if cnames else raw_roles
    columns = [*roles, *cnames]
    center = raw.mean(axis=0)
    scale = raw.std(axis=0)
    scale[scale == 0] = 1.0
    col_of = {c: i for i, c in enumerate(columns)}
    eqs: list[Equation] = []
    for j, med in enumerate(mediators):
        prev = mediators[:j] if serial else []
        covs = [nm for c in cov_eq[f"m:{med}"] for nm in expand[c]]
        eqs.append(Equation(f"m:{med}", col_of[med], tuple(col_of[v] for v in [x, *prev, *covs])))
    ycov = [nm for c in cov_eq["y"] for nm in expand[c]]
    eqs.append(Equation("y", col_of[y], tuple(col_of[v] for v in [x, *mediators, *ycov])))
    eqs.append(Equation("total", col_of[y], tuple(col_of[v] for v in [x, *ycov])))
    fits = {}
    for eq in eqs:
        X = np.column_stack([np.ones(n), raw[:, list(eq.regressors)]])
        names = ["constant", *(columns[i] for i in eq.regressors)]
        fits[eq.name] = ols(raw[:, eq.response], X, names, columns[eq.response], hc)
    return Prepared(
        x=x, mediators=mediators, y=y, serial=serial, n=n, excluded_ids=excluded_ids,
        columns=columns, raw=raw, center=center, scale=scale, equations=eqs, fits=fits,
        covariates_by_eq=cov_eq, expand=expand, n_roles=len(roles), hc=hc,
    )


def reassign(prep: Prepared, x: str, m: str, y: str) -> Prepared:
    """The same complete cases and covariates with new (x, m, y) roles (one mediator).

    Used by the grid so the six orderings share one model frame; no pandas work is repeated.
    """
    roles = prep.columns[: prep.n_roles]
    raw_roles = np.ascontiguousarray(prep.raw[:, [roles.index(v) for v in (x, m, y)]])  # row-major, as prepare()
    cov_eq = {f"m:{m}": prep.covariates_by_eq[f"m:{prep.mediators[0]}"], "y": prep.covariates_by_eq["y"]}
    cnames = prep.columns[prep.n_roles :]
    return _assemble(x, [m], y, False, raw_roles, prep.raw[:, prep.n_roles :], cnames,
                     prep.expand, cov_eq, prep.excluded_ids, prep.hc)


__all__ = ["Base", "Equation", "OLSFit", "Prepared", "correlation", "model_base", "ols", "prepare", "reassign"]
