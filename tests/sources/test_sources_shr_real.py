"""read_shr on the real 2015 national file (ICPSR 36790), kept outside the project.

The file lives at ``../shared/data/us_shr_2015_icpsr36790.zip`` relative to the repository
root. Without it the tests fail when the environment variable ``CI`` is set and are
skipped otherwise. The expected numbers below are facts about the file that do not depend
on femstat (``shared/data/README.md``) or are counted here from the raw records with
plain Python.
"""

from __future__ import annotations

import os
import warnings
import zipfile
from collections import Counter
from collections.abc import Mapping
from pathlib import Path

import pandas as pd
import pytest

import femstat as fs
from femstat.errors import DataQualityWarning
from femstat.sources import read_shr

REPO = Path(__file__).resolve().parents[2]
SHR_2015 = REPO / ".." / "shared" / "data" / "us_shr_2015_icpsr36790.zip"


def locate(path: Path, environ: Mapping[str, str]) -> Path:
    """The data file, or a failure in CI and a skip elsewhere when it is missing."""
    if path.is_file():
        return path
    message = (
        f"the real SHR file is not at {path.resolve()}; clone the repository with the "
        "shared/ folder beside it (../shared/data/us_shr_2015_icpsr36790.zip)"
    )
    if environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="module")
def path() -> Path:
    return locate(SHR_2015, os.environ)


def test_a_missing_file_fails_in_ci_and_skips_locally(tmp_path: Path) -> None:
    absent = tmp_path / "absent.zip"
    with pytest.raises(pytest.fail.Exception, match="not at"):
        locate(absent, {"CI": "true"})
    with pytest.raises(pytest.skip.Exception, match="not at"):
        locate(absent, {})


@pytest.fixture(scope="module")
def raw_lines(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as archive:
        (member,) = archive.namelist()
        return archive.read(member).decode("ascii").splitlines()


@pytest.fixture(scope="module")
def shr(path: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        df, report = read_shr(path, return_report=True)
    quality = [w for w in caught if issubclass(w.category, DataQualityWarning)]
    assert len(quality) == 1, "one summary warning per read"
    return df, report


def test_incidents_and_situations(shr: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    df, _ = shr
    incidents = df.drop_duplicates("shr_record")
    assert len(incidents) == 13_844
    assert incidents["event_id"].is_unique
    assert incidents["shr_situation"].value_counts().to_dict() == {
        "A": 7_075,
        "B": 4_236,
        "C": 1_840,
        "D": 374,
        "E": 116,
        "F": 203,
    }


def test_victims_are_incidents_plus_additional_victims(
    shr: tuple[pd.DataFrame, pd.DataFrame], raw_lines: list[str]
) -> None:
    df, _ = shr
    additional = sum(int(line[94:97]) for line in raw_lines)
    assert len(df) == len(raw_lines) + additional
    assert df["victim_id"].is_unique


def test_victim_sex_and_first_victims_match_the_raw_records(
    shr: tuple[pd.DataFrame, pd.DataFrame], raw_lines: list[str]
) -> None:
    df, _ = shr
    sexes = Counter(line[79] for line in raw_lines)
    for line in raw_lines:
        extra = int(line[94:97])
        sexes.update(line[100 + 5 * k + 2] for k in range(extra))
    counted = df["victim_sex"].value_counts().to_dict()
    assert counted == {"male": sexes["M"], "female": sexes["F"], "unknown": sexes["U"]}
    first = df[df["shr_victim_number"] == 1]
    raw_codes = Counter(line[89:91] for line in raw_lines if int(line[97:100]) == 0)
    single = first[first["shr_offenders"] == 1]
    assert single["shr_relationship"].value_counts().to_dict() == dict(raw_codes)


def test_scope_follows_homicide_type_and_circumstance(
    shr: tuple[pd.DataFrame, pd.DataFrame], raw_lines: list[str]
) -> None:
    df, _ = shr
    incidents = df.drop_duplicates("shr_record")
    negligent = sum(line[72] == "B" for line in raw_lines)
    assert (incidents["iccs_code"] == "0103").sum() == negligent
    assert (incidents["shr_homicide_type"] == "B").sum() == negligent
    justifiable = sum(
        line[72] == "A"
        and any(
            c in ("80", "81")
            for c in [line[91:93]]
            + [line[150 + 12 * k + 9 : 150 + 12 * k + 11] for k in range(int(line[97:100]))]
        )
        for line in raw_lines
    )
    excluded = incidents["shr_exclusion"].isin(
        ["justifiable_homicide_by_citizen", "justifiable_homicide_by_police"]
    )
    assert excluded.sum() == justifiable
    assert not incidents.loc[excluded, "iccs_code"].astype(str).str.startswith("0101").any()


def test_result_validates_and_classifies(shr: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    df, report = shr
    checked = fs.validate(df)
    assert len(checked) == len(df)
    typed = fs.classify(checked)
    counts = typed["femicide_type"].value_counts()
    female_in_scope = (
        (df["victim_sex"] == "female") & (df["iccs_code"].astype(str) == "0101")
    ).sum()
    assert counts.drop("out_of_scope").sum() == female_in_scope
    assert counts["intimate_partner"] > 0 and counts["family_member"] > 0
    assert "partner_code_contradicts_victim_sex" in set(report["issue"])
    # Female victims of situation B coded WI or CW, among others: flagged, not dropped.
    contradictions = report[report["issue"] == "known_relationship_with_unknown_offender"]
    assert contradictions.set_index("code").loc["intimate_partner", "count"] >= 4
