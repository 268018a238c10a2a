"""Exports publish protected tables by default, mark why a cell is hidden, and refuse leaks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import femstat as fs
from femstat.disclosure import SUPPRESSION_REASONS, suppression_reasons
from femstat.exports import ExportError, export, read_metadata, sdmx_frame, to_csv


@pytest.fixture(scope="module")
def raw() -> pd.DataFrame:
    """Indicators by mechanism of one small area: small cells, typology sums published."""
    data = fs.datasets.example_victims()
    typed = fs.classify(fs.validate(data[data["area"] == "R12"]))
    return fs.indicators(typed, by="mechanism")


def test_an_unprotected_table_is_protected_when_written(raw: pd.DataFrame, tmp_path: Path) -> None:
    assert not fs.audit_disclosure({"t": fs.suppress(raw, 5)}).attrs["audit"]["passed"]
    path = to_csv(raw, tmp_path / "t.csv")
    back = pd.read_csv(path)
    assert set(back["suppressed"].dropna()) == {"primary", "secondary"}
    assert "suppression" not in back.columns
    # What a reader gets passes the attacker's audit on its own.
    published = back.assign(suppressed=back["suppressed"].notna())
    assert fs.audit_disclosure({"t": published}).attrs["audit"]["passed"]
    meta = read_metadata(path)
    assert meta["suppression"]["min_count"] == 5
    assert meta["protection"]["audit"]["passed"] is True
    assert meta["protection"]["n_secondary"] == (back["suppressed"] == "secondary").sum()


def test_the_reason_column_matches_the_protected_frame(raw: pd.DataFrame, tmp_path: Path) -> None:
    protected = fs.protect({"t": raw})["t"]
    back = pd.read_excel(export(protected, tmp_path / "t.xlsx"), sheet_name="data")
    assert back["suppressed"].fillna("").tolist() == suppression_reasons(protected).tolist()
    assert set(SUPPRESSION_REASONS) == {"primary", "secondary"}


def test_sdmx_marks_primary_c_and_secondary_d(raw: pd.DataFrame) -> None:
    protected = fs.protect({"t": raw})["t"]
    frame = sdmx_frame(protected, time_period="2015/2024")
    numbers = frame[frame["UNIT_MEASURE"] == "NUMBER"].reset_index(drop=True)
    kept = protected[protected["femicide_type"].astype(str) != "out_of_scope"].reset_index()
    reasons = suppression_reasons(kept)
    assert (numbers["CONF_STATUS"] == "C").tolist() == (reasons == "primary").tolist()
    assert (numbers["CONF_STATUS"] == "D").tolist() == (reasons == "secondary").tolist()
    assert numbers.loc[numbers["CONF_STATUS"] != "F", "OBS_VALUE"].isna().all()
    # The suppression column is a mark, not a dimension.
    assert "SUPPRESSION" not in frame.columns
    # A share over a withheld denominator carries the denominator's reason.
    shares = frame[frame["UNIT_MEASURE"] == "PERCENT"]
    assert set(shares["CONF_STATUS"]) <= {"F", "C", "D"}


def test_min_count_one_publishes_every_count_and_says_so(raw: pd.DataFrame, tmp_path: Path) -> None:
    path = to_csv(raw, tmp_path / "all.csv", min_count=1)
    back = pd.read_csv(path)
    assert back["count"].notna().all()
    np.testing.assert_array_equal(back["count"], raw["count"].to_numpy(dtype=float))
    meta = read_metadata(path)
    assert meta["suppression"]["min_count"] == 1
    assert "without disclosure control" in meta["suppression"]["note"]


def test_a_table_that_leaks_is_refused(raw: pd.DataFrame, tmp_path: Path) -> None:
    protected = fs.protect({"t": raw})["t"]
    secondary = np.flatnonzero(suppression_reasons(protected) == "secondary")
    assert secondary.size
    # Someone publishes the complements again, marks and all: the small cells are exposed.
    leaked = protected.copy()
    leaked.loc[secondary, "count"] = raw.loc[secondary, "count"]
    leaked.loc[secondary, "suppressed"] = False
    leaked.loc[secondary, "suppression"] = ""
    with pytest.raises(ExportError, match="refusing to write the table"):
        to_csv(leaked, tmp_path / "leak.csv")
    assert not (tmp_path / "leak.csv").exists()


def test_other_tables_are_suppressed_by_default(tmp_path: Path) -> None:
    data = fs.datasets.example_victims()
    typed = fs.classify(fs.validate(data[data["area"] == "R12"]))
    bounds = fs.bounds(typed, by="year")
    assert bounds["lower"].lt(5).any()
    back = pd.read_csv(to_csv(bounds, tmp_path / "bounds.csv"))
    small = bounds["lower"].between(1, 4).to_numpy()
    assert back.loc[small, "lower"].isna().all()
    assert set(back["suppressed"].dropna()) == {"primary"}
