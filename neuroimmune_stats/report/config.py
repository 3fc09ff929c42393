"""The study file (TOML) that tells the report which variables play which role.

Every key is optional; the defaults follow the reference study (Alshelh et al., Brain 2022)::

    [study]
    title = "Neuroimmune signatures in chronic low back pain subtypes"
    group = "subtype"
    seed = 2022

    [report]
    sections = ["data_summary", "table1", "roi_models", ...]   # run only these (default: every section)
    n_jobs = 1                    # workers for the resampling steps (same numbers at any n_jobs)
    processes = 2                 # sections on two processes where fork exists (1: one process); same report

    [data]
    how = "inner"                 # merge rule of read_cohort
    suvr_range = [0.2, 5.0]       # plausible SUVR range (two numbers, low < high)
    connectivity_scale = "z"      # "z" (Fisher z) or "r" (Pearson r, checked to lie in [-1, 1])

    [rois]
    outcomes = ["suvr_s1", "suvr_thalamus"]     # a priori ROIs, corrected together
    covariates = ["protocol", "tspo_genotype"]  # PET models also correct for genotype
    sensitivity_covariates = ["bmi"]            # BMI differed between groups: shown with and without
    correction = "bonferroni"

    [correlations]
    pairs = [["suvr_s1", "fss"], ["suvr_s1", "paindetect"]]
    followup = [["conn_s1__thalamus", "suvr_s1"], ["conn_s1__thalamus", "fss"]]
    covariates = ["protocol"]             # partial correlations, figures adjusted for these (Figs 4-5)
    pet_covariates = ["tspo_genotype"]    # added only for pairs with a PET (suvr_*) variable
    correction = "bonferroni"

    [mediation]
    variables = ["suvr_s1", "fss", "conn_s1__thalamus"]   # Model 1 = (X, M, Y) in this order
    n_boot = 5000
    ci = "bc"

    [classifier]
    feature_sets = { imaging = ["suvr_*", "conn_*"] }   # whole-brain SUVR (the normaliser) is always left out
    covariates = ["protocol", "tspo_genotype", "bmi"]
    n_permutations = 1000
    early_stop = 51                                   # Besag-Clifford h (0: draw them all); default
                                                      # ceil(0.05 (n_permutations + 1)): same decision at 0.05

    [planning]
    n_sims = 500                  # Monte Carlo data sets of the mediation power search
    n_boot = 1000                 # bootstrap resamples per simulated data set

    [labels]
    suvr_s1 = "S1 SUVR"

Wrong types, unknown keys, a file that is not UTF-8 and a ``group`` that is also a covariate are
refused with a :class:`~neuroimmune_stats.exceptions.SpecificationError` naming the key.
"""

from __future__ import annotations

import math
import os
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .._params import check_choice, check_int
from ..exceptions import SpecificationError

#: the whole-brain normaliser: never a classifier feature (SUVR = regional / whole-brain uptake)
WHOLE_BRAIN = ("suvr_whole_brain", "suvr_wholebrain", "suvr_whole_brain_suv", "suvr_global", "suvr_wb")


@dataclass(frozen=True)
class StudyConfig:
    """Roles of the variables and the resample counts of one report."""

    title: str = "Neuroimmune signatures in chronic low back pain subtypes"
    group: str = "subtype"
    seed: int = 2022
    how: str = "inner"
    suvr_range: tuple[float, float] | None = None
    connectivity_scale: str | None = None
    roi_outcomes: tuple[str, ...] = ("suvr_s1", "suvr_thalamus")
    roi_covariates: tuple[str, ...] = ("protocol", "tspo_genotype")
    roi_sensitivity_covariates: tuple[str, ...] = ("bmi",)
    roi_correction: str = "bonferroni"
    correlation_pairs: tuple[tuple[str, str], ...] = (("suvr_s1", "fss"), ("suvr_s1", "paindetect"))
    correlation_followup: tuple[tuple[str, str], ...] = (
        ("conn_s1__thalamus", "suvr_s1"), ("conn_s1__thalamus", "fss"))
    correlation_covariates: tuple[str, ...] = ("protocol",)
    correlation_pet_covariates: tuple[str, ...] = ("tspo_genotype",)
    correlation_correction: str = "bonferroni"
    mediation_variables: tuple[str, str, str] = ("suvr_s1", "fss", "conn_s1__thalamus")
    n_boot: int = 5000
    mediation_ci: str = "bc"
    bayes_draws: int = 1000
    classifier_feature_sets: dict[str, tuple[str, ...]] = field(default_factory=lambda: {
        "imaging": ("suvr_*", "conn_*"),
    })
    classifier_covariates: tuple[str, ...] = ("protocol", "tspo_genotype", "bmi")
    n_permutations: int = 1000
    #: Besag–Clifford h of the classifier's permutations; None: ceil(0.05 (n_permutations + 1)), 0: off
    early_stop: int | None = None
    n_splits: int = 5
    n_repeats: int = 10
    #: the planning section's Monte Carlo (MC SE of a power near 0.8: 0.023 with 300 data sets; raise both
    #: in study.toml [planning] for a final sample-size statement)
    power_n_sims: int = 300
    power_n_boot: int = 500
    labels: dict[str, str] = field(default_factory=dict)
    #: the report sections to run by builder name (None: all); the others are listed as not requested
    sections: tuple[str, ...] | None = None
    #: workers for resampling steps that take n_jobs (the numbers do not depend on it)
    n_jobs: int = 1
    #: processes the sections run on (None: 2 where the machine has two CPUs and ``fork``; 1: one
    #: process); the report is the same either way (:mod:`.lanes`)
    processes: int | None = None

    def quick(self) -> StudyConfig:
        """Small resample counts (for tests and vignettes: ``NIS_QUICK=1``)."""
        return replace(self, n_boot=400, bayes_draws=300, n_permutations=49, n_repeats=2, power_n_sims=100,
                       power_n_boot=400)

    def stop_after(self) -> int | None:
        """The classifier's early-stopping ``h``: the configured one, else ``ceil(0.05 (P + 1))`` — the
        smallest h with which the sequential test rejects at α = 0.05 exactly when the full test does."""
        if self.early_stop == 0 or self.n_permutations == 0:
            return None
        return self.early_stop if self.early_stop is not None else math.ceil(0.05 * (self.n_permutations + 1))

    def label(self, column: str) -> str:
        """Display label of a column (``[labels]``), the column name otherwise."""
        return self.labels.get(column, column)


# --------------------------------------------------------------------------- value checks
def _str(where: str, v: Any) -> str:
    if not isinstance(v, str) or not v.strip():
        raise SpecificationError(f"{where} must be a non-empty string; got {v!r} ({type(v).__name__}).")
    return v


def _names(where: str, v: Any) -> tuple[str, ...]:
    if isinstance(v, str):
        v = [v]
    if not isinstance(v, list):
        raise SpecificationError(f"{where} must be a list of column names; got {v!r} ({type(v).__name__}).")
    return tuple(_str(f"{where}[{i}]", x) for i, x in enumerate(v))


def _pairs(where: str, v: Any) -> tuple[tuple[str, str], ...]:
    if not isinstance(v, list):
        raise SpecificationError(f"{where} must be a list of [x, y] pairs; got {v!r}.")
    out = []
    for i, p in enumerate(v):
        if not isinstance(p, list) or len(p) != 2:
            raise SpecificationError(f"{where}[{i}] must be a pair [x, y] of column names; got {p!r}.")
        out.append((_str(f"{where}[{i}][0]", p[0]), _str(f"{where}[{i}][1]", p[1])))
    return tuple(out)


def _seed(where: str, v: Any) -> int:
    return check_int(v, where=where, name="the value", minimum=0)


def _count(minimum: int) -> Callable[[str, Any], int]:
    def check(where: str, v: Any) -> int:
        return check_int(v, where=where, name="the value", minimum=minimum)
    return check


def _correction(where: str, v: Any) -> str:
    from ..multiplicity import _normalise

    _str(where, v)
    try:
        _normalise(v)
    except SpecificationError as exc:
        raise SpecificationError(f"{where}: {exc}") from None
    return str(v)


def _ci(where: str, v: Any) -> str:
    from ..mediation.intervals import check_ci

    try:
        return check_ci(_str(where, v))
    except SpecificationError as exc:
        raise SpecificationError(f"{where}: {exc}") from None


def _three(where: str, v: Any) -> tuple[str, str, str]:
    names = _names(where, v)
    if len(names) != 3 or len(set(names)) != 3:
        raise SpecificationError(f"{where} must name exactly three different columns (X, M, Y); got {list(names)}.")
    return names[0], names[1], names[2]


def _feature_sets(where: str, v: Any) -> dict[str, tuple[str, ...]]:
    if not isinstance(v, dict) or not v:
        raise SpecificationError(f"{where} must be a table {{name = [columns or globs]}}; got {v!r}.")
    return {_str(f"{where} key", k): _names(f"{where}.{k}", x) for k, x in v.items()}


def _how(where: str, v: Any) -> str:
    return str(check_choice(v, ("inner", "outer"), where=where, name="the value"))


def _scale(where: str, v: Any) -> str:
    return str(check_choice(v, ("z", "r"), where=where, name="the value"))


def _range(where: str, v: Any) -> tuple[float, float]:
    ok = (isinstance(v, list) and len(v) == 2
          and all(isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x) for x in v))
    if not ok or not v[0] < v[1]:
        raise SpecificationError(f"{where} must be two finite numbers [low, high] with low < high; got {v!r}.")
    return float(v[0]), float(v[1])


def _labels(where: str, v: Any) -> dict[str, str]:
    if not isinstance(v, dict):
        raise SpecificationError(f"{where} must be a table {{column = \"label\"}}; got {v!r}.")
    return {str(k): _str(f"{where}.{k}", x) for k, x in v.items()}


#: (section, key) -> (StudyConfig field, checker)
_KEYS: dict[tuple[str, str], tuple[str, Callable[[str, Any], Any]]] = {
    ("report", "sections"): ("sections", _names), ("report", "n_jobs"): ("n_jobs", _count(1)),
    ("report", "processes"): ("processes", _count(1)),
    ("study", "title"): ("title", _str), ("study", "group"): ("group", _str), ("study", "seed"): ("seed", _seed),
    ("data", "how"): ("how", _how), ("data", "suvr_range"): ("suvr_range", _range),
    ("data", "connectivity_scale"): ("connectivity_scale", _scale),
    ("rois", "outcomes"): ("roi_outcomes", _names), ("rois", "covariates"): ("roi_covariates", _names),
    ("rois", "sensitivity_covariates"): ("roi_sensitivity_covariates", _names),
    ("rois", "correction"): ("roi_correction", _correction),
    ("correlations", "pairs"): ("correlation_pairs", _pairs),
    ("correlations", "followup"): ("correlation_followup", _pairs),
    ("correlations", "covariates"): ("correlation_covariates", _names),
    ("correlations", "pet_covariates"): ("correlation_pet_covariates", _names),
    ("correlations", "correction"): ("correlation_correction", _correction),
    ("mediation", "variables"): ("mediation_variables", _three), ("mediation", "n_boot"): ("n_boot", _count(1)),
    ("mediation", "ci"): ("mediation_ci", _ci), ("mediation", "bayes_draws"): ("bayes_draws", _count(1)),
    ("classifier", "feature_sets"): ("classifier_feature_sets", _feature_sets),
    ("classifier", "covariates"): ("classifier_covariates", _names),
    ("classifier", "n_permutations"): ("n_permutations", _count(0)),
    ("classifier", "early_stop"): ("early_stop", _count(0)),
    ("classifier", "n_splits"): ("n_splits", _count(2)), ("classifier", "n_repeats"): ("n_repeats", _count(1)),
    ("planning", "n_sims"): ("power_n_sims", _count(10)), ("planning", "n_boot"): ("power_n_boot", _count(100)),
}


def check_roles(cfg: StudyConfig, where: str = "study file") -> None:
    """Refuse a study whose grouping variable is also an adjustment variable (or a correlate)."""
    g = cfg.group
    for key, covs in (("rois.covariates", cfg.roi_covariates),
                      ("rois.sensitivity_covariates", cfg.roi_sensitivity_covariates),
                      ("correlations.covariates", cfg.correlation_covariates),
                      ("correlations.pet_covariates", cfg.correlation_pet_covariates),
                      ("classifier.covariates", cfg.classifier_covariates)):
        if g in covs:
            raise SpecificationError(
                f"{where}: study.group = {g!r} is also listed in {key}; a variable cannot be both the "
                f"compared groups and a covariate (remove it from {key} or pick another group)."
            )
    if g in cfg.roi_outcomes:
        raise SpecificationError(f"{where}: study.group = {g!r} is also an ROI outcome (rois.outcomes).")


def _read_text(p: Path) -> str:
    try:
        data = p.read_bytes()
    except FileNotFoundError as exc:
        raise SpecificationError(f"the study file {str(p)!r} was not found.") from exc
    except IsADirectoryError as exc:
        raise SpecificationError(f"the study file {str(p)!r} is a folder, not a file.") from exc
    except OSError as exc:
        raise SpecificationError(f"the study file {str(p)!r} cannot be read: {exc.strerror or exc}.") from exc
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SpecificationError(
            f"the study file {p.name} is not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
            "save it as UTF-8."
        ) from None


def load_config(path: str | Path | None = None, *, seed: int | None = None) -> StudyConfig:
    """Read a study TOML file (unknown keys and wrong types are an error); ``NIS_QUICK=1`` shrinks resample counts.

    Examples
    --------
    >>> cfg = load_config(seed=3)
    >>> cfg.seed, cfg.group
    (3, 'subtype')
    """
    cfg = StudyConfig()
    name = "study file"
    if path is not None:
        p = Path(path)
        name = p.name
        try:
            raw = tomllib.loads(_read_text(p))
        except tomllib.TOMLDecodeError as exc:
            raise SpecificationError(f"the study file {p.name} is not valid TOML: {exc}") from None
        updates: dict[str, Any] = {}
        for section, table in raw.items():
            if not isinstance(table, dict):
                raise SpecificationError(f"{p.name}: [{section}] must be a table; got {section} = {table!r}.")
            if section == "labels":
                updates["labels"] = _labels(f"{p.name}: labels", table)
                continue
            for key, value in table.items():
                entry = _KEYS.get((section, key))
                if entry is None:
                    known = ", ".join([f"{s}.{k}" for s, k in _KEYS] + ["labels.<column>"])
                    raise SpecificationError(f"{p.name}: unknown key {section}.{key}; known keys: {known}.")
                attr, check = entry
                try:
                    updates[attr] = check(f"{section}.{key}", value)
                except SpecificationError as exc:
                    msg = str(exc)
                    raise SpecificationError(msg if msg.startswith(p.name) else f"{p.name}: {msg}") from None
        cfg = replace(cfg, **updates)
    if seed is not None:
        cfg = replace(cfg, seed=check_int(seed, where="report", name="seed", minimum=0))
    check_roles(cfg, name)
    if os.environ.get("NIS_QUICK"):
        cfg = cfg.quick()
    return cfg
