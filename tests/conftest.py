from pathlib import Path

import pandas as pd
import pytest

from crmwb import config
from crmwb.datasets import make_crm_data


@pytest.fixture(scope="session")
def crm_data():
    """A small synthetic data set (shared: tests must not modify it)."""
    return make_crm_data(1500, seed=7)


@pytest.fixture(scope="session")
def clean_lines(crm_data):
    """Product lines of real purchases: the generator's dirt removed by hand."""
    tx = crm_data.transactions.drop_duplicates()
    cancelled = tx[tx["invoice_id"].str.startswith("C")]
    key = ["customer_id", "product_id", "unit_price"]
    # each cancellation matches one earlier line of the same customer, product and price
    matched = cancelled.assign(quantity=-cancelled["quantity"])[key + ["quantity"]]
    tx = tx[~tx["invoice_id"].str.startswith("C")]
    tx = tx.merge(matched.assign(_cancel=True), on=key + ["quantity"], how="left")
    tx = tx[tx["_cancel"].isna()].drop(columns="_cancel")
    tx = tx[tx["customer_id"].notna() & (tx["unit_price"] > 0)]
    tx = tx[tx["category"].notna()]
    return tx.reset_index(drop=True)


def shared_dataset(*parts: str) -> Path:
    """A file in ../shared/datasets, or skip the test with the reason."""
    path = config.SHARED_DATASETS_DIR.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"real dataset not available: {path} (../shared/datasets is absent)")
    return path


def frame(**cols) -> pd.DataFrame:
    return pd.DataFrame(cols)
