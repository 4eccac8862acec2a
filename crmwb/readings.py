"""Readings: one sentence after a figure or a table, computed from what it shows.

A lesson does not leave a figure to speak for itself: after each one the notebook says
what it shows, with the numbers computed from the result, and, where the course states a
fact the data can be held against, whether the data agrees. Each function here takes the
result a figure or table was drawn from and the reader's glossary (:func:`crmwb.glossary.
glossary`), and returns the sentence in the reader's language; the analysis modules stay
free of words.

>>> import pandas as pd
>>> from crmwb.glossary import glossary
>>> by = pd.DataFrame({"category": ["quality", "price"], "complaints": [30, 10]})
>>> complaints_by_category(by, glossary("en"))
'Quality brings 75% of the complaints: the first place to look for root causes (notebook 06).'
"""

from __future__ import annotations

import calendar

import numpy as np
import pandas as pd

from crmwb import i18n
from crmwb.glossary import LABELS


def _lang(t) -> str:
    return t.lang


def _month(value, t, calendar_: str) -> str:
    """A month named as the reader reads it, in their digits."""
    return i18n.month_label(value, _lang(t), calendar_, t.persian_digits)


def _said(text: str) -> str:
    """A sentence begins with a capital, whatever word opens it (a root cause's label)."""
    return text[:1].upper() + text[1:]


def table_sizes(sizes: pd.DataFrame, t) -> str:
    """After :func:`crmwb.overview.table_sizes`: the lines' share of all rows."""
    rows = sizes[t("rows")].astype(float)
    lines = rows[sizes[t("table")] == t("lines")].sum()
    return t.say("r00_tables", share=lines / rows.sum() if rows.sum() else 0.0)


def monthly_revenue(monthly: pd.DataFrame, t, calendar: str) -> str:
    """After the monthly revenue: the best and the weakest month, the first and last left
    out (a month the data cover only in part)."""
    inner = monthly.iloc[1:-1] if len(monthly) > 3 else monthly
    best = inner.loc[inner["revenue"].idxmax()]
    worst = inner.loc[inner["revenue"].idxmin()]
    return t.say("r00_revenue", best=_month(best["month"], t, calendar),
                 worst=_month(worst["month"], t, calendar),
                 ratio=best["revenue"] / worst["revenue"] if worst["revenue"] > 0 else np.inf)


def _day(day: int, lang: str) -> str:
    """A weekday's whole name (an axis abbreviates English ones)."""
    return calendar.day_name[day] if lang == "en" else i18n.weekday_name(day, lang)


def weekday_invoices(days: pd.DataFrame, t) -> str:
    """After :func:`crmwb.overview.weekday_invoices`: the busiest and the quietest day."""
    share = days["invoices"] / days["invoices"].sum()
    busy, quiet = days.loc[share.idxmax()], days.loc[share.idxmin()]
    return t.say("r00_weekday", busiest=_day(int(busy["day"]), _lang(t)), share=share.max(),
                 quietest=_day(int(quiet["day"]), _lang(t)), low=share.min())


def order_values(values: pd.DataFrame, t) -> str | None:
    """After the order values by customer type: wholesale against retail, by medians."""
    median = values.groupby("customer_type")["order_value"].median()
    if not {"retail", "wholesale"} <= set(median.index) or median["retail"] <= 0:
        return None
    return t.say("r00_order_values", ratio=median["wholesale"] / median["retail"])


def complaints_by_category(by: pd.DataFrame, t) -> str:
    """After the complaints by category: the leading category's share."""
    top = by.loc[by["complaints"].idxmax()]
    return t.say("r00_complaints", category=t.word(top["category"]),
                 share=top["complaints"] / by["complaints"].sum())


def rf_grid(grid: pd.DataFrame, t) -> str:
    """After the recency-frequency grid: the most crowded cell and the recent-and-frequent
    corner."""
    total = grid.to_numpy().sum()
    r, f = grid.stack().idxmax()
    corner = grid.loc[[x for x in grid.index if x >= 4], [x for x in grid.columns if x >= 4]]
    return t.say("r02_rf_grid", r=int(r), f=int(f), share=grid.loc[r, f] / total,
                 corner=corner.to_numpy().sum() / total)


def clusters(profile: pd.DataFrame, t) -> str:
    """After the clusters' profile: the largest cluster, and the most valuable one's
    customers against its revenue."""
    big = profile["customer_share"].idxmax()
    rich = (profile["revenue_share"] / profile["customer_share"]).idxmax()
    return t.say("r02_clusters", largest=t.word(big), share=profile.loc[big, "customer_share"],
                 richest=t.word(rich), customers=profile.loc[rich, "customer_share"],
                 revenue=profile.loc[rich, "revenue_share"])


def profitability_matrix(table: pd.DataFrame, t) -> str:
    """After :func:`crmwb.profitability.matrix_table`: where the profit is, and what the
    costly low payers bring."""
    best = table["profit_share"].idxmax()
    return t.say("r02_matrix", best=t.word(best), best_customers=table.loc[best, "customer_share"],
                 best_profit=table.loc[best, "profit_share"],
                 aggressive=table.loc["aggressive", "customer_share"]
                 if "aggressive" in table.index else 0.0,
                 aggressive_profit=table.loc["aggressive", "profit_share"]
                 if "aggressive" in table.index else 0.0)


def loyalty_types(table: pd.DataFrame, t) -> str:
    """After :func:`crmwb.loyalty.loyalty_table`: the commonest type and the hard-core."""
    top = table["share"].idxmax()
    if top == "hard-core":
        return t.say("r02_loyalty_hard", share=table.loc[top, "share"])
    return t.say("r02_loyalty", top=t.word(top), share=table.loc[top, "share"],
                 hard=table.loc["hard-core", "share"] if "hard-core" in table.index else 0.0)


def retail_wholesale(split: pd.DataFrame, t) -> str | None:
    """After the retail and wholesale split: wholesale's customers against its revenue."""
    if "wholesale" not in split.index:
        return None
    customers = split["customers"] / split["customers"].sum()
    return t.say("r02_split", customers=customers["wholesale"],
                 revenue=split.loc["wholesale", "revenue_share"])


def complaint_rates(rates: pd.DataFrame, t) -> str:
    """After :func:`crmwb.service.complaint_rates` by category or channel: the leader by
    count and its share."""
    top = rates["complaints"].idxmax()
    return t.say("r06_rates", top=t.word(top), share=rates.loc[top, "complaints"]
                 / rates["complaints"].sum())


def complaints_by_month(by_month: pd.DataFrame, t, calendar: str) -> str | None:
    """After the monthly complaint rates: the range of complaints per 1,000 orders."""
    rate = by_month["complaints_per_1000_orders"]
    rate = (rate.iloc[1:-1] if len(rate) > 3 else rate).dropna()  # partial first and last
    if rate.empty:
        return None
    return t.say("r06_months", low=rate.min(), low_month=_month(rate.idxmin(), t, calendar),
                 high=rate.max(), high_month=_month(rate.idxmax(), t, calendar))


def fmea(table: pd.DataFrame, roots: pd.DataFrame, t) -> str:
    """After the FMEA table: the first root cause, its family and effects, against the most
    frequent one."""
    first = table.index[0]
    frequent = roots["complaints"].idxmax()
    return _said(t.say("r06_fmea_same" if first == frequent else "r06_fmea",
                       cause=t.word(first), rpn=table.loc[first, "RPN"],
                       family=t.word(roots.loc[first, "family"]).lower(),
                       effects=t.word(roots.loc[first, "effects"]).lower(),
                       frequent=t.word(frequent)))


def satisfaction(overall: pd.Series, t) -> str:
    """After the overall satisfaction: CSAT and NPS with the NPS interval."""
    return t.say("r06_satisfaction", csat=overall["csat"], nps=overall["nps"],
                 low=overall["nps_low"], high=overall["nps_high"])


def satisfaction_by(groups: pd.DataFrame, t) -> str | None:
    """After satisfaction by group (segment, channel): the most and least satisfied groups
    by CSAT, among those with 30 answers or more."""
    g = groups[(groups["surveys"] >= 30) & (groups.index != "all")]
    if len(g) < 2:
        return None
    best, worst = g["csat"].idxmax(), g["csat"].idxmin()
    apart = g.loc[worst, "csat_high"] < g.loc[best, "csat_low"]
    return t.say("r06_satisfaction_by_" + ("apart" if apart else "close"), best=t.word(best),
                 best_csat=g.loc[best, "csat"], worst=t.word(worst),
                 worst_csat=g.loc[worst, "csat"])


def satisfaction_by_month(months: pd.DataFrame, t, calendar_: str) -> str | None:
    """After the satisfaction by month: the lowest and highest CSAT among months with 30
    answers or more."""
    g = months[months["surveys"] >= 30]["csat"].dropna()
    if len(g) < 2:
        return None
    return t.say("r06_months_csat", low=g.min(), low_month=_month(g.idxmin(), t, calendar_),
                 high=g.max(), high_month=_month(g.idxmax(), t, calendar_))


def satisfaction_drivers(drivers: pd.DataFrame, t) -> str | None:
    """After the satisfaction drivers: the driver that moves CSAT most, and whether its
    interval holds 0."""
    if drivers.empty:
        return None
    top = drivers["coefficient"].abs().idxmax()
    row = drivers.loc[top]
    sure = not (row["ci_low"] <= 0 <= row["ci_high"])
    return t.say("r06_drivers_" + ("sure" if sure else "unsure"), driver=t(top),
                 effect=row["coefficient"])


def uplift_scores(comparison: pd.DataFrame, model: str, t) -> str:
    """After the comparison of targeting scores: the uplift model's Qini coefficient against
    churn risk's, and the extra responses per customer each brings over every depth of
    targeting against random targeting's."""
    m, r = comparison.loc[model], comparison.loc["churn_risk"]
    return t.say("r06_uplift_scores", qini=m["qini_coefficient"], risk_qini=r["qini_coefficient"],
                 auuc=m["auuc"], risk_auuc=r["auuc"],
                 random_auuc=comparison.loc["random", "auuc"])


def uplift_deciles(deciles: pd.DataFrame, t) -> str:
    """After the uplift by decile: the observed uplift in the tenth the model ranks highest and
    in the lowest; with planted truth, the top tenth's true uplift against the average."""
    top, bottom = deciles.iloc[0], deciles.iloc[-1]
    text = t.say("r06_uplift_deciles", top=top["observed_uplift"],
                 bottom=bottom["observed_uplift"], top_rate=top["treated_rate"],
                 top_control=top["control_rate"])
    if "true_uplift" in deciles:
        mean = float((deciles["true_uplift"] * deciles["customers"]).sum()
                     / deciles["customers"].sum())
        text += " " + t.say("r06_uplift_deciles_truth", true_top=top["true_uplift"], mean=mean,
                            ratio=top["true_uplift"] / mean if mean > 0 else float("nan"))
    return text


def uplift_profit(profit: pd.DataFrame, cost: float, t) -> str:
    """After the profit of each way of choosing whom to contact: the uplift policy's contacts
    and profit against the riskiest as many and against everyone, measured on the campaign;
    with planted truth, the same by the truth."""
    by = profit.loc["by uplift"]
    text = t.say("r06_uplift_profit", contacted=int(by["contacted"]), cost=cost,
                 profit=by["profit"], low=by["profit_low"], high=by["profit_high"],
                 risky=profit.loc["the riskiest", "profit"],
                 everyone=profit.loc["everyone", "profit"],
                 everyone_contacted=int(profit.loc["everyone", "contacted"]))
    if "true_profit" in profit:
        text += " " + t.say("r06_uplift_profit_truth", profit=by["true_profit"],
                            risky=profit.loc["the riskiest", "true_profit"],
                            everyone=profit.loc["everyone", "true_profit"])
    return text


def touchpoints(counts: pd.DataFrame, t) -> str:
    """After the touchpoint counts: customers and touchpoints, and the commonest touchpoint
    besides purchases (by customers who met it at least once)."""
    customers = int(counts["customers"].max())
    other = counts.drop(index=[i for i in ("first_purchase", "repeat_purchase")
                               if i in counts.index])
    text = t.say("r08_touchpoints", customers=customers,
                 touchpoints=int(counts["touchpoints"].sum()))
    if len(other):
        top = other["customer_share"].idxmax()
        text += " " + t.say("r08_touchpoints_top", top=t.word(top),
                            share=other.loc[top, "customer_share"])
    return text


def transitions(matrix: pd.DataFrame, t) -> str | None:
    """After the transition matrix: where a first purchase leads most often and how soon, and
    what follows a complaint."""
    from crmwb.journey import END

    m = matrix.set_index(["from", "to"])
    if "first_purchase" not in m.index.get_level_values("from"):
        return None
    out = m.loc["first_purchase"]
    moves = out.drop(index=END, errors="ignore")
    if not len(moves):  # every journey ended at the first purchase
        return t.say("r08_no_transitions")
    top = moves["share"].idxmax()
    text = t.say("r08_transitions", next=t.word(top), share=moves.loc[top, "share"],
                 days=moves.loc[top, "median_days"],
                 ended=out["share"].get(END, 0.0))
    if "complaint" in m.index.get_level_values("from"):
        after = m.loc["complaint"]
        moves = after.drop(index=END, errors="ignore")
        if len(moves):
            top = moves["share"].idxmax()
            text += " " + t.say("r08_transitions_complaint", next=t.word(top),
                                share=moves.loc[top, "share"],
                                days=moves.loc[top, "median_days"])
    return text


def step_matrix(matrix: pd.DataFrame, t) -> str:
    """After the step matrix: the commonest touchpoint at step 2, and the share of journeys
    ended by the last step shown."""
    from crmwb.journey import ENDED

    last = matrix.columns[-1]
    second = matrix[matrix.columns[min(1, len(matrix.columns) - 1)]].drop(index=ENDED,
                                                                          errors="ignore")
    return t.say("r08_steps", top=t.word(second.idxmax()), share=second.max(), step=last,
                 ended=matrix.loc[ENDED, last] if ENDED in matrix.index else 0.0)


def journey_paths(flows: pd.DataFrame, t) -> str:
    """After the path plot: the widest flow between the first two steps."""
    first = flows[(flows["step"] == flows["step"].min()) & flows["to"].notna()]
    top = first.loc[first["customers"].idxmax()]
    return t.say("r08_paths_flow", source=t.word(top["from"]), target=t.word(top["to"]),
                 customers=int(top["customers"]), share=top["customers"]
                 / first["customers"].sum())


def common_paths(paths: pd.DataFrame, t) -> str | None:
    """After the common paths: each group's commonest path, and the path shown with the
    highest churn rate."""
    from crmwb.journey import path_label

    stayed, churned = (paths[paths["group"] == g] for g in ("stayed", "churned"))
    if stayed.empty or churned.empty:
        return None
    risky = paths.loc[paths["churn_rate"].idxmax()]
    return t.say("r08_common_paths", stayed=path_label(stayed.iloc[0]["path"], t),
                 stayed_share=stayed.iloc[0]["group_share"],
                 churned=path_label(churned.iloc[0]["path"], t),
                 churned_share=churned.iloc[0]["group_share"],
                 risky=path_label(risky["path"], t), rate=risky["churn_rate"],
                 customers=int(paths[paths["path"] == risky["path"]]["customers"].sum()))


def second_purchase(curve: pd.DataFrame, t) -> str:
    """After the time to a second purchase: the median wait, and the shares back within 90
    days and within a year."""
    within = curve.attrs["back_within"]
    median = curve.attrs["median_days"]
    key = "r08_second_purchase" if median == median else "r08_second_purchase_no_median"
    parts = [t.say(key, median=median, customers=curve.attrs["customers"])]
    for days in (90, 365):
        share = within[days]
        parts.append(t.say("r08_back_within", share=share, days=days) if share == share
                     else t.say("r08_back_within_unmeasured", days=days))
    text = " ".join(parts)
    if curve.attrs.get("left_out"):
        text += " " + t.say("r08_left_censored", left_out=curve.attrs["left_out"],
                            since=curve.attrs["since"])
    return text


def model_comparison(comparison, t) -> str:
    """After the model comparison table: the model the data prefer (lowest BIC) and by how
    much, and the one closest over the holdout with its total against the actual."""
    health = model_health(comparison, t)
    if not comparison.preferred:  # no fit passed: nothing is preferred, nothing read
        return health
    table = comparison.table
    bic = table.loc[table["fit"] == "ok", "bic"].sort_values()
    closest = table.loc[comparison.closest]
    reading = t.say("r03_model_comparison", preferred=t.word(comparison.preferred),
                    margin=float(bic.iloc[1] - bic.iloc[0]) if len(bic) > 1 else 0.0,
                    closest=t.word(comparison.closest), mae=closest["holdout_mae"],
                    predicted=closest["predicted_total"], actual=closest["actual_total"],
                    gap=closest["total_error"])
    return reading if health is None else f"{health} {reading}"


def models_weekly(weekly: pd.DataFrame, t, failed=()) -> str:
    """After the weekly tracking of every model: the holdout's busiest week, what the
    customers made in it and the range the models expected (the ``failed`` fits left out:
    their expectations are no finding)."""
    hold = weekly[weekly["holdout"]]
    models = [c for c in weekly.columns
              if c not in ("period_end", "holdout", "actual", *failed)]
    if not models or not len(hold):
        return t.say("r03_models_none_read")
    at = hold["actual"].idxmax()
    expected = hold.loc[at, models].astype(float)
    return t.say("r03_models_weekly", week=hold.loc[at, "period_end"],
                 actual=float(hold.loc[at, "actual"]), low=float(expected.min()),
                 high=float(expected.max()))


def models_cumulative(comparison, t) -> str:
    """After the cumulative tracking: by the end, the repeat purchases made and those the
    preferred model expected."""
    if not comparison.preferred:
        return t.say("r03_models_none_read")
    last = comparison.tracking.iloc[-1]
    expected = float(last[comparison.preferred])
    return t.say("r03_models_cumulative", end=last["period_end"], actual=float(last["actual"]),
                 model=t.word(comparison.preferred), expected=expected,
                 gap=expected / float(last["actual"]) - 1 if last["actual"] else 0.0)


def _lower_word(t, value) -> str:
    """A data value's label as a word inside a sentence: lower case in English."""
    w = t.word(value)
    return w.lower() if _lang(t) == "en" and isinstance(w, str) else w


def models_conditional(comparison, t) -> str:
    """After the conditional expectations of every model: the preferred model's largest
    gap (:func:`conditional_expectations`)."""
    if not comparison.preferred:
        return t.say("r03_models_none_read")
    table = comparison.conditional[["actual", comparison.preferred]]
    return conditional_expectations(table.rename(columns={comparison.preferred: "predicted"}),
                                    t)


def covariate_effects(model, t) -> str:
    """After the covariates' effects (BG/NBD): the level that moves the purchase rate most
    and the one that moves the dropout most, among those whose 95% interval excludes zero,
    each against its reference level."""
    coef = model.coefficients_
    sure = coef[(coef["ci_low"] > 0) | (coef["ci_high"] < 0)]
    parts = []
    params = model.params_
    for process in ("purchase", "dropout"):
        rows = sure.loc[process] if process in sure.index.get_level_values(0) else None
        if rows is None or not len(rows):
            continue
        name = rows["estimate"].abs().idxmax()
        beta = float(rows.loc[name, "estimate"])
        column, _, level = name.partition("=")
        reference = model._designs[process].reference_.get(column)
        who = _lower_word(t, level) if level else _lower_word(t, column)
        against = _lower_word(t, str(reference)) if reference is not None else \
            t("a_unit_less")
        if process == "purchase":
            parts.append(t.say("r03_covariate_purchase", column=_lower_word(t, column), who=who,
                               reference=against, ratio=float(np.exp(beta))))
        else:
            a, b = params["a"], params["b"]
            a_level = a * np.exp(beta)
            parts.append(t.say("r03_covariate_dropout", column=_lower_word(t, column), who=who,
                               reference=against, level=float(a_level / (a_level + b)),
                               base=float(a / (a + b))))
    return " ".join(parts) if parts else t.say("r03_covariates_none")


def predictive_coverage(split: pd.DataFrame, intervals: pd.DataFrame, level: float, t) -> str:
    """After the predictive intervals of the holdout: the share of customers whose count
    fell inside, against the share the model promised."""
    inside = split["holdout_purchases"].between(intervals["low"], intervals["high"]).mean()
    return t.say("r03_predictive", level=level, inside=float(inside),
                 promised=float(intervals["probability"].mean()))


def value_intervals(intervals: pd.DataFrame, level: float, t) -> str:
    """After the CLV intervals: how wide half the customers' intervals are against their
    value, and the most valuable customer's interval."""
    worth = intervals[intervals["clv"] > 0]
    half = ((worth["clv_high"] - worth["clv_low"]) / 2 / worth["clv"]).median()
    top = intervals.loc[intervals["clv"].idxmax()]
    return t.say("r03_value_intervals", level=level, half=float(half), value=top["clv"],
                 low=top["clv_low"], high=top["clv_high"])


def bgbb(model, t) -> str:
    """After the BG/BB fit on months: the mean chance to buy in a month while active and
    the mean chance to leave at each month's start."""
    if not model.diagnostics_.ok:
        return t.say("r03_bgbb_failed", problem=fit_problem(model, t))
    p = model.params_
    return t.say("r03_bgbb", buy=p["alpha"] / (p["alpha"] + p["beta"]),
                 leave=p["gamma"] / (p["gamma"] + p["delta"]))


def conditional_expectations(table: pd.DataFrame, t) -> str:
    """After the conditional expectations: the largest gap between what the model expected
    and what customers bought in the holdout, by calibration frequency."""
    gap = (table["predicted"] - table["actual"]).abs()
    at = gap.idxmax()
    return t.say("r03_conditional", frequency=int(at), actual=table.loc[at, "actual"],
                 predicted=table.loc[at, "predicted"],
                 rises=bool(table["actual"].is_monotonic_increasing))


def clv_by_group(table: pd.DataFrame, t) -> str:
    """After the CLV by segment or level: the group holding most of the value to come."""
    top = table["clv_share"].idxmax()
    customers = table["customers"] / table["customers"].sum()
    return t.say("r03_groups", group=t.word(str(top)), share=table.loc[top, "clv_share"],
                 customers=customers[top])


def p_alive(probabilities: pd.Series, t, model=None) -> str:
    """After the P(alive) grid: the share of customers more likely active than not; withheld,
    saying why, when ``model`` failed its health check."""
    if model is not None and not model.diagnostics_.ok:
        return t.say("r03_p_alive_withheld", model=t.word(model._label),
                     problem=fit_problem(model, t))
    return t.say("r03_p_alive", share=float((probabilities > 0.5).mean()),
                 expected=float(probabilities.sum()), customers=len(probabilities))


def deciles(table: pd.DataFrame, t) -> str:
    """After the decile table: the riskiest and the safest tenth, and the churners the top
    three tenths hold."""
    return t.say("r04_deciles", top=table["churn_rate"].iloc[0], lift=table["lift"].iloc[0],
                 bottom=table["churn_rate"].iloc[-1],
                 captured=table["cumulative_capture"].iloc[min(2, len(table) - 1)])


def coefficients(coef: pd.Series, t) -> str:
    """After the logistic coefficients: the features that raise and lower risk most."""
    from crmwb.plots import _feature

    return _said(t.say("r04_coefficients", up=_feature(t, coef.idxmax()), up_value=coef.max(),
                       down=_feature(t, coef.idxmin()), down_value=coef.min()))


def importance(table: pd.DataFrame, t) -> str:
    """After the permutation importance: the feature the model leans on most."""
    from crmwb.plots import _feature

    top = table["importance"].idxmax()
    return t.say("r04_importance", feature=_feature(t, top), drop=table.loc[top, "importance"])


def cooccurrence(table: pd.DataFrame, t) -> str | None:
    """After the co-occurrence matrix: the pair bought together most often."""
    values = table.where(~np.eye(len(table), dtype=bool))
    if values.isna().all().all():
        return None
    a, b = values.stack().idxmax()
    return _said(t.say("r05_cooccurrence", a=t.word(str(a)), b=t.word(str(b)),
                       baskets=values.loc[a, b]))


def rules(rules_: pd.DataFrame, t) -> str | None:
    """After the rules' scatter: the rule with the highest lift, and how many rules have a
    confidence above one half."""
    if rules_.empty:
        return None
    top = rules_["lift"].idxmax()
    rule = (", ".join(map(t.word, sorted(rules_.loc[top, "antecedents"]))) + " → "
            + ", ".join(map(t.word, sorted(rules_.loc[top, "consequents"]))))
    return t.say("r05_rules", rule=rule, lift=rules_.loc[top, "lift"],
                 confidence=rules_.loc[top, "confidence"],
                 confident=float((rules_["confidence"] > 0.5).mean()))


def segment_by(table: pd.DataFrame, t, basis: str) -> str | None:
    """After a descriptive basis (:func:`crmwb.segmentation.segment_by`): the group that
    spends the most per customer, among groups of 2% of the customers or more."""
    g = table[(table["customer_share"] >= 0.02) & (table.index != "unknown")]
    if len(g) < 2:
        return None
    top = g["spend_index"].idxmax()
    name = t.word(str(top))
    if _lang(t) == "en" and name != str(top):  # a word of the glossary, not a name
        name = name.lower()
    return t.say("r02_basis", basis=t(basis).lower() if _lang(t) == "en" else t(basis),
                 top=name, ratio=g.loc[top, "spend_index"],
                 revenue=g.loc[top, "revenue_share"], customers=g.loc[top, "customer_share"])


def sales_versus_profit(facts: pd.Series, t) -> str:
    """After revenue against profit (:func:`crmwb.profitability.sales_versus_profit`)."""
    return t.say("r02_sales_profit", not_best=facts["big_not_best"], losing=facts["big_losing"],
                 green=facts["green_profit"], red=facts["red_customers"])


def profit_levers(table: pd.DataFrame, t) -> str:
    """After the profit levers (:func:`crmwb.clv.profit_levers`): the lever that moves the
    value most, and the one that moves it least."""
    levers = table.drop(index="today")
    best, worst = levers["change"].idxmax(), levers["change"].idxmin()

    def name(key):
        word = t(f"lever_{key}")
        return word.lower() if _lang(t) == "en" else word

    return _said(t.say("r03_levers", best=name(best), change=levers.loc[best, "change"],
                       worst=name(worst), low=levers.loc[worst, "change"]))


def lost_sales(table: pd.DataFrame, t) -> str | None:
    """After where sales were lost (:func:`crmwb.customer360.lost_sales`): the group whose
    sales fell most, and what its departed customers had brought."""
    if table.empty or not (table["change"] < 0).any():
        return None
    top = table.index[0]
    names = top if isinstance(top, tuple) else (top,)
    group = " · ".join(str(t.word(str(n))) for n in names)
    row = table.iloc[0]
    return t.say("r07_lost", group=group, lost=row["lost_with_customers"],
                 share=row["lost_share"], change=row["change"])


def basket_list(table: pd.DataFrame, t) -> str | None:
    """After the basket as a list (:func:`crmwb.basket.list_and_quantities`): how steady
    the list is, and whether the list or the quantities change more (the course: a nearly
    fixed list whose quantities change)."""
    s = table.attrs.get("stability")
    if s is None or s.dropna().empty:
        return None
    s = s.dropna()
    seasonal = s["support_cv"].idxmax()
    key = ("r05_list_quantities" if s["quantity_cv"].mean() > s["support_cv"].mean()
           else "r05_list_changes")
    return t.say(key, steady=int((s["support_cv"] < 0.10).sum()), n=len(s),
                 seasonal=t.word(str(seasonal)), cv=s.loc[seasonal, "support_cv"],
                 qty=s["quantity_cv"].mean())


def data_quality(completeness: pd.DataFrame, validity: pd.DataFrame, t) -> str:
    """After the completeness and validity tables: the least complete column and how many
    values break the data model."""
    worst = completeness.loc[completeness["filled_share"].idxmin()]
    broken = int(validity["count"].sum()) if len(validity) else 0
    column = str(worst["column"])
    return t.say("r01_quality", column=t(column) if column in LABELS[_lang(t)] else column,
                 share=worst["filled_share"], broken=broken)


def lines_by_month(months: pd.DataFrame, t, calendar_: str) -> str | None:
    """After the lines by month: the busiest and the quietest full month of the export."""
    inner = months.iloc[1:-1] if len(months) > 3 else months
    if inner.empty or not inner["lines"].min():
        return None
    best = inner.loc[inner["lines"].idxmax()]
    low = inner.loc[inner["lines"].idxmin()]
    return t.say("r01_lines_month", best=_month(best["month"], t, calendar_),
                 worst=_month(low["month"], t, calendar_), ratio=best["lines"] / low["lines"])


def gains(preds: pd.DataFrame, model: str, t, top: float = 0.20) -> str:
    """After the gains and lift: the churners the riskiest ``top`` of the customers hold."""
    ranked = preds.sort_values(model, ascending=False)
    n = max(1, int(round(top * len(ranked))))
    share = ranked["churned"].iloc[:n].sum() / max(ranked["churned"].sum(), 1)
    name = t(model).lower() if _lang(t) == "en" else t(model)
    return t.say("r04_gains", top=top, share=share, model=name)


def _most_varying(table: pd.DataFrame) -> pd.Series | None:
    """The itemset of :func:`crmwb.basket.support_by_period` whose support varies most over
    the periods (a rule and its reverse are one itemset: a column named twice is read once)."""
    table = table.loc[:, ~table.columns.duplicated()]
    if table.empty or len(table) < 2:
        return None
    return table[((table.max() - table.min()) / table.mean()).idxmax()]


def support_by_month(table: pd.DataFrame, t, calendar_: str) -> str | None:
    """After the support by month of the year: the most seasonal itemset's best and
    worst month."""
    column = _most_varying(table)
    if column is None:
        return None
    return t.say("r05_months", pair=column.name, high=column.max(), low=column.min(),
                 best=i18n.month_name(int(column.idxmax()), _lang(t), calendar_),
                 worst=i18n.month_name(int(column.idxmin()), _lang(t), calendar_))


def support_by_weekday(table: pd.DataFrame, t) -> str | None:
    """After the support by weekday: the most day-bound itemset's best and worst day."""
    column = _most_varying(table)
    if column is None:
        return None
    return t.say("r05_weekday", pair=column.name, high=column.max(), low=column.min(),
                 best=_day(int(column.idxmax()), _lang(t)),
                 worst=_day(int(column.idxmin()), _lang(t)))


def rule_network(rules_: pd.DataFrame, t) -> str | None:
    """After the rule network: the item in the most rules, the hub of cross-selling."""
    if rules_.empty:
        return None
    items = pd.Series([i for a, c in zip(rules_["antecedents"], rules_["consequents"])
                       for i in (*a, *c)])
    hub = items.value_counts()
    return _said(t.say("r05_network", item=t.word(str(hub.index[0])), rules=int(hub.iloc[0]),
                       total=len(rules_)))


def keeping_cost(offer_cost: float, incentive_cost: float, acceptance_rate: float,
                 t) -> str | None:
    """After the retention campaign: what keeping a would-be churner costs, against the
    course's claim that acquiring a customer costs 3 to 30 times as much as keeping one."""
    if acceptance_rate <= 0:
        return None
    keep = (offer_cost + incentive_cost) / acceptance_rate
    return t.say("r04_keeping_cost", keep=keep, rate=acceptance_rate, low=3 * keep,
                 high=30 * keep)


def customer_card(row: pd.Series, t) -> str:
    """After the customer card's scores: the customer in a few sentences, without the
    figures the table withheld (a P(alive) of a failed fit, a churn risk with too little
    history, a CLV without a model of spend)."""
    parts = [t.say("r07_card", segment=t.word(str(row.get("rfm_segment", ""))),
                   level=t.word(str(row.get("pyramid_level", ""))))]
    for key, column in (("r07_card_risk", "churn_risk"), ("r07_card_alive", "p_alive"),
                        ("r07_card_clv", "clv")):
        value = pd.to_numeric(pd.Series([row.get(column, np.nan)]), errors="coerce").iloc[0]
        if np.isfinite(value):
            parts.append(t.say(key, value=float(value)))
    return " ".join(parts)


def recent_kpis(kpis: pd.DataFrame, t, months: int = 6) -> str | None:
    """After the last months' KPIs: the range of retention and revenue over them."""
    recent = kpis.tail(months)
    if recent["retention_rate"].dropna().empty:
        return None
    return t.say("r07_recent", n=len(recent), low=recent["retention_rate"].min(),
                 high=recent["retention_rate"].max(), rlow=recent["revenue"].min(),
                 rhigh=recent["revenue"].max())



# --- fits that failed their health check (crmwb.clv.diagnostics) ------------------------------

#: each model's parameters of dropout: at an edge, or not pinned down, they mean the history
#: cannot tell a customer who left from a slow buyer
_DROPOUT = {"BG/NBD": {"a", "b"}, "MBG/NBD": {"a", "b"}, "Pareto/NBD": {"s", "beta"},
            "BG/BB": {"gamma", "delta"}, "sBG": {"alpha", "beta"}}


def _unpinned(model) -> list[str]:
    """The parameters whose 95% interval spans more than the health check allows, or has
    no finite bound."""
    from crmwb.clv.diagnostics import MAX_LOG_SE
    from crmwb.clv.models import Z95

    ci = model.confidence_intervals_
    with np.errstate(divide="ignore", invalid="ignore"):
        span = np.log(ci["upper_95"].astype(float)) - np.log(ci["lower_95"].astype(float))
    return [p for p in ci.index if not np.isfinite(span[p]) or span[p] > 2 * Z95 * MAX_LOG_SE]


def fit_problem(model, t) -> str:
    """Why a fit (a fitted model, or its ``diagnostics_``) failed its health check, as a
    phrase in the reader's language: which
    parameters ran to an edge or are not pinned down, an optimiser that did not converge, a
    likelihood that is no number; and, when the dropout is what failed, what that means."""
    from crmwb.clv.diagnostics import FitDiagnostics

    d = model if isinstance(model, FitDiagnostics) else model.diagnostics_
    bound = [p for p in d.at_bound]
    wide = [p for p in _unpinned(model) if p not in bound] \
        if "standard_errors" in d.problems and not isinstance(model, FitDiagnostics) else []
    parts = []
    if bound:
        parts.append(t.say("fit_bound", params=", ".join(t.word(p) for p in bound)))
    if wide:
        parts.append(t.say("fit_wide", params=", ".join(t.word(p) for p in wide)))
    if "information" in d.problems and not bound and not wide:
        parts.append(t.say("fit_flat"))
    if not d.converged:
        parts.append(t.say("fit_not_converged"))
    if not d.log_likelihood_ok:
        parts.append(t.say("fit_likelihood"))
    if (set(bound) | set(wide)) & _DROPOUT.get(d.model, set()):
        parts.append(t.say("fit_dropout_hint"))
    return ("؛ " if _lang(t) == "fa" else "; ").join(parts or [t.say("fit_flat")])


def failed_fits(models: dict, t) -> str:
    """The failed fits of several models, each with its reason: ``BG/NBD: ...; Pareto/NBD:
    ...``."""
    sep = " — "
    return " ".join(f"{t.word(name)}{sep}{fit_problem(m, t)}." for name, m in models.items()
                    if not m.diagnostics_.ok)


def model_health(comparison, t) -> str | None:
    """Before the comparison's reading: the fits that failed (named, never chosen), or that
    none passed; and the models the data do not tell apart from the preferred one."""
    failed = {m: comparison.models[m] for m in comparison.failed}
    parts = []
    if not comparison.preferred:
        parts.append(t.say("r03_models_failed_all", failures=failed_fits(failed, t)))
    elif failed:
        parts.append(t.say("r03_models_failed_some", failures=failed_fits(failed, t)))
    if comparison.tied:
        parts.append(t.say("r03_models_tied", preferred=t.word(comparison.preferred),
                           others=", ".join(t.word(m) for m in comparison.tied)))
    return " ".join(parts) or None


def value_model(purchases, spend, customers: int, t) -> str:
    """Before the values: the purchase and spend models they rest on, and whether each
    passed its health check; a failed one qualifies every value that follows."""
    parts = []
    if purchases.diagnostics_.ok:
        parts.append(t.say("r03_value_model", model=t.word(purchases._label),
                           customers=customers))
    else:
        parts.append(t.say("r03_value_model_failed", model=t.word(purchases._label),
                           problem=fit_problem(purchases, t)))
    if not spend.diagnostics_.ok:
        parts.append(t.say("r03_spend_failed", problem=fit_problem(spend, t)))
    return " ".join(parts)


def churn_verdict(verdict: dict, t) -> str:
    """After the test window's comparison: the chosen model's ROC-AUC against the best naive
    rule; when it does not beat it, what the campaign uses instead; when even that ranks
    churners hardly better than chance, that no campaign rests on a finding."""
    def name(key):  # a model by its name, a naive rule as one
        return t(f"rule_{key}") if key in ("recency", "p_alive") else t(key)

    parts = []
    if verdict["baseline"] is None:
        parts.append(t.say("r04_no_baseline", model=t(verdict["chosen"]),
                           auc=verdict["chosen_score"]))
    elif verdict["beats_baseline"]:
        parts.append(t.say("r04_beats_baseline", model=t(verdict["chosen"]),
                           auc=verdict["chosen_score"], rule=name(verdict["baseline"]),
                           rule_auc=verdict["baseline_score"]))
    else:
        parts.append(t.say("r04_loses_to_baseline", model=t(verdict["chosen"]),
                           auc=verdict["chosen_score"], rule=name(verdict["baseline"]),
                           rule_auc=verdict["baseline_score"], use=name(verdict["use"]),
                           use_auc=verdict["use_score"]))
    if verdict["chance"]:
        parts.append(t.say("r04_chance", auc=verdict["use_score"]))
    return " ".join(parts)


def customer_table_fits(table: pd.DataFrame, t) -> str | None:
    """After the customer table: the models behind its CLV and P(alive) that failed their
    health check, and what the table does instead; nothing when both passed."""
    from crmwb.clv.diagnostics import FitDiagnostics

    fits = {k: FitDiagnostics.from_dict(v) for k, v in table.attrs.get("fits", {}).items()
            if v is not None}
    parts = []
    purchases, spend = fits.get("purchases"), fits.get("spend")
    if "fits" in table.attrs and table.attrs["fits"].get("spend") is None:
        return t.say("r07_no_clv", repeaters=table.attrs.get("repeat_buyers", 0))
    if purchases is not None and not purchases.ok:
        parts.append(t.say("r07_purchases_failed", model=t.word(purchases.model),
                           problem=fit_problem(purchases, t),
                           days=table.attrs.get("lapsed_days", 180)))
    if spend is not None and not spend.ok:
        parts.append(t.say("r03_spend_failed", problem=fit_problem(spend, t)))
    return " ".join(parts) or None


def retention_base(retention: pd.Series, t) -> str:
    """Before the retention formula: the observed retention with what it rests on (the
    customers and the days of the two windows), its 95% interval, and, when the data did
    not reach back two whole years, how it was measured instead; a warning below
    :data:`crmwb.clv.MIN_BASE` customers."""
    from crmwb.clv.models import MIN_BASE

    values = {k: retention[k] for k in ("customers", "kept", "start", "end", "rate", "annual",
                                         "low", "high", "window_days", "covered_days")}
    values["middle"] = retention["middle"]
    values["before"] = retention["middle"] - pd.Timedelta(days=1)
    key = "r03_retention_short" if retention["shortened"] else "r03_retention_base"
    text = t.say(key, **values)
    if retention["customers"] < MIN_BASE:
        text += " " + t.say("small_base", customers=retention["customers"], minimum=MIN_BASE)
    return text


def cohorts(co, t, age: int = 3) -> str | None:
    """After the cohorts: ``age`` months after acquisition, the share of the first acquired
    cohort still buying against the latest cohort that has reached that age, each with its
    size; what was left out (the month the data start in, which holds the existing
    customers, and a part month at the end)."""
    retained = co.acquired[age].dropna() if age in co.acquired else pd.Series(dtype=float)
    parts = []
    if len(retained) >= 2:
        first, latest = retained.index[0], retained.index[-1]
        p1, p2 = float(retained.iloc[0]), float(retained.iloc[-1])
        n1, n2 = int(co.size[first]), int(co.size[latest])
        # a difference within what chance gives two groups of these sizes is no difference
        pooled = (p1 * n1 + p2 * n2) / (n1 + n2)
        se = np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
        clear = se > 0 and abs(p1 - p2) > 1.96 * se
        parts.append(t.say("r07_cohorts" if clear else "r07_cohorts_same", age=age, first=p1,
                           first_cohort=first, first_n=n1, latest=p2, latest_cohort=latest,
                           latest_n=n2))
    else:
        parts.append(t.say("r07_cohorts_too_few", age=age))
    for month in co.left_censored:
        if month in co.size.index:
            parts.append(t.say("r07_cohort_left_censored", month=month,
                               customers=int(co.size[month])))
    if co.partial_month is not None:
        parts.append(t.say("r07_cohort_partial", month=co.partial_month))
    return " ".join(parts)


def kpi_seasons(baseline: pd.DataFrame, t) -> str | None:
    """After the KPIs against their baseline: when the baseline month is not the latest's
    month a year before, that the two are in different seasons (Online Retail's March
    against its Christmas-driven November read as +112% revenue)."""
    base, latest = baseline.attrs["baseline_month"], baseline.attrs["latest_month"]
    apart = int(round((pd.Timestamp(latest) - pd.Timestamp(base)).days / 30.44))  # any calendar
    if apart % 12 == 0:
        return None
    return t.say("r07_kpi_seasons", months=apart)


def period(covered: dict, currency: str, t) -> str:
    """After the headline facts: the period the data cover, the months covered only in part,
    and the currency amounts are in (or that the data do not say it)."""
    parts = [t.say("r00_period", first=covered["first"], last=covered["last"],
                   days=covered["days"], months=covered["months"])]
    for key in ("partial_first", "partial_last"):
        if covered[key] is not None:
            parts.append(t.say(f"r00_{key}", month=covered[key]))
    parts.append(t.say("r00_currency", currency=currency) if currency
                 else t.say("r00_no_currency", param="currency", example="GBP"))
    return " ".join(parts)


def products_by_revenue(table: pd.DataFrame, t) -> str | None:
    """After the products by revenue: the top product and its share, and how few products
    make 80% of the revenue (class A) against the many sharing the last 5% (class C)."""
    if not len(table):
        return None
    classes = table.attrs["classes"]
    top = table.index[0]
    name = table["description"].iloc[0] if "description" in table else None
    a = classes.loc["A"] if "A" in classes.index else None
    c = classes.loc["C"] if "C" in classes.index else None
    text = t.say("r00_top_product", product=f"{top} {name}" if isinstance(name, str) else top,
                 revenue=table["revenue"].iloc[0], share=table["revenue_share"].iloc[0])
    if a is not None:
        text += " " + t.say("r00_abc", a=int(a["products"]), a_share=a["product_share"],
                            products=int(classes["products"].sum()),
                            c=int(c["products"]) if c is not None else 0,
                            c_share=c["product_share"] if c is not None else 0.0)
    return text


def revenue_by_place(table: pd.DataFrame | None, t) -> str:
    """After the revenue by place: the first place's share and customers, and the next two."""
    if table is None or not len(table):
        return t.say("r00_no_place")
    first = table.iloc[0]
    text = t.say("r00_place", place=t.word(str(table.index[0])), share=first["revenue_share"],
                 customers=int(first["customers"]), places=len(table))
    if len(table) >= 3:
        text += " " + t.say("r00_next_places", second=t.word(str(table.index[1])),
                            second_share=table["revenue_share"].iloc[1],
                            third=t.word(str(table.index[2])),
                            third_share=table["revenue_share"].iloc[2])
    return text
