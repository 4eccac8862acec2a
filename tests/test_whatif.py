"""What-if explorers: sliders in a live notebook, their default state in the reports."""

import re

import matplotlib
import matplotlib.pyplot as plt
import nbformat
import numpy as np
import pandas as pd
import pytest

from crmwb import churn, clv, report, whatif

matplotlib.use("Agg")


@pytest.fixture
def customers():
    rng = np.random.default_rng(3)
    index = pd.Index([f"C{i}" for i in range(400)], name="customer_id")
    return (pd.Series(rng.uniform(0, 1, 400), index=index),
            pd.Series(rng.gamma(2.0, 80.0, 400), index=index))


def test_the_offer_explorer_starts_where_the_notebook_is_and_moves_as_the_economics_say(
        customers):
    risk, value = customers
    plt.close("all")
    explorer = whatif.retention_offer(risk, value, 5.0, 5.0, 0.3, lang="en")
    curve = churn.profit_curve(risk, value, 5.0, 0.3, incentive_cost=5.0)
    table = explorer.default_table
    assert table.loc[0, "customers_contacted"] == curve.attrs["best_k"]
    assert table.loc[0, "expected_profit"] == pytest.approx(curve.attrs["best_profit"])
    # a dearer contact reaches fewer customers; a more persuasive offer earns more
    dear, _ = explorer.compute(offer_cost=40.0, incentive_cost=5.0, acceptance_rate=0.3)
    keen, _ = explorer.compute(offer_cost=5.0, incentive_cost=5.0, acceptance_rate=0.6)
    assert dear.loc[0, "customers_contacted"] < table.loc[0, "customers_contacted"]
    assert keen.loc[0, "expected_profit"] > table.loc[0, "expected_profit"]
    plt.close("all")
    # outside a notebook: the default state as a page shows it, and no open figure left
    assert explorer.widget is None
    bundle = explorer._repr_mimebundle_()
    assert whatif.WIDGET_VIEW not in bundle
    page = bundle["text/html"]
    assert "Cost of contacting a customer: 5.00" in page and "Would-be churners" in page
    assert re.search(r'<img src="data:image/png;base64,[A-Za-z0-9+/=]{1000,}"', page)
    assert f"{curve.attrs['best_k']:,}" in page and plt.get_fignums() == []


def test_the_retention_explorer_is_the_retention_formula_on_revenue_times_margin():
    revenue = pd.Series([100.0, 50.0, 10.0, -5.0])  # a negative year counts as nothing
    explorer = whatif.retention_economics(revenue, retention=0.6, margin=0.5,
                                          discount_rate=0.1, rise=0.05, lang="fa")
    expected = clv.retention_what_if(pd.Series([50.0, 25.0, 5.0, 0.0]), 0.6, 0.1, 0.05)
    pd.testing.assert_frame_equal(explorer.default_table, expected)
    assert "نرخ تنزیل سالانه" in explorer.html and "60.0%" in explorer.html


def test_in_a_notebook_it_is_a_widget_and_the_report_shows_its_default_state(tmp_path):
    cells = ["import numpy as np, pandas as pd\nfrom crmwb import i18n, whatif\n"
             "i18n.use_language('en')\nrng = np.random.default_rng(3)\n"
             "risk, value = pd.Series(rng.uniform(0, 1, 300)), pd.Series(rng.gamma(2, 80, 300))",
             "whatif.retention_offer(risk, value, 5.0, 5.0, 0.3)"]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    from nbclient import NotebookClient

    NotebookClient(nb, timeout=120, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = nb.cells[1].outputs
    # one output: the widget, with its default state beside it; no stray figure
    assert len(outputs) == 1, [list(o.get("data", {})) for o in outputs]
    assert {whatif.WIDGET_VIEW, "text/html"} <= set(outputs[0]["data"])
    path = tmp_path / "whatif.ipynb"
    nbformat.write(nb, path)
    page = report.export_html(path, tmp_path / "whatif.html").read_text()
    assert "Cost of contacting a customer" in page and "data:image/png;base64," in page
    assert not re.search(r"unpkg|jsdelivr|embed-amd|widget-state\+json", page)
