"""Hostile input through both readers: the fast path answers exactly as the general path.

Tables of the schema's columns (and a free-text one) are drawn with hostile cells: the
ways people spell codes, empty and blank cells, unknown spellings, numbers written every
way, full-width digits, quotes, delimiters and line breaks inside cells, non-ASCII text.
Each is written as CSV (with the csv module's quoting) and as Parquet (text columns), then
counted with :func:`femstat.stream.counts_from_file` in small batches and read with
:func:`femstat.read`, once by the fast path and once by the general one
(``FEMSTAT_FAST_READ=0``): the cubes, reports, exceptions (type, message, failure cases)
and warnings must be the same.
"""

from __future__ import annotations

import csv
import shutil
import tempfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import femstat as fs
from femstat.schemas import victim_variables
from femstat.spellings import code_spellings
from femstat.stream import counts_from_file
from femstat.validate import _CODE_LISTS
from test_arrow_ingest import assert_same, both

pytestmark = pytest.mark.slow

VARIABLES = victim_variables()
COLUMNS = [n for n in VARIABLES if n != "event_id"]
REQUIRED = ["victim_sex", "victim_age", "relationship"]

ODD = st.sampled_from(
    [
        "",
        " ",
        "NA",
        "n/a",
        "unknown",
        "nan",
        "inf",
        "1e2",
        "30.0",
        "30.5",
        "-1",
        "３０",
        "٣٠",
        "0101",
        "101",
        "01011",
        "yes",
        "No",
        "TRUE",
        "2020",
        "2020-03-01",
        "20200301",
        'a "quoted" cell',
        "comma, inside",
        "line\nbreak",
        "tab\tinside",
        "Région",
        "  female ",
    ]
)


def plausible(name: str) -> st.SearchStrategy[str]:
    if name not in VARIABLES:  # free text femstat does not know
        return st.text(max_size=6)
    kind = VARIABLES[name].kind
    if kind == "code":
        spellings = sorted(code_spellings(_CODE_LISTS[name]))
        return st.sampled_from(spellings).flatmap(
            lambda s: st.sampled_from([s, s.upper(), f" {s} ", s.replace("_", " ")])
        )
    if kind == "boolean":
        return st.sampled_from(["yes", "No", "TRUE", "f", "1", "0", "unknown"])
    if kind == "integer":
        return st.integers(0, VARIABLES[name].maximum or 120).map(str)
    if kind == "year":
        return st.integers(1990, 2024).map(str)
    if kind == "date":
        return st.sampled_from(["2019-05-01", "20180102", "2021-12-31"])
    if name == "iccs_code":
        return st.sampled_from(["0101", "0102", "01011", " 0101"])
    if name == "victim_id":
        return st.integers(0, 30).map(lambda i: f"id{i}")
    return st.text(max_size=6)


def cell(name: str, hostile: bool) -> st.SearchStrategy[str | None]:
    if not hostile:
        return st.one_of(plausible(name), st.none())
    return st.one_of(plausible(name), st.none(), ODD, st.text(max_size=5))


@st.composite
def tables(draw: st.DrawFn) -> dict[str, list[str | None]]:
    n = draw(st.integers(1, 12))
    names = [c for c in REQUIRED if draw(st.integers(0, 9)) > 0]
    names.append(draw(st.sampled_from(["year", "date"])))
    optional = [c for c in COLUMNS if c not in (*REQUIRED, "year", "date")]
    names += draw(st.lists(st.sampled_from([*optional, "narrative"]), max_size=5, unique=True))
    hostile = set(draw(st.lists(st.sampled_from(names), max_size=2)))
    return {
        name: [draw(cell(name, name in hostile or name == "narrative")) for _ in range(n)]
        for name in draw(st.permutations(names))
    }


def write_csv(table: dict[str, list[str | None]], path: Path) -> None:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(table)
        for row in zip(*table.values(), strict=True):
            writer.writerow(["" if v is None else v for v in row])


def write_parquet(table: dict[str, list[str | None]], path: Path) -> None:
    arrays = {name: pa.array(values, type=pa.string()) for name, values in table.items()}
    pq.write_table(pa.table(arrays), path, row_group_size=4)


def check(path: Path, batch_rows: int) -> None:
    by = ["year", "area"] if "area" in path.read_bytes().decode("utf-8", "replace") else ["year"]
    assert_same(*both(lambda: counts_from_file(path, by, batch_rows=batch_rows, report=True)))
    assert_same(*both(lambda: counts_from_file(path, ["year"], batch_rows=batch_rows)))
    assert_same(*both(lambda: fs.read(path, report=True)))


SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@SETTINGS
@given(table=tables(), batch_rows=st.sampled_from([1, 3, 50]))
def test_hostile_csv(table: dict[str, list[str | None]], batch_rows: int) -> None:
    where = Path(tempfile.mkdtemp())
    try:
        path = where / "victims.csv"
        write_csv(table, path)
        check(path, batch_rows)
    finally:
        shutil.rmtree(where)


@SETTINGS
@given(table=tables(), batch_rows=st.sampled_from([1, 3, 50]))
def test_hostile_parquet(table: dict[str, list[str | None]], batch_rows: int) -> None:
    where = Path(tempfile.mkdtemp())
    try:
        path = where / "victims.parquet"
        write_parquet(table, path)
        check(path, batch_rows)
    finally:
        shutil.rmtree(where)
