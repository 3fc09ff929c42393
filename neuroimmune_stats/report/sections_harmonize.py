"""Report section: the ROI group models after ComBat harmonisation across protocols (sensitivity analysis).

The main ROI models adjust for protocol as a covariate (as the reference study). This section
re-runs them on SUVR harmonised with ComBat (``sva::ComBat`` numbers; Johnson et al. 2007, Fortin et
al. 2018): every regional SUVR column is harmonised over ``protocol`` together (the empirical-Bayes
priors pool across regions), preserving the group and the other ROI covariates (outside
cross-validation the group belongs in the ComBat design, so its difference is not removed with the
protocol), and the group models then adjust for the ROI covariates other than protocol.
"""

from __future__ import annotations

import fnmatch
import warnings
from typing import Any

import pandas as pd

from .html import Section

#: the batch column harmonised over
BATCH = "protocol"
#: regional columns harmonised together with the ROI outcomes
REGIONAL = "suvr_*"


def harmonized_roi_models(
    data: pd.DataFrame, config: Any, *, results: dict[str, Any] | None = None, methods: list[str] | None = None,
) -> Section:
    """The harmonised ROI sensitivity analysis as a report :class:`Section` (id ``roi_harmonized``).

    Parameters
    ----------
    data : DataFrame
        The cohort frame (one row per subject); not modified.
    config : StudyConfig
        Uses ``group``, ``roi_outcomes``, ``roi_covariates`` and ``roi_correction``.
    results : dict, optional
        Filled with ``"roi_harmonized"`` (the group-model result) and ``"combat_roi"`` (the
        :class:`~neuroimmune_stats.harmonization.HarmonizeResult`).
    methods : list of str, optional
        A sentence for the methods paragraph is appended.

    Returns
    -------
    Section
        Skipped (a note saying why) when the data lack the group, the ROIs or ``protocol``, or
        ComBat cannot be estimated (e.g. a protocol with one subject).

    Examples
    --------
    >>> import neuroimmune_stats as nis
    >>> from neuroimmune_stats.report.config import StudyConfig
    >>> sec = harmonized_roi_models(nis.load_example(), StudyConfig())
    >>> sec.id, [b.kind for b in sec.blocks][:2]
    ('roi_harmonized', ['p', 'html'])
    """
    from ..design import complete_cases
    from ..exceptions import NeuroimmuneStatsError
    from ..harmonization import harmonize
    from ..models import group_compare

    sec = Section("roi_harmonized", "ROI group models after ComBat harmonisation (sensitivity)")
    outcomes = list(config.roi_outcomes)
    missing = [c for c in [config.group, *outcomes, BATCH] if c not in data.columns]
    if missing:
        return sec.note(f"Skipped: the data have no column {', '.join(missing)}.")
    covs = [c for c in config.roi_covariates if c != BATCH and c in data.columns and c != config.group]
    feats = list(dict.fromkeys([*outcomes, *(c for c in data.columns if fnmatch.fnmatchcase(str(c), REGIONAL))]))
    frame, cc = complete_cases(data, [*feats, BATCH, config.group, *covs], what="ComBat sensitivity analysis")
    preserve = [config.group, *covs]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            combat = harmonize(frame, feats, batch=BATCH, covariates=preserve, result=True)
        adjusted = group_compare(frame, outcomes, group=config.group, covariates=[BATCH, *covs],
                                 correction=config.roi_correction)
        harmonised = group_compare(combat.data, outcomes, group=config.group, covariates=covs,
                                   correction=config.roi_correction)
    except NeuroimmuneStatsError as exc:
        return sec.note(f"Skipped: ComBat could not be estimated on these data ({exc}).")
    if results is not None:
        results["roi_harmonized"] = harmonised
        results["combat_roi"] = combat
    kept = f"; {cc.n_excluded} subject(s) with missing values excluded" if cc.n_excluded else ""
    sec.p(f"{len(feats)} regional SUVR measures were harmonised across {BATCH} with ComBat (parametric empirical "
          f"Bayes, as R sva::ComBat), preserving {', '.join(preserve)}; the group models were then refitted "
          f"without {BATCH} as a covariate (n = {cc.n}{kept}). If both analyses agree, the group difference does "
          "not hinge on how the protocol difference is modelled.")
    a, h = adjusted.tidy(), harmonised.tidy()
    cmp = pd.DataFrame({
        "outcome": a["outcome"], "contrast": a["contrast"],
        "estimate_adjusted": a["estimate"], "p_adj_adjusted": a["p_adj"],
        "estimate_harmonised": h["estimate"], "conf_low_harmonised": h["conf_low"],
        "conf_high_harmonised": h["conf_high"], "p_adj_harmonised": h["p_adj"],
    })
    sec.table(cmp, caption=f"Group difference with {BATCH} as a covariate vs after ComBat "
                           f"({config.roi_correction}-corrected p over {len(outcomes)} ROIs)")
    sec.table(h, caption=f"After ComBat: outcome ~ {' + '.join([config.group, *covs])}")
    sec.table(combat.batch_differences(), caption=f"Share of variance explained by {BATCH} given "
                                                  f"{', '.join(preserve)} (partial eta squared), before and after")
    sec.figure(combat.plot().figure, f"Regional SUVR per {BATCH} before (hatched) and after (solid) ComBat, "
                                     "standardised by the pooled mean and SD before harmonisation.")
    if methods is not None:
        methods.append(
            f"As a sensitivity analysis, regional SUVR was harmonised across {BATCH}s with ComBat (Johnson et al. "
            f"2007; parametric empirical Bayes, preserving {', '.join(preserve)}) and the ROI models were refitted "
            f"adjusting for {', '.join(covs) if covs else 'no other covariate'}."
        )
    return sec


__all__ = ["harmonized_roi_models"]
