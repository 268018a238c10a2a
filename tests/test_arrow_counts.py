"""Batches validated by their distinct values (:mod:`femstat.sources.arrow_counts`).

The fast reader validates each batch by a small frame of its distinct values and maps the
rows through the answer. These tests check that this is the path taken on the files it
is meant for, and that every answer (cube, report, error, warning, row numbers) equals
both the general path's (``FEMSTAT_FAST_READ=0``) and the answer of validating each
batch whole on the fast path (the route it replaces).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import femstat as fs
from femstat.sources import arrow_counts
from femstat.sources.arrow_counts import BatchChecker
from femstat.stream import counts_from_file
from test_arrow_ingest import as_text, assert_same, both, outcome

BY = ["year", "area", "age_group"]


@contextmanager
def tally(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[bool]]:
    """Records, batch by batch, whether the batch was validated by its distinct values."""
    seen: list[bool] = []
    original = BatchChecker.validated
    original_table = BatchChecker.validated_table
    inside_table = [False]  # the short table's own validation is not a batch

    def spy(self: BatchChecker, raw: pd.DataFrame) -> Any:
        result = original(self, raw)
        if not inside_table[0]:
            seen.append(result is not None)
        return result

    def spy_table(self: BatchChecker, *args: Any, **kwargs: Any) -> Any:
        inside_table[0] = True
        try:
            result = original_table(self, *args, **kwargs)
        finally:
            inside_table[0] = False
        if result is False:  # its distinct values fail: the batch is validated whole
            seen.append(False)
        elif result is not None:  # None: the batch goes on to its frame, tallied there
            seen.append(True)
        return result

    with monkeypatch.context() as patch:
        patch.setattr(BatchChecker, "validated", spy)
        patch.setattr(BatchChecker, "validated_table", spy_table)
        yield seen


@contextmanager
def whole_batches(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The fast path with every batch validated whole (the route before this module)."""
    with monkeypatch.context() as patch:
        patch.setattr(BatchChecker, "validated", lambda self, raw: None)
        yield


def three_ways(monkeypatch: pytest.MonkeyPatch, call: Callable[[], Any]) -> list[bool]:
    """Assert the direct, whole-batch and general answers equal; returns the tally."""
    with tally(monkeypatch) as seen:
        direct, general = both(call)
    with whole_batches(monkeypatch):
        whole = outcome(call)
    assert_same(direct, general)
    assert_same(direct, whole)
    return seen


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    frame = fs.synth.generate(6_000, seed=5)
    frame.loc[frame.index[::89], "victim_age"] = pd.NA
    # Soft-check material in several batches: a stranger with prior violence.
    rows = frame.index[::701]
    frame.loc[rows, "relationship"] = "stranger"
    frame.loc[rows, "prior_violence"] = True
    return frame


def write(kind: str, frame: pd.DataFrame, path: Path) -> Path:
    if kind == "parquet_pandas":  # categoricals and nullable types, as pandas writes them
        frame.to_parquet(path, index=False, row_group_size=1_000)
    elif kind == "parquet_text":  # text columns, dictionary-encoded pages
        pq.write_table(pa.Table.from_pandas(as_text(frame), preserve_index=False), path)
    elif kind == "parquet_plain":  # text columns, no dictionary pages at all
        table = pa.Table.from_pandas(as_text(frame), preserve_index=False)
        pq.write_table(table, path, use_dictionary=False, row_group_size=2_000)
    else:
        frame.to_csv(path, index=False)
    return path


KINDS = ["parquet_pandas", "parquet_text", "parquet_plain", "csv"]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("ids", [False, True])
def test_batches_are_validated_by_their_distinct_values(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, data: pd.DataFrame, kind: str, ids: bool
) -> None:
    path = write(kind, data, tmp_path / f"victims.{'csv' if kind == 'csv' else 'parquet'}")

    def call() -> Any:
        return counts_from_file(path, BY, batch_rows=1_500, check_unique_ids=ids, report=True)

    seen = three_ways(monkeypatch, call)
    if kind == "csv":  # measured slower there: every batch is validated whole
        assert len(seen) >= 4 and not any(seen)
    else:
        assert len(seen) >= 4 and all(seen)
    _, report = call()
    assert report.warnings["check"].tolist() == ["stranger_with_prior_violence"]
    assert report.warnings["n_rows"].iloc[0] == len(data.index[::701])


@pytest.mark.parametrize("kind", KINDS)
def test_the_warning_is_emitted_as_the_general_path_emits_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, data: pd.DataFrame, kind: str
) -> None:
    path = write(kind, data, tmp_path / f"victims.{'csv' if kind == 'csv' else 'parquet'}")
    three_ways(monkeypatch, lambda: counts_from_file(path, BY, batch_rows=2_000))
    with pytest.warns(fs.DataQualityWarning, match="stranger_with_prior_violence"):
        counts_from_file(path, BY, batch_rows=2_000)


def damaged(data: pd.DataFrame, problem: str) -> pd.DataFrame:
    frame = data.copy()
    where = frame.index[4_321]
    if problem == "age_out_of_range":
        frame.loc[where, "victim_age"] = 130
    elif problem == "negative_age":
        frame.loc[where, "victim_age"] = -4
    elif problem == "year_missing":
        frame.loc[where, "year"] = pd.NA
    elif problem == "year_out_of_range":
        frame.loc[where, "year"] = 1066
    elif problem == "duplicate_id":
        frame.loc[where, "victim_id"] = frame.loc[frame.index[4_000], "victim_id"]
    elif problem == "bad_spelling":
        frame["relationship"] = frame["relationship"].astype(object)
        frame.loc[where, "relationship"] = "neighbour's cousin"
    return frame


PROBLEMS = [
    "age_out_of_range",
    "negative_age",
    "year_missing",
    "year_out_of_range",
    "duplicate_id",
    "bad_spelling",
]


@pytest.mark.parametrize("kind", ["parquet_pandas", "csv"])
@pytest.mark.parametrize("problem", PROBLEMS)
def test_a_problem_gets_the_general_paths_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, data: pd.DataFrame, kind: str, problem: str
) -> None:
    frame = damaged(data, problem)
    path = write(kind, frame, tmp_path / f"victims.{'csv' if kind == 'csv' else 'parquet'}")

    def call() -> Any:
        return counts_from_file(path, BY, batch_rows=1_500)

    seen = three_ways(monkeypatch, call)
    # Batches before the damaged one are counted directly (not CSV's: see above); the
    # damaged one is not, and the general path takes over from it.
    assert len(seen) >= 3 and all(seen[:-1]) == (kind != "csv") and seen[-1] is False
    with pytest.raises(fs.ValidationError):
        call()


@pytest.mark.parametrize("unused", ["femal", "wife"])
def test_a_dictionary_value_no_row_uses(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, data: pd.DataFrame, unused: str
) -> None:
    """A category that no row holds answers as on the general path: a bad one ("femal")
    is whatever the general path makes of it, a good spelling ("wife") changes nothing."""
    frame = data.copy()
    frame["victim_sex"] = frame["victim_sex"].cat.add_categories([unused])
    frame["relationship"] = (
        frame["relationship"].cat.add_categories(["wife"])
        if (unused == "wife")
        else frame["relationship"]
    )
    path = write("parquet_pandas", frame, tmp_path / "victims.parquet")
    three_ways(monkeypatch, lambda: counts_from_file(path, BY, batch_rows=2_500, report=True))


def test_integers_other_than_int16_are_validated_whole(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, data: pd.DataFrame
) -> None:
    frame = data.copy()
    frame["victim_age"] = frame["victim_age"].astype("Int64")
    path = write("parquet_pandas", frame, tmp_path / "victims.parquet")
    seen = three_ways(monkeypatch, lambda: counts_from_file(path, BY, batch_rows=3_000))
    assert len(seen) >= 2 and not any(seen)


def test_a_mapping_validates_batches_whole(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, data: pd.DataFrame
) -> None:
    frame = data.rename(columns={"victim_sex": "sex"})
    path = write("parquet_pandas", frame, tmp_path / "victims.parquet")
    mapping = {"columns": {"sex": {"to": "victim_sex"}}}
    seen = three_ways(
        monkeypatch, lambda: counts_from_file(path, BY, mapping=mapping, batch_rows=3_000)
    )
    assert len(seen) >= 2 and not any(seen)


def test_extremes_and_flags() -> None:
    values = np.array([5, 0, 7, 120], dtype=np.int16)
    assert arrow_counts._extremes(values).tolist() == [0, 120]
    assert arrow_counts._extremes(values[:0]).tolist() == []
    flags = np.array([True, False, True])
    assert arrow_counts._distinct_flags(flags, np.array([False, True, False])).tolist() == [True]
    assert arrow_counts._distinct_flags(flags, np.zeros(3, dtype=bool)).tolist() == [False, True]
    assert arrow_counts._distinct_flags(flags, np.ones(3, dtype=bool)).tolist() == []


# --------------------------------------------------------------------------------------
# Drawn tables, in the canonical dtypes pandas writes


SEX = ["female", "male", "unknown", "F", "Femenino", "hombre", "nope"]
RELATIONSHIP = ["current_partner", "husband", "mother", "stranger", "unknown", "who knows"]


@st.composite
def frames(draw: st.DrawFn) -> pd.DataFrame:
    n = draw(st.integers(1, 40))
    ages = st.one_of(st.none(), st.integers(0, 120), st.sampled_from([-1, 121, 999]))
    flag = st.sampled_from([True, False, None])
    pick = draw(st.integers(0, 9))
    return pd.DataFrame(
        {
            "victim_id": np.arange(n) * 3 + 1,
            "year": pd.array(
                draw(
                    st.lists(
                        st.sampled_from([2019, 2020, 2021] + ([None] if pick == 0 else [])),
                        min_size=n,
                        max_size=n,
                    )
                ),
                dtype="Int16",
            ),
            "area": pd.Categorical(
                draw(st.lists(st.sampled_from(["R1", " R2", "R1 ", None]), min_size=n, max_size=n))
            ),
            "victim_sex": pd.Categorical(
                draw(st.lists(st.sampled_from(SEX[: 3 if pick > 3 else 7]), min_size=n, max_size=n))
            ),
            "victim_age": pd.array(
                draw(st.lists(ages if pick < 5 else st.integers(0, 90), min_size=n, max_size=n)),
                dtype="Int16",
            ),
            "relationship": pd.Categorical(
                draw(
                    st.lists(
                        st.sampled_from(RELATIONSHIP[: 5 if pick > 2 else 6]),
                        min_size=n,
                        max_size=n,
                    )
                )
            ),
            "iccs_code": pd.Categorical(
                draw(st.lists(st.sampled_from(["0101", "0102", "101"]), min_size=n, max_size=n))
            ),
            "prior_violence": pd.array(
                draw(st.lists(flag, min_size=n, max_size=n)), dtype="boolean"
            ),
            "abduction": pd.array(draw(st.lists(flag, min_size=n, max_size=n)), dtype="boolean"),
        }
    )


@pytest.mark.slow
# Each example patches and restores BatchChecker itself (monkeypatch.context), so the
# function-scoped fixture carries nothing from one example to the next.
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(frame=frames(), batch_rows=st.sampled_from([1, 7, 100]), ids=st.booleans())
def test_drawn_tables_answer_alike(
    monkeypatch: pytest.MonkeyPatch, frame: pd.DataFrame, batch_rows: int, ids: bool
) -> None:
    where = Path(tempfile.mkdtemp())
    try:
        path = write("parquet_pandas", frame, where / "victims.parquet")
        three_ways(
            monkeypatch,
            lambda: counts_from_file(
                path, ["year", "area"], batch_rows=batch_rows, check_unique_ids=ids, report=True
            ),
        )
        three_ways(monkeypatch, lambda: counts_from_file(path, ["year"], batch_rows=batch_rows))
    finally:
        shutil.rmtree(where)


def test_row_groups_whose_dictionaries_differ_in_order(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Writers store each row group's dictionary in its own order; the answer kept for
    one batch must not be reused for a batch whose categories are the same set in
    another order (pandas' dtype equality ignores the order of categories)."""
    n = 600
    rng = np.random.default_rng(3)

    def group(sexes: list[str], relationships: list[str]) -> pa.Table:
        frame = pd.DataFrame(
            {
                "year": pd.array(np.full(n, 2020), dtype="Int16"),
                "victim_sex": pd.Categorical.from_codes(
                    rng.integers(0, len(sexes), n), categories=sexes
                ),
                "victim_age": pd.array(rng.integers(0, 90, n), dtype="Int16"),
                "relationship": pd.Categorical.from_codes(
                    rng.integers(0, len(relationships), n), categories=relationships
                ),
            }
        )
        return pa.Table.from_pandas(frame, preserve_index=False)

    first = group(["female", "male", "unknown"], ["stranger", "current_partner"])
    second = group(["male", "unknown", "female"], ["current_partner", "stranger"])
    table = pa.concat_tables([first, second])
    path = tmp_path / "victims.parquet"
    pq.write_table(table, path, row_group_size=n)

    def call() -> Any:
        return counts_from_file(path, ["year", "age_group"], batch_rows=n, report=True)

    seen = three_ways(monkeypatch, call)
    assert seen == [True, True]
    cube, _ = call()
    # Against counting in memory, each row group's dictionary decoded by pandas.
    frame = pd.concat([first.to_pandas(), second.to_pandas()], ignore_index=True)
    expected = fs.counts(fs.validate(frame), ["year", "age_group"])
    fs.testing.assert_cubes_equal(cube, expected)
