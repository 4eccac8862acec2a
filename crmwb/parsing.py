"""Reading text values right, or refusing them: numbers, dates, ids and booleans.

Exports arrive as text. Every canonical column is read as text and parsed
here with a strict grammar over its distinct values (so the whole column is
seen, never a sample of its first rows); :mod:`crmwb.io` applies the result to
the lines in the engine, by a plain cast where that was checked to give the
same value for every distinct value, else by joining the parsed values back.
A value is either read as the file means it or reported:

- **numbers**: one decimal mark for the whole file, ``.`` (``1,234.5``) or
  ``,`` (``1.234,5``), decided from every value when not given. Grouping
  digits in threes by the other mark, a space or an apostrophe is understood;
  ``1,5`` is one and a half, never fifteen. A file whose every separated value
  could be read either way (``1.234``) is refused, naming ``decimal``.
  Persian and Arabic digits and separators (``۱۲۳٫۵``) are understood.
- **dates**: ISO (``2024-03-05``, ``2024-03-05T10:00:00.250Z``; ``+03:30``
  offsets are converted to UTC), compact (``20240305``), day-first or
  month-first (``05/03/2024``, ``03/05/2024 10:30 PM``), decided over every
  distinct value when not given; a column where every such date could be
  read either way warns and names ``dayfirst``. Solar Hijri (Jalali) dates
  (``1403/01/05``), as Iranian systems export them, are converted to the
  Gregorian calendar (jdatetime); a column that mixes the two is refused.
- **ids** stay text, as written (``0042`` and ``42`` are two customers;
  17-digit ids stay exact); only the ``.0`` that a spreadsheet appends to
  every id of a column (``17850.0``) is taken off.
- **booleans**: true/false, yes/no, 1/0, t/f, y/n in any case.

Values that do not parse become missing; :mod:`crmwb.io` reports them with
the file, the column, the first rows and the parameter that fixes them.

Examples
--------
>>> numbers(pd.Series(["1,5", "1.234,5", "12"]), ",").tolist()
[1.5, 1234.5, 12.0]
>>> numbers(pd.Series(["1,5"]), ".").tolist()  # not a number with a decimal point
[nan]
>>> dates(pd.Series(["1403/01/05", "1403/12/30"]), dayfirst=False, jalali=True).tolist()
[Timestamp('2024-03-24 00:00:00'), Timestamp('2025-03-20 00:00:00')]
"""

from __future__ import annotations

import warnings

import ibis
import ibis.expr.types as ir
import jdatetime
import numpy as np
import pandas as pd

from crmwb import engine

#: Characters that group digits in threes besides the other decimal mark.
_GROUPING = "[ \u00a0\u202f']"
#: The grammar of a number for each decimal mark.
NUMBER_GRAMMAR = {
    ".": (rf"^[+-]?(?:[1-9]\d{{0,2}}(?:(?:,|{_GROUPING})\d{{3}})+|\d+)(?:\.\d+)?"
          r"(?:[eE][+-]?\d+)?$|^[+-]?\.\d+$"),
    ",": (rf"^[+-]?(?:[1-9]\d{{0,2}}(?:(?:\.|{_GROUPING})\d{{3}})+|\d+)(?:,\d+)?$"
          r"|^[+-]?,\d+$"),
}
#: A value that reads as a different number with either decimal mark: ``1.234``, ``12,500``.
AMBIGUOUS_NUMBER = r"^[+-]?[1-9]\d{0,2}[.,]\d{3}$"

_DATE = (r"^(?:(?P<y4>\d{4})[-/.](?P<m4>\d{1,2})[-/.](?P<d4>\d{1,2})"
         r"|(?P<yc>\d{4})(?P<mc>\d{2})(?P<dc>\d{2})(?=$)"
         r"|(?P<a>\d{1,2})[-/.](?P<b>\d{1,2})[-/.](?P<ya>\d{4}|\d{2}))"
         r"(?:[ T]+(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:[.,](?P<f>\d{1,9}))?)?"
         r"(?:\s*(?P<ampm>[AaPp])\.?[Mm]\.?)?)?"
         r"\s*(?P<tz>Z|[+-]\d{2}:?\d{2})?$")
#: Plausible years of a transaction date, after conversion to the Gregorian calendar.
YEARS = (1900, 2100)
#: Years that mark a date as Solar Hijri (1403 SH is 2024 CE).
JALALI_YEARS = (1200, 1500)

TRUE_WORDS = ("true", "t", "yes", "y", "1")
FALSE_WORDS = ("false", "f", "no", "n", "0")

_NATIVE = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "0123456789" * 2)


def ascii_digits(text: str) -> str:
    """``text`` with Persian and Arabic-Indic digits in ASCII (``۱۲۳`` -> ``123``)."""
    return str(text).translate(_NATIVE)


class ParseError(ValueError):
    """A column's values cannot be read one way only (mixed conventions, ambiguity)."""


def clean_text(col: ir.StringValue) -> ir.StringValue:
    """In the engine: trimmed text with Persian and Arabic digits in ASCII; empty is NULL."""
    text = engine.ascii_digits(col.strip())
    return ibis.ifelse(text == "", ibis.null("string"), text)


def _text(values: pd.Series) -> pd.Series:
    """Trimmed text, ASCII digits, empty as missing (pandas)."""
    s = pd.Series(values, dtype="string").str.strip()
    if s.str.contains("[^\x00-\x7f]", regex=True).any():
        s = s.str.translate(_NATIVE)
    return s.mask(s == "")


# --- numbers ----------------------------------------------------------------------------


def _number_text(text: pd.Series, decimal: str) -> pd.Series:
    # the Arabic thousands and decimal separators are unambiguous
    return text.str.replace("٬", "", regex=False).str.replace("٫", decimal, regex=False)


def numbers(values: pd.Series, decimal: str = ".") -> pd.Series:
    """Text to numbers under the grammar of ``decimal`` (:data:`NUMBER_GRAMMAR`); NaN for
    text that does not follow it."""
    text = _number_text(_text(values), decimal)
    ok = text.str.fullmatch(NUMBER_GRAMMAR[decimal]).fillna(False).astype(bool)
    other = "," if decimal == "." else "."
    digits = text.str.replace(_GROUPING, "", regex=True).str.replace(other, "", regex=False)
    if decimal == ",":
        digits = digits.str.replace(",", ".", regex=False)
    return pd.to_numeric(digits.where(ok), errors="coerce").astype("float64")


def number_evidence(values: pd.Series) -> dict[str, int]:
    """Counts over distinct number texts that decide the decimal mark: ``values``,
    ``bad.`` and ``bad,`` (values each grammar refuses) and ``ambiguous`` (values that are
    numbers under both, with different values)."""
    text = _text(values).dropna()
    counts = {"values": len(text)}
    for mark in (".", ","):
        ok = _number_text(text, mark).str.fullmatch(NUMBER_GRAMMAR[mark])
        counts[f"bad{mark}"] = int((~ok.astype(bool)).sum())
    counts["ambiguous"] = int(text.str.fullmatch(AMBIGUOUS_NUMBER).astype(bool).sum())
    return counts


def choose_decimal(evidence: dict[str, int], where: str) -> str:
    """The decimal mark the evidence of :func:`number_evidence` shows.

    The grammar that reads every value wins; when both do and some value would
    read differently under each, the file is ambiguous and refused. When neither
    reads every value, the one that reads more wins (its failures are reported).
    """
    dot, comma = evidence["bad."], evidence["bad,"]
    if dot == 0 and comma == 0:
        if evidence["ambiguous"]:
            raise ParseError(
                f"{where}: {evidence['ambiguous']} number(s) such as 1.234 or 12,500 read "
                "as different values with a decimal point or a decimal comma, and no value "
                "in the file tells which it uses: set decimal to '.' (1,234.5) or ',' "
                "(1.234,5)")
        return "."
    return "." if dot <= comma else ","


# --- ids and booleans ---------------------------------------------------------------------


def spreadsheet_suffix(values: pd.Series) -> bool:
    """Whether every id is digits and some carry a spreadsheet's ``.0`` (``17850.0``)."""
    text = _text(values).dropna()
    if text.empty:
        return False
    digits = text.str.fullmatch(r"\d+(?:\.0+)?").astype(bool)
    return bool(digits.all() and text.str.fullmatch(r"\d+\.0+").astype(bool).any())


def has_native_digits(values: pd.Series) -> bool:
    """Whether any of ``values`` has a Persian or Arabic-Indic digit."""
    return bool(pd.Series(values, dtype="string").str.contains("[۰-۹٠-٩]", regex=True).any())


def parse_id(col: ir.StringValue, drop_suffix: bool = False,
             native: bool = True) -> ir.StringValue:
    """In the engine: an id as text, trimmed, ASCII digits (when ``native`` digits may be
    there), empty as NULL, the spreadsheet's ``.0`` dropped when ``drop_suffix`` (then
    every id is digits, with or without it)."""
    text = engine.ascii_digits(col.strip()) if native else col.strip()
    if drop_suffix:
        dot = text.find(".")
        text = ibis.ifelse(dot >= 0, text.substr(0, dot), text)
    return ibis.ifelse(text == "", ibis.null("string"), text)


def booleans(values: pd.Series) -> pd.Series:
    """true/false, yes/no, 1/0, t/f, y/n (any case) to booleans; missing for other text."""
    text = _text(values).str.lower()
    out = pd.Series(pd.NA, index=text.index, dtype="boolean")
    out[text.isin(TRUE_WORDS)] = True
    out[text.isin(FALSE_WORDS)] = False
    return out


# --- dates -----------------------------------------------------------------------------------


def date_parts(values: pd.Series) -> pd.DataFrame:
    """The shape (``ymd``, ``ab`` for day/month either way) and numbers of text dates."""
    text = _text(values)
    # Python's regular expressions over plain objects: much faster than on Arrow strings here
    p = text.astype(object).where(text.notna(), "").str.extract(_DATE)
    p = p.where(p.notna(), None)
    shape = np.where(p["y4"].notna() | p["yc"].notna(), "ymd",
                     np.where(p["a"].notna(), "ab", None))
    num = {k: p[k].astype("float64") for k in
           ("y4", "m4", "d4", "yc", "mc", "dc", "a", "b", "ya", "H", "M", "S")}
    out = pd.DataFrame({
        "shape": shape,
        "y": num["y4"].fillna(num["yc"]).fillna(num["ya"]),
        "first": num["m4"].fillna(num["mc"]).fillna(num["a"]),
        "second": num["d4"].fillna(num["dc"]).fillna(num["b"]),
        "H": num["H"], "M": num["M"], "S": num["S"], "frac": p["f"],
        "ampm": p["ampm"].fillna("").astype(str).str.upper(),
        "tz": p["tz"].fillna("").astype(str),
        "unparsed": text.notna().to_numpy() & (shape == None),  # noqa: E711 - elementwise
    }, index=values.index)
    short = (out["shape"] == "ab") & (out["y"] < 100)
    out.loc[short, "y"] = out.loc[short, "y"] + np.where(out.loc[short, "y"] < 69, 2000, 1900)
    return out


def date_evidence(values: pd.Series, parts: pd.DataFrame | None = None) -> dict[str, int]:
    """Counts over distinct date texts that decide how to read them: ``values``, ``ab``
    (day/month dates), ``first_over_12`` and ``second_over_12`` (``ab`` dates whose first
    or second number cannot be a month), ``jalali`` and ``gregorian`` (dates whose year is
    in :data:`JALALI_YEARS`, or later). ``parts`` (:func:`date_parts`) saves parsing twice."""
    p = date_parts(values) if parts is None else parts
    ab = p["shape"] == "ab"
    dated = p["shape"].notna()
    return {
        "values": int(p["shape"].notna().sum() + p["unparsed"].sum()),
        "ab": int(ab.sum()),
        "first_over_12": int((ab & (p["first"] > 12)).sum()),
        "second_over_12": int((ab & (p["second"] > 12)).sum()),
        "jalali": int((dated & (p["y"] >= JALALI_YEARS[0]) & (p["y"] < JALALI_YEARS[1])).sum()),
        "gregorian": int((dated & (p["y"] >= JALALI_YEARS[1])).sum()),
    }


def choose_date_reading(evidence: dict[str, int], dayfirst: bool | None, where: str,
                        default_dayfirst: bool = False) -> tuple[bool, bool]:
    """``(dayfirst, jalali)`` for a column, from :func:`date_evidence`.

    Raises
    ------
    ParseError
        When some dates are day-first and others month-first, or the column mixes
        Solar Hijri and Gregorian years.
    """
    if evidence["jalali"] and evidence["gregorian"]:
        raise ParseError(
            f"{where}: {evidence['jalali']} date(s) have Solar Hijri years (13xx, 14xx) and "
            f"{evidence['gregorian']} have Gregorian years: one column holds one calendar")
    jalali = evidence["jalali"] > 0
    if dayfirst is not None:
        return bool(dayfirst), jalali
    first, second = evidence["first_over_12"], evidence["second_over_12"]
    if first and second:
        raise ParseError(
            f"{where}: {first} date(s) can only be day-first (a day above 12 first) and "
            f"{second} only month-first: the column mixes both orders; fix the export, or "
            "set dayfirst to read one order and have the others reported")
    if first:
        return True, jalali
    if second:
        return False, jalali
    if evidence["ab"]:
        order = "day-first" if default_dayfirst else "month-first"
        warnings.warn(
            f"{where}: each of the {evidence['ab']} distinct day/month date(s) could be "
            f"day-first or month-first (no day above 12); read as {order}. Set dayfirst to "
            "True (31/12/2024) or False (12/31/2024) to say which the file uses", stacklevel=3)
    return default_dayfirst, jalali


def _jalali_to_gregorian(y: pd.Series, m: pd.Series, d: pd.Series) -> pd.Series:
    """Gregorian dates of Solar Hijri y/m/d (jdatetime, once per distinct date); NaT for
    dates that do not exist (month 13, 1402/12/30)."""
    triples = pd.DataFrame({"y": y, "m": m, "d": d})
    out = pd.Series(pd.NaT, index=y.index, dtype="datetime64[ns]")
    ok = triples.notna().all(axis=1)
    cache: dict[tuple, pd.Timestamp] = {}
    for key in set(map(tuple, triples[ok].astype(int).to_numpy())):
        try:
            cache[key] = pd.Timestamp(jdatetime.date(*map(int, key)).togregorian())
        except (ValueError, OverflowError):
            cache[key] = pd.NaT
    out[ok] = [cache[k] for k in map(tuple, triples[ok].astype(int).to_numpy())]
    return out


def dates(values: pd.Series, dayfirst: bool, jalali: bool = False,
          parts: pd.DataFrame | None = None) -> pd.Series:
    """Text dates to timestamps (UTC for dates with an offset); NaT for text that is no
    date, an impossible date (2024-02-30, month 13, hour 25) or a year outside
    :data:`YEARS`."""
    p = date_parts(values) if parts is None else parts
    ab = p["shape"] == "ab"
    swap = ab & bool(dayfirst)
    month = p["first"].where(~swap, p["second"])
    day = p["second"].where(~swap, p["first"])
    if jalali:
        day0 = _jalali_to_gregorian(p["y"], month, day)
    else:
        frame = pd.DataFrame({"year": p["y"], "month": month, "day": day})
        valid = frame.notna().all(axis=1) & frame["month"].between(1, 12) & \
            frame["day"].between(1, 31) & frame["year"].between(1, 9999)
        day0 = pd.Series(pd.NaT, index=p.index, dtype="datetime64[ns]")
        if valid.any():
            day0[valid] = pd.to_datetime(frame[valid].astype(int), errors="coerce")
    hour = p["H"].fillna(0)
    twelve = p["ampm"] != ""
    hour_ok = ~twelve | hour.between(1, 12)
    hour = hour.where(~twelve, hour % 12 + np.where(p["ampm"] == "P", 12, 0))
    frac = pd.to_numeric(p["frac"].str.slice(0, 6).str.ljust(6, "0"), errors="coerce").fillna(0)
    ok = p["shape"].notna() & hour_ok & hour.between(0, 23) & p["M"].fillna(0).between(0, 59) \
        & p["S"].fillna(0).between(0, 59)
    tz = p["tz"].astype(str)
    sign = np.where(tz.str.startswith("-"), -1, 1)
    offset = pd.to_numeric(tz.str.slice(1, 3), errors="coerce").fillna(0) * 60 + \
        pd.to_numeric(tz.str.extract(r"(\d{2})$")[0], errors="coerce").fillna(0)
    offset = offset.where(tz.str.match(r"^[+-]"), 0) * sign
    stamp = day0 + pd.to_timedelta(hour * 3600 + p["M"].fillna(0) * 60 + p["S"].fillna(0),
                                   unit="s") + pd.to_timedelta(frac, unit="us") \
        - pd.to_timedelta(offset, unit="min")
    stamp = stamp.where(ok)
    return stamp.where((stamp.dt.year >= YEARS[0]) & (stamp.dt.year < YEARS[1]))
