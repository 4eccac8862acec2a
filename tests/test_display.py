"""The display layer: every shown table formatted by meaning, in the reader's language."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
from IPython.core.interactiveshell import InteractiveShell

from crmwb import display, i18n

SNAKE = re.compile(r"[A-Za-z]+(_[A-Za-z0-9]+)+")


def cells(html: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", c).strip()
            for c in re.findall(r"<td[^>]*>(.*?)</td>", html, re.S)]


def headers(html: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", c).replace("&nbsp;", "").strip()
            for c in re.findall(r"<th[^>]*>(.*?)</th>", html, re.S)]


@pytest.fixture
def segments():
    return pd.DataFrame({
        "segment": ["champions", "at risk", "lost"],
        "customers": [659, 757, 0],
        "revenue": [1608998.484, 583817.99, np.nan],
        "revenue_share": [0.348718, 0.126531, -0.0],
        "mean_recency_days": [7.274659, 429.587847, None],
        "p_alive": [0.87345, pd.NA, 0.1],
        "first_purchase": pd.to_datetime(["2025-03-05", None, "2024-01-01"]),
        "lift": [1.234567, 2.0, np.inf],
    }).astype({"p_alive": "Float64"}).set_index("segment")


def test_columns_are_formatted_by_what_they_are(segments):
    html = display.html(segments, "en")
    rows = cells(html)
    assert rows[:7] == ["659", "1,608,998.48", "34.9%", "7.3", "0.873", "2025-03-05", "1.23"]
    # missing values of every kind (NaN, None, pd.NA, NaT) read as a dash; -0 as 0
    assert rows[7:14] == ["757", "583,817.99", "12.7%", "429.6", "—", "—", "2.00"]
    assert rows[14:] == ["0", "—", "0.0%", "—", "0.100", "2024-01-01", "∞"]
    assert not {"NaN", "NaT", "<NA>", "nan", "None"} & set(rows)


def test_headers_are_labels_never_snake_case(segments):
    shown = headers(display.html(segments.assign(orders_per_weekday_x2=1.5), "en"))
    assert "Share of revenue" in shown and "Segment" in shown and "P(alive)" in shown
    assert "Orders per weekday x2" in shown
    assert not [h for h in shown if SNAKE.fullmatch(h)]
    persian = headers(display.html(segments, "fa"))
    assert "بخش" in persian and "درآمد" in persian
    assert not [h for h in persian if re.search("[A-Za-z]", h) and h not in ("P(alive)",)]


def test_persian_digits_and_separators_but_ids_as_written():
    frame = pd.DataFrame({"customer_id": [10000, 10001], "product_id": ["85123A", "22423"],
                          "revenue": [1608998.48, 12.5], "revenue_share": [0.348718, 0.5],
                          "date": pd.to_datetime(["2024-03-20", "2024-03-19"])})
    rows = cells(display.html(frame, "fa", persian_digits=True))
    assert rows[:5] == ["10000", "85123A", "۱٬۶۰۸٬۹۹۸٫۴۸", "۳۴٫۹٪", "۱۴۰۳/۰۱/۰۱"]
    assert rows[9] == "۱۴۰۲/۱۲/۲۹"  # the day before Nowruz, in the reader's calendar
    assert cells(display.html(frame, "fa"))[2] == "1,608,998.48"  # Latin unless asked


def test_dates_show_a_time_only_where_the_column_has_one():
    daily = pd.DataFrame({"date": pd.to_datetime(["2025-03-05", "2025-03-06"])})
    assert cells(display.html(daily)) == ["2025-03-05", "2025-03-06"]
    timed = pd.DataFrame({"date": pd.to_datetime(["2025-03-05", "2025-03-06 09:30"],
                                                 format="mixed")})
    assert cells(display.html(timed)) == ["2025-03-05 00:00", "2025-03-06 09:30"]
    months = pd.Series([3, 4], index=pd.period_range("2024-01", periods=2, freq="M"),
                       name="customers").rename_axis("month")
    html = display.html(months)
    assert "Jan 2024<" in html and "Feb 2024<" in html and "00:00" not in html


def test_a_long_table_says_how_many_rows_it_has():
    frame = pd.DataFrame({"customer_id": range(5000), "revenue": np.linspace(0, 1, 5000)})
    html = display.html(frame)
    assert "10 of 5,000 rows" in html
    assert len(cells(html)) == 20  # ten rows of two columns
    assert "۱۰ از ۵٬۰۰۰ سطر" in display.html(frame, "fa", persian_digits=True)
    assert "of" not in display.html(frame.head(20))  # a short table is shown whole


def test_no_plain_number_reads_with_more_than_four_decimals():
    frame = pd.DataFrame({"tiny": [1.23456789e-7, 3.3e-6], "small": [0.012345678, 0.5],
                          "huge": [123456789.123, 1.5e9], "mid": [3.14159265, 2.0]})
    rows = cells(display.html(frame))
    assert not [c for c in rows if re.fullmatch(r"[-\d,]*\.\d{5,}", c)], rows
    assert rows[2] == "123,456,789" and rows[3] == "3.14"


def test_told_kinds_win_and_the_data_is_not_changed(segments):
    before = segments.copy()
    frame = segments.copy()
    frame.attrs["kinds"] = {"customers": "share"}
    assert cells(display.html(frame, kinds={"lift": "money"}))[0] == "65900.0%"
    assert cells(display.html(frame, kinds={"lift": "money"}))[6] == "1.23"
    pd.testing.assert_frame_equal(segments, before)


def test_every_notebook_shows_its_tables_through_the_layer(segments):
    shell = InteractiveShell.instance()
    try:
        for lang, digits, expected in (("en", False, "34.9%"), ("fa", True, "۳۴٫۹٪")):
            i18n.use_language(lang, digits, ipython=shell)
            data, _ = shell.display_formatter.format(segments)
            assert expected in data["text/html"] and "crmwb-table" in data["text/html"]
            data, _ = shell.display_formatter.format(segments["revenue_share"])
            assert expected in data["text/html"]
    finally:
        i18n.use_language("en", ipython=shell)
        for kind in ("text/html", "text/plain"):
            for cls in (pd.DataFrame, pd.Series):
                shell.display_formatter.formatters[kind].pop(cls, None)
        InteractiveShell.clear_instance()


def test_repeated_column_names_and_a_transposed_customer_record():
    twice = pd.DataFrame([[1.5, 0.25]], columns=["revenue", "revenue"])
    assert cells(display.html(twice)) == ["1.50", "0.25"]  # no crash; each column its own
    record = pd.DataFrame({"city": ["Tehran"], "p_alive": [0.87345]},
                          index=pd.Index([10000], name="customer_id")).T
    html = display.html(record, "fa", persian_digits=True)
    assert ">10000<" in html and "۱۰۰۰۰" not in html  # a customer id in a header, as written
    assert "مشتری" in headers(html)


def test_retention_and_survival_by_period_read_as_shares_never_as_whole_numbers():
    # the sBG table of notebook 03: retention_1 once matched the count rule (a name
    # ending in "n" and a suffix) and 0.78 read as "1"
    table = pd.DataFrame({"subscribers": [717, 465], "retention_1": [0.7766, 0.9412],
                          "retention_12": [0.9512, 0.9885], "survival_12": [0.264, 0.559],
                          "derl_new": [12.34, 24.91]}, index=["month-to-month", "one year"])
    assert [display.kind(table, c) for c in table] == ["count", "share", "share", "share",
                                                       "number"]
    shown = cells(display.html(table))
    assert shown[1:4] == ["77.7%", "95.1%", "26.4%"]
    # a column taken for a count whose values are not whole is shown with its decimals
    odd = pd.DataFrame({"n_visits": [1.25, 3.5], "n": [1.0, 2.0]})
    assert display.kind(odd, "n_visits") == "number" and display.kind(odd, "n") == "count"
    assert cells(display.html(odd))[0] == "1.25"


def _explored():
    return pd.DataFrame({
        "customer_id": ["10002", "10010", "9"],
        "revenue": [1000.5, 20.25, np.nan],
        "revenue_share": [0.5, np.inf, 0.4],
        "first_purchase": pd.to_datetime(["2024-01-02", None, "2023-05-06"]),
        "segment": ["champions", "lost", "at risk"],
    })


def test_a_table_to_explore_is_written_as_the_static_one_and_sorts_by_value():
    table, defs, caption = display.explore(_explored(), lang="en").frames()
    assert list(table.columns[:5]) == ["Customer", "Revenue", "Share of revenue",
                                       "First purchase", "Segment"]
    assert table["Revenue"].tolist() == ["1,000.50", "20.25", "—"]
    assert table["Share of revenue"].tolist() == ["50.0%", "∞", "40.0%"]
    assert table["First purchase"].tolist() == ["2024-01-02", "—", "2023-05-06"]
    # each column that sorts by value has a hidden column of ranks, missing values last
    # (a missing date once ranked first: NaT read as the smallest integer)
    hidden = {d["targets"][0]: d["orderData"][0] for d in defs if "orderData" in d}
    assert set(hidden) == {1, 2, 3}
    ranks = {table.columns[i]: table.iloc[:, j].tolist() for i, j in hidden.items()}
    assert ranks == {"Revenue": [2, 1, 3], "Share of revenue": [2, 3, 1],
                     "First purchase": [2, 3, 1]}
    assert defs[0] == {"targets": sorted(hidden.values()), "visible": False,
                       "searchable": False}
    assert caption is None


def test_a_table_to_explore_works_offline_and_falls_back_to_the_static_table():
    page = display.explore(_explored(), lang="en").html()
    # DataTables comes inside the page: no script, style or module from anywhere else
    assert not re.search(r"""(src|href)=["']?https?://[^"' >]*\.(js|css)""", page)
    assert not re.search(r"""(import|from)\s*\(?["']https?://""", page)
    assert "window._itables_" in page and "injectModule" in page
    # without JavaScript the reader sees the display layer's table, not itables' preview
    fallback = re.search(r'<div id="crmwb_table_\d+_fallback">(.*?)</div><script>', page, re.S)
    assert fallback and 'class="crmwb-table"' in fallback.group(1)
    assert cells(fallback.group(1))[:3] == ["10002", "1,000.50", "50.0%"]
    assert "static preview" not in page and "you should not see this" not in page


def test_a_persian_table_to_explore_reads_persian_and_a_large_one_says_it_is_cut():
    explorer = display.explore(_explored(), lang="fa", persian_digits=True)
    table, _, _ = explorer.frames()
    assert table.iloc[0, 1] == "۱٬۰۰۰٫۵۰" and table.iloc[0, 0] == "10002"
    assert not any(SNAKE.fullmatch(c) for c in table.columns if not c.startswith("\u2060"))
    assert '"search": ' + json.dumps("جستجو:") in explorer.html()
    wide = pd.DataFrame(np.arange(3000 * 50).reshape(3000, 50) * 1.5,
                        columns=[f"value_{i}" for i in range(50)])
    table, _, caption = display.explore(wide, lang="en", max_cells=50_000).frames()
    assert len(table) == 1000 and caption.startswith("the first 1,000 of 3,000 rows")


def test_use_language_sets_the_reader_of_the_tables_to_explore():
    shell = InteractiveShell.instance()
    try:
        i18n.use_language("fa", persian_digits=True, ipython=shell)
        assert display.explore(_explored()).lang == "fa"
    finally:
        i18n.use_language("en", ipython=shell)
    assert display.explore(_explored()).persian_digits is False


def test_every_kind_of_missing_reads_as_a_dash_when_written_one_value_at_a_time():
    # the table to explore writes its cells one by one, without the Styler's na_rep: a
    # string column's pd.NA once came out as "<NA>"
    frame = pd.DataFrame({"gender": pd.array(["female", None], dtype="string"),
                          "customer_id": pd.array(["10001", pd.NA], dtype="string"),
                          "segment": pd.Series(["lost", np.nan], dtype=object),
                          "last_contact": pd.to_datetime(["2024-01-01", None])})
    table, _, _ = display.explore(frame, lang="en").frames()
    assert table.iloc[1, :4].tolist() == [display.MISSING] * 4
    assert table.iloc[0, :3].tolist() == ["Female", "10001", "Lost"]  # gender is translated


def test_rates_per_thousand_and_months_read_as_such():
    # 06's monthly complaints: "complaints_per_1000_customers" fell to the count rule (and
    # read 110), and months read as full dates
    by_month = pd.DataFrame({"complaints_per_1000_customers": [109.6238, 96.2],
                             "orders": [336, 506]},
                            index=pd.to_datetime(["2024-01-01", "2024-02-01"]).rename("month"))
    assert display.kind(by_month, "complaints_per_1000_customers") == "rate"
    shown = display.html(by_month, "en")
    assert cells(shown) == ["109.6", "336", "96.2", "506"]
    assert "Jan 2024</th>" in shown and "2024-01-01" not in shown
    # a month column that is not months' first days stays a date; Persian keeps Jalali dates
    days = by_month.set_axis(pd.to_datetime(["2024-01-05", "2024-02-01"]).rename("month"))
    assert "2024-01-05" in display.html(days, "en")
    assert "1402/10/11" in display.html(by_month, "fa")
