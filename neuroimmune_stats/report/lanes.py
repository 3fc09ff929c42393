"""The report's sections on two processes: the same sections, the same numbers, about half the wall time.

The sections are independent analyses of one cohort, each with its own seed (``config.seed`` and
offsets), so where they run does not change a number. On a machine with two or more CPUs and the
``fork`` start method (Linux), :func:`run_sections` forks one child right after the cohort is read.
Both processes then take sections from one shared list, longest first (:func:`work_order`), until
it is empty, so neither waits while the other has work, and both import the libraries only
some sections need (formulaic, PyMC for a NUTS comparison) at the same time. The child sends back, per section,
what the section produced — the :class:`~.html.Section`, the sentences it added to the methods, its
skips and its results — and the parent merges them in report order, as if every section had run
in one process. Sections that read other sections' results (:data:`AFTER_SECTIONS`: planning reads
the ROI and mediation results) run after the merge.

Nothing is lost when the child cannot do its part: if the fork fails, the child dies or its
message cannot be read, the parent runs the sections it did not get back (and logs why).
``[report] processes = 1`` in the study file (or one CPU, or no ``fork``) runs everything in one
process; ``tests/test_report_lanes.py`` checks that both give the same report.
"""

from __future__ import annotations

import logging
import os
import pickle
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from .html import Section

log = logging.getLogger("neuroimmune_stats.report")

#: wall seconds of each section on the bundled example (this machine, one process, imports included):
#: only the order in which the two processes take them, longest first, so they finish together
EXPECTED_SECONDS = {"classifier": 2.8, "mediation": 2.2, "roi_models": 1.1, "correlations": 0.9,
                    "roi_harmonized": 0.8, "moderation": 0.4, "table1": 0.1, "data_summary": 0.02}
#: sections that read results of other sections (and which): one runs as soon as a process has run all
#: it reads, else in the parent after the lanes are merged
DEPENDS: dict[str, tuple[str, ...]] = {"planning": ("roi_models", "mediation")}
AFTER_SECTIONS = frozenset(DEPENDS)


@dataclass
class SectionRun:
    """What one section produced: its section, methods sentences, skips, results, timings."""

    name: str
    section: Section | None
    methods: list[str] = field(default_factory=list)
    skipped: list[Any] = field(default_factory=list)
    results: dict[str, Any] = field(default_factory=dict)
    wall: float = 0.0
    cpu: float = 0.0


def name_of(spec: str) -> str:
    """The builder name of ``"module:function"``."""
    return spec.rsplit(":", 1)[-1]


@contextmanager
def safe_text() -> Iterator[None]:
    """Figures draw user strings (levels, column names) as plain text: ``$\\foo$`` is not mathtext."""
    from .._optional import pyplot

    plt = pyplot()
    with plt.rc_context({"text.parse_math": False, "text.usetex": False}):
        yield


def run_one(ctx: Any, spec: str, build: Callable[[str], Any], title: Callable[[str], str],
            on_error: Callable[[Any, Section, BaseException], None]) -> SectionRun:
    """Run one builder on ``ctx`` and record what it added (the section's warnings become notes)."""
    name = name_of(spec)
    m0, s0, keys0 = len(ctx.methods), len(ctx.skipped), set(ctx.results)
    t0, c0 = time.perf_counter(), time.process_time()
    sec: Section | None = None
    fn = build(spec)
    if fn is not None:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                with safe_text():
                    sec = fn(ctx)
            except Exception as exc:  # a section that cannot run is skipped, not fatal
                sec = Section(name, title(spec))
                on_error(ctx, sec, exc)
        if sec is not None:
            for text in dict.fromkeys(str(w.message) for w in caught):
                sec.note(text)
    return SectionRun(name, sec, ctx.methods[m0:], ctx.skipped[s0:],
                      {k: v for k, v in ctx.results.items() if k not in keys0},
                      time.perf_counter() - t0, time.process_time() - c0)


def can_fork() -> bool:
    """True on a machine with two or more CPUs and the ``fork`` start method."""
    import multiprocessing as mp

    return "fork" in mp.get_all_start_methods() and (os.cpu_count() or 1) >= 2


def processes(ctx: Any) -> int:
    """How many processes the sections use: 1 when the study file says ``[report] processes = 1``,
    else 2 where :func:`can_fork`; 1 otherwise."""
    wanted = getattr(ctx.config, "processes", None)
    if wanted is not None and int(wanted) <= 1:
        return 1
    return 2 if can_fork() else 1


def _picklable(results: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for k, v in results.items():
        try:
            pickle.dumps(v)
        except Exception as exc:  # a result that cannot travel stays in the child (planning would skip)
            log.debug("report: result %s could not be sent from the child process: %s", k, exc)
            continue
        out[k] = v
    return out


@dataclass
class Shared:
    """What the two processes share: the next index of the work list, and which dependent section
    (:data:`AFTER_SECTIONS`) one of them has taken."""

    counter: Any
    taken: Any
    dependents: list[tuple[str, tuple[str, ...]]]

    def claim(self) -> int:
        """The next index of the shared work list."""
        with self.counter.get_lock():
            i = int(self.counter.value)
            self.counter.value = i + 1
        return i

    def ready(self, done: dict[str, SectionRun]) -> str | None:
        """A dependent section whose sections it reads all ran in this process, taken for it (or None)."""
        names = {r.name for r in done.values()}
        for j, (spec, needs) in enumerate(self.dependents):
            if all(n in names for n in needs):
                with self.taken.get_lock():
                    if not self.taken[j]:
                        self.taken[j] = 1
                        return spec
        return None


def _lane(order: list[str], shared: Shared, runner: Callable[[str], SectionRun],
          progress: Callable[[str], None] | None = None) -> dict[str, SectionRun]:
    """Run sections of ``order`` as they are claimed until none is left; a dependent section runs as
    soon as this process has run the sections it reads (else the parent runs it after the merge)."""
    from threadpoolctl import threadpool_limits

    done: dict[str, SectionRun] = {}
    # two processes on the machine's cores: one BLAS thread each (more would only contend for the cores)
    with threadpool_limits(limits=1, user_api="blas"):
        while True:
            spec = shared.ready(done)
            if spec is None:
                i = shared.claim()
                if i >= len(order):
                    break
                spec = order[i]
            done[spec] = _tick(progress, spec, runner)
    return done


def _child(conn: Any, order: list[str], shared: Shared, runner: Callable[[str], SectionRun]) -> None:
    """The child's lane: run the sections it claims and send their :class:`SectionRun` records as one pickle."""
    try:
        runs = _lane(order, shared, runner)
        for r in runs.values():
            r.results = _picklable(r.results)
        conn.send_bytes(pickle.dumps(runs, protocol=pickle.HIGHEST_PROTOCOL))
    finally:
        conn.close()


def _preload() -> None:
    """Import what every section needs (matplotlib, SciPy's linear algebra and special functions)
    once, before the fork: imported after it, each process would spend the same time importing them
    again. ``scipy.stats`` is not among them: no section but the classifier's (through scikit-learn,
    when a user's estimator needs it) imports it (:mod:`neuroimmune_stats._dist`)."""
    import scipy.linalg
    import scipy.special  # noqa: F401

    from .._optional import pyplot

    pyplot()


def work_order(specs: tuple[str, ...] | list[str]) -> list[str]:
    """The sections both processes draw from, longest first (:data:`EXPECTED_SECONDS`), planning left out."""
    todo = [s for s in specs if name_of(s) not in AFTER_SECTIONS]
    return sorted(todo, key=lambda s: -EXPECTED_SECONDS.get(name_of(s), 0.0))


def run_sections(ctx: Any, specs: tuple[str, ...], runner: Callable[[str], SectionRun],
                 progress: Callable[[str], None] | None = None) -> list[SectionRun]:
    """Every spec's :class:`SectionRun`, in ``specs`` order, on one or two processes.

    ``runner(spec)`` runs one section on ``ctx`` (see :func:`run_one`). With two processes, both
    draw sections from one list, longest first, until it is empty (a shared counter), so neither
    waits while the other has work; :data:`AFTER_SECTIONS` run in the parent after the merge. The
    parent's ``ctx`` ends as after a serial run: methods, skips and results merged in report order.
    """
    order = work_order(specs)
    if processes(ctx) < 2 or len(order) < 2:
        return [_tick(progress, s, runner) for s in specs]
    import gc

    _preload()
    # what is imported so far stays for the whole run: frozen, the collector neither walks it in either
    # process nor writes to its pages in the child (which would copy them); unfrozen at the end
    gc.freeze()
    try:
        return _two_lanes(ctx, specs, order, runner, progress)
    finally:
        gc.unfreeze()


def _two_lanes(ctx: Any, specs: tuple[str, ...], order: list[str], runner: Callable[[str], SectionRun],
               progress: Callable[[str], None] | None) -> list[SectionRun]:
    import multiprocessing as mp

    fork = mp.get_context("fork")
    m_base, s_base = len(ctx.methods), len(ctx.skipped)
    dependents = [(sp, DEPENDS.get(name_of(sp), ())) for sp in specs if name_of(sp) in AFTER_SECTIONS]
    shared = Shared(fork.Value("i", 0), fork.Array("b", max(1, len(dependents))), dependents)
    recv, send = fork.Pipe(duplex=False)
    child: Any = fork.Process(target=_child, args=(send, order, shared, runner))
    try:
        child.start()
    except OSError as exc:
        log.info("report: could not start the second process (%s); running every section here", exc)
        child = None
    send.close()
    done = _lane(order, shared, runner, progress)
    child_runs: dict[str, SectionRun] = {}
    if child is not None:
        try:
            child_runs = pickle.loads(recv.recv_bytes())
        except (EOFError, OSError, pickle.UnpicklingError) as exc:
            log.info("report: the second process sent nothing (%s); running its sections here", exc)
        finally:
            child.join()
    recv.close()
    done.update(child_runs)
    for s in order:  # what the child claimed but did not send (it died): run here
        if s not in done:
            done[s] = _tick(progress, s, runner)
    # the parent's ctx as after a serial run: every section's additions in report order
    del ctx.methods[m_base:], ctx.skipped[s_base:]
    for s in specs:
        if s in done:
            r = done[s]
            ctx.methods.extend(r.methods)
            ctx.skipped.extend(r.skipped)
            ctx.results.update(r.results)
    for s in specs:
        if s not in done:
            done[s] = _tick(progress, s, runner)
    return [done[s] for s in specs]


def _tick(progress: Callable[[str], None] | None, spec: str, runner: Callable[[str], SectionRun]) -> SectionRun:
    if progress is not None:
        progress(name_of(spec))
    return runner(spec)


__all__ = ["AFTER_SECTIONS", "DEPENDS", "EXPECTED_SECONDS", "SectionRun", "Shared", "can_fork", "processes",
           "run_one", "run_sections", "safe_text", "work_order"]
