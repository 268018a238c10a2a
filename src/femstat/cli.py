"""The ``femstat`` command: femstat for people who do not write Python.

Built on typer (commands and help from type hints) and rich (tables and progress), both
in the ``cli`` extra. User mistakes end with a one-line error and exit code 2, never a
traceback.
"""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import pandas as pd

from femstat.errors import FemstatError, MissingDependencyError

try:
    import typer
    from rich.console import Console
    from rich.table import Table
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise MissingDependencyError(
        "the femstat command needs typer and rich: pip install 'femstat[cli]'"
    ) from exc

app = typer.Typer(
    name="femstat",
    help="Femicide statistics by the UN statistical framework (2022).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
err_console = Console(stderr=True)


class SchemaFormat(StrEnum):
    json = "json"
    yaml = "yaml"


def _read_table(path: Path) -> pd.DataFrame:
    if not path.exists():
        raise _UserError(f"no such file: {path}")
    suffixes = "".join(path.suffixes[-2:]).lower()
    if suffixes.endswith((".csv", ".csv.gz", ".txt")):
        return pd.read_csv(path, keep_default_na=False, na_values=[""], dtype={"iccs_code": "str"})
    from femstat.sources import read

    frame: pd.DataFrame = read(path)
    return frame


def _load(path: Path | None) -> tuple[pd.DataFrame, str]:
    from femstat.datasets import example_victims

    if path is None:
        return example_victims(), "the bundled example data (synthetic)"
    return _read_table(path), str(path)


class _UserError(FemstatError):
    pass


def _summary_table(typed: pd.DataFrame, title: str) -> Table:
    from femstat import codes as C

    counts = typed["femicide_type"].value_counts().reindex(list(C.FEMICIDE_TYPES), fill_value=0)
    in_scope = int(counts.drop("out_of_scope").sum())
    table = Table(title=title)
    table.add_column("femicide type")
    table.add_column("victims", justify="right")
    table.add_column("share of female homicide", justify="right")
    for name, n in counts.items():
        share = "" if name == "out_of_scope" or in_scope == 0 else f"{100 * n / in_scope:.1f} %"
        table.add_row(str(name), f"{n:,}", share)
    femicide = int(counts[list(C.FEMICIDE)].sum())
    table.add_section()
    table.add_row(
        "femicide", f"{femicide:,}", f"{100 * femicide / in_scope:.1f} %" if in_scope else ""
    )
    table.add_row("female_homicide", f"{in_scope:,}", "100.0 %" if in_scope else "")
    return table


@app.command()
def report(
    file: Annotated[
        Path | None, typer.Argument(help="Victim microdata; omit for the example.")
    ] = None,
) -> None:
    """Classify victim microdata and print the femicide typology summary."""
    import femstat as fs

    raw, source = _load(file)
    clean, result = fs.validate(raw, report=True)
    typed = fs.classify(clean)
    console.print(_summary_table(typed, f"femstat {fs.__version__}: {source}"))
    if not result.warnings.empty:
        console.print(str(result))


@app.command()
def validate(file: Annotated[Path, typer.Argument(help="Victim microdata (CSV, ...).")]) -> None:
    """Check a file against the framework's variables; exit 1 when it has errors."""
    import femstat as fs

    raw = _read_table(file)
    try:
        _, result = fs.validate(raw, report=True)
    except fs.ValidationError as exc:
        err_console.print(str(exc), markup=False, highlight=False)
        raise typer.Exit(1) from None
    console.print(str(result), markup=False, highlight=False)


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
    """Entry point of the ``femstat`` command."""
    try:
        app()
    except (FemstatError, OSError) as exc:
        first_line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        err_console.print(f"femstat: error: {first_line}", markup=False, highlight=False)
        sys.exit(2)
