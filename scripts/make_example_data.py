"""Regenerate the example data shipped in src/femstat/data/ (deterministic)."""

from __future__ import annotations

import gzip
import sys
from pathlib import Path

import femstat as fs
from femstat.datasets import EXAMPLE_ROWS, EXAMPLE_SEED

DATA = Path(__file__).resolve().parents[1] / "src" / "femstat" / "data"


def victims_csv() -> bytes:
    frame = fs.synth.generate(EXAMPLE_ROWS, seed=EXAMPLE_SEED)
    return frame.to_csv(index=False, lineterminator="\n").encode()


def population_csv() -> bytes:
    frame = fs.synth.population(age_groups="unodc", total=25_000_000, seed=EXAMPLE_SEED)
    return frame.to_csv(index=False, lineterminator="\n").encode()


def main() -> int:
    DATA.mkdir(parents=True, exist_ok=True)
    # mtime=0 keeps the gzip bytes identical from run to run.
    (DATA / "example_victims.csv.gz").write_bytes(gzip.compress(victims_csv(), mtime=0))
    (DATA / "example_population.csv").write_bytes(population_csv())
    return 0


if __name__ == "__main__":
    sys.exit(main())
