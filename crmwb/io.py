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
import re
import shutil
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

import duckdb
import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from crmwb import engine, parsing, presets, schema

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


#: Encodings :func:`detect_encoding` tells apart.
ENCODINGS = ("utf-8", "utf-8-sig", "utf-16", "windows-1256", "windows-1252", "latin-1")
_SAMPLE_BYTES = 1 << 16
_ARABIC = range(0x0600, 0x0700)


def _open_bytes(path: Path):
    return gzip.open(path, "rb") if path.suffix == ".gz" else path.open("rb")


def _arabic_script(text: str) -> bool:
    """Whether the non-ASCII characters of ``text`` (decoded as windows-1256) read as
    Arabic-script words rather than accents inside Latin words.

    Persian and Arabic letters come in runs of several, between spaces and digits; the
    accented letters of German, French or Spanish (``Straße``, ``crème``) come one or two
    at a time, touching Latin letters: decoded as windows-1256 they are Arabic letters
    too, so the letters' neighbours, not their code points, tell the scripts apart.
    """
    arabic_words = latin_accents = 0
    for run in re.finditer(r"[^\x00-\x7f]+", text):
        before = text[run.start() - 1] if run.start() else " "
        after = text[run.end()] if run.end() < len(text) else " "
        letters = sum(ord(ch) in _ARABIC for ch in run.group())
        if (before.isascii() and before.isalpha()) or (after.isascii() and after.isalpha()):
            latin_accents += 1
        elif letters >= 2:
            arabic_words += 1
        else:
            latin_accents += 1
    return arabic_words > latin_accents


def detect_encoding(path: str | Path, whole: bool = False) -> str:
    """Guess a text file's encoding from its first 64 KiB (every byte when ``whole``).

    A byte-order mark means ``utf-8-sig`` or ``utf-16`` (Excel's "Unicode text");
    text that decodes as UTF-8 is ``utf-8``; otherwise ``windows-1256`` when the
    non-ASCII characters form Arabic-script words (Persian Windows exports, see
    :func:`_arabic_script`), else ``windows-1252`` (Western Windows exports: curly
    quotes, the euro sign) or, where a byte is not windows-1252, ``latin-1``.
    """
    with _open_bytes(Path(path)) as f:
        sample = f.read() if whole else f.read(_SAMPLE_BYTES)
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if sample[:1000].count(b"\x00") > len(sample[:1000]) // 4:  # UTF-16 without its mark
        return "utf-16-le" if sample[1:2] == b"\x00" else "utf-16-be"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=whole)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    if _arabic_script(sample.decode("windows-1256", errors="replace")):
        return "windows-1256"
    try:
        sample.decode("windows-1252")
        return "windows-1252"
    except UnicodeDecodeError:
        return "latin-1"


def _check_not_empty(path: Path) -> None:
    with _open_bytes(path) as f:
        if not f.read(1):
            raise ValueError(f"{path}: the file is empty")


#: Field delimiters told apart by the header line.
DELIMITERS = (",", ";", "\t", "|")


def csv_dialect(path: Path, encoding: str) -> tuple[str, list[str]]:
    """The delimiter and the column names of a CSV file, from its header line.

    The delimiter is the candidate of :data:`DELIMITERS` that splits the header
    into the most names (outside quotes); between equals, the one that splits the
    first data line into as many fields.

    Raises
    ------
    ValueError
        When two columns have the same name.
    """
    with _open_bytes(path) as raw:
        reader = codecs.getreader(encoding)(raw, errors="replace")
        first, second = reader.readline(), reader.readline()
    first = first.lstrip("\ufeff").rstrip("\r\n")
    second = second.rstrip("\r\n")

    def fields(line, d):
        return len(next(csv.reader([line], delimiter=d), []))

    # most names wins; on a tie ("Price, EUR;Qty"), the delimiter the next line agrees with
    best = max(DELIMITERS, key=lambda d: (fields(first, d),
                                          not second or fields(second, d) == fields(first, d)))
    names = [n.strip() or f"column{i}" for i, n in
             enumerate(next(csv.reader([first], delimiter=best), []))]
    seen = [n for i, n in enumerate(names) if n in names[:i]]
    if seen:
        raise ValueError(f"{path}: the header names column(s) {sorted(set(seen))} twice; "
                         "rename them in the export so each column has one name")
    return best, names


def _read_error(path, encoding: str | None, error: Exception) -> ValueError:
    text = str(error).strip()
    hint = "; set encoding to the file's encoding" if "unicode" in text.lower() else ""
    lines = [line for line in text.splitlines() if line.strip()][:6]
    return ValueError(f"{path}: could not read as {encoding or 'detected encoding'} CSV{hint}:\n"
                      + "\n".join(lines))


def _read_text_file(path: Path, encoding: str | None, con) -> ir.Table:
    """A CSV file read once into the engine, every column as text; non-UTF-8 text is
    transcoded to a temporary UTF-8 copy first. The raw file is only read."""
    _check_not_empty(path)
    given = encoding
    encoding = encoding or detect_encoding(path)
    codecs.lookup(encoding)  # an unknown encoding name fails here, clearly
    name = f"crmwb_text_{next(engine._names)}"
    if codecs.lookup(encoding).name in ("utf-8", "utf-8-sig"):
        try:
            delimiter, columns = csv_dialect(path, encoding)
            return engine.load_csv(path, con, name, all_text=True, delimiter=delimiter,
                                   columns=columns)
        except duckdb.Error as e:
            if given or "unicode" not in str(e).lower():
                raise _read_error(path, encoding, e) from None
            # UTF-8 in its first 64 KiB only: look at the whole file
            encoding = detect_encoding(path, whole=True)
    with tempfile.TemporaryDirectory(prefix="crmwb-") as tmp:
        utf8 = Path(tmp) / (path.name.removesuffix(".gz"))
        try:
            with _open_bytes(path) as raw, utf8.open("w", encoding="utf-8") as out:
                text = codecs.getreader(encoding)(raw)
                shutil.copyfileobj(text, out, 1 << 20)
        except UnicodeDecodeError as e:
            raise ValueError(f"{path}: not valid {encoding} text ({e.reason} at byte "
                             f"{e.start}); set encoding to the file's encoding") from None
        try:
            # materialise inside the engine before the temporary file goes
            delimiter, columns = csv_dialect(utf8, "utf-8")
            return engine.load_csv(utf8, con, name, all_text=True, delimiter=delimiter,
                                   columns=columns)
        except duckdb.Error as e:
            raise _read_error(path, encoding, e) from None


def _read_excel(path: Path, sheet, con, header: list[str] | None = None) -> ir.Table:
    """The sheets of a workbook holding the table, stacked; others reported, not mixed in.

    With ``sheet`` omitted, every sheet whose header has all of ``header`` is
    read; sheets without it are named in a warning. Cells are text, numbers or
    dates as the workbook stores them.
    """
    try:
        book = pd.ExcelFile(path, engine="calamine")
        sheets = book.sheet_names
    except Exception as e:
        raise ValueError(f"{path}: cannot read as an Excel workbook: {e}") from None
    if sheet is None:
        names = sheets
        if header:
            heads = {s: [str(c).strip() for c in pd.read_excel(book, sheet_name=s, nrows=0)
                         .columns] for s in sheets}
            names = [s for s in sheets if set(header) <= set(heads[s])]
            other = [s for s in sheets if s not in names]
            if not names:
                raise ValueError(f"{path}: no sheet has the columns {header}; its sheets: "
                                 + "; ".join(f"{s!r}: {heads[s]}" for s in sheets)
                                 + ". Set sheet, or column_mapping")
            if other:
                warnings.warn(f"{path}: sheet(s) {other} do not have the columns {header} "
                              "and are not read; set sheet to choose sheets yourself",
                              stacklevel=3)
    else:
        wanted = [sheet] if isinstance(sheet, (str, int)) else list(sheet)
        names = [sheets[w] if isinstance(w, int) and w < len(sheets) else w for w in wanted]
        missing = [w for w in names if w not in sheets]
        if missing:
            raise ValueError(f"{path}: no sheet named {missing}; the workbook has {sheets}")
    frames = pd.read_excel(book, sheet_name=names, dtype=object)
    frame = pd.concat([f.rename(columns=lambda c: str(c).strip()) for f in frames.values()],
                      ignore_index=True)
    for col in frame.columns:
        inferred = pd.api.types.infer_dtype(frame[col], skipna=True)
        if inferred in ("integer", "floating", "mixed-integer-float"):
            frame[col] = pd.to_numeric(frame[col])
        elif inferred.startswith("datetime"):
            frame[col] = pd.to_datetime(frame[col])
        else:  # text, or text beside numbers: text, parsed with the file's grammar later
            frame[col] = frame[col].map(_cell_text).astype("string")
    return engine.open_table(frame, con=con)


def _cell_text(value):
    """A cell of a column that mixes text and numbers, as text. A number with a fraction is
    written with an exponent (``1.234e+00``), which only a decimal point reads: beside
    text cells with decimal commas it is refused, never misread as 1234."""
    if value is None or isinstance(value, str) or value != value:
        return value
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else np.format_float_scientific(value)
    return str(value)


def read_raw(
    source: str | Path,
    encoding: str | None = None,
    sheet: str | int | list | None = None,
    con: ibis.BaseBackend | None = None,
    header: list[str] | None = None,
) -> ir.Table:
    """Open a file as it is: CSV (any of :data:`ENCODINGS`; every column as text),
    Excel (cells as stored) or Parquet (its types).

    Parameters
    ----------
    source : str or Path
        ``.csv``/``.txt``/``.tsv`` (optionally ``.gz``), ``.xlsx``/``.xls``,
        ``.parquet`` or a folder of Parquet parts.
    encoding : str, optional
        Text encoding of a CSV file; detected when omitted
        (:func:`detect_encoding`).
    sheet : str, int or list, optional
        Excel sheet(s) to read; when omitted, every sheet whose header has the
        ``header`` columns.
    con : ibis backend, optional
        Engine connection.
    header : list of str, optional
        The file's names of the required columns, to recognise workbook sheets.
    """
    path = Path(source)
    if not path.exists() and not any(ch in str(source) for ch in "*?["):
        raise FileNotFoundError(f"data file not found: {path}")
    con = con if con is not None else engine.connect()
    suffixes = "".join(path.suffixes).lower()
    text_or_excel = suffixes.endswith((".xlsx", ".xls", ".xlsm")) or (
        path.is_file() and suffixes.endswith((".csv", ".csv.gz", ".txt", ".txt.gz", ".tsv",
                                              ".tsv.gz")))
    if text_or_excel and con.name != "duckdb":
        raise ValueError(
            f"{path}: text and Excel exports are read and checked by DuckDB (their grammar is "
            f"DuckDB SQL), not on {con.name}: prepare them once with `crmwb prepare` (or "
            "crmwb.prepared.prepare), then open the prepared Parquet on Spark with "
            'crmwb.prepared.open(path, engine="spark")')
    if suffixes.endswith((".xlsx", ".xls", ".xlsm")):
        return _read_excel(path, sheet, con, header)
    if path.is_file() and suffixes.endswith((".csv", ".csv.gz", ".txt", ".txt.gz", ".tsv",
                                             ".tsv.gz")):
        return _read_text_file(path, encoding, con)
    return engine.open_table(path, con=con)


_BOOL_HINT = "true/false (yes/no, 1/0)"


def _position(t: ir.Table) -> ir.IntegerValue:
    """Each line's place in the input: the row id of a stored table (the file's order)."""
    try:
        return t.rowid()
    except Exception:  # not a stored table: the engine's numbering
        return ibis.row_number()


def parse_columns(
    t: ir.Table, table: str, source: str | None = None, dayfirst: bool | None = None,
    decimal: str | None = None, default_dayfirst: bool = False,
) -> tuple[ir.Table, dict[str, str]]:
    """Parse the text columns of a canonical table into their types, strictly.

    Every column of ``table`` (:data:`crmwb.schema.TABLES`) that holds text is
    parsed by :mod:`crmwb.parsing` according to its kind, over its distinct
    values, which are joined back to the lines: numbers with one decimal mark
    for the whole table (``decimal``, decided from every value when None),
    dates in one order (``dayfirst``, decided over every distinct value when
    None) and calendar, ids as text, booleans. Values that do not parse are
    kept in ``_bad_<column>`` helper columns for :func:`check_parsed`; the
    lines keep their order in ``_pos``.

    Returns
    -------
    (ibis Table, dict)
        The parsed table and, for each column with a helper, what was expected
        and the parameter that changes how it is read.

    Raises
    ------
    SchemaError
        When the decimal mark, the date order or the calendar cannot be decided
        one way for the whole table; the message names the parameter to set.
    """
    spec = schema.TABLES[table]
    where = f"{table}" + (f" ({source})" if source else "")
    types = t.schema()
    text_cols = {c.name: c for c in spec.columns if c.name in t.columns
                 and types[c.name].is_string()}
    if not text_cols:
        return t, {}
    distinct = {name: engine.to_pandas(t.select(_v=t[name]).distinct())["_v"]
                for name in text_cols}
    numbers = [n for n, c in text_cols.items() if c.kind in ("number", "integer")]
    hints, lookups, direct = {}, {}, {}
    try:
        if numbers and decimal is None:
            union = pd.concat([distinct[n] for n in numbers], ignore_index=True)
            decimal = parsing.choose_decimal(parsing.number_evidence(union.drop_duplicates()),
                                             where)
        for name, col in text_cols.items():
            values = distinct[name].dropna()
            if col.kind == "id":
                direct[name] = parsing.parse_id(t[name], parsing.spreadsheet_suffix(values),
                                                native=parsing.has_native_digits(values))
                continue
            if col.kind in ("number", "integer"):
                parsed = parsing.numbers(values, decimal or ".")
                if col.kind == "integer":
                    parsed = parsed.where(parsed == parsed.round(0))
                hints[name] = (f"numbers with decimal {decimal or '.'!r}; set decimal ('.' "
                               "for 1,234.5, ',' for 1.234,5) if the file uses the other mark")
            elif col.kind == "date":
                parts = parsing.date_parts(values)
                order, jalali = parsing.choose_date_reading(
                    parsing.date_evidence(values, parts), dayfirst, f"{where}: column '{name}'",
                    default_dayfirst)
                parsed = parsing.dates(values, order, jalali, parts)
                reading = ("Solar Hijri " if jalali else "") + (
                    "day-first" if order else "month-first")
                hints[name] = (f"{reading} or ISO dates from {parsing.YEARS[0]} to "
                               f"{parsing.YEARS[1] - 1}; set dayfirst (True for 31/12/2024, "
                               "False for 12/31/2024) if the file uses the other order")
            elif col.kind == "bool":
                parsed = parsing.booleans(values)
                hints[name] = _BOOL_HINT
            else:
                continue
            fast = _engine_reading(t[name], col.kind, values, parsed, t._find_backend())
            failed = bool((parsed.isna().to_numpy() & _has_text(values)).any())
            if fast is not None:
                direct[name] = fast
                if failed:  # only then: a helper column costs a pass over every line
                    raw = t[name]
                    direct[f"_bad_{name}"] = ibis.ifelse(
                        fast.isnull() & raw.notnull() & (raw.strip() != ""), raw,
                        ibis.null("string"))
            else:
                lookups[name] = pd.DataFrame({"raw": values.to_numpy(),
                                              "value": parsed.to_numpy()})
    except parsing.ParseError as e:
        raise schema.SchemaError(str(e)) from None
    if direct:
        t = t.mutate(**direct)
    if not lookups:
        return t, hints
    t = t.mutate(_pos=_position(t))
    for name, frame in lookups.items():
        lk = ibis.memtable(frame.rename(columns={"raw": f"_raw_{name}",
                                                "value": f"_val_{name}"}))
        j = t.left_join(lk, t[name] == lk[f"_raw_{name}"])
        value = j[f"_val_{name}"]
        t = j.mutate(**{
            name: value,
            f"_bad_{name}": ibis.ifelse(value.isnull() & parsing.clean_text(j[name]).notnull(),
                                        j[name], ibis.null("string")),
        }).drop(f"_raw_{name}", f"_val_{name}")
    return t, hints


#: strptime formats the engine may read dates with directly, when they give exactly what the
#: strict parser gives on every distinct value (checked); otherwise the parsed values are joined
_ENGINE_DATE_FORMATS = {
    "%Y-%m-%d %H:%M:%S": r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}",
    "%Y-%m-%d %H:%M": r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}",
    "%Y-%m-%d": r"\d{4}-\d{2}-\d{2}",
    "%Y-%m-%dT%H:%M:%S": r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}",
    "%Y/%m/%d %H:%M:%S": r"\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2}",
    "%Y/%m/%d": r"\d{4}/\d{2}/\d{2}",
    "%Y%m%d": r"\d{8}",
}


def _has_text(values: pd.Series) -> np.ndarray:
    text = pd.Series(values, dtype="string").str.strip()
    return (text.notna() & (text != "")).fillna(False).to_numpy(dtype=bool)


def _engine_reading(col: ir.StringValue, kind: str, values: pd.Series, parsed: pd.Series,
                    con) -> ir.Value | None:
    """A cheap engine expression that reads ``col`` exactly as the strict parser read its
    distinct ``values`` (``parsed``), or None when none does.

    Plain decimals (``12.5``) and ISO timestamps are most exports' values: the engine
    casts them row by row faster than a join of the parsed values. A cast is used only
    when it agrees with the strict parser on every distinct value of the column (so on
    every line), missing values included; the cheapest that agrees is chosen.
    """
    if kind not in ("number", "integer", "date") or len(values) == 0:
        return None
    if getattr(con, "name", "") != "duckdb":
        return None
    if kind == "date":
        # only the formats the values use, most used first: each failed format costs a try
        shapes = values[parsed.notna()].str.strip()
        used = [(int(shapes.str.fullmatch(rx).sum()), f) for f, rx in _ENGINE_DATE_FORMATS.items()]
        formats = [f for n, f in sorted(used, key=lambda nf: -nf[0]) if n > 0]
        if not formats:
            return None

        def read(c):
            tries = [engine.try_strptime(c, f) for f in formats]
            return ibis.coalesce(*tries) if len(tries) > 1 else tries[0]

        candidates = [lambda c: read(c), lambda c: read(c.strip())]
    else:
        def guarded(c):
            number = c.strip().try_cast("float64")
            return ibis.ifelse(number.isnan() | number.isinf(), ibis.null("float64"), number)

        candidates = [lambda c: c.try_cast("float64"),
                      lambda c: c.strip().try_cast("float64"), guarded]
    check = ibis.memtable(pd.DataFrame({"raw": values.to_numpy()}))
    got = engine.to_pandas(check.select(check.raw, **{
        f"v{i}": make(check.raw) for i, make in enumerate(candidates)}))
    want = pd.Series(parsed.to_numpy(), index=values.to_numpy())
    known = want.notna()
    for i, make in enumerate(candidates):
        got_v = pd.Series(got[f"v{i}"].to_numpy(), index=got["raw"].to_numpy()).reindex(
            want.index)
        if not (got_v.isna() == want.isna()).all():
            continue
        if kind == "date":
            same = (pd.to_datetime(got_v[known]) == pd.to_datetime(want[known])).all()
        else:
            same = np.array_equal(got_v[known].astype(float).to_numpy(),
                                  want[known].astype(float).to_numpy())
        if same:
            value = make(col)
            if kind == "integer":
                value = ibis.ifelse(value == value.round(0), value.cast("int64"),
                                    ibis.null("int64"))
            return value
    return None


def check_parsed(t: ir.Table, table: str, source: str | None,
                 hints: dict[str, str]) -> ir.Table:
    """Raise one SchemaError for every value that did not parse, and for missing values
    in required columns; drop the helper columns.

    Each problem names the file, the column, how many values, the first rows
    (``row`` 1 is the first data row) and the parameter that changes the reading.
    Missing values are refused in the required columns that must always have one
    (invoice, product, quantity); a missing customer id is an anonymous sale, and a
    missing date or price belongs to formats without them.
    """
    spec = schema.TABLES[table]
    helpers = [c for c in t.columns if c.startswith("_bad_")]
    required = [c.name for c in spec.columns if c.required and c.name in t.columns]
    counts = {f"bad__{h}": t[h].notnull().cast("int64").sum() for h in helpers}
    counts.update({f"null__{c}": t[c].isnull().cast("int64").sum() for c in required})
    row = t.aggregate(**counts).to_pandas().iloc[0]
    numbered = t.mutate(_row=ibis.row_number() + 1)
    keys = [k for k in spec.keys if k in t.columns]
    problems = []

    def rows(predicate, column, shown):
        cols = [k for k in keys if k != column]
        return (numbered.filter(predicate).order_by("_row")
                .select("_row", *cols, **{column: shown}).limit(5).to_pandas()
                .rename(columns={"_row": "row"}).to_string(index=False))

    for h in helpers:
        count = int(row[f"bad__{h}"] or 0)
        if count:
            column = h.removeprefix("_bad_")
            problems.append(f"column '{column}': expected {hints[column]}; {count} value(s) "
                            f"are not:\n{rows(numbered[h].notnull(), column, numbered[h])}")
    for c in required:
        missing = int(row[f"null__{c}"] or 0)
        if missing and not next(col.nullable for col in spec.columns if col.name == c):
            unparsed = numbered[f"_bad_{c}"].isnull() if f"_bad_{c}" in helpers else True
            shown = numbered[c].isnull() & unparsed
            if helpers and f"_bad_{c}" in helpers:
                missing -= int(row[f"bad__{'_bad_' + c}"] or 0)
            if missing:
                problems.append(
                    f"column '{c}': {missing} missing value(s) in a required column (a line "
                    f"without it cannot be cleaned or counted); fill them in the export, or "
                    f"map another column to '{c}' with column_mapping:\n"
                    f"{rows(shown, c, numbered[c].cast('string'))}")
    if problems:
        where = table + (f" ({source})" if source else "")
        raise schema.SchemaError(f"{where}: {len(problems)} problem(s)\n- "
                                 + "\n- ".join(problems))
    return t.drop(*helpers) if helpers else t


def _final_types(t: ir.Table, table: str, source: str | None) -> ir.Table:
    """Ids stored as decimals become integers when every one is whole; a number column
    of whole numbers only becomes integers (as a typed source would give them)."""
    spec = schema.TABLES[table]
    types = t.schema()
    checks, changes = {}, {}
    for col in spec.columns:
        if col.name not in t.columns:
            continue
        c = t[col.name]
        if col.kind == "id" and types[col.name].is_floating():
            checks[f"frac__{col.name}"] = (c.notnull() & ((c != c.round(0))
                                                          | (c.abs() > 2**53))).sum()
            changes[col.name] = c.cast("int64")
        elif col.name == "quantity" and types[col.name].is_floating():
            checks[f"whole__{col.name}"] = (c.notnull() & (c != c.round(0))).sum()
    if not checks:
        return t
    row = t.aggregate(**checks).to_pandas().iloc[0]
    for key, value in row.items():
        kind, name = key.split("__", 1)
        if kind == "frac" and int(value or 0):
            raise schema.SchemaError(
                f"{table}" + (f" ({source})" if source else "") + f": column '{name}' holds "
                f"{int(value)} id(s) that are not whole numbers (or too large to be exact as "
                "decimals): store ids as text")
        if kind == "whole" and int(value or 0) == 0:
            changes[name] = t[name].cast("int64")
    return t.mutate(**changes) if changes else t


def _is_text_or_excel(name: str | None) -> bool:
    if name is None or Path(name).is_dir():
        return False
    return not "".join(Path(name).suffixes).lower().endswith((".parquet", ".pq"))


def _read_table(
    t: ir.Table, table: str, name: str | None, con, dayfirst=None, decimal=None,
    default_dayfirst: bool = False, store: bool = False,
) -> ir.Table:
    """Parse, store (text sources: parsed once), check and type a canonical table."""
    spec = schema.TABLES[table]
    if not set(spec.required) <= set(t.columns):
        return t  # the validator names the missing columns
    t, hints = parse_columns(t, table, name, dayfirst, decimal, default_dayfirst)
    if "_pos" in t.columns:
        # parse the text once, in the input's order: later queries read the typed copy
        t = con.create_table(f"crmwb_{table}_{next(engine._names)}",
                             t.order_by("_pos").drop("_pos"), temp=True)
    elif store:
        t = con.create_table(f"crmwb_{table}_{next(engine._names)}", t, temp=True)
    t = check_parsed(t, table, name, hints)
    return _final_types(t, table, name)


def read_transactions(
    source: str | Path | pd.DataFrame | ir.Table,
    preset: str | None = None,
    mapping: dict[str, str] | None = None,
    encoding: str | None = None,
    sheet: str | int | list | None = None,
    dayfirst: bool | None = None,
    decimal: str | None = None,
    con: ibis.BaseBackend | None = None,
) -> ir.Table:
    """Read transaction lines from a file or frame into the canonical model.

    Every canonical column of a text or Excel source is read as text and
    parsed strictly (:mod:`crmwb.parsing`): a value is read as the file means
    it, or the read is refused with one error that names the file, the
    column, the first offending rows and the parameter that fixes them.

    Parameters
    ----------
    source : path, DataFrame or ibis Table
        CSV (any delimiter; utf-8 with or without BOM, utf-16, windows-1256,
        windows-1252, latin-1; ``.gz`` too), Excel (``.xlsx``), Parquet (a
        file or a folder of parts), or a frame.
    preset : str, optional
        A public format (:data:`crmwb.presets.PRESETS`): ``online_retail``,
        ``online_retail_ii``, ``cdnow``, ``cdnow_sample``, ``groceries``.
    mapping : dict, optional
        Source column -> canonical column (see :func:`apply_mapping`);
        applied after the preset's own mapping, which it may extend.
    encoding : str, optional
        Text encoding of a CSV file; detected when omitted.
    sheet : str, int or list, optional
        Excel sheet(s); when omitted, every sheet whose header has the
        transaction columns (others are named in a warning, not read).
    dayfirst : bool, optional
        Whether day/month dates are day-first (31/12/2024) or month-first
        (12/31/2024); ISO and Solar Hijri dates are always understood. When
        omitted: the preset's order, else decided over every distinct date
        (month-first, with a warning, when every date could be either).
    decimal : str, optional
        Decimal mark of text numbers: ``"."`` (1,234.5) or ``","`` (1.234,5);
        decided from every value when omitted. Persian and Arabic digits and
        separators are understood either way.
    con : ibis backend, optional
        Engine connection (:func:`crmwb.engine.connect`).

    Returns
    -------
    ibis Table
        The lines, lazily evaluated, with canonical names and types: ids as
        text (as written) or as the integers a typed source stores. The
        structure is validated (columns, types, dates, missing values in
        required columns); values such as negative prices are left to
        :mod:`crmwb.cleaning`.

    Raises
    ------
    SchemaError, ValueError, FileNotFoundError
        Naming the file, the column, example rows and the parameter to set.
    """
    name = None if isinstance(source, (pd.DataFrame, ir.Table)) else str(source)
    con = con if con is not None else engine.connect()
    spec = presets.get_preset(preset) if preset else None
    if spec is not None and spec.table != "transactions":
        raise ValueError(f"preset {preset!r} describes a {spec.table} table, not transaction "
                         f"lines: read it with crmwb.io.read_{spec.table}")
    if decimal not in (None, "", ".", ","):
        raise ValueError(f"decimal: expected '.' or ',' (or None to decide from the file); "
                         f"got {decimal!r}")
    decimal = decimal or None
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
            required = schema.TABLES["transactions"].required
            header = [next((k for k, v in full_mapping.items() if v == c), c) for c in required]
            t = read_raw(source, encoding=encoding, sheet=sheet, con=con, header=header)
    t = apply_mapping(t, full_mapping, "transactions", name)
    if dayfirst is None and spec is not None and spec.dayfirst is not None:
        dayfirst = spec.dayfirst  # the format says which order its dates are in
    default_dayfirst = False
    try:
        t = _read_table(t, "transactions", name, con, dayfirst, decimal, default_dayfirst,
                        store=_is_text_or_excel(name))
        t = schema.validate(t, "transactions", source=name, values=False)
    except duckdb.Error as e:
        raise _read_error(name or "transactions", encoding, e) from None
    return t


def read_customer_table(
    source: str | Path | pd.DataFrame, table: str, mapping: dict[str, str] | None = None,
    encoding: str | None = None, dayfirst: bool | None = None, decimal: str | None = None,
    con: ibis.BaseBackend | None = None,
) -> pd.DataFrame:
    """Read a customer-level canonical table into pandas, validated.

    Text and Excel files go through the same reader as transactions
    (:func:`read_raw`, :func:`parse_columns`): encodings, delimiters, decimal
    marks, day-first and Solar Hijri dates, Persian digits, ids as text.
    """
    if table not in CUSTOMER_LEVEL_TABLES:
        raise ValueError(f"unknown customer-level table {table!r}; expected one of "
                         f"{CUSTOMER_LEVEL_TABLES}")
    name = None if isinstance(source, pd.DataFrame) else str(source)
    con = con if con is not None else engine.connect()
    if name is None:
        t = engine.open_table(source, con=con)
    else:
        t = read_raw(source, encoding=encoding, con=con,
                     header=schema.TABLES[table].required)
    t = apply_mapping(t, mapping, table, name)
    try:
        t = _read_table(t, table, name, con, dayfirst, decimal or None,
                        store=_is_text_or_excel(name))
        frame = engine.to_pandas(t)
    except duckdb.Error as e:
        raise _read_error(name or table, encoding, e) from None
    frame = schema.validate(frame, table, source=name)
    keys = schema.TABLES[table].keys
    if len(keys) == 1 and keys[0] in frame.columns:
        dup = frame[keys[0]].notna() & frame[keys[0]].duplicated(keep=False)
        if dup.any():
            shown = frame.loc[dup].head(6)
            raise schema.SchemaError(
                f"{table}" + (f" ({name})" if name else "") + f": {int(dup.sum())} rows share "
                f"a {keys[0]} with another row; each {keys[0]} must be one row. "
                f"Rows (0 = first data row):\n{shown.to_string()}")
    return frame


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
    #: the preset the transactions were read with (its non-product codes, ...)
    preset: str | None = None

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
    transactions, tables = _same_id_type(transactions, tables)
    return Dataset(source=Path(data_dir) if data_dir else tx_file, transactions=transactions,
                   preset=options.get("preset"), **tables)


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
            "replaced; choose another output folder (a folder written by a crmwb older than "
            "its manifests: remove it yourself)"
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


def _same_id_type(transactions: ir.Table, tables: dict) -> tuple[ir.Table, dict]:
    """Customer ids of one type across the tables: text wherever one table has text ids
    (an integer id is written the one way, so ``42`` stays ``42`` and never meets ``0042``)."""
    frames = {k: v for k, v in tables.items() if isinstance(v, pd.DataFrame)
              and "customer_id" in v.columns and k != "catalogue"}
    text = transactions.schema()["customer_id"].is_string() or any(
        pd.api.types.is_string_dtype(f["customer_id"]) or f["customer_id"].dtype == object
        for f in frames.values())
    if not text:
        return transactions, tables
    if not transactions.schema()["customer_id"].is_string():
        transactions = transactions.mutate(customer_id=transactions.customer_id.cast("string"))
    out = dict(tables)
    for k, f in frames.items():
        if not pd.api.types.is_string_dtype(f["customer_id"]):
            f = f.copy()
            f["customer_id"] = f["customer_id"].map(
                lambda v: v if v is None or v != v or isinstance(v, str) else str(int(v)))
            out[k] = f.astype({"customer_id": "string"})
    return transactions, out


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
