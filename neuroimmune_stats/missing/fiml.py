"""Mediation by full-information maximum likelihood, as lavaan ``sem(..., missing = "ml.x")``.

Every subject with at least one observed model variable contributes the likelihood of what it has.
The mediation model with the same covariates in every equation is *saturated* (it reproduces any
mean vector and covariance matrix of ``[x, m..., y, covariates]``), so its ML estimates are the
regressions implied by the ML estimate of an unrestricted multivariate normal fitted to the
incomplete data (lavaan ``ml.x``: the exogenous variables are modelled too, so subjects with a
missing covariate or x are kept). That estimate comes from the EM algorithm written over a whole
batch of case-weight vectors at once (the full sample, or thousands of bootstrap resamples: one
set of batched ``p × p`` solves per missing-data pattern per iteration, on per-pattern sufficient
statistics, so the cost of an iteration does not grow with n).

Standard errors come from the observed information (the analytic Hessian of the observed-data
log-likelihood in the unrestricted parameters, carried to the paths by the delta method with a
numerical Jacobian; exact for a saturated model, as lavaan's default ``information = "observed"``
for ``missing = "ml"``). The indirect effect's interval is a bootstrap with FIML in every resample,
drawn by the one resampling engine.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import special

from .._params import check_int
from .._rng import SeedLike, analysis_seed
from ..design import (
    ID_COLUMN,
    FactorCoder,
    is_factor,
    numeric_series,
    present,
    resolve_columns,
    subject_ids,
    warn_excluded,
)
from ..exceptions import ConvergenceWarning, InsufficientDataError, SpecificationError
from ..results import Result, format_p, format_table

WHAT = "mediate(missing='fiml')"
TIDY = ("term", "mediator", "estimate", "std_error", "statistic", "df", "p_value", "conf_low", "conf_high",
        "delta_std_error", "boot_std_error", "boot_conf_low", "boot_conf_high", "significant", "n")


# ---------------------------------------------------------------------- EM, batched over weight vectors

def _effect_columns(a: list[Any], b: list[Any], cp: Any, d: Any = None) -> list[Any]:
    """The effects in tidy order from the paths: a's, [d], b's, c', c = c' + total indirect, the
    indirect effects and, with several, their total. ``d`` (the m1 -> m2 path) makes the model serial."""
    cols = [*a]
    if d is not None:
        cols.append(d)
        ind = [a[0] * b[0], a[0] * d * b[1], a[1] * b[1]]
    else:
        ind = [ai * bi for ai, bi in zip(a, b, strict=True)]
    total = sum(ind[1:], start=ind[0])
    cols += [*b, cp, cp + total, *ind]
    if len(ind) > 1:
        cols.append(total)
    return cols

class _Patterns:
    """Missing-data patterns of the standardised data and their per-pattern rows."""

    def __init__(self, Y: np.ndarray) -> None:
        obs = np.isfinite(Y)
        keys, inv = np.unique(obs, axis=0, return_inverse=True)
        inv = inv.ravel()
        self.Y = np.where(obs, Y, 0.0)
        self.p = Y.shape[1]
        self.groups = []
        for g, key in enumerate(keys):
            rows = np.flatnonzero(inv == g)
            o = np.flatnonzero(key)
            mis = np.flatnonzero(~key)
            yo = self.Y[np.ix_(rows, o)]
            outer = (yo[:, :, None] * yo[:, None, :]).reshape(len(rows), -1)
            self.groups.append((rows, o, mis, yo, outer))

    def stats(self, W: np.ndarray) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """Per pattern: total weight (k,), Σ w y_o (k, |o|), Σ w y_o y_oᵀ (k, |o|, |o|)."""
        out = []
        for rows, o, _, yo, outer in self.groups:
            w = W[:, rows]
            out.append((w.sum(axis=1), w @ yo, (w @ outer).reshape(W.shape[0], len(o), len(o))))
        return out


def _em_step(pat: _Patterns, st: list, N: np.ndarray, mu: np.ndarray, sigma: np.ndarray
             ) -> tuple[np.ndarray, np.ndarray]:
    """One EM update of (μ, Σ) for a batch (k, p) / (k, p, p) from the per-pattern statistics ``st``."""
    k, p = mu.shape
    S1 = np.zeros((k, p))
    S2 = np.zeros((k, p, p))
    for (_, o, mis, _, _), (t0, t1, t2) in zip(pat.groups, st, strict=True):
        if mis.size == 0:
            S1[:, o] += t1
            S2[:, o[:, None], o[None, :]] += t2
            continue
        s_oo = sigma[:, o[:, None], o[None, :]]
        s_om = sigma[:, o[:, None], mis[None, :]]
        B = np.swapaxes(np.linalg.solve(s_oo, s_om), 1, 2)  # Σ_mo Σ_oo⁻¹
        C = sigma[:, mis[:, None], mis[None, :]] - B @ s_om
        c = mu[:, mis] - np.einsum("kmo,ko->km", B, mu[:, o])
        bt1 = np.einsum("kmo,ko->km", B, t1)
        S1[:, o] += t1
        S1[:, mis] += t0[:, None] * c + bt1
        S2[:, o[:, None], o[None, :]] += t2
        mo = c[:, :, None] * t1[:, None, :] + B @ t2
        S2[:, mis[:, None], o[None, :]] += mo
        S2[:, o[:, None], mis[None, :]] += np.swapaxes(mo, 1, 2)
        S2[:, mis[:, None], mis[None, :]] += (
            t0[:, None, None] * (c[:, :, None] * c[:, None, :] + C)
            + c[:, :, None] * bt1[:, None, :] + bt1[:, :, None] * c[:, None, :]
            + B @ t2 @ np.swapaxes(B, 1, 2))
    new_mu = S1 / N[:, None]
    return new_mu, S2 / N[:, None, None] - new_mu[:, :, None] * new_mu[:, None, :]


def _em(pat: _Patterns, W: np.ndarray, mu: np.ndarray, sigma: np.ndarray, tol: float = 1e-11,
        max_iter: int = 10000) -> tuple[np.ndarray, np.ndarray, int, bool]:
    """EM for the multivariate normal with case weights ``W`` (k, n), every row its own fit.

    Rows stop updating once their largest parameter change is below ``tol`` (standardised
    scale), so slow resamples do not hold the others. Returns μ (k, p), Σ (k, p, p), the
    iterations of the slowest row and whether all converged.
    """
    k, p = W.shape[0], pat.p
    st_all = pat.stats(W)
    N_all = W.sum(axis=1)
    mu = np.broadcast_to(mu, (k, p)).copy()
    sigma = np.broadcast_to(sigma, (k, p, p)).copy()
    active = np.arange(k)
    it = 0
    for it in range(1, max_iter + 1):
        st = st_all if active.size == k else [(a[active], b[active], c[active]) for a, b, c in st_all]
        new_mu, new_sigma = _em_step(pat, st, N_all[active], mu[active], sigma[active])
        delta = np.maximum(np.abs(new_mu - mu[active]).max(axis=1),
                           np.abs(new_sigma - sigma[active]).max(axis=(1, 2)))
        mu[active], sigma[active] = new_mu, new_sigma
        active = active[~(delta < tol)]
        if active.size == 0:
            return mu, sigma, it, True
    return mu, sigma, it, False


def _jacobian(fn: Any, theta: np.ndarray) -> np.ndarray:
    """Central-difference Jacobian of ``fn`` at ``theta`` (smooth rational maps; error ~1e-10)."""
    cols = []
    for j in range(theta.size):
        h = 1e-6 * max(1.0, abs(float(theta[j])))
        up, dn = theta.copy(), theta.copy()
        up[j] += h
        dn[j] -= h
        cols.append((fn(up) - fn(dn)) / (2 * h))
    return np.column_stack(cols)


def _vech_basis(p: int) -> tuple[np.ndarray, np.ndarray]:
    iu = np.triu_indices(p)
    D = np.zeros((iu[0].size, p, p))
    D[np.arange(iu[0].size), iu[0], iu[1]] = 1.0
    D[np.arange(iu[0].size), iu[1], iu[0]] = 1.0
    return D, np.column_stack(iu)


def _hessian(pat: _Patterns, mu: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    """Hessian of the observed-data log-likelihood in θ = (μ, vech Σ) at (μ, Σ) (unit weights)."""
    p = pat.p
    D, _ = _vech_basis(p)
    P = D.shape[0]
    H = np.zeros((p + P, p + P))
    for rows, o, _, yo, _ in pat.groups:
        n = len(rows)
        K = np.linalg.inv(sigma[np.ix_(o, o)])
        e = yo - mu[o]
        s1 = e.sum(axis=0)
        S = e.T @ e
        M = np.einsum("ij,ajk->aik", K, D[:, o[:, None], o[None, :]])  # K D_a
        N = K @ S
        H[np.ix_(o, o)] -= n * K
        Hss = 0.5 * n * np.einsum("aij,bji->ab", M, M) - np.einsum("bij,jk,aki->ab", M, N, M)
        H[p:, p:] += Hss
        cross = -np.einsum("aij,jk,k->ia", M, K, s1)  # ∂²ℓ/∂μ_o ∂σ_a = −K D_a K s1
        H[np.ix_(o, p + np.arange(P))] += cross
        H[np.ix_(p + np.arange(P), o)] += cross.T
    return H


# ---------------------------------------------------------------------- the model's effects
class _Model:
    """Columns ``[x, m..., y, covariate columns]`` and the equations of the mediation model."""

    def __init__(self, mediators: list[str], serial: bool, ncov: int) -> None:
        self.k = len(mediators)
        self.serial = serial
        self.ncov = ncov
        k = self.k
        cov = list(range(k + 2, k + 2 + ncov))
        self.eqs = {f"m{j}": ([0, *(list(range(1, 1 + j)) if serial else []), *cov], 1 + j) for j in range(k)}
        self.eqs["y"] = ([0, *range(1, 1 + k), *cov], 1 + k)
        self.eqs["total"] = ([0, *cov], 1 + k)

    def effects(self, sigma: np.ndarray) -> np.ndarray:
        """Effects (k_batch, n_effects) from covariance matrices (k_batch, p, p) on the raw scale."""
        coef = {}
        for name, (regs, resp) in self.eqs.items():
            A = sigma[:, np.array(regs)[:, None], np.array(regs)[None, :]]
            rhs = sigma[:, regs, resp]
            coef[name] = np.linalg.solve(A, rhs[:, :, None])[:, :, 0]
        k = self.k
        a = [coef[f"m{j}"][:, 0] for j in range(k)]
        b = [coef["y"][:, 1 + j] for j in range(k)]
        cp = coef["y"][:, 0]
        d = coef["m1"][:, 1] if self.serial else None
        return np.column_stack(_effect_columns(a, b, cp, d))

    def free_parameters(self, mu: np.ndarray, sigma: np.ndarray) -> tuple[np.ndarray, Any, Any]:
        """lavaan's free parameters at the estimate, the moments as their function and the effects.

        Free: per equation (mediators, then y) the intercept and the regression coefficients, the
        residual variances and, for parallel mediators, their residual covariances (what makes the
        model saturated, like the separate OLS equations of PROCESS). The means and covariances of
        x and the covariates stay fixed (lavaan ``fixed.x = TRUE``). Standardised scale.
        """
        k = self.k
        p = mu.size
        exo = np.array([0, *range(k + 2, p)])
        endo = np.arange(1, k + 2)
        ne = endo.size
        regs = {j: self.eqs[f"m{j}"][0] for j in range(k)} | {k: self.eqs["y"][0]}
        psi_free = [(i, i) for i in range(ne)]
        if not self.serial:
            psi_free += [(i, j) for i in range(k) for j in range(i)]
        # estimates: regressions on the model's regressors
        theta: list[float] = []
        resid = np.zeros((ne, ne))
        coefs = {}
        for j in range(ne):
            r = np.array(regs[j])
            resp = endo[j]
            beta = np.linalg.solve(sigma[np.ix_(r, r)], sigma[r, resp])
            coefs[j] = beta
            theta += [float(mu[resp] - beta @ mu[r]), *beta.tolist()]
        # residual covariance of the endogenous variables given their regressors
        Bm, Gm, _ = self._matrices(np.array(theta), regs, exo, endo)
        s_ee = sigma[np.ix_(exo, exo)]
        resid = (np.eye(ne) - Bm) @ sigma[np.ix_(endo, endo)] @ (np.eye(ne) - Bm).T - Gm @ s_ee @ Gm.T
        theta += [float(resid[i, j]) for i, j in psi_free]
        mu_e = mu[exo]
        n_reg = sum(1 + len(regs[j]) for j in range(ne))

        def moments_of(t: np.ndarray) -> np.ndarray:
            Bt, Gt, at = self._matrices(t, regs, exo, endo)
            psi = np.zeros((ne, ne))
            for v, (i, j) in zip(t[n_reg:], psi_free, strict=True):
                psi[i, j] = psi[j, i] = v
            inv = np.linalg.inv(np.eye(ne) - Bt)
            m_full = np.empty(p)
            m_full[exo] = mu_e
            m_full[endo] = inv @ (at + Gt @ mu_e)
            s_full = np.empty((p, p))
            s_full[np.ix_(exo, exo)] = s_ee
            s_ne = inv @ Gt @ s_ee
            s_full[np.ix_(endo, exo)] = s_ne
            s_full[np.ix_(exo, endo)] = s_ne.T
            s_full[np.ix_(endo, endo)] = inv @ (Gt @ s_ee @ Gt.T + psi) @ inv.T
            iu = np.triu_indices(p)
            return np.concatenate([m_full, s_full[iu]])

        def effects_free(t: np.ndarray, scale: np.ndarray) -> np.ndarray:
            Bt, Gt, _ = self._matrices(t, regs, exo, endo)
            a = [Gt[j, 0] * scale[1 + j] / scale[0] for j in range(k)]
            b = [Bt[k, j] * scale[1 + k] / scale[1 + j] for j in range(k)]
            cp = Gt[k, 0] * scale[1 + k] / scale[0]
            d = Bt[1, 0] * scale[2] / scale[1] if self.serial else None
            return np.array(_effect_columns(a, b, cp, d))

        return np.array(theta), moments_of, effects_free

    def _matrices(self, t: np.ndarray, regs: dict[int, list[int]], exo: np.ndarray, endo: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """B (endogenous on endogenous), Γ (endogenous on exogenous) and intercepts from θ."""
        ne = endo.size
        B = np.zeros((ne, ne))
        G = np.zeros((ne, exo.size))
        alpha = np.zeros(ne)
        pos = 0
        epos = {int(v): i for i, v in enumerate(endo)}
        xpos = {int(v): i for i, v in enumerate(exo)}
        for j in range(ne):
            alpha[j] = t[pos]
            pos += 1
            for r in regs[j]:
                if r in epos:
                    B[j, epos[r]] = t[pos]
                else:
                    G[j, xpos[r]] = t[pos]
                pos += 1
        return B, G, alpha

    def labels(self, mediators: list[str]) -> list[tuple[str, str | None, bool]]:
        lab: list[tuple[str, str | None, bool]] = [("a", m, True) for m in mediators]
        if self.serial:
            lab.append(("d", f"{mediators[0]} -> {mediators[1]}", True))
        lab += [("b", m, True) for m in mediators]
        lab += [("c_prime", None, True), ("c", None, True)]
        names = [mediators[0], f"{mediators[0]} -> {mediators[1]}", mediators[1]] if self.serial else mediators
        lab += [("indirect", nm, False) for nm in names]
        if len(names) > 1:
            lab.append(("total_indirect", None, False))
        return lab


# ---------------------------------------------------------------------- data
def _columns(data: pd.DataFrame, roles: list[str], covs: list[str]) -> tuple[np.ndarray, list[str]]:
    cols, names = [], []
    for c in roles:
        s = data[c]
        v = numeric_series(s, c, what=WHAT)
        cols.append(np.where(present(s), v, np.nan)[:, None])
        names.append(c)
    for c in covs:
        s = data[c]
        if is_factor(s):
            coder = FactorCoder().fit(s[present(s)])
            if len(coder.levels) < 2:
                raise SpecificationError(f"{WHAT}: covariate {c!r} has a single observed level; remove it.")
            cols.append(coder.transform(s))
            names += coder.column_names()
        else:
            v = numeric_series(s, c, what=WHAT)
            cols.append(np.where(present(s), v, np.nan)[:, None])
            names.append(c)
    return np.column_stack(cols).astype(float), names


class FIMLMediationResult(Result):
    """Mediation by full-information maximum likelihood (see :func:`mediate_fiml`).

    Attributes: ``x``, ``mediators``, ``y``, ``covariates``, ``n`` (subjects with any observed
    model variable), ``excluded_ids`` (subjects with none), ``n_complete`` (complete cases),
    ``draws`` (bootstrap draws of every effect), ``vcov`` (observed-information covariance of the
    effects), ``iterations``, ``seed``.
    """

    extra_columns = ("delta_std_error", "boot_std_error", "boot_conf_low", "boot_conf_high", "significant")

    def __init__(self, *, x: str, mediators: list[str], y: str, covariates: list[str], n: int, n_complete: int,
                 excluded_ids: tuple[str, ...], labels: list[tuple[str, str | None, bool]], estimate: np.ndarray,
                 vcov: np.ndarray, draws: np.ndarray, ci: str, conf_level: float, n_boot: int, iterations: int,
                 seed: Any, columns: list[str], mu: np.ndarray, sigma: np.ndarray, call: str) -> None:
        self.x, self.mediators, self.y, self.covariates = x, mediators, y, covariates
        self.n, self.n_complete, self.excluded_ids = n, n_complete, excluded_ids
        self.labels, self.estimate, self.vcov, self.draws = labels, estimate, vcov, draws
        self.ci, self.conf_level, self.n_boot, self.iterations = ci, conf_level, n_boot, iterations
        self.seed, self.columns, self.mu, self.sigma, self.call = seed, columns, mu, sigma, call

    def tidy(self) -> pd.DataFrame:
        """Paths with ML estimates, observed-information SEs, z tests and Wald CIs (lavaan); indirect
        effects with the bootstrap SE (``std_error``) and interval; ``delta_std_error`` lavaan's
        delta-method SE of every row."""
        from ..mediation.intervals import interval

        q = special.ndtri(0.5 + self.conf_level / 2)
        se = np.sqrt(np.diag(self.vcov))
        boot_se = np.nanstd(self.draws, axis=0, ddof=1) if self.draws.size else np.full(len(se), np.nan)
        if self.draws.size:
            lo, hi = interval(self.ci, self.draws, self.estimate, self.conf_level)
        else:
            lo = hi = np.full(len(se), np.nan)
        rows = []
        for i, (term, med, path) in enumerate(self.labels):
            est = float(self.estimate[i])
            s = float(se[i]) if path else float(boot_se[i])
            z = est / se[i]
            rows.append({
                "term": term, "mediator": med, "estimate": est, "std_error": s,
                "statistic": z if path else np.nan, "df": np.inf if path else np.nan,
                "p_value": float(2 * special.ndtr(-abs(z))) if path else np.nan,
                "conf_low": est - q * se[i] if path else lo[i], "conf_high": est + q * se[i] if path else hi[i],
                "delta_std_error": float(se[i]), "boot_std_error": float(boot_se[i]),
                "boot_conf_low": float(lo[i]), "boot_conf_high": float(hi[i]),
                "significant": bool(lo[i] > 0 or hi[i] < 0) if not path else bool(abs(z) > q), "n": self.n,
            })
        return pd.DataFrame(rows, columns=list(TIDY))

    def bootstrap_distribution(self, term: str = "indirect", mediator: str | None = None) -> np.ndarray:
        hits = [i for i, (t, m, _) in enumerate(self.labels) if t == term and (mediator is None or m == mediator)]
        if not hits:
            raise SpecificationError(f"no term {term!r} (mediator {mediator!r}).")
        return np.array(self.draws[:, hits[0]])

    def summary(self) -> str:
        td = self.tidy()
        show = td[["term", "mediator", "estimate", "std_error", "statistic", "p_value", "conf_low", "conf_high",
                   "delta_std_error"]].copy()
        show["p_value"] = [format_p(p) if np.isfinite(p) else "" for p in show["p_value"]]
        return "\n".join([
            "Mediation by full-information maximum likelihood (lavaan sem(..., missing = 'ml.x') equivalent)",
            f"  Y : {self.y}", f"  X : {self.x}", *(f"  M{i + 1}: {m}" for i, m in enumerate(self.mediators)),
            f"Covariates: {' '.join(self.covariates) or '(none)'}",
            f"Sample size: {self.n} ({self.n_complete} complete cases); EM iterations {self.iterations}",
            *([f"Excluded (no observed model variable): {', '.join(self.excluded_ids)}"] if self.excluded_ids else []),
            "", format_table(show), "",
            "Paths: ML estimates, SEs from the observed information, z tests and Wald intervals. Indirect "
            f"effects: bootstrap SE and {self.ci} interval over {self.n_boot} resamples with FIML in every "
            "resample; delta_std_error is lavaan's delta-method SE.",
            f"Level of confidence: {100 * self.conf_level:g}",
        ])

    def plot(self, ax: Any = None, term: str = "indirect", mediator: str | None = None) -> Any:
        """Histogram of the bootstrap draws of an effect with its estimate and interval."""
        from ..plots._axes import get_ax
        from ..plots._style import OKABE_ITO

        draws = self.bootstrap_distribution(term, mediator)
        ax = get_ax(ax)
        ax.hist(draws[np.isfinite(draws)], bins=60, color=OKABE_ITO["sky_blue"] if "sky_blue" in OKABE_ITO
                else "0.7", edgecolor="white")
        row = self.tidy().query("term == @term").iloc[0]
        ax.axvline(row.estimate, color="k", lw=1.5)
        for v in (row.conf_low, row.conf_high):
            ax.axvline(v, color=OKABE_ITO["vermillion"], ls="--")
        ax.axvline(0, color="0.5", lw=0.8)
        ax.set_xlabel(f"{term} (FIML bootstrap, n = {self.n})")
        ax.set_ylabel("resamples")
        return ax


def mediate_fiml(
    data: pd.DataFrame,
    x: str,
    m: str | Sequence[str],
    y: str,
    covariates: str | Sequence[str] = (),
    n_boot: int = 5000,
    ci: str = "bc",
    conf_level: float = 0.95,
    serial: bool = False,
    seed: SeedLike = None,
    n_jobs: int = 1,
) -> FIMLMediationResult:
    """Mediation by full-information maximum likelihood: ``mediate(..., missing="fiml")``.

    Equal to lavaan ``sem(model, data, missing = "ml.x")`` with the covariates in every equation
    (factor covariates as treatment dummies): estimates of ``a``, ``b``, ``c_prime``, ``c`` (=
    c′ + ab) and ``indirect`` with SEs from the observed information (``delta_std_error``; the
    ``std_error`` of the paths). The indirect effects' ``std_error`` and interval (type ``ci``)
    come from ``n_boot`` bootstrap resamples with FIML in every resample.

    Every subject with at least one observed model variable is used; missingness is assumed at
    random given the model variables.

    Examples
    --------
    >>> import neuroimmune_stats as nis
    >>> res = mediate_fiml(nis.load_example(), "suvr_s1", "fss", "conn_s1__thalamus", n_boot=200, seed=1)
    >>> res.n, res.n_complete, list(res.tidy().term)
    (54, 35, ['a', 'b', 'c_prime', 'c', 'indirect'])
    """
    from ..mediation._spec import resolve_roles
    from ..mediation.intervals import check_ci, check_level
    from ..resampling import resample

    ci = check_ci(ci)
    level = check_level(conf_level)
    n_boot = check_int(n_boot, where=WHAT, name="n_boot", minimum=0)
    if isinstance(covariates, Mapping):
        raise SpecificationError(f"{WHAT}: covariates per equation make the model non-saturated; FIML here "
                                 "takes covariates common to every equation (a list).")
    mediators, roles = resolve_roles(data, x, m, y, what=WHAT)
    if serial and len(mediators) != 2:
        raise SpecificationError(f"{WHAT}: serial=True needs exactly two mediators; got {mediators}.")
    covs = resolve_columns(data, covariates, what=f"{WHAT} covariates")
    clash = [c for c in covs if c in roles]
    if clash:
        raise SpecificationError(f"{WHAT}: {clash} cannot be both a covariate and x/m/y.")
    raw, names = _columns(data, roles, covs)
    anyobs = np.isfinite(raw).any(axis=1)
    ids = subject_ids(data).astype(str).to_numpy() if ID_COLUMN in data.columns else np.arange(len(data)).astype(str)
    excluded = tuple(ids[~anyobs])
    warn_excluded(WHAT, list(excluded), int(anyobs.sum()), roles + covs, stacklevel=2)
    raw = raw[anyobs]
    n = raw.shape[0]
    n_complete = int(np.isfinite(raw).all(axis=1).sum())
    p = raw.shape[1]
    nobs_col = np.isfinite(raw).sum(axis=0)
    if np.any(nobs_col < 3) or n < p + 2:
        bad = [nm for nm, k in zip(names, nobs_col, strict=True) if k < 3]
        raise InsufficientDataError(f"{WHAT}: too few observed values ({bad or n}) for {p} variables.")
    center = np.nanmean(raw, axis=0)
    scale = np.nanstd(raw, axis=0)
    if np.any(scale == 0):
        raise SpecificationError(f"{WHAT}: {[nm for nm, s in zip(names, scale, strict=True) if s == 0]} is constant.")
    Z = (raw - center) / scale
    pat = _Patterns(Z)
    start_mu = np.zeros(p)
    start_sigma = np.where(np.isfinite(Z).all(axis=1).sum() > p, 1.0, 1.0) * np.eye(p)
    mu, sigma, iters, ok = _em(pat, np.ones((1, n)), start_mu, start_sigma)
    if not ok:
        warnings.warn(f"{WHAT}: EM did not converge in {iters} iterations.", ConvergenceWarning, stacklevel=2)
    mu, sigma = mu[0], sigma[0]
    model = _Model(mediators, serial, p - len(roles))
    D = np.diag(scale)

    def effects_of(theta: np.ndarray) -> np.ndarray:
        s = np.zeros((p, p))
        iu = np.triu_indices(p)
        s[iu] = theta[p:]
        s[(iu[1], iu[0])] = theta[p:]
        return model.effects((D @ s @ D)[None])[0]

    iu = np.triu_indices(p)
    theta = np.concatenate([mu, sigma[iu]])
    estimate = effects_of(theta)
    # lavaan's ml.x keeps fixed.x = TRUE: the means and covariances of x and the covariates are
    # fixed at their estimates and the information is that of the remaining (free) parameters
    free, moments_of, effects_free = model.free_parameters(mu, sigma)
    Jg = _jacobian(moments_of, free)
    H = Jg.T @ _hessian(pat, mu, sigma) @ Jg
    cov_free = np.linalg.inv(-H)
    Je = _jacobian(lambda t: effects_free(t, scale), free)
    vcov = Je @ cov_free @ Je.T
    draws = np.empty((0, estimate.size))
    if n_boot:
        stat = _BootStatistic(pat, mu, sigma, model, D)
        draws = resample(stat, n, n_boot, kind="bootstrap", seed=analysis_seed(seed, "mediate_fiml"),
                         n_jobs=n_jobs)
    return FIMLMediationResult(
        x=x, mediators=mediators, y=y, covariates=covs, n=n, n_complete=n_complete, excluded_ids=excluded,
        labels=model.labels(mediators), estimate=estimate, vcov=vcov, draws=draws, ci=ci, conf_level=level,
        n_boot=n_boot, iterations=iters, seed=seed, columns=names, mu=mu * scale + center,
        sigma=D @ sigma @ D, call=f"mediate(x={x!r}, m={mediators!r}, y={y!r}, missing='fiml')",
    )


class _BootStatistic:
    """Picklable statistic for the resampling engine: FIML (EM, warm start) in every resample."""

    def __init__(self, pat: _Patterns, mu: np.ndarray, sigma: np.ndarray, model: _Model, D: np.ndarray) -> None:
        self.pat, self.mu, self.sigma, self.model, self.D = pat, mu, sigma, model, D

    def __call__(self, idx: np.ndarray) -> np.ndarray:
        k, n = idx.shape
        W = np.bincount((idx + (n * np.arange(k))[:, None]).ravel(), minlength=k * n).reshape(k, n).astype(float)
        _, sig, _, _ = _em(self.pat, W, self.mu, self.sigma, tol=1e-9, max_iter=2000)
        return self.model.effects(self.D @ sig @ self.D)


__all__ = ["FIMLMediationResult", "mediate_fiml"]
