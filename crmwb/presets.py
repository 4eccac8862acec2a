"""Ready-made mappings from public data formats to the canonical transactions.

A preset names a format's columns in canonical terms and, where the format is
not one line per product on an invoice, says how to read it:

``online_retail``
    UCI Online Retail (2010-2011): InvoiceNo, StockCode, Description,
    Quantity, InvoiceDate, UnitPrice, CustomerID, Country.
``online_retail_ii``
    UCI Online Retail II (2009-2011): Invoice, StockCode, Description,
    Quantity, InvoiceDate, Price, Customer ID, Country; as ``.xlsx`` with one
    sheet per year, or as ``.csv``.
``cdnow``, ``cdnow_sample``
    CDNOW purchases (Fader, Hardie & Lee): whitespace-separated customer id,
    date (YYYYMMDD), number of CDs and dollar value; the master file has a
    header, the 1/10 sample has none and a second id column. Each line is one
    purchase: the invoice id is customer and date, the product ``CD``.
``groceries``
    One basket per line, items separated by commas (arules' Groceries). No
    customers, dates or prices: those columns are missing.
``telco_churn``
    IBM's Telco customer churn table: one row per subscriber, not lines, so it
    is read with :func:`crmwb.io.read_subscriptions` into the canonical
    ``subscriptions`` table. Column names are put in snake case
    (``customerID`` -> ``customer_id``, ``Churn`` -> ``churned``), Yes/No
    columns become true/false, contract and gender are lower-cased, and the
    blank ``TotalCharges`` of brand-new subscribers become missing.
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import ibis
import ibis.expr.types as ir
import pandas as pd

from crmwb import engine, parsing


@dataclass(frozen=True)
class Preset:
    """How to read one public format into canonical transactions."""

    name: str
    description: str
    mapping: dict[str, str] = field(default_factory=dict)
    dayfirst: bool | None = None
    #: reads the file itself (path, encoding, con) -> Ibis table with canonical names
    reader: Callable[..., ir.Table] | None = None
    #: the canonical table the format fills
    table: str = "transactions"
    #: codes of the format's non-product lines (crmwb.cleaning.non_product_pattern)
    non_product_pattern: str | None = None
    #: whether two identical lines are two real purchases: a format without invoice numbers
    #: (CDNOW: a customer, a day, CDs and dollars) writes two orders of one day identically
    identical_lines_are_real: bool = False
    #: the ISO 4217 code of the format's money (crmwb's currency parameter by default)
    currency: str = ""


#: Online Retail's non-product codes: the general ones and its single-letter codes, manual
#: entries (M), discounts (D), samples (S) and bad-debt adjustments (B).
ONLINE_RETAIL_NON_PRODUCT = (
    r"^(POST|POSTAGE|DOT|C2|BANK CHARGES|M|D|S|B|PADS|CRUK|AMAZONFEE|ADJUST\d*|TEST\d*"
    r"|GIFT_\d+_\d+)$"
)


def _read_cdnow(path: Path, encoding: str | None, con, sample: bool) -> ir.Table:
    names = (["customer_id", "master_id", "date", "number_of_cds", "dollar_value"] if sample
             else ["customer_id", "date", "number_of_cds", "dollar_value"])
    frame = pd.read_csv(path, sep=r"\s+", header=None, names=names, dtype=str,
                        skiprows=0 if sample else 1, encoding=encoding or "utf-8")
    cds = parsing.numbers(frame["number_of_cds"])
    value = parsing.numbers(frame["dollar_value"])
    bad = (cds.isna() & frame["number_of_cds"].notna()) | (
        value.isna() & frame["dollar_value"].notna())
    if bad.any():
        raise ValueError(f"{path}: {int(bad.sum())} line(s) whose number of CDs or dollar value "
                         f"is not a number, e.g.\n{frame[bad].head(5).to_string()}")
    frame = frame.assign(number_of_cds=cds, dollar_value=value)
    t = engine.open_table(frame, con=con)
    return t.select(
        invoice_id=t.customer_id.strip() + "-" + t.date.strip(),
        customer_id=t.customer_id.strip().cast("int64"),
        date=engine.parse_timestamp(t.date, ["%Y%m%d"]),
        product_id=ibis.literal("CD"),
        quantity=t.number_of_cds,
        unit_price=ibis.ifelse(t.number_of_cds > 0, t.dollar_value / t.number_of_cds,
                               t.dollar_value),
    )


def _read_baskets(path: Path, encoding: str | None, con, sep: str = ",") -> ir.Table:
    opener = gzip.open if str(path).endswith(".gz") else open
    rows = []
    with opener(path, "rt", encoding=encoding or "utf-8") as f:
        for number, line in enumerate(f, 1):
            for item in line.rstrip("\r\n").split(sep):
                if item.strip():
                    rows.append((str(number), item.strip()))
    frame = pd.DataFrame(rows, columns=["invoice_id", "product_id"])
    frame["description"] = frame["product_id"]
    frame["customer_id"] = pd.array([None] * len(frame), dtype="Int64")
    frame["date"] = pd.Series(pd.NaT, index=frame.index, dtype="datetime64[us]")
    frame["quantity"] = 1.0
    frame["unit_price"] = float("nan")
    return engine.open_table(frame, con=con)


def snake_case(name: str) -> str:
    """``customerID`` -> ``customer_id``, ``StreamingTV`` -> ``streaming_tv``."""
    name = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name.strip())
    name = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    return re.sub(r"[^0-9a-zA-Z]+", "_", name).strip("_").lower()


def _read_telco(path: Path, encoding: str | None) -> pd.DataFrame:
    frame = pd.read_csv(path, dtype=str, encoding=encoding or "utf-8", keep_default_na=False)
    frame = frame.rename(columns=snake_case).rename(columns={"churn": "churned"})
    if "customer_id" not in frame.columns:  # modeldata's copy has no id: number the rows
        frame.insert(0, "customer_id", [str(i) for i in range(1, len(frame) + 1)])
    out = {}
    for name, col in frame.items():
        text = col.str.strip()
        if name in ("tenure", "monthly_charges", "total_charges"):
            number = pd.to_numeric(text.where(text != ""), errors="coerce")
            bad = number.isna() & (text != "")
            if bad.any():
                rows = frame.loc[bad, ["customer_id", name]].head(5)
                raise ValueError(f"{path}: column {name!r} has {int(bad.sum())} value(s) "
                                 f"that are not numbers, e.g.\n{rows.to_string()}")
            out[name] = number.astype("Int64") if name == "tenure" else number
        elif name != "customer_id" and set(text.str.lower().unique()) <= {"yes", "no"}:
            out[name] = text.str.lower() == "yes"
        elif name != "customer_id" and set(text.unique()) <= {"0", "1"}:
            out[name] = text == "1"
        elif name in ("contract", "gender"):
            out[name] = text.str.lower()
        else:
            out[name] = text.where(text != "")
    return pd.DataFrame(out)


PRESETS: dict[str, Preset] = {
    "online_retail": Preset(
        "online_retail", "UCI Online Retail (2010-2011)",
        {"InvoiceNo": "invoice_id", "StockCode": "product_id", "Description": "description",
         "Quantity": "quantity", "InvoiceDate": "date", "UnitPrice": "unit_price",
         "CustomerID": "customer_id", "Country": "country"},
        dayfirst=False, non_product_pattern=ONLINE_RETAIL_NON_PRODUCT, currency="GBP",
    ),
    "online_retail_ii": Preset(
        "online_retail_ii", "UCI Online Retail II (2009-2011)",
        {"Invoice": "invoice_id", "StockCode": "product_id", "Description": "description",
         "Quantity": "quantity", "InvoiceDate": "date", "Price": "unit_price",
         "Customer ID": "customer_id", "Country": "country"},
        dayfirst=False, non_product_pattern=ONLINE_RETAIL_NON_PRODUCT, currency="GBP",
    ),
    "cdnow": Preset("cdnow", "CDNOW master file (23,570 customers)",
                    reader=lambda p, enc, con: _read_cdnow(p, enc, con, sample=False),
                    identical_lines_are_real=True, currency="USD"),
    "cdnow_sample": Preset("cdnow_sample", "CDNOW 1/10 sample (2,357 customers)",
                           reader=lambda p, enc, con: _read_cdnow(p, enc, con, sample=True),
                           identical_lines_are_real=True, currency="USD"),
    "groceries": Preset("groceries", "one basket per line, items comma-separated",
                        reader=_read_baskets),
    "telco_churn": Preset("telco_churn", "IBM Telco customer churn (7,043 subscribers)",
                          reader=lambda p, enc, con=None: _read_telco(p, enc),
                          table="subscriptions"),
}


def get_preset(name: str) -> Preset:
    """The preset called ``name``; a clear error listing the others if unknown."""
    try:
        return PRESETS[name]
    except KeyError:
        raise ValueError(f"unknown preset {name!r}; available: {', '.join(PRESETS)}") from None
