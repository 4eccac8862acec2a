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
    """Product lines of the real purchases, under master ids: the generator's dirt removed
    by crmwb.cleaning (which tests/test_cleaning.py checks against the planted truth)."""
    from crmwb import cleaning, engine, identity, io

    cw = identity.crosswalk(crm_data.customers)
    result = cleaning.clean_transactions(io.read_transactions(crm_data.transactions),
                                         crosswalk=cw)
    lines = engine.to_pandas(result.lines).drop(columns="outlier")
    return lines[lines["customer_id"].notna()].reset_index(drop=True)


def shared_dataset(*parts: str) -> Path:
    """A file in ../shared/datasets, or skip the test with the reason."""
    path = config.SHARED_DATASETS_DIR.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"real dataset not available: {path} (../shared/datasets is absent)")
    return path


def frame(**cols) -> pd.DataFrame:
    return pd.DataFrame(cols)
