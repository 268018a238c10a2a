"""pandera DataFrameModels for the framework's variables.

The models are the single definition of each column femstat knows: its canonical dtype,
whether it is required, its code list (from :mod:`femstat.codes`), its title and its
definition. :func:`femstat.validate` reads them to decide how to coerce a column, the
documentation renders them, and :func:`victim_json_schema` exports them for offices that
validate outside Python.

pandera is used for the specification and for the final dtype and range checks: on
canonical data those are dtype comparisons, not row-by-row work.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from femstat import codes as C

__all__ = [
    "EXTENSION_VARIABLES",
    "PerpetratorSchema",
    "PopulationSchema",
    "Variable",
    "VictimSchema",
    "perpetrator_variables",
    "victim_json_schema",
    "victim_variables",
    "victim_yaml_schema",
]

MAX_AGE = 120
"""The oldest age validation accepts: an age is a whole number of years in 0-120."""

MIN_YEAR = 1800
"""The earliest year validation accepts (years before 1900 are also a warning)."""

MAX_YEAR = 2200
"""The latest year validation accepts (years after the current one are also a warning)."""

MAX_ORPHANS = 50
"""The largest number of orphans validation accepts for one victim (``orphans``).

A bigger number is taken for a typing error or a code (such as 99 for "not known") and
refused, so that it never inflates a count of children left behind."""

_EXTENSION = {"extension": "victim"}
# Marks the extension variables (documentation page: "Extension variables"): optional,
# never mixed into the UN counts, and not added as all-unknown when absent, so that their
# presence in a table says that the source records them.


def _code_field(
    code_list: C.CodeList,
    title: str,
    description: str,
    metadata: dict[str, Any] | None = None,
) -> Any:
    return pa.Field(
        dtype_kwargs={"categories": list(code_list.codes), "ordered": False},
        nullable=False,
        title=title,
        description=description,
        metadata=metadata,
    )


def _bool_field(title: str, description: str) -> Any:
    return pa.Field(nullable=True, title=title, description=description)


def _age_field(title: str, description: str) -> Any:
    return pa.Field(ge=0, le=MAX_AGE, nullable=True, title=title, description=description)


class VictimSchema(pa.DataFrameModel):
    """Victim-level microdata, one row per victim (framework section 4).

    Required: ``victim_sex``, ``victim_age``, ``relationship`` and one of ``year`` or
    ``date``. Every other column is optional; :func:`femstat.validate` adds a missing
    optional column as all-unknown.
    """

    victim_id: Series[Any] | None = pa.Field(
        unique=True,
        nullable=False,
        title="Victim identifier",
        description="Any hashable identifier of the victim record; unique when present.",
        metadata={"sensitive": "identifier"},
    )
    event_id: Series[Any] | None = pa.Field(
        nullable=True,
        title="Event identifier",
        description="Groups the victims of one incident.",
        metadata={"sensitive": "identifier"},
    )
    date: Series[pd.Timestamp] | None = pa.Field(
        nullable=True,
        title="Date of killing",
        description="Date of the killing; counts are by year of killing, not of recording.",
    )
    year: Series[pd.Int16Dtype] | None = pa.Field(
        nullable=False,
        ge=MIN_YEAR,
        le=MAX_YEAR,
        title="Year of killing",
        description="Calendar year of the killing (derived from date when absent).",
    )
    area: Series[pd.CategoricalDtype] | None = pa.Field(
        nullable=True,
        title="Area",
        description=(
            "Geographic code, any string (trimmed; empty is missing, and a count by area "
            "refuses missing values); other geography columns pass through."
        ),
    )
    iccs_code: Series[pd.CategoricalDtype] | None = pa.Field(
        nullable=False,
        str_matches=r"^\d{4,6}$",
        title="ICCS code",
        description=(
            "ICCS code of the offence as text ('0101' intentional homicide, '0102' "
            "attempted, '0103' non-intentional, ...); absent means every record is 0101."
        ),
    )
    victim_sex: Series[pd.CategoricalDtype] = _code_field(
        C.SEX, "Victim sex", "Sex of the victim: female, male or unknown."
    )
    victim_age: Series[pd.Int16Dtype] = _age_field(
        "Victim age",
        "Age of the victim in whole years (infants under one year are 0); NA when unknown.",
    )
    relationship: Series[pd.CategoricalDtype] = _code_field(
        C.RELATIONSHIP,
        "Perpetrator-to-victim relationship",
        "What the perpetrator was to the victim, as a fine code or a group code "
        "(framework section 3).",
    )
    prior_violence: Series[pd.BooleanDtype] | None = _bool_field(
        "Prior violence", C.CRITERIA_DESCRIPTIONS["prior_violence"]
    )
    exploitation: Series[pd.BooleanDtype] | None = _bool_field(
        "Exploitation", C.CRITERIA_DESCRIPTIONS["exploitation"]
    )
    abduction: Series[pd.BooleanDtype] | None = _bool_field(
        "Abduction", C.CRITERIA_DESCRIPTIONS["abduction"]
    )
    sex_work: Series[pd.BooleanDtype] | None = _bool_field(
        "Sex work", C.CRITERIA_DESCRIPTIONS["sex_work"]
    )
    sexual_violence: Series[pd.BooleanDtype] | None = _bool_field(
        "Sexual violence", C.CRITERIA_DESCRIPTIONS["sexual_violence"]
    )
    mutilation: Series[pd.BooleanDtype] | None = _bool_field(
        "Mutilation", C.CRITERIA_DESCRIPTIONS["mutilation"]
    )
    body_in_public_space: Series[pd.BooleanDtype] | None = _bool_field(
        "Body in public space", C.CRITERIA_DESCRIPTIONS["body_in_public_space"]
    )
    hate_crime: Series[pd.BooleanDtype] | None = _bool_field(
        "Gender-based hate crime", C.CRITERIA_DESCRIPTIONS["hate_crime"]
    )
    perpetrator_sex: Series[pd.CategoricalDtype] | None = _code_field(
        C.SEX, "Perpetrator sex", "Sex of the (closest) perpetrator."
    )
    perpetrator_age: Series[pd.Int16Dtype] | None = _age_field(
        "Perpetrator age", "Age of the (closest) perpetrator in whole years; NA when unknown."
    )
    mechanism: Series[pd.CategoricalDtype] | None = _code_field(
        C.MECHANISM, "Mechanism", "Mechanism of the killing (ICCS weapon disaggregation)."
    )
    place: Series[pd.CategoricalDtype] | None = _code_field(
        C.PLACE, "Place", "Place of the killing, with optional dwelling detail."
    )
    situational_context: Series[pd.CategoricalDtype] | None = _code_field(
        C.SITUATIONAL_CONTEXT, "Situational context", "ICCS situational context."
    )
    victim_disability: Series[pd.BooleanDtype] | None = _bool_field(
        "Victim with disability", "The victim had a disability."
    )
    victim_migrant: Series[pd.BooleanDtype] | None = _bool_field(
        "Migrant victim", "The victim was a migrant."
    )
    victim_pregnant: Series[pd.BooleanDtype] | None = _bool_field(
        "Pregnant victim", "The victim was pregnant."
    )
    victim_indigenous: Series[pd.BooleanDtype] | None = _bool_field(
        "Indigenous victim", "The victim belonged to an indigenous people."
    )
    victim_citizenship: Series[pd.CategoricalDtype] | None = _code_field(
        C.CITIZENSHIP, "Victim citizenship", "National or foreign citizen."
    )
    prior_report_to_authorities: Series[pd.BooleanDtype] | None = _bool_field(
        "Prior report to authorities",
        "Violence against the victim had been reported to the authorities before the killing.",
    )
    protection_order: Series[pd.BooleanDtype] | None = _bool_field(
        "Protection order", "A protection order was in force for the victim."
    )
    case_status: Series[pd.CategoricalDtype] | None = _code_field(
        C.CASE_STATUS, "Case status", "State of the criminal justice response."
    )
    legal_qualification: Series[pd.CategoricalDtype] | None = _code_field(
        C.LEGAL_QUALIFICATION,
        "Legal qualification",
        "How the killing was qualified in law.",
    )

    victim_gender_identity: Series[pd.CategoricalDtype] | None = _code_field(
        C.GENDER_IDENTITY,
        "Victim gender identity",
        "Gender identity of the victim (extension variable): cis_woman, trans_woman, "
        "travesti, cis_man, trans_man, non_binary, other or unknown; beside victim_sex, "
        "never instead of it.",
        metadata=_EXTENSION,
    )
    linked_victim: Series[pd.BooleanDtype] | None = pa.Field(
        nullable=True,
        title="Linked victim",
        description=(
            "Extension variable: true when the victim was killed in connection with the "
            "gender-related killing of a woman or girl in the same event (event_id): her "
            "children, a person who tried to stop it, ..."
        ),
        metadata=_EXTENSION,
    )
    orphans: Series[pd.Int16Dtype] | None = pa.Field(
        ge=0,
        le=MAX_ORPHANS,
        nullable=True,
        title="Orphans",
        description=(
            f"Extension variable: number of children under 18 the victim left, 0-{MAX_ORPHANS}; "
            "NA when not known (never read as zero)."
        ),
        metadata=_EXTENSION,
    )

    class Config:
        name = "femstat victims"
        strict = False
        coerce = False


class PerpetratorSchema(pa.DataFrameModel):
    """Optional perpetrator table, one row per victim-perpetrator pair (framework §4)."""

    victim_id: Series[Any] = pa.Field(
        nullable=False,
        title="Victim identifier",
        description="The victim this perpetrator killed; must exist in the victim table.",
        metadata={"sensitive": "identifier"},
    )
    relationship: Series[pd.CategoricalDtype] = _code_field(
        C.RELATIONSHIP,
        "Perpetrator-to-victim relationship",
        "What this perpetrator was to the victim.",
    )
    perpetrator_sex: Series[pd.CategoricalDtype] | None = _code_field(
        C.SEX, "Perpetrator sex", "Sex of this perpetrator."
    )
    perpetrator_age: Series[pd.Int16Dtype] | None = _age_field(
        "Perpetrator age", "Age of this perpetrator in whole years; NA when unknown."
    )
    prior_violence: Series[pd.BooleanDtype] | None = _bool_field(
        "Prior violence", "This perpetrator had used violence against the victim before."
    )

    class Config:
        name = "femstat perpetrators"
        strict = False


class PopulationSchema(pa.DataFrameModel):
    """Population denominators keyed by the columns of the requested breakdown."""

    population: Series[float] = pa.Field(
        ge=0,
        nullable=False,
        coerce=True,
        title="Population",
        description="Female population of the group (male in long form with a sex column).",
    )

    class Config:
        name = "femstat population"
        strict = False


Kind = Literal["code", "boolean", "integer", "year", "date", "text", "id"]
Sensitivity = Literal["identifier", "free_text"]


@dataclass(frozen=True)
class Variable:
    """One column of a schema, as validation and documentation see it."""

    name: str
    kind: Kind
    required: bool
    title: str
    description: str
    codes: tuple[str, ...] = ()
    sensitive: Sensitivity | None = None
    extension: bool = False
    maximum: int | None = None
    """The largest value of an integer variable (ages: :data:`MAX_AGE`)."""


def _variables(model: type[pa.DataFrameModel]) -> dict[str, Variable]:
    schema = model.to_schema()
    out: dict[str, Variable] = {}
    for name, column in schema.columns.items():
        dtype = str(column.dtype)
        categories = getattr(getattr(column.dtype, "type", None), "categories", None)
        kind: Kind
        if name in ("victim_id", "event_id"):
            kind = "id"
        elif name == "year":
            kind = "year"
        elif name == "date":
            kind = "date"
        elif categories is not None and len(categories) > 0:
            kind = "code"
        elif dtype == "category":
            kind = "text"
        elif dtype == "boolean":
            kind = "boolean"
        elif dtype.startswith("Int"):
            kind = "integer"
        else:
            kind = "text"
        out[name] = Variable(
            name=name,
            kind=kind,
            required=bool(column.required),
            title=column.title or name,
            description=column.description or "",
            codes=tuple(categories) if categories is not None else (),
            sensitive=(column.metadata or {}).get("sensitive"),
            extension="extension" in (column.metadata or {}),
            maximum=(MAX_ORPHANS if name == "orphans" else MAX_AGE) if kind == "integer" else None,
        )
    return out


_VICTIM_VARIABLES = _variables(VictimSchema)
_PERPETRATOR_VARIABLES = _variables(PerpetratorSchema)


EXTENSION_VARIABLES: tuple[str, ...] = tuple(
    var.name for var in _VICTIM_VARIABLES.values() if var.extension
)
"""The extension variables: ``victim_gender_identity``, ``linked_victim``, ``orphans``.

Optional, beyond the UN framework (framework section 6), and never added as all-unknown
by validation when absent."""


SENSITIVE_COLUMNS: frozenset[str] = frozenset(
    var.name
    for var in (*_VICTIM_VARIABLES.values(), *_PERPETRATOR_VARIABLES.values())
    if var.sensitive is not None
)
"""Columns the schemas mark as identifying or free text (``victim_id``, ``event_id``).

Their values never appear in an error, warning, log, report or printed table, and a
breakdown by one of them is refused: problems are reported by row number instead.
"""


def is_sensitive(column: object) -> bool:
    """Whether ``column`` is one whose values femstat must never echo.

    True for the columns in :data:`SENSITIVE_COLUMNS`. Columns the schemas do not know are
    not echoed either, but they are the caller's to break down by.
    """
    return column in SENSITIVE_COLUMNS


def victim_variables() -> dict[str, Variable]:
    """The victim table's variables, in schema order."""
    return dict(_VICTIM_VARIABLES)


def perpetrator_variables() -> dict[str, Variable]:
    """The perpetrator table's variables, in schema order."""
    return dict(_PERPETRATOR_VARIABLES)


def victim_json_schema() -> dict[str, Any]:
    """The victim table as a JSON Schema (draft 2020-12) for one record.

    A record is one victim; a file of records validates item by item. Required columns,
    code lists (as ``enum``), age ranges, titles and definitions all come from
    :class:`VictimSchema`, so the exported schema cannot drift from femstat's own.

    Returns
    -------
    dict
        A JSON-serialisable JSON Schema document.
    """
    properties: dict[str, Any] = {}
    for var in _VICTIM_VARIABLES.values():
        prop: dict[str, Any] = {"title": var.title, "description": var.description}
        if var.kind == "code":
            prop["enum"] = list(var.codes)
        elif var.kind == "boolean":
            prop["type"] = ["boolean", "null"]
        elif var.kind == "integer":
            prop.update(type=["integer", "null"], minimum=0, maximum=var.maximum)
        elif var.kind == "year":
            prop.update(type="integer", minimum=MIN_YEAR, maximum=MAX_YEAR)
        elif var.kind == "date":
            prop.update(type="string", format="date")
        elif var.name == "iccs_code":
            prop.update(type="string", pattern=r"^\d{4,6}$")
        elif var.kind == "text":
            prop["type"] = "string"
        properties[var.name] = prop
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://femstat.org/schemas/victim.json",
        "title": "femstat victim record",
        "description": (
            "One victim of homicide, with the variables of the UN statistical framework for "
            "measuring the gender-related killing of women and girls (2022)."
        ),
        "type": "object",
        "properties": properties,
        "required": [v.name for v in _VICTIM_VARIABLES.values() if v.required],
        "anyOf": [{"required": ["year"]}, {"required": ["date"]}],
    }


def victim_yaml_schema() -> str:
    """The JSON Schema of :func:`victim_json_schema`, written as YAML.

    JSON is a subset of YAML 1.2, so without PyYAML the same document is returned as
    indented JSON, which every YAML reader accepts.
    """
    document = victim_json_schema()
    try:
        import yaml
    except ImportError:  # pragma: no cover - depends on the environment
        return json.dumps(document, indent=2)
    return str(yaml.safe_dump(document, sort_keys=False, allow_unicode=True))
