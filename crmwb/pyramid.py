"""The customer pyramid (Curry & Curry), exactly as CONCEPTS.md section 2 defines it.

Among **active** customers (a purchase within the activity window before the
analysis date), ranked by a value measure over that window: the top 1% are
*top*, the next 4% *big*, the next 15% *medium*, the remaining 80% *small*.
Customers who bought before the window but not within it are *inactive*;
people contacted who never bought (the leads table) are *prospects*; people
who might need the products but were never contacted are *suspects*. The
cut-offs, the window and the value measure are parameters.
"""

from __future__ import annotations

from dataclasses import dataclass

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from crmwb import engine
from crmwb.summary import _as_table, analysis_end

LEVELS = ("top", "big", "medium", "small", "inactive", "prospect", "suspect")
#: cumulative shares of active customers closing the top, big and medium levels
CUTOFFS = (0.01, 0.05, 0.20)
VALUE_MEASURES = ("revenue", "invoices", "quantity", "products")


@dataclass
class Pyramid:
    """The outcome of :func:`customer_pyramid`."""

    #: one row per customer: the window's value measure, rank and level
    customers: pd.DataFrame
    #: one row per level: customers, value, revenue and profit with their shares
    levels: pd.DataFrame
    as_of: pd.Timestamp
    window_days: int
    value: str


def pyramid_levels(values: pd.Series, cutoffs: tuple[float, ...] = CUTOFFS) -> pd.Series:
    """Top, big, medium or small for each active customer's value.

    A customer's place is their rank by value, highest first, with ties
    sharing the better rank: top when the rank is within the first
    ``cutoffs[0]`` share of customers, big within ``cutoffs[1]``, medium
    within ``cutoffs[2]``, small otherwise.

    Examples
    --------
    >>> v = pd.Series(range(100, 0, -1))
    >>> pyramid_levels(v).value_counts().reindex(["top", "big", "medium", "small"]).tolist()
    [1, 4, 15, 80]
    """
    cutoffs = tuple(cutoffs)
    if len(cutoffs) != 3 or not all(a < b for a, b in zip((0,) + cutoffs, cutoffs)) \
            or cutoffs[-1] >= 1:
        raise ValueError(f"cutoffs must be three increasing shares below 1, e.g. (0.01, 0.05, "
                         f"0.20); got {cutoffs}")
    rank = values.rank(method="min", ascending=False)
    n = len(values)
    level = np.select([rank <= cutoffs[0] * n, rank <= cutoffs[1] * n, rank <= cutoffs[2] * n],
                      ["top", "big", "medium"], "small")
    return pd.Series(level, index=values.index, name="level")


def customer_pyramid(
    transactions: ir.Table | pd.DataFrame,
    as_of: str | pd.Timestamp | None = None,
    window_days: int = 365,
    value: str = "revenue",
    cutoffs: tuple[float, ...] = CUTOFFS,
    leads: pd.DataFrame | None = None,
    suspects: pd.DataFrame | None = None,
    profit: pd.Series | None = None,
) -> Pyramid:
    """Place every customer, lead and suspect in the customer pyramid.

    Parameters
    ----------
    transactions : ibis Table or pandas.DataFrame
        Clean transaction lines.
    as_of : date, optional
        The analysis date; the day of the last line when omitted.
    window_days : int
        The activity window: a customer is active with a purchase in the
        ``window_days`` days up to and including ``as_of``.
    value : {"revenue", "invoices", "quantity", "products"}
        The value measure over the window that ranks active customers.
    cutoffs : tuple of three floats
        Cumulative shares closing the top, big and medium levels.
    leads, suspects : pandas.DataFrame, optional
        The leads (prospects) and suspects tables; counted as levels.
    profit : pandas.Series, optional
        Profit per customer id over the window
        (:func:`crmwb.profitability.customer_profit`), summed per level.

    Returns
    -------
    Pyramid
    """
    if value not in VALUE_MEASURES:
        raise ValueError(f"unknown value measure {value!r}; expected one of {VALUE_MEASURES}")
    if window_days <= 0:
        raise ValueError(f"window_days must be positive, got {window_days}")
    t = _as_table(transactions)
    end = pd.Timestamp(as_of).normalize() if as_of not in (None, "") else analysis_end(t)
    stop = ibis.literal(end + pd.Timedelta(days=1)).cast("timestamp")
    start = ibis.literal(end + pd.Timedelta(days=1) - pd.Timedelta(days=window_days)).cast(
        "timestamp")
    t = t.filter(t.customer_id.notnull() & t.date.notnull() & (t.date < stop)
                 & (t.quantity > 0))
    inside = t.date >= start
    amount = t.quantity * t.unit_price.fill_null(0)
    per = engine.to_pandas(t.group_by("customer_id").agg(
        revenue=ibis.ifelse(inside, amount, 0).sum(),
        invoices=ibis.ifelse(inside, t.invoice_id, ibis.null("string")).nunique(),
        quantity=ibis.ifelse(inside, t.quantity, 0).sum(),
        products=ibis.ifelse(inside, t.product_id, ibis.null("string")).nunique(),
    )).set_index("customer_id").sort_index()
    active = per["invoices"] > 0
    customers = per.assign(value=per[value].astype(float))
    customers["level"] = "inactive"
    customers.loc[active, "level"] = pyramid_levels(customers.loc[active, "value"], cutoffs)
    customers["level"] = pd.Categorical(customers["level"], categories=LEVELS)
    customers["rank"] = customers["value"].where(active).rank(method="min", ascending=False)
    if profit is not None:
        customers["profit"] = profit.reindex(customers.index).fillna(0.0)

    g = customers.groupby("level", observed=True)
    levels = pd.DataFrame({
        "customers": g.size(),
        "value": g["value"].sum(),
        "revenue": g["revenue"].sum(),
    }).reindex(LEVELS)
    levels.loc["prospect", ["customers", "value", "revenue"]] = [
        0 if leads is None else len(leads), 0.0, 0.0]
    levels.loc["suspect", ["customers", "value", "revenue"]] = [
        0 if suspects is None else len(suspects), 0.0, 0.0]
    levels = levels.fillna(0.0)
    levels["customers"] = levels["customers"].astype(int)
    active_levels = list(LEVELS[:4])
    levels["share_of_active"] = levels["customers"] / levels.loc[active_levels,
                                                                 "customers"].sum()
    levels.loc[list(LEVELS[4:]), "share_of_active"] = np.nan
    levels["revenue_share"] = levels["revenue"] / levels["revenue"].sum()
    if profit is not None:
        levels["profit"] = g["profit"].sum().reindex(LEVELS).fillna(0.0)
        levels["profit_share"] = levels["profit"] / levels["profit"].sum()
    levels.index.name = "level"
    return Pyramid(customers=customers, levels=levels, as_of=end, window_days=window_days,
                   value=value)
