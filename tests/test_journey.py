"""The customer journey, counted on a hand-built history of five customers."""

import numpy as np
import pandas as pd
import pytest

from crmwb import journey


def day(d: int, hour: int = 10) -> pd.Timestamp:
    return pd.Timestamp("2025-01-01") + pd.Timedelta(days=d - 1, hours=hour)


@pytest.fixture(scope="module")
def history():
    # customer 1: buys on days 1, 10, 20; complains by phone on 12, resolved on 14; an
    #   unhappy survey on 15
    # customer 2: buys on 2, asks by email on 3, receives the campaign on 30
    # customer 3: buys on 5, 6 and 7; in the campaign's control group (no contact)
    # customer 4: buys two lines of one invoice on 1, again on 40, a request by chat on 41
    # customer 5: asks a question on 1 before buying on 3, a happy survey on 4
    purchases = [(1, "a", 1), (1, "b", 10), (1, "c", 20), (2, "d", 2), (3, "e", 5),
                 (3, "f", 6), (3, "g", 7), (4, "h", 1), (4, "h", 1), (4, "i", 40), (5, "j", 3)]
    lines = pd.DataFrame({
        "invoice_id": [p[1] for p in purchases], "customer_id": [p[0] for p in purchases],
        "date": [day(p[2]) for p in purchases], "product_id": "x", "quantity": 1,
        "unit_price": 5.0})
    lines = pd.concat([lines, pd.DataFrame({  # a cancellation is not a touchpoint
        "invoice_id": ["Cz"], "customer_id": [2], "date": [day(4)], "product_id": ["x"],
        "quantity": [-1], "unit_price": [5.0]})], ignore_index=True)
    contacts = pd.DataFrame({
        "customer_id": [1, 2, 4, 5], "date": [day(12), day(3), day(41), day(1, 8)],
        "channel": ["phone", "email", "chat", "email"],
        "kind": ["complaint", "question", "request", "question"], "category": "price",
        "severity": 2, "resolved_date": [day(14), day(3, 12), pd.NaT, day(1, 9)]})
    surveys = pd.DataFrame({"customer_id": [1, 5], "date": [day(15), day(4)], "csat": [2, 5],
                            "nps": [3, 9]})
    campaigns = pd.DataFrame({"customer_id": [2, 3], "campaign_id": "K",
                              "date": [day(30, 0), day(30, 0)],
                              "group": ["treatment", "control"], "responded": False,
                              "revenue": 0.0, "cost": [0.3, 0.0]})
    return lines, contacts, surveys, campaigns


def _events(history, **kw):
    lines, contacts, surveys, campaigns = history
    ev = journey.touchpoints(lines, contacts, surveys, campaigns, **kw)
    return ev, ev.to_pandas().sort_values(["customer_id", "step"])


def test_each_customer_s_touchpoints_in_order(history):
    _, ev = _events(history)
    paths = ev.groupby("customer_id")["touchpoint"].agg(list).to_dict()
    assert paths == {
        1: ["first_purchase", "repeat_purchase", "complaint", "complaint_resolved",
            "survey_dissatisfied", "repeat_purchase"],
        2: ["first_purchase", "question", "campaign_offer"],
        3: ["first_purchase", "repeat_purchase", "repeat_purchase"],
        4: ["first_purchase", "repeat_purchase", "request"],
        5: ["question", "first_purchase", "survey_satisfied"],
    }
    assert ev.groupby("customer_id")["step"].agg(list)[1] == [1, 2, 3, 4, 5, 6]


def test_channels_and_the_end_date(history):
    _, ev = _events(history, channels=True, end=day(20).normalize())
    assert set(ev["touchpoint"]) >= {"complaint, phone", "question, email"}
    assert ev["date"].max() < day(21, 0)
    assert "campaign_offer" not in set(ev["touchpoint"])  # on day 30, after the end


def test_collapse_merges_a_run_of_the_same_touchpoint(history):
    _, ev = _events(history, collapse=True)
    assert ev[ev["customer_id"] == 3]["touchpoint"].tolist() == ["first_purchase",
                                                                 "repeat_purchase"]
    assert len(ev) == 17


def test_transition_matrix_by_hand(history):
    ev, _ = _events(history)
    m = journey.transition_matrix(ev).set_index(["from", "to"])
    assert m.loc[("journey_start", "first_purchase"), "transitions"] == 4
    assert m.loc[("journey_start", "question"), "transitions"] == 1
    assert m.loc[("first_purchase", "repeat_purchase"), "transitions"] == 3
    assert m.loc[("first_purchase", "repeat_purchase"), "share"] == pytest.approx(3 / 5)
    assert m.loc[("first_purchase", "repeat_purchase"), "median_days"] == pytest.approx(9)
    # out of a repeat purchase: to the complaint, the end twice, another repeat, a request
    out = m.loc["repeat_purchase"]
    assert out["transitions"].sum() == 5
    assert out.loc["journey_end", "share"] == pytest.approx(2 / 5)
    assert m.loc[("complaint", "complaint_resolved"), "median_days"] == pytest.approx(2)
    assert m.loc[("question", "campaign_offer"), "median_days"] == pytest.approx(26 + 14 / 24)
    assert m.groupby(level="from")["share"].sum().to_numpy() == pytest.approx(1.0)
    assert m["transitions"].sum() == 18 + 5  # every touchpoint leads somewhere, plus starts
    wide = journey.transition_table(journey.transition_matrix(ev))
    assert wide.loc["first_purchase", "question"] == pytest.approx(1 / 5)
    assert list(wide.index[:2]) == ["journey_start", "first_purchase"]


def test_step_matrix_by_hand(history):
    ev, _ = _events(history)
    s = journey.step_matrix(ev, steps=4)
    assert s[1].to_dict() == pytest.approx({**{k: 0.0 for k in s.index},
                                            "first_purchase": 0.8, "question": 0.2})
    assert s.loc["repeat_purchase", 2] == pytest.approx(0.6)
    assert s.loc["journey_ended", 3] == pytest.approx(0.0)
    assert s.loc["journey_ended", 4] == pytest.approx(0.8)  # only customer 1 goes on
    assert s.sum(axis=0).to_numpy() == pytest.approx(1.0)


def test_path_flows_count_customers_between_steps(history):
    ev, _ = _events(history)
    f = journey.path_flows(ev, steps=3, top=2)
    step1 = f[f["step"] == 1].set_index(["from", "to"])["customers"]
    # at step 2 the two commonest touchpoints (repeat purchase 3, then first purchase and
    # question 1 each: by name) stand alone, the rest is "other"
    assert step1.sum() == 5
    assert step1[("first_purchase", "repeat_purchase")] == 3
    assert f[f["step"] == 2]["customers"].sum() == 5
    assert f[f["step"] == 3]["to"].isna().all()


def test_common_paths_of_stayers_and_churners(history):
    ev, _ = _events(history)
    outcome = pd.Series({1: False, 2: False, 3: False, 4: True, 5: True})
    first = journey.common_paths(ev, outcome, length=2, end="first")
    stayed = first[first["group"] == "stayed"].set_index("path")
    assert stayed.loc["first_purchase → repeat_purchase", "customers"] == 2
    assert stayed.loc["first_purchase → repeat_purchase", "group_share"] == pytest.approx(2 / 3)
    assert stayed.loc["first_purchase → repeat_purchase", "churn_rate"] == pytest.approx(1 / 3)
    last = journey.common_paths(ev, outcome, length=2, end="last")
    churned = last[last["group"] == "churned"].set_index("path")
    assert set(churned.index) == {"repeat_purchase → request",
                                  "first_purchase → survey_satisfied"}
    assert churned["group_share"].tolist() == pytest.approx([0.5, 0.5])
    assert last.attrs["customers"] == {"stayed": 3, "churned": 2}


def test_churn_labels_in_the_engine(history):
    from crmwb import churn

    lines = history[0]
    o = churn.churn_label_table(lines, day(20).normalize(), horizon_days=30).to_pandas()
    assert o.set_index("customer_id")["churned"].sort_index().to_dict() == {
        1: True, 2: True, 3: True, 4: False, 5: True}
    labels = churn.churn_labels(lines, day(20).normalize(), horizon_days=30)
    assert labels.to_dict() == {1: True, 2: True, 3: True, 4: False, 5: True}
    assert labels.index.name == "customer_id" and labels.name == "churned"


def test_time_to_second_purchase_by_hand(history):
    lines = history[0]
    s = journey.second_purchase(lines, left_censored_days=0)
    # back after 1, 9 and 39 days; customers 2 and 5 censored at 38 and 37 days (the data
    # end on day 40)
    assert s.attrs["customers"] == 5
    assert s.loc[1, "share_back"] == pytest.approx(1 / 5)
    assert s.loc[9, "share_back"] == pytest.approx(1 - 4 / 5 * 3 / 4)
    assert s.loc[38, "censored"] == 1 and s.loc[37, "censored"] == 1
    assert s.loc[39, "share_back"] == pytest.approx(1.0)
    assert s.attrs["median_days"] == 39
    assert s.attrs["back_within"][30] == pytest.approx(0.4)


def test_customers_the_data_start_among_are_left_out_of_the_second_purchase(history):
    # all five first bought in the data's first month: their first purchase in the data
    # need not be their first, so none is counted, and the count of those left out says so
    lines = history[0]
    s = journey.second_purchase(lines)
    assert s.attrs["customers"] == 0 and s.attrs["left_out"] == 5
    later = journey.second_purchase(lines, left_censored_days=3)
    firsts = lines.groupby("customer_id")["date"].min()
    kept = int((firsts >= firsts.min().normalize() + pd.Timedelta(days=3)).sum())
    assert later.attrs["customers"] == kept and later.attrs["left_out"] == 5 - kept


def test_every_touchpoint_has_a_label_in_both_languages():
    from crmwb.glossary import glossary

    for lang in ("en", "fa"):
        t = glossary(lang)
        for name in (*journey.TOUCHPOINTS, journey.START, journey.END, journey.ENDED,
                     journey.OTHER):
            assert t(name)
    assert np.all([" " not in k for k in journey.TOUCHPOINTS])


def test_the_wait_for_a_second_purchase_recovers_the_planted_rates(planted_shop):
    from crmwb.truth import Truth

    data, lines = planted_shop
    truth = Truth(data.truth["params"], data.truth["customers"], data.truth["identity"])
    for end in (None, "2024-09-30"):  # the whole data, and the first nine months only
        curve = journey.second_purchase(lines, end)
        check = truth.second_purchase(curve)
        # the customers not yet back count only while watched: no bias from recent ones
        assert (check["yours"] - check["planted"]).abs().max() < 0.02, check
    naive = curve["second_purchases"].sum() / curve.attrs["customers"]
    assert naive < check.loc["h_back_within_365", "planted"] - 0.05  # what censoring fixes
