"""Market basket analysis for cross-selling and up-selling (CONCEPTS.md section 8).

Which items go together, and what to offer next. Baskets are invoices of clean
transactions (:func:`basket_table`; cancellations are already netted by
cleaning) at the product, description or category level, or lines of a
basket-per-line file (:func:`read_baskets`). They are one-hot encoded as a
**sparse** table (:func:`encode`); items too rare to be frequent are dropped
before mining, so only the frequent items ever form a dense block.

Frequent itemsets come from a vectorised Eclat on the sparse matrix (the
default: pairs counted by one sparse product, longer itemsets level by level
on bit strings) or from mlxtend's ``hmine``, ``fpgrowth`` and ``apriori``;
rules, with mlxtend's support, confidence, lift, leverage, conviction and
Zhang's metric, are split from the itemsets a whole level at a time
(:func:`mine_rules`), filtered and pruned of redundant rules.
:func:`recommend` gives cross-sell offers for a basket, :func:`hit_rate`
evaluates them on held-out last baskets against the most popular items,
:func:`upsell` suggests dearer items of the same category, and
:func:`support_by_period` shows how baskets change by weekday and month.
"""

from __future__ import annotations

import contextlib
import gc
import gzip
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd
from mlxtend.frequent_patterns import apriori, fpgrowth, hmine
from mlxtend.preprocessing import TransactionEncoder
from scipy import sparse

from crmwb import calendars, engine
from crmwb.summary import _as_table

MINERS = {"hmine": hmine, "fpgrowth": fpgrowth, "apriori": apriori}


@contextlib.contextmanager
def _many_objects():
    """Build millions of itemsets or rules without the cyclic garbage collector.

    They are frozensets or tuples of item names, which form no reference cycles; but
    every few hundred new containers the collector rescans the young ones, and ever more
    often the old ones too. At 6.2 million itemsets (Online Retail at support 0.002)
    that was three quarters of the time. Reference counting still frees everything.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
ALGORITHMS = ["eclat", *MINERS]
RULE_METRICS = ["antecedent support", "consequent support", "support", "confidence", "lift",
                "leverage", "conviction", "zhangs_metric"]


# --- baskets -------------------------------------------------------------------------------

def read_baskets(path: str | Path, sep: str = ",", encoding: str = "utf-8") -> list[list[str]]:
    """Read a basket-per-line file (e.g. Groceries): one basket per line, items separated.

    Empty items are dropped and repeated items kept once.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"basket file not found: {path}")
    opener = gzip.open if path.suffix == ".gz" else open
    baskets = []
    with opener(path, "rt", encoding=encoding) as f:
        for line in f:
            items = [i.strip() for i in line.rstrip("\r\n").split(sep)]
            baskets.append(list(dict.fromkeys(i for i in items if i)))
    if not any(baskets):
        raise ValueError(f"{path}: no items found")
    return baskets


def item_lines(transactions, level: str = "product_id",
               catalogue: pd.DataFrame | None = None) -> ir.Table:
    """The purchase lines as items, in the engine: ``invoice_id``, ``customer_id``, ``date``
    and ``item`` (the ``level`` column as text).

    ``level`` is the column naming the items: ``product_id``, ``description``,
    ``category`` or any other column of the lines, or of the ``catalogue``
    (joined on ``product_id``, e.g. ``product_type``). Lines with a
    non-positive quantity (returns) or no item are left out. The result stays
    on the lines' engine (DuckDB or Spark); every function here that takes
    baskets takes it, with ``level="item"``.
    """
    try:
        t = _with_column(_as_table(transactions), level, catalogue)
    except ValueError:
        raise ValueError(f"transactions have no column {level!r} to name items; columns: "
                         f"{list(_as_table(transactions).columns)}") from None
    t = t.filter((t.quantity > 0) & t[level].notnull())
    keep = [c for c in ("invoice_id", "customer_id", "date") if c in t.columns]
    return t.select(*keep, item=t[level].cast("string"), quantity=t.quantity)


def sample_baskets(lines: ir.Table, max_baskets: int | None = 500_000
                   ) -> tuple[ir.Table, int]:
    """At most about ``max_baskets`` of the baskets of item lines (:func:`item_lines`), in the
    engine, and how many baskets there are in all.

    Every basket when there are no more (or ``max_baskets`` is 0 or None); else the
    invoices whose id hashes into a fixed share, each whole, the same ones every run.
    Supports, confidences and lifts from half a million baskets are within a few hundredths
    of a percentage point of the full count, and every later step reads a sixteenth of the
    lines of a million customers. On Spark the lines are returned whole: MLlib mines them
    where they are.
    """
    if max_baskets is not None and max_baskets < 0:
        raise ValueError(f"max_baskets must be positive or 0 (all), got {max_baskets}")
    n = int(lines.invoice_id.nunique().execute())
    if not max_baskets or n <= max_baskets or engine.backend_name(lines) == "pyspark":
        return lines, n
    share = int(1_000_000 * max_baskets / n)
    return lines.filter((lines.invoice_id.hash() % 1_000_000).abs() < share), n


def basket_table(transactions, level: str = "product_id",
                 catalogue: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per invoice: ``invoice_id``, ``customer_id``, ``date`` and its ``items``.

    ``level`` is the column naming the items (see :func:`item_lines`). Lines
    with a non-positive quantity (returns) are left out.
    """
    t = item_lines(transactions, level, catalogue).rename(_item="item")
    # grouped in the engine: one row per invoice comes back, never the lines
    firsts = {c: t[c].min() for c in ("customer_id", "date") if c in t.columns}
    per_invoice = t.group_by("invoice_id").agg(**firsts, items=t._item.collect(distinct=True))
    out = engine.to_pandas(per_invoice).sort_values("invoice_id", kind="stable")
    out["items"] = out["items"].map(lambda items: sorted(items))
    return out.reset_index(drop=True)


def _as_baskets(baskets) -> list[list[str]]:
    if isinstance(baskets, pd.DataFrame) and "items" in baskets.columns:
        return baskets["items"].tolist()
    if isinstance(baskets, pd.Series):
        return baskets.tolist()
    if isinstance(baskets, (pd.DataFrame,)) or hasattr(baskets, "schema"):
        return basket_table(baskets)["items"].tolist()
    return [list(b) for b in baskets]


def encode(baskets) -> pd.DataFrame:
    """Baskets as a sparse boolean one-hot table (rows: baskets, columns: items)."""
    baskets = _as_baskets(baskets)
    te = TransactionEncoder().fit(baskets)
    matrix = te.transform(baskets, sparse=True)
    return pd.DataFrame.sparse.from_spmatrix(matrix, columns=te.columns_).astype(
        pd.SparseDtype(bool, False))


def item_frequencies(baskets, level: str = "product_id") -> pd.DataFrame:
    """Baskets containing each item and its support, most frequent first (ties by item).

    ``baskets`` are lists, a basket table, or transaction lines as an Ibis table:
    then invoices are counted per item (at ``level``) in the engine, DuckDB or
    Spark, and only one row per item comes back.
    """
    if isinstance(baskets, ir.Table):
        t = baskets.filter((baskets.quantity > 0) & baskets[level].notnull())
        # distinct pairs, then counts: plain aggregates spill, distinct ones must fit in memory
        pairs = t.select("invoice_id", _item=t[level].cast("string")).distinct()
        counts = engine.to_pandas(pairs.group_by("_item").agg(baskets=pairs.count()))
        n = int(pairs.select("invoice_id").distinct().count().execute())
        counts = pd.Series(counts["baskets"].to_numpy(dtype=np.int64),
                           index=counts["_item"].astype(str).to_numpy())
    else:
        listed = _as_baskets(baskets)
        counts = pd.Series(Counter(i for b in listed for i in set(b)), dtype=np.int64)
        n = len(listed)
    out = pd.DataFrame({"baskets": counts})
    out = out.iloc[np.lexsort((out.index.to_numpy(dtype=str), -out["baskets"].to_numpy()))]
    out["support"] = out["baskets"] / max(n, 1)
    out.index.name = "item"
    return out


# --- itemsets and rules ---------------------------------------------------------------------

def _sparse_onehot(baskets) -> tuple[sparse.csc_matrix, pd.Index]:
    """Baskets (lists, or a one-hot table) as a 0/1 CSC matrix and its item names."""
    if isinstance(baskets, pd.DataFrame) and "items" not in baskets:  # a one-hot table
        if all(isinstance(d, pd.SparseDtype) for d in baskets.dtypes):
            matrix = baskets.sparse.to_coo()
        else:
            matrix = sparse.coo_matrix(baskets.to_numpy(dtype=bool))
        matrix = sparse.csc_matrix(matrix, dtype=np.float32)
        columns = baskets.columns
    else:
        lists = _as_baskets(baskets)
        sizes = np.fromiter((len(b) for b in lists), dtype=np.int64, count=len(lists))
        flat = [i for b in lists for i in b]
        try:
            codes, columns = pd.factorize(pd.Series(flat, dtype=object), sort=True)
        except TypeError:  # items of mixed, unorderable types
            codes, columns = pd.factorize(pd.Series(flat, dtype=object).map(str), sort=True)
        rows = np.repeat(np.arange(len(lists)), sizes)
        matrix = sparse.csc_matrix((np.ones(len(codes), dtype=np.float32), (rows, codes)),
                                   shape=(len(lists), len(columns)))
        columns = pd.Index(columns)
    matrix.sum_duplicates()
    matrix.data[:] = 1  # an item repeated in a basket counts once
    matrix.eliminate_zeros()
    return matrix, columns


def _engine_onehot(lines: ir.Table, min_support: float, level: str = "product_id"
                   ) -> tuple[sparse.csc_matrix, pd.Index, int]:
    """The 0/1 basket-by-item matrix of lines in the engine, frequent items only.

    Items are counted per invoice in the engine, and only the (basket number, item
    number) pairs of the items in at least ``min_support`` of the baskets come back,
    as two integer columns: no basket or item name per line ever reaches pandas, so
    tens of millions of lines fit in memory. Rows are every basket (the ``n`` of the
    supports), those holding no frequent item empty; columns the frequent items,
    sorted by name as :func:`_sparse_onehot` sorts them.
    """
    t = lines.filter((lines.quantity > 0) & lines[level].notnull())
    pairs = t.select("invoice_id", _item=t[level].cast("string")).distinct()
    counts = engine.to_pandas(pairs.group_by("_item").agg(_n=pairs.count()))
    n = int(pairs.select("invoice_id").distinct().count().execute())
    min_count = max(1, int(np.ceil(min_support * n - 1e-9)))
    columns = pd.Index(sorted(counts.loc[counts["_n"] >= min_count, "_item"].astype(str)))
    if len(columns) == 0 or n == 0:
        return sparse.csc_matrix((n, len(columns)), dtype=np.float32), columns, n
    con = lines._find_backend()
    codes = ibis.memtable(pd.DataFrame({"_code": np.arange(len(columns), dtype=np.int32),
                                        "_name": columns.to_numpy(dtype=object)}))
    frequent = pairs.inner_join(codes, pairs._item == codes._name)
    # a number per basket holding a frequent item, in invoice order as in basket_table
    # (Eclat's counts ignore the order; mlxtend's miners list their itemsets by it)
    numbered = frequent.select("invoice_id").distinct().mutate(
        _row=ibis.row_number().over(order_by="invoice_id").cast("int32"))
    cells = frequent.inner_join(numbered, "invoice_id").select("_row", "_code")
    got = con.to_pyarrow(cells)
    rows = got.column("_row").to_numpy()
    cols = got.column("_code").to_numpy()
    del got
    matrix = sparse.csc_matrix((np.ones(len(rows), dtype=np.float32), (rows, cols)),
                               shape=(n, len(columns)))
    return matrix, columns, n


def _eclat(matrix: sparse.csc_matrix, min_count: int, max_len: int | None
           ) -> list[tuple[np.ndarray, np.ndarray]]:
    """Every itemset in at least ``min_count`` rows of a 0/1 matrix, with its count.

    Returns one ``(codes, counts)`` pair per itemset size, shortest first: ``codes``
    an ``(m, size)`` array of column numbers, each row ascending, ``counts`` its
    ``m`` counts.

    Eclat, level by level within each first item and vectorised across a level:
    the rows (baskets) holding the first item are the only rows its itemsets can be
    in, so each itemset's rows are a short bit string over them; itemsets of one
    size sharing all but their last item are siblings, and every pair of siblings
    ANDs its bit strings into a candidate one item longer, kept if its bits count
    ``min_count``. One NumPy pass does a whole level, so the Python overhead is per
    level, not per itemset. Pairs are counted with a sparse product first, so only
    the rows of frequent items are ever dense.
    """
    max_len = max_len or matrix.shape[1]
    counts = np.asarray(matrix.sum(axis=0)).ravel()
    frequent = np.flatnonzero(counts >= min_count)
    found: dict[int, tuple[list, list]] = {1: ([frequent[:, None]], [counts[frequent]])}
    if max_len >= 2 and len(frequent) >= 2:
        block = matrix[:, frequent].tocsc()
        by_row = block.tocsr()
        pairs = (block.T @ block).toarray()
        for a in range(len(frequent) - 1):
            ext = a + 1 + np.flatnonzero(pairs[a, a + 1:] >= min_count)
            if len(ext) == 0:
                continue
            _collect(found, 2, np.column_stack([np.full(len(ext), a), ext]), pairs[a, ext])
            if len(ext) < 2 or max_len < 3:
                continue
            rows = block.indices[block.indptr[a]:block.indptr[a + 1]]
            bits = _bit_rows(by_row[rows][:, ext].toarray().T)
            _extend_levels(found, np.column_stack([np.full(len(ext), a), ext]), bits,
                           np.array([0, len(ext)]), min_count, max_len)
    out = []
    for size in sorted(found):
        codes, n = found[size]
        codes = np.concatenate(codes).astype(np.int64)
        out.append((frequent[codes] if size > 1 else codes, np.concatenate(n).astype(float)))
    return out


def _collect(found: dict, size: int, codes: np.ndarray, counts: np.ndarray) -> None:
    got = found.setdefault(size, ([], []))
    got[0].append(codes.astype(np.int32))
    got[1].append(np.asarray(counts))


def _bit_rows(dense: np.ndarray) -> np.ndarray:
    """Each row of a 0/1 array as a bit string in whole 64-bit words."""
    packed = np.packbits(dense.astype(bool), axis=1)
    pad = -packed.shape[1] % 8
    if pad:
        packed = np.pad(packed, ((0, 0), (0, pad)))
    return np.ascontiguousarray(packed).view(np.uint64)


#: how many candidate words one pass ANDs at most (64 MiB of bit strings)
_CANDIDATE_WORDS = 8 * 2**20


def _extend_levels(found: dict, codes: np.ndarray, bits: np.ndarray, groups: np.ndarray,
                   min_count: int, max_len: int) -> None:
    """Grow itemsets a level at a time: ``codes`` (m, size) with their bit strings,
    siblings in runs that ``groups`` bounds (start offsets, then m)."""
    while codes.shape[1] < max_len:
        sizes = np.diff(groups)
        # every pair i < j of siblings: i repeated once for each later sibling
        later = np.repeat(groups[1:], sizes) - np.arange(len(codes)) - 1
        first = np.repeat(np.arange(len(codes)), later)
        if len(first) == 0:
            return
        offset = np.repeat(np.cumsum(later) - later, later)
        second = first + 1 + (np.arange(len(first)) - offset)
        words = bits.shape[1]
        step = max(1, _CANDIDATE_WORDS // words)
        keep_first, keep_second, keep_bits, keep_count = [], [], [], []
        for start in range(0, len(first), step):
            f, s = first[start:start + step], second[start:start + step]
            joined = bits[f] & bits[s]
            n = np.bitwise_count(joined).sum(axis=1, dtype=np.int64)
            ok = n >= min_count
            keep_first.append(f[ok])
            keep_second.append(s[ok])
            keep_bits.append(joined[ok])
            keep_count.append(n[ok])
        f, s = np.concatenate(keep_first), np.concatenate(keep_second)
        if len(f) == 0:
            return
        codes = np.column_stack([codes[f], codes[s, -1]])
        _collect(found, codes.shape[1], codes, np.concatenate(keep_count))
        bits = np.concatenate(keep_bits)
        # the new itemsets sharing a first sibling are siblings; f is sorted
        groups = np.append(np.flatnonzero(np.diff(f, prepend=-1)), len(f))


def _spark_itemsets(lines: ir.Table, min_support: float, max_len: int | None,
                    level: str = "product_id") -> pd.DataFrame:
    """Frequent itemsets of the invoices of Spark lines with Spark MLlib's FPGrowth.

    Baskets are built and mined in Spark; only the itemsets come back, in
    :func:`frequent_itemsets`' shape.
    """
    from pyspark.ml.fpm import FPGrowth

    t = lines.filter((lines.quantity > 0) & lines[level].notnull())
    baskets = t.group_by("invoice_id").agg(items=t[level].cast("string").collect(distinct=True))
    con = lines._find_backend()
    frame = con.raw_sql(con.compile(baskets)).cache()
    n = frame.count()
    model = FPGrowth(itemsCol="items", minSupport=min_support).fit(frame)
    found = model.freqItemsets.toPandas()
    frame.unpersist()
    found = pd.DataFrame({"support": found["freq"].to_numpy(dtype=float) / max(n, 1),
                          "itemsets": found["items"].map(frozenset)})
    if max_len is not None:
        found = found[found["itemsets"].map(len) <= max_len]
    size = found["itemsets"].map(len).to_numpy()
    found = found.iloc[np.lexsort((-found["support"].to_numpy(), size))].reset_index(drop=True)
    found.attrs["n_baskets"] = n
    found.attrs["miner"] = "Spark MLlib FPGrowth"
    return found


def _check_mining(min_support: float, max_len: int | None, algorithm: str) -> None:
    if algorithm not in ALGORITHMS:
        raise ValueError(f"unknown algorithm {algorithm!r}; expected one of {ALGORITHMS}")
    if not 0 < min_support <= 1:
        raise ValueError(f"min_support must be in (0, 1], got {min_support}")
    if max_len is not None and max_len < 1:
        raise ValueError(f"max_len must be at least 1, got {max_len}")


def _basket_matrix(baskets, min_support: float, level: str
                   ) -> tuple[sparse.csc_matrix, pd.Index, int]:
    """Baskets as a 0/1 matrix, its item names and the number of baskets."""
    if isinstance(baskets, ir.Table):  # DuckDB: numbered pairs of frequent items come back
        return _engine_onehot(baskets, min_support, level)
    matrix, columns = _sparse_onehot(baskets)
    return matrix, columns, matrix.shape[0]


def frequent_itemsets(baskets, min_support: float, max_len: int | None = None,
                      algorithm: str = "eclat", level: str = "product_id",
                      as_tuples: bool = False) -> pd.DataFrame:
    """Itemsets in at least ``min_support`` of the baskets, with their support.

    ``algorithm`` is ``"eclat"`` (the default: vectorised depth-first counting
    on the sparse one-hot matrix, several times faster than mlxtend's miners on
    retail baskets) or one of mlxtend's ``"hmine"``, ``"fpgrowth"`` and
    ``"apriori"``; all return the same itemsets (tested). Items below
    ``min_support`` cannot be in a frequent itemset: they are dropped first, and
    only the frequent items ever form a dense block. The result has mlxtend's
    shape (``support``, ``itemsets`` as frozensets), shortest itemsets first.

    Transaction lines on Spark (an Ibis table of the ``pyspark`` backend) are
    grouped into invoices at ``level`` and mined by Spark MLlib's FPGrowth in
    Spark: the same itemsets (tested), without bringing lines to pandas.

    ``as_tuples=True`` gives each itemset as a tuple of its items sorted by name
    instead of a frozenset: the same itemsets in a fraction of the memory (a
    frozenset of five or more items takes 728 bytes, a tuple 80 to 120), for the
    millions of itemsets that a low support finds (6.2 million at 0.002 on Online
    Retail: 1.2 GB as tuples, 4.4 GB as frozensets, and half as long again).
    """
    _check_mining(min_support, max_len, algorithm)
    if isinstance(baskets, ir.Table) and engine.backend_name(baskets) == "pyspark":
        found = _spark_itemsets(baskets, min_support, max_len, level)
        if as_tuples:
            found["itemsets"] = [tuple(sorted(x)) for x in found["itemsets"]]
        return found
    matrix, columns, n = _basket_matrix(baskets, min_support, level)
    min_count = max(1, int(np.ceil(min_support * n - 1e-9)))
    if as_tuples and not columns.is_monotonic_increasing:  # a one-hot table's own order
        order = np.argsort(columns.map(str).to_numpy(), kind="stable")
        matrix, columns = matrix[:, order].tocsc(), columns[order]
    if algorithm == "eclat":
        names = columns.to_numpy(dtype=object)
        parts = []
        for codes, counts in _eclat(matrix, min_count, max_len):
            order = np.argsort(-counts, kind="stable")  # by size, then by support
            rows = zip(*names[codes[order]].T)  # tuples straight from the columns
            with _many_objects():
                sets = list(rows if as_tuples else map(frozenset, rows))
            parts.append(pd.DataFrame({"support": counts[order] / max(n, 1),
                                       "itemsets": sets}))
        found = pd.concat(parts, ignore_index=True)
    else:
        keep = np.flatnonzero(np.asarray(matrix.sum(axis=0)).ravel() >= min_count)
        dense = pd.DataFrame(matrix[:, keep].toarray().astype(bool), columns=columns[keep])
        if dense.shape[1] == 0:
            found = pd.DataFrame({"support": pd.Series(dtype=float),
                                  "itemsets": pd.Series(dtype=object)})
        else:
            found = MINERS[algorithm](dense, min_support=min_support, use_colnames=True,
                                      max_len=max_len)
        if as_tuples:
            found["itemsets"] = [tuple(sorted(x)) for x in found["itemsets"]]
    found = found.reset_index(drop=True)
    found.attrs["n_baskets"] = n
    found.attrs["miner"] = algorithm
    return found


def mine_rules(
    baskets,
    min_support: float,
    min_confidence: float,
    max_len: int | None = None,
    min_lift: float | None = None,
    antecedent: str | Iterable[str] | None = None,
    consequent: str | Iterable[str] | None = None,
    prune: bool = False,
    algorithm: str = "eclat",
    level: str = "product_id",
) -> pd.DataFrame:
    """Association rules with support, confidence, lift, leverage, conviction and Zhang's metric.

    Parameters
    ----------
    baskets : list of lists, basket table or clean transactions
        The baskets (transactions are grouped by invoice at the product level).
    min_support, min_confidence : float
        Thresholds for the itemset behind a rule and for the rule.
    max_len : int, optional
        Largest itemset (antecedent and consequent together).
    min_lift : float, optional
        Keep rules with at least this lift.
    antecedent, consequent : str or list of str, optional
        Keep rules whose antecedent (consequent) contains these items.
    prune : bool
        Drop redundant rules (:func:`prune_redundant`).
    algorithm : {"eclat", "hmine", "fpgrowth", "apriori"}
        The miner (:func:`frequent_itemsets`); lines on Spark are mined by
        Spark MLlib's FPGrowth whatever this says.
    level : str
        The item column when ``baskets`` are transaction lines on Spark.

    Returns
    -------
    pandas.DataFrame
        One row per rule: ``antecedents``, ``consequents`` (frozensets) and the
        metrics, sorted by lift then confidence.
    """
    if not 0 < min_confidence <= 1:
        raise ValueError(f"min_confidence must be in (0, 1], got {min_confidence}")
    _check_mining(min_support, max_len, algorithm)
    spark = isinstance(baskets, ir.Table) and engine.backend_name(baskets) == "pyspark"
    if algorithm == "eclat" and not spark:  # straight from Eclat's numbered itemsets
        matrix, columns, n = _basket_matrix(baskets, min_support, level)
        min_count = max(1, int(np.ceil(min_support * n - 1e-9)))
        levels = _eclat(matrix, min_count, max_len)
        names = columns.to_numpy(dtype=object)
        miner = "eclat"
    else:
        itemsets = frequent_itemsets(baskets, min_support, max_len, algorithm, level)
        levels, names = _numbered_itemsets(itemsets)
        n, miner = itemsets.attrs.get("n_baskets", 1), itemsets.attrs.get("miner")
    rules = _rules_of_itemsets(levels, names, n, min_confidence)
    if rules.empty:
        empty = pd.DataFrame(columns=["antecedents", "consequents", *RULE_METRICS])
        empty.attrs["miner"] = miner
        return empty
    if min_lift is not None:
        rules = rules[rules["lift"] >= min_lift]
    for col, wanted in (("antecedents", antecedent), ("consequents", consequent)):
        if wanted:
            wanted = {wanted} if isinstance(wanted, str) else set(wanted)
            rules = rules[rules[col].map(lambda s, w=wanted: w <= s)]
    if prune:
        rules = prune_redundant(rules)
    rules = rules.sort_values(["lift", "confidence"], ascending=False, kind="stable")
    rules = rules[["antecedents", "consequents", *RULE_METRICS]].reset_index(drop=True)
    rules.attrs["miner"] = miner  # which miner found the itemsets
    return rules


def _numbered_itemsets(itemsets: pd.DataFrame) -> tuple[list, np.ndarray]:
    """A miner's itemsets as Eclat gives them: ``(codes, counts)`` per size, each row of
    codes ascending, and the item names the codes number."""
    sets = list(itemsets["itemsets"])
    names = np.array(sorted({i for s in sets for i in s}, key=str), dtype=object)
    number = {name: k for k, name in enumerate(names)}
    sizes = np.fromiter(map(len, sets), dtype=np.int64, count=len(sets))
    support = itemsets["support"].to_numpy(dtype=float)
    n = itemsets.attrs.get("n_baskets", 1)
    levels = []
    for size in np.unique(sizes):
        pick = np.flatnonzero(sizes == size)
        codes = np.sort(np.array([[number[i] for i in sets[k]] for k in pick],
                                 dtype=np.int64).reshape(len(pick), size), axis=1)
        levels.append((codes, np.round(support[pick] * n)))
    return levels, names


def _rules_of_itemsets(levels: list, names: np.ndarray, n: int,
                       min_confidence: float) -> pd.DataFrame:
    """Every rule ``A -> C`` splitting a frequent itemset in two, confident enough, with
    the metrics of :data:`RULE_METRICS` (mlxtend's definitions, tested against them).

    Vectorised over the itemsets of a size: for each way of splitting ``k`` items
    (a bit mask, ``2**k - 2`` of them), the antecedents' and consequents' counts are
    looked up at once in the sorted itemsets one level down (every part of a frequent
    itemset is frequent, so each is found).
    """
    table = {}
    for codes, counts in levels:
        keys = _row_keys(codes)
        order = np.argsort(keys, kind="stable")
        table[codes.shape[1]] = (keys[order], np.asarray(counts, dtype=float)[order])

    def count_of(codes: np.ndarray) -> np.ndarray:
        keys, counts = table[codes.shape[1]]
        wanted = _row_keys(codes)
        at = np.minimum(np.searchsorted(keys, wanted), len(keys) - 1)
        if not (keys[at] == wanted).all():
            raise AssertionError("a part of a frequent itemset is missing from the itemsets")
        return counts[at]

    # confidence is a ratio of two supports: a rule exactly at the threshold can land a
    # rounding error below it, so the threshold is lowered by a hair
    threshold = min_confidence * (1 - 1e-9)
    parts = []
    for codes, counts in levels:
        k = codes.shape[1]
        if k < 2:
            continue
        n_ac = np.asarray(counts, dtype=float)
        for mask in range(2**k - 2, 0, -1):  # longest antecedents first, as mlxtend
            a_cols = [j for j in range(k) if mask >> j & 1]
            c_cols = [j for j in range(k) if not mask >> j & 1]
            n_a = count_of(codes[:, a_cols])
            ok = np.flatnonzero(n_ac / n_a >= threshold)
            if len(ok) == 0:
                continue
            kept = codes[ok]
            parts.append((kept[:, a_cols], kept[:, c_cols], n_a[ok],
                          count_of(kept[:, c_cols]), n_ac[ok]))
    if not parts:
        return pd.DataFrame(columns=["antecedents", "consequents", *RULE_METRICS])
    n_a, n_c, n_ac = (np.concatenate([p[i] for p in parts]) for i in (2, 3, 4))
    # a ratio of counts, so that equal confidences (10/20 and 5/10) are equal floats
    # and a redundant rule's tie is seen as one
    confidence = n_ac / n_a
    s_a, s_c, s_ac = n_a / n, n_c / n, n_ac / n
    leverage = s_ac - s_a * s_c
    with np.errstate(divide="ignore", invalid="ignore"):
        conviction = np.where(confidence < 1, (1 - s_c) / (1 - confidence), np.inf)
        denominator = np.maximum(s_ac * (1 - s_a), s_a * (s_c - s_ac))
        zhang = np.where(denominator == 0, 0.0, leverage / denominator)

    def sets(i: int) -> list:
        with _many_objects():
            return [frozenset(r) for p in parts for r in zip(*names[p[i]].T)]

    return pd.DataFrame({"antecedents": sets(0), "consequents": sets(1),
                         "antecedent support": s_a, "consequent support": s_c,
                         "support": s_ac, "confidence": confidence,
                         "lift": confidence / s_c, "leverage": leverage,
                         "conviction": conviction, "zhangs_metric": zhang})


def _row_keys(codes: np.ndarray) -> np.ndarray:
    """Each row of an integer array as one opaque, sortable value (its bytes)."""
    rows = np.ascontiguousarray(codes, dtype=np.int32)
    return rows.view(np.dtype((np.void, 4 * rows.shape[1]))).ravel()


def prune_redundant(rules: pd.DataFrame) -> pd.DataFrame:
    """Drop rules whose longer antecedent adds no confidence to a shorter one's.

    A rule ``A, B -> C`` is redundant when some rule ``A -> C`` (antecedent a
    proper subset, same consequent) is at least as confident. The subset need
    not be one item shorter: ``A -> C`` prunes ``A, B, D -> C`` even when
    ``A, B -> C`` is not among the rules.

    Near-linear in the rules: the best confidence below an antecedent is the
    best over the antecedents one item shorter, each either a rule or, through
    the same recursion, the best below it; each (antecedent, consequent) is
    worked out once, in as many steps as it has items.
    """
    with _many_objects():
        return rules[_not_redundant(rules)]


def _not_redundant(rules: pd.DataFrame) -> np.ndarray:
    """Which rules :func:`prune_redundant` keeps."""
    confidence: dict[tuple[frozenset, frozenset], float] = {}
    for a, c, conf in zip(rules["antecedents"], rules["consequents"], rules["confidence"]):
        key = (a, c)
        confidence[key] = max(conf, confidence.get(key, -np.inf))
    below: dict[tuple[frozenset, frozenset], float] = {}

    def best_below(a: frozenset, c: frozenset) -> float:
        """The best confidence of a rule ``S -> c`` with ``S`` a proper non-empty subset of a."""
        got = below.get((a, c))
        if got is None:
            got = -np.inf
            if len(a) > 1:
                for item in a:
                    shorter = a - {item}
                    got = max(got, confidence.get((shorter, c), -np.inf), best_below(shorter, c))
            below[(a, c)] = got
        return got

    keep = [best_below(a, c) < conf for a, c, conf in
            zip(rules["antecedents"], rules["consequents"], rules["confidence"])]
    return np.asarray(keep, dtype=bool)


def strongest_rule(rules: pd.DataFrame) -> dict:
    """The rule of highest lift that offers one item: ``rule`` written ``a, b → c`` and its
    ``lift`` (empty when no rule offers one item). A rule with two consequent items can top
    the lift by the pair (a camera with a camera bag *and* tea), which is no offer.

    >>> rules = pd.DataFrame({"antecedents": [frozenset({"camera"}), frozenset({"printer"})],
    ...                       "consequents": [frozenset({"bag", "tea"}), frozenset({"ink"})],
    ...                       "lift": [10.5, 8.1]})
    >>> strongest_rule(rules)
    {'rule': 'printer → ink', 'lift': 8.1}
    """
    single = rules[rules["consequents"].map(len) == 1]
    if single.empty:
        return {}
    best = single.loc[single["lift"].idxmax()]
    return {"rule": f"{', '.join(sorted(best['antecedents']))} → "
                    f"{', '.join(sorted(best['consequents']))}",
            "lift": float(best["lift"])}


# --- recommendations -------------------------------------------------------------------------

#: how offers are ranked: by added value, what the basket adds to the item's chance
#: (confidence less the item's share of all baskets), then by lift. Confidence alone
#: rewards the items everyone buys anyway (milk with a camera: confidence 0.86, but
#: 0.50 of all baskets hold milk); lift alone rewards rare items whose chance stays
#: small (on the bundled shop it offers them so often that the hit rate falls below
#: offering the most popular items). The added value is the rise in the chance that
#: the customer takes the item: a tripod with a camera, 0.51 against 0.07.
OFFER_RANKING = ("added_value", "lift")


def recommend(rules: pd.DataFrame, basket: Iterable[str], n: int = 5,
              fill: Iterable[str] | None = None) -> pd.DataFrame:
    """Cross-sell offers for a basket (or a customer's history): the top ``n`` items.

    Rules whose antecedent is in the basket, and whose consequent is one item
    not already in it, propose that item; each item keeps its best rule, ranked
    as :data:`OFFER_RANKING` says (added value, the confidence above the item's
    base rate, then lift). A rule with two
    consequent items proposes neither: its lift is the pair's, not either
    item's. When the rules propose fewer than ``n`` items, the list is completed
    from ``fill`` (e.g. the most popular items), marked ``because = "popular"``.
    The same ranking as :func:`cross_sell_offers` and :func:`next_best_offers`
    (one implementation).
    """
    one = pd.Series([set(basket)], dtype=object)
    offers = cross_sell_offers(rules, one, n=n, fill=fill)
    out = offers.rename(columns={"offer": "item"})[["item", "confidence", "lift", "added_value",
                                                     "because"]]
    return out.reset_index(drop=True)


def _onehot_sets(sets, vocabulary: pd.Index) -> sparse.csr_matrix:
    """Sets of items as a 0/1 CSR matrix over ``vocabulary`` (unknown items dropped)."""
    sizes = np.fromiter((len(x) for x in sets), dtype=np.int64, count=len(sets))
    codes = vocabulary.get_indexer([str(i) for x in sets for i in x])
    rows = np.repeat(np.arange(len(sets)), sizes)
    return _onehot_pairs(rows, codes, (len(sets), len(vocabulary)))


def _onehot_pairs(rows: np.ndarray, codes: np.ndarray, shape: tuple[int, int]
                  ) -> sparse.csr_matrix:
    """(row, column code) pairs as a 0/1 CSR matrix; pairs with a code of -1 are dropped."""
    keep = (rows >= 0) & (codes >= 0)
    m = sparse.csr_matrix((np.ones(int(keep.sum()), dtype=np.float32), (rows[keep], codes[keep])),
                          shape=shape)
    m.sum_duplicates()
    m.data[:] = 1
    return m


def _offer_metric(rules: pd.DataFrame, name: str) -> np.ndarray:
    if name == "added_value":  # confidence above the item's base rate
        return (rules["confidence"] - rules["consequent support"]).to_numpy(dtype=float)
    return rules[name].to_numpy(dtype=float)


def _ranked_pairs(rules: pd.DataFrame, fill: list[str]):
    """The offer ranking: (rule, consequent item) pairs of the rules with a one-item
    consequent, in :data:`OFFER_RANKING` order (then rule order), and the vocabulary of
    every item the rules and ``fill`` name."""
    single = np.asarray([len(c) == 1 for c in rules["consequents"]], dtype=bool)
    pair_rule = np.flatnonzero(single)
    pair_item = np.asarray([str(next(iter(rules["consequents"].iloc[k]))) for k in pair_rule],
                           dtype=object)
    keys = [-_offer_metric(rules, m)[pair_rule] for m in reversed(OFFER_RANKING)]
    order = np.lexsort((np.arange(len(pair_rule)), *keys))
    pair_rule, pair_item = pair_rule[order], pair_item[order]
    words = {str(i) for a in rules["antecedents"] for i in a} | set(pair_item) | set(fill)
    return pair_rule, pair_item, pd.Index(sorted(words))


def cross_sell_offers(rules: pd.DataFrame, histories: pd.Series, n: int = 5,
                      fill: Iterable[str] | None = None, chunk: int = 200_000) -> pd.DataFrame:
    """The top ``n`` cross-sell offers for many baskets or customers at once.

    The offers of :func:`recommend` for each entry of ``histories`` (the
    items each customer or basket has): rules whose antecedent it holds propose
    their one consequent item when it lacks it, each item ranked by its best rule
    (:data:`OFFER_RANKING`: added value, then lift), completed from ``fill`` (e.g.
    the most popular items) with ``because = "popular"``. One sparse product per ``chunk`` of
    customers finds the rules each holds; work grows with the rules that fit,
    not with customers times rules.

    Returns
    -------
    pandas.DataFrame
        One row per offer: the index of ``histories`` (repeated), ``rank``
        (1 is the best), ``offer``, ``confidence``, ``lift``, ``added_value`` and
        ``because``.
    """
    rules = rules.reset_index(drop=True)
    fill = list(dict.fromkeys(map(str, fill or [])))
    pair_rule, pair_item, vocabulary = _ranked_pairs(rules, fill)
    confidence = rules["confidence"].to_numpy(dtype=float)
    lift = rules["lift"].to_numpy(dtype=float)
    added = _offer_metric(rules, "added_value") if len(rules) else np.zeros(0)
    size = len(vocabulary)
    ante = _onehot_sets(rules["antecedents"].tolist(), vocabulary).T.tocsc()
    need = np.asarray([len(a) for a in rules["antecedents"]], dtype=np.float32)
    pair_code = vocabulary.get_indexer(list(pair_item)).astype(np.int64)
    # the pairs of each rule, as a CSR-like index
    by_rule = np.argsort(pair_rule, kind="stable")
    rule_ptr = np.searchsorted(pair_rule[by_rule], np.arange(len(rules) + 1))
    because_text = np.asarray([", ".join(sorted(map(str, a))) for a in rules["antecedents"]],
                              dtype=object)
    fill_code = vocabulary.get_indexer(fill).astype(np.int64)
    values = histories.tolist()
    parts = []
    for start in range(0, len(values), chunk):
        have = _onehot_sets(values[start:start + chunk], vocabulary)
        owned = np.sort(np.repeat(np.arange(have.shape[0], dtype=np.int64), np.diff(have.indptr))
                        * size + have.indices)

        def holds(rows, codes, owned=owned):
            keys = rows * size + codes
            if not len(owned):
                return np.zeros(len(keys), dtype=bool)
            at = np.searchsorted(owned, keys)
            return (at < len(owned)) & (owned[np.minimum(at, len(owned) - 1)] == keys)

        none = np.zeros(0, dtype=np.int64)
        offers = pd.DataFrame({"row": none, "pair": none, "item": none})
        if len(rules):
            fits = (have @ ante).tocoo()  # antecedent items each customer holds, per rule
            ok = fits.data >= need[fits.col]
            rows, fitting = fits.row[ok].astype(np.int64), fits.col[ok]
            counts = rule_ptr[fitting + 1] - rule_ptr[fitting]
            rows = np.repeat(rows, counts)
            offsets = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
            pairs = by_rule[np.repeat(rule_ptr[fitting], counts) + offsets]
            keep = ~holds(rows, pair_code[pairs])
            offers = pd.DataFrame({"row": rows[keep], "pair": pairs[keep]})
            offers["item"] = pair_code[offers["pair"].to_numpy()]
            offers = offers.sort_values(["row", "pair"], kind="stable").drop_duplicates(
                ["row", "item"]).groupby("row", sort=False).head(n)
        short = np.bincount(offers["row"].to_numpy(), minlength=have.shape[0]) < n
        if len(fill) and short.any():
            rows = np.repeat(np.flatnonzero(short).astype(np.int64), len(fill))
            codes = np.tile(fill_code, int(short.sum()))
            order_in_fill = np.tile(np.arange(len(fill)), int(short.sum()))
            free = ~holds(rows, codes)
            extra = pd.DataFrame({"row": rows[free], "item": codes[free],
                                  "pair": len(pair_rule) + order_in_fill[free]})
            taken = offers[["row", "item"]].assign(_taken=True)
            extra = extra.merge(taken, on=["row", "item"], how="left")
            extra = extra[extra["_taken"].isna()].drop(columns="_taken")
            offers = pd.concat([offers, extra], ignore_index=True).sort_values(
                ["row", "pair"], kind="stable").groupby("row", sort=False).head(n)
        offers = offers.assign(row=offers["row"] + start)
        parts.append(offers)
    offers = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        {"row": np.zeros(0, dtype=np.int64), "pair": 0, "item": 0})
    pair = offers["pair"].to_numpy(dtype=np.int64)
    by_a_rule = pair < len(pair_rule)
    rule = pair_rule[np.where(by_a_rule, pair, 0)] if len(pair_rule) else np.zeros(len(pair), int)
    known = by_a_rule & (len(rules) > 0)
    frame = pd.DataFrame({
        "rank": offers.groupby("row").cumcount().to_numpy() + 1,
        "offer": vocabulary.to_numpy()[offers["item"].to_numpy(dtype=np.int64)],
        "confidence": np.where(known, confidence[rule] if len(rules) else np.nan, np.nan),
        "lift": np.where(known, lift[rule] if len(rules) else np.nan, np.nan),
        "added_value": np.where(known, added[rule] if len(rules) else np.nan, np.nan),
        "because": np.where(known, because_text[rule] if len(rules) else "", "popular"),
    }, index=histories.index[offers["row"].to_numpy(dtype=np.int64)])
    return frame


def _holdings(histories: pd.Series | pd.DataFrame, vocabulary: pd.Index,
              customers=None) -> tuple[sparse.csr_matrix, pd.Index]:
    """What each customer holds as a 0/1 CSR matrix over ``vocabulary``, and its rows' index.

    ``histories`` is a Series of item sets, or a frame of (customer, item) pairs
    whose rows are ``customers`` (by default the customers of the pairs, sorted).
    """
    if isinstance(histories, pd.Series):
        return _onehot_sets(histories.tolist(), vocabulary), histories.index
    who, what = histories.iloc[:, 0], histories.iloc[:, 1]
    index = pd.Index(customers if customers is not None else np.sort(who.unique()),
                     name=who.name)
    rows = index.get_indexer(who)
    if isinstance(what.dtype, pd.CategoricalDtype):  # one lookup per category, not per pair
        known = np.append(vocabulary.get_indexer(what.cat.categories.astype(str)), -1)
        codes = known[what.cat.codes.to_numpy()]  # code -1 (missing) picks the appended -1
    else:
        codes = vocabulary.get_indexer(what.astype(str))
    return _onehot_pairs(rows, codes, (len(index), len(vocabulary))), index


def next_best_offers(rules: pd.DataFrame, histories: pd.Series | pd.DataFrame,
                     fill: Iterable[str] | None = None, block: int = 64,
                     customers=None, chunk: int = 100_000) -> pd.DataFrame:
    """The single best cross-sell offer for each customer: :func:`cross_sell_offers` with n = 1.

    Built for many customers: rules are tried in rank order, ``block`` at a
    time, only on the customers still without an offer, so the work shrinks as
    the best rules (which fit most customers) place their offers; customers go
    ``chunk`` at a time, so memory does not grow with their number.

    Parameters
    ----------
    histories : pandas.Series or pandas.DataFrame
        The items each customer holds: a Series of item sets indexed by
        customer, or (for millions of customers) a frame of (customer, item)
        pairs, one row per item held, whose item column may be categorical.
    customers : array-like, optional
        With pairs, the customers to score (the rows of the result), including
        those who hold none of the rules' items; by default the pairs' customers.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``histories`` (or by ``customers``): ``offer``,
        ``confidence``, ``lift`` and ``because``; missing where nothing fits.
    """
    rules = rules.reset_index(drop=True)
    fill = list(dict.fromkeys(map(str, fill or [])))
    pair_rule, pair_item, vocabulary = _ranked_pairs(rules, fill)
    confidence = rules["confidence"].to_numpy(dtype=float)
    lift = rules["lift"].to_numpy(dtype=float)
    have, index = _holdings(histories, vocabulary, customers)
    ante = _onehot_sets([rules["antecedents"].iloc[r] for r in pair_rule], vocabulary).T.tocsc()
    need = np.asarray([len(rules["antecedents"].iloc[r]) for r in pair_rule], dtype=np.float32)
    item_code = vocabulary.get_indexer(list(pair_item)) if len(pair_item) else np.zeros(0, int)
    fill_code = vocabulary.get_indexer(fill)
    chosen = np.full(have.shape[0], -1)  # the pair (rank) offered to each customer
    popular = np.full(have.shape[0], -1)  # else the fill item offered
    for lo in range(0, have.shape[0], chunk):
        part = have[lo:lo + chunk]
        waiting = np.arange(part.shape[0])
        for start in range(0, len(pair_rule), block):
            if not len(waiting):
                break
            stop = min(start + block, len(pair_rule))
            sub = part[waiting]
            fits = (sub @ ante[:, start:stop]).toarray() >= need[start:stop]
            fits &= sub[:, item_code[start:stop]].toarray() == 0
            hit = fits.any(axis=1)
            chosen[lo + waiting[hit]] = start + fits[hit].argmax(axis=1)
            waiting = waiting[~hit]
        if fill and len(waiting):
            lacks = part[waiting][:, fill_code].toarray() == 0
            found = lacks.any(axis=1)
            popular[lo + waiting[found]] = lacks[found].argmax(axis=1)
    out = pd.DataFrame({"offer": pd.Series(pd.NA, index=index, dtype="string"),
                        "confidence": np.nan, "lift": np.nan,
                        "because": pd.Series(pd.NA, index=index, dtype="string")})
    by_rule = np.flatnonzero(chosen >= 0)
    rule = pair_rule[chosen[by_rule]]
    out.iloc[by_rule, 0] = pair_item[chosen[by_rule]]
    out.iloc[by_rule, 1] = confidence[rule]
    out.iloc[by_rule, 2] = lift[rule]
    out.iloc[by_rule, 3] = [", ".join(sorted(map(str, a))) for a in rules["antecedents"].iloc[rule]]
    by_fill = np.flatnonzero(popular >= 0)
    out.iloc[by_fill, 0] = np.asarray(fill, dtype=object)[popular[by_fill]]
    out.iloc[by_fill, 3] = "popular"
    return out


def _held_out(lines: ir.Table, level: str, max_customers: int | None = None, seed: int = 0,
              after=None):
    """The customers' last baskets (as :func:`hit_rate` holds them out) and the other lines,
    in the engine; the held-out baskets come back one row per customer, for a seeded random
    sample of at most ``max_customers`` of them (None for all). With ``after``, the last
    baskets dated on or after it of customers who bought before it, and the lines before it."""
    t = lines.filter((lines.quantity > 0) & lines[level].notnull())
    t = t.mutate(_item=t[level].cast("string"))
    pairs = t.select("invoice_id", "_item").distinct()
    k = pairs.group_by(_kinv="invoice_id").agg(_k=pairs.count())
    per = t.group_by("invoice_id").agg(_c=t.customer_id.min(), _d=t.date.min())
    per = per.inner_join(k, per.invoice_id == k._kinv).drop("_kinv")
    per = per.filter(per._c.notnull())
    w = ibis.window(group_by=per._c, order_by=[ibis.desc(per._d), ibis.desc(per.invoice_id)])
    per = per.mutate(_last=ibis.row_number().over(w), _n=per.count().over(
        ibis.window(group_by=per._c)), _first=per._d.min().over(ibis.window(group_by=per._c)))
    keep = (per._last == 0) & (per._n >= 2) & (per._k >= 2)
    if after is not None:
        cut = pd.Timestamp(after)
        keep = keep & (per._d >= cut) & (per._first < cut)
    held = per.filter(keep).select(_inv=per.invoice_id, _cust=per._c)
    judged = held
    if max_customers:
        ids = engine.to_pandas(held).sort_values("_cust", kind="stable")
        if len(ids) > max_customers:
            rng = np.random.default_rng(seed)
            ids = ids.iloc[np.sort(rng.choice(len(ids), size=max_customers, replace=False))]
            judged = ibis.memtable(ids[["_inv"]].astype(str).rename(columns={"_inv": "_pick"}))
            judged = held.inner_join(judged, held._inv == judged._pick).drop("_pick")
    baskets = t.inner_join(judged, t.invoice_id == judged._inv)
    baskets = engine.to_pandas(baskets.group_by(customer_id="_cust", invoice_id="_inv").agg(
        items=baskets._item.collect(distinct=True))).sort_values("customer_id", kind="stable")
    baskets["items"] = baskets["items"].map(sorted)
    if after is not None:
        train = lines.filter(lines.date < pd.Timestamp(after))
    else:
        train = lines.anti_join(held, lines.invoice_id == held._inv)
    return baskets.reset_index(drop=True), train


def hit_rate(table, min_support: float, min_confidence: float, n: int = 5,
             max_len: int | None = 3, algorithm: str = "eclat", seed: int = 0,
             level: str = "product_id", max_customers: int | None = 20_000,
             min_lift: float | None = None, prune: bool = False, after=None) -> pd.DataFrame:
    """Cross-sell offers judged on each customer's held-out last basket.

    Rules are mined on every basket but the customers' last ones, with the same
    settings as the rules a report shows (``min_support``, ``min_confidence``,
    ``max_len``, ``min_lift``, ``prune``), so the hit rate is that of those rules.
    In each last basket (of a customer with an earlier one, and at least two
    items) half the items, drawn with ``seed``, are hidden; the other half is
    the basket so far. The rules offer ``n`` items not in it (completed with
    popular items when they offer fewer), ranked as :func:`recommend` ranks
    them, and score a hit when a hidden item is among them. The baseline offers
    the ``n`` most popular items not in the basket so far.

    With ``after`` (a date) the hold-out is ordered in time, as offers are used:
    rules are mined on the baskets before ``after`` only, and judged on each
    customer's last basket on or after it (customers who bought before it too).

    ``table`` is a basket table, or transaction lines as an Ibis table (items at
    ``level``): then the last baskets are found in the engine and the rules are
    mined where the lines are (Spark: MLlib's FPGrowth); only the held-out
    baskets, one per customer, come back, and of at most ``max_customers``
    customers drawn with ``seed`` (None for all: the rules are still mined
    without any customer's last basket). Twenty thousand customers measure a
    hit rate to within a percentage point; a million take minutes more.

    Returns
    -------
    pandas.DataFrame
        ``customers`` evaluated and the hit rate at ``n`` of the rules and of
        the baseline; ``attrs["after"]`` is the date of a time-ordered hold-out.
    """
    if isinstance(table, ir.Table):
        held_out, train = _held_out(table, level, max_customers, seed, after)
    else:
        t = table.dropna(subset=["customer_id"]).sort_values(["customer_id", "date",
                                                               "invoice_id"])
        last = t.groupby("customer_id").cumcount(ascending=False) == 0
        repeat = t.groupby("customer_id")["invoice_id"].transform("size") >= 2
        keep = last & repeat & (t["items"].map(len) >= 2)
        if after is not None:
            cut = pd.Timestamp(after)
            first = t.groupby("customer_id")["date"].transform("min")
            keep &= (t["date"] >= cut) & (first < cut)
        held_out = t[keep]
        if after is not None:
            train = table[table["date"] < pd.Timestamp(after)]
        else:
            train = table[~table["invoice_id"].isin(held_out["invoice_id"])]
        if max_customers and len(held_out) > max_customers:
            rng = np.random.default_rng(seed)
            held_out = held_out.iloc[np.sort(rng.choice(len(held_out), size=max_customers,
                                                        replace=False))]
    rules = mine_rules(train, min_support, min_confidence, max_len=max_len, min_lift=min_lift,
                       prune=prune, algorithm=algorithm, level=level)
    popular = item_frequencies(train, level).index.tolist()
    rng = np.random.default_rng(seed)
    hidden, shown = [], []
    for items in held_out["items"]:
        items = list(items)
        rng.shuffle(items)
        hidden.append(set(items[: len(items) // 2]))
        shown.append(set(items[len(items) // 2:]))
    shown = pd.Series(shown, dtype=object)

    def offered(by_rules: pd.DataFrame) -> list[set]:
        offers = cross_sell_offers(by_rules, shown, n, fill=popular)
        sets = offers.groupby(level=0)["offer"].agg(set)
        return [sets.get(i, set()) for i in shown.index]

    hits = {"rules": sum(bool(o & h) for o, h in zip(offered(rules), hidden)),
            "most popular": sum(bool(o & h) for o, h in zip(offered(rules.iloc[:0]), hidden))}
    customers = len(held_out)
    out = pd.DataFrame({"customers": customers,
                        f"hit_rate_at_{n}": {k: v / customers if customers else np.nan
                                             for k, v in hits.items()}})
    out.attrs["after"] = None if after is None else pd.Timestamp(after)
    return out


def holdout_start(table, months: int) -> pd.Timestamp | None:
    """The first day of a time-ordered hold-out of the last ``months`` months of
    ``table`` (an Ibis table or a basket table with a ``date`` column), for
    :func:`hit_rate`'s ``after``; None when ``months`` is 0 or nothing is dated.

    >>> holdout_start(pd.DataFrame({"date": pd.to_datetime(["2024-01-05", "2024-06-20"])}), 3)
    Timestamp('2024-03-20 00:00:00')
    """
    if not months:
        return None
    last = table.date.max().execute() if isinstance(table, ir.Table) else table["date"].max()
    if last is None or pd.isna(last):
        return None
    return (pd.Timestamp(last) - pd.DateOffset(months=int(months))).normalize()


def hit_rate_table(scores: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """:func:`hit_rate` results side by side, one row per hold-out (the keys of
    ``scores``): the customers judged and the hit rate of the rules and of the
    most popular items.

    >>> one = pd.DataFrame({"customers": 10, "hit_rate_at_5": {"rules": 0.8, "most popular": 0.7}})
    >>> hit_rate_table({"last basket": one})
                 customers  rules  most popular
    last basket         10    0.8           0.7
    """
    rows = {name: {"customers": int(s["customers"].iloc[0]),
                   "rules": s.iloc[:, 1]["rules"], "most popular": s.iloc[:, 1]["most popular"]}
            for name, s in scores.items()}
    return pd.DataFrame.from_dict(rows, orient="index")


def _with_column(t: ir.Table, column: str, catalogue: pd.DataFrame | None) -> ir.Table:
    """The lines with ``column`` of the ``catalogue`` joined on ``product_id`` when the lines
    do not hold it."""
    if column not in t.columns and catalogue is not None and column in catalogue.columns:
        cat = engine.open_table(catalogue[["product_id", column]].drop_duplicates("product_id")
                                .astype({"product_id": "string"}), con=t._find_backend())
        t = t.left_join(cat, t.product_id == cat.product_id).drop("product_id_right")
    if column not in t.columns:
        raise ValueError(f"transactions have no column {column!r}; columns: {list(t.columns)}")
    return t


def upsell_group(transactions, catalogue: pd.DataFrame | None = None) -> str | None:
    """The column whose values are one product in its versions: ``product_type`` (a camera,
    whatever its brand or model) when the lines or the catalogue have it, else None (a
    ``category`` such as dairy holds different products: offering cheese to a buyer of milk
    is cross-selling, not up-selling)."""
    t = _as_table(transactions)
    if "product_type" in t.columns or (catalogue is not None
                                       and "product_type" in catalogue.columns):
        return "product_type"
    return None


def upsell(transactions, product: str | None = None, n: int = 3, level: str = "product_id",
           group: str = "product_type", catalogue: pd.DataFrame | None = None) -> pd.DataFrame:
    """Up-selling: the newer or better (dearer) versions of ``product`` that its buyers also
    bought.

    Up-selling offers a better version of what the customer has (a dearer camera to the
    owner of a camera); offering other products that go with it is cross-selling
    (:func:`recommend`). ``group`` is the column naming one product in its versions
    (:func:`upsell_group`), from the lines or the ``catalogue``. Without ``product``, the
    most bought product that has a dearer version is taken; ``attrs["product"]`` names it.

    Returns
    -------
    pandas.DataFrame
        Indexed by item: ``buyers`` (of ``product`` who also bought it), ``share_of_buyers``
        and ``price_ratio`` (its mean unit price over the product's), ranked by buyers.
    """
    t = _with_column(_as_table(transactions), group, catalogue)
    t = t.filter((t.quantity > 0) & t.customer_id.notnull())
    t = t.mutate(item=t[level].cast("string"), group=t[group].cast("string"))
    stats = t.group_by("item").agg(price=t.unit_price.mean(), group=t.group.min(),
                                   lines=t.count())
    prices = engine.to_pandas(stats).set_index("item")
    if product is None:
        top = prices.groupby("group")["price"].transform("max")
        has_better = prices[prices["price"] < top]
        if has_better.empty:
            raise ValueError(f"no product has a dearer version in its {group!r}")
        product = has_better["lines"].idxmax()
    if product not in prices.index:
        raise ValueError(f"no purchases of {product!r} in the {level!r} column")
    own = prices.loc[product]
    dearer = prices[(prices["group"] == own["group"]) & (prices["price"] > own["price"])]
    # the product's buyers and what else they bought, counted in the engine: one row per
    # dearer item comes back, never the customers
    buyers = t.filter(t.item == product).select(_buyer="customer_id").distinct()
    n_buyers = int(buyers.count().execute())
    if dearer.empty:
        out = pd.DataFrame({"buyers": pd.Series(dtype=np.int64),
                            "share_of_buyers": pd.Series(dtype=float),
                            "price_ratio": pd.Series(dtype=float)}).rename_axis("item")
        out.attrs["product"] = product
        return out
    also = t.filter(t.item.isin([str(i) for i in dearer.index]))
    also = also.inner_join(buyers, also.customer_id == buyers._buyer)
    out = engine.to_pandas(also.group_by("item").agg(buyers=also.customer_id.nunique()))
    out = out.set_index("item").astype({"buyers": np.int64})
    out["share_of_buyers"] = out["buyers"] / max(n_buyers, 1)
    out["price_ratio"] = dearer["price"].reindex(out.index) / own["price"]
    out = out.sort_values(["buyers", "price_ratio"], ascending=False).head(n)
    out.attrs["product"] = product
    return out


# --- baskets over time -----------------------------------------------------------------------

def _engine_support_by_period(t: ir.Table, itemsets, period: str, level: str,
                              calendar: str) -> pd.DataFrame:
    t = t.filter((t.quantity > 0) & t[level].notnull())
    item = t[level].cast("string")
    itemsets = [sorted(set(map(str, s))) for s in itemsets]
    # distinct (invoice, item) pairs: how many of a set's items an invoice holds is a plain sum
    pairs = t.select("invoice_id", _item=item).distinct()
    per = pairs.group_by("invoice_id").agg(**{
        f"_s{k}": pairs._item.isin(items).cast("int64").sum() for k, items in enumerate(itemsets)})
    dates = t.group_by(_inv=t.invoice_id).agg(_date=t.date.min())
    per = per.inner_join(dates, per.invoice_id == dates._inv)
    if period == "weekday":
        per = per.mutate(_key=per._date.day_of_week.index())
    else:  # the month of the year in the calendar: 1 is January, or Farvardin
        per = calendars.with_month(per, calendar, "_date")
        per = per.mutate(_key=per._month % 12 + 1)
    means = {f"_m{k}": (per[f"_s{k}"] == len(items)).cast("float64").mean()
             for k, items in enumerate(itemsets)}
    frame = engine.to_pandas(per.group_by("_key").agg(**means)).sort_values("_key")
    frame = frame.set_index(frame["_key"].astype(np.int64).rename(period)).drop(columns="_key")
    frame.columns = [" + ".join(items) for items in itemsets]
    return _in_week_order(frame, period, calendar)


def _in_week_order(frame: pd.DataFrame, period: str, calendar: str) -> pd.DataFrame:
    if period == "weekday":
        return frame.reindex([d for d in calendars.weekdays(calendar) if d in frame.index])
    return frame.sort_index()


def support_by_period(table, itemsets: Iterable[Iterable[str]],
                      period: str = "weekday", level: str = "product_id",
                      calendar: str = "gregorian") -> pd.DataFrame:
    """Support of each itemset (an item, or a rule's items) per weekday or month.

    Returns one column per itemset (labelled ``"a + b"``), one row per period
    (weekday, pandas' numbers with Monday = 0, in the order of ``calendar``'s week:
    Saturday first in the Jalali calendar; or the month of the year 1-12 in
    ``calendar``: 1 is Farvardin in the Jalali one), values: the share of that period's
    baskets holding the whole itemset. ``table`` is a basket table, or
    transaction lines as an Ibis table (items at ``level``, counted in the
    engine; an invoice's period is that of its first line).
    """
    if period not in ("weekday", "month"):
        raise ValueError("period must be 'weekday' or 'month'")
    calendars.check(calendar)
    if isinstance(table, ir.Table):
        return _engine_support_by_period(table, itemsets, period, level, calendar)
    dates = pd.to_datetime(table["date"])
    if period == "weekday":
        key = dates.dt.dayofweek
    else:
        starts = calendars.month_start(dates, calendar)
        key = starts.map({d: calendars.month_number(d, calendar) % 12 + 1  # once per month
                          for d in starts.dropna().unique()})
    sets = table["items"].map(set)
    out = {}
    for items in itemsets:
        items = set(items)
        has = sets.map(lambda s, i=items: i <= s)
        out[" + ".join(sorted(items))] = has.groupby(key).mean()
    frame = pd.DataFrame(out)
    frame.index.name = period
    return _in_week_order(frame, period, calendar)


def list_and_quantities(lines, top: int = 10, level: str = "item",
                        calendar: str = "gregorian") -> pd.DataFrame:
    """The basket as a list: for the ``top`` items, month by month, the share of baskets
    holding each (its place on the list) and the quantity bought per basket that holds it.

    The course (session 11): a basket is a nearly fixed list of items a market uses, whose
    quantities change over time. ``lines`` are item lines (:func:`item_lines`, items in
    ``level``), counted in the engine; full months of ``calendar`` only (the first and last
    month of the data are left out when partial, as a month with few days would).

    Returns
    -------
    pandas.DataFrame
        One row per (``month``, ``item``): ``support`` and ``quantity_per_basket``;
        ``attrs["stability"]``: per item, the coefficient of variation of each over the
        months (``support_cv``, ``quantity_cv``).
    """
    t = _as_table(lines)
    t = calendars.with_month(t.filter(t.quantity > 0), calendar)
    counts = engine.to_pandas(t.group_by(level).agg(n=t.invoice_id.nunique()))
    items = counts.sort_values("n", ascending=False)[level].head(top).astype(str).tolist()
    baskets = engine.to_pandas(t.group_by("_month").agg(baskets=t.invoice_id.nunique()))
    picked = t.filter(t[level].cast("string").isin(items))
    per = engine.to_pandas(picked.group_by(["_month", level]).agg(
        holding=picked.invoice_id.nunique(), quantity=picked.quantity.sum()))
    per = per.merge(baskets, on="_month")
    months = sorted(per["_month"].unique())
    if len(months) > 3:  # the first and last months may be partial
        per = per[per["_month"].isin(months[1:-1])]
    out = pd.DataFrame({
        "month": calendars.to_start(per["_month"], calendar).to_numpy(),
        "item": per[level].astype(str).to_numpy(),
        "support": (per["holding"] / per["baskets"]).to_numpy(),
        "quantity_per_basket": (per["quantity"] / per["holding"]).to_numpy(),
    }).sort_values(["item", "month"], ignore_index=True)
    g = out.groupby("item")
    out.attrs["stability"] = pd.DataFrame({
        "support_cv": g["support"].std() / g["support"].mean(),
        "quantity_cv": g["quantity_per_basket"].std() / g["quantity_per_basket"].mean(),
    }).reindex(items)
    return out


def basket_change(lines, periods: pd.DataFrame, level: str = "product_id",
                  min_baskets: int = 20) -> pd.DataFrame:
    """How baskets change in some periods (the weeks before Nowruz, a sale) against the rest.

    The course: baskets change by season and holidays. Each invoice belongs to the period
    of its first line; an item's support is the share of a side's baskets holding it.
    Counted in the engine.

    Parameters
    ----------
    lines : Ibis table or pandas.DataFrame
        Transaction lines (``invoice_id``, ``date``, ``quantity`` and ``level``).
    periods : pandas.DataFrame
        ``start`` and ``end`` (inclusive days) of each period, as from
        :func:`crmwb.calendars.key_dates`.
    level : str
        The column that names an item.
    min_baskets : int
        Items in fewer baskets (both sides together) are left out.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``item``: ``support_in`` and ``support_out`` (in the periods, the rest),
        ``lift`` (their ratio: 3 is three times as common in the periods), ``baskets_in``;
        the most raised first. ``attrs``: ``baskets_in`` and ``baskets_out``.
    """
    t = _as_table(lines)
    t = t.filter((t.quantity > 0) & t[level].notnull() & t.date.notnull())
    dates = t.group_by(_inv=t.invoice_id).agg(_date=t.date.min())
    inside = ibis.literal(False)
    for first, last in zip(pd.to_datetime(periods["start"]), pd.to_datetime(periods["end"])):
        stop = last.normalize() + pd.Timedelta(days=1)
        inside = inside | ((dates._date >= first.normalize().to_pydatetime())
                           & (dates._date < stop.to_pydatetime()))
    dates = dates.mutate(_in=inside)
    pairs = t.select("invoice_id", item=t[level].cast("string")).distinct()
    joined = pairs.inner_join(dates, pairs.invoice_id == dates._inv)
    counts = engine.to_pandas(joined.group_by("item", "_in").agg(n=joined.count()))
    totals = engine.to_pandas(dates.group_by("_in").agg(n=dates.count()))
    total = totals.set_index("_in")["n"].reindex([True, False], fill_value=0)
    if not total[True] or not total[False]:
        raise ValueError(f"basket_change needs baskets both in the periods and outside them: "
                         f"{int(total[True]):,} in, {int(total[False]):,} outside")
    grid = counts.pivot(index="item", columns="_in", values="n").reindex(
        columns=[True, False]).fillna(0)
    grid = grid[grid.sum(axis=1) >= min_baskets]
    out = pd.DataFrame({"support_in": grid[True] / total[True],
                        "support_out": grid[False] / total[False]})
    out["lift"] = out["support_in"] / out["support_out"].where(out["support_out"] > 0)
    out["baskets_in"] = grid[True].astype(np.int64)
    out.index.name = "item"
    out.attrs.update(baskets_in=int(total[True]), baskets_out=int(total[False]))
    return out.sort_values(["lift", "baskets_in"], ascending=False)


def basket_counts(baskets, level: str = "product_id") -> dict[str, float]:
    """``baskets``, distinct ``items`` and mean ``items_per_basket``; for transaction
    lines (an Ibis table) counted in the engine, invoices as baskets."""
    if isinstance(baskets, ir.Table):
        t = baskets.filter((baskets.quantity > 0) & baskets[level].notnull())
        pairs = t.select("invoice_id", _item=t[level]).distinct()  # spillable, unlike nunique
        per = pairs.group_by("invoice_id").agg(k=pairs.count())
        row = engine.to_pandas(per.aggregate(n=per.count(), mean=per.k.mean())).iloc[0]
        items = int(pairs.select("_item").distinct().count().execute())
        return {"baskets": int(row["n"]), "items": items, "items_per_basket": float(row["mean"])}
    listed = _as_baskets(baskets)
    return {"baskets": len(listed), "items": len({i for b in listed for i in b}),
            "items_per_basket": sum(len(set(b)) for b in listed) / max(len(listed), 1)}


def _engine_cooccurrence(t: ir.Table, level: str, top: int) -> pd.DataFrame:
    items = item_frequencies(t, level).index[:top].tolist()
    t = t.filter((t.quantity > 0) & t[level].cast("string").isin(items))
    pairs = t.select("invoice_id", item=t[level].cast("string")).distinct()
    other = pairs.view()
    joined = pairs.inner_join(other, pairs.invoice_id == other.invoice_id)
    counts = engine.to_pandas(joined.group_by(a=pairs.item, b=other.item).agg(n=joined.count()))
    out = counts.pivot(index="a", columns="b", values="n").reindex(index=items, columns=items)
    out = out.fillna(0).astype(np.int64)
    out.index.name = out.columns.name = None
    return out


def cooccurrence(baskets, top: int = 15, level: str = "product_id") -> pd.DataFrame:
    """How many baskets hold each pair of the ``top`` most frequent items (transaction lines
    as an Ibis table: counted in the engine)."""
    if isinstance(baskets, ir.Table):
        return _engine_cooccurrence(baskets, level, top)
    onehot = encode(baskets)
    items = item_frequencies(baskets).index[:top]
    m = onehot[items].sparse.to_coo().tocsc().astype(np.int64)
    return pd.DataFrame((m.T @ m).toarray(), index=items, columns=items)
