"""Where a record lies in its file: the numbers a person sees in an editor or a spreadsheet.

The library reports rows as 0-based positions among the data records (``rows`` of
``ValidationError.failure_cases`` and of a validation report's warnings): that is the
Python contract, and it is what ``df.iloc`` takes. Someone with the file open needs the
place of the record instead, and that is not ``position + 2`` in general:

- a CSV file's blank lines (empty, or holding only spaces and tabs) are skipped by the
  reader, as they are by pandas, so every blank line above a record moves it down;
- a quoted CSV field may hold a line break, so one record can span several lines;
- a file may begin with blank lines before its header.

:func:`row_numbers` answers for a few positions, on the error path only: it reads the
text again up to the last position asked for, so normal reading pays nothing. What a
number means depends on the format (:class:`RowNumbers`):

- CSV (also compressed): the **line** of the file where the record begins, counted from
  1 as a text editor counts them (the header is line 1 unless blank lines precede it);
- Excel: the **row** of the sheet (the header is row 1, the first record row 2);
- Parquet, SPSS, Stata and other formats without lines or sheet rows: the **record**,
  counted from 1 among the data records.

Reader options that move records about in ways this module does not follow
(``skiprows``, ``header``, ``comment``, another quote character, ...) give record
numbers too: a number that is always true rather than a line number that might not be.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

__all__ = ["RowNumbers", "record_numbers", "row_numbers"]

Unit = Literal["line", "row", "record"]

_WHERE: dict[str, tuple[str, str]] = {
    "line": ("line", "first lines in the file"),
    "row": ("row", "first rows in the sheet (header = row 1)"),
    "record": ("record", "first records (counted from 1)"),
}

# Reader options that change which lines are records; with any of them the numbers are
# record numbers. Options that leave the layout alone (dtype, usecols, ...) are fine.
_CSV_LAYOUT_OPTIONS = frozenset(
    {
        "skiprows",
        "header",
        "comment",
        "quotechar",
        "quoting",
        "escapechar",
        "doublequote",
        "lineterminator",
        "skip_blank_lines",
        "skipinitialspace",
        "skipfooter",
        "delim_whitespace",
        "names",
        "index_col",
        "engine",
        "dialect",
    }
)
_EXCEL_LAYOUT_OPTIONS = frozenset({"skiprows", "header", "sheet_name", "names", "index_col"})


@dataclass(frozen=True)
class RowNumbers:
    """The numbers of some records in their file, and what kind of number they are.

    Attributes
    ----------
    unit : {"line", "row", "record"}
        ``"line"``: the line of a text file where the record begins (from 1);
        ``"row"``: the row of a spreadsheet (header = row 1); ``"record"``: the record's
        place among the data records, from 1.
    positions : tuple of int
        The 0-based data positions asked for.
    numbers : tuple of int
        The number of each position, in the same order.
    """

    unit: Unit
    positions: tuple[int, ...]
    numbers: tuple[int, ...]

    @property
    def heading(self) -> str:
        """What the numbers are, for the heading of a table column."""
        return _WHERE[self.unit][1]

    def of(self, position: int) -> int:
        """The number of one of the positions asked for."""
        return self.numbers[self.positions.index(int(position))]

    def text(self, positions: Iterable[int] | None = None) -> str:
        """``"lines 3, 7"``: the numbers of these positions (or all) with their unit."""
        shown = list(self.numbers if positions is None else map(self.of, positions))
        word = _WHERE[self.unit][0] + ("s" if len(shown) != 1 else "")
        return f"{word} {', '.join(map(str, shown))}"


def record_numbers(positions: Iterable[int]) -> RowNumbers:
    """Record numbers counted from 1: true for every format."""
    wanted = tuple(int(p) for p in positions)
    return RowNumbers("record", wanted, tuple(p + 1 for p in wanted))


def row_numbers(
    path: str | os.PathLike[str],
    positions: Iterable[int],
    *,
    format: str | None = None,
    **options: Any,
) -> RowNumbers:
    """The line, sheet row or record number of some data records of a file.

    Parameters
    ----------
    path : str or path
        The file, as given to :func:`femstat.read` or :func:`femstat.sources.read_raw`.
    positions : iterable of int
        0-based positions among the data records, as femstat's errors and warnings give
        them (the header not counted).
    format : str, optional
        The reader format, by default taken from the extension.
    **options
        The reader options the file was read with (``encoding``, ``sep`` or
        ``delimiter``, ``max_decompressed``, ...).

    Returns
    -------
    RowNumbers
        CSV: lines where the records begin; Excel: sheet rows; other formats (or reader
        options that move records in ways not followed here): record numbers from 1.

    Raises
    ------
    femstat.sources.SourceError
        When the file cannot be read again (it changed or cannot be decoded).
    ValueError
        When a position lies beyond the file's records.
    """
    from femstat.sources.readers import _format_of

    wanted = [int(p) for p in positions]
    if any(p < 0 for p in wanted):
        raise ValueError("row positions are 0-based and cannot be negative")
    fmt = _format_of(Path(path), format)
    if fmt in ("csv", "tsv") and not (_CSV_LAYOUT_OPTIONS & options.keys()):
        return RowNumbers("line", tuple(wanted), _csv_lines(Path(path), fmt, wanted, options))
    if fmt == "excel" and not (_EXCEL_LAYOUT_OPTIONS & options.keys()):
        # pandas keeps every row below the header, blank ones included (unlike CSV).
        return RowNumbers("row", tuple(wanted), tuple(p + 2 for p in wanted))
    return record_numbers(wanted)


def _csv_lines(path: Path, fmt: str, wanted: list[int], options: dict[str, Any]) -> tuple[int, ...]:
    from femstat.sources.files import (
        first_line,
        guarded,
        open_source,
        sample_of,
        sniff_delimiter,
        text_encoding,
    )
    from femstat.sources.readers import _MEMBER_SUFFIXES

    if not wanted:
        return ()
    last = max(wanted)
    found: dict[int, int] = {}
    member_suffixes = _MEMBER_SUFFIXES.get(fmt, ())  # type: ignore[call-overload]
    with open_source(
        path, max_decompressed=options.get("max_decompressed"), member_suffixes=member_suffixes
    ) as (stream, label):
        head = sample_of(stream)
        encoding = text_encoding(head, options.get("encoding"))
        sep = options.get("sep") or options.get("delimiter")
        if sep is None:
            sep = "\t" if fmt == "tsv" else sniff_delimiter(first_line(head, encoding))
        # newline="" keeps "\r\n", "\r" and "\n" apart from a field's text and splits
        # lines on each of them, as the CSV parser and a text editor do.
        text = io.TextIOWrapper(stream, encoding=encoding, newline="")

        def scan() -> None:
            for position, line in _record_starts(text, str(sep)):
                if position in wanted_set:
                    found[position] = line
                if position >= last:
                    return

        wanted_set = set(wanted)
        guarded(label, "a CSV file", scan, encoding=encoding)
        text.detach()
    missing = [p for p in wanted if p not in found]
    if missing:
        raise ValueError(
            f"{path.name} has no data record at position {missing[0]}; it may have changed "
            "since it was read"
        )
    return tuple(found[p] for p in wanted)


_WHITESPACE = frozenset(" \t")


def _record_starts(lines: Iterable[str], sep: str) -> Iterator[tuple[int, int]]:
    """(0-based data position, 1-based line) of each data record, the header skipped.

    Follows pandas' C parser with femstat's options (``"`` quotes, doubled to escape,
    blank lines skipped): a line of nothing but spaces and tabs (other than the
    delimiter) is blank, and a ``"`` opens a quoted field only at the start of a field,
    where a line break is part of the field's text.
    """
    # What a blank line may hold besides its line break (str.strip runs at C speed).
    blank = "".join(sorted(_WHITESPACE - {sep})) + "\r\n"
    position = -2  # the first record read is the header, at -1
    in_quotes = False
    for number, line in enumerate(lines, start=1):
        if not in_quotes:
            if not line.strip(blank):
                continue
            position += 1
            if position >= 0:
                yield position, number
            if '"' in line:
                in_quotes = _ends_in_quotes(line.rstrip("\r\n"), sep, quoted=False)
        else:
            in_quotes = _ends_in_quotes(line.rstrip("\r\n"), sep, quoted=True)


def _ends_in_quotes(line: str, sep: str, *, quoted: bool) -> bool:
    """Whether a line ends inside a quoted field (so the record goes on below).

    ``quoted``: the line begins inside a quoted field opened on a line above.
    """
    state = "quoted" if quoted else "start"
    for c in line:
        if state == "start":
            state = "quoted" if c == '"' else ("start" if c == sep else "field")
        elif state == "field":
            if c == sep:
                state = "start"
        elif state == "quoted":
            if c == '"':
                state = "quote"
        else:  # a quote inside a quoted field: doubled, or the field's end
            state = "quoted" if c == '"' else ("start" if c == sep else "field")
    return state == "quoted"
