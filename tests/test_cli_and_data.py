"""The femstat command and the bundled example data."""

import gzip
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import femstat as fs
from femstat.cli import app

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()


def test_shipped_example_data_is_what_the_script_makes():
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import make_example_data
    finally:
        sys.path.pop(0)
    shipped = (ROOT / "src/femstat/data/example_victims.csv.gz").read_bytes()
    assert gzip.decompress(shipped) == make_example_data.victims_csv()
    population = (ROOT / "src/femstat/data/example_population.csv").read_bytes()
    assert population == make_example_data.population_csv()


def test_example_data_validates_without_warnings():
    _, report = fs.validate(fs.datasets.example_victims(), report=True)
    assert report.warnings.empty


def test_report_on_example_data_prints_the_typology(tmp_path):
    # report writes files (the HTML and Markdown report); keep them out of the checkout.
    result = runner.invoke(app, ["report", "-o", str(tmp_path / "report")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "report" / "report.html").exists()
    typed = fs.classify(fs.validate(fs.datasets.example_victims()))
    n_ip = (typed["femicide_type"] == "intimate_partner").sum()
    assert "intimate_partner" in result.output
    assert f"{n_ip:,}" in result.output


def test_validate_command_exit_codes(tmp_path):
    good = tmp_path / "good.csv"
    fs.datasets.example_victims().head(50).to_csv(good, index=False)
    assert runner.invoke(app, ["validate", str(good)]).exit_code == 0
    bad = tmp_path / "bad.csv"
    frame = pd.read_csv(good)
    frame.loc[3, "victim_sex"] = "X"
    frame.to_csv(bad, index=False)
    result = runner.invoke(app, ["validate", str(bad)])
    assert result.exit_code == 1
    assert "victim_sex" in result.output


def test_schema_command_prints_json_schema():
    result = runner.invoke(app, ["schema", "--format", "json"])
    assert result.exit_code == 0
    assert json.loads(result.output) == fs.victim_json_schema()


@pytest.mark.parametrize("args", [["report", "no-such-file.csv"], ["validate", "nope.csv"]])
def test_user_mistake_is_one_line_and_exit_2(args):
    done = subprocess.run(
        [sys.executable, "-m", "femstat", *args], capture_output=True, text=True, check=False
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert done.stderr.strip().startswith("femstat: error:")
    assert len(done.stderr.strip().splitlines()) == 1
