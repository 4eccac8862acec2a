"""The data-quality report: the course's questions about a customer database.

CONCEPTS.md section 1 asks of a customer database: how many customers are
known individually; how current and how accurate it is; how much is known
about each customer; whether the same person appears under several ids.
:func:`quality_report` answers each from the data, computing over the
transaction lines in the engine: completeness of every column, validity
(types, ranges, categories: :func:`crmwb.schema.check`), uniqueness (duplicate
lines and customers), currency (last date, days since, months covered and
missing) and how much of the lines and the revenue is tied to an identified
customer.
"""

from __future__ import annotations

from dataclasses import dataclass

import ibis
import ibis.expr.types as ir
import pandas as pd

from crmwb import calendars, schema


@dataclass
class QualityReport:
    """The data-quality tables; ``summary`` answers the course's questions."""

    summary: pd.DataFrame
    completeness: pd.DataFrame
    validity: pd.DataFrame
    customer_completeness: pd.DataFrame | None
    months: pd.DataFrame
    #: lines per day (``date``, ``lines``): :func:`lines_by_month` counts them by the
    #: months of any calendar
    days: pd.DataFrame | None = None


def completeness(t: ir.Table) -> pd.DataFrame:
    """Filled and missing values of every column (empty text counts as missing)."""
    aggs = {}
    for name, dtype in t.schema().items():
        filled = t[name].notnull()
        if dtype.is_string():
            filled = filled & (t[name].strip() != "")
        aggs[name] = filled.sum()
    counts = t.aggregate(_rows=t.count(), **aggs).to_pandas().iloc[0]
    rows = int(counts.pop("_rows"))
    out = pd.DataFrame({"column": counts.index, "filled": counts.to_numpy().astype(int)})
    out["missing"] = rows - out["filled"]
    out["filled_share"] = out["filled"] / rows if rows else float("nan")
    return out


def validity(t: ir.Table | pd.DataFrame, table: str = "transactions") -> pd.DataFrame:
    """Values that break the canonical model's types, ranges and categories."""
    problems = schema.check(t, table)
    return pd.DataFrame(problems, columns=["column", "problem", "count", "rows"]).drop(
        columns="rows")


def daily_lines(t: ir.Table) -> pd.DataFrame:
    """Lines per day with a dated line (``date``, ``lines``), counted in the engine."""
    dated = t.filter(t.date.notnull())
    got = dated.group_by(date=dated.date.date()).agg(lines=dated.count()).to_pandas()
    got["date"] = pd.to_datetime(got["date"])
    return got.sort_values("date").reset_index(drop=True).astype({"lines": "int64"})


def lines_by_month(days: pd.DataFrame, calendar: str = "gregorian") -> pd.DataFrame:
    """Lines per month of ``calendar`` over the covered period, months without lines
    included (``month``: its first day, ``lines``), from :func:`daily_lines`."""
    if days.empty:
        return pd.DataFrame({"month": pd.Series(dtype="datetime64[ns]"),
                             "lines": pd.Series(dtype="int64")})
    months = calendars.months(days["date"].min(), days["date"].max(), calendar)["start"]
    per = days.groupby(calendars.month_start(days["date"], calendar))["lines"].sum()
    return (per.reindex(pd.DatetimeIndex(months), fill_value=0).rename_axis("month")
            .astype("int64").reset_index())


def monthly_activity(t: ir.Table, calendar: str = "gregorian") -> pd.DataFrame:
    """Lines per month of ``calendar`` over the covered period, months without lines included."""
    return lines_by_month(daily_lines(t), calendar)


def quality_report(
    lines: ir.Table,
    customers: pd.DataFrame | None = None,
    crosswalk: pd.DataFrame | None = None,
    as_of: str | pd.Timestamp | None = None,
) -> QualityReport:
    """Answer the course's questions about a customer database.

    Parameters
    ----------
    lines : ibis Table
        Raw canonical transaction lines (before cleaning).
    customers : pandas.DataFrame, optional
        The customers table, for how much is known about each customer.
    crosswalk : pandas.DataFrame, optional
        From :func:`crmwb.identity.crosswalk`: customers recorded twice.
    as_of : date, optional
        The analysis date for currency; the last date in the data if omitted.

    Returns
    -------
    QualityReport
    """
    value = lines.quantity * lines.unit_price.fill_null(0)
    identified = lines.customer_id.notnull()
    facts = lines.aggregate(
        rows=lines.count(),
        identified_lines=identified.sum(),
        revenue=value.sum(),
        identified_revenue=(value * identified.cast("int64")).sum(),
        customers=lines.customer_id.nunique(),
        first=lines.date.min(),
        last=lines.date.max(),
    ).to_pandas().iloc[0]
    distinct_rows = int(lines.distinct().count().execute())
    rows = int(facts["rows"])
    days = daily_lines(lines)
    months = lines_by_month(days)
    as_of = pd.Timestamp(as_of) if as_of else facts["last"]
    summary = [
        ("How many customers are known individually?", "customer ids in the lines",
         int(facts["customers"])),
        ("How many customers are known individually?", "share of lines with a customer id",
         facts["identified_lines"] / rows if rows else float("nan")),
        ("How many customers are known individually?", "share of revenue with a customer id",
         facts["identified_revenue"] / facts["revenue"] if facts["revenue"] else float("nan")),
        ("How current is the database?", "first date", facts["first"]),
        ("How current is the database?", "last date", facts["last"]),
        ("How current is the database?", "analysis date", as_of),
        ("How current is the database?", "days from the last date to the analysis date",
         (as_of - facts["last"]).days if pd.notna(facts["last"]) else None),
        ("How current is the database?", "months covered", len(months)),
        ("How current is the database?", "months without any line",
         int((months["lines"] == 0).sum())),
        ("How accurate is the database?", "exact duplicate lines", rows - distinct_rows),
    ]
    valid = validity(lines)
    summary.append(("How accurate is the database?", "values breaking the data model",
                    int(valid["count"].fillna(0).sum())))
    cust_complete = None
    if customers is not None:
        cust_complete = completeness(ibis.memtable(customers))
        attrs = [c for c in customers.columns if c != "customer_id"]
        filled = customers[attrs].notna() & customers[attrs].astype("string").ne("")
        summary += [
            ("How much is known about each customer?", "attributes of a customer record",
             len(attrs)),
            ("How much is known about each customer?", "mean filled attributes",
             float(filled.sum(axis=1).mean())),
        ]
    if crosswalk is not None:
        persons = crosswalk["master_id"].nunique()
        summary += [
            ("Is the same person recorded under several ids?", "customer records",
             len(crosswalk)),
            ("Is the same person recorded under several ids?", "people after merging",
             int(persons)),
            ("Is the same person recorded under several ids?", "records merged into another",
             int(len(crosswalk) - persons)),
        ]
    return QualityReport(
        summary=pd.DataFrame(summary, columns=["question", "measure", "value"]),
        completeness=completeness(lines),
        validity=valid,
        customer_completeness=cust_complete,
        months=months,
        days=days,
    )
