"""One randomness policy: every stochastic function normalises ``seed`` here, once.

``seed`` may be an int, a :class:`numpy.random.Generator`, a :class:`numpy.random.SeedSequence`
or None (fresh OS entropy). The global numpy state is never used.
"""

from __future__ import annotations

import hashlib
from typing import TypeAlias

import numpy as np

from .exceptions import SpecificationError

SeedLike: TypeAlias = int | np.integer | np.random.Generator | np.random.SeedSequence | None


def seed_sequence(seed: SeedLike) -> np.random.SeedSequence:
    """Turn any accepted seed into a :class:`numpy.random.SeedSequence`.

    A Generator is advanced by one draw (so two calls with the same Generator differ, as users
    expect), an int maps to ``SeedSequence(int)``.

    Examples
    --------
    >>> seed_sequence(7).entropy
    7
    """
    if isinstance(seed, np.random.SeedSequence):
        return seed
    if isinstance(seed, np.random.Generator):
        return np.random.SeedSequence(int(seed.integers(0, 2**63 - 1)))
    if seed is None:
        return np.random.SeedSequence()
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise SpecificationError(
            f"seed must be an int, a numpy Generator, a SeedSequence or None; got {type(seed).__name__}."
        )
    if seed < 0:
        raise SpecificationError(f"seed must be a non-negative int; got {seed}.")
    return np.random.SeedSequence(int(seed))


def check_rng(seed: SeedLike) -> np.random.Generator:
    """Return a new :class:`numpy.random.Generator` from ``seed``.

    Examples
    --------
    >>> float(check_rng(1).random()) == float(check_rng(1).random())
    True
    """
    return np.random.default_rng(seed_sequence(seed))


def child_seeds(seed: SeedLike, n: int) -> list[np.random.SeedSequence]:
    """``n`` independent child seeds (for models of a grid, chains, chunks of draws)."""
    return seed_sequence(seed).spawn(n)


def int_seed(seed: SeedLike) -> int:
    """A 32-bit int derived from ``seed`` for libraries that want one (PyMC, scikit-learn)."""
    return int(seed_sequence(seed).generate_state(1, dtype=np.uint32)[0])


def analysis_seed(seed: SeedLike, analysis: str) -> np.random.SeedSequence:
    """The random stream of one analysis: the user's seed with a spawn key derived from ``analysis``.

    ``mediate(seed=s)`` and ``bayes_mediate(seed=s)`` therefore draw independent numbers, while the
    same call with the same seed repeats exactly. A Generator is advanced once (as
    :func:`seed_sequence`); a SeedSequence keeps its entropy and gets the analysis key appended.

    Examples
    --------
    >>> a = np.random.default_rng(analysis_seed(1, "mediate")).random()
    >>> b = np.random.default_rng(analysis_seed(1, "bayes_mediate")).random()
    >>> bool(a != b), bool(a == np.random.default_rng(analysis_seed(1, "mediate")).random())
    (True, True)
    """
    root = seed_sequence(seed)
    key = int.from_bytes(hashlib.sha256(analysis.encode()).digest()[:4], "little")
    return np.random.SeedSequence(root.entropy, spawn_key=(*root.spawn_key, key), pool_size=root.pool_size)


def analysis_rng(seed: SeedLike, analysis: str) -> np.random.Generator:
    """A Generator on :func:`analysis_seed` (``seed``, ``analysis``)."""
    return np.random.default_rng(analysis_seed(seed, analysis))
