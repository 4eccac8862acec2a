"""Benchmark: the pipeline, stage by stage, as the number of transaction lines grows.

Run from the project root:

    .venv/bin/python benchmarks/bench_scale.py    # 1M, 10M, 57M lines (1,000,000 customers)
    .venv/bin/python benchmarks/bench_scale.py --lines 1e6 2e6 --memory-limit 4GB
    .venv/bin/python benchmarks/bench_scale.py --lines 5.7e7 --memory-limit 3GB --no-stages

For each size, generated data (about 57 lines per customer, partitioned Parquet, made once
and kept under ``--data``) goes through the stages below in a fresh process on embedded
DuckDB with ``--memory-limit`` (DuckDB spills to disk beyond it):

read+clean     clean lines written to Parquet (the heart of crmwb prepare)
summary        the customer summary over the clean lines
clv            BG/NBD and Gamma-Gamma fits and each customer's CLV
churn          churn risk (a model fitted at one horizon before the end, scored at the end)
kpis           KPIs by month and acquisition cohorts
table          the customer table (all of the above and segments, offers), written as
               Parquet and CSV

Prints each stage's seconds and the process's peak memory after it, then how time grows
with size (the exponent b of time ~ lines^b between the smallest and the largest size).

Then, end to end, ``crmwb prepare --params <file>`` prepares the data once and
``crmwb run --params <file>`` executes the notebooks named by ``--notebooks`` (default: every
notebook, ``--jobs`` at a time) on it, with the parameters file written beside the results and
printed. Printed: the preparation's time, each notebook's time, the run's wall time and the
peak memory of each command's whole process tree (the runner and the notebooks' kernels),
sampled every half second. ``--notebooks`` with no names skips this part.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import resource
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from pathlib import Path

LINES_PER_CUSTOMER = 57


def peak_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def ensure_data(lines: int, root: Path) -> Path:
    from crmwb.datasets import write_large_crm_data

    customers = max(1000, round(lines / LINES_PER_CUSTOMER))
    folder = root / f"customers_{customers}"
    if not (folder / "transactions").exists():
        write_large_crm_data(customers, folder, chunk_size=min(50_000, customers), overwrite=True)
    return folder


def run_stages(folder: Path, memory_limit: str, out: Path) -> dict:
    warnings.filterwarnings("ignore")
    from crmwb import churn, cleaning, clv, customer360, engine, io, summary

    times, peaks = {}, {}

    def stage(name, func):
        started = time.perf_counter()
        result = func()
        times[name], peaks[name] = time.perf_counter() - started, peak_gib()
        return result

    con = engine.connect(memory_limit=memory_limit, database=str(out / "engine.duckdb"))
    data = io.read_dataset(folder, con=con)

    def read_clean():
        clean = cleaning.clean_dataset(data)
        (out / "clean").mkdir()
        clean.lines.to_parquet(out / "clean" / "transactions.parquet")
        clean.cancellations.to_parquet(out / "clean" / "cancellations.parquet")
        lines = engine.open_table(out / "clean" / "transactions.parquet", con=con)
        returns = engine.open_table(out / "clean" / "cancellations.parquet", con=con)
        return clean, lines, returns

    clean, lines, returns = stage("read+clean", read_clean)
    n_lines = int(lines.count().execute())
    s = stage("summary", lambda: summary.customer_summary(lines, time_unit="W", returns=returns))
    stage("clv", lambda: clv.customer_lifetime_value(clv.BetaGeoModel().fit(s),
                                                     clv.GammaGammaModel().fit(s), s))
    end = s.attrs["calibration_end"]
    stage("churn", lambda: churn.churn_risk(lines, end, returns=returns))
    stage("kpis", lambda: (customer360.kpis_by_month(lines), customer360.cohorts(lines)))

    def table():
        t = customer360.customer_table(lines, data.customers, data.contacts, data.surveys,
                                       data.campaigns, returns=returns,
                                       crosswalk=clean.crosswalk)
        customer360.export_customer_table(t, out / "export")
        return len(t)

    customers = stage("table", table)
    return {"lines": n_lines, "customers": customers, "seconds": times, "peak_gib": peaks}


def write_params(folder: Path, out: Path, memory_limit: str) -> Path:
    """The end-to-end run's parameters file: the data, DuckDB's limit, the prepared folder and
    the outputs in ``out``. One file for the preparation and every notebook."""
    params = {
        "data_dir": str(folder),
        "duckdb_memory_limit": memory_limit,
        "duckdb_temp_dir": str(out / "spill"),
        "prepared": str(out / "prepared"),
        "out_contact_list": str(out / "contact_list.csv"),
        "out_table_dir": str(out / "export"),
        "n_clusters": 4,
    }
    path = out / "params.yaml"
    path.write_text("".join(f"{k}: {json.dumps(v)}\n" for k, v in params.items()))
    return path


def tree_rss(proc) -> int:
    """Resident bytes of a process and all its descendants."""
    total = 0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            total += p.memory_info().rss
        except Exception:  # psutil.NoSuchProcess: it ended while we looked
            pass
    return total


def watched_run(cmd: list[str]) -> tuple[str, float, float, int]:
    """Run ``cmd``; its output, seconds, and the peak resident memory (GiB) of its process
    tree (the runner and every kernel), sampled every half second."""
    import psutil

    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    watched = psutil.Process(proc.pid)
    peak = [0]
    done = threading.Event()

    def sample():
        while not done.wait(0.5):
            peak[0] = max(peak[0], tree_rss(watched))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    lines = []
    for line in proc.stdout:
        lines.append(line)
        if " ok (" in line or "FAILED" in line or line.startswith(("prepar", "running", "  ")):
            print(f"    {line.strip()[:160]}", flush=True)
    proc.wait()
    done.set()
    sampler.join()
    return "".join(lines), time.perf_counter() - started, peak[0] / 2**30, proc.returncode


def run_end_to_end(folder: Path, out: Path, memory_limit: str, notebooks: list[str],
                   jobs: int | None) -> dict:
    """``crmwb prepare`` then ``crmwb run`` on ``folder``: seconds of the preparation and
    of each notebook, and the peak memory of each command's process tree."""
    params = write_params(folder, out, memory_limit)
    print(f"  crmwb prepare --params {params}", flush=True)
    _, prep_s, prep_peak, rc = watched_run(
        [sys.executable, "-m", "crmwb", "prepare", "--params", str(params)])
    if rc:
        return {"prepare": prep_s, "returncode": rc}
    cmd = [sys.executable, "-m", "crmwb", "run", "--params", str(params), "--out",
           str(out / "reports")]
    if notebooks:
        cmd += ["--only", *notebooks]
    if jobs:
        cmd += ["--jobs", str(jobs)]
    print(f"  {' '.join(cmd[2:])}", flush=True)
    text, run_s, run_peak, rc = watched_run(cmd)
    seconds = {m[1]: float(m[3]) for m in re.finditer(
        r"^\s+(\d\d_\w+) (ok|FAILED) \(([\d.]+) s\)", text, re.M)}
    status = {m[1]: m[2] for m in re.finditer(r"^\s+(\d\d_\w+) (ok|FAILED) \(", text, re.M)}
    return {"prepare": prep_s, "prepare_peak_gib": prep_peak, "run": run_s,
            "run_peak_gib": run_peak, "seconds": seconds, "status": status, "returncode": rc}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=float, nargs="*", default=[1e6, 1e7, 5.7e7])
    parser.add_argument("--data", default=str(Path(tempfile.gettempdir()) / "crmwb_scale"),
                        help="folder for the generated data (kept between runs)")
    parser.add_argument("--memory-limit", default="4GB", help="DuckDB's memory limit")
    parser.add_argument("--notebooks", nargs="*", default=None,
                        help="notebooks run end to end by crmwb run on each size's data "
                        "(default: every notebook; none: skip the end-to-end run)")
    parser.add_argument("--jobs", type=int, help="crmwb run's --jobs (its default when omitted)")
    parser.add_argument("--no-stages", action="store_true",
                        help="only the end-to-end run: skip the stage-by-stage timings")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    root = Path(args.data)
    if args.one:
        with tempfile.TemporaryDirectory(dir=root) as out:
            print(json.dumps(run_stages(Path(args.one), args.memory_limit, Path(out))))
        return
    root.mkdir(parents=True, exist_ok=True)
    rows = []
    for lines in args.lines:
        started = time.perf_counter()
        folder = ensure_data(int(lines), root)
        print(f"data for ~{lines:,.0f} lines: {folder} ({time.perf_counter() - started:.0f} s)",
              flush=True)
        e2e = {}
        if args.notebooks is None or args.notebooks:
            with tempfile.TemporaryDirectory(dir=root) as out:
                e2e = run_end_to_end(folder, Path(out), args.memory_limit, args.notebooks,
                                     args.jobs)
            print(f"  {'crmwb prepare':<20} {e2e['prepare']:8.1f} s   peak "
                  f"{e2e.get('prepare_peak_gib', 0):5.2f} GiB", flush=True)
            for name, seconds in e2e.get("seconds", {}).items():
                print(f"  {name:<20} {seconds:8.1f} s   {e2e['status'][name]}", flush=True)
            if "run" in e2e:
                print(f"  {'crmwb run (wall)':<20} {e2e['run']:8.1f} s   peak "
                      f"{e2e['run_peak_gib']:5.2f} GiB (runner and kernels)", flush=True)
                print(f"  {'in all':<20} {e2e['prepare'] + e2e['run']:8.1f} s", flush=True)
        if args.no_stages:
            continue
        out = subprocess.run([sys.executable, __file__, "--one", str(folder), "--data",
                              str(root), "--memory-limit", args.memory_limit],
                             capture_output=True, text=True)
        if out.returncode != 0:
            print(f"  failed: {out.stderr.strip()[-400:]}")
            continue
        r = json.loads(out.stdout.strip().splitlines()[-1])
        rows.append(r)
        print(f"  {r['lines']:,} lines, {r['customers']:,} customers")
        for name, seconds in r["seconds"].items():
            print(f"  {name:<11} {seconds:8.1f} s   peak {r['peak_gib'][name]:5.2f} GiB")
        r["end_to_end"] = e2e
    if len(rows) >= 2:
        small, large = rows[0], rows[-1]
        ratio = large["lines"] / small["lines"]
        print(f"time growth from {small['lines']:,} to {large['lines']:,} lines "
              f"({ratio:.0f}x): exponent b in time ~ lines^b")
        for name in small["seconds"]:
            b = math.log(large["seconds"][name] / small["seconds"][name]) / math.log(ratio)
            print(f"  {name:<11} b = {b:.2f}")
        for name in small.get("end_to_end", {}).get("seconds", {}):
            t0, t1 = small["end_to_end"]["seconds"][name], large["end_to_end"]["seconds"].get(name)
            if t1:
                print(f"  {name:<20} b = {math.log(t1 / t0) / math.log(ratio):.2f}")


if __name__ == "__main__":
    main()
