"""Read common file formats into femstat's canonical victim table.

:func:`read` dispatches on the file's extension (CSV, Parquet, Excel, SPSS ``.sav``,
Stata ``.dta``; the FBI SHR with ``format="shr"``), applies a mapping and validates.
Optional dependencies (pyarrow, openpyxl, pyreadstat) are imported only when their format
is read, through :func:`femstat.errors.require` (extra ``io``). :func:`iter_raw` reads CSV,
Parquet, SPSS and Stata files in batches of rows, as :func:`read_raw` would read them whole,
for files larger than memory (see :mod:`femstat.stream`).
"""

from __future__ import annotations

import io
import logging
import os
import warnings
from collections.abc import Generator, Iterator, Sequence
from collections.abc import Mapping as AbcMapping
from contextlib import contextmanager
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Literal, overload

import numpy as np
import pandas as pd

from femstat.errors import DataQualityWarning, require
from femstat.sources.files import (
    SourceError,
    TailKeeper,
    check_delimiter,
    check_last_line,
    encoding_name,
    first_line,
    guarded,
    guarded_iter,
    n_header_fields,
    open_source,
    sample_of,
    sniff_delimiter,
    text_encoding,
)
from femstat.sources.mapping import UNMAPPED, ColumnMap, Mapping, load_mapping

if TYPE_CHECKING:
    from femstat.validate import ValidationReport

__all__ = ["FORMATS", "RawInfo", "SourceError", "iter_raw", "raw_info", "read", "read_raw"]

_log = logging.getLogger(__name__)

Format = Literal["csv", "tsv", "parquet", "excel", "spss", "stata", "shr"]
ValueLabels = Literal["auto", "labels", "codes"]

FORMATS: dict[str, Format] = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".xlsx": "excel",
    ".xlsm": "excel",
    ".sav": "spss",
    ".zsav": "spss",
    ".dta": "stata",
}
"""File extension to format; compressed CSV (``.csv.gz``, ``.csv.zip``, ...) is CSV."""

_COMPRESSION = (".gz", ".bz2", ".xz", ".zip", ".zst")

MappingLike = Mapping | str | os.PathLike[str] | AbcMapping[str, Any]


def _format_of(path: Path, given: str | None) -> Format:
    if given is not None:
        allowed = (*dict.fromkeys(FORMATS.values()), "shr")
        if given not in allowed:
            raise SourceError(f"format must be one of {list(allowed)}, not {given!r}")
        return given
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] in _COMPRESSION:
        suffixes = suffixes[:-1]
    if suffixes and suffixes[-1] in FORMATS:
        return FORMATS[suffixes[-1]]
    # A femstat error, so that the command line shows it whole (the file name is the
    # user's own argument, the rest femstat's words).
    raise SourceError(
        f"cannot tell the format of {path.name!r} from its extension; known: "
        f"{sorted(FORMATS)}. What to do: pass format=... (e.g. format='shr' for an FBI SHR "
        "fixed-width file, format='csv')"
    )


def read_raw(
    path: str | os.PathLike[str],
    *,
    format: Format | None = None,
    mapping: MappingLike | None = None,
    value_labels: ValueLabels = "auto",
    **kwargs: Any,
) -> pd.DataFrame:
    """Read a file as it is, before any mapping or validation.

    CSV and Excel cells are read as text (``dtype=str`` unless given), so codes keep their
    form (``"01"``, ``"1.10"``, ICCS ``"0101"``), and only an empty cell is missing. CSV
    is decompressed as a stream when compressed (see :mod:`femstat.sources.files`), its
    delimiter sniffed from the header line unless ``sep`` is given, and its encoding is
    UTF-8 unless ``encoding`` is given. SPSS and Stata value labels are applied as
    ``value_labels`` says; values declared missing in the file (SPSS user-defined
    missing values, Stata's ``.a``-``.z``) become NA, i.e. unknown.

    Parameters
    ----------
    path : str or path
        The file.
    format : str, optional
        One of :data:`FORMATS`' values; by default taken from the extension.
    mapping : Mapping, path or dict, optional
        Only consulted to choose between value labels and raw codes (see
        ``value_labels``); not applied.
    value_labels : {"auto", "labels", "codes"}, default "auto"
        For SPSS and Stata files. ``"labels"`` replaces every labelled value by its
        label, ``"codes"`` keeps the raw codes. ``"auto"`` decides per column: for a
        column the mapping recodes, whichever of labels or codes leaves fewer values
        unmapped (codes on a tie); for other columns, labels when every value has one.
    **kwargs
        Passed to the underlying reader (``pandas.read_csv``, ``pandas.read_parquet``,
        ``pandas.read_excel``, ``pyreadstat.read_sav``, ``pyreadstat.read_dta``), except
        ``max_decompressed``: the most bytes a compressed CSV may expand to (see
        :func:`femstat.sources.files.decompression_limit`).

    Returns
    -------
    pandas.DataFrame

    Raises
    ------
    femstat.sources.SourceError
        When the file cannot be read: corrupt or truncated, not valid text in its
        encoding, a delimiter that leaves the header as one column holding another
        delimiter, or a compressed file expanding past the limit. The message names the
        file in one line and never quotes its content.
    """
    path = Path(path)
    fmt = _format_of(path, format)
    if fmt in ("csv", "tsv"):
        with _csv_source(path, fmt, kwargs) as (stream, label, options):
            frame: pd.DataFrame = _read_csv(stream, label, options)
            return frame
    _check_uncompressed(path, fmt, kwargs)
    what = _WHAT[fmt]
    if fmt == "parquet":
        require("pyarrow", "io")
        return guarded(path.name, what, lambda: pd.read_parquet(path, **kwargs))
    if fmt == "excel":
        require("openpyxl", "io")
        # Text cells as text: pandas would otherwise turn a text "1.10" into 1.1 and "01"
        # into 1. A cell Excel stores as a number is read as that number's text.
        options = {"dtype": str, "keep_default_na": False, "na_values": [""], **kwargs}
        excel: pd.DataFrame = guarded(path.name, what, lambda: pd.read_excel(path, **options))
        return excel
    if fmt in ("spss", "stata"):
        pyreadstat: Any = require("pyreadstat", "io")
        reader = pyreadstat.read_sav if fmt == "spss" else pyreadstat.read_dta
        kwargs.setdefault("user_missing", False)  # declared missing values become NA
        df, meta = guarded(
            path.name, what, lambda: reader(str(path), apply_value_formats=False, **kwargs)
        )
        labels = getattr(meta, "variable_value_labels", {}) or {}
        resolved = load_mapping(mapping) if mapping is not None else None
        return _apply_labels(df, labels, resolved, value_labels)
    if fmt == "shr":
        raise ValueError("read_raw does not read SHR files; use femstat.sources.read_shr")
    raise AssertionError(fmt)  # pragma: no cover


def _relabel(series: pd.Series, labels: AbcMapping[Any, str]) -> pd.Series:
    positions, uniques = pd.factorize(series, use_na_sentinel=True)
    table = np.empty(len(uniques) + 1, dtype=object)
    table[:] = [labels.get(u, u) for u in uniques] + [None]
    return pd.Series(table[positions], index=series.index, name=series.name, dtype=object)


def _n_unmapped(specs: list[ColumnMap], series: pd.Series) -> int:
    uniques = pd.unique(series.dropna())
    return sum(1 for spec in specs for v in spec.lookup(uniques) if v is UNMAPPED)


def _recoding_specs(mapping: Mapping | None, column: str) -> list[ColumnMap]:
    return [
        s
        for s in (mapping.columns if mapping is not None else ())
        if s.source == column and not s.is_rename
    ]


def _labelled_or_none(
    raw: pd.Series,
    table: AbcMapping[Any, str],
    mapping: Mapping | None,
    mode: ValueLabels,
) -> pd.Series | None:
    """The column with its value labels applied, or None when ``mode`` keeps the codes."""
    if mode == "codes":
        return None
    labelled = _relabel(raw, table)
    if mode == "labels":
        return labelled
    specs = _recoding_specs(mapping, str(raw.name))
    if specs:
        use = _n_unmapped(specs, labelled) < _n_unmapped(specs, raw)
    else:
        present = pd.unique(raw.dropna())
        use = all(v in table for v in present)
    return labelled if use else None


def _check_value_labels_mode(mode: str) -> None:
    if mode not in ("auto", "labels", "codes"):
        raise ValueError(f"value_labels must be 'auto', 'labels' or 'codes', not {mode!r}")


def _apply_labels(
    df: pd.DataFrame,
    labels: AbcMapping[str, AbcMapping[Any, str]],
    mapping: Mapping | None,
    mode: ValueLabels,
) -> pd.DataFrame:
    _check_value_labels_mode(mode)
    if mode == "codes":
        return df
    out = df.copy(deep=False)
    for column, table in labels.items():
        if column not in out.columns or not table:
            continue
        labelled = _labelled_or_none(out[column], table, mapping, mode)
        if labelled is not None:
            out[column] = labelled
    return out


@overload
def read(
    path: str | os.PathLike[str],
    mapping: MappingLike | None = ...,
    *,
    perpetrators: pd.DataFrame | str | os.PathLike[str] | None = ...,
    format: Format | None = ...,
    value_labels: ValueLabels = ...,
    report: Literal[False] = ...,
    **kwargs: Any,
) -> pd.DataFrame: ...


@overload
def read(
    path: str | os.PathLike[str],
    mapping: MappingLike | None = ...,
    *,
    perpetrators: pd.DataFrame | str | os.PathLike[str] | None = ...,
    format: Format | None = ...,
    value_labels: ValueLabels = ...,
    report: Literal[True],
    **kwargs: Any,
) -> tuple[pd.DataFrame, ValidationReport]: ...


def read(
    path: str | os.PathLike[str],
    mapping: MappingLike | None = None,
    *,
    perpetrators: pd.DataFrame | str | os.PathLike[str] | None = None,
    format: Format | None = None,
    value_labels: ValueLabels = "auto",
    report: bool = False,
    **kwargs: Any,
) -> pd.DataFrame | tuple[pd.DataFrame, ValidationReport]:
    """Read a victim file, apply a mapping and validate it.

    Parameters
    ----------
    path : str or path
        CSV (also compressed), Parquet, Excel, SPSS ``.sav``/``.zsav`` or Stata ``.dta``,
        told apart by extension; an FBI SHR fixed-width file with ``format="shr"``.
    mapping : Mapping, path or dict, optional
        The source's coding (see :mod:`femstat.sources.mapping`). For ``format="shr"``
        it replaces the built-in SHR mapping instead.
    perpetrators : DataFrame or path, optional
        A perpetrator table, one row per victim-perpetrator pair, folded in by
        :func:`femstat.validate`. A path is read like ``path`` and mapped with the
        same mapping, ignoring entries whose columns it lacks; a DataFrame is used as
        it is.
    format : str, optional
        Overrides the extension (see :data:`FORMATS`; ``"shr"`` for the SHR).
    value_labels : {"auto", "labels", "codes"}, default "auto"
        SPSS and Stata value labels (see :func:`read_raw`).
    report : bool, default False
        Also return the :class:`femstat.ValidationReport` of the one validation (soft
        problems, columns absent from the file) instead of warning about it.
    **kwargs
        Passed to the underlying file reader.

    Returns
    -------
    pandas.DataFrame or (pandas.DataFrame, ValidationReport)
        The validated victim table in canonical dtypes, and the report when asked.

    Raises
    ------
    femstat.ValidationError
        When a value cannot be mapped or validated; the message names columns, values,
        counts and rows.
    femstat.sources.SourceError
        When the file cannot be read (see :func:`read_raw`).
    femstat.MissingDependencyError
        When the format needs an optional package that is not installed.

    Notes
    -----
    CSV, TSV and Parquet files are read through pyarrow's multi-threaded readers when
    pyarrow is installed, with the columns femstat coerces kept dictionary-encoded, so
    that each distinct value is read once rather than one string per cell
    (:mod:`femstat.sources.arrow`). The result, the report, the errors and the warnings
    are those of the general path, which reads the file again whenever the fast one
    cannot (another encoding, reader options, a value validation refuses);
    ``FEMSTAT_FAST_READ=0`` turns the fast path off.
    """
    from femstat.validate import validate

    fmt = _format_of(Path(path), format)
    if fmt == "shr":
        from femstat.sources.shr import read_shr

        limit = kwargs.pop("max_decompressed", None)
        if kwargs:
            raise TypeError(f"read(format='shr') takes no reader options, got {sorted(kwargs)}")
        victims = read_shr(path, mapping=mapping, max_decompressed=limit)
        resolved: Mapping | None = None
    else:
        resolved = load_mapping(mapping) if mapping is not None else None
        if perpetrators is None and fmt in ("csv", "tsv", "parquet"):
            fast = _read_fast(Path(path), fmt, resolved, report, kwargs)
            if fast is not None:
                return fast
        victims = read_raw(path, format=fmt, mapping=resolved, value_labels=value_labels, **kwargs)
        if resolved is not None:
            victims = resolved.apply(victims)
    perps: pd.DataFrame | None
    if perpetrators is None or isinstance(perpetrators, pd.DataFrame):
        perps = perpetrators
    else:
        perps = read_raw(perpetrators, mapping=resolved, value_labels=value_labels)
        if resolved is not None:
            perps = resolved.apply(perps, require_columns=False)
    if report:
        return validate(victims, perpetrators=perps, report=True)
    return validate(victims, perpetrators=perps)


# --------------------------------------------------------------------------------------
# Reading in batches, for files larger than memory (used by femstat.stream)

_STREAMABLE: tuple[Format, ...] = ("csv", "tsv", "parquet", "spss", "stata")


_WHAT: dict[Format, str] = {
    "csv": "a CSV file",
    "tsv": "a tab-separated file",
    "parquet": "a Parquet file",
    "excel": "an Excel workbook",
    "spss": "an SPSS file",
    "stata": "a Stata file",
}
_MEMBER_SUFFIXES: dict[Format, tuple[str, ...]] = {
    "csv": (".csv", ".txt"),
    "tsv": (".tsv", ".tab", ".txt"),
}


def _csv_options(fmt: Format, kwargs: dict[str, Any]) -> dict[str, Any]:
    """pandas.read_csv options of femstat's CSV reading.

    Every cell is read as text, so codes keep their form (``"01"``, ``"1.10"``, ICCS
    ``"0101"``) and validation alone decides each column's type; only an empty cell is
    missing, so that a code such as ``"NA"`` (Namibia) is not turned into a gap by
    pandas (validation still reads ``"NA"`` as unknown where a column's codes say so).
    """
    kwargs.setdefault("dtype", str)
    kwargs.setdefault("keep_default_na", False)
    kwargs.setdefault("na_values", [""])
    if fmt == "tsv" and "delimiter" not in kwargs:
        kwargs.setdefault("sep", "\t")
    return kwargs


@contextmanager
def _csv_source(
    path: Path, fmt: Format, kwargs: dict[str, Any]
) -> Iterator[tuple[IO[bytes], str, dict[str, Any]]]:
    """Open a CSV file (decompressing it with a limit) and settle how to parse it.

    Yields the binary stream, its label for messages and the ``pandas.read_csv``
    options: text cells, the given or detected encoding, and the given or sniffed
    delimiter.
    """
    options = dict(kwargs)
    limit = options.pop("max_decompressed", None)
    options.pop("compression", None)  # recognised from the content by open_source
    with open_source(
        path, max_decompressed=limit, member_suffixes=_MEMBER_SUFFIXES.get(fmt, ())
    ) as (stream, label):
        head = sample_of(stream)
        encoding = text_encoding(head, options.pop("encoding", None))
        options = _csv_options(fmt, options)
        if options.get("sep") is None and options.get("delimiter") is None:
            options.pop("delimiter", None)
            options["sep"] = sniff_delimiter(first_line(head, encoding))
        options["encoding"] = encoding
        options["compression"] = None
        keeper = TailKeeper(stream)
        yield io.BufferedReader(keeper, buffer_size=1 << 20), label, options
        sep = options.get("sep") or options.get("delimiter") or ","
        n_columns = n_header_fields(first_line(head, encoding), sep)
        check_last_line(label, keeper, encoding, sep, n_columns)


def _read_csv(stream: IO[bytes], label: str, options: dict[str, Any]) -> pd.DataFrame:
    encoding = encoding_name(options["encoding"])
    frame: pd.DataFrame = guarded(
        label, "a CSV file", lambda: pd.read_csv(stream, **options), encoding=encoding
    )
    sep = options.get("sep") or options.get("delimiter") or ","
    check_delimiter(label, list(map(str, frame.columns)), sep)
    return frame


def _check_uncompressed(path: Path, fmt: Format, kwargs: dict[str, Any]) -> None:
    """Only CSV is read compressed; a compressed Parquet, Excel, SPSS or Stata file is an
    error here rather than a parser's confusing failure."""
    kwargs.pop("max_decompressed", None)
    if path.suffix.lower() in _COMPRESSION:
        raise SourceError(
            f"cannot read {path.name}: it is compressed, and only CSV files are read "
            f"compressed, not {_WHAT[fmt]}. What to do: decompress it first"
        )


@dataclass(frozen=True)
class RawInfo:
    """What a file holds, read from its header or metadata without reading its rows.

    Attributes
    ----------
    format : str
        The file's format (see :data:`FORMATS`).
    columns : tuple of str
        Its column names, in file order.
    n_rows : int or None
        Its number of data rows when the metadata says (Parquet, most SPSS and Stata
        files); None for CSV.
    """

    format: Format
    columns: tuple[str, ...]
    n_rows: int | None


def raw_info(
    path: str | os.PathLike[str], *, format: Format | None = None, **kwargs: Any
) -> RawInfo:
    """Column names and row count of a file that :func:`iter_raw` can read in batches.

    Parameters
    ----------
    path : str or path
    format : str, optional
        As for :func:`read_raw`.
    **kwargs
        CSV reading options (``sep``, ``encoding``, ...) as given to :func:`iter_raw`;
        ignored for other formats.
    """
    path = Path(path)
    fmt = _streamable_format(path, format)
    if fmt in ("csv", "tsv"):
        given = {k: v for k, v in kwargs.items() if k != "usecols"}
        with _csv_source(path, fmt, given) as (stream, label, options):
            header = _read_csv(stream, label, {**options, "nrows": 0})
        return RawInfo(fmt, tuple(map(str, header.columns)), None)
    _check_uncompressed(path, fmt, dict(kwargs))
    what = _WHAT[fmt]
    if fmt == "parquet":
        dataset = guarded(path.name, what, lambda: _parquet_dataset(path))
        count = guarded(path.name, what, lambda: int(dataset.count_rows()))
        return RawInfo(fmt, tuple(dataset.schema.names), count)
    pyreadstat: Any = require("pyreadstat", "io")
    reader = pyreadstat.read_sav if fmt == "spss" else pyreadstat.read_dta
    _, meta = guarded(path.name, what, lambda: reader(str(path), metadataonly=True))
    n_rows = getattr(meta, "number_rows", None)
    known = n_rows if isinstance(n_rows, int) and n_rows >= 0 else None
    return RawInfo(fmt, tuple(meta.column_names), known)


def iter_raw(
    path: str | os.PathLike[str],
    *,
    format: Format | None = None,
    columns: Sequence[str] | None = None,
    batch_rows: int = 1_000_000,
    mapping: MappingLike | None = None,
    value_labels: ValueLabels = "auto",
    **kwargs: Any,
) -> Iterator[pd.DataFrame]:
    """Read a file in batches, each as :func:`read_raw` would read those rows.

    Concatenated, the batches equal ``read_raw(path, ...)[columns]``, index included
    (a :class:`pandas.RangeIndex` running on across batches); only one batch is in memory
    at a time.

    Parameters
    ----------
    path : str or path
        CSV or TSV (also compressed), Parquet, SPSS ``.sav``/``.zsav`` or Stata ``.dta``.
        Excel and the FBI SHR are read whole only (:func:`read`).
    format : str, optional
        As for :func:`read_raw`.
    columns : sequence of str, optional
        Read only these columns (all when None). Parquet, CSV, SPSS and Stata all skip
        the others while reading.
    batch_rows : int, default 1,000,000
        Most rows per batch. A single Parquet file's batches run across its row groups;
        a directory's end at each row group (as :mod:`pyarrow.dataset` cuts them), so
        some are shorter.
    mapping, value_labels :
        As for :func:`read_raw`. With ``value_labels="auto"``, a labelled column that no
        mapping entry recodes gets its labels only when every value in the file has one;
        a batch cannot know the rest of the file, so once a batch holds an unlabelled
        value the codes are kept from then on, and if an earlier batch already used the
        labels a :class:`ValueError` asks for an explicit ``value_labels``.
    **kwargs
        Passed to the underlying reader: :func:`pandas.read_csv`,
        :meth:`pyarrow.parquet.ParquetFile.iter_batches` (for a directory of Parquet
        files, :meth:`pyarrow.dataset.Dataset.to_batches`), ``pyreadstat.read_sav`` or
        ``pyreadstat.read_dta`` (through ``pyreadstat.read_file_in_chunks``).

    Yields
    ------
    pandas.DataFrame
        Consecutive batches of rows. Empty batches are not yielded.
    """
    if batch_rows < 1:
        raise ValueError(f"batch_rows must be a positive number of rows, not {batch_rows}")
    path = Path(path)
    fmt = _streamable_format(path, format)
    wanted = None if columns is None else list(columns)
    offset = 0
    for batch in _batches(path, fmt, wanted, batch_rows, mapping, value_labels, kwargs):
        if len(batch) == 0:
            continue
        batch.index = pd.RangeIndex(offset, offset + len(batch))
        offset += len(batch)
        yield batch


def _streamable_format(path: Path, given: Format | None) -> Format:
    fmt = _format_of(path, given)
    if fmt not in _STREAMABLE:
        raise ValueError(
            f"{path.name!r}: {fmt} files cannot be read in batches. What to do: read it whole "
            "with femstat.read, or save it as Parquet or CSV first"
        )
    return fmt


def _parquet_dataset(path: Path) -> Any:
    require("pyarrow", "io")
    import pyarrow.dataset as pads

    return pads.dataset(path, format="parquet")


def _parquet_batches(
    path: Path, columns: list[str] | None, batch_rows: int, kwargs: dict[str, Any]
) -> Iterator[pd.DataFrame]:
    pa: Any = require("pyarrow", "io")
    import pyarrow.dataset as pads
    import pyarrow.parquet as pq

    # pyarrow's defaults favour speed over bounded memory: pre-buffered column chunks
    # stay cached until the whole file is read, so memory grows with the file. A single
    # file is read with ParquetFile.iter_batches, which decodes a row group a batch at a
    # time; the dataset scanner (for a directory of files) decodes whole row groups and
    # reads ahead, so its read-ahead is capped.
    if path.is_file():
        reader = pq.ParquetFile(path, pre_buffer=False).iter_batches(
            batch_size=batch_rows, columns=columns, **kwargs
        )
    else:
        options = {
            "batch_readahead": 1,
            "fragment_readahead": 1,
            "fragment_scan_options": pads.ParquetFragmentScanOptions(pre_buffer=False),
            **kwargs,
        }
        reader = _parquet_dataset(path).to_batches(
            columns=columns, batch_size=batch_rows, **options
        )
    for record_batch in reader:
        yield pa.Table.from_batches([record_batch]).to_pandas()


def _batches(
    path: Path,
    fmt: Format,
    columns: list[str] | None,
    batch_rows: int,
    mapping: MappingLike | None,
    value_labels: ValueLabels,
    kwargs: dict[str, Any],
) -> Iterator[pd.DataFrame]:
    if fmt in ("csv", "tsv"):
        with _csv_source(path, fmt, kwargs) as (stream, label, options):
            encoding = encoding_name(options["encoding"])
            chunks = guarded(
                label,
                _WHAT[fmt],
                lambda: pd.read_csv(stream, chunksize=batch_rows, usecols=columns, **options),
                encoding=encoding,
            )
            with chunks:
                first = True
                for chunk in guarded_iter(label, _WHAT[fmt], iter(chunks), encoding=encoding):
                    if first and columns is None:
                        check_delimiter(label, list(map(str, chunk.columns)), options["sep"])
                    first = False
                    yield chunk
        return
    kwargs = dict(kwargs)
    _check_uncompressed(path, fmt, kwargs)
    if fmt == "parquet":
        yield from guarded_iter(
            path.name, _WHAT[fmt], _parquet_batches(path, columns, batch_rows, kwargs)
        )
    else:
        pyreadstat: Any = require("pyreadstat", "io")
        _check_value_labels_mode(value_labels)
        reader = pyreadstat.read_sav if fmt == "spss" else pyreadstat.read_dta
        options = {"user_missing": False, **kwargs}  # declared missing values become NA
        if columns is not None:
            options["usecols"] = columns
        resolved = load_mapping(mapping) if mapping is not None else None
        labeller: _BatchLabels | None = None
        chunks = pyreadstat.read_file_in_chunks(
            reader, str(path), chunksize=batch_rows, apply_value_formats=False, **options
        )
        for chunk, meta in guarded_iter(path.name, _WHAT[fmt], chunks):
            if labeller is None:
                labels = getattr(meta, "variable_value_labels", {}) or {}
                labeller = _BatchLabels(labels, resolved, value_labels)
            yield labeller(chunk)


class _BatchLabels:
    """Applies SPSS/Stata value labels batch by batch as a whole-file read would.

    For a column a mapping recodes, each batch picks labels or codes by which leaves
    fewer values unmapped; whenever the whole file maps cleanly, every batch's choice
    maps its rows to the same femstat values. For other columns ("auto") the whole-file
    rule (labels only if every value is labelled) depends on all batches, so the choice
    is sticky: see :func:`iter_raw`.
    """

    def __init__(
        self,
        labels: AbcMapping[str, AbcMapping[Any, str]],
        mapping: Mapping | None,
        mode: ValueLabels,
    ) -> None:
        self.labels = labels
        self.mapping = mapping
        self.mode = mode
        self.used_labels: set[str] = set()
        self.kept_codes: set[str] = set()

    def __call__(self, df: pd.DataFrame) -> pd.DataFrame:
        if self.mode == "codes":
            return df
        out = df.copy(deep=False)
        for column, table in self.labels.items():
            if column not in out.columns or not table:
                continue
            sticky = self.mode == "auto" and not _recoding_specs(self.mapping, column)
            if sticky and column in self.kept_codes:
                continue
            labelled = _labelled_or_none(out[column], table, self.mapping, self.mode)
            if sticky:
                if labelled is None and column in self.used_labels:
                    raise ValueError(
                        f"column {column!r}: value labels cover every value of the first "
                        "batches but not of a later one, so a batch-by-batch read cannot "
                        "decide as a whole-file read would. What to do: pass "
                        "value_labels='codes' (or 'labels'), or map the column"
                    )
                (self.used_labels if labelled is not None else self.kept_codes).add(column)
            if labelled is not None:
                out[column] = labelled
        return out


# --------------------------------------------------------------------------------------
# The Arrow-native fast path for Parquet and CSV (femstat.sources.arrow)


@dataclass(frozen=True)
class FastRead:
    """Frames read by the fast path, and what a caller needs to reproduce the general path.

    Attributes
    ----------
    frames : iterator of pandas.DataFrame
        Consecutive batches, as :func:`iter_raw` would cut them.
    categorical : frozenset of str
        File columns handed over as Categoricals where the general path hands over text.
    tables : iterator of pyarrow.Table, optional
        Parquet only: the same batches as Arrow tables, for a caller that reads them
        instead of ``frames`` (never both).
    free_text : frozenset of str
        The columns ``frames`` hands over as free text (see :func:`arrow.frame_of`).
    """

    frames: Iterator[pd.DataFrame]
    categorical: frozenset[str]
    tables: Iterator[Any] | None = None
    free_text: frozenset[str] = frozenset()


@contextmanager
def fast_frames(
    path: str | os.PathLike[str],
    *,
    format: Format | None = None,
    columns: Sequence[str] | None = None,
    batch_rows: int = 1_000_000,
    mapping: Mapping | None = None,
    whole: bool = False,
    **kwargs: Any,
) -> Iterator[FastRead | None]:
    """Read a Parquet or CSV file in batches through pyarrow, without a string per cell.

    Yields None when the file is not one the fast path reads identically (another
    format, encoding or reader option; see :mod:`femstat.sources.arrow`). The batches
    have :func:`iter_raw`'s boundaries and index. Errors of the file itself (corrupt,
    cut short, too large once decompressed) surface as whatever pyarrow or the stream
    raises: a caller goes back to :func:`iter_raw` for the general path's error.

    With ``whole=True`` the file comes as one batch, whatever its row groups, as
    :func:`read_raw` reads it (``batch_rows`` is then ignored).
    """
    from femstat.sources import arrow

    path = Path(path)
    try:
        fmt = _streamable_format(path, format)
    except ValueError:
        yield None
        return
    if not arrow.enabled() or fmt not in ("csv", "tsv", "parquet") or find_spec("pyarrow") is None:
        yield None
        return
    if fmt == "parquet":
        if path.suffix.lower() in _COMPRESSION or set(kwargs) - {"max_decompressed"}:
            yield None
            return
        names = columns if columns is not None else raw_info(path, format=fmt).columns
        reading = arrow.plan(list(names), mapping)
        found = arrow.parquet_tables(path, reading, batch_rows, whole=whole)
        if found is None:
            yield None
            return
        if whole:
            tables = arrow.joined(found.tables)
        else:
            cut = arrow.rebatch if found.across else arrow.slices
            tables = (t for t in cut(found.tables, batch_rows) if t.num_rows)
        frames = _fast_batches(tables, found.text, reading.free_text)
        try:
            yield FastRead(frames, found.text, tables, reading.free_text)
        finally:
            frames.close()
            tables.close()  # stops the decoding threads when the caller stops early
        return
    with _csv_source(path, fmt, dict(kwargs)) as (stream, _label, options):
        sep = options.get("sep") or options.get("delimiter") or ","
        header = arrow.csv_header(sample_of(stream), options["encoding"], sep)
        names = columns if columns is not None else header
        reading = arrow.plan(list(names), mapping)
        with arrow.csv_tables(stream, options, reading, header, whole=whole) as parsed:
            if parsed is None:
                yield None
                return
            batches = parsed if whole else arrow.rebatch(parsed, batch_rows)
            frames = _fast_batches(batches, reading.dictionary, reading.free_text)
            try:
                yield FastRead(frames, reading.dictionary)
            finally:
                frames.close()


def _fast_batches(
    tables: Iterator[Any], text: frozenset[str], free_text: frozenset[str]
) -> Generator[pd.DataFrame, None, None]:
    from femstat.sources import arrow

    offset = 0
    for table in tables:
        if table.num_rows == 0:
            continue  # iter_raw yields no empty batch
        yield arrow.frame_of(table, text, offset, free_text)
        offset += table.num_rows


def _read_fast(
    path: Path, fmt: Format, mapping: Mapping | None, report: bool, kwargs: dict[str, Any]
) -> Any:
    """:func:`read` through the fast path; None when it does not apply or the file is
    refused, so that :func:`read` reads it again the general way and reports the problem
    in its own words."""
    from femstat.sources.arrow import coerced_as_text
    from femstat.validate import validate

    try:
        with fast_frames(path, format=fmt, mapping=mapping, whole=True, **kwargs) as fast:
            if fast is None:
                return None
            frames = list(fast.frames)
        if len(frames) != 1:
            _log.debug("fast read of %s gave way: no rows", path.name)
            return None  # the general path says so in its own words
        victims = mapping.apply(frames[0]) if mapping is not None else frames[0]
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            out, checked = validate(victims, report=True)
    except MemoryError:
        raise
    except Exception as exc:
        _log.debug("fast read of %s gave way: %s", path.name, type(exc).__name__)
        return None
    for warning in caught:  # none expected; passed on rather than lost
        warnings.warn_explicit(warning.message, warning.category, warning.filename, warning.lineno)
    coerced_as_text(checked, fast.categorical, mapping)
    if report:
        return out, checked
    _warn_quality(checked)
    return out


def _warn_quality(checked: ValidationReport) -> None:
    """The data-quality warning :func:`femstat.validate` emits, for a report it returned."""
    if checked.warnings.empty:
        return
    warnings.warn(
        "femstat data-quality warnings:\n"
        + "\n".join(
            f"  [{w.check}] {w.n_rows:,} rows: {w.detail}"
            for w in checked.warnings.itertuples(index=False)
        )
        + "\nCall femstat.validate(..., report=True) for the row positions.",
        DataQualityWarning,
        stacklevel=4,
    )
