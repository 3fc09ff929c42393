"""The result protocol shared by every analysis.

``.tidy()`` → DataFrame with broom column names, ``.summary()`` → R-like text, ``.plot(ax=None)``
→ matplotlib Axes where a picture fits, and ``repr(result) == result.summary()``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

import numpy as np
import pandas as pd

#: the broom vocabulary; results use these names and no synonyms
TIDY_COLUMNS = (
    "term",
    "estimate",
    "std_error",
    "statistic",
    "df",
    "p_value",
    "conf_low",
    "conf_high",
    "p_adj",
    "n",
)


class Result(ABC):
    """Base class of result objects (tidy / summary / plot / repr)."""

    @abstractmethod
    def tidy(self) -> pd.DataFrame:
        """One row per estimate, broom column names."""

    @abstractmethod
    def summary(self) -> str:
        """R-like text summary."""

    def __repr__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        return self.tidy().to_html(index=False, float_format=lambda v: f"{v:.4g}")


def format_p(p: float) -> str:
    """R's ``format.pval`` style: ``< 2.2e-16`` for tiny values, 4 significant digits otherwise.

    Examples
    --------
    >>> format_p(0.012345), format_p(1e-20)
    ('0.01235', '< 2.2e-16')
    """
    if p is None or not np.isfinite(p):
        return "NA"
    if p < 2.2e-16:
        return "< 2.2e-16"
    return f"{p:.4g}"


def signif_stars(p: float) -> str:
    """R's significance codes: ``***`` < 0.001 < ``**`` < 0.01 < ``*`` < 0.05 < ``.`` < 0.1."""
    if p is None or not np.isfinite(p):
        return ""
    for cut, mark in ((0.001, "***"), (0.01, "**"), (0.05, "*"), (0.1, ".")):
        if p < cut:
            return mark
    return ""


def format_table(df: pd.DataFrame, digits: int = 4) -> str:
    """Print a frame the way R prints a data.frame (no index, significant digits)."""

    def fmt(v: Any) -> str:
        if isinstance(v, float | np.floating):
            return "NA" if not np.isfinite(v) else f"{v:.{digits}g}"
        return str(v)

    return df.to_string(index=False, formatters={c: fmt for c in df.columns})


__all__ = ["TIDY_COLUMNS", "Result", "format_p", "format_table", "signif_stars"]
