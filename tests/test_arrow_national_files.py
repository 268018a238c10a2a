"""The Arrow-native reading on the real national files of Ecuador and Peru.

Ecuador's and Peru's files are read as they are published (CSV, Peru's with a byte order
mark and the two columns its mapping file asks the caller to supply), through their
mapping files, and also rewritten as Parquet text columns (files made from the SHR
are compared in ``tests/sources/test_arrow_shr_real.py``). Each file is counted with
:func:`femstat.stream.counts_from_file` and read with :func:`femstat.read` by the fast
path and by the general one
(``FEMSTAT_FAST_READ=0``): cubes, reports, warnings and errors must be the same, and the
fast path must have read the file itself rather than given way.

The files live in ``shared/data/`` beside the repository; without them these tests fail
when ``CI`` is set and are skipped otherwise (as in ``test_national_files.py``).
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

import femstat as fs
from femstat.stream import counts_from_file
from test_arrow_ingest import assert_same, both, gave_way
from test_national_files import ECUADOR, MAPPINGS, PERU, locate, shared_file

BY = ["year", "area", "age_group"]


def national(name: str) -> Path:
    return locate(shared_file(name), os.environ)


def as_parquet_text(csv_path: Path, target: Path) -> Path:
    """The CSV's cells, every one as text and an empty cell as missing, in Parquet."""
    names = pacsv.read_csv(csv_path).column_names
    options = pacsv.ConvertOptions(
        column_types={n: pa.string() for n in names},
        null_values=[""],
        strings_can_be_null=True,
    )
    pq.write_table(pacsv.read_csv(csv_path, convert_options=options), target, row_group_size=700)
    return target


FILES = {
    "ecuador": (ECUADOR, "ecuador_violent_deaths.toml"),
    "peru": (PERU, "peru_cem.toml"),
}


@pytest.fixture(scope="module")
def national_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Path]]:
    where = tmp_path_factory.mktemp("national")
    out: dict[str, tuple[Path, Path]] = {}
    for key, (name, mapping) in FILES.items():
        source = national(name)
        if key == "peru":
            # The register has no sex or year column (all women, one year): the caller
            # supplies them, as its mapping file says; written back with its byte order mark.
            raw = pd.read_csv(source, dtype=str, keep_default_na=False, encoding="utf-8-sig")
            raw["victim_sex"], raw["year"] = "female", "2023"
            source = where / "peru.csv"
            raw.to_csv(source, index=False, encoding="utf-8-sig")
        out[f"{key}_csv"] = (source, MAPPINGS / mapping)
        out[f"{key}_parquet"] = (
            as_parquet_text(source, where / f"{key}.parquet"),
            MAPPINGS / mapping,
        )
    return out


NATIONAL = ["ecuador_csv", "ecuador_parquet", "peru_csv", "peru_parquet"]


@pytest.mark.parametrize("kind", NATIONAL)
def test_national_files_count_alike_through_both_paths(
    national_files: dict[str, tuple[Path, Path]], kind: str, fast_log: pytest.LogCaptureFixture
) -> None:
    path, mapping = national_files[kind]
    fast, general = both(
        lambda: counts_from_file(
            path, BY, mapping=mapping, batch_rows=500, report=True, progress=False
        )
    )
    assert fast["error"] is None
    assert_same(fast, general)
    assert int(fast["result"][0]["count"].sum()) == fast["result"][1].n_rows
    assert not gave_way(fast_log), "the fast path should read this file itself"


@pytest.mark.parametrize("kind", NATIONAL)
def test_national_files_read_alike_through_both_paths(
    national_files: dict[str, tuple[Path, Path]], kind: str, fast_log: pytest.LogCaptureFixture
) -> None:
    path, mapping = national_files[kind]
    fast, general = both(lambda: fs.read(path, mapping, report=True))
    assert fast["error"] is None
    assert_same(fast, general)
    assert not gave_way(fast_log)
