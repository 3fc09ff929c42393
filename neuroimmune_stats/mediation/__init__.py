"""Mediation analysis: bootstrap (PROCESS/lavaan-grade), the six-model grid and sensitivity.

Examples
--------
>>> from neuroimmune_stats.mediation import mediate, mediation_grid, mediation_sensitivity
>>> callable(mediate) and callable(mediation_grid) and callable(mediation_sensitivity)
True
"""

from __future__ import annotations

from .bootstrap import mediate
from .grid import mediation_grid
from .result import MediationResult
from .sensitivity import SensitivityResult, mediation_sensitivity

__all__ = [
    "MediationResult",
    "SensitivityResult",
    "mediate",
    "mediation_grid",
    "mediation_sensitivity",
]
