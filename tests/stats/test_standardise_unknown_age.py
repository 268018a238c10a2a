"""Standardised rates with records of unknown age shared out, and the crude rate."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

import femstat as fs
from femstat import codes as C
from femstat.errors import FemstatError
from femstat.stats import DSR_METHODS, direct_standardised_rate, standard_population

ESP = standard_population("esp2013")


def _bands(seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    pop = rng.integers(20_000, 90_000, size=(3, 19)).astype(float)
    counts = rng.poisson(pop * 3e-5)
    return counts, pop


@pytest.mark.parametrize("method", ["fay-feuer", "tiwari"])
def test_redistribution_scales_rate_and_variance(method: str) -> None:
    counts, pop = _bands(1)
    unknown = np.array([4, 0, 11])
    dropped = direct_standardised_rate(counts, pop, ESP, method=method)
    shared = direct_standardised_rate(counts, pop, ESP, method=method, unknown=unknown)
    factor = (counts.sum(axis=1) + unknown) / counts.sum(axis=1)
    assert_allclose(shared.rate, dropped.rate * factor, rtol=1e-12)
    # the variance of X + U Poisson events in the same proportions
    assert_allclose(shared.variance, dropped.variance * factor, rtol=1e-12)
    assert_allclose(shared.count, counts.sum(axis=1) + unknown)
    assert_allclose(shared.crude_rate, (counts.sum(axis=1) + unknown) / pop.sum(axis=1) * 1e5)
    assert np.all(shared.upper[[0, 2]] > dropped.upper[[0, 2]])
    assert_allclose(shared.lower[1], dropped.lower[1])


def test_redistribution_equals_the_counts_it_implies() -> None:
    # Unknown ages that are a whole multiple of the known ones: the shared-out counts are whole
    # numbers, so the result must equal a plain call on them, for every method.
    counts, pop = _bands(2)
    unknown = counts.sum(axis=1)  # doubles every band
    for method in DSR_METHODS:
        shared = direct_standardised_rate(counts, pop, ESP, method=method, unknown=unknown)
        doubled = direct_standardised_rate(2 * counts, pop, ESP, method=method)
        for name in ("count", "rate", "lower", "upper", "variance"):
            assert_allclose(getattr(shared, name), getattr(doubled, name), rtol=1e-12)


def test_only_unknown_ages_are_shared_by_population() -> None:
    pop = np.array([1e5, 3e5, 2e5])
    std = np.array([1.0, 1.0, 1.0])
    got = direct_standardised_rate([0, 0, 0], pop, std, unknown=6, per=1.0)
    # the same rate 6 / 6e5 in every band
    assert_allclose(got.rate, 6 / 6e5, rtol=1e-12)
    assert got.lower > 0


def test_unknown_of_the_wrong_shape_raises() -> None:
    counts, pop = _bands(3)
    with pytest.raises(ValueError, match="one number of events of unknown age per group"):
        direct_standardised_rate(counts, pop, ESP, unknown=[1, 2])
    with pytest.raises(ValueError, match="whole numbers"):
        direct_standardised_rate(counts, pop, ESP, unknown=[1.5, 0, 0])


@pytest.fixture(scope="module")
def typed_and_population() -> tuple[pd.DataFrame, pd.DataFrame]:
    typed = fs.classify(fs.synth.generate(8_000, seed=21))
    population = (
        fs.synth.population(age_groups="five_year_90", seed=21)
        .groupby(["year", "age_group"], as_index=False, observed=True)["population"]
        .sum()
    )
    return typed, population


@pytest.mark.parametrize("unknown_age", ["drop", "redistribute"])
def test_crude_rate_is_the_rate_of_indicators(
    typed_and_population: tuple[pd.DataFrame, pd.DataFrame], unknown_age: str
) -> None:
    typed, population = typed_and_population
    asr = fs.age_standardised_rates(
        typed, "year", population=population, unknown_age=unknown_age
    ).set_index("year")
    assert (asr["count_unknown_age"] > 0).all()  # the case that used to differ
    totals = population.groupby("year", as_index=False)["population"].sum()
    table = fs.indicators(typed, "year", population=totals)
    rates = table[table["femicide_type"] == "femicide"].set_index("year")["rate"]
    assert_allclose(asr["crude_rate"].to_numpy(), rates.loc[asr.index].to_numpy(), rtol=1e-12)


def test_redistribute_option_of_the_table(
    typed_and_population: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    typed, population = typed_and_population
    dropped = fs.age_standardised_rates(typed, "year", population=population)
    shared = fs.age_standardised_rates(
        typed, "year", population=population, unknown_age="redistribute"
    )
    assert dropped.attrs["femstat"]["unknown_age"] == "drop"
    assert shared.attrs["femstat"]["unknown_age"] == "redistribute"
    factor = (dropped["count"] + dropped["count_unknown_age"]) / dropped["count"]
    assert_allclose(shared["rate"], dropped["rate"] * factor, rtol=1e-12)
    assert (shared["rate"] > dropped["rate"]).all()
    assert_allclose(shared["count"], dropped["count"])  # count stays the known ages
    femicide = typed["femicide_type"].isin(C.FEMICIDE).groupby(typed["year"]).sum()
    assert (shared["count"] + shared["count_unknown_age"]).tolist() == femicide.tolist()


def test_unknown_age_option_is_checked(
    typed_and_population: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    typed, population = typed_and_population
    with pytest.raises(FemstatError, match="unknown_age='impute' is not one of") as info:
        fs.age_standardised_rates(typed, "year", population=population, unknown_age="impute")
    assert isinstance(info.value, ValueError)
