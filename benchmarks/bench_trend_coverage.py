"""Coverage of the APC intervals of femstat.stats.annual_percent_change, by simulation.

Draws series of yearly counts with a known APC from a negative binomial (overdispersed) or a
Poisson model, fits every (method, interval) pair, and reports how often the interval covers
the true APC, with its Monte Carlo standard error. The numbers quoted in the methods page of
the documentation come from the default run.

Usage::

    python benchmarks/bench_trend_coverage.py                 # 4,000 series per scenario
    python benchmarks/bench_trend_coverage.py --reps 200      # quick look
    python benchmarks/bench_trend_coverage.py --methods quasipoisson,poisson --intervals wald
"""

from __future__ import annotations

import argparse
import itertools
import math
import sys
import time

import numpy as np

from femstat.stats import fit_trend

# (label, years, mean count in the first year, true APC in per cent, NB theta or inf)
SCENARIOS = [
    ("5 years, ~40/yr, NB theta=20", 5, 40.0, 2.0, 20.0),
    ("10 years, ~50/yr, NB theta=20", 10, 50.0, -3.0, 20.0),
    ("10 years, ~200/yr, NB theta=20", 10, 200.0, 2.0, 20.0),
    ("15 years, ~100/yr, NB theta=10", 15, 100.0, 1.0, 10.0),
    ("10 years, ~10/yr, NB theta=5", 10, 10.0, 0.0, 5.0),
    ("10 years, ~50/yr, Poisson", 10, 50.0, 2.0, math.inf),
    ("5 years, ~15/yr, Poisson", 5, 15.0, 0.0, math.inf),
]


def simulate(
    rng: np.random.Generator, years: int, mean: float, apc: float, theta: float, reps: int
) -> np.ndarray:
    """``reps`` series of counts, shape (reps, years)."""
    mu = mean * (1.0 + apc / 100.0) ** np.arange(years)
    if math.isinf(theta):
        return rng.poisson(mu, size=(reps, years))
    return rng.negative_binomial(theta, theta / (theta + mu), size=(reps, years))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=4000)
    parser.add_argument("--seed", type=int, default=20261201)
    parser.add_argument("--level", type=float, default=0.95)
    parser.add_argument("--methods", default="quasipoisson,poisson,negbin")
    parser.add_argument("--intervals", default="wald,profile")
    args = parser.parse_args(argv)
    methods = args.methods.split(",")
    intervals = args.intervals.split(",")
    rng = np.random.default_rng(args.seed)
    print(f"coverage of the true APC at nominal {args.level:.1%}, {args.reps} series each")
    print(f"{'scenario':34} {'method':13} {'interval':8} {'coverage':>9} {'MC se':>6} {'NaN':>5}")
    start = time.perf_counter()
    for label, years, mean, apc, theta in SCENARIOS:
        series = simulate(rng, years, mean, apc, theta, args.reps)
        t = np.arange(2010, 2010 + years)
        pop = np.full(years, 1e6)
        for method, interval in itertools.product(methods, intervals):
            covered = 0
            missing = 0
            for x in series:
                fit = fit_trend(t, x, pop, level=args.level, method=method, interval=interval)
                if math.isnan(fit.lower):
                    missing += 1
                    continue
                covered += fit.lower <= apc <= fit.upper
            n = args.reps - missing
            rate = covered / n if n else math.nan
            se = math.sqrt(rate * (1 - rate) / n) if n else math.nan
            print(
                f"{label:34} {method:13} {interval:8} {rate:9.1%} {se:6.1%} {missing:5d}",
                flush=True,
            )
    print(f"({time.perf_counter() - start:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
