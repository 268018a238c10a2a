"""Every rule set, every input, both kernels, against a re-statement of the typology.

The reference below is written here, record by record, from the framework's decision
procedure (framework section 2) and the rule-set semantics (``fs.RuleSet``): it does not
read ``RuleSet.decide``, ``RuleSet.table`` or femstat's relationship groups. Rule sets
differ in their qualifying groups, including none (a national rule where only the
criteria decide) and in their criteria columns.

Each rule set is run over every relationship code x every combination of its criteria in
three states (true, false, unknown) x in-scope and out-of-scope records, through
``fs.classify`` and through ``fs.counts`` (whose one-pass kernel classifies as it counts),
on the numpy and on the numba kernel.
"""

from __future__ import annotations

import functools
import itertools
import os
from unittest import mock

import numpy as np
import pandas as pd
import pytest

import femstat as fs
from femstat import _kernel

# Relationship codes by group, written out from framework section 3 (not from femstat.codes).
PARTNER = ("intimate_partner", "current_partner", "former_partner")
FAMILY = (
    "family_member",
    "parent",
    "child",
    "sibling",
    "other_blood_relative",
    "relative_by_marriage",
    "other_household_member",
)
OTHER_KNOWN = (
    "other_known",
    "friend_or_acquaintance",
    "colleague_or_business",
    "authority_or_care",
    "other_known_person",
)
STRANGER = ("stranger",)
UNKNOWN = ("unknown",)
# A partner or family member, not known which (UNODC's "Intimate partner or family member").
UNSPECIFIED = ("partner_or_family_unspecified",)
GROUP_CODES = {
    "intimate_partner": PARTNER,
    "family_member": FAMILY,
    "other_known": OTHER_KNOWN,
    "stranger": STRANGER,
}
EVERY_CODE = (*PARTNER, *FAMILY, *UNSPECIFIED, *OTHER_KNOWN, *STRANGER, *UNKNOWN)

# (name, criteria, qualifying groups in priority order)
RULE_SETS = {
    "UN_2022": (
        (
            "prior_violence",
            "exploitation",
            "abduction",
            "sex_work",
            "sexual_violence",
            "mutilation",
            "body_in_public_space",
            "hate_crime",
        ),
        {"intimate_partner": "intimate_partner", "family_member": "family_member"},
    ),
    "CRITERIA_ONLY": (("sexual_violence", "nat_threats", "mutilation"), {}),
    "PARTNER_ONLY": (("prior_violence", "nat_threats"), {"intimate_partner": "intimate_partner"}),
    "FAMILY_ONLY": (("hate_crime",), {"family_member": "family_member"}),
    "KNOWN_QUALIFIES": (
        ("abduction", "sexual_violence"),
        {
            "intimate_partner": "intimate_partner",
            "family_member": "family_member",
            "other_known": "other_perpetrator",
        },
    ),
    # The framework's text only: an unknown relationship with a true criterion stays
    # undetermined (RuleSet.unknown_relationship_with_criterion).
    "UN_STRICT": (
        ("prior_violence", "sexual_violence", "mutilation"),
        {"intimate_partner": "intimate_partner", "family_member": "family_member"},
    ),
}
STRICT = {"UN_STRICT"}


def rule_set(name: str) -> fs.RuleSet:
    if name == "UN_2022":
        return fs.UN_2022
    criteria, qualifying = RULE_SETS[name]
    return fs.RuleSet(
        name=name,
        criteria=criteria,
        qualifying_groups=qualifying,
        unknown_relationship_with_criterion="undetermined"
        if name in STRICT
        else "other_perpetrator",
    )


def reference(
    in_scope: bool, relationship: str, criteria: tuple, qualifying: dict, strict: bool = False
) -> str:
    """The typology for one record, rule by rule.

    1. not a female victim of completed intentional homicide: out of scope;
    2-3. a relationship in a qualifying group: that group's type, in priority order; a
       partner or family member not known which: its own type when both groups qualify,
       undetermined when only one does (it might be either), judged by the criteria when
       neither does;
    4. any criterion true: other perpetrator; with the strict reading, an unknown
       relationship (when some relationship could qualify) is undetermined instead;
    5. any criterion unknown: undetermined; an unknown relationship is undetermined only
       when some relationship could have qualified the record (it might hide one); under
       a rule where only criteria decide, it is as good as any non-qualifying one;
    6. otherwise not femicide.
    """
    if not in_scope:
        return "out_of_scope"
    for group, label in qualifying.items():
        if relationship in GROUP_CODES[group]:
            return label
    if relationship in UNSPECIFIED:
        both = "intimate_partner" in qualifying and "family_member" in qualifying
        if both:
            return "partner_or_family_unspecified"
        if "intimate_partner" in qualifying or "family_member" in qualifying:
            return "undetermined"
    if True in criteria:
        if strict and relationship == "unknown" and len(qualifying) > 0:
            return "undetermined"
        return "other_perpetrator"
    if None in criteria:
        return "undetermined"
    if relationship == "unknown" and len(qualifying) > 0:
        return "undetermined"
    return "not_femicide"


SCOPE = [("female", "0101", True), ("female", "0102", False), ("male", "0101", False)]


@functools.cache
def build(name: str) -> tuple[pd.DataFrame, list[str]]:
    """Every input of one rule set, validated, and the reference type of each record."""
    criteria, qualifying = RULE_SETS[name]
    combos = list(itertools.product((True, False, None), repeat=len(criteria)))
    rows = list(itertools.product(SCOPE, EVERY_CODE, combos))
    frame = pd.DataFrame(
        {
            "year": 2020,
            "victim_sex": [scope[0] for scope, _, _ in rows],
            "iccs_code": [scope[1] for scope, _, _ in rows],
            "victim_age": 30,
            "relationship": [rel for _, rel, _ in rows],
        }
    )
    for i, column in enumerate(criteria):
        frame[column] = pd.array([combo[i] for _, _, combo in rows], dtype="boolean")
    expected = [
        reference(scope[2], rel, combo, qualifying, strict=name in STRICT)
        for scope, rel, combo in rows
    ]
    return fs.validate(frame, report=True)[0], expected  # report: its warnings expected


@pytest.fixture(params=_kernel.KERNELS)
def kernel(request: pytest.FixtureRequest):
    if request.param == "numba" and not _kernel.numba_available():
        if os.environ.get("CI"):
            pytest.fail("numba is not installed; the test extra must install femstat[fast]")
        pytest.skip("numba is not installed (pip install 'femstat[fast]')")
    with mock.patch.dict(os.environ, {_kernel.ENV_VAR: request.param}):
        yield request.param


@pytest.mark.parametrize("name", sorted(RULE_SETS))
def test_every_input_of_every_rule_set(name: str, kernel: str) -> None:
    data, expected = build(name)
    rules = rule_set(name)
    typed = fs.classify(data, rules=rules)
    got = typed[rules.type_column].astype(str).to_numpy()
    wrong = np.flatnonzero(got != np.array(expected))
    assert wrong.size == 0, (
        f"{name} on {kernel}: {wrong.size} records differ; first: "
        f"{data.iloc[wrong[0]].to_dict()} gave {got[wrong[0]]}, expected {expected[wrong[0]]}"
    )
    # counting raw data classifies in the same pass: the same types, counted
    cube = fs.counts(data, rules=rules).set_index(rules.type_column)["count"]
    reference_counts = pd.Series(expected).value_counts()
    for label, n in cube.items():
        assert n == reference_counts.get(str(label), 0), (name, kernel, label)


def test_the_rules_differ_where_they_should() -> None:
    """The reference is not vacuous: each rule set decides some record differently."""
    un = build("UN_2022")
    assert "not_femicide" in un[1] and "undetermined" in un[1]
    data, expected = build("CRITERIA_ONLY")
    rel = data["relationship"].astype(str).to_numpy()
    in_scope = (data["victim_sex"].astype(str) == "female").to_numpy() & (
        data["iccs_code"].astype(str) == "0101"
    ).to_numpy()
    unknown_all_false = [
        e for e, keep in zip(expected, in_scope & (rel == "unknown"), strict=True) if keep
    ]
    # with no qualifying group, unknown relationship and every criterion false decides
    assert unknown_all_false.count("not_femicide") == 1
    assert set(build("KNOWN_QUALIFIES")[1]) >= {"other_perpetrator", "intimate_partner"}
    # the strict reading moves unknown relationships with a true criterion only
    lenient, strict = build("UN_2022")[1], build("UN_STRICT")[1]
    assert "partner_or_family_unspecified" in lenient
    data, _ = build("UN_STRICT")
    unknown = (data["relationship"].astype(str) == "unknown").to_numpy()
    moved = [e for e, keep in zip(strict, unknown, strict=True) if keep]
    assert "other_perpetrator" not in moved and "undetermined" in moved
    assert "undetermined" in build("PARTNER_ONLY")[1]
