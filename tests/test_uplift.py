"""Uplift modelling: the metrics against curves computed by hand, the leakage rule of the
features, and recovery of the campaign's planted heterogeneous effect."""

import warnings

import numpy as np
import pandas as pd
import pytest

from crmwb import uplift

T, C = True, False


# --- metrics on hand-built cases ----------------------------------------------------------------
def test_qini_curve_by_hand():
    y = [1, 0, 1, 0, 1, 0]
    t = [T, T, C, T, C, C]
    c = uplift.qini_curve(y, t, [6, 5, 4, 3, 2, 1])
    # treated responders minus control responders scaled by treated/control, 0 before a
    # control customer is reached
    assert c["qini"].tolist() == pytest.approx([0, 1, 1, -1, -2, -2, -1])
    assert c["share"].tolist() == pytest.approx([0, 1 / 6, 2 / 6, 3 / 6, 4 / 6, 5 / 6, 1])
    assert c["random"].tolist() == pytest.approx([-k / 6 for k in range(7)])


def test_uplift_curve_and_auuc_by_hand():
    y = [1, 0, 1, 0, 1, 0]
    t = [T, T, C, T, C, C]
    c = uplift.uplift_curve(y, t, [6, 5, 4, 3, 2, 1])
    assert c["uplift"].tolist() == pytest.approx([0, 0, 0, -1.5, -8 / 3, -10 / 3, -2])
    y, t = [1, 0, 0, 1], [T, T, C, C]
    # uplift per customer of the base: 0, 0, 0, 1.5/4, 0 at shares 0, .25, .5, .75, 1
    assert uplift.auuc(y, t, [4, 3, 2, 1]) == pytest.approx(0.25 * 0.375)


def test_ties_enter_together_whatever_their_order():
    y, t = [1, 0, 0, 1], [T, C, T, C]
    c = uplift.qini_curve(y, t, [2, 2, 1, 1])
    assert c["targeted"].tolist() == [0, 2, 4]
    assert c["qini"].tolist() == pytest.approx([0, 1, 0])
    swapped = uplift.qini_curve([0, 1, 1, 0], [C, T, C, T], [2, 2, 1, 1])
    assert swapped["qini"].tolist() == pytest.approx(c["qini"].tolist())


def test_qini_coefficient_by_hand():
    y, t = [1, 0, 0, 1], [T, T, C, C]
    # the perfect ranking (treated responder first, control responder last) has area .75;
    # this ranking reaches it too, and its reverse has area -0.125
    assert uplift.qini_coefficient(y, t, [4, 3, 2, 1]) == pytest.approx(1.0)
    assert uplift.qini_coefficient(y, t, [1, 2, 3, 4]) == pytest.approx(-0.125 / 0.75)
    assert uplift.qini_coefficient(y, t, [0, 0, 0, 0]) == pytest.approx(0.0)


def test_uplift_by_decile_counts_and_rates():
    y = np.array([1, 0, 1, 1, 0, 0, 1, 0, 0, 0])
    t = np.array([T, C, T, C, T, C, T, C, T, C])
    d = uplift.uplift_by_decile(y, t, np.arange(10, 0, -1), deciles=2, true_uplift=np.ones(10))
    assert d["customers"].tolist() == [5, 5] and d["treated"].tolist() == [3, 2]
    assert d.loc[1, "treated_rate"] == pytest.approx(2 / 3)
    assert d.loc[1, "control_rate"] == pytest.approx(1 / 2)
    assert d.loc[2, "observed_uplift"] == pytest.approx(1 / 2 - 0)
    assert d["true_uplift"].tolist() == [1, 1]


def test_metrics_refuse_missing_scores():
    with pytest.raises(ValueError, match="missing"):
        uplift.qini_curve([1, 0], [T, C], [0.5, np.nan])


def test_targeting_profit_measures_each_policy_on_the_experiment():
    # two persuadable customers (a treated responder and a control non-responder) ranked
    # first, then a sure thing pair (both respond)
    y = np.array([1, 0, 1, 1])
    t = np.array([T, C, T, C])
    u = np.array([0.5, 0.5, 0.0, 0.0])
    p = uplift.targeting_profit(y, t, u, value=10.0, cost=1.0, risk=[0.1, 0.2, 0.9, 0.8],
                                true_uplift=[0.5, 0.5, 0.0, 0.0])
    assert p.loc["by uplift", "contacted"] == 2
    assert p.loc["by uplift", "profit"] == pytest.approx(2 * (10 - 0) - 2)
    assert p.loc["the riskiest", "profit"] == pytest.approx(2 * (10 - 10) - 2)
    assert p.loc["everyone", "profit"] == pytest.approx(4 * (10 - 5) - 4)
    assert p.loc["no one", "profit"] == 0
    assert p.loc["by uplift", "true_profit"] == pytest.approx(0.5 * 10 * 2 - 2)
    unplaced = uplift.targeting_profit(y, t, u, value=10.0, cost=1.0,
                                       true_uplift=[0.5, np.nan, 0.0, 0.0])
    assert unplaced.loc["by uplift", "true_profit"] == pytest.approx(0.5 * 10 - 2)


# --- models ---------------------------------------------------------------------------------------
def _toy(n=6000, seed=0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"recency": rng.uniform(0, 1, n), "noise": rng.normal(size=n),
                      "city": rng.choice(["Tehran", "Karaj"], n)})
    tau = np.where(X["recency"] > 0.5, 0.3, 0.0) - 0.1 * (X["city"] == "Karaj")
    t = rng.random(n) < 0.5
    y = rng.random(n) < 0.15 + tau * t
    return X, pd.Series(t), pd.Series(y), tau


@pytest.mark.parametrize("method", ["t", "x"])
def test_models_find_who_the_contact_moves(method):
    X, t, y, tau = _toy()
    u = uplift.cross_fit_predict(uplift.UpliftModel(method, seed=1), X, t, y)
    assert u.notna().all() and np.corrcoef(u, tau)[0, 1] > 0.7
    # the realised outcomes' perfect ranking is out of any model's reach: the true effect's
    # own ranking is the yardstick
    best = uplift.qini_coefficient(y, t, tau)
    assert uplift.qini_coefficient(y, t, u) > 0.8 * best
    assert uplift.qini_coefficient(y, t, X["noise"]) < 0.3 * best


def test_models_are_seeded():
    X, t, y, _ = _toy(2000)
    a = uplift.UpliftModel("x", seed=3).fit(X, t, y).predict(X)
    b = uplift.UpliftModel("x", seed=3).fit(X, t, y).predict(X)
    assert np.array_equal(a, b)


def test_model_refuses_a_campaign_without_a_control_group():
    X, t, y, _ = _toy(500)
    with pytest.raises(ValueError, match="control"):
        uplift.UpliftModel("t").fit(X, pd.Series(True, index=t.index), y)
    with pytest.raises(ValueError, match="method"):
        uplift.UpliftModel("s")


# --- features: the leakage rule ------------------------------------------------------------------
def _history():
    lines = pd.DataFrame({
        "invoice_id": ["1", "2", "3", "4", "5", "6"],
        "customer_id": [1, 1, 2, 2, 3, 1],
        "date": pd.to_datetime(["2025-01-01", "2025-03-01", "2025-02-01", "2025-05-30",
                                "2025-04-01", "2025-06-01"]),
        "product": ["a"] * 6, "quantity": [1] * 6,
        "unit_price": [10.0, 20.0, 5.0, 5.0, 8.0, 99.0],
    })
    campaigns = pd.DataFrame({
        "customer_id": [1, 2, 3], "campaign_id": "K",
        "date": pd.to_datetime(["2025-06-01"] * 3),
        "group": ["treatment", "control", "treatment"],
        "responded": [True, False, False], "revenue": [99.0, 0.0, 0.0], "cost": [0.3, 0, 0.3]})
    contacts = pd.DataFrame({
        "customer_id": [1, 1, 2], "date": pd.to_datetime(["2025-02-01T00:00", "2025-06-01T18:00",
                                                          "2025-05-01T00:00"]),
        "channel": "phone", "kind": ["question", "complaint", "request"], "category": "price",
        "severity": 2, "resolved_date": pd.to_datetime(["2025-02-02T00:00", "2025-06-04T00:00",
                                                        "2025-05-02T00:00"])})
    return lines, campaigns, contacts


def test_features_know_only_what_came_before_the_campaign():
    lines, campaigns, contacts = _history()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        X, t, y = uplift.uplift_dataset(lines, campaigns, contacts=contacts)
    assert X.attrs["cutoff"] == pd.Timestamp("2025-05-31")
    # customer 1's purchase of 99 and complaint on the campaign's day came after the
    # contact: neither is a feature
    assert X.loc[1, "revenue"] == 30 and X.loc[1, "invoices"] == 2
    assert X.loc[1, "contacts"] == 1 and X.loc[1, "complaints"] == 0
    assert X.loc[2, "contacts"] == 1 and X.loc[2, "days_since_last_purchase"] == 1
    assert not {"responded", "revenue_response", "group", "cost"} & set(X.columns)
    assert t.tolist() == [True, False, True] and y.tolist() == [True, False, False]


def test_a_cutoff_on_the_campaign_day_is_refused():
    lines, campaigns, contacts = _history()
    with pytest.raises(ValueError, match="cutoff 2025-06-01.*set cutoff to 2025-05-31"):
        uplift.uplift_dataset(lines, campaigns, cutoff="2025-06-01")


def test_every_campaign_customer_keeps_a_row():
    lines, campaigns, _ = _history()
    campaigns = pd.concat([campaigns, campaigns.iloc[[0]].assign(customer_id=9)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        X, t, y = uplift.uplift_dataset(lines, campaigns)
    assert list(X.index) == [1, 2, 3, 9] and X.loc[9].drop("purchases_overdue").isna().all()


def test_a_missing_response_is_refused_not_read_as_one():
    lines, campaigns, _ = _history()
    campaigns["responded"] = campaigns["responded"].astype(object)
    campaigns.loc[1, "responded"] = None
    with pytest.raises(ValueError, match="1 customers have no 'responded'.*instance 2"):
        uplift.uplift_dataset(lines, campaigns)


def test_one_person_twice_in_a_campaign_counts_once_or_not_at_all():
    # after identity resolution, customer 1's second record (treated, no response) and
    # customer 2's second record (treated, while the first was control) share their ids
    lines, campaigns, _ = _history()
    twice = pd.concat([campaigns.assign(responded=[False, False, False], revenue=0.0),
                       campaigns.iloc[[0, 1]].assign(group="treatment", responded=True,
                                                     revenue=[40.0, 10.0])])
    with pytest.warns(UserWarning, match="2 customers appear more than once.*1 in one group"
                      ".*1 in both groups are left out"):
        X, t, y = uplift.uplift_dataset(lines, twice, outcome="revenue")
    assert list(X.index) == [1, 3] and t.tolist() == [True, True]
    assert y.tolist() == [40.0, 0.0]  # customer 1's records: their revenue added


# --- the synthetic shop's planted heterogeneity -------------------------------------------------
@pytest.fixture(scope="module")
def campaign(planted_shop):
    data, lines = planted_shop
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        X, t, y = uplift.uplift_dataset(lines, data.campaigns, customers=data.customers,
                                        contacts=data.contacts, surveys=data.surveys)
    truth = data.truth["campaign"].set_index("customer_id")["true_uplift"].reindex(X.index)
    return X, t, y, truth


def test_the_planted_effect_is_heterogeneous(planted_shop):
    kinds = planted_shop[0].truth["campaign"].groupby("kind")["true_uplift"].mean()
    assert kinds["persuadable"] > 0.15 and kinds["do not disturb"] < -0.02
    assert abs(kinds["sure thing"]) < 0.06 and abs(kinds["lost cause"]) < 0.01


@pytest.mark.parametrize("method", ["t", "x"])
def test_the_top_decile_holds_twice_the_average_true_uplift(campaign, method):
    X, t, y, truth = campaign
    assert truth.notna().all()
    u = uplift.cross_fit_predict(uplift.UpliftModel(method), X, t, y)
    d = uplift.uplift_by_decile(y, t, u, true_uplift=truth)
    assert d["true_uplift"].iloc[0] >= 2 * truth.mean(), d
    assert uplift.qini_coefficient(y, t, u) > 0.05


def test_targeting_by_uplift_beats_targeting_by_risk(campaign):
    X, t, y, truth = campaign
    u = uplift.cross_fit_predict(uplift.UpliftModel("x"), X, t, y)
    value = 0.3 * X["revenue"] / X["invoices"]
    p = uplift.targeting_profit(y, t, u, value, cost=0.3, risk=1 - X["p_alive"],
                                true_uplift=truth)
    assert p.loc["by uplift", "true_profit"] > p.loc["the riskiest", "true_profit"] + 500
    assert p.loc["by uplift", "profit"] > p.loc["the riskiest", "profit"]
    # the measured profit's 95% bootstrap interval is around it, and wide: the responses'
    # value is noisy
    assert (p["profit_low"] <= p["profit"]).all() and (p["profit"] <= p["profit_high"]).all()
    assert (p.loc["everyone", "profit_high"] - p.loc["everyone", "profit_low"]) > 1000


def test_truth_gives_each_customer_s_planted_uplift(planted_shop):
    from crmwb.truth import Truth

    data = planted_shop[0]
    truth = Truth(data.truth["params"], data.truth["customers"], data.truth["identity"],
                  campaign=data.truth["campaign"])
    ids = data.campaigns["customer_id"]
    u = truth.campaign_uplift(ids)
    assert u.notna().all()
    assert u.mean() == pytest.approx(data.truth["params"]["campaign"]["average_uplift"])
    assert Truth(data.truth["params"]).campaign_uplift(ids) is None


def test_a_large_campaign_is_learnt_from_a_stratified_sample():
    X, t, y, tau = _toy(6000)
    m = uplift.UpliftModel("t", seed=2, max_fit_customers=2000).fit(X, t, y)
    full = uplift.UpliftModel("t", seed=2, max_fit_customers=None).fit(X, t, y)
    assert m.mu1_[-1].n_features_in_ == full.mu1_[-1].n_features_in_
    assert abs(m.share_treated_ - t.mean()) < 1e-12
    u = m.predict(X)
    assert len(u) == 6000 and np.corrcoef(u, tau)[0, 1] > 0.5
    assert not np.allclose(u, full.predict(X))  # learnt from the sample, not from all
    again = uplift.UpliftModel("t", seed=2, max_fit_customers=2000).fit(X, t, y).predict(X)
    assert np.array_equal(u, again)  # the same seeded sample
