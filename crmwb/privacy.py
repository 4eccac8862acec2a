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

import hashlib
import hmac
import os

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
    digits = [c for c in value if c.isdigit()]
    if len(digits) < 7:
        return _DOT * len(value)
    return "".join(digits[:4]) + _DOT * (len(digits) - 6) + "".join(digits[-2:])


def _mask_text(value: str) -> str:
    words = value.split()
    return " ".join(w[:1] + "." for w in words) if words else value


def mask_personal(frame: pd.DataFrame, columns=None) -> pd.DataFrame:
    """A copy with names, emails and phones masked, keeping enough to see why records match.

    Emails keep two letters and the domain, phones the first four and last
    two digits, names their initials; other columns are untouched. Any column
    whose name contains ``name``, ``email`` or ``phone`` is masked (e.g.
    ``email_a`` in a pair of duplicate candidates).
    """
    out = frame.copy()
    columns = columns or [c for c in out.columns
                          if any(p in str(c).lower() for p in PERSONAL_COLUMNS)]
    for col in columns:
        kind = next((p for p in ("email", "phone") if p in str(col).lower()), "name")
        mask = {"email": _mask_email, "phone": _mask_phone, "name": _mask_text}[kind]
        values = out[col]
        out[col] = values.map(lambda v, m=mask: m(str(v)) if pd.notna(v) else v).astype(object)
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
