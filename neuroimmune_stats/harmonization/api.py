"""``harmonize``: ComBat across scanners/protocols on a data frame, and its result object.

The numbers are those of R ``sva::ComBat(dat, batch, mod)`` with ``mod = model.matrix(~ covariates)``
(checked against sva and neuroCombat in ``tests/test_harmonize.py``); the estimation kernel is
:mod:`neuroimmune_stats.harmonization.combat`.
"""

from __future__ import annotations

import warnings
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, overload

import numpy as np
import pandas as pd

from .._params import check_bool
from ..design import ALWAYS_FACTORS, as_factor, is_factor, subject_ids, without_attrs
from ..exceptions import DataWarning, InsufficientDataError, RankDeficiencyError, SpecificationError
from ..results import Result, format_table
from .combat import CombatFit, adjust_fitted, fit_combat
from .frames import (
    column_positions,
    covariate_columns,
    factor_codes,
    feature_positions,
    float_block,
    has_missing,
    resolve,
    with_columns,
)

WHAT = "harmonize"
#: the covariate of interest checked for balance across batches
INTEREST = "subtype"
#: level shares differing between batches by more than this (proportion) trigger the DataWarning
IMBALANCE = 0.05


@dataclass(frozen=True)
class Prepared:
    """The arrays one ComBat fit needs, resolved and validated from a frame.

    ``batch`` is the resolved batch column; ``positions`` the feature columns' positions in the
    frame (``None`` when its column labels are not unique).
    """

    features: list[str]
    covariates: list[str]
    Y: np.ndarray
    codes: np.ndarray
    levels: list[Any]
    mod: np.ndarray
    mod_names: list[str]
    batch: str = ""
    positions: np.ndarray | None = None


def batch_codes(s: pd.Series) -> tuple[np.ndarray, list[Any]]:
    """Integer codes and levels of a batch column, a factor whatever its dtype (categorical order kept).

    The package's factor levels (``as_factor``: 1 and 1.0 are one level; categorical order kept).
    """
    return factor_codes(s)


def batch_labels(s: pd.Series) -> np.ndarray:
    """The batch of each row as the text of its factor level (what ``levels`` hold as ``str``)."""
    return np.asarray(as_factor(s).astype(str), dtype=object)


def _missing_error(frame: pd.DataFrame, cols: list[str], what: str) -> None:
    if not has_missing(frame, cols):
        return
    na = frame[cols].isna()
    bad_cols = [c for c in cols if na[c].any()]
    ids = subject_ids(frame)[na.any(axis=1)].tolist()
    shown = ", ".join(ids[:10]) + (" ..." if len(ids) > 10 else "")
    raise SpecificationError(
        f"{what}: missing values in {bad_cols} for {len(ids)} subject(s) ({shown}); ComBat needs complete "
        "data: drop these subjects or impute the values first."
    )


def feature_matrix(data: pd.DataFrame, feats: list[str], *, what: str,
                   positions: np.ndarray | None = None) -> np.ndarray:
    """The feature columns as one float (n, p) array; a non-numeric column raises naming it.

    ``positions``: the columns' positions in ``data`` (looked up when omitted and the labels are unique).
    """
    if positions is None:
        positions = feature_positions(feats, column_positions(data))
    return float_block(data, feats, positions, what=what)


def replace_columns(data: pd.DataFrame, feats: list[str], values: np.ndarray,
                    positions: np.ndarray | None = None) -> pd.DataFrame:
    """A copy of ``data`` with ``feats`` (at ``positions``) replaced by the columns of ``values`` (order kept)."""
    if positions is None:
        positions = feature_positions(feats, column_positions(data))
    if positions is None:  # labels not unique (or a MultiIndex): column by column
        out = data.copy()
        for j, c in enumerate(feats):
            out[c] = values[:, j]
        return out
    return with_columns(without_attrs(data), positions, values)


def prepare(
    data: Any, features: str | Sequence[str] | None, batch: str, covariates: str | Sequence[str],
    *, what: str = WHAT,
) -> Prepared:
    """Resolve and validate the columns of a ComBat fit; ``features=None``: every numeric non-factor column."""
    if not isinstance(data, pd.DataFrame):
        raise SpecificationError(f"{what}: data must be a pandas DataFrame; got {type(data).__name__}.")
    if not isinstance(batch, str):
        raise SpecificationError(f"{what}: batch must be one column name; got {batch!r}.")
    data = without_attrs(data)  # pandas copies attrs into every object an operation returns
    where = column_positions(data)
    bcol = resolve(data, batch, what=f"{what} batch", positions=where)[0]
    covs = resolve(data, covariates, what=f"{what} covariates", positions=where)
    if bcol in covs:
        raise SpecificationError(f"{what}: the batch column {bcol!r} cannot also be a covariate.")
    if features is None:
        feats = default_features(data, [bcol, *covs], where)
    else:
        feats = resolve(data, features, what=f"{what} features", positions=where)
        if not {bcol, *covs}.isdisjoint(feats):
            feats = [c for c in feats if c != bcol and c not in covs]
    if not feats:
        raise SpecificationError(f"{what}: no feature columns to harmonise (after removing batch and covariates).")
    _missing_error(data, [bcol, *covs], what)
    pos = feature_positions(feats, where)
    Y = float_block(data, feats, pos, what=f"{what} features")
    if np.isnan(Y).any():
        _missing_error(data, feats, what)
    if not np.isfinite(Y).all():
        bad = [c for c, col in zip(feats, Y.T, strict=True) if not np.isfinite(col).all()]
        raise SpecificationError(f"{what}: features {bad} hold infinite values.")
    codes, levels = factor_codes(data[bcol])
    if len(levels) < 2:
        raise SpecificationError(
            f"{what}: batch {bcol!r} has a single level ({levels[0] if levels else 'none'}); nothing to harmonise."
        )
    counts = np.bincount(codes, minlength=len(levels))
    if (counts < 2).any():
        small = {str(lev): int(c) for lev, c in zip(levels, counts, strict=True) if c < 2}
        raise InsufficientDataError(
            f"{what}: batch level(s) {small} of {bcol!r} have a single subject; ComBat needs at least 2 per "
            "batch to estimate its scale (merge the level with a similar one or drop it)."
        )
    mod, mod_names = covariate_columns(data, covs, what=f"{what} covariates")
    X = np.column_stack([(codes[:, None] == np.arange(len(levels))).astype(float), mod])
    if np.linalg.matrix_rank(X) < X.shape[1]:
        raise RankDeficiencyError(
            f"{what}: the covariates {covs} are confounded with batch {bcol!r} (the design [batch, "
            f"{', '.join(mod_names)}] is rank deficient); remove the confounded covariate, as sva::ComBat asks."
        )
    return Prepared(feats, covs, Y, codes, levels, mod, mod_names, bcol, pos)


def default_features(data: pd.DataFrame, exclude: list[str], where: dict[Hashable, int] | None) -> list[str]:
    """Every numeric, non-factor column not in ``exclude`` (the default features), in frame order."""
    if where is None:
        return [c for c in data.columns if c not in exclude
                and pd.api.types.is_numeric_dtype(data[c]) and not is_factor(data[c])]
    # by dtype: a numeric column is a factor only by its name or as booleans (is_factor's rule)
    return [c for c, dt in zip(data.columns.tolist(), data.dtypes.tolist(), strict=True)
            if c not in exclude and pd.api.types.is_numeric_dtype(dt) and not pd.api.types.is_bool_dtype(dt)
            and str(c) not in ALWAYS_FACTORS]


def check_balance(data: pd.DataFrame, batch: str, covariates: Sequence[str], *, column: str = INTEREST,
                  what: str = WHAT, stacklevel: int = 3) -> None:
    """DataWarning when ``column`` is in ``data``, not a covariate, and its level shares differ by batch.

    Shares of each level of ``column`` (as text) within each batch (as text), over the rows where both
    are present: ``pd.crosstab(batch, column, normalize="index")``, counted with ``bincount``.
    """
    if column not in data.columns or column in covariates or column == batch:
        return
    data = without_attrs(data)
    b_text, c_text = data[batch].astype(str), data[column].astype(str)
    keep = ~(np.asarray(pd.isna(b_text.array)) | np.asarray(pd.isna(c_text.array)))
    b_codes, b_levels = pd.factorize(b_text[keep], sort=True)
    c_codes, c_levels = pd.factorize(c_text[keep], sort=True)
    if len(b_levels) < 2 or len(c_levels) < 2:
        return
    counts = np.bincount(b_codes * len(c_levels) + c_codes, minlength=len(b_levels) * len(c_levels))
    counts = counts.reshape(len(b_levels), len(c_levels)).astype(float)
    tab = counts / counts.sum(axis=1, keepdims=True)
    spread = tab.max(axis=0) - tab.min(axis=0)
    j = int(np.argmax(spread))
    worst = str(c_levels[j])
    if float(spread[j]) > IMBALANCE:
        shares = ", ".join(f"{b}: {100 * tab[i, j]:.0f}%" for i, b in enumerate(b_levels.tolist()))
        warnings.warn(
            f"{what}: {column!r} is unbalanced across {batch!r} (share of {worst!r} by batch: {shares}; "
            f"differs by {100 * float(spread[j]):.0f} percentage points) and is not in covariates, so ComBat "
            f"will remove part of the {column} difference as a batch effect; add covariates=[{column!r}, ...] "
            "to preserve it (outside cross-validation only).",
            DataWarning, stacklevel=stacklevel,
        )


@dataclass(frozen=True, repr=False)
class HarmonizeResult(Result):
    """ComBat output: the harmonised frame, the estimates per feature and batch, and diagnostics.

    Attributes
    ----------
    data : DataFrame
        The input with the features replaced by their harmonised values (what :func:`harmonize` returns).
    original : DataFrame
        The features before harmonisation (a copy), with the batch column.
    features, covariates : list of str
    batch : str
    levels : list, the batch levels (in order)
    fit : CombatFit, the raw estimates
    parametric, eb : bool
    n : int, subjects
    mod : ndarray, the covariate columns (R's ``mod`` without intercept)
    excluded_ids : tuple, always empty (ComBat needs complete data and raises otherwise)
    """

    data: pd.DataFrame
    original: pd.DataFrame
    features: list[str]
    batch: str
    covariates: list[str]
    levels: list[Any]
    fit: CombatFit
    parametric: bool
    eb: bool
    mod: np.ndarray
    n: int = 0
    excluded_ids: tuple[str, ...] = ()
    call: str = ""

    #: tidy columns outside the broom vocabulary
    extra_columns: tuple[str, ...] = ("batch", "location", "scale", "gamma_hat", "gamma_star",
                                                "delta_hat", "delta_star")

    @property
    def method(self) -> str:
        if not self.eb:
            return "location/scale (no empirical Bayes)"
        return "parametric empirical Bayes" if self.parametric else "non-parametric empirical Bayes"

    def tidy(self) -> pd.DataFrame:
        """One row per feature × batch.

        Columns: ``term`` (feature), ``batch``, ``n``, ``location`` (the removed additive batch effect,
        ``gamma_star × sqrt(var_pooled)``, in the feature's units), ``scale`` (``sqrt(delta_star)``, the
        removed multiplicative effect), and the standardised estimates ``gamma_hat``, ``gamma_star``,
        ``delta_hat``, ``delta_star``.
        """
        f = self.fit
        sd = np.sqrt(f.var_pooled[0])
        rows = []
        for b, lev in enumerate(self.levels):
            for j, feat in enumerate(self.features):
                rows.append({
                    "term": feat, "batch": str(lev), "n": int(f.n_batch[0, b]),
                    "location": float(f.gamma_star[0, b, j] * sd[j]), "scale": float(np.sqrt(f.delta_star[0, b, j])),
                    "gamma_hat": float(f.gamma_hat[0, b, j]), "gamma_star": float(f.gamma_star[0, b, j]),
                    "delta_hat": float(f.delta_hat[0, b, j]), "delta_star": float(f.delta_star[0, b, j]),
                })
        return pd.DataFrame(rows)

    def batch_differences(self) -> pd.DataFrame:
        """Per feature: partial eta squared of batch given the covariates, before and after.

        ``(RSS_covariates - RSS_covariates+batch) / RSS_covariates`` from least squares of the feature
        on an intercept and the preserved covariates, without and with the batch indicators.
        """
        codes = np.unique(batch_labels(self.original[self.batch]), return_inverse=True)[1]
        base = np.column_stack([np.ones(self.n), self.mod])
        full = np.column_stack([base, (codes[:, None] == np.arange(1, codes.max() + 1)).astype(float)])

        def rss(D: np.ndarray, Y: np.ndarray) -> np.ndarray:
            return ((Y - D @ np.linalg.lstsq(D, Y, rcond=None)[0]) ** 2).sum(axis=0)

        out = {"term": self.features}
        for name, frame in (("before", self.original), ("after", self.data)):
            Y = frame[self.features].to_numpy(dtype=float)
            r0 = rss(base, Y)
            out[f"eta2_batch_{name}"] = (r0 - rss(full, Y)) / r0
        return pd.DataFrame(out)

    def summary(self) -> str:
        f = self.fit
        sizes = ", ".join(f"{lev}: n = {int(c)}" for lev, c in zip(self.levels, f.n_batch[0], strict=True))
        lines = [
            f"ComBat harmonisation ({self.method}), as sva::ComBat with mod",
            f"  batch: {self.batch} ({sizes})",
            f"  covariates preserved: {', '.join(self.covariates) if self.covariates else 'none'}",
            f"  features: {len(self.features)}; subjects: {self.n}",
        ]
        if self.eb and self.parametric:
            lines.append(f"  EB iterations per batch: {', '.join(str(int(i)) for i in f.n_iter[0])}")
        lines += ["", "Batch effect given the covariates (partial eta^2), before -> after:",
                  format_table(self.batch_differences())]
        return "\n".join(lines)

    def plot(self, ax: Any = None, features: Sequence[str] | None = None, **kwargs: Any) -> Any:
        """Per-batch distributions of each feature before (light) and after (solid) harmonisation.

        Values are standardised per feature by the pooled mean and SD before harmonisation, so the
        features share one axis. See :func:`neuroimmune_stats.harmonization.plots.plot_harmonisation`.
        """
        from .plots import plot_harmonisation

        return plot_harmonisation(self, ax=ax, features=features)


@overload
def harmonize(data: pd.DataFrame, features: str | Sequence[str], batch: str = ...,
              covariates: str | Sequence[str] = ..., parametric: bool = ...,
              eb: bool = ..., *, result: Literal[False] = ...) -> pd.DataFrame: ...


@overload
def harmonize(data: pd.DataFrame, features: str | Sequence[str], batch: str = ...,
              covariates: str | Sequence[str] = ..., parametric: bool = ...,
              eb: bool = ..., *, result: Literal[True]) -> HarmonizeResult: ...


def harmonize(
    data: pd.DataFrame,
    features: str | Sequence[str],
    batch: str = "protocol",
    covariates: str | Sequence[str] = (),
    parametric: bool = True,
    eb: bool = True,
    *,
    result: bool = False,
) -> pd.DataFrame | HarmonizeResult:
    """Remove scanner/protocol effects from features with ComBat, preserving covariate effects.

    Parameters
    ----------
    data : DataFrame
        One row per subject; not modified.
    features : str or list of str
        Numeric columns or globs (``"suvr_*"``) to harmonise.
    batch : str, default="protocol"
        The batch column (scanner, site, protocol); a factor whatever its dtype.
    covariates : str or list of str, default=()
        Columns whose effects are preserved (R's ``mod = model.matrix(~ covariates)``): factors
        dummy-coded against their first level, numeric columns as they are. Put the variable you
        will analyse (``subtype``) here when it is unbalanced across batches; see Notes for the
        cross-validated case.
    parametric : bool, default=True
        Parametric empirical-Bayes priors (sva's ``it.sol``, relative change ≤ 1e-4); ``False``: the
        non-parametric prior (sva's ``int.eprior``).
    eb : bool, default=True
        ``False``: plain per-batch location/scale adjustment without shrinkage across features.
    result : bool, default=False
        Return a :class:`HarmonizeResult` (``.data``, ``.tidy()``, ``.summary()``, ``.plot()``)
        instead of the frame.

    Returns
    -------
    DataFrame
        A copy of ``data`` with the feature columns harmonised (same index, columns and order).

    Raises
    ------
    SpecificationError
        Unknown or non-numeric columns, missing values, a single batch, a feature constant within a
        batch, fewer than 2 features with ``eb=True``.
    InsufficientDataError
        A batch with a single subject.
    RankDeficiencyError
        A covariate confounded with batch.

    Warns
    -----
    DataWarning
        When ``subtype`` is a column of ``data`` that is not in ``covariates`` and the share of one
        of its levels differs between two batches by more than 5 percentage points.

    Notes
    -----
    ComBat (Johnson, Li & Rabinovic 2007) models each feature as
    ``y = alpha + X beta + gamma_batch + delta_batch * e`` and shrinks the per-batch location
    ``gamma`` and scale ``delta`` towards their means across features (empirical Bayes), which
    stabilises them in small batches (Fortin et al. 2017, 2018). Estimating ComBat on the whole
    sample before cross-validating a classifier leaks information between folds; use
    ``evaluate_classifier(..., harmonize=True)``, which estimates it inside each training fold.
    sva leaves features constant within a batch unadjusted and switches to ``mean.only`` for a
    one-subject batch; here both raise, so nothing is silently left out.

    References
    ----------
    Johnson WE, Li C, Rabinovic A (2007). Adjusting batch effects in microarray expression data
    using empirical Bayes methods. Biostatistics 8:118–127.

    Fortin J-P et al. (2018). Harmonization of cortical thickness measurements across scanners and
    sites. NeuroImage 167:104–120.

    Examples
    --------
    >>> import neuroimmune_stats as nis
    >>> df = nis.load_example()
    >>> out = harmonize(df, "suvr_*", batch="protocol", covariates=["subtype", "tspo_genotype"])
    >>> out.shape == df.shape, bool((out["suvr_s1"] != df["suvr_s1"]).any())
    (True, True)
    >>> res = harmonize(df, "suvr_*", covariates=["subtype"], result=True)
    >>> sorted(res.tidy()["batch"].unique())
    ['1', '2']
    """
    parametric = check_bool(parametric, where=WHAT, name="parametric")
    eb = check_bool(eb, where=WHAT, name="eb")
    check_bool(result, where=WHAT, name="result")
    prep = prepare(data, features, batch, covariates)
    data = without_attrs(data)
    check_balance(data, prep.batch, prep.covariates)
    out, fit = combat_frame(data, prep, parametric=parametric, eb=eb)
    if not result:
        return out
    return HarmonizeResult(
        data=out, original=_original(data, prep), features=prep.features, batch=prep.batch,
        covariates=prep.covariates, levels=prep.levels, fit=fit, parametric=parametric, eb=eb, mod=prep.mod,
        n=len(data),
        call=f"harmonize(data, {prep.features!r}, batch={batch!r}, covariates={prep.covariates!r}, "
             f"parametric={parametric}, eb={eb})",
    )


def combat_frame(data: pd.DataFrame, prep: Prepared, *, parametric: bool, eb: bool) -> tuple[pd.DataFrame, CombatFit]:
    """Fit ComBat on every row of ``data`` (as ``prep``) and return (harmonised copy of ``data``, fit)."""
    fit = fit_combat(prep.Y, prep.codes, len(prep.levels), prep.mod, parametric=parametric, eb=eb,
                     names=prep.features, levels=[str(v) for v in prep.levels])
    H = adjust_fitted(fit, prep.Y, prep.codes, prep.mod)[0]
    return replace_columns(data, prep.features, H, prep.positions), fit


def _original(data: pd.DataFrame, prep: Prepared) -> pd.DataFrame:
    """The feature columns and the batch column of ``data`` (a copy), as ``data[[*features, batch]]``."""
    if prep.positions is None:
        return data[[*prep.features, prep.batch]].copy()
    pos = np.append(prep.positions, data.columns.get_indexer(pd.Index([prep.batch])))
    return data.take(pos, axis=1)


__all__ = ["HarmonizeResult", "batch_codes", "batch_labels", "check_balance", "combat_frame", "harmonize", "prepare"]
