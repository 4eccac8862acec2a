"""Every fitted model's health check: did the fit succeed, and can its numbers be read?

A maximum-likelihood fit can "succeed" without error and still be no result: the optimiser
stopped early, a parameter ran to the edge of its range (one year of data cannot tell a
customer who left from a slow buyer, so the dropout parameter runs to zero), the
likelihood is not a finite number, or its curvature (the information matrix) is flat in
some direction, so the standard errors are infinite. Every model of :mod:`crmwb.clv`
checks itself after fitting and keeps the result in ``diagnostics_``, a
:class:`FitDiagnostics`; a fit that fails a check is refitted from other starting
points first (``starts`` says how many were tried). Reports name a failed fit as failed,
never read it as a finding, and never choose it (:func:`crmwb.clv.compare_models`).

The optimiser works on log-parameters inside a box (:data:`LOG_BOUND`, in its own
well-conditioned units: times scaled to the history's length, spends to their mean); a
parameter beyond :data:`EDGE` of it is *at a bound*: the model has degenerated into a
simpler one (no dropout, no heterogeneity), and the likelihood would have it go further.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

#: the optimiser's box for log-parameters: parameters between 1e-6 and 1e6 (its units)
LOG_BOUND = float(np.log(1e6))
#: a log-parameter beyond this (a parameter below 1e-4 or above 1e4, in the optimiser's
#: units) is at a bound
EDGE = float(np.log(1e4))
#: the box of the covariates' coefficients (per unit of spread of the covariate) and their
#: edge: a coefficient of 15 multiplies a parameter by 3 million per unit of spread
COEFFICIENT_BOUND = 25.0
COEFFICIENT_EDGE = 15.0

#: a parameter whose standard error on the log scale exceeds this is not identified: its 95%
#: interval spans more than a factor of 100,000 (exp(2 x 1.96 x 3)), so the data do not say
#: what it is
MAX_LOG_SE = 3.0

#: the checks, in the order a reading names them
CHECKS = ("converged", "inside_bounds", "log_likelihood", "information", "standard_errors")


@dataclass(frozen=True)
class FitDiagnostics:
    """The health check of one fit.

    Attributes
    ----------
    model : str
        The model's name (``BG/NBD``, ``Gamma-Gamma``...).
    converged : bool
        The optimiser reached a point where the likelihood no longer rises (its gradient
        is zero there), rather than stopping at its limit of iterations.
    at_bound : tuple of str
        Parameters (and covariate coefficients, as ``process:covariate``) at the edge of
        their range: the model degenerated there, its estimate is not identified.
    log_likelihood : float
        The maximised log-likelihood.
    log_likelihood_ok : bool
        Finite; negative for the models of counts (BG/BB, sBG: a probability is at most
        one); and for the purchase models the fast sum used in fitting equals the
        per-customer formula (a numerical breakdown shows as a disagreement).
    information_positive_definite : bool
        The curvature of the log-likelihood at the estimate (the observed information,
        the Hessian of minus the log-likelihood) is positive in every direction: the
        estimate is a peak, not a ridge or a saddle.
    standard_errors_finite : bool
        Every parameter's standard error is a finite number, and no parameter's 95%
        interval spans more than a factor of 100,000 (:data:`MAX_LOG_SE`): the data say
        what each parameter is.
    starts : int
        Starting points the optimiser was run from (1 when the first fit was healthy).
    message : str
        The optimiser's own last message.
    """

    model: str
    converged: bool
    at_bound: tuple[str, ...]
    log_likelihood: float
    log_likelihood_ok: bool
    information_positive_definite: bool
    standard_errors_finite: bool
    starts: int = 1
    message: str = ""
    problems: tuple[str, ...] = field(init=False)

    def __post_init__(self):
        passed = {"converged": self.converged, "inside_bounds": not self.at_bound,
                  "log_likelihood": self.log_likelihood_ok,
                  "information": self.information_positive_definite,
                  "standard_errors": self.standard_errors_finite}
        object.__setattr__(self, "problems", tuple(c for c in CHECKS if not passed[c]))

    @property
    def ok(self) -> bool:
        """Whether the fit passed every check: its numbers can be read as results."""
        return not self.problems

    @property
    def status(self) -> str:
        """``ok`` or ``failed``."""
        return "ok" if self.ok else "failed"

    @classmethod
    def from_dict(cls, values: dict) -> FitDiagnostics:
        """The check from :func:`dataclasses.asdict` of one (kept where only plain data may
        go, as a table's ``attrs``)."""
        fields = {k: v for k, v in values.items() if k != "problems"}
        fields["at_bound"] = tuple(fields.get("at_bound", ()))
        return cls(**fields)

    def as_series(self) -> pd.Series:
        """The checks as one row of a table: each check passed (True) or not, the
        parameters at a bound, the starts tried."""
        return pd.Series({"status": self.status, "converged": self.converged,
                          "at_bound": ", ".join(self.at_bound),
                          "log_likelihood_ok": self.log_likelihood_ok,
                          "information_positive_definite": self.information_positive_definite,
                          "standard_errors_finite": self.standard_errors_finite,
                          "starts": self.starts}, name=self.model)


def edge_flags(z: np.ndarray, n_params: int) -> np.ndarray:
    """Which entries of an optimiser's vector (log-parameters, then coefficients) lie at
    the edge of their range."""
    z = np.asarray(z, dtype=float)
    edge = np.r_[np.full(n_params, EDGE), np.full(len(z) - n_params, COEFFICIENT_EDGE)]
    return ~np.isfinite(z) | (np.abs(z) > edge)


def bounds(n_params: int, n_total: int) -> list[tuple[float, float]]:
    """The optimiser's box: log-parameters first, then coefficients."""
    return ([(-LOG_BOUND, LOG_BOUND)] * n_params
            + [(-COEFFICIENT_BOUND, COEFFICIENT_BOUND)] * (n_total - n_params))


def positive_definite(matrix: np.ndarray) -> bool:
    """Whether a symmetric matrix is positive definite, numerically: every eigenvalue
    positive and above a millionth of a millionth of the largest (a flat direction that
    rounding leaves slightly positive is not curvature)."""
    if matrix.size == 0:
        return True
    if not np.all(np.isfinite(matrix)):
        return False
    eigen = np.linalg.eigvalsh((matrix + matrix.T) / 2)
    return bool(eigen.min() > 1e-12 * max(abs(eigen.max()), 1.0) and eigen.min() > 0)


def likelihoods_agree(fast: float, direct: float, tolerance: float = 1e-6) -> bool:
    """Whether two computations of one log-likelihood agree (relative, or absolute near 0)."""
    return bool(np.isfinite(fast) and np.isfinite(direct)
                and abs(fast - direct) <= tolerance * max(1.0, abs(direct)))


def table(models: dict) -> pd.DataFrame:
    """The health checks of several fitted models, one row each (by the dict's keys)."""
    rows = {name: m.diagnostics_.as_series() for name, m in models.items()
            if getattr(m, "diagnostics_", None) is not None}
    out = pd.DataFrame(rows).T
    out.index.name = "model"
    return out
