"""``evaluate_classifier``: repeated stratified CV, a confounds-only baseline and a permutation test.

Two paths give the same numbers. The *fast path* (default estimator, or any plain L2
``LogisticRegression``) fits every fold of the observed labels and of a batch of label permutations
in one batched Newton solve on the shared design of confounds and features (:mod:`.foldbatch`; fold
by fold with :mod:`.fastlogit` when features are harmonised per fold or wider than the training
set). Any other estimator takes the *general path*: a fresh
:class:`~neuroimmune_stats.classify.SubtypeClassifier` clone per fold and permutation. Label
permutations always come from :mod:`neuroimmune_stats.resampling`.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from .._rng import SeedLike, analysis_seed
from ..design import (
    check_rank,
    complete_cases,
    covariate_matrix,
    is_factor,
    numeric_column,
    resolve_columns,
    subject_ids,
)
from ..exceptions import InsufficientDataError, ResamplingWarning, SpecificationError
from .cv import CVDesign, FastModel, GeneralModel, PermutationStatistic
from .fastlogit import is_fast_logistic
from .harmonize import BATCH, FoldCombat
from .permtest import run_permutations
from .result import ClassifierResult

WHAT = "evaluate_classifier"
#: numeric columns in ``permute_within`` are cut at their quantiles into this many bins
NUMERIC_BINS = 3
#: fewer distinct within-block label arrangements than this triggers a ResamplingWarning
MIN_ARRANGEMENTS = 1000


def _int_arg(name: str, value: Any, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise SpecificationError(f"{WHAT}: {name} must be an int >= {low}; got {value!r}.")
    return int(value)


def _binary_target(frame: pd.DataFrame, target: str, n_splits: int) -> tuple[np.ndarray, tuple[Any, Any]]:
    s = frame[target]
    if isinstance(s.dtype, pd.CategoricalDtype):
        levels = list(s.cat.remove_unused_categories().cat.categories)
    else:
        levels = sorted(pd.unique(s.dropna()).tolist(), key=str)
    if len(levels) < 2:
        raise InsufficientDataError(
            f"{WHAT}: target {target!r} holds a single class ({levels[0] if levels else 'none'!r}) "
            "among the complete cases; two classes are needed."
        )
    if len(levels) > 2:
        raise SpecificationError(
            f"{WHAT}: target {target!r} must have two classes; it has {len(levels)}: {levels}."
        )
    y01 = (s.astype(object).to_numpy() == levels[1]).astype(float)
    counts = {levels[0]: int((y01 == 0).sum()), levels[1]: int(y01.sum())}
    small = {k: v for k, v in counts.items() if v < n_splits}
    if small:
        raise InsufficientDataError(
            f"{WHAT}: class(es) {small} of {target!r} have fewer subjects than n_splits={n_splits}; "
            "lower n_splits or collect more data."
        )
    return y01, (levels[0], levels[1])


def _feature_matrix(frame: pd.DataFrame, feats: list[str]) -> np.ndarray:
    """The features as one float array; plain numeric columns in one block (10,000 columns in milliseconds)."""
    sub = frame[feats]
    if all(isinstance(t, np.dtype) and t.kind in "fiu" for t in sub.dtypes):
        return sub.to_numpy(dtype=float)
    return np.column_stack([numeric_column(frame, c, what=f"{WHAT} features") for c in feats])


def _permutation_blocks(frame: pd.DataFrame, cols: list[str]) -> tuple[np.ndarray | None, str | None]:
    """Exchangeability blocks: level combinations of ``cols`` (numeric ones cut at quantiles)."""
    if not cols:
        return None, None
    codes, parts = [], []
    for c in cols:
        s = frame[c]
        if is_factor(s) or s.nunique() <= NUMERIC_BINS:
            codes.append(np.unique(s.astype(str).to_numpy(), return_inverse=True)[1])
            parts.append(c)
        else:
            x = s.to_numpy(dtype=float)
            codes.append(np.searchsorted(np.quantile(x, np.linspace(0, 1, NUMERIC_BINS + 1)[1:-1]), x, side="right"))
            parts.append(f"{c} ({NUMERIC_BINS} quantile bins)")
    blocks = np.unique(np.column_stack(codes), axis=0, return_inverse=True)[1].ravel()
    return blocks, " x ".join(parts)


def _check_arrangements(blocks: np.ndarray | None, y01: np.ndarray, desc: str | None) -> None:
    """Warn when the blocks leave too few distinct label arrangements for a fine-grained p-value."""
    from scipy.special import gammaln  # scipy comes with scikit-learn: load it on first use, as sklearn

    b = np.zeros(y01.size, dtype=int) if blocks is None else blocks
    n_b = np.bincount(b)
    k_b = np.bincount(b, weights=y01).round().astype(int)
    log_count = float(np.sum(gammaln(n_b + 1) - gammaln(k_b + 1) - gammaln(n_b - k_b + 1)))
    if log_count < np.log(MIN_ARRANGEMENTS):
        warnings.warn(
            f"{WHAT}: permuting labels within {desc or 'the whole sample'} leaves only "
            f"{np.exp(log_count):.0f} distinct label arrangements, so the permutation p-value "
            f"cannot go much below {1 / np.exp(log_count):.2g}; permute within fewer columns "
            "(permute_within=...) or use more subjects.",
            ResamplingWarning, stacklevel=3,
        )


def evaluate_classifier(
    data: pd.DataFrame,
    features: str | Sequence[str],
    target: str = "subtype",
    covariates: str | Sequence[str] = (),
    estimator: Any = None,
    n_splits: int = 5,
    n_repeats: int = 10,
    n_permutations: int = 1000,
    stratify_by: str | None = None,
    seed: SeedLike = None,
    n_jobs: int = 1,
    *,
    permute_within: str | Sequence[str] | None = "covariates",
    harmonize: bool = False,
    early_stop: int | None = None,
) -> ClassifierResult:
    """Cross-validated subtype classification with a confounds-only baseline and a permutation test.

    Parameters
    ----------
    data : DataFrame
        One row per subject.
    features : str or list of str
        Feature columns or globs (``"suvr_*"``); numeric.
    target : str, default="subtype"
        Binary class column; the second level (e.g. ``radicular``) is the positive class.
    covariates : str or list of str, default=()
        Confounds (e.g. ``protocol``, ``tspo_genotype``, ``bmi``). They are regressed out of the
        features inside each training fold (never on the whole sample) and then dropped. The
        confounds-only baseline classifies from them alone.
    estimator : sklearn classifier, optional
        Default: L2 ``LogisticRegression(C=1)``. Plain L2 logistic regressions use the fast batched
        path; any other classifier is cloned and fitted per fold and permutation.
    n_splits, n_repeats : int, default=5, 10
        Repeated stratified K-fold.
    n_permutations : int, default=1000
        Label permutations for the p-value of the mean AUC; ``0`` skips the test (``p_value`` None).
    stratify_by : str, optional
        A factor (e.g. ``"protocol"``): folds are stratified by ``stratify_by`` × target, and labels
        are permuted only within its levels (exchangeability blocks).
    seed : int, Generator or None
        Same seed → same folds, permutations and numbers, whatever ``n_jobs``.
    n_jobs : int, default=1
        Workers for the permutations (through :func:`neuroimmune_stats.resampling.resample`).
    permute_within : "covariates", str, list of str or None, default="covariates"
        Exchangeability blocks of the label permutations, on top of ``stratify_by``: labels are
        permuted only among subjects sharing the level combination of these columns. The default
        uses the ``covariates`` (factors by level, numeric columns such as BMI by tercile), which
        makes the test a conditional one: it asks whether the features predict the label *beyond*
        the confounds, and its p-value is uniform when they do not (see Notes). ``None`` permutes
        freely (within ``stratify_by`` only), as ``permutation_test_score`` does. A
        :class:`~neuroimmune_stats.exceptions.ResamplingWarning` is emitted when the blocks leave
        fewer than 1000 distinct label arrangements.
    harmonize : bool, default=False
        ``True`` runs ComBat on the features inside each training fold (never on the test fold), before
        the confound regression: batch ``protocol`` (a column of ``data``; required), covariates
        preserved = the call's *factor* ``covariates`` other than ``protocol`` (never the target).
        Training and test rows are mapped with the fold's training estimates without reading their
        labels or covariates (see Notes). The permutations re-estimate ComBat in their own folds.
    early_stop : int, optional
        ``h``: stop the permutations early by the Besag–Clifford (1991) sequential rule, at the
        ``h``-th permutation whose mean AUC is at least the observed one, with ``n_permutations`` as
        the cap; ``None`` (default) draws all ``n_permutations``. The permutations are the same ones,
        in the same order, as the fixed test's, so a run that never stops early gives its p-value.
        ``h >= alpha * (n_permutations + 1)`` guarantees the same decision as the fixed test at level
        ``alpha`` (e.g. ``h = 51`` for 0.05 with 1000 permutations; see Notes).

    Returns
    -------
    ClassifierResult
        ``.tidy()`` (model × term), ``.p_value``, ``.auc_gain``, ``.signature()``, ``.plot()``,
        ``.plot_signature()``, ``.n``, ``.excluded_ids``.

    Raises
    ------
    SpecificationError
        Unknown columns, non-numeric or constant features, a target with more than two classes,
        bad arguments.
    InsufficientDataError
        A single class, or a class with fewer subjects than ``n_splits``.

    Notes
    -----
    Subjects with a missing value in the target, a feature, a covariate or ``stratify_by`` are
    dropped (complete cases; their IDs are in ``excluded_ids``). Each fold's AUC is computed on its
    test subjects; the test statistic is the mean AUC over all folds and repeats, and the p-value is
    :math:`(C + 1) / (P + 1)` with :math:`C` the number of permutations whose mean AUC is at least the
    observed one (as ``sklearn.model_selection.permutation_test_score``). Folds are a deterministic
    function of the labels and the seed (subjects sorted by stratum and a random key, dealt to the
    folds in turn), so each permutation is re-stratified on its permuted labels, as
    ``permutation_test_score`` re-splits a stratified ``cv`` on each permuted ``y``.
    ``std_error`` of the AUC is the Hanley–McNeil standard error, those of the threshold metrics
    binomial, that of the Brier score the SD of squared errors over :math:`\\sqrt{n}`; the intervals
    are Wald 95% intervals. They ignore the dependence between folds and are approximate;
    ``sd_repeats`` is the repeat-to-repeat spread and the permutation p-value is the exact test.

    Confound adjustment (validated by simulation in ``tests/test_classify_evaluate.py``): when the
    features carry only confound signal and the confounds differ between subtypes, the adjusted
    classifier's mean AUC is 0.5 within Monte Carlo error while the unadjusted one is far above it.
    Labels permuted freely lose their association with the confounds, while cross-validated confound
    regression pulls the observed AUC slightly below chance when that association exists (Snoek et
    al. 2019); a free permutation null is then centred too high and the p-value is conservative
    (1–2% of p-values ≤ 0.05 in our simulation). Permuting within confound blocks keeps the
    label–confound association in every permutation, so observed and permuted statistics share that
    bias and the p-value is uniform under the null (Kolmogorov–Smirnov test over 800 simulated
    cohorts in the tests); it is the conditional permutation idea of Berrett et al. (2020) with the
    confounds discretised.

    Early stopping (``early_stop=h``, Besag & Clifford 1991): permutations are evaluated in draw
    order until the ``h``-th exceedance; after ``L`` permutations the p-value is ``h / L``; with
    fewer than ``h`` exceedances ``C`` among all ``P = n_permutations`` it is the fixed test's
    ``(C + 1)/(P + 1)``. It is a valid p-value (``P(p <= u) <= u`` under the null at every
    attainable ``u``), not an estimate needing correction. Error bound against the fixed test: a
    stop at ``L < P`` means ``h`` of the first ``L`` permutations already exceed, so the full run
    would have given ``p >= (h + 1)/(P + 1)``; both tests therefore reject at exactly the same
    levels ``alpha <= h/(P + 1)``. Only large p-values stop early (after about ``h / p``
    permutations, relative standard error about ``sqrt((1 - p)/h)``); a small p-value, where
    precision matters, always runs to the cap and equals the fixed test's. ``n_permutations_drawn``
    and ``permutation_rule`` of the result say what happened.

    Harmonisation (``harmonize=True``): a fold's ComBat (Johnson et al. 2007, as ``sva::ComBat``,
    parametric empirical Bayes) is estimated on its training rows with ``protocol`` as batch and the
    factor covariates in the design, so their effects are not mistaken for protocol effects. The
    target is never in the design: its labels are unknown for test rows, and with it in the
    design the training rows' subtype effect would be preserved by a fit the test rows cannot share.
    Every row of the fold, training and test, is then mapped by the same training estimates,
    ``y -> m + (y - m - gamma*_b sigma) / sqrt(delta*_b)`` (``m`` the training mean fit, covariate
    part at its training mean, as ``neuroCombatFromTraining``), which reads only the row's features
    and protocol. When subtypes are unbalanced across protocols, part of a true subtype difference
    is absorbed into the protocol estimates (a conservative bias), never the reverse: on a null
    cohort the AUC stays at chance and a test row's harmonised values do not change when any label
    changes (tests in ``tests/test_classify_harmonize.py``).

    References
    ----------
    Besag J, Clifford P (1991). Sequential Monte Carlo p-values. Biometrika 78:301–304.

    Snoek L, Miletić S, Scholte HS (2019). How to control for confounds in decoding analyses of
    neuroimaging data. NeuroImage 184:741–760.

    Johnson WE, Li C, Rabinovic A (2007). Adjusting batch effects in microarray expression data
    using empirical Bayes methods. Biostatistics 8:118–127.

    Berrett TB, Wang Y, Barber RF, Samworth RJ (2020). The conditional permutation test for
    independence while controlling for confounders. J R Stat Soc B 82:175–197.

    Examples
    --------
    >>> import neuroimmune_stats as nis
    >>> df = nis.simulate_cohort(seed=1)
    >>> res = evaluate_classifier(df, "suvr_*", covariates=["protocol", "tspo_genotype", "bmi"],
    ...                           n_repeats=2, n_permutations=19, seed=1)
    >>> sorted(res.tidy()["model"].unique())
    ['confounds_only', 'features']
    >>> 0.05 <= res.p_value <= 1
    True
    """
    if not isinstance(data, pd.DataFrame):
        raise SpecificationError(f"{WHAT}: data must be a pandas DataFrame; got {type(data).__name__}.")
    n_splits = _int_arg("n_splits", n_splits, 2)
    n_repeats = _int_arg("n_repeats", n_repeats, 1)
    n_permutations = _int_arg("n_permutations", n_permutations, 0)
    if early_stop is not None:
        early_stop = _int_arg("early_stop", early_stop, 1)
    if not isinstance(target, str):
        raise SpecificationError(f"{WHAT}: target must be one column name; got {target!r}.")
    target = resolve_columns(data, target, what=f"{WHAT} target")[0]
    feats = resolve_columns(data, features, what=f"{WHAT} features")
    covs = resolve_columns(data, covariates, what=f"{WHAT} covariates")
    strat_col = resolve_columns(data, stratify_by, what=f"{WHAT} stratify_by")
    if len(strat_col) > 1:
        raise SpecificationError(f"{WHAT}: stratify_by must be one column; got {strat_col}.")
    feats = [c for c in feats if c != target and c not in covs]
    if not feats:
        raise SpecificationError(f"{WHAT}: no feature columns left after removing target and covariates.")
    if isinstance(permute_within, str) and permute_within == "covariates":
        within = covs
    else:
        within = resolve_columns(data, permute_within, what=f"{WHAT} permute_within")
    if target in within:
        raise SpecificationError(f"{WHAT}: permute_within cannot include the target {target!r}.")
    if not isinstance(harmonize, bool):
        raise SpecificationError(f"{WHAT}: harmonize must be True or False; got {harmonize!r}.")
    batch_col = [BATCH] if harmonize else []
    if harmonize:
        if BATCH not in data.columns:
            raise SpecificationError(f"{WHAT}: harmonize=True needs a {BATCH!r} column (the batch ComBat removes).")
        if target == BATCH:
            raise SpecificationError(f"{WHAT}: harmonize=True cannot harmonise over the target {target!r}.")
        feats = [c for c in feats if c != BATCH]
        if not feats:
            raise SpecificationError(f"{WHAT}: no feature columns left after removing {BATCH!r}.")
    used = list(dict.fromkeys([target, *feats, *covs, *strat_col, *within, *batch_col]))
    frame, cc = complete_cases(data, used, min_n=2 * n_splits, what=WHAT, warn=True)
    y01, classes = _binary_target(frame, target, n_splits)
    F = _feature_matrix(frame, feats)
    const = [c for c, col in zip(feats, F.T, strict=True) if np.ptp(col) == 0]
    if const:
        raise SpecificationError(
            f"{WHAT}: feature(s) {const} are constant among the complete cases; remove them."
        )
    Cm, cov_names = covariate_matrix(frame, covs, what=f"{WHAT} covariates")
    if covs:  # the design layer's rank rule, as every other analysis (confounds regressed out in each fold)
        check_rank(np.column_stack([np.ones(len(frame)), Cm]), ["(Intercept)", *cov_names], what=f"{WHAT} covariates")
    for c in strat_col:
        if not is_factor(frame[c]) and frame[c].nunique() > 10:
            raise SpecificationError(f"{WHAT}: stratify_by {c!r} must be a factor (e.g. 'protocol').")
    strata = None
    if strat_col:
        _, strata = np.unique(frame[strat_col[0]].astype(str).to_numpy(), return_inverse=True)
    blocks, blocks_desc = _permutation_blocks(frame, list(dict.fromkeys([*strat_col, *within])))

    root = analysis_seed(seed, "evaluate_classifier")  # its own stream (independent of mediate etc.)
    fold_seed, perm_seed = root.spawn(2)
    cv = CVDesign(strata, np.random.default_rng(fold_seed).random((n_repeats, len(y01))), n_splits)

    base = estimator
    if base is not None and not (hasattr(base, "fit") and hasattr(base, "get_params")):
        raise SpecificationError(
            f"{WHAT}: estimator must be a scikit-learn classifier; got {type(base).__name__}."
        )
    if base is None:  # LogisticRegression(C=1.0): the batched solver, without importing scikit-learn (~1 s)
        fast, C = True, 1.0
    else:
        base = _seeded(base, root.spawn(1)[0])
        fast = is_fast_logistic(base)
        C = float(base.C) if fast else float("nan")
    n = len(y01)
    harmonizer = _fold_combat(frame, covs, feats) if harmonize else None
    if fast:
        D = np.column_stack([np.ones(n), Cm]) if Cm.shape[1] else None
        model: Any = FastModel(F, D, C, cv, harmonizer=harmonizer)
    else:
        cols = list(dict.fromkeys([*feats, *covs, *batch_col]))
        model = GeneralModel(base, frame[cols].reset_index(drop=True), covs, cv, harmonize=harmonize)
    obs = model.run(y01[None, :], detail=True)
    baseline = None
    if Cm.shape[1]:
        if fast:
            base_model: Any = FastModel(Cm, None, C, cv)
        else:
            base_model = GeneralModel(base, pd.DataFrame(Cm, columns=cov_names), [], cv)
        baseline = base_model.run(y01[None, :], detail=True)

    null = p_value = run = None
    observed_stat = float(obs["stat"])
    if n_permutations:
        _check_arrangements(blocks, y01, blocks_desc)
        run = run_permutations(PermutationStatistic(model, y01), observed_stat, n, n_permutations,
                               strata=blocks, seed=perm_seed, n_jobs=n_jobs, early_stop=early_stop)
        null, p_value = run.null, run.p_value

    return ClassifierResult(
        features=feats, target=target, covariates=covs, classes=classes, y01=y01,
        per_fold={"features": obs["per_fold"], **({"confounds_only": baseline["per_fold"]} if baseline else {})},
        oof={"features": obs["oof"], **({"confounds_only": baseline["oof"]} if baseline else {})},
        coefs=obs["coefs"], observed_auc=observed_stat, null_distribution=null, p_value=p_value,
        n=cc.n, excluded_ids=cc.excluded_ids, n_splits=n_splits, n_repeats=n_repeats,
        n_permutations=n_permutations, stratify_by=strat_col[0] if strat_col else None,
        permuted_within=blocks_desc,
        fast_path=fast, estimator=base, ids=subject_ids(frame).to_numpy(), fold_ids=cv.folds(y01)[0],
        harmonized=harmonize, seed=seed, early_stop=early_stop,
        n_permutations_drawn=run.n_drawn if run else 0, permutation_rule=run.rule() if run else None,
    )


def _seeded(estimator: Any, seq: np.random.SeedSequence) -> Any:
    """A clone of a user's estimator whose unset ``random_state`` parameters (nested ones too) come from
    the call's ``seed``, so the same seed gives the same AUC; parameters the user set are kept."""
    from sklearn.base import clone

    est = clone(estimator)
    unset = {k: None for k, v in est.get_params(deep=True).items() if k.endswith("random_state") and v is None}
    if unset:
        state = int(seq.generate_state(1, dtype=np.uint32)[0])
        est.set_params(**{k: state for k in unset})
    return est


def _fold_combat(frame: pd.DataFrame, covs: list[str], feats: list[str]) -> FoldCombat:
    """The per-fold ComBat of ``harmonize=True``: batch protocol, the factor covariates in the design."""
    from ..harmonization.api import batch_codes

    codes, levels = batch_codes(frame[BATCH])
    if len(levels) < 2:
        raise SpecificationError(f"{WHAT}: harmonize=True but {BATCH!r} has a single level among the complete cases.")
    factors = [c for c in covs if c != BATCH and is_factor(frame[c])]
    mod, _ = covariate_matrix(frame, factors, what=f"{WHAT} covariates")
    return FoldCombat(codes, [str(v) for v in levels], mod, feats)


__all__ = ["evaluate_classifier"]
