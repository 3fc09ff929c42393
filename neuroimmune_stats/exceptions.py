"""Exception and warning types of :mod:`neuroimmune_stats`.

Every error the package raises on purpose is a :class:`NeuroimmuneStatsError`; the ones caused by the
caller's data or arguments are also :class:`ValueError` so ``except ValueError`` keeps working.

Examples
--------
>>> from neuroimmune_stats.exceptions import DataValidationError, NeuroimmuneStatsError
>>> issubclass(DataValidationError, ValueError), issubclass(DataValidationError, NeuroimmuneStatsError)
(True, True)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


class NeuroimmuneStatsError(Exception):
    """Base class of every exception raised by the package."""


@dataclass(frozen=True)
class Problem:
    """One validation problem: where it is, what was found and which rule it breaks."""

    file: str
    line: int | None
    column: str | None
    value: object
    rule: str

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f" line {self.line}"
        if self.column is not None:
            where += f", column {self.column}"
        if self.value is None or self.value == "":
            return f"{where}: {self.rule}"
        return f"{where}: {self.value} {self.rule}"


class DataValidationError(NeuroimmuneStatsError, ValueError):
    """Input tables break the schema: lists **every** problem found, one per line.

    Parameters
    ----------
    problems : sequence of Problem
        Everything wrong with the input, in file order.
    """

    def __init__(self, problems: Sequence[Problem], header: str | None = None) -> None:
        self.problems: list[Problem] = list(problems)
        n = len(self.problems)
        head = header or f"{n} problem{'s' if n != 1 else ''} found in the input data"
        lines = [f"{head}:"] + [f"  - {p}" for p in self.problems]
        super().__init__("\n".join(lines))


class SpecificationError(NeuroimmuneStatsError, ValueError):
    """An analysis cannot be specified as asked (bad argument, formula, column or option)."""


class InsufficientDataError(SpecificationError):
    """Too few complete cases (or classes, or levels) for the requested analysis."""


class RankDeficiencyError(SpecificationError):
    """The design matrix is rank deficient and the offending term cannot be dropped."""


class NeuroimmuneStatsWarning(UserWarning):
    """Base class of every warning emitted by the package."""


class DataWarning(NeuroimmuneStatsWarning):
    """Subjects were excluded or tables did not line up; the message names the subjects."""


class RankDeficiencyWarning(NeuroimmuneStatsWarning):
    """A term was dropped from a model because it is constant or collinear."""


class ConvergenceWarning(NeuroimmuneStatsWarning):
    """A sampler or optimiser did not converge cleanly (divergences, low ESS, r_hat > 1.01)."""


class ResamplingWarning(NeuroimmuneStatsWarning):
    """Some resamples were degenerate and were handled as documented."""


__all__ = [
    "ConvergenceWarning",
    "DataValidationError",
    "DataWarning",
    "InsufficientDataError",
    "NeuroimmuneStatsError",
    "NeuroimmuneStatsWarning",
    "Problem",
    "RankDeficiencyError",
    "RankDeficiencyWarning",
    "ResamplingWarning",
    "SpecificationError",
]
