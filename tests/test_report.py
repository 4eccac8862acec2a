import json

import nbformat as nbf
import pytest

from crmwb import cli, prepared, report
from crmwb.report import ParameterError


def notebook(path, *sources, params='lang: str = "en"  # language\nlabel: str = "x"  # a label'):
    cells = [nbf.v4.new_code_cell(params, metadata={"tags": ["parameters"]})]
    cells += [nbf.v4.new_code_cell(s) for s in sources]
    nb = nbf.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nbf.write(nb, path)


@pytest.fixture
def notebooks(tmp_path):
    folder = tmp_path / "notebooks"
    folder.mkdir()
    notebook(folder / "00_first.ipynb", "print('first says', label)")
    notebook(folder / "01_broken.ipynb", "x = 1", "raise ValueError('planted failure')")
    notebook(folder / "02_after.ipynb", "print('after', lang)")
    return folder


def test_failing_notebook_does_not_stop_the_others(notebooks, tmp_path, capsys):
    out = tmp_path / "reports"
    rc = cli.main(["run", "--notebooks", str(notebooks), "--out", str(out)])
    printed = capsys.readouterr().out
    assert rc == 1
    assert "01_broken.ipynb" in printed and "cell 3 (`raise ValueError(" in printed
    assert "ValueError: planted failure" in printed
    for name in ("00_first", "02_after"):
        assert (out / f"{name}.html").exists() and (out / f"{name}.ipynb").exists()
    kept = nbf.read(out / "01_broken.ipynb", as_version=4)
    assert kept.cells[-1].outputs[0]["ename"] == "ValueError"  # partly executed, kept
    index = (out / "index.html").read_text()
    assert index.count("failed") >= 2 and "planted failure" in index
    assert 'href="02_after.html"' in index


def test_parameters_reach_the_notebook_and_the_index(notebooks, tmp_path):
    params = tmp_path / "p.yaml"
    params.write_text("label: from-yaml\n")
    out = tmp_path / "reports"
    rc = cli.main(["run", "--params", str(params), "--notebooks", str(notebooks),
                   "--out", str(out), "--only", "00"])
    assert rc == 0
    executed = nbf.read(out / "00_first.ipynb", as_version=4)
    printed = "".join(o.get("text", "") for c in executed.cells for o in c.get("outputs", []))
    assert "first says from-yaml" in printed
    assert not (out / "02_after.ipynb").exists()
    assert json.dumps({"label": "from-yaml"}).replace('"', "&quot;") in (
        out / "index.html").read_text()


def test_html_hides_code_unless_asked(notebooks, tmp_path):
    out = tmp_path / "reports"
    report.run_notebooks(notebooks_dir=notebooks, out_dir=out, only=["first"], log=lambda s: None)
    assert "print(&#39;first says&#39;" not in (out / "00_first.html").read_text()
    report.run_notebooks(notebooks_dir=notebooks, out_dir=out, only=["first"], show_code=True,
                         log=lambda s: None)
    assert "first says" in (out / "00_first.html").read_text()


@pytest.mark.parametrize("yaml_text, message", [
    ("sede: 3\n", r"unknown parameter\(s\) \['sede'\]"),
    ("data_dir: /no/such/folder\n", "data_dir: data path not found"),
    ("lang: xx\n", "unknown language 'xx'"),
    ("!!python/object/apply:os.system ['echo hacked']\n", "not a valid parameters file"),
    ("- a\n- b\n", "expected a mapping"),
])
def test_bad_parameters_are_refused_before_any_notebook_starts(
        notebooks, tmp_path, yaml_text, message):
    for nb in notebooks.glob("*.ipynb"):  # every notebook may take data_dir
        notebook(nb, "pass", params='lang: str = "en"  # language\n'
                                   'data_dir: str = ""  # data folder')
    params = tmp_path / "p.yaml"
    params.write_text(yaml_text)
    out = tmp_path / "reports"
    with pytest.raises(ParameterError, match=message):
        report.run_notebooks(report.load_params(params), out_dir=out, notebooks_dir=notebooks)
    assert not out.exists()


def test_a_spill_folder_need_not_exist_yet(notebooks, tmp_path):
    for nb in notebooks.glob("*.ipynb"):
        notebook(nb, "pass", params='duckdb_temp_dir: str = ""  # spill folder')
    spill = str(tmp_path / "not" / "yet")
    per_notebook = report.check_params({"duckdb_temp_dir": spill},
                                       report.discover_notebooks(notebooks))
    assert all(p == {"duckdb_temp_dir": spill} for p in per_notebook.values())


def test_bad_column_mapping_is_refused(notebooks, tmp_path):
    lines = tmp_path / "lines.csv"
    lines.write_text("Invoice,Customer ID\n1,2\n")
    for nb in notebooks.glob("*.ipynb"):
        notebook(nb, "pass", params='transactions_path: str = ""  # lines\n'
                                   'column_mapping: dict = None  # mapping')
    params = {"transactions_path": str(lines), "column_mapping": {"InvoiceNo": "invoice_id"}}
    with pytest.raises(ParameterError, match=r"column_mapping:.*\['InvoiceNo'\]"):
        report.run_notebooks(params, out_dir=tmp_path / "r", notebooks_dir=notebooks)


def test_cli_reports_refusal_with_exit_code_2(notebooks, tmp_path, capsys):
    rc = cli.main(["run", "--notebooks", str(notebooks), "--only", "nope",
                   "--out", str(tmp_path / "r")])
    assert rc == 2
    assert "no notebook named 'nope'" in capsys.readouterr().err


def test_overview_runs_on_an_analysts_own_file_with_a_column_mapping(tmp_path, crm_data):
    """The real notebook 00, pointed at a plain CSV export whose columns need renaming."""
    export = crm_data.transactions.rename(columns={
        "invoice_id": "Invoice", "customer_id": "Customer ID", "date": "InvoiceDate",
        "unit_price": "Price"})
    path = tmp_path / "export.csv"
    export.to_csv(path, index=False)
    params = tmp_path / "mine.yaml"
    params.write_text(
        f"transactions_path: {path}\n"
        "column_mapping:\n  Invoice: invoice_id\n  Customer ID: customer_id\n"
        "  InvoiceDate: date\n  Price: unit_price\n"
        "prepared: prepared/export\n")  # beside the parameters file
    out = tmp_path / "reports"
    rc = cli.main(["run", "--params", str(params), "--out", str(out), "--only", "overview"])
    assert rc == 0
    data = prepared.open(tmp_path / "prepared" / "export")
    assert data.manifest["accounts"]["lines_in"] == len(export)
    assert data.manifest["parameters"]["column_mapping"]["Customer ID"] == "customer_id"
    clean = data.lines.to_pandas()
    executed = nbf.read(out / "00_overview.ipynb", as_version=4)
    printed = "".join(o.get("text", "") for c in executed.cells for o in c.get("outputs", []))
    assert f"{len(clean):,} lines on {clean['invoice_id'].nunique():,} invoices" in printed


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_exports_go_to_the_reports_folder_of_the_run(tmp_path, jobs):
    # notebooks 04 and 07 write their exports to the reports folder unless told: under
    # `crmwb run --out DIR` that is DIR (it was the project's reports/ whatever --out said),
    # and the reports name the file relative to it
    from crmwb import config

    folder = tmp_path / "notebooks"
    folder.mkdir()
    writes = ("from pathlib import Path\nfrom crmwb import config\n"
              "target = Path(out_table_dir or config.REPORTS_DIR) / 'export_{n}.csv'\n"
              "target.write_text('x')\nprint('written', config.shown_path(target))")
    params = 'lang: str = "en"  # language\nout_table_dir: str = ""  # where exports go'
    for n in (1, 2):
        notebook(folder / f"0{n}_exports.ipynb", writes.format(n=n), params=params)
    out = tmp_path / "elsewhere"
    rc = cli.main(["run", "--notebooks", str(folder), "--out", str(out), "--jobs", jobs])
    assert rc == 0
    for n in (1, 2):
        assert (out / f"export_{n}.csv").read_text() == "x"
        assert not (config.REPORTS_DIR / f"export_{n}.csv").exists()
        executed = nbf.read(out / f"0{n}_exports.ipynb", as_version=4)
        printed = "".join(o.get("text", "") for c in executed.cells for o in c.outputs)
        assert f"written export_{n}.csv" in printed
    assert "CRMWB_REPORTS_DIR" not in __import__("os").environ  # the runner leaves no trace


def test_a_failure_names_the_statement_that_raised_and_the_report_holds_no_traceback(
        tmp_path, capsys):
    folder = tmp_path / "notebooks"
    folder.mkdir()
    notebook(folder / "00_deep.ipynb",
             "import math\nx = 1\ny = math.sqrt(-x)  # the statement that raises\nz = 2")
    out = tmp_path / "reports"
    assert cli.main(["run", "--notebooks", str(folder), "--out", str(out)]) == 1
    printed = capsys.readouterr().out
    # not the cell's first line (`import math`), the one that raised
    assert "cell 2 (`y = math.sqrt(-x)" in printed and "import math`" not in printed
    page = (out / "00_deep.html").read_text()
    assert "ValueError: math domain error" in page
    assert "Traceback" not in page and "Cell In[" not in page


def test_a_lesson_its_data_cannot_carry_is_skipped_with_its_reason(tmp_path, capsys):
    folder = tmp_path / "notebooks"
    folder.mkdir()
    notebook(folder / "00_needs.ipynb",
             "from crmwb.needs import MissingData\nprint('the lesson starts')\n"
             "raise MissingData('This lesson needs a contacts table.')",
             "print('never reached')")
    notebook(folder / "01_fine.ipynb", "print('fine')")
    out = tmp_path / "reports"
    assert cli.main(["run", "--notebooks", str(folder), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "00_needs skipped" in printed and "needs a contacts table" in printed
    index = (out / "index.html").read_text()
    assert "skipped: This lesson needs a contacts table." in index
    page = (out / "00_needs.html").read_text()
    assert "This lesson needs a contacts table." in page and "the lesson starts" in page
    assert "never reached" not in page and "Traceback" not in page
    assert "MissingData" not in page and "An Exception was encountered" not in page
