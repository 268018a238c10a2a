"""Every chart holds on small and odd data: it draws sensibly or says it would be empty.

Tables come from femstat's own functions on small synthetic data sets (one row, a single
year, every count withheld, columns absent from the data) and from small direct tables
(huge counts, long labels, every value missing). A chart either draws, with whole-number
ticks on its count axis and distinct year labels, or raises
:class:`femstat.plots.EmptyChartError`, the error the report turns into a sentence.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import femstat as fs
from femstat.errors import FemstatError
from femstat.plots import (
    ChartError,
    EmptyChartError,
    age_chart,
    breakdown_chart,
    completeness_chart,
    estimate_chart,
    linked_orphans_chart,
    rule_set_chart,
    trend_chart,
    typology_chart,
)

plt = pytest.importorskip("matplotlib.pyplot")

_FAST = settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _draw(make: Callable[[], Any]) -> Iterator[Any]:
    """The figure ``make`` draws, rendered (so that tick labels exist), then closed."""
    try:
        fig = make()
    except EmptyChartError as exc:
        # The documented outcome for a chart with nothing to draw: a femstat error and a
        # ValueError, with a reason the report can print.
        assert isinstance(exc, FemstatError) and isinstance(exc, ValueError)
        assert exc.reason and "would be empty" in str(exc)
        return
    try:
        fig.canvas.draw()
        yield fig
    finally:
        plt.close(fig)


def _visible_ticks(axis: Any) -> np.ndarray:
    lo, hi = sorted(axis.get_view_interval())
    ticks = np.asarray(axis.get_ticklocs(), dtype=float)
    return ticks[(ticks >= lo - 1e-9) & (ticks <= hi + 1e-9)]


def _assert_whole(axis: Any) -> None:
    ticks = _visible_ticks(axis)
    assert len(ticks) >= 1
    np.testing.assert_allclose(ticks, np.round(ticks), atol=1e-9)
    texts = [t.get_text() for t in axis.get_ticklabels() if t.get_text()]
    assert all("." not in t and "e" not in t.lower() for t in texts), texts


def _assert_years(ax: Any, years: np.ndarray) -> None:
    years = np.unique(years[np.isfinite(years)])
    lo, hi = ax.get_xlim()
    assert lo < years.min() and years.max() < hi, (lo, hi, years)
    ticks = _visible_ticks(ax.xaxis)
    texts = [t.get_text() for t in ax.get_xticklabels()]
    texts = [t for t in texts if t]
    assert len(texts) == len(set(texts)), texts
    assert len(ticks) == len(set(ticks.tolist()))
    np.testing.assert_allclose(ticks, np.round(ticks))
    if len(years) <= 15:
        # One tick per year, at the year: never piled up on one point.
        assert set(ticks.astype(int).tolist()) == set(years.astype(int).tolist())


@st.composite
def _data(draw: st.DrawFn) -> tuple[pd.DataFrame, int]:
    """A small classified data set and a suppression threshold."""
    n = draw(st.integers(1, 40))
    first = draw(st.integers(2010, 2022))
    span = draw(st.integers(0, 4))
    seed = draw(st.integers(0, 2**16))
    raw = fs.synth.generate(n, seed=seed, years=(first, first + span), female_share=0.6)
    if draw(st.booleans()):
        # Mechanism and place not recorded: validate fills them as unknown.
        raw = raw.drop(columns=["mechanism", "place"])
    typed = fs.classify(fs.validate(raw))
    min_count = draw(st.sampled_from([1, 3, 5, 10, 1000]))
    return typed, min_count


@pytest.mark.slow
@_FAST
@given(_data())
def test_indicator_charts_on_small_data(case: tuple[pd.DataFrame, int]) -> None:
    typed, min_count = case
    overall = fs.suppress(fs.indicators(typed), min_count)
    for fig in _draw(lambda: typology_chart(overall)):
        _assert_whole(fig.axes[0].xaxis)

    by_year = fs.suppress(fs.indicators(typed, by="year"), min_count)
    years = by_year["year"].to_numpy(dtype=float)
    for fig in _draw(lambda: trend_chart(by_year, value="count")):
        _assert_whole(fig.axes[0].yaxis)
        _assert_years(fig.axes[0], years)

    by_age = fs.suppress(fs.indicators(typed, by="age_group"), min_count)
    for fig in _draw(lambda: age_chart(by_age, value="count")):
        _assert_whole(fig.axes[0].yaxis)
    for fig in _draw(lambda: age_chart(by_age, value="share")):
        assert fig.axes

    by_mechanism = fs.suppress(fs.indicators(typed, by="mechanism"), min_count)
    for fig in _draw(lambda: breakdown_chart(by_mechanism, "mechanism")):
        _assert_whole(fig.axes[0].xaxis)

    completeness = fs.completeness(typed)
    for fig in _draw(lambda: completeness_chart(completeness)):
        assert fig.axes


def test_every_year_withheld_is_empty_not_stacked() -> None:
    typed = fs.classify(fs.validate(fs.synth.generate(30, seed=1, years=(2015, 2020))))
    by_year = fs.indicators(typed, by="year")
    by_year["count"] = pd.array([pd.NA] * len(by_year), dtype="Int64")
    with pytest.raises(EmptyChartError, match="withheld"):
        trend_chart(by_year, value="count")
    # With the comparison still published the chart draws, one label per year.
    only_femicide = by_year.copy()
    keep = only_femicide["femicide_type"] == "female_homicide"
    only_femicide.loc[keep, "count"] = 7
    fig = trend_chart(only_femicide, value="count")
    try:
        fig.canvas.draw()
        _assert_years(fig.axes[0], by_year["year"].to_numpy(dtype=float))
    finally:
        plt.close(fig)


def test_a_single_year_has_one_label_at_the_year() -> None:
    typed = fs.classify(fs.validate(fs.synth.generate(40, seed=2, years=(2021, 2021))))
    by_year = fs.indicators(typed, by="year")
    fig = trend_chart(by_year, value="count")
    try:
        fig.canvas.draw()
        _assert_years(fig.axes[0], np.array([2021.0]))
        _assert_whole(fig.axes[0].yaxis)
    finally:
        plt.close(fig)


def test_absent_mechanism_is_an_empty_chart() -> None:
    raw = fs.synth.generate(30, seed=4).drop(columns=["mechanism", "place"])
    table = fs.indicators(fs.classify(fs.validate(raw)), by="mechanism")
    with pytest.raises(EmptyChartError, match="known mechanism"):
        breakdown_chart(table, "mechanism")
    with pytest.raises(EmptyChartError, match="no place_group"):
        breakdown_chart(table, "place_group")


def test_age_axis_is_whole_numbers_on_few_victims() -> None:
    typed = fs.classify(fs.validate(fs.synth.generate(12, seed=5, female_share=0.9)))
    fig = age_chart(fs.indicators(typed, by="age_group"), value="count")
    try:
        fig.canvas.draw()
        _assert_whole(fig.axes[0].yaxis)
    finally:
        plt.close(fig)


_COUNT = st.one_of(
    st.none(),
    st.integers(0, 3),
    st.integers(0, 10**12),
)


def _column(values: list[int | None]) -> pd.Series:
    return pd.array(values, dtype="Int64")


@st.composite
def _estimate_table(draw: st.DrawFn) -> pd.DataFrame:
    n = draw(st.integers(0, 6))
    first = draw(st.integers(1990, 2030))
    years = list(range(first, first + n))
    est = [draw(_COUNT) for _ in years]
    return pd.DataFrame(
        {
            "year": years,
            "femicide_type": ["femicide"] * n,
            "estimate": pd.array(est, dtype="Float64"),
            "lower": pd.array([None if e is None else e * 0.9 for e in est], dtype="Float64"),
            "upper": pd.array([None if e is None else e * 1.1 for e in est], dtype="Float64"),
            "bound_lower": _column([draw(_COUNT) for _ in years]),
            "bound_upper": _column([draw(_COUNT) for _ in years]),
        }
    )


@pytest.mark.slow
@_FAST
@given(_estimate_table())
def test_estimate_chart_on_odd_tables(table: pd.DataFrame) -> None:
    for fig in _draw(lambda: estimate_chart(table)):
        _assert_whole(fig.axes[0].yaxis)
        _assert_years(fig.axes[0], table["year"].to_numpy(dtype=float))


_LONG = "a very long rule set name that goes on and on, $x$ and all " * 3


@st.composite
def _rule_set_table(draw: st.DrawFn) -> pd.DataFrame:
    names = draw(st.lists(st.sampled_from(["UN_2022", "MX", _LONG, "x_y"]), max_size=3))
    keys = [*fs.codes.FEMICIDE, "linked_victims"]  # the columns of fs.compare_rule_sets
    data: dict[str, Any] = {"rule_set": names}
    for key in [*keys, "undetermined"]:
        data[key] = _column([draw(_COUNT) for _ in names])
    return pd.DataFrame(data)


@pytest.mark.slow
@_FAST
@given(_rule_set_table())
def test_rule_set_chart_on_odd_tables(table: pd.DataFrame) -> None:
    for fig in _draw(lambda: rule_set_chart(table)):
        _assert_whole(fig.axes[0].xaxis)


@st.composite
def _linked_orphans(draw: st.DrawFn) -> tuple[pd.DataFrame | None, pd.DataFrame | None]:
    groups = draw(st.lists(st.sampled_from(["0-4", "18-29", "unknown", _LONG]), unique=True))
    linked = pd.DataFrame(
        {
            "victim_sex": ["female"] * len(groups) + ["male"] * len(groups),
            "age_group": groups * 2,
            "count": _column([draw(_COUNT) for _ in range(2 * len(groups))]),
        }
    )
    kinds = ["intimate_partner", "family_member", "femicide"]
    orphans = pd.DataFrame(
        {"femicide_type": kinds, "orphans": _column([draw(_COUNT) for _ in kinds])}
    )
    which = draw(st.sampled_from(["both", "linked", "orphans"]))
    return (
        linked if which != "orphans" else None,
        orphans if which != "linked" else None,
    )


@pytest.mark.slow
@_FAST
@given(_linked_orphans())
def test_linked_orphans_chart_on_odd_tables(
    tables: tuple[pd.DataFrame | None, pd.DataFrame | None],
) -> None:
    linked, orphans = tables
    for fig in _draw(lambda: linked_orphans_chart(linked, orphans)):
        assert 1 <= len(fig.axes) <= 2
        for ax in fig.axes:
            count_axis = ax.yaxis if "Linked" in ax.get_title(loc="left") else ax.xaxis
            _assert_whole(count_axis)


def test_huge_counts_and_long_labels_draw() -> None:
    types = list(fs.plots.IN_SCOPE_TYPES)
    table = pd.DataFrame(
        {
            "femicide_type": [*types, "female_homicide"],
            "count": _column([10**12] * len(types) + [6 * 10**12]),
            "share": [0.1] * len(types) + [1.0],
        }
    )
    fig = typology_chart(table)
    try:
        fig.canvas.draw()
        _assert_whole(fig.axes[0].xaxis)
    finally:
        plt.close(fig)
    categories = [_LONG, "firearm"]
    rows = [
        {"mechanism": c, "femicide_type": t, "count": 10**11}
        for c in categories
        for t in [*types, "female_homicide"]
    ]
    fig = breakdown_chart(pd.DataFrame(rows), "mechanism")
    try:
        fig.canvas.draw()
        _assert_whole(fig.axes[0].xaxis)
        assert all("\n" in t.get_text() for t in fig.axes[0].get_yticklabels()[:1])
    finally:
        plt.close(fig)


@pytest.mark.parametrize(
    "make",
    [
        lambda: typology_chart(pd.DataFrame({"femicide_type": [], "count": []})),
        lambda: completeness_chart(pd.DataFrame()),
        lambda: rule_set_chart(
            pd.DataFrame(
                {
                    "rule_set": ["UN_2022"],
                    **{k: [0] for k in (*fs.codes.FEMICIDE, "linked_victims", "undetermined")},
                }
            )
        ),
        lambda: linked_orphans_chart(
            None, pd.DataFrame({"femicide_type": ["femicide"], "orphans": [3]})
        ),
    ],
    ids=["no-rows", "no-completeness", "all-zero", "only-total-orphans"],
)
def test_empty_tables_raise_the_empty_error(make: Callable[[], Any]) -> None:
    with pytest.raises(EmptyChartError):
        make()


def test_a_missing_column_is_a_chart_error_not_a_key_error() -> None:
    table = pd.DataFrame({"femicide_type": ["femicide"], "year": [2020], "count": [3]})
    with pytest.raises(ChartError, match="rate"):
        trend_chart(table, value="rate")
    with pytest.raises(ChartError, match="estimate"):
        estimate_chart(table)
