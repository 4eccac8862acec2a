"""The engine boundary: transaction lines as Ibis tables on embedded DuckDB.

Work over transaction lines (filters, joins, aggregations to customer level)
is written once as Ibis expressions against the tables this module opens, and
runs on an embedded DuckDB connection by default: a pandas frame, a CSV file,
a Parquet file or a folder of Parquet parts, larger than memory included.
Customer-level work (models, plots) takes the small result as a pandas frame
with :func:`to_pandas`. A later backend (Spark) only has to be added here.

Examples
--------
>>> import pandas as pd
>>> con = connect()
>>> lines = open_table(pd.DataFrame({"customer_id": [1, 1, 2], "quantity": [2, 3, 1]}), con=con)
>>> to_pandas(lines.group_by("customer_id").agg(q=lines.quantity.sum()).order_by("customer_id"))
   customer_id  q
0            1  5
1            2  1
"""

from __future__ import annotations

import atexit
import itertools
import os
from pathlib import Path

import duckdb
import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir
import pandas as pd

_names = itertools.count()


def _remove_empty(folder: Path) -> None:
    """Remove a connection's spill folder at exit when DuckDB has emptied it."""
    try:
        folder.rmdir()
    except OSError:  # absent, or not empty: left as it is
        pass


def connect(
    database: str | Path = ":memory:",
    threads: int | None = None,
    memory_limit: str | None = None,
    temp_directory: str | Path | None = None,
) -> ibis.BaseBackend:
    """Open an embedded DuckDB connection for Ibis.

    Parameters
    ----------
    database : str or Path
        ``":memory:"`` (the default) or a DuckDB file.
    threads : int, optional
        Worker threads; DuckDB's default (all cores) when omitted.
    memory_limit : str, optional
        E.g. ``"4GB"``: DuckDB spills to disk beyond it. DuckDB's default is 80% of RAM.
    temp_directory : str or Path, optional
        Where DuckDB spills; DuckDB's default (``.tmp`` beside the database, or in
        the working directory for ``":memory:"``) when omitted. Each connection
        spills into a folder of its own inside it (``duckdb-<pid>-<n>``): DuckDB
        names its spill files alike, and two kernels of one run spilling into one
        folder overwrite each other's files.

    Returns
    -------
    ibis DuckDB backend
    """
    config = {}
    if threads is not None:
        config["threads"] = int(threads)
    if memory_limit is not None:
        config["memory_limit"] = memory_limit
    if temp_directory is not None:
        Path(temp_directory).mkdir(parents=True, exist_ok=True)
        own = Path(temp_directory) / f"duckdb-{os.getpid()}-{next(_names)}"
        config["temp_directory"] = str(own)
        atexit.register(_remove_empty, own)
    con = ibis.duckdb.connect(str(database), **config)
    try:
        con.raw_sql("SET enable_progress_bar = false")
    except duckdb.Error:  # in Jupyter without ipywidgets DuckDB shows no bar and refuses the change
        pass
    return con


#: Spark settings applied to every local session unless the caller sets them
#: the logging settings of Spark's JVM (errors only, unless CRMWB_SPARK_LOG_LEVEL says)
SPARK_LOGGING = Path(__file__).with_name("spark") / "log4j2.properties"
SPARK_DEFAULTS = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.shuffle.partitions": "8",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
}


def connect_spark(master: str = "local[*]", memory: str = "2g", config: dict | None = None,
                  app_name: str = "crmwb") -> ibis.BaseBackend:
    """Open (or reuse) a SparkSession and return Ibis's PySpark backend on it.

    Parameters
    ----------
    master : str
        ``"local[*]"`` for Spark on this machine, or a cluster's master URL
        (``spark://host:7077``, ``yarn``, ``k8s://...``).
    memory : str
        Driver memory, e.g. ``"4g"``.
    config : dict, optional
        Further ``spark.*`` settings, e.g. ``{"spark.executor.memory": "8g"}``.

    Returns
    -------
    ibis PySpark backend
        Transaction lines opened on it stay in Spark; only customer-level
        results come back to pandas.
    """
    try:
        from pyspark.sql import SparkSession
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ImportError("engine 'spark' needs pyspark (pip install 'crmwb[spark]') and "
                          "Java 17") from err
    settings = {**SPARK_DEFAULTS, "spark.driver.memory": memory, **(config or {})}
    # the JVM's own logging quiet from its start (the WARN lines of Spark's default profile
    # reached the console); CRMWB_SPARK_LOG_LEVEL=warn (or info) asks for more
    logging = f"-Dlog4j2.configurationFile=file:{SPARK_LOGGING}"
    for key in ("spark.driver.extraJavaOptions", "spark.executor.extraJavaOptions"):
        settings[key] = f"{logging} {settings.get(key, '')}".strip()
    builder = SparkSession.builder.master(master).appName(app_name)
    for key, value in settings.items():
        builder = builder.config(key, str(value))
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel(os.environ.get("CRMWB_SPARK_LOG_LEVEL", "error").upper())
    return ibis.pyspark.connect(session)


def connect_engine(engine: str = "duckdb", spark: dict | None = None,
                   **duckdb_options) -> ibis.BaseBackend:
    """The engine named by a notebook's ``engine`` parameter: ``"duckdb"`` or ``"spark"``.

    ``spark`` holds :func:`connect_spark`'s settings (``master``, ``memory``,
    ``config``); ``duckdb_options`` go to :func:`connect`.
    """
    if engine in ("", None, "duckdb"):
        return connect(**duckdb_options)
    if engine == "spark":
        return connect_spark(**(spark or {}))
    raise ValueError(f"unknown engine {engine!r}; expected 'duckdb' or 'spark'")


def _parquet_paths(path: Path) -> str:
    if path.is_dir():
        return str(path / "**" / "*.parquet")
    return str(path)


def load_csv(path: str | Path, con: ibis.BaseBackend, name: str | None = None,
             types: dict[str, str] | None = None, all_text: bool = False,
             delimiter: str | None = None, columns: list[str] | None = None) -> ir.Table:
    """Parse a CSV file once into a temporary table of the engine.

    Cheaper than a view for text that is queried more than once: DuckDB
    parses the file a single time. ``types`` forces column types (e.g.
    ``{"InvoiceDate": "VARCHAR"}``); ``all_text`` reads every column as text,
    so that no value is typed from a sample of the rows (:mod:`crmwb.parsing`
    reads them). With ``delimiter`` and ``columns`` (the header's names) the
    dialect is not sniffed, and a line with too many or too few fields is an
    error naming the line, never skipped (DuckDB's sniffer can take such a line
    for the header and drop the rest).
    """
    name = name or f"crmwb_{next(_names)}"

    def quote(text: str) -> str:
        return "'" + str(text).replace("'", "''") + "'"

    options = ", all_varchar=true" if all_text and not columns else ""
    if types and not columns:
        fields = ", ".join(f"{quote(k)}: {quote(v)}" for k, v in types.items())
        options += f", types={{{fields}}}"
    if columns:
        fields = ", ".join(f"{quote(c)}: {quote((types or {}).get(c, 'VARCHAR'))}"
                           for c in columns)
        options += (f", delim={quote(delimiter or ',')}, quote='\"', escape='\"', "
                    f"auto_detect=false, strict_mode=true, columns={{{fields}}}")
    con.raw_sql(f'CREATE TEMP TABLE "{name}" AS SELECT * FROM '
                f"read_csv({quote(Path(path))}, header=true{options})")
    return con.table(name)


def open_table(
    source: pd.DataFrame | str | Path | ir.Table,
    con: ibis.BaseBackend | None = None,
    name: str | None = None,
    **read_options,
) -> ir.Table:
    """Open a data source as an Ibis table on ``con``.

    Parameters
    ----------
    source : DataFrame, path or ibis Table
        A pandas frame; a ``.csv`` / ``.csv.gz`` / ``.tsv`` / ``.txt`` file;
        a ``.parquet`` file, a folder of Parquet parts or a glob; or an Ibis
        table (returned as it is).
    con : ibis backend, optional
        Connection from :func:`connect`; a new one when omitted.
    name : str, optional
        Name of the table or view inside the connection.
    **read_options
        Passed to DuckDB's reader (e.g. ``delim``, ``header`` for CSV).

    Returns
    -------
    ibis Table
        Lazily evaluated: files are scanned only when a result is asked for.
    """
    if isinstance(source, ir.Table):
        return source
    con = con if con is not None else connect()
    name = name or f"crmwb_{next(_names)}"
    if isinstance(source, pd.DataFrame):
        if con.name == "pyspark":  # Spark keeps no temporary tables: a view of the frame
            return con.create_view(name, ibis.memtable(source), overwrite=True)
        return con.create_table(name, source, temp=True, overwrite=True)
    path = Path(source)
    text = str(source)
    has_glob = any(ch in text for ch in "*?[")
    if not has_glob and not path.exists():
        raise FileNotFoundError(f"data file not found: {path}")
    suffixes = "".join(path.suffixes).lower()
    if path.is_dir() or suffixes.endswith(".parquet") or suffixes.endswith(".pq"):
        where = str(path) if con.name == "pyspark" else _parquet_paths(path)
        return con.read_parquet(where, table_name=name, **read_options)
    if any(suffixes.endswith(s) for s in (".csv", ".csv.gz", ".tsv", ".txt", ".txt.gz")):
        return con.read_csv(text, table_name=name, **read_options)
    raise ValueError(
        f"{path}: cannot open files of type {suffixes or '(none)'!r}; "
        "expected .csv, .csv.gz, .tsv, .txt, .parquet or a folder of Parquet files"
    )


def backend_name(t: ir.Table) -> str:
    """The engine a table lives on: ``"duckdb"`` or ``"pyspark"`` (or another Ibis backend)."""
    return t._find_backend().name


@ibis.udf.scalar.builtin(name="monotonically_increasing_id")
def _spark_line_id() -> dt.int64:  # Spark built-in
    ...


def line_number(t: ir.Table) -> ir.IntegerValue:
    """A number for each line, in the input's order where the engine keeps it.

    DuckDB: the row id of a stored table (the input's order). Spark: its
    monotonically increasing id (unique, ordered within each partition).
    """
    if backend_name(t) == "pyspark":
        return _spark_line_id()
    return t.rowid()


def materialize(t: ir.Table) -> ir.Table:
    """Compute ``t`` once and keep it in the engine (DuckDB: a temporary table; Spark: cached).

    For intermediate results queried several times; free them with :func:`release`.
    """
    return t.cache()


def release(t: ir.Table) -> None:
    """Free a table kept by :func:`materialize` (nothing happens for other tables)."""
    if hasattr(t, "release"):
        t.release()


def to_pandas(expr: ir.Table | ir.Column) -> pd.DataFrame:
    """Run an Ibis expression and return its (customer-level, small) result."""
    return expr.to_pandas()


# --- parsing text columns: the one place with backend-specific functions ----------------

#: Persian (U+06F0-06F9) and Arabic-Indic (U+0660-0669) digits, and their ASCII equivalents.
NATIVE_DIGITS = "۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩"
ASCII_DIGITS = "0123456789" * 2


@ibis.udf.scalar.builtin(name="try_strptime")
def _try_strptime(text: str, fmt: str) -> dt.timestamp:  # DuckDB built-in
    ...


def try_strptime(col: ir.StringValue, fmt: str) -> ir.TimestampValue:
    """DuckDB's ``try_strptime``: ``col`` read with one strptime format, NULL if it does not fit."""
    return _try_strptime(col, fmt)


def ascii_digits(col: ir.StringValue) -> ir.StringValue:
    """Persian and Arabic-Indic digits replaced by ASCII digits."""
    # translating is slow; most values are plain ASCII and need none
    return ibis.ifelse(col.re_search("[^\\x00-\\x7F]"),
                       col.translate(NATIVE_DIGITS, ASCII_DIGITS), col)


def parse_timestamp(col: ir.StringValue, formats: list[str]) -> ir.TimestampValue:
    """The first of ``formats`` (strptime codes) that parses each value; NULL if none does."""
    text = ascii_digits(col.strip())
    parsed = [_try_strptime(text, f) for f in formats]
    return ibis.coalesce(*parsed) if len(parsed) > 1 else parsed[0]
