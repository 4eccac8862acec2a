"""The CLV models and their validation (re-exported by :mod:`crmwb.clv`).

Fitted by maximum likelihood with scipy on log-parameters, from log-likelihoods built
with ``gammaln``, ``betaln`` and ``logsumexp``; customers with identical inputs are
fitted once, with a weight. Standard errors come from the Hessian of the
log-likelihood on the log scale; 95% intervals are ``exp(log θ ± 1.96 se)``. Inputs are
the columns of :func:`crmwb.summary.customer_summary`: ``frequency`` (repeat purchases),
``recency`` and ``T`` (in the summary's time unit) and ``monetary_value``.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np
import pandas as pd
from scipy import optimize
from scipy.special import betaln, digamma, expit, gammaln, hyp2f1, logsumexp

from crmwb.clv import diagnostics
from crmwb.clv.covariates import Design
from crmwb.summary import _unit_days

Z95 = 1.959963984540054
DAYS_PER_MONTH = 365.25 / 12


class CLVWarning(UserWarning):
    """A model's assumption looks doubtful on this data."""


# --- simple measures ----------------------------------------------------------------------

def historical_value(profits: pd.DataFrame | pd.Series, column: str = "profit") -> pd.Series:
    """The *base* component of customer value: the margin a customer has brought to date.

    ``profits`` is :func:`crmwb.profitability.customer_profit`'s table (its
    ``profit`` column) or a Series of margins per customer.
    """
    series = profits[column] if isinstance(profits, pd.DataFrame) else profits
    return series.rename("historical_value")


def net_clv(value: pd.Series, margin: float, cost_ratio: pd.Series) -> pd.Series:
    """CLV as the course defines it, the present value of net profit: the discounted expected
    margin (:func:`customer_lifetime_value`) less the cost of serving the revenue it expects.

    The expected revenue is ``value / margin``; each customer is served at their own cost
    to serve per unit of revenue to date (``cost_to_serve_ratio`` of
    :func:`crmwb.profitability.customer_profit`: orders, small orders, returns and
    contacts over revenue), the median ratio for a customer without one. A customer whose
    service costs more than their margin has a negative net CLV.

    >>> v = pd.Series([30.0, 30.0, 30.0], index=[1, 2, 3])
    >>> net_clv(v, 0.30, pd.Series({1: 0.0, 2: 0.1, 3: 0.4})).tolist()
    [30.0, 20.0, -10.0]
    """
    if not 0 < margin <= 1:
        raise ValueError(f"margin must be a share of revenue in (0, 1], got {margin}")
    ratio = cost_ratio.reindex(value.index).astype(float)
    ratio = ratio.fillna(ratio.median() if ratio.notna().any() else 0.0).clip(lower=0)
    return (value - value / margin * ratio).rename("net_clv")


#: The profit levers of session 4 that act on a customer's value, each as a what-if:
#: (key, what it changes)
PROFIT_LEVERS = ("pricing", "bundling", "channels", "cost_to_serve")


def profit_levers(value: pd.Series, margin: float, cost_ratio: pd.Series,
                  price: float = 0.03, volume: float = 0.05, channel: float = 0.20,
                  service: float = 0.10) -> pd.DataFrame:
    """The course's levers on customer profitability (session 4: pricing, product
    configuration and bundling, channels, managing the cost to serve), each as a what-if
    on the customers' CLV net of the cost to serve (:func:`net_clv`).

    The expected revenue is ``value / margin``. **Pricing**: prices ``price`` higher with
    the same purchases: the extra revenue is all margin, the orders cost as before.
    **Bundling**: ``volume`` more bought in the same orders (a bundle, a cross-sell): more
    margin at the same cost to serve. **Channels**: ``channel`` of the cost to serve saved
    by moving orders to cheaper channels. **Cost to serve**: ``service`` of it saved by
    serving better (fewer contacts and returns). Each lever alone, others unchanged.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``today`` and the levers: ``net_clv`` (total) and ``change`` (relative
        to today).

    >>> v = pd.Series([30.0, 60.0])
    >>> profit_levers(v, 0.30, pd.Series([0.1, 0.1]))["net_clv"].round(1).tolist()
    [60.0, 69.0, 64.5, 66.0, 63.0]
    """
    if not 0 < margin <= 1:
        raise ValueError(f"margin must be a share of revenue in (0, 1], got {margin}")
    revenue = value / margin
    ratio = cost_ratio.reindex(value.index).astype(float)
    ratio = ratio.fillna(ratio.median() if ratio.notna().any() else 0.0).clip(lower=0)
    cost = revenue * ratio
    today = float((value - cost).sum())
    totals = {
        "today": today,
        "pricing": float((value + price * revenue - cost).sum()),
        "bundling": float((value * (1 + volume) - cost).sum()),
        "channels": float((value - cost * (1 - channel)).sum()),
        "cost_to_serve": float((value - cost * (1 - service)).sum()),
    }
    out = pd.DataFrame({"net_clv": totals})
    out["change"] = out["net_clv"] / today - 1 if today else np.nan
    out.index.name = "lever"
    return out


def retention_clv(margin, retention, discount_rate):
    """Lifetime value of a customer under constant retention: ``m r / (1 + d - r)``.

    ``margin`` is the margin per period, ``retention`` the share of customers
    kept each period and ``discount_rate`` the discount rate per period.

    Examples
    --------
    >>> round(retention_clv(100.0, 0.8, 0.1), 2)
    266.67
    """
    margin, retention, discount_rate = (np.asarray(v, dtype=float)
                                        for v in (margin, retention, discount_rate))
    if np.any((retention < 0) | (retention >= 1 + discount_rate)):
        raise ValueError("retention must be between 0 and 1 + discount rate")
    out = margin * retention / (1 + discount_rate - retention)
    return float(out) if out.ndim == 0 else out


def retention_what_if(margins: pd.Series, retention: float, discount_rate: float,
                      rise: float = 0.05) -> pd.DataFrame:
    """Total retention-formula CLV now and with retention ``rise`` points higher.

    Returns a two-row table, ``now`` and ``retention_raised``: the retention rate, total
    CLV, and the change against now (a share: 0.2 is 20% more).
    """
    rows = []
    for label, r in (("now", retention), ("retention_raised", min(retention + rise, 0.999))):
        rows.append({"scenario": label, "retention_rate": r,
                     "total_clv": float(np.sum(retention_clv(margins.to_numpy(), r,
                                                             discount_rate)))})
    out = pd.DataFrame(rows).set_index("scenario")
    out["change"] = out["total_clv"] / out["total_clv"].iloc[0] - 1
    out.attrs["kinds"] = {"change": "share"}  # +20.0%, a relative change
    return out


# --- fitting machinery ----------------------------------------------------------------------

def _columns(data: pd.DataFrame, needed: list[str], model: str) -> list[np.ndarray]:
    missing = [c for c in needed if c not in data.columns]
    if missing:
        raise ValueError(f"{model}: the customer summary lacks column(s) {missing}; use "
                         "crmwb.summary.customer_summary")
    arrays = [data[c].to_numpy(dtype=float) for c in needed]
    for name, a in zip(needed, arrays):
        bad = ~np.isfinite(a) | (a < 0)
        if bad.any():
            rows = data.loc[bad, needed].head(5)
            raise ValueError(f"{model}: column {name!r} has {int(bad.sum())} negative or "
                             f"missing value(s), e.g.\n{rows.to_string()}")
    return arrays


def _group(*arrays: np.ndarray, weights: np.ndarray | None = None):
    """Unique rows of the arrays and how many customers share each (their weight)."""
    stacked = np.column_stack(arrays)
    unique, inverse = np.unique(stacked, axis=0, return_inverse=True)
    w = np.bincount(inverse.ravel(), weights=weights, minlength=len(unique))
    return [unique[:, i] for i in range(unique.shape[1])], w


#: shifts of the log-parameters from the first start to the others, tried in turn when a
#: fit fails its checks (a start is the model's neutral point shifted along each pattern)
_SHIFTS = ((1.0,), (-1.0,), (1.0, -1.0), (-1.0, 1.0), (2.0,), (-2.0,))


def _starts(x0: np.ndarray, n_params: int):
    """The first start, then deterministic others: the log-parameters shifted by each of
    :data:`_SHIFTS` (repeated over the parameters), the coefficients as given."""
    yield np.asarray(x0, dtype=float)
    for pattern in _SHIFTS:
        shift = np.resize(np.asarray(pattern), n_params)
        start = np.array(x0, dtype=float)
        start[:n_params] += shift
        yield start


def _fit(negll: Callable, x0: np.ndarray, name: str, n_params: int | None = None,
         n: float | None = None) -> optimize.OptimizeResult:
    """Minimise a negative log-likelihood (value and gradient) over log-parameters.

    Inside the box of :func:`crmwb.clv.diagnostics.bounds` (``n_params`` log-parameters,
    then coefficients). A fit that did not converge, or stopped at the edge of the box, is
    run again from other starts (:func:`_starts`); the best healthy one is kept, else the
    best of all. ``negll`` is per customer, and ``n`` the customers: given, a fit whose
    parameters the data do not pin down (standard errors above
    :data:`crmwb.clv.diagnostics.MAX_LOG_SE`) is no healthier than one at an edge. The
    result carries ``converged``, ``edge`` (which entries are at a bound), ``healthy`` and
    ``starts`` (how many were tried) for :class:`FitDiagnostics`.
    """
    k = len(x0) if n_params is None else n_params
    box = diagnostics.bounds(k, len(x0))
    tried = []
    for start in _starts(x0, k):
        with np.errstate(all="ignore"):
            res = optimize.minimize(negll, start, jac=True, method="L-BFGS-B", bounds=box,
                                    options={"maxiter": 2000, "ftol": 1e-12, "gtol": 1e-8})
        _mark(res, k, converged=bool(res.success) or bool(
            np.all(np.isfinite(res.jac)) and np.max(np.abs(res.jac), initial=0) <= 1e-4))
        if res.healthy:  # a peak, not a ridge: the curvature is positive every way
            res.hessian = _hessian(lambda v: negll(v)[1], res.x)
            res.healthy = diagnostics.positive_definite(res.hessian) and (
                n is None or _identified(res.hessian * n, k))
        tried.append(res)
        if res.healthy or _agree_at_edge(tried):
            break
    finite = [r for r in tried if np.isfinite(r.fun) and np.all(np.isfinite(r.x))]
    if not finite:  # no start gave a number: the fit failed, and its checks will say so
        best = optimize.OptimizeResult(x=np.asarray(x0, dtype=float), fun=np.nan,
                                       message=f"no finite likelihood ({tried[0].message})")
        _mark(best, k, converged=False, starts=len(tried))
        warnings.warn(f"{name}: the fit diverged: {best.message}", CLVWarning, stacklevel=3)
        return best
    best = min([r for r in finite if r.healthy] or finite, key=lambda r: r.fun)
    best.starts = len(tried)
    if not best.converged:
        warnings.warn(f"{name}: the optimiser stopped before converging: {best.message}",
                      CLVWarning, stacklevel=3)
    if best.healthy:
        # L-BFGS-B stops where the likelihood is flat to ~1e-12, which along a ridge
        # (Gamma-Gamma's q and gamma) leaves the parameters uncertain in their 4th digit:
        # the same data summed in another order would give another fit. Newton steps with
        # the Hessian pin the optimum down.
        polished = _refine(negll, best.x, best.hessian, k)
        if polished is not None:
            best.x = polished
    return best


def _agree_at_edge(tried: list, needed: int = 3) -> bool:
    """Whether ``needed`` starts converged to the same edge of the box (the same likelihood):
    the likelihood's best lies there, and further starts would only find it again."""
    edge = [r for r in tried if r.converged and r.edge.any() and np.isfinite(r.fun)]
    if len(edge) < needed:
        return False
    best = min(r.fun for r in edge)
    return sum(abs(r.fun - best) <= 1e-7 * max(1.0, abs(best)) for r in edge) >= needed


def _identified(information: np.ndarray, n_params: int) -> bool:
    """Whether the log-parameters' standard errors from ``information`` (the Hessian of
    minus the total log-likelihood) are all within :data:`diagnostics.MAX_LOG_SE`."""
    try:
        variances = np.diag(np.linalg.inv(information))[:n_params]
    except np.linalg.LinAlgError:
        return False
    return bool(np.all(variances > 0) and np.all(np.sqrt(variances) <= diagnostics.MAX_LOG_SE))


def _mark(res, n_params: int, converged: bool, starts: int = 1):
    """What :func:`_fit` records of one run: converged, at an edge, healthy, starts."""
    res.converged = converged
    res.edge = diagnostics.edge_flags(res.x, n_params)
    res.healthy = bool(converged and np.isfinite(res.fun) and not res.edge.any())
    res.starts = starts
    return res


def _refine(negll: Callable, z: np.ndarray, hessian: np.ndarray, n_params: int | None = None,
            max_steps: int = 40, tol: float = 1e-10) -> np.ndarray | None:
    """Newton steps with a fixed, approximate Hessian; None when they do not converge or
    leave the optimiser's box."""
    try:
        inverse = np.linalg.inv(hessian)
    except np.linalg.LinAlgError:
        return None
    k = len(z) if n_params is None else n_params
    f, g = negll(z)
    for _ in range(max_steps):
        step = -inverse @ g
        z_new = z + step
        if np.any(np.abs(z_new[:k]) > diagnostics.LOG_BOUND):
            return None
        f_new, g_new = negll(z_new)
        if not (np.isfinite(f_new) and f_new <= f + 1e-12 * abs(f)):
            return None
        z, f, g = z_new, f_new, g_new
        if np.max(np.abs(step)) < tol:
            return z
    return None


def _hessian(grad: Callable, x: np.ndarray, step: float = 1e-5) -> np.ndarray:
    """Hessian by forward differences of an analytic gradient, symmetrised."""
    k = len(x)
    g0 = grad(x)
    h = np.empty((k, k))
    for i in range(k):
        e = np.zeros(k)
        e[i] = step
        h[i] = (grad(x + e) - g0) / step
    return (h + h.T) / 2


def _healthy(model) -> bool:
    """Whether a model's fit passed its health check (a model given its parameters by hand,
    without a fit, is taken as it is)."""
    return getattr(getattr(model, "diagnostics_", None), "ok", True)


class _LikelihoodModel:
    """Shared parts: parameters on the log scale, covariate coefficients, standard errors,
    intervals.

    The fitted vector is the log-parameters (``_names``) followed by the coefficients of
    the covariates (``_coef_index``: (process, covariate) pairs), which act on the
    parameters named in ``_targets``: ``{process: (parameter, sign)}``, the customer's
    parameter being the population's times ``exp(sign * coefficients · covariates)``.
    """

    _names: tuple[str, ...] = ()
    _targets: dict[str, tuple[str, int]] = {}
    _label = ""

    def _covariate_columns(self) -> dict[str, list]:
        return {p: list(getattr(self, f"{p}_covariates", None) or []) for p in self._targets}

    @property
    def has_covariates(self) -> bool:
        """Whether the model was set up with covariates on any of its processes."""
        return any(self._covariate_columns().values())

    def _fit_designs(self, data: pd.DataFrame) -> dict[str, np.ndarray]:
        """Learn each process's covariate encoding on the fitting data; the matrices,
        each column scaled to unit spread for the optimiser."""
        self._designs = {p: Design(cols, self._label, p)
                         for p, cols in self._covariate_columns().items()}
        matrices = {p: d.fit(data) for p, d in self._designs.items()}
        self._coef_index = [(p, name) for p, d in self._designs.items() for name in d.names_]
        return {p: m / self._designs[p].scale_ for p, m in matrices.items()}

    def _coefficient_scale(self) -> np.ndarray:
        return np.concatenate([self._designs[p].scale_ for p in self._designs]) \
            if getattr(self, "_coef_index", None) else np.ones(0)

    def _vector(self) -> np.ndarray:
        """The fitted vector as the model now holds it: log-parameters, then coefficients."""
        coef = getattr(self, "coefficients_", None)
        return np.r_[np.log([self.params_[k] for k in self._names]),
                     [] if coef is None else coef["estimate"].to_numpy(dtype=float)]

    def _params_at(self, z: np.ndarray, designs: dict) -> dict:
        """The parameters at vector ``z`` for the rows of each process's design matrix
        (customers, or distinct patterns): the population's, scaled by the covariates."""
        k = len(self._names)
        params = dict(zip(self._names, np.exp(z[:k])))
        at = k
        for process, (name, sign) in self._targets.items():
            matrix = designs.get(process)
            if matrix is None or matrix.shape[1] == 0:
                continue
            params[name] = params[name] * np.exp(sign * (matrix @ z[at:at + matrix.shape[1]]))
            at += matrix.shape[1]
        return params

    def _pattern_rows(self, data: pd.DataFrame) -> tuple[dict, np.ndarray]:
        """The distinct covariate patterns of ``data`` (design rows per process) and each
        customer's pattern: a few for categories, however many the customers."""
        designs = {p: d.transform(data) for p, d in getattr(self, "_designs", {}).items()
                   if len(d)}
        rows, code = _row_codes(np.column_stack([np.zeros(len(data)), *designs.values()]))
        out, at = {}, 1
        for process, matrix in designs.items():
            out[process] = rows[:, at:at + matrix.shape[1]]
            at += matrix.shape[1]
        return out, code

    def _patterns(self, data: pd.DataFrame) -> tuple[dict, np.ndarray]:
        """The parameters of each distinct covariate pattern of ``data`` (arrays over
        patterns) and each customer's pattern."""
        rows, code = self._pattern_rows(data)
        return self._params_at(self._vector(), rows), code

    def _individual_params(self, data: pd.DataFrame) -> dict:
        """Each customer's parameters: the population's, scaled by their covariates."""
        if not self.has_covariates:
            return dict(self.params_)
        params, code = self._patterns(data)
        return {k: v[code] if np.ndim(v) else v for k, v in params.items()}

    def _finish(self, log_params: np.ndarray, total_negll: Callable, n: float,
                fit: optimize.OptimizeResult | None = None, counts: bool = False,
                direct: Callable[[], float] | None = None) -> None:
        """Keep the fitted parameters, their standard errors and intervals, and the fit's
        health check (``diagnostics_``): ``fit`` is the optimiser's result (converged, at an
        edge, starts tried), ``counts`` says the log-likelihood is of counts (at most 0),
        ``direct`` recomputes it by the per-customer formula to compare."""
        k = len(self._names)
        self._log_params = log_params
        self.params_ = dict(zip(self._names, np.exp(log_params[:k]).tolist()))
        value, _ = total_negll(log_params)
        self.log_likelihood_ = float(-value)
        self.n_customers_ = int(round(n))
        self.n_parameters_ = len(log_params)
        hess = _hessian(lambda z: total_negll(z)[1], log_params)
        try:
            cov = np.linalg.inv(hess)
            variances = np.diag(cov)
            se_all = np.sqrt(np.where(variances > 0, variances, np.nan))
        except np.linalg.LinAlgError:
            cov = np.full_like(hess, np.nan)
            se_all = np.full(len(log_params), np.nan)
        self.covariance_log_ = cov
        se_log = se_all[:k]
        p = np.exp(log_params[:k])
        self.standard_errors_ = dict(zip(self._names, (p * se_log).tolist()))
        with np.errstate(over="ignore"):
            self.confidence_intervals_ = pd.DataFrame({
                "estimate": p, "lower_95": np.exp(log_params[:k] - Z95 * se_log),
                "upper_95": np.exp(log_params[:k] + Z95 * se_log)}, index=list(self._names))
        index = pd.MultiIndex.from_tuples(getattr(self, "_coef_index", None) or [],
                                          names=["process", "covariate"])
        beta, se = log_params[k:], se_all[k:]
        self.coefficients_ = pd.DataFrame({"estimate": beta, "se": se,
                                           "ci_low": beta - Z95 * se,
                                           "ci_high": beta + Z95 * se}, index=index)
        names = [*self._names, *(f"{p}:{c}" for p, c in index)]
        edge = getattr(fit, "edge", None)
        at_bound = tuple(name for name, flag in zip(names, edge if edge is not None
                                                    else diagnostics.edge_flags(
                                                        np.zeros(len(names)), k)) if flag)
        ll_ok = bool(np.isfinite(self.log_likelihood_)) and not (counts and
                                                                self.log_likelihood_ > 1e-9)
        if ll_ok and direct is not None:
            with np.errstate(all="ignore"):
                ll_ok = diagnostics.likelihoods_agree(self.log_likelihood_, direct())
        self.diagnostics_ = diagnostics.FitDiagnostics(
            model=self._label, converged=bool(getattr(fit, "converged", True)),
            at_bound=at_bound, log_likelihood=self.log_likelihood_, log_likelihood_ok=ll_ok,
            information_positive_definite=diagnostics.positive_definite(hess),
            standard_errors_finite=bool(np.all(np.isfinite(se_all))
                                        and np.all(se_log <= diagnostics.MAX_LOG_SE)),
            starts=int(getattr(fit, "starts", 1)), message=str(getattr(fit, "message", "")))

    def summary(self) -> pd.DataFrame:
        """The fitted parameters with standard errors and 95% intervals."""
        out = self.confidence_intervals_.copy()
        out.insert(1, "standard_error", pd.Series(self.standard_errors_))
        return out

    def aic(self) -> float:
        """Akaike's information criterion, ``2 k - 2 log L``."""
        self._check_fitted()
        return 2 * self.n_parameters_ - 2 * self.log_likelihood_

    def bic(self) -> float:
        """The Bayesian information criterion, ``k log n - 2 log L``."""
        self._check_fitted()
        return self.n_parameters_ * np.log(self.n_customers_) - 2 * self.log_likelihood_

    def _check_fitted(self) -> None:
        if not hasattr(self, "params_"):
            raise RuntimeError(f"{type(self).__name__} is not fitted yet: call fit(summary)")


# --- BG/NBD ----------------------------------------------------------------------------------

def _bgnbd_terms(r, alpha, a, b, x, t_x, T, k: int = 0):
    """The per-customer log-likelihood of BG/NBD (``k = 0``) or MBG/NBD (``k = 1``).

    ``k`` is how many more chances to drop out a customer has had than repeat
    purchases: BG/NBD customers can only leave after a repeat purchase, MBG/NBD
    customers also right after the first one.
    """
    a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    a2 = gammaln(a + b) + gammaln(b + x + k) - gammaln(b) - gammaln(a + b + x + k)
    l3 = -(r + x) * np.log(alpha + T)
    can_leave = x + k > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        l4 = np.where(can_leave, np.log(a) - np.log(np.where(can_leave, b + x + k - 1, 1.0))
                      - (r + x) * np.log(alpha + t_x), -np.inf)
    lse = logsumexp(np.stack([l3, l4]), axis=0)
    return a1 + a2 + lse, l3, l4, lse


def _codes(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct values and each row's position among them (hashing: no sort)."""
    codes, uniques = pd.factorize(values)
    return np.asarray(uniques, dtype=float), codes


def _subsample(w: np.ndarray, size: int, seed: int = 0) -> np.ndarray:
    """Row positions drawn in proportion to their weights (with replacement), seeded."""
    cum = np.cumsum(w)
    u = np.random.default_rng(seed).random(size) * cum[-1]
    return np.minimum(np.searchsorted(cum, u, side="right"), len(w) - 1)


def _collapse_no_repeat(x, t_x, T, w):
    """Customers without repeat purchases depend on T alone: one weighted row per T."""
    zero = x == 0
    if zero.sum() < 2:
        return x, t_x, T, w
    Tu, inverse = np.unique(T[zero], return_inverse=True)
    wz = np.bincount(inverse.ravel(), weights=w[zero], minlength=len(Tu))
    keep = ~zero
    return (np.r_[np.zeros(len(Tu)), x[keep]], np.r_[np.zeros(len(Tu)), t_x[keep]],
            np.r_[Tu, T[keep]], np.r_[wz, w[keep]])


class _BGNBDData:
    """BG/NBD log-likelihood and gradient for fitting millions of customers quickly.

    Every term that depends on one input alone is computed once per distinct
    value of it (x: a few hundred values; T and t_x: days on a grid) and summed
    with weights; only the "dropped out after the last purchase" term needs a
    pass over the customers with repeat purchases.
    """

    def __init__(self, x, t_x, T, w, k: int = 0):
        self.n, self.k = w.sum(), k
        self.xu, xi = _codes(x)
        self.W = np.bincount(xi, weights=w, minlength=len(self.xu))
        self.Tu, Ti = _codes(T)
        self.WT = np.bincount(Ti, weights=w, minlength=len(self.Tu))
        self.WXT = np.bincount(Ti, weights=w * x, minlength=len(self.Tu))
        rep = x + k > 0  # who can have dropped out after their last purchase
        self.xr, self.wr, self.xri, self.Tri = x[rep], w[rep], xi[rep], Ti[rep]
        self.tu, self.tri = _codes(t_x[rep])

    def negll(self, z):
        r, alpha, a, b = np.exp(z)
        xu, W, n, k = self.xu, self.W, self.n, self.k
        bxk, abxk = b + xu + k, a + b + xu + k
        a_x = (gammaln(r + xu) - gammaln(r) + gammaln(a + b) + gammaln(bxk) - gammaln(b)
               - gammaln(abxk))
        log_aT, inv_aT = np.log(alpha + self.Tu), 1 / (alpha + self.Tu)
        log_at, inv_at = np.log(alpha + self.tu), 1 / (alpha + self.tu)
        can_leave = xu + k > 0
        with np.errstate(divide="ignore", invalid="ignore"):
            log_bx, inv_bx = np.log(bxk - 1), 1 / (bxk - 1)
        # l3 = -(r + x) log(alpha + T) for everyone, summed per T
        sum_l3 = -np.dot(r * self.WT + self.WXT, log_aT)
        # those who can have left: log L = ... + l3 + log(1 + exp(l4 - l3))
        rx = r + self.xr
        g = log_at[self.tri] - log_aT[self.Tri]
        d = (np.log(a) - log_bx)[self.xri] - rx * g
        e = np.exp(np.minimum(d, 700.0))
        w4 = e / (1 + e)
        ww4 = self.wr * w4
        value = np.dot(W, a_x) + n * r * np.log(alpha) + sum_l3 + np.dot(self.wr, np.log1p(e))
        d_r = (np.dot(W, digamma(r + xu)) - n * digamma(r) + n * np.log(alpha)
               - np.dot(self.WT, log_aT) - np.dot(ww4, g))
        d_alpha = (n * r / alpha - np.dot(r * self.WT + self.WXT, inv_aT)
                   - np.dot(ww4 * rx, inv_at[self.tri] - inv_aT[self.Tri]))
        d_a = np.dot(W, digamma(a + b) - digamma(abxk)) + ww4.sum() / a
        per_x = np.bincount(self.xri, weights=ww4, minlength=len(xu))
        d_b = (np.dot(W, digamma(a + b) + digamma(bxk) - digamma(b) - digamma(abxk))
               - np.dot(per_x[can_leave], inv_bx[can_leave]))
        grad = np.array([d_r, d_alpha, d_a, d_b]) * np.exp(z)
        return -value / n, -grad / n


def _row_codes(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct rows of a matrix and each row's position among them (hashing: no sort)."""
    if X.shape[1] == 0:
        return np.zeros((1, 0)), np.zeros(len(X), dtype=np.int64)
    code = np.zeros(len(X), dtype=np.int64)
    for j in range(X.shape[1]):
        col, _ = pd.factorize(X[:, j])
        code, _ = pd.factorize(code * (col.max() + 1) + col)
    first = np.full(code.max() + 1, -1, dtype=np.int64)
    first[code[::-1]] = np.arange(len(code))[::-1]
    return X[first], code


def _pairs(a_codes: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct (pattern, value) pairs: each pair's pattern, value, and each row's pair."""
    v_codes, v_uniques = pd.factorize(values)
    codes, pairs = pd.factorize(a_codes * len(v_uniques) + v_codes)
    return pairs // len(v_uniques), np.asarray(v_uniques, dtype=float)[pairs % len(v_uniques)], \
        codes


class _CovBGNBDData:
    """BG/NBD (or MBG/NBD) log-likelihood and gradient with covariates: each customer's
    ``alpha_i = alpha exp(-X1 beta)`` (a positive coefficient, more purchases) and
    ``a_i = a exp(X2 gamma)`` (a positive coefficient, a likelier dropout after a purchase).

    Every term is computed once per distinct (pattern, value) pair: (dropout pattern, x),
    (purchase pattern, T) and (purchase pattern, t_x). With categorical covariates there
    are few patterns, and the pass over the customers is gathers and sums.
    """

    def __init__(self, x, t_x, T, w, X1, X2, k: int = 0):
        self.k, self.n = k, w.sum()
        self.p1 = X1.shape[1]
        self.g1u, g1 = _row_codes(X1)
        self.g2u, g2 = _row_codes(X2)
        self.W_g1 = np.bincount(g1, weights=w, minlength=len(self.g1u))
        self.x_h, self.x_v, x_i = _pairs(g2, x)
        self.Wx = np.bincount(x_i, weights=w, minlength=len(self.x_v))
        self.T_g, self.T_v, T_i = _pairs(g1, T)
        self.WT = np.bincount(T_i, weights=w, minlength=len(self.T_v))
        self.WXT = np.bincount(T_i, weights=w * x, minlength=len(self.T_v))
        self.xu, xi = _codes(x)
        self.W = np.bincount(xi, weights=w, minlength=len(self.xu))
        # only customers who can have dropped out after their last purchase need a pass
        rep = x + k > 0
        self.w_r, self.x_r, self.g1_r, self.g2_r = w[rep], x[rep], g1[rep], g2[rep]
        self.T_i_r = T_i[rep]
        self.t_g, self.t_v, self.t_i_r = _pairs(g1[rep], t_x[rep])
        self.bx_r = x[rep] + k - 1

    def negll(self, z):
        k, n, p1 = self.k, self.n, self.p1
        r, b = np.exp(z[0]), np.exp(z[3])
        A_g = z[1] - self.g1u @ z[4:4 + p1]  # log alpha per purchase pattern
        B_h = z[2] + self.g2u @ z[4 + p1:]   # log a per dropout pattern
        al_g = np.exp(A_g)
        # per (dropout pattern, x): the beta-function terms
        a_p, xx = np.exp(B_h)[self.x_h], self.x_v
        abx = a_p + b + xx + k
        t_x_terms = gammaln(a_p + b) + gammaln(b + xx + k) - gammaln(b) - gammaln(abx)
        dB_x = a_p * (digamma(a_p + b) - digamma(abx))
        db_x = b * (digamma(a_p + b) + digamma(b + xx + k) - digamma(b) - digamma(abx))
        # per (purchase pattern, T) and (purchase pattern, t_x)
        alT = al_g[self.T_g]
        log_aT, frac_T = np.log(alT + self.T_v), alT / (alT + self.T_v)
        alt = al_g[self.t_g]
        log_at, frac_t = np.log(alt + self.t_v), alt / (alt + self.t_v)
        rWT = r * self.WT + self.WXT
        # per customer who can have left: the "dropped out after the last purchase" weight
        lT, lt = log_aT[self.T_i_r], log_at[self.t_i_r]
        rx = r + self.x_r
        d = B_h[self.g2_r] - np.log(b + self.bx_r) - rx * (lt - lT)
        e = np.exp(np.minimum(d, 700.0))
        ww4 = self.w_r * (e / (1 + e))
        sum_A = np.dot(self.W_g1, A_g)
        value = (np.dot(self.W, gammaln(r + self.xu)) - n * gammaln(r) + r * sum_A
                 + np.dot(self.Wx, t_x_terms) - np.dot(rWT, log_aT)
                 + np.dot(self.w_r, np.log1p(e)))
        d_r = r * (np.dot(self.W, digamma(r + self.xu)) - n * digamma(r) + sum_A
                   - np.dot(self.WT, log_aT) - np.dot(ww4, lt - lT))
        # d log L / d log alpha, per purchase pattern
        dA_g = (r * self.W_g1
                - np.bincount(self.T_g, weights=rWT * frac_T, minlength=len(A_g))
                - np.bincount(self.g1_r, weights=ww4 * rx * (frac_t[self.t_i_r]
                                                             - frac_T[self.T_i_r]),
                              minlength=len(A_g)))
        dB_h = (np.bincount(self.x_h, weights=self.Wx * dB_x, minlength=len(B_h))
                + np.bincount(self.g2_r, weights=ww4, minlength=len(B_h)))
        db = np.dot(self.Wx, db_x) - b * np.dot(ww4, 1 / (b + self.bx_r))
        grad = np.concatenate([[d_r, dA_g.sum(), dB_h.sum(), db], -(self.g1u.T @ dA_g),
                               self.g2u.T @ dB_h])
        return -value / n, -grad / n


def _fit_from(full: Callable, sub: Callable | None, x0: np.ndarray, name: str,
              n_params: int | None = None, n: float | None = None) -> optimize.OptimizeResult:
    """Minimise ``full``; given ``sub`` (a subsample's negative log-likelihood, for many
    customers), start from its optimum and take Newton steps with its Hessian: a few passes
    over all customers instead of dozens. Directly (:func:`_fit`) when the subsample's fit
    fails its checks or those steps do not converge."""
    k = len(x0) if n_params is None else n_params
    if sub is not None:
        first = _fit(sub, x0, name, k)
        if first.healthy:
            z = _refine(full, first.x, _hessian(lambda v: sub(v)[1], first.x), k)
            if z is not None:
                res = optimize.OptimizeResult(x=z, fun=full(z)[0], success=True,
                                              message="Newton steps from a subsample's fit")
                res = _mark(res, k, converged=True, starts=first.starts)
                if res.healthy:
                    return res
    return _fit(full, x0, name, k, n)


class _PurchaseModel(_LikelihoodModel):
    """Shared parts of the models of purchase counts (BG/NBD, MBG/NBD, Pareto/NBD).

    The time unit of ``recency`` and ``T`` is part of the fitted model
    (``days_per_unit_``: 1 for days, 7 for weeks): taken from the ``time_unit``
    argument of ``fit``, else from the summary's own record of it
    (:func:`crmwb.summary.customer_summary`), else unknown (``None``), so that a
    value computed later cannot silently assume days.
    """

    days_per_unit_: float | None = None

    def _remember_unit(self, summary: pd.DataFrame, time_unit) -> None:
        if time_unit is None:
            time_unit = summary.attrs.get("time_unit")
        self.days_per_unit_ = None if time_unit is None else _unit_days(time_unit)

    def expected_repeat_purchases(self, t, data: pd.DataFrame | None = None) -> np.ndarray:
        """Expected repeat purchases of one new customer over ``t`` time units.

        With covariates the expectation depends on who the customer is: ``data`` gives the
        mix of covariates (the customers of a summary), and the result is the mean over
        its customers.
        """
        self._check_fitted()
        t = np.asarray(t, dtype=float)
        if not self.has_covariates:
            return self._new_customer(*(self.params_[k] for k in self._names), t)
        if data is None:
            raise ValueError(f"{self._label} with covariates: a new customer's purchases "
                             "depend on their covariates; give data with those columns "
                             "(the customers whose mix to average over)")
        params, code = self._patterns(data)
        weights = np.bincount(code) / len(code)
        per_pattern = self._new_customer(*(params[k] for k in self._names), t[..., None])
        return per_pattern @ weights

    def purchase_pmf(self, t: float, data: pd.DataFrame) -> pd.DataFrame:
        """Each customer's distribution of purchases in the next ``t`` time units given
        their history, ``P(X(t) = k | x, t_x, T)``: rows customers, columns counts ``k``
        (:func:`crmwb.clv.intervals.purchase_pmf`)."""
        from crmwb.clv.intervals import purchase_pmf

        return purchase_pmf(self, t, data)

    def predictive_interval(self, t: float, data: pd.DataFrame, level: float = 0.8
                            ) -> pd.DataFrame:
        """For each customer, the shortest run of purchase counts in the next ``t`` time
        units holding at least ``level`` of the model's probability, given their history.

        Returns ``low``, ``high`` and ``probability`` (the model's probability that the
        count falls in [low, high]; counts are whole, so usually above ``level``).

        >>> from crmwb.datasets import simulate_summaries
        >>> s = simulate_summaries(2000, seed=1)
        >>> m = BetaGeoModel().fit(s, time_unit="D")
        >>> out = m.predictive_interval(90, s.head(3), level=0.8)
        >>> list(out.columns), bool((out["probability"] >= 0.8).all())
        (['low', 'high', 'probability'], True)
        """
        from crmwb.clv.intervals import predictive_interval

        return predictive_interval(self, t, data, level)

    def probability_alive(self, data: pd.DataFrame) -> pd.Series:
        """P(the customer is still active | frequency, recency, T)."""
        params, x, t_x, T = self._arrays(data)
        return pd.Series(self._p_alive(*params, x, t_x, T), index=data.index, name="p_alive")

    def expected_purchases(self, t: float, data: pd.DataFrame,
                           given_alive: bool = False) -> pd.Series:
        """Expected purchases in the next ``t`` time units, given each customer's history.

        With ``given_alive``, the expectation for a customer known to be still
        active (not weighted by P(alive)): what a retained customer will buy.
        """
        params, x, t_x, T = self._arrays(data)
        e = self._given_alive(*params, x, T, t)
        if not given_alive:
            e = e * self._p_alive(*params, x, t_x, T)
        return pd.Series(e, index=data.index, name="expected_purchases")

    def expected_purchases_never_leaving(self, t: float, data: pd.DataFrame) -> pd.Series:
        """Expected purchases in the next ``t`` time units of a customer who never leaves:
        the purchase process alone (a gamma-Poisson, ``(r + x) t / (alpha + T)``), no
        dropout. It bounds what the model expects from above, and it is what customer
        values rest on when the fit failed its health check: a dropout the data do not
        identify is no ground for a value (:func:`customer_lifetime_value`)."""
        params, x, _, T = self._arrays(data)
        r, alpha = params[0], params[1]
        return pd.Series((r + x) * t / (alpha + T), index=data.index, name="expected_purchases")

    def _arrays(self, data: pd.DataFrame):
        self._check_fitted()
        x, t_x, T = _columns(data, ["frequency", "recency", "T"], self._label)
        params = self._individual_params(data)
        return [params[k] for k in self._names], x, t_x, T


class BetaGeoModel(_PurchaseModel):
    """The BG/NBD model of repeat purchasing (Fader, Hardie & Lee 2005).

    While active, a customer buys at a Poisson rate λ ~ Gamma(r, α); after
    each purchase they become inactive with probability p ~ Beta(a, b).

    Parameters
    ----------
    purchase_covariates, dropout_covariates : list of str, optional
        Columns of the summary whose values scale each customer's purchase rate
        (``alpha_i = alpha exp(-beta'x)``: a positive coefficient, more purchases) and
        dropout (``a_i = a exp(gamma'x)``: a positive coefficient, a likelier dropout after
        each purchase), after Fader & Hardie (2007). A text, categorical or boolean column
        is one-hot encoded against its first level; a missing value is refused.

    Attributes
    ----------
    params_ : dict
        ``r``, ``alpha``, ``a``, ``b`` (``alpha`` in the summary's time unit); with
        covariates, those of a customer at the reference levels (every covariate zero).
    coefficients_ : pandas.DataFrame
        Indexed by (process, covariate): ``estimate``, ``se``, ``ci_low``, ``ci_high``
        (95%); empty without covariates.
    log_likelihood_ : float
        The maximised log-likelihood (summed over customers).
    standard_errors_ : dict
        From the Hessian of the log-likelihood (delta method).
    confidence_intervals_ : pandas.DataFrame
        95% intervals, computed on the log scale.

    Examples
    --------
    >>> s = pd.DataFrame({"frequency": [0, 1, 4, 0, 2, 7, 0, 3],
    ...                   "recency": [0, 10, 30, 0, 20, 35, 0, 12],
    ...                   "T": [40, 38, 36, 40, 30, 39, 25, 33]})
    >>> model = BetaGeoModel().fit(s)
    >>> sorted(model.params_)
    ['a', 'alpha', 'b', 'r']
    >>> bool(model.probability_alive(s).between(0, 1).all())
    True
    """

    _names = ("r", "alpha", "a", "b")
    _label = "BG/NBD"
    _k = 0  # more chances to drop out than repeat purchases: 1 in MBG/NBD
    _targets = {"purchase": ("alpha", -1), "dropout": ("a", 1)}

    def __init__(self, purchase_covariates: list[str] | None = None,
                 dropout_covariates: list[str] | None = None):
        self.purchase_covariates = purchase_covariates
        self.dropout_covariates = dropout_covariates

    def fit(self, summary: pd.DataFrame, weights: np.ndarray | None = None,
            time_unit: str | float | None = None) -> BetaGeoModel:
        """Fit by maximum likelihood to ``frequency``, ``recency`` and ``T``.

        Parameters
        ----------
        summary : pandas.DataFrame
            One row per customer (:func:`crmwb.summary.customer_summary`).
        weights : array, optional
            How many customers each row stands for (1 each by default).
        time_unit : {"D", "W"} or float, optional
            The unit of ``recency`` and ``T``; read from the summary when it
            says (``summary.attrs["time_unit"]``). Kept as ``days_per_unit_``.
        """
        self._remember_unit(summary, time_unit)
        label, k = self._label, self._k
        x, t_x, T = _columns(summary, ["frequency", "recency", "T"], label)
        bad = t_x > T
        if bad.any():
            raise ValueError(f"{label}: recency exceeds T for some customers, e.g.\n"
                             f"{summary.loc[bad, ['frequency', 'recency', 'T']].head()}")
        w = np.ones(len(x)) if weights is None else np.asarray(weights, dtype=float)
        if self.has_covariates:
            return self._fit_covariates(summary, x, t_x, T, w)
        self._coef_index = []
        x, t_x, T, w = _collapse_no_repeat(x, t_x, T, w)
        scale = 10.0 / T.max() if T.max() > 0 else 1.0  # well-conditioned time scale
        full = _BGNBDData(x, t_x * scale, T * scale, w, k)
        sub = None
        if len(x) > 200_000:  # a seeded subsample gives the start
            pick = _subsample(w, 50_000)
            sub = _BGNBDData(x[pick], t_x[pick] * scale, T[pick] * scale, np.ones(len(pick)),
                             k).negll
        fit = _fit_from(full.negll, sub, np.zeros(4), label, n=full.n)
        z = fit.x.copy()
        z[1] -= np.log(scale)  # alpha back in the summary's time unit
        n = full.n
        # the likelihood of the times in the summary's unit, not the scaled ones
        jacobian = np.dot(w, x) * np.log(scale)

        def total(zz):
            zs = zz.copy()
            zs[1] += np.log(scale)
            v, g = full.negll(zs)
            return v * n - jacobian, g * n

        self._finish(z, total, n, fit, direct=lambda: float(np.dot(w, _bgnbd_terms(
            *(self.params_[q] for q in self._names), x, t_x, T, k)[0])))
        return self

    def _fit_covariates(self, summary, x, t_x, T, w) -> BetaGeoModel:
        """The fit with covariates: the model without them gives the start."""
        X = self._fit_designs(summary)
        X1, X2 = X["purchase"], X["dropout"]
        scale = 10.0 / T.max() if T.max() > 0 else 1.0
        full = _CovBGNBDData(x, t_x * scale, T * scale, w, X1, X2, self._k)
        large = len(x) > 200_000
        pick = _subsample(w, 50_000) if large else slice(None)
        # the start: the model without covariates (on the subsample when there are many)
        start = summary.iloc[pick][["frequency", "recency", "T"]]
        plain = type(self)().fit(start, None if large else w, time_unit=1.0)
        x0 = np.r_[plain._log_params, np.zeros(X1.shape[1] + X2.shape[1])]
        x0[1] += np.log(scale)
        sub = _CovBGNBDData(x[pick], t_x[pick] * scale, T[pick] * scale, np.ones(len(pick)),
                            X1[pick], X2[pick], self._k).negll if large else None
        fit = _fit_from(full.negll, sub, x0, self._label, 4, n=full.n)
        z = fit.x.copy()
        z[1] -= np.log(scale)
        unit = self._coefficient_scale()
        z[4:] /= unit  # coefficients per unit of each covariate
        n = full.n
        jacobian = np.dot(w, x) * np.log(scale)

        def total(zz):
            zs = zz.copy()
            zs[1] += np.log(scale)
            zs[4:] *= unit
            v, g = full.negll(zs)
            g = g.copy()
            g[4:] *= unit
            return v * n - jacobian, g * n

        self._finish(z, total, n, fit,
                     direct=lambda: float(np.dot(w, self.log_likelihood(summary))))
        return self

    def log_likelihood(self, data: pd.DataFrame) -> pd.Series:
        """Each customer's log-likelihood under the fitted model."""
        (r, alpha, a, b), x, t_x, T = self._arrays(data)
        return pd.Series(_bgnbd_terms(r, alpha, a, b, x, t_x, T, self._k)[0], index=data.index)

    def _p_alive(self, r, alpha, a, b, x, t_x, T):
        """P(alive) as the logistic of a log-odds: a thousand purchases long ago give 0, not
        an overflow."""
        k = self._k
        can_leave = x + k > 0
        with np.errstate(divide="ignore", invalid="ignore"):
            log_odds_gone = (np.log(a) - np.log(np.where(can_leave, b + x + k - 1, 1.0))
                             + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x)))
        return np.where(can_leave, expit(-np.where(can_leave, log_odds_gone, 0.0)), 1.0)

    def _given_alive(self, r, alpha, a, b, x, T, t):
        """Expected purchases in the next ``t`` of a customer still active. The
        hypergeometric term is taken through Euler's transformation, ``(1 - z)^(r + x)
        2F1(r + x, b + x + k; c; z) = (1 - z)^(a - 1) 2F1(a + b + k - 1 - r, a - 1; c; z)``
        with ``c = a + b + x + k - 1``: its parameters no longer grow with the purchases,
        so it stays finite at thousands of them."""
        k = self._k
        z = t / (alpha + T + t)
        c = a + b + x + k - 1
        kept = (1 - z) ** (a - 1) * hyp2f1(a + b + k - 1 - r, a - 1, c, z)
        return c / (a - 1) * (1 - kept)

    def _new_customer(self, r, alpha, a, b, t):
        k = self._k
        # E[(1 - p)^k / p] over p ~ Beta(a, b):
        # (a + b - 1) / (a - 1) for BG/NBD, b / (a - 1) for MBG/NBD
        scale = (b if k else a + b - 1) / (a - 1)
        return scale * (1 - (alpha / (alpha + t)) ** r
                        * hyp2f1(r, b + k, a + b + k - 1, t / (alpha + t)))


class ModifiedBetaGeoModel(BetaGeoModel):
    """The MBG/NBD model (Batislam, Denizel & Filiztekin 2007).

    BG/NBD with one change: a customer may also become inactive right after the
    first purchase, with the same probability p ~ Beta(a, b) as after every
    repeat purchase. Under BG/NBD a customer who never came back is alive for
    sure (P(alive) = 1), however long ago the first purchase; under MBG/NBD
    their P(alive) falls with the time since it, which is what churn scores need.
    The same parameters ``r``, ``alpha``, ``a``, ``b`` and methods as
    :class:`BetaGeoModel`.

    Examples
    --------
    >>> from crmwb.datasets import simulate_summaries
    >>> model = ModifiedBetaGeoModel().fit(simulate_summaries(2000, seed=1), time_unit="D")
    >>> once = pd.DataFrame({"frequency": [0, 0], "recency": [0, 0], "T": [30, 300]})
    >>> p = model.probability_alive(once)  # never came back: the longer ago, the likelier gone
    >>> bool(p.iloc[1] < p.iloc[0] < 1)
    True
    """

    _label = "MBG/NBD"
    _k = 1


# --- Pareto/NBD ------------------------------------------------------------------------------

def _log_hyp2f1(a, b, c, z):
    with np.errstate(divide="ignore"):
        return np.log(hyp2f1(a, b, c, z))


def _pareto_terms(r, alpha, s, beta, x, t_x, T):
    """Per-customer Pareto/NBD log-likelihood and log P(alive) pieces.

    ``alpha`` and ``beta`` may be per customer (covariates): the hypergeometric term is
    taken in whichever form has its argument in [0, 1), customer by customer.
    """
    rsx = r + s + x
    first = np.asarray(alpha >= beta)
    big = np.where(first, alpha, beta)
    k = np.where(first, s + 1, r + x)
    diff = np.abs(alpha - beta)
    z_t = diff / (big + t_x)
    z_T = diff / (big + T)
    log_1 = _log_hyp2f1(rsx, k, rsx + 1, z_t) - rsx * np.log(big + t_x)
    log_2 = _log_hyp2f1(rsx, k, rsx + 1, z_T) - rsx * np.log(big + T)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_a0 = log_1 + np.log1p(-np.exp(np.minimum(log_2 - log_1, 0.0)))
    log_a0 = np.where(log_2 >= log_1, -np.inf, log_a0)
    head = gammaln(r + x) - gammaln(r) + r * np.log(alpha) + s * np.log(beta)
    alive = -(r + x) * np.log(alpha + T) - s * np.log(beta + T)
    rest = np.log(s) - np.log(rsx) + log_a0
    lse = np.logaddexp(alive, rest)
    return head + lse, alive - lse


class ParetoNBDModel(_PurchaseModel):
    """The Pareto/NBD model (Schmittlein, Morrison & Colombo 1987).

    Purchases at rate λ ~ Gamma(r, α) while active; the active lifetime is
    exponential with rate μ ~ Gamma(s, β). Fitted beside BG/NBD to compare.
    Parameters: ``r``, ``alpha``, ``s``, ``beta``. Covariates as in :class:`BetaGeoModel`:
    on the purchase rate ``alpha_i = alpha exp(-beta'x)``, on the dropout ``beta_i = beta
    exp(-gamma'x)`` (a positive coefficient, a higher dropout rate).
    """

    _names = ("r", "alpha", "s", "beta")
    _label = "Pareto/NBD"
    _targets = {"purchase": ("alpha", -1), "dropout": ("beta", -1)}

    def __init__(self, purchase_covariates: list[str] | None = None,
                 dropout_covariates: list[str] | None = None):
        self.purchase_covariates = purchase_covariates
        self.dropout_covariates = dropout_covariates

    def fit(self, summary: pd.DataFrame, weights: np.ndarray | None = None,
            time_unit: str | float | None = None) -> ParetoNBDModel:
        """Fit by maximum likelihood to ``frequency``, ``recency`` and ``T``.

        The arguments are those of :meth:`BetaGeoModel.fit`.
        """
        self._remember_unit(summary, time_unit)
        x, t_x, T = _columns(summary, ["frequency", "recency", "T"], "Pareto/NBD")
        if self.has_covariates:
            X = self._fit_designs(summary)
            X1, X2 = X["purchase"], X["dropout"]
            p1, p2 = X1.shape[1], X2.shape[1]
            (x, t_x, T, *cols), w = _group(x, t_x, T, *X1.T, *X2.T, weights=weights)
            X1 = np.column_stack(cols[:p1]) if p1 else np.zeros((len(x), 0))
            X2 = np.column_stack(cols[p1:]) if p2 else np.zeros((len(x), 0))
            plain = ParetoNBDModel().fit(summary[["frequency", "recency", "T"]], weights,
                                         time_unit=self.days_per_unit_ or 1.0)
            # the fit without covariates as the start, its times on the scale below
            x0 = np.r_[plain._log_params, np.zeros(p1 + p2)]
            x0[[1, 3]] += np.log(10.0 / T.max() if T.max() > 0 else 1.0)
        else:
            self._coef_index = []
            (x, t_x, T), w = _group(x, t_x, T, weights=weights)
            X1 = X2 = np.zeros((len(x), 0))
            x0 = np.zeros(4)
        n_z = len(x0)
        scale = 10.0 / T.max() if T.max() > 0 else 1.0
        ts, Ts = t_x * scale, T * scale
        n = w.sum()
        p1 = X1.shape[1]

        def value(z):
            r, alpha, s, beta = np.exp(z[:4])
            if n_z > 4:  # each customer's alpha and beta
                alpha = alpha * np.exp(-(X1 @ z[4:4 + p1]))
                beta = beta * np.exp(-(X2 @ z[4 + p1:]))
            ll, _ = _pareto_terms(r, alpha, s, beta, x, ts, Ts)
            return -np.dot(w, ll) / n

        def negll(z, h=1e-6):
            v = value(z)
            g = np.array([(value(z + h * e) - value(z - h * e)) / (2 * h)
                          for e in np.eye(n_z)])
            return v, g

        res = _fit(negll, x0, "Pareto/NBD", 4, n)
        z = res.x.copy()
        z[[1, 3]] -= np.log(scale)
        unit = self._coefficient_scale()
        z[4:] /= unit

        jacobian = np.dot(w, x) * np.log(scale)

        def total(zz, h=1e-5):
            zs = zz.copy()
            zs[[1, 3]] += np.log(scale)
            zs[4:] *= unit
            v = value(zs)
            g = np.array([(value(zs + h * e) - value(zs - h * e)) / (2 * h)
                          for e in np.eye(n_z)])
            g[4:] *= unit
            return v * n - jacobian, g * n

        self._finish(z, total, n, res)
        return self

    def log_likelihood(self, data: pd.DataFrame) -> pd.Series:
        """Each customer's log-likelihood under the fitted model."""
        (r, alpha, s, beta), x, t_x, T = self._arrays(data)
        return pd.Series(_pareto_terms(r, alpha, s, beta, x, t_x, T)[0], index=data.index)

    @staticmethod
    def _p_alive(r, alpha, s, beta, x, t_x, T):
        with np.errstate(under="ignore"):  # P(alive) of 0 after a thousand purchases long ago
            return np.exp(_pareto_terms(r, alpha, s, beta, x, t_x, T)[1])

    @staticmethod
    def _given_alive(r, alpha, s, beta, x, T, t):
        return (r + x) * (beta + T) / ((alpha + T) * (s - 1)) * (
            1 - ((beta + T) / (beta + T + t)) ** (s - 1))

    @staticmethod
    def _new_customer(r, alpha, s, beta, t):
        return r * beta / (alpha * (s - 1)) * (1 - (beta / (beta + t)) ** (s - 1))


# --- Gamma-Gamma -----------------------------------------------------------------------------

def _gg_terms(p, q, gamma, x, m):
    px = p * x
    return (gammaln(px + q) - gammaln(px) - gammaln(q) + q * np.log(gamma)
            + (px - 1) * np.log(m) + px * np.log(x) - (px + q) * np.log(gamma + m * x))


class _GammaGammaData:
    """Gamma-Gamma log-likelihood and gradient: terms of x alone once per distinct x,
    per customer only log(gamma + m x)."""

    def __init__(self, x, m, w):
        self.n = w.sum()
        self.xu, xi = _codes(x)
        self.W = np.bincount(xi, weights=w, minlength=len(self.xu))
        self.w, self.wx, self.mx = w, w * x, m * x
        log_m = np.log(m)
        self.const = np.dot(self.W, self.xu * np.log(self.xu))  # sum of w x log x
        self.sum_wx_log_m, self.sum_w_log_m = np.dot(self.wx, log_m), np.dot(w, log_m)

    def negll(self, z):
        p, q, g = np.exp(z)
        xu, W, n = self.xu, self.W, self.n
        px = p * xu
        shifted = g + self.mx
        big_l = np.log(shifted)
        inv = 1 / shifted
        wx_l, w_l = np.dot(self.wx, big_l), np.dot(self.w, big_l)
        value = (np.dot(W, gammaln(px + q) - gammaln(px)) - n * gammaln(q) + n * q * np.log(g)
                 + p * self.sum_wx_log_m - self.sum_w_log_m + p * self.const
                 - p * wx_l - q * w_l)
        d_p = (np.dot(W * xu, digamma(px + q) - digamma(px) + np.log(xu)) + self.sum_wx_log_m
               - wx_l)
        d_q = np.dot(W, digamma(px + q)) - n * digamma(q) + n * np.log(g) - w_l
        d_g = n * q / g - p * np.dot(self.wx, inv) - q * np.dot(self.w, inv)
        grad = np.array([d_p, d_q, d_g]) * np.exp(z)
        return -value / n, -grad / n


class GammaGammaModel(_LikelihoodModel):
    """The Gamma-Gamma model of spend per purchase (Fader, Hardie & Lee 2005).

    A customer's purchases have mean ν drawn from Gamma(q, γ), each purchase's
    spend from Gamma(p, ν). Fitted on customers with repeat purchases and a
    positive mean spend. The model assumes spend does not depend on purchase
    frequency: the Pearson correlation between the two is kept in
    ``frequency_spend_correlation_`` and a :class:`CLVWarning` is raised above
    ``max_correlation``.

    Parameters
    ----------
    max_correlation : float
        Absolute correlation above which the independence warning is raised.
    spend_covariates : list of str, optional
        Columns of the summary that scale each customer's mean spend, ``gamma_i = gamma
        exp(delta'x)`` (a positive coefficient, dearer purchases); see :class:`BetaGeoModel`.
    """

    _names = ("p", "q", "gamma")
    _label = "Gamma-Gamma"
    _targets = {"spend": ("gamma", 1)}

    def __init__(self, max_correlation: float = 0.3, spend_covariates: list[str] | None = None):
        self.max_correlation = max_correlation
        self.spend_covariates = spend_covariates

    def fit(self, summary: pd.DataFrame, weights: np.ndarray | None = None) -> GammaGammaModel:
        """Fit to ``frequency`` and ``monetary_value`` of customers with repeat purchases."""
        x, m = _columns(summary, ["frequency", "monetary_value"], "Gamma-Gamma")
        keep = (x > 0) & (m > 0)
        if keep.sum() < 3:
            raise ValueError("Gamma-Gamma: fewer than 3 customers with repeat purchases")
        w0 = None if weights is None else np.asarray(weights, dtype=float)[keep]
        x, m = x[keep], m[keep]
        # the repeat buyers' mean spend per purchase: what a failed fit falls back on
        self.observed_mean_ = float(np.average(m, weights=x if w0 is None else x * w0))
        corr = float(np.corrcoef(x, m)[0, 1]) if x.std() > 0 and m.std() > 0 else 0.0
        self.frequency_spend_correlation_ = corr
        if abs(corr) > self.max_correlation:
            warnings.warn(f"Gamma-Gamma: frequency and spend are correlated (r = {corr:.2f}); "
                          "the model assumes they are independent, so its spend estimates "
                          "are doubtful for this data", CLVWarning, stacklevel=2)
        w = np.ones(len(x)) if w0 is None else w0
        if self.has_covariates:
            return self._fit_covariates(summary[keep], x, m, w)
        self._coef_index = []
        scale = 1.0 / np.average(m, weights=w)
        full = _GammaGammaData(x, m * scale, w)
        n = full.n
        sub = None
        if len(x) > 200_000:
            pick = _subsample(w, 50_000)
            sub = _GammaGammaData(x[pick], m[pick] * scale, np.ones(len(pick))).negll
        fit = _fit_from(full.negll, sub, np.zeros(3), "Gamma-Gamma", n=full.n)
        z = fit.x.copy()
        negll = full.negll
        z[2] -= np.log(scale)
        jacobian = n * np.log(scale)  # the log-likelihood of the unscaled spends

        def total(zz):
            zs = zz.copy()
            zs[2] += np.log(scale)
            v, g = negll(zs)
            return v * n - jacobian, g * n

        self._finish(z, total, n, fit, direct=lambda: float(np.dot(w, _gg_terms(
            *(self.params_[q] for q in self._names), x, m))))
        return self

    def _fit_covariates(self, repeaters: pd.DataFrame, x, m, w) -> GammaGammaModel:
        """The fit with covariates on the spend: ``gamma_i = gamma exp(X delta)``, a positive
        coefficient a higher mean spend; the model without them gives the start."""
        X = self._fit_designs(repeaters)["spend"]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", CLVWarning)  # already said once
            plain = GammaGammaModel(self.max_correlation).fit(
                repeaters[["frequency", "monetary_value"]], w)
        scale = 1.0 / np.average(m, weights=w)
        n = w.sum()

        def likelihood(x, ms, X, w):
            log_m, log_x, n = np.log(ms), np.log(x), w.sum()

            def negll(z):
                p, q = np.exp(z[:2])
                g = np.exp(z[2] + X @ z[3:])
                px = p * x
                big = np.log(g + ms * x)
                ll = (gammaln(px + q) - gammaln(px) - gammaln(q) + q * np.log(g)
                      + (px - 1) * log_m + px * log_x - (px + q) * big)
                d_p = p * x * (digamma(px + q) - digamma(px) + log_m + log_x - big)
                d_q = q * (digamma(px + q) - digamma(q) + np.log(g) - big)
                d_g = q - (px + q) * g / (g + ms * x)
                grad = np.concatenate([[np.dot(w, d_p), np.dot(w, d_q), np.dot(w, d_g)],
                                       X.T @ (w * d_g)])
                return -np.dot(w, ll) / n, -grad / n

            return negll

        negll = likelihood(x, m * scale, X, w)
        x0 = np.r_[plain._log_params, np.zeros(X.shape[1])]
        x0[2] += np.log(scale)
        sub = None
        if len(x) > 200_000:  # a subsample's optimum, then Newton steps over all
            pick = _subsample(w, 50_000)
            sub = likelihood(x[pick], m[pick] * scale, X[pick], np.ones(len(pick)))
        fit = _fit_from(negll, sub, x0, self._label, 3, n)
        z = fit.x.copy()
        z[2] -= np.log(scale)
        unit = self._coefficient_scale()
        z[3:] /= unit
        jacobian = n * np.log(scale)

        def total(zz):
            zs = zz.copy()
            zs[2] += np.log(scale)
            zs[3:] *= unit
            v, g = negll(zs)
            g = g.copy()
            g[3:] *= unit
            return v * n - jacobian, g * n

        self._finish(z, total, n, fit)
        return self

    def conditional_expected_average_profit(self, data: pd.DataFrame) -> pd.Series:
        """Expected spend per purchase of each customer, shrunk towards the population mean
        (of customers with the same covariates, when the model has them).

        Customers without repeat purchases get the population mean ``p γ / (q - 1)``. When
        the fit failed its health check (or ``q <= 1``: no finite mean), there is no model
        of spend to shrink by: each repeat buyer's own mean spend, and for the others the
        mean over the repeat buyers (``observed_mean_``).
        """
        self._check_fitted()
        params = self._individual_params(data)
        p, q, g = (params[k] for k in self._names)
        x, m = _columns(data, ["frequency", "monetary_value"], "Gamma-Gamma")
        if not _healthy(self) or q <= 1:  # no model of spend: the observed means
            return pd.Series(np.where((x > 0) & (m > 0), m, self.observed_mean_),
                             index=data.index, name="expected_spend")
        return pd.Series((g + m * x) * p / (p * x + q - 1), index=data.index,
                         name="expected_spend")

    def mean_spend(self, data: pd.DataFrame | None = None) -> float:
        """The population mean spend per purchase, ``p γ / (q - 1)``; with covariates, the
        mean over the customers of ``data`` (their mix of covariates)."""
        self._check_fitted()
        if self.has_covariates:
            if data is None:
                raise ValueError("Gamma-Gamma with covariates: the mean spend depends on the "
                                 "customers' covariates; give data with those columns")
            g = self._individual_params(data)["gamma"]
        else:
            g = self.params_["gamma"]
        p, q = self.params_["p"], self.params_["q"]
        if not _healthy(self) or q <= 1:
            return float(self.observed_mean_)
        return float(np.mean(p * g / (q - 1)))


# --- CLV --------------------------------------------------------------------------------------

def _days_per_unit(purchases, days_per_unit=None, data_unit=None) -> float:
    """The days per time unit of a value: given, else the purchase model's, else the data's;
    refused when unknown or when the model and the data disagree with it."""
    model_days = getattr(purchases, "days_per_unit_", None)
    data_days = None if data_unit is None else _unit_days(data_unit)
    if days_per_unit is None:
        days_per_unit = model_days if model_days is not None else data_days
    if days_per_unit is None:
        raise ValueError("CLV: the time unit of recency and T is unknown (the summary lost its "
                         "attrs, e.g. in a join, before the model was fitted): fit the model "
                         "with time_unit='W' or 'D', or give days_per_unit")
    days_per_unit = _unit_days(days_per_unit)
    for what, days in (("the purchase model was fitted", model_days), ("the data are", data_days)):
        if days is not None and days != days_per_unit:
            raise ValueError(f"CLV: {what} in units of {days:g} days, not {days_per_unit:g}: "
                             "give data in the model's unit")
    return days_per_unit


def customer_lifetime_value(
    purchases: BetaGeoModel | ParetoNBDModel,
    spend: GammaGammaModel,
    data: pd.DataFrame,
    horizon_months: int = 12,
    monthly_discount_rate: float = 0.01,
    margin: float = 0.30,
    days_per_unit: float | None = None,
    given_alive: bool = False,
) -> pd.Series:
    """Discounted expected margin of each customer over the next ``horizon_months``.

    Month ``i`` contributes ``margin x E[spend] x (E[X(i months)] - E[X(i-1
    months)]) / (1 + d)^i``, a month being 365.25 / 12 days converted to the
    time unit of the purchase model.

    Parameters
    ----------
    days_per_unit : float, optional
        Days per time unit of ``recency`` and ``T``. By default the unit the
        purchase model was fitted in (``purchases.days_per_unit_``); an error
        when that is unknown, or when ``data`` says another unit.
    given_alive : bool
        The value of each customer *if retained*: their expected purchases as a
        customer known to be still active, not weighted by P(alive). This is what
        a retention offer saves (the churn model already says who would leave).

    When ``purchases`` failed its health check (``diagnostics_``), its dropout is not
    identified and the values are those of customers who never leave
    (:meth:`expected_purchases_never_leaving`): an upper bound, marked in the result's
    ``attrs["upper_bound"]``. A failed spend model gives observed mean spends
    (:meth:`GammaGammaModel.conditional_expected_average_profit`).

    Raises
    ------
    ValueError
        When the time unit is unknown or contradicts the data's, or when a
        customer's value is not a finite number (a model outside its range).
    """
    days_per_unit = _days_per_unit(purchases, days_per_unit, data.attrs.get("time_unit"))
    value = spend.conditional_expected_average_profit(data).to_numpy()
    # a purchase model that failed its health check gives values of customers who never
    # leave: the purchase process it did fit, without the dropout it could not (an upper
    # bound, said in attrs["upper_bound"])
    bound = not _healthy(purchases)
    clv = np.zeros(len(data))
    previous = np.zeros(len(data))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # checked below
        for i in range(1, horizon_months + 1):
            t = DAYS_PER_MONTH * i / days_per_unit
            current = (purchases.expected_purchases_never_leaving(t, data) if bound else
                       purchases.expected_purchases(t, data, given_alive=given_alive)).to_numpy()
            clv += margin * value * (current - previous) / (1 + monthly_discount_rate) ** i
            previous = current
    bad = ~np.isfinite(clv)
    if bad.any():
        rows = data.loc[bad, [c for c in ("frequency", "recency", "T", "monetary_value")
                              if c in data]].head()
        raise ValueError(f"CLV: {int(bad.sum()):,} customers get no finite value from "
                         f"{type(purchases).__name__} and {type(spend).__name__}, e.g.\n{rows}")
    out = pd.Series(clv, index=data.index, name="clv")
    out.attrs["upper_bound"] = bound
    return out


def new_customer_value(
    purchases: BetaGeoModel | ParetoNBDModel,
    spend: GammaGammaModel,
    horizon_months: int = 12,
    monthly_discount_rate: float = 0.01,
    margin: float = 0.30,
    days_per_unit: float | None = None,
    data: pd.DataFrame | None = None,
) -> float:
    """The discounted expected margin of one customer acquired today: the most to pay for one.

    With covariate models, ``data`` gives the mix of customers acquired (the current
    customers, or those of one channel): the value is the mean over them.

    The first purchase (now, undiscounted) and the repeat purchases the purchase
    model expects of a new customer month by month
    (``expected_repeat_purchases``), each at the population's mean spend
    (:meth:`GammaGammaModel.mean_spend`), times ``margin``, discounted by
    ``monthly_discount_rate``. Unlike the mean CLV of current customers, which
    is conditional on their history (some have already left, others proved
    loyal), this is what the firm can expect of a customer it has not met. A purchase model
    that failed its health check gives the value of a customer who never leaves (an upper
    bound, as in :func:`customer_lifetime_value`).

    Examples
    --------
    >>> from crmwb.datasets import simulate_summaries
    >>> s = simulate_summaries(3000, seed=2)
    >>> bg, gg = BetaGeoModel().fit(s, time_unit="D"), GammaGammaModel().fit(s)
    >>> v = new_customer_value(bg, gg, horizon_months=12, monthly_discount_rate=0.0, margin=1.0)
    >>> one_year = float(bg.expected_repeat_purchases(365.25))
    >>> round(v / gg.mean_spend(), 6) == round(1 + one_year, 6)
    True
    """
    days = _days_per_unit(purchases, days_per_unit)
    months = np.arange(0, horizon_months + 1)
    ages = DAYS_PER_MONTH * months / days
    factors = 1 / (1 + monthly_discount_rate) ** months[1:]
    if not _healthy(purchases):  # a customer who never leaves: an upper bound
        r, alpha = purchases.params_["r"], purchases.params_["alpha"]
        discounted = np.sum(np.diff(r * ages / alpha) * factors)
        return float(margin * spend.mean_spend(data if spend.has_covariates else None)
                     * (1 + discounted))
    if purchases.has_covariates or spend.has_covariates:
        if data is None:
            raise ValueError("new customer value with covariates: give data, the customers "
                             "whose mix of covariates a new customer is drawn from")
        # each customer's own curve and spend, then the mean of their product
        if purchases.has_covariates:
            params, code = purchases._patterns(data)
            curves = purchases._new_customer(*(params[k] for k in purchases._names),
                                             ages[:, None])
            discounted = (factors @ np.diff(curves, axis=0))[code]
        else:
            discounted = np.sum(np.diff(purchases.expected_repeat_purchases(ages)) * factors)
        g = spend._individual_params(data)["gamma"]
        p, q = spend.params_["p"], spend.params_["q"]
        value = margin * float(np.mean(p * g / (q - 1) * (1 + discounted)))
    else:
        discounted = np.sum(np.diff(purchases.expected_repeat_purchases(ages)) * factors)
        value = margin * spend.mean_spend() * (1 + discounted)
    if not np.isfinite(value):
        raise ValueError(f"new customer value: {type(purchases).__name__} gives no finite "
                         f"expectation (parameters {purchases.params_})")
    return float(value)


# --- shifted beta-geometric ----------------------------------------------------------------

class ShiftedBetaGeoModel(_LikelihoodModel):
    """The shifted-beta-geometric model of contractual retention (Fader & Hardie 2007).

    Each customer churns at the end of a period with probability θ ~ Beta(α, β).
    Fitted to the survivors of a cohort at the start of each period
    (``fit([1000, 631, 468, ...])``) or to censored durations
    (:meth:`fit_durations`). Parameters: ``alpha``, ``beta``.

    Examples
    --------
    >>> m = ShiftedBetaGeoModel().fit([1000, 631, 468, 382, 326, 289, 262, 241])
    >>> round(m.params_["alpha"], 3), round(m.params_["beta"], 3)
    (0.704, 1.182)
    """

    _names = ("alpha", "beta")

    def fit(self, survivors) -> ShiftedBetaGeoModel:
        """Fit to the customers still active at the start of periods 0, 1, 2, ..."""
        n = np.asarray(survivors, dtype=float)
        if n.ndim != 1 or len(n) < 2 or np.any(np.diff(n) > 0) or np.any(n < 0):
            raise ValueError("survivors must be a non-increasing list of counts, first the "
                             f"cohort size; got {list(survivors)[:10]}")
        churned = -np.diff(n)
        periods = np.arange(1, len(n))
        return self._fit_counts(periods, churned, np.array([len(n) - 1]), n[-1:])

    def fit_durations(self, periods, churned) -> ShiftedBetaGeoModel:
        """Fit to individual customers: periods completed and whether they churned.

        A churned customer who left after ``t`` periods adds P(T = t); one still
        active after ``t`` periods adds P(T > t) (right-censored), e.g. Telco's
        ``tenure`` and ``churned``.
        """
        t = np.asarray(periods, dtype=float)
        c = np.asarray(churned, dtype=bool)
        if t.shape != c.shape or np.any(t < 0):
            raise ValueError("periods must be non-negative and as long as churned")
        lost = pd.Series(1.0, index=t[c & (t >= 1)]).groupby(level=0).sum()
        kept = pd.Series(1.0, index=t[~c]).groupby(level=0).sum()
        return self._fit_counts(lost.index.to_numpy(), lost.to_numpy(),
                                kept.index.to_numpy(), kept.to_numpy())

    def _fit_counts(self, t_lost, n_lost, t_kept, n_kept) -> ShiftedBetaGeoModel:
        total = n_lost.sum() + n_kept.sum()
        t_lost = np.asarray(t_lost, dtype=np.int64)
        t_kept = np.asarray(t_kept, dtype=np.int64)
        longest = int(max(t_lost.max(initial=0), t_kept.max(initial=0), 1))
        j = np.arange(longest, dtype=float)

        def value(z):
            a, b = np.exp(z)
            # Fader & Hardie's recursion: S(t) = prod_{j<t} (b + j) / (a + b + j) and
            # P(T = t) = a / (a + b + t - 1) S(t - 1), summed as logs. Differences of betaln
            # cancel to nothing when a and b are large (a homogeneous cohort), which made
            # the likelihood look perfect there and sent the fit to infinity
            log_s = np.concatenate([[0.0], np.cumsum(np.log1p(-a / (a + b + j)))])
            ll_lost = -np.log1p((b + t_lost - 1) / a) + log_s[t_lost - 1]
            ll_kept = log_s[t_kept]
            return -(np.dot(n_lost, ll_lost) + np.dot(n_kept, ll_kept)) / total

        def negll(z, h=1e-6):
            g = np.array([(value(z + h * e) - value(z - h * e)) / (2 * h) for e in np.eye(2)])
            return value(z), g

        res = _fit(negll, np.zeros(2), "sBG", n=total)
        self._finish(res.x, lambda z: tuple(v * total for v in negll(z)), total, res,
                     counts=True)
        return self

    def retention_rate(self, t) -> np.ndarray:
        """Share of customers active in period ``t - 1`` who renew in period ``t`` (t >= 1)."""
        self._check_fitted()
        a, b = self.params_["alpha"], self.params_["beta"]
        t = np.asarray(t, dtype=float)
        return (b + t - 1) / (a + b + t - 1)

    def survival(self, t) -> np.ndarray:
        """Share of a cohort still active after ``t`` periods."""
        self._check_fitted()
        a, b = self.params_["alpha"], self.params_["beta"]
        t = np.asarray(t, dtype=float)
        return np.exp(betaln(a, b + t) - betaln(a, b))

    def discounted_expected_residual_lifetime(self, discount_rate: float, renewals=1):
        """DERL: discounted expected future periods of a customer who has renewed
        ``renewals`` times (``n`` in Fader & Hardie 2010), before their next payment."""
        self._check_fitted()
        a, b = self.params_["alpha"], self.params_["beta"]
        n = np.asarray(renewals, dtype=float)
        return (b + n - 1) / (a + b + n - 1) * hyp2f1(1, b + n, a + b + n, 1 / (1 + discount_rate))


# --- validation -----------------------------------------------------------------------------

def calibration_holdout(
    transactions,
    calibration_end,
    holdout_end=None,
    time_unit: str | float = "D",
    merge_same_day: bool = True,
    lines_as_of=None,
) -> pd.DataFrame:
    """The customer summary at ``calibration_end`` with what each customer did after it.

    Adds ``holdout_purchases`` (purchases, same-day ones merged, in the days
    after ``calibration_end`` up to ``holdout_end``; the last day of the data
    when omitted) and ``holdout_duration`` (that period's length in the time
    unit). Only customers who bought by ``calibration_end`` are kept. With
    ``lines_as_of`` (:meth:`crmwb.prepared.PreparedData.lines_as_of`) the
    calibration summary is what was known at ``calibration_end``: a purchase
    cancelled after it is still whole.
    """
    import ibis

    from crmwb import engine
    from crmwb import summary as summary_module

    known = transactions if lines_as_of is None else lines_as_of(calibration_end)
    cal = summary_module.customer_summary(known, calibration_end, time_unit,
                                          merge_same_day=merge_same_day)
    end = summary_module.analysis_end(transactions) if holdout_end in (None, "") else \
        pd.Timestamp(holdout_end).normalize()
    start = cal.attrs["calibration_end"]
    if end <= start:
        raise ValueError(f"holdout_end {end:%Y-%m-%d} must be after calibration_end "
                         f"{start:%Y-%m-%d}")
    # the purchases after the cut, counted in the engine: one row per customer comes back
    t = summary_module._as_table(transactions)
    lo, hi = (ibis.literal(d).cast("timestamp") for d in (start + pd.Timedelta(days=1),
                                                          end + pd.Timedelta(days=1)))
    held = t.filter(t.customer_id.notnull() & (t.quantity > 0) & (t.date >= lo) & (t.date < hi))
    key = held.date.truncate("D") if merge_same_day else held.invoice_id
    held = held.select("customer_id", _k=key).distinct()
    counts = engine.to_pandas(held.group_by("customer_id").agg(_n=held.count()))
    after = pd.Series(counts["_n"].to_numpy(), index=counts["customer_id"].to_numpy())
    after = after.reindex(cal.index).fillna(0)
    out = cal.assign(holdout_purchases=after.astype(int),
                     holdout_duration=(end - start).days / summary_module._unit_days(time_unit))
    out.attrs.update(cal.attrs, holdout_end=end)
    return out


def holdout_errors(model, data: pd.DataFrame) -> pd.Series:
    """How well ``model`` predicted each customer's holdout purchases.

    Returns mean absolute error, root mean squared error, Pearson correlation
    and the totals predicted and observed.
    """
    predicted = model.expected_purchases(data["holdout_duration"].iloc[0], data)
    actual = data["holdout_purchases"]
    return pd.Series({
        "mean_absolute_error": float((predicted - actual).abs().mean()),
        "rmse": float(np.sqrt(((predicted - actual) ** 2).mean())),
        "correlation": float(np.corrcoef(predicted, actual)[0, 1]),
        "predicted_total": float(predicted.sum()),
        "actual_total": float(actual.sum()),
    })


def conditional_expectations(model, data: pd.DataFrame, max_frequency: int = 7) -> pd.DataFrame:
    """Mean holdout purchases, observed and predicted, by calibration frequency.

    The standard check of a purchase model: customers grouped by their
    repeat purchases in calibration (``max_frequency`` and more in one group).
    """
    predicted = model.expected_purchases(data["holdout_duration"].iloc[0], data)
    group = data["frequency"].clip(upper=max_frequency)
    out = pd.DataFrame({"customers": group.value_counts().sort_index(),
                        "actual": data["holdout_purchases"].groupby(group).mean(),
                        "predicted": predicted.groupby(group).mean()})
    out.index.name = "calibration_frequency"
    return out


def tracking(
    model,
    transactions,
    calibration_end,
    holdout_end=None,
    time_unit: str | float = "D",
    period_days: int = 7,
    data: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Cumulative repeat purchases per period, observed and expected by the model.

    Customers are the cohort who first bought by ``calibration_end``; the
    model's curve adds, for each, the expected repeat purchases since their
    first purchase (:meth:`expected_repeat_purchases`). Same-day purchases are
    merged, as in the summary. A model with covariates needs ``data``, the calibration
    summary with the covariate columns: each customer's curve is that of their covariates,
    their first purchase ``T`` before ``calibration_end``.
    """
    import ibis

    from crmwb import summary as summary_module
    from crmwb.engine import to_pandas

    t = summary_module._as_table(transactions)
    cal_end = pd.Timestamp(calibration_end).normalize()
    end = summary_module.analysis_end(t) if holdout_end in (None, "") else \
        pd.Timestamp(holdout_end).normalize()
    # purchase days counted in the engine: per day of repeat purchases and per day of first
    # purchase (the cohort's births), a few hundred rows whatever the number of customers
    days = t.filter(t.customer_id.notnull() & t.date.notnull() & (t.quantity > 0)).select(
        "customer_id", day=t.date.truncate("D")).distinct()
    days = days.mutate(_first=days.day.min().over(group_by=days.customer_id))
    days = days.filter(days._first <= ibis.literal(cal_end).cast("timestamp"))
    repeats = days.filter(days.day > days._first)
    repeats = to_pandas(repeats.group_by("day").agg(_n=repeats.count()))
    births = days.filter(days.day == days._first)
    births = to_pandas(births.group_by("day").agg(_n=births.count())).sort_values("day")
    repeats = repeats.assign(day=pd.to_datetime(repeats["day"])).sort_values("day")
    birth_days = pd.to_datetime(births["day"]).to_numpy()
    start = birth_days.min()
    edges = pd.date_range(start, end + pd.Timedelta(days=1), freq=f"{period_days}D")
    if edges[-1] < end + pd.Timedelta(days=1):
        edges = edges.append(pd.DatetimeIndex([end + pd.Timedelta(days=1)]))
    cumulative = np.concatenate([[0], np.cumsum(repeats["_n"].to_numpy(dtype=np.int64))])
    observed = cumulative[np.searchsorted(repeats["day"].to_numpy(), edges[1:].to_numpy(),
                                          side="left")]
    unit = summary_module._unit_days(time_unit)
    counts = births["_n"].to_numpy(dtype=float)
    params = None
    if getattr(model, "has_covariates", False):
        if data is None:
            raise ValueError("tracking a model with covariates needs data: the calibration "
                             "summary with the covariate columns")
        # births per (day, covariate pattern), from each customer's age at calibration end
        pattern_params, code = model._patterns(data)
        born = (cal_end - pd.to_timedelta(np.round(data["T"].to_numpy() * unit), unit="D")
                ).to_numpy()
        groups = pd.DataFrame({"day": born, "pattern": code}).value_counts().reset_index()
        birth_days, counts = groups["day"].to_numpy(), groups["count"].to_numpy(dtype=float)
        params = [np.asarray(pattern_params[k])[groups["pattern"].to_numpy()][None, :]
                  if np.ndim(pattern_params[k]) else pattern_params[k] for k in model._names]
    ages = (edges[1:].to_numpy()[:, None] - birth_days[None, :]) / np.timedelta64(1, "D")
    # a purchase on a day counts from the start of the next: ages in whole days
    ages = np.maximum(np.floor(ages) - 1, 0) / unit
    # customers born on one day (with the same covariates) share their curve: weighted by
    # how many they are
    curves = model.expected_repeat_purchases(ages) if params is None else \
        model._new_customer(*params, ages)
    expected = (curves * counts[None, :]).sum(axis=1)
    return pd.DataFrame({"period_end": edges[1:] - pd.Timedelta(days=1),
                         "actual": observed, "expected": expected,
                         "holdout": edges[1:] - pd.Timedelta(days=1) > cal_end})


# --- tables for the notebook ------------------------------------------------------------------

def clv_by_group(values: pd.Series, groups: pd.Series) -> pd.DataFrame:
    """Customers, total and mean CLV per group (RFM segment, pyramid level...).

    These are the values of *current* customers, given their history: a group's
    mean is not what a new customer would bring (some current customers have
    already left, others proved loyal). The most to spend acquiring one is
    :func:`new_customer_value`.
    """
    g = values.groupby(groups.reindex(values.index), observed=True)
    out = pd.DataFrame({"customers": g.size(), "total_clv": g.sum(), "mean_clv": g.mean(),
                        "median_clv": g.median()})
    out["clv_share"] = out["total_clv"] / out["total_clv"].sum()
    return out


def p_alive_grid(data: pd.DataFrame, p_alive: pd.Series, max_frequency: int = 10,
                 recency_bins: int = 10) -> pd.DataFrame:
    """Mean P(alive) by calibration frequency (rows) and recency decile (columns)."""
    freq = data["frequency"].clip(upper=max_frequency)
    rec = pd.cut(data["recency"], bins=recency_bins)
    grid = p_alive.groupby([freq, rec], observed=False).mean().unstack()
    grid.columns = [f"{max(c.left, 0):.0f}-{c.right:.0f}" for c in grid.columns]
    grid.index.name = "frequency"
    return grid.sort_index(ascending=False)


def retention_by_group(
    subscriptions: pd.DataFrame,
    group: str = "contract",
    periods: str = "tenure",
    churned: str = "churned",
    discount_rate: float = 0.01,
) -> tuple[dict, pd.DataFrame]:
    """An sBG model per group of subscribers (e.g. contract type), from censored tenures.

    Returns the fitted models and a table: the fit's health (``fit``: ok or failed, from
    ``diagnostics_``), subscribers, churned share, ``alpha``,
    ``beta``, retention in periods 1 and 12, survival to 12 and 24 periods, and
    the discounted expected residual lifetime of a new subscriber (in periods).
    """
    models, rows = {}, []
    for name, part in subscriptions.groupby(group, observed=True):
        m = ShiftedBetaGeoModel().fit_durations(part[periods], part[churned])
        models[name] = m
        rows.append({group: name, "fit": m.diagnostics_.status, "subscribers": len(part),
                     "churned_share": float(part[churned].mean()), **m.params_,
                     "retention_1": float(m.retention_rate(1)),
                     "retention_12": float(m.retention_rate(12)),
                     "survival_12": float(m.survival(12)), "survival_24": float(m.survival(24)),
                     "derl_new": float(m.discounted_expected_residual_lifetime(discount_rate,
                                                                              1))})
    return models, pd.DataFrame(rows).set_index(group)


#: a rate resting on fewer customers than this is flagged as uncertain in the readings
MIN_BASE = 100


def retention_window(transactions, as_of=None, window_days: int = 365) -> pd.Series:
    """The observed retention rate with what it rests on: of the customers who bought in
    one window, the share who bought again in the next.

    The windows are the ``window_days`` up to ``as_of`` and the ``window_days`` before
    them. When the data do not reach back two whole windows, the earlier one would hold
    only the first days of data (Online Retail: the 572 customers of 1 to 9 December 2010
    stood for a year); both windows are then shortened to half the days the data cover,
    and the rate over them is turned into a yearly one as if customers left at a steady
    pace (``annual = rate ** (365 / days)``), which the result says.

    Returns
    -------
    pandas.Series
        ``rate`` (over the windows), ``annual`` (per year), ``low`` and ``high`` (its 95%
        Wilson interval, per year), ``customers`` (the base: who bought in the earlier
        window) and ``kept``, ``start``, ``middle`` and ``end`` (the windows' first days
        and the last day), ``window_days``, ``covered_days`` (the data's days up to
        ``as_of``) and ``shortened``.

    >>> lines = pd.DataFrame({"customer_id": [1, 1, 2, 3, 3],
    ...     "date": pd.to_datetime(["2023-02-01", "2024-02-01", "2023-03-01", "2023-04-01",
    ...                             "2024-04-01"]), "quantity": 1, "invoice_id": "x",
    ...     "product_id": "A", "unit_price": 1.0})
    >>> r = retention_window(lines, "2024-06-30")  # 516 days: two windows of 258
    >>> round(r["rate"], 3), int(r["customers"]), bool(r["shortened"]), int(r["window_days"])
    (0.667, 3, True, 258)
    """
    from scipy import stats

    from crmwb import summary as summary_module

    t = summary_module._as_table(transactions)
    end = summary_module.analysis_end(t) if as_of in (None, "") else pd.Timestamp(as_of)
    stop = end.normalize() + pd.Timedelta(days=1)
    t = t.filter(t.customer_id.notnull() & (t.quantity > 0))
    first = pd.Timestamp(t.aggregate(d=t.date.min()).to_pandas()["d"].iloc[0]).normalize()
    covered = (stop - first).days
    width = window_days if covered >= 2 * window_days else covered // 2
    if width < 1:
        raise ValueError(f"retention needs two windows of data before {end:%Y-%m-%d}; the "
                         f"data cover {covered} day(s)")
    middle, start = stop - pd.Timedelta(days=width), stop - pd.Timedelta(days=2 * width)
    earlier = set(t.filter((t.date >= start) & (t.date < middle)).select("customer_id")
                  .distinct().to_pandas()["customer_id"])
    later = set(t.filter((t.date >= middle) & (t.date < stop)).select("customer_id")
                .distinct().to_pandas()["customer_id"])
    if not earlier:
        raise ValueError(f"no customer bought between {start:%Y-%m-%d} and {middle:%Y-%m-%d}: "
                         "choose a shorter window")
    n, kept = len(earlier), len(earlier & later)
    rate = kept / n
    low, high = stats.binomtest(kept, n).proportion_ci(0.95, method="wilson")
    per_year = 365 / width
    return pd.Series({"rate": rate, "annual": rate ** per_year, "low": low ** per_year,
                      "high": high ** per_year, "customers": n, "kept": kept, "start": start,
                      "middle": middle, "end": stop - pd.Timedelta(days=1),
                      "window_days": width, "covered_days": covered,
                      "shortened": width < window_days}, name="retention")


def observed_retention(transactions, as_of=None, window_days: int = 365) -> float:
    """Share of the customers who bought in one window who bought again in the next, per
    year: the period retention rate ``r`` of the retention formula
    (:func:`retention_window`, which also gives what it rests on)."""
    return float(retention_window(transactions, as_of, window_days)["annual"])


def default_calibration_end(transactions, holdout_share: float = 0.25) -> pd.Timestamp:
    """The day that leaves the last ``holdout_share`` of the observed days for the holdout."""
    from crmwb import summary as summary_module

    t = summary_module._as_table(transactions)
    span = t.aggregate(first=t.date.min(), last=t.date.max()).to_pandas().iloc[0]
    first, last = pd.Timestamp(span["first"]).normalize(), pd.Timestamp(span["last"]).normalize()
    return first + pd.Timedelta(days=int((last - first).days * (1 - holdout_share)))
