"""Reports in the reader's language: calendar, digits, direction and prose cells.

The labels themselves come from :mod:`crmwb.glossary`; this module holds what
else a language changes. Persian readers see dates in the Solar Hijri (Jalali)
calendar (converted by jdatetime), read right to left, and may prefer Persian
digits; English readers see ISO dates.

A notebook serves every language: its prose cells carry a tag such as
``lang-en`` or ``lang-fa``, untagged cells belong to every language, and the
runner keeps only the chosen language's cells in the report
(:func:`keep_language`).

Examples
--------
>>> jalali("2024-03-20")
'1403/01/01'
>>> to_persian_digits("1403/01/01")
'۱۴۰۳/۰۱/۰۱'
>>> direction("fa"), direction("en")
('rtl', 'ltr')
"""

from __future__ import annotations

import copy
import re

import jdatetime
import numpy as np
import pandas as pd
from matplotlib import dates as mdates
from matplotlib.ticker import Formatter, FuncFormatter

from crmwb import calendars
from crmwb.glossary import LANGUAGES, glossary

#: languages written right to left
RTL_LANGUAGES = frozenset({"fa"})
#: the tag of a notebook cell written in one language: ``lang-en``, ``lang-fa``
TAG_PREFIX = "lang-"
#: ASCII digits to Persian ones; separators between digits become the Persian decimal and
#: thousands separators, a percent sign after a digit the Persian one
_PERSIAN = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
_SEPARATORS = (re.compile(r"(?<=\d)\.(?=\d)"), "٫"), (re.compile(r"(?<=\d),(?=\d)"), "٬"), \
    (re.compile(r"(?<=\d)%"), "٪")


def _check(lang: str) -> str:
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}; available: {', '.join(LANGUAGES)}")
    return lang


def direction(lang: str) -> str:
    """``rtl`` for languages written right to left, else ``ltr``."""
    return "rtl" if _check(lang) in RTL_LANGUAGES else "ltr"


def jalali(value, fmt: str = "%Y/%m/%d") -> str | None:
    """A date in the Solar Hijri (Jalali) calendar, as text; None for a missing date.

    >>> jalali(pd.Timestamp("2025-03-21 14:30"), "%Y/%m/%d %H:%M")
    '1404/01/01 14:30'
    """
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    ts = pd.Timestamp(value)
    return jdatetime.datetime.fromgregorian(datetime=ts.to_pydatetime()).strftime(fmt)


def to_persian_digits(text) -> str:
    """Text with its ASCII digits in Persian digits (and ``.``, ``,`` between digits and
    ``%`` after one in their Persian forms); a full stop ending a sentence stays one.

    >>> to_persian_digits("1,234.5 items (12%).")
    '۱٬۲۳۴٫۵ items (۱۲٪).'
    """
    text = str(text)
    for pattern, persian in _SEPARATORS:
        text = pattern.sub(persian, text)
    return text.translate(_PERSIAN)


def reader_calendar(lang: str) -> str:
    """The calendar dates are written in: the one :func:`use_language` chose, else the
    calendar of ``lang``'s readers (:func:`crmwb.calendars.default`)."""
    return READER.get("calendar") or calendars.default(lang)


def format_date(value, lang: str, fmt: str | None = None, calendar: str | None = None
                ) -> str | None:
    """A date as the reader of ``lang`` reads it, in ``calendar`` (by default
    :func:`reader_calendar`): 1403/01/01 in the Jalali calendar, ISO in the Gregorian."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    _check(lang)
    if calendars.check(calendar or reader_calendar(lang)) == "jalali":
        return jalali(value, fmt or "%Y/%m/%d")
    return pd.Timestamp(value).strftime(fmt or "%Y-%m-%d")


def month_label(value, lang: str = "en", calendar: str | None = None,
                persian_digits: bool = False) -> str | None:
    """A month, given by its first day, named as the reader reads it: ``فروردین ۱۴۰۳``,
    ``Farvardin 1403``, ``Mar 2024``. A date that does not begin a month of ``calendar``
    is written as a date, never passed off as a month.

    >>> month_label(pd.Timestamp("2024-03-20"), "fa", "jalali", persian_digits=True)
    'فروردین ۱۴۰۳'
    """
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    calendar = calendars.check(calendar or reader_calendar(_check(lang)))
    ts = pd.Timestamp(value.to_timestamp() if isinstance(value, pd.Period) else value)
    if calendars.is_month_start([ts], calendar):
        year, month = divmod(calendars.month_number(ts, calendar), 12)
        text = f"{glossary(lang)(f'{calendar}_{month + 1}')} {year}"
    else:
        text = format_date(ts, lang, None if ts == ts.normalize() else
                           ("%Y/%m/%d %H:%M" if calendar == "jalali" else "%Y-%m-%d %H:%M"),
                           calendar)
    return to_persian_digits(text) if persian_digits else text


def month_name(month: int, lang: str = "en", calendar: str | None = None) -> str:
    """The name of month ``month`` (1-12) of the year in ``calendar``: 1 is فروردین in the
    Jalali calendar."""
    calendar = calendars.check(calendar or reader_calendar(_check(lang)))
    return glossary(lang)(f"{calendar}_{int(month)}")


def key_date_name(key: str, lang: str = "en") -> str:
    """A key date named in the reader's words (``nowruz`` -> نوروز); the shop's own as given."""
    words = glossary(lang)
    try:
        return words(f"key_{key}")
    except KeyError:
        return key


def weekday_name(day: int, lang: str = "en") -> str:
    """The name of a weekday by pandas' number (Monday = 0)."""
    return glossary(lang)(calendars.WEEKDAY_KEYS[int(day)])


def _dates_as_text(values, lang: str) -> list:
    ts = pd.DatetimeIndex(values)
    known = ts[ts.notna()]
    daily = bool(((known.hour == 0) & (known.minute == 0) & (known.second == 0)).all())
    jalali_ = reader_calendar(lang) == "jalali"
    fmt = None if daily else ("%Y/%m/%d %H:%M" if jalali_ else "%Y-%m-%d %H:%M")
    return [format_date(v, lang, fmt) for v in ts]


def _is_read(dtype) -> bool:
    """Numbers, dates and periods are read (in the reader's digits); text is written as is."""
    return (pd.api.types.is_numeric_dtype(dtype) or isinstance(dtype, pd.PeriodDtype)
            or pd.api.types.is_datetime64_any_dtype(dtype))


def names_months(name) -> bool:
    """Whether a column or index name says it holds months (``month``, ``cohort``, ...)."""
    return isinstance(name, str) and any(w in name.lower() for w in ("month", "cohort"))


def _dates_or_months(values, name, lang: str) -> list:
    """Dates as text; a column named for months holding only months' first days (in the
    reader's calendar) as month names (فروردین 1403)."""
    calendar = reader_calendar(lang)
    if names_months(name) and calendars.is_month_start(values, calendar):
        return [month_label(v, lang, calendar) for v in values]
    return _dates_as_text(values, lang)


def localize_frame(frame: pd.DataFrame | pd.Series, lang: str = "en",
                   persian_digits: bool = False) -> pd.DataFrame | pd.Series:
    """A copy of a table for display in ``lang``: dates (columns, index) in the reader's
    calendar, headers and labelled values (segment names, levels...) in the reader's words,
    and every number in Persian digits when ``persian_digits``.

    Only for showing: dates and numbers become text. The input is not changed. Headers
    and values are translated when the glossary has them (a column name such as
    ``revenue``, a value such as ``at risk``); data such as product codes stay as they are.

    >>> shown = localize_frame(pd.DataFrame({"segment": ["at risk"], "revenue": [10.0]}), "fa")
    >>> print(list(shown.columns), shown.iloc[0, 0])
    ['بخش', 'درآمد'] در خطر
    """
    _check(lang)
    out = frame.copy()
    as_frame = isinstance(out, pd.DataFrame)
    columns = out.columns if as_frame else [None]
    rewrite = lang == "fa" or reader_calendar(lang) == "jalali"
    # positions of the columns holding numbers or dates (read: in the reader's digits), and
    # axes labelled by them; text (ids, codes, names) keeps its own digits
    readable = [_is_read(out[c].dtype if as_frame else out.dtype) for c in columns]
    readable_axes = {a: _is_read(getattr(out, a).dtype)
                     for a in (("index", "columns") if as_frame else ("index",))}
    for col in columns:
        values = out[col] if as_frame else out
        if isinstance(values.dtype, pd.PeriodDtype):
            values = values.dt.to_timestamp()
        if pd.api.types.is_datetime64_any_dtype(values.dtype) and rewrite:
            text = pd.Series(_dates_or_months(values, col if as_frame else out.name, lang),
                             index=values.index, dtype=object)
            if as_frame:
                out[col] = text
            else:
                out = text.rename(out.name)
    if rewrite:
        for axis_name in ("index", "columns") if as_frame else ("index",):
            labels = getattr(out, axis_name)
            if isinstance(labels, pd.PeriodIndex):
                labels = labels.to_timestamp()
            if isinstance(labels, pd.DatetimeIndex):
                setattr(out, axis_name, pd.Index(_dates_or_months(labels, labels.name, lang),
                                                 name=labels.name))
    if lang != "en":
        out = _translated(out, lang)
    if persian_digits:
        def digits(v):
            if v is None or (np.isscalar(v) and pd.isna(v)):
                return v
            if isinstance(v, (bool, np.bool_)):
                return v
            if isinstance(v, (float, np.floating)):
                return to_persian_digits(f"{v:,.2f}" if abs(v) >= 1000 else f"{v:.4g}")
            if isinstance(v, (int, np.integer)):
                return to_persian_digits(f"{v:,}")
            return to_persian_digits(v)

        if as_frame:
            for k, read in enumerate(readable):
                if read:
                    out.isetitem(k, out.iloc[:, k].map(digits))
        elif readable[0]:
            out = out.map(digits)
        for axis_name, read in readable_axes.items():
            labels = getattr(out, axis_name)
            if read:
                setattr(out, axis_name, pd.Index([to_persian_digits(v) for v in labels],
                                                 name=labels.name))
    return out


def _translated(out, lang: str):
    """Headers, index labels and text values that the glossary labels, in its words; dates
    among other values (a transposed table) in the reader's calendar."""
    words = glossary(lang)

    def word(v):
        if isinstance(v, pd.Timestamp) and not pd.isna(v):
            return _dates_as_text([v], lang)[0]
        return words.word(v)

    columns = out.columns if isinstance(out, pd.DataFrame) else [None]
    for col in columns:
        values = out[col] if col is not None else out
        if values.dtype == object or isinstance(values.dtype, pd.StringDtype | pd.CategoricalDtype):
            mapped = values.astype(object).map(word)
            if col is None:
                out = mapped.rename(out.name)
            else:
                out[col] = mapped
    if isinstance(out, pd.DataFrame):
        out = out.rename(columns=word, index=word)
        out.columns.names = [word(n) for n in out.columns.names]
    else:
        out = out.rename(index=word).rename(word(out.name))
    out.index.names = [word(n) for n in out.index.names]
    return out


def date_formatter(lang: str = "en", persian_digits: bool = False, fmt: str | None = None):
    """A matplotlib tick formatter that writes date ticks in the reader's calendar."""
    _check(lang)

    def label(x, pos=None):
        text = format_date(mdates.num2date(x).replace(tzinfo=None), lang, fmt) or ""
        return to_persian_digits(text) if persian_digits else text

    return FuncFormatter(label)


def localize_figure(fig, lang: str = "en", persian_digits: bool = False):
    """Date axes of ``fig`` in the reader's calendar (and number ticks in Persian digits).

    Axes whose ticks are dates (matplotlib's date converter) get
    :func:`date_formatter`; with ``persian_digits`` other tick labels are
    rewritten in Persian digits. English with Latin digits leaves the figure as it is.
    """
    _check(lang)
    calendar = reader_calendar(lang)
    if lang != "fa" and not persian_digits and calendar == "gregorian":
        return fig
    words = glossary(lang)
    for ax in fig.get_axes():
        legend = ax.get_legend()
        if legend is not None and lang != "en":  # series named by model, contract, cluster...
            for text in legend.get_texts():
                text.set_text(words.word(text.get_text()))
        for axis in (ax.xaxis, ax.yaxis):
            is_date = isinstance(axis.get_major_locator(), mdates.DateLocator)
            if is_date and calendar == "jalali":  # ticks on the calendar's months
                axis.set_major_locator(MonthLocator(calendar))
                axis.set_major_formatter(FuncFormatter(
                    lambda x, pos=None: month_label(mdates.num2date(x).replace(tzinfo=None),
                                                    lang, calendar, persian_digits) or ""))
                axis.set_minor_locator(MonthLocator(calendar, minor=True))
                axis.set_minor_formatter(FuncFormatter(lambda x, pos=None: ""))
                axis.set_tick_params(labelrotation=30 if axis is ax.xaxis else 0)
            elif is_date and lang == "fa":
                axis.set_major_formatter(date_formatter(lang, persian_digits))
                axis.set_minor_formatter(FuncFormatter(lambda x, pos=None: ""))
                axis.set_tick_params(labelrotation=30 if axis is ax.xaxis else 0)
            elif persian_digits and not isinstance(axis.get_major_formatter(),
                                                   _PersianDigits | _Verbatim):
                axis.set_major_formatter(_PersianDigits(axis.get_major_formatter()))
        if persian_digits:  # numbers written on the plot: a heat map's cells, a bar's value
            for text in ax.texts:
                if _NUMBER.fullmatch(text.get_text()):
                    text.set_text(to_persian_digits(text.get_text()))
    return fig


#: a text that is only a number (a heat map's annotation: "72", "0.35", "12%")
_NUMBER = re.compile(r"[-−]?[\d,]*\.?\d+%?")


class MonthLocator(mdates.DateLocator):
    """Date ticks on the first days of months of ``calendar`` (every 1, 2, 3, 4, 6 or 12
    months, so that at most ``max_ticks`` show); ``minor``: on every month."""

    def __init__(self, calendar: str = "jalali", max_ticks: int = 8, minor: bool = False):
        super().__init__()
        self.calendar, self.max_ticks, self.minor = calendars.check(calendar), max_ticks, minor

    def __call__(self):
        lo, hi = sorted(self.axis.get_view_interval())
        return self.tick_values(mdates.num2date(lo), mdates.num2date(hi))

    def tick_values(self, vmin, vmax):
        start, stop = (pd.Timestamp(v).tz_localize(None) if pd.Timestamp(v).tzinfo
                       else pd.Timestamp(v) for v in (vmin, vmax))
        first = calendars.month_number(start, self.calendar)
        last = calendars.month_number(stop, self.calendar)
        step = 1
        if not self.minor:
            step = next((k for k in (1, 2, 3, 4, 6, 12) if (last - first) // k < self.max_ticks),
                        12 * (1 + (last - first) // (12 * self.max_ticks)))
        numbers = [n for n in range(first, last + 1) if n % step == 0]
        starts = [calendars.first_day(n, self.calendar) for n in numbers]
        return mdates.date2num([d for d in starts if start <= d <= stop])


class _Relabelled(Formatter):
    """Another tick formatter's labels passed through :meth:`write`."""

    def __init__(self, inner: Formatter):
        self.inner = inner

    def write(self, text: str) -> str:
        return text

    def set_axis(self, axis):
        super().set_axis(axis)
        self.inner.set_axis(axis)

    def format_ticks(self, values):
        return [self.write(s) for s in self.inner.format_ticks(values)]

    def __call__(self, x, pos=None):
        return self.write(self.inner(x, pos))

    def get_offset(self):
        return self.write(self.inner.get_offset())


class _Verbatim(_Relabelled):
    """Another tick formatter whose labels are ids or codes: never in Persian digits."""


def verbatim(axis) -> None:
    """Mark an axis whose tick labels are ids or codes (product codes, customer ids): they
    keep their own digits in a figure for a Persian reader (:func:`localize_figure`)."""
    if not isinstance(axis.get_major_formatter(), _Verbatim):
        axis.set_major_formatter(_Verbatim(axis.get_major_formatter()))


class _PersianDigits(_Relabelled):
    """Another tick formatter's labels in Persian digits."""

    def write(self, text: str) -> str:
        return to_persian_digits(text)


def keep_language(notebook, lang: str):
    """A copy of a notebook holding the cells of ``lang`` and the untagged ones.

    A cell tagged ``lang-xx`` belongs to language xx only; cells without such
    a tag belong to every language.
    """
    _check(lang)
    nb = copy.deepcopy(notebook)
    nb.cells = [c for c in nb.cells if cell_language(c) in (None, lang)]
    return nb


def cell_language(cell) -> str | None:
    """The language a cell is tagged with (``lang-fa`` -> ``fa``), or None."""
    tags = [t for t in cell.get("metadata", {}).get("tags", []) if t.startswith(TAG_PREFIX)]
    if len(tags) > 1:
        raise ValueError(f"a cell is tagged with several languages: {tags}")
    return tags[0][len(TAG_PREFIX):] if tags else None


#: the reader a notebook shows its tables and figures to (set by :func:`use_language`):
#: tables to explore, headline figures and what-ifs read it, and figures their digits
READER = {"lang": "en", "persian_digits": False, "calendar": None, "currency": None}
#: how figures show numbers when a plot is not told (the same settings as :data:`READER`)
FIGURE_DEFAULTS = READER


def use_currency(code: str | None) -> None:
    """Write money with its unit: ``code`` (ISO 4217: GBP, USD, IRR; the prepared data's
    ``currency``) beside the header of every money column, on every money axis and beside
    every money headline the notebook shows; nothing when the data do not say."""
    code = (code or "").strip().upper() or None
    if code is not None and not re.fullmatch(r"[A-Z]{3}", code):
        raise ValueError(f"currency: expected an ISO 4217 code of three letters (GBP, USD, "
                         f"IRR), got {code!r}")
    READER["currency"] = code


def currency_unit(t) -> str:
    """The unit of money on a figure: the currency in use, else the glossary's words."""
    return READER.get("currency") or t("currency")


def use_language(lang: str = "en", persian_digits: bool = False, ipython=None,
                 calendar: str | None = None) -> None:
    """Have a notebook show its tables and figures to a reader of ``lang``.

    Tables (DataFrames and Series a cell displays) are shown through the display layer,
    :func:`crmwb.display.styled`: every column formatted by what it is, headers in the
    reader's words, Jalali dates for Persian, and Persian digits when
    ``persian_digits`` (their plain-text view through :func:`localize_frame`); figures
    from :mod:`crmwb.plots` then use Persian digits too, and every figure the notebook
    draws takes crmwb's chart style (:data:`crmwb.plots.STYLE`). Like
    ``pandas.set_option``, this is a display setting of the running kernel; data are
    never changed. Outside IPython it only sets the figures' digits and calendar.

    ``calendar`` (``gregorian`` or ``jalali``; by default the calendar of ``lang``'s
    readers) is the calendar every date and month is written in, in tables and on
    figures' date axes (ticks on its months' first days).
    """
    _check(lang)
    READER.update(lang=lang, persian_digits=bool(persian_digits),
                  calendar=calendars.check(calendar) if calendar else None)
    if ipython is None:
        try:
            from IPython import get_ipython
        except ImportError:  # not in IPython: nothing displays tables
            return
        ipython = get_ipython()
    if ipython is None:
        return
    import matplotlib.pyplot as plt

    from crmwb import display, plots

    plt.style.use(plots.STYLE)

    formatters = ipython.display_formatter.formatters
    # every table a cell shows goes through the display layer (formatted by meaning,
    # headers in the reader's words); the plain-text view only localises
    formatters["text/html"].for_type(
        pd.DataFrame, lambda f: display.html(f, lang, persian_digits))
    formatters["text/html"].for_type(
        pd.Series, lambda s: display.html(s, lang, persian_digits))
    if lang == "en" and not persian_digits:
        for cls in (pd.DataFrame, pd.Series):
            formatters["text/plain"].pop(cls, None)
        return

    def shown(frame):  # only the rows pandas would show are converted
        limit = pd.get_option("display.max_rows") or len(frame)
        if len(frame) > limit:
            half = max((pd.get_option("display.min_rows") or 10) // 2, 1)
            frame = pd.concat([frame.head(half), frame.tail(half)])
        return localize_frame(frame, lang, persian_digits)

    formatters["text/plain"].for_type(pd.DataFrame, lambda f, p, cycle: p.text(repr(shown(f))))
    formatters["text/plain"].for_type(pd.Series, lambda s, p, cycle: p.text(repr(shown(s))))
