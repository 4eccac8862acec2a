import numpy as np
import pandas as pd
import pytest

from crmwb import engine
from crmwb.datasets import make_crm_data, write_large_crm_data
from crmwb.datasets.synthetic import NON_PRODUCT_CODES


def test_same_seed_gives_identical_tables(crm_data):
    again = make_crm_data(1500, seed=7)
    for name, table in crm_data.tables.items():
        pd.testing.assert_frame_equal(table, again.tables[name], obj=name)
    pd.testing.assert_frame_equal(crm_data.truth["customers"], again.truth["customers"])


def test_another_seed_gives_other_tables(crm_data):
    other = make_crm_data(1500, seed=8)
    assert not crm_data.transactions["date"].equals(other.transactions["date"])


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="n_customers"):
        make_crm_data(0)
    with pytest.raises(ValueError, match="shorter than 60 days"):
        make_crm_data(10, "2024-01-01", "2024-01-20")


def test_cleaned_purchases_match_the_simulated_truth(crm_data, clean_lines):
    """Removing the dirt gives back exactly each person's simulated purchases."""
    identity = crm_data.truth["identity"].set_index("customer_id")["person_id"]
    person = clean_lines["customer_id"].map(identity)
    assert person.notna().all()
    invoices = clean_lines.assign(person=person).groupby("person")["invoice_id"].nunique()
    truth = crm_data.truth["customers"].set_index("person_id")
    np.testing.assert_array_equal(invoices.reindex(truth.index).to_numpy(),
                                  truth["n_repeat"].to_numpy() + 1)


def test_dirt_is_present(crm_data):
    tx = crm_data.transactions
    assert tx["invoice_id"].str.startswith("C").sum() > 10
    assert (tx.loc[tx["invoice_id"].str.startswith("C"), "quantity"] < 0).all()
    assert tx["customer_id"].isna().sum() > 10
    assert tx.duplicated().sum() > 10
    assert set(NON_PRODUCT_CODES) <= set(tx["product_id"])
    assert (tx["unit_price"] == 0).sum() > 0


def test_returns_are_hard_split_partial_and_under_another_id(crm_data):
    """Not every return cancels one line of its own: some take back more than any one
    earlier line holds (split), some less than the line they follow (partial), some are
    recorded under the person's other customer id."""
    tx = crm_data.transactions.drop_duplicates()
    person = crm_data.truth["identity"].set_index("customer_id")["person_id"]
    tx = tx.assign(person=tx["customer_id"].map(person))
    returns = tx[tx["quantity"] < 0]
    sales = tx[tx["quantity"] > 0]
    biggest = sales.groupby(["person", "product_id"])["quantity"].max()
    key = list(zip(returns["person"], returns["product_id"]))
    most = biggest.reindex(key).to_numpy()
    assert (-returns["quantity"].to_numpy() > most).sum() > 5  # split across purchases
    same_line = returns.assign(quantity=-returns["quantity"]).merge(
        sales, on=["person", "product_id", "quantity"])
    assert same_line["invoice_id_x"].nunique() < len(returns)  # partial returns
    bought_by = sales.groupby(["person", "product_id"])["customer_id"].agg(set)
    other_id = [cid not in bought_by.get((p, prod), set()) for cid, p, prod in
                zip(returns["customer_id"], returns["person"], returns["product_id"])]
    assert sum(other_id) > 0  # under the other id


def test_placeholders_and_families_share_phones_and_emails(crm_data):
    from crmwb.datasets.synthetic import PLACEHOLDER_EMAIL, PLACEHOLDER_PHONE

    c = crm_data.customers
    person = crm_data.truth["identity"].set_index("customer_id")["person_id"]
    for column, value in (("phone", PLACEHOLDER_PHONE), ("email", PLACEHOLDER_EMAIL)):
        holders = c.loc[c[column] == value, "customer_id"].map(person)
        assert holders.nunique() > 10  # many different people, one value
    shared = c.dropna(subset=["phone"]).groupby("phone")["customer_id"].agg(
        lambda ids: ids.map(person).nunique())
    assert (shared == 2).sum() > 5  # families: two people, one home phone
    twins = c[c["customer_id"].map(person) != c["customer_id"]]
    assert twins["phone"].isna().sum() > 3  # second ids without a phone


def test_some_people_have_a_second_id_written_differently(crm_data):
    identity = crm_data.truth["identity"]
    twins = identity[identity["customer_id"] != identity["person_id"]]
    assert len(twins) >= 20
    customers = crm_data.customers.set_index("customer_id")
    a = customers.loc[twins["person_id"]].reset_index()
    b = customers.loc[twins["customer_id"]].reset_index()
    assert (a["email"] != b["email"]).all()
    assert (a["phone"] != b["phone"]).all()
    # the same person all the same: same city, and the email matches once normalised
    assert (a["city"] == b["city"]).all()

    def normalise(email):
        parts = email.str.strip().str.lower().str.partition("@")
        return parts[0].str.replace(".", "") + "@" + parts[2]

    # unless staff typed the placeholder for one of them (the shop's other dirt)
    from crmwb.datasets.synthetic import PLACEHOLDER_EMAIL

    typed = (a["email"] != PLACEHOLDER_EMAIL) & (b["email"] != PLACEHOLDER_EMAIL)
    assert typed.mean() > 0.8
    assert (normalise(a["email"]) == normalise(b["email"]))[typed].all()


def test_planted_rules_have_high_lift(crm_data, clean_lines):
    catalogue = crm_data.catalogue.set_index("product_id")["product_type"]
    baskets = clean_lines.assign(t=clean_lines["product_id"].map(catalogue))
    has = pd.crosstab(baskets["invoice_id"], baskets["t"]).gt(0)
    for rule in crm_data.truth["rules"].itertuples():
        a, c = has[rule.antecedent], has[rule.consequent]
        confidence = (a & c).sum() / a.sum()
        lift = confidence / c.mean()
        assert lift > 2, (rule.antecedent, rule.consequent, lift)
        assert confidence >= rule.planted_confidence - 0.05
        # the truth records the rule's lift over the simulated baskets
        assert lift == pytest.approx(rule.lift, rel=0.05)


def test_wholesale_orders_are_fewer_and_larger(crm_data, clean_lines):
    types = crm_data.customers.set_index("customer_id")["customer_type"]
    value = clean_lines.assign(v=clean_lines["quantity"] * clean_lines["unit_price"])
    inv = value.groupby(["invoice_id", "customer_id"])["v"].sum().reset_index()
    inv["type"] = inv["customer_id"].map(types)
    median = inv.groupby("type")["v"].median()
    assert median["wholesale"] > 8 * median["retail"]
    truth = crm_data.truth["customers"]
    rate = truth.groupby("customer_type")["lambda_per_day"].mean()
    assert rate["wholesale"] < 0.6 * rate["retail"]


def test_invoice_values_follow_the_planted_gamma_gamma_spend(crm_data, clean_lines):
    """Mean spend per purchase is close to p / nu for customers with many purchases."""
    value = clean_lines.assign(v=clean_lines["quantity"] * clean_lines["unit_price"])
    identity = crm_data.truth["identity"].set_index("customer_id")["person_id"]
    value["person"] = value["customer_id"].map(identity)
    per_invoice = value.groupby(["person", "invoice_id"])["v"].sum()
    observed = per_invoice.groupby("person").agg(["mean", "size"])
    truth = crm_data.truth["customers"].set_index("person_id")
    many = observed[observed["size"] >= 10].join(truth["expected_spend"])
    ratio = many["mean"] / many["expected_spend"]
    assert 0.9 < ratio.median() < 1.1
    assert np.corrcoef(np.log(many["mean"]), np.log(many["expected_spend"]))[0, 1] > 0.8


def test_brand_choice_follows_the_loyalty_type(crm_data, clean_lines):
    identity = crm_data.truth["identity"].set_index("customer_id")["person_id"]
    lines = clean_lines.assign(person=clean_lines["customer_id"].map(identity))
    share = lines.groupby("person")["brand"].agg(lambda b: b.value_counts(normalize=True).iloc[0])
    truth = crm_data.truth["customers"].set_index("person_id")
    top = share.to_frame("top").join(truth[["loyalty_type", "n_repeat"]])
    top = top[top["n_repeat"] >= 3].groupby("loyalty_type")["top"].mean()
    assert top["hard-core"] == pytest.approx(1.0)
    assert top["switcher"] < 0.5
    assert top["hard-core"] > top["split"] > top["switcher"]


def test_seasonality_is_visible(clean_lines):
    inv = clean_lines.drop_duplicates("invoice_id")
    weekday = inv["date"].dt.day_of_week.value_counts()
    assert weekday[5] > 1.5 * weekday[6]  # Saturday busy, Sunday quiet
    month = inv["date"].dt.month.value_counts()
    assert month[12] > month[2]


def test_complaints_at_dropout_are_handled_slowly_and_few_dissatisfied_complain(crm_data):
    truth = crm_data.truth["customers"]
    identity = crm_data.truth["identity"].set_index("customer_id")["person_id"]
    complaints = crm_data.contacts[crm_data.contacts["kind"] == "complaint"].copy()
    complaints["person"] = complaints["customer_id"].map(identity)
    days = (complaints["resolved_date"] - complaints["date"]).dt.days
    complaints["slow_or_open"] = days.isna() | (days > 3)
    alive = truth.set_index("person_id")["alive"]
    slow_by_status = complaints.groupby(complaints["person"].map(alive))["slow_or_open"].mean()
    assert slow_by_status[False] > 2 * slow_by_status[True]
    # the silent majority (the course: 4-6% of the dissatisfied complain): far fewer
    # complaints than answers of 2 or less
    unhappy = (crm_data.surveys["csat"] <= 2).mean() / crm_data.truth["params"][
        "survey_rate_per_purchase"]
    assert len(complaints) < 0.2 * unhappy * crm_data.truth["params"]["purchase_lines"]


def test_survey_scores_fall_after_a_complaint(crm_data):
    # each earlier complaint costs the score 0.35 points (planted), a bad experience 2.5
    c = crm_data.contacts.loc[crm_data.contacts["kind"] == "complaint", ["customer_id", "date"]]
    s = crm_data.surveys.reset_index()
    pairs = s.merge(c, on="customer_id", suffixes=("", "_complaint"))
    after = set(pairs.loc[pairs["date_complaint"] < pairs["date"], "index"])
    s["after_complaint"] = s["index"].isin(after)
    means = s.groupby("after_complaint")[["csat", "nps"]].mean()
    assert means.loc[True, "csat"] < means.loc[False, "csat"] - 0.2
    assert means.loc[True, "nps"] < means.loc[False, "nps"] - 0.4
    assert (crm_data.surveys["csat"] <= 2).mean() > 0.08  # dissatisfaction is common


def test_campaign_uplift_is_recovered(crm_data):
    camp = crm_data.campaigns
    rates = camp.groupby("group")["responded"].mean()
    uplift = rates["treatment"] - rates["control"]
    planted = crm_data.truth["params"]["campaign"]["average_uplift"]
    n = camp["group"].value_counts()
    se = np.sqrt(sum(rates[g] * (1 - rates[g]) / n[g] for g in n.index))
    assert abs(uplift - planted) < 3 * se
    assert (camp.loc[~camp["responded"], "revenue"] == 0).all()


def test_prospects_and_suspects_never_bought(crm_data):
    buyers = set(crm_data.customers["customer_id"])
    assert not set(crm_data.leads["lead_id"]) & buyers
    assert not set(crm_data.suspects["suspect_id"]) & buyers
    assert len(crm_data.suspects) > len(crm_data.leads) > 0


def test_truth_alive_share_matches_the_bgnbd_process(crm_data):
    """Customers who made no repeat purchase are alive by definition of BG/NBD."""
    truth = crm_data.truth["customers"]
    assert truth.loc[truth["n_repeat"] == 0, "alive"].all()
    assert 0.2 < truth["alive"].mean() < 0.8


def test_large_data_is_written_in_chunks_and_first_chunk_equals_small(tmp_path):
    out = write_large_crm_data(250, tmp_path / "big", seed=3, chunk_size=100)
    parts = sorted((out / "transactions").glob("part-*.parquet"))
    assert len(parts) == 3
    small = make_crm_data(100, seed=3)
    first = pd.read_parquet(parts[0])
    pd.testing.assert_frame_equal(first, small.transactions, check_dtype=False)
    lines = engine.open_table(out / "transactions")
    total = sum(len(pd.read_parquet(p)) for p in parts)
    assert int(lines.count().execute()) == total
    ids = pd.concat(pd.read_parquet(p) for p in sorted((out / "customers").glob("*.parquet")))
    assert ids["customer_id"].is_unique
    invoices = engine.to_pandas(lines.select("invoice_id", "customer_id").distinct())
    assert not invoices["invoice_id"].duplicated().any()
    # the truth of every chunk is read back whole: a notebook's exercises check against it
    from crmwb.truth import Truth

    truth = Truth.read(out / "truth")
    assert len(truth.customers) == 250 and truth.identity["customer_id"].is_unique
    campaigns = pd.concat(pd.read_parquet(p) for p in (out / "campaigns").glob("*.parquet"))
    assert truth.campaign_uplift(campaigns["customer_id"]).notna().all()


def test_writing_refuses_to_overwrite(tmp_path, crm_data):
    target = tmp_path / "d"
    crm_data.write(target)
    with pytest.raises(FileExistsError, match="already exists"):
        crm_data.write(target)
    assert sorted(p.name for p in target.iterdir())[:3] == [
        ".crmwb-output.json", "campaigns.parquet", "catalogue.parquet"]


def test_subscriptions_are_canonical_and_censored_where_the_window_ends(crm_data):
    from crmwb import schema

    subs = crm_data.subscriptions
    schema.validate(subs, "subscriptions")
    truth = crm_data.truth["subscribers"]
    assert list(truth["customer_id"]) == list(subs["customer_id"])
    assert set(subs["customer_id"]) <= set(crm_data.customers["customer_id"])
    assert set(subs["contract"]) == {"month-to-month", "one year", "two year"}
    # a subscriber who left did so after exactly `tenure` months; one still there has
    # completed `tenure` months and will leave later
    lifetime = truth["lifetime_months"].to_numpy()
    assert (lifetime[subs["churned"]] == subs.loc[subs["churned"], "tenure"]).all()
    assert (lifetime[~subs["churned"]] > subs.loc[~subs["churned"], "tenure"]).all()
    # the months completed never reach past the window, nor start before the first purchase
    months = (2025 - truth["joined"].dt.year) * 12 + 12 - truth["joined"].dt.month
    assert (subs["tenure"] <= months).all() and (subs.loc[~subs["churned"], "tenure"] ==
                                                months[~subs["churned"]]).all()
    first = crm_data.truth["customers"].set_index("person_id")["first_purchase"]
    assert (truth["joined"].to_numpy() >= first.loc[subs["customer_id"]].dt.to_period("M")
            .dt.to_timestamp().to_numpy()).all()
    # the newest subscribers have been billed nothing yet (Telco's blank TotalCharges)
    new = subs["tenure"] == 0
    assert new.any() and subs.loc[new, "total_charges"].isna().all()
    assert not subs.loc[new, "churned"].any() and subs.loc[~new, "total_charges"].notna().all()


def test_subscriptions_recover_the_planted_sbg_survival_per_contract():
    from scipy.special import betaln

    from crmwb import clv

    data = make_crm_data(20_000, seed=11)
    models, table = clv.retention_by_group(data.subscriptions, "contract")
    planted = data.truth["params"]["subscriptions"]["contracts"]
    assert set(models) == set(planted)
    rng = np.random.default_rng(0)
    for contract, model in models.items():
        a, b = planted[contract]["alpha"], planted[contract]["beta"]
        # the fitted survival's sampling error, from draws of the parameters (24 months is
        # the whole window: only the first subscribers reach it, so it is known least well)
        draws = np.exp(rng.multivariate_normal(model._log_params, model.covariance_log_, 4000))
        for months in (1, 6, 12, 24):
            true = np.exp(betaln(a, b + months) - betaln(a, b))
            se = np.exp(betaln(draws[:, 0], draws[:, 1] + months)
                        - betaln(draws[:, 0], draws[:, 1])).std()
            assert se < 0.04
            # inside the fit's 99.7% interval
            assert abs(model.survival(months) - true) < 3 * se, (contract, months, se)
    # the contracts differ as planted: a longer commitment keeps subscribers longer
    assert table["survival_12"].is_monotonic_increasing
    assert list(table.index) == ["month-to-month", "one year", "two year"]
