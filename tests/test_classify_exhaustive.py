"""The classifier against the framework's decision procedure, over every input it reads.

Every relationship code x every combination of the eight criteria in three states
(true, false, unknown) x every scope case. The reference below is written from
framework.md section 2 in plain Python, record by record, independently of the
tabulated rule in femstat.classify.
"""

import itertools

import numpy as np
import pandas as pd
import pytest

import femstat as fs
from femstat import codes as C

PARTNER = {"intimate_partner", "current_partner", "former_partner"}
FAMILY = {
    "family_member",
    "parent",
    "child",
    "sibling",
    "other_blood_relative",
    "relative_by_marriage",
    "other_household_member",
}


def reference_type(sex, iccs, relationship, criteria):
    """Framework section 2, rule by rule."""
    in_scope = sex == "female" and (iccs is None or iccs.startswith("0101"))
    if not in_scope:
        return "out_of_scope"
    if relationship in PARTNER:
        return "intimate_partner"
    if relationship in FAMILY:
        return "family_member"
    if relationship == "partner_or_family_unspecified":
        # UN_2022 qualifies both partner and family: either way a femicide.
        return "partner_or_family_unspecified"
    if any(v is True for v in criteria):
        return "other_perpetrator"
    if relationship == "unknown" or any(v is None for v in criteria):
        return "undetermined"
    return "not_femicide"


STATES = (True, False, None)
COMBINATIONS = list(itertools.product(STATES, repeat=len(C.CRITERIA)))
SCOPE_CASES = [
    ("female", "0101"),
    ("female", "01011"),
    ("female", "0102"),
    ("female", "0103"),
    ("male", "0101"),
    ("unknown", "0101"),
]


def build(sex, iccs):
    n_rel = len(C.RELATIONSHIP.codes)
    n_comb = len(COMBINATIONS)
    rel = np.repeat(np.array(C.RELATIONSHIP.codes, dtype=object), n_comb)
    crit = np.array(COMBINATIONS, dtype=object)
    crit = np.tile(crit, (n_rel, 1))
    data = {
        "year": 2020,
        "victim_sex": sex,
        "victim_age": 30,
        "relationship": rel,
    }
    if iccs is not None:
        data["iccs_code"] = iccs
    for i, name in enumerate(C.CRITERIA):
        data[name] = pd.array(list(crit[:, i]), dtype="boolean")
    return pd.DataFrame(data)


@pytest.mark.parametrize(("sex", "iccs"), [*SCOPE_CASES, ("female", None), ("male", None)])
def test_every_relationship_and_criteria_combination(sex, iccs):
    df = fs.validate(build(sex, iccs), report=True)[0]
    typed = fs.classify(df)
    got = typed["femicide_type"].astype(str).to_numpy()
    expected = np.array(
        [
            reference_type(sex, iccs, rel, combo)
            for rel in C.RELATIONSHIP.codes
            for combo in COMBINATIONS
        ]
    )
    mismatched = np.flatnonzero(got != expected)
    assert mismatched.size == 0, (
        f"{mismatched.size} records differ; first: {typed.iloc[mismatched[0]].to_dict()}, "
        f"expected {expected[mismatched[0]]}"
    )
    # criteria_met carries exactly the true criteria, bit by bit
    crit = np.tile(np.array(COMBINATIONS, dtype=object), (len(C.RELATIONSHIP.codes), 1))
    is_true = np.vectorize(lambda v: v is True, otypes=[bool])(crit)
    expected_mask = sum(is_true[:, i].astype(np.int64) << i for i in range(len(C.CRITERIA)))
    np.testing.assert_array_equal(typed["criteria_met"].to_numpy().astype(np.int64), expected_mask)


def test_every_type_is_reached():
    df = fs.validate(build("female", "0101"), report=True)[0]
    types = set(fs.classify(df)["femicide_type"].astype(str))
    assert types == set(C.FEMICIDE_TYPES) - {"out_of_scope"}


@pytest.mark.parametrize("missing", C.CRITERIA)
def test_absent_criterion_column_means_unknown_for_every_record(missing):
    full = build("female", "0101")
    absent = fs.classify(fs.validate(full.drop(columns=missing), report=True)[0])
    unknown = full.copy()
    unknown[missing] = pd.array([None] * len(full), dtype="boolean")
    all_unknown = fs.classify(fs.validate(unknown, report=True)[0])
    pd.testing.assert_series_equal(absent["femicide_type"], all_unknown["femicide_type"])
