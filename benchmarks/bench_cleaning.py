"""Benchmark: reading and cleaning transaction lines, on Online Retail and on 10x its size.

Run from the project root:

    .venv/bin/python benchmarks/bench_cleaning.py                    # both cases
    .venv/bin/python benchmarks/bench_cleaning.py --case retail      # Online Retail only
    .venv/bin/python benchmarks/bench_cleaning.py --case large --customers 20000

Cases:

retail
    UCI Online Retail (541,909 lines, gzip-compressed CSV) from ../shared/datasets:
    ``crmwb.io.read_transactions(preset="online_retail")``, then
    ``crmwb.cleaning.clean_transactions`` and ``write_cleaned`` to a temporary folder.
large
    The synthetic generator's large output (partitioned Parquet) with about ten
    times as many lines (95,000 customers by default), written first to a temporary
    folder by another process (or reused with ``--data``), then read, cleaned and
    written the same way.

Each case runs in its own Python process (cold: imports and the first DuckDB
connection included in nothing but ``import_s``) so that its peak memory (the
maximum resident set size, DuckDB's included) is its own. Times are wall-clock
seconds; ``--repeat N`` runs every case N times, each in a fresh process, and
prints each run and the median. To compare two versions of crmwb, run the same
script with ``PYTHONPATH`` pointing at each checkout.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_case(case: str, data: str | None, customers: int) -> dict:
    """Time one case in this process; returns the figures."""
    started = time.perf_counter()
    from crmwb import cleaning, config, engine, io

    figures: dict = {"case": case, "import_s": time.perf_counter() - started}
    with tempfile.TemporaryDirectory(prefix="crmwb-bench-") as tmp:
        if case == "retail":
            source = config.SHARED_DATASETS_DIR / "online_retail" / "online_retail.csv.gz"
            if not source.exists():
                return {"case": case, "skipped": f"{source} not found"}
            options = {"preset": "online_retail"}
        else:
            source = Path(data) / "transactions"
            options = {}
        con = engine.connect()
        started = time.perf_counter()
        lines = io.read_transactions(source, con=con, **options)
        figures["lines_in"] = int(lines.count().execute())
        figures["read_s"] = time.perf_counter() - started
        started = time.perf_counter()
        clean_options = {}
        if callable(getattr(cleaning, "non_product_pattern", None)):  # the preset's own codes
            clean_options["non_product_pattern"] = cleaning.non_product_pattern(
                options.get("preset"))
        result = cleaning.clean_transactions(lines, **clean_options)
        figures["lines_out"] = int(result.lines.count().execute())
        figures["clean_s"] = time.perf_counter() - started
        started = time.perf_counter()
        cleaning.write_cleaned(result, Path(tmp) / "clean")
        figures["write_s"] = time.perf_counter() - started
    figures["read_clean_s"] = figures["read_s"] + figures["clean_s"]
    figures["peak_rss_mib"] = peak_rss_mib()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", choices=["retail", "large", "all"], default="all")
    parser.add_argument("--customers", type=int, default=95_000,
                        help="customers of the large case (95,000 give ~10x Online Retail)")
    parser.add_argument("--data", help="an existing large data folder to reuse")
    parser.add_argument("--repeat", type=int, default=1, help="fresh processes per case")
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_case(args.case, args.data, args.customers)))
        return
    cases = ["retail", "large"] if args.case == "all" else [args.case]
    tmp = tempfile.TemporaryDirectory(prefix="crmwb-bench-")
    data = args.data
    if "large" in cases and not data:
        data = str(Path(tmp.name) / "large")
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "crmwb", "data", "generate", "--large",
                        "--customers", str(args.customers), "--seed", "1", "--out", data],
                       check=True, capture_output=True)
        print(f"large data: {args.customers:,} customers generated in "
              f"{time.perf_counter() - started:.1f} s")
    print(f"{'case':<8} {'lines in':>11} {'lines out':>11} {'read s':>7} {'clean s':>8} "
          f"{'write s':>8} {'peak MiB':>9}")
    for case in cases:
        command = [sys.executable, __file__, "--one", "--case", case,
                   "--customers", str(args.customers)] + (["--data", data] if data else [])
        runs = []
        for _ in range(args.repeat):
            out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
            f = json.loads(out.strip().splitlines()[-1])
            if "skipped" in f:
                print(f"{case:<8} skipped: {f['skipped']}")
                break
            runs.append(f)
            print(f"{case:<8} {f['lines_in']:>11,} {f['lines_out']:>11,} {f['read_s']:>7.2f} "
                  f"{f['clean_s']:>8.2f} {f['write_s']:>8.2f} {f['peak_rss_mib']:>9,.0f}")
        if len(runs) > 1:
            total = sorted(r["read_clean_s"] for r in runs)
            print(f"{case:<8} read + clean, median of {len(runs)}: {total[len(total) // 2]:.2f} s")
    tmp.cleanup()


if __name__ == "__main__":
    main()
