"""Trend models (quasi-Poisson, Poisson, negative binomial) and intervals against R."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest
from numpy.testing import assert_allclose

from femstat.stats import TREND_INTERVALS, TREND_METHODS, annual_percent_change, fit_trend

Golden = Callable[[str], list[dict[str, str]]]


def _series(golden: Golden, case: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rows = [r for r in golden("trend_models.csv") if r["case"] == case]
    assert rows, case
    return (
        np.array([float(r["year"]) for r in rows]),
        np.array([float(r["count"]) for r in rows]),
        np.array([float(r["pop"]) for r in rows]),
    )


def _results(golden: Golden, method: str, interval: str) -> list[dict[str, str]]:
    rows = [
        r
        for r in golden("trend_models_result.csv")
        if r["method"] == method and r["interval"] == interval
    ]
    assert rows, (method, interval)
    return rows


@pytest.mark.parametrize("interval", ["wald", "profile"])
@pytest.mark.parametrize("method", ["poisson", "quasipoisson"])
def test_poisson_and_quasipoisson_match_r(golden: Golden, method: str, interval: str) -> None:
    # The profile limits in R are root-finding on glm deviances to 1e-14: the same tolerance
    # as the Wald limits.
    for r in _results(golden, method, interval):
        fit = fit_trend(
            *_series(golden, r["case"]), level=float(r["level"]), method=method, interval=interval
        )
        assert_allclose(fit.slope, float(r["slope"]), rtol=1e-8)
        assert_allclose(fit.se, float(r["se"]), rtol=1e-8)
        assert_allclose(fit.dispersion, float(r["dispersion"]), rtol=1e-8)
        assert_allclose([fit.lower, fit.upper], [float(r["lower"]), float(r["upper"])], rtol=1e-7)


def test_poisson_profile_agrees_with_mass_confint(golden: Golden) -> None:
    # MASS interpolates a spline through a few profile points: a check to about 1e-4 only.
    for r in _results(golden, "poisson", "mass"):
        fit = fit_trend(
            *_series(golden, r["case"]),
            level=float(r["level"]),
            method="poisson",
            interval="profile",
        )
        assert_allclose([fit.lower, fit.upper], [float(r["lower"]), float(r["upper"])], rtol=1e-3)


@pytest.mark.parametrize("interval", ["wald", "profile"])
def test_negative_binomial_matches_mass_glm_nb(golden: Golden, interval: str) -> None:
    checked = 0
    for r in _results(golden, "negbin", interval):
        fit = fit_trend(
            *_series(golden, r["case"]),
            level=float(r["level"]),
            method="negbin",
            interval=interval,
        )
        theta = float(r["theta"])
        if theta > 1e6:
            # glm.nb stops at some huge theta when the data are not overdispersed; femstat
            # reports the limit, the Poisson fit.
            assert math.isinf(fit.theta)
            assert_allclose(fit.slope, float(r["slope"]), rtol=1e-7)
            continue
        checked += 1
        # theta comes from a one-dimensional search on a flat likelihood: 1e-6 is what both
        # implementations resolve.
        assert_allclose(fit.theta, theta, rtol=1e-5)
        assert_allclose(fit.slope, float(r["slope"]), rtol=1e-6)
        assert_allclose(fit.se, float(r["se"]), rtol=1e-5)
        assert_allclose([fit.lower, fit.upper], [float(r["lower"]), float(r["upper"])], rtol=1e-5)
    assert checked >= 6


def test_quasipoisson_is_the_default() -> None:
    args = ([2015, 2016, 2017, 2018, 2019, 2020], [30, 44, 25, 51, 38, 60], [1e6] * 6)
    assert annual_percent_change(*args) == annual_percent_change(*args, method="quasipoisson")
    fit = fit_trend(*args)
    assert fit.method == "quasipoisson" and fit.interval == "wald"
    assert fit.dispersion > 1  # these counts vary more than Poisson
    poisson = fit_trend(*args, method="poisson")
    assert fit.apc == poisson.apc
    assert fit.upper - fit.lower > poisson.upper - poisson.lower


def test_quasipoisson_with_two_observations_has_no_interval() -> None:
    fit = fit_trend([2021, 2022], [40, 52], [3.1e6, 3.12e6])
    assert_allclose(fit.apc, 100 * ((52 / 3.12e6) / (40 / 3.1e6) - 1), rtol=1e-10)
    assert math.isnan(fit.lower) and math.isnan(fit.upper) and math.isnan(fit.dispersion)
    assert fit.df == 0


@pytest.mark.parametrize("method", TREND_METHODS)
@pytest.mark.parametrize("interval", TREND_INTERVALS)
def test_every_model_returns_nan_without_a_finite_estimate(method: str, interval: str) -> None:
    fit = fit_trend(
        [2019, 2020, 2021, 2022], [0, 0, 0, 5], [1e5] * 4, method=method, interval=interval
    )
    assert math.isnan(fit.apc) and math.isnan(fit.lower) and math.isnan(fit.upper)


@pytest.mark.parametrize("method", TREND_METHODS)
@pytest.mark.parametrize("interval", TREND_INTERVALS)
def test_limits_surround_the_estimate(method: str, interval: str) -> None:
    years = np.arange(2010, 2022)
    counts = np.array([31, 40, 28, 45, 39, 52, 33, 48, 57, 41, 60, 49])
    fit = fit_trend(years, counts, np.full(12, 2e6), method=method, interval=interval)
    assert fit.lower < fit.apc < fit.upper
    wider = fit_trend(years, counts, np.full(12, 2e6), 0.99, method=method, interval=interval)
    assert wider.lower < fit.lower and fit.upper < wider.upper


def test_profile_limits_solve_their_defining_equation() -> None:
    # Checked with statsmodels' GLM, refitting the intercept at each limit: the deviance there
    # exceeds the minimum by the chi-square quantile. A sparse series with a skewed profile.
    import statsmodels.api as sm
    from scipy import stats

    years = np.array([2020.0, 2021.0, 2022.0])
    counts = np.array([0.0, 1.0, 1.0])
    pop = np.full(3, 1e5)
    fit = fit_trend(years, counts, pop, level=0.99, method="poisson", interval="profile")
    t = years - years.mean()

    def deviance(slope: float) -> float:
        model = sm.GLM(
            counts, np.ones((3, 1)), family=sm.families.Poisson(), offset=np.log(pop) + slope * t
        )
        return float(model.fit(tol=1e-14).deviance)

    base = deviance(fit.slope)
    for limit in (fit.lower, fit.upper):
        slope = math.log1p(limit / 100)
        assert_allclose(deviance(slope) - base, stats.chi2.ppf(0.99, 1), rtol=1e-6)
    # Far from symmetric on the log scale, unlike the Wald interval.
    assert fit.upper - fit.apc > 3 * (fit.apc - fit.lower)


def test_unknown_method_or_interval_raise() -> None:
    with pytest.raises(ValueError, match="unknown method 'nb' for fit_trend"):
        fit_trend([2020, 2021, 2022], [1, 2, 3], [1e5] * 3, method="nb")
    with pytest.raises(ValueError, match="unknown method 'score' for fit_trend"):
        fit_trend([2020, 2021, 2022], [1, 2, 3], [1e5] * 3, interval="score")


def _coverage(method: str, theta: float, reps: int, seed: int) -> float:
    rng = np.random.default_rng(seed)
    years = np.arange(2012, 2022)
    true_apc = 2.0
    mu = 40.0 * (1 + true_apc / 100) ** np.arange(years.size)
    if math.isinf(theta):
        draws = rng.poisson(mu, size=(reps, years.size))
    else:
        draws = rng.negative_binomial(theta, theta / (theta + mu), size=(reps, years.size))
    pop = np.full(years.size, 1e6)
    hits = 0
    for x in draws:
        _, lower, upper = annual_percent_change(years, x, pop, method=method)
        hits += lower <= true_apc <= upper
    return hits / reps


@pytest.mark.slow
def test_default_interval_keeps_its_coverage_under_overdispersion() -> None:
    # 2,000 series: the Monte Carlo standard error of a 95 % coverage is 0.49 points, so the
    # bound of 3 points the issue asks for is six standard errors away: this cannot flake.
    # The full-size simulation is benchmarks/bench_trend_coverage.py (docs/methods.md).
    reps = 2000
    covered = _coverage("quasipoisson", theta=15.0, reps=reps, seed=11)
    assert abs(covered - 0.95) <= 0.03
    # ... where the Poisson interval, the old default, falls far short (about 74 %): 500
    # series put that 18 standard errors below the bound.
    assert _coverage("poisson", theta=15.0, reps=500, seed=11) < 0.85


@pytest.mark.slow
def test_default_interval_keeps_its_coverage_for_poisson_counts() -> None:
    covered = _coverage("quasipoisson", theta=math.inf, reps=2000, seed=12)
    assert abs(covered - 0.95) <= 0.03
