"""Validation of an Arrow-read batch by its distinct values, for counting.

A batch that :mod:`femstat.sources.arrow` reads holds few distinct values per column: the
categories of its Categoricals (each dictionary value once), a hundred ages, ten years,
two flags. :func:`femstat.validate` on a million rows mostly re-reads what those few
values already say, and copies the columns on the way. :class:`BatchChecker` instead

1. builds a small frame holding every distinct value of every column once (each
   Categorical's categories, each integer and flag present, a missing value where the
   batch has one), in the batch's own dtypes, and runs :func:`femstat.validate` on it:
   the same spellings, mappings, failures and report as the whole batch would get, since
   validation decides each distinct value on its own (``validate._factorize``). The
   answer is kept for the next batches with the same distinct values (a file usually has
   the same dictionary in every row group);
2. maps each row to its canonical value through that answer with one ``take`` of the
   integer codes (or none at all when the answer is the batch's own values);
3. runs validation's own row-level soft checks (``validate._soft_checks``) on the
   canonical columns they read, and validation's own id check on ``victim_id``.

It does not apply, and the batch is validated whole as before, when the small frame fails
validation (the caller then lets the general path report the batch's errors, with its row
numbers), when a mapping recodes the batch, and when the batch holds a column whose
checks are not value by value: a date (its format is inferred from the whole column), a
perpetrator's sex (checked against the relationship's spelling), identifiers other than
``victim_id``, columns femstat does not know.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, cast

import numpy as np
import pandas as pd

from femstat._arrays import masked_parts
from femstat.errors import ValidationError
from femstat.schemas import victim_variables
from femstat.sources.arrow import _unknown_array, coerced_as_text
from femstat.sources.mapping import Mapping
from femstat.validate import ValidationReport, validate

__all__ = ["BatchChecker"]

_NOT_VALUE_BY_VALUE = frozenset({"perpetrator_sex"})
"""Known columns whose soft checks read another column's raw spelling (``gendered``)."""

_MAX_CACHED = 64
"""Distinct-value answers kept per stream (a file has one or a few)."""

_UNSEEN = object()


@dataclass(frozen=True)
class _Column:
    """One column of a batch, reduced to its distinct values."""

    name: str
    key: Any  # hashable: what the small frame's column is made of
    slots: pd.api.extensions.ExtensionArray  # every distinct value once, missing last
    has_missing: bool


@dataclass(frozen=True)
class _Answer:
    """Validation of a small frame: its canonical columns and its report."""

    frame: pd.DataFrame
    report: ValidationReport


def _distinct_flags(values: np.ndarray, missing: np.ndarray) -> np.ndarray:
    """The distinct flags among the present ones (counted, not copied)."""
    n_missing = int(np.count_nonzero(missing))
    n_true = int(np.count_nonzero(values))
    if n_missing:
        n_true -= int(np.count_nonzero(values & missing))
    n_false = len(values) - n_missing - n_true
    return np.array([False, True])[[n_false > 0, n_true > 0]]


def _extremes(values: np.ndarray) -> np.ndarray:
    """The smallest and largest of the values, missing ones' slots included.

    Validation checks whole numbers against a range, and for Int16 columns it decides
    from these two alone, reading the slots in place as here (``validate._coerce_age``,
    ``_coerce_year``): when they pass, the column passes unchanged. A missing slot that
    holds a value outside the range makes the small frame fail, and the batch is then
    validated whole, which reads the masks.
    """
    if len(values) == 0:
        return values[:0]
    return np.unique(np.array([values.min(), values.max()], dtype=values.dtype))


def _reduce(name: str, series: pd.Series) -> _Column | None:
    """A column reduced to its distinct values; None when it is not one of the kinds read."""
    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        codes = series.cat.codes.to_numpy()
        has_missing = bool((codes < 0).any())
        slots = np.arange(len(dtype.categories), dtype=np.int64)
        if has_missing:
            slots = np.append(slots, -1)
        array = pd.Categorical.from_codes(slots, dtype=dtype)
        # The categories in their order: pandas' dtype equality (and hash) ignores the
        # order, and the answer is read by position.
        categories = dtype.categories
        key: tuple[Any, ...] = (
            name,
            str(categories.dtype),
            dtype.ordered,
            tuple(categories),
            has_missing,
        )
        return _Column(name, key, array, has_missing)
    if isinstance(series.array, pd.arrays.BooleanArray | pd.arrays.IntegerArray):
        is_flag = isinstance(series.array, pd.arrays.BooleanArray)
        if not is_flag and dtype != "Int16":
            return None  # validation turns other integers into Int16: validated whole
        values, missing = masked_parts(series)
        has_missing = bool(missing.any())
        distinct = _distinct_flags(values, missing) if is_flag else _extremes(values)
        key = (name, str(dtype), distinct.tobytes(), has_missing)
        filled = np.append(distinct, np.zeros(1, dtype=distinct.dtype)) if has_missing else distinct
        mask = np.zeros(len(filled), dtype=bool)
        if has_missing:
            mask[-1] = True
        masked: Any
        if is_flag:
            masked = pd.arrays.BooleanArray(filled.astype(bool), mask)
        else:
            masked = pd.arrays.IntegerArray(filled, mask)
        return _Column(name, key, masked, has_missing)
    return None


def _padded(array: Any, n: int) -> Any:
    """``array`` made ``n`` long by repeating its first value (the set of values stays)."""
    if len(array) == n:
        return array
    index = np.zeros(n, dtype=np.int64)
    index[: len(array)] = np.arange(len(array))
    return array.take(index)


class BatchChecker:
    """Validates Arrow-read batches by their distinct values (see the module's notes).

    Parameters
    ----------
    categorical : frozenset of str
        The columns the fast reader hands over as Categoricals of text (their report
        lists them as coerced, as the general path's text is).
    mapping : Mapping, optional
        The stream's mapping: with one, every batch is validated whole.
    unknown : dict
        The stream's all-unknown columns, made once (see
        :func:`femstat.sources.arrow.with_unknown_columns`).
    enabled : bool, default True
        False validates every batch whole. :func:`femstat.stream.counts_from_file` turns
        it off for CSV, where it measured slower than validating whole (every column
        there arrives as text, and the rows are then remapped twice; see
        ``docs/performance.md``).
    """

    def __init__(
        self,
        categorical: frozenset[str],
        mapping: Mapping | None,
        unknown: dict[str, Any],
        *,
        enabled: bool = True,
    ) -> None:
        self._categorical = categorical
        self._active = enabled and mapping is None
        self._mapping = mapping
        self._unknown = unknown
        self._answers: dict[Any, _Answer | None] = {}
        self._short_answers: dict[Any, Any] = {}

    def validated(self, raw: pd.DataFrame) -> tuple[pd.DataFrame, ValidationReport] | None:
        """The canonical batch and its validation report, or None: validate it whole.

        None also when the batch has a problem; validating it whole then raises the
        general path's error.
        """
        if not self._active or len(raw) == 0:
            return None
        variables = victim_variables()
        columns: list[_Column] = []
        for name in raw.columns:
            variable = variables.get(name)
            if variable is None or name in _NOT_VALUE_BY_VALUE or variable.kind == "date":
                return None
            if variable.kind == "id":
                if name != "victim_id":
                    return None
                continue
            reduced = _reduce(name, raw[name])
            if reduced is None:
                return None
            columns.append(reduced)
        if "year" not in raw.columns:
            return None  # the year would come from a date, read as a whole column
        answer = self._answer(columns)
        if answer is None:
            return None
        out: dict[str, Any] = {}
        for column in columns:
            array = _rows(raw[column.name], column, answer.frame[column.name])
            if array is None:
                return None
            out[column.name] = array
        if "victim_id" in raw.columns:
            if not _ids_valid(raw["victim_id"]):
                return None
            out["victim_id"] = raw["victim_id"].array
        for name in answer.report.added_columns:
            out[name] = _unknown_array(name, len(raw), self._unknown)
        order = [*raw.columns, *answer.report.added_columns]
        clean = pd.DataFrame({c: out[c] for c in order}, index=raw.index, copy=False)
        report = ValidationReport(
            n_rows=len(raw),
            warnings=_row_checks(clean),
            added_columns=list(answer.report.added_columns),
            coerced_columns=list(answer.report.coerced_columns),
            assumptions=list(answer.report.assumptions),
        )
        coerced_as_text(report, self._categorical, self._mapping)
        return clean, report

    def validated_table(
        self,
        table: Any,
        text: frozenset[str],
        free_text: frozenset[str] = frozenset(),
        start: int = 0,
    ) -> tuple[pd.DataFrame, ValidationReport] | Literal[False] | None:
        """:meth:`validated` for the Arrow table a batch is read from, without its frame.

        Each column's distinct values are read from Arrow (the dictionary entries the rows
        use, the flags present, the smallest and largest integer, a missing value where
        there is one) into a short table with one row per distinct value. That table goes
        through :func:`~femstat.sources.arrow.frame_of` and :meth:`validated` as the whole
        batch would: the same small frame, the same answer, the same report. The batch's
        rows then go from Arrow's buffers to the canonical arrays with one look-up of their
        dictionary indices (flags and integers, which :meth:`validated` only passes
        through unchanged, are read as they are), and validation's row-level checks run
        on them.

        Returns False where :meth:`validated` would return None (the caller validates
        the batch whole), and None where a column is not in one of the Arrow forms read
        this way (a dictionary holding a missing value, ids that are not whole numbers or
        have missing ones, other index or value types): the caller then makes the frame
        and validates it as before.
        """
        if not self._active or table.num_rows == 0:
            return None
        from femstat.sources.arrow import _arrow, _nullable_types, frame_of

        pa = _arrow()
        variables = victim_variables()
        names = list(table.column_names)
        if len(set(names)) != len(names):
            return None
        for name in names:
            variable = variables.get(name)
            if variable is None or variable.kind == "date":
                return None  # validated whole
            if variable.kind == "id" and name != "victim_id":
                return None
        nullable = _nullable_types(table)
        shorts: list[Any] = []
        sources: list[_Source] = []
        ids: np.ndarray | None = None
        for name in names:
            column = table.column(name)
            if name == "victim_id":
                # Kept out of the short table, as validated() keeps it out of the small
                # frame; whole numbers with none missing are what to_pandas hands over
                # as they are, and validation's own id check reads them.
                if column.type != pa.int64() or column.null_count:
                    return None
                ids = np.asarray(column.to_numpy())
                if not _ids_valid(pd.Series(ids, copy=False)):
                    return None
                continue
            if column.num_chunks == 1:
                array = column.chunk(0)
            elif pa.types.is_dictionary(column.type) and name not in text:
                return None  # frame_of hands several stored dictionaries to to_pandas
            else:
                # A batch across row groups: one array, as frame_of makes it (the text
                # columns' dictionaries unified, as its categories are).
                if pa.types.is_dictionary(column.type):
                    column = column.unify_dictionaries()
                array = column.combine_chunks()
            found = _distinct_arrow(pa, name, array, nullable, text)
            if found is None:
                return None
            shorts.append(found[0])
            sources.append(found[1])
        n = max(len(s) for s in shorts)
        if n == 0:
            return None
        schema = pa.schema(
            [table.schema.field(source.name) for source in sources],
            metadata=table.schema.metadata,  # pandas' types, which frame_of reads
        )
        small_table = pa.Table.from_arrays([_padded_arrow(pa, s, n) for s in shorts], schema=schema)
        # Row groups of a file mostly hold the same distinct values: their short tables
        # are then equal, and so is what validation makes of them.
        key = (
            schema.serialize().to_pybytes(),
            tuple(_content(pa, column) for column in small_table.columns),
            text,
            free_text,
        )
        checked = self._short_answers.get(key, _UNSEEN)
        if checked is _UNSEEN:
            checked = self.validated(frame_of(small_table, text, 0, free_text))
            if len(self._short_answers) < _MAX_CACHED:
                self._short_answers[key] = checked
        if checked is None:
            return False  # the batch's own frame would get the same None
        small, small_report = checked
        n_rows = table.num_rows
        out: dict[str, Any] = {}
        for source in sources:
            rows = _canonical_rows(source, small[source.name])
            if rows is None:
                return None
            out[source.name] = rows
        if ids is not None:
            out["victim_id"] = ids
        added = list(small_report.added_columns)
        for name in added:
            out[name] = _unknown_array(name, n_rows, self._unknown)
        index = pd.RangeIndex(start, start + n_rows)
        clean = pd.DataFrame({c: out[c] for c in [*names, *added]}, index=index, copy=False)
        report = ValidationReport(
            n_rows=n_rows,
            warnings=_row_checks(clean),
            added_columns=added,
            coerced_columns=list(small_report.coerced_columns),
            assumptions=list(small_report.assumptions),
        )
        return clean, report

    def _answer(self, columns: list[_Column]) -> _Answer | None:
        key = tuple(c.key for c in columns)
        if key in self._answers:
            return self._answers[key]
        n = max((len(c.slots) for c in columns), default=1)
        small = pd.DataFrame({c.name: _padded(c.slots, n) for c in columns})
        answer: _Answer | None
        try:
            frame, report = validate(small, report=True)
            answer = _Answer(frame, report)
        except ValidationError:
            answer = None
        if len(self._answers) >= _MAX_CACHED:
            self._answers.clear()
        self._answers[key] = answer
        return answer


def _rows(series: pd.Series, column: _Column, canonical: pd.Series) -> Any:
    """The batch's rows of one column in canonical form, from the small frame's answer.

    Row ``k`` of the small frame holds distinct value ``k`` (the missing one last), so the
    answer for a row is the answer at its distinct value's position.
    """
    n_slots = len(column.slots)
    if isinstance(series.dtype, pd.CategoricalDtype):
        codes = series.cat.codes.to_numpy()
        n_categories = len(series.dtype.categories)
        if isinstance(canonical.dtype, pd.CategoricalDtype):
            answer = canonical.cat.codes.to_numpy()[:n_slots]
            table = np.append(
                answer[:n_categories], answer[n_categories:] if column.has_missing else -1
            )
            identity = canonical.dtype == series.dtype and np.array_equal(
                table, np.append(np.arange(n_categories), -1)
            )
            if identity and _same_categories(canonical.dtype, series.dtype):
                return series.array
            width = np.int8 if len(canonical.dtype.categories) < 127 else np.int32
            # A missing row's code is -1: the table's last slot, the missing value's answer.
            rows = cast("np.ndarray[Any, np.dtype[np.int32]]", table.astype(width)[codes])
            return pd.Categorical.from_codes(rows, dtype=canonical.dtype, validate=False)
        if isinstance(canonical.array, pd.arrays.BooleanArray | pd.arrays.IntegerArray):
            values, missing = masked_parts(canonical)
            values, missing = values[:n_slots], missing[:n_slots]
            if not column.has_missing:
                values = np.append(values, np.zeros(1, dtype=values.dtype))
                missing = np.append(missing, True)
            kind = type(canonical.array)
            return kind(values[codes], missing[codes])
        return None
    # Flags and integers: validation passes canonical ones through; anything it would
    # change is left to validating the batch whole.
    if canonical.dtype != series.dtype:
        return None
    want, want_missing = masked_parts(column.slots)
    got, got_missing = masked_parts(canonical)
    n = len(want)
    if not (
        np.array_equal(got_missing[:n], want_missing)
        and np.array_equal(got[:n][~want_missing], want[~want_missing])
    ):
        return None
    return series.array


def _same_categories(a: pd.CategoricalDtype, b: pd.CategoricalDtype) -> bool:
    """Same categories in the same order, of the same kind: pandas' ``==`` ignores order."""
    return (
        a.ordered == b.ordered
        and a.categories.dtype == b.categories.dtype
        and a.categories.equals(b.categories)
    )


def _ids_valid(ids: pd.Series) -> bool:
    """Whether validation's id check finds nothing in this batch."""
    from femstat.validate import _check_ids, _Collector

    failures = _Collector(1)
    _check_ids(ids, failures)
    return not failures.cases and not failures.truncated


def _row_checks(clean: pd.DataFrame) -> pd.DataFrame:
    """Validation's soft checks, on the canonical columns they read.

    A flag's missing rows read as false there, so ``prior_violence`` is handed over as
    plain booleans with them false (pandas' ``fillna`` on a million flags is the slowest
    part of the checks otherwise).
    """
    from femstat.validate import _soft_checks

    view: dict[str, Any] = {
        "relationship": clean["relationship"].array,
        "year": clean["year"].array,
    }
    if "prior_violence" in clean.columns:
        values, missing = masked_parts(clean["prior_violence"])
        view["prior_violence"] = values & ~missing
    frame = pd.DataFrame(view, index=pd.RangeIndex(len(clean)), copy=False)
    return _soft_checks(frame, {}, year_given=True)


# --------------------------------------------------------------------------------------
# Straight from Arrow: a batch's canonical columns without its pandas frame


@dataclass(frozen=True)
class _Source:
    """One Arrow column of a batch, and where its rows are in the short table.

    ``kind`` is ``"codes"`` (dictionary indices: index ``i`` is the short table's row
    ``row_of[i]``, a missing row its row ``missing_row``), ``"flags"`` or ``"integers"``
    (values and validity bitmaps, read as they are).
    """

    name: str
    kind: str
    array: Any
    row_of: np.ndarray | None = None
    missing_row: int = -1


def _bits(buffer: Any, offset: int, n: int) -> np.ndarray:
    """``n`` bits of an Arrow bitmap from bit ``offset``, one bool each."""
    if n == 0:
        return np.zeros(0, dtype=bool)
    first, last = offset // 8, (offset + n + 7) // 8
    raw = np.frombuffer(buffer, dtype=np.uint8, count=last - first, offset=first)
    shift = offset - 8 * first
    return np.unpackbits(raw, bitorder="little")[shift : shift + n].view(bool)


def _missing(array: Any) -> np.ndarray | None:
    """The rows' missing mask; None when no row is missing."""
    if array.null_count == 0:
        return None
    return ~_bits(array.buffers()[0], array.offset, len(array))


def _content(pa: Any, column: Any) -> tuple[Any, ...]:
    """A short column's values, hashable; a dictionary column's dictionary too, unused
    entries and all (a stored dictionary's entries are its categories)."""
    parts: list[Any] = []
    for chunk in column.chunks:
        if pa.types.is_dictionary(chunk.type):
            parts.append((tuple(chunk.dictionary.to_pylist()), tuple(chunk.indices.to_pylist())))
        else:
            parts.append(tuple(chunk.to_pylist()))
    return tuple(parts)


def _padded_arrow(pa: Any, array: Any, n: int) -> Any:
    """An Arrow array made ``n`` long by repeating its first value (the set stays)."""
    if len(array) == n:
        return array
    index = np.zeros(n, dtype=np.int64)
    index[: len(array)] = np.arange(len(array))
    return array.take(pa.array(index))


def _distinct_arrow(
    pa: Any, name: str, array: Any, nullable: dict[str, str], text: frozenset[str]
) -> tuple[Any, _Source] | None:
    """The distinct values of one Arrow column as a short Arrow array, and the rows' map.

    The short array, made into pandas by :func:`femstat.sources.arrow.frame_of` as the
    whole column would be, has the same distinct values in the same dtype (the same
    categories, flags, smallest and largest integer, missing value), so :meth:`validated`
    reduces both to the same small frame. None for a column this does not read: the batch
    then takes the pandas route.
    """
    import pyarrow.compute as pc

    kind = array.type
    has_missing = array.null_count > 0
    if pa.types.is_dictionary(kind):
        if (
            not pa.types.is_string(kind.value_type)
            or not pa.types.is_signed_integer(kind.index_type)
            or array.dictionary.null_count
            or (name not in text and name in nullable)  # frame_of tries those as masked
        ):
            return None
        n_values = len(array.dictionary)
        if name in text:
            # frame_of makes the categories the values the rows use: each once here.
            filled = pc.fill_null(array.indices, pa.scalar(n_values, kind.index_type))
            found = np.asarray(filled.to_numpy(zero_copy_only=False))
            used = np.flatnonzero(np.bincount(found, minlength=n_values + 1)[:n_values])
        else:
            # A dictionary the file stores: frame_of makes it the categories, whole.
            used = np.arange(n_values)
        row_of = np.zeros(n_values, dtype=np.int64)  # an unused entry: no row reads it
        row_of[used] = np.arange(len(used))
        short = pa.DictionaryArray.from_arrays(
            pa.array([*used.tolist(), *([None] if has_missing else [])], type=kind.index_type),
            array.dictionary,
            ordered=kind.ordered,
        )
        missing_row = len(used) if has_missing else -1
        return short, _Source(name, "codes", array, row_of, missing_row)
    numpy_type = nullable.get(name)
    if pa.types.is_boolean(kind) and numpy_type == "boolean":
        n_true = int(pc.sum(array).as_py() or 0)
        n_false = len(array) - array.null_count - n_true
        flags = [False] * (n_false > 0) + [True] * (n_true > 0) + [None] * has_missing
        return pa.array(flags, type=kind), _Source(name, "flags", array)
    if kind == pa.int16() and numpy_type == "Int16":
        extremes = pc.min_max(array).as_py()
        ints = [] if extremes["min"] is None else [extremes["min"], extremes["max"]]
        if has_missing:
            # frame_of zeroes the slots of missing rows, and validation reads the
            # smallest and largest slot: a zero, and a missing value.
            ints += [0, None]
        return pa.array(ints, type=kind), _Source(name, "integers", array)
    return None


def _canonical_rows(source: _Source, small: pd.Series) -> Any:
    """The batch's rows of one column in canonical form, from the validated short table.

    ``small`` is the column of the short table as :meth:`BatchChecker.validated` made it
    canonical; a row of the batch takes the value of its distinct value's row there.
    None for an answer this does not map (the pandas route decides).
    """
    array = source.array
    n = len(array)
    missing = _missing(array)
    if source.kind == "codes":
        assert source.row_of is not None
        index_type = np.dtype(array.type.index_type.to_pandas_dtype())
        indices = np.frombuffer(
            array.indices.buffers()[1],
            dtype=index_type,
            count=n,
            offset=array.offset * index_type.itemsize,
        )
        if isinstance(small.dtype, pd.CategoricalDtype):
            answer = small.cat.codes.to_numpy()
            width = np.int8 if len(small.dtype.categories) < 127 else np.int32
        elif isinstance(small.array, pd.arrays.BooleanArray | pd.arrays.IntegerArray):
            answer = np.arange(len(small))  # the short table's rows, looked up below
            width = np.int8 if len(small) < 127 else np.int32
        else:
            return None
        fill = answer[source.missing_row] if source.missing_row >= 0 else -1
        by_index = answer[source.row_of].astype(width)
        if len(by_index) == 0:  # an empty dictionary: every row is missing
            rows = np.full(n, fill, dtype=width)
        elif indices.dtype == width and np.array_equal(by_index, np.arange(len(by_index))):
            # The file's codes are the answer's (written with femstat's code lists): the
            # indices themselves, copied (Arrow's buffer is read-only).
            rows = indices.copy()
        else:
            # A missing row's index may be anything: read as 0, replaced below.
            rows = by_index[np.where(missing, 0, indices) if missing is not None else indices]
        if missing is not None:
            rows[missing] = fill
        if isinstance(small.dtype, pd.CategoricalDtype):
            codes = cast("np.ndarray[Any, np.dtype[np.int32]]", rows)
            return pd.Categorical.from_codes(codes, dtype=small.dtype, validate=False)
        values, value_missing = masked_parts(small)
        return type(small.array)(values[rows], value_missing[rows])
    # Flags and integers: validated() passed them through unchanged, so the rows are the
    # file's, read as frame_of reads them.
    if missing is None:
        missing = np.zeros(n, dtype=bool)
    if source.kind == "flags":
        values = _bits(array.buffers()[1], array.offset, n)
        if array.null_count:
            values = values & ~missing
        return pd.arrays.BooleanArray(values, missing)
    values = np.frombuffer(array.buffers()[1], dtype=np.int16, count=n, offset=2 * array.offset)
    # As frame_of: the slots of missing rows zeroed (and a copy pandas may write to).
    values = np.where(missing, np.int16(0), values) if array.null_count else values.copy()
    return pd.arrays.IntegerArray(values, missing)
