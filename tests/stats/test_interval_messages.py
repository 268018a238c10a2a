"""Interval functions: full error messages, and no numpy warnings at the edges.

Written after a mutation-testing run of ``femstat.stats.intervals``
(docs/mutation-testing.md): its survivors were message texts that no test read in full,
and ``np.errstate`` guards whose removal no test noticed.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from femstat.stats import binomial_interval, poisson_interval


def test_level_of_the_wrong_type_names_the_type_and_the_fix() -> None:
    with pytest.raises(TypeError) as info:
        poisson_interval([3], level="0.95")  # type: ignore[arg-type]
    assert str(info.value).endswith("of type str. Pass e.g. level=0.95 for a 95% interval.")


def test_level_out_of_range_says_what_to_pass() -> None:
    with pytest.raises(ValueError) as info:
        poisson_interval([3], level=95)
    assert str(info.value).endswith("Pass e.g. level=0.95 for a 95% interval (not 95).")


@pytest.mark.parametrize(
    ("call", "function"),
    [
        (lambda: poisson_interval([3], method="wald"), "poisson_interval"),
        (lambda: binomial_interval([3], [5], method="wald"), "binomial_interval"),
    ],
)
def test_unknown_method_names_the_function(call, function: str) -> None:
    with pytest.raises(ValueError, match=f"unknown method 'wald' for {function}\\. "):
        call()


def test_count_errors_name_the_argument_and_the_fix() -> None:
    with pytest.raises(ValueError) as info:
        binomial_interval([2.5], [5])
    assert str(info.value) == (
        "successes must hold whole numbers (counts of events), got 2.5. "
        "Pass the number of events, not a rate or an estimate."
    )
    with pytest.raises(ValueError, match=r"^successes must be non-negative"):
        binomial_interval([-1], [5])


def test_shape_and_subset_errors_say_what_to_do() -> None:
    with pytest.raises(ValueError) as info:
        binomial_interval([1, 2], [3, 4, 5])
    assert str(info.value).endswith(
        "which do not broadcast. Pass arrays of the same shape (one entry per group)."
    )
    with pytest.raises(ValueError) as info:
        binomial_interval([6], [5])
    assert str(info.value) == (
        "successes exceed trials in some entries (a share above 1). "
        "Check that the numerator is a subset of the denominator."
    )


@pytest.mark.parametrize("method", ["wilson", "clopper-pearson"])
def test_binomial_edges_raise_no_numpy_warning(method: str) -> None:
    k = np.array([0, 0, 3, 5, 0, 7])
    n = np.array([0, 5, 5, 5, 1, 7])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(all="warn"):  # whatever the caller's numpy settings
            lower, upper = binomial_interval(k, n, method=method)
    assert np.isnan(lower[0]) and np.isnan(upper[0])
    assert lower[1] == 0.0 and upper[3] == 1.0
    assert lower.dtype == upper.dtype == np.float64


@pytest.mark.parametrize("method", ["exact", "byar"])
def test_poisson_edges_raise_no_numpy_warning(method: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(all="warn"):
            lower, upper = poisson_interval(np.array([0, 1, 2, 50]), method=method)
    assert lower[0] == 0.0 and upper[0] > 0
    assert lower.dtype == upper.dtype == np.float64
