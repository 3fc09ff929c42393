"""The random streams of many simulations at once: child seeds and bootstrap indices, vectorised.

Internal to the batched Monte Carlo of :mod:`.mediation_sim`. Creating a
:class:`numpy.random.SeedSequence` and a generator costs ~30 µs of Python-level work, and a
simulation of the power search needs four of them for a few hundred microseconds of arithmetic.
This module computes the same numbers for a whole chunk of simulations:

* :func:`child_states`: the words ``SeedSequence(entropy, spawn_key=key).generate_state(4, np.uint64)``
  for many spawn keys, by NumPy's SeedSequence hash (O'Neill's seed_seq_fe with the entropy
  assembly of ``numpy.random.bit_generator``) written over arrays of keys; a PCG64 seeded from
  those words (:func:`pcg64`, through an :class:`~numpy.random.bit_generator.ISeedSequence`) is
  the bit generator of ``default_rng(SeedSequence(entropy, spawn_key=key))``;
* :func:`bounded_integers`: ``Generator(bit_generator).integers(0, n, size)`` of fresh PCG64s, one
  block each (NumPy's Lemire method on the 32-bit halves of the raw outputs, low half first),
  from ``random_raw``, all blocks of a simulation in one vectorised pass.

Both are spot-checked against NumPy on every call that uses them (:func:`child_states` checks its
first key, the caller checks one simulation's indices against :func:`~neuroimmune_stats.resampling.draw`)
and the callers fall back to NumPy's own path when a check fails, so the draws are always the
resampling engine's, whatever NumPy does to these algorithms.

Examples
--------
>>> import numpy as np
>>> keys = np.array([[7, 0], [7, 1]])
>>> words = child_states(2022, (), 4, keys)
>>> bool((words[1] == np.random.SeedSequence(2022, spawn_key=(7, 1)).generate_state(4, np.uint64)).all())
True
>>> bg = pcg64(words[0])
>>> ref = np.random.default_rng(np.random.SeedSequence(2022, spawn_key=(7, 0))).integers(0, 10, size=(3, 10))
>>> bool((bounded_integers([bg], 10, [3]) == ref).all())
True
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.random.bit_generator import ISeedSequence

# NumPy's SeedSequence hash constants (numpy/random/bit_generator.pyx; O'Neill's seed_seq_fe)
INIT_A = 0x43B0D7E5
MULT_A = 0x931E8875
INIT_B = 0x8B51F9DD
MULT_B = 0x58F38DED
MIX_MULT_L = 0xCA01F9DD
MIX_MULT_R = 0x4973F715
XSHIFT = 16
WORD = 2**32


class _Words(ISeedSequence):
    """A seed sequence that hands a bit generator precomputed state words (from :func:`child_states`)."""

    def __init__(self, words: np.ndarray) -> None:
        self.words = words

    def generate_state(self, n_words: int, dtype: Any = np.uint32) -> np.ndarray:
        if np.dtype(dtype) != np.uint64 or n_words != self.words.size:
            raise ValueError(f"precomputed state holds {self.words.size} uint64 words")
        return self.words


def pcg64(words: np.ndarray) -> np.random.PCG64:
    """The PCG64 seeded from a seed sequence whose ``generate_state(4, np.uint64)`` is ``words``."""
    seq: Any = _Words(words)  # an ISeedSequence (NumPy's stubs list only its own SeedSequence)
    return np.random.PCG64(seq)


def _uint32_words(x: Any) -> list[int] | None:
    """NumPy's coercion of entropy or a spawn key to uint32 words (None for what it is not written for)."""
    if isinstance(x, bool):
        return None
    if isinstance(x, int | np.integer):
        v = int(x)
        if v < 0:
            return None
        out = [v & (WORD - 1)]
        v >>= 32
        while v:
            out.append(v & (WORD - 1))
            v >>= 32
        return out
    if isinstance(x, Sequence | np.ndarray) and not isinstance(x, str | bytes):
        words: list[int] = []
        for item in x:
            sub = _uint32_words(item)
            if sub is None:
                return None
            words += sub
        return words
    return None


class _Hash:
    """The running multiplier of SeedSequence's ``hashmix`` (shared by every key).

    Values are Python ints (words shared by every key) or uint32 arrays (one word per key).
    """

    def __init__(self) -> None:
        self.const = INIT_A

    def mix(self, value: Any) -> Any:
        self.const, old = (self.const * MULT_A) % WORD, self.const
        if isinstance(value, int):
            value = ((value ^ old) * self.const) % WORD
            return value ^ (value >> XSHIFT)
        value = (value ^ np.uint32(old)) * np.uint32(self.const)
        return value ^ (value >> np.uint32(XSHIFT))


def _mix(x: Any, y: Any) -> Any:
    if isinstance(x, int) and isinstance(y, int):
        r = (MIX_MULT_L * x - MIX_MULT_R * y) % WORD
        return r ^ (r >> XSHIFT)
    u32 = np.uint32
    arr = u32(MIX_MULT_L) * np.asarray(x, dtype=u32) - u32(MIX_MULT_R) * np.asarray(y, dtype=u32)
    return arr ^ (arr >> np.uint32(XSHIFT))


def child_states(entropy: Any, prefix: Sequence[int], pool_size: int, keys: np.ndarray) -> np.ndarray | None:
    """``SeedSequence(entropy, spawn_key=(*prefix, *row), pool_size=pool_size).generate_state(4, np.uint64)``
    for every row of ``keys`` (shape (G, d), integers in [0, 2**32)): shape (G, 4).

    Returns None when the inputs are outside what this is written for (entropy or keys NumPy would
    coerce differently, words beyond 32 bits) or when the first row does not match NumPy's own
    SeedSequence (the caller then uses NumPy).
    """
    keys = np.asarray(keys)
    run = _uint32_words(entropy)
    head = _uint32_words(list(prefix))
    if run is None or head is None or keys.ndim != 2 or keys.shape[0] == 0:
        return None
    if keys.size and (keys.min() < 0 or keys.max() >= WORD):
        return None
    if keys.shape[1] + len(head) > 0 and len(run) < pool_size:
        run = run + [0] * (pool_size - len(run))
    # the assembled entropy, column by column: a word shared by every key as a Python int
    cols: list[Any] = [*run, *head]
    for j in range(keys.shape[1]):
        col = keys[:, j]
        cols.append(int(col[0]) if (col == col[0]).all() else col.astype(np.uint32))
    h = _Hash()
    with np.errstate(over="ignore"):
        pool = [h.mix(cols[i] if i < len(cols) else 0) for i in range(pool_size)]
        for src in range(pool_size):
            for dst in range(pool_size):
                if src != dst:
                    pool[dst] = _mix(pool[dst], h.mix(pool[src]))
        for src in range(pool_size, len(cols)):
            for dst in range(pool_size):
                pool[dst] = _mix(pool[dst], h.mix(cols[src]))
        const = INIT_B
        words = []
        for i in range(8):
            w = np.asarray(pool[i % pool_size], dtype=np.uint32) ^ np.uint32(const)
            const = (const * MULT_B) % WORD
            w = w * np.uint32(const)
            words.append(w ^ (w >> np.uint32(XSHIFT)))
    g = keys.shape[0]
    w32 = np.stack([np.broadcast_to(w, (g,)) for w in words], axis=1).astype("<u4")
    out = np.ascontiguousarray(w32).view("<u8").astype(np.uint64)
    first = np.random.SeedSequence(entropy, spawn_key=(*prefix, *(int(v) for v in keys[0])), pool_size=pool_size)
    if not np.array_equal(out[0], first.generate_state(4, np.uint64)):
        return None
    return out


def bounded_integers(bit_generators: Sequence[np.random.PCG64], n: int, sizes: Sequence[int],
                     width: int | None = None) -> np.ndarray | None:
    """``[Generator(bg).integers(0, n, size=(k, width)) for bg, k in zip(bit_generators, sizes)]`` stacked.

    Each bit generator is freshly seeded (one block of draws each); the result (sum(sizes), width)
    is int64 (``width`` defaults to ``n``: bootstrap indices). NumPy draws int64 values below
    ``n <= 2**32`` by Lemire's method on successive 32-bit halves of the 64-bit outputs (low half
    first), rejecting a half whose product's low word is below ``2**32 mod n``. Returns None when
    such a rejection occurs (probability below ``n / 2**32`` per value; the caller then uses
    NumPy), or for ``n`` outside (1, 2**32).
    """
    if not 1 < n < WORD:
        return None
    width = n if width is None else width
    v = np.empty(sum(sizes) * width, dtype=np.uint64)
    pos = 0
    for bg, k in zip(bit_generators, sizes, strict=True):
        count = k * width
        v[pos : pos + count] = bg.random_raw((count + 1) // 2).view("<u4")[:count]
        pos += count
    v *= np.uint64(n)
    if v.view("<u4")[0::2].min() < WORD % n:  # the low words of the products
        return None
    v >>= np.uint64(32)
    return v.view(np.int64).reshape(-1, width)


__all__ = ["bounded_integers", "child_states", "pcg64"]
