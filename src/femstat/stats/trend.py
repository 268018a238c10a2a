"""Annual percent change of a rate, from a log-linear count model.

Array in, numbers out; one model per series. There is no pandas here.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt
from scipy import optimize, special, stats

from femstat.errors import PopulationError
from femstat.stats.intervals import (
    StatsError,
    _as_float_array,
    _check_counts,
    _check_level,
    _check_method,
)
from femstat.stats.standardise import _check_population

__all__ = [
    "TREND_INTERVALS",
    "TREND_METHODS",
    "TrendFit",
    "annual_percent_change",
    "fit_trend",
]

TREND_METHODS: Final = ("quasipoisson", "poisson", "negbin")
"""Models accepted by :func:`fit_trend` and :func:`annual_percent_change`."""

TREND_INTERVALS: Final = ("wald", "profile")
"""Interval methods accepted by :func:`fit_trend` and :func:`annual_percent_change`."""

FloatArray = npt.NDArray[np.float64]

# Beyond this slope (a rate multiplied by e^50 a year) a profile limit is taken as unbounded.
_SLOPE_LIMIT = 50.0
# The largest theta searched; an estimate above _THETA_INF is reported as a Poisson fit
# (theta = inf): the extra variance mu^2/theta is then below 1e-6 mu^2, and the likelihood is
# too flat in theta there for the alternation to settle.
_THETA_POISSON = 1e8
_THETA_INF = 1e6


@dataclass(frozen=True)
class TrendFit:
    """Result of :func:`fit_trend`: one log-linear trend and how it was estimated.

    Attributes
    ----------
    apc, lower, upper : float
        The annual percent change and its confidence limits, in per cent.
    slope, se : float
        The slope :math:`b` of the log rate per year and its standard error (including the
        dispersion for ``"quasipoisson"``).
    dispersion : float
        The estimated dispersion :math:`\\hat\\phi` (``"quasipoisson"``); 1 for
        ``"poisson"``; for ``"negbin"`` the ratio of the model variance to the Poisson
        variance at the mean count, :math:`1 + \\bar\\mu/\\hat\\theta`.
    theta : float
        The negative binomial shape :math:`\\hat\\theta` (``inf`` when the data show no
        overdispersion); NaN for the other models.
    df : int
        Residual degrees of freedom, observations minus two.
    method, interval : str
        The model and the interval method used.
    """

    apc: float
    lower: float
    upper: float
    slope: float
    se: float
    dispersion: float
    theta: float
    df: int
    method: str
    interval: str


def _nan_fit(method: str, interval: str, df: int) -> TrendFit:
    nan = math.nan
    return TrendFit(nan, nan, nan, nan, nan, nan, nan, df, method, interval)


def _check_inputs(
    years: npt.ArrayLike, counts: npt.ArrayLike, population: npt.ArrayLike
) -> tuple[FloatArray, FloatArray, FloatArray]:
    t = _as_float_array(years, "years")
    x = _check_counts(counts, "counts")
    n = _check_population(population)
    if not (t.ndim == x.ndim == n.ndim == 1) or not (t.shape == x.shape == n.shape):
        raise StatsError(
            f"years {t.shape}, counts {x.shape} and population {n.shape} must be 1-D arrays "
            "of the same length: one entry per observation (year, or year and area)."
        )
    if np.unique(t).size < 2:
        raise StatsError(
            "a trend needs observations in at least two distinct years, got "
            f"{np.unique(t).tolist()}. Pass a longer series."
        )
    if np.any(n <= 0):
        raise PopulationError(
            "population must be positive in every year of a trend (it is the exposure of a "
            "log-linear model). Drop years without population, or check the population table."
        )
    return t, x, n


def _poisson_fit(t: FloatArray, x: FloatArray, n: FloatArray) -> tuple[float, float, FloatArray]:
    """Maximum-likelihood slope, intercept and fitted means of the Poisson model."""
    import statsmodels.api as sm
    from statsmodels.tools.sm_exceptions import PerfectSeparationWarning

    design = np.column_stack([np.ones_like(t), t])
    model = sm.GLM(x, design, family=sm.families.Poisson(), offset=np.log(n))
    with warnings.catch_warnings():
        # Both warnings are spurious here: the existence check rules out separation, and a
        # saturated model (two years) fits exactly, which statsmodels reports as "perfect
        # prediction" and as a 0/0 in a scale that the Poisson family never uses.
        warnings.simplefilter("ignore", PerfectSeparationWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        # Converge on the coefficients themselves, tightly: the default stops at an absolute
        # change in deviance of 1e-8, which leaves the slope accurate to only a few digits in
        # long, large-count series, while a tighter test on the deviance fails on its
        # rounding noise when the deviance is large.
        fit = model.fit(maxiter=100, tol_criterion="params", atol=1e-13, rtol=1e-13)
    a, b = float(fit.params[0]), float(fit.params[1])
    if not (fit.converged and math.isfinite(b)):
        raise RuntimeError(
            "the Poisson model for the trend did not converge. Check the series for extreme "
            "values; report it to femstat if the data look ordinary."
        )
    return a, b, np.exp(a + b * t + np.log(n))


def _poisson_profile_mean(b: float, t: FloatArray, x: FloatArray, n: FloatArray) -> FloatArray:
    """Fitted means at slope ``b`` with the intercept at its maximum-likelihood value."""
    # The intercept that maximises the Poisson likelihood for a fixed slope makes the fitted
    # total equal the observed total; logsumexp keeps e^(b t) finite for steep slopes.
    log_shape = b * t + np.log(n)
    log_total = math.log(float(x.sum()))
    return np.asarray(np.exp(log_shape - special.logsumexp(log_shape) + log_total))


def _poisson_deviance(x: FloatArray, mu: FloatArray) -> float:
    positive = x > 0
    return float(2.0 * (special.xlogy(x, x)[positive] - x[positive] * np.log(mu[positive])).sum())


def _nb_loglik(x: FloatArray, mu: FloatArray, theta: float) -> float:
    # log Gamma(x + theta) - log Gamma(theta) written as log Gamma(x) - log B(x, theta), and
    # theta log(theta / (theta + mu)) as -theta log1p(mu / theta): both keep their digits for
    # the large theta of nearly Poisson data, where the direct forms cancel catastrophically.
    positive = x > 0
    ratio = np.zeros_like(x)
    ratio[positive] = special.gammaln(x[positive]) - special.betaln(x[positive], theta)
    return float(
        (
            ratio
            - special.gammaln(x + 1.0)
            - theta * np.log1p(mu / theta)
            + special.xlogy(x, mu / (theta + mu))
        ).sum()
    )


def _nb_intercept(b: float, theta: float, t: FloatArray, x: FloatArray, n: FloatArray) -> float:
    """Maximum-likelihood intercept of the negative binomial model at slope ``b``."""
    base = b * t + np.log(n)

    def score(a: float) -> float:
        mu = np.exp(a + base)
        return float(((x - mu) / (1.0 + mu / theta)).sum())

    # The Poisson intercept is a good centre; the score falls with a, so widen until it changes
    # sign on both sides.
    centre = math.log(float(x.sum())) - float(special.logsumexp(base))
    step = 1.0
    while score(centre - step) < 0:
        step *= 2.0
    low = centre - step
    step = 1.0
    while score(centre + step) > 0:
        step *= 2.0
    return float(optimize.brentq(score, low, centre + step, xtol=1e-14, rtol=1e-15))


def _nb_regression(
    t: FloatArray, x: FloatArray, n: FloatArray, theta: float, start: tuple[float, float]
) -> tuple[float, float]:
    """Maximum-likelihood (a, b) of the negative binomial model at a fixed ``theta``."""
    # Fisher scoring (IRLS) on two parameters: a GLM fit per trial theta would dominate the
    # cost of the search over theta.
    design = np.column_stack([np.ones_like(t), t])
    offset = np.log(n)
    beta = np.array(start, dtype=np.float64)
    for _ in range(100):
        eta = design @ beta + offset
        mu = np.exp(eta)
        weights = mu / (1.0 + mu / theta)
        working = eta - offset + (x - mu) / mu
        step = np.asarray(
            np.linalg.solve(design.T @ (weights[:, None] * design), design.T @ (weights * working)),
            dtype=np.float64,
        )
        change = float(np.max(np.abs(step - beta)))
        beta = step
        if change <= 1e-14 * max(1.0, float(np.max(np.abs(beta)))):
            break
    return float(beta[0]), float(beta[1])


def _negbin_fit(t: FloatArray, x: FloatArray, n: FloatArray) -> tuple[float, float, float]:
    """Joint maximum-likelihood (a, b, theta), with ``theta = inf`` for a Poisson fit."""
    a0, b0, mu = _poisson_fit(t, x, n)
    poisson_loglik = float((special.xlogy(x, mu) - mu - special.gammaln(x + 1.0)).sum())

    def profile(log_theta: float) -> float:
        theta = math.exp(log_theta)
        a, b = _nb_regression(t, x, n, theta, (a0, b0))
        return -_nb_loglik(x, np.exp(a + b * t + np.log(n)), theta)

    # The profile likelihood in theta can have more than one local maximum: a coarse grid
    # finds the best region, a bounded search refines it.
    grid = np.linspace(math.log(1e-4), math.log(_THETA_POISSON), 49)
    values = np.array([profile(v) for v in grid])
    best = int(np.argmin(values))
    low, high = grid[max(best - 1, 0)], grid[min(best + 1, grid.size - 1)]
    found = optimize.minimize_scalar(
        profile, bounds=(low, high), method="bounded", options={"xatol": 1e-11}
    )
    theta = math.exp(float(found.x))
    if theta > _THETA_INF or -float(found.fun) <= poisson_loglik:
        # No overdispersion: the likelihood rises towards the Poisson limit.
        return a0, b0, math.inf
    a, b = _nb_regression(t, x, n, theta, (a0, b0))
    return a, b, theta


def _slope_se(t: FloatArray, weights: FloatArray) -> float:
    """Standard error of the slope from the expected information ``X' W X``."""
    total = float(weights.sum())
    centre = float((weights * t).sum()) / total
    return 1.0 / math.sqrt(float((weights * (t - centre) ** 2).sum()))


def _profile_limits(deviance_at: object, b: float, se: float, cutoff: float) -> tuple[float, float]:
    """Slopes where the profile deviance rises by ``cutoff`` above its minimum at ``b``."""
    assert callable(deviance_at)
    base = float(deviance_at(b))

    def excess(slope: float) -> float:
        return float(deviance_at(slope)) - base - cutoff

    limits = []
    for sign in (-1.0, 1.0):
        step = max(se, 1e-6)
        far = b + sign * step
        while excess(far) < 0:
            step *= 2.0
            far = b + sign * step
            if abs(far) > _SLOPE_LIMIT:
                limits.append(sign * math.inf)
                break
        else:
            lo, hi = sorted((b, far))
            limits.append(float(optimize.brentq(excess, lo, hi, xtol=1e-14, rtol=1e-14)))
    return limits[0], limits[1]


def fit_trend(
    years: npt.ArrayLike,
    counts: npt.ArrayLike,
    population: npt.ArrayLike,
    level: float = 0.95,
    method: str = "quasipoisson",
    interval: str = "wald",
) -> TrendFit:
    r"""Fit a log-linear trend to a series of counts and return the APC and its model.

    Parameters
    ----------
    years : array_like, shape (n,)
        Calendar year of each observation. At least two distinct years; years may repeat
        (e.g. one row per area) and need not be consecutive.
    counts : array_like, shape (n,)
        Numbers of events in each observation: non-negative whole numbers.
    population : array_like, shape (n,)
        Population at risk (persons or person-years) of each observation: positive.
    level : float, default 0.95
        Confidence level, strictly between 0 and 1.
    method : {"quasipoisson", "poisson", "negbin"}, default "quasipoisson"
        The variance model; see Notes.
    interval : {"wald", "profile"}, default "wald"
        Wald interval, or profile-likelihood interval.

    Returns
    -------
    TrendFit
        The APC, its limits, the slope, its standard error, the dispersion and the degrees of
        freedom. Every number is NaN when the model has no finite estimate (see
        :func:`annual_percent_change`).

    Raises
    ------
    ValueError
        As :func:`annual_percent_change`.

    See Also
    --------
    annual_percent_change : the same, as three numbers.

    Notes
    -----
    See :func:`annual_percent_change` for the models and intervals.
    """
    level = _check_level(level)
    _check_method(method, TREND_METHODS, "fit_trend")
    _check_method(interval, TREND_INTERVALS, "fit_trend")
    t, x, n = _check_inputs(years, counts, population)
    df = int(t.size - 2)

    # The maximum-likelihood slope exists only if the count-weighted mean year lies strictly
    # inside the range of years: otherwise the likelihood rises without bound in b. This holds
    # for all three models, whose estimating equations share the Poisson's direction of ascent.
    if x.sum() == 0:
        return _nan_fit(method, interval, df)
    mean_year = float((x * t).sum() / x.sum())
    if not t.min() < mean_year < t.max():
        return _nan_fit(method, interval, df)

    # Centred years change the intercept only, and keep the fit well conditioned.
    tc = t - t.mean()
    alpha = 1.0 - level
    if method in ("poisson", "quasipoisson"):
        _, b, mu = _poisson_fit(tc, x, n)
        theta = math.nan
        if method == "poisson":
            dispersion = 1.0
            quantile = float(special.ndtri(1.0 - alpha / 2.0))
        elif df > 0:
            # Pearson's statistic over the residual degrees of freedom: the moment estimate
            # of McCullagh & Nelder, as R's quasipoisson family.
            dispersion = float(((x - mu) ** 2 / mu).sum()) / df
            quantile = float(stats.t.ppf(1.0 - alpha / 2.0, df))
        else:
            dispersion = quantile = math.nan  # two observations: no dispersion to estimate
        se = math.sqrt(dispersion) * _slope_se(tc, mu)
        if interval == "wald":
            b_lower, b_upper = b - quantile * se, b + quantile * se
        elif math.isnan(dispersion):
            b_lower = b_upper = math.nan
        elif dispersion == 0.0:
            b_lower = b_upper = b  # an exact fit: the Wald interval has no width either
        else:

            def deviance(slope: float) -> float:
                return _poisson_deviance(x, _poisson_profile_mean(slope, tc, x, n)) / dispersion

            b_lower, b_upper = _profile_limits(deviance, b, se, quantile * quantile)
    else:
        a, b, theta = _negbin_fit(tc, x, n)
        mu = np.exp(a + b * tc + np.log(n))
        weights = mu if math.isinf(theta) else mu / (1.0 + mu / theta)
        se = _slope_se(tc, weights)
        dispersion = 1.0 + float(mu.mean()) / theta
        z = float(special.ndtri(1.0 - alpha / 2.0))
        if interval == "wald":
            b_lower, b_upper = b - z * se, b + z * se
        else:
            fixed = theta

            def deviance(slope: float) -> float:
                if math.isinf(fixed):
                    return _poisson_deviance(x, _poisson_profile_mean(slope, tc, x, n))
                intercept = _nb_intercept(slope, fixed, tc, x, n)
                return -2.0 * _nb_loglik(x, np.exp(intercept + slope * tc + np.log(n)), fixed)

            b_lower, b_upper = _profile_limits(deviance, b, se, z * z)
    return TrendFit(
        apc=100.0 * math.expm1(b),
        lower=100.0 * math.expm1(b_lower),
        upper=100.0 * math.expm1(b_upper),
        slope=b,
        se=se,
        dispersion=dispersion,
        theta=theta,
        df=df,
        method=method,
        interval=interval,
    )


def annual_percent_change(
    years: npt.ArrayLike,
    counts: npt.ArrayLike,
    population: npt.ArrayLike,
    level: float = 0.95,
    method: str = "quasipoisson",
    interval: str = "wald",
) -> tuple[float, float, float]:
    r"""Annual percent change (APC) of a rate, with its confidence interval.

    Parameters
    ----------
    years : array_like, shape (n,)
        Calendar year of each observation. At least two distinct years; years may repeat
        (e.g. one row per area) and need not be consecutive.
    counts : array_like, shape (n,)
        Numbers of events in each observation: non-negative whole numbers.
    population : array_like, shape (n,)
        Population at risk (persons or person-years) of each observation: positive.
    level : float, default 0.95
        Confidence level, strictly between 0 and 1.
    method : {"quasipoisson", "poisson", "negbin"}, default "quasipoisson"
        The variance model: quasi-Poisson with the dispersion estimated from the data (the
        default), Poisson, or negative binomial with its shape estimated by maximum
        likelihood. See Notes.
    interval : {"wald", "profile"}, default "wald"
        Wald interval, or profile-likelihood interval.

    Returns
    -------
    apc, lower, upper : float
        The annual percent change and its confidence limits, in per cent (e.g. ``-2.5`` for a
        rate falling by 2.5 % a year). All three are NaN when the model has no finite
        estimate; the limits alone are NaN for ``"quasipoisson"`` with only two observations
        (see Notes).

    Raises
    ------
    ValueError
        If the inputs are not 1-D arrays of the same length, if there are fewer than two
        distinct years, if ``level``, ``method`` or ``interval`` is invalid, or if a count is
        negative, not whole or missing.
    femstat.errors.PopulationError
        A ``ValueError`` raised if a population is zero, negative or missing.

    See Also
    --------
    fit_trend : the same fit with its slope, standard error and dispersion.
    femstat.stats.joinpoint : trends that change direction, and the average APC.

    Notes
    -----
    The model is log-linear with the population as exposure,

    .. math:: \log \mathrm{E}[x_t] = a + b\,t + \log n_t,

    and the APC is :math:`100\,(e^{b} - 1)`, the constant yearly percent change of the rate
    (NCI's Joinpoint program; Clegg et al. 2009, here for a single segment). The limits are
    those of :math:`b` transformed the same way. The years are centred before fitting, which
    changes the intercept only.

    **quasipoisson** (default). The slope is the Poisson maximum-likelihood estimate; its
    variance is the Poisson one multiplied by the dispersion
    :math:`\hat\phi = X^2/(n-2)`, Pearson's statistic over the residual degrees of freedom
    (McCullagh & Nelder 1989, as R's ``quasipoisson`` family). The Wald interval is
    :math:`b \pm t_{n-2}\,\sqrt{\hat\phi}\,\widehat{\mathrm{se}}(b)`: the *t* quantile
    accounts for the estimated dispersion, which matters with the 5-15 years a femicide series
    usually has. Counts of killings vary more than Poisson from year to year (clusters of
    events, changes in recording); a Poisson interval then covers the true APC far less often
    than it claims, while this one keeps its level: see the simulations in the methods page
    of the documentation. :math:`\hat\phi` is not floored at 1, as in R, so that the interval
    keeps its level also for Poisson data. With only two observations there is no residual
    to estimate :math:`\phi` from: the APC is returned with NaN limits.

    **poisson**. The Wald interval :math:`b \pm z\,\widehat{\mathrm{se}}(b)` with the standard
    error from the Fisher information at the estimate: valid only if the counts are Poisson.

    **negbin**. :math:`x_t` negative binomial with mean :math:`\mu_t` and variance
    :math:`\mu_t + \mu_t^2/\theta`; :math:`(a, b, \theta)` by maximum likelihood, alternating
    between the regression at fixed :math:`\theta` and :math:`\theta` at fixed means, as
    ``MASS::glm.nb`` does (Venables & Ripley 2002). The Wald interval uses :math:`z` and the
    expected information at :math:`\hat\theta`, as ``confint.default`` on a ``glm.nb`` fit.
    When the data show no overdispersion the likelihood increases towards the Poisson
    (:math:`\theta \to \infty`): the fit is then the Poisson fit and ``theta`` is ``inf``.

    **Profile likelihood** (``interval="profile"``). The limits are the slopes at which the
    profile deviance (the intercept re-estimated for each slope) exceeds its minimum by
    :math:`\chi^2_{1}(\text{level})` (Poisson, negative binomial at :math:`\hat\theta` as in
    ``confint`` of MASS), or, for quasi-Poisson, at which the deviance divided by
    :math:`\hat\phi` exceeds it by :math:`t_{n-2}^2 = F_{1,n-2}(\text{level})`. It is not
    symmetric on the log scale and behaves better than the Wald interval with small counts.
    A limit beyond a slope of :math:`\pm 50` is reported as unbounded (-100 or ``inf``).

    **No finite estimate: NaN.** If every count is zero, or if all events fall in the first
    year only or in the last year only, the likelihood has no maximum at a finite slope
    (it keeps increasing as :math:`b \to \pm\infty`), so there is no APC to report. femstat
    returns ``(nan, nan, nan)`` in that case instead of raising, so that a table of many series
    (e.g. small areas with no femicides) can still be computed; the NaN marks the series whose
    trend the data cannot estimate.

    References
    ----------
    .. [1] Clegg, L. X., Hankey, B. F., Tiwari, R., Feuer, E. J., & Edwards, B. K. (2009).
       Estimating average annual per cent change in trend analysis. *Statistics in Medicine*,
       28(29), 3670-3682.
    .. [2] National Cancer Institute. *Joinpoint Trend Analysis Software: Annual Percent Change
       (APC) and Confidence Interval*. Division of Cancer Control and Population Sciences.
    .. [3] McCullagh, P., & Nelder, J. A. (1989). *Generalized Linear Models* (2nd ed.).
       London: Chapman & Hall.
    .. [4] Venables, W. N., & Ripley, B. D. (2002). *Modern Applied Statistics with S*
       (4th ed.). New York: Springer.

    Examples
    --------
    >>> years = range(2013, 2023)
    >>> counts = [61, 82, 48, 66, 95, 58, 83, 70, 99, 72]
    >>> pop = [5.0e6] * 10
    >>> apc, lower, upper = annual_percent_change(years, counts, pop)  # quasi-Poisson
    >>> round(apc, 2), round(lower, 2), round(upper, 2)
    (2.87, -2.69, 8.75)
    >>> apc, lower, upper = annual_percent_change(years, counts, pop, method="poisson")
    >>> round(apc, 2), round(lower, 2), round(upper, 2)
    (2.87, 0.3, 5.5)
    """
    fit = fit_trend(years, counts, population, level=level, method=method, interval=interval)
    return fit.apc, fit.lower, fit.upper
