"""femstat: the UN statistical framework for measuring femicide/feminicide.

Validate homicide microdata against the framework's variables, classify every victim
record by the femicide typology, and compute counts, rates, shares, age-standardised rates,
bounds and completeness with exact intervals.
"""

from __future__ import annotations

import importlib
import sys
from importlib.metadata import PackageNotFoundError, version
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from femstat import codes, datasets, exports, synth
    from femstat.ages import AgeScheme, age_group
    from femstat.classify import UN_2022, RuleSet, classify, criteria_met_names, explain
    from femstat.comparisons import rate_ratios
    from femstat.completeness import completeness
    from femstat.counts import add_cubes, counts
    from femstat.disclosure import DisclosureError, suppress
    from femstat.display import style as styled
    from femstat.errors import (
        DataQualityWarning,
        FemstatError,
        FemstatWarning,
        MissingDependencyError,
        PopulationError,
        ValidationError,
    )
    from femstat.estimates import estimate, estimate_from_file
    from femstat.extensions import linked_victims, orphans
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
    from femstat.unodc import to_unodc, unodc_frame
    from femstat.validate import ValidationReport, fold_perpetrators, validate

# Public name -> (module, attribute); None: the name is the module itself. Nothing is
# imported until first used (PEP 562), so that ``import femstat`` and ``femstat --help``
# do not pay for pandas, pandera, Dask or matplotlib before they are needed.
_EXPORTS: dict[str, tuple[str, str | None]] = {
    "AgeScheme": ("femstat.ages", "AgeScheme"),
    "DataQualityWarning": ("femstat.errors", "DataQualityWarning"),
    "DisclosureError": ("femstat.disclosure", "DisclosureError"),
    "FemstatError": ("femstat.errors", "FemstatError"),
    "FemstatWarning": ("femstat.errors", "FemstatWarning"),
    "MissingDependencyError": ("femstat.errors", "MissingDependencyError"),
    "PerpetratorSchema": ("femstat.schemas", "PerpetratorSchema"),
    "PopulationError": ("femstat.errors", "PopulationError"),
    "PopulationSchema": ("femstat.schemas", "PopulationSchema"),
    "RuleSet": ("femstat.classify", "RuleSet"),
    "SourceError": ("femstat.sources", "SourceError"),
    "UN_2022": ("femstat.classify", "UN_2022"),
    "ValidationError": ("femstat.errors", "ValidationError"),
    "ValidationReport": ("femstat.validate", "ValidationReport"),
    "VictimSchema": ("femstat.schemas", "VictimSchema"),
    "add_cubes": ("femstat.counts", "add_cubes"),
    "age_group": ("femstat.ages", "age_group"),
    "age_standardised_rates": ("femstat.indicators", "age_standardised_rates"),
    "audit_disclosure": ("femstat.sdc", "audit_disclosure"),
    "bounds": ("femstat.indicators", "bounds"),
    "build_report": ("femstat.report", "build_report"),
    "classify": ("femstat.classify", "classify"),
    "codes": ("femstat.codes", None),
    "completeness": ("femstat.completeness", "completeness"),
    "counts": ("femstat.counts", "counts"),
    "criteria_met_names": ("femstat.classify", "criteria_met_names"),
    "datasets": ("femstat.datasets", None),
    "estimate": ("femstat.estimates", "estimate"),
    "explain": ("femstat.classify", "explain"),
    "exports": ("femstat.exports", None),
    "fold_perpetrators": ("femstat.validate", "fold_perpetrators"),
    "indicators": ("femstat.indicators", "indicators"),
    "protect": ("femstat.sdc", "protect"),
    "rate_ratios": ("femstat.comparisons", "rate_ratios"),
    "read": ("femstat.sources", "read"),
    "read_icd10": ("femstat.sources", "read_icd10"),
    "read_shr": ("femstat.sources", "read_shr"),
    "suppress": ("femstat.disclosure", "suppress"),
    "synth": ("femstat.synth", None),
    "to_unodc": ("femstat.unodc", "to_unodc"),
    "trend": ("femstat.trends", "trend"),
    "unodc_frame": ("femstat.unodc", "unodc_frame"),
    "validate": ("femstat.validate", "validate"),
    "victim_json_schema": ("femstat.schemas", "victim_json_schema"),
    "victim_yaml_schema": ("femstat.schemas", "victim_yaml_schema"),
    "linked_victims": ("femstat.extensions", "linked_victims"),
    "orphans": ("femstat.extensions", "orphans"),
    "RuleSetError": ("femstat.rulesets", "RuleSetError"),
    "compare_rule_sets": ("femstat.rulesets", "compare_rule_sets"),
    "rule_set": ("femstat.rulesets", "rule_set"),
    "rule_sets": ("femstat.rulesets", "rule_sets"),
    "estimate_from_file": ("femstat.estimates", "estimate_from_file"),
    "styled": ("femstat.display", "style"),
}


def __getattr__(name: str) -> Any:
    try:
        module_name, attribute = _EXPORTS[name]
    except KeyError:
        raise AttributeError(f"module 'femstat' has no attribute {name!r}") from None
    module = importlib.import_module(module_name)
    value = module if attribute is None else getattr(module, attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


class _Package(ModuleType):
    """femstat's module type: a public function keeps its name when its module is imported.

    Importing the submodule ``femstat.counts`` sets the package attribute ``counts`` to
    the module, which would hide the function ``femstat.counts`` that ``__getattr__``
    loads on first use (``classify``, ``completeness``, ``validate`` alike). The eager
    imports this package used to make rebound the name to the function; this does the
    same, lazily.
    """

    def __setattr__(self, name: str, value: Any) -> None:
        target = _EXPORTS.get(name)
        if (
            target is not None
            and target[1] == name
            and isinstance(value, ModuleType)
            and value.__name__ == target[0]
        ):
            value = getattr(value, name)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package

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
    "estimate_from_file",
    "explain",
    "exports",
    "fold_perpetrators",
    "indicators",
    "linked_victims",
    "orphans",
    "protect",
    "rate_ratios",
    "read",
    "read_icd10",
    "read_shr",
    "rule_set",
    "rule_sets",
    "styled",
    "suppress",
    "synth",
    "to_unodc",
    "trend",
    "unodc_frame",
    "validate",
    "victim_json_schema",
    "victim_yaml_schema",
]

if "IPython" in sys.modules:
    # Inside IPython / Jupyter: femstat's result tables display with their units, [c]
    # marks and method notes. femstat.display imports nothing heavy, and nothing here
    # imports IPython when it is not already running.
    from femstat.display import register as _register_display

    _register_display()
