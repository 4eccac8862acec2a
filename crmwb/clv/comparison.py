"""One report that sets the purchase models side by side on one calibration/holdout split.

BG/NBD, MBG/NBD and Pareto/NBD, each without and (when the customers have them) with
covariates, fitted on the same calibration period and judged two ways: by the likelihood
of the calibration data (log-likelihood, AIC and BIC, which charge each extra parameter)
and by the holdout they have not seen (mean absolute and root mean squared error per
customer, total purchases predicted against actual), with the tracking of repeat
purchases week by week and the conditional expectations of every model in one figure
each. The data *prefer* the model with the lowest BIC among the fits that passed their
health check (:mod:`crmwb.clv.diagnostics`): a failed fit is shown, named as failed, and
never chosen; models within 2 of the best BIC are *tied* (the data do not tell them apart).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from crmwb.clv import diagnostics
from crmwb.clv.models import (
    BetaGeoModel,
    ModifiedBetaGeoModel,
    ParetoNBDModel,
    conditional_expectations,
    holdout_errors,
    tracking,
)

#: the purchase models compared, by name
MODELS = {"BG/NBD": BetaGeoModel, "MBG/NBD": ModifiedBetaGeoModel,
          "Pareto/NBD": ParetoNBDModel}
#: the suffix of a model fitted with covariates
WITH_COVARIATES = " + covariates"
#: a difference of BIC below this is no evidence either way (Kass & Raftery 1995: "not worth
#: more than a bare mention")
TIE_BIC = 2.0


@dataclass
class ModelComparison:
    """What :func:`compare_models` found.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per model: ``parameters``, ``log_likelihood``, ``aic``, ``bic``,
        ``holdout_mae``, ``holdout_rmse``, ``predicted_total``, ``actual_total`` and
        ``total_error`` (predicted over actual, less one).
    tracking : pandas.DataFrame
        ``period_end``, ``holdout`` and ``actual`` cumulative repeat purchases, then one
        column of expected ones per model.
    weekly : pandas.DataFrame
        The same per period (not cumulated), without a last period shorter than the
        others.
    conditional : pandas.DataFrame
        Mean holdout purchases by calibration frequency: ``customers``, ``actual``, then
        one column per model.
    models : dict
        The fitted models, by name.
    preferred : str
        Among the fits that passed their health check, the model with the lowest BIC: the
        one the data prefer. Empty when no fit passed.
    closest : str
        Among the fits that passed, the model with the lowest holdout error per customer;
        empty when none passed.
    tied : list of str
        Healthy models whose BIC is within :data:`TIE_BIC` of the preferred one's: the data
        do not tell them apart from it.
    failed : list of str
        The models whose fit failed its health check (``diagnostics_``), in the table's order.
    health : pandas.DataFrame
        Each model's health check (:func:`crmwb.clv.diagnostics.table`).
    parameters : pandas.DataFrame
        Each model's parameters with 95% intervals: indexed by (model, parameter), columns
        ``estimate``, ``lower_95``, ``upper_95`` and ``status`` (the model's fit).
    """

    table: pd.DataFrame
    tracking: pd.DataFrame
    weekly: pd.DataFrame
    conditional: pd.DataFrame
    models: dict = field(repr=False)
    preferred: str = ""
    closest: str = ""
    tied: list = field(default_factory=list)
    failed: list = field(default_factory=list)
    health: pd.DataFrame | None = None
    parameters: pd.DataFrame | None = None


def compare_models(split: pd.DataFrame, transactions, covariates: list[str] | None = None,
                   models: list[str] | None = None, period_days: int = 7,
                   max_frequency: int = 7) -> ModelComparison:
    """Fit every purchase model on ``split`` and compare them on its holdout.

    Parameters
    ----------
    split : pandas.DataFrame
        :func:`crmwb.clv.calibration_holdout`'s table, with the covariate columns joined
        when ``covariates`` are given.
    transactions
        The lines the split came from, for the tracking of repeat purchases.
    covariates : list of str, optional
        Columns of ``split`` used on both the purchase rate and the dropout; each model is
        then fitted twice, without and with them.
    models : list of str, optional
        Names among :data:`MODELS`; all by default.
    """
    names = list(models or MODELS)
    unknown = [n for n in names if n not in MODELS]
    if unknown:
        raise ValueError(f"unknown model(s) {unknown}: choose among {list(MODELS)}")
    covariates = list(covariates or [])
    fitted = {}
    for name in names:
        fitted[name] = MODELS[name]().fit(split)
        if covariates:
            fitted[name + WITH_COVARIATES] = MODELS[name](covariates, covariates).fit(split)
    cal_end, end = split.attrs["calibration_end"], split.attrs["holdout_end"]
    unit = split.attrs.get("time_unit", "D")
    rows, curves, expectations = {}, {}, None
    for name, model in fitted.items():
        errors = holdout_errors(model, split)
        rows[name] = {
            "parameters": model.n_parameters_, "log_likelihood": model.log_likelihood_,
            "aic": model.aic(), "bic": model.bic(),
            "holdout_mae": errors["mean_absolute_error"], "holdout_rmse": errors["rmse"],
            "predicted_total": errors["predicted_total"], "actual_total": errors["actual_total"],
            "total_error": errors["predicted_total"] / errors["actual_total"] - 1
            if errors["actual_total"] else np.nan}
        track = tracking(model, transactions, cal_end, end, time_unit=unit,
                         period_days=period_days, data=split if model.has_covariates else None)
        curves[name] = track
        cond = conditional_expectations(model, split, max_frequency)
        if expectations is None:
            expectations = cond[["customers", "actual"]].copy()
        expectations[name] = cond["predicted"]
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "model"
    health = diagnostics.table(fitted)
    table.insert(0, "fit", health["status"].reindex(table.index))
    table.attrs["kinds"] = {"total_error": "share", "fit": "text"}
    healthy = table[table["fit"] == "ok"]
    preferred = str(healthy["bic"].idxmin()) if len(healthy) else ""
    tied = [] if not preferred else [
        m for m in healthy.index
        if m != preferred and healthy.loc[m, "bic"] - healthy.loc[preferred, "bic"] < TIE_BIC]
    first = next(iter(curves.values()))
    cumulative = first[["period_end", "holdout", "actual"]].copy()
    for name, track in curves.items():
        cumulative[name] = track["expected"].to_numpy()
    weekly = cumulative.copy()
    columns = ["actual", *fitted]
    weekly[columns] = cumulative[columns].diff().fillna(cumulative[columns].iloc[0])
    # a last period shorter than the others (the data end mid-week) is not comparable
    lengths = weekly["period_end"].diff().dt.days
    if len(weekly) > 2 and lengths.iloc[-1] < period_days:
        weekly = weekly.iloc[:-1]
    return ModelComparison(table=table, tracking=cumulative, weekly=weekly,
                           conditional=expectations, models=fitted, preferred=preferred,
                           closest=str(healthy["holdout_mae"].idxmin()) if len(healthy) else "",
                           tied=tied, failed=[m for m in table.index if m not in healthy.index],
                           health=health, parameters=parameter_table(fitted))


def parameter_table(models: dict) -> pd.DataFrame:
    """Each fitted model's parameters with their 95% intervals (on the log scale, from the
    Hessian) and the model's health: one row per (model, parameter).

    >>> from crmwb.datasets import simulate_summaries
    >>> s = simulate_summaries(2000, seed=1)
    >>> out = parameter_table({"BG/NBD": BetaGeoModel().fit(s, time_unit="D")})
    >>> out.index.get_level_values("parameter").tolist(), out["status"].unique().tolist()
    (['r', 'alpha', 'a', 'b'], ['ok'])
    """
    parts = []
    for name, model in models.items():
        ci = model.confidence_intervals_
        part = pd.DataFrame({"estimate": ci["estimate"].to_numpy(),
                             "lower_95": ci["lower_95"].to_numpy(),
                             "upper_95": ci["upper_95"].to_numpy(),
                             "status": model.diagnostics_.status},
                            index=pd.MultiIndex.from_product([[name], list(ci.index)],
                                                             names=["model", "parameter"]))
        parts.append(part)
    out = pd.concat(parts) if parts else pd.DataFrame(
        columns=["estimate", "lower_95", "upper_95", "status"])
    out.attrs["kinds"] = {"estimate": "number", "lower_95": "number", "upper_95": "number",
                          "status": "text"}
    return out


def purchase_model_for_values(comparison: ModelComparison | None, summary: pd.DataFrame,
                              prefer: str | None = None):
    """The purchase model that customer values rest on, fitted on ``summary`` (every
    customer, up to the end of the data).

    The kind of model the comparison prefers (without covariates: the values are for every
    customer), refitted on ``summary``; when that refit fails its health check, the next
    healthy kinds by BIC, then BG/NBD. When no refit passes, the first one is returned as
    fitted: its ``diagnostics_`` say it failed, and a report must say so beside every value
    it gives (P(alive), CLV, next actions), never read them as findings. ``prefer`` names a
    kind to try first (MBG/NBD where a customer who bought once must not be alive for sure).
    """
    order = [prefer] if prefer else []
    if comparison is not None:
        healthy = comparison.table[comparison.table["fit"] == "ok"].sort_values("bic")
        for name in healthy.index:
            kind = name.removesuffix(WITH_COVARIATES)
            if kind not in order:
                order.append(kind)
    order += [k for k in MODELS if k not in order]
    first = None
    for kind in order:
        model = MODELS[kind]().fit(summary)
        if model.diagnostics_.ok:
            return model
        first = first or model
    return first
