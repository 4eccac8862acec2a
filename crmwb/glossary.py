"""Every human-facing label and sentence of the reports, by language, from catalogue files.

Titles, axis labels, table headers, segment names and printed sentences come from
gettext catalogues in ``crmwb/locales``: ``crmwb.pot`` holds the English source and each
``xx.po`` one language's translation (``fa.po``: Persian), chosen by the notebooks'
``lang`` parameter. Code asks for a key (``revenue``, ``s03_customers``), never for a
text, so a teacher corrects a term in the catalogue, in a text editor or Poedit, without
touching Python; a report is rendered in a new language by adding its ``.po``.
:func:`check_catalogues` names every entry missing, stale (its English changed after it
was translated) or inconsistent. Sentences may have plural forms (gettext's
``msgid_plural``), chosen by their count ``n`` and the language's plural rule.

Examples
--------
>>> t = glossary("en")
>>> t("revenue")
'Revenue'
>>> t.columns(["customer_id", "revenue"])
{'customer_id': 'Customer', 'revenue': 'Revenue'}
"""

from __future__ import annotations

import datetime as dt
import gettext
import os
import re
import string
from collections.abc import Iterable
from pathlib import Path

import pandas as pd
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

#: where the catalogues live: ``crmwb.pot`` (the English source) and one ``xx.po`` per
#: language; ``CRMWB_LOCALES`` names another folder (a class's own corrected copy)
LOCALES = Path(os.environ.get("CRMWB_LOCALES") or Path(__file__).with_name("locales"))
SOURCE = LOCALES / "crmwb.pot"


def _read(path: Path) -> Catalog:
    with open(path, "rb") as f:
        return read_po(f, abort_invalid=True)


def _entries(catalog: Catalog, source: bool) -> dict[str, str | tuple[str, ...]]:
    """Each entry's text by context: the source's msgid, a translation's msgstr (plural
    forms as a tuple)."""
    out = {}
    for m in catalog:
        if not m.context:
            continue  # the header
        out[m.context] = m.id if source else m.string
    return out


def _split(entries: dict) -> tuple[dict, dict, dict]:
    labels, sentences, table = {}, {}, {}
    for context, text in entries.items():
        kind, _, key = context.partition(":")
        if kind == "label":
            labels[key] = text
        elif kind == "sentence":
            sentences[key] = text
        elif kind == "table":
            where = table
            *parents, last = key.split(".")
            for p in parents:
                where = where.setdefault(p, {})
            where[last] = text
    return labels, sentences, table


def _load() -> tuple[dict, dict, dict, dict]:
    catalogs = {"en": _read(SOURCE)}
    catalogs.update({p.stem: _read(p) for p in sorted(LOCALES.glob("*.po"))})
    labels, sentences, table, plurals = {}, {}, {}, {}
    english = _entries(catalogs["en"], source=True)
    for lang, catalog in catalogs.items():
        entries = english
        if lang != "en":  # a missing or empty translation reads as the English source
            own = _entries(catalog, source=False)
            entries = {c: own.get(c) or english[c] for c in english}
        labels[lang], sentences[lang], table[lang] = _split(entries)
        plurals[lang] = gettext.c2py(catalog.plural_expr)  # gettext's rule: n -> form
    return labels, sentences, table, plurals


#: every human-facing label of the reports, by language and key (from the catalogues)
LABELS: dict[str, dict[str, str]]
#: printed sentences of the notebooks, by language: str.format templates whose dates
#: are written in the reader's calendar and numbers in their digits (:meth:`Glossary.say`);
#: a sentence with plural forms is a tuple of them, chosen by its value ``n``
SENTENCES: dict[str, dict[str, str | tuple[str, ...]]]
#: the words of a table one can search and sort (DataTables' ``language`` option; _START_,
#: _END_, _TOTAL_, _MAX_ and _MENU_ are filled in by the table)
TABLE_CONTROLS: dict[str, dict]
LABELS, SENTENCES, TABLE_CONTROLS, _PLURALS = _load()
LANGUAGES = tuple(LABELS)


def check_catalogues(locales: Path | None = None) -> list[str]:
    """What a translator must still do: each problem of the catalogues, in words.

    A translation (``xx.po``) must have every entry of the English source (``crmwb.pot``)
    translated, and no other; its ``msgid`` must be the source's current English (else
    the English changed after it was translated: stale); it must not be marked fuzzy; a
    sentence must fill in the same values as the English ({customers}, {n}), and a plural
    entry have its language's number of forms.

    >>> check_catalogues()
    []
    """
    folder = Path(locales) if locales else LOCALES
    source = _read(folder / "crmwb.pot")
    english = {m.context: m for m in source if m.context}
    problems = []
    for path in sorted(folder.glob("*.po")):
        catalog = _read(path)
        have = {m.context: m for m in catalog if m.context}
        for context in english.keys() - have.keys():
            problems.append(f"{path.name}: {context} is missing (English: "
                            f"{_first(english[context].id)!r})")
        for context in have.keys() - english.keys():
            problems.append(f"{path.name}: {context} is not in crmwb.pot any more: remove it")
        for context in english.keys() & have.keys():
            src, tr = english[context], have[context]
            if tr.id != src.id:
                problems.append(f"{path.name}: {context} is stale: translated from "
                                f"{_first(tr.id)!r}, the English is now {_first(src.id)!r}")
            elif tr.fuzzy:
                problems.append(f"{path.name}: {context} is marked fuzzy: check it, then "
                                "remove the mark")
            forms = tr.string if isinstance(tr.string, tuple) else (tr.string,)
            if not all(f.strip() for f in forms):
                problems.append(f"{path.name}: {context} is not translated")
            elif isinstance(src.id, tuple) and len(forms) != catalog.num_plurals:
                problems.append(f"{path.name}: {context} has {len(forms)} plural forms, "
                                f"{catalog.language_name or path.stem} has {catalog.num_plurals}")
            else:
                wanted = _fields(_first(src.id))
                for form in forms:
                    if _fields(form) != wanted:
                        problems.append(f"{path.name}: {context} fills in "
                                        f"{sorted(_fields(form))}, the English "
                                        f"{sorted(wanted)}")
    return sorted(problems)


def _first(text) -> str:
    return text[0] if isinstance(text, tuple) else text


def _fields(template: str) -> set[str]:
    """The fields a format string fills in (``{customers:,}`` -> ``customers``); an attribute
    or item (``{customers.__class__}``) is a field of its own, which no English entry has."""
    try:
        return {f for _, f, _, _ in string.Formatter().parse(template) if f}
    except ValueError:  # not a format string: a label with a brace in it
        return set()


class _Date:
    """A date in a sentence, written as the reader of ``lang`` reads it (:meth:`Glossary.say`)."""

    def __init__(self, value, lang: str):
        self.value, self.lang = value, lang

    def __format__(self, spec: str) -> str:
        from crmwb import i18n  # i18n reads the languages from here

        if i18n.reader_calendar(self.lang) == "jalali":  # whatever the spec: Gregorian
            return i18n.jalali(self.value) or ""         # months do not map to Jalali ones
        return format(self.value, spec or "%Y-%m-%d")


class Glossary:
    """Look up report labels and sentences in one language.

    Parameters
    ----------
    lang : str
        A language code in :data:`LANGUAGES`.
    persian_digits : bool
        Write the numbers of sentences in Persian digits.
    """

    def __init__(self, lang: str = "en", persian_digits: bool = False):
        if lang not in LABELS:
            raise ValueError(f"unknown language {lang!r}; available: {', '.join(LANGUAGES)}")
        self.lang = lang
        self.persian_digits = bool(persian_digits)
        self._labels = LABELS[lang]

    def __call__(self, key: str) -> str:
        try:
            return self._labels[key]
        except KeyError:
            raise KeyError(f"no {self.lang!r} label for {key!r} in crmwb/locales") from None

    def columns(self, names: Iterable[str]) -> dict[str, str]:
        """A renaming map from column names to their labels (for table headers)."""
        return {n: self(n) for n in names}

    def values(self, values: Iterable[str]) -> list[str]:
        """Labels for category values (segment names, complaint categories...)."""
        return [self(v) for v in values]

    def word(self, value):
        """The label of a data value when the glossary has one (a channel, a complaint
        category), or of a name made of labelled words (a cluster's), word by word; else
        the value itself (a product name, a city).

        >>> glossary("fa").word("recent frequent high-spending"), glossary("fa").word("Rasht")
        ('تازه پرتکرار پرخرج', 'Rasht')
        >>> glossary("fa").word("quality, delivery")
        'کیفیت، سرعت تحویل'

        """
        if not isinstance(value, str):
            return value
        if value in self._labels:
            return self._labels[value]
        # a list (a root cause's effects: "quality, delivery"), a cluster's name, the fields
        # a match agreed on (phone+email)
        # a covariate's level (acquisition_channel=referral): the column, then the level
        column, equals, level = value.partition("=")
        if equals and column in self._labels and level in self._labels:
            return f"{self._labels[column]}: {self._labels[level]}"
        for sep in (", ", " ", "+"):
            parts = value.split(sep)
            if len(parts) > 1 and all(p in self._labels for p in parts):
                joiner = "، " if sep == ", " and self.lang == "fa" else sep
                return joiner.join(self._labels[p] for p in parts)
        return value

    def say(self, key: str, **values) -> str:
        """The sentence ``key`` of :data:`SENTENCES` with ``values`` filled in.

        Dates (Timestamps, dates, Periods) are written in the reader's calendar
        (Jalali for Persian), and numbers in Persian digits when asked.

        >>> glossary("en").say("s03_customers", customers=1200, end=pd.Timestamp("2024-03-20"))
        '1,200 customers; data up to 2024-03-20.'
        >>> print(glossary("fa", persian_digits=True).say(
        ...     "s03_customers", customers=1200, end=pd.Timestamp("2024-03-20")))
        ۱٬۲۰۰ مشتری؛ داده‌ها تا ۱۴۰۳/۰۱/۰۱.
        """
        try:
            template = SENTENCES[self.lang][key]
        except KeyError:
            raise KeyError(f"no {self.lang!r} sentence {key!r} in crmwb/locales") from None
        if isinstance(template, tuple):  # plural forms, chosen by the count n
            if "n" not in values:
                raise KeyError(f"sentence {key!r} has plural forms: give its count as n")
            template = template[_PLURALS[self.lang](int(values["n"]))]
        for name, value in values.items():
            if isinstance(value, pd.Period):
                value = value.to_timestamp()
            if isinstance(value, dt.date):  # datetime and pandas.Timestamp too
                values[name] = _Date(value, self.lang)
        return _Sentence(self.persian_digits, self.lang in ("fa",)).format(template, **values)


#: first-strong isolate and pop directional isolate: a path or an id inside right-to-left
#: text keeps its own direction (Unicode's bidirectional algorithm, UAX #9)
ISOLATE = "\u2068", "\u2069"
_RTL_LETTER = re.compile("[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]")


class _Sentence(string.Formatter):
    """Fills a sentence: numbers and dates (and the template's own digits) in Persian digits
    when asked; text values (paths, ids, codes, names) as they are, isolated in
    right-to-left text, so that a path or a pseudonym can be copied back."""

    def __init__(self, persian_digits: bool, rtl: bool):
        self.persian_digits, self.rtl = persian_digits, rtl

    def _digits(self, text: str) -> str:
        if not self.persian_digits:
            return text
        from crmwb.i18n import to_persian_digits

        return to_persian_digits(text)

    def vformat(self, format_string, args, kwargs):
        out = []
        for literal, field, spec, conversion in self.parse(format_string):
            out.append(self._digits(literal))
            if field is None:
                continue
            if not field.isidentifier():  # a catalogue is data: {x.attr} or {x[0]} reaches
                raise ValueError(f"a sentence may fill in names only, not {field!r}")  # no code
            value, _ = self.get_field(field, args, kwargs)
            value = self.convert_field(value, conversion)
            spec = string.Formatter().vformat(spec, args, kwargs) if spec else ""  # as written
            text = self.format_field(value, spec)
            if isinstance(value, str | os.PathLike):  # left-to-right text is isolated
                ltr = self.rtl and text and not _RTL_LETTER.search(text)
                out.append(f"{ISOLATE[0]}{text}{ISOLATE[1]}" if ltr else text)
            else:  # numbers and dates are read: in the reader's digits
                out.append(self._digits(text))
        return "".join(out)


def glossary(lang: str = "en", persian_digits: bool = False) -> Glossary:
    """The glossary for ``lang``; see :class:`Glossary`."""
    return Glossary(lang, persian_digits)
