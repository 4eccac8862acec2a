"""The runner prepares once, reuses, takes one parameters file for every notebook, runs in
parallel (issue 18, points 3 and 4)."""

import json

import nbformat as nbf
import pandas as pd
import pytest
from test_report import notebook

from crmwb import cli, prepared, report
from crmwb.report import ParameterError

PREPARED = 'prepared: str = ""  # a prepared dataset\nlang: str = "en"  # language'


def shop(folder):
    folder.mkdir(parents=True)
    pd.DataFrame({"invoice_id": ["1", "2", "3"], "customer_id": [1, 1, 2],
                  "date": pd.to_datetime(["2024-01-02", "2024-02-03", "2024-02-05"]),
                  "product_id": ["A", "B", "A"], "quantity": [1, 2, 3],
                  "unit_price": [2.0, 3.0, 4.0]}).to_parquet(folder / "transactions.parquet")
    return folder


def printed(path):
    nb = nbf.read(path, as_version=4)
    return "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))


@pytest.fixture
def analyses(tmp_path):
    folder = tmp_path / "notebooks"
    folder.mkdir()
    notebook(folder / "01_lines.ipynb",
             "import crmwb.prepared\nd = crmwb.prepared.open(prepared)\n"
             "print('lines', d.lines.count().execute(), 'engine', d.manifest['engine']['engine'])",
             params=PREPARED)
    notebook(folder / "02_clusters.ipynb", "print('k', n_clusters)",
             params=PREPARED + "\nn_clusters: int = 4  # clusters")
    notebook(folder / "03_table.ipynb", "print('table', out_table_dir)",
             params='out_table_dir: str = ""  # where')
    return folder


def test_the_runner_prepares_once_then_reuses_and_every_notebook_opens_it(analyses, tmp_path):
    data = shop(tmp_path / "shop")
    params = {"data_dir": str(data), "prepared": str(tmp_path / "prepared")}
    logged = []
    results = report.run_notebooks(params, out_dir=tmp_path / "r", notebooks_dir=analyses,
                                   log=logged.append, jobs=1)
    assert [r.status for r in results] == ["ok"] * 3
    assert any("preparing again" in line for line in logged)
    assert "lines 3 engine duckdb" in printed(tmp_path / "r" / "01_lines.ipynb")
    assert results[0].parameters["prepared"] == str(tmp_path / "prepared")
    assert "prepared" not in results[2].parameters  # 03 does not take it
    before = (tmp_path / "prepared" / "lines.parquet").stat().st_mtime_ns
    logged.clear()
    report.run_notebooks(params, out_dir=tmp_path / "r", notebooks_dir=analyses,
                         log=logged.append, only=["01"])
    assert any(line.startswith("reusing the prepared data") for line in logged)
    assert (tmp_path / "prepared" / "lines.parquet").stat().st_mtime_ns == before
    # a parameter that shapes the data prepares again, and says why
    logged.clear()
    report.run_notebooks({**params, "outlier_threshold": 3.0}, out_dir=tmp_path / "r",
                         notebooks_dir=analyses, log=logged.append, only=["01"])
    assert any("parameters changed: outlier_threshold" in line for line in logged)


def test_one_parameters_file_serves_every_notebook_with_only(analyses, tmp_path, capsys):
    file = tmp_path / "all.yaml"
    file.write_text(f"data_dir: {shop(tmp_path / 'shop')}\nprepared: prepared\n"
                    "n_clusters: 6\nout_table_dir: tables\nduckdb_memory_limit: 1GB\n")
    rc = cli.main(["run", "--params", str(file), "--notebooks", str(analyses), "--only", "01",
                   "--out", str(tmp_path / "r")])
    assert rc == 0, capsys.readouterr().err
    assert not (tmp_path / "r" / "02_clusters.ipynb").exists()
    manifest = json.loads((tmp_path / "prepared" / "manifest.json").read_text())
    assert manifest["engine"]["duckdb_memory_limit"] == "1GB"
    file.write_text(file.read_text() + "n_clusterz: 5\n")
    rc = cli.main(["run", "--params", str(file), "--notebooks", str(analyses), "--only", "01",
                   "--out", str(tmp_path / "r")])
    err = capsys.readouterr().err
    assert rc == 2 and "unknown parameter(s) ['n_clusterz']" in err


@pytest.mark.parametrize("name, value", [("outlier_threshold", "high"), ("keep_anonymous", 3),
                                         ("column_mapping", ["a"]), ("spark_config", "x")])
def test_preparation_parameters_are_checked_against_their_declared_type(analyses, name, value):
    with pytest.raises(ParameterError, match=f"{name}: expected"):
        report.check_params({name: value}, report.discover_notebooks(analyses))


def test_data_that_cannot_be_prepared_is_refused_before_any_notebook(analyses, tmp_path,
                                                                    capsys):
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "transactions.csv").write_text(
        "invoice_id,customer_id,date,product_id,quantity,unit_price\n"
        "1,7,2024-01-02,A,1,2.5\n2,7,yesterday,A,1,2.5\n")
    file = tmp_path / "p.yaml"
    file.write_text(f"data_dir: {bad}\nprepared: {tmp_path / 'prep'}\n")
    out = tmp_path / "r2"
    rc = cli.main(["run", "--params", str(file), "--notebooks", str(analyses),
                   "--out", str(out)])
    err = capsys.readouterr().err
    assert rc == 2 and "preparation failed" in err and "date" in err and "yesterday" in err
    assert not (out / "01_lines.ipynb").exists() and not (tmp_path / "prep").exists()


def test_parallel_runs_keep_the_index_in_notebook_order(tmp_path):
    folder = tmp_path / "notebooks"
    folder.mkdir()
    notebook(folder / "00_slow.ipynb", "import time\ntime.sleep(8)\nprint('slow')")
    notebook(folder / "01_quick.ipynb", "print('quick')")
    notebook(folder / "02_broken.ipynb", "raise ValueError('planted')")
    logged = []
    results = report.run_notebooks(notebooks_dir=folder, out_dir=tmp_path / "r", jobs=2,
                                   log=logged.append)
    assert [r.name for r in results] == ["00_slow", "01_quick", "02_broken"]
    assert [r.status for r in results] == ["ok", "ok", "failed"]
    assert "ValueError: planted" in results[2].error
    finished = [line.split()[0] for line in logged if line.startswith("    ")]
    assert finished.index("01_quick") < finished.index("00_slow")  # ran side by side
    index = (tmp_path / "r" / "index.html").read_text()
    assert index.index("00_slow") < index.index("01_quick") < index.index("02_broken")
    times = json.loads((tmp_path / "r" / ".crmwb-times.json").read_text())
    assert times["00_slow"] >= 8


def test_crmwb_prepare_writes_reuses_and_forces(tmp_path, capsys, monkeypatch):
    file = tmp_path / "p.yaml"
    file.write_text(f"data_dir: {shop(tmp_path / 'shop')}\nlang: fa\n")
    out = tmp_path / "prepared"
    monkeypatch.chdir(tmp_path)  # folders under the working folder are named from it
    assert cli.main(["prepare", "--params", str(file), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "prepared 3 clean lines of 3" in printed
    assert "preparing shop -> prepared" in printed and str(tmp_path) not in printed
    assert prepared.open(out).manifest["rows"]["lines"] == 3
    assert cli.main(["prepare", "--params", str(file), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "reusing the prepared data in prepared (" in printed and str(tmp_path) not in printed
    assert cli.main(["prepare", "--params", str(file), "--out", str(out), "--force"]) == 0
    assert "prepared 3 clean lines" in capsys.readouterr().out
    assert cli.main(["prepare", "--params", str(file), "--out", str(tmp_path / "shop")]) == 2
    assert "refused" in capsys.readouterr().err


def test_fewer_notebooks_side_by_side_on_a_large_prepared_dataset(tmp_path, monkeypatch):
    def folder(name, customers, lines, limit):
        path = tmp_path / name
        path.mkdir()
        (path / prepared.MANIFEST).write_text(json.dumps({
            "rows": {"customers": customers, "lines": lines},
            "engine": {"duckdb_memory_limit": limit}}), encoding="utf-8")
        return path

    monkeypatch.setattr(report, "_memory_bytes", lambda: 24 * 2**30)  # this machine
    small = folder("small", 5_000, 290_000, "")
    large = folder("large", 1_000_000, 57_000_000, "3GB")
    assert report.memory_jobs(small, 2) == 2 and report.memory_jobs(small, 4) == 4
    # a million customers: ~7 GB per kernel (3 GB of it DuckDB's), half of 24 GB holds one
    assert 6.5 < report.kernel_bytes(large) / 2**30 < 7.5
    assert report.memory_jobs(large, 2) == 1
    monkeypatch.setattr(report, "_memory_bytes", lambda: 64 * 2**30)
    assert report.memory_jobs(large, 4) == 4  # 32 GB hold four
    assert report._size_bytes("3GB") == 3 * 2**30 and report._size_bytes("512 MiB") == 2**29
    assert report._size_bytes("") is None and report._size_bytes("lots") is None


def test_workers_are_never_forked_from_the_runner():
    """The runner may hold threads (DuckDB's, Arrow's, pytest's); a child forked from it
    can crash at random (a segmentation fault in nbconvert's HTML export, seen in CI)."""
    assert report._worker_context().get_start_method() != "fork"


def test_workers_see_the_environment_as_it_is_when_the_run_starts(tmp_path, monkeypatch):
    folder = tmp_path / "notebooks"
    folder.mkdir()
    for name in ("00_a", "01_b"):
        notebook(folder / f"{name}.ipynb",
                 "import os\nassert os.environ['CRMWB_PLANTED'] == 'second', os.environ.get("
                 "'CRMWB_PLANTED')")
    monkeypatch.setenv("CRMWB_PLANTED", "first")
    report.run_notebooks(notebooks_dir=folder, out_dir=tmp_path / "r1", jobs=2,
                         log=lambda line: None)  # starts the workers' server, if any
    monkeypatch.setenv("CRMWB_PLANTED", "second")  # a key set between two runs
    results = report.run_notebooks(notebooks_dir=folder, out_dir=tmp_path / "r2", jobs=2,
                                   log=lambda line: None)
    assert [r.status for r in results] == ["ok", "ok"], [r.error for r in results]


def test_the_console_shows_progress_and_no_kernel_warnings(tmp_path, capfd, monkeypatch):
    # issue 20 point 5: a progress line per notebook with the time so far and an
    # estimate of the rest; the kernel's "running over TCP without encryption" warning
    # and other kernel logging stay off the console; real failures are still told
    folder = tmp_path / "notebooks"
    folder.mkdir()
    notebook(folder / "00_a.ipynb", "print('a')")
    notebook(folder / "01_b.ipynb", "print('b')")
    notebook(folder / "02_broken.ipynb", "raise ValueError('planted')")
    logged = []
    monkeypatch.chdir(tmp_path)
    report.run_notebooks(notebooks_dir=folder, out_dir=tmp_path / "r", jobs=1,
                         log=logged.append)
    console = capfd.readouterr()
    assert "without encryption" not in console.err + console.out
    assert "[IPKernelApp]" not in console.err
    progress = [line for line in logged if line.startswith("    ")]
    assert len(progress) == 3
    assert all("elapsed" in line for line in progress)
    assert "left" in progress[0] and "left" not in progress[-1]
    assert any("ValueError: planted" in line for line in logged)
    # files under the working folder are named from it, not from the machine's root
    assert str(tmp_path) not in "\n".join(logged)
    assert any("r/02_broken.ipynb" in line for line in logged)
    index = (tmp_path / "r" / "index.html").read_text()
    assert str(tmp_path) not in index


def test_paths_are_shown_relative_to_the_reports_folder(tmp_path):
    reports = tmp_path / "reports"
    assert report.shown_path(reports / "customer_table.csv", reports) == "customer_table.csv"
    assert report.shown_path(reports / "tables" / "x.csv", reports) == "tables/x.csv"
    # beside it in the same project, and elsewhere: never the machine's folders
    assert report.shown_path(tmp_path / "data" / "x.csv", reports) == "../data/x.csv"
    assert report.shown_path("/srv/exports/x.csv", reports) == "x.csv"
    assert report.shown_path(report.config.REPORTS_DIR / "t.csv") == "t.csv"
