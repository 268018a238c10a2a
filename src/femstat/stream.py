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
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal, overload

import numpy as np
import pandas as pd

from femstat import _kernel
from femstat._cube import Options, PartsAccumulator, count_part, needed_columns
from femstat.ages import AgeScheme
from femstat.classify import UN_2022, RuleSet
from femstat.errors import require
from femstat.sources.arrow import (
    added_as_unknown,
    coerced_as_text,
    frame_of,
    with_unknown_columns,
)
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
from femstat.validate import ValidationReport

__all__ = ["CubeAccumulator", "counts_from_file"]

_log = logging.getLogger(__name__)


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
        options = Options(
            by=tuple(by_list),
            type_column=type_column if type_column is not None else rules.type_column,
            age_groups=groups,
            male_comparator=male_comparator,
            rules=rules,
            mapping=load_mapping(mapping) if mapping is not None else None,
            check_unique_ids=check_unique_ids,
        )
        # The running cube, ids and warnings, shared with the Dask partitions' engine.
        self._parts = PartsAccumulator(options, source=source, unit=unit)

    @property
    def n_rows(self) -> int:
        """Rows added so far."""
        return self._parts.n_rows

    def add(self, frame: pd.DataFrame) -> None:
        """Validate, classify and count the next part of the data.

        Raises
        ------
        femstat.ValidationError
            When the part cannot be validated; row positions are those in the whole
            data set.
        """
        self._parts.add_counts(count_part(frame, self._parts.options))

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
        return self._parts.finish(report=report, values_at=None, stacklevel=3)


# --------------------------------------------------------------------------------------
# Files


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
    made: dict[str, Any] = {}  # all-unknown columns, made once for the stream
    options = accumulator._parts.options

    def count(
        raw: pd.DataFrame,
        checked: tuple[pd.DataFrame, ValidationReport] | None,
        categorical: frozenset[str],
    ) -> bool:
        """Count one batch; False when it fails validation (the general path reports it)."""
        frame, added = (raw, []) if checked else with_unknown_columns(raw, mapping, made)
        part = count_part(frame, options, checked)
        if part.failure is not None:
            _log.debug("fast path: batch %d fails validation", done + 1)
            return False
        if part.report is not None and checked is None:
            coerced_as_text(part.report, categorical, mapping)
            added_as_unknown(part.report, added)
        accumulator._parts.add_counts(part)
        advance(len(frame))
        return True

    try:
        with fast_frames(
            path, format=fmt, columns=columns, batch_rows=batch_rows, mapping=mapping, **kwargs
        ) as fast:
            if fast is None:
                return 0
            if fast.tables is not None:  # Parquet
                checker = BatchChecker(fast.categorical, mapping, made)
                offset = 0
                for table in fast.tables:
                    # Straight from Arrow when the batch's columns allow it; otherwise
                    # through the pandas frame, as before.
                    text, free = fast.categorical, fast.free_text
                    read = checker.validated_table(table, text, free, offset)
                    checked: tuple[pd.DataFrame, ValidationReport] | None
                    if read:
                        raw, checked = read[0], read
                    else:
                        raw = frame_of(table, text, offset, free)
                        # False: its distinct values were validated, and the batch is to
                        # be validated whole; None: validate the frame by them.
                        checked = None if read is False else checker.validated(raw)
                    if not count(raw, checked, text):
                        return done
                    offset += table.num_rows
                    done += 1
                return None
            # Batches of CSV are validated whole: every column arrives as text, and
            # validating by distinct values measured slower there (docs/performance.md).
            checker = BatchChecker(fast.categorical, mapping, made, enabled=False)
            for raw in fast.frames:
                if not count(raw, checker.validated(raw), fast.categorical):
                    return done
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
    needed = needed_columns(
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

    return accumulator._parts.finish(report=report, values_at=ids_at, stacklevel=2)
