"""Plots with titles, axis labels and units taken from the glossary."""

from __future__ import annotations

import contextlib
import functools
import inspect
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib import dates as mdates
from matplotlib.figure import Figure

from crmwb import calendars, i18n
from crmwb.glossary import glossary


def _sns():
    """seaborn, imported when a figure needs it (it brings scipy.stats: a second per kernel)."""
    import seaborn

    return seaborn


#: crmwb's chart style (a matplotlib style file shipped in the package): no top and right
#: spines, Okabe and Ito's colour-blind-safe palette, readable sizes. Every function here
#: draws with it; ``plt.style.use(plots.STYLE)`` gives it to a figure of one's own.
STYLE = Path(__file__).with_name("styles") / "crmwb.mplstyle"

#: colours of the style's palette that carry a meaning of their own
HIGHLIGHT, BLUE, ORANGE, MUTED = "#D55E00", "#0072B2", "#E69F00", "#999999"
#: the colours of key business dates, one per date (the shop's own are :data:`MUTED`)
KEY_DATE_COLOURS = ("#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#D55E00", "#0072B2")


@functools.cache
def _style_settings() -> dict:
    """The settings :data:`STYLE` makes, and only those."""
    return dict(matplotlib.rc_params_from_file(STYLE, use_default_template=False))


@contextlib.contextmanager
def _in_style():
    """Draw in :data:`STYLE`, then put back the settings it changed, and no others.

    Not ``plt.style.context``: that restores every setting as it was on entry,
    matplotlib's interactive flag too, which the notebook's inline backend turns on
    only when the first figure is made; put back to off, no later figure was shown.
    """
    settings = _style_settings()
    before = {key: plt.rcParams[key] for key in settings}
    plt.rcParams.update(settings)
    try:
        yield
    finally:
        plt.rcParams.update(before)


def _styled(fig) -> None:
    """The style's frame on axes the caller made before the style applied: no top and
    right spines on any axes that shows its frame."""
    for ax in fig.get_axes():
        if not ax.axison or ax.name != "rectilinear" or ax.get_label() == "<colorbar>":
            continue
        ax.spines["top"].set_visible(False)
        # a second y axis on the right (twinx) keeps its own spine, and hides the left one
        right = ax.yaxis.get_label_position() == "right"
        ax.spines["right"].set_visible(right)
        if right:
            ax.spines["left"].set_visible(False)


def _localized(plot):
    """A plot function drawn in :data:`STYLE` whose figure follows its ``lang``: dates in
    the reader's calendar (Jalali for Persian), and with ``persian_digits=True`` tick
    labels in Persian digits (by default as :func:`crmwb.i18n.use_language` set it)."""
    signature = inspect.signature(plot)

    @functools.wraps(plot)
    def localized(*args, persian_digits: bool | None = None, **kwargs):
        with _in_style():
            out = plot(*args, **kwargs)
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        fig = out if isinstance(out, Figure) else getattr(out, "figure", None)
        if fig is not None:
            _styled(fig)
            digits = i18n.FIGURE_DEFAULTS["persian_digits"] if persian_digits is None \
                else persian_digits
            i18n.localize_figure(fig, bound.arguments["lang"], digits)
        return out

    localized.styled = True
    return localized


def _month(month, lang: str) -> str:
    """A month (its first day) as a tick or legend label in the reader's calendar:
    ``Mar 2024``, ``فروردین 1403`` (digits follow the figure's)."""
    return i18n.month_label(month, lang) or ""


def _unit(t, name: str, *units: str) -> str:
    """An axis label with its units in the reader's words: ``Revenue (£, log scale)``;
    ``units`` are glossary keys (``currency``, ``log_scale``, ``cumulative``)."""
    comma = "، " if t.lang == "fa" else ", "
    words = [i18n.currency_unit(t) if u == "currency" else t(u) for u in units]
    return f"{t(name)} ({comma.join(words)})"


def _axes(ax):
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 3.5))
    return ax


def _mark_key_dates(ax, dates: pd.DataFrame | None, lang: str = "en") -> list:
    """Key business dates on a date axis (from :func:`crmwb.calendars.key_dates`): a day as a
    dotted line, a period as a band. Returns legend handles, one per kind of date, named in
    the reader's words (the shop's own dates as written)."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    if dates is None or not len(dates):
        return []
    lo, hi = ax.get_xlim()
    handles = {}
    for row in dates.itertuples(index=False):
        first, last = pd.Timestamp(row.start), pd.Timestamp(row.end) + pd.Timedelta(days=1)
        if mdates.date2num(last) < lo or mdates.date2num(first) > hi:
            continue
        colour = MUTED if row.key == "custom" else KEY_DATE_COLOURS[
            calendars.IRANIAN_KEY_DATES.index(row.key) % len(KEY_DATE_COLOURS)]
        name = row.name if row.key == "custom" else i18n.key_date_name(row.key, lang)
        if (last - first).days <= 2:
            ax.axvline(first, color=colour, lw=1.2, ls=":", zorder=0)
            handles.setdefault(name, Line2D([], [], color=colour, lw=1.2, ls=":", label=name))
        else:
            ax.axvspan(first, last, color=colour, alpha=0.18, lw=0, zorder=0)
            handles.setdefault(name, Patch(color=colour, alpha=0.35, label=name))
    ax.set_xlim(lo, hi)
    return list(handles.values())


@_localized
def monthly_revenue(df: pd.DataFrame, lang: str = "en", ax=None,
                    key_dates: pd.DataFrame | None = None):
    """Line plot of revenue by month (from :func:`crmwb.overview.monthly_revenue`), with the
    key business dates marked (:func:`crmwb.calendars.key_dates`)."""
    t = glossary(lang)
    ax = _axes(ax)
    ax.plot(df["month"], df["revenue"], marker="o")
    ax.set(title=t("title_monthly_revenue"), xlabel=t("month"),
           ylabel=f"{t('revenue')} ({i18n.currency_unit(t)})")
    handles = _mark_key_dates(ax, key_dates, lang)
    if handles:
        ax.legend(handles=handles, fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1),
                  title=t("key_date"), frameon=False)  # beside the line, not over it
    ax.figure.autofmt_xdate()
    return ax


@_localized
def weekday_invoices(df: pd.DataFrame, lang: str = "en", ax=None):
    """Bar chart of invoices by weekday (from :func:`crmwb.overview.weekday_invoices`, in the
    order of its calendar's week)."""
    t = glossary(lang)
    ax = _axes(ax)
    ax.bar([i18n.weekday_name(d, lang) for d in df["day"]], df["invoices"])
    ax.set(title=t("title_weekday_invoices"), xlabel=t("weekday"), ylabel=t("invoices"))
    return ax


@_localized
def order_values(df: pd.DataFrame, lang: str = "en", ax=None):
    """Order value distribution by customer type, on a log scale."""
    t = glossary(lang)
    ax = _axes(ax)
    data = df.assign(customer_type=df["customer_type"].map(t))
    _sns().boxplot(data=data, x="customer_type", y="order_value", ax=ax, showfliers=False)
    ax.set_yscale("log")
    ax.set(title=t("title_order_value_by_type"), xlabel=t("customer_type"),
           ylabel=_unit(t, "order_value", "currency", "log_scale"))
    return ax


@_localized
def complaints_by_category(df: pd.DataFrame, lang: str = "en", ax=None):
    """Horizontal bar chart of complaints per category."""
    t = glossary(lang)
    ax = _axes(ax)
    ax.barh(t.values(df["category"]), df["complaints"])
    ax.invert_yaxis()
    ax.set(title=t("title_complaints_by_category"), xlabel=t("complaints"),
           ylabel=t("category"))
    return ax


@_localized
def lines_by_month(df: pd.DataFrame, lang: str = "en", ax=None):
    """Bar chart of transaction lines per month (from :func:`crmwb.quality.monthly_activity`)."""
    t = glossary(lang)
    ax = _axes(ax)
    labels = [_month(m, lang) for m in df["month"]]
    ax.bar(range(len(df)), df["lines"])
    ax.set_xticks(range(len(df)), labels, rotation=90)
    ax.set(title=t("title_lines_by_month"), xlabel=t("month"), ylabel=t("lines"))
    return ax


# --- segmentation (notebook 02) --------------------------------------------------------

@_localized
def rfm_segments(table: pd.DataFrame, lang: str = "en", ax=None):
    """Share of customers and of revenue per RFM segment (from ``segment_table``)."""
    t = glossary(lang)
    ax = _axes(ax)
    names = t.values(table.index.astype(str))
    y = range(len(table))
    ax.barh([i - 0.2 for i in y], table["customer_share"] * 100, height=0.4,
            label=t("customer_share"))
    ax.barh([i + 0.2 for i in y], table["revenue_share"] * 100, height=0.4,
            label=t("revenue_share"))
    ax.set_yticks(list(y), names)
    ax.invert_yaxis()
    ax.legend()
    ax.set(title=t("title_rfm_segments"), xlabel="%", ylabel=t("segment"))
    return ax


@_localized
def rf_heatmap(grid: pd.DataFrame, lang: str = "en", ax=None):
    """Customers in each recency-by-frequency score cell (from ``rf_grid``)."""
    t = glossary(lang)
    if ax is None:
        _, ax = plt.subplots(figsize=(5.5, 4.5))
    _sns().heatmap(grid, annot=True, fmt=".0f", cmap="Blues", ax=ax,
                cbar_kws={"label": t("customers_count")})
    ax.set(title=t("title_rf_heatmap"), xlabel=t("frequency_score"),
           ylabel=t("recency_score"))
    return ax


@_localized
def elbow_silhouette(scores: pd.DataFrame, chosen: int | None = None, lang: str = "en"):
    """Inertia (elbow) and silhouette score by k, side by side."""
    t = glossary(lang)
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 3.5))
    a.plot(scores.index, scores["inertia"], marker="o")
    a.set(title=t("title_elbow"), xlabel=t("k"), ylabel=t("inertia"))
    b.plot(scores.index, scores["silhouette"], marker="o")
    b.set(title=t("title_silhouette"), xlabel=t("k"), ylabel=t("silhouette"))
    if chosen is not None:
        for axis in (a, b):
            axis.axvline(chosen, color="grey", linestyle="--")
    fig.tight_layout()
    return fig


@_localized
def clusters(summary: pd.DataFrame, labels: pd.Series, lang: str = "en", ax=None):
    """Customers by days since last purchase and revenue, coloured by cluster."""
    t = glossary(lang)
    ax = _axes(ax)
    data = _dots(summary.assign(cluster=labels), ax, t)
    _sns().scatterplot(data=data, x="days_since_last_purchase", y="revenue", hue="cluster",
                    s=10, alpha=0.6, ax=ax)
    ax.set_yscale("log")
    ax.set(title=t("title_clusters"), xlabel=t("days_since_last_purchase"),
           ylabel=_unit(t, "revenue", "currency", "log_scale"))
    ax.legend(title=t("cluster"), fontsize="small")
    return ax


#: Customers drawn as dots in a scatter plot at most: a million dots take half a minute to
#: draw and show no more than a random twenty thousand.
MAX_DOTS = 20_000


def _dots(data: pd.DataFrame, ax, t, seed: int = 0) -> pd.DataFrame:
    """At most :data:`MAX_DOTS` rows of ``data``, drawn with ``seed``; the axes say so."""
    if len(data) <= MAX_DOTS:
        return data
    ax.annotate(t.say("plot_sample", shown=MAX_DOTS, total=len(data)), (0.99, 0.01),
                xycoords="axes fraction", ha="right", va="bottom", fontsize="x-small",
                color="grey")
    return data.sample(MAX_DOTS, random_state=seed)


@_localized
def pyramid(levels: pd.DataFrame, lang: str = "en", ax=None):
    """The customer pyramid: one band per level, labelled with counts and shares."""
    t = glossary(lang)
    if ax is None:
        _, ax = plt.subplots(figsize=(10, 4.5))
    n = len(levels)
    colours = _sns().color_palette("viridis", n)
    for i, (level, row) in enumerate(levels.iterrows()):
        half = 0.5 * (i + 2) / (n + 1)
        ax.barh(i, 2 * half, left=-half, color=colours[i], height=0.9)
        ax.text(0, i, t(level), ha="center", va="center", fontsize=9,
                color="white" if i < n - 2 else "black")
        text = f"{int(row['customers']):,} {t('customers_count').lower()}"
        if row.get("revenue", 0) > 0:
            text += f" · {row['revenue_share']:.0%} {t('revenue').lower()}"
            if "profit_share" in row:
                text += f" · {row['profit_share']:.0%} {t('profit').lower()}"
        ax.text(0.52, i, text, ha="left", va="center", fontsize=9)
    ax.set_ylim(n - 0.5, -0.5)
    ax.set_xlim(-0.52, 1.2)
    ax.axis("off")
    ax.set_title(t("title_pyramid"))
    return ax


@_localized
def whale_curve(curve: pd.DataFrame, lang: str = "en", ax=None):
    """Cumulative profit share against the share of customers ranked by profit."""
    t = glossary(lang)
    ax = _axes(ax)
    ax.plot(curve["customer_share"] * 100, curve["cumulative_profit_share"] * 100)
    ax.axhline(100, color="grey", linestyle="--", linewidth=1)
    ax.set(title=t("title_whale_curve"), xlabel=f"{t('customers_ranked')} (%)",
           ylabel=f"{t('cumulative_profit_share')} (%)")
    return ax


@_localized
def revenue_and_profit(profits: pd.DataFrame, colours: pd.Series, lang: str = "en", ax=None):
    """Revenue against profit, one dot per customer, coloured by profitability (RBC's
    colours): high sales are not high profit."""
    t = glossary(lang)
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 5))
    palette = {"green": "#2e7d32", "yellow": "#f9a825", "red": "#c62828"}
    data = _dots(profits.assign(colour=colours.reindex(profits.index).astype(str)), ax, t)
    for colour in palette:  # green, yellow, red: the legend in the order of the colours
        part = data[data["colour"] == colour]
        if len(part):
            ax.scatter(part["revenue"].clip(lower=1), part["profit"], s=8, alpha=0.5,
                       color=palette[colour], label=t(colour))
    ax.axhline(0, color="grey", linestyle="--", linewidth=1)
    ax.set_xscale("log")
    ax.set(title=t("title_revenue_and_profit"), xlabel=_unit(t, "revenue", "log_scale"),
           ylabel=t("profit"))
    ax.legend(title="", fontsize="small")
    return ax


@_localized
def profitability_matrix(matrix: pd.DataFrame, lang: str = "en", ax=None):
    """Net price realised against cost to serve, one dot per customer, cells coloured."""
    t = glossary(lang)
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 5))
    data = _dots(matrix.assign(cell=matrix["cell"].astype(str).map(t)), ax, t)
    _sns().scatterplot(data=data, x="cost_to_serve_ratio", y="net_price_realised", hue="cell",
                    s=8, alpha=0.5, ax=ax)
    ax.axvline(matrix.attrs["cost_boundary"], color="grey", linestyle="--")
    ax.axhline(matrix.attrs["price_boundary"], color="grey", linestyle="--")
    ax.set_xscale("log")
    ax.set(title=t("title_profitability_matrix"),
           xlabel=_unit(t, "cost_to_serve_ratio", "log_scale"),
           ylabel=t("net_price_realised"))
    ax.legend(title="", fontsize="small")
    return ax


@_localized
def loyalty_types(table: pd.DataFrame, lang: str = "en", ax=None):
    """Customers per loyalty type (from ``loyalty_table``)."""
    t = glossary(lang)
    ax = _axes(ax)
    ax.bar(t.values(table.index), table["customers"])
    ax.set(title=t("title_loyalty_types"), xlabel=t("loyalty_type"),
           ylabel=t("customers_count"))
    return ax


# --- customer lifetime value (notebook 03) -----------------------------------------------------

def _model_columns(table: pd.DataFrame) -> list[str]:
    return [c for c in table.columns if c not in ("period_end", "holdout", "actual",
                                                   "customers")]


def _model_lines(ax, x, table: pd.DataFrame, t, marker=None) -> None:
    """Each model's line: one colour per model, dashed with covariates."""
    plain = [c for c in _model_columns(table) if not c.endswith(" + covariates")]
    colours = dict(zip(plain, plt.rcParams["axes.prop_cycle"].by_key()["color"][1:]))
    for name in _model_columns(table):
        base = name.removesuffix(" + covariates")
        ax.plot(x, table[name], color=colours.get(base), marker=marker,
                linestyle="--" if name != base else "-", linewidth=1.3,
                label=t.word(name))


@_localized
def models_tracking(table: pd.DataFrame, cumulative: bool = True, lang: str = "en", ax=None):
    """Repeat purchases per period (or cumulated), actual and as each compared model
    expected (:func:`crmwb.clv.compare_models`), the end of calibration marked."""
    t = glossary(lang)
    if ax is None:
        _, ax = plt.subplots(figsize=(9, 4.2))
    ax.plot(table["period_end"], table["actual"], color="black", linewidth=2.2,
            label=t("actual"))
    _model_lines(ax, table["period_end"], table, t)
    holdout = table[table["holdout"]]
    if len(holdout):
        ax.axvline(holdout["period_end"].iloc[0], color="grey", linestyle=":",
                   label=t("calibration_end"))
    ax.legend(fontsize="small", ncol=2)
    ax.set(title=t("title_models_cumulative" if cumulative else "title_models_weekly"),
           xlabel=t("date"),
           ylabel=t("cumulative_repeat_purchases" if cumulative else "repeat_purchases"))
    ax.figure.autofmt_xdate()
    return ax


@_localized
def models_conditional(table: pd.DataFrame, lang: str = "en", ax=None):
    """Mean holdout purchases by calibration frequency: actual and each compared model's."""
    t = glossary(lang)
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 4))
    labels = [str(i) for i in table.index[:-1]] + [f"{table.index[-1]}+"]
    ax.plot(labels, table["actual"], color="black", marker="o", linewidth=2.2,
            label=t("actual"))
    _model_lines(ax, labels, table, t, marker=".")
    ax.legend(fontsize="small", ncol=2)
    ax.set(title=t("title_models_conditional"), xlabel=t("calibration_frequency"),
           ylabel=t("holdout_purchases"))
    return ax


def _covariate(t, name: str) -> str:
    """``acquisition_channel=referral`` in the reader's words: the column, then the level."""
    column, _, level = name.partition("=")
    return f"{t.word(column)}: {t.word(level)}" if level else t.word(column)


@_localized
def covariate_effects(coefficients: pd.DataFrame, lang: str = "en", ax=None):
    """Each covariate's coefficient with its 95% interval, one panel row per process
    (purchase rate, dropout, spend): right of zero, more purchases, likelier dropout or
    dearer purchases than the reference level."""
    t = glossary(lang)
    rows = coefficients.reset_index()
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 0.9 + 0.36 * len(rows)))
    y = np.arange(len(rows))[::-1]
    colours = {"purchase": BLUE, "dropout": HIGHLIGHT, "spend": "grey"}
    for process in rows["process"].unique():
        part = rows["process"] == process
        ax.errorbar(rows.loc[part, "estimate"], y[part.to_numpy()],
                    xerr=[rows.loc[part, "estimate"] - rows.loc[part, "ci_low"],
                          rows.loc[part, "ci_high"] - rows.loc[part, "estimate"]],
                    fmt="o", color=colours.get(process, BLUE), capsize=3,
                    label=t(f"process_{process}"))
    ax.set_yticks(y, [_covariate(t, c) for c in rows["covariate"]])
    ax.axvline(0, color="grey", linewidth=1)
    ax.legend(fontsize="small")
    ax.set(title=t("title_covariate_effects"), xlabel=t("coefficient_log_scale"))
    return ax


@_localized
def clv_distribution(values: pd.Series, lang: str = "en", ax=None):
    """Histogram of CLV on a log scale (customers with a positive value)."""
    t = glossary(lang)
    ax = _axes(ax)
    positive = values[values > 0]
    bins = np.logspace(np.log10(positive.min()), np.log10(positive.max()), 40)
    ax.hist(positive, bins=bins)
    ax.set_xscale("log")
    ax.set(title=t("title_clv_distribution"), xlabel=_unit(t, "clv", "currency", "log_scale"),
           ylabel=t("customers_count"))
    return ax


@_localized
def clv_by_group(table: pd.DataFrame, lang: str = "en", ax=None):
    """Mean CLV per group (from ``clv.clv_by_group``)."""
    t = glossary(lang)
    ax = _axes(ax)
    ax.barh([t(str(i)) for i in table.index], table["mean_clv"])
    ax.invert_yaxis()
    ax.set(title=t("title_clv_by_group"), xlabel=f"{t('mean_clv')} ({i18n.currency_unit(t)})")
    return ax


@_localized
def p_alive_heatmap(grid: pd.DataFrame, lang: str = "en", ax=None):
    """Mean P(alive) by frequency and recency (from ``clv.p_alive_grid``)."""
    t = glossary(lang)
    if ax is None:
        _, ax = plt.subplots(figsize=(9, 5))
    _sns().heatmap(grid, annot=True, fmt=".2f", cmap="YlGnBu", vmin=0, vmax=1, ax=ax,
                cbar_kws={"label": t("p_alive")})
    ax.set(title=t("title_p_alive"), xlabel=t("recency_range"), ylabel=t("repeat_purchases"))
    return ax


@_localized
def retention_curves(models: dict, periods: int = 72, lang: str = "en", ax=None):
    """Projected share of a cohort still subscribed, one curve per group (sBG models)."""
    t = glossary(lang)
    ax = _axes(ax)
    x = np.arange(0, periods + 1)
    for name, model in models.items():
        ax.plot(x, model.survival(x), label=str(name))
    ax.set_ylim(0, 1.02)
    ax.legend()
    ax.set(title=t("title_retention_curves"), xlabel=t("periods"), ylabel=t("survival"))
    return ax


# --- churn (notebook 04) ------------------------------------------------------------------

@_localized
def calibration(preds: pd.DataFrame, models: list[str], lang: str = "en", ax=None):
    """Observed churn rate against predicted probability (10 bins), one line per model."""
    from sklearn.calibration import calibration_curve

    t = glossary(lang)
    if ax is None:
        _, ax = plt.subplots(figsize=(5.5, 5))
    for m in models:
        observed, predicted = calibration_curve(preds["churned"], preds[m], n_bins=10)
        ax.plot(predicted, observed, marker="o", label=m)
    ax.plot([0, 1], [0, 1], color="grey", linestyle="--")
    ax.legend(fontsize="small")
    ax.set(title=t("title_calibration"), xlabel=t("predicted_probability"),
           ylabel=t("observed_rate"))
    return ax


@_localized
def gains_and_lift(preds: pd.DataFrame, models: list[str], lang: str = "en"):
    """Cumulative gains and lift charts side by side, one line per model."""
    from crmwb.churn import gains_table

    t = glossary(lang)
    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4))
    for m in models:
        g = gains_table(preds["churned"], preds[m])
        a.plot(g["contacted_share"] * 100, g["captured_share"] * 100, label=m)
        b.plot(g["contacted_share"] * 100, g["lift"], label=m)
    a.plot([0, 100], [0, 100], color="grey", linestyle="--", label=t("random"))
    b.axhline(1, color="grey", linestyle="--")
    a.set(title=t("title_gains"), xlabel=f"{t('contacted_share')} (%)",
          ylabel=f"{t('captured_share')} (%)")
    b.set(title=t("title_lift"), xlabel=f"{t('contacted_share')} (%)", ylabel=t("lift"))
    a.legend(fontsize="small")
    fig.tight_layout()
    return fig


@_localized
def deciles(table: pd.DataFrame, lang: str = "en", ax=None):
    """Churn rate per risk decile (from ``churn.decile_table``)."""
    t = glossary(lang)
    ax = _axes(ax)
    ax.bar(table.index.astype(str), table["churn_rate"] * 100)
    ax.set(title=t("title_deciles"), xlabel=t("decile"), ylabel=f"{t('churn_rate')} (%)")
    return ax


def _feature(t, name) -> str:
    """A model's feature in the reader's words: a column (``p_alive``), a level of a text
    column (``region_north``: its column, then the level), or a missing-value indicator."""
    name = str(name)
    if t.word(name) != name:
        return t.word(name)
    if name.startswith("missingindicator_"):
        return f"{t('missing')}: {_feature(t, name[len('missingindicator_'):])}"
    for end in sorted((i for i, c in enumerate(name) if c == "_"), reverse=True):
        column, level = name[:end], name[end + 1:]
        if t.word(column) != column:
            level = t("other_levels") if level == "infrequent_sklearn" else t.word(level)
            return f"{t.word(column)}: {level}"
    return name


@_localized
def importance(table: pd.DataFrame, top: int = 15, lang: str = "en", ax=None):
    """The ``top`` largest permutation importances."""
    t = glossary(lang)
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 5))
    part = table.head(top)
    ax.barh([_feature(t, n) for n in part.index], part["importance"], xerr=part["std"])
    ax.invert_yaxis()
    ax.set(title=t("title_importance"), xlabel=t("importance"))
    return ax


@_localized
def coefficients(coef: pd.Series, top: int = 15, lang: str = "en", ax=None):
    """The ``top`` largest logistic-regression coefficients (positive: more risk)."""
    t = glossary(lang)
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 5))
    part = coef.head(top)
    ax.barh([_feature(t, n) for n in part.index], part.to_numpy(),
            color=np.where(part > 0, HIGHLIGHT, BLUE))
    ax.invert_yaxis()
    ax.axvline(0, color="grey")
    ax.set(title=t("title_coefficients"), xlabel=t("coefficient"))
    return ax


@_localized
def profit_curve(curve: pd.DataFrame, lang: str = "en", ax=None):
    """Cumulative expected profit of the offer against k, the best k marked."""
    t = glossary(lang)
    ax = _axes(ax)
    ax.plot(curve["k"], curve["cumulative_profit"])
    best = curve.attrs.get("best_k", 0)
    if best:
        ax.axvline(best, color="grey", linestyle="--")
    ax.axhline(0, color="grey", linewidth=0.8)
    ax.set(title=t("title_profit_curve"), xlabel=t("customers_contacted"),
           ylabel=f"{t('expected_profit')} ({i18n.currency_unit(t)})")
    return ax


@_localized
def retention_value_curve(totals: pd.Series, current: float | None = None, lang: str = "en",
                          ax=None):
    """Total CLV (retention formula) against the retention rate, today's rate marked."""
    t = glossary(lang)
    ax = _axes(ax)
    ax.plot(totals.index * 100, totals.to_numpy())
    if current is not None:
        ax.axvline(current * 100, color=HIGHLIGHT, linestyle="--")
    ax.set(title=t("title_retention_value"), xlabel=f"{t('retention_rate')} (%)",
           ylabel=f"{t('total_clv')} ({i18n.currency_unit(t)})")
    return ax


@_localized
def kaplan_meier(curves: pd.DataFrame, lang: str = "en", ax=None):
    """Kaplan-Meier retention curves, one per group (from ``churn.kaplan_meier``)."""
    t = glossary(lang)
    ax = _axes(ax)
    for name, g in curves.groupby("group"):
        ax.step(g["time"], g["retention"], where="post", label=str(name))
    ax.set_ylim(0, 1.02)
    ax.legend()
    ax.set(title=t("title_kaplan_meier"), xlabel=t("tenure_months"), ylabel=t("retention"))
    return ax


# --- market baskets (notebook 05) ------------------------------------------------------------

@_localized
def item_frequencies(table: pd.DataFrame, top: int = 20, lang: str = "en", ax=None):
    """Support of the ``top`` most frequent items (from ``basket.item_frequencies``)."""
    t = glossary(lang)
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 5))
    part = table.head(top)
    ax.barh(part.index.astype(str), part["support"] * 100)
    i18n.verbatim(ax.yaxis)  # product codes, not numbers to read
    ax.invert_yaxis()
    ax.set(title=t("title_item_frequencies"), xlabel=f"{t('support')} (%)")
    return ax


@_localized
def rules_scatter(rules: pd.DataFrame, lang: str = "en", ax=None):
    """Rules as support against confidence, coloured by lift."""
    t = glossary(lang)
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 5))
    points = ax.scatter(rules["support"], rules["confidence"], c=rules["lift"], cmap="viridis",
                        s=12, alpha=0.8)
    ax.figure.colorbar(points, ax=ax, label=t("lift"))
    ax.set_xscale("log")
    ax.set(title=t("title_rules"), xlabel=_unit(t, "support", "log_scale"), ylabel=t("confidence"))
    return ax


@_localized
def rule_network(rules: pd.DataFrame, top: int = 20, lang: str = "en", ax=None):
    """The ``top`` rules by lift as arrows between items placed on a circle."""
    t = glossary(lang)
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 8))
    part = rules.head(top)
    items = sorted({i for s in part["antecedents"] for i in s}
                   | {i for s in part["consequents"] for i in s})
    angle = np.linspace(0, 2 * np.pi, len(items), endpoint=False)
    pos = {item: (np.cos(a), np.sin(a)) for item, a in zip(items, angle)}
    width = part["lift"] / part["lift"].max() * 3
    for a, c, w in zip(part["antecedents"], part["consequents"], width):
        for i in a:
            for j in c:
                ax.annotate("", xy=pos[j], xytext=pos[i],
                            arrowprops={"arrowstyle": "->", "lw": w, "alpha": 0.6,
                                        "shrinkA": 8, "shrinkB": 8})
    for item, (x, y) in pos.items():
        ax.plot(x, y, "o", color=ORANGE)
        ax.text(x * 1.08, y * 1.08, item, ha="left" if x >= 0 else "right", va="center",
                fontsize=8)
    ax.set_xlim(-1.8, 1.8)
    ax.set_ylim(-1.4, 1.4)
    ax.axis("off")
    ax.set_title(t("title_rule_network"))
    return ax


@_localized
def cooccurrence(matrix: pd.DataFrame, lang: str = "en", ax=None):
    """Heat map of baskets holding each pair of the top items (from ``basket.cooccurrence``)."""
    t = glossary(lang)
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 7))
    _sns().heatmap(matrix, cmap="Blues", ax=ax, cbar_kws={"label": t("baskets")})
    i18n.verbatim(ax.xaxis), i18n.verbatim(ax.yaxis)  # product codes, not numbers to read
    ax.set(title=t("title_cooccurrence"), xlabel="", ylabel="")
    return ax


@_localized
def support_by_period(table: pd.DataFrame, lang: str = "en", ax=None):
    """Support of items or rules per weekday or month (from ``basket.support_by_period``)."""
    t = glossary(lang)
    ax = _axes(ax)
    period = table.index.name
    labels = [i18n.weekday_name(d, lang) if period == "weekday" else i18n.month_name(d, lang)
              for d in table.index]  # in the table's order: its calendar's week
    x = np.arange(len(table))
    for col in table.columns:
        ax.plot(x, table[col] * 100, marker="o", label=col)
    ax.set_xticks(x, labels, rotation=0 if period == "weekday" else 45)
    ax.legend(fontsize="small")
    ax.set(title=t(f"title_support_by_{period}"), xlabel=t(period),
           ylabel=f"{t('support')} (%)")
    return ax


@_localized
def basket_change(table: pd.DataFrame, top: int = 12, lang: str = "en", ax=None):
    """The items most raised (and lowered) in a period's baskets against the rest (from
    :func:`crmwb.basket.basket_change`): their lift, 1 is no change."""
    t = glossary(lang)
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4.5))
    shown = table.dropna(subset=["lift"])
    shown = pd.concat([shown.head(top - top // 3), shown.tail(top // 3)])
    shown = shown[~shown.index.duplicated()]
    ax.barh([str(t.word(i)) for i in shown.index], shown["lift"],
            color=np.where(shown["lift"] >= 1, HIGHLIGHT, BLUE))
    ax.axvline(1, color="grey", lw=1)
    ax.invert_yaxis()
    ax.set(title=t("title_basket_change"), xlabel=t("lift"))
    return ax


# --- service quality (notebook 06) --------------------------------------------------------------

@_localized
def pareto(table: pd.DataFrame, lang: str = "en", ax=None):
    """Pareto chart: bars of counts, line of cumulative share, vital few highlighted."""
    t = glossary(lang)
    ax = _axes(ax)
    names = t.values(table.index.astype(str))
    colours = np.where(table["vital_few"], HIGHLIGHT, MUTED)
    ax.bar(names, table["count"], color=colours)
    ax.set(title=t("title_pareto"), xlabel=t("category"), ylabel=t("complaints_count"))
    right = ax.twinx()
    right.plot(names, table["cumulative_share"] * 100, marker="o", color="black")
    right.set_ylim(0, 105)
    right.set_ylabel(f"{t('cumulative_share')} (%)")
    return ax


@_localized
def resolution_times(days: pd.Series, target_days: float, lang: str = "en", ax=None):
    """Histogram of days to resolve, the service-level target marked."""
    t = glossary(lang)
    ax = _axes(ax)
    ax.hist(days.dropna(), bins=40)
    ax.axvline(target_days, color=HIGHLIGHT, linestyle="--", label=t("service_level"))
    ax.legend()
    ax.set(title=t("title_resolution"), xlabel=t("days_to_resolve"),
           ylabel=t("complaints_count"))
    return ax


@_localized
def churn_by_handling(table: pd.DataFrame, lang: str = "en", ax=None):
    """Churn rate per complaint-handling group with 95% intervals."""
    t = glossary(lang)
    ax = _axes(ax)
    rate = table["churn_rate"] * 100
    err = np.vstack([rate - table["ci_low"] * 100, table["ci_high"] * 100 - rate])
    ax.bar(t.values(table.index), rate, yerr=err, capsize=4)
    ax.set(title=t("title_churn_by_handling"), ylabel=f"{t('churn_rate')} (%)")
    return ax


#: the Ishikawa diagram's sizes: causes and major causes in points, distances in inches
_FISH = {"cause": 9, "major": 10, "effect": 12, "row": 1.7, "tick": 0.15, "gap": 0.05,
         "pad": 0.25, "slant": 0.45, "margin": 0.15, "min_width": 7.0}


def _text_width(fig, text: str, size: float, weight: str = "normal") -> float:
    """How wide ``text`` is drawn in ``fig``, in inches."""
    probe = fig.text(0, 0, text, fontsize=size, fontweight=weight)
    width = probe.get_window_extent(fig.canvas.get_renderer()).width / fig.dpi
    probe.remove()
    return width


def _bone_row(fig, majors: list, causes: dict, said, bone_h: float) -> tuple[list, float]:
    """Bones of one side of the spine, left to right, each as far left as its labels
    allow: a bone's cause labels (written left of it) never reach the bone before."""
    size = _FISH
    slant = size["slant"] * bone_h
    row, x_end = [], size["margin"]
    for major in majors:
        n = len(causes[major])
        spans = [slant * (j + 1) / (n + 1) - size["tick"] - size["gap"]
                 - _text_width(fig, said(cause), size["cause"])
                 for j, cause in enumerate(causes[major])]
        half = _text_width(fig, said(major), size["major"], "bold") / 2
        left, right = min(spans + [-half]), max(slant, half)
        x0 = x_end - left + (size["pad"] if row else 0.0)
        row.append({"major": major, "x0": x0, "slant": slant})
        x_end = x0 + right
    return row, x_end


@_localized
def ishikawa(causes: dict, counts: dict | None = None, effect: str = "complaints",
             lang: str = "en", ax=None):
    """A cause-and-effect (fishbone) diagram: major causes on bones, their causes beside.

    ``causes`` maps each major cause to a list of causes; ``counts`` (optional)
    maps a major cause or a cause to a number shown in brackets. Causes the
    glossary knows (the complaint categories, the notebook's default causes) are
    shown in ``lang``; others as written.

    The diagram is laid out from its labels: bones are as long as their list of causes
    needs (a cause every 1.7 lines) and as far apart as their longest label, so no
    label runs into another however long the lists; the figure is sized to fit (on
    axes one passes in, the same layout is scaled to them).
    """
    t = glossary(lang)
    counts = counts or {}
    size = _FISH

    def said(key) -> str:
        return t.word(key) + (f" ({counts[key]})" if key in counts else "")

    fig = ax.figure if ax is not None else plt.figure()
    majors = list(causes)
    top, bottom = majors[: (len(majors) + 1) // 2], majors[(len(majors) + 1) // 2:]
    depth = max((len(causes[m]) for m in majors), default=0)
    bone_h = (depth + 1) * size["row"] * size["cause"] / 72
    rows = [_bone_row(fig, side, causes, said, bone_h) for side in (top, bottom)]
    spine = max(x_end for _, x_end in rows) + size["pad"]
    effect_w = _text_width(fig, effect, size["effect"], "bold")
    major_h = 2 * size["major"] / 72
    width = spine + 0.15 + effect_w + size["margin"]
    height = 2 * (bone_h + major_h + 0.1)
    extra = max(size["min_width"] - width, 0)  # a short diagram is centred on a readable page
    width += extra
    if ax is None:
        title = 0.45
        fig.set_size_inches(width, height + title)
        ax = fig.add_axes((0, 0, 1, height / (height + title)))
    ax.annotate("", xy=(spine, 0), xytext=(0, 0), arrowprops={"arrowstyle": "-|>", "lw": 2})
    ax.text(spine + 0.15, 0, effect, va="center", fontsize=size["effect"], fontweight="bold")
    for sign, (bones, _) in zip((1, -1), rows):
        for bone in bones:
            x0, slant, major = bone["x0"], bone["slant"], bone["major"]
            # the bone runs from its major cause down (or up) to the spine
            ax.plot([x0, x0 + slant], [sign * bone_h, 0], color="black", linewidth=1.2)
            ax.text(x0, sign * (bone_h + 0.06), said(major), ha="center",
                    va="bottom" if sign > 0 else "top", fontweight="bold",
                    fontsize=size["major"])
            n = len(causes[major])
            for j, cause in enumerate(causes[major]):
                frac = (j + 1) / (n + 1)
                cx, cy = x0 + slant * frac, sign * bone_h * (1 - frac)
                ax.plot([cx - size["tick"], cx], [cy, cy], color="grey", linewidth=0.8)
                ax.text(cx - size["tick"] - size["gap"], cy, said(cause), ha="right",
                        va="center", fontsize=size["cause"])
    ax.set_xlim(-extra / 2, width - extra / 2)
    ax.set_ylim(-height / 2, height / 2)
    ax.axis("off")
    ax.set_title(t("title_ishikawa"))
    return ax


@_localized
def complaints_by_month(table: pd.DataFrame, lang: str = "en", ax=None):
    """Complaints per 1,000 orders of each month (from ``service.complaint_rates(by="month")``)."""
    t = glossary(lang)
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 3.5))
    ax.plot(table.index, table["complaints_per_1000_orders"], marker="o", markersize=3)
    ax.set(title=t("title_complaints_by_month"), xlabel=t("month"),
           ylabel=t("complaints_per_1000_orders"))
    ax.set_ylim(bottom=0)
    ax.figure.autofmt_xdate()
    return ax


@_localized
def satisfaction_by_month(table: pd.DataFrame, lang: str = "en"):
    """CSAT and NPS by month with their 95% bands (from ``service.satisfaction_by``)."""
    t = glossary(lang)
    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 3.8))
    x = table.index
    a.plot(x, table["csat"] * 100)
    a.fill_between(x, table["csat_low"] * 100, table["csat_high"] * 100, alpha=0.3)
    a.set(title=t("title_satisfaction_by_month"), ylabel=f"{t('csat')} (%)", xlabel=t("month"))
    b.plot(x, table["nps"])
    b.fill_between(x, table["nps_low"], table["nps_high"], alpha=0.3)
    b.set(title=t("nps"), ylabel=t("nps"), xlabel=t("month"))
    fig.autofmt_xdate()
    fig.tight_layout()
    return fig


@_localized
def kpi_trends(kpis: pd.DataFrame, columns: list[str], baseline=None, lang: str = "en",
               key_dates: pd.DataFrame | None = None):
    """Small multiples of KPIs by month, with the baseline month's value dashed and the key
    business dates marked (named on the first panel)."""
    t = glossary(lang)
    columns = [c for c in columns if c in kpis and kpis[c].notna().any()]
    ncols = 3
    nrows = -(-len(columns) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(11, 2.6 * nrows), squeeze=False,
                             sharex=True)
    handles = []
    for ax, col in zip(axes.flat, columns):
        ax.plot(kpis.index, kpis[col], marker=".")
        if baseline is not None and baseline in kpis.index and pd.notna(kpis.loc[baseline, col]):
            ax.axhline(kpis.loc[baseline, col], ls="--", color="grey", lw=1)
        handles = _mark_key_dates(ax, key_dates, lang) or handles
        ax.set_title(t(col), fontsize=10)
    for ax in axes.flat[len(columns):]:
        ax.set_visible(False)
    for ax in axes[-1]:
        ax.set_xlabel(t("month"))
    fig.suptitle(t("title_kpis"))
    fig.autofmt_xdate()
    fig.tight_layout()
    if handles:  # the key dates, named once below the panels
        fig.subplots_adjust(bottom=0.1 + 0.25 / nrows)
        fig.legend(handles=handles, loc="lower center", ncols=min(len(handles), 6),
                   fontsize="small", frameon=False)
    return fig


@_localized
def cohort_heatmap(table: pd.DataFrame, lang: str = "en", ax=None, max_age: int = 12):
    """Heat map of cohort retention (rows: acquisition months, columns: months since)."""
    t = glossary(lang)
    shown = table.loc[:, :max_age]
    if ax is None:
        _, ax = plt.subplots(figsize=(10, 0.28 * len(shown) + 1.5))
    _sns().heatmap(shown, ax=ax, cmap="Blues", vmin=0, vmax=1, annot=len(shown) <= 30, fmt=".0%",
                annot_kws={"fontsize": 7}, cbar_kws={"label": t("retention_rate")},
                yticklabels=[_month(m, lang) for m in shown.index])
    ax.set(title=t("title_cohort_retention"), xlabel=t("months_since_acquisition"),
           ylabel=t("cohort"))
    return ax


@_localized
def cohort_revenue(table: pd.DataFrame, lang: str = "en", ax=None, max_age: int = 12):
    """Cumulative revenue per customer acquired, one line per quarter's first cohort (quarters
    of the reader's calendar: Farvardin, Tir, Mehr and Dey in the Jalali one)."""
    t = glossary(lang)
    ax = _axes(ax)
    cumulative = table.loc[:, :max_age].cumsum(axis=1, skipna=False)
    calendar = i18n.reader_calendar(lang)
    quarters = [calendars.month_number(m, calendar) % 3 == 0 for m in cumulative.index]
    for month, row in cumulative[quarters].iterrows():
        ax.plot(row.index, row.to_numpy(), marker=".", label=_month(month, lang))
    ax.set(title=t("title_cohort_revenue"), xlabel=t("months_since_acquisition"),
           ylabel=_unit(t, "revenue_per_customer", "currency", "cumulative"))
    ax.legend(title=t("cohort"), fontsize=8, ncols=2)
    return ax


@_localized
def uplift(curves: dict, deciles: pd.DataFrame, lang: str = "en"):
    """Whom the contact moves: the Qini curve of each targeting score against random
    targeting (left), and the uplift by decile of the uplift model's score: observed in the
    campaign, predicted, and true where the shop planted it (right).

    ``curves`` maps a score's name (a label key) to its :func:`crmwb.uplift.qini_curve`;
    ``deciles`` is :func:`crmwb.uplift.uplift_by_decile`.
    """
    t = glossary(lang)
    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4))
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for colour, (name, c) in zip(colours, curves.items()):
        a.plot(c["share"] * 100, c["qini"], label=t(name), color=colour)
    last = next(iter(curves.values()))
    a.plot([0, 100], [0, last["qini"].iloc[-1]], color="grey", linestyle="--",
           label=t("random"))
    a.axhline(0, color="black", linewidth=0.5)
    a.set(title=t("title_qini"), xlabel=f"{t('targeted_share')} (%)",
          ylabel=t("incremental_responses"))
    a.legend(fontsize="small")
    x = np.arange(len(deciles))
    width = 0.4 if "true_uplift" in deciles else 0.6
    b.bar(x - (width / 2 if "true_uplift" in deciles else 0), deciles["observed_uplift"] * 100,
          width, label=t("observed_uplift"), color=MUTED)
    if "true_uplift" in deciles:
        b.bar(x + width / 2, deciles["true_uplift"] * 100, width, label=t("true_uplift"),
              color=HIGHLIGHT)
    b.plot(x, deciles["predicted_uplift"] * 100, marker="o", color="black",
           label=t("predicted_uplift"))
    b.axhline(0, color="black", linewidth=0.5)
    b.set_xticks(x, [str(d) for d in deciles.index])
    b.set(title=t("title_uplift_deciles"), xlabel=t("uplift_decile"),
          ylabel=f"{t('uplift')} (%)")
    b.legend(fontsize="small")
    fig.tight_layout()
    return fig


@_localized
def customer_timeline(timeline: pd.DataFrame, lang: str = "en", ax=None):
    """One customer's purchases (dot size: value), contacts, surveys and campaigns in time."""
    t = glossary(lang)
    ax = _axes(ax)
    events = ["purchase", "contact", "survey", "campaign"]
    for y, event in enumerate(events):
        rows = timeline[timeline["event"] == event]
        if not len(rows):
            continue
        size = 20.0
        if event == "purchase":
            value = rows["value"].fillna(0).clip(lower=0)
            size = 20 + 200 * value / max(value.max(), 1)
        ax.scatter(rows["date"], [y] * len(rows), s=size, alpha=0.7, label=t(event))
    ax.set_yticks(range(len(events)), t.values(events))
    ax.set_ylim(-0.6, len(events) - 0.4)
    ax.set(title=t("title_customer_timeline"), xlabel=t("date"))
    ax.figure.autofmt_xdate()
    return ax


@_localized
def next_actions(counts: pd.Series, lang: str = "en", ax=None):
    """Horizontal bar chart of customers per recommended action."""
    t = glossary(lang)
    ax = _axes(ax)
    ax.barh(t.values(counts.index.astype(str)), counts.to_numpy())
    ax.invert_yaxis()
    ax.set(title=t("title_next_actions"), xlabel=t("customers"), ylabel=t("next_action"))
    return ax


# --- the customer journey (notebook 08) -----------------------------------------------------------

@_localized
def transitions(matrix: pd.DataFrame, lang: str = "en"):
    """Where each touchpoint leads (from :func:`crmwb.journey.transition_matrix`): the share of
    the transitions out of each row's touchpoint (left) and the median days to the next one
    (right), as heat maps."""
    from crmwb.journey import transition_table

    t = glossary(lang)
    share = transition_table(matrix, "share")
    days = transition_table(matrix, "median_days").reindex_like(share)
    days = days.drop(columns=[c for c in days.columns if days[c].isna().all()])
    size = 0.42 * len(share) + 2
    timed = days.notna().to_numpy().any()  # no customer moved on: no days to show
    fig, axes = plt.subplots(1, 2 if timed else 1, figsize=(16 if timed else 9, size),
                             width_ratios=[len(share.columns), len(days.columns)] if timed
                             else None, squeeze=False)
    a = axes[0][0]
    _sns().heatmap(share * 100, ax=a, cmap="Blues", vmin=0, vmax=100, annot=True, fmt=".0f",
                   annot_kws={"fontsize": 7}, cbar=False,
                   xticklabels=[t.word(c) for c in share.columns],
                   yticklabels=[t.word(r) for r in share.index])
    a.set(title=f"{t('title_transitions')} (%)", xlabel=t("next_touchpoint"),
          ylabel=t("touchpoint"))
    if timed:
        b = axes[0][1]
        _sns().heatmap(days, ax=b, cmap="Oranges", annot=True, fmt=".0f",
                       annot_kws={"fontsize": 7}, cbar=False,
                       xticklabels=[t.word(c) for c in days.columns], yticklabels=False)
        b.set(title=t("title_transition_days"), xlabel=t("next_touchpoint"), ylabel="")
    for ax in axes[0]:
        ax.tick_params(axis="x", labelrotation=90)
    fig.tight_layout()
    return fig


@_localized
def step_matrix(matrix: pd.DataFrame, lang: str = "en", ax=None):
    """The share of customers at each touchpoint at each step (from
    :func:`crmwb.journey.step_matrix`), as a heat map."""
    t = glossary(lang)
    if ax is None:
        _, ax = plt.subplots(figsize=(9, 0.4 * len(matrix) + 1.5))
    _sns().heatmap(matrix * 100, ax=ax, cmap="Blues", vmin=0, vmax=100, annot=True, fmt=".0f",
                   annot_kws={"fontsize": 8}, cbar_kws={"label": f"{t('customer_share')} (%)"},
                   yticklabels=[t.word(r) for r in matrix.index])
    ax.set(title=t("title_step_matrix"), xlabel=t("step"), ylabel=t("touchpoint"))
    return ax


def _band(ax, x0, x1, y0, y1, height, colour):
    """A band of constant ``height`` from (x0, y0) to (x1, y1) along a smooth S curve."""
    xs = np.linspace(x0, x1, 40)
    s = (1 - np.cos(np.linspace(0, np.pi, 40))) / 2
    bottom = y0 + (y1 - y0) * s
    ax.fill_between(xs, bottom, bottom + height, color=colour, alpha=0.35, linewidth=0)


@_localized
def journey_paths(flows: pd.DataFrame, lang: str = "en", ax=None):
    """The customers' paths step by step (from :func:`crmwb.journey.path_flows`): at each step
    a column of blocks, one per touchpoint, as tall as the customers there; bands carry the
    customers to their next touchpoint. Drawn, not scripted: it reads in any viewer."""
    from crmwb.journey import ENDED, OTHER, TOUCHPOINTS

    t = glossary(lang)
    if ax is None:
        _, ax = plt.subplots(figsize=(12, 6))
    steps = sorted(flows["step"].unique())
    total = flows[flows["step"] == steps[0]]["customers"].sum()
    palette = plt.rcParams["axes.prop_cycle"].by_key()["color"] + ["#56B4E9", "#CC79A7",
                                                                    "#009E73", "#F0E442"]
    names = [n for n in TOUCHPOINTS if n in set(flows["from"]) | set(flows["to"].dropna())]
    names += sorted((set(flows["from"]) | set(flows["to"].dropna())) - set(names) - {OTHER,
                                                                                     ENDED})
    colour = {n: palette[i % len(palette)] for i, n in enumerate(names)}
    colour.update({OTHER: MUTED, ENDED: "#DDDDDD"})
    order = {n: i for i, n in enumerate([*names, OTHER, ENDED])}
    gap, width = 0.02 * total, 0.18
    # each step's blocks: customers at each touchpoint, stacked top-down in a fixed order
    at = {s: flows[flows["step"] == s].groupby("from")["customers"].sum() for s in steps}
    ended_before = 0.0
    tops = {}
    height = total + gap * (max(len(v) for v in at.values()) + 1)  # every column's top
    for s in steps:
        counts = at[s].copy()
        if s > steps[0]:
            ended_before += flows[(flows["step"] == s - 1) & (flows["to"] == ENDED)][
                "customers"].sum()
            counts[ENDED] = ended_before
        y = height
        for name in sorted(counts.index, key=lambda n: order.get(n, len(order))):
            h = counts[name]
            if h <= 0:
                continue
            y -= h
            tops[(s, name)] = y + h
            ax.bar(s, h, bottom=y, width=width, color=colour.get(name, MUTED),
                   edgecolor="white")
            if h >= 0.04 * total:
                ax.text(s + width / 2 + 0.02, y + h / 2, t.word(name), va="center",
                        fontsize=8)
            y -= gap
    # the bands: from the bottom of each block's outflow share to the next step's block
    for s in steps[:-1]:
        out_used = {}
        in_used = {}
        moves = flows[(flows["step"] == s) & flows["to"].notna() & (flows["to"] != ENDED)]
        moves = moves.assign(_o=moves["from"].map(order), _i=moves["to"].map(order))
        for r in moves.sort_values(["_o", "_i"]).itertuples():
            if (s, r[2]) not in tops or (s + 1, r[3]) not in tops:
                continue
            source, target = r[2], r[3]  # the columns "from" and "to"
            y0 = tops[(s, source)] - out_used.get(source, 0) - r.customers
            y1 = tops[(s + 1, target)] - in_used.get(target, 0) - r.customers
            out_used[source] = out_used.get(source, 0) + r.customers
            in_used[target] = in_used.get(target, 0) + r.customers
            _band(ax, s + width / 2, s + 1 - width / 2, y0, y1, r.customers,
                  colour.get(source, MUTED))
    ax.set_xticks(steps, [str(s) for s in steps])
    ax.set_yticks([])
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    ax.set(title=t("title_journey_paths"), xlabel=t("step"))
    ax.set_xlim(steps[0] - 0.3, steps[-1] + 0.8)
    ax.set_ylim(0, height * 1.01)
    return ax


@_localized
def second_purchase(curve: pd.DataFrame, lang: str = "en", ax=None):
    """The share of customers back for a second purchase by days since their first (from
    :func:`crmwb.journey.second_purchase`), with 30, 90, 180 and 365 days marked."""
    t = glossary(lang)
    ax = _axes(ax)
    ax.step(curve.index, curve["share_back"] * 100, where="post")
    for d in (30, 90, 180, 365):
        if d <= curve.index.max():
            ax.axvline(d, color="grey", linestyle=":", linewidth=0.8)
    ax.set_ylim(0, 100)
    ax.set(title=t("title_second_purchase"), xlabel=t("days_since_first_purchase"),
           ylabel=f"{t('share_back')} (%)")
    return ax
