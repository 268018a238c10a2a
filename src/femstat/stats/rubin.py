r"""Rubin's rules: combine the results of ``m`` multiply imputed data sets.

Array in, array out: the estimates of every quantity (one column each) from each completed
data set (one row each) are pooled at once. There is no pandas here.

The formulas are those of Rubin (1987) and van Buuren (2018, section 2.3), with the
degrees of freedom of Barnard and Rubin (1999), exactly as R's ``mice::pool`` computes them
(``mice:::barnard.rubin``), so the two agree to rounding (tests/fixtures/estimate).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import stats

__all__ = ["Pooled", "gamma_interval", "pool"]

FloatArray = npt.NDArray[np.float64]

_LAMBDA_FLOOR = 1e-4  # as mice: keeps (m - 1) / lambda^2 finite when B is (nearly) zero


@dataclass(frozen=True)
class Pooled:
    r"""Pooled estimates of ``k`` quantities, with their total variance and its parts.

    Attributes
    ----------
    qbar : numpy.ndarray
        :math:`\bar Q`, the mean of the ``m`` estimates.
    ubar : numpy.ndarray
        :math:`\bar U`, the mean complete-data variance (within-imputation variance).
    b : numpy.ndarray
        :math:`B`, the variance of the estimates across imputations.
    t : numpy.ndarray
        :math:`T = \bar U + (1 + 1/m) B`, the total variance.
    df : numpy.ndarray
        Barnard-Rubin degrees of freedom of the reference *t* distribution (``inf`` where
        the total variance is zero).
    riv : numpy.ndarray
        :math:`r = (1 + 1/m) B / \bar U`, the relative increase in variance due to
        nonresponse (``inf`` where :math:`\bar U = 0 < B`).
    lambda_ : numpy.ndarray
        :math:`\lambda = (1 + 1/m) B / T`, the proportion of the variance due to the
        missing data.
    fmi : numpy.ndarray
        :math:`\gamma = (r + 2 / (\nu + 3)) / (r + 1)`, the fraction of missing
        information (1 where :math:`r` is infinite, 0 where :math:`T = 0`).
    m : int
        Number of imputations.
    """

    qbar: FloatArray
    ubar: FloatArray
    b: FloatArray
    t: FloatArray
    df: FloatArray
    riv: FloatArray
    lambda_: FloatArray
    fmi: FloatArray
    m: int

    def interval(self, level: float = 0.95) -> tuple[FloatArray, FloatArray]:
        r"""Limits :math:`\bar Q \pm t_{\nu, 1 - \alpha/2} \sqrt{T}`.

        Where :math:`T = 0` (no imputation variance and no complete-data variance) both
        limits are the point estimate.
        """
        if not 0.0 < level < 1.0:
            raise ValueError(f"level must lie strictly between 0 and 1, got {level!r}")
        df = np.where(np.isfinite(self.df), self.df, np.inf)
        quantile = stats.t.ppf(1.0 - (1.0 - level) / 2.0, df)
        half = np.where(self.t > 0, quantile * np.sqrt(self.t), 0.0)
        return self.qbar - half, self.qbar + half


def barnard_rubin(m: int, b: FloatArray, t: FloatArray, dfcom: float) -> FloatArray:
    r"""Barnard-Rubin (1999) degrees of freedom, as ``mice:::barnard.rubin``.

    .. math:: \nu_{old} = \frac{m - 1}{\lambda^2}, \quad
              \nu_{obs} = \frac{\nu_{com} + 1}{\nu_{com} + 3}\,\nu_{com}(1 - \lambda),
              \quad \nu = \frac{\nu_{old}\,\nu_{obs}}{\nu_{old} + \nu_{obs}},

    with :math:`\lambda` floored at :math:`10^{-4}`, and :math:`\nu = \nu_{old}` (Rubin's
    1987 degrees of freedom) when :math:`\nu_{com}` is infinite.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        lam = (1.0 + 1.0 / m) * b / t
    lam = np.where(np.isfinite(lam), lam, 0.0)
    lam = np.maximum(lam, _LAMBDA_FLOOR)
    dfold = (m - 1) / lam**2
    if np.isinf(dfcom):
        return np.asarray(dfold, dtype=np.float64)
    dfobs = (dfcom + 1.0) / (dfcom + 3.0) * dfcom * (1.0 - lam)
    with np.errstate(divide="ignore", invalid="ignore"):
        df = dfold * dfobs / (dfold + dfobs)
    return np.asarray(np.where(dfold + dfobs > 0, df, 0.0), dtype=np.float64)


def pool(
    estimates: npt.ArrayLike,
    variances: npt.ArrayLike = 0.0,
    *,
    dfcom: float = np.inf,
) -> Pooled:
    r"""Combine ``m`` completed-data estimates by Rubin's rules.

    Parameters
    ----------
    estimates : array_like, shape (m, k) or (m,)
        Estimate of each of ``k`` quantities from each of ``m`` completed data sets.
    variances : array_like, broadcastable to ``estimates``, default 0
        Their complete-data variances. Zero for a count of a census: the completed data
        would give the count exactly, so all its uncertainty is due to the missing values.
    dfcom : float, default inf
        Degrees of freedom of the complete-data analysis (``inf`` for a census or a
        large-sample statistic).

    Returns
    -------
    Pooled

    Raises
    ------
    ValueError
        With fewer than two imputations (no between-imputation variance), non-finite
        input, a negative variance or a ``dfcom`` that is not positive.

    Notes
    -----
    .. math:: \bar Q = \frac1m \sum_l \hat Q_l, \quad \bar U = \frac1m \sum_l U_l, \quad
              B = \frac{1}{m-1} \sum_l (\hat Q_l - \bar Q)^2, \quad
              T = \bar U + (1 + \tfrac1m) B.

    References
    ----------
    .. [1] Rubin, D. B. (1987). *Multiple Imputation for Nonresponse in Surveys*. Wiley.
    .. [2] Barnard, J., & Rubin, D. B. (1999). Small-sample degrees of freedom with
       multiple imputation. *Biometrika*, 86(4), 948-955.
    .. [3] van Buuren, S. (2018). *Flexible Imputation of Missing Data* (2nd ed.).
       Chapman & Hall/CRC, section 2.3.
    """
    q = np.asarray(estimates, dtype=np.float64)
    if q.ndim == 1:
        q = q[:, None]
    if q.ndim != 2:
        raise ValueError(f"estimates must have shape (m, k), got {q.shape}")
    m = q.shape[0]
    if m < 2:
        raise ValueError(f"Rubin's rules need at least 2 imputations, got {m}; pass m >= 2")
    u = np.broadcast_to(np.asarray(variances, dtype=np.float64), q.shape)
    if not (np.all(np.isfinite(q)) and np.all(np.isfinite(u))):
        raise ValueError("estimates and variances must be finite numbers")
    if np.any(u < 0):
        raise ValueError("variances must not be negative")
    if not dfcom > 0:
        raise ValueError(f"dfcom must be positive (inf for a census), got {dfcom!r}")
    qbar = q.mean(axis=0)
    ubar = u.mean(axis=0)
    b = q.var(axis=0, ddof=1)
    t = ubar + (1.0 + 1.0 / m) * b
    df = barnard_rubin(m, b, t, dfcom)
    df = np.where(t > 0, df, np.inf)
    with np.errstate(divide="ignore", invalid="ignore"):
        riv = np.where(ubar > 0, (1.0 + 1.0 / m) * b / ubar, np.where(b > 0, np.inf, 0.0))
        lam = np.where(t > 0, (1.0 + 1.0 / m) * b / t, 0.0)
        fmi = np.where(
            np.isinf(riv), 1.0, np.where(t > 0, (riv + 2.0 / (df + 3.0)) / (riv + 1.0), 0.0)
        )
    return Pooled(
        qbar=qbar,
        ubar=ubar,
        b=b,
        t=t,
        df=np.asarray(df, dtype=np.float64),
        riv=np.asarray(riv, dtype=np.float64),
        lambda_=np.asarray(lam, dtype=np.float64),
        fmi=np.asarray(fmi, dtype=np.float64),
        m=m,
    )


def gamma_interval(
    estimate: npt.ArrayLike,
    variance: npt.ArrayLike,
    level: float = 0.95,
    *,
    weight: float = 1.0,
) -> tuple[FloatArray, FloatArray]:
    r"""Gamma interval of a non-negative count with a given variance (Fay and Feuer 1997).

    The count :math:`y` with variance :math:`v` (for a multiply imputed Poisson count, the
    total variance :math:`T` of Rubin's rules) is given the distribution of a gamma with
    the same mean and variance; the upper limit adds one more record (``weight``) to both,
    as the exact Poisson interval does:

    .. math:: L = \frac{v}{2y}\,\chi^2_{2y^2/v,\ \alpha/2}, \qquad
              U = \frac{v + w^2}{2(y + w)}\,\chi^2_{2(y + w)^2/(v + w^2),\ 1 - \alpha/2}.

    With :math:`v = y` (no imputation variance) these are the exact (Garwood) limits of a
    Poisson count; with :math:`y = 0` the lower limit is 0. Unlike the normal interval
    :math:`y \pm z\sqrt v`, it stays inside :math:`[0, \infty)` and keeps its coverage
    for small counts, where the Poisson distribution is skewed.

    Parameters
    ----------
    estimate, variance : array_like
        The counts (non-negative) and their variances (non-negative, broadcast).
    level : float, default 0.95
    weight : float, default 1
        The weight of one record (1 for a count).

    Returns
    -------
    lower, upper : numpy.ndarray

    References
    ----------
    .. [1] Fay, M. P., & Feuer, E. J. (1997). Confidence intervals for directly
       standardized rates: a method based on the gamma distribution. *Statistics in
       Medicine*, 16(7), 791-801.
    """
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must lie strictly between 0 and 1, got {level!r}")
    y = np.asarray(estimate, dtype=np.float64)
    v = np.broadcast_to(np.asarray(variance, dtype=np.float64), y.shape)
    if np.any(y < 0) or np.any(v < 0) or not (np.all(np.isfinite(y)) and np.all(np.isfinite(v))):
        raise ValueError("counts and variances must be finite and not negative")
    alpha = 1.0 - level
    with np.errstate(divide="ignore", invalid="ignore"):
        # Where v = 0 < y the count is known exactly up to nothing: the gamma degenerates
        # to the point (its shape is infinite).
        shape = np.where(v > 0, y * y / v, np.inf)
        lower = np.where(
            (y > 0) & (v > 0), stats.gamma.ppf(alpha / 2.0, np.where(v > 0, shape, 1.0)), 0.0
        ) * np.where(v > 0, v / np.where(y > 0, y, 1.0), 0.0)
        lower = np.where((y > 0) & (v == 0), y, lower)
        v_up, y_up = v + weight * weight, y + weight
        upper = stats.gamma.ppf(1.0 - alpha / 2.0, y_up * y_up / v_up) * (v_up / y_up)
    return np.asarray(lower, dtype=np.float64), np.asarray(upper, dtype=np.float64)
