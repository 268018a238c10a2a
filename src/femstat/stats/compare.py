"""Comparisons of two groups: rate ratios, ratios of standardised rates, share differences.

Array in, array out: every function broadcasts its arguments against each other and returns
numpy arrays of the broadcast shape, one comparison per entry. There is no pandas here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt
from scipy import special

from femstat.errors import PopulationError
from femstat.stats.intervals import (
    StatsError,
    _check_counts,
    _check_level,
    _check_method,
    binomial_interval,
)
from femstat.stats.standard_populations import StandardPopulation
from femstat.stats.standardise import DSR_METHODS, _check_population, direct_standardised_rate

__all__ = [
    "RATIO_METHODS",
    "Comparison",
    "rate_ratio",
    "share_difference",
    "standardised_rate_ratio",
]

RATIO_METHODS: Final = ("fay-feuer", "tiwari")
"""Interval methods accepted by :func:`standardised_rate_ratio`."""

FloatArray = npt.NDArray[np.float64]

# R's binom.test counts a probability as "as small as the observed" up to this relative
# tolerance, so that ties lost to rounding still count; femstat does the same.
_REL_ERR = 1.0 + 1e-7


@dataclass(frozen=True, eq=False)
class Comparison:
    """Result of a comparison: one entry per compared pair in every array.

    Attributes
    ----------
    estimate : numpy.ndarray
        The rate ratio, ratio of standardised rates, or difference of shares.
    lower, upper : numpy.ndarray
        Its confidence limits.
    p_value : numpy.ndarray
        Two-sided p-value of the hypothesis of no difference (ratio 1, difference 0); NaN for
        methods that give none.
    """

    estimate: FloatArray
    lower: FloatArray
    upper: FloatArray
    p_value: FloatArray

    def __post_init__(self) -> None:
        for value in vars(self).values():
            value.setflags(write=False)


def _broadcast(*arrays: FloatArray) -> list[FloatArray]:
    try:
        return [np.asarray(a, dtype=np.float64) for a in np.broadcast_arrays(*arrays)]
    except ValueError as exc:
        shapes = ", ".join(str(a.shape) for a in arrays)
        raise StatsError(
            f"the arguments have shapes {shapes}, which do not broadcast. Pass arrays of the "
            "same shape (one entry per comparison), or scalars for a common reference."
        ) from exc


def _binomial_logpmf(i: FloatArray, n: FloatArray, p: FloatArray) -> FloatArray:
    return np.asarray(
        special.gammaln(n + 1.0)
        - special.gammaln(i + 1.0)
        - special.gammaln(n - i + 1.0)
        + special.xlogy(i, p)
        + special.xlog1py(n - i, -p)
    )


def _binomial_two_sided_p(k: FloatArray, n: FloatArray, p: FloatArray) -> FloatArray:
    """Two-sided exact binomial p-value as R's ``binom.test`` (probabilities <= observed)."""
    out = np.ones_like(k)
    # log of d * relErr, the threshold of R's count over the other tail.
    threshold = _binomial_logpmf(k, n, p) + np.log(_REL_ERR)
    mode = np.floor((n + 1.0) * p)
    below = k < n * p
    above = k > n * p
    # The pmf falls on each side of its mode, so the outcomes of the other tail that are no
    # more likely than k form a run out to that tail's end; bisection on whole numbers finds
    # its inner end (70 halvings cover any count a float can hold).
    if np.any(below):
        kb, nb, pb, tb = k[below], n[below], p[below], threshold[below]
        low = np.maximum(np.ceil(nb * pb), mode[below])
        high = nb + 1.0  # one past the end: "no such outcome"
        for _ in range(70):
            middle = np.floor((low + high) / 2.0)
            inside = middle <= nb
            ok = inside & (_binomial_logpmf(np.minimum(middle, nb), nb, pb) <= tb)
            active = low < high
            high = np.where(active & ok, middle, high)
            low = np.where(active & ~ok, middle + 1.0, low)
        # P(X <= k) + P(X >= first)
        first = low
        far = np.where(
            first <= nb,
            special.betainc(np.maximum(first, 1.0), np.maximum(nb - first + 1.0, 1.0), pb),
            0.0,
        )
        near = special.betainc(nb - kb, kb + 1.0, 1.0 - pb)
        out[below] = near + far
    if np.any(above):
        ka, na, pa, ta = k[above], n[above], p[above], threshold[above]
        high = np.minimum(np.floor(na * pa), mode[above])
        low = np.full_like(high, -1.0)  # one before the start: "no such outcome"
        for _ in range(70):
            middle = np.ceil((low + high) / 2.0)
            inside = middle >= 0
            ok = inside & (_binomial_logpmf(np.maximum(middle, 0.0), na, pa) <= ta)
            active = low < high
            low = np.where(active & ok, middle, low)
            high = np.where(active & ~ok, middle - 1.0, high)
        # P(X <= last) + P(X >= k)
        last = low
        far = np.where(
            last >= 0,
            special.betainc(np.maximum(na - last, 1.0), last + 1.0, 1.0 - pa),
            0.0,
        )
        far = np.where(last >= na, 1.0, far)
        near = special.betainc(ka, na - ka + 1.0, pa)
        out[above] = far + near
    return np.minimum(out, 1.0)


def rate_ratio(
    count: npt.ArrayLike,
    population: npt.ArrayLike,
    reference_count: npt.ArrayLike,
    reference_population: npt.ArrayLike,
    level: float = 0.95,
) -> Comparison:
    r"""Ratio of two Poisson rates with its exact conditional interval and p-value.

    Parameters
    ----------
    count, population : array_like
        Events and population at risk (persons or person-years) of the compared groups.
    reference_count, reference_population : array_like
        The same for the reference groups. All four broadcast against each other.
    level : float, default 0.95
        Confidence level, strictly between 0 and 1.

    Returns
    -------
    Comparison
        ``estimate`` (the rate ratio), ``lower``, ``upper`` and the two-sided ``p_value`` of
        the hypothesis that the rates are equal.

    Raises
    ------
    ValueError
        If a count is negative, not whole or missing, if ``level`` is invalid, or if the
        arguments do not broadcast.
    femstat.errors.PopulationError
        A ``ValueError`` raised if a population is zero, negative or missing.

    Notes
    -----
    Conditional on the total :math:`N = x_1 + x_2`, the count :math:`x_1` is binomial with
    probability :math:`\pi = \rho T_1 / (\rho T_1 + T_2)`, where :math:`\rho` is the rate ratio
    and :math:`T_j` the populations. The Clopper-Pearson limits :math:`(\pi_L, \pi_U)` for
    :math:`x_1` of :math:`N` give the limits :math:`\rho = \pi/(1-\pi) \cdot T_2/T_1`, and the
    p-value is the exact two-sided binomial test of :math:`\pi_0 = T_1/(T_1+T_2)`: the sum of
    the probabilities of all outcomes no more likely than the observed one (with R's relative
    tolerance of 1e-7 for ties). This is R's ``poisson.test(c(x1, x2), c(T1, T2))``
    (Fay 2010), which is the reference of the tests. The interval is conservative: its
    coverage is at least nominal.

    With no events in either group (:math:`N = 0`) there is nothing to compare: the ratio is
    NaN, the interval :math:`[0, \infty]` and the p-value 1. With events only in the compared
    group the ratio and its upper limit are infinite.

    References
    ----------
    .. [1] Fay, M. P. (2010). Two-sided exact tests and matching confidence intervals for
       discrete data. *The R Journal*, 2(1), 53-58.
    .. [2] Breslow, N. E., & Day, N. E. (1987). *Statistical Methods in Cancer Research,
       Volume II*. IARC Scientific Publications No. 82. Section 2.4.

    Examples
    --------
    >>> r = rate_ratio(45, 3.1e6, 52, 3.12e6)
    >>> print(r.estimate.round(4), r.lower.round(4), r.upper.round(4), r.p_value.round(4))
    0.871 0.5711 1.3237 0.5428
    """
    level = _check_level(level)
    x1 = _check_counts(count, "count")
    x2 = _check_counts(reference_count, "reference_count")
    t1 = _check_population(population, "population")
    t2 = _check_population(reference_population, "reference_population")
    x1, t1, x2, t2 = _broadcast(x1, t1, x2, t2)
    if np.any(t1 <= 0) or np.any(t2 <= 0):
        raise PopulationError(
            f"{int(np.sum(t1 <= 0) + np.sum(t2 <= 0))} population(s) are zero: a rate needs a "
            "positive population at risk. Drop those groups or complete the population table."
        )
    total = x1 + x2
    some = total > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        estimate = np.where(some, (x1 / t1) / (x2 / t2), np.nan)
        pi_lower, pi_upper = binomial_interval(
            x1[some], total[some], level=level, method="clopper-pearson"
        )
        lower = np.zeros_like(x1)
        upper = np.full_like(x1, np.inf)
        factor = t2[some] / t1[some]
        lower[some] = pi_lower / (1.0 - pi_lower) * factor
        upper[some] = np.where(pi_upper < 1.0, pi_upper / (1.0 - pi_upper) * factor, np.inf)
    p_value = np.ones_like(x1)
    p0 = t1 / (t1 + t2)
    p_value[some] = _binomial_two_sided_p(x1[some], total[some], p0[some])
    return Comparison(estimate, lower, upper, p_value)


def share_difference(
    successes: npt.ArrayLike,
    trials: npt.ArrayLike,
    reference_successes: npt.ArrayLike,
    reference_trials: npt.ArrayLike,
    level: float = 0.95,
) -> Comparison:
    r"""Difference of two independent shares with Newcombe's hybrid score interval.

    Parameters
    ----------
    successes, trials : array_like
        Records with the attribute and records in the denominator, in the compared groups.
    reference_successes, reference_trials : array_like
        The same in the reference groups. All four broadcast against each other.
    level : float, default 0.95

    Returns
    -------
    Comparison
        ``estimate`` (the difference of the shares, compared minus reference, between -1
        and 1), ``lower``, ``upper``; ``p_value`` is NaN (the method gives an interval only).
        NaN throughout where either group has no trials.

    Notes
    -----
    With shares :math:`p_1, p_2` and their Wilson limits :math:`(l_j, u_j)` (see
    :func:`~femstat.stats.binomial_interval`), Newcombe's method 10 (1998) is

    .. math:: L = p_1 - p_2 - \sqrt{(p_1 - l_1)^2 + (u_2 - p_2)^2}, \qquad
              U = p_1 - p_2 + \sqrt{(u_1 - p_1)^2 + (p_2 - l_2)^2}.

    It inherits the Wilson interval's good coverage for small denominators and shares near 0
    or 1, where the Wald interval of a difference fails (Newcombe 1998; Fagerland, Lydersen &
    Laake 2015 recommend it). The reference values are the formula transcribed into R, from
    the Wilson limits of ``prop.test(correct = FALSE)``.

    References
    ----------
    .. [1] Newcombe, R. G. (1998). Interval estimation for the difference between
       independent proportions: comparison of eleven methods. *Statistics in Medicine*,
       17(8), 873-890.
    .. [2] Fagerland, M. W., Lydersen, S., & Laake, P. (2015). Recommended confidence
       intervals for two independent binomial proportions. *Statistical Methods in Medical
       Research*, 24(2), 224-254.

    Examples
    --------
    >>> d = share_difference(56, 70, 48, 80)
    >>> print(d.estimate.round(4), d.lower.round(4), d.upper.round(4))
    0.2 0.0524 0.3339
    """
    level = _check_level(level)
    k1 = _check_counts(successes, "successes")
    n1 = _check_counts(trials, "trials")
    k2 = _check_counts(reference_successes, "reference_successes")
    n2 = _check_counts(reference_trials, "reference_trials")
    k1, n1, k2, n2 = _broadcast(k1, n1, k2, n2)
    l1, u1 = binomial_interval(k1, n1, level=level)
    l2, u2 = binomial_interval(k2, n2, level=level)
    with np.errstate(divide="ignore", invalid="ignore"):
        p1 = np.where(n1 > 0, k1 / n1, np.nan)
        p2 = np.where(n2 > 0, k2 / n2, np.nan)
    difference = p1 - p2
    lower = difference - np.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    upper = difference + np.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return Comparison(difference, lower, upper, np.full_like(difference, np.nan))


def standardised_rate_ratio(
    counts: npt.ArrayLike,
    population: npt.ArrayLike,
    reference_counts: npt.ArrayLike,
    reference_population: npt.ArrayLike,
    standard: npt.ArrayLike | StandardPopulation,
    level: float = 0.95,
    method: str = "fay-feuer",
) -> Comparison:
    r"""Ratio of two directly standardised rates with its F interval.

    Parameters
    ----------
    counts, population : array_like, shape (n_groups, n_bands) or (n_bands,)
        Events and population by age band of the compared groups.
    reference_counts, reference_population : array_like, same shape or (n_bands,)
        The same for the reference (one reference for all groups if 1-D).
    standard : array_like, shape (n_bands,), or StandardPopulation
        The standard population, as for :func:`~femstat.stats.direct_standardised_rate`.
    level : float, default 0.95
    method : {"fay-feuer", "tiwari"}, default "fay-feuer"
        Fay's (1999) F interval, or with Tiwari et al.'s (2006) modification.

    Returns
    -------
    Comparison
        ``estimate`` (ratio of the standardised rates), ``lower``, ``upper``; ``p_value`` NaN.

    Raises
    ------
    ValueError, femstat.errors.PopulationError
        As :func:`~femstat.stats.direct_standardised_rate` for either set of rates.

    Notes
    -----
    Write :math:`y_j, v_j` for the standardised rate of group :math:`j` and its variance,
    :math:`w_j` for the largest per-event weight of its bands (Fay-Feuer) or the mean weight
    (Tiwari), and :math:`z_j` for the largest squared weight or the mean of the squared
    weights (see :func:`~femstat.stats.direct_standardised_rate`). Each rate is approximately
    a gamma variable, so their ratio is approximately a scaled *F* variable (Fay 1999):

    .. math:: L = \frac{y_1}{y_2 + w_2}\,F^{-1}_{\alpha/2}\!\left(
                  \frac{2y_1^2}{v_1},\ \frac{2(y_2+w_2)^2}{v_2+z_2}\right), \qquad
              U = \frac{y_1 + w_1}{y_2}\,F^{-1}_{1-\alpha/2}\!\left(
                  \frac{2(y_1+w_1)^2}{v_1+z_1},\ \frac{2y_2^2}{v_2}\right).

    With only the denominator exact this is Fay & Feuer's gamma interval of :math:`y_1`
    divided by :math:`y_2`. :math:`L = 0` when the compared group has no events;
    :math:`U = \infty` (and the ratio too) when the reference has none. This is the rate ratio
    interval of NCI's SEER*Stat (Fay 1999, or Tiwari, Clegg & Zou 2006 with its modification).
    The reference values are the formulas transcribed into R (no CRAN package implements
    them), not an independent program.

    References
    ----------
    .. [1] Fay, M. P. (1999). Approximate confidence intervals for rate ratios from directly
       standardized rates with sparse data. *Communications in Statistics - Theory and
       Methods*, 28(9), 2141-2160.
    .. [2] Tiwari, R. C., Clegg, L. X., & Zou, Z. (2006). Efficient interval estimation for
       age-adjusted cancer rates. *Statistical Methods in Medical Research*, 15(6), 547-569.
    """
    from scipy import stats

    level = _check_level(level)
    _check_method(method, RATIO_METHODS, "standardised_rate_ratio")
    one = direct_standardised_rate(counts, population, standard, level=level, per=1.0)
    ref = direct_standardised_rate(
        reference_counts, reference_population, standard, level=level, per=1.0
    )
    assert method in DSR_METHODS
    w1, z1 = _increments(counts, population, standard, method)
    w2, z2 = _increments(reference_counts, reference_population, standard, method)
    y1, v1, y2, v2 = _broadcast(one.rate, one.variance, ref.rate, ref.variance)
    w1, z1, w2, z2 = _broadcast(w1, z1, w2, z2)
    tail = (1.0 - level) / 2.0
    with np.errstate(divide="ignore", invalid="ignore"):
        estimate = y1 / y2
        lower = np.where(
            y1 > 0,
            y1 / (y2 + w2) * stats.f.ppf(tail, 2 * y1 * y1 / v1, 2 * (y2 + w2) ** 2 / (v2 + z2)),
            0.0,
        )
        upper = np.where(
            y2 > 0,
            (y1 + w1)
            / y2
            * stats.f.ppf(1 - tail, 2 * (y1 + w1) ** 2 / (v1 + z1), 2 * y2 * y2 / v2),
            np.inf,
        )
    estimate = np.where((y1 == 0) & (y2 == 0), np.nan, estimate)
    return Comparison(
        np.asarray(estimate, dtype=np.float64),
        np.asarray(lower, dtype=np.float64),
        np.asarray(upper, dtype=np.float64),
        np.full(np.shape(estimate), np.nan),
    )


def _increments(
    counts: npt.ArrayLike,
    population: npt.ArrayLike,
    standard: npt.ArrayLike | StandardPopulation,
    method: str,
) -> tuple[FloatArray, FloatArray]:
    """The weight and squared-weight increments of the gamma method (per group)."""
    weights = standard.weights if isinstance(standard, StandardPopulation) else standard
    s = np.asarray(weights, dtype=np.float64)
    n = np.atleast_2d(np.asarray(population, dtype=np.float64))
    omega = s / s.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        w = np.where(n > 0, omega / n, 0.0)
    if method == "fay-feuer":
        w_inc = w.max(axis=1)
        z_inc = w_inc * w_inc
    else:
        in_standard = np.count_nonzero(omega > 0)
        w_inc = w.sum(axis=1) / in_standard
        z_inc = (w * w).sum(axis=1) / in_standard
    if np.ndim(counts) == 1:
        return w_inc.reshape(()), z_inc.reshape(())
    return w_inc, z_inc
