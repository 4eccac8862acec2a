"""Data sets: the synthetic shop with planted truth, and the default data on disk."""

from __future__ import annotations

from pathlib import Path

from crmwb import config
from crmwb.datasets.exports import STYLES, read_back, write_messy_export
from crmwb.datasets.synthetic import (
    CRMData,
    make_crm_data,
    simulate_summaries,
    write_large_crm_data,
)

__all__ = ["STYLES", "CRMData", "ensure_default_data", "make_crm_data", "simulate_summaries",
           "read_back", "write_large_crm_data", "write_messy_export"]


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

    Raises
    ------
    FileExistsError
        When the folder exists without the default tables: it may hold someone's own
        files, which are never replaced.
    """
    data_dir = Path(data_dir) if data_dir is not None else config.DEFAULT_DATA_DIR
    if (data_dir / "transactions.parquet").exists():
        return data_dir
    if data_dir.exists():
        raise FileExistsError(
            f"{data_dir} exists but holds no transactions.parquet: it is left as it is. Point "
            "data_dir at your own data, or move that folder away to have the default data "
            "written there"
        )
    data = make_crm_data(
        config.DEFAULT_N_CUSTOMERS, config.DEFAULT_START, config.DEFAULT_END,
        config.DEFAULT_SEED,
    )
    data.write(data_dir)
    return data_dir
