"""Age-group schemes: UNODC's homicide groups, five-year groups and custom edges.

An age scheme turns ages into group codes with one look-up into a table indexed by age,
so grouping ten million ages is a single gather.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from femstat._arrays import masked_parts

__all__ = ["UNODC_AGE_GROUPS", "AgeScheme", "age_group", "age_scheme", "five_year"]

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
