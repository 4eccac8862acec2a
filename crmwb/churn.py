"""Churn prediction and retention targeting (CONCEPTS.md section 5, the AT&T case).

Non-contractual churn is defined at a **cutoff** date: a customer who bought in
the ``active_days`` before it *churns* when they make no purchase in the
``horizon_days`` after it (:func:`churn_labels`). Features are computed strictly
from what was known at the cutoff (:func:`churn_features`): lines, contacts and
surveys dated after it are never read, and a complaint resolved after the
cutoff counts as unresolved. Models are trained at one cutoff and judged at a
later one (:func:`time_split`), not on a random split of one window.

Models are scikit-learn Pipelines with a ColumnTransformer (impute, scale,
one-hot): a logistic regression (the interpretable baseline) and a
HistGradientBoostingClassifier, each with calibrated probabilities. Two naive
baselines stand beside them: recency alone and the MBG/NBD probability of being
alive alone, each ranking customers in the direction its meaning gives (longer
since the last purchase, or less likely alive, is more risk).
:func:`cross_validate` compares them all on one table; the evaluation a
marketer reads is :func:`decile_table`, :func:`gains_table` and the
calibration curve; :func:`profit_curve` turns churn risk and CLV into the
expected profit of a retention offer to the top-k customers.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd
from scipy import optimize
from scipy.special import expit
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import ColumnTransformer, make_column_selector
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.inspection import permutation_importance
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score
from sklearn.model_selection import StratifiedKFold, train_test_split
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from crmwb import clv, engine
from crmwb.summary import _as_table, customer_summary

#: complaints taking longer than this many days to resolve count as slow
SLOW_DAYS = 7
#: columns of the naive baselines: a higher value means more risk (sign +1) or less (-1);
#: the sign is the rule's meaning and is never refitted
BASELINES = {"recency": ("days_since_last_purchase", 1), "p_alive": ("p_alive", -1)}


# --- labels and features ------------------------------------------------------------------

def _day(value) -> pd.Timestamp:
    return pd.Timestamp(value).normalize()


def churn_labels(transactions, cutoff, horizon_days: int = 90,
                 active_days: int = 365, lines_as_of=None) -> pd.Series:
    """Who churned after ``cutoff``: True when an active customer buys nothing in the horizon.

    Parameters
    ----------
    transactions : ibis Table or pandas.DataFrame
        Clean transaction lines.
    cutoff : date
        The last day of what is known.
    horizon_days : int
        The customer churns when they make no purchase in the ``horizon_days``
        days after the cutoff.
    active_days : int
        Customers are those with a purchase in the ``active_days`` days up to
        and including the cutoff.
    lines_as_of : callable, optional
        The lines as known at a date
        (:meth:`crmwb.prepared.PreparedData.lines_as_of`): who is active is
        decided from what was known at the cutoff (a purchase cancelled only
        later still counts), who came back from ``transactions``.

    Returns
    -------
    pandas.Series
        Boolean, indexed by ``customer_id`` (the active customers), named ``churned``.
    """
    labels = engine.to_pandas(churn_label_table(transactions, cutoff, horizon_days,
                                                active_days, lines_as_of))
    return labels.set_index("customer_id")["churned"].astype(bool).sort_index()


def churn_label_table(transactions, cutoff, horizon_days: int = 90, active_days: int = 365,
                      lines_as_of=None) -> ir.Table:
    """:func:`churn_labels` kept in the engine (``customer_id``, ``churned``): for joining
    with other engine tables (the customer journey's paths) without bringing a million
    customers back."""
    t = _as_table(transactions)
    cut = _day(cutoff) + pd.Timedelta(days=1)
    start, stop = cut - pd.Timedelta(days=active_days), cut + pd.Timedelta(days=horizon_days)
    t = t.filter(t.customer_id.notnull() & (t.quantity > 0))
    known = t if lines_as_of is None else _as_table(lines_as_of(_day(cutoff)))
    known = known.filter(known.customer_id.notnull() & (known.quantity > 0)
                         & (known.date >= ibis.literal(start)) & (known.date < ibis.literal(cut)))
    active = known.select("customer_id").distinct()
    back = t.filter((t.date >= ibis.literal(cut)) & (t.date < ibis.literal(stop))).select(
        "customer_id").distinct().mutate(_back=ibis.literal(1))
    j = active.left_join(back, active.customer_id == back.customer_id)
    return j.select(customer_id=active.customer_id, churned=j._back.isnull())


def _gap_statistics(t, cut: pd.Timestamp) -> pd.DataFrame:
    """Mean, standard deviation and longest gap between purchase days, in the engine."""
    days = t.filter(t.date < cut).select("customer_id", day=t.date.truncate("D")).distinct()
    days = days.mutate(_s=days.day.epoch_seconds())
    w = ibis.window(group_by=days.customer_id, order_by=days.day)
    gaps = days.mutate(gap=(days._s - days._s.lag().over(w)) / 86400)
    stats = engine.to_pandas(gaps.group_by("customer_id").agg(
        mean_gap_days=gaps.gap.mean(), std_gap_days=gaps.gap.std(how="sample"),
        max_gap_days=gaps.gap.max()))
    return stats.set_index("customer_id").astype(float)


def _complaint_features(contacts: pd.DataFrame, cut: pd.Timestamp,
                        last_purchase: pd.Series) -> pd.DataFrame:
    c = contacts[contacts["date"] < cut]
    c = c[c["kind"] == "complaint"] if "kind" in c else c
    resolved = c["resolved_date"] if "resolved_date" in c else pd.Series(pd.NaT, index=c.index)
    known = resolved.notna() & (resolved < cut)  # resolutions after the cutoff are unknown
    age = (cut - c["date"]).dt.total_seconds() / 86400
    took = (resolved - c["date"]).dt.total_seconds() / 86400
    slow = (known & (took > SLOW_DAYS)) | (~known & (age > SLOW_DAYS))
    after_last = c["date"] > c["customer_id"].map(last_purchase)
    frame = pd.DataFrame({
        "customer_id": c["customer_id"], "unresolved": ~known, "slow": slow,
        "took": took.where(known), "after_last": after_last,
        "severity": c["severity"] if "severity" in c else np.nan,
        "days_since": age})
    g = frame.groupby("customer_id")
    return pd.DataFrame({
        "complaints": g.size(), "complaints_unresolved": g["unresolved"].sum(),
        "complaints_slow": g["slow"].sum(), "mean_days_to_resolve": g["took"].mean(),
        "complaint_after_last_purchase": g["after_last"].any().astype(int),
        "max_complaint_severity": g["severity"].max(),
        "days_since_complaint": g["days_since"].min()})


def churn_features(
    transactions,
    cutoff,
    customers: pd.DataFrame | None = None,
    contacts: pd.DataFrame | None = None,
    surveys: pd.DataFrame | None = None,
    returns=None,
    trend_days: int = 90,
    active_days: int = 365,
) -> pd.DataFrame:
    """Everything known about each active customer at the cutoff.

    Parameters
    ----------
    transactions : ibis Table or pandas.DataFrame
        Clean transaction lines (lines after the cutoff are ignored).
    cutoff : date
        The last day of what is known.
    customers, contacts, surveys : pandas.DataFrame, optional
        Customer attributes (type, demographics, region, acquisition channel),
        contacts with the front line, satisfaction surveys.
    returns : ibis Table or pandas.DataFrame, optional
        Cancellation lines set aside by cleaning.
    trend_days : int
        Revenue in the last ``trend_days`` against the ``trend_days`` before.
    active_days : int
        Customers with a purchase in this many days up to the cutoff.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``customer_id``: the customer summary (RFM, tenure, breadth,
        returns, basket, BG/NBD inputs), ``spend_trend``, inter-purchase gaps,
        complaints (count, unresolved, slow, mean days to resolve, one after the
        last purchase, severity), surveys (mean CSAT, last NPS), customer
        attributes and ``p_alive`` from an MBG/NBD model fitted at the cutoff on every
        customer known then (:class:`crmwb.clv.ModifiedBetaGeoModel`: unlike BG/NBD, it
        lets a customer who never came back be gone, so their P(alive) is not 1), left out
        when that fit fails its health check (``attrs["p_alive_fit"]`` holds the check).
        Text columns stay text: the pipelines encode them.
    """
    t = _as_table(transactions)
    cut = _day(cutoff) + pd.Timedelta(days=1)
    s_all = customer_summary(t, calibration_end=_day(cutoff), returns=returns)
    s = s_all[s_all["days_since_last_purchase"] < active_days]
    x = s.drop(columns=["first_purchase", "last_purchase"])
    bought = t.filter(t.customer_id.notnull() & (t.quantity > 0) & (t.date < cut))
    value = bought.quantity * bought.unit_price.fill_null(0)
    mid, early = cut - pd.Timedelta(days=trend_days), cut - pd.Timedelta(days=2 * trend_days)
    windows = engine.to_pandas(bought.group_by("customer_id").agg(
        recent=(value * (bought.date >= mid).cast("int8")).sum(),
        earlier=(value * ((bought.date >= early) & (bought.date < mid)).cast("int8")).sum(),
    )).set_index("customer_id")
    x["revenue_recent"] = windows["recent"].reindex(x.index).fillna(0)
    x["revenue_earlier"] = windows["earlier"].reindex(x.index).fillna(0)
    x["spend_trend"] = (x["revenue_recent"] - x["revenue_earlier"]) / (
        x["revenue_recent"] + x["revenue_earlier"]).where(lambda v: v > 0)
    x = x.join(_gap_statistics(bought, cut))
    x["gap_ratio"] = x["days_since_last_purchase"] / x["mean_gap_days"]

    if contacts is not None and len(contacts):
        comp = _complaint_features(contacts, cut, s["last_purchase"])
        x = x.join(comp)
        for col in ("complaints", "complaints_unresolved", "complaints_slow",
                    "complaint_after_last_purchase"):
            x[col] = x[col].fillna(0).astype(int)
    if surveys is not None and len(surveys):
        sv = surveys[surveys["date"] < cut].sort_values("date")
        g = sv.groupby("customer_id")
        x = x.join(pd.DataFrame({"mean_csat": g["csat"].mean(), "last_nps": g["nps"].last(),
                                 "surveys": g.size()}))
        x["surveys"] = x["surveys"].fillna(0).astype(int)
    if customers is not None and len(customers):
        keep = [c for c in ("customer_type", "age", "gender", "region", "city",
                            "acquisition_channel") if c in customers]
        attrs = customers.drop_duplicates("customer_id").set_index("customer_id")[keep]
        x = x.join(attrs)
        for col in attrs.select_dtypes(exclude="number").columns:
            x[col] = x[col].astype(object).where(x[col].notna(), None)
    # P(alive) from MBG/NBD fitted on every customer known at the cutoff (not only the
    # active ones: a selection of survivors is not a cohort); a fit that failed its health
    # check gives no feature and no baseline (its P(alive) is no measure: on Online Retail
    # it was 1.0 for everyone, to within 2e-11)
    model = clv.ModifiedBetaGeoModel().fit(s_all) if len(s_all) else None
    if model is not None and model.diagnostics_.ok:
        x["p_alive"] = model.probability_alive(s_all).reindex(x.index)
    x.attrs.update(cutoff=_day(cutoff), p_alive_fit=None if model is None else
                   model.diagnostics_)
    return x


def windows(end, horizon_days: int = 90, train_cutoff=None,
            test_cutoff=None) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The training and evaluation cutoffs of a time split, checked.

    Defaults: two horizons and one horizon before ``end`` (the last day of the
    lines). The evaluation cutoff must come at least ``horizon_days`` after the
    training one (else the training labels would be read in the evaluation
    window's features), and its own horizon must end by ``end`` (else customers
    who had no time to come back would count as churned).

    Examples
    --------
    >>> [f"{d:%Y-%m-%d}" for d in windows("2024-12-31", 90)]
    ['2024-07-04', '2024-10-02']
    """
    end = _day(end)
    train_at = _day(train_cutoff) if train_cutoff else end - pd.Timedelta(days=2 * horizon_days)
    test_at = _day(test_cutoff) if test_cutoff else end - pd.Timedelta(days=horizon_days)
    if test_at < train_at + pd.Timedelta(days=horizon_days):
        raise ValueError(
            f"test_cutoff {test_at:%Y-%m-%d} is less than horizon_days={horizon_days} after "
            f"train_cutoff {train_at:%Y-%m-%d}: the training labels would overlap the evaluation "
            f"window. Set test_cutoff on or after "
            f"{train_at + pd.Timedelta(days=horizon_days):%Y-%m-%d}, or an earlier train_cutoff")
    if test_at + pd.Timedelta(days=horizon_days) > end:
        raise ValueError(
            f"test_cutoff {test_at:%Y-%m-%d} leaves less than horizon_days={horizon_days} "
            f"before the lines end ({end:%Y-%m-%d}): who churned is not known yet. Set "
            f"test_cutoff on or before {end - pd.Timedelta(days=horizon_days):%Y-%m-%d}")
    return train_at, test_at


def churn_dataset(transactions, cutoff, horizon_days: int = 90, active_days: int = 365,
                  lines_as_of=None, **feature_tables) -> tuple[pd.DataFrame, pd.Series]:
    """Features at ``cutoff`` and labels over the following ``horizon_days``, aligned.

    With ``lines_as_of`` (:meth:`crmwb.prepared.PreparedData.lines_as_of`) the
    features are computed from the lines as they were known at the cutoff, so a
    purchase cancelled after it is still whole; the labels from ``transactions``.
    """
    known = transactions if lines_as_of is None else lines_as_of(_day(cutoff))
    x = churn_features(known, cutoff, active_days=active_days, **feature_tables)
    y = churn_labels(transactions, cutoff, horizon_days, active_days,
                     lines_as_of=lines_as_of).reindex(x.index)
    if y.isna().any():  # never guess an outcome: a missing label is not a churner
        missing = y.index[y.isna()]
        raise ValueError(
            f"{len(missing):,} customers with features at {_day(cutoff):%Y-%m-%d} have no churn "
            f"label (for instance {', '.join(map(str, missing[:5]))}): the features and labels "
            f"were computed from different lines; pass the same lines and lines_as_of to both")
    return x, y.astype(bool)


# --- models ---------------------------------------------------------------------------------

#: text levels one-hot encoded for gradient boosting, which needs a dense matrix: the most
#: frequent ones, the rest together as "infrequent"
MAX_BOOSTING_LEVELS = 32


class NearConstantDropper(TransformerMixin, BaseEstimator):
    """Drops the numeric columns that are (nearly) constant in the training rows.

    A column whose spread is a rounding error of its size (range at most ``tolerance``
    times its typical magnitude) carries nothing to learn from, and standardising divides
    by that spread: a test-time difference of 1e-3 becomes a million standard deviations,
    and a logistic regression predicted churn 1.0 for every customer of Online Retail
    (P(alive) with a training spread of 2e-11). Such columns are left out before scaling.

    >>> d = NearConstantDropper().fit(np.array([[1.0, 5.0], [1.0 + 1e-12, 7.0], [1.0, 6.0]]))
    >>> d.keep_.tolist()
    [False, True]
    """

    def __init__(self, tolerance: float = 1e-9):
        self.tolerance = tolerance

    def fit(self, X, y=None):
        X = np.asarray(X, dtype=float)
        self.n_features_in_ = X.shape[1]
        if len(X) == 0:
            self.keep_ = np.zeros(X.shape[1], dtype=bool)
            return self
        with np.errstate(invalid="ignore"):
            spread = np.nanmax(X, axis=0) - np.nanmin(X, axis=0)
            size = np.maximum(np.nanmean(np.abs(X), axis=0), 1.0)
        self.keep_ = np.nan_to_num(spread) > self.tolerance * size
        return self

    def transform(self, X):
        return np.asarray(X, dtype=float)[:, self.keep_]

    def get_feature_names_out(self, input_features=None):
        names = np.asarray(input_features if input_features is not None else
                           [f"x{i}" for i in range(self.n_features_in_)], dtype=object)
        return names[self.keep_]


def _preprocessor(scale: bool, dense: bool = False) -> ColumnTransformer:
    """Numbers imputed, (nearly) constant ones left out (:class:`NearConstantDropper`), and
    scaled; text one-hot encoded, levels seen fewer than ten times together. ``dense``: a
    dense matrix (gradient boosting refuses a sparse one, which a text column of many levels
    gives) of at most MAX_BOOSTING_LEVELS levels per text column."""
    numeric = [SimpleImputer(strategy="median", add_indicator=True), NearConstantDropper()]
    if scale:
        numeric.append(StandardScaler())
    onehot = OneHotEncoder(handle_unknown="ignore", min_frequency=10,
                           max_categories=MAX_BOOSTING_LEVELS if dense else None,
                           sparse_output=not dense)
    return ColumnTransformer([
        ("numbers", make_pipeline(*numeric), make_column_selector(dtype_include="number")),
        ("text", make_pipeline(SimpleImputer(strategy="constant", fill_value="missing"), onehot),
         make_column_selector(dtype_exclude="number")),
    ], sparse_threshold=0 if dense else 0.3)


def model_pipelines(seed: int = 0, calibrate: bool = True) -> dict[str, Pipeline]:
    """The churn models: logistic regression and gradient boosting, calibrated.

    Each is a Pipeline: a ColumnTransformer (median imputation with missing
    indicators and scaling for numbers; one-hot for text), then the classifier,
    wrapped in sigmoid calibration over 3 folds when ``calibrate`` (the classifier refitted
    on all rows, the sigmoid on its out-of-fold scores). Gradient boosting stops early
    when a held-out tenth of the rows stops improving.
    """
    models = {
        "logistic regression": Pipeline([
            ("features", _preprocessor(scale=True)),
            ("model", LogisticRegression(max_iter=2000, C=1.0)),
        ]),
        "gradient boosting": Pipeline([
            ("features", _preprocessor(scale=False, dense=True)),
            # boosting stops when 10% of the training rows held out stop improving; at
            # scikit-learn's learning rate (0.1) it gets there in half the trees of 0.05
            ("model", HistGradientBoostingClassifier(random_state=seed, max_iter=200,
                                                     learning_rate=0.1, early_stopping=True,
                                                     validation_fraction=0.1,
                                                     n_iter_no_change=10)),
        ]),
    }
    if calibrate:
        # one model fitted on every row, its sigmoid fitted on 3-fold out-of-fold scores:
        # a third of the prediction time of an ensemble of the three fold models
        models = {k: CalibratedClassifierCV(m, method="sigmoid", cv=3, ensemble=False)
                  for k, m in models.items()}
    return models


def _prepare(x: pd.DataFrame) -> pd.DataFrame:
    """Numbers as floats, everything else as text (missing stays missing)."""
    x = x.copy()
    for col in x.columns:
        if pd.api.types.is_bool_dtype(x[col]):
            x[col] = x[col].astype(float)
        elif pd.api.types.is_numeric_dtype(x[col]):
            x[col] = x[col].astype(float)
        else:
            x[col] = x[col].astype(object).where(x[col].notna(), np.nan)
    return x


def _baseline_scores(x: pd.DataFrame) -> dict[str, np.ndarray]:
    """Each naive rule's score (higher, more risk) for the rules whose column ``x`` has and
    varies: a (nearly) constant column ranks no one (:class:`NearConstantDropper`)."""
    scores = {}
    for name, (col, sign) in BASELINES.items():
        if col in x.columns:
            v = pd.to_numeric(x[col], errors="coerce").astype(float)
            v = v.fillna(v.median())
            if len(v) and NearConstantDropper().fit(v.to_numpy()[:, None]).keep_[0]:
                scores[name] = (sign * v).to_numpy()
    return scores


def _as_probability(score_train, y_train, score_test) -> np.ndarray:
    """A one-feature logistic calibration of a naive score that keeps the score's direction.

    The slope is bounded below by a tiny positive number: the training window
    sets the level and steepness of the probabilities, never which way the rule
    ranks customers (a window where the rule happens to run backwards would
    otherwise turn it around, and the baseline would no longer be the rule).
    """
    mu, sd = float(np.mean(score_train)), float(np.std(score_train)) or 1.0
    z_train, z_test = (score_train - mu) / sd, (score_test - mu) / sd
    y = np.asarray(y_train, dtype=float)

    def loss(c):
        eta = c[0] + c[1] * z_train
        p = expit(eta)
        return np.mean(np.logaddexp(0, eta) - y * eta), np.array(
            [np.mean(p - y), np.mean((p - y) * z_train)])

    rate = float(np.clip(y.mean(), 1e-6, 1 - 1e-6))
    fit = optimize.minimize(loss, [np.log(rate / (1 - rate)), 1.0], jac=True,
                            method="L-BFGS-B", bounds=[(None, None), (1e-6, None)])
    return expit(fit.x[0] + fit.x[1] * z_test)


def _metrics(y, p) -> dict:
    return {"roc_auc": roc_auc_score(y, p), "pr_auc": average_precision_score(y, p),
            "brier": brier_score_loss(y, p)}


def fit_sample(x: pd.DataFrame, y, max_customers: int | None, seed: int = 0):
    """At most ``max_customers`` customers of ``x`` and ``y``, for fitting models on a large base.

    A stratified random sample (the churn rate kept) drawn with ``seed``, in the
    original order; ``x`` and ``y`` unchanged when they are no larger, or when
    ``max_customers`` is 0 or None. Models learn little from the millionth customer
    that they did not from the hundred-thousandth; scoring still covers everyone.

    Examples
    --------
    >>> x = pd.DataFrame({"a": range(10)})
    >>> xs, ys = fit_sample(x, [True] * 4 + [False] * 6, 5, seed=1)
    >>> len(xs), int(sum(ys))
    (5, 2)
    """
    if not max_customers or len(x) <= max_customers:
        return x, y
    if max_customers < 0:
        raise ValueError(f"max_customers must be positive or 0 (all), got {max_customers}")
    labels = np.asarray(y)
    picked, _ = train_test_split(np.arange(len(x)), train_size=int(max_customers),
                                 stratify=labels, random_state=seed)
    picked = np.sort(picked)
    return x.iloc[picked], (y.iloc[picked] if hasattr(y, "iloc") else labels[picked])


def cross_validate(x: pd.DataFrame, y, cv: int = 5, seed: int = 0) -> pd.DataFrame:
    """Cross-validated ROC-AUC, PR-AUC and Brier score of every model and baseline.

    Parameters
    ----------
    x : pandas.DataFrame
        Raw features: numbers and text, missing values allowed.
    y : array-like of bool
        Churned or not.
    cv : int
        Folds (stratified, shuffled with ``seed``).

    Returns
    -------
    pandas.DataFrame
        One row per model and baseline (the baselines whose column is in ``x``:
        ``recency`` from ``days_since_last_purchase``, ``p_alive``), columns
        ``roc_auc``, ``pr_auc`` and ``brier``: means over the folds.
    """
    x = _prepare(x)
    y = np.asarray(y, dtype=bool)
    if y.all() or not y.any():
        raise ValueError("the target has a single class: nothing to predict")
    folds = StratifiedKFold(n_splits=cv, shuffle=True, random_state=seed)
    rows: dict[str, list[dict]] = {}
    baseline = _baseline_scores(x)
    for train, test in folds.split(x, y):
        for name, model in model_pipelines(seed).items():
            model.fit(x.iloc[train], y[train])
            rows.setdefault(name, []).append(
                _metrics(y[test], model.predict_proba(x.iloc[test])[:, 1]))
        for name, score in baseline.items():
            p = _as_probability(score[train], y[train], score[test])
            rows.setdefault(name, []).append(_metrics(y[test], p))
    out = pd.DataFrame({k: pd.DataFrame(v).mean() for k, v in rows.items()}).T
    out.index.name = "model"
    return out


def choose_model(cv_table: pd.DataFrame, metric: str = "roc_auc") -> str:
    """The model (not a baseline) that scores best in cross-validation.

    The choice is made inside the training window (:func:`cross_validate` on its
    customers), so the evaluation window judges the chosen model once instead
    of choosing it. A baseline is a yardstick, not a candidate: when it beats
    every model, the cross-validation table shows it, and the best model is still returned.
    """
    models = [m for m in cv_table.index if m not in BASELINES]
    if not models:
        raise ValueError("the table holds no model, only baselines: run cross_validate first")
    scores = cv_table.loc[models, metric]
    return str(scores.idxmin() if metric == "brier" else scores.idxmax())  # Brier: lower is better


#: a ROC-AUC below this ranks churners hardly better than a coin: no ranking to act on
CHANCE_AUC = 0.55


def verdict(comparison: pd.DataFrame, chosen: str, metric: str = "roc_auc") -> dict:
    """What the test window says of the chosen model against the naive baselines.

    ``comparison`` is :func:`time_split`'s table (models and baselines judged at the later
    cutoff). The chosen model *beats its baseline* when it scores better than every naive
    rule there; when it does not, what a campaign should act on is the best of the table
    (another model, or a rule), and a report must say so, never headline the loser.

    Returns
    -------
    dict
        ``chosen`` and ``chosen_score``; ``baseline`` (the best naive rule, or None when
        there is none) and ``baseline_score``; ``beats_baseline``; ``use``, the model or
        rule to act on, and ``use_score``; ``chance``, whether even that ranks churners
        hardly better than chance (ROC-AUC below :data:`CHANCE_AUC`).

    >>> table = pd.DataFrame({"roc_auc": [0.50, 0.73, 0.68]},
    ...                      index=["logistic regression", "gradient boosting", "recency"])
    >>> v = verdict(table, "logistic regression")
    >>> v["beats_baseline"], v["use"], v["baseline"]
    (False, 'gradient boosting', 'recency')
    """
    lower_better = metric == "brier"
    scores = comparison[metric].astype(float).dropna()
    rules = [b for b in BASELINES if b in scores.index]

    def best(names):
        part = scores.loc[names]
        return str(part.idxmin() if lower_better else part.idxmax())

    baseline = best(rules) if rules else None
    mine = float(scores[chosen])
    beats = baseline is None or (mine < scores[baseline] if lower_better
                                 else mine > scores[baseline])
    use = chosen if beats else best(list(scores.index))
    use_score = float(scores[use])
    return {"chosen": chosen, "chosen_score": mine, "baseline": baseline,
            "baseline_score": None if baseline is None else float(scores[baseline]),
            "beats_baseline": bool(beats), "use": use, "use_score": use_score,
            "chance": metric == "roc_auc" and use_score < CHANCE_AUC}


def score_now(use: str, x_last: pd.DataFrame, y_last, x_now: pd.DataFrame,
              max_fit_customers: int | None = 50_000, seed: int = 0) -> pd.Series:
    """Each customer's churn risk now, by ``use``: a model of :func:`model_pipelines`
    refitted on the last window whose outcomes are known (``x_last``, ``y_last``: the
    features and labels at the test cutoff), or a naive rule of :data:`BASELINES`
    calibrated on it (its direction fixed by its meaning, :func:`_as_probability`).

    Scored on ``x_now``, the features at the end of the data; returns probabilities
    indexed like it, named ``churn_risk``.
    """
    if use in BASELINES:
        column, sign = BASELINES[use]
        if column not in x_last or column not in x_now:
            raise ValueError(f"the {use} rule needs the column {column!r} in the features of "
                             "both windows")
        train = sign * pd.to_numeric(x_last[column], errors="coerce").astype(float)
        now = sign * pd.to_numeric(x_now[column], errors="coerce").astype(float)
        p = _as_probability(train.fillna(train.median()).to_numpy(), np.asarray(y_last, bool),
                            now.fillna(train.median()).to_numpy())
    else:
        x_fit, y_fit = fit_sample(x_last, y_last, max_fit_customers, seed)
        final = model_pipelines(seed)[use].fit(_prepare(x_fit), np.asarray(y_fit, bool))
        p = final.predict_proba(_prepare(x_now).reindex(columns=x_last.columns))[:, 1]
    return pd.Series(p, index=x_now.index, name="churn_risk")


def time_split(x_train: pd.DataFrame, y_train, x_test: pd.DataFrame, y_test,
               seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """Train at an earlier cutoff, judge at a later one.

    Returns the comparison table (roc_auc, pr_auc, brier per model and
    baseline), the test predictions (one column per model, plus ``churned``)
    and the fitted models.
    """
    x_train, x_test = _prepare(x_train), _prepare(x_test)
    y_train, y_test = np.asarray(y_train, dtype=bool), np.asarray(y_test, dtype=bool)
    x_test = x_test.reindex(columns=x_train.columns)
    preds = pd.DataFrame(index=x_test.index)
    fitted = {}
    for name, model in model_pipelines(seed).items():
        fitted[name] = model.fit(x_train, y_train)
        preds[name] = model.predict_proba(x_test)[:, 1]
    train_scores, test_scores = _baseline_scores(x_train), _baseline_scores(x_test)
    for name in train_scores:
        if name in test_scores:
            preds[name] = _as_probability(train_scores[name], y_train, test_scores[name])
    table = pd.DataFrame({m: _metrics(y_test, preds[m]) for m in preds.columns}).T
    table.index.name = "model"
    preds["churned"] = y_test
    return table, preds, fitted


def churn_risk(transactions, as_of, horizon_days: int = 90, active_days: int = 365,
               model: str = "logistic regression", seed: int = 0, lines_as_of=None,
               max_fit_customers: int | None = 50_000, **feature_tables) -> pd.Series:
    """Each active customer's probability of churning in the ``horizon_days`` after ``as_of``.

    The model learns from the last window whose outcome is known: features at
    ``as_of - horizon_days`` and who churned by ``as_of``; it then scores the
    features at ``as_of``. Customers without a purchase in the ``active_days``
    before ``as_of`` are not scored (they have already lapsed).

    Parameters
    ----------
    transactions : ibis Table or pandas.DataFrame
        Clean transaction lines.
    as_of : date
        The last day of what is known.
    horizon_days, active_days : int
        As in :func:`churn_labels`.
    model : str
        A key of :func:`model_pipelines`.
    seed : int
        Random seed of the model.
    lines_as_of : callable, optional
        The lines as known at a date (:meth:`crmwb.prepared.PreparedData.lines_as_of`),
        for the features at both dates (:func:`churn_dataset`).
    max_fit_customers : int or None
        The model learns from a seeded, stratified sample of at most this many
        customers (:func:`fit_sample`; 0 or None for all); every active customer is scored.
    **feature_tables
        ``customers``, ``contacts``, ``surveys``, ``returns`` for :func:`churn_features`.

    Returns
    -------
    pandas.Series
        Probabilities indexed by ``customer_id``, named ``churn_risk``.
    """
    pipelines = model_pipelines(seed)
    if model not in pipelines:
        raise ValueError(f"unknown churn model {model!r}; expected one of {list(pipelines)}")
    as_of = _day(as_of)
    # what was known at as_of: the features at the earlier cutoff, and who came back by as_of
    known = transactions if lines_as_of is None else lines_as_of(as_of)
    x_train, y_train = churn_dataset(known, as_of - pd.Timedelta(days=horizon_days),
                                     horizon_days, active_days, lines_as_of=lines_as_of,
                                     **feature_tables)
    if y_train.nunique() < 2:
        raise ValueError(f"cannot learn churn at {as_of - pd.Timedelta(days=horizon_days):%Y-%m-%d}"
                         f": all {len(y_train):,} active customers "
                         f"{'churned' if y_train.all() else 'stayed'}; choose another as_of")
    x_fit, y_fit = fit_sample(x_train, y_train, max_fit_customers, seed)
    fitted = pipelines[model].fit(_prepare(x_fit), y_fit)
    x_now = churn_features(known, as_of, active_days=active_days, **feature_tables)
    x_now = _prepare(x_now).reindex(columns=x_train.columns)
    return pd.Series(fitted.predict_proba(x_now)[:, 1], index=x_now.index, name="churn_risk")


def logistic_coefficients(x: pd.DataFrame, y, seed: int = 0) -> pd.Series:
    """Standardised coefficients of the (uncalibrated) logistic regression, largest first."""
    model = model_pipelines(seed, calibrate=False)["logistic regression"]
    model.fit(_prepare(x), np.asarray(y, dtype=bool))
    names = model.named_steps["features"].get_feature_names_out()
    coef = pd.Series(model.named_steps["model"].coef_[0], index=names)
    coef.index = coef.index.str.replace(r"^(numbers|text)__", "", regex=True)
    return coef.reindex(coef.abs().sort_values(ascending=False).index)


def importance(model, x: pd.DataFrame, y, seed: int = 0, n_repeats: int = 5,
               max_customers: int | None = 10_000) -> pd.DataFrame:
    """Permutation importance (drop in ROC-AUC when a column is shuffled), largest first.

    Estimated on a stratified sample of at most ``max_customers`` customers
    (:func:`fit_sample`; None for all): each column is shuffled ``n_repeats`` times
    and the model scores every customer each time, so on a large base the sample
    saves minutes and the ranking of features does not change.
    """
    x, y = fit_sample(x, y, max_customers, seed)
    x = _prepare(x)
    result = permutation_importance(model, x, np.asarray(y, dtype=bool), scoring="roc_auc",
                                    n_repeats=n_repeats, random_state=seed)
    out = pd.DataFrame({"importance": result.importances_mean, "std": result.importances_std},
                       index=x.columns)
    return out.sort_values("importance", ascending=False)


# --- evaluation a marketer can read ------------------------------------------------------

def decile_table(y, score, deciles: int = 10) -> pd.DataFrame:
    """Customers ranked by risk and cut into deciles (1 = riskiest).

    Columns: customers, churners, churn_rate, lift (churn rate / overall rate),
    cumulative_capture (share of all churners in this and the riskier deciles).

    Examples
    --------
    >>> decile_table([1, 1, 0, 1, 0, 0, 0, 0, 0, 0], [.9, .8, .7, .6, .5, .4, .3, .2, .1, 0],
    ...              deciles=5)["churners"].tolist()
    [2, 1, 0, 0, 0]
    """
    y = np.asarray(y, dtype=float)
    order = np.argsort(-np.asarray(score, dtype=float), kind="stable")
    group = np.arange(len(y)) * deciles // len(y) + 1
    frame = pd.DataFrame({"decile": group, "y": y[order]})
    g = frame.groupby("decile")["y"]
    out = pd.DataFrame({"customers": g.size(), "churners": g.sum().astype(int)})
    out["churn_rate"] = out["churners"] / out["customers"]
    out["lift"] = out["churn_rate"] / y.mean()
    out["cumulative_capture"] = out["churners"].cumsum() / y.sum()
    return out


def gains_table(y, score, points: int = 100) -> pd.DataFrame:
    """Cumulative gains and lift: churners captured by contacting the riskiest share."""
    y = np.asarray(y, dtype=float)
    order = np.argsort(-np.asarray(score, dtype=float), kind="stable")
    captured = np.cumsum(y[order]) / y.sum()
    share = np.arange(1, len(y) + 1) / len(y)
    idx = np.unique(np.linspace(0, len(y) - 1, min(points, len(y))).round().astype(int))
    return pd.DataFrame({"contacted_share": share[idx], "captured_share": captured[idx],
                         "lift": captured[idx] / share[idx]})


# --- retention targeting ------------------------------------------------------------------

def profit_curve(risk: pd.Series, value: pd.Series | float, offer_cost: float = 5.0,
                 acceptance_rate: float = 0.3, saved_share: float = 1.0,
                 incentive_cost: float = 0.0, stayer_acceptance: float = 1.0) -> pd.DataFrame:
    """Expected profit of a retention offer to the top-k customers (Neslin et al. 2006).

    Contacting a customer costs ``offer_cost``. With probability ``risk_i`` they
    were going to leave; the offer keeps ``acceptance_rate`` of those, who then
    bring ``saved_share`` of their value *if retained* and take the incentive
    (``incentive_cost``). The customers who would have stayed anyway take the
    incentive too (``stayer_acceptance`` of them, all by default: it is free to
    them) and bring nothing more. So

    ``gain_i = risk_i x acceptance_rate x (saved_share x value_i - incentive_cost)
    - (1 - risk_i) x stayer_acceptance x incentive_cost - offer_cost``

    and customers are contacted in decreasing order of their expected gain.

    Parameters
    ----------
    risk : pandas.Series
        Each customer's probability of churning (:func:`churn_risk`).
    value : pandas.Series or float
        Each customer's value if retained: a CLV that is *not* already weighted
        by the chance of leaving (:func:`crmwb.clv.customer_lifetime_value` with
        ``given_alive=True``), or a fixed margin. A CLV weighted by P(alive)
        would count the churn twice.

    Returns
    -------
    pandas.DataFrame
        Customers in contact order: ``customer_id``, ``risk``, ``value``,
        ``expected_gain``, ``k`` and ``cumulative_profit``; ``attrs["best_k"]``
        is the k with the highest expected profit (0 when no offer pays).
    """
    for name, share in (("acceptance_rate", acceptance_rate), ("saved_share", saved_share),
                        ("stayer_acceptance", stayer_acceptance)):
        if not 0 <= share <= 1:
            raise ValueError(f"profit_curve: {name} is a share between 0 and 1, got {share}")
    value = pd.Series(value, index=risk.index) if np.isscalar(value) else \
        value.reindex(risk.index).fillna(0)
    frame = pd.DataFrame({"customer_id": risk.index, "risk": risk.to_numpy(),
                          "value": value.to_numpy()})
    frame["expected_gain"] = (
        frame["risk"] * acceptance_rate * (saved_share * frame["value"] - incentive_cost)
        - (1 - frame["risk"]) * stayer_acceptance * incentive_cost - offer_cost)
    frame = frame.iloc[np.argsort(-frame["expected_gain"].to_numpy(), kind="stable")]
    frame = frame.reset_index(drop=True)
    frame["k"] = np.arange(1, len(frame) + 1)
    frame["cumulative_profit"] = frame["expected_gain"].cumsum()
    best = int(frame["cumulative_profit"].idxmax()) + 1 if len(frame) else 0
    if len(frame) and frame["cumulative_profit"].max() <= 0:
        best = 0
    frame.attrs.update(best_k=best, best_profit=float(frame["cumulative_profit"].max())
                       if best else 0.0)
    return frame


def contact_list(curve: pd.DataFrame, path=None) -> pd.DataFrame:
    """The customers to contact (the best k of the profit curve), written to ``path``.

    The file is written whole or not at all, safe to open in a spreadsheet
    (:func:`crmwb.io.write_csv`).
    """
    chosen = curve.head(curve.attrs.get("best_k", 0))[
        ["customer_id", "risk", "value", "expected_gain"]]
    if path is not None:
        from crmwb import io

        io.write_csv(chosen, path)
    return chosen


# --- the contractual case ---------------------------------------------------------------

def kaplan_meier(durations, churned, groups=None) -> pd.DataFrame:
    """Kaplan-Meier retention curves (scipy.stats.ecdf on right-censored data).

    Returns one row per group and time: ``group``, ``time`` and ``retention``
    (the share still subscribed after ``time`` periods).
    """
    from scipy.stats import CensoredData, ecdf

    durations = pd.Series(np.asarray(durations, dtype=float))
    churned = pd.Series(np.asarray(churned, dtype=bool))
    groups = pd.Series(np.full(len(durations), "all") if groups is None else np.asarray(groups))
    rows = []
    for name in pd.unique(groups):
        sel = (groups == name).to_numpy()
        d, c = durations[sel].to_numpy(), churned[sel].to_numpy()
        res = ecdf(CensoredData(uncensored=d[c], right=d[~c]))
        times = np.r_[0.0, res.sf.quantiles]
        rows.append(pd.DataFrame({"group": name, "time": times,
                                  "retention": np.r_[1.0, res.sf.probabilities]}))
    return pd.concat(rows, ignore_index=True)
