"""The command line names records where they are in the file, not by 0-based position.

A CSV record is named by the line where it begins (as a text editor counts lines), an
Excel record by its sheet row (header = row 1), a record of a format without lines or
rows (Parquet, Stata, SPSS) by its number from 1. Each expectation is computed while the
file is written, line by line, by noting the line where the bad record starts; the
library's 0-based positions are left as they are.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import femstat as fs
from femstat import cli
from femstat.cli import app
from femstat.sources.rows import _record_starts, row_numbers
from femstat.stream import counts_from_file

runner = CliRunner()


@pytest.fixture(autouse=True)
def wide_tables(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tables as wide as they need: no heading wrapped over lines."""
    monkeypatch.setattr(cli.console, "width", 200)


HEADER = ["victim_id", "year", "victim_sex", "victim_age", "relationship", "note"]
BAD = "martian"


def good(i: int, note: str = "x") -> list[str]:
    return [str(i), "2020", "female", "30", "stranger", note]


def bad(i: int) -> list[str]:
    return [str(i), "2020", BAD, "30", "stranger", "x"]


class Lines:
    """A CSV file written line by line, noting the line where each record begins."""

    def __init__(self, newline: str = "\n") -> None:
        self.lines: list[str] = []
        self.newline = newline
        self.starts: dict[str, int] = {}

    def blank(self, text: str = "") -> None:
        self.lines.append(text)

    def record(self, cells: list[str], name: str | None = None) -> None:
        if name is not None:
            self.starts[name] = len(self.lines) + 1
        # A cell holding a line break is written quoted and spans several lines.
        text = ",".join(f'"{c}"' if "\n" in c or "," in c else c for c in cells)
        self.lines.extend(text.split("\n"))

    def text(self) -> str:
        return self.newline.join(self.lines) + self.newline

    def write(self, path: Path) -> Path:
        path.write_bytes(self.text().encode())
        return path


def shown_numbers(output: str, value: str = BAD) -> str:
    """The last cell of the failure table's line for ``value``: its first rows."""
    line = next(x for x in output.splitlines() if f"'{value}'" in x)
    cells = [c.strip() for c in line.split("│") if c.strip()]
    return cells[-1]


def validate(path: Path) -> str:
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 1, result.output
    assert "0-based" not in result.output
    return result.output


def test_blank_lines_before_the_bad_record(tmp_path: Path) -> None:
    f = Lines()
    f.record(HEADER)
    f.record(good(1))
    f.blank()
    f.blank("   ")  # spaces only: skipped by the reader too
    f.record(good(2))
    f.blank("\t")
    f.record(bad(3), "bad")
    path = f.write(tmp_path / "v.csv")
    output = validate(path)
    assert f.starts["bad"] == 7
    assert shown_numbers(output) == "7"
    assert "first lines in the file" in output
    # The library's positions stay 0-based data rows.
    with pytest.raises(fs.ValidationError) as info:
        fs.read(path)
    assert list(info.value.failure_cases["rows"].iloc[0]) == [2]


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_a_quoted_field_over_several_lines_before_the_bad_record(
    tmp_path: Path, newline: str
) -> None:
    f = Lines(newline)
    f.record(HEADER)
    f.record(good(1, "first line\n\nthird line, with a comma"))
    f.record(good(2, 'a ""quoted"" word\nand more'))
    f.record(bad(3), "bad")
    f.record(bad(4), "bad2")
    path = f.write(tmp_path / "v.csv")
    output = validate(path)
    assert (f.starts["bad"], f.starts["bad2"]) == (7, 8)
    assert shown_numbers(output) == "7, 8"


def test_blank_lines_before_the_header_and_a_compressed_file(tmp_path: Path) -> None:
    f = Lines()
    f.blank()
    f.blank()
    f.record(HEADER)
    f.record(good(1))
    f.record(bad(2), "bad")
    plain = f.write(tmp_path / "v.csv")
    packed = tmp_path / "v.csv.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    assert f.starts["bad"] == 5
    assert shown_numbers(validate(plain)) == "5"
    assert shown_numbers(validate(packed)) == "5"


def test_semicolon_delimiter_and_a_delimiter_inside_quotes(tmp_path: Path) -> None:
    text = (
        'victim_id;year;victim_sex;victim_age;relationship;note\n1;2020;female;30;stranger;"a;\nb"\n'
        "\n2;2020;martian;30;stranger;x\n"
    )
    path = tmp_path / "v.csv"
    path.write_text(text)
    assert shown_numbers(validate(path)) == "5"


def test_reader_options_the_line_count_does_not_follow_give_record_numbers(
    tmp_path: Path,
) -> None:
    """A preamble skipped with ``skiprows`` (a library reader option): the records are
    numbered from 1 rather than given a line number that might be wrong."""
    f = Lines()
    f.record(["Homicide register, export of 2024-01-31"])
    f.record(["Ministry of the Interior"])
    f.record(HEADER)
    f.record(good(1))
    f.record(bad(2), "bad")
    path = f.write(tmp_path / "v.csv")
    with pytest.raises(fs.ValidationError) as info:
        fs.read(path, skiprows=2)
    rows = list(info.value.failure_cases["rows"].iloc[0])
    assert rows == [1]
    where = row_numbers(path, rows, skiprows=2)
    assert (where.unit, where.numbers) == ("record", (2,))
    # Read without the option, the file's first line is the header and the bad record
    # the fourth data record: lines again.
    assert row_numbers(path, [3]).numbers == (f.starts["bad"],) == (5,)


def test_excel_rows_are_sheet_rows(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADER)
    sheet.append(good(1))
    sheet.append([])  # a blank row: pandas keeps it as a row of missing values
    sheet.append(good(2))
    sheet.append(bad(3))
    path = tmp_path / "v.xlsx"
    book.save(path)
    output = validate(path)
    assert shown_numbers(output) == "5"
    assert "first rows in the sheet (header = row 1)" in output
    # The blank row is read as a record with no year: the sheet's row 3.
    year = next(x for x in output.splitlines() if x.startswith("│ year "))
    assert [c.strip() for c in year.split("│") if c.strip()][-1] == "3"


def test_parquet_records_are_counted_from_1(tmp_path: Path) -> None:
    frame = pd.DataFrame([good(1), good(2), bad(3), good(4), bad(5)], columns=HEADER)
    path = tmp_path / "v.parquet"
    frame.to_parquet(path)
    output = validate(path)
    assert shown_numbers(output) == "3, 5"
    assert "first records (counted from 1)" in output


def test_a_bad_record_in_the_third_batch_is_named_within_the_whole_file(tmp_path: Path) -> None:
    f = Lines()
    f.record(HEADER)
    for i in range(1, 9):
        if i == 3:
            f.blank()
        f.record(good(i, "two\nlines") if i == 2 else good(i))
    f.record(bad(9), "bad")  # data record 9: the third batch of four
    path = f.write(tmp_path / "v.csv")
    with pytest.raises(fs.ValidationError) as info:
        counts_from_file(path, ["year"], batch_rows=4)
    rows = list(info.value.failure_cases["rows"].iloc[0])
    assert rows == [8]
    assert row_numbers(path, rows).numbers == (f.starts["bad"],) == (12,)


def test_the_population_message_names_the_line(tmp_path: Path) -> None:
    victims = Lines()
    victims.record(HEADER)
    victims.record(good(1))
    pop = Lines()
    pop.record(["year", "population"])
    pop.record(["2020", "1000"])
    pop.blank()
    pop.record(["2021", "many"], "bad")
    result = runner.invoke(
        app,
        [
            "indicators",
            str(victims.write(tmp_path / "v.csv")),
            "-p",
            str(pop.write(tmp_path / "pop.csv")),
        ],
    )
    assert result.exit_code == 2
    assert pop.starts["bad"] == 4
    assert "not numbers (line 4)" in " ".join(result.output.split())


def test_warnings_shown_by_the_command_name_their_lines(tmp_path: Path) -> None:
    f = Lines()
    f.record([*HEADER, "linked_victim"])
    f.record([*good(1), "false"])
    f.blank()
    f.record([*good(2), "true"], "linked")  # linked, but no event_id: a soft warning
    path = f.write(tmp_path / "v.csv")
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 0, result.output
    assert "where [linked_victim_without_event]: line 4" in result.output


# --------------------------------------------------------------------------- any CSV

cell_text = st.text(alphabet="ab ,;\"'\n", min_size=0, max_size=8)


@st.composite
def csv_files(draw: st.DrawFn) -> tuple[str, int, int]:
    """A CSV text with blank lines and multi-line quoted fields, one bad record, the
    bad record's data position and the line where it begins."""
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    n = draw(st.integers(1, 12))
    where_bad = draw(st.integers(0, n - 1))
    f = Lines(newline)
    for _ in range(draw(st.integers(0, 2))):
        # No tab before the header: the delimiter is sniffed from the file's first line.
        f.blank(draw(st.sampled_from(["", " ", "   "])))
    f.record(HEADER)
    for i in range(n):
        for _ in range(draw(st.integers(0, 2))):
            f.blank(draw(st.sampled_from(["", " ", "\t"])))
        note = draw(cell_text).replace('"', '""')
        if '"' in note or "\n" in note or "," in note:
            f.lines.extend(",".join([*good(i)[:-1], f'"{note}"']).split("\n"))
        else:
            f.record(bad(i) if i == where_bad else good(i, note), "bad" if i == where_bad else None)
            continue
        if i == where_bad:  # the record just written: make it the bad one
            start = len(f.lines) - ",".join([*good(i)[:-1], f'"{note}"']).count("\n")
            f.starts["bad"] = start
            f.lines[start - 1] = f.lines[start - 1].replace("female", BAD, 1)
    return f.text(), where_bad, f.starts["bad"]


@pytest.mark.slow
@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(case=csv_files())
def test_any_csv_names_the_line_where_the_bad_record_begins(
    tmp_path: Path, case: tuple[str, int, int]
) -> None:
    text, position, line = case
    path = tmp_path / "v.csv"
    path.write_bytes(text.encode())
    with pytest.raises(fs.ValidationError) as info:
        fs.read(path)
    cases = info.value.failure_cases
    rows = list(cases.loc[cases["column"] == "victim_sex", "rows"].iloc[0])
    assert rows == [position]
    assert row_numbers(path, rows).numbers == (line,)


def test_the_line_scanner_on_its_own() -> None:
    lines = ['"a\n', 'b",c\n', "\n", " \t\n", 'x,"y""\n', '""z"\n', "p,q\n"]
    # Header over lines 1-2; records at lines 5 and 7 (3 and 4 are blank).
    assert list(_record_starts(lines, ",")) == [(0, 5), (1, 7)]
    # With a tab delimiter a line holding a tab is a record of empty fields.
    assert list(_record_starts(["a\tb\n", "\t\n", " \n", "1\t2\n"], "\t")) == [(0, 2), (1, 4)]
