"""fs.trend: the count model, the interval and the joinpoint columns, through the table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

import femstat as fs
from femstat.stats import fit_trend, joinpoint_rates
from femstat.trends import TrendError


@pytest.fixture(scope="module")
def typed() -> pd.DataFrame:
    return fs.classify(fs.synth.generate(20_000, seed=9))


@pytest.fixture(scope="module")
def population() -> pd.DataFrame:
    return fs.synth.population(seed=9)


def _series(typed: pd.DataFrame, population: pd.DataFrame, area: str) -> pd.DataFrame:
    table = fs.indicators(typed, ["area", "year"], population=population)
    rows = table[(table["femicide_type"] == "femicide") & (table["area"] == area)]
    return rows.sort_values("year")


@pytest.mark.parametrize(
    ("method", "interval"),
    [("quasipoisson", "wald"), ("poisson", "profile"), ("negbin", "wald")],
)
def test_table_passes_the_model_through(
    typed: pd.DataFrame, population: pd.DataFrame, method: str, interval: str
) -> None:
    got = fs.trend(typed, "area", population=population, method=method, interval=interval)
    series = _series(typed, population, "R04")
    fit = fit_trend(
        series["year"], series["count"], series["population"], method=method, interval=interval
    )
    row = got.set_index("area").loc["R04"]
    assert_allclose(
        row[["apc", "apc_lower", "apc_upper", "dispersion"]].to_numpy(dtype=float),
        [fit.apc, fit.lower, fit.upper, fit.dispersion],
        rtol=1e-12,
    )
    assert row["df"] == fit.df
    assert got.attrs["femstat"]["method"] == method
    assert got.attrs["femstat"]["interval"] == interval


def test_default_is_quasipoisson_with_wald(typed: pd.DataFrame, population: pd.DataFrame) -> None:
    got = fs.trend(typed, "area", population=population)
    assert got.attrs["femstat"]["method"] == "quasipoisson"
    assert "dispersion" in got.columns and "aapc" not in got.columns
    poisson = fs.trend(typed, "area", population=population, method="poisson")
    assert_allclose(got["apc"], poisson["apc"], rtol=1e-12)
    wider = got["dispersion"] > 1
    assert wider.any()
    width = got["apc_upper"] - got["apc_lower"]
    poisson_width = poisson["apc_upper"] - poisson["apc_lower"]
    assert (width[wider] > poisson_width[wider]).all()


def test_joinpoint_columns_match_the_array_function(
    typed: pd.DataFrame, population: pd.DataFrame
) -> None:
    got = fs.trend(typed, "area", population=population, joinpoints="auto", seed=4)
    row = got.set_index("area").loc["R02"]
    series = _series(typed, population, "R02")
    fit = joinpoint_rates(
        series["year"].to_numpy(),
        series["count"].to_numpy(),
        series["population"].to_numpy(),
        seed=4,
    )
    assert row["joinpoints"] == len(fit.joinpoints)
    assert row["joinpoint_years"] == " ".join(str(int(y)) for y in fit.joinpoints)
    assert_allclose(
        row[["aapc", "aapc_lower", "aapc_upper"]].to_numpy(dtype=float),
        [fit.aapc, fit.aapc_lower, fit.aapc_upper],
        rtol=1e-12,
    )
    assert row["joinpoint_note"] == ""
    assert got.attrs["femstat"]["joinpoints"] == "auto"


def test_a_series_with_an_empty_year_says_why_it_has_no_aapc(
    typed: pd.DataFrame, population: pd.DataFrame
) -> None:
    without = typed[~((typed["area"] == "R12") & (typed["year"] == 2019))]
    got = fs.trend(without, "area", population=population, joinpoints=0).set_index("area")
    r12 = got.loc["R12"]
    assert _series(without, population, "R12")["count"].eq(0).sum() == 1
    assert np.isnan(r12["aapc"]) and r12["joinpoint_note"] == "a year without events"
    assert np.isfinite(r12["apc"])  # the count model still has its APC
    others = got.drop(index="R12")
    assert (others["joinpoint_note"] == "").all() and others["aapc"].notna().all()


def test_bad_joinpoints_option_is_refused(typed: pd.DataFrame, population: pd.DataFrame) -> None:
    with pytest.raises(TrendError, match="joinpoints must be 'auto'") as info:
        fs.trend(typed, population=population, joinpoints="many")
    assert isinstance(info.value, ValueError) and isinstance(info.value, fs.FemstatError)
    with pytest.raises(ValueError, match="unknown method 'nb' for trend"):
        fs.trend(typed, population=population, method="nb")
