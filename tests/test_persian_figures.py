"""Nothing English in a Persian figure: every plot a notebook draws, read for Latin words.

Each notebook's code runs here in-process with ``lang: fa`` (the figures it draws are those
of its report), and every call of a :mod:`crmwb.plots` function is checked: its title, axis
labels, tick labels, legend and any other text. A Latin word passes only when it is data the
call was given and the glossary does not translate (a product code, a city, a product's
name), or the notation of the field (RFM, NPS, ROC-AUC, k).
"""

import inspect
import re

import matplotlib
import matplotlib.pyplot as plt
import nbformat
import numpy as np
import pandas as pd
import pytest
from conftest import latin_words, report_words

from crmwb import config, i18n, plots
from crmwb.glossary import LABELS

matplotlib.use("Agg")

NOTEBOOKS = sorted(config.NOTEBOOKS_DIR.glob("*.ipynb"))
PUBLIC = {name: f for name, f in inspect.getmembers(plots, inspect.isfunction)
          if not name.startswith("_") and f.__module__ == plots.__name__}
#: the reports' English words: translated even where data hold them (not the shop's own)
ENGLISH = report_words()


def _data_strings(values) -> set[str]:
    """The text a plot call was given as data (cells and index labels), not column names,
    less what the glossary translates: only that may be shown as it is."""
    found: set[str] = set()

    def add(v):
        if isinstance(v, str):
            found.add(v)
            for end in (i for i, c in enumerate(v) if c == "_"):  # a one-hot level of a
                if v[:end] in LABELS["en"]:                       # labelled column: region_Yazd
                    found.add(v[end + 1:])
        elif isinstance(v, (list, tuple, set, frozenset)):
            for x in v:
                add(x)

    def walk(obj, depth=0):
        if depth > 3:
            return
        if isinstance(obj, pd.DataFrame):
            for col in obj.columns:
                if obj[col].dtype == object or isinstance(obj[col].dtype, pd.CategoricalDtype
                                                         | pd.StringDtype):
                    for v in obj[col].dropna().unique()[:5000]:
                        add(v)
            for v in obj.index:
                add(v)
            if not isinstance(obj.columns, pd.RangeIndex):
                for v in obj.columns:  # series named by their data (a rule, a product)
                    add(v)
        elif isinstance(obj, pd.Series):
            walk(obj.to_frame(), depth + 1)
        elif isinstance(obj, dict):
            for k, v in obj.items():
                add(k)
                walk(v, depth + 1)
        elif isinstance(obj, (list, tuple)):
            for v in obj:
                add(v) if isinstance(v, str) else walk(v, depth + 1)
        elif hasattr(obj, "__dict__") and not isinstance(obj, (np.ndarray, type)):
            for v in vars(obj).values():  # a fitted model's data (series names)
                walk(v, depth + 1)

    walk(list(values))
    return {s for s in found if s not in ENGLISH}


def _figure(result):
    if isinstance(result, matplotlib.figure.Figure):
        return result
    if isinstance(result, matplotlib.axes.Axes):
        return result.figure
    if isinstance(result, np.ndarray) and result.size and hasattr(result.flat[0], "figure"):
        return result.flat[0].figure
    return getattr(result, "figure", None) or plt.gcf()


def _texts(fig) -> list[str]:
    fig.canvas.draw()
    return [t.get_text() for t in fig.findobj(matplotlib.text.Text)
            if t.get_visible() and t.get_text().strip()]


def _code_cells(path):
    nb = i18n.keep_language(nbformat.read(path, as_version=4), "fa")
    return [c for c in nb.cells if c.cell_type == "code"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_every_figure_of_a_persian_report_has_no_english_word(path, monkeypatch, tmp_path):
    drawn, problems = [], []

    def checked(name, f):
        def call(*args, **kwargs):
            result = f(*args, **kwargs)
            data = _data_strings([*args, *kwargs.values()])
            fig = _figure(result)
            drawn.append(name)
            problems.extend(f"{name}: {w}" for w in latin_words(_texts(fig), data))
            return result
        return call

    for name, f in PUBLIC.items():
        monkeypatch.setattr(plots, name, checked(name, f))
    monkeypatch.setenv("CRMWB_REPORTS_DIR", str(tmp_path))
    monkeypatch.setitem(i18n.READER, "calendar", None)
    namespace = {"__name__": "__main__", "display": lambda *a, **k: None}
    cells = _code_cells(path)
    try:
        exec(compile(cells[0].source, f"{path.name}[parameters]", "exec"), namespace)
        namespace.update(lang="fa", persian_digits=True)
        for k, cell in enumerate(cells[1:], 1):
            exec(compile(cell.source, f"{path.name}[{k}]", "exec"), namespace)
            plt.close("all")
    finally:
        i18n.READER.update(lang="en", persian_digits=False, calendar=None)
        plt.close("all")
    if path.stem != "00_overview" or drawn:
        assert drawn, f"{path.name} drew no figure through crmwb.plots"
    assert problems == [], "\n".join(problems)


def test_the_notebooks_draw_every_plot_function():
    import json

    called = set()
    for path in NOTEBOOKS:
        for cell in json.loads(path.read_text())["cells"]:
            called |= set(re.findall(r"plots\.(\w+)\(", "".join(cell["source"])))
    # retention_value_curve is drawn by crmwb.whatif for notebook 03
    assert set(PUBLIC) - called <= {"retention_value_curve"}


def test_the_latin_word_check_catches_english_and_passes_data():
    assert latin_words(["درآمد (پوند، log scale)"], set()) == [
        "log (in 'درآمد (پوند، log scale)')", "scale (in 'درآمد (پوند، log scale)')"]
    assert latin_words(["85123A + WHITE HEART", "RFM", "ROC-AUC", "k", "customer_table.csv",
                        "ali@example.com"], {"85123A", "WHITE HEART"}) == []
    shown = _data_strings([pd.DataFrame({"day": ["Mon"]})])
    assert latin_words(["Mon"], shown) == ["Mon (in 'Mon')"]
