"""A report's headline figures: shown at the end of its notebook, gathered on the index page.

A notebook ends with :func:`show`: a few figures it computed (customers and revenue, the
total CLV, the best churn model's ROC-AUC, the strongest rule, NPS with its interval...),
each named by a glossary key and written by its kind, as the display layer writes a
column of that kind. The output carries the figures as data too (:data:`MIME`), and the
runner reads them back from the executed notebook (:func:`read`) to build the index page
(:func:`crmwb.report.write_index`) in the reader's language.

>>> card = Headline("revenue", 1608998.484, "money")
>>> written(card, "en"), written(card, "fa", persian_digits=True)
('1,608,998.48', '۱٬۶۰۸٬۹۹۸٫۴۸')
>>> written(Headline("nps", [9.6, 7.55, 11.75], "interval"), "en")
'9.6 (7.5 to 11.8)'
"""

from __future__ import annotations

import html
import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from crmwb import display, i18n
from crmwb.glossary import LABELS, glossary

#: the MIME type of the figures in a notebook's output (read by the runner)
MIME = "application/vnd.crmwb.headlines+json"
#: kinds a headline may have: the display layer's, and an estimate with its interval
#: (``[estimate, low, high]``)
KINDS = (*display.KINDS, "interval")


@dataclass(frozen=True)
class Headline:
    """One figure: a glossary key naming it, its value and its kind; ``note``, a glossary
    key of a qualification the figure must not be read without (it rests on a failed fit,
    on a model that loses to its baseline, on a small base)."""

    key: str
    value: object
    kind: str = "number"
    note: str | None = None
    #: money's currency (ISO 4217), written after the figure
    unit: str | None = None


def _plain(value):
    """A value JSON can hold: numbers as floats or ints, dates as ISO text."""
    if isinstance(value, (list, tuple, np.ndarray, pd.Series)):
        return [_plain(v) for v in value]
    if isinstance(value, (pd.Timestamp, pd.Period)):
        return str(value)
    if isinstance(value, (np.integer, int)) and not isinstance(value, bool):
        return int(value)
    if isinstance(value, (np.floating, float)):
        v = float(value)
        if not np.isfinite(v):
            raise ValueError(f"a headline figure must be a finite number, not {v}")
        return v
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    return str(value)


def written(headline: Headline, lang: str = "en", persian_digits: bool = False) -> str:
    """The figure as the reader reads it (its kind's format, in their digits)."""
    if headline.kind == "interval":
        estimate, low, high = (float(v) for v in headline.value)
        write = display.formatter("number", lang, persian_digits, decimals=1)
        words = {"en": "to", "fa": "تا"}[lang]
        return f"{write(estimate)} ({write(low)} {words} {write(high)})"
    if headline.kind == "text":
        return str(glossary(lang).word(headline.value))
    value = headline.value
    if headline.kind == "date" and isinstance(value, str):
        value = pd.Timestamp(value)
    text = display.formatter(headline.kind, lang, persian_digits)(value)
    return f"{text} {headline.unit}" if headline.unit else text


def label(key: str, lang: str = "en") -> str:
    """The figure's name in the reader's language (the glossary's label)."""
    return LABELS[lang].get(key) or display.header(key, lang)


def note(headline: Headline, lang: str = "en") -> str:
    """The figure's qualification in the reader's language, or nothing."""
    return LABELS[lang][headline.note] if headline.note else ""


class Card:
    """The headline figures a notebook shows at its end (see :func:`show`)."""

    def __init__(self, figures: list[Headline], lang: str, persian_digits: bool):
        self.figures, self.lang, self.persian_digits = figures, lang, persian_digits

    def _repr_mimebundle_(self, include=None, exclude=None):
        rows = [(label(f.key, self.lang), written(f, self.lang, self.persian_digits),
                 note(f, self.lang)) for f in self.figures]
        cells = "".join(f"<div class='crmwb-headline'><div class='crmwb-headline-value'>"
                        f"{html.escape(v)}</div><div class='crmwb-headline-label'>"
                        f"{html.escape(k)}</div>"
                        + (f"<div class='crmwb-headline-note'>{html.escape(n)}</div>"
                           if n else "") + "</div>" for k, v, n in rows)
        style = ("<style>.crmwb-headlines{display:flex;flex-wrap:wrap;gap:1.5em;"
                 "margin:0.5em 0}.crmwb-headline-value{font-size:1.6em;font-weight:bold;"
                 "unicode-bidi:isolate}.crmwb-headline-label{color:#555}"
                 ".crmwb-headline-note{color:#a33;font-size:0.9em;max-width:22em}</style>")
        return {
            "text/html": f"{style}<div class='crmwb-headlines'>{cells}</div>",
            "text/plain": "\n".join(f"{k}: {v}" + (f" ({n})" if n else "")
                                    for k, v, n in rows),
            MIME: {"figures": [asdict(f) for f in self.figures]},
        }


def show(*figures: Headline | tuple, lang: str | None = None,
         persian_digits: bool | None = None) -> Card:
    """The report's headline figures, for the reader here and for the index page.

    Each figure is a :class:`Headline` or a tuple ``(key, value, kind)``; ``key`` is a
    glossary key (its label names the figure in either language); a figure whose value
    is None is left out. In the reader's language as :func:`crmwb.i18n.use_language` set
    it.

    Money is written with the currency :func:`crmwb.i18n.use_currency` set (none here).

    >>> i18n.use_currency(None)
    >>> card = show(("customers", 4999, "count"), ("clv", 623456.7, "money"), lang="en")
    >>> print(card._repr_mimebundle_()["text/plain"])
    Customers: 4,999
    Customer lifetime value: 623,456.70
    """
    made = []
    for f in figures:
        f = f if isinstance(f, Headline) else Headline(*f)
        if f.value is None:  # a figure this data cannot give (no surveys, no customer ids)
            continue
        if f.key not in LABELS["en"] or f.key not in LABELS["fa"]:
            raise KeyError(f"a headline is named by a glossary key in both languages: {f.key!r}")
        if f.kind not in KINDS:
            raise ValueError(f"{f.key}: kind {f.kind!r} is not one of {KINDS}")
        if f.note is not None and (f.note not in LABELS["en"] or f.note not in LABELS["fa"]):
            raise KeyError(f"a headline's note is a glossary key in both languages: {f.note!r}")
        unit = i18n.READER.get("currency") if f.kind == "money" else None
        made.append(Headline(f.key, _plain(f.value), f.kind, f.note, f.unit or unit))
    return Card(made, i18n.READER["lang"] if lang is None else lang,
                i18n.READER["persian_digits"] if persian_digits is None else persian_digits)


def read(notebook) -> list[Headline]:
    """The headline figures an executed notebook (a path, or the notebook read) showed;
    none when it showed none."""
    import nbformat

    if isinstance(notebook, (str, Path)):
        notebook = nbformat.read(str(notebook), as_version=4)
    found = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {}).get(MIME)
            if data:
                data = json.loads(data) if isinstance(data, str) else data
                found += [Headline(**f) for f in data.get("figures", [])]
    return found
