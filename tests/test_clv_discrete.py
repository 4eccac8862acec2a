"""BG/BB (Fader, Hardie & Shang 2010): the paper's donations figures, lifetimes as a
reference, and the per-period summary."""

import numpy as np
import pandas as pd
import pytest

from crmwb import clv

#: The 1995 cohort of a public-radio station's donors (FHS 2010, Table 1; 11,104 donors):
#: each pattern of (frequency, recency) over the 6 years 1996-2001 and how many donors had it
DONATIONS = pd.DataFrame(
    [(0, 0, 3464), (1, 1, 1091), (1, 2, 277), (1, 3, 129), (1, 4, 78), (1, 5, 119),
     (1, 6, 129), (2, 2, 613), (2, 3, 255), (2, 4, 155), (2, 5, 173), (2, 6, 234),
     (3, 3, 322), (3, 4, 181), (3, 5, 225), (3, 6, 357), (4, 4, 240), (4, 5, 284),
     (4, 6, 512), (5, 5, 335), (5, 6, 728), (6, 6, 1203)],
    columns=["frequency", "recency", "weights"]).assign(periods=6)


@pytest.fixture(scope="module")
def donations():
    return clv.BetaGeoBetaBinomModel().fit(DONATIONS, weights="weights")


def test_bgbb_reproduces_the_papers_donations_figures(donations):
    m = donations
    assert DONATIONS["weights"].sum() == 11104
    # FHS 2010: alpha = 1.204, beta = 0.750, gamma = 0.657, delta = 2.783, LL = -33,225.6
    assert [round(m.params_[k], 3) for k in ("alpha", "beta", "gamma", "delta")] == [
        1.204, 0.750, 0.657, 2.783]
    assert round(m.log_likelihood_, 1) == -33225.6
    assert m.n_customers_ == 11104
    # the same model, the donors one by one: one row per donor gives the same fit
    one_by_one = DONATIONS.loc[DONATIONS.index.repeat(DONATIONS["weights"])]
    again = clv.BetaGeoBetaBinomModel().fit(one_by_one)
    assert again.params_["delta"] == pytest.approx(m.params_["delta"], rel=1e-5)


def test_bgbb_agrees_with_lifetimes(donations):
    lt = pytest.importorskip("lifetimes")
    d = DONATIONS
    ref = lt.BetaGeoBetaBinomFitter().fit(d["frequency"], d["recency"], d["periods"],
                                          weights=d["weights"])
    for k in ("alpha", "beta", "gamma", "delta"):
        assert donations.params_[k] == pytest.approx(ref.params_[k], rel=1e-4)
    fixed = lt.BetaGeoBetaBinomFitter()
    fixed.params_, fixed.data = pd.Series(donations.params_), ref.data
    np.testing.assert_allclose(
        donations.probability_alive(d),
        fixed.conditional_probability_alive(1, d["frequency"], d["recency"], d["periods"]),
        rtol=1e-9)
    np.testing.assert_allclose(
        donations.expected_purchases(5, d),
        fixed.conditional_expected_number_of_purchases_up_to_time(
            5, d["frequency"], d["recency"], d["periods"]), rtol=1e-9)
    # a new donor's expected donations in the first n years: lifetimes gives the expected
    # number of donors with each count
    counts = fixed.expected_number_of_transactions_in_first_n_periods(6)["model"]
    assert donations.expected_repeat_purchases(6) == pytest.approx(
        float((counts.index * counts).sum() / counts.sum()), rel=1e-9)


def test_dert_is_the_discounted_sum_of_the_expected_transactions(donations):
    """DERT (eq. 14, a hypergeometric series) against the sum of each future period's
    expected transactions (eq. 13), discounted, to a long horizon."""
    d = DONATIONS
    rate = 0.1
    dert = donations.discounted_expected_residual_transactions(rate, d)
    previous = np.zeros(len(d))
    total = np.zeros(len(d))
    for k in range(1, 400):
        now = donations.expected_purchases(k, d).to_numpy()
        total += (now - previous) / (1 + rate) ** k
        previous = now
    np.testing.assert_allclose(dert, total, rtol=1e-8)
    # the donor who gave every year is worth the most, the one who never gave again the least
    assert dert.idxmax() == d.index[(d["frequency"] == 6)][0]
    assert dert.idxmin() == d.index[(d["frequency"] == 0)][0]
    with pytest.raises(ValueError, match="positive discount rate"):
        donations.discounted_expected_residual_transactions(0.0, d)


def test_bgbb_refuses_histories_that_cannot_be():
    bad = pd.DataFrame({"frequency": [2, 1, 3], "recency": [1, 0, 3], "periods": [6, 6, 2]})
    with pytest.raises(ValueError, match="3 row"):
        clv.BetaGeoBetaBinomModel().fit(bad)
    with pytest.raises(ValueError, match="lack column"):
        clv.BetaGeoBetaBinomModel().fit(bad.rename(columns={"periods": "T"}))


def test_a_per_period_summary_counts_periods_not_purchases():
    lines = pd.DataFrame({
        "customer_id": [1, 1, 1, 1, 2, 2, 3],
        "date": pd.to_datetime(["2024-01-05", "2024-01-20", "2024-03-02", "2024-03-30",
                                "2024-02-10", "2024-06-01", "2024-06-30"]),
        "quantity": [1, 2, 1, -1, 1, 1, 1], "unit_price": 1.0, "invoice_id": list("abcdefg")})
    s = clv.period_summary(lines, "M", end="2024-06-30")
    # customer 1: born in January, bought again in March (twice, one period); 5 months after
    assert s.loc[1].tolist() == [1, 2, 5]
    assert s.loc[2].tolist() == [1, 4, 4]
    assert s.loc[3].tolist() == [0, 0, 0]
    with pytest.raises(ValueError, match="no customers"):
        clv.BetaGeoBetaBinomModel().fit(s.iloc[:0])
