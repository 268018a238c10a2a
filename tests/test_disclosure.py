"""Suppression: idempotent, on every table femstat makes, hiding what reveals a hidden count."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import femstat as fs
from femstat.disclosure import DisclosureError, table_kind
from femstat.report import population_for

MIN_COUNT = 5


@pytest.fixture(scope="module")
def typed() -> pd.DataFrame:
    return fs.classify(fs.validate(fs.datasets.example_victims()))


@pytest.fixture(scope="module")
def population() -> pd.DataFrame:
    return fs.datasets.example_population()


@pytest.fixture(scope="module")
def small_typed() -> pd.DataFrame:
    """Synthetic data with many small cells by year and area, and unknown ages."""
    return fs.classify(fs.synth.generate(1500, seed=7))


@pytest.fixture(scope="module")
def standardised(small_typed: pd.DataFrame) -> pd.DataFrame:
    pop = fs.synth.population(age_groups="five_year_90", seed=7)
    pop = pop.groupby(["area", "age_group"], as_index=False, observed=True)["population"].sum()
    return fs.age_standardised_rates(small_typed, "area", population=pop, standard="esp2013")


def _tables(
    typed: pd.DataFrame, population: pd.DataFrame, standardised: pd.DataFrame
) -> dict[str, pd.DataFrame]:
    pop = population_for(population, ["year", "area"])
    pop_area = population_for(population, ["area"])
    return {
        "indicators": fs.indicators(typed, ["year", "area"], population=pop),
        "counts": fs.counts(typed, ["year", "area"]),
        "bounds": fs.bounds(typed, ["year", "area"], population=pop),
        "trend": fs.trend(typed, "area", population=pop),
        "completeness": fs.completeness(typed, ["year", "area"]),
        "standardised": standardised,
        "indicators_by_area": fs.indicators(typed, "area", population=pop_area),
    }


@pytest.fixture(scope="module")
def tables(
    typed: pd.DataFrame, population: pd.DataFrame, standardised: pd.DataFrame
) -> dict[str, pd.DataFrame]:
    return _tables(typed, population, standardised)


KINDS = ["indicators", "counts", "bounds", "trend", "completeness", "standardised"]


@pytest.mark.parametrize("name", KINDS)
def test_every_table_kind_is_recognised_without_naming_the_count(
    tables: dict[str, pd.DataFrame], name: str
) -> None:
    assert table_kind(tables[name]) == name
    out = fs.suppress(tables[name], MIN_COUNT)
    assert "suppressed" in out.columns
    assert out.attrs["suppression"] == {"min_count": MIN_COUNT, "suppress_zero": False}


@pytest.mark.parametrize("name", KINDS)
def test_suppress_twice_gives_the_same_table(tables: dict[str, pd.DataFrame], name: str) -> None:
    once = fs.suppress(tables[name], MIN_COUNT)
    twice = fs.suppress(once, MIN_COUNT)
    pd.testing.assert_frame_equal(once, twice)
    assert twice.attrs == once.attrs


def test_suppress_twice_keeps_the_273_marks(tables: dict[str, pd.DataFrame]) -> None:
    once = fs.suppress(tables["indicators"], MIN_COUNT)
    assert int(once["suppressed"].sum()) == 273  # the example data, by year and area
    assert int(fs.suppress(once, MIN_COUNT)["suppressed"].sum()) == 273


@pytest.mark.parametrize("name", KINDS)
@pytest.mark.parametrize(("first", "second"), [(3, 8), (8, 3), (5, 5)])
def test_another_threshold_hides_the_union(
    tables: dict[str, pd.DataFrame], name: str, first: int, second: int
) -> None:
    table = tables[name]
    chained = fs.suppress(fs.suppress(table, first), second)
    direct = fs.suppress(table, max(first, second))
    pd.testing.assert_frame_equal(chained, direct)
    assert chained.attrs["suppression"]["min_count"] == max(first, second)


def test_zero_suppression_is_kept_by_a_later_pass(tables: dict[str, pd.DataFrame]) -> None:
    table = tables["indicators"]
    chained = fs.suppress(fs.suppress(table, 5, suppress_zero=True), 5)
    pd.testing.assert_frame_equal(chained, fs.suppress(table, 5, suppress_zero=True))
    assert chained.attrs["suppression"]["suppress_zero"] is True


def test_a_filled_in_cell_of_a_marked_row_is_hidden_again(
    tables: dict[str, pd.DataFrame],
) -> None:
    once = fs.suppress(tables["indicators"], MIN_COUNT)
    tampered = once.copy()
    marked = tampered["suppressed"].to_numpy(dtype=bool)
    tampered["count"] = tables["indicators"]["count"]  # the hidden counts put back
    again = fs.suppress(tampered, MIN_COUNT)
    assert again.loc[marked, "count"].isna().all()
    pd.testing.assert_frame_equal(again, once)


def _hidden(out: pd.DataFrame, column: str) -> np.ndarray:
    return out[column].isna().to_numpy()


def test_indicators_hide_shares_rates_and_intervals_with_the_count(
    tables: dict[str, pd.DataFrame],
) -> None:
    table = tables["indicators"]
    out = fs.suppress(table, MIN_COUNT)
    small = table["count"].between(1, MIN_COUNT - 1).to_numpy()
    for column in ("count", "share", "share_lower", "share_upper", "rate"):
        assert _hidden(out, column)[small].all(), column
    assert _hidden(out, "rate_lower")[small].all() and _hidden(out, "rate_upper")[small].all()


def test_the_reliability_flag_of_a_hidden_count_is_hidden(
    tables: dict[str, pd.DataFrame],
) -> None:
    # reliable = count >= min_reliable; with min_count above min_reliable it would say
    # that a hidden count lies between the two.
    table = tables["indicators"]
    out = fs.suppress(table, 25)
    hidden = out["suppressed"].to_numpy(dtype=bool)
    assert (hidden & table["reliable"].to_numpy(dtype=bool)).any(), "fixture: reliable, hidden"
    assert out["reliable"][hidden].isna().all()
    shown = ~hidden
    assert (out["reliable"][shown] == table["reliable"][shown]).all()


def test_shares_over_a_small_denominator_are_hidden(small_typed: pd.DataFrame) -> None:
    table = fs.indicators(small_typed, ["year", "area"])
    out = fs.suppress(table, MIN_COUNT)
    small_den = table["share_denominator"].between(1, MIN_COUNT - 1).to_numpy()
    assert small_den.any(), "the fixture should have small denominators"
    assert _hidden(out, "share_denominator")[small_den].all()
    assert _hidden(out, "share")[small_den].all()
    assert _hidden(out, "share_upper")[small_den].all()


def test_bounds_hide_the_other_bound_shares_and_rates() -> None:
    table = pd.DataFrame(
        {
            "year": [2020, 2021, 2022, 2023, 2024, 2025],
            "female_homicide": [40, 40, 40, 3, 40, 40],
            "lower": [2, 20, 20, 0, 0, 0],
            "upper": [30, 22, 38, 2, 3, 30],
        }
    )
    table["lower_share"] = table["lower"] / table["female_homicide"]
    table["upper_share"] = table["upper"] / table["female_homicide"]
    table["population"] = 1e6
    table["lower_rate"] = table["lower"] / 10.0
    table["upper_rate"] = table["upper"] / 10.0
    out = fs.suppress(table, MIN_COUNT).set_index("year")
    # 2020: small lower bound: both bounds, their shares and rates hidden.
    for column in ("lower", "upper", "lower_share", "upper_share", "lower_rate", "upper_rate"):
        assert pd.isna(out.loc[2020, column]), column
    assert out.loc[2020, "female_homicide"] == 40
    # 2021: 2 undetermined (upper - lower): the upper bound would show them.
    assert out.loc[2021, "lower"] == 20 and pd.isna(out.loc[2021, "upper"])
    assert pd.isna(out.loc[2021, "upper_share"]) and pd.isna(out.loc[2021, "upper_rate"])
    assert out.loc[2021, "lower_share"] == pytest.approx(0.5)
    # 2022: 2 not femicide (female_homicide - upper).
    assert out.loc[2022, "lower"] == 20 and pd.isna(out.loc[2022, "upper"])
    # 2023: small female homicide count: shares of it hidden; its small bound too.
    assert pd.isna(out.loc[2023, "female_homicide"])
    assert pd.isna(out.loc[2023, "lower_share"]) and pd.isna(out.loc[2023, "upper_share"])
    assert pd.isna(out.loc[2023, "upper"])
    # 2024: a small upper bound hides the lower bound even when that is zero.
    assert pd.isna(out.loc[2024, "upper"]) and pd.isna(out.loc[2024, "lower"])
    # 2025: nothing small.
    assert out.loc[2025, ["lower", "upper"]].tolist() == [0, 30]
    assert out["suppressed"].tolist() == [True] * 5 + [False]
    pd.testing.assert_frame_equal(fs.suppress(out.reset_index(), MIN_COUNT), out.reset_index())


def test_bounds_rows_show_no_small_count(tables: dict[str, pd.DataFrame]) -> None:
    out = fs.suppress(tables["bounds"], MIN_COUNT)
    fh = out["female_homicide"].to_numpy(dtype=float, na_value=np.nan)
    lower = out["lower"].to_numpy(dtype=float, na_value=np.nan)
    upper = out["upper"].to_numpy(dtype=float, na_value=np.nan)
    shown = {
        "female_homicide": fh,
        "lower": lower,
        "upper": upper,
        "undetermined": upper - lower,
        "not femicide": fh - upper,
        "lower from its share": out["lower_share"].to_numpy() * fh,
        "upper from its share": out["upper_share"].to_numpy() * fh,
        "lower from its rate": out["lower_rate"].to_numpy() * out["population"].to_numpy() / 1e5,
        "upper from its rate": out["upper_rate"].to_numpy() * out["population"].to_numpy() / 1e5,
    }
    for what, values in shown.items():
        values = np.round(values)
        assert not ((values > 0) & (values < MIN_COUNT)).any(), what
    both = np.isnan(lower) != np.isnan(upper)
    assert not (both & np.isnan(lower)).any()  # a hidden lower bound never leaves upper shown


def test_standardised_rates_hide_the_unknown_age_count_and_the_rates(
    standardised: pd.DataFrame,
) -> None:
    small = standardised["count"].between(1, MIN_COUNT - 1).to_numpy()
    small_unknown = standardised["count_unknown_age"].between(1, MIN_COUNT - 1).to_numpy()
    assert small.any() and small_unknown.any(), "the fixture should have small cells"
    out = fs.suppress(standardised, MIN_COUNT)
    for column in ("count", "count_unknown_age", "crude_rate", "rate", "rate_lower", "rate_upper"):
        assert _hidden(out, column)[small].all(), column
    assert _hidden(out, "count_unknown_age")[small_unknown].all()
    assert out["suppressed"].to_numpy()[small | small_unknown].all()
    kept = ~small
    assert not _hidden(out, "rate")[kept].any()


def test_trend_hides_the_apc_of_a_hidden_series(small_typed: pd.DataFrame) -> None:
    pop = fs.synth.population(seed=7)
    pop = pop.groupby(["year", "area"], as_index=False, observed=True)["population"].sum()
    table = fs.trend(small_typed, "area", population=pop, of="other_perpetrator")
    small = table["count"].between(1, MIN_COUNT - 1).to_numpy()
    assert small.any() and (~small).any(), "the fixture should have small and large series"
    out = fs.suppress(table, MIN_COUNT)
    for column in ("count", "apc", "apc_lower", "apc_upper"):
        assert _hidden(out, column)[small].all(), column
    assert not _hidden(out, "count")[~small].any()
    assert out["suppressed"].tolist() == small.tolist()


def test_completeness_hides_small_numbers_of_unknown_records() -> None:
    table = pd.DataFrame(
        {
            "year": [2020, 2021, 2022],
            "female_homicide": [50, 3, 0],
            "relationship_unknown": [2 / 50, 1 / 3, np.nan],
            "age_unknown": [10 / 50, 0.0, np.nan],
            "any_criterion_unknown": [0.0, 1.0, np.nan],
            "undetermined": [25 / 50, 2 / 3, np.nan],
        }
    )
    out = fs.suppress(table, MIN_COUNT).set_index("year")
    assert pd.isna(out.loc[2020, "relationship_unknown"])  # 2 records
    assert out.loc[2020, "age_unknown"] == pytest.approx(0.2)
    assert out.loc[2020, "any_criterion_unknown"] == 0.0
    assert out.loc[2021, ["female_homicide", "relationship_unknown", "undetermined"]].isna().all()
    assert out["suppressed"].tolist() == [True, True, False]  # an empty group is not hidden
    assert out.loc[2022, "female_homicide"] == 0


def test_completeness_rows_show_no_small_count(tables: dict[str, pd.DataFrame]) -> None:
    out = fs.suppress(tables["completeness"], MIN_COUNT)
    fh = out["female_homicide"].to_numpy(dtype=float, na_value=np.nan)
    for column in out.columns:
        if str(column).endswith("_unknown") or column == "undetermined":
            records = np.round(out[column].to_numpy(dtype=float) * fh)
            assert not ((records > 0) & (records < MIN_COUNT)).any(), column


def test_an_identifying_column_is_refused() -> None:
    table = pd.DataFrame({"victim_id": ["V-SECRET-1"], "count": [3]})
    with pytest.raises(DisclosureError, match="victim_id") as info:
        fs.suppress(table)
    assert "V-SECRET-1" not in str(info.value)


def test_a_table_without_counts_is_refused_with_what_to_do() -> None:
    with pytest.raises(DisclosureError, match="count_column="):
        fs.suppress(pd.DataFrame({"n": [3]}))
    with pytest.raises(KeyError, match="'n'"):
        fs.suppress(pd.DataFrame({"count": [3]}), count_column="n")
    with pytest.raises(ValueError, match="at least 1"):
        fs.suppress(pd.DataFrame({"count": [3]}), 0)


def test_a_named_count_column_hides_its_shares() -> None:
    table = pd.DataFrame({"n": [3, 30], "share": [0.1, 0.9]})
    out = fs.suppress(table, 5, count_column="n")
    assert out["n"].isna().tolist() == [True, False]
    assert out["share"].isna().tolist() == [True, False]


def _kinds_of(data: pd.DataFrame) -> dict[str, Callable[[], pd.DataFrame]]:
    return {
        "indicators": lambda: fs.indicators(data, ["year", "area"]),
        "bounds": lambda: fs.bounds(data, ["year", "area"]),
        "completeness": lambda: fs.completeness(data, ["year", "area"]),
    }


@pytest.mark.slow
@settings(max_examples=30)
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(20, 400),
    first=st.integers(1, 12),
    second=st.integers(1, 12),
    zero=st.booleans(),
)
def test_suppression_is_idempotent_and_monotone(
    seed: int, n: int, first: int, second: int, zero: bool
) -> None:
    data = fs.classify(fs.synth.generate(n, seed=seed))
    for name, make in _kinds_of(data).items():
        table = make()
        once = fs.suppress(table, first, suppress_zero=zero)
        pd.testing.assert_frame_equal(fs.suppress(once, first, suppress_zero=zero), once)
        chained = fs.suppress(once, second)
        # Never shown again: every cell hidden before is hidden after.
        for column in once.columns:
            if once[column].dtype.kind in "fiu" or str(once[column].dtype) == "Int64":
                before = once[column].isna().to_numpy()
                assert chained[column].isna().to_numpy()[before].all(), (name, column)
        assert chained["suppressed"].to_numpy()[once["suppressed"].to_numpy()].all(), name


@pytest.mark.parametrize("column", ["victim_id", "event_id"])
def test_a_breakdown_by_an_identifier_is_never_printed_or_written(
    tmp_path: Path, column: str
) -> None:
    from typer.testing import CliRunner

    from femstat.cli import app

    victims = fs.datasets.example_victims().head(200).copy()
    victims["victim_id"] = [f"VID-SECRET-{i}" for i in range(len(victims))]
    victims["event_id"] = [f"EID-SECRET-{i}" for i in range(len(victims))]
    source = tmp_path / "victims.csv"
    victims.to_csv(source, index=False)
    runner = CliRunner()
    for extra in ([], ["-o", str(tmp_path / "out.csv")]):
        result = runner.invoke(app, ["indicators", str(source), "--by", column, *extra])
        assert result.exit_code != 0
        assert "SECRET" not in result.output
        assert column in result.output  # the error names the column, not its values
    assert not (tmp_path / "out.csv").exists()


def test_rate_ratio_tables_hide_what_a_small_count_gives_away() -> None:
    from femstat.report import population_for

    data = fs.datasets.example_victims()
    typed = fs.classify(fs.validate(data[data["year"] == 2024]))
    population = population_for(fs.datasets.example_population(), ["area"])
    ratios = fs.rate_ratios(typed, by="area", population=population, reference="R01", of="femicide")
    assert fs.disclosure.table_kind(ratios) == "comparisons"
    threshold = int(ratios["count"].min()) + 1
    hidden = fs.suppress(ratios, threshold)
    small = ratios["count"] < threshold
    assert small.any() and (~small).any()
    joint = ["rate_ratio", "rate_ratio_lower", "p_value", "percent_change", "share_difference"]
    assert hidden.loc[small, ["count", "rate", "share", *joint]].isna().all().all()
    assert hidden.loc[~small, ["count", "rate", *joint]].notna().all().all()
    assert hidden["suppressed"].tolist() == small.tolist()
    # A small reference hides every comparison with it, and its own rate and share.
    hidden = fs.suppress(ratios, int(ratios["reference_count"].iloc[0]) + 1)
    assert (
        hidden[["reference_count", "reference_rate", "reference_share", *joint]].isna().all().all()
    )
    assert hidden["suppressed"].all()


def test_suppressing_year_on_year_comparisons_keeps_the_years_as_years() -> None:
    from femstat.report import population_for

    typed = fs.classify(fs.validate(fs.datasets.example_victims()))
    population = population_for(fs.datasets.example_population(), ["year"])
    changes = fs.rate_ratios(typed, by="year", population=population, reference="previous")
    threshold = int(changes["count"].min()) + 1
    hidden = fs.suppress(changes, threshold)
    assert hidden["year"].dtype == changes["year"].dtype
    assert hidden["reference"].tolist() == changes["reference"].tolist()
    # The smallest year is withheld as a year and as the reference of the year after it.
    small = (changes["count"] < threshold) | (changes["reference_count"] < threshold)
    assert hidden["suppressed"].tolist() == small.tolist()
    assert hidden.loc[small, "percent_change"].isna().all()
