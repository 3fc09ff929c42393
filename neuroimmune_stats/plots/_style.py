"""The figures' look: a colour-blind-safe palette (Okabe & Ito 2008) and saving at print resolution.

Nothing here changes matplotlib's global rcParams: the palette is passed to each artist and
:func:`save_figure` only sets the resolution of the file it writes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

#: Okabe–Ito colours, distinguishable with the common colour-vision deficiencies
OKABE_ITO: dict[str, str] = {
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "bluish_green": "#009E73",
    "reddish_purple": "#CC79A7",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "yellow": "#F0E442",
    "black": "#000000",
}
#: the order series are coloured in (group 1, group 2, ...)
PALETTE: tuple[str, ...] = tuple(OKABE_ITO[k] for k in ("blue", "vermillion", "bluish_green", "reddish_purple",
                                                         "orange", "sky_blue"))
#: print resolution journals ask for (dots per inch)
PRINT_DPI = 300


def save_figure(obj: Any, path: str | Path, dpi: int = PRINT_DPI, **kwargs: Any) -> Path:
    """Save the figure of ``obj`` (an Axes or a Figure) to ``path`` at ``dpi`` (300 by default).

    The format follows the suffix (``.png``, ``.pdf``, ``.svg``, ``.tiff``); the bounding box is
    tight so no label is clipped. Returns the path written.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import neuroimmune_stats as nis
    >>> ax = nis.lm("suvr_s1 ~ subtype + protocol", nis.simulate_cohort(seed=1)).plot()
    >>> out = save_figure(ax, pathlib.Path(tempfile.mkdtemp()) / "fig.png")
    >>> from matplotlib.image import imread
    >>> imread(out).shape[1] > 1000      # 300 dpi
    True
    """
    fig = obj.get_figure() if hasattr(obj, "get_figure") and not hasattr(obj, "savefig") else obj
    while hasattr(fig, "get_figure") and not hasattr(fig, "savefig"):
        fig = fig.get_figure()
    if hasattr(fig, "figure") and fig.figure is not None and fig.figure is not fig:  # SubFigure
        fig = fig.figure
    out = Path(path)
    kwargs.setdefault("bbox_inches", "tight")
    fig.savefig(out, dpi=int(dpi), **kwargs)
    return out


__all__ = ["OKABE_ITO", "PALETTE", "PRINT_DPI", "save_figure"]
