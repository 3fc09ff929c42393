"""Exact posterior of the conjugate normal–inverse-gamma regressions, with iid draws.

For one equation ``y = Z β + ε`` (``Z`` = constant + centred regressors), prior
``β | σ² ~ Normal(μ0, σ² V0)``, ``σ² ~ InverseGamma(a0, b0)``, the posterior is

* ``Λn = V0⁻¹ + ZᵀZ``, ``μn = Λn⁻¹ (V0⁻¹ μ0 + Zᵀy)``,
* ``σ² | y ~ InverseGamma(a0 + n/2, b0 + (yᵀy + μ0ᵀV0⁻¹μ0 − μnᵀΛn μn)/2)``,
* ``β | σ², y ~ Normal(μn, σ² Λn⁻¹)``,

so independent draws cost one gamma and one ``P``-vector of normals each.
"""

from __future__ import annotations

import numpy as np

from ._design import BayesDesign, Equation
from .priors import EquationPrior


def equation_posterior(eq: Equation, prior: EquationPrior) -> tuple[np.ndarray, np.ndarray, float, float]:
    """``(μn, chol(Λn⁻¹), an, bn)`` of one equation."""
    n = eq.X.shape[0]
    Z = np.empty((n, eq.X.shape[1] + 1))
    Z[:, 0] = 1.0
    Z[:, 1:] = eq.X
    y = eq.response
    v0inv = 1.0 / prior.v0_diag
    lam = Z.T @ Z
    lam[np.diag_indices_from(lam)] += v0inv
    rhs = v0inv * prior.mu + Z.T @ y
    chol_lam = np.linalg.cholesky(lam)
    mun = np.linalg.solve(lam, rhs)
    an = prior.alpha + n / 2.0
    bn = prior.beta + 0.5 * (float(y @ y) + float(prior.mu @ (v0inv * prior.mu)) - float(mun @ rhs))
    bn = max(bn, 1e-300)
    # chol(Λn⁻¹): Λn = L Lᵀ ⇒ Λn⁻¹ = L⁻ᵀ L⁻¹; draws μn + σ L⁻ᵀ z have covariance σ² Λn⁻¹
    linv_t = np.linalg.inv(chol_lam).T
    return mun, linv_t, an, bn


def draw_equation(
    eq: Equation, prior: EquationPrior, size: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """``size`` iid posterior draws: coefficients ``(size, P+1)`` and σ ``(size,)``."""
    mun, linv_t, an, bn = equation_posterior(eq, prior)
    sigma2 = bn / rng.standard_gamma(an, size)
    sigma = np.sqrt(sigma2)
    z = rng.standard_normal((size, mun.size))
    beta = mun + sigma[:, None] * (z @ linv_t.T)
    return beta, sigma


def sample_exact(
    design: BayesDesign, eq_priors: list[EquationPrior], draws: int, chains: int, seeds: list[np.random.SeedSequence]
) -> dict[str, np.ndarray]:
    """Posterior draws of every parameter, arrays of shape ``(chains, draws, ...)``."""
    k, p = len(design.mediators), len(design.cov_names)
    size = draws * chains
    ia, ib, ibeta, isig = [], [], [], []
    for j, eq in enumerate(design.mediator_eqs):
        beta, sigma = draw_equation(eq, eq_priors[j], size, np.random.default_rng(seeds[j]))
        ia.append(beta[:, 0])
        ib.append(beta[:, 1])
        ibeta.append(beta[:, 2:])
        isig.append(sigma)
    beta_y, sigma_y = draw_equation(design.outcome_eq, eq_priors[k], size, np.random.default_rng(seeds[k]))
    shp = (chains, draws)
    return {
        "intercept_m": np.stack(ia, axis=-1).reshape(*shp, k),
        "a": np.stack(ib, axis=-1).reshape(*shp, k),
        "beta_m": np.stack(ibeta, axis=1).reshape(*shp, k, p),
        "sigma_m": np.stack(isig, axis=-1).reshape(*shp, k),
        "intercept_y": beta_y[:, 0].reshape(shp),
        "c_prime": beta_y[:, 1].reshape(shp),
        "b": beta_y[:, 2 : 2 + k].reshape(*shp, k),
        "beta_y": beta_y[:, 2 + k :].reshape(*shp, p),
        "sigma_y": sigma_y.reshape(shp),
    }


__all__ = ["draw_equation", "equation_posterior", "sample_exact"]
