"""The customer summary: hand-computed cases and the lifetimes package as a reference."""

import numpy as np
import pandas as pd
import pytest

from crmwb import engine
from crmwb.summary import customer_summary


def lines(rows):
    df = pd.DataFrame(rows, columns=["invoice_id", "customer_id", "date", "product_id",
                                     "category", "quantity", "unit_price"])
    df["date"] = pd.to_datetime(df["date"])
    df["customer_id"] = df["customer_id"].astype("Int64")
    return df


ROWS = [
    ("1", 7, "2024-01-01 09:00", "A", "x", 1, 10.0),
    ("1", 7, "2024-01-01 09:00", "B", "y", 2, 5.0),
    ("2", 7, "2024-01-01 17:00", "A", "x", 1, 10.0),   # same day: one BG/NBD purchase
    ("3", 7, "2024-01-15 10:00", "C", "y", 3, 10.0),
    ("4", 7, "2024-02-01 10:00", "A", "x", 1, 20.0),
    ("5", 8, "2024-01-20 10:00", "A", "x", 4, 10.0),
    ("6", None, "2024-01-21 10:00", "A", "x", 9, 10.0),  # anonymous: ignored
    ("C7", 7, "2024-02-02 10:00", "A", "x", -1, 20.0),  # a return
    ("9", 8, "2024-03-05 10:00", "A", "x", 1, 10.0),    # after the calibration end
]


@pytest.fixture
def summary():
    return customer_summary(lines(ROWS), calibration_end="2024-02-29")


def test_rfm_and_descriptive_columns_by_hand(summary):
    c7, c8 = summary.loc[7], summary.loc[8]
    assert list(summary.index) == [7, 8]
    assert c7["invoices"] == 4 and c8["invoices"] == 1
    assert c7["revenue"] == 10 + 10 + 10 + 30 + 20
    assert c7["average_basket"] == pytest.approx(80 / 4)
    assert c7["days_since_last_purchase"] == (pd.Timestamp("2024-02-29")
                                              - pd.Timestamp("2024-02-01")).days
    assert c7["tenure_days"] == 59
    assert (c7["products"], c7["categories"]) == (3, 2)
    assert c7["lines"] == 5 and c7["quantity"] == 8
    assert c7["returns"] == 1 and c7["returned_value"] == 20.0
    assert c8["returns"] == 0
    assert c7["first_purchase"] == pd.Timestamp("2024-01-01 09:00")


def test_bg_nbd_columns_merge_same_day_purchases(summary):
    c7 = summary.loc[7]
    # purchase days: Jan 1 (30), Jan 15 (30), Feb 1 (20)
    assert c7["purchase_days"] == 3 and c7["frequency"] == 2
    assert c7["recency"] == 31.0
    assert c7["T"] == 59.0
    assert c7["monetary_value"] == pytest.approx((30 + 20) / 2)
    c8 = summary.loc[8]
    assert (c8["frequency"], c8["recency"], c8["monetary_value"]) == (0, 0.0, 0.0)
    assert c8["T"] == 40.0


def test_lines_after_the_calibration_end_are_left_out(summary):
    assert summary.loc[8, "revenue"] == 40.0
    later = customer_summary(lines(ROWS))
    assert later.loc[8, "revenue"] == 50.0 and later.loc[8, "frequency"] == 1
    assert later.attrs["calibration_end"] == pd.Timestamp("2024-03-05")
    early = customer_summary(lines(ROWS), calibration_end="2024-01-10")
    assert list(early.index) == [7]


def test_weeks_are_days_over_seven(summary):
    weeks = customer_summary(lines(ROWS), calibration_end="2024-02-29", time_unit="W")
    np.testing.assert_allclose(weeks["T"], summary["T"] / 7)
    np.testing.assert_allclose(weeks["recency"], summary["recency"] / 7)
    with pytest.raises(ValueError, match="unknown time_unit 'M'"):
        customer_summary(lines(ROWS), time_unit="M")


def test_returns_set_aside_by_cleaning_are_counted():
    rows = [r for r in ROWS if not r[0].startswith("C")]
    returns = lines([("C7", 8, "2024-01-25", "A", "x", -2, 10.0)])
    s = customer_summary(engine.open_table(lines(rows)), "2024-02-29", returns=returns)
    assert s.loc[8, "returns"] == 1 and s.loc[8, "returned_value"] == 20.0
    assert s.loc[7, "returns"] == 0


def test_matches_lifetimes_on_the_generated_shop(clean_lines):
    lifetimes_utils = pytest.importorskip("lifetimes.utils")
    end = "2025-06-30"
    ours = customer_summary(clean_lines, calibration_end=end)
    sales = clean_lines.assign(value=clean_lines["quantity"] * clean_lines["unit_price"])
    sales = sales[sales["date"] <= pd.Timestamp(end) + pd.Timedelta(days=1)]
    ref = lifetimes_utils.summary_data_from_transaction_data(
        sales, "customer_id", "date", monetary_value_col="value",
        observation_period_end=end, freq="D")
    ref.index = ref.index.astype(int)
    assert len(ref) > 500
    ours = ours.loc[ref.index]
    np.testing.assert_array_equal(ours["frequency"], ref["frequency"])
    np.testing.assert_allclose(ours["recency"], ref["recency"])
    np.testing.assert_allclose(ours["T"], ref["T"])
    np.testing.assert_allclose(ours["monetary_value"], ref["monetary_value"], rtol=1e-9)


def test_without_merging_every_invoice_is_a_purchase(summary):
    s = customer_summary(lines(ROWS), calibration_end="2024-02-29", merge_same_day=False)
    c7 = s.loc[7]
    # invoices 1 (20) and 2 (10) on Jan 1, 3 (30) on Jan 15, 4 (20) on Feb 1
    assert c7["frequency"] == 3
    assert c7["monetary_value"] == pytest.approx((10 + 30 + 20) / 3)
    assert (c7["recency"], c7["T"]) == (summary.loc[7, "recency"], summary.loc[7, "T"])
