"""Customer identification: the same person under several customer ids.

When each business unit keeps its own records, one person appears under
several ids, with email, phone and name written differently (CONCEPTS.md
section 1). This module normalises those fields, finds the records that are
the same person, and assigns a master id:

- :func:`normalise_email`, :func:`normalise_phone` (phonenumbers: validated,
  in E.164), :func:`normalise_name` (Persian and Arabic letter forms, no
  diacritics);
- :func:`placeholders`: values shared by more than a few records, or made to
  fill a form (``09999999999``, ``noemail@gmail.com``): no evidence at all;
- :func:`match_customers`: pairs of records with the evidence that links them;
- :func:`crosswalk`: every customer id with its master id (the earliest
  record of the person) and the evidence; :func:`review_groups` lists the
  unusually large merged groups for a person to check;
- :func:`rekey_transactions`: transaction lines with customer ids replaced by
  master ids, in the engine; a line stays one line.

Two records are the same person when they share a phone number or an email
(neither a placeholder) **and** their names are compatible (:func:`names_agree`:
equal as words, initials standing for words, or small typos); a shared family
phone or email alone is not enough. Where one record has no name, the phone and
the email must both agree. Matching is transitive: records linked through a
third are one person.
"""

from __future__ import annotations

import re
import unicodedata

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd
import phonenumbers
from rapidfuzz import fuzz
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from crmwb import engine

#: Arabic letters and their Persian forms, the Arabic-Indic and Persian digits in ASCII,
#: and characters to drop (tatweel, zero-width joiners; diacritics are stripped apart).
_LETTERS = str.maketrans({
    "ي": "ی", "ى": "ی", "ئ": "ی", "ك": "ک", "ة": "ه", "ۀ": "ه", "أ": "ا", "إ": "ا", "آ": "ا",
    "ؤ": "و", "ـ": None, "\u200c": " ", "\u200d": None,
    **{chr(0x0660 + i): str(i) for i in range(10)},
    **{chr(0x06F0 + i): str(i) for i in range(10)},
})
_GMAIL = {"gmail.com", "googlemail.com"}
#: A value shared by more than this many records is a placeholder, not evidence.
MAX_SHARED = 4
#: Names within this rapidfuzz ratio (per word) are the same name written with a typo.
NAME_SIMILARITY = 80
#: Local parts of emails typed to fill a form.
PLACEHOLDER_EMAILS = (r"^(?:no|none|noemail|no\.?email|nomail|no-?reply|test|email|mail|na|n/?a"
                      r"|unknown|null|nil|xx+|123\d*)@"
                      r"|@(?:example\.\w+|test\.\w+|\w+\.invalid)$")


def _strip_marks(text: str) -> str:
    """NFKC text without combining marks (Arabic harakat, tashdid: محمّد -> محمد; accents)."""
    decomposed = unicodedata.normalize("NFKD", text)
    kept = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return unicodedata.normalize("NFKC", kept)


def _text(values: pd.Series) -> pd.Series:
    return values.astype("string").map(lambda v: _strip_marks(v).translate(_LETTERS),
                                       na_action="ignore")


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


def phone_region(country_code: str | int | None = None, region: str | None = None) -> str:
    """The phonenumbers region for a region code or a calling code: ``"98"`` -> ``"IR"``."""
    if region:
        return region.upper()
    if country_code:
        found = phonenumbers.region_code_for_country_code(int(str(country_code).lstrip("+")))
        if found != "ZZ":
            return found
    return "IR"


def normalise_phone(phones: pd.Series, country_code: str = "98",
                    region: str | None = None) -> pd.Series:
    """Phone numbers in E.164 (``+989123456789``), validated by phonenumbers; missing for
    numbers that are not valid in ``region`` (default: the country of ``country_code``,
    Iran) or internationally.

    Persian and Arabic digits, spaces, dashes, brackets, ``00`` and ``+`` prefixes
    and the trunk ``0`` are all understood, so ``+98 912 345 6789``,
    ``0098-912-3456789``, ``09123456789`` and ``۰۹۱۲۳۴۵۶۷۸۹`` are one number.

    Examples
    --------
    >>> normalise_phone(pd.Series(["+98 912 345 6789", "۰۹۱۲-۳۴۵-۶۷۸۹", "12"])).tolist()
    ['+989123456789', '+989123456789', <NA>]
    """
    where = phone_region(country_code, region)
    text = _text(phones).str.strip()
    cache: dict[str, object] = {}

    def parse(value: str):
        if value not in cache:
            try:
                number = phonenumbers.parse(value, where)
                cache[value] = (phonenumbers.format_number(
                    number, phonenumbers.PhoneNumberFormat.E164)
                    if phonenumbers.is_valid_number(number) else pd.NA)
            except phonenumbers.NumberParseException:
                cache[value] = pd.NA
        return cache[value]

    return text.map(parse, na_action="ignore").astype("string")


def normalise_name(names: pd.Series) -> pd.Series:
    """Names compared as words: one letter form, no diacritics, lower case, no
    punctuation, sorted.

    Arabic letter forms become Persian (ي -> ی, ك -> ک), so do digits; combining
    marks go (``محمّد`` is ``محمد``, ``José`` is ``jose``); case, punctuation and
    spacing are ignored and word order does not count, so ``"Sadeghi, Maryam"``
    equals ``"MARYAM  SADEGHI"``.

    Examples
    --------
    >>> normalise_name(pd.Series(["Sadeghi, Maryam", "MARYAM  SADEGHI", "علي كريمي"])).tolist()
    ['maryam sadeghi', 'maryam sadeghi', 'علی کریمی']
    """
    t = _text(names).str.lower().str.replace(r"[^\w\s]", " ", regex=True)
    words = t.str.split()
    out = words.map(lambda w: " ".join(sorted(w)) if isinstance(w, list) else pd.NA)
    return out.where(out.str.len() > 0).astype("string")


def names_agree(x, y, similarity: float = NAME_SIMILARITY) -> bool:
    """Whether two normalised names (:func:`normalise_name`) can be one person's.

    Equal names agree; so do names whose words pair up one to one where each
    pair is equal, an initial and the word it stands for (``m rad`` and ``mina
    rad``), or the same word with a typo (rapidfuzz ratio of at least
    ``similarity``: ``sadeghi`` and ``sadeghy``). A shared surname is not enough:
    ``reza ahmadi`` and ``sara ahmadi`` do not agree, nor do ``mina rad`` and
    ``mona rad``.

    >>> names_agree("maryam sadeghy", "maryam sadeghi"), names_agree("ahmadi reza", "ahmadi sara")
    (True, False)
    """
    if pd.isna(x) or pd.isna(y):
        return False
    if x == y:
        return True
    wx, wy = x.split(), y.split()
    if len(wx) != len(wy):
        return False
    rest = list(wy)
    exact = 0
    pending = []
    for w in wx:
        if w in rest:
            rest.remove(w)
            exact += 1
        else:
            pending.append(w)
    if exact == 0 and len(wx) > 1 and not any(
            fuzz.ratio(a, b) >= similarity for a in pending for b in rest
            if len(a) > 1 and len(b) > 1):
        return False
    for w in pending:
        def score(v, w=w):
            if (len(w) == 1 and v.startswith(w)) or (len(v) == 1 and w.startswith(v)):
                return 101.0
            if min(len(v), len(w)) < 4:
                return 0.0
            return fuzz.ratio(w, v)
        best = max(rest, key=score, default=None)
        if best is None or score(best) < similarity:
            return False
        rest.remove(best)
    return True


def _repeated_digits(phone: str) -> bool:
    digits = re.sub(r"\D", "", phone)[-10:]
    return bool(re.search(r"(\d)\1{6,}", digits))


def placeholders(values: pd.Series, kind: str, max_shared: int = MAX_SHARED) -> pd.Series:
    """Which normalised phones or emails are placeholders, not evidence.

    A value shared by more than ``max_shared`` records (a shop's own number typed
    for every walk-in customer), a phone of one digit repeated (``09999999999``)
    or a form-filling email (``noemail@gmail.com``, ``test@...``) says nothing
    about who a person is.

    >>> placeholders(pd.Series(["+989999999999", "+989123456789", None]), "phone").tolist()
    [True, False, False]
    """
    values = values.astype("string")
    present = values.notna().to_numpy()
    counts = values.map(values.value_counts()).astype("float64").fillna(0).to_numpy()
    text = values.fillna("")
    if kind == "phone":
        shape = np.array([_repeated_digits(v) if v else False for v in text], dtype=bool)
    else:
        shape = np.array([bool(re.search(PLACEHOLDER_EMAILS, v)) if v else False for v in text],
                         dtype=bool)
    return present & ((counts > max_shared) | shape)


def _normalised(customers: pd.DataFrame, country_code, region, max_shared) -> pd.DataFrame:
    c = pd.DataFrame({"customer_id": customers["customer_id"].to_numpy()})
    c["email"] = normalise_email(customers["email"]).to_numpy() if "email" in customers \
        else pd.NA
    c["name"] = normalise_name(customers["name"]).to_numpy() if "name" in customers else pd.NA
    c["phone"] = (normalise_phone(customers["phone"], country_code, region).to_numpy()
                  if "phone" in customers else pd.NA)
    c["city"] = (_text(customers["city"]).str.strip().str.lower().to_numpy()
                 if "city" in customers else pd.NA)
    for key in ("phone", "email"):
        values = c[key].astype("string")
        c[f"{key}_placeholder"] = placeholders(values, key, max_shared)
        c[key] = values.mask(c[f"{key}_placeholder"])
    return c


def match_customers(customers: pd.DataFrame, country_code: str = "98",
                    region: str | None = None, max_shared: int = MAX_SHARED,
                    similarity: float = NAME_SIMILARITY) -> pd.DataFrame:
    """Pairs of customer records that are the same person, with the evidence.

    Parameters
    ----------
    customers : pandas.DataFrame
        Canonical customers: ``customer_id`` and any of ``email``, ``phone``,
        ``name``, ``city``.
    country_code, region : str
        Where phone numbers written without a country code are from: a
        phonenumbers region (``"IR"``) or its calling code (``"98"``).
    max_shared : int
        A phone or email shared by more records is a placeholder (:func:`placeholders`).
    similarity : float
        Per-word rapidfuzz ratio at which two names agree despite a typo.

    Returns
    -------
    pandas.DataFrame
        ``customer_id``, ``other_id`` (``customer_id < other_id``) and
        ``evidence``: the fields that agree, e.g. ``"phone+name"``.
    """
    c = _normalised(customers, country_code, region, max_shared)
    pairs = []
    for key in ("phone", "email"):
        k = c.dropna(subset=[key])
        m = k.merge(k, on=key, suffixes=("", "_o"))
        m = m[m["customer_id"].astype(str) < m["customer_id_o"].astype(str)] \
            if m["customer_id"].dtype == object or pd.api.types.is_string_dtype(
                m["customer_id"]) else m[m["customer_id"] < m["customer_id_o"]]
        pairs.append(m[["customer_id", "customer_id_o"]])
    cand = pd.concat(pairs).drop_duplicates().rename(columns={"customer_id_o": "other_id"})
    indexed = c.set_index("customer_id")
    a = indexed.loc[cand["customer_id"]].reset_index(drop=True)
    b = indexed.loc[cand["other_id"]].reset_index(drop=True)
    same = {f: (a[f] == b[f]).fillna(False).astype(bool) for f in ("email", "phone", "city")}
    same["name"] = pd.Series([names_agree(x, y, similarity) for x, y in zip(a["name"], b["name"])],
                             index=a.index, dtype=bool)
    # no name on one side, or names in two scripts (Latin and Persian): not comparable
    unnamed = (a["name"].isna() | b["name"].isna()
               | (a["name"].str.contains("[a-z]") != b["name"].str.contains("[a-z]"))
               .fillna(True)).to_numpy()
    is_match = (same["name"] & (same["phone"] | same["email"])) | (
        unnamed & same["phone"] & same["email"])
    evidence = pd.Series([""] * len(a))
    for f in ("phone", "email", "name", "city"):
        evidence = evidence.where(~same[f], evidence + np.where(evidence == "", "", "+") + f)
    out = cand.reset_index(drop=True).assign(evidence=evidence.to_numpy())
    return out[is_match.to_numpy()].sort_values(["customer_id", "other_id"],
                                                ignore_index=True)


def crosswalk(customers: pd.DataFrame, matches: pd.DataFrame | None = None,
              country_code: str = "98", region: str | None = None) -> pd.DataFrame:
    """Every customer id with its master id and the evidence that merged it.

    The master id of a person is the id of their earliest record (by
    ``signup_date`` when present, then by id).

    Returns
    -------
    pandas.DataFrame
        ``customer_id``, ``master_id``, ``records`` (how many ids the person
        has) and ``evidence`` (empty for records standing alone).

    Raises
    ------
    ValueError
        When a customer id has more than one record.
    """
    ids = customers["customer_id"]
    if ids.duplicated().any():
        dup = customers[ids.duplicated(keep=False)].head(6)
        raise ValueError(f"customers: {int(ids.duplicated(keep=False).sum())} records share a "
                         f"customer_id; each id must be one record:\n{dup.to_string()}")
    if matches is None:
        matches = match_customers(customers, country_code, region)
    ids = ids.to_numpy()
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


def review_groups(customers: pd.DataFrame, crosswalk_table: pd.DataFrame,
                  min_records: int = 3) -> pd.DataFrame:
    """The merged people with unusually many records, beside their records, for review.

    A person rarely has more than two ids; a group of ``min_records`` or more is
    more often a chain of weak links through a third record, and is listed here
    (largest first) so that someone looks before it is trusted.
    """
    big = crosswalk_table[crosswalk_table["records"] >= min_records]
    cols = [c for c in ("customer_id", "name", "email", "phone", "city") if c in customers]
    view = customers[cols].merge(big[["customer_id", "master_id", "records", "evidence"]],
                                 on="customer_id")
    return view.sort_values(["records", "master_id", "customer_id"],
                            ascending=[False, True, True], ignore_index=True)


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
