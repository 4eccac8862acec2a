"""Customer lifetime value: historical value, the probability models and their validation.

CLV is the present value of the net profit a customer will bring
(CONCEPTS.md section 4). The package gives:

- :func:`historical_value` (the *base* component: margin to date), :func:`net_clv`,
  :func:`profit_levers` and :func:`retention_clv`, the simple retention formula
  ``m r / (1 + d - r)``;
- :class:`BetaGeoModel` (BG/NBD, Fader, Hardie & Lee 2005), :class:`ModifiedBetaGeoModel`
  (MBG/NBD) and :class:`ParetoNBDModel` (Schmittlein, Morrison & Colombo 1987) for the
  number of future purchases in the non-contractual setting, each with time-invariant
  covariates (Fader & Hardie 2007) on the purchase rate and the dropout;
- :class:`GammaGammaModel` for the spend per purchase, with covariates on the spend;
- :class:`BetaGeoBetaBinomModel` (BG/BB, Fader, Hardie & Shang 2010) for customers
  observed per period (donations per year, monthly visits);
- :class:`ShiftedBetaGeoModel` (Fader & Hardie 2007) for contractual retention;
- :func:`customer_lifetime_value` and :func:`new_customer_value`: discounted expected margin;
- per-customer intervals (:func:`value_intervals`, ``model.predictive_interval``);
- validation on a calibration/holdout split, and :func:`compare_models`, one report that
  sets the purchase models side by side.

The models follow scikit-learn's shape: the constructor stores settings,
``fit(summary)`` returns the model, learned values end in ``_``
(``params_``, ``log_likelihood_``, ``standard_errors_``, ``coefficients_``). They are
fitted by maximum likelihood with scipy on log-parameters; standard errors come from
the Hessian of the log-likelihood.
"""

from crmwb.clv import diagnostics
from crmwb.clv.comparison import (
    ModelComparison,
    compare_models,
    parameter_table,
    purchase_model_for_values,
)
from crmwb.clv.covariates import available_covariates, join_covariates
from crmwb.clv.diagnostics import FitDiagnostics
from crmwb.clv.discrete import BetaGeoBetaBinomModel, period_summary
from crmwb.clv.intervals import value_intervals
from crmwb.clv.models import (
    DAYS_PER_MONTH,
    PROFIT_LEVERS,
    Z95,
    BetaGeoModel,
    CLVWarning,
    GammaGammaModel,
    ModifiedBetaGeoModel,
    ParetoNBDModel,
    ShiftedBetaGeoModel,
    calibration_holdout,
    clv_by_group,
    conditional_expectations,
    customer_lifetime_value,
    default_calibration_end,
    historical_value,
    holdout_errors,
    net_clv,
    new_customer_value,
    observed_retention,
    p_alive_grid,
    profit_levers,
    retention_by_group,
    retention_clv,
    retention_what_if,
    retention_window,
    tracking,
)

__all__ = [
    "BetaGeoBetaBinomModel", "FitDiagnostics", "ModelComparison", "available_covariates",
    "compare_models", "diagnostics", "parameter_table", "purchase_model_for_values",
    "join_covariates", "period_summary", "value_intervals",
    "DAYS_PER_MONTH", "PROFIT_LEVERS", "Z95", "BetaGeoModel", "CLVWarning", "GammaGammaModel",
    "ModifiedBetaGeoModel", "ParetoNBDModel", "ShiftedBetaGeoModel", "calibration_holdout",
    "clv_by_group", "conditional_expectations", "customer_lifetime_value",
    "default_calibration_end", "historical_value", "holdout_errors", "net_clv",
    "new_customer_value", "observed_retention", "p_alive_grid", "profit_levers",
    "retention_by_group", "retention_clv", "retention_what_if", "retention_window", "tracking",
]
