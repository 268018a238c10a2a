"""The framework's code lists, defined once.

Every list here restates a table of the UN *Statistical framework for measuring the
gender-related killing of women and girls* (UNODC and UN Women, 2022) and of the ICCS
(UNODC, 2015), in the operational form of femstat's specification. The schemas, the
classifier, the readers, the synthetic data generator and the documentation all read these
objects; nothing else in femstat spells a code.

The order of codes in each list is significant: it is the order of the pandas categories,
so the integer code of a value is its position here.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from types import MappingProxyType

import pandas as pd

__all__ = [
    "CASE_STATUS",
    "CITIZENSHIP",
    "CRITERIA",
    "CRITERIA_DESCRIPTIONS",
    "FEMICIDE",
    "FEMICIDE_TOTALS",
    "FEMICIDE_TYPE",
    "FEMICIDE_TYPES",
    "FEMSTAT_CLASSES",
    "GENDER_IDENTITY",
    "INTENTIONAL_HOMICIDE_ICCS",
    "IN_SCOPE_TYPES",
    "LEGACY_TYPE_LABELS",
    "LEGAL_QUALIFICATION",
    "MECHANISM",
    "PARTNER_OR_FAMILY",
    "PLACE",
    "PLACE_GROUP",
    "RELATIONSHIP",
    "RELATIONSHIP_CLOSENESS",
    "RELATIONSHIP_GROUP",
    "RELATIONSHIP_GROUP_OF",
    "RELATIONSHIP_INVERSE",
    "SEX",
    "SITUATIONAL_CONTEXT",
    "UNODC_AGE_LABELS",
    "UNODC_RELATIONSHIP_LABELS",
    "UNODC_SEX_LABELS",
    "UNODC_TYPE_LABELS",
    "CodeList",
    "from_unodc_labels",
    "to_unodc_labels",
]


@dataclass(frozen=True)
class CodeList:
    """An ordered list of codes with a definition for each.

    Parameters
    ----------
    name : str
        The column the codes belong to.
    descriptions : Mapping[str, str]
        Code to definition, in category order.
    unknown : str or None
        The code that means "not known", if the list has one.
    """

    name: str
    descriptions: Mapping[str, str]
    unknown: str | None = "unknown"
    codes: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "codes", tuple(self.descriptions))
        object.__setattr__(self, "descriptions", MappingProxyType(dict(self.descriptions)))
        if self.unknown is not None and self.unknown not in self.descriptions:
            raise ValueError(f"{self.name}: unknown code {self.unknown!r} is not in the list")

    @cached_property
    def dtype(self) -> pd.CategoricalDtype:
        """The canonical pandas dtype: a Categorical with exactly these categories.

        Built once: constructing it validates the categories, and the hot path compares
        columns' dtypes with it on every call.
        """
        return pd.CategoricalDtype(list(self.codes), ordered=False)

    def is_dtype_of(self, values: object) -> bool:
        """Whether ``values`` (a Series, array or dtype) holds this code list's dtype exactly.

        pandas compares unordered Categorical dtypes as sets of categories, so ``==`` is
        true for the same codes in another order; the integer codes femstat reads would
        then mean other values. This compares the categories in order.
        """
        dtype = getattr(values, "dtype", values)
        canonical = self.dtype.categories
        return (
            isinstance(dtype, pd.CategoricalDtype)
            and not dtype.ordered
            and dtype.categories.dtype == canonical.dtype
            and dtype.categories.equals(canonical)
        )

    def code_of(self, value: str) -> int:
        """Integer code (category position) of ``value``."""
        return self.codes.index(value)

    def __contains__(self, value: object) -> bool:
        return value in self.descriptions

    def __iter__(self) -> Iterator[str]:
        return iter(self.codes)

    def __len__(self) -> int:
        return len(self.codes)


SEX = CodeList(
    "sex",
    {
        "female": "female",
        "male": "male",
        "unknown": "sex not recorded or not known",
    },
)

# Relationship: what the perpetrator was to the victim (framework.md section 3). Group codes
# are valid values in their own right, for sources that only know the group.
RELATIONSHIP = CodeList(
    "relationship",
    {
        "intimate_partner": "current or former intimate partner (group only)",
        "current_partner": "spouse, cohabiting or not, boyfriend or girlfriend",
        "former_partner": "former spouse or intimate partner",
        "family_member": "family member (group only)",
        "parent": "the perpetrator is the victim's parent (including step- and adoptive)",
        "child": "the perpetrator is the victim's son or daughter",
        "sibling": "brother or sister",
        "other_blood_relative": "other relative by blood",
        "relative_by_marriage": "relative by marriage or in-law",
        "other_household_member": "other member of the victim's household",
        "partner_or_family_unspecified": (
            "intimate partner or family member, not known which (group only)"
        ),
        "other_known": "other perpetrator known to the victim (group only)",
        "friend_or_acquaintance": "friend, acquaintance or neighbour",
        "colleague_or_business": "colleague, employer, employee or business relation",
        "authority_or_care": (
            "doctor, teacher, priest, police or other official acting in that role"
        ),
        "other_known_person": "other person known to the victim",
        "stranger": "perpetrator unknown to the victim",
        "unknown": "relationship not known, including no perpetrator identified",
    },
)

RELATIONSHIP_GROUP = CodeList(
    "relationship_group",
    {
        "intimate_partner": "intimate partner",
        "family_member": "family member",
        "partner_or_family_unspecified": "intimate partner or family member, not known which",
        "other_known": "other perpetrator known to the victim",
        "stranger": "perpetrator unknown to the victim",
        "unknown": "perpetrator-to-victim relationship unknown",
    },
)

RELATIONSHIP_GROUP_OF: Mapping[str, str] = MappingProxyType(
    {
        "intimate_partner": "intimate_partner",
        "current_partner": "intimate_partner",
        "former_partner": "intimate_partner",
        "family_member": "family_member",
        "parent": "family_member",
        "child": "family_member",
        "sibling": "family_member",
        "other_blood_relative": "family_member",
        "relative_by_marriage": "family_member",
        "other_household_member": "family_member",
        "partner_or_family_unspecified": "partner_or_family_unspecified",
        "other_known": "other_known",
        "friend_or_acquaintance": "other_known",
        "colleague_or_business": "other_known",
        "authority_or_care": "other_known",
        "other_known_person": "other_known",
        "stranger": "stranger",
        "unknown": "unknown",
    }
)
"""Fine relationship code to its group; every code rolls up to exactly one group."""

RELATIONSHIP_CLOSENESS: tuple[str, ...] = (
    "intimate_partner",
    "family_member",
    "partner_or_family_unspecified",
    "unknown",
    "other_known",
    "stranger",
)
"""Relationship groups from closest to most distant, for the multiple-perpetrator rule.

femstat rule: with several perpetrators the victim-level relationship is the closest one;
a partner or family member of unknown kind ranks after the two known kinds (it is one of
them, but says less) and before unknown; an unknown relationship ranks before other known
and stranger because it might hide a partner or family member.
"""

RELATIONSHIP_INVERSE: Mapping[str, str] = MappingProxyType(
    {
        "intimate_partner": "intimate_partner",
        "current_partner": "current_partner",
        "former_partner": "former_partner",
        "family_member": "family_member",
        "parent": "child",
        "child": "parent",
        "sibling": "sibling",
        "other_blood_relative": "other_blood_relative",
        "relative_by_marriage": "relative_by_marriage",
        "other_household_member": "other_household_member",
        "partner_or_family_unspecified": "partner_or_family_unspecified",
        "other_known": "other_known",
        "friend_or_acquaintance": "friend_or_acquaintance",
        "colleague_or_business": "colleague_or_business",
        # The victim held authority over the perpetrator (her pupil, patient, ...): the
        # perpetrator was another person known to her, not an authority.
        "authority_or_care": "other_known_person",
        "other_known_person": "other_known_person",
        "stranger": "stranger",
        "unknown": "unknown",
    }
)
"""Turns a victim-to-perpetrator code into the perpetrator-to-victim direction."""

CRITERIA_DESCRIPTIONS: Mapping[str, str] = MappingProxyType(
    {
        "prior_violence": (
            "the victim had suffered physical, sexual or psychological violence or "
            "harassment from the perpetrator before the killing"
        ),
        "exploitation": (
            "the victim was in a situation of illegal exploitation (trafficking in "
            "persons, forced labour, slavery)"
        ),
        "abduction": "the victim had been abducted or unlawfully deprived of liberty",
        "sex_work": "the victim was working in the sex industry",
        "sexual_violence": (
            "sexual violence was committed against the victim before and/or after the killing"
        ),
        "mutilation": "the killing was accompanied by mutilation of the victim's body",
        "body_in_public_space": (
            "the victim's body was disposed of (left, dumped) in a public space"
        ),
        "hate_crime": (
            "the killing was a gender-based hate crime: the perpetrator chose the victim "
            "because of bias against women"
        ),
    }
)
CRITERIA: tuple[str, ...] = tuple(CRITERIA_DESCRIPTIONS)
"""The eight modus-operandi and context criteria, each a nullable boolean column."""

MECHANISM = CodeList(
    "mechanism",
    {
        "firearm": "firearm",
        "explosive": "explosive",
        "sharp_object": "sharp object (knife, cutting instrument)",
        "blunt_object": "blunt object",
        "other_weapon": "other weapon",
        "physical_force": "physical force: hitting, strangling, pushing, drowning",
        "other_mechanism": "other mechanism: poison, fire, ...",
        "unknown": "mechanism not known",
    },
)

PLACE = CodeList(
    "place",
    {
        "dwelling": "dwelling (detail not known)",
        "dwelling_shared": "dwelling shared by victim and perpetrator",
        "dwelling_victim": "the victim's dwelling",
        "dwelling_perpetrator": "the perpetrator's dwelling",
        "dwelling_other": "other dwelling",
        "public_space": "street, road or other public space",
        "workplace": "workplace",
        "open_area": "open area, countryside",
        "other_place": "other place",
        "unknown": "place not known",
    },
)
PLACE_GROUP: Mapping[str, str] = MappingProxyType(
    {code: ("dwelling" if code.startswith("dwelling") else code) for code in PLACE.codes}
)
"""Place code to its top-level place (the dwelling details roll up to ``dwelling``)."""

SITUATIONAL_CONTEXT = CodeList(
    "situational_context",
    {
        "organized_crime": "related to organized crime or gangs",
        "other_crime": "related to other criminal activities",
        "interpersonal_family": "interpersonal, within the family or intimate partnership",
        "interpersonal_other": "interpersonal, other",
        "sociopolitical": "socio-political",
        "unknown": "situational context not known",
    },
)

CITIZENSHIP = CodeList(
    "victim_citizenship",
    {
        "national": "citizen of the country of the killing",
        "foreign": "foreign citizen or stateless",
        "unknown": "citizenship not known",
    },
)

GENDER_IDENTITY = CodeList(
    "victim_gender_identity",
    {
        "cis_woman": "woman whose gender identity matches the sex recorded at birth",
        "trans_woman": "trans woman",
        "travesti": (
            "travesti: a feminine gender identity named as such in Latin America, "
            "counted apart from trans women where national registers do"
        ),
        "cis_man": "man whose gender identity matches the sex recorded at birth",
        "trans_man": "trans man",
        "non_binary": "non-binary person",
        "other": "another gender identity",
        "unknown": "gender identity not recorded or not known",
    },
)
"""Victim gender identity (extension variable ``victim_gender_identity``).

Beside ``victim_sex``, never instead of it: the UN universe stays female victims by sex;
national rule sets that count trans women and travestis read this column.
"""

CASE_STATUS = CodeList(
    "case_status",
    {
        "no_suspect": "no suspect identified",
        "suspect_identified": "suspect identified, not (yet) prosecuted",
        "prosecuted": "prosecution started",
        "convicted": "perpetrator convicted",
        "acquitted": "accused acquitted",
        "perpetrator_deceased": "perpetrator died (including suicide after the killing)",
        "pending": "proceedings pending",
        "unknown": "status not known",
    },
)

LEGAL_QUALIFICATION = CodeList(
    "legal_qualification",
    {
        "femicide_offence": "qualified under a specific femicide/feminicide offence",
        "homicide_offence": "qualified as another homicide offence",
        "other_offence": "qualified as another offence",
        "unknown": "legal qualification not known",
    },
)

FEMICIDE_TYPE = CodeList(
    "femicide_type",
    {
        "intimate_partner": "in scope, killed by a current or former intimate partner",
        "family_member": "in scope, killed by another family member",
        "partner_or_family_unspecified": (
            "in scope, killed by an intimate partner or a family member, not known which"
        ),
        "other_perpetrator": (
            "in scope, killed by someone else and at least one of the eight criteria is true"
        ),
        "not_femicide": (
            "in scope, relationship known and neither partner nor family, every criterion "
            "known to be false"
        ),
        "undetermined": "in scope, but the information is insufficient to decide",
        "out_of_scope": "not a female victim of completed intentional homicide",
    },
    unknown=None,
)
FEMICIDE_TYPES: tuple[str, ...] = FEMICIDE_TYPE.codes
"""The femicide types, in the framework's order: the framework's six, with
``partner_or_family_unspecified`` (femstat's addition) right after ``family_member``."""

IN_SCOPE_TYPES: tuple[str, ...] = tuple(t for t in FEMICIDE_TYPES if t != "out_of_scope")
"""The types of in-scope records: together they make the total ``female_homicide``."""

INTENTIONAL_HOMICIDE_ICCS = "0101"
"""ICCS code of intentional homicide: the framework's universe is this code and its
subcodes (``iccs_code`` starting with it), victims female."""

PARTNER_OR_FAMILY: tuple[str, ...] = (
    "intimate_partner",
    "family_member",
    "partner_or_family_unspecified",
)
"""The relationship groups, and the femicide types, that together make the total
``partner_or_family`` (UNODC's "Intimate partner or family member")."""

FEMICIDE: tuple[str, ...] = (*PARTNER_OR_FAMILY, "other_perpetrator")
"""The types that together make the total ``femicide``."""

FEMICIDE_TOTALS: tuple[str, ...] = ("femicide", "female_homicide")
"""Totals reported beside the types: femicide, and every in-scope record."""

# UNODC's published homicide series speak of the relationship group only.
UNODC_RELATIONSHIP_LABELS: Mapping[str, str] = MappingProxyType(
    {
        "intimate_partner": "Intimate partner or family member: Intimate partner",
        "family_member": "Intimate partner or family member: Family member",
        "partner_or_family_unspecified": "Intimate partner or family member",
        "other_known": "Other perpetrator known to the victim",
        "stranger": "Perpetrator unknown to the victim",
        "unknown": "Perpetrator to victim relationship unknown",
    }
)
UNODC_AGE_LABELS: Mapping[str, str] = MappingProxyType(
    {
        "0-9": "0-9",
        "10-14": "10 -14",
        "15-17": "15 -17",
        "18-19": "18-19",
        "20-24": "20-24",
        "25-29": "25-29",
        "30-44": "30-44",
        "45-59": "45-59",
        "60+": "60 and older",
        "unknown": "Age unknown",
    }
)
"""Age group of femstat's ``"unodc"`` scheme to the label of UNODC's data portal.

The bands are the same; the portal spells some with a space before the hyphen."""
UNODC_SEX_LABELS: Mapping[str, str] = MappingProxyType(
    {"female": "Female", "male": "Male", "unknown": "Unknown"}
)
UNODC_TYPE_LABELS: Mapping[str, str] = MappingProxyType(
    {
        "intimate_partner": "Intimate partner or family member: Intimate partner",
        "family_member": "Intimate partner or family member: Family member",
        "partner_or_family_unspecified": "Intimate partner or family member",
        "other_perpetrator": "Other gender-related killing",
        # UNODC publishes no class for these three: the labels say they are femstat's.
        "not_femicide": "Not femicide (femstat class)",
        "undetermined": "Undetermined (femstat class)",
        "out_of_scope": "Out of scope (femstat class)",
        "femicide": "Gender-related killing of women and girls (femicide)",
        "female_homicide": "Female victims of intentional homicide",
    }
)
"""Label of each femicide type and total: UNODC's published label where UNODC publishes
the class, else a label marked "(femstat class)"."""

FEMSTAT_CLASSES: tuple[str, ...] = ("not_femicide", "undetermined", "out_of_scope")
"""The femicide types UNODC does not publish: femstat's own classes."""

LEGACY_TYPE_LABELS: Mapping[str, str] = MappingProxyType(
    {
        "Not gender-related": "not_femicide",
        "Gender-related motive undetermined": "undetermined",
        "Out of scope": "out_of_scope",
    }
)
"""Labels femstat gave its own classes before marking them as femstat's; files written
then may hold them, so :func:`from_unodc_labels` still reads them."""

_UNODC_VOCABULARIES: Mapping[str, Mapping[str, str]] = MappingProxyType(
    {
        "relationship": UNODC_RELATIONSHIP_LABELS,
        "relationship_group": UNODC_RELATIONSHIP_LABELS,
        "victim_sex": UNODC_SEX_LABELS,
        "perpetrator_sex": UNODC_SEX_LABELS,
        "sex": UNODC_SEX_LABELS,
        "femicide_type": UNODC_TYPE_LABELS,
        "age_group": UNODC_AGE_LABELS,
    }
)


def to_unodc_labels(values: pd.Series, column: str | None = None) -> pd.Series:
    """Write femstat codes with UNODC's published labels.

    Fine relationship codes are written with the label of their group, since UNODC's
    series publish the group only.

    Parameters
    ----------
    values : pandas.Series
        femstat codes (strings or a Categorical).
    column : str, optional
        Which vocabulary to use; defaults to ``values.name``.

    Returns
    -------
    pandas.Series
        A Categorical of UNODC labels.
    """
    name = column or str(values.name)
    vocabulary = _UNODC_VOCABULARIES.get(name)
    if vocabulary is None:
        raise KeyError(
            f"no UNODC vocabulary for column {name!r}; known: {sorted(_UNODC_VOCABULARIES)}"
        )
    if name == "relationship":
        values = values.map(RELATIONSHIP_GROUP_OF)
    return (
        values.astype("object")
        .map(vocabulary)
        .astype(pd.CategoricalDtype(list(dict.fromkeys(vocabulary.values()))))
    )


def _label_key(label: object) -> str:
    # UNODC's files and users' spreadsheets differ in letter case and spacing only.
    return " ".join(str(label).split()).casefold()


def from_unodc_labels(values: pd.Series, column: str | None = None) -> pd.Series:
    """Read UNODC's published labels back into femstat codes.

    Labels are matched whatever their letter case and spacing. UNODC's label "Intimate
    partner or family member" (without a sub-category) reads as
    ``partner_or_family_unspecified``. For ``femicide_type``, the labels femstat gave its
    own classes before marking them "(femstat class)" (:data:`LEGACY_TYPE_LABELS`: "Not
    gender-related", "Gender-related motive undetermined", "Out of scope") are read too,
    since files written then may hold them.

    Raises
    ------
    KeyError
        If a value is not one of UNODC's labels for that column.
    """
    name = column or str(values.name)
    vocabulary = _UNODC_VOCABULARIES.get(name)
    if vocabulary is None:
        raise KeyError(
            f"no UNODC vocabulary for column {name!r}; known: {sorted(_UNODC_VOCABULARIES)}"
        )
    inverse = {_label_key(label): code for code, label in vocabulary.items()}
    if vocabulary is UNODC_TYPE_LABELS:
        for label, code in LEGACY_TYPE_LABELS.items():
            inverse.setdefault(_label_key(label), code)
    present = values.dropna().unique()
    unknown_labels = {v for v in present if _label_key(v) not in inverse}
    if unknown_labels:
        raise KeyError(
            f"column {name!r}: {len(unknown_labels)} value(s) are not UNODC labels: "
            f"{sorted(map(str, unknown_labels))[:5]}. Expected one of "
            f"{sorted(vocabulary.values())}; map other values with a mapping file"
        )
    lookup = {v: inverse[_label_key(v)] for v in present}
    return values.map(lookup)
