"""Regenerate the example data shipped in src/femstat/data/ (deterministic).

``example_population.csv`` is in the five-year bands of the default standard population
(the European Standard Population 2013: 0-4, ..., 85-89, 90+), so that the default report
can age-standardise. It refines the UNODC-group population femstat shipped before: each
UNODC group is shared out over the five-year bands inside it along the synthetic pyramid
(:func:`femstat.synth.population`: the population at each single year of age falls
linearly from 1 at birth to 0.2 at 100), rounded so that the bands of a group add up to
the group exactly. The total of every year and area, and of every UNODC group that is a
union of five-year bands, is therefore unchanged; 15-19 is the old 15-17 plus 18-19.
"""

from __future__ import annotations

import gzip
import sys
from pathlib import Path

import numpy as np
import pandas as pd

import femstat as fs
from femstat.ages import age_scheme, five_year
from femstat.datasets import EXAMPLE_ROWS, EXAMPLE_SEED, EXAMPLE_STANDARD
from femstat.stats import standard_population

DATA = Path(__file__).resolve().parents[1] / "src" / "femstat" / "data"
_OLDEST = 100  # the synthetic pyramid's last single year of age


def victims_csv() -> bytes:
    frame = fs.synth.generate(EXAMPLE_ROWS, seed=EXAMPLE_SEED)
    return frame.to_csv(index=False, lineterminator="\n").encode()


def coarse_population() -> pd.DataFrame:
    """The population by UNODC age group (the file femstat shipped before)."""
    return fs.synth.population(age_groups="unodc", total=25_000_000, seed=EXAMPLE_SEED)


def _split(total: int, weights: np.ndarray) -> np.ndarray:
    """``total`` in whole people over ``weights``, largest remainders first (sums exactly)."""
    exact = total * weights / weights.sum()
    whole = np.floor(exact).astype(np.int64)
    short = total - int(whole.sum())
    order = np.argsort(-(exact - whole), kind="stable")
    whole[order[:short]] += 1
    return whole


def five_year_population() -> pd.DataFrame:
    """The coarse population shared out over the standard's five-year bands."""
    coarse = coarse_population()
    standard = standard_population(EXAMPLE_STANDARD)
    bands = standard.labels
    fine = five_year(standard.lower_ages[-1])
    if fine.known_labels != bands:
        raise ValueError(f"the {standard.name} standard is not in five-year bands: {bands}")
    single_year = np.linspace(1.0, 0.2, num=_OLDEST + 1)
    band_of_age = fine.codes(np.arange(_OLDEST + 1, dtype=float))
    unodc = age_scheme("unodc")
    group_of_age = unodc.codes(np.arange(_OLDEST + 1, dtype=float))
    rows: list[tuple[int, str, str, int]] = []
    for (year, area), frame in coarse.groupby(["year", "area"], sort=True):
        counts = dict(zip(frame["age_group"], frame["population"], strict=True))
        people = np.zeros(len(bands), dtype=np.int64)
        for g, label in enumerate(unodc.known_labels):
            in_group = group_of_age == g
            # The five-year bands this group overlaps, weighted by the pyramid's people
            # at the ages they share.
            weights = np.bincount(
                band_of_age[in_group], weights=single_year[in_group], minlength=len(bands)
            )[: len(bands)]
            people += _split(int(counts[label]), weights)
        rows.extend((int(year), str(area), b, int(n)) for b, n in zip(bands, people, strict=True))
    return pd.DataFrame(rows, columns=["year", "area", "age_group", "population"])


def population_csv() -> bytes:
    return five_year_population().to_csv(index=False, lineterminator="\n").encode()


def main() -> int:
    DATA.mkdir(parents=True, exist_ok=True)
    # mtime=0 keeps the gzip bytes identical from run to run.
    (DATA / "example_victims.csv.gz").write_bytes(gzip.compress(victims_csv(), mtime=0))
    (DATA / "example_population.csv").write_bytes(population_csv())
    return 0


if __name__ == "__main__":
    sys.exit(main())
