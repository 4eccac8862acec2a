"""Reports in English and Persian: the glossary's coverage, the Jalali calendar, Persian
digits, the language tags of notebook cells and the pages' direction."""

import ast
import datetime as dt
import json
import re

import matplotlib
import nbformat
import pandas as pd
import pytest
from matplotlib import dates as mdates

from crmwb import cleaning, config, customer360, i18n, plots, pyramid, report, segmentation
from crmwb.glossary import LABELS, LANGUAGES, glossary
from crmwb.loyalty import LOYALTY_TYPES
from crmwb.profitability import MATRIX_CELLS
from crmwb.schema import COMPLAINT_CATEGORIES

matplotlib.use("Agg")

PERSIAN_LETTERS = re.compile(r"[\u0600-\u06FF]")


# --- the glossary -----------------------------------------------------------------------------

def test_both_languages_label_the_same_terms():
    assert set(LANGUAGES) == {"en", "fa"}
    assert set(LABELS["fa"]) == set(LABELS["en"]), (
        f"only in en: {sorted(set(LABELS['en']) - set(LABELS['fa']))}; "
        f"only in fa: {sorted(set(LABELS['fa']) - set(LABELS['en']))}")
    for lang in LANGUAGES:
        empty = [k for k, v in LABELS[lang].items() if not v.strip()]
        assert not empty, f"empty {lang} labels: {empty}"


def test_persian_labels_are_persian():
    """A Persian label is written in Persian (acronyms such as RFM or NPS may stay), not
    an English label copied across."""
    greek = re.compile(r"[α-ω]+")  # a model's parameters (α, β, γ) in both languages
    latin_only = [k for k, v in LABELS["fa"].items()
                  if not PERSIAN_LETTERS.search(v) and not greek.fullmatch(v)]
    assert not latin_only, f"fa labels without Persian letters: {latin_only}"
    copied = [k for k in LABELS["en"]
              if LABELS["en"][k] == LABELS["fa"][k] and not greek.fullmatch(LABELS["fa"][k])]
    assert not copied, f"fa labels equal to the English ones: {copied}"


def test_course_terms_follow_concepts_md():
    """Terms with a Persian name in the course notes use that name."""
    t = glossary("fa")
    assert [t(v) for v in ("top", "big", "medium", "small", "inactive")] == \
        ["ممتاز", "بزرگ", "متوسط", "کوچک", "غیرفعال"]
    assert [t(v) for v in LOYALTY_TYPES] == ["بسیار وفادار", "وفادار نسبی", "وفاداری بی‌ثبات",
                                           "بی‌وفا"]
    assert t("aggressive") == "مهاجم" and t("carriage trade") == "متقاضی"
    assert t("title_pyramid") == "هرم مشتری"


def _literal_keys(source: str) -> set[str]:
    """The string keys passed as t("...") in a piece of Python source."""
    keys = set()
    for node in ast.walk(ast.parse(source)):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                and node.func.id == "t" and node.args
                and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
            keys.add(node.args[0].value)
    return keys


def _report_sources():
    for path in sorted(config.NOTEBOOKS_DIR.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        code = "\n".join(c.source for c in nb.cells if c.cell_type == "code"
                         and not c.source.lstrip().startswith(("%", "!")))
        yield path.name, code
    for path in sorted((config.PROJECT_ROOT / "crmwb").glob("*.py")):
        yield path.name, path.read_text(encoding="utf-8")


def test_every_label_the_reports_use_is_in_both_languages():
    """Every t("...") key in the notebooks and the package, and every category value the
    reports label (segments, pyramid levels, loyalty types, matrix cells, complaint
    categories, next actions, KPIs, dimensions), has a label in each language."""
    used = {}
    for name, source in _report_sources():
        for key in _literal_keys(source):
            used.setdefault(key, name)
    values = [*segmentation.RFM_SEGMENTS, *pyramid.LEVELS, *LOYALTY_TYPES, *cleaning.RULES,
              *MATRIX_CELLS.values(), *COMPLAINT_CATEGORIES, *customer360.ACTIONS,
              *customer360.DIMENSIONS, *customer360.KPI_RATES, *customer360.KPI_POINTS,
              "active_customers", "new_customers", "retained_customers", "lapsed_customers",
              "revenue", "orders", "average_order_value", "purchase_frequency",
              "average_base_value"]
    for v in values:
        used.setdefault(v, "a category value")
    assert len(used) > 150
    for lang in LANGUAGES:
        missing = {k: where for k, where in used.items() if k not in LABELS[lang]}
        assert not missing, f"no {lang} label for: {missing}"


def test_a_missing_label_is_an_error_not_a_silent_key():
    with pytest.raises(KeyError, match="no 'fa' label for 'no_such_term'"):
        glossary("fa")("no_such_term")


# --- calendar and digits ----------------------------------------------------------------------

@pytest.mark.parametrize("gregorian, solar", [
    ("2024-03-20", "1403/01/01"),   # Nowruz 1403
    ("2025-03-21", "1404/01/01"),   # Nowruz 1404
    ("2024-03-19", "1402/12/29"),   # the last day of 1402
    ("1979-02-11", "1357/11/22"),
    ("2026-11-25", "1405/09/04"),
])
def test_jalali_dates(gregorian, solar):
    assert i18n.jalali(gregorian) == solar
    assert i18n.format_date(pd.Timestamp(gregorian), "fa") == solar
    assert i18n.format_date(pd.Timestamp(gregorian), "en") == gregorian


def test_jalali_keeps_missing_dates_missing():
    assert i18n.jalali(None) is None and i18n.jalali(pd.NaT) is None


def test_persian_digits():
    assert i18n.to_persian_digits("1,234.5 (12%).") == "۱٬۲۳۴٫۵ (۱۲٪)."
    assert i18n.to_persian_digits("a, b. c%") == "a, b. c%"
    assert i18n.to_persian_digits(2024) == "۲۰۲۴"


def test_localize_frame_shows_jalali_dates_and_leaves_the_input_alone():
    t = glossary("fa")
    frame = pd.DataFrame({"last_purchase": pd.to_datetime(["2024-03-20", None]),
                          "revenue": [1234.5, 2.0], "rfm_segment": ["at risk", "champions"],
                          "product_id": ["MUG-A", "TEA-B"]},
                         index=pd.Index([7, 8], name="customer_id"))
    before = frame.copy()
    shown = i18n.localize_frame(frame, "fa")
    assert list(shown.columns) == [t("last_purchase"), t("revenue"), t("rfm_segment"),
                                   t("product_id")]
    assert shown.index.name == t("customer_id")
    assert shown[t("last_purchase")].iloc[0] == "1403/01/01"
    assert pd.isna(shown[t("last_purchase")].iloc[1])
    assert shown[t("revenue")].tolist() == [1234.5, 2.0]
    assert shown[t("rfm_segment")].tolist() == ["در خطر", "سرآمدان"]
    assert shown[t("product_id")].tolist() == ["MUG-A", "TEA-B"]  # data, not labels
    pd.testing.assert_frame_equal(frame, before)
    digits = i18n.localize_frame(frame, "fa", persian_digits=True)
    assert digits.loc["۷", t("revenue")] == "۱٬۲۳۴٫۵۰"
    assert digits.loc["۷", t("last_purchase")] == "۱۴۰۳/۰۱/۰۱"
    card = i18n.localize_frame(frame.T, "fa")  # a transposed table: dates among other values
    assert card.loc[t("last_purchase")].iloc[0] == "1403/01/01"
    months = pd.Series([1, 2], index=pd.period_range("2024-03", periods=2, freq="M"))
    assert i18n.localize_frame(months, "fa").index.tolist() == ["1402/12/11", "1403/01/13"]
    pd.testing.assert_frame_equal(i18n.localize_frame(frame, "en"), frame)


def test_persian_figures_have_jalali_date_ticks():
    monthly = pd.DataFrame({"month": pd.date_range("2024-01-01", periods=6, freq="MS"),
                            "revenue": [1.0, 2, 3, 4, 5, 6]})
    for lang, digits, pattern in (("fa", False, r"^[آ-ی]+ 14\d\d$"),
                                  ("fa", True, r"^[آ-ی]+ ۱۴[۰-۹]{2}$"),
                                  ("en", False, None)):
        ax = plots.monthly_revenue(monthly, lang, persian_digits=digits)
        ax.figure.canvas.draw()
        ticks = [x.get_text() for x in ax.get_xticklabels() if x.get_text()]
        assert ticks
        if pattern:
            assert all(re.match(pattern, x) for x in ticks), ticks
            assert PERSIAN_LETTERS.search(ax.get_title())
            # ticks on the first days of Jalali months (Dey 1402 began on 2023-12-22)
            at = mdates.num2date(ax.get_xticks())
            assert all(i18n.jalali(d.replace(tzinfo=None)).endswith("/01") for d in at), at
        else:
            assert not any(re.match(r"^14\d\d/", x) for x in ticks)
        if digits:
            assert all(not re.search(r"[0-9]", x.get_text()) for x in ax.get_yticklabels())
        matplotlib.pyplot.close(ax.figure)


# --- language tags and pages ------------------------------------------------------------------

def _notebook():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# Monthly report", metadata={"tags": ["lang-en"]}),
                nbformat.v4.new_markdown_cell("# عنوان", metadata={"tags": ["lang-fa"]}),
                nbformat.v4.new_code_cell("x = 1"),
                nbformat.v4.new_markdown_cell("both", metadata={"tags": ["note"]})]
    return nb


def test_keep_language_keeps_the_chosen_and_the_untagged_cells():
    nb = _notebook()
    assert [c.source for c in i18n.keep_language(nb, "fa").cells] == ["# عنوان", "x = 1", "both"]
    assert [c.source for c in i18n.keep_language(nb, "en").cells] == \
        ["# Monthly report", "x = 1", "both"]
    assert len(nb.cells) == 4  # the notebook itself is untouched
    nb.cells[0].metadata["tags"].append("lang-fa")
    with pytest.raises(ValueError, match="several languages"):
        i18n.keep_language(nb, "en")
    with pytest.raises(ValueError, match="unknown language 'de'"):
        i18n.keep_language(_notebook(), "de")


def test_persian_html_report_is_right_to_left_with_only_persian_prose(tmp_path):
    nb_path = tmp_path / "demo.ipynb"
    nbformat.write(_notebook(), nb_path)
    fa = report.export_html(nb_path, tmp_path / "fa.html", lang="fa").read_text("utf-8")
    en = report.export_html(nb_path, tmp_path / "en.html", lang="en").read_text("utf-8")
    assert '<html lang="fa" dir="rtl">' in fa and "عنوان" in fa and "Monthly report" not in fa
    assert '<html lang="en" dir="ltr">' in en and "Monthly report" in en and "عنوان" not in en
    assert "direction: rtl" in fa and "direction: rtl" not in en
    # the font is served beside the pages: nothing is fetched from the internet
    assert (tmp_path / "fonts" / "DejaVuSans.ttf").stat().st_size > 100_000
    assert 'url("fonts/DejaVuSans.ttf")' in fa
    assert not re.search(r"<(script|link)[^>]*(src|href)=\"https?://", fa)


def test_index_page_follows_the_language(tmp_path):
    result = report.NotebookResult("00_overview", "ok", 1.5, {"lang": "fa"})
    page = report.write_index([result], tmp_path, "fa").read_text("utf-8")
    assert 'dir="rtl"' in page and "گزارش‌های crmwb" in page
    assert json.dumps({"lang": "fa"}) in page.replace("&quot;", '"')


def test_dates_module_matches_jdatetime_round_trip():
    import jdatetime

    for day in pd.date_range("2020-01-01", "2027-12-31", freq="37D"):
        y, m, d = map(int, i18n.jalali(day).split("/"))
        assert jdatetime.date(y, m, d).togregorian() == dt.date(day.year, day.month, day.day)


@pytest.mark.parametrize("path", sorted(config.NOTEBOOKS_DIR.glob("*.ipynb")),
                         ids=lambda p: p.stem)
def test_every_notebook_explains_itself_in_both_languages(path):
    """Each prose cell has an English (lang-en) and a Persian (lang-fa) version, side by
    side, so one notebook serves both reports and reads in either language in JupyterLab."""
    cells = nbformat.read(path, as_version=4).cells
    prose = [c for c in cells if c.cell_type == "markdown"]
    untagged = [c.source[:40] for c in prose if i18n.cell_language(c) is None]
    assert not untagged, f"prose without a language tag: {untagged}"
    english = [c for c in prose if i18n.cell_language(c) == "en"]
    persian = [c for c in prose if i18n.cell_language(c) == "fa"]
    assert len(english) == len(persian) >= 5
    for en, fa in zip(english, persian):
        assert cells.index(fa) == cells.index(en) + 1, f"no Persian cell after {en.source[:40]}"
        assert PERSIAN_LETTERS.search(fa.source) and not PERSIAN_LETTERS.search(en.source)
        assert en.source.lstrip().startswith("#") == fa.source.lstrip().startswith("#")
    assert all(i18n.cell_language(c) is None for c in cells if c.cell_type == "code")


def test_every_sentence_the_notebooks_print_exists_in_both_languages():
    """t.say("key", ...) in a notebook: the key has a template in each language, and both
    templates use the same named values (a Persian sentence cannot lose a number)."""
    import string

    from crmwb.glossary import SENTENCES

    used = set()
    for name, source in _report_sources():
        for node in ast.walk(ast.parse(source)):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "say" and node.args
                    and isinstance(node.args[0], ast.Constant)):
                used.add(node.args[0].value)
                given = {k.arg for k in node.keywords}
                for lang in LANGUAGES:
                    for form in _forms(SENTENCES[lang].get(node.args[0].value, "")):
                        fields = {f for _, f, _, _ in string.Formatter().parse(form) if f}
                        assert fields <= given, \
                            f"{name}: {node.args[0].value} needs {fields - given}"
    assert len(used) >= 40
    for lang in LANGUAGES:
        assert used <= set(SENTENCES[lang]), f"{lang}: no sentence {used - set(SENTENCES[lang])}"
    for key in SENTENCES["en"]:
        fields = [{f for form in _forms(SENTENCES[lang][key])
                   for _, f, _, _ in string.Formatter().parse(form) if f}
                  for lang in LANGUAGES]
        assert fields[0] == fields[1], key
        assert all(PERSIAN_LETTERS.search(f) for f in _forms(SENTENCES["fa"][key])), key


def _forms(template) -> tuple:
    """A sentence's forms: one, or its plural forms."""
    return template if isinstance(template, tuple) else (template,)


def test_ishikawa_speaks_the_readers_language_and_keeps_the_teams_own_words():
    ax = plots.ishikawa({"quality": ["faulty batches", "a cause of our own"]},
                        {"quality": 3}, effect="x", lang="fa")
    texts = [x.get_text() for x in ax.texts]
    assert "کیفیت (3)" in texts and "محموله‌های معیوب" in texts
    assert "a cause of our own" in texts  # not in the glossary: shown as written
    matplotlib.pyplot.close(ax.figure)


def test_persian_legends_name_series_in_persian():
    fig, ax = matplotlib.pyplot.subplots()
    for name in ("logistic regression", "recent frequent high-spending", "Isfahan"):
        ax.plot([1, 2], [1, 2], label=name)
    ax.legend()
    i18n.localize_figure(fig, "fa")
    assert [x.get_text() for x in ax.get_legend().get_texts()] == \
        ["رگرسیون لجستیک", "تازه پرتکرار پرخرج", "Isfahan"]  # data stay as they are
    matplotlib.pyplot.close(fig)
