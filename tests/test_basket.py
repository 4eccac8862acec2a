"""Market baskets: hand-counted rules, recommendations, planted rules and pyfim as a reference."""

import numpy as np
import pandas as pd
import pytest
from conftest import shared_dataset

from crmwb import basket, cleaning, io

BASKETS = [
    ["bread", "butter", "milk"],
    ["bread", "butter"],
    ["bread", "jam"],
    ["milk", "tea"],
    ["bread", "butter", "jam"],
]


def test_read_baskets_drops_empty_and_repeated_items(tmp_path):
    path = tmp_path / "b.csv"
    path.write_text("a,b,a\n c ,,d\n")
    assert basket.read_baskets(path) == [["a", "b"], ["c", "d"]]
    (tmp_path / "empty.csv").write_text("\n\n")
    with pytest.raises(ValueError, match="no items"):
        basket.read_baskets(tmp_path / "empty.csv")


def test_encoding_is_sparse():
    onehot = basket.encode(BASKETS)
    assert all(isinstance(d, pd.SparseDtype) for d in onehot.dtypes)
    assert onehot.shape == (5, 5)
    assert onehot["bread"].sum() == 4


def test_rule_metrics_by_hand():
    rules = basket.mine_rules(BASKETS, min_support=0.4, min_confidence=0.5)
    r = {(" ".join(sorted(a)), " ".join(sorted(c))): row
         for a, c, (_, row) in zip(rules["antecedents"], rules["consequents"], rules.iterrows())}
    # bread in 4 of 5, butter in 3, both in 3
    bb = r[("bread", "butter")]
    assert bb["support"] == pytest.approx(0.6)
    assert bb["confidence"] == pytest.approx(0.75)
    assert bb["lift"] == pytest.approx(0.75 / 0.6)
    assert bb["leverage"] == pytest.approx(0.6 - 0.8 * 0.6)
    assert bb["conviction"] == pytest.approx((1 - 0.6) / (1 - 0.75))
    assert r[("butter", "bread")]["confidence"] == pytest.approx(1.0)
    assert {"zhangs_metric", "antecedent support", "consequent support"} <= set(rules.columns)


def test_every_miner_finds_the_same_rules():
    found = [basket.mine_rules(BASKETS, 0.2, 0.3, algorithm=a) for a in basket.ALGORITHMS]
    keys = [set(zip(f["antecedents"], f["consequents"])) for f in found]
    assert len(keys) == 4 and all(k == keys[0] for k in keys) and len(keys[0]) > 5
    with pytest.raises(ValueError, match="unknown algorithm"):
        basket.mine_rules(BASKETS, 0.2, 0.3, algorithm="magic")


def test_filters_and_redundant_rules():
    all_rules = basket.mine_rules(BASKETS, 0.2, 0.3)
    assert (basket.mine_rules(BASKETS, 0.2, 0.3, min_lift=1.2)["lift"] >= 1.2).all()
    only = basket.mine_rules(BASKETS, 0.2, 0.3, antecedent="jam")
    assert len(only) and only["antecedents"].map(lambda a: "jam" in a).all()
    assert basket.mine_rules(BASKETS, 0.2, 0.3, consequent=["butter"])["consequents"].map(
        lambda c: "butter" in c).all()
    assert basket.mine_rules(BASKETS, 0.2, 0.3, max_len=2)["antecedents"].map(len).max() == 1
    # {bread, jam} -> butter (0.5) is less confident than jam -> ... ; butter -> bread (1.0)
    # makes {butter, jam} -> bread (1.0) redundant
    pruned = basket.prune_redundant(all_rules)
    pairs = set(zip(pruned["antecedents"], pruned["consequents"]))
    assert (frozenset({"butter", "jam"}), frozenset({"bread"})) not in pairs
    assert (frozenset({"butter"}), frozenset({"bread"})) in pairs
    assert len(pruned) < len(all_rules)


def test_recommend_excludes_what_the_basket_has():
    rules = basket.mine_rules(BASKETS, 0.2, 0.3)
    offers = basket.recommend(rules, ["butter"], n=2)
    assert offers["item"].iloc[0] == "bread"
    assert "butter" not in set(offers["item"])
    assert basket.recommend(rules, ["caviar"]).empty


def test_support_by_weekday_and_month():
    table = pd.DataFrame({"date": pd.to_datetime(["2024-01-01", "2024-01-08", "2024-02-06"]),
                          "items": [["a", "b"], ["a"], ["a", "b"]]})
    weekday = basket.support_by_period(table, [["a", "b"], ["a"]], "weekday")
    assert weekday.loc[0, "a + b"] == 0.5 and weekday.loc[1, "a + b"] == 1.0
    month = basket.support_by_period(table, [["a", "b"]], "month")
    assert month["a + b"].tolist() == [0.5, 1.0]


def test_upsell_offers_a_better_version_of_the_same_product_never_another_product():
    # the course: up-selling is a newer or better version of what the customer has; cheese
    # and butter offered to a buyer of milk (the same dairy category) are cross-selling
    lines = pd.DataFrame({
        "invoice_id": list("12345678"), "customer_id": [1, 1, 2, 2, 3, 3, 4, 4],
        "product_id": ["MILK", "CHEESE", "MILK", "BUTTER", "CAM-D", "CAM-A", "CAM-D", "MILK"],
        "category": ["dairy", "dairy", "dairy", "dairy", "photo", "photo", "photo", "dairy"],
        "quantity": [1] * 8, "unit_price": [1.0, 6.0, 1.0, 4.0, 180.0, 330.0, 180.0, 1.0],
        "date": pd.to_datetime(["2024-01-01"] * 8)})
    catalogue = pd.DataFrame({"product_id": ["MILK", "CHEESE", "BUTTER", "CAM-D", "CAM-A"],
                              "product_type": ["milk", "cheese", "butter", "camera", "camera"]})
    assert basket.upsell_group(lines, catalogue) == "product_type"
    assert basket.upsell_group(lines) is None
    assert basket.upsell(lines, "MILK", catalogue=catalogue).empty
    up = basket.upsell(lines, "CAM-D", catalogue=catalogue)
    assert up.index.tolist() == ["CAM-A"] and up.loc["CAM-A", "price_ratio"] == 330 / 180
    # without a product: the most bought one that has a better version (not milk, bought
    # most, which has none)
    assert basket.upsell(lines, catalogue=catalogue).attrs["product"] == "CAM-D"


def test_upsell_suggests_dearer_items_of_the_category():
    lines = pd.DataFrame({
        "invoice_id": list("123456"), "customer_id": [1, 1, 2, 2, 3, 3],
        "product_id": ["MUG", "BIGMUG", "MUG", "BIGMUG", "MUG", "CHEAPMUG"],
        "category": ["kitchen"] * 6, "quantity": [1] * 6,
        "unit_price": [5.0, 9.0, 5.0, 9.0, 5.0, 2.0],
        "date": pd.to_datetime(["2024-01-01"] * 6)})
    up = basket.upsell(lines, "MUG", group="category")
    assert up.index.tolist() == ["BIGMUG"]
    assert up.loc["BIGMUG", "buyers"] == 2 and up.loc["BIGMUG", "price_ratio"] == 1.8


@pytest.fixture(scope="module")
def shop_baskets(crm_data, clean_lines):
    types = crm_data.catalogue.set_index("product_id")["product_type"]
    lines = clean_lines.assign(product_type=clean_lines["product_id"].map(types))
    return basket.basket_table(lines, level="product_type")


def test_planted_rules_are_found_with_their_lift(crm_data, shop_baskets):
    rules = basket.mine_rules(shop_baskets, min_support=0.005, min_confidence=0.2, max_len=2)
    found = {(next(iter(a)), next(iter(c))): lift
             for a, c, lift in zip(rules["antecedents"], rules["consequents"], rules["lift"])}
    for rule in crm_data.truth["rules"].itertuples():
        lift = found[(rule.antecedent, rule.consequent)]
        assert lift == pytest.approx(rule.lift, rel=0.10), rule


def test_eclat_finds_mlxtends_itemsets_and_supports(shop_baskets):
    def table(found):
        return dict(zip(found["itemsets"], found["support"].round(12)))

    reference = basket.frequent_itemsets(shop_baskets, 0.02, algorithm="fpgrowth")
    assert reference["itemsets"].map(len).max() >= 3  # deep enough to exercise recursion
    assert table(basket.frequent_itemsets(shop_baskets, 0.02)) == table(reference)
    short = basket.frequent_itemsets(shop_baskets, 0.02, max_len=2)
    assert table(short) == table(reference[reference["itemsets"].map(len) <= 2])
    onehot = basket.encode(shop_baskets)  # a sparse one-hot table, and a dense one
    assert table(basket.frequent_itemsets(onehot, 0.02)) == table(reference)
    dense = onehot.sparse.to_dense()
    assert table(basket.frequent_itemsets(dense, 0.02, max_len=2)) == table(short)
    assert basket.frequent_itemsets(shop_baskets, 0.99).empty


def test_rules_beat_the_most_popular_items_on_last_baskets(shop_baskets):
    scores = basket.hit_rate(shop_baskets, min_support=0.005, min_confidence=0.2, n=3)
    assert scores["customers"].iloc[0] > 300
    assert scores.loc["rules", "hit_rate_at_3"] > scores.loc["most popular", "hit_rate_at_3"]


def test_lines_in_duckdb_are_mined_without_a_list_per_basket(crm_data, clean_lines,
                                                             shop_baskets, monkeypatch):
    """57M lines make millions of baskets: their item lists must never reach pandas."""
    from crmwb import engine
    con = engine.connect()
    types = crm_data.catalogue[["product_id", "product_type"]]
    lines = basket.item_lines(engine.open_table(clean_lines, con=con), "product_type", types)
    expected = {alg: basket.frequent_itemsets(shop_baskets, 0.01, 3, algorithm=alg)
                for alg in basket.ALGORITHMS}
    rules = basket.mine_rules(shop_baskets, 0.01, 0.3, max_len=3)

    def refuse(*args, **kwargs):
        raise AssertionError("the baskets were brought to pandas as lists")

    monkeypatch.setattr(basket, "basket_table", refuse)
    monkeypatch.setattr(basket, "_as_baskets", refuse)
    for alg, reference in expected.items():  # the same itemsets in the same order
        found = basket.frequent_itemsets(lines, 0.01, 3, algorithm=alg, level="item")
        pd.testing.assert_frame_equal(found, reference)
        assert found.attrs["n_baskets"] == len(shop_baskets)
    pd.testing.assert_frame_equal(basket.mine_rules(lines, 0.01, 0.3, max_len=3, level="item"),
                                  rules)
    assert basket.frequent_itemsets(lines, 0.99, level="item").empty


def test_hit_rate_judges_a_seeded_sample_of_customers(shop_baskets):
    everyone = basket.hit_rate(shop_baskets, 0.005, 0.2, n=3, max_customers=None)
    sample = basket.hit_rate(shop_baskets, 0.005, 0.2, n=3, max_customers=200, seed=1)
    assert everyone["customers"].iloc[0] > 300 and sample["customers"].iloc[0] == 200
    assert sample.equals(basket.hit_rate(shop_baskets, 0.005, 0.2, n=3, max_customers=200,
                                         seed=1))
    rates = sample["hit_rate_at_3"] - everyone["hit_rate_at_3"]
    assert rates.abs().max() < 0.12  # a sample of 200 measures within a few points


# --- pyfim as an independent reference -------------------------------------------------------

def pyfim_counts(baskets, min_support, min_confidence):
    """Each frequent itemset with its basket count, and the rules with one-item heads."""
    fim = pytest.importorskip("fim")
    count = int(np.ceil(min_support * len(baskets) - 1e-9))
    itemsets = fim.fpgrowth(baskets, target="s", supp=-count, zmin=1, report="a")
    rules = fim.arules(baskets, supp=-count, conf=100 * min_confidence, zmin=2, mode="o",
                       report="a")
    return ({frozenset(s): c for s, c in itemsets},
            {(frozenset(body), head) for head, body, *_ in rules})


def ours(baskets, min_support, min_confidence):
    itemsets = basket.frequent_itemsets(baskets, min_support)
    rules = basket.mine_rules(baskets, min_support, min_confidence)
    single = rules[rules["consequents"].map(len) == 1]  # pyfim's rules have one-item heads
    counts = (itemsets["support"] * len(baskets)).round().astype(int)
    return (dict(zip(itemsets["itemsets"], counts)),
            {(a, next(iter(c))) for a, c in zip(single["antecedents"], single["consequents"])})


def test_groceries_itemsets_and_rules_match_pyfim():
    baskets = basket.read_baskets(shared_dataset("groceries", "groceries.csv"))
    assert len(baskets) == 9835
    for support, confidence in ((0.01, 0.3), (0.005, 0.2)):
        assert ours(baskets, support, confidence) == pyfim_counts(baskets, support, confidence)


def test_online_retail_itemsets_and_rules_match_pyfim():
    path = shared_dataset("online_retail", "online_retail.csv.gz")
    clean = cleaning.clean_transactions(io.read_transactions(path, preset="online_retail"))
    table = basket.basket_table(clean.lines)
    baskets = table["items"].tolist()
    assert 19_000 < len(baskets) < 21_000
    assert ours(baskets, 0.01, 0.5) == pyfim_counts(baskets, 0.01, 0.5)


def test_next_best_offers_agree_with_recommend(shop_baskets):
    rules = basket.mine_rules(shop_baskets, 0.01, 0.2, max_len=3)
    histories = shop_baskets.groupby("customer_id")["items"].agg(lambda s: set().union(*s))
    popular = basket.item_frequencies(shop_baskets).index.tolist()
    offers = basket.next_best_offers(rules, histories, fill=popular)
    assert offers.index.equals(histories.index)
    sample = histories.sample(150, random_state=0)
    for cid, have in sample.items():
        best = basket.recommend(rules[rules["consequents"].map(len) == 1], have, n=1,
                                fill=popular)
        got = offers.loc[cid]
        if best.empty:
            assert pd.isna(got["offer"])
            continue
        assert got["offer"] not in have
        if best["because"].iloc[0] == "popular":
            assert got["because"] == "popular" and got["offer"] == best["item"].iloc[0]
        else:  # the same confidence and lift (ties between equal rules may pick either item)
            assert got["confidence"] == pytest.approx(best["confidence"].iloc[0])
            assert got["lift"] == pytest.approx(best["lift"].iloc[0])


def test_next_best_offers_from_pairs_equal_offers_from_sets(shop_baskets):
    """Millions of customers come as (customer, item) pairs, a few customers at a time:
    the same offers as from item sets, for customers who hold nothing too."""
    rules = basket.mine_rules(shop_baskets, 0.01, 0.2, max_len=3)
    histories = shop_baskets.groupby("customer_id")["items"].agg(lambda s: set().union(*s))
    histories.loc[10**9] = set()  # a customer with no purchase of a rule's item
    popular = basket.item_frequencies(shop_baskets).index.tolist()
    expected = basket.next_best_offers(rules, histories, fill=popular)
    pairs = histories.explode().dropna().rename("item").reset_index()
    shuffled = pairs.sample(frac=1, random_state=1)  # order does not matter
    for items in (shuffled["item"].astype(str), shuffled["item"].astype("category")):
        got = basket.next_best_offers(rules, shuffled.assign(item=items), fill=popular,
                                      customers=histories.index, chunk=700, block=16)
        pd.testing.assert_frame_equal(got, expected, check_names=False)
    assert expected.loc[10**9, "because"] == "popular"
    by_default = basket.next_best_offers(rules, pairs, fill=popular)
    assert 10**9 not in by_default.index and len(by_default) == len(histories) - 1


def test_cross_sell_offers_match_recommend_for_every_basket():
    rules = basket.mine_rules(BASKETS, 0.2, 0.3)
    histories = pd.Series([["butter"], ["jam"], ["milk"], ["caviar"], ["bread", "butter"]],
                          index=list("abcde"))
    many = basket.cross_sell_offers(rules, histories, n=3, fill=["bread", "milk", "jam"],
                                    chunk=1)  # one basket a chunk
    for key, have in histories.items():
        one = basket.recommend(rules, have, n=3, fill=["bread", "milk", "jam"])
        got = many.loc[[key]] if key in many.index else many.iloc[:0]
        assert got["rank"].tolist() == list(range(1, len(one) + 1))
        assert got["because"].tolist() == one["because"].tolist()
        assert got["confidence"].fillna(-1).tolist() == pytest.approx(
            one["confidence"].fillna(-1).tolist())
        assert set(got["offer"]) == set(one["item"]) and not set(got["offer"]) & set(have)


def test_a_camera_is_offered_its_accessories_not_what_everyone_buys(shop_baskets):
    # camera and tripod share about 1% of the baskets: the support threshold is below that,
    # not on its edge
    rules = basket.mine_rules(shop_baskets, 0.005, 0.3, max_len=3, min_lift=1.2, prune=True)
    offers = basket.recommend(rules, ["camera"], n=3)
    assert set(offers["item"]) == {"tripod", "camera bag", "memory card"}
    assert (offers["added_value"].diff().dropna() <= 0).all()  # ranked by what the basket adds


def test_hit_rate_judges_the_rules_shown_and_a_time_ordered_hold_out(shop_baskets, monkeypatch):
    seen = []
    mine = basket.mine_rules

    def spy(train, *args, **kwargs):
        seen.append((train, kwargs))
        return mine(train, *args, **kwargs)

    monkeypatch.setattr(basket, "mine_rules", spy)
    after = "2025-07-01"
    scores = basket.hit_rate(shop_baskets, 0.01, 0.3, n=5, min_lift=1.2, prune=True, after=after)
    train, kwargs = seen[-1]
    assert kwargs["min_lift"] == 1.2 and kwargs["prune"] is True
    assert train["date"].max() < pd.Timestamp(after)
    assert scores.attrs["after"] == pd.Timestamp(after) and scores["customers"].iloc[0] > 100
    assert scores.iloc[0, 1] > scores.iloc[1, 1]  # the rules still beat the popular items


def _redundant_by_definition(rules: pd.DataFrame) -> list[bool]:
    """The definition, checked pair by pair: some rule with a proper subset of the
    antecedent and the same consequent is at least as confident."""
    triples = list(zip(rules["antecedents"], rules["consequents"], rules["confidence"]))
    return [any(o < a and oc == c and oconf >= conf for o, oc, oconf in triples)
            for a, c, conf in triples]


def test_prune_redundant_looks_past_missing_intermediate_rules():
    f = frozenset
    rules = pd.DataFrame({
        "antecedents": [f("a"), f("abd"), f("ab"), f("b"), f("bd"), f("abcd"), f("c"), f("ce"),
                        f("xy"), f("xyz"), f("wxyz")],
        "consequents": [f("q"), f("q"), f("r"), f("r"), f("r"), f("r"), f("qr"), f("qr"),
                        f("q"), f("q"), f("q")],
        "confidence": [0.6, 0.55, 0.7, 0.7, 0.9, 0.95, 0.5, 0.5, 0.4, 0.45, 0.45],
    })
    kept = basket.prune_redundant(rules)
    pairs = {("".join(sorted(a)), "".join(sorted(c))) for a, c in
             zip(kept["antecedents"], kept["consequents"])}
    # a -> q prunes abd -> q though ab -> q and ad -> q are not rules; a tie prunes
    # (ab -> r by b -> r, ce -> qr by c -> qr); wxyz -> q ties xyz -> q two levels up
    assert pairs == {("a", "q"), ("b", "r"), ("bd", "r"), ("abcd", "r"), ("c", "qr"),
                     ("xy", "q"), ("xyz", "q")}


def test_prune_redundant_agrees_with_the_definition_on_random_rule_sets():
    rng = np.random.default_rng(7)
    items = list("abcdefg")
    for _ in range(40):
        n = int(rng.integers(5, 60))
        ants, cons = [], []
        for _ in range(n):
            k = int(rng.integers(1, 6))
            chosen = rng.choice(items, size=k + 1, replace=False)
            split = int(rng.integers(1, min(k, 2) + 1))  # one- and two-item consequents
            cons.append(frozenset(chosen[:split]))
            ants.append(frozenset(chosen[split:]) or frozenset(chosen[:1]))
        # coarse confidences: ties are common
        rules = pd.DataFrame({"antecedents": ants, "consequents": cons,
                              "confidence": rng.integers(1, 5, size=n) / 4})
        rules = rules[[not (a & c) for a, c in zip(rules["antecedents"], rules["consequents"])]]
        expected = ~np.asarray(_redundant_by_definition(rules), dtype=bool)
        assert basket.prune_redundant(rules).index.tolist() == rules.index[expected].tolist()


def _brute_force_itemsets(baskets, min_count, max_len):
    """Every itemset by counting it in every basket, level by level (a superset of
    a rare itemset is rare, so only frequent ones are extended)."""
    sets = [frozenset(b) for b in baskets]
    items = sorted(set().union(*sets))
    found, level = {}, [frozenset([i]) for i in items]
    for _ in range(max_len):
        counted = {c: sum(1 for s in sets if c <= s) for c in level}
        frequent = [c for c, n in counted.items() if n >= min_count]
        found.update((c, counted[c]) for c in frequent)
        level = list({c | {i} for c in frequent for i in items if i not in c})
    return found


@pytest.mark.parametrize("chunk_words", [1, 7, None])
def test_eclat_counts_a_dense_cluster_across_word_boundaries_and_chunks(monkeypatch, chunk_words):
    # 12 items that co-occur heavily (every subset of them frequent, 4,095 itemsets
    # up to size 12), 203 baskets (bit strings end mid-word), scattered noise items;
    # chunks of a single candidate word force every level through many passes
    if chunk_words is not None:
        monkeypatch.setattr(basket, "_CANDIDATE_WORDS", chunk_words)
    rng = np.random.default_rng(19)
    cluster = [f"c{i:02d}" for i in range(12)]
    baskets = []
    for k in range(203):
        if k < 40:
            items = set(cluster)
        else:
            items = {c for c in cluster if rng.random() < 0.45}
        items |= {f"n{j}" for j in rng.choice(30, size=rng.integers(0, 4), replace=False)}
        baskets.append(sorted(items) or ["n0"])
    for max_len in (None, 4):
        truth = _brute_force_itemsets(baskets, 30, max_len or 12)
        found = basket.frequent_itemsets(baskets, 30 / 203, max_len=max_len)
        got = dict(zip(found["itemsets"], (found["support"] * 203).round().astype(int)))
        assert got == truth
    assert max(map(len, truth)) == 4 and len(_brute_force_itemsets(baskets, 30, 12)) >= 4095


def test_itemsets_as_tuples_are_the_same_sets_sorted_by_name(shop_baskets):
    sets = basket.frequent_itemsets(shop_baskets, 0.02)
    tuples = basket.frequent_itemsets(shop_baskets, 0.02, as_tuples=True)
    assert all(isinstance(t, tuple) and list(t) == sorted(t) for t in tuples["itemsets"])
    assert list(map(frozenset, tuples["itemsets"])) == list(sets["itemsets"])
    assert tuples["support"].tolist() == sets["support"].tolist()
    # a one-hot table whose columns are not in name order, and another miner
    onehot = basket.encode(shop_baskets)
    shuffled = onehot[onehot.columns[::-1]]
    for algorithm in ("eclat", "fpgrowth"):
        got = basket.frequent_itemsets(shuffled, 0.02, algorithm=algorithm, as_tuples=True)
        assert all(list(t) == sorted(t) for t in got["itemsets"])
        assert dict(zip(map(frozenset, got["itemsets"]), got["support"].round(12))) == \
            dict(zip(sets["itemsets"], sets["support"].round(12)))


@pytest.mark.parametrize("algorithm", ["eclat", "fpgrowth"])
def test_rules_equal_mlxtends_association_rules(shop_baskets, algorithm):
    # mlxtend's own rule generation is the reference: every split of every itemset,
    # every metric (conviction infinite at confidence 1, Zhang's metric at its edges)
    from mlxtend.frequent_patterns import association_rules

    itemsets = basket.frequent_itemsets(shop_baskets, 0.03, algorithm=algorithm)
    assert itemsets["itemsets"].map(len).max() >= 4
    reference = association_rules(itemsets, num_itemsets=len(shop_baskets),
                                  metric="confidence", min_threshold=0.3 * (1 - 1e-9),
                                  return_metrics=basket.RULE_METRICS)
    ours = basket.mine_rules(shop_baskets, 0.03, 0.3, algorithm=algorithm)

    def table(rules):
        return rules.set_index(["antecedents", "consequents"])[basket.RULE_METRICS]

    expected, got = table(reference), table(ours)
    assert len(got) == len(expected) > 1000 and set(got.index) == set(expected.index)
    got = got.reindex(expected.index)
    assert np.isinf(got["conviction"]).sum() == np.isinf(expected["conviction"]).sum()
    pd.testing.assert_frame_equal(got, expected, rtol=1e-12)


def test_rules_of_a_long_itemset_and_every_split_of_it():
    # ten items always bought together, plus baskets with fewer: 2**10 - 2 splits of
    # the whole set alone, antecedents and consequents of every size
    full = [f"i{k}" for k in range(10)]
    baskets = [full] * 6 + [full[:5]] * 3 + [full[5:]] * 3 + [["x"]] * 2
    rules = basket.mine_rules(baskets, 0.4, 0.01)
    whole = rules[(rules["antecedents"].map(len) + rules["consequents"].map(len)) == 10]
    assert len(whole) == 2**10 - 2
    split = {(a, c): row for a, c, row in zip(whole["antecedents"], whole["consequents"],
                                               whole.to_dict("records"))}
    a, c = frozenset(full[:5]), frozenset(full[5:])
    assert split[a, c]["confidence"] == pytest.approx(6 / 9)
    assert split[a, c]["lift"] == pytest.approx((6 / 9) / (9 / 14))
    one = frozenset({"i0"})
    assert split[one, frozenset(full) - one]["support"] == pytest.approx(6 / 14)
    six = frozenset(full[:6])  # only in the full baskets: certain, conviction infinite
    assert split[six, frozenset(full) - six]["confidence"] == 1
    assert np.isinf(split[six, frozenset(full) - six]["conviction"])
    assert basket.mine_rules(baskets, 0.4, 0.7)["confidence"].min() >= 0.7


def test_mining_leaves_the_garbage_collector_as_it_found_it(shop_baskets, monkeypatch):
    # itemsets and rules are built with the cyclic collector paused (millions of
    # frozensets); it must be back on afterwards, after a failure too, and stay off for
    # a caller who had turned it off
    import gc

    assert gc.isenabled()
    rules = basket.mine_rules(shop_baskets, 0.03, 0.3, prune=True)
    basket.frequent_itemsets(shop_baskets, 0.03, as_tuples=True)
    assert gc.isenabled() and len(rules) > 0

    def broken(*args, **kwargs):
        raise MemoryError("no room for the rules")

    monkeypatch.setattr(basket, "_not_redundant", broken)
    with pytest.raises(MemoryError):
        basket.prune_redundant(rules)
    assert gc.isenabled()
    gc.disable()
    try:
        basket.frequent_itemsets(shop_baskets, 0.03)
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_the_basket_as_a_list_separates_its_place_from_its_quantities():
    # milk is in every basket, in 1 then 3 units; ice cream only in the summer months
    rows = []
    for month, days in ((1, 10), (2, 10), (3, 10), (6, 10), (7, 10), (8, 10)):
        for d in range(1, days + 1):
            inv = f"{month}-{d}"
            rows.append((inv, f"2024-{month:02d}-{d:02d}", "milk", 1 if month < 6 else 3))
            if month >= 6 or d == 1:
                rows.append((inv, f"2024-{month:02d}-{d:02d}", "ice cream", 1))
    lines = pd.DataFrame(rows, columns=["invoice_id", "date", "item", "quantity"]).assign(
        date=lambda f: pd.to_datetime(f["date"]), customer_id=1)
    out = basket.list_and_quantities(lines, top=2)
    months = sorted(out["month"].unique())
    assert len(months) == 4  # the first and last months are left out
    milk = out[out["item"] == "milk"].set_index("month")
    assert (milk["support"] == 1.0).all()
    assert milk["quantity_per_basket"].tolist() == [1.0, 1.0, 3.0, 3.0]  # Feb, Mar, Jun, Jul
    s = out.attrs["stability"]
    assert s.loc["milk", "support_cv"] == 0 and s.loc["ice cream", "support_cv"] > 0.5
