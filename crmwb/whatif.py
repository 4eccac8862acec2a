"""What-if explorers: sliders a teacher moves in JupyterLab, a static default in the reports.

:func:`explore` takes a function from a few numbers (retention, margin, the offer's cost...)
to a table and a figure, and the sliders that set those numbers. In a live notebook it shows
the sliders with the table and figure they give, redrawn as a slider moves (ipywidgets). The
same output also carries the default state as plain HTML, the table through the display
layer and the figure as a picture: that is what an HTML report shows (the report template
renders a widget as that HTML, and loads no widget JavaScript from anywhere), and what a
reader without a live kernel sees.

The three explorers of the notebooks are functions here, so that they are tested:
:func:`retention_economics` (notebook 03), :func:`pyramid_cutoffs` (02) and
:func:`retention_offer` (04).
"""

from __future__ import annotations

import base64
import html
import io as bytes_io
from collections.abc import Callable
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from crmwb import display, i18n
from crmwb.glossary import LABELS

#: the MIME type of a widget's view (JupyterLab renders it; the reports show the HTML beside)
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


@dataclass(frozen=True)
class Slider:
    """A number the reader moves: a glossary key (its label, and the argument it sets),
    the default, the range and the step; ``kind`` says how its value reads."""

    key: str
    value: float
    low: float
    high: float
    step: float
    kind: str = "share"


def _png(fig) -> str:
    buffer = bytes_io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode()


def static_html(table: pd.DataFrame, fig, sliders: list[Slider], lang: str,
                persian_digits: bool) -> str:
    """The default state as a page shows it: the settings, the table, the figure."""
    settings = " · ".join(
        f"{html.escape(LABELS[lang].get(s.key, s.key))}: "
        f"{html.escape(display.formatter(s.kind, lang, persian_digits)(s.value))}"
        for s in sliders)
    picture = (f'<img src="data:image/png;base64,{_png(fig)}" alt="" '
               'style="max-width: 100%">' if fig is not None else "")
    return (f"<div class='crmwb-whatif'><p class='crmwb-whatif-settings'>{settings}</p>"
            f"{display.html(table, lang, persian_digits)}{picture}</div>")


def _live() -> bool:
    """Whether a kernel with a frontend's comms is running this (a notebook, not a script)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


class WhatIf:
    """An explorer's output: the sliders and their result in a live notebook, the default
    state as HTML everywhere else (see the module)."""

    def __init__(self, compute: Callable, sliders: list[Slider], lang: str,
                 persian_digits: bool):
        self.compute, self.sliders = compute, list(sliders)
        self.lang, self.persian_digits = lang, persian_digits
        table, fig = compute(**{s.key: s.value for s in self.sliders})
        self.default_table = table
        # the widget starts from the same table and figure (drawn once)
        self.widget = self._widget(table, fig) if _live() else None
        self.html = static_html(table, fig, self.sliders, lang, persian_digits)

    def _widget(self, table, fig):
        import ipywidgets as widgets
        from IPython.display import display as show

        sliders = {s.key: widgets.FloatSlider(
            value=s.value, min=s.low, max=s.high, step=s.step,
            description=LABELS[self.lang].get(s.key, s.key), continuous_update=False,
            readout_format=".0%" if s.kind == "share" else ",.2f",
            style={"description_width": "16em"}, layout=widgets.Layout(width="36em"))
            for s in self.sliders}
        out = widgets.Output()

        def redraw(change=None, table=None, fig=None):
            if table is None:
                table, fig = self.compute(**{k: w.value for k, w in sliders.items()})
            with out:
                out.clear_output(wait=True)
                show(display.styled(table, self.lang, self.persian_digits))
                if fig is not None:
                    show(fig)
                    plt.close(fig)

        for w in sliders.values():
            w.observe(redraw, names="value")
        redraw(table=table, fig=fig)
        return widgets.VBox([*sliders.values(), out])

    def _repr_mimebundle_(self, include=None, exclude=None):
        bundle = {"text/html": self.html,
                  "text/plain": self.default_table.to_string(max_rows=10)}
        if self.widget is not None:
            bundle[WIDGET_VIEW] = {"version_major": 2, "version_minor": 0,
                                   "model_id": self.widget.model_id}
        return bundle


def explore(compute: Callable, sliders: list[Slider], lang: str | None = None,
            persian_digits: bool | None = None) -> WhatIf:
    """An explorer of ``compute(**values) -> (table, figure)`` over ``sliders``; in the
    reader's language as :func:`crmwb.i18n.use_language` set it."""
    return WhatIf(compute, sliders, i18n.READER["lang"] if lang is None else lang,
                  i18n.READER["persian_digits"] if persian_digits is None
                  else persian_digits)


# --- the notebooks' explorers ------------------------------------------------------------

def retention_economics(revenue: pd.Series, retention: float, margin: float = 0.30,
                        discount_rate: float = 0.10, rise: float = 0.05,
                        lang: str | None = None) -> WhatIf:
    """Retention, margin and discount rate against the retention formula's total CLV, and
    what ``rise`` points more retention would add (CONCEPTS: +5 points of retention).

    ``revenue`` is each customer's revenue over a year (a loss year counts as nothing);
    ``margin`` turns it into profit.
    """
    from crmwb import clv, plots

    revenue = pd.Series(revenue, dtype=float).clip(lower=0)

    def compute(retention_rate, margin, annual_discount_rate, retention_rise):
        table = clv.retention_what_if(revenue * margin, retention_rate, annual_discount_rate,
                                      retention_rise)
        rates = np.linspace(0.30, 0.95, 27)
        totals = [float(np.sum(clv.retention_clv(revenue.to_numpy() * margin, r,
                                                 annual_discount_rate))) for r in rates]
        ax = plots.retention_value_curve(pd.Series(totals, index=rates), retention_rate,
                                         lang=lang or i18n.READER["lang"])
        return table, ax.figure

    return explore(compute, [
        Slider("retention_rate", float(retention), 0.30, 0.95, 0.01),
        Slider("margin", float(margin), 0.05, 0.60, 0.01),
        Slider("annual_discount_rate", float(discount_rate), 0.0, 0.30, 0.01),
        Slider("retention_rise", float(rise), 0.0, 0.15, 0.01)], lang)


def retention_offer(risk: pd.Series, value: pd.Series, offer_cost: float = 5.0,
                    incentive_cost: float = 5.0, acceptance_rate: float = 0.3,
                    saved_share: float = 1.0, stayer_acceptance: float = 1.0,
                    lang: str | None = None) -> WhatIf:
    """The retention offer's costs and acceptance against whom to contact and the profit
    (:func:`crmwb.churn.profit_curve`)."""
    from crmwb import churn, plots

    def compute(offer_cost, incentive_cost, acceptance_rate):
        curve = churn.profit_curve(risk, value, offer_cost, acceptance_rate, saved_share,
                                   incentive_cost=incentive_cost,
                                   stayer_acceptance=stayer_acceptance)
        table = pd.DataFrame({"customers_contacted": [int(curve.attrs["best_k"])],
                              "customers": [len(curve)],
                              "expected_profit": [float(curve.attrs["best_profit"])]})
        ax = plots.profit_curve(curve, lang=lang or i18n.READER["lang"])
        return table, ax.figure

    return explore(compute, [
        Slider("offer_cost", float(offer_cost), 0.0, 50.0, 0.5, "money"),
        Slider("incentive_cost", float(incentive_cost), 0.0, 50.0, 0.5, "money"),
        Slider("acceptance_rate", float(acceptance_rate), 0.0, 1.0, 0.01)], lang)


def pyramid_cutoffs(lines, as_of=None, cutoffs: tuple = (0.01, 0.05, 0.20),
                    lang: str | None = None, **options) -> WhatIf:
    """The customer pyramid's cut-offs (cumulative shares closing the top, big and medium
    levels) against the levels' customers and revenue (:func:`crmwb.pyramid.customer_pyramid`,
    computed again from the lines at each move: under a second on the bundled shop)."""
    from crmwb import plots, pyramid

    def compute(top_cutoff, big_cutoff, medium_cutoff):
        cuts = sorted((top_cutoff, big_cutoff, medium_cutoff))
        levels = pyramid.customer_pyramid(lines, as_of, cutoffs=tuple(cuts), **options).levels
        ax = plots.pyramid(levels, lang=lang or i18n.READER["lang"])
        return levels, ax.figure

    top, big, medium = cutoffs
    return explore(compute, [
        Slider("top_cutoff", float(top), 0.005, 0.10, 0.005),
        Slider("big_cutoff", float(big), 0.02, 0.30, 0.01),
        Slider("medium_cutoff", float(medium), 0.10, 0.60, 0.01)], lang)
