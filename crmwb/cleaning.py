"""Cleaning transaction lines: an ordered list of named rules with a log.

:func:`clean_transactions` applies the rules in :data:`RULES` order, each as
Ibis expressions over the lines (so they run in the engine, on files larger
than memory too), and logs what each did: lines removed or changed and the
revenue they carried. Nothing is dropped silently: removed lines are kept in
side tables (non-product lines, cancellations, unmatched cancellations) and
extreme lines are flagged, not removed. The raw input is never modified;
:func:`write_cleaned` writes the results to a new folder, whole or not at all.

The rules:

``normalise_text``
    Trim invoice ids and product codes and upper-case them; trim
    descriptions and collapse runs of spaces.
``exact_duplicates``
    Remove lines identical in every column.
``non_product_lines``
    Set aside postage, bank charges, manual adjustments, discounts, fees and
    gift vouchers, recognised by a configurable code pattern.
``invalid_prices``
    Remove lines with a zero or negative unit price (free samples, stock
    adjustments, bad-debt write-offs). Missing prices (formats without
    prices) are kept.
``cancellations``
    Separate cancellations and returns (invoice id starting with ``C``, or a
    negative quantity) and match each to the purchase it cancels: same
    customer and product, bought on or before the cancellation, in at least
    that quantity; an exact quantity and price match first, then the latest.
    A purchase is never cancelled beyond what was bought: when several
    cancellations want the same purchase, the later ones look further back.
    Matched quantities are netted from the purchase (a fully cancelled line
    goes); unmatched cancellations are reported.
``anonymous_lines``
    Lines without a customer id: kept (they are real baskets) or removed,
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
import pandas as pd

from crmwb import engine, io
from crmwb.glossary import glossary

RULES = (
    "normalise_text",
    "exact_duplicates",
    "non_product_lines",
    "invalid_prices",
    "cancellations",
    "anonymous_lines",
    "outliers",
)

#: Codes of lines that are not products (upper case, whole code): postage (POST, DOT),
#: carriage (C2), bank charges, manual entries (M), discounts (D), samples (S),
#: fees (AMAZONFEE, CRUK commission), bad-debt adjustments (B, ADJUST), tests and
#: gift vouchers.
NON_PRODUCT_PATTERN = (
    r"^(POST|DOT|C2|BANK CHARGES|M|D|S|B|PADS|CRUK|AMAZONFEE|ADJUST\d*|TEST\d*|GIFT_\d+_\d+)$"
)


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
        Every cancellation line, with ``matched_line`` (the purchase it
        cancels, by position in the de-duplicated lines) or NULL.
    unmatched_cancellations : ibis Table
        Cancellations with no purchase to match.
    log : pandas.DataFrame
        One row per rule: ``rule``, ``description``, ``lines_removed``,
        ``lines_changed``, ``lines_flagged``, ``revenue_affected``,
        ``lines_after``.
    """

    lines: ir.Table
    non_product: ir.Table
    cancellations: ir.Table
    unmatched_cancellations: ir.Table
    log: pd.DataFrame = field(default_factory=pd.DataFrame)


def _value(t: ir.Table) -> ir.NumericValue:
    return (t.quantity * t.unit_price.fill_null(0)).abs()


def _stats(t: ir.Table) -> tuple[int, float]:
    row = t.aggregate(n=t.count(), v=_value(t).sum()).to_pandas().iloc[0]
    return int(row["n"]), float(row["v"] or 0.0)


class _Scratch:
    """Intermediate results stored in the engine, dropped as soon as they are not needed."""

    def __init__(self, con: ibis.BaseBackend) -> None:
        self.con = con

    def keep(self, t: ir.Table, name: str) -> ir.Table:
        return engine.materialize(t)

    def release(self, *tables: ir.Table) -> None:
        for t in tables:
            engine.release(t)


def _match_cancellations(c: ir.Table, b: ir.Table, scratch: _Scratch,
                         max_rounds: int = 50) -> ir.Table:
    """Match each cancellation to one purchase, never taking back more than was bought.

    Each round, every pending cancellation proposes to its preferred purchase
    that still has enough quantity left (same customer and product, bought on or
    before; an exact quantity and price match first, then the latest). A purchase
    accepts proposals in the order the cancellations happened while its quantity
    lasts; the rest propose again next round. Returns ``c_line``, ``b_line``,
    ``c_qty``.
    """
    keep, release = scratch.keep, scratch.release
    # only purchases of a product the customer cancelled can be matched
    b = b.semi_join(c, [b.b_customer == c.c_customer, b.b_product == c.c_product])
    capacity = keep(b.select("b_line", "b_customer", "b_product", "b_date", "b_price",
                             left=b.b_qty), "capacity")
    pending = c
    matches = []
    for round_ in range(max_rounds):
        cand = pending.join(capacity, [pending.c_customer == capacity.b_customer,
                                       pending.c_product == capacity.b_product,
                                       capacity.b_date <= pending.c_date,
                                       capacity.left >= pending.c_qty])
        exact = ((cand.left == cand.c_qty) & (cand.b_price == cand.c_price)).cast("int8")
        # window results are named columns before they are filtered on (Spark needs it)
        cand = cand.mutate(_rank=ibis.row_number().over(
            group_by=cand.c_line, order_by=[exact.desc(), cand.b_date.desc(),
                                            cand.b_line.desc()]))
        chosen = cand.filter(cand._rank == 0)
        chosen = chosen.mutate(_taken=chosen.c_qty.sum().over(
            group_by=chosen.b_line, order_by=[chosen.c_date, chosen.c_line], rows=(None, 0)))
        accepted = keep(chosen.filter(chosen._taken <= chosen.left)
                        .select("c_line", "b_line", "c_qty"), f"match{round_}")
        if int(accepted.count().execute()) == 0:
            release(accepted)
            break
        matches.append(accepted)
        used = accepted.group_by(u_line=accepted.b_line).agg(used=accepted.c_qty.sum())
        joined = capacity.left_join(used, capacity.b_line == used.u_line)
        old_capacity, old_pending = capacity, pending
        capacity = keep(joined.mutate(left=joined.left - joined.used.fill_null(0))
                        .drop("u_line", "used").filter(lambda t: t.left > 0),
                        f"capacity{round_}")
        pending = keep(pending.anti_join(accepted, pending.c_line == accepted.c_line),
                       f"pending{round_}")
        release(old_capacity, *([old_pending] if round_ else []))
    release(capacity, *([pending] if matches else []))
    if not matches:
        return keep(c.select("c_line", b_line=ibis.null("int64"), c_qty=c.c_qty).limit(0),
                    "match")
    if len(matches) == 1:
        return matches[0]
    match = keep(ibis.union(*matches), "match")
    release(*matches)
    return match


def clean_transactions(
    lines: ir.Table,
    keep_anonymous: bool = True,
    non_product_pattern: str = NON_PRODUCT_PATTERN,
    outlier_threshold: float = 5.0,
    con: ibis.BaseBackend | None = None,
) -> CleaningResult:
    """Apply the cleaning rules in order and log what each did.

    Parameters
    ----------
    lines : ibis Table
        Canonical transaction lines (:func:`crmwb.io.read_transactions`).
    keep_anonymous : bool
        Keep lines without a customer id (for basket analysis).
    non_product_pattern : str
        Regular expression matched against upper-cased product codes.
    outlier_threshold : float
        Robust z-score (of the log line value) above which a line is flagged.
    con : ibis backend, optional
        Where intermediate results are kept; the lines' own backend by default.

    Returns
    -------
    CleaningResult
    """
    con = con if con is not None else lines._find_backend()
    log: list[dict] = []
    english = glossary("en")
    n0, v0 = _stats(lines)

    scratch = _Scratch(con)
    keep = scratch.keep

    sentences: list[tuple[str, dict]] = []

    def record(rule, sentence, values, removed=0, removed_value=0.0, changed=0, flagged=0,
               after=None):
        values = {k: v.item() if hasattr(v, "item") else v for k, v in values.items()}
        sentences.append((sentence, values))  # the description, to be said in any language
        log.append({"rule": rule, "description": english.say(sentence, **values),
                    "lines_removed": removed,
                    "lines_changed": changed, "lines_flagged": flagged,
                    "revenue_affected": round(removed_value, 2), "lines_after": after})

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
    t = keep(t.mutate(**text, _changed=differs), "normalised")  # the text is tidied once
    changed = int(t._changed.sum().execute() or 0)
    record("normalise_text", "log_normalise_text", {},
           changed=changed, after=n0)

    # 2. exact duplicates
    # each distinct line is numbered by its first position in the input (the
    # engine keeps the input's order when it stores a table), so matching is
    # reproducible and the clean lines keep the input's order; far cheaper than
    # sorting on every column
    normalised = t
    t = t.mutate(_rid=engine.line_number(t))
    t = numbered = keep(t.group_by(columns).agg(_line=t._rid.min()), "numbered")
    scratch.release(normalised)
    n1, v1 = _stats(t)
    record("exact_duplicates", "log_exact_duplicates", {},
           removed=n0 - n1, removed_value=v0 - v1, after=n1)

    # 3. non-product lines
    is_np = t.product_id.re_search(non_product_pattern)
    non_product = keep(t.filter(is_np).drop("_line"), "nonproduct")
    t = t.filter(~is_np)
    n_np, v_np = _stats(non_product)
    record("non_product_lines", "log_non_product_lines", {},
           removed=n_np, removed_value=v_np, after=n1 - n_np)

    # 4. zero or negative prices
    bad_price = (t.unit_price <= 0).fill_null(False)
    n_bad, v_bad = _stats(t.filter(bad_price))
    t = t.filter(~bad_price)
    n2 = n1 - n_np - n_bad
    record("invalid_prices", "log_invalid_prices", {},
           removed=n_bad, removed_value=v_bad, after=n2)

    # 5. cancellations matched to their purchases
    is_cancel = t.invoice_id.startswith("C") | (t.quantity < 0)
    cancels = t.filter(is_cancel)
    buys = t.filter(~is_cancel)
    c = cancels.select(c_line=cancels._line, c_customer=cancels.customer_id,
                       c_product=cancels.product_id, c_date=cancels.date,
                       c_qty=-cancels.quantity, c_price=cancels.unit_price)
    b = buys.select(b_line=buys._line, b_customer=buys.customer_id, b_product=buys.product_id,
                    b_date=buys.date, b_qty=buys.quantity, b_price=buys.unit_price)
    match = _match_cancellations(c, b, scratch)
    cancellations = keep(
        cancels.left_join(match.select("c_line", matched_line="b_line"),
                          cancels._line == match.c_line).drop("c_line"), "cancels")
    unmatched = keep(cancellations.filter(cancellations.matched_line.isnull())
                     .drop("matched_line", "_line"), "unmatched")
    netted = match.group_by("b_line").agg(cancelled=match.c_qty.sum())
    buys = buys.left_join(netted, buys._line == netted.b_line)
    new_qty = buys.quantity - buys.cancelled.fill_null(0)
    n_cancel, v_cancel = _stats(cancels)
    n_unmatched = int(unmatched.count().execute())
    gone = buys.filter(buys.cancelled.notnull() & (new_qty == 0))
    n_gone, v_gone = _stats(gone)
    n_partial = int(buys.filter(buys.cancelled.notnull() & (new_qty > 0)).count().execute())
    t = keep(buys.filter(new_qty > 0).mutate(quantity=new_qty).drop("b_line", "cancelled"),
             "netted")
    scratch.release(numbered, match)
    n3 = n2 - n_cancel - n_gone
    record("cancellations", "log_cancellations",
           {"cancelled": n_cancel, "unmatched": n_unmatched, "gone": n_gone,
            "partial": n_partial},
           removed=n_cancel + n_gone, removed_value=v_cancel + v_gone, changed=n_partial,
           after=n3)

    # 6. lines without a customer id
    anonymous = t.customer_id.isnull()
    n_anon, v_anon = _stats(t.filter(anonymous))
    if keep_anonymous:
        record("anonymous_lines", "log_anonymous_kept", {"lines": n_anon},
               flagged=n_anon, removed_value=0.0, after=n3)
    else:
        t = keep(t.filter(~anonymous), "identified")
        n3 -= n_anon
        record("anonymous_lines", "log_anonymous_removed", {}, removed=n_anon,
               removed_value=v_anon, after=n3)

    # 7. extreme lines, flagged
    value = (t.quantity * t.unit_price).cast("float64")
    logv = value.log()
    valued = t.filter(value > 0)
    centre = valued.aggregate(m=(valued.quantity * valued.unit_price).cast("float64").log()
                              .median()).to_pandas()["m"].iloc[0]
    if pd.notna(centre):
        dev = valued.aggregate(d=((valued.quantity * valued.unit_price).cast("float64").log()
                                  - centre).abs().median()).to_pandas()["d"].iloc[0]
        scale = 1.4826 * float(dev) if dev and dev > 0 else None
    else:
        scale = None
    if scale:
        outlier = ((logv - float(centre)) / scale > outlier_threshold).fill_null(False)
    else:
        outlier = ibis.literal(False)
    t = t.mutate(outlier=outlier)
    n_out, v_out = _stats(t.filter(t.outlier))
    record("outliers", "log_outliers", {"threshold": outlier_threshold},
           flagged=n_out, removed_value=v_out, after=n3)

    clean = t.order_by("_line").drop("_line")
    return CleaningResult(
        lines=clean,
        non_product=non_product,
        cancellations=cancellations,
        unmatched_cancellations=unmatched,
        log=_with_sentences(pd.DataFrame(log), sentences),
    )


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
    return out


def write_cleaned(result: CleaningResult, out_dir: str | Path, overwrite: bool = False,
                  inputs=()) -> Path:
    """Write the clean lines, the side tables and the log to a new folder.

    Files: ``transactions.parquet`` (the clean lines, readable by
    :func:`crmwb.io.read_dataset`), ``non_product_lines.parquet``,
    ``cancellations.parquet``, ``unmatched_cancellations.parquet`` and
    ``cleaning_log.csv``. The folder is written whole or not at all
    (:func:`crmwb.io.write_folder`): an ``out_dir`` that equals, contains or
    lies inside one of ``inputs`` (the files and folders the data was read
    from) is refused, and with ``overwrite`` only a folder crmwb wrote before,
    holding nothing else, is replaced.
    """

    def fill(tmp: Path) -> None:
        result.lines.to_parquet(tmp / "transactions.parquet")
        result.non_product.to_parquet(tmp / "non_product_lines.parquet")
        result.cancellations.drop("_line").to_parquet(tmp / "cancellations.parquet")
        result.unmatched_cancellations.to_parquet(tmp / "unmatched_cancellations.parquet")
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

    result = clean_transactions(data.transactions, keep_anonymous=keep_anonymous,
                                **clean_options)
    lines, cancellations, cw = result.lines, result.cancellations, None
    if data.customers is not None and len(data.customers):
        cw = identity.crosswalk(data.customers, country_code=country_code)
        lines = identity.rekey_transactions(lines, cw)
        cancellations = identity.rekey_transactions(cancellations, cw)
    if engine.backend_name(lines) != "pyspark":
        # every later step queries the clean lines again: compute them once, not per query
        # (Spark caches its own stages; ibis cannot cache a plan that joins an in-memory table)
        lines, cancellations = engine.materialize(lines), engine.materialize(cancellations)
    return CleanData(lines=lines, cancellations=cancellations, log=result.log, crosswalk=cw)
