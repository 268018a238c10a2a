"""The femstat command on hostile input: odd codes, damaged files, other delimiters and
encodings, outputs that would replace a file. Every failure is one line and exit code 1
or 2, never a traceback, never a cell of the file."""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner, Result

import femstat as fs
from femstat import cli
from femstat.cli import app

runner = CliRunner()
SECRET = "SECRET-NARRATIVE-5d0e"
HEADER = "victim_id,year,area,iccs_code,victim_sex,victim_age,relationship,narrative"
AREAS = ["1.1", "1.10", "1.10", "01", "1", "1", "1", "01"]


def one_line_error(output: str) -> str:
    lines = [line for line in output.strip().splitlines() if line.strip()]
    assert len(lines) == 1, output
    assert lines[0].startswith("femstat: error: "), output
    assert "Traceback" not in output
    return lines[0]


def area_csv(path: Path, sep: str = ",", encoding: str = "utf-8", area: str = "") -> Path:
    rows = [HEADER.replace(",", sep)]
    for k, code in enumerate(AREAS):
        cells = [f"v{k}", "2020", area or code, "0101", "female", "30", "intimate_partner"]
        rows.append(sep.join([*cells, SECRET]))
    path.write_bytes(("\n".join(rows) + "\n").encode(encoding))
    return path


@pytest.fixture(scope="module")
def victims(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("victims") / "victims.csv"
    frame = fs.datasets.example_victims().head(300)
    frame["narrative"] = SECRET
    frame.to_csv(path, index=False)
    return path


# --------------------------------------------------------------------------- column types


def test_indicators_by_area_keeps_codes_apart(tmp_path: Path) -> None:
    path = area_csv(tmp_path / "v.csv")
    out = tmp_path / "out.csv"
    result = runner.invoke(
        app, ["indicators", str(path), "--by", "area", "--min-count", "1", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out, dtype=str, keep_default_na=False)
    femicide = table[table["femicide_type"] == "femicide"].set_index("area")["count"]
    assert femicide.to_dict() == {"01": "2", "1": "3", "1.1": "1", "1.10": "2"}


def test_the_population_keys_are_read_as_text_too(tmp_path: Path) -> None:
    path = area_csv(tmp_path / "v.csv")
    population = tmp_path / "pop.csv"
    population.write_text(
        "year,area,population\n2020,01,1000\n2020 ,1, 2000\n2020,1.1,3000\n2020,1.10,4000\n",
        encoding="utf-8",
    )
    out = tmp_path / "out.csv"
    args = ["indicators", str(path), "--by", "year,area", "-p", str(population)]
    result = runner.invoke(app, [*args, "--min-count", "1", "-o", str(out)])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out, dtype={"area": str})
    femicide = table[table["femicide_type"] == "femicide"].set_index("area")
    # each area meets its own denominator: none merged, none missing
    population = femicide["population"].astype(float).to_dict()
    assert population == {"01": 1000, "1": 2000, "1.1": 3000, "1.10": 4000}
    expected = {"01": 2 / 1000, "1": 3 / 2000, "1.1": 1 / 3000, "1.10": 2 / 4000}
    for area, rate in expected.items():
        assert femicide.loc[area, "rate"] == pytest.approx(rate * 1e5)


def test_a_population_that_is_not_a_number_is_an_error(tmp_path: Path) -> None:
    path = area_csv(tmp_path / "v.csv")
    population = tmp_path / "pop.csv"
    population.write_text("year,population\n2020,12.000 mil\n", encoding="utf-8")
    result = runner.invoke(app, ["indicators", str(path), "-p", str(population)])
    assert result.exit_code == 2
    assert "column 'population' holds 1 value(s) that are not numbers" in one_line_error(
        result.output
    )


# --------------------------------------------------------------------------- writing files


def test_the_input_is_never_overwritten(victims: Path, tmp_path: Path) -> None:
    before = victims.read_bytes()
    spellings = [
        victims,
        victims.parent / "sub" / ".." / victims.name,
        Path(os.path.relpath(victims)),
    ]
    for output in spellings:
        for force in ([], ["--force"]):
            result = runner.invoke(app, ["indicators", str(victims), "-o", str(output), *force])
            assert result.exit_code == 2, result.output
            assert "would replace the input file victims.csv" in one_line_error(result.output)
    link = tmp_path / "link.csv"
    os.link(victims, link)
    result = runner.invoke(app, ["classify", str(victims), "-o", str(link), "--force"])
    assert result.exit_code == 2
    assert "would replace the input file" in one_line_error(result.output)
    assert victims.read_bytes() == before


def test_the_population_and_mapping_are_inputs_too(victims: Path, tmp_path: Path) -> None:
    population = tmp_path / "pop.csv"
    fs.datasets.example_population().to_csv(population, index=False)
    result = runner.invoke(
        app, ["indicators", str(victims), "-p", str(population), "-o", str(population)]
    )
    assert result.exit_code == 2
    assert "input file pop.csv" in one_line_error(result.output)
    # a CSV output's sidecar counts as well: out.csv writes out.metadata.json
    sidecar_victim = tmp_path / "out.metadata.json"
    sidecar_victim.write_bytes(victims.read_bytes())
    result = runner.invoke(
        app, ["indicators", str(sidecar_victim), "-o", str(tmp_path / "out.csv"), "--force"]
    )
    assert result.exit_code == 2, result.output
    assert "out.metadata.json would replace the input" in one_line_error(result.output)


def test_an_existing_output_needs_force(victims: Path, tmp_path: Path) -> None:
    out = tmp_path / "classified.csv"
    out.write_text("keep me\n", encoding="utf-8")
    result = runner.invoke(app, ["classify", str(victims), "-o", str(out)])
    assert result.exit_code == 2
    assert "exists already; pass --force" in one_line_error(result.output)
    assert out.read_text(encoding="utf-8") == "keep me\n"
    result = runner.invoke(app, ["classify", str(victims), "-o", str(out), "--force"])
    assert result.exit_code == 0, result.output
    assert "femicide_type" in out.read_text(encoding="utf-8")
    # the sidecar alone exists: still asks
    fresh = tmp_path / "table.csv"
    (tmp_path / "table.metadata.json").write_text("{}", encoding="utf-8")
    result = runner.invoke(app, ["indicators", str(victims), "-o", str(fresh)])
    assert result.exit_code == 2
    assert "table.metadata.json exists already" in one_line_error(result.output)


def test_the_report_folder(victims: Path, tmp_path: Path) -> None:
    folder = tmp_path / "r"
    (folder / "tables").mkdir(parents=True)
    inside = folder / "tables" / "victims.csv"
    inside.write_bytes(victims.read_bytes())
    result = runner.invoke(app, ["report", str(inside), "-o", str(folder), "--force"])
    assert result.exit_code == 2
    assert "where the input file victims.csv lies" in one_line_error(result.output)
    assert inside.read_bytes() == victims.read_bytes()

    other = tmp_path / "earlier"
    other.mkdir()
    (other / "notes.txt").write_text("mine", encoding="utf-8")
    result = runner.invoke(app, ["report", str(victims), "-o", str(other)])
    assert result.exit_code == 2
    assert "is not empty; pass --force" in one_line_error(result.output)
    assert not (other / "report.html").exists()
    result = runner.invoke(app, ["report", str(victims), "-o", str(other), "--force"])
    assert result.exit_code == 0, result.output
    assert (other / "report.html").exists()
    assert (other / "notes.txt").read_text(encoding="utf-8") == "mine"


# --------------------------------------------------------------------------- delimiter, encoding


def test_delimiter_and_encoding_options(tmp_path: Path) -> None:
    semicolon = area_csv(tmp_path / "semi.csv", sep=";")
    result = runner.invoke(app, ["validate", str(semicolon)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["validate", str(semicolon), "--delimiter", ","])
    assert result.exit_code == 2
    assert "delimiter looks wrong" in one_line_error(result.output)
    assert "--delimiter ';'" in result.output

    tab = area_csv(tmp_path / "tab.csv", sep="\t")
    result = runner.invoke(app, ["validate", str(tab), "--delimiter", "tab"])
    assert result.exit_code == 0, result.output

    latin = area_csv(tmp_path / "latin.csv", encoding="cp1252", area="Peñalolén")
    result = runner.invoke(app, ["validate", str(latin)])
    assert result.exit_code == 2
    line = one_line_error(result.output)
    assert "not valid utf-8" in line and "--encoding cp1252" in line
    result = runner.invoke(app, ["validate", str(latin), "--encoding", "cp1252"])
    assert result.exit_code == 0, result.output

    parquet = tmp_path / "v.parquet"
    fs.read(semicolon).to_parquet(parquet)
    result = runner.invoke(app, ["validate", str(parquet), "--encoding", "cp1252"])
    assert result.exit_code == 2
    assert "--encoding apply to CSV files only" in one_line_error(result.output)


def test_max_decompressed(tmp_path: Path) -> None:
    path = tmp_path / "v.csv.gz"
    path.write_bytes(gzip.compress(HEADER.encode() + b"\n" + b"0" * (8 * 2**20)))
    result = runner.invoke(app, ["validate", str(path), "--max-decompressed", "1MiB"])
    assert result.exit_code == 2
    assert "expands to more than 1.0 MiB once decompressed" in one_line_error(result.output)
    result = runner.invoke(app, ["validate", str(path), "--max-decompressed", "lots"])
    assert result.exit_code == 2
    assert "--max-decompressed: 'lots' is not a size" in one_line_error(result.output)
    assert cli._parse_size("2GiB") == 2 * 2**30
    assert cli._parse_size("500MB") == 500 * 10**6
    assert cli._parse_size("1024") == 1024
    for bad in ("0", "0.5", "-1", "4 parsecs"):
        with pytest.raises(cli._UserError, match="is not a size"):
            cli._parse_size(bad)


# --------------------------------------------------------------------------- no bare "aborted"


@pytest.mark.parametrize(
    ("raised", "code", "message"),
    [
        (EOFError("Compressed file ended"), 2, "input ended unexpectedly"),
        (KeyboardInterrupt(), 130, "interrupted"),
        (RuntimeError(SECRET), 70, "internal error (RuntimeError)"),
    ],
)
def test_what_used_to_be_aborted_or_a_traceback(
    raised: BaseException, code: int, message: str, victims: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def failing(*args: object, **kwargs: object) -> None:
        raise raised

    monkeypatch.setattr(fs, "read", failing)
    monkeypatch.delenv("FEMSTAT_TRACEBACK", raising=False)
    result = runner.invoke(app, ["validate", str(victims)])
    assert result.exit_code == code
    line = one_line_error(result.output)
    assert message in line and "aborted" not in line and SECRET not in line


# --------------------------------------------------------------------------- hostile files


def _good_files(folder: Path) -> dict[str, Path]:
    frame = fs.datasets.example_victims().head(200)
    frame["narrative"] = SECRET
    paths = {name: folder / f"v.{name}" for name in ("csv", "parquet", "xlsx", "sav", "dta")}
    frame.to_csv(paths["csv"], index=False)
    frame.to_parquet(paths["parquet"])
    frame.to_excel(paths["xlsx"], index=False)
    numeric = frame[["year", "victim_age"]].astype(float)
    numeric["narrative"] = SECRET
    pyreadstat.write_sav(numeric, str(paths["sav"]))
    pyreadstat.write_dta(numeric, str(paths["dta"]))
    paths["csv.gz"] = folder / "v.csv.gz"
    paths["csv.gz"].write_bytes(gzip.compress(paths["csv"].read_bytes()))
    paths["csv.zip"] = folder / "v.csv.zip"
    with zipfile.ZipFile(paths["csv.zip"], "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(paths["csv"], "v.csv")
    return paths


@pytest.fixture(scope="module")
def good_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return _good_files(tmp_path_factory.mktemp("good"))


# A plain CSV cut at any point can still be a valid (shorter) table; every other format
# has a structure that a cut breaks.
DAMAGEABLE = ["csv.gz", "csv.zip", "parquet", "xlsx", "sav", "dta"]


def check_result(result: Result) -> None:
    """An in-process run: the command itself reported the failure (CliRunner would
    otherwise catch an escaped exception and show no traceback)."""
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    check_failure(result.exit_code, result.output)


def check_failure(code: int, output: str) -> None:
    assert code in (1, 2), output
    assert "Traceback" not in output
    assert "internal error" not in output
    assert "aborted" not in output
    assert SECRET not in output


@pytest.mark.parametrize("fmt", DAMAGEABLE)
@pytest.mark.parametrize("fraction", [0.0, 0.1, 0.5, 0.9, 0.99])
def test_truncated_files(
    fmt: str, fraction: float, good_files: dict[str, Path], tmp_path: Path
) -> None:
    data = good_files[fmt].read_bytes()
    path = tmp_path / good_files[fmt].name
    path.write_bytes(data[: int(len(data) * fraction)])
    for command in (["validate"], ["indicators", "--by", "year"]):
        result = runner.invoke(app, [*command, str(path)])
        check_result(result)


SUFFIXES = ["csv", "csv.gz", "csv.zip", "parquet", "xlsx", "sav", "dta", "txt"]


@pytest.mark.slow
@settings(max_examples=60)
@given(
    suffix=st.sampled_from(SUFFIXES),
    head=st.sampled_from([b"", b"\x1f\x8b", b"PK\x03\x04", b"PAR1", HEADER.encode() + b"\n"]),
    body=st.binary(max_size=3000),
)
def test_random_bytes(suffix: str, head: bytes, body: bytes) -> None:
    # tmp_path is one folder per test, not per example: each example gets its own
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"v.{suffix}"
        path.write_bytes(head + body)
        for command in (["validate"], ["indicators", "--by", ""]):
            result = runner.invoke(app, [*command, str(path)])
            check_result(result)


def run_femstat(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "femstat", *args], capture_output=True, text=True, check=False
    )


@pytest.mark.parametrize(
    ("fmt", "command"),
    [
        ("csv.gz", "validate"),
        ("parquet", "indicators"),
        ("sav", "validate"),
        ("xlsx", "indicators"),
    ],
)
def test_truncated_files_in_a_real_process(
    fmt: str, command: str, good_files: dict[str, Path], tmp_path: Path
) -> None:
    data = good_files[fmt].read_bytes()
    path = tmp_path / good_files[fmt].name
    path.write_bytes(data[: len(data) * 2 // 3])
    done = run_femstat(command, str(path))
    check_failure(done.returncode, done.stdout + done.stderr)
    assert done.stderr.startswith("femstat: error: cannot read "), done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_random_bytes_in_a_real_process(tmp_path: Path) -> None:
    rng = np.random.default_rng(2022)
    path = tmp_path / "v.csv"
    path.write_bytes(rng.integers(0, 256, 5000, dtype=np.uint8).tobytes())
    done = run_femstat("indicators", str(path), "-o", str(tmp_path / "out.csv"))
    check_failure(done.returncode, done.stdout + done.stderr)
    assert not (tmp_path / "out.csv").exists()


def test_an_unknown_extension_is_named_in_the_error(tmp_path: Path) -> None:
    data = tmp_path / "victims.dat"
    data.write_text("year\n2020\n", encoding="utf-8")
    result = runner.invoke(app, ["validate", str(data)])
    assert result.exit_code == 2, result.output
    assert "cannot tell the format of 'victims.dat' from its extension" in result.output
    assert "'.csv'" in result.output and "'…'" not in result.output
