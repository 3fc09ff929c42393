"""Load the Frictionless Table Schemas in ``data_schemas/`` (the single source of truth)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

TABLES = ("participants", "suvr", "connectivity", "questionnaires")


def schema_dir() -> Path:
    """Where the schemas live: inside the installed wheel, else the repository's ``data_schemas/``."""
    packaged = resources.files("neuroimmune_stats").joinpath("_schemas")
    if packaged.is_dir():
        return Path(str(packaged))
    repo = Path(__file__).resolve().parents[2] / "data_schemas"
    if repo.is_dir():
        return repo
    raise FileNotFoundError(  # pragma: no cover - broken installation only
        "the table schemas were not found (neither neuroimmune_stats/_schemas nor data_schemas/)"
    )


@dataclass(frozen=True)
class FieldSpec:
    """One column of a table schema."""

    name: str
    type: str
    title: str
    description: str = ""
    unit: str | None = None
    required: bool = False
    unique: bool = False
    enum: tuple[str, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: float | None = None
    aliases: tuple[str, ...] = ()
    value_aliases: dict[str, str] = field(default_factory=dict)
    missing_allowed: bool = False
    factor: bool = False
    prefix: str = ""
    plausible: tuple[float, float] | None = None
    range_when_r: tuple[float, float] | None = None

    @property
    def is_numeric(self) -> bool:
        return self.type in ("number", "integer")

    @property
    def range_text(self) -> str:
        lo, hi = self.minimum, self.maximum
        if lo is not None and hi is not None:
            return f"{lo:g}–{hi:g}"
        return ""


@dataclass(frozen=True)
class TableSchema:
    """A table's schema: named fields, optional variable fields (regions, edges), rules."""

    name: str
    title: str
    description: str
    fields: tuple[FieldSpec, ...]
    missing_values: tuple[str, ...]
    variable: FieldSpec | None = None
    variable_pattern: str | None = None
    long_layout: dict[str, Any] | None = None
    extra_columns: str = "keep"
    rules: tuple[dict[str, Any], ...] = ()

    def field(self, name: str) -> FieldSpec | None:
        return next((f for f in self.fields if f.name == name), None)

    @property
    def required(self) -> list[str]:
        return [f.name for f in self.fields if f.required]


def _field(d: dict[str, Any]) -> FieldSpec:
    c = d.get("constraints", {})
    enum = c.get("enum")
    return FieldSpec(
        name=d.get("name", ""),
        type=d.get("type", "string"),
        title=d.get("title", d.get("name", "")),
        description=d.get("description", ""),
        unit=d.get("unit"),
        required=bool(c.get("required", False)),
        unique=bool(c.get("unique", False)),
        enum=tuple(enum) if enum else None,
        minimum=c.get("minimum"),
        maximum=c.get("maximum"),
        exclusive_minimum=c.get("exclusiveMinimum"),
        aliases=tuple(d.get("x-aliases", ())),
        value_aliases=dict(d.get("x-valueAliases", {})),
        missing_allowed=bool(d.get("x-missingAllowed", False)),
        factor=bool(d.get("x-factor", False)) or bool(enum),
        prefix=d.get("prefix", ""),
        plausible=tuple(d["x-plausibleRange"]) if "x-plausibleRange" in d else None,  # type: ignore[arg-type]
        range_when_r=tuple(d["x-rangeWhenR"]) if "x-rangeWhenR" in d else None,  # type: ignore[arg-type]
    )


@cache
def load_schema(table: str) -> TableSchema:
    """Read ``data_schemas/<table>.schema.json``.

    Examples
    --------
    >>> s = load_schema("questionnaires")
    >>> s.field("fss").maximum
    31
    """
    if table not in TABLES:
        from ..exceptions import SpecificationError

        raise SpecificationError(f"table must be one of {', '.join(TABLES)}; got {table!r}.")
    raw = json.loads((schema_dir() / f"{table}.schema.json").read_text(encoding="utf-8"))
    var = raw.get("x-variableFields")
    return TableSchema(
        name=raw["name"],
        title=raw.get("title", raw["name"]),
        description=raw.get("description", ""),
        fields=tuple(_field(f) for f in raw["fields"]),
        missing_values=tuple(raw.get("missingValues", [""])),
        variable=_field({"name": "*", "title": "value", **var}) if var else None,
        variable_pattern=var.get("pattern") if var else None,
        long_layout=raw.get("x-longLayout"),
        extra_columns=raw.get("x-extraColumns", "keep"),
        rules=tuple(raw.get("x-rules", ())),
    )
