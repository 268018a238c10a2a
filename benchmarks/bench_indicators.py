"""Time fs.indicators on a cube of many groups (issue: thousands of groups in one call).

Builds a count cube of ``--groups`` groups (areas x 10 years) from synthetic microdata,
then times ``fs.indicators`` on the cube with a population and two confidence levels.

Usage::

    python benchmarks/bench_indicators.py --groups 10_000
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import pandas as pd

import femstat as fs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--groups", type=lambda s: int(s.replace("_", "")), default=10_000)
    parser.add_argument("--rows", type=lambda s: int(s.replace("_", "")), default=2_000_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args(argv)
    n_areas = max(1, args.groups // 10)
    areas = [f"A{i:05d}" for i in range(n_areas)]
    typed = fs.classify(fs.synth.generate(args.rows, seed=3, areas=areas))
    cube = fs.counts(typed, ["year", "area"], male_comparator=True)
    groups = cube[["year", "area"]].drop_duplicates()
    population = groups.assign(population=250_000.0)
    times = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        table = fs.indicators(cube, ["year", "area"], population=population, level=[0.95, 0.998])
        times.append(time.perf_counter() - start)
    print(
        f"fs.indicators on a cube of {len(groups):,} groups ({len(table):,} rows out), "
        f"population and levels 95 % and 99.8 %: median {statistics.median(times):.3f} s, "
        f"min {min(times):.3f} s over {args.repeat} runs"
    )
    pd.testing.assert_series_equal(
        table.groupby("femicide_type", observed=True)["count"]
        .sum()
        .loc[["female_homicide"]]
        .reset_index(drop=True),
        pd.Series([int((typed["femicide_type"] != "out_of_scope").sum())], name="count"),
        check_dtype=False,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
