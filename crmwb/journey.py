"""The customer journey: what path customers take, touchpoint by touchpoint.

The CRM strategy asks the firm to map the customer's purchase process and experience: every
moment the customer meets the firm, in order. A **touchpoint** here is one of

- ``first_purchase`` and ``repeat_purchase`` (one per invoice);
- a contact with the front line by kind (``question``, ``request``, ``complaint``) and, with
  ``channels=True``, by channel too (``"question, email"``);
- ``complaint_resolved``: the firm's answer to a complaint, on the day it was resolved (an
  unresolved complaint has none: its journey goes on without it);
- a survey answered, by what it said: ``survey_satisfied`` (CSAT 4-5), ``survey_neutral`` (3),
  ``survey_dissatisfied`` (1-2);
- ``campaign_offer``: a campaign's contact (the treatment group; the control group was not
  contacted, so it has no touchpoint).

:func:`touchpoints` builds every customer's sequence in the engine (Ibis, DuckDB by default):
each touchpoint with its date and its step (1 for the first). Everything after it counts in
the engine and brings back only counts, so a million customers' journeys fit in memory:
:func:`transition_matrix` (how often one touchpoint follows another, with the median days
between), :func:`step_matrix` (the share of customers at each touchpoint at step 1, 2, 3...),
:func:`path_flows` (the flows between steps a path plot draws), :func:`common_paths` (the
most common paths of the customers who stayed and of those who churned,
:func:`crmwb.churn.churn_label_table`)
and :func:`second_purchase` (the time to a second purchase, customers not yet back counted
as censored).
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from crmwb import engine
from crmwb.summary import _as_table

#: the touchpoints, in the order tables and figures list them
TOUCHPOINTS = ("first_purchase", "repeat_purchase", "question", "request", "complaint",
               "complaint_resolved", "survey_satisfied", "survey_neutral",
               "survey_dissatisfied", "survey", "campaign_offer")
#: the two ends of a journey in :func:`transition_matrix`: before its first touchpoint, and
#: after its last one up to the end of the data
START, END = "journey_start", "journey_end"
#: a step matrix's row of customers whose journey had fewer steps
ENDED = "journey_ended"
#: the touchpoints a path plot lumps together beyond its most common ones
OTHER = "other_touchpoints"


def _day(value) -> pd.Timestamp:
    return pd.Timestamp(value).normalize()


def _side_events(contacts, surveys, campaigns, channels: bool) -> pd.DataFrame:
    """The touchpoints of the customer-level tables (contacts, surveys, campaigns)."""
    parts = []
    if contacts is not None and len(contacts):
        c = contacts[contacts["customer_id"].notna() & contacts["date"].notna()]
        kind = c["kind"].astype(str)
        touch = kind + ", " + c["channel"].astype(str) if channels and "channel" in c else kind
        parts.append(pd.DataFrame({"customer_id": c["customer_id"].to_numpy(),
                                   "date": pd.to_datetime(c["date"]).to_numpy(),
                                   "touchpoint": touch.to_numpy()}))
        if "resolved_date" in c:
            r = c[(kind == "complaint") & c["resolved_date"].notna()]
            parts.append(pd.DataFrame({"customer_id": r["customer_id"].to_numpy(),
                                       "date": pd.to_datetime(r["resolved_date"]).to_numpy(),
                                       "touchpoint": "complaint_resolved"}))
    if surveys is not None and len(surveys):
        s = surveys[surveys["customer_id"].notna() & surveys["date"].notna()]
        csat = pd.to_numeric(s["csat"], errors="coerce") if "csat" in s else pd.Series(
            np.nan, index=s.index)
        said = np.select([csat >= 4, csat == 3, csat <= 2],
                         ["survey_satisfied", "survey_neutral", "survey_dissatisfied"], "survey")
        parts.append(pd.DataFrame({"customer_id": s["customer_id"].to_numpy(),
                                   "date": pd.to_datetime(s["date"]).to_numpy(),
                                   "touchpoint": said}))
    if campaigns is not None and len(campaigns):
        k = campaigns[(campaigns["group"].astype(str) == "treatment")
                      & campaigns["customer_id"].notna() & campaigns["date"].notna()]
        parts.append(pd.DataFrame({"customer_id": k["customer_id"].to_numpy(),
                                   "date": pd.to_datetime(k["date"]).to_numpy(),
                                   "touchpoint": "campaign_offer"}))
    if not parts:
        return pd.DataFrame({"customer_id": [], "date": pd.Series([], dtype="datetime64[us]"),
                             "touchpoint": pd.Series([], dtype=object)})
    out = pd.concat(parts, ignore_index=True)
    out["date"] = out["date"].astype("datetime64[us]")
    return out


def touchpoints(lines, contacts: pd.DataFrame | None = None, surveys: pd.DataFrame | None = None,
                campaigns: pd.DataFrame | None = None, end=None, channels: bool = False,
                collapse: bool = False) -> ir.Table:
    """Every customer's touchpoints in order, in the engine.

    Parameters
    ----------
    lines : ibis Table or pandas.DataFrame
        Clean transaction lines (one purchase touchpoint per invoice).
    contacts, surveys, campaigns : pandas.DataFrame, optional
        The customer-level tables (see the module).
    end : date, optional
        The last day the journeys know (touchpoints after it are left out); all when omitted.
    channels : bool
        Contacts by kind and channel (``"complaint, phone"``) rather than by kind alone.
    collapse : bool
        One touchpoint for a run of the same one (five repeat purchases in a row are one
        step): paths then show changes of touchpoint, not how often each repeats.

    Returns
    -------
    ibis Table
        ``customer_id``, ``date``, ``touchpoint``, ``step`` (1, 2, ... per customer, in order
        of date; on the same date the first purchase first, then by name), lazily evaluated.
    """
    t = _as_table(lines)
    id_type = t.schema()["customer_id"]
    buys = t.filter(t.customer_id.notnull() & t.date.notnull() & (t.quantity > 0))
    if end is not None:
        buys = buys.filter(buys.date < ibis.literal(_day(end) + pd.Timedelta(days=1)))
    inv = buys.group_by(["customer_id", "invoice_id"]).agg(date=buys.date.min())
    rank = ibis.row_number().over(group_by=inv.customer_id, order_by=[inv.date, inv.invoice_id])
    purchases = inv.select(
        customer_id=inv.customer_id, date=inv.date.cast("timestamp"),
        touchpoint=ibis.ifelse(rank == 0, "first_purchase", "repeat_purchase"))
    side = _side_events(contacts, surveys, campaigns, channels)
    if end is not None:
        side = side[side["date"] < _day(end) + pd.Timedelta(days=1)]
    events = purchases
    if len(side):
        other = engine.open_table(side, con=t._find_backend())
        other = other.select(customer_id=other.customer_id.cast(id_type),
                             date=other.date.cast("timestamp"),
                             touchpoint=other.touchpoint.cast("string"))
        events = purchases.union(other)
    first = (events.touchpoint != "first_purchase").cast("int8")
    order = [events.date, first, events.touchpoint]
    if collapse:
        # the previous touchpoint as a column first, then the filter on it: a window inside a
        # filter of a union is SQL that Spark cannot resolve (`t8`.`touchpoint`)
        events = events.mutate(_previous=events.touchpoint.lag().over(
            group_by=events.customer_id, order_by=order))
        events = events.filter(events._previous.isnull()
                               | (events._previous != events.touchpoint)).drop("_previous")
        first = (events.touchpoint != "first_purchase").cast("int8")
        order = [events.date, first, events.touchpoint]
    step = ibis.row_number().over(group_by=events.customer_id, order_by=order) + 1
    return events.mutate(step=step)


def _ordered(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    """Rows in the touchpoints' order (known ones first, then by name)."""
    known = {name: i for i, name in enumerate((START, *TOUCHPOINTS, OTHER, ENDED, END))}
    key = frame[column].map(lambda v: (known.get(v, len(known)), str(v)))
    return frame.iloc[np.argsort(key.to_numpy(), kind="stable")]


def touchpoint_counts(events: ir.Table) -> pd.DataFrame:
    """Each touchpoint's count and the customers who reached it at least once."""
    g = events.group_by("touchpoint").agg(touchpoints=events.count(),
                                           customers=events.customer_id.nunique())
    out = engine.to_pandas(g)
    total = engine.to_pandas(events.aggregate(n=events.customer_id.nunique()))["n"].iloc[0]
    out["customer_share"] = out["customers"] / total if total else np.nan
    return _ordered(out, "touchpoint").set_index("touchpoint")


def transition_matrix(events: ir.Table) -> pd.DataFrame:
    """How often each touchpoint follows each other, over every customer's journey.

    Returns
    -------
    pandas.DataFrame
        One row per pair: ``from``, ``to``, ``transitions``, ``share`` (of the transitions
        out of ``from``: a row of the Markov chain's matrix) and ``median_days`` between the
        two (missing for the journey's start and end). ``journey_start`` leads to each
        customer's first touchpoint and each last touchpoint leads to ``journey_end``.
    """
    w = ibis.window(group_by=events.customer_id, order_by=events.step)
    nxt = events.mutate(_to=events.touchpoint.lead().over(w), _at=events.date.lead().over(w))
    days = (nxt._at.epoch_seconds() - nxt.date.epoch_seconds()) / 86400.0
    pairs = nxt.mutate(_from=nxt.touchpoint, _to=nxt._to.fill_null(END), _days=days)
    g = pairs.group_by(["_from", "_to"]).agg(transitions=pairs.count(),
                                            median_days=pairs._days.median())
    starts = events.filter(events.step == 1)
    s = starts.group_by("touchpoint").agg(transitions=starts.count())
    moves = engine.to_pandas(g).rename(columns={"_from": "from", "_to": "to"})
    first = engine.to_pandas(s).rename(columns={"touchpoint": "to"}).assign(
        **{"from": START, "median_days": np.nan})
    out = pd.concat([first, moves], ignore_index=True)
    out["share"] = out["transitions"] / out.groupby("from")["transitions"].transform("sum")
    out = _ordered(_ordered(out, "to"), "from").reset_index(drop=True)
    return out[["from", "to", "transitions", "share", "median_days"]]


def transition_table(matrix: pd.DataFrame, value: str = "share") -> pd.DataFrame:
    """:func:`transition_matrix` as a square table: rows ``from``, columns ``to``."""
    wide = matrix.pivot(index="from", columns="to", values=value)
    rows = _ordered(pd.DataFrame({"k": wide.index}), "k")["k"]
    cols = _ordered(pd.DataFrame({"k": wide.columns}), "k")["k"]
    return wide.reindex(index=rows, columns=cols).rename_axis(index="from", columns="to")


def step_matrix(events: ir.Table, steps: int = 6) -> pd.DataFrame:
    """The share of customers at each touchpoint at step 1, 2, ... ``steps``; a customer whose
    journey is shorter counts under ``journey_ended``, so every column sums to 1."""
    first = events.filter(events.step <= steps)
    g = engine.to_pandas(first.group_by(["step", "touchpoint"]).agg(customers=first.count()))
    total = engine.to_pandas(events.aggregate(n=events.customer_id.nunique()))["n"].iloc[0]
    wide = g.pivot(index="touchpoint", columns="step", values="customers").reindex(
        columns=range(1, steps + 1)).fillna(0)
    wide.loc[ENDED] = total - wide.sum(axis=0)
    wide = wide / total if total else wide
    rows = _ordered(pd.DataFrame({"k": wide.index}), "k")["k"]
    return wide.reindex(rows).rename_axis(index="touchpoint", columns="step")


def path_flows(events: ir.Table, steps: int = 5, top: int = 6) -> pd.DataFrame:
    """The customers moving from each touchpoint at step k to each at step k + 1 (k < ``steps``),
    for a path plot; at each step the ``top`` most common touchpoints stand alone and the rest
    are lumped as ``other_touchpoints``; a journey that stops goes to ``journey_ended``."""
    first = events.filter(events.step <= steps)
    w = ibis.window(group_by=first.customer_id, order_by=first.step)
    nxt = first.mutate(_to=first.touchpoint.lead().over(w))
    g = nxt.group_by(["step", "touchpoint", "_to"]).agg(customers=nxt.count())
    flows = engine.to_pandas(g).rename(columns={"touchpoint": "from", "_to": "to"})
    flows["to"] = flows["to"].fillna(ENDED)
    flows.loc[flows["step"] == steps, "to"] = np.nan  # the last step shown leads nowhere
    keep = (flows.groupby(["step", "from"])["customers"].sum().reset_index()
            .sort_values(["step", "customers"], ascending=[True, False])
            .groupby("step").head(top))
    kept = set(zip(keep["step"], keep["from"]))
    flows["from"] = [f if (s, f) in kept else OTHER for s, f in zip(flows["step"], flows["from"])]
    flows["to"] = [t if (pd.isna(t) or t == ENDED or (s + 1, t) in kept) else OTHER
                   for s, t in zip(flows["step"], flows["to"])]
    out = flows.groupby(["step", "from", "to"], dropna=False)["customers"].sum().reset_index()
    return out.sort_values(["step", "customers"], ascending=[True, False], ignore_index=True)


def common_paths(events: ir.Table, outcome: ir.Table | pd.Series, length: int = 4,
                 top: int = 10, end: str = "last") -> pd.DataFrame:
    """The most common paths of the customers who stayed and of those who churned: their last
    ``length`` touchpoints before the cutoff (``end="last"``: the road into the outcome) or
    their first (``end="first"``: how the relationship began).

    Parameters
    ----------
    events : ibis Table
        :func:`touchpoints` up to the cutoff of ``outcome`` (a journey must not see its own
        outcome), collapsed or not.
    outcome : ibis Table or pandas.Series
        :func:`crmwb.churn.churn_label_table` (``customer_id``, ``churned``), or a boolean
        Series by customer (:func:`crmwb.churn.churn_labels`).
    length, top : int
        Touchpoints per path; paths shown per group.
    end : {"last", "first"}
        Which end of the journey a path is taken from.

    Returns
    -------
    pandas.DataFrame
        ``path`` (touchpoints joined by " → "), ``group`` (stayed or churned), ``customers``,
        ``group_share`` (of the group), ``churn_rate`` (of every customer on that path), ``rank``
        within the group; ``attrs["customers"]``: each group's size.
    """
    if isinstance(outcome, pd.Series):
        frame = outcome.rename("churned").rename_axis("customer_id").reset_index()
        outcome = engine.open_table(frame, con=events._find_backend())
    o = outcome.select(customer_id=outcome.customer_id.cast(events.schema()["customer_id"]),
                       churned=outcome.churned)
    if end not in ("first", "last"):
        raise ValueError(f"common_paths: end must be 'first' or 'last', got {end!r}")
    if end == "last":  # steps counted back from the last touchpoint, then put in order
        back = ibis.row_number().over(group_by=events.customer_id,
                                      order_by=ibis.desc(events.step))
        events = events.mutate(_back=back).filter(back < length)
        shift = events._back.max().over(group_by=events.customer_id)
        events = events.mutate(step=shift - events._back + 1)
    first = events.filter(events.step <= length)
    cols = {f"s{k}": ibis.ifelse(first.step == k, first.touchpoint, ibis.null("string"))
            for k in range(1, length + 1)}
    wide = first.group_by("customer_id").agg(**{k: v.max() for k, v in cols.items()})
    j = wide.inner_join(o, "customer_id")
    g = j.group_by([*cols, "churned"]).agg(customers=j.count())
    counts = engine.to_pandas(g)
    sizes = engine.to_pandas(o.group_by("churned").agg(n=o.count())).set_index("churned")["n"]
    steps = counts[list(cols)]
    counts["path"] = [" → ".join(v for v in row if isinstance(v, str)) for row in
                      steps.itertuples(index=False)]
    per_path = counts.groupby("path")["customers"].sum()
    churned = counts[counts["churned"]].groupby("path")["customers"].sum()
    counts["group"] = np.where(counts["churned"], "churned", "stayed")
    counts["group_share"] = counts["customers"] / counts["churned"].map(sizes).to_numpy()
    counts["churn_rate"] = counts["path"].map(churned.reindex(per_path.index).fillna(0)
                                              / per_path).to_numpy()
    out = (counts.sort_values(["group", "customers", "path"], ascending=[False, False, True])
           .groupby("group", sort=False).head(top).reset_index(drop=True))
    out["rank"] = out.groupby("group").cumcount() + 1
    out = out[["group", "rank", "path", "customers", "group_share", "churn_rate"]]
    out.attrs["customers"] = {("churned" if k else "stayed"): int(v) for k, v in sizes.items()}
    return out


def second_purchase(lines, end=None, left_censored_days: int = 30) -> pd.DataFrame:
    """The time from a customer's first purchase day to their second, with customers not yet
    back counted as censored at the end of the data (Kaplan-Meier, from counts per day
    computed in the engine).

    Customers first seen in the data's first ``left_censored_days`` days are left out: the
    data start among them, so their first purchase in the data need not be their first
    (Online Retail's existing customers all "started" on 1 December 2010); ``attrs`` say
    how many (``left_out``).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``days`` since the first purchase: ``at_risk`` (customers not yet back
        and still watched), ``second_purchases`` that day, ``censored`` (watched no longer),
        ``share_back`` (the estimated share with a second purchase by then). ``attrs``:
        ``customers``, ``median_days`` (missing when fewer than half come back in the data's
        time), ``back_within`` (the share back within 30, 90, 180 and 365 days; missing
        where no customer was watched that long: the data cannot say).
    """
    t = _as_table(lines)
    buys = t.filter(t.customer_id.notnull() & t.date.notnull() & (t.quantity > 0))
    last = pd.Timestamp(engine.to_pandas(buys.aggregate(d=buys.date.max()))["d"].iloc[0])
    end = _day(end) if end is not None else last.normalize()
    buys = buys.filter(buys.date < ibis.literal(end + pd.Timedelta(days=1)))
    days = buys.select(customer_id=buys.customer_id, day=buys.date.date()).distinct()
    rank = ibis.row_number().over(group_by=days.customer_id, order_by=days.day)
    ranked = days.mutate(_r=rank).filter(rank < 2)
    per = ranked.group_by("customer_id").agg(
        first=ranked.day.min(), second=ibis.ifelse(ranked._r == 1, ranked.day, None).max())
    end_day = ibis.literal(end.date())
    waited = ibis.ifelse(per.second.isnull(), end_day.delta(per.first, unit="day"),
                         per.second.delta(per.first, unit="day"))
    per = per.mutate(_days=waited, _back=per.second.notnull())
    data_start = engine.to_pandas(days.aggregate(d=days.day.min()))["d"].iloc[0]
    since = pd.Timestamp(data_start) + pd.Timedelta(days=left_censored_days)
    early = per.first < ibis.literal(since.date())
    left_out = int(engine.to_pandas(per.aggregate(n=early.cast("int64").sum()))["n"]
                   .fillna(0).iloc[0]) if left_censored_days else 0
    if left_censored_days:
        per = per.filter(~early)
    g = engine.to_pandas(per.group_by(["_days", "_back"]).agg(n=per.count()))
    table = g.pivot_table(index="_days", columns="_back", values="n", aggfunc="sum",
                          fill_value=0).reindex(columns=[True, False], fill_value=0)
    table.columns = ["second_purchases", "censored"]
    table = table.sort_index().rename_axis("days")
    total = int(table.to_numpy().sum())
    leaving = table["second_purchases"] + table["censored"]
    table.insert(0, "at_risk", total - leaving.cumsum().shift(fill_value=0))
    hazard = table["second_purchases"] / table["at_risk"]
    table["share_back"] = 1 - (1 - hazard).cumprod()
    reached = table.index[table["share_back"] >= 0.5]
    table.attrs.update(customers=total, median_days=float(reached[0]) if len(reached) else
                       float("nan"), end=end, left_out=left_out, since=since,
                       back_within={d: float(table["share_back"][table.index <= d].iloc[-1])
                                    if (table.index <= d).any() and table.index.max() >= d
                                    else float("nan") for d in (30, 90, 180, 365)})
    return table


def path_label(path: str, t) -> str:
    """A path of :func:`common_paths` in the reader's words, its arrows pointing the way the
    reader reads (right to left in Persian)."""
    arrow = " ← " if t.lang == "fa" else " → "
    return arrow.join(t.word(step) for step in path.split(" → "))
