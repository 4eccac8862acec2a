"""Warnings shown to the reader of a report as short notes, not hidden and not as tracebacks.

A warning that matters to an analysis (a model that did not converge, a
Gamma-Gamma assumption that does not hold) must reach the reader of the report;
but a notebook's raw warnings are stderr blocks with file paths and line
numbers, written for developers. :func:`warnings_as_notes` shows each distinct
warning once, as a line of the cell's output in the reader's language.
"""

from __future__ import annotations

import sys
import warnings

#: warning categories the reader is told about, with the glossary label of their kind
KINDS = {"CLVWarning": "note_kind_clv", "ConvergenceWarning": "note_kind_convergence"}


class Notes(list):
    """The notes shown so far: ``(kind, message)`` pairs, in order."""


def warnings_as_notes(t, categories=(UserWarning, RuntimeWarning), stream=None) -> Notes:
    """Show every distinct warning of ``categories`` once, as a short note in the output.

    Parameters
    ----------
    t : crmwb.glossary.Glossary
        The reader's language.
    categories : tuple of Warning classes
        What the reader is told about; other warnings (a library's deprecation
        notices) keep Python's default handling.
    stream : file, optional
        Where notes are written (standard output by default: a report shows it).

    Returns
    -------
    Notes
        Filled as warnings are shown.

    Examples
    --------
    >>> import io
    >>> from crmwb.glossary import glossary
    >>> out = io.StringIO()
    >>> with warnings.catch_warnings():
    ...     notes = warnings_as_notes(glossary("en"), stream=out)
    ...     for _ in range(3):
    ...         warnings.warn("the optimiser stopped\\nat step 7", UserWarning)
    >>> print(out.getvalue().strip())
    Note (warning): the optimiser stopped
    >>> len(notes)
    1
    """
    notes = Notes()
    shown_before = warnings.showwarning

    def show(message, category, filename, lineno, file=None, line=None):
        if not issubclass(category, tuple(categories)):
            return shown_before(message, category, filename, lineno, file, line)
        text = " ".join(str(message).split("\n")[0].split())
        if len(text) > 200:
            text = text[:197] + "..."
        kind = t(KINDS.get(category.__name__, "note_kind_other"))
        if (kind, text) in notes:
            return None
        notes.append((kind, text))
        print(t.say("note_warning", kind=kind, message=text), file=stream or sys.stdout)
        return None

    warnings.showwarning = show
    for category in categories:
        warnings.simplefilter("always", category)  # each shown; repeats dropped above
    return notes
