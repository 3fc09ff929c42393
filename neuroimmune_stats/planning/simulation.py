"""Monte Carlo simulations on the resampling engine's seed scheme (a hook for power analyses).

Internal. :func:`run_simulations` is to simulated data sets what
:func:`neuroimmune_stats.resampling.resample_chunks` is to resamples: simulation ``i`` gets the
child seed ``spawn_key + (i,)`` of the caller's seed (the engine's block seeds), simulations run
in chunks, sequentially or through joblib (the active backend, e.g. Dask, is honoured), with a
tqdm progress bar only when stderr is a terminal. The numbers depend only on the seed, never on
``n_jobs`` or the chunking. Each simulation's own bootstrap goes through
:func:`~neuroimmune_stats.resampling.resample` with a seed derived from its simulation seed.
:func:`run_batched` is the same for a function that takes a whole chunk of seeds and returns one
result per seed (a vectorised simulation); its chunks are fixed by ``n_sims`` and ``chunk`` alone,
so the numbers do not depend on ``n_jobs`` or the backend either.

Examples
--------
>>> import numpy as np
>>> root = np.random.SeedSequence(1)
>>> means = run_simulations(_mean_of_ten, 50, root)
>>> bool(np.allclose(means, run_simulations(_mean_of_ten, 50, root, n_jobs=2)))
True
>>> bool(np.allclose(means, run_batched(_means_of_ten, 50, root)))
True
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any, TypeVar

import numpy as np

from ..resampling import _block_seed, _joblib_wanted

T = TypeVar("T")

#: simulations per chunk (scheduling and progress granularity only; never changes the numbers)
CHUNK = 25

#: simulations per chunk of :func:`run_batched` (one vectorised call each)
BATCH_CHUNK = 100


def sim_seed(root: np.random.SeedSequence, i: int) -> np.random.SeedSequence:
    """Seed of simulation ``i`` (the engine's block-seed scheme)."""
    return _block_seed(root, i)


def sub_seed(seed: np.random.SeedSequence, j: int) -> np.random.SeedSequence:
    """Stream ``j`` of one simulation (0: its data, 1: its bootstrap)."""
    return _block_seed(seed, j)


def _chunk(fn: Callable[[np.random.SeedSequence], T], seeds: Sequence[np.random.SeedSequence]) -> list[T]:
    return [fn(s) for s in seeds]


def _run(
    work: Callable[[Sequence[np.random.SeedSequence]], list[T]],
    n_sims: int,
    root: np.random.SeedSequence,
    n_jobs: int | None,
    progress: bool,
    desc: str | None,
    chunk: int,
) -> list[T]:
    """``work`` on each chunk of ``chunk`` consecutive simulation seeds, sequentially or through joblib."""
    seeds = [sim_seed(root, i) for i in range(int(n_sims))]
    chunks = [seeds[s : s + chunk] for s in range(0, len(seeds), chunk)]
    show = progress and sys.stderr.isatty() and len(chunks) > 1
    out: list[T] = []
    if _joblib_wanted(n_jobs):
        from joblib import Parallel, delayed

        par = Parallel(n_jobs=n_jobs, return_as="generator")
        it: Any = par(delayed(work)(c) for c in chunks)
        if show:
            from tqdm.auto import tqdm

            it = tqdm(it, total=len(chunks), desc=desc, unit="chunk", leave=False)
        for part in it:
            out.extend(part)
        return out
    it = chunks
    if show:
        from tqdm.auto import tqdm

        it = tqdm(chunks, desc=desc, unit="chunk", leave=False)
    for c in it:
        out.extend(work(c))
    return out


def run_simulations(
    fn: Callable[[np.random.SeedSequence], T],
    n_sims: int,
    root: np.random.SeedSequence,
    *,
    n_jobs: int | None = 1,
    progress: bool = False,
    desc: str | None = None,
) -> list[T]:
    """``[fn(seed_0), ..., fn(seed_{n_sims-1})]`` with the seeds of :func:`sim_seed`, in order.

    ``fn`` must be picklable for ``n_jobs != 1`` (a module-level function or an instance of a
    module-level class).
    """
    return _run(partial(_chunk, fn), n_sims, root, n_jobs, progress, desc, CHUNK)


def run_batched(
    fn: Callable[[Sequence[np.random.SeedSequence]], list[T]],
    n_sims: int,
    root: np.random.SeedSequence,
    *,
    n_jobs: int | None = 1,
    progress: bool = False,
    desc: str | None = None,
    chunk: int = BATCH_CHUNK,
) -> list[T]:
    """:func:`run_simulations` for a vectorised ``fn``: ``fn(seeds)`` gets a whole chunk of seeds.

    ``fn(seeds)`` must return one result per seed, in order, each depending only on its own seed,
    so the concatenated output is ``[f(seed_0), ..., f(seed_{n_sims-1})]`` for the per-seed
    function ``f`` that ``fn`` vectorises, whatever ``n_jobs``. Chunks of ``chunk`` seeds are the
    unit of scheduling (joblib, the active backend) and of progress.
    """
    return _run(fn, n_sims, root, n_jobs, progress, desc, max(1, int(chunk)))


def _mean_of_ten(seed: np.random.SeedSequence) -> float:
    """Doctest helper: the mean of ten standard normals from ``seed``."""
    return float(np.random.default_rng(seed).standard_normal(10).mean())


def _means_of_ten(seeds: Sequence[np.random.SeedSequence]) -> list[float]:
    """Doctest helper: :func:`_mean_of_ten` of each seed (a vectorisable function of a chunk)."""
    return [_mean_of_ten(s) for s in seeds]


__all__ = ["BATCH_CHUNK", "CHUNK", "run_batched", "run_simulations", "sim_seed", "sub_seed"]
