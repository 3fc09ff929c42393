"""The same mediation model written for PyMC: the reference for the benchmark and a cross-check.

``bayes_mediate(method="nuts")`` samples with the package's own compiled NUTS (:mod:`._nuts`); this
PyMC model of the same posterior is what ``pm.sample`` and nutpie are timed on in
``benchmarks/bench_bayes.py``, and what the slow cross-check test samples.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._optional import require
from ._design import BayesDesign
from .priors import EquationPrior

POSTERIOR_VARS = ("intercept_m", "a", "beta_m", "sigma_m", "intercept_y", "c_prime", "b", "beta_y", "sigma_y")


def _whitening(eq: Any, prior: EquationPrior) -> tuple[np.ndarray, np.ndarray, float]:
    """``(μn, L⁻ᵀ, s)`` with ``β = μn + s·L⁻ᵀθ``: θ is N(0, (σ/s)² I) a posteriori under the normal model.

    ``Λ = ZᵀZ + V0⁻¹ = L Lᵀ`` is the conditional posterior precision (÷σ²) of the coefficients
    and ``s`` the residual SD at the conditional posterior mean, so the sampler sees a nearly
    isotropic posterior whatever the scale and correlation of the regressors (Stan's QR trick).
    """
    from .exact import equation_posterior

    mun, linv_t, an, bn = equation_posterior(eq, prior)
    return mun, linv_t, float(np.sqrt(bn / an))


def build_model(design: BayesDesign, eq_priors: list[EquationPrior], likelihood: str = "normal") -> Any:
    """The PyMC model: the same conjugate priors as the exact path, normal or Student-t errors.

    Coefficients are sampled in a whitened parameterisation (a linear map with a constant
    Jacobian, so the posterior is unchanged) and exposed as deterministics under their names.
    """
    pm = require("pymc", purpose="bayes_mediate(method='nuts')")
    k, p = len(design.mediators), len(design.cov_names)
    coords = {"obs": np.arange(design.n), "mediator": list(design.mediators), "covariate": list(design.cov_names),
              "coef_m": np.arange(2 + p), "coef_y": np.arange(2 + k + p)}
    mp, yp = eq_priors[:k], eq_priors[k]
    Zm = [np.column_stack([np.ones(design.n), e.X]) for e in design.mediator_eqs]  # (n, 2 + p) each
    Zy = np.column_stack([np.ones(design.n), design.outcome_eq.X])                  # (n, 2 + k + p)
    wm = [_whitening(e, q) for e, q in zip(design.mediator_eqs, mp, strict=True)]
    wy = _whitening(design.outcome_eq, yp)
    mun_m = np.array([w[0] for w in wm])
    lin_m = np.array([w[1] * w[2] for w in wm])  # (k, P, P), scaled by s
    with pm.Model(coords=coords) as model:
        sig2_m = pm.InverseGamma(
            "sigma2_m", alpha=np.array([q.alpha for q in mp]), beta=np.array([q.beta for q in mp]), dims="mediator"
        )
        sigma_m = pm.Deterministic("sigma_m", pm.math.sqrt(sig2_m), dims="mediator")
        theta_m = pm.Flat("theta_m", dims=("mediator", "coef_m"))
        coef_m = mun_m + (lin_m * theta_m[:, None, :]).sum(axis=-1)  # (k, 2 + p)
        rel_m = sigma_m / np.array([q.ref_sd for q in mp])
        mu0 = np.array([q.mu for q in mp])
        sd0 = np.array([q.sd for q in mp])
        pm.Potential("prior_m", pm.logp(pm.Normal.dist(mu0, sd0 * rel_m[:, None]), coef_m).sum())
        pm.Deterministic("intercept_m", coef_m[:, 0], dims="mediator")
        pm.Deterministic("a", coef_m[:, 1], dims="mediator")
        if p:
            pm.Deterministic("beta_m", coef_m[:, 2:], dims=("mediator", "covariate"))
        zm = np.stack(Zm, axis=0)  # (k, n, P)
        mu_m = (zm * coef_m[:, None, :]).sum(axis=-1).T  # (n, k)

        sig2_y = pm.InverseGamma("sigma2_y", alpha=yp.alpha, beta=yp.beta)
        sigma_y = pm.Deterministic("sigma_y", pm.math.sqrt(sig2_y))
        theta_y = pm.Flat("theta_y", dims="coef_y")
        coef_y = wy[0] + pm.math.dot(wy[1] * wy[2], theta_y)
        pm.Potential("prior_y", pm.logp(pm.Normal.dist(yp.mu, yp.sd * sigma_y / yp.ref_sd), coef_y).sum())
        pm.Deterministic("intercept_y", coef_y[0])
        pm.Deterministic("c_prime", coef_y[1])
        pm.Deterministic("b", coef_y[2 : 2 + k], dims="mediator")
        if p:
            pm.Deterministic("beta_y", coef_y[2 + k :], dims="covariate")
        mu_y = pm.math.dot(Zy, coef_y)
        if likelihood == "student_t":
            nu_m = pm.Gamma("nu_m", alpha=2.0, beta=0.1, dims="mediator")
            nu_y = pm.Gamma("nu_y", alpha=2.0, beta=0.1)
            pm.StudentT("m", nu=nu_m, mu=mu_m, sigma=sigma_m, observed=design.observed["m"], dims=("obs", "mediator"))
            pm.StudentT("y", nu=nu_y, mu=mu_y, sigma=sigma_y, observed=design.observed["y"], dims="obs")
        else:
            pm.Normal("m", mu=mu_m, sigma=sigma_m, observed=design.observed["m"], dims=("obs", "mediator"))
            pm.Normal("y", mu=mu_y, sigma=sigma_y, observed=design.observed["y"], dims="obs")
    return model


def sample_pymc(model: Any, draws: int, tune: int, chains: int, seed: int, nuts_sampler: str = "pymc") -> Any:
    """``pm.sample`` of ``model`` (``nuts_sampler="nutpie"`` for nutpie); returns InferenceData."""
    pm = require("pymc", purpose="the PyMC reference model")
    kwargs: dict[str, Any] = {"cores": 1} if nuts_sampler == "pymc" else {}
    with model:
        return pm.sample(draws=draws, tune=tune, chains=chains, random_seed=seed, nuts_sampler=nuts_sampler,
                         progressbar=False, compute_convergence_checks=False, **kwargs)


__all__ = ["build_model", "sample_pymc"]
