"""Data layer: read, validate and merge the four exports; simulate and load the example cohort."""

from .cohort import edges, find_exports, merge_record, questionnaires, read_cohort, regions
from .discover import FileUse, InputDiscovery, discover_inputs
from .example import load_example
from .simulate import DEFAULT_EFFECTS, simulate_cohort, simulate_tables
from .validate import validate

__all__ = [
    "DEFAULT_EFFECTS",
    "FileUse",
    "InputDiscovery",
    "discover_inputs",
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
