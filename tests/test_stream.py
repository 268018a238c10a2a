"""femstat.stream: count cubes from files in batches equal the in-memory cubes."""

from __future__ import annotations

import tracemalloc
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute
import pyarrow.parquet as pq
import pyreadstat
import pytest

import femstat as fs
import femstat._cube as cube_module
import femstat.stream as stream_module
from femstat import codes as C
from femstat.sources.readers import fast_frames, iter_raw, raw_info, read_raw
from femstat.stream import CubeAccumulator, counts_from_file
from femstat.testing import assert_cubes_equal

N = 12_345
BY = ["year", "area", "age_group", "relationship_group"]


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    return fs.synth.generate(N, seed=11)


@pytest.fixture(scope="module")
def whole(data: pd.DataFrame) -> pd.DataFrame:
    return fs.counts(data, BY, male_comparator=True)


def assert_same_cube(streamed: pd.DataFrame, expected: pd.DataFrame) -> None:
    """Same cells and counts, and the very same frame (dtypes, row order)."""
    assert_cubes_equal(streamed, expected)
    assert streamed.dtypes.to_dict() == expected.dtypes.to_dict()
    if not streamed.equals(expected):  # assert_frame_equal is slow on categoricals: only
        pd.testing.assert_frame_equal(streamed, expected)  # to explain a difference


# --------------------------------------------------------------------------------------
# Parquet and CSV


@pytest.fixture(scope="module")
def parquet(data: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("stream") / "victims.parquet"
    data.to_parquet(path, row_group_size=5_000)
    return path


@pytest.fixture(scope="module")
def csv(data: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("stream") / "victims.csv"
    data.to_csv(path, index=False)  # text codes, True/False/empty for criteria
    return path


@pytest.mark.parametrize("batch_rows", [1_000, 4_096, N, 100_000])
@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_file_cube_equals_in_memory_cube(
    fmt: str, batch_rows: int, request: pytest.FixtureRequest, whole: pd.DataFrame
) -> None:
    path: Path = request.getfixturevalue(fmt)
    streamed = counts_from_file(path, BY, batch_rows=batch_rows, male_comparator=True)
    assert_same_cube(streamed, whole)


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_file_cube_equals_cube_of_the_file_read_whole(
    fmt: str, request: pytest.FixtureRequest
) -> None:
    path: Path = request.getfixturevalue(fmt)
    by = ["year", "mechanism", "victim_migrant"]
    expected = fs.counts(fs.read(path), by)
    assert_cubes_equal(counts_from_file(path, by, batch_rows=3_000), expected)


def test_tiny_batches_and_batches_that_do_not_divide_the_rows(tmp_path: Path) -> None:
    small = fs.synth.generate(50, seed=2)
    path = tmp_path / "small.csv"
    small.to_csv(path, index=False)
    expected = fs.counts(small, ["year", "area"])
    for batch_rows in (1, 7, 49, 50, 64):
        assert_same_cube(counts_from_file(path, ["year", "area"], batch_rows=batch_rows), expected)


def test_free_levels_are_the_union_over_batches(tmp_path: Path) -> None:
    # Sorted by year, each batch sees only one or two years: the cube still has them all.
    data = fs.synth.generate(3_000, seed=4).sort_values("year", kind="stable")
    data = data.reset_index(drop=True)
    path = tmp_path / "sorted.parquet"
    data.to_parquet(path)
    streamed = counts_from_file(path, ["year", "area"], batch_rows=250)
    assert_same_cube(streamed, fs.counts(data, ["year", "area"]))


def test_boolean_breakdown_keeps_its_level_order_when_levels_differ(tmp_path: Path) -> None:
    data = fs.synth.generate(3_000, seed=4).sort_values("year", kind="stable")
    path = tmp_path / "sorted.parquet"
    data.reset_index(drop=True).to_parquet(path)
    by = ["year", "victim_migrant"]
    streamed = counts_from_file(path, by, batch_rows=250)
    assert_cubes_equal(streamed, fs.counts(data, by), check_dtype=True)


def test_rules_and_age_groups_pass_through(parquet: Path, data: pd.DataFrame) -> None:
    national = fs.RuleSet(
        name="only_sexual_violence",
        criteria=("sexual_violence",),
        type_column="national_type",
        criteria_column="national_criteria",
    )
    by = ["age_group"]
    expected = fs.counts(
        data, by, type_column="national_type", rules=national, age_groups="five_year"
    )
    streamed = counts_from_file(
        parquet, by, rules=national, age_groups="five_year", batch_rows=2_000
    )
    assert_same_cube(streamed, expected)


def test_only_the_needed_columns_are_read(tmp_path: Path, data: pd.DataFrame) -> None:
    broken = data.astype({"mechanism": object})
    broken.loc[100, "mechanism"] = "not a mechanism"
    path = tmp_path / "broken.csv"
    broken.to_csv(path, index=False)
    with pytest.raises(fs.ValidationError):
        fs.read(path)  # the whole-file reader checks every column
    # Not needed for a count by year: not read, so not reported.
    assert_same_cube(counts_from_file(path, ["year"], batch_rows=5_000), fs.counts(data, ["year"]))
    with pytest.raises(fs.ValidationError, match="mechanism"):
        counts_from_file(path, ["mechanism"], batch_rows=5_000)


def test_reads_are_projected(
    monkeypatch: pytest.MonkeyPatch, parquet: Path, data: pd.DataFrame
) -> None:
    seen: list[list[str]] = []

    def spy(*args: Any, **kwargs: Any) -> Any:
        seen.append(list(kwargs["columns"]))
        return iter_raw(*args, **kwargs)

    def fast_spy(*args: Any, **kwargs: Any) -> Any:  # the Arrow-native reader, tried first
        seen.append(list(kwargs["columns"]))
        return fast_frames(*args, **kwargs)

    monkeypatch.setattr(stream_module, "iter_raw", spy)
    monkeypatch.setattr(stream_module, "fast_frames", fast_spy)
    counts_from_file(parquet, ["year", "place"], batch_rows=5_000)
    expected = {
        "victim_id", "year", "victim_sex", "victim_age", "relationship", "iccs_code", "place",
        *C.CRITERIA,
    }  # fmt: skip
    assert seen == [[c for c in data.columns if c in expected]]
    seen.clear()
    counts_from_file(parquet, ["year"], batch_rows=5_000, check_unique_ids=False)
    assert "victim_id" not in seen[0]


# --------------------------------------------------------------------------------------
# SPSS and Stata: numeric codes with value labels, and a mapping, as a national file


RELATIONSHIP_NUMBER = {code: i + 1 for i, code in enumerate(C.RELATIONSHIP.codes)}
NATIONAL_LABELS: dict[str, dict[float, str]] = {
    "sexo": {1.0: "Hombre", 2.0: "Mujer", 9.0: "No consta"},
    "vinculo": {float(n): f"Vínculo {code}" for code, n in RELATIONSHIP_NUMBER.items()},
    **{f"c_{i}": {1.0: "Sí", 0.0: "No"} for i in range(len(C.CRITERIA))},
}
BY_CODE: dict[str, Any] = {
    "columns": {
        "id": {"to": "victim_id"},
        "anio": {"to": "year"},
        "region": {"to": "area"},
        "delito": {"to": "iccs_code"},
        "sexo": {"to": "victim_sex", "codes": {"1": "male", "2": "female"}, "unknown": ["9"]},
        "edad": {"to": "victim_age", "unknown": ["999"]},
        "vinculo": {
            "to": "relationship",
            "codes": {str(n): code for code, n in RELATIONSHIP_NUMBER.items()},
        },
        **{
            f"c_{i}": {"to": name, "codes": {"1": True, "0": False}}
            for i, name in enumerate(C.CRITERIA)
        },
    }
}
BY_LABEL: dict[str, Any] = {
    "columns": {
        **BY_CODE["columns"],
        "sexo": {
            "to": "victim_sex",
            "codes": {"Mujer": "female", "Hombre": "male"},
            "unknown": ["No consta"],
        },
    }
}


def national_file(data: pd.DataFrame) -> pd.DataFrame:
    """The synthetic data as a national office would store it: numbers and labels."""
    sex = data["victim_sex"].map({"male": 1.0, "female": 2.0, "unknown": 9.0})
    out = {
        "id": data["victim_id"].astype(float),
        "anio": data["year"].astype(float),
        "region": data["area"].astype(str),
        "delito": data["iccs_code"].astype(str),
        "sexo": sex.astype(float),
        "edad": data["victim_age"].astype("Float64").fillna(999).astype(float),
        "vinculo": data["relationship"].map(RELATIONSHIP_NUMBER).astype(float),
    }
    for i, name in enumerate(C.CRITERIA):
        out[f"c_{i}"] = data[name].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    return pd.DataFrame(out)


@pytest.fixture(scope="module")
def small(data: pd.DataFrame) -> pd.DataFrame:
    return data.iloc[:4_000].reset_index(drop=True)


@pytest.mark.parametrize("ext", ["sav", "dta"])
@pytest.mark.parametrize("mapping", [BY_CODE, BY_LABEL], ids=["by code", "by label"])
def test_spss_and_stata_with_labels_and_a_mapping(
    ext: str, mapping: dict[str, Any], tmp_path: Path, small: pd.DataFrame
) -> None:
    path = tmp_path / f"national.{ext}"
    writer = pyreadstat.write_sav if ext == "sav" else pyreadstat.write_dta
    writer(national_file(small), str(path), variable_value_labels=NATIONAL_LABELS)
    by = ["year", "area", "age_group", "relationship_group"]
    streamed = counts_from_file(path, by, mapping=mapping, batch_rows=1_500)
    # Equal to the file read whole, and to the data the file was made from.
    assert_same_cube(streamed, fs.counts(fs.read(path, mapping), by))
    assert_same_cube(streamed, fs.counts(small, by))


def test_spss_error_names_the_file_row(tmp_path: Path, small: pd.DataFrame) -> None:
    national = national_file(small)
    national.loc[2_345, "vinculo"] = 55.0  # not in the mapping
    path = tmp_path / "national.sav"
    pyreadstat.write_sav(national, str(path), variable_value_labels=NATIONAL_LABELS)
    with pytest.raises(fs.ValidationError) as caught:
        counts_from_file(path, ["year"], mapping=BY_CODE, batch_rows=1_000)
    cases = caught.value.failure_cases
    assert cases["rows"].tolist() == [[2_345]]
    assert "batch 3 of file 'national.sav'" in str(caught.value)
    assert "rows 2345" in str(caught.value)


# --------------------------------------------------------------------------------------
# Errors and whole-data checks


def test_validation_error_names_the_file_row_not_the_batch_row(
    tmp_path: Path, data: pd.DataFrame
) -> None:
    raw = data.astype({"victim_sex": object})
    raw.loc[[2_503, 2_999], "victim_sex"] = "martian"
    path = tmp_path / "bad.csv"
    raw.to_csv(path, index=False)
    with pytest.raises(fs.ValidationError) as caught:
        counts_from_file(path, ["year"], batch_rows=1_000)
    error = caught.value
    assert error.failure_cases["rows"].tolist() == [[2_503, 2_999]]
    assert "batch 3 of file 'bad.csv' (1,000 rows from row 2,000)" in str(error)
    # The in-memory validation of the whole file says the same rows and what to do.
    with pytest.raises(fs.ValidationError) as whole_error:
        fs.read(path)
    assert whole_error.value.failure_cases["rows"].tolist() == [[2_503, 2_999]]
    hint = whole_error.value.hint
    assert hint is not None and hint.startswith("What to do: recode these values")
    assert error.hint == hint and str(error).endswith(hint)
    assert not error.truncated


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_duplicate_ids_across_batches_are_caught(
    fmt: str, tmp_path: Path, data: pd.DataFrame
) -> None:
    raw = data.copy()
    raw.loc[9_000, "victim_id"] = 17  # batch 10; its twin is in batch 1
    raw.loc[[5_000, 6_001], "victim_id"] = 4_321  # batches 6 and 7; the first at 4321
    path = tmp_path / f"dup.{fmt}"
    raw.to_parquet(path) if fmt == "parquet" else raw.to_csv(path, index=False)
    with pytest.raises(fs.ValidationError) as caught:
        counts_from_file(path, ["year"], batch_rows=1_000)
    cases = caught.value.failure_cases
    assert cases["check"].tolist() == ["unique", "unique"]
    assert cases["rows"].tolist() == [[17, 9_000], [4_321, 5_000, 6_001]]
    assert cases["n_rows"].tolist() == [2, 3]
    # Parquet keeps integer ids; CSV reads them as text, compared by hash and confirmed.
    # Either way the ids themselves are withheld: identifiers are never echoed.
    assert cases["value"].tolist() == ["<withheld>", "<withheld>"]
    assert "2 victim_id value(s) occur in more than one row" in str(caught.value)
    # Without the check, the ids are not even read.
    cube = counts_from_file(path, ["year"], batch_rows=1_000, check_unique_ids=False)
    assert int(cube["count"].sum()) == N


def test_duplicate_ids_within_one_batch_are_caught_too(tmp_path: Path, data: pd.DataFrame) -> None:
    raw = data.copy()
    raw.loc[1_500, "victim_id"] = 1_200
    path = tmp_path / "dup.parquet"
    raw.to_parquet(path)
    with pytest.raises(fs.ValidationError) as caught:
        counts_from_file(path, ["year"], batch_rows=1_000)
    assert caught.value.failure_cases["rows"].tolist() == [[1_200, 1_500]]


def test_hash_collisions_are_not_reported_as_duplicates(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, data: pd.DataFrame
) -> None:
    # A hash with only 10 values: nearly every id "collides"; only true repeats count.
    monkeypatch.setattr(
        cube_module,
        "_hash",
        lambda values: np.array([len(str(v)) % 10 for v in values], dtype=np.uint64),
    )
    raw = data.assign(victim_id=[f"V-{i}" for i in range(N)])
    path = tmp_path / "ids.csv"
    raw.to_csv(path, index=False)
    assert int(counts_from_file(path, ["year"], batch_rows=2_000)["count"].sum()) == N
    raw.loc[8_000, "victim_id"] = "V-12"
    raw.to_csv(path, index=False)
    with pytest.raises(fs.ValidationError) as caught:
        counts_from_file(path, ["year"], batch_rows=2_000)
    cases = caught.value.failure_cases
    assert cases["value"].tolist() == ["<withheld>"]
    assert "V-12" not in str(caught.value)
    assert cases["rows"].tolist() == [[12, 8_000]]


def test_empty_file_is_an_error(tmp_path: Path, data: pd.DataFrame) -> None:
    path = tmp_path / "empty.csv"
    data.iloc[:0].to_csv(path, index=False)
    with pytest.raises(fs.ValidationError, match="0 rows"):
        counts_from_file(path, ["year"])


def test_excel_cannot_be_streamed(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="cannot be read in batches"):
        counts_from_file(tmp_path / "x.xlsx", ["year"])


def test_warnings_of_all_batches_come_as_one(tmp_path: Path, data: pd.DataFrame) -> None:
    raw = data.copy()
    rows = [10, 2_010, 4_010, 9_999]
    raw.loc[rows, "relationship"] = "stranger"
    raw.loc[rows, "prior_violence"] = True
    raw = raw.drop(columns="iccs_code")
    path = tmp_path / "soft.parquet"
    raw.to_parquet(path)
    with pytest.warns(fs.DataQualityWarning) as record:
        counts_from_file(path, ["year"], batch_rows=1_000)
    assert len(record) == 1
    assert "[stranger_with_prior_violence] 4 rows" in str(record[0].message)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cube, report = counts_from_file(path, ["year"], batch_rows=1_000, report=True)
    assert report.n_rows == N
    assert report.warnings["rows"].tolist() == [rows]
    assert report.warnings["n_rows"].tolist() == [4]
    in_memory = fs.validate(raw, report=True)[1]
    assert report.warnings["rows"].tolist() == in_memory.warnings["rows"].tolist()
    # what validation assumed of every record (no iccs_code: all ICCS 0101) is said once
    assert report.assumptions == in_memory.assumptions
    assert len(report.assumptions) == 1 and "0101" in report.assumptions[0]
    assert_same_cube(cube, fs.counts(fs.validate(raw, report=True)[0], ["year"]))


# --------------------------------------------------------------------------------------
# Progress bar


def test_progress_bar_on_request_and_never_when_off(
    parquet: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    counts_from_file(parquet, ["year"], batch_rows=5_000, progress=True)
    shown = capsys.readouterr().err
    assert "victims.parquet" in shown
    assert f"{N}/{N}" in shown.replace(",", "")
    counts_from_file(parquet, ["year"], batch_rows=5_000, progress=False)
    counts_from_file(parquet, ["year"], batch_rows=5_000)  # stderr is not a terminal here
    assert capsys.readouterr().err == ""


# --------------------------------------------------------------------------------------
# The batch reader and the accumulator


@pytest.mark.parametrize("fmt", ["parquet", "csv", "sav", "dta"])
def test_batches_are_slices_of_the_whole_read(
    fmt: str, tmp_path: Path, small: pd.DataFrame
) -> None:
    path = tmp_path / f"x.{fmt}"
    if fmt == "parquet":
        small.to_parquet(path)
    elif fmt == "csv":
        small.to_csv(path, index=False)
    else:
        writer = pyreadstat.write_sav if fmt == "sav" else pyreadstat.write_dta
        writer(national_file(small), str(path), variable_value_labels=NATIONAL_LABELS)
    info = raw_info(path)
    columns = list(info.columns[1:6])
    batches = list(iter_raw(path, columns=columns, batch_rows=1_234))
    assert [len(b) for b in batches] == [1_234, 1_234, 1_234, 298]
    pd.testing.assert_frame_equal(pd.concat(batches), read_raw(path)[columns])
    assert info.n_rows == (None if fmt == "csv" else len(small))


def test_partly_labelled_column_in_later_batch(tmp_path: Path) -> None:
    frame = pd.DataFrame({"sexo": [1.0, 2.0, 1.0, 2.0, 7.0, 1.0]})
    labels = {"sexo": {1.0: "Hombre", 2.0: "Mujer"}}
    path = tmp_path / "x.sav"
    pyreadstat.write_sav(frame, str(path), variable_value_labels=labels)
    assert read_raw(path)["sexo"].tolist() == frame["sexo"].tolist()  # 7 has no label
    # The first batches are fully labelled; a batch read cannot take them back.
    with pytest.raises(ValueError, match="value_labels='codes'"):
        list(iter_raw(path, batch_rows=2))
    batches = list(iter_raw(path, batch_rows=2, value_labels="codes"))
    assert pd.concat(batches)["sexo"].tolist() == frame["sexo"].tolist()
    # The other way round, codes stay codes, as in the whole read.
    path2 = tmp_path / "y.sav"
    pyreadstat.write_sav(frame.iloc[::-1], str(path2), variable_value_labels=labels)
    streamed = pd.concat(iter_raw(path2, batch_rows=2))
    pd.testing.assert_frame_equal(streamed, read_raw(path2))


def test_accumulator_adds_any_parts(data: pd.DataFrame) -> None:
    accumulator = CubeAccumulator(BY, male_comparator=True)
    for start, stop in [(0, 1), (1, 5_000), (5_000, 5_000), (5_000, N)]:
        accumulator.add(data.iloc[start:stop])
    assert accumulator.n_rows == N
    assert_same_cube(accumulator.result(), fs.counts(data, BY, male_comparator=True))
    with pytest.raises(fs.ValidationError, match="0 rows"):
        CubeAccumulator(["year"]).result()


# --------------------------------------------------------------------------------------
# Memory


def _peak_memory(run: Callable[[], object]) -> int:
    """Peak bytes allocated while ``run`` runs: Python objects and NumPy arrays
    (tracemalloc) plus Arrow buffers, which include pandas' pyarrow-backed strings (a
    proxy of Arrow's memory pool with its own statistics)."""
    pool = pa.proxy_memory_pool(pa.default_memory_pool())
    previous = pa.default_memory_pool()
    pa.set_memory_pool(pool)
    tracemalloc.start()
    try:
        run()
        python_peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
        pa.set_memory_pool(previous)
    return python_peak + int(pool.max_memory())


def test_memory_stays_bounded(tmp_path: Path) -> None:
    # The same 400,000 victims, once and four times over (with new ids): streaming
    # memory must not grow with the file, while reading it whole grows fourfold.
    n = 400_000
    frame = fs.synth.generate(n, seed=5)
    frame_bytes = int(frame.memory_usage(deep=True).sum()) * 4
    table = pa.Table.from_pandas(frame, preserve_index=False)
    del frame
    small, big = tmp_path / "small.parquet", tmp_path / "big.parquet"
    pq.write_table(table, small)
    ids = table.column("victim_id")
    with pq.ParquetWriter(big, table.schema) as writer:
        for k in range(4):
            shifted = pa.compute.add(ids, pa.scalar(k * n, pa.int64()))
            writer.write_table(table.set_column(0, "victim_id", shifted))
    del table, ids, shifted
    by = ["year", "area"]

    def stream(path: Path) -> Callable[[], object]:
        # Ids off: their check costs 8-16 bytes per row by design (see the docstring).
        return lambda: counts_from_file(path, by, batch_rows=100_000, check_unique_ids=False)

    peaks = {
        "stream small": _peak_memory(stream(small)),
        "stream big": _peak_memory(stream(big)),
        "whole small": _peak_memory(lambda: fs.counts(fs.read(small), by)),
        "whole big": _peak_memory(lambda: fs.counts(fs.read(big), by)),
    }
    mib = 2**20
    print(
        "peak allocated, MiB: "
        + ", ".join(f"{name} {peak / mib:.0f}" for name, peak in peaks.items())
        + f"; the 1,600,000-row frame {frame_bytes / mib:.0f}"
    )
    # The measure sees growth: four times the rows, at least twice the peak (the
    # Arrow-native read keeps codes as dictionaries, so a fixed part weighs more).
    assert peaks["whole big"] > 2 * peaks["whole small"]
    assert peaks["stream big"] < 1.25 * peaks["stream small"] + 4 * mib  # bounded
    assert peaks["stream big"] < peaks["whole big"] / 4
    assert peaks["stream big"] < frame_bytes / 3
