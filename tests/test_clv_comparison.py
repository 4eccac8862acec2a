"""The model comparison: every purchase model on one split, the covariate models' tracking
and new-customer value, and the join that brings covariates to a summary."""

import warnings

import numpy as np
import pandas as pd
import pytest

from crmwb import clv

COVARIATES = ["customer_type", "acquisition_channel"]


@pytest.fixture(scope="module")
def shop(planted_shop):
    data, lines = planted_shop
    split = clv.calibration_holdout(lines, clv.default_calibration_end(lines), time_unit="W")
    return lines, clv.join_covariates(split, data.customers, COVARIATES)


def test_every_model_is_judged_on_the_same_split_and_the_data_prefer_the_planted_one(shop):
    lines, split = shop
    c = clv.compare_models(split, lines, covariates=COVARIATES)
    names = ["BG/NBD", "BG/NBD + covariates", "MBG/NBD", "MBG/NBD + covariates",
             "Pareto/NBD", "Pareto/NBD + covariates"]
    assert list(c.table.index) == names
    t = c.table
    # 4 parameters, and 4 more coefficients on each process for the covariates (type: 1,
    # channel: 4 against the reference)
    assert t["parameters"].tolist() == [4, 14] * 3
    np.testing.assert_allclose(t["aic"], 2 * t["parameters"] - 2 * t["log_likelihood"])
    np.testing.assert_allclose(t["bic"], t["parameters"] * np.log(len(split))
                               - 2 * t["log_likelihood"])
    # a model with covariates holds the model without them: it cannot fit worse
    for name in ("BG/NBD", "MBG/NBD", "Pareto/NBD"):
        assert t.loc[name + " + covariates", "log_likelihood"] >= t.loc[name, "log_likelihood"]
    # the shop is BG/NBD with covariates: the BIC finds it
    assert c.preferred == "BG/NBD + covariates" == t["bic"].idxmin()
    assert c.closest == t["holdout_mae"].idxmin()
    assert (t["actual_total"] == split["holdout_purchases"].sum()).all()
    # the errors are each model's own
    bg = c.models["BG/NBD"]
    assert t.loc["BG/NBD", "holdout_mae"] == pytest.approx(
        clv.holdout_errors(bg, split)["mean_absolute_error"])
    # one tracking table: the actual purchases once, every model's expectation beside them
    alone = clv.tracking(bg, lines, split.attrs["calibration_end"], split.attrs["holdout_end"],
                         time_unit="W")
    np.testing.assert_array_equal(c.tracking["actual"], alone["actual"])
    np.testing.assert_allclose(c.tracking["BG/NBD"], alone["expected"])
    # per week: the differences of the cumulated counts, a last short period left out
    whole = c.tracking[names + ["actual"]].iloc[:len(c.weekly)]
    np.testing.assert_allclose(c.weekly[names + ["actual"]].cumsum(), whole, rtol=1e-9)
    assert len(c.weekly) >= len(c.tracking) - 1
    assert (c.weekly["period_end"].diff().dt.days.iloc[1:] == 7).all()
    assert c.conditional["customers"].sum() == len(split)


def test_covariate_tracking_with_no_effects_is_the_plain_tracking(shop):
    """The covariate path dates each customer's first purchase from their age at the end of
    calibration: with every coefficient at zero it must give the plain model's curve."""
    lines, split = shop
    plain = clv.BetaGeoModel().fit(split)
    zero = clv.BetaGeoModel(COVARIATES, COVARIATES).fit(split)
    zero.params_ = dict(plain.params_)
    zero.coefficients_["estimate"] = 0.0
    cal, end = split.attrs["calibration_end"], split.attrs["holdout_end"]
    a = clv.tracking(plain, lines, cal, end, time_unit="W")
    b = clv.tracking(zero, lines, cal, end, time_unit="W", data=split)
    np.testing.assert_allclose(b["expected"], a["expected"], rtol=1e-9)
    with pytest.raises(ValueError, match="needs data"):
        clv.tracking(zero, lines, cal, end, time_unit="W")


def test_a_new_customer_with_covariates_is_worth_the_mean_over_the_mix(shop):
    _, split = shop
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", clv.CLVWarning)
        bg = clv.BetaGeoModel(COVARIATES, COVARIATES).fit(split)
        gg = clv.GammaGammaModel(spend_covariates=["customer_type"]).fit(split)
    with pytest.raises(ValueError, match="give data"):
        clv.new_customer_value(bg, gg)
    mix = clv.new_customer_value(bg, gg, data=split)
    # by hand: each group's value, weighted by its customers
    total = 0.0
    for _, group in split.groupby(COVARIATES):
        total += len(group) * clv.new_customer_value(bg, gg, data=group)
    assert mix == pytest.approx(total / len(split), rel=1e-9)
    wholesale = split[split["customer_type"] == "wholesale"]
    retail = split[split["customer_type"] == "retail"]
    assert clv.new_customer_value(bg, gg, data=wholesale) > \
        clv.new_customer_value(bg, gg, data=retail)
    # a new customer's repeat purchases: the mean of the mix
    ages = np.array([4.0, 26.0])
    parts = [len(g) * bg.expected_repeat_purchases(ages, g)
             for _, g in split.groupby(COVARIATES)]
    np.testing.assert_allclose(bg.expected_repeat_purchases(ages, split),
                               np.sum(parts, axis=0) / len(split), rtol=1e-9)


def test_joining_covariates_keeps_the_summary_s_units_and_refuses_strangers(shop):
    _, split = shop
    people = pd.DataFrame({"customer_id": split.index,
                           "customer_type": split["customer_type"].to_numpy()})
    plain = split.drop(columns=COVARIATES)
    joined = clv.join_covariates(plain, people, ["customer_type"])
    assert joined.attrs == split.attrs | {"left_out": 0}
    with pytest.raises(ValueError, match="3 customer"):
        clv.join_covariates(plain, people.iloc[3:], ["customer_type"])
    with pytest.raises(ValueError, match="no column"):
        clv.join_covariates(plain, people, ["region"])
    # one id twice, with two types: which would the model take? Neither
    twice = pd.concat([people, people.head(1).assign(customer_type="wholesale")])
    with pytest.raises(ValueError, match="twice"):
        clv.join_covariates(plain, twice, ["customer_type"])


def test_customers_without_covariates_can_be_left_out_and_are_counted(shop):
    _, split = shop
    people = pd.DataFrame({"customer_id": split.index,
                           "customer_type": split["customer_type"].to_numpy()})
    plain = split.drop(columns=COVARIATES)
    kept = clv.join_covariates(plain, people.iloc[3:], ["customer_type"], missing="drop")
    assert len(kept) == len(split) - 3 and kept.attrs["left_out"] == 3
    assert kept.attrs["time_unit"] == split.attrs["time_unit"]
