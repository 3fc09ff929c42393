"""neuroimmune_stats: statistics of TSPO PET neuroimmune studies, the way R gives them.

Formulas and data frames in, tidy frames out, numbers that match R. Everything public is importable
from the top level; heavy dependencies (statsmodels, scikit-learn, PyMC, ArviZ, matplotlib) load on
first use, so ``import neuroimmune_stats`` stays light.

Examples
--------
>>> import neuroimmune_stats as nis
>>> df = nis.simulate_cohort(seed=1)
>>> df.shape[0]
54
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._version import __version__
from .exceptions import DataValidationError

# public name -> module that defines it (lazy export table)
_EXPORTS: dict[str, str] = {
    # data
    "read_cohort": "neuroimmune_stats.data",
    "discover_inputs": "neuroimmune_stats.data",
    "validate": "neuroimmune_stats.data",
    "regions": "neuroimmune_stats.data",
    "edges": "neuroimmune_stats.data",
    "questionnaires": "neuroimmune_stats.data",
    "simulate_cohort": "neuroimmune_stats.data",
    "load_example": "neuroimmune_stats.data",
    "table_one": "neuroimmune_stats.table1",
    # group models and multiplicity
    "lm": "neuroimmune_stats.models",
    "group_compare": "neuroimmune_stats.models",
    "correlate": "neuroimmune_stats.correlation",
    "adjust_pvalues": "neuroimmune_stats.multiplicity",
    "permutation_test": "neuroimmune_stats.permutation",
    # mediation
    "mediate": "neuroimmune_stats.mediation",
    "mediation_grid": "neuroimmune_stats.mediation",
    "mediation_sensitivity": "neuroimmune_stats.mediation",
    "moderation": "neuroimmune_stats.mediation",
    "bayes_mediate": "neuroimmune_stats.bayes",
    "compare_mediation": "neuroimmune_stats.bayes",
    # classification
    "SubtypeClassifier": "neuroimmune_stats.classify",
    "evaluate_classifier": "neuroimmune_stats.classify",
    # harmonisation across scanners
    "harmonize": "neuroimmune_stats.harmonization",
    "ComBat": "neuroimmune_stats.harmonization",
    "HarmonizeResult": "neuroimmune_stats.harmonization",
    # planning and equivalence
    "power_ancova": "neuroimmune_stats.planning",
    "power_correlation": "neuroimmune_stats.planning",
    "power_mediation": "neuroimmune_stats.planning",
    "equivalence_test": "neuroimmune_stats.planning",
    # missing data
    "impute": "neuroimmune_stats.missing",
    "ImputedData": "neuroimmune_stats.missing",
    # report
    "build_report": "neuroimmune_stats.report",
}

__all__ = ["DataValidationError", "__version__", *sorted(_EXPORTS)]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'neuroimmune_stats' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))


if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from .bayes import bayes_mediate, compare_mediation
    from .classify import SubtypeClassifier, evaluate_classifier
    from .correlation import correlate
    from .data import (
        discover_inputs,
        edges,
        load_example,
        questionnaires,
        read_cohort,
        regions,
        simulate_cohort,
        validate,
    )
    from .harmonization import ComBat, HarmonizeResult, harmonize
    from .mediation import mediate, mediation_grid, mediation_sensitivity
    from .mediation.moderation import moderation
    from .missing import ImputedData, impute
    from .models import group_compare
    from .models.lm import lm
    from .multiplicity import adjust_pvalues
    from .permutation import permutation_test
    from .planning import equivalence_test, power_ancova, power_correlation, power_mediation
    from .report import build_report
    from .table1 import table_one
