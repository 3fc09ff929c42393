"""The one resampling engine: bootstrap indices and permutations, in chunks, through joblib.

Every stochastic analysis of the package (bootstrap mediation, Freedman–Lane permutation tests,
classifier label permutations) asks this module for its draws. Draws are generated in fixed
*seed blocks* of :data:`BLOCK` draws, block ``i`` from the child seed ``spawn_key + (i,)`` of the
caller's seed, so the numbers depend only on ``seed`` and never on the chunk size, ``n_jobs`` or
the joblib backend (a Dask cluster under ``joblib.parallel_backend("dask")`` gives the same answer
as a laptop). Chunks are groups of whole blocks sized so that one chunk's index matrix stays under
``max_bytes``; memory is bounded whatever ``n_draws`` is.

Examples
--------
>>> import numpy as np
>>> x = np.arange(10.0)
>>> means = resample(lambda idx: x[idx].mean(axis=1), n=10, n_draws=1000, seed=1)
>>> means.shape
(1000,)
>>> bool(np.allclose(means, resample(lambda idx: x[idx].mean(axis=1), 10, 1000, seed=1, chunk_size=64)))
True
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from ._rng import SeedLike, seed_sequence
from .exceptions import SpecificationError

#: number of draws generated from one child seed; fixed so results never depend on chunking
BLOCK = 256

Kind = Literal["bootstrap", "permutation"]


def _block_seed(root: np.random.SeedSequence, i: int) -> np.random.SeedSequence:
    return np.random.SeedSequence(
        root.entropy, spawn_key=(*root.spawn_key, i), pool_size=root.pool_size
    )


def _group_index(strata: np.ndarray | None) -> list[np.ndarray] | None:
    if strata is None:
        return None
    _, codes = np.unique(strata, return_inverse=True)
    return [np.flatnonzero(codes == g) for g in range(codes.max() + 1)]


def _strata_groups(strata: Sequence[Any] | np.ndarray | None, n: int, prefix: str = "") -> list[np.ndarray] | None:
    """The positions of each stratum (None without strata); strata of the wrong length raise."""
    if strata is None:
        return None
    arr = np.asarray(strata)
    if arr.shape != (n,):
        raise SpecificationError(f"{prefix}strata must have length n={n}; got shape {arr.shape}.")
    return _group_index(arr)


def draw(
    kind: Kind, n: int, k: int, rng: np.random.Generator, groups: list[np.ndarray] | None = None
) -> np.ndarray:
    """Draw ``k`` index vectors of length ``n``: bootstrap (with replacement) or permutations.

    With ``groups`` (lists of positions), bootstrap resamples within each group (stratified
    bootstrap) and permutations shuffle within each group (exchangeability blocks).

    Unstratified bootstrap indices are int32 when ``n`` allows: numpy draws integers below 2³² from
    the same 32-bit stream for either width, so the values are those of the int64 draw, in half
    the memory (an index matrix is the largest temporary of a bootstrap).
    """
    if kind == "bootstrap":
        if groups is None:
            return rng.integers(0, n, size=(k, n), dtype=np.int32 if n <= 2**31 - 1 else np.int64)
        out = np.empty((k, n), dtype=np.int64)
        for pos in groups:
            out[:, pos] = pos[rng.integers(0, pos.size, size=(k, pos.size))]
        return out
    base = np.broadcast_to(np.arange(n), (k, n))
    if groups is None:
        return rng.permuted(base, axis=1)
    out = np.array(base)
    for pos in groups:
        out[:, pos] = pos[rng.permuted(np.broadcast_to(np.arange(pos.size), (k, pos.size)), axis=1)]
    return out


def _run_chunk(
    statistic: Callable[[np.ndarray], Any],
    kind: Kind,
    n: int,
    groups: list[np.ndarray] | None,
    seeds: Sequence[np.random.SeedSequence],
    sizes: Sequence[int],
) -> Any:
    blocks = (draw(kind, n, k, np.random.default_rng(s), groups) for s, k in zip(seeds, sizes, strict=True))
    from_blocks = getattr(statistic, "from_blocks", None)
    if from_blocks is not None:  # the statistic reduces each seed block as it is drawn (still in cache)
        return from_blocks(blocks, sum(sizes))
    return statistic(np.concatenate(list(blocks)))


def _scatter_once(obj: Any) -> Any:
    """Under a Dask cluster (``joblib.parallel_backend("dask")``) send ``obj`` to every worker once.

    Returns a future that every task references (distributed resolves it on the worker), so
    the statistic and the data it holds (e.g. 100,000 outcome residuals) travel once per worker
    instead of once per chunk, and the scheduler never sees a large task graph. Objects the user
    already scattered through ``parallel_backend("dask", scatter=[...])`` are left to joblib.
    Any other backend gets ``obj`` back unchanged (loky memory-maps large arrays by itself).
    """
    from joblib.parallel import get_active_backend

    backend, _ = get_active_backend()
    client = getattr(backend, "client", None)
    if client is None or id(obj) in getattr(backend, "data_futures", {}):
        return obj
    return client.scatter(obj, broadcast=True, hash=False)


def _joblib_wanted(n_jobs: int | None) -> bool:
    if n_jobs is not None and n_jobs != 1:
        return True
    from joblib.parallel import get_active_backend

    backend, _ = get_active_backend()
    # the default (no context) is a sequential/loky backend; a context like dask is honoured
    return type(backend).__name__ not in {"SequentialBackend", "LokyBackend"}


def resample_chunks(
    statistic: Callable[[np.ndarray], Any],
    n: int,
    n_draws: int,
    *,
    kind: Kind = "bootstrap",
    strata: Sequence[Any] | np.ndarray | None = None,
    seed: SeedLike = None,
    n_jobs: int | None = 1,
    chunk_size: int | None = None,
    max_bytes: int = 64 * 2**20,
    progress: bool = False,
    desc: str | None = None,
) -> list[Any]:
    """Apply ``statistic`` to chunks of resampling indices; return the per-chunk outputs in order.

    Parameters
    ----------
    statistic : callable
        ``statistic(idx)`` with ``idx`` an int array of shape ``(k, n)`` (one row per draw)
        returns anything picklable, typically an array with ``k`` rows or a partial sum. An
        object with a ``from_blocks(blocks, k)`` method is given the chunk's seed blocks instead,
        one at a time as they are drawn (an iterator of index arrays of ``k`` rows in all, in draw
        order), so it can reduce each block while it is in cache; ``from_blocks`` must return what
        ``statistic(np.concatenate(list(blocks)))`` returns.
    n : int
        Number of observations being resampled.
    n_draws : int
        Total number of bootstrap resamples or permutations.
    kind : {"bootstrap", "permutation"}, default="bootstrap"
    strata : array-like of length n, optional
        Resample (bootstrap) or permute (permutation) within these groups.
    seed : int, Generator, SeedSequence or None
        Root seed; block ``i`` of draws uses child seed ``i``.
    n_jobs : int, default=1
        Workers for joblib; the active joblib backend (e.g. ``"dask"``) is honoured. On a Dask
        cluster ``statistic`` (with the data it holds) is scattered to the workers once and
        every chunk references it.
    chunk_size : int, optional
        Draws per chunk (rounded up to a multiple of :data:`BLOCK`); by default as many as fit in
        ``max_bytes`` of indices. Never changes the numbers, only memory and scheduling.
    max_bytes : int, default=64 MiB
        Memory budget of one chunk's index matrix.
    progress : bool, default=False
        Show a tqdm progress bar (only when stderr is a terminal).
    desc : str, optional
        Label of the progress bar.
    """
    if kind not in ("bootstrap", "permutation"):
        raise SpecificationError(f"kind must be 'bootstrap' or 'permutation'; got {kind!r}.")
    n, n_draws = int(n), int(n_draws)
    if n < 1 or n_draws < 1:
        raise SpecificationError(f"need n >= 1 and n_draws >= 1; got n={n}, n_draws={n_draws}.")
    groups = _strata_groups(strata, n)
    root = seed_sequence(seed)
    n_blocks = math.ceil(n_draws / BLOCK)
    sizes = [BLOCK] * (n_blocks - 1) + [n_draws - BLOCK * (n_blocks - 1)]
    if chunk_size is None:
        per_block = BLOCK * n * 8
        blocks_per_chunk = max(1, max_bytes // per_block)
    else:
        blocks_per_chunk = max(1, math.ceil(int(chunk_size) / BLOCK))
    chunks = [
        (
            [_block_seed(root, i) for i in range(s, min(s + blocks_per_chunk, n_blocks))],
            sizes[s : s + blocks_per_chunk],
        )
        for s in range(0, n_blocks, blocks_per_chunk)
    ]
    show = progress and sys.stderr.isatty() and len(chunks) > 1
    if _joblib_wanted(n_jobs):
        from joblib import Parallel, delayed

        shared = _scatter_once(statistic)
        jobs = (delayed(_run_chunk)(shared, kind, n, groups, s, k) for s, k in chunks)
        out = list(Parallel(n_jobs=n_jobs)(jobs))
        if shared is not statistic:
            shared.release()
        return out
    it: Any = chunks
    if show:
        from tqdm.auto import tqdm

        it = tqdm(chunks, desc=desc or kind, unit="chunk", leave=False)
    return [_run_chunk(statistic, kind, n, groups, s, k) for s, k in it]


def resample(
    statistic: Callable[[np.ndarray], np.ndarray],
    n: int,
    n_draws: int,
    **kwargs: Any,
) -> np.ndarray:
    """Like :func:`resample_chunks` for statistics that return one row per draw: stacked output.

    Returns an array whose first axis has length ``n_draws``, in draw order.
    """
    parts = resample_chunks(statistic, n, n_draws, **kwargs)
    return np.asarray(parts[0]) if len(parts) == 1 else np.concatenate(parts, axis=0)


@dataclass(frozen=True)
class SequentialPValue:
    """Outcome of :func:`sequential_p_value`.

    Attributes
    ----------
    p_value : float
        ``h / L`` when stopped at the ``h``-th exceedance after ``L`` draws, else
        ``(G + 1) / (n_max + 1)`` with ``G < h`` exceedances in all ``n_max`` draws.
    n_draws : int
        Draws evaluated (``L``, or ``n_max``).
    exceedances : int
        Null statistics at least as extreme as the observed one among them.
    stopped_early : bool
        True when the ``h``-th exceedance came before ``n_max``.
    h, n_max : int
        The stopping rule.
    """

    p_value: float
    n_draws: int
    exceedances: int
    stopped_early: bool
    h: int
    n_max: int


def sequential_p_value(
    statistic: Callable[[np.ndarray], np.ndarray],
    observed: float,
    n: int,
    *,
    h: int = 10,
    n_max: int = 999,
    kind: Kind = "permutation",
    strata: Sequence[Any] | np.ndarray | None = None,
    seed: SeedLike = None,
    batch: int = 32,
) -> SequentialPValue:
    """Besag–Clifford sequential Monte Carlo p-value: stop drawing once the answer is decided.

    Draws permutations (or bootstrap indices) in the engine's seed order and evaluates
    ``statistic`` on ``batch`` of them at a time; it stops at the ``h``-th draw whose null statistic
    is at least ``observed`` (upper tail: pass ``|t|`` or ``-t`` for other tails). With ``L`` the
    draws used, the p-value is ``h / L``; if fewer than ``h`` exceedances ``G`` occur before the
    last of the ``n_max`` draws it is the usual ``(G + 1) / (n_max + 1)`` (an ``h``-th exceedance at
    the very last draw counts as reaching the cap, the more conservative of the two).

    Parameters
    ----------
    statistic : callable
        ``statistic(idx)`` with ``idx`` of shape ``(k, n)`` returns the ``k`` null statistics.
    observed : float
        The statistic of the data.
    n : int
        Observations being permuted.
    h : int, default=10
        Exceedances after which to stop.
    n_max : int, default=999
        Cap on the draws (the fixed-size test it replaces).
    kind, strata, seed
        As :func:`resample_chunks` (permutation within ``strata`` blocks, the same seed scheme), so
        the draws are the first ``L`` of ``resample(..., n_max, seed=seed)`` whatever ``batch`` is.
    batch : int, default=32
        Draws per call of ``statistic`` (speed only; the answer does not depend on it).

    Returns
    -------
    SequentialPValue

    Notes
    -----
    Validity (Besag & Clifford 1991, *Biometrika* 78:301-304): under exchangeability of the draws
    and the data, ``P(p ≤ u) ≤ u`` at every attainable value ``u`` (``h/L`` or ``(G+1)/(n_max+1)``),
    exactly as for the fixed-size test: the sequential p-value is a valid p-value, not an estimate
    needing a correction (tested by simulation in tests/test_resampling.py).

    Error bound: an early stop means at least ``h`` of the first ``L ≤ n_max`` draws exceed, so
    the fixed ``n_max``-draw test would have given ``p ≥ (h + 1)/(n_max + 1)``. Hence with
    ``h ≥ α (n_max + 1)`` the sequential and the fixed test take the same decision at level ``α``
    (the default ``h = 10``, ``n_max = 999`` covers ``α ≤ 0.01``; ``h = 50`` covers 0.05). When it
    stops early, ``L`` is negative binomial, so the p-value's relative standard error is about
    ``sqrt((1 - p)/h)`` (≈ 30% for h = 10): small p-values, where precision matters, run to the
    cap and are as precise as the fixed test, while clearly null ones stop after about ``h / p``
    draws.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=30)
    >>> g = np.repeat([0, 1], 15)
    >>> def diff(idx):
    ...     lab = g[idx]
    ...     return np.abs((x * lab).sum(1) / 15 - (x * (1 - lab)).sum(1) / 15)
    >>> obs = float(diff(np.arange(30)[None])[0])
    >>> res = sequential_p_value(diff, obs, 30, h=10, n_max=999, seed=1)
    >>> res.stopped_early, res.n_draws < 999, res.p_value == 10 / res.n_draws
    (True, True, True)
    """
    from ._params import check_int

    where = "sequential_p_value"
    h = check_int(h, where=where, name="h", minimum=1)
    n_max = check_int(n_max, where=where, name="n_max", minimum=1)
    batch = check_int(batch, where=where, name="batch", minimum=1)
    n = check_int(n, where=where, name="n", minimum=1)
    if kind not in ("bootstrap", "permutation"):
        raise SpecificationError(f"{where}: kind must be 'bootstrap' or 'permutation'; got {kind!r}.")
    obs = float(observed)
    if not math.isfinite(obs):
        raise SpecificationError(f"{where}: observed must be a finite number; got {observed!r}.")
    groups = _strata_groups(strata, n, f"{where}: ")
    root = seed_sequence(seed)
    thr = obs - 1e-10 * max(1.0, abs(obs))  # ties count as exceedances (floating-point safe)
    count, used = 0, 0
    for b in range(math.ceil(n_max / BLOCK)):
        size = min(BLOCK, n_max - b * BLOCK)
        idx = draw(kind, n, size, np.random.default_rng(_block_seed(root, b)), groups)
        for s in range(0, size, batch):
            null = np.asarray(statistic(idx[s : s + batch]), dtype=float).ravel()
            hits = np.flatnonzero(null >= thr)
            if count + hits.size >= h and used + int(hits[h - count - 1]) + 1 < n_max:
                used += int(hits[h - count - 1]) + 1
                return SequentialPValue(h / used, used, h, True, h, n_max)
            count += hits.size
            used += null.size
    return SequentialPValue((count + 1) / (n_max + 1), n_max, count, False, h, n_max)


__all__ = ["BLOCK", "SequentialPValue", "draw", "resample", "resample_chunks", "sequential_p_value"]
