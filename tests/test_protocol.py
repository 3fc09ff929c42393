"""The result contract, run over every public function (in the spirit of scikit-learn's check_estimator).

Each public function of ``neuroimmune_stats.__all__`` is either listed in :data:`CASES` (a callable that
runs it on a small cohort with one missing value) or in :data:`NOT_RESULTS` with the reason. For every
case: the result is a :class:`~neuroimmune_stats.results.Result`; ``.tidy()`` is a non-empty DataFrame whose
columns are in the vocabulary (plain, prefix + vocabulary name, or declared in ``extra_columns``);
``.summary()`` is a str equal to ``repr``; ``.plot(ax=ax)`` returns ``ax`` (except Table 1); the input
is not mutated; the result does not read the caller's frame after it is returned; ``n`` and
``excluded_ids`` record who was used (the subject with the missing value by the ID the file wrote);
``provenance()`` names the call; stochastic functions record their seed and repeat exactly.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

import neuroimmune_stats as nis
from neuroimmune_stats.results import Result, tidy_column_ok

MISSING_ID = "sub-007"


@pytest.fixture(scope="module")
def cohort() -> pd.DataFrame:
    df = nis.simulate_cohort(seed=7)
    df = df.assign(subject_id=[f"sub-{i:03d}" for i in range(1, len(df) + 1)])
    df.loc[df["subject_id"] == MISSING_ID, "fss"] = np.nan
    return df


@dataclass(frozen=True)
class Case:
    run: Callable[[pd.DataFrame], Any]
    uses_fss: bool = True          # the missing subject must be among the excluded
    stochastic: bool = False
    plot: bool = True


CASES: dict[str, Case] = {
    "lm": Case(lambda d: nis.lm("fss ~ subtype + protocol", d)),
    "group_compare": Case(lambda d: nis.group_compare(d, ["fss", "suvr_s1"], covariates=["protocol"])),
    "correlate": Case(lambda d: nis.correlate(d, "suvr_s1", "fss", covariates=["protocol"])),
    "permutation_test": Case(lambda d: nis.permutation_test(d, ["fss", "suvr_s1"], covariates=["protocol"],
                                                          n_permutations=99, seed=3), stochastic=True),
    "mediate": Case(lambda d: nis.mediate(d, "suvr_s1", "fss", "conn_s1__thalamus", n_boot=200, seed=3),
                    stochastic=True),
    "mediation_grid": Case(lambda d: nis.mediation_grid(d, ["suvr_s1", "fss", "conn_s1__thalamus"], n_boot=100,
                                                        seed=3), stochastic=True),
    "mediation_sensitivity": Case(lambda d: nis.mediation_sensitivity(
        nis.mediate(d, "suvr_s1", "fss", "conn_s1__thalamus", n_boot=100, seed=3))),
    "bayes_mediate": Case(lambda d: nis.bayes_mediate(d, "suvr_s1", "fss", "conn_s1__thalamus", method="exact",
                                                      draws=500, seed=3), stochastic=True),
    "compare_mediation": Case(lambda d: nis.compare_mediation(
        nis.mediate(d, "suvr_s1", "fss", "conn_s1__thalamus", n_boot=100, seed=3),
        nis.bayes_mediate(d, "suvr_s1", "fss", "conn_s1__thalamus", method="exact", draws=500, seed=3))),
    "evaluate_classifier": Case(lambda d: nis.evaluate_classifier(d, ["suvr_s1", "fss"], covariates=["protocol"],
                                                                  n_splits=3, n_repeats=2, n_permutations=0,
                                                                  seed=3), stochastic=True),
    # Table 1 reports n per variable where incomplete (it excludes only subjects without a group)
    "table_one": Case(lambda d: nis.table_one(d, variables=["age", "fss"]), plot=False, uses_fss=False),
    "mediate (model 7)": Case(lambda d: nis.mediate(d, "suvr_s1", "fss", "conn_s1__thalamus", moderator="subtype",
                                                    moderate=("a",), n_boot=200, seed=3), stochastic=True),
    "moderation": Case(lambda d: nis.moderation(d, "suvr_s1", "subtype", "fss", covariates=["protocol"])),
    "equivalence_test": Case(lambda d: nis.equivalence_test(d, "fss", bounds=(-2.0, 2.0), covariates=["protocol"])),
    "power_ancova": Case(lambda d: nis.power_ancova(0.3, n=[40, 80], covariates=2), uses_fss=False),
    "power_correlation": Case(lambda d: nis.power_correlation(0.4, n=[20, 40]), uses_fss=False),
    "power_mediation": Case(lambda d: nis.power_mediation(0.39, 0.39, n=[60], n_boot=99, n_sims=20, seed=3),
                            uses_fss=False, stochastic=True),
    # harmonize returns the harmonised frame (API.md); its result object carries the protocol
    "harmonize": Case(lambda d: nis.harmonize(d.dropna(subset=["suvr_s1"]), ["suvr_s1", "suvr_thalamus"],
                                              covariates=["subtype"], result=True), uses_fss=False),
}

#: public names that are not analyses returning a Result, and why
NOT_RESULTS = {
    "DataValidationError": "exception class",
    "__version__": "version string",
    "adjust_pvalues": "array in, array out (R p.adjust)",
    "build_report": "writes an HTML report",
    "discover_inputs": "describes a folder of exports",
    "edges": "column-name helper",
    "load_example": "data loader",
    "questionnaires": "column-name helper",
    "read_cohort": "data loader",
    "regions": "column-name helper",
    "simulate_cohort": "data generator",
    "validate": "validator (raises)",
    "SubtypeClassifier": "scikit-learn estimator (checked by test_classify's check_estimator suite)",
    "ComBat": "scikit-learn transformer (checked by test_harmonize)",
    "HarmonizeResult": "result class (its function, harmonize, is a case)",
    "ImputedData": "the m completed frames of impute (a Sequence of DataFrames, as API.md; checked in test_missing*)",
    "impute": "returns ImputedData, the input of the pooled analyses (each a case through lm/group_compare/...)",
}


def _quiet(fn: Callable[[], Any]) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn()


def test_every_public_name_is_covered():
    classes = {n for n in nis.__all__ if isinstance(getattr(nis, n), type) and n not in CASES}
    uncovered = sorted(set(nis.__all__) - set(CASES) - set(NOT_RESULTS) - (classes & set(NOT_RESULTS)))
    assert not uncovered, f"public names without a protocol case: {uncovered}"


@pytest.mark.parametrize("name", sorted(CASES))
def test_result_protocol(cohort, name):
    case = CASES[name]
    data = cohort.copy()
    before = data.copy()
    res = _quiet(lambda: case.run(data))
    pd.testing.assert_frame_equal(data, before)  # input not mutated
    assert isinstance(res, Result), type(res)
    tidy = res.tidy()
    assert isinstance(tidy, pd.DataFrame) and len(tidy) > 0
    extras = tuple(getattr(res, "extra_columns", ()))
    bad = [c for c in tidy.columns if not tidy_column_ok(str(c), extras)]
    assert not bad, f"{name}: tidy columns outside the vocabulary: {bad}"
    text = res.summary()
    assert isinstance(text, str) and text == repr(res)
    assert isinstance(res._repr_html_(), str)
    assert isinstance(res.n, int | np.integer) and res.n > 0
    assert all(isinstance(i, str) for i in res.excluded_ids)
    if case.uses_fss:
        assert MISSING_ID in res.excluded_ids, f"{name}: excluded_ids {res.excluded_ids}"
    prov = res.provenance()
    assert set(prov) >= {"call", "n", "excluded_ids", "seed", "version"}
    if case.stochastic:
        assert res.seed == 3
        again = _quiet(lambda: case.run(cohort.copy())).tidy()
        pd.testing.assert_frame_equal(tidy, again)
    # the result never reads the caller's frame again
    data.loc[:, "fss"] = 0.0
    data.loc[:, "suvr_s1"] = 1.0
    pd.testing.assert_frame_equal(res.tidy(), tidy)
    if case.plot:
        fig, ax = plt.subplots()
        try:
            out = _quiet(lambda: res.plot(ax=ax))
            assert out is ax
        finally:
            plt.close(fig)


def test_one_warning_names_excluded_ids_once(cohort):
    for name in ("lm", "group_compare", "correlate", "mediate", "permutation_test"):
        with warnings.catch_warnings(record=True) as rec:
            warnings.simplefilter("always")
            CASES[name].run(cohort.copy())
        hits = [w for w in rec if issubclass(w.category, nis.exceptions.DataWarning) and MISSING_ID in str(w.message)]
        assert len(hits) == 1, (name, [str(w.message) for w in rec])
