"""Harmonisation across scanners and protocols: ComBat as R ``sva::ComBat`` (and neuroCombat).

:func:`harmonize` works on a data frame and returns a harmonised copy; :class:`ComBat` is the
scikit-learn transformer (fit on training rows, transform new rows of seen batches); the
cross-validated use is ``evaluate_classifier(..., harmonize=True)``, which estimates ComBat inside
each training fold. ``ComBat`` loads scikit-learn on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .api import HarmonizeResult, harmonize

if TYPE_CHECKING:  # pragma: no cover
    from .transformer import ComBat


def __getattr__(name: str) -> Any:
    if name == "ComBat":
        from .transformer import ComBat

        return ComBat
    raise AttributeError(f"module 'neuroimmune_stats.harmonization' has no attribute {name!r}")


__all__ = ["ComBat", "HarmonizeResult", "harmonize"]
