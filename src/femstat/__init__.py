"""femstat: the UN statistical framework for measuring femicide/feminicide.

Validate homicide microdata against the framework's variables, classify every victim
record by the femicide typology, and compute counts, rates, shares, age-standardised rates,
bounds and completeness with exact intervals.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from femstat import codes, datasets, exports, synth
from femstat.ages import AgeScheme, age_group
from femstat.classify import UN_2022, RuleSet, classify, criteria_met_names, explain
from femstat.comparisons import rate_ratios
from femstat.completeness import completeness
from femstat.counts import add_cubes, counts
from femstat.disclosure import DisclosureError, suppress
from femstat.errors import (
    DataQualityWarning,
    FemstatError,
    FemstatWarning,
    MissingDependencyError,
    PopulationError,
    ValidationError,
)
from femstat.estimates import estimate
from femstat.indicators import age_standardised_rates, bounds, indicators
from femstat.report import build_report
from femstat.rulesets import RuleSetError, compare_rule_sets, rule_set, rule_sets
from femstat.schemas import (
    PerpetratorSchema,
    PopulationSchema,
    VictimSchema,
    victim_json_schema,
    victim_yaml_schema,
)
from femstat.sdc import audit_disclosure, protect
from femstat.sources import SourceError, read, read_icd10, read_shr
from femstat.trends import trend
from femstat.validate import ValidationReport, fold_perpetrators, validate

try:
    __version__ = version("femstat")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0+unknown"

__all__ = [
    "UN_2022",
    "AgeScheme",
    "DataQualityWarning",
    "DisclosureError",
    "FemstatError",
    "FemstatWarning",
    "MissingDependencyError",
    "PerpetratorSchema",
    "PopulationError",
    "PopulationSchema",
    "RuleSet",
    "RuleSetError",
    "SourceError",
    "ValidationError",
    "ValidationReport",
    "VictimSchema",
    "__version__",
    "add_cubes",
    "age_group",
    "age_standardised_rates",
    "audit_disclosure",
    "bounds",
    "build_report",
    "classify",
    "codes",
    "compare_rule_sets",
    "completeness",
    "counts",
    "criteria_met_names",
    "datasets",
    "estimate",
    "explain",
    "exports",
    "fold_perpetrators",
    "indicators",
    "protect",
    "rate_ratios",
    "read",
    "read_icd10",
    "read_shr",
    "rule_set",
    "rule_sets",
    "suppress",
    "synth",
    "trend",
    "validate",
    "victim_json_schema",
    "victim_yaml_schema",
]
