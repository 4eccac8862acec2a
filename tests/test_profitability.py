"""Profit per customer, the whale curve and the profitability matrix."""

import pandas as pd
import pytest

from crmwb import profitability


def lines():
    rows = [
        # customer 1: two orders at list price
        ("1", 1, "2024-01-01", "A", 2, 10.0),
        ("2", 1, "2024-02-01", "A", 1, 10.0),
        # customer 2: one small order at half price
        ("3", 2, "2024-01-05", "A", 1, 5.0),
        # customer 3: one big order, product B at list price
        ("4", 3, "2024-01-07", "B", 10, 100.0),
    ]
    df = pd.DataFrame(rows, columns=["invoice_id", "customer_id", "date", "product_id",
                                     "quantity", "unit_price"])
    df["date"] = pd.to_datetime(df["date"])
    return df


CATALOGUE = pd.DataFrame({"product_id": ["A", "B"], "list_price": [10.0, 100.0]})
COSTS = {"margin_rate": 0.5, "order_cost": 1.0, "small_order_cost": 2.0,
         "small_order_value": 15.0, "return_cost": 3.0, "contact_cost": 4.0}


def test_profit_by_hand():
    contacts = pd.DataFrame({"customer_id": [2, 2], "date": pd.to_datetime(["2024-01-06"] * 2)})
    returns = pd.DataFrame({"invoice_id": ["C9"], "customer_id": [3],
                            "date": pd.to_datetime(["2024-01-08"]), "product_id": ["B"],
                            "quantity": [-1], "unit_price": [100.0]})
    p = profitability.customer_profit(lines(), contacts=contacts, returns=returns,
                                      catalogue=CATALOGUE, costs=COSTS)
    c1, c2, c3 = p.loc[1], p.loc[2], p.loc[3]
    # customer 1: reference 30, revenue 30, margin 15; orders of 20 and 10, one of them small
    assert (c1["revenue"], c1["reference_value"], c1["gross_margin"]) == (30, 30, 15)
    assert (c1["orders"], c1["small_orders"]) == (2, 1)
    assert c1["profit"] == pytest.approx(15 - (2 * 1 + 1 * 2))
    # customer 2: paid 5 for a 10 list price: discount 5, small order, two contacts
    assert c2["discounts"] == 5 and c2["contacts"] == 2
    assert c2["service_costs"] == 1 + 2 + 2 * 4
    assert c2["profit"] == pytest.approx(0.5 * 10 - 5 - 11)
    assert c2["net_price_realised"] == pytest.approx(0.5)
    # customer 3: a return costs 3
    assert c3["returns"] == 1 and c3["service_costs"] == 1 + 3
    assert c3["cost_to_serve_ratio"] == pytest.approx(4 / 1000)


def test_reference_prices_default_to_each_products_median():
    p = profitability.customer_profit(lines(), costs=COSTS)
    # product A sold at 10, 10 and 5: median 10
    assert p.loc[2, "reference_value"] == 10
    assert p.loc[3, "discounts"] == 0


def test_window_and_unknown_costs():
    p = profitability.customer_profit(lines(), as_of="2024-01-10", window_days=6, costs=COSTS)
    assert list(p.index) == [2, 3]
    with pytest.raises(ValueError, match="unknown cost parameter"):
        profitability.customer_profit(lines(), costs={"rent": 3})
    with pytest.raises(ValueError, match="must be zero or positive"):
        profitability.customer_profit(lines(), costs={"order_cost": -1})


def test_whale_curve_rises_above_the_total_then_falls_back():
    profit = pd.Series([60.0, 40.0, 20.0, -10.0, -10.0], index=[1, 2, 3, 4, 5])
    curve = profitability.whale_curve(profit)
    assert curve["customer_id"].tolist() == [1, 2, 3, 4, 5]
    assert curve["cumulative_profit_share"].iloc[-1] == pytest.approx(1.0)
    assert curve["cumulative_profit_share"].max() == pytest.approx(120 / 100)
    facts = profitability.whale_facts(profit, top_share=0.2)
    assert facts["unprofitable_share"] == pytest.approx(0.4)
    assert facts["top_profit_share"] == pytest.approx(0.6)
    assert facts["customers_for_all_profit"] == pytest.approx(0.4)


def test_matrix_cells_at_medians_or_given_boundaries():
    profits = pd.DataFrame({
        "net_price_realised": [1.0, 1.0, 0.5, 0.5],
        "cost_to_serve_ratio": [0.01, 0.5, 0.01, 0.5],
        "revenue": [1.0] * 4, "profit": [1.0] * 4,
    }, index=[1, 2, 3, 4])
    m = profitability.profitability_matrix(profits)
    assert m["cell"].astype(str).tolist() == ["passive", "carriage trade", "bargain basement",
                                              "aggressive"]
    m2 = profitability.profitability_matrix(profits, price_boundary=0.1, cost_boundary=1.0)
    assert set(m2["cell"].astype(str)) == {"passive"}
    table = profitability.matrix_table(m)
    assert table["customers"].tolist() == [1, 1, 1, 1]


def test_generated_shop_whale_curve(crm_data, clean_lines):
    p = profitability.customer_profit(clean_lines, contacts=crm_data.contacts,
                                      catalogue=crm_data.catalogue)
    facts = profitability.whale_facts(p["profit"])
    # a real whale: the curve climbs above the total, some customers lose money,
    # and the most profitable fifth bring most of the profit
    assert facts["peak_profit_share"] > 1.0
    assert 0 < facts["unprofitable_share"] < 0.5
    assert facts["top_profit_share"] > 0.5
    # customers who complain more cost more to serve
    many = p["contacts"] >= 3
    assert p.loc[many, "service_costs"].mean() > p.loc[~many, "service_costs"].mean()


def test_about_a_fifth_of_the_shop_s_customers_are_unprofitable_at_the_default_costs():
    # the course's rule of thumb, planted: demanding customers (many questions and requests)
    # with small baskets cost more to serve than their margin
    from crmwb import cleaning, config, engine, identity, io
    from crmwb.datasets import make_crm_data

    data = make_crm_data(config.DEFAULT_N_CUSTOMERS, seed=3)
    cw = identity.crosswalk(data.customers)
    result = cleaning.clean_transactions(io.read_transactions(data.transactions), crosswalk=cw)
    lines = engine.to_pandas(result.lines)
    profit = profitability.customer_profit(lines[lines["customer_id"].notna()],
                                           contacts=identity.rekey_frame(data.contacts, cw),
                                           returns=result.cancellations,
                                           catalogue=data.catalogue)["profit"]
    facts = profitability.whale_facts(profit)
    assert 0.15 <= facts["unprofitable_share"] <= 0.25, facts
    demanding = data.truth["customers"].set_index("person_id")["demanding"]
    losing = demanding.reindex(profit.index[profit < 0]).mean()
    assert losing > 2 * demanding.mean()  # the planted cause is found among the unprofitable


def test_high_sales_are_not_high_profit_measured_in_rbc_s_colours():
    profits = pd.DataFrame({"revenue": [1000.0, 900.0, 100.0, 80.0, 60.0, 50.0, 40.0, 30.0,
                                        20.0, 10.0],
                            "profit": [-50.0, 10.0, 60.0, 40.0, 30.0, 20.0, 10.0, 5.0, -5.0,
                                       -1.0]})
    colours = profitability.profit_colours(profits["profit"])
    assert colours.tolist()[:3] == ["red", "yellow", "green"]
    assert (colours == "green").sum() == 2 and (colours == "red").sum() == 3
    facts = profitability.sales_versus_profit(profits)
    # the two biggest buyers: one loses money, neither is among the two most profitable
    assert facts["big_not_best"] == 1.0 and facts["big_losing"] == 0.5
    assert facts["green_profit"] == pytest.approx(100 / 119)
    assert facts["red_customers"] == 0.3


def test_each_order_costs_what_its_channel_costs():
    # RBC's channel costing: a phone order takes a clerk's time, an online one little
    lines = pd.DataFrame({"invoice_id": ["1", "2", "3", "4"], "customer_id": [1, 1, 2, 2],
                          "product_id": "P", "quantity": 1, "unit_price": 100.0,
                          "channel": ["online", "phone", "store", "kiosk"],
                          "date": pd.to_datetime(["2024-01-01"] * 4)})
    costs = {"channel_order_cost": {"online": 1.0, "phone": 5.0, "store": 2.0},
             "order_cost": 3.0}
    p = profitability.customer_profit(lines, costs=costs)
    assert p.loc[1, "service_costs"] == 6.0  # online 1 + phone 5
    assert p.loc[2, "service_costs"] == 5.0  # store 2 + an unnamed channel at order_cost 3
    flat = profitability.customer_profit(lines, costs={"channel_order_cost": {},
                                                       "order_cost": 3.0})
    assert (flat["service_costs"] == 6.0).all()
    with pytest.raises(ValueError, match="channel_order_cost.phone"):
        profitability.customer_profit(lines, costs={"channel_order_cost": {"phone": -1}})
