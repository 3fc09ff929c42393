"""Mediation analysis: bootstrap (PROCESS/lavaan-grade), the six-model grid, sensitivity, and
conditional process analysis (moderation, PROCESS model 1; moderated mediation, models 7-59).

Examples
--------
>>> from neuroimmune_stats.mediation import mediate, mediation_grid, mediation_sensitivity
>>> callable(mediate) and callable(mediation_grid) and callable(mediation_sensitivity)
True
"""

from __future__ import annotations

from .bootstrap import mediate
from .conditional_result import ModeratedMediationResult
from .grid import mediation_grid
from .moderation import ModerationResult, moderation
from .result import MediationResult
from .sensitivity import SensitivityResult, mediation_sensitivity

__all__ = [
    "MediationResult",
    "ModeratedMediationResult",
    "ModerationResult",
    "SensitivityResult",
    "mediate",
    "mediation_grid",
    "mediation_sensitivity",
    "moderation",
]
