"""A compiled No-U-Turn sampler for the regressions of a mediation model (numba, cached on disk).

Internal engine of ``bayes_mediate(method="nuts")``. Each chain of each equation is one call of
:func:`run_chain`, compiled by numba once per installation (``cache=True`` writes the machine code
next to this file, or to numba's user cache), so a new process pays no compilation and a new model
structure none either: the model enters as arrays, not as code.

Algorithm (Stan's, Betancourt 2017 "A conceptual introduction to Hamiltonian Monte Carlo"):

* multinomial NUTS: the trajectory doubles in a random direction until the generalised no-U-turn
  criterion fails on the whole tree, on any subtree or across two merged subtrees (the extra
  checks of Stan ≥ 2.26), or until the energy error exceeds 1000 (a divergence, the subtree is
  rejected); the draw is chosen by biased progressive sampling between the old tree and the new
  subtree and multinomially within a subtree; maximum tree depth 10;
* warm-up: dual averaging of the step size to a mean acceptance statistic of ``target_accept``
  (Hoffman & Gelman 2014, γ = 0.05, t₀ = 10, κ = 0.75) and a diagonal mass matrix estimated in
  Stan's expanding windows (75 / 25·2ᵏ / 50 iterations, 15% / 75% / 10% for short warm-ups),
  regularised as Stan does (``n/(n+5)·var + 1e-3·5/(n+5)``).

Targets (``kind``), in unconstrained coordinates, each with its analytic gradient:

* ``0`` - normal regression, conjugate prior, whitened coefficients θ and ``u = log σ²``:
  ``log p = -(a₀ + (n+P)/2)·u - (bₙ + s²|θ|²/2)·e^{-u}`` (``P`` coefficients; the data enter
  through the sufficient statistics ``bₙ`` and ``s``, see :mod:`.nuts`);
* ``1`` - Student-t regression, the same priors plus ``ν ~ Gamma(2, 0.1)`` on ``w = log ν``,
  one pass over the ``n`` observations per evaluation.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

MAX_ENERGY_ERROR = 1000.0


@njit(cache=True)
def _digamma(x: float) -> float:
    r = 0.0
    while x < 6.0:
        r -= 1.0 / x
        x += 1.0
    f = 1.0 / (x * x)
    return r + math.log(x) - 0.5 / x - f * (1.0 / 12 - f * (1.0 / 120 - f * (1.0 / 252 - f * (1.0 / 240 - f / 132))))


@njit(cache=True)
def logp_grad(kind: int, q: np.ndarray, g: np.ndarray, fp: np.ndarray, A: np.ndarray, r0: np.ndarray,
              Bm: np.ndarray, d0: np.ndarray, v0: np.ndarray) -> float:
    """Log-density at ``q``; writes its gradient into ``g``.

    ``fp``: kind 0 ``[a₀ + (n+P)/2, bₙ, s²]``; kind 1 ``[a₀, b₀]``. Kind 1 uses the residuals
    ``r = r0 - A θ`` and the prior deviations ``β - μ₀ = d0 + Bm θ`` with prior precisions ``v0/σ²``.
    """
    D = q.shape[0]
    if kind == 0:
        P = D - 1
        t2 = 0.0
        for i in range(P):
            t2 += q[i] * q[i]
        u = q[P]
        e = math.exp(-u)
        c = fp[1] + 0.5 * fp[2] * t2
        for i in range(P):
            g[i] = -fp[2] * e * q[i]
        g[P] = -fp[0] + c * e
        return -fp[0] * u - c * e
    P = D - 2
    u, w = q[P], q[P + 1]
    if u > 700.0 or u < -700.0 or w > 700.0 or w < -700.0:
        for i in range(D):
            g[i] = 0.0
        return -np.inf
    s2, nu = math.exp(u), math.exp(w)
    n = r0.shape[0]
    for i in range(D):
        g[i] = 0.0
    lp = n * (math.lgamma(0.5 * (nu + 1)) - math.lgamma(0.5 * nu) - 0.5 * math.log(math.pi * nu)) - 0.5 * n * u
    du = -0.5 * n
    dnu = n * (0.5 * _digamma(0.5 * (nu + 1)) - 0.5 * _digamma(0.5 * nu) - 0.5 / nu)
    for i in range(n):
        r = r0[i]
        for j in range(P):
            r -= A[i, j] * q[j]
        z = r * r / (nu * s2)
        l1 = math.log1p(z)
        lp -= 0.5 * (nu + 1) * l1
        wgt = (nu + 1) * r / (nu * s2 + r * r)
        for j in range(P):
            g[j] += wgt * A[i, j]
        du += 0.5 * (nu + 1) * z / (1 + z)
        dnu += -0.5 * l1 + 0.5 * (nu + 1) * z / (nu * (1 + z))
    quad = 0.0
    for j in range(P):
        dj = d0[j]
        for k in range(P):
            dj += Bm[j, k] * q[k]
        quad += v0[j] * dj * dj
        for k in range(P):
            g[k] -= v0[j] * dj * Bm[j, k] / s2
    lp += -0.5 * P * u - 0.5 * quad / s2 - fp[0] * u - fp[1] / s2 + 2.0 * w - 0.1 * nu
    g[P] = du - 0.5 * P + 0.5 * quad / s2 - fp[0] + fp[1] / s2
    g[P + 1] = dnu * nu + 2.0 - 0.1 * nu
    return lp


@njit(cache=True)
def _kinetic(p: np.ndarray, minv: np.ndarray) -> float:
    s = 0.0
    for i in range(p.shape[0]):
        s += minv[i] * p[i] * p[i]
    return 0.5 * s


@njit(cache=True)
def _crit(ps1: np.ndarray, ps2: np.ndarray, rho: np.ndarray) -> bool:
    a = 0.0
    b = 0.0
    for i in range(rho.shape[0]):
        a += ps1[i] * rho[i]
        b += ps2[i] * rho[i]
    return a > 0.0 and b > 0.0


@njit(cache=True)
def _leapfrog(kind: int, q: np.ndarray, p: np.ndarray, g: np.ndarray, eps: float, minv: np.ndarray,
              fp: np.ndarray, A: np.ndarray, r0: np.ndarray, Bm: np.ndarray, d0: np.ndarray, v0: np.ndarray
              ) -> float:
    """One leapfrog step in place; returns the new log-density."""
    D = q.shape[0]
    for i in range(D):
        p[i] += 0.5 * eps * g[i]
        q[i] += eps * minv[i] * p[i]
    lp = logp_grad(kind, q, g, fp, A, r0, Bm, d0, v0)
    for i in range(D):
        p[i] += 0.5 * eps * g[i]
    return lp


@njit(cache=True)
def _logaddexp(a: float, b: float) -> float:
    if a == -np.inf:
        return b
    if b == -np.inf:
        return a
    m = max(a, b)
    return m + math.log(math.exp(a - m) + math.exp(b - m))


@njit(cache=True)
def transition(rng: np.random.Generator, kind: int, q: np.ndarray, g: np.ndarray, lp: float, eps: float,
               minv: np.ndarray, max_depth: int, fp: np.ndarray, A: np.ndarray, r0: np.ndarray, Bm: np.ndarray,
               d0: np.ndarray, v0: np.ndarray, out_q: np.ndarray, out_g: np.ndarray, stats: np.ndarray) -> float:
    """One multinomial NUTS iteration from ``(q, g, lp)``; the draw goes to ``out_q``/``out_g``.

    ``stats`` receives ``[accept_stat, diverging, depth, n_steps, energy]``; returns the new log-density.
    """
    D = q.shape[0]
    p0 = np.empty(D)
    for i in range(D):
        p0[i] = rng.standard_normal() / math.sqrt(minv[i])
    h0 = -lp + _kinetic(p0, minv)
    qm, pm, gm = q.copy(), p0.copy(), g.copy()
    qp, pp, gp = q.copy(), p0.copy(), g.copy()
    rho = p0.copy()
    log_w = 0.0
    out_q[:] = q
    out_g[:] = g
    out_lp = lp
    prop_p = p0.copy()
    # per-level records of completed subtrees: rho, begin p and p#, end p and p#
    L = max_depth + 1
    lr, lbp, lbs = np.empty((L, D)), np.empty((L, D)), np.empty((L, D))
    lep, les = np.empty((L, D)), np.empty((L, D))
    cq, cp, cg = np.empty(D), np.empty(D), np.empty(D)
    sq, sg, sp = np.empty(D), np.empty(D), np.empty(D)
    crho, cbp, cbs, cep, ces = np.empty(D), np.empty(D), np.empty(D), np.empty(D), np.empty(D)
    acc, n_steps, depth, div = 0.0, 0.0, 0, False
    for j in range(max_depth):
        fwd = rng.random() < 0.5
        if fwd:
            cq[:], cp[:], cg[:] = qp, pp, gp
        else:
            cq[:], cp[:], cg[:] = qm, pm, gm
        step = eps if fwd else -eps
        sub_lw = -np.inf
        sub_lp = 0.0
        stop = False
        depth = j + 1
        for i in range(1 << j):
            clp = _leapfrog(kind, cq, cp, cg, step, minv, fp, A, r0, Bm, d0, v0)
            dh = -clp + _kinetic(cp, minv) - h0
            n_steps += 1
            if not (dh == dh) or dh > MAX_ENERGY_ERROR:
                div = True
                stop = True
                break
            acc += 1.0 if dh <= 0 else math.exp(-dh)
            new_lw = _logaddexp(sub_lw, -dh)
            if rng.random() < math.exp(-dh - new_lw):
                sq[:], sg[:], sp[:] = cq, cg, cp
                sub_lp = clp
            sub_lw = new_lw
            for d in range(D):
                ps = minv[d] * cp[d]
                crho[d], cbp[d], cbs[d], cep[d], ces[d] = cp[d], cp[d], ps, cp[d], ps
            lvl = 0
            k = i + 1
            while k % 2 == 0:
                k //= 2
                lvl += 1
                lo = lvl - 1  # left sibling: last completed block of level lvl-1; right: the current record
                t1, t2, t3 = np.empty(D), np.empty(D), np.empty(D)
                for d in range(D):
                    t1[d] = lr[lo, d] + crho[d]
                    t2[d] = lr[lo, d] + cbp[d]
                    t3[d] = crho[d] + lep[lo, d]
                if not (_crit(lbs[lo], ces, t1) and _crit(lbs[lo], cbs, t2) and _crit(les[lo], ces, t3)):
                    stop = True
                    break
                crho[:] = t1
                cbp[:] = lbp[lo]
                cbs[:] = lbs[lo]
            if stop:
                break
            lr[lvl], lbp[lvl], lbs[lvl], lep[lvl], les[lvl] = crho, cbp, cbs, cep, ces
        if stop:
            break
        # merge the subtree (record at level j) into the trajectory
        if rng.random() < math.exp(min(0.0, sub_lw - log_w)):
            out_q[:], out_g[:], prop_p[:] = sq, sg, sp
            out_lp = sub_lp
        log_w = _logaddexp(log_w, sub_lw)
        psm = minv * pm
        psp = minv * pp
        if fwd:
            lb_s, le_s, le_p, l_rho = psm, psp, pp, rho
            rb_s, rb_p, re_s, r_rho = lbs[j], lbp[j], les[j], lr[j]
        else:
            lb_s, le_s, le_p, l_rho = les[j], lbs[j], lbp[j], lr[j]
            rb_s, rb_p, re_s, r_rho = psm, pm, psp, rho
        tot = rho + lr[j]
        keep = _crit(lb_s, re_s, tot) and _crit(lb_s, rb_s, l_rho + rb_p) and _crit(le_s, re_s, r_rho + le_p)
        if fwd:
            qp[:], pp[:], gp[:] = cq, cp, cg
        else:
            qm[:], pm[:], gm[:] = cq, cp, cg
        rho[:] = tot
        if not keep:
            break
    stats[0] = acc / max(n_steps, 1.0)
    stats[1] = 1.0 if div else 0.0
    stats[2] = depth
    stats[3] = n_steps
    stats[4] = -out_lp + _kinetic(prop_p, minv)
    return out_lp


@njit(cache=True)
def _initial_step_size(rng: np.random.Generator, kind: int, q: np.ndarray, g: np.ndarray, lp: float,
                       minv: np.ndarray, fp: np.ndarray, A: np.ndarray, r0: np.ndarray, Bm: np.ndarray,
                       d0: np.ndarray, v0: np.ndarray) -> float:
    """Stan's heuristic: double or halve ε until one leapfrog's acceptance crosses 1/2."""
    D = q.shape[0]
    p = np.empty(D)
    for i in range(D):
        p[i] = rng.standard_normal() / math.sqrt(minv[i])
    h0 = -lp + _kinetic(p, minv)
    eps = 1.0
    direction = 0
    for _ in range(60):
        q1, p1, g1 = q.copy(), p.copy(), g.copy()
        lp1 = _leapfrog(kind, q1, p1, g1, eps, minv, fp, A, r0, Bm, d0, v0)
        la = h0 - (-lp1 + _kinetic(p1, minv))
        if not (la == la):
            la = -np.inf
        up = la > math.log(0.5)
        if direction == 0:
            direction = 1 if up else -1
        elif (direction == 1) != up:
            break
        eps = eps * 2.0 if direction == 1 else eps * 0.5
        if eps < 1e-8 or eps > 1e3:
            break
    return min(max(eps, 1e-8), 1e3)


@njit(cache=True)
def run_chain(rng: np.random.Generator, kind: int, q0: np.ndarray, draws: int, tune: int, init_buffer: int,
              window_ends: np.ndarray, target_accept: float, max_depth: int, fp: np.ndarray, A: np.ndarray,
              r0: np.ndarray, Bm: np.ndarray, d0: np.ndarray, v0: np.ndarray
              ) -> tuple[np.ndarray, np.ndarray, float]:
    """Warm up and sample one chain: draws ``(draws, D)``, stats ``(draws, 6)`` and the final step size.

    Stats columns: accept_stat, diverging, tree_depth, n_steps, energy, lp.
    """
    D = q0.shape[0]
    q = q0.copy()
    g = np.empty(D)
    lp = logp_grad(kind, q, g, fp, A, r0, Bm, d0, v0)
    minv = np.ones(D)
    eps = _initial_step_size(rng, kind, q, g, lp, minv, fp, A, r0, Bm, d0, v0)
    mu, hbar, log_eps_bar, t = math.log(10 * eps), 0.0, 0.0, 0
    nq, ng = np.empty(D), np.empty(D)
    st = np.empty(5)
    n_win = window_ends.shape[0]
    last_end = window_ends[n_win - 1] if n_win else 0
    wsum, wsq, wn = np.zeros(D), np.zeros(D), 0
    for it in range(tune):
        lp = transition(rng, kind, q, g, lp, eps, minv, max_depth, fp, A, r0, Bm, d0, v0, nq, ng, st)
        q[:], g[:] = nq, ng
        t += 1
        w = 1.0 / (t + 10.0)
        hbar = (1 - w) * hbar + w * (target_accept - st[0])
        log_eps = mu - math.sqrt(t) / 0.05 * hbar
        eta = t ** -0.75
        log_eps_bar = eta * log_eps + (1 - eta) * log_eps_bar
        eps = math.exp(log_eps)
        if n_win and init_buffer <= it < last_end:
            wn += 1
            for d in range(D):
                wsum[d] += q[d]
                wsq[d] += q[d] * q[d]
            for e in range(n_win):
                if it + 1 == window_ends[e]:
                    for d in range(D):
                        var = (wsq[d] - wsum[d] * wsum[d] / wn) / max(wn - 1, 1)
                        minv[d] = (wn / (wn + 5.0)) * var + 1e-3 * (5.0 / (wn + 5.0))
                    wsum[:] = 0.0
                    wsq[:] = 0.0
                    wn = 0
                    eps = _initial_step_size(rng, kind, q, g, lp, minv, fp, A, r0, Bm, d0, v0)
                    mu, hbar, log_eps_bar, t = math.log(10 * eps), 0.0, 0.0, 0
    if tune > 0 and t > 0:
        eps = math.exp(log_eps_bar)
    out = np.empty((draws, D))
    stats = np.empty((draws, 6))
    for it in range(draws):
        lp = transition(rng, kind, q, g, lp, eps, minv, max_depth, fp, A, r0, Bm, d0, v0, nq, ng, st)
        q[:], g[:] = nq, ng
        out[it] = q
        stats[it, :5] = st
        stats[it, 5] = lp
    return out, stats, eps


def windows(tune: int) -> tuple[int, np.ndarray]:
    """Stan's warm-up schedule: the initial fast buffer and the ends of the slow (mass-matrix) windows."""
    init, term, base = 75, 50, 25
    if tune < 20:
        return tune, np.empty(0, dtype=np.int64)
    if init + term + base > tune:
        init, term = int(0.15 * tune), int(0.1 * tune)
        base = tune - init - term
    ends, start, size = [], init, base
    while start < tune - term:
        end = start + size
        if end + 2 * size > tune - term:  # the last window takes what is left
            end = tune - term
        ends.append(end)
        start, size = end, 2 * size
    return init, np.array(ends, dtype=np.int64)


__all__ = ["logp_grad", "run_chain", "transition", "windows"]
