import pandas as pd

from crmwb import cli
from crmwb.datasets import make_crm_data


def test_data_generate_writes_the_tables_and_their_truth(tmp_path, capsys):
    out = tmp_path / "shop"
    rc = cli.main(["data", "generate", "--customers", "300", "--seed", "5", "--out", str(out)])
    assert rc == 0
    written = pd.read_parquet(out / "transactions.parquet")
    pd.testing.assert_frame_equal(written, make_crm_data(300, seed=5).transactions,
                                  check_dtype=False)
    assert (out / "truth" / "params.json").exists()
    assert (out / "truth" / "customers.parquet").exists()
    assert "wrote 300 customers" in capsys.readouterr().out


def test_data_generate_if_missing_leaves_existing_data_alone(tmp_path, capsys):
    out = tmp_path / "shop"
    cli.main(["data", "generate", "--customers", "100", "--out", str(out)])
    before = (out / "transactions.parquet").stat().st_mtime_ns
    rc = cli.main(["data", "generate", "--customers", "200", "--out", str(out), "--if-missing"])
    assert rc == 0 and (out / "transactions.parquet").stat().st_mtime_ns == before
    assert "nothing to do" in capsys.readouterr().out
