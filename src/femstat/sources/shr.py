"""FBI Supplementary Homicide Reports (SHR): the yearly national fixed-width file.

The public-use release (ICPSR/NACJD, one study a year, e.g. study 36790 for 2015) holds one
homicide **incident** per 270-character record, with up to 11 victims and 11 offenders.
:func:`read_shr` turns it into femstat's victim table, one row per victim, with every
coding decision taken from the mapping ``mappings/shr.toml`` (see
:func:`femstat.sources.builtin_mapping`).

The file is read in blocks of about 8 MiB (decompressed as a stream when zipped or
gzipped), each sliced into fields with numpy; codes are translated on their distinct
values only, so a national file of ~14,000 incidents reads in a fraction of a second, and
memory holds the result plus one block's working arrays, whatever the file's size.
"""

from __future__ import annotations

import io
import os
import warnings
from collections.abc import Callable, Iterator
from collections.abc import Mapping as AbcMapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO, Any, Literal, overload

import numpy as np
import pandas as pd

from femstat import codes as C
from femstat.errors import DataQualityWarning, ValidationError
from femstat.sources.files import open_source
from femstat.sources.mapping import (
    UNMAPPED,
    ColumnMap,
    Mapping,
    MappingError,
    builtin_mapping,
    failure_frame,
    load_mapping,
)

__all__ = ["LAYOUT", "RECORD_LENGTH", "Field", "read_shr"]

RECORD_LENGTH = 270
"""Characters in one SHR record (trailing blanks may be trimmed)."""

_SLOTS = 11
_SHOWN_LINES = 5
_MAX_CASES = 100
_SPACE = 32


@dataclass(frozen=True)
class Field:
    """One fixed-width field of the SHR record; positions are 1-based and inclusive."""

    name: str
    start: int
    end: int

    @property
    def columns(self) -> str:
        """The field's position as written in the ICPSR codebook."""
        return str(self.start) if self.start == self.end else f"{self.start}-{self.end}"


def _person_fields(person: str, j: int, base: int) -> dict[str, Field]:
    """Age, sex, race and ethnicity: the first five characters of a victim or offender slot."""
    return {
        "age": Field(f"{person} {j} age", base, base + 1),
        "sex": Field(f"{person} {j} sex", base + 2, base + 2),
        "race": Field(f"{person} {j} race", base + 3, base + 3),
        "ethnicity": Field(f"{person} {j} ethnicity", base + 4, base + 4),
    }


def _victim_fields(j: int) -> dict[str, Field]:
    return _person_fields("victim", j, 78 if j == 1 else 101 + 5 * (j - 2))


def _offender_fields(j: int) -> dict[str, Field]:
    base = 83 if j == 1 else 151 + 12 * (j - 2)
    return {
        **_person_fields("offender", j, base),
        "weapon": Field(f"offender {j} weapon", base + 5, base + 6),
        "relationship": Field(f"offender {j} relationship", base + 7, base + 8),
        "circumstance": Field(f"offender {j} circumstance", base + 9, base + 10),
        "subcircumstance": Field(f"offender {j} sub-circumstance", base + 11, base + 11),
    }


_INCIDENT: dict[str, Field] = {
    "identifier": Field("identifier code", 1, 1),
    "state": Field("state code", 2, 3),
    "ori": Field("agency (ORI)", 4, 10),
    "group": Field("population group", 11, 12),
    "division": Field("geographic division", 13, 13),
    "year": Field("year", 14, 17),
    "population": Field("population", 18, 26),
    "county": Field("county", 27, 29),
    "msa": Field("MSA code", 30, 32),
    "msa_indication": Field("MSA indication", 33, 33),
    "agency_name": Field("agency name", 34, 57),
    "state_name": Field("state name", 58, 63),
    "month": Field("month of offence", 64, 65),
    "last_update": Field("last update", 66, 71),
    "action_type": Field("type of action", 72, 72),
    "homicide_type": Field("homicide type", 73, 73),
    "incident_number": Field("incident number", 74, 76),
    "situation": Field("situation", 77, 77),
    "additional_victims": Field("additional victim count", 95, 97),
    "additional_offenders": Field("additional offender count", 98, 100),
}
_VICTIMS = [_victim_fields(j) for j in range(1, _SLOTS + 1)]
_OFFENDERS = [_offender_fields(j) for j in range(1, _SLOTS + 1)]

LAYOUT: tuple[Field, ...] = tuple(
    sorted(
        [
            *_INCIDENT.values(),
            *(f for slot in _VICTIMS for f in slot.values()),
            *(f for slot in _OFFENDERS for f in slot.values()),
        ],
        key=lambda f: f.start,
    )
)
"""Every field of the 270-character record, in position order (ICPSR codebook layout)."""

_FIELD_INDEX: np.ndarray = np.array(
    [
        next(k for k, f in enumerate(LAYOUT) if f.start <= col <= f.end)
        for col in range(1, RECORD_LENGTH + 1)
    ]
)
"""Position in LAYOUT of the field each (0-based) column belongs to."""

# Fields every record needs whatever its counts say; the slots of victims 2-11 and
# offenders 2-11 are needed as far as the counts reach.
_NEEDED = (
    [
        _INCIDENT[k]
        for k in (
            "state",
            "ori",
            "year",
            "month",
            "homicide_type",
            "incident_number",
            "situation",
            "additional_victims",
            "additional_offenders",
        )
    ]
    + [_VICTIMS[0][k] for k in ("age", "sex", "race")]
    + [_OFFENDERS[0][k] for k in ("age", "sex", "race", "weapon", "relationship", "circumstance")]
)
_MIN_LENGTH = max(f.end for f in _NEEDED)
# The last column a record needs for k victims / offenders (k = 1..11): a trimmed line may
# lose the blank ethnicity or sub-circumstance after them, nothing before.
_VICTIM_END = np.array([slot["race"].end for slot in _VICTIMS])
_OFFENDER_END = np.array([slot["circumstance"].end for slot in _OFFENDERS])

_ENTRY_TARGETS = {
    "homicide_type": "iccs_code",
    "situation": None,
    "victim_age": "victim_age",
    "victim_sex": "victim_sex",
    "victim_race": None,
    "offender_age": "perpetrator_age",
    "offender_sex": "perpetrator_sex",
    "offender_race": None,
    "weapon": "mechanism",
    "relationship": "relationship",
    "circumstance_sexual_violence": "sexual_violence",
    "circumstance_sex_work": "sex_work",
}
_READER_KEYS = (
    "lawful_killing_iccs_code",
    "homicide_type_exclusion",
    "circumstance_exclusion",
    "partner_code_victim_sex",
)
_REPORT_COLUMNS = ["issue", "code", "count", "lines", "detail"]


# --------------------------------------------------------------------------------------
# Problems: collected per field and value, raised together


class _Problems:
    """Problems found while reading, merged across blocks per field, check and value."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.offset = 0  # line number (0-based) of the current block's first record
        self._cases: dict[tuple[str, str, str], dict[str, Any]] = {}
        self.truncated = False

    def __bool__(self) -> bool:
        return bool(self._cases)

    def add(
        self,
        field: Field | None,
        check: str,
        value: object,
        rows: np.ndarray,
        text: str,
        *,
        per_value: bool = True,
    ) -> None:
        """Record a problem at ``rows`` (positions in the current block).

        With ``per_value=False`` every value of this field and check is one problem, named
        by the first value met.
        """
        column = field.name if field is not None else "<record>"
        key = (column, check, repr(value) if per_value else "")
        case = self._cases.get(key)
        if case is None:
            if len(self._cases) >= _MAX_CASES:
                self.truncated = True
                return
            case = self._cases[key] = {
                "field": field,
                "column": column,
                "check": check,
                "value": value,
                "n_rows": 0,
                "rows": [],
                "text": text,
            }
        rows = np.asarray(rows, dtype=np.int64)
        case["n_rows"] += len(rows)
        room = _SHOWN_LINES - len(case["rows"])
        if room > 0:
            case["rows"].extend(int(r) + self.offset for r in rows[:room])

    def raise_if_any(self, n_records: int) -> None:
        if not self._cases:
            return
        cases, lines = [], []
        for case in self._cases.values():
            cases.append({k: case[k] for k in ("column", "check", "value", "n_rows", "rows")})
            field, shown, count = case["field"], case["rows"], case["n_rows"]
            more = ", …" if count > len(shown) else ""
            where = ", ".join(str(r + 1) for r in shown)
            noun = "line" if count == 1 else f"{count:,} lines"
            place = (
                f"field {field.name!r} (columns {field.columns})" if field is not None else "record"
            )
            lines.append(f"  - {place}: {case['text']}; {noun}: {where}{more}")
        header = (
            f"SHR file {self.label!r} ({n_records:,} records): {len(cases)} "
            f"problem(s){' (list truncated)' if self.truncated else ''}; line numbers are "
            "1-based"
        )
        hint = (
            "What to do: check that this is an SHR national file in the ICPSR fixed-width "
            f"layout ({RECORD_LENGTH} characters a record, plain ASCII). A code the SHR "
            "codebook does not list can be added to a copy of femstat's shr.toml mapping, "
            "passed as read_shr(..., mapping=path). e.failure_cases lists every problem "
            "(rows are 0-based record positions)."
        )
        raise ValidationError("\n".join([header, *lines, hint]), failure_frame(cases))


# --------------------------------------------------------------------------------------
# Bytes in, fixed-width matrix out, a block of records at a time

_BLOCK_BYTES = 8 * 2**20
"""Bytes read at a time: about 31,000 records. Memory holds one block's working arrays."""

_LINE_CAP = 64 * 1024
"""A line longer than this is not kept in memory: it is measured and reported."""


@contextmanager
def _open(
    obj: str | os.PathLike[str] | IO[bytes] | IO[str] | bytes, max_decompressed: int | None
) -> Iterator[tuple[IO[bytes], str]]:
    """The file's content as a binary stream, decompressed when zipped or gzipped."""
    source: str | os.PathLike[str] | IO[bytes]
    label: str | None = None
    if isinstance(obj, bytes | bytearray | memoryview):
        source, label = io.BytesIO(bytes(obj)), "<bytes>"
    elif isinstance(obj, str | os.PathLike):
        source = obj
    elif isinstance(obj, io.TextIOBase):
        # A text stream has been decoded already; encode it back so non-ASCII characters
        # are reported like any other encoding problem.
        source = io.BytesIO(obj.read().encode("utf-8"))
        label = str(getattr(obj, "name", "<buffer>"))
    elif hasattr(obj, "read"):
        source, label = obj, str(getattr(obj, "name", "<buffer>"))  # type: ignore[assignment]
    else:
        raise TypeError(
            f"read_shr expects a path, a binary file object or bytes, not {type(obj).__name__}"
        )
    with open_source(
        source, label=label, max_decompressed=max_decompressed, member_suffixes=_MEMBER_SUFFIXES
    ) as opened:
        yield opened


_MEMBER_SUFFIXES = (".txt", ".dat", "")


class _Records:
    """Reads the records of a stream block by block, checking each line's bytes.

    Iterating yields ``(offset, matrix, lengths)``: the 0-based line number of the
    block's first record, its records as a blank-padded ``(n, 270)`` uint8 matrix, and
    their lengths. Blank lines at the end of the file are not records; blank lines
    before a record are problems. Once a problem is found, blocks are still read (to
    report every problem) but no longer yielded.
    """

    def __init__(self, stream: IO[bytes], problems: _Problems, block_bytes: int) -> None:
        self.stream = stream
        self.problems = problems
        self.block_bytes = block_bytes
        self.n_records = 0  # lines up to the last non-blank one, so far
        self._line = 0  # line number of the next line
        self._pending: tuple[int, int] | None = None  # blank lines held back: first, count

    def __iter__(self) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
        carry = b""
        skipping: list[int] | None = None  # [line, length] of an over-long line
        first = True
        while True:
            chunk = self.stream.read(self.block_bytes)
            if first and chunk.startswith(b"\xef\xbb\xbf"):
                chunk = chunk[3:]  # a UTF-8 byte-order mark added by an editor
            first = False
            if skipping is not None:
                cut = chunk.find(b"\n")
                skipping[1] += len(chunk) if cut < 0 else cut
                if cut < 0 and chunk:
                    continue
                self._long_line(*skipping)
                skipping = None
                chunk = chunk[cut + 1 :] if cut >= 0 else b""
            if chunk:
                data = carry + chunk
                cut = data.rfind(b"\n")
                complete, carry = (data[: cut + 1], data[cut + 1 :]) if cut >= 0 else (b"", data)
            else:  # end of file
                complete, carry = carry.rstrip(b"\x1a"), b""  # DOS end-of-file marker
                if complete and not complete.endswith(b"\n"):
                    complete += b"\n"
            if complete:
                block = self._block(complete)
                if block is not None:
                    yield block
            if len(carry) > _LINE_CAP:
                skipping, carry = [self._line, len(carry)], b""
            if not chunk:
                break

    def _long_line(self, line: int, length: int) -> None:
        self._resolve_pending()
        self.problems.offset = 0
        self.problems.add(
            None,
            f"at most {RECORD_LENGTH} characters",
            length,
            np.array([line]),
            f"line longer than {RECORD_LENGTH} characters (first: {length}); records may lose "
            "trailing blanks but never gain characters",
            per_value=False,
        )
        self._line = line + 1
        self.n_records = self._line

    def _resolve_pending(self) -> None:
        """Blank lines held back are followed by a record: they are inside the file."""
        if self._pending is not None:
            start, count = self._pending
            self.problems.offset = 0
            self._empty(np.arange(start, start + count))
            self._pending = None

    def _empty(self, rows: np.ndarray) -> None:
        self.problems.add(None, "non-empty record", "", rows, "empty line inside the file")

    def _block(self, data: bytes) -> tuple[int, np.ndarray, np.ndarray] | None:
        arr = np.frombuffer(data, dtype=np.uint8)
        if (arr == 13).any():
            crlf = np.zeros(len(arr), dtype=bool)
            crlf[:-1] = (arr[:-1] == 13) & (arr[1:] == 10)
            arr = arr[~crlf]
        newlines = np.flatnonzero(arr == 10)
        starts = np.concatenate([[0], newlines[:-1] + 1])
        lengths = newlines - starts
        # A line of blanks is empty too: trimming trailing blanks leaves nothing of it.
        # Each line's span ends with its newline, so no span is empty for reduceat.
        content = (arr != _SPACE) & (arr != 10)
        blank = ~np.logical_or.reduceat(content, starts)
        del content
        offset = self._line
        self._line += len(lengths)
        kept = np.flatnonzero(~blank)
        if len(kept) == 0:
            start, count = self._pending or (offset, 0)
            self._pending = (start, count + len(lengths))
            return None
        self._resolve_pending()
        n = int(kept[-1]) + 1
        if n < len(lengths):
            self._pending = (offset + n, len(lengths) - n)
        self.n_records = offset + n
        problems = self.problems
        problems.offset = offset
        starts, lengths, newlines, blank = starts[:n], lengths[:n], newlines[:n], blank[:n]

        not_text = (arr < _SPACE) | (arr > 126)
        not_text[newlines] = False
        not_text[newlines[-1] :] = False
        if not_text.any():
            positions = np.flatnonzero(not_text)
            lines = np.searchsorted(newlines, positions)
            offsets = positions - starts[lines]
            field_of = np.where(
                offsets < RECORD_LENGTH,
                _FIELD_INDEX[np.minimum(offsets, RECORD_LENGTH - 1)],
                len(LAYOUT),
            )
            for index in np.unique(field_of).tolist():
                here = field_of == index
                fld = LAYOUT[index] if index < len(LAYOUT) else None
                byte = int(arr[positions[here][0]])
                problems.add(
                    fld,
                    "ASCII text",
                    f"0x{byte:02X}",
                    np.unique(lines[here]),
                    f"byte 0x{byte:02X} is not plain ASCII text (SHR files are ASCII; a "
                    "re-encoded or binary file?)"
                    + ("" if fld is not None else f", beyond column {RECORD_LENGTH}"),
                    per_value=False,
                )
        del not_text
        empty = np.flatnonzero(blank)
        if len(empty):
            self._empty(empty)
        long = np.flatnonzero(~blank & (lengths > RECORD_LENGTH))
        if len(long):
            problems.add(
                None,
                f"at most {RECORD_LENGTH} characters",
                int(lengths[long[0]]),
                long,
                f"line longer than {RECORD_LENGTH} characters (first: {int(lengths[long[0]])}); "
                "records may lose trailing blanks but never gain characters",
                per_value=False,
            )
        short = np.flatnonzero(~blank & (lengths < _MIN_LENGTH))
        for length in np.unique(lengths[short])[:_MAX_CASES]:
            rows = short[lengths[short] == length]
            missing = next(f for f in sorted(_NEEDED, key=lambda f: f.start) if f.end > length)
            problems.add(
                missing,
                f"line of at least {_MIN_LENGTH} characters",
                int(length),
                rows,
                f"line cut short at {int(length)} characters, before this field "
                f"(every record needs columns 1-{_MIN_LENGTH})",
            )
        if problems:
            return None  # an error will be raised: no need to build the matrix
        matrix = np.full((n, RECORD_LENGTH), _SPACE, dtype=np.uint8)
        if bool((lengths == RECORD_LENGTH).all()):
            matrix[:] = arr[: n * (RECORD_LENGTH + 1)].reshape(n, RECORD_LENGTH + 1)[:, :-1]
        else:
            # Row by row in groups of equal length: no (n, 270) index array in memory.
            for length in np.unique(lengths).tolist():
                same = np.flatnonzero(lengths == length)
                for part in range(0, len(same) if length else 0, 4096):
                    rows = same[part : part + 4096]
                    matrix[rows, :length] = arr[starts[rows][:, None] + np.arange(length)]
        return offset, matrix, lengths


def _slice(matrix: np.ndarray, fld: Field) -> np.ndarray:
    width = fld.end - fld.start + 1
    return np.ascontiguousarray(matrix[:, fld.start - 1 : fld.end]).view(f"S{width}").ravel()


# --------------------------------------------------------------------------------------
# Field decoding


def _digits(values: np.ndarray, fld: Field, rows_ok: np.ndarray, problems: _Problems) -> np.ndarray:
    """Parse a right-justified numeric field; non-numbers are problems (value 0)."""
    uniques, inverse = np.unique(values, return_inverse=True)
    parsed = np.zeros(len(uniques), dtype=np.int64)
    for k, raw in enumerate(uniques):
        text = raw.decode("ascii").strip()
        if text.isdigit():
            parsed[k] = int(text)
            continue
        rows = np.flatnonzero((inverse == k) & rows_ok)
        if len(rows):
            problems.add(
                fld,
                "number",
                text,
                rows,
                "blank, where a number is needed" if not text else f"{text!r} is not a number",
            )
    return parsed[inverse]


@dataclass(frozen=True)
class _Coded:
    """Codes of an (n, slots) field: a small table of results and indices into it.

    ``table`` holds one translated value per distinct raw code, plus a last ``None`` that
    unused slots point to; everything downstream indexes the table, never strings.
    """

    table: np.ndarray
    index: np.ndarray

    def at(self, rows: np.ndarray, slots: np.ndarray | int) -> np.ndarray:
        picked: np.ndarray = self.table[self.index[rows, slots]]
        return picked

    def categorical(
        self, rows: np.ndarray, slots: np.ndarray | int, code_list: C.CodeList | None = None
    ) -> pd.Categorical:
        """The values at (rows, slots) as a Categorical, built from integer codes."""
        return _from_table(self.table, self.index[rows, slots], code_list)


def _from_table(
    table: np.ndarray, index: np.ndarray, code_list: C.CodeList | None = None
) -> pd.Categorical:
    if code_list is not None:
        dtype = code_list.dtype
        positions = [-1 if v is None else code_list.code_of(str(v)) for v in table]
    else:
        categories = sorted({str(v) for v in table if v is not None})
        dtype = pd.CategoricalDtype(pd.Index(categories, dtype="str"))
        position_of = {c: k for k, c in enumerate(categories)}
        positions = [-1 if v is None else position_of[str(v)] for v in table]
    codes = np.asarray(positions, dtype=np.int16)[index]
    return pd.Categorical.from_codes(codes, dtype=dtype)


def _recode(
    spec: ColumnMap,
    values: np.ndarray,
    used: np.ndarray,
    fields: list[Field],
    problems: _Problems,
) -> _Coded:
    """Recode an (n, slots) array of raw codes with ``spec``; unused slots give None.

    Blank codes in used slots are problems: the SHR writes "unknown" with a code of its
    own (``U``, ``00``, ``UN``, ``99``), never with a blank.
    """
    flat = values[used]
    uniques, inverse = np.unique(flat, return_inverse=True)
    texts = [u.decode("ascii") for u in uniques]
    results = spec.lookup(texts)
    rows_of, slots_of = np.nonzero(used)
    for k, (text, result) in enumerate(zip(texts, results, strict=True)):
        blank = not text.strip()
        if not blank and result is not UNMAPPED:
            continue
        hit = inverse == k
        for slot in np.unique(slots_of[hit]):
            rows = rows_of[hit & (slots_of == slot)]
            if blank:
                problems.add(fields[slot], "not blank", "", rows, "blank, where a code is needed")
            else:
                problems.add(
                    fields[slot],
                    f"SHR code (mapping entry {spec.name})",
                    text.strip(),
                    rows,
                    f"{text.strip()!r} is not a code of the mapping's [columns.{spec.name}] table",
                )
    table = np.empty(len(results) + 1, dtype=object)
    table[:] = [None if r is UNMAPPED else r for r in results] + [None]
    index = np.full(values.shape, len(results), dtype=np.intp)
    index[used] = inverse
    return _Coded(table, index)


def _raw(values: np.ndarray, used: np.ndarray, convert: Any = None) -> _Coded:
    """Distinct raw codes (stripped text, or ``convert(text)``) without translation."""
    uniques, inverse = np.unique(values[used], return_inverse=True)
    texts = [u.decode("ascii").strip() for u in uniques]
    table = np.empty(len(texts) + 1, dtype=object)
    table[:] = [convert(t) if convert is not None else t for t in texts] + [None]
    index = np.full(values.shape, len(texts), dtype=np.intp)
    index[used] = inverse
    return _Coded(table, index)


def _stack(matrix: np.ndarray, slots: list[dict[str, Field]], key: str) -> np.ndarray:
    return np.stack([_slice(matrix, slot[key]) for slot in slots], axis=1)


def _check_mapping(mapping: Mapping) -> None:
    missing = [name for name in _ENTRY_TARGETS if name not in mapping]
    missing += [f"[reader].{key}" for key in _READER_KEYS if key not in mapping.reader]
    if missing:
        raise MappingError(
            f"an SHR mapping needs the entries {missing}; start from femstat's own "
            "(femstat.sources.builtin_mapping('shr').to_dict() or mappings/shr.toml)"
        )
    for name, target in _ENTRY_TARGETS.items():
        if target is not None and mapping[name].target != target:
            raise MappingError(
                f"SHR mapping entry [columns.{name}] must feed {target!r}, not "
                f"{mapping[name].target!r}"
            )


def _dictionary(mapping: Mapping, key: str) -> dict[str, str]:
    table = mapping.reader[key]
    if not isinstance(table, AbcMapping):
        raise MappingError(f"SHR mapping [reader.{key}] must be a table")
    return {_normal_code(str(k)): str(v) for k, v in table.items()}


def _normal_code(text: str) -> str:
    # Numeric SHR codes are right-justified (" 2") and sometimes zero-padded ("02").
    stripped = text.strip()
    return str(int(stripped)) if stripped.isdigit() else stripped


def _number_or_none(text: str) -> int | None:
    return int(text) if text.isdigit() else None


# --------------------------------------------------------------------------------------
# The reader


@overload
def read_shr(
    path_or_buffer: str | os.PathLike[str] | IO[bytes] | IO[str] | bytes,
    *,
    mapping: Mapping | str | os.PathLike[str] | AbcMapping[str, Any] | None = ...,
    return_report: Literal[False] = ...,
    max_decompressed: int | None = ...,
) -> pd.DataFrame: ...


@overload
def read_shr(
    path_or_buffer: str | os.PathLike[str] | IO[bytes] | IO[str] | bytes,
    *,
    mapping: Mapping | str | os.PathLike[str] | AbcMapping[str, Any] | None = ...,
    return_report: Literal[True],
    max_decompressed: int | None = ...,
) -> tuple[pd.DataFrame, pd.DataFrame]: ...


def read_shr(
    path_or_buffer: str | os.PathLike[str] | IO[bytes] | IO[str] | bytes,
    *,
    mapping: Mapping | str | os.PathLike[str] | AbcMapping[str, Any] | None = None,
    return_report: bool = False,
    max_decompressed: int | None = None,
) -> pd.DataFrame | tuple[pd.DataFrame, pd.DataFrame]:
    """Read an SHR national file into femstat's victim table, one row per victim.

    Parameters
    ----------
    path_or_buffer : path, file object or bytes
        The fixed-width file (270 characters a record, trailing blanks may be trimmed,
        LF or CRLF line ends), plain, zipped (one data member) or gzipped.
    mapping : Mapping, path or dict, optional
        The SHR coding; defaults to femstat's ``mappings/shr.toml``. Pass an edited copy
        to change a decision.
    return_report : bool, default False
        Also return the data-quality report (see Returns).
    max_decompressed : int, optional
        Most bytes a zipped or gzipped file may expand to (see
        :func:`femstat.sources.files.decompression_limit`); by default 100 times its
        compressed size, at least 64 MiB.

    Returns
    -------
    pandas.DataFrame
        One row per victim of every incident, in file order, already in femstat's
        canonical dtypes (:func:`femstat.validate` accepts it as it is): ``victim_id``
        (``<incident>-<victim number>``), ``event_id`` (the incident), ``year``,
        ``victim_sex``, ``victim_age``, ``relationship``, ``perpetrator_sex``,
        ``perpetrator_age``, ``mechanism``, ``sexual_violence``, ``sex_work``,
        ``iccs_code``, and SHR columns prefixed ``shr_`` (see ``docs/sources.md``).
    pandas.DataFrame
        Only with ``return_report=True``: one row per data-quality issue, with ``issue``,
        ``code``, ``count``, ``lines`` (a few 1-based line numbers) and ``detail``.

    Raises
    ------
    femstat.ValidationError
        When a record cannot be read: not ASCII, longer than 270 characters, cut short
        before a field it needs, a code the mapping does not list, a non-numeric age or
        count. The message names each field and line; it never repeats a line.
    femstat.sources.SourceError
        When a zipped or gzipped file is corrupt, expands beyond ``max_decompressed``,
        or (a zip archive) holds more than one data file.

    Warns
    -----
    femstat.DataQualityWarning
        Once per file, with counts, when records are readable but contradictory (e.g. a
        female victim coded as the offender's husband); the details are in the report.

    Notes
    -----
    The rules, each documented in ``docs/sources.md``:

    - every offender's relationship is to victim 1 only; victims 2-11 get ``unknown``;
    - the SHR codes what the victim was to the offender; the mapping's table is written
      in that direction and inverted with :data:`femstat.codes.RELATIONSHIP_INVERSE`;
    - several offenders are folded for victim 1 by the multiple-perpetrator rule: the
      closest relationship group (:data:`femstat.codes.RELATIONSHIP_CLOSENESS`), then the
      first fine code in :data:`femstat.codes.RELATIONSHIP` order, then the first
      offender. That offender gives ``perpetrator_sex``, ``perpetrator_age``,
      ``mechanism``, ``shr_circumstance`` and ``shr_relationship``; for victims 2-11,
      whose relationships are all unknown, it is the first offender;
    - homicide type ``B`` is ICCS ``0103``; an incident where any offender's circumstance
      is 80 or 81 (justifiable homicide, legal intervention) gets ICCS ``0000`` (lawful,
      outside section 01); the reason is in ``shr_exclusion``;
    - circumstance 2 or 17 sets ``sexual_violence`` and 10 sets ``sex_work`` for every
      victim of the incident; any other circumstance leaves them unknown, never false;
    - more victims than the 11 slots (an additional-victim count above 10) are kept as
      rows with unknown sex and age, and reported.
    """
    spec_map = builtin_mapping("shr") if mapping is None else load_mapping(mapping)
    _check_mapping(spec_map)
    with _open(path_or_buffer, max_decompressed) as (stream, label):
        split = _Problems(label)
        decode = _Problems(label)
        records = _Records(stream, split, _BLOCK_BYTES)
        parts: list[_Part] = []
        for offset, matrix, lengths in records:
            part = _decode(matrix, lengths, offset, spec_map, decode)
            del matrix
            if part is None:
                parts.clear()  # an error will be raised: free what is decoded
            else:
                parts.append(part)
    n = records.n_records
    if n == 0:
        split.add(None, "records", 0, np.array([], dtype=int), "the file holds no records")
    split.raise_if_any(n)
    decode.raise_if_any(n)
    out, report = _assemble(parts)
    if len(report):
        warnings.warn(
            f"SHR file {label!r}: data-quality issues (records kept as coded):\n"
            + "\n".join(
                f"  [{r.issue}] {r.code}: {r.count:,} record(s) — {r.detail}"
                for r in report.itertuples(index=False)
            )
            + "\nCall read_shr(..., return_report=True) for line numbers.",
            DataQualityWarning,
            stacklevel=2,
        )
    if return_report:
        return out, report
    return out


@dataclass
class _Part:
    """One block's victims, decoded; the ids need the whole file (repeated incidents)."""

    frame: pd.DataFrame  # one row per victim, without victim_id, event_id, shr_incident_id
    record: np.ndarray  # each row's record, 0-based in the file
    slot: np.ndarray  # each row's victim number - 1
    keys: pd.Series  # the incident key of each record of the block
    notes: list[dict[str, Any]]  # the block's data-quality notes


def _decode(
    matrix: np.ndarray,
    lengths: np.ndarray,
    offset: int,
    spec_map: Mapping,
    problems: _Problems,
) -> _Part | None:
    """Decode one block of records; None when this or an earlier block has problems."""
    n = len(lengths)
    problems.offset = offset

    def digits(key: str, rows_ok: np.ndarray) -> np.ndarray:
        return _digits(_slice(matrix, _INCIDENT[key]), _INCIDENT[key], rows_ok, problems)

    everywhere = np.ones(n, dtype=bool)
    extra_victims = digits("additional_victims", everywhere)
    extra_offenders = digits("additional_offenders", everywhere)
    n_victim_slots = np.minimum(extra_victims + 1, _SLOTS)
    n_offender_slots = np.minimum(extra_offenders + 1, _SLOTS)
    needed = np.maximum.reduce(
        [
            np.full(n, _MIN_LENGTH),
            _VICTIM_END[n_victim_slots - 1],
            _OFFENDER_END[n_offender_slots - 1],
        ]
    )
    short = lengths < needed
    if short.any():
        _report_short(short, lengths, n_victim_slots, n_offender_slots, problems)
    ok = ~short
    slot = np.arange(_SLOTS)
    victim_used = (slot[None, :] < n_victim_slots[:, None]) & ok[:, None]
    offender_used = (slot[None, :] < n_offender_slots[:, None]) & ok[:, None]
    incident_used = ok[:, None]

    state = digits("state", ok)
    year = digits("year", ok)
    month = digits("month", ok)
    incident_number = digits("incident_number", ok)
    bad_month = ok & ((month < 1) | (month > 12))
    for value in np.unique(month[bad_month]):
        problems.add(
            _INCIDENT["month"],
            "month 1-12",
            int(value),
            np.flatnonzero(bad_month & (month == value)),
            f"{int(value)} is not a month",
        )
    ori = _raw(_slice(matrix, _INCIDENT["ori"])[:, None], incident_used)
    blank_ori = ok & (ori.at(np.arange(n), 0) == "")
    if blank_ori.any():
        problems.add(
            _INCIDENT["ori"],
            "not blank",
            "",
            np.flatnonzero(blank_ori),
            "blank, where the agency identifier is needed",
        )

    def incident(entry: str, key: str) -> _Coded:
        raw = _slice(matrix, _INCIDENT[key])[:, None]
        return _recode(spec_map[entry], raw, incident_used, [_INCIDENT[key]], problems)

    def slots(fields: list[dict[str, Field]], used: np.ndarray) -> Callable[[str, str], _Coded]:
        """Recoder of one field of every used slot of ``fields`` by a mapping entry."""

        def recode(entry: str, key: str) -> _Coded:
            return _recode(
                spec_map[entry],
                _stack(matrix, fields, key),
                used,
                [s[key] for s in fields],
                problems,
            )

        return recode

    victims = slots(_VICTIMS, victim_used)
    offenders = slots(_OFFENDERS, offender_used)

    iccs = incident("homicide_type", "homicide_type")
    situation = incident("situation", "situation")
    v_age = victims("victim_age", "age")
    v_sex = victims("victim_sex", "sex")
    v_race = victims("victim_race", "race")
    o_age = offenders("offender_age", "age")
    o_sex = offenders("offender_sex", "sex")
    o_race = offenders("offender_race", "race")
    o_mechanism = offenders("weapon", "weapon")
    o_relationship = offenders("relationship", "relationship")
    o_sexual = offenders("circumstance_sexual_violence", "circumstance")
    o_sex_work = offenders("circumstance_sex_work", "circumstance")
    if problems:
        return None

    # ---- everything below runs on valid records only ------------------------------
    homicide_type = _raw(_slice(matrix, _INCIDENT["homicide_type"])[:, None], incident_used)
    raw_relationship = _raw(_stack(matrix, _OFFENDERS, "relationship"), offender_used)
    raw_circumstance = _raw(_stack(matrix, _OFFENDERS, "circumstance"), offender_used, _normal_code)
    circumstance_number = _raw(
        _stack(matrix, _OFFENDERS, "circumstance"), offender_used, _number_or_none
    )
    rows = np.arange(n)

    # Scope: homicide type first (B is ICCS 0103), then a lawful-killing circumstance of
    # any offender (the first such offender names the reason).
    type_reason = _lookup_table(
        homicide_type.table, _dictionary(spec_map, "homicide_type_exclusion")
    )
    type_index = homicide_type.index[:, 0]
    by_type = type_reason[type_index]
    has_type_reason = _known(type_reason)[type_index]
    circumstance_reason = _lookup_table(
        raw_circumstance.table, _dictionary(spec_map, "circumstance_exclusion")
    )
    has_reason = _known(circumstance_reason)[raw_circumstance.index]
    first_reason = has_reason.argmax(axis=1)
    has_circumstance_reason = has_reason.any(axis=1)
    by_circumstance = np.where(
        has_circumstance_reason,
        circumstance_reason[raw_circumstance.index[rows, first_reason]],
        None,
    )
    exclusion = np.where(has_type_reason, by_type, by_circumstance)
    lawful = ~has_type_reason & has_circumstance_reason
    lawful_code = str(spec_map.reader["lawful_killing_iccs_code"])
    iccs_values = np.where(lawful, lawful_code, iccs.at(rows, 0))

    sexual_violence = (o_sexual.table == True)[o_sexual.index].any(axis=1)  # noqa: E712
    sex_work = (o_sex_work.table == True)[o_sex_work.index].any(axis=1)  # noqa: E712
    closest = _closest_offender(o_relationship)

    # ---- one row per victim --------------------------------------------------------
    record, slot_of = np.nonzero(victim_used)
    beyond = np.flatnonzero(extra_victims > _SLOTS - 1)
    if len(beyond):
        counts = extra_victims[beyond] - (_SLOTS - 1)
        record = np.concatenate([record, np.repeat(beyond, counts)])
        slot_of = np.concatenate(
            [slot_of, *(np.arange(_SLOTS, _SLOTS + c) for c in counts.tolist())]
        )
        order = np.lexsort((slot_of, record))
        record, slot_of = record[order], slot_of[order]
    in_slot = slot_of < _SLOTS
    # Victims beyond the 11 slots point at an unused cell, whose value is None (unknown).
    victim_slot = np.where(in_slot, slot_of, _SLOTS)
    first = slot_of == 0
    offender = np.where(first, closest[record], 0)

    def victim_cells(coded: _Coded) -> _Coded:
        padded = np.concatenate(
            [coded.index, np.full((n, 1), len(coded.table) - 1, dtype=np.intp)], axis=1
        )
        return _Coded(coded.table, padded)

    relationship = o_relationship.categorical(record, offender, C.RELATIONSHIP)
    relationship[~first] = C.RELATIONSHIP.unknown
    victim_sex = victim_cells(v_sex).categorical(record, victim_slot, C.SEX)
    victim_sex[~in_slot] = C.SEX.unknown
    shr_relationship = raw_relationship.categorical(record, offender)
    shr_relationship[~first] = np.nan

    incident_key = _incident_keys(ori.at(rows, 0), year, month, incident_number)
    frame = pd.DataFrame(
        {
            "year": pd.array(year[record], dtype="Int16"),
            "victim_sex": victim_sex,
            "victim_age": pd.array(victim_cells(v_age).at(record, victim_slot), dtype="Int16"),
            "relationship": relationship,
            "perpetrator_sex": o_sex.categorical(record, offender, C.SEX),
            "perpetrator_age": pd.array(o_age.at(record, offender), dtype="Int16"),
            "mechanism": o_mechanism.categorical(record, offender, C.MECHANISM),
            "sexual_violence": pd.arrays.BooleanArray(
                sexual_violence[record], ~sexual_violence[record]
            ),
            "sex_work": pd.arrays.BooleanArray(sex_work[record], ~sex_work[record]),
            "iccs_code": _from_table(*_factorize(iccs_values[record])),
            "shr_record": (record + offset + 1).astype(np.int64),
            "shr_ori": ori.categorical(record, 0),
            "shr_state": pd.array(state[record], dtype="Int16"),
            "shr_month": pd.array(month[record], dtype="Int8"),
            "shr_homicide_type": homicide_type.categorical(record, 0),
            spec_map["situation"].target: situation.categorical(record, 0),
            "shr_victim_number": pd.array(slot_of + 1, dtype="Int16"),
            "shr_victims": pd.array(extra_victims[record] + 1, dtype="Int16"),
            "shr_offenders": pd.array(extra_offenders[record] + 1, dtype="Int16"),
            spec_map["victim_race"].target: victim_cells(v_race).categorical(record, victim_slot),
            spec_map["offender_race"].target: o_race.categorical(record, 0),
            "shr_relationship": shr_relationship,
            "shr_circumstance": pd.array(circumstance_number.at(record, offender), dtype="Int16"),
            "shr_exclusion": _from_table(*_factorize(exclusion[record])),
        }
    )

    notes = _quality_notes(
        victim_sex=v_sex.at(rows, 0),
        raw_relationship=raw_relationship,
        relationship=o_relationship.at(rows, 0),
        situation=situation.at(rows, 0),
        partner_sex=_dictionary(spec_map, "partner_code_victim_sex"),
        matrix=matrix,
        extra_victims=extra_victims,
        extra_offenders=extra_offenders,
        n_victim_slots=n_victim_slots,
        n_offender_slots=n_offender_slots,
        offset=offset,
    )
    return _Part(frame, record + offset, slot_of, incident_key, notes)


def _assemble(parts: list[_Part]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The victim table and quality report of the whole file from its blocks."""
    keys = pd.concat([p.keys for p in parts], ignore_index=True)
    record = np.concatenate([p.record for p in parts])
    slot = np.concatenate([p.slot for p in parts])
    event_id = _deduplicate(keys)
    victim_id = (
        event_id.iloc[record].reset_index(drop=True) + "-" + pd.Series(slot + 1).astype("str")
    )
    frames = [p.frame for p in parts]
    _unify_categories(frames)
    body = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    del frames
    columns: dict[str, Any] = {
        "victim_id": victim_id.to_numpy(),
        "event_id": event_id.iloc[record].to_numpy(),
    }
    for name in body.columns:
        columns[name] = body[name].array
        if name == "shr_record":
            columns["shr_incident_id"] = keys.iloc[record].to_numpy()
    out = pd.DataFrame(columns)
    report = _merged_notes([p.notes for p in parts], keys)
    return out, report


def _unify_categories(frames: list[pd.DataFrame]) -> None:
    """Give each categorical column one dtype across blocks: the sorted union of their
    categories, as a single read of the whole file makes it."""
    for name in frames[0].columns:
        dtypes = [f[name].dtype for f in frames]
        if not all(isinstance(d, pd.CategoricalDtype) for d in dtypes):
            continue
        if all(d == dtypes[0] for d in dtypes):
            continue
        union = sorted({str(c) for f in frames for c in f[name].cat.categories})
        categories = pd.Index(union, dtype="str")
        for f in frames:
            f[name] = f[name].cat.set_categories(categories)


def _lookup_table(table: np.ndarray, dictionary: dict[str, str]) -> np.ndarray:
    out = np.empty(len(table), dtype=object)
    out[:] = [None if v is None else dictionary.get(_normal_code(str(v))) for v in table]
    return out


def _known(table: np.ndarray) -> np.ndarray:
    return np.array([v is not None for v in table], dtype=bool)


def _factorize(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    codes, uniques = pd.factorize(pd.Series(values, dtype=object), use_na_sentinel=True)
    table = np.empty(len(uniques) + 1, dtype=object)
    table[:] = [*uniques, None]
    return table, np.where(codes < 0, len(uniques), codes)


def _closest_offender(relationship: _Coded) -> np.ndarray:
    """Index of each record's closest offender to victim 1 (order-independent rank)."""
    n_fine = len(C.RELATIONSHIP.codes)
    worst = len(C.RELATIONSHIP_CLOSENESS) * n_fine
    rank_table = np.array(
        [
            worst
            if code is None
            else C.RELATIONSHIP_CLOSENESS.index(C.RELATIONSHIP_GROUP_OF[code]) * n_fine
            + C.RELATIONSHIP.code_of(code)
            for code in relationship.table
        ],
        dtype=np.int32,
    )
    closest: np.ndarray = rank_table[relationship.index].argmin(axis=1)
    return closest


def _incident_keys(
    ori: np.ndarray, year: np.ndarray, month: np.ndarray, number: np.ndarray
) -> pd.Series:
    """``<ORI>-<year>-<month>-<incident number>``, the SHR's own incident key."""
    return (
        pd.Series(ori, dtype="str")
        + "-"
        + pd.Series(year).astype("str").str.zfill(4)
        + "-"
        + pd.Series(month).astype("str").str.zfill(2)
        + "-"
        + pd.Series(number).astype("str").str.zfill(3)
    )


def _deduplicate(keys: pd.Series) -> pd.Series:
    """Suffix ``#2``, ``#3``, ... to repeated incident keys, in file order."""
    occurrence = keys.groupby(keys, sort=False).cumcount()
    if not (occurrence > 0).any():
        return keys
    suffix = ("#" + (occurrence + 1).astype("str")).where(occurrence > 0, "")
    return keys + suffix


def _report_short(
    short: np.ndarray,
    lengths: np.ndarray,
    n_victim_slots: np.ndarray,
    n_offender_slots: np.ndarray,
    problems: _Problems,
) -> None:
    """Name, for each truncated record, the first field its counts need but it lacks."""
    groups: dict[Field, list[int]] = {}
    for row in np.flatnonzero(short)[: _MAX_CASES * _SHOWN_LINES].tolist():
        needed = [
            *(
                _VICTIMS[j][k]
                for j in range(1, int(n_victim_slots[row]))
                for k in ("age", "sex", "race")
            ),
            *(
                _OFFENDERS[j][k]
                for j in range(1, int(n_offender_slots[row]))
                for k in ("age", "sex", "race", "weapon", "relationship", "circumstance")
            ),
        ]
        missing = min((f for f in needed if f.end > lengths[row]), key=lambda f: f.start)
        groups.setdefault(missing, []).append(row)
    for fld, rows in groups.items():
        problems.add(
            fld,
            "line long enough for its counts",
            None,
            np.array(rows),
            f"line cut short (at {int(lengths[rows[0]])} characters) before this field, "
            "which the record's additional victim/offender counts need",
        )


_UNKNOWN_OFFENDER_SITUATIONS = frozenset({"B", "F"})
"""SHR situations whose offender is unknown: single (B) or multiple (F) victims."""

_KNOWN_RELATIONSHIP_GROUPS: dict[str, str] = {
    "intimate_partner": "an intimate partner",
    "family_member": "a family member",
    "other_known": "another known person",
    "stranger": "a stranger",
}
_USED_AS: dict[str, str] = {
    "intimate_partner": "classified as killed by an intimate partner",
    "family_member": "classified as killed by a family member",
    "other_known": "the relationship group is other known",
    "stranger": "the relationship group is stranger",
}


def _quality_notes(
    *,
    victim_sex: np.ndarray,
    raw_relationship: _Coded,
    relationship: np.ndarray,
    situation: np.ndarray,
    partner_sex: dict[str, str],
    matrix: np.ndarray,
    extra_victims: np.ndarray,
    extra_offenders: np.ndarray,
    n_victim_slots: np.ndarray,
    n_offender_slots: np.ndarray,
    offset: int,
) -> list[dict[str, Any]]:
    """Every data-quality check of one block, in a fixed order, with its count (0 too)."""
    rows: list[dict[str, Any]] = []

    def note(issue: str, code: str, mask: np.ndarray, detail: str) -> None:
        where = np.flatnonzero(mask)
        rows.append(
            {
                "issue": issue,
                "code": code,
                "count": len(where),
                "lines": [int(r) + offset + 1 for r in where[:_SHOWN_LINES]],
                "detail": detail,
            }
        )

    for code, implied in sorted(partner_sex.items()):
        coded = (raw_relationship.table == code)[raw_relationship.index].any(axis=1)
        recorded = np.isin(victim_sex, ["female", "male"]) & (victim_sex != implied)
        partner = "husband or male partner" if implied == "male" else "wife or female partner"
        note(
            "partner_code_contradicts_victim_sex",
            code,
            coded & recorded,
            f"{'female' if implied == 'male' else 'male'} victims coded {code} (the victim was "
            f"the offender's {partner}); still classified as killed by an intimate partner",
        )
    # Situations B and F say the offender is unknown; a known relationship to that
    # offender contradicts them, and the relationship decides the femicide type.
    unknown_offender = np.isin(situation.astype(object), list(_UNKNOWN_OFFENDER_SITUATIONS))
    groups = np.array(
        [
            C.RELATIONSHIP_GROUP_OF.get(str(r), "unknown") if r is not None else "unknown"
            for r in relationship
        ],
        dtype=object,
    )
    for group, what in _KNOWN_RELATIONSHIP_GROUPS.items():
        note(
            "known_relationship_with_unknown_offender",
            group,
            unknown_offender & (groups == group),
            f"records of situation B or F (offender unknown) whose first offender is coded "
            f"as {what}; the code is used as given ({_USED_AS[group]}): check the source",
        )
    slot = np.arange(1, _SLOTS)
    for person, span, width, n_slots in (
        ("victim", slice(100, 150), 5, n_victim_slots),
        ("offender", slice(150, 270), 12, n_offender_slots),
    ):
        block = matrix[:, span].reshape(len(matrix), _SLOTS - 1, width)
        filled = (block != _SPACE).any(axis=2)
        note(
            "slot_beyond_count",
            f"{person}s",
            (filled & (slot[None, :] >= n_slots[:, None])).any(axis=1),
            f"{person} slots filled beyond the additional-{person} count; ignored",
        )
    note(
        "victims_beyond_slots",
        "additional victim count > 10",
        extra_victims > _SLOTS - 1,
        "victims beyond the 11 slots have no fields; kept as rows with unknown sex and age",
    )
    note(
        "offenders_beyond_slots",
        "additional offender count > 10",
        extra_offenders > _SLOTS - 1,
        "offenders beyond the 11 slots have no fields; the fold uses the 11 coded ones",
    )
    return rows


def _merged_notes(blocks: list[list[dict[str, Any]]], keys: pd.Series) -> pd.DataFrame:
    """The quality report of the whole file: the blocks' notes added up, and repeated
    incident keys, which only the whole file shows."""
    merged = [dict(note) for note in blocks[0]]
    for notes in blocks[1:]:
        for total, note in zip(merged, notes, strict=True):
            total["count"] += note["count"]
            total["lines"] = (total["lines"] + note["lines"])[:_SHOWN_LINES]
    repeated = np.flatnonzero(keys.duplicated(keep="first").to_numpy())
    merged.append(
        {
            "issue": "duplicate_incident_key",
            "code": "agency-year-month-incident number",
            "count": len(repeated),
            "lines": [int(r) + 1 for r in repeated[:_SHOWN_LINES]],
            "detail": "records repeating an earlier record's incident key (adjustments?); kept "
            "as separate incidents, event_id suffixed #2, #3, ...",
        }
    )
    rows = [{**note, "count": int(note["count"])} for note in merged if note["count"]]
    return pd.DataFrame(rows, columns=_REPORT_COLUMNS)
