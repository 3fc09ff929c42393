"""The one-command HTML report: a site's exports (or the bundled example) → one self-contained file.

Sections are built by small functions (one module per analysis family) that each take the shared
:class:`ReportContext` and return a :class:`~neuroimmune_stats.report.html.Section`; each also adds
a sentence to the methods paragraph saying exactly what was run. A section (or a part of one) that
cannot run on the data is *skipped and named* with its reason (:class:`Skip`); the report then still
gets written, and its Inputs section (first in the report) lists every file, every skip, the
validation log and the subjects that did not match across tables.
"""

from __future__ import annotations

import datetime as _dt
import importlib
import logging
import os
import platform
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd

from .._version import __version__
from ..exceptions import (
    DataValidationError,
    InsufficientDataError,
    NeuroimmuneStatsError,
    RankDeficiencyError,
    SpecificationError,
)
from .config import StudyConfig, load_config
from .html import Section, render

log = logging.getLogger("neuroimmune_stats.report")

#: section builders in report order, as "module:function" (modules load lazily); the Inputs section is
#: built last (it lists every skip) and shown first
SECTION_BUILDERS: tuple[str, ...] = (
    "neuroimmune_stats.report.sections_data:data_summary",
    "neuroimmune_stats.report.sections_data:table1",
    "neuroimmune_stats.report.sections_analyses:roi_models",
    "neuroimmune_stats.report.sections_analyses:roi_harmonized",
    "neuroimmune_stats.report.sections_analyses:correlations",
    "neuroimmune_stats.report.sections_analyses:mediation",
    "neuroimmune_stats.report.sections_analyses:moderation",
    "neuroimmune_stats.report.sections_classifier:classifier",
    "neuroimmune_stats.report.sections_planning:planning",
)
#: builders whose module another part of the package may not ship yet (missing → not listed)
OPTIONAL_MODULES = ("neuroimmune_stats.report.sections_planning",)

#: the table each kind of column comes from (for "missing table" vs "missing column" reasons)
TABLES = ("participants", "suvr", "connectivity", "questionnaires")


@dataclass(frozen=True)
class Skip:
    """An analysis that was not run: where, what, why (``kind``: missing table, missing column, too few
    subjects, degenerate design, invalid input, error)."""

    section: str
    analysis: str
    reason: str
    kind: str

    def __str__(self) -> str:
        return f"{self.section} — {self.analysis}: {self.reason} [{self.kind}]"


def table_of(column: str) -> str:
    """The export a cohort column comes from (``suvr_*`` → suvr, ``conn_*`` → connectivity, ...)."""
    c = str(column)
    if c.startswith("suvr_"):
        return "suvr"
    if c.startswith("conn_"):
        return "connectivity"
    from ..data.schema import load_schema

    if c in {f.name for f in load_schema("questionnaires").fields}:
        return "questionnaires"
    return "participants"


def _kind(exc: BaseException) -> str:
    if isinstance(exc, InsufficientDataError):
        return "too few subjects"
    if isinstance(exc, RankDeficiencyError):
        return "degenerate design"
    if isinstance(exc, DataValidationError):
        return "invalid input"
    if isinstance(exc, NeuroimmuneStatsError):
        return "cannot run on these data"
    return "unexpected error"


def _reason(exc: BaseException) -> str:
    msg = str(exc).strip().rstrip(".") or type(exc).__name__
    if not isinstance(exc, NeuroimmuneStatsError):
        msg = f"{type(exc).__name__}: {msg} (an error inside neuroimmune_stats; please report it)"
    return msg


@dataclass
class ReportContext:
    """What every section sees: the cohort, the study config, the inputs and the run log."""

    data: pd.DataFrame
    config: StudyConfig
    source: str
    load_warnings: list[str] = field(default_factory=list)
    methods: list[str] = field(default_factory=list)
    results: dict[str, Any] = field(default_factory=dict)
    #: the tables the cohort was read from (role → file name); inferred from the columns for a frame
    tables: dict[str, str] = field(default_factory=dict)
    #: the folder's InputDiscovery when the data came from a folder
    inputs: Any = None
    skipped: list[Skip] = field(default_factory=list)
    #: sections left out by the study file's [report] sections (not a problem for --strict)
    not_requested: list[str] = field(default_factory=list)
    #: wall-clock and CPU seconds per step (load, each section, inputs, render)
    timings: dict[str, float] = field(default_factory=dict)
    cpu_timings: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.tables:
            from ..data import edges, questionnaires, regions

            cols = {"participants": True, "suvr": bool(regions(self.data)),
                    "connectivity": bool(edges(self.data)), "questionnaires": bool(questionnaires(self.data))}
            self.tables = {t: "the data frame" for t, ok in cols.items() if ok}

    def has(self, *columns: str) -> list[str]:
        """The columns among ``columns`` that are missing from the data."""
        return [c for c in dict.fromkeys(columns) if c not in self.data.columns]

    def missing_reason(self, columns: list[str]) -> tuple[str, str]:
        """Why ``columns`` are absent: (reason, kind) naming the missing table or the missing columns."""
        by_table: dict[str, list[str]] = {}
        for c in columns:
            by_table.setdefault(table_of(c), []).append(c)
        absent = [t for t in by_table if t not in self.tables]
        if absent:
            parts = [f"no {t} table was given (needed for {', '.join(by_table[t])})" for t in absent]
            return "; ".join(parts), "missing table"
        parts = [f"the {t} table ({self.tables[t]}) has no column {', '.join(cs)}" for t, cs in by_table.items()]
        return "; ".join(parts), "missing column"

    def skip(self, sec: Section, analysis: str, reason: str, kind: str) -> Section:
        """Record a skipped analysis and say so in ``sec``."""
        self.skipped.append(Skip(sec.title, analysis, reason.rstrip("."), kind))
        log.debug("skipped %s / %s: %s", sec.title, analysis, reason)
        return sec.note(f"Skipped {analysis}: {reason.rstrip('.')} ({kind}).")

    def require(self, sec: Section, analysis: str, *columns: str) -> bool:
        """True when every column is present; otherwise the analysis is skipped with its reason."""
        missing = self.has(*columns)
        if missing:
            reason, kind = self.missing_reason(missing)
            self.skip(sec, analysis, reason, kind)
            return False
        return True

    def attempt(self, sec: Section, analysis: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """``fn(*args, **kwargs)``, or None with the analysis skipped and named when it cannot run."""
        try:
            return fn(*args, **kwargs)
        except Exception as exc:  # one analysis never fails the report
            self.skip(sec, analysis, _reason(exc), _kind(exc))
            return None

    def usable_covariates(self, sec: Section, covariates: tuple[str, ...] | list[str], what: str,
                          columns: tuple[str, ...] | list[str] = ()) -> list[str]:
        """The covariates that exist and vary among the complete cases of ``columns``; each one dropped
        is said in ``sec`` (a single-protocol site is analysed without the protocol term)."""
        out = []
        frame = self.data
        present = [c for c in [*columns, *covariates] if c in frame.columns]
        rows = frame[present].notna().all(axis=1) if present else slice(None)
        for c in covariates:
            if c not in frame.columns:
                reason, _ = self.missing_reason([c])
                sec.note(f"{what}: not adjusted for {c} ({reason}).")
                continue
            vals = frame.loc[rows, c].dropna()
            if vals.nunique() < 2:
                level = f" ({vals.iloc[0]!s})" if len(vals) else ""
                sec.note(f"{what}: not adjusted for {c}: it has a single value{level} among the subjects analysed.")
                continue
            out.append(c)
        return out

    @contextmanager
    def timed(self, name: str) -> Iterator[None]:
        """Add the wall-clock and CPU time of the block to ``timings[name]`` / ``cpu_timings[name]``."""
        t0, c0 = time.perf_counter(), time.process_time()
        try:
            yield
        finally:
            self.timings[name] = self.timings.get(name, 0.0) + time.perf_counter() - t0
            self.cpu_timings[name] = self.cpu_timings.get(name, 0.0) + time.process_time() - c0


@dataclass
class ReportRun:
    """What one report run did: where it wrote, what it skipped, which inputs it left unused."""

    path: Path
    skipped: list[Skip]
    unused_files: list[str]
    unmatched: dict[str, list[str]]
    timings: dict[str, float]
    warnings: list[str]
    cpu_timings: dict[str, float] = field(default_factory=dict)

    @property
    def problems(self) -> list[str]:
        """Everything ``--strict`` refuses: unused files, skipped analyses, unmatched subjects."""
        out = [f"unused file: {f}" for f in self.unused_files]
        out += [f"skipped: {s}" for s in self.skipped]
        out += [f"unmatched subjects in {t}: {', '.join(ids[:10])}" + (f" and {len(ids) - 10} more"
                                                                      if len(ids) > 10 else "")
                for t, ids in self.unmatched.items() if ids]
        return out


# --------------------------------------------------------------------------- output
def check_output(output: str | Path) -> Path:
    """Validate the output path before any analysis runs: a file (not a folder, not a symbolic link)
    in an existing, writable folder.

    Raises
    ------
    SpecificationError
        Naming the path and the rule.
    """
    p = Path(output).expanduser()
    if str(output).strip() == "":
        raise SpecificationError("the output path (-o) is empty.")
    if p.is_symlink():
        raise SpecificationError(
            f"the output {str(p)!r} is a symbolic link (to {os.readlink(p)!r}); refusing to write through it — "
            "give the path of a regular file.")
    if p.is_dir():
        raise SpecificationError(f"the output {str(p)!r} is a folder; give a file name such as report.html.")
    parent = p.parent if str(p.parent) else Path(".")
    if not parent.exists():
        raise SpecificationError(f"the output folder {str(parent)!r} does not exist.")
    if not parent.is_dir():
        raise SpecificationError(f"the output folder {str(parent)!r} is not a folder.")
    if p.exists() and not p.is_file():
        if _is_stream(p):  # /dev/null, a named pipe: written in place
            return p
        raise SpecificationError(f"the output {str(p)!r} exists and is not a regular file.")
    try:  # a real probe: permissions, read-only file systems and quotas all show here
        fd, probe = tempfile.mkstemp(prefix=".nis-probe-", dir=parent)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise SpecificationError(
            f"cannot write in the output folder {str(parent)!r}: {exc.strerror or exc}.") from None
    if p.exists() and not os.access(p, os.W_OK):
        raise SpecificationError(f"the output file {str(p)!r} is not writable.")
    return p


def _is_stream(p: Path) -> bool:
    import stat

    mode = p.stat().st_mode
    return stat.S_ISCHR(mode) or stat.S_ISFIFO(mode)


def write_output(p: Path, text: str) -> Path:
    """Write ``text`` to ``p`` atomically (temporary file + rename: a symbolic link placed at ``p`` in
    the meantime is replaced, never followed); a character device or pipe (``/dev/null``) is written
    in place, never replaced."""
    if p.exists() and not p.is_symlink() and _is_stream(p):
        with open(p, "w", encoding="utf-8") as fh:
            fh.write(text)
        return p
    fd, tmp = tempfile.mkstemp(prefix=".nis-report-", suffix=".html", dir=p.parent if str(p.parent) else ".")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, p)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return p


# --------------------------------------------------------------------------- loading
def _load(
    directory: str | Path | None, files: dict[str, str | Path | None], data: pd.DataFrame | None,
    cfg: StudyConfig,
) -> tuple[pd.DataFrame, str, list[str], dict[str, str], Any]:
    """Read the cohort: (frame, source, warnings, tables used, InputDiscovery or None)."""
    from ..data import discover_inputs, read_cohort
    from ..data.example import example_dir

    kw: dict[str, Any] = {"how": cfg.how}
    if cfg.suvr_range is not None:
        kw["suvr_range"] = cfg.suvr_range
    if cfg.connectivity_scale is not None:
        kw["connectivity_scale"] = cfg.connectivity_scale
    discovery = None
    tables: dict[str, str] = {}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if data is not None:
            if not isinstance(data, pd.DataFrame):
                raise SpecificationError(f"build_report: data must be a pandas DataFrame; got {type(data).__name__}.")
            df, source = data, "a DataFrame passed to build_report"
        elif directory is not None or not any(v is not None for v in files.values()):
            folder = Path(directory) if directory is not None else example_dir()
            discovery = discover_inputs(folder)
            if "participants" not in discovery.tables:
                raise SpecificationError(
                    f"no participants table in {str(folder)!r}: expected participants.csv/.tsv or a table with "
                    f"subtype, protocol and tspo_genotype columns.\n{discovery.summary()}")
            df = read_cohort(**discovery.tables, **kw)  # type: ignore[arg-type]
            tables = {t: p.name for t, p in discovery.tables.items()}
            source = (f"exports in {folder}" if directory is not None else
                      "the bundled example cohort (simulated, calibrated to Alshelh et al. 2022)")
        else:
            if files.get("participants") is None:
                raise SpecificationError("--participants is required when table files are given.")
            given = {k: v for k, v in files.items() if v is not None}
            for k, v in given.items():
                if not Path(v).is_file():
                    raise SpecificationError(f"the {k} file {str(v)!r} does not exist.")
            df = read_cohort(**given, **kw)  # type: ignore[arg-type]
            tables = {k: Path(v).name for k, v in given.items()}
            source = "files " + ", ".join(tables.values())
    msgs = list(dict.fromkeys(str(w.message) for w in caught))
    return df, source, msgs, tables, discovery


def _builder(spec: str) -> Callable[[ReportContext], Section | None] | None:
    module, func = spec.split(":")
    try:
        mod = importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if module in OPTIONAL_MODULES and exc.name == module:
            return None
        raise
    return getattr(mod, func, None)


def _title_of(spec: str) -> str:
    return spec.rsplit(":", 1)[-1].replace("_", " ").capitalize()


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
    if ctx.skipped:
        sec.p("Not run: " + "; ".join(f"{s.section} — {s.analysis} ({s.reason})" for s in ctx.skipped) + ".")
    return sec


def _requested(ctx: ReportContext) -> tuple[str, ...]:
    names = [spec.rsplit(":", 1)[-1] for spec in SECTION_BUILDERS]
    wanted = ctx.config.sections
    if wanted is None:
        return SECTION_BUILDERS
    unknown = [w for w in wanted if w not in names]
    if unknown:
        raise SpecificationError(f"study file: report.sections names unknown section(s) {unknown}; "
                                 f"the sections are {names}.")
    ctx.not_requested = [n for n in names if n not in wanted]
    return tuple(spec for spec in SECTION_BUILDERS if spec.rsplit(":", 1)[-1] in wanted)


def _run_sections(ctx: ReportContext, show: bool) -> list[Section]:
    from .lanes import run_one, run_sections

    specs = _requested(ctx)
    bar: Any = None
    if show:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(specs), desc="report", unit="section", file=sys.stderr)

    def progress(name: str) -> None:
        if bar is not None:
            bar.set_postfix_str(name)
            bar.update()

    def on_error(ctx_: ReportContext, sec: Section, exc: BaseException) -> None:
        ctx_.skip(sec, "this section", _reason(exc), _kind(exc))

    runs = run_sections(ctx, specs, lambda spec: run_one(ctx, spec, _builder, _title_of, on_error), progress)
    if bar is not None:
        bar.close()
    for r in runs:
        ctx.timings[r.name] = ctx.timings.get(r.name, 0.0) + r.wall
        ctx.cpu_timings[r.name] = ctx.cpu_timings.get(r.name, 0.0) + r.cpu
    return [r.section for r in runs if r.section is not None]


def run_report(
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
    n_jobs: int | None = None,
) -> ReportRun:
    """:func:`build_report` returning the :class:`ReportRun` record (skips, unused files, timings)."""
    t_start, c_start = time.perf_counter(), time.process_time()
    cfg = config if isinstance(config, StudyConfig) else load_config(config, seed=seed)
    if isinstance(config, StudyConfig) and seed is not None:
        cfg = replace(cfg, seed=int(seed))
    if n_jobs is not None:
        from .._params import check_int

        cfg = replace(cfg, n_jobs=check_int(n_jobs, where="report", name="n_jobs", minimum=1))
    out = check_output(output)
    files = {"participants": participants, "suvr": suvr, "connectivity": connectivity,
             "questionnaires": questionnaires}
    t0, c0 = time.perf_counter(), time.process_time()
    df, source, load_warnings, tables, discovery = _load(directory, files, data, cfg)
    if len(df) == 0:
        raise DataValidationError([], header="no subjects are left after reading and merging the tables"
                                  + (": " + "; ".join(load_warnings) if load_warnings else ""))
    ctx = ReportContext(data=df, config=cfg, source=source, load_warnings=load_warnings, tables=tables,
                        inputs=discovery)
    ctx.timings["load"], ctx.cpu_timings["load"] = time.perf_counter() - t0, time.process_time() - c0
    show = sys.stderr.isatty() if progress is None else progress
    sections = _run_sections(ctx, show)
    from .sections_inputs import inputs

    with ctx.timed("inputs"):
        sections.insert(0, inputs(ctx))
    sections.append(_methods_section(ctx))
    with ctx.timed("render"):
        html = render(cfg.title, sections, version=__version__,
                      generated=_dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC"), seed=cfg.seed)
        write_output(out, html)
    ctx.timings["total"] = time.perf_counter() - t_start
    ctx.cpu_timings["total"] = time.process_time() - c_start
    for k, v in ctx.timings.items():
        log.debug("report timing %s: %.3f s wall, %.3f s CPU", k, v, ctx.cpu_timings.get(k, float("nan")))
    unused = [f.path.name for f in discovery.unused] if discovery is not None else []
    unmatched = {str(k): [str(i) for i in v] for k, v in df.attrs.get("unmatched_ids", {}).items() if v}
    return ReportRun(path=out, skipped=list(ctx.skipped), unused_files=unused, unmatched=unmatched,
                     timings=dict(ctx.timings), warnings=load_warnings, cpu_timings=dict(ctx.cpu_timings))


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
        A site's export folder: the tables are found by name and by content
        (:func:`~neuroimmune_stats.data.discover_inputs`); every file is listed in the Inputs section.
    participants, suvr, connectivity, questionnaires : path, optional
        Individual exports.
    output : path, default="report.html"
        Checked before any analysis runs (an existing writable folder; a symbolic link is refused).
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
    SpecificationError
        A bad study file, output path or argument.

    Notes
    -----
    An analysis that cannot run on the data (a missing table or column, too few subjects, a
    single-level factor) is skipped and named with its reason in its section, in the Inputs section
    and in the methods; it never stops the report.
    """
    return run_report(data, directory=directory, participants=participants, suvr=suvr,
                      connectivity=connectivity, questionnaires=questionnaires, output=output,
                      config=config, seed=seed, progress=progress).path


__all__ = ["SECTION_BUILDERS", "ReportContext", "ReportRun", "Skip", "StudyConfig", "build_report",
           "check_output", "load_config", "run_report"]
