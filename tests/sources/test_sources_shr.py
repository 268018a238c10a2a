"""femstat.sources.read_shr on hand-built fixed-width fixtures."""

from __future__ import annotations

import gzip
import io
import re
import tracemalloc
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from shr_fixtures import SHR_CIRCUMSTANCES, SHR_RELATIONSHIP, SHR_WEAPON, O, V, record, shr_file

import femstat as fs
from femstat import codes as C
from femstat.errors import DataQualityWarning, ValidationError
from femstat.sources import builtin_mapping, read_shr
from femstat.sources import shr as shr_module
from femstat.sources.files import SourceError


def read(*records: str, **kwargs: object) -> pd.DataFrame:
    return read_shr(shr_file(*records), **kwargs)  # type: ignore[arg-type]


def group(code: str) -> str:
    return C.RELATIONSHIP_GROUP_OF[code]


# --------------------------------------------------------------------------------------
# One victim, one offender


def test_single_victim_single_offender_wife() -> None:
    df = read(record([V("34", "F", "B")], [O("40", "M", "B", weapon="20", relationship="WI")]))
    assert len(df) == 1
    row = df.iloc[0]
    assert row["victim_sex"] == "female"
    assert row["victim_age"] == 34
    assert row["relationship"] == "current_partner"
    assert row["perpetrator_sex"] == "male"
    assert row["perpetrator_age"] == 40
    assert row["mechanism"] == "sharp_object"
    assert row["iccs_code"] == "0101"
    assert row["year"] == 2015
    assert row["shr_relationship"] == "WI"
    assert row["shr_victim_race"] == "B"
    assert row["shr_offender1_race"] == "B"
    assert row["event_id"] == "XX00001-2015-06-001"
    assert row["victim_id"] == "XX00001-2015-06-001-1"


def test_output_is_canonical_and_validates_unchanged() -> None:
    df = read(
        record([V(), V("NB", "M")], [O(relationship="WI"), O(relationship="AQ")], incident=1),
        record([V("00", "U")], [O("00", "U", relationship="UN", weapon="90")], incident=2),
    )
    checked = fs.validate(df)
    for column in df.columns:
        pd.testing.assert_series_equal(checked[column], df[column], check_names=True)
    typed = fs.classify(checked)
    assert typed.loc[0, "femicide_type"] == "intimate_partner"


@pytest.mark.parametrize(("code", "expected"), sorted(SHR_RELATIONSHIP.items()))
def test_every_relationship_code_is_inverted_to_the_perpetrator_direction(
    code: str, expected: str
) -> None:
    # sex unknown: a partner code can then contradict nothing
    df = read(record([V(sex="U")], [O(relationship=code)]))
    assert df.loc[0, "relationship"] == expected
    assert df.loc[0, "shr_relationship"] == code


@pytest.mark.parametrize(
    ("code", "victim_was", "perpetrator_is"),
    [
        ("MO", "mother", "child"),
        ("SO", "son", "parent"),
        ("SM", "stepmother", "child"),
        ("SD", "stepdaughter", "parent"),
    ],
)
def test_parent_child_direction(code: str, victim_was: str, perpetrator_is: str) -> None:
    # The SHR says the victim was the offender's <victim_was>; femstat says what the
    # perpetrator was to her.
    df = read(record([V(sex="F", age="60")], [O(age="30", relationship=code)]))
    assert df.loc[0, "relationship"] == perpetrator_is, victim_was


def test_every_relationship_group_is_reachable() -> None:
    groups = {group(v) for v in SHR_RELATIONSHIP.values()}
    # Every SHR code says which relative or partner: none is "partner or family, not
    # known which".
    assert groups == set(C.RELATIONSHIP_GROUP.codes) - {"partner_or_family_unspecified"}


@pytest.mark.parametrize(("weapon", "mechanism"), sorted(SHR_WEAPON.items()))
def test_weapon_to_mechanism(weapon: str, mechanism: str) -> None:
    df = read(record(offenders=[O(weapon=weapon)]))
    assert df.loc[0, "mechanism"] == mechanism


# --------------------------------------------------------------------------------------
# Ages


@pytest.mark.parametrize(
    ("code", "age"),
    [("NB", 0), ("BB", 0), ("01", 1), ("17", 17), ("98", 98), ("99", 99), ("00", None)],
)
def test_victim_and_offender_age_codes(code: str, age: int | None) -> None:
    df = read(record([V(age=code)], [O(age=code)]))
    for column in ("victim_age", "perpetrator_age"):
        value = df.loc[0, column]
        assert (value is pd.NA) if age is None else (value == age), column


def test_infants_in_later_victim_slots() -> None:
    df = read(record([V("25"), V("NB"), V("BB"), V("00")], [O()]))
    assert df["victim_age"].tolist()[1:3] == [0, 0]
    assert df["victim_age"].isna().tolist() == [False, False, False, True]


# --------------------------------------------------------------------------------------
# Several victims, several offenders


def test_victims_after_the_first_have_unknown_relationship_and_offender_one() -> None:
    df = read(
        record(
            [V("30", "F"), V("08", "F"), V("40", "M")],
            [O("33", "M", relationship="WI", weapon="12"), O("19", "F", weapon="20")],
            situation="E",
        )
    )
    assert len(df) == 3
    assert df["relationship"].tolist() == ["current_partner", "unknown", "unknown"]
    assert df["shr_relationship"].isna().tolist() == [False, True, True]
    assert df["victim_id"].is_unique
    assert df["event_id"].nunique() == 1
    assert df["shr_victim_number"].tolist() == [1, 2, 3]
    # victims 2+ take the first offender: their relationships are all unknown
    assert df["perpetrator_sex"].tolist()[1:] == ["male", "male"]
    assert df["perpetrator_age"].tolist()[1:] == [33, 33]
    assert df["victim_sex"].tolist() == ["female", "female", "male"]


def test_fold_picks_the_closest_offender_and_takes_its_fields() -> None:
    df = read(
        record(
            [V(sex="F")],
            [
                O("20", "M", relationship="ST", weapon="12"),
                O("41", "F", relationship="DA", weapon="30", circumstance="45"),
                O("25", "M", relationship="AQ", weapon="20"),
            ],
            situation="C",
        )
    )
    row = df.iloc[0]
    assert row["relationship"] == "parent"
    assert row["perpetrator_sex"] == "female"
    assert row["perpetrator_age"] == 41
    assert row["mechanism"] == "blunt_object"
    assert row["shr_relationship"] == "DA"
    assert row["shr_offenders"] == 3


@pytest.mark.parametrize(
    ("codes", "expected"),
    [
        (["ST", "AQ", "HU"], "current_partner"),
        (["ST", "UN"], "unknown"),  # unknown ranks before other known and stranger
        (["OK", "UN"], "unknown"),
        (["AQ", "ST"], "friend_or_acquaintance"),
        (["UN", "MO", "XH"], "former_partner"),
        (["BR", "FR", "ST"], "sibling"),
    ],
)
def test_fold_order(codes: list[str], expected: str) -> None:
    df = read(record([V(sex="U")], [O(relationship=c) for c in codes]))
    assert df.loc[0, "relationship"] == expected


@given(
    st.lists(st.sampled_from(sorted(SHR_RELATIONSHIP)), min_size=1, max_size=11),
    st.randoms(use_true_random=False),
)
def test_fold_is_order_independent_and_closest(codes: list[str], rnd: object) -> None:
    shuffled = list(codes)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    first = read(record([V(sex="U")], [O(relationship=c) for c in codes]))
    second = read(record([V(sex="U")], [O(relationship=c) for c in shuffled]))
    assert first.loc[0, "relationship"] == second.loc[0, "relationship"]
    closest = min((group(SHR_RELATIONSHIP[c]) for c in codes), key=C.RELATIONSHIP_CLOSENESS.index)
    assert group(first.loc[0, "relationship"]) == closest


def test_offender_slots_beyond_the_count_are_ignored_and_reported() -> None:
    line = record([V()], [O(relationship="ST"), O(relationship="WI")], additional_offenders=0)
    with pytest.warns(DataQualityWarning, match="slot"):
        df, report = read(line, return_report=True)
    assert df.loc[0, "relationship"] == "stranger"
    assert "slot_beyond_count" in set(report["issue"])


def test_more_victims_than_slots_are_kept_as_unknown_rows() -> None:
    line = record([V()] * 11, [O()], additional_victims=12)
    with pytest.warns(DataQualityWarning, match="beyond the 11 slots"):
        df = read(line)
    assert len(df) == 13
    assert df["shr_victim_number"].tolist() == list(range(1, 14))
    assert df["victim_sex"].tolist()[11:] == ["unknown", "unknown"]
    assert df["victim_age"].isna().tolist()[11:] == [True, True]
    assert df["victim_id"].is_unique


# --------------------------------------------------------------------------------------
# Scope and criteria


def test_negligent_manslaughter_is_out_of_scope() -> None:
    df = read(record(homicide_type="B", offenders=[O(circumstance="59")]))
    assert df.loc[0, "iccs_code"] == "0103"
    assert df.loc[0, "shr_exclusion"] == "negligent_manslaughter"
    typed = fs.classify(fs.validate(df))
    assert typed.loc[0, "femicide_type"] == "out_of_scope"


@pytest.mark.parametrize(
    ("circumstance", "reason"),
    [("80", "justifiable_homicide_by_citizen"), ("81", "justifiable_homicide_by_police")],
)
def test_justifiable_homicide_is_out_of_scope(circumstance: str, reason: str) -> None:
    df = read(record([V(sex="F")], [O(circumstance=circumstance, sub="C")]))
    assert not str(df.loc[0, "iccs_code"]).startswith("0101")
    assert df.loc[0, "shr_exclusion"] == reason
    typed = fs.classify(fs.validate(df))
    assert typed.loc[0, "femicide_type"] == "out_of_scope"


def test_a_justifiable_circumstance_of_any_offender_excludes_the_incident() -> None:
    df = read(record([V(sex="F")], [O(circumstance="26"), O(circumstance="81")]))
    assert df.loc[0, "shr_exclusion"] == "justifiable_homicide_by_police"


def test_in_scope_records_have_no_exclusion() -> None:
    df = read(record())
    assert df.loc[0, "iccs_code"] == "0101"
    assert pd.isna(df.loc[0, "shr_exclusion"])


@pytest.mark.parametrize("circumstance", ["2", "17", " 2", "02"])
def test_sex_offence_circumstances_set_sexual_violence_for_every_victim(
    circumstance: str,
) -> None:
    df = read(record([V(), V("20")], [O(circumstance=circumstance)]))
    assert df["sexual_violence"].tolist() == [True, True]
    assert df["sex_work"].isna().all()


def test_prostitution_circumstance_sets_sex_work() -> None:
    df = read(record(offenders=[O(circumstance="10")]))
    assert df.loc[0, "sex_work"] is True or bool(df.loc[0, "sex_work"]) is True
    assert df["sexual_violence"].isna().all()


@pytest.mark.parametrize(
    "circumstance", [c for c in SHR_CIRCUMSTANCES if c not in ("2", "17", "10")]
)
def test_other_circumstances_leave_criteria_unknown_never_false(circumstance: str) -> None:
    df = read(record(offenders=[O(circumstance=circumstance)]))
    assert df["sexual_violence"].isna().all()
    assert df["sex_work"].isna().all()
    assert df.loc[0, "shr_circumstance"] == int(circumstance)


def test_a_sex_offence_of_any_offender_counts() -> None:
    df = read(record(offenders=[O(circumstance="45"), O(circumstance="2")]))
    assert bool(df.loc[0, "sexual_violence"]) is True


# --------------------------------------------------------------------------------------
# Data-quality warnings


@pytest.mark.parametrize(
    ("sex", "code"),
    [("F", "HU"), ("F", "CH"), ("F", "XH"), ("F", "BF"), ("M", "WI"), ("M", "CW"),
     ("M", "XW"), ("M", "GF")],
)  # fmt: skip
def test_partner_code_contradicting_victim_sex_warns_once_and_stays_partner(
    sex: str, code: str
) -> None:
    lines = [record([V(sex=sex)], [O(relationship=code)], incident=k) for k in range(1, 4)]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        df, report = read(*lines, return_report=True)
    quality = [w for w in caught if issubclass(w.category, DataQualityWarning)]
    assert len(quality) == 1
    assert "3" in str(quality[0].message)
    assert group(df.loc[0, "relationship"]) == "intimate_partner"
    row = report[report["code"] == code].iloc[0]
    assert row["issue"] == "partner_code_contradicts_victim_sex"
    assert row["count"] == 3
    assert row["lines"] == [1, 2, 3]


def test_consistent_partner_codes_do_not_warn() -> None:
    df, report = read(
        record([V(sex="F")], [O(relationship="WI")]),
        record([V(sex="M")], [O(relationship="HU")], incident=2),
        record([V(sex="U")], [O(relationship="HU")], incident=3),
        return_report=True,
    )
    assert report.empty
    assert len(df) == 3


def test_a_known_relationship_to_an_unknown_offender_is_a_contradiction() -> None:
    # Situations B and F: single or multiple victims, offender(s) unknown.
    with pytest.warns(DataQualityWarning, match="offender unknown"):
        df, report = read(
            record([V(sex="F")], [O(relationship="WI")], situation="B", incident=1),
            record([V(sex="F"), V(sex="M")], [O(relationship="DA")], situation="F", incident=2),
            record([V(sex="F")], [O(relationship="WI")], situation="A", incident=3),
            record([V(sex="F")], [O(relationship="UN")], situation="B", incident=4),
            return_report=True,
        )
    flagged = report[report["issue"] == "known_relationship_with_unknown_offender"]
    assert flagged.set_index("code")["count"].to_dict() == {
        "intimate_partner": 1,
        "family_member": 1,
    }
    assert flagged.set_index("code")["lines"].to_dict() == {
        "intimate_partner": [1],
        "family_member": [2],
    }
    assert "used as given" in flagged["detail"].iloc[0]
    # Reported, not changed: the code still decides the relationship.
    assert group(df.loc[0, "relationship"]) == "intimate_partner"


def test_duplicate_incident_keys_get_distinct_event_ids() -> None:
    line = record()
    with pytest.warns(DataQualityWarning, match="incident key"):
        df = read(line, line)
    assert df["event_id"].tolist() == ["XX00001-2015-06-001", "XX00001-2015-06-001#2"]
    assert df["victim_id"].is_unique
    assert df["shr_incident_id"].nunique() == 1


# --------------------------------------------------------------------------------------
# File forms


def test_trimmed_padded_crlf_zip_gzip_and_buffers_read_the_same(tmp_path: Path) -> None:
    lines = [
        record([V(ethnicity=" ")], [O(relationship="WI")]),
        record([V(), V("NB")], [O(sub=" ")], incident=2),
    ]
    padded = read_shr(shr_file(*lines))
    trimmed = shr_file(*(x.rstrip() for x in lines))
    assert len(trimmed) < len(shr_file(*lines))
    forms: dict[str, object] = {
        "trimmed": trimmed,
        "crlf": shr_file(*lines, newline="\r\n"),
        "no final newline": shr_file(*lines)[:-1],
        "binary buffer": io.BytesIO(shr_file(*lines)),
        "text buffer": io.StringIO(shr_file(*lines).decode("ascii")),
        "gzip": gzip.compress(shr_file(*lines)),
    }
    archive = tmp_path / "shr.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("data.txt", shr_file(*lines))
    forms["zip path"] = archive
    plain = tmp_path / "shr.txt"
    plain.write_bytes(shr_file(*lines))
    forms["str path"] = str(plain)
    for name, form in forms.items():
        pd.testing.assert_frame_equal(read_shr(form), padded, obj=name)  # type: ignore[arg-type]


def test_zip_with_several_data_files_is_refused(tmp_path: Path) -> None:
    archive = tmp_path / "two.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("a.txt", shr_file(record()))
        zf.writestr("b.txt", shr_file(record()))
    with pytest.raises(SourceError, match=r"2 data files \(a\.txt, b\.txt\).*exactly one"):
        read_shr(archive)


# --------------------------------------------------------------------------------------
# Bad input: every error names the line and the field, never the line's content


def assert_names(exc: ValidationError, *, line: int, field: str) -> None:
    message = str(exc)
    assert re.search(rf"\b{line}\b", message), message
    assert field in message, message
    assert "SPRINGFIELD" not in message  # never the record's content
    assert list(exc.failure_cases.columns) == ["column", "check", "value", "n_rows", "rows"]
    assert (line - 1) in {r for rows in exc.failure_cases["rows"] for r in rows}


def test_line_shorter_than_the_fixed_fields() -> None:
    lines = [record(incident=1), record(incident=2)[:90], record(incident=3)]
    with pytest.raises(ValidationError) as info:
        read(*lines)
    # columns 1-90 are there: the relationship (90-91) is the first field cut
    assert_names(info.value, line=2, field="offender 1 relationship")


def test_line_cut_before_the_victims_its_count_announces() -> None:
    full = record([V(), V(), V()], [O()])
    with pytest.raises(ValidationError) as info:
        read(record(), full[:106])
    assert_names(info.value, line=2, field="victim 3 age")


def test_line_cut_before_the_offenders_its_count_announces() -> None:
    full = record([V()], [O(), O()])
    with pytest.raises(ValidationError) as info:
        read(full[:155])
    assert_names(info.value, line=1, field="offender 2")


def test_over_long_line() -> None:
    with pytest.raises(ValidationError) as info:
        read(record(), record() + "XYZ")
    assert_names(info.value, line=2, field="270")


def test_unknown_relationship_code() -> None:
    with pytest.raises(ValidationError) as info:
        read(record(), record(), record(offenders=[O(), O(relationship="ZZ")]))
    assert_names(info.value, line=3, field="offender 2 relationship")
    assert "'ZZ'" in str(info.value)


@pytest.mark.parametrize(
    ("victim", "offender", "field"),
    [
        (V(sex="X"), O(), "victim 1 sex"),
        (V(race="Q"), O(), "victim 1 race"),
        (V(), O(weapon="33"), "offender 1 weapon"),
        (V(), O(circumstance="33"), "offender 1 circumstance"),
        (V(), O(sex="Z"), "offender 1 sex"),
    ],
)
def test_unknown_codes_name_their_field(victim: V, offender: O, field: str) -> None:
    with pytest.raises(ValidationError) as info:
        read(record(), record([victim], [offender]))
    assert_names(info.value, line=2, field=field)


@pytest.mark.parametrize("age", ["A5", "-1", "?9", "X "])
def test_non_numeric_age(age: str) -> None:
    with pytest.raises(ValidationError) as info:
        read(record([V(), V(age=age)], [O()]))
    assert_names(info.value, line=1, field="victim 2 age")


def test_non_numeric_count() -> None:
    line = record()
    bad = line[:94] + "  X" + line[97:]
    with pytest.raises(ValidationError) as info:
        read(line, bad)
    assert_names(info.value, line=2, field="additional victim count")


def test_blank_code_in_a_used_slot() -> None:
    with pytest.raises(ValidationError) as info:
        read(record([V(), V(sex=" ")], [O()]))
    assert_names(info.value, line=1, field="victim 2 sex")


def test_latin1_byte_names_line_and_field() -> None:
    data = shr_file(record(), record(agency_name="SPRINGFIELD"))
    broken = data.replace(b"SPRINGFIELD", b"SPRINGFI\xc9LD", 2)
    # only the second occurrence is on line 2; make line 1 clean again
    broken = broken.replace(b"SPRINGFI\xc9LD", b"SPRINGFIELD", 1)
    with pytest.raises(ValidationError) as info:
        read_shr(broken)
    assert_names(info.value, line=2, field="agency name")
    assert "0xC9" in str(info.value)


def test_utf16_file_is_refused() -> None:
    data = shr_file(record()).decode("ascii").encode("utf-16")
    with pytest.raises(ValidationError, match="ASCII"):
        read_shr(data)


def test_empty_file_and_empty_line() -> None:
    with pytest.raises(ValidationError, match="no records"):
        read_shr(b"")
    with pytest.raises(ValidationError) as info:
        read_shr(shr_file(record(), "", record()))
    assert "line" in str(info.value)
    assert 1 in info.value.failure_cases["rows"].iloc[0]


def test_problems_are_collected_before_raising() -> None:
    with pytest.raises(ValidationError) as info:
        read(
            record([V(sex="X")], [O()]),
            record([V()], [O(relationship="ZZ")]),
            record([V(age="Q1")], [O()]),
        )
    assert set(info.value.failure_cases["column"]) == {
        "victim 1 sex",
        "offender 1 relationship",
        "victim 1 age",
    }


# --------------------------------------------------------------------------------------
# The mapping is data


def test_an_edited_mapping_changes_the_decision() -> None:
    edited = builtin_mapping("shr").to_dict()
    edited["columns"]["relationship"]["codes"]["OF"] = "other_blood_relative"
    df = read(record(offenders=[O(relationship="OF")]), mapping=edited)
    assert df.loc[0, "relationship"] == "other_blood_relative"
    default = read(record(offenders=[O(relationship="OF")]))
    assert default.loc[0, "relationship"] == "family_member"


def test_an_incomplete_mapping_is_refused() -> None:
    edited = builtin_mapping("shr").to_dict()
    del edited["columns"]["weapon"]
    with pytest.raises(fs.FemstatError, match="weapon"):
        read(record(), mapping=edited)


def test_blank_lines_at_the_end_are_not_records_but_inside_they_are_errors() -> None:
    data = shr_file(record(), record(incident=2)) + b"   \n\n"
    assert len(read_shr(data)) == 2
    with pytest.raises(ValidationError) as info:
        read_shr(shr_file(record(), "    ", record(incident=2)))
    assert "empty line" in str(info.value)
    assert info.value.failure_cases["rows"].iloc[0] == [1]


def test_editing_a_copy_leaves_the_builtin_mapping_alone() -> None:
    edited = builtin_mapping("shr").to_dict()
    edited["reader"]["circumstance_exclusion"]["45"] = "argument"
    edited["columns"]["victim_sex"]["codes"]["F"] = "male"
    df = read(record(offenders=[O(circumstance="45")]))
    assert pd.isna(df.loc[0, "shr_exclusion"])
    assert df.loc[0, "victim_sex"] == "female"


# --------------------------------------------------------------------------------------
# Reading in blocks: the same table, report and errors as one read of the whole file


def _mixed_records(n: int) -> list[str]:
    """Records with something for every cross-block concern: repeated incident keys,
    quality notes (partner code against the victim's sex), several victims, trimmed
    lines and different agencies (categories that differ from block to block)."""
    rng = np.random.default_rng(11)
    lines = []
    for k in range(n):
        kind = int(rng.integers(0, 5))
        ori = f"XX{int(rng.integers(0, 40)):05d}"
        if kind == 0:
            line = record([V(sex="F")], [O(relationship="HU")], ori=ori, incident=k % 7)
        elif kind == 1:
            line = record([V(), V("NB"), V(sex="M")], [O(), O(relationship="BF")], ori=ori)
        elif kind == 2:
            line = record(ori=ori, incident=k % 900, homicide_type="B", trim=True)
        elif kind == 3:
            line = record([V(race="B")], [O(circumstance="2")], ori=ori, incident=k % 900)
        else:
            line = record(ori=ori, incident=1)  # repeats an earlier key
        lines.append(line)
    return lines


def _read_in_blocks(
    monkeypatch: pytest.MonkeyPatch, data: bytes, block_bytes: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    with monkeypatch.context() as patch:
        patch.setattr(shr_module, "_BLOCK_BYTES", block_bytes)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DataQualityWarning)
            return read_shr(data, return_report=True)


@pytest.mark.parametrize("block_bytes", [300, 1000, 4096, 50_000])
def test_blocks_read_as_the_whole_file(monkeypatch: pytest.MonkeyPatch, block_bytes: int) -> None:
    data = shr_file(*_mixed_records(400)) + b"   \n\n"
    whole, whole_report = _read_in_blocks(monkeypatch, data, 1 << 24)
    table, report = _read_in_blocks(monkeypatch, data, block_bytes)
    pd.testing.assert_frame_equal(table, whole)
    pd.testing.assert_frame_equal(report, whole_report)
    assert set(report["issue"]) >= {
        "partner_code_contradicts_victim_sex",
        "duplicate_incident_key",
    }
    assert table["event_id"].str.contains("#").any()


@pytest.mark.parametrize("block_bytes", [300, 1000, 1 << 24])
def test_problems_are_the_same_in_blocks(monkeypatch: pytest.MonkeyPatch, block_bytes: int) -> None:
    lines = _mixed_records(60)
    lines[5] = record([V(sex="X")], [O()])
    lines[41] = record([V(sex="X")], [O()])
    lines[50] = record([V()], [O(relationship="ZZ")])
    data = shr_file(*lines)
    with monkeypatch.context() as patch:
        patch.setattr(shr_module, "_BLOCK_BYTES", block_bytes)
        with pytest.raises(ValidationError) as info:
            read_shr(data)
    cases = info.value.failure_cases.set_index("column")
    assert cases.loc["victim 1 sex", "n_rows"] == 2
    assert cases.loc["victim 1 sex", "rows"] == [5, 41]
    assert cases.loc["offender 1 relationship", "rows"] == [50]
    assert "(60 records)" in str(info.value)


@pytest.mark.parametrize("block_bytes", [100, 700, 1 << 24])
def test_blank_lines_across_blocks(monkeypatch: pytest.MonkeyPatch, block_bytes: int) -> None:
    with monkeypatch.context() as patch:
        patch.setattr(shr_module, "_BLOCK_BYTES", block_bytes)
        # blank lines at the end, however many blocks they fill, are not records
        assert len(read_shr(shr_file(record(), record(incident=2)) + b"  \n" * 50)) == 2
        # blank lines before a record are problems, named by their lines
        data = shr_file(record(), *[""] * 4, record(incident=2))
        with pytest.raises(ValidationError, match="empty line") as info:
            read_shr(data)
    assert info.value.failure_cases["rows"].iloc[0] == [1, 2, 3, 4]


def test_a_line_without_end_is_measured_not_held(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shr_module, "_LINE_CAP", 1000)
    monkeypatch.setattr(shr_module, "_BLOCK_BYTES", 512)
    data = shr_file(record()) + b"A" * 5000 + b"\n" + shr_file(record(incident=2))
    with pytest.raises(ValidationError, match=r"first: 5000") as info:
        read_shr(data)
    assert info.value.failure_cases["rows"].iloc[0] == [1]


@pytest.mark.slow
def test_memory_grows_with_the_result_not_with_a_copy_per_step() -> None:
    # About 17 MB of records, some trimmed: reading them whole took 28 bytes of traced
    # memory per input byte (a byte matrix, masks, a running count, an int64 index
    # matrix); in blocks it is the result plus one block's working arrays (about 5).
    data = shr_file(*_mixed_records(2_000)) * 37
    tracemalloc.start()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DataQualityWarning)
            table = read_shr(data)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(table) > 70_000
    assert peak < 8 * len(data), f"{peak / len(data):.1f} bytes per input byte"
