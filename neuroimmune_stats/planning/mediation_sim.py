"""Simulated data sets of the Fritz & MacKinnon design and their bootstrap test of a×b.

Internal to :func:`~neuroimmune_stats.planning.power_mediation`. Two implementations of one test:

* :class:`_Simulation` (the reference): one simulated data set analysed exactly as
  :func:`~neuroimmune_stats.mediate` analyses data (the model frame of ``mediation._spec``, the
  vectorised bootstrap of ``mediation._engine.Engine`` through
  :func:`~neuroimmune_stats.resampling.resample`, the interval of ``mediation.intervals``);
* :class:`_BatchSimulation` (what the power search runs): a whole chunk of simulations in one
  vectorised computation. Each simulation still draws its data from ``sub_seed(seed, 0)`` and its
  bootstrap indices from ``sub_seed(seed, 1)`` by the resampling engine's block scheme (block ``i``
  of :data:`~neuroimmune_stats.resampling.BLOCK` draws from child seed ``i``), so the resamples are
  the reference's (the seeds and indices are computed by :mod:`.streams` for the whole chunk). The
  count-weighted moments of a simulation's resamples are one matrix product; the two paths of
  every resample of every simulation come from the covariances with the covariates partialled out
  (the same OLS coefficients as the engine's Cholesky solve), as vector operations over the chunk;
  the interval is the same function, called once with one column per simulation. Simulations
  with a (near-)singular resample (where the engine switches to a pseudo-inverse) are handed to
  the reference.

The two agree to rounding (``tests/test_power_batched.py`` compares their bounds and decisions).

Examples
--------
>>> import numpy as np
>>> from neuroimmune_stats.planning.simulation import sim_seed
>>> seeds = [sim_seed(np.random.SeedSequence(1), i) for i in range(4)]
>>> ref = _Simulation(30, 0.59, 0.59, 0.0, 1, "bc", 0.95, 200)
>>> batch = _BatchSimulation(30, 0.59, 0.59, 0.0, 1, "bc", 0.95, 200)
>>> batch(seeds) == [ref(s) for s in seeds]
True
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from ..mediation._engine import Engine
from ..mediation._spec import _assemble
from ..mediation.bootstrap import _Statistic
from ..mediation.intervals import interval
from ..resampling import BLOCK, draw, resample
from .simulation import sub_seed
from .streams import bounded_integers, child_states, pcg64

#: resamples (simulations x n_boot) of one vectorised batch; its arrays hold a few dozen floats per
#: resample (the moments and the covariances of the paths), so memory stays bounded whatever n_sims is
MAX_DRAWS = 2**18

#: a simulation whose resamples' regressor correlation matrices have a determinant below this
#: (or a regressor of variance below :data:`TINY_VARIANCE`) goes to the reference. The engine uses a
#: pseudo-inverse when a Cholesky pivot falls below 1e-10 (``mediation._engine.PIVOT_TOL``), which
#: implies a determinant below 1e-10, so every such simulation is caught, with a margin.
SINGULAR_DET = 1e-8

#: regressor variance (standardised scale) treated as constant (the engine's absolute floor is 1e-12)
TINY_VARIANCE = 1e-10

#: bootstrap indices drawn and counted at a time (whole seed blocks): 256 KiB per int64 array, so a
#: piece's indices, counts and weights stay in a core's L2 cache
PIECE = 2**15


def _simulate(seed: np.random.SeedSequence, n: int, a: float, b: float, c_prime: float, k: int) -> np.ndarray:
    """The simulated data set of ``seed``: columns x, m, y, then the ``k`` covariates."""
    return _design(np.random.default_rng(sub_seed(seed, 0)).standard_normal((n, 3 + k)), a, b, c_prime)


def _design(z: np.ndarray, a: float, b: float, c_prime: float) -> np.ndarray:
    """x, m, y, covariates of the design from independent standard normals ``z`` (..., n, 3 + k)."""
    d = z.copy()
    x = z[..., 0]
    d[..., 1] = a * x + z[..., 1]
    d[..., 2] = c_prime * x + b * d[..., 1] + z[..., 2]
    return d


class _Simulation:
    """One simulated data set of size ``n`` and its bootstrap test of a×b (the reference; picklable)."""

    def __init__(self, n: int, a: float, b: float, c_prime: float, k: int, ci: str, level: float,
                 n_boot: int) -> None:
        self.n, self.a, self.b, self.c_prime, self.k = n, a, b, c_prime, k
        self.ci, self.level, self.n_boot = ci, level, n_boot
        cnames = [f"c{j + 1}" for j in range(k)]
        # the model frame (columns, equations) once, from placeholder data of the same shape; each
        # simulated data set then only swaps in its columns (the full-sample OLS fits and role checks
        # of _assemble cost ~15% of a simulation at n = 36 and are not used by the test)
        d = np.random.default_rng(0).standard_normal((max(n, k + 5), 3 + k))
        self.template = replace(_assemble("x", ["m"], "y", False, d[:, :3], d[:, 3:], cnames,
                                          {c: [c] for c in cnames}, {"m:m": cnames, "y": cnames}, ()), fits={})

    def data(self, seed: np.random.SeedSequence) -> np.ndarray:
        """The simulated data set of ``seed``: columns x, m, y, then the covariates."""
        return _simulate(seed, self.n, self.a, self.b, self.c_prime, self.k)

    def bounds(self, seed: np.random.SeedSequence) -> tuple[float, float]:
        """The interval of a×b of the data set of ``seed``."""
        d = self.data(seed)
        scale = d.std(axis=0)
        scale[scale == 0] = 1.0
        prep = replace(self.template, n=self.n, raw=d, center=d.mean(axis=0), scale=scale)
        engine = Engine(prep)
        col = next(i for i, lab in enumerate(engine.labels) if lab.term == "indirect")
        est = engine.effects(engine.moments_full())[0][0, [col]]
        draws = resample(_Statistic(engine), self.n, self.n_boot, kind="bootstrap", seed=sub_seed(seed, 1),
                         n_jobs=1)[:, [col]]
        jack = None
        if self.ci == "bca":
            jack = engine.effects(engine.moments_jackknife(), self.n - 1)[0][:, [col]]
        lo, hi = interval(self.ci, draws, est, self.level, jack)
        return float(lo[0]), float(hi[0])

    def __call__(self, seed: np.random.SeedSequence) -> bool:
        lo, hi = self.bounds(seed)
        return bool(lo > 0 or hi < 0)


def _block_sizes(n_boot: int) -> list[int]:
    """Draws per seed block of ``resample(..., n_boot)``: :data:`BLOCK` each, the rest in the last."""
    n_blocks = math.ceil(n_boot / BLOCK)
    return [BLOCK] * (n_blocks - 1) + [n_boot - BLOCK * (n_blocks - 1)]


def _stream_words(seeds: Sequence[np.random.SeedSequence], n_blocks: int) -> tuple[np.ndarray, np.ndarray] | None:
    """State words of each simulation's data stream (S, 4) and bootstrap blocks (S, n_blocks, 4).

    The streams are ``sub_seed(seed, 0)`` and ``sub_seed(sub_seed(seed, 1), b)``; None when the
    seeds are not siblings with an int entropy (then NumPy's SeedSequence is used).
    """
    first = seeds[0]
    head = first.spawn_key[:-1]
    if not first.spawn_key or not isinstance(first.entropy, int) or any(
            s.entropy != first.entropy or s.pool_size != first.pool_size or s.spawn_key[:-1] != head
            or len(s.spawn_key) != len(first.spawn_key) for s in seeds):
        return None
    last = np.array([s.spawn_key[-1] for s in seeds], dtype=np.int64)
    data = child_states(first.entropy, head, first.pool_size, np.column_stack([last, np.zeros_like(last)]))
    rows = np.column_stack([np.repeat(last, n_blocks), np.ones(last.size * n_blocks, dtype=np.int64),
                            np.tile(np.arange(n_blocks), last.size)])
    blocks = child_states(first.entropy, head, first.pool_size, rows)
    if data is None or blocks is None:
        return None
    return data, blocks.reshape(len(seeds), n_blocks, 4)


def _generator(words: np.ndarray) -> np.random.Generator:
    """``default_rng`` of the seed sequence whose state words are ``words``."""
    return np.random.Generator(pcg64(words))


def _pieces(sizes: Sequence[int], n: int) -> list[tuple[int, int, int, int]]:
    """Consecutive seed blocks grouped into pieces of at most :data:`PIECE` indices (at least one block).

    Each piece is ``(first block, end block, first row, end row)``; a piece's arrays stay in cache.
    """
    out: list[tuple[int, int, int, int]] = []
    b0 = r0 = 0
    rows = 0
    for b, size in enumerate(sizes):
        if b > b0 and (rows + size) * n > PIECE:
            out.append((b0, b, r0, r0 + rows))
            b0, r0, rows = b, r0 + rows, 0
        rows += size
    out.append((b0, len(sizes), r0, r0 + rows))
    return out


def _moments(words: np.ndarray | None, seeds: Sequence[np.random.SeedSequence], zpt: np.ndarray,
             n_boot: int) -> np.ndarray:
    """Count-weighted sums ``zpt[s] @ counts[s].T`` of each simulation's resamples: (S, P, n_boot).

    ``zpt`` (S, P, n) holds each simulation's moment columns. The counts are those of the indices of
    ``resample(..., n, n_boot, seed=sub_seed(seed, 1))``: block ``b`` of :data:`BLOCK` draws from
    child seed ``b`` of the simulation's bootstrap seed, by :func:`~neuroimmune_stats.resampling.draw`
    or, with the blocks' state ``words`` (S, n_blocks, 4), by :func:`.streams.bounded_integers` once
    it has reproduced the batch's first simulation. The indices are drawn, counted and weighted a
    piece of blocks at a time (:func:`_pieces`).
    """
    n = zpt.shape[2]
    sizes = _block_sizes(n_boot)
    pieces = _pieces(sizes, n)
    offsets = (n * np.arange(max(r1 - r0 for _, _, r0, r1 in pieces)))[:, None]
    out = np.empty((len(seeds), zpt.shape[1], n_boot))

    def numpy_draws(s: int, b0: int, b1: int) -> np.ndarray:
        rngs = ([_generator(w) for w in words[s, b0:b1]] if words is not None
                else [np.random.default_rng(sub_seed(sub_seed(seeds[s], 1), b)) for b in range(b0, b1)])
        return np.concatenate([draw("bootstrap", n, size, rng) for rng, size in zip(rngs, sizes[b0:b1], strict=True)])

    def fast_draws(s: int, b0: int, b1: int) -> np.ndarray | None:
        assert words is not None
        return bounded_integers([pcg64(w) for w in words[s, b0:b1]], n, sizes[b0:b1])

    fast = False
    if words is not None:  # the vectorised draws must reproduce NumPy's on the first simulation
        checks = [(fast_draws(0, b0, b1), numpy_draws(0, b0, b1)) for b0, b1, _, _ in pieces]
        fast = all(ours is None or np.array_equal(ours, ref) for ours, ref in checks) \
            and any(ours is not None for ours, _ in checks)
    for s in range(len(seeds)):
        for b0, b1, r0, r1 in pieces:
            idx = fast_draws(s, b0, b1) if fast else None
            if idx is None:
                idx = numpy_draws(s, b0, b1)
            idx += offsets[: r1 - r0]
            counts = np.bincount(idx.ravel(), minlength=idx.size).reshape(r1 - r0, n)
            out[s, :, r0:r1] = zpt[s] @ counts.T.astype(float)
    return out


def _paths(cov: list[list[np.ndarray]], k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Standardised-scale slopes a (m on x, C) and b (y on x, m, C), and a singularity flag.

    ``cov[i][j]`` (``i <= j``, all but the outcome's variance ``cov[2][2]``) is the covariance of
    columns i and j of (x, m, y, covariates), an array over resamples. The covariates are
    partialled out one pivot at a time; the flag marks resamples whose regressors are
    (near-)collinear or constant (see :data:`SINGULAR_DET`).
    """
    with np.errstate(divide="ignore", invalid="ignore"):  # singular resamples are flagged, not solved
        s = [list(row) for row in cov]
        det = np.ones_like(cov[0][0])
        tiny = (cov[0][0] < TINY_VARIANCE) | (cov[1][1] < TINY_VARIANCE)
        for j in range(3, 3 + k):
            piv = s[j][j]
            tiny |= cov[j][j] < TINY_VARIANCE
            det = det * (piv / cov[j][j])
            rest = [v for v in range(3 + k) if v < 3 or v > j]
            for u in rest:
                f = s[min(u, j)][max(u, j)] / piv
                for v in rest:
                    if v >= u and (u, v) != (2, 2):  # the outcome's variance is not needed
                        s[u][v] = s[u][v] - f * s[min(v, j)][max(v, j)]
        sxx, sxm, sxy, smm, smy = s[0][0], s[0][1], s[0][2], s[1][1], s[1][2]
        a = sxm / sxx
        smm_x = smm - sxm * a
        b = (smy - sxy * a) / smm_x
        det = det * (sxx / cov[0][0]) * (smm_x / cov[1][1])
        return a, b, tiny | ~(det > SINGULAR_DET)


class _BatchSimulation:
    """The test of :class:`_Simulation` for a chunk of simulation seeds at once (picklable for joblib).

    ``batch(seeds)`` equals ``[reference(s) for s in seeds]`` with ``reference`` the
    :class:`_Simulation` of the same settings; ``bounds(seeds)`` gives the intervals.
    """

    def __init__(self, n: int, a: float, b: float, c_prime: float, k: int, ci: str, level: float,
                 n_boot: int) -> None:
        self.n, self.a, self.b, self.c_prime, self.k = n, a, b, c_prime, k
        self.ci, self.level, self.n_boot = ci, level, n_boot
        #: simulations per vectorised batch (bounded memory)
        self.batch = max(1, MAX_DRAWS // n_boot)
        q = 3 + k
        #: moments of the paths: the q means, then the cross products (the outcome's square is not used)
        self._pairs = [(i, j) for i, j in zip(*np.triu_indices(q), strict=True) if (i, j) != (2, 2)]

    def _reference(self) -> _Simulation:
        return _Simulation(self.n, self.a, self.b, self.c_prime, self.k, self.ci, self.level, self.n_boot)

    def _indirect(self, g: np.ndarray, scale: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """a×b (original scale) and the singular flag for the moments ``g`` (S, P, r).

        Rows of ``g``: the q means, then the products of :attr:`_pairs`. ``scale`` (S, q) holds each
        simulation's column SDs: a and b are rescaled as the engine rescales them (a·sd_m/sd_x,
        b·sd_y/sd_m).
        """
        q = 3 + self.k
        cov: list[list[np.ndarray]] = [[np.empty(0)] * q for _ in range(q)]
        for row, (i, j) in enumerate(self._pairs):
            cov[i][j] = g[:, q + row] - g[:, i] * g[:, j]
        a, b, bad = _paths(cov, self.k)
        a = a * (scale[:, 1] / scale[:, 0])[:, None]
        b = b * (scale[:, 2] / scale[:, 1])[:, None]
        return a * b, bad

    def _bounds_batch(self, seeds: Sequence[np.random.SeedSequence]) -> tuple[np.ndarray, np.ndarray]:
        n = self.n
        words = _stream_words(seeds, len(_block_sizes(self.n_boot)))
        if words is None:
            d = np.stack([_simulate(s, n, self.a, self.b, self.c_prime, self.k) for s in seeds])
        else:
            z = np.stack([_generator(w).standard_normal((n, 3 + self.k)) for w in words[0]])
            d = _design(z, self.a, self.b, self.c_prime)
        scale = d.std(axis=1)
        scale[scale == 0] = 1.0
        z = (d - d.mean(axis=1)[:, None, :]) / scale[:, None, :]
        i, j = np.array(self._pairs).T
        zpt = np.ascontiguousarray(np.concatenate([z, z[..., i] * z[..., j]], axis=2).transpose(0, 2, 1))
        g = _moments(None if words is None else words[1], seeds, zpt, self.n_boot)
        g /= n
        draws, bad = self._indirect(g, scale)
        total = zpt.sum(axis=2, keepdims=True)
        est = self._indirect(total / n, scale)[0][:, 0]
        jack = None
        if self.ci == "bca":
            jack = self._indirect((total - zpt) / (n - 1), scale)[0].T
        lo, hi = interval(self.ci, np.ascontiguousarray(draws.T), est, self.level, jack)
        lo, hi = np.array(lo, dtype=float), np.array(hi, dtype=float)
        for s in np.flatnonzero(bad.any(axis=1)):
            lo[s], hi[s] = self._reference().bounds(seeds[int(s)])
        return lo, hi

    def bounds(self, seeds: Sequence[np.random.SeedSequence]) -> tuple[np.ndarray, np.ndarray]:
        """Lower and upper bounds of the interval of a×b, one per seed, in order."""
        parts = [self._bounds_batch(seeds[s : s + self.batch]) for s in range(0, len(seeds), self.batch)]
        return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])

    def __call__(self, seeds: Sequence[np.random.SeedSequence]) -> list[bool]:
        lo, hi = self.bounds(seeds)
        return [bool(v) for v in (lo > 0) | (hi < 0)]


__all__ = ["MAX_DRAWS", "PIECE", "SINGULAR_DET", "TINY_VARIANCE"]
