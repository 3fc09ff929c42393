"""The one-command HTML report: a site's exports (or the bundled example) → one self-contained file.

Sections are built by small functions (one module per analysis family) that each take the shared
:class:`ReportContext` and return a :class:`~neuroimmune_stats.report.html.Section`; each also adds
a sentence to the methods paragraph saying exactly what was run.
"""

from __future__ import annotations

import datetime as _dt
import importlib
import platform
import sys
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from .._version import __version__
from ..exceptions import SpecificationError
from .config import StudyConfig, load_config
from .html import Section, render

#: section builders in report order, as "module:function" (modules load lazily)
SECTION_BUILDERS: tuple[str, ...] = (
    "neuroimmune_stats.report.sections_data:data_summary",
    "neuroimmune_stats.report.sections_data:validation_log",
    "neuroimmune_stats.report.sections_data:table1",
    "neuroimmune_stats.report.sections_analyses:roi_models",
    "neuroimmune_stats.report.sections_analyses:correlations",
    "neuroimmune_stats.report.sections_analyses:mediation",
    "neuroimmune_stats.report.sections_analyses:classifier",
)


@dataclass
class ReportContext:
    """What every section sees: the cohort, the study config, and the run log."""

    data: pd.DataFrame
    config: StudyConfig
    source: str
    load_warnings: list[str] = field(default_factory=list)
    methods: list[str] = field(default_factory=list)
    results: dict[str, Any] = field(default_factory=dict)

    def has(self, *columns: str) -> list[str]:
        """The columns among ``columns`` that are missing from the data."""
        return [c for c in columns if c not in self.data.columns]


def _load(
    directory: str | Path | None, files: dict[str, str | Path | None], data: pd.DataFrame | None
) -> tuple[pd.DataFrame, str, list[str]]:
    from ..data import find_exports, load_example, read_cohort

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if data is not None:
            df, source = data, "a DataFrame passed to build_report"
        elif directory is not None:
            found = find_exports(directory)
            df, source = read_cohort(**found), f"exports in {Path(directory)}"  # type: ignore[arg-type]
        elif any(v is not None for v in files.values()):
            if files.get("participants") is None:
                raise SpecificationError("--participants is required when table files are given.")
            df = read_cohort(**{k: v for k, v in files.items() if v is not None})  # type: ignore[arg-type]
            source = "files " + ", ".join(Path(v).name for v in files.values() if v is not None)
        else:
            df, source = load_example(), "the bundled example cohort (simulated, calibrated to Alshelh et al. 2022)"
    return df, source, [str(w.message) for w in caught]


def _builder(spec: str) -> Callable[[ReportContext], Section | None]:
    module, func = spec.split(":")
    return getattr(importlib.import_module(module), func)  # type: ignore[no-any-return]


def _methods_section(ctx: ReportContext) -> Section:
    import numpy as np
    import scipy

    sec = Section("methods", "Methods (as run)")
    versions = (f"Python {platform.python_version()}, neuroimmune_stats {__version__}, numpy {np.__version__}, "
                f"scipy {scipy.__version__}, pandas {pd.__version__}")
    for mod in ("statsmodels", "sklearn", "pymc", "arviz", "matplotlib"):
        m = sys.modules.get(mod)
        if m is not None:
            versions += f", {'scikit-learn' if mod == 'sklearn' else mod} {getattr(m, '__version__', '?')}"
    sec.p(" ".join(ctx.methods) + f" Analyses used the root seed {ctx.config.seed}; software: {versions}.")
    return sec


def build_report(
    data: pd.DataFrame | None = None,
    *,
    directory: str | Path | None = None,
    participants: str | Path | None = None,
    suvr: str | Path | None = None,
    connectivity: str | Path | None = None,
    questionnaires: str | Path | None = None,
    output: str | Path = "report.html",
    config: str | Path | StudyConfig | None = None,
    seed: int | None = None,
    progress: bool | None = None,
) -> Path:
    """Run the reference study's analysis and write one self-contained HTML report.

    Parameters
    ----------
    data : DataFrame, optional
        A cohort frame (as from :func:`read_cohort`); otherwise read from ``directory`` or the
        table paths, or the bundled example when nothing is given.
    directory : path, optional
        Folder with ``participants.csv`` (or ``.tsv``), ``suvr``, ``connectivity``, ``questionnaires``.
    participants, suvr, connectivity, questionnaires : path, optional
        Individual exports.
    output : path, default="report.html"
    config : path or StudyConfig, optional
        Study file naming ROIs, variables, covariates and corrections (see :mod:`.config`).
    seed : int, optional
        Root seed (overrides the study file).
    progress : bool, optional
        Progress bar; default: only when stderr is a terminal.

    Returns
    -------
    Path
        Where the report was written.

    Raises
    ------
    DataValidationError
        When an export breaks its schema (the CLI turns it into exit code 2).
    """
    cfg = config if isinstance(config, StudyConfig) else load_config(config, seed=seed)
    if isinstance(config, StudyConfig) and seed is not None:
        from dataclasses import replace

        cfg = replace(cfg, seed=int(seed))
    files = {"participants": participants, "suvr": suvr, "connectivity": connectivity,
             "questionnaires": questionnaires}
    df, source, load_warnings = _load(directory, files, data)
    ctx = ReportContext(data=df, config=cfg, source=source, load_warnings=load_warnings)
    show = sys.stderr.isatty() if progress is None else progress
    builders: Any = SECTION_BUILDERS
    if show:
        from tqdm.auto import tqdm

        builders = tqdm(SECTION_BUILDERS, desc="report", unit="section", file=sys.stderr)
    sections = []
    for spec in builders:
        if show:
            builders.set_postfix_str(spec.rsplit(":", 1)[-1])
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            sec = _builder(spec)(ctx)
        if sec is not None:
            for text in dict.fromkeys(str(w.message) for w in caught):
                sec.note(text)
            sections.append(sec)
    sections.append(_methods_section(ctx))
    html = render(cfg.title, sections, version=__version__,
                  generated=_dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC"), seed=cfg.seed)
    out = Path(output)
    out.write_text(html, encoding="utf-8")
    return out


__all__ = ["SECTION_BUILDERS", "ReportContext", "StudyConfig", "build_report", "load_config"]
