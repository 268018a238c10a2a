"""The command line gives validation hints in its own words: TOML mappings, no Python.

The library's hints speak to Python users (``mapping={...}``, ``e.failure_cases``,
``pd.read_csv``); ``femstat validate`` shows the failure table and takes a mapping file,
so its hints say that instead, and the mapping they suggest is a TOML file that works.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import femstat as fs
from femstat.cli import _command_line_hint, app

runner = CliRunner()

PYTHON_WORDS = re.compile(r"e\.failure_cases|mapping=\{|\bpd\.|\bdf\b|femstat\.codes|\bdict\b")

GOOD = {"victim_sex": "female", "victim_age": "30", "relationship": "stranger", "year": "2020"}


def _hint_of(**bad: str) -> str:
    frame = pd.DataFrame([{**GOOD, **bad}, GOOD])
    with pytest.raises(fs.ValidationError) as info:
        fs.validate(frame)
    return str(info.value).strip().splitlines()[-1]


@pytest.mark.parametrize(
    "bad",
    [
        {"relationship": "martian"},
        {"victim_age": "999"},
        {"year": "twenty"},
        {"iccs_code": "101"},
        {"date": "31/12/2020"},
        {"orphans": "99"},
    ],
    ids=lambda bad: next(iter(bad)),
)
def test_no_python_in_a_command_line_hint(bad: dict[str, str]) -> None:
    hint = _hint_of(**bad)
    assert hint.startswith("What to do")
    assert PYTHON_WORDS.search(hint), "the library's hint should speak Python (else: no test)"
    translated = _command_line_hint(hint)
    assert not PYTHON_WORDS.search(translated), translated
    assert translated.startswith("What to do")


def test_the_suggested_mapping_is_a_toml_file_that_works(tmp_path: Path) -> None:
    victims = tmp_path / "victims.csv"
    pd.DataFrame([{**GOOD, "relationship": "martian"}, GOOD]).to_csv(victims, index=False)
    failed = runner.invoke(app, ["validate", str(victims)])
    assert failed.exit_code == 1
    text = " ".join(failed.output.split())  # undo the terminal's line wrapping
    assert "e.failure_cases" not in text and "mapping={" not in text
    found = re.search(r"\[columns\.(\w+)\] unknown = (\[[^\]]*\])", text)
    assert found, text
    mapping = tmp_path / "mapping.toml"
    mapping.write_text(f"[columns.{found[1]}]\nunknown = {found[2]}\n", encoding="utf-8")
    assert tomllib.loads(mapping.read_text(encoding="utf-8"))["columns"]["relationship"]
    passed = runner.invoke(app, ["validate", str(victims), "--mapping", str(mapping)])
    assert passed.exit_code == 0, passed.output
    assert "the file can be used" in passed.output
