"""Sensitivity of a difference between two groups: the tipping delta of "A differs from B"."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import femstat as fs
from femstat import codes as C
from femstat.estimates import EstimateError, EstimateTypeError, sensitivity_difference

KW = {"m": 8, "seed": 3, "covariates": ["mechanism"]}
GAP = "year=2021 > year=2022"


def _data(moved: float) -> pd.DataFrame:
    """Two years alike, except that in 2022 a share ``moved`` of the victims known to be
    killed by a partner or family member are strangers instead: 2022's share is lower."""
    raw = fs.synth.generate(4_000, seed=7, years=(2021, 2022), female_share=1.0)
    group = raw["relationship"].astype(str).map(C.RELATIONSHIP_GROUP_OF)
    qualifying = group.isin(["intimate_partner", "family_member"]).to_numpy()
    later = (raw["year"] == 2022).to_numpy()
    draw = np.random.default_rng(1).random(len(raw)) < moved
    moving = qualifying & later & draw
    raw.loc[moving, "relationship"] = "stranger"
    raw.loc[moving, "prior_violence"] = False  # a stranger has no history with her
    return fs.classify(raw)


@pytest.fixture(scope="module")
def narrow() -> pd.DataFrame:
    return sensitivity_difference(_data(0.1), ("year", 2021, 2022), apply_to="second", **KW)


@pytest.fixture(scope="module")
def wide() -> pd.DataFrame:
    return sensitivity_difference(_data(0.2), ("year", 2021, 2022), apply_to="second", **KW)


def test_the_tipping_delta_moves_away_from_zero_when_the_gap_widens(narrow, wide):
    for table in (narrow, wide):
        at_zero = table[table["delta"] == 0]
        assert at_zero["conclusion"].item() == GAP
        assert at_zero["lower"].item() > 0
    # Raising the odds that 2022's undetermined were partners or family closes the gap:
    # the wider the gap, the further from missing at random the tipping point.
    tip_narrow, tip_wide = narrow["tipping_delta"].iloc[0], wide["tipping_delta"].iloc[0]
    assert 0 < tip_narrow < tip_wide
    assert (
        wide.loc[wide["delta"] == 1.0, "estimate"].item()
        > narrow.loc[narrow["delta"] == 1.0, "estimate"].item()
    )


def test_at_the_tipping_delta_the_interval_touches_no_difference(narrow):
    tip = narrow["tipping_delta"].iloc[0]
    meta = narrow.attrs["femstat_estimate"]
    _, lower, upper = meta["tipping_interval"]
    _, lower_before, _ = meta["interval_before_tipping"]
    # The lower limit crosses no difference there, in a step of a few per cent of the
    # interval's width (the draws are of whole records).
    assert lower_before > 0 >= lower
    width = upper - lower
    assert abs(lower) < 0.1 * width and abs(lower_before) < 0.1 * width, meta
    # Grid deltas between 0 and the tipping delta keep the conclusion; beyond, it changes.
    before = narrow[(narrow["delta"] >= 0) & (narrow["delta"] < tip)]
    after = narrow[narrow["delta"] >= tip]
    assert (before["conclusion"] == GAP).all() and not (after["conclusion"] == GAP).any()
    assert (narrow["estimate"].diff().dropna() < 0).all()  # the gap shrinks as delta grows


def test_a_rate_ratio_and_its_tipping_point():
    typed = _data(0.1)
    population = pd.DataFrame({"year": [2021, 2022], "sex": "female", "population": [1e6, 1e6]})
    table = sensitivity_difference(
        typed,
        ("year", 2021, 2022),
        measure="rate",
        population=population,
        apply_to="second",
        deltas=[-1, 0, 1, 2, 3],
        **KW,
    )
    meta = table.attrs["femstat_estimate"]
    assert meta["measure"] == "rate ratio" and meta["no_difference"] == 1.0
    at_zero = table[table["delta"] == 0]
    assert at_zero["lower"].item() > 1 and at_zero["conclusion"].item() == GAP
    estimate = fs.estimate(typed, "year", population, **KW)
    rates = estimate[estimate["femicide_type"] == "partner_or_family"]["rate"].to_numpy()
    # The pooled log ratio is the mean of the completed ones: close to the ratio of rates.
    assert at_zero["estimate"].item() == pytest.approx(rates[0] / rates[1], rel=0.01)
    tip = table["tipping_delta"].iloc[0]
    assert 0 < tip < 1  # the grid's 1 already says "no difference"
    _, lower, upper = meta["tipping_interval"]
    _, lower_before, _ = meta["interval_before_tipping"]
    assert lower_before > 1 >= lower and abs(lower - 1) < 0.1 * (upper - lower)


def test_arguments_are_checked():
    typed = _data(0.0)
    with pytest.raises(EstimateTypeError, match="compare must be"):
        sensitivity_difference(typed, "year", **KW)  # type: ignore[arg-type]
    with pytest.raises(EstimateError, match="no level 2030"):
        sensitivity_difference(typed, ("year", 2021, 2030), **KW)
    with pytest.raises(EstimateError, match="same level twice"):
        sensitivity_difference(typed, ("year", 2021, 2021), **KW)
    with pytest.raises(EstimateError, match="needs population"):
        sensitivity_difference(typed, ("year", 2021, 2022), measure="rate", **KW)
    with pytest.raises(EstimateError, match="apply_to"):
        sensitivity_difference(typed, ("year", 2021, 2022), apply_to="neither", **KW)
    with pytest.raises(EstimateError, match="target"):
        sensitivity_difference(typed, ("year", 2021, 2022), target="female_homicide", **KW)
