"""Benchmark: the customer-journey notebook (08) on the bundled shop and on a million customers.

Run from the project root:

    .venv/bin/python benchmarks/bench_journey.py                     # the bundled shop, 1M
    .venv/bin/python benchmarks/bench_journey.py --customers 100000 1000000

The bundled shop (5,000 customers, the default data), then each size of the shop's generator
(partitioned Parquet, about 57 lines a customer, made once and kept under ``--data``): each is
prepared by ``crmwb prepare`` in its own
process, then notebook 08 runs cold by ``crmwb run --only 08_customer_journey`` in its own
process, DuckDB held to ``--memory-limit``. Printed for each size: the preparation's seconds,
the notebook's seconds as the runner reports them, the run's wall time and the peak resident
memory of its process tree (the runner and the notebook's kernel), sampled every half second.
The journeys are built and counted in DuckDB: only counts reach the kernel.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_scale import LINES_PER_CUSTOMER, ensure_data, watched_run, write_params  # noqa: E402

NOTEBOOK = "08_customer_journey"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, nargs="*", default=[1_000_000],
                        help="sizes of generated data after the bundled shop")
    parser.add_argument("--data", default=str(Path(tempfile.gettempdir()) / "crmwb_scale"),
                        help="folder for the generated data (kept between runs)")
    parser.add_argument("--memory-limit", default="4GB", help="DuckDB's memory limit")
    args = parser.parse_args()
    root = Path(args.data)
    root.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "crmwb", "data", "generate", "--if-missing"],
                   check=True, capture_output=True)
    print(f"{'data':>18} {'prepare':>9} {'notebook':>9} {'run wall':>9} {'peak':>9}")
    for customers in [None, *args.customers]:
        with tempfile.TemporaryDirectory(dir=root) as out:
            if customers is None:  # the bundled shop: the default data
                params = Path(out) / "params.yaml"
                params.write_text(f"prepared: {Path(out) / 'prepared'}\ndata_dir: ''\n"
                                  f"duckdb_memory_limit: {args.memory_limit}\n")
            else:
                folder = ensure_data(customers * LINES_PER_CUSTOMER, root)
                params = write_params(folder, Path(out), args.memory_limit)
            name = "the bundled shop" if customers is None else f"{customers:,} customers"
            _, prep_s, _, rc = watched_run(
                [sys.executable, "-m", "crmwb", "prepare", "--params", str(params)])
            if rc:
                raise SystemExit(f"{name}: crmwb prepare failed ({rc})")
            text, run_s, peak, rc = watched_run(
                [sys.executable, "-m", "crmwb", "run", "--params", str(params), "--out",
                 str(Path(out) / "reports"), "--only", NOTEBOOK])
            if rc:
                print(text[-3000:])
                raise SystemExit(f"{name}: notebook 08 failed ({rc})")
            found = re.search(rf"{NOTEBOOK} ok \(([\d.]+) s\)", text)
            print(f"{name:>18} {prep_s:8.1f}s {float(found[1]):8.1f}s {run_s:8.1f}s "
                  f"{peak:6.2f} GiB", flush=True)


if __name__ == "__main__":
    main()
