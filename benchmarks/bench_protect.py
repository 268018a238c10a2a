"""Time the attacker's audit and secondary suppression of a release with its margins.

Builds a release of count tables from synthetic microdata: year x area x type (6 types),
with its margins by year, by area and the overall table. Times
:func:`femstat.audit_disclosure` on the primary-suppressed release and
:func:`femstat.protect` on it, and compares the cells protect hides (primary and
secondary, their number and total, the rounds) with a naive method (every cell of the
same type in the year and in the area of a primary cell, with their margins).

Usage::

    python benchmarks/bench_protect.py                        # 100 areas x 10 years
    python benchmarks/bench_protect.py --rows 300000          # dense: fewer small cells
    python benchmarks/bench_protect.py --areas 20 --rows 6000 # smaller
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np
import pandas as pd

import femstat as fs


def release(areas: int, years: int, rows: int) -> dict[str, pd.DataFrame]:
    names = [f"A{i:03d}" for i in range(areas)]
    data = fs.classify(fs.synth.generate(rows, seed=7, areas=names, years=(2015, 2015 + years - 1)))
    return {
        "year_area": fs.counts(data, by=["year", "area"]),
        "year": fs.counts(data, by=["year"]),
        "area": fs.counts(data, by=["area"]),
        "total": fs.counts(data),
    }


def naive(tables: dict[str, pd.DataFrame], min_count: int) -> dict[str, pd.DataFrame]:
    """Hide the type's whole year row, area column and margins of every primary cell."""
    cells = tables["year_area"]
    small = (cells["count"] > 0) & (cells["count"] < min_count)
    hit = cells.loc[small, ["year", "area", "femicide_type"]]
    years = set(zip(hit["year"], hit["femicide_type"], strict=True))
    areas = set(zip(hit["area"], hit["femicide_type"], strict=True))
    types = set(hit["femicide_type"])
    out = {}
    for name, table in tables.items():
        kind = table["femicide_type"]
        mask = np.zeros(len(table), dtype=bool)
        if "year" in table.columns:
            mask |= [(y, t) in years for y, t in zip(table["year"], kind, strict=True)]
        if "area" in table.columns:
            mask |= [(a, t) in areas for a, t in zip(table["area"], kind, strict=True)]
        if name == "total":
            mask |= kind.isin(types).to_numpy()
        hidden = table.copy()
        hidden["count"] = hidden["count"].astype("Int64").mask(mask)
        out[name] = fs.suppress(hidden, min_count)
    return out


def hidden_cells(tables: dict[str, pd.DataFrame], truth: dict[str, pd.DataFrame]) -> tuple:
    n = sum(int(t["count"].isna().sum()) for t in tables.values())
    total = sum(int(truth[k]["count"][t["count"].isna()].sum()) for k, t in tables.items())
    return n, total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--areas", type=int, default=100)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--rows", type=lambda s: int(s.replace("_", "")), default=30_000)
    parser.add_argument("--min-count", type=int, default=5)
    args = parser.parse_args(argv)
    truth = release(args.areas, args.years, args.rows)
    primary = {k: fs.suppress(t, args.min_count) for k, t in truth.items()}
    n_cells = sum(len(t) for t in truth.values())

    start = time.perf_counter()
    audit = fs.audit_disclosure(primary, min_count=args.min_count)
    audit_time = time.perf_counter() - start

    start = time.perf_counter()
    protected = fs.protect(truth, min_count=args.min_count)
    protect_time = time.perf_counter() - start
    info = protected["total"].attrs["protection"]

    crude = naive(truth, args.min_count)
    crude_audit = fs.audit_disclosure(crude, min_count=args.min_count).attrs["audit"]

    base_n, base_total = hidden_cells(primary, truth)
    rows = [
        ("primary suppression only", base_n, base_total, audit.attrs["audit"], f"{audit_time:.2f}"),
        ("fs.protect", *hidden_cells(protected, truth), info["audit"], f"{protect_time:.2f}"),
        ("naive: whole row, column, margins", *hidden_cells(crude, truth), crude_audit, ""),
    ]
    print(
        f"release: {args.areas} areas x {args.years} years x 6 types with margins by year, "
        f"by area and overall; {n_cells:,} cells from {args.rows:,} records, "
        f"min_count {args.min_count}"
    )
    print(
        f"primary cells: {base_n:,} totalling {base_total:,}, of which "
        f"{audit.attrs['audit']['n_exposed']:,} exposed (audit {audit_time:.2f} s)"
    )
    print(
        f"fs.protect: {protect_time:.2f} s, {info['rounds']} round(s), "
        f"{info['n_secondary']:,} secondary cells totalling {info['secondary_total']:,.0f}"
    )
    print()
    print(f"{'method':<36}{'hidden rows':>12}{'their total':>13}{'exposed':>9}{'time (s)':>10}")
    for name, n, total, summary, seconds in rows:
        print(f"{name:<36}{n:>12,}{total:>13,}{summary['n_exposed']:>9,}{seconds:>10}")
    print()
    extra = {name: (n - base_n, total - base_total) for name, n, total, _, _ in rows[1:]}
    ours, theirs = extra["fs.protect"], extra["naive: whole row, column, margins"]
    print(
        f"beyond primary suppression: fs.protect hides {ours[0]:,} rows totalling "
        f"{ours[1]:,}; the naive method {theirs[0]:,} rows totalling {theirs[1]:,}"
        + (
            f" ({theirs[0] / ours[0]:.1f} times the rows, {theirs[1] / ours[1]:.1f} times "
            "the total)"
            if ours[0] > 0 and ours[1] > 0
            else ""
        )
    )
    return 0 if info["audit"]["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
