"""The study file (TOML) that tells the report which variables play which role.

Every key is optional; the defaults follow the reference study (Alshelh et al., Brain 2022)::

    [study]
    title = "Neuroimmune signatures in chronic low back pain subtypes"
    group = "subtype"
    seed = 2022

    [rois]
    outcomes = ["suvr_s1", "suvr_thalamus"]     # a priori ROIs, corrected together
    covariates = ["protocol", "tspo_genotype"]  # PET models also correct for genotype
    sensitivity_covariates = ["bmi"]            # BMI differed between groups: shown with and without
    correction = "bonferroni"

    [correlations]
    pairs = [["suvr_s1", "fss"], ["suvr_s1", "paindetect"]]
    followup = [["conn_s1__thalamus", "suvr_s1"], ["conn_s1__thalamus", "fss"]]
    correction = "bonferroni"

    [mediation]
    variables = ["suvr_s1", "fss", "conn_s1__thalamus"]   # Model 1 = (X, M, Y) in this order
    n_boot = 5000
    ci = "bc"

    [classifier]
    feature_sets = { suvr = ["suvr_*"], all = ["suvr_*", "conn_*", "paindetect", "fss"] }
    covariates = ["protocol", "tspo_genotype", "bmi"]
    n_permutations = 1000
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from ..exceptions import SpecificationError


@dataclass(frozen=True)
class StudyConfig:
    """Roles of the variables and the resample counts of one report."""

    title: str = "Neuroimmune signatures in chronic low back pain subtypes"
    group: str = "subtype"
    seed: int = 2022
    roi_outcomes: tuple[str, ...] = ("suvr_s1", "suvr_thalamus")
    roi_covariates: tuple[str, ...] = ("protocol", "tspo_genotype")
    roi_sensitivity_covariates: tuple[str, ...] = ("bmi",)
    roi_correction: str = "bonferroni"
    correlation_pairs: tuple[tuple[str, str], ...] = (("suvr_s1", "fss"), ("suvr_s1", "paindetect"))
    correlation_followup: tuple[tuple[str, str], ...] = (
        ("conn_s1__thalamus", "suvr_s1"), ("conn_s1__thalamus", "fss"))
    correlation_correction: str = "bonferroni"
    mediation_variables: tuple[str, str, str] = ("suvr_s1", "fss", "conn_s1__thalamus")
    n_boot: int = 5000
    mediation_ci: str = "bc"
    bayes_draws: int = 1000
    classifier_feature_sets: dict[str, tuple[str, ...]] = field(default_factory=lambda: {
        "SUVR": ("suvr_*",),
        "SUVR + connectivity + questionnaires": ("suvr_*", "conn_*", "paindetect", "bpi_severity"),
    })
    classifier_covariates: tuple[str, ...] = ("protocol", "tspo_genotype", "bmi")
    n_permutations: int = 1000
    n_splits: int = 5
    n_repeats: int = 10

    def quick(self) -> StudyConfig:
        """Small resample counts (for tests and vignettes: ``NIS_QUICK=1``)."""
        return replace(self, n_boot=400, bayes_draws=300, n_permutations=49, n_repeats=2)


_KEYS = {
    ("study", "title"): "title", ("study", "group"): "group", ("study", "seed"): "seed",
    ("rois", "outcomes"): "roi_outcomes", ("rois", "covariates"): "roi_covariates",
    ("rois", "sensitivity_covariates"): "roi_sensitivity_covariates", ("rois", "correction"): "roi_correction",
    ("correlations", "pairs"): "correlation_pairs", ("correlations", "followup"): "correlation_followup",
    ("correlations", "correction"): "correlation_correction",
    ("mediation", "variables"): "mediation_variables", ("mediation", "n_boot"): "n_boot",
    ("mediation", "ci"): "mediation_ci", ("mediation", "bayes_draws"): "bayes_draws",
    ("classifier", "feature_sets"): "classifier_feature_sets", ("classifier", "covariates"): "classifier_covariates",
    ("classifier", "n_permutations"): "n_permutations", ("classifier", "n_splits"): "n_splits",
    ("classifier", "n_repeats"): "n_repeats",
}


def _tupled(v: Any) -> Any:
    if isinstance(v, list):
        return tuple(_tupled(x) for x in v)
    if isinstance(v, dict):
        return {k: _tupled(x) for k, x in v.items()}
    return v


def load_config(path: str | Path | None = None, *, seed: int | None = None) -> StudyConfig:
    """Read a study TOML file (unknown keys are an error); ``NIS_QUICK=1`` shrinks resample counts."""
    cfg = StudyConfig()
    if path is not None:
        p = Path(path)
        try:
            raw = tomllib.loads(p.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise SpecificationError(f"the study file {str(p)!r} was not found.") from exc
        except tomllib.TOMLDecodeError as exc:
            raise SpecificationError(f"the study file {p.name} is not valid TOML: {exc}") from exc
        updates: dict[str, Any] = {}
        for section, table in raw.items():
            if not isinstance(table, dict):
                raise SpecificationError(f"{p.name}: [{section}] must be a table.")
            for key, value in table.items():
                name = _KEYS.get((section, key))
                if name is None:
                    known = ", ".join(f"{s}.{k}" for s, k in _KEYS)
                    raise SpecificationError(f"{p.name}: unknown key {section}.{key}; known keys: {known}.")
                updates[name] = _tupled(value)
        if "mediation_variables" in updates and len(updates["mediation_variables"]) != 3:
            raise SpecificationError(f"{p.name}: mediation.variables must name exactly three columns.")
        valid = {f.name for f in fields(StudyConfig)}
        cfg = replace(cfg, **{k: v for k, v in updates.items() if k in valid})
    if seed is not None:
        cfg = replace(cfg, seed=int(seed))
    if os.environ.get("NIS_QUICK"):
        cfg = cfg.quick()
    return cfg
