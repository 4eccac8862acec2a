"""Single customer view (360°), CRM KPIs and cohorts (CONCEPTS.md sections 10 and 11).

The 360-degree view brings every dimension of a customer into one row
(:func:`customer_table`): **characteristics** (the customers table),
**transactions** (the customer summary), **interactions** (contacts and
campaigns) and **attitudes** (surveys), then the **enrichment** layer the
analysis modules compute: RFM segment, pyramid level, cluster, loyalty type,
CLV, P(alive), churn risk, the next best cross-sell offer and the action it
all recommends. :func:`export_customer_table` publishes it for the
operational side of CRM, :func:`customer_card` shows one customer on a page.

A CRM strategy measures its KPIs' baseline, then tracks them:
:func:`kpis_by_month` (active, new, retained and lost customers, retention and
churn, revenue, orders, order value, frequency, CLV to date, CSAT, NPS,
complaint and campaign response rates) and :func:`kpi_baseline`; acquisition
cohorts in :func:`cohorts`. Month-by-customer work runs on the engine (Ibis);
only monthly and per-customer results come to pandas.

Personal data stays out unless asked for: the table has no name, email or
phone unless ``show_personal``, and :func:`publish` pseudonymises customer ids
with a keyed hash (:mod:`crmwb.privacy`).
"""

from __future__ import annotations

import dataclasses
import os
import re
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from crmwb import (
    basket,
    calendars,
    churn,
    clv,
    engine,
    identity,
    io,
    loyalty,
    parsing,
    privacy,
    pyramid,
    segmentation,
    service,
)
from crmwb.glossary import glossary
from crmwb.summary import _as_table, customer_summary

#: the columns of the customer table by dimension (those the data allow are present)
DIMENSIONS: dict[str, list[str]] = {
    "characteristics": ["name", "email", "phone", "city", "region", "country", "signup_date",
                        "customer_type", "acquisition_channel", "age", "gender", "records"],
    "transactions": ["first_purchase", "last_purchase", "days_since_last_purchase",
                     "tenure_days", "invoices", "revenue", "average_basket", "quantity",
                     "products", "categories", "returns", "returned_value"],
    "interactions": ["contacts", "complaints", "open_complaints", "requests", "last_contact",
                     "median_days_to_resolve", "campaigns_received", "campaign_responses"],
    "attitudes": ["surveys", "last_survey", "last_csat", "mean_csat", "last_nps", "nps_group"],
    "enrichment": ["rfm_segment", "rfm_cell", "pyramid_level", "cluster", "loyalty_type",
                   "clv", "p_alive", "churn_risk", "next_offer", "next_offer_confidence",
                   "next_action"],
}
COUNT_COLUMNS = {"age", "records", "invoices", "quantity", "products", "categories", "returns",
                 "contacts", "complaints", "open_complaints", "requests", "campaigns_received",
                 "campaign_responses", "surveys", "days_since_last_purchase", "tenure_days"}
DATE_COLUMNS = {"signup_date", "first_purchase", "last_purchase", "last_contact", "last_survey"}
CATEGORY_COLUMNS = {"rfm_segment", "pyramid_level", "loyalty_type", "nps_group", "cluster",
                    "next_action"}
#: the next actions, most urgent first (:func:`next_actions`)
ACTIONS = ["resolve open complaint", "retention offer", "service recovery call",
           "win-back offer", "welcome and onboarding", "cross-sell offer",
           "keep in touch"]
KPI_RATES = ["retention_rate", "lapse_rate", "csat", "complaint_rate", "campaign_response_rate"]
KPI_POINTS = ["nps"]  # a score, compared in points like the rates


# --- the customer table -------------------------------------------------------------------

def _characteristics(customers: pd.DataFrame | None, crosswalk: pd.DataFrame | None,
                     show_personal: bool) -> pd.DataFrame:
    if customers is None or "customer_id" not in customers:
        return pd.DataFrame(index=pd.Index([], name="customer_id"))
    c = customers
    if crosswalk is not None:  # one row per person: the master record, with its record count
        records = crosswalk.set_index("customer_id")["records"]
        c = identity.rekey_frame(c.assign(records=c["customer_id"].map(records)), crosswalk)
        master = customers["customer_id"].isin(crosswalk.loc[
            crosswalk["customer_id"] == crosswalk["master_id"], "customer_id"])
        c = c[master.to_numpy()]
    c = c.drop_duplicates("customer_id").set_index("customer_id")
    keep = [col for col in DIMENSIONS["characteristics"] if col in c.columns]
    if not show_personal:
        keep = [col for col in keep if col not in privacy.PERSONAL_COLUMNS]
    return c[keep]


def _in_time(frame: pd.DataFrame | None, as_of: pd.Timestamp) -> pd.DataFrame | None:
    if frame is None or "date" not in frame:
        return frame
    return frame[frame["date"] < as_of + pd.Timedelta(days=1)]


def _interactions(contacts, campaigns, as_of: pd.Timestamp) -> pd.DataFrame:
    parts = []
    if contacts is not None and len(contacts):
        c = contacts.assign(
            complaint=contacts["kind"].eq("complaint"), request=contacts["kind"].eq("request"),
            open=contacts["kind"].eq("complaint") & (contacts["resolved_date"].isna()
                                                    | (contacts["resolved_date"] > as_of)),
            days=(contacts["resolved_date"] - contacts["date"]).dt.total_seconds() / 86400)
        g = c.groupby("customer_id")
        parts.append(pd.DataFrame({
            "contacts": g.size(), "complaints": g["complaint"].sum(),
            "open_complaints": g["open"].sum(), "requests": g["request"].sum(),
            "last_contact": g["date"].max(),
            "median_days_to_resolve": c[c["complaint"]].groupby("customer_id")["days"].median(),
        }))
    if campaigns is not None and len(campaigns):
        marketed = campaigns[campaigns["group"].ne("control")] if "group" in campaigns \
            else campaigns
        g = marketed.groupby("customer_id")
        parts.append(pd.DataFrame({"campaigns_received": g.size(),
                                   "campaign_responses": g["responded"].sum()}))
    return pd.concat(parts, axis=1) if parts else pd.DataFrame()


def _attitudes(surveys) -> pd.DataFrame:
    if surveys is None or not len(surveys):
        return pd.DataFrame()
    s = surveys.sort_values(["customer_id", "date"], kind="stable")
    g = s.groupby("customer_id")
    out = pd.DataFrame({"surveys": g.size(), "last_survey": g["date"].max()})
    if "csat" in s:
        out["last_csat"] = g["csat"].last()
        out["mean_csat"] = g["csat"].mean()
    if "nps" in s:
        out["last_nps"] = g["nps"].last()
        out["nps_group"] = pd.cut(out["last_nps"], [-1, 6, 8, 10],
                                  labels=["detractor", "passive", "promoter"])
    return out


def _quiet(func, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return func(*args, **kwargs)


def customer_table(
    lines: ir.Table | pd.DataFrame,
    customers: pd.DataFrame | None = None,
    contacts: pd.DataFrame | None = None,
    surveys: pd.DataFrame | None = None,
    campaigns: pd.DataFrame | None = None,
    returns: ir.Table | pd.DataFrame | None = None,
    crosswalk: pd.DataFrame | None = None,
    as_of: str | pd.Timestamp | None = None,
    *,
    margin: float = 0.30,
    horizon_months: int = 12,
    monthly_discount_rate: float = 0.01,
    churn_horizon_days: int = 90,
    active_days: int = 365,
    n_clusters: int | None = 4,
    offer_level: str = "product_id",
    offer_min_support: float = 0.005,
    offer_min_confidence: float = 0.2,
    offer_max_baskets: int | None = 500_000,
    high_risk: float = 0.5,
    lapsed_days: int = 180,
    show_personal: bool = False,
    seed: int = 0,
    lines_as_of=None,
) -> pd.DataFrame:
    """One row per customer: the four dimensions of the 360° view and the enrichment layer.

    Parameters
    ----------
    lines : ibis Table or pandas.DataFrame
        Clean transaction lines under master ids (:func:`crmwb.cleaning.clean_dataset`).
    customers, contacts, surveys, campaigns : pandas.DataFrame, optional
        The canonical customer-level tables, under the raw ids; ``crosswalk``
        (``CleanData.crosswalk``) re-keys them to master ids, keeping the
        master record's characteristics and how many ``records`` it merged.
    returns : ibis Table or pandas.DataFrame, optional
        Cancellation lines, for the returns columns and churn features.
    as_of : date, optional
        The analysis date; the last day of the lines when omitted. Later
        contacts, surveys and campaigns are left out.
    margin, horizon_months, monthly_discount_rate : float, int, float
        CLV settings (MBG/NBD + Gamma-Gamma, :func:`crmwb.clv.customer_lifetime_value`);
        ``p_alive`` is MBG/NBD's, so a customer who bought once is not alive for sure.
    churn_horizon_days, active_days : int
        Churn settings (:func:`crmwb.churn.churn_risk`).
    n_clusters : int or None
        k-means clusters; None chooses k by silhouette (slower).
    offer_level, offer_min_support, offer_min_confidence : str, float, float
        Items and thresholds of the rules behind the next best offer.
    offer_max_baskets : int or None
        The rules are mined from at most about this many baskets: beyond it, from
        the invoices whose id hashes into a fixed share (the same sample every
        run); None for all. Supports from half a million baskets are within a
        few hundredths of a percentage point of the full count.
    high_risk : float
        Churn risk from which a valuable customer gets a retention offer.
    lapsed_days : int
        Days without a purchase after which a customer has lapsed, where P(alive) is
        withheld because its model failed its health check (:func:`next_actions`).
    show_personal : bool
        Include names, emails and phones.
    seed : int
        Seed of the clustering and the churn model.
    lines_as_of : callable, optional
        The lines as known at a date (:meth:`crmwb.prepared.PreparedData.lines_as_of`):
        with an ``as_of`` before the end of the lines, everything is computed from the
        lines as known then (a purchase cancelled later is still whole), and the churn
        model's features too.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``customer_id``, one row per customer with a purchase or a
        customer record; columns in :data:`DIMENSIONS` order (those the data
        allow), typed: counts ``Int64``, dates ``datetime64``, scores
        ``float64``, labels ``category``. ``attrs["dimensions"]`` maps each
        dimension to its columns; ``attrs["fits"]`` holds the health checks of the purchase
        and spend models behind ``clv`` and ``p_alive`` (as plain dicts of
        :class:`crmwb.clv.FitDiagnostics`): ``p_alive`` is missing when the purchase
        model's failed, and ``clv`` rests on a failed fit.
    """
    t = _as_table(lines)
    if lines_as_of is not None and as_of not in (None, ""):
        t = _as_table(lines_as_of(as_of))
    summary_w = customer_summary(t, calibration_end=as_of, time_unit="W", returns=returns)
    as_of = summary_w.attrs["calibration_end"]
    rekey = (lambda f: identity.rekey_frame(f, crosswalk)) if crosswalk is not None \
        else (lambda f: f)
    contacts, surveys, campaigns = (_in_time(rekey(f), as_of) for f in (contacts, surveys,
                                                                       campaigns))
    parts = {
        "characteristics": _characteristics(customers, crosswalk, show_personal),
        "transactions": summary_w,
        "interactions": _interactions(contacts, campaigns, as_of),
        "attitudes": _attitudes(surveys),
    }
    enrich = pd.DataFrame(index=summary_w.index)
    rfm = segmentation.rfm_scores(summary_w)
    enrich["rfm_segment"], enrich["rfm_cell"] = rfm["segment"], rfm["rfm_cell"]
    enrich["pyramid_level"] = pyramid.customer_pyramid(t, as_of=as_of).customers["level"]
    if len(summary_w) >= 10:
        enrich["cluster"] = _quiet(segmentation.cluster_customers, summary_w, k=n_clusters,
                                   ks=() if n_clusters else range(2, 9), seed=seed).labels
    if "brand" in t.columns:
        types = loyalty.loyalty_types(t, within="category" if "category" in t.columns else None,
                                      min_purchases=6, sequences=False)
        enrich["loyalty_type"] = types["loyalty_type"]
    # MBG/NBD first: P(alive) < 1 after one purchase; another kind when its fit fails
    purchases = _quiet(clv.purchase_model_for_values, None, summary_w, prefer="MBG/NBD")
    repeaters = int(((summary_w["frequency"] > 0) & (summary_w["monetary_value"] > 0)).sum())
    spend = _quiet(clv.GammaGammaModel().fit, summary_w) if repeaters >= 3 else None
    # without three repeat buyers there is no model of spend, and no CLV (attrs say so)
    enrich["clv"] = np.nan if spend is None else clv.customer_lifetime_value(
        purchases, spend, summary_w, horizon_months=horizon_months,
        monthly_discount_rate=monthly_discount_rate, margin=margin)
    # a failed fit's P(alive) is no measure (1.0 for everyone on Online Retail): withheld,
    # and the next actions tell the lapsed by the days since their last purchase instead
    enrich["p_alive"] = purchases.probability_alive(summary_w) if purchases.diagnostics_.ok \
        else np.nan
    tables = dict(customers=rekey(customers), contacts=contacts, surveys=surveys, returns=returns)
    try:
        enrich["churn_risk"] = _quiet(churn.churn_risk, _as_table(lines), as_of,
                                      churn_horizon_days, active_days, seed=seed,
                                      lines_as_of=lines_as_of, **tables)
    except ValueError as err:  # too little history to learn churn: say so, leave it empty
        warnings.warn(f"no churn risk: {err}", stacklevel=2)
        enrich["churn_risk"] = np.nan
    enrich = enrich.join(_offers(t, as_of, offer_level, offer_min_support, offer_min_confidence,
                                 offer_max_baskets))
    parts["enrichment"] = enrich
    ids = parts["transactions"].index.union(parts["characteristics"].index)
    table = pd.concat([p.reindex(ids) for p in parts.values() if len(p.columns)], axis=1)
    for col in ("contacts", "complaints", "open_complaints", "requests", "campaigns_received",
                "campaign_responses", "surveys"):
        if col in table:
            table[col] = table[col].fillna(0)
    table["next_action"] = next_actions(table, high_risk, lapsed_days=lapsed_days)
    table = _typed(table)
    dims = {d: [c for c in cols if c in table.columns] for d, cols in DIMENSIONS.items()}
    table = table[[c for cols in dims.values() for c in cols]]
    table.index.name = "customer_id"
    table.attrs = {"dimensions": dims, "as_of": as_of,
                   "fits": {"purchases": dataclasses.asdict(purchases.diagnostics_),
                            "spend": None if spend is None else
                            dataclasses.asdict(spend.diagnostics_)},
                   "repeat_buyers": repeaters,
                   "lapsed_days": lapsed_days}
    return table


def _offers(t: ir.Table, as_of, level: str, min_support: float, min_confidence: float,
            max_baskets: int | None = None) -> pd.DataFrame:
    """Each customer's next best cross-sell offer from rules over the baskets to ``as_of``.

    Only what the offers need comes back from the engine: the baskets the rules
    are mined from (a sample of them beyond ``max_baskets``), and each customer's
    items among those the rules and the popular fill name.
    """
    t = t.filter(t.date < pd.Timestamp(as_of) + pd.Timedelta(days=1))
    if level not in t.columns:
        return pd.DataFrame()
    t = t.filter((t.quantity > 0) & t[level].notnull())
    on_spark = engine.backend_name(t) == "pyspark"  # Spark mines its own lines (FPGrowth)
    # Spark mines its lines where they are; DuckDB's baskets (a fixed sample beyond
    # max_baskets) are mined from numbered (basket, item) pairs
    sample = t if on_spark else basket.sample_baskets(t, max_baskets)[0]
    rules = basket.mine_rules(sample, min_support, min_confidence, max_len=3, level=level)
    # the popular items fill: counted per item in the engine, over every basket
    popular = basket.item_frequencies(t, level=level).index.tolist()[:50]
    # items outside the rules and the fill can neither complete an antecedent nor be offered
    named = sorted({str(i) for col in ("antecedents", "consequents") for s in rules[col]
                    for i in s} | set(map(str, popular)))
    if not named:
        return pd.DataFrame()
    # each customer's items among them, as (customer, item code) pairs: a million customers
    # hold tens of millions of such pairs, too many to bring back as strings or sets
    item = t[level].cast("string")
    code = item.substitute({name: k for k, name in enumerate(named)},
                           else_=ibis.null("int32"))
    known = t.filter(t.customer_id.notnull())
    pairs = engine.to_pandas(known.filter(item.isin(named)).select("customer_id", code=code)
                             .distinct())
    pairs = pd.DataFrame({"customer_id": pairs["customer_id"].to_numpy(),
                          "item": pd.Categorical.from_codes(pairs["code"].to_numpy(dtype="int32"),
                                                          named)})
    ids = engine.to_pandas(known.select("customer_id").distinct())["customer_id"].sort_values()
    offers = basket.next_best_offers(rules, pairs, fill=popular,
                                     customers=pd.Index(ids.to_numpy(), name="customer_id"))
    return offers.rename(columns={"offer": "next_offer", "confidence": "next_offer_confidence"}
                         )[["next_offer", "next_offer_confidence"]]


def next_actions(table: pd.DataFrame, high_risk: float = 0.5, new_days: int = 90,
                 lapsed_days: int = 180) -> pd.Series:
    """The recommended action for each customer, the most urgent that applies.

    In order: an open complaint is resolved first; a customer above median CLV
    whose churn risk is at least ``high_risk`` gets a retention offer; a
    detractor (last NPS 0-6) a service recovery call; a lapsed customer with
    above-median revenue a win-back offer; a customer whose first purchase is under
    ``new_days`` old welcome and onboarding; one with a rule-based offer who has not
    lapsed that cross-sell offer; everyone else is kept in touch.

    A customer has *lapsed* when their P(alive) is under 0.3, or, where P(alive) is
    missing (its model failed its health check), when they bought nothing in the last
    ``lapsed_days`` days: a cross-sell offer is for a customer still buying.
    """
    def col(name, default=np.nan):
        return table[name] if name in table else pd.Series(default, index=table.index)

    clv_value = pd.to_numeric(col("clv"), errors="coerce")
    revenue = pd.to_numeric(col("revenue"), errors="coerce")
    p_alive = pd.to_numeric(col("p_alive"), errors="coerce")
    silent = pd.to_numeric(col("days_since_last_purchase"), errors="coerce")
    lapsed = (p_alive < 0.3) | (p_alive.isna() & (silent > lapsed_days))
    conditions = [
        pd.to_numeric(col("open_complaints", 0), errors="coerce").fillna(0) > 0,
        (pd.to_numeric(col("churn_risk"), errors="coerce") >= high_risk)
        & (clv_value >= clv_value.median()),
        pd.to_numeric(col("last_nps"), errors="coerce") <= 6,
        lapsed & (revenue >= revenue.median()),
        pd.to_numeric(col("tenure_days"), errors="coerce") < new_days,
        col("next_offer", pd.NA).notna() & col("next_offer_confidence").notna() & ~lapsed,
    ]
    chosen = np.select([c.fillna(False).to_numpy(dtype=bool) for c in conditions],
                       ACTIONS[:-1], default=ACTIONS[-1])
    return pd.Series(pd.Categorical(chosen, categories=ACTIONS), index=table.index,
                     name="next_action")


def _typed(table: pd.DataFrame) -> pd.DataFrame:
    out = table.copy()
    for col in out.columns:
        if col in COUNT_COLUMNS:
            out[col] = pd.to_numeric(out[col]).round().astype("Int64")
        elif col in DATE_COLUMNS:
            out[col] = pd.to_datetime(out[col])
        elif col in CATEGORY_COLUMNS:
            out[col] = out[col].astype("category")
        elif pd.api.types.is_numeric_dtype(out[col]) and not pd.api.types.is_bool_dtype(out[col]):
            out[col] = out[col].astype("float64")
        elif not isinstance(out[col].dtype, pd.CategoricalDtype):
            out[col] = out[col].astype("string")
    return out


# --- publishing -----------------------------------------------------------------------------

publish = privacy.publish


def export_customer_table(table: pd.DataFrame, out_dir: str | Path, show_personal: bool = False,
                          pseudonymize: bool = False, secret: str | None = None,
                          name: str = "customer_table") -> list[Path]:
    """Write the customer table as ``<name>.parquet`` and ``<name>.csv``, both or neither.

    Personal data and ids are handled as in :func:`publish`. Each file is
    written beside its target under a temporary name and moved into place only
    when both are complete.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    published = publish(table, show_personal, pseudonymize, secret)
    published.attrs = {}
    targets = [out_dir / f"{name}.parquet", out_dir / f"{name}.csv"]
    temps = []
    try:
        for target in targets:
            fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=out_dir)
            os.close(fd)
            temps.append(Path(tmp))
        published.to_parquet(temps[0])
        io.neutralise_formulas(published).to_csv(temps[1])  # safe to open in a spreadsheet
        for tmp, target in zip(temps, targets):
            io.replace_file(tmp, target)
    finally:
        for tmp in temps:
            tmp.unlink(missing_ok=True)
    return targets


def example_customer(table: pd.DataFrame, risk: tuple[float, float] = (0.3, 0.8)):
    """A customer a teacher would pick to explain the customer card.

    The card should have something in each of its parts: several purchases (4 or more
    invoices), a contact with the front line and a survey, a churn risk that is neither
    near 0 nor near 1 (within ``risk``), and an action beyond keeping in touch. Among the
    customers who meet all of these, the most valuable (CLV, else revenue); when none do,
    the criteria are given up from the last. Criteria on columns the table lacks are
    skipped.

    Returns
    -------
    The customer's id (the table's index label).
    """
    if table.empty:
        raise ValueError("the customer table is empty: no customer to show on a card")

    def has(column):
        return column in table and table[column].notna().any()

    criteria = []
    if has("invoices"):
        criteria.append(table["invoices"].fillna(0) >= 4)
    if has("contacts"):
        criteria.append(table["contacts"].fillna(0) >= 1)
    if has("surveys"):
        criteria.append(table["surveys"].fillna(0) >= 1)
    if has("churn_risk"):
        criteria.append(table["churn_risk"].between(*risk))
    if has("next_action"):
        criteria.append(table["next_action"].notna() & (table["next_action"] != "keep in touch"))
    value = table["clv"] if has("clv") else table.get("revenue", pd.Series(0.0, table.index))
    for kept in range(len(criteria), -1, -1):
        chosen = pd.Series(True, index=table.index)
        for c in criteria[:kept]:
            chosen &= c.fillna(False).astype(bool)
        if chosen.any():
            return value[chosen].fillna(-np.inf).idxmax()
    return table.index[0]


def find_customer(table: pd.DataFrame, key, secret: str | None = None):
    """The table's customer id for ``key``: a customer id, or its pseudonym under ``secret``.

    A key copied from a report is taken as meant: directional marks and isolates around it,
    spaces, and Persian or Arabic-Indic digits (``۱۲۳۴۵``) are read away.
    """
    index = table.index
    if isinstance(key, str):
        key = parsing.ascii_digits(re.sub("[\u200e\u200f\u202a-\u202e\u2066-\u2069]", "",
                                   key)).strip()
    for candidate in (key, str(key)):
        if candidate in index:
            return candidate
    try:
        as_number = int(str(key))
        if as_number in index:
            return as_number
    except ValueError:
        pass
    if secret and str(key).startswith("c-"):
        pseudonyms = privacy.pseudonymize_ids(index.to_series(), secret)
        hit = pseudonyms[pseudonyms == str(key)]
        if len(hit):
            return hit.index[0]
    examples = list(index[:3])
    if secret:  # pseudonymised reports never print an id in clear, not even in an error
        examples = privacy.pseudonymize_ids(pd.Series(examples), secret).tolist()
    raise KeyError(f"customer {key!r} is not in the customer table "
                   f"({len(index):,} customers, e.g. {examples})")


# --- one customer's card --------------------------------------------------------------------

@dataclass
class CustomerCard:
    """One customer on one page: profile, scores, timeline and the recommended action."""

    customer_id: object
    profile: pd.Series
    scores: pd.Series
    timeline: pd.DataFrame
    action: str
    extras: dict = field(default_factory=dict)


def customer_card(table: pd.DataFrame, lines: ir.Table | pd.DataFrame, customer_id,
                  contacts: pd.DataFrame | None = None, surveys: pd.DataFrame | None = None,
                  campaigns: pd.DataFrame | None = None,
                  crosswalk: pd.DataFrame | None = None, lang: str = "en") -> CustomerCard:
    """The card of one customer of :func:`customer_table`.

    ``profile`` holds the characteristics and transaction columns, ``scores``
    the attitudes, interactions and enrichment, ``timeline`` every purchase
    (one row per invoice), contact, survey and campaign, oldest first, with
    ``date``, ``event``, ``detail`` and ``value``; the details are written in
    ``lang`` (:mod:`crmwb.glossary`).
    """
    words = glossary(lang)
    if customer_id not in table.index:
        raise KeyError(f"customer {customer_id!r} is not in the customer table")
    dims = table.attrs.get("dimensions") or {d: [c for c in cols if c in table]
                                             for d, cols in DIMENSIONS.items()}
    row = table.loc[customer_id]
    profile = row[dims["characteristics"] + dims["transactions"]]
    scores = row[dims["attitudes"] + dims["interactions"] + dims["enrichment"]]
    as_of = table.attrs.get("as_of")
    t = _as_table(lines)
    mine = t.filter(t.customer_id == ibis.literal(customer_id).cast(t.customer_id.type()))
    if as_of is not None:
        mine = mine.filter(mine.date < pd.Timestamp(as_of) + pd.Timedelta(days=1))
    label = "description" if "description" in t.columns else "product_id"
    invoices = engine.to_pandas(mine.group_by("invoice_id").agg(
        date=mine.date.min(), items=mine[label].cast("string").collect(),
        value=(mine.quantity * mine.unit_price).sum()))
    events = [pd.DataFrame({
        "date": invoices["date"], "event": "purchase",
        "detail": invoices["items"].map(lambda i: _items_text(list(i), words)),
        "value": invoices["value"]})]
    rekey = (lambda f: identity.rekey_frame(f, crosswalk)) if crosswalk is not None \
        else (lambda f: f)
    def each(f, say):  # one customer's few rows, each said in the reader's words
        return pd.Series([say(r) for r in f.itertuples(index=False)], index=f.index)

    for frame, event, detail, value in (
            (contacts, "contact", lambda f: each(f, lambda r: words.say(
                "card_contact", kind=words.word(r.kind), category=words.word(_text(r.category)),
                channel=words.word(_text(r.channel)))), lambda f: f.get("severity")),
            (surveys, "survey", lambda f: each(f, lambda r: words.say(
                "card_survey", csat=r.csat, nps=r.nps)), lambda f: f.get("nps")),
            (campaigns, "campaign", lambda f: each(f, lambda r: words.say(
                "card_campaign_responded" if r.responded else "card_campaign",
                campaign=r.campaign_id, group=words.word(r.group))), lambda f: f.get("revenue"))):
        f = _in_time(rekey(frame), pd.Timestamp(as_of)) if frame is not None else None
        if f is None:
            continue
        f = f[f["customer_id"] == customer_id]
        if len(f):
            events.append(pd.DataFrame({"date": f["date"], "event": event,
                                        "detail": detail(f).astype("string"),
                                        "value": pd.to_numeric(value(f), errors="coerce")}))
    timeline = pd.concat(events, ignore_index=True).sort_values("date", kind="stable")
    return CustomerCard(customer_id, profile, scores, timeline.reset_index(drop=True),
                        str(row["next_action"]))


def _text(value) -> str:
    return "" if value is None or (not isinstance(value, str) and pd.isna(value)) else value


def _items_text(items: list, t, shown: int = 3) -> str:
    items = sorted(set(map(str, items)))
    listed = ("، " if t.lang == "fa" else ", ").join(items[:shown])  # Persian's own comma
    if len(items) <= shown:
        return listed
    return t.say("card_items_more", items=listed, more=len(items) - shown)


# --- KPIs and cohorts -----------------------------------------------------------------------

def customer_months(lines: ir.Table | pd.DataFrame, calendar: str = "gregorian") -> ir.Table:
    """One row per customer and month of ``calendar`` with a purchase: ``month_number``
    (:func:`crmwb.calendars.month_number`), orders, revenue, and the customer's
    ``first_month`` and previous active month (in the engine)."""
    t = _as_table(lines)
    t = t.filter(t.customer_id.notnull() & (t.quantity > 0))
    if "_month" not in t.columns:  # not given its months already (kpis_by_month)
        t = calendars.with_month(t, calendar)
    cm = t.group_by(customer_id=t.customer_id, month_number=t._month).agg(
        orders=t.invoice_id.nunique(), revenue=(t.quantity * t.unit_price).sum())
    by_customer = ibis.window(group_by=cm.customer_id, order_by=cm.month_number)
    return cm.mutate(first_month=cm.month_number.min().over(ibis.window(group_by=cm.customer_id)),
                     previous_month=cm.month_number.lag().over(by_customer))


def kpis_by_month(
    lines: ir.Table | pd.DataFrame,
    contacts: pd.DataFrame | None = None,
    surveys: pd.DataFrame | None = None,
    campaigns: pd.DataFrame | None = None,
    margin: float = 0.30,
    calendar: str = "gregorian",
) -> pd.DataFrame:
    """The CRM KPIs of every month of the lines, in ``calendar`` (``"jalali"``: Farvardin ...
    Esfand; see :mod:`crmwb.calendars`).

    Customers: ``active_customers`` (bought in the month), ``new_customers``
    (their first month), ``retained_customers`` (bought in the month and the
    month before), ``lapsed_customers`` (bought the month before, not in this
    one); ``retention_rate`` = retained / active last month and ``lapse_rate``
    = lapsed / active last month. A lapse is a month without a purchase, not churn: a
    customer who skips a month may be back the next, and notebook 04's churn (no purchase
    in a horizon of days after a cutoff) is another definition, named differently. Money:
    ``revenue`` and ``orders`` (every purchase line, identified or not),
    ``average_order_value``, ``purchase_frequency`` (orders of identified
    customers per active customer) and ``average_base_value``, the base potential
    of customer value to date (historical, not a lifetime value to come): ``margin`` x
    revenue of identified customers so far / customers acquired so far. Service, where
    the tables are given: ``csat`` (share of 4s
    and 5s) and ``nps`` of the month's surveys, ``complaint_rate`` (complaints
    per active customer), ``campaign_response_rate`` (responses of the marketed,
    not the control group). ``full`` marks months the data cover from first to
    last day. Months are indexed by their first day (Gregorian date); ``attrs["calendar"]``
    names the calendar.
    """
    calendars.check(calendar)
    t = _as_table(lines)
    t = calendars.with_month(t, calendar)  # once, for the money and the customers
    buys = t.filter(t.quantity > 0)
    money = engine.to_pandas(buys.group_by(month_number=buys._month).agg(
        revenue=(buys.quantity * buys.unit_price).sum().cast("float64"),
        orders=buys.invoice_id.nunique().cast("int64"),
        first_date=buys.date.min(), last_date=buys.date.max()))
    cm = customer_months(t, calendar)
    per_month = engine.to_pandas(cm.group_by("month_number").agg(
        active_customers=cm.count().cast("int64"),
        new_customers=(cm.month_number == cm.first_month).cast("int64").sum().cast("int64"),
        retained_customers=(cm.previous_month == cm.month_number - 1).fill_null(False)
        .cast("int64").sum().fill_null(0).cast("int64"),
        identified_orders=cm.orders.sum().cast("int64"),
        identified_revenue=cm.revenue.sum().cast("float64")))
    span = engine.to_pandas(buys.aggregate(start=buys.date.min(), stop=buys.date.max()))
    if money.empty:
        raise ValueError("no purchase lines: KPIs need transactions with a positive quantity")
    numbers = range(int(money["month_number"].min()), int(money["month_number"].max()) + 1)
    k = (pd.DataFrame({"month_number": list(numbers)})
         .merge(per_month, on="month_number", how="left")
         .merge(money[["month_number", "revenue", "orders"]], on="month_number", how="left"))
    k = k.fillna({c: 0 for c in ("active_customers", "new_customers", "retained_customers",
                                 "identified_orders",
                                 "identified_revenue", "revenue", "orders")})
    k.index = pd.DatetimeIndex(calendars.to_start(k["month_number"], calendar), name="month")
    start, stop = pd.Timestamp(span["start"].iloc[0]), pd.Timestamp(span["stop"].iloc[0])
    month_end = calendars.month_end(k.index, calendar)
    k["full"] = (k.index >= start.normalize()) & (month_end <= stop.normalize())
    previous = k["active_customers"].shift(1)
    k["lapsed_customers"] = previous - k["retained_customers"]
    k["retention_rate"] = k["retained_customers"] / previous.where(previous > 0)
    k["lapse_rate"] = k["lapsed_customers"] / previous.where(previous > 0)
    k["average_order_value"] = k["revenue"] / k["orders"].where(k["orders"] > 0)
    active = k["active_customers"].where(k["active_customers"] > 0)
    k["purchase_frequency"] = k["identified_orders"] / active
    acquired = k["new_customers"].cumsum()
    k["average_base_value"] = (margin * k["identified_revenue"].cumsum()
                               / acquired.where(acquired > 0))
    if surveys is not None and len(surveys):
        s = surveys.assign(month=calendars.month_start(surveys["date"], calendar))
        g = s.groupby("month")
        if "csat" in s:
            k["csat"] = g["csat"].agg(service.csat).reindex(k.index)
        if "nps" in s:
            k["nps"] = g["nps"].agg(service.net_promoter_score).reindex(k.index)
    if contacts is not None and len(contacts):
        c = contacts[contacts["kind"].eq("complaint")]
        counts = c.groupby(calendars.month_start(c["date"], calendar)).size()
        k["complaints"] = counts.reindex(k.index, fill_value=0)
        k["complaint_rate"] = k["complaints"] / active
    if campaigns is not None and len(campaigns):
        m = campaigns[campaigns["group"].ne("control")] if "group" in campaigns else campaigns
        rate = m.groupby(calendars.month_start(m["date"], calendar))["responded"].mean()
        k["campaign_response_rate"] = rate.reindex(k.index)
    ints = ["active_customers", "new_customers", "retained_customers", "orders",
            "identified_orders"]
    k[ints] = k[ints].astype("int64")
    k["lapsed_customers"] = k["lapsed_customers"].astype("Int64")
    order = ["full", "active_customers", "new_customers", "retained_customers",
             "lapsed_customers", "retention_rate", "lapse_rate",
             "revenue", "orders", "average_order_value", "purchase_frequency", "average_base_value",
             "csat", "nps", "complaints", "complaint_rate", "campaign_response_rate"]
    k = k[[c for c in order if c in k.columns]]
    k.attrs["calendar"] = calendar
    return k


def kpi_baseline(kpis: pd.DataFrame, baseline: str | pd.Timestamp | None = None
                 ) -> pd.DataFrame:
    """Each KPI at the baseline month, at the latest full month, and the change.

    Unless ``baseline`` names a month, the baseline is a *settled* month
    (:func:`settled_baseline`): the same month a year before the latest full month, else
    the first month in which returning customers outnumber new ones, never the shop's
    ramp-up, whose growth against its first months is an artefact of starting. A KPI
    measured only in some months (a campaign's response rate) takes its first
    measured full month from the baseline on, and its last measured full
    month, and says which. Rates and NPS change in points (the difference),
    counts and money relatively (the ratio minus one).

    Returns
    -------
    pandas.DataFrame
        One row per KPI: ``baseline``, ``baseline_month``, ``latest``,
        ``latest_month``, ``change`` and ``change_kind``; ``attrs`` has the
        baseline and latest months and the change of every KPI in every full
        month since the baseline (``attrs["changes"]``).
    """
    full = kpis[kpis["full"].astype(bool)] if "full" in kpis else kpis
    if baseline is not None:
        calendar = kpis.attrs.get("calendar", "gregorian")
        base_month = calendars.parse_month(baseline, calendar)
        if base_month not in kpis.index:
            raise ValueError(f"baseline {baseline} is not in a month of the KPIs ({calendar} "
                             f"months from {kpis.index.min():%Y-%m-%d} to "
                             f"{calendars.month_end([kpis.index.max()], calendar)[0]:%Y-%m-%d})")
    else:
        base_month, reason = settled_baseline(kpis)
    values = kpis.drop(columns=[c for c in ("full",) if c in kpis]).astype(float)
    later = values[(values.index >= base_month) & values.index.isin(full.index)]
    if base_month not in later.index:
        later = pd.concat([values.loc[[base_month]], later])
    points = [c for c in values.columns if c in KPI_RATES + KPI_POINTS]
    base = pd.Series({c: later[c].dropna().iloc[0] if later[c].notna().any() else np.nan
                      for c in values.columns})
    changes = later.copy()
    changes[points] = later[points] - base[points]
    relative = [c for c in values.columns if c not in points]
    changes[relative] = later[relative] / base[relative].where(base[relative] != 0) - 1

    def month(col, which):
        measured = later[col].dropna()
        return measured.index[which] if len(measured) else pd.NaT

    out = pd.DataFrame({
        "baseline": base,
        "baseline_month": [month(c, 0) for c in values.columns],
        "latest": [later[c].dropna().iloc[-1] if later[c].notna().any() else np.nan
                   for c in values.columns],
        "latest_month": [month(c, -1) for c in values.columns],
    }, index=values.columns)
    out["change"] = np.where(out.index.isin(points), out["latest"] - out["baseline"],
                             out["latest"] / out["baseline"].where(out["baseline"] != 0) - 1)
    out["change_kind"] = ["points" if c in points else "relative" for c in values.columns]
    out.index.name = "kpi"
    out.attrs = {"baseline_month": base_month, "latest_month": later.index[-1],
                 "changes": changes,
                 "baseline_reason": "given" if baseline is not None else reason}
    return out


def settled_baseline(kpis: pd.DataFrame) -> tuple[pd.Timestamp, str]:
    """The month to measure a strategy's baseline in, and why it was chosen.

    A shop's first months are its ramp-up: nearly every customer is new, so revenue and
    active customers grow against them whatever the strategy does. A month is *settled*
    when it is full, has a month before it, and its returning customers outnumber its new
    ones. The baseline is the same month a year before the latest full month when that
    month is settled (``"a year before"``: the same season, so Nowruz or Christmas is on
    both sides), else the first settled month (``"first settled"``), else the first full
    month with a month before it (``"first full"``).
    """
    full = kpis[kpis["full"].astype(bool)] if "full" in kpis else kpis
    candidates = [m for m in full.index if m != kpis.index[0]] or list(full.index)
    if not candidates:
        raise ValueError("no full month in the data to serve as the baseline")
    active, new = kpis["active_customers"].astype(float), kpis["new_customers"].astype(float)
    settled = [m for m in candidates if new[m] < active[m] - new[m]]
    calendar = kpis.attrs.get("calendar", "gregorian")
    latest = full.index[-1]
    number = calendars.month_number(latest, calendar) - 12
    year_before = calendars.first_day(number, calendar) if number > 0 else None
    if year_before is not None and year_before in settled:
        return year_before, "a year before"
    if settled:
        return settled[0], "first settled"
    return candidates[0], "first full"


@dataclass
class Cohorts:
    """Acquisition-month cohorts by months since acquisition."""

    #: customers of each cohort active in each month since acquisition
    customers: pd.DataFrame
    #: ``customers`` over the cohort's size
    retention: pd.DataFrame
    #: revenue of each cohort in each month since acquisition
    revenue: pd.DataFrame
    #: ``revenue`` per customer acquired in the cohort
    revenue_per_customer: pd.DataFrame
    #: customers acquired in each cohort
    size: pd.Series
    #: cohorts that are not acquisitions: the month the data start in holds the customers
    #: the shop already had (their first purchase in the data is not their first), so its
    #: "retention" is that of an existing base (left-censored)
    left_censored: list = field(default_factory=list)
    #: the month the data end in, left out when the data stop before its last day: its
    #: purchases are a part month's, read as a month they would show retention falling
    partial_month: pd.Timestamp | None = None

    @property
    def acquired(self) -> pd.DataFrame:
        """``retention`` of the cohorts that are acquisitions (without the left-censored)."""
        return self.retention.drop(index=self.left_censored, errors="ignore")


def cohorts(lines: ir.Table | pd.DataFrame, max_age: int | None = None,
            calendar: str = "gregorian") -> Cohorts:
    """Acquisition cohorts: each customer belongs to the month of their first purchase,
    in ``calendar`` (cohorts are indexed by the first day of that month).

    Rows are cohorts (acquisition months), columns months since acquisition
    (0 is the acquisition month itself, where retention is 1 by definition).
    Ages no cohort has reached yet are missing, not zero. The month the data end in is left
    out when the data stop before its last day (a part month is not a month:
    ``partial_month``), and the month they start in is marked as no acquisition
    (``left_censored``: the customers the shop already had).
    """
    t = _as_table(lines)
    bought = t.filter(t.customer_id.notnull() & (t.quantity > 0))
    last_day = pd.Timestamp(engine.to_pandas(bought.aggregate(d=bought.date.max()))["d"]
                            .iloc[0]).normalize()
    cm = customer_months(lines, calendar)
    grid = engine.to_pandas(cm.group_by(cohort=cm.first_month,
                                        age=cm.month_number - cm.first_month).agg(
        customers=cm.count().cast("int64"), revenue=cm.revenue.sum().cast("float64")))
    if grid.empty:
        raise ValueError("no identified purchases: cohorts need lines with customer ids")
    last = int((grid["cohort"] + grid["age"]).max())  # the last month with a purchase
    partial = None
    end_of_last = calendars.month_end([calendars.first_day(last, calendar)], calendar)[0]
    if last_day < end_of_last and (grid["cohort"] + grid["age"] < last).any():
        partial = calendars.first_day(last, calendar)
        grid = grid[grid["cohort"] + grid["age"] < last]  # the part month, left out
        last -= 1
    censored = [calendars.first_day(int(grid["cohort"].min()), calendar)]
    ages = range(0, last - int(grid["cohort"].min()) + 1)  # the oldest cohort's reach
    first = grid.groupby("cohort")["cohort"].first().sort_index()  # month numbers, in order
    grid["cohort"] = calendars.to_start(grid["cohort"], calendar)
    customers = grid.pivot(index="cohort", columns="age", values="customers")
    revenue = grid.pivot(index="cohort", columns="age", values="revenue")
    customers = customers.reindex(columns=ages)
    revenue = revenue.reindex(columns=ages)
    reached = np.asarray(first)[:, None] + np.asarray(list(ages))[None, :] <= last
    customers = customers.where(~reached, customers.fillna(0)).where(reached)
    revenue = revenue.where(~reached, revenue.fillna(0)).where(reached)
    if max_age is not None:
        customers, revenue = customers.loc[:, :max_age], revenue.loc[:, :max_age]
    size = customers[0]
    customers.columns.name = revenue.columns.name = "months_since_acquisition"
    return Cohorts(customers=customers, retention=customers.div(size, axis=0), revenue=revenue,
                   revenue_per_customer=revenue.div(size, axis=0), size=size.rename("customers"),
                   left_censored=censored, partial_month=partial)


# --- where sales were lost ----------------------------------------------------------------------

def lost_sales(transactions, by=("region", "channel"), as_of=None,
               window_days: int = 365) -> pd.DataFrame:
    """Where sales were lost: revenue by group (region and channel by default) in the last
    ``window_days`` against the window before, and the revenue lost with customers who
    bought in the earlier window and not since (ENMAX, session 2: helping sales managers
    see where sales were lost, and pricing managers where to act). Counted in the engine.

    Returns
    -------
    pandas.DataFrame
        One row per group: ``before`` and ``now`` (revenue), ``change`` (relative),
        ``lost_with_customers`` (the earlier revenue of the customers who left) and
        ``lost_share`` (of all the revenue lost with departed customers); the largest fall
        first (a group that grew comes after every one that fell, however big it is).
        ``attrs`` has the windows' edges.
    """
    t = _as_table(transactions)
    wanted, by = list(by), [c for c in by if c in t.columns]
    if not by:  # an export without regions or channels: nothing to place the loss in
        return pd.DataFrame(columns=["before", "now", "change", "lost_with_customers",
                                     "lost_share"], index=pd.Index([], name="/".join(wanted)))
    end = (pd.Timestamp(as_of) if as_of not in (None, "") else
           pd.Timestamp(t.date.max().execute())).normalize() + pd.Timedelta(days=1)
    width = pd.Timedelta(days=window_days)
    t = t.filter((t.quantity > 0) & t.customer_id.notnull())
    t = t.mutate(_value=t.quantity * t.unit_price)

    def window(first, last):
        return t.filter((t.date >= ibis.literal(first).cast("timestamp"))
                        & (t.date < ibis.literal(last).cast("timestamp")))

    before, now = window(end - 2 * width, end - width), window(end - width, end)
    stayed = now.select(_who="customer_id").distinct()
    left = before.left_join(stayed, before.customer_id == stayed._who)
    left = left.filter(left._who.isnull())
    parts = [engine.to_pandas(x.group_by(by).agg(**{name: x._value.sum()}))
             for x, name in ((before, "before"), (now, "now"), (left, "lost_with_customers"))]
    out = parts[0].merge(parts[1], on=by, how="outer").merge(parts[2], on=by, how="left")
    out = out.fillna({"before": 0.0, "now": 0.0, "lost_with_customers": 0.0})
    out["change"] = out["now"] / out["before"].where(out["before"] > 0) - 1
    total = out["lost_with_customers"].sum()
    out["lost_share"] = out["lost_with_customers"] / total if total else np.nan
    out = out.sort_values(["change", "lost_with_customers"], ascending=[True, False],
                          na_position="last").set_index(by)
    out.attrs = {"before_from": end - 2 * width, "now_from": end - width,
                 "until": end - pd.Timedelta(days=1)}
    return out[["before", "now", "change", "lost_with_customers", "lost_share"]]

