"""What the moderation test modules share: the R fixtures' input data and a warning-free call."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import pandas as pd

REF = Path(__file__).parent / "reference"


def quiet(fn: Any, *args: Any, **kwargs: Any) -> Any:
    """``fn(*args, **kwargs)`` with warnings (excluded subjects, small samples) silenced."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


def moderation_input() -> pd.DataFrame:
    """The data set of tests/reference/moderation.R (the R fixtures were computed on it)."""
    return pd.read_csv(REF / "moderation_input.csv")
