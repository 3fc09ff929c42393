"""The documentation site: every public name has an API page, every vignette page shows its figures,
every methods page with an R comparison shows it, and the pages link up.

Reads docs/_build/html (``make docs``, run by .ci/run before the tests); builds it once when absent.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

import neuroimmune_stats as nis

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
HTML = DOCS / "_build" / "html"
VIGNETTES = sorted((ROOT / "vignettes").glob("[0-9][0-9]_*.py"))


def _stale() -> bool:
    """The built site misses a public name or a vignette, or is older than a page, a vignette or conf.py."""
    index = HTML / "index.html"
    if not index.exists():
        return True
    built = index.stat().st_mtime
    sources = [*VIGNETTES, *DOCS.glob("*.md"), *DOCS.glob("methods/*.md"), DOCS / "conf.py", DOCS / "_validation.py"]
    if any(p.stat().st_mtime > built for p in sources):
        return True
    if any(not (HTML / "_generated" / "vignettes" / f"{v.stem}.html").exists() for v in VIGNETTES):
        return True
    return any(not (HTML / "_generated" / "api" / f"neuroimmune_stats.{n}.html").exists()
               for n in nis.__all__ if n != "__version__")


@pytest.fixture(scope="module")
def site() -> Path:
    if _stale():
        env = {**os.environ, "NIS_QUICK": "1"}
        proc = subprocess.run([sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
                               str(DOCS), str(HTML)], env=env, capture_output=True, text=True, timeout=900)
        assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
    return HTML


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.imgs: list[str] = []
        self.links: list[str] = []
        self.ids: set[str] = set()
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "img" and a.get("src"):
            self.imgs.append(a["src"])
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        if a.get("id"):
            self.ids.add(a["id"])

    def handle_data(self, data):
        self.text.append(data)


def _page(path: Path) -> _Page:
    p = _Page()
    p.feed(path.read_text(encoding="utf-8"))
    return p


def test_every_public_name_has_an_api_page(site):
    index = _page(site / "_generated" / "api.html")
    missing = []
    for name in nis.__all__:
        if name == "__version__":
            continue
        page = site / "_generated" / "api" / f"neuroimmune_stats.{name}.html"
        if not page.exists() or f"neuroimmune_stats.{name}" not in page.read_text(encoding="utf-8"):
            missing.append(name)
        assert any(f"neuroimmune_stats.{name}.html" in href for href in index.links), name
    assert not missing, f"no API page for {missing}"


def test_api_pages_render_numpydoc_sections(site):
    text = (site / "_generated" / "api" / "neuroimmune_stats.table_one.html").read_text(encoding="utf-8")
    for section in ("Parameters", "Returns", "Examples"):
        assert f">{section}<" in text, section
    assert "chisq.test" in text and "table_one" in text


@pytest.mark.parametrize("vignette", VIGNETTES, ids=lambda p: p.stem)
def test_every_vignette_page_has_its_figures_and_outputs(site, vignette):
    page_path = site / "_generated" / "vignettes" / f"{vignette.stem}.html"
    assert page_path.exists(), f"{vignette.name} is not rendered"
    page = _page(page_path)
    source = vignette.read_text(encoding="utf-8")
    # every code cell that draws (a .plot(...) call, a plot_* function, plt.subplots) shows a figure
    cells = [c for c in re.split(r"^# %%.*$", source, flags=re.M) if c.strip()]
    drawing = [c for c in cells if re.search(r"\.plot(?:_\w+)?\(|\bplot_\w+\(|plt\.subplots\(", c)]
    images = [src for src in page.imgs if "_images/" in src or src.startswith("data:image")]
    assert len(images) >= len(drawing), f"{vignette.stem}: {len(images)} figures for {len(drawing)} drawing cells"
    for src in images:
        if not src.startswith("data:"):
            assert (page_path.parent / src).resolve().exists(), src
    # printed output made it to the page (cell outputs), and no cell failed
    html = page_path.read_text(encoding="utf-8")
    assert "cell_output" in html
    assert "Traceback (most recent call last)" not in html


def test_methods_pages_show_the_r_comparisons(site):
    for name in ("table1", "models", "correlation", "multiplicity", "mediation", "harmonize", "missing", "planning"):
        page = _page(site / "methods" / f"{name}.html")
        assert page.imgs, f"methods/{name}: no agreement figure"
        text = "".join(page.text)
        assert "Validation" in text and "max_abs_diff" in text, name
        worst = [float(v) for v in re.findall(r"\b(\d\.\de[-+]\d+)\b", text)]
        assert worst and max(worst) < 1e-6, f"methods/{name}: differences {worst}"


def test_home_getting_started_changelog_and_links(site):
    home = _page(site / "index.html")
    for target in ("getting_started.html", "vignettes.html", "methods/index.html", "_generated/api.html",
                   "changelog.html"):
        assert any(href.split("#")[0].endswith(target) for href in home.links), target
    gs = (site / "getting_started.html").read_text(encoding="utf-8")
    assert "&lt; .001" in gs and r"\toprule" in gs  # executed: the exports are on the page
    assert "Unreleased" in (site / "changelog.html").read_text(encoding="utf-8")


def test_internal_links_resolve(site):
    broken = []
    for page_path in site.rglob("*.html"):
        if "_modules" in page_path.parts:
            continue
        for href in _page(page_path).links:
            if href.startswith(("http", "mailto:", "#", "javascript:")) or not href:
                continue
            target = (page_path.parent / href.split("#")[0]).resolve()
            if href.split("#")[0] and not target.exists():
                broken.append(f"{page_path.relative_to(site)} -> {href}")
    assert not broken, broken[:10]
