"""Sensitivity of the indirect effect to mediator–outcome confounding (Imai, Keele & Yamamoto 2010)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..exceptions import SpecificationError
from ..results import Result, format_table
from .result import MediationResult


class SensitivityResult(Result):
    """Indirect effect (ACME) as a function of ρ = corr(mediator error, outcome error).

    Attributes
    ----------
    rho : ndarray
        The grid of ρ values.
    acme : ndarray
        The indirect effect δ(ρ) at each ρ (δ(0) is the ``a·b`` of the mediation result).
    rho_zero : float
        The ρ at which the indirect effect is zero (= ρ̃, the correlation of the residuals of the
        mediator model and of the total-effect model); NaN when ``a = 0``.
    r2_product_residual, r2_product_total : float
        The same tipping point as products of partial R² of an unobserved confounder with the
        mediator and the outcome: ``R²*_M R²*_Y = ρ̃²`` (share of residual variance) and
        ``R̃²_M R̃²_Y = ρ̃² (1 − R²_M)(1 − R²_Y)`` (share of total variance).
    """

    def __init__(self, rho: np.ndarray, acme: np.ndarray, rho_zero: float, estimate: float,
                 r2_m: float, r2_y: float, x: str, m: str, y: str, n: int) -> None:
        self.rho = rho
        self.acme = acme
        self.rho_zero = rho_zero
        self.estimate = estimate
        self.r2_product_residual = rho_zero**2
        self.r2_product_total = rho_zero**2 * (1 - r2_m) * (1 - r2_y)
        self.x, self.m, self.y, self.n = x, m, y, n
        self.excluded_ids: tuple[str, ...] = ()
        self.call = f"mediation_sensitivity(mediate(x={x!r}, m={m!r}, y={y!r}))"

    def tidy(self) -> pd.DataFrame:
        """One row per ρ: ``rho``, ``term`` (``"indirect"``), ``estimate`` (δ(ρ)), ``n``."""
        return pd.DataFrame({"rho": self.rho, "term": "indirect", "estimate": self.acme,
                             "n": self.n})

    def summary(self) -> str:
        sel = np.unique([int(np.argmin(np.abs(self.rho - v))) for v in (-0.6, -0.3, 0, 0.3, 0.6)])
        tab = pd.DataFrame({"rho": self.rho[sel], "indirect": self.acme[sel]})
        return "\n".join([
            "Sensitivity of the indirect effect to mediator-outcome confounding "
            "(Imai, Keele & Yamamoto 2010)",
            f"  X: {self.x}   M: {self.m}   Y: {self.y}   n = {self.n}",
            f"Indirect effect at rho = 0: {self.estimate:.4g}",
            f"rho at which the indirect effect is 0: {self.rho_zero:.4f}",
            f"  as R2*_M x R2*_Y (residual variance): {self.r2_product_residual:.4f}",
            f"  as R2~_M x R2~_Y (total variance):    {self.r2_product_total:.4f}",
            "", format_table(tab),
        ])

    def plot(self, ax: Any = None) -> Any:
        """The sensitivity curve δ(ρ) with the zero crossing marked; returns the Axes."""
        from ..plots.mediation import plot_sensitivity

        return plot_sensitivity(self, ax=ax)


def acme_curve(a: float, sigma1: float, sigma2: float, rho_tilde: float,
               rho: np.ndarray | float) -> np.ndarray:
    """Closed form of IKY (2010, Statistical Science 25:51–71, eq. in Section 4.1).

    ``δ(ρ) = a σ1/σ2 [ρ̃ − ρ √((1 − ρ̃²)/(1 − ρ²))]`` with ``σ1``, ``σ2`` the residual SDs of the
    total-effect model ``Y ~ X`` and of the mediator model ``M ~ X`` and ``ρ̃`` the correlation of
    their residuals.
    """
    rho = np.asarray(rho, dtype=float)
    return a * sigma1 / sigma2 * (rho_tilde - rho * np.sqrt((1 - rho_tilde**2) / (1 - rho**2)))


def mediation_sensitivity(result: MediationResult, rho: Any = None) -> SensitivityResult:
    """Indirect effect as a function of the correlation ρ between mediator and outcome errors.

    Sequential ignorability (no unmeasured mediator–outcome confounding) is untestable. Imai,
    Keele & Yamamoto (2010) show that in the linear structural equations ``M = α2 + a X + ε2``,
    ``Y = α3 + c′ X + b M + ε3`` (same covariates in both), the indirect effect when
    ``corr(ε2, ε3) = ρ`` is

    ``δ(ρ) = a σ1/σ2 [ρ̃ − ρ √((1 − ρ̃²)/(1 − ρ²))]``

    where ``σ1`` is the residual SD of the total-effect model ``Y = α1 + c X + ε1``, ``σ2`` that
    of the mediator model and ``ρ̃ = corr(ε1, ε2)``. δ(0) equals ``a·b`` exactly and δ(ρ) = 0 at
    ρ = ρ̃. Residual moments use the divisor n (the ratio σ1/σ2 and ρ̃ do not depend on it).

    Parameters
    ----------
    result : MediationResult
        A single-mediator (not serial) result with the same covariates in both equations.
    rho : array-like, optional
        Values of ρ in (−1, 1); default ``np.linspace(-0.9, 0.9, 181)``.

    Returns
    -------
    SensitivityResult
        ``.tidy()`` (``rho``, ``term``, ``estimate``, ``n``), ``.rho_zero``, ``.summary()``,
        ``.plot()``.

    Notes
    -----
    Validated against an independent numerical solution (for each ρ, the ``b`` that makes the
    sample correlation of the mediator residual and ``ε1 − b ε2`` equal ρ) and by simulation:
    with errors generated at a known ρ, δ(ρ) recovers the true indirect effect.

    References
    ----------
    Imai K, Keele L, Yamamoto T (2010). Identification, inference and sensitivity analysis for
    causal mediation effects. Statistical Science 25(1):51–71.

    Examples
    --------
    >>> import neuroimmune_stats as nis
    >>> df = nis.simulate_cohort(seed=3).dropna(subset=["fss"])
    >>> res = nis.mediate(df, "suvr_s1", "fss", "conn_s1__thalamus", n_boot=200, seed=1)
    >>> sens = nis.mediation_sensitivity(res)
    >>> bool(abs(sens.acme[90] - res.effect("indirect")) < 1e-10), -1 < sens.rho_zero < 1
    (True, True)
    """
    if not isinstance(result, MediationResult):
        raise SpecificationError(
            f"mediation_sensitivity: result must come from mediate(); got {type(result).__name__}."
        )
    if len(result.mediators) != 1:
        raise SpecificationError(
            "mediation_sensitivity: the IKY sensitivity analysis is defined for one mediator; "
            f"the result has {result.mediators}."
        )
    prep = result._prep
    cov = prep.covariates_by_eq
    if cov[f"m:{prep.mediators[0]}"] != cov["y"]:
        raise SpecificationError(
            "mediation_sensitivity: the mediator and outcome equations must have the same "
            "covariates for the IKY closed form."
        )
    if rho is None:
        rho = np.linspace(-0.9, 0.9, 181)
    rho = np.atleast_1d(np.asarray(rho, dtype=float))
    if rho.ndim != 1 or not np.all(np.abs(rho) < 1):
        raise SpecificationError("mediation_sensitivity: rho must be a 1-D array in (-1, 1).")
    fit_m, fit_t = result.fits[f"m:{prep.mediators[0]}"], result.fits["total"]
    raw = prep.raw
    col = {c: i for i, c in enumerate(prep.columns)}

    def resid(fit: Any) -> np.ndarray:
        X = np.column_stack([np.ones(prep.n), *(raw[:, col[nm]] for nm in fit.names[1:])])
        return raw[:, col[fit.response]] - X @ fit.coef

    e1, e2 = resid(fit_t), resid(fit_m)
    sigma1, sigma2 = float(np.sqrt(np.mean(e1**2))), float(np.sqrt(np.mean(e2**2)))
    rho_tilde = float(np.mean(e1 * e2) / (sigma1 * sigma2))
    a = float(fit_m.coef[fit_m.index(prep.x)])
    acme = acme_curve(a, sigma1, sigma2, rho_tilde, rho)
    rho_zero = rho_tilde if a != 0 else np.nan
    out = SensitivityResult(rho, acme, rho_zero, float(acme_curve(a, sigma1, sigma2, rho_tilde, 0.0)),
                             fit_m.r2, result.fits["y"].r2, prep.x, prep.mediators[0], prep.y,
                             prep.n)
    out.excluded_ids = tuple(result.excluded_ids)  # the mediation result's sample
    out.seed = getattr(result, "seed", None)
    return out


__all__ = ["SensitivityResult", "acme_curve", "mediation_sensitivity"]
