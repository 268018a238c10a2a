"""Standard populations for direct age standardisation.

Three standards ship with femstat, in five-year age bands:

- ``"who2000"``: the WHO World Standard Population 2000-2025 (Ahmad et al. 2001), 21 bands
  from 0-4 to 100+.
- ``"segi1960"``: Segi's world standard population (Segi 1960, as modified by Doll, Payne &
  Waterhouse 1966), 18 bands from 0-4 to 85+.
- ``"esp2013"``: the European Standard Population 2013 (Eurostat 2013), 19 bands from 0-4
  to 90+.

Weights are stored as published, per 100,000 persons. The standardisation functions normalise
weights to sum to 1, so the rounding of a published table never biases a rate.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
import numpy.typing as npt

__all__ = [
    "STANDARD_POPULATIONS",
    "StandardPopulation",
    "standard_population",
]

_LABEL = re.compile(r"^(\d+)(?:-(\d+)|\+)$")


@dataclass(frozen=True)
class StandardPopulation:
    """A standard population: age bands and their weights.

    Parameters
    ----------
    name : str
        Short identifier, e.g. ``"esp2013"``.
    labels : tuple of str
        Band labels, ``"0-4"``, ``"5-9"``, ..., with an open last band such as ``"85+"``.
    lower_ages : tuple of int
        The first age of each band, increasing, starting at 0.
    weights : tuple of float
        Standard population of each band (any scale; the published tables use per 100,000).
    source : str
        Bibliographic reference of the table.

    Raises
    ------
    ValueError
        If the tuples differ in length, the ages do not increase, a label does not match its
        lower age, or a weight is negative or not finite.

    Examples
    --------
    >>> esp = standard_population("esp2013")
    >>> esp.labels[:3], esp.weights[:3]
    (('0-4', '5-9', '10-14'), (5000.0, 5500.0, 5500.0))
    """

    name: str
    labels: tuple[str, ...]
    lower_ages: tuple[int, ...]
    weights: tuple[float, ...]
    source: str

    def __post_init__(self) -> None:
        n = len(self.labels)
        if not (len(self.lower_ages) == n == len(self.weights)) or n == 0:
            raise ValueError(
                f"standard population {self.name!r}: labels, lower_ages and weights must have "
                f"the same non-zero length, got {n}, {len(self.lower_ages)} and "
                f"{len(self.weights)}. Give one label, lower age and weight per band."
            )
        ages = np.asarray(self.lower_ages)
        if np.any(np.diff(ages) <= 0):
            raise ValueError(
                f"standard population {self.name!r}: lower_ages must increase, got "
                f"{self.lower_ages}. List the bands from youngest to oldest."
            )
        for label, age in zip(self.labels, self.lower_ages, strict=True):
            match = _LABEL.match(label)
            if match is None or int(match.group(1)) != age:
                raise ValueError(
                    f"standard population {self.name!r}: label {label!r} does not match its "
                    f"lower age {age}. Use labels like '0-4' and an open last band like '85+'."
                )
        w = np.asarray(self.weights, dtype=np.float64)
        if not np.all(np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
            raise ValueError(
                f"standard population {self.name!r}: weights must be finite, non-negative and "
                "not all zero. Check the table the weights were copied from."
            )

    @property
    def proportions(self) -> npt.NDArray[np.float64]:
        """The weights normalised to sum to 1, as a float64 array."""
        w = np.asarray(self.weights, dtype=np.float64)
        return np.asarray(w / w.sum(), dtype=np.float64)

    def __len__(self) -> int:
        return len(self.labels)


def _bands(last_lower: int) -> tuple[tuple[str, ...], tuple[int, ...]]:
    lowers = tuple(range(0, last_lower + 1, 5))
    labels = (*(f"{a}-{a + 4}" for a in lowers[:-1]), f"{last_lower}+")
    return labels, lowers


_WHO_LABELS, _WHO_AGES = _bands(100)
_SEGI_LABELS, _SEGI_AGES = _bands(85)
_ESP_LABELS, _ESP_AGES = _bands(90)

# Kept as printed tables, ten bands a line, rather than one number a line.
# fmt: off
WHO2000 = StandardPopulation(
    name="who2000",
    labels=_WHO_LABELS,
    lower_ages=_WHO_AGES,
    # As published (there in per cent, here per 100,000). The table prints its total as 100
    # per cent, but its rounded entries add up to 100.035 (100,035 per 100,000); the weights
    # are kept as printed, and normalisation makes the rounding harmless.
    weights=(
        8860.0, 8690.0, 8600.0, 8470.0, 8220.0, 7930.0, 7610.0, 7150.0, 6590.0, 6040.0,
        5370.0, 4550.0, 3720.0, 2960.0, 2210.0, 1520.0, 910.0, 440.0, 150.0, 40.0, 5.0,
    ),
    source=(
        "Ahmad OB, Boschi-Pinto C, Lopez AD, Murray CJL, Lozano R, Inoue M. Age "
        "standardization of rates: a new WHO standard. GPE Discussion Paper Series No. 31. "
        "Geneva: World Health Organization, 2001."
    ),
)

SEGI1960 = StandardPopulation(
    name="segi1960",
    labels=_SEGI_LABELS,
    lower_ages=_SEGI_AGES,
    weights=(
        12000.0, 10000.0, 9000.0, 9000.0, 8000.0, 8000.0, 6000.0, 6000.0, 6000.0, 6000.0,
        5000.0, 4000.0, 4000.0, 3000.0, 2000.0, 1000.0, 500.0, 500.0,
    ),
    source=(
        "Segi M. Cancer mortality for selected sites in 24 countries (1950-57). Sendai: "
        "Department of Public Health, Tohoku University School of Medicine, 1960; as modified "
        "by Doll R, Payne P, Waterhouse J (eds). Cancer Incidence in Five Continents, Vol. I. "
        "Geneva: UICC; Berlin: Springer, 1966."
    ),
)

ESP2013 = StandardPopulation(
    name="esp2013",
    labels=_ESP_LABELS,
    lower_ages=_ESP_AGES,
    weights=(
        5000.0, 5500.0, 5500.0, 5500.0, 6000.0, 6000.0, 6500.0, 7000.0, 7000.0, 7000.0,
        7000.0, 6500.0, 6000.0, 5500.0, 5000.0, 4000.0, 2500.0, 1500.0, 1000.0,
    ),
    source=(
        "Eurostat. Revision of the European Standard Population: report of Eurostat's task "
        "force. Methodologies and Working papers. Luxembourg: Publications Office of the "
        "European Union, 2013."
    ),
)

# fmt: on

STANDARD_POPULATIONS: Mapping[str, StandardPopulation] = MappingProxyType(
    {sp.name: sp for sp in (WHO2000, SEGI1960, ESP2013)}
)
"""The shipped standard populations by name (read-only)."""


def standard_population(name: str) -> StandardPopulation:
    """Look up a shipped standard population by name.

    Parameters
    ----------
    name : {"who2000", "segi1960", "esp2013"}
        The standard's short name.

    Returns
    -------
    StandardPopulation

    Raises
    ------
    KeyError
        If ``name`` is not a shipped standard; the message lists the valid names.

    Notes
    -----
    - ``"who2000"``: WHO World Standard Population 2000-2025, 21 bands 0-4 ... 95-99, 100+
      (Ahmad et al. 2001).
    - ``"segi1960"``: Segi's world standard population, 18 bands 0-4 ... 80-84, 85+ (Segi 1960;
      Doll, Payne & Waterhouse 1966).
    - ``"esp2013"``: European Standard Population 2013, 19 bands 0-4 ... 85-89, 90+
      (Eurostat 2013).

    References
    ----------
    .. [1] Ahmad, O. B., Boschi-Pinto, C., Lopez, A. D., Murray, C. J. L., Lozano, R., &
       Inoue, M. (2001). *Age standardization of rates: a new WHO standard*. GPE Discussion
       Paper Series No. 31. World Health Organization.
    .. [2] Segi, M. (1960). *Cancer mortality for selected sites in 24 countries (1950-57)*.
       Tohoku University School of Medicine.
    .. [3] Doll, R., Payne, P., & Waterhouse, J. (Eds.) (1966). *Cancer Incidence in Five
       Continents, Vol. I*. UICC / Springer.
    .. [4] Eurostat (2013). *Revision of the European Standard Population: report of
       Eurostat's task force*. Publications Office of the European Union.

    Examples
    --------
    >>> standard_population("who2000").labels[-1]
    '100+'
    """
    try:
        return STANDARD_POPULATIONS[name]
    except KeyError:
        names = ", ".join(repr(n) for n in STANDARD_POPULATIONS)
        raise KeyError(
            f"no standard population named {name!r}. Use one of: {names}; or build your own "
            "with femstat.stats.StandardPopulation."
        ) from None
