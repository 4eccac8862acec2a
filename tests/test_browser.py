"""The reports as a reader sees them: every page opened in headless Chromium.

Needs Debian's ``chromium`` (``.ci/run`` installs it) and the ``playwright`` package, which
drives that browser (no browser is downloaded). Without them the tests skip and say why.

Every notebook runs twice on a small data set, in English and in Persian, the Persian run
from a windows-1256 CSV export with Persian names and Persian digits. Each page is served
on localhost and must load with no console error and no failed request, every image and
link must resolve, every table must have headers, and Persian pages must read right to
left. Screenshots of one English and one Persian report are written beside the reports.
"""

from __future__ import annotations

import functools
import http.server
import re
import shutil
import threading
from pathlib import Path
from urllib.parse import urljoin, urlparse

import pandas as pd
import pytest
from conftest import data_words, latin_words, report_words

from crmwb import config, io, report
from crmwb.datasets import make_crm_data
from crmwb.glossary import LABELS, TABLE_CONTROLS

CHROMIUM = next((p for p in map(shutil.which, ("chromium", "chromium-browser")) if p), None)
playwright = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="no chromium on this machine (apt-get install chromium)")

PERSIAN_NAMES = ["مریم احمدی", "علی رضایی", "زهرا کریمی", "حسین محمدی", "فاطمه حسینی"]
PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")


def _persian_data(root: Path) -> Path:
    """Generated data as an Iranian shop keeps it: Persian customer names, phone numbers in
    Persian digits, and the transactions as a Windows-1256 CSV export whose product
    descriptions are Persian (in the Arabic letter forms that code page has)."""
    data = make_crm_data(600, seed=5)
    data.customers["name"] = [PERSIAN_NAMES[i % len(PERSIAN_NAMES)]
                              for i in range(len(data.customers))]
    data.customers["phone"] = data.customers["phone"].astype("string").str.translate(
        PERSIAN_DIGITS)
    data.write(root)
    (root / "transactions.parquet").unlink()  # the export replaces it
    lines = data.transactions.assign(description="كالا " + data.transactions["product_id"])
    lines.to_csv(root / "transactions.csv", index=False, encoding="cp1256")
    return root


@pytest.fixture(scope="module")
def sites(tmp_path_factory):
    """Reports of every notebook, in English and in Persian, each folder served on localhost."""
    root = tmp_path_factory.mktemp("browser")
    english = make_crm_data(600, seed=5)
    english.write(root / "data_en")
    _persian_data(root / "data_fa")
    out = {}
    for lang in ("en", "fa"):
        results = report.run_notebooks({"data_dir": str(root / f"data_{lang}"), "lang": lang,
                                        "persian_digits": lang == "fa",
                                        "out_table_dir": str(root / f"export_{lang}"),
                                        "prepared": str(root / f"prepared_{lang}")},
                                       out_dir=root / f"reports_{lang}", log=lambda line: None)
        assert [r.status for r in results] == ["ok"] * len(results), \
            [(r.name, r.error) for r in results if r.status != "ok"]
        out[lang] = root / f"reports_{lang}"
    servers = {}
    for lang, folder in out.items():
        handler = functools.partial(_QuietHandler, directory=str(folder))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers[lang] = (server, f"http://127.0.0.1:{server.server_address[1]}/", folder)
    yield {lang: (url, folder) for lang, (_, url, folder) in servers.items()}
    for server, _, _ in servers.values():
        server.shutdown()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def browser():
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield b
        b.close()


def _open(browser, url):
    """Open ``url``; return the page and what went wrong while it loaded."""
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    problems = []
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}")
            if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url}"))
    page.on("response", lambda r: problems.append(f"HTTP {r.status}: {r.url}")
            if r.status >= 400 else None)
    page.on("request", lambda r: problems.append(f"request to a remote host: {r.url[:80]}")
            if urlparse(r.url).scheme in ("http", "https", "ws", "wss")
            and urlparse(r.url).hostname != "127.0.0.1" else None)
    page.goto(url, wait_until="networkidle")
    return page, problems


#: a header in snake_case: a raw column name
SNAKE = re.compile(r"[A-Za-z]+(_[A-Za-z0-9]+)+")
#: a cell a reader cannot read: a missing value as Python prints it, or a float with more
#: than four decimals (Latin or Persian digits)
MISSING = {"NaN", "NaT", "<NA>", "nan", "None", "null"}
LONG_FLOAT = re.compile(r"[-−]?[\d,]*\.\d{5,}%?|[-−]?[۰-۹٬]*٫[۰-۹]{5,}٪?")


def _unreadable(page, folder) -> list[str]:
    """What a reader would stumble on: snake_case headers, NaN-like or over-long cells, and
    absolute paths of the machine in the text."""
    found = []
    headers = page.evaluate("() => Array.from(document.querySelectorAll('th'))"
                            ".map(h => h.innerText.trim())")
    found += [f"snake_case header {h!r}" for h in sorted(set(headers)) if SNAKE.fullmatch(h)]
    cells = page.evaluate("() => Array.from(document.querySelectorAll('td, th'))"
                          ".map(c => c.innerText.trim())")
    found += [f"cell {c!r}" for c in sorted(set(cells)) if c in MISSING or LONG_FLOAT.fullmatch(c)]
    text = page.inner_text("body")
    roots = {str(Path.home()), str(Path.cwd()), str(config.PROJECT_ROOT)}
    if folder is not None:
        roots.add(str(Path(folder).resolve().parent))
    found += [f"absolute path {r!r} in the text" for r in sorted(roots) if len(r) > 1 and r in text]
    return found


def _check_page(browser, url, lang, folder=None):
    page, problems = _open(browser, url)
    assert not problems, f"{url}: {problems}"
    images = page.evaluate("""() => Array.from(document.images).map(
        i => [i.getAttribute('src').slice(0, 40), i.complete && i.naturalWidth > 0])""")
    assert all(ok for _, ok in images), f"{url}: broken images {[s for s, ok in images if not ok]}"
    links = page.evaluate("() => Array.from(document.querySelectorAll('a[href]'))"
                          ".map(a => a.getAttribute('href'))")
    for href in links:
        if href.startswith("#"):
            continue
        target = urljoin(url, href)
        assert urlparse(target).hostname == "127.0.0.1", f"{url} links outside: {href}"
        assert page.request.get(target).status == 200, f"{url}: broken link {href}"
    stderr = page.evaluate("""() => Array.from(document.querySelectorAll(
        '[data-mime-type="application/vnd.jupyter.stderr"]')).map(e => e.innerText.slice(0, 80))""")
    assert not stderr, f"{url} shows warnings or errors to the reader: {stderr[:3]}"
    # a table of cells without headers (an empty table is scaffolding: a sideways-scrolling
    # DataTable's foot)
    tables = page.evaluate("""() => Array.from(document.querySelectorAll('table')).filter(
        t => t.querySelectorAll('td').length).map(t => t.querySelectorAll('th').length)""")
    assert all(n > 0 for n in tables), f"{url}: a table without headers"
    assert not _unreadable(page, folder), f"{url}: {_unreadable(page, folder)[:8]}"
    if lang == "fa":  # headers in Persian: no raw column name or glossary term left in English
        headers = page.evaluate("() => Array.from(document.querySelectorAll('th'))"
                                ".map(h => h.innerText.trim())")
        english = sorted({h for h in headers if h in LABELS["en"]
                          or re.fullmatch(r"[a-z]+(_[a-z0-9]+)+", h)})
        assert not english, f"{url}: headers left in English: {english[:10]}"
    direction = page.evaluate("() => [document.documentElement.dir, "
                              "getComputedStyle(document.body).direction]")
    assert direction == (["rtl", "rtl"] if lang == "fa" else ["ltr", "ltr"]), direction
    return page, images, tables


@pytest.mark.parametrize("lang", ["en", "fa"])
def test_every_page_loads_cleanly_in_chromium(sites, browser, lang):
    url, folder = sites[lang]
    page, _, _ = _check_page(browser, url + "index.html", lang, folder)
    reports = page.evaluate("() => Array.from(document.querySelectorAll('a[href$=\".html\"]'))"
                            ".map(a => a.getAttribute('href'))")
    reports = sorted(set(reports))  # a report's title and its picture link to it
    assert len(reports) == len(list(folder.glob("*.html"))) - 1 >= 8
    # the index summarises: each report's headline figures and a thumbnail of its first figure
    cards = page.evaluate("""() => Array.from(document.querySelectorAll('section.card')).map(
        c => [c.querySelectorAll('.figures dd').length, c.querySelectorAll('img').length])""")
    assert len(cards) == len(reports) and all(n >= 2 and img == 1 for n, img in cards), cards
    shown_images = shown_tables = 0
    for href in reports:
        _, images, tables = _check_page(browser, url + href, lang, folder)
        shown_images += len(images)
        shown_tables += len(tables)
    assert shown_images >= 30 and shown_tables >= 20


@pytest.mark.parametrize("lang", ["en", "fa"])
def test_every_figure_drawn_reaches_its_report_and_every_section_runs(sites, lang):
    # each cell that draws (a crmwb.plots call at the top level of the cell) shows its
    # figure: a style context once switched the inline backend off after the first one;
    # and the contractual sections run on the bundled shop's subscriptions
    import nbformat

    from crmwb.glossary import SENTENCES

    _, folder = sites[lang]
    missing = []
    for path in sorted(folder.glob("*.ipynb")):
        for i, cell in enumerate(nbformat.read(path, as_version=4).cells):
            draws = cell.cell_type == "code" and re.search(r"^plots\.", cell.source, re.M)
            if draws and not any("image/png" in o.get("data", {}) for o in cell.outputs):
                missing.append(f"{path.name} cell {i}")
    assert missing == []
    none = SENTENCES[lang]["s03_no_subscriptions"].split(":")[0]
    for name in ("03_clv", "04_churn"):
        text = (folder / f"{name}.ipynb").read_text(encoding="utf-8")
        assert none not in text


def _number(text: str) -> float:
    """A number as the reports write it, in Latin or Persian digits (1,234.5 / ۱٬۲۳۴٫۵)."""
    latin = text.translate(str.maketrans("۰۱۲۳۴۵۶۷۸۹٫٬٪−", "0123456789.,%-"))
    return float(latin.replace(",", "").rstrip("%"))


@pytest.mark.parametrize("lang", ["en", "fa"])
def test_the_rules_table_is_searched_and_sorted_in_the_reader_s_language(sites, browser, lang):
    url, _ = sites[lang]
    page, problems = _open(browser, url + "05_basket.html")
    page.wait_for_selector("table.dataTable")
    assert not problems
    # the first table's controls: its visible header row (a wide table's is a table of its
    # own, scrolling sideways with the body) and its rows
    container = page.locator("div.dt-container").first
    heads = container.locator("thead").first.locator("th")
    headers = [h.strip() for h in heads.all_inner_texts()]
    lift = headers.index(LABELS[lang]["lift"])
    rows = container.locator("table[id^='crmwb_table_'] tbody tr")

    def column(i):
        return [r.locator("td").nth(i).inner_text() for r in rows.all()]

    for ordered in (sorted, lambda v: sorted(v, reverse=True)):  # a click, then another
        heads.nth(lift).click()
        page.wait_for_timeout(200)
        values = [_number(v) for v in column(lift)]
        assert len(values) == 10 and values == ordered(values), values
    # the search finds what is written: an item of the first row's antecedent
    item = column(0)[0].split(",")[0].strip()
    page.fill("input[type=search]", item)
    page.wait_for_timeout(300)
    found = [" ".join(r.locator("td").all_inner_texts()) for r in rows.all()]
    assert found and all(item in row for row in found)
    controls = TABLE_CONTROLS[lang]["search"]
    assert controls in page.inner_text("body")
    for name in ("04_churn", "07_customer_360"):  # the contact list, the customer table, a card
        other, problems = _open(browser, url + f"{name}.html")
        other.wait_for_selector("table.dataTable")
        assert other.locator("table.dataTable").count() >= (2 if name == "07_customer_360"
                                                             else 1)
        assert not problems


def test_without_javascript_the_tables_to_explore_are_the_formatted_static_tables(sites,
                                                                                  browser):
    url, _ = sites["en"]
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(url + "05_basket.html")
    text = page.inner_text("body")
    assert "Loading ITables" not in text and "init_notebook_mode" not in text
    static = page.locator("div[id$='_fallback'] table.crmwb-table")
    assert static.count() == 1 and static.first.is_visible()
    shown = static.first.locator("td").all_inner_texts()
    assert any(c.endswith("%") for c in shown)  # supports and confidence as percent
    assert not [c for c in shown if c in MISSING or LONG_FLOAT.fullmatch(c)]
    context.close()


def test_persian_report_reads_persian(sites, browser):
    url, _ = sites["fa"]
    page, _ = _open(browser, url + "02_segmentation.html")
    text = page.inner_text("body")
    assert "هرم مشتری" in text and "ممتاز" in text
    align = page.evaluate("() => getComputedStyle(document.querySelector('th')).textAlign")
    assert align in ("right", "start")


def test_screenshots_for_the_index_page(sites, browser):
    """One English and one Persian report, photographed into reports/, where the index page
    that `crmwb run` writes shows them (the reports folder is generated, never committed)."""
    shots = []
    for lang in ("en", "fa"):
        url, folder = sites[lang]
        target = folder / f"screenshot_{lang}.png"
        page, problems = _open(browser, url + "07_customer_360.html")
        assert not problems
        page.screenshot(path=str(target))
        shots.append(target)
        assert target.stat().st_size > 20_000 and target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    config.REPORTS_DIR.mkdir(parents=True, exist_ok=True)
    for shot in shots:
        shutil.copyfile(shot, config.REPORTS_DIR / shot.name)
    # the index page shows the screenshots found beside it
    url, folder = sites["en"]
    shutil.copy(shots[1], folder / shots[1].name)
    page = report.write_index([], folder, "en").read_text("utf-8")
    assert 'src="screenshot_en.png"' in page and 'src="screenshot_fa.png"' in page


def test_persian_windows_1256_export_reads_as_persian(tmp_path):
    folder = _persian_data(tmp_path / "data")
    assert (folder / "transactions.csv").read_bytes().count(b"\xdf\xc7\xe1\xc7") > 100  # كالا
    data = io.read_dataset(folder)
    lines = data.transactions.execute()
    assert lines["description"].str.startswith("كالا ").all()
    assert data.customers["name"].isin(PERSIAN_NAMES).all()
    assert data.customers["phone"].dropna().str.contains("[۰-۹]").all()


#: the visible text of a page outside code: text nodes of shown elements
VISIBLE_TEXT = """() => { const out = []; const walk = (n) => {
  if (n.nodeType === 3) { const t = n.textContent.trim(); if (t) out.push(t); return; }
  if (n.nodeType !== 1) return;
  if (['CODE', 'KBD', 'SCRIPT', 'STYLE', 'NOSCRIPT'].includes(n.tagName)) return;
  const style = getComputedStyle(n);
  if (style.display === 'none' || style.visibility === 'hidden') return;
  for (const c of n.childNodes) walk(c); };
  walk(document.body); return out; }"""


def _data_tables(folder: Path) -> list[pd.DataFrame]:
    tables = [pd.read_parquet(p) for p in sorted(folder.glob("*.parquet"))]
    return tables + [pd.read_csv(p, encoding="cp1256", dtype=str)
                     for p in sorted(folder.glob("*.csv"))]


def test_a_persian_page_has_no_english_word_outside_code_ids_and_data(sites, browser):
    """Every Persian page read as its reader sees it: a Latin word is a file name, an
    address, an id or code (isolated in sentences), the field's notation (RFM, NPS), a
    proper name (DuckDB, Parquet), or data the shop exported; anything else is English
    left untranslated."""
    url, folder = sites["fa"]
    data = data_words(_data_tables(folder.parent / "data_fa"), report_words())
    found = {}
    for page_file in sorted(folder.glob("*.html")):
        page, _ = _open(browser, url + page_file.name)
        bad = latin_words(page.evaluate(VISIBLE_TEXT), data)
        if bad:
            found[page_file.name] = sorted(set(bad))[:12]
    assert not found, found
