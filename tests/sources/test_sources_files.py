"""Hostile files through the readers: types, decompression limits, corrupt content,
delimiters and encodings. Every failure is a one-line SourceError naming the file."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import os
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest
from shr_fixtures import record, shr_file

import femstat as fs
import femstat.dask as fs_dask
from femstat.counts import BreakdownError
from femstat.errors import FemstatError
from femstat.sources import SourceError, read, read_raw, read_shr
from femstat.sources.files import DEFAULT_MIN_LIMIT, decompression_limit, sniff_delimiter
from femstat.sources.readers import iter_raw, raw_info
from femstat.stream import counts_from_file

SECRET = "Calle Falsa 123 confidencial"
HEADER = "victim_id,year,area,iccs_code,victim_sex,victim_age,relationship,narrative"

# Area codes a float-inferring reader merges (1.1 = 1.10, 01 = 1) or mangles.
TRICKY = [
    ("a1", "2020", "1.1", "0101"),
    ("a2", "2020", "1.10", "0101"),
    ("a3", "2020", "1.10", "0101"),
    ("a4", "2020", "01", "0101"),
    ("a5", "2020", "1", "0101"),
    ("a6", "2021", " 7 ", "0101"),
    ("a7", "2021", "", "0101"),
    ("a8", "2021", "NA", "0102"),
]


def tricky_csv(path: Path, sep: str = ",", rows: list[tuple[str, str, str, str]] = TRICKY) -> Path:
    lines = [HEADER.replace(",", sep)]
    for victim, year, area, iccs in rows:
        cells = [victim, year, area, iccs, "female", "30", "intimate_partner", SECRET]
        lines.append(sep.join(cells))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def victims_frame(n: int = 40) -> pd.DataFrame:
    frame = fs.datasets.example_victims().head(n).copy()
    frame["narrative"] = SECRET
    return frame


# --------------------------------------------------------------------------------------
# Column types: every path reads codes as text and agrees


def test_csv_codes_stay_text_and_apart(tmp_path: Path) -> None:
    clean = read(tricky_csv(tmp_path / "v.csv"))
    # Codes stay apart as written; blanks around a code are trimmed and an empty cell is
    # missing (docs/validation-rules.md).
    area = clean["area"].astype(object).tolist()
    assert area[:6] == ["1.1", "1.10", "1.10", "01", "1", "7"]
    assert pd.isna(area[6])
    assert area[7] == "NA"
    assert clean["iccs_code"].astype(str).tolist()[-1] == "0102"
    assert clean["victim_id"].tolist() == [t[0] for t in TRICKY]


def test_an_na_code_is_text_for_the_reader(tmp_path: Path) -> None:
    # Only an empty cell is missing: "NA" (Namibia, say) reaches validation as text.
    raw = read_raw(tricky_csv(tmp_path / "v.csv"))
    assert pd.isna(raw["area"].iloc[-2])
    assert raw["area"].iloc[-1] == "NA"
    assert raw["area"].iloc[-3] == " 7 "


def test_a_missing_area_is_refused_alike_by_every_path(tmp_path: Path) -> None:
    # An empty area cell is missing, never a group of its own nor "unknown" on the quiet.
    path = tricky_csv(tmp_path / "v.csv")
    dd = pytest.importorskip("dask.dataframe")
    attempts = {
        "fs.counts": lambda: fs.counts(fs.classify(read(path)), ["area"]),
        "stream": lambda: counts_from_file(path, ["area"], batch_rows=3),
        "dask": lambda: fs_dask.counts(dd.from_pandas(read_raw(path), npartitions=2), ["area"]),
    }
    for name, attempt in attempts.items():
        with pytest.raises(BreakdownError, match="'area' has 1 missing value") as info:
            attempt()
        assert SECRET not in str(info.value), name


def test_every_path_gives_the_same_table_and_cube(tmp_path: Path) -> None:
    path = tricky_csv(tmp_path / "v.csv", rows=[row for row in TRICKY if row[2].strip()])
    by = ["year", "area"]
    clean = read(path)
    expected = fs.counts(fs.classify(clean), by)

    # batches of a file (femstat.stream), also batch by batch
    for batch_rows in (3, 1000):
        streamed = counts_from_file(path, by, batch_rows=batch_rows)
        pd.testing.assert_frame_equal(streamed, expected)

    # Dask partitions of the same raw text table, and dask's own CSV reader with the
    # options docs/sources.md gives for it
    dd = pytest.importorskip("dask.dataframe")
    partitions = dd.from_pandas(read_raw(path), npartitions=3)
    pd.testing.assert_frame_equal(fs_dask.counts(partitions, by), expected)
    dask_csv = dd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    pd.testing.assert_frame_equal(fs_dask.counts(dask_csv, by), expected)

    # the command line reads the file as fs.read does
    from femstat import cli

    from_cli, _ = cli._read_victims(path, None)
    pd.testing.assert_frame_equal(from_cli, clean)

    # and every other format of the same text table
    raw = read_raw(path)
    raw.to_parquet(tmp_path / "v.parquet")
    raw.to_excel(tmp_path / "v.xlsx", index=False)
    for name in ("v.parquet", "v.xlsx"):
        other = read(tmp_path / name)
        assert other["area"].astype(str).tolist() == clean["area"].astype(str).tolist(), name


# --------------------------------------------------------------------------------------
# Decompression with a limit


ZEROS = b"0" * (50 * 2**20)  # 50 MiB of one character compresses to ~50 KiB
LIMIT = 4 * 2**20


def bomb(path: Path) -> Path:
    payload = HEADER.encode() + b"\n" + ZEROS
    name = path.name
    if name.endswith(".gz"):
        path.write_bytes(gzip.compress(payload, compresslevel=9))
    elif name.endswith(".bz2"):
        path.write_bytes(bz2.compress(payload))
    elif name.endswith(".xz"):
        path.write_bytes(lzma.compress(payload))
    else:
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("victims.csv", payload)
    assert path.stat().st_size < 2**20
    return path


@pytest.mark.parametrize("name", ["v.csv.gz", "v.csv.bz2", "v.csv.xz", "v.csv.zip"])
def test_a_decompression_bomb_is_refused_at_the_limit(name: str, tmp_path: Path) -> None:
    path = bomb(tmp_path / name)
    for attempt in (
        lambda: read_raw(path, max_decompressed=LIMIT),
        lambda: read(path, max_decompressed=LIMIT),
        lambda: list(iter_raw(path, batch_rows=1000, max_decompressed=LIMIT)),
        lambda: counts_from_file(path, ["year"], max_decompressed=LIMIT),
    ):
        with pytest.raises(SourceError) as caught:
            attempt()
        message = str(caught.value)
        assert "4.0 MiB" in message and "max_decompressed" in message
        assert path.name in message and "\n" not in message


def _lying_trailer(data: bytes) -> bytes:
    """A gzip stream whose trailer claims 100 bytes (the size field is only a hint)."""
    return data[:-4] + (100).to_bytes(4, "little")


def test_the_limit_holds_while_reading_whatever_the_trailer_says(tmp_path: Path) -> None:
    # The gzip trailer's size is not trusted either way: a cut file's last bytes are
    # compressed data, read as a size they could name a bomb.
    liar = tmp_path / "liar.csv.gz"
    liar.write_bytes(_lying_trailer(bomb(tmp_path / "v.csv.gz").read_bytes()))
    with pytest.raises(SourceError, match=r"liar\.csv\.gz expands to more than 4\.0 MiB"):
        read_raw(liar, max_decompressed=LIMIT)
    # several gzip members: the trailer is the last one's, the limit holds for all
    members = tmp_path / "members.csv.gz"
    members.write_bytes(gzip.compress(HEADER.encode() + b"\n" + ZEROS) + gzip.compress(b"1,2,3\n"))
    with pytest.raises(SourceError, match=r"expands to more than 4\.0 MiB"):
        list(iter_raw(members, max_decompressed=LIMIT))


def test_a_cut_gzip_is_cut_not_a_bomb(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    text = "\n".join(",".join(map(str, row)) for row in rng.integers(0, 10**6, (20_000, 8)))
    data = gzip.compress((HEADER + "\n" + text).encode())
    path = tmp_path / "v.csv.gz"
    for cut in (len(data) // 3, len(data) - 5):
        path.write_bytes(data[:cut])
        with pytest.raises(SourceError, match="corrupt or cut short") as caught:
            read_raw(path, max_decompressed=2**20 * 64)
        assert "limit" not in str(caught.value)


def test_a_zip_member_declaring_too_much_is_refused_before_reading(tmp_path: Path) -> None:
    path = bomb(tmp_path / "v.csv.zip")
    with pytest.raises(SourceError, match=r"v\.csv\.zip:victims\.csv declares 50\.0 MiB"):
        read_raw(path, max_decompressed=LIMIT)


def test_the_default_limit_scales_with_the_compressed_size() -> None:
    assert decompression_limit(10) == DEFAULT_MIN_LIMIT
    assert decompression_limit(2**30) == 100 * 2**30
    assert decompression_limit(10, 5) == 5
    with pytest.raises(ValueError, match="positive"):
        decompression_limit(10, 0)


def test_a_genuine_compressed_file_under_the_limit_reads(tmp_path: Path) -> None:
    plain = tricky_csv(tmp_path / "v.csv")
    packed = tmp_path / "v.csv.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    pd.testing.assert_frame_equal(read(packed, max_decompressed=2**20), read(plain))


def test_an_shr_bomb_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "shr.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("data.txt", shr_file(record()) * (2**20 // 270 + 1) * 8)
    with pytest.raises(SourceError, match=r"declares .* MiB"):
        read_shr(path, max_decompressed=LIMIT)
    gz = gzip.compress(shr_file(record()) * 20_000)
    with pytest.raises(SourceError, match=r"expands to more than 1\.0 MiB"):
        read_shr(gz, max_decompressed=2**20)


_MEASURE = """
import resource, sys
import femstat
from femstat.sources import SourceError, read_raw
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    read_raw(sys.argv[1], max_decompressed=int(sys.argv[2]))
except SourceError:
    pass
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print((after - before) * 1024)
"""


@pytest.mark.slow
def test_memory_stays_bounded_reading_a_bomb(tmp_path: Path) -> None:
    # A 200 MiB bomb read whole would take several times that; refused at 8 MiB, the
    # read adds a few tens of MiB at most. Measured in a fresh process, so that
    # earlier tests do not hide the peak.
    path = tmp_path / "v.csv.gz"
    with gzip.open(path, "wb", compresslevel=9) as out:
        out.write(HEADER.encode() + b"\n")
        for _ in range(4):
            out.write(ZEROS)
    done = subprocess.run(
        [sys.executable, "-c", _MEASURE, str(path), str(8 * 2**20)],
        capture_output=True,
        text=True,
        check=True,
    )
    added = int(done.stdout.strip())
    assert added < 120 * 2**20, f"{added / 2**20:.0f} MiB"


# --------------------------------------------------------------------------------------
# Corrupt and truncated files


def _write_formats(folder: Path) -> dict[str, Path]:
    frame = victims_frame()
    paths = {}
    paths["csv"] = folder / "v.csv"
    frame.to_csv(paths["csv"], index=False)
    paths["csv.gz"] = folder / "v.csv.gz"
    paths["csv.gz"].write_bytes(gzip.compress(paths["csv"].read_bytes()))
    paths["csv.zip"] = folder / "v.csv.zip"
    with zipfile.ZipFile(paths["csv.zip"], "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(paths["csv"], "v.csv")
    paths["parquet"] = folder / "v.parquet"
    frame.to_parquet(paths["parquet"])
    paths["xlsx"] = folder / "v.xlsx"
    frame.to_excel(paths["xlsx"], index=False)
    numeric = frame[["year", "victim_age"]].astype(float)
    numeric["narrative"] = SECRET
    paths["sav"] = folder / "v.sav"
    pyreadstat.write_sav(numeric, str(paths["sav"]))
    paths["dta"] = folder / "v.dta"
    pyreadstat.write_dta(numeric, str(paths["dta"]))
    return paths


FORMAT_NAMES = ["csv.gz", "csv.zip", "parquet", "xlsx", "sav", "dta"]


@pytest.fixture(scope="module")
def good_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return _write_formats(tmp_path_factory.mktemp("good"))


def _damaged(good: Path, folder: Path, how: str) -> Path:
    data = good.read_bytes()
    path = folder / good.name
    if how == "truncated":
        path.write_bytes(data[: len(data) // 2])
    elif how == "garbage":
        rng = np.random.default_rng(7)
        path.write_bytes(data[:8] + rng.integers(0, 256, 4000, dtype=np.uint8).tobytes())
    else:
        path.write_bytes(b"")
    return path


def _assert_one_line_source_error(attempt: Callable[[], object], name: str) -> None:
    with pytest.raises(SourceError) as caught:
        attempt()
    message = str(caught.value)
    assert isinstance(caught.value, FemstatError) and isinstance(caught.value, ValueError)
    assert name in message, message
    assert "\n" not in message and SECRET not in message
    assert "What to do" in message


@pytest.mark.parametrize("how", ["truncated", "garbage", "empty"])
@pytest.mark.parametrize("fmt", FORMAT_NAMES)
def test_a_damaged_file_is_a_source_error(
    fmt: str, how: str, good_files: dict[str, Path], tmp_path: Path
) -> None:
    path = _damaged(good_files[fmt], tmp_path, how)
    _assert_one_line_source_error(lambda: read(path), path.name)
    if fmt not in ("xlsx",):
        _assert_one_line_source_error(lambda: list(iter_raw(path, batch_rows=7)), path.name)


def test_a_csv_with_binary_junk_is_a_source_error(tmp_path: Path) -> None:
    path = tmp_path / "v.csv"
    path.write_bytes(HEADER.encode() + b"\n" + os.urandom(2000))
    _assert_one_line_source_error(lambda: read(path), "v.csv")
    _assert_one_line_source_error(lambda: counts_from_file(path, ["year"]), "v.csv")


def test_a_compressed_non_csv_format_is_refused(
    good_files: dict[str, Path], tmp_path: Path
) -> None:
    path = tmp_path / "v.parquet.gz"
    path.write_bytes(gzip.compress(good_files["parquet"].read_bytes()))
    with pytest.raises(SourceError, match="decompress it first"):
        read(path)


def test_a_misnamed_compressed_file(tmp_path: Path) -> None:
    path = tmp_path / "v.csv.gz"
    path.write_text(HEADER + "\n", encoding="utf-8")
    with pytest.raises(SourceError, match="extension says gzip, but it is not a gzip file"):
        read_raw(path)


def test_an_archive_with_several_files_names_them(tmp_path: Path) -> None:
    path = tmp_path / "v.csv.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("a.csv", HEADER + "\n")
        archive.writestr("b.csv", HEADER + "\n")
    with pytest.raises(SourceError, match=r"2 data files \(a\.csv, b\.csv\)"):
        read_raw(path)
    # one CSV beside a README: the CSV is read, and named in messages
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("README.md", "notes")
        archive.writestr("data.csv", "x\n\xff\n".encode("latin-1"))
    with pytest.raises(SourceError, match=r"v\.csv\.zip:data\.csv"):
        read_raw(path)


# --------------------------------------------------------------------------------------
# Delimiter and encoding


@pytest.mark.parametrize("sep", [";", "\t", "|", ","])
def test_the_delimiter_is_sniffed(sep: str, tmp_path: Path) -> None:
    clean = read(tricky_csv(tmp_path / "v.csv", sep))
    assert clean["area"].astype(str).tolist()[:2] == ["1.1", "1.10"]
    info = raw_info(tmp_path / "v.csv")
    assert len(info.columns) == 8


def test_sniffing_ignores_quoted_delimiters() -> None:
    assert sniff_delimiter('"a;b";"c;d",e') == ","
    assert sniff_delimiter('id;"name, given";year') == ";"
    assert sniff_delimiter("single") == ","


def test_a_wrong_explicit_delimiter_is_named(tmp_path: Path) -> None:
    path = tricky_csv(tmp_path / "v.csv", ";")
    with pytest.raises(SourceError, match=r"delimiter looks wrong.*sep=';'"):
        read(path, sep=",")
    with pytest.raises(SourceError, match="delimiter looks wrong"):
        raw_info(path, sep=",")
    with pytest.raises(SourceError, match="delimiter looks wrong"):
        next(iter_raw(path, sep=","))


def test_another_encoding_is_named_never_guessed(tmp_path: Path) -> None:
    path = tmp_path / "v.csv"
    text = HEADER + "\nv1,2020,Peñalolén,0101,female,30,intimate_partner,x\n"
    path.write_bytes(text.encode("cp1252"))
    for attempt in (lambda: read(path), lambda: counts_from_file(path, ["year"])):
        with pytest.raises(SourceError) as caught:
            attempt()
        message = str(caught.value)
        assert "byte 0xF1 is not valid utf-8" in message
        assert "encoding='cp1252'" in message and "--encoding cp1252" in message
    assert read(path, encoding="cp1252")["area"].astype(str).tolist() == ["Peñalolén"]


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16"])
def test_byte_order_marks_are_recognised(encoding: str, tmp_path: Path) -> None:
    path = tmp_path / "v.csv"
    path.write_bytes(tricky_csv(tmp_path / "plain.csv").read_text().encode(encoding))
    clean = read(path)
    assert clean.columns[0] == "victim_id"
    pd.testing.assert_frame_equal(clean, read(tmp_path / "plain.csv"))


def test_an_unknown_encoding_name(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="unknown encoding 'klingon'"):
        read_raw(tricky_csv(tmp_path / "v.csv"), encoding="klingon")


def test_an_shr_buffer_reads_as_before() -> None:
    data = shr_file(record(), record(incident=2))
    assert len(read_shr(io.BytesIO(gzip.compress(data)))) == 2


@pytest.mark.parametrize("how", ["zip", "gzip"])
def test_a_damaged_shr_archive_is_a_source_error(how: str, tmp_path: Path) -> None:
    data = shr_file(*[record(incident=k) for k in range(1, 400)])
    path = tmp_path / f"shr.{'zip' if how == 'zip' else 'txt.gz'}"
    if how == "zip":
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("data.txt", data)
    else:
        path.write_bytes(gzip.compress(data))
    whole = path.read_bytes()
    for cut in (len(whole) // 2, len(whole) - 3):
        path.write_bytes(whole[:cut])
        _assert_one_line_source_error(lambda: read_shr(path), path.name)
        _assert_one_line_source_error(lambda: read(path, format="shr"), path.name)


# --------------------------------------------------------------------------------------
# A CSV file cut short in its last line


CUT_HEADER = "year,victim_sex,victim_age,relationship,narrative\n"
CUT_FIRST = f"2020,female,30,current_partner,{SECRET}\n"


@pytest.mark.parametrize("batch_rows", [None, 1])
def test_a_csv_cut_in_its_last_line_is_refused(tmp_path: Path, batch_rows: int | None) -> None:
    # pandas pads the short row with missing cells: read on, the cut record would become
    # a victim with unknown relationship, counted as undetermined.
    path = tmp_path / "cut.csv"
    path.write_text(CUT_HEADER + CUT_FIRST + "2021,female,3", encoding="utf-8")
    with pytest.raises(SourceError, match="holds 3 of the header's 5 columns") as info:
        if batch_rows is None:
            read(path)
        else:
            counts_from_file(path, ["year"], batch_rows=batch_rows)
    assert SECRET not in str(info.value)


@pytest.mark.parametrize(
    "last",
    [
        "2021,female,31,stranger,",  # complete, an empty last cell, no final line break
        '2021,female,31,stranger,"two\nlines"',  # a last cell spanning lines
        "2021,female,31,stranger,x\r\n",
    ],
)
def test_a_complete_last_line_reads(tmp_path: Path, last: str) -> None:
    path = tmp_path / "whole.csv"
    path.write_text(CUT_HEADER + CUT_FIRST + last, encoding="utf-8", newline="")
    assert read(path)["year"].tolist() == [2020, 2021]
    assert counts_from_file(path, ["year"], batch_rows=1)["count"].sum() == 2
