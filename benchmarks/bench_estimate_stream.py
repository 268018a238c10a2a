"""Estimates of a large file, batch by batch, against the whole frame in memory.

Writes a synthetic victim file (Parquet) of ``--rows`` rows, then runs, each in a fresh
process so that the peak resident memory of each is its own:

- ``stream``: ``femstat.estimates.estimate_from_file(path, "year", batch_size=...)``;
- ``whole``: ``fs.estimate(fs.classify(fs.read(path)), "year")``.

It prints the time and the peak resident memory of each, and checks that both give the
same numbers (they must, for the same seed).

    python benchmarks/bench_estimate_stream.py --rows 1000000 --batch 200000 --m 20
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

NUMBERS = ["observed", "bound_lower", "bound_upper", "estimate", "lower", "upper"]


def run(mode: str, path: Path, batch: int, m: int) -> None:
    import femstat as fs
    from femstat.estimates import estimate_from_file

    start = time.perf_counter()
    if mode == "stream":
        table = estimate_from_file(path, "year", batch_size=batch, m=m, seed=1, progress=False)
    else:
        table = fs.estimate(fs.classify(fs.read(path)), "year", m=m, seed=1, progress=False)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: KiB
    out = path.with_suffix(f".{mode}.json")
    table[NUMBERS].to_json(out)
    print(json.dumps({"mode": mode, "seconds": round(seconds, 1), "peak_mib": peak // 2**20}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=200_000)
    parser.add_argument("--m", type=int, default=20)
    parser.add_argument("--run", choices=["stream", "whole"], help=argparse.SUPPRESS)
    parser.add_argument("--path", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run:
        run(args.run, args.path, args.batch, args.m)
        return
    import pandas as pd

    import femstat as fs

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "victims.parquet"
        fs.synth.generate(args.rows, seed=1, years=(2015, 2024)).to_parquet(path, index=False)
        for mode in ("stream", "whole"):
            command = [sys.executable, __file__, "--run", mode, "--path", str(path)]
            options = ["--batch", str(args.batch), "--m", str(args.m)]
            subprocess.run([*command, *options], check=True)
        stream = pd.read_json(path.with_suffix(".stream.json"))
        whole = pd.read_json(path.with_suffix(".whole.json"))
        same = stream.equals(whole)
        print(f"same numbers: {same}")
        if not same:
            sys.exit(1)


if __name__ == "__main__":
    main()
