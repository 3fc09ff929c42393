"""Missing data: multiple imputation (:func:`impute`, :class:`ImputedData`), pooling by Rubin's rules
across every analysis, and full-information maximum likelihood mediation.

:func:`is_imputed` is the cheap test the analyses use to dispatch an :class:`ImputedData` passed as
``data`` to their pooled implementation (in :mod:`.pool`); it imports nothing heavy.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_LAZY = {
    "ImputedData": "neuroimmune_stats.missing.imputed",
    "impute": "neuroimmune_stats.missing.chained",
    "pool_lm": "neuroimmune_stats.missing.pool",
    "pool_group_compare": "neuroimmune_stats.missing.pool",
    "pool_correlate": "neuroimmune_stats.missing.pool",
    "pool_table_one": "neuroimmune_stats.missing.pool",
    "mediate_imputed": "neuroimmune_stats.missing.pool",
    "rubin": "neuroimmune_stats.missing.rules",
    "mediate_fiml": "neuroimmune_stats.missing.fiml",
}


def is_imputed(obj: Any) -> bool:
    """Whether ``obj`` is an :class:`ImputedData` (multiply imputed data set).

    Examples
    --------
    >>> import pandas as pd
    >>> is_imputed(pd.DataFrame({"a": [1.0]}))
    False
    >>> from neuroimmune_stats.missing import ImputedData
    >>> is_imputed(ImputedData.from_frames([pd.DataFrame({"a": [1.0]})] * 2))
    True
    """
    from .imputed import ImputedData

    return isinstance(obj, ImputedData)


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'neuroimmune_stats.missing' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


if TYPE_CHECKING:  # pragma: no cover
    from .chained import impute
    from .fiml import mediate_fiml
    from .imputed import ImputedData
    from .pool import mediate_imputed, pool_correlate, pool_group_compare, pool_lm, pool_table_one
    from .rules import rubin

__all__ = ["ImputedData", "impute", "is_imputed", "mediate_fiml", "mediate_imputed", "pool_correlate",
           "pool_group_compare", "pool_lm", "pool_table_one", "rubin"]
