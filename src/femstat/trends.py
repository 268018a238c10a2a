"""Trends: annual percent change of a rate across years, per group."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from femstat.classify import UN_2022, RuleSet
from femstat.counts import check_breakdown
from femstat.errors import FemstatError
from femstat.indicators import indicators
from femstat.stats import TREND_INTERVALS, TREND_METHODS, fit_trend, joinpoint_rates
from femstat.stats.intervals import _check_method
from femstat.stats.joinpoint import JoinpointError

__all__ = ["TrendError", "trend"]


class TrendError(FemstatError, ValueError):
    """A trend that cannot be computed as asked."""


_MODELS = {
    "quasipoisson": "quasi-Poisson GLM, log link, dispersion from Pearson chi2/df",
    "poisson": "Poisson GLM, log link",
    "negbin": "negative binomial GLM, log link, theta by maximum likelihood",
}


def trend(
    data: pd.DataFrame,
    by: Sequence[str] | str = (),
    *,
    population: pd.DataFrame,
    of: str = "femicide",
    level: float = 0.95,
    method: str = "quasipoisson",
    interval: str = "wald",
    joinpoints: int | str | None = None,
    seed: int | None = 20000335,
    rules: RuleSet = UN_2022,
) -> pd.DataFrame:
    """Annual percent change (APC) of the rate of ``of`` over ``year``, per group.

    Parameters
    ----------
    data : pandas.DataFrame
        Microdata or a cube with a ``year`` column.
    by : str or sequence of str
        Groups to fit separately (not ``year``).
    population : pandas.DataFrame
        Female population keyed by ``year`` and some or all of ``by``. A year (or group)
        of the population without a single record is a zero in the series, so the fit
        covers every year the population lists.
    of : str, default ``"femicide"``
        A row of :data:`femstat.indicators.INDICATOR_ROWS` other than ``out_of_scope``.
    level : float, default 0.95
    method : {"quasipoisson", "poisson", "negbin"}, default "quasipoisson"
        The count model. The default estimates the dispersion from the data, so that the
        interval keeps its level when counts vary more than Poisson from year to year, as
        counts of killings do; ``"poisson"`` is the model of femstat before 0.2.
    interval : {"wald", "profile"}, default "wald"
        Wald or profile-likelihood interval.
    joinpoints : int, "auto" or None, default None
        Also fit a joinpoint regression to each series and report its average annual percent
        change (AAPC): ``"auto"`` chooses the number of joinpoints by permutation tests (as
        NCI's Joinpoint program), an integer fits exactly that many. None fits none.
    seed : int or None
        Seed of the permutation tests (``joinpoints="auto"``), for reproducible tables.

    Returns
    -------
    pandas.DataFrame
        One row per group: ``first_year``, ``last_year``, ``count`` (all years), ``apc``,
        ``apc_lower`` and ``apc_upper`` (per cent per year), ``dispersion`` (the estimated
        variance over the Poisson variance; 1 for ``"poisson"``), ``theta`` (the negative
        binomial shape, NaN for the other models) and ``df`` (observations minus two). The
        ``attrs["femstat"]`` record the model, interval and level. With ``joinpoints``:
        ``joinpoints`` (how many), ``joinpoint_years`` (e.g. ``"2012 2017"``), ``aapc``,
        ``aapc_lower``, ``aapc_upper``, and ``joinpoint_note``, which says why a series has
        no joinpoint fit (a year without events: the model is of the log rate), else empty.

    Notes
    -----
    A log-linear model, ``log E[count] = a + b * year + log(population)``, is fitted for
    each group; APC = 100 (exp(b) - 1), with the interval of b transformed the same way
    (Clegg et al. 2009). See :func:`femstat.stats.annual_percent_change` for the models and
    intervals, and the methods page for the simulations behind the default. One model per
    group is inherent to the method; the counts and denominators come from one vectorised
    :func:`femstat.indicators` call.

    The joinpoint fit is :func:`femstat.stats.joinpoint_rates`: weighted least squares on
    the log crude rate with the counts as weights (the program's Poisson variance), the
    AAPC of Clegg et al. (2009) over the whole series. It is a different estimator from the
    count model of ``apc``, so with no joinpoint the AAPC is close to, not equal to, the
    APC. Per-segment APCs of one series: :func:`femstat.stats.joinpoint_rates`.
    """
    by = [by] if isinstance(by, str) else list(by)
    check_breakdown(by)
    _check_method(method, TREND_METHODS, "trend")
    _check_method(interval, TREND_INTERVALS, "trend")
    if joinpoints is not None and not (
        joinpoints == "auto" or (isinstance(joinpoints, int) and joinpoints >= 0)
    ):
        raise TrendError(
            f"joinpoints must be 'auto', a number of joinpoints (0, 1, 2, ...) or None, got "
            f"{joinpoints!r}. Pass joinpoints='auto' to let permutation tests choose."
        )
    if "year" in by:
        raise TrendError("year is the trend's axis; leave it out of by")
    table = indicators(data, [*by, "year"], population=population, rules=rules)
    rows = table[table["femicide_type"] == of]
    if rows.empty or rows["population"].isna().all():
        raise TrendError(f"no rates for of={of!r}: choose a row with a population")
    results = []
    groups = rows.groupby(by, observed=True, sort=False) if by else [((), rows)]
    for key, series in groups:
        years = series["year"].to_numpy(dtype=np.float64)
        fit = fit_trend(
            years,
            series["count"].to_numpy(),
            series["population"].to_numpy(),
            level=level,
            method=method,
            interval=interval,
        )
        key_values = key if isinstance(key, tuple) else (key,)
        extra = {} if joinpoints is None else _joinpoint_columns(series, joinpoints, level, seed)
        results.append(
            {
                **dict(zip(by, key_values, strict=True)),
                "first_year": int(years.min()),
                "last_year": int(years.max()),
                "count": int(series["count"].sum()),
                "apc": fit.apc,
                "apc_lower": fit.lower,
                "apc_upper": fit.upper,
                "dispersion": fit.dispersion,
                "theta": fit.theta,
                "df": fit.df,
                **extra,
            }
        )
    out = pd.DataFrame(results)
    out.attrs["femstat"] = {
        "of": of,
        "level": level,
        "model": _MODELS[method],
        "method": method,
        "interval": interval,
        "joinpoints": joinpoints,
        "rule_set": rules.name,
    }
    return out


def _joinpoint_columns(
    series: pd.DataFrame, joinpoints: int | str, level: float, seed: int | None
) -> dict[str, object]:
    """AAPC columns of one series' joinpoint fit, or NaN and the reason it has none."""
    order = np.argsort(series["year"].to_numpy(dtype=np.float64))
    years = series["year"].to_numpy(dtype=np.float64)[order]
    counts = series["count"].to_numpy(dtype=np.float64)[order]
    pop = series["population"].to_numpy(dtype=np.float64)[order]
    number = None if joinpoints == "auto" else int(joinpoints)
    try:
        fit = joinpoint_rates(years, counts, pop, joinpoints=number, level=level, seed=seed)
    except JoinpointError as exc:
        note = "a year without events" if np.any(counts == 0) else str(exc).split(":")[0]
        return {
            "joinpoints": np.nan,
            "joinpoint_years": "",
            "aapc": np.nan,
            "aapc_lower": np.nan,
            "aapc_upper": np.nan,
            "joinpoint_note": note,
        }
    return {
        "joinpoints": len(fit.joinpoints),
        "joinpoint_years": " ".join(str(int(y)) for y in fit.joinpoints),
        "aapc": fit.aapc,
        "aapc_lower": fit.aapc_lower,
        "aapc_upper": fit.aapc_upper,
        "joinpoint_note": "",
    }
