"""Validation: raw victim microdata to femstat's canonical dtypes.

Each column the victim schema knows is coerced by the kind of variable it is (a code list,
a nullable boolean, an age, the year, the date). Coercion works on the distinct values of a
column, never row by row: a column is factorised once, each distinct spelling is looked up,
and the integer codes are remapped with one ``take``. A column that is already canonical is
passed through untouched, and the input frame is never copied as a whole.

No value is changed on the quiet: a value is read exactly as written, under the rules of
the documentation's "Validation rules" page, or refused. What cannot be read is collected
(up to a cap) and raised together as :class:`femstat.ValidationError`; soft
inconsistencies are returned in a :class:`ValidationReport`. Neither ever contains a value
of a column femstat does not know (free text) or of an identifying column (``victim_id``,
``event_id``): those are reported by row.
"""

from __future__ import annotations

import datetime
import math
import re
import warnings
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal, overload

import numpy as np
import pandas as pd

from femstat import codes as C
from femstat._arrays import masked_parts
from femstat.errors import DataQualityWarning, FemstatError, ValidationError
from femstat.schemas import (
    MAX_AGE,
    MAX_ORPHANS,
    MAX_YEAR,
    MIN_YEAR,
    Variable,
    is_sensitive,
    perpetrator_variables,
    victim_variables,
)
from femstat.spellings import (
    BOOLEAN_SPELLINGS,
    GENDERED_RELATIONSHIP_SEX,
    UNKNOWN_SPELLINGS,
    canonical_text,
    code_spellings,
    is_iccs_code,
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
    "victim_gender_identity": C.GENDER_IDENTITY,
}
WITHHELD = "<withheld>"
"""What failure cases show instead of a value of an identifying column."""
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
    assumptions : list of str
        What validation took as given for every record, in words: when ``iccs_code`` is
        absent, that every record is ICCS 0101 (completed intentional homicide).
    """

    n_rows: int
    warnings: pd.DataFrame
    added_columns: list[str] = field(default_factory=list)
    coerced_columns: list[str] = field(default_factory=list)
    assumptions: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        lines = [f"femstat validation: {self.n_rows:,} rows"]
        if self.coerced_columns:
            lines.append(f"  coerced to canonical form: {', '.join(self.coerced_columns)}")
        if self.added_columns:
            lines.append(f"  absent, added as unknown: {', '.join(self.added_columns)}")
        for assumption in self.assumptions:
            lines.append(f"  assumed: {assumption}")
        if self.warnings.empty:
            lines.append("  no data-quality warnings")
        for w in self.warnings.itertuples(index=False):
            lines.append(f"  warning [{w.check}] {w.column}: {w.n_rows:,} rows — {w.detail}")
        return "\n".join(lines)


class _Collector:
    """Collects failure cases up to a cap; the cap bounds the work on very dirty data.

    A value of an identifying column (:func:`femstat.schemas.is_sensitive`) is never
    stored: the case keeps its rows and shows :data:`WITHHELD` as its value.
    """

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
        if is_sensitive(column) and value is not None:
            shown = WITHHELD
        elif isinstance(value, str) and len(value) > _SHOWN_VALUE_CHARS:
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
        frame = pd.DataFrame(self.cases, columns=_FAILURE_COLUMNS)
        # Values of every type side by side: never let pandas infer a common dtype.
        frame["value"] = pd.Series([c["value"] for c in self.cases], dtype=object)
        return frame


def _factorize(series: pd.Series) -> tuple[np.ndarray, pd.Index]:
    if isinstance(series.dtype, pd.CategoricalDtype):
        return series.cat.codes.to_numpy(), series.cat.categories
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    return codes, pd.Index(uniques)


def _n_of(codes: np.ndarray, k: int) -> int:
    """How many rows hold distinct value ``k``; counted only for a failure, so that valid
    data is not read once more."""
    return int(np.count_nonzero(codes == k))


def _rows_of(codes: np.ndarray, k: int) -> np.ndarray:
    return np.flatnonzero(codes == k)[:_SHOWN_ROWS]


def _unhashable_rows(series: pd.Series) -> np.ndarray:
    """Positions of cells that are containers (lists, dicts, sets, arrays), not values."""

    def unhashable(value: object) -> bool:
        try:
            hash(value)
        except TypeError:
            return True
        return False

    return np.flatnonzero([unhashable(v) for v in series.to_numpy(dtype=object)])


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
    if code_list.is_dtype_of(series):
        return series, False, {}
    in_codes, uniques = _factorize(series)
    table = code_spellings(code_list)
    target = np.empty(len(uniques) + 1, dtype=np.int16)
    unknown = -1 if code_list.unknown is None else code_list.code_of(code_list.unknown)
    target[-1] = unknown  # position -1 is where missing values land
    bad: list[int] = []
    gendered: dict[str, list[int]] = {}
    for k, raw in enumerate(uniques):
        # Only text is a spelling: True is not "t" and b"F" is not "f".
        key = normalise(raw) if isinstance(raw, str) else ""
        code = table.get(key) if isinstance(raw, str) else None
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
        number = _number_of(raw) if not isinstance(raw, str) else None
        key = normalise(raw) if isinstance(raw, str) else None
        if number is not None and number is not _NOT_A_NUMBER and number in (0, 1):
            values[k], mask[k] = bool(number), False  # 1 and 0, 1.0 and 0.0 from a number column
        elif key is not None and key in BOOLEAN_SPELLINGS:
            values[k], mask[k] = BOOLEAN_SPELLINGS[key], False
        elif key is None or key not in UNKNOWN_SPELLINGS:
            bad.append(k)
    if bad:
        counts = np.bincount(in_codes[in_codes >= 0], minlength=len(uniques))
        for k in bad:
            failures.add(column, "boolean", uniques[k], counts[k], _rows_of(in_codes, k))
    array = pd.arrays.BooleanArray(values[in_codes], mask[in_codes])
    return pd.Series(array, index=series.index, name=column), True


class _NotANumber:
    """Marks a value that is no number at all (text, a bool, a date)."""


_NOT_A_NUMBER = _NotANumber()
_DECIMAL = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)", re.ASCII)


def _number_of(raw: object) -> int | float | _NotANumber | None:
    """The number a raw cell holds, None when it is missing or an unknown spelling.

    Text is a number only when it is written as one, in ASCII digits after NFKC (so
    ``"３０"`` is 30): ``"inf"``, ``"1e2"``, ``"1_000"`` and ``"-nan"`` are not numbers.
    Booleans are never numbers, although Python counts ``True`` as 1.
    """
    if isinstance(raw, bool | np.bool_):
        return _NOT_A_NUMBER
    if isinstance(raw, int | np.integer):
        return int(raw)
    if isinstance(raw, float | np.floating):
        return None if math.isnan(raw) else float(raw)
    if isinstance(raw, Decimal):
        if raw.is_nan():
            return None
        if raw.is_finite() and raw == raw.to_integral_value():
            return int(raw)
        return float(raw)
    if isinstance(raw, str):
        text = canonical_text(raw)
        if normalise(text) in UNKNOWN_SPELLINGS:
            return None
        if _DECIMAL.fullmatch(text):
            return float(text) if "." in text else int(text)
    return _NOT_A_NUMBER


@dataclass(frozen=True)
class _Range:
    """The whole numbers a column accepts, and the names of its checks."""

    low: int
    high: int
    whole: str
    within: str


_AGE_RANGE = _Range(0, MAX_AGE, "whole years", f"in 0-{MAX_AGE}")
_ORPHANS_RANGE = _Range(0, MAX_ORPHANS, "whole number of children", f"in 0-{MAX_ORPHANS}")
_YEAR_RANGE = _Range(MIN_YEAR, MAX_YEAR, "whole year", f"in {MIN_YEAR}-{MAX_YEAR}")


def _report_values(
    column: str, check: str, values: np.ndarray, mask: np.ndarray, failures: _Collector
) -> None:
    """One failure case per distinct value of ``values[mask]`` (at most ten)."""
    where = np.flatnonzero(mask)
    if len(where) == 0:
        return
    for value in pd.unique(values[where])[:10]:
        rows = where[values[where] == value]
        failures.add(
            column, check, value.item() if hasattr(value, "item") else value, len(rows), rows
        )


def _whole_numbers(
    series: pd.Series, column: str, bounds: _Range, failures: _Collector
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Int16 values, a mask of unusable rows, and the mask of those that are failures.

    Anything but a whole number in range, or a missing value or unknown spelling, is a
    failure. Nothing is cast before it is checked: a value outside the range is reported
    as it was given, so no value wraps around, is truncated or is rounded on the way.
    """
    array = series.array
    n = len(series)
    if pd.api.types.is_bool_dtype(series.dtype):
        values = series.astype(object).to_numpy()
        present = series.notna().to_numpy()
        _report_values(column, "numeric", values, present, failures)
        return np.zeros(n, dtype=np.int16), np.ones(n, dtype=bool), present
    if isinstance(array, pd.arrays.IntegerArray) or series.dtype.kind in "iu":
        if isinstance(array, pd.arrays.IntegerArray):
            ints, missing = masked_parts(array)
        else:
            ints, missing = series.to_numpy(), np.zeros(n, dtype=bool)
        outside = ~missing & ((ints < bounds.low) | (ints > bounds.high))
        _report_values(column, bounds.within, ints, outside, failures)
        unusable = missing | outside
        return np.where(unusable, 0, ints).astype(np.int16), unusable, outside
    if isinstance(array, pd.arrays.FloatingArray) or series.dtype.kind == "f":
        floats = series.to_numpy(dtype="float64", na_value=np.nan)
        missing = np.isnan(floats)
        finite = np.isfinite(floats)
        whole = finite & (np.floor(np.where(finite, floats, 0)) == floats)
        fraction = finite & ~whole
        outside = ~missing & ~fraction & (~finite | (floats < bounds.low) | (floats > bounds.high))
        _report_values(column, bounds.whole, floats, fraction, failures)
        _report_values(column, bounds.within, floats, outside, failures)
        unusable = missing | fraction | outside
        return np.where(unusable, 0, floats).astype(np.int16), unusable, fraction | outside
    in_codes, uniques = _factorize(series)
    target = np.zeros(len(uniques) + 1, dtype=np.int16)
    unknown = np.ones(len(uniques) + 1, dtype=bool)
    failed = np.zeros(len(uniques) + 1, dtype=bool)
    for k, raw in enumerate(uniques):
        number = _number_of(raw)
        check = None
        if isinstance(number, _NotANumber):
            check = "numeric"
        elif number is None:
            continue
        elif not math.isfinite(number) or not bounds.low <= number <= bounds.high:
            check = bounds.within
        elif number != math.floor(number):
            check = bounds.whole
        else:
            target[k], unknown[k] = int(number), False
        if check is not None:
            failed[k] = True
            failures.add(column, check, raw, _n_of(in_codes, k), _rows_of(in_codes, k))
    return target[in_codes], unknown[in_codes], failed[in_codes]


def _coerce_age(
    series: pd.Series, column: str, failures: _Collector, bounds: _Range = _AGE_RANGE
) -> tuple[pd.Series, bool]:
    """Coerce to Int16 whole numbers within ``bounds`` (ages: whole years in 0-120)."""
    if series.dtype == "Int16":
        values, missing = masked_parts(series)
        # min and max read the values in place, the slots of missing ones included: when
        # even those are in range, every value is; only otherwise are masks made.
        if len(values) == 0 or (values.min() >= bounds.low and values.max() <= bounds.high):
            return series, False
        if not (~missing & ((values < bounds.low) | (values > bounds.high))).any():
            return series, False
    values, missing, _ = _whole_numbers(series, column, bounds, failures)
    return pd.Series(pd.arrays.IntegerArray(values, missing), index=series.index, name=column), True


def _coerce_year(series: pd.Series, failures: _Collector) -> tuple[pd.Series, bool]:
    if series.dtype == "Int16" and not series.isna().any():
        values, _ = masked_parts(series)
        if len(values) == 0 or (values.min() >= MIN_YEAR and values.max() <= MAX_YEAR):
            return series, False
    values, missing, failed = _whole_numbers(series, "year", _YEAR_RANGE, failures)
    absent = missing & ~failed
    if absent.any():
        rows = np.flatnonzero(absent)
        failures.add("year", "not_null", None, len(rows), rows)
    return pd.Series(pd.arrays.IntegerArray(values, missing), index=series.index, name="year"), True


_YYYYMMDD = re.compile(r"\d{8}", re.ASCII)
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)?", re.ASCII)
_DATE_CHECK = "date (YYYY-MM-DD, YYYYMMDD, or a date or datetime without time zone)"
_YYYYMMDD_CHECK = "date: a number is read only as YYYYMMDD, never as an epoch count"
_DATE_SPAN_CHECK = (
    f"date in {pd.Timestamp.min.year + 1}-{pd.Timestamp.max.year - 1} (the range pandas holds)"
)


def _within_span(stamp: pd.Timestamp) -> pd.Timestamp | str:
    if not pd.Timestamp.min < stamp < pd.Timestamp.max:
        return _DATE_SPAN_CHECK
    return stamp.as_unit("ns")


def _from_yyyymmdd(text: str) -> pd.Timestamp | str:
    try:
        day = datetime.datetime.strptime(text, "%Y%m%d")
    except ValueError:
        return _DATE_CHECK
    return _within_span(pd.Timestamp(day))


def _date_of(raw: object) -> pd.Timestamp | str | None:
    """The date a raw cell holds, None when missing, or the name of the check it fails."""
    if isinstance(raw, bool | np.bool_):
        return _DATE_CHECK
    if isinstance(raw, np.datetime64):
        return None if np.isnat(raw) else _within_span(pd.Timestamp(raw))
    if isinstance(raw, datetime.datetime):  # pandas Timestamps included
        return _DATE_CHECK if raw.tzinfo is not None else _within_span(pd.Timestamp(raw))
    if isinstance(raw, datetime.date):
        return _within_span(pd.Timestamp(raw))
    if isinstance(raw, int | np.integer | float | np.floating | Decimal):
        number = _number_of(raw)
        if number is None:
            return None
        if isinstance(number, _NotANumber) or not math.isfinite(number):
            return _YYYYMMDD_CHECK
        if number != math.floor(number) or not _YYYYMMDD.fullmatch(str(int(number))):
            return _YYYYMMDD_CHECK
        return _from_yyyymmdd(str(int(number)))
    if isinstance(raw, str):
        text = canonical_text(raw)
        if normalise(text) in UNKNOWN_SPELLINGS:
            return None
        if _YYYYMMDD.fullmatch(text):
            return _from_yyyymmdd(text)
        if _ISO_DATE.fullmatch(text):
            try:
                return _within_span(pd.Timestamp(text))
            except (ValueError, OverflowError):
                return _DATE_CHECK
    return _DATE_CHECK


def _coerce_date(series: pd.Series, failures: _Collector) -> tuple[pd.Series, bool]:
    """Coerce to datetime64[ns]; only dates, ISO text and YYYYMMDD numbers or text are read."""
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        return series, False
    in_codes, uniques = _factorize(series)
    parsed = np.full(len(uniques) + 1, np.datetime64("NaT"), dtype="datetime64[ns]")
    for k, raw in enumerate(uniques):
        date = _date_of(raw)
        if isinstance(date, str):
            failures.add("date", date, raw, _n_of(in_codes, k), _rows_of(in_codes, k))
        elif date is not None:
            parsed[k] = date.to_datetime64()
    return pd.Series(parsed[in_codes], index=series.index, name="date"), True


_ICCS_CHECK = "ICCS code (0101, 0102, 01011, ...)"
_ICCS_TEXT_CHECK = "ICCS code as text, not a number (leading zeros are lost)"
_ICCS_ZERO_CHECK = "ICCS code (a leading zero seems lost)"


def _coerce_iccs(series: pd.Series, failures: _Collector) -> tuple[pd.Series, bool]:
    """Coerce to a Categorical of ICCS codes as text (NFKC, trimmed); nothing is guessed.

    A code is never repaired: ``"101"`` may be 0101 with its zero lost, and ``"1011"``
    may be 01011, so both are refused with the check that says so.
    """
    in_codes, uniques = _factorize(series)
    texts: list[str | None] = []
    for k, raw in enumerate(uniques):
        text = canonical_text(raw) if isinstance(raw, str) else None
        check = None
        if text is None:
            number = _number_of(raw)
            check = _ICCS_CHECK if isinstance(number, _NotANumber) else _ICCS_TEXT_CHECK
        elif not is_iccs_code(text):
            check = _ICCS_ZERO_CHECK if is_iccs_code("0" + text) else _ICCS_CHECK
        if check is not None:
            failures.add("iccs_code", check, raw, _n_of(in_codes, k), _rows_of(in_codes, k))
            text = None
        texts.append(text)
    if in_codes.min(initial=0) < 0:
        rows = np.flatnonzero(in_codes == -1)
        failures.add("iccs_code", "not_null", None, len(rows), rows)
    return _categorical_of(texts, in_codes, series, "iccs_code")


def _categorical_of(
    texts: list[str | None], in_codes: np.ndarray, series: pd.Series, name: str
) -> tuple[pd.Series, bool]:
    """The Categorical that maps each distinct raw value to ``texts`` (None: missing).

    Categories are the distinct texts, sorted; raw spellings that give the same text
    share one category. When that is what ``series`` already is, it is passed on.
    """
    if isinstance(series.dtype, pd.CategoricalDtype) and texts == list(series.cat.categories):
        return series, False  # every category is already its own canonical text
    categories = sorted({t for t in texts if t is not None})
    position = {t: i for i, t in enumerate(categories)}
    remap = np.array([position[t] if t is not None else -1 for t in texts] + [-1], dtype=np.int32)
    dtype = pd.CategoricalDtype(pd.Index(categories, dtype="str"))
    out = pd.Categorical.from_codes(remap[in_codes], dtype=dtype)
    return pd.Series(out, index=series.index, name=name), True


_BREAKDOWN_CHECK = "text or a finite number"


def _breakdown_text(raw: object) -> str | _NotANumber | None:
    """The level a raw cell of a free breakdown column gives (see docs: validation rules).

    Text is trimmed, and empty text is missing, as an empty cell is. Numbers are written
    as they read: 1 and 1.0 give ``"1"``, 1.5 gives ``"1.5"``, never ``"1.0"``.
    """
    if isinstance(raw, str):
        return raw.strip() or None
    number = _number_of(raw)
    if number is None or isinstance(number, _NotANumber):
        return number
    if not math.isfinite(number):
        return _NOT_A_NUMBER
    if number == math.floor(number):
        return str(int(number))
    return repr(float(number))


def _coerce_breakdown(
    series: pd.Series, column: str, failures: _Collector
) -> tuple[pd.Series, bool]:
    """Coerce a free breakdown column (``area``) to a Categorical of trimmed text.

    Missing values stay missing: counts refuse to place them, so nothing is hidden in an
    invented level.
    """
    in_codes, uniques = _factorize(series)
    texts: list[str | None] = []
    for k, raw in enumerate(uniques):
        text = _breakdown_text(raw)
        if isinstance(text, _NotANumber):
            failures.add(column, _BREAKDOWN_CHECK, raw, _n_of(in_codes, k), _rows_of(in_codes, k))
            text = None
        texts.append(text)
    return _categorical_of(texts, in_codes, series, column)


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
        if case["value"] is None:
            value = ""
        elif isinstance(case["value"], str) and case["value"] == WITHHELD:
            value = " value withheld (identifying column)"
        else:
            value = f" value {case['value']!r}"
        # A problem of the table's layout (column names, no rows) concerns no row.
        count = f" in {case['n_rows']:,} row(s){where}" if case["n_rows"] or where else ""
        detail = f":{value}{count}" if value or count else ""
        lines.append(f"  - column {case['column']!r}, check {case['check']!r}{detail}")
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
    """The "What to do" line of a validation error, for the first problem listed."""
    if "column_present" in set(failures["check"]):
        return (
            "What to do: add or rename the missing column(s) "
            f"{', '.join(failures.loc[failures['check'] == 'column_present', 'column'])}; "
            "the victim table needs victim_sex, victim_age, relationship and year or date."
        )
    first = failures.iloc[0]
    column, check, value = str(first["column"]), str(first["check"]), first["value"]
    if column == "<columns>" or check.startswith("unique column name"):
        return (
            "What to do: give every column a single, unique name (drop or rename the "
            "repeated ones; flatten MultiIndex columns, e.g. "
            "df.columns = ['_'.join(map(str, c)) for c in df.columns])."
        )
    if check == "not_empty":
        return (
            "What to do: pass a table with at least one record; check the file, sheet or "
            "filter that produced it."
        )
    if check == _CELL_CHECK:
        return (
            "What to do: hold one value per cell (one row per victim, one column per "
            "variable); expand or drop the cells that hold lists, dicts or sets."
        )
    if is_sensitive(column):
        return (
            f"What to do: give every record its own {column} and remove records entered "
            "twice; the rows are in e.failure_cases (values of identifying columns are "
            "never shown)."
        )
    if column == "iccs_code":
        return (
            "What to do: read iccs_code as text so that codes keep their leading zeros "
            "(e.g. pd.read_csv(path, dtype={'iccs_code': str})) and correct the codes that "
            "are not ICCS codes, or recode them with a mapping; see e.failure_cases for "
            "every case."
        )
    if column in ("victim_age", "perpetrator_age", "year"):
        what = "years as whole numbers in" if column == "year" else "ages as whole years in"
        span = f"{MIN_YEAR}-{MAX_YEAR}" if column == "year" else f"0-{MAX_AGE}"
        return (
            f"What to do: give {what} {span}, leaving a cell empty when it is not known; if "
            "a value is a code for 'not known' (such as 999), say so with a mapping, e.g. "
            f"{_hint_mapping(column, value)}; see e.failure_cases for every case."
        )
    if column == "orphans":
        return (
            f"What to do: give the number of children under 18 the victim left as a whole "
            f"number in 0-{MAX_ORPHANS}, leaving a cell empty when it is not known; if a "
            "value is a code for 'not known' (such as 99), say so with a mapping, e.g. "
            f"{_hint_mapping(column, value)}; see e.failure_cases for every case."
        )
    if column == "date":
        return (
            "What to do: write dates as YYYY-MM-DD or YYYYMMDD, or convert the column "
            "yourself (e.g. pd.to_datetime(df['date'], format='%d/%m/%Y')); see "
            "e.failure_cases for every case."
        )
    return (
        "What to do: recode these values to femstat's codes (femstat.codes lists them), "
        "or describe your coding with a mapping (a TOML file or dict, see the docs on "
        "source readers); if a value means 'not known', say so, e.g. "
        f"{_hint_mapping(column, value)}; see e.failure_cases for every case."
    )


def _raise_if_failed(failures: _Collector, n_rows: int, table: str) -> None:
    if failures.cases:
        frame = failures.frame()
        raise ValidationError(
            _message(frame, failures.truncated, n_rows, table),
            frame,
            hint=_hint(frame),
            truncated=failures.truncated,
        )


_CELL_CHECK = "one value per cell (no lists, dicts or sets)"


def _coerce_column(
    series: pd.Series, name: str, var: Variable, failures: _Collector
) -> tuple[pd.Series, bool, dict[str, np.ndarray]]:
    if var.kind == "code":
        return _coerce_codes(series, name, _CODE_LISTS[name], failures)
    if var.kind == "boolean":
        return (*_coerce_boolean(series, name, failures), {})
    if var.kind == "integer":
        bounds = _ORPHANS_RANGE if name == "orphans" else _AGE_RANGE
        return (*_coerce_age(series, name, failures, bounds), {})
    if var.kind == "year":
        return (*_coerce_year(series, failures), {})
    if var.kind == "date":
        return (*_coerce_date(series, failures), {})
    if name == "iccs_code":
        return (*_coerce_iccs(series, failures), {})
    if var.kind == "text":
        return (*_coerce_breakdown(series, name, failures), {})
    return series, False, {}


def _container_cells(series: pd.Series, column: str, failures: _Collector) -> bool:
    """Report cells that hold containers; whether there were any.

    Called when pandas refuses to hash a column: a list, dict or set in a cell is the
    usual cause, and gets an answer that names the column and rows.
    """
    rows = _unhashable_rows(series)
    if len(rows) == 0:
        return False
    kinds = sorted({type(v).__name__ for v in series.iloc[rows[:100]].to_numpy(dtype=object)})
    failures.add(column, _CELL_CHECK, f"<{', '.join(kinds)}>", len(rows), rows)
    return True


def _holds_containers(series: pd.Series) -> bool:
    """Whether an object column may hold lists, dicts or sets (a C-speed scan)."""
    if series.dtype != object:
        return False
    return pd.api.types.infer_dtype(series, skipna=True) in ("mixed", "mixed-integer")


def _coerce_table(
    df: pd.DataFrame,
    variables: dict[str, Variable],
    failures: _Collector,
    report: ValidationReport,
    *,
    lazy: bool,
    table: str,
) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """Coerce every known column of ``df``; returns (frame, gendered rows)."""
    out = df.copy(deep=False)
    gendered: dict[str, np.ndarray] = {}
    for name, var in variables.items():
        if name not in out.columns:
            continue
        if var.kind == "id":
            continue  # victim_id is checked by _check_ids; event_id is not read
        series = out[name]
        if _holds_containers(series) and _container_cells(series, name, failures):
            continue
        try:
            series, changed, hits = _coerce_column(series, name, var, failures)
        except TypeError:
            if not _container_cells(series, name, failures):
                raise
            changed, hits = False, {}
        gendered.update(hits)
        if changed:
            out[name] = series
            report.coerced_columns.append(name)
        if not lazy:
            _raise_if_failed(failures, len(df), table)
    return out, gendered


def _check_ids(ids: pd.Series, failures: _Collector) -> None:
    """Every id present and unique; the ids themselves are never reported, only rows."""
    if ids.dtype.kind in "iu":
        values = ids.to_numpy()
        if len(values) < 2 or bool((values[1:] > values[:-1]).all()):
            return  # strictly increasing integers: unique without hashing every id
    if _holds_containers(ids) and _container_cells(ids, "victim_id", failures):
        return
    try:
        duplicated = ids.duplicated(keep=False).to_numpy()
    except TypeError:
        if not _container_cells(ids, "victim_id", failures):
            raise
        return
    missing = ids.isna().to_numpy()
    if missing.any():
        rows = np.flatnonzero(missing)
        failures.add("victim_id", "not_null", None, len(rows), rows)
    duplicated = duplicated & ~missing
    if duplicated.any():
        dup_rows = np.flatnonzero(duplicated)
        groups, _ = pd.factorize(ids.iloc[dup_rows], use_na_sentinel=False)
        for group in range(int(groups.max()) + 1):
            positions = dup_rows[groups == group]
            # The value goes to the collector only to be withheld there.
            failures.add("victim_id", "unique", WITHHELD, len(positions), positions)
            if failures.truncated:
                break


def _soft_checks(
    out: pd.DataFrame,
    gendered: dict[str, np.ndarray],
    *,
    year_given: bool,
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
    if "linked_victim" in out.columns:
        _linked_victim_checks(out, note)
    today = pd.Timestamp.today().normalize()
    if "date" in out.columns and out["date"].notna().any():
        dates = out["date"]
        if getattr(dates.dt, "tz", None) is not None:
            dates = dates.dt.tz_localize(None)  # the local calendar date is what is compared
        note(
            "date_before_1900",
            "date",
            (dates < pd.Timestamp(1900, 1, 1)).to_numpy(dtype=bool),
            "date before 1900; check for a typing error in the year",
        )
        note(
            "date_after_today",
            "date",
            (dates >= today + pd.Timedelta(days=1)).to_numpy(dtype=bool),
            "date after today; check for a typing error in the year",
        )
    if year_given and len(out):
        # year has no missing values once coerced; its Int16 values are read in place, and
        # a mask is made only when the minimum or maximum says some row is out of range.
        year, _ = masked_parts(out["year"].array)
        if year.min() < 1900:
            note(
                "year_before_1900",
                "year",
                year < 1900,
                "year before 1900; check for a typing error",
            )
        if year.max() > today.year:
            note(
                "year_after_this_year",
                "year",
                year > today.year,
                "year after the current one; check for a typing error",
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


def event_groups(event: pd.Series) -> np.ndarray:
    """Integer group of each row's ``event_id``; -1 where it is missing.

    An empty or blank cell is a missing event id too (a text file has no other way to
    write one). The ids themselves are only grouped, never returned.
    """
    missing = np.array(event.isna().to_numpy(), dtype=bool)
    if event.dtype == object or pd.api.types.is_string_dtype(event.dtype):
        text = event.astype("string").str.strip()
        missing = missing | (text == "").fillna(True).to_numpy(dtype=bool)
    groups, _ = pd.factorize(event.where(~missing), use_na_sentinel=True)
    return np.where(missing, -1, groups)


def _linked_victim_checks(out: pd.DataFrame, note: Any) -> None:
    """Linked victims that no event ties to a woman or girl killed (soft checks).

    A linked victim is one killed in connection with the gender-related killing of a
    woman or girl in the same event, so the event must be known (``event_id``) and must
    hold at least one in-scope female victim who is not herself a linked victim. The
    event ids are only grouped, never shown: the warnings give row positions.
    """
    linked = out["linked_victim"].fillna(False).to_numpy(dtype=bool)
    if not linked.any():
        return
    groups = event_groups(out["event_id"]) if "event_id" in out.columns else None
    no_event = linked if groups is None else linked & (groups < 0)
    note(
        "linked_victim_without_event",
        "linked_victim, event_id",
        no_event,
        "linked_victim is true but the record has no event_id, so the woman or girl it is "
        "linked to cannot be found; give the event_id shared with her record",
    )
    if groups is None:
        return
    female = (out["victim_sex"].cat.codes == C.SEX.code_of("female")).to_numpy()
    if "iccs_code" in out.columns:
        iccs = out["iccs_code"].astype("string").fillna("")
        female = female & iccs.str.startswith(C.INTENTIONAL_HOMICIDE_ICCS).to_numpy(dtype=bool)
    anchor = female & ~linked
    has_event = groups >= 0
    anchored = np.zeros(max(int(groups.max(initial=-1)) + 1, 1), dtype=bool)
    anchored[groups[anchor & has_event]] = True
    orphaned = linked & has_event & ~anchored[np.where(has_event, groups, 0)]
    note(
        "linked_victim_without_female_victim",
        "linked_victim, event_id",
        orphaned,
        "linked_victim is true but no other victim of the same event is a female victim of "
        "intentional homicide; check event_id and the linked victim's event",
    )


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
        is missing, an id repeats, the frame is empty, column names repeat or form a
        MultiIndex, or a cell holds a list, dict or set.
    TypeError
        Also a :class:`femstat.FemstatError`, when ``df`` or ``perpetrators`` is not a
        pandas DataFrame.
    """
    _require_frame(df, "df")
    failures = _Collector(max_failure_cases)
    _check_shape(df, failures, "victim")
    if mapping is not None:
        from femstat.sources.mapping import load_mapping

        df = load_mapping(mapping).apply(df)
        _check_shape(df, failures, "victim")
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
    out, gendered = _coerce_table(df, variables, failures, result, lazy=lazy, table="victim")
    if "victim_id" in out.columns:
        _check_ids(out["victim_id"], failures)
    _raise_if_failed(failures, len(df), "victim")

    year_given = "year" in out.columns
    if not year_given:
        years = out["date"].dt.year
        if years.isna().any():
            rows = np.flatnonzero(years.isna().to_numpy())
            failures.add("date", "not_null (needed for year)", None, len(rows), rows)
            _raise_if_failed(failures, len(df), "victim")
        out["year"] = years.astype("Int16")
    for name, var in variables.items():
        if name not in out.columns and var.kind in ("code", "boolean", "integer"):
            if var.extension:
                continue  # an extension variable is present only when the source has it
            out[name] = _unknown_column(var, len(out), out.index)
            result.added_columns.append(name)
    if "iccs_code" not in out.columns:
        result.assumptions.append(_ASSUMED_ICCS)

    if perpetrators is not None:
        out = _fold(out, perpetrators, max_failure_cases)

    result.warnings = _soft_checks(out, gendered, year_given=year_given)
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
    _require_frame(perpetrators, "perpetrators")
    failures = _Collector(cap)
    _check_shape(perpetrators, failures, "perpetrator")
    if "victim_id" not in victims.columns:
        failures.add("victim_id", "column_present", None, len(victims), [])
    missing = [c for c in ("victim_id", "relationship") if c not in perpetrators.columns]
    for name in missing:
        failures.add(name, "column_present (perpetrators)", None, len(perpetrators), [])
    _raise_if_failed(failures, len(perpetrators), "perpetrator")
    variables = perpetrator_variables()
    scratch = ValidationReport(n_rows=len(perpetrators), warnings=pd.DataFrame())
    perps, _ = _coerce_table(
        perpetrators, variables, failures, scratch, lazy=True, table="perpetrator"
    )
    unknown_victims = ~perps["victim_id"].isin(victims["victim_id"]).to_numpy()
    if unknown_victims.any():
        rows = np.flatnonzero(unknown_victims)
        failures.add("victim_id", "exists in victim table", None, len(rows), rows)
    _raise_if_failed(failures, len(perpetrators), "perpetrator")
    return fold_perpetrators(victims, perps)


_ASSUMED_ICCS = (
    "iccs_code is absent, so every record is taken as ICCS 0101 (completed intentional "
    "homicide); add an iccs_code column if some records are attempts or other offences"
)


class _NotAFrame(FemstatError, TypeError):
    """Something other than a pandas DataFrame where a table of records is expected."""


def _require_frame(df: object, argument: str) -> None:
    if isinstance(df, pd.DataFrame):
        return
    kind = f"{type(df).__module__}.{type(df).__qualname__}".removeprefix("builtins.")
    raise _NotAFrame(
        f"femstat.validate: {argument} must be a pandas DataFrame (one row per record), "
        f"got {kind}. What to do: pass a DataFrame, e.g. pd.DataFrame(records) for a dict "
        "of columns or a list of records, or series.to_frame() for a single column."
    )


def _check_shape(df: pd.DataFrame, failures: _Collector, table: str) -> None:
    """Refuse column layouts that pandas would answer with a confusing error later."""
    if isinstance(df.columns, pd.MultiIndex):
        failures.add("<columns>", "single-level column names (not a MultiIndex)", None, 0, [])
    else:
        names = pd.Series(list(df.columns), dtype=object)
        repeated = names[names.duplicated(keep=False)]
        for name, times in repeated.value_counts(sort=False, dropna=False).items():
            failures.add(str(name), f"unique column name (appears {times} times)", None, 0, [])
    _raise_if_failed(failures, len(df), table)
