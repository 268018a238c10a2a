"""fs.estimate's models and pooling against R (fixtures made by make_golden.R; CI runs no R)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import statsmodels.api as sm

import femstat as fs
from femstat.stats import impute
from femstat.stats.rubin import pool

FIXTURES = Path(__file__).parent / "fixtures" / "estimate"


def cube(name: str) -> tuple[np.ndarray, np.ndarray]:
    frame = pd.read_csv(FIXTURES / f"cube_{name}.csv")
    return frame.filter(regex="^x").to_numpy(), frame.filter(regex="^y").to_numpy()


def test_logistic_fit_matches_glm():
    x, y = cube("logistic")
    golden = pd.read_csv(FIXTURES / "golden_logistic.csv")
    fit = impute.fit(x, y)
    assert fit.ridge == 0.0 and fit.converged
    assert fit.reference == 0  # "false" is the more frequent outcome
    np.testing.assert_allclose(fit.coef[:, 1], golden["estimate"], rtol=0, atol=1e-6)
    np.testing.assert_allclose(np.sqrt(np.diag(fit.cov)), golden["std_error"], rtol=1e-6)


def test_logistic_fit_matches_statsmodels_frequency_weights():
    # An independent route: statsmodels' GLM on the two outcome rows of each pattern.
    x, y = cube("logistic")
    rows = np.vstack([x, x])
    outcome = np.r_[np.zeros(len(x)), np.ones(len(x))]
    weights = np.r_[y[:, 0], y[:, 1]]
    glm = sm.GLM(outcome, rows, family=sm.families.Binomial(), freq_weights=weights).fit(tol=1e-12)
    fit = impute.fit(x, y)
    np.testing.assert_allclose(fit.coef[:, 1], glm.params, atol=1e-8)
    np.testing.assert_allclose(fit.cov, glm.cov_params(), rtol=1e-6, atol=1e-10)


def test_multinomial_fit_matches_nnet_multinom():
    x, y = cube("multinomial")
    golden = pd.read_csv(FIXTURES / "golden_multinomial.csv")
    fit = impute.fit(x, y)
    assert fit.ridge == 0.0 and fit.converged
    assert fit.reference == 0  # intimate partner, also R's reference (first column)
    estimate = fit.coef[golden["term"], golden["category"]]
    np.testing.assert_allclose(estimate, golden["estimate"], rtol=0, atol=1e-6)
    d = x.shape[1]
    se = np.sqrt(np.diag(fit.cov)).reshape(3, d)  # blocks per free category
    np.testing.assert_allclose(
        se[golden["category"] - 1, golden["term"]], golden["std_error"], rtol=1e-4
    )


def test_ridge_fallback_matches_the_penalised_likelihood_maximised_in_r():
    x, y = cube("relationship_ridge")
    golden = pd.read_csv(FIXTURES / "golden_ridge.csv")
    fit = impute.fit(x, y)
    # The unpenalised fit separates on these data (a criterion state that only one
    # relationship group has), so the fallback penalty is in use.
    assert fit.ridge == impute.FALLBACK_RIDGE
    assert not impute.fit(x, y, ridge=0.0).converged
    estimate = fit.coef[golden["term"], golden["category"]]
    np.testing.assert_allclose(estimate, golden["estimate"], rtol=0, atol=1e-5)


def test_rubin_rules_match_mice_pool_scalar():
    counts = pd.read_csv(FIXTURES / "completed_counts.csv")
    golden = pd.read_csv(FIXTURES / "golden_pool.csv", skipinitialspace=True)
    q = counts.filter(regex="^q").to_numpy().T  # m x k
    census = pool(q, 0.0)
    np.testing.assert_allclose(census.qbar, golden["qbar"], rtol=1e-12)
    np.testing.assert_allclose(census.b, golden["b"], rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(census.t, golden["t"], rtol=1e-10, atol=1e-10)
    varying = golden["b"].to_numpy() > 0
    np.testing.assert_allclose(census.df[varying], golden["df"][varying], rtol=1e-10)
    rate = pool(q, q, dfcom=1e6)
    np.testing.assert_allclose(rate.ubar, golden["rate_ubar"], rtol=1e-12)
    np.testing.assert_allclose(rate.t, golden["rate_t"], rtol=1e-10)
    # A row that is zero in every imputation has no variance at all: R gives NaN, femstat
    # an interval that is the point (df inf, fmi 0).
    some = rate.t > 0
    assert np.isnan(golden["rate_df"][~some]).all() and (rate.fmi[~some] == 0).all()
    np.testing.assert_allclose(rate.df[some], golden["rate_df"][some], rtol=1e-10)
    np.testing.assert_allclose(rate.fmi[some], golden["rate_fmi"][some], rtol=1e-10, atol=1e-12)


def _make_inputs():
    spec = importlib.util.spec_from_file_location("make_inputs", FIXTURES / "make_inputs.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_golden_inputs_are_what_femstat_makes_today():
    counts = pd.read_csv(FIXTURES / "completed_counts.csv")
    module = _make_inputs()
    typed = module.data()
    from femstat.estimates import _arguments, _cube_of, _impute_counts, _prepare

    covariates = module.COVARIATES
    args = _arguments("year", "impute", 5, 0.95, 7, 0.0, 1e5, covariates, "unodc", fs.UN_2022)
    cube = _cube_of(typed, args)
    prep = _prepare(cube.frame, cube.weights, ["year"], covariates, fs.UN_2022, args.scheme)
    from femstat.estimates import ESTIMATE_ROWS

    draws = _impute_counts(prep, 5, 7, 0.0, False)  # m x groups x rows
    # The fixtures predate the partner_or_family_unspecified row; these data have no such
    # record, so it is zero in every imputation, and the other rows are compared.
    unspecified = ESTIMATE_ROWS.index("partner_or_family_unspecified")
    assert (draws[:, :, unspecified] == 0).all()
    draws = np.delete(draws, unspecified, axis=2).reshape(5, -1)
    np.testing.assert_array_equal(draws.T, counts.filter(regex="^q").to_numpy())


def test_imputation_agrees_with_mice_on_the_same_data():
    # mice (polyreg) and femstat impute the same relationships from the same covariates
    # (femstat also reads each criterion's state, which says little in these data): the
    # pooled partner-or-family counts agree within their combined uncertainty.
    golden = pd.read_csv(FIXTURES / "golden_mice.csv")
    typed = _make_inputs().data()
    table = fs.estimate(typed, "year", m=50, seed=11, covariates=["mechanism", "perpetrator_sex"])
    ours = table[table["femicide_type"] == "partner_or_family"].reset_index(drop=True)
    assert ours["year"].astype(int).tolist() == golden["year"].tolist()
    half_width = (ours["upper"] - ours["lower"]) / 2
    t_ours = (half_width / 2.01) ** 2  # t quantile with 49 df
    gap = np.abs(ours["estimate"] - golden["qbar"])
    assert (gap < 3 * np.sqrt(t_ours + golden["t"])).all(), (ours, golden)
