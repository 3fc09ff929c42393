"""The bundled example cohort: four CSV exports written once by :func:`simulate_tables`.

They were generated with ``python -m neuroimmune_stats.data.example --write`` (seed
:data:`EXAMPLE_SEED`) and are committed; :func:`load_example` reads them back through
:func:`read_cohort` exactly as a site's exports would be read.
"""

from __future__ import annotations

import sys
from importlib import resources
from pathlib import Path

import pandas as pd

#: the documented seed of the bundled example (the paper's story holds for it)
EXAMPLE_SEED = 20220173

TABLES = ("participants", "suvr", "connectivity", "questionnaires")


def example_dir() -> Path:
    """Folder holding the example CSV exports."""
    return Path(str(resources.files("neuroimmune_stats.data").joinpath("example")))


def example_paths() -> dict[str, Path]:
    """Paths of the four example exports, keyed as :func:`read_cohort`'s arguments."""
    return {t: example_dir() / f"{t}.csv" for t in TABLES}


def load_example() -> pd.DataFrame:
    """Load the bundled example cohort (54 simulated patients) through :func:`read_cohort`.

    Returns
    -------
    DataFrame
        The merged cohort, one row per subject.

    Examples
    --------
    >>> import neuroimmune_stats as nis
    >>> df = nis.load_example()
    >>> df.shape[0], int(df["fss"].notna().sum())
    (54, 35)
    """
    from .cohort import read_cohort

    return read_cohort(**example_paths())  # type: ignore[arg-type]


def write_example(directory: Path | None = None, seed: int = EXAMPLE_SEED) -> list[Path]:
    """(Re)write the example exports with :func:`simulate_tables` and ``seed``."""
    from .simulate import simulate_tables

    out = Path(directory) if directory else example_dir()
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, frame in simulate_tables(seed=seed).items():
        path = out / f"{name}.csv"
        frame.to_csv(path, index=False, float_format="%.6g")
        written.append(path)
    return written


if __name__ == "__main__":  # pragma: no cover
    if "--write" in sys.argv:
        for p in write_example():
            print(p)
