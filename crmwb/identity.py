"""Customer identification: the same person under several customer ids.

When each business unit keeps its own records, one person appears under
several ids, with email, phone and name written differently (CONCEPTS.md
section 1). This module normalises those fields, finds the records that are
the same person, and assigns a master id:

- :func:`normalise_email`, :func:`normalise_phone`, :func:`normalise_name`;
- :func:`match_customers`: pairs of records with the evidence that links them;
- :func:`crosswalk`: every customer id with its master id (the earliest
  record of the person) and the evidence;
- :func:`rekey_transactions`: transaction lines with customer ids replaced by
  master ids, in the engine.

Two records are the same person when their phone numbers are equal, or when
their emails are equal and either their names or their cities agree (a shared
family email alone is not enough). Matching is transitive: records linked
through a third are one person.
"""

from __future__ import annotations

import unicodedata

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from crmwb import engine

#: Arabic letters and their Persian forms, the Arabic-Indic and Persian digits in ASCII,
#: and characters to drop (tatweel, zero-width joiners, diacritics handled apart).
_LETTERS = str.maketrans({
    "ي": "ی", "ى": "ی", "ئ": "ی", "ك": "ک", "ة": "ه", "ۀ": "ه", "أ": "ا", "إ": "ا", "آ": "ا",
    "ؤ": "و", "ـ": None, "\u200c": " ", "\u200d": None,
    **{chr(0x0660 + i): str(i) for i in range(10)},
    **{chr(0x06F0 + i): str(i) for i in range(10)},
})
_GMAIL = {"gmail.com", "googlemail.com"}


def _text(values: pd.Series) -> pd.Series:
    return values.astype("string").map(
        lambda v: unicodedata.normalize("NFKC", v).translate(_LETTERS), na_action="ignore")


def normalise_email(emails: pd.Series) -> pd.Series:
    """Emails compared as the mail system does: trimmed, lower case.

    For Gmail addresses, dots and ``+tags`` in the local part are dropped
    (Gmail ignores them). Empty values become missing.

    Examples
    --------
    >>> normalise_email(pd.Series([" Sara.Ahmadi@Gmail.com", "a.b+shop@x.ir", ""])).tolist()
    ['saraahmadi@gmail.com', 'a.b+shop@x.ir', <NA>]
    """
    e = _text(emails).str.strip().str.lower().str.replace(r"\s+", "", regex=True)
    parts = e.str.rpartition("@")
    local, domain = parts[0], parts[2]
    gmail = domain.isin(_GMAIL)
    local = local.where(~gmail, local.str.split("+").str[0].str.replace(".", "", regex=False))
    out = (local + "@" + domain).where(e.str.contains("@", regex=False))
    return out.where(out.str.len() > 1).astype("string")


def normalise_phone(phones: pd.Series, country_code: str = "98") -> pd.Series:
    """Phone numbers as national digits: no spaces, signs, country code or trunk 0.

    Persian and Arabic digits are read as ASCII digits. ``+98 912 345 6789``,
    ``0098-912-3456789``, ``09123456789`` and ``۰۹۱۲۳۴۵۶۷۸۹`` all become
    ``9123456789``. Numbers with fewer than 7 digits become missing.

    Examples
    --------
    >>> normalise_phone(pd.Series(["+98 912 345 6789", "۰۹۱۲-۳۴۵-۶۷۸۹", "12"])).tolist()
    ['9123456789', '9123456789', <NA>]
    """
    digits = _text(phones).str.replace(r"\D", "", regex=True)
    digits = digits.str.replace(r"^00", "", regex=True)
    long_enough = digits.str.len() > 10
    with_cc = long_enough & digits.str.startswith(country_code)
    digits = digits.where(~with_cc, digits.str[len(country_code):])
    digits = digits.str.replace(r"^0+", "", regex=True)
    return digits.where(digits.str.len() >= 7).astype("string")


def normalise_name(names: pd.Series) -> pd.Series:
    """Names compared as words: one letter form, lower case, no punctuation, sorted.

    Arabic letter forms become Persian (ي -> ی, ك -> ک), so do digits; case,
    punctuation and spacing are ignored and word order does not count, so
    ``"Sadeghi, Maryam"`` equals ``"MARYAM  SADEGHI"``.

    Examples
    --------
    >>> normalise_name(pd.Series(["Sadeghi, Maryam", "MARYAM  SADEGHI", "علي كريمي"])).tolist()
    ['maryam sadeghi', 'maryam sadeghi', 'علی کریمی']
    """
    t = _text(names).str.lower().str.replace(r"[^\w\s]", " ", regex=True)
    words = t.str.split()
    out = words.map(lambda w: " ".join(sorted(w)) if isinstance(w, list) else pd.NA)
    return out.where(out.str.len() > 0).astype("string")


def _initial_compatible(a: pd.Series, b: pd.Series) -> pd.Series:
    """Names agree when equal, or when they differ only by initials standing for words.

    ``"m rad"`` agrees with ``"mina rad"``; ``"reza ahmadi"`` does not agree with
    ``"sara ahmadi"``: a shared surname is not enough.
    """

    def ok(x, y) -> bool:
        if pd.isna(x) or pd.isna(y):
            return False
        if x == y:
            return True
        wx, wy = x.split(), y.split()
        if len(wx) != len(wy):
            return False
        rest_y = list(wy)
        rest_x = []
        for w in wx:
            if w in rest_y:
                rest_y.remove(w)
            else:
                rest_x.append(w)
        if len(rest_x) == len(wx):
            return False  # no word in common
        for w in rest_x:
            partner = next((v for v in rest_y if (len(w) == 1 and v.startswith(w))
                            or (len(v) == 1 and w.startswith(v))), None)
            if partner is None:
                return False
            rest_y.remove(partner)
        return True

    return pd.Series([ok(x, y) for x, y in zip(a, b)], index=a.index, dtype=bool)


def match_customers(customers: pd.DataFrame, country_code: str = "98") -> pd.DataFrame:
    """Pairs of customer records that are the same person, with the evidence.

    Parameters
    ----------
    customers : pandas.DataFrame
        Canonical customers: ``customer_id`` and any of ``email``, ``phone``,
        ``name``, ``city``.
    country_code : str
        The country calling code to strip from phone numbers.

    Returns
    -------
    pandas.DataFrame
        ``customer_id``, ``other_id`` (``customer_id < other_id``) and
        ``evidence``: the fields that agree, e.g. ``"phone+email"``.
    """
    c = pd.DataFrame({"customer_id": customers["customer_id"].to_numpy()})
    normalisers = (("email", normalise_email), ("name", normalise_name),
                   ("phone", lambda s: normalise_phone(s, country_code)))
    for col, fn in normalisers:
        c[col] = fn(customers[col]).to_numpy() if col in customers else pd.NA
    c["city"] = (_text(customers["city"]).str.strip().str.lower().to_numpy()
                 if "city" in customers else pd.NA)
    pairs = []
    for key in ("phone", "email"):
        k = c.dropna(subset=[key])
        m = k.merge(k, on=key, suffixes=("", "_o"))
        m = m[m["customer_id"] < m["customer_id_o"]]
        pairs.append(m[["customer_id", "customer_id_o"]])
    cand = pd.concat(pairs).drop_duplicates().rename(columns={"customer_id_o": "other_id"})
    a = c.set_index("customer_id").loc[cand["customer_id"]].reset_index(drop=True)
    b = c.set_index("customer_id").loc[cand["other_id"]].reset_index(drop=True)
    same = {f: (a[f] == b[f]).fillna(False).astype(bool) for f in ("email", "phone", "city")}
    same["name"] = _initial_compatible(a["name"], b["name"])
    is_match = same["phone"] | (same["email"] & (same["name"] | same["city"]))
    evidence = pd.Series([""] * len(a))
    for f in ("phone", "email", "name", "city"):
        evidence = evidence.where(~same[f], evidence + np.where(evidence == "", "", "+") + f)
    out = cand.reset_index(drop=True).assign(evidence=evidence.to_numpy())
    return out[is_match.to_numpy()].sort_values(["customer_id", "other_id"],
                                                ignore_index=True)


def crosswalk(customers: pd.DataFrame, matches: pd.DataFrame | None = None,
              country_code: str = "98") -> pd.DataFrame:
    """Every customer id with its master id and the evidence that merged it.

    The master id of a person is the id of their earliest record (by
    ``signup_date`` when present, then by id).

    Returns
    -------
    pandas.DataFrame
        ``customer_id``, ``master_id``, ``records`` (how many ids the person
        has) and ``evidence`` (empty for records standing alone).
    """
    if matches is None:
        matches = match_customers(customers, country_code)
    ids = customers["customer_id"].to_numpy()
    pos = pd.Series(np.arange(len(ids)), index=ids)
    n = len(ids)
    graph = coo_matrix((np.ones(len(matches)), (pos[matches["customer_id"]].to_numpy(),
                                                pos[matches["other_id"]].to_numpy())),
                       shape=(n, n))
    _, label = connected_components(graph, directed=False)
    order = customers.assign(_label=label, _pos=np.arange(n))
    sort_by = ["_label"] + (["signup_date"] if "signup_date" in customers else []) + [
        "customer_id"]
    first = order.sort_values(sort_by).drop_duplicates("_label").set_index("_label")
    evidence = pd.concat([matches[["customer_id", "evidence"]],
                          matches[["other_id", "evidence"]].rename(
                              columns={"other_id": "customer_id"})])
    evidence = evidence.groupby("customer_id")["evidence"].agg(
        lambda e: "; ".join(sorted(set(e))))
    out = pd.DataFrame({
        "customer_id": ids,
        "master_id": first.loc[label, "customer_id"].to_numpy(),
        "records": pd.Series(label).map(pd.Series(label).value_counts()).to_numpy(),
    })
    out["evidence"] = out["customer_id"].map(evidence).fillna("")
    return out


def _changed_keys(lines: ir.Table, crosswalk: pd.DataFrame) -> ir.Table | None:
    """The crosswalk's re-keyed ids as a table on the lines' backend, typed like them."""
    ids = crosswalk["customer_id"]
    if ids.duplicated().any():
        dup = crosswalk[ids.duplicated(keep=False)].head(6)
        raise ValueError("crosswalk: customer ids appear more than once (re-keying would "
                         f"multiply lines):\n{dup.to_string()}")
    changed = crosswalk.loc[crosswalk["customer_id"] != crosswalk["master_id"],
                            ["customer_id", "master_id"]]
    if changed.empty:
        return None
    cid_type = lines.schema()["customer_id"]
    frame = changed.rename(columns={"customer_id": "_old"})
    if cid_type.is_string():
        frame = frame.astype({"_old": "string", "master_id": "string"})
    keys = engine.open_table(frame.reset_index(drop=True), con=lines._find_backend())
    return keys.cast({"_old": cid_type, "master_id": cid_type})


def rekey_transactions(lines: ir.Table, crosswalk: pd.DataFrame) -> ir.Table:
    """Transaction lines with each customer id replaced by its master id (in the engine).

    Every line stays one line: the crosswalk must hold each customer id once.
    """
    keys = _changed_keys(lines, crosswalk)
    if keys is None:
        return lines
    joined = lines.left_join(keys, lines.customer_id == keys._old)
    return joined.mutate(customer_id=ibis.coalesce(joined.master_id, joined.customer_id)).drop(
        "_old", "master_id").select(*lines.columns)


def rekeyed_lines(lines: ir.Table, crosswalk: pd.DataFrame) -> int:
    """How many of ``lines`` :func:`rekey_transactions` gives another customer id."""
    keys = _changed_keys(lines, crosswalk)
    if keys is None:
        return 0
    return int(lines.semi_join(keys, lines.customer_id == keys._old).count().execute())


def rekey_frame(frame: pd.DataFrame, crosswalk: pd.DataFrame | None,
                column: str = "customer_id") -> pd.DataFrame:
    """A copy of a customer-level table (contacts, surveys, ...) under master ids."""
    if frame is None or crosswalk is None:
        return frame
    mapping = dict(zip(crosswalk["customer_id"], crosswalk["master_id"]))
    out = frame.copy()
    out[column] = out[column].map(lambda c: mapping.get(c, c)).astype(frame[column].dtype)
    return out


def duplicate_candidates(customers: pd.DataFrame, crosswalk_table: pd.DataFrame) -> pd.DataFrame:
    """The customer records merged into another, beside their master record, for review."""
    merged = crosswalk_table[crosswalk_table["records"] > 1]
    cols = [c for c in ("customer_id", "name", "email", "phone", "city") if c in customers]
    view = customers[cols].merge(merged[["customer_id", "master_id", "evidence"]],
                                 on="customer_id")
    return view.sort_values(["master_id", "customer_id"], ignore_index=True)
