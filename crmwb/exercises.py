"""Exercises: a student's result beside the planted truth, as the reader reads it.

Each notebook ends with two or three exercises of one shape: *predict* (a question to
answer before running anything), *change* (the parameter to move, in the cell tagged
``parameters``), *check* (a cell comparing the result with what the bundled shop
planted, through :mod:`crmwb.truth`). The question and its check cell are tagged
``exercise``; the answer is tagged ``solution``, and ``crmwb run`` leaves solutions out
of the reports unless the parameters say ``solutions: true``
(:func:`crmwb.report.without_solutions`), so a teacher can hand out the reports and keep
the answers.

:func:`check` writes a comparison of :mod:`crmwb.truth` (measures, ``yours``,
``planted``) as a small table in the reader's language; on real data, which has no
planted truth, it says so instead.

>>> import pandas as pd
>>> table = pd.DataFrame({"yours": [0.98], "planted": [1.0], "kind": ["share"],
...                       "when": [None]}, index=pd.Index(["recall"], name="measure"))
>>> print(check(table, lang="en")._repr_mimebundle_()["text/plain"])
Recall: yours 98.0%, planted 100.0%
"""

from __future__ import annotations

import html

import pandas as pd

from crmwb import display, i18n
from crmwb.glossary import LABELS, glossary

#: the tags of an exercise's cells (question and check) and of its answer's
EXERCISE, SOLUTION = "exercise", "solution"


def _label(measure: str, lang: str) -> str:
    """A measure's name: its glossary label, a covariate's effect (``process|column=level``)
    in words, else itself (a rule's items are data)."""
    process, bar, covariate = str(measure).partition("|")
    if bar:
        return f"{_label(f'process_{process}', lang)} · {glossary(lang).word(covariate)}"
    return LABELS[lang].get(measure) or LABELS[lang].get(f"key_{measure}") or str(measure)


class Check:
    """A comparison with the planted truth, shown as a table (see :func:`check`)."""

    def __init__(self, table: pd.DataFrame | None, lang: str, persian_digits: bool):
        self.table, self.lang, self.persian_digits = table, lang, persian_digits

    def rows(self) -> list[tuple[str, str, str]]:
        """(measure, yours, planted) as written for the reader."""
        out = []
        for measure, r in self.table.iterrows():
            write = display.formatter(r["kind"], self.lang, self.persian_digits)
            name = _label(measure, self.lang)
            if r.get("when") is not None and not pd.isna(r.get("when")):
                name += " · " + i18n.format_date(r["when"], self.lang)
                if self.persian_digits:
                    name = i18n.to_persian_digits(name)
            out.append((name, write(r["yours"]), write(r["planted"])))
        return out

    def _repr_mimebundle_(self, include=None, exclude=None):
        t = glossary(self.lang)
        if self.table is None:
            text = t.say("exercise_no_truth")
            return {"text/plain": text,
                    "text/html": f"<p class='crmwb-check'>{html.escape(text)}</p>"}
        rows = self.rows()
        head = "".join(f"<th>{html.escape(t(k))}</th>" for k in ("measure", "h_yours",
                                                                  "h_planted"))
        body = "".join("<tr>" + "".join(f"<td>{html.escape(v)}</td>" for v in row) + "</tr>"
                       for row in rows)
        style = ("<style>table.crmwb-check{min-width:30em;margin:0.5em 0}"
                 "table.crmwb-check caption{text-align:start;font-weight:bold;padding:0.3em 0}"
                 "table.crmwb-check td:first-child,table.crmwb-check th:first-child"
                 "{text-align:start}</style>")
        return {
            "text/html": f"{style}<table class='crmwb-check' dir='{i18n.direction(self.lang)}'>"
                         f"<caption>{html.escape(t('h_check'))}</caption>"
                         f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>",
            "text/plain": "\n".join(f"{m}: {t('h_yours').lower()} {y}, "
                                    f"{t('h_planted').lower()} {p}" for m, y, p in rows),
        }


def check(table: pd.DataFrame | None, lang: str | None = None,
          persian_digits: bool | None = None) -> Check:
    """A comparison of :mod:`crmwb.truth` for the reader (None: the data has no planted
    truth), in the language :func:`crmwb.i18n.use_language` set unless told."""
    return Check(table, i18n.READER["lang"] if lang is None else lang,
                 i18n.READER["persian_digits"] if persian_digits is None else persian_digits)
