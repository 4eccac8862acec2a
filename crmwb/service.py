"""Interact: complaints, satisfaction surveys and direct-marketing campaigns.

The practical CRM model of CONCEPTS.md section 9: the front line hears the
customers (contacts), the analysis finds where the firm fails their
expectations (complaints by category, resolution times, satisfaction), and
improvement ranks the causes (:func:`fmea_table`; the Ishikawa diagram is drawn
by :func:`crmwb.plots.ishikawa`). Direct marketing is measured as the course
does: response rate = customers who came to buy / customers marketed, against
a control group (:func:`campaign_results`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import linalg, stats

from crmwb import calendars
from crmwb.schema import COMPLAINT_CATEGORIES

#: complaints resolved within this many days meet the service level
SERVICE_LEVEL_DAYS = 3


# --- complaints ----------------------------------------------------------------------------

def complaints(contacts: pd.DataFrame) -> pd.DataFrame:
    """The complaints among the contacts, with ``days_to_resolve`` (missing while unresolved)."""
    c = contacts[contacts["kind"] == "complaint"].copy()
    c["days_to_resolve"] = (c["resolved_date"] - c["date"]).dt.total_seconds() / 86400
    return c


def monthly_activity(lines, calendar: str = "gregorian") -> pd.DataFrame:
    """Orders (distinct invoices) and buying customers per month of ``calendar``, counted in
    the engine.

    The denominators of :func:`complaint_rates` by month.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``month`` (the first day of each month): ``orders``, ``customers``.
    """
    from crmwb import engine
    from crmwb.summary import _as_table

    t = _as_table(lines)
    bought = calendars.with_month(t.filter(t.quantity > 0), calendar)
    per = bought.group_by(month_number=bought._month).agg(
        orders=bought.invoice_id.nunique(), customers=bought.customer_id.nunique())
    out = engine.to_pandas(per)
    out["month"] = calendars.to_start(out.pop("month_number"), calendar).to_numpy()
    return out.set_index("month").sort_index().astype("int64")


def complaint_rates(contacts: pd.DataFrame, customers, orders,
                    by: str = "category", calendar: str = "gregorian") -> pd.DataFrame:
    """Complaints and requests per ``by`` (category, channel or month), with rates.

    Rates are per 1,000 customers and per 1,000 orders (invoices). By category
    or channel, ``customers`` and ``orders`` are the period's totals. By month,
    each month's complaints are divided by that month's customers and orders:
    give them per month (Series indexed by the first day of the month, as from
    :func:`monthly_activity`, in the same ``calendar``); a month without orders has no rate.
    """
    c = contacts[contacts["kind"].isin(["complaint", "request"])].copy()
    if by == "month":
        if np.isscalar(customers) or np.isscalar(orders):
            raise ValueError("complaint_rates(by='month') needs customers and orders per month "
                             "(Series indexed by month, e.g. service.monthly_activity(lines)), "
                             "not the whole period's totals")
        c["month"] = calendars.month_start(c["date"], calendar)
    table = c.pivot_table(index=by, columns="kind", values="customer_id", aggfunc="size",
                          fill_value=0)
    for kind in ("complaint", "request"):
        if kind not in table:
            table[kind] = 0
    table = table[["complaint", "request"]].rename(columns={"complaint": "complaints",
                                                            "request": "requests"})
    if by == "category":
        table = table.reindex(list(COMPLAINT_CATEGORIES), fill_value=0)
    if by == "month":
        months = table.index.union(pd.Index(customers.index)).union(pd.Index(orders.index))
        table = table.reindex(months, fill_value=0)
        table.index.name = "month"
        customers = customers.reindex(months).where(lambda v: v > 0)
        orders = orders.reindex(months).where(lambda v: v > 0)
        table.insert(0, "orders", orders.fillna(0).astype("int64"))
        table.insert(1, "customers", customers.fillna(0).astype("int64"))
        customers, orders = customers.to_numpy(dtype=float), orders.to_numpy(dtype=float)
    table["complaints_per_1000_customers"] = 1000 * table["complaints"] / customers
    table["complaints_per_1000_orders"] = 1000 * table["complaints"] / orders
    table.columns.name = None
    return table


def pareto_table(counts: pd.Series, vital_share: float = 0.8) -> pd.DataFrame:
    """Categories from the most to the least frequent, with the cumulative share.

    The *vital few* are the categories needed to reach ``vital_share`` of the
    total: every category up to and including the one that crosses it.

    Examples
    --------
    >>> t = pareto_table(pd.Series({"a": 10, "b": 50, "c": 30, "d": 10}))
    >>> t["cumulative_share"].tolist(), t["vital_few"].tolist()
    ([0.5, 0.8, 0.9, 1.0], [True, True, False, False])
    """
    c = counts.sort_values(ascending=False, kind="stable")
    out = pd.DataFrame({"count": c, "share": c / c.sum()})
    out["cumulative_share"] = out["share"].cumsum().round(12)
    before = out["cumulative_share"].shift(fill_value=0.0)
    out["vital_few"] = before < vital_share - 1e-12
    return out


def resolution_summary(contacts: pd.DataFrame, target_days: float = SERVICE_LEVEL_DAYS
                       ) -> pd.Series:
    """Complaints, resolved share, median and 90th-percentile days, share within target."""
    c = complaints(contacts)
    resolved = c["days_to_resolve"].dropna()
    return pd.Series({
        "complaints": len(c), "resolved_share": len(resolved) / len(c) if len(c) else np.nan,
        "median_days": resolved.median(), "p90_days": resolved.quantile(0.9),
        "within_target_share": float((c["days_to_resolve"] <= target_days).mean())
        if len(c) else np.nan,
        "target_days": target_days})


def repeat_complainants(contacts: pd.DataFrame, minimum: int = 2) -> pd.DataFrame:
    """Customers with at least ``minimum`` complaints, most first."""
    c = complaints(contacts)
    g = c.groupby("customer_id")
    out = pd.DataFrame({"complaints": g.size(), "categories": g["category"].nunique(),
                        "unresolved": g["resolved_date"].apply(lambda s: s.isna().sum()),
                        "last_complaint": g["date"].max()})
    return out[out["complaints"] >= minimum].sort_values("complaints", ascending=False)


def proportion_ci(successes: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Wilson interval of a proportion (scipy)."""
    if n == 0:
        return (np.nan, np.nan)
    ci = stats.binomtest(int(successes), int(n)).proportion_ci(level, method="wilson")
    return float(ci.low), float(ci.high)


def churn_by_complaint_handling(contacts: pd.DataFrame, churned: pd.Series, cutoff,
                                target_days: float = SERVICE_LEVEL_DAYS,
                                match: pd.DataFrame | pd.Series | None = None) -> pd.DataFrame:
    """Churn rate of customers by how their complaints before ``cutoff`` were handled.

    Groups: no complaint, all resolved within ``target_days`` (quickly),
    resolved but some slowly, some unresolved at the cutoff. ``churned`` is
    :func:`crmwb.churn.churn_labels` at the same cutoff. Wilson 95% intervals.

    Complainants are not a random draw of the customers: a customer who buys often, and
    bought lately, has more chances to be let down, and is also more likely to buy again.
    Given ``match`` (columns describing each customer at the cutoff, such as their
    invoices and days since the last purchase), ``like_for_like`` is the retained rate of
    the customers without a complaint, weighted to the group's mix of strata (each
    column cut at its quintiles): the rate the group would have had without its
    complaints, to read its own retained rate against.
    """
    cut = pd.Timestamp(cutoff).normalize() + pd.Timedelta(days=1)
    c = complaints(contacts[contacts["date"] < cut])
    known = c["resolved_date"].notna() & (c["resolved_date"] < cut)
    c = c.assign(unresolved=~known, slow=known & (c["days_to_resolve"] > target_days))
    g = c.groupby("customer_id")
    status = pd.Series(np.select([g["unresolved"].any(), g["slow"].any()],
                                 ["unresolved", "resolved slowly"], "resolved quickly"),
                       index=g.size().index)
    group = status.reindex(churned.index).fillna("no complaint")
    order = ["no complaint", "resolved quickly", "resolved slowly", "unresolved"]
    rows = []
    for name in order:
        y = churned[group == name]
        low, high = proportion_ci(int(y.sum()), len(y))
        rows.append({"group": name, "customers": len(y), "churned": int(y.sum()),
                     "churn_rate": y.mean() if len(y) else np.nan, "ci_low": low,
                     "ci_high": high, "retained_rate": 1 - y.mean() if len(y) else np.nan})
    out = pd.DataFrame(rows).set_index("group")
    if match is not None:
        match = match.to_frame() if isinstance(match, pd.Series) else match
        match = match.reindex(churned.index)
        cuts = [pd.qcut(match[c].rank(method="first"), 5, labels=False).fillna(-1).astype(int)
                if match[c].notna().sum() >= 5 else pd.Series(0, index=match.index)
                for c in match.columns]
        bins = pd.Series(list(zip(*cuts)), index=churned.index) if cuts else \
            pd.Series(0, index=churned.index)
        alone = group == "no complaint"
        rate = (1 - churned[alone].astype(float)).groupby(bins[alone]).mean()

        def like_for_like(name):
            mix = bins[group == name].value_counts(normalize=True)
            known = mix.index.intersection(rate.index)
            return float((mix[known] * rate[known]).sum() / mix[known].sum()) if len(known) \
                else np.nan

        out["like_for_like"] = [like_for_like(name) for name in order]
    return out


# --- root causes ---------------------------------------------------------------------------

#: The families of causes an Ishikawa diagram's bones name (the "6M": people, methods,
#: materials, machines, measurement and the environment); a team may add its own.
CAUSE_FAMILIES = ("people", "methods", "materials", "machines", "measurement", "environment")

#: The shop's root causes (failure modes) by default: each with its family, the complaint
#: categories it produces (its effects), and the team's severity and detection (1-10).
ROOT_CAUSES = {
    "untrained front-line staff": {"family": "people", "effects": ["responsiveness", "warranty"],
                                   "severity": 5, "detection": 4},
    "careless packing": {"family": "people", "effects": ["quality", "delivery"],
                         "severity": 6, "detection": 5},
    "no follow-up of open complaints": {"family": "methods",
                                        "effects": ["responsiveness", "warranty"],
                                        "severity": 7, "detection": 6},
    "unclear discount rules": {"family": "methods", "effects": ["price"],
                               "severity": 4, "detection": 3},
    "faulty supplier batches": {"family": "materials", "effects": ["quality", "warranty"],
                                "severity": 8, "detection": 6},
    "stock-outs": {"family": "materials", "effects": ["delivery"], "severity": 5, "detection": 3},
    "slow order system": {"family": "machines", "effects": ["delivery"],
                          "severity": 6, "detection": 4},
    "phone line overload": {"family": "machines", "effects": ["responsiveness"],
                            "severity": 5, "detection": 2},
    "no incoming quality checks": {"family": "measurement", "effects": ["quality"],
                                   "severity": 8, "detection": 7},
    "stock counts not reconciled": {"family": "measurement", "effects": ["delivery"],
                                    "severity": 5, "detection": 6},
    "courier congestion at peak seasons": {"family": "environment", "effects": ["delivery"],
                                           "severity": 5, "detection": 3},
    "supplier price changes": {"family": "environment", "effects": ["price"],
                               "severity": 4, "detection": 2},
}


def root_causes(complaints_by_category: pd.Series, causes: dict | None = None) -> pd.DataFrame:
    """Root causes (failure modes) with the complaints they produce.

    In a cause-and-effect analysis the complaint categories are the *effects*; the causes
    behind them are grouped by family (:data:`CAUSE_FAMILIES`) on the Ishikawa diagram's
    bones, and the FMEA table ranks the causes, not the categories (the practical CRM
    model's process improvement). A cause's occurrence is the complaints of the
    categories it produces, each category's complaints shared equally among the causes
    that produce it: the data tells how often the effect happens, the team which causes
    produce it.

    Parameters
    ----------
    complaints_by_category : pandas.Series
        Complaints per category.
    causes : dict, optional
        Root cause -> ``{"family", "effects", "severity", "detection"}``
        (:data:`ROOT_CAUSES` when None); ``severity`` and ``detection`` may be left out
        when given separately to :func:`fmea_table`.

    Returns
    -------
    pandas.DataFrame
        Indexed by root cause: ``family``, ``effects`` (the categories, comma-separated)
        and ``complaints`` (those it is credited with), in the order given.

    Raises
    ------
    ValueError
        A cause without a family or effects, or a category with complaints that no cause
        produces (the diagram would leave an effect unexplained).

    Examples
    --------
    >>> root_causes(pd.Series({"delivery": 30, "price": 10}),
    ...             {"courier": {"family": "environment", "effects": ["delivery"]},
    ...              "system": {"family": "machines", "effects": ["delivery", "price"]}}
    ...             )["complaints"].to_dict()
    {'courier': 15.0, 'system': 25.0}
    """
    causes = ROOT_CAUSES if causes is None else causes
    bad = [c for c, v in causes.items() if not isinstance(v, dict) or not v.get("family")
           or not v.get("effects")]
    if bad:
        raise ValueError(f"causes: each root cause needs a family and its effects (complaint "
                         f"categories), e.g. {{'courier delays': {{'family': 'environment', "
                         f"'effects': ['delivery']}}}}; not given for {bad}")
    counts = complaints_by_category[complaints_by_category > 0]
    producers = {cat: [c for c, v in causes.items() if cat in v["effects"]] for cat in counts.index}
    orphans = [cat for cat, who in producers.items() if not who]
    if orphans:
        raise ValueError(f"causes: no root cause produces the complaint categories {orphans}; "
                         f"add a cause whose effects name them")
    credited = {c: sum(counts[cat] / len(producers[cat]) for cat in v["effects"]
                       if cat in counts.index) for c, v in causes.items()}
    out = pd.DataFrame({"family": [v["family"] for v in causes.values()],
                        "effects": [", ".join(v["effects"]) for v in causes.values()],
                        "complaints": [float(credited[c]) for c in causes]},
                       index=pd.Index(list(causes), name="root_cause"))
    return out


def fishbone(roots: pd.DataFrame) -> dict[str, list[str]]:
    """The Ishikawa diagram's bones: each family of causes with its root causes
    (:func:`root_causes`), families in :data:`CAUSE_FAMILIES` order, a team's own after."""
    order = [f for f in CAUSE_FAMILIES if f in set(roots["family"])]
    order += [f for f in dict.fromkeys(roots["family"]) if f not in order]
    return {f: roots.index[roots["family"] == f].tolist() for f in order}


def fmea_table(occurrences: pd.Series, severity: dict, detection: dict,
               actions: dict | None = None) -> pd.DataFrame:
    """Failure mode and effects analysis: RPN = severity x occurrence x detection.

    Occurrence comes from the data: each failure mode's count scaled to 1-10
    (``ceil(10 x count / largest count)``); severity and detection (1-10,
    10 = worst, hardest to detect) come from the parameters, kept as given: a
    team's average of several judgements (4.9) is not cut to 4.

    Examples
    --------
    >>> fmea_table(pd.Series({"late": 40, "broken": 10}), {"late": 4, "broken": 9},
    ...            {"late": 2, "broken": 5})[["O", "RPN"]].to_dict("list")
    {'O': [3, 10], 'RPN': [135, 80]}
    """
    missing = [m for m in occurrences.index if m not in severity or m not in detection]
    if missing:
        raise ValueError(f"severity and detection are needed for failure mode(s) {missing}")
    bad = {f"{what} of {k}": v for what, scores in (("severity", severity),
                                                     ("detection", detection))
           for k, v in scores.items() if not 1 <= v <= 10}
    if bad:
        raise ValueError(f"severity and detection must be 1-10; got {bad}")
    o = np.ceil(10 * occurrences / occurrences.max()).clip(1, 10).astype(int)
    out = pd.DataFrame({"count": occurrences, "S": pd.Series(severity), "O": o,
                        "D": pd.Series(detection)}).loc[occurrences.index]
    for col in ("S", "D"):  # whole scores stay whole; a team's averaged 4.9 stays 4.9
        whole = (out[col] % 1 == 0).all()
        out[col] = out[col].astype(int) if whole else out[col].astype(float)
    out["RPN"] = out["S"] * out["O"] * out["D"]
    out["action"] = [(actions or {}).get(m, "") for m in out.index]
    out.index.name = "failure_mode"
    return out.sort_values("RPN", ascending=False, kind="stable")


# --- satisfaction --------------------------------------------------------------------------

def csat(scores) -> float:
    """Customer satisfaction: the share of 4s and 5s on a 1-5 scale.

    >>> csat([5, 4, 3, 1])
    0.5
    """
    s = np.asarray(scores, dtype=float)
    s = s[~np.isnan(s)]
    return float(np.mean(s >= 4)) if len(s) else np.nan


def net_promoter_score(scores) -> float:
    """NPS: percentage of promoters (9-10) minus percentage of detractors (0-6).

    >>> net_promoter_score([10, 9, 8, 7, 6, 0])
    0.0
    >>> net_promoter_score([10, 10, 9, 3])
    50.0
    """
    s = np.asarray(scores, dtype=float)
    s = s[~np.isnan(s)]
    return float(100 * (np.mean(s >= 9) - np.mean(s <= 6))) if len(s) else np.nan


def _score_weights(statistic, values: np.ndarray) -> np.ndarray | None:
    """Each distinct score's weight when ``statistic`` is a mean of them (CSAT, NPS)."""
    if statistic is csat:
        return (values >= 4).astype(float)
    if statistic is net_promoter_score:
        return 100 * ((values >= 9).astype(float) - (values <= 6))
    return None


def bootstrap_ci(scores, statistic, level: float = 0.95, seed: int = 0,
                 n_resamples: int = 2000) -> tuple[float, float]:
    """Percentile bootstrap interval of a statistic of the scores, seeded.

    For CSAT and NPS, which are means over a few possible scores, a resample is
    drawn as the counts of each score (multinomial with the sample's shares:
    the same distribution as drawing the scores one by one), so a million
    surveys cost no more than a hundred. Other statistics go through scipy's
    bootstrap, in batches that keep at most about ten million resampled scores
    in memory at a time.
    """
    s = np.asarray(scores, dtype=float)
    s = s[~np.isnan(s)]
    if len(s) < 2:
        return (np.nan, np.nan)
    rng = np.random.default_rng(seed)
    values, counts = np.unique(s, return_counts=True)
    weights = _score_weights(statistic, values)
    if weights is not None:
        drawn = rng.multinomial(len(s), counts / len(s), size=n_resamples)
        estimates = drawn @ weights / len(s)
        tail = 100 * (1 - level) / 2
        low, high = np.percentile(estimates, [tail, 100 - tail])
        return float(low), float(high)
    res = stats.bootstrap((s,), lambda x, axis: np.apply_along_axis(statistic, axis, x),
                          confidence_level=level, n_resamples=n_resamples, method="percentile",
                          random_state=rng, vectorized=True,
                          batch=max(1, 10_000_000 // len(s)))
    return float(res.confidence_interval.low), float(res.confidence_interval.high)


def satisfaction_by(surveys: pd.DataFrame, by: str | pd.Series | None = None,
                    seed: int = 0, calendar: str = "gregorian") -> pd.DataFrame:
    """CSAT and NPS with bootstrap 95% intervals, overall or per group.

    ``by`` is a column of ``surveys`` (e.g. ``month``, which is derived from
    the date, in ``calendar``) or a Series mapping customer ids to groups (segment, channel...).
    """
    s = surveys.copy()
    if isinstance(by, pd.Series):
        s["group"] = s["customer_id"].map(by)
        key = "group"
    elif by == "month":
        s["group"] = calendars.month_start(s["date"], calendar)
        key = "group"
    elif by is None:
        s["group"] = "all"
        key = "group"
    else:
        key = by
    rows = []
    for name, part in s.groupby(key, observed=True):
        c_low, c_high = bootstrap_ci(part["csat"], csat, seed=seed)
        n_low, n_high = bootstrap_ci(part["nps"], net_promoter_score, seed=seed)
        rows.append({"group": name, "surveys": len(part), "csat": csat(part["csat"]),
                     "csat_low": c_low, "csat_high": c_high,
                     "nps": net_promoter_score(part["nps"]), "nps_low": n_low,
                     "nps_high": n_high})
    return pd.DataFrame(rows).set_index("group")


def satisfaction_drivers(surveys: pd.DataFrame, contacts: pd.DataFrame) -> pd.DataFrame:
    """What moves the CSAT score: a linear model on what the customer lived before the survey.

    Features per survey (from the customer's complaints before it): complaints,
    delivery complaints, unresolved complaints, mean days to resolve the
    resolved ones, and ``no_resolved_complaint``. A customer who never
    complained has no resolution time: rather than counting them as resolved at
    once (0 days), their days are set to the mean of those who have one and the
    indicator ``no_resolved_complaint`` carries their difference; so
    ``mean_days_to_resolve`` measures the cost of slow handling among those who
    were handled, and the service-recovery effect (a complaint resolved fast can
    leave a customer happier than no complaint at all) is not folded into it.

    Least squares (``scipy.linalg.lstsq``) on the standardised drivers. A driver
    that never varies in the data, or that the others determine (collinear), has
    no coefficient: it is left out, and ``attrs["dropped"]`` says which and why.

    Returns
    -------
    pandas.DataFrame
        Per driver kept: ``coefficient`` (score points per standard deviation),
        ``ci_low``, ``ci_high`` (95%, t distribution) and ``per_unit`` (score
        points per complaint, or per day).
    """
    c = complaints(contacts)
    numbered = surveys[["customer_id", "date", "csat"]].reset_index(drop=True).reset_index()
    merged = numbered.merge(
        c[["customer_id", "date", "category", "resolved_date", "days_to_resolve"]],
        on="customer_id", how="left", suffixes=("", "_c"))
    before = merged["date_c"] < merged["date"]
    merged = merged.assign(
        complaint=before, delivery=before & (merged["category"] == "delivery"),
        unresolved=before & (merged["resolved_date"].isna()
                             | (merged["resolved_date"] > merged["date"])),
        days=merged["days_to_resolve"].where(
            before & (merged["resolved_date"] <= merged["date"])))
    g = merged.groupby("index")
    days = g["days"].mean()
    x = pd.DataFrame({"complaints": g["complaint"].sum(),
                      "delivery_complaints": g["delivery"].sum(),
                      "unresolved_complaints": g["unresolved"].sum(),
                      "mean_days_to_resolve": days.fillna(days.mean() if days.notna().any()
                                                          else 0.0),
                      "no_resolved_complaint": days.isna().astype(float)}).astype(float)
    y = surveys["csat"].reset_index(drop=True).loc[x.index].to_numpy(dtype=float)
    dropped: dict[str, str] = {}
    kept: list[str] = []
    design = np.ones((len(x), 1))
    for col in x.columns:
        if x[col].nunique() < 2:
            dropped[col] = "constant"
            continue
        trial = np.column_stack([design, (x[col] - x[col].mean()) / x[col].std(ddof=0)])
        if np.linalg.matrix_rank(trial) < trial.shape[1]:
            dropped[col] = "collinear"
            continue
        design = trial
        kept.append(col)
    dof = len(y) - design.shape[1]
    if dof < 1:
        raise ValueError(f"satisfaction_drivers: {len(y)} surveys are too few for "
                         f"{design.shape[1]} coefficients")
    beta = linalg.lstsq(design, y)[0]
    resid = y - design @ beta
    cov = resid @ resid / dof * linalg.pinvh(design.T @ design)
    se = np.sqrt(np.clip(np.diag(cov), 0, None))
    t = stats.t.ppf(0.975, dof)
    sd = x[kept].std(ddof=0).to_numpy()
    out = pd.DataFrame({"coefficient": beta[1:], "ci_low": beta[1:] - t * se[1:],
                        "ci_high": beta[1:] + t * se[1:], "per_unit": beta[1:] / sd},
                       index=pd.Index(kept, name=None))
    out.attrs["dropped"] = dropped
    return out


def silent_dissatisfied(surveys: pd.DataFrame, contacts: pd.DataFrame,
                        low: int = 2, window_days: float | None = 30) -> pd.Series:
    """The dissatisfied answers (CSAT at most ``low``) and how many were voiced as a
    complaint.

    The course says only 4-6% of dissatisfied customers complain (TARP): each
    dissatisfied answer is counted as voiced when the customer complained within
    ``window_days`` of it, before or after (the same experience); with ``window_days``
    None, when the customer ever complained (a customer who buys often has many chances
    to complain about something else).

    Returns
    -------
    pandas.Series
        ``dissatisfied`` (answers), ``complained``, ``complained_share`` and ``silent``.
    """
    unhappy = surveys.loc[surveys["csat"] <= low, ["customer_id", "date"]].dropna()
    c = complaints(contacts)[["customer_id", "date"]].dropna()
    if window_days is None:
        voiced = unhappy["customer_id"].isin(set(c["customer_id"]))
    else:
        pairs = unhappy.reset_index().merge(c, on="customer_id", suffixes=("", "_complaint"))
        near = (pairs["date_complaint"] - pairs["date"]).abs() <= pd.Timedelta(days=window_days)
        voiced = unhappy.index.isin(pairs.loc[near, "index"])
    n = len(unhappy)
    return pd.Series({"dissatisfied": n, "complained": int(voiced.sum()),
                      "complained_share": float(voiced.mean()) if n else np.nan,
                      "silent": int(n - voiced.sum())})


# --- direct marketing ------------------------------------------------------------------------

def two_proportion_test(x1: int, n1: int, x2: int, n2: int, level: float = 0.95) -> dict:
    """Difference of two proportions: the pooled z test and Newcombe's interval.

    The interval is Newcombe's hybrid score interval (1998, method 10), built
    from the Wilson intervals of each proportion (:func:`proportion_ci`): unlike
    the Wald interval it stays inside [-1, 1], has a width when a proportion is
    0 or 1 (0/50 against 0/50 is not [0, 0]), and agrees with the score test.

    Returns ``difference`` (p1 - p2), ``ci_low``, ``ci_high``, ``z`` and the
    two-sided ``p_value``.
    """
    if n1 == 0 or n2 == 0:
        raise ValueError(f"two proportions need two groups: sizes {n1} and {n2}")
    p1, p2 = x1 / n1, x2 / n2
    pooled = (x1 + x2) / (n1 + n2)
    se0 = np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    z = (p1 - p2) / se0 if se0 > 0 else 0.0  # no response at all, or all: no difference seen
    l1, u1 = proportion_ci(x1, n1, level)
    l2, u2 = proportion_ci(x2, n2, level)
    d = p1 - p2
    low = d - np.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = d + np.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return {"difference": d, "ci_low": float(low), "ci_high": float(high), "z": z,
            "p_value": float(2 * stats.norm.sf(abs(z)))}


def campaign_results(campaigns: pd.DataFrame, margin: float = 0.3) -> pd.DataFrame:
    """Each campaign's response rate, uplift over control, incremental revenue and ROI.

    Response rate is the course's formula: customers who came to buy divided by
    customers marketed (the treatment group). Uplift is treatment minus control
    response rate, with a two-proportion test and Newcombe's interval
    (:func:`two_proportion_test`). Incremental revenue is the
    treatment group's revenue less what it would have brought at the control
    group's revenue per customer; ROI = (margin x incremental revenue - cost) / cost.
    """
    unknown = sorted(set(campaigns["group"].dropna().astype(str)) - {"treatment", "control"})
    if unknown:
        raise ValueError(f"campaigns: group must be 'treatment' or 'control', found {unknown}")
    rows = []
    for cid, part in campaigns.groupby("campaign_id"):
        t, c = part[part["group"] == "treatment"], part[part["group"] == "control"]
        if not len(c) or not len(t):
            raise ValueError(
                f"campaign {cid!r} has {len(t):,} treated and {len(c):,} control customers: "
                "without a control group the uplift (what the campaign caused) cannot be "
                "measured; hold out a random control group, or report the response rate alone")
        test = two_proportion_test(int(t["responded"].sum()), len(t),
                                   int(c["responded"].sum()), len(c))
        incremental = t["revenue"].sum() - len(t) * c["revenue"].mean()
        cost = part["cost"].sum()
        rows.append({"campaign_id": cid, "marketed": len(t),
                     "responders": int(t["responded"].sum()),
                     "response_rate": t["responded"].mean(), "control": len(c),
                     "control_rate": c["responded"].mean(), "uplift": test["difference"],
                     "uplift_low": test["ci_low"], "uplift_high": test["ci_high"],
                     "p_value": test["p_value"], "incremental_revenue": incremental,
                     "cost": cost,
                     "roi": (margin * incremental - cost) / cost if cost else np.nan})
    return pd.DataFrame(rows).set_index("campaign_id")


def response_by_segment(campaigns: pd.DataFrame, segments: pd.Series) -> pd.DataFrame:
    """Response rates of treatment and control, and the uplift, per customer segment."""
    part = campaigns.assign(segment=campaigns["customer_id"].map(segments))
    rates = part.pivot_table(index="segment", columns="group", values="responded",
                             aggfunc=["mean", "size"], observed=True)
    out = pd.DataFrame({"treated": rates[("size", "treatment")],
                        "treatment_rate": rates[("mean", "treatment")],
                        "control": rates[("size", "control")],
                        "control_rate": rates[("mean", "control")]})
    out["uplift"] = out["treatment_rate"] - out["control_rate"]
    return out
