"""CSV counted from polars' parser: the same cubes, reports and errors as the other routes.

:func:`femstat.sources.arrow.polars_csv_tables` parses a plain CSV file with polars and
hands Arrow tables to the route Parquet files take. Each test compares it with the
pyarrow route (polars made unavailable) and the general path (``FEMSTAT_FAST_READ=0``),
and checks which route actually read the file.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import femstat as fs
from femstat.sources import arrow
from femstat.stream import counts_from_file

pytest.importorskip("polars")

BY = ["year", "area"]


@contextmanager
def _spy(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[bool]]:
    """Record, for each file, whether the polars route took it."""
    used: list[bool] = []
    original = arrow.polars_csv_tables

    @contextmanager
    def spy(*args: Any, **kwargs: Any) -> Iterator[Any]:
        with original(*args, **kwargs) as found:
            used.append(found is not None)
            yield found

    monkeypatch.setattr(arrow, "polars_csv_tables", spy)
    yield used


def _count(path: Path, **kwargs: Any) -> tuple[pd.DataFrame, Any]:
    return counts_from_file(path, BY, progress=False, report=True, **kwargs)


def _other_routes(
    path: Path, monkeypatch: pytest.MonkeyPatch, **kwargs: Any
) -> list[tuple[pd.DataFrame, Any]]:
    with monkeypatch.context() as m:
        m.setattr(arrow, "_polars", lambda: None)
        pyarrow_route = _count(path, **kwargs)
    with monkeypatch.context() as m:
        m.setenv(arrow.ENV_VAR, "0")
        general = _count(path, **kwargs)
    return [pyarrow_route, general]


def _assert_same(got: tuple[pd.DataFrame, Any], want: tuple[pd.DataFrame, Any]) -> None:
    pd.testing.assert_frame_equal(got[0], want[0])
    for field in dataclasses.fields(want[1]):
        a, b = getattr(got[1], field.name), getattr(want[1], field.name)
        if isinstance(b, pd.DataFrame):
            pd.testing.assert_frame_equal(a, b)
        else:
            assert a == b, field.name


def _varied(n: int, seed: int) -> pd.DataFrame:
    """Synthetic victims whose spellings change from one part of the file to the next."""
    data = fs.synth.generate(n, seed=seed).astype(object)
    third = n // 3
    data.loc[: third - 1, "victim_sex"] = data.loc[: third - 1, "victim_sex"].str.upper()
    data.loc[third:, "relationship"] = data.loc[third:, "relationship"].str.title()
    data.loc[::7, "victim_age"] = None  # missing values
    data.loc[::11, "prior_violence"] = None
    data.loc[5::13, "area"] = "North, upper"  # the delimiter inside a quoted cell
    return data


@pytest.mark.parametrize("batch_rows", [997, 2_500, 50_000])
@pytest.mark.parametrize("ids", [False, True])
def test_cubes_equal_across_routes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, batch_rows: int, ids: bool
) -> None:
    path = tmp_path / "victims.csv"
    _varied(6_000, seed=batch_rows).to_csv(path, index=False)
    assert b'"North, upper"' in path.read_bytes()
    with _spy(monkeypatch) as used:
        got = _count(path, batch_rows=batch_rows, check_unique_ids=ids)
    assert used == [True]
    assert int(got[0]["count"].sum()) == 6_000
    for want in _other_routes(path, monkeypatch, batch_rows=batch_rows, check_unique_ids=ids):
        _assert_same(got, want)


def test_tab_separated_and_crlf(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = fs.synth.generate(3_000, seed=4)
    path = tmp_path / "victims.tsv"
    data.to_csv(path, index=False, sep="\t", lineterminator="\r\n")
    with _spy(monkeypatch) as used:
        got = _count(path, batch_rows=1_000)
    assert used == [True]
    for want in _other_routes(path, monkeypatch, batch_rows=1_000):
        _assert_same(got, want)


def _csv_text(n: int = 300) -> str:
    return fs.synth.generate(n, seed=8).to_csv(index=False)


def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


# Each edit makes polars' reading differ from pandas', so the whole file must go the
# pyarrow route or the general path; the answer must then be theirs.
FALLBACKS = {
    "blank line": lambda t: "".join([*_lines(t)[:50], "\n", *_lines(t)[50:]]),
    "line of spaces": lambda t: "".join([*_lines(t)[:50], "   \n", *_lines(t)[50:]]),
    "blank lines at the end": lambda t: t + "\n\n",
    "byte-order mark": lambda t: "\ufeff" + t,
    "last line without line break": lambda t: t.rstrip("\n"),
    "quoted empty cell": lambda t: t.replace(",,", ',"",', 3),
    "quote inside a cell": lambda t: t.replace(",female,", ',fem"ale,', 1),
    "text after a closing quote": lambda t: t.replace(",female,", ',"fe"male,', 1),
    "lone carriage return": lambda t: t.replace("\n", "\r", 3),
}


@pytest.mark.parametrize("edit", sorted(FALLBACKS))
def test_fallback_triggers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, edit: str) -> None:
    path = tmp_path / "victims.csv"
    text = FALLBACKS[edit](_csv_text())
    assert text != _csv_text()
    path.write_bytes(text.encode("utf-8"))
    outcomes = []
    with _spy(monkeypatch) as used:
        outcomes.append(_outcome(path))
    assert used in ([False], [])
    with monkeypatch.context() as m:
        m.setenv(arrow.ENV_VAR, "0")
        outcomes.append(_outcome(path))
    got, want = outcomes
    if isinstance(want, str):
        assert got == want
    else:
        assert not isinstance(got, str)
        _assert_same(got, want)


def _outcome(path: Path, **kwargs: Any) -> tuple[pd.DataFrame, Any] | str:
    """The count, or the error's type and message."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            return _count(path, batch_rows=100, **kwargs)
        except Exception as exc:
            return f"{type(exc).__name__}: {exc}"


def test_other_encoding_falls_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = fs.synth.generate(200, seed=9).astype(object)
    data.loc[3, "area"] = "Región Sur"
    path = tmp_path / "victims.csv"
    path.write_bytes(data.to_csv(index=False).encode("latin-1"))
    for options in ({}, {"encoding": "latin-1"}):
        with _spy(monkeypatch) as used:
            got = _outcome(path, **options)
        assert True not in used
        with monkeypatch.context() as m:
            m.setenv(arrow.ENV_VAR, "0")
            want = _outcome(path, **options)
        if isinstance(want, str):
            assert got == want
            assert "encoding" in want
        else:
            assert not isinstance(got, str)
            _assert_same(got, want)


def test_reader_options_and_mapping_fall_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = fs.synth.generate(500, seed=10)
    plain, renamed = tmp_path / "victims.csv", tmp_path / "renamed.csv"
    data.to_csv(plain, index=False)
    data.rename(columns={"victim_sex": "sex"}).to_csv(renamed, index=False)
    mapping = {"columns": {"sex": {"to": "victim_sex"}}}

    def both() -> list[Any]:
        return [_count(plain, skiprows=[3]), _count(renamed, mapping=mapping)]

    with _spy(monkeypatch) as used:
        got = both()
    assert True not in used
    with monkeypatch.context() as m:
        m.setenv(arrow.ENV_VAR, "0")
        want = both()
    for a, b in zip(got, want, strict=True):
        _assert_same(a, b)


def test_compressed_file_falls_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "victims.csv.gz"
    fs.synth.generate(500, seed=11).to_csv(path, index=False)
    with _spy(monkeypatch) as used:
        got = _count(path)
    assert True not in used
    [_, want] = _other_routes(path, monkeypatch)
    _assert_same(got, want)


def test_without_polars(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """polars not installed: its import fails, and the pyarrow route reads the file."""
    import builtins

    path = tmp_path / "victims.csv"
    fs.synth.generate(2_000, seed=12).to_csv(path, index=False)
    real_import = builtins.__import__

    def no_polars(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "polars" or name.startswith("polars."):
            raise ImportError("No module named 'polars'")
        return real_import(name, *args, **kwargs)

    with monkeypatch.context() as m:
        m.setattr(builtins, "__import__", no_polars)
        assert arrow._polars() is None
        got = _count(path, batch_rows=700)
    with monkeypatch.context() as m:
        m.setenv(arrow.ENV_VAR, "0")
        want = _count(path, batch_rows=700)
    _assert_same(got, want)


def test_failing_batch_reported_by_general_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bad value in the third batch: the polars route counts two, then the general path
    reports the error with the file's row number."""
    data = fs.synth.generate(1_000, seed=13).astype(object)
    data.loc[650, "victim_sex"] = "zebra"
    path = tmp_path / "victims.csv"
    data.to_csv(path, index=False)
    with _spy(monkeypatch) as used:
        got = _outcome_at(path, 300)
    assert used == [True]
    with monkeypatch.context() as m:
        m.setenv(arrow.ENV_VAR, "0")
        want = _outcome_at(path, 300)
    assert got == want
    assert "650" in got


def test_ragged_long_row_reported_by_general_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """polars refuses a row with more cells than the header; the general path says why."""
    lines = _lines(_csv_text(1_000))
    lines[700] = lines[700].rstrip("\n") + ",extra\n"
    path = tmp_path / "victims.csv"
    path.write_text("".join(lines), encoding="utf-8")
    got = _outcome_at(path, 300)
    with monkeypatch.context() as m:
        m.setenv(arrow.ENV_VAR, "0")
        want = _outcome_at(path, 300)
    assert got == want


def _outcome_at(path: Path, batch_rows: int) -> str:
    try:
        counts_from_file(path, BY, progress=False, batch_rows=batch_rows)
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    return "counted"


def test_read_same_through_polars(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """fs.read takes the same route and returns the general path's frame."""
    path = tmp_path / "victims.csv"
    _varied(3_000, seed=14).to_csv(path, index=False)
    with _spy(monkeypatch) as used:
        got = fs.read(path, report=True)
    assert used == [True]
    with monkeypatch.context() as m:
        m.setenv(arrow.ENV_VAR, "0")
        want = fs.read(path, report=True)
    pd.testing.assert_frame_equal(got[0], want[0])
    assert got[1].coerced_columns == want[1].coerced_columns


def test_header_only_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No data rows: the polars route says what the general path says."""
    path = tmp_path / "victims.csv"
    path.write_text(_lines(_csv_text(5))[0], encoding="utf-8")
    got = _outcome(path)
    with monkeypatch.context() as m:
        m.setenv(arrow.ENV_VAR, "0")
        want = _outcome(path)
    assert isinstance(want, str)
    assert got == want


def test_bytes_checked_across_slices(monkeypatch: pytest.MonkeyPatch) -> None:
    """A blank line, a stray quote or a bad byte where two slices meet is still found."""
    monkeypatch.setattr(arrow, "_SLICE_BYTES", 7)
    plain = b"year,x,y\n" + b"2020,a,b\n" * 10
    assert arrow._bytes_plain(plain, ",")
    assert arrow._bytes_plain(plain.replace(b"a,b", b'"a,z",b'), ",")
    assert arrow._bytes_plain(plain.replace(b"a,b", "\u00e1,b".encode()), ",")
    for cut in range(9, len(plain) - 1):
        for bad in (b"\n", b"  \n", b"\r\n"):
            if plain[cut - 1 : cut] == b"\n":
                assert not arrow._bytes_plain(plain[:cut] + bad + plain[cut:], ","), (cut, bad)
        for bad in (b'"', b"\x00", b"\xff", b"\r"):
            if bad == b"\r" and plain[cut : cut + 1] == b"\n":
                continue  # that makes a line end of two bytes, which both read alike
            assert not arrow._bytes_plain(plain[:cut] + bad + plain[cut:], ","), (cut, bad)
