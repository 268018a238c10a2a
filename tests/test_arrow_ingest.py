"""The Arrow-native reading of Parquet and CSV gives the general path's cubes, errors,
warnings and row numbers, and is the path actually taken for files it can read.

The general path is the reference: the same call with ``FEMSTAT_FAST_READ=0``. Every
comparison is of complete results: cubes cell by cell, validation reports, exception
types, messages and failure cases, and the warnings emitted.
"""

from __future__ import annotations

import gzip
import os
import tomllib
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from unittest import mock

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import femstat as fs
from femstat import _kernel
from femstat.sources import arrow, readers
from femstat.stream import counts_from_file
from femstat.testing import assert_cubes_equal

ROOT = Path(__file__).resolve().parents[1]
BY = ["year", "area", "age_group"]


@contextmanager
def general_path() -> Iterator[None]:
    with mock.patch.dict(os.environ, {arrow.ENV_VAR: "0"}):
        yield


def outcome(call: Callable[[], Any]) -> dict[str, Any]:
    """What a call did: its result or its error, and the warnings it emitted."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result: Any = call()
            error = None
        except Exception as exc:  # compared below, type and all
            result, error = None, exc
    return {
        "result": result,
        "error": error,
        "warnings": [(w.category, str(w.message)) for w in caught],
    }


def assert_same(fast: dict[str, Any], general: dict[str, Any]) -> None:
    assert fast["warnings"] == general["warnings"]
    if general["error"] is not None:
        assert fast["error"] is not None, "the fast path accepted what the general path refused"
        assert type(fast["error"]) is type(general["error"])
        assert str(fast["error"]) == str(general["error"])
        cases = getattr(general["error"], "failure_cases", None)
        if cases is not None:
            pd.testing.assert_frame_equal(fast["error"].failure_cases, cases)
        return
    assert fast["error"] is None, f"the fast path refused: {fast['error']!r}"
    got, expected = fast["result"], general["result"]
    if isinstance(expected, tuple):  # (cube or frame, report)
        assert_same_report(got[1], expected[1])
        got, expected = got[0], expected[0]
    if "count" in expected.columns:
        assert_cubes_equal(got, expected)
        assert list(got.columns) == list(expected.columns)
    else:
        pd.testing.assert_frame_equal(got, expected)


def assert_same_report(got: fs.ValidationReport, expected: fs.ValidationReport) -> None:
    assert got.n_rows == expected.n_rows
    pd.testing.assert_frame_equal(got.warnings, expected.warnings)
    assert got.added_columns == expected.added_columns
    assert got.coerced_columns == expected.coerced_columns
    assert got.assumptions == expected.assumptions


def both(call: Callable[[], Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    fast = outcome(call)
    with general_path():
        general = outcome(call)
    return fast, general


def gave_way(log: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in log.records if "fast" in r.getMessage()]


# --------------------------------------------------------------------------------------
# Files as national offices write them


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    frame = fs.synth.generate(7_000, seed=11)
    frame.loc[frame.index[::97], "victim_age"] = pd.NA
    return frame


def as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Every cell as the text a database export writes; missing stays missing."""
    out = frame.astype(object)
    return out.where(frame.notna(), None).map(lambda v: v if v is None else str(v))


@pytest.fixture(scope="module")
def files(data: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    where = tmp_path_factory.mktemp("arrow")
    paths = {
        "parquet_pandas": where / "pandas.parquet",
        "parquet_text": where / "text.parquet",
        "csv": where / "victims.csv",
        "csv_gz": where / "victims.csv.gz",
        "tsv": where / "victims.tsv",
    }
    # pandas' own Parquet (categoricals, nullable types), row groups smaller than batches.
    data.to_parquet(paths["parquet_pandas"], index=False, row_group_size=1_500)
    text = as_text(data)
    pq.write_table(
        pa.Table.from_pandas(text, preserve_index=False),
        paths["parquet_text"],
        row_group_size=2_500,
    )
    data.to_csv(paths["csv"], index=False)
    with gzip.open(paths["csv_gz"], "wt", encoding="utf-8", newline="") as handle:
        data.to_csv(handle, index=False)
    data.to_csv(paths["tsv"], index=False, sep="\t")
    return paths


KINDS = ["parquet_pandas", "parquet_text", "csv", "csv_gz", "tsv"]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("batch_rows", [1_000, 2_048, 100_000])
def test_counts_from_file_equal_the_general_path(
    files: dict[str, Path], kind: str, batch_rows: int, fast_log: pytest.LogCaptureFixture
) -> None:
    path = files[kind]
    fast, general = both(
        lambda: counts_from_file(
            path, BY, batch_rows=batch_rows, male_comparator=True, report=True, progress=False
        )
    )
    assert_same(fast, general)
    assert not gave_way(fast_log), "the fast path should read this file itself"


@pytest.mark.parametrize("kind", KINDS)
def test_cube_equals_the_in_memory_cube(
    files: dict[str, Path], kind: str, data: pd.DataFrame
) -> None:
    cube = counts_from_file(files[kind], BY, batch_rows=3_000, progress=False)
    assert_cubes_equal(cube, fs.counts(fs.validate(data), BY))


@pytest.mark.parametrize("kind", KINDS)
def test_read_equals_the_general_path(
    files: dict[str, Path], kind: str, fast_log: pytest.LogCaptureFixture
) -> None:
    fast, general = both(lambda: fs.read(files[kind], report=True))
    assert_same(fast, general)
    assert not gave_way(fast_log)


@pytest.mark.parametrize("kind", KINDS)
def test_read_reads_the_file_once(files: dict[str, Path], kind: str) -> None:
    # A pandas Parquet file of several row groups (categories per row group) used to be
    # decoded by the fast path, given up on, and read again by the general one.
    with mock.patch.object(readers, "read_raw", side_effect=AssertionError("read again")):
        fs.read(files[kind])


def test_read_joins_row_groups_whose_spellings_differ(tmp_path: Path, data: pd.DataFrame) -> None:
    path = tmp_path / "spellings.parquet"
    text = as_text(data)
    spelled = text.copy()
    spelled["victim_sex"] = (
        spelled["victim_sex"]
        .map({"female": "F", "male": "M"}, na_action="ignore")
        .fillna(spelled["victim_sex"])
    )
    halves = [
        pa.Table.from_pandas(part, preserve_index=False)
        for part in (text.iloc[:3_000], spelled.iloc[3_000:])
    ]
    with pq.ParquetWriter(path, halves[0].schema) as writer:
        for half in halves:
            writer.write_table(half.cast(halves[0].schema), row_group_size=1_000)
    assert pq.ParquetFile(path).metadata.num_row_groups == 7
    with mock.patch.object(readers, "read_raw", side_effect=AssertionError("read again")):
        fast = outcome(lambda: fs.read(path, report=True))
    with general_path():
        general = outcome(lambda: fs.read(path, report=True))
    assert_same(fast, general)
    women = fast["result"][0]["victim_sex"] == "female"
    assert women.sum() == (data["victim_sex"] == "female").sum()


def test_a_directory_is_read_once_and_alike(directory: Path) -> None:
    with mock.patch.object(readers, "read_raw", side_effect=AssertionError("read again")):
        fast = outcome(lambda: fs.read(directory, format="parquet", report=True))
    with general_path():
        general = outcome(lambda: fs.read(directory, format="parquet", report=True))
    assert fast["error"] is None
    assert_same(fast, general)


def test_the_fast_path_reads_text_columns_as_categoricals(files: dict[str, Path]) -> None:
    from femstat.sources.readers import fast_frames

    with fast_frames(files["csv"], columns=["victim_id", "victim_sex", "area"]) as fast:
        assert fast is not None
        (frame,) = list(fast.frames)
    assert isinstance(frame["victim_sex"].dtype, pd.CategoricalDtype)
    assert isinstance(frame["area"].dtype, pd.CategoricalDtype)
    # Identifiers keep the general path's form: text, never a category per victim.
    assert not isinstance(frame["victim_id"].dtype, pd.CategoricalDtype)
    # Only the values present, sorted; a code list's set in another order must never
    # pass for the code list's dtype.
    assert list(frame["victim_sex"].cat.categories) == sorted(frame["victim_sex"].dropna().unique())
    assert frame["victim_sex"].dtype != fs.codes.SEX.dtype


def test_a_mapping_gives_the_general_paths_cube(tmp_path: Path, data: pd.DataFrame) -> None:
    national = as_text(data.iloc[:3_000]).rename(
        columns={"victim_sex": "sexo", "year": "anio", "relationship": "vinculo"}
    )
    national["sexo"] = national["sexo"].map({"female": "M", "male": "H", "unknown": "?"})
    path = tmp_path / "national.csv"
    national.to_csv(path, index=False)
    mapping = {
        "columns": {
            "sexo": {"to": "victim_sex", "codes": {"M": "female", "H": "male"}, "unknown": ["?"]},
            "anio": {"to": "year"},
            "vinculo": {"to": "relationship"},
        }
    }
    for call in (
        lambda: counts_from_file(path, BY, mapping=mapping, batch_rows=700, report=True),
        lambda: fs.read(path, mapping, report=True),
    ):
        assert_same(*both(call))


# --------------------------------------------------------------------------------------
# Problems: the general path's own errors, warnings and row numbers


def write_csv(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


HEADER = "victim_id,year,victim_sex,victim_age,relationship,iccs_code,area\n"


def rows(n: int, **override: str) -> list[dict[str, str]]:
    base = {
        "victim_id": "",
        "year": "2020",
        "victim_sex": "female",
        "victim_age": "30",
        "relationship": "intimate_partner",
        "iccs_code": "0101",
        "area": "North",
    }
    out = []
    for i in range(n):
        row = dict(base, victim_id=f"V{i:05d}")
        out.append(row)
    for key, value in override.items():
        column, _, where = key.partition("__")
        out[int(where)][column] = value
    return out


def csv_text(records: list[dict[str, str]]) -> str:
    return HEADER + "".join(",".join(r.values()) + "\n" for r in records)


PROBLEMS = {
    "age_out_of_range": csv_text(rows(40, victim_age__33="130")),
    "age_not_whole": csv_text(rows(40, victim_age__2="30.5", victim_age__37="abc")),
    "unknown_code": csv_text(rows(40, relationship__25="neighbour")),
    "iccs_lost_zero": csv_text(rows(40, iccs_code__12="101")),
    "missing_year": csv_text(rows(40, year__39="")),
    "duplicate_ids_across_batches": csv_text(rows(40, victim_id__31="V00003")),
    "duplicate_ids_within_a_batch": csv_text(rows(40, victim_id__4="V00003")),
    "soft_warning": csv_text(rows(40, year__5="1890", year__30="1899")),
    "cut_last_line": csv_text(rows(40)) + "V99999,2020,female",
    "short_row_inside": csv_text(rows(10)) + "V99999,2020\n" + csv_text(rows(3))[len(HEADER) :],
    "long_row": csv_text(rows(10)) + "V99999,2020,female,30,stranger,0101,North,extra\n",
    "quoted_cells": HEADER + '"V1","2020"," female ","30","intimate_partner","0101","A, B"\n',
    "quoted_newline": HEADER + 'V1,2020,female,30,intimate_partner,0101,"North\nEast"\n',
    "blank_lines": HEADER + "\n" + "V1,2020,female,30,stranger,0101,N\n\n\n",
    "quoted_empty": HEADER + 'V1,"",female,30,stranger,0101,N\n',
    "only_header": HEADER,
    "required_columns_absent": "year,area,perpetrator_sex\n2020,N,male\n2021,S,\n",
    "crlf": csv_text(rows(12)).replace("\n", "\r\n"),
    "bom": "\ufeff" + csv_text(rows(12)),
    "repeated_column": HEADER.replace("area", "victim_sex") + csv_text(rows(5))[len(HEADER) :],
    "all_missing_age": csv_text(rows(5)).replace(",30,", ",,"),
    "namibia_area": csv_text(rows(5)).replace(",North\n", ",NA\n"),
    "full_width_digits": csv_text(rows(5, victim_age__1="３０", iccs_code__2="０１０１")),
}


NOT_TABLES = {"cut_last_line", "long_row"}  # refused as CSV: nothing to write as Parquet


@pytest.mark.parametrize(
    ("name", "kind"),
    [(name, "csv") for name in sorted(PROBLEMS)]
    + [(name, "parquet") for name in sorted(PROBLEMS) if name not in NOT_TABLES],
)
def test_problems_give_the_general_paths_answer(tmp_path: Path, name: str, kind: str) -> None:
    path = write_csv(tmp_path / "victims.csv", PROBLEMS[name])
    if kind == "parquet":
        with general_path():
            frame = fs.sources.read_raw(path)
        path = tmp_path / "victims.parquet"
        pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path)
    assert_same(*both(lambda: counts_from_file(path, ["year", "area"], batch_rows=16)))
    assert_same(*both(lambda: counts_from_file(path, ["year"], batch_rows=16, report=True)))
    assert_same(*both(lambda: fs.read(path)))


def test_a_failing_batch_is_handed_to_the_general_path(
    tmp_path: Path, fast_log: pytest.LogCaptureFixture
) -> None:
    path = write_csv(tmp_path / "v.csv", PROBLEMS["age_out_of_range"])
    with pytest.raises(fs.ValidationError) as caught:
        counts_from_file(path, ["year"], batch_rows=16)
    assert gave_way(fast_log) == ["fast path: batch 3 fails validation"]
    message = str(caught.value)
    assert "batch 3" in message and "rows from row 32" in message
    assert "130" in message and "(rows 33)" in message


def test_identifiers_never_appear_in_the_fast_paths_errors(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "v.csv", PROBLEMS["duplicate_ids_across_batches"])
    with pytest.raises(fs.ValidationError) as caught:
        counts_from_file(path, ["year"], batch_rows=16)
    assert "V00003" not in str(caught.value)
    assert "V00003" not in caught.value.failure_cases.to_string()


def test_another_encoding_is_read_by_the_general_path(
    tmp_path: Path, fast_log: pytest.LogCaptureFixture
) -> None:
    text = csv_text(rows(6)).replace("North", "Región Norte")
    path = write_csv(tmp_path / "v.csv", text, encoding="cp1252")
    assert_same(*both(lambda: counts_from_file(path, ["area"], encoding="cp1252")))
    fast, general = both(lambda: counts_from_file(path, ["area"]))  # UTF-8 assumed: refused
    assert isinstance(general["error"], fs.SourceError)
    assert_same(fast, general)


def test_the_decompression_limit_holds_on_the_fast_path(tmp_path: Path) -> None:
    path = tmp_path / "bomb.csv.gz"
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        handle.write(HEADER)
        line = "V1,2020,female,30,stranger,0101,North\n"
        handle.write(line * 200_000)
    fast, general = both(lambda: counts_from_file(path, ["year"], max_decompressed=1_000_000))
    assert isinstance(general["error"], fs.SourceError)
    assert "expands to more than" in str(general["error"])
    assert_same(fast, general)


def test_fast_path_can_be_turned_off(
    files: dict[str, Path], fast_log: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(arrow.ENV_VAR, "0")
    assert not arrow.enabled()
    from femstat.sources.readers import fast_frames

    with fast_frames(files["csv"]) as fast:
        assert fast is None


def test_a_long_stream_chooses_the_kernel_by_the_files_size(
    files: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    chosen: list[int] = []
    real = _kernel.resolve

    def spy(kernel: str | None = None, n_rows: int = 0) -> str:
        chosen.append(max(n_rows, _kernel.AUTO_ROWS_HINT.get()))
        return real("numpy")

    monkeypatch.setattr(_kernel, "resolve", spy)
    counts_from_file(files["parquet_pandas"], ["year"], batch_rows=1_000, progress=False)
    assert chosen and min(chosen) == 7_000  # the file's rows, not a batch's
    assert _kernel.AUTO_ROWS_HINT.get() == 0  # and only while the file is counted


def test_large_row_groups_are_read_a_batch_at_a_time(tmp_path: Path, data: pd.DataFrame) -> None:
    path = tmp_path / "one_group.parquet"
    data.to_parquet(path, index=False, row_group_size=len(data))
    reading = arrow.plan(["year", "victim_sex"], None)
    found = arrow.parquet_tables(path, reading, 1_000)
    assert found is not None
    sizes = [t.num_rows for t in found.tables]
    assert max(sizes) <= 1_000 and sum(sizes) == len(data)


# --------------------------------------------------------------------------------------
# The compiled kernel in the default install


def test_the_all_extra_installs_numba() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]

    def expand(name: str, seen: frozenset[str] = frozenset()) -> set[str]:
        out: set[str] = set()
        for requirement in extras[name]:
            if requirement.startswith("femstat["):
                for inner in requirement[len("femstat[") : requirement.index("]")].split(","):
                    if inner not in seen:
                        out |= expand(inner, seen | {name})
            else:
                out.add(requirement.split(">")[0].split("=")[0].split("[")[0].strip())
        return out

    assert "numba" in expand("all")
    assert "numba" not in {r.split(">")[0] for r in project["dependencies"]}


def test_without_numba_auto_counts_with_numpy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_kernel, "numba_available", lambda: False)
    monkeypatch.delenv(_kernel.ENV_VAR, raising=False)
    assert _kernel.resolve(None, 10**9) == "numpy"
    frame = fs.validate(fs.synth.generate(3_000, seed=2))
    with mock.patch.dict(os.environ, {_kernel.ENV_VAR: "numpy"}):
        expected = fs.counts(frame, ["year", "area"])
    assert_cubes_equal(fs.counts(frame, ["year", "area"]), expected)
    assert int(expected["count"].sum()) == 3_000
    assert np.issubdtype(expected["count"].dtype, np.integer)


# --------------------------------------------------------------------------------------
# A directory of Parquet files: the fast path, and Dask on a two-process cluster


@pytest.fixture(scope="module")
def directory(data: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> Path:
    where = tmp_path_factory.mktemp("dataset")
    table = pa.Table.from_pandas(data, preserve_index=False)
    for k, start in enumerate(range(0, len(data), 2_500)):
        part = table.slice(start, 2_500)
        pq.write_table(part, where / f"part-{k:02d}.parquet", row_group_size=900)
    return where


def test_a_directory_counts_alike_through_both_paths(
    directory: Path, fast_log: pytest.LogCaptureFixture
) -> None:
    fast, general = both(
        lambda: counts_from_file(directory, BY, format="parquet", batch_rows=400, report=True)
    )
    assert_same(fast, general)
    assert not gave_way(fast_log)


def test_dask_counts_a_directory_on_a_two_process_cluster(
    directory: Path, data: pd.DataFrame
) -> None:
    from distributed import Client, LocalCluster

    import femstat.dask as fsd

    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster),
    ):
        cube = fsd.counts_from_parquet(directory, BY, male_comparator=True)
    assert_cubes_equal(cube, fs.counts(fs.validate(data), BY, male_comparator=True))
    assert_cubes_equal(
        cube, counts_from_file(directory, BY, format="parquet", male_comparator=True)
    )
