"""Sphinx configuration of the neuroimmune_stats documentation (``make docs``).

Sphinx + numpydoc because every docstring of the package is numpydoc and is already a doctest;
myst-nb because the vignettes are jupytext percent scripts with Markdown cells: they are
converted to notebooks at build time and executed once (cached by jupyter-cache), so every page
shows its printed output and figures. The API reference is generated from
``neuroimmune_stats.__all__`` at build time, so a new public name gets a page without an edit here.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
GENERATED = HERE / "_generated"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

import neuroimmune_stats  # noqa: E402

project = "neuroimmune_stats"
author = "neuroimmune_stats developers"
copyright = "2026, neuroimmune_stats developers"
version = release = neuroimmune_stats.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "myst_nb",
]

# ------------------------------------------------------------------ generated sources
os.environ["NIS_DOCS_DIR"] = str(HERE)  # the methods pages import _validation from here
os.environ.setdefault("NIS_QUICK", "1")  # vignettes use small resample counts, as in the tests
os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"  # figures show inline in the pages


def _family(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "core"


FAMILY_TITLES = {
    "data": "Data: reading, validating, simulating",
    "table1": "Table 1",
    "models": "Group models",
    "correlation": "Correlations",
    "multiplicity": "Multiple comparisons",
    "permutation": "Permutation tests",
    "mediation": "Mediation and conditional process models",
    "bayes": "Bayesian mediation",
    "classify": "Subtype classification",
    "harmonize": "Harmonisation across scanners",
    "missing": "Missing data",
    "planning": "Planning and equivalence",
    "report": "Report",
    "exceptions": "Exceptions",
    "core": "Package",
}


def write_api_reference() -> list[str]:
    """``_generated/api.rst``: one autosummary entry per name of ``neuroimmune_stats.__all__``."""
    exports = dict(neuroimmune_stats._EXPORTS)
    by_family: dict[str, list[str]] = {}
    for name in neuroimmune_stats.__all__:
        if name == "__version__":
            continue
        module = exports.get(name, getattr(getattr(neuroimmune_stats, name), "__module__", "neuroimmune_stats"))
        by_family.setdefault(_family(module), []).append(name)
    order = [f for f in FAMILY_TITLES if f in by_family] + sorted(set(by_family) - set(FAMILY_TITLES))
    lines = ["API reference", "=============", "",
             "Every public name of ``neuroimmune_stats`` (its ``__all__``), grouped by analysis family. "
             "Every result also has the manuscript exports of :class:`~neuroimmune_stats.results.Result` "
             "(``to_markdown``, ``to_latex``, ``to_html``, ``to_docx``, ``to_csv``).", "",
             ".. currentmodule:: neuroimmune_stats", ""]
    for fam in order:
        title = FAMILY_TITLES.get(fam, fam.title())
        lines += [title, "-" * len(title), "", ".. autosummary::", "   :toctree: api", "   :nosignatures:", ""]
        lines += [f"   {name}" for name in sorted(by_family[fam], key=str.lower)]
        lines.append("")
    extra = "Results, formatting and exports"
    lines += [extra, "-" * len(extra), "", ".. autosummary::", "   :toctree: api", "   :nosignatures:", "",
              "   results.Result", "   format.label_for", "   format.format_p", "   format.format_frame",
              "   export.to_latex", "   export.to_docx", "   export.ExportTable", "   plots.save_figure", ""]
    GENERATED.mkdir(exist_ok=True)
    entries = {ln.strip() for ln in lines if ln.startswith("   ") and not ln.strip().startswith(":")}
    stubs = GENERATED / "api"
    if stubs.exists():  # a name that left __all__ (or the extras) must not leave an orphan page behind
        for old in stubs.glob("*.rst"):
            if old.stem.removeprefix("neuroimmune_stats.") not in entries:
                old.unlink()
    target = GENERATED / "api.rst"
    text = "\n".join(lines)
    if not target.exists() or target.read_text() != text:
        target.write_text(text)
    return [n for n in neuroimmune_stats.__all__ if n != "__version__"]


def write_vignettes() -> list[str]:
    """``_generated/vignettes/NN_name.ipynb`` from the jupytext scripts in ``vignettes/`` (unexecuted)."""
    import jupytext
    import nbformat

    out = GENERATED / "vignettes"
    out.mkdir(parents=True, exist_ok=True)
    names = []
    for src in sorted((ROOT / "vignettes").glob("[0-9][0-9]_*.py")):
        nb = jupytext.read(src)
        # the scripts select Agg to run headless; on the page their figures are shown inline
        setup = nbformat.v4.new_code_cell(
            "import matplotlib\n%matplotlib inline\nmatplotlib.use = lambda *args, **kwargs: None",
            metadata={"tags": ["remove-cell"]})
        nb.cells.insert(0, setup)
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        dst = out / f"{src.stem}.ipynb"
        text = jupytext.writes(nb, fmt="ipynb")
        if not dst.exists() or dst.read_text() != text:
            dst.write_text(text)
        names.append(src.stem)
    for stale in out.glob("*.ipynb"):
        if stale.stem not in names:
            stale.unlink()
    return names


def write_guides() -> None:
    """``_generated/guides.md``: a toctree of the guides present (``scaling.md``, ``cluster.md``)."""
    present = [name for name in ("scaling", "cluster") if (HERE / f"{name}.md").exists()]
    text = "# Guides\n\nRunning analyses at scale and on a cluster.\n\n```{toctree}\n:maxdepth: 1\n\n"
    text += "".join(f"/{name}\n" for name in present) + "```\n"
    target = GENERATED / "guides.md"
    if not target.exists() or target.read_text() != text:
        target.write_text(text)


PUBLIC_NAMES = write_api_reference()
write_guides()
VIGNETTES = write_vignettes()

# ------------------------------------------------------------------ sphinx options
source_suffix = {".rst": "restructuredtext", ".md": "myst-nb", ".ipynb": "myst-nb"}
exclude_patterns = ["_build", "**.ipynb_checkpoints", "_templates"]
templates_path = ["_templates"]
html_static_path = ["_static"]
html_css_files = ["nis.css"]
html_theme = "furo"
html_title = "neuroimmune_stats"
add_module_names = False
html_theme_options = {"source_repository": "", "navigation_with_keys": True}
suppress_warnings = ["myst.header"]

autosummary_generate = True
autosummary_imported_members = True
autodoc_default_options = {"members": True, "inherited-members": False, "show-inheritance": True}
autodoc_typehints = "none"   # numpydoc sections carry the types
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

myst_enable_extensions = ["dollarmath", "colon_fence", "deflist"]
myst_heading_anchors = 3
nb_execution_mode = "cache"
nb_execution_cache_path = str(HERE / "_build" / ".jupyter_cache")
nb_execution_timeout = 900
nb_execution_raise_on_error = True
nb_execution_in_temp = True
nb_merge_streams = True
nb_render_image_options = {"width": "100%"}


# ------------------------------------------------------------------ docstring tolerance
def _tolerate_repeated_sections() -> None:
    """numpydoc refuses a docstring that repeats a section header (e.g. two ``References``) and the page
    is lost; keep the page (the later section wins) and leave the repeat as a Python warning for the
    module's owner to fix, instead of failing the whole site on it."""
    from numpydoc.docscrape import NumpyDocString

    original = NumpyDocString._error_location

    def _error_location(self, msg, error=True):
        if "appears twice" not in msg:
            return original(self, msg, error=error)
        name = getattr(self._obj, "__qualname__", None) or "a docstring"
        print(f"docs: {msg.split(' in ')[0]} in {name} (fix the docstring)", file=sys.stderr)
        return None

    NumpyDocString._error_location = _error_location


_tolerate_repeated_sections()
