"""Poisson and binomial intervals against R, and their argument checks."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from femstat.stats import BINOMIAL_METHODS, POISSON_METHODS, binomial_interval, poisson_interval

Golden = Callable[[str], list[dict[str, str]]]
RTOL = 1e-8


def _columns(rows: list[dict[str, str]], *names: str) -> list[np.ndarray]:
    return [np.array([float(r[n]) for r in rows]) for n in names]


# --- Poisson against R ------------------------------------------------------------------------


def test_exact_poisson_matches_r_poisson_test(golden: Golden) -> None:
    rows = golden("poisson_exact.csv")
    count, level, lower, upper = _columns(rows, "count", "level", "lower", "upper")
    assert {0.0, 1.0, 12345.0} <= set(count)
    for lev in np.unique(level):
        at = level == lev
        got_lower, got_upper = poisson_interval(count[at], level=float(lev))
        assert_allclose(got_lower, lower[at], rtol=RTOL, atol=0)
        assert_allclose(got_upper, upper[at], rtol=RTOL, atol=0)


def test_exact_poisson_zero_count_lower_is_exactly_zero(golden: Golden) -> None:
    rows = [r for r in golden("poisson_exact.csv") if r["count"] == "0"]
    assert rows
    for r in rows:
        lower, upper = poisson_interval(0, level=float(r["level"]))
        assert lower == 0.0
        # R gives -log(alpha/2) here: the upper limit for no events.
        assert_allclose(upper, float(r["upper"]), rtol=RTOL)


def test_byar_matches_r_transcription(golden: Golden) -> None:
    rows = golden("poisson_byar.csv")
    count, level, lower, upper = _columns(rows, "count", "level", "lower", "upper")
    for lev in np.unique(level):
        at = level == lev
        got_lower, got_upper = poisson_interval(count[at], level=float(lev), method="byar")
        assert_allclose(got_lower, lower[at], rtol=RTOL, atol=0)
        assert_allclose(got_upper, upper[at], rtol=RTOL, atol=0)


def test_byar_lower_never_negative() -> None:
    # At count 1 and a 99.8 % level the cube in Byar's formula is of a negative number.
    lower, _ = poisson_interval([1, 2], level=0.998, method="byar")
    assert_array_equal(lower, [0.0, lower[1]])
    assert lower[1] > 0


def test_poisson_keeps_shape_and_broadcasts_scalars() -> None:
    counts = np.arange(12).reshape(3, 4)
    lower, upper = poisson_interval(counts)
    assert lower.shape == upper.shape == (3, 4)
    lower0, upper0 = poisson_interval(7)
    assert lower0.shape == upper0.shape == ()
    assert_allclose(lower0, lower[1, 3])
    assert_allclose(upper0, upper[1, 3])


def test_poisson_accepts_integer_valued_floats() -> None:
    assert_array_equal(poisson_interval([3.0])[0], poisson_interval([3])[0])


# --- binomial against R -----------------------------------------------------------------------


def test_clopper_pearson_matches_r_binom_test(golden: Golden) -> None:
    rows = golden("binom.csv")
    k, n, level, lower, upper = _columns(
        rows, "successes", "trials", "level", "cp_lower", "cp_upper"
    )
    for lev in np.unique(level):
        at = level == lev
        got = binomial_interval(k[at], n[at], level=float(lev), method="clopper-pearson")
        assert_allclose(got[0], lower[at], rtol=RTOL, atol=0)
        assert_allclose(got[1], upper[at], rtol=RTOL, atol=0)


def test_wilson_matches_r_prop_test(golden: Golden) -> None:
    rows = golden("binom.csv")
    k, n, level, lower, upper = _columns(
        rows, "successes", "trials", "level", "wilson_lower", "wilson_upper"
    )
    for lev in np.unique(level):
        at = level == lev
        got = binomial_interval(k[at], n[at], level=float(lev))
        assert_allclose(got[0], lower[at], rtol=RTOL, atol=0)
        assert_allclose(got[1], upper[at], rtol=RTOL, atol=0)


@pytest.mark.parametrize("method", BINOMIAL_METHODS)
def test_binomial_extremes_are_exact(method: str) -> None:
    lower, upper = binomial_interval([0, 7], [7, 7], method=method)
    assert lower[0] == 0.0
    assert upper[1] == 1.0
    assert 0 < upper[0] < 1
    assert 0 < lower[1] < 1


@pytest.mark.parametrize("method", BINOMIAL_METHODS)
def test_binomial_without_trials_is_nan(method: str) -> None:
    lower, upper = binomial_interval([0, 3], [0, 10], method=method)
    assert np.isnan(lower[0])
    assert np.isnan(upper[0])
    assert np.isfinite(lower[1])
    assert np.isfinite(upper[1])


def test_binomial_broadcasts_successes_against_trials() -> None:
    lower, upper = binomial_interval([[1], [2]], [10, 20, 30])
    assert lower.shape == upper.shape == (2, 3)
    assert_allclose(lower[1, 2], binomial_interval(2, 30)[0])


# --- argument checks --------------------------------------------------------------------------


@pytest.mark.parametrize("level", [0, 1, 1.5, -0.1, 95, float("nan")])
def test_level_out_of_range_is_rejected(level: float) -> None:
    with pytest.raises(ValueError, match="between 0 and 1"):
        poisson_interval(3, level=level)
    with pytest.raises(ValueError, match="between 0 and 1"):
        binomial_interval(3, 10, level=level)


@pytest.mark.parametrize("level", ["0.95", None, True, [0.95]])
def test_level_of_the_wrong_type_is_rejected(level: object) -> None:
    with pytest.raises(TypeError, match="level"):
        poisson_interval(3, level=level)  # type: ignore[arg-type]


def test_unknown_method_lists_the_valid_ones() -> None:
    with pytest.raises(ValueError, match="'exact', 'byar'") as info:
        poisson_interval(3, method="wald")
    assert "wald" in str(info.value)
    with pytest.raises(ValueError, match="'wilson', 'clopper-pearson'"):
        binomial_interval(3, 10, method="agresti-coull")
    assert POISSON_METHODS == ("exact", "byar", "mid-p", "jeffreys")
    assert BINOMIAL_METHODS == ("wilson", "clopper-pearson", "jeffreys", "mid-p")


@pytest.mark.parametrize("bad", [[1, -1], [-3]])
def test_negative_counts_are_rejected(bad: list[int]) -> None:
    with pytest.raises(ValueError, match="non-negative"):
        poisson_interval(bad)
    with pytest.raises(ValueError, match="non-negative"):
        binomial_interval(bad, 10)


def test_non_integer_counts_are_rejected_with_the_value() -> None:
    with pytest.raises(ValueError, match=r"whole numbers.*2\.5"):
        poisson_interval([1, 2.5])
    with pytest.raises(ValueError, match="trials must hold whole numbers"):
        binomial_interval(1, 10.5)


def test_missing_counts_are_rejected() -> None:
    with pytest.raises(ValueError, match="missing"):
        poisson_interval([1.0, np.nan])


def test_non_numeric_counts_are_rejected() -> None:
    with pytest.raises(TypeError, match="count must be numeric"):
        poisson_interval(["three"])


def test_successes_above_trials_are_rejected() -> None:
    with pytest.raises(ValueError, match="exceed trials"):
        binomial_interval([5, 11], [10, 10])


def test_unbroadcastable_shapes_are_named() -> None:
    with pytest.raises(ValueError, match=r"\(2,\) and \(3,\)"):
        binomial_interval([1, 2], [3, 4, 5])
