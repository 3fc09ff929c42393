"""Subject IDs: one matching key across tables, spellings kept as each file wrote them.

Sites write the same subject as ``sub-054``, ``054``, ``54`` or ``SUB-054`` in different exports. Tables
are matched on :func:`id_key` (``sub-`` prefix, zero padding and case ignored); the merged frame keeps the
participants file's spelling and every message quotes an ID as the file wrote it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

_PREFIX = re.compile(r"^sub[-_]", re.IGNORECASE)
_PADDING = re.compile(r"(?<![0-9])0+(?=[0-9])")


@lru_cache(maxsize=1 << 17)
def id_key(value: str) -> str:
    """The matching key of a subject ID: no ``sub-`` prefix, no zero padding, case-folded.

    Empty for an ID that is only a prefix (``"sub-"``), which the validator refuses.

    Examples
    --------
    >>> [id_key(v) for v in ("sub-054", "054", "54", "SUB-054", "S01", "sub-")]
    ['54', '54', '54', '54', 's1', '']
    """
    s = value.strip() if value.isascii() else unicodedata.normalize("NFKC", value).strip()
    s = _PREFIX.sub("", s, count=1)
    return _PADDING.sub("", s.casefold())


def describe_respelling(pairs: Iterable[tuple[str, str]], limit: int = 3) -> str:
    """``'054' → 'sub-054', ...``: examples of IDs matched under another spelling."""
    shown = [f"{a!r} → {b!r}" for a, b in pairs]
    more = f" and {len(shown) - limit} more" if len(shown) > limit else ""
    return ", ".join(shown[:limit]) + more


def show_ids(ids: list[str], limit: int = 20) -> str:
    """A comma-separated list of IDs as written, cut after ``limit``.

    Examples
    --------
    >>> show_ids(["sub-01", "sub-02", "sub-03"], limit=2)
    'sub-01, sub-02 and 1 more'
    """
    more = f" and {len(ids) - limit} more" if len(ids) > limit else ""
    return ", ".join(ids[:limit]) + more
