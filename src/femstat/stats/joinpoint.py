"""Joinpoint regression of a log rate: segments, their APCs, and the average APC.

Array in, numbers out; one series per call. There is no pandas here.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import stats

from femstat.errors import FemstatError
from femstat.stats.intervals import _as_float_array, _check_counts, _check_level
from femstat.stats.standardise import _check_population

__all__ = [
    "JoinpointError",
    "JoinpointFit",
    "Segment",
    "default_max_joinpoints",
    "joinpoint",
    "joinpoint_rates",
]

FloatArray = npt.NDArray[np.float64]


class JoinpointError(FemstatError, ValueError):
    """A series that joinpoint regression cannot fit as asked."""


@dataclass(frozen=True)
class Segment:
    """One straight piece of a joinpoint model, on the log scale.

    Attributes
    ----------
    start, end : float
        First and last year of the segment (a joinpoint belongs to both its segments).
    apc, lower, upper : float
        The annual percent change of the segment and its confidence limits.
    slope, se : float
        Slope of the log rate and its standard error.
    """

    start: float
    end: float
    apc: float
    lower: float
    upper: float
    slope: float
    se: float


@dataclass(frozen=True)
class JoinpointFit:
    """Result of :func:`joinpoint`.

    Attributes
    ----------
    joinpoints : tuple of float
        Years of the selected joinpoints, in order (empty for a single straight line).
    segments : tuple of Segment
        The segments between them, first to last.
    aapc, aapc_lower, aapc_upper : float
        Average annual percent change over the whole series and its confidence limits.
    tests : tuple of tuple
        The permutation tests run to choose the number of joinpoints, as
        ``(k0, k1, p_value, significance_level)``; empty when the number was given.
    fitted : numpy.ndarray
        Fitted values of the model, on the scale of ``values``.
    df : int
        Residual degrees of freedom, observations minus ``2 k + 2``.
    criteria : tuple of float
        With an information criterion as ``selection``: its value for 0, 1, ... joinpoints
        (the smallest is chosen); empty otherwise.
    """

    joinpoints: tuple[float, ...]
    segments: tuple[Segment, ...]
    aapc: float
    aapc_lower: float
    aapc_upper: float
    tests: tuple[tuple[int, int, float, float], ...]
    fitted: FloatArray
    df: int
    criteria: tuple[float, ...] = ()


def default_max_joinpoints(n: int) -> int:
    """The default largest number of joinpoints for ``n`` observations (NCI's rule).

    0 below 7 points, then 1 (7-11), 2 (12-16), 3 (17-21), 4 (22-26) and 5 from 27.
    """
    if n < 7:
        return 0
    return min(5, 1 + (n - 7) // 5)


def _candidates(n: int, k: int, min_end: int, min_between: int) -> list[tuple[int, ...]]:
    """Positions (indices into the sorted years) allowed for ``k`` joinpoints."""
    if k == 0:
        return [()]
    allowed = range(min_end, n - min_end - 1)
    return [
        combo
        for combo in itertools.combinations(allowed, k)
        if all(b - a - 1 >= min_between for a, b in itertools.pairwise(combo))
    ]


def _design(x: FloatArray, knots: tuple[int, ...]) -> FloatArray:
    columns = [np.ones_like(x), x] + [np.maximum(x - x[i], 0.0) for i in knots]
    return np.column_stack(columns)


def _projectors(
    x: FloatArray, w: FloatArray, combos: list[tuple[int, ...]]
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """For every candidate: A with SSE(y) = y' A y, (X'WX)^-1 X'W, and the design X."""
    designs = np.stack([_design(x, c) for c in combos])  # (C, n, p)
    weighted = designs * w[None, :, None]
    gram = np.einsum("cnp,cnq->cpq", designs, weighted)
    solve = np.linalg.solve(gram, np.transpose(weighted, (0, 2, 1)))  # (C, p, n)
    hat = np.einsum("cnp,cpm->cnm", designs, solve)  # (C, n, n)
    residual = np.eye(x.size)[None] - hat
    quadratic = np.einsum("cmn,m,cmk->cnk", residual, w, residual)
    return quadratic, solve, designs


def _best(quadratic: FloatArray, y: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Smallest SSE over the candidates, and which candidate, for each row of ``y``."""
    sse = np.einsum("rn,cnk,rk->rc", y, quadratic, y)
    return sse.min(axis=1), sse.argmin(axis=1)


def joinpoint(
    years: npt.ArrayLike,
    values: npt.ArrayLike,
    *,
    weights: npt.ArrayLike | None = None,
    joinpoints: int | None = None,
    max_joinpoints: int | None = None,
    min_obs_end: int = 2,
    min_obs_between: int = 2,
    n_permutations: int = 4499,
    alpha: float = 0.05,
    adjustment: str = "nci",
    selection: str = "permutation",
    level: float = 0.95,
    seed: int | None = 20000335,
) -> JoinpointFit:
    r"""Joinpoint regression of a log-linear trend, as NCI's Joinpoint program.

    Parameters
    ----------
    years : array_like, shape (n,)
        Distinct years (any order).
    values : array_like, shape (n,)
        Positive rates (or other positive values) whose log is modelled.
    weights : array_like, shape (n,), optional
        Weights of the observations, inversely proportional to the variance of their log:
        ``None`` for constant variance; the counts for crude rates of Poisson counts (see
        :func:`joinpoint_rates`); ``(rate / se) ** 2`` for rates given with standard errors.
    joinpoints : int, optional
        Fit exactly this many joinpoints. By default the number is chosen by permutation
        tests between 0 and ``max_joinpoints``.
    max_joinpoints : int, optional
        Largest number of joinpoints tried; default :func:`default_max_joinpoints`.
    min_obs_end, min_obs_between : int, default 2
        Smallest number of observations between a joinpoint and either end of the series,
        and between two joinpoints, not counting the joinpoints (the program's defaults).
    n_permutations : int, default 4499
        Permutations per test (the program's default).
    alpha : float, default 0.05
        Overall significance level of the sequence of tests.
    adjustment : {"nci", "bonferroni"}, default "nci"
        Level of each test of :math:`k_0` against :math:`k_1` joinpoints: ``"nci"``,
        :math:`\alpha / (K - k_0)`, which bounds each over-fitting probability
        :math:`P(\hat k > k_0 \mid k = k_0)` by :math:`\alpha` (the program's rule since
        its version 3.0); ``"bonferroni"``, :math:`\alpha / K` for every test (Kim et al.
        2000, and the program before version 3.0), more conservative.
    selection : {"permutation", "wbic", "bic", "bic3"}, default "permutation"
        How the number of joinpoints is chosen: the sequence of permutation tests (Kim et
        al. 2000; the program's default before its version 5.0), or the smallest
        information criterion: the weighted BIC (Kim et al. 2023; the program's default
        from version 5.0), the BIC or the BIC3 (see Notes).
    level : float, default 0.95
        Confidence level of the APCs and the AAPC.
    seed : int or None
        Seed of the permutations, for reproducible selection; None for a fresh one.

    Returns
    -------
    JoinpointFit
        The joinpoints, the segments with their APCs, the AAPC and the tests.

    Raises
    ------
    JoinpointError
        A ``ValueError`` raised if years repeat or are missing, if a value is not positive,
        if the series is too short for the requested joinpoints, or if an option is invalid.

    Notes
    -----
    **Model** (Kim et al. 2000). :math:`\log y_t = \beta_0 + \beta_1 t +
    \sum_{j=1}^{k} \delta_j (t - \tau_j)^+ + \varepsilon_t`, a continuous broken line with
    joinpoints :math:`\tau_j` at observed years, fitted by (weighted) least squares with
    variance :math:`\sigma^2 / w_t` and :math:`\sigma^2` estimated. For each number of
    joinpoints, every admissible set of positions is fitted (the grid search of Lerman 1980,
    with no grid points between years, as the program's default) and the one with the
    smallest residual sum of squares kept.

    **Number of joinpoints.** The permutation test of Kim et al. (2000) compares
    :math:`k_0` with :math:`k_1` joinpoints through :math:`T = (SSE_0 - SSE_1)/SSE_1`:
    the standardised residuals of the best :math:`k_0` model are permuted, added back to its
    fit, both models refitted by grid search, and the p-value is
    :math:`(1 + \#\{T^* \ge T\}) / (1 + N)`. Starting from :math:`k_0 = 0, k_1 = K`, a
    rejection raises :math:`k_0`, an acceptance lowers :math:`k_1`, until they meet. Each test
    is at level :math:`\alpha / (K - k_0)`, as the program does since its version 3.0 (NCI,
    "Permutation Test Details"): the tests that can over-fit a true :math:`k_0` are at most
    :math:`K - k_0`, so each over-fitting probability :math:`P(\hat k > k_0 \mid k = k_0)`
    stays below :math:`\alpha`. Kim et al.'s original Bonferroni rule, :math:`\alpha / K`
    for every test, is ``adjustment="bonferroni"``; it selects fewer joinpoints.

    **APC of a segment**: :math:`100(e^{b_i} - 1)` with :math:`b_i` the slope of segment
    :math:`i`, and limits from :math:`b_i \pm t_{n-2k-2}\,\widehat{\mathrm{se}}(b_i)` (the
    joinpoints held fixed). **AAPC** (Clegg et al. 2009): the slopes averaged with weights
    equal to the segments' lengths in years, :math:`\bar b = \sum_i \ell_i b_i / \sum_i \ell_i`,
    :math:`\text{AAPC} = 100(e^{\bar b} - 1)`, with limits from the variance of
    :math:`\bar b` (a linear combination of the coefficients) and the same *t* quantile; the
    program's "parametric" AAPC interval. With no joinpoint the AAPC is the APC.

    **Information criteria** (``selection="wbic"``, ``"bic"``, ``"bic3"``): the number of
    joinpoints :math:`k` minimising :math:`\ln(SSE_k / n) + ((2 + c) k + 2) \ln(n) / n`,
    with :math:`c = 0` (BIC), 1 (BIC3) or, for the weighted BIC, :math:`R^2_{max}`, the
    largest partial :math:`R^2` of the model's joinpoints (each within its two segments),
    which moves the penalty towards the BIC3's when the changes are large.

    femstat's tests reproduce a published run of the program (twelve series of UK cancer
    mortality, constant variance, run in 2024 with the program's defaults, so version 5 and
    the weighted BIC): with the published number of joinpoints, the same joinpoint years and
    the same APCs to the four decimals printed; the weighted BIC chooses the published
    number for all twelve. The permutation tests choose it for ten: for breast cancer the
    decisive p-value, 0.0253 (Monte Carlo standard error 0.0023 with 4,499 permutations),
    is at the level 0.025; for oesophageal cancer in men, 0.053 (0.003) is twice the level.

    References
    ----------
    .. [1] Kim, H.-J., Fay, M. P., Feuer, E. J., & Midthune, D. N. (2000). Permutation tests
       for joinpoint regression with applications to cancer rates. *Statistics in Medicine*,
       19(3), 335-351.
    .. [2] Clegg, L. X., Hankey, B. F., Tiwari, R., Feuer, E. J., & Edwards, B. K. (2009).
       Estimating average annual per cent change in trend analysis. *Statistics in Medicine*,
       28(29), 3670-3682.
    .. [3] Lerman, P. M. (1980). Fitting segmented regression models by grid search.
       *Journal of the Royal Statistical Society, Series C*, 29(1), 77-84.
    .. [4] National Cancer Institute. *Joinpoint Trend Analysis Software*, version 4.9.
       Division of Cancer Control and Population Sciences.

    Examples
    --------
    >>> years = list(range(2004, 2020))
    >>> rates = [2.0 * 1.05**i for i in range(8)] + [2.0 * 1.05**7 * 0.97**i for i in range(1, 9)]
    >>> fit = joinpoint(years, rates, joinpoints=1)
    >>> fit.joinpoints, [round(s.apc, 3) for s in fit.segments]
    ((2011.0,), [5.0, -3.0])
    """
    level = _check_level(level)
    t = _as_float_array(years, "years")
    y = _as_float_array(values, "values")
    if t.ndim != 1 or t.shape != y.shape:
        raise JoinpointError(
            f"years {t.shape} and values {y.shape} must be 1-D arrays of the same length: "
            "one value per year."
        )
    if np.unique(t).size != t.size:
        raise JoinpointError(
            "years repeat: joinpoint regression takes one value per year. Sum the counts "
            "(and populations) of each year first."
        )
    if np.any(y <= 0):
        raise JoinpointError(
            f"{int(np.sum(y <= 0))} value(s) are zero or negative: the model is of the log "
            "rate. Joinpoint regression needs positive rates in every year; use "
            "femstat.stats.fit_trend for a series with years without events."
        )
    if weights is None:
        w = np.ones_like(y)
    else:
        w = _as_float_array(weights, "weights")
        if w.shape != y.shape or np.any(w <= 0):
            raise JoinpointError(
                "weights must be positive, one per year (e.g. the counts of a crude rate)."
            )
    if not 0 < alpha < 1:
        raise JoinpointError(f"alpha must lie between 0 and 1, got {alpha!r}.")
    if selection not in SELECTIONS:
        raise JoinpointError(
            f"selection={selection!r} is not known; pass one of {', '.join(SELECTIONS)}."
        )
    if adjustment not in ("nci", "bonferroni"):
        raise JoinpointError(
            f"adjustment={adjustment!r} is not known; pass 'nci' (alpha / (K - k0) for each "
            "test, the Joinpoint program's rule) or 'bonferroni' (alpha / K)."
        )
    if n_permutations < 1:
        raise JoinpointError(f"n_permutations must be at least 1, got {n_permutations!r}.")
    order = np.argsort(t)
    t, y, w = t[order], y[order], w[order]
    n = t.size
    # Centred and scaled years keep the normal equations well conditioned.
    scale = float(t[-1] - t[0]) if n > 1 else 1.0
    x = (t - t.mean()) / scale
    log_y = np.log(y)

    k_max = default_max_joinpoints(n) if max_joinpoints is None else int(max_joinpoints)
    if joinpoints is not None:
        k_max = int(joinpoints)
    if k_max < 0:
        raise JoinpointError(f"the number of joinpoints cannot be negative, got {k_max}.")
    combos = {
        k: _candidates(n, k, min_obs_end, min_obs_between)
        for k in range(0 if joinpoints is None else k_max, k_max + 1)
    }
    if not combos[k_max] or n - 2 * k_max - 2 < 1:
        raise JoinpointError(
            f"{n} years cannot hold {k_max} joinpoint(s) with {min_obs_end} observations to "
            f"each end and {min_obs_between} between joinpoints, and leave residual degrees "
            "of freedom. Ask for fewer joinpoints, or use a longer series."
        )
    models = {k: _projectors(x, w, c) for k, c in combos.items() if c}

    tests: list[tuple[int, int, float, float]] = []
    criteria: tuple[float, ...] = ()
    if joinpoints is None and k_max > 0 and selection != "permutation":
        criteria = tuple(
            _criterion(selection, x, log_y, w, combos[j], models[j]) for j in range(k_max + 1)
        )
        k = int(np.argmin(criteria))
    elif joinpoints is None and k_max > 0:
        rng = np.random.default_rng(seed)
        k0, k1 = 0, k_max
        while k0 < k1:
            # The program's levels depend on the null's number of joinpoints: the tests that
            # can over-fit a true k0 are at most K - k0, so alpha / (K - k0) bounds that
            # probability by alpha.
            each = alpha / (k_max - k0 if adjustment == "nci" else k_max)
            p_value = _permutation_test(models[k0], models[k1], log_y, w, n_permutations, rng)
            tests.append((k0, k1, p_value, each))
            if p_value < each:
                k0 += 1
            else:
                k1 -= 1
        k = k0
    else:
        k = k_max
    quadratic, solve, _ = models[k]
    sse, which = _best(quadratic, log_y[None, :])
    knots = combos[k][int(which[0])]
    beta = solve[int(which[0])] @ log_y
    df = n - 2 * k - 2
    sigma2 = float(sse[0]) / df
    design = _design(x, knots)
    covariance = sigma2 * np.linalg.inv(design.T @ (w[:, None] * design))
    quantile = float(stats.t.ppf(1.0 - (1.0 - level) / 2.0, df))

    # Slope of segment i is beta_1 + delta_1 + ... + delta_i, per scaled year.
    bounds = [0, *knots, n - 1]
    segments = []
    lengths = []
    combos_of_slopes = []
    for i in range(k + 1):
        c = np.zeros(design.shape[1])
        c[1] = 1.0
        c[2 : 2 + i] = 1.0
        c = c / scale
        slope = float(c @ beta)
        se = math.sqrt(max(float(c @ covariance @ c), 0.0))
        start, end = float(t[bounds[i]]), float(t[bounds[i + 1]])
        segments.append(
            Segment(
                start=start,
                end=end,
                apc=100.0 * math.expm1(slope),
                lower=100.0 * math.expm1(slope - quantile * se),
                upper=100.0 * math.expm1(slope + quantile * se),
                slope=slope,
                se=se,
            )
        )
        lengths.append(end - start)
        combos_of_slopes.append(c)
    weights_of = np.array(lengths) / sum(lengths)
    c_bar = np.sum([wi * ci for wi, ci in zip(weights_of, combos_of_slopes, strict=True)], axis=0)
    b_bar = float(c_bar @ beta)
    se_bar = math.sqrt(max(float(c_bar @ covariance @ c_bar), 0.0))
    fitted = np.empty_like(y)
    fitted[order] = np.exp(design @ beta)
    return JoinpointFit(
        joinpoints=tuple(float(t[i]) for i in knots),
        segments=tuple(segments),
        aapc=100.0 * math.expm1(b_bar),
        aapc_lower=100.0 * math.expm1(b_bar - quantile * se_bar),
        aapc_upper=100.0 * math.expm1(b_bar + quantile * se_bar),
        tests=tuple(tests),
        fitted=fitted,
        df=df,
        criteria=criteria,
    )


SELECTIONS: tuple[str, ...] = ("permutation", "wbic", "bic", "bic3")
"""The ways :func:`joinpoint` chooses the number of joinpoints."""


def _criterion(
    selection: str,
    x: FloatArray,
    log_y: FloatArray,
    w: FloatArray,
    combos: list[tuple[int, ...]],
    model: tuple[FloatArray, FloatArray, FloatArray],
) -> float:
    r"""The information criterion of the best model with ``len(combos[0])`` joinpoints.

    :math:`\ln(SSE_k / n) + ((2 + c) k + 2) \ln(n) / n`, with :math:`c = 0` for the BIC,
    1 for the BIC3, and for the weighted BIC the largest partial :math:`R^2` of the
    model's joinpoints (NCI, "Weighted BIC (WBIC)"; Kim et al. 2023).
    """
    n = log_y.size
    k = len(combos[0])
    sse, which = _best(model[0], log_y[None, :])
    knots = combos[int(which[0])]
    if selection == "bic":
        c = 0.0
    elif selection == "bic3":
        c = 1.0
    else:
        root = np.sqrt(w)
        c = max((_partial_r2(x, log_y, root, knots, i) for i in range(k)), default=0.0)
    return float(np.log(float(sse[0]) / n) + ((2.0 + c) * k + 2.0) * np.log(n) / n)


def _partial_r2(
    x: FloatArray, y: FloatArray, root: FloatArray, knots: tuple[int, ...], i: int
) -> float:
    r"""Partial :math:`R^2` of joinpoint ``i`` within its two segments.

    The observations after the previous joinpoint (from the first one for the first
    joinpoint) up to the next joinpoint (the last observation for the last one): the share
    of the variation a straight line leaves that the joinpoint's hinge explains. With
    weights, of the homoscedastic problem they make (rows scaled by ``root``).
    """
    lo = knots[i - 1] + 1 if i > 0 else 0
    hi = knots[i + 1] if i + 1 < len(knots) else x.size - 1
    xs, ys, rs = x[lo : hi + 1], y[lo : hi + 1], root[lo : hi + 1]
    line = np.column_stack([rs, rs * xs])
    residual = np.eye(xs.size) - line @ np.linalg.pinv(line)
    z = rs * np.maximum(xs - x[knots[i]], 0.0)
    yw = rs * ys
    yz, yy, zz = yw @ residual @ z, yw @ residual @ yw, z @ residual @ z
    return float(yz * yz / (yy * zz)) if yy > 0 and zz > 0 else 0.0


def _permutation_test(
    null: tuple[FloatArray, FloatArray, FloatArray],
    alternative: tuple[FloatArray, FloatArray, FloatArray],
    log_y: FloatArray,
    w: FloatArray,
    n_permutations: int,
    rng: np.random.Generator,
) -> float:
    """Kim et al.'s permutation p-value of k0 against k1 joinpoints."""
    sse0, which0 = _best(null[0], log_y[None, :])
    sse1, _ = _best(alternative[0], log_y[None, :])
    observed = (sse0[0] - sse1[0]) / sse1[0]
    best0 = int(which0[0])
    fit0 = null[2][best0] @ (null[1][best0] @ log_y)
    # Residuals standardised by their weights are exchangeable under the null model.
    residual = (log_y - fit0) * np.sqrt(w)
    exceed = 0
    chunk = 500
    done = 0
    while done < n_permutations:
        size = min(chunk, n_permutations - done)
        permuted = rng.permuted(np.broadcast_to(residual, (size, residual.size)), axis=1)
        ys = fit0[None, :] + permuted / np.sqrt(w)[None, :]
        s0, _ = _best(null[0], ys)
        s1, _ = _best(alternative[0], ys)
        # Ties within rounding count as exceeding, as the observed statistic itself does.
        exceed += int(np.sum((s0 - s1) / s1 >= observed * (1.0 - 1e-12)))
        done += size
    return (1.0 + exceed) / (1.0 + n_permutations)


def joinpoint_rates(
    years: npt.ArrayLike,
    counts: npt.ArrayLike,
    population: npt.ArrayLike,
    **options: object,
) -> JoinpointFit:
    r"""Joinpoint regression of a crude rate from counts and populations.

    The rate of year :math:`t` is :math:`x_t / n_t` and its log has variance about
    :math:`1/x_t` (Poisson counts), so the weights are the counts: the program's
    "Poisson variance" heteroscedastic model.

    Parameters
    ----------
    years, counts, population : array_like, shape (n,)
        One entry per year: counts (positive whole numbers) and populations (positive).
    **options
        Passed to :func:`joinpoint` (``joinpoints``, ``max_joinpoints``, ``level``, ...).

    Returns
    -------
    JoinpointFit
        As :func:`joinpoint`, with fitted values on the rate scale (per person).

    Raises
    ------
    JoinpointError
        If a year has no events (its log rate is undefined), or as :func:`joinpoint`.
    """
    x = _check_counts(counts, "counts")
    n = _check_population(population)
    if np.any(x == 0):
        raise JoinpointError(
            f"{int(np.sum(x == 0))} year(s) have no events: the log of a zero rate is "
            "undefined. Joinpoint regression suits series with events every year; use "
            "femstat.stats.fit_trend (a log-linear count model) for sparse series."
        )
    if np.any(n <= 0):
        raise JoinpointError("population must be positive in every year of a trend.")
    return joinpoint(years, x / n, weights=x, **options)  # type: ignore[arg-type]
