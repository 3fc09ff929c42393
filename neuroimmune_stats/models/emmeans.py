"""Estimated marginal means and their pairwise contrasts (R ``emmeans`` defaults), as results.

``emmeans(fit, ~ term)`` averages with equal weights over the levels of the other factors and holds
numeric covariates at their means; ``by`` gives simple effects (``~ term | by``). When ``term``
interacts with a variable that is averaged over, the result carries emmeans' note ("Results may be
misleading due to involvement in interactions") and a :class:`DataWarning` says so once.
"""

from __future__ import annotations

import itertools
import warnings
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .._dist import t_ppf, t_sf
from ..design import as_list
from ..exceptions import DataWarning, SpecificationError
from ..results import Result, format_p, format_table

if TYPE_CHECKING:
    from .lm import LinearModel

INTERACTION_NOTE = "Results may be misleading due to involvement in interactions"


def _variable(expr: str) -> str:
    from .formula import c_variable

    return c_variable(expr) or expr


def _grid_L(model: LinearModel, wanted: list[str]) -> tuple[pd.DataFrame, np.ndarray]:
    """Cells of the factors ``wanted`` and the rows ``L`` with emmean = ``L @ beta``."""
    frame = model.frame
    variables = model.variables
    factors = [v for v in variables if isinstance(frame[v].dtype, pd.CategoricalDtype)]
    for w in wanted:
        if w not in factors:
            raise SpecificationError(f"emmeans: {w!r} is not a factor of the model (factors: {factors}).")
    levels = {v: list(frame[v].cat.categories) for v in factors}
    grid = pd.DataFrame(list(itertools.product(*[levels[v] for v in factors])), columns=factors)
    for v in factors:
        grid[v] = pd.Categorical(grid[v], categories=levels[v])
    for v in variables:
        if v not in factors:
            grid[v] = float(np.mean(frame[v].to_numpy(dtype=float)))
    Xg = np.asarray(model.spec.get_model_matrix(grid), dtype=float)
    Xg = Xg[:, model.kept_columns]
    # R order: the first factor varies fastest
    keys = [k[::-1] for k in itertools.product(*[levels[w] for w in reversed(wanted)])]
    L = np.empty((len(keys), Xg.shape[1]))
    for i, key in enumerate(keys):
        mask = np.ones(len(grid), dtype=bool)
        for w, lev in zip(wanted, key, strict=True):
            mask &= (grid[w] == lev).to_numpy()
        L[i] = Xg[mask].mean(axis=0)
    labels = pd.DataFrame(keys, columns=wanted)
    return labels, L


def _notes(model: LinearModel, wanted: list[str]) -> list[str]:
    """emmeans' interaction note when a term of ``wanted`` interacts with a variable averaged over."""
    inside = set(wanted)
    for term, facs in model._mf.term_factors.items():
        vars_ = {_variable(f) for f in facs}
        if len(vars_) > 1 and vars_ & inside and vars_ - inside:
            return [INTERACTION_NOTE + f" ({term}: averaged over {sorted(vars_ - inside)})"]
    return []


def _split(term: str, by: str | list[str] | None) -> tuple[list[str], list[str]]:
    wanted = [v.strip() for v in term.split(":")]
    by_list = [b.strip() for b in as_list(by)]
    both = set(wanted) & set(by_list)
    if both:
        raise SpecificationError(f"emmeans: {sorted(both)} cannot be both the term and by.")
    return wanted, by_list


class EmmeansResult(Result):
    """Estimated marginal means (see :meth:`LinearModel.emmeans`); ``.tidy()`` is the table."""

    extra_columns = ("emmean",)

    def __init__(self, table: pd.DataFrame, *, term: str, by: list[str], notes: list[str], n: int,
                 excluded_ids: tuple[str, ...], call: str, conf_level: float) -> None:
        self._table = table
        self.term, self.by, self.notes = term, by, notes
        self.n, self.excluded_ids, self.call, self.conf_level = n, excluded_ids, call, conf_level

    def tidy(self) -> pd.DataFrame:
        return self._table.copy()

    def summary(self) -> str:
        head = f"Estimated marginal means: {self.term}" + (f" | {', '.join(self.by)}" if self.by else "")
        lines = [f"Call: {self.call}", "", head, "", format_table(self._table), "",
                 f"Confidence level used: {self.conf_level:g}"]
        lines += [f"NOTE: {n}" for n in self.notes]
        return "\n".join(lines)

    def plot(self, ax: Any = None) -> Any:
        """Means with their CIs per cell."""
        from ..plots._axes import get_ax

        ax = get_ax(ax, figsize=(4.5, 0.35 * len(self._table) + 1.2))
        t = self._table
        names = [" ".join(str(v) for v in row) for row in t[[self.term.split(":")[0].strip(), *self.by]]
                 .itertuples(index=False)] if self.by else [str(v) for v in t.iloc[:, 0]]
        ypos = np.arange(len(t))[::-1]
        ax.hlines(ypos, t["conf_low"], t["conf_high"], color="black", lw=1.2)
        ax.scatter(t["emmean"], ypos, color="black", zorder=3, s=25)
        ax.set_yticks(ypos, names)
        ax.set_xlabel(f"estimated marginal mean ({int(self.conf_level * 100)}% CI)")
        return ax


class ContrastResult(Result):
    """Pairwise contrasts of emmeans (see :meth:`LinearModel.contrast`); ``.tidy()`` is the table."""

    extra_columns = ("cohens_d",)
    statistic_label = "t"

    def __init__(self, table: pd.DataFrame, *, term: str, by: list[str], adjust: str, notes: list[str], n: int,
                 excluded_ids: tuple[str, ...], call: str, conf_level: float) -> None:
        self._table = table
        self.term, self.by, self.adjust, self.notes = term, by, adjust, notes
        self.n, self.excluded_ids, self.call, self.conf_level = n, excluded_ids, call, conf_level

    def tidy(self) -> pd.DataFrame:
        return self._table.copy()

    def summary(self) -> str:
        t = self._table.copy()
        t["p_value"] = [format_p(p) for p in t["p_value"]]
        head = f"Contrasts of {self.term}" + (f" | {', '.join(self.by)}" if self.by else "")
        lines = [f"Call: {self.call}", "", head, "", format_table(t), "",
                 f"P value adjustment: {self.adjust}; confidence level used: {self.conf_level:g}"]
        lines += [f"NOTE: {n}" for n in self.notes]
        return "\n".join(lines)

    def plot(self, ax: Any = None) -> Any:
        """Differences with their CIs, one row per contrast."""
        from ..plots._axes import get_ax

        t = self._table
        ax = get_ax(ax, figsize=(4.5, 0.35 * len(t) + 1.2))
        names = [c + (f" | {' '.join(str(row[b]) for b in self.by)}" if self.by else "")
                 for c, (_, row) in zip(t["contrast"], t.iterrows(), strict=True)]
        ypos = np.arange(len(t))[::-1]
        ax.hlines(ypos, t["conf_low"], t["conf_high"], color="black", lw=1.2)
        ax.scatter(t["estimate"], ypos, color="black", zorder=3, s=25)
        ax.axvline(0, color="grey", lw=0.8, ls="--")
        ax.set_yticks(ypos, names)
        ax.set_xlabel(f"difference ({int(self.conf_level * 100)}% CI)")
        return ax


def _emit(notes: list[str], what: str) -> None:
    for n in notes:
        warnings.warn(f"{what}: {n}.", DataWarning, stacklevel=4)


def emmeans_table(model: LinearModel, term: str, conf_level: float = 0.95,
                  by: str | list[str] | None = None) -> EmmeansResult:
    """Estimated marginal means of ``term`` (within each level of ``by``) with SE, df and CI."""
    wanted, by_list = _split(term, by)
    labels, L = _grid_L(model, wanted + by_list)
    est = L @ model.coef
    se = np.sqrt(np.einsum("ij,jk,ik->i", L, model.vcov, L))
    df = model.df_residual
    q = t_ppf(0.5 + conf_level / 2, df)
    out = labels.astype(object).copy()
    out["emmean"] = est
    out["std_error"] = se
    out["df"] = float(df)
    out["conf_low"] = est - q * se
    out["conf_high"] = est + q * se
    notes = _notes(model, wanted + by_list)
    _emit(notes, f"emmeans({term})")
    call = f"{model.call}.emmeans({term!r}" + (f", by={by_list}" if by_list else "") + ")"
    return EmmeansResult(out, term=term, by=by_list, notes=notes, n=model.n, excluded_ids=model.excluded_ids,
                         call=call, conf_level=conf_level)


def contrast_table(
    model: LinearModel, term: str, adjust: str = "tukey", conf_level: float = 0.95,
    by: str | list[str] | None = None,
) -> ContrastResult:
    """Pairwise differences of emmeans (``level_i - level_j`` for i < j, emmeans order), per ``by`` group."""
    from ..multiplicity import adjust_pvalues, check_method

    wanted, by_list = _split(term, by)
    method = str(adjust).lower()
    if method not in ("tukey", "none"):
        method = check_method(adjust, name="adjust", where="lm().contrast")
    labels, L = _grid_L(model, wanted + by_list)
    groups: dict[tuple, list[int]] = {}
    for i, row in enumerate(labels.itertuples(index=False)):
        key = tuple(row[len(wanted):])
        groups.setdefault(key, []).append(i)
    frames = []
    df = model.df_residual
    for key, rows in groups.items():
        names = [" ".join(str(v) for v in labels.iloc[i, : len(wanted)]) for i in rows]
        pairs = list(itertools.combinations(range(len(rows)), 2))
        C = np.array([L[rows[i]] - L[rows[j]] for i, j in pairs])
        est = C @ model.coef
        se = np.sqrt(np.einsum("ij,jk,ik->i", C, model.vcov, C))
        t = est / se
        k = len(rows)
        if method == "tukey" and k > 2:
            from scipy import stats  # the studentized range: only Tukey's adjustment needs scipy.stats

            p = stats.studentized_range.sf(np.abs(t) * np.sqrt(2), k, df)
            q = stats.studentized_range.ppf(conf_level, k, df) / np.sqrt(2)
        else:
            p = 2 * t_sf(np.abs(t), df)
            q = t_ppf(0.5 + conf_level / 2, df)
            if method not in ("tukey", "none"):
                p = adjust_pvalues(p, method)
                if method == "bonferroni":
                    q = t_ppf(1 - (1 - conf_level) / (2 * len(pairs)), df)
        part = pd.DataFrame({"contrast": [f"{names[i]} - {names[j]}" for i, j in pairs]})
        for b, v in zip(by_list, key, strict=True):
            part[b] = v
        part = part.assign(estimate=est, std_error=se, df=float(df), statistic=t, p_value=p,
                           conf_low=est - q * se, conf_high=est + q * se, cohens_d=est / model.sigma)
        frames.append(part)
    notes = _notes(model, wanted + by_list)
    _emit(notes, f"contrast({term})")
    call = f"{model.call}.contrast({term!r}" + (f", by={by_list}" if by_list else "") + f", adjust={method!r})"
    return ContrastResult(pd.concat(frames, ignore_index=True), term=term, by=by_list, adjust=method, notes=notes,
                          n=model.n, excluded_ids=model.excluded_ids, call=call, conf_level=conf_level)


__all__ = ["INTERACTION_NOTE", "ContrastResult", "EmmeansResult", "contrast_table", "emmeans_table"]
