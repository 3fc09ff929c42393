"""Moderated mediation (conditional process analysis): PROCESS models 7, 8, 14, 15, 58 and 59.

Internal engine of ``mediate(..., moderator=W, moderate=...)``. The model frame is the one of
:func:`~neuroimmune_stats.mediate` (:func:`._spec.model_base`) with W as an extra role; W enters
the design as its own column(s) (numeric W, or treatment dummies of a factor W against its first
level) and as product columns ``X·W`` and ``M·W``. Product columns are ordinary columns of the
data, so the vectorised bootstrap of :class:`._engine.Engine` (moments of the columns for a whole
chunk of resamples) solves every equation of a moderated model exactly as it solves a simple one;
:class:`ModeratedEngine` only changes which effects are formed from the slopes.

Effects at a value of W, coded as the vector ``d`` of its design columns (``d = (w,)`` for a
numeric W, the dummy row of a level for a factor):

* ``a_j(d) = a_j + a_j:w · d``, ``b_j(d) = b_j + b_j:w · d``, ``c′(d) = c′ + c′:w · d``;
* conditional indirect effect ``a_j(d) · b_j(d)``; conditional direct effect ``c′(d)``;
* index of moderated mediation (Hayes 2015) where exactly one of ``a``, ``b`` is moderated:
  ``a_j:w · b_j`` or ``a_j · b_j:w`` (one per W column: per non-reference level of a factor);
* for a factor W, ``indirect_difference`` of each level against the first level.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from .._params import check_choice
from .._rng import SeedLike
from ..design import FactorCoder, is_factor
from ..exceptions import InsufficientDataError, SpecificationError
from ._engine import Engine, Label
from ._spec import WHAT, Equation, Prepared, check_roles, correlation, model_base, ols

PATHS = ("a", "b", "c_prime")

#: PROCESS model number of each set of moderated paths (first-, second- and both-stage)
PROCESS_MODELS: dict[frozenset[str], int] = {
    frozenset({"a"}): 7, frozenset({"a", "c_prime"}): 8, frozenset({"b"}): 14,
    frozenset({"b", "c_prime"}): 15, frozenset({"a", "b"}): 58, frozenset({"a", "b", "c_prime"}): 59,
    frozenset({"c_prime"}): 5,
}

#: minimum subjects per level of a factor moderator
MIN_PER_LEVEL = 3


@dataclass(frozen=True)
class CondLabel(Label):
    """An effect of a moderated model: ``w_value`` (level or number) and ``contrast`` text."""

    w_value: Any = None
    contrast: str | None = None
    column: str | None = None  # design column of a path row (e.g. "x:w[T.b]")
    equation: str | None = None


@dataclass
class ModeratedPrepared(Prepared):
    """A :class:`._spec.Prepared` with the moderator's columns, products and values."""

    w: str = ""
    w_factor: bool = False
    w_levels: list[Any] = field(default_factory=list)    # factor: all levels (first = reference)
    w_columns: list[str] = field(default_factory=list)   # design column names of W
    w_labels: list[Any] = field(default_factory=list)    # per W column: the level it codes (factor) or None
    at_values: list[Any] = field(default_factory=list)   # displayed values of W
    at_codes: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))  # (n_at, K) design rows
    moderate: tuple[str, ...] = ("a",)
    at_kind: str = "levels"
    w_raw: np.ndarray = field(default_factory=lambda: np.zeros(0))  # numeric W values (range, plots)

    @property
    def process_model(self) -> int:
        return PROCESS_MODELS[frozenset(self.moderate)]


def check_moderate(moderate: Any) -> tuple[str, ...]:
    """``moderate`` as a tuple of path names in canonical order."""
    items = [moderate] if isinstance(moderate, str) else list(moderate) if moderate is not None else []
    if not items:
        raise SpecificationError(f"{WHAT}: moderate must name at least one of {', '.join(map(repr, PATHS))}.")
    out = {check_choice(p, PATHS, where=WHAT, name="moderate", aliases={"c'": "c_prime", "direct": "c_prime"})
           for p in items}
    if out == {"c_prime"}:
        raise SpecificationError(
            f"{WHAT}: moderate=('c_prime',) moderates only the direct effect (PROCESS model 5); the indirect "
            "effect is then not conditional. Use moderation() for the direct path, or moderate 'a' or 'b' too.")
    return tuple(p for p in PATHS if p in out)


def _at_numeric(w: np.ndarray, at: Any, what: str = WHAT) -> tuple[list[float], str]:
    if at is None or (isinstance(at, str) and at == "moments"):
        uniq = np.unique(w)
        if uniq.size == 2:  # dichotomous moderator: its two values (PROCESS)
            return [float(v) for v in uniq], "values"
        mu, sd = float(np.mean(w)), float(np.std(w, ddof=1))
        return [mu - sd, mu, mu + sd], "moments"
    if isinstance(at, str):
        if at != "percentiles":
            raise SpecificationError(f"{what}: at must be 'moments', 'percentiles' or a list of values; got {at!r}.")
        return [float(v) for v in np.percentile(w, [16, 50, 84])], "percentiles"
    try:
        vals = [float(v) for v in np.atleast_1d(np.asarray(at, dtype=float))]
    except (TypeError, ValueError) as exc:
        raise SpecificationError(f"{what}: at must be numbers for a numeric moderator; got {at!r}.") from exc
    if not vals or not np.all(np.isfinite(vals)):
        raise SpecificationError(f"{what}: at must be finite numbers; got {at!r}.")
    return vals, "values"


def moderator_design(
    s: pd.Series, w: str, at: Any, *, what: str = WHAT
) -> tuple[np.ndarray, list[str], list[Any], bool, list[Any], list[Any], np.ndarray, str]:
    """W's design columns and its values for conditional effects.

    Returns ``(columns (n, K), names, labels per column, is_factor, levels, at values,
    at codes (n_at, K), at kind)``. Shared by :func:`~neuroimmune_stats.moderation`.
    """
    if is_factor(s):
        coder = FactorCoder().fit(s)
        levels = list(coder.levels)
        if len(levels) < 2:
            raise SpecificationError(f"{what}: moderator {w!r} is constant ({levels}) among the complete cases.")
        cols = coder.transform(s)  # treatment dummies: a level's count is its column's number of ones
        counts = [int(np.count_nonzero((cols == 0).all(axis=1))), *np.count_nonzero(cols == 1, axis=0).tolist()]
        small = [f"{lv} (n = {c})" for lv, c in zip(levels, counts, strict=True) if c < MIN_PER_LEVEL]
        if small:
            raise InsufficientDataError(
                f"{what}: level(s) {', '.join(small)} of the moderator {w!r} have fewer than {MIN_PER_LEVEL} "
                "subjects among the complete cases; their conditional effects cannot be estimated. Merge or "
                "drop the level(s).")
        names = coder.column_names()
        eye = np.vstack([np.zeros((1, len(levels) - 1)), np.eye(len(levels) - 1)])
        if at is None:
            at_vals = levels
        else:
            wanted = [at] if isinstance(at, str) or not isinstance(at, Sequence) else list(at)
            at_vals = []
            for v in wanted:
                hit = [lv for lv in levels if str(lv) == str(v)]
                if not hit:
                    raise SpecificationError(f"{what}: at value {v!r} is not a level of {w!r} (levels: {levels}).")
                at_vals.append(hit[0])
        at_codes = eye[[levels.index(v) for v in at_vals]]
        return cols, names, levels[1:], True, levels, at_vals, at_codes, "levels"
    x = s.to_numpy(dtype=float)
    if np.ptp(x) == 0:
        raise SpecificationError(f"{what}: moderator {w!r} is constant ({x[0]:g}) among the complete cases.")
    vals, kind = _at_numeric(x, at, what)
    return x[:, None], [w], [None], False, [], vals, np.asarray(vals, dtype=float)[:, None], kind


def prepare_moderated(
    data: pd.DataFrame, x: str, m: Any, y: str, w: str, moderate: tuple[str, ...], covariates: Any = (),
    at: Any = None, hc: str | None = None, what: str = WHAT,
) -> ModeratedPrepared:
    """The model frame, design columns, equations and full-sample OLS fits of a moderated model."""
    if not isinstance(w, str):
        raise SpecificationError(f"{what}: moderator must be one column name; got {w!r}.")
    base = model_base(data, x, m, y, covariates, extra_roles={"moderator": w}, extra_coef=1, what=what)
    mediators, roles = base.mediators, base.roles
    s = base.frame.column(w)
    wcols, wnames, wlabels, wfac, levels, at_vals, at_codes, kind = moderator_design(s, w, at, what=what)
    if not wfac:
        for j, col in enumerate(roles):
            r = correlation(base.raw_roles[:, j], wcols[:, 0])
            if abs(r) > 1 - 1e-10:
                role = "x" if col == x else ("y" if col == y else "mediator")
                raise SpecificationError(
                    f"{what}: moderator {w!r} is a linear copy of {role} {col!r} (r = {r:.6f}); W must carry "
                    "information of its own.")
    n, k_w = base.frame.n, wcols.shape[1]
    xv = base.raw_roles[:, 0]
    # only the product columns the model uses (fewer columns = cheaper bootstrap moments)
    prods, pnames = [], []
    if "a" in moderate or "c_prime" in moderate:
        prods.append(xv[:, None] * wcols)
        pnames += [f"{x}:{nm}" for nm in wnames]
    if "b" in moderate:
        for j, med in enumerate(mediators, start=1):
            prods.append(base.raw_roles[:, j][:, None] * wcols)
            pnames += [f"{med}:{nm}" for nm in wnames]
    raw = np.column_stack([base.raw_roles, base.cmat, wcols, *prods])
    columns = [*roles, *base.cnames, *wnames, *pnames]
    col_of = {c: i for i, c in enumerate(columns)}
    need = 2 + len(mediators) + len(base.cnames) + k_w * (1 + ("b" in moderate) * len(mediators)
                                                        + ("c_prime" in moderate))
    if n < need + 2:
        raise InsufficientDataError(
            f"{what}: {n} complete case(s), but the outcome model has {need} coefficients; "
            f"at least {need + 2} complete cases are needed.")
    eqs: list[Equation] = []
    for med in mediators:
        covs = [nm for c in base.cov_eq[f"m:{med}"] for nm in base.expand[c]]
        regs = [x]
        if "a" in moderate:
            regs += [*wnames, *(f"{x}:{nm}" for nm in wnames)]
        eqs.append(Equation(f"m:{med}", col_of[med], tuple(col_of[v] for v in [*regs, *covs])))
    ycov = [nm for c in base.cov_eq["y"] for nm in base.expand[c]]
    regs = [x, *mediators]
    if "b" in moderate or "c_prime" in moderate:
        regs += wnames
    if "c_prime" in moderate:
        regs += [f"{x}:{nm}" for nm in wnames]
    if "b" in moderate:
        regs += [f"{med}:{nm}" for med in mediators for nm in wnames]
    eqs.append(Equation("y", col_of[y], tuple(col_of[v] for v in [*regs, *ycov])))
    check_roles(x, mediators, y, base.raw_roles, what=what)
    fits = {}
    for eq in eqs:
        X = np.column_stack([np.ones(n), raw[:, list(eq.regressors)]])
        names = ["constant", *(columns[i] for i in eq.regressors)]
        fits[eq.name] = ols(raw[:, eq.response], X, names, columns[eq.response], hc, what=what)
    center = raw.mean(axis=0)
    scale = raw.std(axis=0)
    scale[scale == 0] = 1.0
    return ModeratedPrepared(
        x=x, mediators=mediators, y=y, serial=False, n=n, excluded_ids=tuple(base.frame.excluded_ids),
        columns=columns, raw=raw, center=center, scale=scale, equations=eqs, fits=fits,
        covariates_by_eq=base.cov_eq, expand=base.expand, n_roles=len(roles), hc=hc,
        w=w, w_factor=wfac, w_levels=levels, w_columns=wnames, w_labels=wlabels, at_values=list(at_vals),
        at_codes=at_codes, moderate=moderate, at_kind=kind,
        w_raw=wcols[:, 0].copy() if not wfac else np.zeros(0),
    )


class ModeratedEngine(Engine):
    """Conditional effects of a moderated model for a whole chunk of resamples (see module doc)."""

    prep: ModeratedPrepared

    def __init__(self, prep: ModeratedPrepared) -> None:
        super().__init__(prep)
        # what effects_from_coef looks up for every chunk of draws, resolved once
        self._col = {c: i for i, c in enumerate(prep.columns)}
        self._path_keys = [(str(lab.equation), self._col[str(lab.column)]) for lab in self._path_labels()]
        k_w = len(prep.w_columns)
        self._eye = np.vstack([np.zeros((1, k_w)), np.eye(k_w)])
        keys = set(self._path_keys)
        self._wanted = {eq.name: tuple(r for r in eq.regressors if (eq.name, r) in keys)
                        for eq in prep.equations}

    def wanted(self, eq: Equation) -> tuple[int, ...]:
        """The regressors of ``eq`` whose slopes a path of the model reads (not W's main effect, not covariates)."""
        return self._wanted[eq.name]

    def _vs(self, level: Any) -> str | None:
        """``"level - reference"`` for a factor W's interaction rows (None for numeric W)."""
        return None if level is None else f"{level} - {self.prep.w_levels[0]}"

    def _path_labels(self) -> list[CondLabel]:
        p: ModeratedPrepared = self.prep
        x, wn = p.x, p.w_columns
        out = []
        for med in p.mediators:
            out.append(CondLabel("a", med, True, column=x, equation=f"m:{med}"))
            if "a" in p.moderate:
                out += [CondLabel("a:w", med, True, w_value=lab, contrast=self._vs(lab), column=f"{x}:{nm}",
                                  equation=f"m:{med}") for nm, lab in zip(wn, p.w_labels, strict=True)]
        for med in p.mediators:
            out.append(CondLabel("b", med, True, column=med, equation="y"))
            if "b" in p.moderate:
                out += [CondLabel("b:w", med, True, w_value=lab, contrast=self._vs(lab), column=f"{med}:{nm}",
                                  equation="y") for nm, lab in zip(wn, p.w_labels, strict=True)]
        out.append(CondLabel("c_prime", None, True, column=x, equation="y"))
        if "c_prime" in p.moderate:
            out += [CondLabel("c_prime:w", None, True, w_value=lab, contrast=self._vs(lab), column=f"{x}:{nm}",
                              equation="y") for nm, lab in zip(wn, p.w_labels, strict=True)]
        return out

    def _labels(self) -> list[Label]:
        p: ModeratedPrepared = self.prep
        lab: list[Label] = list(self._path_labels())
        for med in p.mediators:
            lab += [CondLabel("indirect", med, False, w_value=v) for v in p.at_values]
        if len(p.mediators) > 1:
            lab += [CondLabel("total_indirect", None, False, w_value=v) for v in p.at_values]
        if "c_prime" in p.moderate:
            lab += [CondLabel("direct", None, False, w_value=v) for v in p.at_values]
        if ("a" in p.moderate) != ("b" in p.moderate):
            for med in p.mediators:
                lab += [CondLabel("index_moderated_mediation", med, False, w_value=lv, contrast=self._vs(lv))
                        for lv in p.w_labels]
        if p.w_factor:
            ref = p.w_levels[0]
            for med in p.mediators:
                lab += [CondLabel("indirect_difference", med, False, w_value=lv, contrast=f"{lv} - {ref}")
                        for lv in p.w_levels[1:]]
        return lab

    def effects(self, g: np.ndarray, m: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Every effect for the moment columns ``g``: (k, n_effects) and the singular mask (k,)."""
        p: ModeratedPrepared = self.prep
        sc = p.scale
        k = g.shape[1]
        bad = np.zeros(k, dtype=bool)
        coef: dict[str, dict[int, np.ndarray]] = {}
        for eq in p.equations:
            beta, sing = self._solve(g, eq.regressors, eq.response, self.wanted(eq))
            bad |= sing
            coef[eq.name] = {r: b * (sc[eq.response] / sc[r]) for r, b in beta.items()}
        return self.effects_from_coef(coef, k), bad

    def point_estimate(self) -> np.ndarray:
        """Every effect of the full sample (n_effects,), from the equations' OLS fits.

        The same numbers as ``effects(moments_full())[0][0]`` (to rounding) without solving the
        equations a second time.
        """
        p: ModeratedPrepared = self.prep
        coef = {}
        for eq in p.equations:
            fit = p.fits[eq.name]
            coef[eq.name] = {r: fit.coef[fit.index(p.columns[r])][None] for r in eq.regressors}
        return self.effects_from_coef(coef, 1)[0]

    def effects_from_coef(self, coef: dict[str, dict[int, np.ndarray]], k: int) -> np.ndarray:
        """Every effect (k, n_effects) from the slopes ``coef[equation][column index]`` of k draws.

        Shared by the bootstrap (slopes of each resample) and the Bayesian model (posterior draws).
        """
        p: ModeratedPrepared = self.prep
        col = self._col

        def get(eq: str, name: str) -> np.ndarray:
            j, c = col[name], coef[eq]
            return c[j] if j in c else np.zeros(k)

        cols = [coef[eq][j] if j in coef[eq] else np.zeros(k) for eq, j in self._path_keys]
        x, wn, K = p.x, p.w_columns, len(p.w_columns)
        zero = [np.zeros(k)] * K
        a = {med: get(f"m:{med}", x) for med in p.mediators}
        aw = {med: [get(f"m:{med}", f"{x}:{nm}") for nm in wn] if "a" in p.moderate else zero for med in p.mediators}
        b = {med: get("y", med) for med in p.mediators}
        bw = {med: [get("y", f"{med}:{nm}") for nm in wn] if "b" in p.moderate else zero for med in p.mediators}
        cp = get("y", x)
        cpw = [get("y", f"{x}:{nm}") for nm in wn] if "c_prime" in p.moderate else zero

        memo: dict[tuple[int, int, tuple[float, ...]], np.ndarray] = {}

        def at(base: np.ndarray, inter: list[np.ndarray], d: np.ndarray) -> np.ndarray:
            if inter is zero:  # a path W does not moderate is the same at every value of W
                return base
            # a factor W's conditional paths are asked for again by the level contrasts: formed once
            key = (id(base), id(inter), tuple(d.tolist()))
            if key not in memo:
                memo[key] = base + sum((inter[j] * d[j] for j in range(K)), start=np.zeros(k))
            return memo[key]

        ind = {med: [at(a[med], aw[med], d) * at(b[med], bw[med], d) for d in p.at_codes] for med in p.mediators}
        for med in p.mediators:
            cols += ind[med]
        if len(p.mediators) > 1:
            cols += [sum((ind[med][i] for med in p.mediators), start=np.zeros(k)) for i in range(len(p.at_codes))]
        if "c_prime" in p.moderate:
            cols += [at(cp, cpw, d) for d in p.at_codes]
        if ("a" in p.moderate) != ("b" in p.moderate):
            for med in p.mediators:
                cols += [aw[med][j] * b[med] if "a" in p.moderate else a[med] * bw[med][j] for j in range(K)]
        if p.w_factor:
            eye = self._eye
            for med in p.mediators:
                ref = at(a[med], aw[med], eye[0]) * at(b[med], bw[med], eye[0])
                cols += [at(a[med], aw[med], eye[i]) * at(b[med], bw[med], eye[i]) - ref for i in range(1, K + 1)]
        return np.stack(cols).T  # (k, n_effects), each effect one contiguous run of k draws


def moderated_mediation(
    data: pd.DataFrame, x: str, m: Any, y: str, moderator: str, *, moderate: Any = ("a",), covariates: Any = (),
    at: Any = None, n_boot: int = 5000, ci: str = "bc", conf_level: float = 0.95, serial: bool = False,
    seed: SeedLike = None, n_jobs: int = 1, hc: str | None = None,
) -> Any:
    """Fit and bootstrap a moderated mediation model (arguments already checked by ``mediate``).

    Numeric W: conditional effects at ``at`` (default mean − SD, mean, mean + SD; a dichotomous
    numeric W at its two values). Factor W: at its levels; every level needs at least
    :data:`MIN_PER_LEVEL` complete cases. The bootstrap is case resampling through
    :func:`neuroimmune_stats.resampling.resample` (see :func:`.bootstrap.bootstrap_effects`);
    percentile, BC and BCa intervals all come from the same resamples (``.tidy(ci=...)``).
    """
    from .bootstrap import bootstrap_effects, jackknife_effects
    from .conditional_result import ModeratedMediationResult

    if serial:
        raise SpecificationError(f"{WHAT}: serial=True cannot be combined with a moderator (PROCESS models 83-92 "
                                 "are not implemented); use parallel mediators.")
    paths = check_moderate(moderate)
    prep = prepare_moderated(data, x, m, y, moderator, paths, covariates, at, hc)
    engine = ModeratedEngine(prep)
    estimate, draws, conf, jack, n_sing = bootstrap_effects(engine, n_boot, ci, conf_level, seed, n_jobs)
    # the jackknife serves tidy(ci="bca") from the same resamples: computed on first use unless ci="bca"
    res = ModeratedMediationResult(prep, engine.labels, estimate, draws, conf, ci, conf_level, covariates, n_sing,
                                   jack if jack is not None else partial(jackknife_effects, engine))
    res.seed = seed
    return res


__all__ = ["PROCESS_MODELS", "CondLabel", "ModeratedEngine", "ModeratedPrepared", "check_moderate",
           "moderated_mediation", "moderator_design", "prepare_moderated"]
