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
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

from femstat import i18n
from femstat._exit import ExitCode, exit_codes_text
from femstat.errors import FemstatError, MissingDependencyError

try:
    import typer
    from rich.console import Console
    from rich.markup import escape
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
    from rich.table import Table
    from typer.core import TyperArgument, TyperCommand, TyperGroup
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


_DOMAIN = "cli"


def _(message: str) -> str:
    """The command line's message in the language in use (domain ``cli``)."""
    return i18n.gettext(_DOMAIN, message)


def N_(message: str) -> str:
    """Mark a message for the catalogue; it is translated where it is shown."""
    return message


def _n(singular: str, plural: str, n: int) -> str:
    """A message whose form depends on a count, in the language in use (domain ``cli``)."""
    return i18n.ngettext(_DOMAIN, singular, plural, n)


LANGUAGE_VARIABLE = "FEMSTAT_LANG"
"""The environment variable giving the language when ``--lang`` is not given."""


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
        _("femstat: error: {message}").format(message=_one_line(message)),
        markup=False,
        highlight=False,
        soft_wrap=True,
    )


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


_CHECK_PATH = N_("check its name, and the folder the command runs in")


def _describe(exc: BaseException) -> str:
    """The one-line message of a user mistake; never a value of a free-text field.

    The framing is the command line's, in its language; the library's own messages
    (``_first_line``) are English.
    """
    from femstat.errors import ValidationError

    if isinstance(exc, ValidationError):
        cases = exc.failure_cases
        n = len(cases)
        if n:
            return _(
                "the victim table cannot be used: {n} problem(s), e.g. column {column} (check "
                "{check}); run 'femstat validate FILE' to see them all"
            ).format(
                n=i18n.format_integer(n),
                column=repr(cases["column"].iloc[0]),
                check=repr(cases["check"].iloc[0]),
            )
        return _(
            "the victim table cannot be used: {n} problem(s); run 'femstat validate FILE' to "
            "see them all"
        ).format(n=i18n.format_integer(n))
    if isinstance(exc, FileNotFoundError) and exc.filename:
        return _("no such file: {path}; {check}").format(path=exc.filename, check=_(_CHECK_PATH))
    if isinstance(exc, OSError) and exc.strerror and exc.filename:
        return f"{exc.strerror}: {exc.filename}"
    return _first_line(exc)


_USER_ERRORS: tuple[type[BaseException], ...] = (FemstatError, OSError)


# --------------------------------------------------------------------------- language
#
# The messages, the help and the report speak the language of --lang (before or after the
# command) or of the environment variable FEMSTAT_LANG, from the cli catalogue. The help
# texts are marked N_ and translated when shown, so that building the app reads no
# catalogue; the library's own messages stay English, and those of its sentences the
# command line knows (validation hints, click's usage errors) are translated whole.


def _is_english(tag: str) -> bool:
    # Plain English needs no locale data: Babel is not imported for it.
    return tag.strip().lower() == i18n.SOURCE_LANGUAGE


def _parse_language(tag: str) -> str:
    """The normalised language tag of ``--lang``; a usage error lists the languages."""
    if _is_english(tag):
        return i18n.SOURCE_LANGUAGE
    try:
        return i18n.normalise(tag)
    except i18n.LanguageError:
        raise typer.BadParameter(
            _(
                "'{tag}' is not a language femstat speaks; give one of {languages}, "
                "optionally with a region for number formats (es-MX, pt-BR)"
            ).format(
                tag=tag,
                languages=", ".join(f"{code} ({name})" for code, name in i18n.LANGUAGES.items()),
            )
        ) from None


def _check_language(value: str | None) -> str | None:
    return None if value is None else _parse_language(value)


def _requested_language(args: Sequence[str]) -> str | None:
    """The language of a run: the last ``--lang`` on the command line, else $FEMSTAT_LANG.

    Read before click parses the arguments, because the help texts and click's own
    errors are produced while parsing. A tag femstat cannot use gives English here; the
    option's check then reports it as a usage error. None: English (no locale data).
    """
    tag: str | None = None
    words = list(args)
    for i, word in enumerate(words):
        if word == "--":
            break
        if word == "--lang" and i + 1 < len(words):
            tag = words[i + 1]
        elif word.startswith("--lang="):
            tag = word.split("=", 1)[1]
    if tag is None:
        tag = os.environ.get(LANGUAGE_VARIABLE) or None
    if tag is None or _is_english(tag):
        return None
    try:
        return i18n.normalise(tag)
    except i18n.LanguageError:
        return None


def _without_language(args: Sequence[str]) -> list[str]:
    """The arguments without ``--lang TAG`` and ``--lang=TAG``."""
    out: list[str] = []
    skip = False
    for word in args:
        if skip:
            skip = False
        elif word == "--lang":
            skip = True
        elif not word.startswith("--lang="):
            out.append(word)
    return out


# click's usage errors, as click words them: the command line translates them whole (the
# reason a value was refused, from click or pydantic, stays English).
_USAGE_ERRORS: tuple[str, ...] = (
    N_("Missing command."),
    N_("Missing argument {name}."),
    N_("No such option: {option} (Possible options: {options})"),
    N_("No such option: {option}"),
    N_("No such command {command}. Did you mean {suggestions}?"),
    N_("No such command {command}."),
    N_("Got unexpected extra argument(s) ({arguments})"),
    N_("Option {option} requires an argument."),
    N_("Invalid value for {option}: {reason}"),
)


# The labels typer prints around the help texts (panel titles, "[default: ...]"), in the
# catalogue so that the whole help page speaks one language.
_HELP_LABELS: dict[str, str] = {
    "ARGUMENTS_PANEL_TITLE": N_("Arguments"),
    "OPTIONS_PANEL_TITLE": N_("Options"),
    "COMMANDS_PANEL_TITLE": N_("Commands"),
    "DEFAULT_STRING": N_("[default: {}]"),
    "REQUIRED_LONG_STRING": N_("[required]"),
}
_HELP_OPTION = N_("Show this message and exit.")


@contextmanager
def _translated_help(command: Any) -> Iterator[None]:
    """Show ``command``'s help in the language in use.

    The help texts are written in English in the source (marked ``N_``) and translated
    when the help is shown, so that building the app costs no catalogue and the
    language can come from the command line itself.
    """
    if i18n.current_language() == i18n.SOURCE_LANGUAGE:
        yield
        return
    from typer import rich_utils

    commands = getattr(command, "commands", {})
    for item in [command, *commands.values()]:
        if item.help:
            item.help = _(item.help)
        if item.short_help:
            item.short_help = _(item.short_help)
    for param in command.params:
        if getattr(param, "help", None):
            param.help = _(param.help)
    saved = {name: getattr(rich_utils, name) for name in _HELP_LABELS}
    try:
        for name, label in _HELP_LABELS.items():
            setattr(rich_utils, name, _(label))
        yield
    finally:
        for name, value in saved.items():
            setattr(rich_utils, name, value)


class _Argument(TyperArgument):
    """A positional argument shown by its name alone (``FILE``), without a type."""

    def display_type_rich(self, ctx: Any) -> str | None:
        return None


def _readable_params(params: list[Any]) -> list[Any]:
    """Parameters as the help shows them: a flag without ``<bool>``, an argument by name."""
    for param in params:
        if (
            param.param_type_name == "option"
            and getattr(param, "is_flag", False)
            and param.metavar is None
        ):
            param.metavar = ""
        if type(param) is TyperArgument:
            param.__class__ = _Argument
    return params


class _HelpMixin:
    """Help pages without typer's ``{file}`` and ``<bool>``, in the language in use."""

    def get_params(self, ctx: Any) -> list[Any]:
        params: list[Any] = super().get_params(ctx)  # type: ignore[misc]
        help_option = self.get_help_option(ctx)  # type: ignore[attr-defined]
        if help_option is not None:
            help_option.help = _(_HELP_OPTION)
        return _readable_params(params)

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        pieces = [_("[OPTIONS]")] if self.options_metavar else []  # type: ignore[attr-defined]
        for param in self.get_params(ctx):
            if param.param_type_name == "argument":
                name = param.metavar or (param.name or "").upper()
                pieces.append(name if param.required else f"[{name}]")
            else:
                pieces.extend(param.get_usage_pieces(ctx))
        return pieces

    def format_usage(self, ctx: Any, formatter: Any) -> None:
        pieces = self.collect_usage_pieces(ctx)
        formatter.write_usage(ctx.command_path, " ".join(pieces), _("Usage: "))

    def format_help(self, ctx: Any, formatter: Any) -> None:
        with _translated_help(self):
            super().format_help(ctx, formatter)  # type: ignore[misc]


class _FemstatCommand(_HelpMixin, TyperCommand):
    """A femstat command: readable, translated help."""


class _FemstatGroup(_HelpMixin, TyperGroup):
    """Runs a command and turns every user mistake into one line and exit code 2.

    click's own usage errors (an unknown option, a bad choice) are reported the same way,
    instead of click's multi-line usage box, so that scripts can rely on one line. The
    whole run speaks the language of ``--lang`` (or ``FEMSTAT_LANG``).
    """

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        return [*super().collect_usage_pieces(ctx), _("COMMAND [ARGS]...")]

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        args = list(sys.argv[1:] if args is None else args)
        if args and args[-1] != "--lang" and not _without_language(args):
            # ``femstat --lang es`` alone: the help, as ``femstat`` alone gives it.
            args.append("--help")
        with i18n.language(_requested_language(args)):
            code = self._run(args, prog_name, complete_var, windows_expand_args, **extra)
        if standalone_mode:
            sys.exit(code)
        return code

    def _run(
        self,
        args: list[str],
        prog_name: str | None,
        complete_var: str | None,
        windows_expand_args: bool,
        **extra: Any,
    ) -> int:
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
            _error(
                _("{message} (see '{command} --help')").format(
                    message=_in_language(exc.format_message(), _USAGE_ERRORS), command=where
                )
            )
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
            _error(_("stopped: input ended unexpectedly"))
            code = ExitCode.USER_ERROR
        except _USER_ERRORS as exc:
            _error(_describe(exc))
            code = ExitCode.USER_ERROR
        except Exception as exc:
            if os.environ.get("FEMSTAT_TRACEBACK"):
                raise
            # The exception's text is not shown: it may quote a cell of the input.
            _error(
                _(
                    "internal error ({error}); please report it with the command you ran "
                    "(set FEMSTAT_TRACEBACK=1 to see the details)"
                ).format(error=type(exc).__name__)
            )
            code = ExitCode.INTERNAL_ERROR
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
            raise _UserError(
                _("input ended unexpectedly: {reason}").format(reason=_first_line(exc))
            ) from None
        except KeyboardInterrupt:
            # typer would exit with code 130 without a word.
            _error(_("interrupted; an output being written may be incomplete"))
            raise typer.Exit(ExitCode.INTERRUPTED) from None


app = typer.Typer(
    name="femstat",
    help=N_("Femicide statistics by the UN statistical framework (2022)."),
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


_LANG_HELP = N_(
    "Language of the messages, the help and the report: en, es, fr or pt, optionally with "
    "a region for number formats (es-MX, pt-BR). Default: the FEMSTAT_LANG environment "
    "variable, else English."
)

LangOption = Annotated[
    str | None,
    typer.Option(
        "--lang",
        metavar="LANG",
        help=_LANG_HELP,
        callback=_check_language,
        show_default=False,
    ),
]


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            help=N_("Print femstat's version and exit."),
            callback=_print_version,
            is_eager=True,
        ),
    ] = False,
    lang: Annotated[
        str | None,
        typer.Option(
            "--lang",
            metavar="LANG",
            envvar=LANGUAGE_VARIABLE,
            show_envvar=False,
            help=_LANG_HELP,
            callback=_check_language,
        ),
    ] = None,
) -> None:
    # Femicide statistics by the UN statistical framework (2022): the group's help is
    # the app's (translated when shown).
    pass


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
        raise _UserError(_("no such file: {path}; {check}").format(path=path, check=_(_CHECK_PATH)))
    if path.is_dir():
        raise _UserError(_("{path} is a folder, not a file").format(path=path))


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
            names = (
                _("--encoding and --delimiter")
                if len(given) == 2
                else ("--encoding" if "encoding" in given else "--delimiter")
            )
            raise _UserError(
                _("{options} apply to CSV files only, and {name} is not one").format(
                    options=names, name=path.name
                )
            )
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
        raise _UserError(
            _("cannot read {name}: {reason}").format(name=path.name, reason=reason)
        ) from None


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

    step(_("reading and validating"))
    clean, _report = _read_victims(file, mapping, reading)
    step(_("classifying"))
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
            message = (
                _(
                    "{file}: column {column} holds {n} value(s) that are not whole numbers "
                    "({where}); correct them or leave the cells empty"
                )
                if column == "year"
                else _(
                    "{file}: column {column} holds {n} value(s) that are not numbers "
                    "({where}); correct them or leave the cells empty"
                )
            )
            raise fs.PopulationError(
                message.format(
                    file=path.name,
                    column=repr(column),
                    n=i18n.format_integer(bad.sum()),
                    where=_where_text(where),
                )
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


def _where_text(where: RowNumbers, positions: Iterable[int] | None = None) -> str:
    """``"lines 3, 7"`` in the language in use: the numbers of these positions (or all)."""
    shown = list(where.numbers if positions is None else map(where.of, positions))
    numbers = ", ".join(map(str, shown))
    if where.unit == "line":
        text = _n("line {numbers}", "lines {numbers}", len(shown))
    elif where.unit == "row":
        text = _n("row {numbers}", "rows {numbers}", len(shown))
    else:
        text = _n("record {numbers}", "records {numbers}", len(shown))
    return text.format(numbers=numbers)


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
                _(
                    "--level: {value} is not a confidence level between 0 and 1; "
                    "give e.g. --level 0.95 or --level 0.95,0.998"
                ).format(value=repr(part))
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
            _(
                "--max-decompressed: {value} is not a size; give e.g. 500MB, 4GiB or a number "
                "of bytes"
            ).format(value=repr(text))
        )
    return size


def _parse_delimiter(text: str | None) -> str | None:
    if text is None:
        return None
    named = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}
    value = named.get(text.lower(), text)
    if len(value) != 1:
        raise _UserError(
            _("--delimiter: give one character (',', ';', '|') or 'tab', not {value}").format(
                value=repr(text)
            )
        )
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
                    _(
                        "the output {output} would replace the input file {name}; "
                        "femstat never overwrites its input, even with --force: write to "
                        "another path"
                    ).format(output=target, name=source.name)
                )
        if target.is_dir():
            raise _UserError(
                _("the output {output} is a folder; give a file name").format(output=target)
            )
    existing = [t for t in targets if t.exists()]
    if existing and not force:
        raise _UserError(
            _(
                "{output} exists already; pass --force to replace it, or choose another output"
            ).format(output=existing[0])
        )


def _export_targets(output: Path, fmt: str) -> list[Path]:
    """The files ``femstat.exports.export`` writes for ``output``: CSV has a sidecar."""
    from femstat.exports import sidecar_path

    return [output, sidecar_path(output)] if fmt in ("csv", "unodc") else [output]


def _check_report_folder(out_dir: Path, inputs: Sequence[Path | None], *, force: bool) -> None:
    """The report's folder: never where an input lies, not an existing folder's content
    unless --force (then only the report's own files in it are replaced)."""
    if out_dir.exists() and not out_dir.is_dir():
        raise _UserError(
            _("the output {output} is a file, not a folder; give a folder name").format(
                output=out_dir
            )
        )
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
                _(
                    "the report folder {folder} is where the input file {name} lies, "
                    "and the report would replace it; femstat never overwrites its input, even "
                    "with --force: choose another folder"
                ).format(folder=out_dir, name=source.name)
            )
    if out_dir.is_dir() and any(out_dir.iterdir()) and not force:
        raise _UserError(
            _(
                "the folder {folder} is not empty; pass --force to write the report into it "
                "(its report.html, report.md, charts and tables/ are replaced), or choose "
                "another folder"
            ).format(folder=out_dir)
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
    task = progress.add_task(_("starting"), total=total)
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

    rows = {str(r["femicide_type"]): r for _i, r in summary.iterrows()}
    table = Table(title=title, title_justify="left")
    table.add_column(_("femicide type"))
    table.add_column(_("victims"), justify="right")
    table.add_column(_("share of female homicide"), justify="right")

    def cells(name: str) -> tuple[str, str]:
        row = rows[name]
        if pd.isna(row["count"]):
            return escape("[c]"), escape("[c]")
        share = row["share"]
        return i18n.format_integer(row["count"]), "" if pd.isna(share) else _percent(share)

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
        caption = _("[c]: withheld. {protection}").format(protection=caption)
    table.caption = escape(caption)
    return table


def _percent(share: float) -> str:
    """A share as a percentage: ``12.3 %`` in English (as before), the locale's form else."""
    if i18n.current_language() == i18n.SOURCE_LANGUAGE:
        return f"{100 * share:.1f} %"
    return i18n.format_percent(share, 1)


def _fixed(value: float, decimals: int) -> str:
    """A number with fixed decimals; English keeps Python's form (no grouping)."""
    if i18n.current_language() == i18n.SOURCE_LANGUAGE:
        return f"{value:.{decimals}f}"
    return i18n.format_decimal(value, decimals)


def _protection_text(table: pd.DataFrame, min_count: int) -> str:
    """What disclosure control a published table went through, in one sentence."""
    if min_count == 1:
        return _("--min-count 1: every count published, without disclosure control.")
    protection = table.attrs.get("protection", {})
    secondary = int(protection.get("n_secondary", 0)) if isinstance(protection, dict) else 0
    if secondary:
        return _(
            "Counts from 1 to {largest} suppressed, and {n} more withheld so that they cannot "
            "be worked out."
        ).format(largest=i18n.format_integer(min_count - 1), n=i18n.format_integer(secondary))
    return _("Counts from 1 to {largest} suppressed.").format(
        largest=i18n.format_integer(min_count - 1)
    )


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
    hint = _PYTHON_MAPPING.sub(
        lambda m: (
            f"a mapping file (--mapping) with [columns.{m['column']}] unknown = [{m['values']}]"
        ),
        hint,
    )
    return _in_language(hint, _HINTS)


# The library's hints as the command line words them (after _command_line_hint's
# replacements), with the parts that vary as fields: the command line translates a hint
# it knows whole, and shows one it does not know in English, as the library wrote it.
_HINTS: tuple[str, ...] = (
    N_(
        "What to do: recode these values to femstat's codes ('femstat schema' lists them), or "
        "describe your coding with a mapping (a TOML file given with --mapping); if a value "
        "means 'not known', say so, e.g. a mapping file (--mapping) with {mapping}; the table "
        "above lists every case."
    ),
    N_(
        "What to do: give ages as whole years in {span}, leaving a cell empty when it is not "
        "known; if a value is a code for 'not known' (such as 999), say so with a mapping, "
        "e.g. a mapping file (--mapping) with {mapping}; the table above lists every case."
    ),
    N_(
        "What to do: give years as whole numbers in {span}, leaving a cell empty when it is "
        "not known; if a value is a code for 'not known' (such as 999), say so with a mapping, "
        "e.g. a mapping file (--mapping) with {mapping}; the table above lists every case."
    ),
    N_(
        "What to do: give the number of children under 18 the victim left as a whole number "
        "in {span}, leaving a cell empty when it is not known; if a value is a code for 'not "
        "known' (such as 99), say so with a mapping, e.g. a mapping file (--mapping) with "
        "{mapping}; the table above lists every case."
    ),
    N_(
        "What to do: read iccs_code as text so that codes keep their leading zeros (femstat "
        "reads it as text; in a spreadsheet, format the column as text) and correct the codes "
        "that are not ICCS codes, or recode them with a mapping; the table above lists every "
        "case."
    ),
    N_(
        "What to do: write dates as YYYY-MM-DD or YYYYMMDD, or convert the column in the "
        "source; the table above lists every case."
    ),
    N_(
        "What to do: add or rename the missing column(s) {columns}; the victim table needs "
        "victim_sex, victim_age, relationship and year or date."
    ),
    N_(
        "What to do: pass a table with at least one record; check the file, sheet or filter "
        "that produced it."
    ),
    N_(
        "What to do: give every record its own {column} and remove records entered twice; the "
        "rows are in the table above (values of identifying columns are never shown)."
    ),
    N_("What to do: give every column a single, unique name (drop or rename the repeated ones)."),
    N_(
        "What to do: hold one value per cell (one row per victim, one column per variable); "
        "expand or drop the cells that hold lists, dicts or sets."
    ),
    N_("What to do: the table above lists every case."),
)

# The first line of a validation error, as the library words it.
_VALIDATION_HEADLINES: tuple[str, ...] = (
    N_("femstat cannot use this victim table ({rows} rows): {n} problem(s)"),
    N_("femstat cannot use this victim table ({rows} rows): {n} problem(s) (list truncated)"),
)

_NUMBER_FIELDS = frozenset({"rows", "n"})


@cache
def _template_pattern(template: str) -> re.Pattern[str]:
    pattern = re.sub(r"\\\{(\w+)\\\}", lambda m: f"(?P<{m[1]}>.+?)", re.escape(template))
    return re.compile(pattern, re.DOTALL)


def _in_language(text: str, templates: Sequence[str]) -> str:
    """``text``, an English sentence of the library, in the language in use.

    The sentence is matched against ``templates`` (English, with ``{fields}``); the
    matching template is translated and its fields filled with the parts of ``text``,
    counts in the locale's digits. A sentence no template matches stays English.
    """
    if i18n.current_language() == i18n.SOURCE_LANGUAGE:
        return text
    for template in templates:
        found = _template_pattern(template).fullmatch(text)
        if found is None:
            continue
        fields = found.groupdict()
        for name in _NUMBER_FIELDS & fields.keys():
            digits = fields[name].replace(",", "")
            if digits.isdigit():
                fields[name] = i18n.format_integer(int(digits))
        return _(template).format(**fields)
    return text


def _print_validation(
    result: ValidationReport, file: Path | None = None, reading: _Reading = _DEFAULT_READING
) -> None:
    """The validation summary (``str(result)`` in English), framed in the language in use.

    The assumptions and the warnings' details are the library's words, in English. Then
    where in the file the records its warnings name lie.
    """
    lines = [
        _("femstat validation: {n} rows").format(n=i18n.format_integer(result.n_rows)),
    ]
    if result.coerced_columns:
        lines.append(
            _("  coerced to canonical form: {columns}").format(
                columns=", ".join(result.coerced_columns)
            )
        )
    if result.added_columns:
        lines.append(
            _("  absent, added as unknown: {columns}").format(
                columns=", ".join(result.added_columns)
            )
        )
    for assumption in result.assumptions:
        lines.append(_("  assumed: {assumption}").format(assumption=assumption))
    if result.warnings.empty:
        lines.append(_("  no data-quality warnings"))
    for w in result.warnings.itertuples(index=False):
        lines.append(
            _("  warning [{check}] {column}: {n} rows — {detail}").format(
                check=w.check, column=w.column, n=i18n.format_integer(w.n_rows), detail=w.detail
            )
        )
    console.print("\n".join(lines), markup=False, highlight=False)
    warned = [r for r in result.warnings.to_dict("records") if list(r.get("rows") or [])]
    if not warned:
        return
    where = _where(file, [row for r in warned for row in r["rows"]], reading)
    for record in warned:
        more = ", …" if int(record["n_rows"]) > len(record["rows"]) else ""
        console.print(
            _("  where [{check}]: {rows}").format(
                check=record["check"], rows=_where_text(where, record["rows"]) + more
            ),
            markup=False,
            highlight=False,
        )


def _failure_table(failure_cases: pd.DataFrame, where: RowNumbers | None = None) -> Table:
    """The failure cases; ``where`` numbers their rows as in the file (else from 1)."""
    import pandas as pd

    from femstat.sources.rows import record_numbers

    if where is None:
        where = record_numbers({int(r) for rows in failure_cases["rows"] for r in (rows or [])})

    table = Table(title=_("Problems found"), title_justify="left")
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


# The failure table's headers the command line translates (its row columns are left as
# the table words them).
_FAILURE_HEADERS: dict[str, str] = {
    "column": N_("column"),
    "check": N_("check"),
    "value": N_("value"),
    "rows": N_("rows"),
    "first lines in the file": N_("first lines in the file"),
    "first rows in the sheet (header = row 1)": N_("first rows in the sheet (header = row 1)"),
    "first records (counted from 1)": N_("first records (counted from 1)"),
}


def _translated_headers(table: Table) -> Table:
    for column in table.columns:
        header = str(column.header)
        if header in _FAILURE_HEADERS:
            column.header = _(_FAILURE_HEADERS[header])
    return table


# --------------------------------------------------------------------------- commands

FileArgument = Annotated[
    Path,
    typer.Argument(
        metavar="FILE",
        help=N_("Victim microdata: CSV (also .csv.gz), Parquet, Excel, SPSS or Stata."),
    ),
]
MappingOption = Annotated[
    Path | None,
    typer.Option(
        "--mapping",
        "-m",
        metavar="FILE",
        help=N_("A TOML (or YAML) mapping of the source's columns and codes to femstat's."),
    ),
]
LevelOption = Annotated[
    str,
    typer.Option(
        "--level",
        metavar="LEVELS",
        help=N_("Confidence level(s), comma-separated; the first is the main one."),
    ),
]
MinCountOption = Annotated[
    int,
    typer.Option(
        "--min-count",
        metavar="N",
        min=1,
        help=N_(
            "Suppression threshold: counts from 1 to N-1 are withheld, with the "
            "shares and rates derived from them (1 publishes every count)."
        ),
    ),
]
EncodingOption = Annotated[
    str | None,
    typer.Option(
        "--encoding",
        metavar="ENCODING",
        help=N_(
            "Text encoding of CSV input (e.g. cp1252, latin-1). Default UTF-8 (with or "
            "without byte-order mark; UTF-16 with one); a file that is not valid UTF-8 is an "
            "error, never guessed."
        ),
    ),
]
DelimiterOption = Annotated[
    str | None,
    typer.Option(
        "--delimiter",
        metavar="CHAR",
        help=N_(
            "Delimiter of CSV input: one character or 'tab'. Default: whichever of , ; "
            "tab | the header line holds most."
        ),
    ),
]
MaxDecompressedOption = Annotated[
    str | None,
    typer.Option(
        "--max-decompressed",
        metavar="SIZE",
        help=N_(
            "Most a compressed input (.gz, .zip, .bz2, .xz) may expand to, e.g. 2GiB. "
            "Default: 100 times its compressed size, at least 64 MiB."
        ),
    ),
]
ForceOption = Annotated[
    bool,
    typer.Option(
        "--force",
        help=N_("Replace output files that exist already. An input file is never replaced."),
    ),
]
MinReliableOption = Annotated[
    int,
    typer.Option(
        "--min-reliable",
        metavar="N",
        min=1,
        help=N_("Shares and rates from fewer victims are flagged unreliable."),
    ),
]


@app.command(
    cls=_FemstatCommand,
    help=N_("Check a victim file against the framework's variables; exit 1 when it has errors."),
)
def validate(
    file: FileArgument,
    mapping: MappingOption = None,
    encoding: EncodingOption = None,
    delimiter: DelimiterOption = None,
    max_decompressed: MaxDecompressedOption = None,
    lang: LangOption = None,
) -> None:
    import femstat as fs

    reading = _Reading(encoding, _parse_delimiter(delimiter), _parse_size(max_decompressed))
    try:
        with _progress(1) as step:
            step(_("validating"))
            _clean, result = _read_victims(file, mapping, reading)
    except fs.ValidationError as exc:
        console.print(
            _in_language(_first_line(exc), _VALIDATION_HEADLINES), markup=False, highlight=False
        )
        cases = exc.failure_cases
        positions = [r for rows in cases["rows"] for r in (rows or [])]
        console.print(_translated_headers(_failure_table(cases, _where(file, positions, reading))))
        hint = str(exc).strip().splitlines()[-1]
        if hint.startswith("What to do"):
            console.print(_command_line_hint(hint), markup=False, highlight=False)
        raise typer.Exit(ExitCode.PROBLEMS_FOUND) from None
    _print_validation(result, file, reading)
    console.print(_("femstat: the file can be used."), markup=False, highlight=False)


@app.command(
    cls=_FemstatCommand,
    help=N_(
        "Classify every victim record by the femicide typology and write the records.\n"
        "\n"
        "The output holds the input's columns in canonical form plus femicide_type and\n"
        "criteria_met (the criteria found true, separated by ';'). It is microdata: keep it as\n"
        "confidential as the input. An existing output is replaced only with --force; the\n"
        "input never."
    ),
)
def classify(
    file: FileArgument,
    output: Annotated[
        Path,
        typer.Option(
            "--output",
            "-o",
            metavar="FILE",
            help=N_("Where to write the classified records: .csv, .xlsx or .parquet."),
        ),
    ],
    mapping: MappingOption = None,
    min_count: MinCountOption = 5,
    encoding: EncodingOption = None,
    delimiter: DelimiterOption = None,
    max_decompressed: MaxDecompressedOption = None,
    force: ForceOption = False,
    lang: LangOption = None,
) -> None:
    import femstat as fs
    from femstat.exports import export, format_of

    reading = _Reading(encoding, _parse_delimiter(delimiter), _parse_size(max_decompressed))
    fmt = format_of(output)
    if fmt in ("sdmx", "unodc"):
        raise _UserError(_("classify writes victim records; use .csv, .xlsx or .parquet"))
    _check_outputs(_export_targets(output, fmt), [file, mapping], force=force)
    with _progress(3) as step:
        typed = _classified(file, mapping, step, reading)
        step(_("writing"))
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
    console.print(
        _("Wrote {output}").format(output=output), markup=False, highlight=False, soft_wrap=True
    )


@app.command(
    cls=_FemstatCommand,
    help=N_(
        "Compute counts, shares and rates with confidence intervals per group.\n"
        "\n"
        "Published tables are protected: counts below --min-count are suppressed, with what\n"
        "derives from them, and the cells that would let a reader work them out by subtraction\n"
        "(secondary suppression); --min-count 1 publishes every count.\n"
        "An existing output is replaced only with --force; an input file never.\n"
        "--encoding and --delimiter apply to the victim and population files alike."
    ),
)
def indicators(
    file: FileArgument,
    by: Annotated[
        str,
        typer.Option(
            "--by",
            metavar="COLUMNS",
            help=N_("Breakdown columns, comma-separated (e.g. year,area,age_group); '' for none."),
        ),
    ] = "year",
    population: Annotated[
        Path | None,
        typer.Option(
            "--population",
            "-p",
            metavar="FILE",
            help=N_(
                "Female population (column 'population') keyed by the breakdown's columns "
                "(CSV, Excel or Parquet); extra keys are summed over. Gives rates."
            ),
        ),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            metavar="FILE",
            help=N_(
                "Output file: .csv (with a .metadata.json sidecar), .xlsx, .parquet, "
                ".sdmx.csv or .unodc.csv (UNODC's data portal layout: female victims by age, "
                "relationship and mechanism, by year). Without it, the table is printed."
            ),
        ),
    ] = None,
    format: Annotated[
        OutputFormat | None,
        typer.Option(
            "--format",
            "-f",
            metavar="[csv|excel|parquet|sdmx|unodc]",
            help=N_("Output format, overriding the extension."),
        ),
    ] = None,
    level: LevelOption = "0.95",
    min_count: MinCountOption = 5,
    min_reliable: MinReliableOption = 20,
    share_method: Annotated[
        ShareMethod,
        typer.Option(
            "--share-method", metavar="[wilson|clopper-pearson]", help=N_("Interval of shares.")
        ),
    ] = ShareMethod.wilson,
    rate_method: Annotated[
        RateMethod,
        typer.Option("--rate-method", metavar="[exact|byar]", help=N_("Interval of rates.")),
    ] = RateMethod.exact,
    standard: Annotated[
        Standard | None,
        typer.Option(
            "--standard",
            metavar="[esp2013|who2000|segi1960]",
            help=N_(
                "Write age-standardised rates (direct method) against this standard instead "
                "of the indicator table; the population needs age_group in its five-year bands."
            ),
        ),
    ] = None,
    of: Annotated[
        str,
        typer.Option(
            "--of", metavar="TYPE", help=N_("With --standard: what to count (e.g. femicide).")
        ),
    ] = "femicide",
    ref_area: Annotated[
        str | None,
        typer.Option(
            "--ref-area",
            metavar="CODE",
            help=N_(
                "SDMX-CSV REF_AREA when the table has no area column; the Iso3_code of "
                "UNODC's layout."
            ),
        ),
    ] = None,
    mapping: MappingOption = None,
    encoding: EncodingOption = None,
    delimiter: DelimiterOption = None,
    max_decompressed: MaxDecompressedOption = None,
    force: ForceOption = False,
    lang: LangOption = None,
) -> None:
    import femstat as fs
    from femstat.exports import export, format_of

    levels = _parse_levels(level)
    columns = _parse_by(by)
    reading = _Reading(encoding, _parse_delimiter(delimiter), _parse_size(max_decompressed))
    fmt = format_of(output, format.value if format else None) if output is not None else None
    if ref_area is not None and fmt not in ("sdmx", "unodc"):
        raise _UserError(
            _(
                "--ref-area applies to SDMX-CSV output only (-o table.sdmx.csv), and to "
                "UNODC's layout as its Iso3_code (-o table.unodc.csv)"
            )
        )
    if fmt == "unodc":
        if standard is not None:
            raise _UserError(
                _("--standard writes standardised rates, which UNODC's layout has not")
            )
        if columns != ["year"]:
            raise _UserError(
                _(
                    "UNODC's layout has one row per country and year, not a breakdown by "
                    "{columns}: use --by year (the default)"
                ).format(columns=columns)
            )
    if output is not None and fmt is not None:
        _check_outputs(_export_targets(output, fmt), [file, population, mapping], force=force)
    pop_table = _read_population(population, reading) if population is not None else None
    with _progress(4) as step:
        typed = _classified(file, mapping, step, reading)
        step(_("computing indicators"))
        if fmt == "unodc" and output is not None:
            step(_("writing"))
            _write_unodc(typed, output, file, population, pop_table, columns, ref_area, min_count)
            table = None
        elif standard is not None:
            if pop_table is None:
                raise _UserError(_("--standard needs --population (by age_group)"))
            pop = _population_by(
                pop_table,
                [*columns, "age_group"],
                _("age-standardised rates need the population by age_group and the breakdown"),
            )
            table = fs.age_standardised_rates(
                typed, by=columns, population=pop, standard=standard.value, of=of, level=levels
            )
            table = fs.suppress(table, min_count)
        else:
            pop = None
            if pop_table is not None:
                pop = _population_by(
                    pop_table,
                    columns,
                    _("give it by {columns} or drop them from --by").format(columns=columns),
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
            step(_("writing"))
        if output is not None and table is not None:
            extra = {"source": file.name}
            if population is not None:
                extra["population_source"] = population.name
            options = {"ref_area": ref_area} if fmt == "sdmx" else {}
            export(table, output, fmt, metadata=extra, min_count=min_count, **options)
    if table is None:
        console.print(
            _(
                "Wrote {output} in UNODC's layout (female victims by age, relationship and "
                "mechanism; counts from 1 to {largest} hidden with their complements)."
            ).format(output=output, largest=i18n.format_integer(min_count - 1)),
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
    elif output is None:
        console.print(_indicator_table(table, columns))
        console.print(_protection_text(table, min_count), markup=False, highlight=False)
    else:
        console.print(
            _("Wrote {output} ({n} rows). {protection}").format(
                output=output,
                n=i18n.format_integer(len(table)),
                protection=_protection_text(table, min_count),
            ),
            markup=False,
            highlight=False,
            soft_wrap=True,
        )


@app.command(
    cls=_FemstatCommand,
    help=N_(
        "Compare rates between groups: rate ratios with exact intervals and p-values.\n"
        "\n"
        "Each group's rate is divided by the reference group's, with the exact conditional\n"
        "interval and p-value of R's poisson.test; shares of female homicide are compared as\n"
        "differences (Newcombe). Counts below --min-count are withheld with every comparison\n"
        "made from them."
    ),
)
def compare(
    file: FileArgument,
    by: Annotated[
        str,
        typer.Option(
            "--by",
            metavar="COLUMNS",
            help=N_("The column whose groups are compared, e.g. area or year."),
        ),
    ],
    population: Annotated[
        Path,
        typer.Option(
            "--population",
            "-p",
            metavar="FILE",
            help=N_("Female population (column 'population') keyed by --by (and --within)."),
        ),
    ],
    reference: Annotated[
        str | None,
        typer.Option(
            "--reference",
            metavar="GROUP",
            help=N_(
                "The group the others are compared with (default: the first); 'previous' "
                "compares each group with the one before (year on year)."
            ),
        ),
    ] = None,
    within: Annotated[
        str,
        typer.Option(
            "--within",
            metavar="COLUMNS",
            help=N_("Compare within each group of these columns (e.g. year)."),
        ),
    ] = "",
    of: Annotated[
        str,
        typer.Option(
            "--of", metavar="TYPE", help=N_("What to count (femicide, partner_or_family, ...).")
        ),
    ] = "femicide",
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", metavar="FILE", help=N_("Output file (.csv, .xlsx, .parquet).")
        ),
    ] = None,
    level: LevelOption = "0.95",
    min_count: MinCountOption = 5,
    standard: Annotated[
        Standard | None,
        typer.Option(
            "--standard",
            metavar="[esp2013|who2000|segi1960]",
            help=N_(
                "Also compare age-standardised rates (population by age_group in the "
                "standard's five-year bands)."
            ),
        ),
    ] = None,
    mapping: MappingOption = None,
    encoding: EncodingOption = None,
    delimiter: DelimiterOption = None,
    max_decompressed: MaxDecompressedOption = None,
    force: ForceOption = False,
    lang: LangOption = None,
) -> None:
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
        step(_("comparing"))
        keys = [by, *within_columns] + (["age_group"] if standard is not None else [])
        pop = _population_by(pop_table, keys, _("give it by {columns}").format(columns=keys))
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
        step(_("writing"))
        if output is not None:
            export(table, output, fmt, metadata={"source": file.name}, min_count=min_count)
    if output is None:
        console.print(_comparison_table(table, [*within_columns, by]))
    else:
        console.print(
            _("Wrote {output} ({n} rows)").format(output=output, n=i18n.format_integer(len(table))),
            markup=False,
            highlight=False,
        )
    hidden = int(table["suppressed"].sum())
    if hidden:
        console.print(
            _("{n} comparison(s) withheld: a count below {min_count}.").format(
                n=i18n.format_integer(hidden), min_count=i18n.format_integer(min_count)
            ),
            markup=False,
            highlight=False,
        )


class EstimateMethod(StrEnum):
    impute = "impute"
    allocate = "allocate"


@app.command(
    cls=_FemstatCommand,
    help=N_(
        "Estimate femicides with their uncertainty, the undetermined victims included.\n"
        "\n"
        "Between the lower bound (identified femicides) and the upper bound (plus every\n"
        "undetermined victim), the estimate fills in the unknown relationships and criteria by\n"
        "multiple imputation (or proportional allocation) and gives an interval. Published as\n"
        "the other tables: a group whose count is withheld (below --min-count, or to protect\n"
        "one) has its estimate withheld too."
    ),
)
def estimate(
    file: FileArgument,
    by: Annotated[
        str,
        typer.Option(
            "--by", metavar="COLUMNS", help=N_("Breakdown columns, comma-separated; '' for none.")
        ),
    ] = "year",
    population: Annotated[
        Path | None,
        typer.Option(
            "--population",
            "-p",
            metavar="FILE",
            help=N_("Female population keyed by --by: adds rates."),
        ),
    ] = None,
    method: Annotated[
        EstimateMethod,
        typer.Option(
            "--method",
            metavar="[impute|allocate]",
            help=N_(
                "impute: multiple imputation; allocate: proportional allocation of the "
                "undetermined within the groups."
            ),
        ),
    ] = EstimateMethod.impute,
    imputations: Annotated[
        int,
        typer.Option("--imputations", metavar="N", min=2, help=N_("Number of imputations.")),
    ] = 50,
    seed: Annotated[
        int,
        typer.Option(
            "--seed", metavar="N", help=N_("Seed of the imputations (same seed, same numbers).")
        ),
    ] = 2022,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", metavar="FILE", help=N_("Output file (.csv, .xlsx, .parquet).")
        ),
    ] = None,
    level: LevelOption = "0.95",
    min_count: MinCountOption = 5,
    mapping: MappingOption = None,
    encoding: EncodingOption = None,
    delimiter: DelimiterOption = None,
    max_decompressed: MaxDecompressedOption = None,
    force: ForceOption = False,
    lang: LangOption = None,
) -> None:
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
            pop = _population_by(
                pop_table, columns, _("give it by {columns} or drop them").format(columns=columns)
            )
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
            step(_("reading, validating and classifying in batches"))
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
            step(_("estimating"))
            cube, _report = _guarded(
                file,
                lambda: counts_from_file(file, columns, mapping=mapping, report=True, **options),
            )
            indicators = fs.indicators(cube, by=columns)
        else:
            typed = _classified(file, mapping, step, reading)
            step(_("estimating"))
            table = fs.estimate(
                typed, by=columns or None, population=pop, progress=False, **settings
            )
            indicators = fs.indicators(typed, by=columns)
        # The bounds are the counts of an indicator table: published as that table would be.
        counts = _protected(indicators, min_count)
        kinds = ("femicide", "partner_or_family", "female_homicide")
        table = withhold_estimates(table, withheld_cells({"counts": counts}), columns, kinds)
        step(_("writing"))
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
        console.print(
            _("Wrote {output} ({n} rows)").format(output=output, n=i18n.format_integer(len(table))),
            markup=False,
            highlight=False,
        )
    how = (
        _("Multiple imputation, m = {m}, seed {seed}").format(m=imputations, seed=seed)
        if method is EstimateMethod.impute
        else _("Proportional allocation")
    )
    console.print(
        _("{method}; {protection}").format(
            method=how, protection=_protection_text(counts, min_count)
        ),
        markup=False,
        highlight=False,
    )


_ONE_LEVEL = {
    "estimates": N_("--level: give one confidence level for estimates"),
    "comparisons": N_("--level: give one confidence level for comparisons"),
}
_ONE_TABLE_FORMATS = {
    "estimates": N_(
        "estimates are written as .csv, .xlsx or .parquet, not SDMX-CSV or UNODC's layout"
    ),
    "comparisons": N_(
        "comparisons are written as .csv, .xlsx or .parquet, not SDMX-CSV or UNODC's layout"
    ),
}


def _one_table_output(
    level: str, output: Path | None, what: str, inputs: list[Path | None], *, force: bool
) -> tuple[float, ExportFormat | None]:
    """The one confidence level and the output format of a command writing one table."""
    from femstat.exports import format_of

    levels = _parse_levels(level)
    if len(levels) != 1:
        raise _UserError(_(_ONE_LEVEL[what]))
    fmt = format_of(output) if output is not None else None
    if fmt in ("sdmx", "unodc"):
        raise _UserError(_(_ONE_TABLE_FORMATS[what]))
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
    for _i, row in table[list(shown)].iterrows():
        cells = []
        for column in shown:
            value = row[column]
            if pd.isna(value):
                hidden = column == "count" or not hidden_counts_only
                cells.append(escape("[c]") if hidden else "")
            elif column == "share":
                cells.append(_percent(value))
            elif column == "count":
                cells.append(i18n.format_integer(value))
            elif column in whole:
                cells.append(i18n.format_decimal(value, 0))
            elif isinstance(value, float):
                cells.append(_fixed(value, 3))
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
        pop = _population_by(
            pop_table, keys, _("give it by {columns} or drop --population").format(columns=columns)
        )
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
        raise fs.PopulationError(
            _("the population has no column(s) {missing}; {what_to_do}").format(
                missing=missing, what_to_do=what_to_do
            )
        )
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
        raise _UserError(_("--rules is empty; give rule set names or .toml files, comma-separated"))
    out: list[RuleSet] = []
    for item in items:
        if item.lower().endswith(".toml"):
            path = Path(item)
            _check_exists(path)
            out.append(fs.RuleSet.from_toml(path))
        else:
            out.append(fs.rule_set(item))
    return out


@app.command(
    cls=_FemstatCommand,
    help=N_(
        "Write the femicide report (HTML with charts, and Markdown) to a folder.\n"
        "\n"
        "Without FILE, the report is built from femstat's bundled synthetic example data and\n"
        "its population. Published tables are protected: counts below --min-count are withheld\n"
        "with the cells that would reveal them (--min-count 1 publishes everything). "
        "A folder that is\n"
        "not empty (an earlier report, say) is written into only with --force, which replaces\n"
        "the report's own files there; a folder where an input file would be replaced is\n"
        "always refused."
    ),
)
def report(
    file: Annotated[
        Path | None,
        typer.Argument(
            metavar="FILE", help=N_("Victim microdata; omit it for the bundled example data.")
        ),
    ] = None,
    output: Annotated[
        Path,
        typer.Option("--output", "-o", metavar="FOLDER", help=N_("Folder to write the report to.")),
    ] = Path("femstat-report"),
    population: Annotated[
        Path | None,
        typer.Option(
            "--population",
            "-p",
            metavar="FILE",
            help=N_(
                "Female population by year (and area, age_group) for rates; with no FILE, "
                "the example population."
            ),
        ),
    ] = None,
    level: LevelOption = "0.95",
    min_count: MinCountOption = 5,
    min_reliable: MinReliableOption = 20,
    standard: Annotated[
        Standard,
        typer.Option(
            "--standard",
            metavar="[esp2013|who2000|segi1960]",
            help=N_("Standard population for age-standardised rates."),
        ),
    ] = Standard.esp2013,
    title: Annotated[
        str | None,
        typer.Option(
            "--title",
            metavar="TEXT",
            help=N_("Title of the report. Default: 'Femicide statistics report', translated."),
        ),
    ] = None,
    imputations: Annotated[
        int,
        typer.Option(
            "--imputations",
            metavar="N",
            min=0,
            help=N_("Imputations of the estimates with uncertainty (0 leaves them out)."),
        ),
    ] = 20,
    seed: Annotated[
        int,
        typer.Option(
            "--seed", metavar="N", help=N_("Seed of the imputations (same seed, same report).")
        ),
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
            metavar="RULES",
            help=N_(
                "National rule sets counted beside the UN one, comma-separated: names "
                "femstat ships (MEX_CPF_325, ARG_CP_80, ESP_DGVG_2022, BRA_CP_121A, "
                "ECU_COIP_141) or paths of .toml rule set files."
            ),
        ),
    ] = None,
    lang: LangOption = None,
) -> None:
    import femstat as fs
    from femstat.report import REPORT_STEPS, build_report

    levels = _parse_levels(level)
    reading = _Reading(encoding, _parse_delimiter(delimiter), _parse_size(max_decompressed))
    rule_sets = _parse_rules(rules)
    if file is None and mapping is not None:
        raise _UserError(_("--mapping needs a FILE"))
    _check_report_folder(output, [file, population, mapping], force=force)
    if file is None:
        source = _("the bundled example data (synthetic, femstat.datasets.example_victims)")
        pop_table: pd.DataFrame | None = (
            _read_population(population, reading)
            if population is not None
            else fs.datasets.example_population()
        )
        pop_source: str | None = (
            population.name if population is not None else _("the bundled example population")
        )
    else:
        source = file.name
        pop_table = _read_population(population, reading) if population is not None else None
        pop_source = population.name if population is not None else None
    with _progress(len(REPORT_STEPS) + 1) as step:
        step(_("reading"))
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
            title=title if title is not None else _("Femicide statistics report"),
            level=levels,
            min_count=min_count,
            min_reliable=min_reliable,
            standard=standard.value,
            progress=step,
            imputations=imputations,
            seed=seed,
            rules=[fs.UN_2022, *rule_sets] if rule_sets else fs.UN_2022,
            lang=i18n.current_language(),
        )
    name = _("the bundled example data (synthetic)") if file is None else file.name
    console.print(_summary_table(files.summary, f"femstat {fs.__version__}: {name}", min_count))
    if not result.warnings.empty:
        _print_validation(result, file, reading)
    written = [p for p in (files.html, files.markdown) if p is not None]
    console.print(
        _("Wrote {files} ({charts} charts, {tables} table files in {folder})").format(
            files=(
                _("{first} and {second}").format(first=written[0], second=written[1])
                if len(written) == 2
                else ", ".join(str(p) for p in written)
            ),
            charts=i18n.format_integer(len(files.charts)),
            tables=i18n.format_integer(len(files.tables)),
            folder=output / "tables",
        ),
        markup=False,
        highlight=False,
        soft_wrap=True,
    )


@app.command(
    cls=_FemstatCommand,
    help=N_("Print the victim table's schema as JSON Schema (or YAML)."),
)
def schema(
    format: Annotated[
        SchemaFormat,
        typer.Option("--format", "-f", metavar="[json|yaml]", help=N_("Output format.")),
    ] = SchemaFormat.json,
    lang: LangOption = None,
) -> None:
    import femstat as fs

    if format is SchemaFormat.json:
        sys.stdout.write(json.dumps(fs.victim_json_schema(), indent=2) + "\n")
    else:
        sys.stdout.write(fs.victim_yaml_schema())


def main() -> None:
    """Entry point of the ``femstat`` command (and of ``python -m femstat``)."""
    app(prog_name="femstat")
