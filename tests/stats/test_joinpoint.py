"""Joinpoint regression and the AAPC, against a published run of NCI's Joinpoint program."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from femstat.stats import joinpoint, joinpoint_rates
from femstat.stats.joinpoint import JoinpointError, default_max_joinpoints

Golden = Callable[[str], list[dict[str, str]]]

# The program printed its APCs with four decimals: agreement to half the last digit.
APC_TOLERANCE = 5e-5


def _published(
    golden: Golden,
) -> dict[str, tuple[np.ndarray, np.ndarray, list[float], list[float]]]:
    inputs = golden("joinpoint_uk_mortality.csv")
    out = {}
    for r in golden("joinpoint_uk_mortality_result.csv"):
        rows = [i for i in inputs if i["case"] == r["case"]]
        years = np.array([float(i["year"]) for i in rows])
        rates = np.array([float(i["asr_rolling"]) for i in rows])
        joins = [float(v) for v in r["joinpoints"].split()]
        apcs = [float(v) for v in r["apcs"].split()]
        out[r["case"]] = (years, rates, joins, apcs)
    assert len(out) == 12
    return out


def test_grid_search_finds_the_published_joinpoints_and_apcs(golden: Golden) -> None:
    for case, (years, rates, joins, apcs) in _published(golden).items():
        fit = joinpoint(years, rates, joinpoints=len(joins))
        assert list(fit.joinpoints) == joins, case
        got = [s.apc for s in fit.segments]
        assert_allclose(got, apcs, rtol=0, atol=APC_TOLERANCE, err_msg=case)
        assert [s.start for s in fit.segments] == [years[0], *joins]
        assert [s.end for s in fit.segments] == [*joins, years[-1]]


def test_weighted_bic_chooses_the_published_number_for_all_twelve(golden: Golden) -> None:
    # The run was made in 2024 with the program's defaults: version 5, whose default model
    # selection is the weighted BIC, not the permutation test.
    for case, (years, rates, joins, apcs) in _published(golden).items():
        fit = joinpoint(years, rates, selection="wbic")
        assert list(fit.joinpoints) == joins, case
        assert_allclose([s.apc for s in fit.segments], apcs, rtol=0, atol=APC_TOLERANCE)
        assert len(fit.criteria) == 4 and int(np.argmin(fit.criteria)) == len(joins)
        assert fit.tests == ()


def test_information_criteria_order_their_penalties(golden: Golden) -> None:
    years, rates, _, _ = _published(golden)["England Lung Men"]
    bic, bic3, wbic = (
        joinpoint(years, rates, selection=s).criteria for s in ("bic", "bic3", "wbic")
    )
    assert bic[0] == bic3[0] == wbic[0]  # no joinpoint: no weight
    assert all(b < w < b3 for b, w, b3 in zip(bic[1:], wbic[1:], bic3[1:], strict=True))


def test_permutation_tests_choose_the_published_number_for_ten(golden: Golden) -> None:
    # The permutation tests (each at the program's level alpha / (K - k0)) choose the
    # published number for ten of the twelve. Breast: the decisive test of 1 against 3
    # joinpoints has p = 0.0253, Monte Carlo standard error sqrt(p (1 - p) / 4,499) = 0.0023,
    # at its level 0.025: Monte Carlo noise decides. Oesophagus in men: p = 0.053 (0.0033),
    # eight standard errors above 0.025: not noise, the weighted BIC (above) is what chose 2.
    agree = 0
    for case, (years, rates, joins, _) in _published(golden).items():
        fit = joinpoint(years, rates)
        assert [level for k0, _, _, level in fit.tests] == [0.05 / (3 - k0) for k0, *_ in fit.tests]
        decisive = {(k0, k1): p for k0, k1, p, _ in fit.tests}
        se = math.sqrt(0.025 * 0.975 / 4_500)
        if case == "England Breast Women":
            assert abs(decisive[(1, 3)] - 0.025) < 2 * se, fit.tests
        elif case == "England Oesophageal Men":
            assert decisive[(1, 3)] > 0.025 + 5 * se, fit.tests
        else:
            assert list(fit.joinpoints) == joins, case
            agree += 1
    assert agree == 10


def test_bonferroni_levels_are_kim_et_al_s() -> None:
    years = np.arange(2000, 2017, dtype=float)
    rates = np.exp(0.03 * (years - 2000) - 0.08 * np.maximum(years - 2008, 0))
    rates = rates * np.exp(0.01 * np.sin(5 * years))
    fit = joinpoint(years, rates, adjustment="bonferroni", n_permutations=199)
    assert fit.tests and all(level == 0.05 / 3 for *_, level in fit.tests)
    with pytest.raises(JoinpointError, match="adjustment"):
        joinpoint(years, rates, adjustment="holm")
    with pytest.raises(JoinpointError, match="selection"):
        joinpoint(years, rates, selection="aic")


def test_aapc_is_the_length_weighted_mean_slope(golden: Golden) -> None:
    years, rates, joins, _ = _published(golden)["England Lung Men"]
    fit = joinpoint(years, rates, joinpoints=len(joins))
    lengths = np.array([s.end - s.start for s in fit.segments])
    slopes = np.array([s.slope for s in fit.segments])
    assert_allclose(fit.aapc, 100 * math.expm1((lengths * slopes).sum() / lengths.sum()))
    assert fit.aapc_lower < fit.aapc < fit.aapc_upper
    # The slopes average to the change of the fitted line from end to end (it is continuous).
    assert_allclose(
        math.log(fit.fitted[-1] / fit.fitted[0]) / (years[-1] - years[0]),
        (lengths * slopes).sum() / lengths.sum(),
        rtol=1e-10,
    )


def test_without_joinpoints_aapc_is_the_apc_of_the_line() -> None:
    years = np.arange(2008, 2020)
    rates = 3.0 * 1.02 ** (years - 2008) * np.exp(np.sin(years) * 0.01)
    fit = joinpoint(years, rates, joinpoints=0)
    assert fit.joinpoints == () and len(fit.segments) == 1
    assert_allclose(fit.aapc, fit.segments[0].apc)
    assert_allclose(
        [fit.aapc_lower, fit.aapc_upper], [fit.segments[0].lower, fit.segments[0].upper]
    )
    # ordinary least squares on the log rate
    slope = np.polyfit(years, np.log(rates), 1)[0]
    assert_allclose(fit.segments[0].slope, slope, rtol=1e-10)


def test_rates_from_counts_are_weighted_by_the_counts() -> None:
    rng = np.random.default_rng(3)
    years = np.arange(2005, 2021)
    pop = np.full(years.size, 4e6)
    mu = 80 * np.where(years < 2013, 1.04 ** (years - 2005), 1.04**8 * 0.95 ** (years - 2013))
    counts = rng.poisson(mu)
    fit = joinpoint_rates(years, counts, pop, joinpoints=1)
    weighted = joinpoint(years, counts / pop, weights=counts, joinpoints=1)
    assert fit.joinpoints == weighted.joinpoints
    assert_allclose(fit.aapc, weighted.aapc)
    assert 2011 <= fit.joinpoints[0] <= 2015
    assert fit.segments[0].apc > 0 > fit.segments[1].apc


def test_selection_is_reproducible_with_a_seed() -> None:
    rng = np.random.default_rng(8)
    years = np.arange(2000, 2020)
    rates = np.exp(0.02 * (years - 2000) - 0.05 * np.maximum(years - 2010, 0))
    noisy = rates * np.exp(rng.normal(0, 0.02, years.size))
    first = joinpoint(years, noisy, seed=1, n_permutations=999)
    again = joinpoint(years, noisy, seed=1, n_permutations=999)
    assert first.tests == again.tests and first.joinpoints == again.joinpoints
    assert all(0 < p <= 1 for _, _, p, _ in first.tests)


@pytest.mark.parametrize(
    ("n", "expected"), [(5, 0), (7, 1), (11, 1), (12, 2), (17, 3), (22, 4), (40, 5)]
)
def test_default_maximum_number_of_joinpoints(n: int, expected: int) -> None:
    assert default_max_joinpoints(n) == expected


def test_bad_series_are_refused() -> None:
    with pytest.raises(JoinpointError, match="zero or negative"):
        joinpoint([2020, 2021, 2022], [1.0, 0.0, 2.0], joinpoints=0)
    with pytest.raises(JoinpointError, match="years repeat"):
        joinpoint([2020, 2020, 2021], [1.0, 2.0, 2.0], joinpoints=0)
    with pytest.raises(JoinpointError, match="cannot hold 2 joinpoint"):
        joinpoint(np.arange(2010, 2018), np.arange(1.0, 9.0), joinpoints=2)
    with pytest.raises(JoinpointError, match="no events"):
        joinpoint_rates([2020, 2021, 2022], [3, 0, 4], [1e5] * 3)
    error = JoinpointError("x")
    assert isinstance(error, ValueError)


@settings(max_examples=25, deadline=None)
@given(st.floats(1e-3, 1e3), st.permutations(list(range(14))))
def test_fit_ignores_the_scale_of_the_rates_and_the_order_of_the_years(
    factor: float, order: list[int]
) -> None:
    years = np.arange(2006, 2020, dtype=float)
    rates = np.exp(0.03 * (years - 2006) - 0.07 * np.maximum(years - 2013, 0))
    rates = rates * np.exp(0.01 * np.cos(3 * years))
    base = joinpoint(years, rates, joinpoints=1)
    moved = joinpoint(years[order], rates[order] * factor, joinpoints=1)
    assert moved.joinpoints == base.joinpoints
    assert_allclose([s.apc for s in moved.segments], [s.apc for s in base.segments], rtol=1e-9)
    assert_allclose(moved.aapc_upper, base.aapc_upper, rtol=1e-9)
    assert_allclose(moved.fitted[np.argsort(order)], base.fitted * factor, rtol=1e-9)
