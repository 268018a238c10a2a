"""Count cubes carry how they were made; add_cubes refuses cubes made differently.

Also: a breakdown by an identifying column is refused everywhere a breakdown is taken.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import femstat as fs
from femstat.counts import COMPARATOR_CLASSES, PROVENANCE, CubeMismatchError, cube_provenance
from femstat.stream import counts_from_file
from femstat.testing import assert_cubes_equal

NATIONAL = fs.RuleSet(
    name="NATIONAL_TEST",
    criteria=("sexual_violence", "mutilation"),
    qualifying_groups={"intimate_partner": "intimate_partner"},
)


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    return fs.synth.generate(4_000, seed=3)


@pytest.fixture(scope="module")
def halves(data: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    return data.iloc[:2_000], data.iloc[2_000:]


def test_counts_records_how_the_cube_was_made(data: pd.DataFrame) -> None:
    cube = fs.counts(data, ["year", "age_group"], age_groups="five_year", male_comparator=True)
    record = cube_provenance(cube)
    assert record is not None
    assert record["breakdown"] == ["year", "age_group"]
    assert record["male_comparator"] is True
    assert record["classes"][-2:] == list(COMPARATOR_CLASSES)
    assert record["age_scheme"]["lower"] == list(fs.ages.age_scheme("five_year").lower)
    assert record["rules"]["name"] == "UN_2022"
    # without an age_group cut from victim_age the scheme does not matter
    assert cube_provenance(fs.counts(data, ["year"]))["age_scheme"] is None


def test_parts_made_alike_add_up_and_keep_the_record(
    data: pd.DataFrame, halves: tuple[pd.DataFrame, pd.DataFrame]
) -> None:
    by = ["year", "area", "age_group"]
    parts = [fs.counts(h, by, male_comparator=True) for h in halves]
    summed = fs.add_cubes(*parts)
    whole = fs.counts(data, by, male_comparator=True)
    assert_cubes_equal(summed, whole, check_dtype=True)
    assert cube_provenance(summed) == cube_provenance(whole)


def test_cubes_of_other_age_schemes_are_refused(
    halves: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    a = fs.counts(halves[0], ["age_group"], age_groups="unodc")
    b = fs.counts(halves[1], ["age_group"], age_groups="five_year")
    with pytest.raises(CubeMismatchError, match="age_group") as info:
        fs.add_cubes(a, b)
    assert "0-9" in str(info.value) and "0-4" in str(info.value)
    assert isinstance(info.value, ValueError) and isinstance(info.value, fs.FemstatError)


def test_same_bands_under_another_name_are_added(
    data: pd.DataFrame, halves: tuple[pd.DataFrame, pd.DataFrame]
) -> None:
    unodc = fs.ages.age_scheme("unodc")
    renamed = fs.AgeScheme(name="my_bands", lower=unodc.lower)
    a = fs.counts(halves[0], ["age_group"], age_groups=unodc)
    b = fs.counts(halves[1], ["age_group"], age_groups=renamed)
    assert_cubes_equal(fs.add_cubes(a, b), fs.counts(data, ["age_group"]), check_dtype=True)


def test_cube_with_the_comparator_is_not_added_to_one_without(
    halves: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    a = fs.counts(halves[0], ["year"], male_comparator=True)
    b = fs.counts(halves[1], ["year"])
    with pytest.raises(CubeMismatchError, match="femicide_type"):
        fs.add_cubes(a, b)
    with pytest.raises(CubeMismatchError, match="femicide_type"):
        fs.add_cubes(b, a)


@pytest.mark.parametrize("strip", [False, True])
def test_cubes_of_other_rule_sets_are_refused(
    halves: tuple[pd.DataFrame, pd.DataFrame], strip: bool
) -> None:
    a = fs.counts(halves[0], ["year"])
    b = fs.counts(halves[1], ["year"], rules=NATIONAL)
    if not strip:
        with pytest.raises(CubeMismatchError, match="NATIONAL_TEST"):
            fs.add_cubes(a, b)
        return
    # the same name with other content is another rule set
    impostor = dataclasses.replace(NATIONAL, name="UN_2022")
    c = fs.counts(halves[1], ["year"], rules=impostor)
    with pytest.raises(CubeMismatchError, match="fingerprint"):
        fs.add_cubes(a, c)


def test_classified_data_carries_its_rule_set_into_the_cube(
    halves: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    national = fs.classify(halves[0], rules=NATIONAL)
    cube = fs.counts(national, ["year"])
    assert cube_provenance(cube)["rules"]["name"] == "NATIONAL_TEST"
    with pytest.raises(CubeMismatchError, match="rules"):
        fs.add_cubes(cube, fs.counts(halves[1], ["year"]))
    # classified by UN_2022 and counted later: the same as counted from raw data
    un = fs.counts(fs.classify(halves[1]), ["year"])
    assert cube_provenance(un) == cube_provenance(fs.counts(halves[1], ["year"]))


def test_cube_without_record_beside_one_with_is_refused_with_a_way_out(
    data: pd.DataFrame, halves: tuple[pd.DataFrame, pd.DataFrame]
) -> None:
    a = fs.counts(halves[0], ["year", "area"])
    b = fs.counts(halves[1], ["year", "area"])
    by_hand = b.copy()
    by_hand.attrs = {}
    with pytest.raises(CubeMismatchError, match="cube 2 carries no record") as info:
        fs.add_cubes(a, by_hand)
    assert "cube_provenance" in str(info.value)
    # the documented way: give it the record after checking it was made the same way
    by_hand.attrs.update(a.attrs)
    assert_cubes_equal(fs.add_cubes(a, by_hand), fs.counts(data, ["year", "area"]))


def test_cubes_without_record_are_still_checked_by_their_levels(
    halves: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    a = fs.counts(halves[0], ["age_group"], age_groups="unodc")
    b = fs.counts(halves[1], ["age_group"], age_groups="five_year")
    a.attrs, b.attrs = {}, {}
    with pytest.raises(CubeMismatchError, match="different levels in column 'age_group'"):
        fs.add_cubes(a, b)
    c = fs.counts(halves[1], ["age_group"], age_groups="unodc")
    c.attrs = {}
    summed = fs.add_cubes(a, c)
    assert cube_provenance(summed) is None
    assert int(summed["count"].sum()) == 4_000


def test_stream_and_indicator_cubes_keep_the_record(data: pd.DataFrame, tmp_path: Path) -> None:
    path = tmp_path / "victims.parquet"
    data.to_parquet(path, row_group_size=1_000)
    streamed = counts_from_file(path, ["year", "area"], batch_rows=1_000)
    whole = fs.counts(data, ["year", "area"])
    assert_cubes_equal(streamed, whole, check_dtype=True)
    assert cube_provenance(streamed) == cube_provenance(whole)
    # a cube with the comparator collapsed by indicators keeps working
    cube = fs.counts(data, ["year", "area"], male_comparator=True)
    table = fs.indicators(cube, ["year"])
    assert set(table["year"]) == set(data["year"])
    assert PROVENANCE in cube.attrs


SENSITIVE_CALLS = {
    "counts": lambda d, by: fs.counts(d, by),
    "indicators": lambda d, by: fs.indicators(d, by),
    "bounds": lambda d, by: fs.bounds(d, by),
    "completeness": lambda d, by: fs.completeness(d, by),
    "trend": lambda d, by: fs.trend(d, by, population=fs.synth.population()),
    "age_standardised_rates": lambda d, by: fs.age_standardised_rates(
        d, by, population=fs.synth.population(age_groups="five_year")
    ),
}


@pytest.mark.parametrize("call", sorted(SENSITIVE_CALLS))
@pytest.mark.parametrize("by", [["victim_id"], "event_id", ["year", "victim_id"]])
def test_breakdown_by_an_identifying_column_is_refused(
    data: pd.DataFrame, call: str, by: list[str] | str
) -> None:
    frame = data.assign(event_id=np.arange(len(data)) // 2)
    with pytest.raises(fs.FemstatError, match="identifying column") as info:
        SENSITIVE_CALLS[call](frame, by)
    assert "refused" in str(info.value)
    # no identifier value is echoed
    assert str(int(frame["victim_id"].iloc[-1])) not in str(info.value)


def test_file_and_dask_counting_refuse_an_identifying_breakdown(
    data: pd.DataFrame, tmp_path: Path
) -> None:
    path = tmp_path / "victims.parquet"
    data.to_parquet(path)
    with pytest.raises(fs.FemstatError, match="identifying column"):
        counts_from_file(path, ["victim_id"])
    import dask.dataframe as dd

    ddf = dd.from_pandas(data, npartitions=2)
    with pytest.raises(fs.FemstatError, match="identifying column"):
        fs.counts(ddf, ["victim_id"])
    with pytest.raises(fs.FemstatError, match="identifying column"):
        fs.completeness(ddf, "victim_id")


def test_a_collapsed_cube_records_its_new_breakdown(data: pd.DataFrame) -> None:
    from femstat.indicators import _as_cube

    cube = fs.counts(data, ["year", "age_group"], male_comparator=True)
    collapsed = _as_cube(
        cube, ["year"], type_column="femicide_type", age_groups="unodc", rules=fs.UN_2022
    )
    record = cube_provenance(collapsed)
    assert record is not None
    assert record["breakdown"] == ["year"] and record["age_scheme"] is None
    assert cube_provenance(cube)["breakdown"] == ["year", "age_group"]  # left as it was
    assert_cubes_equal(collapsed, fs.counts(data, ["year"], male_comparator=True))
    assert record == cube_provenance(fs.counts(data, ["year"], male_comparator=True))
