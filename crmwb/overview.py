"""The course map and a first look at a data set (notebook 00).

The CRM process of Peppers & Rogers (CONCEPTS.md section 1) is the map of the
workbench: each stage points to the notebook that does it. The first-look
figures aggregate the transaction lines in the engine and return small
pandas frames for display.
"""

from __future__ import annotations

from pathlib import Path

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from crmwb import calendars, config
from crmwb.glossary import glossary
from crmwb.io import Dataset

#: Each notebook on the course's maps: (its stage of the CRM process, Peppers & Rogers'
#: identify, differentiate, interact, customize; its stage of the customer value cycle,
#: acquisition (the right customer), development (the right relationship) or retention
#: (the right retention); the kind of CRM it is, strategic (planning, segmentation and
#: targeting), analytical (the back office's analyses), operational (the front office's
#: daily selling and service) or collaborative (every contact between seller and
#: customer); its stem). What each notebook does is the glossary's ``idea_<stem>``.
COURSE_MAP = [
    ("identify", "acquisition", "analytical_crm", "01_data_cleaning"),
    ("differentiate", "acquisition", "strategic_crm", "02_segmentation"),
    ("differentiate", "retention_stage", "analytical_crm", "03_clv"),
    ("differentiate", "retention_stage", "analytical_crm", "04_churn"),
    ("interact", "retention_stage", "collaborative_crm", "06_service_quality"),
    ("interact", "retention_stage", "collaborative_crm", "08_customer_journey"),
    ("customize", "development", "operational_crm", "05_basket"),
    ("customize", "development", "operational_crm", "07_customer_360"),
]


def course_map(lang: str = "en", notebooks_dir: str | Path | None = None) -> pd.DataFrame:
    """The four CRM stages, each with the notebooks that do it, their stage of the
    customer value cycle and their kind of CRM (:data:`COURSE_MAP`), and whether they exist.

    Examples
    --------
    >>> course_map()["Stage"].unique().tolist()
    ['Identify', 'Differentiate', 'Interact', 'Customize']
    >>> course_map()["Value cycle"].unique().tolist()
    ['Acquisition', 'Retention', 'Development']
    """
    t = glossary(lang)
    folder = Path(notebooks_dir) if notebooks_dir else config.NOTEBOOKS_DIR
    rows = [
        {
            "stage": t(stage),
            "value_cycle": t(cycle),
            "crm_kind": t(kind),
            "idea": t(f"idea_{stem}"),
            "notebook": f"{stem}.ipynb",
            "status": t("available") if (folder / f"{stem}.ipynb").exists() else t("planned"),
        }
        for stage, cycle, kind, stem in COURSE_MAP
    ]
    columns = ["stage", "value_cycle", "crm_kind", "idea", "notebook", "status"]
    return pd.DataFrame(rows, columns=columns).rename(columns=t.columns(columns))


def table_sizes(data: Dataset, lang: str = "en") -> pd.DataFrame:
    """Rows and columns of every table in a data set."""
    t = glossary(lang)
    rows = []
    for name in data.present():
        table = getattr(data, name)
        n = int(table.count().execute()) if isinstance(table, ir.Table) else len(table)
        rows.append({"table": t(name), "rows": n, "columns": len(table.columns)})
    return pd.DataFrame(rows).rename(columns=t.columns(["table", "rows", "columns"]))


def _value(lines: ir.Table) -> ir.NumericValue:
    return lines.quantity * lines.unit_price


def transaction_facts(lines: ir.Table, cancellations: ir.Table | None = None
                      ) -> dict[str, object]:
    """Headline facts of the transaction lines, computed in the engine.

    ``lines`` are transaction lines; given clean ones, ``cancellations`` are the
    cancellation lines cleaning separated from them (the prepared data's ``cancellations``):
    clean lines hold none, so those are counted instead of the ``C`` lines among ``lines``.

    Returns
    -------
    dict
        ``lines``, ``invoices``, ``customers`` (distinct known ids),
        ``first_date``, ``last_date``, ``revenue`` (net of cancellations, anonymous sales
        included), ``revenue_identified`` (of the lines with a customer id: what
        per-customer figures rest on), ``cancellation_lines`` and
        ``lines_without_customer``.
    """
    value = _value(lines)
    agg = lines.aggregate(
        lines=lines.count(),
        invoices=lines.invoice_id.nunique(),
        customers=lines.customer_id.nunique(),
        first_date=lines.date.min(),
        last_date=lines.date.max(),
        revenue=value.sum(),
        revenue_identified=ibis.ifelse(lines.customer_id.notnull(), value, 0).sum(),
        cancellation_lines=lines.invoice_id.startswith("C").sum(),
        lines_without_customer=lines.customer_id.isnull().sum(),
    ).to_pandas()
    facts = agg.iloc[0].to_dict()
    if cancellations is not None:  # clean lines hold none: those cleaning separated
        facts["cancellation_lines"] = int(cancellations.count().execute())
    order = ["lines", "invoices", "customers", "first_date", "last_date", "revenue",
             "revenue_identified", "cancellation_lines", "lines_without_customer"]
    return {k: facts[k] for k in order}


def period(lines: ir.Table, calendar: str = "gregorian") -> dict[str, object]:
    """The period the lines cover: ``first`` and ``last`` day, ``days``, ``months`` (whole
    months of ``calendar`` inside it), and the months at either end that the data cover
    only in part (``partial_first``, ``partial_last``: their first days, or None): a part
    month read as a month shows a fall that is only missing days.

    >>> t = ibis.memtable({"date": pd.to_datetime(["2010-12-01", "2011-12-09"])})
    >>> p = period(t)
    >>> p["days"], p["months"], p["partial_first"], str(p["partial_last"].date())
    (374, 12, None, '2011-12-01')
    """
    first, last = (d.normalize() for d in calendars.span(lines))
    start_month = calendars.first_day(calendars.month_number(first, calendar), calendar)
    end_month = calendars.first_day(calendars.month_number(last, calendar), calendar)
    partial_first = start_month if first > start_month else None
    partial_last = end_month if last < calendars.month_end([end_month], calendar)[0] else None
    months = (calendars.month_number(last, calendar) - calendars.month_number(first, calendar)
              + 1 - (partial_first is not None) - (partial_last is not None))
    return {"first": first, "last": last, "days": (last - first).days + 1,
            "months": max(months, 0), "partial_first": partial_first,
            "partial_last": partial_last}


def products_by_revenue(lines: ir.Table, top: int | None = 10) -> pd.DataFrame:
    """Products by net revenue, largest first, with their ABC class (Pareto): ``A`` the
    products that make the first 80% of revenue, ``B`` the next 15%, ``C`` the rest.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``product_id``: ``description`` (when the lines have one: its most
        common), ``quantity``, ``revenue``, ``revenue_share``, ``cumulative_share`` and
        ``abc``; the first ``top`` rows (all with None). ``attrs["classes"]`` counts the
        products and revenue share of each class.
    """
    value = _value(lines)
    g = lines.group_by("product_id").agg(quantity=lines.quantity.sum(), revenue=value.sum())
    out = g.to_pandas().set_index("product_id").sort_values("revenue", ascending=False)
    total = out["revenue"].sum()
    out["revenue_share"] = out["revenue"] / total if total else np.nan
    out["cumulative_share"] = out["revenue_share"].cumsum()
    before = out["cumulative_share"] - out["revenue_share"]  # the share before each product
    out["abc"] = np.select([before < 0.80, before < 0.95], ["A", "B"], default="C")
    classes = out.groupby("abc").agg(products=("revenue", "size"),
                                     revenue_share=("revenue_share", "sum"))
    classes["product_share"] = classes["products"] / len(out)
    if "description" in lines.columns:
        d = lines.filter(lines.description.notnull())
        names = d.group_by(["product_id", "description"]).agg(n=d.count()).to_pandas()
        names = names.sort_values("n", ascending=False).drop_duplicates("product_id")
        out.insert(0, "description", names.set_index("product_id")["description"]
                   .reindex(out.index))
    out = out if top is None else out.head(top)
    out.attrs.update(classes=classes, products=len(classes) and int(classes["products"].sum()),
                     kinds={"revenue_share": "share", "cumulative_share": "share",
                            "abc": "text", "description": "id"})
    return out


def revenue_by_place(lines: ir.Table, customers: pd.DataFrame | None = None
                     ) -> pd.DataFrame | None:
    """Revenue and customers by place: the lines' ``country``, else their ``region``, else
    the customers table's ``region`` or ``city``; largest first. None when the data record
    no place.

    Returns
    -------
    pandas.DataFrame
        Indexed by the place: ``customers`` (with a customer id), ``revenue`` and
        ``revenue_share``; ``attrs["basis"]`` names the column it came from.
    """
    value = _value(lines)
    for column in ("country", "region"):
        if column in lines.columns:
            g = lines.group_by(place=lines[column]).agg(
                customers=lines.customer_id.nunique(), revenue=value.sum())
            out = g.to_pandas()
            break
    else:
        column = next((c for c in ("region", "city") if customers is not None
                       and c in customers and customers[c].notna().any()), None)
        if column is None:
            return None
        places = ibis.memtable(customers[["customer_id", column]].dropna()
                               .drop_duplicates("customer_id")
                               .rename(columns={column: "place"}))
        known = lines.filter(lines.customer_id.notnull())
        j = known.join(places, "customer_id")
        out = j.group_by("place").agg(customers=j.customer_id.nunique(),
                                      revenue=(j.quantity * j.unit_price).sum()).to_pandas()
    out["place"] = out["place"].fillna("—")
    out = out.set_index("place").sort_values("revenue", ascending=False)
    out["revenue_share"] = out["revenue"] / out["revenue"].sum()
    out.index.name = column
    out.attrs.update(basis=column, kinds={"revenue_share": "share"})
    return out


def monthly_revenue(lines: ir.Table, calendar: str = "gregorian") -> pd.DataFrame:
    """Net revenue per month of ``calendar`` (``month``: its first day, ``revenue``)."""
    t = calendars.with_month(lines, calendar)
    out = t.group_by(month_number=t._month).agg(revenue=_value(t).sum()).to_pandas()
    out = out.dropna(subset=["month_number"]).sort_values("month_number")
    out.insert(0, "month", calendars.to_start(out.pop("month_number"), calendar).to_numpy())
    return out.reset_index(drop=True)


def weekday_invoices(lines: ir.Table, calendar: str = "gregorian") -> pd.DataFrame:
    """Number of invoices per weekday, in the order of ``calendar``'s week (Monday first,
    Saturday first in the Jalali calendar): ``day`` (pandas' number, Monday = 0),
    ``invoices``; days without invoices included."""
    invoices = lines.select("invoice_id", day=lines.date.day_of_week.index()).distinct()
    got = invoices.group_by("day").agg(invoices=invoices.count()).to_pandas()
    got = got.dropna(subset=["day"]).astype({"day": "int64"}).set_index("day")["invoices"]
    order = calendars.weekdays(calendar)
    return pd.DataFrame({"day": order,
                         "invoices": got.reindex(order, fill_value=0).to_numpy("int64")})


def order_values(lines: ir.Table, customers: pd.DataFrame) -> pd.DataFrame:
    """Value of every purchase invoice, with the buyer's customer type.

    Cancellations and lines without a customer are left out.
    """
    sales = lines.filter(~lines.invoice_id.startswith("C") & lines.customer_id.notnull())
    inv = sales.group_by(["invoice_id", "customer_id"]).agg(order_value=_value(sales).sum())
    types = ibis.memtable(customers[["customer_id", "customer_type"]])
    inv = inv.join(types, "customer_id")
    return inv.select("customer_type", "order_value").to_pandas()


def complaints_by_category(contacts: pd.DataFrame) -> pd.DataFrame:
    """Number of complaints per category, most frequent first."""
    complaints = contacts[contacts["kind"] == "complaint"]
    out = complaints["category"].value_counts().rename_axis("category").reset_index()
    return out.rename(columns={"count": "complaints"})


def key_date_traffic(lines: ir.Table, periods: pd.DataFrame, before_days: int = 30
                     ) -> pd.DataFrame:
    """Invoices per day in each key period against the ``before_days`` days before it.

    A key date shows in traffic before it shows in baskets: a shop busy before Nowruz has
    more invoices a day in the weeks before it than in the month before. Periods whose
    ``before_days`` are not all in the data are left out, as is the last, partial one.

    Parameters
    ----------
    lines : ibis Table
        Transaction lines (``invoice_id``, ``date``).
    periods : pandas.DataFrame
        ``key``, ``name``, ``start``, ``end`` (:func:`crmwb.calendars.key_dates`).

    Returns
    -------
    pandas.DataFrame
        One row per period: ``key``, ``name``, ``start``, ``end``, ``per_day`` (invoices a
        day), ``before_per_day`` and ``ratio`` (the first over the second).
    """
    invoices = lines.filter(~lines.invoice_id.startswith("C"))
    invoices = invoices.select("invoice_id", day=invoices.date.date()).distinct()
    daily = invoices.group_by("day").agg(invoices=invoices.count()).to_pandas()
    cols = ["key", "name", "start", "end", "per_day", "before_per_day", "ratio"]
    if daily.empty or periods.empty:
        return pd.DataFrame(columns=cols)
    daily = daily.dropna(subset=["day"])
    per_day = daily.set_index(pd.to_datetime(daily["day"]))["invoices"].sort_index()
    first, last = per_day.index.min(), per_day.index.max()
    per_day = per_day.reindex(pd.date_range(first, last), fill_value=0)
    rows = []
    for p in periods.itertuples():
        before = p.start - pd.Timedelta(days=before_days)
        if before < first or p.end > last:
            continue
        during = per_day[p.start:p.end].mean()
        earlier = per_day[before:p.start - pd.Timedelta(days=1)].mean()
        rows.append((p.key, getattr(p, "name", ""), p.start, p.end, during, earlier,
                     during / earlier if earlier else float("nan")))
    return pd.DataFrame(rows, columns=cols)
