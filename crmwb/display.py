"""Tables as a reader reads them: every column formatted by what it is, in the reader's language.

One display layer serves every notebook. :func:`crmwb.i18n.use_language` makes it the way
a notebook shows a DataFrame or a Series, so a cell that ends in a table shows
:func:`styled` of it: a pandas Styler, whose HTML the reports keep. Nothing here changes
data; exported files keep their raw column names and values.

What a column is (its *kind*) is read from its name by :data:`RULES` (``revenue_share`` is
a share, ``clv`` money, ``recency_days`` days), from its type when no rule names it
(datetimes are dates, integers counts), or told: ``kinds={"x": "money"}`` or a table's
``attrs["kinds"]``, which functions of crmwb set on the tables they return.

Kinds and how they read (English; Persian digits and separators when asked):

========== ======================= =========================================
kind       example                 rule
========== ======================= =========================================
share      13.2%                   a fraction of 1, as percent, one decimal
percent    13.2%                   already in percent, one decimal
money      1,608,998.83            thousands separators, two decimals
count      5,000                   integer, thousands separators
mean       24.03                   a mean of counts, two decimals
days       12.3                    days, one decimal (integers stay whole)
rate       4.7                     per 1,000, one decimal
probability 0.873                  three digits
ratio      1.25                    lift, odds and the like, two decimals
date       2025-03-05              no time at midnight (Jalali in Persian)
month      Mar 2025, فروردین ۱۴۰۳  a "month" column of months' first days (reader's calendar)
id         10000                   as written: ids, codes, names, never digits
text       Champions               translated when the glossary has the word
number     0.0123                  by the column's size, at most four decimals
========== ======================= =========================================

Missing values read as a dash. Headers are the glossary's labels in the reader's
language; a name the glossary lacks is written out in words (``mean_recency_days`` ->
``Mean recency days``), never left in snake_case. A long table shows its first rows and
says so: "10 of 5,000 rows".

Examples
--------
>>> frame = pd.DataFrame({"revenue": [1608998.484], "revenue_share": [0.348718],
...                       "customers": [659]})
>>> [kind(frame, c) for c in frame]
['money', 'share', 'count']
>>> formatter("share")(0.348718), formatter("money")(1608998.484)
('34.9%', '1,608,998.48')
>>> formatter("share", persian_digits=True)(0.348718)
'۳۴٫۹٪'
>>> header("orders_per_week", "en"), header("mean_recency_days", "en")
('Orders per week', 'Mean days since last purchase')
"""

from __future__ import annotations

import itertools
import json
import math
import re
from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd

from crmwb import i18n
from crmwb.glossary import LABELS, glossary

#: the dash a missing value reads as
MISSING = "—"
#: rows a long table shows (its first ones), and the length from which it is cut
SHOWN_ROWS = 10
LONG_TABLE = 60  # as pandas cuts: a customer record of 45 fields is shown whole

KINDS = ("share", "percent", "money", "count", "mean", "days", "rate", "probability",
         "ratio", "date", "month", "id", "text", "number", "bool")

#: a column's kind from its name: the first rule whose pattern matches the whole name
#: (lower case) wins; names are the data's own (``revenue_share``), never the labels
RULES: tuple[tuple[str, str], ...] = (
    (r".*(_id|_ids|^id)|id|pseudonym|.*_code|code|product|product_id|stock_code|sku"
     r"|invoice|master_id|customer|antecedents?|consequents?|items?|itemset|sequence"
     r"|rule|name|email|phone|city|path|file", "id"),
    (r"(p_alive|prob.*|.*_probability|probability|.*_prob|risk|churn_risk|.*_risk"
     r"|leverage|roc_auc|auc|.*_auc|pr_auc|brier|precision|recall|f1|accuracy|gini)",
     "probability"),
    (r".*per_1000(_.*)?|.*per_thousand(_.*)?|.*_per_1k(_.*)?", "rate"),
    (r".*_pct|.*_percent|percent|pct", "percent"),
    (r".*share.*|.*_rate|rate|.*support|confidence|coverage|retention(_.*)?|survival(_.*)?"
     r"|churn|churned|response|.*_ratio_of_.*|margin_rate|nps.*|.*_fraction", "share"),
    (r"lift|conviction|zhangs_metric|.*ratio|odds.*|elasticity|multiple|kulczynski"
     r"|jaccard|cosine", "ratio"),
    (r"purchase_days|active_days|.*_count_days", "count"),
    (r".*_days|days|recency|tenure|.*_days_.*|lead_time|.*_duration", "days"),
    (r".*(revenue|monetary|clv|value|margin|profit|spend|cost|charges|price|basket"
     r"|amount|income|sales|payment|refund|discount_value|dert|budget|offer|incentive)"
     r"(_.*)?", "money"),
    (r"(mean|avg|average|expected)_.*|.*_(mean|avg|average)|frequency|mean", "mean"),
    (r".*(customers|invoices|lines|quantity|purchases|orders|count|complaints|contacts"
     r"|rows|items_bought|baskets|brands|products|categories|visits|size|rank|score)"
     r"(_.*)?|(.*_)?n(_.*)?|subscribers", "count"),
)
_RULES = tuple((re.compile(p), k) for p, k in RULES)

_PERSIAN = str.maketrans("0123456789.,%-", "۰۱۲۳۴۵۶۷۸۹٫٬٪−")


def _persian(text: str) -> str:
    """Latin digits and the separators of a formatted number in their Persian forms."""
    return text.translate(_PERSIAN)


def _key(name, lang: str) -> str:
    """The data's name of a column: a label of the glossary back to its key."""
    if not isinstance(name, str):
        return str(name)
    return _KEYS[lang].get(name) or _KEYS["en"].get(name) or name


#: each language's labels back to their keys (the first key of a label shared by several)
_KEYS = {lang: {label: key for key, label in reversed(labels.items())}
         for lang, labels in LABELS.items()}


def kind(frame: pd.DataFrame, column, kinds: Mapping | None = None, lang: str = "en") -> str:
    """What ``frame[column]`` is: one of :data:`KINDS` (see the module's table)."""
    return _kind_of(frame[column], column, {**frame.attrs.get("kinds", {}), **(kinds or {})},
                    lang)


def _months(values, name, lang: str) -> bool:
    """Whether a column of dates named for months holds only months' first days in the
    reader's calendar: shown as months (``Mar 2024``, ``فروردین ۱۴۰۳``)."""
    from crmwb import calendars, i18n

    if not i18n.names_months(_key(name, lang)):
        return False
    if isinstance(values.dtype, pd.PeriodDtype):
        if i18n.reader_calendar(lang) != "gregorian":
            return False  # a Gregorian month has no Jalali month of its own
        values = pd.PeriodIndex(values).to_timestamp()
    return calendars.is_month_start(values, i18n.reader_calendar(lang))


def _kind_of(values: pd.Series | pd.Index, name, told: Mapping, lang: str) -> str:
    if name in told:
        return told[name]
    dtype = values.dtype
    if isinstance(dtype, pd.PeriodDtype) or pd.api.types.is_datetime64_any_dtype(dtype):
        return "month" if _months(values, name, lang) else "date"
    if pd.api.types.is_bool_dtype(dtype):
        return "bool"
    numeric = pd.api.types.is_numeric_dtype(dtype)
    key = _key(name, lang).lower().replace(" ", "_")
    for pattern, found in _RULES:
        if pattern.fullmatch(key):
            if found == "count" and pd.api.types.is_float_dtype(dtype) \
                    and values.notna().any() and not _whole(values):
                return "number"  # named like a count, but 0.78 must not read as "1"
            if found in ("id", "text") or numeric:
                return found
            break
    if not numeric:
        sample = pd.Series(values).dropna().head(50)
        if len(sample) and sample.map(lambda v: isinstance(v, pd.Timestamp)).all():
            return "date"
        return "text"
    if pd.api.types.is_integer_dtype(dtype):
        return "count"
    return "number"


def _decimals_for(values) -> int:
    """Decimals for a column of plain numbers: by the size of its typical value."""
    finite = np.abs(np.asarray(values, dtype=float))
    finite = finite[np.isfinite(finite) & (finite > 0)]
    if not len(finite):
        return 2
    typical = float(np.median(finite))
    if typical >= 100:
        return 1 if typical < 1000 else 0
    if typical >= 1:
        return 2
    return min(4, max(2, 1 - math.floor(math.log10(typical)) + 1))


def _missing(v) -> bool:
    """Whether one value is missing: None, NaN, NaT or pandas' NA (a list is not)."""
    if v is None:
        return True
    if np.ndim(v) != 0:
        return False
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def formatter(kind_: str, lang: str = "en", persian_digits: bool = False,
              decimals: int | None = None, with_time: bool | None = None) -> Callable:
    """A function writing one value of a column of ``kind_`` as the reader reads it.

    ``decimals`` overrides the kind's; a date shows its time when ``with_time`` (by
    default when the value is not at midnight: give the column's answer for one format)."""
    words = glossary(lang)

    def number(spec: str):
        def write(v):
            if _missing(v):
                return MISSING
            if isinstance(v, str):
                return v
            v = float(v)
            if math.isinf(v):
                return "∞" if v > 0 else "−∞"
            text = format(v, spec)
            if text.startswith("-") and float(text.lstrip("-").replace(",", "").rstrip("%")) == 0:
                text = text[1:]  # -0.0 reads as 0.0
            return _persian(text) if persian_digits else text
        return write

    if kind_ == "share":
        inner = number(".1%")
    elif kind_ == "percent":
        base, sign = number(",.1f"), "٪" if persian_digits else "%"

        def inner(v):
            text = base(v)
            return text if text == MISSING else text + sign
    elif kind_ == "money":
        inner = number(f",.{2 if decimals is None else decimals}f")
    elif kind_ == "count":
        inner = number(",.0f")
    elif kind_ in ("mean", "ratio"):
        inner = number(f",.{2 if decimals is None else decimals}f")
    elif kind_ in ("days", "rate"):
        inner = number(f",.{1 if decimals is None else decimals}f")
    elif kind_ == "probability":
        inner = number(f".{3 if decimals is None else decimals}f")
    elif kind_ == "number":
        inner = number(f",.{2 if decimals is None else decimals}f")
    elif kind_ == "date":
        inner = _date_writer(lang, persian_digits, with_time)
    elif kind_ == "month":
        from crmwb import i18n

        def inner(v):
            if _missing(v):
                return MISSING
            return i18n.month_label(v, lang, persian_digits=persian_digits)
    elif kind_ == "bool":
        def inner(v):
            if _missing(v):
                return MISSING
            return words.word("yes" if v else "no")
    elif kind_ == "id":
        def inner(v):
            if _missing(v):
                return MISSING
            if isinstance(v, (float, np.floating)) and float(v).is_integer():
                return str(int(v))
            return str(v)
    else:  # text
        def inner(v):
            if _missing(v):
                return MISSING
            if isinstance(v, (list, tuple, frozenset, set)):
                return ", ".join(str(words.word(x)) for x in v)
            if isinstance(v, (bool, np.bool_)):  # among other values (a customer's profile)
                return words.word("yes" if v else "no")
            if isinstance(v, (float, np.floating)):
                return number(",.2f")(v)
            if isinstance(v, (int, np.integer)) and not isinstance(v, bool):
                return number(",.0f")(v)
            if isinstance(v, pd.Timestamp):
                return _date_writer(lang, persian_digits)(v)
            text = str(words.word(v))
            return text
    return inner


def _date_writer(lang: str, persian_digits: bool, with_time: bool | None = None) -> Callable:
    from crmwb import i18n

    def write(v):
        if _missing(v):
            return MISSING
        if isinstance(v, str):
            return v
        calendar = i18n.reader_calendar(lang)
        if isinstance(v, pd.Period) and v.freqstr.startswith("M") and calendar == "gregorian":
            return i18n.month_label(v.to_timestamp(), lang, calendar, persian_digits)
        if isinstance(v, pd.Period):
            v = v.to_timestamp()
        ts = pd.Timestamp(v)
        midnight = ts.hour == ts.minute == ts.second == 0 if with_time is None \
            else not with_time
        if calendar == "jalali":
            text = i18n.jalali(ts, "%Y/%m/%d" if midnight else "%Y/%m/%d %H:%M")
        else:
            text = ts.strftime("%Y-%m-%d" if midnight else "%Y-%m-%d %H:%M")
        return _persian(text) if persian_digits else text

    return write


def header(name, lang: str = "en") -> str:
    """A column's header in the reader's language: the glossary's label, else its name in
    words (``orders_per_week`` -> ``Orders per week``, ``wait_days`` -> ``Wait (days)``)."""
    if not isinstance(name, str):
        return name if name is None else str(name)
    labels = LABELS[lang]
    if name in labels:
        return labels[name]
    if name in LABELS["en"].values() or name in labels.values():
        return name  # already a label
    words = glossary(lang)
    if words.word(name) != name:  # a name of labelled words: a cluster's
        return words.word(name)
    parts = [p for p in re.split(r"[_\s]+", name) if p]
    if not parts or not re.fullmatch(r"[A-Za-z0-9_ ]+", name):
        return name
    unit = ""
    if len(parts) > 1 and parts[-1] in ("days", "pct", "percent"):
        unit = {"days": "days", "pct": "%", "percent": "%"}[parts.pop()]
        unit = f" ({words.word(unit)})"
    text = " ".join(parts if lang == "en" else (str(words.word(p)) for p in parts))
    return text[:1].upper() + text[1:] + unit


def _whole(values) -> bool:
    """Whether every known value of a numeric column is a whole number."""
    if not pd.api.types.is_numeric_dtype(values.dtype) or pd.api.types.is_bool_dtype(values.dtype):
        return False
    known = np.asarray(values.dropna(), dtype=float)
    known = known[np.isfinite(known)]
    return bool(len(known)) and bool((known == np.round(known)).all())


def _with_time(values) -> bool:
    """Whether a column of dates needs its times: some value is not at midnight."""
    try:
        ts = pd.DatetimeIndex(pd.Series(values).map(
            lambda v: v.to_timestamp() if isinstance(v, pd.Period) else v))
    except (TypeError, ValueError):
        return False
    known = ts[ts.notna()]
    return bool(len(known)) and not bool(
        ((known.hour == 0) & (known.minute == 0) & (known.second == 0)).all())


def _is_default_index(index: pd.Index) -> bool:
    return isinstance(index, pd.RangeIndex) and index.name is None


def styled(data: pd.DataFrame | pd.Series, lang: str = "en", persian_digits: bool = False,
           kinds: Mapping | None = None, rows: int | None = None,
           caption: str | None = None):
    """A table for the reader: a pandas Styler with every column formatted by its kind,
    missing values as a dash and headers in the reader's language.

    Parameters
    ----------
    data : DataFrame or Series
    lang, persian_digits
        The reader's language, and Persian digits and separators.
    kinds : mapping, optional
        The kind of a column where its name does not tell (see :data:`KINDS`).
    rows : int, optional
        Show only the first ``rows`` rows and say how many there are. By default a table
        of more than :data:`LONG_TABLE` rows shows its first :data:`SHOWN_ROWS`.
    caption : str, optional
        A caption above the table (before the row count).
    """
    frame = data.to_frame() if isinstance(data, pd.Series) else data
    if isinstance(data, pd.Series) and data.name is None:
        frame.columns = [glossary(lang)("value") if "value" in LABELS[lang] else "value"]
    total = len(frame)
    limit = rows if rows is not None else (SHOWN_ROWS if total > LONG_TABLE else total)
    told = {**frame.attrs.get("kinds", {}), **(kinds or {})}
    names = list(frame.columns)
    # columns by position: a table may repeat a column name, and Styler keys formats by label
    flat = frame.columns.nlevels == 1
    shown = frame.head(limit).set_axis(range(len(names)), axis=1) if flat else frame.head(limit)
    formats = {i if flat else name: write for i, (name, (_, write)) in
               enumerate(zip(names, _writers(frame, told, lang, persian_digits)))}
    # index values: labels in the reader's words, dates in the reader's calendar, ids as written
    index_formats = []
    for level, name in enumerate(shown.index.names):
        values = shown.index.get_level_values(level)
        k = _kind_of(values, name if name is not None else "_", told, lang)
        if name is None and k in ("count", "number", "mean"):
            k = "id" if pd.api.types.is_integer_dtype(values.dtype) else k
        index_formats.append(formatter(k, lang, persian_digits,
                                       _decimals_for(values) if k == "number" else None))
    # the headers: labels, or values of what the columns are (customer ids stay as written)
    column_kind = _kind_of(frame.columns, frame.columns.name or "_", told, lang) \
        if frame.columns.nlevels == 1 else "text"
    heading = (lambda v: formatter("id")(v)) if column_kind == "id" else \
        (lambda v: _header_text(v, lang, persian_digits))
    default_index = _is_default_index(shown.index)
    shown = shown.rename_axis(
        index=[None if n is None else _header_text(n, lang, persian_digits)
               for n in shown.index.names],
        columns=[None if n is None else _header_text(n, lang, persian_digits)
                 for n in frame.columns.names][:1 if flat else None])
    styler = shown.style.format(formats, na_rep=MISSING)
    for level, write in enumerate(index_formats):
        styler = styler.format_index(write, axis=0, level=level)
    if default_index:
        styler = styler.hide(axis="index")
    if flat:
        money = [k == "money" for k, _ in _writers(frame, told, lang, persian_digits)]
        unit = i18n.READER.get("currency") if column_kind != "id" else None
        styler = styler.relabel_index(
            [f"{heading(n)} ({unit})" if unit and is_money else heading(n)
             for n, is_money in zip(names, money)], axis=1)
    else:  # several header rows: each level's labels in the reader's words
        for level in range(frame.columns.nlevels):
            styler = styler.format_index(heading, axis=1, level=level)
    parts = [caption] if caption else []
    if limit < total:
        parts.append(glossary(lang, persian_digits).say("rows_of", shown=limit, total=total))
    if parts:
        styler = styler.set_caption(" · ".join(parts))
    styler = styler.set_table_attributes('class="crmwb-table"')
    return styler


def _writers(frame: pd.DataFrame, told: Mapping, lang: str,
             persian_digits: bool) -> list[tuple[str, Callable]]:
    """Each column's kind and the function writing its values, by position."""
    out = []
    for i, name in enumerate(frame.columns):
        values = frame.iloc[:10_000, i]
        k = _kind_of(values, name, told, lang)
        decimals = _decimals_for(values) if k == "number" else None
        if k in ("days", "number", "mean") and _whole(values):
            decimals = 0  # 300.0 days of tenure read as 300
        out.append((k, formatter(k, lang, persian_digits, decimals,
                                 _with_time(values) if k == "date" else None)))
    return out


def _header_text(name, lang, persian_digits) -> str:
    if isinstance(name, pd.Timestamp | pd.Period):
        return _date_writer(lang, persian_digits)(name)
    if isinstance(name, (int, np.integer, float, np.floating)) and not isinstance(name, bool):
        text = str(name)
        return _persian(text) if persian_digits else text
    text = header(name, lang) if name is not None else ""
    if persian_digits and re.search(r"\d", str(text)):
        from crmwb.i18n import to_persian_digits

        text = to_persian_digits(text)
    return text


def html(data: pd.DataFrame | pd.Series, lang: str = "en", persian_digits: bool = False,
         **options) -> str:
    """The HTML of :func:`styled`: what a notebook shows for a table."""
    return styled(data, lang, persian_digits, **options).to_html()


# --- tables to explore -------------------------------------------------------------------

#: the reader a notebook shows its tables to (set by :func:`crmwb.i18n.use_language`)
READER = i18n.READER
#: the most cells a table to explore carries into a page (its first rows; the exported file
#: has them all): 250,000 cells are about 5 MB of HTML
MAX_EXPLORED_CELLS = 250_000
#: kinds whose values sort as numbers (or dates), not as the text they are written in
_SORTED_BY_VALUE = {"share", "percent", "money", "count", "mean", "days", "rate",
                    "probability", "ratio", "number", "date", "month", "bool"}
_explorers = itertools.count(1)


class Explorer:
    """A table a reader can search and sort in a notebook and in its HTML report.

    Shown through itables in its offline mode: DataTables' JavaScript and CSS are
    embedded in the output itself (no CDN), and where JavaScript does not run the reader
    sees the display layer's static table (:func:`styled`) instead. Cells read as the
    static table writes them (percent, money, dates in the reader's calendar, a dash
    for missing values, Persian digits when asked); a column sorts by its values (ranks
    of the numbers or dates, kept in a hidden column), and the search finds what is
    written. Made by :func:`explore`.
    """

    def __init__(self, data, lang: str | None = None, persian_digits: bool | None = None,
                 kinds: Mapping | None = None, caption: str | None = None,
                 max_cells: int = MAX_EXPLORED_CELLS, page_length: int = 10):
        self.data = data
        self.lang = READER["lang"] if lang is None else lang
        self.persian_digits = READER["persian_digits"] if persian_digits is None \
            else persian_digits
        self.kinds, self.caption = kinds, caption
        self.max_cells, self.page_length = max_cells, page_length
        self.table_id = f"crmwb_table_{next(_explorers)}"

    def __repr__(self) -> str:
        return f"Explorer({len(self.data):,} rows)"

    def _repr_html_(self) -> str:
        return self.html()

    def frames(self) -> tuple[pd.DataFrame, list[dict], str | None]:
        """What the page's table holds: the written cells and, beside them, a hidden
        rank column for each column that sorts by value; DataTables' column settings;
        the caption."""
        data = self.data
        frame = data.to_frame() if isinstance(data, pd.Series) else data
        if frame.columns.nlevels > 1:
            frame = frame.set_axis([" · ".join(map(str, c)) for c in frame.columns], axis=1)
        if not _is_default_index(frame.index):
            frame = frame.reset_index()
        told = {**frame.attrs.get("kinds", {}), **(self.kinds or {})}
        total = len(frame)
        limit = max(1, self.max_cells // max(frame.shape[1], 1))
        part = frame.head(limit)
        writers = _writers(frame, told, self.lang, self.persian_digits)
        headers, seen = [], set()
        for name in frame.columns:
            text = _header_text(name, self.lang, self.persian_digits) or " "
            while text in seen:  # a repeated name stays two columns
                text += " "
            seen.add(text)
            headers.append(text)
        shown = {h: [write(v) for v in part.iloc[:, i]]
                 for i, (h, (_, write)) in enumerate(zip(headers, writers))}
        order_of, ranks = {}, {}
        for i, (k, _) in enumerate(writers):
            if k not in _SORTED_BY_VALUE:
                continue
            values = part.iloc[:, i]
            if k in ("date", "month"):
                dates = pd.to_datetime(values.map(
                    lambda v: v.to_timestamp() if isinstance(v, pd.Period) else v),
                    errors="coerce", utc=True)
                key = (dates - pd.Timestamp(0, tz="UTC")).dt.total_seconds()  # NaT: NaN
            else:
                key = pd.Series(pd.to_numeric(values, errors="coerce"), dtype=float)
            # ranks, missing values last: whole numbers, so no NaN or infinity goes to JSON
            ranks[f"\u2060{i}"] = key.rank(method="min", na_option="bottom").astype(
                np.int64).to_numpy()
            order_of[i] = len(headers) + len(ranks) - 1
        table = pd.DataFrame({**shown, **ranks})
        defs = [{"targets": list(order_of.values()), "visible": False, "searchable": False}] \
            if order_of else []
        defs += [{"targets": [i], "orderData": [j], "className": "dt-right"}
                 for i, j in order_of.items()]
        words = [i for i, (k, _) in enumerate(writers) if k in ("text", "id")]
        if words:  # words start where the reader starts reading (left, or right in Persian)
            defs.append({"targets": words, "className": "crmwb-text"})
        caption = self.caption
        if limit < total:
            note = glossary(self.lang, self.persian_digits).say("explore_first", shown=limit,
                                                                 total=total)
            caption = f"{caption} · {note}" if caption else note
        return table, defs, caption

    def html(self) -> str:
        """The output: the offline bundle, the table, and the static table as fallback."""
        import itables
        from itables import javascript as itj

        from crmwb.glossary import TABLE_CONTROLS

        table, defs, caption = self.frames()
        static = html(self.data, self.lang, self.persian_digits, kinds=self.kinds,
                      caption=caption)
        long = len(table) > self.page_length
        wide = sum(not str(c).startswith("\u2060") for c in table.columns) > 8
        options = {
            "table_id": self.table_id, "connected": False, "showIndex": False,
            "columnDefs": defs, "pageLength": self.page_length,
            "lengthMenu": [10, 25, 50, 100], "order": [],
            "language": TABLE_CONTROLS[self.lang],
            # a wide table (the customer table's 45 columns) scrolls sideways, a row a line
            "classes": "display compact nowrap" if wide else "display compact",
            "scrollX": wide,
            "layout": {"topStart": "pageLength" if long else None, "topEnd": "search",
                       "bottomStart": "info", "bottomEnd": "paging" if long else None},
            "allow_html": False, "maxBytes": 0, "warn_on_undocumented_option": False,
            "text_in_header_can_be_selected": False,  # a click on a header sorts
        }
        if self.persian_digits:  # the counts under the table in Persian digits too
            options["formatNumber"] = itables.JavascriptFunction(
                "function (n) { return n.toLocaleString('fa-IR'); }")
        # the table's settings from itables, its rows written here: the cells are text and
        # whole numbers already, and itables' own formatting of them took seconds on the
        # customer table (4,999 rows by 45 columns)
        args = itj.get_itable_arguments(table.head(0), caption, **options)
        args["data_json"] = json.dumps(table.to_numpy().tolist(), ensure_ascii=False)
        args["layout"] = options["layout"]  # itables hides the controls of a table of no rows
        dt_url, connected = args.pop("dt_url"), args.pop("connected")
        args.pop("display_logo_when_loading", None)
        page = itj.html_table_from_template(
            table_id=self.table_id, dt_url=dt_url, connected=connected,
            display_logo_when_loading=False, kwargs=args, fallback_html=static)
        bundle = itj.generate_init_offline_itables_html(itables.options.dt_bundle)
        # without JavaScript the static table speaks for itself: no loading message
        bundle = re.sub(r"<noscript>.*?</noscript>", "", bundle, flags=re.S)
        style = "<style>.crmwb-explore td.crmwb-text{text-align:start}</style>"
        return f'<div class="crmwb-explore">{style}{bundle}{page}</div>'


def explore(data: pd.DataFrame | pd.Series, caption: str | None = None,
            kinds: Mapping | None = None, **options) -> Explorer:
    """Show ``data`` as a table the reader can search and sort (see :class:`Explorer`):
    the rules of notebook 05, the customer table and a card's history (07), the contact
    list (04). In the reader's language as :func:`crmwb.i18n.use_language` set it.

    A table of more than :data:`MAX_EXPLORED_CELLS` cells carries its first rows and says
    so; the whole table belongs in an exported file.
    """
    return Explorer(data, kinds=kinds, caption=caption, **options)
