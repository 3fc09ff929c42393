"""``ImputedData``: the m completed data sets of a multiple imputation, as a sequence of DataFrames."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..exceptions import SpecificationError

WHAT = "ImputedData"


def _cell_missing(df: pd.DataFrame) -> pd.DataFrame:
    """Missing cells by the package's one rule (NaN, None, NA, ±inf)."""
    from ..design import present

    return pd.DataFrame({c: ~present(df[c]) for c in df.columns}, index=df.index)


class ImputedData(Sequence[pd.DataFrame]):
    """The ``m`` completed data sets of a multiple imputation.

    A sequence of DataFrames: ``len(imp) == imp.m``, ``imp[i]`` (a copy of imputation ``i``),
    iteration, ``imp.frames`` (copies of all). Pass it as ``data`` to :func:`~neuroimmune_stats.lm`,
    :func:`~neuroimmune_stats.group_compare`, :func:`~neuroimmune_stats.correlate`,
    :func:`~neuroimmune_stats.mediate` or :func:`~neuroimmune_stats.table_one` to get estimates
    pooled by Rubin's rules.

    Made by :func:`~neuroimmune_stats.impute`, or by :meth:`from_frames` from imputations made
    elsewhere (e.g. R ``mice::complete(imp, "all")``).

    Attributes
    ----------
    m : int
        Number of imputations.
    data : DataFrame
        The incomplete data (a copy; as given to :func:`impute`, or reconstructed by
        :meth:`from_frames`).
    where : DataFrame of bool
        Cells that were imputed (True), same shape as ``data``.
    method : dict
        Imputation method per imputed column (``"pmm"``, ``"logreg"``, ...; ``"external"`` for
        :meth:`from_frames`).
    predictors : dict
        Predictor columns of each imputed column's model.
    maxit : int or None
        Iterations of the chained equations.
    seed : as given to :func:`impute`
    """

    def __init__(
        self,
        frames: Sequence[pd.DataFrame],
        data: pd.DataFrame,
        where: pd.DataFrame,
        *,
        method: Mapping[str, str] | None = None,
        predictors: Mapping[str, Sequence[str]] | None = None,
        maxit: int | None = None,
        seed: Any = None,
        donors: int | None = None,
    ) -> None:
        self._frames = [f for f in frames]
        self.data = data
        self.where = where
        self.method = dict(method or {})
        self.predictors = {k: list(v) for k, v in (predictors or {}).items()}
        self.maxit = maxit
        self.seed = seed
        self.donors = donors
        #: mean of the imputed values per iteration (maxit, m, columns), as mice's chainMean
        self.chain_means: np.ndarray | None = None
        self.chain_columns: list[str] = []
        self._numeric: dict[str, np.ndarray | None] = {}

    # ----------------------------------------------------------------- construction
    @classmethod
    def from_frames(cls, frames: Sequence[pd.DataFrame], data: pd.DataFrame | None = None) -> ImputedData:
        """Wrap completed data sets made elsewhere (e.g. R ``mice::complete(imp, "all")``).

        Parameters
        ----------
        frames : sequence of DataFrame
            At least two completed data sets with the same columns and rows (same order).
        data : DataFrame, optional
            The incomplete data, to know which cells were imputed. Without it, imputed cells are
            the cells that differ between the frames (a cell imputed to the same value in every
            data set then counts as observed, which changes nothing in the pooled analyses).

        Examples
        --------
        >>> import pandas as pd
        >>> f1 = pd.DataFrame({"x": [1.0, 2.0, 3.0], "y": [1.0, 5.0, 2.0]})
        >>> f2 = pd.DataFrame({"x": [1.0, 2.0, 3.0], "y": [1.0, 4.0, 2.0]})
        >>> imp = ImputedData.from_frames([f1, f2])
        >>> len(imp), imp.m, int(imp.where["y"].sum())
        (2, 2, 1)
        """
        if isinstance(frames, pd.DataFrame) or not isinstance(frames, Sequence | Iterator):
            raise SpecificationError(f"{WHAT}.from_frames: frames must be a list of DataFrames; "
                                     f"got {type(frames).__name__}.")
        frames = list(frames)
        if len(frames) < 2:
            raise SpecificationError(f"{WHAT}.from_frames: need at least 2 imputed data sets; got {len(frames)}.")
        for i, f in enumerate(frames):
            if not isinstance(f, pd.DataFrame):
                raise SpecificationError(f"{WHAT}.from_frames: frames[{i}] is a {type(f).__name__}, "
                                         "not a DataFrame.")
        first = frames[0]
        cols = list(first.columns)
        for i, f in enumerate(frames[1:], start=1):
            if list(f.columns) != cols:
                raise SpecificationError(f"{WHAT}.from_frames: frames[{i}] has columns {list(f.columns)}, "
                                         f"frames[0] has {cols}.")
            if len(f) != len(first):
                raise SpecificationError(f"{WHAT}.from_frames: frames[{i}] has {len(f)} rows, "
                                         f"frames[0] has {len(first)}.")
        from ..design import ID_COLUMN

        if ID_COLUMN in cols:
            ids0 = first[ID_COLUMN].astype(str).to_numpy()
            for i, f in enumerate(frames[1:], start=1):
                if not np.array_equal(f[ID_COLUMN].astype(str).to_numpy(), ids0):
                    raise SpecificationError(f"{WHAT}.from_frames: frames[{i}] lists the subjects in another "
                                             f"order (or other subjects) than frames[0] ({ID_COLUMN!r}).")
        copies = [f.copy() for f in frames]
        for cp in copies:
            cp.index = pd.RangeIndex(len(cp))
        if data is not None:
            if not isinstance(data, pd.DataFrame) or len(data) != len(first):
                raise SpecificationError(f"{WHAT}.from_frames: data must be the incomplete DataFrame with "
                                         f"{len(first)} rows.")
            missing_cols = [c for c in cols if c not in data.columns]
            if missing_cols:
                raise SpecificationError(f"{WHAT}.from_frames: data lacks the columns {missing_cols}.")
            orig = data.loc[:, cols].copy()
            orig.index = pd.RangeIndex(len(orig))
            where = _cell_missing(orig)
        else:
            differs = {}
            for c in cols:
                col0 = copies[0][c]
                d = np.zeros(len(col0), dtype=bool)
                for f in copies[1:]:
                    a, b = col0.astype(object).to_numpy(), f[c].astype(object).to_numpy()
                    d |= ~(pd.isna(a) & pd.isna(b)) & (a != b)
                differs[c] = d
            where = pd.DataFrame(differs, index=copies[0].index)
            orig = copies[0].copy()
            for c in cols:
                if where[c].any():
                    col = orig[c]
                    if isinstance(col.dtype, pd.CategoricalDtype):
                        orig[c] = col.where(~where[c].to_numpy())
                    else:
                        orig[c] = col.astype(float if pd.api.types.is_numeric_dtype(col) else object)
                        orig.loc[where[c].to_numpy(), c] = np.nan
        return cls(copies, orig, where, method=dict.fromkeys([c for c in cols if where[c].any()], "external"))

    # ----------------------------------------------------------------- sequence protocol
    @property
    def m(self) -> int:
        """Number of imputations."""
        return len(self._frames)

    def __len__(self) -> int:
        return len(self._frames)

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            return [f.copy() for f in self._frames[i]]
        return self._frames[i].copy()

    def __iter__(self) -> Iterator[pd.DataFrame]:
        return (f.copy() for f in self._frames)

    @property
    def frames(self) -> list[pd.DataFrame]:
        """Copies of the m completed data sets."""
        return [f.copy() for f in self._frames]

    def _numeric_values(self, column: str) -> np.ndarray | None:
        """A plain numeric column (float/int/bool dtype) in every data set as floats, shape (m, n), read-only.

        None when the column is not plain numeric in some data set. Built once per column (``impute``
        fills it from its own arrays), so analyses of the m data sets need not read m pandas columns.
        """
        if column not in self._numeric:
            cols = [f[column] for f in self._frames]
            if all(isinstance(s.dtype, np.dtype) and s.dtype.kind in "fiub" for s in cols):
                arr: np.ndarray | None = np.stack([s.to_numpy(dtype=float) for s in cols])
                arr.flags.writeable = False  # type: ignore[union-attr]
            else:
                arr = None
            self._numeric[column] = arr
        return self._numeric[column]

    @property
    def n(self) -> int:
        """Subjects in every data set."""
        return len(self.data)

    @property
    def imputed_columns(self) -> list[str]:
        """Columns with at least one imputed cell."""
        return [c for c, k in self._imputed_counts().items() if k]

    def _imputed_counts(self) -> dict[str, int]:
        """Imputed cells per column (one pass over ``where``)."""
        counts = self.where.to_numpy(dtype=bool).sum(axis=0)
        return {c: int(k) for c, k in zip(self.where.columns, counts, strict=True)}

    def __repr__(self) -> str:
        n_imp = self._imputed_counts()
        counts = ", ".join(f"{c} ({k}, {self.method.get(c, '?')})" for c, k in n_imp.items() if k)
        it = f", {self.maxit} iterations" if self.maxit else ""
        return (f"ImputedData: m = {self.m} imputations of {self.n} subjects{it}; imputed columns "
                f"(cells, method): {counts or 'none'}")

    # ----------------------------------------------------------------- description
    def model_description(self) -> str:
        """One sentence stating the imputation model (for reports and summaries).

        Examples
        --------
        >>> import pandas as pd
        >>> f1 = pd.DataFrame({"x": [1.0, 2.0, 3.0], "y": [1.0, 5.0, 2.0]})
        >>> f2 = pd.DataFrame({"x": [1.0, 2.0, 3.0], "y": [1.0, 4.0, 2.0]})
        >>> ImputedData.from_frames([f1, f2]).model_description()
        'm = 2 imputed data sets (made elsewhere) of 3 subjects; imputed: y (1 values).'
        """
        n_imp = self._imputed_counts()
        cols = [c for c, k in n_imp.items() if k]
        if all(self.method.get(c) == "external" for c in cols):
            imp = ", ".join(f"{c} ({n_imp[c]} values)" for c in cols)
            return f"m = {self.m} imputed data sets (made elsewhere) of {self.n} subjects; imputed: {imp}."
        names = {"pmm": "predictive mean matching", "logreg": "logistic regression",
                 "polyreg": "multinomial logistic regression", "norm": "Bayesian linear regression"}
        parts = []
        for c in cols:
            meth = self.method.get(c, "?")
            label = names.get(meth, meth)
            if meth == "pmm" and self.donors:
                label += f", {self.donors} donors"
            preds = self.predictors.get(c)
            if meth == "passive":
                on = f" as {preds[0]}" if preds else ""
            else:
                on = f" on {', '.join(preds)}" if preds else ""
            parts.append(f"{c} ({n_imp[c]} values; {label}{on})")
        return (f"Multiple imputation by chained equations: m = {self.m} data sets of {self.n} subjects, "
                f"{self.maxit} iterations; imputed: " + "; ".join(parts) + ".")

    def missing_pattern(self) -> pd.DataFrame:
        """The missing-data pattern, as R ``mice::md.pattern``.

        One row per pattern (most frequent first): 1 = observed, 0 = missing for each column that
        has any missing value, the number of subjects with that pattern (``n``) and the number of
        missing values in the pattern (``n_missing``); the last row (``pattern = "total"``) counts
        the missing values per column.

        Examples
        --------
        >>> import pandas as pd, numpy as np
        >>> d = pd.DataFrame({"x": [1.0, np.nan, 3.0, np.nan], "y": [1.0, 2.0, np.nan, np.nan]})
        >>> imp = ImputedData.from_frames([d.fillna(0.0), d.fillna(1.0)], data=d)
        >>> imp.missing_pattern()
          pattern  x  y  n  n_missing
        0       1  1  1  1          0
        1       2  0  1  1          1
        2       3  1  0  1          1
        3       4  0  0  1          2
        4   total  2  2  4          4
        """
        where = self.where
        cols = [c for c in where.columns if bool(where[c].any())]
        cols.sort(key=lambda c: int(where[c].to_numpy().sum()))
        obs = (~where[cols]).astype(int)
        if cols:
            grouped = obs.value_counts(sort=False).reset_index(name="n")
        else:
            grouped = pd.DataFrame({"n": [len(where)]})
        grouped["n_missing"] = (1 - grouped[cols]).sum(axis=1) if cols else 0
        grouped = grouped.sort_values(["n_missing", "n"], ascending=[True, False], kind="stable")
        grouped = grouped.reset_index(drop=True)
        grouped.insert(0, "pattern", [str(i + 1) for i in range(len(grouped))])
        total: dict[str, Any] = {"pattern": "total", **{c: int(where[c].sum()) for c in cols}, "n": len(where),
                 "n_missing": int(where[cols].to_numpy().sum()) if cols else 0}
        out = pd.concat([grouped, pd.DataFrame([total])], ignore_index=True)
        for c in [*cols, "n", "n_missing"]:
            out[c] = out[c].astype(int)
        return out

    def plot(self, ax: Any = None, columns: str | Sequence[str] | None = None, **kwargs: Any) -> Any:
        """Observed (blue) vs imputed (red, one line per imputation) densities, as ``mice::densityplot``.

        Parameters
        ----------
        ax : matplotlib Axes or array of Axes, optional
            One Axes per column; new figure when None.
        columns : str or list of str, optional
            Imputed columns to show (default: every numeric imputed column).

        Returns
        -------
        matplotlib Axes (one column) or numpy array of Axes.
        """
        from .plots import plot_densities

        return plot_densities(self, ax=ax, columns=columns, **kwargs)


__all__ = ["ImputedData"]
