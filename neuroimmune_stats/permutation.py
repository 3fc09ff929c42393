"""Freedman–Lane permutation tests of a group effect with max-statistic family-wise p-values.

The permutations come from :mod:`neuroimmune_stats.resampling` (one engine for the package), so the
same ``seed`` gives the same p-values whatever ``n_jobs`` or the chunking. The statistic is
vectorised over the permutations of a chunk and over blocks of outcomes, so memory stays bounded
for 100,000 outcomes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ._rng import SeedLike
from .design import as_list, resolve_columns, subject_ids
from .exceptions import InsufficientDataError, SpecificationError
from .models.group import group_design, outcome_columns, outcome_matrix
from .resampling import resample_chunks
from .results import Result, format_table


class _FreedmanLane:
    """Picklable statistic: for a chunk of permutations, exceedance counts and per-draw maxima."""

    def __init__(self, W: np.ndarray, R: np.ndarray, q: int, d: int, df: int,
                 obs: np.ndarray, block: int) -> None:
        self.W, self.R, self.q, self.d, self.df, self.obs, self.block = W, R, q, d, df, obs, block
        self.rss0 = np.sum(R**2, axis=0)

    def stats(self, Wp: np.ndarray, sl: slice) -> np.ndarray:
        # Wp: (k, n, c) permuted orthonormal basis; A[k] = Wp[k]' R = W' P_k R
        A = np.matmul(Wp.transpose(0, 2, 1), self.R[:, sl])
        ss_all = np.einsum("kcm,kcm->km", A, A)
        S = A[:, self.q:, :]
        rss = np.maximum(self.rss0[sl] - ss_all, 1e-300)
        if self.d == 1:
            return np.abs(S[:, 0, :]) / np.sqrt(rss / self.df)
        return (np.einsum("kdm,kdm->km", S, S) / self.d) / (rss / self.df)

    def __call__(self, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        inv = np.argsort(idx, axis=1)
        Wp = self.W[inv]
        m = self.R.shape[1]
        counts = np.zeros(m, dtype=np.int64)
        maxes = np.zeros(idx.shape[0])
        thr = self.obs * (1 - 1e-10)
        for s in range(0, m, self.block):
            sl = slice(s, min(s + self.block, m))
            st = self.stats(Wp, sl)
            counts[sl] += np.sum(st >= thr[sl], axis=0)
            np.maximum(maxes, st.max(axis=1), out=maxes)
        return counts, maxes


@dataclass
class PermutationResult(Result):
    """Result of :func:`permutation_test`: one row per outcome."""

    table: pd.DataFrame
    term: str
    n_permutations: int
    n: int
    excluded_ids: tuple[str, ...] = ()
    null_max: np.ndarray = field(default_factory=lambda: np.empty(0), repr=False)
    statistic_name: str = "t"

    def tidy(self) -> pd.DataFrame:
        """``outcome, term, statistic, df, p_value, p_fwe, n``."""
        return self.table.copy()

    def summary(self) -> str:
        sig = int(np.sum(self.table["p_fwe"] < 0.05))
        head = [
            "Freedman–Lane permutation test",
            f"term: {self.term} ({self.statistic_name} statistic, two-sided); "
            f"{self.n_permutations} permutations; n = {self.n}"
            + (f" (excluded: {', '.join(self.excluded_ids)})" if self.excluded_ids else ""),
            f"{len(self.table)} outcome(s); {sig} with max-statistic FWE p < 0.05", "",
        ]
        shown = self.table.sort_values("p_value").head(20)
        return "\n".join(head) + format_table(shown)

    def __repr__(self) -> str:
        return self.summary()


def permutation_test(
    data: pd.DataFrame,
    outcomes: str | Iterable[str],
    group: str = "subtype",
    covariates: str | Iterable[str] = (),
    n_permutations: int = 5000,
    blocks: str | None = None,
    seed: SeedLike = None,
    n_jobs: int = 1,
    *,
    chunk_size: int = 256,
    max_bytes: int = 8 * 2**20,
) -> PermutationResult:
    """Freedman–Lane permutation test of ``group`` adjusted for ``covariates``, every outcome.

    Parameters
    ----------
    data : pandas.DataFrame
        Not modified. Subjects complete on all outcomes, ``group``, ``covariates`` and ``blocks``
        are used (the excluded IDs are recorded).
    outcomes : str or list of str
        Outcome columns or globs.
    group : str, default="subtype"
        Factor tested: a t statistic for two levels (second minus first), F for more.
    covariates : str or list of str
        Nuisance covariates (factors dummy-coded) of the reduced model.
    n_permutations : int, default=5000
    blocks : str, optional
        Column of exchangeability blocks (e.g. ``"protocol"``): residuals are permuted within
        blocks only.
    seed : int, Generator or None
    n_jobs : int, default=1
        Workers (joblib); results do not depend on it.
    chunk_size : int, default=256
        Permutations per chunk (memory/scheduling only).
    max_bytes : int, default=8 MiB
        Memory budget of one chunk's statistic array; outcomes are processed in blocks that fit.

    Returns
    -------
    PermutationResult
        ``.tidy()`` has ``outcome, term, statistic, df, p_value, p_fwe, n``: the permutation p
        ``(count + 1) / (P + 1)`` and the max-statistic family-wise p over all outcomes.

    Notes
    -----
    Freedman & Lane (1983): the residuals ``R`` of the reduced model (intercept + covariates) are
    permuted and added to its fitted values, and the full model is refitted; with ``W`` an
    orthonormal basis of the full design, the statistic of permutation ``P`` follows from
    ``W' P R`` alone, computed for a chunk of permutations and a block of outcomes at once.
    Agrees with nilearn ``permuted_ols`` (tests/test_permutation.py).

    Examples
    --------
    >>> import neuroimmune_stats as nis
    >>> df = nis.simulate_cohort(seed=1)
    >>> res = permutation_test(df, "suvr_*", covariates=["protocol", "tspo_genotype"],
    ...                        n_permutations=199, seed=3)
    >>> list(res.tidy().columns)
    ['outcome', 'term', 'statistic', 'df', 'p_value', 'p_fwe', 'n']
    """
    what = "permutation_test"
    if not isinstance(data, pd.DataFrame):
        raise SpecificationError(f"{what}: data must be a pandas DataFrame.")
    n_permutations = int(n_permutations)
    if n_permutations < 1:
        raise SpecificationError(f"{what}: n_permutations must be >= 1; got {n_permutations}.")
    ys, positions = outcome_columns(data, outcomes, what=f"{what} outcomes")
    (g,) = resolve_columns(data, group, what=f"{what} group")
    covs = resolve_columns(data, as_list(covariates), what=f"{what} covariates")
    blk = resolve_columns(data, blocks, what=f"{what} blocks") if blocks is not None else []
    if set(ys) & ({g} | set(covs)):
        raise SpecificationError(f"{what}: a column cannot be both outcome and predictor.")
    Y = outcome_matrix(data, ys, what=what, positions=positions)
    mask = np.isfinite(Y).all(axis=1) & data[[g, *covs, *blk]].notna().all(axis=1).to_numpy()
    ids = subject_ids(data).to_numpy()
    excluded = tuple(str(i) for i in ids[~mask])
    n = int(mask.sum())
    frame = data.loc[mask, [g, *covs]]
    G, Z, levels, _ = group_design(frame, g, covs, what=what)
    q, d = Z.shape[1], G.shape[1]
    df = n - q - d
    if df < 1:
        raise InsufficientDataError(f"{what}: {n} complete cases leave no residual df.")
    Y = Y[mask]
    Qz, _ = np.linalg.qr(Z)
    Gt = G - Qz @ (Qz.T @ G)
    U, _ = np.linalg.qr(Gt)
    if d == 1:
        U = U * np.sign(U[:, 0] @ Gt[:, 0])
    W = np.ascontiguousarray(np.column_stack([Qz, U]))
    R = Y - Qz @ (Qz.T @ Y)
    chunk = max(1, min(int(chunk_size), n_permutations))
    block = int(max(1, min(R.shape[1], max_bytes // (8 * chunk * (W.shape[1] + 3)))))
    stat = _FreedmanLane(W, R, q, d, df, np.zeros(R.shape[1]), block)
    ident = np.arange(n)[None, :]
    signed = np.matmul(W.T[None], R)[:, q:, :]
    obs = stat.stats(W[ident], slice(None))[0]
    stat.obs = obs
    strata = data.loc[mask, blk[0]].astype(str).to_numpy() if blk else None
    parts = resample_chunks(stat, n, n_permutations, kind="permutation", strata=strata, seed=seed,
                            n_jobs=n_jobs, chunk_size=chunk)
    counts = np.sum([c for c, _ in parts], axis=0)
    maxes = np.concatenate([m for _, m in parts])
    p = (counts + 1) / (n_permutations + 1)
    p_fwe = (np.sum(maxes[None, :] >= obs[:, None] * (1 - 1e-10), axis=1) + 1) / (n_permutations + 1) \
        if len(ys) * n_permutations <= 5e7 else \
        (n_permutations + 1 - np.searchsorted(np.sort(maxes), obs * (1 - 1e-10))) / (n_permutations + 1)
    if d == 1:
        rss = np.maximum(np.sum(R**2, axis=0) - np.sum(np.matmul(W.T, R) ** 2, axis=0), 1e-300)
        statistic = signed[0, 0] / np.sqrt(rss / df)
        term = f"{g}[T.{levels[1]}]"
    else:
        statistic = obs
        term = g
    table = pd.DataFrame({"outcome": ys, "term": term, "statistic": statistic, "df": float(df),
                          "p_value": p, "p_fwe": p_fwe, "n": n})
    return PermutationResult(table=table, term=term, n_permutations=n_permutations, n=n,
                             excluded_ids=excluded, null_max=maxes,
                             statistic_name="t" if d == 1 else "F")


__all__ = ["PermutationResult", "permutation_test"]
