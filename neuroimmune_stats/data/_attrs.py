"""Containers stored in ``DataFrame.attrs`` that copy cheaply.

pandas deep-copies ``attrs`` on every operation that returns a new object (``df["x"] + 1`` included), so
a merge record holding the IDs of 100 000 subjects would make every column access cost a deep copy
(about 0.2 s). These containers hold only strings, numbers and other such containers, so a shallow copy
at C speed is an exact deep copy.
"""

from __future__ import annotations

from typing import Any


class NoteList(list):  # type: ignore[type-arg]
    """A list of strings (notes or IDs) whose deep copy is a shallow copy (the items are immutable)."""

    def __deepcopy__(self, memo: dict[int, Any]) -> NoteList:
        return NoteList(self)


class Record(dict):  # type: ignore[type-arg]
    """A dict of strings, numbers, :class:`NoteList` and :class:`Record`, cheap to deep-copy."""

    def __deepcopy__(self, memo: dict[int, Any]) -> Record:
        return Record({k: v.__deepcopy__(memo) if isinstance(v, NoteList | Record) else v for k, v in self.items()})


def freeze(obj: Any) -> Any:
    """Turn nested dicts/lists of atoms into :class:`Record`/:class:`NoteList` (once, at creation)."""
    if isinstance(obj, dict):
        return Record({k: freeze(v) for k, v in obj.items()})
    if isinstance(obj, list | tuple):
        return NoteList(freeze(v) if isinstance(v, dict | list | tuple) else v for v in obj)
    return obj
