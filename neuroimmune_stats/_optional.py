"""Lazy imports of the heavy optional dependencies with actionable errors."""

from __future__ import annotations

import importlib
from types import ModuleType

#: which extra provides which top-level module
EXTRAS: dict[str, str] = {
    "pymc": "bayes",
    "arviz": "bayes",
    "sklearn": "ml",
    "matplotlib": "plot",
    "matplotlib.pyplot": "plot",
    "dask": "dask",
    "distributed": "dask",
}


def require(module: str, *, purpose: str | None = None) -> ModuleType:
    """Import ``module`` or raise an ImportError that says which extra to install.

    Parameters
    ----------
    module : str
        Dotted module name, e.g. ``"pymc"``.
    purpose : str, optional
        What the caller needs it for, named in the message.

    Examples
    --------
    >>> require("math").sqrt(4.0)
    2.0
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        extra = EXTRAS.get(module, EXTRAS.get(module.split(".")[0], "all"))
        need = f" for {purpose}" if purpose else ""
        raise ImportError(
            f"{module} is needed{need} but is not installed. "
            f'Install it with: pip install "neuroimmune-stats[{extra}]"'
        ) from exc


def pyplot() -> ModuleType:
    """Return :mod:`matplotlib.pyplot`, selecting the non-interactive Agg backend when headless."""
    import os

    mpl = require("matplotlib", purpose="plotting")
    if not os.environ.get("DISPLAY") and not os.environ.get("MPLBACKEND"):
        mpl.use("Agg")
    return require("matplotlib.pyplot", purpose="plotting")
