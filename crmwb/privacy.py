"""Personal data in reports and exports: masked by default, ids pseudonymised on request.

The reports and the exported customer table are for analysis and for the
operational side of CRM, not for reading out who a customer is. Names, emails
and phones are masked (:func:`mask_personal`) unless a notebook's
``show_personal`` parameter asks for them, and with ``pseudonymize`` customer
ids become a keyed hash (:func:`pseudonymize_ids`): HMAC-SHA256 under a secret
read from an environment variable, the same for the same id and secret on
every run, and not reversible without the secret (an unkeyed hash of a
customer number could be undone by hashing every possible number).

Examples
--------
>>> mask_personal(pd.DataFrame({"email": ["reza.sadeghi@chmail.ir"], "phone": ["09121234567"]}))
             email        phone
0  re•••@chmail.ir  0912•••••67
>>> pseudonymize_ids(pd.Series([10207, 10207, 10332]), "not-a-real-secret").tolist()
['c-141938d47b486a71', 'c-141938d47b486a71', 'c-de956ecbc5f7ef63']
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import os
import re

import numpy as np
import pandas as pd

#: columns holding personal data, masked or dropped unless asked for
PERSONAL_COLUMNS = ("name", "email", "phone")
#: environment variable holding the pseudonymisation secret
SECRET_VARIABLE = "CRMWB_PSEUDONYM_KEY"
#: shortest secret accepted: a short one could be guessed
MIN_SECRET_LENGTH = 16
_DOT = "\u2022"


def secret_from_env(variable: str = SECRET_VARIABLE) -> str:
    """The pseudonymisation secret from the environment; an error naming the variable if unset."""
    secret = os.environ.get(variable, "")
    if len(secret) < MIN_SECRET_LENGTH:
        found = "is not set" if not secret else f"has only {len(secret)} characters"
        raise ValueError(
            f"pseudonymize needs a secret of at least {MIN_SECRET_LENGTH} characters in the "
            f"environment variable {variable}, which {found}; e.g. "
            f"export {variable}=$(python -c 'import secrets; print(secrets.token_hex(16))') "
            "and keep it to re-identify customers later")
    return secret


def pseudonymize_ids(ids: pd.Series, secret: str, length: int = 16) -> pd.Series:
    """Customer ids replaced by ``c-`` and the first ``length`` hex digits of HMAC-SHA256.

    The same id and secret give the same pseudonym on every run and machine,
    whatever the id column's type (``7``, ``7.0`` and ``"7"`` are one id);
    without the secret the id cannot be recovered. Missing ids stay missing.
    """
    if not secret:
        raise ValueError("pseudonymize_ids needs a non-empty secret")
    key = secret.encode()

    def one(value) -> str:
        if isinstance(value, (float, np.floating)) and float(value).is_integer():
            value = int(value)
        digest = hmac.new(key, str(value).strip().encode(), hashlib.sha256).hexdigest()
        return f"c-{digest[:length]}"

    uniques = ids.dropna().unique()
    mapping = {u: one(u) for u in uniques}
    return ids.map(mapping).astype("string").rename(ids.name)


def _mask_email(value: str) -> str:
    user, at, domain = value.partition("@")
    return f"{user[:2]}{_DOT * 3}{at}{domain}" if at else _mask_text(value)


def _mask_phone(value: str) -> str:
    digits = [c for c in value if c.isdigit()]  # Persian and Arabic-Indic digits too
    if len(digits) < 7:
        return _DOT * len(value)
    return "".join(digits[:4]) + _DOT * (len(digits) - 6) + "".join(digits[-2:])


def _mask_text(value: str) -> str:
    words = value.split()
    return " ".join(w[:1] + "." for w in words) if words else value


_MASKS = {"email": _mask_email, "phone": _mask_phone, "name": _mask_text, "text": _mask_text}

#: words of a column name that say it holds an email, a phone number or a person's name,
#: in English and Persian (headers of an export are matched word by word)
PERSONAL_WORDS = {
    "email": {"email", "e_mail", "mail", "emailaddress", "ایمیل", "رایانامه", "پست_الکترونیک"},
    "phone": {"phone", "mobile", "tel", "telephone", "cellphone", "fax", "msisdn",
              "تلفن", "موبایل", "همراه", "تماس", "شماره_تماس", "شماره_همراه"},
    "name": {"name", "surname", "firstname", "lastname", "fullname", "نام", "نام_خانوادگی"},
}
#: words that may stand beside "name" in the header of a person's name (``customer_name``,
#: ``name_a`` of a pair of duplicate candidates, ``نام مشتری``)
_PERSON_QUALIFIERS = {"first", "last", "full", "given", "family", "middle", "customer",
                      "client", "contact", "person", "member", "owner", "buyer", "user",
                      "a", "b", "x", "y", "fa", "en", "and", "و", "مشتری", "خانوادگی", "کامل",
                      "خریدار"}
#: the name of a thing, not of a person: ``product_name``, ``cluster_name``, ``نام کالا``
_THING_WORDS = {"product", "item", "brand", "category", "cluster", "segment", "store", "shop",
                "campaign", "city", "country", "region", "channel", "type", "file", "column",
                "model", "feature", "level", "group", "stage", "kind", "driver", "rule",
                "کالا", "محصول", "برند", "دسته", "شهر", "استان", "فروشگاه", "کمپین", "گروه"}


def _words(column) -> list[str]:
    text = re.sub(r"[\s\-./]+", "_", str(column).strip().lower().replace("\u200c", ""))
    joined = text.replace("_", "")
    parts = [w for w in text.split("_") if w]
    return [*parts, joined, text]


def personal_kind(column) -> str | None:
    """What personal data a column's name says it holds: ``"email"``, ``"phone"``,
    ``"name"``, or None.

    >>> [personal_kind(c) for c in ["mobile", "e_mail", "cluster_name", "name_a", "نام مشتری"]]
    ['phone', 'email', None, 'name', 'name']
    """
    words = _words(column)
    parts = set(words[:-2])
    if any(w in PERSONAL_WORDS["email"] for w in words):
        return "email"
    if any(w in PERSONAL_WORDS["phone"] for w in words) and not parts & {"share", "rate",
                                                                         "contacts", "count"}:
        return "phone"
    if any(w in PERSONAL_WORDS["name"] for w in words):
        others = parts - PERSONAL_WORDS["name"] - {"نام"}
        if not others & _THING_WORDS and others <= _PERSON_QUALIFIERS | {
                w for w in others if w.isdigit()}:
            return "name"
    return None


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+?[\d\s\-().]{7,20}$")


def _content_kind(values: pd.Series) -> str | None:
    """``"email"`` or ``"phone"`` when most of a text column's values look like them."""
    sample = values.dropna().astype(str).str.strip().head(200)
    sample = sample[sample != ""]
    if sample.empty:
        return None
    if sample.str.match(_EMAIL).mean() >= 0.5:
        return "email"
    digits = sample.map(lambda v: sum(c.isdigit() for c in v))
    phoneish = sample.map(lambda v: bool(_PHONE.match(_ascii_digits(v)))) & (digits >= 7)
    if phoneish.mean() >= 0.5:
        return "phone"
    return None


def _ascii_digits(value: str) -> str:
    return "".join(str(int(c)) if c.isdigit() else c for c in value)


@functools.lru_cache(maxsize=1)
def _safe_columns() -> frozenset[str]:
    """Columns known to hold no personal data: the canonical tables' columns other than
    names, emails and phones, and every column crmwb computes (the glossary labels them)."""
    from crmwb.glossary import LABELS
    from crmwb.schema import TABLES

    known = {c for spec in TABLES.values() for c in spec.column_names}
    known |= set(LABELS["en"])
    return frozenset(c for c in known if personal_kind(c) is None)


def _is_plain_number(values: pd.Series) -> bool:
    """Numbers, flags, dates or durations: in a column of that type, or every value one of
    them in a column of objects (a customer's profile turned into one row: its average
    basket 611.0250000000001 is a number, never a phone number)."""
    if (pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values)
            or pd.api.types.is_datetime64_any_dtype(values)
            or pd.api.types.is_timedelta64_dtype(values)):
        return True
    present = values.dropna()
    plain = (int, float, np.number, np.bool_, bool, pd.Timestamp, pd.Timedelta)
    return (values.dtype == object and len(present) > 0
            and present.map(lambda v: isinstance(v, plain)).all())


def personal_columns(frame: pd.DataFrame) -> dict[str, str]:
    """The columns of ``frame`` that :func:`mask_personal` masks, with what they hold.

    A column is published in clear only when it is known to be safe: a column of the
    canonical tables or one crmwb computes (:func:`_safe_columns`), or numbers, dates or
    flags under a name that says nothing personal. Everything else is masked: a name,
    email or phone by its header (``mobile``, ``e_mail``, ``نام``) or by its values
    (``x@y.ir``, ``۰۹۱۲ ۱۲۳ ۴۵۶۷``), and any other unknown text as a name would be.
    """
    safe = _safe_columns()
    found = {}
    for col in frame.columns:
        kind = personal_kind(col)
        values = frame[col]
        if kind is None and _is_plain_number(values):
            continue
        if kind is None:  # a safe header over emails or phone numbers is masked all the same
            kind = _content_kind(values)
        if kind is None and (str(col) in safe or _names_a_thing(col)):
            continue
        found[col] = kind or "text"
    return found


def _names_a_thing(column) -> bool:
    """``product_name``, ``top_product``, ``نام کالا``: a thing (or its name), not a person."""
    return bool(set(_words(column)[:-2]) & _THING_WORDS)


def mask_personal(frame: pd.DataFrame, columns=None) -> pd.DataFrame:
    """A copy with personal data masked, keeping enough to see why records match.

    Emails keep two letters and the domain, phones the first four and last two
    digits, names and other unknown text their initials. Which columns: those
    given, or every column not known to be safe (:func:`personal_columns`):
    ``cluster_name`` and ``product_name`` stay, ``mobile``, ``e_mail`` and
    ``نام مشتری`` are masked.
    """
    out = frame.copy()
    kinds = (personal_columns(out) if columns is None
             else {c: personal_kind(c) or _content_kind(out[c]) or "name" for c in columns})
    for col, kind in kinds.items():
        mask = _MASKS[kind]
        values = out[col]
        out[col] = values.map(lambda v, m=mask: m(str(v)) if pd.notna(v) else v).astype(object)
    out.attrs["masked"] = list(kinds)
    return out


def drop_personal(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy without the personal-data columns (:data:`PERSONAL_COLUMNS`)."""
    return frame.drop(columns=[c for c in PERSONAL_COLUMNS if c in frame.columns])


def publish(frame: pd.DataFrame, show_personal: bool = False, pseudonymize: bool = False,
            secret: str | None = None) -> pd.DataFrame:
    """A frame ready to show or export: personal data masked, ids pseudonymised on request.

    Without ``show_personal``, name, email and phone columns are masked
    (:func:`mask_personal`). With ``pseudonymize``, the
    ``customer_id`` index or column becomes a keyed hash under ``secret``
    (by default from the environment variable
    :data:`SECRET_VARIABLE`).
    """
    out = frame if show_personal else mask_personal(frame)
    if pseudonymize:
        key = secret or secret_from_env()
        out = out.copy()
        if out.index.name == "customer_id":
            out.index = pd.Index(pseudonymize_ids(out.index.to_series(), key),
                                 name="customer_id")
        for col in [c for c in out.columns if c in ("customer_id", "master_id")]:
            out[col] = pseudonymize_ids(out[col], key)
    return out


#: notebook parameters that name a customer: with ``pseudonymize`` they are given, shown and
#: kept as pseudonyms (a notebook finds a customer by id or by pseudonym)
ID_PARAMETERS = ("card_customer",)


def pseudonymous_parameters(params: dict, masked: bool = False) -> dict:
    """``params`` with the customers they name replaced by pseudonyms, when they ask for
    ``pseudonymize``; without a secret in the environment (or with ``masked``) the ids
    are masked instead. Ids already pseudonymous (``c-...``) are kept.

    >>> pseudonymous_parameters({"pseudonymize": True, "card_customer": "10207"}, masked=True)
    {'pseudonymize': True, 'card_customer': '10•••'}
    """
    if not params.get("pseudonymize"):
        return params
    out = dict(params)
    for name in ID_PARAMETERS:
        value = out.get(name)
        if value in (None, "") or str(value).startswith("c-"):
            continue
        secret = None
        if not masked:
            try:
                secret = secret_from_env()
            except ValueError:  # the notebook says so; the id is never printed meanwhile
                pass
        out[name] = (pseudonymize_ids(pd.Series([value]), secret).iloc[0] if secret
                     else str(value)[:2] + _DOT * 3)
    return out
