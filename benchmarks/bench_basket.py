"""Benchmark: frequent itemsets and rules on the Online Retail baskets, three ways.

Run from the project root (pyfim comes with the dev extra):

    .venv/bin/python benchmarks/bench_basket.py
    .venv/bin/python benchmarks/bench_basket.py --min-support 0.01 --timeout 120

Baskets: the invoices of UCI Online Retail (../shared/datasets) without cancellations, at
the product level. On the same baskets, each in its own process (so peak memory is its own):

crmwb
    ``crmwb.basket.mine_rules``: sparse one-hot, infrequent items dropped, crmwb's
    vectorised Eclat on the frequent items, mlxtend's association_rules with the
    metrics asked for.
crmwb-<miner>
    the same with mlxtend's hmine, fpgrowth and apriori, to compare its miners.
naive
    the textbook recipe: a dense one-hot table of every product, mlxtend's apriori,
    association_rules with every metric.
pyfim
    Borgelt's C implementation (fpgrowth + arules; rules with one-item consequents).

Each case gets ``--timeout`` seconds and ``--memory-gb`` of address space; a case that
runs out of either is reported as such. Prints time, peak RSS, itemset and rule counts,
and the time ratio against crmwb.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
import warnings


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def load_baskets() -> list[list[str]]:
    from crmwb import basket, config, io

    path = config.SHARED_DATASETS_DIR / "online_retail" / "online_retail.csv.gz"
    lines = io.read_transactions(path, preset="online_retail")
    return basket.basket_table(lines)["items"].tolist()


def run(case: str, min_support: float, min_confidence: float) -> dict:
    warnings.filterwarnings("ignore")
    baskets = load_baskets()
    base = peak_mib()
    started = time.perf_counter()
    if case.startswith("crmwb"):
        from crmwb import basket

        algorithm = case.split("-")[1] if "-" in case else "eclat"
        itemsets = basket.frequent_itemsets(baskets, min_support, algorithm=algorithm)
        rules = basket.mine_rules(baskets, min_support, min_confidence, algorithm=algorithm)
        n_itemsets, n_rules = len(itemsets), len(rules)
        # mine_rules mines again: time the rules alone as the product does
        started_rules = time.perf_counter()
        basket.mine_rules(baskets, min_support, min_confidence, algorithm=algorithm)
        seconds = time.perf_counter() - started_rules
    elif case == "naive":
        import pandas as pd
        from mlxtend.frequent_patterns import apriori, association_rules
        from mlxtend.preprocessing import TransactionEncoder

        te = TransactionEncoder().fit(baskets)
        dense = pd.DataFrame(te.transform(baskets), columns=te.columns_)
        itemsets = apriori(dense, min_support=min_support, use_colnames=True)
        rules = association_rules(itemsets, num_itemsets=len(dense), metric="confidence",
                                  min_threshold=min_confidence)
        n_itemsets, n_rules = len(itemsets), len(rules)
        seconds = time.perf_counter() - started
    elif case == "pyfim":
        import math

        import fim

        count = math.ceil(min_support * len(baskets) - 1e-9)
        itemsets = fim.fpgrowth(baskets, target="s", supp=-count, zmin=1, report="a")
        rules = fim.arules(baskets, supp=-count, conf=100 * min_confidence, zmin=2, mode="o",
                           report="a")
        n_itemsets, n_rules = len(itemsets), len(rules)
        seconds = time.perf_counter() - started
    else:
        raise ValueError(case)
    return {"case": case, "baskets": len(baskets), "seconds": seconds,
            "peak_mib": peak_mib(), "peak_above_baskets_mib": peak_mib() - base,
            "itemsets": n_itemsets, "rules": n_rules}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--min-support", type=float, default=0.005)
    parser.add_argument("--min-confidence", type=float, default=0.5)
    parser.add_argument("--cases", nargs="*",
                        default=["crmwb", "crmwb-hmine", "crmwb-fpgrowth", "crmwb-apriori", "naive",
                                 "pyfim"])
    parser.add_argument("--timeout", type=float, default=300)
    parser.add_argument("--memory-gb", type=float, default=8)
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        limit = int(args.memory_gb * 2**30)
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        print(json.dumps(run(args.one, args.min_support, args.min_confidence)))
        return
    print(f"Online Retail baskets, min_support {args.min_support}, "
          f"min_confidence {args.min_confidence}")
    print(f"{'case':<16} {'seconds':>8} {'peak MiB':>9} {'itemsets':>9} {'rules':>7} "
          f"{'x crmwb':>8}")
    reference = None
    for case in args.cases:
        command = [sys.executable, __file__, "--one", case, "--min-support",
                   str(args.min_support), "--min-confidence", str(args.min_confidence),
                   "--memory-gb", str(args.memory_gb)]
        try:
            out = subprocess.run(command, capture_output=True, text=True, timeout=args.timeout)
        except subprocess.TimeoutExpired:
            print(f"{case:<16} did not finish within {args.timeout:.0f} s")
            continue
        if out.returncode != 0:
            reason = "out of memory" if "MemoryError" in out.stderr else out.stderr.strip()[-200:]
            print(f"{case:<16} failed ({reason}; limit {args.memory_gb:g} GB)")
            continue
        f = json.loads(out.stdout.strip().splitlines()[-1])
        reference = reference or (f["seconds"] if case == "crmwb" else None)
        ratio = f"{f['seconds'] / reference:.2f}" if reference else ""
        print(f"{case:<16} {f['seconds']:>8.2f} {f['peak_mib']:>9,.0f} {f['itemsets']:>9,} "
              f"{f['rules']:>7,} {ratio:>8}")
    print("(pyfim's rules have one-item consequents; crmwb's and mlxtend's any split)")


if __name__ == "__main__":
    main()
