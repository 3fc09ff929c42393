"""Batched L2 logistic regression: many label vectors (and folds) fitted at once by Newton/IRLS.

scikit-learn's ``LogisticRegression`` (L2 penalty, ``fit_intercept=True``, any solver except
``liblinear``) minimises

.. math:: C \\sum_i \\ell(y_i, \\beta_0 + x_i^\\top \\beta) + \\tfrac12 \\lVert\\beta\\rVert^2

with the intercept unpenalised. Its minimiser is unique, so a Newton solver run to convergence
gives the same coefficients (to the tolerance of sklearn's own solver). Here all ``B`` label vectors
of a permutation test share one design matrix, so one Newton step for all of them costs a few
batched matrix products and one batched ``solve``; this is where the speed of
:func:`~neuroimmune_stats.classify.evaluate_classifier` comes from.

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


_DEPTH = [0]


@contextmanager
def _one_blas_thread() -> Iterator[None]:
    """Small batched products run fastest on one BLAS thread (and do not oversubscribe joblib)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl ships with scikit-learn
        yield
        return
    if _DEPTH[0]:  # already limited by an outer call (entering threadpoolctl costs milliseconds)
        yield
        return
    _DEPTH[0] += 1
    try:
        with threadpool_limits(limits=1, user_api="blas"):
            yield
    finally:
        _DEPTH[0] -= 1


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
