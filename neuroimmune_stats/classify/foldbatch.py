"""Every fold of a batch of label permutations in one Newton solve, on one shared design.

:class:`~neuroimmune_stats.classify.cv.FastModel` fits the folds one at a time, each on its own
confound-regressed and standardised copy of the features. This module gives the same fits without
building those copies. Within a training mask ``w``, the adjusted features are

.. math:: Z_w = (F - D\\,C_w)\\,S_w^{-1}, \\qquad C_w = (D^\\top W D)^{+} D^\\top W F

(``D`` the confound design with intercept, ``S_w`` the training SDs; the training mean of
``F - D C_w`` is zero because ``D`` holds the intercept), so the linear predictor of a fit is

.. math:: \\beta_0 + Z_w \\beta = G\\,\\gamma, \\qquad G = [D, F],\\quad
          \\gamma = (c,\\; -C_{w,1:}\\,\\tilde\\beta,\\; \\tilde\\beta),\\quad \\tilde\\beta = S_w^{-1}\\beta,

with ``c`` a free intercept. ``G`` is the same for every fold and permutation, so the products over
subjects (linear predictor, gradient, the Hessian's distinct entries) are single matrix products
over all fits at once; only a small ``(q x q) -> (p+1) x (p+1)`` reduction per fit remains. The map
``(c, beta~) -> (beta_0, beta)`` is linear and one-to-one, and Newton's method is invariant under
such maps, so the Newton iterates are those of
:func:`~neuroimmune_stats.classify.fastlogit.fit_l2_logistic_batched` on ``Z_w`` (same start, step
sizes measured on ``(beta_0, beta)``). Once a fit's Newton step is below :data:`CHORD_AFTER`, its
later steps reuse that step's inverse Hessian (chord steps, each shrinking the error by about that
step size) until a step is below ``CHORD_TOL * tol``. The optimum is the same, so are the test-fold
scores up to rounding (coefficients within 1e-10 of the per-fold solver's, within 1e-12 of
scikit-learn's on least-squares-adjusted features), hence the fold AUCs and the permutation p-value.

The feature columns of ``G`` are centred and scaled once on the whole sample, an affine change of
``F`` that leaves every ``Z_w`` unchanged and keeps the moment sums well conditioned. The confound
columns are left as they are: when a factor level is absent from a training fold, the minimum-norm
regression (coefficient 0 on the empty column) depends on the confounds' coding, and the per-fold
solver's is the one on ``D`` itself.

Examples
--------
>>> import numpy as np
>>> from neuroimmune_stats.classify.cv import CVDesign, FastModel
>>> rng = np.random.default_rng(0)
>>> F = rng.normal(size=(30, 3))
>>> y = (F[:, 0] + rng.normal(size=30) > 0).astype(float)
>>> cv = CVDesign(None, rng.random((2, 30)), 3)
>>> Y = np.stack([y, rng.permutation(y)])
>>> shared = SharedDesignCV(F, None, 1.0, cv).mean_auc(Y)
>>> folds = FastModel(F, None, 1.0, cv).run_by_fold(Y)
>>> bool(np.allclose(shared, folds, rtol=0, atol=1e-12))
True
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

import numpy as np
from scipy.special import expit

from ..exceptions import ConvergenceWarning
from .fastlogit import _one_blas_thread

if TYPE_CHECKING:
    from .cv import CVDesign

#: memory budget of the per-fit moment arrays of one batch (label rows are split to fit; speed only)
BATCH_BYTES = 32 * 2**20
#: fits per Newton solve: the per-fit arrays of a solve then stay in the CPU caches (speed only)
FITS_PER_SOLVE = 2048
#: a fit whose Newton step is below this keeps that step's Hessian for its next steps (chord steps; from
#: that close to the optimum each one shrinks the error by a factor of about the step size)
CHORD_AFTER = 1e-2
#: a chord step larger than this fraction of the step before it makes the next step a Newton step again
CHORD_RATE = 0.1
#: a chord step counts as converged below this fraction of ``tol``
CHORD_TOL = 1e-3
#: converged fits stay in the arrays of a solve (not updated) until the unconverged are fewer than this fraction
KEEP_CONVERGED = 0.7
#: training SDs at or below this are treated as 1, as :func:`~neuroimmune_stats.classify.cv.adjusted_features`
SD_FLOOR = 1e-12
#: a confound column whose training sum of squares is at most this fraction of the largest is absent from the fold
RANK_EPS = 1e-14


class SharedDesignCV:
    """Mean test-fold AUC of label rows over all repeated folds, fitted on the shared design ``[D, F]``.

    Parameters
    ----------
    F : ndarray of shape (n, p)
        Features.
    D : ndarray of shape (n, d) or None
        Confound design with intercept column first; None: no confounds (features only standardised).
    C : float
        Inverse regularisation strength of the L2 logistic regression.
    cv : CVDesign
        The folds.
    tol, max_iter : float, int
        Newton stopping rule, as :func:`~neuroimmune_stats.classify.fastlogit.fit_l2_logistic_batched`.
    """

    def __init__(self, F: np.ndarray, D: np.ndarray | None, C: float, cv: CVDesign, *,
                 tol: float = 1e-10, max_iter: int = 100):
        n, p = F.shape
        D = np.ones((n, 1)) if D is None else np.asarray(D, dtype=float)
        self.mean, self.raw_sd = F.mean(axis=0), F.std(axis=0)  # the centre and scale of F's columns in G
        Fs = (F - self.mean) / np.where(self.raw_sd > 0, self.raw_sd, 1.0)
        self.G = np.ascontiguousarray(np.column_stack([D, Fs]))  # (n, q), q = d + p
        self.d, self.p = D.shape[1], p
        q = self.d + p
        self.iu, self.ju = np.triu_indices(q)
        self.gg = np.ascontiguousarray(self.G[:, self.iu] * self.G[:, self.ju])  # (n, q(q+1)/2): distinct g g'
        full = np.empty((q, q), dtype=np.intp)
        full[self.iu, self.ju] = full[self.ju, self.iu] = np.arange(self.iu.size)
        self.full = full.ravel()  # packed position of each entry of a q x q matrix
        u_of = np.r_[0, self.d:q]  # gamma's entries that are u's: the intercept and the features
        self.idx_uu = full[np.ix_(u_of, u_of)].ravel()
        self.idx_du = full[np.ix_(np.arange(1, self.d), u_of)].ravel()
        self.idx_dd = full[np.ix_(np.arange(1, self.d), np.arange(1, self.d))].ravel()
        # the Hessian's blocks as products of G's columns, in the order _hessian reads them (one matrix product)
        self.gg_h = np.ascontiguousarray(np.take(self.gg, np.r_[self.idx_uu, self.idx_du, self.idx_dd], axis=1).T)
        self.diag = np.arange(p + 1)
        self.C, self.cv, self.tol, self.max_iter = float(C), cv, tol, max_iter

    def mean_auc(self, Y: np.ndarray) -> np.ndarray:
        """Mean AUC over the ``n_repeats x n_splits`` test folds, one per row of ``Y`` (k, n)."""
        Y = np.atleast_2d(np.asarray(Y, dtype=float))
        q = self.d + self.p
        per_row = 8 * self.cv.n_repeats * self.cv.n_splits * (q * (q + 1) + 2 * q * self.p + 6 * self.G.shape[0])
        rows = max(1, BATCH_BYTES // per_row)
        if Y.shape[0] > rows:
            return np.concatenate([self.mean_auc(Y[s:s + rows]) for s in range(0, Y.shape[0], rows)])
        order, eta, _ = self.fit_folds(Y)
        k, R, _ = order.shape
        S = self.cv.n_splits
        auc = np.empty((k, R, S))
        yy = np.broadcast_to(Y[:, None, :], order.shape)
        for f in range(S):
            te = order[:, :, f::S]
            auc[:, :, f] = _auc_pairs(np.take_along_axis(eta[:, :, f], te, axis=2), np.take_along_axis(yy, te, axis=2))
        out = np.zeros(k)
        for r in range(R):  # the summation order of FastModel.run_by_fold (same floats for the same AUCs)
            for f in range(S):
                out += auc[:, r, f]
        return out / (R * S)

    def fit_folds(self, Y: np.ndarray, slopes: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """Fit every fold of every label row of ``Y`` (k, n).

        Returns
        -------
        order : ndarray of shape (k, R, n)
            Subjects in dealing order: fold ``f`` of repeat ``r`` holds ``order[:, r, f::n_splits]``.
        eta : ndarray of shape (k, R, S, n)
            Each fold's linear predictor on every subject.
        coef : ndarray of shape (k, R, S, p) or None
            With ``slopes``, each fold's coefficients on its adjusted, standardised features.
        """
        with _one_blas_thread():
            order = self.cv.order(Y)
            k, R, n = order.shape
            S = self.cv.n_splits
            fold_of = np.empty_like(order)
            np.put_along_axis(fold_of, order, np.broadcast_to(np.arange(n) % S, order.shape), axis=2)
            # fits along the last axis, in (label row, repeat, fold) order
            W = (fold_of.transpose(2, 0, 1)[..., None] != np.arange(S)).astype(float).reshape(n, -1)
            eta, beta = self._fit(W, np.repeat(Y.T, R * S, axis=1))
        coef = beta.T.reshape(k, R, S, self.p) if slopes else None
        return order, eta.reshape(n, k, R, S).transpose(1, 2, 3, 0), coef

    def _fit(self, W: np.ndarray, Y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Linear predictors (n, B) and slopes (p, B) of the L2 logistic fits on the training rows ``W``
        (n, B) of ``Z_w``.

        Every per-fit array has the fits along its last axis, so the small per-fit algebra (the
        reduction of the Hessian, its inverse) is a few vector operations over all fits. The fits are
        solved :data:`FITS_PER_SOLVE` at a time (independent fits: speed only).
        """
        B = W.shape[1]
        if B > FITS_PER_SOLVE:
            parts = [self._fit(W[:, s:s + FITS_PER_SOLVE], Y[:, s:s + FITS_PER_SOLVE])
                     for s in range(0, B, FITS_PER_SOLVE)]
            return np.concatenate([e for e, _ in parts], axis=1), np.concatenate([b for _, b in parts], axis=1)
        d, p, G = self.d, self.p, self.G
        M = np.take(self.gg.T @ W, self.full, axis=0).reshape(d + p, d + p, -1)  # training moments of G
        coef = _least_squares(M[:d, :d], M[:d, d:])  # (d, p, B): the confound regression of each fit
        var = (np.diagonal(M[d:, d:], axis1=0, axis2=1).T - np.einsum("dpb,dpb->pb", coef, M[:d, d:])) / M[0, 0]
        sd = np.sqrt(np.maximum(var, 0.0))
        # the floor of adjusted_features, in raw units: sd > 1e-12 (1 + |training mean of the residual|), that mean
        # being 0 with confounds and the training mean of F without
        raw = np.where(self.raw_sd > 0, self.raw_sd, 1.0)[:, None]
        mean_raw = self.mean[:, None] + raw * coef[0] if d == 1 else 0.0
        sd = np.where(sd * raw > SD_FLOOR * (1 + np.abs(mean_raw)), sd, 1.0 / raw)
        ybar = np.clip((W * Y).sum(axis=0) / W.sum(axis=0), 1e-6, 1 - 1e-6)
        u = np.zeros((p + 1, W.shape[1]))
        u[0] = np.log(ybar / (1 - ybar))
        fits = _Fits(np.arange(W.shape[1]), u, W, Y, coef, sd, self.C)
        for _ in range(self.max_iter):
            fresh = fits.fresh & fits.live
            step = self._step(fits, fresh) * fits.live  # converged fits (live False) stay where they are
            fits.u -= step
            # the step on (beta_0, beta) = (c + coef_0 . beta~, sd * beta~), the coordinates of the per-fold solver
            size = np.maximum(np.abs(step[0] + np.einsum("pb,pb->b", fits.coef[0], step[1:])),
                              np.max(np.abs(fits.sd * step[1:]), axis=0))
            # a Newton step below CHORD_AFTER: keep its Hessian; a chord step that contracts too little: refresh it
            fits.fresh = np.where(fresh, size >= CHORD_AFTER, size > CHORD_RATE * fits.last)
            fits.last = size
            # converged: a Newton step below tol (the per-fold solver's rule), or a chord step below CHORD_TOL * tol (a
            # chord step shrinks the error by at least CHORD_RATE, so the error left is then below tol**2-ish levels)
            fits.live &= size >= np.where(fresh, self.tol, CHORD_TOL * self.tol)
            if not fits.live.any():
                break
            if fits.live.mean() < KEEP_CONVERGED:
                u[:, fits.idx] = fits.u
                fits = fits.take(fits.live)
        else:
            warnings.warn(f"batched logistic regression: {int(fits.live.sum())} fit(s) did not converge in "
                          f"{self.max_iter} Newton steps.", ConvergenceWarning, stacklevel=3)
        u[:, fits.idx] = fits.u
        return G @ _gamma(u, coef), sd * u[1:]

    def _step(self, fits: _Fits, fresh: np.ndarray) -> np.ndarray:
        """The steps (p + 1, A) of the fits at their current ``u``: Newton steps for the ``fresh`` fits (a
        new Hessian), chord steps (the inverse Hessian of an earlier step) for the others."""
        d, G = self.d, self.G
        mu = expit(G @ _gamma(fits.u, fits.coef))
        Wmu = fits.W * mu
        g = G.T @ (Wmu - fits.WY)  # gradient in gamma (q, A)
        grad = np.concatenate([g[:1], g[d:] - np.einsum("mpb,mb->pb", fits.coef[1:], g[1:d])]) + fits.pen * fits.u
        new = np.flatnonzero(fresh)
        if new.size == fresh.size:
            fits.Hinv = _spd_inverse(self._hessian(self.gg_h @ (Wmu - Wmu * mu), fits.pen, fits.ce))
        elif new.size:
            Wmu, mu = Wmu[:, new], mu[:, new]
            fits.Hinv[..., new] = _spd_inverse(self._hessian(self.gg_h @ (Wmu - Wmu * mu), fits.pen[:, new],
                                                             fits.ce[..., new]))
        return np.einsum("jkb,kb->jb", fits.Hinv, grad)

    def _hessian(self, P: np.ndarray, pen: np.ndarray, ce: np.ndarray) -> np.ndarray:
        """The Hessians in u (p + 1, p + 1, A) from the Hessian blocks in gamma ``P = gg_h @ v`` (overwritten)."""
        d, m = self.d, (self.p + 1) ** 2
        H = P[:m].reshape(self.p + 1, self.p + 1, -1)
        if d > 1:  # H_u = T' H_gamma T = H00 + X + X', X = C' (H_DD C / 2 - H_D0), C = (0, coef_{1:}) (d - 1, p + 1)
            HD0 = P[m:m + (d - 1) * (self.p + 1)].reshape(d - 1, self.p + 1, -1)
            HDD = P[m + (d - 1) * (self.p + 1):].reshape(d - 1, d - 1, -1)
            U = -HD0
            for j in range(d - 1):
                U += 0.5 * HDD[:, j, None] * ce[j]
            X = np.einsum("mjb,mkb->jkb", ce, U)
            H += X + X.transpose(1, 0, 2)
        H[self.diag, self.diag] += pen
        return H


class _Fits:
    """The fits still iterating (along the last axis): global index, ``u`` and what their steps need."""

    def __init__(self, idx: np.ndarray, u: np.ndarray, W: np.ndarray, Y: np.ndarray, coef: np.ndarray,
                 sd: np.ndarray, C: float, pen: np.ndarray | None = None, ce: np.ndarray | None = None):
        self.idx, self.u, self.W, self.Y, self.coef, self.sd = idx, u, W, Y, coef, sd
        if pen is None:
            pen = np.concatenate([np.zeros((1, u.shape[1])), sd**2 / C])
        if ce is None:
            ce = np.concatenate([np.zeros((coef.shape[0] - 1, 1, u.shape[1])), coef[1:]], axis=1)
        self.pen, self.ce, self.C = pen, ce, C
        q, A = u.shape
        self.WY = W * Y
        self.Hinv = np.empty((q, q, A))  # inverse Hessian of each fit's last Newton step (for chord steps)
        self.fresh = np.ones(A, dtype=bool)  # the next step computes a new Hessian (a Newton step)
        self.live = np.ones(A, dtype=bool)  # not converged yet
        self.last = np.full(A, np.inf)  # size of the last step

    def take(self, keep: np.ndarray) -> _Fits:
        """The fits ``keep`` (a boolean mask) only."""
        out = _Fits(self.idx[keep], self.u[:, keep], self.W[:, keep], self.Y[:, keep], self.coef[..., keep],
                    self.sd[:, keep], self.C, self.pen[:, keep], self.ce[..., keep])
        out.Hinv, out.fresh, out.live, out.last = (self.Hinv[..., keep], self.fresh[keep], self.live[keep],
                                                   self.last[keep])
        return out


def _gamma(u: np.ndarray, coef: np.ndarray) -> np.ndarray:
    """gamma = (c, -coef_{1:} beta~, beta~) (d + p, B) for u = (c, beta~) (p + 1, B)."""
    return np.concatenate([u[:1], -np.einsum("mpb,pb->mb", coef[1:], u[1:]), u[1:]])


def _spd_inverse(H: np.ndarray) -> np.ndarray:
    """Inverses (m, m, B) of the symmetric positive definite ``H[..., b]``, vectorised over the last axis.

    By the Cholesky factor ``L`` and its inverse, row by row (``H^-1 = L^-T L^-1``); a matrix that is
    not positive definite in floating point is inverted by LU instead, as the per-fold solver does.
    """
    m = H.shape[0]
    L = H.copy()
    for j in range(m):
        if j:
            L[j:, j] -= np.einsum("ikb,kb->ib", L[j:, :j], L[j, :j])
        L[j, j] = np.sqrt(L[j, j])
        L[j + 1:, j] /= L[j, j]
    Li = np.zeros_like(L)
    for i in range(m):
        Li[i, i] = 1.0 / L[i, i]
        if i:
            Li[i, :i] = -np.einsum("kb,kjb->jb", L[i, :i], Li[:i, :i]) * Li[i, i]
    inv = np.einsum("kib,kjb->ijb", Li, Li)
    bad = ~np.isfinite(inv).all(axis=(0, 1))
    if bad.any():
        inv[..., bad] = np.linalg.inv(H[..., bad].transpose(2, 0, 1)).transpose(1, 2, 0)
    return inv


def _least_squares(DtD: np.ndarray, DtF: np.ndarray) -> np.ndarray:
    """``pinv(DtD) @ DtF`` per fit (fits along the last axis), by one batched solve when every ``DtD`` is
    positive definite.

    A confound level absent from a training fold leaves a zero row and column in its ``DtD``; a unit
    diagonal there gives that coefficient 0 and the others unchanged, the minimum-norm solution. Any
    other singular case takes the pseudo-inverse, as :func:`~neuroimmune_stats.classify.cv.adjusted_features`.
    """
    A, rhs = DtD.transpose(2, 0, 1), DtF.transpose(2, 0, 1)
    d = A.shape[1]
    diag = np.diagonal(A, axis1=1, axis2=2)
    empty = diag <= RANK_EPS * diag.max(axis=1, keepdims=True)
    A = A.copy()
    A[:, np.arange(d), np.arange(d)] += empty
    try:
        np.linalg.cholesky(A)
        out = np.linalg.solve(A, np.where(empty[..., None], 0.0, rhs))
    except np.linalg.LinAlgError:
        out = np.linalg.pinv(DtD.transpose(2, 0, 1), hermitian=True) @ rhs
    return out.transpose(1, 2, 0)


def _auc_pairs(score: np.ndarray, y: np.ndarray) -> np.ndarray:
    """AUC over the last axis (Mann-Whitney, ties 1/2; 0.5 for a single class), as ``masked_auc``."""
    pos, neg = y, 1.0 - y
    gt = (score[..., :, None] > score[..., None, :]) + 0.5 * (score[..., :, None] == score[..., None, :])
    num = np.einsum("...i,...ij,...j->...", pos, gt, neg)
    den = pos.sum(axis=-1) * neg.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1), 0.5)


__all__ = ["BATCH_BYTES", "SharedDesignCV"]
