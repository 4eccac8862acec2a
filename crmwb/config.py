"""Paths used across the workbench, computed from the package's own location.

Nothing here depends on the working directory: papermill runs kernels in the
caller's directory and nbval in the notebook's folder, so every path is derived
from ``crmwb/__file__``.
"""

from __future__ import annotations

import os
from pathlib import Path

#: The project root: the folder that holds ``crmwb/``, ``notebooks/`` and ``data/``.
PROJECT_ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"
DATA_DIR = PROJECT_ROOT / "data"
#: Where reports go, and the exports notebooks write beside them unless told otherwise:
#: the project's reports/, or in a kernel of ``crmwb run --out DIR``, DIR (the runner tells
#: its kernels through this variable).
REPORTS_VARIABLE = "CRMWB_REPORTS_DIR"
REPORTS_DIR = Path(os.environ.get(REPORTS_VARIABLE) or PROJECT_ROOT / "reports")
#: The default synthetic data set written by ``make data``.
DEFAULT_DATA_DIR = DATA_DIR / "default"
#: Real public datasets for tests and benchmarks; absent on some machines.
SHARED_DATASETS_DIR = Path(
    os.environ.get("CRMWB_SHARED_DATASETS", PROJECT_ROOT.parent / "shared" / "datasets")
)

#: Settings of the default data set: about 5,000 customers over two years.
DEFAULT_N_CUSTOMERS = 5000
DEFAULT_START = "2024-01-01"
DEFAULT_END = "2025-12-31"
DEFAULT_SEED = 42


def shown_path(path: str | Path, base: str | Path | None = None) -> str:
    """A file as a report names it, never by the machine's folders: relative to
    ``base`` (the reports folder, the project's by default) when inside it or beside
    it in the same project (``../data/churn/contact_list.csv``), else by its name.

    >>> shown_path(REPORTS_DIR / "customer_table.csv")
    'customer_table.csv'
    >>> shown_path(DATA_DIR / "churn" / "contact_list.csv", PROJECT_ROOT / "reports")
    '../data/churn/contact_list.csv'
    >>> shown_path("/srv/exports/customer_table.csv")
    'customer_table.csv'
    """
    path = Path(path).resolve()
    base = Path(base or REPORTS_DIR).resolve()
    if path.is_relative_to(base) or path.is_relative_to(base.parent):
        return Path(os.path.relpath(path, base)).as_posix()
    return path.name


def console_path(path: str | Path) -> str:
    """A path as the command line prints it: relative to the working folder when inside it
    (``data/prepared/default``), else as given."""
    try:
        return Path(path).resolve().relative_to(Path.cwd().resolve()).as_posix()
    except (ValueError, OSError):
        return str(path)
