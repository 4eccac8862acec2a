"""The prepared dataset: the raw sources read, cleaned and identified once.

:func:`prepare` (``crmwb prepare`` on the command line) reads the sources (a
data folder, or one export with a preset or a column mapping), validates
every value, resolves identities and cleans the lines, and writes a folder of
Parquet tables with a ``manifest.json``; :func:`open` gives every notebook
and script the same tables back. The raw data is only ever read: prepared
data has a folder of its own, ``data/prepared/NAME`` (the layout of
cookiecutter-data-science, where ``data/raw`` is never written).

The folder (every table Parquet, written whole or not at all):

``lines.parquet``
    Every purchase line that cleaning kept, under master customer ids, in
    the input's order, with its ``line_id`` (its position in the input, from
    0), ``quantity_bought``, ``quantity_cancelled`` (taken back by
    cancellations over the whole history), ``quantity`` (what is left; 0
    for a purchase cancelled in full) and ``outlier``.
``cancellations.parquet``
    Every cancellation line with its ``line_id``, ``matched_quantity`` and
    ``unmatched_quantity``.
``cancellation_matches.parquet``
    ``cancellation_line_id``, ``purchase_line_id``, ``quantity`` and the
    cancellation's own ``date``: which purchase each cancellation nets, and
    when that became known (:meth:`PreparedData.lines_as_of`).
``duplicates``, ``non_product``, ``invalid_prices``, ``cancelled_purchases``, ``anonymous``
    The lines set aside (``.parquet`` each; ``anonymous`` only when those
    lines are removed).
``customers``, ``customer_records``, ``crosswalk``, ``identity_matches``
    One master record per person (with ``records``, how many ids they had),
    every record as read, each id with its master id and evidence, and the
    pairs of records found to be one person.
``contacts``, ``surveys``, ``campaigns``, ``leads``, ``suspects``, ``subscriptions``, ``catalogue``
    The customer-level tables the sources have, under master ids.
``cleaning_log.parquet``, ``quality_*.parquet``, ``raw_sample.parquet``
    What each cleaning rule did, the data-quality report of the raw lines,
    and the first raw lines as read (for showing the raw data).
``manifest.json``
    crmwb's version, the parameters that shaped the data, each source file
    with its size and SHA-256, the row count of every table, when and how
    long; and the engine settings it is opened with.

A prepared dataset is *current* for some parameters when its manifest has
the same crmwb version, the same parameters and the same source files by
checksum (:func:`is_current`); :func:`ensure` reuses a current one and
prepares again otherwise.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from crmwb import __version__, config, engine, io

#: The file that describes a prepared dataset.
MANIFEST = "manifest.json"


@dataclass(frozen=True)
class Parameter:
    """A parameter of the preparation: its type (as papermill names it), default and meaning."""

    kind: str
    default: object
    help: str


#: Where the data comes from and how it is read: these shape the prepared data.
SOURCE_PARAMETERS = {
    "data_dir": Parameter("str", "", "folder holding the canonical tables; empty for the "
                          "bundled synthetic data"),
    "transactions_path": Parameter("str", "", "a transactions export to read instead of the "
                                   "one in data_dir"),
    "preset": Parameter("str", "", "a public format: online_retail, online_retail_ii, cdnow, "
                        "cdnow_sample, groceries"),
    "column_mapping": Parameter("dict", None, "export columns renamed to canonical names, e.g. "
                                '{"Invoice": "invoice_id"}'),
    "encoding": Parameter("str", "", "text encoding of a CSV export; detected when empty"),
    "sheet": Parameter("str", "", "Excel sheet to read; every sheet when empty"),
    "dayfirst": Parameter("bool", None, "True for 31/12/2024 dates, False for 12/31/2024; "
                          "decided from every date when empty"),
    "decimal": Parameter("str", "", 'decimal mark of numbers in a text export: "." (1,234.5) '
                         'or "," (1.234,5); decided from every value when empty'),
}
#: How lines are cleaned and customers identified: these shape the prepared data too.
CLEANING_PARAMETERS = {
    "keep_anonymous": Parameter("bool", True, "keep lines without a customer id (for basket "
                                "analysis)"),
    "outlier_threshold": Parameter("float", 5.0, "robust z-score of the log line value above "
                                   "which a line is flagged"),
    "phone_region": Parameter("str", "IR", "where phone numbers written without a country "
                              "code are from: IR, DE, GB, ..."),
    "free_purchases": Parameter("bool", True, "keep a known customer's free order (an invoice "
                                "whose lines all have a price of zero: a promotion) as a "
                                "purchase; false sets it aside with the invalid prices"),
    "currency": Parameter("str", "", "ISO 4217 code of the data's money (GBP, USD, IRR), "
                          "written beside every amount; a preset's own (GBP for Online Retail, "
                          "USD for CDNOW) or the bundled shop's IRR when empty, else none"),
}
#: Where lines are processed: these do not change the data, only how it is read and opened.
ENGINE_PARAMETERS = {
    "engine": Parameter("str", "duckdb", "where transaction lines are processed: duckdb (this "
                        "machine, larger than memory included) or spark (reading exports is "
                        "always DuckDB's job)"),
    "duckdb_memory_limit": Parameter("str", "", 'memory DuckDB may use, e.g. "4GB", spilling to '
                                     "disk beyond it; 80% of RAM when empty"),
    "duckdb_temp_dir": Parameter("str", "", "folder DuckDB spills to; .tmp in the working "
                                 "directory when empty"),
    "spark_master": Parameter("str", "local[*]", "Spark master URL when engine is spark, e.g. "
                              "spark://host:7077, yarn or local[*]"),
    "spark_memory": Parameter("str", "2g", "Spark driver memory when engine is spark"),
    "spark_config": Parameter("dict", None, "further Spark settings when engine is spark, e.g. "
                              '{"spark.executor.memory": "8g"}'),
}
#: Every parameter of the preparation, declared once: ``crmwb prepare``, the runner and
#: :func:`open` read these.
PARAMETERS = {**SOURCE_PARAMETERS, **CLEANING_PARAMETERS, **ENGINE_PARAMETERS}
#: The parameters that shape the data (a change prepares again).
DATA_PARAMETERS = (*SOURCE_PARAMETERS, *CLEANING_PARAMETERS)

#: Lines set aside by cleaning, by the name of their table in the folder.
SET_ASIDE = ("duplicates", "non_product", "invalid_prices", "cancelled_purchases", "anonymous")
#: Customer-level tables carried over under master ids.
CUSTOMER_TABLES = ("contacts", "surveys", "campaigns", "leads", "suspects", "subscriptions")
#: Raw lines kept for showing what the data looked like.
RAW_SAMPLE_LINES = 20_000


def settings(params: dict | None = None) -> dict:
    """Every parameter of :data:`PARAMETERS` with its value: ``params``' or the default.

    Raises
    ------
    ValueError
        For a name that is not a preparation parameter.
    """
    params = dict(params or {})
    unknown = sorted(set(params) - set(PARAMETERS))
    if unknown:
        raise ValueError(f"not preparation parameters: {unknown}; the preparation takes "
                         f"{', '.join(PARAMETERS)}")
    out = {name: p.default for name, p in PARAMETERS.items()}
    out.update({k: v for k, v in params.items()})
    return out


def _data_settings(values: dict) -> dict:
    out = {}
    for name in DATA_PARAMETERS:
        value = values.get(name, PARAMETERS[name].default)
        if name in ("data_dir", "transactions_path") and value:
            value = str(Path(value).expanduser().resolve())
        out[name] = value
    if not out["data_dir"] and not out["transactions_path"]:
        out["data_dir"] = str(config.DEFAULT_DATA_DIR)
    return out


def _engine_settings(values: dict) -> dict:
    return {name: values.get(name, PARAMETERS[name].default) for name in ENGINE_PARAMETERS}


def default_folder(params: dict | None = None) -> Path:
    """Where :func:`prepare` writes by default: ``data/prepared/NAME``.

    NAME is ``default`` for the bundled shop, else the data folder's name or the
    export's name without its suffixes.

    >>> default_folder({"transactions_path": "/exports/shop_2024.csv.gz"}).name
    'shop_2024'
    """
    values = _data_settings(settings(params))
    if values["transactions_path"]:
        name = Path(values["transactions_path"]).name.split(".")[0]
    elif Path(values["data_dir"]) == config.DEFAULT_DATA_DIR:
        name = "default"
    else:
        name = Path(values["data_dir"]).name
    return config.DATA_DIR / "prepared" / (name or "data")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def source_files(params: dict | None = None) -> list[Path]:
    """The files the preparation reads for ``params``, sorted.

    The transactions file (each part of a folder of Parquet parts) and every
    customer-level table and catalogue found in the data folder.
    """
    values = _data_settings(settings(params))
    found: list[Path] = []
    if values["data_dir"]:
        folder = Path(values["data_dir"])
        names = io.CUSTOMER_LEVEL_TABLES + ("catalogue",)
        if not values["transactions_path"]:
            names = ("transactions",) + names
        for name in names:
            path = io.find_table_file(folder, name)
            if path is not None:
                found.append(path)
    if values["transactions_path"]:
        found.append(Path(values["transactions_path"]))
    files: list[Path] = []
    for path in found:
        files.extend(sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir()
                     else [path])
    return sorted({p.resolve() for p in files})


def _describe_sources(files: list[Path]) -> list[dict]:
    return [{"path": str(p), "bytes": p.stat().st_size, "sha256": _sha256(p)} for p in files]


def _frame(table) -> pd.DataFrame:
    return engine.to_pandas(table) if isinstance(table, ir.Table) else table


def _quality_frames(report) -> dict[str, pd.DataFrame]:
    summary = report.summary.copy()
    values = summary.pop("value")
    dates = values.map(lambda v: isinstance(v, pd.Timestamp | dt.datetime))
    summary["value_number"] = pd.to_numeric(values.where(~dates), errors="coerce")
    summary["value_date"] = pd.to_datetime(values.where(dates))
    # counts stay whole numbers when read back (Parquet holds one type per column)
    summary["value_is_count"] = values.map(
        lambda v: isinstance(v, int | np.integer) and not isinstance(v, bool))
    frames = {"quality_summary": summary, "quality_completeness": report.completeness,
              "quality_validity": report.validity, "quality_months": report.months,
              "quality_days": report.days}
    if report.customer_completeness is not None:
        frames["quality_customer_completeness"] = report.customer_completeness
    return frames


def _log_frame(log: pd.DataFrame) -> pd.DataFrame:
    out = log.copy()
    sentences = log.attrs.get("sentences") or [("", {})] * len(log)
    out["sentence"] = [key for key, _ in sentences]
    out["sentence_values"] = [json.dumps(values, default=str) for _, values in sentences]
    return out


def _master_records(customers: pd.DataFrame, cw: pd.DataFrame) -> pd.DataFrame:
    masters = cw.loc[cw["customer_id"] == cw["master_id"], ["customer_id", "records"]]
    return customers.merge(masters, on="customer_id").reset_index(drop=True)


def prepare(
    params: dict | None = None,
    out_dir: str | Path | None = None,
    log: Callable[[str], None] = print,
) -> Path:
    """Read, validate, identify and clean the sources once, and write the prepared dataset.

    Parameters
    ----------
    params : dict, optional
        Values of :data:`PARAMETERS` (the sources, how to read them, cleaning
        and engine settings); the bundled shop with every default when omitted.
    out_dir : str or Path, optional
        The folder to write; :func:`default_folder` when omitted. An existing
        prepared dataset there is replaced; a folder crmwb did not write, or
        one that equals, contains or lies inside a source, is refused.
    log : callable
        Receives progress lines.

    Returns
    -------
    Path
        The prepared folder.
    """
    from crmwb import cleaning, identity, quality

    started = time.perf_counter()
    values = settings(params)
    data_values = _data_settings(values)
    engine_values = _engine_settings(values)
    out_dir = Path(out_dir).expanduser().resolve() if out_dir else default_folder(values)
    if data_values["data_dir"] == str(config.DEFAULT_DATA_DIR):
        from crmwb.datasets import ensure_default_data

        ensure_default_data()
    inputs = [p for p in (data_values["data_dir"], data_values["transactions_path"]) if p]
    io.check_output_folder(out_dir, inputs, "--out")
    files = source_files(values)
    # checksums of the files before they are read: a file changed while it is prepared then
    # makes the dataset stale, never current with data it does not hold
    sources = _describe_sources(files)
    log(f"preparing {', '.join(map(config.console_path, inputs))} -> "
        f"{config.console_path(out_dir)}")
    # reading exports is DuckDB's job whatever engine the analyses use
    con = engine.connect(memory_limit=engine_values["duckdb_memory_limit"] or None,
                         temp_directory=engine_values["duckdb_temp_dir"] or None)
    data = io.read_dataset(
        data_values["data_dir"], con=con, transactions_path=data_values["transactions_path"],
        mapping=data_values["column_mapping"], preset=data_values["preset"],
        encoding=data_values["encoding"], sheet=data_values["sheet"],
        dayfirst=data_values["dayfirst"], decimal=data_values["decimal"])
    # a text or Excel export is parsed through lookups: computed once; Parquet is re-read
    # cheaply, and a copy of millions of lines would only spill
    source = Path(data_values["transactions_path"]) if data_values["transactions_path"] else \
        io.find_table_file(data_values["data_dir"], "transactions")
    parquet = source.is_dir() or source.name.lower().endswith((".parquet", ".pq"))
    raw = data.transactions if parquet else engine.materialize(data.transactions)
    step = [time.perf_counter()]

    def done(what: str) -> None:
        now = time.perf_counter()
        log(f"  {what} ({now - step[0]:.1f} s)")
        step[0] = now

    done("read and checked")
    cw = matches = None
    if data.customers is not None and len(data.customers):
        matches = identity.match_customers(data.customers, region=data_values["phone_region"])
        cw = identity.crosswalk(data.customers, matches)
        done(f"{len(cw):,} customer records are {cw['master_id'].nunique():,} people")
    report = quality.quality_report(raw, data.customers, cw)
    done("data-quality report")
    result = cleaning.clean_transactions(
        raw, keep_anonymous=data_values["keep_anonymous"],
        non_product_pattern=cleaning.non_product_pattern(data.preset),
        free_purchases=data_values["free_purchases"],
        identical_lines_are_real=cleaning.identical_lines_are_real(data.preset),
        outlier_threshold=data_values["outlier_threshold"], con=con, crosswalk=cw,
        line_ids=True)
    accounts = result.accounts()
    done(f"cleaned: {accounts['lines']:,} clean lines of {accounts['lines_in']:,}")

    # the purchases as bought, each with what cancellations took back over the whole history
    m = result.matches
    netted = m.groupby("b_line", as_index=False)["quantity"].sum().rename(
        columns={"b_line": "_b", "quantity": "_taken"})
    netted_t = engine.open_table(netted, con=con)
    kept = result.lines.left_join(netted_t, result.lines.line_id == netted_t._b)
    kept = kept.mutate(quantity_cancelled=kept._taken.fill_null(0).cast("float64")).drop(
        "_b", "_taken")
    kept = kept.mutate(quantity_bought=(kept.quantity + kept.quantity_cancelled).cast("float64"))
    gone = result.cancelled_purchases
    gone = gone.mutate(quantity_bought=gone.quantity.cast("float64"),
                       quantity_cancelled=gone.quantity.cast("float64"),
                       quantity=ibis.literal(0).cast(gone.quantity.type()),
                       outlier=ibis.literal(False))
    lines = ibis.union(kept, gone.select(*kept.columns)).order_by("line_id")
    c = result.cancellations
    dates = engine.to_pandas(c.select("line_id", "date"))
    links = m.rename(columns={"c_line": "cancellation_line_id", "b_line": "purchase_line_id"})
    links = links.merge(dates.rename(columns={"line_id": "cancellation_line_id"}),
                        on="cancellation_line_id", how="left")

    tables: dict[str, object] = {"lines": lines, "cancellations": c,
                                 "cancellation_matches": links}
    for name in SET_ASIDE:
        table = getattr(result, name)
        if table is not None:
            tables[name] = table
    if data.customers is not None:
        tables["customer_records"] = data.customers
        if cw is not None:
            tables["customers"] = _master_records(data.customers, cw)
            tables["crosswalk"] = cw
            tables["identity_matches"] = matches
    for name in CUSTOMER_TABLES:
        frame = getattr(data, name)
        if frame is not None:
            tables[name] = identity.rekey_frame(frame, cw) if "customer_id" in frame else frame
    if data.catalogue is not None:
        tables["catalogue"] = data.catalogue
    tables["cleaning_log"] = _log_frame(result.log)
    tables.update(_quality_frames(report))
    tables["raw_sample"] = raw.head(RAW_SAMPLE_LINES)

    counts: dict[str, int] = {}

    def fill(tmp: Path) -> None:
        for name, table in tables.items():
            target = tmp / f"{name}.parquet"
            if isinstance(table, ir.Table):
                table.to_parquet(target)
            else:
                table.to_parquet(target, index=False)
            counts[name] = int(con.read_parquet(str(target)).count().execute())
        manifest = {
            "crmwb_version": __version__,
            "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "seconds": round(time.perf_counter() - started, 1),
            "parameters": data_values,
            "engine": engine_values,
            "preset": data.preset,
            "sources": sources,
            "rows": counts,
            "accounts": accounts,
            "tables": sorted(tables),
        }
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=1, ensure_ascii=False,
                                               default=str), encoding="utf-8")

    io.write_folder(out_dir, fill, overwrite=True, inputs=inputs)
    done(f"{len(tables)} tables written")
    log(f"prepared {accounts['lines']:,} clean lines of {accounts['lines_in']:,} in "
        f"{time.perf_counter() - started:.1f} s: {config.console_path(out_dir)}")
    return out_dir


def read_manifest(path: str | Path) -> dict:
    """The manifest of a prepared dataset; FileNotFoundError naming the folder when absent."""
    file = Path(path) / MANIFEST
    if not file.exists():
        raise FileNotFoundError(f"{path}: not a prepared dataset (no {MANIFEST}); prepare it "
                                "with `crmwb prepare --out` or point `prepared` at one")
    return json.loads(file.read_text(encoding="utf-8"))


def differences(path: str | Path, params: dict | None = None) -> list[str]:
    """Why the prepared dataset at ``path`` does not match ``params``; empty when it does.

    It matches when it was written by this crmwb version, with the same
    parameters that shape the data, from the same source files (by SHA-256).
    """
    try:
        manifest = read_manifest(path)
    except (FileNotFoundError, ValueError):
        return ["no prepared dataset there"]
    values = settings(params)
    if values["data_dir"] in ("", None) and not values["transactions_path"]:
        if not (config.DEFAULT_DATA_DIR / "transactions.parquet").exists():
            return ["the default data is not written yet"]
    why = []
    if manifest.get("crmwb_version") != __version__:
        why.append(f"written by crmwb {manifest.get('crmwb_version')}, this is {__version__}")
    wanted = _data_settings(values)
    had = manifest.get("parameters", {})
    changed = sorted(k for k in wanted if had.get(k) != wanted[k])
    if changed:
        why.append(f"parameters changed: {', '.join(changed)}")
    else:
        before = {s["path"]: (s["bytes"], s["sha256"]) for s in manifest.get("sources", [])}
        files = source_files(values)
        now = {str(p): p for p in files}
        if set(before) != set(now):
            why.append("the source files are not the same files")
        else:
            for name, p in now.items():
                if p.stat().st_size != before[name][0] or _sha256(p) != before[name][1]:
                    why.append(f"{name} changed")
                    break
    return why


def is_current(path: str | Path, params: dict | None = None) -> bool:
    """Whether the prepared dataset at ``path`` matches ``params`` (:func:`differences`)."""
    return not differences(path, params)


def ensure(
    params: dict | None = None,
    out_dir: str | Path | None = None,
    log: Callable[[str], None] = print,
) -> tuple[Path, bool]:
    """The prepared dataset for ``params``: reused when current, prepared again otherwise.

    Returns
    -------
    (Path, bool)
        The folder, and whether it was reused. The engine settings of
        ``params`` are recorded in a reused dataset's manifest, so that
        :func:`open` opens it with them.
    """
    folder = Path(out_dir).expanduser().resolve() if out_dir else default_folder(params)
    why = differences(folder, params)
    if not why:
        record_engine(folder, params)
        log(f"reusing the prepared data in {config.console_path(folder)} (same sources, "
            "parameters and crmwb version)")
        return folder, True
    log(f"preparing again ({'; '.join(why)})")
    return prepare(params, folder, log), False


def record_engine(path: str | Path, params: dict | None = None) -> None:
    """Record the engine settings of ``params`` (defaults for those not given) in the
    manifest at ``path``, where :func:`open` finds them; the data is untouched."""
    folder = Path(path)
    manifest = read_manifest(folder)
    wanted = _engine_settings({k: v for k, v in (params or {}).items()
                               if k in ENGINE_PARAMETERS})
    if manifest.get("engine") == wanted:
        return
    manifest["engine"] = wanted
    tmp = folder / f".{MANIFEST}.tmp"
    tmp.write_text(json.dumps(manifest, indent=1, ensure_ascii=False, default=str),
                   encoding="utf-8")
    io.replace_file(tmp, folder / MANIFEST)


@dataclass
class PreparedData:
    """The tables of a prepared dataset, as :func:`open` gives them.

    The lines and the tables of lines set aside are Ibis tables on the engine
    (DuckDB or Spark) reading the folder's Parquet; customer-level tables are
    pandas frames, or None when the sources had none.
    """

    path: Path
    manifest: dict
    con: ibis.BaseBackend
    #: every purchase line kept, with quantity_bought / quantity_cancelled (see the module)
    purchases: ir.Table
    cancellations: ir.Table
    cancellation_matches: ir.Table
    customers: pd.DataFrame | None = None
    customer_records: pd.DataFrame | None = None
    crosswalk: pd.DataFrame | None = None
    identity_matches: pd.DataFrame | None = None
    contacts: pd.DataFrame | None = None
    surveys: pd.DataFrame | None = None
    campaigns: pd.DataFrame | None = None
    leads: pd.DataFrame | None = None
    suspects: pd.DataFrame | None = None
    subscriptions: pd.DataFrame | None = None
    catalogue: pd.DataFrame | None = None
    cleaning_log: pd.DataFrame | None = None
    _lines: ir.Table | None = field(default=None, repr=False)

    @property
    def lines(self) -> ir.Table:
        """The clean lines: every purchase with what is left after all its cancellations
        (purchases cancelled in full left out), canonical columns plus ``line_id`` and
        ``outlier``; the lines :func:`crmwb.cleaning.clean_dataset` gives."""
        if self._lines is None:
            p = self.purchases
            self._lines = p.filter(p.quantity > 0).drop("quantity_bought",
                                                        "quantity_cancelled")
        return self._lines

    def lines_as_of(self, cutoff) -> ir.Table:
        """The lines as they were known at the end of the day ``cutoff``.

        Purchases dated on or before that day, netted only by the cancellations
        dated on or before it (a purchase cancelled later is still whole);
        purchases nothing is left of are left out. Columns as :attr:`lines`.
        Churn features, the CLV calibration period and every other as-of
        computation read these.
        """
        stop = pd.Timestamp(cutoff).normalize() + pd.Timedelta(days=1)
        stop_lit = ibis.literal(stop).cast("timestamp")
        p = self.purchases.filter(self.purchases.date < stop_lit)
        m = self.cancellation_matches
        m = m.filter(m.date < stop_lit)
        taken = m.group_by(_b=m.purchase_line_id).agg(_taken=m.quantity.sum())
        j = p.left_join(taken, p.line_id == taken._b)
        left = j.quantity_bought - j._taken.fill_null(0)
        j = j.mutate(quantity=left.cast(self.purchases.quantity.type()), _left=left)
        # no ordering: every consumer aggregates, and a sort of millions of lines per
        # cutoff would cost more than the query (order by line_id to see them as exported)
        return j.filter(j._left > 0).select(*self.lines.columns)

    def cancellations_as_of(self, cutoff) -> ir.Table:
        """The cancellation lines dated on or before the day ``cutoff``."""
        stop = pd.Timestamp(cutoff).normalize() + pd.Timedelta(days=1)
        c = self.cancellations
        return c.filter(c.date < ibis.literal(stop).cast("timestamp"))

    def table(self, name: str) -> ir.Table | pd.DataFrame | None:
        """Any table of the folder by name (see the module): lines-sized ones as Ibis tables,
        customer-level and report tables as pandas; None when the folder has none."""
        path = self.path / f"{name}.parquet"
        if not path.exists():
            return None
        if name in ("lines", "cancellations", "cancellation_matches", "raw_sample", *SET_ASIDE):
            return engine.open_table(path, con=self.con)
        return pd.read_parquet(path)

    def quality_summary(self) -> pd.DataFrame:
        """The data-quality summary: question, measure, value (numbers and dates)."""
        s = self.table("quality_summary")
        number = s["value_number"].astype(object)
        if "value_is_count" in s:
            counts = s["value_is_count"].fillna(False).astype(bool) & s["value_number"].notna()
            number[counts] = s.loc[counts, "value_number"].astype(np.int64).to_numpy()
        value = number.where(s["value_number"].notna(), s["value_date"])
        out = s.drop(columns=["value_number", "value_date", "value_is_count"], errors="ignore")
        out["value"] = value.where(value.notna(), None)
        return out

    def log_with_sentences(self) -> pd.DataFrame:
        """The cleaning log, to be said in any language (:func:`crmwb.cleaning.describe_log`)."""
        log = self.cleaning_log.drop(columns=["sentence", "sentence_values"])
        log.attrs["sentences"] = [(k, json.loads(v)) for k, v in
                                  zip(self.cleaning_log["sentence"],
                                      self.cleaning_log["sentence_values"])]
        return log

    def contents(self) -> pd.DataFrame:
        """Every table of the folder with its rows (from the manifest), in the folder's order:
        the lines, what was set aside, identities, customer-level tables, reports."""
        rows = self.manifest["rows"]
        order = ["lines", "cancellations", "cancellation_matches", *SET_ASIDE,
                 "customers", "customer_records", "crosswalk", "identity_matches",
                 *CUSTOMER_TABLES, "catalogue", "cleaning_log"]
        names = [n for n in order if n in rows] + sorted(
            n for n in rows if n not in order and n != "raw_sample")
        return pd.DataFrame({"rows": [rows[n] for n in names]},
                            index=pd.Index(names, name="table"))

    def present(self) -> list[str]:
        """Names of the tables to analyse: ``lines`` and the customer-level tables it has."""
        names = ["lines", "customers", *CUSTOMER_TABLES, "catalogue"]
        return [n for n in names if n == "lines" or getattr(self, n) is not None]

    @property
    def currency(self) -> str:
        """The ISO 4217 code of the data's money: the ``currency`` parameter, else the
        preset's (GBP for Online Retail, USD for CDNOW), else IRR for a shop crmwb
        generated (the bundled one); empty when the data do not say."""
        from crmwb import presets

        params = self.manifest.get("parameters", {})
        if params.get("currency"):
            return str(params["currency"]).strip().upper()
        if params.get("preset"):
            return presets.get_preset(params["preset"]).currency
        source = params.get("data_dir") or ""
        generated = not params.get("transactions_path") and source and (
            Path(source) / "truth" / "params.json").exists()
        return "IRR" if generated or self.is_default else ""

    @property
    def holidays(self) -> str:
        """The country whose key dates mark the data's timelines, as the data's currency
        says it: IR for rials (the bundled shop, an Iranian export: Nowruz, Ramadan, Tasua
        and Ashura); else none (empty), never guessed (a UK shop has no Nowruz)."""
        return "IR" if self.currency == "IRR" else ""

    @property
    def is_default(self) -> bool:
        """Whether this is the bundled synthetic shop."""
        return Path(self.manifest["parameters"].get("data_dir") or "") == \
            config.DEFAULT_DATA_DIR and not self.manifest["parameters"].get("transactions_path")


def _connect(settings_: dict, engine_: str | ibis.BaseBackend | None) -> ibis.BaseBackend:
    if engine_ is not None and not isinstance(engine_, str):
        return engine_
    name = engine_ or settings_.get("engine") or "duckdb"
    return engine.connect_engine(
        name, {"master": settings_.get("spark_master") or "local[*]",
               "memory": settings_.get("spark_memory") or "2g",
               "config": settings_.get("spark_config")},
        memory_limit=settings_.get("duckdb_memory_limit") or None,
        temp_directory=settings_.get("duckdb_temp_dir") or None)


def open(path: str | Path | None = None,  # noqa: A001 - the module's verb, as io.open
         engine: str | ibis.BaseBackend | None = None) -> PreparedData:
    """Open a prepared dataset.

    Parameters
    ----------
    path : str or Path, optional
        The prepared folder. Empty or None: the bundled shop, prepared on first
        use (and again when its data or crmwb changed), so that a notebook
        opened alone runs.
    engine : {"duckdb", "spark"} or ibis backend, optional
        Where the lines are processed; the engine settings recorded in the
        manifest (those of the last run) when omitted.

    Returns
    -------
    PreparedData
    """
    if not path:
        folder, _ = ensure(log=lambda line: None)
    else:
        folder = Path(path).expanduser().resolve()
    manifest = read_manifest(folder)
    con = _connect(manifest.get("engine", {}), engine)

    def lines_table(name: str) -> ir.Table:
        return engine_module.open_table(folder / f"{name}.parquet", con=con)

    def frame(name: str) -> pd.DataFrame | None:
        file = folder / f"{name}.parquet"
        return pd.read_parquet(file) if file.exists() else None

    tables = {name: frame(name) for name in (
        "customers", "customer_records", "crosswalk", "identity_matches", *CUSTOMER_TABLES,
        "catalogue", "cleaning_log")}
    return PreparedData(path=folder, manifest=manifest, con=con,
                        purchases=lines_table("lines"),
                        cancellations=lines_table("cancellations"),
                        cancellation_matches=lines_table("cancellation_matches"), **tables)


engine_module = engine
