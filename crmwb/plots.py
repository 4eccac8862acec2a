"""Plots with titles, axis labels and units taken from the glossary."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

from crmwb.glossary import glossary


def _axes(ax):
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 3.5))
    return ax


def monthly_revenue(df: pd.DataFrame, lang: str = "en", ax=None):
    """Line plot of revenue by month (from :func:`crmwb.overview.monthly_revenue`)."""
    t = glossary(lang)
    ax = _axes(ax)
    ax.plot(df["month"], df["revenue"], marker="o")
    ax.set(title=t("title_monthly_revenue"), xlabel=t("month"),
           ylabel=f"{t('revenue')} ({t('currency')})")
    ax.figure.autofmt_xdate()
    return ax


def weekday_invoices(df: pd.DataFrame, lang: str = "en", ax=None):
    """Bar chart of invoices by weekday."""
    t = glossary(lang)
    ax = _axes(ax)
    ax.bar(df["weekday"], df["invoices"])
    ax.set(title=t("title_weekday_invoices"), xlabel=t("weekday"), ylabel=t("invoices"))
    return ax


def order_values(df: pd.DataFrame, lang: str = "en", ax=None):
    """Order value distribution by customer type, on a log scale."""
    t = glossary(lang)
    ax = _axes(ax)
    data = df.assign(customer_type=df["customer_type"].map(t))
    sns.boxplot(data=data, x="customer_type", y="order_value", ax=ax, showfliers=False)
    ax.set_yscale("log")
    ax.set(title=t("title_order_value_by_type"), xlabel=t("customer_type"),
           ylabel=f"{t('order_value')} ({t('currency')}, log scale)")
    return ax


def complaints_by_category(df: pd.DataFrame, lang: str = "en", ax=None):
    """Horizontal bar chart of complaints per category."""
    t = glossary(lang)
    ax = _axes(ax)
    ax.barh(t.values(df["category"]), df["complaints"])
    ax.invert_yaxis()
    ax.set(title=t("title_complaints_by_category"), xlabel=t("complaints"),
           ylabel=t("category"))
    return ax


def lines_by_month(df: pd.DataFrame, lang: str = "en", ax=None):
    """Bar chart of transaction lines per month (from :func:`crmwb.quality.monthly_activity`)."""
    t = glossary(lang)
    ax = _axes(ax)
    labels = [f"{m:%Y-%m}" for m in df["month"]]
    ax.bar(range(len(df)), df["lines"])
    ax.set_xticks(range(len(df)), labels, rotation=90)
    ax.set(title=t("title_lines_by_month"), xlabel=t("month"), ylabel=t("lines"))
    return ax
