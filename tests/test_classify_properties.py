"""Invariants of the classifier, for any valid microdata (hypothesis)."""

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

import femstat as fs
from femstat import codes as C
from femstat.testing import victims

PARTNER_OR_FAMILY = {"intimate_partner", "family_member"}


@given(victims(min_size=1), st.randoms(use_true_random=False))
def test_row_order_never_changes_a_records_type(df, random):
    typed = fs.classify(df).set_index("victim_id")["femicide_type"]
    order = list(range(len(df)))
    random.shuffle(order)
    shuffled = fs.classify(df.iloc[order]).set_index("victim_id")["femicide_type"]
    pd.testing.assert_series_equal(typed.sort_index(), shuffled.sort_index())


@given(victims(min_size=1))
def test_out_of_scope_records(df):
    typed = fs.classify(df)
    outside = (typed["victim_sex"] != "female") | ~typed["iccs_code"].astype(str).str.startswith(
        "0101"
    )
    assert (typed.loc[outside, "femicide_type"] == "out_of_scope").all()
    assert (typed.loc[~outside, "femicide_type"] != "out_of_scope").all()


@given(victims(min_size=1), st.data())
def test_partner_and_family_types_never_depend_on_the_criteria(df, data):
    typed = fs.classify(df)
    changed = df.copy()
    for name in C.CRITERIA:
        if name in changed.columns:
            values = data.draw(
                st.lists(st.sampled_from([True, False, None]), min_size=len(df), max_size=len(df))
            )
            changed[name] = pd.array(values, dtype="boolean")
    retyped = fs.classify(changed)
    was = typed["femicide_type"].isin(PARTNER_OR_FAMILY)
    pd.testing.assert_series_equal(
        typed.loc[was, "femicide_type"], retyped.loc[was, "femicide_type"]
    )


@given(victims(min_size=1, drop_criteria=False), st.sampled_from(C.CRITERIA), st.data())
def test_unknown_to_true_only_moves_undetermined_to_other_perpetrator(df, criterion, data):
    unknown = df[criterion].isna().to_numpy()
    flip = unknown & np.array(
        data.draw(st.lists(st.booleans(), min_size=len(df), max_size=len(df)))
    )
    changed = df.copy()
    values = changed[criterion].array.copy()
    values[flip] = True
    changed[criterion] = values
    before = fs.classify(df)["femicide_type"].astype(str).to_numpy()
    after = fs.classify(changed)["femicide_type"].astype(str).to_numpy()
    moved = before != after
    assert set(before[moved]) <= {"undetermined"}
    assert set(after[moved]) <= {"other_perpetrator"}
    assert not (moved & ~flip).any()


@given(victims(min_size=1, drop_criteria=False), st.sampled_from(C.CRITERIA))
def test_missing_criterion_column_equals_all_unknown(df, criterion):
    absent = fs.classify(df.drop(columns=criterion))
    unknown = df.copy()
    unknown[criterion] = pd.array([None] * len(df), dtype="boolean")
    pd.testing.assert_series_equal(absent["femicide_type"], fs.classify(unknown)["femicide_type"])


@given(victims(min_size=1))
def test_adding_male_records_never_changes_female_types(df):
    typed = fs.classify(df)
    males = df.assign(
        victim_sex=pd.Categorical(["male"] * len(df), dtype=C.SEX.dtype),
        victim_id=df["victim_id"] + len(df),
    )
    both = fs.classify(pd.concat([df, males], ignore_index=True))
    pd.testing.assert_series_equal(
        typed["femicide_type"].reset_index(drop=True),
        both["femicide_type"].iloc[: len(df)].reset_index(drop=True),
    )
    assert (both["femicide_type"].iloc[len(df) :] == "out_of_scope").all()
