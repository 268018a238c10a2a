"""femstat.testing: its strategies make valid data; its assertions catch differences."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import femstat as fs
from femstat import codes as C
from femstat.counts import COMPARATOR_CLASSES, cube_keys
from femstat.testing import (
    assert_cubes_equal,
    assert_frame_classified,
    assert_indicators_equal,
    cubes,
    victim_records,
    victims,
)

# --------------------------------------------------------------------------------------
# Strategies produce what femstat accepts


@given(victims(min_size=1))
def test_victims_validate_and_classify(df: pd.DataFrame) -> None:
    # report=True: drawn data may hold soft inconsistencies (a stranger with prior
    # violence), which are warnings, not errors.
    again, _ = fs.validate(df, report=True)
    assert again.dtypes.to_dict() == df.dtypes.to_dict()
    assert_frame_classified(fs.classify(df))


@given(st.lists(victim_records(), min_size=1, max_size=20))
def test_victim_records_validate_as_plain_python_values(records: list[dict[str, object]]) -> None:
    frame = pd.DataFrame(records)  # None for unknown, codes as text: what a user builds
    clean, _ = fs.validate(frame, report=True)
    assert len(clean) == len(records)
    assert clean["victim_sex"].dtype == C.SEX.dtype


def _groups(cube: pd.DataFrame) -> list[str]:
    return [k for k in cube_keys(cube) if k != "femicide_type"]


@given(cubes())
def test_cubes_are_complete_count_cubes(cube: pd.DataFrame) -> None:
    keys = cube_keys(cube)
    assert keys[-1] == "femicide_type"
    n_cells = int(np.prod([cube[k].nunique() for k in keys]))
    assert len(cube) == n_cells  # every combination, empty ones as zeros
    assert not cube.duplicated(keys).any()
    assert (cube["count"] >= 0).all()
    assert cube["count"].dtype == np.int64
    table = fs.indicators(cube, _groups(cube))
    assert set(table["femicide_type"]) >= set(C.FEMICIDE_TYPES)


@given(cubes(max_count=50, male_comparator=True))
def test_drawn_counts_keep_the_comparator_consistent(cube: pd.DataFrame) -> None:
    groups = _groups(cube)
    wide = cube.pivot_table(
        index=groups or None,
        columns="femicide_type",
        values="count",
        aggfunc="sum",
        observed=True,
    )
    assert set(COMPARATOR_CLASSES) <= set(wide.columns)
    assert (wide["male_partner_or_family"] <= wide["male_homicide"]).all()
    assert (wide["male_homicide"] <= wide["out_of_scope"]).all()
    table = fs.indicators(cube, groups)
    shares = table["share"].dropna()
    assert ((shares >= 0) & (shares <= 1)).all()


@given(cubes(by=["year", "place"]))
def test_cubes_take_a_given_breakdown(cube: pd.DataFrame) -> None:
    assert cube_keys(cube) == ["year", "place", "femicide_type"]
    assert set(cube["place"]) == set(C.PLACE.codes)


# --------------------------------------------------------------------------------------
# assert_cubes_equal


@pytest.fixture(scope="module")
def cube() -> pd.DataFrame:
    return fs.counts(fs.synth.generate(2_000, seed=3), ["year", "area", "relationship_group"])


def test_cube_assertion_ignores_row_order_and_key_dtypes(cube: pd.DataFrame) -> None:
    shuffled = cube.sample(frac=1, random_state=0)
    assert_cubes_equal(shuffled, cube)
    as_text = cube.astype({"area": str, "relationship_group": str, "year": "int64"})
    assert_cubes_equal(
        as_text[["count", "year", "relationship_group", "area", "femicide_type"]], cube
    )


@given(st.data())
def test_cube_assertion_catches_any_changed_count(data: st.DataObject) -> None:
    cube = data.draw(cubes())
    row = data.draw(st.integers(0, len(cube) - 1))
    delta = data.draw(st.integers(1, 5))
    changed = cube.copy()
    changed.loc[changed.index[row], "count"] += delta
    with pytest.raises(AssertionError):
        assert_cubes_equal(changed, cube)
    with pytest.raises(AssertionError):
        assert_cubes_equal(cube, changed)


def test_cube_assertion_catches_dropped_and_repeated_cells(cube: pd.DataFrame) -> None:
    zero = cube.index[cube["count"] == 0][0]
    with pytest.raises(AssertionError):
        assert_cubes_equal(cube.drop(index=zero), cube)  # an incomplete cube
    with pytest.raises(AssertionError, match="repeats a cell"):
        repeated = pd.concat([cube.drop(index=cube.index[-1]), cube.iloc[[0]]])
        assert_cubes_equal(repeated, cube)
    with pytest.raises(AssertionError, match="different breakdowns"):
        assert_cubes_equal(cube.drop(columns="area"), cube)


def test_cube_assertion_checks_dtypes_when_asked(cube: pd.DataFrame) -> None:
    groups = cube["relationship_group"].cat.categories
    reordered = cube.assign(
        relationship_group=cube["relationship_group"].cat.reorder_categories(groups[::-1])
    )
    assert_cubes_equal(reordered, cube)
    with pytest.raises(AssertionError, match="categories"):
        assert_cubes_equal(reordered, cube, check_dtype=True)
    with pytest.raises(AssertionError, match="dtype"):
        assert_cubes_equal(cube.astype({"year": "int64"}), cube, check_dtype=True)


# --------------------------------------------------------------------------------------
# assert_indicators_equal


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    data = fs.synth.generate(3_000, seed=4)
    return fs.indicators(data, ["year", "area"], population=fs.synth.population())


def test_indicator_assertion_ignores_order_and_dtype_spelling(table: pd.DataFrame) -> None:
    respelled = table.sample(frac=1, random_state=1).astype(
        {"area": str, "femicide_type": str, "year": "int64", "share": "Float64"}
    )
    assert_indicators_equal(
        respelled[list(reversed(table.columns))], table, on=["year", "area", "femicide_type"]
    )
    assert_indicators_equal(table, table.sample(frac=1, random_state=2))


def test_indicator_assertion_is_strict_on_values(table: pd.DataFrame) -> None:
    row = int(np.flatnonzero(table["rate"].notna() & (table["rate"] > 0))[0])
    nudged = table.copy()
    nudged.loc[row, "rate"] = np.nextafter(nudged.loc[row, "rate"], np.inf)
    with pytest.raises(AssertionError):
        assert_indicators_equal(nudged, table)
    assert_indicators_equal(nudged, table, rtol=1e-12)
    missing = table.copy()
    missing.loc[row, "rate_upper"] = np.nan
    with pytest.raises(AssertionError):
        assert_indicators_equal(missing, table, rtol=1e-6)
    recounted = table.copy()
    recounted.loc[row, "count"] += 1
    with pytest.raises(AssertionError):
        assert_indicators_equal(recounted, table)
    flipped = table.copy()
    flipped.loc[row, "reliable"] = not flipped.loc[row, "reliable"]
    with pytest.raises(AssertionError):
        assert_indicators_equal(flipped, table)


def test_indicator_assertion_catches_missing_rows_columns_and_groups(table: pd.DataFrame) -> None:
    with pytest.raises(AssertionError, match="rows"):
        assert_indicators_equal(table.iloc[1:], table)
    with pytest.raises(AssertionError, match="columns"):
        assert_indicators_equal(table.drop(columns="rate"), table)
    relabelled = table.assign(area=table["area"].astype(str).replace({"R01": "R99"}))
    with pytest.raises(AssertionError):
        assert_indicators_equal(relabelled, table)
    with pytest.raises(AssertionError, match="do not identify"):
        assert_indicators_equal(table, table, on=["year"])


# --------------------------------------------------------------------------------------
# assert_frame_classified


def test_classified_assertion_catches_what_is_not_classified() -> None:
    typed = fs.classify(fs.synth.generate(200, seed=1))
    assert_frame_classified(typed)
    with pytest.raises(AssertionError, match="classify first"):
        assert_frame_classified(typed.drop(columns="femicide_type"))
    with pytest.raises(AssertionError):
        assert_frame_classified(typed.astype({"femicide_type": str}))
    gap = typed.copy()
    gap.loc[0, "femicide_type"] = np.nan
    with pytest.raises(AssertionError, match="missing"):
        assert_frame_classified(gap)
