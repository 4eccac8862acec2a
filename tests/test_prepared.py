"""The prepared dataset: prepared once from the raw sources, opened by every notebook."""

import hashlib
import json

import numpy as np
import pandas as pd
import pytest

from crmwb import churn, cleaning, clv, engine, io, prepared


def write_folder(folder, transactions, **tables):
    folder.mkdir(parents=True)
    transactions.to_parquet(folder / "transactions.parquet", index=False)
    for name, frame in tables.items():
        frame.to_parquet(folder / f"{name}.parquet", index=False)
    return folder


def raw_lines(rows):
    df = pd.DataFrame(rows, columns=["invoice_id", "customer_id", "date", "product_id",
                                     "quantity", "unit_price"])
    df["date"] = pd.to_datetime(df["date"])
    return df


# bought before the cutoff (2024-03-31), cancelled after it, wholly or in part
ROWS = [
    ("1", 1, "2024-03-01", "A", 5, 10.0),    # cancelled in full after the cutoff
    ("C9", 1, "2024-04-10", "A", -5, 10.0),
    ("2", 2, "2024-03-05", "B", 5, 4.0),     # 2 cancelled before the cutoff, 3 after
    ("C10", 2, "2024-03-20", "B", -2, 4.0),
    ("C11", 2, "2024-05-02", "B", -3, 4.0),
    ("3", 3, "2024-02-01", "A", 1, 10.0),    # untouched
    ("4", 3, "2024-04-20", "B", 2, 4.0),     # after the cutoff: not known at it
]


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    folder = write_folder(tmp_path_factory.mktemp("raw") / "shop", raw_lines(ROWS))
    out = prepared.prepare({"data_dir": str(folder)}, tmp_path_factory.mktemp("p") / "shop",
                           log=lambda line: None)
    return folder, prepared.open(out)


def test_a_purchase_cancelled_after_the_cutoff_is_whole_at_the_cutoff(small):
    _, data = small
    as_of = engine.to_pandas(data.lines_as_of("2024-03-31")).set_index("invoice_id")
    assert as_of["quantity"].to_dict() == {"1": 5, "2": 3, "3": 1}
    now = engine.to_pandas(data.lines).set_index("invoice_id")
    assert now["quantity"].to_dict() == {"3": 1, "4": 2}  # 1 and 2 cancelled in full since
    # a day is known to its end: the cancellation of 2024-04-10 counts from that day on
    assert sorted(engine.to_pandas(data.lines_as_of("2024-04-10"))["invoice_id"]) == ["2", "3"]


def test_each_cancellation_is_linked_to_the_purchase_it_nets_with_its_own_date(small):
    _, data = small
    links = engine.to_pandas(data.cancellation_matches)
    purchases = engine.to_pandas(data.purchases).set_index("line_id")
    cancels = engine.to_pandas(data.cancellations).set_index("line_id")
    got = {(cancels.loc[r.cancellation_line_id, "invoice_id"],
            purchases.loc[r.purchase_line_id, "invoice_id"], r.quantity, r.date)
           for r in links.itertuples()}
    assert got == {("C9", "1", 5.0, pd.Timestamp("2024-04-10")),
                   ("C10", "2", 2.0, pd.Timestamp("2024-03-20")),
                   ("C11", "2", 3.0, pd.Timestamp("2024-05-02"))}
    # line ids are the positions in the input
    assert purchases["invoice_id"].to_dict() == {0: "1", 2: "2", 5: "3", 6: "4"}


def test_the_manifest_says_what_shaped_the_data(small):
    folder, data = small
    m = data.manifest
    assert m["crmwb_version"] and m["parameters"]["data_dir"] == str(folder.resolve())
    [source] = m["sources"]
    file = folder / "transactions.parquet"
    assert source == {"path": str(file.resolve()), "bytes": file.stat().st_size,
                      "sha256": hashlib.sha256(file.read_bytes()).hexdigest()}
    assert m["rows"]["lines"] == 4 and m["rows"]["cancellations"] == 3
    assert m["accounts"]["lines_in"] == 7
    assert json.loads((data.path / "manifest.json").read_text())["rows"] == m["rows"]


def test_a_prepared_dataset_is_current_until_its_sources_or_parameters_change(tmp_path):
    folder = write_folder(tmp_path / "shop", raw_lines(ROWS))
    params = {"data_dir": str(folder)}
    out = prepared.prepare(params, tmp_path / "prepared", log=lambda line: None)
    assert prepared.is_current(out, params)
    assert prepared.differences(out, {**params, "outlier_threshold": 4.0}) == [
        "parameters changed: outlier_threshold"]
    assert prepared.is_current(out, {**params, "duckdb_memory_limit": "1GB"})  # no new data
    raw_lines(ROWS[:-1]).to_parquet(folder / "transactions.parquet", index=False)
    assert "changed" in prepared.differences(out, params)[0]
    logged = []
    path, reused = prepared.ensure(params, out, log=logged.append)
    assert not reused and "preparing again" in logged[0]
    assert prepared.open(path).manifest["accounts"]["lines_in"] == 6
    path, reused = prepared.ensure(params, out, log=logged.append)
    assert reused and "reusing" in logged[-1]


def test_prepare_never_writes_among_its_sources(tmp_path):
    folder = write_folder(tmp_path / "shop", raw_lines(ROWS))
    before = sorted(p.name for p in folder.iterdir())
    for target in (folder, folder / "prepared", tmp_path):
        with pytest.raises(io.OutputError):
            prepared.prepare({"data_dir": str(folder)}, target, log=lambda line: None)
    assert sorted(p.name for p in folder.iterdir()) == before


def test_a_failed_preparation_leaves_the_old_folder_whole(tmp_path, monkeypatch):
    folder = write_folder(tmp_path / "shop", raw_lines(ROWS))
    out = prepared.prepare({"data_dir": str(folder)}, tmp_path / "p", log=lambda line: None)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    monkeypatch.setattr(prepared, "_log_frame", lambda log: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        prepared.prepare({"data_dir": str(folder), "outlier_threshold": 3.0}, out,
                         log=lambda line: None)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p", "shop"]


@pytest.fixture(scope="module")
def shop(tmp_path_factory, crm_data):
    folder = tmp_path_factory.mktemp("raw") / "shop"
    crm_data.write(folder)
    return folder


@pytest.fixture(scope="module")
def shop_prepared(tmp_path_factory, shop):
    out = prepared.prepare({"data_dir": str(shop)}, tmp_path_factory.mktemp("p") / "shop",
                           log=lambda line: None)
    return prepared.open(out)


def test_prepared_lines_are_the_clean_lines(shop, shop_prepared):
    clean = cleaning.clean_dataset(io.read_dataset(shop))
    want = engine.to_pandas(clean.lines)
    got = engine.to_pandas(shop_prepared.lines).drop(columns="line_id")
    pd.testing.assert_frame_equal(got.reset_index(drop=True), want.reset_index(drop=True),
                                  check_dtype=False)
    # and every customer-level table is under master ids
    masters = set(shop_prepared.crosswalk["master_id"])
    merged = set(shop_prepared.crosswalk["customer_id"]) - masters
    assert merged
    for name in ("customers", "contacts", "surveys", "campaigns"):
        ids = set(getattr(shop_prepared, name)["customer_id"].dropna())
        assert not ids & merged, name
    assert len(shop_prepared.customers) == len(masters)


def test_churn_features_from_the_raw_lines_do_not_see_after_the_cutoff(tmp_path, crm_data,
                                                                      shop_prepared):
    """The leakage guard from the raw lines: everything after the cutoff changes, and
    purchases before it are cancelled after it; the features at the cutoff stay."""
    cutoff = pd.Timestamp("2025-03-31")
    day_after = cutoff + pd.Timedelta(days=1)
    rng = np.random.default_rng(0)
    tx = crm_data.transactions.copy()
    after = tx["date"] >= day_after
    tx.loc[after, "quantity"] = rng.integers(1, 50, after.sum())
    tx.loc[after, "customer_id"] = rng.permutation(tx.loc[after, "customer_id"].to_numpy())
    tx = tx.drop(tx.index[after][::3])
    # cancel 300 purchases made before the cutoff, some wholly, some in part, after it
    bought = tx[(tx["date"] < day_after) & (tx["quantity"] > 0) & tx["customer_id"].notna()
                & ~tx["invoice_id"].str.startswith("C")
                & (tx["date"] > cutoff - pd.Timedelta(days=200))]
    picked = bought.sample(300, random_state=1)
    returns = picked.assign(
        invoice_id="C" + picked["invoice_id"],
        quantity=-np.maximum(1, (picked["quantity"] * rng.choice([1.0, 0.5], 300)).astype(int)),
        date=day_after + pd.to_timedelta(rng.integers(1, 60, 300), unit="D"))
    tx = pd.concat([tx, returns], ignore_index=True)
    contacts = crm_data.contacts.copy()
    late = contacts["date"] >= day_after
    contacts.loc[late, "customer_id"] = rng.permutation(contacts.loc[late, "customer_id"])
    changed = write_folder(tmp_path / "changed", tx, **{
        k: v for k, v in crm_data.tables.items() if k not in ("transactions", "contacts")},
        contacts=contacts)
    again = prepared.open(prepared.prepare({"data_dir": str(changed)}, tmp_path / "p",
                                           log=lambda line: None))

    def features(data, lines):
        return churn.churn_features(lines, cutoff, customers=data.customers,
                                    contacts=data.contacts, surveys=data.surveys,
                                    returns=data.cancellations)

    before = features(shop_prepared, shop_prepared.lines_as_of(cutoff))
    pd.testing.assert_frame_equal(before, features(again, again.lines_as_of(cutoff)))
    # the leak this guards against: the lines cleaned over the whole history see the future
    leaked = features(again, again.lines)
    assert not leaked["revenue"].reindex(before.index).equals(before["revenue"])

    x, y = churn.churn_dataset(again.lines, cutoff, 90, 365, lines_as_of=again.lines_as_of,
                               customers=again.customers, contacts=again.contacts,
                               surveys=again.surveys, returns=again.cancellations)
    pd.testing.assert_frame_equal(x, before)
    labels = churn.churn_labels(again.lines, cutoff, 90, 365, lines_as_of=again.lines_as_of)
    assert labels.index.equals(x.index) and y.equals(labels.reindex(x.index))


def test_calibration_summary_is_what_was_known_at_its_end(small):
    _, data = small
    split = clv.calibration_holdout(data.lines, "2024-03-31", "2024-06-30",
                                    lines_as_of=data.lines_as_of)
    assert split["revenue"].to_dict() == {1: 50.0, 2: 12.0, 3: 10.0}
    assert split["holdout_purchases"].to_dict() == {1: 0, 2: 0, 3: 1}


def test_churn_risk_as_of_a_date_is_what_a_shop_ending_that_day_would_compute(
        tmp_path, crm_data, shop_prepared):
    """The lines as known at a date equal the lines of the same shop whose export ended on
    that day: churn risk at that date is the same either way."""
    as_of = pd.Timestamp("2025-06-30")
    tx = crm_data.transactions
    ended = write_folder(tmp_path / "ended", tx[tx["date"] < as_of + pd.Timedelta(days=1)], **{
        k: v for k, v in crm_data.tables.items() if k != "transactions"})
    short = prepared.open(prepared.prepare({"data_dir": str(ended)}, tmp_path / "p",
                                           log=lambda line: None))

    def risk(data, lines, lines_as_of=None):
        return churn.churn_risk(lines, as_of, 90, 365, seed=1, lines_as_of=lines_as_of,
                                customers=data.customers, contacts=data.contacts,
                                surveys=data.surveys, returns=data.cancellations_as_of(as_of))

    want = risk(short, short.lines, short.lines_as_of)  # its own training cutoff as known
    got = risk(shop_prepared, shop_prepared.lines, shop_prepared.lines_as_of)
    pd.testing.assert_series_equal(got, want)
    # cleaned over the whole history, the same date sees later cancellations
    leaked = risk(shop_prepared, shop_prepared.lines)
    assert not leaked.index.equals(want.index) or not np.allclose(leaked, want)


def test_the_quality_summary_reads_back_with_its_counts_whole_and_its_dates(small):
    _, data = small
    summary = data.quality_summary().set_index("measure")["value"]
    assert summary["customer ids in the lines"] == 3
    assert isinstance(summary["customer ids in the lines"], int | np.integer)
    assert summary["first date"] == pd.Timestamp("2024-02-01")
    assert 0 < summary["share of lines with a customer id"] <= 1
