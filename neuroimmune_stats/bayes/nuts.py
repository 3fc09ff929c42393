"""NUTS for the mediation model: each equation's posterior sampled by the compiled engine :mod:`._nuts`.

The posterior factorises over the equations (independent priors; the mediator equations' likelihood
involves only their parameters, the outcome equation's only its own, ``x`` and the mediators being
observed), so each equation is sampled by its own chains and the draws are combined per chain and
draw index: the joint chain is a valid MCMC of the joint posterior.

Coordinates (Stan's QR trick, whitened by the conditional posterior precision of the normal model):
``β = μₙ + s·L⁻ᵀθ`` with ``Λₙ = ZᵀZ + V₀⁻¹ = LLᵀ``, ``s = sqrt(bₙ/aₙ)``, and ``u = log σ²``
(``w = log ν`` for Student-t). Under the normal likelihood the log-density is then
``-(a₀ + (n+P)/2)·u - (bₙ + s²|θ|²/2)·e^{-u}`` exactly, so an evaluation costs ``O(P)`` however large
``n`` is (the data enter once, through the sufficient statistics); the Student-t likelihood is
evaluated observation by observation.
"""

from __future__ import annotations

import numpy as np

from ._design import BayesDesign, Equation
from .exact import equation_posterior
from .priors import EquationPrior

#: NUTS settings (PyMC's defaults)
TARGET_ACCEPT = 0.8
MAX_DEPTH = 10

_EMPTY2 = np.zeros((1, 1))
_EMPTY1 = np.zeros(1)


class _EquationTarget:
    """Arrays that define one equation's log-density for :func:`._nuts.logp_grad`."""

    def __init__(self, eq: Equation, prior: EquationPrior, likelihood: str) -> None:
        mun, linv_t, an, bn = equation_posterior(eq, prior)
        n, P = eq.X.shape[0], mun.size
        s = float(np.sqrt(bn / an))
        self.mun, self.scale, self.P = mun, s * linv_t, P
        self.u0 = float(np.log(bn / an))
        if likelihood == "normal":
            self.kind, self.dim = 0, P + 1
            self.fp = np.array([prior.alpha + 0.5 * (n + P), bn, s * s])
            self.arrays = (_EMPTY2, _EMPTY1, _EMPTY2, _EMPTY1, _EMPTY1)
        else:
            Z = np.column_stack([np.ones(n), eq.X])
            self.kind, self.dim = 1, P + 2
            self.fp = np.array([prior.alpha, prior.beta])
            self.arrays = (np.ascontiguousarray(Z @ self.scale), eq.response - Z @ mun,
                           np.ascontiguousarray(self.scale), mun - prior.mu, 1.0 / prior.v0_diag)

    def initial_point(self, rng: np.random.Generator) -> np.ndarray:
        """Jittered start (as PyMC's ``jitter+adapt_diag``): θ ~ U(-1, 1), log σ² ± 1/2, log ν ~ log 10 ± 1."""
        q = np.empty(self.dim)
        q[: self.P] = rng.uniform(-1, 1, self.P)
        q[self.P] = self.u0 + rng.uniform(-0.5, 0.5)
        if self.kind == 1:
            q[self.P + 1] = np.log(10.0) + rng.uniform(-1, 1)
        return q

    def coefficients(self, theta: np.ndarray) -> np.ndarray:
        return self.mun + theta @ self.scale.T


STAT_NAMES = ("acceptance_rate", "diverging", "tree_depth", "n_steps", "energy", "lp")


def sample_design(design: BayesDesign, eq_priors: list[EquationPrior], likelihood: str, draws: int, tune: int,
                  chains: int, seed: np.random.SeedSequence) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Posterior draws ``(chains, draws, ...)`` in the exact path's layout, and the sample statistics."""
    from .._optional import require

    require("numba", purpose="bayes_mediate(method='nuts')")
    from ._nuts import run_chain, windows

    eqs = [*design.mediator_eqs, design.outcome_eq]
    targets = [_EquationTarget(e, q, likelihood) for e, q in zip(eqs, eq_priors, strict=True)]
    init, ends = windows(tune)
    seeds = seed.spawn(len(targets) * chains)
    coefs, sig, nus, stats, steps = [], [], [], [], []
    for e, tg in enumerate(targets):
        cq, cs, cst = [], [], []
        for c in range(chains):
            ss = seeds[e * chains + c]
            rng = np.random.default_rng(ss)
            q, st, eps = run_chain(rng, tg.kind, tg.initial_point(rng), draws, tune, init, ends, TARGET_ACCEPT,
                                   MAX_DEPTH, tg.fp, *tg.arrays)
            cq.append(q)
            cst.append(st)
            cs.append(eps)
        q = np.stack(cq)                                        # (chains, draws, dim)
        coefs.append(tg.coefficients(q[..., : tg.P]))
        sig.append(np.exp(0.5 * q[..., tg.P]))
        if tg.kind == 1:
            nus.append(np.exp(q[..., tg.P + 1]))
        stats.append(np.stack(cst))                             # (chains, draws, 6)
        steps.append(np.array(cs))
    k, p = len(design.mediators), len(design.cov_names)
    cm = np.stack(coefs[:k], axis=2)                            # (chains, draws, k, 2 + p)
    cy = coefs[k]
    post = {
        "intercept_m": cm[..., 0], "a": cm[..., 1], "beta_m": cm[..., 2:].reshape(chains, draws, k, p),
        "sigma_m": np.stack(sig[:k], axis=-1),
        "intercept_y": cy[..., 0], "c_prime": cy[..., 1], "b": cy[..., 2 : 2 + k],
        "beta_y": cy[..., 2 + k :].reshape(chains, draws, p), "sigma_y": sig[k],
    }
    if nus:
        post["nu_m"] = np.stack(nus[:k], axis=-1)
        post["nu_y"] = nus[k]
    st = np.stack(stats)                                        # (equations, chains, draws, 6)
    sample_stats = {
        "acceptance_rate": st[..., 0].mean(axis=0), "diverging": st[..., 1].max(axis=0) > 0,
        "tree_depth": st[..., 2].max(axis=0).astype(np.int64), "n_steps": st[..., 3].sum(axis=0).astype(np.int64),
        "energy": st[..., 4].sum(axis=0), "lp": st[..., 5].sum(axis=0),
        "step_size": np.broadcast_to(np.mean(steps, axis=0)[:, None], (chains, draws)).copy(),
    }
    return post, sample_stats


def sampler_name() -> str:
    """Name recorded in the result."""
    return "numba"


__all__ = ["STAT_NAMES", "sample_design", "sampler_name"]
