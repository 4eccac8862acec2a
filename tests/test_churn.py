"""Churn: labels, the leakage guard, models against baselines, deciles and targeting."""

import numpy as np
import pandas as pd
import pytest
from conftest import shared_dataset

from crmwb import churn, io


def lines(rows):
    df = pd.DataFrame(rows, columns=["invoice_id", "customer_id", "date", "product_id",
                                     "quantity", "unit_price"])
    df["date"] = pd.to_datetime(df["date"])
    return df


ROWS = [
    ("1", 1, "2024-01-10", "A", 1, 10.0),   # active, comes back within the horizon
    ("2", 1, "2024-03-20", "A", 1, 10.0),
    ("3", 2, "2024-01-05", "A", 1, 10.0),   # active, comes back too late: churned
    ("4", 2, "2024-06-15", "A", 1, 10.0),
    ("5", 3, "2022-01-01", "A", 1, 10.0),   # not active at the cutoff: no label
    ("6", 3, "2024-03-01", "A", 1, 10.0),   # ... even though it buys after
    ("7", 4, "2024-03-31", "A", 1, 10.0),   # bought on the cutoff day itself, never again
]


def test_labels_by_hand():
    y = churn.churn_labels(lines(ROWS), "2024-01-31", horizon_days=60, active_days=365)
    assert y.to_dict() == {1: False, 2: True}
    y = churn.churn_labels(lines(ROWS), "2024-03-31", horizon_days=90, active_days=365)
    assert y.to_dict() == {1: True, 2: False, 3: True, 4: True}


def test_features_do_not_move_when_everything_after_the_cutoff_changes(crm_data, clean_lines):
    cutoff = pd.Timestamp("2025-03-31")
    tables = dict(customers=crm_data.customers, contacts=crm_data.contacts,
                  surveys=crm_data.surveys)
    before = churn.churn_features(clean_lines, cutoff, **tables)

    rng = np.random.default_rng(0)
    after = clean_lines["date"] >= cutoff + pd.Timedelta(days=1)
    changed = clean_lines.copy()
    changed.loc[after, "quantity"] = rng.integers(1, 50, after.sum())
    changed.loc[after, "unit_price"] = rng.uniform(1, 500, after.sum())
    changed.loc[after, "customer_id"] = rng.permutation(changed.loc[after, "customer_id"])
    changed = changed.drop(changed.index[after][::3])
    contacts = crm_data.contacts.copy()
    late = contacts["date"] >= cutoff + pd.Timedelta(days=1)
    contacts.loc[late, "customer_id"] = rng.permutation(contacts.loc[late, "customer_id"])
    # resolutions after the cutoff were unknown at the cutoff: move them all
    resolved_late = contacts["resolved_date"] >= cutoff + pd.Timedelta(days=1)
    contacts.loc[resolved_late, "resolved_date"] += pd.Timedelta(days=40)
    surveys = crm_data.surveys.copy()
    late_s = surveys["date"] >= cutoff + pd.Timedelta(days=1)
    surveys.loc[late_s, "csat"] = 1

    again = churn.churn_features(changed, cutoff, customers=crm_data.customers,
                                 contacts=contacts, surveys=surveys)
    assert (~after).sum() > 1000 and after.sum() > 1000
    pd.testing.assert_frame_equal(before, again)


def test_decile_table_by_hand():
    y = [1, 1, 1, 0, 1, 0, 0, 0, 0, 0]
    score = np.linspace(1, 0, 10)
    table = churn.decile_table(y, score, deciles=5)
    assert table["customers"].tolist() == [2] * 5
    assert table["churners"].tolist() == [2, 1, 1, 0, 0]
    assert table["lift"].tolist() == pytest.approx([2.5, 1.25, 1.25, 0, 0])
    assert table["cumulative_capture"].tolist() == pytest.approx([0.5, 0.75, 1, 1, 1])


def test_gains_reach_every_churner():
    gains = churn.gains_table([0, 1, 0, 1], [0.1, 0.9, 0.2, 0.8])
    assert gains["captured_share"].tolist() == [0.5, 1.0, 1.0, 1.0]
    assert gains["lift"].iloc[0] == pytest.approx(2.0)


def test_profit_curve_by_hand(tmp_path):
    risk = pd.Series([0.9, 0.5, 0.1], index=[11, 12, 13])
    value = pd.Series([100.0, 300.0, 1000.0], index=[11, 12, 13])
    curve = churn.profit_curve(risk, value, offer_cost=10, acceptance_rate=0.5)
    # no incentive: gain = risk x 0.5 x value - 10: 12 (65), 13 (40), 11 (35)
    assert curve["customer_id"].tolist() == [12, 13, 11]
    assert curve["expected_gain"].tolist() == pytest.approx([65, 40, 35])
    assert curve["cumulative_profit"].tolist() == pytest.approx([65, 105, 140])
    assert curve.attrs["best_k"] == 3
    # an incentive of 20 goes to every acceptor, the 90% of customer 13 who would stay included
    paid = churn.profit_curve(risk, value, offer_cost=10, acceptance_rate=0.5, incentive_cost=20)
    assert paid["customer_id"].tolist() == [12, 11, 13]
    assert paid["expected_gain"].tolist() == pytest.approx([
        0.5 * 0.5 * 280 - 0.5 * 20 - 10, 0.9 * 0.5 * 80 - 0.1 * 20 - 10,
        0.1 * 0.5 * 980 - 0.9 * 20 - 10])
    half = churn.profit_curve(risk, value, 10, 0.5, incentive_cost=20, stayer_acceptance=0.5)
    assert half.set_index("customer_id").loc[13, "expected_gain"] == pytest.approx(
        49 - 0.9 * 0.5 * 20 - 10)
    costly = churn.profit_curve(risk, value, offer_cost=60, acceptance_rate=0.5)
    assert costly.attrs["best_k"] == 1
    nothing = churn.profit_curve(risk, 1.0, offer_cost=60)
    assert nothing.attrs["best_k"] == 0
    with pytest.raises(ValueError, match="acceptance_rate is a share"):
        churn.profit_curve(risk, value, acceptance_rate=30)
    out = tmp_path / "contact" / "list.csv"
    chosen = churn.contact_list(costly, out)
    assert pd.read_csv(out)["customer_id"].tolist() == chosen["customer_id"].tolist() == [12]


def test_fit_sample_keeps_the_churn_rate_and_is_reproducible():
    rng = np.random.default_rng(0)
    x = pd.DataFrame({"a": rng.normal(size=10_000)}, index=rng.permutation(10_000) + 7)
    y = pd.Series(rng.random(10_000) < 0.3, index=x.index)
    xs, ys = churn.fit_sample(x, y, 2_000, seed=3)
    assert len(xs) == len(ys) == 2_000
    assert xs.index.equals(ys.index) and xs.index.isin(x.index).all()
    assert abs(ys.mean() - y.mean()) < 1 / 2_000 + 1e-12  # stratified: the rate kept
    assert list(x.index.get_indexer(xs.index)) == sorted(x.index.get_indexer(xs.index))
    again, _ = churn.fit_sample(x, y, 2_000, seed=3)
    assert again.index.equals(xs.index)
    other, _ = churn.fit_sample(x, y, 2_000, seed=4)
    assert not other.index.equals(xs.index)
    for n in (0, None, 10_000, 20_000):
        same_x, same_y = churn.fit_sample(x, y, n)
        assert same_x is x and same_y is y
    with pytest.raises(ValueError, match="max_customers"):
        churn.fit_sample(x, y, -5)


def test_churn_risk_learns_from_a_sample_and_scores_everyone(crm_data, clean_lines,
                                                            monkeypatch):
    fitted_rows = []
    fit = churn.CalibratedClassifierCV.fit

    def spy(self, x, y, **kw):
        fitted_rows.append(len(x))
        return fit(self, x, y, **kw)

    monkeypatch.setattr(churn.CalibratedClassifierCV, "fit", spy)
    as_of = pd.Timestamp("2025-06-30")
    tables = dict(customers=crm_data.customers, contacts=crm_data.contacts)
    whole = churn.churn_risk(clean_lines, as_of, seed=1, max_fit_customers=0, **tables)
    sampled = churn.churn_risk(clean_lines, as_of, seed=1, max_fit_customers=300, **tables)
    assert fitted_rows[0] > 300 and fitted_rows[1] == 300
    assert sampled.index.equals(whole.index) and sampled.notna().all()  # everyone scored
    assert not np.allclose(sampled, whole)  # and by a model of its own
    again = churn.churn_risk(clean_lines, as_of, seed=1, max_fit_customers=300, **tables)
    pd.testing.assert_series_equal(again, sampled)


def test_cross_validate_takes_raw_mixed_features():
    rng = np.random.default_rng(1)
    n = 400
    risk = rng.normal(size=n)
    x = pd.DataFrame({
        "days_since_last_purchase": rng.integers(1, 300, n).astype(float),
        "signal": risk,
        "plan": np.where(risk > 0.5, "basic", "premium"),
        "noise": rng.normal(size=n),
    })
    x.loc[::7, "signal"] = np.nan
    x.loc[::11, "plan"] = None
    y = (risk + rng.normal(scale=0.5, size=n)) > 0
    table = churn.cross_validate(x, y, cv=5)
    assert set(table.index) == {"logistic regression", "gradient boosting", "recency"}
    assert list(table.columns) == ["roc_auc", "pr_auc", "brier"]
    assert table.loc["logistic regression", "roc_auc"] > 0.8
    assert table.loc["recency", "roc_auc"] < 0.65  # recency is noise here
    with pytest.raises(ValueError, match="single class"):
        churn.cross_validate(x, np.zeros(n, bool))


def test_models_take_a_text_column_of_many_levels():
    """Sixty cities one-hot encode to a sparse matrix, which gradient boosting refuses."""
    rng = np.random.default_rng(2)
    n = 3000
    city = rng.integers(0, 60, n)
    risk = rng.normal(size=n) + (city % 3 == 0)
    x = pd.DataFrame({"days_since_last_purchase": rng.integers(1, 300, n).astype(float),
                      "signal": risk, "city": [f"city {c}" for c in city]})
    y = (risk + rng.normal(scale=0.5, size=n)) > 0.5
    table = churn.cross_validate(x, y, cv=3)
    assert table.loc["gradient boosting", "roc_auc"] > 0.8
    half = n // 2
    comparison, preds, fitted = churn.time_split(x[:half], y[:half], x[half:], y[half:])
    assert comparison.loc["gradient boosting", "roc_auc"] > 0.8
    imp = churn.importance(fitted["gradient boosting"], x[half:], y[half:])
    assert imp.index[0] == "signal"


@pytest.fixture(scope="module")
def generated():
    from crmwb.datasets import make_crm_data

    data = make_crm_data(3000, seed=21)
    ds = io.Dataset(source=None, transactions=io.read_transactions(data.transactions),
                    customers=data.customers, contacts=data.contacts, surveys=data.surveys)
    from crmwb import cleaning

    clean = cleaning.clean_dataset(ds)
    tables = dict(customers=data.customers, contacts=data.contacts, surveys=data.surveys)
    train = churn.churn_dataset(clean.lines, "2025-06-30", 90, **tables)
    test = churn.churn_dataset(clean.lines, "2025-09-30", 90, **tables)
    return train, test


def test_models_beat_both_naive_baselines_on_a_later_cutoff(generated):
    (x_train, y_train), (x_test, y_test) = generated
    table, preds, _ = churn.time_split(x_train, y_train, x_test, y_test, seed=0)
    for model in ("logistic regression", "gradient boosting"):
        assert table.loc[model, "roc_auc"] > table.loc["recency", "roc_auc"] + 0.015
        assert table.loc[model, "brier"] < table.loc["recency", "brier"]
    # P(alive) knows the planted purchase process; only the complaints' handling, which few
    # customers (the silent majority) give, adds to it: the best model beats it, narrowly
    best = table.loc[["logistic regression", "gradient boosting"], "roc_auc"].idxmax()
    assert table.loc[best, "roc_auc"] > table.loc["p_alive", "roc_auc"]
    assert table.loc[best, "brier"] < table.loc["p_alive", "brier"]
    deciles = churn.decile_table(preds["churned"], preds["gradient boosting"])
    assert deciles["churn_rate"].iloc[0] > deciles["churn_rate"].iloc[-1]


def test_planted_drivers_raise_risk(generated):
    (x_train, y_train), _ = generated
    coef = churn.logistic_coefficients(x_train, y_train)
    assert coef["complaints_unresolved"] > 0
    assert coef["mean_days_to_resolve"] > 0
    assert coef["complaints_slow"] > 0
    # and the churn rate is higher among customers with a slow or unresolved complaint
    troubled = (x_train["complaints_slow"] > 0) | (x_train["complaints_unresolved"] > 0)
    assert y_train[troubled].mean() > y_train[~troubled].mean() + 0.1


def test_kaplan_meier_by_hand():
    km = churn.kaplan_meier([1, 2, 2, 3, 4], [True, True, False, True, False])
    # at 1: 5 at risk, 1 leaves; at 2: 4 at risk, 1 leaves (one censored); at 3: 2 at risk, 1
    got = km.set_index("time")["retention"]
    assert got[0] == 1.0
    assert got[1] == pytest.approx(4 / 5)
    assert got[2] == pytest.approx(4 / 5 * 3 / 4)
    assert got[3] == pytest.approx(4 / 5 * 3 / 4 * 1 / 2)


def test_telco_cross_validated_auc_matches_published_results():
    folder = shared_dataset("telco_churn")
    subs = io.read_subscriptions(next(folder.glob("*.csv")), preset="telco_churn")
    table = churn.cross_validate(subs.drop(columns=["customer_id", "churned"]),
                                 subs["churned"], cv=5)
    assert table.loc["logistic regression", "roc_auc"] > 0.83
    km = churn.kaplan_meier(subs["tenure"], subs["churned"], subs["contract"])
    at_24 = km[km["time"] <= 24].groupby("group")["retention"].last()
    assert at_24["month-to-month"] < at_24["one year"] < at_24["two year"]


def test_windows_refuse_an_evaluation_that_overlaps_training_or_is_not_over_yet():
    train_at, test_at = churn.windows("2024-12-31", 90)
    assert test_at - train_at == pd.Timedelta(days=90)
    with pytest.raises(ValueError, match="test_cutoff 2024-08-01 .*horizon_days=90.*train_cutoff"):
        churn.windows("2024-12-31", 90, train_cutoff="2024-07-01", test_cutoff="2024-08-01")
    with pytest.raises(ValueError, match="test_cutoff 2024-11-30 .*not known yet.*2024-10-02"):
        churn.windows("2024-12-31", 90, train_cutoff="2024-06-01", test_cutoff="2024-11-30")
    assert churn.windows("2024-12-31", 30, "2024-01-31", "2024-03-01")[1] == pd.Timestamp(
        "2024-03-01")


def test_a_missing_label_is_an_error_not_a_churner(monkeypatch):
    data = lines(ROWS)
    labels = churn.churn_labels(data, "2024-03-31", 90, 365)
    monkeypatch.setattr(churn, "churn_labels", lambda *a, **k: labels.drop(labels.index[0]))
    with pytest.raises(ValueError, match="no churn label .*for instance 1"):
        churn.churn_dataset(data, "2024-03-31", 90, 365)


def test_the_best_model_is_chosen_among_models_even_when_a_baseline_wins():
    cv = pd.DataFrame({"roc_auc": [0.70, 0.74, 0.80, 0.60], "brier": [0.20, 0.21, 0.15, 0.3]},
                      index=["logistic regression", "gradient boosting", "recency", "p_alive"])
    assert churn.choose_model(cv) == "gradient boosting"
    assert churn.choose_model(cv, "brier") == "logistic regression"
    with pytest.raises(ValueError, match="no model"):
        churn.choose_model(cv.loc[["recency"]])


def test_a_baseline_ranks_by_its_meaning_even_where_the_training_window_runs_backwards():
    # in the training window the longest-absent customers happened to stay
    recency_train = np.arange(100.0)
    stayed_long_absent = recency_train < 50
    recency_test = np.array([5.0, 60.0, 90.0])
    p = churn._as_probability(recency_train, stayed_long_absent, recency_test)
    assert p[0] < p[1] < p[2]  # longer since the last purchase: more risk, always


def test_cdnow_p_alive_baseline_is_better_than_chance():
    # BG/NBD says P(alive) = 1 for everyone who never came back (they churn at 95% on
    # CDNOW) and a refitted direction turned the rule around: ROC-AUC 0.28
    path = shared_dataset("cdnow", "CDNOW_sample.txt")
    data = io.read_transactions(path, preset="cdnow_sample")
    x_train, y_train = churn.churn_dataset(data, "1998-01-01", 90, 365)
    x_test, y_test = churn.churn_dataset(data, "1998-04-01", 90, 365)
    once = x_test["frequency"] == 0
    assert (x_test.loc[once, "p_alive"] < 1).all()  # MBG/NBD: one purchase can be the last
    table, _, _ = churn.time_split(x_train, y_train, x_test, y_test, seed=0)
    assert table.loc["p_alive", "roc_auc"] > 0.6
    assert table.loc["recency", "roc_auc"] > 0.6


def test_a_nearly_constant_feature_does_not_explode_when_standardised():
    # Online Retail: P(alive) had a training spread of 2e-11 and a test spread of 1e-3; once
    # standardised, the logistic regression predicted churn 1.0 for everyone (ROC-AUC 0.500)
    rng = np.random.default_rng(0)

    def window(n, spread):
        days = rng.uniform(0, 300, n)
        churned = rng.random(n) < 1 / (1 + np.exp(-(days - 150) / 40))
        x = pd.DataFrame({"days_since_last_purchase": days,
                          "p_alive": 1 - spread * rng.random(n)})
        return x, pd.Series(churned)

    x_train, y_train = window(1500, 2e-11)
    x_test, y_test = window(1500, 1e-3)
    table, preds, _ = churn.time_split(x_train, y_train, x_test, y_test, seed=0)
    assert table.loc["logistic regression", "roc_auc"] > 0.75
    assert preds["logistic regression"].std() > 0.05  # not one probability for everyone
    # the near-constant rule is no baseline: it cannot rank anyone
    assert "p_alive" not in table.index


def test_near_constant_columns_are_dropped_before_scaling():
    d = churn.NearConstantDropper().fit(np.array([[3.0, 1.0, 0.0], [3.0, 1.0 + 1e-13, 5.0]]))
    assert d.keep_.tolist() == [False, False, True]
    assert d.get_feature_names_out(["a", "b", "c"]).tolist() == ["c"]


def test_a_model_that_loses_to_its_baseline_is_not_what_a_campaign_uses():
    table = pd.DataFrame({"roc_auc": [0.500, 0.728, 0.684]},
                         index=["logistic regression", "gradient boosting", "recency"])
    v = churn.verdict(table, "logistic regression")
    assert not v["beats_baseline"] and v["use"] == "gradient boosting" and not v["chance"]
    v = churn.verdict(table.drop(index="gradient boosting"), "logistic regression")
    assert v["use"] == "recency"
    weak = pd.DataFrame({"roc_auc": [0.52, 0.51]}, index=["gradient boosting", "recency"])
    v = churn.verdict(weak, "gradient boosting")
    assert v["beats_baseline"] and v["chance"]


def test_a_rule_scores_customers_in_its_own_direction():
    x_last = pd.DataFrame({"days_since_last_purchase": [5.0, 50, 100, 200, 300, 10]})
    y_last = [False, False, True, True, True, False]
    x_now = pd.DataFrame({"days_since_last_purchase": [1.0, 400.0]}, index=["a", "b"])
    risk = churn.score_now("recency", x_last, y_last, x_now)
    assert risk["b"] > risk["a"] and list(risk.index) == ["a", "b"]


def test_p_alive_is_no_feature_when_its_model_fails(tmp_path):
    # a year of buyers who never leave: MBG/NBD cannot tell a customer who left from a slow
    # buyer, so its P(alive) is not a feature
    rng = np.random.default_rng(3)
    rows = []
    for c in range(400):
        rate = rng.gamma(0.8, 1 / 20)
        for day in np.flatnonzero(rng.random(300) < rate):
            rows.append((f"{c}-{day}", c, pd.Timestamp("2024-01-01") + pd.Timedelta(days=int(day)),
                         "A", 1, 10.0))
    x = churn.churn_features(lines(rows), "2024-09-01")
    assert "p_alive" not in x.columns
    assert x.attrs["p_alive_fit"] is not None and not x.attrs["p_alive_fit"].ok
