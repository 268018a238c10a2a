"""Named national rule sets beside the UN one."""

import pandas as pd
import pytest

import femstat as fs

# Mexico's Federal Penal Code, art. 325, lists seven circumstances; a relationship of trust
# is one of them, so no relationship qualifies by itself.
MX = fs.RuleSet(
    name="MX_CPF_325",
    criteria=(
        "mx_sexual_violence",
        "mx_degrading_injuries",
        "mx_prior_violence",
        "mx_relationship",
        "mx_threats",
        "mx_incommunicado",
        "mx_body_exhibited",
    ),
    qualifying_groups={},
    type_column="femicide_type_mx",
    criteria_column="criteria_met_mx",
)


def frame():
    df = pd.DataFrame(
        {
            "victim_id": [1, 2, 3, 4],
            "year": 2022,
            "victim_sex": "female",
            "victim_age": 30,
            "relationship": ["current_partner", "stranger", "stranger", "unknown"],
            "sexual_violence": [False, True, False, None],
        }
    )
    clean, _ = fs.validate(df, report=True)
    mx = {name: [False, False, False, False] for name in MX.criteria}
    mx["mx_relationship"] = [True, False, False, False]
    mx["mx_body_exhibited"] = [False, False, True, None]
    for name, values in mx.items():
        clean[name] = pd.array(values, dtype="boolean")
    return clean


def test_un_and_national_counts_side_by_side():
    typed = fs.classify(frame(), rules=[fs.UN_2022, MX])
    assert typed["femicide_type"].tolist() == [
        "intimate_partner",
        "other_perpetrator",
        "undetermined",
        "undetermined",
    ]
    assert typed["femicide_type_mx"].tolist() == [
        "other_perpetrator",
        "not_femicide",
        "other_perpetrator",
        "undetermined",
    ]
    assert fs.criteria_met_names(typed["criteria_met_mx"].iloc[0], MX) == ["mx_relationship"]
    assert fs.criteria_met_names(typed["criteria_met"].iloc[1]) == ["sexual_violence"]


def test_national_criteria_must_be_nullable_booleans():
    df = frame()
    df["mx_threats"] = ["no"] * 4
    with pytest.raises(TypeError, match="mx_threats"):
        fs.classify(df, rules=MX)


def test_rule_set_checks_its_definition():
    with pytest.raises(ValueError, match="criteria"):
        fs.RuleSet(name="empty", criteria=())
    with pytest.raises(ValueError, match="cannot qualify"):
        fs.RuleSet(name="bad", criteria=("a",), qualifying_groups={"unknown": "family_member"})


def test_explain_names_the_deciding_rule():
    typed = fs.classify(frame())
    text = fs.explain(typed, 3)
    assert "undetermined" in text and "rule 5" in text
    assert "relationship unknown" in text
    assert "rule 2" in fs.explain(typed, 0)


def test_rule_sets_pickle_for_parallel_workers():
    import pickle

    for rules in (fs.UN_2022, MX):
        again = pickle.loads(pickle.dumps(rules))
        assert again == rules
        assert (again.table == rules.table).all()
