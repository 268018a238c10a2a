"""Identifiers never appear in what femstat says: errors, hints, warnings, tables, the CLI.

Every test plants recognisable secret ids and looks for them everywhere the user can
see: the message, the hint, ``failure_cases``, warnings and command output. Rows are
reported by number instead.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import femstat as fs
from femstat.cli import app
from femstat.stream import counts_from_file

SECRET = "SECRET-123"
OTHER = "SECRET-456"


def victims(n: int = 6, **overrides: object) -> pd.DataFrame:
    data: dict[str, object] = {
        "victim_id": [f"V-{i}" for i in range(n)],
        "event_id": [f"{SECRET}-event-{i}" for i in range(n)],
        "year": [2020] * n,
        "victim_sex": ["F"] * n,
        "victim_age": [30] * n,
        "relationship": ["husband"] * n,
    }
    data.update(overrides)
    return pd.DataFrame(data)


def with_duplicates(n: int = 6) -> pd.DataFrame:
    ids = [f"V-{i}" for i in range(n)]
    ids[0] = ids[3] = SECRET
    ids[1] = ids[4] = OTHER
    return victims(n, victim_id=ids)


def everything_shown(exc: fs.ValidationError) -> str:
    """Every text a user of the error can see."""
    cases = exc.failure_cases
    return "\n".join(
        [
            str(exc),
            repr(exc),
            str(exc.hint),
            cases.to_string(),
            cases.to_csv(),
            repr(cases.to_dict("records")),
        ]
    )


def assert_no_secret(text: str) -> None:
    assert SECRET not in text
    assert OTHER not in text
    assert "SECRET" not in text


def test_duplicate_ids_are_reported_by_row_only():
    with pytest.raises(fs.ValidationError) as info:
        fs.validate(with_duplicates())
    assert_no_secret(everything_shown(info.value))
    cases = info.value.failure_cases
    assert cases["rows"].tolist() == [[0, 3], [1, 4]]
    assert cases["value"].tolist() == ["<withheld>", "<withheld>"]
    assert "withheld" in str(info.value)


def test_the_hint_does_not_suggest_mapping_an_id():
    with pytest.raises(fs.ValidationError) as info:
        fs.validate(with_duplicates())
    assert info.value.hint is not None
    assert "mapping=" not in info.value.hint
    assert "victim_id" in info.value.hint


def test_integer_ids_are_withheld_too():
    with pytest.raises(fs.ValidationError) as info:
        fs.validate(victims(3, victim_id=[987654321, 5, 987654321]))
    assert "987654321" not in everything_shown(info.value)
    assert info.value.failure_cases["rows"].tolist() == [[0, 2]]


def test_container_ids_are_withheld():
    with pytest.raises(fs.ValidationError) as info:
        fs.validate(victims(2, victim_id=pd.Series([[SECRET], "V-1"], dtype=object)))
    assert_no_secret(everything_shown(info.value))


def test_unknown_victims_of_perpetrators_are_not_echoed():
    perpetrators = pd.DataFrame({"victim_id": ["V-0", SECRET], "relationship": ["husband"] * 2})
    with pytest.raises(fs.ValidationError) as info:
        fs.validate(victims(), perpetrators=perpetrators)
    assert_no_secret(everything_shown(info.value))
    assert info.value.failure_cases["rows"].tolist() == [[1]]


def test_duplicate_ids_next_to_other_problems():
    df = with_duplicates()
    df.loc[2, "victim_sex"] = "X"
    with pytest.raises(fs.ValidationError) as info:
        fs.validate(df)
    assert_no_secret(everything_shown(info.value))


def test_data_quality_warnings_and_report_hold_no_ids():
    df = victims(2, relationship=["stranger", "stranger"], prior_violence=[True, False])
    df["victim_id"] = [SECRET, OTHER]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fs.validate(df)
    assert caught and all(issubclass(w.category, fs.DataQualityWarning) for w in caught)
    assert_no_secret("\n".join(str(w.message) for w in caught))
    _, report = fs.validate(df, report=True)
    assert_no_secret(str(report) + report.warnings.to_string())


def test_femstat_validate_command(tmp_path: Path):
    path = tmp_path / "victims.csv"
    with_duplicates().to_csv(path, index=False)
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert result.exit_code == 1
    assert "victim_id" in result.output
    assert_no_secret(result.output)


def test_reader_errors(tmp_path: Path):
    path = tmp_path / "victims.csv"
    with_duplicates().to_csv(path, index=False)
    with pytest.raises(fs.ValidationError) as info:
        fs.read(path)
    assert_no_secret(everything_shown(info.value))


@pytest.mark.parametrize("batch_rows", [2, 100])  # across batches, and within one batch
def test_streaming(tmp_path: Path, batch_rows: int):
    path = tmp_path / "victims.csv"
    with_duplicates().to_csv(path, index=False)
    with pytest.raises(fs.ValidationError) as info:
        counts_from_file(path, ["year"], batch_rows=batch_rows)
    assert_no_secret(everything_shown(info.value))
    assert sorted(info.value.failure_cases["rows"].tolist()) == [[0, 3], [1, 4]]


def test_dask():
    dd = pytest.importorskip("dask.dataframe")
    import femstat.dask as fdask

    ddf = dd.from_pandas(with_duplicates(), npartitions=3)
    with pytest.raises(fs.ValidationError) as info:
        fdask.counts(ddf, ["year"])
    assert_no_secret(everything_shown(info.value))
    assert sorted(info.value.failure_cases["rows"].tolist()) == [[0, 3], [1, 4]]
