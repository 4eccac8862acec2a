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
    z, cov = model._log_params, model.covariance_log_
    if not np.all(np.isfinite(cov)):
        raise ValueError(f"{type(model).__name__}: the parameters' covariance is not finite "
                         "(a flat likelihood): no interval can be drawn")
    rng = np.random.default_rng(seed)
    return rng.multivariate_normal(z, cov, size=draws, method="eigh")


def _at(model, z: np.ndarray, designs: dict) -> dict:
    """The model's parameters at vector ``z`` for the rows of the design matrices."""
    k = len(model._names)
    params = dict(zip(model._names, np.exp(z[:k])))
    at = k
    for process, (name, sign) in model._targets.items():
        matrix = designs.get(process)
        if matrix is None or matrix.shape[1] == 0:
            continue
        beta = z[at:at + matrix.shape[1]]
        at += matrix.shape[1]
        params[name] = params[name] * np.exp(sign * (matrix @ beta))
    return params


def _design_matrices(model, data: pd.DataFrame) -> dict:
    designs = getattr(model, "_designs", {})
    return {p: d.transform(data) for p, d in designs.items() if len(d)}


def value_intervals(purchases, spend, data: pd.DataFrame, horizon_months: int = 12,
                    monthly_discount_rate: float = 0.01, margin: float = 0.30,
                    level: float = 0.8, draws: int = 100, seed: int = 0,
                    days_per_unit: float | None = None, chunk: int = 200_000) -> pd.DataFrame:
    """Each customer's expected purchases over ``horizon_months`` and CLV
    (:func:`crmwb.clv.customer_lifetime_value`), with equal-tailed ``level`` intervals
    from ``draws`` draws of both models' parameters (their estimated covariance).

    The point values are at the fitted parameters. The purchase model's expectation given
    alive depends on a customer's frequency, age and covariates only, so it is computed
    once per distinct combination and draw; P(alive) and the spend per customer.

    Returns
    -------
    pandas.DataFrame
        ``expected_purchases``, ``purchases_low``, ``purchases_high``, ``clv``,
        ``clv_low``, ``clv_high``, one row per customer of ``data``.
    """
    from crmwb.clv.models import DAYS_PER_MONTH, _columns, _days_per_unit, _row_codes

    if not 0 < level < 1:
        raise ValueError(f"level must be a share between 0 and 1, got {level}")
    unit = _days_per_unit(purchases, days_per_unit, data.attrs.get("time_unit"))
    months = DAYS_PER_MONTH * np.arange(1, horizon_months + 1) / unit
    discount = (1 + monthly_discount_rate) ** -np.arange(1, horizon_months + 1)
    x, t_x, T = _columns(data, ["frequency", "recency", "T"], purchases._label)
    _, m = _columns(data, ["frequency", "monetary_value"], "Gamma-Gamma")
    p_designs, s_designs = _design_matrices(purchases, data), _design_matrices(spend, data)
    # distinct (frequency, age, covariates): where the expectation given alive is computed
    key = np.column_stack([x, T, *p_designs.values()])
    rows, code = _row_codes(key)
    u_designs, offset = {}, 2
    for process, matrix in p_designs.items():
        u_designs[process] = rows[:, offset:offset + matrix.shape[1]]
        offset += matrix.shape[1]
    ux, uT = rows[:, 0], rows[:, 1]
    z_p = np.vstack([purchases._log_params, parameter_draws(purchases, draws, seed)])
    z_s = np.vstack([spend._log_params, parameter_draws(spend, draws, seed + 1)])
    names = purchases._names

    def given_alive(z):
        params = _at(purchases, z, u_designs)
        curve = np.stack([purchases._given_alive(*(params[k] for k in names), ux, uT, t)
                          for t in months])
        steps = np.diff(np.vstack([np.zeros(len(ux)), curve]), axis=0)
        return curve[-1], discount @ steps

    horizon, discounted = zip(*(given_alive(z) for z in z_p))
    horizon, discounted = np.array(horizon), np.array(discounted)  # draws+1 × distinct rows
    out = {k: np.empty(len(x)) for k in ("expected_purchases", "purchases_low",
                                         "purchases_high", "clv", "clv_low", "clv_high")}
    q = [(1 - level) / 2, (1 + level) / 2]
    for start in range(0, len(x), chunk):
        sl = slice(start, start + chunk)
        pd_chunk = {p: mat[sl] for p, mat in p_designs.items()}
        sd_chunk = {p: mat[sl] for p, mat in s_designs.items()}
        e = np.empty((len(z_p), len(x[sl])))
        value = np.empty_like(e)
        xs, ms = x[sl], m[sl]
        for i, (zp, zs) in enumerate(zip(z_p, z_s)):
            params = _at(purchases, zp, pd_chunk)
            alive = purchases._p_alive(*(params[k] for k in names), xs, t_x[sl], T[sl])
            sp = _at(spend, zs, sd_chunk)
            p_, q_, g_ = sp["p"], sp["q"], sp["gamma"]
            with np.errstate(divide="ignore", invalid="ignore"):
                spend_i = (g_ + ms * xs) * p_ / (p_ * xs + q_ - 1)
            e[i] = alive * horizon[i, code[sl]]
            value[i] = margin * spend_i * alive * discounted[i, code[sl]]
        out["expected_purchases"][sl], out["clv"][sl] = e[0], value[0]
        out["purchases_low"][sl], out["purchases_high"][sl] = np.quantile(e[1:], q, axis=0)
        out["clv_low"][sl], out["clv_high"][sl] = np.quantile(value[1:], q, axis=0)
    return pd.DataFrame(out, index=data.index)
