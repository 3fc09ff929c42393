"""Axes handling shared by the plotting modules (sklearn ``Display`` convention)."""

from __future__ import annotations

from typing import Any

from .._optional import pyplot
from ._style import PALETTE


def get_ax(ax: Any = None, figsize: tuple[float, float] = (4.5, 3.5)) -> Any:
    """Return ``ax`` or a new Axes on a new figure when ``ax`` is None."""
    if ax is not None:
        return ax
    plt = pyplot()
    _, new = plt.subplots(figsize=figsize, layout="constrained")
    return new


#: colours of the two subtypes, colour-blind safe (Okabe–Ito)
GROUP_COLOURS = PALETTE[:4]
#: markers of the protocols (the paper: triangle = Protocol 1, circle = Protocol 2)
PROTOCOL_MARKERS = ("^", "o", "s", "D")
