"""Benchmark: ``crmwb run`` end to end on the default data, preparing first and reusing.

Run from the project root:

    .venv/bin/python benchmarks/bench_run.py            # jobs: the runner's default
    .venv/bin/python benchmarks/bench_run.py --jobs 1 2

Each case is one cold ``crmwb run`` in its own process, timed from its start to its end,
writing to a fresh reports folder:

first     no prepared dataset yet: the runner prepares (into a fresh folder) and runs
          every notebook, in notebook order (no earlier times to order them by)
again     the same parameters and reports folder: the runner reuses the prepared dataset
          (checked by its manifest) and runs every notebook, the longest first

Prints the wall time of each case, the preparation's time and each notebook's time (as
the runner reports it: notebooks run side by side under ``--jobs``, so they add up to more
than the wall time).
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(params: Path, out: Path, jobs: int | None) -> dict:
    cmd = [sys.executable, "-m", "crmwb", "run", "--params", str(params), "--out", str(out)]
    if jobs:
        cmd += ["--jobs", str(jobs)]
    started = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    wall = time.perf_counter() - started
    text = proc.stdout
    notebooks = {m[1]: float(m[3]) for m in re.finditer(
        r"^\s+(\d\d_\w+) (ok|FAILED) \(([\d.]+) s\)", text, re.M)}
    prepared = re.search(r"prepared data ready \(([\d.]+) s\)", text)
    return {"wall": wall, "rc": proc.returncode, "notebooks": notebooks,
            "prepare": float(prepared[1]) if prepared else None,
            "reused": "reusing the prepared data" in text, "log": text + proc.stderr}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, nargs="*", default=[0],
                        help="notebooks at a time (0: the runner's default)")
    args = parser.parse_args()
    subprocess.run([sys.executable, "-m", "crmwb", "data", "generate", "--if-missing"],
                   cwd=ROOT, check=True, capture_output=True)
    for jobs in args.jobs:
        with tempfile.TemporaryDirectory() as tmp:
            params = Path(tmp) / "params.yaml"
            params.write_text(f"prepared: {Path(tmp) / 'prepared'}\ndata_dir: ''\n")
            results = {}
            for case in ("first", "again"):
                # into the same reports folder, as `make reports` twice: the second run starts
                # the notebooks longest first, by the first run's times
                results[case] = r = run(params, Path(tmp) / "reports", jobs or None)
                if r["rc"] != 0:
                    print(r["log"][-3000:])
                    raise SystemExit(f"{case}: crmwb run failed (exit {r['rc']})")
            label = f"--jobs {jobs}" if jobs else "default jobs"
            print(f"crmwb run on the default data, {label}")
            print(f"  {'case':<8} {'wall':>8} {'prepare':>8}  reused")
            for case, r in results.items():
                print(f"  {case:<8} {r['wall']:7.1f}s {r['prepare']:7.1f}s  {r['reused']}")
            print(f"  {'notebook':<20} " + " ".join(f"{c:>8}" for c in results))
            for name in sorted(results["first"]["notebooks"]):
                print(f"  {name:<20} " + " ".join(
                    f"{r['notebooks'].get(name, float('nan')):7.1f}s" for r in results.values()))


if __name__ == "__main__":
    main()
