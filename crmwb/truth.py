"""The bundled shop's planted truth, for checking an exercise's result against it.

The synthetic shop (:mod:`crmwb.datasets`) is drawn from known processes and writes what
it planted beside its tables (``data/default/truth/``): who is one person under two ids,
who is still alive at the end, each customer's loyalty type, the BG/NBD parameters, the
planted association rules, the campaign's true uplift and the Nowruz effect, and the
course's facts the shop was made to show: few dissatisfied customers complain, quickly
handled complainants stay, about a fifth of the customers are unprofitable (the
demanding ones), and the campaign pays back. An exercise
in a notebook asks a student to predict a result, change a parameter and check: each
function here compares a result with what was planted, as a small table of measures with
``yours`` (the result) and ``planted`` (the truth, or the ideal 1 of a precision or
recall), and ``kind`` (how each is written: share, count, number).

Real data has no planted truth: :func:`open` gives None for anything but the bundled shop,
and the notebooks say so instead of checking.

Examples
--------
>>> planted = Truth({"bgnbd": {"retail": {"r": 0.9, "alpha": 16.0, "a": 0.8, "b": 4.0}}})
>>> planted.bgnbd({"r": 1.0, "alpha": 2.5, "a": 0.7, "b": 3.5}, time_unit="W")["planted"]
measure
r        0.900000
alpha    2.285714
a        0.800000
b        4.000000
Name: planted, dtype: float64
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

#: days in each time unit the purchase models take
UNIT_DAYS = {"D": 1.0, "W": 7.0}


def _keys(ids) -> pd.Index:
    """Customer ids as text keys: 10001, 10001.0 and "10001" are one id (a CSV export may
    read ids as text, a table with gaps as floats)."""
    def one(v):
        if isinstance(v, (int, np.integer)) or (isinstance(v, (float, np.floating))
                                                 and float(v).is_integer()):
            return str(int(v))
        return str(v).strip()
    return pd.Index([one(v) for v in ids])


def _table(rows: list[tuple]) -> pd.DataFrame:
    """Rows of (measure, yours, planted, kind[, when]): ``when`` dates a measure of a
    period (a key date of one year)."""
    out = pd.DataFrame([(*r, None)[:5] for r in rows],
                       columns=["measure", "yours", "planted", "kind", "when"])
    return out.set_index("measure")


def _auc(scores: pd.Series, truth: pd.Series) -> float:
    """The probability that a random positive scores above a random negative (ties: half)."""
    from scipy.stats import rankdata

    scores, truth = np.asarray(scores, float), np.asarray(truth, bool)
    n_pos, n_neg = truth.sum(), (~truth).sum()
    if not n_pos or not n_neg:
        return float("nan")
    ranks = rankdata(scores)
    return float((ranks[truth].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


class Truth:
    """What the bundled shop planted: its parameters and, when read from disk, its tables.

    Parameters
    ----------
    params : dict
        The planted parameters (``truth/params.json``).
    customers : pandas.DataFrame, optional
        One row per person: ``person_id``, ``customer_type``, ``loyalty_type``, ``alive``...
    identity : pandas.DataFrame, optional
        Every customer id with its person's id (``customer_id``, ``person_id``).
    rules : pandas.DataFrame, optional
        The planted rules (``antecedent``, ``consequent``, ``support``, ``confidence``,
        ``lift``, at the level of product types).
    campaign : pandas.DataFrame, optional
        Each customer the campaign targeted: their ``kind`` (sure thing, persuadable, lost
        cause, do not disturb), response probabilities and ``true_uplift``.
    """

    def __init__(self, params: dict, customers: pd.DataFrame | None = None,
                 identity: pd.DataFrame | None = None, rules: pd.DataFrame | None = None,
                 campaign: pd.DataFrame | None = None):
        self.params, self.customers, self.identity, self.rules_ = (params, customers,
                                                                  identity, rules)
        self.campaign = campaign

    @classmethod
    def read(cls, folder: str | Path) -> Truth:
        """The truth written by :meth:`crmwb.datasets.CRMData.write` under ``truth/``."""
        folder = Path(folder)
        tables = {}
        for name in ("customers", "identity", "rules", "campaign"):
            for path in (folder / f"{name}.parquet", folder / name):  # a file, or parts
                if path.exists():  # (a large data set's truth is written chunk by chunk)
                    tables[name] = pd.read_parquet(path)
                    break
        return cls(json.loads((folder / "params.json").read_text()), **tables)

    # --- lookups ----------------------------------------------------------------------------
    def person(self, ids) -> pd.Series:
        """The person behind each customer id (a master id or a second record's id), as
        a text key; missing for an id the shop never planted."""
        person = pd.Series(_keys(self.identity["person_id"]),
                           index=_keys(self.identity["customer_id"]))
        return pd.Series(_keys(ids).map(person), index=pd.Index(ids))

    def of_customers(self, ids, column: str) -> pd.Series:
        """A planted attribute (``alive``, ``loyalty_type``, ``customer_type``...) of the
        persons behind customer ids."""
        values = pd.Series(self.customers[column].to_numpy(),
                           index=_keys(self.customers["person_id"]))
        return pd.Series(self.person(ids).map(values).to_numpy(), index=pd.Index(ids))

    def campaign_uplift(self, ids) -> pd.Series | None:
        """The planted uplift of the campaign for each customer id (their person's record in
        ``truth/campaign``); None when the truth has no campaign table."""
        if self.campaign is None:
            return None
        values = pd.Series(self.campaign["true_uplift"].to_numpy(),
                           index=_keys(self.campaign["customer_id"]))
        values = values[~values.index.duplicated()]
        return pd.Series(self.person(ids).map(values).to_numpy(dtype=float),
                         index=pd.Index(ids), name="true_uplift")

    def second_purchase(self, curve: pd.DataFrame) -> pd.DataFrame:
        """The share back for a second purchase within 90 and 365 days
        (:func:`crmwb.journey.second_purchase`) against the planted one: every planted
        customer may buy again (dropping out comes only after a repeat purchase), at their
        rate ``lambda``, so the planted share back within ``d`` days is the mean of
        ``1 - exp(-lambda d)`` over the customers who had bought by the curve's end (and not
        before its ``since``: the customers it leaves out)."""
        end = pd.Timestamp(curve.attrs["end"]) + pd.Timedelta(days=1)
        first = pd.to_datetime(self.customers["first_purchase"])
        bought = first < end
        if curve.attrs.get("since") is not None:  # the curve leaves out the first days' buyers
            bought &= first >= pd.Timestamp(curve.attrs["since"])
        lam = self.customers.loc[bought, "lambda_per_day"].to_numpy(float)
        return _table([(f"h_back_within_{d}", curve.attrs["back_within"][d],
                        float(np.mean(1 - np.exp(-lam * d))), "share") for d in (90, 365)])

    # --- comparisons ------------------------------------------------------------------------
    def people(self, customers: int) -> pd.DataFrame:
        """The customers a result counts against the people who bought."""
        return _table([("customers", int(customers), int(len(self.customers)), "count")])

    def identities(self, crosswalk: pd.DataFrame) -> pd.DataFrame:
        """Merged records (``customer_id`` under another ``master_id``) against the persons
        planted under two ids: pairs found, pairs planted, and the share of merges that are
        right (precision) and of planted pairs found (recall)."""
        ids, masters = _keys(crosswalk["customer_id"]), _keys(crosswalk["master_id"])
        found = {tuple(sorted(p)) for p in zip(ids, masters) if p[0] != p[1]}
        person = pd.Series(_keys(self.identity["person_id"]),
                           index=_keys(self.identity["customer_id"]))
        twins = person[person.index != person.to_numpy()]
        planted = {tuple(sorted(p)) for p in zip(twins.index, twins.to_numpy())}
        right = len(found & planted)
        return _table([
            ("h_merged_records", len(found), len(planted), "count"),
            ("precision", right / len(found) if found else float("nan"), 1.0, "share"),
            ("recall", right / len(planted) if planted else float("nan"), 1.0, "share"),
        ])

    def active(self, active: pd.Series) -> pd.DataFrame:
        """Customers judged active (a boolean per customer id) against those planted alive
        at the end of the data: the share judged active and the share alive, then the share
        of the active who are alive (precision) and of the alive judged active (recall)."""
        alive = self.of_customers(active.index, "alive").astype(bool)
        judged = active.astype(bool)
        both = (judged & alive).sum()
        return _table([
            ("share_active", judged.mean(), alive.mean(), "share"),
            ("precision", both / judged.sum() if judged.sum() else float("nan"), 1.0, "share"),
            ("recall", both / alive.sum() if alive.sum() else float("nan"), 1.0, "share"),
        ])

    def alive_scores(self, scores: pd.Series) -> pd.DataFrame:
        """A score of being alive per customer id (P(alive), 1 - churn risk) against the
        planted truth: the customers it expects alive and those alive, and ROC-AUC (1 for a
        score that ranks every alive customer above every dropped one)."""
        alive = self.of_customers(scores.index, "alive").astype(bool)
        return _table([
            ("h_expected_alive", float(scores.sum()), int(alive.sum()), "count"),
            ("roc_auc", _auc(scores, alive), 1.0, "probability"),
        ])

    def loyalty(self, types: pd.Series) -> pd.DataFrame:
        """Loyalty types found (per customer id) against the planted ones: each type's share
        of the typed customers, then the share typed as planted."""
        planted = self.of_customers(types.index, "loyalty_type").astype(str)
        found = types.astype(str)
        order = list(dict.fromkeys(self.params.get("loyalty_mix", {}))) or sorted(set(planted))
        rows = [(kind, (found == kind).mean(), (planted == kind).mean(), "share")
                for kind in order]
        rows.append(("h_agreement", (found == planted).mean(), 1.0, "share"))
        return _table(rows)

    def bgnbd(self, params: Mapping, segment: str = "retail", time_unit: str = "D"
              ) -> pd.DataFrame:
        """Fitted BG/NBD parameters against the planted ones of ``segment``'s customers
        acquired through the reference channel (other channels shift the purchase rate and
        the dropout: :meth:`covariates`), alpha in the fit's ``time_unit`` (planted per day:
        alpha scales with time, r, a and b do not)."""
        planted = dict(self.params["bgnbd"][segment])
        planted["alpha"] = planted["alpha"] / UNIT_DAYS[time_unit]
        return _table([(k, float(params[k]), float(planted[k]), "number")
                       for k in ("r", "alpha", "a", "b")])

    def covariates(self, model, time_unit: str = "D") -> pd.DataFrame:
        """A BG/NBD with covariates (customer type and acquisition channel, on the purchase
        rate and the dropout) against the planted process: its parameters against those of
        the reference customers (retail, acquired through the reference channel; alpha in
        the fit's ``time_unit``), then each coefficient against the planted effect. A
        coefficient's measure is ``process|covariate``."""
        effects = self.params.get("covariate_effects")
        if effects is None:
            raise ValueError("this shop was generated before covariate effects were planted: "
                             "generate it again (crmwb data generate)")
        rows = [(k, float(v), float(p), "number")
                for (k, v), p in zip(model.params_.items(), self._reference_bgnbd(time_unit))]
        for (process, name), r in model.coefficients_.iterrows():
            planted = effects.get(process, {}).get(name, float("nan"))
            rows.append((f"{process}|{name}", float(r["estimate"]), float(planted), "number"))
        return _table(rows)

    def _reference_bgnbd(self, time_unit: str) -> list[float]:
        planted = dict(self.params["bgnbd"]["retail"])
        planted["alpha"] = planted["alpha"] / UNIT_DAYS[time_unit]
        return [planted[k] for k in ("r", "alpha", "a", "b")]

    def rules(self, rules: pd.DataFrame) -> pd.DataFrame:
        """The planted rules (product type to product type) and the lift a mined rule set
        gives each: missing when the rules do not hold it."""
        lift = {(frozenset(a), frozenset(c)): v for a, c, v in
                zip(rules["antecedents"], rules["consequents"], rules["lift"])}
        rows = []
        for r in self.rules_.itertuples():
            key = (frozenset([r.antecedent]), frozenset([r.consequent]))
            rows.append((f"{r.antecedent} → {r.consequent}", lift.get(key, float("nan")),
                         float(r.lift), "number"))
        return _table(rows)

    def uplift(self, estimate: float, low: float, high: float) -> pd.DataFrame:
        """A campaign's measured uplift and its interval against the planted one (an
        interval's ends have no planted value of their own)."""
        planted = float(self.params["campaign"]["average_uplift"])
        return _table([("uplift", float(estimate), planted, "share"),
                       ("uplift_low", float(low), float("nan"), "share"),
                       ("uplift_high", float(high), float("nan"), "share")])

    def key_date_traffic(self, measured: pd.DataFrame) -> pd.DataFrame:
        """Measured traffic of key periods (:func:`crmwb.overview.key_date_traffic`: the
        ``ratio`` of invoices per day to the 30 days before) against the planted intensity
        of purchases over the same days."""
        from crmwb.datasets.synthetic import planted_intensity

        intensity = planted_intensity(self.params["start"], self.params["end"])
        rows = []
        for r in measured.itertuples():
            during = intensity[r.start:r.end].mean()
            before = intensity[r.start - pd.Timedelta(days=30):
                               r.start - pd.Timedelta(days=1)].mean()
            rows.append((r.key, float(r.ratio), float(during / before), "number", r.start))
        return _table(rows)


def folder(data) -> Path | None:
    """Where the truth behind a prepared dataset is: the ``truth/`` folder the generator
    wrote beside its tables (the bundled shop's, or one written by ``crmwb data
    generate``); None for data read from an export, or a folder without truth."""
    parameters = getattr(data, "manifest", {}).get("parameters", {})
    if parameters.get("transactions_path") or not parameters.get("data_dir"):
        return None
    source = Path(parameters["data_dir"])
    return source / "truth" if (source / "truth" / "params.json").exists() else None


def open(data) -> Truth | None:  # noqa: A001 - the module's verb, as crmwb.prepared.open
    """The planted truth behind a prepared dataset (:func:`folder`): None for real data,
    which has no planted truth, and for tables whose customer ids are not the ones the
    truth was planted under (edited after they were generated)."""
    where = folder(data)
    if where is None:
        return None
    found = Truth.read(where)
    records = getattr(data, "crosswalk", None)
    if records is not None and len(records):
        known = set(_keys(found.identity["customer_id"]))
        if _keys(records["customer_id"]).isin(known).mean() < 0.9:
            return None
    return found
