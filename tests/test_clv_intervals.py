"""Per-customer intervals: the distribution of future purchases given a history, its
shortest runs, their calibration on the synthetic shop, and intervals from the parameters'
sampling distribution."""

import warnings

import numpy as np
import pandas as pd
import pytest

from crmwb import clv
from crmwb.clv.intervals import shortest_runs
from crmwb.datasets import simulate_summaries

COVARIATES = ["customer_type", "acquisition_channel"]
MODELS = [clv.BetaGeoModel, clv.ModifiedBetaGeoModel, clv.ParetoNBDModel]


@pytest.fixture(scope="module")
def summaries():
    return simulate_summaries(4000, seed=11, covariates=True)


@pytest.mark.parametrize("model_class", MODELS)
def test_the_distribution_of_future_purchases_has_the_models_expectation(summaries,
                                                                        model_class):
    s = summaries
    m = model_class(purchase_covariates=COVARIATES, dropout_covariates=["acquisition_channel"]
                    ).fit(s, time_unit="D")
    pmf = m.purchase_pmf(120, s).to_numpy()
    assert (pmf >= 0).all()
    np.testing.assert_allclose(pmf.sum(axis=1), 1, atol=1e-8)
    mean = pmf @ np.arange(pmf.shape[1])
    np.testing.assert_allclose(mean, m.expected_purchases(120, s), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("reference, model_class", [
    ("BetaGeoFitter", clv.BetaGeoModel), ("ModifiedBetaGeoFitter", clv.ModifiedBetaGeoModel)])
def test_a_customer_just_acquired_has_the_published_unconditional_distribution(reference,
                                                                              model_class):
    """At T = 0 the history says nothing: P(X(t) = n | 0, 0, 0) is the model's P(X(t) = n)
    (Fader, Hardie & Lee 2005, eq. 8), which lifetimes implements on its own."""
    lt = pytest.importorskip("lifetimes")
    m = model_class().fit(simulate_summaries(3000, seed=2), time_unit="D")
    fitter = getattr(lt, reference)()
    fitter.params_ = pd.Series(m.params_)
    new = pd.DataFrame({"frequency": [0], "recency": [0.0], "T": [0.0]})
    pmf = m.purchase_pmf(200, new).iloc[0]
    theirs = [float(fitter.probability_of_n_purchases_up_to_time(200, n)) for n in range(12)]
    np.testing.assert_allclose(pmf.iloc[:12], theirs, rtol=1e-6, atol=1e-12)


@pytest.mark.parametrize("model_class", MODELS)
def test_the_distribution_matches_customers_simulated_from_their_posterior(model_class):
    """One history, simulated forward 200,000 times from the model's own story: the
    frequencies of each count agree with the distribution within sampling error."""
    m = model_class().fit(simulate_summaries(3000, seed=4), time_unit="D")
    x, t_x, T, t = 4, 150.0, 300.0, 180.0
    history = pd.DataFrame({"frequency": [x], "recency": [t_x], "T": [T]})
    pmf = m.purchase_pmf(t, history).iloc[0].to_numpy()
    rng = np.random.default_rng(0)
    n = 200_000
    alive = rng.random(n) < float(m.probability_alive(history).iloc[0])
    if model_class is clv.ParetoNBDModel:
        r, alpha, s, beta = m.params_.values()
        lam = rng.gamma(r + x, 1 / (alpha + T), n)
        mu = rng.gamma(s, 1 / (beta + T), n)
        span = np.minimum(rng.exponential(1 / mu), t)
        counts = rng.poisson(lam * span)
    else:
        r, alpha, a, b = m.params_.values()
        k = 1 if model_class is clv.ModifiedBetaGeoModel else 0
        lam = rng.gamma(r + x, 1 / (alpha + T), n)
        p = rng.beta(a, b + x + k, n)
        counts = np.minimum(rng.poisson(lam * t), rng.geometric(p))
    counts = np.where(alive, counts, 0)
    observed = np.bincount(counts, minlength=len(pmf))[:15] / n
    se = np.sqrt(pmf[:15] * (1 - pmf[:15]) / n)
    assert (np.abs(observed - pmf[:15]) < 5 * se + 1e-4).all(), np.c_[observed, pmf[:15]]


def test_the_shortest_run_by_hand():
    pmf = np.array([[0.5, 0.04, 0.05, 0.41],    # two humps: the run must cover both
                    [0.1, 0.3, 0.4, 0.2],       # 1-2 hold 0.7
                    [0.0, 0.0, 1.0, 0.0],       # certain: one count
                    [0.25, 0.25, 0.25, 0.25]])  # ties: the lowest
    low, high, prob = shortest_runs(pmf, 0.6)
    assert low.tolist() == [0, 1, 2, 0]
    assert high.tolist() == [3, 2, 2, 2]
    np.testing.assert_allclose(prob, [1.0, 0.7, 1.0, 0.75])


@pytest.fixture(scope="module")
def shop_holdout(planted_shop):
    data, lines = planted_shop
    # the generator's purchases are continuous-time events: several a day are real
    h = clv.calibration_holdout(lines, clv.default_calibration_end(lines),
                                merge_same_day=False)
    return clv.join_covariates(h, data.customers, COVARIATES)


@pytest.mark.parametrize("level", [0.5, 0.8])
def test_predictive_intervals_hold_the_holdout_counts_as_often_as_they_promise(shop_holdout,
                                                                               level):
    """The issue's check: on the synthetic shop (no seasons), the share of customers whose
    holdout purchases fall inside their interval matches the intervals' mean probability
    within two points (BG/NBD with the planted covariates: 89.3% inside, 88.6% promised
    at 80%)."""
    h = shop_holdout
    m = clv.BetaGeoModel(purchase_covariates=COVARIATES, dropout_covariates=COVARIATES).fit(h)
    iv = m.predictive_interval(h["holdout_duration"].iloc[0], h, level=level)
    inside = h["holdout_purchases"].between(iv["low"], iv["high"]).mean()
    promised = iv["probability"].mean()
    assert (iv["probability"] >= level).all()
    assert abs(inside - promised) < 0.02, (inside, promised)


def test_value_intervals_come_from_the_parameters_sampling_error(summaries):
    s = summaries
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", clv.CLVWarning)
        bg = clv.BetaGeoModel(["customer_type"], ["acquisition_channel"]).fit(s, time_unit="D")
        gg = clv.GammaGammaModel(spend_covariates=["customer_type"]).fit(s)
        v = clv.value_intervals(bg, gg, s, level=0.9, draws=200, seed=3)
    # the point values are the models' own at the fitted parameters
    np.testing.assert_allclose(v["clv"], clv.customer_lifetime_value(bg, gg, s), rtol=1e-9)
    np.testing.assert_allclose(v["expected_purchases"],
                               bg.expected_purchases(365.25, s), rtol=1e-9)
    active = v["expected_purchases"] > 0.1
    assert (v.loc[active, "purchases_low"] <= v.loc[active, "expected_purchases"]).mean() > 0.95
    assert (v.loc[active, "clv_high"] >= v.loc[active, "clv"]).mean() > 0.95
    assert (v["clv_low"] <= v["clv_high"]).all()
    # the same seed, the same intervals
    again = clv.value_intervals(bg, gg, s, level=0.9, draws=200, seed=3)
    pd.testing.assert_frame_equal(v, again)
    # four times the customers: the parameters are known twice as well, the intervals of
    # the same customers about half as wide
    big = simulate_summaries(16000, seed=11, covariates=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", clv.CLVWarning)
        bg4 = clv.BetaGeoModel(["customer_type"], ["acquisition_channel"]).fit(big,
                                                                             time_unit="D")
        gg4 = clv.GammaGammaModel(spend_covariates=["customer_type"]).fit(big)
    v4 = clv.value_intervals(bg4, gg4, s, level=0.9, draws=200, seed=3)
    ratio = ((v4["clv_high"] - v4["clv_low"])[active] / (v["clv_high"] - v["clv_low"])[active])
    assert 0.35 < ratio.median() < 0.7


def test_value_intervals_to_first_order_agree_with_the_exact_draws(summaries):
    """Above 3e7 evaluations the expectation given alive is taken to first order in the
    parameters: on the same draws its intervals must match the exact ones closely."""
    s = summaries
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", clv.CLVWarning)
        bg = clv.BetaGeoModel(COVARIATES, COVARIATES).fit(s, time_unit="D")
        gg = clv.GammaGammaModel(spend_covariates=["customer_type"]).fit(s)
    exact = clv.value_intervals(bg, gg, s, draws=100, seed=5, exact=True)
    linear = clv.value_intervals(bg, gg, s, draws=100, seed=5, exact=False)
    assert exact.attrs["exact"] and not linear.attrs["exact"]
    np.testing.assert_allclose(linear["clv"], exact["clv"], rtol=1e-12)
    active = exact["expected_purchases"] > 0.1
    width = (exact["clv_high"] - exact["clv_low"])[active]
    for end in ("clv_low", "clv_high"):
        off = (linear[end] - exact[end]).abs()[active] / width
        assert off.median() < 0.01 and off.max() < 0.1
