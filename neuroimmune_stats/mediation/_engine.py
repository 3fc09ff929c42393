"""Vectorised effects of a mediation model for a whole chunk of resamples at once.

Internal. A resample is a vector of case weights ``w`` (bootstrap counts, or leave-one-out
indicators for the jackknife). Every regression of the model is a function of the weighted first
and second moments of the standardised columns ``Z = [x, m..., y, covariates...]``, and those
moments for ``k`` resamples are one matrix product ``[Z, Z_i Z_j] ᵀ Wᵀ`` (``W`` of shape
``(k, n)``). Each equation is then solved for all ``k`` resamples by a Cholesky factorisation
written over the resample axis (``p`` ≤ a dozen pivots, each a vector operation of length ``k``).

A resample in which a regressor is constant (a factor level absent from the resample) or exactly
collinear with the others has a (near-)zero Cholesky pivot. Such resamples are detected per
equation (relative pivot below :data:`PIVOT_TOL`) and solved with the Moore–Penrose
pseudo-inverse instead: the minimum-norm least-squares solution, which gives a constant regressor
a coefficient of 0 (equivalent to dropping it from that resample). Their number is reported.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np

from ._spec import Equation, Prepared

#: relative Cholesky pivot (1 − R² of a regressor on the previous ones) treated as singular
PIVOT_TOL = 1e-10


@dataclass(frozen=True)
class Label:
    """One effect: ``term`` in the API vocabulary, ``mediator`` label, and whether it is a path."""

    term: str
    mediator: str | None
    path: bool


def _dot(x: list[np.ndarray], y: list[np.ndarray], upto: int) -> np.ndarray:
    """``x[0] * y[0] + ... + x[upto - 1] * y[upto - 1]`` (``upto`` ≥ 1), summed left to right."""
    acc = x[0] * y[0]
    for m in range(1, upto):
        acc += x[m] * y[m]
    return acc


def _rows_by(parts: Iterable[np.ndarray], block: int) -> Iterator[np.ndarray]:
    """Consecutive groups of ``block`` rows (the last may be shorter) of the concatenation of ``parts``.

    A part whose length is a multiple of ``block`` (a seed block of the bootstrap) is cut into
    views; only a group that straddles two parts is copied.
    """
    pending: list[np.ndarray] = []
    have = 0
    for part in parts:
        start, size = 0, part.shape[0]
        if have:
            take = min(block - have, size)
            pending.append(part[:take])
            have += take
            start = take
            if have < block:
                continue
            yield np.concatenate(pending)
            pending, have = [], 0
        while size - start >= block:
            yield part[start : start + block]
            start += block
        if start < size:
            pending.append(part[start:])
            have = size - start
    if have:
        yield pending[0] if len(pending) == 1 else np.concatenate(pending)


@functools.lru_cache(maxsize=64)
def _pair_layout(q: int) -> tuple[tuple[np.ndarray, np.ndarray], np.ndarray]:
    """The upper-triangle indices of ``q`` columns and the moment row of each pair (read-only, shared)."""
    iu = np.triu_indices(q)
    pair = np.zeros((q, q), dtype=np.intp)
    pair[iu] = np.arange(iu[0].size) + q
    pair[(iu[1], iu[0])] = pair[iu]
    for a in (*iu, pair):
        a.flags.writeable = False
    return iu, pair


class Engine:
    """Effects of one prepared model as a function of case weights."""

    def __init__(self, prep: Prepared) -> None:
        self.prep = prep
        z = prep.z
        self.n, self.q = z.shape
        iu, self.pair = _pair_layout(self.q)
        self.zp = np.ascontiguousarray(np.column_stack([z, z[:, iu[0]] * z[:, iu[1]]]))
        self.zpt = np.ascontiguousarray(self.zp.T)
        self.labels = self._labels()

    # ------------------------------------------------------------------ moments
    def moments_from_indices(self, idx: np.ndarray, block: int = 256) -> np.ndarray:
        """Moments for bootstrap index rows ``idx`` (k, n): shape (q + q(q+1)/2, k).

        The same numbers as :meth:`moments_from_blocks` of ``[idx]``.
        """
        return self.moments_from_blocks((idx,), idx.shape[0], block)

    def moments_from_blocks(self, blocks: Iterable[np.ndarray], k: int, block: int = 256) -> np.ndarray:
        """Moments for consecutive blocks of bootstrap index rows (``k`` rows in all): (q + q(q+1)/2, k).

        Case counts are formed ``block`` resamples at a time (small temporaries stay in cache) and
        multiplied from the left by the transposed moment columns, so the result is written in its
        final (moment, resample) layout without a transposing copy. Each block is reduced as it
        arrives (a generator of seed blocks is never concatenated). The products are taken over
        rows ``0:block``, ``block:2 block``, ... of the concatenated blocks whatever their lengths
        (a BLAS product may round a column differently with another width), so the numbers are
        those of :meth:`moments_from_indices` of the concatenation, bit for bit.
        """
        n = self.n
        block = max(1, min(block, 2**21 // n))  # at most ~16 MiB of counts at a time
        out = np.empty((self.zpt.shape[0], k))
        offsets = (n * np.arange(min(block, k)))[:, None]
        # offsets of the indices' own integer type (int32 bootstrap draws): an add without a cast
        typed = {offsets.dtype: offsets}
        s = 0
        for rows in _rows_by(blocks, block):
            kk = rows.shape[0]
            if s + kk > k:
                break
            off = typed.get(rows.dtype)
            if off is None:
                off = typed[rows.dtype] = offsets.astype(np.result_type(rows.dtype, np.int32))
            w = np.bincount((rows + off[:kk]).ravel(), minlength=kk * n).reshape(kk, n)
            np.matmul(self.zpt, w.T.astype(float), out=out[:, s : s + kk])
            s += kk
        if s != k:
            raise ValueError(f"moments_from_blocks: the blocks hold {s} resamples, not k = {k}.")
        out /= n
        return out

    def moments_jackknife(self) -> np.ndarray:
        """Leave-one-out moments, one column per left-out case: shape (q + q(q+1)/2, n)."""
        total = self.zp.sum(axis=0)
        return (total[:, None] - self.zp.T) / (self.n - 1)

    def moments_full(self) -> np.ndarray:
        return self.zp.mean(axis=0)[:, None]

    def point_estimate(self) -> np.ndarray:
        """Every effect of the full sample, shape (n_effects,)."""
        return self.effects(self.moments_full())[0][0]

    # ------------------------------------------------------------------ solving
    def _cov(self, g: np.ndarray, i: int, j: int) -> np.ndarray:
        return g[self.pair[i, j]] - g[i] * g[j]

    def wanted(self, eq: Equation) -> tuple[int, ...]:
        """The regressors of ``eq`` whose slopes :meth:`effects` reads: x and the mediators."""
        return tuple(r for r in eq.regressors if r < self.prep.n_roles)

    def _solve(self, g: np.ndarray, regs: tuple[int, ...], resp: int,
               want: tuple[int, ...] | None = None) -> tuple[dict[int, np.ndarray], np.ndarray]:
        """Slopes of ``resp`` on ``regs`` for every column of ``g`` (those in ``want``); and the singular mask.

        Cholesky factorisation of the regressors' covariance matrix, one vector operation over the
        resamples per entry of its lower triangle (the upper one is never formed), then forward and
        back substitution. Sums run left to right, as a written-out loop would. The regressors in
        ``want`` (default: all) are factored last, so the back substitution stops once their slopes
        are known: the covariates' slopes, never read, are not formed.
        """
        want = regs if want is None else want
        order = [r for r in regs if r not in want] + [r for r in regs if r in want]
        p = len(order)
        first = p - sum(r in want for r in regs)
        k = g.shape[1]
        pair = self.pair
        mu = [g[r] for r in order]
        low: list[list[np.ndarray]] = [[] for _ in range(p)]
        bad = np.zeros(k, dtype=bool)
        for j in range(p):
            rj = order[j]
            ajj = g[pair[rj, rj]] - mu[j] * mu[j]
            d = ajj if j == 0 else ajj - _dot(low[j], low[j], j)
            ok = (d > PIVOT_TOL * ajj) & (ajj > 1e-12)  # NaN pivots are singular too
            if ok.all():
                ljj = np.sqrt(d)
            else:
                bad |= ~ok
                ljj = np.sqrt(np.where(ok, d, 1.0))
            for i in range(j + 1, p):
                aij = g[pair[order[i], rj]] - mu[i] * mu[j]
                low[i].append((aij if j == 0 else aij - _dot(low[i], low[j], j)) / ljj)
            low[j].append(ljj)
        rhs = [g[pair[r, resp]] - mu[i] * g[resp] for i, r in enumerate(order)]
        u: list[np.ndarray] = []
        for i in range(p):
            u.append((rhs[i] if i == 0 else rhs[i] - _dot(low[i], u, i)) / low[i][i])
        beta: list[np.ndarray] = [np.zeros(k)] * p
        for i in reversed(range(first, p)):
            acc = u[i]
            if i + 1 < p:
                s = low[i + 1][i] * beta[i + 1]
                for m in range(i + 2, p):
                    s += low[m][i] * beta[m]
                acc = acc - s
            beta[i] = acc / low[i][i]
        if bad.any():
            rows = np.flatnonzero(bad)
            gr = g[:, rows]
            am = np.stack([np.stack([self._cov(gr, ri, rj) for rj in order], -1) for ri in order], 1)
            bm = np.stack([self._cov(gr, ri, resp) for ri in order], -1)
            sol = np.einsum("kij,kj->ki", np.linalg.pinv(am, rcond=1e-10), bm)
            beta = [b.copy() for b in beta]
            for i in range(first, p):
                beta[i][rows] = sol[:, i]
        return {order[i]: beta[i] for i in range(first, p)}, bad

    # ------------------------------------------------------------------ effects
    def _labels(self) -> list[Label]:
        meds = self.prep.mediators
        lab = [Label("a", m, True) for m in meds]
        if self.prep.serial:
            lab.append(Label("d", f"{meds[0]} -> {meds[1]}", True))
        lab += [Label("b", m, True) for m in meds]
        lab += [Label("c_prime", None, True), Label("c", None, True)]
        ind = self.indirect_names()
        lab += [Label("indirect", nm, False) for nm in ind]
        if len(ind) > 1:
            lab.append(Label("total_indirect", None, False))
            lab += [
                Label("contrast", f"{ind[i]} - {ind[j]}", False)
                for i in range(len(ind)) for j in range(i + 1, len(ind))
            ]
        for term in ("indirect_std", "indirect_partial_std"):
            lab += [Label(term, nm, False) for nm in ind]
            if len(ind) > 1:
                lab.append(Label(f"total_{term}", None, False))
        lab.append(Label("proportion_mediated", None, False))
        return lab

    def indirect_names(self) -> list[str]:
        meds = self.prep.mediators
        if self.prep.serial:
            return [meds[0], f"{meds[0]} -> {meds[1]}", meds[1]]
        return list(meds)

    def effects(self, g: np.ndarray, m: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """All effects for the moment columns ``g``: (k, n_effects) and the singular mask (k,).

        ``m`` is the sample size behind the moments (``n``; ``n - 1`` for the jackknife), used
        for the sample SDs (divisor ``m - 1``) of the partially standardised effects.
        """
        m = self.n if m is None else m
        prep = self.prep
        sc = prep.scale
        k = g.shape[1]
        bad = np.zeros(k, dtype=bool)
        coef: dict[str, dict[int, np.ndarray]] = {}
        for eq in prep.equations:
            beta, sing = self._solve(g, eq.regressors, eq.response, self.wanted(eq))
            bad |= sing
            coef[eq.name] = {r: b * (sc[eq.response] / sc[r]) for r, b in beta.items()}
        xi, yi = 0, len(prep.mediators) + 1
        mi = list(range(1, yi))
        a = [coef[f"m:{m}"][xi] for m in prep.mediators]
        b = [coef["y"][j] for j in mi]
        cols = [*a]
        if prep.serial:
            d = coef[f"m:{prep.mediators[1]}"][mi[0]]
            cols.append(d)
            ind = [a[0] * b[0], a[0] * d * b[1], a[1] * b[1]]
        else:
            ind = [ai * bi for ai, bi in zip(a, b, strict=True)]
        c = coef["total"][xi]
        cols += [*b, coef["y"][xi], c, *ind]
        total = sum(ind[1:], start=ind[0])
        if len(ind) > 1:
            cols.append(total)
            cols += [ind[i] - ind[j] for i in range(len(ind)) for j in range(i + 1, len(ind))]
        sdx = np.sqrt(np.maximum(self._cov(g, xi, xi), 0.0) * m / (m - 1)) * sc[xi]
        sdy = np.sqrt(np.maximum(self._cov(g, yi, yi), 0.0) * m / (m - 1)) * sc[yi]
        with np.errstate(divide="ignore", invalid="ignore"):
            for factor in (sdx / sdy, 1.0 / sdy):
                cols += [e * factor for e in ind]
                if len(ind) > 1:
                    cols.append(total * factor)
            cols.append(total / c)
        return np.stack(cols).T, bad  # (k, n_effects), each effect one contiguous run of k draws


__all__ = ["PIVOT_TOL", "Engine", "Label"]
