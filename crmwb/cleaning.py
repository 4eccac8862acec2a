"""Cleaning transaction lines: an ordered list of named rules with a log.

:func:`clean_transactions` applies the rules in :data:`RULES` order, each as
Ibis expressions over the lines (so they run in the engine, on files larger
than memory too), and logs what each did: lines removed, changed or flagged,
the revenue they carried, and the lines left after it (counted, not
subtracted). Nothing is dropped silently: every removed line is kept in a side
table (exact duplicates, non-product lines, invalid prices, cancellations,
fully cancelled purchases, anonymous lines when they are removed), so the
lines in equal the lines of every output table (:meth:`CleaningResult.accounts`,
checked on every run). Extreme lines are flagged, not removed. The raw input is
never modified; :func:`write_cleaned` writes the results to a new folder, whole
or not at all.

The rules:

``normalise_text``
    Trim invoice ids and product codes and upper-case them; trim
    descriptions and collapse runs of spaces.
``master_ids``
    With a crosswalk (:func:`crmwb.identity.crosswalk`), replace each customer
    id by its person's master id, so that every later rule sees one person once
    (a return recorded under a second id finds its purchase).
``exact_duplicates``
    Set aside lines identical in every column (the first copy stays); kept for a format
    whose identical lines are real purchases (``identical_lines_are_real``: CDNOW writes
    two orders of one day by one customer alike).
``non_product_lines``
    Set aside postage, bank charges, manual adjustments, discounts, fees and
    gift vouchers, recognised by a configurable code pattern
    (:func:`non_product_pattern`: the single-letter codes of Online Retail
    belong to its preset only).
``invalid_prices``
    Set aside lines with a negative unit price (bad-debt write-offs), and lines with a
    price of zero that are no purchase: without a customer, taking stock back (stock
    adjustments), or a free item beside the paid lines of an invoice (a gift, a sample).
    A known customer's free order, an invoice with no priced line (a promotion: 80 of
    CDNOW's lines), is a purchase and stays, unless ``free_purchases=False``. Missing
    prices (formats without prices) are kept.
``cancellations``
    A cancellation (a return) is a line with a negative quantity; a ``C``
    before the invoice number is only supporting evidence, and a ``C`` line
    with a positive quantity (``CASH7``) is a purchase, reported. Each
    cancellation takes back what it cancels from the same customer's earlier
    purchases of the product (bought on or before it), latest first, split
    across several purchases when one is not enough, in one pass over the
    customer's and product's purchases and returns in time order
    (:func:`match_cancellations`). Matched quantities are netted from the
    purchases; a purchase cancelled in full is set aside; what no purchase
    covers is reported as unmatched.
``anonymous_lines``
    Lines without a customer id: kept (they are real baskets) or set aside,
    as ``keep_anonymous`` says. Customer-level analysis ignores them either way.
``outliers``
    Flag, not remove, lines whose value is extreme: more than
    ``outlier_threshold`` robust standard deviations (median and MAD of the
    log line value) above the median.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from crmwb import engine, io
from crmwb.glossary import glossary

RULES = (
    "normalise_text",
    "master_ids",
    "exact_duplicates",
    "non_product_lines",
    "invalid_prices",
    "cancellations",
    "anonymous_lines",
    "outliers",
)

#: Codes of lines that are not products in any shop (upper case, whole code): postage
#: (POST, DOT), carriage (C2), bank charges, fees (AMAZONFEE, CRUK commission),
#: adjustments (ADJUST), tests and gift vouchers.
NON_PRODUCT_PATTERN = (
    r"^(POST|POSTAGE|DOT|C2|BANK CHARGES|PADS|CRUK|AMAZONFEE|ADJUST\d*|TEST\d*|GIFT_\d+_\d+)$"
)


def non_product_pattern(preset: str | None = None) -> str:
    """The non-product code pattern for a source: the general one, or a preset's own.

    Online Retail's single-letter codes (``M`` manual, ``D`` discount, ``S``
    samples, ``B`` bad debt) are its own: in another shop ``M`` may be a product.

    >>> import re
    >>> bool(re.search(non_product_pattern("online_retail"), "M")), bool(
    ...     re.search(non_product_pattern(), "M"))
    (True, False)
    """
    from crmwb import presets

    spec = presets.get_preset(preset) if preset else None
    return spec.non_product_pattern if spec is not None and spec.non_product_pattern \
        else NON_PRODUCT_PATTERN


def identical_lines_are_real(preset: str | None = None) -> bool:
    """Whether a source writes two real purchases as identical lines (a preset's own say:
    CDNOW has no invoice numbers, so two orders of one day by one customer look alike).

    >>> identical_lines_are_real("cdnow"), identical_lines_are_real("online_retail")
    (True, False)
    """
    from crmwb import presets

    return bool(preset) and presets.get_preset(preset).identical_lines_are_real


#: The side tables of a cleaning result: together with the clean lines they hold every line.
SIDE_TABLES = ("duplicates", "non_product", "invalid_prices", "cancellations",
               "cancelled_purchases", "anonymous")


@dataclass
class CleaningResult:
    """The outcome of :func:`clean_transactions`.

    Attributes
    ----------
    lines : ibis Table
        The clean lines, canonical columns plus ``outlier`` (bool).
    non_product : ibis Table
        Lines set aside as not products.
    cancellations : ibis Table
        Every cancellation line, with ``matched_quantity`` (taken back from
        earlier purchases) and ``unmatched_quantity`` (what no purchase covers).
    unmatched_cancellations : ibis Table
        The cancellations with an unmatched quantity (a view of ``cancellations``).
    log : pandas.DataFrame
        One row per rule: ``rule``, ``description``, ``lines_removed``,
        ``lines_changed``, ``lines_flagged``, ``revenue_affected``,
        ``lines_after`` (counted after the rule).
    duplicates, invalid_prices, cancelled_purchases, anonymous : ibis Table
        The other lines set aside: extra copies of duplicated lines, lines with
        a zero or negative price, purchases cancelled in full (as bought), and
        lines without a customer id when they are removed.
    matches : pandas.DataFrame
        ``c_line``, ``b_line``, ``quantity``: how much each cancellation took back
        from which purchase (lines by their position in the input).
    lines_in : int
        The lines the cleaning started from.
    """

    lines: ir.Table
    non_product: ir.Table
    cancellations: ir.Table
    unmatched_cancellations: ir.Table
    log: pd.DataFrame = field(default_factory=pd.DataFrame)
    duplicates: ir.Table | None = None
    invalid_prices: ir.Table | None = None
    cancelled_purchases: ir.Table | None = None
    anonymous: ir.Table | None = None
    matches: pd.DataFrame | None = None
    lines_in: int = 0

    def accounts(self) -> dict[str, int]:
        """Lines in each output table, and ``lines_in``: every line is in exactly one.

        >>> # lines_in == clean + sum of the side tables (checked by clean_transactions)
        """
        counts = {"lines": _count(self.lines)}
        for name in SIDE_TABLES:
            table = getattr(self, name)
            counts[name] = _count(table) if table is not None else 0
        counts["lines_in"] = self.lines_in
        return counts


def _count(t: ir.Table) -> int:
    return int(t.count().execute())


def _value(t: ir.Table) -> ir.NumericValue:
    return (t.quantity * t.unit_price.fill_null(0)).abs()


def _stats(t: ir.Table) -> tuple[int, float]:
    row = t.aggregate(n=t.count(), v=_value(t).sum()).to_pandas().iloc[0]
    return int(row["n"]), float(row["v"] or 0.0)


def match_cancellations(purchases: pd.DataFrame, returns: pd.DataFrame) -> pd.DataFrame:
    """Match returns to the purchases they take back: latest first, split where needed.

    For each customer and product, purchases and returns are visited once in
    time order (a purchase before a return of the same moment); a return takes
    its quantity from the latest purchases still holding some, moving to
    earlier ones when one is not enough. Nothing is taken beyond what was
    bought; what no earlier purchase covers stays unmatched.

    Parameters
    ----------
    purchases : pandas.DataFrame
        ``line``, ``customer``, ``product``, ``date``, ``quantity`` (> 0).
    returns : pandas.DataFrame
        The same columns; ``quantity`` is the quantity returned (> 0).

    Returns
    -------
    pandas.DataFrame
        ``c_line``, ``b_line``, ``quantity``: one row per (return, purchase) pair.

    Examples
    --------
    Bought 3 and 3, returned 5: the later purchase gives 3, the earlier 2.

    >>> b = pd.DataFrame({"line": [0, 1], "customer": 1, "product": "A",
    ...                   "date": pd.to_datetime(["2024-01-01", "2024-01-05"]), "quantity": 3})
    >>> r = pd.DataFrame({"line": [2], "customer": 1, "product": "A",
    ...                   "date": pd.to_datetime(["2024-01-09"]), "quantity": 5})
    >>> match_cancellations(b, r)
       c_line  b_line  quantity
    0       2       1       3.0
    1       2       0       2.0
    """
    cols = ["line", "customer", "product", "date", "quantity"]
    events = pd.concat([purchases[cols].assign(kind=0), returns[cols].assign(kind=1)],
                       ignore_index=True)
    events = events.dropna(subset=["customer", "product", "date"])
    events = events.sort_values(["customer", "product", "date", "kind", "line"], kind="stable")
    group = (events["customer"].astype(str) + "\x00" + events["product"].astype(str)).to_numpy()
    line = events["line"].to_numpy()
    qty = events["quantity"].to_numpy(dtype=float)
    kind = events["kind"].to_numpy()
    out_c, out_b, out_q = [], [], []
    stack: list[list] = []
    current = None
    for i in range(len(events)):
        if group[i] != current:
            current, stack = group[i], []
        if kind[i] == 0:
            stack.append([line[i], qty[i]])
            continue
        need = qty[i]
        while need > 0 and stack:
            top = stack[-1]
            take = min(need, top[1])
            out_c.append(line[i])
            out_b.append(top[0])
            out_q.append(take)
            need -= take
            top[1] -= take
            if top[1] <= 0:
                stack.pop()
    return pd.DataFrame({"c_line": np.asarray(out_c, dtype=np.int64),
                         "b_line": np.asarray(out_b, dtype=np.int64),
                         "quantity": np.asarray(out_q, dtype=float)})


def clean_transactions(
    lines: ir.Table,
    keep_anonymous: bool = True,
    non_product_pattern: str = NON_PRODUCT_PATTERN,
    outlier_threshold: float = 5.0,
    con: ibis.BaseBackend | None = None,
    crosswalk: pd.DataFrame | None = None,
    line_ids: bool = False,
    free_purchases: bool = True,
    identical_lines_are_real: bool = False,
) -> CleaningResult:
    """Apply the cleaning rules in order and log what each did.

    Parameters
    ----------
    lines : ibis Table
        Canonical transaction lines (:func:`crmwb.io.read_transactions`).
    keep_anonymous : bool
        Keep lines without a customer id (for basket analysis).
    non_product_pattern : str
        Regular expression matched against upper-cased product codes
        (:func:`non_product_pattern` gives a preset's).
    outlier_threshold : float
        Robust z-score (of the log line value) above which a line is flagged.
    con : ibis backend, optional
        Where intermediate results are kept; the lines' own backend by default.
    crosswalk : pandas.DataFrame, optional
        Customer id -> master id (:func:`crmwb.identity.crosswalk`); lines are
        re-keyed before duplicates and cancellations are looked for.
    line_ids : bool
        Keep each line's ``line_id`` (its position in the input, from 0) in
        every output table, the ids ``matches`` refers to.
    free_purchases : bool
        Keep a known customer's free order (an invoice whose lines all have a price of
        zero) as a purchase (the default); False sets it aside with the invalid prices.
    identical_lines_are_real : bool
        Keep lines identical in every column: a format without invoice numbers writes two
        orders of a day alike (:attr:`crmwb.presets.Preset.identical_lines_are_real`).

    Returns
    -------
    CleaningResult
        Its clean lines and side tables hold every input line exactly once.
    """
    from crmwb import identity

    con = con if con is not None else lines._find_backend()
    log: list[dict] = []
    english = glossary("en")
    sentences: list[tuple[str, dict]] = []
    keep = engine.materialize

    def record(rule, sentence, values, after, removed=0, removed_value=0.0, changed=0,
               flagged=0):
        values = {k: v.item() if hasattr(v, "item") else v for k, v in values.items()}
        sentences.append((sentence, values))  # the description, to be said in any language
        log.append({"rule": rule, "description": english.say(sentence, **values),
                    "lines_removed": removed, "lines_changed": changed,
                    "lines_flagged": flagged, "revenue_affected": round(removed_value, 2),
                    "lines_after": after})

    # 1. whitespace and case
    t = lines
    text = {
        "invoice_id": t.invoice_id.strip().upper(),
        "product_id": t.product_id.strip().upper(),
    }
    if "description" in t.columns:
        d = t.description.strip()
        # the regular expression only where there is something to collapse (much faster)
        text["description"] = ibis.ifelse(d.re_search(r"\s\s|[\t\n\r]"),
                                          d.re_replace(r"\s+", " "), d)
    differs = ibis.or_(*[(t[c] != v).fill_null(False) for c, v in text.items()])
    columns = t.columns
    tidied = keep(t.mutate(**text, _changed=differs))  # the text is tidied once
    # each line's id: its position in the input, fixed before anything moves a line
    t = tidied.mutate(_line=engine.line_number(tidied))
    n0, v0 = _stats(t)
    changed = int(t._changed.sum().execute() or 0)
    record("normalise_text", "log_normalise_text", {}, n0, changed=changed)

    # 2. one person, one id
    rekeyed = 0
    if crosswalk is not None and len(crosswalk):
        before = t
        t = keep(identity.rekey_transactions(t, crosswalk))
        rekeyed = identity.rekeyed_lines(before, crosswalk)
        engine.release(tidied)
        tidied = t
    record("master_ids", "log_master_ids", {"lines": rekeyed}, _count(t), changed=rekeyed)

    # 3. exact duplicates: the first copy of each line stays, in the input's order
    # (a hash aggregate over every column; the extra copies of the few duplicated lines
    # are found by joining those groups back, missing values compared as equal)
    t = t.drop("_changed")
    # the next two rules' tests are computed once, as flags of the stored distinct lines
    if identical_lines_are_real:  # every line its own group: nothing is a duplicate
        agg = t.mutate(_first=t._line, _copies=ibis.literal(1))
    else:
        agg = t.group_by(columns).agg(_first=t._line.min(), _copies=t.count())
    # a free order (no line of its invoice priced: CDNOW's $0 CDs) is a purchase; a free
    # item on a paid invoice is a gift beside the purchase, not one
    priced = agg.filter(agg.unit_price > 0).select(_paid=agg.invoice_id).distinct()
    free = ((agg.unit_price == 0) & agg.customer_id.notnull() & (agg.quantity > 0)
            & ~agg.invoice_id.isin(priced._paid))
    bad = (agg.unit_price < 0) | ((agg.unit_price == 0) & ~free) if free_purchases else \
        agg.unit_price <= 0
    groups = keep(agg.mutate(
        _np=agg.product_id.re_search(non_product_pattern).fill_null(False),
        _bad=bad.fill_null(False)))
    repeated = groups.filter(groups._copies > 1)
    # first the lines of invoices that have a repeated line (few), then the full comparison
    invoices = repeated.select(_inv=repeated.invoice_id).distinct()
    candidates = t.semi_join(invoices, t.invoice_id == invoices._inv)
    pairs = candidates.inner_join(repeated, [candidates[c].identical_to(repeated[c])
                                             for c in columns])
    duplicates = keep(pairs.filter(pairs._line != pairs._first).select(*columns, "_line"))
    t = groups.select(*columns, "_np", "_bad", _line=groups._first)
    engine.release(tidied)
    n_dup, v_dup = _stats(duplicates)
    n1 = _count(t)
    record("exact_duplicates", "log_exact_duplicates", {}, n1, removed=n_dup,
           removed_value=v_dup)

    # 4. non-product lines
    non_product = keep(t.filter(t._np).drop("_np", "_bad"))
    t = t.filter(~t._np)
    n_np, v_np = _stats(non_product)
    record("non_product_lines", "log_non_product_lines", {}, _count(t), removed=n_np,
           removed_value=v_np)

    # 5. zero or negative prices
    invalid = keep(t.filter(t._bad).drop("_np", "_bad"))
    t = t.filter(~t._bad).drop("_np", "_bad")
    n_bad, v_bad = _stats(invalid)
    record("invalid_prices", "log_invalid_prices", {}, _count(t), removed=n_bad,
           removed_value=v_bad)

    # 6. cancellations: negative quantities, matched to earlier purchases
    is_cancel = (t.quantity < 0).fill_null(False)
    cancels, buys = t.filter(is_cancel), t.filter(~is_cancel)
    c_positive = int(buys.filter(buys.invoice_id.startswith("C").fill_null(False)).count()
                     .execute())
    wanted = cancels.select(c_customer=cancels.customer_id, c_product=cancels.product_id) \
        .distinct()
    relevant = buys.semi_join(wanted, [buys.customer_id == wanted.c_customer,
                                       buys.product_id == wanted.c_product])
    pick = ["_line", "customer_id", "product_id", "date", "quantity"]
    names = dict(zip(pick, ["line", "customer", "product", "date", "quantity"]))
    purchases = engine.to_pandas(relevant.select(*pick)).rename(columns=names)
    returns = engine.to_pandas(cancels.select(*pick)).rename(columns=names)
    returns["quantity"] = -returns["quantity"]
    matches = match_cancellations(purchases, returns)
    taken = matches.groupby("c_line", as_index=False)["quantity"].sum()
    netted = matches.groupby("b_line", as_index=False)["quantity"].sum()
    taken_t = engine.open_table(taken.rename(columns={"quantity": "_taken"}), con=con)
    cancellations = keep(
        cancels.left_join(taken_t, cancels._line == taken_t.c_line)
        .mutate(matched_quantity=lambda s: s._taken.fill_null(0).cast("float64"))
        .mutate(unmatched_quantity=lambda s: -s.quantity - s.matched_quantity)
        .drop("c_line", "_taken"))
    unmatched = cancellations.filter(cancellations.unmatched_quantity > 0)
    netted_t = engine.open_table(netted.rename(columns={"quantity": "_cancelled"}), con=con)
    joined = buys.left_join(netted_t, buys._line == netted_t.b_line).drop("b_line")
    new_qty = joined.quantity - joined._cancelled.fill_null(0)
    joined = joined.mutate(_new=new_qty)
    gone = keep(joined.filter(joined._cancelled.notnull() & (joined._new <= 0))
                .drop("_cancelled", "_new"))
    kept_lines = joined.filter(joined._cancelled.isnull() | (joined._new > 0))
    n_partial = int(kept_lines.filter(kept_lines._cancelled.notnull()).count().execute())
    quantity_type = t.schema()["quantity"]
    t = keep(kept_lines.mutate(quantity=kept_lines._new.cast(quantity_type))
             .drop("_cancelled", "_new"))
    engine.release(groups)
    n_cancel, v_cancel = _stats(cancellations)
    n_gone, v_gone = _stats(gone)
    n_unmatched = _count(unmatched)
    record("cancellations", "log_cancellations",
           {"cancelled": n_cancel, "unmatched": n_unmatched, "gone": n_gone,
            "partial": n_partial, "c_positive": c_positive},
           _count(t), removed=n_cancel + n_gone, removed_value=v_cancel + v_gone,
           changed=n_partial, flagged=c_positive)

    # 7. lines without a customer id
    no_id = t.customer_id.isnull()
    n_anon, v_anon = _stats(t.filter(no_id))
    anonymous = None
    if keep_anonymous:
        record("anonymous_lines", "log_anonymous_kept", {"lines": n_anon}, _count(t),
               flagged=n_anon)
    else:
        anonymous = keep(t.filter(no_id))
        t = keep(t.filter(~no_id))
        record("anonymous_lines", "log_anonymous_removed", {}, _count(t), removed=n_anon,
               removed_value=v_anon)

    # 8. extreme lines, flagged
    value = (t.quantity * t.unit_price).cast("float64")
    valued = t.filter(value > 0)
    logv_valued = (valued.quantity * valued.unit_price).cast("float64").log()
    centre = valued.aggregate(m=logv_valued.median()).to_pandas()["m"].iloc[0]
    scale = None
    if pd.notna(centre):
        dev = valued.aggregate(d=(logv_valued - centre).abs().median()).to_pandas()["d"].iloc[0]
        scale = 1.4826 * float(dev) if dev and dev > 0 else None
    # a free line (a price of zero) has no log: it is no extreme
    outlier = ibis.ifelse(value > 0, (value.log() - float(centre)) / scale > outlier_threshold,
                          False).fill_null(False) if scale else ibis.literal(False)
    t = t.mutate(outlier=outlier)
    n_out, v_out = _stats(t.filter(t.outlier))
    record("outliers", "log_outliers", {"threshold": outlier_threshold}, _count(t),
           flagged=n_out, removed_value=v_out)

    def out(x: ir.Table) -> ir.Table:
        if line_ids:
            return x.rename(line_id="_line").relocate("line_id")
        return x.drop("_line")

    result = CleaningResult(
        lines=out(t.order_by("_line")),
        non_product=out(non_product),
        cancellations=out(cancellations),
        unmatched_cancellations=out(unmatched),
        log=_with_sentences(pd.DataFrame(log), sentences),
        duplicates=out(duplicates),
        invalid_prices=out(invalid),
        cancelled_purchases=out(gone),
        anonymous=out(anonymous) if anonymous is not None else None,
        matches=matches,
        lines_in=n0,
    )
    accounts = result.accounts()
    if sum(v for k, v in accounts.items() if k != "lines_in") != n0:
        raise RuntimeError(f"cleaning lost or doubled lines: {accounts}")  # pragma: no cover
    return result


def _with_sentences(log: pd.DataFrame, sentences: list[tuple[str, dict]]) -> pd.DataFrame:
    log.attrs["sentences"] = sentences  # (glossary sentence, values) of each row's description
    return log


def describe_log(log: pd.DataFrame, lang: str = "en", persian_digits: bool = False
                 ) -> pd.DataFrame:
    """The cleaning log with its descriptions in ``lang`` (from :mod:`crmwb.glossary`).

    The log of :func:`clean_transactions` keeps what each description says; a log
    without it (read back from a file) is returned as it is.

    >>> log = pd.DataFrame({"rule": ["anonymous_lines"], "description": ["..."]})
    >>> log = _with_sentences(log, [("log_anonymous_kept", {"lines": 12})])
    >>> print(describe_log(log, "fa", persian_digits=True)["description"].iloc[0])
    ۱۲ سطر بدون شناسهٔ مشتری نگه داشته شد (فقط برای سبدها)
    """
    sentences = log.attrs.get("sentences")
    if not sentences or len(sentences) != len(log):
        return log
    t = glossary(lang, persian_digits)
    out = log.copy()
    out["description"] = [t.say(key, **values) for key, values in sentences]
    out.attrs["kinds"] = {**out.attrs.get("kinds", {}), "rule": "text"}  # named in words
    return out


def write_cleaned(result: CleaningResult, out_dir: str | Path, overwrite: bool = False,
                  inputs=()) -> Path:
    """Write the clean lines, the side tables and the log to a new folder.

    Files: ``transactions.parquet`` (the clean lines, readable by
    :func:`crmwb.io.read_dataset`), ``non_product_lines.parquet``,
    ``cancellations.parquet``, ``unmatched_cancellations.parquet``,
    ``duplicate_lines.parquet``, ``invalid_price_lines.parquet``,
    ``cancelled_purchases.parquet`` (and ``anonymous_lines.parquet`` when they
    were removed) and ``cleaning_log.csv``. The folder is written whole or not at all
    (:func:`crmwb.io.write_folder`): an ``out_dir`` that equals, contains or
    lies inside one of ``inputs`` (the files and folders the data was read
    from) is refused, and with ``overwrite`` only a folder crmwb wrote before,
    holding nothing else, is replaced.
    """

    def fill(tmp: Path) -> None:
        result.lines.to_parquet(tmp / "transactions.parquet")
        result.non_product.to_parquet(tmp / "non_product_lines.parquet")
        result.cancellations.to_parquet(tmp / "cancellations.parquet")
        result.unmatched_cancellations.to_parquet(tmp / "unmatched_cancellations.parquet")
        for name, file in (("duplicates", "duplicate_lines"),
                           ("invalid_prices", "invalid_price_lines"),
                           ("cancelled_purchases", "cancelled_purchases"),
                           ("anonymous", "anonymous_lines")):
            table = getattr(result, name)
            if table is not None:
                table.to_parquet(tmp / f"{file}.parquet")
        io.write_csv(result.log, tmp / "cleaning_log.csv")

    return io.write_folder(Path(out_dir), fill, overwrite, inputs)


@dataclass
class CleanData:
    """Clean lines under master customer ids, with what cleaning set aside.

    The outcome of :func:`clean_dataset`: what every analysis notebook starts
    from.
    """

    #: clean lines, customer ids replaced by master ids
    lines: ir.Table
    #: cancellation lines (returns), under master ids
    cancellations: ir.Table
    #: the cleaning log
    log: pd.DataFrame
    #: customer id -> master id, or None without a customers table
    crosswalk: pd.DataFrame | None


def clean_dataset(
    data: io.Dataset,
    keep_anonymous: bool = True,
    country_code: str = "98",
    **clean_options,
) -> CleanData:
    """Clean a data set's transactions and merge customers recorded twice.

    The steps of notebook 01 in one call: :func:`clean_transactions`, then
    :func:`crmwb.identity.crosswalk` over the customers table (when there is
    one) and re-keying of the clean lines and the cancellations.

    Parameters
    ----------
    data : crmwb.io.Dataset
        From :func:`crmwb.io.read_dataset`.
    keep_anonymous : bool
        Keep lines without a customer id.
    country_code : str
        Calling code stripped from phone numbers when matching customers.
    **clean_options
        Passed to :func:`clean_transactions` (``non_product_pattern``,
        ``outlier_threshold``).
    """
    from crmwb import identity

    cw = None
    if data.customers is not None and len(data.customers):
        cw = identity.crosswalk(data.customers, country_code=country_code)
    # re-keyed first, so that a return under a second id finds its purchase
    clean_options.setdefault("non_product_pattern", non_product_pattern(data.preset))
    clean_options.setdefault("identical_lines_are_real", identical_lines_are_real(data.preset))
    result = clean_transactions(data.transactions, keep_anonymous=keep_anonymous,
                                crosswalk=cw, **clean_options)
    lines, cancellations = result.lines, result.cancellations
    if engine.backend_name(lines) != "pyspark":
        # every later step queries the clean lines again: compute them once, not per query
        # (Spark caches its own stages; ibis cannot cache a plan that joins an in-memory table)
        lines, cancellations = engine.materialize(lines), engine.materialize(cancellations)
    return CleanData(lines=lines, cancellations=cancellations, log=result.log, crosswalk=cw)
