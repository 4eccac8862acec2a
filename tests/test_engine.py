from pathlib import Path

import pandas as pd
import pytest

from crmwb import engine


@pytest.fixture
def frame():
    return pd.DataFrame({"customer_id": [1, 1, 2], "quantity": [2, 3, 1],
                         "unit_price": [1.0, 2.0, 10.0]})


def revenue_by_customer(t):
    return engine.to_pandas(
        t.group_by("customer_id").agg(revenue=(t.quantity * t.unit_price).sum())
        .order_by("customer_id")
    )


@pytest.mark.parametrize("kind", ["frame", "csv", "csv.gz", "parquet", "folder"])
def test_the_same_expression_runs_on_every_kind_of_source(tmp_path, frame, kind):
    if kind == "frame":
        source = frame
    elif kind == "folder":
        source = tmp_path / "parts"
        source.mkdir()
        frame.iloc[:2].to_parquet(source / "part-0.parquet")
        frame.iloc[2:].to_parquet(source / "part-1.parquet")
    else:
        source = tmp_path / f"lines.{kind}"
        if kind == "parquet":
            frame.to_parquet(source)
        else:
            frame.to_csv(source, index=False)
    out = revenue_by_customer(engine.open_table(source))
    assert out["revenue"].tolist() == [8.0, 10.0]


def test_tables_on_one_connection_can_be_joined(frame):
    con = engine.connect()
    a = engine.open_table(frame, con=con)
    b = engine.open_table(pd.DataFrame({"customer_id": [1, 2], "type": ["retail", "wholesale"]}),
                          con=con)
    joined = a.join(b, "customer_id")
    out = engine.to_pandas(joined.group_by("type").agg(n=joined.count()).order_by("type"))
    assert out["n"].tolist() == [2, 1]


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.csv"):
        engine.open_table(tmp_path / "nope.csv")


def test_unsupported_file_type_is_refused(tmp_path):
    path = tmp_path / "lines.json"
    path.write_text("{}")
    with pytest.raises(ValueError, match=r"lines.json: cannot open files of type '.json'"):
        engine.open_table(path)


def test_memory_limit_and_spill_folder_reach_duckdb(tmp_path):
    con = engine.connect_engine("duckdb", memory_limit="512MB", temp_directory=tmp_path / "spill")
    settings = dict(con.raw_sql(
        "SELECT name, value FROM duckdb_settings() "
        "WHERE name IN ('memory_limit', 'temp_directory')").fetchall())
    assert settings["memory_limit"] in ("488.2 MiB", "512.0 MB")
    assert Path(settings["temp_directory"]).parent == tmp_path / "spill"


def test_two_connections_never_spill_into_the_same_files(tmp_path):
    """Two kernels of one run (or two connections of one process) given one spill folder
    each spill into a folder of their own: DuckDB names its spill files alike, and a shared
    folder broke both ("Could not read enough bytes from file")."""
    folders = set()
    for _ in range(2):
        con = engine.connect(memory_limit="64MB", temp_directory=tmp_path / "spill")
        con.raw_sql("CREATE TEMP TABLE t AS SELECT range AS k, md5(range::VARCHAR) AS v "
                    "FROM range(2000000) ORDER BY v")
        folders.add(con.raw_sql("SELECT current_setting('temp_directory')").fetchone()[0])
    assert len(folders) == 2 and all(Path(f).parent == tmp_path / "spill" for f in folders)
