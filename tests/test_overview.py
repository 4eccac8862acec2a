import pandas as pd
import pytest

from crmwb import engine, overview
from crmwb.glossary import glossary


@pytest.fixture
def lines():
    return engine.open_table(pd.DataFrame({
        "invoice_id": ["1", "1", "2", "C3", "4"],
        "customer_id": pd.array([10, 10, 11, 10, None], dtype="Int64"),
        "date": pd.to_datetime(["2024-01-01 10:00", "2024-01-01 10:00", "2024-01-06 12:00",
                                "2024-02-03 09:00", "2024-02-05 15:00"]),
        "product_id": ["A", "B", "A", "B", "A"],
        "quantity": [2, 1, 10, -1, 1],
        "unit_price": [5.0, 20.0, 4.0, 20.0, 5.0],
    }))


def test_transaction_facts_are_computed_by_hand(lines):
    facts = overview.transaction_facts(lines)
    assert facts["lines"] == 5 and facts["invoices"] == 4 and facts["customers"] == 2
    assert facts["revenue"] == pytest.approx(10 + 20 + 40 - 20 + 5)
    assert facts["cancellation_lines"] == 1 and facts["lines_without_customer"] == 1
    assert facts["first_date"] == pd.Timestamp("2024-01-01 10:00")


def test_monthly_revenue_nets_cancellations(lines):
    out = overview.monthly_revenue(lines)
    assert out["revenue"].tolist() == pytest.approx([70.0, -15.0])


def test_weekday_invoices_count_each_invoice_once(lines):
    out = overview.weekday_invoices(lines).set_index("day")["invoices"]
    # 2024-01-01 Monday (invoice 1, two lines), 2024-01-06 Saturday, 02-03 Saturday, 02-05 Monday
    assert out.to_dict() == {0: 2, 1: 0, 2: 0, 3: 0, 4: 0, 5: 2, 6: 0}


def test_order_values_leave_out_cancellations_and_anonymous_sales(lines):
    customers = pd.DataFrame({"customer_id": [10, 11], "customer_type": ["retail", "wholesale"]})
    out = overview.order_values(lines, customers).sort_values("order_value")
    assert out["order_value"].tolist() == [30.0, 40.0]
    assert out["customer_type"].tolist() == ["retail", "wholesale"]


def test_course_map_marks_missing_notebooks_as_planned(tmp_path):
    (tmp_path / "03_clv.ipynb").write_text("{}")
    out = overview.course_map(notebooks_dir=tmp_path).set_index("Notebook")["Status"]
    assert out["03_clv.ipynb"] == "available"
    assert out["02_segmentation.ipynb"] == "planned"


def test_unknown_language_or_label_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown language 'xx'"):
        glossary("xx")
    with pytest.raises(KeyError, match="no 'en' label for 'nonsense'"):
        glossary("en")("nonsense")


def test_the_course_map_places_every_notebook_on_the_value_cycle_and_the_kinds_of_crm():
    out = overview.course_map("en")
    assert set(out["Value cycle"]) == {"Acquisition", "Development", "Retention"}
    assert {k.split(" (")[0] for k in out["Kind of CRM"]} == {
        "Strategic CRM", "Analytical CRM", "Operational CRM", "Collaborative CRM"}
    assert "07_customer_360.ipynb" in set(out["Notebook"])
    # the value cycle: development is its second stage, the stage of baskets (notebook 05)
    row = out.set_index("Notebook").loc["05_basket.ipynb"]
    assert row["Value cycle"] == "Development"
