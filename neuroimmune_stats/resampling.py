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


def draw(
    kind: Kind, n: int, k: int, rng: np.random.Generator, groups: list[np.ndarray] | None = None
) -> np.ndarray:
    """Draw ``k`` index vectors of length ``n``: bootstrap (with replacement) or permutations.

    With ``groups`` (lists of positions), bootstrap resamples within each group (stratified
    bootstrap) and permutations shuffle within each group (exchangeability blocks).
    """
    if kind == "bootstrap":
        if groups is None:
            return rng.integers(0, n, size=(k, n))
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
    idx = np.concatenate(
        [draw(kind, n, k, np.random.default_rng(s), groups) for s, k in zip(seeds, sizes, strict=True)]
    )
    return statistic(idx)


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
        returns anything picklable, typically an array with ``k`` rows or a partial sum.
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
        Workers for joblib; the active joblib backend (e.g. ``"dask"``) is honoured.
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
    groups = None
    if strata is not None:
        arr = np.asarray(strata)
        if arr.shape != (n,):
            raise SpecificationError(f"strata must have length n={n}; got shape {arr.shape}.")
        groups = _group_index(arr)
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

        jobs = (delayed(_run_chunk)(statistic, kind, n, groups, s, k) for s, k in chunks)
        return list(Parallel(n_jobs=n_jobs)(jobs))
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
    return np.concatenate(resample_chunks(statistic, n, n_draws, **kwargs), axis=0)


__all__ = ["BLOCK", "draw", "resample", "resample_chunks"]
