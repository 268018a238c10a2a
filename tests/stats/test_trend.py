"""Annual percent change against R's glm (Poisson), and its edge cases.

The other models and intervals are in test_trend_models.py."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest
from numpy.testing import assert_allclose

from femstat.errors import PopulationError
from femstat.stats import annual_percent_change

Golden = Callable[[str], list[dict[str, str]]]
RTOL = 1e-8


def test_apc_matches_r_glm(golden: Golden) -> None:
    inputs = golden("trend.csv")
    results = golden("trend_result.csv")
    cases = list(dict.fromkeys(r["case"] for r in inputs))
    assert len(results) == 2 * len(cases)
    for r in results:
        rows = [i for i in inputs if i["case"] == r["case"]]
        years = [float(i["year"]) for i in rows]
        counts = [float(i["count"]) for i in rows]
        pop = [float(i["pop"]) for i in rows]
        got = annual_percent_change(years, counts, pop, level=float(r["level"]), method="poisson")
        expected = (float(r["apc"]), float(r["lower"]), float(r["upper"]))
        assert_allclose(got, expected, rtol=RTOL, atol=0)


def test_two_years_give_the_ratio_of_rates() -> None:
    apc, lower, upper = annual_percent_change(
        [2021, 2022], [40, 52], [3.1e6, 3.12e6], method="poisson"
    )
    assert_allclose(apc, 100 * ((52 / 3.12e6) / (40 / 3.1e6) - 1), rtol=1e-10)
    assert lower < apc < upper


def test_constant_rate_has_zero_apc() -> None:
    years = np.arange(2010, 2020)
    counts = np.arange(100, 200, 10)
    apc, lower, upper = annual_percent_change(years, counts, counts * 1e4, method="poisson")
    assert abs(apc) < 1e-9
    assert lower < 0 < upper


def test_order_of_observations_does_not_matter() -> None:
    years = np.array([2015, 2016, 2017, 2018, 2019])
    counts = np.array([12, 9, 15, 14, 20])
    pop = np.array([5e5, 5.1e5, 5.2e5, 5.2e5, 5.3e5])
    order = np.array([3, 0, 4, 2, 1])
    assert_allclose(
        annual_percent_change(years, counts, pop),
        annual_percent_change(years[order], counts[order], pop[order]),
        rtol=1e-10,
    )


def test_higher_level_gives_a_wider_interval() -> None:
    args = ([2015, 2016, 2017, 2018], [10, 14, 13, 19], [1e6] * 4)
    _, low90, high90 = annual_percent_change(*args, level=0.90)
    _, low99, high99 = annual_percent_change(*args, level=0.99)
    assert low99 < low90 < high90 < high99


@pytest.mark.parametrize(
    "counts",
    [
        [0, 0, 0, 0],  # no events at all
        [0, 0, 0, 5],  # events only in the last year: the slope runs off to +infinity
        [3, 0, 0, 0],  # events only in the first year: the slope runs off to -infinity
    ],
)
def test_no_finite_estimate_gives_nan(counts: list[int]) -> None:
    result = annual_percent_change([2019, 2020, 2021, 2022], counts, [1e5] * 4)
    assert all(math.isnan(v) for v in result)


def test_events_only_in_an_inner_year_have_an_estimate() -> None:
    apc, lower, upper = annual_percent_change([2019, 2020, 2021], [0, 4, 0], [1e5] * 3)
    assert_allclose(apc, 0.0, atol=1e-6)
    assert lower < apc < upper


def test_repeated_years_are_allowed() -> None:
    # One row per area and year: the model pools them.
    # Poisson: pooling rows leaves the likelihood unchanged (the dispersion estimate of the
    # quasi-Poisson default depends on how many rows there are).
    pooled = annual_percent_change([2020, 2021], [30, 40], [2e6, 2e6], method="poisson")
    split = annual_percent_change(
        [2020, 2020, 2021, 2021], [10, 20, 15, 25], [1e6] * 4, method="poisson"
    )
    assert_allclose(split, pooled, rtol=1e-9)


def test_fewer_than_two_years_raise() -> None:
    with pytest.raises(ValueError, match="two distinct years"):
        annual_percent_change([2020, 2020], [3, 4], [1e5, 1e5])


@pytest.mark.parametrize("pop", [[1e5, 0.0], [1e5, -1.0]])
def test_non_positive_population_raises(pop: list[float]) -> None:
    with pytest.raises(PopulationError):
        annual_percent_change([2020, 2021], [3, 4], pop)


def test_mismatched_lengths_raise() -> None:
    with pytest.raises(ValueError, match=r"years \(3,\), counts \(2,\)"):
        annual_percent_change([2020, 2021, 2022], [3, 4], [1e5, 1e5])


def test_invalid_counts_and_level_raise() -> None:
    with pytest.raises(ValueError, match="whole numbers"):
        annual_percent_change([2020, 2021], [3.5, 4], [1e5, 1e5])
    with pytest.raises(ValueError, match="between 0 and 1"):
        annual_percent_change([2020, 2021], [3, 4], [1e5, 1e5], level=1.0)
