"""Opening source files safely: decompression with a limit, reader failures as one error.

A file handed to femstat may be compressed, truncated, corrupt or not what its name says.
This module makes each of these a :class:`SourceError` that names the file and the
problem in one line (never a cell of the file), and keeps memory bounded whatever the
input:

- compressed input (gzip, bzip2, xz, zip, zstd), recognised by its first bytes, is
  decompressed as a stream, and reading stops with a :class:`SourceError` once it has
  produced more than the *decompression limit*: by default
  :data:`DEFAULT_MAX_RATIO` times the compressed size, and never less than
  :data:`DEFAULT_MIN_LIMIT` (a "zip bomb" of a few kilobytes expanding to gigabytes is
  refused after reading at most that much). ``max_decompressed=`` raises or lowers it;
- a zip archive's declared member sizes are checked before anything is decompressed, and
  enforced again while reading, since an archive can lie about them;
- a failure of a third-party parser (pandas, pyarrow, openpyxl, pyreadstat) on the
  file's content becomes a :class:`SourceError`;
- CSV text is UTF-8 unless told otherwise (a byte-order mark is recognised, UTF-16 with
  its byte-order mark too); a file that is not valid in its encoding is an error naming
  the encoding, never silently re-decoded. The delimiter is taken from the header line
  when not given.
"""

from __future__ import annotations

import bz2
import codecs
import csv
import gzip
import io
import lzma
import os
import re
import zipfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path, PurePosixPath
from typing import IO, Any, TypeVar

from femstat.errors import FemstatError, require

__all__ = [
    "DEFAULT_MAX_RATIO",
    "DEFAULT_MIN_LIMIT",
    "DELIMITERS",
    "SourceError",
    "decompression_limit",
    "open_source",
    "sniff_delimiter",
]

DEFAULT_MAX_RATIO = 100
"""Most bytes a compressed input may expand to, per compressed byte, by default."""

DEFAULT_MIN_LIMIT = 64 * 2**20
"""The decompression limit is never below this (64 MiB), however small the input."""

DELIMITERS = (",", ";", "\t", "|")
"""The delimiters a CSV file's header line is examined for, in order of preference."""

_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x1f\x8b", "gzip"),
    (b"BZh", "bzip2"),
    (b"\xfd7zXZ\x00", "xz"),
    (b"PK\x03\x04", "zip"),
    (b"PK\x05\x06", "zip"),  # an empty archive
    (b"\x28\xb5\x2f\xfd", "zstd"),
)
_EXTENSIONS = {".gz": "gzip", ".bz2": "bzip2", ".xz": "xz", ".zip": "zip", ".zst": "zstd"}
_SAMPLE_BYTES = 64 * 1024


class SourceError(FemstatError, ValueError):
    """A source file that cannot be read: corrupt, truncated, too large once
    decompressed, in another encoding or with another delimiter than assumed.

    The message names the file and the problem in one line and ends with what to do; it
    never quotes the file's content.
    """


def decompression_limit(compressed_size: int, max_decompressed: int | None = None) -> int:
    """The most bytes a compressed input of ``compressed_size`` bytes may expand to.

    Parameters
    ----------
    compressed_size : int
        Size of the compressed file, in bytes.
    max_decompressed : int, optional
        An explicit limit in bytes, which wins. By default, :data:`DEFAULT_MAX_RATIO`
        times ``compressed_size``, at least :data:`DEFAULT_MIN_LIMIT`.
    """
    if max_decompressed is not None:
        if max_decompressed < 1:
            raise ValueError(
                f"max_decompressed must be a positive number of bytes, not {max_decompressed}"
            )
        return int(max_decompressed)
    return max(DEFAULT_MAX_RATIO * compressed_size, DEFAULT_MIN_LIMIT)


def _size_text(n: int) -> str:
    for unit, size in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n} bytes"


class _Limited(io.RawIOBase):
    """A binary stream that raises :class:`SourceError` past ``limit`` bytes read."""

    def __init__(self, raw: IO[bytes], limit: int, label: str) -> None:
        super().__init__()
        self._raw = raw
        self._limit = limit
        self._label = label
        self.n_read = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        # Never ask for more than one byte past the limit, so that a refused input is
        # refused having decompressed at most the limit.
        want = max(1, min(len(view), self._limit - self.n_read + 1))
        try:
            data = self._raw.read(want)
        except FemstatError:
            raise
        except Exception as exc:  # the decompressor's own error on corrupt data
            raise SourceError(
                f"cannot read {self._label}: the compressed data are corrupt or cut short "
                f"({_reason(exc)}). What to do: re-download or re-export the file"
            ) from None
        n = len(data)
        self.n_read += n
        if self.n_read > self._limit:
            raise SourceError(
                f"{self._label} expands to more than {_size_text(self._limit)} once "
                "decompressed (the limit protects memory from a decompression bomb). What "
                "to do: if the file is genuine, raise the limit with max_decompressed=BYTES "
                "(--max-decompressed on the command line), or decompress it yourself first"
            )
        view[:n] = data
        return n


def _kind_of(head: bytes) -> str | None:
    return next((kind for magic, kind in _MAGIC if head.startswith(magic)), None)


def compression_of(path: Path) -> str | None:
    """The compression of a file, from its first bytes; None when it is not compressed.

    A file whose extension promises a compression its content does not have is an error.
    """
    with open(path, "rb") as handle:
        head = handle.read(8)
    found = _kind_of(head)
    promised = _EXTENSIONS.get(path.suffix.lower())
    if promised is not None and found != promised:
        what = "empty" if not head else "not a " + promised + " file"
        raise SourceError(
            f"cannot read {path.name}: its extension says {promised}, but it is {what} "
            "(cut short, corrupt or misnamed). What to do: re-download or re-export the file"
        )
    return found


def _zip_member(archive: zipfile.ZipFile, label: str, suffixes: tuple[str, ...]) -> zipfile.ZipInfo:
    members = [
        info
        for info in archive.infolist()
        if not info.is_dir()
        and not info.filename.startswith("__MACOSX/")
        and not PurePosixPath(info.filename).name.startswith(".")
    ]
    if len(members) > 1 and suffixes:
        matching = [m for m in members if PurePosixPath(m.filename).suffix.lower() in suffixes]
        members = matching if len(matching) == 1 else members
    if len(members) != 1:
        names = [m.filename for m in members]
        shown = ", ".join(names[:5]) + (", …" if len(names) > 5 else "")
        raise SourceError(
            f"cannot read {label}: the archive holds {len(names)} data files"
            + (f" ({shown})" if names else "")
            + ", and femstat reads exactly one. What to do: extract the file you mean and "
            "pass its path"
        )
    return members[0]


@contextmanager
def open_source(
    source: str | os.PathLike[str] | IO[bytes],
    *,
    label: str | None = None,
    max_decompressed: int | None = None,
    member_suffixes: tuple[str, ...] = (),
) -> Iterator[tuple[IO[bytes], str]]:
    """Open a file for binary reading, decompressing it as a stream when compressed.

    Parameters
    ----------
    source : str, path or binary file object
        The file; gzip, bzip2, xz, zip and zstd are recognised by their first bytes. A
        file object is read from its current position (a zip archive needs one that can
        seek).
    label : str, optional
        How messages name a file object (a path is named by its file name).
    max_decompressed : int, optional
        The decompression limit in bytes (see :func:`decompression_limit`).
    member_suffixes : tuple of str
        For a zip archive holding several files: the extensions of the one to read
        (e.g. ``(".csv", ".txt")``); the archive must hold exactly one such file.

    Yields
    ------
    (binary stream, label)
        The (decompressed) content, and how messages name it: the file name, and for a
        zip archive ``archive.zip:member``, so that it is clear which member is read.

    Raises
    ------
    SourceError
        When the compressed data are corrupt or expand past the limit (also while the
        stream is read), or the archive does not hold exactly one data file.
    """
    with ExitStack() as stack:
        handle: Any
        if isinstance(source, str | os.PathLike):
            path = Path(source)
            kind = compression_of(path)
            name = path.name
            size = path.stat().st_size
            handle = stack.enter_context(open(path, "rb", buffering=1 << 16))
        else:
            name = label or str(getattr(source, "name", "<buffer>"))
            handle = source if hasattr(source, "peek") else io.BufferedReader(source)
            kind = _kind_of(handle.peek(8)[:8])
            size = _remaining(handle)
        if kind is None:
            yield handle, name
            return
        limit = decompression_limit(size, max_decompressed)
        yield stack.enter_context(_decompressed(handle, kind, name, limit, member_suffixes))


def _remaining(handle: Any) -> int:
    """Bytes left in a file object, 0 when it cannot tell (the limit's floor applies)."""
    try:
        here = handle.tell()
        end = handle.seek(0, os.SEEK_END)
        handle.seek(here)
        return int(end - here)
    except (OSError, AttributeError, ValueError):
        return 0


def _too_large(label: str, size: int, limit: int) -> SourceError:
    return SourceError(
        f"{label} declares {_size_text(size)} once decompressed, more than the limit of "
        f"{_size_text(limit)}. What to do: if the file is genuine, raise the limit with "
        "max_decompressed=BYTES (--max-decompressed on the command line), or decompress it "
        "first"
    )


@contextmanager
def _decompressed(
    handle: Any, kind: str, label: str, limit: int, member_suffixes: tuple[str, ...]
) -> Iterator[tuple[IO[bytes], str]]:
    with ExitStack() as stack:
        raw: Any
        try:
            if kind == "zip":
                archive = stack.enter_context(zipfile.ZipFile(handle))
                member = _zip_member(archive, label, member_suffixes)
                label = f"{label}:{member.filename}"
                if member.file_size > limit:
                    raise _too_large(label, member.file_size, limit)
                raw = stack.enter_context(archive.open(member))
            elif kind == "gzip":
                raw = stack.enter_context(gzip.GzipFile(fileobj=handle, mode="rb"))
            elif kind == "bzip2":
                raw = stack.enter_context(bz2.BZ2File(handle, "rb"))
            elif kind == "xz":
                raw = stack.enter_context(lzma.LZMAFile(handle, "rb"))
            else:
                zstd: Any = require("zstandard", "io")
                raw = stack.enter_context(zstd.ZstdDecompressor().stream_reader(handle))
        except FemstatError:
            raise
        except (zipfile.BadZipFile, RuntimeError, NotImplementedError, EOFError, OSError) as exc:
            raise SourceError(
                f"cannot read {label}: not a readable {kind} archive ({_reason(exc)}). What "
                "to do: re-download or re-export the file"
            ) from None
        limited = _Limited(raw, limit, label)
        yield io.BufferedReader(limited, buffer_size=1 << 20), label


# --------------------------------------------------------------------------------------
# Reader failures as SourceError


def _reason(exc: BaseException) -> str:
    """An exception as a short phrase without quoted text (which may be a cell)."""
    text = str(exc).strip()
    first = text.splitlines()[0] if text else ""
    first = re.sub(r"(['\"]).*?\1", "'…'", first)
    first = re.sub(r"b'…'", "'…'", first)
    if len(first) > 160:
        first = first[:157] + "…"
    name = type(exc).__name__
    return f"{name}: {first}" if first else name


def unicode_error(label: str, encoding: str, exc: UnicodeDecodeError) -> SourceError:
    """The error of a file that is not valid text in ``encoding``."""
    byte = exc.object[exc.start : exc.start + 1] if isinstance(exc.object, bytes) else b""
    where = f"byte 0x{byte[0]:02X}" if byte else "a byte"
    others = "cp1252" if codecs.lookup(encoding).name != "cp1252" else "latin-1"
    return SourceError(
        f"cannot read {label}: {where} is not valid {encoding} text, so the file is in "
        f"another encoding. What to do: give its encoding, e.g. encoding='{others}' "
        f"(--encoding {others} on the command line), or 'latin-1'; or save it as UTF-8"
    )


_T = TypeVar("_T")


def guarded(label: str, what: str, call: Callable[[], _T], *, encoding: str = "utf-8") -> _T:
    """Run a third-party reader; a failure on the file's content is a SourceError.

    Parameters
    ----------
    label : str
        How the file is named in messages.
    what : str
        What the file was read as (``"a Parquet file"``).
    call : callable
        The reader call.
    encoding : str
        The text encoding assumed, named when the file is not valid in it.
    """
    try:
        return call()
    except FemstatError:
        raise
    except (FileNotFoundError, IsADirectoryError, PermissionError):
        raise  # about the path, not the content: the caller reports these as they are
    except UnicodeDecodeError as exc:
        raise unicode_error(label, encoding, exc) from None
    except MemoryError:
        raise
    except Exception as exc:  # any parser failure on corrupt content, whatever its type
        raise SourceError(
            f"cannot read {label} as {what}: {_reason(exc)}. What to do: check that it is "
            f"a complete, uncorrupted file of that format (re-download or re-export it)"
        ) from None


def guarded_iter(
    label: str, what: str, iterator: Iterator[_T], *, encoding: str = "utf-8"
) -> Iterator[_T]:
    """Iterate a third-party reader's batches, as :func:`guarded` runs one call."""
    sentinel = object()

    def step() -> object:
        return next(iterator, sentinel)

    while True:
        item = guarded(label, what, step, encoding=encoding)
        if item is sentinel:
            return
        yield item  # type: ignore[misc]


# --------------------------------------------------------------------------------------
# CSV text: encoding and delimiter


def text_encoding(head: bytes, given: str | None) -> str:
    """The encoding to decode a text file with: ``given``, else from its byte-order mark.

    Without a byte-order mark, UTF-8 (``utf-8-sig`` so that a UTF-8 mark is dropped).
    """
    if given is not None:
        try:
            codecs.lookup(given)
        except LookupError:
            raise SourceError(
                f"unknown encoding {given!r}. What to do: give a Python codec name such as "
                "'utf-8', 'cp1252' or 'latin-1'"
            ) from None
        return given
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    return "utf-8-sig"


def encoding_name(encoding: str) -> str:
    """The encoding as messages name it (``utf-8-sig`` is just UTF-8 to a user)."""
    return "utf-8" if encoding == "utf-8-sig" else encoding


def _outside_quotes(line: str) -> str:
    return re.sub(r'"[^"]*"', "", line)


def sniff_delimiter(header: str) -> str:
    """The delimiter of a CSV file, from its header line.

    The candidate of :data:`DELIMITERS` that occurs most often outside quotes; a comma
    when none occurs (a one-column file) or on a tie with the comma.
    """
    line = _outside_quotes(header)
    counts = {d: line.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: (counts[d], d == ","))
    return best if counts[best] > 0 else ","


def check_delimiter(label: str, columns: list[str], sep: str) -> None:
    """Refuse a header that ``sep`` leaves as one column holding another delimiter."""
    if len(columns) != 1:
        return
    others = [d for d in DELIMITERS if d != sep and d in _outside_quotes(str(columns[0]))]
    if others:
        found = others[0]
        shown = {"\t": "tab", ",": "','", ";": "';'", "|": "'|'"}
        raise SourceError(
            f"cannot read {label}: with the delimiter {shown.get(sep, repr(sep))} its header "
            f"is a single column that contains {shown[found]}, so the delimiter looks wrong. "
            f"What to do: pass sep={found!r} (--delimiter {shown[found]} on the command line)"
        )


def first_line(sample: bytes, encoding: str) -> str:
    """The header line of a sample of a text file, decoded leniently (for sniffing only).

    The first line that holds more than spaces and tabs: pandas skips blank lines before
    the header, so a leading line of a stray tab must not decide the delimiter.
    """
    text = sample.decode(encoding, errors="replace")
    return next((line for line in text.splitlines() if line.strip(" \t")), "")


def sample_of(stream: IO[bytes]) -> bytes:
    """The first bytes of a stream, without consuming them when it can peek."""
    if isinstance(stream, io.BufferedReader):
        return stream.peek(_SAMPLE_BYTES)[:_SAMPLE_BYTES]
    data = stream.read(_SAMPLE_BYTES)
    stream.seek(0)
    return data


_TAIL_BYTES = 64 * 1024


class TailKeeper(io.RawIOBase):
    """A binary stream passed through unchanged, keeping its last bytes.

    pandas pads a CSV row that has fewer cells than the header with missing values,
    without a word, so a file cut short in its last line would read as a valid table
    whose last record has unknown values. The kept tail lets :func:`check_last_line`
    tell a cut line from a complete one once the parser has read to the end.
    """

    def __init__(self, raw: IO[bytes]) -> None:
        super().__init__()
        self._raw = raw
        self.tail = b""
        self.at_end = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        data = self._raw.read(len(view))
        n = len(data)
        view[:n] = data
        if n == 0:
            self.at_end = True
        elif n >= _TAIL_BYTES:
            self.tail = bytes(data[-_TAIL_BYTES:])
        else:
            self.tail = (self.tail + data)[-_TAIL_BYTES:]
        return n


def n_header_fields(header: str, sep: str) -> int:
    """How many columns a CSV header line names (quoted delimiters are not separators)."""
    return len(next(csv.reader([header], delimiter=sep), []))


def check_last_line(
    label: str, keeper: TailKeeper, encoding: str, sep: str, n_columns: int
) -> None:
    """Refuse a CSV file whose last line ends without a line break and lacks cells.

    Such a line is almost always a file cut short (an interrupted download or copy).
    Checked only when the whole stream was read; a last line with an odd number of
    quotes (the end of a cell spanning several lines) cannot be judged and is let be.
    UTF-16 and UTF-32 text is not judged either: a tail may start inside a character.
    """
    tail = keeper.tail
    if not keeper.at_end or not tail or tail.endswith((b"\n", b"\r")):
        return
    if codecs.lookup(encoding).name.startswith(("utf-16", "utf-32")):
        return
    lines = tail.decode(encoding, errors="replace").splitlines()
    last = lines[-1] if lines else ""
    if last.count('"') % 2:
        return
    n_cells = n_header_fields(last, sep)
    if n_cells < n_columns:
        raise SourceError(
            f"cannot read {label}: its last line ends without a line break and holds "
            f"{n_cells} of the header's {n_columns} columns, so the file seems cut short. "
            "What to do: re-export or re-download the file; if the last record is "
            "complete, give it its missing cells (empty cells are allowed)"
        )
