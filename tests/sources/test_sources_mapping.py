"""The declarative mapping: file formats, recoding rules, and errors that say what to do."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import femstat as fs
from femstat import codes as C
from femstat.errors import ValidationError
from femstat.sources import BUILTIN_MAPPINGS, Mapping, MappingError, builtin_mapping, load_mapping

TOML = textwrap.dedent(
    """
    [meta]
    name = "Test register"

    [columns.sexo]
    to = "victim_sex"
    codes = { "1" = "male", "2" = "female" }
    unknown = ["9"]

    [columns.edad]
    to = "victim_age"
    unknown = [999]
    ranges = [{ min = 0, max = 120 }]

    [columns.vinculo]
    to = "relationship"
    codes = { pareja = "current_partner", expareja = "former_partner", padre = "parent" }
    unknown = ["sd"]

    [columns.anio]
    to = "year"
    """
)

YAML = textwrap.dedent(
    """
    meta:
      name: Test register
    columns:
      sexo:
        to: victim_sex
        codes: {1: male, 2: female}
        unknown: [9]
      edad:
        to: victim_age
        unknown: [999]
        ranges: [{min: 0, max: 120}]
      vinculo:
        to: relationship
        codes: {pareja: current_partner, expareja: former_partner, padre: parent}
        unknown: [sd]
      anio:
        to: year
    """
)


def raw() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "sexo": ["2", "1", "9", None, "2"],
            "edad": ["34", "999", "0", "61", ""],
            "vinculo": ["pareja", "padre", "sd", "expareja", "PAREJA "],
            "anio": [2020, 2020, 2021, 2021, 2022],
            "relato": ["free text A", "free text B", "c", "d", "e"],
        }
    )


@pytest.fixture(params=["toml", "yaml", "yml", "dict", "mapping"])
def mapping(request: pytest.FixtureRequest, tmp_path: Path) -> object:
    kind = request.param
    if kind == "toml":
        path = tmp_path / "m.toml"
        path.write_text(TOML)
        return path
    if kind in ("yaml", "yml"):
        path = tmp_path / f"m.{kind}"
        path.write_text(YAML)
        return str(path)
    m = Mapping.from_file(_write(tmp_path, TOML))
    return m.to_dict() if kind == "dict" else m


def _write(tmp_path: Path, text: str, name: str = "x.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_every_form_recodes_the_same(mapping: object) -> None:
    out = load_mapping(mapping).apply(raw())  # type: ignore[arg-type]
    assert list(out.columns) == ["victim_sex", "victim_age", "relationship", "year", "relato"]
    assert out["victim_sex"].tolist() == ["female", "male", "unknown", "unknown", "female"]
    assert out["victim_age"].tolist() == [34, pd.NA, 0, 61, pd.NA]
    assert out["relationship"].tolist() == [
        "current_partner",
        "parent",
        "unknown",
        "former_partner",
        "current_partner",
    ]
    assert out["year"].tolist() == [2020, 2020, 2021, 2021, 2022]
    assert out["relato"] is not None and out["relato"].equals(raw()["relato"])


def test_result_validates(mapping: object) -> None:
    direct = fs.validate(raw(), mapping=mapping)
    assert direct["victim_sex"].dtype == C.SEX.dtype
    assert direct["victim_age"].tolist() == [34, pd.NA, 0, 61, pd.NA]


def test_unmapped_code_raises_with_counts_rows_and_a_hint() -> None:
    m = Mapping.from_dict({"columns": {"sexo": {"to": "victim_sex", "codes": {"1": "male"}}}})
    df = pd.DataFrame({"sexo": ["1", "7", "7", "x", "1", "7"], "relato": ["secret story"] * 6})
    with pytest.raises(ValidationError) as info:
        m.apply(df)
    message = str(info.value)
    assert "'sexo'" in message
    assert "'7' in 3 row(s) (rows 1, 2, 5)" in message
    assert "'x' in 1 row(s) (rows 3)" in message
    assert "[columns.X.codes]" in message and "unknown" in message
    assert "secret story" not in message
    cases = info.value.failure_cases
    assert list(cases.columns) == ["column", "check", "value", "n_rows", "rows"]
    assert cases.set_index("value").loc["7", "n_rows"] == 3
    assert cases.set_index("value").loc["7", "rows"] == [1, 2, 5]
    assert set(cases["column"]) == {"sexo"}
    assert isinstance(info.value, ValueError)


def test_every_problem_is_collected_before_raising() -> None:
    m = Mapping.from_dict(
        {
            "columns": {
                "a": {"to": "victim_sex", "codes": {"1": "male"}},
                "b": {"to": "relationship", "codes": {"p": "parent"}},
                "c": {"to": "victim_age"},
            }
        }
    )
    with pytest.raises(ValidationError) as info:
        m.apply(pd.DataFrame({"a": ["2"], "b": ["q"]}))
    assert set(info.value.failure_cases["column"]) == {"a", "b", "c"}
    assert "column_present" in set(info.value.failure_cases["check"])


def test_unmapped_value_never_becomes_unknown_silently() -> None:
    m = Mapping.from_dict({"victim_sex": {"F": "female", "M": "male", "9": None}})
    assert m.apply(pd.DataFrame({"victim_sex": ["9"]}))["victim_sex"].tolist() == ["unknown"]
    with pytest.raises(ValidationError):
        m.apply(pd.DataFrame({"victim_sex": ["8"]}))


def test_short_form_from_the_validate_hint() -> None:
    df = pd.DataFrame(
        {"victim_sex": ["f", "9"], "victim_age": [3, 4], "relationship": ["x", "y"], "year": 2020}
    )
    out = fs.validate(
        df,
        mapping={
            "victim_sex": {"f": "female", "9": None},
            "relationship": {"x": "parent", "y": None},
        },
    )
    assert out["victim_sex"].tolist() == ["female", "unknown"]
    assert out["relationship"].tolist() == ["parent", "unknown"]


def test_short_form_rename_and_full_entry() -> None:
    m = Mapping.from_dict({"sexo": "victim_sex", "vin": {"to": "relationship", "codes": {}}})
    assert m["sexo"].target == "victim_sex" and m["sexo"].is_rename
    assert m["vin"].target == "relationship"


def test_rename_entries_pass_values_to_validation() -> None:
    m = Mapping.from_dict({"columns": {"sexo": {"to": "victim_sex", "unknown": ["9"]}}})
    out = m.apply(pd.DataFrame({"sexo": ["F", "9", "Female"]}))
    assert out["victim_sex"].tolist() == ["F", "unknown", "Female"]


# --------------------------------------------------------------------------------------
# Matching rules


def test_codes_match_across_spaces_case_leading_zeros_and_floats() -> None:
    m = Mapping.from_dict(
        {"columns": {"s": {"to": "victim_sex", "codes": {"01": "female", "M": "male"}}}}
    )
    values = pd.Series(["01", "1", " 1 ", 1, 1.0, np.int64(1), "1.0", "m", " M"], dtype=object)
    out = m.apply(pd.DataFrame({"s": values}))
    assert out["victim_sex"].tolist() == ["female"] * 7 + ["male"] * 2


def test_case_sensitive_codes() -> None:
    m = Mapping.from_dict(
        {"columns": {"s": {"to": "victim_sex", "codes": {"F": "female"}, "case_sensitive": True}}}
    )
    with pytest.raises(ValidationError, match="'f'"):
        m.apply(pd.DataFrame({"s": ["F", "f"]}))


def test_integer_ranges_unknown_ranges_and_offsets() -> None:
    # Mexican-style ages: 4000 + years, 3xxx months, 2xxx days, 1xxx hours, 4998 unknown
    m = Mapping.from_dict(
        {
            "columns": {
                "edad": {
                    "to": "victim_age",
                    "unknown": ["4998"],
                    "ranges": [
                        {"min": 1000, "max": 3999, "value": 0},
                        {"min": 4000, "max": 4120, "offset": -4000},
                        {"min": 9000, "max": 9999, "unknown": True},
                    ],
                }
            }
        }
    )
    values = [4025, "4000", 3011, 2003, 1001, 4998, 9001, None]
    out = m.apply(pd.DataFrame({"edad": pd.Series(values, dtype=object)}))
    assert out["victim_age"].tolist() == [25, 0, 0, 0, 0, pd.NA, pd.NA, pd.NA]
    with pytest.raises(ValidationError, match="5000"):
        m.apply(pd.DataFrame({"edad": [5000]}))
    with pytest.raises(ValidationError, match=r"25\.5"):
        m.apply(pd.DataFrame({"edad": [4025.5]}))


def test_integer_column_without_ranges_passes_whole_numbers() -> None:
    m = Mapping.from_dict(
        {"columns": {"edad": {"to": "victim_age", "codes": {"<1": 0}, "unknown": ["-9"]}}}
    )
    out = m.apply(pd.DataFrame({"edad": pd.Series([5, -9, 130, "<1"], dtype=object)}))
    assert out["victim_age"].tolist() == [5, pd.NA, 130, 0]
    with pytest.raises(ValidationError, match="'5 years'"):
        m.apply(pd.DataFrame({"edad": ["5 years"]}))


def test_integer_rename_leaves_coercion_to_validate() -> None:
    m = Mapping.from_dict({"columns": {"edad": {"to": "victim_age", "unknown": ["-9"]}}})
    out = m.apply(pd.DataFrame({"edad": [5, -9, 130]}))
    assert out["victim_age"].isna().tolist() == [False, True, False]


def test_numeric_ranges_to_codes() -> None:
    m = Mapping.from_dict(
        {
            "columns": {
                "arma": {
                    "to": "mechanism",
                    "codes": {"20": "sharp_object"},
                    "ranges": [{"min": 11, "max": 15, "value": "firearm"}],
                    "unknown": ["99"],
                }
            }
        }
    )
    out = m.apply(pd.DataFrame({"arma": ["11", "15", "20", "99", "13"]}))
    assert out["mechanism"].tolist() == ["firearm", "firearm", "sharp_object", "unknown", "firearm"]
    with pytest.raises(ValidationError, match="'16'"):
        m.apply(pd.DataFrame({"arma": ["16"]}))


def test_text_ranges_and_prefix_matching() -> None:
    m = Mapping.from_dict(
        {
            "columns": {
                "cause": {
                    "to": "iccs_code",
                    "prefix": True,
                    "codes": {"Y871": "0101"},
                    "ranges": [
                        {"min": "X85", "max": "Y09", "value": "0101"},
                        {"min": "A00", "max": "Z99", "value": "0000"},
                    ],
                }
            }
        }
    )
    values = ["X85", "X950", "Y09", "Y099", "X84", "Y10", "Y871", "Y8712", "Y870", "A01"]
    out = m.apply(pd.DataFrame({"cause": values}))
    expected = ["0101", "0101", "0101", "0101", "0000", "0000", "0101", "0101", "0000", "0000"]
    assert out["iccs_code"].tolist() == expected


def test_boolean_targets() -> None:
    m = Mapping.from_dict(
        {
            "columns": {
                "emb": {
                    "to": "victim_pregnant",
                    "codes": {"si": True, "no": False},
                    "unknown": ["ns"],
                }
            }
        }
    )
    out = m.apply(pd.DataFrame({"emb": ["si", "no", "ns", None]}))
    assert out["victim_pregnant"].tolist() == [True, False, pd.NA, pd.NA]
    assert out["victim_pregnant"].dtype == "boolean"


def test_own_columns_of_any_kind() -> None:
    m = Mapping.from_dict(
        {"columns": {"reg": {"to": "region_name", "codes": {"1": "North", "2": "South"}}}}
    )
    assert m.apply(pd.DataFrame({"reg": [1, 2]}))["region_name"].tolist() == ["North", "South"]


@pytest.mark.parametrize("code", list(C.RELATIONSHIP.codes))
def test_victim_to_perpetrator_direction_uses_the_inverse(code: str) -> None:
    m = Mapping.from_dict(
        {
            "columns": {
                "rel": {
                    "to": "relationship",
                    "direction": "victim_to_perpetrator",
                    "codes": {"X": code},
                }
            }
        }
    )
    assert m.apply(pd.DataFrame({"rel": ["X"]}))["relationship"].tolist() == [
        C.RELATIONSHIP_INVERSE[code]
    ]


def test_one_source_column_can_feed_several_targets_and_columns_keep_their_place() -> None:
    m = Mapping.from_dict(
        {
            "columns": {
                "circ_sv": {
                    "source": "circ",
                    "to": "sexual_violence",
                    "codes": {"2": True},
                    "unknown": ["3"],
                },
                "circ_sw": {
                    "source": "circ",
                    "to": "sex_work",
                    "codes": {"10": True},
                    "unknown": ["2", "3"],
                },
            }
        }
    )
    out = m.apply(pd.DataFrame({"a": [1, 2], "circ": ["2", "3"], "z": [0, 0]}))
    assert list(out.columns) == ["a", "sexual_violence", "sex_work", "z"]
    assert out["sexual_violence"].tolist() == [True, pd.NA]
    assert out["sex_work"].isna().all()


def test_optional_and_missing_columns() -> None:
    m = Mapping.from_dict(
        {
            "columns": {
                "sexo": {"to": "victim_sex", "codes": {"F": "female"}},
                "emb": {"to": "victim_pregnant", "codes": {"si": True}, "optional": True},
            }
        }
    )
    assert list(m.apply(pd.DataFrame({"sexo": ["F"]})).columns) == ["victim_sex"]
    with pytest.raises(ValidationError, match="'sexo'") as info:
        m.apply(pd.DataFrame({"emb": ["si"]}))
    assert info.value.failure_cases.loc[0, "check"] == "column_present"
    assert list(m.apply(pd.DataFrame({"x": [1]}), require_columns=False).columns) == ["x"]


def test_target_already_in_the_data_is_refused() -> None:
    m = Mapping.from_dict({"sexo": "victim_sex"})
    with pytest.raises(ValidationError, match="already in the data"):
        m.apply(pd.DataFrame({"sexo": ["F"], "victim_sex": ["M"]}))


def test_swapping_columns_is_allowed() -> None:
    m = Mapping.from_dict({"a": "b", "b": "a"})
    out = m.apply(pd.DataFrame({"a": [1], "b": [2]}))
    assert out.to_dict("list") == {"b": [1], "a": [2]}


@given(
    st.lists(st.sampled_from(["1", "2", "9", None, " 2", "01"]), min_size=1, max_size=30),
    st.randoms(use_true_random=False),
)
def test_apply_is_row_wise(values: list[str | None], rnd: object) -> None:
    m = Mapping.from_dict({"sexo": {"1": "male", "2": "female", "9": None}})
    order = list(range(len(values)))
    rnd.shuffle(order)  # type: ignore[attr-defined]
    df = pd.DataFrame({"sexo": pd.Series(values, dtype=object)})
    whole = m.apply(df)
    shuffled = m.apply(df.iloc[order])
    pd.testing.assert_frame_equal(whole.iloc[order], shuffled)


# --------------------------------------------------------------------------------------
# An invalid mapping is reported as such, before any data


@pytest.mark.parametrize(
    ("body", "match"),
    [
        ({"columns": {"s": {"to": "victim_sex", "codes": {"1": "woman"}}}}, "not a femstat code"),
        ({"columns": {"s": {"to": "victim_sex", "code": {}}}}, "unknown key"),
        ({"columns": {}, "colums": {}}, "unknown top-level key"),
        ({"columns": {"a": {"to": "year"}, "b": {"to": "year"}}}, "more than once"),
        ({"columns": {"s": {"to": "victim_sex", "codes": {"01": "female", "1": "male"}}}},
         "same code"),
        ({"columns": {"s": {"to": "mechanism", "ranges": [{"min": 1, "max": 2}]}}}, "no value"),
        ({"columns": {"s": {"to": "victim_age", "ranges": [{"min": 5, "max": 1}]}}}, "above"),
        ({"columns": {"s": {"to": "victim_age", "ranges": [{"min": "A", "max": 1}]}}},
         "both be numbers"),
        ({"columns": {"s": {"to": "victim_sex", "direction": "victim_to_perpetrator"}}},
         "relationship"),
        ({"columns": {"s": {"to": "victim_age", "kind": "boolean"}}}, "integer column"),
        ({"columns": {"s": {"to": "iccs_code", "codes": {"1": 101}}}}, "text"),
        ({"columns": {"s": {"to": "victim_pregnant", "codes": {"1": "yes"}}}}, "true or false"),
    ],
)  # fmt: skip
def test_invalid_mappings(body: dict[str, object], match: str) -> None:
    with pytest.raises(MappingError, match=match):
        Mapping.from_dict(body)


def test_invalid_files(tmp_path: Path) -> None:
    with pytest.raises(MappingError, match="cannot be parsed"):
        Mapping.from_file(_write(tmp_path, "[columns.s\nto = 1"))
    with pytest.raises(MappingError, match="unknown format"):
        Mapping.from_file(_write(tmp_path, "{}", "m.json"))
    with pytest.raises(MappingError, match=r"x\.toml"):
        Mapping.from_file(_write(tmp_path, '[columns.s]\nto = "victim_sex"\ncodes = {1 = "f"}'))
    with pytest.raises(TypeError):
        load_mapping(42)  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------
# Every decision is data


@pytest.mark.parametrize("name", BUILTIN_MAPPINGS)
def test_builtin_mappings_round_trip_and_list_every_decision(name: str) -> None:
    m = builtin_mapping(name)
    assert Mapping.from_dict(m.to_dict()) == m
    table = m.to_frame()
    assert list(table.columns) == [
        "entry", "source", "target", "rule", "source_code", "value", "written_as",
    ]  # fmt: skip
    for spec in m.columns:
        listed = set(table.loc[table["entry"] == spec.name, "source_code"])
        assert set(spec.codes) <= listed
        assert set(spec.unknown) <= listed


def test_to_frame_shows_both_directions_of_an_inverted_relationship() -> None:
    table = builtin_mapping("shr").to_frame().set_index(["entry", "source_code"])
    row = table.loc[("relationship", "MO")]
    assert row["written_as"] == "parent"
    assert row["value"] == "child"
