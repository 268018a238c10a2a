"""femstat.sources.read_icd10: death records whose cause is coded with ICD-10."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import femstat as fs
from femstat.errors import ValidationError
from femstat.sources import read_icd10
from femstat.sources.mapping import MappingError

# The tables of sources.md section 2, restated here.
ASSAULT = [f"X{n}" for n in range(85, 100)] + [f"Y0{n}" for n in range(10)]
MECHANISM = {
    **dict.fromkeys(["X93", "X94", "X95"], "firearm"),
    "X96": "explosive",
    "X99": "sharp_object",
    "Y00": "blunt_object",
    **dict.fromkeys(["X91", "X92", "Y01", "Y02", "Y04", "Y05"], "physical_force"),
    **dict.fromkeys(["X85", "X86", "X87", "X88", "X89", "X90", "X97", "X98"], "other_mechanism"),
    "Y03": "other_weapon",
    "Y09": "unknown",
}
RELATIONSHIP = {
    "Y06.0": "intimate_partner",
    "Y07.0": "intimate_partner",
    "Y06.1": "parent",
    "Y07.1": "parent",
    "Y06.2": "friend_or_acquaintance",
    "Y07.2": "friend_or_acquaintance",
    "Y07.3": "authority_or_care",
    "Y06.8": "unknown",
    "Y07.8": "unknown",
    "Y06.9": "unknown",
    "Y07.9": "unknown",
}


def deaths(causes: list[object], **columns: list[object]) -> pd.DataFrame:
    n = len(causes)
    base: dict[str, list[object]] = {
        "cause": causes,
        "sex": ["F"] * n,
        "age": [30] * n,
        "year": [2021] * n,
    }
    base.update(columns)
    return pd.DataFrame(base)


def one(cause: str, column: str) -> object:
    return read_icd10(deaths([cause])).loc[0, column]


@pytest.mark.parametrize("category", ASSAULT)
def test_assault_categories_are_intentional_homicide(category: str) -> None:
    out = read_icd10(deaths([category, f"{category}.0", f"{category}9", category.lower()]))
    assert set(out["iccs_code"]) == {"0101"}
    assert set(out["icd10_group"]) == {"assault"}


@pytest.mark.parametrize("code", ["Y87.1", "Y871", "y87.1 ", "Y8710"])
def test_sequelae_of_assault_are_intentional_homicide(code: str) -> None:
    assert one(code, "iccs_code") == "0101"


@pytest.mark.parametrize(
    ("code", "group"),
    [
        ("X84", "self_harm"),
        ("X60.0", "self_harm"),
        ("Y10", "undetermined_intent"),
        ("Y35.0", "legal_intervention"),
        ("Y36", "war"),
        ("Y87.0", "self_harm"),
        ("Y87.2", "undetermined_intent"),
        ("Y89.0", "legal_intervention"),
        ("V01", "accident"),
        ("W34", "accident"),
        ("I21.9", "other"),
        ("C4A", "other"),
        ("U07.1", "other"),
    ],
)
def test_other_causes_are_out_of_scope(code: str, group: str) -> None:
    out = read_icd10(deaths([code]))
    assert not str(out.loc[0, "iccs_code"]).startswith("0101")
    assert out.loc[0, "icd10_group"] == group
    typed = fs.classify(fs.validate(out))
    assert typed.loc[0, "femicide_type"] == "out_of_scope"


@pytest.mark.parametrize(("category", "mechanism"), sorted(MECHANISM.items()))
def test_mechanism_from_the_cause(category: str, mechanism: str) -> None:
    assert one(category, "mechanism") == mechanism
    assert one(f"{category}.1", "mechanism") == mechanism


@pytest.mark.parametrize(("code", "relationship"), sorted(RELATIONSHIP.items()))
def test_relationship_from_the_fourth_character(code: str, relationship: str) -> None:
    for spelling in (code, code.replace(".", ""), code.lower()):
        assert one(spelling, "relationship") == relationship


@pytest.mark.parametrize("code", ["Y06", "Y07", "X95.0", "Y05", "X99", "I21"])
def test_relationship_is_unknown_elsewhere(code: str) -> None:
    assert one(code, "relationship") == "unknown"


def test_y05_sets_sexual_violence_and_nothing_else_sets_it_false() -> None:
    out = read_icd10(deaths(["Y05", "Y05.9", "X95", "Y07.0", "I21"]))
    assert out["sexual_violence"].tolist() == [True, True, pd.NA, pd.NA, pd.NA]


def test_every_spelling_of_a_code_reads_the_same() -> None:
    out = read_icd10(deaths(["X95", "X950", "X95.0", " x95.0 ", "X95.", "X95.0A"]))
    assert out["iccs_code"].tolist() == ["0101"] * 6
    assert out["icd10_cause"].tolist() == ["X95", "X95.0", "X95.0", "X95.0", "X95", "X95.0A"]


@given(
    st.sampled_from([*ASSAULT, "Y871", "X60", "I21", "V01", "Y35"]),
    st.sampled_from(["", "0", "1", "9"]),
    st.booleans(),
    st.booleans(),
)
def test_dot_case_and_spaces_never_change_the_result(
    category: str, fourth: str, dot: bool, lower: bool
) -> None:
    plain = category + fourth
    dotted = f"{category[:3]}.{category[3:]}{fourth}" if dot else plain
    spelled = f"  {dotted.lower() if lower else dotted} "
    a = read_icd10(deaths([plain])).drop(columns="icd10_cause")
    b = read_icd10(deaths([spelled])).drop(columns="icd10_cause")
    pd.testing.assert_frame_equal(a, b)


def test_output_validates_and_classifies() -> None:
    out = read_icd10(
        deaths(
            ["Y07.0", "X99", "Y05", "X95", "X70"],
            sex=["F", "F", "F", "M", "F"],
            region=["a", "b", "a", "b", "a"],
        )
    )
    typed = fs.classify(fs.validate(out))
    assert typed["femicide_type"].tolist() == [
        "intimate_partner",
        "undetermined",
        "other_perpetrator",
        "out_of_scope",
        "out_of_scope",
    ]
    assert typed["region"].tolist() == ["a", "b", "a", "b", "a"]


# --------------------------------------------------------------------------------------
# Bad input


def test_malformed_and_missing_causes_are_reported_with_counts_and_rows() -> None:
    with pytest.raises(ValidationError) as info:
        read_icd10(deaths(["X95", "assault", "123", "assault", None, "X9"]))
    message = str(info.value)
    assert "'assault' in 2 row(s) (rows 1, 3)" in message
    assert "'123' in 1 row(s) (rows 2)" in message
    assert "missing in 1 row(s) (rows 4)" in message
    cases = info.value.failure_cases
    assert set(cases["check"]) == {"ICD-10 code"}
    assert sorted(cases["n_rows"]) == [1, 1, 1, 2]


def test_missing_columns_are_named() -> None:
    with pytest.raises(ValidationError, match="'age'"):
        read_icd10(deaths(["X95"]).drop(columns="age"))
    with pytest.raises(ValidationError, match="date nor a year"):
        read_icd10(deaths(["X95"]).drop(columns="year"))


def test_unmapped_sex_and_age_are_reported() -> None:
    with pytest.raises(ValidationError) as info:
        read_icd10(deaths(["X95", "X95"], sex=["F", "7"], age=[30, "thirty"]))
    assert set(info.value.failure_cases["column"]) == {"sex", "age"}
    assert "'7' in 1 row(s) (rows 1)" in str(info.value)


# --------------------------------------------------------------------------------------
# Configurable codings and certificate fields


def test_default_sex_spellings_and_ages() -> None:
    out = read_icd10(
        deaths(
            ["X95"] * 5,
            sex=["mujer", "Hombre", "f", "U", None],
            age=[0, 999, "45", -1, None],
        )
    )
    assert out["victim_sex"].tolist() == ["female", "male", "female", "unknown", "unknown"]
    assert out["victim_age"].tolist() == [0, pd.NA, 45, pd.NA, pd.NA]


def test_numeric_sex_needs_a_coding() -> None:
    df = deaths(["X95"] * 3, sex=[1, 2, 9])
    with pytest.raises(ValidationError):
        read_icd10(df)
    out = read_icd10(df, sex_codes="who")
    assert out["victim_sex"].tolist() == ["male", "female", "unknown"]
    own = read_icd10(df, sex_codes={"1": "female", "2": "male", "9": None})
    assert own["victim_sex"].tolist() == ["female", "male", "unknown"]
    with pytest.raises(MappingError, match="preset"):
        read_icd10(df, sex_codes="nchs")


def test_composite_age_codes() -> None:
    age_codes = {
        "ranges": [
            {"min": 1000, "max": 3999, "value": 0},
            {"min": 4000, "max": 4120, "offset": -4000},
        ],
        "unknown": ["4998"],
    }
    out = read_icd10(deaths(["X95"] * 3, age=[4031, 2005, 4998]), age_codes=age_codes)
    assert out["victim_age"].tolist() == [31, 0, pd.NA]


def test_column_names_are_configurable() -> None:
    df = pd.DataFrame(
        {
            "causa_def": ["X99", "Y07.1"],
            "sexo": ["M", "F"],
            "edad": [20, 4],
            "fecha": ["2021-03-01", "2021-04-02"],
            "folio": ["a1", "a2"],
        }
    )
    out = read_icd10(df, cause="causa_def", sex="sexo", age="edad", date="fecha", id="folio")
    assert list(out.columns[:3]) == ["victim_id", "date", "victim_sex"]
    assert out["relationship"].tolist() == ["unknown", "parent"]
    checked = fs.validate(out)
    assert checked["year"].tolist() == [2021, 2021]


def test_certificate_fields_through_a_mapping() -> None:
    # Mexico's certificate records the relationship to the presumed aggressor,
    # pregnancy and the place of injury.
    df = deaths(
        ["X99", "Y07.1", "Y07.1", "X95"],
        par_agre=["11", "99", "2", "99"],
        embarazo=["1", "2", "9", "1"],
        lugar=["1", "2", "9", "1"],
    )
    mapping = {
        "columns": {
            "par_agre": {
                "to": "relationship",
                "codes": {"11": "current_partner", "2": "child"},
                "unknown": ["99"],
            },
            "embarazo": {
                "to": "victim_pregnant",
                "codes": {"1": True, "2": False},
                "unknown": ["9"],
            },
            "lugar": {
                "to": "place",
                "codes": {"1": "dwelling", "2": "public_space"},
                "unknown": ["9"],
                "optional": True,
            },
        }
    }
    out = read_icd10(df, mapping=mapping)
    # the certificate where it is known, the cause where it is not
    assert out["relationship"].tolist() == ["current_partner", "parent", "child", "unknown"]
    assert out["victim_pregnant"].tolist() == [True, False, pd.NA, True]
    assert out["place"].tolist() == ["dwelling", "public_space", "unknown", "dwelling"]
    typed = fs.classify(fs.validate(out))
    assert typed["femicide_type"].tolist()[:3] == [
        "intimate_partner",
        "family_member",
        "family_member",
    ]


def test_certificate_sexual_violence_and_y05_combine() -> None:
    df = deaths(["Y05", "X95", "X95", "Y05"], violacion=["no", "si", "no", None])
    mapping = {"violacion": {"to": "sexual_violence", "codes": {"si": True, "no": False}}}
    out = read_icd10(df, mapping=mapping)
    assert out["sexual_violence"].tolist() == [True, True, False, True]


def test_certificate_mapping_errors_join_the_others() -> None:
    df = deaths(["X95", "X95"], sex=["F", "Q"], par_agre=["1", "5"])
    mapping = {"par_agre": {"to": "relationship", "codes": {"1": "parent"}}}
    with pytest.raises(ValidationError) as info:
        read_icd10(df, mapping=mapping)
    assert set(info.value.failure_cases["column"]) == {"sex", "par_agre"}


def test_columns_produced_from_the_cause_cannot_be_given_twice() -> None:
    with pytest.raises(ValidationError, match="iccs_code"):
        read_icd10(deaths(["X95"], iccs_code=["0101"]))
