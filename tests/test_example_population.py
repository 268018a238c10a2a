"""The bundled example population: five-year bands that age-standardise the default report."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pandas as pd
import pytest

import femstat as fs
from femstat.ages import band_bounds, regroup
from femstat.datasets import EXAMPLE_SEED, EXAMPLE_STANDARD
from femstat.report import build_report
from femstat.stats import standard_population

# UNODC group -> the five-year bands that make it up; 15-17 and 18-19 share 15-19.
NESTED = {
    ("0-9",): ("0-4", "5-9"),
    ("10-14",): ("10-14",),
    ("15-17", "18-19"): ("15-19",),
    ("20-24",): ("20-24",),
    ("25-29",): ("25-29",),
    ("30-44",): ("30-34", "35-39", "40-44"),
    ("45-59",): ("45-49", "50-54", "55-59"),
    ("60+",): ("60-64", "65-69", "70-74", "75-79", "80-84", "85-89", "90+"),
}


@pytest.fixture(scope="module")
def population() -> pd.DataFrame:
    return fs.datasets.example_population()


@pytest.fixture(scope="module")
def coarse() -> pd.DataFrame:
    """The population in UNODC groups that femstat shipped before the five-year bands."""
    return fs.synth.population(age_groups="unodc", total=25_000_000, seed=EXAMPLE_SEED)


def test_bands_are_the_default_standards_contiguous_and_non_negative(
    population: pd.DataFrame,
) -> None:
    labels = standard_population(EXAMPLE_STANDARD).labels
    assert EXAMPLE_STANDARD == "esp2013"
    assert list(population.columns) == ["year", "area", "age_group", "population"]
    for _, group in population.groupby(["year", "area"]):
        assert tuple(group["age_group"]) == labels
    bounds = [band_bounds(label) for label in labels]
    assert bounds[0][0] == 0 and bounds[-1][1] is None
    for (_, high), (low, _) in itertools.pairwise(bounds):
        assert high is not None and low == high + 1
    assert pd.api.types.is_integer_dtype(population["population"])
    assert (population["population"] > 0).all()
    assert not population.duplicated(["year", "area", "age_group"]).any()


def test_same_years_areas_and_totals_as_the_unodc_population(
    population: pd.DataFrame, coarse: pd.DataFrame
) -> None:
    keys = ["year", "area"]
    new = population.groupby(keys)["population"].sum()
    old = coarse.groupby(keys)["population"].sum()
    pd.testing.assert_series_equal(new, old, check_dtype=False)
    assert len(new) == 10 * 12


def test_the_bands_sum_exactly_to_the_unodc_groups(
    population: pd.DataFrame, coarse: pd.DataFrame
) -> None:
    wide_new = population.pivot_table(
        index=["year", "area"], columns="age_group", values="population", aggfunc="sum"
    )
    wide_old = coarse.pivot_table(
        index=["year", "area"], columns="age_group", values="population", aggfunc="sum"
    )
    covered: list[str] = []
    for groups, bands in NESTED.items():
        pd.testing.assert_series_equal(
            wide_new[list(bands)].sum(axis=1),
            wide_old[list(groups)].sum(axis=1),
            check_names=False,
            check_dtype=False,
        )
        covered += bands
    assert sorted(covered) == sorted(population["age_group"].unique())


def test_regroup_sums_nested_bands_and_refuses_a_straddling_one(
    population: pd.DataFrame, coarse: pd.DataFrame
) -> None:
    with pytest.raises(ValueError, match=r"'15-19' straddles .* at age 18"):
        regroup(population, "unodc")
    unodc = regroup(population, "unodc", apportion=True)
    assert unodc.attrs["femstat_regroup"] == {"scheme": "unodc", "apportioned": ["15-19"]}
    merged = unodc.merge(coarse, on=["year", "area", "age_group"], suffixes=("", "_old"))
    assert len(merged) == len(coarse)
    exact = ~merged["age_group"].isin(["15-17", "18-19"])
    assert (merged.loc[exact, "population"] == merged.loc[exact, "population_old"]).all()
    # 15-19 is shared 3/5, 2/5 by years of age.
    fifteen = population[population["age_group"] == "15-19"].set_index(["year", "area"])
    parts = unodc.set_index(["year", "area", "age_group"])["population"]
    for (year, area), row in fifteen.iterrows():
        assert parts[(year, area, "15-17")] == pytest.approx(row["population"] * 3 / 5)
        assert parts[(year, area, "18-19")] == pytest.approx(row["population"] * 2 / 5)
    # Into the standard's own bands nothing changes.
    same = regroup(population, "five_year_90")
    pd.testing.assert_frame_equal(
        same.reset_index(drop=True), population.reset_index(drop=True), check_dtype=False
    )


@pytest.mark.parametrize(
    ("labels", "message"),
    [
        (["0-4", "10-14", "15+"], "not contiguous"),
        (["0-4", "5-9"], "not open-ended"),
        (["0-4", "5+", "10+"], "not contiguous"),
        (["0-4", "x"], "not of the form"),
    ],
)
def test_regroup_rejects_bands_that_do_not_tile_the_ages(labels: list[str], message: str) -> None:
    table = pd.DataFrame({"age_group": labels, "population": range(len(labels))})
    with pytest.raises(ValueError, match=message):
        regroup(table, [0, 10])


def test_regroup_cannot_split_an_open_band() -> None:
    table = pd.DataFrame({"age_group": ["0-59", "60+"], "population": [10, 5]})
    with pytest.raises(ValueError, match="open age band '60\\+'"):
        regroup(table, "five_year_85", apportion=True)


def _table(markdown: str, title: str) -> list[list[str]]:
    start = markdown.index(title)
    lines = markdown[start:].splitlines()[2:]
    rows = []
    for line in lines:
        if not line.startswith("|"):
            break
        rows.append([c.strip().replace("\\", "") for c in line.strip("|").split("|")])
    return rows


def test_the_default_report_has_age_standardised_rates(tmp_path: Path) -> None:
    victims = fs.datasets.example_victims()
    population = fs.datasets.example_population()
    files = build_report(victims, population, out_dir=tmp_path, tables=False, formats=("markdown",))
    assert files.markdown is not None
    text = files.markdown.read_text(encoding="utf-8")
    assert "Not computed" not in text
    assert "Rates by age group not computed" not in text
    rows = _table(text, "Femicide rate by year, age-standardised to the esp2013 standard")
    header, body = rows[0], rows[2:]
    assert header[:4] == ["Year", "Femicides (known age)", "Crude rate", "Standardised rate"]
    assert [r[0] for r in body] == [str(y) for y in range(2015, 2025)]
    expected = fs.age_standardised_rates(
        fs.classify(fs.validate(victims)),
        by="year",
        population=population.groupby(["year", "age_group"], as_index=False)["population"].sum(),
        standard=EXAMPLE_STANDARD,
    ).set_index("year")
    published = [r for r in body if r[3] != "[c]"]
    assert len(published) >= 5
    for row in published:
        assert re.fullmatch(r"\d+\.\d{2}", row[3]), row
        assert row[3] == f"{expected.loc[int(row[0]), 'rate']:.2f}"
        assert row[1] == f"{int(expected.loc[int(row[0]), 'count']):,}"
    # The rates by UNODC age group are still there, from the bands summed into the groups.
    assert "the band 15-19 straddles a group boundary" in text
    ages = _table(text, "Femicide by age group of the victim, all years")
    assert [r[0] for r in ages[2:]][:9] == [
        "0-9",
        "10-14",
        "15-17",
        "18-19",
        "20-24",
        "25-29",
        "30-44",
        "45-59",
        "60+",
    ]
