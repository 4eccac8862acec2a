"""One report that sets the purchase models side by side on one calibration/holdout split.

BG/NBD, MBG/NBD and Pareto/NBD, each without and (when the customers have them) with
covariates, fitted on the same calibration period and judged two ways: by the likelihood
of the calibration data (log-likelihood, AIC and BIC, which charge each extra parameter)
and by the holdout they have not seen (mean absolute and root mean squared error per
customer, total purchases predicted against actual), with the tracking of repeat
purchases week by week and the conditional expectations of every model in one figure
each. The data *prefer* the model with the lowest BIC.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

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
        The model with the lowest BIC: the one the data prefer.
    closest : str
        The model with the lowest holdout error per customer.
    """

    table: pd.DataFrame
    tracking: pd.DataFrame
    weekly: pd.DataFrame
    conditional: pd.DataFrame
    models: dict = field(repr=False)
    preferred: str = ""
    closest: str = ""


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
    table.attrs["kinds"] = {"total_error": "share"}
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
                           conditional=expectations, models=fitted,
                           preferred=str(table["bic"].idxmin()),
                           closest=str(table["holdout_mae"].idxmin()))
