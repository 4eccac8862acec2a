"""Per-customer intervals: what the model says each customer will buy, and how sure it is.

Two kinds of uncertainty, kept apart:

- **the customer's own randomness**: given the parameters and a customer's history, the
  count of purchases in the next ``t`` is a random variable. :func:`purchase_pmf` gives
  its distribution, ``P(X(t) = k | x, t_x, T)``, and :func:`predictive_interval` the
  shortest run of counts that holds a given share of it;
- **the parameters' sampling error**: the fitted parameters are estimates. Drawing them
  from their estimated (asymptotic normal) distribution, and computing each customer's
  expected purchases and CLV for each draw, gives :func:`value_intervals`.

For BG/NBD (and MBG/NBD): a customer alive at ``T`` buys at rate λ and, after each
purchase, drops out with probability p; given the history and being alive, λ ~ Gamma(r +
x, α + T) and p ~ Beta(a, b + x (+ 1 for MBG/NBD)), independent. The future count is
``min(N(t), G)``, N Poisson and G geometric, so ``P(X = k | alive) = E[(1 - p)^k]
NB(k) + E[p (1 - p)^(k - 1)] P(N >= k)``, and a customer who is no longer alive buys
nothing. For Pareto/NBD the remaining lifetime of an alive customer is exponential with
μ ~ Gamma(s, β + T): the count is a Poisson-gamma mixture over it, integrated by
Gauss-Legendre quadrature.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import gammaln

#: how much probability the counts considered must hold (the rest is beyond them)
_TAIL = 1e-9
_MAX_COUNT = 5000


def _nb_log(R, A, t, k):
    """log P(N(t) = k) for a Poisson count whose rate is Gamma(R, A)."""
    return (gammaln(R + k) - gammaln(R) - gammaln(k + 1) + R * np.log(A / (A + t))
            + k * np.log(t / (A + t)))


def _bg_pmf(model, params, x, t_x, T, t):
    """Rows: customers; columns: counts 0, 1, ... until all but _TAIL is held."""
    r, alpha, a, b = (np.broadcast_to(np.asarray(p, dtype=float), x.shape) for p in params)
    alive = model._p_alive(r, alpha, a, b, x, t_x, T)
    R, A, B = r + x, alpha + T, b + x + model._k
    q = t / (A + t)
    nb = np.exp(_nb_log(R, A, t, 0))     # P(N = 0)
    below = np.zeros_like(nb)            # P(N < k)
    keep = np.ones_like(nb)              # E[(1 - p)^k]
    leave = a / (a + B)                  # E[p (1 - p)^(k - 1)], k = 1
    columns = [alive * nb + (1 - alive)]
    held = columns[0].copy()
    k = 0
    while (held < 1 - _TAIL).any() and k < _MAX_COUNT:
        k += 1
        below = below + nb
        nb = nb * (R + k - 1) / k * q
        keep = keep * (B + k - 1) / (a + B + k - 1)
        if k > 1:
            leave = leave * (B + k - 2) / (a + B + k - 1)
        column = alive * (keep * nb + leave * np.clip(1 - below, 0, 1))
        columns.append(column)
        held += column
    return np.column_stack(columns)


#: Gauss-Legendre nodes and weights on [0, 1] for the Pareto/NBD lifetime integral
_NODES, _WEIGHTS = np.polynomial.legendre.leggauss(64)
_NODES, _WEIGHTS = (_NODES + 1) / 2, _WEIGHTS / 2


def _pareto_pmf(model, params, x, t_x, T, t):
    r, alpha, s, beta = (np.broadcast_to(np.asarray(p, dtype=float), x.shape) for p in params)
    alive = model._p_alive(r, alpha, s, beta, x, t_x, T)
    R, A, Bt = r + x, alpha + T, beta + T
    tau = t * _NODES[None, :]                                  # lifetime left, at the nodes
    density = s[:, None] / Bt[:, None] * (Bt[:, None] / (Bt[:, None] + tau)) ** (s[:, None] + 1)
    survive = (Bt / (Bt + t)) ** s
    weights = density * _WEIGHTS[None, :] * t
    columns, held, k = [], np.zeros(len(x)), -1
    while (held < 1 - _TAIL).any() and k < _MAX_COUNT:
        k += 1
        at_end = np.exp(_nb_log(R, A, t, k))
        with np.errstate(divide="ignore"):
            during = np.exp(_nb_log(R[:, None], A[:, None], np.maximum(tau, 1e-300), k))
        p_k = survive * at_end + (weights * during).sum(axis=1)
        column = alive * p_k + ((1 - alive) if k == 0 else 0.0)
        columns.append(column)
        held += column
    return np.column_stack(columns)


def purchase_pmf(model, t: float, data: pd.DataFrame) -> pd.DataFrame:
    """``P(X(t) = k | history)`` for each customer (rows) and count ``k`` (columns, from 0
    to where all but 1e-9 of the probability is held)."""
    from crmwb.clv.models import BetaGeoModel, ParetoNBDModel

    params, x, t_x, T = model._arrays(data)
    if t <= 0:
        raise ValueError(f"t must be a positive length of time, got {t}")
    if isinstance(model, BetaGeoModel):
        pmf = _bg_pmf(model, params, x, t_x, T, float(t))
    elif isinstance(model, ParetoNBDModel):
        pmf = _pareto_pmf(model, params, x, t_x, T, float(t))
    else:
        raise TypeError(f"no distribution of future purchases for {type(model).__name__}")
    return pd.DataFrame(pmf, index=data.index)


def shortest_runs(pmf: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each row of probabilities over counts 0..K: the shortest run of counts holding
    at least ``level`` (of runs as short, the one holding the most; then the lowest)."""
    n, width_max = pmf.shape
    cum = np.concatenate([np.zeros((n, 1)), np.cumsum(pmf, axis=1)], axis=1)
    low = np.zeros(n, dtype=np.int64)
    high = np.full(n, width_max - 1, dtype=np.int64)
    prob = cum[:, -1].copy()
    todo = np.arange(n)
    for width in range(1, width_max + 1):
        if not len(todo):
            break
        c = cum[todo]
        sums = c[:, width:] - c[:, :-width]           # runs of `width` counts, by start
        best = sums.argmax(axis=1)
        got = sums[np.arange(len(todo)), best]
        done = got >= level - 1e-12
        rows = todo[done]
        low[rows], high[rows], prob[rows] = best[done], best[done] + width - 1, got[done]
        todo = todo[~done]
    return low, high, prob


def predictive_interval(model, t: float, data: pd.DataFrame, level: float = 0.8,
                        chunk: int = 100_000) -> pd.DataFrame:
    """The shortest run of purchase counts in the next ``t`` holding at least ``level`` of
    each customer's predictive distribution.

    Returns ``low``, ``high`` and ``probability``, the model's probability that the count
    falls in [low, high]: at least ``level``, usually more, counts being whole.
    """
    if not 0 < level < 1:
        raise ValueError(f"level must be a share between 0 and 1, got {level}")
    parts = []
    for start in range(0, len(data), chunk):
        part = data.iloc[start:start + chunk]
        low, high, prob = shortest_runs(purchase_pmf(model, t, part).to_numpy(), level)
        parts.append(pd.DataFrame({"low": low, "high": high, "probability": prob},
                                  index=part.index))
    if not parts:
        return pd.DataFrame(columns=["low", "high", "probability"], index=data.index)
    return pd.concat(parts)


# --- the parameters' sampling error ---------------------------------------------------------

def parameter_draws(model, draws: int, seed: int = 0) -> np.ndarray:
    """Draws of the fitted vector (log-parameters, then coefficients) from its estimated
    normal distribution; the estimate itself when the covariance is unknown."""
    z, cov = model._vector(), model.covariance_log_
    if not np.all(np.isfinite(cov)):
        raise ValueError(f"{type(model).__name__}: the parameters' covariance is not finite "
                         "(a flat likelihood): no interval can be drawn")
    rng = np.random.default_rng(seed)
    return rng.multivariate_normal(z, cov, size=draws, method="eigh")


def _quantiles(values: np.ndarray, levels) -> list[np.ndarray]:
    """Quantiles along axis 0 (numpy's linear interpolation) from one partial sort."""
    n = values.shape[0]
    positions = [q * (n - 1) for q in levels]
    kth = sorted({int(np.floor(p)) for p in positions} | {min(int(np.floor(p)) + 1, n - 1)
                                                          for p in positions})
    part = np.partition(values, kth, axis=0)
    out = []
    for p in positions:
        lo = int(np.floor(p))
        hi = min(lo + 1, n - 1)
        out.append(part[lo] + (p - lo) * (part[hi] - part[lo]))
    return out


def _per_row(params: dict, codes: np.ndarray) -> dict:
    return {k: (v[codes] if np.ndim(v) else v) for k, v in params.items()}


def value_intervals(purchases, spend, data: pd.DataFrame, horizon_months: int = 12,
                    monthly_discount_rate: float = 0.01, margin: float = 0.30,
                    level: float = 0.8, draws: int = 100, seed: int = 0,
                    days_per_unit: float | None = None, exact: bool | None = None,
                    chunk: int = 100_000) -> pd.DataFrame:
    """Each customer's expected purchases over ``horizon_months`` and CLV
    (:func:`crmwb.clv.customer_lifetime_value`), with equal-tailed ``level`` intervals
    from ``draws`` draws of both models' parameters from their estimated covariance.

    The point values are at the fitted parameters. For each draw, each customer's P(alive)
    and expected spend are computed anew; the purchase model's expectation given alive
    depends on a customer's frequency, age and covariates only, so it is computed once
    per distinct combination. When there are many combinations (``exact`` left to
    ``None``: more than 3e7 evaluations of it over the draws and months), it is taken to
    first order in the parameters around the fit (its Jacobian by forward differences)
    instead of anew per draw: at such sizes the draws lie close to the fit, and the
    intervals agree with the exact ones (``exact=True`` forces them).

    Returns
    -------
    pandas.DataFrame
        ``expected_purchases``, ``purchases_low``, ``purchases_high``, ``clv``,
        ``clv_low``, ``clv_high``, one row per customer of ``data``; ``attrs["exact"]``
        says how the draws were taken.
    """
    from crmwb.clv.models import DAYS_PER_MONTH, _columns, _days_per_unit, _row_codes

    if not 0 < level < 1:
        raise ValueError(f"level must be a share between 0 and 1, got {level}")
    unit = _days_per_unit(purchases, days_per_unit, data.attrs.get("time_unit"))
    months = DAYS_PER_MONTH * np.arange(1, horizon_months + 1) / unit
    discount = (1 + monthly_discount_rate) ** -np.arange(1, horizon_months + 1)
    x, t_x, T = _columns(data, ["frequency", "recency", "T"], purchases._label)
    _, m = _columns(data, ["frequency", "monetary_value"], "Gamma-Gamma")
    names = purchases._names
    # the customers' covariate patterns (a few for categories), for each model
    p_patterns, p_code = purchases._pattern_rows(data)
    s_patterns, s_code = spend._pattern_rows(data)
    # distinct (frequency, age, pattern): where the expectation given alive is computed
    rows, code = _row_codes(np.column_stack([x, T, p_code]))
    ux, uT, u_pattern = rows[:, 0], rows[:, 1], rows[:, 2].astype(np.int64)
    z_p = np.vstack([purchases._vector(), parameter_draws(purchases, draws, seed)])
    z_s = np.vstack([spend._vector(), parameter_draws(spend, draws, seed + 1)])

    def curves(z):
        """Expected purchases given alive over the horizon, and their discounted sum."""
        at = _per_row(purchases._params_at(z, p_patterns), u_pattern)
        curve = np.stack([purchases._given_alive(*(at[k] for k in names), ux, uT, t)
                          for t in months])
        steps = np.diff(curve, axis=0, prepend=0.0)
        return curve[-1], discount @ steps

    if exact is None:
        exact = draws * len(ux) * horizon_months <= 3e7
    if exact:
        horizon, discounted = (np.array(v) for v in zip(*(curves(z) for z in z_p)))
    else:
        h0, d0 = curves(z_p[0])
        step = 1e-5
        jac_h, jac_d = np.empty((len(z_p[0]), len(ux))), np.empty((len(z_p[0]), len(ux)))
        for j in range(len(z_p[0])):
            zj = z_p[0].copy()
            zj[j] += step
            hj, dj = curves(zj)
            jac_h[j], jac_d[j] = (hj - h0) / step, (dj - d0) / step
        delta = z_p[1:] - z_p[0]
        horizon = np.vstack([h0, h0 + delta @ jac_h])
        discounted = np.vstack([d0, d0 + delta @ jac_d])
    p_params = [purchases._params_at(z, p_patterns) for z in z_p]
    s_params = [spend._params_at(z, s_patterns) for z in z_s]
    out = {k: np.empty(len(x)) for k in ("expected_purchases", "purchases_low",
                                         "purchases_high", "clv", "clv_low", "clv_high")}
    q = [(1 - level) / 2, (1 + level) / 2]
    for start in range(0, len(x), chunk):
        sl = slice(start, start + chunk)
        xs, ms, pc, sc, cs = x[sl], m[sl], p_code[sl], s_code[sl], code[sl]
        e = np.empty((len(z_p), len(xs)))
        value = np.empty_like(e)
        for i in range(len(z_p)):
            at = _per_row(p_params[i], pc)
            alive = purchases._p_alive(*(at[k] for k in names), xs, t_x[sl], T[sl])
            sp = _per_row(s_params[i], sc)
            with np.errstate(divide="ignore", invalid="ignore"):
                spend_i = (sp["gamma"] + ms * xs) * sp["p"] / (sp["p"] * xs + sp["q"] - 1)
            e[i] = alive * horizon[i, cs]
            value[i] = margin * spend_i * alive * discounted[i, cs]
        out["expected_purchases"][sl], out["clv"][sl] = e[0], value[0]
        out["purchases_low"][sl], out["purchases_high"][sl] = _quantiles(e[1:], q)
        out["clv_low"][sl], out["clv_high"][sl] = _quantiles(value[1:], q)
    result = pd.DataFrame(out, index=data.index)
    result.attrs["exact"] = bool(exact)
    return result
