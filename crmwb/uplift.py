"""Uplift modelling: whose behaviour a contact changes.

A campaign's average uplift over its control group (:func:`crmwb.service.campaign_results`)
says whether the campaign paid on the whole. The marketer's question is sharper: whom to
contact next time. The course's four kinds of customer answer it. A *sure thing* buys with or
without the offer (contacting them costs the offer), a *lost cause* buys neither way, a
*persuadable* buys because of it, and a *do-not-disturb* customer buys less for being
contacted. Targeting by churn risk mixes the persuadables with the lost causes; targeting by
response mixes them with the sure things. An uplift model estimates, for each customer, the
difference the contact makes:

``uplift(x) = P(respond | contacted, x) - P(respond | not contacted, x)``

learned from a randomised campaign, where the control group shows what the treated would have
done untouched.

- :func:`uplift_dataset`: customer features as of the day before the campaign (the churn
  features, :func:`crmwb.churn.churn_features`, and contacts with the front line), whether
  each customer was treated, and their response. A feature date on or after the campaign is
  refused: what the campaign caused cannot explain whom it should reach.
- :class:`UpliftModel`: the two-model learner (``method="t"``: one model of response for the
  treated, one for the control group, uplift their difference) and the X-learner
  (``method="x"``, Kuenzel et al. 2019: each group's imputed effects from the other group's
  model, then a model of those effects, weighted by the share treated). Learners are
  scikit-learn's, seeded. :func:`cross_fit_predict` gives every customer an uplift from a
  model fitted without them.
- Evaluation on those held-out predictions: :func:`qini_curve` and :func:`qini_coefficient`
  (Radcliffe 2007), :func:`uplift_curve` and :func:`auuc` (Rzepakowski & Jaroszewicz 2012),
  :func:`uplift_by_decile`, and :func:`compare_scores` for the uplift model against random
  and churn-risk targeting.
- :func:`targeting_profit`: whom to contact, by expected incremental profit
  ``uplift x value - cost``, against contacting the riskiest as many customers and against
  contacting everyone, each policy's profit measured on the experiment itself.

The metrics are written out here (a few lines each, tested against curves computed by hand):
scikit-uplift, which has them, has not had a release since 2022, and causalml, maintained,
brings a large stack of dependencies for a few short functions.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from sklearn.base import clone, is_classifier
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import Pipeline

from crmwb import churn

METHODS = ("t", "x")
#: the outcomes a campaign table records
OUTCOMES = ("responded", "revenue")


# --- the data ---------------------------------------------------------------------------------
def campaign_date(campaigns: pd.DataFrame, campaign_id=None) -> pd.Timestamp:
    """The day a campaign started: its earliest contact."""
    part = _one_campaign(campaigns, campaign_id)
    return pd.Timestamp(pd.to_datetime(part["date"]).min()).normalize()


def _one_campaign(campaigns: pd.DataFrame, campaign_id=None) -> pd.DataFrame:
    ids = campaigns["campaign_id"].dropna().unique()
    if campaign_id is None:
        if len(ids) != 1:
            raise ValueError(f"campaigns: {len(ids)} campaigns ({', '.join(map(str, ids[:5]))}"
                             "); say which one with campaign_id")
        campaign_id = ids[0]
    part = campaigns[campaigns["campaign_id"] == campaign_id]
    if part.empty:
        raise ValueError(f"campaigns: no campaign {campaign_id!r}; there are "
                         f"{', '.join(map(str, ids[:5]))}")
    return part


def uplift_dataset(transactions, campaigns: pd.DataFrame, campaign_id=None, cutoff=None,
                   outcome: str = "responded", customers: pd.DataFrame | None = None,
                   contacts: pd.DataFrame | None = None, surveys: pd.DataFrame | None = None,
                   returns=None, lines_as_of=None) -> tuple[pd.DataFrame, pd.Series, pd.Series]:
    """Features of a campaign's customers as of before it, their group and their response.

    Parameters
    ----------
    transactions : ibis Table or pandas.DataFrame
        Clean transaction lines.
    campaigns : pandas.DataFrame
        The campaign table (``customer_id``, ``campaign_id``, ``date``, ``group``
        treatment/control, ``responded``, ``revenue``).
    campaign_id : optional
        Which campaign, when the table holds several.
    cutoff : date, optional
        The last day the features know: the day before the campaign by default. A cutoff on
        or after the campaign's first day is refused (the features would see the response).
    outcome : str
        ``"responded"`` (bought in the response window) or ``"revenue"``.
    customers, contacts, surveys, returns
        As in :func:`crmwb.churn.churn_features`; every contact with the front line (any kind)
        before the cutoff is also counted, per invoice. ``purchases_overdue``: the purchase
        days the customer's own pace would have brought since their last one.
    lines_as_of : callable, optional
        The lines as known at a date (:meth:`crmwb.prepared.PreparedData.lines_as_of`): a
        purchase cancelled after the cutoff is still whole in the features, as it was then.

    Returns
    -------
    (X, treatment, y)
        ``X`` indexed by ``customer_id`` (one row per campaign customer; a customer with no
        purchase by the cutoff keeps a row of missing features), ``treatment`` (bool) and
        ``y`` on the same index. ``X.attrs``: ``cutoff``, ``campaign_date``.
    """
    if outcome not in OUTCOMES:
        raise ValueError(f"uplift_dataset: outcome must be one of {OUTCOMES}, got {outcome!r}")
    part = _one_campaign(campaigns, campaign_id)
    start = campaign_date(part)
    cutoff = start - pd.Timedelta(days=1) if cutoff is None else pd.Timestamp(cutoff).normalize()
    if cutoff >= start:
        raise ValueError(
            f"uplift_dataset: cutoff {cutoff:%Y-%m-%d} is not before the campaign's first day "
            f"{start:%Y-%m-%d}; features must be known before the contact (set cutoff to "
            f"{start - pd.Timedelta(days=1):%Y-%m-%d} or earlier)")
    groups = part["group"].astype(str)
    unknown = sorted(set(groups) - {"treatment", "control"})
    if unknown:
        raise ValueError(f"campaigns: group must be 'treatment' or 'control', found {unknown}")
    missing = part[outcome].isna()
    if missing.any():
        raise ValueError(f"campaigns: {int(missing.sum()):,} customers have no {outcome!r} (for "
                         f"instance {', '.join(map(str, part.loc[missing, 'customer_id'][:5]))})"
                         "; an unknown response cannot be read as no response")
    part = _one_row_per_customer(part.assign(group=groups))
    groups = part["group"]
    ids = pd.Index(part["customer_id"], name="customer_id")
    known = transactions if lines_as_of is None else lines_as_of(cutoff)
    x = churn.churn_features(known, cutoff, customers=customers, contacts=contacts,
                             surveys=surveys, returns=returns, active_days=10**6)
    x = x.reindex(ids)
    # how far behind their own pace a customer is: the purchase days their average pace over
    # their tenure would have brought since their last one (defined after one purchase too,
    # unlike the gap ratio)
    x["purchases_overdue"] = x["days_since_last_purchase"] * x["purchase_days"] / (
        x["tenure_days"] + 1)
    if contacts is not None and len(contacts):
        before = contacts[pd.to_datetime(contacts["date"]) < cutoff + pd.Timedelta(days=1)]
        counts = before.groupby("customer_id").size()
        x["contacts"] = counts.reindex(ids).fillna(0).to_numpy()
        x["contacts_per_invoice"] = x["contacts"] / x["invoices"].where(x["invoices"] > 0)
    treatment = pd.Series((groups == "treatment").to_numpy(), index=ids, name="treatment")
    y = part[outcome].to_numpy()
    y = pd.Series(y.astype(bool) if outcome == "responded" else y.astype(float), index=ids,
                  name=outcome)
    x.attrs.update(cutoff=cutoff, campaign_date=start)
    return x, treatment, y


def _one_row_per_customer(part: pd.DataFrame) -> pd.DataFrame:
    """A campaign's rows, one per customer. After identity resolution one person's two
    records may both be in it: in one group they count once (responded if either did, their
    revenue added); in both groups their contact was not randomised, and they are left out.
    Either is said in a warning."""
    counts = part.groupby("customer_id")["group"].agg(["size", "nunique"])
    twice = counts[counts["size"] > 1]
    if twice.empty:
        return part
    both = twice.index[twice["nunique"] > 1]
    kept = part[~part["customer_id"].isin(both)]
    agg = {c: "first" for c in kept.columns if c != "customer_id"}
    agg.update({c: f for c, f in (("responded", "max"), ("revenue", "sum"), ("cost", "sum"))
                if c in kept})
    merged = kept.groupby("customer_id", sort=False, as_index=False).agg(agg)
    warnings.warn(
        f"campaign {part['campaign_id'].iloc[0]!r}: {len(twice):,} customers appear more than "
        f"once (records of one person, merged by identity resolution; for instance "
        f"{', '.join(map(str, twice.index[:3]))}): {len(twice) - len(both):,} in one group "
        f"count once, their responses combined; {len(both):,} in both groups are left out, "
        "their contact not randomised", UserWarning, stacklevel=3)
    return merged


# --- the models -------------------------------------------------------------------------------
def _binary(y) -> bool:
    values = pd.unique(np.asarray(y, dtype=float))
    return set(values) <= {0.0, 1.0}


def default_learner(binary: bool = True, seed: int = 0) -> Pipeline:
    """Shallow gradient boosting (trees of depth 2, at least 100 customers a leaf, stopping
    when a held-out 15% stops improving) after the churn models' encoding: a campaign's
    groups are small and an uplift is a small difference of two rates, which a deeper model
    buries under the noise it learns (on the bundled shop, depth 3 with leaves of 40 ranks
    the true uplift less well, and random forests and logistic regression less still)."""
    kwargs = dict(max_depth=2, min_samples_leaf=100, learning_rate=0.05, max_iter=300,
                  l2_regularization=1.0, early_stopping=True, validation_fraction=0.15,
                  n_iter_no_change=15, random_state=seed)
    model = HistGradientBoostingClassifier(**kwargs) if binary else \
        HistGradientBoostingRegressor(**kwargs)
    return Pipeline([("features", churn._preprocessor(scale=False, dense=True)),
                     ("model", model)])


class UpliftModel:
    """Each customer's uplift: the two-model learner or the X-learner.

    Parameters
    ----------
    method : {"t", "x"}
        ``"t"``: a model of the outcome for the treated and one for the control group; the
        uplift is their difference. ``"x"``: the X-learner, which also models the effect
        itself: the treated customers' imputed effects ``y - mu0(x)``, the control
        customers' ``mu1(x) - y``, a regression of each, blended by the share treated
        ``g``: ``g * tau0(x) + (1 - g) * tau1(x)`` (the smaller group's outcome model weighs
        less).
    learner : scikit-learn estimator, optional
        The outcome model (a classifier for a yes/no outcome: its probabilities are used);
        :func:`default_learner` when omitted. Cloned for each group.
    effect_learner : scikit-learn regressor, optional
        The X-learner's model of the imputed effects; gradient boosting as
        :func:`default_learner` when omitted.
    seed : int
        Seeds every learner that takes one, and the sample below.
    max_fit_customers : int or None
        Learn from a seeded sample of at most this many customers, stratified by group and
        outcome (a campaign of a million customers teaches little more than 100,000 of them
        do); 0 or None for all. Every customer is predicted.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame({"recency": rng.uniform(0, 1, 4000)})
    >>> t = pd.Series(rng.random(4000) < 0.5)
    >>> y = pd.Series(rng.random(4000) < 0.1 + 0.3 * t * (X["recency"] > 0.5))
    >>> m = UpliftModel("t").fit(X, t, y)
    >>> u = m.predict(pd.DataFrame({"recency": [0.2, 0.8]}))
    >>> bool(u[1] - u[0] > 0.2)
    True
    """

    def __init__(self, method: str = "t", learner=None, effect_learner=None, seed: int = 0,
                 max_fit_customers: int | None = 100_000):
        if method not in METHODS:
            raise ValueError(f"UpliftModel: method must be one of {METHODS}, got {method!r}")
        self.method, self.learner, self.effect_learner, self.seed = (method, learner,
                                                                     effect_learner, seed)
        self.max_fit_customers = max_fit_customers

    def _outcome_model(self, binary: bool):
        model = default_learner(binary, self.seed) if self.learner is None else clone(
            self.learner)
        _seed(model, self.seed)
        return model

    def _effect_model(self):
        model = default_learner(False, self.seed) if self.effect_learner is None else clone(
            self.effect_learner)
        _seed(model, self.seed)
        return model

    def _outcome(self, model, X) -> np.ndarray:
        return model.predict_proba(X)[:, 1] if is_classifier(model) else model.predict(X)

    def fit(self, X: pd.DataFrame, treatment, y) -> UpliftModel:
        """Learn from a randomised campaign: features, treated or not, outcome."""
        X = churn._prepare(pd.DataFrame(X))
        t = np.asarray(treatment, dtype=bool)
        y = np.asarray(y, dtype=float)
        if not (len(X) == len(t) == len(y)):
            raise ValueError(f"UpliftModel.fit: {len(X)} rows of X, {len(t)} of treatment, "
                             f"{len(y)} of y")
        if np.isnan(y).any():
            raise ValueError("UpliftModel.fit: the outcome y has missing values")
        for name, rows in (("treated", t), ("control", ~t)):
            if rows.sum() < 20:
                raise ValueError(f"UpliftModel.fit: {rows.sum()} {name} customers; an uplift "
                                 "model needs both groups (20 or more each)")
        self.binary_ = _binary(y)
        self.columns_ = list(X.columns)
        self.share_treated_ = float(t.mean())
        if self.max_fit_customers and len(X) > self.max_fit_customers:
            sample, _ = churn.fit_sample(X.assign(_t=t, _y=y), t.astype(int) * 2 + (y > 0),
                                         self.max_fit_customers, self.seed)
            t, y = sample.pop("_t").to_numpy(bool), sample.pop("_y").to_numpy(float)
            X = sample
        self.mu1_ = self._outcome_model(self.binary_).fit(X[t], y[t])
        self.mu0_ = self._outcome_model(self.binary_).fit(X[~t], y[~t])
        if self.method == "x":
            d1 = y[t] - self._outcome(self.mu0_, X[t])
            d0 = self._outcome(self.mu1_, X[~t]) - y[~t]
            self.tau1_ = self._effect_model().fit(X[t], d1)
            self.tau0_ = self._effect_model().fit(X[~t], d0)
        return self

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """Each customer's estimated uplift: the outcome if contacted minus if not."""
        if not hasattr(self, "mu1_"):
            raise ValueError("UpliftModel: fit it first")
        X = churn._prepare(pd.DataFrame(X)).reindex(columns=self.columns_)
        if self.method == "t":
            return self._outcome(self.mu1_, X) - self._outcome(self.mu0_, X)
        g = self.share_treated_
        return g * self.tau0_.predict(X) + (1 - g) * self.tau1_.predict(X)


def _seed(model, seed: int) -> None:
    params = model.get_params()
    model.set_params(**{k: seed for k in params if k == "random_state"
                        or k.endswith("__random_state")})


def cross_fit_predict(model: UpliftModel, X: pd.DataFrame, treatment, y, folds: int = 5,
                      seed: int = 0) -> pd.Series:
    """Every customer's uplift from a model fitted on the other folds (stratified by group
    and outcome, seeded): an honest score to evaluate, as on customers the model never saw."""
    t = np.asarray(treatment, dtype=bool)
    yv = np.asarray(y, dtype=float)
    strata = t.astype(int) * 2 + (yv > 0) if _binary(yv) else t.astype(int)
    out = np.full(len(X), np.nan)
    splitter = StratifiedKFold(folds, shuffle=True, random_state=seed)
    for train, test in splitter.split(np.zeros(len(X)), strata):
        fitted = UpliftModel(model.method, model.learner, model.effect_learner, model.seed,
                             model.max_fit_customers).fit(X.iloc[train], t[train], yv[train])
        out[test] = fitted.predict(X.iloc[test])
    return pd.Series(out, index=X.index, name="uplift")


# --- the metrics ------------------------------------------------------------------------------
def _cumulative(y, treatment, score) -> pd.DataFrame:
    """Customers in decreasing score, cumulated at each distinct score (ties enter together:
    a tie has no order of its own)."""
    y = np.asarray(y, dtype=float)
    t = np.asarray(treatment, dtype=bool)
    s = np.asarray(score, dtype=float)
    if not (len(y) == len(t) == len(s)):
        raise ValueError(f"uplift metrics: {len(y)} outcomes, {len(t)} groups, {len(s)} scores")
    if np.isnan(s).any() or np.isnan(y).any():
        raise ValueError("uplift metrics: missing scores or outcomes")
    order = np.argsort(-s, kind="stable")
    y, t, s = y[order], t[order], s[order]
    last = np.r_[s[1:] != s[:-1], True]  # the last customer of each run of equal scores
    frame = pd.DataFrame({
        "targeted": np.arange(1, len(s) + 1),
        "treated": np.cumsum(t), "control": np.cumsum(~t),
        "treated_outcome": np.cumsum(y * t), "control_outcome": np.cumsum(y * ~t),
    })[last]
    start = pd.DataFrame({k: [0] for k in frame.columns})
    frame = pd.concat([start, frame], ignore_index=True)
    frame.insert(0, "share", frame["targeted"] / len(s))
    return frame


def qini_curve(y, treatment, score) -> pd.DataFrame:
    """The Qini curve (Radcliffe 2007): targeting customers in decreasing score, the
    incremental outcome so far,

    ``qini = treated_outcome - control_outcome x treated / control``

    (the control group's outcome scaled to the treated group's size; 0 while no control
    customer is reached), at each distinct score; ``random`` is the straight line of
    targeting at random, to the same end point.
    """
    c = _cumulative(y, treatment, score)
    scale = (c["treated"] / c["control"]).where(c["control"] > 0, 0.0)
    c["qini"] = c["treated_outcome"] - c["control_outcome"] * scale
    c["random"] = c["share"] * c["qini"].iloc[-1]
    return c


def _area(x: pd.Series, v: pd.Series) -> float:
    return float(np.trapezoid(v.to_numpy(float), x.to_numpy(float)))


def qini_coefficient(y, treatment, score) -> float:
    """The area between the Qini curve and random targeting, as a share of the same area
    for a perfect ranking (the treated who responded first, the control customers who
    responded last): 1 at best, 0 for no better than random, negative for worse. The
    x-axis is the share of customers targeted.
    """
    y = np.asarray(y, dtype=float)
    t = np.asarray(treatment, dtype=bool)
    curve = qini_curve(y, t, score)
    perfect = qini_curve(y, t, y * t - y * ~t)
    gain = _area(curve["share"], curve["qini"] - curve["random"])
    best = _area(perfect["share"], perfect["qini"] - perfect["random"])
    return gain / best if best > 0 else float("nan")


def uplift_curve(y, treatment, score) -> pd.DataFrame:
    """The uplift curve (Rzepakowski & Jaroszewicz 2012): the difference in mean outcome
    between the treated and the control customers targeted so far, times the number
    targeted (0 while a group is empty); ``random`` as in :func:`qini_curve`."""
    c = _cumulative(y, treatment, score)
    both = (c["treated"] > 0) & (c["control"] > 0)
    diff = (c["treated_outcome"] / c["treated"] - c["control_outcome"] / c["control"])
    c["uplift"] = (diff * c["targeted"]).where(both, 0.0)
    c["random"] = c["share"] * c["uplift"].iloc[-1]
    return c


def auuc(y, treatment, score) -> float:
    """Area under the uplift curve, per customer (x the share targeted, y the incremental
    outcome per customer of the whole base): the mean incremental outcome over every
    targeting depth. Random targeting scores half the whole base's uplift."""
    c = uplift_curve(y, treatment, score)
    return _area(c["share"], c["uplift"] / c["targeted"].iloc[-1])


def uplift_by_decile(y, treatment, score, deciles: int = 10, true_uplift=None
                     ) -> pd.DataFrame:
    """Customers cut into ``deciles`` groups of falling score: each group's treated and
    control customers, their response rates, the observed uplift (difference of the
    rates) and the mean predicted score; ``true_uplift`` (known for a synthetic shop) adds
    each group's mean true uplift."""
    y = np.asarray(y, dtype=float)
    t = np.asarray(treatment, dtype=bool)
    s = np.asarray(score, dtype=float)
    order = np.argsort(-s, kind="stable")
    group = np.empty(len(s), dtype=int)
    group[order] = np.arange(len(s)) * deciles // len(s) + 1
    frame = pd.DataFrame({"decile": group, "t": t, "y": y, "score": s})
    if true_uplift is not None:
        frame["true"] = np.asarray(true_uplift, dtype=float)
    g = frame.groupby("decile")
    out = pd.DataFrame({
        "customers": g.size(),
        "treated": g["t"].sum().astype(int),
        "control": (~frame["t"]).groupby(frame["decile"]).sum().astype(int),
        "treated_rate": frame[frame["t"]].groupby("decile")["y"].mean(),
        "control_rate": frame[~frame["t"]].groupby("decile")["y"].mean(),
        "predicted_uplift": g["score"].mean(),
    })
    out["observed_uplift"] = out["treated_rate"] - out["control_rate"]
    if true_uplift is not None:
        out["true_uplift"] = g["true"].mean()
    out = out.rename_axis("uplift_decile")
    out.attrs["kinds"] = {c: "share" for c in ("predicted_uplift", "observed_uplift",
                                               "true_uplift")}
    return out


def compare_scores(y, treatment, scores: dict) -> pd.DataFrame:
    """Qini coefficient and AUUC of each targeting score (the uplift model's, churn risk...)
    and of random targeting (a Qini coefficient of 0; an AUUC of half the base's uplift)."""
    rows = {name: {"qini_coefficient": qini_coefficient(y, treatment, s),
                   "auuc": auuc(y, treatment, s)} for name, s in scores.items()}
    c = uplift_curve(y, treatment, np.zeros(len(np.asarray(y))))
    rows["random"] = {"qini_coefficient": 0.0,
                      "auuc": 0.5 * float(c["uplift"].iloc[-1] / c["targeted"].iloc[-1])}
    out = pd.DataFrame.from_dict(rows, orient="index").rename_axis("targeting")
    out.attrs["kinds"] = {"qini_coefficient": "ratio", "auuc": "share"}
    return out


# --- whom to contact ---------------------------------------------------------------------------
def _policy_profit(y, t, v, pick, cost: float) -> float:
    """What contacting ``pick`` earned in the campaign: the contacted count times the treated
    minus the control customers' mean value-weighted outcome among them, less the cost."""
    tr, co = pick & t, pick & ~t
    if not (tr.any() and co.any()):
        return 0.0 if not pick.any() else float("nan")
    n = pick.sum()
    return float(n * ((v * y)[tr].mean() - (v * y)[co].mean()) - n * cost)


def targeting_profit(y, treatment, uplift, value, cost: float, risk=None,
                     true_uplift=None, boot: int = 400, seed: int = 0) -> pd.DataFrame:
    """Whom to contact, and what each way of choosing earns.

    The uplift policy contacts the customers whose expected incremental profit
    ``uplift x value - cost`` is positive. It is compared with contacting the same number
    of the riskiest customers (``risk``; customers it leaves missing, lapsed beyond the
    churn model's reach, count as the riskiest), with contacting everyone and with
    contacting no one.

    Each policy's profit is measured on the campaign itself, which was randomised: among the
    customers a policy picks, the treated's mean outcome minus the control's is the uplift
    the contact caused there, and the same difference of value-weighted outcomes what it
    earned: ``contacted x (mean(value x y | treated) - mean(value x y | control) - cost)``.
    That measure is as noisy as the campaign's responses: ``profit_low`` and ``profit_high``
    bound its 95% bootstrap interval (``boot`` resamples of the treated and of the control
    customers, seeded). With ``true_uplift`` (a synthetic shop), also the profit the truth
    promises: ``sum(true uplift x value - cost)`` (a customer the truth cannot place, say two
    people's records merged, adds only the cost).

    Parameters
    ----------
    y, treatment
        Each customer's outcome (responded) and group in the campaign.
    uplift : array-like
        Each customer's estimated uplift, held out (:func:`cross_fit_predict`).
    value : array-like or float
        What one more response is worth from each customer (say the margin on their usual
        order).
    cost : float
        The cost of one contact.
    """
    y = np.asarray(y, dtype=float)
    t = np.asarray(treatment, dtype=bool)
    u = np.asarray(uplift, dtype=float)
    v = np.broadcast_to(np.asarray(value, dtype=float), u.shape)
    if np.isnan(v).any():
        raise ValueError("targeting_profit: missing values of a response (value)")
    chosen = u * v - cost > 0
    policies = {"by uplift": chosen}
    if risk is not None:
        r = np.asarray(risk, dtype=float)
        order = np.argsort(-np.where(np.isnan(r), np.inf, r), kind="stable")
        riskiest = np.zeros(len(r), bool)
        riskiest[order[:chosen.sum()]] = True
        policies["the riskiest"] = riskiest
    policies["everyone"] = np.ones(len(u), bool)
    policies["no one"] = np.zeros(len(u), bool)
    # one resample at a time (of the treated and of the control customers), every policy on
    # it: a million customers' resamples are never held together
    rng = np.random.default_rng(seed)
    treated, control = np.flatnonzero(t), np.flatnonzero(~t)
    again = {name: [] for name in policies}
    for _ in range(boot):
        d = np.r_[rng.choice(treated, len(treated)), rng.choice(control, len(control))]
        yd, td, vd = y[d], t[d], v[d]
        for name, pick in policies.items():
            again[name].append(_policy_profit(yd, td, vd, pick[d], cost))
    rows = {}
    for name, pick in policies.items():
        n = int(pick.sum())
        tr, co = pick & t, pick & ~t
        observed = y[tr].mean() - y[co].mean() if tr.any() and co.any() else 0.0
        low, high = np.nanpercentile(again[name], [2.5, 97.5]) if boot else (np.nan, np.nan)
        row = {"contacted": n, "targeted_share": n / len(u), "observed_uplift": observed,
               "incremental_responses": n * observed,
               "profit": _policy_profit(y, t, v, pick, cost), "profit_low": low,
               "profit_high": high}
        if true_uplift is not None:
            tu = np.asarray(true_uplift, dtype=float)
            row["true_profit"] = float(np.nansum(tu[pick] * v[pick]) - n * cost)
        rows[name] = row
    out = pd.DataFrame.from_dict(rows, orient="index").rename_axis("policy")
    out.attrs["kinds"] = {"observed_uplift": "share", "incremental_responses": "number"}
    return out
