"""Build SHR fixed-width records from field values, for hand-made fixtures.

The positions are copied from the layout table of the specification (``sources.md``
section 1, the ICPSR codebook), not from femstat's reader, so a wrong position in the
reader makes the tests fail instead of agreeing with itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

RECORD = 270


@dataclass(frozen=True)
class V:
    """One victim: age (2 characters), sex, race, ethnicity."""

    age: str = "30"
    sex: str = "F"
    race: str = "W"
    ethnicity: str = "N"


@dataclass(frozen=True)
class O:  # noqa: E742 - short name keeps fixtures readable
    """One offender: age, sex, race, ethnicity, weapon, relationship, circumstance, sub."""

    age: str = "35"
    sex: str = "M"
    race: str = "W"
    ethnicity: str = "N"
    weapon: str = "12"
    relationship: str = "ST"
    circumstance: str = "45"
    sub: str = " "


def _put(line: list[str], start: int, value: str, width: int) -> None:
    """Write ``value`` at 1-based ``start``, right-justified in ``width`` characters."""
    text = value.rjust(width)
    assert len(text) == width, (value, width)
    line[start - 1 : start - 1 + width] = list(text)


def _put_person(line: list[str], base: int, person: V | O) -> None:
    """Write the age, sex, race and ethnicity that open every victim and offender slot."""
    _put(line, base, person.age, 2)
    _put(line, base + 2, person.sex, 1)
    _put(line, base + 3, person.race, 1)
    _put(line, base + 4, person.ethnicity, 1)


def _put_offender(line: list[str], base: int, offender: O) -> None:
    """Write one offender slot of 12 characters starting at ``base``."""
    _put_person(line, base, offender)
    _put(line, base + 5, offender.weapon, 2)
    _put(line, base + 7, offender.relationship, 2)
    _put(line, base + 9, offender.circumstance, 2)
    _put(line, base + 11, offender.sub, 1)


def record(
    victims: Sequence[V] = (V(),),
    offenders: Sequence[O] = (O(),),
    *,
    state: int = 1,
    ori: str = "XX00001",
    year: int = 2015,
    month: int = 6,
    homicide_type: str = "A",
    incident: int = 1,
    situation: str = "A",
    agency_name: str = "SPRINGFIELD",
    additional_victims: int | None = None,
    additional_offenders: int | None = None,
    trim: bool = False,
) -> str:
    """One SHR record (without its line end)."""
    line = [" "] * RECORD
    line[0] = "6"
    _put(line, 2, str(state), 2)
    _put(line, 4, ori.ljust(7), 7)
    line[12] = "6"
    _put(line, 14, str(year), 4)
    _put(line, 34, agency_name.ljust(24), 24)
    _put(line, 64, str(month), 2)
    _put(line, 73, homicide_type, 1)
    _put(line, 74, str(incident), 3)
    _put(line, 77, situation, 1)
    first, *more_victims = victims
    _put_person(line, 78, first)
    lead, *more_offenders = offenders
    _put_offender(line, 83, lead)
    n_extra_v = len(more_victims) if additional_victims is None else additional_victims
    n_extra_o = len(more_offenders) if additional_offenders is None else additional_offenders
    _put(line, 95, str(n_extra_v), 3)
    _put(line, 98, str(n_extra_o), 3)
    for j, victim in enumerate(more_victims):
        _put_person(line, 101 + 5 * j, victim)
    for j, offender in enumerate(more_offenders):
        _put_offender(line, 151 + 12 * j, offender)
    text = "".join(line)
    return text.rstrip() if trim else text


def shr_file(*records: str, newline: str = "\n") -> bytes:
    """A whole file: records joined by ``newline``, ending with one."""
    return (newline.join(records) + newline).encode("ascii")


# What the victim was to the offender (SHR code) -> what the perpetrator was to the victim
# (femstat code), restated from the specification (framework.md section 3, sources.md
# section 1 and the brief), not read from femstat's mapping.
SHR_RELATIONSHIP: dict[str, str] = {
    "HU": "current_partner",
    "WI": "current_partner",
    "CH": "current_partner",
    "CW": "current_partner",
    "BF": "current_partner",
    "GF": "current_partner",
    "XH": "former_partner",
    "XW": "former_partner",
    "HO": "intimate_partner",
    "MO": "child",  # victim was the offender's mother: killed by her child
    "FA": "child",
    "SM": "child",  # victim was the offender's stepmother: killed by her stepchild
    "SF": "child",
    "SO": "parent",  # victim was the offender's son: killed by a parent
    "DA": "parent",
    "SS": "parent",
    "SD": "parent",
    "BR": "sibling",
    "SI": "sibling",
    "IL": "relative_by_marriage",
    "OF": "family_member",
    "NE": "friend_or_acquaintance",
    "AQ": "friend_or_acquaintance",
    "FR": "friend_or_acquaintance",
    "EE": "colleague_or_business",
    "ER": "colleague_or_business",
    "OK": "other_known_person",
    "ST": "stranger",
    "UN": "unknown",
}

# sources.md: 11-15 firearm, 60 explosive, 20 sharp object, 30 blunt object,
# 40, 55, 75, 80, 85 physical force, 50, 65, 70 other mechanism, 90 unknown.
SHR_WEAPON: dict[str, str] = {
    **dict.fromkeys(["11", "12", "13", "14", "15"], "firearm"),
    "60": "explosive",
    "20": "sharp_object",
    "30": "blunt_object",
    **dict.fromkeys(["40", "55", "75", "80", "85"], "physical_force"),
    **dict.fromkeys(["50", "65", "70"], "other_mechanism"),
    "90": "unknown",
}

SHR_CIRCUMSTANCES: tuple[str, ...] = (
    "2", "3", "5", "6", "7", "9", "10", "17", "18", "19", "26", "32",
    *map(str, range(40, 50)), *map(str, range(50, 60)), "60", "70", "80", "81", "99",
)  # fmt: skip
