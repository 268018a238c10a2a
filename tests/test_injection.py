"""Exports never write a text cell that a spreadsheet would run as a formula."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import femstat as fs
from femstat.cli import app
from femstat.exports import neutralise_text, to_csv, to_excel, to_parquet, to_sdmx_csv

PAYLOADS = [
    '=HYPERLINK("http://evil.example/x","click")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "\uff1d1+1",
    "\uff0bcmd",
    "\uff0d1",
    "\uff20SUM(A1)",
    "  =1+1",
    "\n=1+1",
]
"""Text cells a spreadsheet could take for a formula."""

HARMLESS = ["North", "-5", "+3.5", "1e-3", "R01", "O'Brien", "a=b", ""]
"""Text cells that must be written unchanged."""

TRIGGERS = tuple("=+-@\t\r\uff1d\uff0b\uff0d\uff20")


def _dangerous(text: str) -> bool:
    stripped = text.lstrip()
    return bool(text) and (text.startswith(TRIGGERS) or stripped.startswith(TRIGGERS))


@pytest.mark.parametrize("payload", PAYLOADS)
def test_a_formula_gets_a_quote_prefixed(payload: str) -> None:
    assert neutralise_text(payload) == "'" + payload


@pytest.mark.parametrize("text", HARMLESS)
def test_text_and_plain_numbers_stay_as_they_are(text: str) -> None:
    assert neutralise_text(text) == text


@settings(max_examples=300)
@given(st.text())
def test_no_neutralised_text_starts_a_formula(text: str) -> None:
    out = neutralise_text(text)
    assert out == text or out == "'" + text
    if out == text and _dangerous(text):
        float(text)  # only a plain number may keep its sign


AREAS = ["-5", "North", *PAYLOADS[:10]]
"""One name for each of the example data's twelve areas."""


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    """Suppressed indicators by area, the areas named with formulas."""
    victims = fs.datasets.example_victims()
    codes = sorted(victims["area"].unique())
    victims["area"] = victims["area"].map(dict(zip(codes, AREAS, strict=False)))
    victims = victims[victims["area"].notna()]
    typed = fs.classify(fs.validate(victims))
    return fs.suppress(fs.indicators(typed, by=["area"]), 5)


def _csv_cells(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def _assert_safe(cells: list[list[str]]) -> None:
    for row in cells:
        for cell in row:
            if _dangerous(cell):
                float(cell)  # a plain number is the only thing left unquoted


def test_csv_neutralises_text_and_keeps_numbers(table: pd.DataFrame, tmp_path: Path) -> None:
    path = to_csv(table, tmp_path / "t.csv")
    cells = _csv_cells(path)
    _assert_safe(cells)
    areas = {row[0] for row in cells[1:]}
    # validation trims blanks around an area ("\t=1+1" is the area "=1+1")
    assert {"'" + p.strip() for p in AREAS[2:]} == areas - {"-5", "North"}
    assert "-5" in areas and "North" in areas
    back = pd.read_csv(path)
    assert pd.api.types.is_numeric_dtype(back["count"])
    assert back["count"].sum() == table["count"].sum()


def test_sdmx_csv_neutralises_ref_area(table: pd.DataFrame, tmp_path: Path) -> None:
    path = to_sdmx_csv(table, tmp_path / "t.sdmx.csv", time_period="2015/2024")
    cells = _csv_cells(path)
    _assert_safe(cells)
    header = cells[0]
    ref_area = {row[header.index("REF_AREA")] for row in cells[1:]}
    assert "'" + PAYLOADS[0] in ref_area and "-5" in ref_area
    values = [row[header.index("OBS_VALUE")] for row in cells[1:]]
    assert all(v == "" or float(v) >= 0 for v in values)


def test_excel_has_no_formula_cell(table: pd.DataFrame, tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    path = to_excel(table, tmp_path / "t.xlsx", metadata={"source": '=HYPERLINK("http://evil")'})
    book = openpyxl.load_workbook(path)
    texts = []
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    texts.append(cell.value)
    _assert_safe([texts])
    assert "'" + PAYLOADS[0] in texts
    assert '\'=HYPERLINK("http://evil")' in texts
    data = book["data"]
    header = [c.value for c in data[1]]
    counts = [r[header.index("count")] for r in data.iter_rows(min_row=2, values_only=True)]
    assert all(c is None or isinstance(c, int) for c in counts)  # numbers stay numbers


def test_excel_writes_control_characters_instead_of_failing(tmp_path: Path) -> None:
    pytest.importorskip("openpyxl")
    frame = pd.DataFrame({"area": ["bad\x01name"], "count": [10]})
    path = to_excel(frame, tmp_path / "t.xlsx")
    back = pd.read_excel(path)
    assert back["area"].tolist() == ["bad\ufffdname"]


def test_headers_are_neutralised(tmp_path: Path) -> None:
    frame = pd.DataFrame({"=cmd()": ["x"], "count": [10]})
    cells = _csv_cells(to_csv(frame, tmp_path / "t.csv"))
    assert cells[0] == ["'=cmd()", "count", "suppressed"]


def test_parquet_keeps_the_text_as_it_is(table: pd.DataFrame, tmp_path: Path) -> None:
    pytest.importorskip("pyarrow")
    back = pd.read_parquet(to_parquet(table, tmp_path / "t.parquet"))
    assert set(back["area"].astype(str)) == set(table["area"].astype(str))


def test_missing_categories_stay_missing(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {"group": pd.Categorical(["a", None], categories=["a", "b"]), "count": [10, 20]}
    )
    cells = _csv_cells(to_csv(frame, tmp_path / "t.csv"))
    assert [row[0] for row in cells[1:]] == ["a", ""]
    formula = pd.DataFrame({"group": pd.Categorical(["=1+1", None, "a"]), "count": [10, 20, 30]})
    cells = _csv_cells(to_csv(formula, tmp_path / "f.csv"))
    assert [row[0] for row in cells[1:]] == ["'=1+1", "", "a"]


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_classify_writes_injection_safe_microdata(tmp_path: Path, suffix: str) -> None:
    if suffix == ".xlsx":
        pytest.importorskip("openpyxl")
    victims = fs.datasets.example_victims().head(60).copy()
    # A bare CR would split the input's own rows: pandas does not quote it.
    names = [p for p in PAYLOADS if "\r" not in p]
    victims["area"] = [names[i % len(names)] for i in range(len(victims))]
    victims["victim_id"] = [f'=HYPERLINK("http://evil/{i}")' for i in range(len(victims))]
    source = tmp_path / "victims.csv"
    victims.to_csv(source, index=False)
    out = tmp_path / f"classified{suffix}"
    result = CliRunner().invoke(app, ["classify", str(source), "-o", str(out)])
    assert result.exit_code == 0, result.output
    if suffix == ".csv":
        cells = _csv_cells(out)
    else:
        import openpyxl

        book = openpyxl.load_workbook(out)
        cells = []
        for sheet in book.worksheets:
            for row in sheet.iter_rows():
                assert all(cell.data_type != "f" for cell in row)
                cells.append(["" if c.value is None else str(c.value) for c in row])
    _assert_safe(cells)
    header = cells[0]
    ids = [row[header.index("victim_id")] for row in cells[1:]]
    assert ids[0] == '\'=HYPERLINK("http://evil/0")'  # microdata keep their ids, made safe


def test_charts_draw_labels_from_data_literally() -> None:
    pytest.importorskip("matplotlib")
    import io

    from femstat.plots import breakdown_chart

    victims = fs.datasets.example_victims().head(400).copy()
    names = ["$\\undefinedcommand{x}$", "cost $5 and $6", "plain"]
    victims["area"] = [names[i % 3] for i in range(len(victims))]
    table = fs.suppress(fs.indicators(fs.classify(fs.validate(victims)), by="area"), 5)
    figure = breakdown_chart(table, "area")
    figure.savefig(io.BytesIO(), format="png")  # mathematics would fail to parse here
    ticks = [t.get_text() for t in figure.axes[0].get_yticklabels()]
    assert any("\\$\\undefinedcommand" in t for t in ticks)
