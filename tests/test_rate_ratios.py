"""fs.rate_ratios: comparisons of areas or years, against R and against the array maths."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from numpy.testing import assert_allclose

import femstat as fs
from femstat import codes as C
from femstat.comparisons import ComparisonError
from femstat.counts import BreakdownError
from femstat.stats import rate_ratio, standardised_rate_ratio

FIXTURES = Path(__file__).parent / "stats" / "fixtures"


def _cube(groups: list[str], counts: list[int], column: str = "area") -> pd.DataFrame:
    """A cube where every event is an intimate-partner femicide."""
    rows = [
        {column: g, "femicide_type": t, "count": int(n) if t == "intimate_partner" else 0}
        for g, n in zip(groups, counts, strict=True)
        for t in C.FEMICIDE_TYPES
    ]
    cube = pd.DataFrame(rows)
    cube["femicide_type"] = pd.Categorical(cube["femicide_type"], dtype=C.FEMICIDE_TYPE.dtype)
    return cube


def test_matches_r_poisson_test_through_the_table() -> None:
    golden = pd.read_csv(FIXTURES / "rate_ratio.csv")
    cases = golden[(golden["level"] == 0.95) & (golden["x1"] + golden["x2"] > 0)]
    for _, r in cases.iterrows():
        cube = _cube(["B", "A"], [int(r["x1"]), int(r["x2"])])
        population = pd.DataFrame({"area": ["B", "A"], "population": [r["t1"], r["t2"]]})
        got = fs.rate_ratios(cube, "area", population=population, reference="A").iloc[0]
        assert got["area"] == "B" and got["reference"] == "A"
        assert_allclose(
            got[["rate_ratio", "rate_ratio_lower", "rate_ratio_upper", "p_value"]].to_numpy(
                dtype=float
            ),
            r[["ratio", "lower", "upper", "p_value"]].to_numpy(dtype=float),
            rtol=1e-10,
        )


@pytest.fixture(scope="module")
def typed() -> pd.DataFrame:
    return fs.classify(fs.synth.generate(10_000, seed=5))


@pytest.fixture(scope="module")
def population() -> pd.DataFrame:
    return fs.synth.population(seed=5)


def test_year_on_year_change(typed: pd.DataFrame, population: pd.DataFrame) -> None:
    per_year = population.groupby("year", as_index=False)["population"].sum()
    got = fs.rate_ratios(typed, "year", population=per_year, reference="previous")
    table = fs.indicators(typed, "year", population=per_year)
    femicide = table[table["femicide_type"] == "femicide"].set_index("year")
    years = sorted(femicide.index)
    assert got["year"].tolist() == years[1:]
    assert got["reference"].tolist() == years[:-1]
    expected = rate_ratio(
        femicide.loc[years[1:], "count"],
        femicide.loc[years[1:], "population"],
        femicide.loc[years[:-1], "count"],
        femicide.loc[years[:-1], "population"],
    )
    assert_allclose(got["rate_ratio"], expected.estimate, rtol=1e-12)
    assert_allclose(got["p_value"], expected.p_value, rtol=1e-12)
    assert_allclose(got["percent_change_lower"], 100 * (expected.lower - 1), rtol=1e-12)
    assert_allclose(got["rate"], femicide.loc[years[1:], "rate"].to_numpy(), rtol=1e-12)
    assert got.attrs["femstat"]["reference"] == "previous"


def test_areas_against_a_reference_within_years(
    typed: pd.DataFrame, population: pd.DataFrame
) -> None:
    got = fs.rate_ratios(typed, "area", population=population, reference="R03", within="year")
    n_years = population["year"].nunique()
    n_areas = population["area"].nunique()
    assert len(got) == n_years * (n_areas - 1)
    assert (got["reference"] == "R03").all() and not (got["area"] == "R03").any()
    one = got[(got["year"] == 2017) & (got["area"] == "R05")].iloc[0]
    table = fs.indicators(typed, ["year", "area"], population=population)
    f = table[(table["femicide_type"] == "femicide") & (table["year"] == 2017)].set_index("area")
    assert one["count"] == f.loc["R05", "count"]
    assert one["reference_count"] == f.loc["R03", "count"]
    assert_allclose(one["share"], f.loc["R05", "share"])
    assert_allclose(one["reference_share"], f.loc["R03", "share"])
    assert_allclose(one["share_difference"], f.loc["R05", "share"] - f.loc["R03", "share"])
    assert one["share_difference_lower"] < one["share_difference"] < one["share_difference_upper"]


def test_default_reference_is_the_first_group(
    typed: pd.DataFrame, population: pd.DataFrame
) -> None:
    per_area = population.groupby("area", as_index=False)["population"].sum()
    got = fs.rate_ratios(typed, "area", population=per_area)
    first = sorted(per_area["area"])[0]
    assert (got["reference"] == first).all()


def test_standardised_rate_ratio(typed: pd.DataFrame) -> None:
    asr_population = (
        fs.synth.population(age_groups="five_year_90", seed=5)
        .groupby(["area", "age_group"], as_index=False, observed=True)["population"]
        .sum()
    )
    got = fs.rate_ratios(
        typed, "area", population=asr_population, reference="R01", standard="esp2013"
    ).set_index("area")
    asr = fs.age_standardised_rates(typed, "area", population=asr_population).set_index("area")
    assert_allclose(got["standardised_rate"], asr.loc[got.index, "rate"], rtol=1e-12)
    assert_allclose(got["reference_standardised_rate"], asr.loc["R01", "rate"], rtol=1e-12)
    assert_allclose(
        got["standardised_rate_ratio"],
        asr.loc[got.index, "rate"] / asr.loc["R01", "rate"],
        rtol=1e-12,
    )
    assert (got["standardised_rate_ratio_lower"] < got["standardised_rate_ratio"]).all()
    assert (got["standardised_rate_ratio"] < got["standardised_rate_ratio_upper"]).all()
    assert got.attrs["femstat"]["standard"] == "esp2013"


def test_standardised_ratio_uses_the_bands_of_each_area(typed: pd.DataFrame) -> None:
    # Two areas only, so that the interval can be recomputed from the age bands directly.
    asr_population = (
        fs.synth.population(age_groups="five_year_90", seed=5)
        .query("area in ['R01', 'R02']")
        .groupby(["area", "age_group"], as_index=False, observed=True)["population"]
        .sum()
    )
    two = typed[typed["area"].isin(["R01", "R02"])]
    got = fs.rate_ratios(
        two, "area", population=asr_population, reference="R01", standard="esp2013"
    ).iloc[0]
    std = fs.stats.standard_population("esp2013")
    cube = fs.counts(two, ["area", "age_group"], age_groups=list(std.lower_ages))
    femicide = cube[cube["femicide_type"].isin(C.FEMICIDE)]
    bands = femicide.groupby(["area", "age_group"], observed=True)["count"].sum()
    pops = asr_population.set_index(["area", "age_group"])["population"]
    labels = list(std.labels)
    x = [bands.loc[a].reindex(labels).to_numpy() for a in ("R02", "R01")]
    n = [pops.loc[a].reindex(labels).to_numpy() for a in ("R02", "R01")]
    expected = standardised_rate_ratio(x[0], n[0], x[1], n[1], std)
    assert_allclose(
        [got["standardised_rate_ratio_lower"], got["standardised_rate_ratio_upper"]],
        [expected.lower, expected.upper],
        rtol=1e-12,
    )


def test_a_reference_that_is_not_a_group_names_the_groups(
    typed: pd.DataFrame, population: pd.DataFrame
) -> None:
    per_area = population.groupby("area", as_index=False)["population"].sum()
    with pytest.raises(ComparisonError, match="'R99' is not a group of 'area'") as info:
        fs.rate_ratios(typed, "area", population=per_area, reference="R99")
    assert isinstance(info.value, ValueError) and isinstance(info.value, fs.FemstatError)
    assert "R01" in str(info.value)


def test_bad_arguments_are_refused(typed: pd.DataFrame, population: pd.DataFrame) -> None:
    per_area = population.groupby("area", as_index=False)["population"].sum()
    with pytest.raises(ComparisonError, match="by must name one column"):
        fs.rate_ratios(typed, ["area", "year"], population=population)  # type: ignore[arg-type]
    with pytest.raises(ComparisonError, match="of='everything' is not one of"):
        fs.rate_ratios(typed, "area", population=per_area, of="everything")
    with pytest.raises(BreakdownError):
        fs.rate_ratios(typed, "victim_id", population=per_area)
    with pytest.raises(ValueError, match="unknown method 'dobson'"):
        fs.rate_ratios(typed, "area", population=per_area, method="dobson")


def test_values_of_an_unknown_column_never_appear_in_the_error(typed: pd.DataFrame) -> None:
    # A column the schema does not know may be free text: the message names the column only.
    data = typed.assign(place_note=typed["area"].astype(str).str.replace("R", "Lane "))
    per_area = fs.synth.population(seed=5).groupby("area", as_index=False)["population"].sum()
    per_note = pd.DataFrame(
        {
            "place_note": per_area["area"].astype(str).str.replace("R", "Lane "),
            "population": per_area["population"],
        }
    )
    with pytest.raises(ComparisonError) as info:
        fs.rate_ratios(data, "place_note", population=per_note, reference="Secret close")
    message = str(info.value)
    assert "'place_note'" in message
    assert "Secret" not in message and "Lane" not in message
