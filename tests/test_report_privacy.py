"""Every generated report, opened as HTML: no email, phone or name of the input in any of them."""

import re

import pandas as pd
import pytest

from crmwb import privacy, report
from crmwb.datasets import make_crm_data

SECRET = "report-test-secret-0123456789"
ID_OFFSET = 7_000_000


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    """All notebooks run on a small generated data set, ids pseudonymised."""
    root = tmp_path_factory.mktemp("privacy")
    data = make_crm_data(800, seed=3)
    for name in data.TABLE_NAMES:  # ids no count or amount in a report could equal
        frame = getattr(data, name)
        if frame is not None and "customer_id" in frame:
            frame["customer_id"] = frame["customer_id"] + ID_OFFSET
    data.write(root / "data")
    monkey = pytest.MonkeyPatch()
    monkey.setenv(privacy.SECRET_VARIABLE, SECRET)
    try:
        results = report.run_notebooks(
            {"data_dir": str(root / "data"), "pseudonymize": True,
             "out_table_dir": str(root / "export"), "prepared": str(root / "prepared")},
            out_dir=root / "reports", log=lambda line: None)
    finally:
        monkey.undo()
    return data, results, root


def test_every_report_ran(reports):
    _, results, _ = reports
    assert [r.status for r in results] == ["ok"] * len(results), [r.error for r in results]
    assert any(r.name == "07_customer_360" for r in results)


def test_no_report_shows_emails_phones_or_names(reports):
    data, results, root = reports
    people = data.customers
    emails = set(people["email"].dropna().str.lower())
    phones = {p for p in people["phone"].dropna() if len(re.sub(r"\D", "", p)) >= 7}
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
    data, _, root = reports
    table = pd.read_parquet(root / "export" / "customer_table.parquet")
    raw_ids = set(data.customers["customer_id"].astype(str))
    assert table.index.str.startswith("c-").all()
    assert not set(table.index) & raw_ids
    assert not {"name", "email", "phone"} & set(table.columns)
    expected = privacy.pseudonymize_ids(pd.Series(sorted(data.customers["customer_id"])), SECRET)
    assert set(table.index) <= set(expected)  # the same keyed hash, reproducible with the secret



def test_no_report_shows_a_raw_customer_id(reports):
    data, results, _ = reports
    ids = set(data.customers["customer_id"].astype(str))
    for r in results:
        html = r.html.read_text(encoding="utf-8")
        cells = set(re.findall(r"<t[hd][^>]*>\s*(\d{7})\s*</t[hd]>", html))
        shown = cells & ids
        assert not shown, f"{r.name}: raw customer ids in its tables: {sorted(shown)[:3]}"
        for idx in sorted(ids)[:50]:
            assert f"Customer {idx}" not in html
    assert "c-" in next(r for r in results if r.name == "07_customer_360").html.read_text()
