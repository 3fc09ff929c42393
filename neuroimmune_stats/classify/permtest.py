"""The classifier's label-permutation test: the fixed-size test or Besag–Clifford early stopping.

Both go through :mod:`neuroimmune_stats.resampling`: the fixed test draws all ``n_permutations``
with :func:`~neuroimmune_stats.resampling.resample`; ``early_stop=h`` draws the *same* permutations
in the same order (the engine's seed blocks) with
:func:`~neuroimmune_stats.resampling.sequential_p_value` and stops at the ``h``-th permutation whose
mean AUC is at least the observed one. Where the sequential run stops depends only on the sequence
of null statistics, which depends only on the seed, so ``n_jobs`` (which splits each evaluated batch
of permutations across workers) never changes the numbers.

Examples
--------
>>> import numpy as np
>>> x = np.r_[np.zeros(10), np.ones(10)]
>>> stat = lambda idx: x[idx][:, :10].mean(axis=1)  # mean of the first half: 0 observed, a null case
>>> run = run_permutations(stat, 0.0, 20, 999, seed=1, early_stop=10)
>>> run.stopped_early, run.n_drawn == run.null.size < 999, run.p_value == 10 / run.n_drawn
(True, True, True)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..resampling import BLOCK, resample, sequential_p_value

#: least permutations per evaluation of the statistic in the sequential test, per worker (speed only:
#: larger batches cost less per permutation, smaller ones waste less after the stop; a null case
#: stops after about 2h permutations, so the batch is max(BATCH, 2h), at most one seed block)
BATCH = 64


@dataclass(frozen=True)
class PermutationRun:
    """What a permutation test drew and concluded.

    Attributes
    ----------
    null : ndarray
        The null statistics drawn, in draw order (``n_drawn`` of them).
    p_value : float
    n_drawn, n_max : int
        Permutations evaluated, and the cap (``n_permutations``).
    early_stop : int or None
        ``h`` of the Besag–Clifford rule, None for the fixed-size test.
    stopped_early : bool
    """

    null: np.ndarray
    p_value: float
    n_drawn: int
    n_max: int
    early_stop: int | None
    stopped_early: bool

    def rule(self) -> str:
        """One methods sentence: how many permutations, how the p-value was formed."""
        if self.early_stop is None:
            return (f"{self.n_max} label permutations; p = (C + 1)/({self.n_max} + 1), C the permutations "
                    "with a mean AUC at least the observed one")
        h = self.early_stop
        how = (f"stopped after {self.n_drawn} permutations at the {h}th exceedance, p = {h}/{self.n_drawn}"
               if self.stopped_early else
               f"all {self.n_max} drawn (fewer than {h} exceedances), p = (C + 1)/({self.n_max} + 1)")
        return (f"Besag-Clifford sequential permutation test (stop at the {h}th permutation with a mean AUC at "
                f"least the observed one, at most {self.n_max} permutations): {how}; the same decision as the "
                f"full {self.n_max}-permutation test at any level alpha <= {h / (self.n_max + 1):.3g}")


class _Recorder:
    """Keeps every null statistic the sequential test evaluates; splits a batch over ``n_jobs`` workers."""

    def __init__(self, statistic: Callable[[np.ndarray], np.ndarray], n_jobs: int | None):
        self.statistic, self.n_jobs = statistic, n_jobs
        self.out: list[np.ndarray] = []

    def __call__(self, idx: np.ndarray) -> np.ndarray:
        workers = _workers(self.n_jobs)
        if workers > 1 and idx.shape[0] > 1:
            from joblib import Parallel, delayed

            parts = np.array_split(idx, min(workers, idx.shape[0]))
            res = np.concatenate(Parallel(n_jobs=self.n_jobs)(delayed(self.statistic)(p) for p in parts))
        else:
            res = np.asarray(self.statistic(idx), dtype=float)
        self.out.append(res)
        return res


def _workers(n_jobs: int | None) -> int:
    if n_jobs is None or n_jobs == 1:
        return 1
    from joblib import effective_n_jobs

    return max(1, int(effective_n_jobs(n_jobs)))


def run_permutations(
    statistic: Callable[[np.ndarray], np.ndarray],
    observed: float,
    n: int,
    n_permutations: int,
    *,
    strata: np.ndarray | None = None,
    seed: Any = None,
    n_jobs: int | None = 1,
    early_stop: int | None = None,
) -> PermutationRun:
    """Fixed-size (``early_stop=None``) or Besag–Clifford sequential permutation test of ``observed``.

    ``statistic(idx)`` maps permutation indices (k, n) to k null statistics (upper tail). The
    fixed test's p-value is ``(C + 1)/(P + 1)`` with ``C = #(null >= observed)``, as scikit-learn's
    ``permutation_test_score``; the sequential one is that of
    :func:`~neuroimmune_stats.resampling.sequential_p_value` (ties within 1e-10 count as exceedances).
    """
    if early_stop is None:
        null = resample(statistic, n, n_permutations, kind="permutation", strata=strata, seed=seed, n_jobs=n_jobs)
        p = float((np.sum(null >= observed) + 1) / (n_permutations + 1))
        return PermutationRun(null, p, n_permutations, n_permutations, None, False)
    rec = _Recorder(statistic, n_jobs)
    batch = min(BLOCK, max(BATCH, 2 * early_stop) * _workers(n_jobs))
    res = sequential_p_value(rec, observed, n, h=early_stop, n_max=n_permutations, kind="permutation",
                             strata=strata, seed=seed, batch=batch)
    null = np.concatenate(rec.out)[: res.n_draws]
    return PermutationRun(null, float(res.p_value), int(res.n_draws), n_permutations, early_stop,
                          bool(res.stopped_early))


__all__ = ["BATCH", "PermutationRun", "run_permutations"]
