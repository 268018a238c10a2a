"""Classify and count: femstat against DuckDB, polars and plain pandas, same data, same answer.

Makes N rows of synthetic victim microdata with ``fs.synth.generate`` (canonical form:
categorical codes, nullable booleans, Int16 ages) and counts victims by year, area, UNODC
age group and femicide type, classifying every record on the way, with:

* femstat, ``fs.counts(frame, ["year", "area", "age_group"])`` on the unclassified frame,
  once with each kernel (``FEMSTAT_KERNEL=numba`` and ``numpy``);
* DuckDB SQL over the same pandas DataFrame (a CASE WHEN for the typology and the age
  groups, GROUP BY; DuckDB scans the DataFrame in place, categoricals as ENUMs);
* polars, on ``pl.from_pandas`` of the columns read: the query alone, and conversion
  plus query (``pl.when`` chains, ``group_by().len()``);
* plain pandas: ``np.select`` for the type, ``pd.cut`` for the age group,
  ``groupby(observed=False).size()``.

Each alternative gets its fastest formulation found (integer labels inside the query,
mapped to names on the small result: 2 to 4 times faster than string labels in both
DuckDB and polars; ``cat.starts_with`` in polars). Every answer is checked against
femstat's as a complete cube, every cell, zeros included; the alternatives' results are
completed with zeros after timing, so the completion is not charged to them.

Times are medians over ``--repeat`` rounds after one untimed warm-up per engine (numba
compiles then); engines take turns within each round, so background load falls on all
alike. Peak memory is measured per engine in a fresh child process: the growth of its
resident set (VmHWM after the call minus VmRSS before it) during one call on the full
frame, after a warm-up on a small frame of the same schema; glibc is told to map large
allocations directly (``MALLOC_MMAP_THRESHOLD_``) so freed memory leaves the process and
the measure sees every allocation (Linux only).

Also measured: ``fs.validate`` on the already canonical frame (rows per second), and
``femstat.stream.counts_from_file`` over a Parquet dataset of ``--stream-copies`` hard
links to one file of ``--stream-rows`` rows (peak resident memory of the whole process;
victim ids repeat across the copies, so the id check is off).

Usage::

    python benchmarks/bench_classify_count.py                  # 20 million rows
    python benchmarks/bench_classify_count.py --rows 5_000_000 --repeat 3
    python benchmarks/bench_classify_count.py --smoke          # CI: tiny, every engine once
"""

from __future__ import annotations

import argparse
import ctypes
import datetime as dt
import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import femstat as fs
from femstat import codes as C
from femstat.ages import UNODC_AGE_GROUPS

SEED = 1
BY = ["year", "area", "age_group"]
KEYS = [*BY, "femicide_type"]
CRITERIA = list(C.CRITERIA)
COLUMNS = ["year", "area", "iccs_code", "victim_sex", "victim_age", "relationship", *CRITERIA]
TYPES = list(C.FEMICIDE_TYPES)
AGE_LABELS = list(UNODC_AGE_GROUPS.labels)
PARTNER = [c for c in C.RELATIONSHIP.codes if C.RELATIONSHIP_GROUP_OF[c] == "intimate_partner"]
FAMILY = [c for c in C.RELATIONSHIP.codes if C.RELATIONSHIP_GROUP_OF[c] == "family_member"]
MIB = 2**20


# --------------------------------------------------------------------------------------
# The engines. Each takes the pandas frame and returns its natural result; normalise()
# turns any result into a Series keyed by (year, area, age_group, femicide_type).


def _sql_list(values: list[str]) -> str:
    return ", ".join(f"'{v}'" for v in values)


def _sql_age() -> str:
    bounds = UNODC_AGE_GROUPS.lower[1:]
    whens = " ".join(f"WHEN victim_age < {b} THEN {i}" for i, b in enumerate(bounds))
    return f"CASE WHEN victim_age IS NULL THEN {len(AGE_LABELS) - 1} {whens} ELSE {len(bounds)} END"


def _sql_type() -> str:
    t = TYPES.index
    return f"""
    CASE WHEN victim_sex = 'female' AND iccs_code LIKE '0101%' THEN
        CASE
            WHEN relationship IN ({_sql_list(PARTNER)}) THEN {t("intimate_partner")}
            WHEN relationship IN ({_sql_list(FAMILY)}) THEN {t("family_member")}
            WHEN {" OR ".join(CRITERIA)} THEN {t("other_perpetrator")}
            WHEN relationship = 'unknown' OR {" OR ".join(f"{c} IS NULL" for c in CRITERIA)}
                THEN {t("undetermined")}
            ELSE {t("not_femicide")}
        END
    ELSE {t("out_of_scope")} END"""


DUCKDB_SQL = f"""
SELECT year, area, {_sql_age()} AS age_group, {_sql_type()} AS femicide_type, count(*) AS n
FROM victims
GROUP BY ALL
"""


def _polars_query(frame: Any) -> Any:
    import polars as pl

    age = pl.col("victim_age")
    age_group = pl.when(age.is_null()).then(pl.lit(len(AGE_LABELS) - 1, dtype=pl.Int8))
    for i, bound in enumerate(UNODC_AGE_GROUPS.lower[1:]):
        age_group = age_group.when(age < bound).then(pl.lit(i, dtype=pl.Int8))
    age_group = age_group.otherwise(pl.lit(len(UNODC_AGE_GROUPS.lower) - 1, dtype=pl.Int8))
    relationship = pl.col("relationship")
    in_scope = (pl.col("victim_sex") == "female") & pl.col("iccs_code").cat.starts_with("0101")

    def code(label: str) -> Any:
        return pl.lit(TYPES.index(label), dtype=pl.Int8)

    femicide_type = (
        pl.when(~in_scope)
        .then(code("out_of_scope"))
        .when(relationship.is_in(PARTNER))
        .then(code("intimate_partner"))
        .when(relationship.is_in(FAMILY))
        .then(code("family_member"))
        .when(pl.any_horizontal(CRITERIA))  # Kleene OR: null unless some criterion is true
        .then(code("other_perpetrator"))
        .when((relationship == "unknown") | pl.any_horizontal(pl.col(CRITERIA).is_null()))
        .then(code("undetermined"))
        .otherwise(code("not_femicide"))
    )
    return (
        frame.lazy()
        .group_by("year", "area", age_group.alias("age_group"), femicide_type.alias("t"))
        .len()
        .collect()
    )


def _pandas(df: pd.DataFrame) -> pd.Series:
    in_scope = (df["victim_sex"] == "female") & df["iccs_code"].str.startswith("0101")
    criteria = df[CRITERIA]
    any_true = criteria.fillna(False).any(axis=1)
    any_unknown = criteria.isna().any(axis=1)
    relationship = df["relationship"]
    t = TYPES.index
    codes = np.select(
        [
            ~in_scope,
            relationship.isin(PARTNER),
            relationship.isin(FAMILY),
            any_true,
            (relationship == "unknown") | any_unknown,
        ],
        [
            t("out_of_scope"),
            t("intimate_partner"),
            t("family_member"),
            t("other_perpetrator"),
            t("undetermined"),
        ],
        default=t("not_femicide"),
    )
    femicide_type = pd.Categorical.from_codes(codes, categories=TYPES)
    bins = [*UNODC_AGE_GROUPS.lower, np.inf]
    age_group = pd.cut(df["victim_age"], bins=bins, right=False, labels=AGE_LABELS[:-1])
    age_group = age_group.cat.add_categories("unknown").fillna("unknown")
    keys = {"year": df["year"], "area": df["area"], "age_group": age_group}
    keys["femicide_type"] = pd.Series(femicide_type, index=df.index)
    return pd.DataFrame(keys).groupby(KEYS, observed=False).size()


@dataclass
class Engine:
    name: str
    run: Callable[[], Any]
    normalise: Callable[[Any], pd.Series]
    setup_seconds: float | None = None  # conversion timed apart (polars)


def _femstat(kernel: str, df: pd.DataFrame) -> Callable[[], pd.DataFrame]:
    def run() -> pd.DataFrame:
        os.environ["FEMSTAT_KERNEL"] = kernel
        try:
            return fs.counts(df, BY)
        finally:
            del os.environ["FEMSTAT_KERNEL"]

    return run


def _from_cube(cube: pd.DataFrame) -> pd.Series:
    keyed = cube.astype({"area": str, "age_group": str, "femicide_type": str, "year": int})
    return keyed.set_index(KEYS)["count"]


def _from_coded(frame: pd.DataFrame, count: str) -> pd.Series:
    out = pd.DataFrame(
        {
            "year": frame["year"].astype(int),
            "area": frame["area"].astype(str),
            "age_group": np.asarray(AGE_LABELS, dtype=object)[frame["age_group"].astype(int)],
            "femicide_type": np.asarray(TYPES, dtype=object)[frame["femicide_type"].astype(int)],
            "count": frame[count].astype(np.int64),
        }
    )
    return out.set_index(KEYS)["count"]


def _from_pandas_groupby(result: pd.Series) -> pd.Series:
    frame = result.rename("count").reset_index()
    return _from_cube(frame)


def make_engines(df: pd.DataFrame, names: list[str]) -> list[Engine]:
    engines: list[Engine] = []
    for name in names:
        if name == "femstat-numba":
            engines.append(Engine(name, _femstat("numba", df), _from_cube))
        elif name == "femstat-numpy":
            engines.append(Engine(name, _femstat("numpy", df), _from_cube))
        elif name == "duckdb":
            import duckdb

            con = duckdb.connect()
            con.execute(f"SET threads = {_cpus()}")
            con.register("victims", df)  # a view of the DataFrame, scanned in place

            def run_duckdb(con: Any = con) -> pd.DataFrame:
                return con.execute(DUCKDB_SQL).df()

            engines.append(Engine(name, run_duckdb, lambda r: _from_coded(r, "n")))
        elif name in ("polars", "polars+conversion"):
            import polars as pl

            def polars_result(r: Any) -> pd.Series:
                return _from_coded(r.rename({"t": "femicide_type"}).to_pandas(), "len")

            if name == "polars":
                start = time.perf_counter()
                converted = pl.from_pandas(df[COLUMNS])
                seconds = time.perf_counter() - start
                engines.append(
                    Engine(name, lambda c=converted: _polars_query(c), polars_result, seconds)
                )
            else:
                engines.append(
                    Engine(name, lambda: _polars_query(pl.from_pandas(df[COLUMNS])), polars_result)
                )
        elif name == "pandas":
            engines.append(Engine(name, lambda: _pandas(df), _from_pandas_groupby))
        else:
            raise SystemExit(f"unknown engine {name!r}")
    return engines


ENGINES = ["femstat-numba", "femstat-numpy", "duckdb", "polars", "polars+conversion", "pandas"]
NEEDS = {
    "femstat-numba": "numba",
    "duckdb": "duckdb",
    "polars": "polars",
    "polars+conversion": "polars",
}


def check_equal(name: str, got: pd.Series, expected: pd.Series, n_rows: int) -> None:
    """The same complete cube: every cell of femstat's, zeros included, nothing else."""
    extra = got.index.difference(expected.index)
    if len(extra):
        raise AssertionError(f"{name}: cells outside femstat's cube, e.g. {list(extra[:3])}")
    completed = got.reindex(expected.index, fill_value=0)
    if not completed.equals(expected.astype(np.int64)) or int(completed.sum()) != n_rows:
        diff = (completed - expected).abs()
        raise AssertionError(f"{name}: {int((diff > 0).sum())} cells differ from femstat's")


# --------------------------------------------------------------------------------------
# Measuring.


def _cpus() -> int:
    return len(os.sched_getaffinity(0))


def _status(key: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"no {key} in /proc/self/status")


def _reset_peak() -> None:
    # Writing 5 to clear_refs resets VmHWM to the current RSS (Linux >= 4.0).
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")


def _trim() -> None:
    gc.collect()
    ctypes.CDLL("libc.so.6").malloc_trim(0)


def _child_env() -> dict[str, str]:
    # A fixed mmap threshold stops glibc from serving large arrays out of a heap that
    # keeps freed memory, which would hide allocations from the RSS measurement.
    return {**os.environ, "MALLOC_MMAP_THRESHOLD_": str(1 << 20)}


def memory_child(engine: str, rows: int) -> dict[str, Any]:
    """In a fresh process: extra peak RSS of one call of ``engine`` on ``rows`` rows."""
    df = fs.synth.generate(rows, seed=SEED)
    small = fs.synth.generate(min(rows, 10_000), seed=SEED + 1)
    for warm in make_engines(small, [engine]):
        warm.run()  # imports, compilation, first-call set-up
    (measured,) = make_engines(df, [engine])  # polars: the conversion happens here
    _trim()
    before = _status("VmRSS")
    _reset_peak()
    measured.run()
    peak = _status("VmHWM")
    return {
        "engine": engine,
        "input_bytes": int(df.memory_usage(deep=True).sum()),
        "extra_peak_bytes": peak - before,
    }


def stream_child(path: str, batch_rows: int) -> dict[str, Any]:
    """In a fresh process: stream the dataset, report time, peak RSS and the cube."""
    from femstat.stream import counts_from_file

    _trim()
    start_rss = _status("VmRSS")
    _reset_peak()
    start = time.perf_counter()
    cube = counts_from_file(
        path, BY, format="parquet", batch_rows=batch_rows, check_unique_ids=False, progress=False
    )
    seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "peak_rss_bytes": _status("VmHWM"),
        "start_rss_bytes": start_rss,
        "rows": int(cube["count"].sum()),
        "cube": _from_cube(cube).reset_index().values.tolist(),
    }


def _run_child(args: list[str]) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, *args],
        capture_output=True,
        text=True,
        env=_child_env(),
        check=False,
    )
    if done.returncode:
        raise SystemExit(f"child {args} failed:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def read_floor(df: pd.DataFrame, repeat: int) -> tuple[float, int] | None:
    """Seconds to read, once, every byte femstat's kernel reads (numba, all CPUs).

    The kernel reads the codes of victim_sex, iccs_code, relationship and area, the
    values and masks of the eight criteria, the years and the ages with their mask: 25
    bytes a row. No engine reading those columns can beat the memory bandwidth this
    measures. Returns None without numba.
    """
    try:
        import numba
    except ImportError:
        return None
    from concurrent.futures import ThreadPoolExecutor

    from femstat._arrays import masked_parts

    arrays = [df[c].array.codes.view(np.uint8) for c in ("victim_sex", "iccs_code")]
    arrays += [df[c].array.codes.view(np.uint8) for c in ("relationship", "area")]
    for column in [*CRITERIA, "victim_age"]:
        arrays += [part.view(np.uint8) for part in masked_parts(df[column])]
    arrays.append(masked_parts(df["year"])[0].view(np.uint8))
    for array in arrays:  # one array type, so numba sees a homogeneous tuple
        array.flags.writeable = False
    columns = tuple(arrays)

    @numba.njit(nogil=True)
    def xor_all(columns: Any, part: int, parts: int) -> int:
        acc = np.zeros(4096, dtype=np.uint8)
        for column in columns:
            start, stop = len(column) * part // parts, len(column) * (part + 1) // parts
            for s in range(start, stop, 4096):
                block = column[s : min(s + 4096, stop)]
                for i in range(len(block)):
                    acc[i] ^= block[i]
        return int(acc.sum())

    parts = _cpus()
    xor_all(columns, 0, parts)
    times = []
    with ThreadPoolExecutor(parts) as pool:
        for _ in range(max(3, repeat)):
            start = time.perf_counter()
            list(pool.map(lambda k: xor_all(columns, k, parts), range(parts)))
            times.append(time.perf_counter() - start)
    return statistics.median(times), sum(a.nbytes for a in columns)


def time_engines(engines: list[Engine], repeat: int) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {e.name: [] for e in engines}
    for round_ in range(repeat):
        shift = round_ % len(engines)
        for engine in engines[shift:] + engines[:shift]:  # take turns
            gc.collect()
            start = time.perf_counter()
            engine.run()
            times[engine.name].append(time.perf_counter() - start)
    return times


def _versions() -> str:
    from importlib.metadata import PackageNotFoundError, version

    parts = [f"python {platform.python_version()}"]
    for package in ("femstat", "numpy", "pandas", "numba", "duckdb", "polars", "pyarrow"):
        try:
            parts.append(f"{package} {version(package)}")
        except PackageNotFoundError:
            parts.append(f"{package} -")
    return ", ".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    rows_type = lambda s: int(s.replace("_", ""))  # noqa: E731
    parser.add_argument("--rows", type=rows_type, default=20_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, every engine once")
    parser.add_argument("--engines", default=",".join(ENGINES))
    parser.add_argument("--no-memory", action="store_true", help="skip the child processes")
    parser.add_argument("--stream-rows", type=rows_type, default=None, help="default: --rows")
    parser.add_argument("--stream-copies", type=int, default=10)
    parser.add_argument("--batch-rows", type=rows_type, default=1_000_000)
    parser.add_argument("--no-stream", action="store_true")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child:  # running as a measuring child process
        kind, *rest = args.child
        if kind == "memory":
            result = memory_child(rest[0], int(rest[1]))
        else:
            result = stream_child(rest[0], int(rest[1]))
        print(json.dumps(result, default=str))
        return 0

    if args.smoke:
        args.rows, args.repeat, args.batch_rows = 20_000, 1, 7_000
        args.stream_rows, args.stream_copies = 20_000, 2
    names = [n.strip() for n in args.engines.split(",") if n.strip()]
    for name in names:
        package = NEEDS.get(name)
        if package is not None:
            try:
                __import__(package)
            except ImportError:
                raise SystemExit(
                    f"engine {name!r} needs {package}: pip install 'femstat[fast,bench]'"
                ) from None

    print(f"femstat classify-and-count benchmark, {dt.datetime.now():%Y-%m-%d %H:%M}")
    print(f"  {platform.platform()}, {_cpus()} CPUs, load average {os.getloadavg()[0]:.2f}")
    print(f"  {_versions()}")
    start = time.perf_counter()
    df = fs.synth.generate(args.rows, seed=SEED)
    input_bytes = int(df.memory_usage(deep=True).sum())
    print(
        f"  {args.rows:,} synthetic rows (seed {SEED}, made in {time.perf_counter() - start:.1f} "
        f"s): {input_bytes / MIB:,.0f} MiB in memory, {len(df.columns)} columns, "
        f"{len(COLUMNS)} read"
    )

    engines = make_engines(df, names)
    results: dict[str, Any] = {"rows": args.rows, "input_bytes": input_bytes, "engines": {}}
    answers = {e.name: e.normalise(e.run()) for e in engines}  # also the warm-up
    reference = _from_cube(fs.counts(df, BY))
    for name, answer in answers.items():
        check_equal(name, answer, reference, args.rows)
    print(
        f"  every answer equal: complete cubes of {len(reference):,} cells "
        f"(year x area x age group x type), {args.rows:,} records"
    )

    times = time_engines(engines, args.repeat)
    memory: dict[str, int] = {}
    if not args.no_memory:
        for name in names:
            child = _run_child(["--child", "memory", name, str(args.rows)])
            memory[name] = child["extra_peak_bytes"]

    print(f"\nclassify and count, median of {args.repeat} (seconds; extra peak RSS, MiB)")
    baselines = [n for n in ("femstat-numba", "femstat-numpy") if n in times]
    header = f"{'engine':<20} {'median':>8} {'min':>8} {'Mrows/s':>8}"
    header += "".join(f" {'vs ' + b.split('-')[1]:>9}" for b in baselines)
    header += f" {'peak MiB':>9} {'% input':>8}"
    print(header)
    for engine in engines:
        median = statistics.median(times[engine.name])
        line = f"{engine.name:<20} {median:>8.3f} {min(times[engine.name]):>8.3f}"
        line += f" {args.rows / median / 1e6:>8.1f}"
        for b in baselines:
            line += f" {median / statistics.median(times[b]):>8.1f}x"
        if engine.name in memory:
            line += f" {memory[engine.name] / MIB:>9,.0f} {memory[engine.name] / input_bytes:>8.1%}"
        print(line)
        results["engines"][engine.name] = {
            "median_s": median,
            "min_s": min(times[engine.name]),
            "times_s": times[engine.name],
            "extra_peak_bytes": memory.get(engine.name),
            "setup_s": engine.setup_seconds,
        }
    for engine in engines:
        if engine.setup_seconds is not None:
            print(
                f"  ({engine.name}: pl.from_pandas of the {len(COLUMNS)} columns read took "
                f"{engine.setup_seconds:.3f} s, once, not in its times)"
            )
    floor = read_floor(df, args.repeat)
    if floor is not None:
        seconds, n_bytes = floor
        results["read_floor"] = {"median_s": seconds, "bytes": n_bytes}
        print(
            f"  (reading once the {n_bytes / args.rows:.0f} bytes a row the kernel reads, "
            f"{_cpus()} threads: {seconds:.3f} s, {n_bytes / seconds / 1e9:.1f} GB/s; the "
            "memory-bandwidth floor of any engine reading these columns)"
        )

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", fs.DataQualityWarning)
        fs.validate(df)
        validate_times = []
        for _ in range(args.repeat):
            gc.collect()
            start = time.perf_counter()
            fs.validate(df)
            validate_times.append(time.perf_counter() - start)
    validate_median = statistics.median(validate_times)
    results["validate"] = {"median_s": validate_median, "rows_per_s": args.rows / validate_median}
    print(
        f"\nfs.validate on the canonical frame: median {validate_median:.3f} s, "
        f"{args.rows / validate_median / 1e6:,.1f} million rows/s"
    )

    if not args.no_stream:
        results["stream"] = stream(df, args, reference)

    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    if not args.smoke:
        targets(results)
    return 0


def stream(df: pd.DataFrame, args: argparse.Namespace, reference: pd.Series) -> dict[str, Any]:
    rows = args.stream_rows or args.rows
    part = df if rows == len(df) else fs.synth.generate(rows, seed=SEED)
    part_reference = reference if rows == len(df) else _from_cube(fs.counts(part, BY))
    with tempfile.TemporaryDirectory(prefix="femstat-bench-") as tmp:
        source = Path(tmp) / "victims.parquet"
        start = time.perf_counter()
        part.to_parquet(source, row_group_size=min(rows, 1_000_000), index=False)
        written = time.perf_counter() - start
        dataset = Path(tmp) / "dataset"
        dataset.mkdir()
        for k in range(args.stream_copies):
            os.link(source, dataset / f"part-{k:03d}.parquet")  # same bytes, k times
        file_bytes = source.stat().st_size
        child = _run_child(["--child", "stream", str(dataset), str(args.batch_rows)])
    total = rows * args.stream_copies
    cube = pd.DataFrame(child.pop("cube"), columns=[*KEYS, "count"]).set_index(KEYS)["count"]
    check_equal("stream", cube, part_reference * args.stream_copies, total)
    if child["rows"] != total:
        raise AssertionError(f"streamed {child['rows']:,} rows, expected {total:,}")
    print(
        f"\nstreaming from Parquet: {args.stream_copies} hard links to one file of {rows:,} "
        f"rows ({file_bytes / MIB:,.0f} MiB, written in {written:.1f} s), {total:,} rows, "
        f"batch_rows={args.batch_rows:,}, check_unique_ids=False"
    )
    print(
        f"  {child['seconds']:.1f} s, {total / child['seconds'] / 1e6:,.1f} million rows/s; "
        f"peak RSS of the process {child['peak_rss_bytes'] / MIB:,.0f} MiB "
        f"({(child['peak_rss_bytes'] - child['start_rss_bytes']) / MIB:,.0f} MiB above its "
        f"RSS before the call); cube equal to {args.stream_copies} x the in-memory cube"
    )
    return {"rows": total, "file_bytes": file_bytes, **child}


def targets(results: dict[str, Any]) -> None:
    """The issue's targets, checked against this run."""
    engines = results["engines"]
    lines = []

    def check(label: str, ok: bool, detail: str) -> None:
        lines.append(f"  [{'met' if ok else 'NOT MET'}] {label}: {detail}")

    for femstat in ("femstat-numba", "femstat-numpy"):
        if femstat not in engines:
            continue
        base = engines[femstat]["median_s"]
        for other in ("duckdb", "polars", "polars+conversion"):
            if other in engines:
                ratio = engines[other]["median_s"] / base
                check(f"{femstat} >= 5x faster than {other}", ratio >= 5, f"{ratio:.1f}x")
        peak = engines[femstat]["extra_peak_bytes"]
        if peak is not None:
            share = peak / results["input_bytes"]
            check(f"{femstat} extra peak memory < 25% of input", share < 0.25, f"{share:.1%}")
    rate = results["validate"]["rows_per_s"]
    check("validation >= 50 million rows/s", rate >= 50e6, f"{rate / 1e6:.1f} million rows/s")
    if "stream" in results:
        s = results["stream"]
        check(
            f"{s['rows']:,} rows streamed from Parquet with peak memory < 2 GiB",
            s["peak_rss_bytes"] < 2 * 2**30,
            f"peak RSS {s['peak_rss_bytes'] / MIB:,.0f} MiB",
        )
    print("\ntargets (issue: performance and scale)")
    print("\n".join(lines))


if __name__ == "__main__":
    sys.exit(main())
