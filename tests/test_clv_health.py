"""Every fitted CLV model checks its own health (issue 39, point 1).

A fit that "succeeds" without error can still be no result: the dropout parameter runs to
zero when the history is too short to tell a customer who left from a slow buyer, or the
parameters run to infinity and the likelihood breaks down numerically (MBG/NBD on CDNOW's
active customers returned a = 8e17 and a log-likelihood of +4.4e9). Each model carries
``diagnostics_``; these tests build the data that break the models and check that the
breakage is named, and that healthy data pass.
"""

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crmwb import clv
from crmwb.clv import diagnostics
from crmwb.datasets import simulate_summaries


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", clv.CLVWarning)
        yield


@pytest.fixture(scope="module")
def healthy():
    return simulate_summaries(3000, seed=3, covariates=True)


def no_dropout(n=3000, days=120, seed=0) -> pd.DataFrame:
    """Customers who never leave, seen over a short window: Poisson purchases at
    Gamma-distributed rates and nothing else. The dropout of BG/NBD cannot be told apart
    from slow buying here: its MLE sits at the edge (a -> 0)."""
    rng = np.random.default_rng(seed)
    T = rng.integers(days // 2, days, n).astype(float)
    lam = rng.gamma(0.7, 1 / 10, n)
    rows = []
    for Ti, li in zip(T, lam):
        times = np.sort(rng.uniform(0, Ti, rng.poisson(li * Ti)))
        rows.append((len(times), np.floor(times[-1]) if len(times) else 0.0, Ti))
    s = pd.DataFrame(rows, columns=["frequency", "recency", "T"])
    s.attrs["time_unit"] = "D"
    return s


def survivors(n=8000, seed=1) -> pd.DataFrame:
    """The customers still buying in the last year of a long history: a selection that
    leaves every one with about the same small dropout, so Beta(a, b) of MBG/NBD wants to be
    a point (a, b -> infinity). This sent MBG/NBD to a = 8e17 on CDNOW."""
    s = simulate_summaries(n * 3, max_age_days=540, seed=seed)
    s = s[(s["T"] - s["recency"] < 365) & (s["T"] > 400)].head(n)
    s.attrs["time_unit"] = "D"
    return s


def test_healthy_fits_pass_every_check(healthy):
    s = healthy
    months = pd.DataFrame({"frequency": [0, 1, 3, 6, 2, 4], "recency": [0, 1, 5, 6, 6, 4],
                           "periods": [6, 6, 6, 6, 6, 6], "w": [40, 20, 12, 10, 8, 9]})
    fitted = {
        "BG/NBD": clv.BetaGeoModel().fit(s, time_unit="D"),
        "MBG/NBD": clv.ModifiedBetaGeoModel().fit(s, time_unit="D"),
        "Pareto/NBD": clv.ParetoNBDModel().fit(s.sample(800, random_state=1), time_unit="D"),
        "Gamma-Gamma": clv.GammaGammaModel().fit(s),
        "BG/NBD + covariates": clv.BetaGeoModel(["customer_type"], ["customer_type"]).fit(
            s, time_unit="D"),
        "Gamma-Gamma + covariates": clv.GammaGammaModel(spend_covariates=["customer_type"]
                                                        ).fit(s),
        "BG/BB": clv.BetaGeoBetaBinomModel().fit(months, weights="w"),
        "sBG": clv.ShiftedBetaGeoModel().fit([1000, 631, 468, 382, 326, 289, 262, 241]),
    }
    for name, model in fitted.items():
        d = model.diagnostics_
        assert d.ok, (name, d)
        assert d.converged and d.at_bound == () and d.information_positive_definite
        assert np.isfinite(d.log_likelihood) and d.starts == 1
    table = diagnostics.table(fitted)
    assert list(table.index) == list(fitted) and (table["status"] == "ok").all()


@pytest.mark.parametrize("model", [clv.BetaGeoModel, clv.ModifiedBetaGeoModel,
                                   clv.ParetoNBDModel])
def test_dropout_that_the_data_cannot_identify_is_a_failed_fit(model):
    s = no_dropout()
    m = model().fit(s)
    d = m.diagnostics_
    assert not d.ok and d.status == "failed"
    # the dropout ran to its edge or left the likelihood flat: either is named
    assert set(d.problems) & {"inside_bounds", "information", "standard_errors"}
    assert d.starts > 1  # refitted from other starts before it was called failed
    assert np.isfinite(m.log_likelihood_) and m.log_likelihood_ < 0


def test_mbgnbd_on_survivors_stays_finite_and_is_named_at_its_bound():
    s = survivors()
    m = clv.ModifiedBetaGeoModel().fit(s)
    d = m.diagnostics_
    # never the 8e17 of the unbounded optimiser, never a positive log-likelihood
    assert max(m.params_.values()) < 1e7 and m.log_likelihood_ < 0
    assert d.log_likelihood_ok
    if not d.ok:  # when the point mass is what the data want, the bound is named
        assert "inside_bounds" in d.problems and {"a", "b"} & set(d.at_bound)


def test_a_likelihood_that_breaks_down_numerically_is_caught():
    # the per-customer formula against the fast sum: a disagreement is a failed check
    assert not diagnostics.likelihoods_agree(4.4e9, -137_000.0)
    assert diagnostics.likelihoods_agree(-137_000.0, -137_000.0 * (1 + 1e-9))
    assert not diagnostics.likelihoods_agree(np.nan, -1.0)


def test_identical_spends_send_gamma_gamma_to_its_bound():
    # every purchase of every customer costs the same: no spread to fit
    s = pd.DataFrame({"frequency": np.tile([1, 2, 3, 5], 50), "monetary_value": 20.0})
    m = clv.GammaGammaModel().fit(s)
    d = m.diagnostics_
    # p and q run off, or the likelihood is so flat that their intervals span everything
    assert not d.ok and set(d.problems) & {"inside_bounds", "standard_errors"}
    assert d.starts > 1


def test_a_homogeneous_cohort_sends_sbg_to_its_bound():
    # every subscriber leaves with the same 20% each period: Beta(a, b) wants a point
    survivors_ = [round(1000 * 0.8 ** t) for t in range(12)]
    m = clv.ShiftedBetaGeoModel().fit(survivors_)
    assert m.log_likelihood_ < 0 and np.isfinite(m.log_likelihood_)
    assert not m.diagnostics_.ok and set(m.diagnostics_.at_bound) == {"alpha", "beta"}
    # the limit is still read right: retention 80% per period
    assert float(m.retention_rate(3)) == pytest.approx(0.8, abs=0.01)


def test_positive_definite_and_edges():
    assert diagnostics.positive_definite(np.eye(3))
    assert not diagnostics.positive_definite(np.diag([1.0, 0.0, 1.0]))
    assert not diagnostics.positive_definite(np.diag([1.0, -1.0]))
    assert not diagnostics.positive_definite(np.array([[1.0, np.nan], [np.nan, 1.0]]))
    flags = diagnostics.edge_flags(np.array([0.0, 10.0, -10.0, 16.0, 3.0]), 3)
    assert flags.tolist() == [False, True, True, True, False]


summaries = st.lists(
    st.tuples(st.integers(0, 12), st.floats(0, 1), st.integers(1, 200)),
    min_size=1, max_size=40)


def _frame(rows) -> pd.DataFrame:
    x = np.array([r[0] for r in rows], dtype=float)
    T = np.array([r[2] for r in rows], dtype=float)
    t_x = np.where(x > 0, np.floor(np.array([r[1] for r in rows]) * T), 0.0)
    return pd.DataFrame({"frequency": x, "recency": t_x, "T": T,
                         "monetary_value": np.where(x > 0, 10 + 5 * x, 0.0)})


def _passes_or_is_named(model) -> None:
    d = model.diagnostics_
    assert d.status in {"ok", "failed"}
    if d.ok:
        values = np.array(list(model.params_.values()))
        assert np.all(np.isfinite(values)) and np.all(values > 0)
        assert np.isfinite(model.log_likelihood_)
        assert all(np.isfinite(v) for v in model.standard_errors_.values())
    else:
        assert d.problems


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(summaries)
def test_any_small_summary_fits_healthy_or_is_reported_failed(rows):
    s = _frame(rows)
    for model in (clv.BetaGeoModel(), clv.ModifiedBetaGeoModel()):
        _passes_or_is_named(model.fit(s, time_unit="D"))
    if ((s["frequency"] > 0) & (s["monetary_value"] > 0)).sum() >= 3:
        _passes_or_is_named(clv.GammaGammaModel().fit(s))


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(summaries)
def test_any_small_summary_fits_pareto_healthy_or_is_reported_failed(rows):
    _passes_or_is_named(clv.ParetoNBDModel().fit(_frame(rows), time_unit="D"))


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 6), st.integers(0, 6), st.integers(1, 30)),
                min_size=1, max_size=20))
def test_any_small_period_summary_fits_bgbb_healthy_or_is_reported_failed(rows):
    n = 6
    frame = pd.DataFrame([(min(x, t), t if min(x, t) > 0 else 0, n, w) for x, t, w in rows],
                         columns=["frequency", "recency", "periods", "w"])
    frame["recency"] = np.where(frame["frequency"] > 0, frame["recency"].clip(lower=1), 0)
    frame["frequency"] = np.minimum(frame["frequency"], frame["recency"])
    _passes_or_is_named(clv.BetaGeoBetaBinomModel().fit(frame, weights="w"))


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(0, 1000), min_size=2, max_size=12))
def test_any_cohort_fits_sbg_healthy_or_is_reported_failed(counts):
    alive = np.maximum.accumulate(np.array(counts[::-1]))[::-1]  # never more later
    if alive[0] == 0:
        return
    _passes_or_is_named(clv.ShiftedBetaGeoModel().fit(list(alive)))
