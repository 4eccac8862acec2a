"""Reading the canonical tables from files.

A data folder holds one file (or folder of Parquet parts) per canonical table,
named for it: ``transactions.parquet`` (or ``.csv``, ``.csv.gz``, or a
``transactions/`` folder), ``customers.parquet``, ``contacts``, ``surveys``,
``campaigns``, ``leads``, ``suspects``; only transactions are required.
Transactions stay lines in the engine (:mod:`crmwb.engine`); the other
tables are customer-level and come back as pandas frames. Every table is
validated against :mod:`crmwb.schema` on the way in. Raw files are only read,
never modified.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import ibis
import ibis.expr.types as ir
import pandas as pd

from crmwb import engine, schema

CUSTOMER_LEVEL_TABLES = ("customers", "contacts", "surveys", "campaigns", "leads", "suspects")
_SUFFIXES = (".parquet", ".csv", ".csv.gz", "")


def find_table_file(data_dir: str | Path, table: str) -> Path | None:
    """The file (or Parquet folder) holding ``table`` in ``data_dir``, if any."""
    data_dir = Path(data_dir)
    for suffix in _SUFFIXES:
        path = data_dir / f"{table}{suffix}"
        if path.exists() and (suffix or path.is_dir()):
            return path
    return None


def file_columns(source: str | Path) -> list[str]:
    """The column names of a data file, read from its header or schema only."""
    return list(engine.open_table(source).columns)


def apply_mapping(
    t: ir.Table, mapping: dict[str, str] | None, table: str = "transactions",
    source: str | None = None,
) -> ir.Table:
    """Rename a source's columns to canonical names.

    Parameters
    ----------
    t : ibis Table
        The table as read.
    mapping : dict, optional
        ``{source column: canonical column}``, e.g.
        ``{"Invoice": "invoice_id", "Customer ID": "customer_id"}``.
    table : str
        The canonical table the mapping targets.
    source : str, optional
        File name for error messages.

    Raises
    ------
    ValueError
        When a mapped source column is not in the file, or a target is not a
        column of the canonical table.
    """
    if not mapping:
        return t
    where = source or table
    absent = [c for c in mapping if c not in t.columns]
    if absent:
        raise ValueError(
            f"{where}: column mapping names column(s) {absent} that the file does not have; "
            f"its columns are {list(t.columns)}"
        )
    known = schema.TABLES[table].column_names
    unknown = sorted({v for v in mapping.values() if v not in known})
    if unknown:
        raise ValueError(
            f"{where}: column mapping targets {unknown}, which are not columns of the "
            f"canonical {table} table; expected some of {known}"
        )
    return t.rename({new: old for old, new in mapping.items()})


def read_transactions(
    source: str | Path | pd.DataFrame | ir.Table,
    mapping: dict[str, str] | None = None,
    con: ibis.BaseBackend | None = None,
) -> ir.Table:
    """Open transaction lines as a validated Ibis table.

    Parameters
    ----------
    source : path, DataFrame or ibis Table
        A CSV or Parquet file, a folder of Parquet parts, or a frame.
    mapping : dict, optional
        Source column -> canonical column (see :func:`apply_mapping`).
    con : ibis backend, optional
        Engine connection (:func:`crmwb.engine.connect`).

    Returns
    -------
    ibis Table
        The lines, lazily evaluated, with canonical column names.
    """
    name = None if isinstance(source, (pd.DataFrame, ir.Table)) else str(source)
    t = engine.open_table(source, con=con)
    t = apply_mapping(t, mapping, "transactions", name)
    return schema.validate_transactions(t, source=name)


def read_customer_table(
    source: str | Path | pd.DataFrame, table: str, mapping: dict[str, str] | None = None,
) -> pd.DataFrame:
    """Read a customer-level canonical table into pandas, validated."""
    if table not in CUSTOMER_LEVEL_TABLES:
        raise ValueError(f"unknown customer-level table {table!r}; expected one of "
                         f"{CUSTOMER_LEVEL_TABLES}")
    name = None if isinstance(source, pd.DataFrame) else str(source)
    t = apply_mapping(engine.open_table(source), mapping, table, name)
    frame = engine.to_pandas(t)
    return schema.validate(frame, table, source=name)


@dataclass
class Dataset:
    """The canonical tables of one data folder.

    ``transactions`` is an Ibis table (lines stay in the engine); the others
    are pandas frames, or ``None`` when the folder does not have them.
    """

    source: Path
    transactions: ir.Table
    customers: pd.DataFrame | None = None
    contacts: pd.DataFrame | None = None
    surveys: pd.DataFrame | None = None
    campaigns: pd.DataFrame | None = None
    leads: pd.DataFrame | None = None
    suspects: pd.DataFrame | None = None
    catalogue: pd.DataFrame | None = None

    def present(self) -> list[str]:
        """Names of the tables this data set has."""
        names = ["transactions", *CUSTOMER_LEVEL_TABLES, "catalogue"]
        return [n for n in names if getattr(self, n) is not None]


def read_dataset(
    data_dir: str | Path | None = None,
    con: ibis.BaseBackend | None = None,
    transactions_path: str | Path | None = None,
    mapping: dict[str, str] | None = None,
) -> Dataset:
    """Read every canonical table found in a data folder.

    Parameters
    ----------
    data_dir : str or Path, optional
        The folder. When both it and ``transactions_path`` are omitted or
        empty, the bundled default data (written on first use).
    con : ibis backend, optional
        Engine connection for the transaction lines.
    transactions_path : str or Path, optional
        A transactions file to use instead of the folder's own.
    mapping : dict, optional
        Column mapping for the transactions file (see :func:`apply_mapping`).

    Returns
    -------
    Dataset
    """
    if not data_dir and not transactions_path:
        from crmwb.datasets import ensure_default_data

        data_dir = ensure_default_data()
    tables: dict[str, object] = {}
    if data_dir:
        data_dir = Path(data_dir)
        if not data_dir.is_dir():
            raise FileNotFoundError(f"data folder not found: {data_dir}")
        for table in CUSTOMER_LEVEL_TABLES:
            path = find_table_file(data_dir, table)
            if path is not None:
                tables[table] = read_customer_table(path, table)
        cat_file = find_table_file(data_dir, "catalogue")
        if cat_file is not None:
            tables["catalogue"] = engine.to_pandas(engine.open_table(cat_file))
    tx_file = Path(transactions_path) if transactions_path else find_table_file(
        data_dir, "transactions")
    if tx_file is None:
        raise FileNotFoundError(
            f"{data_dir}: no transactions file (transactions.parquet, .csv, .csv.gz "
            "or a transactions/ folder of Parquet parts)"
        )
    con = con if con is not None else engine.connect()
    transactions = read_transactions(tx_file, mapping=mapping, con=con)
    return Dataset(source=Path(data_dir) if data_dir else tx_file, transactions=transactions,
                   **tables)
