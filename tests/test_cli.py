"""The femstat command: every subcommand's output, exit codes and one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import femstat as fs
from femstat import cli
from femstat.cli import app
from femstat.exports import read_metadata
from femstat.report import population_for

runner = CliRunner()
SECRET = "SECRET-NARRATIVE-91c2"
COMMANDS = ["validate", "classify", "indicators", "report", "schema"]


def one_line_error(output: str) -> str:
    lines = [line for line in output.strip().splitlines() if line.strip()]
    assert len(lines) == 1, output
    assert lines[0].startswith("femstat: error: "), output
    assert "Traceback" not in output
    return lines[0]


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("cli")
    victims = fs.datasets.example_victims()
    victims["narrative"] = SECRET
    population = fs.datasets.example_population()
    paths = {
        "victims": folder / "victims.csv",
        "victims_parquet": folder / "victims.parquet",
        "population": folder / "population.csv",
        "bad": folder / "bad.csv",
    }
    victims.to_csv(paths["victims"], index=False)
    victims.head(500).to_parquet(paths["victims_parquet"])
    population.to_csv(paths["population"], index=False)
    bad = victims.head(40).copy()
    bad.loc[3, "victim_sex"] = "X"
    bad.loc[[5, 7], "relationship"] = SECRET
    bad.to_csv(paths["bad"], index=False)
    return paths


@pytest.fixture(scope="module")
def typed() -> pd.DataFrame:
    return fs.classify(fs.validate(fs.datasets.example_victims()))


@pytest.mark.parametrize("command", COMMANDS)
def test_help_everywhere(command: str) -> None:
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0
    assert "Usage" in result.output


def test_no_arguments_prints_help() -> None:
    result = runner.invoke(app, [])
    assert result.exit_code == 0
    for command in COMMANDS:
        assert command in result.output


# --------------------------------------------------------------------------- report


def test_report_on_a_file_with_options(files: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "r"
    result = runner.invoke(
        app,
        [
            "report",
            str(files["victims"]),
            "-o",
            str(out),
            "--population",
            str(files["population"]),
            "--level",
            "0.95,0.998",
            "--min-count",
            "10",
            "--title",
            "National femicide report",
        ],
    )
    assert result.exit_code == 0, result.output
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "<h1>National femicide report</h1>" in html
    assert "99.8 % CI" in html
    assert "counts below 10 and the cells that would reveal them withheld" in html
    assert "Data source: victims.csv. Population: population.csv." in html
    for path in out.rglob("*"):
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), path


@pytest.mark.parametrize("suffix", ["csv", "parquet"])
def test_report_names_the_columns_absent_from_the_file(suffix: str, tmp_path: Path) -> None:
    victims = fs.datasets.example_victims().head(300).drop(columns=["hate_crime", "abduction"])
    path = tmp_path / f"victims.{suffix}"
    if suffix == "csv":
        victims.to_csv(path, index=False)
    else:
        victims.to_parquet(path)
    out = tmp_path / "r"
    result = runner.invoke(app, ["report", str(path), "-o", str(out)])
    assert result.exit_code == 0, result.output
    text = (out / "report.md").read_text(encoding="utf-8")
    note = next(line for line in text.splitlines() if "Columns absent from the input" in line)
    assert note.endswith("abduction, hate\\_crime.")  # Markdown escapes the underscore


def test_a_reader_error_never_quotes_a_cell(tmp_path: Path) -> None:
    path = tmp_path / "victims.csv"
    path.write_text("x\n1\n", encoding="utf-8")

    def failing() -> pd.DataFrame:
        raise ValueError(f"could not convert string to float: '{SECRET}' in line 2")

    with pytest.raises(cli._UserError) as caught:
        cli._guarded(path, failing)
    assert SECRET not in str(caught.value)
    assert "could not convert string to float: '…' in line 2" in str(caught.value)


def test_report_with_invalid_data_is_one_line_without_the_values(
    files: dict[str, Path], tmp_path: Path
) -> None:
    result = runner.invoke(app, ["report", str(files["bad"]), "-o", str(tmp_path / "r")])
    assert result.exit_code == 2
    line = one_line_error(result.output)
    assert "2 problem(s)" in line and "femstat validate" in line
    assert SECRET not in result.output and "'X'" not in result.output
    assert not (tmp_path / "r" / "report.html").exists()


# --------------------------------------------------------------------------- validate


def test_validate_good_file(files: dict[str, Path]) -> None:
    result = runner.invoke(app, ["validate", str(files["victims"])])
    assert result.exit_code == 0, result.output
    assert "femstat validation: 20,000 rows" in result.output
    assert "the file can be used" in result.output


def test_validate_parquet_file(files: dict[str, Path]) -> None:
    result = runner.invoke(app, ["validate", str(files["victims_parquet"])])
    assert result.exit_code == 0, result.output
    assert "500 rows" in result.output


def test_validate_bad_file_prints_the_failure_table_and_exits_1(files: dict[str, Path]) -> None:
    result = runner.invoke(app, ["validate", str(files["bad"])])
    assert result.exit_code == 1
    assert "2 problem(s)" in result.output
    assert "Problems found" in result.output
    for text in ("victim_sex", "relationship", "column", "check", "rows"):
        assert text in result.output
    assert "What to do" in result.output


def test_validate_with_a_toml_mapping(tmp_path: Path) -> None:
    mapping = tmp_path / "register.toml"
    mapping.write_text(
        textwrap.dedent(
            """
            [columns.sexo]
            to = "victim_sex"
            codes = { "1" = "male", "2" = "female" }
            unknown = ["9"]

            [columns.edad]
            to = "victim_age"
            unknown = [999]

            [columns.vinculo]
            to = "relationship"
            codes = { pareja = "current_partner", padre = "parent" }
            unknown = ["sd"]

            [columns.anio]
            to = "year"
            """
        )
    )
    data = tmp_path / "register.csv"
    pd.DataFrame(
        {
            "sexo": ["2", "1", "9", "2"],
            "edad": ["34", "999", "0", "61"],
            "vinculo": ["pareja", "padre", "sd", "pareja"],
            "anio": [2020, 2020, 2021, 2021],
        }
    ).to_csv(data, index=False)
    assert runner.invoke(app, ["validate", str(data)]).exit_code == 1
    result = runner.invoke(app, ["validate", str(data), "--mapping", str(mapping)])
    assert result.exit_code == 0, result.output
    assert "4 rows" in result.output


# --------------------------------------------------------------------------- classify


def test_classify_writes_the_records_with_their_type(
    files: dict[str, Path], tmp_path: Path, typed: pd.DataFrame
) -> None:
    out = tmp_path / "typed.csv"
    result = runner.invoke(app, ["classify", str(files["victims"]), "-o", str(out)])
    assert result.exit_code == 0, result.output
    back = pd.read_csv(out, keep_default_na=False)
    assert back["femicide_type"].tolist() == typed["femicide_type"].astype(str).tolist()
    assert back["victim_id"].tolist() == typed["victim_id"].tolist()
    met = back.loc[back["femicide_type"] == "other_perpetrator", "criteria_met"]
    assert (met != "").all()
    assert set(";".join(met).split(";")) <= set(fs.codes.CRITERIA)
    meta = read_metadata(out)
    assert meta["rule_set"] == "UN_2022" and meta["source"] == "victims.csv"
    assert "Wrote" in result.output


def test_classify_to_parquet_and_excel(files: dict[str, Path], tmp_path: Path) -> None:
    for name in ("typed.parquet", "typed.xlsx"):
        out = tmp_path / name
        result = runner.invoke(app, ["classify", str(files["victims_parquet"]), "-o", str(out)])
        assert result.exit_code == 0, result.output
        back = pd.read_parquet(out) if name.endswith("parquet") else pd.read_excel(out)
        assert len(back) == 500 and "femicide_type" in back.columns
        assert read_metadata(out)["table"] == "classified victim records"


def test_classify_refuses_sdmx(files: dict[str, Path], tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["classify", str(files["victims"]), "-o", str(tmp_path / "x.sdmx.csv")]
    )
    assert result.exit_code == 2
    assert "use .csv, .xlsx or .parquet" in one_line_error(result.output)


# --------------------------------------------------------------------------- indicators


@pytest.mark.parametrize("name", ["ind.csv", "ind.xlsx", "ind.parquet"])
def test_indicators_by_year_and_area_in_each_format(
    files: dict[str, Path], tmp_path: Path, typed: pd.DataFrame, name: str
) -> None:
    out = tmp_path / name
    result = runner.invoke(
        app,
        [
            "indicators",
            str(files["victims"]),
            "--by",
            "year,area",
            "--population",
            str(files["population"]),
            "-o",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    population = population_for(fs.datasets.example_population(), ["year", "area"])
    raw = fs.indicators(typed, ["year", "area"], population=population)
    expected = fs.protect({"t": raw}, min_count=5)["t"]
    assert "Counts from 1 to 4 suppressed, and" in result.output
    if name.endswith(".csv"):
        back = pd.read_csv(out)
    elif name.endswith(".xlsx"):
        back = pd.read_excel(out, sheet_name="data")
    else:
        back = pd.read_parquet(out)
    assert len(back) == len(expected)
    np.testing.assert_array_equal(
        back["count"].to_numpy(dtype=float, na_value=np.nan),
        expected["count"].to_numpy(dtype=float, na_value=np.nan),
    )
    np.testing.assert_allclose(
        back["rate"].to_numpy(dtype=float, na_value=np.nan),
        expected["rate"].to_numpy(dtype=float, na_value=np.nan),
    )
    meta = read_metadata(out)
    assert meta["suppression"]["min_count"] == 5
    assert meta["population_source"] == "population.csv"
    assert meta["levels"] == [0.95]


def test_indicators_to_sdmx_csv(files: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "ind.sdmx.csv"
    result = runner.invoke(
        app,
        [
            "indicators",
            str(files["victims"]),
            "--by",
            "year",
            "-p",
            str(files["population"]),
            "-o",
            str(out),
            "--ref-area",
            "MEX",
            "--level",
            "0.9",
        ],
    )
    assert result.exit_code == 0, result.output
    sdmx = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert list(sdmx.columns[:9]) == [
        "STRUCTURE",
        "STRUCTURE_ID",
        "ACTION",
        "REF_AREA",
        "TIME_PERIOD",
        "SEX",
        "AGE",
        "FEMICIDE_TYPE",
        "UNIT_MEASURE",
    ]
    assert set(sdmx["REF_AREA"]) == {"MEX"}
    assert set(sdmx.loc[sdmx["UNIT_MEASURE"] != "NUMBER", "CONF_LEVEL"]) == {"0.9"}


def test_indicators_printed_without_output(files: dict[str, Path], typed: pd.DataFrame) -> None:
    result = runner.invoke(app, ["indicators", str(files["victims"]), "--by", ""])
    assert result.exit_code == 0, result.output
    female_homicide = int((typed["femicide_type"] != "out_of_scope").sum())
    line = next(x for x in result.output.splitlines() if "female_homicide" in x)
    assert f"{female_homicide:,}" in line


def test_indicators_age_standardised(files: dict[str, Path], tmp_path: Path) -> None:
    bands = fs.stats.standard_population("esp2013").labels
    population = tmp_path / "pop5.csv"
    pd.DataFrame(
        [(year, band, 100_000) for year in range(2015, 2025) for band in bands],
        columns=["year", "age_group", "population"],
    ).to_csv(population, index=False)
    out = tmp_path / "asr.csv"
    result = runner.invoke(
        app,
        [
            "indicators",
            str(files["victims"]),
            "-p",
            str(population),
            "--standard",
            "esp2013",
            "-o",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    back = pd.read_csv(out)
    assert {"year", "count", "crude_rate", "rate", "rate_lower", "rate_upper"} <= set(back)
    assert read_metadata(out)["standard"] == "esp2013"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--level", "abc"], "--level: 'abc' is not a confidence level"),
        (["--level", "95"], "--level: '95' is not a confidence level"),
        (["--min-count", "0"], "--min-count"),
        (["--rate-method", "wald"], "--rate-method"),
        (["--by", "mechanism", "-p", "POP"], "the population has no column(s) ['mechanism']"),
        (["--by", "no_such_column"], "no_such_column"),
        (["-o", "out.txt"], "cannot tell the output format of 'out.txt'"),
        (["-p", "missing.csv"], "no such file: missing.csv"),
        (["--standard", "esp2013"], "--standard needs --population"),
        (["--ref-area", "MEX", "-o", "out.csv"], "--ref-area applies to SDMX-CSV output only"),
        (["--ref-area", "MEX"], "--ref-area applies to SDMX-CSV output only"),
    ],
)
def test_indicators_user_mistakes_are_one_line(
    files: dict[str, Path], tmp_path: Path, args: list[str], message: str
) -> None:
    args = [str(files["population"]) if a == "POP" else a for a in args]
    args = [str(tmp_path / a) if a in ("out.txt", "out.csv") else a for a in args]
    result = runner.invoke(app, ["indicators", str(files["victims"]), *args])
    assert result.exit_code == 2, result.output
    assert message in one_line_error(result.output)


# --------------------------------------------------------------------------- schema


def test_schema_yaml() -> None:
    result = runner.invoke(app, ["schema", "--format", "yaml"])
    assert result.exit_code == 0
    assert result.output == fs.victim_yaml_schema()


# --------------------------------------------------------------------------- python -m


def run_module(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "femstat", *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=cwd,
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["report", "--bogus"], "No such option: --bogus"),
        (["classify", "nope.csv", "-o", "x.csv"], "no such file: nope.csv"),
    ],
)
def test_python_m_usage_errors_are_one_line(args: list[str], message: str) -> None:
    done = run_module(*args)
    assert done.returncode == 2
    assert message in one_line_error(done.stderr)
    assert done.stdout == ""


def test_python_m_report_without_arguments_writes_the_example_report(
    tmp_path: Path, typed: pd.DataFrame
) -> None:
    # The README's first command, as a user runs it: no arguments, in a fresh folder.
    done = run_module("report", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    out = tmp_path / "femstat-report"
    assert (out / "report.html").exists() and (out / "report.md").exists()
    assert len(list(out.glob("chart-*.png"))) == 8
    assert "Wrote femstat-report/report.html and femstat-report/report.md" in done.stdout
    femicide = typed["femicide_type"].isin(
        ["intimate_partner", "family_member", "other_perpetrator"]
    )
    assert f"{int(femicide.sum()):,}" in done.stdout
    html = (out / "report.html").read_text(encoding="utf-8")
    assert html.count("data:image/png;base64,") == 8
    assert "bundled example data" in html
    assert "Rates by year (per 100,000 women)" in html  # the example population is used


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["schema", "--format", "xml"], "--format"),
        (["indicators"], "Missing argument"),
        (["report", "--level", "1.5"], "--level"),
        (["report", "--standard", "who"], "--standard"),
    ],
)
def test_usage_errors_are_one_line(args: list[str], message: str) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert message in one_line_error(result.output)


def test_python_m_schema_json() -> None:
    done = run_module("schema")
    assert done.returncode == 0
    assert json.loads(done.stdout) == fs.victim_json_schema()


def test_compare_areas_with_a_reference(files: dict[str, Path], typed: pd.DataFrame) -> None:
    out = files["victims"].parent / "ratios.csv"
    args = ["compare", str(files["victims"]), "--by", "area", "-p", str(files["population"])]
    result = runner.invoke(app, [*args, "--reference", "R03", "-o", str(out), "--force"])
    assert result.exit_code == 0, result.output
    population = population_for(fs.datasets.example_population(), ["area"])
    expected = fs.rate_ratios(typed, by="area", population=population, reference="R03")
    back = pd.read_csv(out)
    assert back["area"].tolist() == expected["area"].astype(str).tolist()
    np.testing.assert_allclose(back["rate_ratio"], expected["rate_ratio"], rtol=1e-12)
    np.testing.assert_allclose(back["p_value"], expected["p_value"], rtol=1e-12)
    assert read_metadata(out)["comparison"] == "rate_ratios"
    # Every area is withheld at a threshold above its count, with what it gives.
    high = runner.invoke(app, [*args, "--min-count", "1000"])
    assert high.exit_code == 0, high.output
    assert "11 comparison(s) withheld" in high.output
    assert high.output.count("[c]") == 11 * 6  # count, rate, ratio, its limits, p-value


def test_compare_year_on_year(files: dict[str, Path]) -> None:
    result = runner.invoke(
        app,
        [
            "compare",
            str(files["victims"]),
            "--by",
            "year",
            "-p",
            str(files["population"]),
            "--reference",
            "previous",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "2016" in result.output and "2015" in result.output


def test_estimate_between_the_bounds(files: dict[str, Path], typed: pd.DataFrame) -> None:
    out = files["victims"].parent / "estimates.csv"
    result = runner.invoke(
        app,
        [
            "estimate",
            str(files["victims"]),
            "--by",
            "year",
            "--imputations",
            "3",
            "--seed",
            "7",
            "-o",
            str(out),
            "--force",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "Multiple imputation, m = 3, seed 7" in result.output
    table = pd.read_csv(out)
    femicide = table[table["femicide_type"] == "femicide"].set_index("year")
    bounds = fs.bounds(typed, by="year").set_index("year")
    assert femicide["bound_lower"].tolist() == bounds["lower"].tolist()
    assert femicide["bound_upper"].tolist() == bounds["upper"].tolist()
    assert (femicide["bound_lower"] <= femicide["estimate"]).all()
    assert (femicide["estimate"] <= femicide["bound_upper"]).all()
    meta = read_metadata(out)
    assert meta["estimate"]["m"] == 3 and meta["estimate"]["seed"] == 7
