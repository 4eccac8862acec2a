"""The data-quality report on hand-built lines with known answers."""

import pandas as pd
import pytest

from crmwb import engine, quality


@pytest.fixture
def lines():
    return pd.DataFrame({
        "invoice_id": ["1", "1", "1", "2", "3", "4"],
        "customer_id": pd.array([7, 7, 7, None, 8, 7], dtype="Int64"),
        "date": pd.to_datetime(["2024-01-10", "2024-01-10", "2024-01-10", "2024-02-03",
                                "2024-04-20", "2024-04-21"]),
        "product_id": ["A", "A", "B", "A", "C", "A"],
        "description": ["Mug", "Mug", " ", "Mug", None, "Mug"],
        "quantity": [1.0, 1.0, 2.0, 3.0, 1.0, 1.0],
        "unit_price": [10.0, 10.0, 5.0, 10.0, -4.0, 10.0],
    })


def measures(report):
    return report.summary.set_index("measure")["value"]


def test_summary_answers_the_course_questions(lines):
    report = quality.quality_report(engine.open_table(lines), as_of="2024-05-01")
    m = measures(report)
    assert m["customer ids in the lines"] == 2
    assert m["share of lines with a customer id"] == pytest.approx(5 / 6)
    # revenue 10+10+10-4+10 identified of 66 in all
    assert m["share of revenue with a customer id"] == pytest.approx(36 / 66)
    assert m["last date"] == pd.Timestamp("2024-04-21")
    assert m["analysis date"] == pd.Timestamp("2024-05-01")
    assert m["days from the last date to the analysis date"] == 10
    assert m["months covered"] == 4
    assert m["months without any line"] == 1
    assert m["exact duplicate lines"] == 1
    assert m["values breaking the data model"] == 1  # the negative price


def test_completeness_counts_blank_text_as_missing(lines):
    c = quality.completeness(engine.open_table(lines)).set_index("column")
    assert c.loc["description", "missing"] == 2
    assert c.loc["customer_id", "missing"] == 1
    assert c.loc["invoice_id", "filled_share"] == 1.0


def test_validity_names_the_offending_column(lines):
    v = quality.validity(engine.open_table(lines))
    assert v["column"].tolist() == ["unit_price"]
    assert v["count"].tolist() == [1]


def test_months_without_lines_are_listed(lines):
    months = quality.monthly_activity(engine.open_table(lines))
    assert months["lines"].tolist() == [3, 1, 0, 2]


def test_customers_and_crosswalk_add_their_answers(lines):
    customers = pd.DataFrame({"customer_id": [7, 8, 9], "email": ["a@b.ir", None, ""],
                              "city": ["Tehran", "Rasht", None]})
    cw = pd.DataFrame({"customer_id": [7, 8, 9], "master_id": [7, 7, 9]})
    m = measures(quality.quality_report(engine.open_table(lines), customers, cw))
    assert m["attributes of a customer record"] == 2
    assert m["mean filled attributes"] == pytest.approx((2 + 1 + 0) / 3)
    assert m["customer records"] == 3
    assert m["people after merging"] == 2
    assert m["records merged into another"] == 1


def test_questions_and_measures_are_labelled_in_both_languages(lines):
    """The report is read in English or Persian: its questions and measures are glossary terms."""
    from crmwb.glossary import LABELS

    customers = pd.DataFrame({"customer_id": [7, 8], "email": ["a@b.ir", None]})
    cw = pd.DataFrame({"customer_id": [7, 8], "master_id": [7, 7]})
    summary = quality.quality_report(engine.open_table(lines), customers, cw).summary
    terms = set(summary["question"]) | set(summary["measure"])
    assert len(terms) >= 20
    for lang in LABELS:
        assert terms <= set(LABELS[lang]), f"{lang}: {sorted(terms - set(LABELS[lang]))}"
