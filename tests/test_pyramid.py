"""The customer pyramid as CONCEPTS.md section 2 defines it."""

import pandas as pd
import pytest

from crmwb import pyramid


def test_levels_take_one_four_fifteen_and_eighty_percent():
    values = pd.Series(range(1000, 0, -1), index=range(1000))
    levels = pyramid.pyramid_levels(values)
    assert levels.value_counts().to_dict() == {"small": 800, "medium": 150, "big": 40, "top": 10}
    assert (levels.iloc[:10] == "top").all() and levels.iloc[10] == "big"


def test_tied_values_share_the_better_level():
    values = pd.Series([100, 90, 90] + [1] * 97)
    levels = pyramid.pyramid_levels(values)
    assert levels.iloc[0] == "top"
    assert levels.iloc[1] == levels.iloc[2] == "big"


def test_cutoffs_are_parameters_and_are_checked():
    values = pd.Series(range(100, 0, -1))
    levels = pyramid.pyramid_levels(values, cutoffs=(0.1, 0.3, 0.6))
    assert levels.value_counts()["top"] == 10 and levels.value_counts()["small"] == 40
    with pytest.raises(ValueError, match="three increasing shares"):
        pyramid.pyramid_levels(values, cutoffs=(0.2, 0.1, 0.5))


def lines():
    rows = []
    # 100 customers active in 2024, customer i spends i; 5 customers only bought in 2022
    for i in range(1, 101):
        rows.append((f"A{i}", i, "2024-06-01", "P", 1, float(i)))
    rows.append(("A1b", 1, "2024-07-01", "P", 1, 1.0))
    for i in range(101, 106):
        rows.append((f"B{i}", i, "2022-06-01", "P", 1, 50.0))
    df = pd.DataFrame(rows, columns=["invoice_id", "customer_id", "date", "product_id",
                                     "quantity", "unit_price"])
    df["date"] = pd.to_datetime(df["date"])
    return df


def test_active_inactive_prospects_and_suspects():
    leads = pd.DataFrame({"lead_id": range(7)})
    suspects = pd.DataFrame({"suspect_id": range(30)})
    p = pyramid.customer_pyramid(lines(), as_of="2024-12-31", window_days=365, leads=leads,
                                 suspects=suspects)
    counts = p.levels["customers"].to_dict()
    assert counts == {"top": 1, "big": 4, "medium": 15, "small": 80, "inactive": 5,
                      "prospect": 7, "suspect": 30}
    assert p.customers.loc[100, "level"] == "top"
    assert set(p.customers.loc[[96, 97, 98, 99], "level"]) == {"big"}
    assert p.customers.loc[1, "value"] == 2.0  # both purchases in the window
    # revenue shares are over the window's revenue
    assert p.levels.loc["top", "revenue_share"] == pytest.approx(100 / (5050 + 1))
    assert p.levels.loc["inactive", "revenue"] == 0


def test_window_and_value_measure_are_parameters():
    p = pyramid.customer_pyramid(lines(), as_of="2024-12-31", window_days=3 * 365,
                                 value="invoices")
    assert p.levels.loc["inactive", "customers"] == 0
    assert p.customers.loc[1, "value"] == 2  # two invoices
    with pytest.raises(ValueError, match="unknown value measure"):
        pyramid.customer_pyramid(lines(), value="smiles")


def test_profit_is_summed_per_level():
    profit = pd.Series(1.0, index=range(1, 106))
    p = pyramid.customer_pyramid(lines(), as_of="2024-12-31", profit=profit)
    assert p.levels.loc["small", "profit"] == 80
    assert p.levels["profit_share"].sum() == pytest.approx(1.0)


def test_generated_shop_pyramid_holds_the_planted_ranking(crm_data, clean_lines):
    p = pyramid.customer_pyramid(clean_lines, leads=crm_data.leads, suspects=crm_data.suspects)
    active = p.customers[p.customers["level"] != "inactive"]
    assert p.levels.loc["top", "customers"] == int(0.01 * len(active))
    means = active.groupby("level")["value"].mean()
    assert means["top"] > means["big"] > means["medium"] > means["small"]
    assert p.levels.loc["prospect", "customers"] == len(crm_data.leads)
