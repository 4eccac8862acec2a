"""Benchmark: writing synthetic data, and aggregating it through the engine.

Run from the project root:

    .venv/bin/python benchmarks/bench_generate.py                     # 1,000,000 customers
    .venv/bin/python benchmarks/bench_generate.py --customers 100000  # a quicker look

Prints the time and peak memory of (1) the default data set in memory, (2) the large
data set written chunk by chunk to partitioned Parquet, and (3) revenue per customer
computed over all those lines with Ibis on DuckDB.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import tempfile
import time
from pathlib import Path

from crmwb import config, engine
from crmwb.datasets import make_crm_data, write_large_crm_data


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--chunk-size", type=int, default=50_000)
    parser.add_argument("--out", help="folder for the large data (a temporary one by default)")
    parser.add_argument("--keep", action="store_true", help="keep the large data afterwards")
    args = parser.parse_args()

    started = time.perf_counter()
    data = make_crm_data(config.DEFAULT_N_CUSTOMERS, seed=config.DEFAULT_SEED)
    print(f"default data: {config.DEFAULT_N_CUSTOMERS:,} customers, "
          f"{len(data.transactions):,} lines in {time.perf_counter() - started:.1f} s")
    del data

    out = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix="crmwb-bench-")) / "large"
    started = time.perf_counter()
    write_large_crm_data(args.customers, out, seed=1, chunk_size=args.chunk_size, overwrite=True)
    seconds = time.perf_counter() - started
    size = sum(p.stat().st_size for p in out.rglob("*.parquet")) / 2**20
    print(f"large data: {args.customers:,} customers in {seconds:.1f} s, "
          f"{size:,.0f} MiB of Parquet, peak RSS so far {peak_rss_mb():,.0f} MiB")

    con = engine.connect(memory_limit="4GB")
    lines = engine.open_table(out / "transactions", con=con)
    started = time.perf_counter()
    n_lines = int(lines.count().execute())
    sales = lines.filter(lines.customer_id.notnull())
    per_customer = sales.group_by("customer_id").agg(
        revenue=(sales.quantity * sales.unit_price).sum(), invoices=sales.invoice_id.nunique())
    summary = engine.to_pandas(per_customer)
    print(f"engine: {n_lines:,} lines -> revenue and invoices of {len(summary):,} customer ids "
          f"in {time.perf_counter() - started:.1f} s, peak RSS {peak_rss_mb():,.0f} MiB")
    if not args.keep and not args.out:
        shutil.rmtree(out.parent)


if __name__ == "__main__":
    main()
