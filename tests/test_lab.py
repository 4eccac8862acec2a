"""One language in JupyterLab: working copies of the notebooks, driven in headless Chromium."""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest

from crmwb import config, i18n, lab

PERSIAN = re.compile(r"[\u0600-\u06FF]")


def _hashes(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.glob("*.ipynb"))}


@pytest.mark.parametrize("lang", ["en", "fa"])
def test_working_copies_hold_one_language_and_leave_the_notebooks_alone(tmp_path, lang):
    before = _hashes(config.NOTEBOOKS_DIR)
    folder = lab.make_copies(lang, tmp_path / lang, log=lambda line: None)
    assert _hashes(config.NOTEBOOKS_DIR) == before  # the notebooks are not touched
    copies = sorted(folder.glob("*.ipynb"))
    assert [p.name for p in copies] == list(before)
    for path in copies:
        nb = nbformat.read(path, as_version=4)
        languages = {i18n.cell_language(c) for c in nb.cells}
        assert languages <= {None, lang}
        prose = " ".join(c.source for c in nb.cells if c.cell_type == "markdown")
        assert bool(PERSIAN.search(prose)) == (lang == "fa")
        assert "crmwb lab" in nb.cells[0].source and f"notebooks/{path.name}" in nb.cells[0].source
        params = next(c.source for c in nb.cells if "parameters" in c.metadata.get("tags", []))
        assert re.search(rf'^lang: str = "{lang}"', params, re.M)
        # the same code cells as the notebook, in the same order
        source = nbformat.read(config.NOTEBOOKS_DIR / path.name, as_version=4)
        assert [c.source for c in nb.cells if c.cell_type == "code"][1:] == \
            [c.source for c in source.cells if c.cell_type == "code"][1:]


def test_an_edited_copy_is_kept_and_fresh_sets_it_aside_never_deleting_it(tmp_path):
    notebooks = tmp_path / "notebooks"
    shutil.copytree(config.NOTEBOOKS_DIR, notebooks)
    folder = lab.make_copies("en", tmp_path / "lab", notebooks, log=lambda line: None)
    said = []
    target = folder / "00_overview.ipynb"
    # outputs of a run are not an edit: the copy stays as it is, outputs included
    nb = nbformat.read(target, as_version=4)
    code = next(c for c in nb.cells if c.cell_type == "code")
    code.outputs = [nbformat.v4.new_output("stream", text="ran")]
    nbformat.write(nb, target)
    lab.make_copies("en", folder, notebooks, log=said.append)
    assert '"ran"' in target.read_text() and said == []
    # the reader edits a cell, and the notebook changes upstream
    nb.cells[-1].source += "\n# my own note"
    nbformat.write(nb, target)
    edited = target.read_text()
    source = nbformat.read(notebooks / "00_overview.ipynb", as_version=4)
    english = [c for c in source.cells if "lang-fa" not in c.metadata.get("tags", [])]
    english[-1].source += "\n# upstream change"  # a cell the English copy holds
    nbformat.write(source, notebooks / "00_overview.ipynb")
    lab.make_copies("en", folder, notebooks, log=said.append)
    assert target.read_text() == edited
    assert any("kept your edited copy 00_overview.ipynb" in line and "changed" in line
               for line in said)
    lab.make_copies("en", folder, notebooks, fresh=True, log=said.append)
    aside = list(folder.glob("00_overview.edited-*.ipynb"))
    assert len(aside) == 1 and aside[0].read_text() == edited
    assert "upstream change" in target.read_text() and "my own note" not in target.read_text()
    with pytest.raises(ValueError, match="notebooks folder"):
        lab.make_copies("en", notebooks, notebooks)


CHROMIUM = shutil.which("chromium")


@pytest.fixture(scope="module")
def jupyterlab(tmp_path_factory):
    """JupyterLab on both languages' working copies, on this machine, without a token."""
    root = tmp_path_factory.mktemp("lab")
    for lang in ("en", "fa"):
        lab.make_copies(lang, root / lang, log=lambda line: None)
    port = lab._free_port()
    command = lab.lab_command(root, port, open_browser=False) + [
        "--IdentityProvider.token=", "--ServerApp.password=",
        f"--LabApp.workspaces_dir={root / 'workspaces'}", "--ServerApp.disable_check_xsrf=True",
        "--allow-root", "--LabApp.news_url=", "--LabApp.check_for_updates_class="
        "jupyterlab.NeverCheckForUpdate"]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    for _ in range(120):
        try:
            urllib.request.urlopen(url + "api/status", timeout=2)
            break
        except OSError:
            time.sleep(0.5)
    else:
        server.kill()
        pytest.fail("JupyterLab did not start")
    yield url, root
    server.terminate()
    server.wait(timeout=30)


@pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium (.ci/run installs it)")
@pytest.mark.parametrize(("lang", "name"), [("en", "00_overview"), ("fa", "02_segmentation"),
                                           ("en", "05_basket")])
def test_run_all_in_jupyterlab_gives_no_error_and_one_language(jupyterlab, lang, name):
    from playwright.sync_api import sync_playwright

    jupyterlab, jupyterlab_root = jupyterlab

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{jupyterlab}lab/tree/{lang}/{name}.ipynb?reset")
        page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
        # the kernel has started and answered (the status bar says so): a Run All sent
        # before that is lost
        page.wait_for_function("() => /\\| Idle/.test(document.querySelector("
                               "'.jp-StatusBar-Widget, #jp-main-statusbar').innerText)",
                               timeout=120_000)
        page.locator(".lm-MenuBar-item", has_text="Run").first.click()
        page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
        # done when the last cell has run and the kernel is idle again
        page.wait_for_function("""() => {
            const prompts = document.querySelectorAll('.jp-Notebook .jp-CodeCell .jp-InputPrompt');
            const last = prompts[prompts.length - 1];
            const kernel = document.querySelector('.jp-Notebook-ExecutionIndicator');
            return last && /\\[\\d+\\]/.test(last.innerText) && kernel
                && kernel.dataset.status === 'idle'; }""", timeout=300_000)
        prose = " ".join(page.locator(".jp-MarkdownOutput").all_inner_texts())
        assert prose and bool(PERSIAN.search(prose)) == (lang == "fa")
        page.keyboard.press("Control+s")
        saved = jupyterlab_root / lang / f"{name}.ipynb"
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                code = [c for c in nbformat.read(saved, as_version=4).cells
                        if c.cell_type == "code"]
            except ValueError:  # being written
                code = []
            if code and all(c.execution_count for c in code):
                break
            time.sleep(0.5)
        else:
            pytest.fail(f"{name}: not every cell ran, or the notebook was not saved")
        errors = [o for c in code for o in c.outputs
                  if o.output_type == "error" or o.get("name") == "stderr"]
        assert errors == [], errors[:2]
        if name == "05_basket":  # the rules to explore came to life in JupyterLab too
            page.wait_for_selector("table.dataTable", timeout=30_000)
        if name == "02_segmentation":  # the pyramid's what-if: sliders, not a static table
            page.locator(".widget-slider").first.scroll_into_view_if_needed(timeout=30_000)
            assert page.locator(".widget-slider").count() == 3
        browser.close()
