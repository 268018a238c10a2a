"""Two real national files read through mapping files: Ecuador and Peru.

The files live in ``shared/data/`` beside the repository (``../shared/data``) and are never
copied into the project; their mappings are ``examples/mappings/*.toml``. Without the files
the tests fail when the environment variable ``CI`` is set and are skipped otherwise, as
for the SHR file.

What each file gives (counted by these tests, femstat's UN 2022 rule set):

Ecuador, violent deaths of women 2014-2023 (2,264 records)::

    intimate_partner 650, family_member 91, other_perpetrator 101, undetermined 1,422

    UN type \\ legal    ASESINATO  FEMICIDIO  HOMICIDIO  SICARIATO
    intimate_partner          71        561         16          2
    family_member             60         14         16          1
    other_perpetrator         69         18         10          4
    undetermined           1,179        117        107         19

Peru, femicide cases of the Women's Emergency Centres (166 records)::

    intimate_partner 114, family_member 8, undetermined 44 (no criteria recorded)

The expected numbers are counted here from the raw columns with plain pandas, or are facts
the data's README states, so that they do not depend on femstat.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import pandas as pd
import pytest

import femstat as fs

ROOT = Path(__file__).resolve().parents[1]
MAPPINGS = ROOT / "examples" / "mappings"
ECUADOR = "ecuador_violent_deaths_women_2014_2023/ecuador_female_violent_deaths_2014_2023.csv"
PERU = "peru_cem_feminicide_cases/casos_feminicidio.csv"


def shared_file(name: str) -> Path:
    """``shared/data/<name>`` in the repository's parent folder or any folder above it."""
    for folder in ROOT.parents:
        candidate = folder / "shared" / "data" / name
        if candidate.is_file():
            return candidate
    return ROOT / ".." / "shared" / "data" / name


def locate(path: Path, environ: Mapping[str, str]) -> Path:
    """The data file, or a failure in CI and a skip elsewhere when it is missing."""
    if path.is_file():
        return path
    message = f"the national file is not at {path}; put the shared/ folder beside the repository"
    if environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def test_a_missing_file_fails_in_ci(tmp_path: Path) -> None:
    with pytest.raises(pytest.fail.Exception, match="not at"):
        locate(tmp_path / "absent.csv", {"CI": "1"})


# ------------------------------------------------------------------------ Ecuador

ECU_PARTNER = {"CONVIVIENTE", "CONYUGE", "PAREJA", "EXCONVIVIENTE", "EXCONYUGE", "EXPAREJA"}
ECU_FAMILY = {"PARIENTE CONSANGUINEO (FAMILIAR)"}


@pytest.fixture(scope="module")
def ecuador_raw() -> pd.DataFrame:
    path = locate(shared_file(ECUADOR), os.environ)
    return pd.read_csv(path, dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def ecuador(ecuador_raw: pd.DataFrame) -> pd.DataFrame:
    clean, report = fs.validate(
        ecuador_raw, mapping=MAPPINGS / "ecuador_violent_deaths.toml", report=True
    )
    assert report.warnings.empty
    return fs.classify(clean)


def test_ecuador_reads_every_record(ecuador_raw: pd.DataFrame, ecuador: pd.DataFrame) -> None:
    assert len(ecuador) == 2_264  # README
    assert ecuador["year"].min() == 2014 and ecuador["year"].max() == 2023
    assert (ecuador["victim_sex"] == "female").all()
    assert ecuador["area"].nunique() == 24
    # Columns the mapping does not consume pass through unchanged (occupation is read
    # as a criterion, so it is replaced by sex_work).
    assert "Ocupa_Victma" not in ecuador.columns and "Canton" in ecuador.columns


def test_ecuador_counts_by_un_type(ecuador_raw: pd.DataFrame, ecuador: pd.DataFrame) -> None:
    relation = ecuador_raw["RelacionVictima_Agresor"]
    motive = ecuador_raw["PmotivaEsp"]
    prior = ecuador_raw["AntecedVBG_victma_Agresor"]
    partner = relation.isin(ECU_PARTNER)
    family = relation.isin(ECU_FAMILY)
    # A criterion the file can make true: rape or kidnapping as motive, a sex worker,
    # recorded prior gender-based violence.
    criterion = (
        motive.str.startswith("VIOLACION")
        | motive.str.startswith("SECUESTRO")
        | (ecuador_raw["Ocupa_Victma"] == "TRABAJADORA SEXUAL")
        | ~prior.isin(["NO", "NO IDENTIFICADO"])
    )
    expected = {
        "intimate_partner": int(partner.sum()),
        "family_member": int(family.sum()),
        "other_perpetrator": int((~partner & ~family & criterion).sum()),
        "undetermined": int((~partner & ~family & ~criterion).sum()),
        "not_femicide": 0,  # criteria without a column stay unknown: nothing is excluded
        "out_of_scope": 0,
    }
    got = ecuador["femicide_type"].value_counts().to_dict()
    assert {k: got.get(k, 0) for k in expected} == expected
    assert expected == {
        "intimate_partner": 650,
        "family_member": 91,
        "other_perpetrator": 101,
        "undetermined": 1_422,
        "not_femicide": 0,
        "out_of_scope": 0,
    }


def test_ecuador_un_type_against_the_legal_classification(ecuador: pd.DataFrame) -> None:
    table = pd.crosstab(ecuador["femicide_type"].astype(str), ecuador["ecu_legal_type"])
    assert table.sum().to_dict() == {  # README: the legal classification's totals
        "ASESINATO": 1_379,
        "FEMICIDIO": 710,
        "HOMICIDIO": 149,
        "SICARIATO": 26,
    }
    assert table.loc["intimate_partner"].to_dict() == {
        "ASESINATO": 71,
        "FEMICIDIO": 561,
        "HOMICIDIO": 16,
        "SICARIATO": 2,
    }
    # Legal femicides the UN rule leaves undetermined (no relationship, no criterion).
    assert table.loc["undetermined", "FEMICIDIO"] == 117
    legal = (ecuador["legal_qualification"] == "femicide_offence").to_numpy()
    un = ecuador["femicide_type"].astype(str).isin(fs.codes.FEMICIDE).to_numpy()
    assert int((legal & un).sum()) == 593
    assert int((legal & ~un).sum()) == 117
    assert int((~legal & un).sum()) == 249


def test_ecuador_other_variables(ecuador_raw: pd.DataFrame, ecuador: pd.DataFrame) -> None:
    assert int(ecuador["victim_pregnant"].sum()) == int(
        (ecuador_raw["Embarazo_Victima"] == "SI").sum()
    )
    assert int(ecuador["victim_indigenous"].sum()) == 87
    mechanism = ecuador["mechanism"].value_counts()
    assert mechanism["firearm"] == 1_120 and mechanism["sharp_object"] == 555
    assert mechanism["unknown"] == 12  # "A DETERMINARSE"
    assert ecuador["place"].value_counts()["public_space"] >= 726  # VIA PUBLICA at least
    assert ecuador["perpetrator_age"].notna().sum() == int(
        ecuador_raw["Edad_Agresor"].str.isdigit().sum()
    )


# ------------------------------------------------------------------------ Peru

PERU_FLAGS = {
    "cem_stabbing": "sharp_object",
    "cem_shooting": "firearm",
    "cem_beating": "physical_force",
    "cem_strangling": "physical_force",
    "cem_poisoning": "other_mechanism",
    "cem_burning": "other_mechanism",
    "cem_pushed_off": "physical_force",
    "cem_run_over": "other_mechanism",
    "cem_other_method": "other_mechanism",
}


FLAG_COLUMNS = [
    "ACUCHILLAMIENTO",
    "DISPARO_BALA",
    "GOLPES_DIVERSOS",
    "ASFIXIA_ESTRAGULAMIENTO",
    "ENVENENAMIENTO",
    "QUEMADURA",
    "DESBARRANCAMIENTO",
    "ATROPELLAMIENTO",
    "OTRO",
]


def peru_mechanism(typed: pd.DataFrame) -> pd.Series:
    """``mechanism`` from the method flags where they name one mechanism; else unknown.

    Several flags may be set (stabbed and beaten): the framework's mechanism is one
    value, so such a record is unknown rather than given one of its methods at random.
    """
    named = pd.DataFrame(
        {
            mechanism: typed[[c for c, m in PERU_FLAGS.items() if m == mechanism]]
            .fillna(False)
            .any(axis=1)
            for mechanism in sorted(set(PERU_FLAGS.values()))
        }
    )
    one = named.sum(axis=1) == 1
    value = named.idxmax(axis=1).where(one, "unknown")
    return pd.Series(pd.Categorical(value, dtype=fs.codes.MECHANISM.dtype), index=typed.index)


@pytest.fixture(scope="module")
def peru_raw() -> pd.DataFrame:
    path = locate(shared_file(PERU), os.environ)
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")


@pytest.fixture(scope="module")
def peru(peru_raw: pd.DataFrame) -> pd.DataFrame:
    # The register holds women only and one year; the file says neither (README).
    raw = peru_raw.assign(victim_sex="female", year=2019)
    clean, report = fs.validate(raw, mapping=MAPPINGS / "peru_cem.toml", report=True)
    assert report.warnings.empty
    typed = fs.classify(clean)
    return typed.assign(mechanism=peru_mechanism(typed))


def test_peru_counts_by_un_type(peru_raw: pd.DataFrame, peru: pd.DataFrame) -> None:
    link = peru_raw["VINCULO"]
    partner = link.str.contains("CONVIVIENTE|ESPOSO|ENAMORADO|PAREJA|PROGENITOR", regex=True)
    family = link.isin(["HERMANO", "YERNO", "OTRO FAMILIAR"])
    assert len(peru) == 166  # README
    got = peru["femicide_type"].value_counts().to_dict()
    assert got["intimate_partner"] == int(partner.sum()) == 114
    assert got["family_member"] == int(family.sum()) == 8
    assert got["undetermined"] == 166 - 114 - 8 == 44
    assert got["other_perpetrator"] == got["not_femicide"] == got["out_of_scope"] == 0


def test_peru_mechanism_and_other_variables(peru_raw: pd.DataFrame, peru: pd.DataFrame) -> None:
    assert int(peru["victim_pregnant"].sum()) == int((peru_raw["VICTIMA_EMBARAZO"] == "1").sum())
    assert int(peru["cem_children"].sum()) == int(peru_raw["VICTIMA_NRO_HIJOS"].astype(int).sum())
    assert peru["perpetrator_age"].isna().sum() == int(
        (peru_raw["AGRESOR_EDAD"].str.strip() == "").sum()
    )
    methods = peru_raw[[c.upper() for c in FLAG_COLUMNS]].apply(lambda c: c.str.strip() == "1")
    only_stabbed = methods["ACUCHILLAMIENTO"] & (methods.sum(axis=1) == 1)
    only_shot = methods["DISPARO_BALA"] & (methods.sum(axis=1) == 1)
    assert (peru["mechanism"] == "firearm").sum() == int(only_shot.sum())
    assert (peru["mechanism"] == "sharp_object").sum() == int(only_stabbed.sum())
    counts = peru["mechanism"].value_counts()
    assert counts.sum() == 166 and counts["unknown"] > 0
