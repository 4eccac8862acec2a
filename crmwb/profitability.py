"""Customer profitability: profit per customer, the whale curve, the profitability matrix.

CONCEPTS.md section 3. High sales do not mean high profit: what a customer
leaves depends on the prices they pay and on what it costs to serve them.

Profit of a customer over a period (:func:`customer_profit`)::

    reference value  = sum of quantity x reference price (the catalogue's list
                       price, else the product's median price to identified customers)
    gross margin     = margin_rate x reference value
    discounts        = reference value - revenue      (what they did not pay)
    service costs    = order costs (each order at its channel's channel_order_cost,
                       else order_cost) + small_order_cost x small orders
                       + return_cost x returns + contact_cost x contacts
    cost to serve    = discounts + service costs
    profit           = gross margin - cost to serve

The cost parameters (:data:`COSTS`) come from the parameters file.
:func:`whale_curve` ranks customers by profit and accumulates it;
:func:`profitability_matrix` places each customer by net price realised
(revenue / reference value) against cost to serve (service costs / revenue) in
the four cells of the matrix.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from crmwb import engine
from crmwb.summary import _as_table, analysis_end

#: default cost parameters (in the data's currency)
COSTS = {
    "margin_rate": 0.30,          # gross margin as a share of the reference value
    "order_cost": 2.0,            # handling one order (invoice)
    "small_order_cost": 3.0,      # extra for an order below small_order_value
    "small_order_value": 20.0,
    "return_cost": 5.0,           # handling one returned line
    "contact_cost": 4.0,          # one contact with the front line (call, email...)
    # handling one order by the channel it came through (session 6: RBC's channel
    # costing): a phone order takes a clerk's time, an online one little; an order from a
    # channel not named here costs order_cost
    "channel_order_cost": {"online": 1.5, "store": 2.0, "phone": 3.0},
}

#: the cells of the customer profitability matrix (price realised x cost to serve)
MATRIX_CELLS = {
    (True, False): "passive",            # pays well, cheap to serve
    (True, True): "carriage trade",      # pays well, costly to serve
    (False, False): "bargain basement",  # pays little, cheap to serve
    (False, True): "aggressive",         # pays little, costly to serve
}


#: what each cost parameter means, for the table of assumptions beside the results
COST_MEANINGS = ("margin_rate", "order_cost", "small_order_cost", "small_order_value",
                 "return_cost", "contact_cost", "channel_order_cost")


def assumptions(costs: dict | None = None, catalogue: pd.DataFrame | None = None
                ) -> pd.DataFrame:
    """The assumptions every profit figure rests on, to show beside them: each cost
    parameter with its value (:data:`COSTS` and the ``costs`` given: ``given`` says which),
    and where reference prices come from (a discount is what a customer paid below it).

    >>> a = assumptions({"order_cost": 1.0})
    >>> a.loc["order_cost", "value"], bool(a.loc["order_cost", "given"])
    (1.0, True)
    """
    c = _costs(costs)
    rows = []
    for key in COST_MEANINGS:
        if key == "channel_order_cost":  # a row per channel: "channel_order_cost=online"
            rows += [{"assumption": f"{key}={channel}", "value": cost,
                      "given": key in (costs or {})} for channel, cost in c[key].items()]
            continue
        rows.append({"assumption": key, "value": c[key], "given": key in (costs or {})})
    has_list = catalogue is not None and "list_price" in getattr(catalogue, "columns", [])
    rows.append({"assumption": "reference_price",
                 "value": "catalogue_list_price" if has_list else "median_identified_price",
                 "given": has_list})
    out = pd.DataFrame(rows).set_index("assumption")
    out.attrs["kinds"] = {"value": "text", "given": "bool"}
    return out


def _costs(costs: dict | None) -> dict:
    merged = {**COSTS, **(costs or {})}
    unknown = set(merged) - set(COSTS)
    if unknown:
        raise ValueError(f"unknown cost parameter(s) {sorted(unknown)}; expected {sorted(COSTS)}")
    channels = merged["channel_order_cost"] or {}
    if not isinstance(channels, dict):
        raise ValueError("channel_order_cost must map a channel to the cost of one order, e.g. "
                         "{online: 1.5, store: 2.0}")
    negative = [k for k, v in merged.items() if k != "channel_order_cost"
                and (v is None or v < 0)]
    negative += [f"channel_order_cost.{k}" for k, v in channels.items() if v is None or v < 0]
    if negative:
        raise ValueError(f"cost parameter(s) {negative} must be zero or positive")
    merged["channel_order_cost"] = dict(channels)
    return merged


def customer_profit(
    transactions: ir.Table | pd.DataFrame,
    contacts: pd.DataFrame | None = None,
    returns: ir.Table | pd.DataFrame | None = None,
    catalogue: pd.DataFrame | None = None,
    as_of: str | pd.Timestamp | None = None,
    window_days: int | None = None,
    costs: dict | None = None,
) -> pd.DataFrame:
    """Revenue, margin, cost to serve and profit of each customer.

    Parameters
    ----------
    transactions : ibis Table or pandas.DataFrame
        Clean transaction lines.
    contacts : pandas.DataFrame, optional
        The contacts table: each contact adds ``contact_cost``.
    returns : ibis Table or pandas.DataFrame, optional
        Returned lines (``CleaningResult.cancellations``): each adds
        ``return_cost``.
    catalogue : pandas.DataFrame, optional
        ``product_id`` and ``list_price``, the reference prices; without it the
        median unit price each product sold at to identified customers.
    as_of : date, optional
        End of the period; the last day in the data when omitted.
    window_days : int, optional
        Length of the period; all history up to ``as_of`` when omitted.
    costs : dict, optional
        Overrides of :data:`COSTS`.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``customer_id``: ``revenue``, ``reference_value``,
        ``gross_margin``, ``discounts``, ``orders``, ``small_orders``,
        ``returns``, ``contacts``, ``service_costs``, ``cost_to_serve``,
        ``profit``, ``net_price_realised`` and ``cost_to_serve_ratio``.
    """
    c = _costs(costs)
    t = _as_table(transactions)
    end = pd.Timestamp(as_of).normalize() if as_of not in (None, "") else analysis_end(t)
    stop = end + pd.Timedelta(days=1)
    start = stop - pd.Timedelta(days=window_days) if window_days else None

    def in_period(x: ir.Table) -> ir.Table:
        keep = x.customer_id.notnull() & x.date.notnull() & (
            x.date < ibis.literal(stop).cast("timestamp"))
        if start is not None:
            keep = keep & (x.date >= ibis.literal(start).cast("timestamp"))
        return x.filter(keep)

    # the reference price: what identified customers paid (anonymous sales are counter
    # sales at list price: against them a wholesale customer's volume price read as a
    # discount, 143,795 of it for Online Retail's customer 18102)
    all_lines = t.filter((t.quantity > 0) & t.unit_price.notnull() & t.customer_id.notnull())
    if catalogue is not None and {"product_id", "list_price"} <= set(catalogue.columns):
        ref = engine.open_table(catalogue[["product_id", "list_price"]].rename(
            columns={"list_price": "ref_price"}), con=t._find_backend())
    else:
        ref = all_lines.group_by("product_id").agg(ref_price=all_lines.unit_price.median())
    lines = in_period(t).filter(lambda x: x.quantity > 0)
    lines = lines.left_join(ref, lines.product_id == ref.product_id)
    lines = lines.mutate(_value=lines.quantity * lines.unit_price.fill_null(0),
                         _ref=lines.quantity * ibis.coalesce(lines.ref_price, lines.unit_price,
                                                             0))
    by_channel = "channel" in lines.columns and bool(c["channel_order_cost"])
    invoices = lines.group_by(["customer_id", "invoice_id"]).agg(
        value=lines._value.sum(), ref=lines._ref.sum(),
        **({"channel": lines.channel.cast("string").min()} if by_channel else {}))
    per = invoices.group_by("customer_id").agg(
        revenue=invoices.value.sum(), reference_value=invoices.ref.sum(),
        orders=invoices.count(),
        small_orders=(invoices.value < c["small_order_value"]).cast("int64").sum())
    out = engine.to_pandas(per).set_index("customer_id").sort_index()
    out["order_costs"] = c["order_cost"] * out["orders"]
    if by_channel:  # each order at the cost of its channel
        counted = engine.to_pandas(invoices.group_by(["customer_id", "channel"]).agg(
            n=invoices.count()))
        cost = counted["channel"].map(c["channel_order_cost"]).fillna(c["order_cost"])
        out["order_costs"] = (cost * counted["n"]).groupby(counted["customer_id"]).sum() \
            .reindex(out.index).fillna(0.0)

    out["returns"] = 0
    if returns is not None:
        r = in_period(_as_table(returns, like=t))
        counted = engine.to_pandas(r.group_by("customer_id").agg(n=r.count()))
        out["returns"] = counted.set_index("customer_id")["n"].reindex(out.index).fillna(0)
    out["contacts"] = 0
    if contacts is not None and len(contacts):
        k = contacts[contacts["date"] < stop]
        if start is not None:
            k = k[k["date"] >= start]
        out["contacts"] = k.groupby("customer_id").size().reindex(out.index).fillna(0)
    for col in ("returns", "contacts", "orders", "small_orders"):
        out[col] = out[col].astype(int)

    out["gross_margin"] = c["margin_rate"] * out["reference_value"]
    out["discounts"] = out["reference_value"] - out["revenue"]
    out["service_costs"] = (out["order_costs"]
                            + c["small_order_cost"] * out["small_orders"]
                            + c["return_cost"] * out["returns"]
                            + c["contact_cost"] * out["contacts"])
    out["cost_to_serve"] = out["discounts"] + out["service_costs"]
    out["profit"] = out["gross_margin"] - out["cost_to_serve"]
    out["net_price_realised"] = out["revenue"] / out["reference_value"].where(
        out["reference_value"] > 0)
    out["cost_to_serve_ratio"] = out["service_costs"] / out["revenue"].where(out["revenue"] > 0)
    return out[["revenue", "reference_value", "gross_margin", "discounts", "orders",
                "small_orders", "returns", "contacts", "service_costs", "cost_to_serve",
                "profit", "net_price_realised", "cost_to_serve_ratio"]]


def whale_curve(profit: pd.Series) -> pd.DataFrame:
    """Cumulative profit against customers ranked from most to least profitable.

    Returns
    -------
    pandas.DataFrame
        One row per customer in rank order: ``customer_id``, ``profit``,
        ``customer_share`` (share of customers up to this one) and
        ``cumulative_profit_share`` (cumulative profit / total profit; rises
        above 1 while profitable customers are added, then falls as the
        unprofitable ones give it back).

    Examples
    --------
    >>> w = whale_curve(pd.Series([50.0, -10.0, 30.0, -20.0], index=[1, 2, 3, 4]))
    >>> w["cumulative_profit_share"].round(2).tolist()
    [1.0, 1.6, 1.4, 1.0]
    """
    p = profit.sort_values(ascending=False, kind="stable")
    total = p.sum()
    out = pd.DataFrame({"customer_id": p.index, "profit": p.to_numpy()})
    out["customer_share"] = np.arange(1, len(p) + 1) / len(p)
    out["cumulative_profit_share"] = p.cumsum().to_numpy() / total if total else np.nan
    return out


def whale_facts(profit: pd.Series, top_share: float = 0.20) -> pd.Series:
    """The whale curve's numbers, to test the course's 20/20 claim on the data.

    Returns
    -------
    pandas.Series
        ``unprofitable_share`` (customers with negative profit),
        ``peak_profit_share`` (the curve's top: profit of the profitable
        customers / total profit), ``top_profit_share`` (profit of the most
        profitable ``top_share`` of customers / total profit) and
        ``customers_for_all_profit`` (the smallest share of customers, ranked by
        profit, whose profit reaches the total).
    """
    w = whale_curve(profit)
    n_top = max(1, int(round(top_share * len(w))))
    reached = w.index[w["cumulative_profit_share"] >= 1.0]
    return pd.Series({
        "customers": len(w),
        "total_profit": float(profit.sum()),
        "unprofitable_share": float((profit < 0).mean()),
        "peak_profit_share": float(w["cumulative_profit_share"].max()),
        "top_share": top_share,
        "top_profit_share": float(w["cumulative_profit_share"].iloc[n_top - 1]),
        "customers_for_all_profit": float(w["customer_share"].iloc[reached[0]])
        if len(reached) else np.nan,
    })


#: The three profitability colours of the RBC case (session 6): the bank segmented its
#: customers by three levels of profitability, each a colour in its data warehouse.
PROFIT_COLOURS = ("green", "yellow", "red")


def profit_colours(profit: pd.Series, top_share: float = 0.20) -> pd.Series:
    """Each customer's profitability colour, as RBC coloured its customers: ``green`` for
    the most profitable ``top_share`` (ranked by profit, the ones that bring most of it),
    ``red`` for those who lose money, ``yellow`` for the profitable rest.

    >>> profit_colours(pd.Series([50.0, 10.0, 5.0, -3.0, 2.0])).tolist()
    ['green', 'yellow', 'yellow', 'red', 'yellow']
    """
    n_top = max(1, int(round(top_share * len(profit))))
    green = profit.rank(ascending=False, method="first") <= n_top
    colour = np.select([profit < 0, green & (profit >= 0)], ["red", "green"], "yellow")
    return pd.Series(pd.Categorical(colour, categories=PROFIT_COLOURS), index=profit.index,
                     name="profit_colour")


def sales_versus_profit(profits: pd.DataFrame, top_share: float = 0.20) -> pd.Series:
    """The course's "high sales volume is not high profit", measured: of the customers who
    buy the most (the top ``top_share`` by revenue), the share who are not among the most
    profitable ``top_share`` and the share who lose money; and each colour's share of the
    customers and of the profit (:func:`profit_colours`).
    """
    n_top = max(1, int(round(top_share * len(profits))))
    big = profits["revenue"].rank(ascending=False, method="first") <= n_top
    best = profits["profit"].rank(ascending=False, method="first") <= n_top
    colours = profit_colours(profits["profit"], top_share)
    total = profits["profit"].sum()
    out = {"top_share": top_share,
           "big_not_best": float((big & ~best).sum() / big.sum()),
           "big_losing": float((big & (profits["profit"] < 0)).sum() / big.sum())}
    for c in PROFIT_COLOURS:
        out[f"{c}_customers"] = float((colours == c).mean())
        out[f"{c}_profit"] = float(profits.loc[colours == c, "profit"].sum() / total) \
            if total else np.nan
    return pd.Series(out)


def profitability_matrix(
    profits: pd.DataFrame,
    price_boundary: float | None = None,
    cost_boundary: float | None = None,
) -> pd.DataFrame:
    """Place customers in the four cells of the customer profitability matrix.

    Net price realised (``net_price_realised``: revenue / reference value)
    against cost to serve (``cost_to_serve_ratio``: service costs / revenue).
    High price and low cost is *passive*; high price and high cost *carriage
    trade*; low price and low cost *bargain basement*; low price and high cost
    *aggressive*. The boundaries are the medians unless given.

    Parameters
    ----------
    profits : pandas.DataFrame
        From :func:`customer_profit`.
    price_boundary, cost_boundary : float, optional
        Where high begins on each axis.

    Returns
    -------
    pandas.DataFrame
        ``profits`` with ``high_price``, ``high_cost`` and ``cell``; the
        boundaries used are in ``.attrs``.
    """
    x = profits.dropna(subset=["net_price_realised", "cost_to_serve_ratio"]).copy()
    pb = x["net_price_realised"].median() if price_boundary is None else price_boundary
    cb = x["cost_to_serve_ratio"].median() if cost_boundary is None else cost_boundary
    x["high_price"] = x["net_price_realised"] > pb
    x["high_cost"] = x["cost_to_serve_ratio"] > cb
    x["cell"] = [MATRIX_CELLS[(p, c)] for p, c in zip(x["high_price"], x["high_cost"])]
    x["cell"] = pd.Categorical(x["cell"], categories=list(MATRIX_CELLS.values()))
    x.attrs.update(price_boundary=float(pb), cost_boundary=float(cb))
    return x


def matrix_table(matrix: pd.DataFrame) -> pd.DataFrame:
    """Customers, revenue, profit and their shares per matrix cell."""
    g = matrix.groupby("cell", observed=False).agg(
        customers=("profit", "size"), revenue=("revenue", "sum"), profit=("profit", "sum"),
        mean_price_realised=("net_price_realised", "mean"),
        mean_cost_to_serve=("cost_to_serve_ratio", "mean"))
    g["customer_share"] = g["customers"] / g["customers"].sum()
    g["profit_share"] = g["profit"] / g["profit"].sum()
    return g
