"""Every exit code of the ``femstat`` command, as documented, driven through the command.

``femstat._exit.ExitCode`` defines them once; ``docs/cli.md`` and ``femstat --help``
list them, and each code is produced here by the command it documents, with a message
that says what to do.
"""

from __future__ import annotations

import importlib.metadata
import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import femstat as fs
from femstat._exit import ExitCode
from femstat.cli import app

runner = CliRunner()
DOCS = Path(__file__).resolve().parents[1] / "docs" / "cli.md"

GOOD = {"victim_sex": "female", "victim_age": "30", "relationship": "stranger", "year": "2020"}


def error_line(output: str) -> str:
    """The command's one error line; no traceback around it."""
    lines = [line for line in output.strip().splitlines() if line.strip()]
    assert len(lines) == 1, output
    assert lines[0].startswith("femstat: error: "), output
    assert "Traceback" not in output
    return lines[0]


@pytest.fixture
def victims(tmp_path: Path) -> Path:
    path = tmp_path / "victims.csv"
    pd.DataFrame([{**GOOD, "victim_id": "1"}, {**GOOD, "victim_id": "2"}]).to_csv(path, index=False)
    return path


def documented_codes() -> dict[int, str]:
    """The table under "Errors and exit codes" in docs/cli.md."""
    text = DOCS.read_text(encoding="utf-8")
    section = text.split("## Errors and exit codes", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| (\d+) \| (.+?) \|$", section, flags=re.MULTILINE)
    return {int(code): meaning for code, meaning in rows}


def test_the_docs_the_help_and_the_enum_list_the_same_codes() -> None:
    documented = documented_codes()
    assert sorted(documented) == sorted(int(c) for c in ExitCode)
    help_text = " ".join(runner.invoke(app, ["--help"]).output.split())
    listed = re.search(r"Exit codes: (.*?)\.", help_text)
    assert listed is not None, help_text
    shown = [int(part.split()[0]) for part in listed.group(1).split("; ")]
    assert shown == [int(c) for c in ExitCode]


def test_0_done(victims: Path) -> None:
    result = runner.invoke(app, ["validate", str(victims)])
    assert result.exit_code == ExitCode.OK == 0
    assert "the file can be used" in result.output


def test_1_validate_found_problems(tmp_path: Path) -> None:
    path = tmp_path / "victims.csv"
    pd.DataFrame([{**GOOD, "relationship": "martian"}, GOOD]).to_csv(path, index=False)
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == ExitCode.PROBLEMS_FOUND == 1
    assert "Problems found" in result.output
    assert "What to do" in result.output


@pytest.mark.parametrize(
    ("arguments", "what_to_do"),
    [
        (["validate", "{victims}", "--no-such-option"], "see 'femstat validate --help'"),
        (["validate"], "see 'femstat validate --help'"),
        (["validate", "{tmp}/nowhere.csv"], "check its name, and the folder"),
        (["validate", "{victims}", "--mapping", "{mapping}"], "use one of"),
        (["indicators", "{victims}", "--by", "victim_id"], "Break down by coded columns"),
        (["classify", "{victims}", "-o", "{victims}"], "write to another path"),
        (["indicators", "{bad_victims}"], "run 'femstat validate FILE'"),
    ],
    ids=["usage", "missing-argument", "no-file", "bad-mapping", "identifiers", "input", "data"],
)
def test_2_a_mistake_in_the_command_or_its_input(
    arguments: list[str], what_to_do: str, victims: Path, tmp_path: Path
) -> None:
    mapping = tmp_path / "bad.toml"
    mapping.write_text('[columns.sexo]\nto = "victim_sex"\ncodes = { "1" = "femalez" }\n')
    bad_victims = tmp_path / "bad.csv"
    pd.DataFrame([{**GOOD, "victim_sex": "martian"}]).to_csv(bad_victims, index=False)
    places = {"victims": victims, "tmp": tmp_path, "mapping": mapping, "bad_victims": bad_victims}
    result = runner.invoke(app, [a.format(**places) for a in arguments])
    assert result.exit_code == ExitCode.USER_ERROR == 2, result.output
    assert what_to_do in error_line(result.stderr)


def test_70_internal_error(victims: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def defect(*args: object, **kwargs: object) -> None:
        raise ZeroDivisionError("a cell's secret text")

    monkeypatch.setattr(fs, "read", defect)
    monkeypatch.delenv("FEMSTAT_TRACEBACK", raising=False)
    result = runner.invoke(app, ["validate", str(victims)])
    assert result.exit_code == ExitCode.INTERNAL_ERROR == 70
    line = error_line(result.stderr)
    assert "internal error (ZeroDivisionError)" in line
    assert "please report it" in line and "FEMSTAT_TRACEBACK=1" in line
    assert "secret" not in result.output


def test_130_interrupted_in_a_command(victims: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(fs, "read", interrupted)
    result = runner.invoke(app, ["validate", str(victims)])
    assert result.exit_code == ExitCode.INTERRUPTED == 130
    assert "interrupted; an output being written may be incomplete" in error_line(result.stderr)


def test_130_interrupted_before_a_command_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    """A Ctrl-C while the options are read (``--version`` is handled then): click makes
    it an "Abort", which used to be reported as input that ended, with code 1."""

    def interrupted(name: str) -> str:
        raise KeyboardInterrupt

    monkeypatch.setattr(importlib.metadata, "version", interrupted)
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == ExitCode.INTERRUPTED
    assert error_line(result.stderr) == "femstat: error: interrupted"


def test_the_installed_command_exits_with_the_documented_codes(
    victims: Path, tmp_path: Path
) -> None:
    """The real process, not an in-process runner: the code reaches the shell."""
    env = {**os.environ, "FEMSTAT_TRACEBACK": ""}
    command = [sys.executable, "-m", "femstat"]
    done = subprocess.run(
        [*command, "validate", str(victims)], capture_output=True, text=True, env=env
    )
    missing = subprocess.run(
        [*command, "validate", str(tmp_path / "nowhere.csv")],
        capture_output=True,
        text=True,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    assert missing.returncode == 2
    assert "check its name" in error_line(missing.stderr)
    assert missing.stdout == ""
