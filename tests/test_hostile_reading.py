"""Every real export is read right or refused (issue 17, points 3, 4, 5).

Hand-built files of the kinds shops really send: `;` with decimal comma, day-first dates,
Windows code pages, UTF-16, ids with leading zeros, late surprises after the first rows.
"""

import warnings

import jdatetime
import pandas as pd
import pytest

from crmwb import engine, io, parsing
from crmwb.schema import SchemaError

COLUMNS = ["invoice_id", "customer_id", "date", "product_id", "quantity", "unit_price"]


def write(path, rows, sep=",", encoding="utf-8", header=COLUMNS):
    path.write_text("\n".join(sep.join(map(str, r)) for r in [header, *rows]) + "\n",
                    encoding=encoding)
    return path


def read(path, **kw):
    return engine.to_pandas(io.read_transactions(path, **kw))


# --- 3. numbers keep their value -------------------------------------------------------------

def test_a_decimal_comma_is_not_thousands_grouping(tmp_path):
    path = write(tmp_path / "eu.csv", [[1, 10, "2024-01-05", "A", "2", "1,5"],
                                      [2, 10, "2024-01-06", "B", "1", "1.234,50"]], sep=";")
    out = read(path)
    assert out["unit_price"].tolist() == [1.5, 1234.5]


def test_a_fraction_late_in_the_file_keeps_its_value(tmp_path):
    rows = [[i, 10, "2024-01-05", "A", 1, 2.0] for i in range(30_000)]
    rows.append([30_000, 10, "2024-01-05", "A", "1.5", 2.0])
    out = read(write(tmp_path / "late.csv", rows))
    assert out["quantity"].iloc[-1] == 1.5
    assert out["quantity"].sum() == pytest.approx(30_001.5)


def test_a_text_invoice_id_late_in_the_file_reads(tmp_path):
    rows = [[i, 10, "2024-01-05", "A", 1, 2.0] for i in range(30_000)]
    rows.append(["C999", 10, "2024-01-06", "A", -1, 2.0])
    out = read(write(tmp_path / "late.csv", rows))
    assert len(out) == 30_001 and out["invoice_id"].iloc[-1] == "C999"


def test_ids_stay_text_leading_zeros_and_long_ids_exact(tmp_path):
    path = write(tmp_path / "ids.csv", [[1, "0042", "2024-01-05", "A", 1, 2],
                                       [2, "42", "2024-01-05", "A", 1, 2],
                                       [3, "12345678901234567", "2024-01-05", "A", 1, 2]])
    out = read(path)
    assert out["customer_id"].tolist() == ["0042", "42", "12345678901234567"]
    assert out["customer_id"].nunique() == 3


def test_a_spreadsheets_point_zero_is_taken_off_ids(tmp_path):
    path = write(tmp_path / "ids.csv", [[1, "17850.0", "2024-01-05", "A", 1, 2],
                                       [2, "", "2024-01-05", "A", 1, 2]])
    assert read(path)["customer_id"].tolist()[0] == "17850"


def test_numbers_that_read_two_ways_are_refused_naming_decimal(tmp_path):
    path = write(tmp_path / "amb.csv", [[1, 10, "2024-01-05", "A", 1, "1.250"],
                                       [2, 10, "2024-01-05", "A", 2, "3"]])
    with pytest.raises(SchemaError, match=r"amb.csv.*1 number\(s\) such as 1.234.*set decimal"):
        read(path)
    assert read(path, decimal=",")["unit_price"].tolist() == [1250.0, 3.0]
    assert read(path, decimal=".")["unit_price"].tolist() == [1.25, 3.0]


def test_a_number_against_the_files_decimal_mark_is_reported(tmp_path):
    path = write(tmp_path / "mixed.csv", [[1, 10, "2024-01-05", "A", 1, "2,5"],
                                         [2, 10, "2024-01-05", "A", 1, "3,75"],
                                         [3, 10, "2024-01-05", "A", 1, "1,234.5"]], sep=";")
    with pytest.raises(SchemaError, match=r"(?s)'unit_price': expected numbers with decimal "
                                          r"','.*1 value.*1,234.5"):
        read(path)


def test_a_malformed_line_is_refused_not_skipped(tmp_path):
    path = tmp_path / "ragged.csv"
    path.write_text(",".join(COLUMNS) + "\n1,10,2024-01-05,A,1,2\n2,10,2024-01-05,A,1,2,extra\n")
    with pytest.raises(ValueError, match=r"(?s)ragged.csv: could not read.*Line: 3.*extra"):
        read(path)
    path.write_text(",".join(COLUMNS) + "\n1,10,2024-01-05,A,1,2\n2,10,2024-01-05,A\n")
    with pytest.raises(ValueError, match=r"(?s)ragged.csv: could not read.*Line: 3"):
        read(path)


def test_missing_values_in_required_columns_are_reported_at_read_time(tmp_path):
    path = write(tmp_path / "holes.csv", [[1, 10, "2024-01-05", "A", 1, 2],
                                         [2, 10, "2024-01-05", "", 1, 2],
                                         [3, 10, "2024-01-05", "B", "", 2]])
    with pytest.raises(SchemaError) as err:
        read(path)
    msg = str(err.value)
    assert "holes.csv" in msg and "'product_id': 1 missing" in msg
    assert "'quantity': 1 missing" in msg
    assert "column_mapping" in msg


# --- 4. dates mean what the file means -----------------------------------------------------

@pytest.mark.parametrize("sep", [";", "|", "\t"])
def test_dayfirst_is_honoured_whatever_the_delimiter(tmp_path, sep):
    path = write(tmp_path / "d.csv", [[1, 10, "03/04/2024", "A", 1, 2]], sep=sep)
    assert read(path, dayfirst=True)["date"].tolist() == [pd.Timestamp("2024-04-03")]
    assert read(path, dayfirst=False)["date"].tolist() == [pd.Timestamp("2024-03-04")]


def test_day_first_is_decided_over_every_date_not_the_first_rows(tmp_path):
    rows = [[i, 10, f"{1 + i % 12:02d}/{1 + i % 12:02d}/2024", "A", 1, 2] for i in range(3000)]
    rows.append([3000, 10, "25/12/2024 18:30", "A", 1, 2])
    out = read(write(tmp_path / "late.csv", rows))
    assert out["date"].iloc[-1] == pd.Timestamp("2024-12-25 18:30")


def test_a_file_of_ambiguous_dates_warns_and_names_dayfirst(tmp_path):
    path = write(tmp_path / "amb.csv", [[1, 10, "03/04/2024", "A", 1, 2]])
    with pytest.warns(UserWarning, match="could be day-first or month-first.*dayfirst"):
        read(path)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        read(path, dayfirst=True)  # said: no warning


def test_a_column_of_both_orders_is_refused(tmp_path):
    path = write(tmp_path / "both.csv", [[1, 10, "25/12/2024", "A", 1, 2],
                                        [2, 10, "12/25/2024", "A", 1, 2]])
    with pytest.raises(SchemaError, match="mixes both orders.*dayfirst"):
        read(path)


@pytest.mark.parametrize("text, expected", [
    ("2024-03-05T10:30:15", "2024-03-05 10:30:15"),
    ("2024-03-05T10:30:15Z", "2024-03-05 10:30:15"),
    ("2024-03-05T10:30:15.250Z", "2024-03-05 10:30:15.250"),
    ("2024-03-05 10:30:15.123456", "2024-03-05 10:30:15.123456"),
    ("2024-03-05T10:30:15+03:30", "2024-03-05 07:00:15"),  # offsets: converted to UTC
    ("2024-03-05T22:00:00-0500", "2024-03-06 03:00:00"),
    ("03/05/2024 10:30 PM", "2024-03-05 22:30"),
    ("03/05/2024 12:05 AM", "2024-03-05 00:05"),
    ("03/05/2024 12:05 p.m.", "2024-03-05 12:05"),
    ("20240305", "2024-03-05"),
    ("2024/3/5", "2024-03-05"),
])
def test_iso_and_twelve_hour_timestamps_read(tmp_path, text, expected):
    out = read(write(tmp_path / "t.csv", [[1, 10, text, "A", 1, 2]]), dayfirst=False)
    assert out["date"].iloc[0] == pd.Timestamp(expected)


@pytest.mark.parametrize("text", ["2024-02-30", "2024-13-01", "25:00", "03/05/2024 13:05 PM",
                                  "1899-12-30", "yesterday"])
def test_impossible_dates_are_refused(tmp_path, text):
    path = write(tmp_path / "bad.csv", [[1, 10, "2024-01-05", "A", 1, 2],
                                       [2, 10, text, "A", 1, 2]])
    with pytest.raises(SchemaError, match=r"(?s)'date': expected .*1 value"):
        read(path, dayfirst=False)


def test_solar_hijri_dates_are_converted_never_read_as_1403_ce(tmp_path):
    path = write(tmp_path / "ir.csv", [[1, 10, "1403/01/05", "A", 1, 2],
                                      [2, 10, "1403/12/30 14:05", "A", 1, 2],
                                      [3, 10, "۱۴۰۲/۱۰/۱۱", "A", 1, 2]])
    out = read(path)
    assert out["date"].tolist() == [pd.Timestamp("2024-03-24"), pd.Timestamp("2025-03-20 14:05"),
                                    pd.Timestamp("2024-01-01")]
    assert (out["date"].dt.year >= 2024).all()


def test_a_solar_hijri_day_that_does_not_exist_is_refused(tmp_path):
    path = write(tmp_path / "ir.csv", [[1, 10, "1403/01/05", "A", 1, 2],
                                      [2, 10, "1402/12/30", "A", 1, 2]])  # 1402 is no leap year
    with pytest.raises(SchemaError, match=r"(?s)Solar Hijri.*1402/12/30"):
        read(path)


def test_solar_hijri_conversion_agrees_with_jdatetime():
    days = pd.date_range("1990-01-01", "2030-12-31", freq="13D")
    jalali = [jdatetime.date.fromgregorian(date=d.date()) for d in days]
    text = pd.Series([f"{j.year}/{j.month:02d}/{j.day:02d}" for j in jalali])
    assert parsing.dates(text, dayfirst=False, jalali=True).tolist() == list(days)


# --- 5. text encodings -------------------------------------------------------------------------

@pytest.mark.parametrize("encoding, text", [
    ("windows-1252", "“Straße” 5€ – crème"),
    ("latin-1", "Straße Größe Müller"),
    ("latin-1", "año niño José está"),
    ("windows-1256", "كتاب فارسي و گلدان"),  # Windows-1256 has the Arabic letter forms
])
def test_western_and_persian_code_pages_are_told_apart(tmp_path, encoding, text):
    path = tmp_path / "export.csv"
    path.write_bytes((",".join(COLUMNS + ["description"]) + "\n"
                      + f"1,10,2024-01-05,A,1,2,{text}\n").encode(encoding))
    out = engine.to_pandas(io.read_transactions(path))
    assert out["description"].tolist() == [text]


def test_utf16_with_a_byte_order_mark_reads(tmp_path):
    path = tmp_path / "unicode.txt"  # Excel's "Unicode text": UTF-16, tab-separated
    path.write_text("\t".join(COLUMNS + ["description"]) + "\r\n"
                    "1\t10\t2024-01-05\tA\t1\t2,5\tگلدان\r\n", encoding="utf-16")
    assert io.detect_encoding(path) == "utf-16"
    out = read(path)
    assert out["description"].tolist() == ["گلدان"] and out["unit_price"].tolist() == [2.5]


def test_every_table_goes_through_the_same_reader(tmp_path):
    """A Persian shop's folder: `;`, decimal comma, Jalali dates, Windows-1256 and Persian
    digits, ids with leading zeros, in every table."""
    shop = tmp_path / "shop"
    shop.mkdir()
    enc = "windows-1256"  # it has no Persian digits: such exports use ASCII ones
    write(shop / "transactions.csv", [["1", "0042", "1403/01/05", "A", "2", "12,5"],
                                      ["2", "42", "1403/01/06", "B", "1", "3,25"]],
          sep=";", encoding=enc)
    write(shop / "customers.csv", [["0042", "سارا", "1402/12/01"], ["42", "رضا", "1403/01/01"]],
          sep=";", encoding=enc, header=["customer_id", "name", "signup_date"])
    write(shop / "surveys.csv", [["۰۰۴۲", "۱۴۰۳/۰۱/۰۷", "۵", "۹"]], sep=";",
          header=["customer_id", "date", "csat", "nps"])
    write(shop / "campaigns.csv", [["42", "C1", "1403/01/02", "treatment", "yes", "12,5",
                                    "1,5"]], sep=";", encoding=enc,
          header=["customer_id", "campaign_id", "date", "group", "responded", "revenue",
                  "cost"])
    write(shop / "contacts.csv", [["۰۰۴۲", "۱۴۰۳/۰۱/۰۸ ۱۰:۳۰", "phone", "complaint", "delivery",
                                   "3", ""]], sep="\t", encoding="utf-16",
          header=["customer_id", "date", "channel", "kind", "category", "severity",
                  "resolved_date"])
    data = io.read_dataset(shop)
    lines = engine.to_pandas(data.transactions)
    assert lines["customer_id"].tolist() == ["0042", "42"]
    assert lines["unit_price"].tolist() == [12.5, 3.25]
    assert data.customers["customer_id"].tolist() == ["0042", "42"]
    assert data.customers["name"].tolist() == ["سارا", "رضا"]
    assert data.customers["signup_date"].tolist() == [pd.Timestamp("2024-02-20"),
                                                       pd.Timestamp("2024-03-20")]
    assert data.surveys["customer_id"].tolist() == ["0042"]
    assert data.surveys["date"].tolist() == [pd.Timestamp("2024-03-26")]
    assert data.surveys["nps"].tolist() == [9]
    assert data.campaigns["revenue"].tolist() == [12.5]
    assert data.campaigns["responded"].tolist() == [True]
    assert data.contacts["date"].tolist() == [pd.Timestamp("2024-03-27 10:30")]
    assert data.contacts["severity"].tolist() == [3]


def test_a_customers_table_with_one_id_twice_is_refused(tmp_path):
    path = tmp_path / "customers.csv"
    path.write_text("customer_id,name\n7,Sara\n8,Reza\n7,Sara A.\n")
    with pytest.raises(SchemaError, match=r"customers.csv.*2 rows share a customer_id"):
        io.read_customer_table(path, "customers")


# --- the synthetic shop written as messy exports reads back value for value -------------------

@pytest.mark.parametrize("style", ["europe", "iran", "excel_unicode"])
def test_a_messy_export_of_the_shop_reads_back_exactly(crm_data, tmp_path, style):
    from crmwb.datasets import write_messy_export

    tx = crm_data.transactions
    folder = write_messy_export(tx, crm_data.customers, tmp_path / "export", style)
    raw = (folder / "transactions.csv").read_bytes()
    assert (b";" in raw[:200]) == (style != "excel_unicode")
    data = io.read_dataset(folder)
    got = engine.to_pandas(data.transactions)
    assert len(got) == len(tx)
    assert got["customer_id"].fillna("-").tolist() == [
        "-" if pd.isna(c) else str(c) for c in tx["customer_id"]]
    assert (got["date"] == tx["date"]).all()
    assert got["quantity"].tolist() == tx["quantity"].tolist()
    assert got["unit_price"].tolist() == pytest.approx(tx["unit_price"].tolist(), abs=1e-9)
    assert got["invoice_id"].tolist() == tx["invoice_id"].tolist()
    cust = data.customers
    assert cust["customer_id"].tolist() == crm_data.customers["customer_id"].astype(str).tolist()
    assert (cust["signup_date"] == crm_data.customers["signup_date"]).all()
    pd.testing.assert_series_equal(cust["age"].astype("Int64"), crm_data.customers["age"],
                                   check_names=False)


def test_only_workbook_sheets_with_the_transaction_header_are_stacked(tmp_path):
    path = tmp_path / "book.xlsx"
    lines = pd.DataFrame({"invoice_id": ["1", "2"], "customer_id": ["0042", "7"],
                          "date": pd.to_datetime(["2024-01-05", "2024-01-06"]),
                          "product_id": ["A", "B"], "quantity": [1, 2],
                          "unit_price": ["2,5", "1.234,5"]})  # text cells, decimal comma
    with pd.ExcelWriter(path) as writer:
        lines.iloc[:1].to_excel(writer, sheet_name="2024-01-05", index=False)
        pd.DataFrame({"note": ["prices incl. VAT"], "by": ["Sara"]}).to_excel(
            writer, sheet_name="Notes", index=False)
        lines.iloc[1:].to_excel(writer, sheet_name="2024-01-06", index=False)
    with pytest.warns(UserWarning, match=r"sheet\(s\) \['Notes'\] do not have the columns"):
        out = read(path)
    assert out["invoice_id"].tolist() == ["1", "2"]
    assert out["customer_id"].tolist() == ["0042", "7"]
    assert out["unit_price"].tolist() == [2.5, 1234.5]


def test_read_back_reports_every_style_identical_for_lines_as_the_engine_gives_them(
        crm_data, tmp_path):
    from crmwb.datasets import read_back

    # through the engine, ids beside missing values arrive as decimals (17604.0)
    lines = engine.to_pandas(io.read_transactions(crm_data.transactions)).head(5000)
    assert lines["customer_id"].dtype == "float64"
    table = read_back(lines, crm_data.customers, tmp_path)
    assert table["identical"].tolist() == [True, True, True]
    assert table["example_price"].iloc[0].count(",") == 1  # a decimal comma in Europe


def test_a_header_with_commas_inside_names_of_a_semicolon_file(tmp_path):
    path = tmp_path / "eu.csv"
    path.write_text("invoice_id;customer_id;date;product_id;quantity;unit_price, EUR\n"
                    "1;10;05.01.2024;A;2;1,5\n")
    out = read(path, mapping={"unit_price, EUR": "unit_price"})
    assert out["unit_price"].tolist() == [1.5]


def test_a_workbook_number_beside_decimal_comma_text_is_refused_not_misread(tmp_path):
    path = tmp_path / "book.xlsx"
    pd.DataFrame({"invoice_id": ["1", "2"], "customer_id": ["7", "7"],
                  "date": pd.to_datetime(["2024-01-05", "2024-01-06"]),
                  "product_id": ["A", "B"], "quantity": [1, 1],
                  "unit_price": [1.234, "12,5"]}).to_excel(path, index=False)
    with pytest.raises(SchemaError, match="unit_price"):  # never 1234
        read(path)
