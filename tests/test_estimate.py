"""fs.estimate: estimates inside the logical range, reproducible, honest about its inputs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import femstat as fs
from femstat.errors import FemstatError
from femstat.estimates import ATTRS_KEY, ESTIMATE_ROWS, EstimateError, sensitivity

COVS = ["mechanism", "perpetrator_sex"]


@pytest.fixture(scope="module")
def typed() -> pd.DataFrame:
    return fs.classify(fs.synth.generate(6_000, seed=5, years=(2020, 2022)))


@pytest.fixture(scope="module")
def result(typed: pd.DataFrame) -> pd.DataFrame:
    return fs.estimate(typed, "year", m=10, seed=3, covariates=COVS)


def rows(table: pd.DataFrame, name: str) -> pd.DataFrame:
    return table[table["femicide_type"] == name].reset_index(drop=True)


def test_one_row_per_group_and_row(result):
    assert len(result) == 3 * len(ESTIMATE_ROWS)
    assert result.groupby("year", observed=True).size().tolist() == [len(ESTIMATE_ROWS)] * 3
    assert list(rows(result, "femicide")["year"].astype(int)) == [2020, 2021, 2022]


def test_estimates_and_limits_lie_in_the_logical_range(result):
    assert (result["bound_lower"] <= result["lower"] + 1e-9).all()
    assert (result["lower"] <= result["estimate"] + 1e-9).all()
    assert (result["estimate"] <= result["upper"] + 1e-9).all()
    assert (result["upper"] <= result["bound_upper"] + 1e-9).all()


def test_femicide_range_is_fs_bounds(typed, result):
    bounds = fs.bounds(typed, "year")
    femicide = rows(result, "femicide")
    np.testing.assert_array_equal(femicide["bound_lower"], bounds["lower"])
    np.testing.assert_array_equal(femicide["bound_upper"], bounds["upper"])
    # The estimate says more than the bounds: its interval is narrower.
    assert ((femicide["upper"] - femicide["lower"]) < bounds["upper"] - bounds["lower"]).all()


def test_observed_counts_are_fs_indicators_counts(typed, result):
    table = fs.indicators(typed, "year")
    for name in ESTIMATE_ROWS:
        want = table[table["femicide_type"] == name]["count"].to_numpy()
        np.testing.assert_array_equal(rows(result, name)["observed"], want, err_msg=name)


def test_totals_add_up_and_nothing_stays_undetermined(result):
    def col(name: str) -> np.ndarray:
        return rows(result, name)["estimate"].to_numpy()

    np.testing.assert_allclose(
        col("femicide"), col("intimate_partner") + col("family_member") + col("other_perpetrator")
    )
    np.testing.assert_allclose(
        col("partner_or_family"), col("intimate_partner") + col("family_member")
    )
    np.testing.assert_allclose(
        col("female_homicide"),
        col("intimate_partner")
        + col("family_member")
        + col("other_perpetrator")
        + col("not_femicide"),
    )
    np.testing.assert_array_equal(
        col("female_homicide"), rows(result, "female_homicide")["observed"]
    )
    assert (col("undetermined") == 0).all()
    # Imputation moves records between types only: out of scope and female homicide are fixed.
    for name in ("out_of_scope", "female_homicide"):
        r = rows(result, name)
        assert (r["lower"] == r["estimate"]).all() and (r["upper"] == r["estimate"]).all()


def test_same_seed_same_numbers_other_seed_other_numbers(typed, result):
    again = fs.estimate(typed, "year", m=10, seed=3, covariates=COVS)
    pd.testing.assert_frame_equal(again, result)
    other = fs.estimate(typed, "year", m=10, seed=4, covariates=COVS)
    assert not np.allclose(other["estimate"], result["estimate"])


def test_no_seed_records_the_seed_it_drew(typed):
    first = fs.estimate(typed, m=3, covariates=COVS)
    seed = first.attrs[ATTRS_KEY]["seed"]
    again = fs.estimate(typed, m=3, covariates=COVS, seed=seed)
    pd.testing.assert_frame_equal(first, again)


def test_attrs_describe_the_method(result):
    meta = result.attrs[ATTRS_KEY]
    assert meta["method"] == "impute" and meta["m"] == 10 and meta["seed"] == 3
    assert meta["level"] == 0.95 and meta["rule_set"] == "UN_2022"
    assert "missing at random" in meta["assumption"].lower()
    formula = meta["models"]["relationship_group"]["formula"]
    assert formula.startswith("relationship_group ~ mechanism + perpetrator_sex + year")
    assert set(meta["models"]) >= {"relationship_group", *fs.codes.CRITERIA}


def test_complete_data_gives_the_counts_without_uncertainty(typed):
    complete = typed.copy()
    unknown = complete["relationship"] == "unknown"
    complete.loc[unknown, "relationship"] = "stranger"
    for name in fs.codes.CRITERIA:
        complete[name] = complete[name].fillna(False)
    complete = fs.classify(complete)
    table = fs.estimate(complete, "year", m=5, seed=1, covariates=COVS)
    np.testing.assert_array_equal(table["estimate"], table["observed"])
    np.testing.assert_array_equal(table["lower"], table["observed"])
    np.testing.assert_array_equal(table["upper"], table["observed"])
    assert (table["fmi"].fillna(0) < 1e-3).all()
    assert table.attrs[ATTRS_KEY]["models"] == {}


def test_rates_add_poisson_variation(typed, result):
    population = fs.synth.population(years=(2020, 2022), areas=["R01"], total=2_000_000)
    population = population.drop(columns="area")
    table = fs.estimate(typed, "year", population, m=10, seed=3, covariates=COVS)
    femicide = rows(table, "femicide")
    pop = population["population"].to_numpy()
    np.testing.assert_allclose(femicide["rate"], femicide["estimate"] / pop * 100_000)
    count_width = (femicide["upper"] - femicide["lower"]) / pop * 100_000
    rate_width = femicide["rate_upper"] - femicide["rate_lower"]
    assert (rate_width > count_width).all()
    assert (femicide["rate_lower"] < femicide["rate"]).all()
    assert rows(table, "out_of_scope")["rate"].isna().all()
    # The same counts as without a population.
    pd.testing.assert_series_equal(table["estimate"], result["estimate"])


def test_more_imputations_do_not_move_the_estimate_much(typed):
    small = rows(fs.estimate(typed, m=5, seed=1, covariates=COVS), "partner_or_family")
    large = rows(fs.estimate(typed, m=40, seed=2, covariates=COVS), "partner_or_family")
    half = (large["upper"] - large["lower"]) / 2
    assert (abs(small["estimate"] - large["estimate"]) < half).all()


def test_allocate_shares_undetermined_among_the_types_they_could_be():
    typed = fs.classify(fs.synth.generate(3_000, seed=8, years=(2021, 2021)))
    table = fs.estimate(typed, method="allocate")
    female = typed[typed["femicide_type"] != "out_of_scope"]
    counts = female["femicide_type"].value_counts()
    # By hand: an undetermined record with a known relationship (other known, stranger)
    # can only be other_perpetrator or not_femicide; one with an unknown relationship can
    # be any of the four if a criterion is unknown, else partner, family or not femicide.
    undetermined = female[female["femicide_type"] == "undetermined"]
    criteria = undetermined[list(fs.codes.CRITERIA)]
    rel_unknown = (undetermined["relationship"] == "unknown").to_numpy()
    crit_unknown = criteria.isna().any(axis=1).to_numpy()
    classes = {
        ("other_perpetrator", "not_femicide"): (~rel_unknown).sum(),
        ("intimate_partner", "family_member", "other_perpetrator", "not_femicide"): (
            rel_unknown & crit_unknown
        ).sum(),
        ("intimate_partner", "family_member", "not_femicide"): (rel_unknown & ~crit_unknown).sum(),
    }
    assert sum(classes.values()) == len(undetermined) > 0
    for name in ("intimate_partner", "family_member", "other_perpetrator", "not_femicide"):
        want = counts[name] + sum(
            n * counts[name] / counts[list(types)].sum()
            for types, n in classes.items()
            if name in types
        )
        assert rows(table, name)["estimate"].item() == pytest.approx(want), name
    assert rows(table, "undetermined")["estimate"].item() == 0
    assert rows(table, "female_homicide")["estimate"].item() == counts.sum()
    meta = table.attrs[ATTRS_KEY]
    assert meta["method"] == "allocate" and "completely at random" in meta["assumption"]
    assert (table["lower"] <= table["estimate"]).all()
    assert (table["estimate"] <= table["upper"]).all()
    assert (table["estimate"] <= table["bound_upper"] + 1e-9).all()


def test_allocate_stratum_without_determined_records_borrows_its_groups_proportions():
    typed = fs.classify(fs.synth.generate(3_000, seed=9, years=(2021, 2022)))
    table = fs.estimate(typed, "year", method="allocate", covariates=["mechanism"])
    assert np.isfinite(table["estimate"]).all()
    np.testing.assert_allclose(
        rows(table, "female_homicide")["estimate"], rows(table, "female_homicide")["observed"]
    )


def test_sensitivity_moves_partner_or_family_and_finds_the_tipping_point(typed):
    base = rows(fs.estimate(typed, m=10, seed=2, covariates=COVS), "partner_or_family")
    threshold = float(base["share_lower"].item()) - 0.01  # just below: "above" at delta 0
    table = sensitivity(typed, threshold, deltas=[-3, -2, -1, 0, 1], m=10, seed=2, covariates=COVS)
    assert table["delta"].tolist() == [-3, -2, -1, 0, 1]
    assert table["estimate"].is_monotonic_increasing
    np.testing.assert_allclose(table["odds_ratio"], np.exp(table["delta"]))
    at_zero = table[table["delta"] == 0]
    assert at_zero["conclusion"].item() == "above"
    assert at_zero["estimate"].item() == pytest.approx(base["share"].item())
    tipping = table["tipping_delta"].iloc[0]
    assert tipping < 0
    assert table.loc[table["delta"] == tipping, "conclusion"].item() != "above"
    later = table[(table["delta"] > tipping) & (table["delta"] <= 0)]
    assert (later["conclusion"] == "above").all()


def test_sensitivity_without_a_change_has_no_tipping_point(typed):
    table = sensitivity(typed, 0.0, deltas=[-0.5, 0.5], m=5, seed=1, covariates=COVS)
    assert (table["conclusion"] == "above").all()
    assert table["tipping_delta"].isna().all()


# --- errors ------------------------------------------------------------------------------


def test_unclassified_data_is_refused_with_what_to_do():
    with pytest.raises(EstimateError, match=r"fs\.classify"):
        fs.estimate(fs.synth.generate(100, seed=1))


@pytest.mark.parametrize(
    ("kwargs", "error", "pattern"),
    [
        ({"method": "guess"}, ValueError, "method='guess'"),
        ({"m": 1}, ValueError, "m must be at least 2"),
        ({"m": 2.5}, TypeError, "m must be a whole number"),
        ({"m": True}, TypeError, "m must be a whole number"),
        ({"level": 95}, ValueError, "level must lie strictly between 0 and 1"),
        ({"level": "high"}, TypeError, "level must be a number"),
        ({"seed": -1}, TypeError, "seed must be None or a non-negative"),
        ({"delta": float("nan")}, ValueError, "delta must be a finite number"),
        ({"per": 0}, ValueError, "per must be a positive number"),
        ({"covariates": ["no_such_column"]}, ValueError, "covariate 'no_such_column'"),
        ({"covariates": 3}, TypeError, "covariates must be a column name"),
        ({"covariates": ["femicide_type"]}, ValueError, "leave it out"),
    ],
)
def test_bad_arguments_are_femstat_errors_naming_the_argument(typed, kwargs, error, pattern):
    with pytest.raises(FemstatError, match=pattern) as info:
        fs.estimate(typed, **{"m": 2, "seed": 1, "covariates": COVS, **kwargs})
    assert isinstance(info.value, error)


def test_identifying_columns_are_refused_and_never_echoed(typed):
    with pytest.raises(FemstatError, match="victim_id"):
        fs.estimate(typed, "victim_id", m=2, seed=1)
    with pytest.raises(EstimateError, match="identifies records") as info:
        fs.estimate(typed, m=2, seed=1, covariates=["victim_id"])
    assert "12345" not in str(info.value)


def test_a_free_text_covariate_is_refused_without_its_values(typed):
    notes = typed.assign(notes=[f"secret note {i}" for i in range(len(typed))])
    with pytest.raises(EstimateError, match="free text") as info:
        fs.estimate(notes, m=2, seed=1, covariates=["notes"])
    assert "secret" not in str(info.value)


def test_an_edited_type_column_is_refused(typed):
    edited = typed.copy()
    first = np.flatnonzero(edited["femicide_type"] == "undetermined")[0]
    edited.iloc[first, edited.columns.get_loc("femicide_type")] = "not_femicide"
    with pytest.raises(EstimateError, match="disagrees with rule set") as info:
        fs.estimate(edited, m=2, seed=1, covariates=COVS)
    assert f"rows [{first}]" in str(info.value)


def test_another_rule_sets_column_needs_that_rule_set(typed):
    national = fs.RuleSet("national", criteria=("prior_violence", "sexual_violence"))
    retyped = fs.classify(typed.drop(columns=["femicide_type", "criteria_met"]), rules=national)
    with pytest.raises(EstimateError, match="'national'"):
        fs.estimate(retyped, m=2, seed=1, covariates=COVS)
    table = fs.estimate(retyped, m=3, seed=1, covariates=COVS, rules=national)
    assert table.attrs[ATTRS_KEY]["rule_set"] == "national"
    assert set(table.attrs[ATTRS_KEY]["models"]) == {
        "relationship_group",
        "prior_violence",
        "sexual_violence",
    }


def test_an_absent_criterion_cannot_be_imputed(typed):
    dropped = typed.drop(columns="hate_crime")
    dropped = fs.classify(dropped.drop(columns=["femicide_type", "criteria_met"]))
    with pytest.raises(EstimateError, match="'hate_crime' is absent"):
        fs.estimate(dropped, m=2, seed=1, covariates=COVS)


def test_nothing_known_to_impute_from():
    frame = fs.synth.generate(200, seed=2, female_share=1.0)
    frame["relationship"] = pd.Categorical(
        ["unknown"] * len(frame), dtype=fs.codes.RELATIONSHIP.dtype
    )
    with pytest.raises(EstimateError, match="no female homicide victim has a known relationship"):
        fs.estimate(fs.classify(frame), m=2, seed=1, covariates=COVS)


def test_sensitivity_arguments_are_checked(typed):
    with pytest.raises(EstimateError, match="target="):
        sensitivity(typed, 0.5, target="out_of_scope")
    with pytest.raises(EstimateError, match="needs population"):
        sensitivity(typed, 0.5, measure="rate")
    with pytest.raises(EstimateError, match="deltas must be"):
        sensitivity(typed, 0.5, deltas=[])
    with pytest.raises(EstimateError, match="threshold must be a finite number"):
        sensitivity(typed, float("inf"))


# --- properties on small random data --------------------------------------------------


@settings(max_examples=15, deadline=None)
@given(
    n=st.integers(0, 400),
    data_seed=st.integers(0, 10_000),
    seed=st.integers(0, 10_000),
    method=st.sampled_from(["impute", "allocate"]),
)
def test_any_small_data_gives_a_coherent_table_or_a_clear_error(n, data_seed, seed, method):
    typed = fs.classify(fs.synth.generate(n, seed=data_seed, years=(2020, 2021)))
    try:
        table = fs.estimate(typed, "year", m=3, seed=seed, method=method, covariates=COVS)
    except EstimateError as exc:
        assert "nothing to" in str(exc)
        return
    assert (table["bound_lower"] <= table["lower"] + 1e-9).all()
    assert (table["lower"] <= table["estimate"] + 1e-9).all()
    assert (table["estimate"] <= table["upper"] + 1e-9).all()
    assert (table["upper"] <= table["bound_upper"] + 1e-9).all()
    assert np.isfinite(table["estimate"]).all()
    fh = rows(table, "female_homicide")
    np.testing.assert_array_equal(fh["estimate"], fh["observed"])


def test_progress_bar_counts_the_imputations(typed, capfd):
    fs.estimate(typed, m=3, seed=1, covariates=COVS, progress=True)
    err = capfd.readouterr().err
    assert "imputations" in err and "3/3" in err
    fs.estimate(typed, m=3, seed=1, covariates=COVS, progress=False)
    assert capfd.readouterr().err == ""


def test_a_stranger_is_never_given_a_history_of_violence_nor_a_victim_with_one_a_stranger():
    # Framework section 2: prior violence from a stranger is inconsistent. Partners have
    # known prior violence (true or false); strangers have it unknown and every other
    # criterion known false, so they are not femicides however they are imputed...
    frame = fs.synth.generate(600, seed=4, female_share=1.0, out_of_scope_iccs_share=0.0)
    n = len(frame)
    stranger = np.arange(n) % 2 == 0
    codes = np.where(stranger, "stranger", "current_partner")
    frame["relationship"] = pd.Categorical(codes, dtype=fs.codes.RELATIONSHIP.dtype)
    for name in fs.codes.CRITERIA:
        frame[name] = pd.array(np.zeros(n, dtype=bool), dtype="boolean")
    history = pd.array(np.arange(n) % 4 == 1, dtype="boolean")
    history[stranger] = pd.NA
    frame["prior_violence"] = history
    # ...and victims with prior violence known true and an unknown relationship.
    unknown = (np.arange(n) % 4 == 1) & (np.arange(n) % 8 == 1)
    frame.loc[unknown, "relationship"] = "unknown"
    typed = fs.classify(frame)
    table = fs.estimate(typed, m=5, seed=1, covariates=["mechanism"])
    other = rows(table, "other_perpetrator")
    assert other["estimate"].item() == 0 and other["upper"].item() == 0
    assert rows(table, "not_femicide")["estimate"].item() == stranger.sum()
