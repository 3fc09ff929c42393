"""Monte Carlo simulations on the resampling engine's seed scheme (a hook for power analyses).

Internal. :func:`run_simulations` is to simulated data sets what
:func:`neuroimmune_stats.resampling.resample_chunks` is to resamples: simulation ``i`` gets the
child seed ``spawn_key + (i,)`` of the caller's seed (the engine's block seeds), simulations run
in chunks, sequentially or through joblib (the active backend, e.g. Dask, is honoured), with a
tqdm progress bar only when stderr is a terminal. The numbers depend only on the seed, never on
``n_jobs`` or the chunking. Each simulation's own bootstrap goes through
:func:`~neuroimmune_stats.resampling.resample` with a seed derived from its simulation seed.

Examples
--------
>>> import numpy as np
>>> root = np.random.SeedSequence(1)
>>> means = run_simulations(_mean_of_ten, 50, root)
>>> bool(np.allclose(means, run_simulations(_mean_of_ten, 50, root, n_jobs=2)))
True
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import numpy as np

from ..resampling import _block_seed, _joblib_wanted

T = TypeVar("T")

#: simulations per chunk (scheduling and progress granularity only; never changes the numbers)
CHUNK = 25


def sim_seed(root: np.random.SeedSequence, i: int) -> np.random.SeedSequence:
    """Seed of simulation ``i`` (the engine's block-seed scheme)."""
    return _block_seed(root, i)


def sub_seed(seed: np.random.SeedSequence, j: int) -> np.random.SeedSequence:
    """Stream ``j`` of one simulation (0: its data, 1: its bootstrap)."""
    return _block_seed(seed, j)


def _chunk(fn: Callable[[np.random.SeedSequence], T], seeds: Sequence[np.random.SeedSequence]) -> list[T]:
    return [fn(s) for s in seeds]


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
    seeds = [sim_seed(root, i) for i in range(int(n_sims))]
    chunks = [seeds[s : s + CHUNK] for s in range(0, len(seeds), CHUNK)]
    show = progress and sys.stderr.isatty() and len(chunks) > 1
    out: list[T] = []
    if _joblib_wanted(n_jobs):
        from joblib import Parallel, delayed

        par = Parallel(n_jobs=n_jobs, return_as="generator")
        it: Any = par(delayed(_chunk)(fn, c) for c in chunks)
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
        out.extend(_chunk(fn, c))
    return out


def _mean_of_ten(seed: np.random.SeedSequence) -> float:
    """Doctest helper: the mean of ten standard normals from ``seed``."""
    return float(np.random.default_rng(seed).standard_normal(10).mean())


__all__ = ["CHUNK", "run_simulations", "sim_seed", "sub_seed"]
