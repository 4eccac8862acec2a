"""Time-invariant covariates of the CLV models: columns of the summary as a design matrix.

Fader & Hardie (2007), "Incorporating time-invariant covariates into the Pareto/NBD and
BG/NBD models": each customer's parameters are the population's scaled by
``exp(coefficients · covariates)``. A number is used as it is; a category (text,
categorical or boolean column) is one-hot encoded against a reference level, its first
level (a categorical column's first category, else the smallest value), whose
coefficient is zero by construction. A missing value is refused: a customer without a
covariate has no parameters.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from pandas.api import types as ptypes


def _is_category(s: pd.Series) -> bool:
    return not ptypes.is_numeric_dtype(s) or ptypes.is_bool_dtype(s)


class Design:
    """The encoding of some covariate columns, learned on the fitting data.

    ``names_`` are the design's columns: a numeric covariate by its name, a level of a
    categorical one as ``"column=level"``; ``reference_`` maps each categorical column
    to its reference level.
    """

    def __init__(self, columns: Sequence[str] | None, label: str, process: str):
        if isinstance(columns, str):
            columns = [columns]
        self.columns = list(columns or [])
        self.label, self.process = label, process
        if len(set(self.columns)) != len(self.columns):
            raise ValueError(f"{label}: a {process} covariate is listed twice: {self.columns}")
        self.levels_: dict[str, list] = {}
        self.reference_: dict[str, object] = {}
        self.names_: list[str] = []
        self.scale_ = np.ones(0)

    def __len__(self) -> int:
        return len(self.names_)

    def _check(self, data: pd.DataFrame) -> None:
        missing = [c for c in self.columns if c not in data.columns]
        if missing:
            raise ValueError(f"{self.label}: the data lack the {self.process} covariate "
                             f"column(s) {missing}; join them to the summary by customer id "
                             f"(columns present: {list(data.columns)})")
        for c in self.columns:
            bad = data[c].isna()
            if bad.any():
                raise ValueError(f"{self.label}: {self.process} covariate {c!r} is missing for "
                                 f"{int(bad.sum()):,} customer(s), e.g. "
                                 f"{list(data.index[bad][:5])}: fill it or leave those "
                                 f"customers out")

    def fit(self, data: pd.DataFrame) -> np.ndarray:
        """Learn the levels and return the design matrix (customers × names_)."""
        self._check(data)
        for c in self.columns:
            s = data[c]
            if _is_category(s):
                if isinstance(s.dtype, pd.CategoricalDtype):
                    levels = [v for v in s.cat.categories if (s == v).any()]
                else:
                    levels = sorted(pd.unique(s).tolist(), key=str)
                if len(levels) < 2:
                    raise ValueError(f"{self.label}: {self.process} covariate {c!r} has one "
                                     f"level only ({levels}): it cannot explain a difference")
                self.levels_[c] = levels
                self.reference_[c] = levels[0]
                self.names_ += [f"{c}={v}" for v in levels[1:]]
            else:
                values = s.to_numpy(dtype=float)
                if not np.isfinite(values).all():
                    raise ValueError(f"{self.label}: {self.process} covariate {c!r} has "
                                     "infinite values")
                if values.std() == 0:
                    raise ValueError(f"{self.label}: {self.process} covariate {c!r} is the same "
                                     "for every customer: it cannot explain a difference")
                self.names_.append(c)
        matrix = self._matrix(data)
        # the optimiser sees each column on a unit scale; coefficients are given back per unit
        self.scale_ = np.where(matrix.std(axis=0) > 0, matrix.std(axis=0), 1.0) \
            if len(self.names_) else np.ones(0)
        return matrix

    def transform(self, data: pd.DataFrame) -> np.ndarray:
        """The design matrix of new data, with the levels learned in :meth:`fit`."""
        if not self.columns:
            return np.zeros((len(data), 0))
        self._check(data)
        for c, levels in self.levels_.items():
            unseen = ~data[c].isin(levels)
            if unseen.any():
                raise ValueError(f"{self.label}: {self.process} covariate {c!r} has level(s) "
                                 f"{sorted(map(str, pd.unique(data.loc[unseen, c])))[:5]} the "
                                 f"model was not fitted on (it knows {levels})")
        return self._matrix(data)

    def _matrix(self, data: pd.DataFrame) -> np.ndarray:
        cols = []
        for c in self.columns:
            if c in self.levels_:
                codes = pd.Categorical(data[c], categories=self.levels_[c]).codes
                cols += [(codes == j).astype(float) for j in range(1, len(self.levels_[c]))]
            else:
                cols.append(data[c].to_numpy(dtype=float))
        return np.column_stack(cols) if cols else np.zeros((len(data), 0))


#: the customers' columns the notebooks use as covariates when they are there
DEFAULT_COVARIATES = ("customer_type", "acquisition_channel")


def available_covariates(customers: pd.DataFrame | None,
                         wanted: Sequence[str] | None = None) -> list[str]:
    """The covariate columns to use: those asked for (each must be in the customers table),
    or, when none are asked for, those of :data:`DEFAULT_COVARIATES` the table has with
    more than one value (an export without a customers table has none).

    >>> available_covariates(pd.DataFrame({"customer_id": [1, 2],
    ...                                    "customer_type": ["retail", "wholesale"]}))
    ['customer_type']
    """
    if wanted is None:
        if customers is None:
            return []
        return [c for c in DEFAULT_COVARIATES
                if c in customers.columns and customers[c].nunique() > 1]
    wanted = [wanted] if isinstance(wanted, str) else list(wanted)
    have = [] if customers is None else list(customers.columns)
    missing = [c for c in wanted if c not in have]
    if missing:
        raise ValueError(f"the covariates {missing} are not columns of the customers table "
                         f"(it has {have or 'no table'}): change the parameter covariates")
    return wanted


def join_covariates(summary: pd.DataFrame, customers: pd.DataFrame,
                    columns: Sequence[str], missing: str = "refuse") -> pd.DataFrame:
    """The customer summary with some columns of the customers table, by customer id,
    keeping the summary's record of its time unit and dates (``attrs``, which a plain
    join drops). A customer of the summary missing from the table, or without a value,
    is refused by name: a model cannot guess their covariates. With ``missing="drop"``
    such customers are left out instead, and ``attrs["left_out"]`` counts them (a model
    comparison must judge every model on the same customers).

    >>> s = pd.DataFrame({"frequency": [1, 0]}, index=pd.Index([7, 8], name="customer_id"))
    >>> s.attrs["time_unit"] = "W"
    >>> people = pd.DataFrame({"customer_id": [8, 7], "customer_type": ["retail", "wholesale"]})
    >>> out = join_covariates(s, people, ["customer_type"])
    >>> out["customer_type"].tolist(), out.attrs["time_unit"]
    (['wholesale', 'retail'], 'W')
    """
    columns = list(columns)
    absent = [c for c in columns if c not in customers.columns]
    if absent:
        raise ValueError(f"the customers table has no column(s) {absent} (it has "
                         f"{list(customers.columns)})")
    table = customers.set_index("customer_id") if "customer_id" in customers.columns \
        else customers
    if not table.index.is_unique:
        raise ValueError("the customers table holds some customer ids twice, e.g. "
                         f"{list(table.index[table.index.duplicated()][:5])}: merge them first "
                         "(crmwb.identity)")
    joined = summary.join(table[columns], how="left")
    holes = joined[columns].isna().any(axis=1)
    if missing not in ("refuse", "drop"):
        raise ValueError(f"missing must be 'refuse' or 'drop', got {missing!r}")
    left_out = int(holes.sum())
    if left_out and missing == "drop":
        joined = joined[~holes]
    elif left_out:
        raise ValueError(f"{int(holes.sum()):,} customer(s) of the summary have no "
                         f"{' or '.join(columns)} in the customers table, e.g. "
                         f"{list(joined.index[holes][:5])}")
    joined.attrs.update(summary.attrs, left_out=left_out)
    return joined
