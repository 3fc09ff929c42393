"""Every ordering of three variables as (X, M, Y): the six mediation models of the reference study."""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .._params import check_choice, check_conf_level, check_int
from .._rng import SeedLike, child_seeds
from ..design import HC_TYPES
from ..exceptions import SpecificationError
from ..results import Result, format_table
from ._spec import prepare, reassign
from .bootstrap import CI_ALIASES, run
from .intervals import CI_METHODS
from .result import MediationResult

#: (X, M, Y) as positions in ``variables``; Models 1–6 in the paper's order when the variables
#: are [S1 SUVR, Fibromyalgia Survey Score, S1–thalamus connectivity]
MODEL_ORDER: tuple[tuple[int, int, int], ...] = (
    (0, 1, 2), (1, 0, 2), (2, 1, 0), (1, 2, 0), (2, 0, 1), (0, 2, 1),
)

GRID_COLUMNS = (
    "model", "x", "m", "y", "term", "estimate", "std_error", "conf_low", "conf_high",
    "significant", "a", "a_std_error", "b", "b_std_error", "c", "c_std_error", "c_prime", "c_prime_std_error",
    "sobel_p_value", "n",
)


class MediationGridResult(Result):
    """The six models: ``.tidy()`` one row per model, ``.results`` the full model results."""

    extra_columns = ("significant", "a", "b", "c", "c_prime")

    def __init__(self, variables: list[str], results: dict[int, MediationResult]) -> None:
        self.variables = variables
        self.results = results
        first = next(iter(results.values()))
        self.ci, self.conf_level, self.n_boot, self.n = first.ci, first.conf_level, first.n_boot, first.n
        # all six models share the complete cases, the seed and the call's provenance
        self.excluded_ids = tuple(first.excluded_ids)
        self.seed = getattr(first, "seed", None)
        self.call = f"mediation_grid({variables})"

    def tidy(self) -> pd.DataFrame:
        """One row per model: the indirect effect with its bootstrap SE and interval, the paths."""
        rows = []
        for model, res in self.results.items():
            td = res.tidy().set_index("term")
            ind = td.loc["indirect"]
            rows.append({
                "model": model, "x": res.x, "m": res.mediators[0], "y": res.y, "term": "indirect",
                "estimate": ind.estimate, "std_error": ind.std_error, "conf_low": ind.conf_low,
                "conf_high": ind.conf_high, "significant": bool(ind.significant),
                **{k: td.loc[k, "estimate"] for k in ("a", "b", "c", "c_prime")},
                **{f"{k}_std_error": td.loc[k, "std_error"] for k in ("a", "b", "c", "c_prime")},
                "sobel_p_value": ind.sobel_p_value, "n": res.n,
            })
        return pd.DataFrame(rows, columns=list(GRID_COLUMNS))

    def significant_models(self) -> list[int]:
        """Model numbers whose indirect-effect interval excludes zero."""
        td = self.tidy()
        return [int(v) for v in td.model[td.significant]]

    def summary(self) -> str:
        td = self.tidy()
        show = td[["model", "x", "m", "y", "estimate", "std_error", "conf_low", "conf_high"]].copy()
        show["sig"] = np.where(td.significant, "*", "")
        return "\n".join([
            f"Six mediation models over {', '.join(self.variables)} (n = {self.n}, "
            f"{self.n_boot} resamples, {100 * self.conf_level:g}% {self.ci} intervals of a*b)",
            format_table(show),
            "* interval excludes 0",
        ])

    def plot(self, ax: Any = None, model: int | None = None, labels: Mapping[str, str] | None = None,
             **kwargs: Any) -> Any:
        """Forest plot of the six models' indirect effects with bootstrap CIs; returns the Axes.

        ``model=k`` draws the path diagram of Model ``k`` instead (bootstrap SEs, as the
        reference paper's Figure 6). ``labels`` maps column names to display labels.
        """
        if kwargs:
            raise TypeError(f"MediationGridResult.plot got unexpected argument(s) {sorted(kwargs)}.")
        if model is None:
            from ..plots.mediation import plot_mediation_grid

            return plot_mediation_grid(self, ax=ax, labels=labels)
        if model not in self.results:
            raise SpecificationError(f"model must be one of {sorted(self.results)}; got {model!r}.")
        from ..plots.mediation import plot_path_diagram

        return plot_path_diagram(self.results[model], ax=ax, se="bootstrap", labels=labels)


def mediation_grid(
    data: pd.DataFrame,
    variables: Sequence[str],
    covariates: Sequence[str] | Mapping[str, Sequence[str]] | str = (),
    **mediate_kwargs: Any,
) -> MediationGridResult:
    """Run the six simple mediation models over the orderings of three variables.

    With ``variables = [v0, v1, v2]`` the models are, in the reference study's numbering,
    Model 1 = (X=v0, M=v1, Y=v2), 2 = (v1, v0, v2), 3 = (v2, v1, v0), 4 = (v1, v2, v0),
    5 = (v2, v0, v1) and 6 = (v0, v2, v1). All models use the same complete cases (rows complete on
    the three variables and the covariates), and model ``i`` uses child seed ``i`` of ``seed``.

    Parameters
    ----------
    data : DataFrame
    variables : sequence of three column names
        For the paper: ``["suvr_s1", "fss", "conn_s1__thalamus"]``.
    covariates : as in :func:`mediate`
    **mediate_kwargs
        ``n_boot``, ``ci``, ``conf_level``, ``seed``, ``n_jobs``, ``hc`` passed to :func:`mediate`.

    Returns
    -------
    MediationGridResult
        ``.tidy()``: columns ``model``, ``x``, ``m``, ``y``, ``term`` (``"indirect"``),
        ``estimate``, ``std_error`` (bootstrap), ``conf_low``, ``conf_high``, ``significant``,
        the paths ``a``, ``b``, ``c``, ``c_prime`` with their OLS SEs (``*_std_error``), ``sobel_p_value``,
        ``n``; ``.results[model]`` the full :class:`MediationResult`; ``.plot(model=None)``.

    Examples
    --------
    >>> import neuroimmune_stats as nis
    >>> df = nis.simulate_cohort(seed=3).dropna(subset=["fss"])
    >>> grid = nis.mediation_grid(df, ["suvr_s1", "fss", "conn_s1__thalamus"], n_boot=200, seed=1)
    >>> grid.tidy().loc[0, ["x", "m", "y"]].tolist()
    ['suvr_s1', 'fss', 'conn_s1__thalamus']
    >>> len(grid.tidy())
    6
    """
    variables = list(variables) if not isinstance(variables, str) else [variables]
    if len(variables) != 3 or len(set(variables)) != 3:
        raise SpecificationError(
            f"mediation_grid: variables must be three different columns; got {variables}."
        )
    for bad in ("x", "m", "y", "serial"):
        if bad in mediate_kwargs:
            raise SpecificationError(f"mediation_grid: {bad!r} is set by the grid; remove it.")
    seed: SeedLike = mediate_kwargs.pop("seed", None)
    unknown = set(mediate_kwargs) - {"n_boot", "ci", "conf_level", "n_jobs", "hc"}
    if unknown:
        raise TypeError(f"mediation_grid got unexpected argument(s) {sorted(unknown)}.")
    n_boot = check_int(mediate_kwargs.get("n_boot", 5000), where="mediation_grid", name="n_boot", minimum=2)
    ci = check_choice(mediate_kwargs.get("ci", "bc"), CI_METHODS, where="mediation_grid", name="ci",
                      aliases=CI_ALIASES)
    level = check_conf_level(mediate_kwargs.get("conf_level", 0.95), where="mediation_grid")
    hc = check_choice(mediate_kwargs.get("hc"), HC_TYPES, where="mediation_grid", name="hc", allow_none=True)
    n_jobs = mediate_kwargs.get("n_jobs", 1)
    # one model frame (complete cases on all three variables and the covariates) for all six
    base = prepare(data, variables[0], variables[1], variables[2], covariates, hc=hc)
    seeds = child_seeds(seed, len(MODEL_ORDER))
    results: dict[int, MediationResult] = {}
    for number, ((ix, im, iy), s) in enumerate(zip(MODEL_ORDER, seeds, strict=True), start=1):
        prep = reassign(base, variables[ix], variables[im], variables[iy])
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*proportion mediated.*")
            results[number] = run(prep, covariates, int(n_boot), ci, level, s, n_jobs)
    out = MediationGridResult(variables, results)
    out.seed = seed  # the seed the user passed (model i uses its child stream i)
    return out


__all__ = ["GRID_COLUMNS", "MODEL_ORDER", "MediationGridResult", "mediation_grid"]
