"""Age-group schemes: UNODC's homicide groups, five-year groups and custom edges.

An age scheme turns ages into group codes with one look-up into a table indexed by age,
so grouping ten million ages is a single gather.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from femstat._arrays import masked_parts

__all__ = [
    "UNODC_AGE_GROUPS",
    "AgeScheme",
    "age_group",
    "age_scheme",
    "band_bounds",
    "five_year",
    "regroup",
]

UNKNOWN = "unknown"
_TABLE_SIZE = 1 << 15  # every Int16 age, so ages above 120 still land in the top group


@dataclass(frozen=True)
class AgeScheme:
    """Age groups given by their lower bounds; the last group is open-ended.

    Parameters
    ----------
    name : str
        Identifier, e.g. ``"unodc"``.
    lower : sequence of int
        Strictly increasing lower bounds, starting at 0.
    labels : sequence of str, optional
        One label per group; by default ``"0-4"`` style labels and ``"85+"`` for the last.

    Examples
    --------
    >>> AgeScheme("children", [0, 18]).labels
    ('0-17', '18+', 'unknown')
    """

    name: str
    lower: tuple[int, ...]
    labels: tuple[str, ...] = ()
    _table: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        lower = tuple(int(x) for x in self.lower)
        if not lower or lower[0] != 0 or any(b <= a for a, b in itertools.pairwise(lower)):
            raise ValueError(
                f"age scheme {self.name!r}: lower bounds must start at 0 and increase, "
                f"got {list(lower)}"
            )
        default = tuple(f"{a}-{b - 1}" for a, b in itertools.pairwise(lower))
        labels = tuple(self.labels) or (*default, f"{lower[-1]}+")
        if len(labels) == len(lower):
            labels = (*labels, UNKNOWN)
        if len(labels) != len(lower) + 1 or labels[-1] != UNKNOWN:
            raise ValueError(f"age scheme {self.name!r}: give one label per group ({len(lower)})")
        table = np.searchsorted(np.asarray(lower), np.arange(_TABLE_SIZE), side="right") - 1
        object.__setattr__(self, "lower", lower)
        object.__setattr__(self, "labels", labels)
        object.__setattr__(self, "_table", table.astype(np.int8))

    @cached_property
    def dtype(self) -> pd.CategoricalDtype:
        """Categorical dtype of the groups, ``unknown`` last (built once)."""
        return pd.CategoricalDtype(list(self.labels), ordered=True)

    @property
    def known_labels(self) -> tuple[str, ...]:
        """The labels of the age groups, without ``unknown``."""
        return self.labels[:-1]

    def codes(self, ages: pd.Series | pd.api.extensions.ExtensionArray | np.ndarray) -> np.ndarray:
        """Group code of each age; missing ages get the code of ``unknown``."""
        array = ages.array if isinstance(ages, pd.Series) else ages
        if isinstance(array, pd.arrays.IntegerArray):
            data, mask = masked_parts(array)
            values = data.astype(np.int64)
            missing = mask
        else:
            floats = np.asarray(array, dtype="float64")
            missing = np.isnan(floats)
            values = np.where(missing, 0, floats).astype(np.int64)
        np.clip(values, 0, _TABLE_SIZE - 1, out=values)
        out = self._table[values]
        out[missing] = len(self.labels) - 1
        return out

    def cut(self, ages: pd.Series) -> pd.Series:
        """Ages to a Categorical of group labels (``unknown`` for missing ages)."""
        return pd.Series(
            pd.Categorical.from_codes(self.codes(ages), dtype=self.dtype),
            index=ages.index,
            name="age_group",
        )


UNODC_AGE_GROUPS = AgeScheme(
    "unodc",
    (0, 10, 15, 18, 20, 25, 30, 45, 60),
    ("0-9", "10-14", "15-17", "18-19", "20-24", "25-29", "30-44", "45-59", "60+", UNKNOWN),
)
"""UNODC's homicide series: 0-9, 10-14, 15-17, 18-19, 20-24, 25-29, 30-44, 45-59, 60+."""


def five_year(top: int = 85) -> AgeScheme:
    """Five-year groups 0-4, 5-9, ... with an open top group ``f"{top}+"``.

    Match ``top`` to the standard population: 85 for Segi 1960, 90 for the European
    standard 2013, 100 for the WHO standard 2000-2025.
    """
    if top % 5 or top < 5:
        raise ValueError(f"top must be a positive multiple of 5, got {top}")
    return AgeScheme(f"five_year_{top}", tuple(range(0, top + 1, 5)))


def age_scheme(spec: str | AgeScheme | Sequence[int]) -> AgeScheme:
    """Resolve ``"unodc"``, ``"five_year"`` (85+), ``"five_year_90"``, lower bounds or a scheme."""
    if isinstance(spec, AgeScheme):
        return spec
    if isinstance(spec, str):
        if spec == "unodc":
            return UNODC_AGE_GROUPS
        if spec == "five_year":
            return five_year()
        if spec.startswith("five_year_") and spec[10:].isdigit():
            return five_year(int(spec[10:]))
        raise ValueError(
            f"unknown age scheme {spec!r}: use 'unodc', 'five_year', 'five_year_<top>', "
            "a list of lower bounds or a femstat.AgeScheme"
        )
    return AgeScheme("custom", tuple(spec))


def age_group(ages: pd.Series, scheme: str | AgeScheme | Sequence[int] = "unodc") -> pd.Series:
    """Group ages by a scheme; see :func:`age_scheme` for the ways to name one."""
    return age_scheme(scheme).cut(ages)


_BAND = re.compile(r"^\s*(\d+)\s*(?:-\s*(\d+)|\+)\s*$")


def band_bounds(label: str) -> tuple[int, int | None]:
    """First and last age of a band label: ``"15-19"`` -> (15, 19), ``"90+"`` -> (90, None).

    Raises
    ------
    ValueError
        If the label is neither ``"a-b"`` (with a <= b) nor ``"a+"``.
    """
    match = _BAND.match(str(label))
    if match is None or (match[2] is not None and int(match[2]) < int(match[1])):
        raise ValueError(
            f"age band {label!r} is not of the form 'a-b' or 'a+'; label age groups like "
            "'15-19' or '90+'"
        )
    return int(match[1]), None if match[2] is None else int(match[2])


def regroup(
    population: pd.DataFrame,
    scheme: str | AgeScheme | Sequence[int] = "unodc",
    *,
    apportion: bool = False,
) -> pd.DataFrame:
    """A population table in one set of age bands summed into another scheme's groups.

    Parameters
    ----------
    population : pandas.DataFrame
        An ``age_group`` column of band labels (``"0-4"``, ..., ``"90+"``), a
        ``population`` column and any other key columns (``year``, ``area``, ``sex``).
        The bands must be contiguous from age 0 and end with an open band.
    scheme : age scheme
        The groups to sum into (see :func:`age_scheme`); UNODC's by default.
    apportion : bool
        What to do with a band that straddles a boundary of ``scheme`` (the five-year band
        15-19 straddles UNODC's 15-17 / 18-19). By default this is an error, because the
        split is not in the data; with ``apportion=True`` the band is shared out in
        proportion to the years of age it covers in each group (an approximation: it
        assumes the same population at each single year of age within the band), and
        ``attrs["femstat_regroup"]["apportioned"]`` lists the bands shared out so.

    Returns
    -------
    pandas.DataFrame
        The same key columns, ``age_group`` holding the scheme's labels (every group of
        the scheme, in order, ``unknown`` left out) and ``population`` summed.

    Raises
    ------
    ValueError
        If the bands are not contiguous from 0 with an open top band, a band straddles a
        group boundary and ``apportion`` is False, or an open band would have to be split.

    Examples
    --------
    >>> pop = pd.DataFrame({"age_group": ["0-4", "5-9", "10+"], "population": [5, 6, 7]})
    >>> regroup(pop, [0, 10]).to_dict("list")
    {'age_group': ['0-9', '10+'], 'population': [11, 7]}
    """
    target = age_scheme(scheme)
    if "age_group" not in population.columns or "population" not in population.columns:
        raise ValueError(
            "regroup needs a population table with 'age_group' and 'population' columns; "
            f"it has {list(map(str, population.columns))}"
        )
    labels = list(dict.fromkeys(population["age_group"].astype(str)))
    bounds = sorted((band_bounds(label), label) for label in labels)
    expected = 0
    for (low, high), label in bounds:
        if low != expected or (high is None and label != bounds[-1][1]):
            raise ValueError(
                f"the population's age bands are not contiguous from age 0: band {label!r} "
                f"starts at {low}, expected {expected}; give every band from 0 to an open "
                "top band such as '90+'"
            )
        expected = -1 if high is None else high + 1
    if expected != -1:
        raise ValueError(
            f"the population's last age band {bounds[-1][1]!r} is not open-ended; give an "
            "open top band such as '90+'"
        )
    edges = np.asarray(target.lower)
    # weights[band label] -> list of (target group index, share of the band)
    shares: dict[str, list[tuple[int, float]]] = {}
    apportioned: list[str] = []
    for (low, high), label in bounds:
        first = int(np.searchsorted(edges, low, side="right") - 1)
        if high is None:
            if first != len(edges) - 1:
                raise ValueError(
                    f"the open age band {label!r} cannot be split into the groups of "
                    f"{target.name!r}, which start above {low}; give the population in "
                    f"bands up to {int(edges[-1])}+"
                )
            shares[label] = [(first, 1.0)]
            continue
        last = int(np.searchsorted(edges, high, side="right") - 1)
        if first == last:
            shares[label] = [(first, 1.0)]
            continue
        if not apportion:
            raise ValueError(
                f"the age band {label!r} straddles the boundary of the {target.name!r} groups "
                f"at age {int(edges[first + 1])}; give the population in finer bands, or pass "
                "apportion=True to share it out by years of age"
            )
        years = high - low + 1
        parts = []
        for group in range(first, last + 1):
            start = max(low, int(edges[group]))
            stop = min(high + 1, int(edges[group + 1]) if group + 1 < len(edges) else high + 1)
            parts.append((group, (stop - start) / years))
        shares[label] = parts
        apportioned.append(label)
    keys = [c for c in population.columns if c not in ("age_group", "population")]
    values = pd.to_numeric(population["population"], errors="coerce").to_numpy(dtype=float)
    band = population["age_group"].astype(str).to_numpy()
    pieces = []
    for label, parts in shares.items():
        rows = band == label
        for group, share in parts:
            piece = population.loc[rows, keys].copy()
            piece["age_group"] = target.known_labels[group]
            piece["population"] = values[rows] * share
            pieces.append(piece)
    long = pd.concat(pieces, ignore_index=True)
    long["age_group"] = pd.Categorical(long["age_group"], categories=list(target.known_labels))
    out = (
        long.groupby([*keys, "age_group"], observed=True, sort=True, dropna=False)["population"]
        .sum(min_count=1)
        .reset_index()
    )
    out["age_group"] = out["age_group"].astype(str)
    if not apportioned and pd.api.types.is_integer_dtype(population["population"].dtype):
        out["population"] = out["population"].round().astype(population["population"].dtype)
    out.attrs["femstat_regroup"] = {"scheme": target.name, "apportioned": apportioned}
    return out
