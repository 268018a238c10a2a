"""Counts in UNODC's published categories, in the layout of UNODC's data portal.

UNODC publishes its homicide statistics in the data portal (dataUNODC, "Intentional
homicide victims") as one long table, one value per row, with the columns of
:data:`UNODC_COLUMNS`. :func:`unodc_frame` writes femstat's female victims of intentional
homicide (the framework's universe) in that layout: the total, by age, by relationship
to the perpetrator and by mechanism, as counts and, with a population, as rates per
100,000; :func:`to_unodc` writes it as CSV with a metadata sidecar.

The crosswalk from femstat's codes to UNODC's categories is defined here once
(:data:`RELATIONSHIP_CROSSWALK`, :data:`MECHANISM_CROSSWALK` and
:data:`femstat.codes.UNODC_AGE_LABELS`); ``docs/unodc.md`` shows it as a table with the
source of every label. Each femstat code maps to one top level of UNODC's dimension and,
where UNODC publishes one that holds it, to a sub-level: UNODC's "Intimate partner or
family member" is the sum of its two sub-levels and of the records that only know "partner
or family member", so the sub-levels do not always add up to their top level.

Protection: the counts are one release of linked tables (the total, and per dimension a
table by top level and one by sub-level, each adding up to the total), protected with
:func:`femstat.protect` and audited with :func:`femstat.audit_disclosure` as every other
femstat export: small counts are hidden, with the complements that keep them from being
worked out by subtraction, and a release the audit finds exposed is refused. Hidden cells
are written empty, and the ``Suppressed`` column says why (``primary``, ``secondary``).
"""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from femstat import codes as C
from femstat.errors import PopulationError
from femstat.exports import (
    _CSV_LINE_END,
    DEFAULT_MIN_COUNT,
    ExportError,
    _json_safe,
    _neutralised,
    sidecar_path,
)

if TYPE_CHECKING:
    from femstat.classify import RuleSet

__all__ = [
    "AGE_TOTAL",
    "DIMENSIONS",
    "INDICATOR",
    "MECHANISM_CROSSWALK",
    "RELATIONSHIP_CROSSWALK",
    "UNIT_COUNTS",
    "UNODC_COLUMNS",
    "rate_unit",
    "to_unodc",
    "unodc_frame",
]

INDICATOR = "Victims of intentional homicide"
"""The portal's ``Indicator`` of every row written."""

UNIT_COUNTS = "Counts"
"""``Unit of measurement`` of a count."""

TOTAL = "Total"
"""The portal's ``Dimension``, ``Category``, ``Age`` and ``Sex`` of an undivided total."""

AGE_TOTAL = TOTAL

FEMALE = C.UNODC_SEX_LABELS["female"]

UNODC_COLUMNS: tuple[str, ...] = (
    "Iso3_code",
    "Country",
    "Region",
    "Subregion",
    "Indicator",
    "Dimension",
    "Category",
    "Sex",
    "Age",
    "Year",
    "Unit of measurement",
    "VALUE",
    "Source",
    "Suppressed",
)
"""The columns written, in order: the portal's, then femstat's ``Suppressed`` mark."""

# (top level, sub-level or None) of each femstat relationship group. The key
# partner_or_family_unspecified is the group of records that only know "intimate partner
# or family member": it is UNODC's top level, in neither sub-level.
RELATIONSHIP_CROSSWALK: Mapping[str, tuple[str, str | None]] = {
    "intimate_partner": (
        "Intimate partner or family member",
        "Intimate partner or family member: Intimate partner",
    ),
    "family_member": (
        "Intimate partner or family member",
        "Intimate partner or family member: Family member",
    ),
    "partner_or_family_unspecified": ("Intimate partner or family member", None),
    "other_known": ("Other Perpetrator known to the victim", None),
    "stranger": ("Perpetrator unknown to the victim", None),
    "unknown": ("Perpetrator to victim relationship unknown", None),
}
"""femstat relationship group -> (UNODC top level, UNODC sub-level or None)."""

# ICCS's mechanism levels as the portal publishes them: a firearm or explosive, another
# weapon (sharp or blunt object, including a motor vehicle), without a weapon or another
# mechanism, and unspecified; firearms and sharp objects have their own sub-levels.
MECHANISM_CROSSWALK: Mapping[str, tuple[str, str | None]] = {
    "firearm": ("Firearms or explosives", "Firearms or explosives - firearms"),
    "explosive": ("Firearms or explosives", None),
    "sharp_object": ("Another weapon", "Another weapon - sharp object"),
    "blunt_object": ("Another weapon", None),
    "other_weapon": ("Another weapon", None),
    "physical_force": ("Without a weapon/ other Mechanism", None),
    "other_mechanism": ("Without a weapon/ other Mechanism", None),
    "unknown": ("Unspecified means", None),
}
"""femstat mechanism code -> (UNODC top level, UNODC sub-level or None)."""

DIMENSIONS: Mapping[str, str] = {
    "age": "Total",
    "relationship": "by relationship to perpetrator",
    "mechanism": "by mechanisms",
}
"""femstat's name of each breakdown -> the portal's ``Dimension`` of its rows (the
portal gives ages in the ``Age`` column of the ``Total`` dimension)."""

_CROSSWALKS: Mapping[str, Mapping[str, tuple[str, str | None]]] = {
    "relationship": RELATIONSHIP_CROSSWALK,
    "mechanism": MECHANISM_CROSSWALK,
}
_SOURCE_COLUMN = {"relationship": "relationship_group", "mechanism": "mechanism"}
_REST = ""  # sub-level of the records a top level holds beyond its published sub-levels
_TOP, _SUB, _AGE = "_top", "_sub", "age_group"  # suffixes of each dimension's columns
_TYPE, _COUNT = "femicide_type", "count"


def rate_unit(per: float = 100_000) -> str:
    """``Unit of measurement`` of a rate: ``"Rate per 100,000 population"``."""
    number = int(per) if float(per).is_integer() else per
    return f"Rate per {number:,} population"


def _in_scope_types(types: Sequence[str]) -> list[str]:
    """The levels of a cube's type column that are female victims of homicide in scope."""
    return [t for t in types if t in C.FEMICIDE_TYPES and t != "out_of_scope"]


def _cube_of(
    data: pd.DataFrame,
    dimensions: Sequence[str] | None,
    rules: RuleSet | None,
) -> tuple[pd.DataFrame, list[str], dict[str, Any]]:
    """A count cube holding the dimensions, the dimensions to write, and what made it."""
    from femstat.classify import UN_2022
    from femstat.counts import counts, cube_provenance
    from femstat.disclosure import DisclosureError, table_kind

    if not isinstance(data, pd.DataFrame):
        raise ExportError(
            f"the UNODC export reads a DataFrame, not a {type(data).__name__}; pass the "
            "classified records (fs.classify) or a count cube (fs.counts)"
        )
    wanted = list(DIMENSIONS) if dimensions is None else list(dimensions)
    unknown = [d for d in wanted if d not in DIMENSIONS]
    if unknown:
        raise ExportError(
            f"dimensions {unknown} are not UNODC breakdowns; choose among {list(DIMENSIONS)}"
        )
    if _COUNT in data.columns:
        try:
            kind = table_kind(data)
        except DisclosureError:
            kind = "counts"
        if kind != "counts" or _TYPE not in data.columns:
            raise ExportError(
                f"the UNODC export re-tabulates counts, and this is a {kind} table "
                f"({len(data):,} rows) without a count per {_TYPE!r}; pass the classified "
                "records (fs.classify) or a count cube made by fs.counts"
            )
        missing = int(pd.to_numeric(data[_COUNT], errors="coerce").isna().sum())
        if missing:
            raise ExportError(
                f"column 'count' has {missing:,} missing value(s) ({len(data):,} rows): a "
                "suppressed table cannot be re-tabulated. Pass the unsuppressed cube or the "
                "classified records; the UNODC export protects its own cells"
            )
        cube = data
        provenance = cube_provenance(cube) or {}
    else:
        columns = {
            "relationship": "relationship",
            "mechanism": "mechanism",
            "age": "victim_age",
        }
        by = ["year"] if "year" in data.columns else []
        for dim in wanted:
            if columns[dim] in data.columns:
                by.append({"relationship": "relationship_group", "age": _AGE}.get(dim, dim))
            elif dimensions is not None:
                raise ExportError(
                    f"the data has no column {columns[dim]!r} ({len(data):,} rows), which the "
                    f"breakdown {dim!r} needs; add it or leave {dim!r} out of dimensions"
                )
        cube = counts(data, by=by, age_groups="unodc", rules=rules or UN_2022)
        provenance = cube_provenance(cube) or {}
    present = {
        "relationship": "relationship_group" in cube.columns or "relationship" in cube.columns,
        "mechanism": "mechanism" in cube.columns,
        "age": _AGE in cube.columns,
    }
    absent = [d for d in wanted if not present[d]]
    if absent and dimensions is not None:
        raise ExportError(
            f"the count cube has no column for the breakdown(s) {absent}; count it by "
            "relationship_group, mechanism and age_group (fs.counts), or leave them out"
        )
    return cube, [d for d in DIMENSIONS if d in wanted and present[d]], provenance


def _labels_checked(values: pd.Series, known: Mapping[str, Any], column: str) -> pd.Series:
    """``values`` as text, every one of them a key of ``known``, else an error."""
    text = values.astype("object")
    if text.isna().any():
        raise ExportError(
            f"column {column!r} has {int(text.isna().sum()):,} missing value(s) in the count "
            "cube; count the validated records again (fs.counts), which places every record"
        )
    text = text.astype(str)
    bad = sorted(set(text) - set(known))
    if bad:
        n = int((~text.isin(list(known))).sum())
        raise ExportError(
            f"column {column!r} holds {len(bad)} value(s) with no UNODC category: "
            f"{bad[:5]} ({n:,} rows). Expected femstat's codes {sorted(known)}; count by "
            "them (age groups with the 'unodc' scheme)"
        )
    return text


def _release(cube: pd.DataFrame, keys: list[str], dims: list[str]) -> dict[str, pd.DataFrame]:
    """The linked tables of female victims the export publishes, before protection."""
    types = cube[_TYPE].astype("object").astype(str)
    female = cube.loc[types.isin(_in_scope_types(sorted(set(types))))]
    counts = pd.to_numeric(female[_COUNT]).to_numpy(dtype=np.int64)
    base = {k: female[k].astype("object").to_numpy() for k in keys}
    # Every year of the cube, even one without a female victim, and every category: a
    # category no record falls in is a count of zero, written as such.
    key_levels = [list(pd.unique(cube[k].astype("object"))) for k in keys]

    def table(columns: Mapping[str, np.ndarray], levels: Sequence[tuple[str, ...]]) -> pd.DataFrame:
        cells = pd.DataFrame({**base, **columns, _COUNT: counts})
        names = [*keys, *columns]
        if not names:
            frame = pd.DataFrame({_COUNT: [int(counts.sum())]})
        else:
            sums = cells.groupby(names, sort=False, observed=True, dropna=False)[_COUNT].sum()
            full = [(*k, *level) for k in itertools.product(*key_levels) for level in levels]
            index = pd.MultiIndex.from_tuples(full, names=names)
            frame = sums.reindex(index, fill_value=0).reset_index()
        frame.insert(len(names), _TYPE, "female_homicide")
        frame[_COUNT] = frame[_COUNT].astype(np.int64)
        return frame

    tables = {"total": table({}, [()])}
    for dim in dims:
        if dim == "age":
            ages = _labels_checked(female[_AGE], C.UNODC_AGE_LABELS, _AGE)
            tables["age"] = table({_AGE: ages.to_numpy()}, [(a,) for a in C.UNODC_AGE_LABELS])
            continue
        column = _SOURCE_COLUMN[dim]
        values = female[column] if column in female.columns else None
        if values is None:  # a cube by fine relationship: roll up to the groups
            fine = _labels_checked(female["relationship"], C.RELATIONSHIP_GROUP_OF, "relationship")
            values = fine.map(C.RELATIONSHIP_GROUP_OF)
        codes = _labels_checked(values, _CROSSWALKS[dim], column)
        top = codes.map(lambda c, d=dim: _CROSSWALKS[d][c][0]).to_numpy()
        sub = codes.map(lambda c, d=dim: _CROSSWALKS[d][c][1] or _REST).to_numpy()
        # Each dimension its own column names: tables that share a column add up.
        paths = list(dict.fromkeys((t, s or _REST) for t, s in _CROSSWALKS[dim].values()))
        tops = list(dict.fromkeys((t,) for t, _ in paths))
        tables[f"{dim}_top"] = table({dim + _TOP: top}, tops)
        tables[f"{dim}_sub"] = table({dim + _TOP: top, dim + _SUB: sub}, paths)
    return tables


def _protected(tables: dict[str, pd.DataFrame], min_count: int) -> dict[str, pd.DataFrame]:
    """The release protected and audited, as :func:`femstat.exports._published` does."""
    from femstat.sdc import audit_disclosure, protect

    out = protect(tables, min_count=min_count)
    audit = audit_disclosure(out, min_count=min_count).attrs["audit"]
    if not audit["passed"]:
        raise ExportError(
            f"refusing to write the table: {audit['n_exposed']} of its {audit['n_hidden']} "
            f"hidden cells can be narrowed to fewer than {min_count} possible values from "
            "what it publishes; write it without a threshold (min_count=1) only if every "
            "count may be published"
        )
    for frame in out.values():
        frame.attrs["protection"] = {**frame.attrs.get("protection", {}), "audit": audit}
    return out


def _population_tables(
    population: pd.DataFrame | float | None, keys: list[str]
) -> tuple[pd.DataFrame | float | None, pd.DataFrame | None]:
    """The population by the keys (or one number), and by the keys and age group."""
    if population is None:
        return None, None
    if not isinstance(population, pd.DataFrame):
        value = float(population)
        if not np.isfinite(value) or value <= 0:
            raise PopulationError(
                f"population must be a positive number, not {population!r}; pass the female "
                "population of the country and year"
            )
        return value, None
    if "population" not in population.columns:
        raise PopulationError(
            f"the population table has no 'population' column (columns: "
            f"{[str(c) for c in population.columns][:10]}); name the female population so"
        )
    absent = [k for k in keys if k not in population.columns]
    if absent:
        raise PopulationError(
            f"the population table has no column {absent} ({len(population):,} rows), and "
            f"the counts are by {keys}; give the female population by {keys}"
        )
    values = pd.to_numeric(population["population"], errors="coerce")
    bad = int((values.isna() | (values <= 0)).sum())
    if bad:
        raise PopulationError(
            f"column 'population' has {bad:,} missing, non-numeric or non-positive value(s) "
            f"of {len(population):,} rows; give every group a positive population"
        )
    frame = pd.DataFrame({k: population[k].astype("object").map(_key_text) for k in keys})
    frame["population"] = values.astype(float).to_numpy()
    by_keys = frame.groupby(keys)["population"].sum().reset_index() if keys else None
    if not keys:
        return float(frame["population"].sum()), None
    by_age = None
    if _AGE in population.columns:
        frame[_AGE] = population[_AGE].astype("object").astype(str).to_numpy()
        by_age = _in_unodc_groups(frame.groupby([*keys, _AGE])["population"].sum().reset_index())
    return by_keys, by_age


def _in_unodc_groups(by_age: pd.DataFrame) -> pd.DataFrame:
    """A population in other bands (five-year, for standardising) summed into UNODC's groups.

    A band across a group boundary (15-19) is shared out by years of age; bands that do
    not tile the ages are left as they are, and the rows they lack are reported later.
    """
    from femstat.ages import UNODC_AGE_GROUPS, regroup

    if set(by_age[_AGE]) <= set(UNODC_AGE_GROUPS.labels):
        return by_age
    try:
        return regroup(by_age, UNODC_AGE_GROUPS, apportion=True)
    except ValueError:
        return by_age


def _key_text(value: Any) -> str:
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def unodc_frame(
    data: pd.DataFrame,
    *,
    iso3: str = "",
    country: str = "",
    region: str = "",
    subregion: str = "",
    year: int | str | None = None,
    source: str = "",
    population: pd.DataFrame | float | None = None,
    per: float = 100_000,
    dimensions: Sequence[str] | None = None,
    min_count: int | None = None,
    rules: RuleSet | None = None,
) -> pd.DataFrame:
    """Female victims of intentional homicide in the layout of UNODC's data portal.

    Parameters
    ----------
    data : pandas.DataFrame
        Classified records (:func:`femstat.classify`; raw or validated records are
        classified with ``rules``) or a count cube (:func:`femstat.counts`) by some of
        ``year``, ``relationship_group`` (or ``relationship``), ``mechanism`` and
        ``age_group`` (the ``"unodc"`` scheme). Other breakdown columns of a cube (an
        ``area``) are summed over: the portal publishes one row per country.
    iso3, country, region, subregion, source : str
        The portal's ``Iso3_code``, ``Country``, ``Region``, ``Subregion`` and ``Source``
        of every row (e.g. ``"MEX"``, ``"Mexico"``, ``"Americas"``,
        ``"Central America"``, ``"CJ"``).
    year : int or str, optional
        ``Year`` when the data have no ``year`` column (then required).
    population : DataFrame or float, optional
        The female population: a ``population`` column keyed by ``year`` (when the data
        have years), or one number. With an ``age_group`` column too (the ``"unodc"``
        groups), the age rows get rates as well. Gives the rate rows.
    per : float, default 100,000
        Rates per this many people (``Unit of measurement`` ``"Rate per 100,000
        population"``).
    dimensions : sequence of {"age", "relationship", "mechanism"}, optional
        The breakdowns to write; by default every one the data can give.
    min_count : int, optional
        The threshold: counts from 1 to ``min_count - 1`` are hidden with their
        complements (default 5); ``1`` publishes every count.
    rules : femstat.RuleSet, optional
        The rule set that classifies unclassified records (default ``UN_2022``).

    Returns
    -------
    pandas.DataFrame
        The columns of :data:`UNODC_COLUMNS`, one value per row, ``Sex`` ``"Female"``:
        the total (``Dimension``, ``Category`` and ``Age`` ``"Total"``), each age group
        (``Age``), each relationship and mechanism category with its sub-levels. ``VALUE``
        is empty where the count is hidden, and ``Suppressed`` says why (``primary`` or
        ``secondary``; empty when published). ``attrs["femstat"]`` holds the metadata.

    Raises
    ------
    femstat.exports.ExportError
        For a table that is no cube or records, a missing year, a value with no UNODC
        category, or a release the disclosure audit refuses.
    femstat.PopulationError
        For a population without the keys or with a non-positive value.
    """
    from femstat import __version__

    cube, dims, provenance = _cube_of(data, dimensions, rules)
    keys = ["year"] if "year" in cube.columns else []
    if keys and year is not None:
        raise ExportError(
            "the data have a 'year' column, and year= was given too; drop year= (each row "
            "takes its year from the data) or count without years"
        )
    if not keys and year is None:
        raise ExportError("the UNODC layout needs a year: count by 'year' or pass year=2023")
    if keys and cube["year"].isna().any():
        raise ExportError(
            f"column 'year' has {int(cube['year'].isna().sum()):,} missing value(s) in the "
            "count cube; fill or drop those records before exporting"
        )
    threshold = DEFAULT_MIN_COUNT if min_count is None else min_count
    pop, pop_by_age = _population_tables(population, keys)
    if isinstance(pop, pd.DataFrame):
        # Checked before the protection is worked out: a missing year fails at once.
        missing = sorted(
            set(cube["year"].astype("object").map(_key_text)) - set(pop["year"]), key=str
        )
        if missing:
            raise PopulationError(
                f"the population has no row for year(s) {missing[:10]}, where the data count "
                "victims; give the female population of every year counted"
            )
    tables = _protected(_release(cube, keys, dims), threshold)
    unit_rate = rate_unit(per)
    fixed = {
        "Iso3_code": iso3,
        "Country": country,
        "Region": region,
        "Subregion": subregion,
        "Indicator": INDICATOR,
        "Sex": FEMALE,
        "Source": source,
    }
    records: list[dict[str, Any]] = []

    def population_of(row: pd.Series, by_age: bool | None) -> float:
        if by_age is None:  # no population can give this row a rate
            return np.nan
        table = pop_by_age if by_age else pop
        if table is None:
            return np.nan
        if isinstance(table, float):
            return table
        match = np.ones(len(table), dtype=bool)
        for k in [*keys, *([_AGE] if by_age else [])]:
            match &= table[k].to_numpy(dtype=object) == _key_text(row[k])
        if not match.any():
            where = {k: _key_text(row[k]) for k in [*keys, *([_AGE] if by_age else [])]}
            raise PopulationError(
                f"the population has no row for {where}, where the data count victims; "
                "give the female population of every year (and age group) counted"
            )
        return float(table.loc[match, "population"].sum())

    def add(row: pd.Series, dimension: str, category: str, age: str, by_age: bool | None) -> None:
        # A missing count is a hidden one even where its mark was lost.
        reason = str(row["suppression"]) or ("primary" if pd.isna(row[_COUNT]) else "")
        hidden = reason != ""
        count = None if hidden else int(row[_COUNT])
        the_year = _key_text(row["year"]) if keys else str(year)
        common = {**fixed, "Dimension": dimension, "Category": category, "Age": age}
        common["Year"] = the_year
        records.append(
            {**common, "Unit of measurement": UNIT_COUNTS, "VALUE": count, "Suppressed": reason}
        )
        people = population_of(row, by_age)
        if np.isfinite(people):
            if people <= 0:
                return
            rate = None if count is None else count / people * per
            records.append(
                {**common, "Unit of measurement": unit_rate, "VALUE": rate, "Suppressed": reason}
            )

    for _, row in tables["total"].iterrows():
        add(row, TOTAL, TOTAL, AGE_TOTAL, by_age=False)
    if "age" in dims:
        for _, row in tables["age"].iterrows():
            label = C.UNODC_AGE_LABELS[str(row[_AGE])]
            # Rates by age need the population by age; an unknown age has none.
            add(row, TOTAL, TOTAL, label, by_age=True if str(row[_AGE]) != "unknown" else None)
    for dim in ("relationship", "mechanism"):
        if dim not in dims:
            continue
        top, sub = tables[f"{dim}_top"], tables[f"{dim}_sub"]
        top_col, sub_col = dim + _TOP, dim + _SUB
        order = list(dict.fromkeys(t for t, _ in _CROSSWALKS[dim].values()))
        subs = list(dict.fromkeys(s for _, s in _CROSSWALKS[dim].values() if s is not None))
        top = top.assign(_o=top[top_col].map(order.index)).sort_values([*keys, "_o"], kind="stable")
        published = sub[sub[sub_col] != _REST]
        published = published.assign(_o=published[sub_col].map(subs.index))
        for _, row in top.iterrows():
            add(row, DIMENSIONS[dim], str(row[top_col]), AGE_TOTAL, by_age=False)
            mine = published[published[top_col] == row[top_col]]
            for k in keys:
                mine = mine[mine[k].astype("object").map(_key_text) == _key_text(row[k])]
            for _, part in mine.sort_values("_o", kind="stable").iterrows():
                add(part, DIMENSIONS[dim], str(part[sub_col]), AGE_TOTAL, by_age=False)
    values = [r["VALUE"] for r in records]
    frame = pd.DataFrame.from_records(records, columns=list(UNODC_COLUMNS))
    # Counts stay whole numbers in the file ("32", not "32.0"); hidden values stay empty.
    frame["VALUE"] = pd.Series(values, dtype=object, index=frame.index)
    frame = frame.sort_values("Year", kind="stable", ignore_index=True)
    audit = next(iter(tables.values())).attrs["protection"]["audit"]
    frame.attrs["femstat"] = {
        "femstat_version": __version__,
        "format": "unodc",
        "layout": "UNODC data portal, intentional homicide victims",
        "dimensions": dims,
        "rules": provenance.get("rules"),
        "per": per,
        "suppression": {"min_count": int(threshold)}
        if threshold != 1
        else {
            "min_count": 1,
            "note": "min_count 1: every count is published, without disclosure control",
        },
        "protection": {"audit": dict(audit)},
    }
    regrouped = pop_by_age.attrs.get("femstat_regroup") if pop_by_age is not None else None
    if regrouped and regrouped["apportioned"] and "age" in dims:
        # A band across a UNODC group (15-19) shared out by years of age: the age rates'
        # denominators are then estimates, which the reader of the file must be told.
        frame.attrs["femstat"]["population"] = {
            "age_groups": "population bands summed into UNODC's age groups",
            "apportioned": list(regrouped["apportioned"]),
            "method": "a band across a group boundary shared out in proportion to its "
            "years of age (femstat.ages.regroup, apportion=True)",
        }
    return frame


def to_unodc(
    data: pd.DataFrame,
    path: str | os.PathLike[str],
    *,
    metadata: Mapping[str, Any] | None = None,
    min_count: int | None = None,
    **kwargs: Any,
) -> Path:
    """Write :func:`unodc_frame` as CSV, with a JSON metadata sidecar.

    Text cells that a spreadsheet would run as formulas get a ``'`` prefixed, as in every
    femstat export (:func:`femstat.exports.neutralise_text`).

    Parameters
    ----------
    data : pandas.DataFrame
        Classified records or a count cube, as for :func:`unodc_frame`.
    path : str or path
        The CSV file (``.unodc.csv`` by convention); the sidecar is
        :func:`femstat.exports.sidecar_path` of it.
    metadata : mapping, optional
        Added to the sidecar.
    min_count : int, optional
        As for :func:`unodc_frame`.
    **kwargs
        The other options of :func:`unodc_frame` (``iso3``, ``country``, ``year``,
        ``population``, ...).

    Returns
    -------
    pathlib.Path
        The CSV file written.
    """
    path = Path(path)
    frame = unodc_frame(data, min_count=min_count, **kwargs)
    meta = {**frame.attrs["femstat"], **dict(metadata or {})}
    meta["columns"] = list(UNODC_COLUMNS)
    plain = frame.copy()
    plain.attrs = {}
    _neutralised(plain).to_csv(path, index=False, lineterminator=_CSV_LINE_END)
    sidecar_path(path).write_text(json.dumps(_json_safe(meta), indent=2) + "\n", encoding="utf-8")
    return path
