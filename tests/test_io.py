import pandas as pd
import pytest

from crmwb import engine, io
from crmwb.schema import SchemaError


@pytest.fixture
def export(tmp_path):
    """A small file in the Online Retail II shape (its published column names)."""
    df = pd.DataFrame({
        "Invoice": ["489434", "489434", "C489449"],
        "StockCode": ["85048", "79323P", "22087"],
        "Description": ["LED CANDLE", "PINK LIGHTS", "PAPER BUNTING"],
        "Quantity": [12, 12, -12],
        "InvoiceDate": ["2009-12-01 07:45:00", "2009-12-01 07:45:00", "2009-12-01 10:33:00"],
        "Price": [6.95, 6.75, 2.95],
        "Customer ID": [13085.0, 13085.0, 16321.0],
        "Country": ["United Kingdom"] * 3,
    })
    path = tmp_path / "online_retail_ii.csv"
    df.to_csv(path, index=False)
    return path


MAPPING = {"Invoice": "invoice_id", "StockCode": "product_id", "Description": "description",
           "Quantity": "quantity", "InvoiceDate": "date", "Price": "unit_price",
           "Customer ID": "customer_id", "Country": "country"}


def test_column_mapping_gives_canonical_lines(export):
    lines = io.read_transactions(export, mapping=MAPPING)
    out = engine.to_pandas(lines)
    assert {"invoice_id", "customer_id", "date", "unit_price"} <= set(out.columns)
    assert out["unit_price"].sum() == pytest.approx(6.95 + 6.75 + 2.95)


def test_mapping_naming_a_column_the_file_lacks_is_refused(export):
    bad = {**MAPPING, "Cust": "customer_id"}
    with pytest.raises(ValueError, match=r"online_retail_ii.csv.*\['Cust'\].*Customer ID"):
        io.read_transactions(export, mapping=bad)


def test_mapping_to_an_unknown_canonical_column_is_refused(export):
    with pytest.raises(ValueError, match=r"targets \['price'\]"):
        io.read_transactions(export, mapping={**MAPPING, "Price": "price"})


def test_unmapped_file_fails_validation_naming_the_file(export):
    with pytest.raises(SchemaError, match=r"online_retail_ii.csv.*missing required"):
        io.read_transactions(export)


def test_dataset_reads_every_table_written_by_the_generator(tmp_path, crm_data):
    folder = crm_data.write(tmp_path / "shop")
    data = io.read_dataset(folder)
    assert data.present() == ["transactions", "customers", "contacts", "surveys",
                              "campaigns", "leads", "suspects", "subscriptions", "catalogue"]
    assert int(data.transactions.count().execute()) == len(crm_data.transactions)
    pd.testing.assert_series_equal(data.customers["customer_id"],
                                   crm_data.customers["customer_id"])
    # the membership plan's subscribers come back whole, blank charges of the newest included
    pd.testing.assert_frame_equal(data.subscriptions, crm_data.subscriptions,
                                  check_dtype=False)


def test_dataset_without_transactions_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="no transactions file"):
        io.read_dataset(tmp_path)
