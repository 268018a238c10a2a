"""The example data shipped with femstat.

``example_victims.csv.gz`` holds 20,000 synthetic victim records made by
:func:`femstat.synth.generate` with seed 2022, written with plain text codes as a user's
file would be; ``example_population.csv`` holds matching female population denominators
by year, area and five-year age band (0-4, ..., 85-89, 90+: the bands of the European
Standard Population 2013, the report's default standard, so that the bundled data can be
age-standardised). ``scripts/make_example_data.py`` regenerates both, and the test suite
checks that the shipped files equal what it makes. For rates by UNODC age group, sum the
bands with :func:`femstat.ages.regroup` (the 15-19 band straddles UNODC's 15-17 / 18-19
and is shared out by years of age).
"""

from __future__ import annotations

from importlib import resources

import pandas as pd

__all__ = ["EXAMPLE_SEED", "EXAMPLE_STANDARD", "example_population", "example_victims"]

EXAMPLE_SEED = 2022
EXAMPLE_ROWS = 20_000
EXAMPLE_STANDARD = "esp2013"
"""The standard population whose five-year bands ``example_population`` is given in."""


def _path(name: str) -> resources.abc.Traversable:
    return resources.files("femstat") / "data" / name


def example_victims() -> pd.DataFrame:
    """The bundled synthetic victim microdata, as read from its CSV (not yet validated)."""
    with resources.as_file(_path("example_victims.csv.gz")) as path:
        return pd.read_csv(path, dtype={"iccs_code": "str"}, keep_default_na=False, na_values=[""])


def example_population() -> pd.DataFrame:
    """Female population by ``year``, ``area`` and ``age_group`` (five-year bands, 0-4 to 90+)."""
    with resources.as_file(_path("example_population.csv")) as path:
        frame = pd.read_csv(path)
    frame["year"] = frame["year"].astype("Int16")
    return frame
