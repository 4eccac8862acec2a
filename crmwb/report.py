"""The batch runner: execute the notebooks with papermill and write the reports.

``crmwb run`` (and :func:`run_notebooks`) executes every notebook in
``notebooks/`` in order, with parameters from a YAML file, and writes to the
reports folder, for each notebook, the executed ``.ipynb`` and an HTML export
(code hidden unless asked for), then ``index.html`` linking every report with
its status, run time and parameters.

Parameters are checked before any notebook starts: a name that no selected
notebook declares, a data path that does not exist, a column mapping that
does not fit the transactions file, or an unknown language is refused. A
notebook that fails does not stop the others; its partly executed notebook is
kept, and the run reports which notebook and which cell failed and why.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib
import nbformat
import papermill
import yaml
from nbconvert import HTMLExporter
from papermill.exceptions import PapermillExecutionError

from crmwb import config, i18n
from crmwb.glossary import LANGUAGES, glossary

#: Parameter names whose value is a path that must exist when given (outputs,
#: named ``out...``, and the folders in CREATED_PATHS excepted).
PATH_SUFFIXES = ("_dir", "_path", "_file")
#: Path parameters of folders a notebook creates when missing.
CREATED_PATHS = ("duckdb_temp_dir",)


class ParameterError(ValueError):
    """The run's parameters were refused before any notebook started."""


@dataclass
class NotebookResult:
    """What happened to one notebook in a run."""

    name: str
    status: str
    seconds: float
    parameters: dict = field(default_factory=dict)
    notebook: Path | None = None
    html: Path | None = None
    error: str | None = None
    cell: int | None = None


def load_params(path: str | Path | None) -> dict:
    """Read a parameters file with ``yaml.safe_load``; ``{}`` when ``path`` is None.

    Dates are turned into ISO strings so they can be passed to notebooks.
    """
    if path is None:
        return {}
    path = Path(path)
    if not path.exists():
        raise ParameterError(f"parameters file not found: {path}")
    with path.open(encoding="utf-8") as f:
        try:
            params = yaml.safe_load(f)
        except yaml.YAMLError as e:
            raise ParameterError(f"{path}: not a valid parameters file: {e}") from None
    if params is None:
        return {}
    if not isinstance(params, dict):
        raise ParameterError(
            f"{path}: expected a mapping of parameter names to values, found "
            f"{type(params).__name__}"
        )
    return {str(k): _plain(v) for k, v in params.items()}


def _plain(value):
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def discover_notebooks(notebooks_dir: str | Path | None = None) -> list[Path]:
    """The numbered notebooks (``NN_name.ipynb``) in run order."""
    folder = Path(notebooks_dir) if notebooks_dir else config.NOTEBOOKS_DIR
    return sorted(folder.glob("[0-9][0-9]_*.ipynb"))


def select_notebooks(notebooks: list[Path], only: Iterable[str] | None) -> list[Path]:
    """Keep the notebooks named in ``only`` (full stem, number or name after the number)."""
    if not only:
        return notebooks
    chosen = []
    for want in only:
        want = want.removesuffix(".ipynb")
        hits = [p for p in notebooks
                if want in (p.stem, p.stem[:2], p.stem[3:])]
        if not hits:
            names = ", ".join(p.stem for p in notebooks)
            raise ParameterError(f"no notebook named {want!r}; available: {names}")
        chosen.extend(h for h in hits if h not in chosen)
    return sorted(chosen)


def notebook_parameters(path: Path) -> dict[str, dict]:
    """The parameters a notebook declares in its cell tagged ``parameters``."""
    return papermill.inspect_notebook(str(path))


def check_params(params: dict, notebooks: list[Path]) -> dict[Path, dict]:
    """Refuse bad parameters; return the parameters each notebook receives.

    Raises
    ------
    ParameterError
        Unknown names, missing data paths, a bad column mapping or language.
    """
    declared = {nb: notebook_parameters(nb) for nb in notebooks}
    known = set().union(*declared.values()) if declared else set()
    unknown = sorted(set(params) - known)
    if unknown:
        raise ParameterError(
            f"unknown parameter(s) {unknown}; the selected notebooks take: "
            f"{', '.join(sorted(known)) or '(none)'}"
        )
    if params.get("engine", "duckdb") not in ("duckdb", "spark"):
        raise ParameterError(f"engine: unknown engine {params['engine']!r}; "
                             "expected duckdb or spark")
    lang = params.get("lang", "en")
    if lang not in LANGUAGES:
        raise ParameterError(f"lang: unknown language {lang!r}; available: {', '.join(LANGUAGES)}")
    for name, value in params.items():
        if (name.endswith(PATH_SUFFIXES) and not name.startswith("out")
                and name not in CREATED_PATHS and value):
            if not Path(value).expanduser().exists():
                raise ParameterError(f"{name}: data path not found: {value}")
    if params.get("column_mapping"):
        _check_mapping(params)
    return {nb: {k: v for k, v in params.items() if k in declared[nb]} for nb in notebooks}


def _check_mapping(params: dict) -> None:
    from crmwb import io

    mapping = params["column_mapping"]
    if not isinstance(mapping, dict):
        raise ParameterError(
            f"column_mapping: expected a mapping of source column -> canonical column, "
            f"found {type(mapping).__name__}"
        )
    source = params.get("transactions_path")
    if not source and params.get("data_dir"):
        source = io.find_table_file(params["data_dir"], "transactions")
    if not source:
        raise ParameterError("column_mapping is given but no transactions file to apply it to "
                             "(set transactions_path or data_dir)")
    try:
        io.apply_mapping(io.engine.open_table(source), mapping, "transactions", str(source))
    except ValueError as e:
        raise ParameterError(f"column_mapping: {e}") from None


def _write_atomic(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


#: the font of the reports, shipped with matplotlib (DejaVu Sans has the Persian glyphs), so
#: that pages show Persian offline; copied into ``fonts/`` of the reports folder
FONTS = ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf")


def copy_fonts(out_dir: Path) -> Path:
    """Put the reports' font files in ``out_dir/fonts`` (from matplotlib's own fonts)."""
    target = Path(out_dir) / "fonts"
    target.mkdir(parents=True, exist_ok=True)
    source = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    for name in FONTS:
        if not (target / name).exists():
            shutil.copyfile(source / name, target / name)
    return target


def page_style(lang: str) -> str:
    """The CSS a report page of ``lang`` adds: the offline font, and right-to-left
    direction and alignment for Persian."""
    css = """
@font-face { font-family: "crmwb DejaVu Sans"; src: url("fonts/DejaVuSans.ttf"); }
@font-face { font-family: "crmwb DejaVu Sans"; font-weight: bold;
             src: url("fonts/DejaVuSans-Bold.ttf"); }
body, .jp-RenderedHTMLCommon, .jp-RenderedText pre {
  font-family: "crmwb DejaVu Sans", "DejaVu Sans", sans-serif; }
"""
    if i18n.direction(lang) == "rtl":
        css += """
body, .jp-Cell, .jp-RenderedHTMLCommon, .jp-RenderedText { direction: rtl; text-align: right; }
.jp-RenderedHTMLCommon table, .jp-RenderedHTMLCommon th, .jp-RenderedHTMLCommon td {
  text-align: right; }
.jp-RenderedHTMLCommon table { margin-left: auto; margin-right: 0; }
.jp-RenderedText pre { text-align: right; unicode-bidi: plaintext; }
code, .jp-InputArea { direction: ltr; text-align: left; }
"""
    return css


def localize_page(page: str, lang: str) -> str:
    """An HTML page set to ``lang``: its ``lang`` and ``dir`` attributes and :func:`page_style`."""
    attrs = f'lang="{lang}" dir="{i18n.direction(lang)}"'
    page, n = re.subn(r"<html[^>]*>", f"<html {attrs}>", page, count=1)
    if not n:
        page = f"<html {attrs}>" + page
    # no icon: a browser would otherwise ask the server for /favicon.ico and log a 404
    return page.replace("</head>", f'<link rel="icon" href="data:,">\n'
                        f"<style>{page_style(lang)}</style>\n</head>", 1)


def export_html(notebook: Path, target: Path, show_code: bool = False,
                lang: str = "en") -> Path:
    """Render an executed notebook to HTML in ``lang``: only that language's prose cells
    (:func:`crmwb.i18n.keep_language`), the page's direction and font; code cells are
    hidden unless ``show_code``."""
    nb = i18n.keep_language(nbformat.read(notebook, as_version=4), lang)
    exporter = HTMLExporter(
        template_name="lab",
        extra_template_paths=[str(Path(__file__).parent / "templates")],
        template_file="report.html.j2",
        language_code=lang,
        exclude_input=not show_code,
        exclude_input_prompt=not show_code,
        exclude_output_prompt=not show_code,
    )
    body, _ = exporter.from_notebook_node(nb)
    copy_fonts(target.parent)
    _write_atomic(target, localize_page(body, lang))
    return target


def _failure(err: Exception, executed: Path) -> tuple[str, int | None]:
    """Describe a failure: the cell as numbered in the source notebook (1-based)."""
    if not isinstance(err, PapermillExecutionError):
        return f"{type(err).__name__}: {err}", None
    cell = err.cell_index + 1
    try:
        cells = nbformat.read(executed, as_version=4).cells[: err.cell_index]
        cell -= sum("injected-parameters" in c.metadata.get("tags", []) for c in cells)
    except Exception:  # the executed notebook is unreadable: keep papermill's index
        pass
    evalue = str(err.evalue).strip().splitlines()
    source = next((line for line in str(err.source).splitlines() if line.strip()), "")
    return (f"cell {cell} (`{source.strip()[:60]}`) raised {err.ename}: "
            f"{evalue[0] if evalue else ''}"), cell


def run_notebooks(
    params: dict | None = None,
    out_dir: str | Path | None = None,
    only: Iterable[str] | None = None,
    show_code: bool = False,
    notebooks_dir: str | Path | None = None,
    log: Callable[[str], None] = print,
) -> list[NotebookResult]:
    """Execute the notebooks in order and write their reports.

    Parameters
    ----------
    params : dict, optional
        Parameter values (see :func:`load_params`); each notebook receives
        those it declares.
    out_dir : str or Path, optional
        Reports folder; ``reports/`` in the project.
    only : list of str, optional
        Run only these notebooks (``00``, ``overview`` or ``00_overview``).
    show_code : bool
        Keep code cells in the HTML reports.
    notebooks_dir : str or Path, optional
        Where the notebooks are; ``notebooks/`` in the project.
    log : callable
        Receives progress lines.

    Returns
    -------
    list of NotebookResult
        One per notebook, in run order; ``index.html`` is written too.

    Raises
    ------
    ParameterError
        Before any notebook starts, when the parameters are refused.
    """
    params = dict(params or {})
    out_dir = Path(out_dir) if out_dir else config.REPORTS_DIR
    notebooks = select_notebooks(discover_notebooks(notebooks_dir), only)
    if not notebooks:
        raise ParameterError(f"no notebooks to run in {notebooks_dir or config.NOTEBOOKS_DIR}")
    per_notebook = check_params(params, notebooks)
    out_dir.mkdir(parents=True, exist_ok=True)
    lang = params.get("lang", "en")
    results = []
    for i, nb in enumerate(notebooks, 1):
        name = nb.stem
        nb_params = per_notebook[nb]
        out_nb = out_dir / f"{name}.ipynb"
        log(f"[{i}/{len(notebooks)}] {name} ...")
        started = time.perf_counter()
        error, cell, status = None, None, "ok"
        try:
            # the other languages' cells are left out before the notebook runs
            source = i18n.keep_language(nbformat.read(nb, as_version=4), lang)
            papermill.execute_notebook(
                source, str(out_nb), parameters=nb_params, kernel_name="python3",
                progress_bar=False, cwd=str(nb.parent),
            )
        except Exception as err:  # a failing notebook must not stop the run
            error, cell = _failure(err, out_nb)
            status = "failed"
        seconds = time.perf_counter() - started
        html_path = None
        if out_nb.exists():
            try:
                html_path = export_html(out_nb, out_dir / f"{name}.html", show_code, lang)
            except Exception as err:
                status, error = "failed", error or f"HTML export failed: {err}"
        result = NotebookResult(name, status, seconds, nb_params, out_nb if out_nb.exists()
                                else None, html_path, error, cell)
        results.append(result)
        if status == "ok":
            log(f"    ok ({seconds:.1f} s)")
        else:
            log(f"    FAILED ({seconds:.1f} s): {name}.ipynb {error}")
    write_index(results, out_dir, lang)
    failed = [r for r in results if r.status != "ok"]
    if failed:
        log(f"{len(failed)} of {len(results)} notebook(s) failed:")
        for r in failed:
            kept = f"; partly executed notebook kept at {r.notebook}" if r.notebook else ""
            log(f"  {r.name}.ipynb: {r.error}{kept}")
    else:
        log(f"all {len(results)} notebook(s) ran; reports in {out_dir}")
    return results


def write_index(results: list[NotebookResult], out_dir: Path, lang: str = "en") -> Path:
    """Write ``index.html``: each report with its status, run time and parameters."""
    t = glossary(lang)
    rows = []
    for r in results:
        link = (f'<a href="{html.escape(r.html.name)}">{html.escape(r.name)}</a>'
                if r.html else html.escape(r.name))
        nb_link = (f' (<a href="{html.escape(r.notebook.name)}">ipynb</a>)'
                   if r.notebook else "")
        status = t("ok") if r.status == "ok" else f"{t('failed')}: {html.escape(r.error or '')}"
        params = html.escape(json.dumps(r.parameters, ensure_ascii=False, sort_keys=True))
        rows.append(
            f"<tr class='{r.status}'><td>{link}{nb_link}</td><td>{status}</td>"
            f"<td>{r.seconds:.1f} s</td><td><code>{params}</code></td></tr>"
        )
    shots = "".join(
        f'<figure><a href="{html.escape(p.name)}"><img src="{html.escape(p.name)}" '
        f'alt="{html.escape(p.stem)}" width="480"></a><figcaption>{html.escape(p.stem)}'
        "</figcaption></figure>" for p in sorted(Path(out_dir).glob("screenshot_*.png")))
    page = f"""<!DOCTYPE html>
<html lang="{lang}" dir="{i18n.direction(lang)}"><head><meta charset="utf-8">
<title>{t('report_index_title')}</title>
<link rel="icon" href="data:,">
<style>{page_style(lang)}
body {{ margin: 2em; }}
table {{ border-collapse: collapse; }}
td, th {{ border: 1px solid #ccc; padding: 0.3em 0.6em; text-align: start; }}
td code {{ direction: ltr; unicode-bidi: isolate; }}
tr.failed td {{ background: #fdd; }}
.screenshots figure {{ display: inline-block; margin: 1em; }}
</style></head><body>
<h1>{t('report_index_title')}</h1>
<p>{dt.datetime.now().strftime('%Y-%m-%d %H:%M')}</p>
<table><tr><th>{t('report')}</th><th>{t('status')}</th><th>{t('run_time')}</th>
<th>{t('parameters')}</th></tr>
{chr(10).join(rows)}
</table>
<div class="screenshots">{shots}</div>
</body></html>
"""
    target = out_dir / "index.html"
    copy_fonts(out_dir)
    _write_atomic(target, page)
    return target
