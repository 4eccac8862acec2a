"""Time-invariant covariates in BG/NBD, MBG/NBD, Pareto/NBD and Gamma-Gamma
(Fader & Hardie 2007): checked against lifetimes group by group, on planted effects, and
for what a user gets wrong."""

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import optimize

from crmwb import clv
from crmwb.clv.models import _CovBGNBDData
from crmwb.datasets import simulate_summaries
from crmwb.datasets.synthetic import planted_covariate_effects

COVARIATES = ["customer_type", "acquisition_channel"]


@pytest.fixture(scope="module")
def shop():
    return simulate_summaries(15_000, seed=3, covariates=True)


def test_without_covariates_every_fit_is_unchanged(shop):
    s = shop
    for plain, empty in ((clv.BetaGeoModel(), clv.BetaGeoModel([], None)),
                         (clv.ModifiedBetaGeoModel(), clv.ModifiedBetaGeoModel(None, [])),
                         (clv.ParetoNBDModel(), clv.ParetoNBDModel([], []))):
        a, b = plain.fit(s, time_unit="D"), empty.fit(s, time_unit="D")
        for k in a.params_:
            assert b.params_[k] == pytest.approx(a.params_[k], rel=1e-9, abs=0)
        assert b.log_likelihood_ == pytest.approx(a.log_likelihood_, rel=1e-9)
        assert b.coefficients_.empty and not b.has_covariates
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", clv.CLVWarning)
        a, b = clv.GammaGammaModel().fit(s), clv.GammaGammaModel(spend_covariates=[]).fit(s)
    assert a.params_ == b.params_


@pytest.mark.parametrize("model_class, reference", [
    (clv.BetaGeoModel, "BetaGeoFitter"), (clv.ModifiedBetaGeoModel, "ModifiedBetaGeoFitter"),
    (clv.ParetoNBDModel, "ParetoNBDFitter")])
def test_covariate_likelihood_and_predictions_match_lifetimes_group_by_group(
        shop, model_class, reference):
    """With categorical covariates each group of customers is a model without covariates at
    its own parameters: lifetimes, given those parameters, must agree customer by customer."""
    lt = pytest.importorskip("lifetimes")
    s = shop.head(4000)
    m = model_class(purchase_covariates=COVARIATES, dropout_covariates=["acquisition_channel"]
                    ).fit(s, time_unit="D")
    params = m._individual_params(s)
    names = list(m.params_)
    total = 0.0
    for _, group in s.groupby(COVARIATES):
        first = group.index[0]
        at = {k: float(np.broadcast_to(params[k], len(s))[s.index.get_loc(first)])
              for k in names}
        fitter = getattr(lt, reference)()
        fitter.params_ = pd.Series(at)[names]
        f, r, T = group["frequency"], group["recency"], group["T"]
        arrays = (f.to_numpy(), r.to_numpy(), T.to_numpy(), np.ones(len(group)), 0.0)
        if reference == "ParetoNBDFitter":  # parameters as they are, the summed likelihood
            total -= fitter._negative_log_likelihood(fitter.params_.to_numpy(), *arrays)
        else:  # log-parameters, the mean likelihood
            total -= len(group) * fitter._negative_log_likelihood(
                np.log(fitter.params_.to_numpy()), *arrays)
        np.testing.assert_allclose(m.probability_alive(group),
                                   fitter.conditional_probability_alive(f, r, T), rtol=1e-6)
        np.testing.assert_allclose(
            m.expected_purchases(30, group),
            fitter.conditional_expected_number_of_purchases_up_to_time(30, f, r, T), rtol=1e-6)
    assert m.log_likelihood(s).sum() == pytest.approx(total, rel=1e-9)
    assert m.log_likelihood_ == pytest.approx(total, rel=1e-6)


def test_gamma_gamma_spend_covariates_match_lifetimes_group_by_group(shop):
    lt = pytest.importorskip("lifetimes")
    s = shop[shop["frequency"] > 0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", clv.CLVWarning)
        m = clv.GammaGammaModel(spend_covariates=COVARIATES).fit(s)
    gammas = m._individual_params(s)["gamma"]
    for _, group in s.groupby(COVARIATES):
        fitter = lt.GammaGammaFitter()
        fitter.params_ = pd.Series({"p": m.params_["p"], "q": m.params_["q"],
                                    "v": gammas[s.index.get_loc(group.index[0])]})
        np.testing.assert_allclose(
            m.conditional_expected_average_profit(group),
            fitter.conditional_expected_average_profit(group["frequency"],
                                                       group["monetary_value"]), rtol=1e-9)
    # wholesale baskets are planted 15 times dearer: a positive spend coefficient
    assert m.coefficients_.loc[("spend", "customer_type=wholesale"), "estimate"] == \
        pytest.approx(np.log(15), abs=0.05)


def test_the_covariate_gradient_is_the_derivative_of_the_likelihood(shop):
    s = shop.head(3000)
    x, t, T = (s[c].to_numpy(float) / (1 if c == "frequency" else 70)
               for c in ("frequency", "recency", "T"))
    rng = np.random.default_rng(0)
    X1, X2 = rng.normal(size=(3000, 2)), (rng.random((3000, 1)) < 0.3).astype(float)
    for k in (0, 1):
        data = _CovBGNBDData(x, t, T, np.ones(3000), X1, X2, k)
        z = np.r_[np.log([0.9, 0.3, 0.8, 4.0]), 0.2, -0.1, 0.4]
        value, grad = (lambda v, d=data: d.negll(v)[0]), (lambda v, d=data: d.negll(v)[1])
        assert optimize.check_grad(value, grad, z) < 1e-5


def test_positive_coefficients_mean_more_purchases_and_likelier_dropout(shop):
    m = clv.BetaGeoModel(purchase_covariates=COVARIATES, dropout_covariates=COVARIATES
                         ).fit(shop, time_unit="D")
    truth = planted_covariate_effects()
    coef = m.coefficients_["estimate"]
    # referral: more purchases and less dropout, both planted
    assert coef[("purchase", "acquisition_channel=referral")] > 0.25
    assert coef[("dropout", "acquisition_channel=referral")] < -0.4
    for (process, name), value in coef.items():
        assert value == pytest.approx(truth[process][name], abs=4 * m.coefficients_.loc[
            (process, name), "se"])
    same = pd.DataFrame({"frequency": [3, 3], "recency": [100.0, 100.0], "T": [200.0, 200.0],
                         "customer_type": ["retail", "retail"],
                         "acquisition_channel": ["marketplace", "referral"]})
    e = m.expected_purchases(90, same, given_alive=True)
    assert e.iloc[1] > e.iloc[0]  # the referred customer buys more when still active
    p = m.probability_alive(same)
    assert p.iloc[1] > p.iloc[0]  # and is likelier still active with the same history


def test_a_numeric_covariate_has_a_coefficient_per_unit():
    s = simulate_summaries(6000, seed=4)
    rng = np.random.default_rng(2)
    s["age"] = rng.normal(40, 12, len(s)).round()
    a = clv.BetaGeoModel(purchase_covariates=["age"]).fit(s, time_unit="D")
    s["age_in_decades"] = s["age"] / 10
    b = clv.BetaGeoModel(purchase_covariates=["age_in_decades"]).fit(s, time_unit="D")
    assert b.coefficients_["estimate"].iloc[0] == pytest.approx(
        10 * a.coefficients_["estimate"].iloc[0], rel=1e-4)
    assert b.log_likelihood_ == pytest.approx(a.log_likelihood_, rel=1e-9)
    # age was not planted: its interval holds nothing
    row = a.coefficients_.iloc[0]
    assert row["ci_low"] < 0 < row["ci_high"]


def test_covariates_users_get_wrong_are_refused(shop):
    s = shop.head(2000).copy()
    with pytest.raises(ValueError, match="lack the purchase covariate column"):
        clv.BetaGeoModel(purchase_covariates=["region"]).fit(s, time_unit="D")
    holes = s.copy()
    holes.loc[holes.index[:3], "acquisition_channel"] = None
    with pytest.raises(ValueError, match="'acquisition_channel' is missing for 3 customer"):
        clv.BetaGeoModel(dropout_covariates=["acquisition_channel"]).fit(holes, time_unit="D")
    one = s.assign(country="Iran")
    with pytest.raises(ValueError, match="one level only"):
        clv.ParetoNBDModel(purchase_covariates=["country"]).fit(one, time_unit="D")
    m = clv.BetaGeoModel(purchase_covariates=["acquisition_channel"]).fit(s, time_unit="D")
    new = s.head(2).assign(acquisition_channel=["billboard", "referral"])
    with pytest.raises(ValueError, match="'billboard'"):
        m.probability_alive(new)
    with pytest.raises(ValueError, match="listed twice"):
        clv.BetaGeoModel(purchase_covariates=["customer_type", "customer_type"]).fit(s)


def test_a_quarter_million_customers_with_covariates_reach_the_optimum_of_the_direct_fit():
    """Above 200,000 customers the fit starts from a subsample and takes Newton steps over
    all: it must land where plain L-BFGS over all customers lands."""
    from crmwb.clv.models import _fit

    s = simulate_summaries(250_000, seed=9, covariates=True)
    m = clv.BetaGeoModel(purchase_covariates=["customer_type"],
                         dropout_covariates=["acquisition_channel"]).fit(s, time_unit="D")
    X1 = (s["customer_type"] == "wholesale").to_numpy(float)[:, None]
    X2 = m._designs["dropout"].transform(s)
    scale = 10.0 / s["T"].max()
    data = _CovBGNBDData(s["frequency"].to_numpy(float), s["recency"].to_numpy() * scale,
                         s["T"].to_numpy() * scale, np.ones(len(s)), X1, X2)
    direct = _fit(data.negll, np.zeros(4 + 1 + X2.shape[1]), "BG/NBD").x
    ours = np.r_[np.log(list(m.params_.values())), m.coefficients_["estimate"]]
    ours[1] += np.log(scale)
    np.testing.assert_allclose(ours, direct, atol=2e-4)
