import pandas as pd
import pytest

from crmwb import engine, schema
from crmwb.schema import SchemaError


def lines(**changes):
    df = pd.DataFrame({
        "invoice_id": ["1001", "1001", "1002", "C1003"],
        "customer_id": [17, 17, 18, 17],
        "date": ["2024-01-05", "2024-01-05", "2024-01-06", "2024-01-09"],
        "product_id": ["CAM-A", "TRI-B", "BRD-C", "TRI-B"],
        "quantity": [1, 2, 5, -2],
        "unit_price": [300.0, 30.0, 1.5, 30.0],
    })
    for k, v in changes.items():
        df[k] = v
    return df


def test_valid_transactions_pass_and_dates_are_parsed():
    out = schema.validate_transactions(lines())
    assert pd.api.types.is_datetime64_any_dtype(out["date"])
    assert out["date"].iloc[3] == pd.Timestamp("2024-01-09")


def test_validator_does_not_modify_its_input():
    df = lines()
    schema.validate_transactions(df)
    assert df["date"].dtype != "datetime64[ns]" and df["date"].iloc[0] == "2024-01-05"


def test_missing_required_column_is_named_with_the_source():
    with pytest.raises(SchemaError, match=r"transactions \(shop.csv\).*missing.*'unit_price'"):
        schema.validate_transactions(lines().drop(columns="unit_price"), source="shop.csv")


def test_negative_price_names_column_and_offending_rows():
    df = lines(unit_price=[300.0, -30.0, 1.5, -4.0])
    with pytest.raises(SchemaError) as err:
        schema.validate_transactions(df, source="shop.csv")
    msg = str(err.value)
    assert "shop.csv" in msg and "'unit_price'" in msg and "2 negative" in msg
    # the rows shown are the offending ones (positions 1 and 3), not the good ones
    shown = msg.split("negative value(s):")[1]
    assert "-30.0" in shown and "-4.0" in shown and "300.0" not in shown


def test_unparseable_date_is_reported_with_its_row():
    df = lines(date=["2024-01-05", "31/31/2024", "2024-01-06", "2024-01-09"])
    with pytest.raises(SchemaError, match=r"(?s)'date'.*1 value\(s\).*31/31/2024"):
        schema.validate_transactions(df)


def test_text_in_a_number_column_is_a_wrong_type():
    df = lines(quantity=[1, "two", 5, -2])
    with pytest.raises(SchemaError, match=r"(?s)'quantity': expected numbers.*two"):
        schema.validate_transactions(df)


def test_wrong_type_without_rows_is_reported():
    df = lines(date=[1, 2, 3, 4])
    with pytest.raises(SchemaError, match="'date': expected dates, found type int64"):
        schema.validate_transactions(df)


def test_fractional_customer_id_is_refused():
    with pytest.raises(SchemaError, match=r"(?s)'customer_id'.*17.5"):
        schema.validate_transactions(lines(customer_id=[17.5, 17.0, 18.0, 17.0]))


def test_unknown_category_lists_allowed_values():
    contacts = pd.DataFrame({
        "customer_id": [1, 2, 3],
        "date": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03"]),
        "kind": ["complaint", "complaint", "praise"],
        "category": ["quality", "shipping", "price"],
    })
    with pytest.raises(SchemaError) as err:
        schema.validate_contacts(contacts, source="crm.xlsx")
    msg = str(err.value)
    assert "2 problem(s)" in msg
    assert "'kind': 1 unknown" in msg and "praise" in msg
    assert "'category': 1 unknown" in msg and "shipping" in msg and "warranty" in msg


def test_out_of_range_scores_are_refused():
    surveys = pd.DataFrame({"customer_id": [1, 2], "date": ["2024-01-01", "2024-01-02"],
                            "csat": [6, 3], "nps": [10, -1]})
    with pytest.raises(SchemaError, match=r"(?s)'csat': 1 value\(s\) above 5.*'nps': 1 negative"):
        schema.validate_surveys(surveys)


def test_missing_values_in_required_column_are_refused():
    camp = pd.DataFrame({"customer_id": [1, 2], "campaign_id": ["A", "A"],
                         "date": ["2024-01-01", "2024-01-01"], "group": ["treatment", None],
                         "responded": [True, False]})
    with pytest.raises(SchemaError, match=r"'group': 1 missing"):
        schema.validate_campaigns(camp)


def test_validator_runs_on_a_file_opened_in_the_engine(tmp_path):
    path = tmp_path / "lines.parquet"
    lines(unit_price=[300.0, 30.0, -1.5, 30.0]).to_parquet(path)
    t = engine.open_table(path)
    with pytest.raises(SchemaError, match=r"(?s)'unit_price': 1 negative.*BRD-C"):
        schema.validate_transactions(t, source=str(path))


def test_every_generated_table_is_valid(crm_data):
    for name, table in crm_data.tables.items():
        if name in schema.TABLES:
            schema.validate(table, name)
