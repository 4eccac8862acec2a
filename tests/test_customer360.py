import numpy as np
import pandas as pd
import pytest

from crmwb import cleaning, customer360, io, privacy

SECRET = "a-test-secret-of-enough-length"


def lines(*rows):
    """Purchase lines from (invoice, customer, date, value) tuples, one unit each."""
    return pd.DataFrame({
        "invoice_id": [r[0] for r in rows],
        "customer_id": pd.array([r[1] for r in rows], dtype="Int64"),
        "date": pd.to_datetime([r[2] for r in rows]),
        "product_id": "P",
        "quantity": 1,
        "unit_price": [float(r[3]) for r in rows],
    })


# Jan: A 100, B 50 | Feb: A 30, C 20, an anonymous 10 | Mar: C 40 (first and last day covered)
SHOP = lines(("1", 1, "2024-01-01", 100), ("2", 2, "2024-01-15", 50),
             ("3", 1, "2024-02-03", 30), ("4", 3, "2024-02-20", 20),
             ("5", None, "2024-02-21", 10), ("6", 3, "2024-03-31", 40))


def test_kpis_by_month_by_hand():
    surveys = pd.DataFrame({"customer_id": [1, 3], "date": pd.to_datetime(["2024-02-05"] * 2),
                            "csat": [5, 3], "nps": [10, 0]})
    contacts = pd.DataFrame({"customer_id": [1, 2], "date": pd.to_datetime(["2024-02-07",
                                                                            "2024-03-02"]),
                             "kind": ["complaint", "request"], "category": ["price", None],
                             "channel": "phone", "resolved_date": pd.NaT})
    campaigns = pd.DataFrame({"customer_id": [1, 2, 3], "campaign_id": "X",
                              "date": pd.to_datetime(["2024-02-01"] * 3),
                              "group": ["treatment", "treatment", "control"],
                              "responded": [True, False, True], "revenue": 0.0, "cost": 0.0})
    k = customer360.kpis_by_month(SHOP, contacts, surveys, campaigns, margin=0.3)
    assert k.index.strftime("%Y-%m").tolist() == ["2024-01", "2024-02", "2024-03"]
    assert k["full"].tolist() == [True, True, True]
    assert k["active_customers"].tolist() == [2, 2, 1]
    assert k["new_customers"].tolist() == [2, 1, 0]
    assert k["retained_customers"].tolist() == [0, 1, 1]  # Feb: A; Mar: C
    assert k["lapsed_customers"].iloc[1:].tolist() == [1, 1]  # Feb: B; Mar: A
    assert pd.isna(k["retention_rate"].iloc[0])
    assert k["retention_rate"].iloc[1:].tolist() == [0.5, 0.5]
    assert k["lapse_rate"].iloc[1:].tolist() == [0.5, 0.5]
    assert k["revenue"].tolist() == [150, 60, 40]  # the anonymous line counts as revenue
    assert k["orders"].tolist() == [2, 3, 1]
    assert k["average_order_value"].tolist() == [75, 20, 40]
    assert k["purchase_frequency"].tolist() == [1, 1, 1]  # identified orders per active customer
    assert k["average_base_value"].tolist() == pytest.approx([0.3 * 150 / 2, 0.3 * 200 / 3,
                                                              0.3 * 240 / 3])
    assert k.loc["2024-02", "csat"].item() == 0.5 and k.loc["2024-02", "nps"].item() == 0
    assert k["complaints"].tolist() == [0, 1, 0]  # the request is not a complaint
    assert k.loc["2024-02", "complaint_rate"].item() == 0.5
    assert k.loc["2024-02", "campaign_response_rate"].item() == 0.5  # the control group is left out

    # by default a settled month: January has no month before, February as many new
    # customers as returning ones; March is the first whose returning customers outnumber new
    settled = customer360.kpi_baseline(k)
    assert settled.attrs["baseline_month"] == pd.Timestamp("2024-03-01")
    assert settled.attrs["baseline_reason"] == "first settled"
    base = customer360.kpi_baseline(k, "2024-02")
    assert base.attrs["baseline_month"] == pd.Timestamp("2024-02-01")
    assert base.loc["retention_rate", "change"] == 0  # 50% to 50%: no change, in points
    assert base.loc["revenue", "change"] == pytest.approx(40 / 60 - 1)
    assert base.loc["revenue", "change_kind"] == "relative"
    # a KPI measured once keeps its one month as baseline and latest
    assert base.loc["csat", "baseline_month"] == base.loc["csat", "latest_month"]
    assert base.loc["csat", "change"] == 0
    jan = customer360.kpi_baseline(k, "2024-01")
    assert jan.loc["active_customers", "change"] == pytest.approx(1 / 2 - 1)
    with pytest.raises(ValueError, match="not in a month"):
        customer360.kpi_baseline(k, "2030-01")


def test_the_default_baseline_is_a_settled_month_a_year_before_never_the_ramp_up():
    # a shop opening in January 2024: every customer is new at first, so revenue "grows"
    # against the first months whatever the strategy does; the baseline is the same month a
    # year before the latest (same season), and after the ramp-up
    rows, n = [], 0
    for month in pd.period_range("2024-01", "2025-12", freq="M"):
        customers = range(1, min(12 * (month - pd.Period("2024-01", "M")).n + 13, 120))
        for c in customers:
            n += 1
            rows.append((str(n), c, str(month.start_time.date() + pd.Timedelta(days=c % 27)),
                         10.0))
    rows.append(("last", 1, "2025-12-31", 10.0))
    k = customer360.kpis_by_month(lines(*rows))
    base = customer360.kpi_baseline(k)
    assert base.attrs["baseline_month"] == pd.Timestamp("2024-12-01")
    assert base.attrs["baseline_reason"] == "a year before"
    first = k.index[1]  # the old default: the first full month with a month before
    assert k.loc[first, "new_customers"] >= k.loc[first, "active_customers"] / 2
    assert customer360.kpi_baseline(k, first).loc["revenue", "change"] > 3  # the artefact
    assert abs(base.loc["revenue", "change"]) < 0.5
    # a year of data: the first settled month
    short = customer360.kpi_baseline(k.loc[:"2024-12-01"])
    assert short.attrs["baseline_reason"] == "first settled"
    month = short.attrs["baseline_month"]
    assert k.loc[month, "new_customers"] < k.loc[month, "active_customers"] / 2


def test_a_partial_first_month_is_not_full():
    k = customer360.kpis_by_month(lines(("1", 1, "2024-01-10", 5), ("2", 1, "2024-02-29", 5)))
    assert k["full"].tolist() == [False, True]


def test_cohorts_by_hand():
    co = customer360.cohorts(SHOP)
    assert co.size.tolist() == [2, 1]  # January: A and B; February: C
    jan, feb = pd.Timestamp("2024-01-01"), pd.Timestamp("2024-02-01")
    assert co.retention.loc[jan].tolist() == [1.0, 0.5, 0.0]  # A came back in Feb, nobody in Mar
    assert co.retention.loc[feb, 0] == 1.0 and co.retention.loc[feb, 1] == 1.0
    assert pd.isna(co.retention.loc[feb, 2])  # April is not in the data: unknown, not zero
    assert co.revenue.loc[jan].tolist() == [150, 30, 0]
    assert co.revenue_per_customer.loc[jan, 0] == 75


@pytest.fixture(scope="module")
def shop(crm_data, tmp_path_factory):
    folder = tmp_path_factory.mktemp("shop") / "data"
    crm_data.write(folder)
    data = io.read_dataset(folder)
    clean = cleaning.clean_dataset(data)
    table = customer360.customer_table(
        clean.lines, data.customers, data.contacts, data.surveys, data.campaigns,
        returns=clean.cancellations, crosswalk=clean.crosswalk, seed=0)
    return data, clean, table


def test_customer_table_has_one_typed_row_per_customer(shop):
    data, clean, table = shop
    assert table.index.is_unique and table.index.name == "customer_id"
    masters = set(clean.crosswalk["master_id"])
    buyers = set(clean.lines.filter(clean.lines.customer_id.notnull())
                 .customer_id.to_pandas().unique())
    assert set(table.index) == masters | buyers
    for col in table.columns:
        dtype = table[col].dtype
        if col in customer360.COUNT_COLUMNS:
            assert dtype == "Int64", col
        elif col in customer360.DATE_COLUMNS:
            assert pd.api.types.is_datetime64_any_dtype(dtype), col
        elif col in customer360.CATEGORY_COLUMNS:
            assert isinstance(dtype, pd.CategoricalDtype), col
    assert table["clv"].dtype == "float64" and table["churn_risk"].dtype == "float64"
    dims = table.attrs["dimensions"]
    assert [c for cols in dims.values() for c in cols] == list(table.columns)
    assert {"city", "invoices", "complaints", "last_nps", "rfm_segment", "pyramid_level",
            "cluster", "loyalty_type", "clv", "p_alive", "churn_risk", "next_offer",
            "next_action"} <= set(table.columns)
    assert not set(privacy.PERSONAL_COLUMNS) & set(table.columns)


def test_customer_table_values_agree_with_their_sources(shop, crm_data):
    data, clean, table = shop
    merged = clean.crosswalk[clean.crosswalk["records"] > 1]["master_id"]
    assert (table.loc[merged.unique(), "records"] > 1).all()
    contacts = data.contacts.assign(customer_id=data.contacts["customer_id"].map(
        clean.crosswalk.set_index("customer_id")["master_id"]))
    complaints = contacts[contacts["kind"] == "complaint"].groupby("customer_id").size()
    assert table["complaints"].reindex(complaints.index).tolist() == complaints.tolist()
    assert table["complaints"].sum() == len(contacts[contacts["kind"] == "complaint"])
    assert table["p_alive"].between(0, 1).all() and (table["clv"].dropna() >= 0).all()
    # MBG/NBD: a customer who bought once, long ago, is not "alive for sure"
    once = (table["invoices"] == 1) & (table["days_since_last_purchase"] > 180)
    assert once.sum() > 10 and (table.loc[once, "p_alive"] < 0.9).all()
    risk = table["churn_risk"].dropna()
    assert len(risk) > 100 and risk.between(0, 1).all()
    # churn risk ranks lapsing customers above recent ones
    recent = table["days_since_last_purchase"] < 30
    assert risk[recent.reindex(risk.index)].mean() < risk[~recent.reindex(risk.index)].mean()
    assert set(table["next_action"].astype(str)) <= set(customer360.ACTIONS)
    assert table["next_offer"].notna().mean() > 0.9
    # planted truth: customers the generator kept alive score as alive and at low risk
    alive = crm_data.truth["customers"].set_index("person_id")["alive"].reindex(table.index)
    alive = alive.astype("boolean")
    assert table["p_alive"][alive == True].mean() > table["p_alive"][alive == False].mean() + 0.2  # noqa: E712
    assert risk[alive.reindex(risk.index) == True].mean() < risk[alive.reindex(risk.index) == False].mean()  # noqa: E712,E501


def test_next_actions_follow_their_order():
    table = pd.DataFrame({
        "open_complaints": [1, 0, 0, 0, 0, 0, 0],
        "churn_risk": [0.9, 0.9, 0.1, 0.1, 0.1, 0.1, 0.1],
        "clv": [100, 100, 100, 0, 0, 0, 0],
        "last_nps": [0, 10, 3, 10, 10, 10, 10],
        "p_alive": [0.9, 0.9, 0.9, 0.1, 0.9, 0.9, 0.9],
        "revenue": [9, 9, 9, 9, 0, 0, 0],
        "tenure_days": [400, 400, 400, 400, 10, 400, 400],
        "next_offer": ["x", "x", "x", "x", "x", "x", None],
        "next_offer_confidence": [0.5, 0.5, 0.5, 0.5, 0.5, 0.5, np.nan],
    })
    assert customer360.next_actions(table).tolist() == customer360.ACTIONS


def test_publish_masks_and_pseudonymizes(shop, monkeypatch):
    data, clean, table = shop
    with_personal = customer360.customer_table(
        clean.lines, data.customers, crosswalk=clean.crosswalk, show_personal=True,
        n_clusters=2)
    assert {"name", "email", "phone"} <= set(with_personal.columns)
    masked = customer360.publish(with_personal)
    assert not set(masked["email"].dropna()) & set(data.customers["email"].dropna())
    assert not set(masked["phone"].dropna()) & set(data.customers["phone"].dropna())
    one = customer360.publish(table, pseudonymize=True, secret=SECRET)
    again = customer360.publish(table, pseudonymize=True, secret=SECRET)
    other = customer360.publish(table, pseudonymize=True, secret=SECRET + "x")
    assert one.index.equals(again.index) and one.index.is_unique
    assert not set(one.index) & set(other.index)
    assert not set(one.index.astype(str)) & set(table.index.astype(str))
    assert customer360.find_customer(table, one.index[5], SECRET) == table.index[5]
    monkeypatch.delenv(privacy.SECRET_VARIABLE, raising=False)
    with pytest.raises(ValueError, match=privacy.SECRET_VARIABLE):
        customer360.publish(table, pseudonymize=True)
    monkeypatch.setenv(privacy.SECRET_VARIABLE, SECRET)
    assert customer360.publish(table, pseudonymize=True).index.equals(one.index)


def test_pseudonyms_are_a_keyed_hash():
    import hashlib
    import hmac

    got = privacy.pseudonymize_ids(pd.Series([7, None, 7]), SECRET)
    expected = "c-" + hmac.new(SECRET.encode(), b"7", hashlib.sha256).hexdigest()[:16]
    assert got.iloc[0] == got.iloc[2] == expected and pd.isna(got.iloc[1])
    same = [privacy.pseudonymize_ids(pd.Series(ids), SECRET).iloc[0]
            for ids in ([7], ["7"], pd.array([7], dtype="Int64"), [7.0])]
    assert same == [expected] * 4  # one id, whatever the column's type
    assert hashlib.sha256(b"7").hexdigest()[:16] not in expected  # not an unkeyed hash


def test_export_writes_both_files_or_neither(shop, tmp_path, monkeypatch):
    _, _, table = shop
    parquet, csv = customer360.export_customer_table(table, tmp_path, pseudonymize=True,
                                                     secret=SECRET)
    back = pd.read_parquet(parquet)
    assert len(back) == len(table) and back.index.is_unique
    assert back["invoices"].dtype == "Int64" and back["clv"].dtype == "float64"
    assert not set(back.index.astype(str)) & set(table.index.astype(str))
    assert pd.read_csv(csv, index_col=0).shape == back.shape

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(pd.DataFrame, "to_csv", broken)
    with pytest.raises(OSError):
        customer360.export_customer_table(table, tmp_path / "new")
    assert list((tmp_path / "new").iterdir()) == []


def test_customer_card_gathers_one_customer(shop):
    data, clean, table = shop
    cid = table["contacts"].idxmax()
    card = customer360.customer_card(table, clean.lines, cid, data.contacts, data.surveys,
                                     data.campaigns, clean.crosswalk)
    timeline = card.timeline
    assert timeline["date"].is_monotonic_increasing
    assert (timeline["event"] == "purchase").sum() == table.loc[cid, "invoices"]
    assert (timeline["event"] == "contact").sum() == table.loc[cid, "contacts"]
    purchases = timeline[timeline["event"] == "purchase"]["value"].sum()
    # the card shows the clean (net) purchases: the table's revenue, or revenue and returns
    assert purchases == pytest.approx(table.loc[cid, "revenue"] + table.loc[cid, "returned_value"],
                                      rel=1e-9) or purchases >= table.loc[cid, "revenue"] * (
        1 - 1e-12)
    assert card.action == table.loc[cid, "next_action"]
    assert "clv" in card.scores and "invoices" in card.profile
    contacts = timeline[timeline["event"] == "contact"]["detail"]
    assert contacts.str.fullmatch(r"(Question|Request|Complaint): [\w ]* via [\w ]+").all()
    persian = customer360.customer_card(table, clean.lines, cid, data.contacts, data.surveys,
                                        data.campaigns, clean.crosswalk, lang="fa").timeline
    # every detail in Persian; a purchase of one product shows just its (data) name
    worded = persian[(persian["event"] != "purchase") | persian["detail"].str.contains("، ")]
    assert worded["detail"].str.contains("[\u0600-\u06FF]").all()
    assert len(worded) > len(persian) / 2
    pd.testing.assert_frame_equal(persian.drop(columns="detail"), timeline.drop(columns="detail"))
    with pytest.raises(KeyError, match="not in the customer table"):
        customer360.customer_card(table, clean.lines, -1)


def test_kpis_and_cohorts_agree_on_generated_data(shop):
    _, clean, _ = shop
    k = customer360.kpis_by_month(clean.lines)
    co = customer360.cohorts(clean.lines)
    # customers acquired per month = the cohorts' sizes; new + retained never exceed active
    assert co.size.tolist() == k.loc[co.size.index, "new_customers"].tolist()
    assert (k["new_customers"] + k["retained_customers"] <= k["active_customers"]).all()
    assert k["retention_rate"].dropna().between(0, 1).all()
    first_active = co.customers.stack()
    assert first_active.groupby(level=0).first().equals(co.size.astype(float))


def test_the_example_card_customer_has_something_to_show_in_every_part():
    table = pd.DataFrame({
        "invoices": [40, 6, 5, 1, 8],
        "contacts": [0, 2, 1, 3, 1],
        "surveys": [1, 1, 2, 1, 0],
        "churn_risk": [0.9, 0.55, 0.4, 0.5, 0.5],
        "next_action": ["retention offer", "service recovery call", "cross-sell offer",
                        "retention offer", "retention offer"],
        "clv": [9000.0, 300.0, 500.0, 900.0, 800.0],
    }, index=["whale", "b", "c", "one-off", "no survey"])
    # the whale has no contact and a near-certain risk; one-off bought once; "no survey"
    # answered none: c, the most valuable of those left
    assert customer360.example_customer(table) == "c"
    # nobody fits every criterion: they are given up from the last (the action first)
    everyone_keeps = table.assign(next_action="keep in touch")
    assert customer360.example_customer(everyone_keeps) == "c"
    # criteria on missing columns are skipped
    assert customer360.example_customer(table.drop(columns=["surveys"])) == "no survey"


def test_lost_sales_are_found_where_departed_customers_bought():
    # 2024: customers 1 and 2 buy in the north online, 3 in the south in store; in 2025
    # only 1 and 3 come back: 2's revenue is lost in the north, online
    rows = [("1", 1, "2024-03-01", 100.0, "north", "online"),
            ("2", 2, "2024-04-01", 50.0, "north", "online"),
            ("3", 3, "2024-05-01", 30.0, "south", "store"),
            ("4", 1, "2025-03-01", 120.0, "north", "online"),
            ("5", 3, "2025-06-01", 10.0, "south", "store")]
    df = lines(*[r[:4] for r in rows]).assign(region=[r[4] for r in rows],
                                             channel=[r[5] for r in rows])
    out = customer360.lost_sales(df, as_of="2025-12-31")
    north = out.loc[("north", "online")]
    assert north["before"] == 150 and north["now"] == 120
    assert north["lost_with_customers"] == 50 and north["lost_share"] == 1.0
    assert out.loc[("south", "store"), "lost_with_customers"] == 0
    assert out.index[0] == ("south", "store")  # the largest fall first: -67% against -20%
    assert out.loc[("south", "store"), "change"] == pytest.approx(10 / 30 - 1)


def test_lines_without_regions_or_channels_have_nowhere_to_place_lost_sales():
    out = customer360.lost_sales(lines(("1", 1, "2024-03-01", 10.0)), as_of="2025-12-31")
    assert out.empty
    from crmwb import readings
    from crmwb.glossary import glossary
    assert readings.lost_sales(out, glossary("en")) is None


def test_lapsed_customers_get_no_cross_sell_when_p_alive_is_withheld():
    # Online Retail: P(alive) was 1.0 for everyone, and 364 of the 387 customers silent for
    # over 270 days were sent a cross-sell offer. Withheld, the days since the last purchase
    # tell who has lapsed
    table = pd.DataFrame({
        "p_alive": [np.nan] * 4, "revenue": [100.0, 100.0, 10.0, 10.0],
        "days_since_last_purchase": [300, 20, 300, 20], "tenure_days": [400] * 4,
        "next_offer": ["A", "A", "A", "A"], "next_offer_confidence": [0.5] * 4,
        "clv": [1.0] * 4})
    actions = customer360.next_actions(table, lapsed_days=180).tolist()
    assert actions == ["win-back offer", "cross-sell offer", "keep in touch", "cross-sell offer"]
    # with P(alive), it decides
    table["p_alive"] = [0.9, 0.1, 0.9, 0.1]
    actions = customer360.next_actions(table, lapsed_days=180).tolist()
    assert actions == ["cross-sell offer", "win-back offer", "cross-sell offer", "keep in touch"]
