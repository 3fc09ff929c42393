"""Data layer: read, validate and merge the four exports; simulate and load the example cohort."""

from .cohort import edges, find_exports, merge_record, questionnaires, read_cohort, regions
from .example import load_example
from .simulate import DEFAULT_EFFECTS, simulate_cohort, simulate_tables
from .validate import validate

__all__ = [
    "DEFAULT_EFFECTS",
    "edges",
    "find_exports",
    "load_example",
    "merge_record",
    "questionnaires",
    "read_cohort",
    "regions",
    "simulate_cohort",
    "simulate_tables",
    "validate",
]
