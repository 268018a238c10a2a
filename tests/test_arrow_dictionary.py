"""Parquet batches counted straight from Arrow (``BatchChecker.validated_table``).

A Parquet batch is validated from its Arrow columns without making its pandas frame: the
distinct values of each column (the dictionary entries the rows use, the flags present,
the smallest and largest integer) go through ``BatchChecker.validated`` as a short table,
and the rows go from their dictionary indices to femstat's codes with one look-up. These
tests check that this is the route taken, and that every answer (cube, report, error,
warning, row number) equals the route through the pandas frame, the route validating
each batch whole, and the general path (``FEMSTAT_FAST_READ=0``), on the layouts where
the two could part: spellings that change between row groups, a row group whose pages
are plain rather than dictionary-encoded, missing values, an unknown spelling in the
third row group, one row group and many.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import femstat as fs
from femstat.sources.arrow_counts import BatchChecker
from femstat.stream import counts_from_file
from test_arrow_ingest import as_text, assert_same, both, outcome

BY = ["year", "area", "age_group"]


@contextmanager
def tally(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[bool]]:
    """Records, batch by batch, whether the batch was counted straight from Arrow."""
    seen: list[bool] = []
    original = BatchChecker.validated_table

    def spy(self: BatchChecker, *args: Any, **kwargs: Any) -> Any:
        result = original(self, *args, **kwargs)
        seen.append(isinstance(result, tuple))
        return result

    with monkeypatch.context() as patch:
        patch.setattr(BatchChecker, "validated_table", spy)
        yield seen


def four_ways(monkeypatch: pytest.MonkeyPatch, call: Callable[[], Any]) -> list[bool]:
    """Assert the Arrow, pandas-frame, whole-batch and general answers equal.

    Returns whether each batch was counted straight from Arrow.
    """
    with tally(monkeypatch) as seen:
        direct, general = both(call)
    with monkeypatch.context() as patch:
        patch.setattr(BatchChecker, "validated_table", lambda self, *a, **k: None)
        through_frames = outcome(call)
    with monkeypatch.context() as patch:
        # validated_table validates its short table with validated(): this turns both off.
        patch.setattr(BatchChecker, "validated", lambda self, raw: None)
        whole = outcome(call)
    assert_same(direct, general)
    assert_same(direct, through_frames)
    assert_same(direct, whole)
    return seen


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    frame = fs.synth.generate(3_000, seed=23)
    frame.loc[frame.index[::83], "victim_age"] = pd.NA
    frame.loc[frame.index[::61], "prior_violence"] = pd.NA
    rows = frame.index[::607]  # soft-check material: a stranger with prior violence
    frame.loc[rows, "relationship"] = "stranger"
    frame.loc[rows, "prior_violence"] = True
    return frame


def expected_cube(data: pd.DataFrame) -> pd.DataFrame:
    clean, _ = fs.validate(data, report=True)  # its warnings are compared elsewhere
    return fs.counts(clean, BY)


def assert_cube(got: pd.DataFrame, data: pd.DataFrame) -> None:
    expected = expected_cube(data)
    pd.testing.assert_frame_equal(
        got.reset_index(drop=True), expected.reset_index(drop=True), check_like=False
    )


def write_text(frame: pd.DataFrame, path: Path, row_group_size: int | None) -> Path:
    table = pa.Table.from_pandas(as_text(frame), preserve_index=False)
    pq.write_table(table, path, row_group_size=row_group_size)
    return path


@pytest.mark.parametrize("kind", ["pandas", "text"])
@pytest.mark.parametrize("row_group_size", [None, 400])
@pytest.mark.parametrize("batch_rows", [400, 1_000_000])
def test_one_row_group_and_many(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    data: pd.DataFrame,
    kind: str,
    row_group_size: int | None,
    batch_rows: int,
) -> None:
    path = tmp_path / "victims.parquet"
    if kind == "pandas":
        data.to_parquet(path, index=False, row_group_size=row_group_size)
    else:
        write_text(data, path, row_group_size)
    groups = pq.ParquetFile(path).metadata.num_row_groups
    assert groups == (1 if row_group_size is None else 8)

    def call() -> Any:
        return counts_from_file(
            path, BY, batch_rows=batch_rows, check_unique_ids=False, report=True
        )

    seen = four_ways(monkeypatch, call)
    assert seen and all(seen)
    # pyarrow ends a batch at every row group of a file that stores dictionaries (pandas'
    # categoricals), and runs batches across row groups otherwise.
    ends_at_groups = kind == "pandas" and row_group_size is not None
    assert len(seen) == (8 if ends_at_groups else -(-len(data) // min(batch_rows, len(data))))
    cube, report = call()
    assert_cube(cube, data)
    assert report.warnings["check"].tolist() == ["stranger_with_prior_violence"]
    assert report.warnings["n_rows"].tolist() == [len(data.index[::607])]
    # The rows named are the file's, as fs.validate names them on the whole frame.
    pd.testing.assert_frame_equal(report.warnings, fs.validate(data, report=True)[1].warnings)


def test_spellings_differ_between_row_groups(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, data: pd.DataFrame
) -> None:
    """Each row group has its own dictionary: the same codes whatever the spelling."""
    text = as_text(data)
    spell = [
        lambda v: v,
        lambda v: v.upper(),
        lambda v: f"  {v.title()} ",
    ]
    path = tmp_path / "victims.parquet"
    table = pa.Table.from_pandas(text.iloc[:0], preserve_index=False)
    with pq.ParquetWriter(path, table.schema) as writer:
        for k, start in enumerate(range(0, len(text), 600)):
            part = text.iloc[start : start + 600].copy()
            for column in ("victim_sex", "relationship", "prior_violence", "area"):
                part[column] = part[column].map(
                    lambda v, f=spell[k % 3]: f(v) if isinstance(v, str) else v
                )
            writer.write_table(pa.Table.from_pandas(part, preserve_index=False))
    reader = pq.ParquetFile(path, read_dictionary=["victim_sex"])
    first = reader.read_row_group(0, columns=["victim_sex"]).column(0).chunk(0).dictionary
    second = reader.read_row_group(1, columns=["victim_sex"]).column(0).chunk(0).dictionary
    assert set(first.to_pylist()) != set(second.to_pylist())

    def call() -> Any:
        return counts_from_file(path, BY, batch_rows=600, check_unique_ids=False, report=True)

    seen = four_ways(monkeypatch, call)
    assert len(seen) == 5 and all(seen)
    cube, _ = call()
    # Areas are free text: spelled otherwise, they are other areas, on every path alike.
    respelled, _ = fs.read(path, report=True)
    assert_cube(cube, respelled)


def test_a_row_group_with_plain_pages(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, data: pd.DataFrame
) -> None:
    """A row group whose dictionary outgrew the writer's limit is stored as plain pages."""
    text = as_text(data)
    rows = text.index[600:1_200]
    # Hundreds of spellings of the same few codes (padding is not part of a code).
    text.loc[rows, "relationship"] = [
        " " * (i % 60) + str(v) for i, v in enumerate(text.loc[rows, "relationship"])
    ]
    path = tmp_path / "victims.parquet"
    table = pa.Table.from_pandas(text, preserve_index=False)
    pq.write_table(
        table, path, row_group_size=600, dictionary_pagesize_limit=64, data_page_size=512
    )
    meta = pq.ParquetFile(path).metadata
    column = table.schema.get_field_index("relationship")
    sizes = [meta.row_group(i).column(column).total_uncompressed_size for i in range(5)]
    assert sizes[1] > 600 * 20  # the values themselves, plain (about 40 characters each)
    assert sizes[0] < sizes[1] / 10  # a dictionary and its indices

    def call() -> Any:
        return counts_from_file(path, BY, batch_rows=600, check_unique_ids=False, report=True)

    seen = four_ways(monkeypatch, call)
    assert len(seen) == 5 and all(seen)
    cube, _ = call()
    assert_cube(cube, data)


def test_missing_values_in_dictionary_columns(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, data: pd.DataFrame
) -> None:
    """Missing rows in dictionary-encoded columns, a whole row group of them in one."""
    frame = data.copy()
    frame.loc[frame.index[::41], "victim_sex"] = None
    frame.loc[frame.index[::29], "place"] = None  # not read for this breakdown
    frame.loc[frame.index[1_200:1_800], "relationship"] = None  # a whole row group
    path = write_text(frame, tmp_path / "victims.parquet", 600)

    def call() -> Any:
        return counts_from_file(path, BY, batch_rows=600, check_unique_ids=False, report=True)

    seen = four_ways(monkeypatch, call)
    assert len(seen) == 5 and all(seen)
    cube, _ = call()
    assert_cube(cube, frame)


def test_a_missing_code_is_refused_as_the_general_path_refuses_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, data: pd.DataFrame
) -> None:
    frame = data.copy()
    frame.loc[frame.index[1_500], "iccs_code"] = None
    path = write_text(frame, tmp_path / "victims.parquet", 600)

    def call() -> Any:
        return counts_from_file(path, BY, batch_rows=600, check_unique_ids=False)

    seen = four_ways(monkeypatch, call)
    assert seen == [True, True, False]
    with pytest.raises(fs.ValidationError, match="iccs_code"):
        call()


def test_a_missing_value_inside_the_dictionary_is_not_read_from_arrow() -> None:
    """Arrow allows a null among a dictionary's values (Parquet never stores one): such a
    column is left to the frame route, which gives way to the general path."""
    base = as_text(fs.synth.generate(5, seed=3))
    columns = ["year", "victim_sex", "victim_age", "relationship", "iccs_code"]
    arrays = [pa.array(base[c], type=pa.string()).dictionary_encode() for c in columns]
    text = frozenset(columns)
    table = pa.table(dict(zip(columns, arrays, strict=True)))
    checker = BatchChecker(text, None, {})
    assert isinstance(checker.validated_table(table, text), tuple)  # read from Arrow
    sex = pa.DictionaryArray.from_arrays(
        pa.array([0, 1, 2, 1, 0], type=pa.int32()), pa.array(["female", None, "male"])
    )
    with_null = table.set_column(1, "victim_sex", sex)
    assert checker.validated_table(with_null, text) is None


@pytest.mark.parametrize("kind", ["pandas", "text"])
def test_an_unknown_spelling_in_the_third_row_group(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, data: pd.DataFrame, kind: str
) -> None:
    """Reported with the general path's message, batch and row number."""
    frame = data.astype({"victim_sex": object})
    frame.loc[frame.index[1_345], "victim_sex"] = "femal"
    path = tmp_path / "victims.parquet"
    if kind == "pandas":
        frame.to_parquet(path, index=False, row_group_size=600)
    else:
        write_text(frame, path, 600)

    def call() -> Any:
        return counts_from_file(path, BY, batch_rows=600, check_unique_ids=False)

    seen = four_ways(monkeypatch, call)
    assert seen[:2] == [True, True] and seen[2] is False
    with pytest.raises(fs.ValidationError) as caught:
        call()
    cases = caught.value.failure_cases
    assert cases["column"].tolist() == ["victim_sex"]
    assert "femal" in str(caught.value)
    assert 1_345 in np.ravel(cases["rows"].iloc[0]).tolist()


@pytest.mark.parametrize("repeat", [None, (10, 20), (10, 1_310)])
def test_ids_are_checked_as_the_general_path_checks_them(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, data: pd.DataFrame, repeat: Any
) -> None:
    """Whole-number ids: unique within a batch and across batches, or the same error."""
    frame = data.copy()
    if repeat is not None:  # within the first batch, or across the first and third
        frame.loc[frame.index[repeat[1]], "victim_id"] = frame["victim_id"].iloc[repeat[0]]
    path = tmp_path / "victims.parquet"
    frame.to_parquet(path, index=False, row_group_size=600)

    def call() -> Any:
        return counts_from_file(path, BY, batch_rows=600, report=True)

    seen = four_ways(monkeypatch, call)
    if repeat == (10, 20):
        assert seen == [False]  # the batch's own id check fails: the general path reports
        return
    assert len(seen) == 5 and all(seen)
    if repeat is None:
        assert_cube(call()[0], frame)
    else:
        with pytest.raises(fs.ValidationError, match="victim_id"):
            call()


@pytest.mark.parametrize("unused", ["femal", "wife"])
def test_a_row_group_whose_stored_dictionary_alone_differs(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, data: pd.DataFrame, unused: str
) -> None:
    """Row groups with the same values present but another stored dictionary (an entry no
    row uses, in the third row group only), where the checker reuses what validation
    made of an earlier row group's short table: the answers are the general path's."""
    path = tmp_path / "victims.parquet"
    parts = []
    for k, start in enumerate(range(0, len(data), 600)):
        part = data.iloc[start : start + 600].copy()
        if k == 2:
            part["victim_sex"] = part["victim_sex"].cat.add_categories([unused])
        parts.append(pa.Table.from_pandas(part, preserve_index=False))
    schema = parts[0].schema
    with pq.ParquetWriter(path, schema) as writer:
        for part in parts:
            writer.write_table(part.cast(schema))
    stored = [
        pq.ParquetFile(path).read_row_group(k, columns=["victim_sex"]).column(0).chunk(0)
        for k in (1, 2)
    ]
    assert unused in stored[1].dictionary.to_pylist()
    assert unused not in stored[0].dictionary.to_pylist()

    def call() -> Any:
        return counts_from_file(path, BY, batch_rows=600, check_unique_ids=False, report=True)

    seen = four_ways(monkeypatch, call)
    assert len(seen) >= 3 and all(seen[:2])
