"""Bayesian mediation (PyMC NUTS or the exact conjugate posterior) and its comparison with the bootstrap.

PyMC and ArviZ are imported only when they are needed (``method="nuts"``, ``.idata``, ``.tidy()``).

Examples
--------
>>> from neuroimmune_stats.bayes import bayes_mediate, compare_mediation
>>> callable(bayes_mediate) and callable(compare_mediation)
True
"""

from __future__ import annotations

from .api import bayes_mediate
from .compare import MediationComparison, compare_mediation
from .result import BayesMediationResult

__all__ = ["BayesMediationResult", "MediationComparison", "bayes_mediate", "compare_mediation"]
