"""Every human-facing label of the reports, keyed by language.

Titles, axis labels, table headers and segment names come from here, chosen
by the notebooks' ``lang`` parameter, so a report can be rendered in another
language by adding its column of labels. English is complete; Persian comes
in a later issue.

Examples
--------
>>> t = glossary("en")
>>> t("revenue")
'Revenue'
>>> t.columns(["customer_id", "revenue"])
{'customer_id': 'Customer', 'revenue': 'Revenue'}
"""

from __future__ import annotations

import datetime as dt
import os
import re
import string
from collections.abc import Iterable

import pandas as pd

LABELS: dict[str, dict[str, str]] = {
    "en": {
        # tables and their columns
        "transactions": "Transactions",
        "customers": "Customers",
        "contacts": "Contacts",
        "surveys": "Surveys",
        "campaigns": "Campaigns",
        "leads": "Leads (prospects)",
        "suspects": "Suspects",
        "catalogue": "Catalogue",
        "line_id": "Line id",
        "quantity_bought": "Quantity bought",
        "quantity_cancelled": "Quantity cancelled",
        "matched_quantity": "Quantity matched",
        "unmatched_quantity": "Quantity unmatched",
        "cancellation_matches": "Cancellations matched to purchases",
        "duplicates": "Duplicate copies",
        "non_product": "Non-product lines",
        "cancelled_purchases": "Purchases cancelled in full",
        "anonymous": "Lines without a customer",
        "customer_records": "Customer records",
        "crosswalk": "Ids and master ids",
        "identity_matches": "Records found to be one person",
        "subscriptions": "Subscriptions",
        "membership_plan": "the shop's membership plan",
        "cleaning_log": "Cleaning log",
        "quality_summary": "Data quality: summary",
        "quality_completeness": "Data quality: completeness",
        "quality_validity": "Data quality: validity",
        "quality_months": "Data quality: months",
        "quality_customer_completeness": "Data quality: customer records",
        "raw_sample": "First raw lines",
        "table": "Table",
        "rows": "Rows",
        "columns": "Columns",
        "customer_id": "Customer",
        "invoice_id": "Invoice",
        "date": "Date",
        "month": "Month",
        "weekday": "Weekday",
        "revenue": "Revenue",
        "invoices": "Invoices",
        "lines": "Lines",
        "style": "Export style",
        "example_date": "A date as written",
        "example_price": "A price as written",
        "identical": "Read back identical",
        "europe": "European (Windows-1252, ;, 1.234,5, day-first)",
        "iran": "Iranian (Windows-1256, ;, Solar Hijri dates)",
        "excel_unicode": "Excel Unicode text (UTF-16, tabs, 12-hour clock)",
        "quantity": "Quantity",
        "customer_type": "Customer type",
        "retail": "Retail",
        "wholesale": "Wholesale",
        "order_value": "Order value",
        "category": "Category",
        "complaints": "Complaints",
        "count": "Count",
        "measure": "Measure",
        "value": "Value",
        "first_date": "First date",
        "last_date": "Last date",
        "cancellation_lines": "Cancellation lines",
        "lines_without_customer": "Lines without a customer id",
        "mon": "Mon", "tue": "Tue", "wed": "Wed", "thu": "Thu", "fri": "Fri", "sat": "Sat",
        "sun": "Sun",
        "quality_days": "Data quality: lines per day",
        # issue 21: words found left in English on Persian pages
        "lower_95": "Lower 95% bound",
        "upper_95": "Upper 95% bound",
        "alpha": "α",
        "beta": "β",
        "gamma": "γ",
        "revenue_earlier": "Revenue, earlier window",
        "revenue_recent": "Revenue, recent window",
        "spend_trend": "Spend trend",
        "gap_ratio": "Gap ratio",
        "promoter": "Promoter",
        "detractor": "Detractor",
        "retention_raised": "Retention raised",
        # churn features (crmwb.churn.churn_features)
        "mean_gap_days": "Mean days between purchases",
        "std_gap_days": "Spread of days between purchases",
        "max_gap_days": "Longest gap between purchases (days)",
        "complaint_after_last_purchase": "Complained after the last purchase",
        "max_complaint_severity": "Worst complaint severity",
        "days_since_complaint": "Days since the last complaint",
        "complaints_unresolved": "Complaints unresolved",
        "complaints_slow": "Complaints resolved slowly",
        "other_levels": "other",
        # units of an axis (crmwb.plots._unit)
        "log_scale": "log scale",
        "cumulative": "cumulative",
        # months of the year in each calendar (crmwb.i18n.month_label)
        "jalali_1": "Farvardin",
        "jalali_2": "Ordibehesht",
        "jalali_3": "Khordad",
        "jalali_4": "Tir",
        "jalali_5": "Mordad",
        "jalali_6": "Shahrivar",
        "jalali_7": "Mehr",
        "jalali_8": "Aban",
        "jalali_9": "Azar",
        "jalali_10": "Dey",
        "jalali_11": "Bahman",
        "jalali_12": "Esfand",
        "gregorian_1": "Jan",
        "gregorian_2": "Feb",
        "gregorian_3": "Mar",
        "gregorian_4": "Apr",
        "gregorian_5": "May",
        "gregorian_6": "Jun",
        "gregorian_7": "Jul",
        "gregorian_8": "Aug",
        "gregorian_9": "Sep",
        "gregorian_10": "Oct",
        "gregorian_11": "Nov",
        "gregorian_12": "Dec",
        # course map
        "idea_01_data_cleaning": "Load and clean transactions; merge customers recorded twice",
        "idea_02_segmentation": "RFM, customer pyramid, clusters, profitability, loyalty types",
        "idea_03_clv": "Customer lifetime value: historical, BG/NBD and Gamma-Gamma",
        "idea_04_churn": "Who will leave, and which customers to keep",
        "idea_05_basket": "Market baskets: cross-selling and up-selling",
        "idea_06_service_quality": "Complaints, satisfaction surveys and campaigns",
        "stage": "Stage",
        "idea": "What it does",
        "notebook": "Notebook",
        "status": "Status",
        "available": "available",
        "planned": "planned",
        "identify": "Identify",
        "differentiate": "Differentiate",
        "interact": "Interact",
        "customize": "Customize",
        "overview": "Overview",
        # overview figures
        "title_monthly_revenue": "Revenue by month",
        "title_weekday_invoices": "Invoices by weekday",
        "title_order_value_by_type": "Order value by customer type",
        "title_complaints_by_category": "Complaints by category",
        "title_lines_by_month": "Transaction lines by month",
        "currency": "currency units",
        # quality of complaint categories
        "quality": "Quality",
        "delivery": "Delivery",
        "price": "Price",
        "warranty": "Warranty",
        "responsiveness": "Responsiveness",
        # segmentation (notebook 02)
        "champions": "Champions", "loyal": "Loyal", "potential loyalists": "Potential loyalists",
        "new": "New", "promising": "Promising", "need attention": "Need attention",
        "about to sleep": "About to sleep", "at risk": "At risk",
        "cannot lose them": "Cannot lose them", "hibernating": "Hibernating", "lost": "Lost",
        "segment": "Segment",
        "customer_share": "Share of customers",
        "revenue_share": "Share of revenue",
        "profit_share": "Share of profit",
        "recency_score": "Recency score (R)",
        "frequency_score": "Frequency score (F)",
        "top": "Top", "big": "Big", "medium": "Medium", "small": "Small",
        "inactive": "Inactive", "prospect": "Prospects", "suspect": "Suspects",
        "level": "Level",
        "hard-core": "Hard-core", "split": "Split", "shifting": "Shifting",
        "switcher": "Switcher",
        "loyalty_type": "Loyalty type",
        "passive": "Passive", "carriage trade": "Carriage trade",
        "bargain basement": "Bargain basement", "aggressive": "Aggressive",
        "net_price_realised": "Net price realised (revenue / reference value)",
        "cost_to_serve_ratio": "Cost to serve (service costs / revenue)",
        "k": "Number of clusters k",
        "inertia": "Inertia (within-cluster sum of squares)",
        "silhouette": "Silhouette score",
        "cluster": "Cluster",
        "profit": "Profit",
        "customers_ranked": "Customers ranked by profit (share)",
        "cumulative_profit_share": "Cumulative profit (share of total)",
        "title_rfm_segments": "RFM segments: customers and revenue",
        "title_rf_heatmap": "Customers by recency and frequency score",
        "title_elbow": "Elbow: inertia by k",
        "title_silhouette": "Silhouette score by k",
        "title_clusters": "Clusters by recency and revenue",
        "title_pyramid": "The customer pyramid",
        "title_whale_curve": "Whale curve",
        "title_profitability_matrix": "Customer profitability matrix",
        "title_loyalty_types": "Loyalty types",
        "days_since_last_purchase": "Days since last purchase",
        "customers_count": "Customers",
        # customer lifetime value (notebook 03)
        "clv": "Customer lifetime value",
        "calibration_frequency": "Repeat purchases in calibration",
        "holdout_purchases": "Mean purchases in the holdout period",
        "actual": "Actual",
        "predicted": "Predicted (model)",
        "expected": "Expected (model)",
        "cumulative_repeat_purchases": "Cumulative repeat purchases",
        "calibration_end": "End of calibration",
        "p_alive": "P(alive)",
        "note_kind_clv": "CLV model",
        "note_kind_convergence": "model fitting",
        "note_kind_other": "warning",
        "recency_range": "Recency (time of the last purchase since the first)",
        "repeat_purchases": "Repeat purchases",
        "periods": "Periods since joining",
        "survival": "Share still subscribed",
        "mean_clv": "Mean CLV",
        "title_conditional_expectations": "Holdout purchases by calibration frequency",
        "title_tracking": "Cumulative repeat purchases: data and model",
        "title_clv_distribution": "Distribution of customer lifetime value",
        "title_clv_by_group": "Mean CLV by group",
        "title_p_alive": "Probability of being alive by frequency and recency",
        "title_retention_curves": "Projected survival by contract (sBG)",
        # churn (notebook 04)
        "churn_rate": "Churn rate",
        "decile": "Risk decile (1 = riskiest)",
        "contacted_share": "Share of customers contacted, riskiest first",
        "captured_share": "Share of churners reached",
        "lift": "Lift",
        "predicted_probability": "Predicted churn probability",
        "observed_rate": "Observed churn rate",
        "importance": "Drop in ROC-AUC when shuffled",
        "coefficient": "Coefficient (standardised)",
        "per_unit": "Per unit",
        "added_value": "Added chance",
        "no_resolved_complaint": "No resolved complaint",
        "complaints_per_1000_customers": "Complaints per 1,000 customers",
        "complaints_per_1000_orders": "Complaints per 1,000 orders",
        "customers_contacted": "Customers contacted (k)",
        "expected_profit": "Expected profit",
        "tenure_months": "Tenure (months)",
        "retention": "Share still subscribed",
        "random": "Random",
        "title_calibration": "Calibration: predicted against observed churn",
        "title_gains": "Cumulative gains",
        "title_lift": "Lift",
        "title_deciles": "Churn rate by risk decile",
        "title_importance": "Permutation importance",
        "title_coefficients": "Logistic regression coefficients",
        "title_profit_curve": "Expected profit of the retention offer",
        "title_kaplan_meier": "Kaplan-Meier retention by contract",
        # market baskets (notebook 05)
        "item": "Item",
        "support": "Support (share of baskets)",
        "confidence": "Confidence",
        "baskets": "Baskets",
        "title_item_frequencies": "Most frequent items",
        "title_rules": "Association rules",
        "title_rule_network": "Rule network (arrow: antecedent to consequent)",
        "title_cooccurrence": "Baskets holding both items",
        "title_support_by_weekday": "Support by weekday",
        "title_support_by_month": "Support by month",
        # service quality (notebook 06)
        "cumulative_share": "Cumulative share",
        "days_to_resolve": "Days to resolve",
        "complaints_count": "Complaints",
        "csat": "CSAT (share of 4s and 5s)",
        "nps": "NPS",
        "service_level": "Service level",
        "no complaint": "No complaint", "resolved quickly": "Resolved quickly",
        "resolved slowly": "Resolved slowly", "unresolved": "Unresolved",
        "title_pareto": "Complaints by category (Pareto)",
        "title_resolution": "Time to resolve complaints",
        "title_churn_by_handling": "Churn by how complaints were handled",
        "title_ishikawa": "Cause and effect (Ishikawa)",
        "title_satisfaction_by_month": "Satisfaction by month",
        "title_complaints_by_month": "Complaints per 1,000 orders, by month",
        # customer 360, KPIs and cohorts (notebook 07)
        "characteristics": "Characteristics", "interactions": "Interactions",
        "attitudes": "Attitudes", "enrichment": "Enrichment", "dimension": "Dimension",
        "active_customers": "Active customers", "new_customers": "New customers",
        "retained_customers": "Retained customers", "lost_customers": "Lost customers",
        "retention_rate": "Retention rate",
        "orders": "Orders", "average_order_value": "Average order value",
        "purchase_frequency": "Orders per active customer",
        "average_clv": "Average CLV to date", "complaint_rate": "Complaints per active customer",
        "campaign_response_rate": "Campaign response rate",
        "baseline": "Baseline", "latest": "Latest", "change": "Change",
        "baseline_month": "Baseline month", "latest_month": "Latest month",
        "change_kind": "Change as", "points": "points", "relative": "relative",
        "kpi": "KPI", "cohort": "Acquisition month", "full": "Full month",
        "months_since_acquisition": "Months since acquisition",
        "revenue_per_customer": "Revenue per customer acquired",
        "next_action": "Next action", "event": "Event", "detail": "Detail",
        "purchase": "Purchase", "contact": "Contact", "survey": "Survey",
        "campaign": "Campaign",
        "resolve open complaint": "Resolve open complaint",
        "retention offer": "Retention offer", "service recovery call": "Service recovery call",
        "win-back offer": "Win-back offer", "welcome and onboarding": "Welcome and onboarding",
        "cross-sell offer": "Cross-sell offer", "keep in touch": "Keep in touch",
        "title_kpis": "CRM KPIs by month (dashed: baseline)",
        "title_cohort_retention": "Retention by acquisition cohort",
        "title_cohort_revenue": "Revenue per customer acquired, by cohort",
        "title_customer_timeline": "Customer timeline",
        "title_next_actions": "Customers by next action",
        # report index
        "report_index_title": "crmwb reports",
        "report": "Report",
        "run_time": "Run time",
        "seconds_short": "s",
        "parameters": "Parameters",
        "ok": "ok",
        "failed": "failed",
        "not_run": "not run",
        "weeks": "weeks", "days": "days",
        # the words of cluster names (crmwb.segmentation), read one by one
        "recent": "recent", "fading": "fading", "lapsed": "lapsed",
        "occasional": "occasional", "regular": "regular", "frequent": "frequent",
        "low-spending": "low-spending", "mid-spending": "mid-spending",
        "high-spending": "high-spending",
        # the data-quality report (crmwb.quality): questions and measures
        "How many customers are known individually?": "How many customers are known individually?",
        "How current is the database?": "How current is the database?",
        "How accurate is the database?": "How accurate is the database?",
        "How much is known about each customer?": "How much is known about each customer?",
        "Is the same person recorded under several ids?":
            "Is the same person recorded under several ids?",
        "customer ids in the lines": "customer ids in the lines",
        "share of lines with a customer id": "share of lines with a customer id",
        "share of revenue with a customer id": "share of revenue with a customer id",
        "first date": "first date",
        "last date": "last date",
        "analysis date": "analysis date",
        "days from the last date to the analysis date":
            "days from the last date to the analysis date",
        "months covered": "months covered",
        "months without any line": "months without any line",
        "exact duplicate lines": "exact duplicate lines",
        "values breaking the data model": "values breaking the data model",
        "attributes of a customer record": "attributes of a customer record",
        "mean filled attributes": "mean filled attributes",
        "customer records": "customer records",
        "people after merging": "people after merging",
        "records merged into another": "records merged into another",
        # the cleaning rules (crmwb.cleaning.RULES)
        "normalise_text": "Normalise text",
        "master_ids": "One id per person",
        "exact_duplicates": "Exact duplicates",
        "non_product_lines": "Non-product lines",
        "invalid_prices": "Invalid prices",
        "cancellations": "Cancellations",
        "anonymous_lines": "Lines without a customer",
        "outliers": "Extreme lines",
        "request": "Request", "complaint": "Complaint",
        "treatment": "Marketed",
        # the default causes of the Ishikawa diagram (notebook 06)
        "faulty batches": "faulty batches",
        "weak supplier checks": "weak supplier checks",
        "courier delays": "courier delays",
        "wrong address": "wrong address",
        "stock-outs": "stock-outs",
        "price changes": "price changes",
        "unclear discounts": "unclear discounts",
        "slow repairs": "slow repairs",
        "unclear terms": "unclear terms",
        "long waits on the phone": "long waits on the phone",
        "no reply to email": "no reply to email",
        # table headers and values shown as they are computed
        "derl_new": "Discounted expected lifetime of a new subscriber (periods)",
        "retention_1": "Retention in period 1", "retention_12": "Retention in period 12",
        "survival_12": "Survival to period 12", "survival_24": "Survival to period 24",
        "acquisition_channel": "Acquisition channel",
        "action": "Action",
        "actual_total": "Actual total",
        "age": "Age",
        "all": "All",
        "antecedent support": "Antecedent support",
        "antecedents": "Antecedents",
        "average_basket": "Average basket",
        "base_value": "Base value",
        "because": "Because",
        "brand": "Brand",
        "brands": "Brands",
        "main_brand_share": "Main brand's share",
        "brier": "Brier score",
        "buyers": "Buyers",
        "campaign_id": "Campaign",
        "campaign_responses": "Campaign responses",
        "campaigns_received": "Campaigns received",
        "categories": "Categories",
        "cell": "Cell",
        "channel": "Channel",
        "chat": "Chat",
        "churn_risk": "Churn risk",
        "churned": "Churned",
        "churned_share": "Share churned",
        "churners": "Churners",
        "ci_high": "95% interval, high",
        "ci_low": "95% interval, low",
        "city": "City",
        "clv_share": "Share of CLV",
        "column": "Column",
        "consequent support": "Consequent support",
        "consequents": "Consequents",
        "contract": "Contract",
        "control": "Control",
        "control_rate": "Control group rate",
        "conviction": "Conviction",
        "correlation": "Correlation",
        "cost": "Cost",
        "country": "Country",
        "csat_high": "CSAT, 95% high",
        "csat_low": "CSAT, 95% low",
        "cumulative_capture": "Cumulative share of churners",
        "delivery_complaints": "Delivery complaints",
        "description": "Description",
        "email": "Email",
        "estimate": "Estimate",
        "evidence": "Evidence",
        "expected_gain": "Expected gain",
        "failure_mode": "Failure mode",
        "filled": "Filled",
        "filled_share": "Share filled",
        "first_purchase": "First purchase",
        "frequency": "Frequency",
        "gender": "Gender",
        "gradient boosting": "Gradient boosting",
        "group": "Group",
        "historical_value": "Historical value",
        "in_person": "In person",
        "incremental_revenue": "Incremental revenue",
        "last_contact": "Last contact",
        "last_csat": "Last CSAT",
        "last_nps": "Last NPS score",
        "last_purchase": "Last purchase",
        "last_survey": "Last survey",
        "leverage": "Leverage",
        "lines_after": "Lines after",
        "lines_changed": "Lines changed",
        "lines_flagged": "Lines flagged",
        "lines_removed": "Lines removed",
        "log_likelihood": "Log-likelihood",
        "logistic regression": "Logistic regression",
        "marketed": "Marketed",
        "marketplace": "Marketplace",
        "master_id": "Master id",
        "max": "Maximum",
        "mean": "Mean",
        "mean_absolute_error": "Mean absolute error",
        "mean_cost_to_serve": "Mean cost to serve",
        "mean_csat": "Mean CSAT",
        "mean_days_to_resolve": "Mean days to resolve",
        "mean_frequency": "Mean frequency",
        "mean_price_realised": "Mean price realised",
        "mean_recency_days": "Mean days since last purchase",
        "median_clv": "Median CLV",
        "median_days_to_resolve": "Median days to resolve",
        "min": "Minimum",
        "missing": "Missing",
        "model": "Model",
        "monetary_value": "Monetary value",
        "month-to-month": "Month-to-month",
        "most popular": "Most popular",
        "each customer's last basket": "Each customer's last basket",
        "name": "Name",
        "next_offer": "Next offer",
        "next_offer_confidence": "Confidence of the next offer",
        "now": "Now",
        "nps_group": "NPS group",
        "nps_high": "NPS, 95% high",
        "nps_low": "NPS, 95% low",
        "one year": "One year",
        "online ads": "Online ads",
        "open_complaints": "Open complaints",
        "outlier": "Extreme",
        "p_value": "p-value",
        "phone": "Phone",
        "pr_auc": "PR-AUC",
        "predicted_total": "Predicted total",
        "price_ratio": "Price ratio",
        "problem": "Problem",
        "product_id": "Product",
        "products": "Products",
        "purchase_days": "Purchase days",
        "purchases": "Purchases",
        "pyramid_level": "Pyramid level",
        "question": "Question",
        "recency": "Recency",
        "records": "Records",
        "referral": "Referral",
        "region": "Region",
        "requests": "Requests",
        "responders": "Responders",
        "response_rate": "Response rate",
        "retained_rate": "Share who bought again",
        "returned_value": "Returned value",
        "returns": "Returns",
        "revenue_affected": "Revenue affected",
        "rfm_cell": "RFM cell",
        "rfm_segment": "RFM segment",
        "risk": "Risk",
        "rmse": "Root mean squared error",
        "roc_auc": "ROC-AUC",
        "roi": "Return on investment",
        "rule": "Rule",
        "rules": "Rules",
        "scenario": "Scenario",
        "sequence": "Sequence",
        "share_of_active": "Share of active customers",
        "share_of_buyers": "Share of buyers",
        "signup_date": "Sign-up date",
        "sms": "SMS",
        "social": "Social media",
        "social media": "Social media",
        "standard_error": "Standard error",
        "std": "Standard deviation",
        "store visit": "Store visit",
        "subscribers": "Subscribers",
        "tenure_days": "Tenure (days)",
        "total_clv": "Total CLV",
        "treated": "Marketed group",
        "treatment_rate": "Marketed group rate",
        "two year": "Two years",
        "unit_price": "Unit price",
        "unresolved_complaints": "Unresolved complaints",
        "uplift": "Uplift",
        "uplift_high": "Uplift, 95% high",
        "uplift_low": "Uplift, 95% low",
        "website": "Website",
        "zhangs_metric": "Zhang's metric",
        # a report's headline figures (crmwb.headlines), on its last page and the index
        "h_clean_lines": "Clean purchase lines",
        "h_people": "People behind the customer ids",
        "h_top20_revenue": "Revenue from the top 20% of customers",
        "h_unprofitable": "Unprofitable customers",
        "h_clv_total": "Total CLV of the current customers",
        "h_new_customer_value": "Value of a new customer",
        "h_best_model": "Best churn model",
        "h_campaign_profit": "Expected profit of the retention campaign",
        "h_strongest_rule": "Strongest rule",
        "h_at_risk": "Customers at risk (churn risk of 50% or more)",
        # what-if explorers (crmwb.whatif)
        "margin": "Margin (share of revenue)",
        "annual_discount_rate": "Discount rate a year",
        "retention_rise": "Rise in retention",
        "offer_cost": "Cost of contacting a customer",
        "incentive_cost": "Cost of the incentive",
        "acceptance_rate": "Would-be churners the offer keeps",
        "top_cutoff": "Top level ends at (share of active customers)",
        "big_cutoff": "Big level ends at",
        "medium_cutoff": "Medium level ends at",
        "title_retention_value": "Total CLV by retention rate (retention formula)",
        "yes": "Yes",
        "no": "No",
    },
    "fa": {
        # tables and their columns
        "yes": "بله",
        "no": "خیر",
        "transactions": "تراکنش‌ها",
        "customers": "مشتریان",
        "contacts": "تماس‌ها",
        "surveys": "نظرسنجی‌ها",
        "campaigns": "کمپین‌ها",
        "leads": "سرنخ‌ها (مشتریان احتمالی)",
        "suspects": "مظنونین",
        "catalogue": "کاتالوگ",
        "line_id": "شناسهٔ سطر",
        "quantity_bought": "مقدار خریده‌شده",
        "quantity_cancelled": "مقدار ابطال‌شده",
        "matched_quantity": "مقدار جفت‌شده",
        "unmatched_quantity": "مقدار جفت‌نشده",
        "cancellation_matches": "ابطال‌های جفت‌شده با خریدها",
        "duplicates": "نسخه‌های تکراری",
        "non_product": "سطرهای غیرکالایی",
        "cancelled_purchases": "خریدهای کاملاً ابطال‌شده",
        "anonymous": "سطرهای بی‌مشتری",
        "customer_records": "سوابق مشتری",
        "crosswalk": "شناسه‌ها و شناسه‌های اصلی",
        "identity_matches": "سوابقی که یک نفرند",
        "subscriptions": "اشتراک‌ها",
        "membership_plan": "طرح عضویت فروشگاه",
        "cleaning_log": "گزارش کار پاک‌سازی",
        "quality_summary": "کیفیت داده: خلاصه",
        "quality_completeness": "کیفیت داده: کامل بودن",
        "quality_validity": "کیفیت داده: اعتبار",
        "quality_months": "کیفیت داده: ماه‌ها",
        "quality_customer_completeness": "کیفیت داده: سوابق مشتری",
        "raw_sample": "نخستین سطرهای خام",
        "table": "جدول",
        "rows": "سطرها",
        "columns": "ستون‌ها",
        "customer_id": "مشتری",
        "invoice_id": "فاکتور",
        "date": "تاریخ",
        "month": "ماه",
        "weekday": "روز هفته",
        "revenue": "درآمد",
        "invoices": "فاکتورها",
        "lines": "سطرهای تراکنش",
        "style": "شیوهٔ خروجی",
        "example_date": "تاریخی به شکل نوشته‌شده",
        "example_price": "قیمتی به شکل نوشته‌شده",
        "identical": "بازخوانی بی‌تغییر",
        "europe": "اروپایی (Windows-1252، ؛، ۱.۲۳۴,۵، روز-اول)",
        "iran": "ایرانی (Windows-1256، ؛، تاریخ هجری شمسی)",
        "excel_unicode": "متن یونیکد اکسل (UTF-16، جدول‌بندی، ساعت دوازده‌ساعته)",
        "quantity": "تعداد",
        "customer_type": "نوع مشتری",
        "retail": "خرده‌فروشی",
        "wholesale": "عمده‌فروشی",
        "order_value": "مبلغ سفارش",
        "category": "دسته",
        "complaints": "شکایت‌ها",
        "count": "تعداد",
        "measure": "سنجه",
        "value": "مقدار",
        "first_date": "نخستین تاریخ",
        "last_date": "آخرین تاریخ",
        "cancellation_lines": "سطرهای ابطال",
        "lines_without_customer": "سطرهای بدون شناسهٔ مشتری",
        "mon": "دوشنبه", "tue": "سه‌شنبه", "wed": "چهارشنبه", "thu": "پنجشنبه", "fri": "جمعه",
        "sat": "شنبه", "sun": "یکشنبه",
        "quality_days": "کیفیت داده‌ها: سطرها در هر روز",
        # issue 21: words found left in English on Persian pages
        "lower_95": "کران پایین ۹۵٪",
        "upper_95": "کران بالای ۹۵٪",
        "alpha": "α",
        "beta": "β",
        "gamma": "γ",
        "revenue_earlier": "درآمد، بازهٔ پیشین",
        "revenue_recent": "درآمد، بازهٔ اخیر",
        "spend_trend": "روند خرج",
        "gap_ratio": "نسبت فاصله",
        "promoter": "مروج",
        "detractor": "منتقد",
        "retention_raised": "نگهداشت افزایش‌یافته",
        # churn features (crmwb.churn.churn_features)
        "mean_gap_days": "میانگین روزهای میان خریدها",
        "std_gap_days": "پراکندگی روزهای میان خریدها",
        "max_gap_days": "بلندترین فاصلهٔ میان خریدها (روز)",
        "complaint_after_last_purchase": "شکایت پس از آخرین خرید",
        "max_complaint_severity": "شدیدترین شکایت",
        "days_since_complaint": "روز از آخرین شکایت",
        "complaints_unresolved": "شکایت‌های حل‌نشده",
        "complaints_slow": "شکایت‌های دیر رسیدگی‌شده",
        "other_levels": "سایر",
        # units of an axis (crmwb.plots._unit)
        "log_scale": "مقیاس لگاریتمی",
        "cumulative": "تجمعی",
        # months of the year in each calendar (crmwb.i18n.month_label)
        "jalali_1": "فروردین",
        "jalali_2": "اردیبهشت",
        "jalali_3": "خرداد",
        "jalali_4": "تیر",
        "jalali_5": "مرداد",
        "jalali_6": "شهریور",
        "jalali_7": "مهر",
        "jalali_8": "آبان",
        "jalali_9": "آذر",
        "jalali_10": "دی",
        "jalali_11": "بهمن",
        "jalali_12": "اسفند",
        "gregorian_1": "ژانویه",
        "gregorian_2": "فوریه",
        "gregorian_3": "مارس",
        "gregorian_4": "آوریل",
        "gregorian_5": "مه",
        "gregorian_6": "ژوئن",
        "gregorian_7": "ژوئیه",
        "gregorian_8": "اوت",
        "gregorian_9": "سپتامبر",
        "gregorian_10": "اکتبر",
        "gregorian_11": "نوامبر",
        "gregorian_12": "دسامبر",
        # course map
        "idea_01_data_cleaning": "بارگذاری و پاک‌سازی تراکنش‌ها؛ ادغام مشتریانی که دو بار ثبت شده‌اند",
        "idea_02_segmentation": "RFM، هرم مشتری، خوشه‌ها، سودمندی و انواع وفاداری",
        "idea_03_clv": "ارزش طول عمر مشتری: تاریخی، BG/NBD و گاما-گاما",
        "idea_04_churn": "چه کسی می‌رود و کدام مشتریان را باید نگه داشت",
        "idea_05_basket": "سبد بازار: فروش متقاطع و فروش ارتقا یافته",
        "idea_06_service_quality": "شکایت‌ها، نظرسنجی‌های رضایت و کمپین‌ها",
        "stage": "مرحله",
        "idea": "کارکرد",
        "notebook": "دفترچه",
        "status": "وضعیت",
        "available": "موجود",
        "planned": "برنامه‌ریزی‌شده",
        "identify": "شناسایی مشتریان",
        "differentiate": "متمایز سازی",
        "interact": "تعامل",
        "customize": "سفارشی سازی",
        "overview": "نمای کلی",
        # overview figures
        "title_monthly_revenue": "درآمد ماهانه",
        "title_weekday_invoices": "فاکتورها بر حسب روز هفته",
        "title_order_value_by_type": "مبلغ سفارش بر حسب نوع مشتری",
        "title_complaints_by_category": "شکایت‌ها بر حسب دسته",
        "title_lines_by_month": "سطرهای تراکنش در هر ماه",
        "currency": "واحد پول",
        # quality of complaint categories
        "quality": "کیفیت",
        "delivery": "سرعت تحویل",
        "price": "قیمت",
        "warranty": "ضمانت",
        "responsiveness": "پاسخگویی",
        # segmentation (notebook 02)
        "champions": "قهرمانان", "loyal": "وفاداران", "potential loyalists": "وفاداران بالقوه",
        "new": "تازه‌واردها", "promising": "امیدوارکننده‌ها", "need attention": "نیازمند توجه",
        "about to sleep": "در آستانهٔ خواب", "at risk": "در خطر",
        "cannot lose them": "نباید از دستشان داد", "hibernating": "در خواب", "lost": "از دست رفته",
        "segment": "بخش",
        "customer_share": "سهم از مشتریان",
        "revenue_share": "سهم از درآمد",
        "profit_share": "سهم از سود",
        "recency_score": "امتیاز تازگی (R)",
        "frequency_score": "امتیاز تکرار (F)",
        "top": "ممتاز", "big": "بزرگ", "medium": "متوسط", "small": "کوچک",
        "inactive": "غیرفعال", "prospect": "مشتریان احتمالی", "suspect": "مظنونین",
        "level": "سطح",
        "hard-core": "بسیار وفادار", "split": "وفادار نسبی", "shifting": "وفاداری بی ثبات",
        "switcher": "بی وفا",
        "loyalty_type": "نوع وفاداری",
        "passive": "قهرمان/غیرفعال", "carriage trade": "متقاضی",
        "bargain basement": "ارزان/آشنا", "aggressive": "مهاجم",
        "net_price_realised": "قیمت خالص تحقق‌یافته (درآمد / ارزش مرجع)",
        "cost_to_serve_ratio": "هزینهٔ خدمت‌رسانی (هزینه‌های خدمت / درآمد)",
        "k": "تعداد خوشه‌ها k",
        "inertia": "اینرسی (مجموع مربعات درون خوشه‌ای)",
        "silhouette": "امتیاز سیلوئت",
        "cluster": "خوشه",
        "profit": "سود",
        "customers_ranked": "مشتریان به ترتیب سود (سهم)",
        "cumulative_profit_share": "سود تجمعی (سهم از کل)",
        "title_rfm_segments": "بخش‌های RFM: مشتریان و درآمد",
        "title_rf_heatmap": "مشتریان بر حسب امتیاز تازگی و تکرار",
        "title_elbow": "روش آرنج: اینرسی بر حسب k",
        "title_silhouette": "امتیاز سیلوئت بر حسب k",
        "title_clusters": "خوشه‌ها بر حسب تازگی و درآمد",
        "title_pyramid": "هرم مشتری",
        "title_whale_curve": "منحنی نهنگ",
        "title_profitability_matrix": "ماتریس سودمندی مشتری",
        "title_loyalty_types": "انواع وفاداری",
        "days_since_last_purchase": "روز از آخرین خرید",
        "customers_count": "مشتریان",
        # customer lifetime value (notebook 03)
        "clv": "ارزش طول عمر مشتری",
        "calibration_frequency": "خریدهای تکراری در دورهٔ برازش",
        "holdout_purchases": "میانگین خرید در دورهٔ آزمون",
        "actual": "واقعی",
        "predicted": "پیش‌بینی (مدل)",
        "expected": "مورد انتظار (مدل)",
        "cumulative_repeat_purchases": "خریدهای تکراری تجمعی",
        "calibration_end": "پایان دورهٔ برازش",
        "p_alive": "احتمال فعال بودن",
        "note_kind_clv": "مدل ارزش طول عمر",
        "note_kind_convergence": "برازش مدل",
        "note_kind_other": "هشدار",
        "recency_range": "تازگی (زمان آخرین خرید از نخستین خرید)",
        "repeat_purchases": "خریدهای تکراری",
        "periods": "دوره از زمان پیوستن",
        "survival": "سهم مشترکان باقی‌مانده",
        "mean_clv": "میانگین ارزش طول عمر",
        "title_conditional_expectations": "خریدهای دورهٔ آزمون بر حسب تکرار در دورهٔ برازش",
        "title_tracking": "خریدهای تکراری تجمعی: داده و مدل",
        "title_clv_distribution": "توزیع ارزش طول عمر مشتری",
        "title_clv_by_group": "میانگین ارزش طول عمر بر حسب گروه",
        "title_p_alive": "احتمال فعال بودن بر حسب تکرار و تازگی",
        "title_retention_curves": "بقای پیش‌بینی‌شده بر حسب قرارداد (sBG)",
        # churn (notebook 04)
        "churn_rate": "نرخ ریزش",
        "decile": "دهک ریسک (۱ = پرخطرترین)",
        "contacted_share": "سهم مشتریان تماس‌گرفته، از پرخطرترین",
        "captured_share": "سهم ریزش‌کنندگانی که به آن‌ها رسیدیم",
        "lift": "لیفت",
        "predicted_probability": "احتمال پیش‌بینی‌شدهٔ ریزش",
        "observed_rate": "نرخ مشاهده‌شدهٔ ریزش",
        "importance": "کاهش ROC-AUC با بر هم زدن ستون",
        "coefficient": "ضریب (استاندارد شده)",
        "per_unit": "به ازای هر واحد",
        "added_value": "افزایش احتمال",
        "no_resolved_complaint": "بی شکایت رسیدگی‌شده",
        "complaints_per_1000_customers": "شکایت در هر ۱۰۰۰ مشتری",
        "complaints_per_1000_orders": "شکایت در هر ۱۰۰۰ سفارش",
        "customers_contacted": "مشتریان تماس‌گرفته (k)",
        "expected_profit": "سود مورد انتظار",
        "tenure_months": "مدت عضویت (ماه)",
        "retention": "سهم مشترکان باقی‌مانده",
        "random": "تصادفی",
        "title_calibration": "کالیبراسیون: ریزش پیش‌بینی‌شده در برابر مشاهده‌شده",
        "title_gains": "منحنی بهرهٔ تجمعی",
        "title_lift": "لیفت",
        "title_deciles": "نرخ ریزش بر حسب دهک ریسک",
        "title_importance": "اهمیت جایگشتی",
        "title_coefficients": "ضرایب رگرسیون لجستیک",
        "title_profit_curve": "سود مورد انتظار پیشنهاد نگهداشت",
        "title_kaplan_meier": "نگهداشت کاپلان-مایر بر حسب قرارداد",
        # market baskets (notebook 05)
        "item": "قلم",
        "support": "پشتیبانی (سهم از سبدها)",
        "confidence": "اطمینان",
        "baskets": "سبدها",
        "title_item_frequencies": "پرتکرارترین اقلام",
        "title_rules": "قواعد وابستگی",
        "title_rule_network": "شبکهٔ قواعد (پیکان: از مقدم به تالی)",
        "title_cooccurrence": "سبدهایی که هر دو قلم را دارند",
        "title_support_by_weekday": "پشتیبانی بر حسب روز هفته",
        "title_support_by_month": "پشتیبانی بر حسب ماه",
        # service quality (notebook 06)
        "cumulative_share": "سهم تجمعی",
        "days_to_resolve": "روز تا رسیدگی",
        "complaints_count": "شکایت‌ها",
        "csat": "رضایت مشتری (سهم امتیازهای ۴ و ۵)",
        "nps": "خالص امتیاز ترویج‌کنندگان (NPS)",
        "service_level": "سطح خدمت",
        "no complaint": "بدون شکایت", "resolved quickly": "رسیدگی سریع",
        "resolved slowly": "رسیدگی کند", "unresolved": "رسیدگی‌نشده",
        "title_pareto": "شکایت‌ها بر حسب دسته (پارتو)",
        "title_resolution": "زمان رسیدگی به شکایت‌ها",
        "title_churn_by_handling": "ریزش بر حسب نحوهٔ رسیدگی به شکایت",
        "title_ishikawa": "علت و معلول (ایشیکاوا)",
        "title_satisfaction_by_month": "رضایت ماهانه",
        "title_complaints_by_month": "شکایت‌ها در هر ۱۰۰۰ سفارش، ماه به ماه",
        # customer 360, KPIs and cohorts (notebook 07)
        "characteristics": "ویژگی‌ها", "interactions": "تعامل‌ها",
        "attitudes": "نگرش‌ها", "enrichment": "غنی‌سازی", "dimension": "بُعد",
        "active_customers": "مشتریان فعال", "new_customers": "مشتریان جدید",
        "retained_customers": "مشتریان حفظ‌شده", "lost_customers": "مشتریان از دست رفته",
        "retention_rate": "نرخ نگهداشت",
        "orders": "سفارش‌ها", "average_order_value": "میانگین مبلغ سفارش",
        "purchase_frequency": "سفارش به ازای هر مشتری فعال",
        "average_clv": "میانگین ارزش طول عمر تا امروز",
        "complaint_rate": "شکایت به ازای هر مشتری فعال",
        "campaign_response_rate": "نرخ پاسخ به کمپین",
        "baseline": "خط مبنا", "latest": "آخرین", "change": "تغییر",
        "baseline_month": "ماه مبنا", "latest_month": "آخرین ماه",
        "change_kind": "نوع تغییر", "points": "واحد درصد", "relative": "نسبی",
        "kpi": "شاخص کلیدی عملکرد", "cohort": "ماه جذب", "full": "ماه کامل",
        "months_since_acquisition": "ماه از زمان جذب",
        "revenue_per_customer": "درآمد به ازای هر مشتری جذب‌شده",
        "next_action": "اقدام بعدی", "event": "رویداد", "detail": "جزئیات",
        "purchase": "خرید", "contact": "تماس", "survey": "نظرسنجی",
        "campaign": "کمپین",
        "resolve open complaint": "رسیدگی به شکایت باز",
        "retention offer": "پیشنهاد نگهداشت", "service recovery call": "تماس جبران خدمت",
        "win-back offer": "پیشنهاد بازگرداندن", "welcome and onboarding": "خوشامد و آشناسازی",
        "cross-sell offer": "پیشنهاد فروش متقاطع", "keep in touch": "حفظ ارتباط",
        "title_kpis": "شاخص‌های کلیدی CRM در هر ماه (خط‌چین: خط مبنا)",
        "title_cohort_retention": "نگهداشت بر حسب گروه جذب",
        "title_cohort_revenue": "درآمد به ازای هر مشتری جذب‌شده، بر حسب گروه",
        "title_customer_timeline": "خط زمانی مشتری",
        "title_next_actions": "مشتریان بر حسب اقدام بعدی",
        # report index
        "report_index_title": "گزارش‌های crmwb",
        "report": "گزارش",
        "run_time": "زمان اجرا",
        "seconds_short": "ثانیه",
        "parameters": "پارامترها",
        "ok": "موفق",
        "failed": "ناموفق",
        "not_run": "اجرا نشده",
        "weeks": "هفته", "days": "روز",
        # the words of cluster names (crmwb.segmentation), read one by one
        "recent": "تازه", "fading": "رو به افول", "lapsed": "ازدست‌رفته",
        "occasional": "گاه‌به‌گاه", "regular": "منظم", "frequent": "پرتکرار",
        "low-spending": "کم‌خرج", "mid-spending": "میان‌خرج",
        "high-spending": "پرخرج",
        # the data-quality report (crmwb.quality): questions and measures
        "How many customers are known individually?": "چند مشتری به‌صورت فردی شناخته می‌شوند؟",
        "How current is the database?": "پایگاه داده چقدر به‌روز است؟",
        "How accurate is the database?": "پایگاه داده چقدر دقیق است؟",
        "How much is known about each customer?": "دربارهٔ هر مشتری چه اندازه می‌دانیم؟",
        "Is the same person recorded under several ids?": "آیا یک نفر با چند شناسه ثبت شده است؟",
        "customer ids in the lines": "شناسه‌های مشتری در سطرها",
        "share of lines with a customer id": "سهم سطرهای دارای شناسهٔ مشتری",
        "share of revenue with a customer id": "سهم درآمد دارای شناسهٔ مشتری",
        "first date": "نخستین تاریخ",
        "last date": "آخرین تاریخ",
        "analysis date": "تاریخ تحلیل",
        "days from the last date to the analysis date": "روز از آخرین تاریخ تا تاریخ تحلیل",
        "months covered": "ماه‌های پوشش‌داده‌شده",
        "months without any line": "ماه‌های بدون هیچ سطر",
        "exact duplicate lines": "سطرهای کاملاً تکراری",
        "values breaking the data model": "مقادیر ناسازگار با مدل داده",
        "attributes of a customer record": "ویژگی‌های یک سابقهٔ مشتری",
        "mean filled attributes": "میانگین ویژگی‌های پرشده",
        "customer records": "سوابق مشتری",
        "people after merging": "افراد پس از ادغام",
        "records merged into another": "سوابق ادغام‌شده در سابقه‌ای دیگر",
        # the cleaning rules (crmwb.cleaning.RULES)
        "normalise_text": "یکسان‌سازی متن",
        "master_ids": "یک شناسه برای هر نفر",
        "exact_duplicates": "تکراری‌های کامل",
        "non_product_lines": "سطرهای غیرکالایی",
        "invalid_prices": "قیمت‌های نامعتبر",
        "cancellations": "ابطال‌ها",
        "anonymous_lines": "سطرهای بدون مشتری",
        "outliers": "سطرهای غیرعادی",
        "request": "درخواست", "complaint": "شکایت",
        "treatment": "هدف بازاریابی",
        # the default causes of the Ishikawa diagram (notebook 06)
        "faulty batches": "محموله‌های معیوب",
        "weak supplier checks": "بازرسی ضعیف تأمین‌کننده",
        "courier delays": "تأخیر پیک",
        "wrong address": "نشانی نادرست",
        "stock-outs": "تمام شدن موجودی",
        "price changes": "تغییر قیمت‌ها",
        "unclear discounts": "تخفیف‌های مبهم",
        "slow repairs": "تعمیر کند",
        "unclear terms": "شرایط مبهم",
        "long waits on the phone": "انتظار طولانی پشت تلفن",
        "no reply to email": "بی‌پاسخ ماندن ایمیل",
        # table headers and values shown as they are computed
        "derl_new": "طول عمر مورد انتظار تنزیل‌شدهٔ مشترک تازه (دوره)",
        "retention_1": "نگهداشت در دورهٔ ۱", "retention_12": "نگهداشت در دورهٔ ۱۲",
        "survival_12": "بقا تا دورهٔ ۱۲", "survival_24": "بقا تا دورهٔ ۲۴",
        "acquisition_channel": "کانال جذب",
        "action": "اقدام",
        "actual_total": "مجموع واقعی",
        "age": "سن",
        "all": "همه",
        "antecedent support": "پشتیبانی مقدم",
        "antecedents": "مقدم‌ها",
        "average_basket": "میانگین سبد",
        "base_value": "ارزش پایه",
        "because": "به دلیل",
        "brand": "برند",
        "brands": "برندها",
        "main_brand_share": "سهم برند اصلی",
        "brier": "امتیاز بریر",
        "buyers": "خریداران",
        "campaign_id": "کمپین",
        "campaign_responses": "پاسخ‌ها به کمپین",
        "campaigns_received": "کمپین‌های دریافتی",
        "categories": "دسته‌ها",
        "cell": "خانه",
        "channel": "کانال",
        "chat": "گفتگوی برخط",
        "churn_risk": "ریسک ریزش",
        "churned": "ریزش‌کرده",
        "churned_share": "سهم ریزش‌کرده",
        "churners": "ریزش‌کنندگان",
        "ci_high": "بازهٔ ۹۵٪، بالا",
        "ci_low": "بازهٔ ۹۵٪، پایین",
        "city": "شهر",
        "clv_share": "سهم از ارزش طول عمر",
        "column": "ستون",
        "consequent support": "پشتیبانی تالی",
        "consequents": "تالی‌ها",
        "contract": "قرارداد",
        "control": "کنترل",
        "control_rate": "نرخ گروه کنترل",
        "conviction": "اعتقاد",
        "correlation": "همبستگی",
        "cost": "هزینه",
        "country": "کشور",
        "csat_high": "رضایت، بالای بازهٔ ۹۵٪",
        "csat_low": "رضایت، پایین بازهٔ ۹۵٪",
        "cumulative_capture": "سهم تجمعی ریزش‌کنندگان",
        "delivery_complaints": "شکایت‌های تحویل",
        "description": "شرح",
        "email": "ایمیل",
        "estimate": "برآورد",
        "evidence": "شاهد",
        "expected_gain": "سود مورد انتظار",
        "failure_mode": "حالت خرابی",
        "filled": "پرشده",
        "filled_share": "سهم پرشده",
        "first_purchase": "نخستین خرید",
        "frequency": "تکرار",
        "gender": "جنسیت",
        "gradient boosting": "تقویت گرادیانی",
        "group": "گروه",
        "historical_value": "ارزش تاریخی",
        "in_person": "حضوری",
        "incremental_revenue": "درآمد افزایشی",
        "last_contact": "آخرین تماس",
        "last_csat": "آخرین امتیاز رضایت",
        "last_nps": "آخرین امتیاز NPS",
        "last_purchase": "آخرین خرید",
        "last_survey": "آخرین نظرسنجی",
        "leverage": "اهرم",
        "lines_after": "سطرهای پس از آن",
        "lines_changed": "سطرهای تغییریافته",
        "lines_flagged": "سطرهای علامت‌خورده",
        "lines_removed": "سطرهای حذف‌شده",
        "log_likelihood": "لگاریتم درست‌نمایی",
        "logistic regression": "رگرسیون لجستیک",
        "marketed": "هدف بازاریابی",
        "marketplace": "بازارگاه",
        "master_id": "شناسهٔ اصلی",
        "max": "بیشینه",
        "mean": "میانگین",
        "mean_absolute_error": "میانگین خطای مطلق",
        "mean_cost_to_serve": "میانگین هزینهٔ خدمت‌رسانی",
        "mean_csat": "میانگین رضایت",
        "mean_days_to_resolve": "میانگین روز تا رسیدگی",
        "mean_frequency": "میانگین تکرار",
        "mean_price_realised": "میانگین قیمت تحقق‌یافته",
        "mean_recency_days": "میانگین روز از آخرین خرید",
        "median_clv": "میانهٔ ارزش طول عمر",
        "median_days_to_resolve": "میانهٔ روز تا رسیدگی",
        "min": "کمینه",
        "missing": "گمشده",
        "model": "مدل",
        "monetary_value": "ارزش پولی",
        "month-to-month": "ماه به ماه",
        "most popular": "پرفروش‌ترین",
        "each customer's last basket": "آخرین سبد هر مشتری",
        "name": "نام",
        "next_offer": "پیشنهاد بعدی",
        "next_offer_confidence": "اطمینان پیشنهاد بعدی",
        "now": "اکنون",
        "nps_group": "گروه NPS",
        "nps_high": "NPS، بالای بازهٔ ۹۵٪",
        "nps_low": "NPS، پایین بازهٔ ۹۵٪",
        "one year": "یک ساله",
        "online ads": "تبلیغات برخط",
        "open_complaints": "شکایت‌های باز",
        "outlier": "غیرعادی",
        "p_value": "مقدار p",
        "phone": "تلفن",
        "pr_auc": "سطح زیر منحنی PR",
        "predicted_total": "مجموع پیش‌بینی‌شده",
        "price_ratio": "نسبت قیمت",
        "problem": "مشکل",
        "product_id": "کالا",
        "products": "کالاها",
        "purchase_days": "روزهای خرید",
        "purchases": "خریدها",
        "pyramid_level": "سطح هرم",
        "question": "پرسش",
        "recency": "تازگی",
        "records": "سوابق",
        "referral": "معرفی",
        "region": "منطقه",
        "requests": "درخواست‌ها",
        "responders": "پاسخ‌دهندگان",
        "response_rate": "نرخ پاسخ",
        "retained_rate": "سهم خرید دوباره",
        "returned_value": "ارزش مرجوعی",
        "returns": "مرجوعی‌ها",
        "revenue_affected": "درآمد متأثر",
        "rfm_cell": "خانهٔ RFM",
        "rfm_segment": "بخش RFM",
        "risk": "ریسک",
        "rmse": "ریشهٔ میانگین مربعات خطا",
        "roc_auc": "سطح زیر منحنی ROC",
        "roi": "بازده سرمایه",
        "rule": "قاعده",
        "rules": "قواعد",
        "scenario": "سناریو",
        "sequence": "توالی",
        "share_of_active": "سهم از مشتریان فعال",
        "share_of_buyers": "سهم از خریداران",
        "signup_date": "تاریخ ثبت‌نام",
        "sms": "پیامک",
        "social": "شبکه‌های اجتماعی",
        "social media": "شبکه‌های اجتماعی",
        "standard_error": "خطای استاندارد",
        "std": "انحراف معیار",
        "store visit": "مراجعه به فروشگاه",
        "subscribers": "مشترکان",
        "tenure_days": "مدت عضویت (روز)",
        "total_clv": "مجموع ارزش طول عمر",
        "treated": "گروه هدف",
        "treatment_rate": "نرخ گروه هدف",
        "two year": "دو ساله",
        "unit_price": "قیمت واحد",
        "unresolved_complaints": "شکایت‌های رسیدگی‌نشده",
        "uplift": "اثر افزایشی",
        "uplift_high": "اثر افزایشی، بالای بازهٔ ۹۵٪",
        "uplift_low": "اثر افزایشی، پایین بازهٔ ۹۵٪",
        "website": "وب‌سایت",
        "zhangs_metric": "سنجهٔ ژانگ",
        "h_clean_lines": "سطرهای خرید پاک",
        "h_people": "افراد پشت شناسه‌های مشتری",
        "h_top20_revenue": "درآمد از ۲۰٪ برتر مشتریان",
        "h_unprofitable": "مشتریان زیان‌ده",
        "h_clv_total": "ارزش طول عمر کل مشتریان کنونی",
        "h_new_customer_value": "ارزش یک مشتری تازه",
        "h_best_model": "بهترین مدل ریزش",
        "h_campaign_profit": "سود مورد انتظار کمپین نگهداشت",
        "h_strongest_rule": "قوی‌ترین قاعده",
        "h_at_risk": "مشتریان در خطر (ریسک ریزش ۵۰٪ یا بیشتر)",
        "margin": "حاشیهٔ سود (سهم از درآمد)",
        "annual_discount_rate": "نرخ تنزیل سالانه",
        "retention_rise": "افزایش نگهداشت",
        "offer_cost": "هزینهٔ تماس با هر مشتری",
        "incentive_cost": "هزینهٔ مشوق",
        "acceptance_rate": "سهم ریزش‌کنندگانی که پیشنهاد نگه می‌دارد",
        "top_cutoff": "پایان سطح ممتاز (سهم از مشتریان فعال)",
        "big_cutoff": "پایان سطح بزرگ",
        "medium_cutoff": "پایان سطح متوسط",
        "title_retention_value": "مجموع ارزش طول عمر بر حسب نرخ نگهداشت (فرمول نگهداشت)",
    },
}

#: the words of a table one can search and sort (DataTables' ``language`` option; _START_,
#: _END_, _TOTAL_, _MAX_ and _MENU_ are filled in by the table)
TABLE_CONTROLS: dict[str, dict] = {
    "en": {
        "search": "Search:", "lengthMenu": "_MENU_ rows a page",
        "info": "Rows _START_ to _END_ of _TOTAL_", "infoEmpty": "No rows",
        "infoFiltered": "(found among _MAX_)", "zeroRecords": "No row matches",
        "emptyTable": "No rows", "thousands": ",", "decimal": ".",
        "paginate": {"first": "First", "last": "Last", "next": "Next", "previous": "Previous"},
    },
    "fa": {
        "search": "جستجو:", "lengthMenu": "_MENU_ سطر در هر صفحه",
        "info": "سطر _START_ تا _END_ از _TOTAL_", "infoEmpty": "سطری نیست",
        "infoFiltered": "(یافته از میان _MAX_)", "zeroRecords": "سطری جور نیست",
        "emptyTable": "سطری نیست", "thousands": "٬", "decimal": "٫",
        "paginate": {"first": "نخست", "last": "آخر", "next": "بعدی", "previous": "قبلی"},
    },
}

#: printed sentences of the notebooks, by language: str.format templates whose dates
#: are written in the reader's calendar and numbers in their digits (:meth:`Glossary.say`)
SENTENCES: dict[str, dict[str, str]] = {
    "en": {
        "rows_of": "{shown:,} of {total:,} rows",
        "explore_first": (
            "the first {shown:,} of {total:,} rows; the whole table is in the exported file"
        ),
        "s00_facts": (
            "{lines:,} lines on {invoices:,} invoices from {customers:,} customer ids, "
            "{first:%Y-%m-%d} to {last:%Y-%m-%d}; {no_id:.1%} of lines have no customer id."
        ),
        "s01_merged": (
            "{records:,} customer records are {people:,} people: {merged:,} records merged "
            "into another."
        ),
        "s01_review": "{groups:,} people have three or more records: listed for review.",
        "s01_prepared": (
            "Prepared from {files:,} source file(s) ({size:,.1f} MB, {lines:,} lines) on "
            "{created} UTC; the manifest lists each file with its SHA-256."
        ),
        "s01_no_records": (
            "No customer records (names, emails, phones) to match: each customer id is one "
            "customer."
        ),
        "s01_unmatched": (
            "{unmatched:,} cancellation lines matched no earlier purchase of the same "
            "customer and product; {flagged:,} lines are flagged as extreme."
        ),
        "s01_written": "{before:,} raw lines -> {after:,} clean lines, written to {target}",
        "s01_accounted": (
            "Every one of the {lines_in:,} lines is in exactly one table: {clean:,} clean, "
            "{duplicates:,} duplicate copies, {non_product:,} non-product, {invalid:,} with an "
            "invalid price, {cancellations:,} cancellations, {cancelled:,} purchases cancelled "
            "in full, {anonymous:,} anonymous lines set aside."
        ),
        "s02_summary": (
            "{customers:,} customers with a purchase up to {end:%Y-%m-%d}; median of "
            "{invoices:.0f} invoices and {revenue:,.0f} in revenue each."
        ),
        "s02_rfm": (
            "The largest share of revenue, {revenue:.0%}, comes from the {customers:.0%} of "
            "customers who are {segment}."
        ),
        "s02_pyramid": (
            "The top and big levels, {active:.0%} of active customers, bring {revenue:.0%} of"
            " the window's revenue"
        ),
        "s02_whale": (
            "{unprofitable:.0%} of customers are unprofitable; the most profitable {top:.0%} "
            "bring {top_profit:.0%} of total profit, and the curve peaks at {peak:.0%} of it "
            "(the course's rule of thumb: about 20% unprofitable, 20% bringing most of the "
            "profit)."
        ),
        "s02_k_silhouette": "k = {k}: the best silhouette of the k tried ({score:.2f}).",
        "s02_k_min_k": (
            "The silhouette prefers k = {best} ({best_score:.2f}); k = {k} is used ({score:.2f}), "
            "the best of at least {min_k} (parameter min_clusters): fewer clusters of RFM data "
            "mostly split active from lapsed customers, which the RFM segments already show."
        ),
        "s02_k_given": (
            "k = {k}, as set by n_clusters; the silhouette prefers k = {best} ({best_score:.2f})."
        ),
        "s02_loyalty": (
            "{customers:,} customers have a brand sequence of at least {purchases} purchase "
            "occasions."
        ),
        "s02_no_brand": (
            "These transactions have no brand column: loyalty types need the brand of each "
            "line."
        ),
        "s02_split": (
            "The split read from the data agrees with the recorded customer type for "
            "{agree:.0%} of customers."
        ),
        "s03_customers": "{customers:,} customers; data up to {end:%Y-%m-%d}.",
        "s03_base": (
            "Base value to date: {total:,.0f} in total, {median:,.0f} for the median "
            "customer."
        ),
        "s03_referral": (
            "{share:.0%} of customers came by referral: the raw material of a networking "
            "value, once referrals are tied to the customers who made them."
        ),
        "s03_no_channel": (
            "No acquisition channel recorded: networking value cannot be estimated from this "
            "data."
        ),
        "s03_retention": (
            "Observed annual retention: {r:.1%}. Raising it by {rise:.0%} points raises the "
            "total retention-formula CLV by {change:.0%}."
        ),
        "s03_holdout": "Calibration up to {end:%Y-%m-%d}; holdout of {duration:.1f} {unit}.",
        "s03_tracking": (
            "By {end:%Y-%m-%d} the customers made {actual:,.0f} repeat purchases; the model, "
            "fitted before the holdout, expected {expected:,.0f}."
        ),
        "s03_gamma": "Correlation of frequency and spend among repeat buyers: {correlation:.2f}",
        "s03_clv": (
            "Expected margin over the next {months} months: {total:,.0f} in total; the top "
            "10% of customers hold {top:.0%} of it."
        ),
        "s03_new_customer": (
            "A new customer is worth {value:,.2f} over {months} months (the current customers "
            "{current:,.2f} on average): the most to spend acquiring one."
        ),
        "s03_subscriptions": "{subscribers:,} subscribers, from {source}.",
        "s03_no_subscriptions": (
            "The data have no subscriptions table: set subscriptions_path to a table with "
            "tenure, churned and contract (subscriptions_preset: telco_churn for IBM's Telco "
            "table). Bundled data written by an older crmwb lack the membership plan: "
            "crmwb data generate --overwrite writes it anew."
        ),
        "s04_windows": (
            "Training: {train:,} customers active at {train_at:%Y-%m-%d}, {train_rate:.0%} "
            "churned in the next {days} days. Evaluation: {test:,} customers at "
            "{test_at:%Y-%m-%d}, {test_rate:.0%} churned."
        ),
        "s04_sample": (
            "The models learn from a random sample of {fit:,} of the {train:,} training "
            "customers (same churn rate); every customer is evaluated and scored."
        ),
        "s04_chosen": (
            "Chosen by cross-validation in the training window: {model} (ROC-AUC {auc:.3f})."
        ),
        "s04_best": (
            "At the later cutoff, the chosen model ({model}) has a ROC-AUC of {auc:.3f}, against "
            "{recency:.3f} for recency alone."
        ),
        "s04_campaign": (
            "Contact the top {k:,} of {customers:,} customers: expected profit {profit:,.0f}."
        ),
        "s04_contact_list": "{customers:,} customers written to {target}",
        "note_warning": "Note ({kind}): {message}",
        "s05_baskets": (
            "{baskets:,} baskets of {items:,} distinct items, {per_basket:.1f} items per "
            "basket on average."
        ),
        "plot_sample": "{shown:,} of {total:,} customers shown, drawn at random",
        "s05_sample": (
            "The analysis reads a fixed sample of {sample:,} of the {baskets:,} baskets "
            "(whole invoices, the same every run; max_baskets sets its size): supports and "
            "lifts are within a few hundredths of a percentage point of the full count."
        ),
        "s05_rules": "{rules:,} rules with lift of at least {lift} (itemsets found by {miner}).",
        "s05_basket": "Basket: {items}",
        "s05_hit_rate": (
            "Offers from the rules name an item of the rest of the basket for {rules:.0%} of "
            "customers, the most popular items for {popular:.0%}."
        ),
        "s05_hit_rate_after": (
            "Judged as offers are used, with rules from the baskets before {date} and offers "
            "for {customers:,} customers' baskets from then on: {rules:.0%} for the rules, "
            "{popular:.0%} for the most popular items."
        ),
        "s05_baskets_from": "Last basket from {date}",
        "s05_no_customers": (
            "No customers to hold out baskets for: the hit rate needs baskets with customer "
            "ids."
        ),
        "s05_upsell": (
            "Customers who bought {item} also bought these dearer items of its category:"
        ),
        "s05_no_prices": "Up-selling needs product prices and categories.",
        "s05_no_dates": "No dates: baskets cannot be followed over time.",
        "s06_driver_constant": "{driver} is left out of the model: it never varies in these data.",
        "s06_driver_collinear": "{driver} is left out of the model: the other drivers fix it.",
        "s06_vital_few": "The vital few: {categories} bring {share:.0%} of complaints.",
        "s06_resolution": (
            "{resolved:.0%} of complaints are resolved, half within {days:.1f} days; "
            "{within:.0%} meet the {target:g}-day service level."
        ),
        "s06_repeat": "{customers:,} customers complained more than once.",
        "s06_quick": (
            "Customers whose complaints were all resolved within {days:g} days: {quick:.0%} "
            "bought again (the course: 96% of complainants handled quickly stay); without a "
            "complaint: {none:.0%}."
        ),
        "s06_silent": (
            "Of {dissatisfied:,.0f} customers who gave a score of 2 or less, {complained:.0%}"
            " had complained (the course: 4-6%); {silent:,.0f} never did."
        ),
        "s06_uplift": (
            "{campaign}: {response:.1%} of the customers marketed responded against "
            "{control:.1%} in the control group: an uplift of {uplift:.1%} (95% interval "
            "{low:.1%} to {high:.1%}, p = {p:.3f})."
        ),
        "s06_no_campaigns": "No campaigns table.",
        "s07_table": (
            "{customers:,} customers as of {as_of:%Y-%m-%d}, {columns} columns: {dimensions}."
        ),
        "s07_written": "Written: {paths}",
        "s07_actions": (
            "The most common next action is {action} ({customers:,} customers, {share:.0%}); "
            "{waiting:,} customers wait for a complaint to be resolved."
        ),
        "s07_card": "Customer {customer}: next action {action}{offer}.",
        "s07_kpis": (
            "Baseline {baseline:%Y-%m}, latest full month {latest:%Y-%m}: retention went from"
            " {before:.0%} to {after:.0%} ({points:+.1f} points) and revenue changed by "
            "{revenue:+.0%}."
        ),
        "s07_cohorts": (
            "Three months after acquisition, {first:.0%} of the first cohort "
            "({first_cohort:%Y-%m}) still bought, against {latest:.0%} of the latest cohort "
            "that has reached three months ({latest_cohort:%Y-%m})."
        ),
        "pyramid_profit": " and {profit:.0%} of its profit.",
        "correlation_high": " (too high: treat the spend estimates with care).",
        "correlation_low": " (low enough).",
        # the customer card's timeline (crmwb.customer360.customer_card)
        "card_contact": "{kind}: {category} via {channel}",
        "card_survey": "CSAT {csat}, NPS {nps}",
        "card_campaign": "{campaign} ({group})",
        "card_campaign_responded": "{campaign} ({group}), responded",
        "card_items_more": "{items} and {more} more",
        # the cleaning log (crmwb.cleaning.describe_log)
        "log_normalise_text": "trimmed and upper-cased codes, tidied descriptions",
        "log_master_ids": "{lines:,} lines moved to their person's master customer id",
        "log_exact_duplicates": "set aside lines identical in every column",
        "log_non_product_lines": "set aside postage, bank charges, adjustments, fees",
        "log_invalid_prices": "set aside lines with a zero or negative unit price",
        "log_cancellations": (
            "separated {cancelled} cancellation lines ({unmatched} not fully matched); set "
            "aside {gone} fully cancelled purchases, reduced {partial}; {c_positive} lines "
            "with a C invoice and a positive quantity kept as purchases"
        ),
        "log_anonymous_kept": "kept {lines} lines without a customer id (baskets only)",
        "log_anonymous_removed": "removed lines without a customer id",
        "log_outliers": (
            "flagged lines more than {threshold:g} robust standard deviations above the "
            "median log line value (kept)"
        ),
    },
    "fa": {
        "rows_of": "{shown:,} از {total:,} سطر",
        "explore_first": "{shown:,} سطر نخست از {total:,}؛ همهٔ جدول در فایل خروجی است",
        "s00_facts": (
            "{lines:,} سطر در {invoices:,} فاکتور از {customers:,} شناسهٔ مشتری، از {first} "
            "تا {last}؛ {no_id:.1%} از سطرها شناسهٔ مشتری ندارند."
        ),
        "s01_merged": (
            "{records:,} سابقهٔ مشتری متعلق به {people:,} نفر است: {merged:,} سابقه در "
            "سابقه‌ای دیگر ادغام شد."
        ),
        "s01_review": "{groups:,} نفر سه سابقه یا بیشتر دارند: برای بازبینی فهرست شده‌اند.",
        "s01_prepared": (
            "آماده‌شده از {files:,} پروندهٔ منبع ({size:,.1f} مگابایت، {lines:,} سطر) در "
            "{created} به وقت جهانی؛ فهرست (manifest.json) هر پرونده را با چکیدهٔ SHA-256 آن "
            "نام می‌برد."
        ),
        "s01_no_records": (
            "سابقهٔ مشتری (نام، ایمیل، تلفن) برای تطبیق نیست: هر شناسهٔ مشتری یک مشتری است."
        ),
        "s01_unmatched": (
            "{unmatched:,} سطر ابطال با هیچ خرید پیشینی از همان مشتری و کالا جفت نشد؛ "
            "{flagged:,} سطر غیرعادی علامت خورد."
        ),
        "s01_written": "{before:,} سطر خام ← {after:,} سطر پاک، نوشته‌شده در {target}",
        "s01_accounted": (
            "هر یک از {lines_in:,} سطر دقیقاً در یک جدول است: {clean:,} سطر پاک، "
            "{duplicates:,} نسخهٔ تکراری، {non_product:,} سطر غیرکالا، {invalid:,} سطر با قیمت "
            "نامعتبر، {cancellations:,} ابطال، {cancelled:,} خریدِ کاملاً باطل‌شده و "
            "{anonymous:,} سطر بی‌نامِ کنارگذاشته."
        ),
        "s02_summary": (
            "{customers:,} مشتری با خرید تا {end}؛ میانهٔ هر مشتری {invoices:.0f} فاکتور و "
            "{revenue:,.0f} درآمد."
        ),
        "s02_rfm": (
            "بیشترین سهم درآمد، {revenue:.0%}، از {customers:.0%} مشتریانی می‌آید که در بخش "
            "«{segment}» هستند."
        ),
        "s02_pyramid": (
            "سطح‌های ممتاز و بزرگ، {active:.0%} از مشتریان فعال، {revenue:.0%} از درآمد بازه "
            "را می‌آورند"
        ),
        "s02_whale": (
            "{unprofitable:.0%} از مشتریان ناسودمندند؛ {top:.0%} سودمندترین، {top_profit:.0%}"
            " از کل سود را می‌آورند، و منحنی در {peak:.0%} آن به اوج می‌رسد (قاعدهٔ سرانگشتی "
            "درس: حدود ۲۰٪ ناسودمند، ۲۰٪ آورندهٔ بیشتر سود)."
        ),
        "s02_k_silhouette": "k = {k}: بهترین امتیاز سیلوئت در میان kهای آزموده ({score:.2f}).",
        "s02_k_min_k": (
            "امتیاز سیلوئت k = {best} را ترجیح می‌دهد ({best_score:.2f})؛ k = {k} به کار رفته است "
            "({score:.2f})، بهترین k دست‌کم {min_k} (پارامتر \u2068min_clusters\u2069): "
            "خوشه‌های کمتر دادهٔ RFM "
            "بیشتر مشتریان فعال را از رفته جدا می‌کنند، که بخش‌های RFM خود نشان می‌دهند."
        ),
        "s02_k_given": (
            "k = {k}، آن‌گونه که n_clusters تعیین کرده؛ امتیاز سیلوئت k = {best} را ترجیح می‌دهد "
            "({best_score:.2f})."
        ),
        "s02_loyalty": "{customers:,} مشتری توالی برندی با دست‌کم {purchases} نوبت خرید دارند.",
        "s02_no_brand": "این تراکنش‌ها ستون برند ندارند: انواع وفاداری به برند هر سطر نیاز دارند.",
        "s02_split": (
            "تفکیکی که از داده‌ها خوانده شد برای {agree:.0%} از مشتریان با نوع مشتری ثبت‌شده "
            "یکی است."
        ),
        "s03_customers": "{customers:,} مشتری؛ داده‌ها تا {end}.",
        "s03_base": "ارزش پایه تا امروز: در کل {total:,.0f}، و {median:,.0f} برای مشتری میانه.",
        "s03_referral": (
            "{share:.0%} از مشتریان از راه معرفی آمده‌اند: مادهٔ خام ارزش شبکه، وقتی معرفی‌ها"
            " به مشتریان معرف پیوند بخورند."
        ),
        "s03_no_channel": (
            "کانال جذب ثبت نشده است: ارزش شبکه را نمی‌توان از این داده‌ها برآورد کرد."
        ),
        "s03_retention": (
            "نرخ نگهداشت سالانهٔ مشاهده‌شده: {r:.1%}. افزایش آن به اندازهٔ {rise:.0%} واحد، "
            "کل ارزش طول عمر فرمول نگهداشت را {change:.0%} بالا می‌برد."
        ),
        "s03_holdout": "برازش تا {end}؛ دورهٔ آزمون {duration:.1f} {unit}.",
        "s03_tracking": (
            "تا {end} مشتریان {actual:,.0f} خرید تکراری کردند؛ مدل، که پیش از دورهٔ آزمون "
            "برازش شده بود، {expected:,.0f} انتظار داشت."
        ),
        "s03_gamma": "همبستگی تکرار خرید و مبلغ خرید در میان خریداران تکراری: {correlation:.2f}",
        "s03_clv": (
            "حاشیهٔ مورد انتظار در {months} ماه آینده: در کل {total:,.0f}؛ ۱۰٪ بالای مشتریان "
            "{top:.0%} آن را دارند."
        ),
        "s03_new_customer": (
            "یک مشتری تازه در {months} ماه {value:,.2f} می‌ارزد (مشتریان کنونی به طور میانگین "
            "{current:,.2f}): بیشترین هزینه برای جذب یک مشتری."
        ),
        "s03_subscriptions": "{subscribers:,} مشترک، از {source}.",
        "s03_no_subscriptions": (
            "داده‌ها جدول اشتراک ندارند: subscriptions_path را به جدولی با ستون‌های tenure، "
            "churned و contract بدهید (برای جدول Telco شرکت IBM، subscriptions_preset را "
            "telco_churn بگذارید). داده‌های همراهی که crmwb قدیمی‌تر نوشته طرح عضویت ندارند: "
            "crmwb data generate --overwrite آن‌ها را از نو می‌نویسد."
        ),
        "s04_windows": (
            "آموزش: {train:,} مشتری فعال در {train_at}، {train_rate:.0%} در {days} روز بعد "
            "ریزش کردند. ارزیابی: {test:,} مشتری در {test_at}، {test_rate:.0%} ریزش کردند."
        ),
        "s04_sample": (
            "مدل‌ها از نمونه‌ای تصادفی از {fit:,} نفر از {train:,} مشتری آموزشی یاد می‌گیرند "
            "(با همان نرخ ریزش)؛ همهٔ مشتریان ارزیابی و امتیازدهی می‌شوند."
        ),
        "s04_chosen": (
            "برگزیده با اعتبارسنجی متقاطع در بازهٔ آموزش: {model} (ROC-AUC {auc:.3f})."
        ),
        "s04_best": (
            "در برش دیرتر، مدل برگزیده ({model}) ROC-AUC برابر {auc:.3f} دارد، در برابر "
            "{recency:.3f} برای تازگی به تنهایی."
        ),
        "s04_campaign": (
            "با {k:,} نفر بالای فهرست از {customers:,} مشتری تماس بگیرید: سود مورد انتظار "
            "{profit:,.0f}."
        ),
        "s04_contact_list": "{customers:,} مشتری در {target} نوشته شد",
        "note_warning": "یادداشت ({kind}): {message}",
        "s05_baskets": (
            "{baskets:,} سبد از {items:,} قلم متمایز، به طور میانگین {per_basket:.1f} قلم در "
            "هر سبد."
        ),
        "plot_sample": "{shown:,} از {total:,} مشتری نشان داده شده، به تصادف",
        "s05_sample": (
            "تحلیل روی نمونه‌ای ثابت از {sample:,} سبد از {baskets:,} سبد انجام می‌شود "
            "(فاکتورهای کامل، در هر اجرا همان‌ها؛ اندازه‌اش را max_baskets تعیین می‌کند): "
            "پشتیبان و لیفت تا چند صدم درصد با شمارش کامل یکی است."
        ),
        "s05_rules": "{rules:,} قاعده با لیفت دست‌کم {lift} (مجموعه‌اقلام یافته با {miner}).",
        "s05_basket": "سبد: {items}",
        "s05_hit_rate": (
            "پیشنهادهای قواعد برای {rules:.0%} از مشتریان قلمی از بقیهٔ سبد را نام می‌برند، و"
            " پرفروش‌ترین اقلام برای {popular:.0%}."
        ),
        "s05_hit_rate_after": (
            "با سنجشی همان‌گونه که پیشنهادها به کار می‌روند، با قواعدی از سبدهای پیش از {date} و"
            " پیشنهاد برای سبدهای {customers:,} مشتری از آن پس: {rules:.0%} برای قواعد و"
            " {popular:.0%} برای پرفروش‌ترین اقلام."
        ),
        "s05_baskets_from": "آخرین سبد از {date}",
        "s05_no_customers": (
            "مشتری‌ای برای کنار گذاشتن سبد نیست: نرخ اصابت به سبدهایی با شناسهٔ مشتری نیاز "
            "دارد."
        ),
        "s05_upsell": "مشتریانی که {item} خریدند این اقلام گران‌تر از همان دسته را هم خریدند:",
        "s05_no_prices": "فروش ارتقا یافته به قیمت و دستهٔ کالاها نیاز دارد.",
        "s05_no_dates": "تاریخی نیست: سبدها را نمی‌توان در گذر زمان دنبال کرد.",
        "s06_driver_constant": "{driver} از مدل کنار گذاشته شد: در این داده‌ها هرگز تغییر نمی‌کند.",
        "s06_driver_collinear": "{driver} از مدل کنار گذاشته شد: عامل‌های دیگر آن را تعیین می‌کنند.",
        "s06_vital_few": "معدود حیاتی: {categories}، {share:.0%} از شکایت‌ها را می‌سازند.",
        "s06_resolution": (
            "{resolved:.0%} از شکایت‌ها رسیدگی شده‌اند، نیمی در کمتر از {days:.1f} روز؛ "
            "{within:.0%} سطح خدمت {target:g} روزه را برآورده می‌کنند."
        ),
        "s06_repeat": "{customers:,} مشتری بیش از یک بار شکایت کردند.",
        "s06_quick": (
            "مشتریانی که همهٔ شکایت‌هایشان در کمتر از {days:g} روز رسیدگی شد: {quick:.0%} "
            "دوباره خریدند (درس: ۹۶٪ شاکیانی که سریع رسیدگی شوند می‌مانند)؛ بدون شکایت: "
            "{none:.0%}."
        ),
        "s06_silent": (
            "از {dissatisfied:,.0f} مشتری که امتیاز ۲ یا کمتر دادند، {complained:.0%} شکایت "
            "کرده بودند (درس: ۴ تا ۶ درصد)؛ {silent:,.0f} نفر هرگز شکایت نکردند."
        ),
        "s06_uplift": (
            "{campaign}: {response:.1%} از مشتریان هدف پاسخ دادند در برابر {control:.1%} در "
            "گروه کنترل: اثر افزایشی {uplift:.1%} (بازهٔ ۹۵٪ از {low:.1%} تا {high:.1%}، p = "
            "{p:.3f})."
        ),
        "s06_no_campaigns": "جدول کمپین‌ها نیست.",
        "s07_table": "{customers:,} مشتری تا {as_of}، {columns} ستون: {dimensions}.",
        "s07_written": "نوشته شد: {paths}",
        "s07_actions": (
            "رایج‌ترین اقدام بعدی «{action}» است ({customers:,} مشتری، {share:.0%})؛ "
            "{waiting:,} مشتری منتظر رسیدگی به شکایت‌اند."
        ),
        "s07_card": "مشتری {customer}: اقدام بعدی «{action}»{offer}.",
        "s07_kpis": (
            "خط مبنا {baseline}، آخرین ماه کامل {latest}: نرخ نگهداشت از {before:.0%} به "
            "{after:.0%} رسید ({points:+.1f} واحد درصد) و درآمد {revenue:+.0%} تغییر کرد."
        ),
        "s07_cohorts": (
            "سه ماه پس از جذب، {first:.0%} از نخستین گروه ({first_cohort}) هنوز می‌خریدند، در"
            " برابر {latest:.0%} از تازه‌ترین گروهی که به سه ماهگی رسیده است "
            "({latest_cohort})."
        ),
        "pyramid_profit": " و {profit:.0%} از سود آن را.",
        "correlation_high": " (بیش از حد بالا: برآوردهای مبلغ خرید را با احتیاط به کار ببرید).",
        "correlation_low": " (به اندازهٔ کافی پایین).",
        # the customer card's timeline (crmwb.customer360.customer_card)
        "card_contact": "{kind}: {category} از راه {channel}",
        "card_survey": "رضایت {csat}، NPS {nps}",
        "card_campaign": "کمپین {campaign} ({group})",
        "card_campaign_responded": "کمپین {campaign} ({group})، پاسخ داد",
        "card_items_more": "{items} و {more} قلم دیگر",
        # the cleaning log (crmwb.cleaning.describe_log)
        "log_normalise_text": "کدها پیراسته و با حروف بزرگ شدند، شرح‌ها مرتب شدند",
        "log_master_ids": "{lines:,} سطر به شناسهٔ اصلی مشتریِ همان شخص منتقل شد",
        "log_exact_duplicates": "سطرهایی که در همهٔ ستون‌ها یکسان بودند کنار گذاشته شدند",
        "log_non_product_lines": (
            "هزینهٔ پست، کارمزد بانکی، اصلاحیه‌ها و کارمزدها کنار گذاشته شدند"
        ),
        "log_invalid_prices": "سطرهایی با قیمت واحد صفر یا منفی کنار گذاشته شدند",
        "log_cancellations": (
            "{cancelled} سطر ابطال جدا شد ({unmatched} بی‌جفت یا نیمه‌جفت)؛ {gone} خریدِ "
            "کاملاً باطل‌شده کنار گذاشته و {partial} خرید کاهش یافت؛ {c_positive} سطر با "
            "فاکتور C و مقدار مثبت به‌عنوان خرید ماند"
        ),
        "log_anonymous_kept": "{lines} سطر بدون شناسهٔ مشتری نگه داشته شد (فقط برای سبدها)",
        "log_anonymous_removed": "سطرهای بدون شناسهٔ مشتری حذف شدند",
        "log_outliers": (
            "سطرهایی با ارزشی بیش از {threshold:g} انحراف معیار مقاوم بالاتر از میانهٔ "
            "لگاریتم ارزش سطر علامت خوردند (نگه داشته شدند)"
        ),
    },
}

LANGUAGES = tuple(LABELS)


class _Date:
    """A date in a sentence, written as the reader of ``lang`` reads it (:meth:`Glossary.say`)."""

    def __init__(self, value, lang: str):
        self.value, self.lang = value, lang

    def __format__(self, spec: str) -> str:
        from crmwb import i18n  # i18n reads the languages from here

        if i18n.reader_calendar(self.lang) == "jalali":  # whatever the spec: Gregorian
            return i18n.jalali(self.value) or ""         # months do not map to Jalali ones
        return format(self.value, spec or "%Y-%m-%d")


class Glossary:
    """Look up report labels and sentences in one language.

    Parameters
    ----------
    lang : str
        A language code in :data:`LANGUAGES`.
    persian_digits : bool
        Write the numbers of sentences in Persian digits.
    """

    def __init__(self, lang: str = "en", persian_digits: bool = False):
        if lang not in LABELS:
            raise ValueError(f"unknown language {lang!r}; available: {', '.join(LANGUAGES)}")
        self.lang = lang
        self.persian_digits = bool(persian_digits)
        self._labels = LABELS[lang]

    def __call__(self, key: str) -> str:
        try:
            return self._labels[key]
        except KeyError:
            raise KeyError(f"no {self.lang!r} label for {key!r} in crmwb.glossary") from None

    def columns(self, names: Iterable[str]) -> dict[str, str]:
        """A renaming map from column names to their labels (for table headers)."""
        return {n: self(n) for n in names}

    def values(self, values: Iterable[str]) -> list[str]:
        """Labels for category values (segment names, complaint categories...)."""
        return [self(v) for v in values]

    def word(self, value):
        """The label of a data value when the glossary has one (a channel, a complaint
        category), or of a name made of labelled words (a cluster's), word by word; else
        the value itself (a product name, a city).

        >>> glossary("fa").word("recent frequent high-spending"), glossary("fa").word("Rasht")
        ('تازه پرتکرار پرخرج', 'Rasht')
        """
        if not isinstance(value, str):
            return value
        if value in self._labels:
            return self._labels[value]
        for sep in (" ", "+"):  # a cluster's name; the fields a match agreed on (phone+email)
            parts = value.split(sep)
            if len(parts) > 1 and all(p in self._labels for p in parts):
                return sep.join(self._labels[p] for p in parts)
        return value

    def say(self, key: str, **values) -> str:
        """The sentence ``key`` of :data:`SENTENCES` with ``values`` filled in.

        Dates (Timestamps, dates, Periods) are written in the reader's calendar
        (Jalali for Persian), and numbers in Persian digits when asked.

        >>> glossary("en").say("s03_customers", customers=1200, end=pd.Timestamp("2024-03-20"))
        '1,200 customers; data up to 2024-03-20.'
        >>> print(glossary("fa", persian_digits=True).say(
        ...     "s03_customers", customers=1200, end=pd.Timestamp("2024-03-20")))
        ۱٬۲۰۰ مشتری؛ داده‌ها تا ۱۴۰۳/۰۱/۰۱.
        """
        try:
            template = SENTENCES[self.lang][key]
        except KeyError:
            raise KeyError(f"no {self.lang!r} sentence {key!r} in crmwb.glossary") from None
        for name, value in values.items():
            if isinstance(value, pd.Period):
                value = value.to_timestamp()
            if isinstance(value, dt.date):  # datetime and pandas.Timestamp too
                values[name] = _Date(value, self.lang)
        return _Sentence(self.persian_digits, self.lang in ("fa",)).format(template, **values)


#: first-strong isolate and pop directional isolate: a path or an id inside right-to-left
#: text keeps its own direction (Unicode's bidirectional algorithm, UAX #9)
ISOLATE = "\u2068", "\u2069"
_RTL_LETTER = re.compile("[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]")


class _Sentence(string.Formatter):
    """Fills a sentence: numbers and dates (and the template's own digits) in Persian digits
    when asked; text values (paths, ids, codes, names) as they are, isolated in
    right-to-left text, so that a path or a pseudonym can be copied back."""

    def __init__(self, persian_digits: bool, rtl: bool):
        self.persian_digits, self.rtl = persian_digits, rtl

    def _digits(self, text: str) -> str:
        if not self.persian_digits:
            return text
        from crmwb.i18n import to_persian_digits

        return to_persian_digits(text)

    def vformat(self, format_string, args, kwargs):
        out = []
        for literal, field, spec, conversion in self.parse(format_string):
            out.append(self._digits(literal))
            if field is None:
                continue
            value, _ = self.get_field(field, args, kwargs)
            value = self.convert_field(value, conversion)
            spec = string.Formatter().vformat(spec, args, kwargs) if spec else ""  # as written
            text = self.format_field(value, spec)
            if isinstance(value, str | os.PathLike):  # left-to-right text is isolated
                ltr = self.rtl and text and not _RTL_LETTER.search(text)
                out.append(f"{ISOLATE[0]}{text}{ISOLATE[1]}" if ltr else text)
            else:  # numbers and dates are read: in the reader's digits
                out.append(self._digits(text))
        return "".join(out)


def glossary(lang: str = "en", persian_digits: bool = False) -> Glossary:
    """The glossary for ``lang``; see :class:`Glossary`."""
    return Glossary(lang, persian_digits)
