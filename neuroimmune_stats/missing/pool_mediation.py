"""``mediate(ImputedData, ...)``: bootstrap within each imputation, intervals from the pooled draws.

Method ("MI Boot, pooled sample"; Wu & Jia 2013; Schomaker & Heumann 2018): in each of the m
completed data sets the model is fitted and bootstrapped ``n_boot`` times (the one resampling
engine, imputation ``i`` on child stream ``i`` of the call's seed); the ``m × n_boot`` draws are
pooled into one bootstrap distribution. The point estimate of an effect is the mean of its m
per-imputation estimates; its interval is the interval of type ``ci`` of the pooled draws (for BC,
``z0`` from the pooled draws around that mean; for BCa the acceleration from the per-subject mean
of the jackknife estimates over imputations). Paths with a t-based SE (a, b, c′, c, …) are pooled
by Rubin's rules with the Barnard–Rubin df (dfcom = the equation's residual df).

References
----------
Wu W, Jia F (2013). A new procedure to test mediation with missing data through nonparametric
bootstrapping and multiple imputation. Multivariate Behav Res 48:663–691.
Schomaker M, Heumann C (2018). Bootstrap inference when using multiple imputation. Stat Med
37:2252–2266.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from .._rng import SeedLike, analysis_seed
from .imputed import ImputedData
from .pool import check_imputed, each
from .rules import rubin

WHAT = "mediate"


def _pooled_result(results: list[Any], imp: ImputedData, seed: Any) -> Any:
    from ..mediation.intervals import interval

    first = results[0]
    draws = np.concatenate([r.draws for r in results], axis=0)
    estimate = np.mean(np.stack([r.estimate for r in results]), axis=0)
    jack = None
    if first.ci == "bca" and all(r.jackknife is not None for r in results):
        jack = np.mean(np.stack([r.jackknife for r in results]), axis=0)
    cls = type(first)
    cache: dict[str, Any] = {}

    def tidies() -> list[pd.DataFrame]:  # the per-imputation tables, built on first use
        if "tidies" not in cache:
            cache["tidies"] = [r.tidy() for r in results]
        return list(cache["tidies"])

    class ImputedMediationResult(cls):  # type: ignore[misc, valid-type]
        """Mediation on multiply imputed data (see :func:`mediate_imputed`).

        ``.tidy()`` adds ``fmi`` and ``m``; ``.draws`` holds the ``m × n_boot`` pooled draws
        (imputation by imputation); ``.results`` the m per-imputation results.
        """

        extra_columns = (*getattr(cls, "extra_columns", ()), "fmi")

        @property
        def _conf(self) -> tuple[np.ndarray, np.ndarray]:  # interval of the pooled draws, on first use
            if "conf" not in cache:
                cache["conf"] = interval(first.ci, draws, estimate, first.conf_level, jack)
            return cache["conf"]  # type: ignore[no-any-return]

        def __init__(self) -> None:
            self.__dict__.update({k: v for k, v in first.__dict__.items() if k != "_conf"})
            self.results = results
            self.m = len(results)
            self.estimate = estimate
            self.draws = draws
            self.jackknife = jack
            self.n_boot = int(first.draws.shape[0])
            self.n_draws = int(draws.shape[0])
            self.n_singular = int(sum(r.n_singular for r in results))
            self.seed = seed
            self.imputation_model = imp.model_description()
            self.call = first.call.replace("mediate(", f"mediate(<ImputedData m={self.m}>, ", 1)

        def tidy(self, *args: Any, **kwargs: Any) -> pd.DataFrame:
            out = super().tidy(*args, **kwargs)
            m = self.m
            tabs = tidies()
            est = np.stack([t["estimate"].to_numpy(dtype=float) for t in tabs])
            fmi = np.full(len(out), np.nan)
            path = np.isfinite(tabs[0]["df"].to_numpy(dtype=float)) if "df" in out else np.zeros(len(out), bool)
            for i in np.flatnonzero(path):
                se = np.array([t["std_error"].iloc[i] for t in tabs], dtype=float)
                p = rubin(est[:, i : i + 1], se[:, None] ** 2, dfcom=float(tabs[0]["df"].iloc[i]))
                lo, hi = p.conf_int(self.conf_level)
                out.loc[i, ["estimate", "std_error", "statistic", "df", "p_value", "conf_low", "conf_high"]] = [
                    p.estimate[0], p.std_error[0], p.statistic[0], p.df[0], p.p_value[0], lo[0], hi[0]]
                fmi[i] = p.fmi[0]
            if len(out) == self.draws.shape[1]:
                # bootstrap rows: fmi from the per-imputation bootstrap variances (within) and estimates
                for i in np.flatnonzero(~path):
                    within = np.array([np.nanvar(r.draws[:, i], ddof=1) for r in self.results])
                    if np.all(np.isfinite(est[:, i])) and np.all(within > 0):
                        fmi[i] = rubin(est[:, i : i + 1], within[:, None], dfcom=np.inf).fmi[0]
            if "sobel_std_error" in out:
                for i in np.flatnonzero(np.isfinite(tabs[0]["sobel_std_error"].to_numpy(dtype=float))):
                    se = np.array([t["sobel_std_error"].iloc[i] for t in tabs], dtype=float)
                    p = rubin(est[:, i : i + 1], se[:, None] ** 2, dfcom=np.inf)
                    out.loc[i, ["sobel_std_error", "sobel_p_value"]] = [p.std_error[0], p.p_value[0]]
            out["fmi"] = fmi
            out["m"] = m
            return out

        def summary(self) -> str:
            from ..results import format_table

            td = self.tidy()
            cols = [c for c in ("term", "mediator", "w_value", "estimate", "std_error", "df", "p_value",
                                "conf_low", "conf_high", "fmi") if c in td]
            return "\n".join([
                f"Mediation on multiply imputed data: {self.call}",
                f"  Y : {self.y}", f"  X : {self.x}", *(f"  M{i + 1}: {v}" for i, v in enumerate(self.mediators)),
                f"Sample size: {self.n} (every subject; m = {self.m} imputations)", self.imputation_model, "",
                format_table(td[cols]), "",
                "Paths: Rubin's rules with Barnard-Rubin df. Indirect effects: mean of the per-imputation "
                f"estimates; {self.ci} bootstrap interval from the {self.m} x {self.n_boot} pooled draws "
                "(MI Boot pooled sample; Wu & Jia 2013, Schomaker & Heumann 2018).",
                f"Level of confidence: {100 * self.conf_level:g}",
            ])

    return ImputedMediationResult()


def mediate_imputed(
    imp: ImputedData,
    x: str,
    m: str | Sequence[str],
    y: str,
    covariates: Any = (),
    n_boot: int = 5000,
    ci: str = "bc",
    conf_level: float = 0.95,
    serial: bool = False,
    seed: SeedLike = None,
    n_jobs: int = 1,
    **kwargs: Any,
) -> Any:
    """Bootstrap mediation on multiply imputed data: bootstrap within each imputation, pooled draws.

    Same arguments as :func:`~neuroimmune_stats.mediate` (moderated forms included: extra keyword
    arguments go to it); imputation ``i`` is bootstrapped on child stream ``i`` of
    ``analysis_seed(seed, "mediate_imputed")``, so results do not depend on ``n_jobs`` (workers
    take whole imputations).

    Returns the mediation result class with pooled numbers: paths by Rubin's rules (Barnard–Rubin
    df), indirect effects as the mean of the per-imputation estimates with the interval of type
    ``ci`` from the ``m × n_boot`` pooled bootstrap draws ("MI Boot pooled sample": Wu & Jia 2013,
    Multivariate Behav Res 48:663–691; Schomaker & Heumann 2018, Stat Med 37:2252–2266);
    ``std_error`` of a bootstrap row is the SD of the pooled draws. ``.tidy()`` adds ``fmi`` and
    ``m``; ``n`` counts every subject.

    Examples
    --------
    >>> import neuroimmune_stats as nis
    >>> from neuroimmune_stats.missing import impute
    >>> imp = impute(nis.load_example(), columns=["suvr_s1", "conn_s1__thalamus", "fss", "wpi", "sss"],
    ...              m=3, seed=1)
    >>> res = mediate_imputed(imp, "suvr_s1", "fss", "conn_s1__thalamus", n_boot=300, seed=2)
    >>> res.n, res.m, res.draws.shape[0]
    (54, 3, 900)
    """
    from ..mediation.bootstrap import mediate

    imp = check_imputed(imp, WHAT)
    seeds = analysis_seed(seed, "mediate_imputed").spawn(imp.m)
    kw = dict(covariates=covariates, n_boot=n_boot, ci=ci, conf_level=conf_level, serial=serial, **kwargs)
    # the first imputation runs here (its warnings reach the caller once); with n_jobs != 1 the
    # others run in parallel, one imputation per task, each on its own seed
    first = each(ImputedData([imp._frames[0]], imp.data, imp.where),
                 lambda f: mediate(f, x, m, y, seed=seeds[0], n_jobs=1, **kw))
    rest_frames = imp._frames[1:]
    if n_jobs != 1 and rest_frames:
        import warnings

        from joblib import Parallel, delayed

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            rest = Parallel(n_jobs=n_jobs)(delayed(mediate)(f, x, m, y, seed=s, n_jobs=1, **kw)
                                           for f, s in zip(rest_frames, seeds[1:], strict=True))
    else:
        shared = _SharedFrame.of(first[0], imp)
        rest = each(ImputedData(rest_frames, imp.data, imp.where), _Runner(x, m, y, seeds[1:], kw, shared))
    return _pooled_result([*first, *rest], imp, seed)


class _SharedFrame:
    """The model frame of the first imputation, reused by the others.

    The m completed data sets share their rows, their missingness-free cases and (unless a
    covariate was imputed) their covariate coding, so the other imputations only need their own
    x/m/y values (read once for all imputations, :meth:`ImputedData._numeric_values`): no pandas
    model frame, no factor coding, no argument checks per imputation. Each imputation is checked
    to have the same complete cases and identical covariate columns as the first; one that does
    not goes through the whole :func:`mediate` (same numbers either way: the model frame is the
    same arrays).
    """

    def __init__(self, result: Any, imp: ImputedData) -> None:
        from ..design import complete_mask

        prep = result._prep
        frame = imp._frames[0]
        self.prep, self.imp = prep, imp
        self.ci, self.level, self.n_boot = result.ci, result.conf_level, result.n_boot  # as mediate checked them
        self.roles = list(prep.columns[: prep.n_roles])
        self.covariates = list(dict.fromkeys(c for cs in prep.covariates_by_eq.values() for c in cs))
        self.mask = complete_mask(frame, [*self.roles, *self.covariates])
        self.covariate_mask = complete_mask(frame, self.covariates)
        self.first_covariates = [frame[c] for c in self.covariates]

    @classmethod
    def of(cls, result: Any, imp: ImputedData) -> _SharedFrame | None:
        """The shared frame of ``result`` (a model without moderator), or None (no sharing)."""
        from ..mediation.result import MediationResult

        if type(result) is not MediationResult or getattr(result, "_prep", None) is None:
            return None
        return cls(result, imp)

    def prepared(self, i: int) -> Any:
        """The prepared model of imputation ``i`` from the shared frame, or None when it does not apply."""
        from ..mediation._spec import _assemble

        frame = self.imp._frames[i]
        if not all(frame[c].equals(s) for c, s in zip(self.covariates, self.first_covariates, strict=True)):
            return None
        cols = [self.imp._numeric_values(c) for c in self.roles]
        if any(v is None for v in cols):
            return None  # not plain numeric columns: the whole mediate call (and its checks)
        values = [v[i] for v in cols]  # type: ignore[index]
        # on plain numeric columns "finite" is the package's missing-value rule (design.present)
        if not np.array_equal(self.covariate_mask & np.isfinite(np.column_stack(values)).all(axis=1), self.mask):
            return None
        # the same arrays, in the same memory layout, as mediate's own model frame (same numbers to the bit)
        roles = np.column_stack([v[self.mask] for v in values])
        p = self.prep
        return _assemble(p.x, p.mediators, p.y, p.serial, roles, p.raw[:, p.n_roles:], p.columns[p.n_roles:],
                         p.expand, p.covariates_by_eq, p.excluded_ids, p.hc)


class _Runner:
    """Calls mediate on imputations 1, 2, ... with successive seeds (on the shared frame when it applies)."""

    def __init__(self, x: str, m: Any, y: str, seeds: Sequence[Any], kw: dict[str, Any],
                 shared: _SharedFrame | None = None) -> None:
        self.x, self.m, self.y, self.kw = x, m, y, kw
        self.seeds = iter(seeds)
        self.shared = shared
        self.index = 0

    def __call__(self, frame: pd.DataFrame) -> Any:
        from ..mediation.bootstrap import mediate, run

        seed = next(self.seeds)
        self.index += 1
        sh = self.shared
        prep = sh.prepared(self.index) if sh is not None else None
        if prep is None:
            return mediate(frame, self.x, self.m, self.y, seed=seed, n_jobs=1, **self.kw)
        return run(prep, self.kw["covariates"], sh.n_boot, sh.ci, sh.level, seed, 1)  # type: ignore[union-attr]


MISSING_CHOICES = ("listwise", "fiml")


def mediate_missing(data: Any, x: str, m: Any, y: str, *, missing: str = "listwise", **kwargs: Any) -> Any:
    """Route ``mediate(...)`` for missing data: an :class:`ImputedData` → :func:`mediate_imputed`;
    ``missing="fiml"`` → :func:`~neuroimmune_stats.missing.fiml.mediate_fiml`.

    Called from the first lines of :func:`neuroimmune_stats.mediate`; ``kwargs`` are its other
    arguments (moderation arguments at their defaults are dropped for FIML, which has no moderated
    form).
    """
    from .._params import check_choice

    missing = check_choice(missing, MISSING_CHOICES, where="mediate", name="missing")
    if isinstance(data, ImputedData):
        if missing == "fiml":
            from ..exceptions import SpecificationError

            raise SpecificationError("mediate: missing='fiml' takes the incomplete DataFrame, not imputed data.")
        if kwargs.get("moderator") is None:
            for k in ("moderator", "moderate", "at"):
                kwargs.pop(k, None)
        if kwargs.get("hc") is None:
            kwargs.pop("hc", None)
        return mediate_imputed(data, x, m, y, **kwargs)
    from .fiml import mediate_fiml

    unsupported = [k for k in ("moderator", "hc") if kwargs.get(k) is not None]
    if unsupported:
        from ..exceptions import SpecificationError

        raise SpecificationError(f"mediate: missing='fiml' does not support {unsupported} (no moderated or HC form); "
                                 "impute the data (nis.impute) and pass the ImputedData instead.")
    for k in ("moderator", "moderate", "at", "hc"):
        kwargs.pop(k, None)
    return mediate_fiml(data, x, m, y, **kwargs)


__all__ = ["MISSING_CHOICES", "mediate_imputed", "mediate_missing"]
