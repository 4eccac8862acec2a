"""Benchmark: the whole workbench on the real exports of ../shared/datasets, cold.

Run from the project root:

    .venv/bin/python benchmarks/bench_real_runs.py
    .venv/bin/python benchmarks/bench_real_runs.py --cases online_retail --jobs 1

Each case is one cold ``crmwb run`` with the README's recipe (``transactions_path``, a
``preset`` and a fresh ``prepared`` folder), in its own process, timed from its start to
its end: the preparation (read, check, identify, clean) and every notebook.

online_retail   UCI Online Retail (541,909 lines, 4,372 customer ids; a year)
cdnow           the full CDNOW file (69,659 lines, 23,570 customers; 18 months)

Prints each case's wall time, exit code, the preparation's time, each notebook's status
and time (as the runner reports it: notebooks run side by side under ``--jobs``, so they
add up to more than the wall time), and the peak memory of the largest process (the
runner or a kernel; ``ru_maxrss`` of the children).
"""

from __future__ import annotations

import argparse
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATASETS = ROOT.parent / "shared" / "datasets"
CASES = {
    "online_retail": (DATASETS / "online_retail" / "online_retail.csv.gz", "online_retail"),
    "cdnow": (DATASETS / "cdnow" / "CDNOW_master.txt", "cdnow"),
}


def run(path: Path, preset: str, jobs: int | None) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        params = Path(tmp) / "params.yaml"
        params.write_text(f"transactions_path: {path}\npreset: {preset}\n"
                          f"prepared: {Path(tmp) / 'prepared'}\n")
        cmd = [sys.executable, "-m", "crmwb", "run", "--params", str(params),
               "--out", str(Path(tmp) / "reports")]
        if jobs:
            cmd += ["--jobs", str(jobs)]
        started = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
        wall = time.perf_counter() - started
    text = proc.stdout
    notebooks = {m[1]: (m[2].lower(), float(m[3])) for m in re.finditer(
        r"^\s+(\d\d_\w+) (ok|FAILED|skipped) \(([\d.]+) s\)", text, re.M)}
    prepared = re.search(r"prepared data ready \(([\d.]+) s\)", text)
    return {"wall": wall, "rc": proc.returncode, "notebooks": notebooks,
            "prepare": float(prepared[1]) if prepared else float("nan"),
            "log": text + proc.stderr}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", nargs="*", default=list(CASES), choices=list(CASES))
    parser.add_argument("--jobs", type=int, default=0,
                        help="notebooks at a time (0: the runner's default)")
    args = parser.parse_args()
    for case in args.cases:
        path, preset = CASES[case]
        if not path.exists():
            print(f"{case}: skipped, {path} is absent (../shared/datasets)")
            continue
        r = run(path, preset, args.jobs or None)
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 2**20  # KiB -> GiB
        jobs = f"--jobs {args.jobs}" if args.jobs else "default jobs"
        print(f"{case}: crmwb run, cold, {jobs}")
        print(f"  wall {r['wall']:.1f} s, exit {r['rc']}, prepare {r['prepare']:.1f} s, "
              f"peak memory of the largest process so far {peak:.2f} GB")
        for name, (status, seconds) in sorted(r["notebooks"].items()):
            print(f"  {name:<22} {status:<8} {seconds:6.1f} s")
        if r["rc"] != 0:
            print(r["log"][-3000:])


if __name__ == "__main__":
    main()
