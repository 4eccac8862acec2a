"""Warnings reach the reader as short notes in their language, never silenced or raw."""

import io
import json
import warnings

import pytest
from sklearn.exceptions import ConvergenceWarning

from crmwb import clv, config
from crmwb.glossary import glossary
from crmwb.notes import warnings_as_notes


def test_model_warnings_become_one_short_note_each_in_the_readers_language():
    out = io.StringIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # what a notebook did before: the notes must win
        notes = warnings_as_notes(glossary("fa"), stream=out)
        for _ in range(2):
            warnings.warn("Gamma-Gamma: frequency and spend are correlated (r = 0.52)",
                          clv.CLVWarning, stacklevel=1)
        warnings.warn("lbfgs failed to converge after 100 iterations.\n\nIncrease the number "
                      "of iterations", ConvergenceWarning, stacklevel=1)
        warnings.warn("a library will change", DeprecationWarning, stacklevel=1)  # not the reader's
    lines = out.getvalue().splitlines()
    # the library's English message is isolated in the Persian sentence (FSI ... PDI)
    assert lines == ["یادداشت (مدل ارزش طول عمر): \u2068Gamma-Gamma: frequency and spend are "
                     "correlated (r = 0.52)\u2069",
                     "یادداشت (برازش مدل): \u2068lbfgs failed to converge after 100 "
                     "iterations.\u2069"]
    assert len(notes) == 2


@pytest.mark.parametrize("name", ["04_churn.ipynb", "07_customer_360.ipynb"])
def test_notebooks_show_warnings_instead_of_hiding_them(name):
    nb = json.loads((config.NOTEBOOKS_DIR / name).read_text(encoding="utf-8"))
    code = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
    assert "warnings_as_notes(t)" in code
    assert 'category=UserWarning' not in code and 'simplefilter("ignore")' not in code
