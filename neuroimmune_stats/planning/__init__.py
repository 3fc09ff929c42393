"""Planning the next study: power (closed form and Monte Carlo) and equivalence tests.

Examples
--------
>>> from neuroimmune_stats.planning import power_ancova, power_correlation, power_mediation, equivalence_test
>>> power_ancova(0.25, target=0.8).n
128
"""

from __future__ import annotations

from .equivalence import equivalence_test
from .mediation_power import power_mediation
from .power import power_ancova, power_correlation
from .result import EquivalenceResult, PowerResult

__all__ = [
    "EquivalenceResult",
    "PowerResult",
    "equivalence_test",
    "power_ancova",
    "power_correlation",
    "power_mediation",
]
