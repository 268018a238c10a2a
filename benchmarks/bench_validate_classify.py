"""Time and peak memory of fs.validate plus fs.classify on synthetic microdata.

Two inputs of the same N rows made by ``fs.synth.generate``: the canonical frame as it
comes (validation only checks dtypes and ranges), and the same data written as text
codes, as a CSV-read frame would hold them (validation coerces every column).

Peak memory is the peak resident set size of a fresh child process per case, minus the
resident size just before the timed call: the extra memory validate+classify need
beyond their input.

Usage::

    python benchmarks/bench_validate_classify.py --rows 10_000_000
"""

from __future__ import annotations

import argparse
import ctypes
import json
import multiprocessing as mp
import os
import resource
import statistics
import sys
import time
from typing import Any


def _rss_mib() -> float:
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * resource.getpagesize() / 2**20


def _peak_rss_mib() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def _reset_peak() -> None:
    # Writing 5 to clear_refs resets VmHWM to the current RSS (Linux >= 4.0).
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")


def _trim() -> None:
    # Hand freed heap memory back to the kernel so RSS measures what is live.
    ctypes.CDLL("libc.so.6").malloc_trim(0)


def _case(kind: str, rows: int, repeat: int, queue: Any) -> None:
    import femstat as fs

    frame = fs.synth.generate(rows, seed=1)
    if kind == "text":
        frame = frame.astype(
            {
                c: "str"
                for c in frame.columns
                if c not in ("victim_id", "year", "victim_age", "perpetrator_age")
            }
        )
        frame["victim_age"] = frame["victim_age"].astype("float64")
    input_mib = frame.memory_usage(deep=True).sum() / 2**20
    times = []
    extra = []
    for _ in range(repeat):
        _trim()
        before = _rss_mib()
        _reset_peak()
        start = time.perf_counter()
        clean, _report = fs.validate(frame, report=True)
        typed = fs.classify(clean)
        times.append(time.perf_counter() - start)
        extra.append(_peak_rss_mib() - before)
        del clean, typed
    queue.put(
        {
            "case": kind,
            "rows": rows,
            "input_mib": input_mib,
            "median_s": statistics.median(times),
            "min_s": min(times),
            "extra_peak_mib": max(extra),
        }
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=lambda s: int(s.replace("_", "")), default=10_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="print results as JSON")
    args = parser.parse_args(argv)
    # A fixed mmap threshold stops glibc from serving large arrays out of a heap that
    # keeps freed memory, which would hide allocations from the RSS measurement.
    os.environ.setdefault("MALLOC_MMAP_THRESHOLD_", str(1 << 20))
    ctx = mp.get_context("spawn")
    results = []
    for kind in ("canonical", "text"):
        queue = ctx.Queue()
        child = ctx.Process(target=_case, args=(kind, args.rows, args.repeat, queue))
        child.start()
        results.append(queue.get())
        child.join()
        if child.exitcode:
            return child.exitcode
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    print(f"fs.validate + fs.classify, {args.rows:,} rows, median of {args.repeat}")
    print(f"{'input':<10} {'input MiB':>10} {'median s':>9} {'rows/s':>14} {'extra peak MiB':>15}")
    for r in results:
        print(
            f"{r['case']:<10} {r['input_mib']:>10,.0f} {r['median_s']:>9.3f} "
            f"{r['rows'] / r['median_s']:>14,.0f} {r['extra_peak_mib']:>15,.0f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
