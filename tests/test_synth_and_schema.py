import json

import jsonschema
import pandas as pd

import femstat as fs
from femstat import codes as C


def test_same_seed_same_frame_and_different_seed_different_frame():
    a = fs.synth.generate(2000, seed=11)
    pd.testing.assert_frame_equal(a, fs.synth.generate(2000, seed=11))
    assert not a.equals(fs.synth.generate(2000, seed=12))


def test_synthetic_data_is_canonical_and_realistic():
    df = fs.synth.generate(200_000, seed=5)
    clean, report = fs.validate(df, report=True)
    assert report.coerced_columns == [] and report.added_columns == []
    assert report.warnings.empty
    female = (df["victim_sex"] == "female").mean()
    assert 0.18 < female < 0.22
    assert 0.25 < (df["relationship"] == "unknown").mean() < 0.4
    # partner_or_family_unspecified only behind its own parameter (test_partner_or_family).
    unspecified = "partner_or_family_unspecified"
    assert set(df["relationship"].unique()) == set(C.RELATIONSHIP.codes) - {unspecified}
    for name in C.CRITERIA:
        states = df[name].value_counts(dropna=False)
        assert len(states) == 3, f"{name} lacks a state: {states.to_dict()}"
    types = set(fs.classify(clean)["femicide_type"].astype(str))
    assert types == set(C.FEMICIDE_TYPES) - {unspecified}


def test_json_schema_accepts_valid_records_and_rejects_bad_codes():
    schema = fs.victim_json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    good = {
        "year": 2020,
        "victim_sex": "female",
        "victim_age": 31,
        "relationship": "former_partner",
        "prior_violence": None,
    }
    assert not list(validator.iter_errors(good))
    assert list(validator.iter_errors({**good, "victim_sex": "F"}))
    assert list(validator.iter_errors({k: v for k, v in good.items() if k != "relationship"}))
    no_year = {k: v for k, v in good.items() if k != "year"}
    assert list(validator.iter_errors(no_year))
    assert not list(validator.iter_errors({**no_year, "date": "2020-05-01"}))
    assert set(schema["properties"]["relationship"]["enum"]) == set(C.RELATIONSHIP.codes)
    json.dumps(schema)


def test_yaml_export_is_the_same_document():
    import yaml

    assert yaml.safe_load(fs.victim_yaml_schema()) == fs.victim_json_schema()


def test_codes_roll_up_and_invert():
    for code in C.RELATIONSHIP.codes:
        assert C.RELATIONSHIP_GROUP_OF[code] in C.RELATIONSHIP_GROUP.codes
        inverse = C.RELATIONSHIP_INVERSE[code]
        assert C.RELATIONSHIP_GROUP_OF[inverse] == C.RELATIONSHIP_GROUP_OF[code]
    assert C.RELATIONSHIP_INVERSE["parent"] == "child"
    assert C.RELATIONSHIP_INVERSE["child"] == "parent"


def test_unodc_labels_round_trip():
    groups = pd.Series(list(C.RELATIONSHIP_GROUP.codes), name="relationship_group")
    labels = C.to_unodc_labels(groups)
    assert C.from_unodc_labels(labels.astype(str), "relationship_group").tolist() == list(groups)
    fine = pd.Series(["former_partner", "sibling"], name="relationship")
    assert C.to_unodc_labels(fine).tolist() == [
        "Intimate partner or family member: Intimate partner",
        "Intimate partner or family member: Family member",
    ]
