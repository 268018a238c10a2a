"""Counts straight from files: femstat against DuckDB and polars on the same Parquet and CSV.

Writes N rows of synthetic victim microdata (``fs.synth.generate``, seed 1) once as Parquet
(as pandas writes it, row groups of 1 million rows) and M rows as CSV (``DataFrame.to_csv``),
then counts victims by year, area, UNODC age group and femicide type, classifying every
record on the way, from each file with:

* femstat, ``femstat.stream.counts_from_file(path, by, check_unique_ids=False)``: the same
  work as the SQL below (the engines check no identifiers), on the Arrow-native path;
* femstat with the whole-file ``victim_id`` check on (its default; ``femstat+ids``);
* femstat on the Arrow-native path with each Parquet batch made into a pandas frame
  before it is validated by its distinct values (``femstat-frames``), the route before
  batches were counted straight from their Arrow columns
  (``BatchChecker.validated_table``), to show what that changes;
* femstat on the Arrow-native path with every batch validated whole by ``fs.validate``
  (``femstat-whole``), the route before batches were validated by their distinct values
  (:mod:`femstat.sources.arrow_counts`), to show what that changes;
* femstat on its general path (``FEMSTAT_FAST_READ=0``: pandas reads the file), to show
  what the Arrow-native path changes;
* DuckDB SQL over the file (``read_parquet`` / ``read_csv``), the same CASE WHEN query as
  ``bench_classify_count.py``;
* polars' lazy ``scan_parquet`` / ``scan_csv`` with the same ``pl.when`` query;
* pyarrow alone, decoding the 14 columns the count needs (``pq.read_table`` /
  ``pyarrow.csv.read_csv``): the format's floor, not an answer;
* the path through a frame: ``fs.counts(fs.read(path), by)``, every column of the file
  read and validated, on the Arrow-native path (``femstat-read``) and the general one
  (``femstat-read-general``); beside them pandas' own reader of the whole file
  (``pd.read_parquet`` / ``pd.read_csv``, nothing validated: not an answer).

Every answer is checked against femstat's as a complete cube, every cell, zeros included.
Times are medians over ``--repeat`` rounds in which the engines take turns, after one
untimed warm-up each; beside the wall-clock time, the CPU time of the process (all its
threads: DuckDB's and polars' run in it too), which a machine shared with other work
inflates less. Peak memory is measured per engine in a fresh child process: the
growth of its resident set during one call (Linux only).

``--stream-rows N`` also streams N synthetic rows from a directory of Parquet files made
on the fly (hard links to one file of ``--stream-file-rows`` rows, in a temporary
directory, deleted afterwards) through ``counts_from_file`` in a child process, and reports
its time and peak resident memory: ``--stream-rows 1_000_000_000`` for the billion rows.

Usage::

    python benchmarks/bench_files.py                       # 10M rows Parquet, 2M rows CSV
    python benchmarks/bench_files.py --stream-rows 1_000_000_000
    python benchmarks/bench_files.py --smoke               # CI: tiny; memory of two engines
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_classify_count as bcc

import femstat as fs
from femstat.stream import counts_from_file

BY = bcc.BY
COLUMNS = bcc.COLUMNS  # the 14 columns the count reads
ENGINES = [
    "femstat",
    "femstat+ids",
    "femstat-frames",
    "femstat-whole",
    "femstat-general",
    "femstat-read",
    "femstat-read-general",
    "pandas-read",
    "duckdb",
    "polars",
    "pyarrow-decode",
]
FORMATS = ["parquet", "csv"]
MIB = 2**20


@dataclass
class Engine:
    name: str
    run: Callable[[], Any]
    normalise: Callable[[Any], pd.Series] | None  # None: not an answer (the floor)


def _femstat(
    path: Path, *, ids: bool, general: bool, whole: bool, frames: bool = False
) -> Callable[[], pd.DataFrame]:
    from femstat.sources.arrow_counts import BatchChecker

    def run() -> pd.DataFrame:
        if general:
            os.environ["FEMSTAT_FAST_READ"] = "0"
        original = BatchChecker.validated
        original_table = BatchChecker.validated_table
        if whole:  # every batch validated whole: the checker answers for none
            BatchChecker.validated = lambda self, raw: None  # type: ignore[method-assign]
        if frames:  # every Parquet batch through its pandas frame
            BatchChecker.validated_table = lambda self, *a, **k: None  # type: ignore[method-assign]
        try:
            return counts_from_file(path, BY, check_unique_ids=ids, progress=False)
        finally:
            os.environ.pop("FEMSTAT_FAST_READ", None)
            BatchChecker.validated = original  # type: ignore[method-assign]
            BatchChecker.validated_table = original_table  # type: ignore[method-assign]

    return run


def _femstat_read(path: Path, *, general: bool) -> Callable[[], pd.DataFrame]:
    """``fs.read`` of the whole file, then ``fs.counts``: a user's path through a frame."""

    def run() -> pd.DataFrame:
        if general:
            os.environ["FEMSTAT_FAST_READ"] = "0"
        try:
            return fs.counts(fs.read(path), BY)
        finally:
            os.environ.pop("FEMSTAT_FAST_READ", None)

    return run


def _pandas_read(fmt: str, path: Path) -> pd.DataFrame:
    """pandas' own reader of the whole file, nothing validated: not an answer."""
    if fmt == "parquet":
        return pd.read_parquet(path)
    return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])


def _duckdb_source(fmt: str, path: Path) -> str:
    if fmt == "parquet":
        return f"read_parquet('{path}')"
    # Codes stay text, as in the file: a sniffed type would read ICCS 0101 as 101.
    return (
        f"read_csv('{path}', header = true, types = {{'iccs_code': 'VARCHAR', 'area': 'VARCHAR'}})"
    )


def _polars_query(frame: Any) -> Any:
    """``bench_classify_count``'s polars query on a scan: text columns compared as text."""
    import polars as pl

    text = {c: pl.col(c).cast(pl.Utf8) for c in ("victim_sex", "iccs_code", "relationship")}
    frame = frame.with_columns(**text, area=pl.col("area").cast(pl.Utf8))
    age = pl.col("victim_age")
    labels = bcc.AGE_LABELS
    lower = bcc.UNODC_AGE_GROUPS.lower
    age_group = pl.when(age.is_null()).then(pl.lit(len(labels) - 1, dtype=pl.Int8))
    for i, bound in enumerate(lower[1:]):
        age_group = age_group.when(age < bound).then(pl.lit(i, dtype=pl.Int8))
    age_group = age_group.otherwise(pl.lit(len(lower) - 1, dtype=pl.Int8))
    relationship = pl.col("relationship")
    in_scope = (pl.col("victim_sex") == "female") & pl.col("iccs_code").str.starts_with("0101")
    criteria = bcc.CRITERIA

    def code(label: str) -> Any:
        return pl.lit(bcc.TYPES.index(label), dtype=pl.Int8)

    femicide_type = (
        pl.when(~in_scope)
        .then(code("out_of_scope"))
        .when(relationship.is_in(bcc.PARTNER))
        .then(code("intimate_partner"))
        .when(relationship.is_in(bcc.FAMILY))
        .then(code("family_member"))
        .when(pl.any_horizontal(criteria))
        .then(code("other_perpetrator"))
        .when((relationship == "unknown") | pl.any_horizontal(pl.col(criteria).is_null()))
        .then(code("undetermined"))
        .otherwise(code("not_femicide"))
    )
    return (
        frame.group_by("year", "area", age_group.alias("age_group"), femicide_type.alias("t"))
        .len()
        .collect()
    )


def _polars_scan(fmt: str, path: Path) -> Any:
    import polars as pl

    if fmt == "parquet":
        return pl.scan_parquet(path).select(COLUMNS)
    overrides = {"iccs_code": pl.Utf8, "area": pl.Utf8}
    return pl.scan_csv(path, schema_overrides=overrides).select(COLUMNS)


def _decode(fmt: str, path: Path) -> Any:
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    if fmt == "parquet":
        return pq.read_table(path, columns=COLUMNS)
    text = {c: pa.string() for c in COLUMNS}
    options = pacsv.ConvertOptions(include_columns=COLUMNS, column_types=text)
    return pacsv.read_csv(path, convert_options=options)


def make_engines(fmt: str, path: Path, names: list[str]) -> list[Engine]:
    engines: list[Engine] = []
    for name in names:
        if name in ("femstat-read", "femstat-read-general"):
            run = _femstat_read(path, general=name.endswith("general"))
            engines.append(Engine(name, run, bcc._from_cube))
        elif name == "pandas-read":
            engines.append(Engine(name, lambda: _pandas_read(fmt, path), None))
        elif name.startswith("femstat"):
            run = _femstat(
                path,
                ids=name == "femstat+ids",
                general=name == "femstat-general",
                whole=name == "femstat-whole",
                frames=name == "femstat-frames",
            )
            engines.append(Engine(name, run, bcc._from_cube))
        elif name == "duckdb":
            import duckdb

            con = duckdb.connect()
            con.execute(f"SET threads = {bcc._cpus()}")
            sql = bcc.DUCKDB_SQL.replace("FROM victims", f"FROM {_duckdb_source(fmt, path)}")

            def run_duckdb(con: Any = con, sql: str = sql) -> pd.DataFrame:
                return con.execute(sql).df()

            engines.append(Engine(name, run_duckdb, lambda r: bcc._from_coded(r, "n")))
        elif name == "polars":

            def polars_result(r: Any) -> pd.Series:
                return bcc._from_coded(r.rename({"t": "femicide_type"}).to_pandas(), "len")

            engines.append(
                Engine(name, lambda: _polars_query(_polars_scan(fmt, path)), polars_result)
            )
        elif name == "pyarrow-decode":
            engines.append(Engine(name, lambda: _decode(fmt, path), None))
        else:
            raise SystemExit(f"unknown engine {name!r}")
    return engines


def _available(names: list[str]) -> list[str]:
    needs = {"duckdb": "duckdb", "polars": "polars"}
    out = []
    for name in names:
        try:
            if name in needs:
                __import__(needs[name])
            out.append(name)
        except ImportError:
            print(f"  (skipping {name}: {needs[name]} is not installed)")
    return out


# --------------------------------------------------------------------------------------
# Measuring


def time_engines(
    engines: list[Engine], repeat: int
) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """Wall-clock and CPU seconds of each engine, round by round."""
    times: dict[str, list[float]] = {e.name: [] for e in engines}
    cpu: dict[str, list[float]] = {e.name: [] for e in engines}
    for round_ in range(repeat):
        shift = round_ % len(engines)
        for engine in engines[shift:] + engines[:shift]:  # take turns
            gc.collect()
            start, start_cpu = time.perf_counter(), time.process_time()
            engine.run()
            times[engine.name].append(time.perf_counter() - start)
            cpu[engine.name].append(time.process_time() - start_cpu)
    return times, cpu


def memory_child(engine: str, fmt: str, path: str) -> dict[str, Any]:
    """In a fresh process: extra peak RSS of one call of ``engine`` on the file."""
    (measured,) = make_engines(fmt, Path(path), [engine])
    bcc._trim()
    before = bcc._status("VmRSS")
    bcc._reset_peak()
    measured.run()
    return {"extra_peak_bytes": bcc._status("VmHWM") - before}


def stream_child(path: str, batch_rows: int) -> dict[str, Any]:
    """In a fresh process: count the dataset; time, peak RSS and the cube."""
    bcc._trim()
    start_rss = bcc._status("VmRSS")
    bcc._reset_peak()
    start = time.perf_counter()
    cube = counts_from_file(
        path, BY, format="parquet", batch_rows=batch_rows, check_unique_ids=False, progress=False
    )
    seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "peak_rss_bytes": bcc._status("VmHWM"),
        "start_rss_bytes": start_rss,
        "rows": int(cube["count"].sum()),
        "cube": bcc._from_cube(cube).reset_index().values.tolist(),
    }


def _run_child(args: list[str]) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, *args],
        capture_output=True,
        text=True,
        env=bcc._child_env(),
        check=False,
    )
    if done.returncode:
        raise SystemExit(f"child {args} failed:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def bench_format(
    fmt: str, path: Path, rows: int, args: argparse.Namespace, names: list[str]
) -> dict[str, Any]:
    engines = make_engines(fmt, path, names)
    reference: pd.Series | None = None
    for engine in engines:  # warm-up, and every answer checked against femstat's
        result = engine.run()
        if engine.normalise is None:
            continue
        got = engine.normalise(result)
        if reference is None:
            reference = got
        else:
            bcc.check_equal(f"{fmt}/{engine.name}", got, reference, rows)
    times, cpu = time_engines(engines, args.repeat)
    out: dict[str, Any] = {"rows": rows, "bytes": path.stat().st_size, "engines": {}}
    for engine in engines:
        out["engines"][engine.name] = {
            "median_s": statistics.median(times[engine.name]),
            "min_s": min(times[engine.name]),
            "times_s": times[engine.name],
            "cpu_median_s": statistics.median(cpu[engine.name]),
        }
        # The smoke run measures two engines' memory: the code path, not the figures.
        if not args.no_memory and (not args.smoke or engine.name in ("femstat", "duckdb")):
            child = _run_child(["--memory-child", engine.name, fmt, str(path)])
            out["engines"][engine.name]["extra_peak_bytes"] = child["extra_peak_bytes"]
    return out


def print_format(fmt: str, result: dict[str, Any]) -> None:
    engines = result["engines"]
    print(
        f"\n{fmt}: {result['rows']:,} rows, {result['bytes'] / MIB:,.0f} MiB on disk, "
        "by year x area x age group x type; every answer equal to femstat's cube"
    )
    print(
        f"  {'engine':<21} {'median s':>9} {'min s':>8} {'cpu s':>7} {'rows/s':>8} "
        f"{'x femstat':>11} {'peak MiB':>9}"
    )
    ours = engines["femstat"]["median_s"]
    for name, e in engines.items():
        rate = result["rows"] / e["median_s"] / 1e6
        ratio = "" if name == "femstat" else f"{e['median_s'] / ours:.2f}x"
        peak = f"{e['extra_peak_bytes'] / MIB:,.0f}" if "extra_peak_bytes" in e else "-"
        print(
            f"  {name:<21} {e['median_s']:>9.3f} {e['min_s']:>8.3f} {e['cpu_median_s']:>7.2f} "
            f"{rate:>7.1f}M {ratio:>11} {peak:>9}"
        )
    if "pyarrow-decode" in engines:
        floor = engines["pyarrow-decode"]["median_s"]
        print(f"  femstat takes {ours / floor:.2f}x pyarrow's bare decode of the 14 columns")


def targets(results: dict[str, Any]) -> None:
    print("\ntargets (issue 13):")
    for fmt, goal in (("parquet", 2.0), ("csv", 1.5)):
        engines = results.get(fmt, {}).get("engines", {})
        if "duckdb" not in engines:
            continue
        ratio = engines["duckdb"]["median_s"] / engines["femstat"]["median_s"]
        by_min = engines["duckdb"]["min_s"] / engines["femstat"]["min_s"]
        by_cpu = engines["duckdb"]["cpu_median_s"] / engines["femstat"]["cpu_median_s"]
        mark = "met" if ratio >= goal else "NOT met"
        print(
            f"  {fmt}: femstat {ratio:.2f}x DuckDB's SQL on the same file (goal {goal}x): "
            f"{mark}; fastest rounds {by_min:.2f}x; by CPU time {by_cpu:.2f}x"
        )


def stream(args: argparse.Namespace) -> dict[str, Any]:
    copies = max(1, -(-args.stream_rows // args.stream_file_rows))
    with tempfile.TemporaryDirectory(prefix="femstat-bench-") as tmp:
        frame = fs.synth.generate(args.stream_file_rows, seed=bcc.SEED)
        source = Path(tmp) / "victims.parquet"
        frame.to_parquet(source, row_group_size=min(args.stream_file_rows, 1_000_000), index=False)
        one = bcc._from_cube(counts_from_file(source, BY, check_unique_ids=False, progress=False))
        del frame
        dataset = Path(tmp) / "dataset"
        dataset.mkdir()
        for k in range(copies):
            os.link(source, dataset / f"part-{k:04d}.parquet")  # same bytes, k times
        child = _run_child(["--stream-child", str(dataset), str(args.batch_rows)])
    got = pd.DataFrame(child.pop("cube"), columns=[*bcc.KEYS, "count"]).set_index(bcc.KEYS)
    bcc.check_equal("stream", got["count"], one * copies, args.stream_file_rows * copies)
    rows = child["rows"]
    print(
        f"\nstream: {rows:,} rows from {copies} Parquet files of {args.stream_file_rows:,} rows "
        f"in {child['seconds']:.1f} s ({rows / child['seconds'] / 1e6:.1f} M rows/s), peak "
        f"resident memory {child['peak_rss_bytes'] / MIB:,.0f} MiB "
        f"({(child['peak_rss_bytes'] - child['start_rss_bytes']) / MIB:,.0f} MiB above the "
        "start); cube equal to the copies times one file's"
    )
    return {**child, "copies": copies}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    rows_type = lambda s: int(s.replace("_", ""))  # noqa: E731
    parser.add_argument("--rows", type=rows_type, default=10_000_000, help="Parquet rows")
    parser.add_argument("--csv-rows", type=rows_type, default=2_000_000, help="CSV rows")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--engines", default=",".join(ENGINES))
    parser.add_argument("--formats", default=",".join(FORMATS))
    parser.add_argument("--no-memory", action="store_true")
    parser.add_argument("--stream-rows", type=rows_type, default=0)
    parser.add_argument("--stream-file-rows", type=rows_type, default=10_000_000)
    parser.add_argument("--batch-rows", type=rows_type, default=1_000_000)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, one round")
    parser.add_argument("--memory-child", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--stream-child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.memory_child:
        print(json.dumps(memory_child(*args.memory_child)))
        return 0
    if args.stream_child:
        print(json.dumps(stream_child(args.stream_child[0], int(args.stream_child[1]))))
        return 0
    if args.smoke:
        args.rows, args.csv_rows, args.repeat = 20_000, 20_000, 1
        args.stream_rows, args.stream_file_rows, args.batch_rows = 60_000, 20_000, 7_000
    names = _available([n for n in args.engines.split(",") if n])
    if "femstat" not in names:
        names.insert(0, "femstat")
    print(f"femstat bench_files: {bcc._versions()}; {bcc._cpus()} CPUs")
    print(f"load average at start: {os.getloadavg()[0]:.2f}")
    results: dict[str, Any] = {"versions": bcc._versions(), "load": os.getloadavg()[0]}
    with tempfile.TemporaryDirectory(prefix="femstat-bench-") as tmp:
        for fmt in [f for f in args.formats.split(",") if f]:
            rows = args.rows if fmt == "parquet" else args.csv_rows
            frame = fs.synth.generate(rows, seed=bcc.SEED)
            path = Path(tmp) / f"victims.{fmt}"
            if fmt == "parquet":
                frame.to_parquet(path, row_group_size=min(rows, 1_000_000), index=False)
            else:
                frame.to_csv(path, index=False)
            del frame
            results[fmt] = bench_format(fmt, path, rows, args, names)
            print_format(fmt, results[fmt])
            path.unlink()
    if args.stream_rows:
        results["stream"] = stream(args)
    targets(results)
    results["load_end"] = os.getloadavg()[0]
    print(f"load average at the end: {results['load_end']:.2f}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=float))
    return 0


if __name__ == "__main__":
    np.seterr(all="ignore")
    raise SystemExit(main())
