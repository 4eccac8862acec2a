"""Loyalty types from brand sequences: the course's examples and the planted truth."""

import numpy as np
import pandas as pd
import pytest

from crmwb import identity, loyalty


@pytest.mark.parametrize("sequence, expected", [
    ("A A A A A A", "hard-core"),
    ("A A B B A B", "split"),
    ("A A A B B B", "shifting"),
    ("A B C D", "switcher"),
    ("A", "hard-core"),
    ("A B", "shifting"),
    ("A B A", "split"),
    ("A A B B C C", "shifting"),
    ("A B C A", "split"),
    ("A B C D A A A A", "switcher"),
])
def test_the_course_examples_and_the_edges_of_the_rule(sequence, expected):
    assert loyalty.loyalty_type(sequence.split()) == expected


def test_an_empty_sequence_has_no_type():
    with pytest.raises(ValueError, match="empty"):
        loyalty.loyalty_type([])


def lines(rows):
    df = pd.DataFrame(rows, columns=["invoice_id", "customer_id", "date", "product_id",
                                     "category", "brand"])
    df["date"] = pd.to_datetime(df["date"])
    df["quantity"], df["unit_price"] = 1, 1.0
    return df


def test_sequences_are_read_in_time_order_per_category():
    rows = [(str(i), 1, f"2024-01-{10 - i:02d}", "T", "tea", b)
            for i, b in enumerate("BBBAAA")]          # written newest first
    rows += [(f"x{i}", 1, f"2024-02-{i + 1:02d}", "M", "milk", "A") for i in range(4)]
    seq = loyalty.brand_sequences(lines(rows))
    tea = seq[seq["category"] == "tea"].iloc[0]
    assert tea["sequence"] == list("AAABBB") and tea["purchases"] == 6
    types = loyalty.loyalty_types(lines(rows), min_purchases=4)
    # the longest sequence (tea, 6 purchases) decides the customer's type
    assert types.loc[1, "loyalty_type"] == "shifting"
    by_cat = types.attrs["by_category"].set_index("category")["loyalty_type"]
    assert by_cat["milk"] == "hard-core"


@pytest.mark.parametrize("within", ["category", None])
def test_types_counted_in_the_engine_follow_the_rule_on_the_sequences(within):
    # random brand sequences with ties: several lines a day, several per invoice
    rng = np.random.default_rng(5)
    rows = []
    for customer in range(400):
        pool = "ABCDE"[:rng.integers(1, 6)]
        for _ in range(rng.integers(3, 10)):
            rows.append((f"i{customer}-{rng.integers(4)}", customer,
                         f"2024-01-{rng.integers(1, 6):02d}", f"P{rng.integers(3)}",
                         f"c{rng.integers(2)}", pool[rng.integers(len(pool))]))
    frame = lines(rows)
    types = loyalty.loyalty_types(frame, within=within, min_purchases=3)
    seq = loyalty.brand_sequences(frame, within)
    seq = seq[seq["purchases"] >= 3]
    expected = seq["sequence"].map(loyalty.loyalty_type)
    if within:
        got = types.attrs["by_category"].set_index(["customer_id", within])["loyalty_type"]
        expected.index = pd.MultiIndex.from_frame(seq[["customer_id", within]])
    else:
        got, expected.index = types["loyalty_type"], seq["customer_id"]
    assert len(got) == len(expected) > 50
    assert (got.astype(str).sort_index() == expected.sort_index()).all()
    assert set(expected) == set(loyalty.LOYALTY_TYPES)  # every rule is exercised
    text = types["sequence"].str.split().map(loyalty.loyalty_type)
    assert (text == types["loyalty_type"].astype(str)).all()
    assert "sequence" not in loyalty.loyalty_types(frame, within, 3, sequences=False)
    # the sequences of the first customers only (a report's head): the others' lines are not read
    few = loyalty.loyalty_types(frame, within, 3, sequences=5)
    assert few["sequence"].head(5).tolist() == types["sequence"].head(5).tolist()
    assert few["sequence"].iloc[5:].isna().all()
    assert few.drop(columns="sequence").equals(types.drop(columns="sequence"))


def test_over_all_lines_and_minimum_length():
    rows = [(str(i), 2, f"2024-03-{i + 1:02d}", "P", "c" + str(i % 2), b)
            for i, b in enumerate("ABAB")]
    assert loyalty.loyalty_types(lines(rows), within=None, min_purchases=4).loc[
        2, "loyalty_type"] == "split"
    assert loyalty.loyalty_types(lines(rows), within="category", min_purchases=4).empty
    with pytest.raises(ValueError, match="lack column"):
        loyalty.loyalty_types(lines(rows).drop(columns="brand"))


@pytest.mark.parametrize("within, min_purchases", [("category", 6), (None, 6)])
def test_planted_loyalty_types_are_recovered(crm_data, clean_lines, within, min_purchases):
    cw = identity.crosswalk(crm_data.customers)
    rekeyed = clean_lines.assign(customer_id=clean_lines["customer_id"].map(
        cw.set_index("customer_id")["master_id"]))
    types = loyalty.loyalty_types(rekeyed, within=within, min_purchases=min_purchases)
    person = crm_data.truth["identity"].set_index("customer_id")["person_id"]
    truth = crm_data.truth["customers"].set_index("person_id").loc[types.index.map(person)]
    # a shifting customer who never bought after the switch cannot show it
    shifted = truth["purchases_before_switch"].between(1, truth["n_repeat"])
    observable = ((truth["loyalty_type"] != "shifting") | shifted).to_numpy()
    assert observable.sum() > 300
    agree = types["loyalty_type"].astype(str).to_numpy() == truth["loyalty_type"].to_numpy()
    assert agree[observable].mean() >= 0.90
    # every planted type is found
    assert set(types.loc[observable, "loyalty_type"]) == set(loyalty.LOYALTY_TYPES)


def occasions(customer, steps, start="2024-01-01", products=None):
    """Lines of one customer, one invoice per step; a step "A+B" is one invoice of both."""
    rows = []
    for i, step in enumerate(steps.split()):
        day = (pd.Timestamp(start) + pd.Timedelta(days=7 * i)).strftime("%Y-%m-%d")
        for brand in step.split("+"):
            product = (products or {}).get(brand, f"P-{brand}")
            rows.append((f"{customer}-{i}", customer, day, product, "tea", brand))
    return rows


@pytest.mark.parametrize("steps, expected", [
    ("A A A A A A", "hard-core"),
    ("A A B B A B", "split"),
    ("A A A B B B", "shifting"),
    ("A B C D", "switcher"),
    ("A A B B C C D D", "shifting"),     # a steady move across four brands
    ("A A A+B B B B", "shifting"),       # the change happens inside one basket
    ("A A A+B A A A", "split"),          # a second brand beside the first, not a move
    ("A B C D A B C D", "switcher"),
    ("A A+B A+B A+B", "split"),
])
def test_types_on_purchase_occasions_in_the_engine(steps, expected):
    frame = lines(occasions(1, steps))
    got = loyalty.loyalty_types(frame, within=None, min_purchases=4)
    assert got.loc[1, "loyalty_type"] == expected == loyalty.loyalty_type(steps.split())
    assert got.loc[1, "purchases"] == len(steps.split())
    assert got.loc[1, "sequence"] == steps


def test_one_invoice_of_many_lines_is_one_purchase():
    rows = [("9", 1, "2024-01-05", f"P{i}", "tea", "A") for i in range(6)]
    types = loyalty.loyalty_types(lines(rows), within=None, min_purchases=2)
    assert types.empty  # one occasion shows no loyalty, however many lines it has
    assert loyalty.sequence_stats(lines(rows), None)["purchases"].tolist() == [1]


def test_line_order_inside_an_invoice_changes_nothing():
    # the same behaviour; only the product ids sort differently inside the mixed basket
    a = occasions(1, "A A A+B B B", products={"A": "A-tea", "B": "B-tea"})
    b = occasions(2, "A A A+B B B", products={"A": "Z-tea", "B": "B-tea"})
    frame = lines(a + b)
    types = loyalty.loyalty_types(frame, within=None, min_purchases=4)
    assert types["loyalty_type"].tolist() == ["shifting", "shifting"]
    shuffled = frame.sample(frac=1.0, random_state=3)
    again = loyalty.loyalty_types(shuffled, within=None, min_purchases=4)
    pd.testing.assert_frame_equal(types, again)


def test_day_occasions_and_brand_shares():
    rows = occasions(1, "A A A+B B")
    rows[-1] = ("other", *rows[-1][1:])  # a second invoice on the last day
    rows.append(("other-2", 1, rows[-1][2], "P-B", "tea", "B"))
    frame = lines(rows)
    frame.loc[(frame["brand"] == "A") & (frame["invoice_id"] == "1-2"), "quantity"] = 3
    by_invoice = loyalty.sequence_stats(frame, None)
    by_day = loyalty.sequence_stats(frame, None, occasion="day")
    assert by_invoice["purchases"].iloc[0] == 5 and by_day["purchases"].iloc[0] == 4
    # A: two whole occasions and 3 of the 4 items of the mixed one, over 4 days
    assert by_day["main_brand_share"].iloc[0] == pytest.approx((2 + 0.75) / 4)
    with pytest.raises(ValueError, match="unknown occasion 'week'"):
        loyalty.loyalty_types(frame, occasion="week")
