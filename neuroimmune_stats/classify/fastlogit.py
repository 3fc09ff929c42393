"""Batched L2 logistic regression: many label vectors (and folds) fitted at once by Newton/IRLS.

scikit-learn's ``LogisticRegression`` (L2 penalty, ``fit_intercept=True``, any solver except
``liblinear``) minimises

.. math:: C \\sum_i \\ell(y_i, \\beta_0 + x_i^\\top \\beta) + \\tfrac12 \\lVert\\beta\\rVert^2

with the intercept unpenalised. Its minimiser is unique, so a Newton solver run to convergence
gives the same coefficients (to the tolerance of sklearn's own solver). Here all ``B`` label vectors
of a permutation test share one design matrix, so one Newton step for all of them costs a few
batched matrix products and one batched ``solve``; this is where the speed of
:func:`~neuroimmune_stats.classify.evaluate_classifier` comes from.

Wide data (more features than subjects, ``p > n``) are fitted in the *row space* of the training
rows instead: the minimiser satisfies ``beta = -C * sum_i w_i (mu_i - y_i) x_i``, so it lies in the
span of the training rows, and with an orthonormal basis ``V`` of that span (from the eigenvectors of
the ``n x n`` Gram matrix of the training rows) ``beta = V gamma`` gives the same objective with
``||beta|| = ||gamma||``. The Newton solve then works with ``n + 1`` unknowns instead of ``p + 1``:
time linear in ``p`` and memory ``O(n p + n^2)`` per fit instead of ``O(p^2)`` (10,000 features:
a few MB instead of 0.8 GB per fit, or 17 GB for the packed Hessian of the shared-design solver).
The minimiser is unique, so both forms give the same coefficients (tested to 1e-8, and the same
AUCs to 1e-10).

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> X = rng.normal(size=(40, 3))
>>> y = (X[:, 0] + rng.normal(size=40) > 0).astype(float)
>>> coef, intercept = fit_l2_logistic(X, y[None, :], C=1.0)
>>> coef.shape, intercept.shape
((1, 3), (1,))
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from ..exceptions import ConvergenceWarning

#: solvers whose objective is the one solved here (liblinear also penalises the intercept)
FAST_SOLVERS = frozenset({"lbfgs", "newton-cg", "newton-cholesky", "sag", "saga"})


def is_fast_logistic(estimator: Any) -> bool:
    """True when ``estimator`` is a plain L2 ``LogisticRegression`` that the batched solver reproduces."""
    from sklearn.linear_model import LogisticRegression

    if type(estimator) is not LogisticRegression:
        return False
    p = estimator.get_params()
    penalty = p.get("penalty", "deprecated")
    l1_ratio = p.get("l1_ratio", None)
    c = p.get("C", 1.0)
    return bool(
        penalty in ("l2", "deprecated")
        and (l1_ratio is None or (penalty == "deprecated" and l1_ratio == 0) or penalty == "l2")
        and p.get("fit_intercept", True)
        and p.get("class_weight") is None
        and p.get("solver", "lbfgs") in FAST_SOLVERS
        and isinstance(c, (int, float, np.floating))
        and np.isfinite(c)
        and c > 0
    )


#: eigenvalues of the training Gram matrix below this fraction of the largest span no direction
RANK_TOL = 1e-10


def use_row_space(n: int, p: int) -> bool:
    """True when the row-space (kernel) form is the smaller problem: more features than rows."""
    return p > n


_DEPTH = [0]


@contextmanager
def _one_blas_thread() -> Iterator[None]:
    """Small batched products run fastest on one BLAS thread (and do not oversubscribe joblib)."""
    if _DEPTH[0]:  # already limited by an outer call
        yield
        return
    controller = _controller()
    if controller is None:  # pragma: no cover - threadpoolctl is a dependency
        yield
        return
    _DEPTH[0] += 1
    try:
        with controller.limit(limits=1, user_api="blas"):
            yield
    finally:
        _DEPTH[0] -= 1


_CONTROLLER: list[Any] = []


def _controller() -> Any:
    """One ``threadpoolctl.ThreadpoolController`` per process: finding the loaded BLAS libraries is
    what costs milliseconds in ``threadpool_limits``; limiting through a kept controller costs
    microseconds (the BLAS of numpy, loaded before this module, is the one the solvers call)."""
    if not _CONTROLLER:
        try:
            from threadpoolctl import ThreadpoolController
        except ImportError:  # pragma: no cover
            _CONTROLLER.append(None)
        else:
            _CONTROLLER.append(ThreadpoolController())
    return _CONTROLLER[0]


def _expit(z: np.ndarray) -> np.ndarray:
    out = np.empty_like(z)
    pos = z >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-z[pos]))
    ez = np.exp(z[~pos])
    out[~pos] = ez / (1.0 + ez)
    return out


def fit_l2_logistic(
    X: np.ndarray,
    Y: np.ndarray,
    *,
    C: float = 1.0,
    tol: float = 1e-10,
    max_iter: int = 100,
) -> tuple[np.ndarray, np.ndarray]:
    """Fit L2 logistic regression for every row of ``Y`` with the shared design ``X``.

    Parameters
    ----------
    X : ndarray of shape (n, p)
        Features (no intercept column; the intercept is added and left unpenalised).
    Y : ndarray of shape (B, n)
        0/1 labels, one row per fit (e.g. the observed labels and their permutations).
    C : float, default=1.0
        Inverse regularisation strength, as in scikit-learn.
    tol : float, default=1e-10
        Stop when the largest Newton step over all fits is below ``tol``.
    max_iter : int, default=100
        Maximum number of Newton iterations.

    Returns
    -------
    coef : ndarray of shape (B, p)
    intercept : ndarray of shape (B,)
    """
    X = np.asarray(X, dtype=float)
    Y = np.asarray(Y, dtype=float)
    n, p = X.shape
    if use_row_space(n, p):  # beta = V gamma with V an orthonormal basis of the rows (thin SVD)
        _, sv, Vt = np.linalg.svd(X, full_matrices=False)
        Vt = Vt[sv > np.sqrt(RANK_TOL) * max(float(sv.max(initial=0.0)), np.finfo(float).tiny)]
        gamma, b0 = _fit_shared(X @ Vt.T, Y, C, tol, max_iter)
        return gamma @ Vt, b0
    return _fit_shared(X, Y, C, tol, max_iter)


def _fit_shared(X: np.ndarray, Y: np.ndarray, C: float, tol: float, max_iter: int) -> tuple[np.ndarray, np.ndarray]:
    """The primal Newton solve of :func:`fit_l2_logistic` (``p + 1`` unknowns)."""
    n, p = X.shape
    B = Y.shape[0]
    Z = np.column_stack([np.ones(n), X])  # (n, q)
    q = p + 1
    pen = np.full(q, 1.0 / C)
    pen[0] = 0.0
    beta = np.zeros((B, q))
    # start the intercept at the log-odds of each label vector (damps the first step)
    ybar = np.clip(Y.mean(axis=1), 1e-6, 1 - 1e-6)
    beta[:, 0] = np.log(ybar / (1 - ybar))
    iu, ju = np.triu_indices(q)
    zz = Z[:, iu] * Z[:, ju]  # (n, q(q+1)/2): the Hessian's distinct entries, reused each step

    def grad_hess(active: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        mu = _expit(b @ Z.T)  # (A, n)
        grad = (mu - Y[active]) @ Z + b * pen  # (A, q)
        packed = (mu * (1.0 - mu)) @ zz
        H = np.empty((active.size, q, q))
        H[:, iu, ju] = packed
        H[:, ju, iu] = packed
        return grad, H

    return _newton(beta, grad_hess, pen, tol, max_iter)


def fit_l2_logistic_batched(
    X: np.ndarray,
    Y: np.ndarray,
    W: np.ndarray,
    *,
    C: float = 1.0,
    tol: float = 1e-10,
    max_iter: int = 100,
) -> tuple[np.ndarray, np.ndarray]:
    """Like :func:`fit_l2_logistic` with one design per fit and 0/1 case weights.

    Parameters
    ----------
    X : ndarray of shape (B, n, p)
        One design per fit (e.g. per permutation, after that permutation's confound regression).
    Y : ndarray of shape (B, n)
        0/1 labels.
    W : ndarray of shape (B, n)
        Case weights; 1 for the training rows of the fit, 0 for rows left out (its test fold).

    Returns
    -------
    coef : ndarray of shape (B, p)
    intercept : ndarray of shape (B,)

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> X = rng.normal(size=(2, 30, 2))
    >>> Y = (rng.random((2, 30)) < 0.5).astype(float)
    >>> W = np.ones((2, 30))
    >>> c1, _ = fit_l2_logistic_batched(X, Y, W)
    >>> c2, _ = fit_l2_logistic(X[0], Y[:1])
    >>> bool(np.allclose(c1[0], c2[0]))
    True
    """
    X = np.asarray(X, dtype=float)
    Y = np.asarray(Y, dtype=float)
    W = np.asarray(W, dtype=float)
    if use_row_space(*X.shape[1:]):
        return _fit_row_space(X, Y, W, C, tol, max_iter)
    return _fit_batched(X, Y, W, C, tol, max_iter)


def _fit_batched(X: np.ndarray, Y: np.ndarray, W: np.ndarray, C: float, tol: float,
                 max_iter: int) -> tuple[np.ndarray, np.ndarray]:
    """The primal Newton solve of :func:`fit_l2_logistic_batched` (``p + 1`` unknowns)."""
    B, n, p = X.shape
    q = p + 1
    Z = np.concatenate([np.ones((B, n, 1)), X], axis=2)
    pen = np.full(q, 1.0 / C)
    pen[0] = 0.0
    beta = np.zeros((B, q))
    ybar = np.clip((W * Y).sum(axis=1) / W.sum(axis=1), 1e-6, 1 - 1e-6)
    beta[:, 0] = np.log(ybar / (1 - ybar))

    def grad_hess(active: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        Za, Wa = Z[active], W[active]
        mu = _expit((Za @ b[..., None])[..., 0])  # (A, n)
        Zt = Za.transpose(0, 2, 1)  # (A, q, n)
        grad = (Zt @ (Wa * (mu - Y[active]))[..., None])[..., 0] + b * pen
        return grad, (Zt * (Wa * mu * (1.0 - mu))[:, None, :]) @ Za

    return _newton(beta, grad_hess, pen, tol, max_iter)


def _fit_row_space(X: np.ndarray, Y: np.ndarray, W: np.ndarray, C: float, tol: float,
                   max_iter: int) -> tuple[np.ndarray, np.ndarray]:
    """:func:`fit_l2_logistic_batched` in an orthonormal basis of each fit's training rows (p > n).

    ``K = X X'`` (B, n, n); the training block ``K_tt = U diag(lam) U'`` gives the basis
    ``V = X_t' U lam^(-1/2)`` of the training rows' span, so every row's reduced features are
    ``X V = K_{., t} U lam^(-1/2)`` and ``beta = V gamma``; directions with ``lam`` below
    :data:`RANK_TOL` of the largest (e.g. the centring direction of standardised features) carry no
    information and get a zero column (their ``gamma`` stays 0).
    """
    m = (W > 0).astype(float)
    K = X @ X.transpose(0, 2, 1)
    lam, U = np.linalg.eigh(K * (m[:, :, None] * m[:, None, :]))
    keep = lam > RANK_TOL * np.maximum(lam.max(axis=1, keepdims=True), np.finfo(float).tiny)
    scale = np.where(keep, 1.0 / np.sqrt(np.where(keep, lam, 1.0)), 0.0)
    A = U * m[:, :, None] * scale[:, None, :]  # (B, n, n): V = X' A (test rows carry no weight)
    gamma, b0 = _fit_batched(K @ A, Y, W, C, tol, max_iter)
    return np.einsum("bn,bnp->bp", (A @ gamma[..., None])[..., 0], X), b0


def _newton(
    beta: np.ndarray,
    grad_hess: Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]],
    pen: np.ndarray,
    tol: float,
    max_iter: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Batched Newton iterations shared by both solvers; fits drop out as they converge."""
    diag = np.arange(beta.shape[1])
    active = np.arange(beta.shape[0])
    with _one_blas_thread():
        for _ in range(max_iter):
            b = beta[active]
            grad, H = grad_hess(active, b)
            H[:, diag, diag] += pen
            step = np.linalg.solve(H, grad[..., None])[..., 0]
            beta[active] = b - step
            active = active[np.max(np.abs(step), axis=1) >= tol]
            if active.size == 0:
                break
        else:
            import warnings

            warnings.warn(
                f"batched logistic regression: {active.size} fit(s) did not converge in "
                f"{max_iter} Newton steps.",
                ConvergenceWarning,
                stacklevel=3,
            )
    return beta[:, 1:], beta[:, 0]


__all__ = ["FAST_SOLVERS", "fit_l2_logistic", "fit_l2_logistic_batched", "is_fast_logistic"]
