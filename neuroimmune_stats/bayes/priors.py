"""Priors of the Bayesian mediation model: data-scaled defaults, user overrides, validation.

Every equation is a normal linear regression with centred regressors,
``response = intercept + X β + ε``, ``ε ~ Normal(0, σ)`` (or Student-t), with the
conjugate normal–inverse-gamma prior

* ``σ² ~ InverseGamma(alpha, beta)``,
* ``coefficient | σ ~ Normal(mu, sigma · σ / σ₀)`` with ``σ₀ = sqrt(beta / alpha)``,

i.e. a coefficient's prior has standard deviation ``sigma`` when the residual SD equals the
reference SD ``σ₀`` of the σ² prior (``1/σ₀² = E[1/σ²]``), and scales with σ. With the
defaults ``σ₀ = SD(response)``. This is the same model for ``method="exact"``
(closed-form posterior) and ``method="nuts"`` (PyMC), so the two answer the same question.

Defaults (weakly informative, scaled to the data like bambi's): intercept (the mean response
at the mean of the regressors) ``Normal(mean(response), 2.5·SD(response))``, each slope
``Normal(0, 2.5·SD(response)/SD(regressor))``, ``σ² ~ InverseGamma(1, var(response))``.
``priors="vague"`` multiplies every coefficient SD by 1000 and uses
``InverseGamma(0.001, 0.001·var(response))``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..exceptions import SpecificationError
from ._design import WHAT, BayesDesign, Equation

COEF_PARAMS = ("intercept_m", "a", "beta_m", "intercept_y", "c_prime", "b", "beta_y")
SIGMA_PARAMS = ("sigma_m", "sigma_y")
PRIOR_NAMES = COEF_PARAMS + SIGMA_PARAMS

#: default multipliers
SLOPE_SCALE = 2.5
VAGUE_FACTOR = 1000.0


@dataclass
class EquationPrior:
    """Conjugate prior of one equation; coefficient order ``[intercept, *regressors]``."""

    mu: np.ndarray        # (P+1,)
    sd: np.ndarray        # (P+1,) prior SD at σ = SD(response)
    alpha: float
    beta: float

    @property
    def ref_sd(self) -> float:
        """``σ₀ = sqrt(beta / alpha)``: the residual SD at which a coefficient's prior SD is ``sd``."""
        return float(np.sqrt(self.beta / self.alpha))

    @property
    def v0_diag(self) -> np.ndarray:
        """Diagonal of V0 in ``β | σ² ~ Normal(mu, σ² V0)``."""
        return (self.sd / self.ref_sd) ** 2


def parameter_shapes(design: BayesDesign) -> dict[str, tuple[int, ...]]:
    """Shape of every prior parameter for this model (k mediators, p covariate columns)."""
    k, p = len(design.mediators), len(design.cov_names)
    return {
        "intercept_m": (k,), "a": (k,), "beta_m": (k, p), "sigma_m": (k,),
        "intercept_y": (), "c_prime": (), "b": (k,), "beta_y": (p,), "sigma_y": (),
    }


def _default_equation(eq: Equation, vague: bool) -> EquationPrior:
    s = eq.resp_sd
    sx = np.std(eq.X, axis=0, ddof=1)
    f = VAGUE_FACTOR if vague else 1.0
    mu = np.concatenate([[float(np.mean(eq.response))], np.zeros(eq.X.shape[1])])
    sd = f * SLOPE_SCALE * np.concatenate([[s], s / sx])
    alpha, beta = (1e-3, 1e-3 * s**2) if vague else (1.0, s**2)
    return EquationPrior(mu, sd, alpha, beta)


def _as_shape(value: Any, shape: tuple[int, ...], where: str) -> np.ndarray:
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError) as exc:
        raise SpecificationError(f"{WHAT}: {where} must be a number or an array of numbers; got {value!r}.") from exc
    if arr.ndim == 0:
        return np.full(shape, float(arr))
    if arr.shape != shape:
        raise SpecificationError(
            f"{WHAT}: {where} has shape {arr.shape}; this model needs a scalar or shape {shape}."
        )
    return arr.copy()


def _check_override(name: str, spec: Any, shape: tuple[int, ...]) -> dict[str, np.ndarray]:
    keys = ("mu", "sigma") if name in COEF_PARAMS else ("alpha", "beta")
    if not isinstance(spec, Mapping):
        raise SpecificationError(
            f"{WHAT}: priors[{name!r}] must be a dict with keys {list(keys)}; got {type(spec).__name__}."
        )
    unknown = [kk for kk in spec if kk not in keys]
    if unknown:
        raise SpecificationError(f"{WHAT}: priors[{name!r}] has unknown key(s) {unknown}; use {list(keys)}.")
    if 0 in shape:
        raise SpecificationError(f"{WHAT}: priors[{name!r}] was given but the model has no covariates.")
    out = {}
    for kk in spec:
        arr = _as_shape(spec[kk], shape, f"priors[{name!r}][{kk!r}]")
        if not np.all(np.isfinite(arr)):
            raise SpecificationError(f"{WHAT}: priors[{name!r}][{kk!r}] must be finite.")
        if kk != "mu" and np.any(arr <= 0):
            raise SpecificationError(f"{WHAT}: priors[{name!r}][{kk!r}] must be > 0; got {spec[kk]!r}.")
        out[kk] = arr
    return out


def resolve_priors(design: BayesDesign, priors: Any) -> tuple[list[EquationPrior], dict[str, dict[str, np.ndarray]]]:
    """Default priors with the user's overrides; returns per-equation priors and a table.

    The list holds one :class:`EquationPrior` per mediator equation then the outcome
    equation; the table maps each parameter name to ``{"mu", "sigma"}`` or ``{"alpha", "beta"}``.
    """
    vague = isinstance(priors, str) and priors == "vague"
    if priors is not None and not vague and not isinstance(priors, Mapping):
        raise SpecificationError(
            f"{WHAT}: priors must be None, 'vague' or a dict keyed by parameter name "
            f"({list(PRIOR_NAMES)}); got {priors!r}."
        )
    overrides = dict(priors) if isinstance(priors, Mapping) else {}
    unknown = [kk for kk in overrides if kk not in PRIOR_NAMES]
    if unknown:
        raise SpecificationError(f"{WHAT}: unknown prior name(s) {unknown}; valid names: {list(PRIOR_NAMES)}.")
    shapes = parameter_shapes(design)
    checked = {name: _check_override(name, spec, shapes[name]) for name, spec in overrides.items()}
    k, p = len(design.mediators), len(design.cov_names)
    eqs = [_default_equation(e, vague) for e in (*design.mediator_eqs, design.outcome_eq)]

    def setc(name: str, field: str, values: np.ndarray) -> None:
        attr = "mu" if field == "mu" else "sd"
        if name == "intercept_m":
            for j in range(k):
                getattr(eqs[j], attr)[0] = values[j]
        elif name == "a":
            for j in range(k):
                getattr(eqs[j], attr)[1] = values[j]
        elif name == "beta_m":
            for j in range(k):
                getattr(eqs[j], attr)[2:] = values[j]
        elif name == "intercept_y":
            getattr(eqs[k], attr)[0] = values
        elif name == "c_prime":
            getattr(eqs[k], attr)[1] = values
        elif name == "b":
            getattr(eqs[k], attr)[2 : 2 + k] = values
        elif name == "beta_y":
            getattr(eqs[k], attr)[2 + k :] = values

    for name, fields in checked.items():
        for field, values in fields.items():
            if name == "sigma_m":
                for j in range(k):
                    setattr(eqs[j], field, float(values[j]))
            elif name == "sigma_y":
                setattr(eqs[k], field, float(values))
            else:
                setc(name, field, values)

    table: dict[str, dict[str, np.ndarray]] = {
        "intercept_m": {"mu": np.array([e.mu[0] for e in eqs[:k]]), "sigma": np.array([e.sd[0] for e in eqs[:k]])},
        "a": {"mu": np.array([e.mu[1] for e in eqs[:k]]), "sigma": np.array([e.sd[1] for e in eqs[:k]])},
        "beta_m": {"mu": np.array([e.mu[2:] for e in eqs[:k]]).reshape(k, p),
                   "sigma": np.array([e.sd[2:] for e in eqs[:k]]).reshape(k, p)},
        "sigma_m": {"alpha": np.array([e.alpha for e in eqs[:k]]), "beta": np.array([e.beta for e in eqs[:k]])},
        "intercept_y": {"mu": np.array(eqs[k].mu[0]), "sigma": np.array(eqs[k].sd[0])},
        "c_prime": {"mu": np.array(eqs[k].mu[1]), "sigma": np.array(eqs[k].sd[1])},
        "b": {"mu": eqs[k].mu[2 : 2 + k].copy(), "sigma": eqs[k].sd[2 : 2 + k].copy()},
        "beta_y": {"mu": eqs[k].mu[2 + k :].copy(), "sigma": eqs[k].sd[2 + k :].copy()},
        "sigma_y": {"alpha": np.array(eqs[k].alpha), "beta": np.array(eqs[k].beta)},
    }
    return eqs, table


def describe_priors(table: dict[str, dict[str, np.ndarray]]) -> list[str]:
    """One text line per parameter (for ``.summary()``)."""

    def fmt(a: np.ndarray) -> str:
        a = np.asarray(a)
        if a.size == 0:
            return "-"
        if a.ndim == 0 or a.size == 1:
            return f"{float(a.ravel()[0]):.4g}"
        return "[" + ", ".join(f"{v:.4g}" for v in a.ravel()) + "]"

    lines = []
    for name in PRIOR_NAMES:
        spec = table[name]
        if name in SIGMA_PARAMS:
            lines.append(f"  {name:<12} σ² ~ InverseGamma(alpha={fmt(spec['alpha'])}, beta={fmt(spec['beta'])})")
        elif np.asarray(spec["mu"]).size:
            lines.append(f"  {name:<12} Normal(mu={fmt(spec['mu'])}, sigma={fmt(spec['sigma'])}) × σ/σ₀")
    return lines


__all__ = ["PRIOR_NAMES", "EquationPrior", "describe_priors", "parameter_shapes", "resolve_priors"]
