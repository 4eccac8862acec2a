"""Every generated report, opened as HTML: no email, phone or name of the input in any of them.

The reports run in both languages: in Persian on data as an Iranian shop keeps it, Persian
names and phone numbers in Persian digits. The customer card is asked for by a raw id, which
no page, notebook or index may print in clear.
"""

import re

import pandas as pd
import pytest

from crmwb import privacy, report
from crmwb.datasets import make_crm_data

SECRET = "report-test-secret-0123456789"
ID_OFFSET = 7_000_000
PERSIAN_NAMES = ["مریم احمدی", "علی رضایی", "زهرا کریمی", "حسین محمدی", "فاطمه حسینی"]
PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
LATIN_DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹", "0123456789")


@pytest.fixture(scope="module", params=["en", "fa"])
def reports(request, tmp_path_factory):
    """All notebooks run on a small generated data set, ids pseudonymised."""
    lang = request.param
    root = tmp_path_factory.mktemp(f"privacy_{lang}")
    data = make_crm_data(800, seed=3)
    for name in data.TABLE_NAMES:  # ids no count or amount in a report could equal
        frame = getattr(data, name)
        if frame is not None and "customer_id" in frame:
            frame["customer_id"] = frame["customer_id"] + ID_OFFSET
    if lang == "fa":
        people = data.customers
        people["name"] = [f"{PERSIAN_NAMES[i % 5]} {i}" for i in range(len(people))]
        people["phone"] = people["phone"].astype("string").str.translate(PERSIAN_DIGITS)
    data.write(root / "data")
    card = str(data.customers["customer_id"].iloc[17])
    monkey = pytest.MonkeyPatch()
    monkey.setenv(privacy.SECRET_VARIABLE, SECRET)
    try:
        results = report.run_notebooks(
            {"data_dir": str(root / "data"), "pseudonymize": True, "lang": lang,
             "persian_digits": lang == "fa", "card_customer": card,
             "out_table_dir": str(root / "export"), "prepared": str(root / "prepared")},
            out_dir=root / "reports", log=lambda line: None)
    finally:
        monkey.undo()
    return data, results, root, card


def test_every_report_ran(reports):
    _, results, _, _ = reports
    assert [r.status for r in results] == ["ok"] * len(results), [r.error for r in results]
    assert any(r.name == "07_customer_360" for r in results)


def test_no_report_shows_emails_phones_or_names(reports):
    data, results, root, _ = reports
    people = data.customers
    emails = set(people["email"].dropna().str.lower())
    phones = {p for p in people["phone"].dropna() if sum(c.isdigit() for c in p) >= 7}
    phones |= {p.translate(PERSIAN_DIGITS) for p in phones}  # as a Persian page writes them
    names = {n for n in people["name"].dropna() if " " in n}
    pages = [root / "reports" / "index.html", *[r.html for r in results]]
    assert len(pages) == len(results) + 1 and all(p.exists() for p in pages)
    for page in pages:
        html = page.read_text(encoding="utf-8")
        lower = html.lower()
        leaked = [e for e in emails if e in lower] + [p for p in phones if p in html] \
            + [n for n in names if n in html]
        assert not leaked, f"{page.name} shows personal data: {leaked[:3]}"


def test_the_exported_table_is_pseudonymised(reports):
    data, _, root, _ = reports
    table = pd.read_parquet(root / "export" / "customer_table.parquet")
    raw_ids = set(data.customers["customer_id"].astype(str))
    assert table.index.str.startswith("c-").all()
    assert not set(table.index) & raw_ids
    assert not {"name", "email", "phone"} & set(table.columns)
    expected = privacy.pseudonymize_ids(pd.Series(sorted(data.customers["customer_id"])), SECRET)
    assert set(table.index) <= set(expected)  # the same keyed hash, reproducible with the secret



def test_no_report_shows_a_raw_customer_id(reports):
    data, results, _, _ = reports
    ids = set(data.customers["customer_id"].astype(str))
    for r in results:
        html = r.html.read_text(encoding="utf-8")
        cells = {c.translate(LATIN_DIGITS)  # \d is any digit, Persian ones too
                 for c in re.findall(r"<t[hd][^>]*>\s*(\d{7})\s*</t[hd]>", html)}
        shown = cells & ids
        assert not shown, f"{r.name}: raw customer ids in its tables: {sorted(shown)[:3]}"
        for idx in sorted(ids)[:50]:
            assert f"Customer {idx}" not in html and idx.translate(PERSIAN_DIGITS) not in html
    assert "c-" in next(r for r in results if r.name == "07_customer_360").html.read_text()


def test_the_customer_asked_for_is_never_printed_in_clear(reports):
    data, results, root, card = reports
    pseudonym = privacy.pseudonymize_ids(pd.Series([card]), SECRET).iloc[0]
    index = (root / "reports" / "index.html").read_text(encoding="utf-8")
    assert pseudonym in index  # the parameter is shown, as its pseudonym
    pages = [index] + [r.html.read_text(encoding="utf-8") for r in results] \
        + [r.notebook.read_text(encoding="utf-8") for r in results]
    for text in pages:
        assert card not in text and card.translate(PERSIAN_DIGITS) not in text
    card_page = next(r for r in results if r.name == "07_customer_360").html
    shown = card_page.read_text(encoding="utf-8")  # Persian digits in a pseudonym: issue 21
    assert pseudonym in shown or pseudonym.translate(PERSIAN_DIGITS) in shown
