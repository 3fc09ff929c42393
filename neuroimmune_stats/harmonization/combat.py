"""The ComBat estimation kernel (Johnson, Li & Rabinovic 2007), vectorised over features and fits.

Every step of R ``sva::ComBat(dat, batch, mod)`` is reproduced on arrays with subjects in rows:

1. least squares of each feature on ``[batch indicators, mod]``; the grand mean is the
   batch-size-weighted mean of the batch coefficients, the pooled variance the mean squared residual
   (divisor n, as sva);
2. standardisation ``s = (y - grand_mean - mod @ beta) / sqrt(var_pooled)``;
3. per batch location ``gamma_hat`` (mean of ``s``) and scale ``delta_hat`` (variance of ``s``,
   divisor n - 1);
4. empirical-Bayes shrinkage across features: the parametric normal / inverse-gamma priors solved by
   sva's ``it.sol`` fixed-point iteration (stopping rule and its 1e-4 tolerance kept exactly, so the
   iteration count is sva's), or sva's non-parametric ``int.eprior`` (leave-one-feature-out
   likelihood weights), or no shrinkage (``eb=False``);
5. ``out = (s - gamma_star) / sqrt(delta_star) * sqrt(var_pooled) + grand_mean + mod @ beta``.

The kernel works on ``k`` fits at once: a ``(k, n)`` 0/1 mask of training rows per fit (the folds
and label permutations of a cross-validation), so fold estimates cost a few batched ``einsum``
calls rather than ``k`` separate fits. Two applications of a fit exist: :func:`adjust_fitted`
(the rows it was fitted on, each with its own covariate part, as sva) and :func:`apply_fit` (any rows
of seen batches without their covariates: the covariate part is the training mean, as
``neuroCombatFromTraining``).

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> codes = np.repeat([0, 1], 10)
>>> Y = rng.normal(size=(20, 5)) + 2.0 * codes[:, None]
>>> fit = fit_combat(Y, codes, 2)
>>> out = adjust_fitted(fit, Y, codes)[0]
>>> bool(abs(out[codes == 0].mean() - out[codes == 1].mean()) < 0.5)
True
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from ..exceptions import ConvergenceWarning, InsufficientDataError, SpecificationError

#: sva's ``it.sol`` tolerance on the relative change of gamma and delta
CONV = 1e-4
#: cap on the parametric fixed-point iterations (sva has none; it converges in a few dozen)
MAX_ITER = 10_000
#: non-parametric prior: elements of the (fits, batches, features, features) weight array per chunk
NP_CHUNK = 4_000_000


@dataclass(frozen=True)
class CombatFit:
    """ComBat estimates of ``k`` fits (arrays lead with the fit axis).

    ``beta_batch`` (k, B, p) and ``beta_mod`` (k, q, p) are the least-squares coefficients,
    ``grand_mean`` and ``var_pooled`` (k, p), ``mod_mean`` (k, q) the training mean of the covariate
    columns, ``gamma_hat``/``delta_hat`` and ``gamma_star``/``delta_star`` (k, B, p) the raw and
    shrunken batch location and scale, ``n_batch`` (k, B) the training rows per batch and ``n_iter``
    (k, B) the parametric iterations (0 otherwise).
    """

    beta_batch: np.ndarray
    beta_mod: np.ndarray
    grand_mean: np.ndarray
    var_pooled: np.ndarray
    mod_mean: np.ndarray
    gamma_hat: np.ndarray
    delta_hat: np.ndarray
    gamma_star: np.ndarray
    delta_star: np.ndarray
    n_batch: np.ndarray
    n_iter: np.ndarray

    def take(self, i: int) -> CombatFit:
        """Fit ``i`` alone (a ``k = 1`` fit)."""
        return CombatFit(**{name: getattr(self, name)[i: i + 1] for name in self.__dataclass_fields__})


def _onehot(codes: np.ndarray, n_levels: int) -> np.ndarray:
    return (codes[:, None] == np.arange(n_levels)[None, :]).astype(float)


def fit_combat(
    Y: np.ndarray,
    codes: np.ndarray,
    n_levels: int,
    mod: np.ndarray | None = None,
    mask: np.ndarray | None = None,
    *,
    parametric: bool = True,
    eb: bool = True,
    conv: float = CONV,
    names: list[str] | None = None,
    levels: list[str] | None = None,
) -> CombatFit:
    """Estimate ComBat on the rows of ``Y`` (n, p) marked by each row of ``mask`` (k, n).

    ``codes`` are batch codes ``0 .. n_levels - 1``; ``mod`` (n, q) the covariate columns without
    intercept (dummies and numeric columns); ``mask=None`` fits all rows once. A rank-deficient
    design in a fit (a covariate level absent from a fold) takes the minimum-norm solution; callers
    that need the design checked (``harmonize``) do so first. ``names`` and ``levels`` (feature and
    batch names) only improve error messages.
    """
    n, p = Y.shape
    M = np.ones((1, n)) if mask is None else np.atleast_2d(np.asarray(mask, dtype=float))
    mod = np.empty((n, 0)) if mod is None else mod
    B, q = n_levels, mod.shape[1]
    O = _onehot(codes, B)
    X = np.column_stack([O, mod])
    d = X.shape[1]
    # Gram matrices of every fit as one matrix product each (BLAS), not a loop over fits
    if mask is None:  # one fit on every row: plain cross-products (no (n, d, p) temporary)
        XtX, XtY = (X.T @ X)[None], (X.T @ Y)[None]
    else:
        XtX = (M @ (X[:, :, None] * X[:, None, :]).reshape(n, d * d)).reshape(-1, d, d)
        XtY = (M @ (X[:, :, None] * Y[:, None, :]).reshape(n, d * p)).reshape(-1, d, p)
    if M.shape[0] == 1:
        try:
            beta = np.linalg.solve(XtX, XtY)
        except np.linalg.LinAlgError:
            beta = np.linalg.pinv(XtX, hermitian=True) @ XtY
    else:
        beta = np.linalg.pinv(XtX, hermitian=True) @ XtY
    nb = M @ O  # (k, B)
    small = nb < 2
    if small.any():
        j = int(np.argwhere(small)[0][1])
        lev = levels[j] if levels else str(j)
        raise InsufficientDataError(
            f"ComBat: batch {lev!r} has {int(nb[small][0])} subject(s) among the rows it is estimated on; "
            "every batch needs at least 2 (merge it with a similar batch or drop it)."
        )
    n_tot = nb.sum(axis=1)
    grand = np.einsum("kb,kbp->kp", nb / n_tot[:, None], beta[:, :B])
    resid = Y[None] - X @ beta
    var_pooled = (M[:, None, :] @ resid**2)[:, 0] / n_tot[:, None]
    sd = np.sqrt(var_pooled)
    cov_part = mod @ beta[:, B:] if q else 0.0
    s = (Y[None] - grand[:, None, :] - cov_part) / sd[:, None, :]
    MOt = M[:, None, :] * O.T[None]  # (k, B, n): training rows of each batch
    gamma_hat = (MOt @ s) / nb[..., None]
    ssc = MOt @ (s - O @ gamma_hat) ** 2
    delta_hat = ssc / (nb[..., None] - 1)
    _check_scale(var_pooled, delta_hat, Y, names, levels)
    mod_mean = (M @ mod) / n_tot[:, None] if q else np.zeros((M.shape[0], 0))
    n_iter = np.zeros(nb.shape, dtype=np.int64)
    if not eb:
        gamma_star, delta_star = gamma_hat, delta_hat
    else:
        if p < 2:
            raise SpecificationError(
                "ComBat: empirical Bayes pools the batch effects across features and needs at least 2 "
                "features; use eb=False for one feature."
            )
        if parametric:
            gamma_star, delta_star, n_iter = _parametric(gamma_hat, delta_hat, ssc, nb, conv)
        else:
            gamma_star, delta_star = _nonparametric(gamma_hat, delta_hat, ssc, nb)
    return CombatFit(beta[:, :B], beta[:, B:], grand, var_pooled, mod_mean, gamma_hat, delta_hat,
                     gamma_star, delta_star, nb, n_iter)


def _check_scale(var_pooled: np.ndarray, delta_hat: np.ndarray, Y: np.ndarray, names: list[str] | None,
                 levels: list[str] | None) -> None:
    scale = 1e-12 * (1.0 + np.abs(Y).max(axis=0))
    bad = ~(var_pooled > scale**2)
    if bad.any():
        j = int(np.argwhere(bad)[0][1])
        raise SpecificationError(
            f"ComBat: feature {names[j] if names else j!r} has no variance left after the batch and "
            "covariate means are removed (it is constant or fully explained); remove it."
        )
    bad = ~(delta_hat > 1e-20)
    if bad.any():
        _, b, j = (int(v) for v in np.argwhere(bad)[0])
        raise SpecificationError(
            f"ComBat: feature {names[j] if names else j!r} is constant within batch "
            f"{levels[b] if levels else b!r}, so its batch scale cannot be estimated; remove the feature "
            "(sva::ComBat leaves such features unadjusted)."
        )


def _priors(gamma_hat: np.ndarray, delta_hat: np.ndarray) -> tuple[np.ndarray, ...]:
    """Hyper-parameters per fit and batch: gamma_bar, t2 and the inverse-gamma a, b (sva's method of moments)."""
    gamma_bar = gamma_hat.mean(axis=2)
    t2 = gamma_hat.var(axis=2, ddof=1)
    m = delta_hat.mean(axis=2)
    s2 = delta_hat.var(axis=2, ddof=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        a = (2 * s2 + m**2) / s2
        b = (m * s2 + m**3) / s2
    return gamma_bar, t2, a, b


def _parametric(gamma_hat: np.ndarray, delta_hat: np.ndarray, ssc: np.ndarray, nb: np.ndarray,
                conv: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """sva's ``it.sol`` for every fit and batch at once; each (fit, batch) stops by sva's own rule.

    ``sum((s - g)^2)`` over a batch is computed as ``ssc + n (gamma_hat - g)^2`` (exact identity).
    The stopping statistic is sva's ``max(abs(g_new - g_old) / g_old, abs(d_new - d_old) / d_old)``
    over the features, signed denominator included.
    """
    gamma_bar, t2, a, b = (x[..., None] for x in _priors(gamma_hat, delta_hat))
    n = nb[..., None].astype(float)
    g_old, d_old = gamma_hat.copy(), delta_hat.copy()
    active = np.ones(nb.shape, dtype=bool)
    count = np.zeros(nb.shape, dtype=np.int64)
    with np.errstate(divide="ignore", invalid="ignore"):
        for _ in range(MAX_ITER):
            g_new = (t2 * n * gamma_hat + d_old * gamma_bar) / (t2 * n + d_old)
            sum2 = ssc + n * (gamma_hat - g_new) ** 2
            d_new = (0.5 * sum2 + b) / (n / 2 + a - 1)
            change = np.maximum((np.abs(g_new - g_old) / g_old).max(axis=2),
                                (np.abs(d_new - d_old) / d_old).max(axis=2))
            upd = active[..., None]
            g_old = np.where(upd, g_new, g_old)
            d_old = np.where(upd, d_new, d_old)
            count += active
            active &= change > conv
            if not active.any():
                break
        else:
            warnings.warn(
                f"ComBat: the parametric empirical-Bayes iteration did not reach a relative change of {conv:g} "
                f"in {MAX_ITER} iterations; the last iterate is used.", ConvergenceWarning, stacklevel=4,
            )
    return g_old, d_old, count


def _nonparametric(gamma_hat: np.ndarray, delta_hat: np.ndarray, ssc: np.ndarray,
                   nb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """sva's ``int.eprior``: each feature's posterior mean over the other features' (gamma, delta).

    The likelihood of feature i's standardised values under feature j's (gamma_j, delta_j) is
    ``(2 pi d_j)^(-n/2) exp(-sum2_ij / (2 d_j))`` with ``sum2_ij = ssc_i + n (gamma_hat_i - gamma_j)^2``;
    the weights are normalised in log space (sva computes them directly and sets underflowed 0/0 to 0,
    which gives the same numbers wherever sva's are finite).
    """
    k, B, p = gamma_hat.shape
    g_star = np.empty_like(gamma_hat)
    d_star = np.empty_like(delta_hat)
    step = max(1, NP_CHUNK // max(1, B * p * p))
    eye = np.eye(p, dtype=bool)
    for lo in range(0, k, step):
        sl = slice(lo, lo + step)
        g, d, s, n = gamma_hat[sl], delta_hat[sl], ssc[sl], nb[sl][..., None, None].astype(float)
        sum2 = s[..., :, None] + n * (g[..., :, None] - g[..., None, :]) ** 2  # (k, B, i, j)
        loglh = -0.5 * n * np.log(2 * np.pi * d[..., None, :]) - sum2 / (2 * d[..., None, :])
        loglh[..., eye] = -np.inf
        loglh -= loglh.max(axis=-1, keepdims=True)
        w = np.exp(loglh)
        w /= w.sum(axis=-1, keepdims=True)
        g_star[sl] = np.einsum("kbij,kbj->kbi", w, g)
        d_star[sl] = np.einsum("kbij,kbj->kbi", w, d)
    return g_star, d_star


def adjust_fitted(fit: CombatFit, Y: np.ndarray, codes: np.ndarray, mod: np.ndarray | None = None) -> np.ndarray:
    """Harmonise rows with their own covariates (sva's output for the rows of the fit): (k, n, p)."""
    cov_part = np.einsum("nq,kqp->knp", mod, fit.beta_mod) if mod is not None and mod.shape[1] else 0.0
    stand = fit.grand_mean[:, None, :] + cov_part
    sd = np.sqrt(fit.var_pooled)[:, None, :]
    s = (Y[None] - stand) / sd
    g = fit.gamma_star[:, codes, :]
    d = fit.delta_star[:, codes, :]
    return (s - g) / np.sqrt(d) * sd + stand


def apply_fit(fit: CombatFit, Y: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Harmonise any rows of seen batches without reading their covariates: (k, n, p).

    The covariate part of every row is the training mean (``grand_mean + mod_mean @ beta_mod``), as
    ``neuroCombatFromTraining``; the map is affine per batch and feature.
    """
    stand = fit.grand_mean + np.einsum("kq,kqp->kp", fit.mod_mean, fit.beta_mod)
    sd = np.sqrt(fit.var_pooled)
    scale = 1.0 / np.sqrt(fit.delta_star)  # (k, B, p)
    shift = fit.gamma_star * sd[:, None, :]  # (k, B, p)
    return stand[:, None, :] + (Y[None] - stand[:, None, :] - shift[:, codes, :]) * scale[:, codes, :]


__all__ = ["CONV", "CombatFit", "adjust_fitted", "apply_fit", "fit_combat"]
