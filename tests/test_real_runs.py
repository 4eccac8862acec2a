"""The whole workbench on real exports nobody here wrote (issue 39, point 8).

``crmwb run`` with the README's recipe on UCI Online Retail and on the full CDNOW file from
../shared/datasets (skipping with the reason where that folder is absent), every notebook.
What a reviewer checks: every notebook ok or skipped with a reason, exit code 0; key figures
equal to an independent pandas computation on the raw file; no failed fit used without
being named; the headline churn model not beaten by a naive rule in the test window; no
traceback, "nan" or "inf" in any report; no Iranian key date on a UK or US shop.
"""

import re

import nbformat as nbf
import pandas as pd
import pytest
from bs4 import BeautifulSoup
from conftest import shared_dataset

from crmwb import cli, headlines

NOTEBOOKS = ["00_overview", "01_data_cleaning", "02_segmentation", "03_clv", "04_churn",
             "05_basket", "06_service_quality", "07_customer_360", "08_customer_journey"]
#: what a reader must never meet in a report
UNREADABLE = re.compile(r"\b(?:nan|NaN|inf|None|Traceback)\b|nan%")


def run(tmp_path_factory, name: str, path, preset: str):
    """``crmwb run`` on one export as the README says, all notebooks: the exit code, the
    index page and the reports folder."""
    folder = tmp_path_factory.mktemp(name)
    params = folder / "params.yaml"
    params.write_text(f"transactions_path: {path}\npreset: {preset}\n"
                      f"prepared: {folder / 'prepared'}\n")
    out = folder / "reports"
    code = cli.main(["run", "--params", str(params), "--out", str(out)])
    return code, out


@pytest.fixture(scope="module")
def retail(tmp_path_factory):
    path = shared_dataset("online_retail", "online_retail.csv.gz")
    return (*run(tmp_path_factory, "retail", path, "online_retail"), path)


@pytest.fixture(scope="module")
def cdnow(tmp_path_factory):
    path = shared_dataset("cdnow", "CDNOW_master.txt")
    return (*run(tmp_path_factory, "cdnow", path, "cdnow"), path)


def statuses(out) -> dict[str, str]:
    """Each notebook's status as the index page shows it."""
    soup = BeautifulSoup((out / "index.html").read_text(encoding="utf-8"), "html.parser")
    found = {}
    for card in soup.select("section.card"):
        name = card.select_one("a.ipynb").get_text().removesuffix(".ipynb")
        found[name] = card.select_one("p.status").get_text(" ", strip=True)
    return found


def figures(out, notebook: str) -> dict[str, headlines.Headline]:
    return {h.key: h for h in headlines.read(out / f"{notebook}.ipynb")}


def page_text(path) -> str:
    soup = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
    for tag in soup(["script", "style"]):
        tag.decompose()
    return soup.get_text("\n")


def printed(out, notebook: str) -> str:
    nb = nbf.read(out / f"{notebook}.ipynb", as_version=4)
    return "\n".join(str(o.get("text", "")) for c in nb.cells for o in c.get("outputs", []))


def table_output(out, notebook: str, needle: str, nth: int = 0) -> pd.DataFrame:
    """The ``nth`` table (from 0) a notebook showed whose HTML holds ``needle``, as a frame:
    its data cells under its column headers, each row's last header cell as the index."""
    nb = nbf.read(out / f"{notebook}.ipynb", as_version=4)
    for cell in nb.cells:
        for o in cell.get("outputs", []):
            html = o.get("data", {}).get("text/html", "")
            if needle in html and "<table" in html:
                if nth:
                    nth -= 1
                    continue
                table = BeautifulSoup(html, "html.parser").find("table")
                columns = [th.get_text(" ", strip=True)
                           for th in table.select("thead th.col_heading")]
                index, body = [], []
                for tr in table.select("tbody tr"):
                    cells = [td.get_text(" ", strip=True) for td in tr.find_all("td")]
                    heads = [th.get_text(" ", strip=True) for th in tr.find_all("th")]
                    if len(cells) == len(columns):
                        body.append(cells)
                        index.append(heads[-1] if heads else len(index))
                return pd.DataFrame(body, columns=columns, index=index)
    raise AssertionError(f"{notebook} shows no table with {needle!r}")


def common_checks(code, out) -> dict[str, str]:
    assert code == 0
    found = statuses(out)
    assert sorted(found) == NOTEBOOKS
    for name, status in found.items():
        assert status.startswith("ok") or status.startswith("skipped:"), (name, status)
        if status.startswith("skipped"):
            assert len(status) > len("skipped: ") + 20, (name, status)  # a reason, in words
    for page in out.glob("*.html"):
        text = page_text(page)
        bad = [line.strip() for line in text.split("\n") if UNREADABLE.search(line)]
        assert not bad, (page.name, bad[:5])
    return found


# --- Online Retail ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def retail_raw(retail):
    return pd.read_csv(retail[2], dtype={"InvoiceNo": str, "StockCode": str, "CustomerID": str},
                       encoding="utf-8")


def test_online_retail_runs_whole_and_skips_only_with_a_reason(retail):
    code, out, _ = retail
    found = common_checks(code, out)
    # no contacts, surveys or campaigns: 06 is skipped, saying which tables it reads
    assert found["06_service_quality"].startswith("skipped")
    assert "contacts" in found["06_service_quality"]
    assert all(found[n].startswith("ok") for n in NOTEBOOKS if n != "06_service_quality")


def test_online_retail_figures_match_pandas_on_the_raw_file(retail, retail_raw):
    _, out, _ = retail
    raw = retail_raw
    # customers: ids with a product bought at a positive price and not all of it cancelled
    products = raw[~raw["StockCode"].str.strip().str.upper().str.fullmatch(
        r"POST|DOT|M|D|S|B|C2|CRUK|AMAZONFEE|BANK CHARGES|PADS|m|gift_\d+_\d+",
        na=False)]
    priced = products[products["UnitPrice"] > 0]
    bought = priced[priced["Quantity"] > 0].groupby("CustomerID")["Quantity"].sum()
    returned = -priced[priced["Quantity"] < 0].groupby("CustomerID")["Quantity"].sum()
    net = bought.sub(returned.reindex(bought.index).fillna(0))
    shown = figures(out, "00_overview")["customers"].value
    assert abs(shown - int((net > 0).sum())) <= 15  # cancellations are matched line by line
    assert shown == figures(out, "02_segmentation")["customers"].value
    # the period covered, as the raw file has it
    first, last = pd.to_datetime(raw["InvoiceDate"]).agg(["min", "max"])
    text = printed(out, "00_overview")
    assert f"{first:%Y-%m-%d}" in text and f"{last:%Y-%m-%d}" in text
    # the top product by revenue and the top country, as plain pandas finds them
    sales = priced.assign(value=priced["Quantity"] * priced["UnitPrice"])
    top_country = sales.groupby("Country")["value"].sum().idxmax()
    assert top_country in text


def test_online_retail_failed_purchase_fits_are_named_never_read(retail):
    _, out, _ = retail
    text = printed(out, "03_clv")
    # one year cannot tell a customer who left from a slow buyer: every model is named failed
    assert "No purchase model passed its health check" in text
    assert "The data prefer" not in text
    table = table_output(out, "03_clv", "Log-likelihood")
    assert set(table["Fit"].str.lower()) == {"failed"}
    # every CLV headline carries the qualification, on the index too
    figs = figures(out, "03_clv")
    assert figs["h_clv_total"].note == "note_failed_fit"
    assert "rests on a fit that failed its health check" in page_text(out / "index.html")
    # P(alive) is withheld, not shown as 1.0 for everyone
    assert "P(alive) is not shown" in text


def test_online_retail_headline_churn_model_beats_every_naive_rule(retail):
    _, out, _ = retail
    # the second table with ROC-AUC: the models and rules judged at the later cutoff
    table = table_output(out, "04_churn", "ROC-AUC", nth=1)
    scores = pd.to_numeric(table["ROC-AUC"])
    figs = figures(out, "04_churn")
    auc = figs["roc_auc"].value
    rules = [r for r in table.index if str(r).lower().startswith(("recency", "p(alive)"))]
    assert rules and all(auc >= scores[r] for r in rules)
    assert auc > 0.6  # not the 0.500 of a constant prediction


def test_online_retail_has_no_iranian_key_dates_and_no_exercises(retail):
    _, out, _ = retail
    for name in ("00_overview", "05_basket", "07_customer_360"):
        # what the notebook computed and said (the lessons' prose may name Nowruz as the
        # course's example of a key date)
        assert not re.search(r"Nowruz|Ramadan|Ashura|Yalda|Muharram", printed(out, name)), name
        # the exercises check truth planted in the bundled shop: an export has none
        assert "Exercise" not in page_text(out / f"{name}.html"), name
    assert "No key period is compared" in printed(out, "05_basket")


# --- CDNOW -----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def cdnow_raw(cdnow):
    return pd.read_csv(cdnow[2], sep=r"\s+", dtype={"customer_id": str})


def test_cdnow_runs_whole(cdnow):
    code, out, _ = cdnow
    found = common_checks(code, out)
    # one item per basket (a CD): no rules to find, said so; no contacts: 06 skipped
    assert found["05_basket"].startswith("skipped") and found["06_service_quality"].startswith(
        "skipped")
    assert found["04_churn"].startswith("ok")


def test_cdnow_keeps_every_real_purchase(cdnow, cdnow_raw):
    _, out, _ = cdnow
    raw = cdnow_raw
    figs = figures(out, "00_overview")
    # $0 purchases are purchases: every customer stays
    assert figs["customers"].value == raw["customer_id"].nunique() == 23_570
    assert figs["revenue"].value == pytest.approx(raw["dollar_value"].sum(), abs=0.01)


def test_cdnow_purchase_models_pass_and_are_compared(cdnow):
    _, out, _ = cdnow
    text = printed(out, "03_clv")
    assert "The data prefer" in text
    params = table_output(out, "03_clv", "Lower 95% bound")
    # r, alpha, a, b (or s, beta) of the three models, each with its interval, all healthy
    assert len(params) == 12 and set(params["Status"]) == {"ok"}
    low = pd.to_numeric(params["Lower 95% bound"], errors="coerce")
    high = pd.to_numeric(params["Upper 95% bound"], errors="coerce")
    estimate = pd.to_numeric(params["Estimate"], errors="coerce")
    assert ((low < estimate) & (estimate < high)).all()
