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

import ast
import contextlib
import copy
import datetime as dt
import html
import json
import math
import multiprocessing
import os
import re
import shutil
import sys
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib
import nbformat
import papermill
import yaml
from nbconvert import HTMLExporter
from papermill.exceptions import PapermillExecutionError

from crmwb import calendars, config, headlines, i18n, io, privacy
from crmwb.glossary import LANGUAGES, glossary

#: Parameter names whose value is a path that must exist when given (outputs,
#: named ``out...``, and the folders in CREATED_PATHS excepted).
PATH_SUFFIXES = ("_dir", "_path", "_file")
#: Path parameters of folders a notebook creates when missing.
CREATED_PATHS = ("duckdb_temp_dir",)


#: Settings of the run itself, taken from the parameters file and passed to no notebook:
#: name -> (type, default, meaning)
RUNNER_PARAMETERS = {
    "solutions": (bool, False, "keep the exercises' solutions (cells tagged solution) in the "
                               "reports; left out by default, so that reports can be handed "
                               "to students"),
}


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
    #: the report's title (its notebook's first heading in the reader's language), the
    #: headline figures it showed (:mod:`crmwb.headlines`) and its first figure, small
    title: str | None = None
    headlines: list = field(default_factory=list)
    thumbnail: Path | None = None


class _PlainLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that builds only plain data: text, numbers, booleans, null,
    dates (as ISO text), lists and maps. Every other tag (``!!pairs``, ``!!omap``,
    ``!!set``, ``!!binary``, ``!python/...``) is refused."""


def _refuse_tag(loader, node):
    raise yaml.constructor.ConstructorError(
        None, None, f"the tag {node.tag} is not allowed in a parameters file (only text, "
        "numbers, true/false, null, lists and maps)", node.start_mark)


for _tag in ("tag:yaml.org,2002:pairs", "tag:yaml.org,2002:omap", "tag:yaml.org,2002:set",
             "tag:yaml.org,2002:binary"):
    _PlainLoader.add_constructor(_tag, _refuse_tag)
_PlainLoader.add_constructor(None, _refuse_tag)


def load_params(path: str | Path | None) -> dict:
    """Read a parameters file as plain data; ``{}`` when ``path`` is None.

    Only text, numbers, booleans, null, lists and maps with text keys are
    accepted (:func:`plain_value`); dates become ISO text. Relative paths
    (parameters named ``*_dir``, ``*_path``, ``*_file`` or ``out_*``) are
    resolved against the parameters file's folder, so the file means the same
    wherever it is run from.

    Raises
    ------
    ParameterError
        Naming the file, the key and what was found.
    """
    if path is None:
        return {}
    path = Path(path)
    if not path.exists():
        raise ParameterError(f"parameters file not found: {path}")
    with path.open(encoding="utf-8") as f:
        try:
            params = yaml.load(f, Loader=_PlainLoader)  # noqa: S506 - a SafeLoader subclass
        except yaml.YAMLError as e:
            raise ParameterError(f"{path}: not a valid parameters file: {e}") from None
    if params is None:
        return {}
    if not isinstance(params, dict):
        raise ParameterError(
            f"{path}: expected a mapping of parameter names to values, found "
            f"{type(params).__name__}"
        )
    out = {}
    for key, value in params.items():
        if not isinstance(key, str):
            raise ParameterError(f"{path}: parameter names are text; found {key!r}")
        try:
            out[key] = plain_value(value, key)
        except ParameterError as e:
            raise ParameterError(f"{path}: {e}") from None
    return resolve_paths(out, path.resolve().parent)


def plain_value(value, key: str = "value"):
    """``value`` if it is plain data (recursively), dates as ISO text; else ParameterError.

    Plain data is what a notebook may receive: text, whole and finite decimal
    numbers, booleans, null, lists and maps whose keys are text. The value
    papermill writes into the notebook is checked to read back as the same
    literal, so a parameter can never become code.

    >>> plain_value({"spark.executor.memory": "8g", "n": [1, 2.5, None]})
    {'spark.executor.memory': '8g', 'n': [1, 2.5, None]}
    >>> plain_value(("a", "b"), "spark_config")
    Traceback (most recent call last):
    ...
    crmwb.report.ParameterError: spark_config: expected text, a number, true/false, null, \
a list or a map; found tuple
    """
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if value is None or isinstance(value, str | bool | int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ParameterError(f"{key}: expected a finite number; found {value}")
        return value
    if isinstance(value, list):
        return [plain_value(v, f"{key}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if not isinstance(k, str):
                raise ParameterError(f"{key}: map keys must be text; found {k!r} "
                                     f"({type(k).__name__})")
            out[k] = plain_value(v, f"{key}.{k}")
        return out
    raise ParameterError(f"{key}: expected text, a number, true/false, null, a list or a "
                         f"map; found {type(value).__name__}")


def _is_path_parameter(name: str) -> bool:
    return name.endswith(PATH_SUFFIXES) or name.startswith("out_") or name == "prepared"


def _is_output(name: str) -> bool:
    """An output parameter: ``out_...`` (``out_dir``, ``out_table_dir``, ``out_contact_list``);
    not ``outlier_threshold``."""
    return name.startswith("out_")


def resolve_paths(params: dict, base: str | Path) -> dict:
    """``params`` with relative path parameters made absolute against ``base``.

    Path parameters are those named ``*_dir``, ``*_path``, ``*_file``,
    ``out_*`` and ``prepared``; empty values stay empty and ``~`` is expanded.

    >>> resolve_paths({"data_dir": "shop", "lang": "en", "out_dir": ""}, "/home/ana")
    {'data_dir': '/home/ana/shop', 'lang': 'en', 'out_dir': ''}
    """
    out = dict(params)
    for name, value in params.items():
        if _is_path_parameter(name) and isinstance(value, str) and value:
            path = Path(value).expanduser()
            out[name] = str(path if path.is_absolute() else Path(base) / path)
    return out


#: Python types a declared parameter type accepts (papermill's ``inferred_type_name``)
_DECLARED = {"str": (str,), "int": (int,), "float": (int, float), "bool": (bool,),
             "dict": (dict,), "list": (list,)}


def _check_declared(name: str, value, declared: dict):
    """``value`` converted to the type the notebook declares for ``name``, or refused."""
    kind = declared.get("inferred_type_name", "None")
    if kind not in _DECLARED or value is None:
        return value
    if kind == "str" and isinstance(value, int) and not isinstance(value, bool):
        return str(value)  # a code or an id written without quotes: 98, 12345
    ok = isinstance(value, _DECLARED[kind]) and not (
        kind in ("int", "float") and isinstance(value, bool))
    if not ok:
        raise ParameterError(f"{name}: expected {kind} (as the notebook declares it, default "
                             f"{declared.get('default')}); found {type(value).__name__} "
                             f"{value!r}")
    return float(value) if kind == "float" else value


def _injected_literal(name: str, value) -> None:
    """Check that papermill writes ``value`` as a literal that reads back as ``value``."""
    from papermill.translators import PythonTranslator

    source = PythonTranslator.translate(value)
    try:
        back = ast.literal_eval(source)
    except (ValueError, SyntaxError):
        back = object()
    if back != value:
        raise ParameterError(f"{name}: this value would not reach the notebook as written")


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


def check_params(params: dict, notebooks: list[Path], out_dir: str | Path | None = None,
                 base: str | Path | None = None) -> dict[Path, dict]:
    """Refuse bad parameters; return the parameters each notebook receives.

    Every value must be plain data (:func:`plain_value`) of the type the
    notebooks declare for it; relative paths still left are resolved against
    ``base`` (the launch folder, by default the working directory).

    Raises
    ------
    ParameterError
        Unknown names, values that are not plain data or not of the declared
        type, missing data paths, an output folder among the inputs, a bad
        column mapping or language.
    """
    from crmwb import prepared

    declared = {nb: notebook_parameters(nb) for nb in notebooks}
    # one parameters file serves the whole workbench: a key that any notebook of the folder
    # or the preparation takes is accepted, whichever notebooks are selected
    params = {k: v for k, v in params.items() if k not in RUNNER_PARAMETERS}
    everyone = set(prepared.PARAMETERS) | set(RUNNER_PARAMETERS)
    for nb in discover_notebooks(notebooks[0].parent) if notebooks else []:
        everyone |= set(declared[nb] if nb in declared else notebook_parameters(nb))
    unknown = sorted(set(params) - everyone)
    if unknown:
        raise ParameterError(
            f"unknown parameter(s) {unknown}; the notebooks and the preparation take: "
            f"{', '.join(sorted(everyone)) or '(none)'}"
        )
    params = resolve_paths({k: plain_value(v, k) for k, v in params.items()},
                           base if base is not None else Path.cwd())
    for name in list(params):
        if name in prepared.PARAMETERS:
            p = prepared.PARAMETERS[name]
            params[name] = _check_declared(name, params[name], {
                "inferred_type_name": p.kind, "default": p.default})
        for nb in notebooks:
            if name in declared[nb]:
                params[name] = _check_declared(name, params[name], declared[nb][name])
        _injected_literal(name, params[name])
    if params.get("engine", "duckdb") not in ("duckdb", "spark"):
        raise ParameterError(f"engine: unknown engine {params['engine']!r}; "
                             "expected duckdb or spark")
    lang = params.get("lang", "en")
    if lang not in LANGUAGES:
        raise ParameterError(f"lang: unknown language {lang!r}; available: {', '.join(LANGUAGES)}")
    if params.get("calendar") and params["calendar"] not in calendars.CALENDARS:
        raise ParameterError(f"calendar: unknown calendar {params['calendar']!r}; expected "
                             f"{' or '.join(calendars.CALENDARS)} (empty: jalali for lang fa, "
                             "else gregorian)")
    inputs = {}
    for name, value in params.items():
        if name == "prepared" and value and any(k in params for k in prepared.DATA_PARAMETERS):
            continue  # prepared from the sources given, into this folder
        if (_is_path_parameter(name) and not _is_output(name)
                and name not in CREATED_PATHS and value):
            if not Path(value).exists():
                raise ParameterError(f"{name}: data path not found: {value}")
            inputs[name] = value
    outputs = {k: v for k, v in params.items() if _is_output(k) and v}
    if out_dir is not None:
        outputs["--out"] = str(out_dir)
    for name, target in outputs.items():
        for source_name, source in inputs.items():
            try:
                io.check_output_folder(target, [source], name)
            except io.OutputError as e:
                raise ParameterError(f"{e} ({source_name})") from None
    if params.get("column_mapping"):
        _check_mapping(params)
    per_notebook = {nb: {k: v for k, v in params.items() if k in declared[nb]}
                    for nb in notebooks}
    per_notebook[PREPARATION] = {k: v for k, v in params.items()
                                 if k in prepared.PARAMETERS or k == "prepared"}
    return per_notebook


#: The key of :func:`check_params`' result holding the preparation's parameters.
PREPARATION = Path("crmwb prepare")


def prepare_for_run(params: dict, log: Callable[[str], None] = print) -> Path:
    """The prepared dataset the notebooks of a run open, prepared first when needed.

    ``params`` are the run's (checked) parameters. With ``prepared`` alone, that
    folder is used as it is; with sources (``data_dir``, ``transactions_path``
    and how to read and clean them) or none at all, the prepared dataset for
    them (in ``prepared`` when given, else ``data/prepared/NAME``) is reused
    when its manifest matches and prepared again otherwise, saying which.

    Raises
    ------
    ParameterError
        When ``prepared`` is not a prepared dataset, or the sources cannot be
        prepared (the reader's message names the file, the column and the
        parameter that fixes it).
    """
    from crmwb import prepared

    folder = params.get("prepared") or None
    source = {k: v for k, v in params.items() if k in prepared.PARAMETERS}
    try:
        if folder and not any(k in params for k in prepared.DATA_PARAMETERS):
            prepared.read_manifest(folder)
            log(f"using the prepared data in {config.console_path(folder)}")
            prepared.record_engine(folder, source)
            return Path(folder)
        path, _ = prepared.ensure(source, folder, log=log)
        return path
    except (ValueError, OSError) as e:
        raise ParameterError(f"preparation failed: {e}") from None


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


def without_exercises(notebook):
    """A copy of a notebook without its exercises (cells tagged ``exercise`` or
    ``solution``): they check a result against the truth planted in a shop crmwb
    generated, and on an analyst's own export there is none (a UK wholesaler's report asked
    how busy the shop is before Nowruz)."""
    from crmwb.exercises import EXERCISE, SOLUTION

    nb = copy.deepcopy(notebook)
    nb.cells = [c for c in nb.cells
                if not {EXERCISE, SOLUTION} & set(c.get("metadata", {}).get("tags", []))]
    return nb


def has_planted_truth(folder: str | Path | None) -> bool:
    """Whether the prepared data in ``folder`` come from a shop crmwb generated, with its
    planted truth (:func:`crmwb.truth.folder`): only there do the exercises have an answer."""
    from types import SimpleNamespace

    from crmwb import prepared, truth

    if folder is None:
        return True
    try:
        manifest = prepared.read_manifest(folder)
    except (OSError, ValueError):
        return False
    return truth.folder(SimpleNamespace(manifest=manifest)) is not None


def without_solutions(notebook):
    """A copy of a notebook without its exercises' solutions (cells tagged ``solution``,
    :mod:`crmwb.exercises`): the questions and their checks stay."""
    from crmwb.exercises import SOLUTION

    nb = copy.deepcopy(notebook)
    nb.cells = [c for c in nb.cells if SOLUTION not in c.get("metadata", {}).get("tags", [])]
    return nb


#: the exception a lesson stops with when its data cannot carry it (:mod:`crmwb.needs`)
MISSING_DATA = "MissingData"


def _stream(text: str) -> dict:
    return nbformat.v4.new_output("stream", name="stdout", text=text + "\n")


def without_tracebacks(notebook):
    """The notebook as a report shows it: papermill's banner about an exception removed,
    and each error output written as one line (what failed, and where the full traceback
    is kept: the executed ``.ipynb``), never as a traceback. A lesson that stopped because
    its data cannot carry it (:class:`crmwb.needs.MissingData`) shows its sentence alone,
    and the cells after it, which did not run, are left out."""
    nb = copy.deepcopy(notebook)
    nb.cells = [c for c in nb.cells
                if "papermill-error-cell-tag" not in c.get("metadata", {}).get("tags", [])]
    for index, cell in enumerate(nb.cells):
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        if not errors:
            continue
        error = errors[0]
        kept = [o for o in cell.outputs if o.get("output_type") != "error"]
        if error.get("ename") == MISSING_DATA:
            cell.outputs = [*kept, _stream(str(error.get("evalue", "")))]
            nb.cells = nb.cells[:index + 1]
            break
        first = (str(error.get("evalue", "")).strip().splitlines() or [""])[0]
        cell.outputs = [*kept, _stream(f"{error.get('ename', 'Error')}: {first}")]
    return nb


def runner_settings(params: dict) -> dict:
    """The run's own settings (:data:`RUNNER_PARAMETERS`) from the parameters, checked."""
    out = {}
    for name, (kind, default, _) in RUNNER_PARAMETERS.items():
        value = params.get(name, default)
        if value is None:
            value = default
        if not isinstance(value, kind):
            raise ParameterError(f"{name}: expected {kind.__name__} (true or false), got "
                                 f"{value!r}")
        out[name] = value
    return out


def export_html(notebook: Path, target: Path, show_code: bool = False,
                lang: str = "en") -> Path:
    """Render an executed notebook to HTML in ``lang``: only that language's prose cells
    (:func:`crmwb.i18n.keep_language`), the page's direction and font; code cells are
    hidden unless ``show_code``."""
    nb = i18n.keep_language(nbformat.read(notebook, as_version=4), lang)
    nb.metadata.pop("widgets", None)  # a live kernel's widget state: nothing a page can use
    nb = without_tracebacks(nb)
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
    io.write_text(target, localize_page(body, lang))
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
    source = _failing_statement(err)
    return (f"cell {cell} (`{source.strip()[:60]}`) raised {err.ename}: "
            f"{evalue[0] if evalue else ''}"), cell


_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _failing_statement(err: PapermillExecutionError) -> str:
    """The line of the cell that raised, as IPython's traceback names it ("Cell In[7],
    line 12"), not the cell's first line (Spark's failure in notebook 08 was put on its
    ``import pandas as pd``); the first line when the traceback does not say."""
    lines = str(err.source).splitlines()
    for frame in err.traceback or []:
        found = re.search(r"Cell In\[\d+\], line (\d+)", _ANSI.sub("", str(frame)))
        if found and 1 <= int(found.group(1)) <= len(lines) \
                and lines[int(found.group(1)) - 1].strip():
            return lines[int(found.group(1)) - 1]
    return next((line for line in lines if line.strip()), "")


def default_jobs() -> int:
    """Notebooks run at a time by default: the number of cores, at most 4."""
    return max(1, min(os.cpu_count() or 1, 4))


#: What one notebook's kernel holds, estimated from the prepared data: a base, pandas'
#: customer-level frames per million customers (measured: 3.3 GB at a million beside
#: DuckDB's 3 GB), and the engine's working memory (its limit, or ~1 GB per 10M lines).
KERNEL_BASE_BYTES = 0.5 * 2**30
KERNEL_BYTES_PER_CUSTOMER = 3.5 * 2**30 / 1e6
ENGINE_BYTES_PER_LINE = 2**30 / 1e7
#: Share of the machine's memory that notebooks side by side may take together: the rest
#: is the operating system's, whose file cache DuckDB reads Parquet through.
MEMORY_SHARE = 0.5


def _memory_bytes() -> int | None:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # not a POSIX system
        return None


def _size_bytes(text) -> float | None:
    """``"3GB"``, ``"500MiB"`` ... as bytes; None when empty or unreadable."""
    m = re.fullmatch(r"\s*([\d.]+)\s*([kmgt]?)i?b?\s*", str(text or ""), re.I)
    if not m:
        return None
    return float(m[1]) * 1024 ** "bkmgt".index((m[2] or "b").lower())


def kernel_bytes(folder: str | Path) -> float:
    """The memory one notebook is expected to hold on the prepared dataset at ``folder``
    (see :data:`KERNEL_BYTES_PER_CUSTOMER`); the base alone when its size is unknown."""
    from crmwb import prepared

    try:
        manifest = prepared.read_manifest(folder)
    except (OSError, ValueError):
        return KERNEL_BASE_BYTES
    rows = manifest.get("rows", {})
    customers = rows.get("customers") or rows.get("customer_records") or 0
    lines = rows.get("lines", 0)
    engine_bytes = lines * ENGINE_BYTES_PER_LINE
    limit = _size_bytes(manifest.get("engine", {}).get("duckdb_memory_limit"))
    if limit:
        engine_bytes = min(engine_bytes, limit)
    return KERNEL_BASE_BYTES + customers * KERNEL_BYTES_PER_CUSTOMER + engine_bytes


def memory_jobs(folder: str | Path, jobs: int) -> int:
    """At most ``jobs``, and no more notebooks side by side than fit in
    :data:`MEMORY_SHARE` of the machine's memory on the prepared data at ``folder``."""
    memory = _memory_bytes()
    if not memory:
        return jobs
    return max(1, min(jobs, int(MEMORY_SHARE * memory // kernel_bytes(folder))))


#: Environment variables that size the thread pools of OpenMP and BLAS (scikit-learn's
#: gradient boosting, k-means, numpy): kernels running side by side share the cores.
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")

#: the kernel logs only errors to the console: not its start-up notices, nor the
#: warning that its local TCP sockets are unencrypted (printed for every notebook);
#: errors inside a notebook reach the run's result and the report, not this log
#: (and not the "KeyboardInterrupt caught" it logs as an error when it is shut down)
KERNEL_ARGUMENTS = ["--IPKernelApp.log_level=CRITICAL"]


shown_path = config.shown_path  # a file as a report names it


def run_notebook(nb: Path, nb_params: dict, out_dir: Path, show_code: bool = False,
                 lang: str = "en", threads: int | None = None, solutions: bool = False,
                 exercises: bool = True) -> NotebookResult:
    """Execute one notebook with papermill and export its HTML report.

    A failure is caught and described (which cell, what error); the partly
    executed notebook is kept. Runs in a worker process under ``--jobs``, where
    ``threads`` caps the kernel's OpenMP and BLAS threads (unless the caller's
    environment sets them): OpenMP pools that together ask for more threads than
    there are cores wait on each other, and two gradient-boosting kernels on two
    cores were measured 35 times slower than one. The exercises' solutions are left out
    unless ``solutions`` (:func:`without_solutions`); the exercises themselves unless
    ``exercises`` (data with planted truth: :func:`has_planted_truth`).
    """
    if threads:
        for variable in THREAD_VARIABLES:
            os.environ.setdefault(variable, str(threads))
    name = nb.stem
    out_nb = out_dir / f"{name}.ipynb"
    started = time.perf_counter()
    error, cell, status = None, None, "ok"
    try:
        # the other languages' cells are left out before the notebook runs
        source = i18n.keep_language(nbformat.read(nb, as_version=4), lang)
        if not solutions:  # before the run: an answer is never computed into a report
            source = without_solutions(source)
        if not exercises:  # data without planted truth: the exercises have no answer
            source = without_exercises(source)
        papermill.execute_notebook(
            source, str(out_nb), parameters=nb_params, kernel_name="python3",
            progress_bar=False, cwd=str(nb.parent), extra_arguments=KERNEL_ARGUMENTS,
        )
    except PapermillExecutionError as err:  # a failing notebook must not stop the run
        if err.ename == MISSING_DATA:  # the lesson said its data cannot carry it: skipped
            error, status = str(err.evalue).strip(), "skipped"
        else:
            error, cell = _failure(err, out_nb)
            status = "failed"
    except Exception as err:  # noqa: BLE001 - nor any other failure
        error, cell = _failure(err, out_nb)
        status = "failed"
    seconds = time.perf_counter() - started
    html_path, title, figures, thumb = None, None, [], None
    if out_nb.exists():
        try:
            html_path = export_html(out_nb, out_dir / f"{name}.html", show_code, lang)
        except Exception as err:
            status, error = "failed", error or f"HTML export failed: {err}"
        try:  # the index's summary: a notebook that cannot give it still has its report
            executed = nbformat.read(out_nb, as_version=4)
            title = _title(executed, lang)
            figures = headlines.read(executed)
            thumb = thumbnail(executed, out_dir / "thumbnails" / f"{name}.png")
        except Exception:  # noqa: BLE001
            pass
    return NotebookResult(name, status, seconds, nb_params, out_nb if out_nb.exists()
                          else None, html_path, error, cell, title, figures, thumb)


def _title(nb, lang: str) -> str | None:
    """A notebook's title: its first heading of the reader's language, without the ``#``."""
    for cell in i18n.keep_language(nb, lang).cells:
        if cell.cell_type == "markdown":
            match = re.match(r"\s*#\s+(.+)", cell.source)
            if match:
                return match.group(1).strip()
    return None


def thumbnail(nb, target: Path, width: int = 360) -> Path | None:
    """The notebook's first figure, ``width`` pixels wide, written to ``target`` (none
    when it drew none)."""
    import base64
    import io as bytes_io

    from PIL import Image

    for cell in nb.cells:
        for output in cell.get("outputs", []):
            png = output.get("data", {}).get("image/png")
            if not png:
                continue
            image = Image.open(bytes_io.BytesIO(base64.b64decode(png)))
            image.thumbnail((width, width * 4))
            target.parent.mkdir(parents=True, exist_ok=True)
            image.convert("RGB").save(target, optimize=True)
            return target
    return None


def run_notebooks(
    params: dict | None = None,
    out_dir: str | Path | None = None,
    only: Iterable[str] | None = None,
    show_code: bool = False,
    notebooks_dir: str | Path | None = None,
    log: Callable[[str], None] = print,
    jobs: int | None = None,
) -> list[NotebookResult]:
    """Prepare the data once, then execute the notebooks and write their reports.

    Parameters
    ----------
    params : dict, optional
        Parameter values (see :func:`load_params`): one file for the whole
        workbench. Each notebook receives those it declares; the preparation
        those of :data:`crmwb.prepared.PARAMETERS`; the run itself those of
        :data:`RUNNER_PARAMETERS` (``solutions: true`` keeps the exercises' answers).
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
    jobs : int, optional
        Notebooks run at a time, each in its own kernel; :func:`default_jobs`
        when omitted. The index lists them in notebook order whatever order
        they finish in.

    Returns
    -------
    list of NotebookResult
        One per notebook, in notebook order; ``index.html`` is written too.

    Raises
    ------
    ParameterError
        Before any notebook starts, when the parameters are refused or the
        preparation fails.
    """
    params = dict(params or {})
    out_dir = Path(out_dir).expanduser().resolve() if out_dir else config.REPORTS_DIR
    notebooks = select_notebooks(discover_notebooks(notebooks_dir), only)
    if not notebooks:
        raise ParameterError(f"no notebooks to run in {notebooks_dir or config.NOTEBOOKS_DIR}")
    settings = runner_settings(params)
    per_notebook = check_params(params, notebooks, out_dir=out_dir)
    preparation = per_notebook.pop(PREPARATION)
    # a customer named in the parameters reaches the notebooks, their code and the index
    # as a pseudonym when the reports are pseudonymised
    per_notebook = {nb: privacy.pseudonymous_parameters(p) for nb, p in per_notebook.items()}
    lang = params.get("lang", "en")
    folder = None
    if any("prepared" in notebook_parameters(nb) for nb in notebooks):
        started = time.perf_counter()
        folder = prepare_for_run(preparation, log)
        log(f"    prepared data ready ({time.perf_counter() - started:.1f} s)")
        for nb in notebooks:
            if "prepared" in notebook_parameters(nb):
                per_notebook[nb]["prepared"] = str(folder)
    out_dir.mkdir(parents=True, exist_ok=True)
    exercises = has_planted_truth(folder)  # the exercises check planted truth: none, none shown
    if not exercises:
        log("no planted truth in these data: the exercises are left out of the reports")
    if not jobs:
        jobs = default_jobs()
        if folder is not None:  # a large prepared dataset: fewer kernels side by side
            fitting = memory_jobs(folder, jobs)
            if fitting < jobs:
                log(f"running {fitting} notebook(s) at a time, not {jobs}: each may hold about "
                    f"{kernel_bytes(folder) / 2**30:.1f} GB on this data, and half of this "
                    f"machine's {_memory_bytes() / 2**30:.0f} GB fit {fitting} (--jobs sets it)")
                jobs = fitting
    jobs = max(1, min(jobs, len(notebooks)))
    results: dict[Path, NotebookResult] = {}
    last = _last_times(out_dir)
    run_started = time.perf_counter()

    def done(result: NotebookResult) -> None:
        elapsed = time.perf_counter() - run_started
        progress = f"{len(results)} of {len(notebooks)} done, {_duration(elapsed)} elapsed"
        rest = [nb for nb in notebooks if nb not in results]
        if rest:
            # the last run's time of each notebook left, else the mean of those done
            mean = sum(r.seconds for r in results.values()) / len(results)
            left = sum(last.get(nb.stem, mean) for nb in rest) / jobs
            progress += f", about {_duration(left)} left"
        if result.status == "ok":
            log(f"    {result.name} ok ({result.seconds:.1f} s); {progress}")
        elif result.status == "skipped":
            log(f"    {result.name} skipped ({result.seconds:.1f} s): {result.error}; {progress}")
        else:
            log(f"    {result.name} FAILED ({result.seconds:.1f} s): {result.name}.ipynb "
                f"{result.error}; {progress}")

    with _kernels_report_to(out_dir):
        if jobs == 1:
            for i, nb in enumerate(notebooks, 1):
                log(f"[{i}/{len(notebooks)}] {nb.stem} ...")
                results[nb] = run_notebook(nb, per_notebook[nb], out_dir, show_code, lang,
                                           solutions=settings["solutions"],
                                           exercises=exercises)
                done(results[nb])
        else:
            # the longest first (by the last run's times), so that no long one starts last
            order = sorted(notebooks, key=lambda nb: -last.get(nb.stem, 0.0))
            log(f"running {len(notebooks)} notebooks, {jobs} at a time: "
                f"{', '.join(nb.stem for nb in order)}")
            with ProcessPoolExecutor(max_workers=jobs, mp_context=_worker_context()) as pool:
                threads = max(1, (os.cpu_count() or 1) // jobs)
                futures = {pool.submit(_run_in_worker, dict(os.environ), os.getcwd(), nb,
                                       per_notebook[nb], out_dir, show_code, lang, threads,
                                       settings["solutions"], exercises): nb
                           for nb in order}
                for future in as_completed(futures):
                    nb = futures[future]
                    try:
                        results[nb] = future.result()
                    except Exception as err:  # the worker itself died
                        results[nb] = NotebookResult(nb.stem, "failed", 0.0, per_notebook[nb],
                                                     error=f"{type(err).__name__}: {err}")
                    done(results[nb])
    ordered = [results[nb] for nb in notebooks]
    _record_times(out_dir, ordered)
    write_index(ordered, out_dir, lang, bool(params.get("persian_digits", False)))
    failed = [r for r in ordered if r.status == "failed"]
    skipped = [r for r in ordered if r.status == "skipped"]
    if skipped:
        log(f"{len(skipped)} of {len(ordered)} notebook(s) skipped, their data cannot carry "
            "them:")
        for r in skipped:
            log(f"  {r.name}.ipynb: {r.error}")
    if failed:
        log(f"{len(failed)} of {len(ordered)} notebook(s) failed:")
        for r in failed:
            kept = (f"; partly executed notebook kept at {config.console_path(r.notebook)}"
                    if r.notebook else "")
            log(f"  {r.name}.ipynb: {r.error}{kept}")
    else:
        took = _duration(time.perf_counter() - run_started)
        ran = len(ordered) - len(skipped)
        log(f"{'all ' if not skipped else ''}{ran} notebook(s) ran in {took}; reports in "
            f"{config.console_path(out_dir)}")
    return ordered


@contextlib.contextmanager
def _kernels_report_to(out_dir: Path):
    """Kernels started here see the run's reports folder as ``config.REPORTS_DIR``, where
    notebooks write their exports unless told (07's customer table, 04's contact list) and
    which reports name files relative to; the runner's environment is put back after."""
    before = os.environ.get(config.REPORTS_VARIABLE)
    os.environ[config.REPORTS_VARIABLE] = str(out_dir)
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(config.REPORTS_VARIABLE, None)
        else:
            os.environ[config.REPORTS_VARIABLE] = before


def _worker_context():
    """How the runner starts the processes that run notebooks side by side.

    Never by forking the runner itself: it may hold threads (DuckDB's, Arrow's, a test
    runner's), and a child forked from a threaded process can crash at random (a
    segmentation fault seen in nbconvert's HTML export). On Linux a fork server, a fresh
    interpreter that imports papermill and nbconvert once, forks the workers (they start
    at once, without seconds of imports each); elsewhere each worker is a fresh interpreter.
    """
    if sys.platform == "linux":
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["crmwb.report", "papermill", "nbconvert"])
        return context
    return multiprocessing.get_context("spawn")


def _run_in_worker(environ: dict[str, str], cwd: str, *args) -> NotebookResult:
    """:func:`run_notebook` in a worker, with the runner's environment and folder as they
    are now (a fork server was started earlier, perhaps before a key was set)."""
    os.environ.clear()
    os.environ.update(environ)
    os.chdir(cwd)
    return run_notebook(*args)


#: Each notebook's run time in the last run, kept in the reports folder.
TIMES_FILE = ".crmwb-times.json"


def _duration(seconds: float) -> str:
    """``42 s``, ``3 min 05 s``."""
    seconds = round(seconds)
    return f"{seconds} s" if seconds < 60 else f"{seconds // 60} min {seconds % 60:02d} s"


def _last_times(out_dir: Path) -> dict[str, float]:
    try:
        times = json.loads((out_dir / TIMES_FILE).read_text(encoding="utf-8"))
        return {str(k): float(v) for k, v in times.items()}
    except (OSError, ValueError, AttributeError):
        return {}


def _record_times(out_dir: Path, results: list[NotebookResult]) -> None:
    times = {**_last_times(out_dir), **{r.name: round(r.seconds, 1) for r in results}}
    io.write_text(out_dir / TIMES_FILE, json.dumps(times, indent=1, sort_keys=True))


def write_index(results: list[NotebookResult], out_dir: Path, lang: str = "en",
                persian_digits: bool = False) -> Path:
    """Write ``index.html``: a card for each report with its title, status and run time,
    the headline figures it computed, a thumbnail of its first figure, and the parameters
    it ran with; in the reader's language."""
    t = glossary(lang, persian_digits)
    digits = i18n.to_persian_digits if persian_digits else str
    cards = []
    for r in results:
        title = html.escape(r.title or r.name)
        link = (f'<a href="{html.escape(r.html.name)}">{title}</a>' if r.html else title)
        nb_link = (f' · <a href="{html.escape(r.notebook.name)}" class="ipynb">'
                   f'<bdi>{html.escape(r.notebook.name)}</bdi></a>' if r.notebook else "")
        status = t("ok") if r.status == "ok" else \
            f"{t(r.status)}: {html.escape(r.error or '')}"
        took = digits(f"{r.seconds:.1f}")
        shown = privacy.pseudonymous_parameters(r.parameters, masked=True)
        shown = {k: shown_path(v, out_dir) if isinstance(v, str) and Path(v).is_absolute()
                 else v for k, v in shown.items()}
        params = html.escape(json.dumps(shown, ensure_ascii=False, sort_keys=True))
        # a column in reverse: the label, the figure, then its qualification
        figures = "".join(
            "<div>" + (f"<dt class='note'>{html.escape(headlines.note(h, lang))}</dt>"
                       if h.note else "")
            + f"<dd>{html.escape(headlines.written(h, lang, persian_digits))}</dd>"
            f"<dt>{html.escape(headlines.label(h.key, lang))}</dt></div>" for h in r.headlines)
        figures = f"<dl class='figures'>{figures}</dl>" if figures else ""
        picture = ""
        if r.thumbnail is not None and r.thumbnail.exists():
            src = html.escape(r.thumbnail.relative_to(out_dir).as_posix())
            img = f'<img src="{src}" alt="{title}" loading="lazy">'
            picture = (f'<a href="{html.escape(r.html.name)}" tabindex="-1">{img}</a>'
                       if r.html else img)
        cards.append(
            f"<section class='card {r.status}'><div class='picture'>{picture}</div>"
            f"<div class='text'><h2>{link}</h2>"
            f"<p class='status'>{status} · {t('run_time')} {took} {t('seconds_short')}"
            f"{nb_link}</p>{figures}"
            f"<details><summary>{t('parameters')}</summary><code>{params}</code></details>"
            "</div></section>")
    shots = "".join(
        f'<figure><a href="{html.escape(p.name)}"><img src="{html.escape(p.name)}" '
        f'alt="{html.escape(p.stem)}" width="480"></a><figcaption>{html.escape(p.stem)}'
        "</figcaption></figure>" for p in sorted(Path(out_dir).glob("screenshot_*.png")))
    when = dt.datetime.now()
    stamp = (i18n.jalali(when, "%Y/%m/%d %H:%M") if lang == "fa"
             else when.strftime("%Y-%m-%d %H:%M"))
    page = f"""<!DOCTYPE html>
<html lang="{lang}" dir="{i18n.direction(lang)}"><head><meta charset="utf-8">
<title>{t('report_index_title')}</title>
<link rel="icon" href="data:,">
<style>{page_style(lang)}
body {{ margin: 2em; max-width: 72em; }}
.card {{ display: flex; gap: 1.5em; align-items: flex-start; padding: 1em 0;
         border-bottom: 1px solid #ddd; }}
.card .picture {{ flex: 0 0 240px; }}
.card .picture img {{ width: 240px; border: 1px solid #eee; }}
.card h2 {{ margin: 0 0 0.2em; font-size: 1.3em; }}
.card.failed {{ background: #fdd; }}
.card.skipped {{ background: #f4f4f4; }}
.status {{ color: #555; margin: 0 0 0.6em; }}
.figures {{ display: flex; flex-wrap: wrap; gap: 0.8em 2em; margin: 0.4em 0 0.6em; }}
.figures div {{ display: flex; flex-direction: column-reverse; }}
.figures dd {{ margin: 0; font-size: 1.3em; font-weight: bold; unicode-bidi: isolate; }}
.figures dt {{ color: #555; font-size: 0.9em; }}
.figures dt.note {{ color: #a33; max-width: 20em; }}
details code {{ direction: ltr; unicode-bidi: isolate; font-size: 0.85em; }}
.screenshots figure {{ display: inline-block; margin: 1em; }}
</style></head><body>
<h1>{t('report_index_title')}</h1>
<p>{digits(stamp)}</p>
{chr(10).join(cards)}
<div class="screenshots">{shots}</div>
</body></html>
"""
    target = out_dir / "index.html"
    copy_fonts(out_dir)
    io.write_text(target, page)
    return target
