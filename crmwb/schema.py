"""The canonical data model: the tables every analysis reads, and their validators.

Every source (a CSV export, an Excel workbook, the synthetic generator) is
brought into these tables before analysis. Columns marked *required* must be
present; the others are used when present.

transactions
    One line per product on an invoice.
    ``invoice_id`` (str; a leading ``C`` marks a cancellation, *required*),
    ``customer_id`` (int or str; missing for anonymous sales, *required*),
    ``date`` (datetime; missing where the source has none, *required*),
    ``product_id`` (str, *required*),
    ``description`` (str), ``category`` (str), ``brand`` (str),
    ``quantity`` (number; negative on cancellations, *required*),
    ``unit_price`` (number >= 0; missing where the source has none, *required*), ``channel`` (str),
    ``country`` (str), ``region`` (str).
customers
    One row per customer id.
    ``customer_id`` (*required*), ``name``, ``email``, ``phone``, ``city``,
    ``region``, ``signup_date`` (datetime), ``customer_type``
    (``retail`` | ``wholesale``), ``acquisition_channel``, ``age`` (integer),
    ``gender`` (``female`` | ``male``).
contacts
    One row per contact with the front line.
    ``customer_id``, ``date``, ``channel`` (``phone`` | ``email`` | ``social`` |
    ``sms`` | ``chat`` | ``website`` | ``in_person``), ``kind`` (``question`` |
    ``request`` | ``complaint``), ``category`` (``quality`` | ``delivery`` |
    ``price`` | ``warranty`` | ``responsiveness``), ``severity`` (1-5),
    ``resolved_date`` (datetime; missing while unresolved).
surveys
    One row per answered satisfaction survey.
    ``customer_id``, ``date``, ``csat`` (1-5), ``nps`` (0-10).
campaigns
    One row per customer targeted by a direct-marketing campaign.
    ``customer_id``, ``campaign_id``, ``date``, ``group`` (``treatment`` |
    ``control``), ``responded`` (bool), ``revenue`` (>= 0), ``cost`` (>= 0).
leads
    Prospects: people contacted who never bought.
    ``lead_id``, ``contact_date``, ``name``, ``email``, ``phone``, ``city``,
    ``region``, ``source``.
suspects
    People in the market who might need the products, never contacted.
    ``suspect_id``, ``city``, ``region``, ``age``, ``gender``.
subscriptions
    Contractual customers (a telecom's subscribers), one row each, for
    contractual churn. ``customer_id``, ``tenure`` (whole months so far),
    ``contract`` (``month-to-month`` | ``one year`` | ``two year``),
    ``monthly_charges`` (>= 0), ``total_charges`` (>= 0; missing for new
    subscribers), ``churned`` (bool), ``gender``; a source's other columns
    (services, payment method, ...) are kept beside them.

Each table has a validator (:func:`validate_transactions`, ...). A validator
runs its checks as Ibis expressions, so it works on a pandas frame and on a
large file opened through :mod:`crmwb.engine` alike, and raises one
:class:`SchemaError` that lists every problem with the table, the column and
the first offending rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import ibis
import ibis.expr.types as ir
import pandas as pd

ROW = "_row"

CONTACT_CHANNELS = ("phone", "email", "social", "sms", "chat", "website", "in_person")
CONTACT_KINDS = ("question", "request", "complaint")
COMPLAINT_CATEGORIES = ("quality", "delivery", "price", "warranty", "responsiveness")
CUSTOMER_TYPES = ("retail", "wholesale")
GENDERS = ("female", "male")
CAMPAIGN_GROUPS = ("treatment", "control")
CONTRACTS = ("month-to-month", "one year", "two year")


class SchemaError(ValueError):
    """A table does not match the canonical data model."""


@dataclass(frozen=True)
class Column:
    """One column of a canonical table.

    Parameters
    ----------
    name : str
        Column name in the canonical model.
    kind : str
        One of ``id``, ``str``, ``date``, ``number``, ``integer``, ``category``,
        ``bool``.
    required : bool
        Whether the column must be present.
    nullable : bool
        Whether missing values are allowed.
    values : tuple of str, optional
        Allowed values for a ``category`` column.
    min, max : float, optional
        Allowed range for ``number`` and ``integer`` columns.
    """

    name: str
    kind: str
    required: bool = False
    nullable: bool = True
    values: tuple[str, ...] = ()
    min: float | None = None
    max: float | None = None


@dataclass(frozen=True)
class TableSpec:
    """The columns of one canonical table."""

    name: str
    columns: tuple[Column, ...]
    keys: tuple[str, ...] = field(default=())

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required(self) -> list[str]:
        return [c.name for c in self.columns if c.required]


def _c(name: str, kind: str, **kw: Any) -> Column:
    return Column(name, kind, **kw)


TABLES: dict[str, TableSpec] = {
    "transactions": TableSpec(
        "transactions",
        (
            _c("invoice_id", "str", required=True, nullable=False),
            _c("customer_id", "id", required=True),
            _c("date", "date", required=True),
            _c("product_id", "str", required=True, nullable=False),
            _c("description", "str"),
            _c("category", "str"),
            _c("brand", "str"),
            _c("quantity", "number", required=True, nullable=False),
            _c("unit_price", "number", required=True, min=0),
            _c("channel", "str"),
            _c("country", "str"),
            _c("region", "str"),
        ),
        keys=("invoice_id", "customer_id", "product_id"),
    ),
    "customers": TableSpec(
        "customers",
        (
            _c("customer_id", "id", required=True, nullable=False),
            _c("name", "str"),
            _c("email", "str"),
            _c("phone", "str"),
            _c("city", "str"),
            _c("region", "str"),
            _c("signup_date", "date"),
            _c("customer_type", "category", values=CUSTOMER_TYPES),
            _c("acquisition_channel", "str"),
            _c("age", "integer", min=0, max=120),
            _c("gender", "category", values=GENDERS),
        ),
        keys=("customer_id",),
    ),
    "contacts": TableSpec(
        "contacts",
        (
            _c("customer_id", "id", required=True, nullable=False),
            _c("date", "date", required=True, nullable=False),
            _c("channel", "category", values=CONTACT_CHANNELS),
            _c("kind", "category", required=True, nullable=False, values=CONTACT_KINDS),
            _c("category", "category", values=COMPLAINT_CATEGORIES),
            _c("severity", "integer", min=1, max=5),
            _c("resolved_date", "date"),
        ),
        keys=("customer_id", "date"),
    ),
    "surveys": TableSpec(
        "surveys",
        (
            _c("customer_id", "id", required=True, nullable=False),
            _c("date", "date", required=True, nullable=False),
            _c("csat", "integer", min=1, max=5),
            _c("nps", "integer", min=0, max=10),
        ),
        keys=("customer_id", "date"),
    ),
    "campaigns": TableSpec(
        "campaigns",
        (
            _c("customer_id", "id", required=True, nullable=False),
            _c("campaign_id", "str", required=True, nullable=False),
            _c("date", "date", required=True, nullable=False),
            _c("group", "category", required=True, nullable=False, values=CAMPAIGN_GROUPS),
            _c("responded", "bool", required=True, nullable=False),
            _c("revenue", "number", min=0),
            _c("cost", "number", min=0),
        ),
        keys=("customer_id", "campaign_id"),
    ),
    "leads": TableSpec(
        "leads",
        (
            _c("lead_id", "id", required=True, nullable=False),
            _c("contact_date", "date", required=True, nullable=False),
            _c("name", "str"),
            _c("email", "str"),
            _c("phone", "str"),
            _c("city", "str"),
            _c("region", "str"),
            _c("source", "str"),
        ),
        keys=("lead_id",),
    ),
    "suspects": TableSpec(
        "suspects",
        (
            _c("suspect_id", "id", required=True, nullable=False),
            _c("city", "str"),
            _c("region", "str"),
            _c("age", "integer", min=0, max=120),
            _c("gender", "category", values=GENDERS),
        ),
        keys=("suspect_id",),
    ),
    "subscriptions": TableSpec(
        "subscriptions",
        (
            _c("customer_id", "id", required=True, nullable=False),
            _c("tenure", "integer", required=True, nullable=False, min=0),
            _c("contract", "category", values=CONTRACTS),
            _c("monthly_charges", "number", min=0),
            _c("total_charges", "number", min=0),
            _c("churned", "bool", required=True, nullable=False),
            _c("gender", "category", values=GENDERS),
        ),
        keys=("customer_id",),
    ),
}

_MAX_SHOWN = 5


def _as_ibis(data: pd.DataFrame | ir.Table) -> ir.Table:
    """Wrap the data as an Ibis table with a ``_row`` position column."""
    if isinstance(data, pd.DataFrame):
        frame = data.reset_index(drop=True)
        frame.insert(0, ROW, range(len(frame)))
        for name in frame.select_dtypes(include="object").columns:
            # Mixed objects (numbers beside text) cannot cross into Arrow as they are.
            frame[name] = frame[name].astype("string")
        return ibis.memtable(frame)
    if isinstance(data, ir.Table):
        return data.mutate(**{ROW: ibis.row_number()})
    raise TypeError(f"expected a pandas DataFrame or an Ibis table, got {type(data).__name__}")


def _type_problem(col: Column, dtype: Any, t: ir.Table) -> tuple[str, ir.BooleanValue] | None:
    """Return (what was expected, offending-row predicate) when the type is wrong."""
    c = t[col.name]
    if dtype.is_null():
        return None
    if col.kind in ("str", "category"):
        if dtype.is_string():
            return None
        return "text", None
    if col.kind == "id":
        if dtype.is_string() or dtype.is_integer():
            return None
        if dtype.is_floating():
            return "an integer or text id", c.notnull() & (c != c.round(0))
        return "an integer or text id", None
    if col.kind in ("number", "integer"):
        if dtype.is_integer() or (col.kind == "number" and dtype.is_numeric()):
            return None
        if col.kind == "integer" and dtype.is_floating():
            return "whole numbers", c.notnull() & (c != c.round(0))
        if dtype.is_string():
            return "numbers", c.notnull() & c.try_cast("float64").isnull()
        return "numbers", None
    if col.kind == "bool":
        if dtype.is_boolean():
            return None
        if dtype.is_integer():
            return "true/false (or 0/1)", c.notnull() & ~c.isin([0, 1])
        return "true/false (or 0/1)", None
    if col.kind == "date":
        if dtype.is_timestamp() or dtype.is_date():
            return None
        if dtype.is_string():
            return "dates (e.g. 2024-03-31)", c.notnull() & c.try_cast("timestamp").isnull()
        return "dates", None
    raise ValueError(f"unknown column kind {col.kind!r}")  # pragma: no cover


def _show(t: ir.Table, predicate: ir.BooleanValue, spec: TableSpec, column: str) -> tuple[int, str]:
    cols = [ROW] + [k for k in spec.keys if k in t.columns and k != column] + [column]
    bad = t.filter(predicate)
    n = int(bad.count().to_pyarrow().as_py())
    rows = bad.order_by(ROW).select(*cols).limit(_MAX_SHOWN).to_pandas()
    rows = rows.rename(columns={ROW: "row"})
    return n, rows.to_string(index=False)


def check(
    data: pd.DataFrame | ir.Table,
    table: str,
    values: bool = True,
) -> list[dict]:
    """Every problem of a table against the canonical model, without raising.

    Returns
    -------
    list of dict
        One per problem: ``column``, ``problem`` (what was expected),
        ``count`` (offending values; None when the whole column has the
        wrong type) and ``rows`` (the first offending rows, as text).
    """
    if table not in TABLES:
        raise ValueError(f"unknown table {table!r}; expected one of {sorted(TABLES)}")
    spec = TABLES[table]
    missing = [c for c in spec.required if c not in data.columns]
    problems: list[dict] = [
        {"column": c, "problem": "missing required column", "count": None, "rows": ""}
        for c in missing
    ]
    t = _as_ibis(data)
    schema = t.schema()
    for col in spec.columns:
        if col.name not in t.columns:
            continue
        c = t[col.name]
        dtype = schema[col.name]
        wrong = _type_problem(col, dtype, t)
        if wrong is not None:
            expected, predicate = wrong
            if predicate is None:
                problems.append({"column": col.name, "count": None, "rows": "",
                                 "problem": f"expected {expected}, found type {dtype}"})
                continue
            n, rows = _show(t, predicate, spec, col.name)
            if n:
                problems.append({"column": col.name, "count": n, "rows": rows,
                                 "problem": f"expected {expected}; value(s) are not"})
                continue
        if not values:
            continue
        checks: list[tuple[str, ir.BooleanValue]] = []
        if not col.nullable:
            checks.append(("missing value(s)", c.isnull()))
        if col.kind == "category" and col.values and dtype.is_string():
            checks.append(
                (f"unknown value(s); allowed: {', '.join(col.values)}",
                 c.notnull() & ~c.isin(list(col.values)))
            )
        if col.kind in ("number", "integer") and (dtype.is_numeric() or dtype.is_string()):
            num = c.try_cast("float64") if dtype.is_string() else c
            if col.min is not None:
                label = "negative value(s)" if col.min == 0 else f"value(s) below {col.min:g}"
                checks.append((label, num < col.min))
            if col.max is not None:
                checks.append((f"value(s) above {col.max:g}", num > col.max))
        for label, predicate in checks:
            n, rows = _show(t, predicate, spec, col.name)
            if n:
                problems.append({"column": col.name, "count": n, "rows": rows,
                                 "problem": label})
    return problems


def validate(
    data: pd.DataFrame | ir.Table,
    table: str,
    source: str | None = None,
    values: bool = True,
) -> pd.DataFrame | ir.Table:
    """Check a table against the canonical data model.

    Parameters
    ----------
    data : pandas.DataFrame or ibis Table
        The table to check.
    table : str
        Its name in the canonical model: one of :data:`TABLES`.
    source : str, optional
        Where it came from (a file path), named in error messages.
    values : bool
        Also check values: missing values in required columns, ranges
        (negative prices...) and categories. Readers of raw exports check
        structure only (``values=False``) and leave such lines to cleaning.

    Returns
    -------
    pandas.DataFrame or ibis Table
        The same kind as ``data``; date columns given as text are parsed to
        timestamps. A pandas input is never modified in place.

    Raises
    ------
    SchemaError
        Listing every problem: missing columns, wrong types, unparseable
        dates, values out of range (negative prices...) and unknown
        categories, each with the first offending rows (``row`` is the
        0-based position in the table).

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"customer_id": [1, 2], "date": ["2024-01-05", "2024-02-01"],
    ...                    "csat": [5, 4], "nps": [9, 7]})
    >>> validate(df, "surveys")["date"].dtype
    dtype('<M8[us]')
    """
    if table not in TABLES:
        raise ValueError(f"unknown table {table!r}; expected one of {sorted(TABLES)}")
    where = f"{table}" + (f" ({source})" if source else "")
    missing = [c for c in TABLES[table].required if c not in data.columns]
    if missing:
        raise SchemaError(
            f"{where}: missing required column(s) {missing}; "
            f"found columns {list(data.columns)}. Map your file's columns to the "
            f"canonical names (see crmwb.schema)."
        )
    problems = check(data, table, values)
    if problems:
        lines = []
        for p in problems:
            if p["count"] is None:
                lines.append(f"column '{p['column']}': {p['problem']}")
            elif p["problem"].startswith("expected"):
                expected = p["problem"].removesuffix("; value(s) are not")
                lines.append(f"column '{p['column']}': {expected}; {p['count']} value(s) "
                             f"are not:\n{p['rows']}")
            else:
                lines.append(f"column '{p['column']}': {p['count']} {p['problem']}:\n{p['rows']}")
        raise SchemaError(f"{where}: {len(lines)} problem(s)\n- " + "\n- ".join(lines))
    dates = [c.name for c in TABLES[table].columns if c.kind == "date" and c.name in data.columns]
    if isinstance(data, pd.DataFrame):
        out = data.copy()
        for name in dates:
            if not pd.api.types.is_datetime64_any_dtype(out[name]):
                out[name] = pd.to_datetime(out[name])
        return out
    parse_dates = [n for n in dates if data.schema()[n].is_string()]
    if parse_dates:
        return data.mutate(**{n: data[n].cast("timestamp") for n in parse_dates})
    return data


def validate_transactions(data, source: str | None = None):
    """Validate a transactions table; see :func:`validate`."""
    return validate(data, "transactions", source)


def validate_customers(data, source: str | None = None):
    """Validate a customers table; see :func:`validate`."""
    return validate(data, "customers", source)


def validate_contacts(data, source: str | None = None):
    """Validate a contacts table; see :func:`validate`."""
    return validate(data, "contacts", source)


def validate_surveys(data, source: str | None = None):
    """Validate a surveys table; see :func:`validate`."""
    return validate(data, "surveys", source)


def validate_campaigns(data, source: str | None = None):
    """Validate a campaigns table; see :func:`validate`."""
    return validate(data, "campaigns", source)


def validate_leads(data, source: str | None = None):
    """Validate a leads (prospects) table; see :func:`validate`."""
    return validate(data, "leads", source)


def validate_suspects(data, source: str | None = None):
    """Validate a suspects table; see :func:`validate`."""
    return validate(data, "suspects", source)


def validate_subscriptions(data, source: str | None = None):
    """Validate a subscriptions table; see :func:`validate`."""
    return validate(data, "subscriptions", source)
