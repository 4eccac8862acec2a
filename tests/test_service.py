"""Complaints, satisfaction and campaigns: every statistic on a hand-computed case."""

import numpy as np
import pandas as pd
import pytest

from crmwb import churn, service


def contacts(rows):
    df = pd.DataFrame(rows, columns=["customer_id", "date", "channel", "kind", "category",
                                     "severity", "resolved_date"])
    df["date"] = pd.to_datetime(df["date"])
    df["resolved_date"] = pd.to_datetime(df["resolved_date"])
    return df


CONTACTS = contacts([
    (1, "2024-01-01", "phone", "complaint", "delivery", 3, "2024-01-02"),   # 1 day
    (1, "2024-02-01", "email", "complaint", "quality", 2, "2024-02-11"),    # 10 days
    (2, "2024-01-05", "phone", "complaint", "delivery", 4, None),           # unresolved
    (3, "2024-01-07", "chat", "request", "price", 1, "2024-01-07"),
    (4, "2024-03-01", "phone", "complaint", "delivery", 2, "2024-03-03"),   # 2 days
    (5, "2024-03-02", "phone", "question", None, 1, "2024-03-02"),
])


def test_rates_per_thousand_customers_and_orders():
    rates = service.complaint_rates(CONTACTS, customers=200, orders=1000)
    assert rates.loc["delivery", "complaints"] == 3 and rates.loc["price", "requests"] == 1
    assert rates.loc["delivery", "complaints_per_1000_customers"] == 15.0
    assert rates.loc["quality", "complaints_per_1000_orders"] == 1.0
    assert list(rates.index) == ["quality", "delivery", "price", "warranty", "responsiveness"]
    with pytest.raises(ValueError, match="per month"):  # a month is not the whole period
        service.complaint_rates(CONTACTS, 200, 1000, by="month")
    months = pd.to_datetime(["2024-01-01", "2024-02-01", "2024-03-01", "2024-04-01"])
    orders = pd.Series([400, 100, 0, 500], index=months)
    buyers = pd.Series([80, 50, 0, 70], index=months)
    by_month = service.complaint_rates(CONTACTS, buyers, orders, by="month")
    assert by_month["complaints"].tolist() == [2, 1, 1, 0]
    assert by_month["complaints_per_1000_orders"].iloc[:2].tolist() == [5.0, 10.0]
    assert by_month["complaints_per_1000_customers"].iloc[1] == 20.0
    assert np.isnan(by_month["complaints_per_1000_orders"].iloc[2])  # no orders: no rate
    assert by_month["orders"].tolist() == [400, 100, 0, 500]


def test_monthly_activity_counts_invoices_and_buyers_per_month():
    lines = pd.DataFrame({
        "invoice_id": ["a", "a", "b", "c", "d"], "customer_id": [1, 1, 2, 1, 3],
        "date": pd.to_datetime(["2024-01-03", "2024-01-03", "2024-01-20", "2024-02-01",
                                "2024-02-05"]),
        "quantity": [1, 2, 1, 1, -1], "unit_price": 1.0})
    m = service.monthly_activity(lines)
    assert m.index.tolist() == list(pd.to_datetime(["2024-01-01", "2024-02-01"]))
    assert m["orders"].tolist() == [2, 1] and m["customers"].tolist() == [2, 1]


def test_pareto_cut_takes_the_category_that_crosses_the_share():
    t = service.pareto_table(pd.Series({"a": 5, "b": 60, "c": 20, "d": 15}))
    assert t.index.tolist() == ["b", "c", "d", "a"]
    assert t["cumulative_share"].tolist() == pytest.approx([0.6, 0.8, 0.95, 1.0])
    assert t["vital_few"].tolist() == [True, True, False, False]
    assert service.pareto_table(pd.Series({"x": 1}))["vital_few"].tolist() == [True]


def test_resolution_times_and_service_level():
    s = service.resolution_summary(CONTACTS, target_days=3)
    assert s["complaints"] == 4
    assert s["resolved_share"] == 0.75
    assert s["median_days"] == pytest.approx(2.0)
    assert s["within_target_share"] == 0.5  # 1 and 2 days of 4 complaints


def test_repeat_complainants():
    r = service.repeat_complainants(CONTACTS)
    assert r.index.tolist() == [1] and r.loc[1, "categories"] == 2


def test_churn_by_complaint_handling_groups_customers():
    churned = pd.Series([True, True, False, False, True], index=[1, 2, 4, 6, 7])
    t = service.churn_by_complaint_handling(CONTACTS, churned, "2024-02-28", target_days=3)
    # 1: one slow (10 days) -> resolved slowly; 2: unresolved; 4 complains after the cutoff
    assert t["customers"].to_dict() == {"no complaint": 3, "resolved quickly": 0,
                                        "resolved slowly": 1, "unresolved": 1}
    assert t.loc["no complaint", "churn_rate"] == pytest.approx(1 / 3)
    assert t.loc["no complaint", "ci_low"] < 1 / 3 < t.loc["no complaint", "ci_high"]


def test_complainants_are_compared_with_customers_who_bought_as_often():
    # (one column to match on, cut at its quintiles)
    # the complainant buys often, like the frequent customers who stay; the infrequent
    # customers without a complaint leave: the raw rates differ, like for like they agree
    contacts = pd.DataFrame({"customer_id": [1, 2], "date": pd.to_datetime(["2024-01-10"] * 2),
                             "kind": "complaint", "category": "price", "channel": "phone",
                             "resolved_date": pd.to_datetime(["2024-01-11"] * 2)})
    churned = pd.Series([False, False, False, False, True, True, True, True],
                        index=[1, 2, 3, 4, 5, 6, 7, 8])
    purchases = pd.Series([10, 12, 9, 11, 1, 1, 1, 2], index=churned.index)
    t = service.churn_by_complaint_handling(contacts, churned, "2024-02-28", 3, purchases)
    assert t.loc["resolved quickly", "like_for_like"] == 1.0
    assert t.loc["resolved quickly", "retained_rate"] == 1.0
    assert t.loc["no complaint", "retained_rate"] == pytest.approx(2 / 6)
    assert t.loc["resolved quickly", "like_for_like"] == 1.0  # frequent buyers without one
    assert t.loc["no complaint", "like_for_like"] == pytest.approx(2 / 6)
    assert np.isnan(t.loc["unresolved", "like_for_like"])


def test_a_dissatisfied_answer_is_voiced_by_a_complaint_about_the_same_experience():
    surveys = pd.DataFrame({"customer_id": [1, 1, 2, 3], "csat": [1, 2, 5, 2],
                            "date": pd.to_datetime(["2024-01-05", "2024-06-01", "2024-01-05",
                                                    "2024-03-01"])})
    contacts = pd.DataFrame({"customer_id": [1, 3], "kind": "complaint", "category": "price",
                             "channel": "phone", "resolved_date": pd.NaT,
                             "date": pd.to_datetime(["2024-01-20", "2024-12-01"])})
    near = service.silent_dissatisfied(surveys, contacts)
    # customer 1's January answer was voiced (15 days); June's and customer 3's were not
    assert near[["dissatisfied", "complained", "silent"]].tolist() == [3, 1, 2]
    ever = service.silent_dissatisfied(surveys, contacts, window_days=None)
    assert ever["complained"] == 3  # each of them complained some time


def test_the_shop_plants_the_course_s_facts_about_complaints(shop):
    # few dissatisfied customers complain (the course: 4-6%); complainants handled quickly
    # stay as often as customers who bought as often without complaining; slow or no
    # handling goes with leaving
    crm_data, clean_lines = shop
    silent = service.silent_dissatisfied(crm_data.surveys, crm_data.contacts)
    assert silent["dissatisfied"] > 100
    assert 0.02 <= silent["complained_share"] <= 0.10, silent
    from crmwb import summary

    y = churn.churn_labels(clean_lines, "2025-06-30", 180)
    at_cutoff = summary.customer_summary(clean_lines, calibration_end="2025-06-30")
    t = service.churn_by_complaint_handling(crm_data.contacts, y, "2025-06-30", 3,
                                            at_cutoff[["invoices", "days_since_last_purchase"]])
    quick = t.loc["resolved quickly"]
    assert quick["customers"] >= 30
    assert abs(quick["retained_rate"] - quick["like_for_like"]) < 0.15, t
    for bad in ("resolved slowly", "unresolved"):
        assert t.loc[bad, "retained_rate"] < 0.5 * t.loc[bad, "like_for_like"], t


def test_wilson_interval_matches_the_formula():
    low, high = service.proportion_ci(30, 100)
    z = 1.959963984540054
    centre = (0.3 + z**2 / 200) / (1 + z**2 / 100)
    half = z * np.sqrt(0.3 * 0.7 / 100 + z**2 / 40000) / (1 + z**2 / 100)
    assert (low, high) == pytest.approx((centre - half, centre + half))


def test_fmea_ranks_by_risk_priority_number():
    occ = pd.Series({"late delivery": 50, "damaged": 20, "rude staff": 5})
    t = service.fmea_table(occ, severity={"late delivery": 3, "damaged": 8, "rude staff": 9},
                           detection={"late delivery": 2, "damaged": 6, "rude staff": 8},
                           actions={"damaged": "better packing"})
    assert t["O"].to_dict() == {"damaged": 4, "late delivery": 10, "rude staff": 1}
    assert t["RPN"].tolist() == [8 * 4 * 6, 9 * 1 * 8, 3 * 10 * 2]
    assert t.index[0] == "damaged" and t.loc["damaged", "action"] == "better packing"
    with pytest.raises(ValueError, match="needed for failure mode"):
        service.fmea_table(occ, {"damaged": 1}, {"damaged": 1})
    with pytest.raises(ValueError, match="1-10"):
        service.fmea_table(occ, {k: 11 for k in occ.index}, {k: 1 for k in occ.index})
    # a team's averaged severity is kept, not cut: 4.9 x 10 x 2, not 4 x 10 x 2
    avg = service.fmea_table(occ, {"late delivery": 4.9, "damaged": 8, "rude staff": 9},
                             {"late delivery": 2, "damaged": 6, "rude staff": 8})
    assert avg.loc["late delivery", "S"] == 4.9
    assert avg.loc["late delivery", "RPN"] == pytest.approx(98.0)
    assert avg.index[0] == "damaged"


def test_csat_and_nps_by_hand():
    assert service.csat([5, 5, 4, 3, 2, 1, np.nan]) == pytest.approx(0.5)
    assert service.net_promoter_score([10, 9, 9, 8, 7, 6, 0, 3]) == pytest.approx(0.0)
    assert service.net_promoter_score([10] * 3 + [5]) == pytest.approx(50.0)


def test_bootstrap_intervals_are_seeded_and_cover_the_estimate():
    rng = np.random.default_rng(0)
    scores = rng.integers(0, 11, 500)
    a = service.bootstrap_ci(scores, service.net_promoter_score, seed=1)
    b = service.bootstrap_ci(scores, service.net_promoter_score, seed=1)
    assert a == b
    assert a[0] < service.net_promoter_score(scores) < a[1]


def test_bootstrap_of_many_surveys_keeps_memory_small_and_agrees_with_scipy():
    import tracemalloc

    from scipy import stats
    rng = np.random.default_rng(3)
    scores = rng.choice(np.arange(11), 2_000, p=np.r_[np.full(7, 0.05), 0.1, 0.15, 0.2, 0.2])
    for statistic in (service.net_promoter_score, service.csat):
        ours = service.bootstrap_ci(scores, statistic, seed=2)
        def along(x, axis, f=statistic):
            return np.apply_along_axis(f, axis, x)
        ref = stats.bootstrap((scores.astype(float),), along, n_resamples=4000,
                              method="percentile", vectorized=True,
                              random_state=np.random.default_rng(5)).confidence_interval
        spread = ref.high - ref.low
        assert abs(ours[0] - ref.low) < 0.08 * spread and abs(ours[1] - ref.high) < 0.08 * spread
    many = np.tile(scores, 100)  # 200,000 surveys: resampling them one by one held 3 GB
    tracemalloc.start()
    low, high = service.bootstrap_ci(many, service.net_promoter_score, seed=2)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 50 * 2**20
    assert low < service.net_promoter_score(many) < high and high - low < 1.0


def wilson(x, n, z=1.959963984540054):
    p = x / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return centre - half, centre + half


def test_two_proportion_test_by_hand():
    r = service.two_proportion_test(60, 400, 40, 400)
    pooled = 100 / 800
    z = (0.15 - 0.10) / np.sqrt(pooled * (1 - pooled) * (2 / 400))
    assert r["difference"] == pytest.approx(0.05)
    assert r["z"] == pytest.approx(z)
    assert r["p_value"] == pytest.approx(2 * (1 - __import__("scipy").stats.norm.cdf(z)))
    (l1, u1), (l2, u2) = wilson(60, 400), wilson(40, 400)  # Newcombe (1998), method 10
    assert r["ci_low"] == pytest.approx(0.05 - np.sqrt((0.15 - l1) ** 2 + (u2 - 0.10) ** 2))
    assert r["ci_high"] == pytest.approx(0.05 + np.sqrt((u1 - 0.15) ** 2 + (0.10 - l2) ** 2))


def test_uplift_interval_has_a_width_at_zero_and_agrees_with_the_test():
    r = service.two_proportion_test(0, 50, 0, 50)
    assert r["ci_low"] < -0.05 and r["ci_high"] > 0.05 and r["p_value"] == 1.0
    one = service.two_proportion_test(50, 50, 0, 50)
    assert -1 <= one["ci_low"] < one["ci_high"] <= 1
    agree = total = 0
    for n1, n2 in ((50, 50), (200, 100), (400, 400), (30, 300)):
        for x1 in range(0, n1 + 1, max(1, n1 // 25)):
            for x2 in range(0, n2 + 1, max(1, n2 // 25)):
                t = service.two_proportion_test(x1, n1, x2, n2)
                agree += (t["p_value"] < 0.05) == (not t["ci_low"] <= 0 <= t["ci_high"])
                total += 1
    assert agree / total > 0.995  # the Wald interval disagrees with the z test 1.8% of the time


def test_a_campaign_without_a_control_group_is_refused():
    camp = pd.DataFrame({"customer_id": range(4), "campaign_id": "X", "group": "treatment",
                         "responded": [True, False, False, True], "revenue": 10.0,
                         "cost": 1.0})
    with pytest.raises(ValueError, match="campaign 'X' has 4 treated and 0 control"):
        service.campaign_results(camp)
    with pytest.raises(ValueError, match="found \\['Treatment'\\]"):
        service.campaign_results(camp.assign(group="Treatment"))


def test_campaign_results_by_hand():
    camp = pd.DataFrame({
        "customer_id": range(8), "campaign_id": "X",
        "group": ["treatment"] * 4 + ["control"] * 4,
        "responded": [True, True, False, False, True, False, False, False],
        "revenue": [100.0, 50.0, 0, 0, 40.0, 0, 0, 0], "cost": [2.0] * 4 + [0.0] * 4})
    r = service.campaign_results(camp, margin=0.5).loc["X"]
    assert r["response_rate"] == 0.5 and r["control_rate"] == 0.25
    assert r["uplift"] == 0.25
    assert r["incremental_revenue"] == 150 - 4 * 10
    assert r["roi"] == pytest.approx((0.5 * 110 - 8) / 8)


def test_planted_uplift_lies_in_the_interval(crm_data):
    r = service.campaign_results(crm_data.campaigns).iloc[0]
    planted = crm_data.truth["params"]["campaign"]["average_uplift"]
    assert r["uplift_low"] < planted < r["uplift_high"]


@pytest.fixture(scope="module")
def shop():
    """The bundled shop's size: enough complainants to compare their groups."""
    from crmwb import cleaning, config, engine, identity, io
    from crmwb.datasets import make_crm_data

    data = make_crm_data(config.DEFAULT_N_CUSTOMERS, seed=3)
    result = cleaning.clean_transactions(io.read_transactions(data.transactions),
                                         crosswalk=identity.crosswalk(data.customers))
    lines = engine.to_pandas(result.lines)
    return data, lines[lines["customer_id"].notna()]


def test_complaints_hurt_satisfaction_on_the_generated_shop(shop):
    crm_data, _ = shop  # few dissatisfied customers complain: the shop's size is needed
    drivers = service.satisfaction_drivers(crm_data.surveys, crm_data.contacts)
    # each complaint costs 0.35 points as planted: the estimate is negative and its interval
    # (per complaint) holds the planted cost; with no_resolved_complaint beside it the
    # interval is wide, and whether it excludes 0 varies with the seed (seeds 8 and 9 did not)
    row = drivers.loc["complaints"]
    per_unit = row["per_unit"] / row["coefficient"]
    assert row["coefficient"] < 0
    assert row["ci_low"] * per_unit < -0.35 < row["ci_high"] * per_unit
    silent = service.silent_dissatisfied(crm_data.surveys, crm_data.contacts)
    assert silent["dissatisfied"] == silent["complained"] + silent["silent"]


def test_churn_rises_with_badly_handled_complaints(crm_data, clean_lines):
    y = churn.churn_labels(clean_lines, "2025-06-30", 180)
    t = service.churn_by_complaint_handling(crm_data.contacts, y, "2025-06-30")
    assert t.loc["unresolved", "churn_rate"] > t.loc["no complaint", "churn_rate"]
    assert t.loc["resolved slowly", "churn_rate"] > t.loc["no complaint", "churn_rate"]


def survey_case(csat_by_customer, complaints_rows):
    surveys = pd.DataFrame({"customer_id": list(csat_by_customer),
                            "date": pd.Timestamp("2024-06-01"),
                            "csat": list(csat_by_customer.values()), "nps": 8})
    return surveys, contacts(complaints_rows)


def test_satisfaction_drivers_survive_a_driver_that_never_varies():
    # nobody complained about delivery: the old design matrix was singular
    rows, scores = [], {}
    for cid in range(60):
        n = cid % 3
        for k in range(n):
            rows.append((cid, "2024-02-01", "phone", "complaint", "quality", 2,
                         "2024-02-03" if k == 0 else None))
        scores[cid] = 5 - n + (cid % 2) * 0.5
    surveys, cont = survey_case(scores, rows)
    drivers = service.satisfaction_drivers(surveys, cont)
    assert drivers.attrs["dropped"]["delivery_complaints"] == "constant"
    assert "delivery_complaints" not in drivers.index
    assert drivers.loc["complaints", "per_unit"] == pytest.approx(-1.0, abs=0.3)
    assert np.isfinite(drivers.to_numpy()).all()


def test_never_complaining_is_not_being_resolved_at_once():
    # the service-recovery paradox: a complaint resolved fast leaves the customer happier
    # (CSAT 5 - 0.5 per day) than no complaint at all (CSAT 3); one or two complaints alike
    rows, scores = [], {}
    for cid in range(90):
        if cid < 30:
            scores[cid] = 3.0
            continue
        days, n = cid % 5, 1 + cid % 2
        for _ in range(n):
            rows.append((cid, "2024-02-01", "phone", "complaint", "quality", 2,
                         (pd.Timestamp("2024-02-01") + pd.Timedelta(days=days)).strftime(
                             "%Y-%m-%d")))
        scores[cid] = 5.0 - 0.5 * days
    surveys, cont = survey_case(scores, rows)
    drivers = service.satisfaction_drivers(surveys, cont)
    assert drivers.loc["mean_days_to_resolve", "per_unit"] == pytest.approx(-0.5, abs=1e-6)
    assert drivers.loc["complaints", "per_unit"] == pytest.approx(0.0, abs=1e-6)


def test_root_causes_are_the_failure_modes_and_complaint_categories_their_effects():
    # the Ishikawa diagram's bones are families of causes; the complaint categories are the
    # effects the causes produce; FMEA ranks the causes (article 003), not the categories
    counts = pd.Series({"delivery": 60, "quality": 30, "price": 10})
    causes = {"courier delays": {"family": "environment", "effects": ["delivery"]},
              "slow order system": {"family": "machines", "effects": ["delivery", "price"]},
              "faulty batches": {"family": "materials", "effects": ["quality"]},
              "untrained staff": {"family": "people", "effects": ["quality", "warranty"]}}
    roots = service.root_causes(counts, causes)
    assert roots["complaints"].to_dict() == {"courier delays": 30, "slow order system": 40,
                                             "faulty batches": 15, "untrained staff": 15}
    assert roots["complaints"].sum() == counts.sum()  # every complaint credited once
    bones = service.fishbone(roots)
    assert list(bones) == ["people", "materials", "machines", "environment"]  # the 6M order
    assert set(bones) <= set(service.CAUSE_FAMILIES)
    fmea = service.fmea_table(roots["complaints"], {c: 5 for c in causes}, {c: 5 for c in causes})
    assert set(fmea.index) == set(causes) and fmea.index[0] == "slow order system"
    # every category with complaints needs a cause; every cause a family and effects
    with pytest.raises(ValueError, match="price"):
        service.root_causes(counts, {k: v for k, v in causes.items() if k != "slow order system"})
    with pytest.raises(ValueError, match="family"):
        service.root_causes(counts, {"x": {"effects": ["delivery"]}})


def test_the_default_root_causes_explain_every_complaint_category_on_six_bones():
    from crmwb.schema import COMPLAINT_CATEGORIES

    roots = service.root_causes(pd.Series({c: 10 for c in COMPLAINT_CATEGORIES}))
    assert list(service.fishbone(roots)) == list(service.CAUSE_FAMILIES)
    assert roots["complaints"].sum() == pytest.approx(10 * len(COMPLAINT_CATEGORIES))
    assert all(1 <= v["severity"] <= 10 and 1 <= v["detection"] <= 10
               for v in service.ROOT_CAUSES.values())


def test_the_shop_s_campaign_pays_back_at_the_default_margin(shop):
    crm_data, _ = shop
    r = service.campaign_results(crm_data.campaigns, margin=0.30).iloc[0]
    planted = crm_data.truth["params"]["campaign"]
    # within three standard errors (the 95% interval misses one seed in twenty)
    se = (r["uplift_high"] - r["uplift_low"]) / (2 * 1.96)
    assert abs(r["uplift"] - planted["average_uplift"]) < 3 * se
    assert r["roi"] > 0, r
