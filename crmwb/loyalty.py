"""Loyalty types from brand purchase sequences (CONCEPTS.md section 7).

The course's four behavioural loyalty types, read from the order in which a
customer bought brands within a category:

=============  ==================  =====================================
type           example sequence    rule
=============  ==================  =====================================
hard-core      A A A A A A         one brand only
split          A A B B A B         two or three brands, going back and forth
shifting       A A A B B B         a steady move: each brand bought in one
                                   stretch, then left for the next
switcher       A B C D             four or more brands, or a new brand
                                   almost every time
=============  ==================  =====================================

A sequence is made of **purchase occasions**, not lines: one invoice (or, with
``occasion="day"``, one day) is one step, whatever its number of lines, and its
brands are a set, so six lines of brand A in one invoice are one purchase of A,
and the order of lines inside an invoice (how product ids sort) changes
nothing. An occasion with two brands (``A+B``) belongs to both.

The rule, in order: one brand is *hard-core*. Every brand bought in one
unbroken stretch of occasions, each stretch beginning where the previous one
ended or later (the occasion of the change may hold both), with at most one
change of brand per two occasions, is *shifting*, whatever the number of brands
(``A A B B C C D D``). Else four or more brands is *switcher*; a brand bought
again after another, or beside another's stretch, is *split*; what is left (a
new brand at almost every occasion, never going back: ``A B C``) is *switcher*.
Short sequences say little: customers with fewer than ``min_purchases``
occasions get no type. Beside the type, ``main_brand_share`` is the share of the
customer's occasions that went to their most bought brand, each occasion shared
among its brands by quantity.
"""

from __future__ import annotations

from collections.abc import Sequence

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from crmwb import engine
from crmwb.summary import _as_table

LOYALTY_TYPES = ("hard-core", "split", "shifting", "switcher")
#: what one step of a brand sequence is: an invoice, or a day of purchases
OCCASIONS = ("invoice", "day")


def _occasion_brands(step) -> set[str]:
    """The brands of one occasion: a brand, ``"A+B"``, or a collection of brands."""
    if isinstance(step, str):
        return {b for b in step.split("+") if b}
    if step is None or step != step:  # a missing brand
        return set()
    return {str(b) for b in step if b is not None and b == b}


def loyalty_type(sequence: Sequence) -> str:
    """The loyalty type of one sequence of purchase occasions.

    Each step is one occasion's brand (``"A"``), brands (``"A+B"``, or a set).

    Examples
    --------
    >>> [loyalty_type(s.split()) for s in
    ...  ["A A A A A A", "A A B B A B", "A A A B B B", "A B C D"]]
    ['hard-core', 'split', 'shifting', 'switcher']
    >>> loyalty_type("A A B B C C D D".split()), loyalty_type("A A A+B B B".split())
    ('shifting', 'shifting')
    """
    steps = [b for b in (_occasion_brands(s) for s in sequence) if b]
    if not steps:
        raise ValueError("an empty brand sequence has no loyalty type")
    stretch: dict[str, list[int]] = {}
    for i, brands in enumerate(steps):
        for b in brands:
            stretch.setdefault(b, []).append(i)
    first = {b: v[0] for b, v in stretch.items()}
    last = {b: v[-1] for b, v in stretch.items()}
    contiguous = all(last[b] - first[b] + 1 == len(v) for b, v in stretch.items())
    in_order, reached = True, -1
    for b in sorted(stretch, key=lambda b: (first[b], last[b], b)):
        in_order &= reached <= first[b]
        reached = max(reached, last[b])
    kind = _type_from_stats(np.array([len(stretch)]), np.array([len(steps)]),
                            np.array([contiguous and in_order]))
    return str(kind[0])


def _lines_with_brands(transactions: ir.Table | pd.DataFrame, within: str | None,
                       occasion: str = "invoice") -> tuple[ir.Table, list[str]]:
    """The lines that count for brand sequences with their occasion (``_occ``), and the keys."""
    if occasion not in OCCASIONS:
        raise ValueError(f"unknown occasion {occasion!r}; expected one of {list(OCCASIONS)}")
    t = _as_table(transactions)
    needed = ["customer_id", "date", "brand"] + (["invoice_id"] if occasion == "invoice" else [])
    needed += [within] if within else []
    missing = [c for c in needed if c not in t.columns]
    if missing:
        raise ValueError(f"transactions lack column(s) {missing} needed for loyalty types")
    keys = ["customer_id"] + ([within] if within else [])
    t = t.filter(t.customer_id.notnull() & t.brand.notnull() & (t.quantity > 0))
    occ = t.invoice_id.cast("string") if occasion == "invoice" else \
        t.date.truncate("D").cast("string")
    return t.mutate(_occ=occ), keys


def _occasions(t: ir.Table, keys: list[str]) -> ir.Table:
    """One row per occasion and brand: its place in the customer's sequence and brand share."""
    per = t.group_by([*keys, "_occ"]).agg(_time=t.date.min(), _q=t.quantity.sum())
    w = ibis.window(group_by=[per[k] for k in keys], order_by=[per._time, per._occ])
    per = per.mutate(_step=ibis.row_number().over(w))
    brand = t.group_by([*keys, "_occ", "brand"]).agg(_bq=t.quantity.sum())
    both = brand.join(per, [*keys, "_occ"])
    return both.mutate(_share=both._bq / both._q)


def brand_sequences(
    transactions: ir.Table | pd.DataFrame,
    within: str | None = "category",
    occasion: str = "invoice",
) -> pd.DataFrame:
    """Each customer's brands, occasion by occasion, per category (or over all lines).

    Parameters
    ----------
    transactions : ibis Table or pandas.DataFrame
        Clean transaction lines with a ``brand`` column.
    within : str or None
        The column whose values are the categories (``"category"``), or None
        to read one sequence over all of a customer's lines (when, as in the
        bundled shop, the same brands run across every category).
    occasion : {"invoice", "day"}
        One step of the sequence: an invoice, or all of a day's lines.

    Returns
    -------
    pandas.DataFrame
        One row per customer (and category): ``customer_id``, the ``within``
        column, ``sequence`` (list of occasions in time order, each its brands
        in alphabetical order joined by ``+``), ``purchases`` (occasions) and
        ``brands`` (distinct).
    """
    t, keys = _lines_with_brands(transactions, within, occasion)
    steps = _occasions(t, keys)
    # each occasion's brands as text, then the occasions in order: ordered collects that
    # every engine understands (Spark has no ordered aggregation); no lines come back
    text = steps.group_by([*keys, "_step"]).agg(b=steps.brand.collect().sort().join("+"))
    record = ibis.struct({"s": text._step, "b": text.b})
    per = text.group_by(keys).agg(sequence=record.collect().sort().map(lambda r: r.b),
                                  purchases=text.count())
    brands = t.group_by(keys).agg(brands=t.brand.nunique())
    per = per.join(brands, keys)
    out = engine.to_pandas(per).sort_values(keys, kind="stable").reset_index(drop=True)
    out["sequence"] = out["sequence"].map(list)
    out = out.astype({"purchases": "int64", "brands": "int64"})
    return out[[*keys, "sequence", "purchases", "brands"]]


def sequence_stats(
    transactions: ir.Table | pd.DataFrame,
    within: str | None = "category",
    occasion: str = "invoice",
) -> pd.DataFrame:
    """What a loyalty type needs of each brand sequence, counted in the engine.

    One row per customer (and category): ``purchases`` (occasions), ``brands``
    (distinct), ``steady`` (every brand bought in one stretch of occasions, the
    stretches one after another: the shape of a shift) and ``main_brand_share``.
    Only these counts come back, never the lines or the sequences, so this works
    on any number of lines.
    """
    t, keys = _lines_with_brands(transactions, within, occasion)
    steps = _occasions(t, keys)
    b = steps.group_by([*keys, "brand"]).agg(first=steps._step.min(), last=steps._step.max(),
                                             n=steps._step.count(), share=steps._share.sum())
    order = [b.first, b.last, b.brand]
    reached = b["last"].max().over(ibis.window(group_by=[b[k] for k in keys], order_by=order,
                                               preceding=None, following=0))
    b = b.mutate(_reached=reached)
    before = b._reached.lag().over(ibis.window(group_by=[b[k] for k in keys],
                                               order_by=[b.first, b.last, b.brand]))
    broken = ((b["last"] - b["first"] + 1 != b["n"]) | (before.notnull() & (before > b["first"])))
    b = b.mutate(_broken=broken.cast("int64"))
    per = b.group_by(keys).agg(brands=b.count(), breaks=b._broken.sum(), top=b.share.max(),
                               purchases=b["last"].max() + 1)
    out = engine.to_pandas(per).sort_values(keys, kind="stable").reset_index(drop=True)
    out = out.astype({"purchases": "int64", "brands": "int64"})
    out["steady"] = out.pop("breaks").astype("int64") == 0
    # the engine adds the occasions' fractional shares in no fixed order (threads): the last
    # bit of the sum may change from run to run, so the share is rounded to 12 decimals
    out["main_brand_share"] = (out.pop("top").astype(float) / out["purchases"]).round(12)
    return out[[*keys, "purchases", "brands", "steady", "main_brand_share"]]


def _type_from_stats(brands, purchases, steady) -> pd.Categorical:
    """:func:`loyalty_type`'s rule on the counts of :func:`sequence_stats`."""
    brands, purchases, steady = (np.asarray(v) for v in (brands, purchases, steady))
    shifting = steady & (2 * (brands - 1) <= purchases)
    kinds = np.select([brands == 1, shifting, brands >= 4, ~steady],
                      ["hard-core", "shifting", "switcher", "split"], "switcher")
    return pd.Categorical(kinds, categories=LOYALTY_TYPES)


def loyalty_types(
    transactions: ir.Table | pd.DataFrame,
    within: str | None = "category",
    min_purchases: int = 4,
    sequences: bool | int = True,
    occasion: str = "invoice",
) -> pd.DataFrame:
    """The loyalty type of every customer, from their brand sequences of purchase occasions.

    With ``within="category"`` each category's sequence gets a type and the
    customer takes the type of their longest sequence (the category they buy
    most often; ties go to the earlier category name); the per-category types
    are in the ``by_category`` attribute of the result's ``attrs``. The types are
    read from counts made in the engine (:func:`sequence_stats`).

    Parameters
    ----------
    transactions : ibis Table or pandas.DataFrame
        Clean transaction lines with ``brand`` (and ``invoice_id``).
    within : str or None
        See :func:`brand_sequences`.
    min_purchases : int
        Sequences of fewer purchase occasions get no type (they cannot show one).
    sequences : bool or int
        Add each customer's chosen sequence as text: ``True`` for every
        customer, a number ``n`` for the first ``n`` customers by id (those a
        report shows; the others' ``sequence`` is missing), ``False`` for none.
        ``True`` brings every brand of those sequences to pandas: on millions
        of lines give a number or ``False``.
    occasion : {"invoice", "day"}
        One purchase occasion: an invoice, or a day.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``customer_id``: ``loyalty_type``, ``purchases`` (occasions),
        ``brands``, ``main_brand_share`` and, with ``sequences``, ``sequence``
        (as text, e.g. ``"A A+B B"``).
    """
    stats = sequence_stats(transactions, within, occasion)
    stats = stats[stats["purchases"] >= min_purchases].copy()
    stats["loyalty_type"] = _type_from_stats(stats["brands"], stats["purchases"],
                                             stats["steady"])
    if within:
        chosen = stats.sort_values(["customer_id", "purchases", within],
                                   ascending=[True, False, True]).drop_duplicates("customer_id")
    else:
        chosen = stats
    columns = ["loyalty_type", "purchases", "brands", "main_brand_share"]
    if sequences is not False and sequences is not None:
        keys = [c for c in stats.columns if c in ("customer_id", within)]
        source = transactions
        if sequences is not True:  # only the first customers' lines are read in the engine
            if int(sequences) < 0:
                raise ValueError(f"sequences must be True, False or a count >= 0, got {sequences}")
            first = sorted(chosen["customer_id"].tolist())[: int(sequences)]
            t = _as_table(transactions)
            source = t.filter(t.customer_id.isin(first)) if first else t.limit(0)
        seq = brand_sequences(source, within, occasion)[[*keys, "sequence"]]
        chosen = chosen.merge(seq, on=keys, how="left")
        chosen["sequence"] = chosen["sequence"].map(" ".join, na_action="ignore")
        columns.append("sequence")
    out = chosen.set_index("customer_id")[columns].sort_index()
    if within:
        out.attrs["by_category"] = stats.drop(columns="steady").reset_index(drop=True)
    return out


def loyalty_table(types: pd.DataFrame) -> pd.DataFrame:
    """Customers per loyalty type and their share."""
    counts = types["loyalty_type"].value_counts().reindex(LOYALTY_TYPES, fill_value=0)
    return pd.DataFrame({"customers": counts, "share": counts / counts.sum()})
