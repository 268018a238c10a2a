"""Synthetic homicide microdata in femstat's canonical schema.

The generator draws every column independently given the victim's sex, from
distributions shaped like published homicide statistics: about one victim in five is
female; for female victims intimate partners and family members dominate among known
relationships, for male victims acquaintances and strangers do; about a third of
relationships are unknown; criteria are true, false or unknown. It is for examples, tests
and benchmarks, and models no real country.

Every column is drawn as integer codes with one vectorised call and wrapped as a
Categorical without conversion, so ten million rows take a few seconds.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from femstat import codes as C
from femstat._arrays import masked_parts
from femstat.ages import AgeScheme, age_scheme

__all__ = ["generate", "population"]

_RESOLUTION = 1 << 16
_AREAS: tuple[str, ...] = tuple(f"R{i:02d}" for i in range(1, 13))
_AREA_WEIGHTS = np.array([18, 14, 11, 10, 9, 8, 7, 6, 5, 5, 4, 3], dtype=float)

# Relationship code probabilities by victim sex (female, male). About a third unknown.
# Codes not listed (partner_or_family_unspecified) are never drawn here: generate() adds
# them only behind its own parameter, so the default frames stay as they were.
_RELATIONSHIP_P: Mapping[str, tuple[float, float]] = {
    "intimate_partner": (0.02, 0.002),
    "current_partner": (0.20, 0.02),
    "former_partner": (0.08, 0.008),
    "family_member": (0.02, 0.01),
    "parent": (0.04, 0.015),
    "child": (0.04, 0.012),
    "sibling": (0.02, 0.015),
    "other_blood_relative": (0.015, 0.012),
    "relative_by_marriage": (0.015, 0.01),
    "other_household_member": (0.01, 0.005),
    "other_known": (0.02, 0.05),
    "friend_or_acquaintance": (0.06, 0.17),
    "colleague_or_business": (0.01, 0.03),
    "authority_or_care": (0.005, 0.01),
    "other_known_person": (0.02, 0.06),
    "stranger": (0.08, 0.25),
    "unknown": (0.0, 0.0),  # the remainder
}
_CRITERIA_P: Mapping[str, tuple[float, float]] = {
    # (true, false); unknown is the remainder
    "prior_violence": (0.12, 0.38),
    "exploitation": (0.01, 0.55),
    "abduction": (0.02, 0.55),
    "sex_work": (0.02, 0.55),
    "sexual_violence": (0.05, 0.50),
    "mutilation": (0.02, 0.60),
    "body_in_public_space": (0.05, 0.55),
    "hate_crime": (0.01, 0.45),
}
_MECHANISM_P = {
    "female": (0.30, 0.005, 0.25, 0.08, 0.03, 0.20, 0.05, 0.085),
    "male": (0.55, 0.01, 0.20, 0.06, 0.02, 0.06, 0.02, 0.08),
}
_PLACE_P = {
    "female": (0.10, 0.20, 0.12, 0.04, 0.04, 0.20, 0.03, 0.07, 0.05, 0.15),
    "male": (0.05, 0.05, 0.07, 0.03, 0.03, 0.45, 0.05, 0.08, 0.07, 0.12),
}


def _draw(rng: np.random.Generator, p: Sequence[float] | np.ndarray, n: int) -> np.ndarray:
    # A 65,536-entry look-up table indexed by random 16-bit integers: probabilities are
    # resolved to 1/65,536, plenty for synthetic data, and a cached gather is several
    # times faster than a binary search per row.
    cumulative = np.cumsum(np.asarray(p, dtype=float))
    cumulative /= cumulative[-1]
    edges = np.round(cumulative * _RESOLUTION).astype(np.int64)
    code_dtype = np.int8 if len(edges) <= np.iinfo(np.int8).max else np.int32
    table = np.repeat(np.arange(len(edges), dtype=code_dtype), np.diff(edges, prepend=0))
    return table[rng.integers(0, _RESOLUTION, size=n, dtype=np.uint16)]


def _by_sex(
    rng: np.random.Generator,
    female: np.ndarray,
    p_female: Sequence[float],
    p_male: Sequence[float],
) -> np.ndarray:
    out = _draw(rng, p_male, len(female))
    n_female = int(female.sum())
    out[female] = _draw(rng, p_female, n_female)
    return out


def _categorical(codes: np.ndarray, code_list: C.CodeList) -> pd.Categorical:
    return pd.Categorical.from_codes(codes, dtype=code_list.dtype)


def _nullable_boolean(
    rng: np.random.Generator,
    p_true: float,
    p_false: float,
    n: int,
    *,
    missing: np.ndarray | None = None,
    false: np.ndarray | None = None,
) -> pd.arrays.BooleanArray:
    """Draw true/false/unknown; ``missing`` forces unknown, then ``false`` forces false."""
    state = _draw(rng, (p_true, p_false, max(0.0, 1 - p_true - p_false)), n)
    values = state == 0
    mask = state == 2
    if missing is not None:
        mask |= missing
    if false is not None:
        values &= ~false
        mask &= ~false
    return pd.arrays.BooleanArray(values, mask)


def _ages(
    rng: np.random.Generator, female: np.ndarray, unknown_share: float
) -> pd.arrays.IntegerArray:
    n = len(female)
    # Adult ages from a gamma shaped like homicide victims' ages, a few infants and children.
    ages = 15 + rng.gamma(shape=2.2, scale=11.0, size=n)
    child = rng.random(n) < np.where(female, 0.06, 0.03)
    ages[child] = rng.integers(0, 15, size=int(child.sum()))
    values = np.clip(ages, 0, 99).astype(np.int16)
    return pd.arrays.IntegerArray(values, rng.random(n) < unknown_share)


def _check_count(n: object) -> int:
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 0:
        raise ValueError(f"n must be a non-negative whole number of records, got {n!r}")
    return int(n)


def _check_share(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise ValueError(f"{name} must be a number between 0 and 1, got {value!r}")
    share = float(value)
    if not 0.0 <= share <= 1.0:  # also refuses NaN
        raise ValueError(f"{name} must be between 0 and 1 inclusive, got {value!r}")
    return share


def _check_years(years: object) -> tuple[int, int]:
    info = np.iinfo(np.int16)  # years are stored as Int16, as validate makes them
    if isinstance(years, str) or not isinstance(years, Sequence) or len(years) != 2:
        raise ValueError(f"years must be a pair (first, last), got {years!r}")
    first, last = years[0], years[1]
    if not all(isinstance(y, int | np.integer) and not isinstance(y, bool) for y in (first, last)):
        raise ValueError(f"years must be two whole years (first, last), got {years!r}")
    if not info.min <= first <= last <= info.max:
        raise ValueError(
            f"years must run from a first year to a last year no earlier than it (both "
            f"between {info.min} and {info.max}), got {years!r}"
        )
    return int(first), int(last)


def _check_areas(areas: object) -> list[str]:
    if isinstance(areas, str) or not isinstance(areas, Sequence):
        raise ValueError(
            f"areas must be a sequence of area codes such as ['R01', 'R02'], got {areas!r}"
        )
    codes = list(areas)
    if not codes:
        raise ValueError("areas must list at least one area code")
    if len(set(codes)) != len(codes) or any(pd.isna(a) for a in codes):
        raise ValueError("areas must be distinct, non-missing area codes")
    return codes


def generate(
    n: int,
    *,
    seed: int | None = None,
    years: tuple[int, int] = (2015, 2024),
    areas: Sequence[str] = _AREAS,
    female_share: float = 0.2,
    out_of_scope_iccs_share: float = 0.03,
    partner_or_family_unspecified_share: float = 0.0,
) -> pd.DataFrame:
    """Make ``n`` rows of realistic synthetic victim microdata in canonical form.

    Parameters
    ----------
    n : int
        Number of victim records.
    seed : int, optional
        Seed of the random generator; the same seed gives the same frame.
    years : (int, int), default (2015, 2024)
        First and last year, inclusive.
    areas : sequence of str
        Area codes; drawn with unequal weights (the first are the most populous).
    female_share : float, default 0.2
        Share of female victims (about one in five in homicide data worldwide), from 0
        to 1 inclusive. Half a per cent of victims are of unknown sex, when the male
        share leaves room for them.
    out_of_scope_iccs_share : float, default 0.03
        Share of records coded as other ICCS classes (attempts, non-intentional
        homicide), which the classifier must put out of scope; from 0 to 1 inclusive.
    partner_or_family_unspecified_share : float, default 0.0
        Share of the victims killed by an intimate partner or a family member whose
        relationship is recorded only as ``partner_or_family_unspecified`` (one of the two,
        not known which), from 0 to 1 inclusive. At the default 0 no such record is made
        and the frame is the same as without the parameter; otherwise the other columns
        are drawn as before, for the relationship the record had.

    Raises
    ------
    ValueError
        When a parameter is out of its range; the message names it.

    Returns
    -------
    pandas.DataFrame
        Canonical victim microdata: every column of :class:`femstat.VictimSchema` except
        ``date`` and ``event_id``, with ``victim_id`` 0..n-1.
    """
    n = _check_count(n)
    years = _check_years(years)
    areas = _check_areas(areas)
    female_share = _check_share(female_share, "female_share")
    out_of_scope_iccs_share = _check_share(out_of_scope_iccs_share, "out_of_scope_iccs_share")
    unspecified_share = _check_share(
        partner_or_family_unspecified_share, "partner_or_family_unspecified_share"
    )
    rng = np.random.default_rng(seed)
    # Half a per cent of victims of unknown sex, taken from the male share; at the edges
    # (every victim female) there is no room left for them.
    unknown_sex = min(0.005, 1 - female_share)
    sex_codes = _draw(rng, (female_share, 1 - female_share - unknown_sex, unknown_sex), n)
    female = sex_codes == 0

    # In code-list order (a drawn index is the code); a code without a probability has
    # none, which leaves the draws of the others unchanged.
    rel_f = [_RELATIONSHIP_P.get(code, (0.0, 0.0))[0] for code in C.RELATIONSHIP.codes]
    rel_m = [_RELATIONSHIP_P.get(code, (0.0, 0.0))[1] for code in C.RELATIONSHIP.codes]
    assert C.RELATIONSHIP.codes[-1] == "unknown"
    rel_f[-1], rel_m[-1] = 1 - sum(rel_f), 1 - sum(rel_m)
    relationship = _by_sex(rng, female, rel_f, rel_m)

    n_years = years[1] - years[0] + 1
    year = (years[0] + rng.integers(0, n_years, size=n)).astype(np.int16)
    area_p = (
        _AREA_WEIGHTS[: len(areas)] if len(areas) <= len(_AREA_WEIGHTS) else np.ones(len(areas))
    )
    area = pd.Categorical.from_codes(_draw(rng, area_p, n), dtype=pd.CategoricalDtype(list(areas)))
    iccs = pd.Categorical.from_codes(
        _draw(
            rng,
            (
                1 - out_of_scope_iccs_share,
                out_of_scope_iccs_share * 0.6,
                out_of_scope_iccs_share * 0.4,
            ),
            n,
        ),
        dtype=pd.CategoricalDtype(["0101", "0102", "0103"]),
    )

    ages = _ages(rng, female, 0.05)
    # Children are not killed by intimate partners: their partner draws become parents.
    age_values, age_missing = masked_parts(ages)
    child = ~age_missing & (age_values < 13)
    partner_codes = [
        C.RELATIONSHIP.code_of(c) for c in ("intimate_partner", "current_partner", "former_partner")
    ]
    relationship[child & np.isin(relationship, partner_codes)] = C.RELATIONSHIP.code_of("parent")

    data: dict[str, object] = {
        "victim_id": np.arange(n, dtype=np.int64),
        "year": pd.arrays.IntegerArray(year, np.zeros(n, dtype=bool)),
        "area": area,
        "iccs_code": iccs,
        "victim_sex": _categorical(sex_codes, C.SEX),
        "victim_age": ages,
        "relationship": _categorical(relationship, C.RELATIONSHIP),
    }
    # Criteria are recorded for a case or not at all, as in real files: an investigated
    # case has most criteria known, an uninvestigated one has none.
    recorded = rng.random(n) < 0.6
    stranger = relationship == C.RELATIONSHIP.code_of("stranger")
    for name, (p_true, p_false) in _CRITERIA_P.items():
        scale = 0.97 / (p_true + p_false)
        values = _nullable_boolean(
            rng,
            p_true * scale,
            p_false * scale,
            n,
            missing=~recorded,
            # a stranger has no history with her
            false=(stranger & recorded) if name == "prior_violence" else None,
        )
        data[name] = values
    data["perpetrator_sex"] = _categorical(_draw(rng, (0.1, 0.75, 0.15), n), C.SEX)
    data["perpetrator_age"] = _ages(rng, np.zeros(n, dtype=bool), 0.3)
    data["mechanism"] = _categorical(
        _by_sex(rng, female, _MECHANISM_P["female"], _MECHANISM_P["male"]), C.MECHANISM
    )
    data["place"] = _categorical(
        _by_sex(rng, female, _PLACE_P["female"], _PLACE_P["male"]), C.PLACE
    )
    data["situational_context"] = _categorical(
        _draw(rng, (0.1, 0.1, 0.3, 0.2, 0.02, 0.28), n), C.SITUATIONAL_CONTEXT
    )
    for name, p_true in (
        ("victim_disability", 0.02),
        ("victim_migrant", 0.06),
        ("victim_pregnant", 0.02),
        ("victim_indigenous", 0.04),
    ):
        data[name] = _nullable_boolean(rng, p_true, 0.6, n)
    data["victim_citizenship"] = _categorical(_draw(rng, (0.85, 0.07, 0.08), n), C.CITIZENSHIP)
    data["prior_report_to_authorities"] = _nullable_boolean(rng, 0.08, 0.5, n)
    data["protection_order"] = _nullable_boolean(rng, 0.03, 0.6, n)
    data["case_status"] = _categorical(
        _draw(rng, (0.2, 0.15, 0.2, 0.2, 0.03, 0.05, 0.12, 0.05), n), C.CASE_STATUS
    )
    data["legal_qualification"] = _categorical(
        _draw(rng, (0.1, 0.6, 0.05, 0.25), n), C.LEGAL_QUALIFICATION
    )
    if unspecified_share > 0:
        # Last, so that every other column is drawn exactly as at the default.
        group_of = np.array([C.RELATIONSHIP_GROUP_OF[c] for c in C.RELATIONSHIP.codes])
        partner_or_family = np.isin(group_of[relationship], ("intimate_partner", "family_member"))
        blurred = partner_or_family & (rng.random(n) < unspecified_share)
        relationship = relationship.copy()
        relationship[blurred] = C.RELATIONSHIP.code_of("partner_or_family_unspecified")
        data["relationship"] = _categorical(relationship, C.RELATIONSHIP)
    return pd.DataFrame(data)


def population(
    *,
    years: tuple[int, int] = (2015, 2024),
    areas: Sequence[str] = _AREAS,
    age_groups: str | AgeScheme | Sequence[int] | None = None,
    total: float = 25_000_000,
    seed: int | None = None,
) -> pd.DataFrame:
    """Synthetic female population denominators matching :func:`generate`'s defaults.

    Parameters
    ----------
    years, areas :
        As for :func:`generate`.
    age_groups : age scheme, optional
        When given (``"unodc"``, ``"five_year"``, lower bounds or an AgeScheme), one row
        per age group as well, from a stylised pyramid: the population at each single
        year of age falls linearly from 1 at birth to 0.2 at 100.
    total : float
        Total female population in the first year; it grows 0.8 % a year.
    seed : int, optional

    Returns
    -------
    pandas.DataFrame
        Columns ``year``, ``area`` (and ``age_group``) and ``population``.
    """
    years = _check_years(years)
    areas = _check_areas(areas)
    if isinstance(total, bool) or not (
        isinstance(total, int | float | np.integer | np.floating) and 0 < total < np.inf
    ):
        raise ValueError(f"total must be a positive, finite population, got {total!r}")
    rng = np.random.default_rng(seed)
    weights = (
        _AREA_WEIGHTS[: len(areas)] if len(areas) <= len(_AREA_WEIGHTS) else np.ones(len(areas))
    )
    shares = weights / weights.sum()
    labels: tuple[str, ...] = ()
    pyramid: np.ndarray = np.ones(1)
    if age_groups is not None:
        scheme = age_scheme(age_groups)
        labels = scheme.known_labels
        single_years = np.linspace(1.0, 0.2, num=101)
        group_of_age = scheme.codes(np.arange(101, dtype=float))
        pyramid = np.bincount(group_of_age, weights=single_years, minlength=len(labels))
        pyramid = pyramid[: len(labels)] / pyramid.sum()
    rows: list[tuple[int, str, str | None, int]] = []
    for y in range(years[0], years[1] + 1):
        growth = 1.008 ** (y - years[0])
        for a, share in zip(areas, shares, strict=True):
            base = total * share * growth * (1 + rng.normal(0, 0.005))
            if age_groups is None:
                rows.append((y, a, None, round(base)))
                continue
            for group, part in zip(labels, pyramid, strict=True):
                rows.append((y, a, group, round(base * part)))
    frame = pd.DataFrame(rows, columns=["year", "area", "age_group", "population"])
    frame["year"] = frame["year"].astype("Int16")
    if age_groups is None:
        frame = frame.drop(columns="age_group")
    return frame
