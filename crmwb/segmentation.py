"""Segmentation: RFM scores and segments, k-means clusters, the retail/wholesale split.

CONCEPTS.md section 6: customers are differentiated by behaviour and value.
Everything here starts from :func:`crmwb.summary.customer_summary`:

- :func:`rfm_scores` gives quintile scores 1-5 for recency, frequency and
  monetary value, the RFM cell and a named segment (:data:`RFM_SEGMENTS`, a
  mapping the parameters can replace);
- :func:`cluster_customers` fits k-means on log-transformed, standardised RFM
  (optionally with one-hot demographic and geographic columns) as one
  scikit-learn Pipeline, chooses k by silhouette, and profiles and names the
  clusters;
- :func:`retail_wholesale` splits customers into retail (many small orders) and
  wholesale (few large ones) by order size and frequency.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize
from scipy.special import gammaln
from sklearn.cluster import KMeans
from sklearn.compose import ColumnTransformer
from sklearn.metrics import silhouette_score
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

#: The named RFM segments: each is a list of patterns matched against the two-digit
#: recency-frequency score ("51" = R 5, F 1); the first segment that matches wins.
#: Together they cover all 25 cells.
RFM_SEGMENTS: dict[str, list[str]] = {
    "champions": ["5[45]"],
    "loyal": ["[34][45]"],
    "potential loyalists": ["[45][23]"],
    "new": ["51"],
    "promising": ["41"],
    "need attention": ["33"],
    "about to sleep": ["3[12]"],
    "cannot lose them": ["[12]5"],
    "at risk": ["[12][34]"],
    "hibernating": ["[12]2", "21"],
    "lost": ["11"],
}

#: summary columns behind R, F and M, and whether a higher value is better
RFM_COLUMNS = {"R": ("days_since_last_purchase", False), "F": ("invoices", True),
               "M": ("revenue", True)}


def quantile_scores(values: pd.Series, bins: int = 5, higher_is_better: bool = True
                    ) -> pd.Series:
    """Scores 1..``bins`` by quantile; equal values always get equal scores.

    A value's score is set by the share of customers strictly worse than it:
    ``1 + floor(bins * share)``. Every customer gets a score, the worst value
    always scores 1, and when many customers share a value (most bought once)
    they share its score and some scores are not used.

    Examples
    --------
    >>> quantile_scores(pd.Series([10, 20, 30, 40, 50, 60, 70, 80, 90, 100])).tolist()
    [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    >>> quantile_scores(pd.Series([1, 1, 1, 1, 1, 1, 2, 2, 3, 9])).tolist()
    [1, 1, 1, 1, 1, 1, 4, 4, 5, 5]
    >>> quantile_scores(pd.Series([3, 30, 300]), bins=3, higher_is_better=False).tolist()
    [3, 2, 1]
    """
    if values.isna().any():
        raise ValueError(f"column {values.name!r} has missing values: cannot score them")
    v = values if higher_is_better else -values
    worse = v.rank(method="min") - 1
    return (1 + np.floor(bins * worse / len(v))).astype(int).clip(1, bins)


def check_segments(segments: dict[str, list[str]], bins: int = 5) -> None:
    """Raise when a segment mapping leaves some R-F cells without a segment."""
    cells = [f"{r}{f}" for r in range(1, bins + 1) for f in range(1, bins + 1)]
    patterns = [(name, re.compile(p)) for name, ps in segments.items() for p in ps]
    uncovered = [c for c in cells if not any(p.fullmatch(c) for _, p in patterns)]
    if uncovered:
        raise ValueError(f"the RFM segment mapping leaves cells {uncovered} without a "
                         "segment; add patterns for them (cells are 'RF', e.g. '51')")


def rfm_scores(
    summary: pd.DataFrame,
    bins: int = 5,
    segments: dict[str, list[str]] | None = None,
) -> pd.DataFrame:
    """RFM quintile scores, cell and named segment of every customer.

    Parameters
    ----------
    summary : pandas.DataFrame
        From :func:`crmwb.summary.customer_summary`.
    bins : int
        Number of score levels (5: quintiles).
    segments : dict, optional
        Segment name -> patterns on the 'RF' cell (see :data:`RFM_SEGMENTS`).

    Returns
    -------
    pandas.DataFrame
        Indexed like ``summary``: ``recency_days``, ``frequency``,
        ``monetary`` (the raw values), ``R``, ``F``, ``M`` (scores),
        ``rfm_cell`` (e.g. ``"545"``), ``rfm_score`` (R + F + M) and ``segment``.
    """
    segments = RFM_SEGMENTS if segments is None else segments
    check_segments(segments, bins)
    missing = [c for c, _ in RFM_COLUMNS.values() if c not in summary.columns]
    if missing:
        raise ValueError(f"summary lacks column(s) {missing}: use crmwb.summary.customer_summary")
    out = pd.DataFrame(index=summary.index)
    out["recency_days"] = summary["days_since_last_purchase"]
    out["frequency"] = summary["invoices"]
    out["monetary"] = summary["revenue"]
    for letter, (col, higher) in RFM_COLUMNS.items():
        out[letter] = quantile_scores(summary[col], bins, higher)
    out["rfm_cell"] = out["R"].astype(str) + out["F"].astype(str) + out["M"].astype(str)
    out["rfm_score"] = out["R"] + out["F"] + out["M"]
    rf = out["R"].astype(str) + out["F"].astype(str)
    segment = pd.Series(pd.NA, index=out.index, dtype="string")
    for name, patterns in segments.items():
        hit = segment.isna() & rf.str.fullmatch("|".join(f"(?:{p})" for p in patterns))
        segment[hit] = name
    out["segment"] = pd.Categorical(segment, categories=list(segments))
    return out


def segment_table(rfm: pd.DataFrame) -> pd.DataFrame:
    """Customers, revenue and their shares per RFM segment, in mapping order."""
    g = rfm.groupby("segment", observed=False).agg(
        customers=("monetary", "size"), revenue=("monetary", "sum"),
        mean_recency_days=("recency_days", "mean"), mean_frequency=("frequency", "mean"))
    g["customer_share"] = g["customers"] / g["customers"].sum()
    g["revenue_share"] = g["revenue"] / g["revenue"].sum()
    return g


def rf_grid(rfm: pd.DataFrame, value: str = "customers") -> pd.DataFrame:
    """An R-by-F table: customers (or mean monetary value) in each cell."""
    if value == "customers":
        grid = rfm.pivot_table(index="R", columns="F", values="monetary", aggfunc="size")
    else:
        grid = rfm.pivot_table(index="R", columns="F", values="monetary", aggfunc="mean")
    levels = range(1, int(max(rfm["R"].max(), rfm["F"].max(), 5)) + 1)
    return grid.reindex(index=levels[::-1], columns=levels).fillna(0)


# --- clusters ---------------------------------------------------------------------------

CLUSTER_FEATURES = ("days_since_last_purchase", "invoices", "revenue")


def _feature_frame(summary: pd.DataFrame, customers: pd.DataFrame | None,
                   categorical: list[str]) -> pd.DataFrame:
    x = summary[list(CLUSTER_FEATURES)].astype(float).copy()
    if categorical:
        if customers is None:
            raise ValueError(f"categorical columns {categorical} need the customers table")
        absent = [c for c in categorical if c not in customers.columns]
        if absent:
            raise ValueError(f"customers table has no column(s) {absent}")
        extra = customers.drop_duplicates("customer_id").set_index("customer_id")[categorical]
        x = x.join(extra.astype("string").fillna("unknown").astype(object))
        x[categorical] = x[categorical].fillna("unknown")
    return x


def cluster_pipeline(k: int, categorical: list[str] | None = None, seed: int = 0) -> Pipeline:
    """log1p and standard scaling of R, F, M; one-hot categories; k-means."""
    numeric = make_pipeline(FunctionTransformer(np.log1p, feature_names_out="one-to-one"),
                            StandardScaler())
    parts = [("rfm", numeric, list(CLUSTER_FEATURES))]
    if categorical:
        parts.append(("categories", OneHotEncoder(handle_unknown="ignore",
                                                  sparse_output=False), list(categorical)))
    return Pipeline([
        ("features", ColumnTransformer(parts)),
        ("kmeans", KMeans(n_clusters=k, n_init=10, random_state=seed)),
    ])


def choose_k(
    summary: pd.DataFrame,
    ks: range | list[int] = range(2, 9),
    customers: pd.DataFrame | None = None,
    categorical: list[str] | None = None,
    seed: int = 0,
    sample_size: int = 5000,
    max_customers: int | None = 100_000,
) -> pd.DataFrame:
    """Inertia (for the elbow) and silhouette score for each k.

    The silhouette is computed on at most ``sample_size`` customers (seeded). On a
    larger base than ``max_customers`` (None for no limit) the k-means of each k are
    fitted to a seeded random sample of that many: the elbow keeps its shape (inertia
    is then the sample's), and seven k-means fits of a million customers took a minute.
    """
    categorical = list(categorical or [])
    x = _feature_frame(summary, customers, categorical)
    if max_customers and len(x) > max_customers:
        x = x.sample(max_customers, random_state=seed).sort_index()
    rows = []
    for k in ks:
        pipe = cluster_pipeline(k, categorical, seed).fit(x)
        z = pipe.named_steps["features"].transform(x)
        labels = pipe.named_steps["kmeans"].labels_
        sil = silhouette_score(z, labels, sample_size=min(sample_size, len(z)),
                               random_state=seed)
        rows.append({"k": k, "inertia": pipe.named_steps["kmeans"].inertia_,
                     "silhouette": sil})
    return pd.DataFrame(rows).set_index("k")


_NAME_WORDS = {
    "days_since_last_purchase": ("recent", "fading", "lapsed"),
    "invoices": ("occasional", "regular", "frequent"),
    "revenue": ("low-spending", "mid-spending", "high-spending"),
}


def _cluster_names(profile: pd.DataFrame, all_customers: pd.DataFrame) -> list[str]:
    """Name each cluster by where its medians fall among all customers' terciles."""
    names = []
    for _, row in profile.iterrows():
        words = []
        for col, labels in _NAME_WORDS.items():
            low, high = all_customers[col].quantile([1 / 3, 2 / 3])
            words.append(labels[0] if row[col] <= low else labels[2] if row[col] > high
                         else labels[1])
        names.append(" ".join(words))
    seen: dict[str, int] = {}
    unique = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        unique.append(name if names.count(name) == 1 else f"{name} {seen[name]}")
    return unique


@dataclass
class Clusters:
    """The outcome of :func:`cluster_customers`."""

    #: cluster name of each customer
    labels: pd.Series
    #: per cluster: customers, share, median R/F/M, revenue share, name
    profile: pd.DataFrame
    #: inertia and silhouette per k tried
    scores: pd.DataFrame
    #: the fitted scikit-learn Pipeline
    pipeline: Pipeline
    #: the k with the best silhouette among all k tried (None when none were tried)
    silhouette_k: int | None = None
    #: why k is what it is: "silhouette" (its best), "min_k" (the silhouette's best was
    #: below min_k, so the best of at least min_k) or "given" (asked for)
    k_reason: str = "given"


#: customers each cluster needs at least, for a cluster to be a group rather than a few points
MIN_PER_CLUSTER = 5


def cluster_minimum(k: int | None = None, ks=range(2, 9)) -> int:
    """The customers :func:`cluster_customers` needs: :data:`MIN_PER_CLUSTER` for each of
    ``k`` clusters, or of the largest ``k`` it may choose among ``ks``.

    >>> cluster_minimum(4), cluster_minimum()
    (20, 40)
    """
    return MIN_PER_CLUSTER * (k or max(ks))


def cluster_customers(
    summary: pd.DataFrame,
    k: int | None = None,
    customers: pd.DataFrame | None = None,
    categorical: list[str] | None = None,
    ks: range | list[int] = range(2, 9),
    seed: int = 0,
    min_k: int = 3,
) -> Clusters:
    """k-means clusters of customers by R, F and M, profiled and named.

    Parameters
    ----------
    summary : pandas.DataFrame
        From :func:`crmwb.summary.customer_summary`.
    k : int, optional
        Number of clusters; when omitted, the k of at least ``min_k`` in ``ks``
        with the best silhouette.
    customers : pandas.DataFrame, optional
        The customers table, for ``categorical`` columns (e.g. region, gender).
    categorical : list of str, optional
        Customer columns added one-hot encoded.
    ks : range
        The k tried for the elbow and silhouette scores; empty to skip them
        when ``k`` is given.
    seed : int
        Random state of k-means and of the silhouette sample.
    min_k : int
        Smallest k chosen automatically: two clusters of RFM data mostly split
        active from lapsed customers, which the RFM segments already show.

    Returns
    -------
    Clusters
        Names read from where each cluster's medians fall among all customers'
        terciles: recent, fading or lapsed; occasional, regular or frequent;
        low-, mid- or high-spending. ``silhouette_k`` and ``k_reason`` say
        which k the silhouette prefers and why the k used was chosen, for the
        report to show when they differ.
    """
    categorical = list(categorical or [])
    if k is None and not len(ks):
        raise ValueError("cluster_customers needs k, or some ks to choose it from")
    # with k given and ks empty, the elbow and silhouette scores are skipped (large data)
    scores = choose_k(summary, ks, customers, categorical, seed) if len(ks) else pd.DataFrame()
    silhouette_k = int(scores["silhouette"].idxmax()) if len(scores) else None
    reason = "given"
    if k is None:
        eligible = scores[scores.index >= min_k]
        if eligible.empty:
            raise ValueError(f"no k in {list(ks)} is at least min_k={min_k}")
        k = int(eligible["silhouette"].idxmax())
        reason = "silhouette" if k == silhouette_k else "min_k"
    x = _feature_frame(summary, customers, categorical)
    pipe = cluster_pipeline(k, categorical, seed).fit(x)
    raw = pd.Series(pipe.named_steps["kmeans"].labels_, index=summary.index)
    cols = list(CLUSTER_FEATURES)
    profile = summary[cols].groupby(raw).median()
    profile.insert(0, "customers", raw.value_counts().sort_index())
    profile["customer_share"] = profile["customers"] / len(raw)
    profile["revenue_share"] = summary["revenue"].groupby(raw).sum() / summary["revenue"].sum()
    # number clusters by revenue share, largest first, so labels do not depend on k-means order
    profile = profile.sort_values("revenue_share", ascending=False)
    profile["name"] = _cluster_names(profile, summary[cols])
    names = profile["name"]
    profile = profile.reset_index(drop=True).set_index("name")
    profile.attrs["kinds"] = {"name": "text"}  # a cluster's name, in the reader's words
    labels = raw.map(names).rename("cluster")
    return Clusters(labels=labels, profile=profile, scores=scores, pipeline=pipe,
                    silhouette_k=silhouette_k, k_reason=reason)


# --- retail and wholesale ---------------------------------------------------------------

def purchase_rate(summary: pd.DataFrame, per_days: float = 30.0) -> pd.Series:
    """Each customer's purchase rate (invoices per ``per_days``), fair to new customers.

    A raw rate, invoices over tenure, gives a customer who bought once three days
    ago ten purchases a month. Here each customer's rate is the mean of their
    posterior under a gamma-Poisson model of repeat purchases (the NBD, fitted
    by maximum likelihood to everyone's repeat invoices over their tenure): a
    long history speaks for itself, a short one is drawn towards the
    population's rate: ``(r + repeats) / (alpha + tenure)``, the repeat purchases
    expected per day of a customer with that history.

    Examples
    --------
    >>> s = pd.DataFrame({"invoices": [1, 13, 2, 5, 1], "tenure_days": [3, 360, 200, 300, 400]})
    >>> rate = purchase_rate(s)
    >>> bool(rate.iloc[0] < rate.iloc[1])  # one invoice in three days is not ten a month
    True
    """
    x = (summary["invoices"].to_numpy(dtype=float) - 1).clip(min=0)
    T = summary["tenure_days"].to_numpy(dtype=float).clip(min=0)

    def negll(z):
        r, alpha = np.exp(z)
        with np.errstate(divide="ignore", invalid="ignore"):
            ll = (gammaln(r + x) - gammaln(r) - gammaln(x + 1) + r * np.log(alpha / (alpha + T))
                  + np.where(x > 0, x * np.log(np.where(T > 0, T, 1.0) / (alpha + T)), 0.0))
        return -ll.sum()

    start = np.log([1.0, max(float(np.mean(T)), 1.0) / max(float(np.mean(x)), 0.1)])
    r, alpha = np.exp(optimize.minimize(negll, start, method="Nelder-Mead",
                                        options={"xatol": 1e-6, "fatol": 1e-8}).x)
    rate = (r + x) / (alpha + T)
    return pd.Series(rate * per_days, index=summary.index, name="purchase_rate")


def retail_wholesale(summary: pd.DataFrame, seed: int = 0) -> pd.Series:
    """Split customers into ``retail`` and ``wholesale`` by order size and frequency.

    Two k-means clusters on the standardised logs of the average basket and of
    the purchase rate (:func:`purchase_rate`: a new customer's rate is not
    inflated by a short tenure); the cluster with the larger baskets is
    wholesale: few macro transactions against many micro ones.

    Returns
    -------
    pandas.Series
        ``retail`` or ``wholesale`` per customer, indexed like ``summary``.
    """
    if len(summary) < 2:
        raise ValueError("need at least two customers to split retail from wholesale")
    rate = purchase_rate(summary)
    x = np.column_stack([np.log1p(summary["average_basket"].clip(lower=0)), np.log(rate)])
    pipe = make_pipeline(StandardScaler(), KMeans(n_clusters=2, n_init=10, random_state=seed))
    labels = pipe.fit_predict(x)
    basket = pd.Series(x[:, 0]).groupby(labels).mean()
    wholesale = int(basket.idxmax())
    return pd.Series(np.where(labels == wholesale, "wholesale", "retail"), index=summary.index,
                     name="customer_type")


# --- descriptive bases: geography, demography, channel ----------------------------------------

#: age bands of demographic segmentation: (key, lowest age, highest age)
AGE_BANDS = (("age_under_25", 0, 24), ("age_25_34", 25, 34), ("age_35_44", 35, 44),
             ("age_45_54", 45, 54), ("age_55_plus", 55, 200))


def age_bands(ages: pd.Series) -> pd.Series:
    """Each age's band (:data:`AGE_BANDS`); missing ages stay missing.

    >>> age_bands(pd.Series([19, 34, 35, 70, None])).tolist()
    ['age_under_25', 'age_25_34', 'age_35_44', 'age_55_plus', nan]
    """
    a = pd.to_numeric(ages, errors="coerce")
    out = pd.Series(np.nan, index=ages.index, dtype=object)
    for key, low, high in AGE_BANDS:
        out[(a >= low) & (a <= high)] = key
    return out.rename("age_band")


def _main_value(transactions, column: str, name: str) -> pd.Series:
    """Each customer's most common value of a line column (by invoices), counted in the
    engine; ties go to the value first in name order; empty when the lines lack it."""
    from crmwb.engine import to_pandas
    from crmwb.summary import _as_table

    t = _as_table(transactions)
    if column not in t.columns:  # an export without it (Online Retail has no channel)
        return pd.Series(dtype=object, name=name)
    t = t.filter(t.customer_id.notnull() & t[column].notnull() & (t.quantity > 0))
    per = t.group_by(["customer_id", column]).agg(invoices=t.invoice_id.nunique())
    per = to_pandas(per).sort_values(["customer_id", "invoices", column],
                                     ascending=[True, False, True])
    return per.drop_duplicates("customer_id").set_index("customer_id")[column].rename(name)


def main_channel(transactions) -> pd.Series:
    """Each customer's purchase channel: the channel of most of their invoices (online,
    store, phone...), counted in the engine; ties go to the channel first in name order."""
    return _main_value(transactions, "channel", "purchase_channel")


def main_country(transactions) -> pd.Series:
    """Each customer's country, as the lines record it (Online Retail's ``Country``): the
    country of most of their invoices; empty when the lines record none."""
    return _main_value(transactions, "country", "country")


def descriptive_bases(customers: pd.DataFrame | None,
                      channel: pd.Series | None = None,
                      country: pd.Series | None = None) -> dict[str, pd.Series]:
    """The bases of segmentation beside value and behaviour (session 3): geography
    (``country`` from the lines, :func:`main_country`, and ``region``), demography
    (``age_band``, ``gender``), how customers were acquired (``acquisition_channel``) and
    where they buy (``purchase_channel``), each a Series by customer id; those the data
    hold (a country named by every line counts only when there are two)."""
    out = {}
    if country is not None and country.nunique() >= 2:
        out["country"] = country
    if customers is not None:
        c = customers.drop_duplicates("customer_id").set_index("customer_id")
        if "region" in c:
            out["region"] = c["region"]
        if "age" in c:
            out["age_band"] = age_bands(c["age"])
        for col in ("gender", "acquisition_channel"):
            if col in c:
                out[col] = c[col]
    if channel is not None and len(channel):
        out["purchase_channel"] = channel
    return out


def segment_by(summary: pd.DataFrame, attribute: pd.Series,
               profit: pd.Series | None = None) -> pd.DataFrame:
    """Customers, revenue and profit by one descriptive basis (:func:`descriptive_bases`).

    Returns
    -------
    pandas.DataFrame
        One row per group (customers without the attribute under ``unknown``), largest
        first: ``customers``, ``customer_share``, ``revenue_share``, ``spend_index``
        (revenue per customer over the average of the customers whose attribute is known:
        businesses without an age do not set the bar for the age bands) and, with
        ``profit``, ``profit_share``.
    """
    group = attribute.reindex(summary.index).astype(object).where(lambda g: g.notna(), "unknown")
    revenue = summary["revenue"].astype(float)
    g = revenue.groupby(group)
    out = pd.DataFrame({"customers": g.size(), "revenue": g.sum()})
    out["customer_share"] = out["customers"] / out["customers"].sum()
    out["revenue_share"] = out["revenue"] / out["revenue"].sum()
    known = group != "unknown"
    average = revenue[known].mean() if known.any() else revenue.mean()
    out["spend_index"] = (out["revenue"] / out["customers"]) / average
    if profit is not None:
        p = profit.reindex(summary.index).fillna(0.0)
        out["profit_share"] = p.groupby(group).sum() / p.sum() if p.sum() else np.nan
    out.index.name = attribute.name if isinstance(attribute.name, str) else "group"
    return out.drop(columns="revenue").sort_values("customers", ascending=False)

