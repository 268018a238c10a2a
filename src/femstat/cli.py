"""The ``femstat`` command: femstat for people who do not write Python.

Built on typer (commands and help from type hints) and rich (tables and progress), both
in the ``cli`` extra. Commands:

- ``femstat validate FILE``: check a victim file; a summary, and a failure table with
  exit code 1 when it cannot be used;
- ``femstat classify FILE -o OUT``: the victim records with their femicide type;
- ``femstat indicators FILE --by year,area --population POP -o OUT``: the indicator
  table (CSV, Excel, Parquet or SDMX-CSV by the output's extension), small cells
  suppressed;
- ``femstat report [FILE] -o DIR``: the HTML and Markdown report (no FILE: the bundled
  example data and population);
- ``femstat schema --format json|yaml``: the victim table's schema.

User mistakes (a missing file, a bad option value, data that fail validation, a
population that does not fit) end with one line on stderr, ``femstat: error: ...``, and
exit code 2, never a traceback. Messages never echo free-text fields of the input.
"""

from __future__ import annotations

import importlib
import json
import re
import sys
import zipfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import pandas as pd

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
        return f"no such file: {exc.filename}"
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
        code = 0
        try:
            result = super().main(
                args=args,
                prog_name=prog_name or "femstat",
                complete_var=complete_var,
                standalone_mode=False,
                windows_expand_args=windows_expand_args,
                **extra,
            )
            code = result if isinstance(result, int) else 0
        except _NoArgsIsHelp as exc:
            # Building the error printed the (rich) help already; plain click returns it.
            message = exc.format_message()
            if message.strip():
                console.print(message, markup=False, highlight=False)
            code = 0
        except _click.exceptions.UsageError as exc:
            where = exc.ctx.command_path if exc.ctx else "femstat"
            _error(f"{exc.format_message()} (see '{where} --help')")
            code = 2
        except _click.exceptions.ClickException as exc:
            _error(exc.format_message())
            code = exc.exit_code
        except typer.Abort:
            _error("aborted")
            code = 1
        except _USER_ERRORS as exc:
            _error(_describe(exc))
            code = 2
        if standalone_mode:
            sys.exit(code)
        return code


app = typer.Typer(
    name="femstat",
    help="Femicide statistics by the UN statistical framework (2022).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    cls=_FemstatGroup,
    context_settings={"help_option_names": ["-h", "--help"]},
)


class SchemaFormat(StrEnum):
    json = "json"
    yaml = "yaml"


class OutputFormat(StrEnum):
    csv = "csv"
    excel = "excel"
    parquet = "parquet"
    sdmx = "sdmx"


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
        raise _UserError(f"no such file: {path}")
    if path.is_dir():
        raise _UserError(f"{path} is a folder, not a file")


def _is_csv(path: Path) -> bool:
    return "".join(path.suffixes[-2:]).lower().endswith((".csv", ".csv.gz", ".txt"))


def _read_table(path: Path) -> pd.DataFrame:
    """A victim CSV exactly as the bundled example is read; other formats via fs.read."""
    _check_exists(path)
    if _is_csv(path):
        return _guarded(
            path,
            lambda: pd.read_csv(
                path, keep_default_na=False, na_values=[""], dtype={"iccs_code": "str"}
            ),
        )
    from femstat.sources import read

    frame: pd.DataFrame = _guarded(path, lambda: read(path))
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


def _read_victims(path: Path, mapping: Path | None) -> tuple[pd.DataFrame, ValidationReport]:
    """Read and validate a victim file; raises ValidationError when it cannot be used."""
    import femstat as fs

    _check_exists(path)
    if mapping is not None:
        _check_exists(mapping)
    if _is_csv(path):
        raw = _read_table(path)
        return fs.validate(raw, mapping=mapping, report=True)
    # One validation: a second one would find the absent columns already added.
    return _guarded(path, lambda: fs.read(path, mapping=mapping, report=True))


def _classified(file: Path, mapping: Path | None, step: Callable[[str], None]) -> pd.DataFrame:
    """Read, validate and classify a victim file, as two steps of the progress bar."""
    import femstat as fs

    step("reading and validating")
    clean, _ = _read_victims(file, mapping)
    step("classifying")
    return fs.classify(clean)


def _read_population(path: Path) -> pd.DataFrame:
    _check_exists(path)
    name = path.name.lower()
    if name.endswith((".parquet", ".pq")):
        return _guarded(path, lambda: pd.read_parquet(path))
    if name.endswith(".xlsx"):
        return _guarded(path, lambda: pd.read_excel(path))
    return _guarded(path, lambda: pd.read_csv(path))


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
        table.add_row(name, *cells(name))
    table.add_section()
    for name in ("femicide", "female_homicide"):
        table.add_row(name, *cells(name))
    table.caption = escape(f"[c]: suppressed, fewer than {min_count} victims")
    return table


def _summary(typed: pd.DataFrame, min_count: int) -> pd.DataFrame:
    import femstat as fs

    return fs.suppress(fs.indicators(typed), min_count)


def _print_validation(result: ValidationReport) -> None:
    console.print(str(result), markup=False, highlight=False)


def _failure_table(failure_cases: pd.DataFrame) -> Table:
    table = Table(title="Problems found", title_justify="left")
    for name, justify in (
        ("column", "left"),
        ("check", "left"),
        ("value", "left"),
        ("rows", "right"),
        ("first rows (0-based)", "left"),
    ):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for case in failure_cases.to_dict("records"):
        value = case.get("value")
        shown = (
            "" if value is None or (isinstance(value, float) and pd.isna(value)) else repr(value)
        )
        rows = ", ".join(str(r) for r in case.get("rows") or [])
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
MinReliableOption = Annotated[
    int,
    typer.Option(
        "--min-reliable", min=1, help="Shares and rates from fewer victims are flagged unreliable."
    ),
]


@app.command()
def validate(file: FileArgument, mapping: MappingOption = None) -> None:
    """Check a victim file against the framework's variables; exit 1 when it has errors."""
    import femstat as fs

    try:
        with _progress(1) as step:
            step("validating")
            _, result = _read_victims(file, mapping)
    except fs.ValidationError as exc:
        console.print(_first_line(exc), markup=False, highlight=False)
        console.print(_failure_table(exc.failure_cases))
        hint = str(exc).strip().splitlines()[-1]
        if hint.startswith("What to do"):
            console.print(hint, markup=False, highlight=False)
        raise typer.Exit(1) from None
    _print_validation(result)
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
) -> None:
    """Classify every victim record by the femicide typology and write the records.

    The output holds the input's columns in canonical form plus femicide_type and
    criteria_met (the criteria found true, separated by ';'). It is microdata: keep it as
    confidential as the input.
    """
    import femstat as fs
    from femstat.exports import export, format_of

    fmt = format_of(output)
    if fmt == "sdmx":
        raise _UserError("classify writes victim records; use .csv, .xlsx or .parquet")
    with _progress(3) as step:
        typed = _classified(file, mapping, step)
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
            help="Output file: .csv (with a .metadata.json sidecar), .xlsx, .parquet or "
            ".sdmx.csv. Without it, the table is printed.",
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
        typer.Option("--ref-area", help="SDMX-CSV REF_AREA when the table has no area column."),
    ] = None,
    mapping: MappingOption = None,
) -> None:
    """Compute counts, shares and rates with confidence intervals per group.

    Published tables: counts below --min-count are suppressed, with what derives from them.
    """
    import femstat as fs
    from femstat.exports import export, format_of

    levels = _parse_levels(level)
    columns = _parse_by(by)
    fmt = format_of(output, format.value if format else None) if output is not None else None
    if ref_area is not None and fmt != "sdmx":
        raise _UserError("--ref-area applies to SDMX-CSV output only (-o table.sdmx.csv)")
    pop_table = _read_population(population) if population is not None else None
    with _progress(4) as step:
        typed = _classified(file, mapping, step)
        step("computing indicators")
        if standard is not None:
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
            table = fs.suppress(table, min_count)
        step("writing")
        if output is not None:
            extra = {"source": file.name}
            if population is not None:
                extra["population_source"] = population.name
            options = {"ref_area": ref_area} if fmt == "sdmx" else {}
            export(table, output, fmt, metadata=extra, **options)
    if output is None:
        console.print(_indicator_table(table, columns))
    else:
        console.print(
            f"Wrote {output} ({len(table):,} rows; counts below {min_count} suppressed)",
            markup=False,
            highlight=False,
            soft_wrap=True,
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
    out = Table(show_lines=False)
    for column in shown:
        out.add_column(column, justify="left" if column in (*by, "femicide_type") else "right")
    for _, row in table[shown].iterrows():
        cells = []
        for column in shown:
            value = row[column]
            if pd.isna(value):
                cells.append(escape("[c]") if column == "count" else "")
            elif column == "share":
                cells.append(f"{value * 100:.1f} %")
            elif column == "count":
                cells.append(f"{int(value):,}")
            elif isinstance(value, float):
                cells.append(f"{value:.3f}")
            else:
                cells.append(escape(str(value)))
        out.add_row(*cells)
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
    mapping: MappingOption = None,
) -> None:
    """Write the femicide report (HTML with charts, and Markdown) to a folder.

    Without FILE, the report is built from femstat's bundled synthetic example data and
    its population. Published tables suppress counts below --min-count.
    """
    import femstat as fs
    from femstat.report import REPORT_STEPS, build_report

    levels = _parse_levels(level)
    if file is None:
        if mapping is not None:
            raise _UserError("--mapping needs a FILE")
        source = "the bundled example data (synthetic, femstat.datasets.example_victims)"
        pop_table: pd.DataFrame | None = (
            _read_population(population)
            if population is not None
            else fs.datasets.example_population()
        )
        pop_source: str | None = (
            population.name if population is not None else "the bundled example population"
        )
    else:
        source = file.name
        pop_table = _read_population(population) if population is not None else None
        pop_source = population.name if population is not None else None
    with _progress(len(REPORT_STEPS) + 1) as step:
        step("reading")
        if file is None:
            clean, result = fs.validate(fs.datasets.example_victims(), report=True)
        else:
            clean, result = _read_victims(file, mapping)
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
        )
    name = "the bundled example data (synthetic)" if file is None else file.name
    console.print(_summary_table(files.summary, f"femstat {fs.__version__}: {name}", min_count))
    if not result.warnings.empty:
        _print_validation(result)
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
