"""The synthetic shop written as real shops export it: the hard cases for the reader.

:func:`write_messy_export` writes the transactions and the customers of a data
set as CSV files in one of the :data:`STYLES` that shops really send, so that
notebook 01 and the tests can show that :func:`crmwb.io.read_dataset` reads
every value back as it was:

``europe``
    Windows-1252 (curly quotes, the euro sign), ``;`` between fields, a decimal
    comma and grouped thousands (``1.234,50``), day-first dates
    (``31.12.2024 18:30:05``).
``iran``
    Windows-1256 (as Persian Windows exports), ``;``, a decimal comma, Solar
    Hijri dates (``1403/10/11 18:30:05``) and Arabic letter forms in the text.
``excel_unicode``
    Excel's "Unicode text": UTF-16 with a byte-order mark, tab-separated,
    month-first dates with a 12-hour clock (``12/31/2024 6:30:05 PM``).
"""

from __future__ import annotations

from pathlib import Path

import jdatetime
import numpy as np
import pandas as pd

from crmwb.io import write_folder

STYLES = ("europe", "iran", "excel_unicode")

_ARABIC_FORMS = str.maketrans({"ی": "ي", "ک": "ك"})


def _number(values: pd.Series, decimal: str, group: bool) -> pd.Series:
    """Numbers as text with ``decimal`` as the decimal mark (thousands grouped if asked)."""
    def one(v):
        if pd.isna(v):
            return ""
        text = f"{v:,.2f}" if group else repr(float(v)) if float(v) != int(v) else str(int(v))
        if decimal == ",":
            text = text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
        return text
    return values.map(one)


def _dates(values: pd.Series, style: str) -> pd.Series:
    stamps = pd.to_datetime(values)
    if style == "europe":
        return stamps.dt.strftime("%d.%m.%Y %H:%M:%S").fillna("")
    if style == "excel_unicode":
        hour = stamps.dt.hour % 12
        hour = hour.where(hour != 0, 12)
        ampm = np.where(stamps.dt.hour < 12, "AM", "PM")
        return (stamps.dt.strftime("%m/%d/%Y ") + hour.astype("Int64").astype(str)
                + stamps.dt.strftime(":%M:%S ") + ampm).where(stamps.notna(), "")

    def jalali(t):
        if pd.isna(t):
            return ""
        j = jdatetime.datetime.fromgregorian(datetime=t.to_pydatetime())
        return f"{j.year}/{j.month:02d}/{j.day:02d} {t:%H:%M:%S}"
    return stamps.map(jalali)


def _id_text(values: pd.Series) -> pd.Series:
    """Text of a column; whole numbers stored as decimals (ids beside missing values, as
    pandas keeps them) written without a ``.0``."""
    if pd.api.types.is_float_dtype(values) and (values.dropna() % 1 == 0).all():
        values = values.astype("Int64")
    return values.astype("string").fillna("")


def messy_frame(frame: pd.DataFrame, style: str, numbers=(), dates=()) -> pd.DataFrame:
    """``frame`` as text the way a ``style`` export writes it."""
    if style not in STYLES:
        raise ValueError(f"unknown export style {style!r}; expected one of {STYLES}")
    out = pd.DataFrame(index=frame.index)
    decimal = "." if style == "excel_unicode" else ","
    for col in frame.columns:
        s = frame[col]
        if col in numbers:
            out[col] = _number(s, decimal, group=col == "unit_price")
        elif col in dates:
            out[col] = _dates(s, style)
        else:
            text = _id_text(s)
            out[col] = text.str.translate(_ARABIC_FORMS) if style == "iran" else text
    return out


def write_messy_export(transactions: pd.DataFrame, customers: pd.DataFrame | None,
                       out_dir: str | Path, style: str = "europe",
                       overwrite: bool = False) -> Path:
    """Write ``transactions.csv`` (and ``customers.csv``) as a ``style`` export.

    Parameters
    ----------
    transactions, customers : pandas.DataFrame
        Canonical tables (e.g. of :func:`crmwb.datasets.make_crm_data`).
    out_dir : str or Path
        A new folder, written whole or not at all.
    style : str
        One of :data:`STYLES`.

    Returns
    -------
    Path
        The folder, readable by :func:`crmwb.io.read_dataset` with no option set.
    """
    encoding, sep = {"europe": ("windows-1252", ";"), "iran": ("windows-1256", ";"),
                     "excel_unicode": ("utf-16", "\t")}[style]
    tables = {"transactions": messy_frame(transactions, style, ("quantity", "unit_price"),
                                          ("date",))}
    if customers is not None:
        tables["customers"] = messy_frame(customers, style, (), ("signup_date",))

    def fill(tmp: Path) -> None:
        for name, table in tables.items():
            text = table.to_csv(sep=sep, index=False, lineterminator="\r\n")
            (tmp / f"{name}.csv").write_bytes(text.encode(encoding))  # no character lost

    return write_folder(Path(out_dir), fill, overwrite)


def read_back(transactions: pd.DataFrame, customers: pd.DataFrame | None,
              folder: str | Path, styles=STYLES) -> pd.DataFrame:
    """Write the tables as each export style, read them back with no option, compare.

    Returns
    -------
    pandas.DataFrame
        One row per style: ``style``, ``example_date`` and ``example_price`` (as the
        export writes them), ``lines`` (read back) and ``identical`` (every id, date,
        quantity and price as in the original).
    """
    from crmwb import engine, io

    rows = []
    for style in styles:
        out = write_messy_export(transactions, customers, Path(folder) / style, style)
        got = engine.to_pandas(io.read_dataset(out).transactions)
        first = messy_frame(transactions.head(1), style, ("quantity", "unit_price"), ("date",))
        text = _id_text

        same = len(got) == len(transactions) and all(
            (text(got[c]) == text(transactions[c])).all() for c in ("invoice_id", "customer_id")
        ) and bool(
            (got["date"].to_numpy() == pd.to_datetime(transactions["date"]).to_numpy()).all()
            and np.allclose(got["quantity"], transactions["quantity"])
            and np.allclose(got["unit_price"], transactions["unit_price"], equal_nan=True))
        rows.append({"style": style, "example_date": first["date"].iloc[0],
                     "example_price": first["unit_price"].iloc[0], "lines": len(got),
                     "identical": same})
    return pd.DataFrame(rows)
