"""RFM scores and segments, clusters and the retail/wholesale split."""

import numpy as np
import pandas as pd
import pytest

from crmwb import cleaning, io, segmentation, summary


def test_quintile_scores_give_equal_values_equal_scores():
    values = pd.Series([5, 5, 5, 1, 9, 9, 2, 3, 4, 100])
    scores = segmentation.quantile_scores(values)
    assert scores.between(1, 5).all()
    for v in values.unique():
        assert scores[values == v].nunique() == 1
    assert scores[values.idxmin()] == 1 and scores[values.idxmax()] == 5
    # more is never scored lower
    order = values.sort_values().index
    assert scores[order].is_monotonic_increasing


def test_recency_scores_favour_recent_customers():
    days = pd.Series([1, 10, 100, 1000, 5])
    assert segmentation.quantile_scores(days, higher_is_better=False).tolist() == [5, 3, 2, 1, 4]


def summary_of(days, invoices, revenue):
    return pd.DataFrame({"days_since_last_purchase": days, "invoices": invoices,
                         "revenue": revenue}, index=pd.Index(range(1, len(days) + 1),
                                                            name="customer_id"))


def test_rfm_cells_and_segments_by_hand():
    s = summary_of(days=[1, 2, 3, 4, 5, 300, 400, 500, 600, 700],
                   invoices=[50, 1, 40, 30, 20, 45, 2, 3, 4, 1],
                   revenue=[900, 10, 800, 700, 600, 850, 20, 30, 40, 5])
    rfm = segmentation.rfm_scores(s)
    assert rfm.loc[1, "rfm_cell"] == "555"
    assert rfm.loc[1, "segment"] == "champions"
    assert rfm.loc[2, ["R", "F"]].tolist() == [5, 1] and rfm.loc[2, "segment"] == "new"
    # bought very often, some time ago: loyal rather than a champion
    assert rfm.loc[6, ["R", "F"]].tolist() == [3, 5] and rfm.loc[6, "segment"] == "loyal"
    assert rfm.loc[10, "segment"] == "lost"
    assert rfm.loc[1, "rfm_score"] == 15


def test_every_cell_has_a_segment_and_a_gap_is_refused():
    segmentation.check_segments(segmentation.RFM_SEGMENTS)
    partial = {k: v for k, v in segmentation.RFM_SEGMENTS.items() if k != "lost"}
    with pytest.raises(ValueError, match=r"leaves cells \['11'\]"):
        segmentation.rfm_scores(summary_of([1, 2], [1, 2], [1, 2]), segments=partial)


def test_a_replacement_mapping_is_used():
    mine = {"active": ["[345]."], "gone": ["[12]."]}
    s = summary_of(days=list(range(10)), invoices=[1] * 10, revenue=list(range(10)))
    rfm = segmentation.rfm_scores(s, segments=mine)
    assert set(rfm["segment"]) == {"active", "gone"}
    assert (rfm.loc[rfm["R"] >= 3, "segment"] == "active").all()


def test_segment_table_shares_add_up():
    s = summary_of(days=[1, 2, 300, 400], invoices=[9, 8, 1, 1], revenue=[90, 80, 5, 5])
    table = segmentation.segment_table(segmentation.rfm_scores(s))
    assert table["customers"].sum() == 4
    assert table["revenue_share"].sum() == pytest.approx(1.0)


@pytest.fixture(scope="module")
def shop():
    from crmwb.datasets import make_crm_data

    data = make_crm_data(1500, seed=11)
    ds = io.Dataset(source=None, transactions=io.read_transactions(data.transactions),
                    customers=data.customers, contacts=data.contacts, leads=data.leads,
                    suspects=data.suspects, catalogue=data.catalogue)
    clean = cleaning.clean_dataset(ds)
    return data, ds, clean, summary.customer_summary(clean.lines, returns=clean.cancellations)


def test_clusters_are_reproducible_and_named_from_their_profile(shop):
    _, _, _, s = shop
    a = segmentation.cluster_customers(s, seed=3, ks=range(2, 6))
    b = segmentation.cluster_customers(s, seed=3, ks=range(2, 6))
    pd.testing.assert_series_equal(a.labels, b.labels)
    assert len(a.profile) >= 3 and a.profile["customers"].sum() == len(s)
    assert list(a.scores.index) == [2, 3, 4, 5]
    chosen = a.scores.loc[a.scores.index >= 3, "silhouette"].idxmax()
    assert len(a.profile) == chosen
    # the cluster bringing the most revenue buys more recently and more often than the one
    # bringing the least
    first, last = a.profile.iloc[0], a.profile.iloc[-1]
    assert first["invoices"] > last["invoices"]
    assert a.profile.index.is_unique


def test_elbow_of_a_large_base_is_fitted_on_a_seeded_sample(shop):
    _, _, _, s = shop
    full = segmentation.choose_k(s, [3, 5], seed=2, max_customers=None)
    part = segmentation.choose_k(s, [3, 5], seed=2, max_customers=len(s) // 4)
    assert part.equals(segmentation.choose_k(s, [3, 5], seed=2, max_customers=len(s) // 4))
    # inertia is the sample's: about a quarter of the whole base's, the elbow the same shape
    ratio = part["inertia"] / full["inertia"]
    assert ratio.between(0.15, 0.35).all()
    assert (part["inertia"].diff().iloc[1] < 0) and (full["inertia"].diff().iloc[1] < 0)


def test_clusters_take_one_hot_customer_columns(shop):
    data, _, _, s = shop
    c = segmentation.cluster_customers(s, k=4, customers=data.customers,
                                       categorical=["region"], seed=1, ks=[4])
    encoder = c.pipeline.named_steps["features"].named_transformers_["categories"]
    assert set(encoder.categories_[0]) >= {"Tehran"}
    assert c.labels.nunique() == 4
    with pytest.raises(ValueError, match="no column"):
        segmentation.cluster_customers(s, k=3, customers=data.customers, categorical=["shoe"])


def test_retail_and_wholesale_are_recovered(shop):
    data, _, _, s = shop
    kind = segmentation.retail_wholesale(s, seed=0)
    recorded = data.customers.set_index("customer_id")["customer_type"].reindex(kind.index)
    assert (kind == recorded).mean() >= 0.9
    assert s.loc[kind == "wholesale", "average_basket"].median() > \
        3 * s.loc[kind == "retail", "average_basket"].median()


def test_rf_grid_counts_every_customer(shop):
    s = shop[3]
    rfm = segmentation.rfm_scores(s)
    grid = segmentation.rf_grid(rfm)
    assert grid.to_numpy().sum() == len(s)
    assert list(grid.index) == [5, 4, 3, 2, 1]
    assert np.isclose(grid.loc[5, 5], ((rfm["R"] == 5) & (rfm["F"] == 5)).sum())


def test_cluster_plot_of_a_large_base_draws_a_seeded_sample_and_says_so():
    import matplotlib
    matplotlib.use("Agg")
    from crmwb import plots
    rng = np.random.default_rng(0)
    n = 3 * plots.MAX_DOTS
    summary = pd.DataFrame({"days_since_last_purchase": rng.integers(0, 700, n),
                            "revenue": rng.lognormal(5, 1, n)})
    labels = pd.Series(rng.integers(0, 3, n), index=summary.index)
    ax = plots.clusters(summary, labels)
    drawn = sum(len(c.get_offsets()) for c in ax.collections)
    assert drawn == plots.MAX_DOTS
    assert any(f"{plots.MAX_DOTS:,} of {n:,}" in a.get_text() for a in ax.texts)
    small = plots.clusters(summary.head(500), labels.head(500))
    assert sum(len(c.get_offsets()) for c in small.collections) == 500 and not small.texts


def test_the_report_knows_when_the_silhouette_was_overruled(shop):
    s = shop[3]
    free = segmentation.cluster_customers(s, seed=1, min_k=2)
    best = int(free.scores["silhouette"].idxmax())
    assert free.silhouette_k == best == len(free.profile) and free.k_reason == "silhouette"
    floor = best + 1
    ruled = segmentation.cluster_customers(s, seed=1, min_k=floor)
    assert ruled.silhouette_k == best and ruled.k_reason == "min_k"
    assert len(ruled.profile) == int(ruled.scores.loc[floor:, "silhouette"].idxmax())
    asked = segmentation.cluster_customers(s, k=5, seed=1)
    assert asked.k_reason == "given" and asked.silhouette_k == best


def test_new_customers_purchase_rate_is_not_inflated_by_a_short_tenure():
    rng = np.random.default_rng(0)

    def block(n, basket, per_month, tenure, kind):
        invoices = np.maximum(1, rng.poisson(per_month * tenure / 30))
        return pd.DataFrame({"average_basket": basket * rng.lognormal(0, 0.3, n),
                             "invoices": invoices, "tenure_days": tenure, "kind": kind})

    s = pd.concat([block(200, 20, 2.0, 365, "retail"), block(100, 300, 0.3, 365, "wholesale"),
                   # new customers of both kinds, bought once in the last days
                   block(60, 20, 2.0, rng.integers(0, 5, 60), "retail"),
                   block(40, 300, 0.3, rng.integers(0, 5, 40), "wholesale")], ignore_index=True)
    rate = segmentation.purchase_rate(s)
    new = s["tenure_days"] < 5
    assert rate[new].max() < rate[~new & (s["kind"] == "retail")].median() * 2
    kind = segmentation.retail_wholesale(s)
    assert (kind == s["kind"]).mean() >= 0.98
    assert (kind[new & (s["kind"] == "wholesale")] == "wholesale").all()


def test_descriptive_bases_compare_each_group_with_the_customers_whose_attribute_is_known():
    summary = pd.DataFrame({"revenue": [100.0, 100.0, 300.0, 500.0, 10_000.0]},
                           index=pd.Index([1, 2, 3, 4, 5], name="customer_id"))
    customers = pd.DataFrame({"customer_id": [1, 2, 3, 4, 5],
                              "region": ["Fars", "Fars", "Yazd", "Yazd", None],
                              "age": [22, 30, 41, 67, None], "gender": ["female"] * 4 + [None]})
    bases = segmentation.descriptive_bases(customers)
    assert list(bases) == ["region", "age_band", "gender"]
    assert bases["age_band"].tolist()[:4] == ["age_under_25", "age_25_34", "age_35_44",
                                              "age_55_plus"]
    t = segmentation.segment_by(summary, bases["region"], pd.Series([1.0, 1.0, 2.0, 2.0, 14.0],
                                                                   index=summary.index))
    # the business without a region does not set the average: known customers spend 250
    assert t.loc["Yazd", "spend_index"] == pytest.approx(400 / 250)
    assert t.loc["Fars", "spend_index"] == pytest.approx(100 / 250)
    assert t.loc["unknown", "customers"] == 1
    assert t["customer_share"].sum() == pytest.approx(1.0)
    assert t.loc["unknown", "profit_share"] == pytest.approx(0.7)


def test_a_customer_s_purchase_channel_is_the_channel_of_most_of_their_invoices():
    lines = pd.DataFrame({"invoice_id": ["1", "2", "3", "4", "5"],
                          "customer_id": pd.array([7, 7, 7, 8, 8], dtype="Int64"),
                          "channel": ["online", "online", "store", "phone", "store"],
                          "quantity": [1, 1, 1, 1, 1], "unit_price": 1.0,
                          "date": pd.to_datetime(["2024-01-01"] * 5)})
    got = segmentation.main_channel(lines)
    assert got[7] == "online" and got[8] == "phone"  # a tie: the first channel by name


def test_lines_without_channels_have_no_purchase_channel():
    lines = pd.DataFrame({"invoice_id": ["1"], "customer_id": pd.array([7], dtype="Int64"),
                          "quantity": [1], "unit_price": 1.0,
                          "date": pd.to_datetime(["2024-01-01"])})
    assert segmentation.main_channel(lines).empty
    assert "purchase_channel" not in segmentation.descriptive_bases(None,
                                                                    segmentation.main_channel(lines))
