"""The fast paths of the (moderated) mediation bootstrap give the numbers of straightforward references.

Issue 15 restructured the hot path of ``mediate(..., moderator=...)`` without changing a number:
moments are reduced per seed block as the blocks are drawn (no concatenated index matrix), and the
interval kernels work on a transposed copy of the draws. Each test below recomputes the result the
plain way (concatenated indices, axis-0 reductions, a sort) and asks for equality.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import neuroimmune_stats as nis
from neuroimmune_stats._rng import analysis_seed
from neuroimmune_stats.mediation import intervals
from neuroimmune_stats.mediation._engine import Engine
from neuroimmune_stats.mediation._spec import prepare
from neuroimmune_stats.mediation.bootstrap import _Statistic
from neuroimmune_stats.mediation.conditional import ModeratedEngine, prepare_moderated
from neuroimmune_stats.resampling import BLOCK, _block_seed, draw, resample, resample_chunks
from neuroimmune_stats.results import Result

X, M, Y, W, COVS = "suvr_s1", "conn_s1__pcc", "conn_s1__thalamus", "subtype", ["age", "bmi"]


@pytest.fixture(scope="module")
def cohort():  # type: ignore[no-untyped-def]
    return nis.simulate_cohort(seed=1)


def _engines(df):  # type: ignore[no-untyped-def]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield "model 7", ModeratedEngine(prepare_moderated(df, X, M, Y, W, ("a",), COVS))
        yield "model 14, numeric W", ModeratedEngine(prepare_moderated(df, X, M, Y, "paindetect", ("b",), ["bmi"]))
        yield "model 59, two mediators", ModeratedEngine(
            prepare_moderated(df, X, [M, "suvr_thalamus"], Y, W, ("a", "b", "c_prime")))
        yield "simple", Engine(prepare(df, X, M, Y, COVS))


def _concatenated(engine, n_draws: int, seed: int) -> np.ndarray:  # type: ignore[no-untyped-def]
    """The statistic of the whole index matrix: every seed block drawn, concatenated, then reduced."""
    root = analysis_seed(seed, "mediate")
    sizes = [min(BLOCK, n_draws - s) for s in range(0, n_draws, BLOCK)]
    idx = np.concatenate([draw("bootstrap", engine.n, k, np.random.default_rng(_block_seed(root, i)))
                          for i, k in enumerate(sizes)])
    eff, bad = engine.effects(engine.moments_from_indices(idx))
    return np.column_stack([eff, bad])


@pytest.mark.parametrize("n_draws", [1, BLOCK, 3 * BLOCK + 17])
def test_block_moments_equal_concatenated_indices(cohort, n_draws: int) -> None:  # type: ignore[no-untyped-def]
    for name, engine in _engines(cohort):
        fast = resample(_Statistic(engine), engine.n, n_draws, kind="bootstrap", seed=analysis_seed(4, "mediate"))
        np.testing.assert_array_equal(fast, _concatenated(engine, n_draws, 4), err_msg=name)


def test_block_moments_equal_at_any_chunking_and_blocking(cohort) -> None:  # type: ignore[no-untyped-def]
    engine = next(iter(_engines(cohort)))[1]
    ref = _concatenated(engine, 1000, 2)
    for chunk in (None, BLOCK, 2 * BLOCK):
        got = resample(_Statistic(engine), engine.n, 1000, seed=analysis_seed(2, "mediate"), chunk_size=chunk)
        np.testing.assert_array_equal(got, ref)
    idx = np.random.default_rng(0).integers(0, engine.n, size=(700, engine.n))
    parts = [idx[:5], idx[5:300], idx[300:]]
    np.testing.assert_array_equal(engine.moments_from_blocks(iter(parts), 700), engine.moments_from_indices(idx))
    for block in (1, 7, 256, 1000):  # groups straddling parts are formed as in the concatenation
        np.testing.assert_array_equal(engine.moments_from_blocks(iter(parts), 700, block),
                                      engine.moments_from_indices(idx, block))
    with pytest.raises(ValueError, match="700"):
        engine.moments_from_blocks(iter(parts[:2]), 700)


def test_grouped_effects_equal_one_pass_with_singular_resamples(cohort, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    df = cohort.assign(rare=np.where(np.arange(len(cohort)) < 3, "r", "c"))  # absent from ~5% of resamples
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        engine = ModeratedEngine(prepare_moderated(df, X, M, Y, W, ("a", "b"), ["age", "rare"]))
    ref = _concatenated(engine, 3 * BLOCK + 40, 6)
    assert ref[:, -1].sum() > 5  # singular resamples, solved by the pseudo-inverse, in several groups
    rows = engine.zpt.shape[0]
    for group_bytes in (1, 8 * rows * BLOCK, 8 * rows * (BLOCK + 1), _Statistic.GROUP_BYTES, 2**40):
        monkeypatch.setattr(_Statistic, "GROUP_BYTES", group_bytes)
        got = resample(_Statistic(engine), engine.n, 3 * BLOCK + 40, seed=analysis_seed(6, "mediate"))
        np.testing.assert_array_equal(got, ref, err_msg=str(group_bytes))
    idx = np.zeros((10, engine.n), dtype=np.int64)
    with pytest.raises(ValueError, match="k = 9"):
        _Statistic(engine).from_blocks(iter([idx]), 9)
    with pytest.raises(ValueError, match="not k = 11"):
        _Statistic(engine).from_blocks(iter([idx]), 11)


def test_resample_hands_a_block_statistic_its_seed_blocks_in_order() -> None:
    seen: list[np.ndarray] = []

    class Sums:
        def __call__(self, idx: np.ndarray) -> np.ndarray:
            return idx.sum(axis=1)

        def from_blocks(self, blocks, k: int) -> np.ndarray:  # type: ignore[no-untyped-def]
            parts = list(blocks)
            seen.extend(parts)
            assert sum(p.shape[0] for p in parts) == k
            return np.concatenate([p.sum(axis=1) for p in parts])

    n, n_draws = 9, 2 * BLOCK + 3
    plain = resample(lambda idx: idx.sum(axis=1), n, n_draws, seed=5)
    np.testing.assert_array_equal(resample(Sums(), n, n_draws, seed=5), plain)
    assert [p.shape[0] for p in seen] == [BLOCK, BLOCK, 3]
    assert len(resample_chunks(Sums(), n, n_draws, seed=5, chunk_size=BLOCK)) == 3


# --------------------------------------------------------------------------- intervals
def _reference_quantiles(draws: np.ndarray, probs: np.ndarray) -> np.ndarray:
    """R type 7 quantiles of the finite draws of each column, by a sort along axis 0."""
    finite = np.isfinite(draws)
    count = finite.sum(axis=0)
    srt = np.sort(np.where(finite, draws, np.inf), axis=0)
    out = np.full(probs.shape, np.nan)
    for j in range(draws.shape[1]):
        for r in range(probs.shape[0]):
            pr = probs[r, j]
            if count[j] == 0 or not np.isfinite(pr):
                continue
            h = (count[j] - 1) * min(max(pr, 0.0), 1.0)
            lo = int(np.floor(h))
            hi = min(lo + 1, count[j] - 1)
            frac = h - lo
            out[r, j] = srt[lo, j] if frac == 0 else srt[lo, j] + frac * (srt[hi, j] - srt[lo, j])
    return out


def _reference_bias_correction(draws: np.ndarray, estimate: np.ndarray) -> np.ndarray:
    from scipy import special

    finite = np.isfinite(draws)
    b = finite.sum(axis=0)
    below = np.sum((draws < estimate[None, :]) & finite, axis=0)
    prop = np.clip(below / np.maximum(b, 1), 0.5 / np.maximum(b, 1), 1 - 0.5 / np.maximum(b, 1))
    return special.ndtri(prop)


def test_transposed_interval_kernels_equal_axis0_references() -> None:
    rng = np.random.default_rng(11)
    for t in range(80):
        B, p = int(rng.integers(1, 1500)), int(rng.integers(1, 40))
        d = rng.normal(size=(B, p + 1))[:, :p]  # a strided view, as the bootstrap hands over
        if t % 3 == 0:
            d[rng.random((B, p)) < 0.05] = np.inf
        if t % 5 == 0:
            d[rng.random((B, p)) < 0.05] = -np.inf
        if t % 7 == 0:
            d[:, 0] = np.nan
        if t % 4 == 0:
            d = np.round(d, 1)  # ties
        if t % 11 == 0:
            d = d * 1e307  # a sum that overflows: the general path
        before = d.copy()
        est = rng.normal(size=p)
        probs = rng.random((2, p))
        probs[0, 0] = 0.0
        probs[1, -1] = 1.0 if t % 2 else np.nan
        np.testing.assert_array_equal(intervals._quantiles(d, probs), _reference_quantiles(d, probs))
        np.testing.assert_array_equal(intervals.bias_correction(d, est), _reference_bias_correction(d, est))
        z0 = _reference_bias_correction(d, est)
        from scipy import special

        za = special.ndtri(np.array([(1 - 0.95) / 2, (1 + 0.95) / 2]))[:, None]
        ref = _reference_quantiles(d, special.ndtr(z0 + (z0 + za) / (1 - 0.0 * (z0 + za))))
        lo, hi = intervals.bca_interval(d, est, 0.95)
        np.testing.assert_array_equal(np.vstack([lo, hi]), ref)
        np.testing.assert_array_equal(d, before)  # the caller's draws are never partitioned in place


def test_model7_result_equals_the_plain_computation(cohort) -> None:  # type: ignore[no-untyped-def]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = nis.mediate(cohort, X, M, Y, covariates=COVS, moderator=W, moderate=("a",), n_boot=600, ci="bc", seed=8)
        engine = ModeratedEngine(prepare_moderated(cohort, X, M, Y, W, ("a",), COVS))
    out = _concatenated(engine, 600, 8)
    np.testing.assert_array_equal(res.draws, out[:, :-1])
    np.testing.assert_array_equal(res.estimate, engine.point_estimate())
    z0 = _reference_bias_correction(out[:, :-1], res.estimate)
    from scipy import special

    za = special.ndtri(np.array([(1 - 0.95) / 2, (1 + 0.95) / 2]))[:, None]
    ref = _reference_quantiles(out[:, :-1], special.ndtr(z0 + (z0 + za) / (1 - 0.0 * (z0 + za))))
    tidy = res.tidy()
    boot = ~tidy.term.isin(["a", "a:w", "b", "c_prime"]).to_numpy()
    np.testing.assert_array_equal(tidy.conf_low.to_numpy()[boot], ref[0][boot])
    np.testing.assert_array_equal(tidy.conf_high.to_numpy()[boot], ref[1][boot])
    assert isinstance(res, Result)


# --------------------------------------------------------------------------- rank shortcut
def test_clear_full_rank_shortcut_never_disagrees_with_check_rank() -> None:
    from neuroimmune_stats.design import check_rank
    from neuroimmune_stats.design.linalg import aliased_columns, clearly_full_rank
    from neuroimmune_stats.exceptions import RankDeficiencyError

    rng = np.random.default_rng(5)
    clear = 0
    for t in range(400):
        n, p = int(rng.integers(3, 60)), int(rng.integers(1, 9))
        X = np.column_stack([np.ones(n), rng.normal(size=(n, p - 1))]) if p > 1 else np.ones((n, 1))
        if p > 2 and t % 2:  # a column close to (or exactly) a combination of the others
            X[:, -1] = X[:, 1] * 2.0 + X[:, 0] + 10.0 ** -rng.integers(0, 17) * rng.normal(size=n)
        if t % 13 == 0:
            X[:, -1] = 0.0
        if t % 17 == 0:
            X[0, -1] = np.nan
        if t % 19 == 0:
            X[1, -1] = np.inf
        names = [f"c{j}" for j in range(p)]
        if clearly_full_rank(X):
            clear += 1
            assert aliased_columns(X) == [] and check_rank(X, names, what="t") == list(range(p))
        else:  # the shortcut abstains: check_rank decides, and may keep every column
            try:
                check_rank(X, names, what="t")
            except RankDeficiencyError:
                pass
    assert clear > 100
