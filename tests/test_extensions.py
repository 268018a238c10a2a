"""Extension variables: victim gender identity, linked victims and orphans.

Validation of each (spellings, types, ranges, soft checks), the indicators
``fs.linked_victims`` and ``fs.orphans`` on hand-made frames whose answers are counted
by hand in the comments, and the report section that appears only with the columns.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import femstat as fs
from femstat import codes as C
from femstat.errors import DataQualityWarning
from femstat.extensions import ExtensionError, linked_status, linked_victims_cube, orphans_cube
from femstat.schemas import EXTENSION_VARIABLES, MAX_ORPHANS, victim_json_schema


def base(n: int, **extra: object) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "victim_sex": ["female"] * n,
            "victim_age": [30] * n,
            "relationship": ["current_partner"] * n,
            "year": [2020] * n,
        }
    )
    for name, values in extra.items():
        frame[name] = values
    return frame


# ------------------------------------------------------------------------ validation


def test_the_extension_variables_are_in_the_schema_and_not_added_when_absent() -> None:
    assert EXTENSION_VARIABLES == ("victim_gender_identity", "linked_victim", "orphans")
    out, report = fs.validate(base(2), report=True)
    for name in EXTENSION_VARIABLES:
        assert name not in out.columns
        assert name not in report.added_columns
    schema = victim_json_schema()["properties"]
    assert schema["orphans"]["maximum"] == MAX_ORPHANS
    assert schema["victim_age"]["maximum"] == 120
    assert schema["victim_gender_identity"]["enum"] == list(C.GENDER_IDENTITY.codes)
    assert schema["linked_victim"]["type"] == ["boolean", "null"]


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("Mujer trans", "trans_woman"),
        ("TRAVESTI", "travesti"),
        ("travestí", "travesti"),
        ("trans woman", "trans_woman"),
        ("mulher trans", "trans_woman"),
        ("femme trans", "trans_woman"),
        ("Hombre trans", "trans_man"),
        ("non-binary", "non_binary"),
        ("no binarie", "non_binary"),
        ("cis_woman", "cis_woman"),
        ("mujer cis", "cis_woman"),
        ("desconocido", "unknown"),
        ("", "unknown"),
    ],
)
def test_gender_identity_spellings(raw: str, code: str) -> None:
    out = fs.validate(base(1, victim_gender_identity=[raw]))
    assert C.GENDER_IDENTITY.is_dtype_of(out["victim_gender_identity"])
    assert out["victim_gender_identity"].iloc[0] == code


def test_a_bare_woman_is_no_gender_identity() -> None:
    # "mujer" says nothing about cis or trans: refused, not guessed.
    with pytest.raises(fs.ValidationError, match="victim_gender_identity") as info:
        fs.validate(base(2, victim_gender_identity=["mujer", "trans woman"]))
    assert "'mujer'" in str(info.value) and "rows 0" in str(info.value)


def test_linked_victim_is_a_nullable_boolean() -> None:
    out = fs.validate(
        base(4, event_id=[1, 1, 1, 1], linked_victim=["no", "sí", "", "FALSE"]),
    )
    assert out["linked_victim"].dtype == "boolean"
    assert out["linked_victim"].tolist() == [False, True, pd.NA, False]
    with pytest.raises(fs.ValidationError, match="linked_victim"):
        fs.validate(base(2, linked_victim=["yes", "maybe"]))


def test_orphans_range_and_type() -> None:
    out = fs.validate(base(4, orphans=[0, "3", 50, None]))
    assert out["orphans"].dtype == "Int16"
    assert out["orphans"].tolist() == [0, 3, 50, pd.NA]
    with pytest.raises(fs.ValidationError) as info:
        fs.validate(base(5, orphans=[51, 99, 99, 2, -1]))
    text = str(info.value)
    assert "column 'orphans', check 'in 0-50': value 51 in 1 row(s) (rows 0)" in text
    assert "value 99 in 2 row(s) (rows 1, 2)" in text
    assert "value -1 in 1 row(s) (rows 4)" in text
    assert "What to do: give the number of children under 18" in text
    assert isinstance(info.value, ValueError) and isinstance(info.value, fs.FemstatError)
    with pytest.raises(fs.ValidationError, match="whole number of children"):
        fs.validate(base(1, orphans=[1.5]))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.none(), st.integers(-5, 200)), min_size=1, max_size=12))
def test_orphans_are_refused_exactly_outside_0_to_50(values: list[int | None]) -> None:
    frame = base(len(values), orphans=pd.array(values, dtype="Int64"))
    bad = [v for v in values if v is not None and not 0 <= v <= MAX_ORPHANS]
    if bad:
        with pytest.raises(fs.ValidationError) as info:
            fs.validate(frame)
        cases = info.value.failure_cases
        assert set(cases["column"]) == {"orphans"}
        assert int(cases["n_rows"].sum()) == len(bad)
    else:
        out = fs.validate(frame)
        assert out["orphans"].astype("Int64").tolist() == [
            pd.NA if v is None else v for v in values
        ]


def test_linked_victim_without_event_is_a_warning() -> None:
    frame = base(3, linked_victim=[False, True, True])
    _, report = fs.validate(frame, report=True)
    (row,) = report.warnings.query("check == 'linked_victim_without_event'").itertuples()
    assert row.n_rows == 2 and row.rows == [1, 2]
    with pytest.warns(DataQualityWarning, match="linked_victim_without_event"):
        fs.validate(frame)
    # With an event id on each, the same records raise no such warning.
    _, report = fs.validate(frame.assign(event_id=["e", "e", "e"]), report=True)
    assert report.warnings.empty


def test_a_blank_event_id_is_no_event() -> None:
    # Read from text, a missing event id is an empty or blank cell, not an event "".
    frame = base(3, linked_victim=["no", "yes", "yes"], event_id=["e1", "", "  "])
    _, report = fs.validate(frame.astype(str), report=True)
    assert report.warnings["check"].tolist() == ["linked_victim_without_event"]
    assert report.warnings["rows"].iloc[0] == [1, 2]


def test_linked_victim_whose_event_has_no_woman_is_a_warning() -> None:
    frame = pd.DataFrame(
        {
            "victim_sex": ["female", "male", "male", "male", "female", "female"],
            "victim_age": [30, 6, 40, 41, 20, 22],
            "relationship": "current_partner",
            "year": 2020,
            # event A: a woman and her son (fine); event B: two men, one linked (warned);
            # events C and D: a linked woman alone (warned: she is no anchor for herself).
            "event_id": ["A", "A", "B", "B", "C", "D"],
            "linked_victim": [False, True, False, True, True, True],
            "iccs_code": ["0101", "0101", "0101", "0101", "0101", "0101"],
        }
    )
    _, report = fs.validate(frame, report=True)
    (row,) = report.warnings.query("check == 'linked_victim_without_female_victim'").itertuples()
    assert row.rows == [3, 4, 5] and row.n_rows == 3
    # A woman killed in an attempt (ICCS 0102) is not in scope: her linked sister of the
    # same event is warned too.
    frame2 = frame.copy()
    frame2.loc[4, "linked_victim"] = False
    frame2.loc[4, "iccs_code"] = "0102"
    frame2.loc[5, "event_id"] = "C"
    _, report = fs.validate(frame2, report=True)
    (row,) = report.warnings.query("check == 'linked_victim_without_female_victim'").itertuples()
    assert row.rows == [3, 5]


def test_event_ids_never_appear_in_the_linked_victim_warnings() -> None:
    secret = "CASE-SECRET-0042"
    frame = base(2, event_id=[secret, None], linked_victim=[True, True]).assign(
        victim_sex=["male", "male"]
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _, report = fs.validate(frame, report=True)
        fs.validate(frame)
    assert len(report.warnings) == 2
    assert secret not in report.warnings.to_string()
    assert secret not in str(report)
    assert all(secret not in str(w.message) for w in caught)


# ------------------------------------------------------------------------ indicators


def event_frame() -> pd.DataFrame:
    """Three events and a lone record.

    Event 1: a woman (34) killed by her partner; her son (7) and her mother (61), linked.
    Event 2: a woman (25) killed by a stranger, criteria unknown (undetermined), and a man
    (30) linked: no femicide in the event, so not counted.
    Event 3: a woman (40) killed by her brother (family_member), nobody linked.
    Row 7: a linked girl (12) with no event id (not counted; a data-quality warning).
    """
    return pd.DataFrame(
        {
            "victim_sex": ["female", "male", "female", "female", "male", "female", "female"],
            "victim_age": [34, 7, 61, 25, 30, 40, 12],
            "relationship": [
                "current_partner",
                "current_partner",
                "current_partner",
                "stranger",
                "stranger",
                "sibling",
                "unknown",
            ],
            "year": [2021, 2021, 2021, 2022, 2022, 2022, 2022],
            "event_id": [1, 1, 1, 2, 2, 3, None],
            "linked_victim": [False, True, True, False, True, False, True],
            "orphans": [2, None, 0, None, 1, 3, 0],
        }
    )


@pytest.fixture
def typed() -> pd.DataFrame:
    clean, _ = fs.validate(event_frame(), report=True)
    return fs.classify(clean)


def test_linked_status(typed: pd.DataFrame) -> None:
    assert linked_status(typed).tolist() == [
        "not_linked",
        "linked_to_femicide",
        "linked_to_femicide",
        "not_linked",
        "linked_other",
        "not_linked",
        "linked_other",
    ]


def test_linked_victims_by_sex_and_age_group(typed: pd.DataFrame) -> None:
    table = fs.linked_victims(typed)
    # Every sex x UNODC age group is present, zeros explicit.
    assert len(table) == len(C.SEX) * 10
    assert table["count"].dtype == "Int64"
    hits = table[table["count"] > 0]
    assert hits[["victim_sex", "age_group", "count"]].astype(str).values.tolist() == [
        ["female", "60+", "1"],
        ["male", "0-9", "1"],
    ]
    assert int(table["count"].sum()) == 2


def test_linked_victims_by_year(typed: pd.DataFrame) -> None:
    table = fs.linked_victims(typed, by="year")
    per_year = table.groupby("year", observed=True)["count"].sum()
    assert per_year.to_dict() == {2021: 2, 2022: 0}


def test_linked_victims_from_a_protected_cube(typed: pd.DataFrame) -> None:
    cube = linked_victims_cube(typed)
    assert int(cube["count"].sum()) == len(typed)  # every victim, so it adds up
    release = fs.protect({"overall": fs.indicators(typed), "linked": cube}, min_count=2)
    protected = fs.linked_victims(release["linked"])
    # Both linked victims are single counts: withheld, and never shown as a number.
    by_cell = protected.set_index(["victim_sex", "age_group"])["count"]
    assert pd.isna(by_cell[("female", "60+")]) and pd.isna(by_cell[("male", "0-9")])
    assert not (protected["count"].fillna(0) == 1).any()
    # Unprotected, the cube gives the same table as the microdata.
    pd.testing.assert_frame_equal(fs.linked_victims(cube), fs.linked_victims(typed))


def test_linked_victims_refuses_an_identifying_breakdown(typed: pd.DataFrame) -> None:
    with pytest.raises(fs.FemstatError, match="event_id"):
        fs.linked_victims(typed, by="event_id")


def test_orphans_by_type(typed: pd.DataFrame) -> None:
    table = fs.orphans(typed).set_index("femicide_type")
    assert list(table.index) == [*C.FEMICIDE, "femicide"]
    # Femicides: row 0 (intimate partner, 2 orphans), row 5 (family, 3), and the linked
    # grandmother row 2 (partner code, 0 orphans); the linked boy is male (out of scope);
    # row 3 is undetermined, row 6 undetermined.
    assert table.loc["intimate_partner"].to_dict() == {
        "victims": 2,
        "victims_known": 2,
        "orphans": 2,
        "victims_unknown": 0,
    }
    assert table.loc["family_member", "orphans"] == 3
    assert table.loc["femicide"].to_dict() == {
        "victims": 3,
        "victims_known": 3,
        "orphans": 5,
        "victims_unknown": 0,
    }


def test_unknown_orphans_are_counted_apart_never_as_zero() -> None:
    frame = base(4, orphans=[None, None, 4, 0])
    table = fs.orphans(fs.classify(fs.validate(frame))).set_index("femicide_type")
    assert table.loc["intimate_partner"].to_dict() == {
        "victims": 4,
        "victims_known": 2,
        "orphans": 4,
        "victims_unknown": 2,
    }


def test_orphans_by_year_has_every_group(typed: pd.DataFrame) -> None:
    table = fs.orphans(typed, by="year")
    assert len(table) == 2 * (len(C.FEMICIDE) + 1)
    total = table[table["femicide_type"] == "femicide"].set_index("year")["orphans"]
    assert total.to_dict() == {2021: 2, 2022: 3}


def test_orphans_from_a_protected_cube(typed: pd.DataFrame) -> None:
    release = fs.protect({"overall": fs.indicators(typed), "o": orphans_cube(typed)}, min_count=3)
    table = fs.orphans(release["o"]).set_index("femicide_type")
    # One family victim with 3 orphans: withheld, and so is every value that adds her up.
    assert pd.isna(table.loc["family_member", "orphans"])
    assert pd.isna(table.loc["femicide", "orphans"])
    assert table.loc["other_perpetrator"].tolist() == [0, 0, 0, 0]
    assert table.loc["intimate_partner", "victims_unknown"] == 0
    pd.testing.assert_frame_equal(fs.orphans(orphans_cube(typed)), fs.orphans(typed))


def test_indicators_say_which_column_is_missing() -> None:
    typed = fs.classify(fs.validate(base(3)))
    for function, column in ((fs.orphans, "orphans"), (fs.linked_victims, "linked_victim")):
        with pytest.raises(ExtensionError) as info:
            function(typed)
        assert column in str(info.value) and "3 rows" in str(info.value)
        assert isinstance(info.value, KeyError) and isinstance(info.value, fs.FemstatError)


def test_extensions_never_change_the_un_types(typed: pd.DataFrame) -> None:
    plain = fs.classify(fs.validate(event_frame().drop(columns=["linked_victim", "orphans"])))
    assert typed["femicide_type"].tolist() == plain["femicide_type"].tolist()


# ------------------------------------------------------------------------ report


def many_events(seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    victims = fs.synth.generate(400, seed=seed)
    victims = victims.reset_index(drop=True)
    victims["event_id"] = np.arange(len(victims))
    # Some partner femicides get a linked victim: a child of the same event.
    anchors = victims.index[
        (victims["victim_sex"] == "female")
        & (victims["relationship"] == "current_partner")
        & (victims["iccs_code"].astype(str) == "0101")
    ][:40]
    children = victims.loc[anchors].copy()
    children["victim_age"] = rng.integers(0, 15, len(children))
    children["victim_sex"] = np.where(rng.random(len(children)) < 0.5, "female", "male")
    children["victim_id"] = np.arange(len(victims), len(victims) + len(children))
    out = pd.concat([victims, children], ignore_index=True)
    out["linked_victim"] = pd.array([False] * len(victims) + [True] * len(children))
    out["orphans"] = pd.array(rng.integers(0, 4, len(out)), dtype="Int64")
    out.loc[out.index[::9], "orphans"] = pd.NA
    return out


@pytest.mark.slow
def test_report_section_present_only_with_the_columns(tmp_path: Path) -> None:
    data = many_events()
    with_ext = fs.build_report(data, out_dir=tmp_path / "with", imputations=0)
    text = with_ext.markdown.read_text(encoding="utf-8")
    assert "Linked victims and orphans" in text
    assert (tmp_path / "with" / "chart-linked-orphans.png").is_file()
    names = {p.name for p in with_ext.tables}
    assert {"linked_victims.csv", "orphans.csv"} <= names
    without = fs.build_report(
        data.drop(columns=["linked_victim", "orphans"]),
        out_dir=tmp_path / "without",
        imputations=0,
    )
    assert "Linked victims and orphans" not in without.markdown.read_text(encoding="utf-8")
    assert not (tmp_path / "without" / "chart-linked-orphans.png").exists()


def _section_rows(markdown: str, caption: str) -> dict[str, list[str]]:
    """The body rows of the table under ``caption``, by first cell."""
    lines = markdown[markdown.index(caption) :].splitlines()[2:]
    rows: dict[str, list[str]] = {}
    for line in lines:
        if not line.startswith("|"):
            if rows:
                break
            continue
        cells = [c.strip().strip("*").replace("\\", "") for c in line.strip("|").split("|")]
        if set(cells[0]) <= {"-", " "}:
            continue
        rows[cells[0]] = cells[1:]
    return rows


@pytest.mark.slow
def test_report_section_shows_the_indicators_values(tmp_path: Path) -> None:
    data = many_events()
    files = fs.build_report(data, out_dir=tmp_path, imputations=0, min_count=1)
    text = files.markdown.read_text(encoding="utf-8")
    typed = fs.classify(fs.validate(data, report=True)[0])
    orphans = fs.orphans(typed).set_index("femicide_type")
    rows = _section_rows(text, "Children under 18 left by femicide victims")
    for kind, name in (
        ("intimate_partner", "Intimate partner"),
        ("femicide", "Femicide (identified)"),
    ):
        expected = orphans.loc[kind, ["victims", "victims_known", "orphans", "victims_unknown"]]
        assert [int(x.replace(",", "")) for x in rows[name]] == expected.tolist()
    linked = fs.linked_victims(typed)
    rows = _section_rows(text, "Linked victims of femicides, by age group and sex")
    total = int(linked["count"].sum())
    assert total > 0 and int(rows["Total"][-1]) == total
    young = linked[linked["age_group"].astype(str) == "0-9"].set_index("victim_sex")["count"]
    assert int(rows["0-9"][0]) == young["female"] and int(rows["0-9"][1]) == young["male"]


@pytest.mark.slow
def test_report_withholds_small_linked_and_orphan_counts(tmp_path: Path) -> None:
    data = many_events()
    files = fs.build_report(data, out_dir=tmp_path, imputations=0, min_count=5)
    text = files.markdown.read_text(encoding="utf-8")
    rows = _section_rows(text, "Linked victims of femicides, by age group and sex")
    typed = fs.classify(fs.validate(data, report=True)[0])
    linked = fs.linked_victims(typed)
    small = linked[(linked["count"] > 0) & (linked["count"] < 5)]
    assert not small.empty
    for row in small.itertuples():
        column = 0 if row.victim_sex == "female" else 1
        assert (
            rows["Unknown" if row.age_group == "unknown" else str(row.age_group)][column] == "[c]"
        )
    cube = pd.read_csv(tmp_path / "tables" / "linked_victims.csv")
    shown = cube["count"].dropna()
    assert not ((shown > 0) & (shown < 5)).any()


def test_reading_a_file_gives_what_validate_gives(tmp_path: Path) -> None:
    frame = event_frame().assign(
        victim_gender_identity=["mujer trans", "", "travesti", "cis woman", "", "x", "otro"]
    )
    frame.loc[5, "victim_gender_identity"] = "non-binary"
    path = tmp_path / "victims.csv"
    frame.to_csv(path, index=False)
    read, read_report = fs.read(path, report=True)
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    valid, valid_report = fs.validate(raw, report=True)
    for name in EXTENSION_VARIABLES:
        assert read[name].dtype == valid[name].dtype, name
        assert read[name].astype(object).tolist() == valid[name].astype(object).tolist(), name
    assert read_report.added_columns == valid_report.added_columns
    assert read_report.warnings["check"].tolist() == ["linked_victim_without_event"]
    assert valid_report.warnings["check"].tolist() == ["linked_victim_without_event"]
