"""Validate and time fs.estimate by simulation: coverage, bias and width against the truth.

Each replication draws data with a known truth (``femstat.estimates.simulate``: the
relationship depends on covariates, the criteria on the relationship), hides relationships
and criteria at random given the covariates, estimates with ``fs.estimate`` and compares
with the complete data. Reported per row (femicide, partner or family, intimate partner):
coverage of the intervals (nominal 95 %), relative bias of the estimate, and the mean width
of the interval beside the width of the bounds (identified; plus undetermined).

Usage::

    python benchmarks/bench_estimate.py                       # 400 replications of 5,000
    python benchmarks/bench_estimate.py --reps 20 --rows 2000 --m 10   # a quick look
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time

import numpy as np

import femstat as fs
from femstat.estimates import simulate

ROWS = ("femicide", "partner_or_family", "intimate_partner")
COVARIATES = ["place", "mechanism", "age_group", "year"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    number = lambda s: int(s.replace("_", ""))  # noqa: E731
    parser.add_argument("--reps", type=number, default=400)
    parser.add_argument("--rows", type=number, default=5_000)
    parser.add_argument("--m", type=number, default=20)
    parser.add_argument("--method", choices=("impute", "allocate"), default="impute")
    parser.add_argument("--json", help="write the numbers to this file")
    parser.add_argument(
        "--check", action="store_true", help="exit 1 unless coverage, bias and width pass"
    )
    args = parser.parse_args(argv)
    covered = dict.fromkeys(ROWS, 0)
    errors: dict[str, list[float]] = {r: [] for r in ROWS}
    truths: dict[str, list[float]] = {r: [] for r in ROWS}
    widths: dict[str, list[float]] = {r: [] for r in ROWS}
    bound_widths: dict[str, list[float]] = {r: [] for r in ROWS}
    seconds = []
    for rep in range(args.reps):
        complete, masked = simulate(args.rows, seed=rep)
        truth = fs.indicators(complete).set_index("femicide_type")["count"]
        start = time.perf_counter()
        table = fs.estimate(
            masked, m=args.m, seed=rep, covariates=COVARIATES, method=args.method
        ).set_index("femicide_type")
        seconds.append(time.perf_counter() - start)
        for row in ROWS:
            true = float(truth[row])
            got = table.loc[row]
            covered[row] += bool(got["lower"] <= true <= got["upper"])
            errors[row].append(float(got["estimate"]) - true)
            truths[row].append(true)
            widths[row].append(float(got["upper"] - got["lower"]))
            bound_widths[row].append(float(got["bound_upper"] - got["bound_lower"]))
    summary = {}
    ok = True
    print(
        f"fs.estimate(method={args.method!r}"
        + (f", m={args.m}" if args.method == "impute" else "")
        + f") on {args.reps} simulated data sets "
        f"of {args.rows:,} female victims; median {np.median(seconds):.2f} s per estimate"
    )
    print(f"{'row':<20}{'coverage':>10}{'+/-':>7}{'bias %':>9}{'width':>9}{'bounds':>9}")
    for row in ROWS:
        coverage = covered[row] / args.reps
        se = math.sqrt(0.95 * 0.05 / args.reps)
        bias = float(np.sum(errors[row]) / np.sum(truths[row]))
        width = float(np.mean(widths[row]))
        bounds = float(np.mean(bound_widths[row]))
        summary[row] = {
            "coverage": coverage,
            "coverage_se": se,
            "relative_bias": bias,
            "mean_width": width,
            "mean_bounds_width": bounds,
        }
        print(f"{row:<20}{coverage:>10.3f}{se:>7.3f}{100 * bias:>9.2f}{width:>9.1f}{bounds:>9.1f}")
        ok &= abs(coverage - 0.95) <= 0.03 and abs(bias) < 0.01 and width < bounds
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump({"args": vars(args), "rows": summary, "seconds": seconds}, handle, indent=2)
    return 0 if ok or not args.check else 1


if __name__ == "__main__":
    sys.exit(main())
