"""Freedman–Lane permutation tests of a group effect with max-statistic family-wise p-values.

The permutations come from :mod:`neuroimmune_stats.resampling` (one engine for the package), so the
same ``seed`` gives the same p-values whatever ``n_jobs`` or the chunking. The statistic is
vectorised over the permutations of a chunk and over blocks of outcomes, so memory stays bounded
for 100,000 outcomes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ._params import check_int, check_probability
from ._rng import SeedLike, analysis_seed
from .design import (
    as_list,
    complete_mask,
    present_matrix,
    resolve_columns,
    subject_ids,
    warn_excluded,
)
from .exceptions import InsufficientDataError, SpecificationError
from .resampling import resample_chunks
from .results import Result, format_table


class _FreedmanLane:
    """Picklable statistic: for a chunk of permutations, exceedance counts and per-draw maxima.

    Per chunk of ``k`` permutations the permuted bases ``W[P⁻¹]ᵀ`` are stacked into one
    ``(k·c, n)`` matrix, so each block of outcomes costs ONE BLAS GEMM ``(k·c, n) @ (n, b)``
    (``2·k·c·n·b`` flops, the arithmetic of the test) plus a few passes over its output.
    """

    def __init__(self, W: np.ndarray, R: np.ndarray, q: int, d: int, df: int,
                 obs: np.ndarray, block: int) -> None:
        self.W, self.R, self.q, self.d, self.df, self.obs, self.block = W, R, q, d, df, obs, block
        self.rss0 = np.sum(R**2, axis=0)

    def flops(self, n_permutations: int) -> float:
        """Floating-point operations of the GEMMs for ``n_permutations`` permutations."""
        n, c = self.W.shape
        return 2.0 * n_permutations * c * n * self.R.shape[1]

    def stats_from(self, A: np.ndarray, sl: slice) -> np.ndarray:
        """Statistics ``(k, b)`` from ``A = W[P⁻¹]ᵀ R`` of shape ``(k, c, b)``."""
        rss = self.rss0[sl] - np.einsum("kcm,kcm->km", A, A)
        np.maximum(rss, 1e-300, out=rss)
        if self.d == 1:  # |t| = sqrt(df · S² / rss), with the square root taken in place
            out = np.square(A[:, self.q, :])
            out /= rss
            out *= self.df
            return np.sqrt(out, out=out)
        S = A[:, self.q:, :]
        return (np.einsum("kdm,kdm->km", S, S) / self.d) / (rss / self.df)

    def stats(self, Wp: np.ndarray, sl: slice) -> np.ndarray:
        # Wp: (k, n, c) permuted orthonormal basis; A[k] = Wp[k]' R = W' P_k R
        k, n, c = Wp.shape
        WT = np.ascontiguousarray(Wp.transpose(0, 2, 1)).reshape(k * c, n)
        return self.stats_from((WT @ self.R[:, sl]).reshape(k, c, -1), sl)

    def __call__(self, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        inv = np.argsort(idx, axis=1)
        k, n = idx.shape
        c = self.W.shape[1]
        WT = np.ascontiguousarray(self.W[inv].transpose(0, 2, 1)).reshape(k * c, n)
        m = self.R.shape[1]
        counts = np.zeros(m, dtype=np.int64)
        maxes = np.zeros(k)
        thr = self.obs * (1 - 1e-10)
        for s in range(0, m, self.block):
            sl = slice(s, min(s + self.block, m))
            st = self.stats_from((WT @ self.R[:, sl]).reshape(k, c, -1), sl)
            counts[sl] += np.count_nonzero(st >= thr[sl], axis=0)
            np.maximum(maxes, st.max(axis=1), out=maxes)
        return counts, maxes


@dataclass
class PermutationResult(Result):
    """Result of :func:`permutation_test`: one row per outcome.

    ``null_max`` holds the permutation distribution of the maximum statistic over outcomes (one
    value per permutation), from which ``p_fwe`` and ``.plot()`` are drawn; ``seed`` is what the
    user passed; ``flops`` the GEMM arithmetic of the run (for throughput reports).
    """

    #: tidy columns beyond the broom vocabulary (declared for the result contract)
    extra_columns = ("p_fwe",)

    table: pd.DataFrame
    term: str
    n_permutations: int
    n: int
    excluded_ids: tuple[str, ...] = ()
    null_max: np.ndarray = field(default_factory=lambda: np.empty(0), repr=False)
    statistic_name: str = "t"
    seed: Any = None
    call: str = ""
    flops: float = 0.0

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

    def critical_value(self, alpha: float = 0.05) -> float:
        """The max-statistic threshold of family-wise level ``alpha`` (outcomes above it have ``p_fwe ≤ alpha``)."""
        alpha = check_probability(alpha, where="PermutationResult.critical_value", name="alpha")
        ranked = np.sort(self.null_max)[::-1]
        # p_fwe = (#{null ≥ s} + 1)/(P + 1) ≤ alpha  ⇔  s above the j-th largest null value, j = floor(alpha(P+1)) - 1
        j = int(np.floor(alpha * (self.n_permutations + 1))) - 1
        return float(ranked[j]) if 0 <= j < ranked.size else float("inf")

    def plot(self, ax: Any = None, alpha: float = 0.05) -> Any:
        """Null distribution of the maximum statistic, its ``1 - alpha`` critical value and the observed statistics.

        Draws from the stored permutation maxima (nothing is recomputed); returns the Axes.
        """
        from .plots._axes import GROUP_COLOURS, get_ax

        ax = get_ax(ax)
        name = "|t|" if self.statistic_name == "t" else "F"
        ax.hist(self.null_max, bins=min(60, max(10, self.n_permutations // 20)), density=True,
                color=GROUP_COLOURS[0], alpha=0.55, label=f"null of max {name} ({self.n_permutations} permutations)")
        crit = self.critical_value(alpha)
        if np.isfinite(crit):
            ax.axvline(crit, color="black", ls="--", lw=1.2, label=f"FWE {alpha:g} critical value {crit:.2f}")
        obs = np.abs(self.table["statistic"].to_numpy(float))
        top = np.sort(obs)[::-1][:50]
        ax.plot(top, np.zeros_like(top), "|", color=GROUP_COLOURS[1], ms=14, mew=1.5, clip_on=False,
                label=f"observed {name}" + (" (50 largest)" if obs.size > 50 else ""))
        ax.set_xlabel(f"maximum {name} over {len(self.table)} outcome(s): {self.term}")
        ax.set_ylabel("density")
        ax.legend(frameon=False, fontsize=8, loc="upper right")
        ax.set_ylim(0, ax.get_ylim()[1] * 1.25)  # room for the legend above the histogram
        return ax


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
        are used (NaN, None and ±inf are missing, the design layer's rule); the excluded IDs are
        recorded in ``.excluded_ids`` and named in one ``DataWarning``.
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
        The analysis draws its own stream, ``analysis_seed(seed, "permutation_test")``; the same
        seed gives the same p-values at any ``n_jobs``, chunking or joblib backend.
    n_jobs : int, default=1
        Workers (joblib); results do not depend on it. Under ``joblib.parallel_backend("dask")``
        the statistic (with the outcome residuals) is scattered to the workers once, see
        docs/cluster.md.
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
    ``W' P R`` alone: for a chunk of ``k`` permutations and a block of ``b`` outcomes, one BLAS
    GEMM ``(k·c × n) @ (n × b)`` with ``c`` the design's columns (``make bench`` prints its
    throughput beside a plain GEMM of the same shape).
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
    from .models.group import group_design, outcome_columns, outcome_matrix  # heavy: not needed on workers

    what = "permutation_test"
    if not isinstance(data, pd.DataFrame):
        raise SpecificationError(f"{what}: data must be a pandas DataFrame.")
    n_permutations = check_int(n_permutations, where=what, name="n_permutations", minimum=1)
    n_jobs = check_int(n_jobs, where=what, name="n_jobs", minimum=-(2**16))
    if n_jobs == 0:
        raise SpecificationError(f"{what}: n_jobs must be a positive integer or negative (joblib); got 0.")
    chunk_size = check_int(chunk_size, where=what, name="chunk_size", minimum=1)
    max_bytes = check_int(max_bytes, where=what, name="max_bytes", minimum=1)
    ys, positions = outcome_columns(data, outcomes, what=f"{what} outcomes")
    (g,) = resolve_columns(data, group, what=f"{what} group")
    covs = resolve_columns(data, as_list(covariates), what=f"{what} covariates")
    blk = resolve_columns(data, blocks, what=f"{what} blocks") if blocks is not None else []
    if set(ys) & ({g} | set(covs)):
        raise SpecificationError(f"{what}: a column cannot be both outcome and predictor.")
    Y = outcome_matrix(data, ys, what=what, positions=positions)
    # the design layer's one missing-value rule: outcomes by matrix, predictors by complete_cases
    mask = present_matrix(Y).all(axis=1) & complete_mask(data, [g, *covs, *blk])
    excluded = tuple(subject_ids(data)[~mask].tolist())
    n = int(mask.sum())
    warn_excluded(what, excluded, n, stacklevel=2)
    if n < 3:
        raise InsufficientDataError(f"{what}: {n} complete case(s) on the outcomes, {g!r}, covariates and blocks.")
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
    parts = resample_chunks(stat, n, n_permutations, kind="permutation", strata=strata,
                            seed=analysis_seed(seed, what), n_jobs=n_jobs, chunk_size=chunk)
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
                             statistic_name="t" if d == 1 else "F", seed=seed,
                             call=f"permutation_test({len(ys)} outcome(s), group={g!r}, covariates={covs!r}, "
                                  f"n_permutations={n_permutations})", flops=stat.flops(n_permutations))


__all__ = ["PermutationResult", "permutation_test"]
