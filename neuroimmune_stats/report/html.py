"""Self-contained HTML: a Jinja2 template (autoescaped), tables and PNG figures embedded."""

from __future__ import annotations

import base64
import html
import io
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from jinja2 import Environment
from markupsafe import Markup


@dataclass
class Block:
    """One piece of a section: ``kind`` ∈ {p, note, table, html, figure, pre}."""

    kind: str
    content: Any
    caption: str = ""


@dataclass
class Section:
    """A titled part of the report."""

    id: str
    title: str
    blocks: list[Block] = field(default_factory=list)

    def p(self, text: str) -> Section:
        self.blocks.append(Block("p", text))
        return self

    def note(self, text: str) -> Section:
        self.blocks.append(Block("note", text))
        return self

    def subhead(self, text: str) -> Section:
        self.blocks.append(Block("h3", text))
        return self

    def pre(self, text: str) -> Section:
        self.blocks.append(Block("pre", text))
        return self

    def table(self, df: pd.DataFrame, caption: str = "", digits: int = 3) -> Section:
        self.blocks.append(Block("html", Markup(frame_html(df, digits)), caption))
        return self

    def raw_html(self, markup: str, caption: str = "") -> Section:
        """Add HTML produced by the package itself (already escaped at its source)."""
        self.blocks.append(Block("html", Markup(f'<div class="scroll">{markup}</div>'), caption))
        return self

    def figure(self, fig: Any, caption: str = "") -> Section:
        self.blocks.append(Block("figure", figure_data_uri(fig), caption))
        return self


def frame_html(df: pd.DataFrame, digits: int = 3) -> str:
    """A DataFrame as an HTML table; every cell and header is escaped, text columns are left-aligned."""

    from ..format import format_df

    def fmt(v: Any, counted: bool) -> str:
        if v is None or (isinstance(v, float) and pd.isna(v)):
            return ""
        if counted and isinstance(v, int | float | np.integer | np.floating):
            return format_df(v)  # degrees of freedom and counts: "1", "50", "48.3", never "1.000"
        if isinstance(v, float | np.floating):
            v = float(v)
            return f"{v:.{digits}g}" if abs(v) < 1e-3 and v != 0 else f"{v:.{digits}f}"
        return str(v)

    numeric = [pd.api.types.is_numeric_dtype(df.iloc[:, i]) and not pd.api.types.is_bool_dtype(df.iloc[:, i])
               for i in range(df.shape[1])]
    cls = ["" if num else ' class="txt"' for num in numeric]
    counted = [bool(re.fullmatch(r"(df\d*|df_.*|.*_df|n|n_.*)", str(c))) for c in df.columns]
    head = "".join(f"<th{c}>{escape(name)}</th>" for c, name in zip(cls, df.columns, strict=True))
    body = "".join(
        "<tr>" + "".join(f"<td{c}>{escape(fmt(v, k))}</td>" for c, k, v in zip(cls, counted, row, strict=True))
        + "</tr>"
        for row in df.itertuples(index=False, name=None)
    )
    return f'<div class="scroll"><table class="tbl"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'


def figure_data_uri(fig: Any) -> str:
    """Render a matplotlib Figure to a base64 PNG data URI and close it."""
    from .._optional import pyplot

    buf = io.BytesIO()
    engine = fig.get_layout_engine()
    if engine is not None:
        # savefig on a figure with a layout engine draws it twice: once (not rendered) to lay it out,
        # then for the pixels. Laying it out here and switching the engine off draws it once: the same
        # pixels (tests/test_report_figures.py) in about 20% less time. "tight" would need the extra draw.
        fig.set_dpi(100)
        engine.execute(fig)
        fig.set_layout_engine("none")
        tight = None
    else:
        tight = "tight"
    fig.savefig(buf, format="png", dpi=100, bbox_inches=tight)
    pyplot().close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


_TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<title>{{ title }}</title>
<style>
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; max-width: 1100px;
       margin: 2em auto; padding: 0 1em; color: #1d1d1f; line-height: 1.45; }
h1 { font-size: 1.6em; margin-bottom: .2em; }
h2 { border-bottom: 1px solid #ccc; padding-bottom: .2em; margin-top: 2em; }
.meta { color: #555; font-size: .9em; }
nav ol { columns: 2; font-size: .95em; }
table { border-collapse: collapse; margin: .6em 0 1.2em; font-size: .88em; }
table th, table td { border-bottom: 1px solid #e3e3e3; padding: .25em .6em; text-align: right; }
table th { background: #f5f5f7; }
table td:first-child, table th:first-child, table td.txt, table th.txt { text-align: left; }
figure { margin: 1em 0; } figure img { max-width: 100%; height: auto; border: 1px solid #eee; box-sizing: border-box; }
figcaption, .caption { color: #444; font-size: .88em; }
.note { background: #fff8e1; border-left: 4px solid #f0b400; padding: .5em .8em; margin: .8em 0; }
.scroll { overflow-x: auto; max-width: 100%; }
pre { background: #f7f7f7; padding: .8em; overflow-x: auto; font-size: .82em; }
h3 { font-size: 1.05em; margin: 1.2em 0 .3em; }
@page { size: A4; margin: 12mm; }
@media print {
  body { max-width: none; margin: 0; padding: 0; font-size: 9.5pt; }
  nav { display: none; }
  .scroll { overflow: visible; }
  table { width: 100%; max-width: 100%; table-layout: auto; font-size: 7pt; }
  table th, table td { padding: .1em .2em; }
  table th, table td.txt { white-space: normal; overflow-wrap: anywhere; }
  table.tbl td:not(.txt) { white-space: nowrap; }
  tr, figure, .note { break-inside: avoid; }
  h2, h3, .caption { break-after: avoid; }
  figure img { max-width: 100%; }
  pre { white-space: pre-wrap; overflow-wrap: anywhere; overflow: visible; }
}
</style>
</head>
<body>
<h1>{{ title }}</h1>
<p class="meta">neuroimmune_stats {{ version }} · generated {{ generated }} · seed {{ seed }}</p>
<nav><ol>{% for s in sections %}<li><a href="#{{ s.id }}">{{ s.title }}</a></li>{% endfor %}</ol></nav>
{% for s in sections %}
<section id="{{ s.id }}">
<h2>{{ s.title }}</h2>
{% for b in s.blocks %}
{% if b.kind == "p" %}<p>{{ b.content }}</p>
{% elif b.kind == "h3" %}<h3>{{ b.content }}</h3>
{% elif b.kind == "note" %}<div class="note">{{ b.content }}</div>
{% elif b.kind == "pre" %}<pre>{{ b.content }}</pre>
{% elif b.kind == "html" %}{% if b.caption %}<p class="caption">{{ b.caption }}</p>{% endif %}{{ b.content }}
{% elif b.kind == "figure" %}<figure><img src="{{ b.content }}" alt="{{ b.caption }}">
<figcaption>{{ b.caption }}</figcaption></figure>
{% endif %}
{% endfor %}
</section>
{% endfor %}
</body>
</html>
"""


def render(title: str, sections: list[Section], *, version: str, generated: str, seed: int) -> str:
    """Render the report; user-derived strings are escaped by Jinja2's autoescape."""
    env = Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True)
    return env.from_string(_TEMPLATE).render(
        title=title, sections=sections, version=version, generated=generated, seed=seed
    )


def escape(text: object) -> str:
    """HTML-escape a user-derived string for markup built outside the template."""
    return html.escape(str(text), quote=True)
