"""Extended rule sets on every combination of what they read, against a restatement.

The expected type of each record is written below in straight-line code from the rules
(docs/rulesets.md), independently of :meth:`femstat.RuleSet.decide_extended` and its
table; the frame holds every combination of ICCS class, victim sex, gender identity,
relationship group, perpetrator sex, criteria states and ``linked_victim``, so the
vectorised key assembly is checked too.
"""

from __future__ import annotations

import itertools

import pandas as pd
import pytest

import femstat as fs
from femstat import codes as C

ICCS = ("0101", "0103")
SEXES = ("female", "male", "unknown")
IDENTITIES = ("cis_woman", "trans_woman", "cis_man", "unknown", None)
RELATIONSHIPS = {
    "current_partner": "intimate_partner",
    "parent": "family_member",
    "friend_or_acquaintance": "other_known",
    "stranger": "stranger",
    "unknown": "unknown",
}
PERPETRATORS = ("female", "male", "unknown")
FIRST = (True, False, None)
SECOND = (False, None)
LINKED = (True, False, None)

# A rule set with no qualifying group and a condition on rule 4 only, beside the shipped ones.
NO_GROUPS = fs.RuleSet(
    name="NO_GROUPS",
    criteria=("hate_crime", "sexual_violence"),
    qualifying_groups={},
    type_column="type_no_groups",
    criteria_column="met_no_groups",
    perpetrator_sex={"other_perpetrator": ("male",)},
    scope_gender_identity=("trans_woman",),
    linked_type="linked",
)


def reference(rules, iccs, sex, identity, has_identity, group, perp, any_true, any_unknown, linked):
    """The type a record must get, restated from the rules."""

    def allowed(label):  # True, False or None (unknown)
        sexes = rules.perpetrator_sex.get(label)
        if sexes is None or perp in sexes:
            return True
        return None if perp == "unknown" else False

    takes_linked = rules.linked_type is not None and sex in rules.linked_victim_sex
    if iccs != "0101":
        return "out_of_scope"
    if takes_linked and linked is True:
        ok = allowed(rules.linked_type)
        if ok:
            return rules.linked_type
        if ok is None:
            return "undetermined"
    reads_identity = bool(rules.scope_gender_identity) and has_identity
    in_scope = sex in rules.scope_victim_sex or (
        reads_identity and identity in rules.scope_gender_identity
    )
    if not in_scope:
        if reads_identity and identity in (None, "unknown"):
            return "undetermined"
        return "undetermined" if takes_linked and linked is None else "out_of_scope"
    result = None
    if group in rules.qualifying_groups:
        label = rules.qualifying_groups[group]
        ok = allowed(label)
        if ok:
            result = label
        elif ok is None:
            result = "undetermined"
    if result is None:
        rule4 = allowed("other_perpetrator")
        if rule4 is False:
            might_qualify = group == "unknown" and any(
                allowed(t) is not False for t in rules.qualifying_groups.values()
            )
            result = "undetermined" if might_qualify else "not_femicide"
        elif any_true:
            result = "other_perpetrator" if rule4 else "undetermined"
        elif (group == "unknown" and rules.qualifying_groups) or any_unknown:
            result = "undetermined"
        else:
            result = "not_femicide"
    if result == "not_femicide" and takes_linked and linked is None:
        return "undetermined"
    return result


def every_record(rules, *, has_identity: bool) -> pd.DataFrame:
    first, second = rules.criteria[0], rules.criteria[1]
    combos = list(
        itertools.product(
            ICCS,
            SEXES,
            IDENTITIES if has_identity else (None,),
            RELATIONSHIPS,
            PERPETRATORS,
            FIRST,
            SECOND,
            LINKED,
        )
    )
    raw = pd.DataFrame(
        combos,
        columns=[
            "iccs_code",
            "victim_sex",
            "identity",
            "relationship",
            "perpetrator_sex",
            first,
            second,
            "linked",
        ],
    )
    raw["victim_id"] = range(len(raw))
    raw["year"] = 2022
    raw["victim_age"] = 30
    for name in rules.criteria:
        raw[name] = raw[name] if name in (first, second) else False
        raw[name] = raw[name].astype("boolean")
    identity, linked = raw.pop("identity"), raw.pop("linked")
    clean = fs.validate(raw)
    if has_identity:
        clean["victim_gender_identity"] = pd.array(identity.tolist(), dtype="string")
    clean["linked_victim"] = pd.array(linked.tolist(), dtype="boolean")
    return clean, combos


@pytest.mark.slow
@pytest.mark.parametrize("name", ["ARG_CP_80", "ESP_DGVG_2022", "NO_GROUPS"])
@pytest.mark.parametrize("has_identity", [True, False])
def test_every_combination_against_the_restatement(name, has_identity):
    import warnings

    rules = NO_GROUPS if name == "NO_GROUPS" else fs.rule_set(name)
    with warnings.catch_warnings():
        # stranger-with-prior-violence and similar data-quality notes are beside the point
        warnings.simplefilter("ignore", fs.DataQualityWarning)
        clean, combos = every_record(rules, has_identity=has_identity)
    got = fs.classify(clean, rules=rules)[rules.type_column].astype(str).tolist()
    wrong = []
    for combo, g in zip(combos, got, strict=True):
        iccs, sex, identity, rel, perp, c1, c2, linked = combo
        expected = reference(
            rules,
            iccs,
            sex,
            identity,
            has_identity,
            RELATIONSHIPS[rel],
            perp,
            c1 is True,
            c1 is None or c2 is None,
            linked,
        )
        if g != expected:
            wrong.append((combo, expected, g))
    assert not wrong, (len(wrong), wrong[:5])
    assert set(got) >= {"out_of_scope", "undetermined"}


def test_every_class_is_reached():
    rules = fs.rule_set("ARG_CP_80")
    reached = {rules.types[i] for i in rules.extended_table}
    assert reached == set(rules.types)
    assert set(C.FEMICIDE_TYPES) <= reached
