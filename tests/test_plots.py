"""The figures of crmwb.plots: one style for all, and labels that never run into each other."""

import inspect
import itertools

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from crmwb import i18n, plots

matplotlib.use("Agg")

#: the style's palette (Okabe and Ito), as matplotlib writes colours
OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#000000",
             "#F0E442"]

LONG_CAUSES = {
    "people": ["untrained new staff in the busiest season", "rude answers on the phone",
               "no one owns a complaint from start to end", "staff turnover every summer",
               "slow repairs", "long waits on the phone", "shift handovers lose notes",
               "no incentive to solve a problem the first time"],
    "process": ["returns need three signatures", "refunds wait for the month's end",
                "no service-level target for e-mail", "orders re-keyed by hand",
                "complaints logged in two systems", "no follow-up call",
                "escalation path unclear", "the same form asked twice"],
    "product": ["faulty batches", "fragile packaging on long routes", "missing parts",
                "manuals only in English", "sizes that differ from the chart",
                "colour unlike the photo", "short battery life", "wrong labels"],
    "place": ["one warehouse for the whole country", "couriers late in the north",
              "no pick-up points in small towns", "store opening hours too short",
              "no parking at the main branch", "queues at the till on Fridays",
              "website slow in the evening", "app logs customers out"],
    "price": ["prices differ between shop and website", "hidden delivery charges",
              "discount codes that fail at checkout", "invoices with wrong totals",
              "refund smaller than the price paid", "no price match", "card fees",
              "instalments not explained"],
    "promotion": ["adverts promise what stock lacks", "too many text messages",
                  "offers sent to lost customers", "loyalty points expire unseen",
                  "newsletter in the wrong language", "coupon for a closed store",
                  "campaign ends before delivery", "no opt-out link"],
}


def _boxes(fig):
    """The window extents of every non-empty text drawn in ``fig`` (titles included)."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    texts = [t for t in fig.findobj(matplotlib.text.Text)
             if t.get_visible() and t.get_text().strip() and t.axes is not None
             and t.get_figure() is fig]
    return [(t.get_text(), t.get_window_extent(renderer)) for t in texts]


def _overlapping(boxes, slack: float = 0.5):
    """Pairs of texts whose boxes overlap by more than ``slack`` pixels."""
    found = []
    for (a, box_a), (b, box_b) in itertools.combinations(boxes, 2):
        dx = min(box_a.x1, box_b.x1) - max(box_a.x0, box_b.x0)
        dy = min(box_a.y1, box_b.y1) - max(box_a.y0, box_b.y0)
        if dx > slack and dy > slack:
            found.append((a, b))
    return found


@pytest.mark.parametrize("lang", ["en", "fa"])
@pytest.mark.parametrize("majors", [6, 5, 1])
def test_ishikawa_with_eight_long_causes_a_branch_has_no_label_over_another(lang, majors):
    causes = dict(itertools.islice(LONG_CAUSES.items(), majors))
    counts = {major: 10 * i for i, major in enumerate(causes)}
    ax = plots.ishikawa(causes, counts, effect="complaints about the service", lang=lang)
    fig = ax.figure
    boxes = _boxes(fig)
    assert len(boxes) == majors * 9 + 2  # causes, majors, the effect and the title
    assert _overlapping(boxes) == []
    page = fig.bbox
    outside = [text for text, box in boxes
               if box.x0 < page.x0 - 1 or box.x1 > page.x1 + 1
               or box.y0 < page.y0 - 1 or box.y1 > page.y1 + 1]
    assert outside == []
    # each cause is read at its bone: its label ends just left of the bone it belongs to
    plt.close(fig)


def test_ishikawa_cause_labels_keep_a_readable_size_on_long_lists():
    ax = plots.ishikawa(LONG_CAUSES)
    sizes = {t.get_fontsize() for t in ax.texts}
    assert min(sizes) >= 8
    plt.close(ax.figure)


def test_every_plot_function_draws_in_the_shipped_style():
    assert plots.STYLE.is_file() and plots.STYLE.suffix == ".mplstyle"
    public = [f for name, f in inspect.getmembers(plots, inspect.isfunction)
              if not name.startswith("_") and f.__module__ == plots.__name__]
    assert len(public) >= 40
    assert [f.__name__ for f in public if not getattr(f, "styled", False)] == []


def _line_colours(ax):
    return [matplotlib.colors.to_hex(line.get_color()).upper() for line in ax.get_lines()]


def test_a_figure_takes_the_style_even_when_the_notebook_made_the_axes_itself():
    months = pd.date_range("2024-01-01", periods=6, freq="MS")
    table = pd.DataFrame({"month": months, "revenue": np.arange(6) * 1000.0})
    with plt.style.context("classic"):  # axes made in some other style
        _, given = plt.subplots()
    for ax in (plots.monthly_revenue(table), plots.monthly_revenue(table, ax=given)):
        assert not ax.spines["top"].get_visible() and not ax.spines["right"].get_visible()
        assert ax.spines["left"].get_visible() and ax.spines["bottom"].get_visible()
        assert ax.get_title() and ax.get_ylabel().endswith(")")  # the unit in brackets
        plt.close(ax.figure)
    ax = plots.monthly_revenue(table)
    assert _line_colours(ax) == OKABE_ITO[:1]
    assert ax.title.get_fontsize() >= 12 and ax.xaxis.label.get_fontsize() >= 10
    plt.close(ax.figure)


class _Curve:
    """A stand-in for a fitted sBG model: a geometric survival curve."""

    def __init__(self, churn):
        self.churn = churn

    def survival(self, t):
        return (1 - self.churn) ** np.asarray(t, dtype=float)


def test_several_series_take_the_colour_blind_safe_palette_in_order():
    models = {"monthly": _Curve(0.1), "one year": _Curve(0.05), "two year": _Curve(0.02)}
    ax = plots.retention_curves(models, periods=12)
    assert _line_colours(ax) == OKABE_ITO[:3]
    plt.close(ax.figure)


def test_a_right_hand_axis_keeps_its_own_spine():
    table = pd.DataFrame({"count": [5, 3, 1], "cumulative_share": [0.5, 0.8, 1.0],
                          "vital_few": [True, True, False]},
                         index=["delivery", "quality", "price"])
    ax = plots.pareto(table)
    left, right = ax.figure.get_axes()
    assert not left.spines["right"].get_visible() and left.spines["left"].get_visible()
    assert right.spines["right"].get_visible() and not right.spines["left"].get_visible()
    assert not right.spines["top"].get_visible()
    plt.close(ax.figure)


def test_a_notebook_that_chose_its_language_draws_its_own_figures_in_the_style():
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    before = dict(plt.rcParams)
    try:
        i18n.use_language("en", ipython=shell)
        _, ax = plt.subplots()
        assert not ax.spines["top"].get_visible()
        assert plt.rcParams["axes.prop_cycle"].by_key()["color"][:2] == OKABE_ITO[:2]
        plt.close(ax.figure)
    finally:
        plt.rcParams.update(before)


def test_every_figure_of_a_notebook_is_shown_not_only_the_first(tmp_path):
    # a plot drawn in the style used to restore every setting afterwards, matplotlib's
    # interactive flag too, which the inline backend turns on only when the first figure
    # is made: every figure after the first was drawn but never shown in the reports
    import nbformat
    from nbclient import NotebookClient

    cells = ["import numpy as np, pandas as pd\nfrom crmwb import i18n, plots\n"
             "i18n.use_language('en')",
             *["plots.clv_distribution(pd.Series(np.arange(1.0, 200.0)), 'en');"] * 2,
             "import matplotlib.pyplot as plt\nfig, ax = plt.subplots()\nax.plot([1, 2]);",
             "plots.retention_curves({'monthly': plots_curve}, periods=6);"]
    cells.insert(1, "class Curve:\n    def survival(self, t):\n        import numpy as np\n"
                    "        return 0.9 ** np.asarray(t, dtype=float)\nplots_curve = Curve()")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    NotebookClient(nb, timeout=120, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    images = [sum("image/png" in o.get("data", {}) for o in c.outputs) for c in nb.cells]
    assert images == [0, 0, 1, 1, 1, 1]
