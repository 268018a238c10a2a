r"""Multinomial and binary logistic models fitted to a cube, and "proper" draws from them.

The models behind :func:`femstat.estimate` are fitted to *aggregated* data: one row per
covariate pattern, with the number of records of each outcome in that pattern (frequency
weights). The likelihood of the cube is the likelihood of the records, so the fit is the
same as on the records, but its cost grows with the number of patterns, not of records,
and cubes of parts of the data add up, as femstat's count cubes do over chunks and
partitions.

Why a hand-written Newton-Raphson: statsmodels' ``MNLogit`` has no frequency weights, and
scikit-learn's logistic regression is always penalised and returns no covariance matrix,
which proper imputation needs. The multinomial log-likelihood is concave, its gradient and
Hessian are closed-form, and a dozen Newton steps on a few hundred patterns take
milliseconds. The binary model is the two-category case of the same code; the tests check
it against statsmodels' ``GLM(family=Binomial(), freq_weights=...)`` and both against R
(``glm`` and ``nnet::multinom``).

Sparse cells. With few records a covariate level can predict an outcome perfectly
(separation): the maximum-likelihood estimate is infinite and its covariance useless. The
fit is first tried without penalty; if Newton-Raphson does not converge, a coefficient
runs beyond :data:`SEPARATION_LIMIT` on the log-odds scale, or the information matrix is
singular, it is refitted with a ridge penalty :math:`\tfrac{\rho}{2}\lVert\beta\rVert^2`
on every coefficient but the intercept (the first column of the design; :data:`FALLBACK_RIDGE`,
a normal prior with variance :math:`1/\rho` on each log odds ratio) and :attr:`Fit.ridge`
records it. The intercept is left free: shrinking it would pull every probability towards
:math:`1/K`, a bias for rare outcomes such as most criteria. An outcome category never
observed is left out of the model: it has probability zero and is never imputed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import sparse
from scipy.linalg import lapack

__all__ = [
    "FALLBACK_RIDGE",
    "SEPARATION_LIMIT",
    "Fit",
    "draw_categories",
    "draw_coefficients",
    "fit",
    "probabilities",
]

FloatArray = npt.NDArray[np.float64]

SEPARATION_LIMIT = 15.0
"""A log-odds coefficient beyond this (odds ratio above three million) is taken as a sign of
separation, and the model is refitted with :data:`FALLBACK_RIDGE`."""

FALLBACK_RIDGE = 1.0
"""The ridge penalty of the fallback fit: a standard normal prior on each log odds ratio
(not the intercept), weak beside data of more than a handful of records per level."""

_MAX_ITER = 100
_TOL = 1e-10


@dataclass(frozen=True)
class Fit:
    """A fitted multinomial logistic model (binary: two categories).

    Attributes
    ----------
    coef : numpy.ndarray, shape (d, K)
        Coefficients per outcome category; the reference category (``reference``) has
        zeros. Columns of categories never observed are zeros too and never used.
    cov : numpy.ndarray, shape (d * F, d * F)
        Covariance of the free coefficients (the columns in ``free``, each a block of
        ``d``), the inverse of the (penalised) information matrix.
    free : numpy.ndarray of int
        Categories with their own coefficients: observed ones except the reference.
    observed : numpy.ndarray of bool
        Which of the K categories occur in the data at all.
    reference : int
        The reference category (the most frequent).
    ridge : float
        Penalty used: 0 unless the unpenalised fit failed (see the module notes).
    converged : bool
    iterations : int
    loglik : float
        The (unpenalised) log-likelihood at the estimate, without the multinomial
        constant.
    factor : numpy.ndarray or None
        A square root of ``cov`` (its Cholesky factor), for :func:`draw_coefficients`.
    """

    coef: FloatArray
    cov: FloatArray
    free: npt.NDArray[np.int64]
    observed: npt.NDArray[np.bool_]
    reference: int
    ridge: float
    converged: bool
    iterations: int
    loglik: float
    factor: FloatArray | None = None


def _softmax(eta: FloatArray) -> FloatArray:
    eta = eta - eta.max(axis=1, keepdims=True)
    np.exp(eta, out=eta)
    eta /= eta.sum(axis=1, keepdims=True)
    return eta


def _inverse(matrix: FloatArray) -> tuple[FloatArray, bool]:
    """Inverse of a symmetric positive definite matrix by Cholesky; (nan, True) if not one."""
    factor, failed = lapack.dpotrf(matrix, lower=1)
    if failed:
        return np.full_like(matrix, np.nan), True
    inverse, failed = lapack.dpotri(factor, lower=1)
    if failed:
        return np.full_like(matrix, np.nan), True
    lower = np.tril(inverse)
    return np.asarray(lower + np.tril(lower, -1).T, dtype=np.float64), False


def _newton(
    x: sparse.csr_matrix, y: FloatArray, n_free: int, ridge: float
) -> tuple[FloatArray, FloatArray, bool, int]:
    """Newton-Raphson for the free coefficients; y has the reference in column 0.

    ``x`` is sparse (dummies are mostly zeros): its products need no multi-threaded BLAS,
    which on a busy machine costs more in thread contention than it saves.
    """
    p, d = x.shape
    xt = x.T.tocsr()
    total = y.sum(axis=1)
    beta = np.zeros((d, n_free))
    # The intercept (column 0) is not penalised: shrinking it would pull every probability
    # towards 1/K, a bias for rare outcomes such as most criteria.
    weights = np.ones(d)
    weights[0] = 0.0
    scale = np.tile(ridge * weights, n_free)
    penalty = np.diag(scale)
    converged = False
    info = penalty
    it = 0
    for it in range(1, _MAX_ITER + 1):
        eta = np.concatenate([np.zeros((p, 1)), x @ beta], axis=1)
        prob = _softmax(eta)[:, 1:]
        gradient = (xt @ (y[:, 1:] - total[:, None] * prob)).T.ravel() - scale * beta.T.ravel()
        info = penalty.copy()
        for k in range(n_free):
            for j in range(k, n_free):
                w = total * prob[:, k] * ((k == j) - prob[:, j])
                block = (xt.multiply(w) @ x).toarray()
                info[k * d : (k + 1) * d, j * d : (j + 1) * d] += block
                if j != k:
                    info[j * d : (j + 1) * d, k * d : (k + 1) * d] += block.T
        # Cholesky (LAPACK posv): the information matrix is positive definite when the fit
        # is well posed, and a failure says it is not.
        _, step, failed = lapack.dposv(info, gradient)
        if failed or not np.all(np.isfinite(step)):
            return beta, info, False, it
        beta = beta + step.reshape(n_free, d).T
        if np.max(np.abs(beta)) > SEPARATION_LIMIT:
            # Heading for infinity (separation): give up now rather than after _MAX_ITER.
            return beta, info, False, it
        if np.max(np.abs(step)) < _TOL * (1.0 + np.max(np.abs(beta))):
            converged = True
            break
    return beta, info, converged, it


def fit(x: npt.ArrayLike | sparse.spmatrix, y: npt.ArrayLike, *, ridge: float | None = None) -> Fit:
    """Fit a multinomial logistic model to a cube by (penalised) Newton-Raphson.

    Parameters
    ----------
    x : array_like, shape (p, d)
        The design matrix of the ``p`` covariate patterns (an intercept column and dummies).
    y : array_like, shape (p, K)
        Number of records of each outcome category in each pattern (frequency weights).
    ridge : float, optional
        Force this penalty; by default 0, and :data:`FALLBACK_RIDGE` if the unpenalised fit
        fails (see the module notes).

    Returns
    -------
    Fit
    """
    x = sparse.csr_matrix(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if x.ndim != 2 or y.ndim != 2 or x.shape[0] != y.shape[0]:
        raise ValueError(f"x (p, d) and y (p, K) must have the same rows: {x.shape}, {y.shape}")
    k_all = y.shape[1]
    totals = y.sum(axis=0)
    observed = totals > 0
    if not observed.any():
        raise ValueError("no record with a known outcome: nothing to fit")
    reference = int(np.argmax(totals))
    free = np.array([k for k in range(k_all) if observed[k] and k != reference], dtype=np.int64)
    keep = y.sum(axis=1) > 0
    x_fit, y_fit = x[np.flatnonzero(keep)], y[keep][:, [reference, *free.tolist()]]
    d = x.shape[1]
    tries = [0.0, FALLBACK_RIDGE] if ridge is None else [float(ridge)]
    beta: FloatArray = np.zeros((d, 0))
    cov: FloatArray = np.zeros((0, 0))
    penalty, converged, iterations = 0.0, True, 0
    # With one category observed its probability is 1: there is nothing to fit.
    for penalty in tries if len(free) else []:
        beta, info, converged, iterations = _newton(x_fit, y_fit, len(free), penalty)
        good = converged and bool(np.all(np.abs(beta) <= SEPARATION_LIMIT))
        cov, failed = _inverse(info)
        good = good and not failed and bool(np.all(np.isfinite(cov)) and np.all(np.diag(cov) > 0))
        if good:
            break
    coef = np.zeros((d, k_all))
    coef[:, free] = beta
    eta = x_fit @ coef[:, [reference, *free.tolist()]]
    logp = eta - eta.max(axis=1, keepdims=True)
    logp -= np.log(np.exp(logp).sum(axis=1, keepdims=True))
    loglik = float((y_fit * logp).sum())
    cov = (cov + cov.T) / 2.0 if cov.size else cov
    return Fit(
        coef, cov, free, observed, reference, penalty, converged, iterations, loglik, _root(cov)
    )


def _root(cov: FloatArray) -> FloatArray:
    """Cholesky factor of a covariance; by eigenvalues if it is nearly singular."""
    if not cov.size:
        return cov
    factor, failed = lapack.dpotrf(cov, lower=1)
    if not failed:
        return np.asarray(np.tril(factor), dtype=np.float64)
    values, vectors = np.linalg.eigh(cov)
    return np.asarray(vectors * np.sqrt(np.clip(values, 0.0, None)), dtype=np.float64)


def draw_coefficients(model: Fit, rng: np.random.Generator) -> FloatArray:
    r"""One draw of the coefficients from their approximate posterior, :math:`N(\hat\beta, V)`.

    This is what makes an imputation "proper" (Rubin 1987; van Buuren 2018): each
    imputation uses its own parameters, so the spread of the
    imputations includes the uncertainty of the model, not only of the values.
    """
    coef = model.coef.copy()
    if len(model.free):
        d = coef.shape[0]
        mean = coef[:, model.free].T.ravel()
        factor = model.factor if model.factor is not None else _root(model.cov)
        draw = mean + factor @ rng.standard_normal(len(mean))
        coef[:, model.free] = draw.reshape(len(model.free), d).T
    return coef


def probabilities(
    model: Fit,
    x: Any,
    coef: FloatArray | None = None,
    offset: npt.ArrayLike = 0.0,
) -> FloatArray:
    """Probability of each category for each row of ``x`` (categories never seen: 0).

    ``offset`` (broadcast to shape (p, K)) is added to the linear predictors: the delta
    adjustment of the sensitivity analysis.
    """
    if not sparse.issparse(x):
        x = np.asarray(x, dtype=np.float64)
    coef = model.coef if coef is None else coef
    eta = np.asarray(x @ coef) + np.asarray(offset, dtype=np.float64)
    eta = np.where(model.observed, eta, -np.inf)
    return _softmax(eta)


def draw_categories(prob: FloatArray, rng: np.random.Generator) -> npt.NDArray[np.int64]:
    """One category per row of ``prob`` (each row sums to 1), by inverse transform."""
    cumulative = np.cumsum(prob, axis=1)
    u = rng.random(prob.shape[0]) * cumulative[:, -1]
    return (u[:, None] >= cumulative[:, :-1]).sum(axis=1).astype(np.int64)
