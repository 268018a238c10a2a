"""The ``femstat`` command: femstat for people who do not write Python.

Built on typer (commands and help from type hints) and rich (tables and progress), both
in the ``cli`` extra. Commands:

- ``femstat validate FILE``: check a victim file; a summary, and a failure table with
  exit code 1 when it cannot be used;
- ``femstat classify FILE -o OUT``: the victim records with their femicide type;
- ``femstat indicators FILE --by year,area --population POP -o OUT``: the indicator
  table (CSV, Excel, Parquet or SDMX-CSV by the output's extension), small cells
  suppressed; ``-o OUT.unodc.csv`` (or ``--format unodc``) writes female victims by age,
  relationship and mechanism in UNODC's data portal layout instead;
- ``femstat report [FILE] -o DIR``: the HTML and Markdown report (no FILE: the bundled
  example data and population);
- ``femstat schema --format json|yaml``: the victim table's schema.

Every input is read by :mod:`femstat.sources.readers`, as ``femstat.read`` reads it (CSV
and Excel cells as text; ``--delimiter``, ``--encoding`` and ``--max-decompressed`` for
CSV). A command never writes over one of its inputs, even with ``--force``, and replaces
an existing output only with ``--force``.

User mistakes (a missing or unreadable file, a bad option value, data that fail
validation, a population that does not fit, an output that would replace a file) end with
one line on stderr, ``femstat: error: ...``, and exit code 2, never a traceback; an
interrupt ends with one line and exit code 130, a defect of femstat with one line naming
its type and exit code 70 (``FEMSTAT_TRACEBACK=1`` shows the traceback); the codes are
:class:`femstat._exit.ExitCode`, listed by ``femstat --help``. Messages never
echo free-text fields of the input.
"""

from __future__ import annotations

import importlib
import json
import os
import re
import sys
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

from femstat._exit import ExitCode, exit_codes_text
from femstat.errors import FemstatError, MissingDependencyError

try:
    import typer
    from rich.console import Console
    from rich.markup import escape
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
    from rich.table import Table
    from typer.core import TyperGroup
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise MissingDependencyError(
        "the femstat command needs typer and rich: pip install 'femstat[cli]'"
    ) from exc

if TYPE_CHECKING:
    import pandas as pd

    from femstat.classify import RuleSet
    from femstat.exports import ExportFormat
    from femstat.sources.rows import RowNumbers
    from femstat.validate import ValidationReport

__all__ = ["app", "main"]


def _click_module() -> Any:
    # typer 0.2x vendors click as typer._click; older releases use click itself.
    try:
        return importlib.import_module("typer._click")
    except ImportError:  # pragma: no cover - depends on the typer release
        return importlib.import_module("click")


_click: Any = _click_module()
_NoArgsIsHelp: Any = getattr(_click.exceptions, "NoArgsIsHelpError", ())

console = Console()
err_console = Console(stderr=True)


class _UserError(FemstatError):
    """A mistake in how the command was called: reported in one line, exit code 2."""


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _error(message: str) -> None:
    err_console.print(
        f"femstat: error: {_one_line(message)}", markup=False, highlight=False, soft_wrap=True
    )


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


_CHECK_PATH = "check its name, and the folder the command runs in"


def _describe(exc: BaseException) -> str:
    """The one-line message of a user mistake; never a value of a free-text field."""
    from femstat.errors import ValidationError

    if isinstance(exc, ValidationError):
        cases = exc.failure_cases
        n = len(cases)
        example = ""
        if n:
            example = (
                f", e.g. column {cases['column'].iloc[0]!r} (check {cases['check'].iloc[0]!r})"
            )
        return (
            f"the victim table cannot be used: {n} problem(s){example}; "
            "run 'femstat validate FILE' to see them all"
        )
    if isinstance(exc, FileNotFoundError) and exc.filename:
        return f"no such file: {exc.filename}; {_CHECK_PATH}"
    if isinstance(exc, OSError) and exc.strerror and exc.filename:
        return f"{exc.strerror}: {exc.filename}"
    return _first_line(exc)


_USER_ERRORS: tuple[type[BaseException], ...] = (FemstatError, OSError)


class _FemstatGroup(TyperGroup):
    """Runs a command and turns every user mistake into one line and exit code 2.

    click's own usage errors (an unknown option, a bad choice) are reported the same way,
    instead of click's multi-line usage box, so that scripts can rely on one line.
    """

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        code: int = ExitCode.OK
        try:
            result = super().main(
                args=args,
                prog_name=prog_name or "femstat",
                complete_var=complete_var,
                standalone_mode=False,
                windows_expand_args=windows_expand_args,
                **extra,
            )
            code = result if isinstance(result, int) else ExitCode.OK
        except _NoArgsIsHelp as exc:
            # Building the error printed the (rich) help already; plain click returns it.
            message = exc.format_message()
            if message.strip():
                console.print(message, markup=False, highlight=False)
            code = ExitCode.OK
        except _click.exceptions.UsageError as exc:
            where = exc.ctx.command_path if exc.ctx else "femstat"
            _error(f"{exc.format_message()} (see '{where} --help')")
            code = ExitCode.USER_ERROR
        except _click.exceptions.ClickException as exc:
            # click's other errors (a file it cannot open) are mistakes in the input too;
            # their own code (1) would read as "validate found problems".
            _error(exc.format_message())
            code = ExitCode.USER_ERROR
        except typer.Abort:
            # click turns an EOFError outside a command (invoke() below reports those
            # inside) into a bare Abort; say what happened instead, with the code of
            # the same failure inside a command.
            _error("stopped: input ended unexpectedly")
            code = ExitCode.USER_ERROR
        except _USER_ERRORS as exc:
            _error(_describe(exc))
            code = ExitCode.USER_ERROR
        except Exception as exc:
            if os.environ.get("FEMSTAT_TRACEBACK"):
                raise
            # The exception's text is not shown: it may quote a cell of the input.
            _error(
                f"internal error ({type(exc).__name__}); please report it with the command "
                "you ran (set FEMSTAT_TRACEBACK=1 to see the details)"
            )
            code = ExitCode.INTERNAL_ERROR
        if standalone_mode:
            sys.exit(code)
        return code

    def make_context(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().make_context(*args, **kwargs)
        except KeyboardInterrupt:
            # While the options are read (an eager --version, say): typer would exit
            # with code 130 without a word.
            _error("interrupted")
            raise typer.Exit(ExitCode.INTERRUPTED) from None

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except EOFError as exc:
            # A reader that ran out of input (a truncated file); click would otherwise
            # report a bare "aborted".
            raise _UserError(f"input ended unexpectedly: {_first_line(exc)}") from None
        except KeyboardInterrupt:
            # typer would exit with code 130 without a word.
            _error("interrupted; an output being written may be incomplete")
            raise typer.Exit(ExitCode.INTERRUPTED) from None


app = typer.Typer(
    name="femstat",
    help="Femicide statistics by the UN statistical framework (2022).",
    epilog=exit_codes_text(),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    cls=_FemstatGroup,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _print_version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            number = version("femstat")
        except PackageNotFoundError:  # pragma: no cover - running from a source tree
            number = "0.0.0+unknown"
        console.print(f"femstat {number}", highlight=False)
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            help="Print femstat's version and exit.",
            callback=_print_version,
            is_eager=True,
        ),
    ] = False,
) -> None:
    """Femicide statistics by the UN statistical framework (2022)."""


class SchemaFormat(StrEnum):
    json = "json"
    yaml = "yaml"


class OutputFormat(StrEnum):
    csv = "csv"
    excel = "excel"
    parquet = "parquet"
    sdmx = "sdmx"
    unodc = "unodc"


class ShareMethod(StrEnum):
    wilson = "wilson"
    clopper_pearson = "clopper-pearson"


class RateMethod(StrEnum):
    exact = "exact"
    byar = "byar"


class Standard(StrEnum):
    esp2013 = "esp2013"
    who2000 = "who2000"
    segi1960 = "segi1960"


# --------------------------------------------------------------------------- reading


def _check_exists(path: Path) -> None:
    if not path.exists():
        raise _UserError(f"no such file: {path}; {_CHECK_PATH}")
    if path.is_dir():
        raise _UserError(f"{path} is a folder, not a file")


def _format_of(path: Path) -> str | None:
    """The reader format of a file; ``.txt`` (also compressed) is read as CSV."""
    suffixes = [s.lower() for s in path.suffixes[-2:]]
    if suffixes and suffixes[-1] in (".gz", ".bz2", ".xz", ".zip", ".zst"):
        suffixes = suffixes[:-1]
    return "csv" if suffixes and suffixes[-1] == ".txt" else None


class _Reading:
    """How the command reads its input files: the reader options the user gave.

    Every file goes through :mod:`femstat.sources.readers`, as ``femstat.read`` reads
    it: CSV cells as text, the delimiter sniffed unless given, UTF-8 unless told,
    compressed files decompressed as a stream with a limit.
    """

    def __init__(
        self,
        encoding: str | None = None,
        delimiter: str | None = None,
        max_decompressed: int | None = None,
    ) -> None:
        self.encoding = encoding
        self.delimiter = delimiter
        self.max_decompressed = max_decompressed

    def options(self, path: Path) -> dict[str, Any]:
        """Reader keyword arguments for ``path``; CSV-only options refused elsewhere."""
        from femstat.sources.readers import _format_of as reader_format

        fmt = _format_of(path) or _guarded(path, lambda: reader_format(path, None))
        options: dict[str, Any] = {"format": fmt}
        if self.max_decompressed is not None:
            options["max_decompressed"] = self.max_decompressed
        text = {"encoding": self.encoding, "sep": self.delimiter}
        given = {k: v for k, v in text.items() if v is not None}
        if given and fmt not in ("csv", "tsv"):
            names = " and ".join("--encoding" if k == "encoding" else "--delimiter" for k in given)
            raise _UserError(f"{names} apply to CSV files only, and {path.name} is not one")
        return {**options, **given}


_DEFAULT_READING = _Reading()


def _read_table(path: Path, reading: _Reading = _DEFAULT_READING) -> pd.DataFrame:
    """A table as ``femstat.sources.read_raw`` reads it (CSV cells as text)."""
    from femstat.sources import read_raw

    _check_exists(path)
    options = reading.options(path)
    frame: pd.DataFrame = _guarded(path, lambda: read_raw(path, **options))
    return frame


_Read = TypeVar("_Read")


def _guarded(path: Path, reader: Callable[[], _Read]) -> _Read:
    """Run a reader; a file it cannot parse is a user mistake, named in one line.

    A reader's message can quote a cell (``could not convert string to float: '...'``),
    and a cell may be free text: quoted text is replaced by ``'…'``.
    """
    try:
        return reader()
    except FemstatError:
        raise
    except (ValueError, UnicodeError, zipfile.BadZipFile) as exc:
        reason = re.sub(r"(['\"]).*?\1", "'…'", _first_line(exc))
        raise _UserError(f"cannot read {path.name}: {reason}") from None


def _read_victims(
    path: Path, mapping: Path | None, reading: _Reading = _DEFAULT_READING
) -> tuple[pd.DataFrame, ValidationReport]:
    """Read and validate a victim file exactly as ``femstat.read`` does.

    Raises ValidationError when it cannot be used, SourceError when it cannot be read.
    """
    import femstat as fs

    _check_exists(path)
    if mapping is not None:
        _check_exists(mapping)
    options = reading.options(path)
    # One validation: a second one would find the absent columns already added.
    return _guarded(path, lambda: fs.read(path, mapping=mapping, report=True, **options))


def _classified(
    file: Path, mapping: Path | None, step: Callable[[str], None], reading: _Reading
) -> pd.DataFrame:
    """Read, validate and classify a victim file, as two steps of the progress bar."""
    import femstat as fs

    step("reading and validating")
    clean, _ = _read_victims(file, mapping, reading)
    step("classifying")
    return fs.classify(clean)


def _read_population(path: Path, reading: _Reading = _DEFAULT_READING) -> pd.DataFrame:
    """A population table, read like a victim file: keys as text, as the victims' are.

    ``year`` becomes a whole number, as validation makes the victims' year, and
    ``population`` a number; a value that is neither is an error, never a gap.
    """
    import pandas as pd

    import femstat as fs

    table = _read_table(path, reading)
    for column in ("year", "population"):
        if column not in table.columns:
            continue
        values = table[column]
        numeric = pd.api.types.is_numeric_dtype(values)
        text = values if numeric else values.astype("string").str.strip()
        numbers = pd.to_numeric(text, errors="coerce")
        bad = numbers.isna() & values.notna() & (text.astype("string") != "")
        if column == "year":
            bad |= numbers.notna() & (numbers % 1 != 0)
        if bad.any():
            where = _where(path, bad.to_numpy().nonzero()[0][:5], reading)
            raise fs.PopulationError(
                f"{path.name}: column {column!r} holds {int(bad.sum())} value(s) that are not "
                f"{'whole ' if column == 'year' else ''}numbers ({where.text()}); "
                "correct them or leave the cells empty"
            )
        table[column] = numbers.astype("Int16") if column == "year" else numbers
    return table


def _where(path: Path | None, positions: Iterable[int], reading: _Reading) -> RowNumbers:
    """Where records lie in ``path``, counted as someone with the file open counts them.

    ``positions`` are the library's 0-based data rows; the numbers are lines of a CSV
    file, rows of a sheet, or records from 1 (see :mod:`femstat.sources.rows`).
    """
    from femstat.sources.rows import record_numbers, row_numbers

    wanted = sorted({int(p) for p in positions})
    if path is None:
        return record_numbers(wanted)
    try:
        return row_numbers(path, wanted, **reading.options(path))
    except (FemstatError, OSError, ValueError):
        # The file cannot be read again (changed or removed since): a record's number
        # from 1 is still true.
        return record_numbers(wanted)


def _parse_levels(text: str) -> list[float]:
    levels = []
    for part in text.split(","):
        part = part.strip()
        try:
            value = float(part)
        except ValueError:
            value = float("nan")
        if not 0 < value < 1:
            raise _UserError(
                f"--level: {part!r} is not a confidence level between 0 and 1; "
                "give e.g. --level 0.95 or --level 0.95,0.998"
            )
        levels.append(value)
    return levels


def _parse_by(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]i?)?b?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "k": 10**3, "m": 10**6, "g": 10**9, "t": 10**12}


def _parse_size(text: str | None) -> int | None:
    """``--max-decompressed``: bytes, or with a unit (``500MB``, ``4GiB``)."""
    if text is None:
        return None
    match = _SIZE.match(text)
    size = 0
    if match is not None:
        unit = (match.group(2) or "").lower()
        factor = 2 ** (10 * "kmgt".index(unit[0]) + 10) if unit.endswith("i") else _UNITS[unit]
        size = int(float(match.group(1)) * factor)
    if size < 1:
        raise _UserError(
            f"--max-decompressed: {text!r} is not a size; give e.g. 500MB, 4GiB or a number "
            "of bytes"
        )
    return size


def _parse_delimiter(text: str | None) -> str | None:
    if text is None:
        return None
    named = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}
    value = named.get(text.lower(), text)
    if len(value) != 1:
        raise _UserError(f"--delimiter: give one character (',', ';', '|') or 'tab', not {text!r}")
    return value


# --------------------------------------------------------------------------- output files


def _same_file(a: Path, b: Path) -> bool:
    """Whether two paths name one file (links, relative paths and ``..`` resolved)."""
    try:
        if a.exists() and b.exists():
            return os.path.samefile(a, b)
    except OSError:
        pass
    return a.resolve() == b.resolve()


def _check_outputs(targets: Sequence[Path], inputs: Sequence[Path | None], *, force: bool) -> None:
    """Refuse to write over an input file (always) or an existing file (without --force).

    ``targets`` are every file the command is about to write (a CSV's metadata sidecar
    included), checked before anything is read, so a refused run writes nothing.
    """
    for target in targets:
        for source in inputs:
            if source is not None and _same_file(target, source):
                raise _UserError(
                    f"the output {target} would replace the input file {source.name}; "
                    "femstat never overwrites its input, even with --force: write to "
                    "another path"
                )
        if target.is_dir():
            raise _UserError(f"the output {target} is a folder; give a file name")
    existing = [t for t in targets if t.exists()]
    if existing and not force:
        raise _UserError(
            f"{existing[0]} exists already; pass --force to replace it, or choose another output"
        )


def _export_targets(output: Path, fmt: str) -> list[Path]:
    """The files ``femstat.exports.export`` writes for ``output``: CSV has a sidecar."""
    from femstat.exports import sidecar_path

    return [output, sidecar_path(output)] if fmt in ("csv", "unodc") else [output]


def _check_report_folder(out_dir: Path, inputs: Sequence[Path | None], *, force: bool) -> None:
    """The report's folder: never where an input lies, not an existing folder's content
    unless --force (then only the report's own files in it are replaced)."""
    if out_dir.exists() and not out_dir.is_dir():
        raise _UserError(f"the output {out_dir} is a file, not a folder; give a folder name")
    for source in inputs:
        if source is None or not source.exists():
            continue
        where = source.resolve()
        folder = out_dir.resolve()
        written_here = where.parent == folder and (
            where.name in ("report.html", "report.md") or where.suffix.lower() == ".png"
        )
        if written_here or folder / "tables" in where.parents:
            raise _UserError(
                f"the report folder {out_dir} is where the input file {source.name} lies, "
                "and the report would replace it; femstat never overwrites its input, even "
                "with --force: choose another folder"
            )
    if out_dir.is_dir() and any(out_dir.iterdir()) and not force:
        raise _UserError(
            f"the folder {out_dir} is not empty; pass --force to write the report into it "
            "(its report.html, report.md, charts and tables/ are replaced), or choose "
            "another folder"
        )


# --------------------------------------------------------------------------- output


@contextmanager
def _progress(total: int) -> Iterator[Callable[[str], None]]:
    """A progress bar on stderr when it is a terminal; ``step(name)`` starts a step."""
    progress = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
        disable=not err_console.is_terminal,
    )
    task = progress.add_task("starting", total=total)
    started = False

    def step(name: str) -> None:
        nonlocal started
        if started:
            progress.advance(task)
        started = True
        progress.update(task, description=name)

    with progress:
        yield step
        progress.update(task, completed=total)


def _summary_table(summary: pd.DataFrame, title: str, min_count: int) -> Table:
    """The counts by femicide type from a suppressed indicator table without breakdown."""
    import pandas as pd

    from femstat import codes as C

    rows = {str(r["femicide_type"]): r for _, r in summary.iterrows()}
    table = Table(title=title, title_justify="left")
    table.add_column("femicide type")
    table.add_column("victims", justify="right")
    table.add_column("share of female homicide", justify="right")

    def cells(name: str) -> tuple[str, str]:
        row = rows[name]
        if pd.isna(row["count"]):
            return escape("[c]"), escape("[c]")
        share = row["share"]
        return f"{int(row['count']):,}", "" if pd.isna(share) else f"{100 * share:.1f} %"

    for name in C.FEMICIDE_TYPES:
        # Most data has no partner-or-family record of unknown kind: no empty row for it.
        if name == "partner_or_family_unspecified" and rows[name]["count"] == 0:
            continue
        table.add_row(name, *cells(name))
    table.add_section()
    for name in ("femicide", "female_homicide"):
        table.add_row(name, *cells(name))
    caption = _protection_text(summary, min_count)
    if summary["count"].isna().any():
        caption = f"[c]: withheld. {caption}"
    table.caption = escape(caption)
    return table


def _protection_text(table: pd.DataFrame, min_count: int) -> str:
    """What disclosure control a published table went through, in one sentence."""
    if min_count == 1:
        return "--min-count 1: every count published, without disclosure control."
    protection = table.attrs.get("protection", {})
    secondary = int(protection.get("n_secondary", 0)) if isinstance(protection, dict) else 0
    text = f"Counts from 1 to {min_count - 1} suppressed"
    if secondary:
        text += f", and {secondary} more withheld so that they cannot be worked out"
    return text + "."


def _protected(table: pd.DataFrame, min_count: int) -> pd.DataFrame:
    """A count table as published: primary and secondary suppression, audited."""
    import femstat as fs

    return fs.protect({"table": table}, min_count=min_count)["table"]


def _summary(typed: pd.DataFrame, min_count: int) -> pd.DataFrame:
    import femstat as fs

    return _protected(fs.indicators(typed), min_count)


_PYTHON_MAPPING = re.compile(
    r"mapping=\{'columns': \{'(?P<column>[^']+)': \{'unknown': \[(?P<values>.*?)\]\}\}\}"
)
_PYTHON_ONLY: tuple[tuple[str, str], ...] = (
    ("; see e.failure_cases for every case.", "; the table above lists every case."),
    ("see e.failure_cases for every case", "the table above lists every case"),
    ("the rows are in e.failure_cases", "the rows are in the table above"),
    (
        " (e.g. pd.read_csv(path, dtype={'iccs_code': str}))",
        " (femstat reads it as text; in a spreadsheet, format the column as text)",
    ),
    (
        "or convert the column yourself (e.g. pd.to_datetime(df['date'], format='%d/%m/%Y'))",
        "or convert the column in the source",
    ),
    (" (femstat.codes lists them)", " ('femstat schema' lists them)"),
    ("(a TOML file or dict, see the docs on source readers)", "(a TOML file given with --mapping)"),
    (
        "; flatten MultiIndex columns, e.g. df.columns = ['_'.join(map(str, c)) for c in "
        "df.columns])",
        ")",
    ),
)


def _command_line_hint(hint: str) -> str:
    """A validation hint in the words of the command line: TOML mappings, no Python.

    The library's hints speak to Python users (``mapping={...}``, ``e.failure_cases``);
    people at the command line write a mapping file and see the failure table.
    """
    for python, command_line in _PYTHON_ONLY:
        hint = hint.replace(python, command_line)
    return _PYTHON_MAPPING.sub(
        lambda m: (
            f"a mapping file (--mapping) with [columns.{m['column']}] unknown = [{m['values']}]"
        ),
        hint,
    )


def _print_validation(
    result: ValidationReport, file: Path | None = None, reading: _Reading = _DEFAULT_READING
) -> None:
    """The validation report, and where in the file the records its warnings name lie."""
    console.print(str(result), markup=False, highlight=False)
    warned = [w for w in result.warnings.to_dict("records") if list(w.get("rows") or [])]
    if not warned:
        return
    where = _where(file, [r for w in warned for r in w["rows"]], reading)
    for w in warned:
        shown = where.text(w["rows"])
        more = ", …" if int(w["n_rows"]) > len(w["rows"]) else ""
        console.print(f"  where [{w['check']}]: {shown}{more}", markup=False, highlight=False)


def _failure_table(failure_cases: pd.DataFrame, where: RowNumbers | None = None) -> Table:
    """The failure cases; ``where`` numbers their rows as in the file (else from 1)."""
    import pandas as pd

    from femstat.sources.rows import record_numbers

    if where is None:
        where = record_numbers({int(r) for rows in failure_cases["rows"] for r in (rows or [])})

    table = Table(title="Problems found", title_justify="left")
    for name, justify in (
        ("column", "left"),
        ("check", "left"),
        ("value", "left"),
        ("rows", "right"),
        (where.heading, "left"),
    ):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for case in failure_cases.to_dict("records"):
        value = case.get("value")
        shown = (
            "" if value is None or (isinstance(value, float) and pd.isna(value)) else repr(value)
        )
        rows = ", ".join(str(where.of(r)) for r in case.get("rows") or [])
        table.add_row(
            *[escape(x) for x in (str(case["column"]), str(case["check"]), shown)],
            f"{int(case['n_rows']):,}",
            rows,
        )
    return table


# --------------------------------------------------------------------------- commands

FileArgument = Annotated[
    Path,
    typer.Argument(help="Victim microdata: CSV (also .csv.gz), Parquet, Excel, SPSS or Stata."),
]
MappingOption = Annotated[
    Path | None,
    typer.Option(
        "--mapping",
        "-m",
        help="A TOML (or YAML) mapping of the source's columns and codes to femstat's.",
    ),
]
LevelOption = Annotated[
    str,
    typer.Option(
        "--level",
        help="Confidence level(s), comma-separated; the first is the main one.",
    ),
]
MinCountOption = Annotated[
    int,
    typer.Option(
        "--min-count",
        min=1,
        help="Suppression threshold: counts from 1 to MIN_COUNT-1 are withheld, with the "
        "shares and rates derived from them (1 publishes every count).",
    ),
]
EncodingOption = Annotated[
    str | None,
    typer.Option(
        "--encoding",
        help="Text encoding of CSV input (e.g. cp1252, latin-1). Default UTF-8 (with or "
        "without byte-order mark; UTF-16 with one); a file that is not valid UTF-8 is an "
        "error, never guessed.",
    ),
]
DelimiterOption = Annotated[
    str | None,
    typer.Option(
        "--delimiter",
        help="Delimiter of CSV input: one character or 'tab'. Default: whichever of , ; "
        "tab | the header line holds most.",
    ),
]
MaxDecompressedOption = Annotated[
    str | None,
    typer.Option(
        "--max-decompressed",
        help="Most a compressed input (.gz, .zip, .bz2, .xz) may expand to, e.g. 2GiB. "
        "Default: 100 times its compressed size, at least 64 MiB.",
    ),
]
ForceOption = Annotated[
    bool,
    typer.Option(
        "--force",
        help="Replace output files that exist already. An input file is never replaced.",
    ),
]
MinReliableOption = Annotated[
    int,
    typer.Option(
        "--min-reliable", min=1, help="Shares and rates from fewer victims are flagged unreliable."
    ),
]


@app.command()
def validate(
    file: FileArgument,
    mapping: MappingOption = None,
    encoding: EncodingOption = None,
    delimiter: DelimiterOption = None,
    max_decompressed: MaxDecompressedOption = None,
) -> None:
    """Check a victim file against the framework's variables; exit 1 when it has errors."""
    import femstat as fs

    reading = _Reading(encoding, _parse_delimiter(delimiter), _parse_size(max_decompressed))
    try:
        with _progress(1) as step:
            step("validating")
            _, result = _read_victims(file, mapping, reading)
    except fs.ValidationError as exc:
        console.print(_first_line(exc), markup=False, highlight=False)
        cases = exc.failure_cases
        positions = [r for rows in cases["rows"] for r in (rows or [])]
        console.print(_failure_table(cases, _where(file, positions, reading)))
        hint = str(exc).strip().splitlines()[-1]
        if hint.startswith("What to do"):
            console.print(_command_line_hint(hint), markup=False, highlight=False)
        raise typer.Exit(ExitCode.PROBLEMS_FOUND) from None
    _print_validation(result, file, reading)
    console.print("femstat: the file can be used.", markup=False, highlight=False)


@app.command()
def classify(
    file: FileArgument,
    output: Annotated[
        Path,
        typer.Option(
            "--output",
            "-o",
            help="Where to write the classified records: .csv, .xlsx or .parquet.",
        ),
    ],
    mapping: MappingOption = None,
    min_count: MinCountOption = 5,
    encoding: EncodingOption = None,
    delimiter: DelimiterOption = None,
    max_decompressed: MaxDecompressedOption = None,
    force: ForceOption = False,
) -> None:
    """Classify every victim record by the femicide typology and write the records.

    The output holds the input's columns in canonical form plus femicide_type and
    criteria_met (the criteria found true, separated by ';'). It is microdata: keep it as
    confidential as the input. An existing output is replaced only with --force; the
    input never.
    """
    import femstat as fs
    from femstat.exports import export, format_of

    reading = _Reading(encoding, _parse_delimiter(delimiter), _parse_size(max_decompressed))
    fmt = format_of(output)
    if fmt in ("sdmx", "unodc"):
        raise _UserError("classify writes victim records; use .csv, .xlsx or .parquet")
    _check_outputs(_export_targets(output, fmt), [file, mapping], force=force)
    with _progress(3) as step:
        typed = _classified(file, mapping, step, reading)
        step("writing")
        out = typed.copy()
        rules = fs.UN_2022
        masks = out[rules.criteria_column].to_numpy()
        names = {int(m): ";".join(fs.criteria_met_names(int(m), rules)) for m in set(masks)}
        out[rules.criteria_column] = [names[int(m)] for m in masks]
        export(
            out,
            output,
            metadata={
                "table": "classified victim records",
                "rule_set": rules.name,
                "source": file.name,
            },
        )
    console.print(_summary_table(_summary(typed, min_count), f"femstat: {file.name}", min_count))
    console.print(f"Wrote {output}", markup=False, highlight=False, soft_wrap=True)


@app.command()
def indicators(
    file: FileArgument,
    by: Annotated[
        str,
        typer.Option(
            "--by",
            help="Breakdown columns, comma-separated (e.g. year,area,age_group); '' for none.",
        ),
    ] = "year",
    population: Annotated[
        Path | None,
        typer.Option(
            "--population",
            "-p",
            help="Female population (column 'population') keyed by the breakdown's columns "
            "(CSV, Excel or Parquet); extra keys are summed over. Gives rates.",
        ),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Output file: .csv (with a .metadata.json sidecar), .xlsx, .parquet, "
            ".sdmx.csv or .unodc.csv (UNODC's data portal layout: female victims by age, "
            "relationship and mechanism, by year). Without it, the table is printed.",
        ),
    ] = None,
    format: Annotated[
        OutputFormat | None,
        typer.Option("--format", "-f", help="Output format, overriding the extension."),
    ] = None,
    level: LevelOption = "0.95",
    min_count: MinCountOption = 5,
    min_reliable: MinReliableOption = 20,
    share_method: Annotated[
        ShareMethod, typer.Option("--share-method", help="Interval of shares.")
    ] = ShareMethod.wilson,
    rate_method: Annotated[
        RateMethod, typer.Option("--rate-method", help="Interval of rates.")
    ] = RateMethod.exact,
    standard: Annotated[
        Standard | None,
        typer.Option(
            "--standard",
            help="Write age-standardised rates (direct method) against this standard instead "
            "of the indicator table; the population needs age_group in its five-year bands.",
        ),
    ] = None,
    of: Annotated[
        str, typer.Option("--of", help="With --standard: what to count (e.g. femicide).")
    ] = "femicide",
    ref_area: Annotated[
        str | None,
        typer.Option(
            "--ref-area",
            help="SDMX-CSV REF_AREA when the table has no area column; the Iso3_code of "
            "UNODC's layout.",
        ),
    ] = None,
    mapping: MappingOption = None,
    encoding: EncodingOption = None,
    delimiter: DelimiterOption = None,
    max_decompressed: MaxDecompressedOption = None,
    force: ForceOption = False,
) -> None:
    """Compute counts, shares and rates with confidence intervals per group.

    Published tables are protected: counts below --min-count are suppressed, with what
    derives from them, and the cells that would let a reader work them out by subtraction
    (secondary suppression); --min-count 1 publishes every count.
    An existing output is replaced only with --force; an input file never.
    --encoding and --delimiter apply to the victim and population files alike.
    """
    import femstat as fs
    from femstat.exports import export, format_of

    levels = _parse_levels(level)
    columns = _parse_by(by)
    reading = _Reading(encoding, _parse_delimiter(delimiter), _parse_size(max_decompressed))
    fmt = format_of(output, format.value if format else None) if output is not None else None
    if ref_area is not None and fmt not in ("sdmx", "unodc"):
        raise _UserError(
            "--ref-area applies to SDMX-CSV output only (-o table.sdmx.csv), and to "
            "UNODC's layout as its Iso3_code (-o table.unodc.csv)"
        )
    if fmt == "unodc":
        if standard is not None:
            raise _UserError("--standard writes standardised rates, which UNODC's layout has not")
        if columns != ["year"]:
            raise _UserError(
                f"UNODC's layout has one row per country and year, not a breakdown by "
                f"{columns}: use --by year (the default)"
            )
    if output is not None and fmt is not None:
        _check_outputs(_export_targets(output, fmt), [file, population, mapping], force=force)
    pop_table = _read_population(population, reading) if population is not None else None
    with _progress(4) as step:
        typed = _classified(file, mapping, step, reading)
        step("computing indicators")
        if fmt == "unodc" and output is not None:
            step("writing")
            _write_unodc(typed, output, file, population, pop_table, columns, ref_area, min_count)
            table = None
        elif standard is not None:
            if pop_table is None:
                raise _UserError("--standard needs --population (by age_group)")
            pop = _population_by(
                pop_table,
                [*columns, "age_group"],
                "age-standardised rates need the population by age_group and the breakdown",
            )
            table = fs.age_standardised_rates(
                typed, by=columns, population=pop, standard=standard.value, of=of, level=levels
            )
            table = fs.suppress(table, min_count)
        else:
            pop = None
            if pop_table is not None:
                pop = _population_by(
                    pop_table, columns, f"give it by {columns} or drop them from --by"
                )
            table = fs.indicators(
                typed,
                by=columns,
                population=pop,
                level=levels,
                share_method=share_method.value,
                rate_method=rate_method.value,
                min_reliable=min_reliable,
            )
            table = _protected(table, min_count)
        if table is not None:
            step("writing")
        if output is not None and table is not None:
            extra = {"source": file.name}
            if population is not None:
                extra["population_source"] = population.name
            options = {"ref_area": ref_area} if fmt == "sdmx" else {}
            export(table, output, fmt, metadata=extra, min_count=min_count, **options)
    if table is None:
        console.print(
            f"Wrote {output} in UNODC's layout (female victims by age, relationship and "
            f"mechanism; counts from 1 to {min_count - 1} hidden with their complements).",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
    elif output is None:
        console.print(_indicator_table(table, columns))
        console.print(_protection_text(table, min_count), markup=False, highlight=False)
    else:
        console.print(
            f"Wrote {output} ({len(table):,} rows). {_protection_text(table, min_count)}",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )


@app.command()
def compare(
    file: FileArgument,
    by: Annotated[
        str,
        typer.Option("--by", help="The column whose groups are compared, e.g. area or year."),
    ],
    population: Annotated[
        Path,
        typer.Option(
            "--population",
            "-p",
            help="Female population (column 'population') keyed by --by (and --within).",
        ),
    ],
    reference: Annotated[
        str | None,
        typer.Option(
            "--reference",
            help="The group the others are compared with (default: the first); 'previous' "
            "compares each group with the one before (year on year).",
        ),
    ] = None,
    within: Annotated[
        str,
        typer.Option("--within", help="Compare within each group of these columns (e.g. year)."),
    ] = "",
    of: Annotated[
        str, typer.Option("--of", help="What to count (femicide, partner_or_family, ...).")
    ] = "femicide",
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Output file (.csv, .xlsx, .parquet)."),
    ] = None,
    level: LevelOption = "0.95",
    min_count: MinCountOption = 5,
    standard: Annotated[
        Standard | None,
        typer.Option(
            "--standard",
            help="Also compare age-standardised rates (population by age_group in the "
            "standard's five-year bands).",
        ),
    ] = None,
    mapping: MappingOption = None,
    encoding: EncodingOption = None,
    delimiter: DelimiterOption = None,
    max_decompressed: MaxDecompressedOption = None,
    force: ForceOption = False,
) -> None:
    """Compare rates between groups: rate ratios with exact intervals and p-values.

    Each group's rate is divided by the reference group's, with the exact conditional
    interval and p-value of R's poisson.test; shares of female homicide are compared as
    differences (Newcombe). Counts below --min-count are withheld with every comparison
    made from them.
    """
    import femstat as fs
    from femstat.exports import export

    confidence, fmt = _one_table_output(
        level, output, "comparisons", [file, population, mapping], force=force
    )
    within_columns = _parse_by(within)
    reading = _Reading(encoding, _parse_delimiter(delimiter), _parse_size(max_decompressed))
    pop_table = _read_population(population, reading)
    with _progress(4) as step:
        typed = _classified(file, mapping, step, reading)
        step("comparing")
        keys = [by, *within_columns] + (["age_group"] if standard is not None else [])
        pop = _population_by(pop_table, keys, f"give it by {keys}")
        table = fs.rate_ratios(
            typed,
            by=by,
            population=pop,
            reference=_parse_reference(reference, typed, by),
            within=within_columns,
            of=of,
            level=confidence,
            standard=standard.value if standard is not None else None,
        )
        table = fs.suppress(table, min_count)
        step("writing")
        if output is not None:
            export(table, output, fmt, metadata={"source": file.name}, min_count=min_count)
    if output is None:
        console.print(_comparison_table(table, [*within_columns, by]))
    else:
        console.print(f"Wrote {output} ({len(table):,} rows)", markup=False, highlight=False)
    hidden = int(table["suppressed"].sum())
    if hidden:
        console.print(
            f"{hidden} comparison(s) withheld: a count below {min_count}.",
            markup=False,
            highlight=False,
        )


class EstimateMethod(StrEnum):
    impute = "impute"
    allocate = "allocate"


@app.command()
def estimate(
    file: FileArgument,
    by: Annotated[
        str,
        typer.Option("--by", help="Breakdown columns, comma-separated; '' for none."),
    ] = "year",
    population: Annotated[
        Path | None,
        typer.Option("--population", "-p", help="Female population keyed by --by: adds rates."),
    ] = None,
    method: Annotated[
        EstimateMethod,
        typer.Option(
            "--method",
            help="impute: multiple imputation; allocate: proportional allocation of the "
            "undetermined within the groups.",
        ),
    ] = EstimateMethod.impute,
    imputations: Annotated[
        int, typer.Option("--imputations", "-m", min=2, help="Number of imputations.")
    ] = 50,
    seed: Annotated[
        int, typer.Option("--seed", help="Seed of the imputations (same seed, same numbers).")
    ] = 2022,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Output file (.csv, .xlsx, .parquet)."),
    ] = None,
    level: LevelOption = "0.95",
    min_count: MinCountOption = 5,
    mapping: MappingOption = None,
    encoding: EncodingOption = None,
    delimiter: DelimiterOption = None,
    max_decompressed: MaxDecompressedOption = None,
    force: ForceOption = False,
) -> None:
    """Estimate femicides with their uncertainty, the undetermined victims included.

    Between the lower bound (identified femicides) and the upper bound (plus every
    undetermined victim), the estimate fills in the unknown relationships and criteria by
    multiple imputation (or proportional allocation) and gives an interval. Published as
    the other tables: a group whose count is withheld (below --min-count, or to protect
    one) has its estimate withheld too.
    """
    import warnings

    import femstat as fs
    from femstat.estimates import estimate_from_file
    from femstat.exports import export
    from femstat.report import withheld_cells, withhold_estimates
    from femstat.sources.readers import _STREAMABLE
    from femstat.stream import counts_from_file

    confidence, fmt = _one_table_output(
        level, output, "estimates", [file, population, mapping], force=force
    )
    columns = _parse_by(by)
    reading = _Reading(encoding, _parse_delimiter(delimiter), _parse_size(max_decompressed))
    pop_table = _read_population(population, reading) if population is not None else None
    with _progress(4) as step:
        pop = None
        if pop_table is not None:
            pop = _population_by(pop_table, columns, f"give it by {columns} or drop them")
        settings: dict[str, Any] = {
            "method": method.value,
            "m": imputations,
            "seed": seed,
            "level": confidence,
        }
        _check_exists(file)
        if mapping is not None:
            _check_exists(mapping)
        options = reading.options(file)
        if options["format"] in _STREAMABLE:
            # Batch by batch: the estimate and the bounds' counts of a file of any size.
            step("reading, validating and classifying in batches")
            with warnings.catch_warnings():  # quality warnings are not shown here, as before
                warnings.simplefilter("ignore", fs.DataQualityWarning)
                table = _guarded(
                    file,
                    lambda: estimate_from_file(
                        file,
                        columns or None,
                        pop,
                        mapping=mapping,
                        progress=False,
                        **settings,
                        **options,
                    ),
                )
            step("estimating")
            cube, _ = _guarded(
                file,
                lambda: counts_from_file(file, columns, mapping=mapping, report=True, **options),
            )
            indicators = fs.indicators(cube, by=columns)
        else:
            typed = _classified(file, mapping, step, reading)
            step("estimating")
            table = fs.estimate(
                typed, by=columns or None, population=pop, progress=False, **settings
            )
            indicators = fs.indicators(typed, by=columns)
        # The bounds are the counts of an indicator table: published as that table would be.
        counts = _protected(indicators, min_count)
        kinds = ("femicide", "partner_or_family", "female_homicide")
        table = withhold_estimates(table, withheld_cells({"counts": counts}), columns, kinds)
        step("writing")
        if output is not None:
            export(table, output, fmt, metadata={"source": file.name})
    if output is None:
        shown = [
            *columns,
            "femicide_type",
            "bound_lower",
            "estimate",
            "lower",
            "upper",
            "bound_upper",
        ]
        whole = {"bound_lower", "estimate", "lower", "upper", "bound_upper"}
        console.print(_comparison_table(table[shown], [*columns, "femicide_type"], whole))
    else:
        console.print(f"Wrote {output} ({len(table):,} rows)", markup=False, highlight=False)
    how = (
        f"Multiple imputation, m = {imputations}, seed {seed}"
        if method is EstimateMethod.impute
        else "Proportional allocation"
    )
    console.print(
        f"{how}; {_protection_text(counts, min_count)}",
        markup=False,
        highlight=False,
    )


def _one_table_output(
    level: str, output: Path | None, what: str, inputs: list[Path | None], *, force: bool
) -> tuple[float, ExportFormat | None]:
    """The one confidence level and the output format of a command writing one table."""
    from femstat.exports import format_of

    levels = _parse_levels(level)
    if len(levels) != 1:
        raise _UserError(f"--level: give one confidence level for {what}")
    fmt = format_of(output) if output is not None else None
    if fmt in ("sdmx", "unodc"):
        raise _UserError(
            f"{what} are written as .csv, .xlsx or .parquet, not SDMX-CSV or UNODC's layout"
        )
    if output is not None and fmt is not None:
        _check_outputs(_export_targets(output, fmt), inputs, force=force)
    return levels[0], fmt


def _parse_reference(text: str | None, typed: pd.DataFrame, by: str) -> Any:
    """--reference as the value type of the column (years are numbers)."""
    if text is None or text == "previous" or by not in typed.columns:
        return text
    values = typed[by].dropna().unique()
    for value in values:
        if str(value) == text:
            return value
    return text


def _comparison_table(
    table: pd.DataFrame, keys: Sequence[str], whole: set[str] | None = None
) -> Table:
    """A result table for the terminal; ``whole``: columns shown as whole numbers.

    The comparison columns when the table has them, else every column of ``table``.
    """
    shown = [
        c
        for c in [
            *keys,
            "reference",
            "count",
            "rate",
            "rate_ratio",
            "rate_ratio_lower",
            "rate_ratio_upper",
            "p_value",
        ]
        if c in table.columns
    ]
    if "rate_ratio" not in table.columns:
        shown = [str(c) for c in table.columns]
    return _terminal_table(table, shown, [*keys, "reference"], whole=whole or set())


def _terminal_table(
    table: pd.DataFrame,
    shown: Sequence[str],
    keys: Sequence[str],
    *,
    whole: Sequence[str] | set[str] = (),
    hidden_counts_only: bool = False,
) -> Table:
    """A result table for the terminal: keys left, numbers right, withheld as ``[c]``.

    ``whole``: columns shown as whole numbers; ``hidden_counts_only``: a missing value
    other than a count is left blank (a share over nothing), not marked withheld.
    """
    import pandas as pd

    out = Table(show_lines=False)
    for column in shown:
        out.add_column(column, justify="left" if column in keys else "right")
    for _, row in table[list(shown)].iterrows():
        cells = []
        for column in shown:
            value = row[column]
            if pd.isna(value):
                hidden = column == "count" or not hidden_counts_only
                cells.append(escape("[c]") if hidden else "")
            elif column == "share":
                cells.append(f"{value * 100:.1f} %")
            elif column == "count":
                cells.append(f"{int(value):,}")
            elif column in whole:
                cells.append(f"{float(value):,.0f}")
            elif isinstance(value, float):
                cells.append(f"{value:.3f}")
            else:
                cells.append(escape(str(value)))
        out.add_row(*cells)
    return out


def _write_unodc(
    typed: pd.DataFrame,
    output: Path,
    file: Path,
    population: Path | None,
    pop_table: pd.DataFrame | None,
    columns: list[str],
    ref_area: str | None,
    min_count: int,
) -> None:
    """Write the classified records in UNODC's data portal layout (femstat.unodc)."""
    from femstat.exports import export

    pop = None
    if pop_table is not None:
        # By age group too when the file gives it: the age rows then get rates.
        keys = [*columns, *(["age_group"] if "age_group" in pop_table.columns else [])]
        pop = _population_by(pop_table, keys, f"give it by {columns} or drop --population")
    extra = {"source": file.name}
    if population is not None:
        extra["population_source"] = population.name
    export(
        typed,
        output,
        "unodc",
        metadata=extra,
        min_count=min_count,
        iso3=ref_area or "",
        population=pop,
    )


def _population_by(table: pd.DataFrame, keys: list[str], what_to_do: str) -> pd.DataFrame:
    """The population summed to ``keys``; an error naming the key columns it lacks."""
    import femstat as fs
    from femstat.report import population_for

    pop = population_for(table, keys)
    if pop is None:
        missing = [c for c in keys if c not in table.columns]
        raise fs.PopulationError(f"the population has no column(s) {missing}; {what_to_do}")
    return pop


def _indicator_table(table: pd.DataFrame, by: Sequence[str]) -> Table:
    shown = [
        c
        for c in [
            *by,
            "femicide_type",
            "count",
            "share",
            "rate",
            "rate_lower",
            "rate_upper",
            "crude_rate",
        ]
        if c in table.columns
    ]
    return _terminal_table(table, shown, [*by, "femicide_type"], hidden_counts_only=True)


def _parse_rules(text: str | None) -> list[RuleSet]:
    """The rule sets of ``--rules``: shipped names, or paths of TOML files."""
    import femstat as fs

    if text is None:
        return []
    items = [item.strip() for item in text.split(",") if item.strip()]
    if not items:
        raise _UserError("--rules is empty; give rule set names or .toml files, comma-separated")
    out: list[RuleSet] = []
    for item in items:
        if item.lower().endswith(".toml"):
            path = Path(item)
            _check_exists(path)
            out.append(fs.RuleSet.from_toml(path))
        else:
            out.append(fs.rule_set(item))
    return out


@app.command()
def report(
    file: Annotated[
        Path | None,
        typer.Argument(help="Victim microdata; omit it for the bundled example data."),
    ] = None,
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Folder to write the report to.")
    ] = Path("femstat-report"),
    population: Annotated[
        Path | None,
        typer.Option(
            "--population",
            "-p",
            help="Female population by year (and area, age_group) for rates; with no FILE, "
            "the example population.",
        ),
    ] = None,
    level: LevelOption = "0.95",
    min_count: MinCountOption = 5,
    min_reliable: MinReliableOption = 20,
    standard: Annotated[
        Standard,
        typer.Option("--standard", help="Standard population for age-standardised rates."),
    ] = Standard.esp2013,
    title: Annotated[str, typer.Option("--title", help="Title of the report.")] = (
        "Femicide statistics report"
    ),
    imputations: Annotated[
        int,
        typer.Option(
            "--imputations",
            min=0,
            help="Imputations of the estimates with uncertainty (0 leaves them out).",
        ),
    ] = 20,
    seed: Annotated[
        int, typer.Option("--seed", help="Seed of the imputations (same seed, same report).")
    ] = 2022,
    mapping: MappingOption = None,
    encoding: EncodingOption = None,
    delimiter: DelimiterOption = None,
    max_decompressed: MaxDecompressedOption = None,
    force: ForceOption = False,
    rules: Annotated[
        str | None,
        typer.Option(
            "--rules",
            help="National rule sets counted beside the UN one, comma-separated: names "
            "femstat ships (MEX_CPF_325, ARG_CP_80, ESP_DGVG_2022, BRA_CP_121A, "
            "ECU_COIP_141) or paths of .toml rule set files.",
        ),
    ] = None,
) -> None:
    """Write the femicide report (HTML with charts, and Markdown) to a folder.

    Without FILE, the report is built from femstat's bundled synthetic example data and
    its population. Published tables are protected: counts below --min-count are withheld
    with the cells that would reveal them (--min-count 1 publishes everything). A folder that is
    not empty (an earlier report, say) is written into only with --force, which replaces
    the report's own files there; a folder where an input file would be replaced is
    always refused.
    """
    import femstat as fs
    from femstat.report import REPORT_STEPS, build_report

    levels = _parse_levels(level)
    reading = _Reading(encoding, _parse_delimiter(delimiter), _parse_size(max_decompressed))
    rule_sets = _parse_rules(rules)
    if file is None and mapping is not None:
        raise _UserError("--mapping needs a FILE")
    _check_report_folder(output, [file, population, mapping], force=force)
    if file is None:
        source = "the bundled example data (synthetic, femstat.datasets.example_victims)"
        pop_table: pd.DataFrame | None = (
            _read_population(population, reading)
            if population is not None
            else fs.datasets.example_population()
        )
        pop_source: str | None = (
            population.name if population is not None else "the bundled example population"
        )
    else:
        source = file.name
        pop_table = _read_population(population, reading) if population is not None else None
        pop_source = population.name if population is not None else None
    with _progress(len(REPORT_STEPS) + 1) as step:
        step("reading")
        if file is None:
            clean, result = fs.validate(fs.datasets.example_victims(), report=True)
        else:
            clean, result = _read_victims(file, mapping, reading)
        files = build_report(
            clean,
            pop_table,
            validation=result,
            out_dir=output,
            source=source,
            population_source=pop_source,
            title=title,
            level=levels,
            min_count=min_count,
            min_reliable=min_reliable,
            standard=standard.value,
            progress=step,
            imputations=imputations,
            seed=seed,
            rules=[fs.UN_2022, *rule_sets] if rule_sets else fs.UN_2022,
        )
    name = "the bundled example data (synthetic)" if file is None else file.name
    console.print(_summary_table(files.summary, f"femstat {fs.__version__}: {name}", min_count))
    if not result.warnings.empty:
        _print_validation(result, file, reading)
    written = [p for p in (files.html, files.markdown) if p is not None]
    console.print(
        "Wrote " + " and ".join(str(p) for p in written) + f" ({len(files.charts)} charts, "
        f"{len(files.tables)} table files in {output / 'tables'})",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )


@app.command()
def schema(
    format: Annotated[
        SchemaFormat, typer.Option("--format", "-f", help="Output format.")
    ] = SchemaFormat.json,
) -> None:
    """Print the victim table's schema as JSON Schema (or YAML)."""
    import femstat as fs

    if format is SchemaFormat.json:
        sys.stdout.write(json.dumps(fs.victim_json_schema(), indent=2) + "\n")
    else:
        sys.stdout.write(fs.victim_yaml_schema())


def main() -> None:
    """Entry point of the ``femstat`` command (and of ``python -m femstat``)."""
    app(prog_name="femstat")
