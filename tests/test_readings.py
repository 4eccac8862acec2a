"""Readings after figures and tables: computed from the result, in the reader's language."""

import json
import re

import pandas as pd
import pytest

from crmwb import config, readings
from crmwb.glossary import glossary


@pytest.fixture(params=["en", "fa"])
def t(request):
    return glossary(request.param, persian_digits=request.param == "fa")


def test_the_weekday_reading_names_the_days_from_the_counts(t):
    days = pd.DataFrame({"day": [5, 6, 0, 1, 2, 3, 4], "invoices": [50, 10, 10, 10, 10, 10, 0]})
    text = readings.weekday_invoices(days, t)
    if t.lang == "en":
        assert text == ("Saturday is the busiest day, with 50% of the invoices; Friday the "
                        "quietest, with 0%.")
    else:
        assert "شنبه" in text and "جمعه" in text and "۵۰٪" in text


def test_the_monthly_reading_leaves_out_the_partial_first_and_last_months(t):
    monthly = pd.DataFrame({"month": pd.to_datetime(["2024-01-01", "2024-02-01", "2024-03-01",
                                                     "2024-04-01", "2024-05-01"]),
                            "revenue": [1.0, 100.0, 300.0, 150.0, 2.0]})
    text = readings.monthly_revenue(monthly, t, "gregorian")
    if t.lang == "en":
        assert "The best month, Mar 2024, brought 3.0 times the revenue of the weakest, " \
               "Feb 2024" in text
    else:
        assert "۳٫۰" in text


def test_the_matrix_reading_holds_sales_against_profit():
    cells = pd.DataFrame({"customers": [10, 10, 10, 10], "customer_share": [0.25] * 4,
                          "profit_share": [0.7, 0.2, 0.09, 0.01]},
                         index=["passive", "carriage trade", "bargain basement", "aggressive"])
    text = readings.profitability_matrix(cells, glossary("en"))
    assert text.startswith("Passive customers (25% of them) bring 70% of the profit")
    assert "aggressive ones" in text and "25% of the customers and bring 1%" in text


def test_the_fmea_reading_says_when_the_riskiest_cause_is_not_the_most_frequent():
    roots = pd.DataFrame({"family": ["materials", "environment"],
                          "effects": ["quality", "delivery"], "complaints": [10.0, 90.0]},
                         index=["faulty supplier batches", "courier congestion at peak seasons"])
    fmea = pd.DataFrame({"RPN": [400, 90]}, index=roots.index)
    text = readings.fmea(fmea, roots, glossary("en"))
    assert text.startswith("Faulty supplier batches ranks first (RPN 400): a cause of the "
                           "materials family")
    assert "courier congestion at peak seasons, ranks lower" in text and "materials family" in text
    same = readings.fmea(fmea.iloc[::-1].assign(RPN=[400, 90]), roots, glossary("fa"))
    assert "همان که بیشترین شکایت" in same


def test_a_difference_within_the_intervals_is_said_to_be_maybe_chance():
    groups = pd.DataFrame({"surveys": [100, 100], "csat": [0.9, 0.85],
                           "csat_low": [0.84, 0.78], "csat_high": [0.95, 0.91]},
                          index=["champions", "lost"])
    assert "may be chance" in readings.satisfaction_by(groups, glossary("en"))
    apart = groups.assign(csat_low=[0.88, 0.6], csat_high=[0.92, 0.7])
    assert "do not overlap" in readings.satisfaction_by(apart, glossary("en"))
    assert readings.satisfaction_by(groups.assign(surveys=[5, 5]), glossary("en")) is None


@pytest.mark.parametrize("name", [p.stem for p in sorted(config.NOTEBOOKS_DIR.glob("*.ipynb"))])
def test_every_figure_and_table_of_these_lessons_is_followed_by_a_reading(name):
    # a cell that draws or shows a table is followed, before the next prose, by a printed
    # sentence (a glossary sentence or a reading); the rows of raw data shown as examples
    # and the tables to explore are the exceptions
    cells = json.loads((config.NOTEBOOKS_DIR / f"{name}.ipynb").read_text())["cells"]
    missing = []
    for i, cell in enumerate(cells):
        tags = cell["metadata"].get("tags", [])
        source = "".join(cell["source"])
        if cell["cell_type"] != "code" or {"parameters", "exercise", "solution"} & set(tags):
            continue
        shows = re.search(r"^\s*plots\.|^\s*display\(|^[a-z_.]+(\(.*\))?(\.rename\(.*\))?$",
                          source, re.M) and "privacy.publish" not in source \
            and "headlines.show" not in source and "explore(" not in source \
            and "whatif." not in source and "course_map" not in source \
            and "quality_summary" not in source and "describe_log" not in source \
            and "read_back" not in source and "filterwarnings" not in source
        if not shows:
            continue
        rest = [source]
        for later in cells[i + 1:]:
            if later["cell_type"] != "code":
                break
            rest.append("".join(later["source"]))
        if not any("print(" in r for r in rest):
            missing.append(f"cell {i}: {source.strip().splitlines()[-1][:70]}")
    assert missing == []


def test_the_churn_readings_name_features_in_the_reader_s_words():
    coef = pd.Series({"mean_days_to_resolve": 1.2, "p_alive": -1.5, "region_Yazd": 0.1})
    en = readings.coefficients(coef, glossary("en"))
    assert en.startswith("Mean days to resolve raises the risk most (+1.20")
    fa = readings.coefficients(coef, glossary("fa", persian_digits=True))
    assert "احتمال فعال بودن" in fa and "+۱٫۲۰" in fa


def test_the_cooccurrence_reading_leaves_out_an_item_with_itself():
    table = pd.DataFrame([[50, 9, 3], [9, 40, 12], [3, 12, 30]],
                         index=["milk", "tea", "rice"], columns=["milk", "tea", "rice"])
    assert readings.cooccurrence(table, glossary("en")) == \
        "Tea and rice are bought together most often: in 12 baskets."


def test_the_lost_sales_reading_names_the_largest_fall():
    table = pd.DataFrame({"before": [100.0, 500.0], "now": [40.0, 600.0], "change": [-0.6, 0.2],
                          "lost_with_customers": [50.0, 100.0], "lost_share": [1 / 3, 2 / 3]},
                         index=pd.MultiIndex.from_tuples([("Gilan", "phone"), ("Tehran", "online")],
                                                         names=["region", "channel"]))
    text = readings.lost_sales(table, glossary("en"))
    assert text.startswith("Sales fell most in Gilan · Phone (-60% from one year to the next)")
    assert readings.lost_sales(table.iloc[1:], glossary("en")) is None  # nothing fell


def test_a_rule_and_its_reverse_are_read_as_one_itemset():
    # a -> b and b -> a give the same itemset: support_by_period has the column twice
    table = pd.DataFrame([[0.10, 0.10, 0.02], [0.02, 0.02, 0.02]], index=[1, 2],
                         columns=["a + b", "a + b", "c + d"])
    text = readings.support_by_month(table, glossary("en"), "gregorian")
    assert "a + b" in text and "10.0%" in text
    days = table.set_axis([0, 1])
    assert "a + b" in readings.support_by_weekday(days, glossary("en"))
