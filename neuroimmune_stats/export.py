"""Manuscript exports of any result: Markdown, LaTeX (booktabs), HTML, Word (.docx) and CSV.

Every export renders one :class:`ExportTable` — display strings made by
:mod:`neuroimmune_stats.format` (APA p-values, integral df, labels) with an optional two-level
header (Table 1: one block per protocol) — so the five formats always show the same table.
A result decides what it exports through ``_export_table(labels)`` (default: its formatted tidy
frame); ``to_csv`` writes the machine-readable tidy frame itself.

Examples
--------
>>> import pandas as pd
>>> t = pd.DataFrame({"term": ["age"], "estimate": [0.5], "p_value": [0.0004]})
>>> print(to_markdown(t))
| Term | Estimate | p |
|---|---:|---:|
| Age, years | 0.50 | < .001 |
<BLANKLINE>
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from .format import format_frame, result_labels


@dataclass(frozen=True)
class ExportTable:
    """A table of display strings ready to render.

    Attributes
    ----------
    frame : DataFrame
        Cells as strings. Columns are a flat index, or a two-level MultiIndex whose first level
        is a spanning header (e.g. ``("Protocol 1", "axial (n = 12)")``; ``""`` spans nothing).
    caption : str, optional
        Table title.
    notes : str, optional
        Footnote printed under the table.
    stub : int
        Leading columns holding row labels (left-aligned); the others are right-aligned.
    """

    frame: pd.DataFrame
    caption: str | None = None
    notes: str | None = None
    stub: int = 1

    @property
    def two_level(self) -> bool:
        return isinstance(self.frame.columns, pd.MultiIndex)

    def leaf_headers(self) -> list[str]:
        if self.two_level:
            return [str(c[1]) for c in self.frame.columns]
        return [str(c) for c in self.frame.columns]

    def spans(self) -> list[tuple[str, int, int]]:
        """``(top header, first column, last column)`` runs of the first header level (0-based)."""
        if not self.two_level:
            return []
        top = [str(c[0]) for c in self.frame.columns]
        runs: list[tuple[str, int, int]] = []
        start = 0
        for i in range(1, len(top) + 1):
            if i == len(top) or top[i] != top[start]:
                runs.append((top[start], start, i - 1))
                start = i
        return runs

    def flat_headers(self) -> list[str]:
        """One header row: ``"top: leaf"`` where a spanning header exists."""
        if not self.two_level:
            return self.leaf_headers()
        return [f"{c[0]}: {c[1]}" if str(c[0]) else str(c[1]) for c in self.frame.columns]

    def rows(self) -> list[list[str]]:
        return [["" if v is None else str(v) for v in r] for r in self.frame.itertuples(index=False)]


def export_table(obj: Any, labels: Mapping[str, str] | None = None) -> ExportTable:
    """The :class:`ExportTable` of a result (through its ``_export_table``) or of a tidy frame."""
    if isinstance(obj, ExportTable):
        return obj
    if isinstance(obj, pd.DataFrame):
        return ExportTable(_drop_empty(format_frame(obj, labels)))
    lab = result_labels(obj, labels)
    made = obj._export_table(lab) if hasattr(obj, "_export_table") else format_frame(obj.tidy(), lab)
    if isinstance(made, ExportTable):
        return made
    caption = obj._export_caption() if hasattr(obj, "_export_caption") else None
    notes = obj._export_notes() if hasattr(obj, "_export_notes") else None
    return ExportTable(_drop_empty(made), caption=caption, notes=notes)


def _drop_empty(frame: pd.DataFrame) -> pd.DataFrame:
    """Columns with no value at all (e.g. ``p_adj`` when nothing was adjusted) are left out."""
    keep = [c for c in frame.columns if (frame[c].astype(str).str.strip() != "").any()]
    return frame[keep] if keep else frame


# ------------------------------------------------------------------------------------ Markdown
def _md(text: str) -> str:
    return str(text).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def to_markdown(obj: Any, labels: Mapping[str, str] | None = None) -> str:
    """GitHub/pandoc pipe table (a two-level header is flattened to ``"top: leaf"``), caption, notes."""
    t = export_table(obj, labels)
    heads = t.flat_headers()
    lines = ["| " + " | ".join(_md(h) for h in heads) + " |",
             "|" + "|".join(["---" if i < t.stub else "---:" for i in range(len(heads))]) + "|"]
    lines += ["| " + " | ".join(_md(v) for v in row) + " |" for row in t.rows()]
    out = "\n".join(lines) + "\n"
    if t.caption:
        out += f"\nTable: {_md(t.caption)}\n"
    if t.notes:
        out += f"\n{t.notes}\n"
    return out


# ------------------------------------------------------------------------------------ LaTeX
_LATEX_SPECIAL = {
    "\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
    "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
}
_LATEX_UNICODE = {
    "±": r"$\pm$", "²": r"$^{2}$", "³": r"$^{3}$", "µ": r"$\mu$", "μ": r"$\mu$", "−": r"$-$",
    "–": "--", "—": "---", "×": r"$\times$", "→": r"$\rightarrow$", "←": r"$\leftarrow$",
    "≤": r"$\leq$", "≥": r"$\geq$", "≠": r"$\neq$", "≈": r"$\approx$", "′": r"$'$", "∞": r"$\infty$",
    "χ": r"$\chi$", "ρ": r"$\rho$", "δ": r"$\delta$", "α": r"$\alpha$", "β": r"$\beta$",
    "η": r"$\eta$", "σ": r"$\sigma$", "κ": r"$\kappa$", "Δ": r"$\Delta$", "…": r"\ldots{}",
    "<": r"$<$", ">": r"$>$", "·": r"$\cdot$", "°": r"$^{\circ}$", "\u00a0": "~",
}
_SUPERSCRIPT = re.compile(r"\^(-?\d+)")
_MINUS = re.compile(r"(?<![\w.])-(?=\.?\d)")  # a negative number: typeset a minus sign, not a hyphen


def latex_escape(text: Any) -> str:
    r"""Escape ``text`` for LaTeX: the special characters and the symbols tables use (±, ², µ, −, χ).

    Examples
    --------
    >>> latex_escape("45.0 ± 5.1 kg/m² & 10% µg_x")
    '45.0 $\\pm$ 5.1 kg/m$^{2}$ \\& 10\\% $\\mu$g\\_x'
    >>> latex_escape("p < .001"), latex_escape("1.2×10^-5"), latex_escape("[-0.05, 0.1] a-b")
    ('p $<$ .001', '1.2$\\times$10$^{-5}$', '[$-$0.05, 0.1] a-b')
    """
    s = str(text)
    out: list[str] = []
    i = 0
    while i < len(s):
        m = _SUPERSCRIPT.match(s, i)
        if m:
            out.append(f"$^{{{m.group(1)}}}$")
            i = m.end()
            continue
        ch = s[i]
        if ch == "-" and _MINUS.match(s, i):
            out.append("$-$")
            i += 1
            continue
        out.append(_LATEX_SPECIAL.get(ch) or _LATEX_UNICODE.get(ch) or ch)
        i += 1
    return "".join(out).replace("$$", "")


def to_latex(obj: Any, labels: Mapping[str, str] | None = None, label: str | None = None) -> str:
    r"""A ``table`` environment with a booktabs ``tabular``; two-level headers use ``\multicolumn``.

    Needs ``\usepackage{booktabs}`` in the preamble; every cell is escaped (:func:`latex_escape`).
    ``label`` adds ``\label{...}``.
    """
    t = export_table(obj, labels)
    n = len(t.frame.columns)
    spec = "l" * t.stub + "r" * (n - t.stub)
    lines = [r"\begin{table}[htbp]", r"\centering"]
    if t.caption:
        lines.append(rf"\caption{{{latex_escape(t.caption)}}}")
    if label:
        lines.append(rf"\label{{{label}}}")
    if n > 6:  # wide tables (Table 1 per protocol): smaller type and tighter columns, no rescaling
        lines += [r"\footnotesize", r"\setlength{\tabcolsep}{3pt}"]
    lines += [rf"\begin{{tabular}}{{{spec}}}", r"\toprule"]
    if t.two_level:
        cells, rules = [], []
        for top, a, b in t.spans():
            width = b - a + 1
            if top:
                cells.append(rf"\multicolumn{{{width}}}{{c}}{{{latex_escape(top)}}}")
                rules.append(rf"\cmidrule(lr){{{a + 1}-{b + 1}}}")
            else:
                cells += [""] * width
        lines.append(" & ".join(cells) + r" \\")
        lines.append(" ".join(rules))
    lines.append(" & ".join(latex_escape(h) for h in t.leaf_headers()) + r" \\")
    lines.append(r"\midrule")
    lines += [" & ".join(latex_escape(v) for v in row) + r" \\" for row in t.rows()]
    lines += [r"\bottomrule", r"\end{tabular}"]
    if t.notes:
        lines.append(rf"\par\smallskip\parbox{{\linewidth}}{{\footnotesize {latex_escape(t.notes)}}}")
    lines.append(r"\end{table}")
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------------------------ HTML
def to_html(obj: Any, labels: Mapping[str, str] | None = None, css_class: str = "nis-table") -> str:
    """A self-contained ``<table>``: caption, spanning header row when two-level, notes; escaped."""
    t = export_table(obj, labels)
    e = html.escape
    parts = [f'<table class="{e(css_class)}">']
    if t.caption:
        parts.append(f"<caption>{e(t.caption)}</caption>")
    parts.append("<thead>")
    if t.two_level:
        parts.append("<tr>")
        for top, a, b in t.spans():
            span = f' colspan="{b - a + 1}"' if b > a else ""
            parts.append(f"<th{span}>{e(top)}</th>")
        parts.append("</tr>")
    parts.append("<tr>" + "".join(f"<th>{e(h)}</th>" for h in t.leaf_headers()) + "</tr>")
    parts.append("</thead><tbody>")
    for row in t.rows():
        cells = [f'<th scope="row">{e(v)}</th>' if i < t.stub else f"<td>{e(v)}</td>" for i, v in enumerate(row)]
        parts.append("<tr>" + "".join(cells) + "</tr>")
    parts.append("</tbody>")
    if t.notes:
        parts.append(f'<tfoot><tr class="notes"><td colspan="{len(t.frame.columns)}">{e(t.notes)}</td></tr></tfoot>')
    parts.append("</table>")
    return "".join(parts)


# ------------------------------------------------------------------------------------ Word
def _rule(cell: Any, edge: str, size: int = 8) -> None:
    """A horizontal rule on one edge of a Word table cell (journals: no vertical lines)."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    tc_pr = cell._tc.get_or_add_tcPr()
    borders = tc_pr.find(qn("w:tcBorders"))
    if borders is None:
        borders = OxmlElement("w:tcBorders")
        tc_pr.append(borders)
    el = OxmlElement(f"w:{edge}")
    el.set(qn("w:val"), "single")
    el.set(qn("w:sz"), str(size))
    el.set(qn("w:color"), "000000")
    borders.append(el)


def to_docx(obj: Any, path: str | Path, labels: Mapping[str, str] | None = None) -> Path:
    """Write a Word document holding the table (caption above, notes below) and return its path.

    The table is a real Word table (one cell per value, merged cells for spanning headers, no
    vertical lines, rules above and below the header and at the bottom), the form journals ask
    for. Needs ``python-docx`` (the ``export`` extra).
    """
    from ._optional import require

    require("docx", purpose="to_docx (pip install python-docx)")
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    t = export_table(obj, labels)
    doc = Document()
    if len(t.frame.columns) > 6:  # a wide table (Table 1 per protocol) gets a landscape page
        from docx.enum.section import WD_ORIENT
        from docx.shared import Cm

        sec = doc.sections[0]
        sec.orientation = WD_ORIENT.LANDSCAPE
        sec.page_width, sec.page_height = sec.page_height, sec.page_width
        sec.left_margin = sec.right_margin = Cm(1.5)
    if t.caption:
        cap = doc.add_paragraph()
        cap.add_run(t.caption).bold = True
    n_head = 2 if t.two_level else 1
    rows = t.rows()
    ncol = len(t.frame.columns)
    table = doc.add_table(rows=n_head + len(rows), cols=ncol)
    if t.two_level:
        for top, a, b in t.spans():
            cell = table.cell(0, a).merge(table.cell(0, b)) if b > a else table.cell(0, a)
            cell.text = top
            cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
    for j, h in enumerate(t.leaf_headers()):
        table.cell(n_head - 1, j).text = h
    for i, row in enumerate(rows, start=n_head):
        for j, v in enumerate(row):
            table.cell(i, j).text = v
    for i, r in enumerate(table.rows):
        for j, cell in enumerate(r.cells):
            for par in cell.paragraphs:
                if j >= t.stub and not (t.two_level and i == 0):
                    par.alignment = WD_ALIGN_PARAGRAPH.RIGHT
                for run in par.runs:
                    run.font.size = Pt(9)
                    run.bold = i < n_head
            if i == 0:
                _rule(cell, "top")
            if i == n_head - 1:
                _rule(cell, "bottom")
            if i == len(table.rows) - 1:
                _rule(cell, "bottom")
    if t.notes:
        note = doc.add_paragraph()
        note.add_run(t.notes).font.size = Pt(8)
    out = Path(path)
    doc.save(str(out))
    return out


# ------------------------------------------------------------------------------------ CSV
def to_csv(obj: Any, path: str | Path | None = None) -> str | Path:
    """The machine-readable tidy frame as CSV (snake_case columns, full precision).

    Returns the CSV text when ``path`` is None, else writes it (UTF-8) and returns the path.
    """
    frame = obj if isinstance(obj, pd.DataFrame) else obj.tidy()
    text = frame.to_csv(index=False, lineterminator="\n")
    if path is None:
        return text
    out = Path(path)
    out.write_text(text, encoding="utf-8")
    return out


__all__ = ["ExportTable", "export_table", "latex_escape", "to_csv", "to_docx", "to_html", "to_latex",
           "to_markdown"]
