"""Annual percent change of a rate, from a log-linear Poisson model.

Array in, numbers out; one model per series. There is no pandas here.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import numpy.typing as npt
from scipy import special

from femstat.errors import PopulationError
from femstat.stats.intervals import _as_float_array, _check_counts, _check_level
from femstat.stats.standardise import _check_population

__all__ = ["annual_percent_change"]

_NAN3 = (math.nan, math.nan, math.nan)


def annual_percent_change(
    years: npt.ArrayLike,
    counts: npt.ArrayLike,
    population: npt.ArrayLike,
    level: float = 0.95,
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

    Returns
    -------
    apc, lower, upper : float
        The annual percent change and its confidence limits, in per cent (e.g. ``-2.5`` for a
        rate falling by 2.5 % a year). All three are NaN when the model has no finite
        estimate; see Notes.

    Raises
    ------
    ValueError
        If the inputs are not 1-D arrays of the same length, if there are fewer than two
        distinct years, if ``level`` is invalid, or if a count is negative, not whole or
        missing.
    femstat.errors.PopulationError
        A ``ValueError`` raised if a population is zero, negative or missing.

    Notes
    -----
    The model is the log-linear Poisson regression with the population as exposure,

    .. math:: \log \mathrm{E}[x_t] = a + b\,t + \log n_t,

    fitted by maximum likelihood (``statsmodels`` GLM, Poisson family, log link, offset
    :math:`\log n_t`). The APC is :math:`100\,(e^{b} - 1)`, the constant yearly percent change
    of the rate, and its limits are the Wald interval :math:`b \pm z\,\widehat{\mathrm{se}}(b)`
    transformed the same way (the definition of the APC in NCI's Joinpoint program and in
    Clegg et al. 2009, here for a single segment). The years are centred before fitting, which
    changes the intercept only, for numerical stability. The interval assumes Poisson
    variation; it is too narrow if the counts are overdispersed.

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
    .. [3] Kim, H.-J., Fay, M. P., Feuer, E. J., & Midthune, D. N. (2000). Permutation tests
       for joinpoint regression with applications to cancer rates. *Statistics in Medicine*,
       19(3), 335-351.

    Examples
    --------
    >>> years = [2018, 2019, 2020, 2021, 2022]
    >>> apc, lower, upper = annual_percent_change(years, [50, 52, 55, 57, 61], [1e6] * 5)
    >>> round(apc, 2), round(lower, 2), round(upper, 2)
    (5.04, -3.4, 14.21)
    """
    level = _check_level(level)
    t = _as_float_array(years, "years")
    x = _check_counts(counts, "counts")
    n = _check_population(population)
    if not (t.ndim == x.ndim == n.ndim == 1) or not (t.shape == x.shape == n.shape):
        raise ValueError(
            f"years {t.shape}, counts {x.shape} and population {n.shape} must be 1-D arrays "
            "of the same length: one entry per observation (year, or year and area)."
        )
    if np.unique(t).size < 2:
        raise ValueError(
            "a trend needs observations in at least two distinct years, got "
            f"{np.unique(t).tolist()}. Pass a longer series."
        )
    if np.any(n <= 0):
        raise PopulationError(
            "population must be positive in every year of a trend (it is the exposure of a "
            "log-linear model). Drop years without population, or check the population table."
        )

    # The maximum-likelihood slope exists only if the count-weighted mean year lies strictly
    # inside the range of years: otherwise the likelihood rises without bound in b.
    if x.sum() == 0:
        return _NAN3
    mean_year = float((x * t).sum() / x.sum())
    if not t.min() < mean_year < t.max():
        return _NAN3

    # Imported here: statsmodels takes about a second to import and only this function needs it.
    import statsmodels.api as sm
    from statsmodels.tools.sm_exceptions import PerfectSeparationWarning

    centred = t - t.mean()
    design = np.column_stack([np.ones_like(centred), centred])
    model = sm.GLM(x, design, family=sm.families.Poisson(), offset=np.log(n))
    with warnings.catch_warnings():
        # Both warnings are spurious here: the existence check above rules out separation, and
        # a saturated model (two years) fits exactly, which statsmodels reports as "perfect
        # prediction" and as a 0/0 in a scale that the Poisson family never uses.
        warnings.simplefilter("ignore", PerfectSeparationWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        # Converge on the coefficients themselves, tightly: the default stops at an absolute
        # change in deviance of 1e-8, which leaves the slope accurate to only a few digits in
        # long, large-count series, while a tighter test on the deviance fails on its
        # rounding noise when the deviance is large.
        fit = model.fit(maxiter=100, tol_criterion="params", atol=1e-13, rtol=1e-13)
    b = float(fit.params[1])
    if not (fit.converged and math.isfinite(b)):
        raise RuntimeError(
            "the Poisson model for the trend did not converge. Check the series for extreme "
            "values; report it to femstat if the data look ordinary."
        )
    # The Fisher information at the estimate itself: IRLS reports the one from the weights of
    # its last-but-one step, which differs in the last digits that the tolerance allows.
    information = -model.hessian(fit.params, scale=1.0)
    se = math.sqrt(float(np.linalg.inv(information)[1, 1]))
    z = float(special.ndtri(1.0 - (1.0 - level) / 2.0))
    return (
        100.0 * math.expm1(b),
        100.0 * math.expm1(b - z * se),
        100.0 * math.expm1(b + z * se),
    )
