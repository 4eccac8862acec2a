"""The BG/BB model: repeat transactions of customers observed per period.

Fader, Hardie & Shang (2010), "Customer-base analysis in a discrete-time noncontractual
setting", Marketing Science 29(6). A customer who is alive makes a transaction in a period
with probability p ~ Beta(alpha, beta), and at the start of each period after a
transaction opportunity drops out for good with probability theta ~ Beta(gamma, delta).
It suits data that are recorded per period (a donation per year, a visit per month):
the summary of a customer is ``frequency`` (periods with a transaction after the first),
``recency`` (the last of them, 0 if none) and ``periods`` (transaction opportunities
since the first).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import betaln, gammaln, hyp2f1, logsumexp

from crmwb.clv.models import _fit, _LikelihoodModel

_COLUMNS = ["frequency", "recency", "periods"]


def _read(data: pd.DataFrame, label: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    missing = [c for c in _COLUMNS if c not in data.columns]
    if missing:
        raise ValueError(f"{label}: the data lack column(s) {missing}: one row per customer "
                         "with frequency, recency and periods (crmwb.clv.period_summary)")
    x, t_x, n = (data[c].to_numpy(dtype=float) for c in _COLUMNS)
    bad = (~np.isfinite(x) | ~np.isfinite(t_x) | ~np.isfinite(n) | (x < 0) | (x != np.round(x))
           | (t_x != np.round(t_x)) | (n != np.round(n)) | (x > t_x) | (t_x > n)
           | ((x == 0) & (t_x != 0)) | ((x > 0) & (t_x < 1)))
    if bad.any():
        raise ValueError(f"{label}: {int(bad.sum()):,} row(s) are not whole counts with "
                         "0 <= frequency <= recency <= periods (recency 0 without a "
                         f"transaction), e.g.\n{data.loc[bad, _COLUMNS].head()}")
    return x, t_x, n


def _log_likelihood(alpha, beta, gamma, delta, x, t_x, n):
    """Each row's log-likelihood (FHS 2010, eq. 5), the sum taken as a log-sum-exp."""
    b_ab, b_gd = betaln(alpha, beta), betaln(gamma, delta)
    alive = betaln(alpha + x, beta + n - x) - b_ab + betaln(gamma, delta + n) - b_gd
    longest = int((n - t_x).max()) if len(n) else 0
    i = np.arange(longest)[None, :]
    gone = (betaln(alpha + x[:, None], beta + t_x[:, None] - x[:, None] + i) - b_ab
            + betaln(gamma + 1, delta + t_x[:, None] + i) - b_gd)
    gone = np.where(i < (n - t_x)[:, None], gone, -np.inf)
    return logsumexp(np.column_stack([alive, gone]), axis=1)


class BetaGeoBetaBinomModel(_LikelihoodModel):
    """The BG/BB model of repeat transactions in discrete time (Fader, Hardie & Shang 2010).

    Attributes
    ----------
    params_ : dict
        ``alpha``, ``beta`` (transaction probability) and ``gamma``, ``delta`` (dropout).
    log_likelihood_, standard_errors_, confidence_intervals_
        As for the other models.

    Examples
    --------
    >>> d = pd.DataFrame({"frequency": [0, 1, 3, 6, 2], "recency": [0, 1, 5, 6, 6],
    ...                   "periods": [6, 6, 6, 6, 6], "weights": [40, 20, 12, 10, 8]})
    >>> m = BetaGeoBetaBinomModel().fit(d, weights="weights")
    >>> sorted(m.params_)
    ['alpha', 'beta', 'delta', 'gamma']
    """

    _names = ("alpha", "beta", "gamma", "delta")
    _label = "BG/BB"

    def fit(self, data: pd.DataFrame, weights: np.ndarray | str | None = None
            ) -> BetaGeoBetaBinomModel:
        """Fit by maximum likelihood to ``frequency``, ``recency`` and ``periods``.

        ``weights``: how many customers each row stands for, as an array or the name of a
        column of ``data`` (1 each by default).
        """
        x, t_x, n = _read(data, self._label)
        if isinstance(weights, str):
            weights = data[weights]
        w = np.ones(len(x)) if weights is None else np.asarray(weights, dtype=float)
        if w.shape != x.shape or not np.all(np.isfinite(w) & (w >= 0)):
            raise ValueError("BG/BB: weights must be one non-negative number per row")
        if w.sum() <= 0:
            raise ValueError("BG/BB: no customers to fit")
        rows = pd.DataFrame({"x": x, "t": t_x, "n": n, "w": w}).groupby(
            ["x", "t", "n"], as_index=False)["w"].sum()
        x, t_x, n, w = (rows[c].to_numpy() for c in ("x", "t", "n", "w"))
        total = w.sum()

        def value(z):
            return -np.dot(w, _log_likelihood(*np.exp(z), x, t_x, n)) / total

        def negll(z, h=1e-6):
            g = np.array([(value(z + h * e) - value(z - h * e)) / (2 * h) for e in np.eye(4)])
            return value(z), g

        res = _fit(negll, np.zeros(4), self._label, n=total)
        self._coef_index = []
        self._finish(res.x, lambda v: tuple(u * total for u in negll(v, 1e-5)), total, res,
                     counts=True)
        return self

    def _params(self):
        self._check_fitted()
        return (self.params_[k] for k in self._names)

    def log_likelihood(self, data: pd.DataFrame) -> pd.Series:
        """Each customer's log-likelihood under the fitted model."""
        x, t_x, n = _read(data, self._label)
        return pd.Series(_log_likelihood(*self._params(), x, t_x, n), index=data.index)

    def probability_alive(self, data: pd.DataFrame, future: int = 1) -> pd.Series:
        """P(the customer is alive in period ``n + future``) given their history
        (FHS 2010, eq. 11, for ``future = 1``: alive at the next opportunity)."""
        alpha, beta, gamma, delta = self._params()
        x, t_x, n = _read(data, self._label)
        log_l = _log_likelihood(alpha, beta, gamma, delta, x, t_x, n)
        log_p = (betaln(alpha + x, beta + n - x) - betaln(alpha, beta)
                 + betaln(gamma, delta + n + future) - betaln(gamma, delta) - log_l)
        return pd.Series(np.exp(log_p), index=data.index, name="p_alive")

    def expected_purchases(self, periods: int, data: pd.DataFrame) -> pd.Series:
        """Expected transactions in the next ``periods`` periods given each customer's
        history (FHS 2010, eq. 13)."""
        alpha, beta, gamma, delta = self._params()
        x, t_x, n = _read(data, self._label)
        log_l = _log_likelihood(alpha, beta, gamma, delta, x, t_x, n)
        head = betaln(alpha + x + 1, beta + n - x) - betaln(alpha, beta) - log_l
        tail = _dropout_sum(gamma, delta, n, periods)
        return pd.Series(np.exp(head) * tail, index=data.index, name="expected_purchases")

    def expected_repeat_purchases(self, periods) -> np.ndarray:
        """Expected transactions of a new customer in their first ``periods`` opportunities
        (FHS 2010, eq. 7)."""
        alpha, beta, gamma, delta = self._params()
        n = np.asarray(periods, dtype=float)
        return alpha / (alpha + beta) * delta / (gamma - 1) * (
            1 - np.exp(gammaln(gamma + delta) - gammaln(gamma + delta + n)
                       + gammaln(1 + delta + n) - gammaln(1 + delta)))

    def discounted_expected_residual_transactions(self, discount_rate: float,
                                                  data: pd.DataFrame) -> pd.Series:
        """DERT: each customer's expected future transactions, each discounted by
        ``(1 + discount_rate)`` per period from the next (FHS 2010, eq. 14)."""
        if discount_rate <= 0:
            raise ValueError("BG/BB: DERT needs a positive discount rate per period")
        alpha, beta, gamma, delta = self._params()
        x, t_x, n = _read(data, self._label)
        log_l = _log_likelihood(alpha, beta, gamma, delta, x, t_x, n)
        log_head = (betaln(alpha + x + 1, beta + n - x) - betaln(alpha, beta)
                    + betaln(gamma, delta + n + 1) - betaln(gamma, delta)
                    - np.log1p(discount_rate) - log_l)
        series = hyp2f1(1, delta + n + 1, gamma + delta + n + 1, 1 / (1 + discount_rate))
        return pd.Series(np.exp(log_head) * series, index=data.index, name="dert")


def _dropout_sum(gamma, delta, n, periods):
    """``delta / (gamma - 1) Γ(γ+δ)/Γ(1+δ) [Γ(1+δ+n)/Γ(γ+δ+n) − Γ(1+δ+n+n*)/Γ(γ+δ+n+n*)]``:
    the expected number of the next ``periods`` opportunities a customer alive at ``n``
    survives to, over theta ~ Beta(gamma, delta), taken on the log scale."""
    base = gammaln(gamma + delta) - gammaln(1 + delta)
    now = np.exp(base + gammaln(1 + delta + n) - gammaln(gamma + delta + n))
    later = np.exp(base + gammaln(1 + delta + n + periods) - gammaln(gamma + delta + n + periods))
    return delta / (gamma - 1) * (now - later)


def period_summary(transactions, period: str = "M", end=None) -> pd.DataFrame:
    """One row per customer of per-period data: ``frequency`` (periods after the first
    with a purchase), ``recency`` (the last of them, counted from the first, 0 if none)
    and ``periods`` (the periods after the first, up to the one holding ``end``).

    ``period`` is a pandas period code: ``"M"`` for months, ``"Y"`` for years, ``"W"``
    for weeks. Lines with a quantity of zero or less (returns) are not purchases.
    """
    from crmwb import engine
    from crmwb import summary as summary_module

    t = summary_module._as_table(transactions)
    t = t.filter(t.customer_id.notnull() & t.date.notnull() & (t.quantity > 0))
    days = engine.to_pandas(t.select("customer_id", day=t.date.truncate("D")).distinct())
    last = summary_module.analysis_end(transactions) if end in (None, "") else \
        pd.Timestamp(end)
    per = pd.PeriodIndex(pd.to_datetime(days["day"]), freq=period)
    code = pd.Series(per.asi8, index=days.index)
    end_code = pd.Period(last, freq=period).ordinal
    keep = code <= end_code
    pairs = pd.DataFrame({"customer_id": days["customer_id"][keep], "p": code[keep]})
    pairs = pairs.drop_duplicates()
    g = pairs.groupby("customer_id")["p"]
    first, latest, count = g.min(), g.max(), g.size()
    out = pd.DataFrame({"frequency": count - 1, "recency": latest - first,
                        "periods": end_code - first})
    out.index.name = "customer_id"
    out.attrs["period"] = period
    return out.astype(int)
