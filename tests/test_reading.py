"""Reading real exports into the canonical transactions (crmwb.io.read_transactions)."""

import pandas as pd
import pytest

from crmwb import engine, io
from crmwb.schema import SchemaError

HEADER = "invoice_id,customer_id,date,product_id,description,quantity,unit_price\n"


def read(path, **kw):
    return engine.to_pandas(io.read_transactions(path, **kw))


@pytest.mark.parametrize("encoding, description", [
    ("utf-8", "کتاب فارسی"),
    ("utf-8-sig", "کتاب فارسی"),
    ("windows-1256", "كتاب فارسي"),  # Windows-1256 has the Arabic letter forms
    ("windows-1252", "“Café crème” 5€"),
])
def test_each_encoding_is_detected_and_read(tmp_path, encoding, description):
    path = tmp_path / "export.csv"
    path.write_text(HEADER + f"1,10,2024-01-05,A,{description},2,5.5\n", encoding=encoding)
    assert io.detect_encoding(path) == encoding
    out = read(path)
    assert out["description"].tolist() == [description]
    assert list(out.columns[:2]) == ["invoice_id", "customer_id"]  # BOM not in the name
    assert read(path, encoding=encoding)["quantity"].tolist() == [2]


def test_wrong_encoding_is_a_clear_error(tmp_path):
    path = tmp_path / "persian.csv"
    path.write_text(HEADER + "1,10,2024-01-05,A,كتاب,2,5.5\n", encoding="windows-1256")
    with pytest.raises(ValueError, match=r"persian.csv: could not read as utf-8.*encoding"):
        io.read_transactions(path, encoding="utf-8")
    with pytest.raises(ValueError, match=r"persian.csv: not valid ascii"):
        io.read_transactions(path, encoding="ascii")


def test_empty_file_is_a_clear_error(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_text("")
    with pytest.raises(ValueError, match="empty.csv: the file is empty"):
        io.read_transactions(path)


def test_day_first_and_month_first_dates(tmp_path):
    path = tmp_path / "dates.csv"
    path.write_text(HEADER + "1,10,03/04/2024 10:30,A,x,1,1\n2,10,25/12/2024 09:00,A,x,1,1\n")
    assert read(path, dayfirst=True)["date"].tolist() == [
        pd.Timestamp("2024-04-03 10:30"), pd.Timestamp("2024-12-25 09:00")]
    # guessed: only the day-first reading parses 25/12
    assert read(path)["date"].iloc[0] == pd.Timestamp("2024-04-03 10:30")
    with pytest.raises(SchemaError, match=r"(?s)'date': expected month-first .*dayfirst.*"
                                          r"1 value.*25/12/2024"):
        read(path, dayfirst=False)


def test_thousands_separators_and_persian_digits(tmp_path):
    path = tmp_path / "fa.csv"
    path.write_text(HEADER + '1,۱۷۸۵۰,۱۴۰۳-۰۱-۰۵,A,x,۱۲,"1,234.50"\n'
                    '2,17851,2024-01-06,B,y,3,"٤٥٦٫٥"\n', encoding="utf-8")
    with pytest.raises(SchemaError, match="Solar Hijri years .* and 1 have Gregorian"):
        read(path)  # one calendar per column
    path.write_text(path.read_text().replace("2024-01-06", "۱۴۰۳/۰۱/۰۶"))
    out = read(path)
    assert out["customer_id"].tolist() == ["17850", "17851"]  # ids are text
    assert out["quantity"].tolist() == [12, 3]
    assert out["unit_price"].tolist() == [1234.5, 456.5]
    # Solar Hijri dates are converted: 1403/01/05 is 24 March 2024, never the year 1403
    assert out["date"].tolist() == [pd.Timestamp("2024-03-24"), pd.Timestamp("2024-03-25")]


def test_decimal_comma(tmp_path):
    path = tmp_path / "eu.csv"
    path.write_text("invoice_id;customer_id;date;product_id;quantity;unit_price\n"
                    "1;10;2024-01-05;A;2;1.234,5\n")
    lines = io.read_transactions(path, decimal=",")
    assert engine.to_pandas(lines)["unit_price"].tolist() == [1234.5]


def test_text_in_a_number_column_names_file_column_and_row(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(HEADER + "1,10,2024-01-05,A,x,1,5\n2,10,2024-01-05,B,x,two,5\n")
    with pytest.raises(SchemaError) as err:
        io.read_transactions(path)
    msg = str(err.value)
    assert "bad.csv" in msg and "'quantity': expected numbers with decimal '.'" in msg
    assert "1 value(s) are not" in msg and "set decimal" in msg
    assert "two" in msg and " 2 " in msg  # row 2 (1 = the first data row)


def test_missing_column_is_refused(tmp_path):
    path = tmp_path / "short.csv"
    path.write_text("invoice_id,customer_id,date,quantity\n1,10,2024-01-05,1\n")
    with pytest.raises(SchemaError, match=r"short.csv.*missing required column\(s\) "
                                          r"\['product_id', 'unit_price'\]"):
        io.read_transactions(path)


ONLINE_RETAIL_II = pd.DataFrame({
    "Invoice": ["489434", "489434", "C489449", "489435"],
    "StockCode": ["85048", "79323P", "22087", "22350"],
    "Description": ["LED CANDLE", "PINK LIGHTS", "PAPER BUNTING", "CAT BOWL"],
    "Quantity": [12, 12, -12, 2],
    "InvoiceDate": pd.to_datetime(["2009-12-01 07:45", "2009-12-01 07:45", "2009-12-01 10:33",
                                   "2010-12-01 07:46"]),
    "Price": [6.95, 6.75, 2.95, 3.75],
    "Customer ID": [13085.0, 13085.0, 16321.0, None],
    "Country": ["United Kingdom"] * 4,
})


@pytest.fixture
def retail_ii_xlsx(tmp_path):
    path = tmp_path / "online_retail_II.xlsx"
    with pd.ExcelWriter(path) as writer:
        ONLINE_RETAIL_II.iloc[:3].to_excel(writer, sheet_name="Year 2009-2010", index=False)
        ONLINE_RETAIL_II.iloc[3:].to_excel(writer, sheet_name="Year 2010-2011", index=False)
    return path


def test_online_retail_ii_workbook_reads_every_sheet(retail_ii_xlsx):
    out = read(retail_ii_xlsx, preset="online_retail_ii")
    assert len(out) == 4
    assert out["invoice_id"].tolist() == ["489434", "489434", "C489449", "489435"]
    assert out["customer_id"].iloc[:3].tolist() == [13085, 13085, 16321]
    assert pd.isna(out["customer_id"].iloc[3])
    assert out["date"].iloc[2] == pd.Timestamp("2009-12-01 10:33")


def test_a_chosen_sheet_and_a_missing_sheet(retail_ii_xlsx):
    assert len(read(retail_ii_xlsx, preset="online_retail_ii", sheet="Year 2010-2011")) == 1
    with pytest.raises(ValueError, match=r"online_retail_II.xlsx: no sheet named \['2012'\]; "
                                         r"the workbook has \['Year 2009-2010'"):
        io.read_transactions(retail_ii_xlsx, preset="online_retail_ii", sheet="2012")


def test_online_retail_ii_as_csv(tmp_path):
    path = tmp_path / "online_retail_II.csv"
    ONLINE_RETAIL_II.assign(InvoiceDate=ONLINE_RETAIL_II["InvoiceDate"].dt.strftime(
        "%m/%d/%Y %H:%M")).to_csv(path, index=False)
    out = read(path, preset="online_retail_ii")
    assert out["date"].iloc[3] == pd.Timestamp("2010-12-01 07:46")
    assert out["unit_price"].sum() == pytest.approx(6.95 + 6.75 + 2.95 + 3.75)


def test_cdnow_presets(tmp_path):
    master = tmp_path / "master.txt"
    master.write_text(" customer_id  date number_of_cds  dollar_value\n"
                      " 00001 19970101  1   11.77\n 00002 19970112  2   24.00\n")
    out = read(master, preset="cdnow")
    assert out["customer_id"].tolist() == [1, 2]
    assert out["invoice_id"].tolist() == ["00001-19970101", "00002-19970112"]
    assert out["unit_price"].tolist() == [11.77, 12.0]
    assert (out["quantity"] * out["unit_price"]).tolist() == pytest.approx([11.77, 24.0])
    sample = tmp_path / "sample.txt"
    sample.write_text(" 00004 0001 19970101  2   29.33\n 00004 0001 19970118  2   29.73\n")
    out = read(sample, preset="cdnow_sample")
    assert out["customer_id"].tolist() == [4, 4]
    assert out["date"].tolist() == [pd.Timestamp("1997-01-01"), pd.Timestamp("1997-01-18")]


def test_groceries_preset_gives_one_invoice_per_basket(tmp_path):
    path = tmp_path / "groceries.csv"
    path.write_text("citrus fruit,semi-finished bread,margarine\nwhole milk\n")
    out = read(path, preset="groceries")
    assert out.groupby("invoice_id")["product_id"].apply(list).to_dict() == {
        "1": ["citrus fruit", "semi-finished bread", "margarine"], "2": ["whole milk"]}
    assert out["customer_id"].isna().all() and out["unit_price"].isna().all()


def test_unknown_preset_lists_the_known_ones(tmp_path):
    with pytest.raises(ValueError, match="unknown preset 'retail'; available: online_retail"):
        io.read_transactions(tmp_path / "x.csv", preset="retail")


def test_reading_never_modifies_the_file(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text(HEADER + "1, 10 ,2024-01-05, a ,x,1,5\n", encoding="latin-1")
    before = path.read_bytes()
    read(path)
    assert path.read_bytes() == before
