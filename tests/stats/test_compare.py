"""Rate ratios, ratios of standardised rates and share differences against R."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from femstat.errors import PopulationError
from femstat.stats import rate_ratio, share_difference, standardised_rate_ratio
from femstat.stats.standardise import direct_standardised_rate

Golden = Callable[[str], list[dict[str, str]]]


def _f(row: dict[str, str], *names: str) -> list[float]:
    return [float(row[n]) for n in names]


def test_rate_ratio_matches_r_poisson_test(golden: Golden) -> None:
    rows = golden("rate_ratio.csv")
    assert len(rows) >= 30
    for r in rows:
        x1, t1, x2, t2, level = _f(r, "x1", "t1", "x2", "t2", "level")
        got = rate_ratio(x1, t1, x2, t2, level=level)
        expected = _f(r, "ratio", "lower", "upper", "p_value")
        assert_allclose(
            [got.estimate, got.lower, got.upper, got.p_value], expected, rtol=1e-10, atol=0
        )


def test_rate_ratio_is_vectorised_and_broadcasts(golden: Golden) -> None:
    rows = [r for r in golden("rate_ratio.csv") if r["level"].startswith("0.94")]
    x1, t1, x2, t2 = (np.array([float(r[n]) for r in rows]) for n in ("x1", "t1", "x2", "t2"))
    got = rate_ratio(x1, t1, x2, t2)
    assert_allclose(got.p_value, [float(r["p_value"]) for r in rows], rtol=1e-10)
    one_reference = rate_ratio([3, 5, 9], 1e5, 7, 1e5)
    assert one_reference.estimate.shape == (3,)
    assert_allclose(one_reference.estimate, [3 / 7, 5 / 7, 9 / 7])


def test_rate_ratio_without_events_is_nan_with_the_whole_range() -> None:
    got = rate_ratio(0, 1e5, 0, 2e5)
    assert np.isnan(got.estimate) and got.lower == 0 and got.upper == np.inf
    assert got.p_value == 1.0


def test_rate_ratio_rejects_bad_input() -> None:
    with pytest.raises(PopulationError):
        rate_ratio(3, 0, 4, 1e5)
    with pytest.raises(ValueError, match="whole numbers"):
        rate_ratio(3.5, 1e5, 4, 1e5)
    with pytest.raises(ValueError, match="do not broadcast"):
        rate_ratio([1, 2, 3], [1e5, 1e5], 4, 1e5)


@given(st.integers(0, 400), st.integers(0, 400), st.floats(1e3, 1e8), st.floats(1e3, 1e8))
def test_rate_ratio_swaps_to_its_inverse(x1: int, x2: int, t1: float, t2: float) -> None:
    forward = rate_ratio(x1, t1, x2, t2)
    backward = rate_ratio(x2, t2, x1, t1)
    assert_allclose(forward.p_value, backward.p_value, rtol=1e-9)
    with np.errstate(divide="ignore"):
        assert_allclose(forward.lower, 1 / backward.upper, rtol=1e-9)
    assert 0 <= forward.p_value <= 1
    assert forward.lower <= forward.upper


@pytest.mark.parametrize("method", ["fay-feuer", "tiwari"])
def test_standardised_rate_ratio_matches_r_transcription(golden: Golden, method: str) -> None:
    inputs = golden("dsr_ratio.csv")
    results = [r for r in golden("dsr_ratio_result.csv") if r["method"] == method]
    assert results
    for r in results:
        rows = [i for i in inputs if i["case"] == r["case"]]
        c1, p1, c2, p2, std = (
            np.array([float(i[n]) for i in rows])
            for n in ("count1", "pop1", "count2", "pop2", "std")
        )
        got = standardised_rate_ratio(c1, p1, c2, p2, std, level=float(r["level"]), method=method)
        assert_allclose(
            [got.estimate, got.lower, got.upper], _f(r, "ratio", "lower", "upper"), rtol=1e-8
        )


def test_standardised_ratio_with_an_exact_reference_is_the_gamma_interval() -> None:
    # A reference so large that its rate is known: the ratio interval becomes Fay & Feuer's
    # interval of the compared rate divided by the reference rate.
    counts = np.array([0, 2, 5, 9, 4, 1])
    pop = np.array([5e4, 6e4, 7e4, 6e4, 4e4, 2e4])
    ref_pop = pop * 1e6
    ref_counts = np.round(ref_pop * 2e-5)
    std = np.array([10, 12, 15, 14, 9, 5])
    got = standardised_rate_ratio(counts, pop, ref_counts, ref_pop, std)
    rate = direct_standardised_rate(counts, pop, std, per=1.0)
    ref = direct_standardised_rate(ref_counts, ref_pop, std, per=1.0)
    assert_allclose(got.lower, rate.lower / ref.rate, rtol=1e-3)
    assert_allclose(got.upper, rate.upper / ref.rate, rtol=1e-3)


def test_standardised_ratio_edges() -> None:
    std = np.array([1.0, 1.0])
    none = standardised_rate_ratio([0, 0], [1e4, 1e4], [3, 4], [1e4, 1e4], std)
    assert none.estimate == 0 and none.lower == 0 and np.isfinite(none.upper)
    no_reference = standardised_rate_ratio([3, 4], [1e4, 1e4], [0, 0], [1e4, 1e4], std)
    assert no_reference.estimate == np.inf and no_reference.upper == np.inf
    assert no_reference.lower > 0
    with pytest.raises(ValueError, match="unknown method 'dobson'"):
        standardised_rate_ratio([3, 4], [1e4, 1e4], [3, 4], [1e4, 1e4], std, method="dobson")


def test_share_difference_matches_r_transcription(golden: Golden) -> None:
    rows = golden("share_difference.csv")
    for r in rows:
        k1, n1, k2, n2, level = _f(r, "k1", "n1", "k2", "n2", "level")
        got = share_difference(k1, n1, k2, n2, level=level)
        expected = _f(r, "difference", "lower", "upper")
        assert_allclose([got.estimate, got.lower, got.upper], expected, rtol=1e-9, atol=1e-15)
        assert np.isnan(got.p_value)


def test_share_difference_of_an_empty_group_is_nan() -> None:
    got = share_difference([0, 3], [0, 10], [4, 4], [10, 10])
    assert np.isnan(got.estimate[0]) and np.isnan(got.lower[0]) and np.isnan(got.upper[0])
    assert -1 <= got.lower[1] < got.estimate[1] < got.upper[1] <= 1
