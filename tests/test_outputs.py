"""An analyst's data is sacred: outputs never replace, delete or sit among the inputs;
exports are safe to open in a spreadsheet and readable by others (issue 17, points 2, 10)."""

import os
import stat

import pandas as pd
import pytest

from crmwb import churn, cleaning, customer360, io, report
from crmwb.datasets import ensure_default_data

HEADER = "invoice_id,customer_id,date,product_id,quantity,unit_price\n"


def shop_folder(tmp_path):
    """A user's data folder: transactions, customers, and a file of their own."""
    folder = tmp_path / "shop"
    folder.mkdir()
    (folder / "transactions.csv").write_text(HEADER + "1,10,2024-01-05,A,2,5.5\n"
                                             "2,11,2024-01-06,B,1,3.0\n")
    (folder / "customers.csv").write_text("customer_id,name\n10,Sara\n11,Reza\n")
    (folder / "notes.txt").write_text("my notes")
    return folder


def snapshot(folder):
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def cleaned(folder):
    data = io.read_dataset(folder)
    return cleaning.clean_transactions(data.transactions)


@pytest.mark.parametrize("where", ["same", "parent", "inside"])
def test_an_output_folder_among_the_inputs_is_refused(tmp_path, where):
    folder = shop_folder(tmp_path)
    before = snapshot(tmp_path)
    result = cleaned(folder)
    out = {"same": folder, "parent": tmp_path, "inside": folder / "clean"}[where]
    with pytest.raises(io.OutputError, match="out_dir: .*(is|contains|lies inside) the input"):
        cleaning.write_cleaned(result, out, overwrite=True, inputs=[folder])
    assert snapshot(tmp_path) == before


def test_overwrite_never_deletes_a_folder_crmwb_did_not_write(tmp_path):
    folder = shop_folder(tmp_path)
    before = snapshot(folder)
    result = cleaned(folder)
    # no inputs named: the folder is still not replaced, since crmwb did not write it
    with pytest.raises(io.OutputError, match="not written by crmwb"):
        cleaning.write_cleaned(result, folder, overwrite=True)
    assert snapshot(folder) == before


def test_overwrite_replaces_only_what_crmwb_wrote(tmp_path):
    folder = shop_folder(tmp_path)
    result = cleaned(folder)
    out = tmp_path / "clean"
    cleaning.write_cleaned(result, out)
    first = snapshot(out)
    cleaning.write_cleaned(result, out, overwrite=True)  # crmwb's own folder: replaced
    assert snapshot(out).keys() == first.keys()
    (out / "my_analysis.xlsx").write_text("the analyst's own work")
    with pytest.raises(io.OutputError, match="1 file.*crmwb did not write.*my_analysis.xlsx"):
        cleaning.write_cleaned(result, out, overwrite=True)
    assert (out / "my_analysis.xlsx").read_text() == "the analyst's own work"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".clean")]


def test_a_failed_overwrite_leaves_the_old_output_whole(tmp_path):
    out = tmp_path / "out"
    io.write_folder(out, lambda tmp: (tmp / "a.txt").write_text("old"))
    before = snapshot(out)

    def fail(tmp):
        (tmp / "a.txt").write_text("new")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        io.write_folder(out, fail, overwrite=True)
    assert snapshot(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_default_data_is_never_written_over_a_users_folder(tmp_path):
    folder = tmp_path / "default"
    folder.mkdir()
    (folder / "customers.csv").write_text("customer_id\n1\n")
    with pytest.raises(FileExistsError, match="holds no transactions.parquet"):
        ensure_default_data(folder)
    assert [p.name for p in folder.iterdir()] == ["customers.csv"]


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_outputs_get_ordinary_permissions(tmp_path):
    old = os.umask(0o022)
    try:
        out = io.write_folder(tmp_path / "out", lambda t: (t / "a.csv").write_text("x"))
        page = io.write_text(tmp_path / "report.html", "<html></html>")
        index = report.write_index([], tmp_path)
    finally:
        os.umask(old)
    assert mode(out) == 0o755
    assert mode(out / "a.csv") == 0o644
    assert mode(page) == 0o644
    assert mode(index) == 0o644


FORMULA = '=HYPERLINK("http://example.invalid","x")'


def test_formulas_in_text_cells_are_neutralised():
    frame = pd.DataFrame({
        "product_id": [FORMULA, "+1", "-2", "@SUM(A1)", "\tx", "\rx", "A=1", None],
        "city": pd.Series(["Tehran"] * 8, dtype="string"),
        "quantity": [-1, 2, 3, 4, 5, 6, 7, 8],
    })
    safe = io.neutralise_formulas(frame)
    assert safe["product_id"].tolist()[:7] == ["'" + FORMULA, "'+1", "'-2", "'@SUM(A1)",
                                               "'\tx", "'\rx", "A=1"]
    assert pd.isna(safe["product_id"].iloc[7])
    assert safe["quantity"].tolist() == frame["quantity"].tolist()  # numbers stay numbers
    assert frame["product_id"].iloc[0] == FORMULA  # the input is not modified


def test_contact_list_and_customer_table_csv_carry_no_formula(tmp_path):
    curve = pd.DataFrame({"customer_id": [FORMULA, "c2"], "risk": [0.9, 0.8],
                          "value": [100.0, 50.0], "expected_gain": [10.0, 5.0]})
    curve.attrs["best_k"] = 2
    churn.contact_list(curve, tmp_path / "contacts.csv")
    text = (tmp_path / "contacts.csv").read_text()
    assert "'" + FORMULA.replace('"', '""') in text
    assert not any(line.startswith("=") or ",=" in line for line in text.splitlines())

    table = pd.DataFrame({"top_product": [FORMULA, "A1"], "city": ["-Tehran", "Karaj"]},
                         index=pd.Index([1, 2], name="customer_id"))
    _, csv = customer360.export_customer_table(table, tmp_path / "export")
    back = pd.read_csv(csv, index_col=0)
    assert back["top_product"].tolist() == ["'" + FORMULA, "A1"]
    assert back["city"].tolist() == ["'-Tehran", "Karaj"]
    assert mode(csv) & 0o044  # readable by others (under the usual umask)
