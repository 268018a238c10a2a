"""Common spellings that validation accepts for each code list.

Validation normalises a raw value (Unicode NFKC, surrounding spaces, case, inner spaces and
hyphens to underscores) and then looks it up here. Only spellings that cannot mean anything else are
listed: numeric codes such as ``1``/``2`` for sex, or sentinels such as ``99`` or ``-1`` for
"unknown", differ between sources and must come from a mapping.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from types import MappingProxyType

from femstat import codes as C

__all__ = [
    "BOOLEAN_SPELLINGS",
    "GENDERED_RELATIONSHIP_SEX",
    "ICCS_DIVISIONS",
    "ICCS_NO_OFFENCE",
    "UNKNOWN_SPELLINGS",
    "canonical_text",
    "code_spellings",
    "is_iccs_code",
    "normalise",
]

_SEPARATORS = re.compile(r"[\s\-/]+")


def canonical_text(value: object) -> str:
    """``value`` as text in Unicode NFKC form, without surrounding whitespace.

    NFKC folds compatibility forms onto the plain ones a keyboard types: full-width
    digits and letters (``"０１０１"``), ligatures, non-breaking spaces.
    """
    return unicodedata.normalize("NFKC", str(value)).strip()


def normalise(value: object) -> str:
    """Fold a raw value to the form the spelling tables use."""
    text = canonical_text(value).lower()
    if text.endswith(".0") and text[:-2].lstrip("-").isdigit():
        text = text[:-2]  # 1.0 read from a float column means 1
    return _SEPARATORS.sub("_", text)


UNKNOWN_SPELLINGS: frozenset[str] = frozenset(
    {
        "",
        "unknown",
        "unk",
        "na",
        "n_a",
        "nan",
        "none",
        "null",
        "<na>",
        "not_known",
        "not_stated",
        "not_recorded",
        "desconocido",
        "desconocida",
        "ignorado",
        "inconnu",
        "sin_dato",
        "sin_datos",
    }
)
"""Words that mean "not known" in any code column (empty cells are unknown too)."""

BOOLEAN_SPELLINGS: Mapping[str, bool] = MappingProxyType(
    {
        "true": True,
        "t": True,
        "yes": True,
        "y": True,
        "1": True,
        "si": True,
        "sí": True,
        "false": False,
        "f": False,
        "no": False,
        "n": False,
        "0": False,
    }
)

_SEX = {
    "f": "female",
    "fem": "female",
    "woman": "female",
    "women": "female",
    "girl": "female",
    "femenino": "female",
    "mujer": "female",
    "feminin": "female",
    "féminin": "female",
    "m": "male",
    "man": "male",
    "men": "male",
    "boy": "male",
    "masculino": "male",
    "hombre": "male",
    "masculin": "male",
    "u": "unknown",
}

_RELATIONSHIP = {
    "partner": "current_partner",
    "intimate_partner": "intimate_partner",
    "spouse": "current_partner",
    "husband": "current_partner",
    "wife": "current_partner",
    "boyfriend": "current_partner",
    "girlfriend": "current_partner",
    "cohabitant": "current_partner",
    "common_law_partner": "current_partner",
    "ex_partner": "former_partner",
    "ex_spouse": "former_partner",
    "ex_husband": "former_partner",
    "ex_wife": "former_partner",
    "ex_boyfriend": "former_partner",
    "ex_girlfriend": "former_partner",
    "former_spouse": "former_partner",
    "family": "family_member",
    # UNODC's "Intimate partner or family member" (read from its label list as well) and
    # other spellings of "one of the two, not known which".
    "intimate_partner_or_family_member": "partner_or_family_unspecified",
    "intimate_partner_or_family": "partner_or_family_unspecified",
    "partner_or_family_member": "partner_or_family_unspecified",
    "partner_or_family": "partner_or_family_unspecified",
    "partner_or_relative": "partner_or_family_unspecified",
    "family_or_partner": "partner_or_family_unspecified",
    "mother": "parent",
    "father": "parent",
    "stepmother": "parent",
    "stepfather": "parent",
    "son": "child",
    "daughter": "child",
    "stepson": "child",
    "stepdaughter": "child",
    "brother": "sibling",
    "sister": "sibling",
    "in_law": "relative_by_marriage",
    "acquaintance": "friend_or_acquaintance",
    "friend": "friend_or_acquaintance",
    "neighbour": "friend_or_acquaintance",
    "neighbor": "friend_or_acquaintance",
    "colleague": "colleague_or_business",
    "employer": "colleague_or_business",
    "employee": "colleague_or_business",
    "other_known_to_the_victim": "other_known",
}

GENDERED_RELATIONSHIP_SEX: Mapping[str, str] = MappingProxyType(
    {
        **dict.fromkeys(
            [
                "husband",
                "boyfriend",
                "ex_husband",
                "ex_boyfriend",
                "father",
                "stepfather",
                "son",
                "stepson",
                "brother",
            ],
            "male",
        ),
        **dict.fromkeys(
            [
                "wife",
                "girlfriend",
                "ex_wife",
                "ex_girlfriend",
                "mother",
                "stepmother",
                "daughter",
                "stepdaughter",
                "sister",
            ],
            "female",
        ),
    }
)
"""Relationship spellings that state the perpetrator's sex (checked against perpetrator_sex)."""

_MECHANISM = {
    "gun": "firearm",
    "firearms": "firearm",
    "handgun": "firearm",
    "rifle": "firearm",
    "shotgun": "firearm",
    "explosives": "explosive",
    "knife": "sharp_object",
    "sharp": "sharp_object",
    "stabbing": "sharp_object",
    "blunt": "blunt_object",
    "blunt_instrument": "blunt_object",
    "hands": "physical_force",
    "bodily_force": "physical_force",
    "personal_weapons": "physical_force",
    "strangulation": "physical_force",
    "strangling": "physical_force",
    "beating": "physical_force",
    "hitting": "physical_force",
    "drowning": "physical_force",
    "poison": "other_mechanism",
    "fire": "other_mechanism",
}

_PLACE = {
    "home": "dwelling",
    "house": "dwelling",
    "residence": "dwelling",
    "street": "public_space",
    "road": "public_space",
    "public": "public_space",
    "work": "workplace",
    "countryside": "open_area",
}

# Gender identity in the languages of the registers that record it. "mujer" or "woman"
# alone is not listed: it does not say whether the woman is cis or trans.
_GENDER_IDENTITY = {
    "cisgender_woman": "cis_woman",
    "mujer_cis": "cis_woman",
    "mujer_cisgénero": "cis_woman",
    "mujer_cisgenero": "cis_woman",
    "mulher_cis": "cis_woman",
    "mulher_cisgênero": "cis_woman",
    "femme_cis": "cis_woman",
    "transgender_woman": "trans_woman",
    "transwoman": "trans_woman",
    "mujer_trans": "trans_woman",
    "mujer_transgénero": "trans_woman",
    "mujer_transgenero": "trans_woman",
    "mulher_trans": "trans_woman",
    "mulher_transgênero": "trans_woman",
    "mulher_transexual": "trans_woman",
    "femme_trans": "trans_woman",
    "femme_transgenre": "trans_woman",
    "travestí": "travesti",
    "cisgender_man": "cis_man",
    "hombre_cis": "cis_man",
    "homem_cis": "cis_man",
    "homme_cis": "cis_man",
    "transgender_man": "trans_man",
    "transman": "trans_man",
    "hombre_trans": "trans_man",
    "varón_trans": "trans_man",
    "varon_trans": "trans_man",
    "homem_trans": "trans_man",
    "homme_trans": "trans_man",
    "nonbinary": "non_binary",
    "non_binaire": "non_binary",
    "no_binario": "non_binary",
    "no_binaria": "non_binary",
    "no_binarie": "non_binary",
    "não_binário": "non_binary",
    "nao_binario": "non_binary",
    "otro": "other",
    "otra": "other",
    "outro": "other",
    "autre": "other",
}

_EXTRA: Mapping[str, Mapping[str, str]] = MappingProxyType(
    {
        "sex": _SEX,
        "victim_gender_identity": _GENDER_IDENTITY,
        "relationship": _RELATIONSHIP,
        "mechanism": _MECHANISM,
        "place": _PLACE,
    }
)


def code_spellings(code_list: C.CodeList) -> dict[str, str]:
    """Every accepted normalised spelling of ``code_list``, mapped to its code.

    Includes the codes themselves, the list's common synonyms, UNODC's published labels
    where femstat reads them, and the unknown words when the list has an unknown code.
    """
    table: dict[str, str] = {normalise(code): code for code in code_list.codes}
    table.update(_EXTRA.get(code_list.name, {}))
    if code_list.name == "relationship":
        for group, label in C.UNODC_RELATIONSHIP_LABELS.items():
            table[normalise(label)] = group
    if code_list.name == "sex":
        for code, label in C.UNODC_SEX_LABELS.items():
            table[normalise(label)] = code
    if code_list.unknown is not None:
        for word in UNKNOWN_SPELLINGS:
            table.setdefault(word, code_list.unknown)
    return table


ICCS_NO_OFFENCE = "0000"
"""The code femstat's source readers give a death that is no offence of ICCS section 01
on the record's own evidence (legal intervention, accidents, disease); out of scope."""


def _iccs_divisions() -> frozenset[str]:
    # A superset of ICCS 1.0's divisions, written as a rule: every division number 01-09
    # and the "other" number 99 in each section 01-11, and 10 and 11 in section 02, the
    # one section with more than nine divisions. No published code is refused; what is
    # refused are codes a lost leading zero produces: 01011 read as a number and written
    # back is 1011, which would be division 11 of section 10.
    divisions = {
        f"{section:02d}{division:02d}" for section in range(1, 12) for division in range(1, 10)
    }
    divisions |= {f"{section:02d}99" for section in range(1, 12)}
    divisions |= {"0210", "0211"}
    return frozenset(divisions)


ICCS_DIVISIONS: frozenset[str] = _iccs_divisions()
"""The ICCS level-2 codes (divisions) an ``iccs_code`` may start with.

Sections 01-11, each with divisions 01-09 and 99, and section 02 also with 10 and 11."""


def is_iccs_code(text: str) -> bool:
    """Whether ``text`` (already :func:`canonical_text`) is an ICCS code femstat accepts.

    Accepted: :data:`ICCS_NO_OFFENCE`, and 4, 5 or 6 ASCII digits (an ICCS division,
    group or class) whose first four digits are in :data:`ICCS_DIVISIONS`.
    """
    if text == ICCS_NO_OFFENCE:
        return True
    return text.isascii() and text.isdigit() and 4 <= len(text) <= 6 and text[:4] in ICCS_DIVISIONS
