"""Timing helpers shared by the benchmark modules (medians over repeats, in-process)."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass
class Timing:
    job: str
    impl: str
    median_s: float
    repeats: int
    note: str = ""


def time_call(fn: Callable[[], Any], repeats: int = 5, warmup: int = 1, min_total_s: float = 0.5) -> float:
    """Median wall time of ``fn()`` after ``warmup`` untimed calls.

    At least ``repeats`` timed calls, and more for fast calls until ``min_total_s`` seconds have been
    timed (capped at 200 calls): a millisecond-scale median over five calls is mostly scheduler noise.
    """
    for _ in range(warmup):
        fn()
    times: list[float] = []
    while len(times) < repeats or (sum(times) < min_total_s and len(times) < 200):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def time_interleaved(fns: dict[str, Callable[[], Any]], per_round: dict[str, int], rounds: int = 7,
                     warmup: int = 1) -> dict[str, float]:
    """Median wall time of each function, timed in alternation: ``rounds`` rounds of ``per_round[name]``
    calls of each.

    A VM's speed drifts by tens of percent over seconds (the host's other tenants); timing ours and a
    peer minutes apart puts that drift into the ratio. Alternating them puts both in the same
    conditions. Every function is warmed up ``warmup`` times first (peers too).
    """
    for fn in fns.values():
        for _ in range(warmup):
            fn()
    times: dict[str, list[float]] = {name: [] for name in fns}
    for r in range(rounds):
        order = list(fns) if r % 2 == 0 else list(reversed(fns))
        for name in order:
            for _ in range(per_round[name]):
                t0 = time.perf_counter()
                fns[name]()
                times[name].append(time.perf_counter() - t0)
    return {name: statistics.median(t) for name, t in times.items()}


def ratio_rows(job: str, ours: Timing, peers: list[Timing]) -> list[dict[str, Any]]:
    """Rows for the markdown table: our time, each peer's, and ours/peer."""
    rows = [{"job": job, "impl": ours.impl, "median_s": ours.median_s, "ratio": 1.0, "note": ours.note}]
    for p in peers:
        rows.append(
            {"job": job, "impl": p.impl, "median_s": p.median_s,
             "ratio": ours.median_s / p.median_s if p.median_s else float("nan"), "note": p.note}
        )
    return rows


def to_markdown(rows: list[dict]) -> str:
    out = ["| job | implementation | median time | ours / this | note |", "|---|---|---:|---:|---|"]
    for r in rows:
        t = r["median_s"]
        shown = f"{t * 1e3:.2f} ms" if t < 1 else f"{t:.2f} s"
        ratio = r.get("ratio")
        out.append(f"| {r['job']} | {r['impl']} | {shown} | "
                   f"{'' if ratio is None else f'{ratio:.3g}'} | {r.get('note', '')} |")
    return "\n".join(out)


def print_rows(rows: list[dict]) -> None:
    """A bench module run as a script: its markdown table, then each ratio on a line of its own."""
    print(to_markdown(rows))
    for r in rows:
        if r["ratio"] != 1.0:
            print(f"{r['job']}: ours / {r['impl']} = {r['ratio']:.3f}"
                  + (f" ({1 / r['ratio']:.1f}x faster)" if r["ratio"] < 1 else ""))
