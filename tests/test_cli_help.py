"""The help pages read well: readable metavars, no typer internals, no clashing options.

typer 0.2x shows a required argument as ``{file}``, a flag as ``<bool>`` and every value
as ``<str>``, ``<path>`` or ``<int range>``; femstat's help names each value (``FILE``,
``N``, ``COLUMNS``, ``[json|yaml]``) and shows flags as flags, in every language.
"""

from __future__ import annotations

import re

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from femstat.cli import app

runner = CliRunner()

COMMANDS = ["validate", "classify", "indicators", "compare", "estimate", "report", "schema"]
LANGUAGES = ["en", "es", "fr", "pt"]

# {file}, {a|b}: a usage placeholder or choice dump in braces; <bool>, <str>, <path>,
# <int range>, <json|yaml>: typer's type labels.
TYPER_LABELS = re.compile(r"\{[\w|.-]+\}|<(?:bool|str|path|int|float|int range|[\w.-]+\|[\w|.-]+)>")


@pytest.fixture(autouse=True)
def _no_language_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    # A FEMSTAT_LANG of the machine running the tests would change every message.
    monkeypatch.delenv("FEMSTAT_LANG", raising=False)


def _help(argv: list[str]) -> str:
    result = runner.invoke(app, argv, env={"COLUMNS": "120"})
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("command", [None, *COMMANDS])
def test_no_typer_labels_in_any_help(command: str | None, lang: str) -> None:
    argv = ["--lang", lang, *([command] if command else []), "--help"]
    text = _help(argv)
    assert not TYPER_LABELS.search(text), TYPER_LABELS.findall(text)
    assert "<bool>" not in text


@pytest.mark.parametrize("command", ["validate", "classify", "indicators", "compare", "estimate"])
def test_the_file_argument_is_named_file_in_the_usage_line(command: str) -> None:
    usage = next(line for line in _help([command, "--help"]).splitlines() if "Usage" in line)
    assert f"femstat {command} [OPTIONS] FILE" in usage, usage


def test_an_optional_file_is_shown_in_brackets() -> None:
    usage = next(line for line in _help(["report", "--help"]).splitlines() if "Usage" in line)
    assert "femstat report [OPTIONS] [FILE]" in usage, usage


def test_every_option_that_takes_a_value_names_it() -> None:
    group = get_command(app)
    commands = {"femstat": group, **group.commands}  # type: ignore[attr-defined]
    unnamed = [
        f"{name} {param.opts[0]}"
        for name, command in commands.items()
        for param in command.params
        if param.param_type_name == "option"
        and not getattr(param, "is_flag", False)
        and not param.metavar
    ]
    assert unnamed == []


@pytest.mark.parametrize("command", COMMANDS)
def test_no_option_name_is_given_twice_in_a_command(command: str) -> None:
    # estimate gave -m to both --imputations and --mapping: one of them was unreachable.
    params = get_command(app).commands[command].params  # type: ignore[attr-defined]
    names = [opt for param in params for opt in [*param.opts, *param.secondary_opts]]
    assert len(names) == len(set(names)), sorted(n for n in names if names.count(n) > 1)


def test_flags_are_shown_without_a_value() -> None:
    text = _help(["classify", "--help"])
    line = next(line for line in text.splitlines() if re.match(r"\W*--force\b", line))
    # The flag's row goes straight from the name to its help.
    assert re.search(r"--force\s+Replace output files", line), line


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("schema", "[json|yaml]"),
        ("indicators", "[csv|excel|parquet|sdmx|unodc]"),
        ("indicators", "[wilson|clopper-pearson]"),
        ("estimate", "[impute|allocate]"),
        ("report", "[esp2013|who2000|segi1960]"),
    ],
)
def test_choices_are_listed_in_brackets(command: str, expected: str) -> None:
    assert expected in _help([command, "--help"])
