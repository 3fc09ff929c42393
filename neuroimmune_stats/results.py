"""The result protocol shared by every analysis.

``.tidy()`` → DataFrame with broom column names, ``.summary()`` → R-like text, ``.plot(ax=None)``
→ matplotlib Axes where a picture fits, ``repr(result) == result.summary()``, ``_repr_html_`` for
notebooks, and provenance (the call, ``n``, the excluded subject IDs, the seed and the package
version) in :meth:`Result.provenance`. ``tests/test_protocol.py`` runs every public function
through this contract.

Tidy columns come from one vocabulary (:data:`TIDY_COLUMNS`): a column is a vocabulary name, a
vocabulary name behind a prefix (``a_std_error``, ``boot_conf_low``, ``sobel_p_value``), or one of
the result's declared extras (:attr:`Result.extra_columns`).
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

#: identifier and descriptor columns every result may carry
ID_COLUMNS = ("outcome", "x", "m", "y", "w", "w_value", "model", "variable", "contrast", "method", "level",
              "group", "term_label", "r", "fmi", "mediator", "label", "stratum", "rho", "test")


def tidy_column_ok(col: str, extras: tuple[str, ...] = ()) -> bool:
    """Whether ``col`` is in the vocabulary (plain, behind a prefix, or a declared extra).

    Examples
    --------
    >>> [tidy_column_ok(c) for c in ("a_std_error", "estimate_bayes", "a_se", "sobel_p")]
    [True, True, False, False]
    """
    if col in TIDY_COLUMNS or col in ID_COLUMNS or col in extras:
        return True
    # qualified vocabulary names: ``a_std_error``, ``boot_conf_low`` (prefix) or ``estimate_bayes`` (suffix)
    return any(col.endswith("_" + v) for v in TIDY_COLUMNS if v != "n") or any(
        col.startswith(v + "_") for v in (*TIDY_COLUMNS, *ID_COLUMNS))


class Result(ABC):
    """Base class of result objects (tidy / summary / plot / repr / provenance).

    Subclasses set, at fit time (never reading the caller's frame later): ``n`` (subjects used),
    ``excluded_ids`` (IDs as written in the input), ``call`` (a short text of the call) and, for
    stochastic analyses, ``seed`` (what the user passed).
    """

    #: tidy columns outside the vocabulary that this result declares
    extra_columns: tuple[str, ...] = ()
    n: int = 0
    excluded_ids: tuple[str, ...] = ()
    call: str = ""
    seed: Any = None

    @abstractmethod
    def tidy(self) -> pd.DataFrame:
        """One row per estimate, broom column names."""

    @abstractmethod
    def summary(self) -> str:
        """R-like text summary."""

    def plot(self, *args: Any, **kwargs: Any) -> Any:
        """Draw the result on ``ax=`` (a new figure when None) and return the Axes."""
        from .exceptions import SpecificationError

        raise SpecificationError(f"{type(self).__name__} has no plot.")

    def provenance(self) -> dict[str, Any]:
        """How the result was made: call, n, excluded IDs, seed and package version."""
        from ._version import __version__

        return {"call": self.call, "n": int(self.n), "excluded_ids": tuple(self.excluded_ids),
                "seed": self.seed, "version": __version__}

    def __repr__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        from html import escape

        head = f"<p><code>{escape(self.call)}</code> (n = {self.n})</p>" if self.call else ""
        return head + self.tidy().to_html(index=False, float_format=lambda v: f"{v:.4g}")

    # --- manuscript exports (issue 18): display strings from neuroimmune_stats.format, rendered by
    # neuroimmune_stats.export; a result changes what it exports by overriding _export_table
    def _export_table(self, labels: dict[str, str] | None = None) -> Any:
        """Display table (DataFrame of strings, or an ``export.ExportTable``): the formatted tidy frame.

        A result names its test statistic in the header by a class attribute ``statistic_label``
        (e.g. ``"t"``, ``"F"``, ``"z"``); ``labels`` still wins.
        """
        from .format import format_frame

        stat = getattr(self, "statistic_label", None)
        lab = {**({"statistic": str(stat)} if stat else {}), **dict(labels or {})}
        return format_frame(self.tidy(), lab, conf_level=getattr(self, "conf_level", None))

    def _export_caption(self) -> str | None:
        """Table title: the call, else the first line of the summary."""
        call = getattr(self, "call", "")
        if call:
            return str(call)
        first = self.summary().strip().splitlines()
        return first[0] if first else None

    def _export_notes(self) -> str | None:
        """Footnote under the table (n and excluded subjects)."""
        n, excluded = getattr(self, "n", 0), tuple(getattr(self, "excluded_ids", ()) or ())
        notes = f"n = {n}." if n else ""
        if excluded:
            notes += f" Excluded: {', '.join(map(str, excluded))}."
        return notes.strip() or None

    def to_markdown(self, labels: dict[str, str] | None = None) -> str:
        """Manuscript table as Markdown (APA p-values, display ``labels`` {column: label})."""
        from .export import to_markdown

        return to_markdown(self, labels)

    def to_latex(self, labels: dict[str, str] | None = None) -> str:
        """Manuscript table as a LaTeX booktabs ``table`` (escaped; needs ``\\usepackage{booktabs}``)."""
        from .export import to_latex

        return to_latex(self, labels)

    def to_html(self, labels: dict[str, str] | None = None) -> str:
        """Manuscript table as a self-contained, escaped HTML ``<table>``."""
        from .export import to_html

        return to_html(self, labels)

    def to_docx(self, path: Any, labels: dict[str, str] | None = None) -> Any:
        """Write the manuscript table as a Word document (python-docx) and return its path."""
        from .export import to_docx

        return to_docx(self, path, labels)

    def to_csv(self, path: Any = None) -> Any:
        """The tidy frame as CSV: the text when ``path`` is None, else the path written."""
        from .export import to_csv

        return to_csv(self, path)
    # --- end manuscript exports (issue 18)


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


__all__ = ["ID_COLUMNS", "TIDY_COLUMNS", "Result", "format_p", "format_table", "signif_stars", "tidy_column_ok"]
