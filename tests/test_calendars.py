"""Months and weeks of the shop's calendar: Jalali months across the Nowruz boundary."""

import pandas as pd
import pytest

from crmwb import basket, calendars, customer360, engine, i18n, overview, service

# 1402/12/28, 1402/12/29 (the last day of Esfand 1402), 1403/01/01 (Nowruz), 1403/01/02
NOWRUZ_EVE, NOWRUZ = "2024-03-19", "2024-03-20"


def lines(*rows):
    """Purchase lines from (invoice, customer, date, value[, product]) tuples, one unit each."""
    return pd.DataFrame({
        "invoice_id": [r[0] for r in rows],
        "customer_id": pd.array([r[1] for r in rows], dtype="Int64"),
        "date": pd.to_datetime([r[2] for r in rows]),
        "product_id": [r[4] if len(r) > 4 else "P" for r in rows],
        "quantity": 1,
        "unit_price": [float(r[3]) for r in rows],
    })


# Esfand 1402: 100 + 7 (A, B) | Farvardin 1403: 30 + 20 (A again, C new)
SHOP = lines(("1", 1, "2024-03-18 10:00", 100), ("2", 2, f"{NOWRUZ_EVE} 23:59", 7),
             ("3", 1, f"{NOWRUZ} 00:00", 30), ("4", 3, "2024-03-21 09:00", 20))


def test_jalali_months_split_at_nowruz():
    assert i18n.jalali(NOWRUZ_EVE) == "1402/12/29" and i18n.jalali(NOWRUZ) == "1403/01/01"
    table = calendars.months(NOWRUZ_EVE, NOWRUZ, "jalali")
    assert table[["year", "month"]].values.tolist() == [[1402, 12], [1403, 1]]
    assert table["start"].dt.strftime("%Y-%m-%d").tolist() == ["2024-02-20", "2024-03-20"]
    assert table["end"].dt.strftime("%Y-%m-%d").tolist() == [NOWRUZ_EVE, "2024-04-19"]
    with pytest.raises(ValueError, match="parameter calendar"):
        calendars.check("persian")


def test_kpis_by_jalali_month_across_nowruz():
    k = customer360.kpis_by_month(SHOP, calendar="jalali")
    assert k.index.strftime("%Y-%m-%d").tolist() == ["2024-02-20", NOWRUZ]
    assert k["revenue"].tolist() == [107.0, 50.0]
    assert k["active_customers"].tolist() == [2, 2]
    assert k["new_customers"].tolist() == [2, 1]
    assert k["retained_customers"].tolist() == [0, 1]
    assert k["lapsed_customers"].tolist()[1] == 1
    assert k.attrs["calendar"] == "jalali"
    assert not k["full"].any()  # Esfand begins before the data, Farvardin ends after them
    gregorian = customer360.kpis_by_month(SHOP)
    assert gregorian["revenue"].tolist() == [157.0]  # all of it in March 2024


def test_kpis_of_a_whole_jalali_month_are_full():
    whole = lines(("1", 1, "2024-02-20", 10), ("2", 2, NOWRUZ_EVE, 5), ("3", 1, NOWRUZ, 1))
    k = customer360.kpis_by_month(whole, calendar="jalali")
    assert k["full"].tolist() == [True, False]


def test_cohorts_by_jalali_month():
    # a purchase on the last day of Farvardin makes it a whole month of the data
    whole = pd.concat([SHOP, lines(("5", 3, "2024-04-19 12:00", 5))], ignore_index=True)
    c = customer360.cohorts(whole, calendar="jalali")
    assert c.size.index.strftime("%Y-%m-%d").tolist() == ["2024-02-20", NOWRUZ]
    assert c.size.tolist() == [2, 1]
    assert c.customers.loc[pd.Timestamp("2024-02-20"), 1] == 1  # A came back in Farvardin
    assert c.partial_month is None
    # the data start in Esfand: its customers may have been customers already
    assert c.left_censored == [pd.Timestamp("2024-02-20")]


def test_a_part_month_at_the_end_is_left_out_of_the_cohorts():
    # the data end on 1403/01/02, inside Farvardin: read as a month, it would show
    # customers leaving who only had two days to come back
    c = customer360.cohorts(SHOP, calendar="jalali")
    assert c.partial_month == pd.Timestamp(NOWRUZ)
    assert c.size.index.strftime("%Y-%m-%d").tolist() == ["2024-02-20"]
    assert 1 not in c.retention.columns or c.retention[1].isna().all()


def test_complaint_rates_by_jalali_month():
    contacts = pd.DataFrame({"customer_id": [1, 2, 3], "kind": "complaint",
                             "date": pd.to_datetime([NOWRUZ_EVE, NOWRUZ, "2024-04-19"]),
                             "category": "price", "channel": "phone", "resolved_date": pd.NaT})
    activity = service.monthly_activity(engine.open_table(SHOP), calendar="jalali")
    assert activity.index.strftime("%Y-%m-%d").tolist() == ["2024-02-20", NOWRUZ]
    assert activity["orders"].tolist() == [2, 2]
    rates = service.complaint_rates(contacts, by="month", customers=activity["customers"],
                                    orders=activity["orders"], calendar="jalali")
    assert rates["complaints"].tolist() == [1, 2]
    assert rates.loc[pd.Timestamp(NOWRUZ), "complaints_per_1000_customers"] == 1000
    assert rates.index[-1] == pd.Timestamp(NOWRUZ)  # 2024-04-19 is still Farvardin
    surveys = pd.DataFrame({"customer_id": [1, 2], "date": pd.to_datetime([NOWRUZ_EVE, NOWRUZ]),
                            "csat": [5, 1], "nps": [10, 0]})
    by_month = service.satisfaction_by(surveys, "month", calendar="jalali")
    assert by_month.index.strftime("%Y-%m-%d").tolist() == ["2024-02-20", NOWRUZ]


def test_monthly_revenue_and_support_by_jalali_month():
    t = engine.open_table(SHOP)
    revenue = overview.monthly_revenue(t, calendar="jalali")
    assert revenue["revenue"].tolist() == [107.0, 50.0]
    shop = lines(("1", 1, NOWRUZ_EVE, 1, "A"), ("1", 1, NOWRUZ_EVE, 1, "B"),
                 ("2", 2, NOWRUZ, 1, "A"), ("3", 3, NOWRUZ, 1, "B"))
    support = basket.support_by_period(engine.open_table(shop), [["A", "B"]], "month",
                                       calendar="jalali")
    assert support.index.tolist() == [1, 12]  # Farvardin, Esfand
    assert support["A + B"].tolist() == [0.0, 1.0]


def test_weeks_start_on_saturday_in_the_jalali_calendar():
    # 2024-03-16 was a Saturday, 2024-03-18 a Monday
    shop = lines(("1", 1, "2024-03-16", 1), ("2", 1, "2024-03-18", 1), ("3", 2, "2024-03-18", 1))
    t = engine.open_table(shop)
    jalali = overview.weekday_invoices(t, calendar="jalali")
    assert jalali["day"].tolist() == [5, 6, 0, 1, 2, 3, 4]
    assert jalali["invoices"].tolist() == [1, 0, 2, 0, 0, 0, 0]
    assert overview.weekday_invoices(t)["day"].tolist() == [0, 1, 2, 3, 4, 5, 6]
    support = basket.support_by_period(t, [["P"]], "weekday", calendar="jalali")
    assert support.index.tolist()[0] == 5


def test_month_labels_in_each_calendar_and_language():
    nowruz = pd.Timestamp(NOWRUZ)
    assert i18n.month_label(nowruz, "fa", "jalali", persian_digits=True) == "فروردین ۱۴۰۳"
    assert i18n.month_label(nowruz, "en", "jalali") == "Farvardin 1403"
    assert i18n.month_label(pd.Timestamp("2024-03-01"), "en", "gregorian") == "Mar 2024"
    assert i18n.month_label(pd.Timestamp("2024-03-01"), "fa", "gregorian") == "مارس 2024"
    # a date that does not begin a month of the calendar is not passed off as one
    assert i18n.month_label(pd.Timestamp("2024-01-01"), "fa", "jalali") == "1402/10/11"


def test_a_kpi_baseline_month_is_read_in_the_calendar():
    whole = lines(("1", 1, "2024-02-20", 10), ("2", 2, NOWRUZ_EVE, 5), ("3", 1, NOWRUZ, 1),
                  ("4", 1, "2024-04-19", 1))
    k = customer360.kpis_by_month(whole, calendar="jalali")
    for written in ("1403-01", "1403/1", "2024-03-25"):
        base = customer360.kpi_baseline(k, written)
        assert base.attrs["baseline_month"] == pd.Timestamp(NOWRUZ), written
    with pytest.raises(ValueError, match="Jalali month is 1 to 12"):
        customer360.kpi_baseline(k, "1403-13")


def test_the_runner_refuses_an_unknown_calendar(tmp_path):
    from crmwb import cli

    params = tmp_path / "p.yaml"
    params.write_text("calendar: persian\n")
    rc = cli.main(["run", "--params", str(params), "--out", str(tmp_path / "out")])
    assert rc == 2
    assert not (tmp_path / "out").exists()


# --- digits: Persian only in numbers meant to be read -----------------------------------------

def test_a_persian_sentence_keeps_paths_and_ids_as_written_and_isolated():
    from crmwb.glossary import ISOLATE, glossary

    t = glossary("fa", persian_digits=True)
    said = t.say("s07_written", paths="/home/ali/reports2025/customer_table.csv")
    assert f"{ISOLATE[0]}/home/ali/reports2025/customer_table.csv{ISOLATE[1]}" in said
    assert "۱٬۲۰۰" in t.say("s03_customers", customers=1200, end=pd.Timestamp(NOWRUZ))
    # a format spec with digits (.1f, .0%) is applied as written, its result in Persian digits
    said = t.say("s06_vital_few", categories="تحویل", share=0.8125)
    assert "۸۱٪" in said and "81" not in said
    card = t.say("s07_card", customer="c-3f9a27", action="پیشنهاد", offer=" (85123A)")
    assert "c-3f9a27" in card and "85123A" in card and "۸۵۱۲۳" not in card


def test_a_persian_table_writes_numbers_and_dates_in_persian_digits_but_not_codes():
    frame = pd.DataFrame({"product_id": ["85123A", "22423"], "quantity": [1200, 3],
                          "date": pd.to_datetime([NOWRUZ, NOWRUZ])})
    shown = i18n.localize_frame(frame, "fa", persian_digits=True)
    assert shown.iloc[:, 0].tolist() == ["85123A", "22423"]
    assert shown.iloc[:, 1].tolist() == ["۱٬۲۰۰", "۳"]
    assert shown.iloc[0, 2] == "۱۴۰۳/۰۱/۰۱"


def test_a_persian_figure_keeps_codes_on_its_axis_and_numbers_in_persian_digits():
    import matplotlib.pyplot as plt

    from crmwb import plots

    items = pd.DataFrame({"support": [0.2, 0.1], "baskets": [20, 10]},
                         index=pd.Index(["85123A", "22423"], name="item"))
    ax = plots.item_frequencies(items, lang="fa", persian_digits=True)
    ax.figure.canvas.draw()
    assert [x.get_text() for x in ax.get_yticklabels()] == ["85123A", "22423"]
    assert all("۰" <= ch <= "۹" for x in ax.get_xticklabels() for ch in x.get_text()
               if ch.isdigit())
    plt.close(ax.figure)


def test_an_id_pasted_from_a_persian_report_finds_its_customer():
    table = pd.DataFrame({"clv": [1.0, 2.0]}, index=pd.Index([12345, 67890], name="customer_id"))
    for pasted in ("\u2068۱۲۳۴۵\u2069", "\u200f12345", " 12345 "):
        assert customer360.find_customer(table, pasted) == 12345


# --- key business dates ------------------------------------------------------------------------

def test_iranian_key_dates_of_1403():
    got = calendars.iranian_key_dates("2024-03-01", "2025-02-28")
    when = {k: (s.strftime("%Y-%m-%d"), e.strftime("%Y-%m-%d"))
            for k, s, e in got[["key", "start", "end"]].itertuples(index=False)}
    assert when["nowruz"] == (NOWRUZ, "2024-03-23")            # 1-4 Farvardin 1403
    assert when["pre_nowruz"] == ("2024-03-05", NOWRUZ_EVE)    # 15-29 Esfand 1402
    assert when["yalda"] == ("2024-12-20", "2024-12-20")       # 30 Azar 1403
    assert when["eid_al_fitr"] == ("2024-04-10", "2024-04-10")  # Iran's official holiday
    assert when["ramadan"] == ("2024-03-11", "2024-04-09")
    assert when["muharram"] == ("2024-07-15", "2024-07-16")    # Tasua and Ashura 1446


def test_the_shops_own_key_dates_are_read_right_or_refused():
    got = calendars.key_dates("2024-01-01", "2024-12-31",
                              {"Store launch": "2024-02-01", "Spring sale": ["2024-04-01",
                                                                             "2024-04-07"]})
    assert got["name"].tolist() == ["Store launch", "Spring sale"]
    assert got["end"].dt.strftime("%Y-%m-%d").tolist() == ["2024-02-01", "2024-04-07"]
    for bad, message in (({"x": "soon"}, "is not a date"), ({"x": ["2024-04-07", "2024-04-01"]},
                                                             "ends before it starts"),
                         ({"x": ["2024-01-01"] * 3}, "give one date")):
        with pytest.raises(ValueError, match=message):
            calendars.key_dates("2024-01-01", "2024-12-31", bad)
    # a Jalali date (Persian digits too) is read as one, never as the Gregorian year 1403
    jalali = calendars.key_dates("2024-01-01", "2024-12-31",
                                 {"حراج": ["۱۴۰۳/۰۱/۱۴", "1403-01-20"]})
    assert jalali["start"].dt.strftime("%Y-%m-%d").tolist() == ["2024-04-02"]
    assert jalali["end"].dt.strftime("%Y-%m-%d").tolist() == ["2024-04-08"]
    for bad, message in (("1403/12/31", "not a Solar Hijri date"),  # Esfand has at most 30
                         ("1403-01-01T00:00", "a year before 1700")):
        with pytest.raises(ValueError, match=message):
            calendars.key_dates("2024-01-01", "2024-12-31", {"x": bad})
    assert calendars.parse_month("۱۴۰۳-۰۱", "jalali") == pd.Timestamp(NOWRUZ)
    both = calendars.key_dates("2024-01-01", "2024-12-31", {"Store launch": "2024-02-01"},
                               iranian=True)
    assert {"custom", "nowruz", "yalda"} <= set(both["key"])


def test_the_generated_shop_has_a_nowruz_effect_to_find(crm_data):
    lines = crm_data.transactions
    invoices = lines[lines["quantity"] > 0].drop_duplicates("invoice_id")
    day = invoices["date"].dt.normalize()
    periods = calendars.iranian_key_dates(day.min(), day.max())
    per_day = day.value_counts().reindex(pd.date_range(day.min(), day.max()), fill_value=0)
    month = pd.Timedelta(days=30)
    for key, first, last in periods[["key", "start", "end"]].itertuples(index=False):
        before = per_day[first - month:first - pd.Timedelta(days=1)].mean()
        if key == "pre_nowruz":  # the busiest weeks: twice the month before them
            assert per_day[first:last].mean() > 1.6 * before, first
        if key == "nowruz":  # 1-4 Farvardin: nearly closed
            assert per_day[first:last].mean() < 0.2 * before, first
    # before Nowruz, spring cleaning and gifts: household goods and toys in more baskets
    pre = periods[periods["key"] == "pre_nowruz"]
    change = basket.basket_change(engine.open_table(lines), pre, level="category")
    assert change.index[0] == "household" and change.loc["household", "lift"] > 1.4
    assert change.loc["toys", "lift"] > 1.1
    assert 0.75 < change.loc["dairy", "lift"] < 1.1  # what Nowruz does not change
    assert change.attrs["baskets_in"] == (day.isin(pd.concat(
        [pd.Series(pd.date_range(s, e)) for s, e in zip(pre["start"], pre["end"])]))).sum()


def test_key_dates_are_marked_and_named_in_the_readers_words():
    import matplotlib.pyplot as plt

    from crmwb import plots

    monthly = pd.DataFrame({"month": pd.date_range("2024-01-01", periods=12, freq="MS"),
                            "revenue": range(12)})
    dates = calendars.key_dates("2024-01-01", "2024-12-31", {"فروش بهاره": "2024-05-01"},
                                iranian=True)
    for lang, nowruz in (("en", "Nowruz"), ("fa", "نوروز")):
        ax = plots.monthly_revenue(monthly, lang, key_dates=dates)
        texts = [x.get_text() for x in ax.get_legend().get_texts()]
        assert nowruz in texts and "فروش بهاره" in texts, texts
        assert len(ax.patches) >= 3  # the periods as bands: before Nowruz, Nowruz, Ramadan
        plt.close(ax.figure)
    kpis = pd.DataFrame({"revenue": range(12)}, index=monthly["month"].rename("month"))
    fig = plots.kpi_trends(kpis, ["revenue"], lang="fa", key_dates=dates)
    assert "نوروز" in [x.get_text() for x in fig.legends[0].get_texts()]
    plt.close(fig)
