"""A parameters file is data, never code (issue 17, point 1)."""

import nbformat as nbf
import pytest

from crmwb import cli, report
from crmwb.report import ParameterError

PARAMS = '''lang: str = "en"  # language
spark_config: dict = None  # settings
data_dir: str = ""  # a folder
out_dir: str = ""  # an output folder
n: int = 3  # a count
rate: float = 0.5  # a rate
flag: bool = False  # a switch
code: str = "98"  # a code'''


@pytest.fixture
def notebooks(tmp_path):
    folder = tmp_path / "notebooks"
    folder.mkdir()
    nb = nbf.v4.new_notebook(cells=[
        nbf.v4.new_code_cell(PARAMS, metadata={"tags": ["parameters"]}),
        nbf.v4.new_code_cell("print(repr(spark_config), repr(data_dir), repr(code))"),
    ])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nbf.write(nb, folder / "00_only.ipynb")
    return folder


CRAFTED = {
    "pairs": "spark_config: !!pairs [[a, '\"); import os; os.system(\"touch {marker}\"); (\"']]",
    "omap": "spark_config: !!omap [{{a: '\"); open(\"{marker}\", \"w\"); (\"'}}]",
    "set": "spark_config: !!set {{a, b}}",
    "binary": "spark_config: !!binary aGVsbG8=",
    "python": "spark_config: !!python/tuple [a, b]",
    "custom": "spark_config: !shell 'touch {marker}'",
}


@pytest.mark.parametrize("kind", sorted(CRAFTED))
def test_a_crafted_parameters_file_runs_no_code_and_names_the_key(notebooks, tmp_path,
                                                                  kind, capsys):
    marker = tmp_path / "pwned"
    params = tmp_path / "evil.yaml"
    params.write_text(CRAFTED[kind].format(marker=marker) + "\n")
    out = tmp_path / "reports"
    rc = cli.main(["run", "--notebooks", str(notebooks), "--params", str(params),
                   "--out", str(out)])
    err = capsys.readouterr().err
    assert rc == 2
    assert "refused before any notebook started" in err and "evil.yaml" in err
    assert "spark_config" in err or "tag" in err
    assert not marker.exists()
    assert not (out / "00_only.ipynb").exists()


@pytest.mark.parametrize("value, message", [
    (("a", "b"), "found tuple"),
    ({1: "x"}, "map keys must be text"),
    ({"a": {"b": b"x"}}, r"spark_config.a.b: .*found bytes"),
    (float("nan"), "finite"),
    ({"a", "b"}, "found set"),
])
def test_only_plain_data_reaches_a_notebook(notebooks, value, message):
    with pytest.raises(ParameterError, match=message):
        report.check_params({"spark_config": value}, report.discover_notebooks(notebooks))


@pytest.mark.parametrize("name, value", [
    ("n", "3"), ("n", 2.5), ("n", True), ("rate", "high"), ("flag", "yes"),
    ("spark_config", ["a"]), ("lang", ["en"]),
])
def test_a_value_of_the_wrong_type_is_refused_naming_the_declared_type(notebooks, name, value):
    with pytest.raises(ParameterError, match=rf"^{name}: expected \w+ \(as the notebook"):
        report.check_params({name: value}, report.discover_notebooks(notebooks))


def test_numbers_are_accepted_where_the_notebook_expects_them(notebooks):
    nbs = report.discover_notebooks(notebooks)
    got = report.check_params({"rate": 1, "code": 98, "n": 4}, nbs)[nbs[0]]
    assert got == {"rate": 1.0, "code": "98", "n": 4}
    assert isinstance(got["rate"], float)


def test_text_that_looks_like_code_reaches_the_notebook_as_text(notebooks, tmp_path):
    marker = tmp_path / "pwned"
    evil = f'"); import os; os.system("touch {marker}"); ("\\\\'
    params = tmp_path / "p.yaml"
    params.write_text(f"spark_config: {{key: '{evil}'}}\ncode: '{evil}'\n")
    out = tmp_path / "reports"
    rc = cli.main(["run", "--notebooks", str(notebooks), "--params", str(params),
                   "--out", str(out)])
    assert rc == 0
    assert not marker.exists()
    printed = "".join(o.get("text", "") for c in nbf.read(out / "00_only.ipynb", 4).cells
                      for o in c.get("outputs", []))
    assert repr({"key": evil}) in printed and repr(evil) in printed


def test_relative_paths_are_resolved_against_the_parameters_file(notebooks, tmp_path,
                                                                 monkeypatch):
    project = tmp_path / "project"
    (project / "data" / "shop").mkdir(parents=True)
    (project / "my.yaml").write_text("data_dir: data/shop\nout_dir: clean\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    params = report.load_params(project / "my.yaml")
    assert params == {"data_dir": str(project / "data" / "shop"),
                      "out_dir": str(project / "clean")}
    out = tmp_path / "reports"
    assert cli.main(["run", "--notebooks", str(notebooks), "--params",
                     str(project / "my.yaml"), "--out", str(out)]) == 0
    text = "".join(o.get("text", "") for c in nbf.read(out / "00_only.ipynb", 4).cells
                   for o in c.get("outputs", []))
    assert repr(str(project / "data" / "shop")) in text


def test_relative_paths_given_in_python_are_resolved_against_the_launch_folder(
        notebooks, tmp_path, monkeypatch):
    (tmp_path / "shop").mkdir()
    monkeypatch.chdir(tmp_path)
    nbs = report.discover_notebooks(notebooks)
    got = report.check_params({"data_dir": "shop"}, nbs)[nbs[0]]
    assert got["data_dir"] == str(tmp_path / "shop")


def test_reports_folder_among_the_inputs_is_refused(notebooks, tmp_path):
    shop = tmp_path / "shop"
    shop.mkdir()
    (shop / "transactions.csv").write_text("x\n")
    nbs = report.discover_notebooks(notebooks)
    with pytest.raises(ParameterError, match=r"--out: .* is the input .*\(data_dir\)"):
        report.check_params({"data_dir": str(shop)}, nbs, out_dir=shop)
    with pytest.raises(ParameterError, match=r"out_dir: .* lies inside the input"):
        report.check_params({"data_dir": str(shop), "out_dir": str(shop / "clean")}, nbs)
