"""What each lesson needs of the data, checked before it runs.

A lesson run on data that cannot carry it must not crash, nor print numbers computed from
nothing: churn cannot be learnt from a history shorter than two horizons, customer value
needs customers who came back, market baskets need baskets of two items, complaints need a
contacts table. Each notebook declares its needs here (:data:`NOTEBOOKS`) and calls
:func:`require` right after opening the prepared data: when a need is not met, it stops
with :class:`MissingData`, one sentence in the reader's language saying what is missing and
what would supply it. ``crmwb run`` marks such a notebook *skipped* with that sentence
(never *failed*: the run exits 0 when nothing failed); in JupyterLab the sentence is all the
reader sees, without a traceback.

The facts are counted in the engine (:func:`facts`): purchases, customers, customers who
bought on two different days, the days covered, baskets of two or more items, and the rows
of each customer-level table.

>>> sorted(NOTEBOOKS)[:3]
['00_overview', '01_data_cleaning', '02_segmentation']
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

#: customers who bought on two different days that the purchase models need at least
MIN_REPEAT_CUSTOMERS = 10
#: days of history a calibration period and a holdout need at least
MIN_CLV_DAYS = 56
#: churners and stayers the churn models need at least in the training window (five-fold
#: cross-validation puts one of each in every fold)
MIN_OUTCOMES = 5
#: baskets of two or more different items that association rules need at least
MIN_BASKETS = 10


class MissingData(Exception):  # noqa: N818 - what the reader sees: "MissingData: ..."
    """A lesson's data cannot carry it: the message says what is missing, in the reader's
    language. IPython shows the message alone (no traceback), and ``crmwb run`` marks the
    notebook skipped with it."""

    def _render_traceback_(self) -> list[str]:  # IPython's hook: what a reader sees
        return [str(self)]


@dataclass(frozen=True)
class Need:
    """One need of a lesson: a check that returns None when met, else the glossary key of
    the sentence saying what is missing and the values it fills in."""

    name: str
    check: Callable[[object, dict, dict], tuple[str, dict] | None]


def facts(data) -> dict:
    """What the prepared data hold, counted in the engine: ``purchases`` (lines with a
    customer, a date and a positive quantity), ``customers``, ``repeat_customers`` (who
    bought on two or more different days), ``first`` and ``last`` (dates), ``days``
    covered, ``baskets`` and ``multi_item_baskets`` (invoices, and those of two or more
    different products), and ``rows``, each customer-level table's rows (0 when absent).
    """
    from crmwb import engine

    t = data.lines
    bought = t.filter(t.customer_id.notnull() & t.date.notnull() & (t.quantity > 0))
    span = engine.to_pandas(bought.aggregate(purchases=bought.count(),
                                             customers=bought.customer_id.nunique(),
                                             first=bought.date.min(),
                                             last=bought.date.max())).iloc[0]
    days = bought.select("customer_id", _d=bought.date.truncate("D")).distinct()
    per = days.group_by("customer_id").agg(_n=days.count())
    repeat = int(engine.to_pandas(per.aggregate(n=(per._n >= 2).cast("int64").sum()))["n"]
                 .fillna(0).iloc[0])
    items = t.filter(t.quantity > 0)
    per_basket = items.group_by("invoice_id").agg(_k=items.product_id.nunique())
    baskets = engine.to_pandas(per_basket.aggregate(
        n=per_basket.count(), multi=(per_basket._k >= 2).cast("int64").sum())).iloc[0]
    first, last = (pd.Timestamp(span[k]) if pd.notna(span[k]) else None
                   for k in ("first", "last"))
    rows = {name: 0 if getattr(data, name, None) is None else len(getattr(data, name))
            for name in ("customers", "contacts", "surveys", "campaigns", "subscriptions")}
    return {"purchases": int(span["purchases"] or 0),
            "customers": int(0 if pd.isna(span["customers"]) else span["customers"]),
            "repeat_customers": repeat, "first": first, "last": last,
            "days": 0 if first is None else (last.normalize() - first.normalize()).days + 1,
            "baskets": int(baskets["n"] or 0),
            "multi_item_baskets": int(0 if pd.isna(baskets["multi"]) else baskets["multi"]),
            "rows": rows}


def _purchases(data, f: dict, params: dict):
    if f["purchases"] == 0:
        return "needs_purchases", {}
    return None


def _repeat_customers(data, f: dict, params: dict):
    if f["repeat_customers"] < MIN_REPEAT_CUSTOMERS:
        return "needs_repeat_customers", {"repeat": f["repeat_customers"],
                                          "customers": f["customers"],
                                          "minimum": MIN_REPEAT_CUSTOMERS}
    return None


def _clv_history(data, f: dict, params: dict):
    if f["days"] < MIN_CLV_DAYS:
        return "needs_clv_history", {"days": f["days"], "minimum": MIN_CLV_DAYS}
    return None


def _churn_windows(data, f: dict, params: dict):
    """Two cutoffs a horizon apart, each with a horizon after it, and at the training
    cutoff enough churners and stayers to learn from (at the evaluation cutoff, one of each
    to judge by)."""
    from crmwb import churn, engine

    horizon = int(params.get("horizon_days", 90))
    try:
        train_at, test_at = churn.windows(f["last"], horizon, params.get("train_cutoff") or None,
                                          params.get("test_cutoff") or None)
    except ValueError:
        return "needs_churn_history", {"days": f["days"], "horizon": horizon,
                                       "minimum": 2 * horizon + 1, "param": "horizon_days"}
    if train_at < f["first"].normalize():
        return "needs_churn_history", {"days": f["days"], "horizon": horizon,
                                       "minimum": 2 * horizon + 1, "param": "horizon_days"}
    for cutoff, least in ((train_at, MIN_OUTCOMES), (test_at, 1)):
        labels = churn.churn_label_table(data.lines, cutoff, horizon,
                                         int(params.get("active_days", 365)),
                                         lines_as_of=data.lines_as_of)
        counts = engine.to_pandas(labels.aggregate(
            n=labels.count(), churned=labels.churned.cast("int64").sum())).iloc[0]
        n, churned = int(counts["n"] or 0), int(counts["churned"] or 0)
        if min(churned, n - churned) < least:
            return "needs_churn_outcomes", {"cutoff": cutoff, "customers": n,
                                            "churned": churned, "stayed": n - churned,
                                            "minimum": least}
    return None


def _baskets(data, f: dict, params: dict):
    if f["multi_item_baskets"] < MIN_BASKETS:
        return "needs_baskets", {"baskets": f["multi_item_baskets"], "total": f["baskets"],
                                 "minimum": MIN_BASKETS}
    return None


def _service_tables(data, f: dict, params: dict):
    if not any(f["rows"][name] for name in ("contacts", "surveys", "campaigns")):
        return "needs_service_tables", {"param": "data_dir"}
    return None


PURCHASES = Need("purchases", _purchases)

#: each notebook's needs, checked in order (the first unmet one is said)
NOTEBOOKS: dict[str, tuple[Need, ...]] = {
    "00_overview": (PURCHASES,),
    "01_data_cleaning": (),
    "02_segmentation": (PURCHASES,),
    "03_clv": (PURCHASES, Need("repeat customers", _repeat_customers),
               Need("history", _clv_history)),
    "04_churn": (PURCHASES, Need("two churn windows", _churn_windows)),
    "05_basket": (PURCHASES, Need("baskets of two items", _baskets)),
    "06_service_quality": (Need("contacts, surveys or campaigns", _service_tables),),
    "07_customer_360": (PURCHASES,),
    "08_customer_journey": (PURCHASES,),
}


def missing(data, notebook: str, **params) -> tuple[str, dict] | None:
    """The first need of ``notebook`` that ``data`` do not meet, as (sentence key, values);
    None when every need is met. ``params`` are the notebook's own (``horizon_days``...)."""
    needs = NOTEBOOKS.get(notebook)
    if needs is None:
        raise ValueError(f"unknown notebook {notebook!r}; expected one of {sorted(NOTEBOOKS)}")
    if not needs:
        return None
    f = facts(data)
    for need in needs:
        found = need.check(data, f, params)
        if found is not None:
            return found
    return None


def require(data, notebook: str, t, **params) -> None:
    """Stop the lesson with :class:`MissingData` when ``data`` cannot carry it: one sentence
    in the reader's language (``t``, the notebook's glossary) says what is missing."""
    found = missing(data, notebook, **params)
    if found is not None:
        key, values = found
        raise MissingData(t.say(key, **values))
