"""Death registration records coded with ICD-10.

Mortality microdata carry the underlying cause of death as an ICD-10 code. Deaths by
assault (X85-Y09) and sequelae of assault (Y87.1) are intentional homicide for statistical
purposes; the cause also gives the mechanism and, for Y06 and Y07, the perpetrator.
:func:`read_icd10` turns such a table into femstat's victim table with the decisions of
``mappings/icd10.toml`` (see :func:`femstat.sources.builtin_mapping`), and accepts the
extra fields some certificates have (relationship to the presumed aggressor, pregnancy,
place of injury) through a mapping.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping as AbcMapping
from typing import Any

import numpy as np
import pandas as pd

from femstat.errors import ValidationError
from femstat.sources.mapping import (
    _HINT,
    ColumnMap,
    Mapping,
    MappingError,
    _case,
    _unmapped_line,
    builtin_mapping,
    failure_frame,
    load_mapping,
    records,
)
from femstat.spellings import UNKNOWN_SPELLINGS, normalise

__all__ = ["ICD10_PATTERN", "normalise_icd10", "read_icd10"]

ICD10_PATTERN = re.compile(r"([A-Z][0-9][0-9A-Z])\.?([0-9A-Z]{0,4})")
"""An ICD-10 code: a letter, two characters (the category) and up to four more, with or
without the dot (``X95``, ``X95.0``, ``X950``, ``Y871``)."""

_CAUSE_ENTRIES = {
    "cause_iccs": "iccs_code",
    "cause_group": "icd10_group",
    "cause_mechanism": "mechanism",
    "cause_relationship": "relationship",
    "cause_sexual_violence": "sexual_violence",
}
_SHOWN_ROWS = 5
_SHOWN_VALUES = 10


def normalise_icd10(values: pd.Series) -> tuple[pd.Series, pd.Series, pd.DataFrame]:
    """Put ICD-10 codes in one form, or say which values are not ICD-10 codes.

    Parameters
    ----------
    values : pandas.Series
        Raw causes of death (``"X95.0"``, ``"x950 "``, ``"Y871"``, ...).

    Returns
    -------
    key : pandas.Series
        The code in upper case without the dot (``"X950"``): what the mapping reads.
    display : pandas.Series
        The code written with the dot after the category (``"X95.0"``).
    bad : pandas.DataFrame
        One row per distinct value that is missing or not shaped like an ICD-10 code:
        ``value``, ``n_rows``, ``rows`` (a few 0-based row positions).
    """
    positions, uniques = pd.factorize(values, use_na_sentinel=True)
    keys: list[str | None] = []
    shown: list[str | None] = []
    bad: list[int] = []
    for k, raw in enumerate(uniques):
        match = ICD10_PATTERN.fullmatch(str(raw).strip().upper())
        if match is None:
            bad.append(k)
            keys.append(None)
            shown.append(None)
            continue
        category, rest = match.groups()
        keys.append(category + rest)
        shown.append(f"{category}.{rest}" if rest else category)
    counts = np.bincount(positions[positions >= 0], minlength=len(uniques))
    cases = [
        {
            "value": uniques[k],
            "n_rows": int(counts[k]),
            "rows": np.flatnonzero(positions == k)[:_SHOWN_ROWS].tolist(),
        }
        for k in bad
    ]
    missing = np.flatnonzero(positions < 0)
    if len(missing):
        cases.append(
            {"value": None, "n_rows": len(missing), "rows": missing[:_SHOWN_ROWS].tolist()}
        )
    key_table = np.array([*keys, None], dtype=object)
    shown_table = np.array([*shown, None], dtype=object)
    return (
        pd.Series(key_table[positions], index=values.index, dtype=object),
        pd.Series(shown_table[positions], index=values.index, dtype=object),
        failure_frame(cases, ["value", "n_rows", "rows"]),
    )


def _coding(
    given: ColumnMap | str | AbcMapping[str, Any] | None,
    default: ColumnMap,
    presets: AbcMapping[str, Any],
    source: str,
    what: str,
) -> ColumnMap:
    """The sex or age entry to use: the default, a named preset, a table or an entry."""
    if given is None:
        spec = default
    elif isinstance(given, ColumnMap):
        spec = given
    elif isinstance(given, str):
        if given not in presets:
            raise MappingError(
                f"no preset {given!r} for {what} codes; presets: {sorted(presets)}, or pass "
                "a table {source code: femstat value}"
            )
        spec = ColumnMap.from_dict(default.name, {"to": default.target, "codes": presets[given]})
    elif isinstance(given, AbcMapping):
        body = dict(given)
        if not ({"codes", "unknown", "ranges"} & set(body)):
            body = {"codes": body}
        body.setdefault("to", default.target)
        if body["to"] != default.target:
            raise MappingError(f"{what} codes must feed {default.target!r}")
        spec = ColumnMap.from_dict(default.name, body)
    else:
        raise MappingError(f"{what}_codes must be a preset name, a dict or a ColumnMap")
    return ColumnMap.from_dict(spec.name, {**spec.to_dict(), "source": source})


def read_icd10(
    df: pd.DataFrame,
    *,
    cause: str = "cause",
    sex: str = "sex",
    age: str = "age",
    date: str | None = "date",
    year: str | None = "year",
    id: str | None = None,
    sex_codes: ColumnMap | str | AbcMapping[str, Any] | None = None,
    age_codes: ColumnMap | str | AbcMapping[str, Any] | None = None,
    mapping: Mapping | str | os.PathLike[str] | AbcMapping[str, Any] | None = None,
    cause_mapping: Mapping | str | os.PathLike[str] | AbcMapping[str, Any] | None = None,
) -> pd.DataFrame:
    """Turn death records coded with ICD-10 into femstat's victim table.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per death.
    cause : str, default "cause"
        Column of the underlying cause (``X95``, ``X95.0``, ``X950``, ``Y871``, any case).
    sex, age : str
        Columns of the deceased's sex and age.
    date, year : str or None
        Columns of the date and/or year of death; at least one must be present. Both
        are renamed to femstat's ``date`` and ``year``.
    id : str, optional
        Column of a record identifier, renamed to ``victim_id``.
    sex_codes, age_codes : str, dict or ColumnMap, optional
        How sex and age are coded, replacing the defaults of ``mappings/icd10.toml``
        (spelled sexes such as ``F``/``M``/``mujer``; ages in whole years with ``999``
        and ``-1`` unknown). A dict is a code table (``{"1": "male", "2": "female",
        "9": None}``) or a column entry with ``codes``, ``unknown`` and ``ranges`` (e.g.
        ``{"ranges": [{"min": 4000, "max": 4120, "offset": -4000}], ...}``).
        ``sex_codes="who"`` is the WHO convention 1 male, 2 female, 9 unknown.
    mapping : Mapping, path or dict, optional
        A mapping for the certificate's other fields (relationship to the presumed
        aggressor, pregnancy, place, ...), applied to every column except ``cause``,
        ``sex`` and ``age``.
    cause_mapping : Mapping, path or dict, optional
        Replaces femstat's ``icd10.toml`` (its ``cause_*`` entries).

    Returns
    -------
    pandas.DataFrame
        ``victim_sex``, ``victim_age``, ``iccs_code`` (``"0101"`` for assault, ``"0000"``
        otherwise), ``relationship``, ``mechanism``, ``sexual_violence``, ``date``
        and/or ``year``, ``icd10_cause`` (the code with its dot), ``icd10_group``
        (assault, accident, self_harm, undetermined_intent, legal_intervention, war,
        medical_care, other) and every other column of ``df``. Pass it to
        :func:`femstat.validate` for canonical dtypes.

    Raises
    ------
    femstat.ValidationError
        When a cause is missing or is not shaped like an ICD-10 code, or a sex or age
        code is not in its table: every case, with counts and row positions.

    Notes
    -----
    A certificate field fed by ``mapping`` and a value derived from the cause are
    combined so that the more informative wins: for ``relationship`` and ``mechanism``
    the certificate's value where it is known, the cause's otherwise; for
    ``sexual_violence`` true when either says so (Y05), else the certificate's value.
    """
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"read_icd10 expects a DataFrame, got {type(df).__name__}")
    table = builtin_mapping("icd10") if cause_mapping is None else load_mapping(cause_mapping)
    missing_entries = [e for e in (*_CAUSE_ENTRIES, "sex", "age") if e not in table]
    if missing_entries:
        raise MappingError(
            f"an ICD-10 mapping needs the entries {missing_entries}; start from "
            "femstat.sources.builtin_mapping('icd10').to_dict()"
        )
    cases: list[dict[str, Any]] = []
    lines: list[str] = []
    n = len(df)

    time_columns = [c for c in (date, year) if c is not None and c in df.columns]
    for name in (cause, sex, age):
        if name not in df.columns:
            cases.append(_case(name, "column_present", None, n, []))
            lines.append(f"  - column {name!r} is not in the data")
    if not time_columns:
        wanted = [c for c in (date, year) if c is not None]
        cases.append(_case(" or ".join(wanted) or "date", "column_present", None, n, []))
        lines.append(f"  - neither a date nor a year column ({wanted}) is in the data")
    if cases:
        _raise(cases, lines, n)

    key, shown, bad = normalise_icd10(df[cause])
    if len(bad):
        parts: list[str] = []
        for case in records(bad):
            cases.append(_case(cause, "ICD-10 code", case["value"], case["n_rows"], case["rows"]))
            if len(parts) == _SHOWN_VALUES:
                continue
            rows = ", ".join(map(str, case["rows"]))
            more = ", …" if case["n_rows"] > len(case["rows"]) else ""
            what = "missing" if case["value"] is None else repr(str(case["value"])[:40])
            parts.append(f"{what} in {case['n_rows']:,} row(s) (rows {rows}{more})")
        lines.append(
            f"  - column {cause!r}: not ICD-10 codes (a letter, two characters, optionally "
            f"a dot and up to four more, e.g. X95, X95.0, X950): {'; '.join(parts)}"
        )
    derived: dict[str, pd.Series] = {}
    for entry, target in _CAUSE_ENTRIES.items():
        spec = table[entry]
        if spec.target != target:
            raise MappingError(f"ICD-10 mapping entry [columns.{entry}] must feed {target!r}")
        result = spec.recode(key.rename(spec.source))
        if len(bad):
            continue  # a missing or malformed cause is reported above, not per entry
        derived[target] = result.values
        _collect(spec, result.unmapped, cause, cases, lines)

    presets = table.reader.get("sex_codes", {})
    sex_spec = _coding(sex_codes, table["sex"], presets, sex, "sex")
    age_spec = _coding(age_codes, table["age"], {}, age, "age")
    people: dict[str, pd.Series] = {}
    for spec in (sex_spec, age_spec):
        result = spec.recode(df[spec.source])
        people[spec.target] = result.values
        _collect(spec, result.unmapped, spec.source, cases, lines)

    rest = df.drop(columns=[cause, sex, age])
    renames = {date: "date", year: "year"}
    if id is not None:
        renames[id] = "victim_id"
    rest = rest.rename(columns={k: v for k, v in renames.items() if k is not None})
    if mapping is not None:
        try:
            rest = load_mapping(mapping).apply(rest)
        except ValidationError as exc:
            cases.extend(records(exc.failure_cases))
            lines.extend(str(exc).splitlines()[1:-1])
    if cases:
        _raise(cases, lines, n)

    produced = ["victim_sex", "victim_age", *_CAUSE_ENTRIES.values(), "icd10_cause"]
    clashes = [
        c
        for c in rest.columns
        if c in produced and c not in ("relationship", "mechanism", "sexual_violence")
    ]
    if clashes:
        raise ValidationError(
            f"read_icd10: column(s) {clashes} would be written twice: they come from the "
            "cause, sex and age columns. What to do: rename or drop them first.",
            failure_frame([_case(c, "column not already present", None, 0, []) for c in clashes]),
        )
    combined = {
        "relationship": _prefer_known(rest.get("relationship"), derived["relationship"]),
        "mechanism": _prefer_known(rest.get("mechanism"), derived["mechanism"]),
        "sexual_violence": _true_wins(rest.get("sexual_violence"), derived["sexual_violence"]),
    }
    front = [c for c in ("victim_id", "date", "year") if c in rest.columns]
    out = pd.concat(
        [
            rest[front],
            pd.DataFrame(
                {
                    "victim_sex": people["victim_sex"],
                    "victim_age": people["victim_age"],
                    "iccs_code": derived["iccs_code"],
                    **combined,
                    "icd10_cause": shown,
                    "icd10_group": derived["icd10_group"],
                },
                index=df.index,
            ),
            rest.drop(columns=[*front, *(c for c in combined if c in rest.columns)]),
        ],
        axis=1,
    )
    return out


def _collect(
    spec: ColumnMap,
    unmapped: pd.DataFrame,
    column: str,
    cases: list[dict[str, Any]],
    lines: list[str],
) -> None:
    if not len(unmapped):
        return
    for case in records(unmapped):
        cases.append(
            _case(
                column,
                f"in mapping [columns.{spec.name}]",
                case["value"],
                case["n_rows"],
                case["rows"],
            )
        )
    lines.append(_unmapped_line(spec, unmapped))


def _raise(cases: list[dict[str, Any]], lines: list[str], n: int) -> None:
    hints = [_HINT]
    if any(c["check"] == "ICD-10 code" for c in cases):
        hints.insert(
            0,
            "What to do about causes: correct them, or drop the records whose cause is "
            "missing or not an ICD-10 code before calling read_icd10.",
        )
    message = "\n".join(
        [f"read_icd10: {len(lines)} problem(s) in {n:,} death records:", *lines, *hints]
    )
    raise ValidationError(message, failure_frame(cases))


def _is_known(values: pd.Series) -> np.ndarray:
    """Known values: not empty and not one of the words validation reads as unknown."""
    positions, uniques = pd.factorize(values, use_na_sentinel=True)
    table = np.array([normalise(u) not in UNKNOWN_SPELLINGS for u in uniques] + [False])
    known: np.ndarray = table[positions]
    return known


def _prefer_known(certificate: pd.Series | None, from_cause: pd.Series) -> pd.Series:
    """The certificate's value where it is known, the cause's elsewhere."""
    if certificate is None:
        return from_cause
    known = _is_known(certificate)
    if isinstance(certificate.dtype, pd.CategoricalDtype) and certificate.dtype == from_cause.dtype:
        return from_cause.where(~known, certificate)
    values = np.where(known, certificate.astype(object), from_cause.astype(object))
    return pd.Series(values, index=from_cause.index, name=from_cause.name, dtype=object)


def _true_wins(certificate: pd.Series | None, from_cause: pd.Series) -> pd.Series:
    """True when the cause says so; the certificate's value otherwise."""
    if certificate is None:
        return from_cause
    cause_true = from_cause.fillna(False).to_numpy(dtype=bool)
    if certificate.dtype == "boolean":
        result = certificate.copy()
        result[cause_true] = True
        result.name = from_cause.name
        return result
    values = np.where(cause_true, True, certificate.astype(object))
    return pd.Series(values, index=from_cause.index, name=from_cause.name, dtype=object)
