"""The same transaction-level steps on DuckDB and on Spark (local mode) give the same results."""

import re
import shutil

import numpy as np
import pandas as pd
import pytest

from crmwb import basket, churn, cleaning, customer360, engine, io, summary
from crmwb.datasets import make_crm_data

pytest.importorskip("pyspark", reason="engine 'spark' needs pyspark (the dev extra installs it)")
if shutil.which("java") is None:
    pytest.skip("engine 'spark' needs Java 17 on the PATH", allow_module_level=True)


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    folder = tmp_path_factory.mktemp("spark") / "data"
    make_crm_data(300, seed=11).write(folder)
    spark = engine.connect_engine("spark", {"master": "local[2]", "memory": "1g"})
    out = {}
    for name, con in (("duckdb", engine.connect()), ("spark", spark)):
        data = io.read_dataset(folder, con=con)
        out[name] = (data, cleaning.clean_dataset(data))
    return out


def same_frame(a: pd.DataFrame, b: pd.DataFrame, fitted: tuple = ()) -> None:
    """Equal frames; numbers within 1e-9, or 1e-6 in the ``fitted`` columns (model outputs,
    whose optimiser sees sums added in another order)."""
    assert list(a.columns) == list(b.columns)
    assert a.index.equals(b.index)
    for col in a.columns:
        x, y = a[col], b[col]
        if pd.api.types.is_datetime64_any_dtype(x):
            assert (pd.to_datetime(x) == pd.to_datetime(y)).all() or x.isna().equals(y.isna()), col
        elif pd.api.types.is_numeric_dtype(x) and pd.api.types.is_numeric_dtype(y):
            rtol = 1e-6 if col in fitted else 1e-9
            assert np.allclose(x.astype(float), y.astype(float), rtol=rtol, equal_nan=True), col
        else:
            assert x.astype(str).tolist() == y.astype(str).tolist(), col


def test_the_lines_stay_on_spark(both):
    _, clean = both["spark"]
    assert engine.backend_name(clean.lines) == "pyspark"


def test_same_cleaning_log(both):
    logs = [both[e][1].log for e in ("duckdb", "spark")]
    same_frame(*logs)


def test_same_customer_summary(both):
    same_frame(*[summary.customer_summary(both[e][1].lines, returns=both[e][1].cancellations)
                 for e in ("duckdb", "spark")])


def test_same_kpis_and_cohorts(both):
    kpis = [customer360.kpis_by_month(both[e][1].lines, both[e][0].contacts, both[e][0].surveys,
                                      both[e][0].campaigns) for e in ("duckdb", "spark")]
    same_frame(*kpis)
    cohorts = [customer360.cohorts(both[e][1].lines) for e in ("duckdb", "spark")]
    same_frame(cohorts[0].retention, cohorts[1].retention)
    same_frame(cohorts[0].revenue, cohorts[1].revenue)


def test_same_churn_features(both):
    frames = []
    for e in ("duckdb", "spark"):
        data, clean = both[e]
        end = summary.analysis_end(clean.lines)
        frames.append(churn.churn_features(clean.lines, end - pd.Timedelta(days=90),
                                           customers=data.customers, contacts=data.contacts,
                                           surveys=data.surveys, returns=clean.cancellations))
    same_frame(*frames)


def test_same_baskets(both):
    tables = [basket.basket_table(both[e][1].lines) for e in ("duckdb", "spark")]
    same_frame(tables[0].drop(columns="items"), tables[1].drop(columns="items"))
    assert tables[0]["items"].tolist() == tables[1]["items"].tolist()


def test_same_loyalty_sequences(both):
    from crmwb import loyalty

    same_frame(*[loyalty.brand_sequences(both[e][1].lines) for e in ("duckdb", "spark")])


def test_same_customer_table(both):
    tables = []
    for e in ("duckdb", "spark"):
        data, clean = both[e]
        tables.append(customer360.customer_table(
            clean.lines, data.customers, data.contacts, data.surveys, data.campaigns,
            returns=clean.cancellations, crosswalk=clean.crosswalk, seed=0))
    assert tables[0].index.equals(tables[1].index) and tables[0].index.is_unique
    same_frame(*tables, fitted=("clv", "p_alive", "churn_risk"))


def test_spark_fpgrowth_finds_mlxtends_itemsets(both):
    _, clean = both["spark"]
    on_spark = basket.frequent_itemsets(clean.lines, 0.02, level="category")
    lists = basket.basket_table(both["duckdb"][1].lines, level="category")
    reference = basket.frequent_itemsets(lists, 0.02, algorithm="fpgrowth")
    assert on_spark.attrs["n_baskets"] == len(lists)
    assert dict(zip(on_spark["itemsets"], on_spark["support"].round(12))) == \
        dict(zip(reference["itemsets"], reference["support"].round(12)))
    rules = basket.mine_rules(clean.lines, 0.02, 0.3, level="category")
    reference_rules = basket.mine_rules(lists, 0.02, 0.3)
    assert list(rules.columns) == list(reference_rules.columns)
    assert set(zip(rules["antecedents"], rules["consequents"])) == \
        set(zip(reference_rules["antecedents"], reference_rules["consequents"]))


@pytest.fixture(scope="module")
def prepared_both(tmp_path_factory):
    from crmwb import prepared

    folder = tmp_path_factory.mktemp("spark_prep") / "data"
    make_crm_data(300, seed=12).write(folder)
    out = prepared.prepare({"data_dir": str(folder)}, folder.parent / "prepared",
                           log=lambda line: None)
    return {"duckdb": prepared.open(out, engine="duckdb"),
            "spark": prepared.open(out, engine="spark")}


def test_a_prepared_dataset_opens_on_spark_with_the_same_lines(prepared_both):
    duck, spark = prepared_both["duckdb"], prepared_both["spark"]
    assert engine.backend_name(spark.lines) == "pyspark"
    for view in (lambda d: d.lines, lambda d: d.lines_as_of("2024-09-30")):
        a = engine.to_pandas(view(duck)).sort_values("line_id", ignore_index=True)
        b = engine.to_pandas(view(spark)).sort_values("line_id", ignore_index=True)
        same_frame(a, b)
    a = summary.customer_summary(duck.lines_as_of("2024-09-30"), "2024-09-30")
    b = summary.customer_summary(spark.lines_as_of("2024-09-30"), "2024-09-30")
    same_frame(a, b)


def test_item_frequencies_are_counted_on_spark(prepared_both):
    a = basket.item_frequencies(prepared_both["duckdb"].lines)
    b = basket.item_frequencies(prepared_both["spark"].lines)
    pd.testing.assert_frame_equal(a, b)
    listed = basket.item_frequencies(basket.basket_table(prepared_both["duckdb"].lines))
    pd.testing.assert_frame_equal(a, listed)


def test_text_exports_are_refused_on_spark_naming_crmwb_prepare(tmp_path, both):
    path = tmp_path / "lines.csv"
    path.write_text("invoice_id,customer_id,date,product_id,quantity,unit_price\n"
                    "1,7,2024-01-02,A,1,2.5\n")
    spark_con = both["spark"][0].transactions._find_backend()
    with pytest.raises(ValueError, match="crmwb prepare"):
        io.read_transactions(path, con=spark_con)


def test_notebook_05_on_spark_mines_with_mllib_and_finds_duckdbs_rules(tmp_path, prepared_both):
    """The report path: notebook 05 on a prepared dataset opened on Spark keeps the lines
    there and mines them with MLlib's FPGrowth; its rules are DuckDB's."""
    import nbformat as nbf

    from crmwb import report

    out = {}
    for name in ("duckdb", "spark"):
        params = {"prepared": str(prepared_both[name].path), "engine": name,
                  "spark_master": "local[2]", "spark_memory": "1g"}
        [result] = report.run_notebooks(params, out_dir=tmp_path / name, only=["05"],
                                        log=lambda line: None, jobs=1)
        assert result.status == "ok", result.error
        nb = nbf.read(result.notebook, as_version=4)
        out[name] = "".join(str(o.get("text", "")) + str(o.get("data", {}).get("text/plain", ""))
                            for c in nb.cells for o in c.get("outputs", []))
    assert "itemsets found by Spark MLlib FPGrowth" in out["spark"]
    assert "itemsets found by eclat" in out["duckdb"]
    rules = [re.search(r"([\d,]+) rules with lift", text)[1] for text in out.values()]
    assert rules[0] == rules[1]
    held_out = r"^(?:Each customer's last basket|Last basket from) .*$"
    hits = [re.findall(held_out, text, re.M) for text in out.values()]
    assert hits[0] and hits[0] == hits[1]  # the offers judged on held-out baskets agree


def test_every_notebook_runs_on_spark_quietly(tmp_path, prepared_both, capfd):
    """Every notebook on a prepared dataset opened on Spark (local mode): ok, and Spark's
    JVM writes no WARN lines into the run's console (its logging is errors only unless
    CRMWB_SPARK_LOG_LEVEL asks)."""
    from crmwb import report

    params = {"prepared": str(prepared_both["spark"].path), "engine": "spark",
              "spark_master": "local[2]", "spark_memory": "1g"}
    logged = []
    results = report.run_notebooks(params, out_dir=tmp_path / "reports", log=logged.append,
                                   jobs=2)
    assert len(results) == 9
    assert {r.name: r.status for r in results} == {r.name: "ok" for r in results}, [
        r.error for r in results if r.status != "ok"]
    console = "\n".join(logged) + capfd.readouterr().err
    assert not re.search(r"\bWARN\b|default log4j profile|Setting default log level", console)
