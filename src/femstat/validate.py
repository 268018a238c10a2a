"""Validation: raw victim microdata to femstat's canonical dtypes.

Each column the victim schema knows is coerced by the kind of variable it is (a code list,
a nullable boolean, an age, the year, the date). Coercion works on the distinct values of a
column, never row by row: a column is factorised once, each distinct spelling is looked up,
and the integer codes are remapped with one ``take``. A column that is already canonical is
passed through untouched, and the input frame is never copied as a whole.

What cannot be mapped is collected (up to a cap) and raised together as
:class:`femstat.ValidationError`; soft inconsistencies are returned in a
:class:`ValidationReport`. Neither ever contains a value of a column femstat does not know,
so free-text fields are never echoed.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any, Literal, overload

import numpy as np
import pandas as pd

from femstat import codes as C
from femstat._arrays import masked_parts
from femstat.errors import DataQualityWarning, FemstatError, ValidationError
from femstat.schemas import MAX_AGE, Variable, perpetrator_variables, victim_variables
from femstat.spellings import (
    BOOLEAN_SPELLINGS,
    GENDERED_RELATIONSHIP_SEX,
    UNKNOWN_SPELLINGS,
    code_spellings,
    normalise,
)

__all__ = ["ValidationReport", "fold_perpetrators", "validate"]

_CODE_LISTS: dict[str, C.CodeList] = {
    "victim_sex": C.SEX,
    "perpetrator_sex": C.SEX,
    "relationship": C.RELATIONSHIP,
    "mechanism": C.MECHANISM,
    "place": C.PLACE,
    "situational_context": C.SITUATIONAL_CONTEXT,
    "victim_citizenship": C.CITIZENSHIP,
    "case_status": C.CASE_STATUS,
    "legal_qualification": C.LEGAL_QUALIFICATION,
}
_SHOWN_ROWS = 5
_SHOWN_VALUE_CHARS = 40
_FAILURE_COLUMNS = ["column", "check", "value", "n_rows", "rows"]
_WARNING_COLUMNS = ["check", "column", "n_rows", "rows", "detail"]


@dataclass
class ValidationReport:
    """What validation noticed without refusing the data.

    Attributes
    ----------
    n_rows : int
        Rows validated.
    warnings : pandas.DataFrame
        Soft consistency problems: ``check``, ``column``, ``n_rows``, ``rows`` (a few
        0-based row positions) and ``detail``.
    added_columns : list of str
        Optional columns that were absent and were added as all-unknown.
    coerced_columns : list of str
        Columns whose dtype or spellings were changed.
    """

    n_rows: int
    warnings: pd.DataFrame
    added_columns: list[str] = field(default_factory=list)
    coerced_columns: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        lines = [f"femstat validation: {self.n_rows:,} rows"]
        if self.coerced_columns:
            lines.append(f"  coerced to canonical form: {', '.join(self.coerced_columns)}")
        if self.added_columns:
            lines.append(f"  absent, added as unknown: {', '.join(self.added_columns)}")
        if self.warnings.empty:
            lines.append("  no data-quality warnings")
        for w in self.warnings.itertuples(index=False):
            lines.append(f"  warning [{w.check}] {w.column}: {w.n_rows:,} rows — {w.detail}")
        return "\n".join(lines)


class _Collector:
    """Collects failure cases up to a cap; the cap bounds the work on very dirty data."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.cases: list[dict[str, Any]] = []
        self.truncated = False

    def add(
        self, column: str, check: str, value: object, n_rows: int, rows: np.ndarray | list[int]
    ) -> None:
        if len(self.cases) >= self.cap:
            self.truncated = True
            return
        shown = value
        if isinstance(value, str) and len(value) > _SHOWN_VALUE_CHARS:
            shown = value[:_SHOWN_VALUE_CHARS] + "…"
        self.cases.append(
            {
                "column": column,
                "check": check,
                "value": shown,
                "n_rows": int(n_rows),
                "rows": [int(r) for r in list(rows)[:_SHOWN_ROWS]],
            }
        )

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.cases, columns=_FAILURE_COLUMNS)


def _factorize(series: pd.Series) -> tuple[np.ndarray, pd.Index]:
    if isinstance(series.dtype, pd.CategoricalDtype):
        return series.cat.codes.to_numpy(), series.cat.categories
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    return codes, pd.Index(uniques)


def _rows_of(codes: np.ndarray, k: int) -> np.ndarray:
    return np.flatnonzero(codes == k)[:_SHOWN_ROWS]


def _hint_mapping(column: str, value: object) -> str:
    # An `unknown` list adds to the spellings validate accepts; a `codes` table would
    # replace them, so the hint shows the form that cannot break the other values.
    return f"mapping={{'columns': {{'{column}': {{'unknown': [{value!r}]}}}}}}"


def _coerce_codes(
    series: pd.Series,
    column: str,
    code_list: C.CodeList,
    failures: _Collector,
) -> tuple[pd.Series, bool, dict[str, np.ndarray]]:
    """Coerce to the code list's Categorical; returns (series, changed, gendered hits)."""
    dtype = code_list.dtype
    if series.dtype == dtype:
        return series, False, {}
    in_codes, uniques = _factorize(series)
    table = code_spellings(code_list)
    target = np.empty(len(uniques) + 1, dtype=np.int16)
    unknown = -1 if code_list.unknown is None else code_list.code_of(code_list.unknown)
    target[-1] = unknown  # position -1 is where missing values land
    bad: list[int] = []
    gendered: dict[str, list[int]] = {}
    for k, raw in enumerate(uniques):
        key = normalise(raw)
        code = table.get(key)
        if code is None:
            target[k] = -1
            bad.append(k)
        else:
            target[k] = code_list.code_of(code)
            if column == "relationship" and key in GENDERED_RELATIONSHIP_SEX:
                gendered.setdefault(GENDERED_RELATIONSHIP_SEX[key], []).append(k)
    if unknown == -1 and (in_codes == -1).any():
        missing = np.flatnonzero(in_codes == -1)
        failures.add(column, "not_null", None, len(missing), missing)
    if bad:
        counts = np.bincount(in_codes[in_codes >= 0], minlength=len(uniques))
        for k in bad:
            failures.add(
                column, f"in {code_list.name} codes", uniques[k], counts[k], _rows_of(in_codes, k)
            )
    new_codes = target[in_codes]
    out = pd.Series(
        pd.Categorical.from_codes(np.where(new_codes < 0, -1, new_codes), dtype=dtype),
        index=series.index,
        name=column,
    )
    gendered_rows = {sex: np.isin(in_codes, np.asarray(ks)) for sex, ks in gendered.items()}
    return out, True, gendered_rows


def _coerce_boolean(series: pd.Series, column: str, failures: _Collector) -> tuple[pd.Series, bool]:
    if series.dtype == "boolean":
        return series, False
    if series.dtype == bool:
        return series.astype("boolean"), True
    in_codes, uniques = _factorize(series)
    values = np.zeros(len(uniques) + 1, dtype=bool)
    mask = np.ones(len(uniques) + 1, dtype=bool)
    bad: list[int] = []
    for k, raw in enumerate(uniques):
        if isinstance(raw, bool | np.bool_):
            values[k], mask[k] = bool(raw), False
            continue
        key = normalise(raw)
        if key in BOOLEAN_SPELLINGS:
            values[k], mask[k] = BOOLEAN_SPELLINGS[key], False
        elif key not in UNKNOWN_SPELLINGS:
            bad.append(k)
    if bad:
        counts = np.bincount(in_codes[in_codes >= 0], minlength=len(uniques))
        for k in bad:
            failures.add(column, "boolean", uniques[k], counts[k], _rows_of(in_codes, k))
    array = pd.arrays.BooleanArray(values[in_codes], mask[in_codes])
    return pd.Series(array, index=series.index, name=column), True


def _to_numeric(
    series: pd.Series, column: str, failures: _Collector
) -> tuple[np.ndarray, np.ndarray]:
    """Return float values and a missing mask; non-numeric spellings are failures."""
    if pd.api.types.is_bool_dtype(series.dtype):
        failures.add(column, "numeric", f"<{series.dtype} column>", len(series), [])
        return np.zeros(len(series)), np.ones(len(series), dtype=bool)
    if pd.api.types.is_numeric_dtype(series.dtype):
        values = series.to_numpy(dtype="float64", na_value=np.nan)
        return values, np.isnan(values)
    in_codes, uniques = _factorize(series)
    parsed = np.full(len(uniques) + 1, np.nan)
    bad: list[int] = []
    for k, raw in enumerate(uniques):
        key = normalise(raw)
        if key in UNKNOWN_SPELLINGS:
            continue
        try:
            parsed[k] = float(key)
        except ValueError:
            bad.append(k)
    if bad:
        counts = np.bincount(in_codes[in_codes >= 0], minlength=len(uniques))
        for k in bad:
            failures.add(column, "numeric", uniques[k], counts[k], _rows_of(in_codes, k))
    values = parsed[in_codes]
    return values, np.isnan(values)


def _coerce_age(
    series: pd.Series, column: str, failures: _Collector
) -> tuple[pd.Series, bool, np.ndarray]:
    """Coerce to Int16 whole years; returns (series, changed, mask of ages over MAX_AGE)."""
    if series.dtype == "Int16":
        values, missing = masked_parts(series)
        changed = False
    else:
        floats, missing = _to_numeric(series, column, failures)
        present = ~missing
        fractional = present & (np.floor(floats) != floats)
        if fractional.any():
            where = np.flatnonzero(fractional)
            for value in np.unique(floats[where])[:10]:
                rows = where[floats[where] == value]
                failures.add(column, "whole years", float(value), len(rows), rows)
        clipped = np.where(present & ~fractional, floats, 0)
        too_big = clipped > np.iinfo(np.int16).max
        if too_big.any():
            rows = np.flatnonzero(too_big)
            failures.add(column, "<= 32767", float(clipped[rows[0]]), len(rows), rows)
            clipped = np.where(too_big, 0, clipped)
        values = clipped.astype(np.int16)
        missing = missing | fractional
        changed = True
    negative = (values < 0) & ~missing
    if negative.any():
        rows = np.flatnonzero(negative)
        for value in np.unique(values[rows])[:10]:
            value_rows = rows[values[rows] == value]
            failures.add(column, ">= 0", int(value), len(value_rows), value_rows)
    over = (values > MAX_AGE) & ~missing
    if changed:
        series = pd.Series(
            pd.arrays.IntegerArray(values, missing.copy()), index=series.index, name=column
        )
    return series, changed, over


def _coerce_year(series: pd.Series, failures: _Collector) -> tuple[pd.Series, bool]:
    if series.dtype == "Int16" and not series.isna().any():
        return series, False
    floats, missing = _to_numeric(series, "year", failures)
    if missing.any():
        rows = np.flatnonzero(missing)
        failures.add("year", "not_null", None, len(rows), rows)
    bad = ~missing & ((floats != np.floor(floats)) | (floats < 1800) | (floats > 2200))
    if bad.any():
        rows = np.flatnonzero(bad)
        for value in np.unique(floats[rows])[:10]:
            value_rows = rows[floats[rows] == value]
            failures.add(
                "year", "whole year in 1800-2200", float(value), len(value_rows), value_rows
            )
    values = np.where(missing | bad, 0, floats).astype(np.int16)
    return pd.Series(
        pd.arrays.IntegerArray(values, missing | bad), index=series.index, name="year"
    ), True


def _coerce_date(series: pd.Series, failures: _Collector) -> tuple[pd.Series, bool]:
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        return series, False
    parsed = pd.to_datetime(series, errors="coerce", format="mixed")
    unparsable = parsed.isna().to_numpy() & series.notna().to_numpy()
    if unparsable.any():
        in_codes, uniques = _factorize(series[unparsable])
        positions = np.flatnonzero(unparsable)
        counts = np.bincount(in_codes[in_codes >= 0], minlength=len(uniques))
        for k, raw in enumerate(uniques):
            if normalise(raw) in UNKNOWN_SPELLINGS:
                continue
            failures.add("date", "date", raw, counts[k], positions[in_codes == k])
    return parsed.rename("date"), True


def _coerce_iccs(series: pd.Series, failures: _Collector) -> tuple[pd.Series, bool]:
    in_codes, uniques = _factorize(series)
    numeric = pd.api.types.is_numeric_dtype(series.dtype)
    texts: list[str] = []
    for k, raw in enumerate(uniques):
        text = normalise(raw)
        if text.isdigit() and len(text) == 3:
            text = "0" + text  # 101 is 0101 read as a number: no ICCS code has 3 digits
        elif numeric:
            # 1011 could be 01011 or a section-10 code: only text keeps ICCS codes exact.
            failures.add(
                "iccs_code",
                "ICCS code as text (leading zeros lost)",
                raw,
                int((in_codes == k).sum()),
                _rows_of(in_codes, k),
            )
        if not (text.isdigit() and 4 <= len(text) <= 6):
            failures.add(
                "iccs_code",
                "ICCS code of 4-6 digits",
                raw,
                int((in_codes == k).sum()),
                _rows_of(in_codes, k),
            )
        texts.append(text)
    if (in_codes == -1).any():
        rows = np.flatnonzero(in_codes == -1)
        failures.add("iccs_code", "not_null", None, len(rows), rows)
    categories = pd.Index(texts)
    if categories.has_duplicates:
        unique_texts = list(dict.fromkeys(texts))
        remap = np.array([unique_texts.index(t) for t in texts] + [-1], dtype=np.int32)
        in_codes = remap[in_codes]
        categories = pd.Index(unique_texts)
    if len(categories) == 0:
        categories = pd.Index([], dtype="str")
    dtype = pd.CategoricalDtype(categories.astype("str"))
    if series.dtype == dtype:
        return series, False
    return pd.Series(
        pd.Categorical.from_codes(in_codes, dtype=dtype), index=series.index, name="iccs_code"
    ), True


def _coerce_area(series: pd.Series) -> tuple[pd.Series, bool]:
    if isinstance(series.dtype, pd.CategoricalDtype) and not series.isna().any():
        return series, False
    as_text = series.astype("str").where(series.notna(), "unknown")
    return as_text.astype("category").rename("area"), True


def _unknown_column(var: Variable, n: int, index: pd.Index) -> pd.Series:
    if var.kind == "code":
        code_list = _CODE_LISTS[var.name]
        assert code_list.unknown is not None
        codes = np.full(n, code_list.code_of(code_list.unknown), dtype=np.int8)
        return pd.Series(
            pd.Categorical.from_codes(codes, dtype=code_list.dtype), index=index, name=var.name
        )
    if var.kind == "boolean":
        return pd.Series(
            pd.arrays.BooleanArray(np.zeros(n, dtype=bool), np.ones(n, dtype=bool)),
            index=index,
            name=var.name,
        )
    if var.kind == "integer":
        return pd.Series(
            pd.arrays.IntegerArray(np.zeros(n, dtype=np.int16), np.ones(n, dtype=bool)),
            index=index,
            name=var.name,
        )
    raise AssertionError(f"no unknown form for {var.name}")  # pragma: no cover


def _case_lines(failures: pd.DataFrame) -> list[str]:
    """One line of an error message per failure case (column, check, value, rows)."""
    lines = []
    for case in failures.to_dict("records"):
        shown: list[int] = list(case["rows"])
        rows = ", ".join(map(str, shown))
        more = "" if case["n_rows"] <= len(shown) else ", …"
        where = f" (rows {rows}{more})" if rows else ""
        value = "" if case["value"] is None else f" value {case['value']!r}"
        lines.append(
            f"  - column {case['column']!r}, check {case['check']!r}:{value} in "
            f"{case['n_rows']:,} row(s){where}"
        )
    return lines


def _message(failures: pd.DataFrame, truncated: bool, n_rows: int, table: str) -> str:
    lines = [
        f"femstat cannot use this {table} table ({n_rows:,} rows): "
        f"{len(failures)} problem(s){' (list truncated)' if truncated else ''}",
        *_case_lines(failures),
        _hint(failures),
    ]
    return "\n".join(lines)


def _hint(failures: pd.DataFrame) -> str:
    """The "What to do" line of a validation error."""
    first = failures.iloc[0]
    hint = (
        "What to do: recode these values to femstat's codes (femstat.codes lists them), "
        "or describe your coding with a mapping (a TOML file or dict, see the docs on "
        "source readers); if a value means 'not known', say so, e.g. "
        f"{_hint_mapping(first['column'], first['value'])}; see e.failure_cases for every case."
    )
    if "column_present" in set(failures["check"]):
        hint = (
            "What to do: add or rename the missing column(s) "
            f"{', '.join(failures.loc[failures['check'] == 'column_present', 'column'])}; "
            "the victim table needs victim_sex, victim_age, relationship and year or date."
        )
    return hint


def _raise_if_failed(failures: _Collector, n_rows: int, table: str) -> None:
    if failures.cases:
        frame = failures.frame()
        raise ValidationError(
            _message(frame, failures.truncated, n_rows, table),
            frame,
            hint=_hint(frame),
            truncated=failures.truncated,
        )


def _coerce_table(
    df: pd.DataFrame,
    variables: dict[str, Variable],
    failures: _Collector,
    report: ValidationReport,
    *,
    lazy: bool,
    table: str,
) -> tuple[pd.DataFrame, dict[str, np.ndarray], np.ndarray | None]:
    """Coerce every known column of ``df``; returns (frame, gendered rows, ages over max)."""
    out = df.copy(deep=False)
    gendered: dict[str, np.ndarray] = {}
    over_age: np.ndarray | None = None
    for name, var in variables.items():
        if name not in out.columns:
            continue
        series = out[name]
        changed = False
        if var.kind == "code":
            series, changed, hits = _coerce_codes(series, name, _CODE_LISTS[name], failures)
            gendered.update(hits)
        elif var.kind == "boolean":
            series, changed = _coerce_boolean(series, name, failures)
        elif var.kind == "integer":
            series, changed, over = _coerce_age(series, name, failures)
            if name == "victim_age":
                over_age = over
        elif var.kind == "year":
            series, changed = _coerce_year(series, failures)
        elif var.kind == "date":
            series, changed = _coerce_date(series, failures)
        elif name == "iccs_code":
            series, changed = _coerce_iccs(series, failures)
        elif name == "area":
            series, changed = _coerce_area(series)
        if changed:
            out[name] = series
            report.coerced_columns.append(name)
        if not lazy:
            _raise_if_failed(failures, len(df), table)
    return out, gendered, over_age


def _check_ids(ids: pd.Series, failures: _Collector) -> None:
    if ids.dtype.kind in "iu":
        values = ids.to_numpy()
        if len(values) < 2 or bool((values[1:] > values[:-1]).all()):
            return  # strictly increasing integers: unique without hashing every id
    missing = ids.isna().to_numpy()
    if missing.any():
        rows = np.flatnonzero(missing)
        failures.add("victim_id", "not_null", None, len(rows), rows)
    duplicated = ids.duplicated(keep=False).to_numpy() & ~missing
    if duplicated.any():
        dup_rows = np.flatnonzero(duplicated)
        by_value = pd.Series(dup_rows, index=ids.iloc[dup_rows].to_numpy())
        for value, positions in by_value.groupby(level=0, sort=True):
            failures.add("victim_id", "unique", value, len(positions), positions.to_numpy())
            if failures.truncated:
                break


def _soft_checks(
    out: pd.DataFrame,
    gendered: dict[str, np.ndarray],
    over_age: np.ndarray | None,
) -> pd.DataFrame:
    rows: list[dict[str, Any]] = []

    def note(check: str, column: str, mask: np.ndarray, detail: str) -> None:
        if mask.any():
            where = np.flatnonzero(mask)
            rows.append(
                {
                    "check": check,
                    "column": column,
                    "n_rows": len(where),
                    "rows": where[:_SHOWN_ROWS].tolist(),
                    "detail": detail,
                }
            )

    rel_codes = out["relationship"].cat.codes.to_numpy()
    if "prior_violence" in out.columns:
        stranger = rel_codes == C.RELATIONSHIP.code_of("stranger")
        prior = out["prior_violence"].fillna(False).to_numpy(dtype=bool)
        note(
            "stranger_with_prior_violence",
            "relationship, prior_violence",
            stranger & prior,
            "perpetrator coded as a stranger but prior violence by the perpetrator is true; "
            "classified other_perpetrator as the framework says",
        )
    if gendered and "perpetrator_sex" in out.columns:
        sex_codes = out["perpetrator_sex"].cat.codes.to_numpy()
        for stated, mask in gendered.items():
            other = "male" if stated == "female" else "female"
            note(
                "relationship_contradicts_sex",
                "relationship, perpetrator_sex",
                mask & (sex_codes == C.SEX.code_of(other)),
                f"relationship spelled as a {stated} relative or partner, perpetrator_sex "
                f"is {other}; still classified by the relationship",
            )
    if over_age is not None:
        note(
            "age_over_120",
            "victim_age",
            over_age,
            f"age above {MAX_AGE}; if this is a code for 'unknown' (e.g. 999), pass a "
            "mapping that says so",
        )
    if "date" in out.columns and "year" in out.columns and out["date"].notna().any():
        date_year = out["date"].dt.year.to_numpy(dtype="float64", na_value=np.nan)
        year = out["year"].to_numpy(dtype="float64", na_value=np.nan)
        note(
            "year_differs_from_date",
            "year, date",
            ~np.isnan(date_year) & (date_year != year),
            "year is not the year of the date; counts use year",
        )
    return pd.DataFrame(rows, columns=_WARNING_COLUMNS)


def fold_perpetrators(victims: pd.DataFrame, perpetrators: pd.DataFrame) -> pd.DataFrame:
    """Fold a validated perpetrator table into the victim table.

    Applies femstat's multiple-perpetrator rule: the victim-level ``relationship`` is the
    closest one among her perpetrators (intimate partner, then family member, then
    unknown, then other known, then stranger; within a group the first in the code list),
    ``perpetrator_sex`` and
    ``perpetrator_age`` are those of that closest perpetrator, and ``prior_violence`` is
    true if it is true for any perpetrator, false if false for all, otherwise unknown.
    Adds ``n_perpetrators``. Victims without perpetrator rows keep their own values.

    Parameters
    ----------
    victims, perpetrators : pandas.DataFrame
        Canonical tables, joined on ``victim_id``.

    Returns
    -------
    pandas.DataFrame
        The victim table with the folded columns replaced.
    """
    group_of = np.array(
        [C.RELATIONSHIP_CLOSENESS.index(C.RELATIONSHIP_GROUP_OF[c]) for c in C.RELATIONSHIP],
        dtype=np.int8,
    )
    rel_codes = perpetrators["relationship"].cat.codes.to_numpy()
    # Closest group first; within a group, the code list's order (current before former
    # partner), so the result does not depend on the order perpetrators are listed in.
    order = pd.DataFrame(
        {
            "victim_id": perpetrators["victim_id"].to_numpy(),
            "rank": group_of[rel_codes],
            "code": rel_codes,
            "position": np.arange(len(perpetrators)),
        }
    ).sort_values(["victim_id", "rank", "code", "position"], kind="stable")
    closest = order.drop_duplicates("victim_id", keep="first")
    position = victims["victim_id"].map(
        pd.Series(closest["position"].to_numpy(), index=closest["victim_id"].to_numpy())
    )
    has = position.notna().to_numpy()
    take = position.to_numpy(dtype="float64", na_value=np.nan)[has].astype(np.int64)
    rows = np.flatnonzero(has)
    out = victims.copy(deep=False)
    for name in ("relationship", "perpetrator_sex", "perpetrator_age"):
        if name in perpetrators.columns and name in out.columns:
            column = out[name].copy()
            column.iloc[rows] = perpetrators[name].iloc[take].to_numpy()
            out[name] = column
    if "prior_violence" in perpetrators.columns:
        pv = perpetrators["prior_violence"]
        flags = (
            pd.DataFrame(
                {"true": pv.fillna(False).to_numpy(dtype=bool), "unknown": pv.isna().to_numpy()}
            )
            .groupby(perpetrators["victim_id"].to_numpy(), sort=False)
            .any()
            .reindex(out["victim_id"].to_numpy(), fill_value=False)
        )
        any_true = flags["true"].to_numpy(dtype=bool)
        any_unknown = flags["unknown"].to_numpy(dtype=bool)
        values, missing = (part.copy() for part in masked_parts(out["prior_violence"]))
        values[rows] = any_true[rows]
        missing[rows] = ~any_true[rows] & any_unknown[rows]
        out["prior_violence"] = pd.Series(
            pd.arrays.BooleanArray(values, missing), index=out.index, name="prior_violence"
        )
    counts = perpetrators["victim_id"].value_counts()
    out["n_perpetrators"] = out["victim_id"].map(counts).fillna(0).astype("Int16")
    return out


@overload
def validate(
    df: pd.DataFrame,
    *,
    perpetrators: pd.DataFrame | None = ...,
    mapping: Any = ...,
    lazy: bool = ...,
    report: Literal[False] = ...,
    max_failure_cases: int = ...,
) -> pd.DataFrame: ...


@overload
def validate(
    df: pd.DataFrame,
    *,
    perpetrators: pd.DataFrame | None = ...,
    mapping: Any = ...,
    lazy: bool = ...,
    report: Literal[True],
    max_failure_cases: int = ...,
) -> tuple[pd.DataFrame, ValidationReport]: ...


def validate(
    df: pd.DataFrame,
    *,
    perpetrators: pd.DataFrame | None = None,
    mapping: Any = None,
    lazy: bool = True,
    report: bool = False,
    max_failure_cases: int = 100,
) -> pd.DataFrame | tuple[pd.DataFrame, ValidationReport]:
    """Coerce victim microdata to femstat's canonical form, or say exactly what is wrong.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per victim, with at least ``victim_sex``, ``victim_age``, ``relationship``
        and ``year`` or ``date`` (framework section 4). Unknown extra columns pass through.
    perpetrators : pandas.DataFrame, optional
        One row per victim-perpetrator pair, folded in by the multiple-perpetrator rule
        (see :func:`fold_perpetrators`). Needs ``victim_id`` in both tables.
    mapping : Mapping, path or dict, optional
        A source coding (see :mod:`femstat.sources.mapping`), applied before coercion.
    lazy : bool, default True
        Collect every problem before raising; ``False`` raises after the first column
        with a problem.
    report : bool, default False
        Also return a :class:`ValidationReport`. When ``False``, soft problems are
        emitted as one :class:`femstat.DataQualityWarning`.
    max_failure_cases : int, default 100
        Stop collecting failure cases after this many.

    Returns
    -------
    pandas.DataFrame or (pandas.DataFrame, ValidationReport)
        A new frame sharing unchanged columns with ``df``: code columns as Categoricals
        with the declared categories, criteria and other flags as nullable booleans, ages
        as ``Int16``, ``year`` as ``Int16`` (derived from ``date`` when absent). Absent
        optional columns are added as all-unknown.

    Raises
    ------
    femstat.ValidationError
        With a ``failure_cases`` table, when a value cannot be mapped, a required column
        is missing, an id repeats, or the frame is empty.
    """
    if not isinstance(df, pd.DataFrame):
        raise _NotAFrame(f"validate expects a pandas DataFrame, got {type(df).__name__}")
    failures = _Collector(max_failure_cases)
    if mapping is not None:
        from femstat.sources.mapping import load_mapping

        df = load_mapping(mapping).apply(df)
    if len(df) == 0:
        failures.add("<table>", "not_empty", None, 0, [])
        _raise_if_failed(failures, 0, "victim")
    missing_required = [
        c for c in ("victim_sex", "victim_age", "relationship") if c not in df.columns
    ]
    if "year" not in df.columns and "date" not in df.columns:
        missing_required.append("year")
    for name in missing_required:
        failures.add(name, "column_present", None, len(df), [])
    _raise_if_failed(failures, len(df), "victim")

    variables = victim_variables()
    result = ValidationReport(n_rows=len(df), warnings=pd.DataFrame(columns=_WARNING_COLUMNS))
    out, gendered, over_age = _coerce_table(
        df, variables, failures, result, lazy=lazy, table="victim"
    )
    if "victim_id" in out.columns:
        _check_ids(out["victim_id"], failures)
    _raise_if_failed(failures, len(df), "victim")

    if "year" not in out.columns:
        years = out["date"].dt.year
        if years.isna().any():
            rows = np.flatnonzero(years.isna().to_numpy())
            failures.add("date", "not_null (needed for year)", None, len(rows), rows)
            _raise_if_failed(failures, len(df), "victim")
        out["year"] = years.astype("Int16")
    for name, var in variables.items():
        if name not in out.columns and var.kind in ("code", "boolean", "integer"):
            out[name] = _unknown_column(var, len(out), out.index)
            result.added_columns.append(name)

    if perpetrators is not None:
        out = _fold(out, perpetrators, max_failure_cases)

    result.warnings = _soft_checks(out, gendered, over_age)
    if report:
        return out, result
    if not result.warnings.empty:
        warnings.warn(
            "femstat data-quality warnings:\n"
            + "\n".join(
                f"  [{w.check}] {w.n_rows:,} rows: {w.detail}"
                for w in result.warnings.itertuples(index=False)
            )
            + "\nCall femstat.validate(..., report=True) for the row positions.",
            DataQualityWarning,
            stacklevel=2,
        )
    return out


def _fold(victims: pd.DataFrame, perpetrators: pd.DataFrame, cap: int) -> pd.DataFrame:
    failures = _Collector(cap)
    if "victim_id" not in victims.columns:
        failures.add("victim_id", "column_present", None, len(victims), [])
    missing = [c for c in ("victim_id", "relationship") if c not in perpetrators.columns]
    for name in missing:
        failures.add(name, "column_present (perpetrators)", None, len(perpetrators), [])
    _raise_if_failed(failures, len(perpetrators), "perpetrator")
    variables = perpetrator_variables()
    scratch = ValidationReport(n_rows=len(perpetrators), warnings=pd.DataFrame())
    perps, _, _ = _coerce_table(
        perpetrators, variables, failures, scratch, lazy=True, table="perpetrator"
    )
    unknown_victims = ~perps["victim_id"].isin(victims["victim_id"]).to_numpy()
    if unknown_victims.any():
        rows = np.flatnonzero(unknown_victims)
        failures.add("victim_id", "exists in victim table", None, len(rows), rows)
    _raise_if_failed(failures, len(perpetrators), "perpetrator")
    return fold_perpetrators(victims, perps)


class _NotAFrame(FemstatError, TypeError):
    pass
