"""Arrow-native reading of Parquet and CSV files: each distinct value once, never a string per row.

The general readers (:mod:`femstat.sources.readers`) hand :func:`femstat.validate` one
Python string per cell: pandas turns every CSV cell and every Parquet text value into a
string object, and validation then factorises the column to look each distinct spelling up
once. This module skips the strings. pyarrow decodes Parquet row groups and parses CSV
blocks on threads, keeps the text columns that validation coerces *dictionary-encoded*,
and hands them to validation as pandas Categoricals whose categories are the distinct
values actually present, sorted. Validation reads a Categorical's categories as its
distinct values (``validate._factorize``), so every distinct spelling goes through exactly
the normalisation and mappings the general path applies, and the rows are remapped with
one ``take`` of the integer codes.

Results are the general path's by construction, not by imitation:

- only the columns validation coerces (code lists, booleans, ages, year, date, ICCS code,
  area) are read as dictionaries, and only when no mapping recodes them; identifiers,
  columns a mapping recodes and columns femstat does not know are converted exactly as
  the general path converts them (``pyarrow.Table.to_pandas``, or text for CSV);
- Parquet columns that pandas itself wrote as nullable booleans and integers are turned
  into pandas' masked arrays straight from Arrow's buffers, which is what
  ``to_pandas`` does through slower generic code;
- batches have the general path's boundaries (``batch_rows`` rows each, across row
  groups), so batch numbers and row offsets agree;
- whatever the fast path cannot read identically it does not read at all: an encoding
  other than UTF-8, reader options other than the delimiter, repeated column names
  (pandas renames them), a directory of Parquet files whose schemas differ. And when a
  batch fails validation or pyarrow refuses the file, the caller goes back to the
  general path from that batch on (:func:`femstat.stream.counts_from_file`,
  :func:`femstat.read`), so errors, warnings and row numbers are the general path's own.

``FEMSTAT_FAST_READ=0`` turns the fast path off.
"""

from __future__ import annotations

import csv
import os
import threading
from collections import deque
from collections.abc import Generator, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from femstat.schemas import victim_variables
from femstat.sources.mapping import Mapping

__all__ = [
    "ENV_VAR",
    "ParquetRead",
    "Plan",
    "added_as_unknown",
    "coerced_as_text",
    "csv_tables",
    "enabled",
    "frame_of",
    "joined",
    "parquet_tables",
    "plan",
    "rebatch",
    "slices",
    "with_unknown_columns",
]

_DICTIONARY_KINDS = frozenset({"code", "boolean", "integer", "year", "date", "text"})
"""Kinds of victim variables whose text validation reads value by distinct value."""

_CSV_OPTIONS = frozenset({"sep", "delimiter", "encoding", "max_decompressed"})
"""Reader options the fast CSV path reproduces; any other sends a file the general way."""

_UTF8 = frozenset({"utf-8", "utf-8-sig", "utf8", "utf_8"})

_CSV_BLOCK_BYTES = 16 * 2**20
_READ_AHEAD = 2
"""Row groups decoded ahead of the one being counted (bounded memory)."""


ENV_VAR = "FEMSTAT_FAST_READ"
"""Environment variable: ``0`` turns the fast path off (every file is read the general way)."""


def enabled() -> bool:
    """Whether the fast path may be used (``FEMSTAT_FAST_READ`` is not ``0``)."""
    return os.environ.get(ENV_VAR, "1").strip().lower() not in ("0", "false", "no", "off")


def _arrow() -> Any:
    import pyarrow as pa

    return pa


@dataclass(frozen=True)
class Plan:
    """Which columns to read, and which of them as dictionaries.

    Attributes
    ----------
    columns : tuple of str
        File columns to read, in file order.
    dictionary : frozenset of str
        The columns read dictionary-encoded and handed to validation as Categoricals.
    free_text : frozenset of str
        Those of them that feed a free text variable (``area``, ``iccs_code``).
    """

    columns: tuple[str, ...]
    dictionary: frozenset[str]
    free_text: frozenset[str] = frozenset()


def plan(columns: Sequence[str], mapping: Mapping | None) -> Plan:
    """The fast path's reading plan for ``columns`` of a file, given its mapping.

    A column is read as a dictionary when validation coerces it value by distinct value:
    a victim variable of a kind validation reads as text, under its own name or renamed
    to it by the mapping. Columns a mapping recodes keep the general path's form, so that
    the mapping sees exactly what it sees there.
    """
    variables = victim_variables()
    specs = mapping.columns if mapping is not None else ()
    chosen: set[str] = set()
    free: set[str] = set()
    for name in columns:
        own = [s for s in specs if s.source == name]
        if own:
            target = own[0].target
            ok = len(own) == 1 and own[0].is_rename
        else:
            target, ok = name, True
        variable = variables.get(target)
        if ok and variable is not None and variable.kind in _DICTIONARY_KINDS:
            chosen.add(name)
            if variable.kind == "text":
                free.add(name)
    return Plan(tuple(columns), frozenset(chosen), frozenset(free))


# --------------------------------------------------------------------------------------
# Arrow to pandas


def _categorical(column: Any, name: str, free_text: bool) -> pd.Series:
    """A dictionary-encoded column as a Categorical of its values present, sorted.

    The categories of a free text column are pandas' text dtype, as validation makes
    them, so that one already canonical is passed on as validation would build it. Every
    other column gets categories of Python objects: a Categorical whose categories are a
    code list's in another order would otherwise compare equal to the code list's dtype
    (pandas ignores the order of unordered categories) and pass validation unchanged,
    with codes in the wrong order.
    """
    pa = _arrow()
    import pyarrow.compute as pc

    if column.num_chunks > 1 and pa.types.is_dictionary(column.type):
        # One dictionary for the batch (pyarrow remaps each block's indices in C++), so
        # that what follows runs once over one array rather than once per CSV block.
        column = pa.chunked_array([column.unify_dictionaries().combine_chunks()])
    chunks = [c for c in column.chunks if len(c)] or list(column.chunks)
    parts: list[tuple[np.ndarray, list[Any]]] = []
    seen: set[str] = set()
    for chunk in chunks:
        if not pa.types.is_dictionary(chunk.type):
            chunk = pc.dictionary_encode(chunk)
        values = chunk.dictionary.to_pylist()
        # Missing rows point one past the dictionary, where the remap below holds -1.
        filled = pc.fill_null(chunk.indices, pa.scalar(len(values), chunk.indices.type))
        indices = np.asarray(filled.to_numpy(zero_copy_only=False))
        present = np.bincount(indices, minlength=len(values) + 1)[: len(values)] > 0
        parts.append((indices, values))
        seen.update(v for v, used in zip(values, present, strict=True) if used)
    categories = sorted(seen)
    position = {v: i for i, v in enumerate(categories)}
    code_type = np.int8 if len(categories) < 127 else np.int32
    codes = []
    for indices, values in parts:
        remap = np.array([position.get(v, -1) for v in values] + [-1], dtype=code_type)
        codes.append(remap[indices])
    flat = np.concatenate(codes) if len(codes) != 1 else codes[0]
    if not codes:
        flat = np.empty(0, dtype=code_type)
    dtype = pd.CategoricalDtype(pd.Index(categories, dtype="str" if free_text else object))
    # The codes are in range by construction: pandas' check would be one more pass.
    categorical = pd.Categorical.from_codes(flat, dtype=dtype, validate=False)
    return pd.Series(categorical, name=name)


def _masked_parts(array: Any, dtype: Any) -> tuple[np.ndarray, np.ndarray]:
    """Values and missing mask of a one-chunk Arrow array of booleans or integers."""
    n, offset = len(array), array.offset
    validity, data = array.buffers()[:2]
    if dtype is bool:
        bits = np.unpackbits(np.frombuffer(data, dtype=np.uint8), bitorder="little")
        values = bits[offset : offset + n].view(bool)
    else:
        values = np.frombuffer(data, dtype=dtype)[offset : offset + n]
    if validity is None or array.null_count == 0:
        return values, np.zeros(n, dtype=bool)
    valid = np.unpackbits(np.frombuffer(validity, dtype=np.uint8), bitorder="little")
    missing = ~valid[offset : offset + n].view(bool)
    # Slots under the mask hold whatever the decoder left there: zero them, so that
    # range checks on the raw values never see them.
    if values.dtype == bool:
        return values & ~missing, missing
    # One vectorised pass: a masked assignment is much slower when many slots are missing.
    return np.where(missing, values.dtype.type(0), values), missing


_NULLABLE = {
    "boolean": bool,
    "Int8": np.int8,
    "Int16": np.int16,
    "Int32": np.int32,
    "Int64": np.int64,
}


def _stored_categorical(column: Any, name: str) -> pd.Series | None:
    """A column the file stores as a dictionary of text, as ``to_pandas`` converts it.

    ``to_pandas`` makes a Categorical whose categories are the dictionary (pandas' text
    dtype) and whose codes are the indices, missing ones -1; this does the same from the
    buffers, without its generic machinery. None for what it does not cover (several
    chunks, whose dictionaries ``to_pandas`` would unify; other value types; a missing
    value inside the dictionary): that goes through ``to_pandas``.
    """
    pa = _arrow()
    if column.num_chunks != 1:
        return None
    chunk = column.chunk(0)
    if not pa.types.is_string(chunk.type.value_type) or chunk.dictionary.null_count:
        return None
    indices = chunk.indices
    if not pa.types.is_signed_integer(indices.type):
        return None
    dtype = np.dtype(indices.type.to_pandas_dtype())
    data = indices.buffers()[1]
    n, offset = len(indices), indices.offset
    codes = np.frombuffer(data, dtype=dtype)[offset : offset + n] if n else np.empty(0, dtype)
    if indices.null_count:
        validity = np.frombuffer(indices.buffers()[0], dtype=np.uint8)
        valid = np.unpackbits(validity, bitorder="little")[offset : offset + n].view(bool)
        codes = np.where(valid, codes, dtype.type(-1))
    else:
        codes = codes.copy()  # the Arrow buffer is read-only, and pandas may write codes
    categories = pd.Index(chunk.dictionary.to_pylist(), dtype="str")
    categorical = pd.Categorical.from_codes(
        codes, dtype=pd.CategoricalDtype(categories, ordered=chunk.type.ordered), validate=False
    )
    return pd.Series(categorical, name=name)


def _nullable_types(table: Any) -> dict[str, str]:
    """Columns pandas wrote as nullable booleans or integers (from the pandas metadata)."""
    meta = table.schema.pandas_metadata or {}
    return {
        str(c["name"]): str(c["numpy_type"])
        for c in meta.get("columns", [])
        if str(c.get("numpy_type")) in _NULLABLE
    }


def _masked(column: Any, name: str, numpy_type: str) -> pd.Series | None:
    """A column pandas wrote as a nullable type, as that pandas type, from Arrow's buffers."""
    pa = _arrow()
    array = column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
    dtype = _NULLABLE[numpy_type]
    if dtype is bool:
        if not pa.types.is_boolean(array.type):
            return None
        values, missing = _masked_parts(array, bool)
        return pd.Series(pd.arrays.BooleanArray(values, missing), name=name)
    if array.type != pa.from_numpy_dtype(np.dtype(dtype)):
        return None
    values, missing = _masked_parts(array, dtype)
    return pd.Series(pd.arrays.IntegerArray(values, missing), name=name)


def frame_of(
    table: Any,
    dictionary: frozenset[str],
    start: int = 0,
    free_text: frozenset[str] = frozenset(),
) -> pd.DataFrame:
    """An Arrow table as the pandas frame validation reads, index from ``start``.

    Columns in ``dictionary`` become Categoricals of their values present (sorted);
    nullable booleans and integers written by pandas become masked arrays from Arrow's
    buffers; every other column is converted by ``pyarrow.Table.to_pandas``, as the
    general path converts it.
    """
    pa = _arrow()
    nullable = _nullable_types(table)
    out: dict[str, pd.Series] = {}
    rest: list[str] = []
    for name in table.column_names:
        column = table.column(name)
        series: pd.Series | None = None
        if name in dictionary and (
            pa.types.is_dictionary(column.type) and pa.types.is_string(column.type.value_type)
        ):
            series = _categorical(column, name, name in free_text)
        elif name in nullable:
            series = _masked(column, name, nullable[name])
        elif pa.types.is_dictionary(column.type):
            series = _stored_categorical(column, name)
        if series is None:
            rest.append(name)
        else:
            out[name] = series
    if rest:
        converted = table.select(rest).to_pandas()
        for name in rest:
            out[name] = converted[name]
    index = pd.RangeIndex(start, start + table.num_rows)
    # Arrays, not Series: the Series carry their own 0-based index, the frame the file's.
    arrays = {name: out[name].array for name in table.column_names}
    return pd.DataFrame(arrays, index=index, copy=False)


def rebatch(tables: Iterator[Any], batch_rows: int, *, join: bool = True) -> Iterator[Any]:
    """Arrow tables cut into consecutive tables of exactly ``batch_rows`` rows (the last
    shorter), across the inputs' boundaries, as ``ParquetFile.iter_batches`` and
    ``pandas.read_csv(chunksize=...)`` cut them.

    With ``join=False`` each batch is yielded as its parts, one per input table: the cut of
    ``ParquetFile.iter_batches`` for a file with dictionary columns, which reads
    ``batch_rows`` rows at a time across row groups but yields each row group's part on its
    own (row groups of 1,000 rows read 1,500 at a time give 1,000, 500, 500, 1,000, ...).
    """
    pa = _arrow()
    pending: deque[Any] = deque()
    held = 0
    for table in tables:
        if table.num_rows == 0:
            continue
        pending.append(table)
        held += table.num_rows
        while held >= batch_rows:
            batch, pending, held = _take(pa, pending, held, batch_rows, join=join)
            if join:
                yield batch
            else:
                yield from batch
    if held and join:
        yield pa.concat_tables(list(pending))
    elif held:
        yield from pending


def _take(
    pa: Any, pending: deque[Any], held: int, n: int, *, join: bool = True
) -> tuple[Any, deque[Any], int]:
    """The first ``n`` rows of ``pending``: one table, or (``join=False``) its parts."""
    parts, need = [], n
    while need:
        head = pending.popleft()
        if head.num_rows <= need:
            parts.append(head)
            need -= head.num_rows
        else:
            parts.append(head.slice(0, need))
            pending.appendleft(head.slice(need))
            need = 0
    if not join:
        return parts, pending, held - n
    batch = parts[0] if len(parts) == 1 else pa.concat_tables(parts)
    return batch, pending, held - n


# --------------------------------------------------------------------------------------
# Parquet


@dataclass(frozen=True)
class ParquetRead:
    """Arrow tables of a Parquet file or directory, and how to cut them into batches.

    Attributes
    ----------
    tables : iterator of pyarrow.Table
        Row groups (or slices of them) in order.
    text : frozenset of str
        The columns decoded into dictionaries from text, for :func:`frame_of`.
    across : bool
        Whether batches run across the tables' boundaries (one file, as
        ``ParquetFile.iter_batches`` cuts it) or end at each of them (a directory, as
        ``pyarrow.dataset`` cuts it: no batch spans two row groups).
    """

    tables: Iterator[Any]
    text: frozenset[str]
    across: bool


def parquet_tables(
    path: Path, reading: Plan, batch_rows: int, *, whole: bool = False, **kwargs: Any
) -> ParquetRead | None:
    """The rows of a Parquet file, or of a directory of them, as Arrow tables decoded ahead
    on threads.

    Only ``reading.columns`` are decoded; those of ``reading.dictionary`` that are text
    in the file are decoded straight into dictionaries. (A column the file already stores
    as a dictionary, such as a pandas Categorical, keeps the general path's conversion:
    its categories are the file's.) Returns None when the fast path does not apply:
    reader options, or a directory whose files' schemas differ.

    Row groups are decoded whole, :data:`_READ_AHEAD` at a time on a thread pool, while
    the caller counts the previous batch. A single file with row groups larger than
    ``batch_rows`` is read ``batch_rows`` rows at a time instead, one batch ahead, so that
    memory stays a few batches whatever the file's layout (a directory is decoded row
    group by row group, as ``pyarrow.dataset`` decodes it on the general path).

    With ``whole=True`` a single file is decoded at once by ``ParquetFile.read``, which
    decodes columns and row groups on every core, for a caller that holds the whole file
    anyway (:func:`femstat.read`).
    """
    if kwargs:
        return None
    import pyarrow.dataset as pads
    import pyarrow.parquet as pq

    pa = _arrow()
    if path.is_dir():
        dataset = pads.dataset(path, format="parquet")
        files = [Path(f) for f in dataset.files]
        schema = dataset.schema
        if not files or any(
            not pq.read_schema(f).equals(schema, check_metadata=True) for f in files
        ):
            return None
    elif path.is_file():
        files = [path]
        schema = pq.ParquetFile(path, pre_buffer=False).schema_arrow
    else:
        return None
    text = [
        name
        for name in reading.columns
        if name in reading.dictionary
        and name in schema.names
        and (
            pa.types.is_string(schema.field(name).type)
            or pa.types.is_large_string(schema.field(name).type)
        )
    ]
    columns = list(reading.columns)
    # pyarrow's iter_batches, which the general path reads a file with, ends a batch at
    # every row group when it reads a column the file stores as a dictionary (a pandas
    # Categorical), and runs batches across row groups otherwise.
    split = path.is_file() and any(
        pa.types.is_dictionary(schema.field(name).type) for name in columns if name in schema.names
    )
    if whole and path.is_file():
        # Mapped rather than read: about 15 % less time for a whole file (performance.md).
        reader = pq.ParquetFile(path, read_dictionary=text, memory_map=True)
        return ParquetRead(
            iter([reader.read(columns=columns, use_threads=True)]), frozenset(text), across=True
        )
    tasks = [
        (file, group)
        for file in files
        for group in range(pq.ParquetFile(file, pre_buffer=False).metadata.num_row_groups)
    ]
    if path.is_file():
        meta = pq.ParquetFile(path, pre_buffer=False).metadata
        largest = max((meta.row_group(i).num_rows for i in range(meta.num_row_groups)), default=0)
        if largest > batch_rows:
            reader = pq.ParquetFile(path, pre_buffer=False, read_dictionary=text)
            batches = reader.iter_batches(batch_size=batch_rows, columns=columns, use_threads=True)
            tables = _ahead(pa.Table.from_batches([b]) for b in batches)
            if split:
                return ParquetRead(
                    rebatch(tables, batch_rows, join=False), frozenset(text), across=False
                )
            return ParquetRead(rebatch(tables, batch_rows), frozenset(text), across=False)
    local = threading.local()

    def decode(task: tuple[Path, int]) -> Any:
        file, group = task
        # One ParquetFile per thread and file: a reader object is not shared across threads.
        if getattr(local, "path", None) != file:
            local.path = file
            local.file = pq.ParquetFile(file, pre_buffer=False, read_dictionary=text)
        return local.file.read_row_group(group, columns=columns, use_threads=False)

    def groups() -> Iterator[Any]:
        with ThreadPoolExecutor(max_workers=_READ_AHEAD, thread_name_prefix="femstat-pq") as pool:
            queue: deque[Future[Any]] = deque()
            upcoming = iter(tasks)
            try:
                for task in upcoming:
                    queue.append(pool.submit(decode, task))
                    if len(queue) >= _READ_AHEAD:
                        yield queue.popleft().result()
                while queue:
                    yield queue.popleft().result()
            finally:
                for pending in queue:
                    pending.cancel()

    if split:
        return ParquetRead(rebatch(groups(), batch_rows, join=False), frozenset(text), across=False)
    return ParquetRead(groups(), frozenset(text), across=path.is_file())


def joined(tables: Iterator[Any]) -> Generator[Any, None, None]:
    """All the rows of ``tables`` as one table (none when they hold no row), as
    ``pandas.read_parquet`` reads a whole file.

    Dictionaries that differ between row groups are unified, first seen first (what
    ``to_pandas`` does for a file's categories), and each column made one chunk, so
    that :func:`frame_of` converts every column from one array.
    """
    pa = _arrow()
    parts = [t for t in tables if t.num_rows]
    if not parts:
        return
    table = parts[0] if len(parts) == 1 else pa.concat_tables(parts)
    yield table.unify_dictionaries().combine_chunks()


def slices(tables: Iterator[Any], batch_rows: int) -> Iterator[Any]:
    """Each table cut into consecutive slices of ``batch_rows`` rows (the last shorter),
    as ``pyarrow.dataset`` cuts each row group into batches."""
    for table in tables:
        for start in range(0, table.num_rows, batch_rows):
            yield table.slice(start, batch_rows)


def _ahead(items: Iterator[Any]) -> Generator[Any, None, None]:
    """``items``, with the next one produced on a thread while the caller uses this one."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="femstat-read") as pool:
        sentinel = object()
        pending = pool.submit(next, items, sentinel)
        while True:
            item = pending.result()
            if item is sentinel:
                return
            pending = pool.submit(next, items, sentinel)
            yield item


# --------------------------------------------------------------------------------------
# CSV


def csv_header(head: bytes, encoding: str, sep: str) -> list[str]:
    """The column names of a CSV header line, as the csv module splits it."""
    text = head.decode(encoding, errors="replace")
    line = text.splitlines()[0] if text else ""
    return next(csv.reader([line], delimiter=sep), [])


@contextmanager
def csv_tables(
    stream: Any,
    options: dict[str, Any],
    reading: Plan,
    header: Sequence[str],
    *,
    whole: bool = False,
) -> Iterator[Iterator[Any] | None]:
    """A CSV stream parsed by pyarrow's streaming reader on a thread, as Arrow tables.

    Cells are text, and only an empty cell is missing, as in the general path; the
    columns of ``reading.dictionary`` come dictionary-encoded. Yields None when the fast
    path does not apply: another encoding than UTF-8, reader options other than the
    delimiter, or a header with repeated names (which pandas renames).

    With ``whole=True`` the stream is parsed at once by ``pyarrow.csv.read_csv`` and
    yielded as one table: for a caller that holds the whole file anyway
    (:func:`femstat.read`). The streaming reader converts its blocks one after another,
    while ``read_csv`` converts them on every core (about 1.6 times faster on 2 cores,
    ``docs/performance.md``).
    """
    pa = _arrow()
    import pyarrow.csv as pacsv

    sep = options.get("sep") or options.get("delimiter") or ","
    extra = set(options) - _CSV_OPTIONS - {"dtype", "keep_default_na", "na_values", "compression"}
    plain = (
        options.get("dtype") is str
        and options.get("keep_default_na") is False
        and options.get("na_values") == [""]
        and options.get("compression") is None
    )
    names = list(header)
    usable = (
        not extra
        and plain
        and str(options.get("encoding", "utf-8")).lower().replace("_", "-") in _UTF8
        and isinstance(sep, str)
        and len(sep) == 1
        and sep not in ('"', "\n", "\r")
        and len(set(names)) == len(names)
        and all(c in names for c in reading.columns)
    )
    if not usable:
        yield None
        return
    text = pa.string()
    types = {
        name: pa.dictionary(pa.int32(), text) if name in reading.dictionary else text
        for name in reading.columns
    }
    read_options = pacsv.ReadOptions(use_threads=True, block_size=_CSV_BLOCK_BYTES)
    parse_options = pacsv.ParseOptions(
        delimiter=sep, quote_char='"', double_quote=True, newlines_in_values=True
    )
    convert_options = pacsv.ConvertOptions(
        include_columns=list(reading.columns),
        column_types=types,
        null_values=[""],
        strings_can_be_null=True,
        quoted_strings_can_be_null=True,
        true_values=[],
        false_values=[],
    )
    if whole:
        table = pacsv.read_csv(
            stream,
            read_options=read_options,
            parse_options=parse_options,
            convert_options=convert_options,
        )
        yield iter([table])
        return
    reader = pacsv.open_csv(
        stream,
        read_options=read_options,
        parse_options=parse_options,
        convert_options=convert_options,
    )

    def tables() -> Iterator[Any]:
        for batch in reader:
            yield pa.Table.from_batches([batch])

    ahead = _ahead(tables())
    try:
        yield ahead
    finally:
        ahead.close()  # waits for a batch being parsed on the worker, before the reader closes
        reader.close()


def coerced_as_text(report: Any, categorical: frozenset[str], mapping: Mapping | None) -> None:
    """Name, in ``report.coerced_columns``, the columns the general path hands over as text.

    Validation passes a Categorical whose categories are already canonical (an ICCS code
    or area column, say) through unchanged, while the same values as text are coerced:
    the report then says so. The columns the fast path hands over as Categoricals are text
    in the general path, so they are listed as coerced, in validation's column order.
    """
    renamed = {s.source: s.target for s in (mapping.columns if mapping is not None else ())}
    targets = {renamed.get(name, name) for name in categorical}
    coerced = set(report.coerced_columns) | targets
    order = [name for name in victim_variables() if name in coerced]
    report.coerced_columns = order + [c for c in report.coerced_columns if c not in order]


_ADDED_KINDS = ("code", "boolean", "integer")  # what validation adds when absent
_REQUIRED = frozenset({"victim_sex", "victim_age", "relationship"})  # refused when absent


def _unknown_array(name: str, n: int, made: dict[str, Any]) -> Any:
    """An all-unknown column of ``n`` rows, sliced from one made for the largest batch."""
    from femstat.validate import _unknown_column

    array = made.get(name)
    if array is None or len(array) < n:
        array = _unknown_column(victim_variables()[name], n, pd.RangeIndex(n)).array
        made[name] = array
    return array[:n]


def with_unknown_columns(
    frame: pd.DataFrame, mapping: Mapping | None, made: dict[str, Any]
) -> tuple[pd.DataFrame, list[str]]:
    """``frame`` with the optional columns validation would add as all-unknown, added.

    Validation adds every absent optional column (a code list, a flag, an age) as
    unknown, which for a batch of a projected read is most of them, every batch. Added
    here from arrays made once per stream (``made`` keeps them while it lasts), they
    arrive already canonical and validation passes them through. Returns the names
    added, for the report's ``added_columns`` (see :func:`femstat.stream.counts_from_file`).
    """
    produced = {s.target for s in (mapping.columns if mapping is not None else ())}
    absent = [
        name
        for name, variable in victim_variables().items()
        if variable.kind in _ADDED_KINDS
        and not variable.extension
        and name not in _REQUIRED
        and name not in frame.columns
        and name not in produced
    ]
    if not absent:
        return frame, []
    n = len(frame)
    arrays = {name: frame[name].array for name in frame.columns}
    arrays.update({name: _unknown_array(name, n, made) for name in absent})
    return pd.DataFrame(arrays, index=frame.index, copy=False), absent


def added_as_unknown(report: Any, added: list[str]) -> None:
    """Name, in ``report.added_columns``, the columns :func:`with_unknown_columns` added."""
    if not added:
        return
    names = set(report.added_columns) | set(added)
    report.added_columns = [name for name in victim_variables() if name in names]
