"""The result of :func:`~neuroimmune_stats.classify.evaluate_classifier`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..results import Result, format_p, format_table
from .metrics import TERMS, hanley_mcneil_se

Z95 = 1.959963984540054

#: columns of :meth:`ClassifierResult.tidy`
TIDY = ("model", "term", "estimate", "std_error", "conf_low", "conf_high", "p_value", "sd_repeats", "n")


@dataclass(repr=False, kw_only=True)
class ClassifierResult(Result):
    """Cross-validated performance, permutation test and signature of a subtype classifier.

    Attributes
    ----------
    features, covariates : list of str
    target : str
    classes : (negative, positive) class labels; sensitivity refers to the positive class
    per_fold : dict model → DataFrame (repeat, fold and one column per metric)
    oof : dict model → list of (test positions, scores, probabilities or None) per fold
    coefs : ndarray (n_folds, n_features) or None, standardised weights per fold
    observed_auc : float, the test statistic (mean test-fold AUC)
    null_distribution : ndarray or None, the mean AUC of each label permutation
    p_value : float or None
    n : int, complete cases; excluded_ids : tuple of str
    fast_path : bool, whether the batched logistic solver was used
    estimator : the scikit-learn classifier given, or None for the default (L2 ``LogisticRegression(C=1)``)
    fold_ids : ndarray (n_repeats, n), the test fold of every subject in every repeat
    permuted_within : str or None, the exchangeability blocks of the label permutations
    harmonized : bool, whether ComBat on protocol ran inside each training fold
    early_stop : int or None, ``h`` of the Besag–Clifford early stopping (None: fixed-size test)
    n_permutations_drawn : int, permutations actually evaluated (``n_permutations`` is the cap)
    permutation_rule : str or None, a methods sentence on the permutation test and its stopping rule
    """

    #: tidy columns beyond the broom vocabulary (declared for the result contract)
    extra_columns = ("sd_repeats",)

    features: list[str]
    target: str
    covariates: list[str]
    classes: tuple[Any, Any]
    y01: np.ndarray
    per_fold: dict[str, pd.DataFrame]
    oof: dict[str, list[tuple[np.ndarray, np.ndarray, np.ndarray | None]]]
    coefs: np.ndarray | None
    observed_auc: float
    null_distribution: np.ndarray | None
    p_value: float | None
    n: int
    excluded_ids: tuple[str, ...]
    n_splits: int
    n_repeats: int
    n_permutations: int
    stratify_by: str | None
    fast_path: bool
    estimator: Any
    ids: np.ndarray = field(default_factory=lambda: np.array([]))
    fold_ids: np.ndarray = field(default_factory=lambda: np.empty((0, 0), dtype=int))
    permuted_within: str | None = None
    harmonized: bool = False
    seed: Any = None
    early_stop: int | None = None
    n_permutations_drawn: int = 0
    permutation_rule: str | None = None

    @property
    def stopped_early(self) -> bool:
        """True when the sequential rule stopped before ``n_permutations``."""
        return self.early_stop is not None and 0 < self.n_permutations_drawn < self.n_permutations

    @property
    def models(self) -> list[str]:
        return list(self.per_fold)

    def per_repeat(self, model: str = "features") -> pd.DataFrame:
        """Metrics averaged over the folds of each repeat."""
        return self.per_fold[model].groupby("repeat")[list(TERMS)].mean().reset_index()

    @property
    def auc_gain(self) -> dict[str, float]:
        """Mean AUC of the features model minus the confounds-only baseline (NaN without covariates)."""
        if "confounds_only" not in self.per_fold:
            return {"estimate": float("nan"), "sd_repeats": float("nan")}
        d = self.per_repeat("features")["auc"] - self.per_repeat("confounds_only")["auc"]
        return {"estimate": float(d.mean()), "sd_repeats": float(d.std(ddof=1)) if d.size > 1 else float("nan")}

    def tidy(self) -> pd.DataFrame:
        """One row per ``model`` × ``term``.

        Columns: ``model`` (``features``, ``confounds_only``; the baseline only with covariates),
        ``term`` (``auc``, ``balanced_accuracy``, ``sensitivity``, ``specificity``, ``brier``),
        ``estimate`` (mean over folds and repeats), ``std_error`` and ``conf_low``/``conf_high``
        (approximate; see :func:`evaluate_classifier` Notes), ``p_value`` (permutation test, AUC of
        the features model only), ``sd_repeats`` (SD of the repeat means) and ``n``.
        """
        n1 = int(self.y01.sum())
        n0 = int(self.y01.size - n1)
        rows = []
        for model in self.models:
            rep = self.per_repeat(model)
            pf = self.per_fold[model]
            for term in TERMS:
                est = float(pf[term].mean())
                if term == "auc":
                    se = hanley_mcneil_se(est, n1, n0)
                elif term == "sensitivity":
                    se = float(np.sqrt(est * (1 - est) / n1))
                elif term == "specificity":
                    se = float(np.sqrt(est * (1 - est) / n0))
                elif term == "balanced_accuracy":
                    s, p = float(pf["sensitivity"].mean()), float(pf["specificity"].mean())
                    se = 0.5 * float(np.sqrt(s * (1 - s) / n1 + p * (1 - p) / n0))
                else:
                    se = self._brier_se(model)
                lo, hi = est - Z95 * se, est + Z95 * se
                if term != "brier":
                    lo, hi = max(lo, 0.0), min(hi, 1.0)
                rows.append({
                    "model": model, "term": term, "estimate": est, "std_error": se,
                    "conf_low": lo, "conf_high": hi,
                    "p_value": self.p_value if (model == "features" and term == "auc"
                                                and self.p_value is not None) else np.nan,
                    "sd_repeats": float(rep[term].std(ddof=1)) if len(rep) > 1 else np.nan,
                    "n": self.n,
                })
        return pd.DataFrame(rows, columns=list(TIDY))

    def _brier_se(self, model: str) -> float:
        if np.isnan(self.per_fold[model]["brier"]).all():
            return float("nan")
        sq = [(prob - self.y01[te]) ** 2 for te, _, prob in self.oof[model]]
        allsq = np.concatenate(sq)
        return float(allsq.std(ddof=1) / np.sqrt(self.y01.size))

    def signature(self) -> pd.DataFrame:
        """Per-feature standardised weights over folds: ``mean``, ``sd``, ``sign_consistency``.

        ``sign_consistency`` is the share of folds whose weight has the sign of the mean weight.
        Weights are on the scale of the confound-adjusted, standardised features, for the positive
        class. Needs an estimator with ``coef_`` (linear models).
        """
        from ..exceptions import SpecificationError

        if self.coefs is None:
            raise SpecificationError(
                "signature() needs a linear estimator with coef_; "
                f"{type(self.estimator).__name__} has none."
            )
        W = self.coefs
        mean = W.mean(axis=0)
        sign = np.sign(mean)
        cons = (np.sign(W) == sign).mean(axis=0)
        out = pd.DataFrame({
            "feature": self.features, "mean": mean, "sd": W.std(axis=0, ddof=1) if len(W) > 1 else np.nan,
            "sign_consistency": cons, "n_folds": len(W),
        })
        return out.reindex(out["mean"].abs().sort_values(ascending=False).index).reset_index(drop=True)

    def summary(self) -> str:
        t = self.tidy()
        lines = [
            f"Subtype classifier: {self.target} ({self.classes[1]} vs {self.classes[0]}), "
            f"{len(self.features)} feature(s)",
            f"Covariates (regressed out within training folds): {', '.join(self.covariates) or 'none'}",
            *(["ComBat on protocol estimated within each training fold (harmonize=True)"] if self.harmonized else []),
            f"{self.n_repeats} x {self.n_splits}-fold stratified CV"
            + (f" (stratified by {self.stratify_by} x {self.target})" if self.stratify_by else "")
            + f"; n = {self.n}" + (f", excluded: {', '.join(self.excluded_ids)}" if self.excluded_ids else ""),
            "",
            format_table(t.drop(columns=["n"])),
            "",
        ]
        if self.p_value is not None:
            within = f", permuted within {self.permuted_within}" if self.permuted_within else ""
            drawn = (f"{self.n_permutations} permutations" if self.early_stop is None else
                     f"{self.n_permutations_drawn} of at most {self.n_permutations} permutations, Besag-Clifford "
                     f"early stopping at {self.early_stop} exceedances"
                     + (", stopped early" if self.stopped_early else ", ran to the cap"))
            lines.append(
                f"Permutation test of mean AUC {self.observed_auc:.3f}: p = {format_p(self.p_value)} "
                f"({drawn}{within})"
            )
        else:
            lines.append("Permutation test skipped (n_permutations=0).")
        g = self.auc_gain
        if np.isfinite(g["estimate"]):
            lines.append(f"AUC gain over confounds only: {g['estimate']:+.3f} (SD over repeats {g['sd_repeats']:.3f})")
        return "\n".join(lines)

    def plot(self, ax: Any = None, model: str = "features") -> Any:
        """ROC curves of every test fold (thin) with their vertical mean (thick); returns the Axes."""
        from ..plots.classify import plot_roc

        return plot_roc(self, ax=ax, model=model)

    def plot_signature(self, ax: Any = None) -> Any:
        """Mean standardised weight per feature with fold-to-fold SD; returns the Axes."""
        from ..plots.classify import plot_signature

        return plot_signature(self, ax=ax)


__all__ = ["TIDY", "ClassifierResult"]
