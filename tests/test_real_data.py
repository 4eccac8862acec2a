"""Reading and cleaning the public datasets in ../shared/datasets.

Each count is computed twice: by crmwb and, independently, by plain pandas in
the test. The tests skip, with the reason, where the folder is absent.
"""

import re

import nbformat as nbf
import numpy as np
import pandas as pd
import pytest
from conftest import shared_dataset

from crmwb import cleaning, cli, engine, io, prepared


def count(t) -> int:
    return int(t.count().execute())


def run_notebook(tmp_path, only: str, params: str) -> str:
    """Run one notebook with a parameters file through the CLI; return what it printed."""
    path = tmp_path / "params.yaml"
    if "transactions_path" in params:  # prepared beside the test, not in the project's data/
        params += f"prepared: {tmp_path / 'prepared'}\n"
    path.write_text(params)
    out = tmp_path / "reports"
    assert cli.main(["run", "--params", str(path), "--out", str(out), "--only", only]) == 0
    executed = nbf.read(next(out.glob(f"{only}_*.ipynb")), as_version=4)
    return "".join(str(o.get("text", "")) for cell in executed.cells
                   for o in cell.get("outputs", []))


@pytest.fixture(scope="module")
def retail_path():
    return shared_dataset("online_retail", "online_retail.csv.gz")


@pytest.fixture(scope="module")
def retail_pandas(retail_path):
    """Online Retail after each rule, by plain pandas."""
    raw = pd.read_csv(retail_path, dtype={"InvoiceNo": str, "StockCode": str},
                      encoding="utf-8")
    steps = {"raw": raw}
    norm = raw.assign(
        InvoiceNo=raw["InvoiceNo"].str.strip().str.upper(),
        StockCode=raw["StockCode"].str.strip().str.upper(),
        Description=raw["Description"].str.strip().str.replace(r"\s+", " ", regex=True),
    )
    steps["exact_duplicates"] = dedup = norm.drop_duplicates()
    non_product = dedup["StockCode"].str.fullmatch(
        cleaning.non_product_pattern("online_retail").strip("^$"))
    steps["non_product"] = dedup[non_product]
    steps["non_product_lines"] = products = dedup[~non_product]
    # a price of zero is no purchase, unless it is a known customer's free order: an
    # invoice with no priced line (gifts beside paid lines are set aside)
    paid = set(dedup.loc[dedup["UnitPrice"] > 0, "InvoiceNo"])
    free = ((products["UnitPrice"] == 0) & products["CustomerID"].notna()
            & (products["Quantity"] > 0) & ~products["InvoiceNo"].isin(paid))
    steps["invalid_prices"] = priced = products[(products["UnitPrice"] > 0) | free]
    cancel = priced["Quantity"] < 0  # a return is a negative quantity
    steps["cancellation_lines"] = priced[cancel]
    steps["purchases"] = priced[~cancel]
    return steps


@pytest.fixture(scope="module")
def retail_clean(retail_path):
    lines = io.read_transactions(retail_path, preset="online_retail")
    return lines, cleaning.clean_transactions(
        lines, non_product_pattern=cleaning.non_product_pattern("online_retail"))


def test_online_retail_reads_every_line_with_canonical_types(retail_clean, retail_pandas):
    lines, _ = retail_clean
    raw = retail_pandas["raw"]
    assert count(lines) == len(raw) == 541_909
    schema = lines.schema()
    assert schema["date"].is_timestamp() and schema["unit_price"].is_floating()
    assert schema["customer_id"].is_string()  # ids are text: "17850.0" read as "17850"
    got = lines.aggregate(q=lines.quantity.sum(), c=lines.customer_id.nunique(),
                          first=lines.date.min(), last=lines.date.max()).to_pandas().iloc[0]
    assert got["q"] == raw["Quantity"].sum()
    assert got["c"] == raw["CustomerID"].nunique()
    dates = pd.to_datetime(raw["InvoiceDate"])
    assert (got["first"], got["last"]) == (dates.min(), dates.max())


def test_online_retail_counts_after_each_rule_match_pandas(retail_clean, retail_pandas):
    _, result = retail_clean
    log = result.log.set_index("rule")
    p = retail_pandas
    assert log.loc["normalise_text", "lines_after"] == len(p["raw"])
    assert log.loc["exact_duplicates", "lines_after"] == len(p["exact_duplicates"]) == 536_641
    assert count(result.non_product) == len(p["non_product"]) == 2_944
    assert log.loc["non_product_lines", "lines_after"] == len(p["non_product_lines"])
    assert log.loc["invalid_prices", "lines_after"] == len(p["invalid_prices"])
    # 2,492 lines priced at zero or below, of which 6 are customers' free orders, kept
    assert len(p["non_product_lines"]) - len(p["invalid_prices"]) == 2_492 - 6
    assert count(result.cancellations) == len(p["cancellation_lines"]) == 8_668
    # the rules after cancellations change nothing on this data (anonymous lines are kept)
    assert log.loc["outliers", "lines_after"] == log.loc["cancellations", "lines_after"]
    assert log.loc["outliers", "lines_after"] == count(result.lines)
    # every one of the 541,909 lines is in exactly one output table
    accounts = result.accounts()
    assert sum(v for k, v in accounts.items() if k != "lines_in") == accounts["lines_in"] \
        == len(p["raw"])
    assert accounts["duplicates"] == len(p["raw"]) - len(p["exact_duplicates"])


def test_online_retail_cancellations_are_netted_against_their_purchases(retail_clean,
                                                                      retail_pandas):
    _, result = retail_clean
    purchases, cancels = retail_pandas["purchases"], retail_pandas["cancellation_lines"]
    # a cancellation whose customer never bought the product before cannot be matched
    bought = purchases.dropna(subset=["CustomerID"]).assign(
        d=lambda f: pd.to_datetime(f["InvoiceDate"]))
    first = bought.groupby(["CustomerID", "StockCode"])["d"].min().rename("first_bought")
    c = cancels.join(first, on=["CustomerID", "StockCode"])
    impossible = int((c["first_bought"].isna() | (c["first_bought"] >
                                                  pd.to_datetime(c["InvoiceDate"]))).sum())
    unmatched = count(result.unmatched_cancellations)
    assert impossible <= unmatched < len(cancels)
    # net quantity: purchases minus what the matched cancellations took back
    matched_qty = engine.to_pandas(result.cancellations)["matched_quantity"].sum()
    clean_qty = engine.to_pandas(result.lines.aggregate(q=result.lines.quantity.sum()))["q"][0]
    assert clean_qty == purchases["Quantity"].sum() - matched_qty
    # lines are only ever removed or reduced, never below one unit
    assert engine.to_pandas(result.lines.aggregate(m=result.lines.quantity.min()))["m"][0] >= 1


def test_online_retail_giant_orders_cancelled_the_same_day_are_gone(retail_clean,
                                                                    retail_pandas):
    _, result = retail_clean
    giant = retail_pandas["purchases"].nlargest(2, "Quantity")
    assert giant["Quantity"].tolist() == [80_995, 74_215]
    clean = engine.to_pandas(result.lines)
    assert not clean["invoice_id"].isin(giant["InvoiceNo"]).any()
    # what is left is free of every kind of removed line
    assert not clean["invoice_id"].str.startswith("C").any()
    assert (clean["unit_price"] >= 0).all()
    # a price of zero is left only on a free order: an invoice without a priced line
    free = clean[clean["unit_price"] == 0]
    paid = set(clean.loc[clean["unit_price"] > 0, "invoice_id"])
    assert len(free) and not free["invoice_id"].isin(paid).any()
    assert not clean["product_id"].str.fullmatch(
        cleaning.non_product_pattern("online_retail").strip("^$")).any()


def test_notebook_01_runs_unchanged_on_online_retail(retail_path, retail_clean, tmp_path):
    _, result = retail_clean
    out = tmp_path / "prepared"
    params = tmp_path / "retail.yaml"
    params.write_text(f"transactions_path: {retail_path}\npreset: online_retail\n"
                      f"prepared: {out}\n")
    rc = cli.main(["run", "--params", str(params), "--out", str(tmp_path / "reports"),
                   "--only", "01"])
    assert rc == 0
    data = prepared.open(out)
    assert count(data.lines) == count(result.lines)
    log = pd.read_parquet(out / "cleaning_log.parquet")[result.log.columns]
    pd.testing.assert_frame_equal(log, result.log, check_dtype=False)
    executed = nbf.read(tmp_path / "reports" / "01_data_cleaning.ipynb", as_version=4)
    printed = "".join(str(o.get("text", "")) + str(o.get("data", {}).get("text/plain", ""))
                      for cell in executed.cells for o in cell.get("outputs", []))
    assert "536641" in re.sub(r"[,\s]", "", printed)


@pytest.mark.parametrize("name, preset, lines, customers", [
    ("CDNOW_master.txt", "cdnow", 69_659, 23_570),
    ("CDNOW_sample.txt", "cdnow_sample", 6_919, 2_357),
])
def test_cdnow_reads_one_line_per_purchase(name, preset, lines, customers):
    path = shared_dataset("cdnow", name)
    raw = pd.read_csv(path, sep=r"\s+", header=None, skiprows=1 if preset == "cdnow" else 0)
    t = io.read_transactions(path, preset=preset)
    got = engine.to_pandas(t)
    assert len(got) == len(raw) == lines
    assert got["customer_id"].nunique() == raw[0].nunique() == customers
    value = (got["quantity"] * got["unit_price"]).sum()
    assert value == pytest.approx(raw[raw.columns[-1]].sum())
    assert got["date"].min() == pd.Timestamp("1997-01-01")


def test_groceries_reads_one_basket_per_line():
    path = shared_dataset("groceries", "groceries.csv")
    with open(path) as f:
        baskets = [[i.strip() for i in line.rstrip("\n").split(",") if i.strip()] for line in f]
    got = engine.to_pandas(io.read_transactions(path, preset="groceries"))
    assert got["invoice_id"].nunique() == len(baskets) == 9_835
    assert got["product_id"].nunique() == len({i for b in baskets for i in b}) == 169
    assert len(got) == sum(len(b) for b in baskets) == 43_367
    assert got["customer_id"].isna().all()


def test_telco_churn_reads_into_canonical_subscriptions():
    folder = shared_dataset("telco_churn")
    path = next(folder.glob("*.csv"))
    raw = pd.read_csv(path)
    subs = io.read_subscriptions(path, preset="telco_churn")
    assert len(subs) == len(raw) == 7_043
    assert subs["churned"].sum() == (raw.iloc[:, -1] == "Yes").sum()
    assert subs["total_charges"].isna().sum() == 11
    assert set(subs["contract"]) == {"month-to-month", "one year", "two year"}
    np.testing.assert_allclose(subs["monthly_charges"], raw["MonthlyCharges"])
    with pytest.raises(ValueError, match="read_subscriptions"):
        io.read_transactions(path, preset="telco_churn")


def test_notebook_02_segments_online_retail(retail_path, retail_pandas, tmp_path):
    printed = run_notebook(tmp_path, "02",
                           f"transactions_path: {retail_path}\npreset: online_retail\n")
    customers = int(re.search(r"([\d,]+) customers with a purchase", printed)[1].replace(",", ""))
    # customers of the purchases pandas keeps, less those whose purchases were all cancelled
    bought = retail_pandas["purchases"]["CustomerID"].nunique()
    assert 0.99 * bought <= customers <= bought
    assert "no brand column" in printed


def test_notebook_05_mines_groceries(tmp_path):
    path = shared_dataset("groceries", "groceries.csv")
    printed = run_notebook(tmp_path, "05", f"baskets_path: {path}\nmin_support: 0.01\n"
                                           "min_confidence: 0.3\nmin_lift: 1.0\n")
    assert "9,835 baskets of 169 distinct items" in printed
    from crmwb import basket

    expected = basket.mine_rules(basket.read_baskets(path), 0.01, 0.3, max_len=3, min_lift=1.0,
                                 prune=True)
    assert f"{len(expected):,} rules with lift of at least 1.0" in printed
