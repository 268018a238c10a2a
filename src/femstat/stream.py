"""Count cubes from data that arrives in parts: files larger than memory, chunks, partitions.

The count cube is femstat's narrow waist: cubes of disjoint parts of the data add up
exactly to the cube of the whole (:func:`femstat.add_cubes`). This module reads a file in
batches of rows and keeps only a running cube, so memory stays bounded whatever the file's
size::

    import femstat as fs
    from femstat.stream import counts_from_file

    cube = counts_from_file("register.parquet", by=["year", "area"], male_comparator=True)
    table = fs.indicators(cube, by=["year", "area"], population=pop)

Each batch is mapped, validated with :func:`femstat.validate`, classified and counted on its
own; what needs the whole data is checked once at the end, on the merged key set (unique
``victim_id``) or cube, never batch by batch. :class:`CubeAccumulator` does the same for
parts that come from elsewhere (a database cursor, a message queue), and
:mod:`femstat.dask` for the partitions of a Dask DataFrame.
"""

from __future__ import annotations

import logging
import os
import sys
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, overload

import numpy as np
import pandas as pd

from femstat import _kernel
from femstat.ages import AgeScheme
from femstat.classify import UN_2022, RuleSet
from femstat.completeness import _completeness_cube
from femstat.counts import add_cubes, counts
from femstat.errors import DataQualityWarning, ValidationError, require
from femstat.sources.arrow import added_as_unknown, coerced_as_text, with_unknown_columns
from femstat.sources.arrow_counts import BatchChecker
from femstat.sources.mapping import Mapping, load_mapping
from femstat.sources.readers import (
    Format,
    MappingLike,
    ValueLabels,
    fast_frames,
    iter_raw,
    raw_info,
)
from femstat.validate import (
    _FAILURE_COLUMNS,
    _SHOWN_ROWS,
    _WARNING_COLUMNS,
    WITHHELD,
    ValidationReport,
    _case_lines,
    validate,
)

__all__ = ["CubeAccumulator", "counts_from_file"]

_log = logging.getLogger(__name__)

_MAX_FAILURE_CASES = 100
_SHOWN_CASES = 20
_ALWAYS_READ = ("victim_sex", "victim_age", "relationship", "iccs_code")
"""What validation requires and classification reads, besides the year and criteria."""


# --------------------------------------------------------------------------------------
# One part: validate, classify, count. Runs where the part is (a Dask worker, say), so it
# returns plain data, never raises a ValidationError whose row positions it cannot place.


@dataclass(frozen=True)
class _Options:
    by: tuple[str, ...] | None  # None: validate only
    type_column: str
    age_groups: str | AgeScheme | tuple[int, ...]
    male_comparator: bool
    rules: RuleSet
    mapping: Mapping | None
    check_unique_ids: bool
    cube: Literal["counts", "completeness"] = "counts"  # what each part is counted into


@dataclass(frozen=True)
class _Failure:
    """A part's ValidationError as plain data (it travels back from Dask workers)."""

    cases: pd.DataFrame  # rows are positions within the part
    hint: str | None
    truncated: bool


@dataclass
class _PartCounts:
    """What one part contributes: its cube, its id keys and what validation said."""

    n_rows: int
    cube: pd.DataFrame | None = None
    ids: np.ndarray | None = None
    ids_exact: bool = True
    report: ValidationReport | None = None
    failure: _Failure | None = None
    meta: pd.DataFrame | None = None  # zero-row frame of the validated part


def _count_part(
    frame: pd.DataFrame,
    options: _Options,
    validated: tuple[pd.DataFrame, ValidationReport] | None = None,
) -> _PartCounts:
    if len(frame) == 0:
        return _PartCounts(0)  # validate refuses empty tables; emptiness is a whole-data check
    report: ValidationReport | None = None
    try:
        if options.by is not None and options.type_column in frame.columns:
            clean = frame  # already classified, as fs.counts trusts it
        elif validated is not None:
            clean, report = validated  # by the fast reader (femstat.sources.arrow_counts)
        else:
            clean, report = validate(frame, mapping=options.mapping, report=True)
        cube = None
        if options.by is not None and options.cube == "completeness":
            cube = _completeness_cube(
                clean, list(options.by), rules=options.rules, age_groups=options.age_groups
            )
        elif options.by is not None:
            cube = counts(
                clean,
                list(options.by),
                type_column=options.type_column,
                age_groups=options.age_groups,
                male_comparator=options.male_comparator,
                rules=options.rules,
            )
    except ValidationError as exc:
        failure = _Failure(exc.failure_cases, exc.hint, exc.truncated)
        return _PartCounts(len(frame), failure=failure)
    part = _PartCounts(len(frame), cube=cube, report=report, meta=clean.iloc[:0])
    if options.check_unique_ids and "victim_id" in clean.columns:
        part.ids, part.ids_exact = _id_keys(clean["victim_id"])
    return part


def _id_keys(ids: pd.Series) -> tuple[np.ndarray, bool]:
    """Compact keys of victim ids: the ids themselves when integral, else 64-bit hashes.

    Returns
    -------
    keys : numpy.ndarray
        ``int64`` ids, or ``uint64`` hashes (:func:`pandas.util.hash_array`), one per row.
    exact : bool
        Whether equal keys mean equal ids. Hashes can collide, so duplicate hashes are
        confirmed against the ids themselves before anything is reported.
    """
    dtype = ids.dtype
    if pd.api.types.is_integer_dtype(dtype) and not ids.hasnans:
        huge = pd.api.types.is_unsigned_integer_dtype(dtype) and len(ids) and ids.max() > 2**62
        if not huge:
            return ids.to_numpy(dtype=np.int64), True
    if pd.api.types.is_float_dtype(dtype):
        values = ids.to_numpy(dtype=np.float64, na_value=np.nan)
        # SPSS and Stata store every number as a float: whole-number ids are exact.
        whole = np.isfinite(values).all() and (values == np.floor(values)).all()
        if whole and (len(values) == 0 or np.abs(values).max() < 2**53):
            return values.astype(np.int64), True
    return _hash(np.asarray(ids.to_numpy(dtype=object))), False


def _hash(values: np.ndarray) -> np.ndarray:
    return np.asarray(pd.util.hash_array(values, categorize=True), dtype=np.uint64)


# --------------------------------------------------------------------------------------
# Whole-data checks on the merged key set


class _IdIndex:
    """The victim ids of every part, in row order, as compact keys.

    Memory: 8 bytes per row while parts arrive; about 16 bytes per row while
    :meth:`duplicates` sorts them.
    """

    def __init__(self) -> None:
        self.parts: list[np.ndarray] = []
        self.exact = True

    def add(self, keys: np.ndarray, exact: bool) -> None:
        if not exact and self.exact and self.parts:
            # Mixed id types across parts (rare): compare everything by hash, as text.
            self.parts = [_hash(p.astype(object)) for p in self.parts]
        if exact and not self.exact:
            keys, exact = _hash(keys.astype(object)), False
        self.exact = self.exact and exact
        self.parts.append(keys)

    def duplicates(self, cap: int) -> tuple[int, np.ndarray, np.ndarray]:
        """Repeated keys: how many, and the rows (global positions, ascending) and keys of
        the first ``cap`` of them in order of first appearance."""
        empty = np.empty(0, dtype=np.int64)
        if not self.parts:
            return 0, empty, empty
        merged = np.concatenate(self.parts)
        merged.sort()
        repeated = np.unique(merged[1:][merged[1:] == merged[:-1]])
        del merged
        if len(repeated) == 0:
            return 0, empty, empty
        positions, keys, offset = [], [], 0
        for part in self.parts:
            hit = np.flatnonzero(np.isin(part, repeated))
            positions.append(hit + offset)
            keys.append(part[hit])
            offset += len(part)
        at = np.concatenate(positions)
        key_at = np.concatenate(keys)
        chosen = pd.unique(key_at)[:cap]
        keep = np.isin(key_at, chosen)
        return len(repeated), at[keep], key_at[keep]


def _duplicate_cases(
    index: _IdIndex,
    values_at: Callable[[np.ndarray], np.ndarray] | None,
) -> tuple[int, list[dict[str, Any]]]:
    """Failure cases for repeated ids, and how many ids repeat."""
    n_repeated, positions, keys = index.duplicates(_MAX_FAILURE_CASES)
    if n_repeated == 0:
        return 0, []
    confirm = not index.exact and values_at is not None
    if index.exact:
        values: np.ndarray = keys
    elif confirm:
        assert values_at is not None
        values = np.asarray(values_at(positions), dtype=object)
    else:
        values = np.full(len(keys), None, dtype=object)  # hashes only, unconfirmed
    cases: list[dict[str, Any]] = []
    collisions = 0
    for _, where in pd.Series(np.arange(len(keys))).groupby(keys, sort=False):
        rows, shown = positions[where.to_numpy()], values[where.to_numpy()]
        groups = [(shown[0], rows)]
        if confirm:
            # Equal hashes but unequal ids are a collision, not a duplicate.
            by_value: dict[Any, list[int]] = {}
            for value, row in zip(shown, rows, strict=True):
                if not pd.isna(value):
                    by_value.setdefault(value, []).append(int(row))
            groups = [(v, np.asarray(r)) for v, r in by_value.items()]
        found = [(v, r) for v, r in groups if len(r) > 1]
        collisions += not found
        for _, value_rows in found:
            # The ids were read back only to tell duplicates from hash collisions; an
            # identifier is never shown, the rows are.
            cases.append(
                {
                    "column": "victim_id",
                    "check": "unique",
                    "value": WITHHELD,
                    "n_rows": len(value_rows),
                    "rows": [int(r) for r in value_rows[:_SHOWN_ROWS]],
                }
            )
    return n_repeated - collisions, cases


def _plural(noun: str) -> str:
    return noun + ("es" if noun.endswith(("ch", "s")) else "s")


# --------------------------------------------------------------------------------------
# Adding parts up


@dataclass
class _Warnings:
    """Data-quality warnings of every part, merged by check."""

    rows: dict[tuple[str, str, str], list[Any]] = field(default_factory=dict)
    added: dict[str, None] = field(default_factory=dict)
    coerced: dict[str, None] = field(default_factory=dict)
    assumptions: dict[str, None] = field(default_factory=dict)

    def add(self, report: ValidationReport, offset: int) -> None:
        self.added.update(dict.fromkeys(report.added_columns))
        self.coerced.update(dict.fromkeys(report.coerced_columns))
        self.assumptions.update(dict.fromkeys(report.assumptions))
        for w in report.warnings.to_dict("records"):
            key = (str(w["check"]), str(w["column"]), str(w["detail"]))
            entry = self.rows.setdefault(key, [0, []])
            entry[0] += int(w["n_rows"])
            room = _SHOWN_ROWS - len(entry[1])
            entry[1].extend(int(r) + offset for r in list(w["rows"])[:room])

    def report(self, n_rows: int) -> ValidationReport:
        frame = pd.DataFrame(
            [
                {"check": c, "column": col, "n_rows": n, "rows": rows, "detail": d}
                for (c, col, d), (n, rows) in self.rows.items()
            ],
            columns=_WARNING_COLUMNS,
        )
        return ValidationReport(
            n_rows=n_rows,
            warnings=frame,
            added_columns=list(self.added),
            coerced_columns=list(self.coerced),
            assumptions=list(self.assumptions),
        )


def _add_two(running: pd.DataFrame, cube: pd.DataFrame) -> pd.DataFrame:
    """``add_cubes(running, cube)``, by plain addition when both have the same cells.

    Parts of one data set usually share every level (all years, all areas), and then the
    counts line up row for row: adding the arrays skips re-encoding the whole cube.
    """
    keys = [c for c in running.columns if c != "count"]
    same = (
        list(cube.columns) == list(running.columns)
        and len(cube) == len(running)
        and all(running[k].equals(cube[k]) for k in keys)
    )
    if not same:
        return add_cubes(running, cube)
    out = running.copy(deep=False)
    out["count"] = running["count"].to_numpy() + cube["count"].to_numpy()
    return out


def _error_text(
    cases: pd.DataFrame, header: str, hint: str, positions_are: str, truncated: bool = False
) -> str:
    lines = [f"{header}{' (list truncated)' if truncated else ''}"]
    lines.append(f"  (row positions are 0-based {positions_are})")
    lines += _case_lines(cases.iloc[:_SHOWN_CASES])
    if len(cases) > _SHOWN_CASES:
        lines.append(f"  - … and {len(cases) - _SHOWN_CASES} more in e.failure_cases")
    lines.append(hint)
    return "\n".join(lines)


class CubeAccumulator:
    """Add up the count cubes of consecutive parts of one data set.

    Each part (a batch of rows, a chunk, a partition) is validated, classified and
    counted when it is added, and only a running cube is kept. What needs the whole data
    is checked once, by :meth:`result`: that there is at least one row, and that
    ``victim_id`` is unique across parts.

    Parameters
    ----------
    by : str or sequence of str
        The breakdown, as for :func:`femstat.counts`.
    type_column : str, optional
        The classification to count; defaults to ``rules.type_column``.
    age_groups, male_comparator, rules :
        As for :func:`femstat.counts`.
    mapping : Mapping, path or dict, optional
        A source coding applied to each part before validation
        (:mod:`femstat.sources.mapping`).
    check_unique_ids : bool, default True
        Check that ``victim_id`` (when present) is unique across all parts. The ids are
        kept as 8-byte keys, one per row (about 16 bytes per row while they are sorted at
        the end): 100 million rows take about 1.6 GB at that moment. Duplicates within one
        part are always caught by :func:`femstat.validate`.
    source : str, default "data"
        How messages name the data set.
    unit : str, default "part"
        How messages name a part ("batch", "partition").

    Notes
    -----
    Row positions in errors and warnings are 0-based positions in the whole data set
    (the parts in the order they were added), not within a part.

    Parts that are already classified (they hold ``type_column``) are counted as they
    are, without validation, as :func:`femstat.counts` does for a classified frame.

    Examples
    --------
    >>> import femstat as fs
    >>> from femstat.stream import CubeAccumulator
    >>> data = fs.synth.generate(1_000, seed=1)
    >>> acc = CubeAccumulator(["year"])
    >>> for start in range(0, len(data), 300):
    ...     acc.add(data.iloc[start : start + 300])
    >>> cube = acc.result()
    >>> int(cube["count"].sum())
    1000
    """

    def __init__(
        self,
        by: Sequence[str] | str = (),
        *,
        type_column: str | None = None,
        age_groups: str | AgeScheme | Sequence[int] = "unodc",
        male_comparator: bool = False,
        rules: RuleSet = UN_2022,
        mapping: MappingLike | None = None,
        check_unique_ids: bool = True,
        source: str = "data",
        unit: str = "part",
    ) -> None:
        by_list = [by] if isinstance(by, str) else list(by)
        groups = age_groups if isinstance(age_groups, str | AgeScheme) else tuple(age_groups)
        self._options = _Options(
            by=tuple(by_list),
            type_column=type_column if type_column is not None else rules.type_column,
            age_groups=groups,
            male_comparator=male_comparator,
            rules=rules,
            mapping=load_mapping(mapping) if mapping is not None else None,
            check_unique_ids=check_unique_ids,
        )
        self._source = source
        self._unit = unit
        self._cube: pd.DataFrame | None = None
        self._ids = _IdIndex()
        self._warnings = _Warnings()
        self._n_rows = 0
        self._n_parts = 0

    @classmethod
    def _from_options(cls, options: _Options, *, source: str, unit: str) -> CubeAccumulator:
        accumulator = cls(source=source, unit=unit)
        accumulator._options = options
        return accumulator

    @property
    def n_rows(self) -> int:
        """Rows added so far."""
        return self._n_rows

    def add(self, frame: pd.DataFrame) -> None:
        """Validate, classify and count the next part of the data.

        Raises
        ------
        femstat.ValidationError
            When the part cannot be validated; row positions are those in the whole
            data set.
        """
        self._add_counts(_count_part(frame, self._options))

    def _add_counts(self, part: _PartCounts) -> None:
        offset = self._n_rows
        self._n_parts += 1
        if part.failure is not None:
            raise self._shifted(part.failure, offset, part.n_rows)
        if part.report is not None:
            self._warnings.add(part.report, offset)
        if part.ids is not None:
            self._ids.add(part.ids, part.ids_exact)
        if part.cube is not None:
            self._cube = part.cube if self._cube is None else _add_two(self._cube, part.cube)
        self._n_rows += part.n_rows

    def _shifted(self, failure: _Failure, offset: int, n_rows: int) -> ValidationError:
        cases = failure.cases
        shifted = cases.copy()
        shifted["rows"] = [[int(r) + offset for r in rows] for rows in cases["rows"]]
        hint = failure.hint or "What to do: see e.failure_cases for every case."
        # Dask numbers partitions from 0 (ddf.partitions[i]); people count batches from 1.
        number = self._n_parts - 1 if self._unit == "partition" else self._n_parts
        header = (
            f"femstat cannot use {self._unit} {number} of {self._source} "
            f"({n_rows:,} rows from row {offset:,}): {len(cases)} problem(s)"
        )
        text = _error_text(shifted, header, hint, f"in the whole {self._source}", failure.truncated)
        return ValidationError(text, shifted, hint=hint, truncated=failure.truncated)

    @overload
    def result(self, *, report: Literal[False] = ...) -> pd.DataFrame: ...

    @overload
    def result(self, *, report: Literal[True]) -> tuple[pd.DataFrame, ValidationReport]: ...

    def result(
        self, *, report: bool = False
    ) -> pd.DataFrame | tuple[pd.DataFrame, ValidationReport]:
        """Run the whole-data checks and return the cube of everything added.

        Parameters
        ----------
        report : bool, default False
            Also return the merged :class:`femstat.ValidationReport`. When False, the
            data-quality warnings of all parts are emitted as one
            :class:`femstat.DataQualityWarning`.

        Raises
        ------
        femstat.ValidationError
            When no rows were added, or ``victim_id`` repeats across parts.
        """
        return self._finish(report=report, values_at=None, stacklevel=3)

    def _finish(
        self,
        *,
        report: bool,
        values_at: Callable[[np.ndarray], np.ndarray] | None,
        stacklevel: int,
    ) -> Any:
        merged = self._check_whole(values_at)
        if report:
            return self._cube, merged
        self._warn(merged, stacklevel=stacklevel + 1)
        return self._cube

    def _check_whole(
        self, values_at: Callable[[np.ndarray], np.ndarray] | None
    ) -> ValidationReport:
        """The checks that need every part; returns the merged validation report."""
        if self._n_rows == 0:
            validate(pd.DataFrame())  # raises the not_empty ValidationError
        self._check_ids(values_at)
        return self._warnings.report(self._n_rows)

    def _warn(self, merged: ValidationReport, *, stacklevel: int) -> None:
        if merged.warnings.empty:
            return
        warnings.warn(
            f"femstat data-quality warnings ({self._source}, {self._n_rows:,} rows):\n"
            + "\n".join(
                f"  [{w['check']}] {w['n_rows']:,} rows: {w['detail']}"
                for w in merged.warnings.to_dict("records")
            )
            + "\nPass report=True for the row positions.",
            DataQualityWarning,
            stacklevel=stacklevel + 1,
        )

    def _check_ids(self, values_at: Callable[[np.ndarray], np.ndarray] | None) -> None:
        if not self._options.check_unique_ids:
            return
        n_repeated, cases = _duplicate_cases(self._ids, values_at)
        if not cases:
            return
        frame = pd.DataFrame(cases, columns=_FAILURE_COLUMNS)
        frame["value"] = pd.Series([c["value"] for c in cases], dtype=object)
        header = (
            f"femstat cannot use this victim table ({self._source}, {self._n_rows:,} rows in "
            f"{self._n_parts} {_plural(self._unit)}): {n_repeated:,} victim_id value(s) occur in "
            "more than one row"
        )
        hint = (
            "What to do: remove the repeated records (the same victim counted twice), or "
            "give each victim her own victim_id; see e.failure_cases for every case."
        )
        text = _error_text(
            frame,
            header,
            hint,
            f"in the whole {self._source}",
            truncated=n_repeated > len(cases),
        )
        raise ValidationError(text, frame)


# --------------------------------------------------------------------------------------
# Files


def _needed_columns(
    available: Sequence[str],
    by: Sequence[str],
    rules: RuleSet,
    check_unique_ids: bool,
) -> set[str]:
    """The femstat columns that validation, classification and the breakdown read."""
    needed = {*_ALWAYS_READ, *rules.criteria}
    needed.add("year" if "year" in available else "date")
    needed.update(by)  # derived ones (age_group, relationship_group) read what is above
    if check_unique_ids:
        needed.add("victim_id")
    return needed


def _projection(
    file_columns: Sequence[str],
    mapping: Mapping | None,
    needed: set[str],
) -> tuple[list[str], Mapping | None]:
    """File columns to read and the part of the mapping that feeds the needed columns."""
    specs = [s for s in (mapping.columns if mapping is not None else ()) if s.target in needed]
    sources = {s.source for s in specs}
    columns = [c for c in file_columns if c in needed or c in sources]
    if mapping is None:
        return columns, None
    return columns, Mapping(tuple(specs), mapping.meta, mapping.reader)


@contextmanager
def _progress_bar(
    progress: bool | None, total: int | None, description: str
) -> Iterator[Callable[[int], None]]:
    stderr = sys.stderr
    show = progress if progress is not None else bool(stderr is not None and stderr.isatty())
    if not show:
        yield lambda n: None
        return
    if progress is None:
        try:
            import rich.progress  # noqa: F401
        except ImportError:  # optional: no bar rather than an error when not asked for
            yield lambda n: None
            return
    require("rich", "cli")
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    columns = [TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn()]
    columns += [TextColumn("rows"), TimeElapsedColumn(), TimeRemainingColumn()]
    with Progress(*columns, console=Console(stderr=True)) as bar:
        task = bar.add_task(description, total=total)
        yield lambda n: bar.advance(task, n)


@contextmanager
def _rows_hint(n_rows: int) -> Iterator[None]:
    token = _kernel.AUTO_ROWS_HINT.set(n_rows)
    try:
        yield
    finally:
        _kernel.AUTO_ROWS_HINT.reset(token)


def _file_bytes(path: Path) -> int:
    try:
        return path.stat().st_size if path.is_file() else 0
    except OSError:
        return 0


def _count_fast(
    path: Path,
    fmt: Format,
    columns: list[str],
    mapping: Mapping | None,
    batch_rows: int,
    kwargs: dict[str, Any],
    accumulator: CubeAccumulator,
    advance: Callable[[int], None],
) -> int | None:
    """Count the file through the Arrow-native reader (:mod:`femstat.sources.arrow`).

    Returns None when every batch was counted; otherwise the number of batches counted
    before the fast path gave way (0 when it does not apply to this file), from which the
    general path takes over.
    """
    done = 0
    try:
        with fast_frames(
            path, format=fmt, columns=columns, batch_rows=batch_rows, mapping=mapping, **kwargs
        ) as fast:
            if fast is None:
                return 0
            made: dict[str, Any] = {}  # all-unknown columns, made once for the stream
            checker = BatchChecker(fast.categorical, mapping, made, enabled=fmt == "parquet")
            for raw in fast.frames:
                checked = checker.validated(raw)
                frame, added = (raw, []) if checked else with_unknown_columns(raw, mapping, made)
                part = _count_part(frame, accumulator._options, checked)
                if part.failure is not None:
                    _log.debug("fast path: batch %d fails validation", done + 1)
                    return done
                if part.report is not None and checked is None:
                    coerced_as_text(part.report, fast.categorical, mapping)
                    added_as_unknown(part.report, added)
                accumulator._add_counts(part)
                advance(len(frame))
                done += 1
    except MemoryError:
        raise
    except Exception as exc:  # the general path reads the file again and says what is wrong
        _log.debug("fast path gave way at batch %d: %s", done + 1, type(exc).__name__)
        return done
    return None


@overload
def counts_from_file(
    path: str | os.PathLike[str],
    by: Sequence[str] | str = ...,
    *,
    mapping: MappingLike | None = ...,
    format: Format | None = ...,
    batch_rows: int = ...,
    progress: bool | None = ...,
    age_groups: str | AgeScheme | Sequence[int] = ...,
    rules: RuleSet = ...,
    male_comparator: bool = ...,
    check_unique_ids: bool = ...,
    value_labels: ValueLabels = ...,
    report: Literal[False] = ...,
    **kwargs: Any,
) -> pd.DataFrame: ...


@overload
def counts_from_file(
    path: str | os.PathLike[str],
    by: Sequence[str] | str = ...,
    *,
    mapping: MappingLike | None = ...,
    format: Format | None = ...,
    batch_rows: int = ...,
    progress: bool | None = ...,
    age_groups: str | AgeScheme | Sequence[int] = ...,
    rules: RuleSet = ...,
    male_comparator: bool = ...,
    check_unique_ids: bool = ...,
    value_labels: ValueLabels = ...,
    report: Literal[True],
    **kwargs: Any,
) -> tuple[pd.DataFrame, ValidationReport]: ...


def counts_from_file(
    path: str | os.PathLike[str],
    by: Sequence[str] | str = (),
    *,
    mapping: MappingLike | None = None,
    format: Format | None = None,
    batch_rows: int = 1_000_000,
    progress: bool | None = None,
    age_groups: str | AgeScheme | Sequence[int] = "unodc",
    rules: RuleSet = UN_2022,
    male_comparator: bool = False,
    check_unique_ids: bool = True,
    value_labels: ValueLabels = "auto",
    report: bool = False,
    **kwargs: Any,
) -> pd.DataFrame | tuple[pd.DataFrame, ValidationReport]:
    """Count a victim file of any size, batch by batch, in bounded memory.

    The result equals ``fs.counts(fs.read(path, mapping), by, ...)``, without ever
    holding the whole file: each batch is read (only the columns needed), mapped,
    validated, classified and counted, and its cube added to a running cube.

    Parameters
    ----------
    path : str or path
        Parquet (read with :mod:`pyarrow.dataset`), CSV or TSV (also compressed), SPSS
        ``.sav`` or Stata ``.dta`` (read with ``pyreadstat.read_file_in_chunks``).
    by : str or sequence of str
        The breakdown, as for :func:`femstat.counts`.
    mapping : Mapping, path or dict, optional
        The source's coding (:mod:`femstat.sources.mapping`), applied to each batch.
    format : str, optional
        Overrides the file extension (see :data:`femstat.sources.FORMATS`).
    batch_rows : int, default 1,000,000
        Rows per batch. Memory grows with it (a few hundred bytes per row for the
        columns read), not with the file.
    progress : bool, optional
        Show a progress bar on standard error (needs rich: ``pip install
        'femstat[cli]'``). By default, only when standard error is a terminal.
    age_groups, rules, male_comparator :
        As for :func:`femstat.counts`. Pass ``male_comparator=True`` to feed
        :func:`femstat.indicators` the male comparator.
    check_unique_ids : bool, default True
        Check that ``victim_id`` is unique in the whole file. Costs 8 bytes per row while
        reading and about 16 at the end (1.6 GB for 100 million rows); with False the
        ``victim_id`` column is not read at all.
    value_labels : {"auto", "labels", "codes"}, default "auto"
        SPSS and Stata value labels (see :func:`femstat.sources.readers.iter_raw`).
    report : bool, default False
        Also return the merged :class:`femstat.ValidationReport`; otherwise its warnings
        are emitted once, as one :class:`femstat.DataQualityWarning`.
    **kwargs
        Passed to the file reader (``sep``, ``encoding`` for CSV, for instance), and
        ``max_decompressed``, the most bytes a compressed CSV may expand to (see
        :func:`femstat.sources.files.decompression_limit`). CSV is read as
        :func:`femstat.read` reads it: every cell as text, the delimiter sniffed, UTF-8
        unless told.

    Returns
    -------
    pandas.DataFrame or (pandas.DataFrame, ValidationReport)
        The complete count cube of the whole file.

    Raises
    ------
    femstat.ValidationError
        At the first batch that cannot be mapped or validated (row positions are those
        in the file: 0-based data rows, the header not counted), or at the end when
        ``victim_id`` repeats across batches or the file has no rows.
    femstat.sources.SourceError
        When the file cannot be read: corrupt or cut short (found at the batch that
        reaches the damage), in another encoding, or expanding past the limit.

    Notes
    -----
    Only the columns the count needs are read: those validation requires, the criteria
    of ``rules``, ``iccs_code``, ``year`` (or ``date`` when there is no year), ``by`` and
    ``victim_id``, or the source columns a mapping turns into them. Problems in other
    columns are therefore not reported; run :func:`femstat.read` on a sample for a full
    check. A perpetrator table cannot be folded in batch by batch: fold it first.

    Parquet files (one, or a directory of them) and UTF-8 CSV or TSV files are read by
    the Arrow-native path (:mod:`femstat.sources.arrow`): only the needed columns,
    decoded on threads while the previous batch is counted, text columns kept
    dictionary-encoded so that validation reads each distinct value once. Its cubes,
    reports, errors, warnings and row numbers are the general path's: at the first batch
    that fails validation, or when pyarrow refuses the file, the general path reads the
    file again from that batch on and reports the problem itself.
    ``FEMSTAT_FAST_READ=0`` turns the fast path off. The kernel is chosen by the size of
    the whole file (see :mod:`femstat._kernel`): numba for 5 million rows or more, however
    small the batches.

    The whole-data checks run on the merged key set, not per batch: a ``victim_id``
    repeated in two batches is an error like one repeated within a batch. Ids that are
    not whole numbers are kept as 64-bit hashes and confirmed against a second read of
    the ``victim_id`` column before an error is raised, so a hash collision never
    produces a false error.

    Examples
    --------
    >>> import femstat as fs
    >>> from femstat.stream import counts_from_file
    >>> cube = counts_from_file("register.parquet", ["year"], batch_rows=500_000)  # doctest: +SKIP
    >>> fs.indicators(cube, ["year"])  # doctest: +SKIP
    """
    path = Path(path)
    resolved = load_mapping(mapping) if mapping is not None else None
    info = raw_info(path, format=format, **kwargs)
    produced = {s.target for s in resolved.columns} if resolved is not None else set()
    by_list = [by] if isinstance(by, str) else list(by)
    needed = _needed_columns(
        [*info.columns, *produced], by_list, rules, check_unique_ids=check_unique_ids
    )
    columns, restricted = _projection(info.columns, resolved, needed)
    accumulator = CubeAccumulator(
        by_list,
        type_column=rules.type_column,
        age_groups=age_groups,
        male_comparator=male_comparator,
        rules=rules,
        mapping=restricted,
        check_unique_ids=check_unique_ids,
        source=f"file {path.name!r}",
        unit="batch",
    )

    def batches(wanted: list[str], coding: Mapping | None) -> Iterator[pd.DataFrame]:
        return iter_raw(
            path,
            format=info.format,
            columns=wanted,
            batch_rows=batch_rows,
            mapping=coding,
            value_labels=value_labels,
            **kwargs,
        )

    # The kernel is chosen by the size of the whole file, not of a batch: numba's first
    # call in a process is paid once for every batch (a CSV's rows are estimated from its
    # size, at 100 bytes a row).
    whole = info.n_rows if info.n_rows is not None else _file_bytes(path) // 100
    with _progress_bar(progress, info.n_rows, path.name) as advance, _rows_hint(whole):
        counted = _count_fast(
            path, info.format, columns, restricted, batch_rows, kwargs, accumulator, advance
        )
        if counted is not None:
            # The general path from the first batch the fast path did not count: a batch
            # that fails, or a file pyarrow refuses, gets the general path's own error.
            for k, batch in enumerate(batches(columns, resolved)):
                if k >= counted:
                    accumulator.add(batch)
                    advance(len(batch))

    def ids_at(positions: np.ndarray) -> np.ndarray:
        """A second, narrow read: the ids at the rows whose hashes repeat (ascending)."""
        id_specs = tuple(
            s for s in (restricted.columns if restricted else ()) if s.target == "victim_id"
        )
        wanted = [c for c in info.columns if c in {"victim_id", *(s.source for s in id_specs)}]
        coding = Mapping(id_specs) if id_specs else None
        out = np.empty(len(positions), dtype=object)
        for batch in batches(wanted, resolved):
            start, stop = int(batch.index[0]), int(batch.index[-1]) + 1
            lo, hi = np.searchsorted(positions, [start, stop])
            if hi > lo:
                ids = (coding.apply(batch) if coding is not None else batch)["victim_id"]
                out[lo:hi] = ids.to_numpy(dtype=object)[positions[lo:hi] - start]
            if stop > positions[-1]:
                break
        return out

    return accumulator._finish(report=report, values_at=ids_at, stacklevel=2)
