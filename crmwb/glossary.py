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

from collections.abc import Iterable

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
        "parameters": "Parameters",
        "ok": "ok",
        "failed": "failed",
        "not_run": "not run",
    },
}

LANGUAGES = tuple(LABELS)


class Glossary:
    """Look up report labels in one language.

    Parameters
    ----------
    lang : str
        A language code in :data:`LANGUAGES`.
    """

    def __init__(self, lang: str = "en"):
        if lang not in LABELS:
            raise ValueError(f"unknown language {lang!r}; available: {', '.join(LANGUAGES)}")
        self.lang = lang
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


def glossary(lang: str = "en") -> Glossary:
    """The glossary for ``lang``; see :class:`Glossary`."""
    return Glossary(lang)
