"""Readings: one sentence after a figure or a table, computed from what it shows.

A lesson does not leave a figure to speak for itself: after each one the notebook says
what it shows, with the numbers computed from the result, and, where the course states a
fact the data can be held against, whether the data agrees. Each function here takes the
result a figure or table was drawn from and the reader's glossary (:func:`crmwb.glossary.
glossary`), and returns the sentence in the reader's language; the analysis modules stay
free of words.

>>> import pandas as pd
>>> from crmwb.glossary import glossary
>>> by = pd.DataFrame({"category": ["quality", "price"], "complaints": [30, 10]})
>>> complaints_by_category(by, glossary("en"))
'Quality brings 75% of the complaints: the first place to look for root causes (notebook 06).'
"""

from __future__ import annotations

import calendar

import numpy as np
import pandas as pd

from crmwb import i18n


def _lang(t) -> str:
    return t.lang


def _month(value, t, calendar_: str) -> str:
    """A month named as the reader reads it, in their digits."""
    return i18n.month_label(value, _lang(t), calendar_, t.persian_digits)


def _said(text: str) -> str:
    """A sentence begins with a capital, whatever word opens it (a root cause's label)."""
    return text[:1].upper() + text[1:]


def table_sizes(sizes: pd.DataFrame, t) -> str:
    """After :func:`crmwb.overview.table_sizes`: the lines' share of all rows."""
    rows = sizes[t("rows")].astype(float)
    lines = rows[sizes[t("table")] == t("lines")].sum()
    return t.say("r00_tables", share=lines / rows.sum() if rows.sum() else 0.0)


def monthly_revenue(monthly: pd.DataFrame, t, calendar: str) -> str:
    """After the monthly revenue: the best and the weakest month, the first and last left
    out (a month the data cover only in part)."""
    inner = monthly.iloc[1:-1] if len(monthly) > 3 else monthly
    best = inner.loc[inner["revenue"].idxmax()]
    worst = inner.loc[inner["revenue"].idxmin()]
    return t.say("r00_revenue", best=_month(best["month"], t, calendar),
                 worst=_month(worst["month"], t, calendar),
                 ratio=best["revenue"] / worst["revenue"] if worst["revenue"] > 0 else np.inf)


def _day(day: int, lang: str) -> str:
    """A weekday's whole name (an axis abbreviates English ones)."""
    return calendar.day_name[day] if lang == "en" else i18n.weekday_name(day, lang)


def weekday_invoices(days: pd.DataFrame, t) -> str:
    """After :func:`crmwb.overview.weekday_invoices`: the busiest and the quietest day."""
    share = days["invoices"] / days["invoices"].sum()
    busy, quiet = days.loc[share.idxmax()], days.loc[share.idxmin()]
    return t.say("r00_weekday", busiest=_day(int(busy["day"]), _lang(t)), share=share.max(),
                 quietest=_day(int(quiet["day"]), _lang(t)), low=share.min())


def order_values(values: pd.DataFrame, t) -> str | None:
    """After the order values by customer type: wholesale against retail, by medians."""
    median = values.groupby("customer_type")["order_value"].median()
    if not {"retail", "wholesale"} <= set(median.index) or median["retail"] <= 0:
        return None
    return t.say("r00_order_values", ratio=median["wholesale"] / median["retail"])


def complaints_by_category(by: pd.DataFrame, t) -> str:
    """After the complaints by category: the leading category's share."""
    top = by.loc[by["complaints"].idxmax()]
    return t.say("r00_complaints", category=t.word(top["category"]),
                 share=top["complaints"] / by["complaints"].sum())


def rf_grid(grid: pd.DataFrame, t) -> str:
    """After the recency-frequency grid: the most crowded cell and the recent-and-frequent
    corner."""
    total = grid.to_numpy().sum()
    r, f = grid.stack().idxmax()
    corner = grid.loc[[x for x in grid.index if x >= 4], [x for x in grid.columns if x >= 4]]
    return t.say("r02_rf_grid", r=int(r), f=int(f), share=grid.loc[r, f] / total,
                 corner=corner.to_numpy().sum() / total)


def clusters(profile: pd.DataFrame, t) -> str:
    """After the clusters' profile: the largest cluster, and the most valuable one's
    customers against its revenue."""
    big = profile["customer_share"].idxmax()
    rich = (profile["revenue_share"] / profile["customer_share"]).idxmax()
    return t.say("r02_clusters", largest=t.word(big), share=profile.loc[big, "customer_share"],
                 richest=t.word(rich), customers=profile.loc[rich, "customer_share"],
                 revenue=profile.loc[rich, "revenue_share"])


def profitability_matrix(table: pd.DataFrame, t) -> str:
    """After :func:`crmwb.profitability.matrix_table`: where the profit is, and what the
    costly low payers bring."""
    best = table["profit_share"].idxmax()
    return t.say("r02_matrix", best=t.word(best), best_customers=table.loc[best, "customer_share"],
                 best_profit=table.loc[best, "profit_share"],
                 aggressive=table.loc["aggressive", "customer_share"]
                 if "aggressive" in table.index else 0.0,
                 aggressive_profit=table.loc["aggressive", "profit_share"]
                 if "aggressive" in table.index else 0.0)


def loyalty_types(table: pd.DataFrame, t) -> str:
    """After :func:`crmwb.loyalty.loyalty_table`: the commonest type and the hard-core."""
    top = table["share"].idxmax()
    if top == "hard-core":
        return t.say("r02_loyalty_hard", share=table.loc[top, "share"])
    return t.say("r02_loyalty", top=t.word(top), share=table.loc[top, "share"],
                 hard=table.loc["hard-core", "share"] if "hard-core" in table.index else 0.0)


def retail_wholesale(split: pd.DataFrame, t) -> str | None:
    """After the retail and wholesale split: wholesale's customers against its revenue."""
    if "wholesale" not in split.index:
        return None
    customers = split["customers"] / split["customers"].sum()
    return t.say("r02_split", customers=customers["wholesale"],
                 revenue=split.loc["wholesale", "revenue_share"])


def complaint_rates(rates: pd.DataFrame, t) -> str:
    """After :func:`crmwb.service.complaint_rates` by category or channel: the leader by
    count and its share."""
    top = rates["complaints"].idxmax()
    return t.say("r06_rates", top=t.word(top), share=rates.loc[top, "complaints"]
                 / rates["complaints"].sum())


def complaints_by_month(by_month: pd.DataFrame, t, calendar: str) -> str | None:
    """After the monthly complaint rates: the range of complaints per 1,000 orders."""
    rate = by_month["complaints_per_1000_orders"]
    rate = (rate.iloc[1:-1] if len(rate) > 3 else rate).dropna()  # partial first and last
    if rate.empty:
        return None
    return t.say("r06_months", low=rate.min(), low_month=_month(rate.idxmin(), t, calendar),
                 high=rate.max(), high_month=_month(rate.idxmax(), t, calendar))


def fmea(table: pd.DataFrame, roots: pd.DataFrame, t) -> str:
    """After the FMEA table: the first root cause, its family and effects, against the most
    frequent one."""
    first = table.index[0]
    frequent = roots["complaints"].idxmax()
    return _said(t.say("r06_fmea_same" if first == frequent else "r06_fmea",
                       cause=t.word(first), rpn=table.loc[first, "RPN"],
                       family=t.word(roots.loc[first, "family"]).lower(),
                       effects=t.word(roots.loc[first, "effects"]).lower(),
                       frequent=t.word(frequent)))


def satisfaction(overall: pd.Series, t) -> str:
    """After the overall satisfaction: CSAT and NPS with the NPS interval."""
    return t.say("r06_satisfaction", csat=overall["csat"], nps=overall["nps"],
                 low=overall["nps_low"], high=overall["nps_high"])


def satisfaction_by(groups: pd.DataFrame, t) -> str | None:
    """After satisfaction by group (segment, channel): the most and least satisfied groups
    by CSAT, among those with 30 answers or more."""
    g = groups[(groups["surveys"] >= 30) & (groups.index != "all")]
    if len(g) < 2:
        return None
    best, worst = g["csat"].idxmax(), g["csat"].idxmin()
    apart = g.loc[worst, "csat_high"] < g.loc[best, "csat_low"]
    return t.say("r06_satisfaction_by_" + ("apart" if apart else "close"), best=t.word(best),
                 best_csat=g.loc[best, "csat"], worst=t.word(worst),
                 worst_csat=g.loc[worst, "csat"])


def satisfaction_by_month(months: pd.DataFrame, t, calendar_: str) -> str | None:
    """After the satisfaction by month: the lowest and highest CSAT among months with 30
    answers or more."""
    g = months[months["surveys"] >= 30]["csat"].dropna()
    if len(g) < 2:
        return None
    return t.say("r06_months_csat", low=g.min(), low_month=_month(g.idxmin(), t, calendar_),
                 high=g.max(), high_month=_month(g.idxmax(), t, calendar_))


def satisfaction_drivers(drivers: pd.DataFrame, t) -> str | None:
    """After the satisfaction drivers: the driver that moves CSAT most, and whether its
    interval holds 0."""
    if drivers.empty:
        return None
    top = drivers["coefficient"].abs().idxmax()
    row = drivers.loc[top]
    sure = not (row["ci_low"] <= 0 <= row["ci_high"])
    return t.say("r06_drivers_" + ("sure" if sure else "unsure"), driver=t(top),
                 effect=row["coefficient"])
