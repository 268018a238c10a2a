"""The femicide typology: one ``femicide_type`` per victim record.

The decision procedure of the framework (section 2) is written once, as a plain function of
four facts about a record — in scope or not, the relationship group, whether any criterion
is true, whether any criterion is unknown — in :meth:`RuleSet.decide`. Because those facts
take only 2 x 6 x 2 x 2 = 48 combinations, the rule is tabulated once per rule set, and
classifying a frame is arithmetic on integer codes followed by one table look-up: no row
loop, no ``apply``, and the vectorised path cannot drift from the written rule.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from types import MappingProxyType
from typing import Literal, get_args

import numpy as np
import pandas as pd

from femstat import _kernel
from femstat import codes as C
from femstat._arrays import masked_parts
from femstat._rule_files import read_rule_file
from femstat.errors import FemstatError, RuleSetError

__all__ = [
    "UN_2022",
    "RuleSet",
    "RuleSetError",
    "classify",
    "criteria_met_names",
    "explain",
    "facts",
]

RULES_ATTR = "femstat_rules"
"""Key of a classified frame's ``attrs``: the rule set behind each type column."""

_GROUPS = C.RELATIONSHIP_GROUP.codes
_TYPE_CODE = {name: i for i, name in enumerate(C.FEMICIDE_TYPES)}
_UNSPECIFIED = "partner_or_family_unspecified"
_QUALIFIABLE = ("intimate_partner", "family_member", _UNSPECIFIED, "other_known", "stranger")

UnknownWithCriterion = Literal["other_perpetrator", "undetermined"]
"""Values of :attr:`RuleSet.unknown_relationship_with_criterion`."""

GENDER_IDENTITIES: tuple[str, ...] = C.GENDER_IDENTITY.codes
"""Codes of ``victim_gender_identity`` a rule set's scope may name (the code list's)."""

SCOPE_STATES: tuple[str, ...] = ("out", "other", "in", "unknown")
"""Scope of a record under an extended rule set (see :meth:`RuleSet.decide_extended`)."""

LINKED_STATES: tuple[bool | None, ...] = (False, True, None)
"""``linked_victim`` as an extended rule set reads it: false, true, unknown."""


@dataclass(frozen=True)
class RuleSet:
    """A named classification rule: which relationships qualify and which criteria count.

    The decision procedure is the framework's (section 2); a rule set varies only the
    data it reads. Several rule sets can classify the same frame side by side, each into
    its own columns, so a national legal count and the UN statistical count come from the
    same microdata and are never mixed.

    Parameters
    ----------
    name : str
        Short identifier, e.g. ``"UN_2022"``.
    criteria : sequence of str
        Boolean columns that, when any is true, make a killing by another perpetrator a
        femicide (``other_perpetrator``). At most 32.
    qualifying_groups : mapping of str to str, optional
        Relationship groups that qualify by themselves, in priority order, and the type
        each gives. The UN rule: intimate partner, then family member. Listing
        ``partner_or_family_unspecified`` overrides how that group is otherwise decided
        (see the notes).
    type_column, criteria_column : str
        Output column names.
    description, reference : str
        Where the rule comes from, for reports and docs.
    scope_victim_sex : tuple of str, default ``("female",)``
        ``victim_sex`` codes in scope (among victims of intentional homicide).
    scope_gender_identity : tuple of str, default ``()``
        ``victim_gender_identity`` codes also in scope, whatever ``victim_sex`` says
        (trans women and travestis for Argentina's register). Read only when the column is
        present; there an unknown identity of a victim whose sex is not in scope gives
        ``undetermined``.
    perpetrator_sex : mapping of str to tuple of str, default ``{}``
        For a femicide type, the perpetrator sexes with which it can be given (Spain's
        categories need a male perpetrator). Another perpetrator sex makes the
        relationship non-qualifying (and rule 4 inapplicable for ``other_perpetrator``);
        an unknown one gives ``undetermined``.
    linked_type : str, optional
        A class of the rule set's own, written only into its type column, for victims with
        ``linked_victim`` true (Argentina's "femicidio vinculado", Spain's "feminicidio
        vicario"). It is not one of the UN types, and not part of ``femicide``.
    linked_victim_sex : tuple of str, default every sex
        ``victim_sex`` codes a linked victim may have.
    title, country, legal
        Display title, ISO 3166 alpha-3 country code and the legal reference (law,
        article, date of the text, official URL) of a national rule set.
    unknown_relationship_with_criterion : {"other_perpetrator", "undetermined"}
        What a record whose relationship is unknown and one of whose criteria is true
        becomes, when the rule set has qualifying groups. ``"other_perpetrator"`` (the
        default) is femstat's reading: the criterion makes the killing gender-related
        whoever the perpetrator was. The framework's text does not settle the case;
        ``"undetermined"`` keeps such records out of ``femicide`` until the relationship
        is known.

    Notes
    -----
    A rule set with none of the extensions is decided by :attr:`table` alone, exactly as
    the framework's rule; its fingerprint and output are those it had before extensions
    existed.

    A record whose relationship group is ``partner_or_family_unspecified`` (a partner or a
    family member, not known which) is decided as follows, unless the rule set lists that
    group in ``qualifying_groups`` itself:

    - a rule set that qualifies both ``intimate_partner`` and ``family_member`` qualifies
      it, with the type ``partner_or_family_unspecified`` (or the one type both groups
      give, when they give the same);
    - a rule set that qualifies only one of the two cannot tell whether the record
      qualifies by its relationship or must be judged by its criteria: it is
      ``undetermined``;
    - a rule set that qualifies neither judges it by its criteria, like any other known
      relationship.
    """

    name: str
    criteria: tuple[str, ...]
    qualifying_groups: Mapping[str, str] = field(
        default_factory=lambda: MappingProxyType(
            {"intimate_partner": "intimate_partner", "family_member": "family_member"}
        )
    )
    type_column: str = "femicide_type"
    criteria_column: str = "criteria_met"
    description: str = ""
    reference: str = ""
    scope_victim_sex: tuple[str, ...] = ("female",)
    scope_gender_identity: tuple[str, ...] = ()
    perpetrator_sex: Mapping[str, tuple[str, ...]] = field(
        default_factory=lambda: MappingProxyType({})
    )
    linked_type: str | None = None
    linked_victim_sex: tuple[str, ...] = ("female", "male", "unknown")
    title: str = ""
    country: str = ""
    legal: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    unknown_relationship_with_criterion: UnknownWithCriterion = "other_perpetrator"

    def __post_init__(self) -> None:
        object.__setattr__(self, "criteria", tuple(self.criteria))
        object.__setattr__(self, "scope_victim_sex", tuple(self.scope_victim_sex))
        object.__setattr__(self, "scope_gender_identity", tuple(self.scope_gender_identity))
        object.__setattr__(self, "linked_victim_sex", tuple(self.linked_victim_sex))
        object.__setattr__(
            self,
            "perpetrator_sex",
            MappingProxyType({k: tuple(v) for k, v in self.perpetrator_sex.items()}),
        )
        object.__setattr__(self, "legal", MappingProxyType(dict(self.legal)))
        self._check_extensions()
        if not 0 < len(self.criteria) <= 32:
            raise RuleSetError(f"rule set {self.name!r}: give between 1 and 32 criteria columns")
        if len(set(self.criteria)) != len(self.criteria):
            raise RuleSetError(f"rule set {self.name!r}: a criterion is listed twice")
        for group, label in self.qualifying_groups.items():
            if group not in _QUALIFIABLE:
                raise RuleSetError(f"rule set {self.name!r}: {group!r} cannot qualify a record")
            if label not in C.FEMICIDE and label != "other_perpetrator":
                raise RuleSetError(f"rule set {self.name!r}: {label!r} is not a femicide type")
        if self.unknown_relationship_with_criterion not in get_args(UnknownWithCriterion):
            raise RuleSetError(
                f"rule set {self.name!r}: unknown_relationship_with_criterion is "
                f"{self.unknown_relationship_with_criterion!r}; give one of "
                f"{list(get_args(UnknownWithCriterion))}"
            )

    def __reduce__(self) -> tuple[type[RuleSet], tuple[object, ...]]:
        # A mappingproxy cannot be pickled; rebuild from plain values (Dask, multiprocessing).
        return (
            RuleSet,
            (
                self.name,
                self.criteria,
                dict(self.qualifying_groups),
                self.type_column,
                self.criteria_column,
                self.description,
                self.reference,
                self.scope_victim_sex,
                self.scope_gender_identity,
                dict(self.perpetrator_sex),
                self.linked_type,
                self.linked_victim_sex,
                self.title,
                self.country,
                dict(self.legal),
                self.unknown_relationship_with_criterion,
            ),
        )

    @classmethod
    def from_toml(cls, path: str | os.PathLike[str], *, source: str | None = None) -> RuleSet:
        """Load a rule set from a TOML file (the format of femstat's shipped rule sets).

        Parameters
        ----------
        path : str or os.PathLike
            The file; its keys are described in the documentation page "National rule
            sets".
        source : str, optional
            How to name the file in error messages (defaults to its file name).

        Returns
        -------
        RuleSet

        Raises
        ------
        RuleSetError
            (a ``ValueError``) naming the key that is missing or wrong and what to write.
        """
        name = source or os.path.basename(os.fspath(path))
        arguments = read_rule_file(path, source=name)
        try:
            return cls(**arguments)
        except ValueError as exc:  # RuleSetError too: name the file unless already named
            if str(exc).startswith("rule set file"):
                raise
            raise RuleSetError(f"rule set file {name}: {exc}") from None

    def _check_extensions(self) -> None:
        """Check the optional extensions (scope, perpetrator sex, linked victims)."""

        def refuse(key: str, bad: object, allowed: Sequence[str]) -> None:
            raise RuleSetError(
                f"rule set {self.name!r}: {key} has {bad!r}, which is not one of "
                f"{', '.join(allowed)}; use those codes"
            )

        if self.linked_type is not None and (
            not self.linked_type.isidentifier() or self.linked_type in C.FEMICIDE_TYPES
        ):
            raise RuleSetError(
                f"rule set {self.name!r}: linked_type {self.linked_type!r} must be a new "
                "class name (an identifier that is not one of the UN types); rename it"
            )
        for sex in (*self.scope_victim_sex, *self.linked_victim_sex):
            if sex not in C.SEX.codes:
                refuse("scope_victim_sex/linked_victim_sex", sex, C.SEX.codes)
        for identity in self.scope_gender_identity:
            if identity not in GENDER_IDENTITIES or identity == "unknown":
                refuse("scope_gender_identity", identity, GENDER_IDENTITIES[:-1])
        labels = (*C.FEMICIDE, *self.types[len(C.FEMICIDE_TYPES) :])
        for label, sexes in self.perpetrator_sex.items():
            if label not in labels:
                refuse("perpetrator_sex", label, labels)
            for sex in sexes:
                if sex not in ("female", "male"):
                    refuse(f"perpetrator_sex.{label}", sex, ("female", "male"))

    @property
    def is_extended(self) -> bool:
        """Whether the rule set uses an extension beyond the framework's rule.

        A rule set without extensions is classified by the framework's table alone, exactly
        as before extensions existed (same table, fingerprint and output dtype).
        """
        return (
            self.scope_victim_sex != ("female",)
            or bool(self.scope_gender_identity)
            or bool(self.perpetrator_sex)
            or self.linked_type is not None
        )

    @property
    def types(self) -> tuple[str, ...]:
        """The classes of the type column: the UN types, then the rule set's own class."""
        extra = (self.linked_type,) if self.linked_type is not None else ()
        return (*C.FEMICIDE_TYPES, *extra)

    @property
    def type_dtype(self) -> pd.CategoricalDtype:
        """The dtype of the type column this rule set writes."""
        if self.linked_type is None:
            return C.FEMICIDE_TYPE.dtype
        return pd.CategoricalDtype(list(self.types))

    def _perpetrator_allows(self, label: str, perpetrator: str) -> str:
        """``"yes"``, ``"no"`` or ``"unknown"``: can ``label`` be given with this perpetrator."""
        sexes = self.perpetrator_sex.get(label)
        if sexes is None or perpetrator in sexes:
            return "yes"
        return "unknown" if perpetrator == "unknown" else "no"

    def _decide_direct(
        self, group: str, perpetrator: str, any_true: bool, any_unknown: bool
    ) -> str:
        """Rules 2 to 6 for an in-scope record, with the perpetrator-sex condition."""
        labels = (*self.qualifying_groups.values(), "other_perpetrator")
        allows = {label: self._perpetrator_allows(label, perpetrator) for label in labels}
        if all(a == "yes" for a in allows.values()):
            return self.decide(True, group, any_true, any_unknown)
        if group in self.qualifying_groups:
            label = self.qualifying_groups[group]
            if allows[label] == "yes":
                return label
            if allows[label] == "unknown":
                return "undetermined"
            # With this perpetrator the relationship does not qualify: go on to rule 4.
        elif group == _UNSPECIFIED:
            # Partner or family, not known which: decide() qualifies it only when both
            # groups qualify; with a perpetrator condition both must also allow this
            # perpetrator, and one that may not allow it leaves the record open.
            both = [self.qualifying_groups.get(g) for g in ("intimate_partner", "family_member")]
            qualifying = [label for label in both if label is not None]
            if qualifying:
                states = {allows[label] for label in qualifying}
                if len(qualifying) == 2 and states == {"yes"}:
                    return self.decide(True, group, any_true, any_unknown)
                if states != {"no"}:
                    return "undetermined"
        rule4 = allows["other_perpetrator"]
        if rule4 == "no":
            # No criterion can make it a femicide; only an unknown relationship that might
            # still qualify keeps the record open.
            open_relationship = group == "unknown" and any(
                allows[t] != "no" for t in self.qualifying_groups.values()
            )
            return "undetermined" if open_relationship else "not_femicide"
        if any_true:
            return "other_perpetrator" if rule4 == "yes" else "undetermined"
        if (group == "unknown" and self.qualifying_groups) or any_unknown:
            return "undetermined"
        return "not_femicide"

    def decide_extended(
        self,
        scope: str,
        group: str,
        perpetrator: str,
        any_true: bool,
        any_unknown: bool,
        linked: bool | None,
    ) -> str:
        """The decision procedure with the rule set's extensions, for one record.

        Parameters
        ----------
        scope : {"out", "other", "in", "unknown"}
            ``out``: not an intentional homicide (ICCS 0101); ``other``: an intentional
            homicide of a person outside the rule set's scope; ``in``: in scope;
            ``unknown``: the scope cannot be told (``victim_gender_identity`` unknown for a
            victim whose sex is not in scope).
        group : str
            Relationship group.
        perpetrator : {"female", "male", "unknown"}
            The perpetrator's sex (``unknown`` when the column is absent).
        any_true, any_unknown : bool
            Whether any criterion is true, unknown.
        linked : bool or None
            ``linked_victim`` (None when unknown or absent); only read when the rule set
            declares ``linked_type``.

        Notes
        -----
        A linked victim (``linked`` true, sex in ``linked_victim_sex``) is given
        ``linked_type`` before the other rules: the record says the victim was killed in
        connection with another woman's gender-related killing. A record the extensions
        cannot place (unknown scope, unknown perpetrator sex where it decides, unknown
        ``linked_victim`` where it decides) is ``undetermined``, never excluded.
        """
        if self.linked_type is not None and scope != "out" and linked is True:
            allowed = self._perpetrator_allows(self.linked_type, perpetrator)
            if allowed == "yes":
                return self.linked_type
            if allowed == "unknown":
                return "undetermined"
        if scope == "out":
            return "out_of_scope"
        open_link = self.linked_type is not None and linked is None
        if scope == "other":
            return "undetermined" if open_link else "out_of_scope"
        if scope == "unknown":
            return "undetermined"
        result = self._decide_direct(group, perpetrator, any_true, any_unknown)
        if result == "not_femicide" and open_link:
            return "undetermined"
        return result

    @cached_property
    def extended_table(self) -> np.ndarray:
        """:meth:`decide_extended` tabulated, indexed as :func:`extended_key` builds keys."""
        codes = {name: i for i, name in enumerate(self.types)}
        cells = []
        for scope in SCOPE_STATES:
            for group in _GROUPS:
                for perpetrator in C.SEX.codes:
                    for any_true in (False, True):
                        for any_unknown in (False, True):
                            for linked in LINKED_STATES:
                                cells.append(
                                    codes[
                                        self.decide_extended(
                                            scope, group, perpetrator, any_true, any_unknown, linked
                                        )
                                    ]
                                )
        out = np.array(cells, dtype=np.int8)
        out.setflags(write=False)
        return out

    def decide(self, in_scope: bool, group: str, any_true: bool, any_unknown: bool) -> str:
        """The decision procedure for one record, in the framework's order.

        - rule 1, not in scope: ``out_of_scope``;
        - rules 2 and 3, a qualifying relationship group: its type (partner before
          family); a partner or family member of unknown kind
          (``partner_or_family_unspecified``) as the class notes say: its own type when
          both groups qualify, ``undetermined`` when only one does;
        - rule 4, any criterion true: ``other_perpetrator``. When the relationship is
          unknown (and a relationship can qualify) this is femstat's reading, not the
          framework's text, and holds only with ``unknown_relationship_with_criterion``
          ``"other_perpetrator"`` (the default); with ``"undetermined"`` such a record is
          ``undetermined``;
        - rule 5, relationship unknown (when a relationship can qualify) or any criterion
          unknown: ``undetermined`` (femstat rule);
        - rule 6, otherwise ``not_femicide``.
        """
        if not in_scope:
            return "out_of_scope"
        if group in self.qualifying_groups:
            return self.qualifying_groups[group]
        if group == _UNSPECIFIED:
            partner = self.qualifying_groups.get("intimate_partner")
            family = self.qualifying_groups.get("family_member")
            if partner is not None and family is not None:
                return partner if partner == family else _UNSPECIFIED
            if partner is not None or family is not None:
                return "undetermined"
        relationship_matters = group == "unknown" and bool(self.qualifying_groups)
        if any_true:
            if relationship_matters and self.unknown_relationship_with_criterion == "undetermined":
                return "undetermined"
            return "other_perpetrator"
        if relationship_matters or any_unknown:
            return "undetermined"
        return "not_femicide"

    @cached_property
    def table(self) -> np.ndarray:
        """:meth:`decide` tabulated over every combination, indexed by :func:`_key`."""
        out = np.empty(2 * len(_GROUPS) * 2 * 2, dtype=np.int8)
        for in_scope in (False, True):
            for g, group in enumerate(_GROUPS):
                for any_true in (False, True):
                    for any_unknown in (False, True):
                        key = ((int(in_scope) * len(_GROUPS) + g) * 2 + any_true) * 2 + any_unknown
                        out[key] = _TYPE_CODE[self.decide(in_scope, group, any_true, any_unknown)]
        out.setflags(write=False)
        return out

    @property
    def mask_dtype(self) -> np.dtype:
        """The smallest unsigned integer dtype that holds one bit per criterion."""
        for dtype in (np.uint8, np.uint16, np.uint32):
            if len(self.criteria) <= np.iinfo(dtype).bits:
                return np.dtype(dtype)
        raise AssertionError("checked in __post_init__")  # pragma: no cover


UN_2022 = RuleSet(
    name="UN_2022",
    criteria=C.CRITERIA,
    description=(
        "UN Statistical framework for measuring the gender-related killing of women and "
        "girls (femicide/feminicide), adopted by the UN Statistical Commission in 2022."
    ),
    reference=(
        "UNODC and UN Women (2022). Statistical framework for measuring the gender-related "
        "killing of women and girls (also referred to as 'femicide/feminicide')."
    ),
)
"""The UN framework's rule set, femstat's default."""

_RELATIONSHIP_GROUP_INDEX = np.array(
    [_GROUPS.index(C.RELATIONSHIP_GROUP_OF[code]) for code in C.RELATIONSHIP.codes],
    dtype=np.int8,
)


def rule_fingerprint(rules: RuleSet) -> str:
    """A short digest of what a rule set decides: its table, criteria and qualifying groups.

    Two rule sets with the same name but different content get different fingerprints.
    """
    digest = hashlib.sha256()
    digest.update(rules.table.tobytes())
    digest.update(
        repr(
            (
                rules.criteria,
                sorted(rules.qualifying_groups.items()),
                rules.unknown_relationship_with_criterion,
            )
        ).encode()
    )
    if rules.is_extended:
        # Only extended rule sets add to the digest, so every other one keeps its value.
        digest.update(rules.extended_table.tobytes())
        digest.update(
            repr(
                (
                    rules.scope_victim_sex,
                    rules.scope_gender_identity,
                    sorted(rules.perpetrator_sex.items()),
                    rules.linked_type,
                    rules.linked_victim_sex,
                )
            ).encode()
        )
    return digest.hexdigest()[:16]


def rules_record(rules: RuleSet) -> dict[str, str]:
    """The rule set as a cube or a classified frame records it."""
    return {"name": rules.name, "fingerprint": rule_fingerprint(rules)}


class _NotCanonical(FemstatError, TypeError):
    pass


def _codes(df: pd.DataFrame, column: str, code_list: C.CodeList) -> np.ndarray:
    series = df[column]
    if not code_list.is_dtype_of(series):
        raise _NotCanonical(
            f"column {column!r} is not in canonical form ({series.dtype}); "
            "run femstat.validate first"
        )
    return series.array.codes  # a read-only view; .cat.codes builds a Series copy


def _boolean_parts(series: pd.Series, column: str) -> tuple[np.ndarray, np.ndarray]:
    if series.dtype != "boolean":
        raise _NotCanonical(
            f"criterion column {column!r} is {series.dtype}, not a nullable boolean; "
            "run femstat.validate first (national criteria columns need it too: "
            "femstat.validate passes unknown columns through, so coerce them with "
            "df[col].astype('boolean'))"
        )
    return masked_parts(series)


def _iccs_codes(df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray] | None:
    """Codes of ``iccs_code`` and, per category, whether it is intentional homicide.

    None when the column is absent: every record is then intentional homicide.
    """
    if "iccs_code" not in df.columns:
        return None
    iccs = df["iccs_code"]
    if not isinstance(iccs.dtype, pd.CategoricalDtype):
        raise _NotCanonical("column 'iccs_code' is not canonical; run femstat.validate first")
    categories = iccs.cat.categories
    intentional = np.array(
        [str(c).startswith(C.INTENTIONAL_HOMICIDE_ICCS) for c in categories], bool
    )
    return iccs.array.codes, intentional


def _homicide_of(df: pd.DataFrame, sex: str) -> np.ndarray:
    """Whether each record is a victim of ``sex`` of intentional homicide."""
    of_sex = _codes(df, "victim_sex", C.SEX) == C.SEX.code_of(sex)
    iccs = _iccs_codes(df)
    if iccs is None:
        return of_sex
    codes, intentional = iccs
    # The appended False is what a missing category (code -1) reads.
    return of_sex & np.append(intentional, False)[codes]


def _in_scope(df: pd.DataFrame) -> np.ndarray:
    return _homicide_of(df, "female")


def facts(df: pd.DataFrame, rules: RuleSet = UN_2022) -> dict[str, np.ndarray]:
    """The four facts the decision procedure reads, and the criteria bit mask.

    Returns
    -------
    dict of numpy arrays
        ``in_scope`` (bool), ``group`` (int8 index into the relationship groups),
        ``criteria_met`` (one bit per criterion in ``rules.criteria`` order),
        ``any_unknown`` (bool).
    """
    n = len(df)
    group = _RELATIONSHIP_GROUP_INDEX[_codes(df, "relationship", C.RELATIONSHIP)]
    mask_dtype = rules.mask_dtype
    met = np.zeros(n, dtype=mask_dtype)
    any_unknown = np.zeros(n, dtype=bool)
    for bit, column in enumerate(rules.criteria):
        if column not in df.columns:
            any_unknown[:] = True  # an absent criterion is unknown for every record
            continue
        values, missing = _boolean_parts(df[column], column)
        true = values & ~missing
        met |= true.astype(mask_dtype) << mask_dtype.type(bit)
        any_unknown |= missing
    return {
        "in_scope": _in_scope(df),
        "group": group,
        "criteria_met": met,
        "any_unknown": any_unknown,
    }


def _rule_inputs(df: pd.DataFrame, rules: RuleSet, *, criteria: bool = True) -> _kernel.RuleInputs:
    """Zero-copy views of what the rule reads, after the checks :func:`facts` makes.

    The checks run in :func:`facts`' order, so both raise the same error for the same
    frame. Without ``criteria``, only scope and relationship are read (for the male
    comparator of already classified data).
    """
    if criteria and rules.is_extended:
        raise RuleSetError(
            f"rule set {rules.name!r} uses extensions (scope, perpetrator sex or linked "
            "victims) that only femstat.classify reads; classify the frame with "
            "femstat.classify(df, rules=...) and count its type column (estimates and "
            "streamed counts take rule sets without extensions)"
        )
    relationship = _codes(df, "relationship", C.RELATIONSHIP)
    present: list[tuple[np.ndarray, np.ndarray]] = []
    bits: list[int] = []
    for bit, column in enumerate(rules.criteria if criteria else ()):
        if column in df.columns:
            present.append(_boolean_parts(df[column], column))
            bits.append(bit)
    sex = _codes(df, "victim_sex", C.SEX)
    iccs = _iccs_codes(df)
    iccs_codes, intentional = iccs if iccs is not None else (None, None)
    return _kernel.RuleInputs(
        sex=sex,
        relationship=relationship,
        group_of_relationship=_RELATIONSHIP_GROUP_INDEX,
        iccs=iccs_codes,
        intentional=intentional,
        criteria=tuple(present),
        bits=tuple(bits),
        absent_criteria=criteria and len(present) < len(rules.criteria),
        table=rules.table,
        mask_dtype=rules.mask_dtype,
    )


# --------------------------------------------------------------------------------------
# Classification with extensions


def _string_values(series: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Values as text and whether each is missing (any dtype the column may have)."""
    text = series.astype("string")
    missing = text.isna().to_numpy()
    return text.fillna("").to_numpy(dtype=object), missing


def _scope(df: pd.DataFrame, rules: RuleSet) -> np.ndarray:
    """Each record's index in :data:`femstat.classify.SCOPE_STATES`."""
    n = len(df)
    iccs = _iccs_codes(df)
    if iccs is None:
        homicide = np.ones(n, dtype=bool)
    else:
        iccs_codes, intentional = iccs
        homicide = np.append(intentional, False)[iccs_codes]
    sex = _codes(df, "victim_sex", C.SEX)
    in_scope = np.isin(sex, [C.SEX.code_of(s) for s in rules.scope_victim_sex])
    unknown = np.zeros(n, dtype=bool)
    # femstat reads the gender identity when the column is present; without it the scope
    # is by sex alone (say so in the docs: such a count misses trans women recorded male).
    if rules.scope_gender_identity and "victim_gender_identity" in df.columns:
        values, missing = _string_values(df["victim_gender_identity"])
        in_scope |= np.isin(values, list(rules.scope_gender_identity)) & ~missing
        unknown = (missing | (values == "unknown")) & ~in_scope
    state = np.full(n, SCOPE_STATES.index("other"), dtype=np.int64)
    state[in_scope] = SCOPE_STATES.index("in")
    state[unknown] = SCOPE_STATES.index("unknown")
    state[~homicide] = SCOPE_STATES.index("out")
    return state


def _perpetrator(df: pd.DataFrame, rules: RuleSet) -> np.ndarray:
    """Each record's perpetrator sex as a code of ``C.SEX`` (unknown when not recorded)."""
    unknown = C.SEX.code_of("unknown")
    if not rules.perpetrator_sex or "perpetrator_sex" not in df.columns:
        return np.full(len(df), unknown, dtype=np.int64)
    codes = _codes(df, "perpetrator_sex", C.SEX).astype(np.int64)
    codes[codes < 0] = unknown
    return codes


def _linked(df: pd.DataFrame, rules: RuleSet) -> np.ndarray:
    """Each record's index in :data:`femstat.classify.LINKED_STATES`."""
    n = len(df)
    if rules.linked_type is None:
        return np.zeros(n, dtype=np.int64)
    sex = _codes(df, "victim_sex", C.SEX)
    # A victim whose sex the rule set's linked class does not take is never linked, known
    # or not (Spain's vicarious category counts women only).
    may_be_linked = np.isin(sex, [C.SEX.code_of(s) for s in rules.linked_victim_sex])
    state = np.full(n, LINKED_STATES.index(False), dtype=np.int64)
    if "linked_victim" not in df.columns:
        state[may_be_linked] = LINKED_STATES.index(None)
        return state
    series = df["linked_victim"]
    try:
        values = series.astype("boolean")
    except (TypeError, ValueError):
        raise RuleSetError(
            f"column 'linked_victim' ({series.dtype}) is not a nullable boolean, in "
            f"{len(df)} rows read for rule set {rules.name!r}; code it true/false/missing"
        ) from None
    missing = values.isna().to_numpy() & may_be_linked
    true = values.fillna(False).to_numpy(dtype=bool) & may_be_linked
    state[true] = LINKED_STATES.index(True)
    state[missing] = LINKED_STATES.index(None)
    return state


def classify_codes_extended(df: pd.DataFrame, rules: RuleSet) -> tuple[np.ndarray, np.ndarray]:
    """Type codes (in ``rules.types`` order) and the criteria mask, for an extended rule set.

    Called by :func:`femstat.classify` for rule sets with extensions; ``df`` is canonical.
    """
    f = facts(df, rules)
    key = _scope(df, rules)
    key = key * len(_GROUPS) + f["group"]
    key = key * len(C.SEX.codes) + _perpetrator(df, rules)
    key = key * 2 + (f["criteria_met"] != 0)
    key = key * 2 + f["any_unknown"]
    key = key * len(LINKED_STATES) + _linked(df, rules)
    return rules.extended_table[key], f["criteria_met"]


def _is_canonical(df: pd.DataFrame) -> bool:
    # Anything that is not a plain frame goes to validate, which says what is wrong.
    return (
        isinstance(df, pd.DataFrame)
        and not isinstance(df.columns, pd.MultiIndex)
        and df.columns.is_unique
        and all(c in df.columns for c in ("victim_sex", "relationship", "year"))
        and C.SEX.is_dtype_of(df["victim_sex"])
        and C.RELATIONSHIP.is_dtype_of(df["relationship"])
    )


# The rule's side of the cube layer's internal interface (femstat._cube): public within
# femstat, not part of the public API.
rule_inputs = _rule_inputs
homicide_of = _homicide_of
is_canonical = _is_canonical


def classify(
    df: pd.DataFrame,
    *,
    rules: RuleSet | Sequence[RuleSet] = UN_2022,
) -> pd.DataFrame:
    """Assign every victim record its femicide type.

    Parameters
    ----------
    df : pandas.DataFrame
        Victim microdata; validated with :func:`femstat.validate` first if its code
        columns are not yet canonical.
    rules : RuleSet or sequence of RuleSet, default ``femstat.UN_2022``
        The rule set(s) to apply; each writes its own ``type_column`` and
        ``criteria_column``.

    Returns
    -------
    pandas.DataFrame
        ``df`` with ``femicide_type`` (a Categorical of the types, in the framework's
        order) and ``criteria_met`` (an unsigned integer bit mask: bit *i* set when
        criterion *i* of the rule set is true; decode it with
        :func:`criteria_met_names`) added, for each rule set.

    Notes
    -----
    The procedure is the framework's (UNODC and UN Women 2022, section 2 of femstat's
    specification): out of scope; intimate partner; family member (a partner or family
    member not known which gives ``partner_or_family_unspecified`` under ``UN_2022``); any
    criterion true gives other perpetrator (for an unknown relationship femstat's reading,
    see ``RuleSet.unknown_relationship_with_criterion``); an unknown relationship or
    an unknown criterion gives undetermined (femstat rule); otherwise not femicide. A
    criteria column absent from ``df`` is unknown for every record, never false.
    """
    if not _is_canonical(df):
        from femstat.validate import validate

        df = validate(df)
    rule_sets = [rules] if isinstance(rules, RuleSet) else list(rules)
    out = df.copy(deep=False)
    for rule_set in rule_sets:
        # One pass over the codes per rule set, block by block (femstat._kernel): the same
        # key as facts() describes, looked up in rule_set.table, with no full-size
        # temporaries besides the two output columns.
        if rule_set.is_extended:
            types, met = classify_codes_extended(df, rule_set)
        else:
            types, met = _kernel.classify_codes(_rule_inputs(df, rule_set), len(df))
        out[rule_set.type_column] = pd.Categorical.from_codes(types, dtype=rule_set.type_dtype)
        out[rule_set.criteria_column] = met
    # Which rule set made each type column travels with the frame, so that count cubes of
    # classified data record it (femstat.counts.cube_provenance).
    recorded = out.attrs.get(RULES_ATTR)
    out.attrs[RULES_ATTR] = {
        **(recorded if isinstance(recorded, Mapping) else {}),
        **{r.type_column: rules_record(r) for r in rule_sets},
    }
    return out


def criteria_met_names(mask: int | np.integer, rules: RuleSet = UN_2022) -> list[str]:
    """Names of the criteria set in one ``criteria_met`` value."""
    value = int(mask)
    return [name for bit, name in enumerate(rules.criteria) if value >> bit & 1]


_RULE_TEXT = {
    "out_of_scope": "rule 1: not a female victim of completed intentional homicide (ICCS 0101)",
    "intimate_partner": "rule 2: killed by a current or former intimate partner",
    "family_member": "rule 3: killed by a family member",
    "partner_or_family_unspecified": (
        "rules 2-3: killed by an intimate partner or a family member, not known which "
        "(femstat type partner_or_family_unspecified; the rule set qualifies both)"
    ),
    "other_perpetrator": "rule 4: killed by another perpetrator and at least one criterion is true",
    "undetermined": (
        "rule 5: the relationship or a criterion is unknown, so the record can be neither "
        "counted nor excluded"
    ),
    "not_femicide": "rule 6: relationship known, neither partner nor family, every criterion false",
}


def _rule_text(rules: RuleSet, group: str, any_true: bool, result: str) -> str:
    """The rule that gave ``result``, naming femstat's readings where they decide."""
    relationship_matters = group == "unknown" and bool(rules.qualifying_groups)
    option = f"unknown_relationship_with_criterion={rules.unknown_relationship_with_criterion!r}"
    if result == "other_perpetrator" and relationship_matters:
        return (
            "rule 4: relationship unknown and at least one criterion true; counted as "
            f"other_perpetrator by femstat's reading, not the framework's text ({option})"
        )
    if result == "undetermined" and relationship_matters and any_true:
        return (
            "rule 5: relationship unknown and at least one criterion true; left "
            f"undetermined by this rule set's option {option} (femstat's default reading "
            "counts it as other_perpetrator)"
        )
    if result == "undetermined" and group == _UNSPECIFIED:
        return (
            "rule 5: killed by an intimate partner or a family member, not known which, and "
            "this rule set qualifies only one of the two, so the record can be neither "
            "counted nor excluded"
        )
    return _RULE_TEXT[result]


def explain(df: pd.DataFrame, label: object, *, rules: RuleSet = UN_2022) -> str:
    """Explain in words how one record was classified.

    Parameters
    ----------
    df : pandas.DataFrame
        Validated (or classified) victim data.
    label : object
        The record's index label.
    rules : RuleSet, default ``femstat.UN_2022``

    Returns
    -------
    str
        The facts the rule read and the rule that decided. Only coded columns are quoted,
        never free text.
    """
    if label not in df.index:
        raise KeyError(f"no record with index label {label!r}")
    record = df.loc[[label]]
    if not _is_canonical(record):
        from femstat.validate import validate

        record = validate(record)
    f = facts(record, rules)
    in_scope = bool(f["in_scope"][0])
    group = _GROUPS[int(f["group"][0])]
    met = criteria_met_names(f["criteria_met"][0], rules)
    unknown = [
        c for c in rules.criteria if c not in record.columns or bool(pd.isna(record[c].iloc[0]))
    ]
    result = rules.decide(in_scope, group, bool(met), bool(unknown))
    extended: list[str] = []
    if rules.is_extended:
        # The extensions are decided by the tabulated extended rule; quote the codes it read.
        result = str(classify(record, rules=rules)[rules.type_column].iloc[0])
        for column in ("victim_gender_identity", "perpetrator_sex", "linked_victim"):
            shown = record[column].iloc[0] if column in record.columns else "(no column)"
            extended.append(f"{column} {'unknown' if pd.isna(shown) else shown}")
    sex = record["victim_sex"].iloc[0]
    iccs = (
        record["iccs_code"].iloc[0]
        if "iccs_code" in record.columns
        else f"{C.INTENTIONAL_HOMICIDE_ICCS} (assumed)"
    )
    lines = [
        f"record {label!r} under {rules.name}: {result}",
        f"  victim_sex {sex}, ICCS {iccs}: {'in' if in_scope else 'out of'} scope",
        f"  relationship {record['relationship'].iloc[0]} (group {group})",
        f"  criteria true: {', '.join(met) or 'none'}",
        f"  criteria unknown: {', '.join(unknown) or 'none'}",
    ]
    if extended:
        lines += [
            f"  extensions read: {', '.join(extended)}",
            "  decided by the rule set's extended rule (RuleSet.decide_extended)",
        ]
    else:
        lines.append(f"  decided by {_rule_text(rules, group, bool(met), result)}")
    return "\n".join(lines)
