"""Charts never show what the tables withhold."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import femstat as fs
from femstat.plots import breakdown_chart, trend_chart
from femstat.report import population_for

pytest.importorskip("matplotlib")


@pytest.fixture(scope="module")
def typed() -> pd.DataFrame:
    data = fs.datasets.example_victims()
    return fs.classify(fs.validate(data[data["area"] == "R12"]))


def _texts(fig: object) -> list[str]:
    return [t.get_text() for ax in fig.axes for t in ax.texts]  # type: ignore[attr-defined]


def test_no_total_beside_a_withheld_segment(typed: pd.DataFrame) -> None:
    table = fs.protect({"t": fs.indicators(typed, by="mechanism")})["t"]
    fig = breakdown_chart(table, "mechanism")
    hidden = {
        str(m)
        for m, rows in table.groupby("mechanism", observed=True)
        if rows.loc[rows["femicide_type"].isin(fs.plots.IN_SCOPE_TYPES), "count"].isna().any()
    }
    assert hidden, "the example area should withhold a segment"
    totals = table[table["femicide_type"] == "female_homicide"].set_index("mechanism")["count"]
    labels = [t for t in _texts(fig) if t.startswith("n = ")]
    categories = list(dict.fromkeys(table["mechanism"].astype(str)))
    assert len(labels) == len(categories)
    for category, text in zip(categories, labels, strict=True):
        total = totals.loc[category]
        if category in hidden or pd.isna(total):
            assert text == "n = [c]", category
        else:
            assert text == f"n = {int(total):,}", category


def test_a_withheld_year_is_a_gap_not_a_point(typed: pd.DataFrame) -> None:
    population = population_for(fs.datasets.example_population(), ["year", "area"])
    assert population is not None
    population = population[population["area"] == "R12"].drop(columns="area")
    by_year = fs.protect({"t": fs.indicators(typed, by="year", population=population)})["t"]
    femicide = by_year[by_year["femicide_type"] == "femicide"].sort_values("year")
    assert femicide["count"].isna().any(), "the example area should withhold a year"
    fig = trend_chart(by_year)
    ax = fig.axes[0]
    line = next(ln for ln in ax.lines if ln.get_label().startswith("Femicide (identified)"))
    y = np.asarray(line.get_ydata(), dtype=float)
    assert np.isnan(y[femicide["count"].isna().to_numpy()]).all()
    assert np.isfinite(y[femicide["count"].notna().to_numpy()]).all()
    # The band has no value at a withheld year either; the year is marked [c].
    band = ax.collections[0].get_paths()[0].vertices
    withheld_years = femicide.loc[femicide["count"].isna(), "year"].astype(float)
    assert not np.isin(band[:, 0], withheld_years.to_numpy()).any()
    assert _texts(fig).count("[c]") == len(withheld_years)


def test_a_withheld_estimate_is_a_gap(typed: pd.DataFrame) -> None:
    from femstat.plots import estimate_chart

    table = fs.estimate(typed, by="year", m=3, seed=1, progress=False)
    femicide = table["femicide_type"] == "femicide"
    withheld_year = int(table.loc[femicide, "year"].iloc[2])
    hidden = femicide & (table["year"] == withheld_year)
    columns = ["bound_lower", "bound_upper", "estimate", "lower", "upper"]
    table[columns] = table[columns].astype("float64")
    table.loc[hidden, columns] = np.nan
    fig = estimate_chart(table)
    ax = fig.axes[0]
    checked = 0
    for line in ax.lines:
        x = np.asarray(line.get_xdata(), dtype=float)
        y = np.asarray(line.get_ydata(), dtype=float)
        if len(x) == int(femicide.sum()):
            assert np.isnan(y[x == withheld_year]).all(), line.get_label()
            assert np.isfinite(y[x != withheld_year]).all(), line.get_label()
            checked += 1
    assert checked >= 3  # both bounds, the estimate (and its interval caps)
    assert _texts(fig).count("[c]") == 1
