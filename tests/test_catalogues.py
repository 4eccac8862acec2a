"""Translations as data: gettext catalogues a teacher edits, checked for gaps and staleness."""

import os
import shutil
import subprocess
import sys

import pytest

from crmwb import glossary as glossary_module
from crmwb.glossary import LABELS, SENTENCES, check_catalogues, glossary


@pytest.fixture
def locales(tmp_path):
    folder = tmp_path / "locales"
    shutil.copytree(glossary_module.LOCALES, folder)
    return folder


def _edit(path, old, new):
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_the_shipped_catalogues_are_complete_and_current():
    assert check_catalogues() == []
    assert set(LABELS) == {"en", "fa"} and LABELS["fa"]["revenue"] == "درآمد"


def test_an_english_change_makes_its_translation_stale(locales):
    _edit(locales / "crmwb.pot", 'msgctxt "label:revenue"\nmsgid "Revenue"',
          'msgctxt "label:revenue"\nmsgid "Net revenue"')
    assert check_catalogues(locales) == [
        "fa.po: label:revenue is stale: translated from 'Revenue', the English is now "
        "'Net revenue'"]


def test_a_missing_an_untranslated_and_a_wrongly_filled_entry_are_named(locales):
    po = locales / "fa.po"
    _edit(po, 'msgctxt "label:revenue"\nmsgid "Revenue"\nmsgstr "درآمد"\n', "")
    _edit(po, 'msgid "Customers"\nmsgstr "مشتریان"', 'msgid "Customers"\nmsgstr ""')
    text = po.read_text(encoding="utf-8")
    start = text.index('msgctxt "sentence:s03_customers"')
    entry = text[start:text.index("\n\n", start)]
    po.write_text(text.replace(entry, entry.replace("{customers:,}", "{clients:,}")),
                  encoding="utf-8")
    problems = check_catalogues(locales)
    assert "fa.po: label:revenue is missing (English: 'Revenue')" in problems
    assert "fa.po: label:customers is not translated" in problems
    assert any(p.startswith("fa.po: sentence:s03_customers fills in ['clients', 'end']")
               for p in problems), problems


def test_a_teacher_corrects_a_term_in_the_catalogue_without_touching_python(locales):
    _edit(locales / "fa.po", 'msgid "Revenue"\nmsgstr "درآمد"', 'msgid "Revenue"\nmsgstr "فروش"')
    code = "from crmwb.glossary import glossary; print(glossary('fa')('revenue'))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**os.environ, "CRMWB_LOCALES": str(locales)}, check=True)
    assert out.stdout.strip() == "فروش"


def test_sentences_take_their_plural_form_from_the_count():
    en, fa = glossary("en"), glossary("fa", persian_digits=True)
    assert en.say("s06_repeat", n=1) == "1 customer complained more than once."
    assert en.say("s06_repeat", n=3) == "3 customers complained more than once."
    assert fa.say("s06_repeat", n=1) == "۱ مشتری بیش از یک بار شکایت کرد."
    assert fa.say("s06_repeat", n=3) == "۳ مشتری بیش از یک بار شکایت کردند."
    assert isinstance(SENTENCES["en"]["s06_repeat"], tuple)
    with pytest.raises(KeyError, match="give its count as n"):
        en.say("s06_repeat", customers=3)


def test_the_translations_command_names_what_a_translator_must_do(locales, capsys):
    from crmwb import cli

    assert cli.main(["translations", "--locales", str(locales)]) == 0
    _edit(locales / "crmwb.pot", 'msgid "Revenue"', 'msgid "Net revenue"')
    assert cli.main(["translations", "--locales", str(locales)]) == 1
    assert "label:revenue is stale" in capsys.readouterr().out


def test_a_catalogue_entry_cannot_reach_into_the_values_it_fills_in(locales):
    """A catalogue is data: a sentence that asks for an attribute of a value is named by the
    check and refused when said, never evaluated."""
    po = locales / "fa.po"
    text = po.read_text(encoding="utf-8")
    start = text.index('msgctxt "sentence:s03_customers"')
    entry = text[start:text.index("\n\n", start)]
    po.write_text(text.replace(entry, entry.replace("{customers:,}",
                                                    "{customers.__class__.__mro__}")),
                  encoding="utf-8")
    assert any("sentence:s03_customers fills in" in p for p in check_catalogues(locales))
    code = ("import pandas as pd; from crmwb.glossary import glossary; "
            "glossary('fa').say('s03_customers', customers=3, end=pd.Timestamp('2024-03-20'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**os.environ, "CRMWB_LOCALES": str(locales)})
    assert out.returncode != 0 and "names only" in out.stderr


def test_persian_uses_the_course_s_terms_and_gives_each_idea_its_own_word():
    # the course notes' (../shared/seeds) terms, with half-spaces
    import json
    import re

    from crmwb import config
    from crmwb.glossary import LABELS

    fa = LABELS["fa"]
    # the RFM segment, the profitability matrix's cell and the pyramid level are three ideas
    words = [set(fa[k].split()) for k in ("champions", "passive", "inactive")]
    assert not (words[0] & words[1]) and not (words[0] & words[2]) and not (words[1] & words[2])
    assert fa["retail"] == "خرد" and fa["base_value"] == "پتانسیل پایه"
    assert fa["roi"] == "بازگشت سرمایه"
    texts = [m.string for m in glossary_catalogue("fa")]
    for path in sorted(config.NOTEBOOKS_DIR.glob("*.ipynb")):
        texts += ["".join(c["source"]) for c in json.loads(path.read_text())["cells"]
                  if "lang-fa" in c["metadata"].get("tags", [])]
    wrong = {"مدل عملی": "مدل کاربردی", "راجرز": "روجرز", "خرده": "خرد", "بی وفا": "بی‌وفا",
             "بی ثبات": "بی‌ثبات", "بخش بندی": "بخش‌بندی", "متمایز سازی": "متمایزسازی",
             "سفارشی سازی": "سفارشی‌سازی", "هزینهٔ گاما-گاما": "مبلغ خرید"}
    found = {w: right for w, right in wrong.items()
             for text in texts if re.search(w + r"(?![\u0600-\u06FF])", str(text))}
    assert found == {}, found


def glossary_catalogue(lang):
    from babel.messages.pofile import read_po

    from crmwb.glossary import LOCALES

    with open(LOCALES / f"{lang}.po", "rb") as f:
        return [m for m in read_po(f) if m.context]


def test_no_persian_sentence_reads_on_after_a_parameter_name():
    # a Latin name inside a right-to-left sentence breaks its reading: a Persian sentence
    # says what the parameter means, and names it in a code span at its end
    import json
    import re

    from crmwb import config

    connectives = {"و", "یا", "با", "برابر", "برای", "نمونه", "پارامتر", "پارامترها", "فرمان",
                   "فرمان‌ها", "ستون", "ستون‌ها"}
    found = []
    for path in sorted(config.NOTEBOOKS_DIR.glob("*.ipynb")):
        for cell in json.loads(path.read_text())["cells"]:
            if "lang-fa" not in cell["metadata"].get("tags", []):
                continue
            text = re.sub(r"`[^`]+`", "`x`", "".join(cell["source"]))  # one token per span
            for sentence in re.split(r"\n\s*\n|(?<=[.؛!?:])\s", text):
                for m in re.finditer(r"`x`", sentence):
                    after = re.findall(r"[\u0621-\u064A\u067E\u0686\u0698\u06A9\u06AF\u06CC"
                                       r"\u200c]+", sentence[m.end():])
                    if set(after) - connectives:
                        found.append(f"{path.name}: {sentence.strip()[:120]}")
    assert found == [], "\n".join(dict.fromkeys(found))
