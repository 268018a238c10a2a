"""Count cubes: complete, equal to a plain pandas count, and additive over any split."""

import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import femstat as fs
from femstat import codes as C
from femstat.ages import UNODC_AGE_GROUPS, AgeScheme, age_group, five_year
from femstat.testing import assert_cubes_equal, victims


@pytest.fixture(scope="module")
def typed():
    return fs.classify(fs.synth.generate(50_000, seed=7))


def plain_pandas_counts(typed, by):
    """Reference: groupby over strings, then reindex to the full product."""
    frame = typed.copy()
    if "age_group" in by:
        bins = [-1, 9, 14, 17, 19, 24, 29, 44, 59, 10_000]
        frame["age_group"] = pd.cut(
            frame["victim_age"].astype("float"),
            bins=bins,
            labels=list(UNODC_AGE_GROUPS.known_labels),
        ).astype(str)
        frame.loc[frame["victim_age"].isna(), "age_group"] = "unknown"
    keys = [*by, "femicide_type"]
    got = frame.astype(dict.fromkeys(keys, str)).groupby(keys).size()
    return got


def test_cube_matches_plain_pandas(typed):
    by = ["year", "area", "age_group", "mechanism"]
    cube = fs.counts(typed, by)
    reference = plain_pandas_counts(typed, by)
    indexed = cube.astype(dict.fromkeys([*by, "femicide_type"], str)).set_index(
        [*by, "femicide_type"]
    )["count"]
    nonzero = indexed[indexed > 0].sort_index()
    pd.testing.assert_series_equal(nonzero, reference.sort_index(), check_names=False)
    assert indexed.sum() == len(typed)


def test_cube_is_complete_with_explicit_zeros(typed):
    cube = fs.counts(typed, ["area", "mechanism", "place"])
    n_areas = typed["area"].nunique()
    assert len(cube) == n_areas * len(C.MECHANISM) * len(C.PLACE) * len(C.FEMICIDE_TYPES)
    assert not cube.duplicated(["area", "mechanism", "place", "femicide_type"]).any()
    assert (cube["count"] == 0).any()
    assert cube["mechanism"].dtype == C.MECHANISM.dtype


def test_declared_categories_appear_even_when_absent(typed):
    only_firearm = typed[typed["mechanism"] == "firearm"]
    cube = fs.counts(only_firearm, ["mechanism"])
    assert set(cube["mechanism"]) == set(C.MECHANISM.codes)
    assert cube.loc[cube["mechanism"] != "firearm", "count"].sum() == 0


def test_relationship_group_and_boolean_breakdowns(typed):
    cube = fs.counts(typed, ["relationship_group", "victim_migrant"])
    assert set(cube["relationship_group"]) == set(C.RELATIONSHIP_GROUP.codes)
    assert set(cube["victim_migrant"]) == {"yes", "no", "unknown"}
    migrants = cube.loc[cube["victim_migrant"] == "yes", "count"].sum()
    assert migrants == typed["victim_migrant"].eq(True).sum()


def test_male_comparator(typed):
    cube = fs.counts(typed, ["year"], male_comparator=True)
    male = (typed["victim_sex"] == "male") & typed["iccs_code"].astype(str).eq("0101")
    pf = male & typed["relationship"].map(C.RELATIONSHIP_GROUP_OF).isin(
        ["intimate_partner", "family_member"]
    )
    by_type = cube.groupby("femicide_type", observed=True)["count"].sum()
    assert by_type["male_homicide"] == male.sum()
    assert by_type["male_partner_or_family"] == pf.sum()
    assert by_type[list(C.FEMICIDE_TYPES)].sum() == len(typed)


@given(victims(min_size=1, max_size=80), st.data())
def test_cubes_of_any_split_add_up_to_the_cube_of_the_whole(df, data):
    typed = fs.classify(df)
    by = data.draw(
        st.lists(
            st.sampled_from(["year", "area", "age_group", "place", "relationship_group"]),
            unique=True,
            max_size=3,
        )
    )
    cuts = sorted(data.draw(st.lists(st.integers(0, len(df)), max_size=3)))
    bounds = [0, *cuts, len(df)]
    parts = [typed.iloc[a:b] for a, b in itertools.pairwise(bounds) if b > a]
    summed = fs.add_cubes(*(fs.counts(p, by) for p in parts))
    assert_cubes_equal(summed, fs.counts(typed, by))


def test_add_cubes_rejects_different_breakdowns(typed):
    with pytest.raises(KeyError, match="different breakdowns"):
        fs.add_cubes(fs.counts(typed, ["year"]), fs.counts(typed, ["area"]))


def test_missing_breakdown_value_is_an_error_not_a_drop(typed):
    broken = typed.assign(region=pd.Series(["north"] * (len(typed) - 1) + [None]))
    with pytest.raises(KeyError, match="'region' has 1 missing value"):
        fs.counts(broken, ["region"])


def test_unknown_breakdown_column(typed):
    with pytest.raises(KeyError, match="'province' is not in the data"):
        fs.counts(typed, ["province"])


def test_counts_classifies_raw_input():
    raw = fs.datasets.example_victims()
    cube = fs.counts(raw, ["year"])
    assert cube["count"].sum() == len(raw)


class TestAgeGroups:
    def test_unodc_groups_match_pd_cut(self):
        ages = pd.Series(
            pd.array(
                [0, 9, 10, 14, 15, 17, 18, 19, 20, 29, 30, 44, 45, 59, 60, 120, 130, None],
                dtype="Int16",
            )
        )
        got = age_group(ages, "unodc").astype(str).tolist()
        assert got == [
            "0-9",
            "0-9",
            "10-14",
            "10-14",
            "15-17",
            "15-17",
            "18-19",
            "18-19",
            "20-24",
            "25-29",
            "30-44",
            "30-44",
            "45-59",
            "45-59",
            "60+",
            "60+",
            "60+",
            "unknown",
        ]

    def test_five_year_labels(self):
        assert five_year(85).known_labels[-3:] == ("75-79", "80-84", "85+")
        assert len(five_year(90).known_labels) == 19

    def test_custom_edges_and_bad_edges(self):
        assert AgeScheme("c", (0, 18, 65)).labels == ("0-17", "18-64", "65+", "unknown")
        with pytest.raises(ValueError, match="start at 0"):
            AgeScheme("bad", (5, 10))
        with pytest.raises(ValueError, match="increase"):
            AgeScheme("bad", (0, 10, 10))

    @given(
        st.lists(st.integers(0, 2000), min_size=1, max_size=50),
        st.lists(st.integers(1, 119), min_size=1, max_size=8, unique=True),
    )
    def test_custom_groups_agree_with_searchsorted(self, ages, bounds):
        lower = [0, *sorted(bounds)]
        scheme = AgeScheme("c", tuple(lower))
        codes = scheme.codes(np.array(ages, dtype=float))
        np.testing.assert_array_equal(codes, np.searchsorted(lower, ages, side="right") - 1)
