"""The fast path on files derived from the real 2015 SHR national file (ICPSR 36790).

The SHR file is read once with :func:`femstat.read_shr`, written as CSV and as Parquet the
way an office would export it (every cell as text), and counted from those files by both
readers: the cubes and reports must be the same, and equal to the cube of the frame itself.
The file is looked for in ``shared/data/`` beside the repository or above it; as in
``test_sources_shr_real.py``, its absence fails under CI and skips elsewhere.
"""

from __future__ import annotations

import logging
import os
import warnings
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from test_sources_shr_real import locate

import femstat as fs
from femstat.errors import DataQualityWarning
from femstat.sources import read_shr
from femstat.stream import counts_from_file
from femstat.testing import assert_cubes_equal
from test_arrow_ingest import assert_same, both, gave_way

REPO = Path(__file__).resolve().parents[2]
NAME = "us_shr_2015_icpsr36790.zip"


def shared_file(name: str) -> Path:
    """``shared/data/<name>`` in the repository's parent folder or any folder above it."""
    for folder in REPO.parents:
        candidate = folder / "shared" / "data" / name
        if candidate.is_file():
            return candidate
    return REPO / ".." / "shared" / "data" / name


@pytest.fixture(scope="module")
def shr() -> pd.DataFrame:
    path = locate(shared_file(NAME), os.environ)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        return read_shr(path)


KINDS = ["csv", "parquet", "parquet_pandas"]


@pytest.fixture(scope="module")
def exports(shr: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    where = tmp_path_factory.mktemp("shr")
    text = shr.astype(object).where(shr.notna(), None)
    text = text.map(lambda v: v if v is None else str(v))
    paths = {
        "csv": where / "shr.csv",
        "parquet": where / "shr.parquet",
        "parquet_pandas": where / "shr_pandas.parquet",
    }
    text.to_csv(paths["csv"], index=False)
    # pandas' own Parquet of the validated frame: categories stored per row group.
    shr.to_parquet(paths["parquet_pandas"], index=False, row_group_size=4_000)
    pq.write_table(
        pa.Table.from_pandas(text, preserve_index=False), paths["parquet"], row_group_size=3_000
    )
    return paths


@pytest.mark.parametrize("kind", KINDS)
def test_shr_exports_count_alike_through_both_paths(
    exports: dict[str, Path], shr: pd.DataFrame, kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="femstat")
    by = ["year", "age_group", "perpetrator_sex"]
    fast, general = both(
        lambda: counts_from_file(
            exports[kind], by, batch_rows=4_000, male_comparator=True, report=True
        )
    )
    assert_same(fast, general)
    assert not gave_way(caplog)
    cube = fast["result"][0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        expected = fs.counts(fs.validate(shr), by, male_comparator=True)
    assert_cubes_equal(cube, expected)


@pytest.mark.parametrize("kind", KINDS)
def test_shr_exports_read_alike_through_both_paths(
    exports: dict[str, Path], kind: str, fast_log: pytest.LogCaptureFixture
) -> None:
    fast, general = both(lambda: fs.read(exports[kind], report=True))
    assert fast["error"] is None
    assert_same(fast, general)
    assert not gave_way(fast_log), "the fast path should read this file itself"
