"""fs.validate: coercion of common spellings, and a clear error for each kind of bad input."""

import ast

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import femstat as fs
from femstat import codes as C


def raw(n=4, **overrides):
    data = {
        "victim_id": list(range(n)),
        "year": [2020] * n,
        "victim_sex": ["F"] * n,
        "victim_age": [30] * n,
        "relationship": ["husband"] * n,
    }
    data.update(overrides)
    return pd.DataFrame(data)


def validate_quiet(df, **kwargs):
    clean, _ = fs.validate(df, report=True, **kwargs)
    return clean


class TestCoercion:
    def test_common_spellings_become_canonical_codes(self):
        df = raw(
            6,
            victim_sex=[" F", "female", "M", "Woman", "", None],
            relationship=["Husband", "ex-wife", "Intimate partner", "Stranger", "UNKNOWN", "son"],
            prior_violence=["yes", "No", 1, 0, "", "unknown"],
        )
        clean = validate_quiet(df)
        assert clean["victim_sex"].tolist() == [
            "female",
            "female",
            "male",
            "female",
            "unknown",
            "unknown",
        ]
        assert clean["relationship"].tolist() == [
            "current_partner",
            "former_partner",
            "intimate_partner",
            "stranger",
            "unknown",
            "child",
        ]
        assert clean["prior_violence"].tolist() == [True, False, True, False, pd.NA, pd.NA]

    def test_canonical_dtypes(self):
        clean = validate_quiet(raw())
        assert clean["victim_sex"].dtype == C.SEX.dtype
        assert clean["relationship"].dtype == C.RELATIONSHIP.dtype
        assert clean["victim_age"].dtype == "Int16"
        assert clean["year"].dtype == "Int16"
        for name in C.CRITERIA:
            assert clean[name].dtype == "boolean"

    def test_unodc_labels_are_read(self):
        df = raw(
            2,
            relationship=[
                "Perpetrator unknown to the victim",
                "Intimate partner or family member: Family member",
            ],
        )
        assert validate_quiet(df)["relationship"].tolist() == ["stranger", "family_member"]

    def test_missing_optional_columns_become_all_unknown(self):
        clean, report = fs.validate(raw(), report=True)
        assert clean["mechanism"].eq("unknown").all()
        assert clean["hate_crime"].isna().all()
        assert clean["perpetrator_age"].isna().all()
        assert "mechanism" in report.added_columns
        assert "hate_crime" in report.added_columns

    def test_year_is_derived_from_date(self):
        df = raw(2).drop(columns="year").assign(date=["2019-12-31", "2020-01-01"])
        clean = validate_quiet(df)
        assert clean["year"].tolist() == [2019, 2020]

    def test_float_ages_from_a_column_with_gaps(self):
        clean = validate_quiet(raw(3, victim_age=[0.0, np.nan, 41.0]))
        assert clean["victim_age"].tolist() == [0, pd.NA, 41]

    def test_iccs_code_spellings_are_trimmed_and_unicode_normalised(self):
        clean = validate_quiet(raw(4, iccs_code=[" 0101", "０１０２", "0103\u00a0", "01011"]))
        assert clean["iccs_code"].tolist() == ["0101", "0102", "0103", "01011"]

    def test_iccs_code_that_lost_its_zero_is_not_repaired(self):
        with pytest.raises(fs.ValidationError) as info:
            fs.validate(raw(2, iccs_code=["101", "0102"]))
        case = info.value.failure_cases.iloc[0]
        assert (case["column"], case["value"], case["rows"]) == ("iccs_code", "101", [0])
        assert "leading zero" in case["check"]

    def test_canonical_input_is_not_copied(self):
        df = fs.synth.generate(1000, seed=3)
        clean = validate_quiet(df)
        assert np.shares_memory(clean["victim_age"].array._data, df["victim_age"].array._data)
        assert np.shares_memory(clean["relationship"].array.codes, df["relationship"].array.codes)

    def test_input_frame_is_not_modified(self):
        df = raw()
        before = df.copy()
        validate_quiet(df)
        pd.testing.assert_frame_equal(df, before)

    def test_mapping_for_numeric_sentinels(self):
        df = raw(3, victim_age=[25, 999, 40], victim_sex=["1", "2", "9"])
        mapping = {
            "columns": {
                "victim_sex": {"codes": {"1": "male", "2": "female"}, "unknown": ["9"]},
                "victim_age": {"unknown": [999]},
            }
        }
        clean = validate_quiet(df, mapping=mapping)
        assert clean["victim_sex"].tolist() == ["male", "female", "unknown"]
        assert clean["victim_age"].tolist() == [25, pd.NA, 40]


class TestBadInput:
    def test_unmappable_code_names_column_value_count_and_rows(self):
        df = raw(5, relationship=["husband", "lover?", "lover?", "stranger", "boss"])
        with pytest.raises(fs.ValidationError) as info:
            fs.validate(df)
        cases = info.value.failure_cases
        lover = cases[cases["value"] == "lover?"].iloc[0]
        assert lover["column"] == "relationship"
        assert lover["n_rows"] == 2
        assert lover["rows"] == [1, 2]
        assert set(cases["value"]) == {"lover?", "boss"}
        message = str(info.value)
        assert "'relationship'" in message and "'lover?'" in message
        assert "What to do" in message
        assert isinstance(info.value, ValueError)

    def test_unmapped_value_never_becomes_unknown(self):
        with pytest.raises(fs.ValidationError):
            fs.validate(raw(2, victim_sex=["F", "X"]))

    def test_numeric_sentinel_is_not_guessed(self):
        with pytest.raises(fs.ValidationError, match="prior_violence"):
            fs.validate(raw(2, prior_violence=[1, 9]))

    def test_wrong_type(self):
        with pytest.raises(fs.ValidationError) as info:
            fs.validate(raw(3, victim_age=["thirty", "31", "n/a"]))
        case = info.value.failure_cases.iloc[0]
        assert (case["column"], case["check"], case["value"]) == ("victim_age", "numeric", "thirty")

    def test_not_a_dataframe(self):
        with pytest.raises(TypeError, match="pandas DataFrame"):
            fs.validate([{"victim_sex": "female"}])

    def test_duplicate_id(self):
        with pytest.raises(fs.ValidationError) as info:
            fs.validate(raw(4, victim_id=[7, 8, 7, 9]))
        case = info.value.failure_cases.iloc[0]
        assert (case["column"], case["check"], case["n_rows"], case["rows"]) == (
            "victim_id",
            "unique",
            2,
            [0, 2],
        )

    def test_duplicate_string_ids(self):
        with pytest.raises(fs.ValidationError, match="unique"):
            fs.validate(raw(3, victim_id=["a", "b", "a"]))

    @pytest.mark.parametrize("column", ["victim_sex", "victim_age", "relationship"])
    def test_missing_required_column(self, column):
        with pytest.raises(fs.ValidationError) as info:
            fs.validate(raw().drop(columns=column))
        assert info.value.failure_cases["check"].tolist() == ["column_present"]
        assert column in str(info.value)

    def test_missing_year_and_date(self):
        with pytest.raises(fs.ValidationError, match="year"):
            fs.validate(raw().drop(columns="year"))

    def test_negative_age(self):
        with pytest.raises(fs.ValidationError) as info:
            fs.validate(raw(3, victim_age=[-1, 20, -1]))
        case = info.value.failure_cases.iloc[0]
        assert (case["check"], case["value"], case["n_rows"]) == ("in 0-120", -1, 2)

    def test_fractional_age(self):
        with pytest.raises(fs.ValidationError, match="whole years"):
            fs.validate(raw(2, victim_age=[0.5, 20]))

    def test_age_over_120_is_an_error(self):
        with pytest.raises(fs.ValidationError) as info:
            fs.validate(raw(4, victim_age=[20, 130, 999, 999]))
        cases = info.value.failure_cases.set_index("value")
        assert cases.loc[130, "check"] == "in 0-120"
        assert cases.loc[999, "rows"] == [2, 3]
        assert "whole years in 0-120" in info.value.hint

    def test_empty_frame(self):
        with pytest.raises(fs.ValidationError, match="0 rows"):
            fs.validate(raw(0))

    def test_missing_year_value(self):
        with pytest.raises(fs.ValidationError, match="year"):
            fs.validate(raw(2, year=[2020, None]))

    def test_unparsable_date(self):
        df = raw(2).drop(columns="year").assign(date=["2020-01-05", "someday"])
        with pytest.raises(fs.ValidationError, match="date"):
            fs.validate(df)

    def test_free_text_is_never_echoed(self):
        secret = "She was found by her neighbour Maria Lopez at 5 Calle Real"
        df = raw(2, narrative=[secret, secret], relationship=["husband", secret])
        with pytest.raises(fs.ValidationError) as info:
            fs.validate(df)
        assert "Maria Lopez" not in str(info.value)
        assert "Maria Lopez" not in info.value.failure_cases.to_string()

    def test_failure_cases_are_capped(self):
        df = raw(300, relationship=[f"code{i}" for i in range(300)])
        with pytest.raises(fs.ValidationError) as info:
            fs.validate(df, max_failure_cases=20)
        assert len(info.value.failure_cases) == 20
        assert "truncated" in str(info.value)

    def test_lazy_false_stops_at_the_first_bad_column(self):
        df = raw(2, victim_sex=["F", "Z"], relationship=["x", "y"])
        with pytest.raises(fs.ValidationError) as lazy:
            fs.validate(df)
        with pytest.raises(fs.ValidationError) as eager:
            fs.validate(df, lazy=False)
        assert set(lazy.value.failure_cases["column"]) == {"victim_sex", "relationship"}
        assert set(eager.value.failure_cases["column"]) == {"victim_sex"}


class TestSoftChecks:
    def test_stranger_with_prior_violence(self):
        df = raw(2, relationship=["stranger", "stranger"], prior_violence=[True, False])
        clean, report = fs.validate(df, report=True)
        row = report.warnings.set_index("check").loc["stranger_with_prior_violence"]
        assert row["rows"] == [0]
        assert fs.classify(clean)["femicide_type"].tolist()[0] == "other_perpetrator"

    def test_partner_spelling_contradicting_perpetrator_sex(self):
        df = raw(
            3,
            relationship=["husband", "wife", "husband"],
            perpetrator_sex=["female", "female", "male"],
        )
        _, report = fs.validate(df, report=True)
        row = report.warnings.set_index("check").loc["relationship_contradicts_sex"]
        assert row["rows"] == [0]

    def test_clean_data_has_no_warnings(self):
        _, report = fs.validate(raw(), report=True)
        assert report.warnings.empty
        assert "no data-quality warnings" in str(report)


class TestPerpetrators:
    victims = pd.DataFrame(
        {
            "victim_id": ["v1", "v2", "v3", "v4"],
            "year": 2021,
            "victim_sex": "female",
            "victim_age": 30,
            "relationship": "unknown",
        }
    )

    def test_fold_by_the_multiple_perpetrator_rule(self):
        perps = pd.DataFrame(
            {
                "victim_id": ["v1", "v1", "v2", "v2", "v3", "v3"],
                "relationship": [
                    "stranger",
                    "former_partner",
                    "stranger",
                    "unknown",
                    "friend_or_acquaintance",
                    "stranger",
                ],
                "perpetrator_sex": ["male", "female", "male", "male", "male", "female"],
                "prior_violence": [True, None, False, None, False, False],
            }
        )
        clean, _ = fs.validate(self.victims, perpetrators=perps, report=True)
        by_id = clean.set_index("victim_id")
        assert by_id["relationship"].tolist() == [
            "former_partner",
            "unknown",
            "friend_or_acquaintance",
            "unknown",
        ]
        assert by_id["perpetrator_sex"].tolist() == ["female", "male", "male", "unknown"]
        assert by_id["prior_violence"].tolist() == [True, pd.NA, False, pd.NA]
        assert by_id["n_perpetrators"].tolist() == [2, 2, 2, 0]
        types = fs.classify(clean).set_index("victim_id")["femicide_type"].tolist()
        assert types == ["intimate_partner", "undetermined", "undetermined", "undetermined"]

    def test_perpetrator_of_unknown_victim(self):
        perps = pd.DataFrame({"victim_id": ["v9"], "relationship": ["stranger"]})
        with pytest.raises(fs.ValidationError, match="exists in victim table"):
            fs.validate(self.victims, perpetrators=perps)


perpetrator_rows = st.lists(
    st.tuples(
        st.integers(0, 5),
        st.sampled_from(list(C.RELATIONSHIP.codes)),
        st.sampled_from([True, False, None]),
    ),
    min_size=1,
    max_size=25,
)


@given(perpetrator_rows, st.randoms(use_true_random=False))
def test_fold_follows_the_rule_whatever_the_order_of_perpetrators(rows, random):
    victims = pd.DataFrame(
        {
            "victim_id": range(6),
            "year": 2020,
            "victim_sex": "female",
            "victim_age": 40,
            "relationship": "unknown",
        }
    )
    perps = pd.DataFrame(rows, columns=["victim_id", "relationship", "prior_violence"])
    perps["prior_violence"] = perps["prior_violence"].astype("boolean")
    folded = fs.validate(victims, perpetrators=perps, report=True)[0]
    shuffled = perps.sample(frac=1, random_state=random.randint(0, 10_000))
    again = fs.validate(victims, perpetrators=shuffled, report=True)[0]
    pd.testing.assert_frame_equal(folded, again)

    rank = {g: i for i, g in enumerate(C.RELATIONSHIP_CLOSENESS)}
    for vid, group in perps.groupby("victim_id"):
        row = folded.set_index("victim_id").loc[vid]
        groups = [C.RELATIONSHIP_GROUP_OF[r] for r in group["relationship"]]
        assert C.RELATIONSHIP_GROUP_OF[row["relationship"]] == min(groups, key=rank.get)
        pv = group["prior_violence"]
        if pv.eq(True).any():
            assert row["prior_violence"] == True  # noqa: E712 (numpy and pandas scalars)
        elif pv.isna().any():
            assert row["prior_violence"] is pd.NA
        else:
            assert row["prior_violence"] == False  # noqa: E712
        assert row["n_perpetrators"] == len(group)


def test_the_hint_in_the_error_message_works_as_written():
    df = raw(3, victim_sex=["F", "M", "X"])
    with pytest.raises(fs.ValidationError) as info:
        fs.validate(df)
    hint = str(info.value).split("e.g. ")[1].split("; see e.failure_cases")[0]
    mapping = ast.literal_eval(hint.removeprefix("mapping="))
    clean = validate_quiet(df, mapping=mapping)
    assert clean["victim_sex"].tolist() == ["female", "male", "unknown"]
