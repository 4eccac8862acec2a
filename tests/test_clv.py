"""CLV models: hand checks, published values, lifetimes as a reference, planted truth."""

import warnings

import numpy as np
import pandas as pd
import pytest
from conftest import shared_dataset

from crmwb import clv, io, summary


def test_retention_formula_by_hand():
    assert clv.retention_clv(100.0, 0.8, 0.1) == pytest.approx(100 * 0.8 / 0.3)
    np.testing.assert_allclose(clv.retention_clv(np.array([10.0, 20.0]), 0.5, 0.0), [10, 20])
    with pytest.raises(ValueError, match="retention"):
        clv.retention_clv(1.0, 1.2, 0.1)


def test_five_points_more_retention_raise_total_clv():
    margins = pd.Series([100.0, 50.0, 10.0])
    what_if = clv.retention_what_if(margins, retention=0.6, discount_rate=0.1)
    now = 160 * 0.6 / 0.5
    assert what_if["total_clv"].iloc[0] == pytest.approx(now)
    assert what_if["total_clv"].iloc[1] == pytest.approx(160 * 0.65 / 0.45)
    assert what_if["change"].iloc[1] == pytest.approx((0.65 / 0.45) / (0.6 / 0.5) - 1)
    # shown as a retention rate and a relative change (it read "Share still subscribed" and
    # 0.200), not as a subscription's survival and a plain number
    from crmwb import display

    assert list(what_if.columns) == ["retention_rate", "total_clv", "change"]
    assert what_if.index.tolist() == ["now", "retention_raised"]  # named in the glossary
    assert [display.kind(what_if, c) for c in what_if] == ["share", "money", "share"]


SMALL = pd.DataFrame({"frequency": [0, 1, 4, 0, 2, 7, 0, 3, 1, 0],
                      "recency": [0, 10, 30, 0, 20, 35, 0, 12, 3, 0],
                      "T": [40, 38, 36, 40, 30, 39, 25, 33, 20, 40]})


def test_identical_customers_are_fitted_once_with_a_weight():
    from crmwb.datasets import simulate_summaries

    s = simulate_summaries(3000, max_age_days=60, seed=3)[["frequency", "recency", "T"]]
    grouped = s.groupby(["frequency", "recency", "T"]).size().rename("n").reset_index()
    assert len(grouped) < len(s)
    a = clv.BetaGeoModel().fit(s)
    b = clv.BetaGeoModel().fit(grouped, weights=grouped["n"].to_numpy())
    for k in a.params_:
        assert a.params_[k] == pytest.approx(b.params_[k], rel=1e-4)
    assert a.log_likelihood_ == pytest.approx(b.log_likelihood_, rel=1e-8)
    assert a.log_likelihood_ == pytest.approx(a.log_likelihood(s).sum(), rel=1e-9)


def test_bad_summaries_are_refused():
    with pytest.raises(ValueError, match=r"lacks column\(s\) \['T'\]"):
        clv.BetaGeoModel().fit(SMALL.drop(columns="T"))
    bad = SMALL.assign(recency=SMALL["T"] + 1)
    with pytest.raises(ValueError, match="recency exceeds T"):
        clv.BetaGeoModel().fit(bad)
    with pytest.raises(ValueError, match="negative or missing"):
        clv.BetaGeoModel().fit(SMALL.assign(frequency=-1))
    with pytest.raises(RuntimeError, match="not fitted"):
        clv.BetaGeoModel().probability_alive(SMALL)


def test_p_alive_is_one_without_repeats_and_falls_with_silence():
    m = clv.BetaGeoModel().fit(SMALL)
    p = m.probability_alive(pd.DataFrame({"frequency": [0, 3, 3], "recency": [0, 30, 5],
                                          "T": [40, 40, 40]}))
    assert p.iloc[0] == 1.0
    assert p.iloc[1] > p.iloc[2]


def test_gamma_gamma_warns_when_frequency_and_spend_are_correlated():
    x = np.arange(1, 41)
    data = pd.DataFrame({"frequency": x, "monetary_value": 10.0 + 3 * x})
    with pytest.warns(clv.CLVWarning, match="frequency and spend are correlated"):
        m = clv.GammaGammaModel().fit(data)
    assert m.frequency_spend_correlation_ > 0.9
    rng = np.random.default_rng(0)
    calm = pd.DataFrame({"frequency": rng.integers(1, 10, 200),
                         "monetary_value": rng.gamma(5, 10, 200)})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        clv.GammaGammaModel().fit(calm)


def test_sbg_reproduces_fader_and_hardie():
    # Fader & Hardie (2007), "How to project customer retention": the two cohorts
    regular = clv.ShiftedBetaGeoModel().fit([1000, 631, 468, 382, 326, 289, 262, 241])
    high_end = clv.ShiftedBetaGeoModel().fit([1000, 869, 743, 653, 593, 551, 517, 491])
    assert (regular.params_["alpha"], regular.params_["beta"]) == pytest.approx(
        (0.704, 1.182), abs=1e-3)
    assert (high_end.params_["alpha"], high_end.params_["beta"]) == pytest.approx(
        (0.668, 3.806), abs=1e-3)
    # retention rises with tenure as the disloyal leave
    r = high_end.retention_rate([1, 2, 5, 10])
    assert np.all(np.diff(r) > 0)
    assert high_end.survival(0) == pytest.approx(1.0)


def test_sbg_from_censored_durations_matches_the_cohort_fit():
    survivors = [1000, 869, 743, 653, 593, 551, 517, 491]
    lost = -np.diff(survivors)
    periods = np.r_[np.repeat(np.arange(1, 8), lost), np.full(491, 7)]
    churned = np.r_[np.ones(lost.sum(), bool), np.zeros(491, bool)]
    a = clv.ShiftedBetaGeoModel().fit(survivors)
    b = clv.ShiftedBetaGeoModel().fit_durations(periods, churned)
    assert a.params_ == pytest.approx(b.params_, rel=1e-4)


def test_sbg_on_a_homogeneous_cohort_tends_to_the_geometric():
    """A rising hazard (Telco's one-year contracts): the sBG's best fit is the homogeneous
    limit, alpha and beta running to infinity, where differences of betaln cancel (on Telco
    to a perfect likelihood of 0 and a survival of 1: test_telco_retention_by_contract).
    The fit must reach the geometric model with the same churners over the same months."""
    rng = np.random.default_rng(4)
    hazard = 0.0001 * np.arange(1, 400)  # rising, and low: a few churners in many months
    alive = np.cumprod(1 - hazard)
    lifetimes = 1 + np.searchsorted(-alive, -rng.random(1500))  # first month the draw beats
    seen = rng.integers(1, 73, 1500)  # months observed before the data's end
    periods, churned = np.minimum(lifetimes, seen), lifetimes <= seen
    m = clv.ShiftedBetaGeoModel().fit_durations(periods, churned)
    assert np.isfinite(m.log_likelihood_) and m.log_likelihood_ < -100
    # the homogeneous monthly rate with the same churners over the same months at risk
    p = churned.sum() / periods.sum()
    assert m.survival(24) == pytest.approx((1 - p) ** 24, abs=0.02)
    assert m.survival(24) < 0.99


def test_derl_is_the_discounted_sum_of_survival():
    m = clv.ShiftedBetaGeoModel().fit([1000, 869, 743, 653, 593, 551, 517, 491])
    d, n = 0.1, 3
    t = np.arange(0, 5000)
    direct = np.sum(m.survival(n + t) / m.survival(n - 1) / (1 + d) ** t)
    assert m.discounted_expected_residual_lifetime(d, n) == pytest.approx(direct, rel=1e-6)


def test_clv_discounts_each_months_expected_margin():
    from crmwb.datasets import simulate_summaries

    # a model that passed its health check (ten customers do not pin BG/NBD down)
    m = clv.BetaGeoModel().fit(simulate_summaries(3000, seed=2), time_unit="D")
    assert m.diagnostics_.ok
    data = SMALL.assign(monetary_value=np.where(SMALL["frequency"] > 0, 20.0, 0.0))
    g = clv.GammaGammaModel()
    g.params_ = {"p": 2.0, "q": 3.0, "gamma": 10.0}  # a fixed spend model for a hand check
    one = clv.customer_lifetime_value(m, g, data, horizon_months=1, monthly_discount_rate=0.05,
                                      margin=0.5, days_per_unit=1)
    spend = g.conditional_expected_average_profit(data)
    expected = 0.5 * spend * m.expected_purchases(clv.DAYS_PER_MONTH, data) / 1.05
    np.testing.assert_allclose(one, expected)
    year = clv.customer_lifetime_value(m, g, data, horizon_months=12, days_per_unit=1)
    cheap = clv.customer_lifetime_value(m, g, data, horizon_months=12, days_per_unit=1,
                                        monthly_discount_rate=0.0)
    assert np.all(year.to_numpy() < cheap.to_numpy())


# --- CDNOW: published values and lifetimes ---------------------------------------------------

@pytest.fixture(scope="module")
def cdnow():
    path = shared_dataset("cdnow", "CDNOW_sample.txt")
    lines = io.read_transactions(path, preset="cdnow_sample")
    return lines, summary.customer_summary(lines, calibration_end="1997-09-30", time_unit="W")


def test_cdnow_bgnbd_matches_the_paper(cdnow):
    m = clv.BetaGeoModel().fit(cdnow[1])
    # Fader, Hardie & Lee (2005): r = 0.243, alpha = 4.414, a = 0.793, b = 2.426, LL = -9582.4;
    # the Pareto/NBD on the same data: LL = -9595.0
    assert [round(m.params_[k], 3) for k in ("r", "alpha", "a", "b")] == [
        0.243, 4.414, 0.793, 2.426]
    assert round(m.log_likelihood_, 1) == -9582.4
    assert round(clv.ParetoNBDModel().fit(cdnow[1]).log_likelihood_, 1) == -9595.0
    assert len(cdnow[1]) == 2357


def test_cdnow_agrees_with_lifetimes(cdnow):
    lt = pytest.importorskip("lifetimes")
    from lifetimes.utils import summary_data_from_transaction_data

    lines, s = cdnow
    frame = lines.to_pandas()
    frame["value"] = frame["quantity"] * frame["unit_price"]
    ref = summary_data_from_transaction_data(frame, "customer_id", "date", "value",
                                             observation_period_end="1997-09-30", freq="D")
    ref[["recency", "T"]] /= 7
    ref.index = ref.index.astype(int)
    for col in ("frequency", "recency", "T", "monetary_value"):
        np.testing.assert_allclose(s.loc[ref.index, col], ref[col], rtol=1e-9)

    ours = clv.BetaGeoModel().fit(s)
    theirs = lt.BetaGeoFitter().fit(ref["frequency"], ref["recency"], ref["T"])
    for k in ("r", "alpha", "a", "b"):
        assert ours.params_[k] == pytest.approx(theirs.params_[k], rel=1e-3)
    np.testing.assert_allclose(
        ours.expected_purchases(39, s.loc[ref.index]),
        theirs.conditional_expected_number_of_purchases_up_to_time(
            39, ref["frequency"], ref["recency"], ref["T"]), rtol=1e-3)
    np.testing.assert_allclose(
        ours.probability_alive(s.loc[ref.index]),
        theirs.conditional_probability_alive(ref["frequency"], ref["recency"], ref["T"]),
        rtol=1e-3)
    np.testing.assert_allclose(ours.expected_repeat_purchases([1, 10, 52]),
                               theirs.expected_number_of_purchases_up_to_time(
                                   np.array([1, 10, 52])), rtol=1e-3)

    repeat = ref[ref["frequency"] > 0]
    gg = clv.GammaGammaModel().fit(s)
    gg_ref = lt.GammaGammaFitter().fit(repeat["frequency"], repeat["monetary_value"])
    for ours_k, theirs_k in (("p", "p"), ("q", "q"), ("gamma", "v")):
        assert gg.params_[ours_k] == pytest.approx(gg_ref.params_[theirs_k], rel=1e-3)
    np.testing.assert_allclose(
        gg.conditional_expected_average_profit(s.loc[repeat.index]),
        gg_ref.conditional_expected_average_profit(repeat["frequency"],
                                                   repeat["monetary_value"]), rtol=1e-3)

    pn = clv.ParetoNBDModel().fit(s)
    pn_ref = lt.ParetoNBDFitter().fit(ref["frequency"], ref["recency"], ref["T"])
    for k in ("r", "alpha", "s", "beta"):
        assert pn.params_[k] == pytest.approx(pn_ref.params_[k], rel=1e-3)
    np.testing.assert_allclose(
        pn.probability_alive(s.loc[ref.index]),
        pn_ref.conditional_probability_alive(ref["frequency"], ref["recency"], ref["T"]),
        rtol=1e-3)


def test_cdnow_mbgnbd_matches_the_paper_and_lifetimes(cdnow):
    # Batislam, Denizel & Filiztekin (2007) form; on CDNOW's 2,357 customers in weeks
    s = cdnow[1]
    ours = clv.ModifiedBetaGeoModel().fit(s)
    assert [round(ours.params_[k], 3) for k in ("r", "alpha", "a", "b")] == [
        0.525, 6.183, 0.891, 1.614]
    lt = pytest.importorskip("lifetimes")
    theirs = lt.ModifiedBetaGeoFitter().fit(s["frequency"], s["recency"], s["T"])
    for k in ("r", "alpha", "a", "b"):
        assert ours.params_[k] == pytest.approx(theirs.params_[k], rel=1e-3)
    f, r, T = s["frequency"], s["recency"], s["T"]
    np.testing.assert_allclose(ours.probability_alive(s), theirs.conditional_probability_alive(
        f, r, T), rtol=1e-3)
    np.testing.assert_allclose(ours.expected_purchases(39, s),
                               theirs.conditional_expected_number_of_purchases_up_to_time(
                                   39, f, r, T), rtol=1e-3)
    np.testing.assert_allclose(ours.expected_repeat_purchases([1, 10, 52]),
                               theirs.expected_number_of_purchases_up_to_time(
                                   np.array([1, 10, 52])), rtol=1e-3)
    # the point of the model: one purchase long ago is no longer "alive for sure"
    once = pd.DataFrame({"frequency": [0, 0], "recency": [0, 0], "T": [5, 50]})
    p = ours.probability_alive(once)
    assert p.iloc[1] < p.iloc[0] < 1
    assert (clv.BetaGeoModel().fit(s).probability_alive(once) == 1).all()


@pytest.mark.parametrize("model", [clv.BetaGeoModel, clv.ModifiedBetaGeoModel, clv.ParetoNBDModel])
def test_no_runtime_warnings_at_thousands_of_purchases(cdnow, model):
    # lifetimes' test_no_runtime_warnings_high_frequency, and its expectations at 3,000
    m = model().fit(cdnow[1])
    edge = pd.DataFrame({"frequency": [1000, 3000, 3000], "recency": [10, 99.9, 30],
                         "T": [100, 100, 100]})
    old = np.seterr(all="raise")
    try:
        p = m.probability_alive(edge)
        e = m.expected_purchases(10, edge)
    finally:
        np.seterr(**old)
    assert p.iloc[0] == 0.0 and np.isfinite(e).all() and (e >= 0).all()
    assert e.iloc[1] > 100 * e.iloc[2]  # the one who bought till last week buys on


def test_clv_time_unit_travels_with_the_model(cdnow):
    s = cdnow[1]  # in weeks
    kind = pd.Series(np.where(s["frequency"] > 2, "many", "few"), index=s.index, name="kind")
    joined = s.join(kind)
    joined.attrs = {}  # as pandas leaves it after many operations
    bg, gg = clv.BetaGeoModel().fit(s), clv.GammaGammaModel().fit(s)
    assert bg.days_per_unit_ == 7
    total = clv.customer_lifetime_value(bg, gg, s).sum()
    assert clv.customer_lifetime_value(bg, gg, joined).sum() == pytest.approx(total)
    assert 20_000 < total < 23_000  # 21,465 here, not the 80,642 of weeks taken for days
    lost = clv.BetaGeoModel().fit(joined)
    assert lost.days_per_unit_ is None
    with pytest.raises(ValueError, match="time unit .* unknown.*time_unit='W'"):
        clv.customer_lifetime_value(lost, gg, joined)
    told = clv.BetaGeoModel().fit(joined, time_unit="W")
    assert clv.customer_lifetime_value(told, gg, joined).sum() == pytest.approx(total)
    with pytest.raises(ValueError, match="fitted in units of 7 days, not 1"):
        clv.customer_lifetime_value(bg, gg, s, days_per_unit=1)


def test_a_value_that_is_not_a_number_is_refused(cdnow):
    s = cdnow[1]
    bg, gg = clv.BetaGeoModel().fit(s), clv.GammaGammaModel().fit(s)
    bg.params_ = {**bg.params_, "a": 1.0}  # a = 1: the expectation divides by a - 1
    with pytest.raises(ValueError, match="no finite value"):
        clv.customer_lifetime_value(bg, gg, s)


# --- planted truth ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def planted(planted_shop):
    data, lines = planted_shop
    # the generator's purchases are continuous-time events: several a day are real
    s = summary.customer_summary(lines, merge_same_day=False)
    s = clv.join_covariates(s, data.customers, ["customer_type", "acquisition_channel"])
    return data.truth["params"], s


def test_planted_parameters_and_covariate_effects_fall_in_the_fitted_intervals(planted):
    """The shop plants BG/NBD and Gamma-Gamma per customer type and acquisition channel
    (Fader & Hardie 2007's covariates): the covariate models recover every planted effect,
    and the parameters of the reference customers (retail, the reference channel), inside
    their 95% intervals."""
    params, s = planted
    effects = params["covariate_effects"]
    covariates = ["customer_type", "acquisition_channel"]
    bg = clv.BetaGeoModel(purchase_covariates=covariates, dropout_covariates=covariates).fit(s)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", clv.CLVWarning)
        # the shop plants a spend per customer type (retail and wholesale baskets)
        gg = clv.GammaGammaModel(spend_covariates=["customer_type"]).fit(s)
    for model, processes in ((bg, ("purchase", "dropout")), (gg, ("spend",))):
        truth = pd.Series({(p, c): v for p in processes for c, v in effects[p].items()
                           if c in model._designs[p].names_ or p != "spend"})
        coef = model.coefficients_
        assert sorted(coef.index) == sorted(truth.index)
        inside = (coef["ci_low"] <= truth) & (truth <= coef["ci_high"])
        assert inside.all(), coef.assign(truth=truth)
    ci, base = bg.confidence_intervals_, pd.Series(params["bgnbd"]["retail"])
    assert ((ci["lower_95"] <= base) & (base <= ci["upper_95"])).all(), ci.assign(truth=base)
    # the spend of a reference customer: the shop's baskets are built from priced lines, so
    # the Gamma-Gamma shape is near the planted one, its mean spend closer still
    planted_mean = params["gamma_gamma"]["retail"]
    reference = s[s["customer_type"] == "retail"].head(1)
    assert gg.mean_spend(reference) == pytest.approx(
        planted_mean["p"] * planted_mean["gamma"] / (planted_mean["q"] - 1), rel=0.05)
    # the planted contrasts are far from nothing: the intervals exclude zero where they should
    coef = bg.coefficients_
    assert coef.loc[("purchase", "customer_type=wholesale"), "ci_high"] < 0
    assert coef.loc[("dropout", "acquisition_channel=referral"), "ci_high"] < 0
    assert coef.loc[("dropout", "acquisition_channel=social media"), "ci_low"] > 0


def test_large_fits_reach_the_same_optimum_whatever_the_row_order():
    from crmwb.datasets import simulate_summaries

    s = simulate_summaries(250_000, seed=8)
    a = clv.BetaGeoModel().fit(s)
    b = clv.BetaGeoModel().fit(s.sample(frac=1.0, random_state=1))
    for k in a.params_:
        assert a.params_[k] == pytest.approx(b.params_[k], rel=1e-6)
    # with a quarter of a million customers the intervals are narrow
    ci = a.confidence_intervals_
    assert (ci["upper_95"] - ci["lower_95"] < 0.1 * ci["estimate"]).all()


# --- validation ------------------------------------------------------------------------------

def test_holdout_purchases_are_counted_by_day(cdnow):
    lines, _ = cdnow
    s = clv.calibration_holdout(lines, "1997-09-30", "1998-06-30", time_unit="W")
    frame = lines.to_pandas()
    frame["day"] = frame["date"].dt.normalize()
    after = frame[(frame["day"] > "1997-09-30") & (frame["day"] <= "1998-06-30")]
    expected = after.groupby("customer_id")["day"].nunique().reindex(s.index, fill_value=0)
    np.testing.assert_array_equal(s["holdout_purchases"], expected)
    assert s["holdout_duration"].iloc[0] == pytest.approx(273 / 7)
    with pytest.raises(ValueError, match="must be after"):
        clv.calibration_holdout(lines, "1997-09-30", "1997-01-01")


def test_bgnbd_predicts_cdnow_holdout_purchases(cdnow):
    lines, _ = cdnow
    s = clv.calibration_holdout(lines, "1997-09-30", "1998-06-30", time_unit="W")
    model = clv.BetaGeoModel().fit(s)
    errors = clv.holdout_errors(model, s)
    assert errors["correlation"] > 0.5
    assert abs(errors["predicted_total"] / errors["actual_total"] - 1) < 0.2
    ce = clv.conditional_expectations(model, s)
    assert ce["customers"].sum() == len(s)
    # more calibration purchases, more holdout purchases, in the data and in the model
    assert ce["actual"].is_monotonic_increasing and ce["predicted"].is_monotonic_increasing
    track = clv.tracking(model, lines, "1997-09-30", "1998-06-30", time_unit="W")
    calibration = track[~track["holdout"]].iloc[-1]
    assert calibration["actual"] == s["frequency"].sum()
    assert track["expected"].is_monotonic_increasing
    assert abs(track["expected"].iloc[-1] / track["actual"].iloc[-1] - 1) < 0.1


def test_clv_by_group_by_hand():
    values = pd.Series([10.0, 30.0, 100.0, 0.0], index=[1, 2, 3, 4])
    groups = pd.Series(["a", "a", "b", "b"], index=[1, 2, 3, 4])
    table = clv.clv_by_group(values, groups)
    assert table.loc["a", "mean_clv"] == 20 and table.loc["b", "total_clv"] == 100
    # the mean CLV of current customers is not offered as what a new one is worth
    assert "max_acquisition_spend" not in table


def test_value_if_retained_is_the_clv_without_the_chance_of_having_left(cdnow):
    s = cdnow[1]
    for model in (clv.BetaGeoModel, clv.ModifiedBetaGeoModel, clv.ParetoNBDModel):
        purchases, spend = model().fit(s), clv.GammaGammaModel().fit(s)
        expected = clv.customer_lifetime_value(purchases, spend, s)
        retained = clv.customer_lifetime_value(purchases, spend, s, given_alive=True)
        np.testing.assert_allclose(retained * purchases.probability_alive(s), expected,
                                   rtol=1e-9, atol=1e-12)
        gone = purchases.probability_alive(s) < 0.1
        assert (retained[gone] > 5 * expected[gone]).all()


def test_a_new_customer_is_worth_the_first_purchase_and_the_expected_repeats(cdnow):
    s = cdnow[1]
    bg, gg = clv.BetaGeoModel().fit(s), clv.GammaGammaModel().fit(s)
    value = clv.new_customer_value(bg, gg, horizon_months=12, monthly_discount_rate=0.0,
                                   margin=0.3)
    repeats = float(bg.expected_repeat_purchases(365.25 / 7))  # weeks
    assert value == pytest.approx(0.3 * gg.mean_spend() * (1 + repeats))
    current = clv.customer_lifetime_value(bg, gg, s, monthly_discount_rate=0.0)
    assert value != pytest.approx(current.mean(), rel=0.05)  # not the current customers' mean
    bare = pd.DataFrame(s[["frequency", "recency", "T"]].to_numpy(),
                        columns=["frequency", "recency", "T"])  # no record of the unit
    with pytest.raises(ValueError, match="time unit"):
        clv.new_customer_value(clv.BetaGeoModel().fit(bare), gg)


def test_net_clv_deducts_each_customer_s_cost_to_serve_from_the_margin():
    # CLV is net profit (the course): margin on the expected revenue less the cost of
    # serving it, at the customer's own ratio; the median ratio for one without a history
    value = pd.Series([60.0, 60.0, 0.0, 30.0], index=["a", "b", "c", "d"])
    ratio = pd.Series({"a": 0.05, "b": 0.5, "c": 0.2})
    net = clv.net_clv(value, 0.30, ratio)
    assert net["a"] == pytest.approx(60 - 200 * 0.05)
    assert net["b"] == pytest.approx(60 - 200 * 0.5) and net["b"] < 0
    assert net["c"] == 0.0
    assert net["d"] == pytest.approx(30 - 100 * 0.2)  # the median of 0.05, 0.5, 0.2
    assert (net <= value).all()
    with pytest.raises(ValueError, match="margin"):
        clv.net_clv(value, 0.0, ratio)


def test_the_profit_levers_act_on_margin_or_on_the_cost_to_serve():
    value = pd.Series([30.0, 60.0, 3.0])  # margin 0.30: revenue 100, 200, 10
    ratio = pd.Series([0.05, 0.10, 0.60])  # the last costs more to serve than it brings
    levers = clv.profit_levers(value, 0.30, ratio, price=0.10, volume=0.0, channel=0.5,
                               service=0.0)
    today = 93 - (5 + 20 + 6)
    assert levers.loc["today", "net_clv"] == pytest.approx(today)
    assert levers.loc["pricing", "net_clv"] == pytest.approx(today + 31)  # 10% of 310
    assert levers.loc["bundling", "net_clv"] == pytest.approx(today)  # no volume
    assert levers.loc["channels", "net_clv"] == pytest.approx(today + 31 / 2)
    assert levers.loc["cost_to_serve", "change"] == 0
    assert list(levers.index) == ["today", *clv.PROFIT_LEVERS]


def test_a_failed_purchase_fit_values_customers_who_never_leave():
    """Ten customers do not identify BG/NBD's dropout: its values are those of customers
    who never leave, the purchase process alone (an upper bound, marked so)."""
    m = clv.BetaGeoModel().fit(SMALL, time_unit="D")
    assert not m.diagnostics_.ok
    data = SMALL.assign(monetary_value=np.where(SMALL["frequency"] > 0, 20.0, 0.0))
    g = clv.GammaGammaModel()
    g.params_ = {"p": 2.0, "q": 3.0, "gamma": 10.0}
    one = clv.customer_lifetime_value(m, g, data, horizon_months=1, monthly_discount_rate=0.0,
                                      margin=1.0)
    r, alpha = m.params_["r"], m.params_["alpha"]
    never = (r + SMALL["frequency"]) * clv.DAYS_PER_MONTH / (alpha + SMALL["T"])
    np.testing.assert_allclose(one, g.conditional_expected_average_profit(data) * never)
    assert one.attrs["upper_bound"] and np.all(np.isfinite(one))
    # and no more than the model itself would expect of them alive
    alive = m.expected_purchases(clv.DAYS_PER_MONTH, data, given_alive=True)
    assert np.all(never.to_numpy() >= alive.to_numpy() - 1e-9)
