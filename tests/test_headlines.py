"""Headline figures: computed in a notebook, written by kind, gathered on the index page."""

import base64
import io as bytes_io

import nbformat
import numpy as np
import pytest
from PIL import Image

from crmwb import headlines, report
from crmwb.glossary import LABELS


def _executed(path, *outputs):
    """An executed notebook whose cells showed ``outputs`` (bundles of MIME data)."""
    cells = []
    for bundle in outputs:
        cell = nbformat.v4.new_code_cell("x")
        cell.outputs = [nbformat.v4.new_output("display_data", data=bundle)]
        cells.append(cell)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(
        "# 03 · Customer lifetime value", metadata={"tags": ["lang-en"]}),
        nbformat.v4.new_markdown_cell("# ۰۳ · ارزش طول عمر مشتری",
                                      metadata={"tags": ["lang-fa"]}), *cells])
    nbformat.write(nb, path)
    return path


def _png(width=800, height=500):
    buffer = bytes_io.BytesIO()
    Image.new("RGB", (width, height), "steelblue").save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode()


def test_a_card_writes_each_figure_by_its_kind_in_the_readers_language():
    card = headlines.show(("customers", 4999, "count"), ("h_clv_total", 621521.364, "money"),
                          ("h_top20_revenue", 0.7612, "share"), ("h_people", None, "count"),
                          ("nps", [9.6, 7.55, 11.75], "interval"),
                          ("h_best_model", "logistic regression", "text"),
                          lang="fa", persian_digits=True)
    bundle = card._repr_mimebundle_()
    assert bundle["text/plain"].splitlines() == [
        "مشتریان: ۴٬۹۹۹", "ارزش طول عمر کل مشتریان کنونی، به صورت حاشیهٔ سود: ۶۲۱٬۵۲۱٫۳۶",
        "درآمد از ۲۰٪ برتر مشتریان: ۷۶٫۱٪", "خالص امتیاز ترویج‌کنندگان (NPS): ۹٫۶ (۷٫۵ تا ۱۱٫۸)",
        f"بهترین مدل ریزش: {LABELS['fa']['logistic regression']}"]
    # the figures travel as data, the value not yet written, for the index page
    figures = bundle[headlines.MIME]["figures"]
    assert [f["key"] for f in figures] == ["customers", "h_clv_total", "h_top20_revenue",
                                           "nps", "h_best_model"]
    assert figures[1]["value"] == 621521.364 and isinstance(figures[0]["value"], int)


def test_a_figure_that_is_not_a_finite_number_or_not_in_the_glossary_is_refused():
    with pytest.raises(ValueError, match="finite"):
        headlines.show(("h_clv_total", np.nan, "money"))
    with pytest.raises(KeyError, match="glossary key"):
        headlines.show(("total_clv_next_year", 1.0, "money"))
    with pytest.raises(ValueError, match="kind"):
        headlines.show(("customers", 1, "thousands"))


def test_the_runner_reads_back_figures_title_and_first_figure(tmp_path):
    card = headlines.show(("h_clv_total", 621521.36, "money"), ("customers", 12, "count"),
                          lang="en")
    bundle = {k: v for k, v in card._repr_mimebundle_().items()}
    executed = _executed(tmp_path / "03_clv.ipynb", {"text/plain": "no figure"},
                         {"image/png": _png(), "text/plain": "<Figure>"},
                         {"image/png": _png(300, 300), "text/plain": "<Figure>"}, bundle)
    found = headlines.read(executed)
    assert found == [headlines.Headline("h_clv_total", 621521.36, "money"),
                     headlines.Headline("customers", 12, "count")]
    nb = nbformat.read(executed, as_version=4)
    assert report._title(nb, "fa") == "۰۳ · ارزش طول عمر مشتری"
    thumb = report.thumbnail(nb, tmp_path / "out" / "thumbnails" / "03_clv.png")
    assert Image.open(thumb).size == (360, 225)  # the first figure, scaled down
    assert report.thumbnail(nbformat.v4.new_notebook(), tmp_path / "none.png") is None


@pytest.mark.parametrize("lang", ["en", "fa"])
def test_the_index_summarises_each_report_in_the_readers_language(tmp_path, lang):
    out = tmp_path / "reports"
    (out / "thumbnails").mkdir(parents=True)
    thumb = out / "thumbnails" / "03_clv.png"
    Image.new("RGB", (360, 200), "white").save(thumb)
    (out / "03_clv.html").write_text("report")
    ok = report.NotebookResult(
        "03_clv", "ok", 13.04, {"lang": lang, "margin": 0.3}, out / "03_clv.ipynb",
        out / "03_clv.html", title="03 · Customer lifetime value",
        headlines=[headlines.Headline("h_clv_total", 621521.36, "money"),
                   headlines.Headline("nps", [9.6, 7.55, 11.75], "interval")],
        thumbnail=thumb)
    failed = report.NotebookResult("04_churn", "failed", 2.5, {}, error="ValueError: planted")
    page = report.write_index([ok, failed], out, lang, persian_digits=lang == "fa").read_text()
    assert LABELS[lang]["h_clv_total"] in page and LABELS[lang]["nps"] in page
    if lang == "fa":
        assert "۶۲۱٬۵۲۱٫۳۶" in page and "۹٫۶ (۷٫۵ تا ۱۱٫۸)" in page and "۱۳٫۰" in page
        assert 'dir="rtl"' in page
    else:
        assert "621,521.36" in page and "9.6 (7.5 to 11.8)" in page and "13.0" in page
    assert 'src="thumbnails/03_clv.png"' in page
    assert page.count('href="03_clv.html"') == 2  # the title and the picture
    assert "planted" in page and "class='card failed'" in page
    assert "h_clv_total" not in page  # no key, only its label


def test_a_notebook_whose_figures_cannot_be_read_still_has_its_report(tmp_path):
    # headline data that is not JSON (a hand-made output): the report stands, the index
    # shows no figures for it, and the run goes on
    source = tmp_path / "00_odd.ipynb"
    cell = ("from IPython.display import display\n"
            f"display({{{headlines.MIME!r}: '{{not json', 'text/plain': 'x'}}, raw=True)")
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell('lang: str = "en"  # language',
                                  metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell(cell)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nbformat.write(nb, source)
    out = tmp_path / "out"
    out.mkdir()
    result = report.run_notebook(source, {}, out)
    assert result.status == "ok" and result.html.exists()
    assert result.headlines == [] and result.thumbnail is None
