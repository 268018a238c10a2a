"""Directly standardised rates against R's epitools, and their edge cases."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from femstat.errors import PopulationError
from femstat.stats import (
    DSR_METHODS,
    StandardisedRate,
    direct_standardised_rate,
    poisson_interval,
    standard_population,
)

Golden = Callable[[str], list[dict[str, str]]]
RTOL = 1e-8


@dataclass(frozen=True)
class Case:
    count: np.ndarray
    pop: np.ndarray
    std: np.ndarray


def _cases(golden: Golden) -> dict[str, Case]:
    rows = golden("ageadjust.csv")
    names = list(dict.fromkeys(r["case"] for r in rows))
    cases = {}
    for name in names:
        mine = sorted((r for r in rows if r["case"] == name), key=lambda r: int(r["band"]))
        cases[name] = Case(
            count=np.array([float(r["count"]) for r in mine]),
            pop=np.array([float(r["pop"]) for r in mine]),
            std=np.array([float(r["std"]) for r in mine]),
        )
    return cases


def test_fixture_covers_the_intended_cases(golden: Golden) -> None:
    cases = _cases(golden)
    assert {len(c.std) for c in cases.values()} == {1, 18, 19, 21}
    assert any(c.count.sum() == 0 for c in cases.values())
    assert any(c.count.sum() > 10_000 for c in cases.values())
    assert any((c.count == 0).sum() >= 15 and c.count.sum() > 0 for c in cases.values())


def test_fay_feuer_matches_epitools(golden: Golden) -> None:
    cases = _cases(golden)
    results = golden("ageadjust_result.csv")
    assert len(results) == 2 * len(cases)
    for r in results:
        case = cases[r["case"]]
        got = direct_standardised_rate(
            case.count, case.pop, case.std, level=float(r["level"]), per=1
        )
        assert_allclose(got.crude_rate, float(r["crude"]), rtol=RTOL, atol=0)
        assert_allclose(got.rate, float(r["adj"]), rtol=RTOL, atol=0)
        assert_allclose(got.upper, float(r["upper"]), rtol=RTOL, atol=0)
        if case.count.sum() == 0:
            # The documented difference: epitools' lower limit is NaN (a 0/0 gamma shape),
            # femstat's is the true limit, 0.
            assert np.isnan(float(r["lower"]))
            assert got.lower == 0.0
        else:
            assert_allclose(got.lower, float(r["lower"]), rtol=RTOL, atol=0)


@pytest.mark.parametrize("method", ["tiwari", "dobson"])
def test_tiwari_and_dobson_match_the_r_transcriptions(golden: Golden, method: str) -> None:
    cases = _cases(golden)
    rows = [r for r in golden("dsr_methods_result.csv") if r["method"] == method]
    assert len(rows) == 2 * len(cases)
    for r in rows:
        case = cases[r["case"]]
        got = direct_standardised_rate(
            case.count, case.pop, case.std, level=float(r["level"]), method=method, per=1
        )
        assert_allclose(got.lower, float(r["lower"]), rtol=RTOL, atol=0)
        assert_allclose(got.upper, float(r["upper"]), rtol=RTOL, atol=0)


@pytest.mark.parametrize("method", DSR_METHODS)
def test_many_groups_in_one_call_match_the_fixture(golden: Golden, method: str) -> None:
    # All 19-band cases stacked into one (n_groups, 19) call: the vectorised path.
    cases = {k: c for k, c in _cases(golden).items() if len(c.std) == 19}
    assert len(cases) >= 5
    std = next(iter(cases.values())).std
    assert all(np.array_equal(c.std, std) for c in cases.values())
    counts = np.stack([c.count for c in cases.values()])
    pops = np.stack([c.pop for c in cases.values()])
    got = direct_standardised_rate(counts, pops, std, method=method, per=1)
    assert got.rate.shape == (len(cases),)
    if method == "fay-feuer":
        source = golden("ageadjust_result.csv")
    else:
        source = [r for r in golden("dsr_methods_result.csv") if r["method"] == method]
    rows = {r["case"]: r for r in source if float(r["level"]) == 0.95}
    expected_upper = np.array([float(rows[name]["upper"]) for name in cases])
    assert_allclose(got.upper, expected_upper, rtol=RTOL, atol=0)


def test_per_scales_rates_and_variance() -> None:
    counts = np.array([[3, 5, 2], [0, 1, 0]])
    pop = np.array([[1e5, 2e5, 5e4], [3e4, 4e4, 1e4]])
    std = np.array([1.0, 2.0, 1.0])
    unit = direct_standardised_rate(counts, pop, std, per=1)
    per_100k = direct_standardised_rate(counts, pop, std)
    for name in ("crude_rate", "rate", "lower", "upper"):
        assert_allclose(getattr(per_100k, name), getattr(unit, name) * 1e5, rtol=1e-14)
    assert_allclose(per_100k.variance, unit.variance * 1e10, rtol=1e-14)
    assert_array_equal(per_100k.count, [10, 1])


def test_rate_and_variance_follow_the_definition() -> None:
    counts = np.array([4, 0, 9])
    pop = np.array([2e4, 1e4, 3e4])
    std = np.array([2.0, 1.0, 1.0])
    got = direct_standardised_rate(counts, pop, std, per=1)
    omega = std / std.sum()
    assert_allclose(got.rate, np.sum(omega * counts / pop), rtol=1e-14)
    assert_allclose(got.variance, np.sum(omega**2 * counts / pop**2), rtol=1e-14)
    assert_allclose(got.crude_rate, 13 / 6e4, rtol=1e-14)


@pytest.mark.parametrize("method", DSR_METHODS)
def test_zero_events_give_zero_lower_and_finite_upper(method: str) -> None:
    counts = np.zeros((3, 4))
    pop = np.array([[1e3, 2e3, 3e3, 4e3], [1e5] * 4, [10.0, 1e6, 1e6, 1e6]])
    got = direct_standardised_rate(counts, pop, [1, 1, 1, 1], method=method, per=1)
    assert_array_equal(got.rate, 0.0)
    assert_array_equal(got.lower, 0.0)
    assert np.all(np.isfinite(got.upper))
    assert np.all(got.upper > 0)
    if method != "tiwari":
        # Fay-Feuer, and Dobson by femstat's rule, give max(w) times the exact upper limit of
        # a zero count: the sparsest band drives the uncertainty.
        w_max = (0.25 / pop).max(axis=1)
        assert_allclose(got.upper, w_max * poisson_interval(0)[1], rtol=1e-12)


def test_dobson_lower_is_clipped_at_zero() -> None:
    # Very unequal weights: the rescaled exact limit of the total count goes below zero.
    got = direct_standardised_rate([1, 1], [1.0, 1000.0], [1, 1], method="dobson", per=1)
    y, v, total = got.rate, got.variance, 2.0
    raw_lower = y + np.sqrt(v / total) * (poisson_interval(total)[0] - total)
    assert raw_lower < 0
    assert got.lower == 0.0


def test_tiwari_upper_can_fall_below_the_rate() -> None:
    # The documented weakness of Tiwari's formula: with many bands, one of them almost empty
    # and without events, its upper limit can lie below the estimate (here at an 80 % level
    # with 100 single-year bands). Fay-Feuer's cannot.
    bands = 100
    pop = np.full(bands, 1e6)
    pop[0] = 1.0
    pop[1] = 1.7e6
    counts = np.zeros(bands)
    counts[1] = 1000
    std = np.ones(bands)
    tiwari = direct_standardised_rate(counts, pop, std, level=0.8, method="tiwari")
    fay = direct_standardised_rate(counts, pop, std, level=0.8)
    assert tiwari.upper < tiwari.rate
    assert fay.upper > fay.rate


def test_single_group_as_1d_gives_0d_results() -> None:
    got = direct_standardised_rate([2, 3], [1e4, 2e4], [1, 1])
    for value in (got.count, got.crude_rate, got.rate, got.lower, got.upper, got.variance):
        assert isinstance(value, np.ndarray)
        assert value.shape == ()
    both = direct_standardised_rate([[2, 3], [2, 3]], [[1e4, 2e4]] * 2, [1, 1])
    assert_allclose(both.upper, [got.upper, got.upper], rtol=1e-14)


def test_standard_population_object_is_accepted() -> None:
    esp = standard_population("esp2013")
    counts = np.arange(19) % 4
    pop = np.full(19, 1e5)
    from_object = direct_standardised_rate(counts, pop, esp)
    from_array = direct_standardised_rate(counts, pop, np.array(esp.weights))
    assert_array_equal(from_object.rate, from_array.rate)
    assert_array_equal(from_object.upper, from_array.upper)


def test_results_are_read_only() -> None:
    got = direct_standardised_rate([2, 3], [1e4, 2e4], [1, 1])
    assert isinstance(got, StandardisedRate)
    with pytest.raises(ValueError, match="read-only"):
        got.rate[...] = 0.0


def test_zero_standard_weight_band_without_population_is_ignored() -> None:
    with_band = direct_standardised_rate([2, 0, 3], [1e4, 0.0, 2e4], [1, 0, 1], per=1)
    without = direct_standardised_rate([2, 3], [1e4, 2e4], [1, 1], per=1)
    assert_allclose(with_band.rate, without.rate, rtol=1e-14)
    assert_allclose(with_band.upper, without.upper, rtol=1e-14)


# --- errors -----------------------------------------------------------------------------------


def test_events_in_a_band_without_population_raise() -> None:
    with pytest.raises(PopulationError, match=r"zero population.*\(group 1, band 2\)"):
        direct_standardised_rate([[1, 1, 1], [1, 1, 1]], [[5, 5, 5], [5, 5, 0]], [1, 1, 1])


def test_empty_band_with_positive_weight_raises() -> None:
    # No events and no population: the standard weights a rate that cannot be estimated.
    with pytest.raises(PopulationError, match=r"positive standard weight.*\(group 0, band 1\)"):
        direct_standardised_rate([3, 0, 2], [100, 0, 100], [1, 1, 1])


def test_population_error_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        direct_standardised_rate([3, 0, 2], [100, 0, 100], [1, 1, 1])


def test_negative_population_raises() -> None:
    with pytest.raises(PopulationError, match="non-negative"):
        direct_standardised_rate([3, 2], [100, -5], [1, 1])


def test_missing_population_raises() -> None:
    with pytest.raises(PopulationError, match="missing"):
        direct_standardised_rate([3, 2], [100, np.nan], [1, 1])


@pytest.mark.parametrize(
    ("counts", "pop", "std", "shapes"),
    [
        (np.ones((2, 3)), np.ones((2, 4)), np.ones(3), r"\(2, 3\).*\(2, 4\).*\(3,\)"),
        (np.ones((2, 3)), np.ones((2, 3)), np.ones(4), r"\(2, 3\).*\(2, 3\).*\(4,\)"),
        (np.ones(3), np.ones(3), np.ones((1, 3)), r"\(3,\).*\(3,\).*\(1, 3\)"),
        (np.ones((2, 2, 3)), np.ones((2, 2, 3)), np.ones(3), r"\(2, 2, 3\)"),
    ],
)
def test_shape_mismatch_names_the_shapes(
    counts: np.ndarray, pop: np.ndarray, std: np.ndarray, shapes: str
) -> None:
    with pytest.raises(ValueError, match=shapes):
        direct_standardised_rate(counts, pop, std)


@pytest.mark.parametrize("std", [[1, -1, 1], [0, 0, 0]])
def test_invalid_standard_weights_raise(std: list[float]) -> None:
    with pytest.raises(ValueError, match="standard weights"):
        direct_standardised_rate([1, 1, 1], [10, 10, 10], std)


def test_invalid_counts_raise() -> None:
    with pytest.raises(ValueError, match="whole numbers"):
        direct_standardised_rate([1.5, 1], [10, 10], [1, 1])
    with pytest.raises(ValueError, match="non-negative"):
        direct_standardised_rate([-1, 1], [10, 10], [1, 1])


def test_invalid_method_level_and_per_raise() -> None:
    with pytest.raises(ValueError, match="'fay-feuer', 'tiwari', 'dobson'"):
        direct_standardised_rate([1, 1], [10, 10], [1, 1], method="normal")
    with pytest.raises(ValueError, match="between 0 and 1"):
        direct_standardised_rate([1, 1], [10, 10], [1, 1], level=95)
    with pytest.raises(ValueError, match="per must be a positive number"):
        direct_standardised_rate([1, 1], [10, 10], [1, 1], per=0)
