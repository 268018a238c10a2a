"""Indicators, bounds, standardised rates and trends at their edges.

- ``per`` scales the rate itself, not only its interval;
- a population without key columns (one row, or one number);
- groups in the population without victim records are zeros, not dropped;
- population keys of another dtype are matched, or refused with both dtypes named;
- victim groups missing from the population are an error naming them.

Expected values are computed here independently: counts with pandas from the microdata,
Garwood's interval from chi-square quantiles, the trend from statsmodels' GLM directly.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

import femstat as fs
from femstat import codes as C
from femstat.indicators import INDICATOR_ROWS

FEMICIDE = ("intimate_partner", "family_member", "other_perpetrator")


@pytest.fixture(scope="module")
def typed() -> pd.DataFrame:
    return fs.classify(fs.synth.generate(6_000, seed=21))


@pytest.fixture(scope="module")
def population() -> pd.DataFrame:
    return fs.synth.population(seed=2)


def garwood(k: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Garwood's exact Poisson interval from chi-square quantiles (Ulm 1990)."""
    alpha = 1 - level
    lower = np.where(k > 0, stats.chi2.ppf(alpha / 2, 2 * k) / 2, 0.0)
    upper = stats.chi2.ppf(1 - alpha / 2, 2 * k + 2) / 2
    return lower, upper


# --------------------------------------------------------------------------------------
# per


@pytest.mark.parametrize("per", [1, 1_000, 100_000, 1e6])
def test_per_scales_the_rate_and_its_interval(
    typed: pd.DataFrame, population: pd.DataFrame, per: float
) -> None:
    by = ["year", "area"]
    table = fs.indicators(typed, by, population=population, per=per, level=[0.95, 0.99])
    femicide = table[table["femicide_type"] == "femicide"].copy()
    # the count, independently: femicide records per year and area
    in_femicide = typed["femicide_type"].astype(str).isin(FEMICIDE)
    expected_count = typed[in_femicide].groupby(by, observed=True).size()
    got_count = femicide.set_index(by)["count"]
    pd.testing.assert_series_equal(
        got_count[got_count > 0].sort_index(),
        expected_count.sort_index().astype(np.int64),
        check_names=False,
    )
    pop = population.set_index(by)["population"].reindex(pd.MultiIndex.from_frame(femicide[by]))
    k = femicide["count"].to_numpy(dtype=float)
    n = pop.to_numpy(dtype=float)
    np.testing.assert_allclose(femicide["population"], n)
    np.testing.assert_allclose(femicide["rate"], k / n * per, rtol=1e-12)
    for suffix, level in (("", 0.95), ("_99", 0.99)):
        lower, upper = garwood(k, level)
        np.testing.assert_allclose(femicide[f"rate_lower{suffix}"], lower / n * per, rtol=1e-8)
        np.testing.assert_allclose(femicide[f"rate_upper{suffix}"], upper / n * per, rtol=1e-8)
    # every row with a rate: count / population * per, and never per 100,000 by default
    rated = table[table["rate"].notna()]
    np.testing.assert_allclose(
        rated["rate"], rated["count"] / rated["population"] * per, rtol=1e-12
    )


@pytest.mark.parametrize("per", [1, 1_000])
def test_per_in_bounds_and_standardised_rates(typed: pd.DataFrame, per: float) -> None:
    pop = pd.DataFrame({"population": [2.5e6]})
    b = fs.bounds(typed, population=pop, per=per)
    np.testing.assert_allclose(b["lower_rate"], b["lower"] / 2.5e6 * per)
    np.testing.assert_allclose(b["upper_rate"], b["upper"] / 2.5e6 * per)
    asr_pop = (
        fs.synth.population(age_groups="five_year_90").query("year == 2020").drop(columns="year")
    )
    one = fs.age_standardised_rates(typed[typed["year"] == 2020], "area", population=asr_pop, per=1)
    scaled = fs.age_standardised_rates(
        typed[typed["year"] == 2020], "area", population=asr_pop, per=per
    )
    for column in ("crude_rate", "rate", "rate_lower", "rate_upper"):
        np.testing.assert_allclose(scaled[column], one[column] * per, rtol=1e-10)
    np.testing.assert_allclose(
        one["crude_rate"], (one["count"] + one["count_unknown_age"]) / one["population"], rtol=1e-12
    )


# --------------------------------------------------------------------------------------
# a population without keys


@pytest.mark.parametrize(
    "population", [pd.DataFrame({"population": [1e6]}), 1e6, 1_000_000, np.float64(1e6)]
)
def test_population_without_keys(typed: pd.DataFrame, population: object) -> None:
    table = fs.indicators(typed, population=population)
    femicide = table[table["femicide_type"] == "femicide"].iloc[0]
    expected = int(typed["femicide_type"].astype(str).isin(FEMICIDE).sum())
    assert femicide["count"] == expected
    assert femicide["rate"] == pytest.approx(expected / 1e6 * 100_000, rel=1e-12)
    b = fs.bounds(typed, population=population)
    assert len(b) == 1
    assert b["lower_rate"].iloc[0] == pytest.approx(expected / 1e6 * 100_000, rel=1e-12)
    # with a breakdown, the one denominator serves every group
    by_year = fs.bounds(typed, "year", population=population)
    np.testing.assert_allclose(by_year["population"], 1e6)


@pytest.mark.parametrize(
    "population",
    [pd.DataFrame({"population": [1e6, 2e6]}), "1e6", True, pd.DataFrame({"pop": [1e6]})],
)
def test_unusable_population_without_keys_is_refused(
    typed: pd.DataFrame, population: object
) -> None:
    with pytest.raises(fs.PopulationError):
        fs.indicators(typed, population=population)


# --------------------------------------------------------------------------------------
# population groups without records are zeros


def series_with_an_empty_year() -> tuple[pd.DataFrame, pd.DataFrame, dict[int, int]]:
    """Femicides by year, 2018 without a single record; a population for every year."""
    per_year = {2015: 40, 2016: 35, 2017: 33, 2018: 0, 2019: 30, 2020: 26, 2021: 24}
    years = np.repeat(list(per_year), list(per_year.values()))
    raw = pd.DataFrame(
        {
            "victim_id": np.arange(len(years)),
            "year": years,
            "area": "A",
            "victim_sex": "female",
            "victim_age": 30,
            "relationship": "current_partner",
        }
    )
    population = pd.DataFrame(
        {
            "year": list(per_year),
            "population": [1.00e6, 1.01e6, 1.02e6, 1.03e6, 1.04e6, 1.05e6, 1.06e6],
        }
    )
    return fs.validate(raw), population, per_year


def glm_apc(counts: np.ndarray, years: np.ndarray, population: np.ndarray) -> np.ndarray:
    """APC and its 95 % Wald interval from a Poisson GLM fitted here, directly."""
    design = sm.add_constant(years - years.mean())
    fit = sm.GLM(counts, design, family=sm.families.Poisson(), offset=np.log(population)).fit(
        tol=1e-13
    )
    b, se = fit.params[1], fit.bse[1]
    z = stats.norm.ppf(0.975)
    return 100 * np.expm1(np.array([b, b - z * se, b + z * se]))


def test_trend_counts_a_year_without_records_as_zero() -> None:
    data, population, per_year = series_with_an_empty_year()
    got = fs.trend(data, population=population, method="poisson")
    years = np.array(list(per_year), dtype=float)
    counts = np.array(list(per_year.values()), dtype=float)
    pops = population["population"].to_numpy(dtype=float)
    expected = glm_apc(counts, years, pops)
    np.testing.assert_allclose(
        got[["apc", "apc_lower", "apc_upper"]].to_numpy()[0], expected, rtol=1e-6
    )
    assert got["first_year"].iloc[0] == 2015 and got["last_year"].iloc[0] == 2021
    # the fit without the zero year is a different number: the zero matters
    kept = counts > 0
    without = glm_apc(counts[kept], years[kept], pops[kept])
    assert abs(without[0] - expected[0]) > 1


def test_indicators_and_bounds_list_a_year_without_records() -> None:
    data, population, per_year = series_with_an_empty_year()
    table = fs.indicators(data, "year", population=population)
    femicide = table[table["femicide_type"] == "femicide"].set_index("year")
    assert list(femicide.index) == list(per_year)
    assert femicide.loc[2018, "count"] == 0
    assert femicide.loc[2018, "rate"] == 0.0
    assert femicide.loc[2018, "rate_upper"] > 0  # an upper bound even for zero events
    assert table["year"].dtype == data["year"].dtype
    b = fs.bounds(data, "year", population=population).set_index("year")
    assert b.loc[2018, ["lower", "upper", "female_homicide"]].tolist() == [0, 0, 0]
    assert b.loc[2018, "lower_rate"] == 0.0
    assert np.isnan(b.loc[2018, "lower_share"])  # no female homicide: no share


def test_an_area_without_records_is_a_zero_in_every_table(
    typed: pd.DataFrame, population: pd.DataFrame
) -> None:
    without = typed[typed["area"] != "R12"]
    table = fs.indicators(without, ["year", "area"], population=population)
    r12 = table[(table["area"] == "R12") & (table["femicide_type"] == "femicide")]
    assert len(r12) == 10 and (r12["count"] == 0).all() and (r12["rate"] == 0).all()
    assert isinstance(table["area"].dtype, pd.CategoricalDtype)  # as the cube's
    assert set(table["area"]) == set(population["area"])
    trend = fs.trend(without, "area", population=population)
    assert "R12" in set(trend["area"])
    assert trend.set_index("area").loc["R12", "count"] == 0
    asr_pop = fs.synth.population(age_groups="five_year_90").query("year == 2020")
    asr = fs.age_standardised_rates(
        without[without["year"] == 2020],
        "area",
        population=asr_pop.drop(columns="year"),
    ).set_index("area")
    assert asr.loc["R12", "count"] == 0
    assert asr.loc["R12", "rate"] == 0.0
    assert asr.loc["R12", "population"] == pytest.approx(
        asr_pop.loc[asr_pop["area"] == "R12", "population"].sum()
    )


def test_victim_groups_without_population_are_named(
    typed: pd.DataFrame, population: pd.DataFrame
) -> None:
    partial = population[population["year"] != 2017]
    with pytest.raises(fs.PopulationError, match="missing female population") as info:
        fs.indicators(typed, ["year", "area"], population=partial)
    assert "2017" in str(info.value)
    assert "12 group(s)" in str(info.value)


# --------------------------------------------------------------------------------------
# key dtypes


def as_float_year(p: pd.DataFrame) -> pd.DataFrame:
    return p.assign(year=p["year"].astype("float64"))


def as_text_year(p: pd.DataFrame) -> pd.DataFrame:
    return p.assign(year=p["year"].astype(int).astype(str))


def as_int64_year(p: pd.DataFrame) -> pd.DataFrame:
    return p.assign(year=p["year"].astype("int64"))


def as_category_area(p: pd.DataFrame) -> pd.DataFrame:
    return p.assign(area=p["area"].astype("category"))


def as_text_float_year(p: pd.DataFrame) -> pd.DataFrame:
    return p.assign(year=p["year"].astype(float).astype(str))  # "2015.0"


@pytest.mark.parametrize(
    "convert",
    [as_float_year, as_text_year, as_int64_year, as_category_area, as_text_float_year],
)
def test_population_keys_of_another_dtype_match(
    typed: pd.DataFrame, population: pd.DataFrame, convert
) -> None:
    by = ["year", "area"]
    expected = fs.indicators(typed, by, population=population)
    got = fs.indicators(typed, by, population=convert(population))
    pd.testing.assert_frame_equal(got, expected)
    pd.testing.assert_frame_equal(
        fs.bounds(typed, by, population=convert(population)),
        fs.bounds(typed, by, population=population),
    )


def test_keys_that_differ_in_type_are_matched_on_the_data_side_too(
    typed: pd.DataFrame, population: pd.DataFrame
) -> None:
    # the data's year as text, the population's as integers
    text_years = typed.assign(year=typed["year"].astype(int).astype(str))
    got = fs.indicators(text_years, ["year", "area"], population=population)
    expected = fs.indicators(typed, ["year", "area"], population=population)
    np.testing.assert_allclose(got["rate"], expected["rate"])


@pytest.mark.parametrize(("year", "shown"), [(2015.5, "2015.5"), ("2015a", "2015a")])
def test_a_key_that_is_not_of_the_data_type_names_both_dtypes(
    typed: pd.DataFrame, population: pd.DataFrame, year: object, shown: str
) -> None:
    bad = population.assign(year=population["year"].astype(object))
    bad.loc[0, "year"] = year
    with pytest.raises(fs.PopulationError) as info:
        fs.indicators(typed, ["year", "area"], population=bad)
    message = str(info.value)
    assert "'year'" in message
    assert "object" in message and "Int16" in message
    assert shown in message
    assert "1 population row(s)" in message


def test_population_of_a_column_unknown_to_the_schema_is_not_echoed(
    typed: pd.DataFrame,
) -> None:
    data = typed.assign(district=typed["area"].astype(str).str.replace("R", "secret-"))
    pop = pd.DataFrame({"district": sorted(set(data["district"])), "population": 1e5}).iloc[1:]
    with pytest.raises(fs.PopulationError, match="groups") as info:
        fs.indicators(data, "district", population=pop)
    assert "secret-" not in str(info.value)


def test_repeated_keys_after_matching_types_are_refused(
    typed: pd.DataFrame, population: pd.DataFrame
) -> None:
    one_year = population[population["year"] == 2015].drop(columns="area").head(1)
    doubled = pd.concat(
        [one_year.assign(year="2015"), one_year.assign(year=2015.0)], ignore_index=True
    )
    with pytest.raises(fs.PopulationError, match="repeated keys"):
        fs.indicators(typed[typed["year"] == 2015], "year", population=doubled)


def test_male_population_rows_also_give_zero_groups() -> None:
    data, population, per_year = series_with_an_empty_year()
    long = pd.concat(
        [population.assign(sex="female"), population.assign(sex="male")], ignore_index=True
    )
    table = fs.indicators(data, "year", population=long)
    male = table[table["femicide_type"] == "male_partner_or_family"].set_index("year")
    assert list(male.index) == list(per_year)
    assert (male["count"] == 0).all() and (male["rate"] == 0).all()
    assert C.FEMICIDE_TYPE.dtype == data.pipe(fs.classify)["femicide_type"].dtype


# --------------------------------------------------------------------------------------
# every column of the indicator table (written after the mutation run of indicators())


def test_every_column_of_the_indicator_table(typed: pd.DataFrame) -> None:
    by = ["year"]
    pop = pd.DataFrame(
        {
            "year": np.repeat(np.arange(2015, 2025), 2),
            "sex": ["female", "male"] * 10,
            "population": np.tile([1.0e6, 0.9e6], 10),
        }
    )
    table = fs.indicators(
        typed,
        by,
        population=pop,
        per=1_000,
        min_reliable=20,
        level=[0.9, 0.99],
        share_method="clopper-pearson",
        rate_method="byar",
    )
    assert list(table.columns) == [
        "year",
        "femicide_type",
        "count",
        "share_denominator",
        "share",
        "share_lower",
        "share_upper",
        "share_lower_99",
        "share_upper_99",
        "reliable",
        "population",
        "rate",
        "rate_lower",
        "rate_upper",
        "rate_lower_99",
        "rate_upper_99",
    ]
    assert list(table["femicide_type"].cat.categories) == list(INDICATOR_ROWS)
    assert table.index.equals(pd.RangeIndex(len(table)))
    types = typed["femicide_type"].astype(str)
    female = typed[types != "out_of_scope"]
    male = typed[
        (typed["victim_sex"] == "male") & (typed["iccs_code"].astype(str).str.startswith("0101"))
    ]
    rel = typed["relationship"].astype(str)
    partner_or_family = rel.isin(
        [
            "intimate_partner",
            "current_partner",
            "former_partner",
            "family_member",
            "parent",
            "child",
            "sibling",
            "other_blood_relative",
            "relative_by_marriage",
            "other_household_member",
        ]
    )
    for year, rows in table.groupby("year", observed=True):
        rows = rows.set_index("femicide_type")
        in_year = typed["year"] == year
        female_homicide = int((in_year & (types != "out_of_scope")).sum())
        male_homicide = int((in_year & typed.index.isin(male.index)).sum())
        expected_count = {
            **{t: int((in_year & (types == t)).sum()) for t in C.FEMICIDE_TYPES},
            "femicide": int((in_year & types.isin(FEMICIDE)).sum()),
            "female_homicide": female_homicide,
            "partner_or_family": int(
                (in_year & types.isin(["intimate_partner", "family_member"])).sum()
            ),
            "male_partner_or_family": int(
                (in_year & typed.index.isin(male.index) & partner_or_family).sum()
            ),
        }
        assert rows["count"].to_dict() == expected_count
        for name, row in rows.iterrows():
            if name == "out_of_scope":
                assert np.isnan(row["share_denominator"]) and np.isnan(row["share"])
                assert np.isnan(row["population"]) and np.isnan(row["rate"])
                continue
            denominator = male_homicide if name == "male_partner_or_family" else female_homicide
            population = 0.9e6 if name == "male_partner_or_family" else 1.0e6
            assert row["share_denominator"] == denominator
            assert row["share"] == pytest.approx(row["count"] / denominator, rel=1e-12)
            assert row["population"] == population
            assert row["rate"] == pytest.approx(row["count"] / population * 1_000, rel=1e-12)
            assert row["reliable"] == (row["count"] >= 20)
        assert len(female) > 0
    # a count of exactly min_reliable is reliable
    at_threshold = table[table["count"] > 0].iloc[0]
    again = fs.indicators(typed, by, min_reliable=int(at_threshold["count"]))
    same = again[
        (again["year"] == at_threshold["year"])
        & (again["femicide_type"] == at_threshold["femicide_type"])
    ]
    assert bool(same["reliable"].iloc[0]) is True
    default = fs.indicators(typed, by)
    np.testing.assert_array_equal(default["reliable"], default["count"] >= 20)
    assert table.attrs["femstat"] == {
        "femstat_version": fs.__version__,
        "levels": [0.9, 0.99],
        "share_method": "clopper-pearson",
        "rate_method": "byar",
        "per": 1_000,
        "rule_set": "UN_2022",
        "min_reliable": 20,
    }


def test_a_share_without_female_homicide_is_missing_not_zero() -> None:
    data, population, _ = series_with_an_empty_year()
    table = fs.indicators(data, "year", population=population)
    empty = table[table["year"] == 2018]
    assert (empty["share_denominator"].dropna() == 0).all()
    assert empty["share"].isna().all()
    assert empty["share_lower"].isna().all() and empty["share_upper"].isna().all()


def test_classified_data_without_sex_and_relationship_is_refused_clearly() -> None:
    # Indicators count the male comparator from victim_sex and relationship; a frame that
    # kept only the type column used to fail with a bare KeyError from inside femstat.
    typed = fs.classify(fs.validate(fs.synth.generate(200, seed=1)))
    bare = typed[["year", "femicide_type"]]
    with pytest.raises(fs.FemstatError, match=r"not \['victim_sex', 'relationship'\]"):
        fs.indicators(bare, by="year")
    assert fs.counts(bare, by="year")["count"].sum() == len(typed)


# ---------------------------------------------------------------- rates by age group


@pytest.fixture(scope="module")
def population_by_age() -> pd.DataFrame:
    """The example population (five-year bands) summed by year and band."""
    population = fs.datasets.example_population()
    return population.groupby(["year", "age_group"], as_index=False)["population"].sum()


def test_the_unknown_age_group_has_counts_and_no_rate(
    typed: pd.DataFrame, population_by_age: pd.DataFrame
) -> None:
    from femstat.ages import regroup

    unodc = regroup(population_by_age, "unodc", apportion=True)
    assert "unknown" not in set(unodc["age_group"].astype(str))
    table = fs.indicators(typed, by=["year", "age_group"], population=unodc)
    unknown = table["age_group"].astype(str) == "unknown"
    assert unknown.any() and table.loc[unknown, "count"].sum() > 0
    assert table.loc[unknown, ["population", "rate", "rate_lower", "rate_upper"]].isna().all().all()
    known = table[~unknown & (table["femicide_type"] == "female_homicide")]
    people = unodc.assign(year=unodc["year"].astype(str), age_group=unodc["age_group"].astype(str))
    merged = known.assign(
        year=known["year"].astype(str), age_group=known["age_group"].astype(str)
    ).merge(people, on=["year", "age_group"], suffixes=("", "_given"))
    assert len(merged) == len(known)
    np.testing.assert_allclose(merged["rate"], merged["count"] / merged["population_given"] * 1e5)
    bounds = fs.bounds(typed, by=["year", "age_group"], population=unodc)
    assert bounds.loc[bounds["age_group"].astype(str) == "unknown", "lower_rate"].isna().all()


def test_a_population_in_other_age_bands_is_refused_with_what_to_do(
    typed: pd.DataFrame, population_by_age: pd.DataFrame
) -> None:
    with pytest.raises(fs.PopulationError, match=r"femstat\.ages\.regroup\(population, 'unodc'"):
        fs.indicators(typed, by=["year", "age_group"], population=population_by_age)


def test_a_known_age_group_without_population_is_still_an_error(
    typed: pd.DataFrame, population_by_age: pd.DataFrame
) -> None:
    from femstat.ages import regroup

    unodc = regroup(population_by_age, "unodc", apportion=True)
    lacking = unodc[unodc["age_group"].astype(str) != "30-44"]
    with pytest.raises(fs.PopulationError, match=r"30-44.*complete the population table"):
        fs.indicators(typed, by=["year", "age_group"], population=lacking)
