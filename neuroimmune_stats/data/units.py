"""Units: a column's declared unit (JSON sidecar ``Units`` or a header such as ``Age (years)``) against the
schema's unit. Known conversions are applied with a note (mCi → MBq, mg → µg, months → years, ...); a
unit that is neither the schema's nor convertible to it is refused, naming the column and the unit.
"""

from __future__ import annotations

import re
import unicodedata

#: spelling (case-folded, spaces removed) → canonical unit
_ALIASES: dict[str, str] = {}
#: (from, to) → multiply by
FACTORS: dict[tuple[str, str], float] = {}


def _alias(canonical: str, *spellings: str) -> None:
    for s in (canonical, *spellings):
        _ALIASES[_squash(s)] = canonical


def _squash(unit: str) -> str:
    s = unicodedata.normalize("NFKC", unit).strip().casefold()
    s = s.replace("μ", "u").replace("µ", "u").replace("²", "^2").replace("⁻", "^-").replace("·", "")
    return re.sub(r"\s+", "", s)


_alias("MBq", "megabecquerel", "megabecquerels")
_alias("GBq")
_alias("kBq")
_alias("Bq")
_alias("mCi", "millicurie", "millicuries")
_alias("uCi", "µCi", "microcurie")
_alias("Ci", "curie")
_alias("ug", "µg", "mcg", "microgram", "micrograms")
_alias("mg", "milligram", "milligrams")
_alias("ng", "nanogram", "nanograms")
_alias("g", "gram", "grams")
_alias("GBq/umol", "GBq/µmol", "GBq/micromol", "GBqumol^-1", "GBq/umole")
_alias("MBq/nmol", "MBq/nmole")
_alias("TBq/mmol")
_alias("GBq/mmol")
_alias("Ci/mmol", "Ci/mmole")
_alias("mCi/umol", "mCi/µmol", "mCi/micromol")
_alias("mCi/nmol")
_alias("years", "year", "y", "yr", "yrs", "a")
_alias("months", "month", "mo", "mos")
_alias("kg/m^2", "kg/m2", "kgm^-2", "kg*m^-2", "kgm-2")
_alias("ratio", "1", "unitless", "dimensionless", "none", "suvr", "a.u.", "au", "arbitrary", "-", "ratio(unitless)")
_alias("z", "fisherz", "fisher-z", "fisher_z", "z(fisher)", "zr", "atanh(r)")
_alias("r", "pearsonr", "correlation", "pearson", "pearson'sr")
_alias("score", "points", "point", "pts", "sum score", "total score")
_alias("kg", "kilogram", "kilograms")
_alias("cm", "centimetre", "centimeter")

for _u, _f in (("GBq", 1e3), ("kBq", 1e-3), ("Bq", 1e-6), ("mCi", 37.0), ("uCi", 0.037), ("Ci", 37000.0)):
    FACTORS[(_u, "MBq")] = _f
for _u, _f in (("mg", 1e3), ("ng", 1e-3), ("g", 1e6)):
    FACTORS[(_u, "ug")] = _f
for _u, _f in (("MBq/nmol", 1.0), ("TBq/mmol", 1.0), ("GBq/mmol", 1e-3), ("Ci/mmol", 0.037), ("mCi/umol", 0.037),
               ("mCi/nmol", 37.0)):
    FACTORS[(_u, "GBq/umol")] = _f
FACTORS[("months", "years")] = 1 / 12

DISPLAY = {"ug": "µg", "GBq/umol": "GBq/µmol", "uCi": "µCi", "kg/m^2": "kg/m²", "mCi/umol": "mCi/µmol"}


def canonical_unit(unit: str) -> str | None:
    """The canonical spelling of ``unit``, or ``None`` when it is not a unit this package knows.

    Examples
    --------
    >>> canonical_unit("µg"), canonical_unit("kg/m2"), canonical_unit("parsecs")
    ('ug', 'kg/m^2', None)
    """
    return _ALIASES.get(_squash(unit))


def show(unit: str) -> str:
    """How a canonical unit is printed (``ug`` → ``µg``)."""
    return DISPLAY.get(unit, unit)


def conversion(written: str, schema_unit: str) -> tuple[float | None, str]:
    """(factor, canonical unit written): factor 1 when already the schema's unit, ``None`` when impossible.

    Examples
    --------
    >>> conversion("mCi", "MBq")
    (37.0, 'mCi')
    >>> conversion("MBq", "MBq")[0], conversion("parsec", "MBq")[0]
    (1.0, None)
    """
    canon = canonical_unit(written)
    target = canonical_unit(schema_unit) or schema_unit
    if canon is None:
        return None, written
    if canon == target:
        return 1.0, canon
    return FACTORS.get((canon, target)), canon


def convertible_to(schema_unit: str) -> list[str]:
    """The units converted to ``schema_unit`` (for messages)."""
    target = canonical_unit(schema_unit) or schema_unit
    return [show(a) for (a, b) in FACTORS if b == target]
