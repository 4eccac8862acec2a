"""Calendars: the months and weeks a shop plans by, Gregorian or Solar Hijri (Jalali).

An Iranian shop plans by Farvardin ... Esfand and its week starts on Saturday; a
European one by January ... December, Monday first. Every analysis that counts by
month (KPIs, cohorts, complaint rates, support by month) takes a ``calendar``
and aggregates by the months of that calendar.

A month is written as the Gregorian date of its first day (Farvardin 1403 is
2024-03-20), so months sort, join and plot as dates whatever the calendar;
:func:`month_label` writes one as a reader reads it. Lines are given their month
in the engine: the month starts of the lines' span are computed here (a few dozen
conversions by jdatetime, one per month, not one per line), spread over a table
of days, and joined to the lines in the engine (:func:`with_month`).

Examples
--------
>>> month_start(pd.Series(pd.to_datetime(["2024-03-19", "2024-03-20"])), "jalali").tolist()
[Timestamp('2024-02-20 00:00:00'), Timestamp('2024-03-20 00:00:00')]
>>> month_number("2024-03-20", "jalali") - month_number("2024-03-19", "jalali")
1
>>> weekdays("jalali")[0], weekdays("gregorian")[0]  # pandas numbers the days from Monday = 0
(5, 0)
"""

from __future__ import annotations

import re

import ibis
import ibis.expr.types as ir
import jdatetime
import numpy as np
import pandas as pd

#: the calendars a report can count and write dates in
CALENDARS = ("gregorian", "jalali")
#: the first day of the week in each calendar (pandas' numbering: Monday = 0, Saturday = 5)
WEEK_STARTS = {"gregorian": 0, "jalali": 5}
#: the glossary's keys of the weekdays, in pandas' numbering (Monday = 0)
WEEKDAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
#: a year before this is a Solar Hijri one (1403 SH is 2024 CE)
JALALI_BEFORE = 1700


def check(calendar: str) -> str:
    """``calendar`` when it is one of :data:`CALENDARS`, else a ValueError naming the parameter."""
    if calendar not in CALENDARS:
        raise ValueError(f"unknown calendar {calendar!r} (parameter calendar); expected one of "
                         f"{', '.join(CALENDARS)}")
    return calendar


def default(lang: str) -> str:
    """The calendar a reader of ``lang`` plans by: Jalali for Persian, else Gregorian."""
    return "jalali" if lang == "fa" else "gregorian"


def weekdays(calendar: str = "gregorian") -> list[int]:
    """The days of the week in the order of ``calendar``'s week (pandas' numbers, Monday = 0)."""
    first = WEEK_STARTS[check(calendar)]
    return [(first + k) % 7 for k in range(7)]


# --- months --------------------------------------------------------------------------------

def _year_month(value: pd.Timestamp, calendar: str) -> tuple[int, int]:
    if calendar == "jalali":
        d = jdatetime.date.fromgregorian(date=value.date())
        return d.year, d.month
    return value.year, value.month


def month_number(value, calendar: str = "gregorian") -> int:
    """A running number of the month holding ``value`` (year x 12 + month - 1 in ``calendar``)."""
    year, month = _year_month(pd.Timestamp(value), check(calendar))
    return year * 12 + month - 1


def first_day(number: int, calendar: str = "gregorian") -> pd.Timestamp:
    """The Gregorian date of the first day of month ``number`` (see :func:`month_number`)."""
    year, month = divmod(int(number), 12)
    if check(calendar) == "jalali":
        return pd.Timestamp(jdatetime.date(year, month + 1, 1).togregorian())
    return pd.Timestamp(year=year, month=month + 1, day=1)


def months(start, stop, calendar: str = "gregorian") -> pd.DataFrame:
    """The months of ``calendar`` from the one holding ``start`` to the one holding ``stop``.

    Returns
    -------
    pandas.DataFrame
        ``month_number``, ``year`` and ``month`` (1-12) in the calendar, ``start`` (the
        Gregorian date of its first day) and ``end`` (of its last day).
    """
    check(calendar)
    first, last = month_number(start, calendar), month_number(stop, calendar)
    numbers = np.arange(first, last + 2)  # one more: the end of the last month
    starts = pd.DatetimeIndex([first_day(n, calendar) for n in numbers])
    return pd.DataFrame({"month_number": numbers[:-1], "year": numbers[:-1] // 12,
                         "month": numbers[:-1] % 12 + 1, "start": starts[:-1],
                         "end": starts[1:] - pd.Timedelta(days=1)})


def month_start(dates: pd.Series, calendar: str = "gregorian") -> pd.Series:
    """The first day of each date's month in ``calendar`` (vectorised; missing stays missing)."""
    dates = pd.to_datetime(dates)
    if check(calendar) == "gregorian":
        return dates.dt.to_period("M").dt.to_timestamp()
    known = dates.dropna()
    if known.empty:
        return pd.Series(pd.NaT, index=dates.index, dtype="datetime64[ns]")
    table = months(known.min(), known.max(), calendar)
    at = np.searchsorted(table["start"].to_numpy(), dates.dt.normalize().to_numpy(), "right") - 1
    out = pd.Series(table["start"].to_numpy()[np.clip(at, 0, None)], index=dates.index)
    return out.where(dates.notna())


def parse_day(text) -> pd.Timestamp:
    """A date given as a parameter: ``2024-03-20``, or a Solar Hijri ``1403/01/01`` (a year
    before 1700; Persian digits too). A Jalali date is never read as a Gregorian one of
    year 1403; one that does not exist is refused.

    >>> parse_day("1403/01/01"), parse_day("۱۴۰۲-۱۲-۲۹")
    (Timestamp('2024-03-20 00:00:00'), Timestamp('2024-03-19 00:00:00'))
    """
    from crmwb.parsing import ascii_digits

    written = ascii_digits(str(text)).strip()
    match = re.fullmatch(r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})", written)
    if match and int(match.group(1)) < JALALI_BEFORE:
        try:
            return pd.Timestamp(jdatetime.date(*map(int, match.groups())).togregorian())
        except ValueError:
            raise ValueError(f"{text!r} is not a Solar Hijri date") from None
    try:
        day = pd.Timestamp(written)
    except ValueError:
        raise ValueError(f"{text!r} is not a date: write 2024-03-20 or 1403/01/01") from None
    if day.year < JALALI_BEFORE:
        raise ValueError(f"{text!r}: a year before {JALALI_BEFORE} written in this form is "
                         "neither a Gregorian date of the data nor a Jalali yyyy/mm/dd")
    return day


def parse_month(text, calendar: str = "gregorian") -> pd.Timestamp:
    """The first day of the month ``text`` names: a date or ``2024-03`` in the month, or a
    Jalali ``1403-01`` (``1403/01``; a year before 1700 is read as Solar Hijri).

    >>> parse_month("1403-01", "jalali"), parse_month("2024-03-25", "jalali")
    (Timestamp('2024-03-20 00:00:00'), Timestamp('2024-03-20 00:00:00'))
    """
    from crmwb.parsing import ascii_digits

    written = ascii_digits(str(text)).strip()
    match = re.fullmatch(r"(\d{4})[-/](\d{1,2})", written)
    if match and int(match.group(1)) < JALALI_BEFORE:
        year, month = int(match.group(1)), int(match.group(2))
        if not 1 <= month <= 12:
            raise ValueError(f"{text!r}: a Jalali month is 1 to 12")
        return first_day(year * 12 + month - 1, "jalali")
    if match:
        written += "-01"
    try:
        day = parse_day(written)
    except ValueError:
        raise ValueError(f"{text!r} is not a month: write 2024-03, a date, or a Jalali "
                         "1403-01") from None
    return month_start(pd.Series([day]), calendar).iloc[0]


def is_month_start(values, calendar: str = "gregorian") -> bool:
    """Whether every known date of ``values`` is the first day of a month of ``calendar``."""
    ts = pd.Series(pd.DatetimeIndex(values)).dropna()
    return bool(len(ts)) and bool((month_start(ts, calendar) == ts).all())


def days(start, stop, calendar: str = "gregorian") -> pd.DataFrame:
    """A date dimension: one row per day from the month holding ``start`` to the one holding
    ``stop``, with its ``month_number`` and ``month_start`` in ``calendar``."""
    table = months(start, stop, calendar)
    day = pd.date_range(table["start"].iloc[0], table["end"].iloc[-1], freq="D")
    at = np.searchsorted(table["start"].to_numpy(), day.to_numpy(), "right") - 1
    return pd.DataFrame({"day": day.date, "month_number": table["month_number"].to_numpy()[at],
                         "month_start": table["start"].to_numpy()[at]})


def with_month(t: ir.Table, calendar: str = "gregorian", column: str = "date") -> ir.Table:
    """``t`` with ``_month`` (the running month number of ``column`` in ``calendar``),
    computed in the engine: by date arithmetic for the Gregorian calendar, else by joining
    a table of the span's days (:func:`days`). Lines without a date get no month."""
    date = t[column]
    if check(calendar) == "gregorian":
        return t.mutate(_month=(date.year() * 12 + date.month() - 1).cast("int64"))
    span = t.aggregate(start=date.min(), stop=date.max()).to_pandas().iloc[0]
    if pd.isna(span["start"]):
        return t.mutate(_month=ibis.null().cast("int64"))
    dim = days(span["start"], span["stop"], calendar)[["day", "month_number"]]
    dim = ibis.memtable(dim.rename(columns={"day": "_cal_day", "month_number": "_month"}))
    dim = dim.mutate(_cal_day=dim._cal_day.cast("date"), _month=dim._month.cast("int64"))
    keyed = t.mutate(_cal_key=date.date())
    joined = keyed.left_join(dim, keyed._cal_key == dim._cal_day)
    return joined.drop("_cal_key", "_cal_day")


def to_start(numbers: pd.Series, calendar: str = "gregorian") -> pd.Series:
    """Month numbers (:func:`month_number`) as the Gregorian dates of their first days."""
    numbers = pd.Series(numbers).astype("int64")
    firsts = {n: first_day(n, calendar) for n in numbers.unique()}  # once per month
    return pd.to_datetime(numbers.map(firsts))


def month_end(starts, calendar: str = "gregorian") -> pd.DatetimeIndex:
    """The last day of each month given by its first day."""
    starts = pd.DatetimeIndex(starts)
    if check(calendar) == "gregorian":
        return starts + pd.offsets.MonthEnd(0)
    return pd.DatetimeIndex([first_day(month_number(s, calendar) + 1, calendar)
                             - pd.Timedelta(days=1) for s in starts])


# --- key business dates ---------------------------------------------------------------------

#: the Iranian key dates :func:`key_dates` marks, in the order they come in a Jalali year
IRANIAN_KEY_DATES = ("pre_nowruz", "nowruz", "ramadan", "eid_al_fitr", "muharram", "yalda")
#: the busy weeks before Nowruz: from this day of Esfand to its last day
PRE_NOWRUZ_FROM_DAY = 15
#: the days of the Nowruz closure: 1 to 4 Farvardin (the official holidays)
NOWRUZ_DAYS = 4


def span(t: ir.Table, column: str = "date") -> tuple[pd.Timestamp, pd.Timestamp]:
    """The first and last date of ``t`` (computed in the engine)."""
    got = t.aggregate(start=t[column].min(), stop=t[column].max()).to_pandas().iloc[0]
    if pd.isna(got["start"]):
        raise ValueError(f"no dates in column {column!r}")
    return pd.Timestamp(got["start"]), pd.Timestamp(got["stop"])


def iranian_key_dates(start, stop) -> pd.DataFrame:
    """Nowruz, the weeks before it, Yalda, Ramadan, Eid al-Fitr and Tasua-Ashura (Muharram)
    of every year from ``start`` to ``stop``.

    Nowruz (1 Farvardin), the shopping weeks before it (15 Esfand to the year's last day)
    and Yalda (30 Azar) come from the Jalali calendar (jdatetime). Eid al-Fitr and Tasua
    and Ashura (9 and 10 Muharram) are Iran's official holidays from the ``holidays``
    package (python-holidays, maintained, Iran's own lunar dates; its later years are
    estimates); Ramadan is the 30 days before Eid al-Fitr (its first day may be a day later
    when the month has 29).

    Returns
    -------
    pandas.DataFrame
        One row per date or period: ``key`` (one of :data:`IRANIAN_KEY_DATES`), ``start``
        and ``end`` (dates, inclusive).
    """
    import holidays

    start, stop = pd.Timestamp(start).normalize(), pd.Timestamp(stop).normalize()
    rows = []
    first = jdatetime.date.fromgregorian(date=start.date()).year
    last = jdatetime.date.fromgregorian(date=stop.date()).year
    for year in range(first, last + 2):  # a Jalali year's Nowruz falls in the next
        nowruz = pd.Timestamp(jdatetime.date(year, 1, 1).togregorian())
        eve = nowruz - pd.Timedelta(days=1)
        rows += [("pre_nowruz", pd.Timestamp(jdatetime.date(year - 1, 12, PRE_NOWRUZ_FROM_DAY)
                                              .togregorian()), eve),
                 ("nowruz", nowruz, nowruz + pd.Timedelta(days=NOWRUZ_DAYS - 1)),
                 ("yalda", *[pd.Timestamp(jdatetime.date(year, 9, 30).togregorian())] * 2)]
    official = holidays.country_holidays("IR", years=range(start.year, stop.year + 1),
                                         language="en_US")
    for day, name in official.items():
        day = pd.Timestamp(day)
        names = [n.strip() for n in name.split(";")]
        if any(n.startswith("Eid al-Fitr") and "Holiday" not in n for n in names):
            rows += [("eid_al_fitr", day, day),
                     ("ramadan", day - pd.Timedelta(days=30), day - pd.Timedelta(days=1))]
        if any(n.startswith("Tasua") for n in names):
            rows.append(("muharram", day, day + pd.Timedelta(days=1)))  # Tasua and Ashura
    out = pd.DataFrame(rows, columns=["key", "start", "end"])
    out = out[(out["end"] >= start) & (out["start"] <= stop)]
    return out.sort_values(["start", "key"]).reset_index(drop=True)


#: the countries whose key business dates crmwb knows, by ISO 3166 code
HOLIDAY_REGIONS = ("IR",)


def holiday_region(asked: str | None, default: str | None = "") -> str:
    """The country whose key dates mark a report's timelines: ``asked`` (a notebook's
    ``holidays`` parameter: ``IR``, or ``none``), else ``default`` (the data's own,
    :attr:`crmwb.prepared.PreparedData.holidays`). Empty for none.

    >>> holiday_region("", "IR"), holiday_region("none", "IR"), holiday_region("", "")
    ('IR', '', '')
    """
    code = (asked or "").strip()
    if not code:
        return (default or "").upper()
    if code.lower() == "none":
        return ""
    if code.upper() not in HOLIDAY_REGIONS:
        raise ValueError(f"holidays: crmwb knows the key dates of {', '.join(HOLIDAY_REGIONS)} "
                         f"(or none), not {code!r}; give your shop's own as key_dates")
    return code.upper()


def key_dates(start, stop, given: dict | None = None, iranian: bool = False) -> pd.DataFrame:
    """The key business dates between ``start`` and ``stop``: the shop's own (``given``:
    a launch, a sale: name -> a date or [first, last]) and, with ``iranian``, the Iranian
    ones of :func:`iranian_key_dates`.

    A CRM strategy marks launches and busy seasons on its timeline; plots mark these
    (:func:`crmwb.plots.monthly_revenue`, :func:`crmwb.plots.kpi_trends`) and
    :func:`crmwb.basket.basket_change` compares the baskets of a period with the rest.

    Returns
    -------
    pandas.DataFrame
        ``key`` (a built-in key, or ``custom``), ``name`` (the shop's own name; empty for
        built-in dates, which the reports name in the reader's language), ``start``, ``end``.

    Examples
    --------
    >>> key_dates("2024-01-01", "2024-12-31", {"Spring sale": ["2024-04-01", "2024-04-07"]}
    ...           )[["key", "name", "start"]].values.tolist()
    [['custom', 'Spring sale', Timestamp('2024-04-01 00:00:00')]]
    """
    rows = []
    for name, when in (given or {}).items():
        days = list(when) if isinstance(when, (list, tuple)) else [when]
        if not 1 <= len(days) <= 2:
            raise ValueError(f"key_dates: {name!r} has {len(days)} dates; give one date or "
                             "[first, last]")
        try:
            first, last = parse_day(days[0]), parse_day(days[-1])
        except ValueError as e:
            raise ValueError(f"key_dates: {name!r}: {e} (write 2024-03-20, 1403/01/01 or "
                             "[first, last])") from None
        if last < first:
            raise ValueError(f"key_dates: {name!r} ends before it starts: {when!r}")
        rows.append(("custom", str(name), first.normalize(), last.normalize()))
    out = pd.DataFrame(rows, columns=["key", "name", "start", "end"])
    if iranian:
        out = pd.concat([out, iranian_key_dates(start, stop).assign(name="")],
                        ignore_index=True)
    start, stop = pd.Timestamp(start), pd.Timestamp(stop)
    out = out[(out["end"] >= start.normalize()) & (out["start"] <= stop)]
    return out.sort_values("start", kind="stable").reset_index(drop=True)
