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
        with pytest.raises(fs.ValidationError, match="0 rows") as info:
            fs.validate(raw(0))
        assert "at least one record" in info.value.hint

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


def failure(exc_info, column):
    """The failure cases of one column, as records."""
    cases = exc_info.value.failure_cases
    return cases[cases["column"] == column].to_dict("records")


class TestAgesAndYearsAreNeverWrapped:
    @pytest.mark.parametrize(
        ("values", "bad"),
        [
            (np.array([-65506, 30], dtype=np.int64), -65506),  # wrapped to 30 by an int16 cast
            (np.array([65566, 30], dtype=np.int64), 65566),
            ([-np.inf, 30.0], -np.inf),  # became 0
            ([np.inf, 30.0], np.inf),
            ([30.5, 30.0], 30.5),  # truncated to 30
            ([-1, 30], -1),
            ([121, 30], 121),
            (np.array([2**64 - 1, 30], dtype=np.uint64), 2**64 - 1),
            ([10**30, 30], 10**30),
            (["-5", "30"], "-5"),
            (["30.5", "30"], "30.5"),
            (["inf", "30"], "inf"),
            (["-nan", "30"], "-nan"),
            (["1e2", "30"], "1e2"),
            ([True, 30], True),
            (pd.array([121, 30], dtype="Int16"), 121),
        ],
    )
    @pytest.mark.parametrize("column", ["victim_age", "perpetrator_age"])
    def test_a_value_that_is_not_a_whole_age_is_an_error(self, values, bad, column):
        with pytest.raises(fs.ValidationError) as info:
            fs.validate(raw(2, **{column: values}))
        cases = failure(info, column)
        assert len(cases) == 1
        assert cases[0]["value"] == bad
        assert (cases[0]["n_rows"], cases[0]["rows"]) == (1, [0])
        assert column in str(info.value)

    def test_whole_numbers_in_any_form_are_ages(self):
        df = raw(
            6,
            victim_age=[30.0, "41", " ４２ ", "unknown", None, np.nan],
            perpetrator_age=np.array([0, 120, 7, 8, 9, 10], dtype=np.int64),
        )
        clean = validate_quiet(df)
        assert clean["victim_age"].tolist() == [30, 41, 42, pd.NA, pd.NA, pd.NA]
        assert clean["perpetrator_age"].tolist() == [0, 120, 7, 8, 9, 10]

    @pytest.mark.parametrize(
        ("values", "bad"),
        [
            ([2023.5, 2023.0], 2023.5),
            (np.array([2**16 + 2020, 2020]), 2**16 + 2020),
            ([np.inf, 2020.0], np.inf),
            (["2023.5", "2020"], "2023.5"),
            ([True, 2020], True),
        ],
    )
    def test_a_year_is_never_truncated_or_wrapped(self, values, bad):
        with pytest.raises(fs.ValidationError) as info:
            fs.validate(raw(2, year=values))
        assert [c["value"] for c in failure(info, "year")] == [bad]

    def test_whole_years_as_floats_or_text(self):
        assert validate_quiet(raw(3, year=[2023.0, "2022", 2021]))["year"].tolist() == [
            2023,
            2022,
            2021,
        ]


class TestDates:
    def test_yyyymmdd_integers_and_text_are_dates(self):
        df = raw(4, date=[20230105, "20221231", 20200229.0, "2021-07-04"]).drop(columns="year")
        clean = validate_quiet(df)
        assert clean["date"].dt.strftime("%Y-%m-%d").tolist() == [
            "2023-01-05",
            "2022-12-31",
            "2020-02-29",
            "2021-07-04",
        ]
        assert clean["year"].tolist() == [2023, 2022, 2020, 2021]

    def test_epoch_nanoseconds_never_become_1970(self):
        epoch = pd.Timestamp("2023-01-05").value  # what pandas would read as 1970 + ns
        df = raw(2, date=[epoch, 20230105]).drop(columns="year")
        with pytest.raises(fs.ValidationError) as info:
            fs.validate(df)
        [case] = failure(info, "date")
        assert case["value"] == epoch and case["rows"] == [0]
        assert "YYYYMMDD" in case["check"]

    @pytest.mark.parametrize(
        "bad", ["05/01/2023", "someday", "2023-02-30", 20231301, 2023, True, b"2023-01-05"]
    )
    def test_anything_else_is_refused(self, bad):
        df = raw(2, date=[bad, "2023-01-05"]).drop(columns="year")
        with pytest.raises(fs.ValidationError) as info:
            fs.validate(df)
        assert [c["rows"] for c in failure(info, "date")] == [[0]]

    def test_dates_of_every_python_kind(self):
        import datetime

        df = raw(
            3,
            date=[
                datetime.date(2020, 1, 2),
                datetime.datetime(2021, 3, 4, 5, 6),
                np.datetime64("2022-05-06"),
            ],
        ).drop(columns="year")
        assert validate_quiet(df)["year"].tolist() == [2020, 2021, 2022]

    def test_a_date_before_1900_or_after_today_is_a_warning(self):
        future = (pd.Timestamp.today() + pd.Timedelta(days=400)).strftime("%Y-%m-%d")
        df = raw(3, date=["1850-06-01", future, "2020-01-01"]).drop(columns="year")
        clean, report = fs.validate(df, report=True)
        checks = report.warnings.set_index("check")
        assert checks.loc["date_before_1900", "rows"] == [0]
        assert checks.loc["date_after_today", "rows"] == [1]
        assert clean["year"].tolist()[0] == 1850  # kept: a warning, not an error
        with pytest.warns(fs.DataQualityWarning, match="date after today"):
            fs.validate(df)

    def test_a_year_after_this_one_is_a_warning(self):
        _, report = fs.validate(raw(2, year=[pd.Timestamp.today().year + 1, 2020]), report=True)
        assert report.warnings.set_index("check").loc["year_after_this_year", "rows"] == [0]


class TestIccsCodes:
    @pytest.mark.parametrize("bad", ["1011", "10111", "101", "0101x", "01", "9901", "unknown"])
    def test_a_text_that_is_no_iccs_code_is_an_error(self, bad):
        with pytest.raises(fs.ValidationError) as info:
            fs.validate(raw(2, iccs_code=[bad, "0101"]))
        [case] = failure(info, "iccs_code")
        assert (case["value"], case["rows"]) == (bad, [0])

    def test_a_lost_leading_zero_is_named(self):
        with pytest.raises(fs.ValidationError) as info:
            fs.validate(raw(2, iccs_code=["1011", "0101"]))
        assert "leading zero" in failure(info, "iccs_code")[0]["check"]
        assert "dtype={'iccs_code': str}" in info.value.hint

    @pytest.mark.parametrize(
        "column",
        [
            pd.Categorical([101, 102]),
            pd.Series([101, 102]),
            pd.Series([101.0, 102.0]),
            pd.Series([101, "0102"], dtype=object),
        ],
        ids=["categorical of integers", "integers", "floats", "mixed"],
    )
    def test_numbers_are_refused_because_the_zero_is_gone(self, column):
        with pytest.raises(fs.ValidationError) as info:
            fs.validate(raw(2, iccs_code=column))
        case = failure(info, "iccs_code")[0]
        assert case["rows"] == [0]
        assert "not a number" in case["check"]

    def test_female_victims_are_not_put_out_of_scope_by_a_bad_code(self):
        df = raw(2, iccs_code=["10111", "0101"])
        with pytest.raises(fs.ValidationError):
            fs.classify(df)

    def test_full_width_digits_and_spaces_are_the_same_code(self):
        clean = validate_quiet(raw(3, iccs_code=["０１０１", "\t0101 ", "0102"]))
        assert clean["iccs_code"].tolist() == ["0101", "0101", "0102"]
        assert list(clean["iccs_code"].cat.categories) == ["0101", "0102"]

    def test_absent_iccs_code_is_stated_in_the_report(self):
        _, report = fs.validate(raw(2), report=True)
        assert any("ICCS 0101" in a for a in report.assumptions)
        assert "every record is taken as ICCS 0101" in str(report)
        _, with_codes = fs.validate(raw(2, iccs_code=["0101", "0102"]), report=True)
        assert with_codes.assumptions == []

    def test_absent_iccs_code_is_stated_by_the_command(self, tmp_path):
        from typer.testing import CliRunner

        from femstat.cli import app

        path = tmp_path / "victims.csv"
        raw(3).to_csv(path, index=False)
        result = CliRunner().invoke(app, ["validate", str(path)])
        assert result.exit_code == 0, result.output
        assert "every record is taken as ICCS 0101" in " ".join(result.output.split())


class TestFreeBreakdownColumns:
    def test_text_is_trimmed_and_empty_is_missing(self):
        clean = validate_quiet(raw(5, area=[" North", "North ", "", "   ", None]))
        assert clean["area"].tolist()[:2] == ["North", "North"]
        assert clean["area"].isna().tolist() == [False, False, True, True, True]

    def test_numbers_never_become_one_point_zero(self):
        clean = validate_quiet(raw(4, area=[1.0, 2.5, np.nan, 10.0]))
        assert clean["area"].tolist()[:2] == ["1", "2.5"]
        assert clean["area"].tolist()[3] == "10"
        assert pd.isna(clean["area"].tolist()[2])
        ints = validate_quiet(raw(2, area=np.array([1, 2])))
        assert ints["area"].tolist() == ["1", "2"]
        mixed = validate_quiet(raw(3, area=pd.Series([1, "1", 1.0], dtype=object)))
        assert mixed["area"].tolist() == ["1", "1", "1"]

    def test_missing_area_is_not_counted_as_a_made_up_level(self):
        clean = validate_quiet(raw(2, area=["North", None]))
        assert "unknown" not in list(clean["area"].cat.categories)
        with pytest.raises(Exception, match="missing"):
            fs.counts(fs.classify(clean), ["area"])

    @pytest.mark.parametrize("bad", [True, np.inf, b"North"])
    def test_values_that_are_neither_text_nor_numbers_are_refused(self, bad):
        with pytest.raises(fs.ValidationError) as info:
            fs.validate(raw(2, area=pd.Series([bad, "North"], dtype=object)))
        assert failure(info, "area")[0]["rows"] == [0]


class TestFrameShape:
    @pytest.mark.parametrize(
        "thing",
        [{"victim_sex": ["F"]}, pd.Series(["F"]), [["F"]], np.array([[1]]), None],
        ids=["dict", "Series", "list", "ndarray", "None"],
    )
    @pytest.mark.parametrize("function", [fs.validate, fs.classify])
    def test_not_a_frame(self, thing, function):
        with pytest.raises(fs.FemstatError) as info:
            function(thing)
        assert isinstance(info.value, TypeError)
        assert "pandas DataFrame" in str(info.value)
        assert type(thing).__name__ in str(info.value)

    def test_perpetrators_not_a_frame(self):
        with pytest.raises(TypeError, match="perpetrators must be a pandas DataFrame"):
            fs.validate(raw(2), perpetrators={"victim_id": [0]})

    @pytest.mark.parametrize("function", [fs.validate, fs.classify])
    def test_duplicate_column_names(self, function):
        df = pd.concat([raw(2), raw(2)[["victim_sex"]]], axis=1)
        with pytest.raises(fs.ValidationError) as info:
            function(df)
        case = info.value.failure_cases.iloc[0]
        assert case["column"] == "victim_sex" and "unique column name" in case["check"]

    @pytest.mark.parametrize("function", [fs.validate, fs.classify])
    def test_multiindex_columns(self, function):
        df = raw(2)
        df.columns = pd.MultiIndex.from_tuples([(c, "x") for c in df.columns])
        with pytest.raises(fs.ValidationError, match="MultiIndex"):
            function(df)

    @pytest.mark.parametrize("cell", [["F"], {"sex": "F"}, {"F"}, np.array([1, 2])])
    @pytest.mark.parametrize("column", ["victim_sex", "victim_age", "prior_violence", "area"])
    def test_container_cells(self, cell, column):
        values = pd.Series([cell, None, cell], dtype=object)
        with pytest.raises(fs.ValidationError) as info:
            fs.validate(raw(3, **{column: values}))
        [case] = failure(info, column)
        assert case["rows"] == [0, 2]
        assert "one value per cell" in case["check"]

    def test_container_ids(self):
        with pytest.raises(fs.ValidationError) as info:
            fs.validate(raw(2, victim_id=pd.Series([{"a": 1}, 2], dtype=object)))
        assert failure(info, "victim_id")[0]["rows"] == [0]


def test_a_missing_age_is_not_judged_by_the_value_under_its_mask() -> None:
    # The fast path reads Int16 values in place, the slots of missing ones included.
    ages = pd.array([30, None, 40], dtype="Int16")
    ages._data[1] = -5  # what a missing slot holds is arbitrary
    frame = pd.DataFrame(
        {
            "year": [2023] * 3,
            "victim_sex": ["female"] * 3,
            "victim_age": ages,
            "relationship": ["stranger"] * 3,
        }
    )
    assert fs.validate(frame)["victim_age"].tolist() == [30, pd.NA, 40]
    frame["victim_age"] = pd.array([30, 200, 40], dtype="Int16")
    with pytest.raises(fs.ValidationError, match="value 200 in 1 row"):
        fs.validate(frame)
