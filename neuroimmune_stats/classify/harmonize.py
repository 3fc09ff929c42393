"""ComBat inside cross-validation: one batched estimation per fold, over all label permutations at once.

A fold's ComBat is estimated on its training rows only, with the batch (``protocol``) and the
call's factor covariates in the design and never the target. Every row of the fold, training and
test alike, is then mapped by the same training estimates without reading its covariates or its
label (``neuroCombatFromTraining``'s map: covariate part = training mean; see
:func:`neuroimmune_stats.harmonization.combat.apply_fit`), so the classifier sees training and test
rows on one scale and a test row's harmonised features depend on nothing but its own features, its
batch and the training rows. Because the folds of each label permutation differ, the estimation is
batched over the ``(k, n)`` training masks of a fold (:func:`~neuroimmune_stats.harmonization.combat.fit_combat`).
"""

from __future__ import annotations

import numpy as np

from ..harmonization.combat import apply_fit, fit_combat

#: the batch column ``harmonize=True`` harmonises over
BATCH = "protocol"


class FoldCombat:
    """Harmonised copies of the features, one per training mask (picklable for joblib workers)."""

    def __init__(self, codes: np.ndarray, levels: list[str], mod: np.ndarray, names: list[str],
                 parametric: bool = True, eb: bool = True):
        self.codes, self.levels, self.mod, self.names = codes, levels, mod, names
        self.parametric, self.eb = parametric, eb

    def __call__(self, F: np.ndarray, M: np.ndarray) -> np.ndarray:
        """(k, n, p): ``F`` (n, p) harmonised by the ComBat of each training mask row of ``M`` (k, n)."""
        fit = fit_combat(F, self.codes, len(self.levels), self.mod, mask=M, parametric=self.parametric,
                         eb=self.eb, names=self.names, levels=self.levels)
        return apply_fit(fit, F, self.codes)


__all__ = ["BATCH", "FoldCombat"]
