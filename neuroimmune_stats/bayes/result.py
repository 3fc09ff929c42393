"""The result object of :func:`~neuroimmune_stats.bayes_mediate`."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..exceptions import SpecificationError
from ..results import Result, format_table
from ._design import BayesDesign
from .diagnostics import hdi
from .priors import describe_priors

#: tidy columns, in order
BAYES_COLUMNS = (
    "term", "mediator", "estimate", "std_error", "conf_low", "conf_high", "pd", "r_hat", "ess_bulk", "n",
)


def derived(post: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Indirect effects ``a·b``, total effect ``c′ + Σ a·b`` and proportion mediated, per draw."""
    indirect = post["a"] * post["b"]
    total_ind = indirect.sum(axis=-1)
    c = post["c_prime"] + total_ind
    with np.errstate(divide="ignore", invalid="ignore"):
        prop = total_ind / c
    out = {"indirect": indirect, "c": c, "proportion_mediated": prop}
    if indirect.shape[-1] > 1:
        out["total_indirect"] = total_ind
    return out


def prob_direction(samples: np.ndarray) -> float:
    """Probability of direction: the share of draws with the sign of the median."""
    x = np.asarray(samples, dtype=float).ravel()
    x = x[np.isfinite(x)]
    if x.size == 0:
        return np.nan
    return float(max(np.mean(x > 0), np.mean(x < 0)))


def diagnostics(chains: np.ndarray) -> tuple[float, float]:
    """Rank-normalised split R-hat and bulk ESS (ArviZ's formulas, :mod:`.diagnostics`) of ``(chains, draws)``."""
    from .diagnostics import ess_bulk, rhat

    arr = np.asarray(chains, dtype=float)
    if not np.all(np.isfinite(arr)) or arr.shape[1] < 4:
        return (np.nan, np.nan)
    return rhat(arr) if arr.shape[0] >= 2 else np.nan, ess_bulk(arr)


class BayesMediationResult(Result):
    """Posterior of a mediation model from one :func:`bayes_mediate` call.

    Attributes
    ----------
    x, y : str
    mediators : list of str
    covariates : list of str
    n : int
        Complete cases used.
    excluded_ids : tuple of str
    method : {"exact", "nuts"}
    likelihood : {"normal", "student_t"}
    draws, tune, chains : int
    priors : dict
        The priors used, by parameter name (defaults filled in).
    posterior : dict of arrays
        Draws of every parameter and derived effect, shape ``(chains, draws, ...)``.
    sampler : str
        ``"conjugate"`` (exact) or the NUTS engine's name.
    sample_stats : dict of arrays or None
        (``nuts``) per-draw ``acceptance_rate``, ``diverging``, ``tree_depth``, ``n_steps``,
        ``energy``, ``lp``, ``step_size``, shape ``(chains, draws)``.
    seed : int, Generator or None
        The seed passed by the user.
    """

    #: tidy columns beyond the broom vocabulary (declared for the result contract)
    extra_columns = ("pd", "r_hat", "ess_bulk", "ess_tail", "mcse_mean")

    def __init__(
        self, design: BayesDesign, posterior: dict[str, np.ndarray], *, method: str, likelihood: str,
        draws: int, tune: int, chains: int, prior_table: dict[str, dict[str, np.ndarray]],
        sampler: str, idata: Any = None, seed_entropy: Any = None,
        sample_stats: dict[str, np.ndarray] | None = None, seed: Any = None,
    ) -> None:
        self.x = design.x
        self.mediators = list(design.mediators)
        self.y = design.y
        self.covariates = list(design.covariates)
        self.n = int(design.n)
        self.excluded_ids = tuple(design.excluded_ids)
        self.method = method
        self.likelihood = likelihood
        self.draws, self.tune, self.chains = int(draws), int(tune), int(chains)
        self.priors = prior_table
        self.sampler = sampler
        self.seed_entropy = seed_entropy
        self.seed = seed
        self.sample_stats = sample_stats
        self.posterior = {**posterior, **derived(posterior)}
        self._design = design
        self._idata = idata
        self._tidy_cache: dict[float, pd.DataFrame] = {}

    # ------------------------------------------------------------------ access
    def draws_of(self, term: str = "indirect", mediator: str | None = None) -> np.ndarray:
        """Posterior draws of one effect, shape ``(chains, draws)``.

        ``term`` is ``"a"``, ``"b"``, ``"c_prime"``, ``"c"``, ``"indirect"``, ``"total_indirect"``
        or ``"proportion_mediated"``; ``mediator`` picks one of several mediators.
        """
        if term not in ("a", "b", "indirect", "c_prime", "c", "total_indirect", "proportion_mediated"):
            raise SpecificationError(f"draws_of: unknown term {term!r}.")
        if term not in self.posterior:
            raise SpecificationError(f"draws_of: {term!r} needs several mediators.")
        arr = self.posterior[term]
        if term in ("a", "b", "indirect"):
            if mediator is None:
                if len(self.mediators) > 1:
                    raise SpecificationError(
                        f"draws_of: term {term!r} exists for mediators {self.mediators}; pass mediator=."
                    )
                mediator = self.mediators[0]
            if mediator not in self.mediators:
                raise SpecificationError(f"draws_of: no mediator {mediator!r}; available: {self.mediators}.")
            return arr[..., self.mediators.index(mediator)]
        return arr

    def posterior_distribution(self, term: str = "indirect", mediator: str | None = None) -> np.ndarray:
        """All draws of one effect as a flat array (chains concatenated)."""
        return self.draws_of(term, mediator).ravel()

    @property
    def idata(self) -> Any:
        """ArviZ InferenceData (posterior, observed_data, log_likelihood; sample_stats for ``nuts``), built lazily."""
        if self._idata is None:
            self._idata = self._build_idata()
        return self._idata

    def _build_idata(self) -> Any:
        from .._optional import require

        az = require("arviz", purpose="BayesMediationResult.idata")
        d = self._design
        post = {k: v for k, v in self.posterior.items() if k not in ("beta_m", "beta_y") or d.cov_names}
        dims = {
            "intercept_m": ["mediator"], "a": ["mediator"], "sigma_m": ["mediator"], "b": ["mediator"],
            "indirect": ["mediator"], "beta_m": ["mediator", "covariate"], "beta_y": ["covariate"],
            "m": ["obs", "mediator"], "y": ["obs"], "nu_m": ["mediator"],
        }
        coords = {"mediator": self.mediators, "covariate": d.cov_names, "obs": np.arange(self.n)}
        return az.from_dict(
            posterior=post, observed_data={"m": d.observed["m"], "y": d.observed["y"]},
            log_likelihood=self.log_likelihood(), sample_stats=self.sample_stats, dims=dims, coords=coords,
        )

    def log_likelihood(self) -> dict[str, np.ndarray]:
        """Pointwise log-likelihood per draw: ``m`` ``(chains, draws, n, k)``, ``y`` ``(chains, draws, n)``.

        Normal, or Student-t with the drawn ``ν`` for ``likelihood="student_t"``.
        """
        d, p = self._design, self.posterior
        xm = d.mediator_eqs[0].X
        mu_m = p["intercept_m"][..., None, :] + xm[:, 0][None, None, :, None] * p["a"][..., None, :]
        if d.cov_names:
            mu_m = mu_m + np.einsum("nq,cdkq->cdnk", xm[:, 1:], p["beta_m"])
        xy = d.outcome_eq.X
        k = len(self.mediators)
        mu_y = p["intercept_y"][..., None] + xy[:, 0] * p["c_prime"][..., None]
        mu_y = mu_y + np.einsum("nk,cdk->cdn", xy[:, 1 : 1 + k], p["b"])
        if d.cov_names:
            mu_y = mu_y + np.einsum("nq,cdq->cdn", xy[:, 1 + k :], p["beta_y"])

        from .._dist import norm_logpdf, t_logpdf

        def ll(obs: np.ndarray, mu: np.ndarray, sd: np.ndarray, nu: np.ndarray | None) -> np.ndarray:
            z = (obs - mu) / sd  # scipy.stats' logpdf(obs, loc=mu, scale=sd), the same arithmetic
            return (norm_logpdf(z) if nu is None else t_logpdf(z, nu)) - np.log(sd)

        student = self.likelihood == "student_t"
        return {
            "m": ll(d.observed["m"], mu_m, p["sigma_m"][..., None, :], p["nu_m"][..., None, :] if student else None),
            "y": ll(d.observed["y"], mu_y, p["sigma_y"][..., None], p["nu_y"][..., None] if student else None),
        }

    # ------------------------------------------------------------------ tables
    def _rows(self) -> list[tuple[str, str | None, np.ndarray]]:
        rows: list[tuple[str, str | None, np.ndarray]] = []
        for term in ("a", "b"):
            rows += [(term, med, self.draws_of(term, med)) for med in self.mediators]
        rows.append(("c_prime", None, self.posterior["c_prime"]))
        rows.append(("c", None, self.posterior["c"]))
        rows += [("indirect", med, self.draws_of("indirect", med)) for med in self.mediators]
        if "total_indirect" in self.posterior:
            rows.append(("total_indirect", None, self.posterior["total_indirect"]))
        rows.append(("proportion_mediated", None, self.posterior["proportion_mediated"]))
        return rows

    def tidy(self, hdi_prob: float = 0.95) -> pd.DataFrame:
        """One row per path and effect.

        Columns: ``term`` (``a``, ``b``, ``c_prime``, ``c`` = total effect, ``indirect`` = a·b,
        ``total_indirect`` with several mediators, ``proportion_mediated`` = total indirect / c),
        ``mediator`` (for ``a``/``b``/``indirect`` rows), ``estimate`` (posterior mean),
        ``std_error`` (posterior SD), ``conf_low``/``conf_high`` (highest-density interval of
        ``hdi_prob``), ``pd`` (probability of direction), ``r_hat`` and ``ess_bulk`` (ArviZ's
        rank-normalised split R-hat and bulk ESS), ``n``. For ``proportion_mediated`` the
        estimate is the posterior median (the ratio has heavy tails).
        """
        if not 0 < hdi_prob < 1:
            raise SpecificationError(f"tidy: hdi_prob must be in (0, 1); got {hdi_prob!r}.")
        key = float(hdi_prob)
        if key not in self._tidy_cache:
            out = []
            for term, med, arr in self._rows():
                flat = arr.ravel()
                fin = flat[np.isfinite(flat)]
                lo, hi = hdi(fin, hdi_prob)
                rhat, ess = diagnostics(arr)
                est = float(np.median(fin)) if term == "proportion_mediated" else float(np.mean(fin))
                out.append({
                    "term": term, "mediator": med, "estimate": est, "std_error": float(np.std(fin, ddof=1)),
                    "conf_low": lo, "conf_high": hi, "pd": prob_direction(fin), "r_hat": rhat,
                    "ess_bulk": ess, "n": self.n,
                })
            self._tidy_cache[key] = pd.DataFrame(out, columns=list(BAYES_COLUMNS))
        return self._tidy_cache[key].copy()

    def summary(self, hdi_prob: float = 0.95) -> str:
        """Text summary: model, sampler, priors and the posterior table."""
        how = (
            "exact conjugate posterior (iid draws)" if self.method == "exact"
            else f"NUTS ({self.sampler}), {self.chains} chains × {self.draws} draws after {self.tune} tuning"
        )
        covs = ", ".join(self.covariates) if self.covariates else "none"
        lines = [
            "Bayesian mediation analysis",
            f"  X = {self.x}; M = {', '.join(self.mediators)}; Y = {self.y}; covariates: {covs}",
            f"  n = {self.n} complete cases" + (f" ({len(self.excluded_ids)} excluded)" if self.excluded_ids else ""),
            f"  likelihood: {self.likelihood}; posterior: {how}",
            f"  total draws: {self.chains * self.draws}",
            "",
            "Priors (coefficients given σ, σ₀ = sqrt(beta/alpha) of that equation; intercepts at the mean "
            "of the centred regressors):",
            *describe_priors(self.priors),
        ]
        if self.likelihood == "student_t":
            lines.append("  nu_m, nu_y   Gamma(alpha=2, beta=0.1)  (Student-t degrees of freedom)")
        tab = self.tidy(hdi_prob)
        lines += ["", f"Posterior (mean, SD, {hdi_prob:.0%} HDI, probability of direction):", format_table(tab)]
        return "\n".join(lines)

    def plot(self, ax: Any = None, mediator: str | None = None, hdi_prob: float = 0.95) -> Any:
        """Posterior of the indirect effect with its HDI; returns the Axes."""
        from ..plots.bayes import plot_posterior_indirect

        return plot_posterior_indirect(self, ax=ax, mediator=mediator, hdi_prob=hdi_prob)


__all__ = ["BAYES_COLUMNS", "BayesMediationResult", "derived", "hdi", "prob_direction"]
