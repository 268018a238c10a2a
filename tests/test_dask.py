"""femstat on Dask: partition cubes added up equal the pandas results exactly.

Every test runs on a two-worker process cluster (so partitions really are classified and
counted in other processes) with 2 and 7 partitions.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Iterator

import dask
import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest
from distributed import Client, LocalCluster

import femstat as fs
import femstat.dask as fdask
from femstat import codes as C
from femstat.testing import assert_cubes_equal, assert_indicators_equal

BY = ["year", "area", "relationship_group"]
PARTITIONS = [2, 7]
NATIONAL = fs.RuleSet(
    name="only_sexual_violence",
    criteria=("sexual_violence",),
    type_column="national_type",
    criteria_column="national_criteria",
)


@pytest.fixture(scope="module", autouse=True)
def client() -> Iterator[Client]:
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster) as dask_client,
    ):
        yield dask_client


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    return fs.synth.generate(6_000, seed=21)


@pytest.fixture(scope="module")
def raw(data: pd.DataFrame) -> pd.DataFrame:
    """The data as a text file would hold it: codes as strings, criteria as text."""
    text = data.astype({c: object for c in data.columns if c != "victim_id"})
    for name in C.CRITERIA:
        text[name] = data[name].map({True: "yes", False: "no"}).astype(object)
    return text.astype(dict.fromkeys(("area", "victim_sex", "relationship", "place"), "str"))


def assert_same_cube(result: pd.DataFrame, expected: pd.DataFrame) -> None:
    assert_cubes_equal(result, expected, check_dtype=True)
    assert result.dtypes.to_dict() == expected.dtypes.to_dict()
    if not result.equals(expected):  # assert_frame_equal only to explain a difference
        pd.testing.assert_frame_equal(result, expected)


def assert_same_table(result: pd.DataFrame, expected: pd.DataFrame) -> None:
    """Exactly equal: columns, dtypes (categories in order), row order, index, values."""
    pd.testing.assert_frame_equal(result, expected, check_exact=True)
    assert result.equals(expected)
    for name in expected.columns:
        if isinstance(expected[name].dtype, pd.CategoricalDtype):
            assert list(result[name].cat.categories) == list(expected[name].cat.categories)


@pytest.mark.parametrize("npartitions", PARTITIONS)
@pytest.mark.parametrize("form", ["raw", "validated", "classified"])
def test_counts_equal_pandas(
    npartitions: int, form: str, data: pd.DataFrame, raw: pd.DataFrame
) -> None:
    frame = {
        "raw": raw,
        "validated": data,
        "classified": fs.classify(data),
    }[form]
    ddf = dd.from_pandas(frame, npartitions=npartitions)
    assert ddf.npartitions == npartitions
    expected = fs.counts(frame, BY, male_comparator=True)
    assert_same_cube(fs.counts(ddf, BY, male_comparator=True), expected)
    if form == "raw":
        assert_same_cube(fdask.counts(ddf, BY, male_comparator=True), expected)


@pytest.mark.parametrize("npartitions", PARTITIONS)
def test_counts_options_pass_through(npartitions: int, data: pd.DataFrame) -> None:
    options = {"type_column": "national_type", "rules": NATIONAL, "age_groups": "five_year"}
    ddf = dd.from_pandas(data, npartitions=npartitions)
    by = ["age_group", "victim_migrant", "mechanism"]
    assert_cubes_equal(fs.counts(ddf, by, **options), fs.counts(data, by, **options))


@pytest.mark.parametrize("npartitions", PARTITIONS)
def test_indicators_equal_pandas(npartitions: int, raw: pd.DataFrame) -> None:
    population = fs.synth.population(areas=sorted(raw["area"].unique()))
    by = ["year", "area"]
    ddf = dd.from_pandas(raw, npartitions=npartitions)
    expected = fs.indicators(raw, by, population=population)
    for result in (
        fs.indicators(ddf, by, population=population),
        fdask.indicators(ddf, by, population=population),
    ):
        assert_indicators_equal(result, expected)
        pd.testing.assert_frame_equal(
            result.astype({"area": str}), expected.astype({"area": str}), check_exact=True
        )
    levels = {"level": [0.95, 0.99], "share_method": "clopper-pearson"}
    assert_indicators_equal(
        fdask.indicators(ddf, ["year"], **levels), fs.indicators(raw, ["year"], **levels)
    )


@pytest.mark.parametrize("npartitions", PARTITIONS)
def test_free_levels_are_the_union_over_partitions(npartitions: int, data: pd.DataFrame) -> None:
    # Sorted by year: most partitions hold one or two years only.
    ordered = data.sort_values("year", kind="stable").reset_index(drop=True)
    ddf = dd.from_pandas(ordered, npartitions=npartitions)
    assert_same_cube(fs.counts(ddf, ["year", "area"]), fs.counts(ordered, ["year", "area"]))


@pytest.mark.parametrize("npartitions", PARTITIONS)
def test_empty_partitions_are_skipped(npartitions: int, data: pd.DataFrame) -> None:
    ordered = data.sort_values("year", kind="stable").reset_index(drop=True)
    ddf = dd.from_pandas(ordered, npartitions=npartitions)
    last_year = ddf[ddf["year"] == 2024]  # the first partitions become empty
    expected = fs.counts(ordered[ordered["year"] == 2024], ["year", "area"])
    assert_same_cube(fs.counts(last_year, ["year", "area"]), expected)
    with pytest.raises(fs.ValidationError, match="0 rows"):
        fs.counts(ddf[ddf["year"] > 3000], ["year"])


@pytest.mark.parametrize("npartitions", PARTITIONS)
@pytest.mark.parametrize("ids", ["integer", "text"])
def test_duplicate_id_split_across_partitions_is_caught(
    npartitions: int, ids: str, data: pd.DataFrame
) -> None:
    frame = data.copy()
    frame.loc[5_999, "victim_id"] = 3  # last partition; its twin is in the first
    if ids == "text":
        frame["victim_id"] = frame["victim_id"].map(lambda i: f"V{i:05d}")
    ddf = dd.from_pandas(frame, npartitions=npartitions)
    # Each partition alone is valid: a per-partition check would pass.
    dask.compute(*[dask.delayed(fs.validate)(part) for part in ddf.to_delayed()])
    with pytest.raises(fs.ValidationError) as caught:
        fs.counts(ddf, ["year"])
    cases = caught.value.failure_cases
    assert cases["check"].tolist() == ["unique"]
    assert cases["rows"].tolist() == [[3, 5_999]]
    assert cases["value"].tolist() == ["<withheld>"]  # identifiers are never echoed
    assert "V00003" not in str(caught.value)
    assert f"6,000 rows in {npartitions} partitions" in str(caught.value)
    # And in pandas, validating the same data fails the same way.
    with pytest.raises(fs.ValidationError) as in_memory:
        fs.validate(frame)
    assert in_memory.value.failure_cases["rows"].tolist() == [[3, 5_999]]
    # Opting out of the whole-data check counts the rows as they are.
    cube = fdask.counts(ddf, ["year"], check_unique_ids=False)
    assert int(cube["count"].sum()) == len(frame)


def test_partition_error_names_the_row_in_the_whole_frame(raw: pd.DataFrame) -> None:
    bad = raw.copy()
    bad.loc[[4_321, 4_400], "victim_sex"] = "martian"
    ddf = dd.from_pandas(bad, npartitions=7)
    with pytest.raises(fs.ValidationError) as caught:
        fs.counts(ddf, ["year"])
    assert caught.value.failure_cases["rows"].tolist() == [[4_321, 4_400]]
    first_row = int(np.searchsorted(np.cumsum(ddf.map_partitions(len).compute()), 4_321, "right"))
    assert f"partition {first_row} of Dask DataFrame" in str(caught.value)
    with pytest.raises(fs.ValidationError) as in_memory:
        fs.validate(bad)
    assert in_memory.value.failure_cases["rows"].tolist() == [[4_321, 4_400]]


def test_warnings_of_all_partitions_come_as_one(data: pd.DataFrame) -> None:
    frame = data.copy()
    rows = [10, 2_010, 4_010, 5_999]
    frame.loc[rows, "relationship"] = "stranger"
    frame.loc[rows, "prior_violence"] = True
    ddf = dd.from_pandas(frame, npartitions=7)
    with pytest.warns(fs.DataQualityWarning) as record:
        fs.counts(ddf, ["year"])
    assert len(record) == 1
    assert "[stranger_with_prior_violence] 4 rows" in str(record[0].message)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _, report = fdask.validate(ddf, report=True)
    assert report.warnings["rows"].tolist() == [rows]


@pytest.mark.parametrize("npartitions", PARTITIONS)
def test_validate_checks_the_whole_frame_and_returns_it_lazily(
    npartitions: int, raw: pd.DataFrame
) -> None:
    ddf = dd.from_pandas(raw, npartitions=npartitions)
    validated = fdask.validate(ddf)
    assert isinstance(validated, dd.DataFrame)
    result = validated.compute()
    expected = fs.validate(raw)
    assert list(result.columns) == list(expected.columns)
    for name in expected.columns:
        got, want = result[name], expected[name]
        if name == "area":  # categories are per partition; the values are the same
            got, want = got.astype(str), want.astype(str)
        assert got.dtype == want.dtype, name
        if not got.equals(want):  # assert_series_equal is slow: only to explain
            pd.testing.assert_series_equal(got, want)
    assert_same_cube(fs.counts(validated, BY), fs.counts(expected, BY))
    duplicated = raw.assign(victim_id=raw["victim_id"].where(raw.index != 5_000, 1))
    with pytest.raises(fs.ValidationError, match="victim_id"):
        fdask.validate(dd.from_pandas(duplicated, npartitions=npartitions))


def test_dask_detection_does_not_import_dask(monkeypatch: pytest.MonkeyPatch) -> None:
    ddf = dd.from_pandas(pd.DataFrame({"a": [1]}), npartitions=1)
    assert fdask.is_dask_frame(ddf)
    assert not fdask.is_dask_frame(pd.DataFrame({"a": [1]}))
    monkeypatch.delitem(sys.modules, "dask.dataframe")
    assert not fdask.is_dask_frame(pd.DataFrame({"a": [1]}))
    assert "dask.dataframe" not in sys.modules


def test_not_a_dask_frame_is_a_type_error(data: pd.DataFrame) -> None:
    with pytest.raises(TypeError, match="expected a Dask DataFrame") as info:
        fdask.counts(data, ["year"])
    assert isinstance(info.value, fs.FemstatError)


@pytest.mark.parametrize("npartitions", PARTITIONS)
@pytest.mark.parametrize("by", [[], ["year"], ["year", "area", "age_group"]])
@pytest.mark.parametrize("rules", ["un", "national"])
def test_completeness_equals_pandas(
    npartitions: int, by: list[str], rules: str, data: pd.DataFrame
) -> None:
    options = {} if rules == "un" else {"rules": NATIONAL, "age_groups": "five_year"}
    ddf = dd.from_pandas(data, npartitions=npartitions)
    assert ddf.npartitions == npartitions
    expected = fs.completeness(ddf.compute(), by, **options)
    assert_same_table(fs.completeness(ddf, by, **options), expected)
    assert_same_table(fdask.completeness(ddf, by, **options), expected)


@pytest.mark.parametrize("npartitions", PARTITIONS)
def test_completeness_of_raw_and_classified_partitions(
    npartitions: int, data: pd.DataFrame, raw: pd.DataFrame
) -> None:
    by = ["year", "area"]
    expected = fs.completeness(data, by)
    for frame in (raw, fs.classify(data)):
        ddf = dd.from_pandas(frame, npartitions=npartitions)
        assert_same_table(fs.completeness(ddf, by), expected)
    # Not a column of the data: the same error as in memory.
    with pytest.raises(KeyError, match="breakdown column 'nope' is not in the data"):
        fs.completeness(dd.from_pandas(raw, npartitions=npartitions), ["nope"])


@pytest.mark.parametrize("npartitions", PARTITIONS)
def test_completeness_adds_counts_then_divides(npartitions: int, data: pd.DataFrame) -> None:
    # Sorted by year: years and areas are spread unevenly over the partitions, so shares
    # averaged per partition would differ from the shares of the whole.
    ordered = data.sort_values(["year", "area"], kind="stable").reset_index(drop=True)
    ddf = dd.from_pandas(ordered, npartitions=npartitions)
    for by in ([], ["area"], ["year", "area"]):
        assert_same_table(fs.completeness(ddf, by), fs.completeness(ordered, by))


@pytest.mark.parametrize("npartitions", PARTITIONS)
def test_completeness_with_empty_partitions(npartitions: int, data: pd.DataFrame) -> None:
    ordered = data.sort_values("year", kind="stable").reset_index(drop=True)
    ddf = dd.from_pandas(ordered, npartitions=npartitions)
    last_year = ddf[ddf["year"] == 2024]  # the first partitions become empty
    sizes = last_year.map_partitions(len).compute().tolist()
    assert 0 in sizes and sum(sizes) > 0
    expected = fs.completeness(ordered[ordered["year"] == 2024], ["year", "area"])
    assert_same_table(fs.completeness(last_year, ["year", "area"]), expected)
    assert_same_table(fs.completeness(last_year, []), fs.completeness(last_year.compute(), []))
    with pytest.raises(fs.ValidationError, match="0 rows"):
        fs.completeness(ddf[ddf["year"] > 3000], ["year"])


def test_completeness_checks_the_whole_frame(data: pd.DataFrame, raw: pd.DataFrame) -> None:
    frame = data.copy()
    frame.loc[5_999, "victim_id"] = 3  # last partition; its twin is in the first
    with pytest.raises(fs.ValidationError) as caught:
        fs.completeness(dd.from_pandas(frame, npartitions=7), ["year"])
    assert caught.value.failure_cases["rows"].tolist() == [[3, 5_999]]
    assert "6,000 rows in 7 partitions" in str(caught.value)
    unchecked = fdask.completeness(dd.from_pandas(frame, npartitions=7), check_unique_ids=False)
    assert_same_table(unchecked, fs.completeness(frame))
    bad = raw.copy()
    bad.loc[[4_321, 4_400], "victim_sex"] = "martian"
    with pytest.raises(fs.ValidationError) as caught:
        fs.completeness(dd.from_pandas(bad, npartitions=7), ["year"])
    assert caught.value.failure_cases["rows"].tolist() == [[4_321, 4_400]]
    assert "of Dask DataFrame" in str(caught.value)
    with pytest.raises(TypeError, match="expected a Dask DataFrame"):
        fdask.completeness(data, ["year"])
