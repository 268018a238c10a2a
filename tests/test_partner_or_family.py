"""partner_or_family_unspecified: "intimate partner or family member, not known which".

UNODC publishes "Intimate partner or family member" as one category; records that know
only that much have the relationship code, group and femicide type
``partner_or_family_unspecified``. It is a femicide, counted in ``femicide`` and in
``partner_or_family`` but in neither ``intimate_partner`` nor ``family_member``.
"""

from __future__ import annotations

import itertools
import pickle

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import femstat as fs
from femstat import codes as C
from femstat.classify import RuleSet, facts, rule_fingerprint
from femstat.estimates import EstimateError
from femstat.sdc import audit_disclosure, protect
from femstat.testing import victims

UNSPECIFIED = "partner_or_family_unspecified"
UNODC_LABEL = "Intimate partner or family member"


def _records(relationships, criteria=None, sex="female"):
    n = len(relationships)
    data = {
        "year": [2020] * n,
        "victim_sex": [sex] * n,
        "victim_age": [30] * n,
        "relationship": list(relationships),
    }
    for name in C.CRITERIA:
        data[name] = pd.array(
            [None if criteria is None else criteria.get(name) for _ in range(n)], dtype="boolean"
        )
    return pd.DataFrame(data)


# --------------------------------------------------------------------------------------
# Code lists and spellings


def test_code_lists_place_it_next_to_partner_and_family():
    assert C.FEMICIDE_TYPES.index(UNSPECIFIED) == C.FEMICIDE_TYPES.index("family_member") + 1
    assert C.RELATIONSHIP_GROUP_OF[UNSPECIFIED] == UNSPECIFIED
    assert UNSPECIFIED in C.RELATIONSHIP_GROUP
    assert C.RELATIONSHIP_INVERSE[UNSPECIFIED] == UNSPECIFIED
    assert C.FEMICIDE == ("intimate_partner", "family_member", UNSPECIFIED, "other_perpetrator")
    assert C.PARTNER_OR_FAMILY == ("intimate_partner", "family_member", UNSPECIFIED)
    assert "out_of_scope" not in C.IN_SCOPE_TYPES
    assert set(C.IN_SCOPE_TYPES) | {"out_of_scope"} == set(C.FEMICIDE_TYPES)
    closeness = C.RELATIONSHIP_CLOSENESS
    assert closeness.index("family_member") < closeness.index(UNSPECIFIED)
    assert closeness.index(UNSPECIFIED) < closeness.index("unknown")


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(
    flips=st.lists(st.booleans(), min_size=len(UNODC_LABEL), max_size=len(UNODC_LABEL)),
    pad=st.sampled_from(["", " ", "  ", "\t"]),
)
def test_validate_reads_unodc_label_in_any_letter_case(flips, pad):
    label = "".join(c.upper() if f else c.lower() for c, f in zip(UNODC_LABEL, flips, strict=True))
    clean = fs.validate(_records([pad + label + pad, "unknown"]))
    assert clean["relationship"].astype(str).tolist() == [UNSPECIFIED, "unknown"]
    assert fs.classify(clean)["femicide_type"].astype(str).tolist() == [
        UNSPECIFIED,
        "undetermined",
    ]


@pytest.mark.parametrize(
    "spelling",
    [
        UNSPECIFIED,
        "intimate partner or family",
        "Partner or family member",
        "partner-or-family",
        "PARTNER_OR_RELATIVE",
    ],
)
def test_validate_reads_other_spellings(spelling):
    clean = fs.validate(_records([spelling]))
    assert clean["relationship"].astype(str).tolist() == [UNSPECIFIED]


def test_unodc_labels_round_trip_and_read_in_any_case():
    groups = pd.Series([UNSPECIFIED, "intimate_partner"], name="relationship_group")
    labels = C.to_unodc_labels(groups)
    assert labels.astype(str).tolist()[0] == UNODC_LABEL
    back = C.from_unodc_labels(pd.Series(["INTIMATE PARTNER OR FAMILY MEMBER  "]), "relationship")
    assert back.tolist() == [UNSPECIFIED]
    types = C.from_unodc_labels(pd.Series(["intimate partner or family member"]), "femicide_type")
    assert types.tolist() == [UNSPECIFIED]
    with pytest.raises(KeyError, match="not UNODC labels"):
        C.from_unodc_labels(pd.Series(["Partner, probably"]), "relationship")


def test_femstat_classes_are_labelled_as_femstats_and_old_labels_still_read():
    for code in C.FEMSTAT_CLASSES:
        assert C.UNODC_TYPE_LABELS[code].endswith("(femstat class)")
    for code in set(C.FEMICIDE_TYPES) - set(C.FEMSTAT_CLASSES):
        assert "femstat" not in C.UNODC_TYPE_LABELS[code]
    old = pd.Series(
        [
            "Not gender-related",
            "gender-related motive undetermined",
            "Out of scope",
            "Undetermined (femstat class)",
        ]
    )
    assert C.from_unodc_labels(old, "femicide_type").tolist() == [
        "not_femicide",
        "undetermined",
        "out_of_scope",
        "undetermined",
    ]
    every = pd.Series(list(C.FEMICIDE_TYPES), name="femicide_type")
    assert C.from_unodc_labels(C.to_unodc_labels(every).astype(str), "femicide_type").tolist() == (
        list(C.FEMICIDE_TYPES)
    )


# --------------------------------------------------------------------------------------
# The decision procedure, exhaustively


def reference(rules_kind, option, in_scope, group, any_true, any_unknown):
    """Written from docs/framework.md, independently of RuleSet.decide."""
    if not in_scope:
        return "out_of_scope"
    qualifying = {
        "un": {"intimate_partner": "intimate_partner", "family_member": "family_member"},
        "partner_only": {"intimate_partner": "intimate_partner"},
        "family_only": {"family_member": "family_member"},
        "none": {},
        "both_other": {
            "intimate_partner": "other_perpetrator",
            "family_member": "other_perpetrator",
        },
    }[rules_kind]
    if group in qualifying:
        return qualifying[group]
    if group == UNSPECIFIED and len(qualifying) == 2:
        labels = set(qualifying.values())
        return labels.pop() if len(labels) == 1 else UNSPECIFIED
    if group == UNSPECIFIED and len(qualifying) == 1:
        return "undetermined"
    if any_true:
        if group == "unknown" and qualifying and option == "undetermined":
            return "undetermined"
        return "other_perpetrator"
    if (group == "unknown" and qualifying) or any_unknown:
        return "undetermined"
    return "not_femicide"


def _rule_set(kind, option):
    groups = {
        "un": {"intimate_partner": "intimate_partner", "family_member": "family_member"},
        "partner_only": {"intimate_partner": "intimate_partner"},
        "family_only": {"family_member": "family_member"},
        "none": {},
        "both_other": {
            "intimate_partner": "other_perpetrator",
            "family_member": "other_perpetrator",
        },
    }[kind]
    return RuleSet(
        name=f"{kind}_{option}",
        criteria=C.CRITERIA,
        qualifying_groups=groups,
        unknown_relationship_with_criterion=option,
        type_column=f"type_{kind}_{option}",
        criteria_column=f"met_{kind}_{option}",
    )


KINDS = ("un", "partner_only", "family_only", "none", "both_other")
OPTIONS = ("other_perpetrator", "undetermined")


@pytest.mark.parametrize(("kind", "option"), list(itertools.product(KINDS, OPTIONS)))
def test_decide_over_the_whole_decision_table(kind, option):
    rules = _rule_set(kind, option)
    for in_scope, group, any_true, any_unknown in itertools.product(
        (False, True), C.RELATIONSHIP_GROUP.codes, (False, True), (False, True)
    ):
        got = rules.decide(in_scope, group, any_true, any_unknown)
        assert got == reference(kind, option, in_scope, group, any_true, any_unknown), (
            in_scope,
            group,
            any_true,
            any_unknown,
        )


def test_default_option_is_femstats_reading_and_un_2022_keeps_it():
    assert fs.UN_2022.unknown_relationship_with_criterion == "other_perpetrator"
    assert fs.UN_2022.decide(True, "unknown", True, False) == "other_perpetrator"


def _every_fact_frame():
    """Every relationship code x criteria (one true / all false / one unknown / mixed)."""
    states = [
        {},
        {"mutilation": True},
        dict.fromkeys(C.CRITERIA, False),
        {**dict.fromkeys(C.CRITERIA, False), "hate_crime": None},
        {"prior_violence": True, "abduction": False},
    ]
    frames = []
    for sex, iccs in (("female", "0101"), ("female", "0102"), ("male", "0101")):
        for crit in states:
            part = _records(C.RELATIONSHIP.codes, crit, sex=sex)
            part["iccs_code"] = iccs
            frames.append(part)
    return fs.validate(pd.concat(frames, ignore_index=True), report=True)[0]


@pytest.mark.parametrize("kernel", ["numpy", "numba"])
def test_classify_matches_the_reference_for_every_rule_set_and_option(kernel, monkeypatch):
    if kernel == "numba":
        pytest.importorskip("numba")
    monkeypatch.setenv("FEMSTAT_KERNEL", kernel)
    df = _every_fact_frame()
    rule_sets = [_rule_set(k, o) for k, o in itertools.product(KINDS, OPTIONS)]
    typed = fs.classify(df, rules=rule_sets)
    f = facts(df)
    groups = np.array(C.RELATIONSHIP_GROUP.codes)[f["group"]]
    for rules in rule_sets:
        option = rules.unknown_relationship_with_criterion
        kind = next(k for k in KINDS if rules.name.startswith(k + "_"))
        expected = [
            reference(kind, option, bool(s), str(g), bool(m), bool(u))
            for s, g, m, u in zip(
                f["in_scope"], groups, f["criteria_met"] != 0, f["any_unknown"], strict=True
            )
        ]
        assert typed[rules.type_column].astype(str).tolist() == expected, rules.name


def test_the_option_is_part_of_the_fingerprint_and_survives_pickling():
    strict = _rule_set("un", "undetermined")
    lenient = _rule_set("un", "other_perpetrator")
    assert rule_fingerprint(strict) != rule_fingerprint(lenient)
    again = pickle.loads(pickle.dumps(strict))
    assert again.unknown_relationship_with_criterion == "undetermined"
    assert rule_fingerprint(again) == rule_fingerprint(strict)
    with pytest.raises(ValueError, match="unknown_relationship_with_criterion"):
        RuleSet(name="x", criteria=C.CRITERIA, unknown_relationship_with_criterion="maybe")  # type: ignore[arg-type]


def test_explain_names_femstats_reading_and_the_option():
    df = fs.validate(_records(["unknown", UNSPECIFIED], {"mutilation": True}))
    default = fs.explain(df, 0)
    assert "record 0 under UN_2022: other_perpetrator" in default
    assert "femstat's reading, not the framework's text" in default
    assert "unknown_relationship_with_criterion='other_perpetrator'" in default
    strict = _rule_set("un", "undetermined")
    text = fs.explain(df, 0, rules=strict)
    assert ": undetermined" in text.splitlines()[0]
    assert "unknown_relationship_with_criterion='undetermined'" in text
    assert "killed by an intimate partner or a family member, not known which" in fs.explain(df, 1)
    partner_only = fs.explain(df, 1, rules=_rule_set("partner_only", "other_perpetrator"))
    assert "qualifies only one of the two" in partner_only


# --------------------------------------------------------------------------------------
# Totals


def _female_victims():
    return victims(min_size=1, max_size=60)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(df=_female_victims())
def test_totals_add_up_in_every_group(df):
    table = fs.indicators(fs.classify(df), by="relationship_group")
    wide = table.pivot_table(
        index="relationship_group", columns="femicide_type", values="count", observed=False
    )
    np.testing.assert_array_equal(wide["femicide"], wide[list(C.FEMICIDE)].sum(axis=1))
    np.testing.assert_array_equal(
        wide["partner_or_family"], wide[list(C.PARTNER_OR_FAMILY)].sum(axis=1)
    )
    np.testing.assert_array_equal(wide["female_homicide"], wide[list(C.IN_SCOPE_TYPES)].sum(axis=1))
    assert (wide.loc[UNSPECIFIED, ["intimate_partner", "family_member"]] == 0).all()
    bounds = fs.bounds(fs.classify(df), by="relationship_group").set_index("relationship_group")
    np.testing.assert_array_equal(bounds["lower"], wide["femicide"].loc[bounds.index])


def test_male_comparator_counts_male_victims_of_unknown_kind_of_partner_or_family():
    df = fs.validate(
        pd.concat(
            [
                _records([UNSPECIFIED, "parent", "stranger"], sex="male"),
                _records([UNSPECIFIED], sex="female"),
            ],
            ignore_index=True,
        )
    )
    rows = fs.indicators(fs.classify(df)).set_index("femicide_type")["count"]
    assert rows["male_partner_or_family"] == 2
    assert rows[UNSPECIFIED] == 1 and rows["femicide"] == 1 and rows["partner_or_family"] == 1


def test_closest_perpetrator_ranks_it_after_family_before_unknown():
    victims_table = pd.DataFrame(
        {
            "victim_id": [1, 2, 3],
            "year": [2020] * 3,
            "victim_sex": ["female"] * 3,
            "victim_age": [30] * 3,
            "relationship": ["unknown"] * 3,
        }
    )
    perpetrators = pd.DataFrame(
        {
            "victim_id": [1, 1, 2, 2, 3, 3],
            "relationship": ["unknown", UNSPECIFIED, UNSPECIFIED, "sibling", "stranger", "unknown"],
        }
    )
    clean = fs.validate(victims_table, perpetrators=perpetrators)
    assert clean["relationship"].astype(str).tolist() == [UNSPECIFIED, "sibling", "unknown"]


# --------------------------------------------------------------------------------------
# Synthetic data and the whole pipeline


def test_synth_makes_them_only_behind_its_parameter():
    plain = fs.synth.generate(5000, seed=3)
    assert not (plain["relationship"] == UNSPECIFIED).any()
    blurred = fs.synth.generate(5000, seed=3, partner_or_family_unspecified_share=0.25)
    changed = plain["relationship"].astype(str) != blurred["relationship"].astype(str)
    assert changed.any()
    assert (blurred.loc[changed, "relationship"] == UNSPECIFIED).all()
    was = plain.loc[changed, "relationship"].map(C.RELATIONSHIP_GROUP_OF)
    assert set(was) <= {"intimate_partner", "family_member"}
    pd.testing.assert_frame_equal(
        plain.drop(columns="relationship"), blurred.drop(columns="relationship")
    )
    with pytest.raises(ValueError, match="partner_or_family_unspecified_share"):
        fs.synth.generate(10, partner_or_family_unspecified_share=1.5)


@pytest.fixture(scope="module")
def typed_with_unspecified():
    df = fs.synth.generate(20_000, seed=11, partner_or_family_unspecified_share=0.3)
    return fs.classify(fs.validate(df))


def test_counts_indicators_bounds_and_exports(typed_with_unspecified, tmp_path):
    typed = typed_with_unspecified
    n = int((typed["femicide_type"] == UNSPECIFIED).sum())
    assert n > 100
    cube = fs.counts(typed, ["year"])
    assert int(cube.loc[cube["femicide_type"] == UNSPECIFIED, "count"].sum()) == n
    table = fs.indicators(typed)
    rows = table.set_index("femicide_type")["count"]
    assert rows[UNSPECIFIED] == n
    assert rows["femicide"] == sum(rows[t] for t in C.FEMICIDE)
    bounds = fs.bounds(typed)
    assert int(bounds["lower"].iloc[0]) == rows["femicide"]
    assert int(bounds["upper"].iloc[0]) == rows["femicide"] + rows["undetermined"]
    sdmx = fs.exports.sdmx_frame(table, time_period="2020", ref_area="XXX")
    counted = sdmx[(sdmx["FEMICIDE_TYPE"] == "PARTNER_OR_FAMILY_UNSPECIFIED")]
    counted = counted[counted["UNIT_MEASURE"] == "NUMBER"]
    assert counted["OBS_VALUE"].astype(float).tolist() == [float(n)]
    path = tmp_path / "table.csv"
    fs.exports.export(table, path)
    assert UNSPECIFIED in path.read_text()


def test_disclosure_sums_include_it():
    # One group: the typology sums give a hidden partner_or_family_unspecified cell away.
    table = fs.indicators(
        fs.classify(
            fs.validate(
                _records(
                    ["parent"] * 9 + [UNSPECIFIED] * 2 + ["current_partner"] * 8,
                    dict.fromkeys(C.CRITERIA, False),
                )
            )
        )
    )
    audit = audit_disclosure({"total": fs.suppress(table)})
    exposed = audit[audit["exposed"]]
    assert UNSPECIFIED in set(exposed["femicide_type"].astype(str))
    protected = protect({"total": table})
    assert audit_disclosure(protected).attrs["audit"]["passed"]


def test_estimate_keeps_them_fixed_under_un_2022(typed_with_unspecified):
    typed = typed_with_unspecified
    n = int((typed["femicide_type"] == UNSPECIFIED).sum())
    est = fs.estimate(typed, method="allocate").set_index("femicide_type")
    assert est.loc[UNSPECIFIED, "estimate"] == pytest.approx(n)
    rows = ["estimate", "lower", "upper"]
    assert est.loc[UNSPECIFIED, rows].tolist() == pytest.approx([n, n, n])


def test_estimate_refuses_a_rule_set_that_leaves_them_undetermined():
    partner_only = _rule_set("partner_only", "other_perpetrator")
    df = fs.validate(
        _records(["current_partner", UNSPECIFIED, "stranger"], dict.fromkeys(C.CRITERIA, False))
    )
    typed = fs.classify(df, rules=partner_only)
    with pytest.raises(EstimateError, match="partner_or_family_unspecified") as info:
        fs.estimate(typed, rules=partner_only, method="allocate")
    assert "qualifies both groups" in str(info.value)


def test_report_shows_the_type_when_present(typed_with_unspecified, tmp_path):
    from femstat.plots import TYPE_LABELS, typology_chart

    table = fs.indicators(typed_with_unspecified)
    fig = typology_chart(table)
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert TYPE_LABELS[UNSPECIFIED] in labels
    plain = fs.indicators(fs.classify(fs.validate(fs.synth.generate(2000, seed=1))))
    fig = typology_chart(plain)
    assert TYPE_LABELS[UNSPECIFIED] not in [t.get_text() for t in fig.axes[0].get_yticklabels()]


@pytest.mark.slow
def test_report_counts_them_and_says_femicide_has_four_types(tmp_path):
    from femstat.report import build_report

    raw = fs.synth.generate(1500, seed=5, partner_or_family_unspecified_share=0.3)
    files = build_report(raw, out_dir=tmp_path, formats=("markdown",), tables=False)
    assert files.markdown is not None
    text = files.markdown.read_text(encoding="utf-8")
    assert "Partner or family member, not known which" in text
    assert "sum of the four femicide types" in text
    summary = files.summary.set_index("femicide_type")["count"]
    n = int((fs.classify(fs.validate(raw))["femicide_type"] == UNSPECIFIED).sum())
    assert summary[UNSPECIFIED] == n


@pytest.mark.slow
def test_report_of_data_without_them_is_unchanged_in_wording(tmp_path):
    from femstat.report import build_report

    raw = fs.synth.generate(1500, seed=5)
    files = build_report(raw, out_dir=tmp_path, formats=("markdown",), tables=False)
    assert files.markdown is not None
    text = files.markdown.read_text(encoding="utf-8")
    assert "sum of the three femicide types" in text
    # No column or row of the type; the breakdown by relationship group lists every group,
    # empty ones as zeros, like any breakdown.
    lines = [line for line in text.splitlines() if "not known which" in line]
    assert len(lines) == 1 and lines[0].startswith(
        "| Partner or family member, not known which | 0 |"
    )
