"""Benchmark: frequent itemsets, rules and pruning on the Online Retail baskets.

Run from the project root (pyfim comes with the dev extra):

    .venv/bin/python benchmarks/bench_basket.py                         # support 0.005
    .venv/bin/python benchmarks/bench_basket.py --min-support 0.003 0.002 --stages itemsets
    .venv/bin/python benchmarks/bench_basket.py --min-support 0.003 --stages prune

Baskets: the invoices of UCI Online Retail (../shared/datasets) without cancellations, at
the product level. Every case is timed the same way: cold, in a process of its own
(so peak memory is its own too), which loads the baskets and imports the case's library
untimed and then times its first and only call. Stages and cases:

itemsets
    ``eclat``: ``crmwb.basket.frequent_itemsets`` (sparse one-hot, infrequent items
    dropped, crmwb's Eclat on bit strings), itemsets as frozensets;
    ``eclat-tuples``: the same with ``as_tuples=True``;
    ``hmine``, ``fpgrowth``, ``apriori``: ``frequent_itemsets`` with mlxtend's miners;
    ``naive``: the textbook recipe, a dense one-hot table of every product and
    mlxtend's apriori;
    ``pyfim-fpgrowth``, ``pyfim-eclat``: Borgelt's C implementations (the reference).
rules
    ``crmwb``: ``crmwb.basket.mine_rules`` (itemsets, then rules of any split with
    every metric); ``naive``: dense apriori and mlxtend's association_rules;
    ``pyfim``: ``fim.arules`` (rules with one-item consequents, so fewer of them).
prune
    ``crmwb``: ``crmwb.basket.prune_redundant`` on the rules of ``mine_rules``
    (mining untimed).

``--repeat N`` runs each case N times, each run a fresh process, and prints the median
time (the spread of a shared machine shows in the fastest and slowest, printed beside it).
Each case gets ``--timeout`` seconds and ``--memory-gb`` of address space; a case that
runs out of either is reported as such. Prints time, peak RSS during the call and how
far it rose above the RSS at the call's start (baskets loaded), itemset and rule counts,
and the time ratio against the stage's reference
(pyfim's fpgrowth for itemsets, pyfim's arules for rules).
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import resource
import statistics
import subprocess
import sys
import time
import warnings

STAGES = {
    "itemsets": ["eclat", "eclat-tuples", "hmine", "fpgrowth", "apriori", "naive",
                 "pyfim-fpgrowth", "pyfim-eclat"],
    "rules": ["crmwb", "naive", "pyfim"],
    "prune": ["crmwb"],
}
REFERENCE = {"itemsets": "pyfim-fpgrowth", "rules": "pyfim"}


def peak_mib() -> float:
    """Peak resident memory of this process since the last :func:`reset_peak`."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def reset_peak() -> None:
    """Start the peak afresh (Linux: 5 to clear_refs), so that loading the baskets,
    whose CSV parsing peaks higher than mining does at high support, is left out."""
    try:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")
    except OSError:
        pass


def load_baskets() -> list[list[str]]:
    from crmwb import basket, config, io

    path = config.SHARED_DATASETS_DIR / "online_retail" / "online_retail.csv.gz"
    lines = io.read_transactions(path, preset="online_retail")
    return basket.basket_table(lines)["items"].tolist()


def naive_itemsets(baskets, min_support):
    import pandas as pd
    from mlxtend.frequent_patterns import apriori
    from mlxtend.preprocessing import TransactionEncoder

    te = TransactionEncoder().fit(baskets)
    dense = pd.DataFrame(te.transform(baskets), columns=te.columns_)
    return apriori(dense, min_support=min_support, use_colnames=True)


def prepare(stage: str, case: str, baskets, min_support: float, min_confidence: float):
    """Import the case's library and do its untimed work; return the call to time."""
    from crmwb import basket

    count = math.ceil(min_support * len(baskets) - 1e-9)
    if stage == "itemsets":
        if case.startswith("pyfim"):
            import fim

            miner = getattr(fim, case.split("-")[1])
            return lambda: (miner(baskets, target="s", supp=-count, zmin=1, report="a"), None)
        if case == "naive":
            import mlxtend.frequent_patterns  # noqa: F401  (imported untimed, as the others)

            return lambda: (naive_itemsets(baskets, min_support), None)
        algorithm = "eclat" if case.startswith("eclat") else case
        tuples = case.endswith("tuples")
        return lambda: (basket.frequent_itemsets(baskets, min_support, algorithm=algorithm,
                                                 as_tuples=tuples), None)
    if stage == "rules":
        if case == "pyfim":
            import fim

            return lambda: (None, fim.arules(baskets, supp=-count, conf=100 * min_confidence,
                                             zmin=2, mode="o", report="a"))
        if case == "naive":
            from mlxtend.frequent_patterns import association_rules

            def naive():
                itemsets = naive_itemsets(baskets, min_support)
                return itemsets, association_rules(itemsets, num_itemsets=len(baskets),
                                                   metric="confidence",
                                                   min_threshold=min_confidence)
            return naive
        return lambda: (None, basket.mine_rules(baskets, min_support, min_confidence))
    if stage == "prune":
        rules = basket.mine_rules(baskets, min_support, min_confidence)
        return lambda: (rules, basket.prune_redundant(rules))
    raise ValueError(f"unknown stage {stage!r}")


def run(stage: str, case: str, min_support: float, min_confidence: float) -> dict:
    warnings.filterwarnings("ignore")
    baskets = load_baskets()
    call = prepare(stage, case, baskets, min_support, min_confidence)
    gc.collect()
    reset_peak()
    base = peak_mib()
    started = time.perf_counter()
    itemsets, rules = call()
    seconds = time.perf_counter() - started
    return {"stage": stage, "case": case, "baskets": len(baskets), "seconds": seconds,
            "peak_mib": peak_mib(), "peak_above_start_mib": peak_mib() - base,
            "itemsets": None if itemsets is None else len(itemsets),
            "rules": None if rules is None else len(rules)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--min-support", type=float, nargs="*", default=[0.005])
    parser.add_argument("--min-confidence", type=float, default=0.5)
    parser.add_argument("--stages", nargs="*", default=list(STAGES), choices=list(STAGES))
    parser.add_argument("--cases", nargs="*", help="only these cases of each stage")
    parser.add_argument("--repeat", type=int, default=1,
                        help="cold runs of each case (median time reported)")
    parser.add_argument("--timeout", type=float, default=300)
    parser.add_argument("--memory-gb", type=float, default=8)
    parser.add_argument("--one", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        limit = int(args.memory_gb * 2**30)
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        print(json.dumps(run(*args.one, args.min_support[0], args.min_confidence)))
        return

    def count(n):
        return "" if n is None else f"{n:,}"

    for support in args.min_support:
        print(f"\nOnline Retail baskets, min_support {support}, "
              f"min_confidence {args.min_confidence}")
        print(f"{'stage':<9} {'case':<15} {'seconds':>8} {'peak MiB':>9} {'above':>7} "
              f"{'itemsets':>10} {'rules':>10}")
        for stage in args.stages:
            times = {}
            for case in STAGES[stage]:
                if args.cases and case not in args.cases:
                    continue
                command = [sys.executable, __file__, "--one", stage, case, "--min-support",
                           str(support), "--min-confidence", str(args.min_confidence),
                           "--memory-gb", str(args.memory_gb)]
                runs, failure = [], None
                for _ in range(args.repeat):
                    try:
                        out = subprocess.run(command, capture_output=True, text=True,
                                             timeout=args.timeout)
                    except subprocess.TimeoutExpired:
                        failure = f"did not finish within {args.timeout:.0f} s"
                        break
                    if out.returncode != 0:
                        reason = ("out of memory" if "MemoryError" in out.stderr
                                  else out.stderr.strip()[-200:])
                        failure = f"failed ({reason}; limit {args.memory_gb:g} GB)"
                        break
                    runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
                if failure:
                    print(f"{stage:<9} {case:<15} {failure}")
                    continue
                seconds = sorted(r["seconds"] for r in runs)
                f = runs[0]
                times[case] = statistics.median(seconds)
                spread = f"  ({seconds[0]:.2f} to {seconds[-1]:.2f})" if len(runs) > 1 else ""
                print(f"{stage:<9} {case:<15} {times[case]:>8.2f} "
                      f"{max(r['peak_mib'] for r in runs):>9,.0f} "
                      f"{max(r['peak_above_start_mib'] for r in runs):>7,.0f} "
                      f"{count(f['itemsets']):>10} {count(f['rules']):>10}{spread}", flush=True)
            reference = times.get(REFERENCE.get(stage))
            if reference:
                ratios = ", ".join(f"{case} {t / reference:.1f}x" for case, t in times.items())
                print(f"{'':<9} time against {REFERENCE[stage]}: {ratios}")
    print("\n(pyfim's rules have one-item consequents; crmwb's and mlxtend's any split)")


if __name__ == "__main__":
    main()
