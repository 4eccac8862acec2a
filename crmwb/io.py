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

import codecs
import csv
import gzip
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import duckdb
import ibis
import ibis.expr.types as ir
import pandas as pd

from crmwb import engine, presets, schema

CUSTOMER_LEVEL_TABLES = ("customers", "contacts", "surveys", "campaigns", "leads", "suspects",
                         "subscriptions")
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


ENCODINGS = ("utf-8", "utf-8-sig", "windows-1256", "latin-1")
_SAMPLE_BYTES = 1 << 16
_ARABIC = range(0x0600, 0x0700)

#: Date formats tried on text dates: ISO first, then day- or month-first.
ISO_FORMATS = ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d",
               "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y/%m/%d", "%Y%m%d"]
_DMY = ["%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y", "%d-%m-%Y %H:%M", "%d-%m-%Y",
        "%d.%m.%Y %H:%M", "%d.%m.%Y", "%d/%m/%y %H:%M", "%d/%m/%y"]
DAYFIRST_FORMATS = ISO_FORMATS + _DMY
MONTHFIRST_FORMATS = ISO_FORMATS + [f.replace("%d", "%_").replace("%m", "%d").replace("%_", "%m")
                                    for f in _DMY]


def _open_bytes(path: Path):
    return gzip.open(path, "rb") if path.suffix == ".gz" else path.open("rb")


def detect_encoding(path: str | Path) -> str:
    """Guess a text file's encoding from its first 64 KiB.

    A byte-order mark means ``utf-8-sig``; text that decodes as UTF-8 is
    ``utf-8``; otherwise ``windows-1256`` when most non-ASCII characters are
    then Arabic-script letters (Persian Windows exports), else ``latin-1``.
    """
    with _open_bytes(Path(path)) as f:
        sample = f.read(_SAMPLE_BYTES)
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    text = sample.decode("windows-1256", errors="replace")
    non_ascii = [ch for ch in text if ord(ch) > 127]
    arabic = sum(ord(ch) in _ARABIC for ch in non_ascii)
    return "windows-1256" if non_ascii and arabic / len(non_ascii) > 0.5 else "latin-1"


def _check_not_empty(path: Path) -> None:
    with _open_bytes(path) as f:
        if not f.read(1):
            raise ValueError(f"{path}: the file is empty")


def _csv_header(path: Path, encoding: str) -> list[str]:
    with _open_bytes(path) as raw:
        first = codecs.getreader(encoding)(raw, errors="replace").readline()
    return next(csv.reader([first]), [])


def _read_error(path, encoding: str | None, error: Exception) -> ValueError:
    hint = "; pass the file's encoding" if "unicode" in str(error).lower() else ""
    return ValueError(f"{path}: could not read as {encoding or 'detected encoding'} CSV: "
                      f"{str(error).splitlines()[0]}{hint}")


def _read_text_file(path: Path, encoding: str | None, con, text_columns=None) -> ir.Table:
    """A CSV file read once into the engine; non-UTF-8 text is transcoded first.

    The raw file is only read. Columns in ``text_columns`` are kept as text.
    """
    _check_not_empty(path)
    encoding = encoding or detect_encoding(path)
    codecs.lookup(encoding)  # an unknown encoding name fails here, clearly
    options = {}
    if text_columns:
        header = _csv_header(path, encoding)
        keep = {c: "VARCHAR" for c in text_columns if c in header}
        if keep:
            options["types"] = keep
    name = f"crmwb_text_{next(engine._names)}"
    if codecs.lookup(encoding).name in ("utf-8", "utf-8-sig"):
        try:
            return engine.load_csv(path, con, name, options.get("types"))
        except duckdb.Error as e:
            raise _read_error(path, encoding, e) from None
    with tempfile.TemporaryDirectory(prefix="crmwb-") as tmp:
        utf8 = Path(tmp) / (path.name.removesuffix(".gz"))
        try:
            with _open_bytes(path) as raw, utf8.open("w", encoding="utf-8") as out:
                text = codecs.getreader(encoding)(raw)
                shutil.copyfileobj(text, out, 1 << 20)
        except UnicodeDecodeError as e:
            raise ValueError(f"{path}: not valid {encoding} text ({e.reason} at byte "
                             f"{e.start}); pass the file's encoding") from None
        # materialise inside the engine before the temporary file goes
        return engine.load_csv(utf8, con, name, options.get("types"))


def _read_excel(path: Path, sheet, con) -> ir.Table:
    import pandas as pd

    try:
        sheets = pd.ExcelFile(path, engine="calamine").sheet_names
    except Exception as e:
        raise ValueError(f"{path}: cannot read as an Excel workbook: {e}") from None
    wanted = sheets if sheet is None else [sheet] if isinstance(sheet, (str, int)) else list(sheet)
    names = [sheets[w] if isinstance(w, int) and w < len(sheets) else w for w in wanted]
    missing = [w for w in names if w not in sheets]
    if missing:
        raise ValueError(f"{path}: no sheet named {missing}; the workbook has {sheets}")
    frames = pd.read_excel(path, sheet_name=names, engine="calamine", dtype=object)
    frame = pd.concat(frames.values(), ignore_index=True)
    for col in frame.columns:
        inferred = pd.api.types.infer_dtype(frame[col], skipna=True)
        if inferred in ("integer", "floating", "mixed-integer-float"):
            frame[col] = pd.to_numeric(frame[col])
        elif inferred.startswith("datetime"):
            frame[col] = pd.to_datetime(frame[col])
        else:
            frame[col] = frame[col].map(lambda v: v if v is None or isinstance(v, str)
                                        or v != v else str(v)).astype("string")
    return engine.open_table(frame, con=con)


def read_raw(
    source: str | Path,
    encoding: str | None = None,
    sheet: str | int | list | None = None,
    con: ibis.BaseBackend | None = None,
    text_columns: list[str] | None = None,
) -> ir.Table:
    """Open a file as it is: CSV (any of :data:`ENCODINGS`), Excel or Parquet.

    Parameters
    ----------
    source : str or Path
        ``.csv``/``.txt``/``.tsv`` (optionally ``.gz``), ``.xlsx``/``.xls``,
        ``.parquet`` or a folder of Parquet parts.
    encoding : str, optional
        Text encoding of a CSV file; detected when omitted
        (:func:`detect_encoding`).
    sheet : str, int or list, optional
        Excel sheet(s) to read; all sheets, stacked, when omitted.
    con : ibis backend, optional
        Engine connection.
    text_columns : list of str, optional
        CSV columns to keep as text rather than let DuckDB guess their type
        (dates, so that day-first and month-first are decided here).
    """
    path = Path(source)
    if not path.exists() and not any(ch in str(source) for ch in "*?["):
        raise FileNotFoundError(f"data file not found: {path}")
    con = con if con is not None else engine.connect()
    suffixes = "".join(path.suffixes).lower()
    if suffixes.endswith((".xlsx", ".xls", ".xlsm")):
        return _read_excel(path, sheet, con)
    if path.is_file() and suffixes.endswith((".csv", ".csv.gz", ".txt", ".txt.gz", ".tsv")):
        return _read_text_file(path, encoding, con, text_columns)
    return engine.open_table(path, con=con)


def _choose_date_formats(t: ir.Table, dayfirst: bool | None) -> list[str]:
    """The formats that parse a sample of the dates, most successful first.

    With ``dayfirst`` omitted, day-first and month-first readings compete and
    the one parsing more of the sample wins (month-first on a tie).
    """
    sample = t.select(d=t.date.strip()).filter(lambda s: s.d.notnull() & (s.d != "")).limit(
        2_000)
    families = [DAYFIRST_FORMATS] if dayfirst else [MONTHFIRST_FORMATS]
    if dayfirst is None:
        families = [MONTHFIRST_FORMATS, DAYFIRST_FORMATS]
    best: list[str] = []
    best_total = -1
    for formats in families:
        counts = sample.aggregate(**{
            f"f{i}": engine.parse_timestamp(sample.d, [f]).notnull().sum()
            for i, f in enumerate(formats)
        }).to_pandas().iloc[0]
        total = int(sample.aggregate(n=engine.parse_timestamp(sample.d, formats).notnull()
                                     .sum()).to_pandas()["n"].iloc[0])
        if total > best_total:
            order = sorted((i for i in range(len(formats)) if counts[f"f{i}"] > 0),
                           key=lambda i: -counts[f"f{i}"])
            best, best_total = [formats[i] for i in order], total
    return best or families[0]


def _canonical_types(t: ir.Table, dayfirst: bool | None, decimal: str) -> ir.Table:
    """Parse text columns of raw lines into the canonical types.

    Values that do not parse become NULL, with the text kept in a ``_bad_<column>``
    helper column for :func:`_check_parsed` to report.
    """
    schema_ = t.schema()
    changes = {}
    for name in ("invoice_id", "product_id", "description", "category", "brand", "channel",
                 "country", "region"):
        if name in t.columns and not schema_[name].is_string():
            changes[name] = t[name].cast("string")
    parsed = {}
    if "date" in t.columns and schema_["date"].is_string():
        parsed["date"] = engine.parse_timestamp(t.date, _choose_date_formats(t, dayfirst))
    for name in ("quantity", "unit_price"):
        if name in t.columns and schema_[name].is_string():
            parsed[name] = engine.parse_number(t[name], decimal)
    if "customer_id" in t.columns and schema_["customer_id"].is_string():
        cid = engine.ascii_digits(t.customer_id.strip())
        cid = ibis.ifelse(cid == "", ibis.null("string"), cid)
        number = cid.try_cast("float64")
        integral = number.notnull() & (number == number.round(0))
        # numeric text ids ("17850", "17850.0") become numbers; others stay text
        changes["customer_id"] = ibis.ifelse(integral, number.cast("int64").cast("string"), cid)
    for name, value in parsed.items():
        raw = t[name].strip()
        changes[name] = value
        changes[f"_bad_{name}"] = ibis.ifelse(value.isnull() & raw.notnull() & (raw != ""),
                                              t[name], ibis.null("string"))
    return t.mutate(**changes) if changes else t


def _check_parsed(t: ir.Table, source: str | None) -> ir.Table:
    """Raise on values that did not parse; drop the helper columns."""
    helpers = [c for c in t.columns if c.startswith("_bad_")]
    if not helpers:
        return t
    counts = t.aggregate(**{h: t[h].notnull().sum() for h in helpers}).to_pandas().iloc[0]
    expected = {"date": "dates", "quantity": "numbers", "unit_price": "numbers"}
    problems = []
    numbered = t.mutate(_row=ibis.row_number())
    for h in helpers:
        if counts[h]:
            column = h.removeprefix("_bad_")
            keys = [k for k in ("invoice_id", "customer_id", "product_id")
                    if k in t.columns and k != column]
            rows = (numbered.filter(numbered[h].notnull()).order_by("_row")
                    .select("_row", *keys, **{column: numbered[h]}).limit(5).to_pandas()
                    .rename(columns={"_row": "row"}))
            problems.append(f"column '{column}': expected {expected[column]}; {counts[h]} "
                            f"value(s) are not:\n{rows.to_string(index=False)}")
    if problems:
        where = "transactions" + (f" ({source})" if source else "")
        raise schema.SchemaError(f"{where}: {len(problems)} problem(s)\n- "
                                 + "\n- ".join(problems))
    return t.drop(*helpers)


def _final_types(t: ir.Table) -> ir.Table:
    """Customer ids that are all whole numbers become integers."""
    if t.schema()["customer_id"].is_string():
        cid = t.customer_id
        non_numeric = t.filter(cid.notnull() & cid.try_cast("int64").isnull()).count()
        if int(non_numeric.execute()) == 0:
            return t.mutate(customer_id=cid.cast("int64"))
    elif t.schema()["customer_id"].is_floating():
        return t.mutate(customer_id=t.customer_id.cast("int64"))
    return t


def _is_text_or_excel(name: str | None) -> bool:
    if name is None or Path(name).is_dir():
        return False
    return not "".join(Path(name).suffixes).lower().endswith((".parquet", ".pq"))


def read_transactions(
    source: str | Path | pd.DataFrame | ir.Table,
    preset: str | None = None,
    mapping: dict[str, str] | None = None,
    encoding: str | None = None,
    sheet: str | int | list | None = None,
    dayfirst: bool | None = None,
    decimal: str = ".",
    con: ibis.BaseBackend | None = None,
) -> ir.Table:
    """Read transaction lines from a file or frame into the canonical model.

    Parameters
    ----------
    source : path, DataFrame or ibis Table
        CSV (utf-8, utf-8 with BOM, windows-1256, latin-1; ``.gz`` too),
        Excel (``.xlsx``), Parquet (a file or a folder of parts), or a frame.
    preset : str, optional
        A public format (:data:`crmwb.presets.PRESETS`): ``online_retail``,
        ``online_retail_ii``, ``cdnow``, ``cdnow_sample``, ``groceries``.
    mapping : dict, optional
        Source column -> canonical column (see :func:`apply_mapping`);
        applied after the preset's own mapping, which it may extend.
    encoding : str, optional
        Text encoding of a CSV file; detected when omitted.
    sheet : str, int or list, optional
        Excel sheet(s); all sheets when omitted.
    dayfirst : bool, optional
        Whether text dates are day-first (31/12/2024) or month-first
        (12/31/2024); ISO dates are always understood. When omitted, the
        preset's choice, else whichever reading parses more values.
    decimal : str
        Decimal mark of text numbers: ``"."`` (1,234.5) or ``","`` (1.234,5).
        Persian and Arabic digits are understood either way.
    con : ibis backend, optional
        Engine connection (:func:`crmwb.engine.connect`).

    Returns
    -------
    ibis Table
        The lines, lazily evaluated, with canonical names and types. The
        structure is validated (columns, types, dates); values such as
        negative prices are left to :mod:`crmwb.cleaning`.

    Raises
    ------
    SchemaError, ValueError, FileNotFoundError
        Naming the file, the column and example rows.
    """
    name = None if isinstance(source, (pd.DataFrame, ir.Table)) else str(source)
    con = con if con is not None else engine.connect()
    spec = presets.get_preset(preset) if preset else None
    if spec is not None and spec.table != "transactions":
        raise ValueError(f"preset {preset!r} describes a {spec.table} table, not transaction "
                         f"lines: read it with crmwb.io.read_{spec.table}")
    if spec is not None and spec.reader is not None:
        if name is None:
            raise ValueError(f"preset {preset!r} reads a file; got a {type(source).__name__}")
        path = Path(source)
        if not path.exists():
            raise FileNotFoundError(f"data file not found: {path}")
        _check_not_empty(path)
        t = spec.reader(path, encoding, con)
    elif name is None:
        t = engine.open_table(source, con=con)
    full_mapping = {**(spec.mapping if spec else {}), **(mapping or {})}
    if spec is None or spec.reader is None:
        if name is not None:
            date_col = next((k for k, v in full_mapping.items() if v == "date"), "date")
            t = read_raw(source, encoding=encoding, sheet=sheet, con=con,
                         text_columns=[date_col])
    t = apply_mapping(t, full_mapping, "transactions", name)
    if dayfirst is None and spec is not None:
        dayfirst = spec.dayfirst
    try:
        if set(schema.TABLES["transactions"].required) <= set(t.columns):
            t = _canonical_types(t, dayfirst, decimal)
            if _is_text_or_excel(name):
                # parse the text once: later queries read the engine's typed copy
                t = con.create_table(f"crmwb_lines_{next(engine._names)}", t, temp=True)
            t = _check_parsed(t, name)
        t = schema.validate(t, "transactions", source=name, values=False)
    except duckdb.Error as e:
        raise _read_error(name or "transactions", encoding, e) from None
    return _final_types(t)


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


def read_subscriptions(
    source: str | Path | pd.DataFrame, preset: str | None = None,
    mapping: dict[str, str] | None = None, encoding: str | None = None,
) -> pd.DataFrame:
    """Read a table of contractual subscribers (e.g. ``preset="telco_churn"``).

    Returns the canonical ``subscriptions`` table (see :mod:`crmwb.schema`)
    as pandas, validated; the source's other columns are kept beside it.
    """
    spec = presets.get_preset(preset) if preset else None
    if spec is not None and spec.table != "subscriptions":
        raise ValueError(f"preset {preset!r} describes {spec.table}, not subscriptions: "
                         "read it with crmwb.io.read_transactions")
    if spec is None:
        return read_customer_table(source, "subscriptions", mapping)
    path = Path(source)
    if not path.exists():
        raise FileNotFoundError(f"data file not found: {path}")
    _check_not_empty(path)
    frame = spec.reader(path, encoding)
    if mapping:
        frame = engine.to_pandas(apply_mapping(engine.open_table(frame), mapping,
                                               "subscriptions", str(path)))
    return schema.validate(frame, "subscriptions", source=str(path))


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
    subscriptions: pd.DataFrame | None = None
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
    **read_options,
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
    **read_options
        ``preset``, ``encoding``, ``sheet``, ``dayfirst``, ``decimal`` for
        :func:`read_transactions`; empty values are ignored.

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
    options = {k: v for k, v in read_options.items() if v not in (None, "")}
    transactions = read_transactions(tx_file, mapping=mapping, con=con, **options)
    return Dataset(source=Path(data_dir) if data_dir else tx_file, transactions=transactions,
                   **tables)


class OutputError(ValueError):
    """An output would overwrite, delete or sit among an analyst's own files."""


#: The file that marks a folder as written by crmwb; it lists every file written there.
MANIFEST = ".crmwb-output.json"


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _ordinary_permissions(path: Path) -> None:
    """Give ``path`` (a file, or a folder and all below it) the permissions a new file or
    folder gets from the umask: readable by others where the user's umask allows it.
    Temporary files are created private (0600, 0700); a report or an export must not be."""
    mask = _umask()
    items = [path, *path.rglob("*")] if path.is_dir() else [path]
    for item in items:
        os.chmod(item, (0o777 if item.is_dir() else 0o666) & ~mask)


def check_output_folder(out_dir: str | Path, inputs, parameter: str = "out_dir") -> Path:
    """Refuse an output folder that equals, contains or lies inside any input.

    Parameters
    ----------
    out_dir : str or Path
        The folder about to be written.
    inputs : iterable of str or Path
        The files and folders the data was read from (empty values are ignored).
    parameter : str
        The parameter that chooses the output, named in the error.

    Returns
    -------
    Path
        ``out_dir``, resolved.

    Raises
    ------
    OutputError
        Naming the output, the input and the parameter to change.

    Examples
    --------
    >>> check_output_folder("/data/shop/clean", ["/data/shop/transactions.csv"]).as_posix()
    '/data/shop/clean'
    >>> check_output_folder("/data/shop", ["/data/shop/transactions.csv"])
    Traceback (most recent call last):
    ...
    crmwb.io.OutputError: out_dir: /data/shop contains the input /data/shop/transactions.csv; \
choose a folder outside the input data
    """
    out = Path(out_dir).expanduser().resolve()
    for source in inputs or ():
        if source in (None, "") or isinstance(source, (pd.DataFrame, ir.Table)):
            continue
        src = Path(source).expanduser().resolve()
        if out == src:
            relation = "is the input"
        elif out in src.parents:
            relation = "contains the input"
        elif src in out.parents:
            relation = "lies inside the input"
        else:
            continue
        raise OutputError(f"{parameter}: {out} {relation} {src}; choose a folder outside "
                          "the input data")
    return out


def _files_below(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if not p.is_dir()}


def _written_by_crmwb(folder: Path) -> set[str]:
    """The files crmwb wrote into ``folder`` (its manifest); refuse when anything else is
    there, or when the folder has no manifest."""
    manifest = folder / MANIFEST
    if not folder.is_dir() or not manifest.is_file():
        raise OutputError(
            f"{folder} exists and was not written by crmwb (no {MANIFEST}): it is not "
            "replaced; choose another output folder"
        )
    try:
        written = set(json.loads(manifest.read_text(encoding="utf-8"))["files"])
    except (ValueError, KeyError, TypeError):
        raise OutputError(f"{manifest}: unreadable manifest; {folder} is not replaced") from None
    foreign = sorted(_files_below(folder) - written - {MANIFEST})
    if foreign:
        shown = ", ".join(foreign[:5]) + (" ..." if len(foreign) > 5 else "")
        raise OutputError(
            f"{folder} holds {len(foreign)} file(s) crmwb did not write ({shown}): it is not "
            "replaced; move them or choose another output folder"
        )
    return written


def _remove_written(folder: Path, written: set[str]) -> None:
    """Delete the files crmwb wrote in ``folder``, then the folders left empty."""
    for name in written | {MANIFEST}:
        (folder / name).unlink(missing_ok=True)
    for sub in sorted((p for p in folder.rglob("*") if p.is_dir()), key=lambda p: -len(p.parts)):
        if not any(sub.iterdir()):
            sub.rmdir()
    if not any(folder.iterdir()):
        folder.rmdir()


def write_folder(out_dir: Path, fill, overwrite: bool = False, inputs=()) -> Path:
    """Create ``out_dir`` whole or not at all, never touching files crmwb did not write.

    ``fill(tmp)`` writes the files into a temporary folder beside ``out_dir``;
    a manifest (:data:`MANIFEST`) listing them is added and the folder is
    renamed into place. An existing ``out_dir`` is replaced only with
    ``overwrite`` and only when it holds nothing but files crmwb wrote there
    (its manifest says which): the new folder is renamed into place first, and
    only then are the old files removed. On any error the old folder stays as
    it was and nothing new is left behind. Files and folders get ordinary
    permissions (the umask's), not a temporary folder's private ones.

    Raises
    ------
    OutputError
        When ``out_dir`` equals, contains or lies inside one of ``inputs``, or
        holds files crmwb did not write.
    FileExistsError
        When ``out_dir`` exists and ``overwrite`` is false.
    """
    out_dir = Path(out_dir)
    check_output_folder(out_dir, inputs)
    written = None
    if out_dir.exists() or out_dir.is_symlink():
        if not overwrite:
            raise FileExistsError(
                f"{out_dir} already exists; choose another folder or pass overwrite=True "
                "(--overwrite on the command line)"
            )
        if out_dir.is_symlink():
            raise OutputError(f"{out_dir} is a symbolic link: it is not replaced")
        written = _written_by_crmwb(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    old = None
    try:
        fill(tmp)
        (tmp / MANIFEST).write_text(json.dumps({"files": sorted(_files_below(tmp))}, indent=1),
                                    encoding="utf-8")
        _ordinary_permissions(tmp)
        if written is not None:
            old = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.old.", dir=out_dir.parent))
            old.rmdir()
            os.replace(out_dir, old)
        os.replace(tmp, out_dir)
    except BaseException:
        if old is not None and old.exists() and not out_dir.exists():
            os.replace(old, out_dir)
        shutil.rmtree(tmp, ignore_errors=True)  # the temporary folder holds only new files
        raise
    if old is not None:
        _remove_written(old, written)
    return out_dir


#: First characters that make a spreadsheet read a cell as a formula (CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells cannot run as spreadsheet formulas.

    A text cell beginning with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
    return gets a leading single quote, which Excel and LibreOffice show as
    text. Number, date and boolean columns are left as they are; so are the
    index and the column names unless they are text that starts so.

    >>> neutralise_formulas(pd.DataFrame({"code": ['=HYPERLINK("x")', "A1"], "n": [-1, 2]}))
                   code  n
    0  '=HYPERLINK("x")  -1
    1                A1  2
    """

    def safe(value):
        if isinstance(value, str) and value.startswith(FORMULA_START):
            return "'" + value
        return value

    out = frame.copy()
    for col in out.columns:
        s = out[col]
        if isinstance(s.dtype, pd.CategoricalDtype):
            out[col] = s.cat.rename_categories([safe(c) for c in s.cat.categories]) \
                if s.cat.categories.dtype == object or pd.api.types.is_string_dtype(
                    s.cat.categories) else s
        elif s.dtype == object or pd.api.types.is_string_dtype(s):
            out[col] = s.map(safe, na_action="ignore").astype(s.dtype)
    out.columns = [safe(c) for c in out.columns]
    if out.index.dtype == object or pd.api.types.is_string_dtype(out.index):
        out.index = out.index.map(safe)
    return out


def write_text(path: str | Path, text: str) -> Path:
    """Write a text file whole or not at all, with ordinary permissions."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        replace_file(Path(tmp), path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def replace_file(tmp: Path, target: Path) -> None:
    """Move a finished temporary file into place with ordinary permissions."""
    _ordinary_permissions(tmp)
    os.replace(tmp, target)


def write_csv(frame: pd.DataFrame, path: str | Path, index: bool = False) -> Path:
    """Write ``frame`` as a CSV file for spreadsheets: whole or not at all, ordinary
    permissions, text cells neutralised against formulas (:func:`neutralise_formulas`)."""
    return write_text(path, neutralise_formulas(frame).to_csv(index=index))
