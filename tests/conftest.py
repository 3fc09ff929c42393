"""Shared fixtures. The corpus generator is a script, not a test module."""

from __future__ import annotations

import os

import pandas as pd
import pytest

os.environ.setdefault("MPLBACKEND", "Agg")

collect_ignore = ["bad_inputs/make_corpus.py", "reference"]


@pytest.fixture(scope="session")
def example() -> pd.DataFrame:
    """The bundled example cohort (read once per session; copy before mutating)."""
    import neuroimmune_stats as nis

    return nis.load_example()
