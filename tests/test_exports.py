"""Exports: CSV, Excel, Parquet and SDMX-CSV round-trip with their metadata."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import femstat as fs
from femstat.disclosure import suppression_reasons
from femstat.exports import (
    FEMICIDE_TYPE_CODES,
    SDMX_COLUMNS,
    ExportError,
    export,
    metadata,
    read_metadata,
    sdmx_age_code,
    sdmx_frame,
    sidecar_path,
    to_sdmx_csv,
)
from femstat.report import population_for

MIN_COUNT = 5


@pytest.fixture(scope="module")
def typed() -> pd.DataFrame:
    return fs.classify(fs.validate(fs.datasets.example_victims()))


@pytest.fixture(scope="module")
def table(typed: pd.DataFrame) -> pd.DataFrame:
    """Published indicators by year and area: two levels, small cells and complements hidden."""
    population = population_for(fs.datasets.example_population(), ["year", "area"])
    raw = fs.indicators(typed, by=["year", "area"], population=population, level=[0.95, 0.998])
    return fs.protect({"indicators": raw}, min_count=MIN_COUNT)["indicators"]


def _assert_same_values(table: pd.DataFrame, back: pd.DataFrame, *, reasons: bool) -> None:
    """``reasons``: CSV and Excel write why a row is hidden in ``suppressed``."""
    expected = [c for c in table.columns if not (reasons and c == "suppression")]
    assert list(back.columns) == expected
    assert len(back) == len(table)
    for column in ("year", "area", "femicide_type"):
        assert back[column].astype(str).tolist() == table[column].astype(str).tolist()
    np.testing.assert_array_equal(
        back["count"].to_numpy(dtype=float, na_value=np.nan),
        table["count"].to_numpy(dtype=float, na_value=np.nan),
    )
    for column in ("share", "share_lower_99_8", "rate", "rate_lower", "rate_upper_99_8"):
        np.testing.assert_allclose(
            back[column].to_numpy(dtype=float, na_value=np.nan),
            table[column].to_numpy(dtype=float, na_value=np.nan),
            rtol=1e-12,
        )
    if reasons:
        written = back["suppressed"].fillna("").astype(str).tolist()
        assert written == suppression_reasons(table).tolist()
        assert {"primary", "secondary"} <= set(written)
    else:
        assert back["suppressed"].astype(bool).tolist() == table["suppressed"].tolist()


def _assert_metadata(meta: dict[str, object], fmt: str) -> None:
    assert meta["femstat_version"] == fs.__version__
    assert meta["rule_set"] == "UN_2022"
    assert meta["levels"] == [0.95, 0.998]
    assert meta["share_method"] == "wilson"
    assert meta["rate_method"] == "exact"
    assert meta["suppression"] == {"min_count": MIN_COUNT, "suppress_zero": False}
    protection = meta["protection"]
    assert isinstance(protection, dict)
    assert protection["audit"]["passed"] is True
    assert protection["n_secondary"] > 0
    methods = meta["methods"]
    assert isinstance(methods, dict)
    assert "Wilson" in methods["share_interval"]
    assert "Garwood" in methods["rate_interval"]
    assert meta["source"] == "unit test"
    assert meta["format"] == fmt


def test_csv_round_trip_with_sidecar(table: pd.DataFrame, tmp_path: Path) -> None:
    path = export(table, tmp_path / "indicators.csv", metadata={"source": "unit test"})
    assert path == tmp_path / "indicators.csv"
    assert sidecar_path(path) == tmp_path / "indicators.metadata.json"
    back = pd.read_csv(path, dtype={"area": str})
    _assert_same_values(table, back, reasons=True)
    # The sidecar is plain JSON: any tool can read it, not only femstat.
    assert json.loads(sidecar_path(path).read_text())["rule_set"] == "UN_2022"
    _assert_metadata(read_metadata(path), "csv")


def test_excel_round_trip_with_metadata_sheet(table: pd.DataFrame, tmp_path: Path) -> None:
    path = export(table, tmp_path / "indicators.xlsx", metadata={"source": "unit test"})
    sheets = pd.read_excel(path, sheet_name=None)
    assert list(sheets) == ["data", "metadata"]
    _assert_same_values(table, sheets["data"].astype({"area": str}), reasons=True)
    assert set(sheets["metadata"].columns) == {"key", "value"}
    _assert_metadata(read_metadata(path), "excel")


def test_parquet_round_trip_with_schema_metadata(table: pd.DataFrame, tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    path = export(table, tmp_path / "indicators.parquet", metadata={"source": "unit test"})
    back = pd.read_parquet(path)
    _assert_same_values(table, back, reasons=False)
    assert back["count"].dtype == "Int64"  # suppressed counts stay missing, not NaN floats
    assert b"femstat" in pq.read_schema(path).metadata
    _assert_metadata(read_metadata(path), "parquet")


def test_format_option_overrides_the_name(table: pd.DataFrame, tmp_path: Path) -> None:
    path = export(table, tmp_path / "indicators.data", "parquet")
    assert pd.read_parquet(path).shape == table.shape


def test_unknown_extension_is_an_error_that_names_the_formats(
    table: pd.DataFrame, tmp_path: Path
) -> None:
    with pytest.raises(ExportError, match=r"\.csv, \.xlsx, \.parquet or \.sdmx\.csv"):
        export(table, tmp_path / "indicators.txt")
    assert not (tmp_path / "indicators.txt").exists()


def test_metadata_of_a_plain_frame_still_names_the_version() -> None:
    assert metadata(pd.DataFrame({"a": [1]})) == {"femstat_version": fs.__version__}


def test_metadata_extra_wins_and_is_json_safe(table: pd.DataFrame) -> None:
    meta = metadata(table, {"rule_set": "national", "n": np.int64(3)})
    assert meta["rule_set"] == "national"
    assert json.loads(json.dumps(meta))["n"] == 3


# --------------------------------------------------------------------------- SDMX-CSV


@pytest.fixture(scope="module")
def sdmx(table: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    path = tmp_path_factory.mktemp("sdmx") / "indicators.sdmx.csv"
    assert export(table, path) == path
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def test_sdmx_columns_in_order(sdmx: pd.DataFrame) -> None:
    assert tuple(sdmx.columns) == SDMX_COLUMNS
    assert set(sdmx["STRUCTURE"]) == {"dataflow"}
    assert set(sdmx["STRUCTURE_ID"]) == {"FEMSTAT:DF_FEMICIDE(1.0)"}
    assert set(sdmx["ACTION"]) == {"I"}


def test_sdmx_dimension_codes(sdmx: pd.DataFrame, table: pd.DataFrame) -> None:
    assert set(sdmx["REF_AREA"]) == set(table["area"].astype(str))
    assert set(sdmx["TIME_PERIOD"]) == {str(y) for y in range(2015, 2025)}
    assert set(sdmx["SEX"]) == {"F", "M"}
    assert set(sdmx.loc[sdmx["SEX"] == "M", "FEMICIDE_TYPE"]) == {"PARTNER_OR_FAMILY"}
    assert set(sdmx["AGE"]) == {"_T"}
    assert set(sdmx["FEMICIDE_TYPE"]) == set(FEMICIDE_TYPE_CODES.values())
    assert "OUT_OF_SCOPE" not in set(sdmx["FEMICIDE_TYPE"])
    assert set(sdmx["UNIT_MEASURE"]) == {"NUMBER", "PERCENT", "PER_100000_POP"}


def test_sdmx_attributes_carry_the_metadata(sdmx: pd.DataFrame) -> None:
    assert set(sdmx["RULE_SET"]) == {"UN_2022"}
    assert set(sdmx["FEMSTAT_VERSION"]) == {fs.__version__}
    numbers = sdmx[sdmx["UNIT_MEASURE"] == "NUMBER"]
    assert set(numbers["CONF_LEVEL"]) == {""}  # counts are exact: no interval
    estimates = sdmx[sdmx["UNIT_MEASURE"] != "NUMBER"]
    assert set(estimates["CONF_LEVEL"]) == {"0.95"}
    assert set(sdmx.loc[sdmx["UNIT_MEASURE"] == "PERCENT", "CI_METHOD"]) == {"WILSON"}
    assert set(sdmx.loc[sdmx["UNIT_MEASURE"] == "PER_100000_POP", "CI_METHOD"]) == {"POISSON_EXACT"}


def test_sdmx_values_match_the_table(sdmx: pd.DataFrame, table: pd.DataFrame) -> None:
    female = table[table["femicide_type"].astype(str) == "femicide"]
    row = female[(female["year"] == 2020) & (female["area"].astype(str) == "R01")].iloc[0]
    obs = sdmx[
        (sdmx["TIME_PERIOD"] == "2020")
        & (sdmx["REF_AREA"] == "R01")
        & (sdmx["FEMICIDE_TYPE"] == "FEMICIDE")
    ].set_index("UNIT_MEASURE")
    assert obs.loc["NUMBER", "OBS_VALUE"] == str(int(row["count"]))  # "113", not "113.0"
    assert float(obs.loc["PERCENT", "OBS_VALUE"]) == pytest.approx(row["share"] * 100)
    assert float(obs.loc["PERCENT", "LOWER_BOUND"]) == pytest.approx(row["share_lower"] * 100)
    assert float(obs.loc["PER_100000_POP", "OBS_VALUE"]) == pytest.approx(row["rate"])
    assert float(obs.loc["PER_100000_POP", "UPPER_BOUND"]) == pytest.approx(row["rate_upper"])


def test_sdmx_marks_suppressed_and_unreliable_cells(
    sdmx: pd.DataFrame, table: pd.DataFrame
) -> None:
    n_suppressed = int(table["suppressed"].sum())
    assert n_suppressed > 0, "the example should have small cells by year and area"
    hidden = sdmx[sdmx["OBS_STATUS"] == "Q"]
    assert (hidden["OBS_VALUE"] == "").all()
    assert set(hidden["CONF_STATUS"]) == {"C", "D"}
    assert (sdmx.loc[sdmx["CONF_STATUS"].isin(["C", "D"]), "OBS_STATUS"] == "Q").all()
    counts = hidden[hidden["UNIT_MEASURE"] == "NUMBER"]
    assert len(counts) == n_suppressed
    # Primary cells are C, the complements that protect them D (SDMX CL_CONF_STATUS).
    reasons = pd.Series(suppression_reasons(table)).value_counts()
    assert (counts["CONF_STATUS"] == "C").sum() == reasons["primary"]
    assert (counts["CONF_STATUS"] == "D").sum() == reasons["secondary"]
    assert set(sdmx["OBS_STATUS"]) <= {"A", "U", "Q", "M"}
    unreliable = sdmx[sdmx["OBS_STATUS"] == "U"]
    assert len(unreliable) > 0
    assert set(unreliable["UNIT_MEASURE"]) <= {"PERCENT", "PER_100000_POP"}


def test_sdmx_age_codes() -> None:
    assert sdmx_age_code("0-9") == "Y0T9"
    assert sdmx_age_code("15-17") == "Y15T17"
    assert sdmx_age_code("60+") == "Y_GE60"
    assert sdmx_age_code("90+") == "Y_GE90"
    assert sdmx_age_code("unknown") == "_U"
    assert sdmx_age_code(None) == "_T"


def test_sdmx_by_age_group_and_other_breakdowns(typed: pd.DataFrame) -> None:
    table = fs.indicators(typed, by=["year", "age_group", "mechanism"])
    frame = sdmx_frame(table, ref_area="MEX", min_count=1)  # the codes, not the suppression
    assert set(frame["REF_AREA"]) == {"MEX"}
    assert set(frame["AGE"]) == {
        "Y0T9",
        "Y10T14",
        "Y15T17",
        "Y18T19",
        "Y20T24",
        "Y25T29",
        "Y30T44",
        "Y45T59",
        "Y_GE60",
        "_U",
    }
    columns = list(frame.columns)
    assert columns.index("MECHANISM") == columns.index("FEMICIDE_TYPE") + 1
    assert columns.index("UNIT_MEASURE") == columns.index("MECHANISM") + 1
    # No population: no rates, so only counts and shares.
    assert set(frame["UNIT_MEASURE"]) == {"NUMBER", "PERCENT"}


def test_sdmx_without_year_needs_a_time_period(typed: pd.DataFrame, tmp_path: Path) -> None:
    table = fs.indicators(typed)
    with pytest.raises(ExportError, match="time_period"):
        to_sdmx_csv(table, tmp_path / "x.sdmx.csv")
    frame = sdmx_frame(table, time_period="2015/2024")
    assert set(frame["TIME_PERIOD"]) == {"2015/2024"}
    assert set(frame["REF_AREA"]) == {"_T"}


def test_sdmx_refuses_a_table_that_is_not_an_indicator_table(tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="indicator table"):
        export(pd.DataFrame({"year": [2020], "x": [1]}), tmp_path / "x.sdmx.csv")


def test_sdmx_of_a_twice_suppressed_table_marks_every_hidden_count(
    table: pd.DataFrame, tmp_path: Path
) -> None:
    twice = fs.suppress(table, MIN_COUNT)
    for frame in (twice, twice.drop(columns="suppressed")):  # marks kept, or even lost
        sdmx = pd.read_csv(to_sdmx_csv(frame, tmp_path / "t.sdmx.csv"))
        numbers = sdmx[sdmx["UNIT_MEASURE"] == "NUMBER"]
        confidential = numbers["CONF_STATUS"].isin(["C", "D"])
        assert confidential.sum() == int(table["suppressed"].sum())
        assert numbers.loc[confidential, "OBS_VALUE"].isna().all()
        assert (numbers.loc[confidential, "OBS_STATUS"] == "Q").all()
        assert numbers.loc[~confidential, "OBS_VALUE"].notna().all()


@pytest.mark.parametrize("name", ["t.csv", "t.xlsx", "t.parquet", "t.sdmx.csv"])
def test_every_export_keeps_hidden_counts_hidden(
    table: pd.DataFrame, tmp_path: Path, name: str
) -> None:
    pytest.importorskip("pyarrow")
    pytest.importorskip("openpyxl")
    hidden = table["suppressed"].to_numpy(dtype=bool)
    tampered = table.copy()
    # The hidden counts written back into the table after suppression.
    tampered["count"] = pd.array(np.where(hidden, 3, tampered["count"]), dtype="Int64")
    path = export(tampered, tmp_path / name)
    if name.endswith(".sdmx.csv"):
        numbers = pd.read_csv(path).query("UNIT_MEASURE == 'NUMBER'")
        confidential = numbers["CONF_STATUS"].isin(["C", "D"])
        assert confidential.sum() == hidden.sum()
        assert numbers.loc[confidential, "OBS_VALUE"].isna().all()
        return
    read = {"t.csv": pd.read_csv, "t.xlsx": pd.read_excel, "t.parquet": pd.read_parquet}[name]
    back = read(path)
    assert back.loc[hidden, "count"].isna().all()
    assert back.loc[hidden, ["share", "rate", "rate_upper_99_8"]].isna().all().all()
    if name == "t.parquet":
        assert back["suppressed"].astype(bool).tolist() == hidden.tolist()
    else:  # CSV and Excel say why
        assert back["suppressed"].fillna("").ne("").tolist() == hidden.tolist()
