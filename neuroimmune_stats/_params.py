"""Parameter checks in one declarative place, with one message style naming the argument.

Every public function checks its scalar arguments here, so ``conf_level=1.5`` or
``correction="bogus"`` fail the same way everywhere: a :class:`SpecificationError` that names the
function, the argument, the value and what is allowed.

Examples
--------
>>> check_conf_level(0.9, where="mediate")
0.9
>>> check_choice("bogus", ("percentile", "bc", "bca"), name="ci", where="mediate")
Traceback (most recent call last):
...
neuroimmune_stats.exceptions.SpecificationError: mediate: ci must be one of 'percentile', 'bc', 'bca'; got 'bogus'.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from numbers import Integral, Real
from typing import Any, TypeVar

from .exceptions import SpecificationError

T = TypeVar("T")


def _fail(where: str, name: str, rule: str, value: Any) -> SpecificationError:
    return SpecificationError(f"{where}: {name} must be {rule}; got {value!r}.")


def check_conf_level(value: Any, *, where: str, name: str = "conf_level") -> float:
    """A confidence level strictly between 0 and 1."""
    if isinstance(value, bool) or not isinstance(value, Real) or not (0.0 < float(value) < 1.0):
        raise _fail(where, name, "a number strictly between 0 and 1 (e.g. 0.95)", value)
    return float(value)


def check_probability(value: Any, *, where: str, name: str, open_interval: bool = True) -> float:
    """A probability in (0, 1) (or [0, 1] with ``open_interval=False``)."""
    ok = isinstance(value, Real) and not isinstance(value, bool) and math.isfinite(float(value))
    if ok:
        v = float(value)
        ok = (0.0 < v < 1.0) if open_interval else (0.0 <= v <= 1.0)
    if not ok:
        rule = "a number strictly between 0 and 1" if open_interval else "a number from 0 to 1"
        raise _fail(where, name, rule, value)
    return float(value)


def check_int(value: Any, *, where: str, name: str, minimum: int = 0, maximum: int | None = None) -> int:
    """An integer (not a bool) within ``[minimum, maximum]``."""
    if isinstance(value, bool) or not isinstance(value, Integral):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        else:
            raise _fail(where, name, f"an integer ≥ {minimum}", value)
    v = int(value)
    if v < minimum or (maximum is not None and v > maximum):
        rule = f"an integer ≥ {minimum}" if maximum is None else f"an integer from {minimum} to {maximum}"
        raise _fail(where, name, rule, value)
    return v


def check_positive(value: Any, *, where: str, name: str, allow_zero: bool = False) -> float:
    """A finite positive number (or non-negative with ``allow_zero``)."""
    ok = isinstance(value, Real) and not isinstance(value, bool) and math.isfinite(float(value))
    if ok:
        ok = float(value) >= 0 if allow_zero else float(value) > 0
    if not ok:
        raise _fail(where, name, "a finite number ≥ 0" if allow_zero else "a finite number > 0", value)
    return float(value)


def check_choice(value: Any, choices: Iterable[T], *, where: str, name: str,
                 aliases: dict[str, T] | None = None, allow_none: bool = False) -> Any:
    """One of ``choices`` (case-insensitive for strings; ``aliases`` map other spellings)."""
    options = list(choices)
    if value is None and allow_none:
        return None
    if isinstance(value, str):
        key = value.strip()
        for opt in options:
            if isinstance(opt, str) and opt.lower() == key.lower():
                return opt
        if aliases:
            for alias, target in aliases.items():
                if alias.lower() == key.lower():
                    return target
    elif value in options:
        return value
    shown = ", ".join(repr(o) for o in options)
    if allow_none:
        shown += " or None"
    raise SpecificationError(f"{where}: {name} must be one of {shown}; got {value!r}.")


def check_bool(value: Any, *, where: str, name: str) -> bool:
    """A real bool (``0``/``1``/``"yes"`` are refused so typos are not silently truthy)."""
    if not isinstance(value, bool):
        raise _fail(where, name, "True or False", value)
    return value


__all__ = [
    "check_bool",
    "check_choice",
    "check_conf_level",
    "check_int",
    "check_positive",
    "check_probability",
]
