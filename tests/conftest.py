import re
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


@pytest.fixture(scope="session")
def planted_shop():
    """A shop of 12,000 customers without seasons, for the CLV models' planted-truth checks
    (shared: tests must not modify it): the data and its cleaned lines."""
    from crmwb import cleaning, io

    data = make_crm_data(12000, seed=5, seasonal=False)
    ds = io.Dataset(source=None, transactions=io.read_transactions(data.transactions),
                    customers=data.customers)
    return data, cleaning.clean_dataset(ds).lines


def shared_dataset(*parts: str) -> Path:
    """A file in ../shared/datasets, or skip the test with the reason."""
    path = config.SHARED_DATASETS_DIR.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"real dataset not available: {path} (../shared/datasets is absent)")
    return path


def frame(**cols) -> pd.DataFrame:
    return pd.DataFrame(cols)


# --- Latin words in Persian pages and figures (issue 21) ----------------------------------------

#: notation the field writes in Latin letters in Persian too: acronyms (RFM, NPS, ROC-AUC,
#: BG/NBD), one-letter symbols (k, p, r), product and campaign codes (MLK-B, SPRING-2024)
NOTATION = re.compile(r"^(?:[A-Z][A-Z0-9]*(?:[-/][A-Z0-9]*)*|[a-zA-Z]|sBG|[A-Z]*BG/NBD"
                      r"|Pareto/NBD|Gamma-Gamma|k-means)$")
#: proper names: tools, file formats, code pages and public datasets the prose names
PROPER_NAMES = {"crmwb", "JupyterLab", "Jupyter", "Ibis", "DuckDB", "Spark", "mlxtend",
                "scikit-learn", "papermill", "lifetimes", "jdatetime", "Parquet", "Excel",
                "Windows", "UTF", "Latin", "Online", "Retail", "UCI", "Groceries", "CDNOW",
                "Telco", "IBM"}
#: text a sentence isolated (FSI ... PDI): a path, an id, a code, as written
_ISOLATED = re.compile("\u2068[^\u2069]*\u2069")
#: file names, e-mail addresses and web addresses: written as they are
_VERBATIM = re.compile(r"\S+@\S+|https?://\S+|[\w./\\-]+\.(?:ipynb|html|csv|parquet|xlsx|yaml|"
                       r"py|png|json)\b")
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z0-9/\-]*")


def latin_words(texts, data=frozenset()) -> list[str]:
    """Latin words of ``texts`` that are neither ``data`` (values the report was given, which
    it shows as they are), nor file names and addresses, nor the field's notation or a
    proper name: in a Persian report each is English left untranslated."""
    bad = []
    for text in texts:
        if text in data:
            continue
        rest = _VERBATIM.sub(" ", re.sub(r"\\[A-Za-z]+", " ", text))  # and mathtext markup
        rest = _ISOLATED.sub(" ", rest)  # paths, ids and codes a sentence isolated
        for d in sorted((d for d in data if d and d in rest), key=len, reverse=True):
            rest = rest.replace(d, " ")  # data inside a label: "A + B"
        bad += [f"{w} (in {text[:80]!r})" for w in LATIN_WORD.findall(rest)
                if not NOTATION.match(w) and w.rstrip("0123456789-") not in PROPER_NAMES]
    return bad


def report_words() -> set[str]:
    """The English words of the reports (the glossary's keys and labels): a report must
    translate them even where data hold them, except the shop's own product words
    (camera, notebook), which are data."""
    from crmwb.datasets.catalogue import PRODUCT_TYPES
    from crmwb.glossary import LABELS

    shop = {w for row in PRODUCT_TYPES for w in row if isinstance(w, str)}
    return (set(LABELS["en"]) | set(LABELS["en"].values())) - shop


def data_words(tables, english=()) -> set[str]:
    """The text values of ``tables`` (and their words), less ``english`` (words the glossary
    labels: those a report must translate even where the data hold them)."""
    found = set()
    for table in tables:
        if table is None:
            continue
        for col in table.columns:
            values = table[col]
            if values.dtype == object or isinstance(values.dtype, pd.StringDtype
                                                    | pd.CategoricalDtype):
                for v in pd.unique(values.dropna().astype(str)):
                    found.add(v)
                    found.update(v.split())
    return found - set(english)
