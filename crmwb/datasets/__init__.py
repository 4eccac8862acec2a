"""Data sets: the synthetic shop with planted truth, and the default data on disk."""

from __future__ import annotations

from pathlib import Path

from crmwb import config
from crmwb.datasets.synthetic import (
    CRMData,
    make_crm_data,
    simulate_summaries,
    write_large_crm_data,
)

__all__ = ["CRMData", "ensure_default_data", "make_crm_data", "simulate_summaries",
           "write_large_crm_data"]


def ensure_default_data(data_dir: str | Path | None = None) -> Path:
    """Write the default synthetic data set unless it is already there.

    Parameters
    ----------
    data_dir : str or Path, optional
        Where the default data lives; ``data/default`` in the project.

    Returns
    -------
    Path
        The folder holding the default tables.
    """
    data_dir = Path(data_dir) if data_dir is not None else config.DEFAULT_DATA_DIR
    if not (data_dir / "transactions.parquet").exists():
        data = make_crm_data(
            config.DEFAULT_N_CUSTOMERS, config.DEFAULT_START, config.DEFAULT_END,
            config.DEFAULT_SEED,
        )
        data.write(data_dir, overwrite=True)
    return data_dir
