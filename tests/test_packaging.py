"""The project's own files: dependency lists in step, notebooks fit for papermill."""

import re
import tomllib

import nbformat
import papermill
import pytest
import yaml

from crmwb import config

NOTEBOOKS = sorted(config.NOTEBOOKS_DIR.glob("*.ipynb"))


def _name_and_bound(requirement: str) -> tuple[str, str]:
    m = re.match(r"\s*([A-Za-z0-9_.\-]+)(\[[^\]]*\])?\s*(.*)", requirement)
    return m.group(1).lower().replace("_", "-"), m.group(3).replace(" ", "")


def test_environment_yml_lists_the_same_packages_as_pyproject():
    project = tomllib.loads((config.PROJECT_ROOT / "pyproject.toml").read_text())["project"]
    wanted = dict(_name_and_bound(r) for r in project["dependencies"])
    wanted.update(_name_and_bound(r) for r in project["optional-dependencies"]["dev"])
    env = yaml.safe_load((config.PROJECT_ROOT / "environment.yml").read_text())
    conda = [d for d in env["dependencies"] if isinstance(d, str)]
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    listed = dict(_name_and_bound(d) for d in conda if not d.startswith(("python=", "pip")))
    # packages conda-forge lacks come from PyPI in the pip section
    listed.update(_name_and_bound(p) for p in pip if not p.startswith("-e"))
    assert listed == wanted
    assert "conda-forge" in env["channels"]
    assert "python=3.11" in conda
    assert any(p.startswith("-e .") for p in pip)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_committed_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert not cell.outputs and cell.execution_count is None, path.name


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_parameter_line_is_understood_by_papermill(path):
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert "parameters" in code[0].metadata.get("tags", []), "first code cell is the parameters"
    assignments = [line for line in code[0].source.splitlines()
                   if line.strip() and not line.lstrip().startswith("#")]
    found = papermill.inspect_notebook(str(path))
    assert len(found) == len(assignments), "a parameter line papermill cannot parse"
    for info in found.values():
        assert info["inferred_type_name"] != "None", f"{info['name']} has no type"
        assert info["help"], f"{info['name']} has no '# meaning' comment"
    assert "lang" in found


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_uses_the_python3_kernel(path):
    nb = nbformat.read(path, as_version=4)
    assert nb.metadata["kernelspec"]["name"] == "python3"


def test_every_file_the_package_ships_besides_code_is_declared_as_package_data():
    # an installed crmwb (not an editable one) has only the files pyproject declares:
    # a chart style or a report template left out would be missing there alone
    globs = tomllib.loads((config.PROJECT_ROOT / "pyproject.toml").read_text())[
        "tool"]["setuptools"]["package-data"]["crmwb"]
    package = config.PROJECT_ROOT / "crmwb"
    data = [p.relative_to(package) for p in package.rglob("*")
            if p.is_file() and p.suffix not in {".py", ".pyc"} and "__pycache__" not in p.parts]
    assert data, "the package ships a template and a chart style"
    assert [str(p) for p in data if not any(p.match(g) for g in globs)] == []
