"""Loyalty types from brand purchase sequences (CONCEPTS.md section 7).

The course's four behavioural loyalty types, read from the order in which a
customer bought brands within a category:

=============  ==================  =====================================
type           example sequence    rule
=============  ==================  =====================================
hard-core      A A A A A A         one brand only
split          A A B B A B         two or three brands, going back and forth
shifting       A A A B B B         several brands, each bought in one run:
                                   the customer moved on and did not return
switcher       A B C D             four or more brands
=============  ==================  =====================================

The rule, in order: one brand is *hard-core*; four or more brands is
*switcher*; otherwise, when every brand is bought in a single unbroken run,
*shifting*; else *split*. A sequence is the brands of a customer's lines in
time order (lines of one invoice in product order). Short sequences say
little: customers with fewer than ``min_purchases`` purchase lines get no type.
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


def loyalty_type(sequence: Sequence[str]) -> str:
    """The loyalty type of one brand purchase sequence.

    Examples
    --------
    >>> [loyalty_type(s.split()) for s in
    ...  ["A A A A A A", "A A B B A B", "A A A B B B", "A B C D"]]
    ['hard-core', 'split', 'shifting', 'switcher']
    """
    brands = [b for b in sequence if b is not None and b == b]
    if not brands:
        raise ValueError("an empty brand sequence has no loyalty type")
    runs = 1 + sum(a != b for a, b in zip(brands, brands[1:]))
    return str(_type_from_counts(np.array([len(set(brands))]), np.array([runs]))[0])


def _lines_with_brands(transactions: ir.Table | pd.DataFrame, within: str | None
                       ) -> tuple[ir.Table, list[str]]:
    """The lines that count for brand sequences, and the sequence keys."""
    t = _as_table(transactions)
    needed = ["customer_id", "date", "brand"] + ([within] if within else [])
    missing = [c for c in needed if c not in t.columns]
    if missing:
        raise ValueError(f"transactions lack column(s) {missing} needed for loyalty types")
    keys = ["customer_id"] + ([within] if within else [])
    return t.filter(t.customer_id.notnull() & t.brand.notnull() & (t.quantity > 0)), keys


def brand_sequences(
    transactions: ir.Table | pd.DataFrame,
    within: str | None = "category",
) -> pd.DataFrame:
    """Each customer's brands in purchase order, per category (or over all lines).

    Parameters
    ----------
    transactions : ibis Table or pandas.DataFrame
        Clean transaction lines with a ``brand`` column.
    within : str or None
        The column whose values are the categories (``"category"``), or None
        to read one sequence over all of a customer's lines (when, as in the
        bundled shop, the same brands run across every category).

    Returns
    -------
    pandas.DataFrame
        One row per customer (and category): ``customer_id``, the ``within``
        column, ``sequence`` (list of brands), ``purchases`` (its length) and
        ``brands`` (distinct).
    """
    t, keys = _lines_with_brands(transactions, within)
    # one ordered sequence per customer (and category) is built in the engine: no lines
    # come back to pandas
    # (date, invoice, product, brand) records, sorted in the engine, then their brands: an
    # ordered collect every engine understands (Spark has no ordered aggregation)
    record = ibis.struct({"d": t.date, "i": t.invoice_id, "p": t.product_id, "b": t.brand})
    per = t.group_by(keys).agg(sequence=record.collect().sort().map(lambda r: r.b),
                               brands=t.brand.nunique())
    out = engine.to_pandas(per).sort_values(keys, kind="stable").reset_index(drop=True)
    out["sequence"] = out["sequence"].map(list)
    out["purchases"] = out["sequence"].str.len()
    return out[[*keys, "sequence", "purchases", "brands"]]


def sequence_stats(
    transactions: ir.Table | pd.DataFrame,
    within: str | None = "category",
) -> pd.DataFrame:
    """What a loyalty type needs of each brand sequence, counted in the engine.

    One row per customer (and category): ``purchases`` (the sequence's length),
    ``brands`` (distinct) and ``runs`` (unbroken runs of one brand, in the order of
    :func:`brand_sequences`). Only these counts come back, never the lines or the
    sequences, so this works on any number of lines.
    """
    t, keys = _lines_with_brands(transactions, within)
    w = ibis.window(group_by=[t[k] for k in keys],
                    order_by=[t.date, t.invoice_id, t.product_id, t.brand])
    before = t.brand.lag().over(w)
    t = t.mutate(_switch=(before.notnull() & (before != t.brand)).cast("int64"))
    per = t.group_by(keys).agg(purchases=t.count(), brands=t.brand.nunique(),
                               runs=1 + t._switch.sum())
    out = engine.to_pandas(per).sort_values(keys, kind="stable").reset_index(drop=True)
    return out.astype({"purchases": "int64", "brands": "int64", "runs": "int64"})


def _type_from_counts(brands: pd.Series, runs: pd.Series) -> pd.Categorical:
    """:func:`loyalty_type`'s rule on the counts of :func:`sequence_stats`."""
    kinds = np.select([brands == 1, brands >= 4, runs == brands],
                      ["hard-core", "switcher", "shifting"], "split")
    return pd.Categorical(kinds, categories=LOYALTY_TYPES)


def loyalty_types(
    transactions: ir.Table | pd.DataFrame,
    within: str | None = "category",
    min_purchases: int = 4,
    sequences: bool | int = True,
) -> pd.DataFrame:
    """The loyalty type of every customer, from their brand sequences.

    With ``within="category"`` each category's sequence gets a type and the
    customer takes the type of their longest sequence (the category they buy
    most; ties go to the earlier category name); the per-category types are
    in the ``by_category`` attribute of the result's ``attrs``. The types are
    read from counts made in the engine (:func:`sequence_stats`).

    Parameters
    ----------
    transactions : ibis Table or pandas.DataFrame
        Clean transaction lines with ``brand``.
    within : str or None
        See :func:`brand_sequences`.
    min_purchases : int
        Sequences shorter than this get no type (they cannot show one).
    sequences : bool or int
        Add each customer's chosen sequence as text: ``True`` for every
        customer, a number ``n`` for the first ``n`` customers by id (those a
        report shows; the others' ``sequence`` is missing), ``False`` for none.
        ``True`` brings every brand of those sequences to pandas: on millions
        of lines give a number or ``False``.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``customer_id``: ``loyalty_type``, ``purchases``,
        ``brands`` and, with ``sequences``, ``sequence`` (as text, e.g. ``"A A B"``).
    """
    stats = sequence_stats(transactions, within)
    stats = stats[stats["purchases"] >= min_purchases].copy()
    stats["loyalty_type"] = _type_from_counts(stats["brands"], stats["runs"])
    if within:
        chosen = stats.sort_values(["customer_id", "purchases", within],
                                   ascending=[True, False, True]).drop_duplicates("customer_id")
    else:
        chosen = stats
    columns = ["loyalty_type", "purchases", "brands"]
    if sequences is not False and sequences is not None:
        keys = [c for c in stats.columns if c in ("customer_id", within)]
        source = transactions
        if sequences is not True:  # only the first customers' lines are read in the engine
            if int(sequences) < 0:
                raise ValueError(f"sequences must be True, False or a count >= 0, got {sequences}")
            first = sorted(chosen["customer_id"].tolist())[: int(sequences)]
            t = _as_table(transactions)
            source = t.filter(t.customer_id.isin(first)) if first else t.limit(0)
        seq = brand_sequences(source, within)[[*keys, "sequence"]]
        chosen = chosen.merge(seq, on=keys, how="left")
        chosen["sequence"] = chosen["sequence"].map(" ".join, na_action="ignore")
        columns.append("sequence")
    out = chosen.set_index("customer_id")[columns].sort_index()
    if within:
        out.attrs["by_category"] = stats.drop(columns="runs").reset_index(drop=True)
    return out


def loyalty_table(types: pd.DataFrame) -> pd.DataFrame:
    """Customers per loyalty type and their share."""
    counts = types["loyalty_type"].value_counts().reindex(LOYALTY_TYPES, fill_value=0)
    return pd.DataFrame({"customers": counts, "share": counts / counts.sum()})
