"""fs.estimate validated by simulation: values hidden at random given covariates.

A small version of ``benchmarks/bench_estimate.py`` (which runs hundreds of larger data
sets): the intervals cover the true counts about as often as they claim, the estimates are
unbiased, and the intervals are narrower than the bounds.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import femstat as fs
from femstat.estimates import simulate

COVARIATES = ["place", "mechanism"]
ROWS = ("femicide", "partner_or_family")


def test_simulated_data_hide_values_at_random_given_covariates():
    complete, masked = simulate(4_000, seed=1)
    assert len(complete) == len(masked) == 4_000
    assert (complete["femicide_type"] != "undetermined").all()  # the truth is complete
    hidden = (masked["relationship"] == "unknown").to_numpy()
    assert (complete["relationship"] != "unknown").all()
    assert 0.2 < hidden.mean() < 0.5
    public = (complete["place"] == "public_space").to_numpy()
    assert hidden[public].mean() > hidden[~public].mean() + 0.1  # depends on a covariate
    shown = ~hidden
    pd.testing.assert_series_equal(
        masked["relationship"][shown].astype(str), complete["relationship"][shown].astype(str)
    )
    assert masked["prior_violence"].isna().mean() > 0.2
    undetermined = (masked["femicide_type"] == "undetermined").mean()
    assert 0.2 < undetermined < 0.5  # like real data: three to four in ten


@pytest.mark.slow
def test_coverage_bias_and_width_by_simulation():
    reps = 20
    covered = dict.fromkeys(ROWS, 0)
    errors: dict[str, list[float]] = {r: [] for r in ROWS}
    truths: dict[str, list[float]] = {r: [] for r in ROWS}
    for rep in range(reps):
        complete, masked = simulate(1_200, seed=100 + rep)
        truth = fs.indicators(complete).set_index("femicide_type")["count"]
        table = fs.estimate(masked, m=10, seed=rep, covariates=COVARIATES)
        table = table.set_index("femicide_type")
        for row in ROWS:
            got = table.loc[row]
            true = float(truth[row])
            covered[row] += bool(got["lower"] <= true <= got["upper"])
            errors[row].append(float(got["estimate"]) - true)
            truths[row].append(true)
            # Narrower than the bounds, always.
            assert got["upper"] - got["lower"] < got["bound_upper"] - got["bound_lower"]
    for row in ROWS:
        # 95 % intervals: with 20 data sets, 16 or fewer covered has probability < 2 %.
        assert covered[row] >= 17, (row, covered[row])
        bias = np.sum(errors[row]) / np.sum(truths[row])
        assert abs(bias) < 0.01, (row, bias)


def test_the_bounds_alone_would_not_have_covered_less():
    # The estimate's interval is inside the bounds, and the truth is inside the bounds too.
    complete, masked = simulate(1_000, seed=7)
    truth = fs.indicators(complete).set_index("femicide_type")["count"]
    table = fs.estimate(masked, m=5, seed=1, covariates=COVARIATES).set_index("femicide_type")
    for row in ROWS:
        got = table.loc[row]
        assert got["bound_lower"] <= truth[row] <= got["bound_upper"]
