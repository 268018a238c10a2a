"""Confidence intervals for Poisson counts and binomial proportions.

Array in, array out: every function accepts scalars or arrays of any shape (they broadcast
against each other) and returns numpy arrays of the broadcast shape. There is no pandas here.
"""

from __future__ import annotations

from numbers import Real
from typing import Final

import numpy as np
import numpy.typing as npt
from scipy import special

from femstat.errors import FemstatError

__all__ = [
    "BINOMIAL_METHODS",
    "POISSON_METHODS",
    "StatsError",
    "StatsTypeError",
    "binomial_interval",
    "poisson_interval",
]

POISSON_METHODS: Final = ("exact", "byar", "mid-p", "jeffreys")
"""Methods accepted by :func:`poisson_interval`."""

BINOMIAL_METHODS: Final = ("wilson", "clopper-pearson", "jeffreys", "mid-p")
"""Methods accepted by :func:`binomial_interval`."""

FloatArray = npt.NDArray[np.float64]


class StatsError(FemstatError, ValueError):
    """An argument of a :mod:`femstat.stats` function that cannot be used as given."""


class StatsTypeError(FemstatError, TypeError):
    """An argument of a :mod:`femstat.stats` function of the wrong type."""


# --- argument checks, shared with the other modules of femstat.stats -----------------------


def _check_level(level: object) -> float:
    """Return ``level`` as a float after checking that ``0 < level < 1``."""
    if isinstance(level, bool) or not isinstance(level, Real):
        raise StatsTypeError(
            f"level must be a number between 0 and 1, got {level!r} of type "
            f"{type(level).__name__}. Pass e.g. level=0.95 for a 95% interval."
        )
    value = float(level)
    if not 0.0 < value < 1.0:
        raise StatsError(
            f"level must lie strictly between 0 and 1, got {level!r}. "
            "Pass e.g. level=0.95 for a 95% interval (not 95)."
        )
    return value


def _check_method(method: str, valid: tuple[str, ...], function: str) -> str:
    """Return ``method`` if it is one of ``valid``, else raise a ValueError listing them."""
    if method not in valid:
        listed = ", ".join(repr(m) for m in valid)
        raise StatsError(f"unknown method {method!r} for {function}. Use one of: {listed}.")
    return method


def _as_float_array(values: npt.ArrayLike, name: str) -> FloatArray:
    """Convert to a float64 array, with an error that names the argument."""
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise StatsTypeError(
            f"{name} must be numeric (a number or an array of numbers); {exc}. "
            f"Convert {name} to numbers before computing."
        ) from exc
    if not np.all(np.isfinite(array)):
        raise StatsError(
            f"{name} holds missing or infinite values (NaN or inf). "
            f"Replace them with known numbers, or drop those entries, before computing."
        )
    return array


def _check_counts(values: npt.ArrayLike, name: str) -> FloatArray:
    """Return counts as float64 after checking they are non-negative whole numbers."""
    array = _as_float_array(values, name)
    if np.any(array < 0):
        raise StatsError(
            f"{name} must be non-negative, got a minimum of {float(array.min())}. "
            f"A count of events cannot be negative: check how {name} was computed."
        )
    if np.any(array != np.floor(array)):
        bad = array[array != np.floor(array)].ravel()[0]
        raise StatsError(
            f"{name} must hold whole numbers (counts of events), got {float(bad)}. "
            "Pass the number of events, not a rate or an estimate."
        )
    return array


# --- quantiles and roots ----------------------------------------------------------------------

# Above this shape scipy's incomplete gamma function (and so its quantile) loses accuracy in
# the far lower tail: at shape 1e7 and a tail of 5e-7 the quantile is off by 2e-6 relative, at
# 1e9 by far more (checked against R's qgamma, tests/stats/fixtures/intervals_extra.csv).
# Below it, scipy agrees with R to 1e-12 at every level tested.
_LARGE_SHAPE = 1e5


def _d_minus_log1p(d: FloatArray) -> FloatArray:
    """``d - log(1 + d)`` without cancellation for small ``d``."""
    small = np.abs(d) < 0.1
    out = np.empty_like(d)
    with np.errstate(invalid="ignore", divide="ignore"):
        out[~small] = d[~small] - np.log1p(d[~small])
    ds = d[small]
    # The alternating series d^2/2 - d^3/3 + ...: 30 terms reach machine precision at |d| < 0.1.
    total = np.zeros_like(ds)
    power = ds * ds
    for k in range(2, 32):
        total += (-1) ** k * power / k
        power = power * ds
    out[small] = total
    return out


def _temme_lower(a: FloatArray, x: FloatArray) -> FloatArray:
    """Regularised lower incomplete gamma ``P(a, x)`` for large ``a`` (Temme's expansion)."""
    # The uniform asymptotic expansion (DLMF 8.12.7-8.12.10; Temme 1979), with two terms of
    # the remainder series: its error is O(a^-2) of a remainder that is itself a small part of
    # P, far below 1e-13 relative for the shapes it is used at.
    d = (x - a) / a
    eta = np.sign(d) * np.sqrt(2.0 * _d_minus_log1p(d))
    with np.errstate(divide="ignore", invalid="ignore"):
        c0 = 1.0 / d - 1.0 / eta
        c1 = 1.0 / eta**3 - 1.0 / d**3 - 1.0 / d**2 - 1.0 / (12.0 * d)
    # At x = a exactly (eta = 0) the limits of the coefficients are -1/3 and -1/540.
    c0 = np.where(eta == 0, -1.0 / 3.0, c0)
    c1 = np.where(eta == 0, -1.0 / 540.0, c1)
    remainder = np.exp(-a * eta * eta / 2.0) / np.sqrt(2.0 * np.pi * a) * (c0 + c1 / a)
    return np.asarray(0.5 * special.erfc(-eta * np.sqrt(a / 2.0)) - remainder)


def _gamma_quantile_unit(shape: FloatArray, p: FloatArray) -> FloatArray:
    """Quantile ``p`` of the gamma distribution with the given shape and scale 1."""
    q = np.asarray(special.gammaincinv(shape, p), dtype=np.float64)
    large = (shape >= _LARGE_SHAPE) & (p < 0.5) & np.isfinite(q) & (q > 0)
    if np.any(large):
        # Newton steps on Temme's accurate lower tail, from scipy's nearly right start.
        a, target, x = shape[large], p[large], q[large]
        for _ in range(6):
            log_density = (a - 1.0) * np.log(x) - x - special.gammaln(a)
            x = x - (_temme_lower(a, x) - target) / np.exp(log_density)
        q[large] = x
    return q


def _bisect(
    function: object, low: FloatArray, high: FloatArray, iterations: int = 200
) -> FloatArray:
    """Roots of a function that is negative at ``low`` and positive at ``high``, elementwise."""
    assert callable(function)
    low, high = low.copy(), high.copy()
    for _ in range(iterations):
        middle = (low + high) / 2.0
        settled = (middle == low) | (middle == high)
        if np.all(settled):
            break
        negative = np.asarray(function(middle)) < 0
        low = np.where(negative & ~settled, middle, low)
        high = np.where(~negative & ~settled, middle, high)
    return (low + high) / 2.0


def _z(level: float) -> float:
    """Two-sided standard normal quantile for ``level``."""
    return float(special.ndtri(1.0 - (1.0 - level) / 2.0))


# --- Poisson ----------------------------------------------------------------------------------


def poisson_interval(
    count: npt.ArrayLike,
    level: float = 0.95,
    method: str = "exact",
) -> tuple[FloatArray, FloatArray]:
    r"""Confidence limits for the mean of a Poisson count.

    Divide the limits by the population (and multiply by 100,000) to get limits for a rate.

    Parameters
    ----------
    count : array_like
        Observed numbers of events: non-negative whole numbers, any shape.
    level : float, default 0.95
        Confidence level, strictly between 0 and 1.
    method : {"exact", "byar", "mid-p", "jeffreys"}, default "exact"
        ``"exact"`` for Garwood's exact interval, ``"byar"`` for Byar's approximation,
        ``"mid-p"`` for the mid-p exact interval, ``"jeffreys"`` for the Jeffreys interval.

    Returns
    -------
    lower, upper : numpy.ndarray
        Lower and upper limits for the expected count, float64 arrays shaped like ``count``.

    Raises
    ------
    ValueError
        If ``level`` is not strictly between 0 and 1, if a count is negative, not a whole
        number or missing, or if ``method`` is unknown.

    See Also
    --------
    binomial_interval : intervals for proportions (shares).

    Notes
    -----
    **Exact (Garwood 1936).** With :math:`\alpha = 1 - \text{level}`, the limits for an
    observed count :math:`x` are gamma (equivalently chi-square, as in Ulm 1990) quantiles

    .. math:: L = G^{-1}_{x}(\alpha/2) = \tfrac12 \chi^2_{2x}(\alpha/2), \qquad
              U = G^{-1}_{x+1}(1-\alpha/2) = \tfrac12 \chi^2_{2x+2}(1-\alpha/2),

    where :math:`G^{-1}_{a}` is the quantile function of the gamma distribution with shape
    :math:`a` and scale 1, and :math:`L = 0` when :math:`x = 0`. These are the limits that R's
    ``poisson.test`` returns. The interval is conservative: its coverage is at least the
    nominal level for every mean.

    **Byar's approximation** (Rothman & Boice 1979; Breslow & Day 1987), with :math:`z` the
    standard normal quantile at :math:`1 - \alpha/2`:

    .. math:: L = x\left(1 - \frac{1}{9x} - \frac{z}{3\sqrt{x}}\right)^3, \qquad
              U = (x+1)\left(1 - \frac{1}{9(x+1)} + \frac{z}{3\sqrt{x+1}}\right)^3.

    :math:`L` is set to 0 at :math:`x = 0`, and also where the bracket turns negative (a count
    of 1 or 2 at very high levels), since an expected count cannot be negative. Byar's limits
    are within a fraction of a percent of the exact ones from about ten events upwards.

    **Mid-p** (Lancaster 1961; Berry & Armitage 1995): the exact interval with only half the
    probability of the observed count in each tail, i.e. :math:`L` and :math:`U` solve

    .. math:: P(X > x; L) + \tfrac12 P(X = x; L) = \alpha/2, \qquad
              P(X < x; U) + \tfrac12 P(X = x; U) = \alpha/2,

    with :math:`L = 0` at :math:`x = 0` (so :math:`U = -\log\alpha` there). It lies inside
    the exact interval and its coverage is close to nominal on average, though not at least
    nominal for every mean. Solved by bisection between the exact limits and :math:`x`.

    **Jeffreys** (Brown, Cai & DasGupta 2003): the equal-tailed interval of the posterior
    under Jeffreys' prior, :math:`L = G^{-1}_{x+1/2}(\alpha/2)`,
    :math:`U = G^{-1}_{x+1/2}(1-\alpha/2)`, with :math:`L = 0` at :math:`x = 0`.

    **Precision.** The gamma quantiles agree with R's ``qgamma`` to 1e-12 relative at every
    level from 0.9 to 0.999999 and every count up to 1e9. scipy's own quantile is off by up
    to 2e-6 relative (and more for larger counts) in the far lower tail of large shapes, so
    femstat refines it there (shape above 1e5, lower tail) by Newton steps on Temme's uniform
    asymptotic expansion of the incomplete gamma function (Temme 1979; DLMF 8.12).

    References
    ----------
    .. [1] Garwood, F. (1936). Fiducial limits for the Poisson distribution. *Biometrika*,
       28(3/4), 437-442.
    .. [2] Ulm, K. (1990). A simple method to calculate the confidence interval of a
       standardized mortality ratio (SMR). *American Journal of Epidemiology*, 131(2), 373-375.
    .. [3] Rothman, K. J., & Boice, J. D. (1979). *Epidemiologic analysis with a programmable
       calculator*. NIH Publication 79-1649. US Government Printing Office.
    .. [4] Breslow, N. E., & Day, N. E. (1987). *Statistical Methods in Cancer Research,
       Volume II: The Design and Analysis of Cohort Studies*. IARC Scientific Publications
       No. 82. Lyon: International Agency for Research on Cancer.
    .. [5] Lancaster, H. O. (1961). Significance tests in discrete distributions. *Journal of
       the American Statistical Association*, 56(294), 223-234.
    .. [6] Berry, G., & Armitage, P. (1995). Mid-P confidence intervals: a brief review.
       *Journal of the Royal Statistical Society, Series D*, 44(4), 417-423.
    .. [7] Brown, L. D., Cai, T. T., & DasGupta, A. (2003). Interval estimation in exponential
       families. *Statistica Sinica*, 13(1), 19-49.
    .. [8] Temme, N. M. (1979). The asymptotic expansion of the incomplete gamma functions.
       *SIAM Journal on Mathematical Analysis*, 10(4), 757-766.

    Examples
    --------
    >>> lower, upper = poisson_interval([0, 5, 100])
    >>> lower.round(4).tolist(), upper.round(4).tolist()
    ([0.0, 1.6235, 81.364], [3.6889, 11.6683, 121.6268])
    """
    level = _check_level(level)
    _check_method(method, POISSON_METHODS, "poisson_interval")
    x = _check_counts(count, "count")
    tail = (1.0 - level) / 2.0

    positive = x > 0
    if method in ("exact", "jeffreys"):
        # The gamma quantile with scale 1; at shape 0 it would be NaN, and the lower limit
        # there is 0 by definition (for Jeffreys too, as Brown, Cai & DasGupta 2003 set it).
        shift = 0.0 if method == "exact" else 0.5
        lower = np.zeros_like(x)
        lower[positive] = _gamma_quantile_unit(
            x[positive] + shift, np.full(int(positive.sum()), tail)
        )
        upper_shape = x + (1.0 if method == "exact" else 0.5)
        upper = _gamma_quantile_unit(upper_shape, np.full(x.shape, 1.0 - tail))
        return lower, upper.reshape(x.shape)
    if method == "mid-p":
        return _poisson_mid_p(x, tail)

    z = _z(level)
    with np.errstate(divide="ignore", invalid="ignore"):
        bracket = 1.0 - 1.0 / (9.0 * x) - z / (3.0 * np.sqrt(x))
        lower = np.where(x > 0, x * np.maximum(bracket, 0.0) ** 3, 0.0)
    x1 = x + 1.0
    upper = x1 * (1.0 - 1.0 / (9.0 * x1) + z / (3.0 * np.sqrt(x1))) ** 3
    return np.asarray(lower, dtype=np.float64), np.asarray(upper, dtype=np.float64)


def _poisson_pmf(x: FloatArray, mu: FloatArray) -> FloatArray:
    return np.asarray(np.exp(special.xlogy(x, mu) - mu - special.gammaln(x + 1.0)))


def _poisson_mid_p(x: FloatArray, tail: float) -> tuple[FloatArray, FloatArray]:
    """Mid-p limits: half the probability of the observed count goes to each tail."""
    exact_lower, exact_upper = poisson_interval(x, level=1.0 - 2.0 * tail, method="exact")
    flat = x.ravel()

    def above(mu: FloatArray) -> FloatArray:
        # P(X > x) + P(X = x) / 2 - tail, increasing in mu.
        return np.asarray(special.gammainc(flat + 1.0, mu) + _poisson_pmf(flat, mu) / 2 - tail)

    def below(mu: FloatArray) -> FloatArray:
        # tail - (P(X < x) + P(X = x) / 2), increasing in mu.
        less = np.where(flat > 0, special.gammaincc(np.maximum(flat, 1.0), mu), 0.0)
        return np.asarray(tail - less - _poisson_pmf(flat, mu) / 2)

    # Garwood's limits bracket the mid-p ones from outside, the count from inside.
    lower = np.where(flat > 0, _bisect(above, exact_lower.ravel(), flat), 0.0)
    upper = _bisect(below, flat, exact_upper.ravel())
    return lower.reshape(x.shape), upper.reshape(x.shape)


# --- binomial ---------------------------------------------------------------------------------


def binomial_interval(
    successes: npt.ArrayLike,
    trials: npt.ArrayLike,
    level: float = 0.95,
    method: str = "wilson",
) -> tuple[FloatArray, FloatArray]:
    r"""Confidence limits for a binomial proportion, such as the share of femicides.

    Parameters
    ----------
    successes : array_like
        Numbers of records with the attribute (e.g. partner or family femicides): non-negative
        whole numbers.
    trials : array_like
        Numbers of records in the denominator (e.g. female homicide victims): whole numbers at
        least as large as ``successes``. Broadcasts against ``successes``.
    level : float, default 0.95
        Confidence level, strictly between 0 and 1.
    method : {"wilson", "clopper-pearson", "jeffreys", "mid-p"}, default "wilson"
        ``"wilson"`` for the Wilson score interval, ``"clopper-pearson"`` for the exact
        interval, ``"jeffreys"`` for the Jeffreys interval, ``"mid-p"`` for the mid-p exact
        interval.

    Returns
    -------
    lower, upper : numpy.ndarray
        Limits for the proportion, between 0 and 1, float64 arrays of the broadcast shape.
        Where ``trials == 0`` both limits are NaN: a share of nothing is undefined.

    Raises
    ------
    ValueError
        If ``level`` is not strictly between 0 and 1, if an input is negative, not a whole
        number or missing, if ``successes > trials``, or if ``method`` is unknown.

    See Also
    --------
    poisson_interval : intervals for counts and rates.

    Notes
    -----
    With :math:`k` successes in :math:`n` trials, :math:`\hat p = k/n`,
    :math:`\alpha = 1 - \text{level}` and :math:`z` the standard normal quantile at
    :math:`1 - \alpha/2`:

    **Wilson score interval** (Wilson 1927), the default, recommended by Brown, Cai &
    DasGupta (2001) and by Newcombe (1998) for its coverage close to nominal even for small
    :math:`n` or extreme :math:`\hat p`:

    .. math:: \frac{\hat p + \frac{z^2}{2n} \pm
              z\sqrt{\frac{\hat p(1-\hat p)}{n} + \frac{z^2}{4n^2}}}{1 + \frac{z^2}{n}}.

    It is the interval of R's ``prop.test(k, n, correct = FALSE)``; the lower limit is exactly
    0 at :math:`k = 0` and the upper exactly 1 at :math:`k = n`.

    **Clopper-Pearson** (1934), the "exact" interval, from beta quantiles:

    .. math:: L = B^{-1}_{k,\,n-k+1}(\alpha/2), \qquad U = B^{-1}_{k+1,\,n-k}(1-\alpha/2),

    with :math:`L = 0` at :math:`k = 0` and :math:`U = 1` at :math:`k = n`, as in R's
    ``binom.test``. Its coverage is at least the nominal level, so it is wider than Wilson's.

    **Jeffreys** (Brown, Cai & DasGupta 2001): beta quantiles with half a success and half a
    failure added, :math:`L = B^{-1}_{k+1/2,\,n-k+1/2}(\alpha/2)`,
    :math:`U = B^{-1}_{k+1/2,\,n-k+1/2}(1-\alpha/2)`, with :math:`L = 0` at :math:`k = 0`
    and :math:`U = 1` at :math:`k = n` (their modification at the ends).

    **Mid-p** (Lancaster 1961; Berry & Armitage 1995): :math:`L` and :math:`U` solve
    :math:`P(X > k; L) + \tfrac12 P(X = k; L) = \alpha/2` and
    :math:`P(X < k; U) + \tfrac12 P(X = k; U) = \alpha/2`, inside the Clopper-Pearson
    limits, by bisection; :math:`L = 0` at :math:`k = 0`, :math:`U = 1` at :math:`k = n`.

    References
    ----------
    .. [1] Wilson, E. B. (1927). Probable inference, the law of succession, and statistical
       inference. *Journal of the American Statistical Association*, 22(158), 209-212.
    .. [2] Clopper, C. J., & Pearson, E. S. (1934). The use of confidence or fiducial limits
       illustrated in the case of the binomial. *Biometrika*, 26(4), 404-413.
    .. [3] Brown, L. D., Cai, T. T., & DasGupta, A. (2001). Interval estimation for a binomial
       proportion. *Statistical Science*, 16(2), 101-133.
    .. [4] Newcombe, R. G. (1998). Two-sided confidence intervals for the single proportion:
       comparison of seven methods. *Statistics in Medicine*, 17(8), 857-872.
    .. [5] Lancaster, H. O. (1961). Significance tests in discrete distributions. *Journal of
       the American Statistical Association*, 56(294), 223-234.
    .. [6] Berry, G., & Armitage, P. (1995). Mid-P confidence intervals: a brief review.
       *Journal of the Royal Statistical Society, Series D*, 44(4), 417-423.

    Examples
    --------
    >>> lower, upper = binomial_interval([0, 47], [20, 100])
    >>> lower.round(4).tolist(), upper.round(4).tolist()
    ([0.0, 0.3751], [0.1611, 0.5671])
    """
    level = _check_level(level)
    _check_method(method, BINOMIAL_METHODS, "binomial_interval")
    k = _check_counts(successes, "successes")
    n = _check_counts(trials, "trials")
    try:
        k, n = np.broadcast_arrays(k, n)
    except ValueError as exc:
        raise StatsError(
            f"successes and trials have shapes {k.shape} and {n.shape}, which do not "
            "broadcast. Pass arrays of the same shape (one entry per group)."
        ) from exc
    if np.any(k > n):
        raise StatsError(
            "successes exceed trials in some entries (a share above 1). "
            "Check that the numerator is a subset of the denominator."
        )
    tail = (1.0 - level) / 2.0
    valid = n > 0
    all_fail = valid & (k == 0)
    all_succeed = valid & (k == n)

    if method == "wilson":
        z = _z(level)
        with np.errstate(divide="ignore", invalid="ignore"):
            p = k / n
            z2n = z * z / n
            centre = (p + z2n / 2.0) / (1.0 + z2n)
            half = z / (1.0 + z2n) * np.sqrt(p * (1.0 - p) / n + z2n / (4.0 * n))
            lower = centre - half
            upper = centre + half
    elif method == "clopper-pearson":
        with np.errstate(divide="ignore", invalid="ignore"):
            # betaincinv is NaN where a shape parameter is 0 (k = 0 or k = n); those limits
            # are set to their exact values below.
            lower = special.betaincinv(k, n - k + 1.0, tail)
            upper = special.betaincinv(k + 1.0, n - k, 1.0 - tail)
    elif method == "jeffreys":
        with np.errstate(divide="ignore", invalid="ignore"):
            lower = special.betaincinv(k + 0.5, n - k + 0.5, tail)
            upper = special.betaincinv(k + 0.5, n - k + 0.5, 1.0 - tail)
    else:
        lower, upper = _binomial_mid_p(k, n, tail, valid)

    lower = np.where(all_fail, 0.0, lower)
    upper = np.where(all_succeed, 1.0, upper)
    lower = np.where(valid, lower, np.nan)
    upper = np.where(valid, upper, np.nan)
    return np.asarray(lower, dtype=np.float64), np.asarray(upper, dtype=np.float64)


def _binomial_mid_p(
    k: FloatArray, n: FloatArray, tail: float, valid: npt.NDArray[np.bool_]
) -> tuple[FloatArray, FloatArray]:
    """Mid-p limits for a proportion (Lancaster 1961; Berry & Armitage 1995)."""
    lower = np.full(k.shape, np.nan)
    upper = np.full(k.shape, np.nan)
    kk, nn = k[valid], n[valid]
    cp_lower, cp_upper = binomial_interval(kk, nn, level=1.0 - 2.0 * tail, method="clopper-pearson")
    share = kk / nn

    def pmf(p: FloatArray) -> FloatArray:
        return np.asarray(
            np.exp(
                special.gammaln(nn + 1.0)
                - special.gammaln(kk + 1.0)
                - special.gammaln(nn - kk + 1.0)
                + special.xlogy(kk, p)
                + special.xlog1py(nn - kk, -p)
            )
        )

    def above(p: FloatArray) -> FloatArray:
        # P(X > k) + P(X = k) / 2 - tail, increasing in p.
        more = np.where(kk < nn, special.betainc(kk + 1.0, np.maximum(nn - kk, 1.0), p), 0.0)
        return np.asarray(more + pmf(p) / 2 - tail)

    def below(p: FloatArray) -> FloatArray:
        # tail - (P(X < k) + P(X = k) / 2), increasing in p.
        less = np.where(kk > 0, special.betainc(nn - kk + 1.0, np.maximum(kk, 1.0), 1.0 - p), 0.0)
        return np.asarray(tail - less - pmf(p) / 2)

    with np.errstate(divide="ignore", invalid="ignore"):
        lower[valid] = _bisect(above, cp_lower, share)
        upper[valid] = _bisect(below, share, cp_upper)
    return lower, upper
