"""The cleaning rules, each on a small frame with a known answer."""

import pandas as pd
import pytest

from crmwb import cleaning, engine, identity, io
from crmwb.schema import SchemaError


def lines(rows):
    cols = ["invoice_id", "customer_id", "date", "product_id", "description", "quantity",
            "unit_price"]
    df = pd.DataFrame(rows, columns=cols)
    df["date"] = pd.to_datetime(df["date"])
    df["customer_id"] = df["customer_id"].astype("Int64")
    return df


def clean(df, **kw):
    result = cleaning.clean_transactions(io.read_transactions(df), **kw)
    log = result.log.set_index("rule")
    return result, engine.to_pandas(result.lines), log


BASE = [
    ("1", 10, "2024-01-01", "A", "Mug", 10, 2.0),
    ("2", 11, "2024-01-02", "PEN", "Pen", 1, 1.0),
]


def test_rules_run_in_order_and_every_rule_is_logged():
    _, _, log = clean(lines(BASE))
    assert list(log.index) == list(cleaning.RULES)
    assert log["lines_after"].tolist() == [2] * len(cleaning.RULES)


def test_the_log_is_described_in_english_or_persian():
    rows = BASE + [("C1", 10, "2024-01-03", "A", "Mug", -4, 2.0)]
    result, _, _ = clean(lines(rows))
    english = cleaning.describe_log(result.log, "en")
    pd.testing.assert_frame_equal(english, result.log)
    cancel = english.set_index("rule").loc["cancellations", "description"]
    assert cancel == ("separated 1 cancellation lines (0 not fully matched); set aside 0 fully "
                      "cancelled purchases, reduced 1; 0 lines with a C invoice and a positive "
                      "quantity kept as purchases")
    persian = cleaning.describe_log(result.log, "fa", persian_digits=True).set_index("rule")
    assert persian.loc["cancellations", "description"].startswith("۱ سطر ابطال جدا شد (۰ بی‌جفت")
    assert persian["description"].str.contains("[\u0600-\u06FF]").all()
    read_back = result.log.copy()
    read_back.attrs = {}  # a log read from its CSV keeps its English descriptions
    assert cleaning.describe_log(read_back, "fa") is read_back


def test_codes_and_descriptions_are_tidied():
    _, out, log = clean(lines([(" 1 ", 10, "2024-01-01", " a1 ", "  Blue   Mug ", 1, 2.0)]))
    assert out[["invoice_id", "product_id", "description"]].iloc[0].tolist() == [
        "1", "A1", "Blue Mug"]
    assert log.loc["normalise_text", "lines_changed"] == 1


def test_exact_duplicates_are_removed_once():
    _, out, log = clean(lines(BASE + [BASE[0], BASE[0]]))
    assert len(out) == 2
    assert log.loc["exact_duplicates", "lines_removed"] == 2
    assert log.loc["exact_duplicates", "revenue_affected"] == pytest.approx(40.0)


def test_near_duplicates_differing_only_in_case_are_duplicates_after_tidying():
    rows = BASE + [("1", 10, "2024-01-01", "a", "Mug", 10, 2.0)]
    _, out, _ = clean(lines(rows))
    assert len(out) == 2


def test_non_product_lines_are_set_aside_not_lost():
    rows = BASE + [("1", 10, "2024-01-01", "POST", "POSTAGE", 1, 18.0),
                   ("3", 10, "2024-01-03", "BANK CHARGES", "Bank Charges", 1, 15.0),
                   ("4", 10, "2024-01-03", "ADJUST", "Manual", 1, 3.0),
                   ("4", 10, "2024-01-03", "MUG2", "Big mug", 1, 3.0)]
    result, out, log = clean(lines(rows))
    assert sorted(out["product_id"]) == ["A", "MUG2", "PEN"]
    assert sorted(engine.to_pandas(result.non_product)["product_id"]) == [
        "ADJUST", "BANK CHARGES", "POST"]
    assert log.loc["non_product_lines", "revenue_affected"] == pytest.approx(36.0)


def test_single_letter_codes_are_non_products_only_in_online_retail():
    rows = BASE + [("4", 10, "2024-01-03", "M", "Medium T-shirt", 1, 3.0),
                   ("5", 10, "2024-01-03", "D", "Discount", 1, 3.0)]
    _, out, _ = clean(lines(rows))  # another shop: M and D are products
    assert sorted(out["product_id"]) == ["A", "D", "M", "PEN"]
    result, out, _ = clean(lines(rows),
                           non_product_pattern=cleaning.non_product_pattern("online_retail"))
    assert sorted(engine.to_pandas(result.non_product)["product_id"]) == ["D", "M"]


def test_custom_non_product_pattern():
    rows = BASE + [("1", 10, "2024-01-01", "GIFTWRAP", "Gift wrap", 1, 1.0)]
    _, out, _ = clean(lines(rows), non_product_pattern=r"^GIFTWRAP$")
    assert "GIFTWRAP" not in set(out["product_id"])


def test_zero_and_negative_prices_are_removed_missing_prices_kept():
    rows = BASE + [("5", 10, "2024-01-04", "C", "Free", 1, 0.0),
                   ("5", 10, "2024-01-04", "A", "Mug", 1, 2.0),
                   ("6", None, "2024-01-04", "D1", "Write-off", 1, -11062.06),
                   ("7", None, "2024-01-04", "E", "Unpriced", 1, None)]
    _, out, log = clean(lines(rows))
    # the free item beside a paid line of invoice 5 is a gift, not a purchase
    assert sorted(out["product_id"]) == ["A", "A", "E", "PEN"]
    assert log.loc["invalid_prices", "lines_removed"] == 2


def test_a_free_order_by_a_known_customer_is_a_purchase():
    # CDNOW: a customer's $0 order (a promotion) is a purchase; without a customer, or taking
    # stock back, a price of zero is no purchase
    rows = BASE + [("8", 11, "2024-01-06", "CD", "Promo", 1, 0.0),
                   ("9", None, "2024-01-06", "CD", "Promo", 1, 0.0),
                   ("10", 12, "2024-01-06", "CD", "Adjust", -2, 0.0)]
    _, out, log = clean(lines(rows))
    assert sorted(out[out["customer_id"] == 11]["product_id"]) == ["CD", "PEN"]
    assert log.loc["invalid_prices", "lines_removed"] == 2
    _, out, log = clean(lines(rows), free_purchases=False)
    assert out[out["customer_id"] == 11]["product_id"].tolist() == ["PEN"]
    assert log.loc["invalid_prices", "lines_removed"] == 3


def test_cancellation_is_matched_to_its_purchase_and_netted():
    rows = BASE + [("C9", 10, "2024-01-05", "A", "Mug", -4, 2.0)]
    result, out, log = clean(lines(rows))
    assert out.set_index("product_id").loc["A", "quantity"] == 6
    assert log.loc["cancellations", "lines_changed"] == 1
    canc = engine.to_pandas(result.cancellations)
    assert canc[["matched_quantity", "unmatched_quantity"]].iloc[0].tolist() == [4, 0]


def test_fully_cancelled_purchase_disappears():
    rows = BASE + [("C9", 10, "2024-01-01", "A", "Mug", -10, 2.0)]  # same day, like 80,995
    result, out, log = clean(lines(rows))
    assert out["product_id"].tolist() == ["PEN"]
    assert log.loc["cancellations", "lines_removed"] == 2
    assert engine.to_pandas(result.unmatched_cancellations).empty


def test_cancellations_without_a_matching_purchase_are_reported():
    rows = BASE + [
        ("C9", 10, "2024-01-05", "Z", "Never bought", -1, 2.0),
        ("C10", 11, "2023-12-01", "PEN", "Before the purchase", -1, 1.0),
        ("C11", 10, "2024-01-05", "A", "More than bought", -50, 2.0),
    ]
    result, out, _ = clean(lines(rows))
    unmatched = engine.to_pandas(result.unmatched_cancellations)
    assert sorted(unmatched["invoice_id"]) == ["C10", "C11", "C9"]
    # C11 takes back the 10 that were bought; the other 40 are reported
    assert unmatched.set_index("invoice_id").loc["C11", "unmatched_quantity"] == 40
    assert out["quantity"].tolist() == [1]


def test_a_return_takes_back_from_the_latest_purchase_first():
    rows = [("1", 10, "2024-01-01", "A", "Mug", 3, 2.0),
            ("2", 10, "2024-01-03", "A", "Mug", 8, 2.5),
            ("C3", 10, "2024-01-04", "A", "Mug", -3, 2.0)]
    _, out, _ = clean(lines(rows))
    assert out["quantity"].tolist() == [3, 5]


def test_a_purchase_is_never_cancelled_beyond_what_was_bought():
    # two returns of 2 each; the latest purchase has only 3, so the second return
    # must take back from the earlier purchase instead of vanishing into the first
    rows = [("1", 10, "2024-01-01", "A", "Mug", 5, 2.0),
            ("2", 10, "2024-01-03", "A", "Mug", 3, 2.0),
            ("C3", 10, "2024-01-04", "A", "Mug", -2, 2.0),
            ("C4", 10, "2024-01-05", "A", "Mug", -2, 2.0)]
    result, out, _ = clean(lines(rows))
    assert out["quantity"].sum() == 5 + 3 - 4
    # latest first: C3 takes 2 of the 3, C4 the last one and 1 of the earlier 5
    assert out.set_index("invoice_id")["quantity"].to_dict() == {"1": 4}
    assert engine.to_pandas(result.unmatched_cancellations).empty


def test_returns_beyond_every_purchase_are_unmatched_not_netted():
    rows = [("1", 10, "2024-01-01", "A", "Mug", 3, 2.0),
            ("C3", 10, "2024-01-04", "A", "Mug", -2, 2.0),
            ("C4", 10, "2024-01-05", "A", "Mug", -2, 2.0)]
    result, out, _ = clean(lines(rows))
    assert out.empty  # 3 bought, 4 returned: the purchase is gone, one unit unmatched
    unmatched = engine.to_pandas(result.unmatched_cancellations)
    assert unmatched[["invoice_id", "unmatched_quantity"]].values.tolist() == [["C4", 1]]


def test_anonymous_lines_kept_or_removed_by_parameter():
    rows = BASE + [("8", None, "2024-01-06", "A", "Mug", 1, 2.0)]
    _, kept, log = clean(lines(rows))
    assert len(kept) == 3 and log.loc["anonymous_lines", "lines_flagged"] == 1
    _, dropped, log = clean(lines(rows), keep_anonymous=False)
    assert len(dropped) == 2 and log.loc["anonymous_lines", "lines_removed"] == 1


def test_extreme_lines_are_flagged_not_removed():
    rows = [(str(i), 10 + i % 7, "2024-01-01", "A", "Mug", 1 + i % 3, 2.0 + i % 5)
            for i in range(60)]
    rows.append(("99", 10, "2024-01-02", "A", "Mug", 80995, 2.08))
    _, out, log = clean(lines(rows))
    assert len(out) == 61
    assert out.loc[out["outlier"], "quantity"].tolist() == [80995]
    assert log.loc["outliers", "lines_flagged"] == 1


def test_raw_input_is_not_modified():
    df = lines(BASE + [BASE[0], (" C9", 10, "2024-01-05", " a", "Mug", -4, 2.0)])
    copy = df.copy()
    clean(df)
    pd.testing.assert_frame_equal(df, copy)


def test_clean_tables_are_written_whole_to_a_new_folder(tmp_path):
    result, out, _ = clean(lines(BASE + [("C9", 10, "2024-01-05", "Z", "x", -1, 2.0)]))
    folder = cleaning.write_cleaned(result, tmp_path / "clean")
    assert sorted(p.name for p in folder.iterdir()) == [
        ".crmwb-output.json", "cancellations.parquet", "cancelled_purchases.parquet",
        "cleaning_log.csv", "duplicate_lines.parquet", "invalid_price_lines.parquet",
        "non_product_lines.parquet", "transactions.parquet", "unmatched_cancellations.parquet"]
    pd.testing.assert_frame_equal(pd.read_parquet(folder / "transactions.parquet"), out,
                                  check_dtype=False)
    with pytest.raises(FileExistsError):
        cleaning.write_cleaned(result, folder)
    assert io.read_dataset(folder).transactions.count().execute() == len(out)


def test_cleaning_the_generated_data_recovers_the_simulated_purchases(crm_data):
    """Every planted kind of dirt removed: each person's invoices and quantities are the
    simulated ones (partial, split and second-id returns included)."""
    cw = identity.crosswalk(crm_data.customers)
    result = cleaning.clean_transactions(io.read_transactions(crm_data.transactions),
                                         crosswalk=cw)
    clean_lines = engine.to_pandas(result.lines)
    person = clean_lines["customer_id"].map(
        crm_data.truth["identity"].set_index("customer_id")["person_id"])
    known = clean_lines.assign(person=person).dropna(subset=["person"])
    invoices = known.groupby("person")["invoice_id"].nunique()
    truth = crm_data.truth["customers"].set_index("person_id")
    assert (invoices.reindex(truth.index).to_numpy() == truth["n_repeat"].to_numpy() + 1).all()
    params = crm_data.truth["params"]
    assert len(known) == params["purchase_lines"]
    assert known["quantity"].sum() == params["purchase_quantity"]
    assert set(clean_lines["customer_id"].dropna()) <= set(cw["master_id"])
    assert engine.to_pandas(result.unmatched_cancellations).empty
    assert not set(clean_lines["product_id"]) & {"POST", "BANK CHARGES", "ADJUST"}
    # the hard returns are there: split, partial and under a second id
    log = result.log.set_index("rule")
    assert log.loc["cancellations", "lines_changed"] > 0  # partly returned purchases
    assert (result.matches.groupby("c_line")["b_line"].nunique() > 1).any()  # split returns
    unkeyed = cleaning.clean_transactions(io.read_transactions(crm_data.transactions))
    assert unkeyed.unmatched_cancellations.count().execute() > 0  # found only by re-keying


def test_clean_lines_keep_the_input_order_and_runs_repeat_exactly():
    rows = [("3", 12, "2024-01-03", "Z", "Zip", 1, 1.0),
            ("1", 10, "2024-01-01", "A", "Mug", 2, 2.0),
            ("3", 12, "2024-01-03", "Z", "Zip", 1, 1.0),
            ("2", 11, "2024-01-02", "PEN", "Pen", 3, 1.0),
            ("C4", 10, "2024-01-04", "A", "Mug", -1, 2.0)]
    first, out, _ = clean(lines(rows))
    assert out["invoice_id"].tolist() == ["3", "1", "2"]
    again, out2, _ = clean(lines(rows))
    pd.testing.assert_frame_equal(out, out2)
    pd.testing.assert_frame_equal(engine.to_pandas(first.cancellations),
                                  engine.to_pandas(again.cancellations))


def accounted(result):
    counts = result.accounts()
    return sum(v for k, v in counts.items() if k != "lines_in"), counts["lines_in"]


HOSTILE = BASE + [
    BASE[0], BASE[0],                                          # two extra copies
    ("3", 10, "2024-01-02", "POST", "Postage", 1, 5.0),         # non-product
    ("3", 10, "2024-01-02", "B", "Pencil", 1, 0.0),             # free gift on a paid invoice
    ("5", None, "2024-01-03", "A", "Mug", 2, 2.0),               # anonymous
    ("CASH7", 11, "2024-01-03", "PEN", "Pen", 2, 1.0),          # a C invoice, positive
    ("C8", 11, "2024-01-04", "PEN", "Pen", -3, 1.0),            # takes back 3 of the 1 + 2
    ("C9", 10, "2023-12-01", "A", "Mug", -1, 2.0),              # before any purchase
    ("C10", None, "2024-01-05", "A", "Mug", -1, 2.0),           # anonymous return
]


@pytest.mark.parametrize("keep_anonymous", [True, False])
def test_every_line_in_is_in_exactly_one_output_table(keep_anonymous):
    result, out, log = clean(lines(HOSTILE), keep_anonymous=keep_anonymous)
    total, lines_in = accounted(result)
    assert total == lines_in == len(HOSTILE)
    # the log counts the lines left after each rule
    left = 2 if keep_anonymous else 1
    expected = [11, 11, 9, 8, 7, 2, left, left]
    assert log["lines_after"].tolist() == expected
    assert log["lines_after"].iloc[-1] == len(out)


def test_every_line_is_accounted_for_on_the_generated_data(crm_data):
    result = cleaning.clean_transactions(io.read_transactions(crm_data.transactions))
    total, lines_in = accounted(result)
    assert total == lines_in == len(crm_data.transactions)


def test_a_c_invoice_with_a_positive_quantity_is_a_purchase_not_a_cancellation():
    rows = [("1", 11, "2024-01-02", "PEN", "Pen", 5, 1.0),
            ("CASH7", 11, "2024-01-03", "PEN", "Pen", 2, 1.0)]
    result, out, log = clean(lines(rows))
    assert out["quantity"].tolist() == [5, 2]  # today CASH7 grew the purchase to 7
    assert log.loc["cancellations", "lines_flagged"] == 1
    assert engine.to_pandas(result.cancellations).empty


def test_one_return_is_split_across_several_purchases_latest_first():
    rows = [("1", 10, "2024-01-01", "A", "Mug", 3, 2.0),
            ("2", 10, "2024-01-02", "A", "Mug", 3, 2.0),
            ("C3", 10, "2024-01-05", "A", "Mug", -5, 2.0)]
    result, out, _ = clean(lines(rows))
    assert out[["invoice_id", "quantity"]].values.tolist() == [["1", 1]]
    assert engine.to_pandas(result.cancelled_purchases)["invoice_id"].tolist() == ["2"]
    assert result.matches["quantity"].tolist() == [3, 2]
    assert engine.to_pandas(result.unmatched_cancellations).empty


def test_many_returns_competing_for_purchases_all_match_without_a_round_limit():
    # 120 one-unit purchases on different days, 120 one-unit returns on the last day: each
    # return prefers the latest purchase, so one-proposal-per-round matching needs 120 rounds
    rows = [(str(i), 10, f"2024-{1 + i // 28:02d}-{1 + i % 28:02d}", "A", "Mug", 1, 2.0)
            for i in range(120)]
    rows += [(f"C{i}", 10, "2024-06-30", "A", "Mug", -1, 2.0) for i in range(120)]
    result, out, _ = clean(lines(rows))
    assert out.empty
    assert engine.to_pandas(result.unmatched_cancellations).empty
    assert accounted(result) == (240, 240)


def test_a_return_under_a_second_id_finds_the_purchase_under_the_first():
    rows = [("1", 10, "2024-01-01", "A", "Mug", 3, 2.0),
            ("C2", 99, "2024-01-05", "A", "Mug", -3, 2.0)]
    customers = pd.DataFrame({"customer_id": [10, 99], "name": ["Sara Ahmadi", "SARA AHMADI"],
                              "phone": ["09121234567", "+98 912 123 4567"]})
    cw = identity.crosswalk(customers)
    result, out, log = clean(lines(rows), crosswalk=cw)
    assert out.empty and engine.to_pandas(result.unmatched_cancellations).empty
    assert log.loc["master_ids", "lines_changed"] == 1
    # without the crosswalk the return is unmatched
    result, out, _ = clean(lines(rows))
    assert len(out) == 1 and len(engine.to_pandas(result.unmatched_cancellations)) == 1


def test_rekeying_never_multiplies_lines():
    cw = pd.DataFrame({"customer_id": [10, 10], "master_id": [1, 2], "records": 2,
                       "evidence": ""})
    with pytest.raises(ValueError, match="more than once"):
        identity.rekey_transactions(io.read_transactions(lines(BASE)), cw)


def test_missing_quantities_or_products_are_refused_at_read_time():
    df = lines(BASE + [("3", 10, "2024-01-03", None, "x", 1, 2.0)])
    df.loc[0, "quantity"] = None
    with pytest.raises(SchemaError) as err:
        io.read_transactions(df)
    assert "'product_id': 1 missing" in str(err.value)
    assert "'quantity': 1 missing" in str(err.value)
