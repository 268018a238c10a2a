"""Statistical methods of femstat: interval estimates, standardisation and trends.

Array in, array out: these functions take numbers or numpy arrays and return numpy arrays
(or floats), vectorised over groups. They know nothing of DataFrames; the indicator tables
are built on top of them.
"""

from femstat.stats.compare import (
    RATIO_METHODS,
    Comparison,
    rate_ratio,
    share_difference,
    standardised_rate_ratio,
)
from femstat.stats.intervals import (
    BINOMIAL_METHODS,
    POISSON_METHODS,
    StatsError,
    StatsTypeError,
    binomial_interval,
    poisson_interval,
)
from femstat.stats.joinpoint import (
    JoinpointFit,
    Segment,
    joinpoint,
    joinpoint_rates,
)
from femstat.stats.standard_populations import (
    STANDARD_POPULATIONS,
    StandardPopulation,
    standard_population,
)
from femstat.stats.standardise import DSR_METHODS, StandardisedRate, direct_standardised_rate
from femstat.stats.trend import (
    TREND_INTERVALS,
    TREND_METHODS,
    TrendFit,
    annual_percent_change,
    fit_trend,
)

__all__ = [
    "BINOMIAL_METHODS",
    "DSR_METHODS",
    "POISSON_METHODS",
    "RATIO_METHODS",
    "STANDARD_POPULATIONS",
    "TREND_INTERVALS",
    "TREND_METHODS",
    "Comparison",
    "JoinpointFit",
    "Segment",
    "StandardPopulation",
    "StandardisedRate",
    "StatsError",
    "StatsTypeError",
    "TrendFit",
    "annual_percent_change",
    "binomial_interval",
    "direct_standardised_rate",
    "fit_trend",
    "joinpoint",
    "joinpoint_rates",
    "poisson_interval",
    "rate_ratio",
    "share_difference",
    "standard_population",
    "standardised_rate_ratio",
]
